//! Rules about names that refer to other blocks: tracked scripts, processes, files, and sync
//! group members.

use std::collections::HashMap;

use super::{did_you_mean, Cx};
use crate::config::model::TrackRef;
use crate::config::Diagnostic;

fn check(kind: &str, refs: &[TrackRef], defined: &[&str], out: &mut Vec<Diagnostic>) {
    for r in refs {
        if !defined.contains(&r.name.as_str()) {
            let mut d = Diagnostic::error(
                "undefined-reference",
                &r.span,
                format!(
                    "{kind} `{}` is not defined; keepalived ignores this line",
                    r.name
                ),
            );
            d = match did_you_mean(&r.name, defined.iter().copied()) {
                Some(h) => d.with_help(h),
                None => d.with_help(format!(
                    "define it with a top-level `{kind} {} {{ ... }}` block",
                    r.name
                )),
            };
            out.push(d);
        }
    }
}

/// undefined-reference: track_script / track_process / track_file names, and sync group
/// members, that no block defines.
pub(super) fn undefined_reference(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let c = &cx.loaded.config;
    let scripts: Vec<&str> = c.scripts.iter().map(|s| s.name.as_str()).collect();
    let procs: Vec<&str> = c.track_processes.iter().map(|s| s.name.as_str()).collect();
    let files: Vec<&str> = c.track_files.iter().map(|s| s.name.as_str()).collect();
    for i in &c.instances {
        check("vrrp_script", &i.track_script, &scripts, out);
        check("vrrp_track_process", &i.track_process, &procs, out);
        check("track_file", &i.track_file, &files, out);
    }
    let names: Vec<&str> = c.instances.iter().map(|i| i.name.as_str()).collect();
    for g in &c.sync_groups {
        check("vrrp_script", &g.track_script, &scripts, out);
        check("vrrp_track_process", &g.track_process, &procs, out);
        check("track_file", &g.track_file, &files, out);
        let node = cx.top_node(&g.span);
        let members = node
            .and_then(|n| super::child(n, "group"))
            .map(|gr| {
                gr.children()
                    .iter()
                    .flat_map(|l| l.words())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for w in members {
            if !names.contains(&w.text.as_str()) {
                let d = Diagnostic::error(
                    "undefined-reference",
                    &w.span,
                    format!(
                        "sync group {} lists `{}`, which is not a vrrp_instance",
                        g.name, w.text
                    ),
                );
                out.push(match did_you_mean(&w.text, names.iter().copied()) {
                    Some(h) => d.with_help(h),
                    None => d.with_help("list the names of vrrp_instance blocks"),
                });
            }
        }
    }
}

/// duplicate-sync-member: an instance listed twice in one sync group, or in two groups;
/// keepalived ignores the later group ("cannot exist in more than one sync group").
pub(super) fn duplicate_sync_member(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let mut owner: HashMap<&str, &str> = HashMap::new();
    for g in &cx.loaded.config.sync_groups {
        let Some(group) = cx.top_node(&g.span).and_then(|n| super::child(n, "group")) else {
            continue;
        };
        for w in group.children().iter().flat_map(|l| l.words()) {
            if let Some(first) = owner.insert(w.text.as_str(), g.name.as_str()) {
                let where_ = if first == g.name {
                    "twice in this group".to_string()
                } else {
                    format!("in sync group {first} too")
                };
                out.push(
                    Diagnostic::error(
                        "duplicate-sync-member",
                        &w.span,
                        format!(
                            "vrrp_instance {} is listed {where_}; keepalived ignores sync group {} for it",
                            w.text, g.name
                        ),
                    )
                    .with_help("an instance belongs to at most one sync group, listed once"),
                );
            }
        }
    }
}

/// sync-group-drops-weight: keepalived ignores the weights of the trackers of a sync group's
/// members (unless sync_group_tracking_weight) and of an address owner (priority 255):
/// weighted track_scripts and track_files are removed, track_interface weights become 0
/// (FAULT when down), so the weight never changes the priority (vrrp.c vrrp_complete_instance).
pub(super) fn sync_group_drops_weight(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let c = &cx.loaded.config;
    // Each member's first group, looked up once per instance.
    let mut group_of: HashMap<&str, &crate::config::model::SyncGroup> = HashMap::new();
    for g in &c.sync_groups {
        for m in &g.group {
            group_of.entry(m.as_str()).or_insert(g);
        }
    }
    for i in &c.instances {
        let group = group_of
            .get(i.name.as_str())
            .copied()
            .filter(|g| !g.sync_group_tracking_weight);
        let why = match group {
            Some(g) => format!("is in sync group {}", g.name),
            None if i.priority == 255 => "is the address owner (priority 255)".to_string(),
            None => continue,
        };
        let help = match group {
            Some(g) => format!("add `sync_group_tracking_weight` to vrrp_sync_group {}, or use weight 0 (fault on failure)", g.name),
            None => "use weight 0 (fault on failure), or a priority below 255".to_string(),
        };
        let script_weight = |t: &TrackRef| {
            t.weight
                .or_else(|| {
                    c.scripts
                        .iter()
                        .find(|s| s.name == t.name)
                        .map(|s| s.weight)
                })
                .unwrap_or(0)
        };
        let file_weight = |t: &TrackRef| {
            t.weight
                .or_else(|| {
                    c.track_files
                        .iter()
                        .find(|f| f.name == t.name)
                        .map(|f| f.weight)
                })
                .unwrap_or(1)
        };
        let tracked = [
            (
                "track_script",
                &i.track_script,
                &script_weight as &dyn Fn(&TrackRef) -> i32,
                "removes it",
            ),
            (
                "track_file",
                &i.track_file,
                &file_weight,
                "removes it (or makes it unweighted)",
            ),
            (
                "track_interface",
                &i.track_interface,
                &|t: &TrackRef| t.weight.unwrap_or(0),
                "sets the weight to 0",
            ),
        ];
        for (kind, refs, weight, what) in tracked {
            for t in refs.iter() {
                let w = weight(t);
                if w == 0 {
                    continue;
                }
                out.push(
                    Diagnostic::error(
                        "sync-group-drops-weight",
                        &t.span,
                        format!(
                            "vrrp_instance {} {why}: keepalived ignores the weight ({w}) of {kind} {} and {what}, so it never changes the priority",
                            i.name, t.name
                        ),
                    )
                    .with_help(help.clone()),
                );
            }
        }
    }
}
