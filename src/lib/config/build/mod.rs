//! Keyword tree -> typed model. Reads the VRRP side (global_defs, vrrp_script,
//! vrrp_track_process, track_file, vrrp_sync_group, vrrp_instance), then applies keepalived
//! 2.2.7's defaults and inheritance once the whole file is known (globals may come last).
//! Blocks vrrpd does not run are kept in the tree and get a note: `not-run-by-vrrpd` (VRRP
//! behaviour vrrpd lacks; `vrrpd -t` fails), `not-vrrp` (keepalived's other processes) or
//! `tuning-ignored` (process tuning); see [`NotRun`].

mod global;
mod instance;
mod track;

use super::diag::Diagnostic;
use super::model::Config;
use super::tree::{KeywordTree, Node};
use super::values::Reader;

/// How vrrpd treats something it reads but does not run, and the code of its note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRun {
    /// It would change what the VRRP side does on the wire or on the host (addresses, routes,
    /// rules, timers, states, scripts, firewall): `not-run-by-vrrpd`, and `vrrpd -t` fails.
    Vrrp,
    /// It belongs to another keepalived process (the checker with LVS, BFD) or interface (SNMP,
    /// DBus): `not-vrrp`, logged at start, listed by `vrrpd -t`, which still passes (the
    /// checker can keep running as `keepalived --check` on the same file).
    OtherProcess,
    /// Pure process tuning (scheduling, affinity, buffers, names, memory locking):
    /// `tuning-ignored`, logged at start, listed by `vrrpd -t`, which still passes.
    Tuning,
}

impl NotRun {
    /// The note's stable code (part of lint's JSON contract).
    pub const fn code(self) -> &'static str {
        match self {
            NotRun::Vrrp => "not-run-by-vrrpd",
            NotRun::OtherProcess => "not-vrrp",
            NotRun::Tuning => "tuning-ignored",
        }
    }

    /// The kind whose note has `code`, if any.
    pub fn from_code(code: &str) -> Option<NotRun> {
        [NotRun::Vrrp, NotRun::OtherProcess, NotRun::Tuning]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Root keywords of keepalived that vrrpd reads but does not run, though they change what the
/// VRRP side does: `not-run-by-vrrpd` notes, and `vrrpd -t` fails.
pub const NOT_RUN_BY_VRRPD: &[&str] = &[
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "garp_group",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "net_namespace",
    "namespace_with_ipsets",
    "linkbeat_use_polling",
];

/// Root keywords of keepalived's other processes (block, whose): `not-vrrp` notes.
pub const NOT_VRRP_BLOCKS: &[(&str, &str)] = &[
    ("virtual_server", CHECKER),
    ("virtual_server_group", CHECKER),
    ("SSL", CHECKER),
    ("bfd_instance", BFD),
    ("net_namespace_ipvs", CHECKER),
];

/// Root keywords that tune keepalived's processes only (keyword, why): `tuning-ignored` notes.
pub const TUNING_BLOCKS: &[(&str, &str)] = &[
    ("use_pid_dir", "vrrpd writes the pid file -p names"),
    (
        "instance",
        "vrrpd names its pid file and processes its own way",
    ),
    (
        "child_wait_time",
        "vrrpd has no child processes to wait for",
    ),
];

const CHECKER: &str = "keepalived's checker process, which runs LVS: `keepalived --check`";
const BFD: &str = "keepalived's BFD process: `keepalived --bfd`";
const SNMP: &str = "keepalived's SNMP agent; vrrpd answers on its control socket and metrics";
const DBUS: &str = "keepalived's DBus interface; vrrpd answers on its control socket";

/// Keywords of keepalived's other processes and interfaces inside the blocks vrrpd reads
/// (block, keyword, whose): `not-vrrp` notes; `vrrpd -t` passes.
#[rustfmt::skip]
pub const NOT_VRRP: &[(&str, &str, &str)] = &[
    ("global_defs", "enable_traps", SNMP),
    ("global_defs", "enable_snmp_vrrp", SNMP),
    ("global_defs", "enable_snmp_keepalived", SNMP),
    ("global_defs", "enable_snmp_rfc", SNMP),
    ("global_defs", "enable_snmp_rfcv2", SNMP),
    ("global_defs", "enable_snmp_rfcv3", SNMP),
    ("global_defs", "enable_snmp_checker", SNMP),
    ("global_defs", "snmp_socket", SNMP),
    ("global_defs", "enable_dbus", DBUS),
    ("global_defs", "dbus_service_name", DBUS),
    ("global_defs", "checker_process_name", CHECKER),
    ("global_defs", "lvs_process_name", CHECKER),
    ("global_defs", "smtp_alert_checker", CHECKER),
    ("global_defs", "checker_log_all_failures", CHECKER),
    ("global_defs", "no_checker_emails", CHECKER),
    ("global_defs", "rs_init_notifies", CHECKER),
    ("global_defs", "checker_priority", CHECKER),
    ("global_defs", "checker_no_swap", CHECKER),
    ("global_defs", "checker_cpu_affinity", CHECKER),
    ("global_defs", "checker_rt_priority", CHECKER),
    ("global_defs", "checker_rlimit_rttime", CHECKER),
    ("global_defs", "checker_rlimit_rtime", CHECKER),
    ("global_defs", "lvs_timeouts", CHECKER),
    ("global_defs", "lvs_flush", CHECKER),
    ("global_defs", "lvs_flush_on_stop", CHECKER),
    ("global_defs", "lvs_notify_fifo", CHECKER),
    ("global_defs", "lvs_notify_fifo_script", CHECKER),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs", CHECKER),
    ("global_defs", "lvs_netlink_cmd_rcv_bufs_force", CHECKER),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs", CHECKER),
    ("global_defs", "lvs_netlink_monitor_rcv_bufs_force", CHECKER),
    ("global_defs", "nftables_ipvs", CHECKER),
    ("global_defs", "nftables_ipvs_priority", CHECKER),
    ("global_defs", "nftables_ipvs_start_fwmark", CHECKER),
    ("global_defs", "bfd_process_name", BFD),
    ("global_defs", "bfd_priority", BFD),
    ("global_defs", "bfd_no_swap", BFD),
    ("global_defs", "bfd_cpu_affinity", BFD),
    ("global_defs", "bfd_rt_priority", BFD),
    ("global_defs", "bfd_rlimit_rttime", BFD),
    ("global_defs", "bfd_rlimit_rtime", BFD),
];

/// Keywords that tune keepalived's VRRP process only, with no effect on the wire or the host
/// (block, keyword, why): `tuning-ignored` notes; `vrrpd -t` passes.
#[rustfmt::skip]
pub const TUNING_IGNORED: &[(&str, &str, &str)] = &[
    ("vrrp_instance", "debug", "vrrpd has no per-instance debug level; -D logs in detail"),
    ("vrrp_instance", "kernel_rx_buf_size", "vrrpd keeps the kernel's receive buffer size"),
    ("global_defs", "tmp_config_directory", "vrrpd reads the config file itself"),
    ("global_defs", "config_save_dir", "vrrpd saves no config copies"),
    ("global_defs", "process_names", "vrrpd keeps its own process name"),
    ("global_defs", "process_name", "vrrpd keeps its own process name"),
    ("global_defs", "vrrp_process_name", "vrrpd keeps its own process name"),
    ("global_defs", "max_auto_priority", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "min_auto_priority_delay", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_priority", "vrrpd keeps its scheduling priority"),
    ("global_defs", "vrrp_no_swap", "vrrpd does not lock its memory"),
    ("global_defs", "vrrp_cpu_affinity", "vrrpd sets no CPU affinity"),
    ("global_defs", "vrrp_rt_priority", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_rlimit_rttime", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_rlimit_rtime", "vrrpd sets no realtime scheduling priority"),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_cmd_rcv_bufs_force", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_monitor_rcv_bufs", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_netlink_monitor_rcv_bufs_force", "vrrpd keeps the kernel's netlink buffer sizes"),
    ("global_defs", "vrrp_rx_bufs_policy", "vrrpd keeps the kernel's receive buffer size"),
    ("global_defs", "vrrp_rx_bufs_multiplier", "vrrpd keeps the kernel's receive buffer size"),
    ("global_defs", "umask", "vrrpd keeps the umask it is started with"),
    ("global_defs", "random_seed", "vrrpd seeds its random numbers itself"),
    ("global_defs", "reload_check_config", "vrrpd checks every new config at reload and keeps the running one on errors"),
    ("global_defs", "data_use_instance", "vrrpd names its dump files keepalived's default way"),
];

/// Keywords inside blocks vrrpd reads that it parses but does not run yet, though they change
/// what the VRRP side does: (block, keyword, why). Each use gets a `not-run-by-vrrpd` note at
/// start, and `vrrpd -t` fails on it.
#[rustfmt::skip]
pub const NOT_RUN_YET: &[(&str, &str, &str)] = &[
    ("vrrp_instance", "track_bfd", "vrrpd runs no BFD"),
    ("vrrp_instance", "use_ipvlan", "ipvlan interfaces are not implemented"),
    ("vrrp_instance", "virtual_rules", "vrrpd adds no ip rules yet"),
    ("vrrp_instance", "lvs_sync_daemon_interface", "vrrpd runs no LVS"),
    ("vrrp_sync_group", "track_bfd", "vrrpd runs no BFD"),
    ("global_defs", "lvs_sync_daemon", "vrrpd runs no LVS"),
    // VRRP-side keywords vrrpd does not act on yet.
    ("vrrp_instance", "vrf", "vrrpd does not bind instances to a VRF"),
    ("vrrp_instance", "old_unicast_checksum", "vrrpd sends only the RFC checksum"),
    ("vrrp_instance", "garp_extra_if", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("vrrp_instance", "vmac_garp_intvl", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("vrrp_instance", "linkbeat_use_polling", "vrrpd watches links by netlink only"),
    ("vrrp_instance", "track_src_ip", "vrrpd does not track the source address"),
    ("global_defs", "default_interface", "vrrpd uses no default interface"),
    ("global_defs", "vrrp_garp_extra_if", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("global_defs", "vrrp_vmac_garp_intvl", "vrrpd sends no extra gratuitous ARPs on a timer"),
    ("global_defs", "disable_local_igmp", "vrrpd does not change the IGMP sysctls"),
    ("global_defs", "include_check", "vrrpd does not check included files at reload"),
    ("global_defs", "reload_time_file", "vrrpd has no timed reload"),
    ("global_defs", "reload_repeat", "vrrpd has no timed reload"),
    ("global_defs", "reload_file", "vrrpd has no timed reload"),
    ("global_defs", "dynamic_interfaces", "vrrpd refuses an instance whose interface is missing at start"),
];

/// What vrrpd does not run inside `block`: the kind and why (whose).
pub fn not_run_kind(block: &str, kw: &str) -> Option<(NotRun, &'static str)> {
    let find = |t: &[(&'static str, &'static str, &'static str)]| {
        t.iter()
            .find(|(b, k, _)| *b == block && *k == kw)
            .map(|(_, _, w)| *w)
    };
    find(NOT_RUN_YET)
        .map(|w| (NotRun::Vrrp, w))
        .or_else(|| find(NOT_VRRP).map(|w| (NotRun::OtherProcess, w)))
        .or_else(|| find(TUNING_IGNORED).map(|w| (NotRun::Tuning, w)))
}

/// Notes for the keywords of `NOT_RUN_YET`, `NOT_VRRP` and `TUNING_IGNORED` the tree uses.
fn not_run_yet(tree: &KeywordTree, r: &mut Reader) {
    for node in &tree.nodes {
        let block = match node.name() {
            b @ ("vrrp_instance" | "vrrp_sync_group" | "global_defs") => b,
            _ => continue,
        };
        for k in node.children() {
            if let Some((kind, why)) = not_run_kind(block, k.name()) {
                let what = format!("`{}` in {block}", k.name());
                r.push(not_run_note(kind, k.span(), &what, why));
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
];

/// The note of `kind` for `what` (already quoted), shared by root keywords, block keywords
/// and the options of a value line.
pub(super) fn not_run_note(
    kind: NotRun,
    span: &super::model::Span,
    what: &str,
    why: &str,
) -> Diagnostic {
    let (message, help) = match kind {
        NotRun::Vrrp => (
            format!("{what} is read but not run by vrrpd ({why})"),
            "vrrpd -t fails while the config uses it; remove it or keep keepalived for this config",
        ),
        NotRun::OtherProcess => (
            format!("{what} is not VRRP: vrrpd leaves it to {why}"),
            "vrrpd -t passes; vrrpd runs the VRRP side only, and keepalived's other processes can run the rest of the same file beside it",
        ),
        NotRun::Tuning => (
            format!("{what} tunes keepalived's process and is ignored by vrrpd ({why})"),
            "vrrpd -t passes; nothing on the wire or on the host depends on it",
        ),
    };
    Diagnostic::note(kind.code(), span, message).with_help(help)
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
            name => {
                if let Some(d) = root_not_run(node, name) {
                    r.push(d);
                }
            }
        }
    }
    for (inst, p) in cfg.instances.iter_mut().zip(pending) {
        instance::finish(inst, p, &cfg.global, &mut r);
    }
    not_run_yet(tree, &mut r);
    diags.extend(r.diags);
    cfg
}

/// The note for a root keyword vrrpd does not run, if `name` is one.
fn root_not_run(node: &Node, name: &str) -> Option<Diagnostic> {
    let (kind, why) = if NOT_RUN_BY_VRRPD.contains(&name) {
        (
            NotRun::Vrrp,
            "keepalived's VRRP process runs it; vrrpd does not yet",
        )
    } else if let Some((_, w)) = NOT_VRRP_BLOCKS.iter().find(|(b, _)| *b == name) {
        (NotRun::OtherProcess, *w)
    } else if let Some((_, w)) = TUNING_BLOCKS.iter().find(|(b, _)| *b == name) {
        (NotRun::Tuning, *w)
    } else {
        return None;
    };
    let what = match node.arg(0) {
        Some(a) => format!("`{} {}`", node.name(), a.text),
        None => format!("`{}`", node.name()),
    };
    Some(not_run_note(kind, node.span(), &what, why))
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
