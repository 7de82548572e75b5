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
    assert_eq!(l.diagnostics[0].code, "not-run-by-vrrpd");
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
