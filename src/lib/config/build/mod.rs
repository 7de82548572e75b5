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
];

/// `not-run-by-vrrpd` notes for the keywords of `NOT_RUN_YET` the tree uses.
fn not_run_yet(tree: &KeywordTree, r: &mut Reader) {
    let note = |node: &Node, block: &str, why: &str| {
        let what = if block.is_empty() {
            format!("`{}`", node.name())
        } else {
            format!("`{}` in {block}", node.name())
        };
        Diagnostic::note(
            "not-run-by-vrrpd",
            node.span(),
            format!("{what} is read but not run by vrrpd ({why})"),
        )
        .with_help(
            "vrrpd -t fails while the config uses it; remove it or keep keepalived for this config",
        )
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
