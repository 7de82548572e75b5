//! The typed model with keepalived 2.2.7's defaults (inventory §1.3), includes and spans.

use std::time::Duration;

use vrrp::config::model::{Authentication, InitialState};
use vrrp::config::{load_str, load_str_with, LoadOptions, Severity};

fn one(body: &str) -> vrrp::config::model::VrrpInstance {
    let text =
        format!("vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{body}\n}}\n");
    let l = load_str("/t/k.conf", &text);
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    l.config.instances.into_iter().next().unwrap()
}

#[test]
fn plain_defaults() {
    let i = one("virtual_ipaddress {\n192.0.2.10\n}");
    assert_eq!(i.priority, 100);
    assert_eq!(i.state, None);
    assert_eq!(i.version, 2);
    assert_eq!(i.advert_int, Duration::from_secs(1));
    assert!(i.accept);
    assert_eq!(i.virtual_ipaddress[0].prefix_len, 32);
    assert_eq!(i.garp_master_delay, Some(Duration::from_secs(5)));
    assert_eq!(i.garp_master_repeat, Some(5));
    assert_eq!(i.down_timer_adverts, 3);
}

#[test]
fn master_without_priority_is_255() {
    let i = one("state MASTER");
    assert_eq!(i.priority, 255);
    assert_eq!(i.state, Some(InitialState::Master));
}

#[test]
fn ipv6_forces_version_3_and_centisecond_adverts() {
    let i = one("advert_int 0.257\nvirtual_ipaddress {\n2001:db8::1/64\n}");
    assert_eq!(i.version, 3);
    assert_eq!(i.advert_int, Duration::from_millis(260));
    assert!(i.is_ipv6());
}

#[test]
fn v2_rounds_advert_int_to_seconds() {
    let i = one("advert_int 2.6");
    assert_eq!(i.advert_int, Duration::from_secs(3));
}

#[test]
fn global_version_is_inherited() {
    let l = load_str(
        "/t/k.conf",
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 1\n}\nglobal_defs {\nvrrp_version 3\n}\n",
    );
    assert_eq!(l.config.instances[0].version, 3);
}

#[test]
fn ah_forces_backup_and_pass_is_truncated() {
    let i = one("state MASTER\npriority 150\nauthentication {\nauth_type AH\nauth_pass secret\n}");
    assert_eq!(i.state, Some(InitialState::Backup));
    let i = one("authentication {\nauth_type PASS\nauth_pass 1234567890\n}");
    assert_eq!(
        i.authentication,
        Some(Authentication::Pass(b"12345678".to_vec()))
    );
}

#[test]
fn nopreempt_cleared_at_255_and_for_master() {
    assert!(!one("priority 255\nnopreempt").nopreempt);
    assert!(!one("state MASTER\npriority 100\nnopreempt").nopreempt);
    let i = one("state BACKUP\nnopreempt\npreempt_delay 10");
    assert!(i.nopreempt);
    assert_eq!(i.preempt_delay, Duration::ZERO);
    assert_eq!(
        one("preempt_delay 10").preempt_delay,
        Duration::from_secs(10)
    );
}

#[test]
fn strict_mode_defaults() {
    let i = one("strict_mode\nauthentication {\nauth_type PASS\nauth_pass x\n}");
    assert!(!i.accept);
    assert_eq!(i.authentication, None);
    assert_eq!(i.lower_prio_no_advert, Some(true));
    let i = one("strict_mode on\npriority 255\nversion 3");
    assert!(i.accept);
}

#[test]
fn skip_check_adv_addr_off_still_sets_it() {
    assert_eq!(
        one("skip_check_adv_addr off").skip_check_adv_addr,
        Some(true)
    );
}

#[test]
fn values_out_of_range_fall_back_with_an_error() {
    let l = load_str(
        "/t/k.conf",
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 256\npriority 0\n}\n",
    );
    let codes: Vec<_> = l
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.line, d.span.column))
        .collect();
    assert_eq!(
        codes,
        vec![("value-out-of-range", 3, 19), ("value-out-of-range", 4, 10)]
    );
    assert_eq!(l.config.instances[0].priority, 100);
    assert_eq!(l.config.instances[0].virtual_router_id, None);
}

#[test]
fn vip_options_and_tracking() {
    let i = one(
        "virtual_ipaddress {\n192.0.2.1/24 brd 192.0.2.255 dev eth1 scope global label eth1:1\n}\n\
         track_script {\nchk weight -20\n}\ntrack_interface {\neth1 weight 10 reverse\n}",
    );
    let v = &i.virtual_ipaddress[0];
    assert_eq!(v.prefix_len, 24);
    assert_eq!(v.dev.as_deref(), Some("eth1"));
    assert_eq!(v.label.as_deref(), Some("eth1:1"));
    assert_eq!(i.track_script[0].weight, Some(-20));
    assert!(i.track_interface[0].reverse);
}

#[test]
fn scripts_and_groups() {
    let l = load_str(
        "/t/k.conf",
        "vrrp_script chk {\nscript \"/usr/bin/pgrep nginx\"\ninterval 2\nweight -30\nfall 3\n}\n\
         vrrp_script nothing {\ninterval 1\n}\n\
         vrrp_sync_group G {\ngroup {\nA\nB\n}\n}\n",
    );
    assert_eq!(l.config.scripts.len(), 1);
    let s = &l.config.scripts[0];
    assert_eq!(
        (s.script.as_str(), s.interval, s.weight, s.fall),
        ("/usr/bin/pgrep nginx", Duration::from_secs(2), -30, 3)
    );
    assert_eq!(l.config.sync_groups[0].group, vec!["A", "B"]);
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.code == "missing-required" && d.span.line == 7));
}

#[test]
fn non_vrrp_blocks_are_notes() {
    let l = load_str(
        "/t/k.conf",
        "virtual_server 192.0.2.1 80 {\n  lb_algo rr\n  real_server 192.0.2.2 80 {\n    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n    }\n  }\n}\n",
    );
    assert_eq!(l.diagnostics.len(), 1);
    assert_eq!(l.diagnostics[0].severity, Severity::Note);
    // keepalived's checker runs it: noted, and `vrrpd -t` does not fail on it.
    assert_eq!(l.diagnostics[0].code, "not-vrrp");
    assert!(
        l.diagnostics[0].message.contains("--check"),
        "{}",
        l.diagnostics[0].message
    );
    assert_eq!(
        l.tree.nodes[0].children()[1].children()[0].name(),
        "HTTP_GET"
    );
}

#[test]
fn includes_are_relative_to_the_including_file_and_keep_spans() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("conf.d");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("keepalived.conf"),
        "include conf.d/*.conf\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("b.conf"),
        "vrrp_instance B {\n  interface eth0\n  virtual_router_id 2\n}\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("a.conf"),
        "include ../x/{one,two}.inc\ninclude ../nothing/*.conf\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("x")).unwrap();
    std::fs::write(
        dir.path().join("x/two.inc"),
        "\nvrrp_instance A {\n virtual_router_id 1\n}\n",
    )
    .unwrap();
    let l = vrrp::config::load(&dir.path().join("keepalived.conf")).unwrap();
    let names: Vec<_> = l.config.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["A", "B"]);
    let a = &l.config.instances[0];
    assert_eq!(
        a.span.file.to_path_buf(),
        dir.path().join("conf.d/../x/two.inc")
    );
    assert_eq!((a.span.line, a.span.column), (2, 1));
    assert_eq!(l.sources.len(), 4);
    // ../nothing matches no file: keepalived skips it silently, we warn.
    assert!(l.diagnostics.iter().any(|d| d.code == "include-no-match"));
}

#[test]
fn unreadable_top_file_is_the_only_error() {
    let e = vrrp::config::load(std::path::Path::new("/nonexistent/keepalived.conf")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/keepalived.conf"));
}

#[test]
fn config_id_selects_lines() {
    let text = "vrrp_instance A {\ninterface eth0\nvirtual_router_id 1\n@lb1 priority 150\n@lb2 priority 100\n}\n";
    let opts = |id: &str| LoadOptions {
        config_id: Some(id.into()),
    };
    assert_eq!(
        load_str_with("/t/k", text, &opts("lb1")).config.instances[0].priority,
        150
    );
    assert_eq!(
        load_str_with("/t/k", text, &opts("lb2")).config.instances[0].priority,
        100
    );
}

// ---- Every keyword keepalived accepts in a VRRP block is either run or noted (issue 9) ----

/// The keywords vrrpd runs: (block, keyword, context lines of the block, the keyword's line,
/// blocks after the instance). The keyword's line must change the built model (against the
/// same file without it) and get no `not-run-by-vrrpd` note. Which model fields the daemon
/// reads was audited by hand; this keeps the parser side honest.
#[rustfmt::skip]
const RUNS: &[(&str, &str, &str, &str, &str)] = &[
    ("global_defs", "router_id", "", "router_id r1", ""),
    ("global_defs", "vrrp_version", "", "vrrp_version 3", ""),
    ("global_defs", "vrrp_mcast_group4", "", "vrrp_mcast_group4 224.0.0.19", ""),
    ("global_defs", "vrrp_mcast_group6", "", "vrrp_mcast_group6 ff02::13", ""),
    ("global_defs", "vrrp_garp_master_delay", "", "vrrp_garp_master_delay 7", ""),
    ("global_defs", "vrrp_garp_master_repeat", "", "vrrp_garp_master_repeat 7", ""),
    ("global_defs", "vrrp_garp_master_refresh", "", "vrrp_garp_master_refresh 7", ""),
    ("global_defs", "vrrp_garp_master_refresh_repeat", "", "vrrp_garp_master_refresh_repeat 7", ""),
    ("global_defs", "vrrp_garp_lower_prio_delay", "", "vrrp_garp_lower_prio_delay 7", ""),
    ("global_defs", "vrrp_garp_lower_prio_repeat", "", "vrrp_garp_lower_prio_repeat 7", ""),
    ("global_defs", "vrrp_garp_interval", "", "vrrp_garp_interval 0.5", ""),
    ("global_defs", "vrrp_gna_interval", "", "vrrp_gna_interval 0.5", ""),
    ("global_defs", "vrrp_startup_delay", "", "vrrp_startup_delay 2.5", ""),
    ("global_defs", "log_unknown_vrids", "", "log_unknown_vrids", ""),
    ("global_defs", "vrrp_min_garp", "", "vrrp_min_garp true", ""),
    ("global_defs", "vrrp_down_timer_adverts", "", "vrrp_down_timer_adverts 7", ""),
    ("global_defs", "vrrp_lower_prio_no_advert", "", "vrrp_lower_prio_no_advert true", ""),
    ("global_defs", "vrrp_higher_prio_send_advert", "", "vrrp_higher_prio_send_advert true", ""),
    ("global_defs", "vrrp_strict", "", "vrrp_strict", ""),
    ("global_defs", "nftables", "", "nftables vrrp_t", ""),
    ("global_defs", "nftables_priority", "", "nftables_priority 5", ""),
    ("global_defs", "nftables_counters", "", "nftables_counters", ""),
    ("global_defs", "nftables_ifindex", "", "nftables_ifindex", ""),
    // Said as keepalived's NFTABLES-only build says it (an error): its own test below.
    ("global_defs", "vrrp_iptables", "", "", ""),
    ("global_defs", "vrrp_skip_check_adv_addr", "", "vrrp_skip_check_adv_addr", ""),
    ("global_defs", "vrrp_check_unicast_src", "", "vrrp_check_unicast_src", ""),
    ("global_defs", "enable_script_security", "", "enable_script_security", ""),
    ("global_defs", "fifo_write_vrrp_states_on_reload", "", "fifo_write_vrrp_states_on_reload", ""),
    ("global_defs", "no_email_faults", "", "no_email_faults", ""),
    ("global_defs", "script_user", "", "script_user nobody", ""),
    ("global_defs", "notification_email", "", "notification_email {\na@example.com\n}", ""),
    ("global_defs", "notification_email_from", "", "notification_email_from a@example.com", ""),
    ("global_defs", "smtp_server", "", "smtp_server 192.0.2.9", ""),
    ("global_defs", "smtp_helo_name", "", "smtp_helo_name h1", ""),
    ("global_defs", "smtp_connect_timeout", "", "smtp_connect_timeout 7", ""),
    ("global_defs", "smtp_alert", "", "smtp_alert true", ""),
    ("global_defs", "smtp_alert_vrrp", "", "smtp_alert_vrrp true", ""),
    ("global_defs", "vrrp_notify_priority_changes", "", "vrrp_notify_priority_changes true", ""),
    ("global_defs", "startup_script", "", "startup_script /bin/true", ""),
    ("global_defs", "shutdown_script", "", "shutdown_script /bin/true", ""),
    ("global_defs", "startup_script_timeout", "", "startup_script_timeout 7", ""),
    ("global_defs", "shutdown_script_timeout", "", "shutdown_script_timeout 7", ""),
    ("global_defs", "notify_fifo", "", "notify_fifo /tmp/f1", ""),
    ("global_defs", "notify_fifo_script", "notify_fifo /tmp/f1", "notify_fifo_script /bin/true", ""),
    ("global_defs", "vrrp_notify_fifo", "", "vrrp_notify_fifo /tmp/f2", ""),
    ("global_defs", "vrrp_notify_fifo_script", "vrrp_notify_fifo /tmp/f2", "vrrp_notify_fifo_script /bin/true", ""),
    ("global_defs", "vmac_prefix", "", "vmac_prefix vm", ""),
    ("global_defs", "vmac_addr_prefix", "", "vmac_addr_prefix vm", ""),
    ("global_defs", "process_monitor_rcv_bufs", "", "process_monitor_rcv_bufs 4096", ""),
    ("global_defs", "process_monitor_rcv_bufs_force", "", "process_monitor_rcv_bufs_force true", ""),
    // interface and virtual_router_id are in every instance of this table (they are required).
    ("vrrp_instance", "interface", "", "", ""),
    ("vrrp_instance", "virtual_router_id", "", "", ""),
    ("vrrp_instance", "state", "", "state BACKUP", ""),
    ("vrrp_instance", "priority", "", "priority 50", ""),
    ("vrrp_instance", "advert_int", "", "advert_int 2", ""),
    ("vrrp_instance", "version", "", "version 3", ""),
    ("vrrp_instance", "authentication", "", "authentication {\nauth_type PASS\nauth_pass secret\n}", ""),
    ("vrrp_instance", "virtual_ipaddress", "", "virtual_ipaddress {\n192.0.2.1\n}", ""),
    ("vrrp_instance", "virtual_ipaddress_excluded", "", "virtual_ipaddress_excluded {\n192.0.2.2\n}", ""),
    ("vrrp_instance", "virtual_routes", "", "virtual_routes {\n198.51.100.0/24 via 192.0.2.254\n}", ""),
    ("vrrp_instance", "mcast_src_ip", "", "mcast_src_ip 192.0.2.3", ""),
    ("vrrp_instance", "unicast_src_ip", "", "unicast_src_ip 192.0.2.3", ""),
    ("vrrp_instance", "mcast_dst_ip", "", "mcast_dst_ip 224.0.0.19", ""),
    ("vrrp_instance", "unicast_peer", "", "unicast_peer {\n192.0.2.4\n}", ""),
    ("vrrp_instance", "unicast_ttl", "", "unicast_ttl 7", ""),
    ("vrrp_instance", "check_unicast_src", "", "check_unicast_src", ""),
    ("vrrp_instance", "nopreempt", "", "nopreempt", ""),
    ("vrrp_instance", "preempt", "nopreempt", "preempt", ""),
    ("vrrp_instance", "preempt_delay", "", "preempt_delay 7", ""),
    ("vrrp_instance", "accept", "no_accept", "accept", ""),
    ("vrrp_instance", "no_accept", "", "no_accept", ""),
    ("vrrp_instance", "garp_master_delay", "", "garp_master_delay 7", ""),
    ("vrrp_instance", "garp_master_repeat", "", "garp_master_repeat 7", ""),
    ("vrrp_instance", "garp_master_refresh", "", "garp_master_refresh 7", ""),
    ("vrrp_instance", "garp_master_refresh_repeat", "", "garp_master_refresh_repeat 7", ""),
    ("vrrp_instance", "garp_lower_prio_delay", "", "garp_lower_prio_delay 7", ""),
    ("vrrp_instance", "garp_lower_prio_repeat", "", "garp_lower_prio_repeat 7", ""),
    ("vrrp_instance", "down_timer_adverts", "", "down_timer_adverts 7", ""),
    ("vrrp_instance", "lower_prio_no_advert", "", "lower_prio_no_advert true", ""),
    ("vrrp_instance", "higher_prio_send_advert", "", "higher_prio_send_advert true", ""),
    ("vrrp_instance", "skip_check_adv_addr", "", "skip_check_adv_addr", ""),
    ("vrrp_instance", "strict_mode", "", "strict_mode true", ""),
    ("vrrp_instance", "dont_track_primary", "", "dont_track_primary", ""),
    ("vrrp_instance", "promote_secondaries", "", "promote_secondaries", ""),
    ("vrrp_instance", "unicast_fault_no_peer", "", "unicast_fault_no_peer", ""),
    ("vrrp_instance", "track_interface", "", "track_interface {\neth1\n}", ""),
    ("vrrp_instance", "track_script", "", "track_script {\nchk\n}", "vrrp_script chk {\nscript /bin/true\n}"),
    ("vrrp_instance", "track_process", "", "track_process {\np1\n}", "vrrp_track_process p1 {\nprocess x\n}"),
    ("vrrp_instance", "track_file", "", "track_file {\nf1\n}", "track_file f1 {\nfile /tmp/x\n}"),
    ("vrrp_instance", "notify_master", "", "notify_master /bin/true", ""),
    ("vrrp_instance", "notify_backup", "", "notify_backup /bin/true", ""),
    ("vrrp_instance", "notify_fault", "", "notify_fault /bin/true", ""),
    ("vrrp_instance", "notify_stop", "", "notify_stop /bin/true", ""),
    ("vrrp_instance", "notify_deleted", "", "notify_deleted /bin/true", ""),
    ("vrrp_instance", "notify", "", "notify /bin/true", ""),
    ("vrrp_instance", "notify_master_rx_lower_pri", "", "notify_master_rx_lower_pri /bin/true", ""),
    ("vrrp_instance", "notify_priority_changes", "", "notify_priority_changes true", ""),
    ("vrrp_instance", "smtp_alert", "", "smtp_alert true", ""),
    ("vrrp_instance", "use_vmac", "", "use_vmac", ""),
    ("vrrp_instance", "use_vmac_addr", "", "use_vmac_addr", ""),
    ("vrrp_instance", "vmac_xmit_base", "use_vmac", "vmac_xmit_base", ""),
    ("vrrp_instance", "native_ipv6", "", "native_ipv6", ""),
    ("authentication", "auth_type", "", "authentication {\nauth_type PASS\nauth_pass secret\n}", ""),
    ("authentication", "auth_pass", "authentication {\nauth_type PASS", "auth_pass secret\n}", ""),
    ("vrrp_script", "script", "interval 3", "script /bin/true", ""),
    ("vrrp_script", "interval", "script /bin/true", "interval 3", ""),
    ("vrrp_script", "timeout", "script /bin/true", "timeout 3", ""),
    ("vrrp_script", "weight", "script /bin/true", "weight 10", ""),
    ("vrrp_script", "rise", "script /bin/true", "rise 3", ""),
    ("vrrp_script", "fall", "script /bin/true", "fall 3", ""),
    ("vrrp_script", "user", "script /bin/true", "user nobody", ""),
    ("vrrp_script", "init_fail", "script /bin/true", "init_fail", ""),
    ("vrrp_track_process", "process", "weight 1", "process x", ""),
    ("vrrp_track_process", "param_match", "process x", "param_match initial", ""),
    ("vrrp_track_process", "weight", "process x", "weight 10", ""),
    ("vrrp_track_process", "quorum", "process x", "quorum 2", ""),
    ("vrrp_track_process", "quorum_max", "process x", "quorum_max 3", ""),
    ("vrrp_track_process", "delay", "process x", "delay 3", ""),
    ("vrrp_track_process", "fork_delay", "process x", "fork_delay 3", ""),
    ("vrrp_track_process", "terminate_delay", "process x", "terminate_delay 3", ""),
    ("vrrp_track_process", "full_command", "process x", "full_command", ""),
    ("track_file", "file", "weight 1", "file /tmp/x", ""),
    ("track_file", "weight", "file /tmp/x", "weight 10", ""),
    ("track_file", "init_file", "file /tmp/x", "init_file", ""),
    ("vrrp_sync_group", "group", "", "group {\nVI\n}", ""),
    ("vrrp_sync_group", "track_interface", "group {\nVI\n}", "track_interface {\neth1\n}", ""),
    ("vrrp_sync_group", "track_script", "group {\nVI\n}", "track_script {\nchk\n}", "vrrp_script chk {\nscript /bin/true\n}"),
    ("vrrp_sync_group", "track_file", "group {\nVI\n}", "track_file {\nf1\n}", "track_file f1 {\nfile /tmp/x\n}"),
    ("vrrp_sync_group", "track_process", "group {\nVI\n}", "track_process {\np1\n}", "vrrp_track_process p1 {\nprocess x\n}"),
    ("vrrp_sync_group", "notify_master", "group {\nVI\n}", "notify_master /bin/true", ""),
    ("vrrp_sync_group", "notify_backup", "group {\nVI\n}", "notify_backup /bin/true", ""),
    ("vrrp_sync_group", "notify_fault", "group {\nVI\n}", "notify_fault /bin/true", ""),
    ("vrrp_sync_group", "notify_stop", "group {\nVI\n}", "notify_stop /bin/true", ""),
    ("vrrp_sync_group", "notify", "group {\nVI\n}", "notify /bin/true", ""),
    ("vrrp_sync_group", "smtp_alert", "group {\nVI\n}", "smtp_alert true", ""),
    ("vrrp_sync_group", "global_tracking", "group {\nVI\n}", "global_tracking", ""),
    ("vrrp_sync_group", "sync_group_tracking_weight", "group {\nVI\n}", "sync_group_tracking_weight", ""),
    ("vrrp_sync_group", "notify_priority_changes", "group {\nVI\n}", "notify_priority_changes true", ""),
];

/// One file: an instance `VI` on eth0, then `block` (when not the instance) holding `body`,
/// then `after`.
fn keyword_file(block: &str, body: &str, after: &str) -> String {
    let (inst, outer) = match block {
        "vrrp_instance" | "authentication" => (body.to_string(), String::new()),
        "global_defs" => (String::new(), format!("global_defs {{\n{body}\n}}\n")),
        b => (String::new(), format!("{b} x1 {{\n{body}\n}}\n")),
    };
    format!(
        "vrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\n{inst}\n}}\n{outer}{after}\n"
    )
}

/// The messages of every note of a kind vrrpd does not run (any `NotRun` code).
fn not_run_notes(l: &vrrp::config::Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| vrrp::config::NotRun::from_code(d.code).is_some())
        .map(|d| d.message.clone())
        .collect()
}

/// Every (block, keyword, why, kind) vrrpd reads but does not run.
fn not_run_rows() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    vrrp::config::NotRun,
)> {
    use vrrp::config::{NotRun, NOT_RUN_YET, NOT_VRRP, TUNING_IGNORED};
    [
        (NOT_RUN_YET, NotRun::Vrrp),
        (NOT_VRRP, NotRun::OtherProcess),
        (TUNING_IGNORED, NotRun::Tuning),
    ]
    .into_iter()
    .flat_map(|(t, k)| t.iter().map(move |(b, kw, w)| (*b, *kw, *w, k)))
    .collect()
}

#[test]
fn every_vrrp_keyword_is_run_or_noted() {
    use vrrp::config::keywords;
    let lists: &[(&str, &[&str])] = &[
        ("global_defs", keywords::GLOBAL_DEFS),
        ("vrrp_instance", keywords::VRRP_INSTANCE),
        ("authentication", keywords::AUTHENTICATION),
        ("vrrp_script", keywords::VRRP_SCRIPT),
        ("vrrp_track_process", keywords::VRRP_TRACK_PROCESS),
        ("track_file", keywords::TRACK_FILE),
        ("vrrp_sync_group", keywords::VRRP_SYNC_GROUP),
    ];
    let mut unclassified = Vec::new();
    for (block, list) in lists {
        for kw in *list {
            let runs = RUNS.iter().filter(|r| r.0 == *block && r.1 == *kw).count();
            let noted = not_run_rows()
                .iter()
                .filter(|n| n.0 == *block && n.1 == *kw)
                .count();
            if runs + noted != 1 {
                unclassified.push(format!("{block} {kw}: {runs} run rows, {noted} notes"));
            }
        }
    }
    assert!(
        unclassified.is_empty(),
        "each keyword needs one row in RUNS (with an effect) or in one of config::build's NOT_RUN_YET, NOT_VRRP, TUNING_IGNORED:\n{}",
        unclassified.join("\n")
    );
}

#[test]
fn run_keywords_change_the_model_without_a_note() {
    let mut bad = Vec::new();
    for (block, kw, ctx, line, after) in RUNS {
        if line.is_empty() {
            continue;
        }
        let base = load_str("/t/k.conf", &keyword_file(block, ctx, after));
        let with = load_str(
            "/t/k.conf",
            &keyword_file(block, &format!("{ctx}\n{line}"), after),
        );
        if with.has_errors() {
            bad.push(format!("{block} {kw}: errors {:?}", with.diagnostics));
        } else if !not_run_notes(&with).is_empty() {
            bad.push(format!("{block} {kw}: noted {:?}", not_run_notes(&with)));
        } else if format!("{:?}", base.config) == format!("{:?}", with.config) {
            bad.push(format!(
                "{block} {kw}: `{line}` changes nothing in the model"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn not_run_keywords_get_their_note() {
    let mut missing = Vec::new();
    for (block, kw, why, kind) in not_run_rows() {
        let line = format!("{kw} 1");
        let file = match block {
            "vrrp_sync_group" => keyword_file(block, &format!("group {{\nVI\n}}\n{line}"), ""),
            b => keyword_file(b, &line, ""),
        };
        let l = load_str("/t/k.conf", &file);
        let found = l.diagnostics.iter().any(|d| {
            d.code == kind.code()
                && d.message.contains(&format!("`{kw}`"))
                && d.message.contains(why)
        });
        if !found {
            missing.push(format!(
                "{block} {kw} ({}): {:?}",
                kind.code(),
                not_run_notes(&l)
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn root_keywords_vrrpd_does_not_run_get_the_note_of_their_kind() {
    use vrrp::config::{NotRun, NOT_RUN_BY_VRRPD, NOT_VRRP_BLOCKS, TUNING_BLOCKS};
    let rows = NOT_RUN_BY_VRRPD
        .iter()
        .map(|b| (*b, NotRun::Vrrp))
        .chain(
            NOT_VRRP_BLOCKS
                .iter()
                .map(|(b, _)| (*b, NotRun::OtherProcess)),
        )
        .chain(TUNING_BLOCKS.iter().map(|(b, _)| (*b, NotRun::Tuning)));
    for (block, kind) in rows {
        let l = load_str("/t/k.conf", &format!("{block} x {{\n}}\n"));
        let codes: Vec<&str> = l.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&kind.code()), "{block}: {codes:?}");
    }
}

/// keepalived names its table through libnftnl (any name); vrrpd writes with the nft command,
/// whose syntax cannot say `1abc` (measured: nft 1.0.6 "syntax error, unexpected number").
/// Such a name is noted as not run, so `vrrpd -t` fails; nft's own names pass.
#[test]
fn an_nftables_table_name_nft_cannot_write_is_noted_as_not_run() {
    for (name, ok) in [
        ("1abc", false),
        ("vrrp table", false),
        ("my-table", true),
        ("_x.y/z", true),
        ("keepalived", true),
    ] {
        let l = load_str(
            "/t/k.conf",
            &keyword_file("global_defs", &format!("nftables \"{name}\""), ""),
        );
        let notes = not_run_notes(&l);
        assert_eq!(notes.is_empty(), ok, "{name}: {:?}", l.diagnostics);
        if !ok {
            assert!(notes[0].contains(&format!("`{name}`")), "{notes:?}");
        }
    }
}

#[test]
fn nftables_keywords_are_read_as_keepalived_reads_them() {
    let g = |text: &str| {
        let l = load_str("/t/k.conf", &keyword_file("global_defs", text, ""));
        assert!(not_run_notes(&l).is_empty(), "{text}: {:?}", l.diagnostics);
        let errors: Vec<String> = l
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        (l.config.global, errors)
    };
    let (d, e) = g("nftables");
    assert_eq!(
        (d.nftables.as_deref(), d.nftables_priority, e.len()),
        (Some("keepalived"), -1, 0)
    );
    let (d, _) = g("nftables mytable\nnftables_priority -7\nnftables_counters\nnftables_ifindex");
    assert_eq!(d.nftables.as_deref(), Some("mytable"));
    assert_eq!(d.nftables_priority, -7);
    assert!(d.nftables_counters && d.nftables_ifindex);
    // `nftables` resets the priority: one given before it does not count (measured).
    assert_eq!(g("nftables_priority 5\nnftables t").0.nftables_priority, -1);
    let (d, e) = g("nftables a\nnftables b");
    assert_eq!(
        (d.nftables.as_deref(), e),
        (
            Some("a"),
            vec!["nftables already specified - ignoring".to_string()]
        )
    );
    // keepalived built with NFTABLES and no IPTABLES (Debian's) runs its nftables table.
    let (d, e) = g("vrrp_iptables IN OUT");
    assert_eq!(d.nftables.as_deref(), Some("keepalived"));
    assert_eq!(e, ["iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option"]);
}

#[test]
fn virtual_address_options_not_applied_are_noted() {
    for (opt, why) in vrrp::config::VIP_OPTIONS_NOT_RUN_YET {
        let value = match *opt {
            "peer" => " 192.0.2.99",
            "preferred_lft" => " 0",
            _ => "",
        };
        let l = load_str(
            "/t/k.conf",
            &keyword_file(
                "vrrp_instance",
                &format!("virtual_ipaddress {{\n192.0.2.1/24 {opt}{value}\n}}"),
                "",
            ),
        );
        let notes = not_run_notes(&l);
        assert!(
            notes
                .iter()
                .any(|m| m.contains(&format!("`{opt}`")) && m.contains(why)),
            "{opt}: {:?}",
            l.diagnostics
        );
        assert_eq!(l.config.instances[0].virtual_ipaddress.len(), 1, "{opt}");
    }
}

/// keepalived reads `track_group` only on a static_ipaddress line; on a virtual address it
/// says "Unknown configuration entry 'track_group' for ip address - ignoring", and the same
/// for the group's name (measured: keepalived -t).
#[test]
fn track_group_on_a_virtual_address_is_unknown_as_in_keepalived() {
    let l = load_str(
        "/t/k.conf",
        &keyword_file(
            "vrrp_instance",
            "virtual_ipaddress {\n192.0.2.1/24 track_group g1\n}",
            "",
        ),
    );
    let unknown: Vec<&str> = l
        .diagnostics
        .iter()
        .filter(|d| d.message.starts_with("unknown option"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(unknown.len(), 2, "{:?}", l.diagnostics);
    assert!(unknown[0].contains("`track_group`"), "{unknown:?}");
    assert!(unknown[1].contains("`g1`"), "{unknown:?}");
    assert_eq!(l.config.instances[0].virtual_ipaddress.len(), 1);
}
