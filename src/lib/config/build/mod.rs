//! Keyword tree -> typed model. Reads the VRRP side (global_defs, vrrp_script,
//! vrrp_track_process, track_file, vrrp_sync_group, vrrp_instance), then applies keepalived
//! 2.2.7's defaults and inheritance once the whole file is known (globals may come last).
//! Blocks vrrpd does not run are kept in the tree and get a `not-run-by-vrrpd` note.

mod global;
mod instance;
mod track;

use super::diag::Diagnostic;
use super::model::Config;
use super::tree::{KeywordTree, Node};
use super::values::Reader;

/// Root keywords of keepalived that vrrpd reads but does not run.
pub const NOT_RUN_BY_VRRPD: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "SSL",
    "bfd_instance",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "garp_group",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
];

/// Keywords inside blocks vrrpd reads that it parses but does not run yet: (block, keyword,
/// why). Each use gets a `not-run-by-vrrpd` note at start, and `vrrpd -t` fails on it.
#[rustfmt::skip]
pub const NOT_RUN_YET: &[(&str, &str, &str)] = &[
    ("vrrp_instance", "track_bfd", "vrrpd runs no BFD"),
    ("vrrp_instance", "use_ipvlan", "ipvlan interfaces are not implemented"),
    ("vrrp_instance", "virtual_rules", "vrrpd adds no ip rules yet"),
    ("vrrp_instance", "lvs_sync_daemon_interface", "vrrpd runs no LVS"),
    ("vrrp_sync_group", "track_bfd", "vrrpd runs no BFD"),
    ("global_defs", "enable_traps", "vrrpd has no SNMP"),
    ("global_defs", "enable_snmp_vrrp", "vrrpd has no SNMP"),
    ("global_defs", "enable_snmp_keepalived", "vrrpd has no SNMP"),
    ("global_defs", "enable_snmp_rfc", "vrrpd has no SNMP"),
    ("global_defs", "enable_snmp_rfcv2", "vrrpd has no SNMP"),
    ("global_defs", "enable_snmp_rfcv3", "vrrpd has no SNMP"),
    ("global_defs", "enable_dbus", "vrrpd has no DBus"),
    ("global_defs", "lvs_sync_daemon", "vrrpd runs no LVS"),
    // VRRP-side keywords vrrpd does not act on yet.
    ("vrrp_instance", "vrf", "vrrpd does not bind instances to a VRF"),
    ("vrrp_instance", "unicast_fault_no_peer", "vrrpd does not go to FAULT for an empty unicast_peer"),
    ("vrrp_instance", "old_unicast_checksum", "vrrpd sends only the RFC checksum"),
    ("vrrp_instance", "garp_extra_if", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("vrrp_instance", "vmac_garp_intvl", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("vrrp_instance", "linkbeat_use_polling", "vrrpd watches links by netlink only"),
    ("vrrp_instance", "debug", "vrrpd has no per-instance debug level"),
    ("vrrp_instance", "kernel_rx_buf_size", "vrrpd keeps the kernel's receive buffer size"),
    ("vrrp_instance", "track_src_ip", "vrrpd does not track the source address"),
    ("vrrp_instance", "promote_secondaries", "vrrpd does not set the promote_secondaries sysctl of the interface"),
    ("global_defs", "tmp_config_directory", "vrrpd reads the config file itself"),
    ("global_defs", "config_save_dir", "vrrpd saves no config copies"),
    ("global_defs", "process_names", "vrrpd keeps its own process name"),
    ("global_defs", "process_name", "vrrpd keeps its own process name"),
    ("global_defs", "vrrp_process_name", "vrrpd keeps its own process name"),
    ("global_defs", "default_interface", "vrrpd uses no default interface"),
    ("global_defs", "vrrp_garp_extra_if", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("global_defs", "vrrp_vmac_garp_intvl", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("global_defs", "disable_local_igmp", "vrrpd does not change the IGMP sysctls"),
    ("global_defs", "max_auto_priority", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "min_auto_priority_delay", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_priority", "vrrpd keeps its scheduling priority"),
    ("global_defs", "vrrp_no_swap", "vrrpd does not lock its memory"),
    ("global_defs", "vrrp_cpu_affinity", "vrrpd sets no CPU affinity"),
    ("global_defs", "vrrp_rt_priority", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_rlimit_rttime", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_rlimit_rtime", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "snmp_socket", "vrrpd has no SNMP"),
    ("global_defs", "dbus_service_name", "vrrpd has no DBus"),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs_force", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_monitor_rcv_bufs", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_monitor_rcv_bufs_force", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_rx_bufs_policy", "vrrpd keeps the kernel's receive buffer size"),
    ("global_defs", "vrrp_rx_bufs_multiplier", "vrrpd keeps the kernel's receive buffer size"),
    ("global_defs", "umask", "vrrpd keeps the umask it is started with"),
    ("global_defs", "vrrp_startup_delay", "vrrpd starts its instances at once"),
    ("global_defs", "log_unknown_vrids", "vrrpd counts adverts of unknown VRIDs but does not log them"),
    ("global_defs", "random_seed", "vrrpd seeds its random numbers itself"),
    ("global_defs", "reload_check_config", "vrrpd reloads without a separate check"),
    ("global_defs", "include_check", "vrrpd does not check included files at reload"),
    ("global_defs", "reload_time_file", "vrrpd has no timed reload"),
    ("global_defs", "reload_repeat", "vrrpd has no timed reload"),
    ("global_defs", "reload_file", "vrrpd has no timed reload"),
    ("global_defs", "data_use_instance", "vrrpd names its dump files its own way"),
    ("global_defs", "dynamic_interfaces", "vrrpd refuses an instance whose interface is missing at start"),
    // keepalived's other processes (checker, BFD, LVS): never run by vrrpd.
    ("global_defs", "checker_process_name", "vrrpd runs no checker"),
    ("global_defs", "bfd_process_name", "vrrpd runs no BFD"),
    ("global_defs", "lvs_process_name", "vrrpd runs no checker"),
    ("global_defs", "smtp_alert_checker", "vrrpd runs no checker"),
    ("global_defs", "checker_log_all_failures", "vrrpd runs no checker"),
    ("global_defs", "no_checker_emails", "vrrpd runs no checker"),
    ("global_defs", "rs_init_notifies", "vrrpd runs no checker"),
    ("global_defs", "enable_snmp_checker", "vrrpd has no SNMP"),
    ("global_defs", "checker_priority", "vrrpd runs no checker"),
    ("global_defs", "checker_no_swap", "vrrpd runs no checker"),
    ("global_defs", "checker_cpu_affinity", "vrrpd runs no checker"),
    ("global_defs", "checker_rt_priority", "vrrpd runs no checker"),
    ("global_defs", "checker_rlimit_rttime", "vrrpd runs no checker"),
    ("global_defs", "checker_rlimit_rtime", "vrrpd runs no checker"),
    ("global_defs", "bfd_priority", "vrrpd runs no BFD"),
    ("global_defs", "bfd_no_swap", "vrrpd runs no BFD"),
    ("global_defs", "bfd_cpu_affinity", "vrrpd runs no BFD"),
    ("global_defs", "bfd_rt_priority", "vrrpd runs no BFD"),
    ("global_defs", "bfd_rlimit_rttime", "vrrpd runs no BFD"),
    ("global_defs", "bfd_rlimit_rtime", "vrrpd runs no BFD"),
    ("global_defs", "lvs_timeouts", "vrrpd runs no LVS"),
    ("global_defs", "lvs_flush", "vrrpd runs no LVS"),
    ("global_defs", "lvs_flush_on_stop", "vrrpd runs no LVS"),
    ("global_defs", "lvs_notify_fifo", "vrrpd runs no LVS"),
    ("global_defs", "lvs_notify_fifo_script", "vrrpd runs no LVS"),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs", "vrrpd runs no LVS"),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs_force", "vrrpd runs no LVS"),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs", "vrrpd runs no LVS"),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs_force", "vrrpd runs no LVS"),
    ("global_defs", "nftables_ipvs", "vrrpd runs no LVS"),
    ("global_defs", "nftables_ipvs_priority", "vrrpd runs no LVS"),
    ("global_defs", "nftables_ipvs_start_fwmark", "vrrpd runs no LVS"),
];

/// `not-run-by-vrrpd` notes for the keywords of `NOT_RUN_YET` the tree uses.
fn not_run_yet(tree: &KeywordTree, r: &mut Reader) {
    let note = |node: &Node, block: &str, why: &str| {
        let what = if block.is_empty() {
            format!("`{}`", node.name())
        } else {
            format!("`{}` in {block}", node.name())
        };
        not_run_yet_note(node.span(), &what, why)
    };
    let find = |block: &str, kw: &str| {
        NOT_RUN_YET
            .iter()
            .find(|(b, k, _)| *b == block && *k == kw)
            .map(|(_, _, w)| *w)
    };
    for node in &tree.nodes {
        if let Some(why) = find("", node.name()) {
            r.push(note(node, "", why));
        }
        let block = match node.name() {
            b @ ("vrrp_instance" | "vrrp_sync_group" | "global_defs") => b,
            _ => continue,
        };
        for k in node.children() {
            if let Some(why) = find(block, k.name()) {
                r.push(note(k, block, why));
            }
        }
    }
}

/// keepalived's default nftables table (`nftables` naming none, vrrp_iptables, or the table
/// that no_accept / use_vmac turn on).
pub const NFTABLES_TABLE: &str = "keepalived";

/// Options of a virtual_ipaddress line that vrrpd reads (and checks) but does not apply to the
/// address it adds: (option, why). Each use gets a `not-run-by-vrrpd` note.
#[rustfmt::skip]
pub const VIP_OPTIONS_NOT_RUN_YET: &[(&str, &str)] = &[
    ("use_vmac", "vrrpd puts a VIP on a VMAC only through the instance's use_vmac / use_vmac_addr"),
    ("peer", "vrrpd adds no peer address"),
    ("preferred_lft", "vrrpd adds addresses with the kernel's default lifetime"),
    ("track_group", "vrrpd runs no track_group"),
    ("home", "vrrpd sets no IPv6 address flags"),
    ("-nodad", "vrrpd sets no IPv6 address flags"),
    ("nodad", "vrrpd sets no IPv6 address flags"),
    ("mngtmpaddr", "vrrpd sets no IPv6 address flags"),
    ("noprefixroute", "vrrpd sets no IPv6 address flags"),
    ("autojoin", "vrrpd sets no IPv6 address flags"),
];

/// The `not-run-by-vrrpd` note for `what` (already quoted), shared by block keywords and the
/// options of a value line.
pub(super) fn not_run_yet_note(span: &super::model::Span, what: &str, why: &str) -> Diagnostic {
    Diagnostic::note(
        "not-run-by-vrrpd",
        span,
        format!("{what} is read but not run by vrrpd ({why})"),
    )
    .with_help(
        "vrrpd -t fails while the config uses it; remove it or keep keepalived for this config",
    )
}

pub(crate) fn build(tree: &KeywordTree, diags: &mut Vec<Diagnostic>) -> Config {
    let mut r = Reader::default();
    let mut cfg = Config::default();
    // Sized once: a 10,000-instance config would otherwise double its way to 16,384 slots of
    // a large struct, and copy them at every doubling.
    let n = tree
        .nodes
        .iter()
        .filter(|n| n.name() == "vrrp_instance")
        .count();
    cfg.instances.reserve_exact(n);
    let mut pending = Vec::with_capacity(n);
    let mut instance_names = std::collections::HashSet::with_capacity(n);
    for node in &tree.nodes {
        match node.name() {
            "global_defs" => global::read(&mut r, node, &mut cfg.global),
            "vrrp_script" => {
                if let Some(s) = track::script(&mut r, node) {
                    push_unique(&mut r, &mut cfg.scripts, s, |s| (&s.name, &s.span));
                }
            }
            "vrrp_track_process" => {
                if let Some(p) = track::process(&mut r, node) {
                    push_unique(&mut r, &mut cfg.track_processes, p, |s| (&s.name, &s.span));
                }
            }
            "track_file" | "vrrp_track_file" => {
                if let Some(f) = track::file(&mut r, node) {
                    push_unique(&mut r, &mut cfg.track_files, f, |s| (&s.name, &s.span));
                }
            }
            "vrrp_sync_group" => {
                if let Some(g) = track::sync_group(&mut r, node) {
                    push_unique(&mut r, &mut cfg.sync_groups, g, |s| (&s.name, &s.span));
                }
            }
            "vrrp_instance" => {
                if let Some(i) = instance::read(&mut r, node) {
                    if !instance_names.insert(i.inst.name.clone()) {
                        r.push(duplicate_name("vrrp_instance", &i.inst.name, &i.inst.span));
                    } else {
                        cfg.instances.push(i.inst);
                        pending.push(i.pending);
                    }
                }
            }
            name if NOT_RUN_BY_VRRPD.contains(&name) => {
                r.push(not_run(node));
            }
            _ => {}
        }
    }
    for (inst, p) in cfg.instances.iter_mut().zip(pending) {
        instance::finish(inst, p, &cfg.global, &mut r);
    }
    not_run_yet(tree, &mut r);
    diags.extend(r.diags);
    cfg
}

fn not_run(node: &Node) -> Diagnostic {
    let what = match node.arg(0) {
        Some(a) => format!("`{} {}`", node.name(), a.text),
        None => format!("`{}`", node.name()),
    };
    Diagnostic::note(
        "not-run-by-vrrpd",
        node.span(),
        format!("{what} is read but not run by vrrpd"),
    )
    .with_help("vrrpd runs the VRRP side only; keep keepalived (or another tool) for this block")
}

fn duplicate_name(kind: &str, name: &str, span: &super::model::Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-name",
        span,
        format!("{kind} `{name}` is already defined; keepalived skips this one"),
    )
    .with_help("give every block a unique name")
}

fn push_unique<T>(
    r: &mut Reader,
    list: &mut Vec<T>,
    item: T,
    key: impl Fn(&T) -> (&String, &super::model::Span),
) {
    let (name, span) = key(&item);
    if list.iter().any(|o| key(o).0 == name) {
        let d = duplicate_name("block", name, span);
        r.push(d);
    } else {
        list.push(item);
    }
}

/// The block's name (its single argument); keepalived skips a block without one or with more.
fn block_name(r: &mut Reader, node: &Node) -> Option<String> {
    match node.args.as_slice() {
        [name] => Some(name.text.clone()),
        [] => {
            r.push(Diagnostic::error(
                "missing-required",
                node.span(),
                format!(
                    "`{}` needs a name; keepalived skips this block",
                    node.name()
                ),
            ));
            None
        }
        [_, extra, ..] => {
            r.push(
                Diagnostic::error(
                    "syntax-error",
                    &extra.span,
                    format!(
                        "`{}` takes one name; keepalived skips a block with more words",
                        node.name()
                    ),
                )
                .with_help("remove the extra words (a comment needs `#` or `!`)"),
            );
            None
        }
    }
}
