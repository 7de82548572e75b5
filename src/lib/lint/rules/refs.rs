//! Rules about names that refer to other blocks: tracked scripts, processes, files, and sync
//! group members.

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

/// sync-group-drops-weight: keepalived removes weighted track_scripts from the members of a
/// sync group (unless sync_group_tracking_weight), so the weight never applies.
pub(super) fn sync_group_drops_weight(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let c = &cx.loaded.config;
    for g in c
        .sync_groups
        .iter()
        .filter(|g| !g.sync_group_tracking_weight)
    {
        for i in c.instances.iter().filter(|i| g.group.contains(&i.name)) {
            for t in &i.track_script {
                let weight = t
                    .weight
                    .or_else(|| {
                        c.scripts
                            .iter()
                            .find(|s| s.name == t.name)
                            .map(|s| s.weight)
                    })
                    .unwrap_or(0);
                if weight != 0 {
                    out.push(
                        Diagnostic::warning(
                            "sync-group-drops-weight",
                            &t.span,
                            format!(
                                "vrrp_instance {} is in sync group {}: keepalived removes this weighted track_script (weight {weight}), so it never changes the priority",
                                i.name, g.name
                            ),
                        )
                        .with_help(format!("add `sync_group_tracking_weight` to vrrp_sync_group {}, or use weight 0 (fault on failure)", g.name)),
                    );
                }
            }
        }
    }
}
