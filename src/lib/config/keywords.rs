//! The keywords keepalived 2.2.7 accepts in each block of the VRRP side (checked against the
//! installed binary with `keepalived -t`), used by lint's `unknown-keyword` and
//! `deprecated-keyword` rules. Blocks whose lines are values (virtual_ipaddress, track_*,
//! unicast_peer, ...) and the blocks vrrpd does not run have no keyword list.

#[rustfmt::skip]
pub const ROOT: &[&str] = &[
    "global_defs", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "use_pid_dir",
    "instance", "child_wait_time", "linkbeat_use_polling", "linkbeat_interfaces",
    "interface_up_down_delays", "track_group", "static_ipaddress", "static_routes", "static_rules",
    "vrrp_sync_group", "garp_group", "vrrp_instance", "vrrp_script", "vrrp_track_process",
    "track_file", "vrrp_track_file", "bfd_instance", "virtual_server", "virtual_server_group",
    "SSL",
];

#[rustfmt::skip]
pub const GLOBAL_DEFS: &[&str] = &[
    "router_id", "tmp_config_directory", "config_save_dir", "process_names", "process_name",
    "vrrp_process_name", "checker_process_name", "bfd_process_name", "lvs_process_name",
    "startup_script", "startup_script_timeout", "shutdown_script", "shutdown_script_timeout",
    "notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
    "smtp_connect_timeout", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker",
    "checker_log_all_failures", "no_email_faults", "vrrp_mcast_group4", "vrrp_mcast_group6",
    "default_interface", "lvs_sync_daemon", "lvs_timeouts", "lvs_flush", "lvs_flush_on_stop",
    "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_lower_prio_delay",
    "vrrp_down_timer_adverts", "vrrp_garp_lower_prio_repeat", "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat", "vrrp_garp_interval", "vrrp_gna_interval",
    "vrrp_min_garp", "vrrp_garp_extra_if", "vrrp_vmac_garp_intvl", "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert", "vrrp_version", "nftables", "nftables_priority",
    "nftables_counters", "nftables_ifindex", "nftables_ipvs", "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark", "vrrp_iptables", "disable_local_igmp",
    "vrrp_check_unicast_src", "vrrp_skip_check_adv_addr", "vrrp_strict",
    "vrrp_notify_priority_changes", "max_auto_priority", "min_auto_priority_delay",
    "vrrp_priority", "checker_priority", "bfd_priority", "vrrp_no_swap", "checker_no_swap",
    "bfd_no_swap", "vrrp_cpu_affinity", "checker_cpu_affinity", "bfd_cpu_affinity",
    "vrrp_rt_priority", "checker_rt_priority", "bfd_rt_priority", "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime", "checker_rlimit_rttime", "checker_rlimit_rtime", "bfd_rlimit_rttime",
    "bfd_rlimit_rtime", "snmp_socket", "enable_snmp_keepalived", "enable_snmp_vrrp",
    "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3",
    "enable_traps", "enable_dbus", "dbus_service_name", "script_user", "enable_script_security",
    "notify_fifo", "notify_fifo_script", "vrrp_notify_fifo", "vrrp_notify_fifo_script",
    "lvs_notify_fifo", "lvs_notify_fifo_script", "fifo_write_vrrp_states_on_reload",
    "dynamic_interfaces", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force", "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier", "rs_init_notifies", "no_checker_emails", "umask",
    "vrrp_startup_delay", "log_unknown_vrids", "vmac_prefix", "vmac_addr_prefix", "random_seed",
    "reload_check_config", "include_check", "reload_time_file", "reload_repeat", "reload_file",
    "data_use_instance",
];

#[rustfmt::skip]
pub const VRRP_INSTANCE: &[&str] = &[
    "state", "interface", "vrf", "virtual_router_id", "priority", "advert_int", "version",
    "authentication", "virtual_ipaddress", "virtual_ipaddress_excluded", "virtual_routes",
    "virtual_rules", "promote_secondaries", "mcast_src_ip", "unicast_src_ip", "mcast_dst_ip",
    "track_src_ip", "unicast_peer", "unicast_fault_no_peer", "unicast_ttl", "check_unicast_src",
    "old_unicast_checksum", "nopreempt", "preempt", "preempt_delay", "accept", "no_accept",
    "garp_master_delay", "garp_master_repeat", "garp_master_refresh",
    "garp_master_refresh_repeat", "garp_lower_prio_delay", "garp_lower_prio_repeat",
    "garp_extra_if", "vmac_garp_intvl", "down_timer_adverts", "lower_prio_no_advert",
    "higher_prio_send_advert", "skip_check_adv_addr", "strict_mode", "dont_track_primary",
    "track_interface", "track_script", "track_file", "track_process", "track_bfd",
    "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_deleted", "notify",
    "notify_master_rx_lower_pri", "notify_priority_changes", "smtp_alert", "use_vmac",
    "use_vmac_addr", "vmac_xmit_base", "use_ipvlan", "native_ipv6", "lvs_sync_daemon_interface",
    "linkbeat_use_polling", "debug", "kernel_rx_buf_size",
];

#[rustfmt::skip]
pub const AUTHENTICATION: &[&str] = &["auth_type", "auth_pass"];

#[rustfmt::skip]
pub const VRRP_SCRIPT: &[&str] = &[
    "script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail",
];

#[rustfmt::skip]
pub const VRRP_TRACK_PROCESS: &[&str] = &[
    "process", "param_match", "weight", "quorum", "quorum_max", "delay", "fork_delay",
    "terminate_delay", "full_command",
];

#[rustfmt::skip]
pub const TRACK_FILE: &[&str] = &["file", "weight", "init_file"];

#[rustfmt::skip]
pub const VRRP_SYNC_GROUP: &[&str] = &[
    "group", "track_interface", "track_script", "track_file", "track_process", "track_bfd",
    "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify", "smtp_alert",
    "global_tracking", "sync_group_tracking_weight", "notify_priority_changes",
];

// The LVS side (keepalived/check/check_parser.c and the checkers' install_*_keyword): vrrpd
// does not run it, but keepalived -t reads it, so a typo there is still an error.

#[rustfmt::skip]
pub const VIRTUAL_SERVER: &[&str] = &[
    "ip_family", "retry", "delay_before_retry", "warmup", "connect_timeout", "delay_loop",
    "inhibit_on_failure", "lb_algo", "lvs_sched", "hashed", "ops", "flag-1", "flag-2", "flag-3",
    "sh-port", "sh-fallback", "mh-port", "mh-fallback", "lb_kind", "lvs_method",
    "persistence_engine", "persistence_timeout", "persistence_granularity", "protocol",
    "ha_suspend", "smtp_alert", "virtualhost", "snmp_name", "alpha", "omega", "quorum_up",
    "quorum_down", "quorum", "hysteresis", "weight", "sorry_server", "sorry_server_inhibit",
    "sorry_server_lvs_method", "real_server",
];

#[rustfmt::skip]
pub const REAL_SERVER: &[&str] = &[
    "weight", "lvs_method", "uthreshold", "lthreshold", "inhibit_on_failure", "notify_up",
    "notify_down", "alpha", "retry", "delay_before_retry", "warmup", "connect_timeout",
    "delay_loop", "smtp_alert", "virtualhost", "snmp_name", "MISC_CHECK", "SMTP_CHECK",
    "TCP_CHECK", "PING_CHECK", "UDP_CHECK", "HTTP_GET", "SSL_GET", "DNS_CHECK", "FILE_CHECK",
    "BFD_CHECK",
];

/// check_api.c install_checker_common_keywords(true).
#[rustfmt::skip]
const CHECKER_CONNECTION: &[&str] = &[
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark",
    "retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures",
];

#[rustfmt::skip]
pub const HTTP_GET: &[&str] = &[
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark",
    "retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures",
    "nb_get_retry", "virtualhost", "http_protocol", "enable_sni", "fast_recovery", "url",
];

#[rustfmt::skip]
pub const URL: &[&str] = &[
    "path", "digest", "status_code", "virtualhost", "regex", "regex_no_match", "regex_options",
    "regex_min_offset", "regex_max_offset", "regex_stack",
];

#[rustfmt::skip]
pub const MISC_CHECK: &[&str] = &[
    "retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures",
    "misc_path", "misc_timeout", "misc_dynamic", "user",
];

#[rustfmt::skip]
pub const SMTP_CHECK: &[&str] = &[
    "helo_name", "connect_ip", "connect_port", "bindto", "bind_port", "bind_if",
    "connect_timeout", "fwmark", "retry", "delay_before_retry", "warmup", "delay_loop", "alpha",
    "log_all_failures", "host",
];

#[rustfmt::skip]
pub const DNS_CHECK: &[&str] = &[
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark",
    "retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures", "type",
    "name",
];

#[rustfmt::skip]
pub const UDP_CHECK: &[&str] = &[
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark",
    "retry", "delay_before_retry", "warmup", "delay_loop", "alpha", "log_all_failures",
    "payload", "require_reply", "min_reply_length", "max_reply_length",
];

#[rustfmt::skip]
pub const FILE_CHECK: &[&str] = &["track_file", "weight"];

#[rustfmt::skip]
pub const BFD_CHECK: &[&str] = &["name", "alpha"];

#[rustfmt::skip]
pub const SSL: &[&str] = &["password", "ca", "certificate", "key"];

/// Deprecated keywords with what replaces them: (block, keyword, replacement).
#[rustfmt::skip]
pub const DEPRECATED: &[(&str, &str, &str)] = &[
    ("", "vrrp_track_file", "track_file"),
    ("global_defs", "vrrp_vmac_garp_intvl", "vrrp_garp_extra_if"),
    ("global_defs", "vrrp_rlimit_rtime", "vrrp_rlimit_rttime"),
    ("global_defs", "checker_rlimit_rtime", "checker_rlimit_rttime"),
    ("global_defs", "bfd_rlimit_rtime", "bfd_rlimit_rttime"),
    ("global_defs", "enable_snmp_keepalived", "enable_snmp_vrrp"),
    ("global_defs", "lvs_process_name", "checker_process_name"),
    ("vrrp_instance", "vmac_garp_intvl", "garp_extra_if"),
    ("vrrp_instance", "lvs_sync_daemon_interface", "global_defs lvs_sync_daemon"),
    ("vrrp_instance", "linkbeat_use_polling", "a top-level linkbeat_interfaces block"),
    ("vrrp_instance", "native_ipv6", "an IPv6 virtual_ipaddress"),
    ("vrrp_sync_group", "global_tracking", "sync_group_tracking_weight"),
];

/// The keywords allowed directly inside a block reached by `path` (names of the enclosing
/// keywords, outermost first); None when the lines of that block are values (or the block has
/// no fixed keyword list, such as virtual_server_group).
pub fn allowed(path: &[&str]) -> Option<&'static [&'static str]> {
    Some(match path {
        [] => ROOT,
        ["SSL"] => SSL,
        ["virtual_server"] => VIRTUAL_SERVER,
        ["virtual_server", "real_server"] => REAL_SERVER,
        ["virtual_server", "real_server", checker] => checker_keywords(checker)?,
        ["virtual_server", "real_server", "HTTP_GET" | "SSL_GET", "url"] => URL,
        ["virtual_server", "real_server", "SMTP_CHECK", "host"] => CHECKER_CONNECTION,
        ["global_defs"] => GLOBAL_DEFS,
        ["vrrp_instance"] => VRRP_INSTANCE,
        ["vrrp_instance", "authentication"] => AUTHENTICATION,
        ["vrrp_script"] => VRRP_SCRIPT,
        ["vrrp_track_process"] => VRRP_TRACK_PROCESS,
        ["track_file" | "vrrp_track_file"] => TRACK_FILE,
        ["vrrp_sync_group"] => VRRP_SYNC_GROUP,
        _ => return None,
    })
}

fn checker_keywords(checker: &str) -> Option<&'static [&'static str]> {
    Some(match checker {
        "HTTP_GET" | "SSL_GET" => HTTP_GET,
        "TCP_CHECK" | "PING_CHECK" => CHECKER_CONNECTION,
        "MISC_CHECK" => MISC_CHECK,
        "SMTP_CHECK" => SMTP_CHECK,
        "DNS_CHECK" => DNS_CHECK,
        "UDP_CHECK" => UDP_CHECK,
        "FILE_CHECK" => FILE_CHECK,
        "BFD_CHECK" => BFD_CHECK,
        _ => return None,
    })
}
