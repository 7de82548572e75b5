//! Rules about scripts keepalived runs (vrrp_script and notify*): how it finds them and whether
//! a non-root user could change what root runs.

use std::path::Path;

use super::Cx;
use crate::config::model::Span;
use crate::config::Diagnostic;

/// Every script command of the config: (first word, whole command, span, runs as root).
fn scripts(cx: &Cx) -> Vec<(String, Span, bool)> {
    let c = &cx.loaded.config;
    let global_root = c
        .global
        .script_user
        .as_ref()
        .is_none_or(|(u, _)| u == "root");
    let mut out = Vec::new();
    for s in &c.scripts {
        let root = s
            .user
            .as_ref()
            .map(|(u, _)| u == "root")
            .unwrap_or(global_root);
        let span = cx
            .top_node(&s.span)
            .and_then(|n| super::child(n, "script"))
            .and_then(|k| k.arg(0))
            .map(|w| w.span.clone())
            .unwrap_or(s.span.clone());
        out.push((first_word(&s.script), span, root));
    }
    let notifies = c
        .instances
        .iter()
        .map(|i| &i.notify)
        .chain(c.sync_groups.iter().map(|g| &g.notify));
    for n in notifies {
        for s in [
            &n.master,
            &n.backup,
            &n.fault,
            &n.stop,
            &n.deleted,
            &n.generic,
            &n.master_rx_lower_pri,
        ]
        .into_iter()
        .flatten()
        {
            let root = s
                .user
                .as_deref()
                .map(|u| u == "root")
                .unwrap_or(global_root);
            out.push((first_word(&s.command), s.span.clone(), root));
        }
    }
    out
}

fn first_word(cmd: &str) -> String {
    cmd.split_whitespace().next().unwrap_or("").to_string()
}

/// script-not-absolute: keepalived looks a relative script up in PATH and runs what it finds
/// (with enable_script_security too, after checking the file found), so a warning.
pub(super) fn script_not_absolute(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for (cmd, span, _) in scripts(cx) {
        if cmd.is_empty() || cmd.starts_with('/') {
            continue;
        }
        let msg = format!(
            "script `{cmd}` is not an absolute path; keepalived searches PATH for it, and runs whatever it finds first"
        );
        let d = Diagnostic::warning("script-not-absolute", &span, msg);
        let help = match cx.host.which(&cmd) {
            Some(p) => format!("write the full path, e.g. `{}`", p.display()),
            None => "write the full path of the script".to_string(),
        };
        out.push(d.with_help(help));
    }
}

/// unsafe-script: a script run as root that a non-root user can modify (the file or a directory
/// above it is owned by a non-root user or writable by group/others).
pub(super) fn unsafe_script(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let secure = cx.loaded.config.global.enable_script_security;
    for (cmd, span, root) in scripts(cx) {
        if !root || !cmd.starts_with('/') {
            continue;
        }
        let mut p = Some(Path::new(&cmd));
        while let Some(path) = p {
            if let Some(info) = cx.host.file_info(path) {
                let writable =
                    info.mode & 0o022 != 0 && !(path != Path::new(&cmd) && info.mode & 0o1000 != 0);
                if info.uid != 0 || writable {
                    let who = if info.uid != 0 {
                        format!("owned by uid {}", info.uid)
                    } else {
                        format!(
                            "writable by group or others (mode {:o})",
                            info.mode & 0o7777
                        )
                    };
                    let msg = format!(
                        "`{}` is {who}, and keepalived runs `{cmd}` as root",
                        path.display()
                    );
                    let d = if secure {
                        Diagnostic::error(
                            "unsafe-script",
                            &span,
                            format!("{msg}; enable_script_security refuses it"),
                        )
                    } else {
                        Diagnostic::warning("unsafe-script", &span, msg)
                    };
                    out.push(d.with_help(format!("chown root:root and chmod go-w `{}` (or run the script as a non-root `user`)", path.display())));
                    break;
                }
            }
            p = path.parent();
        }
    }
}

/// script-security: scripts configured without enable_script_security (keepalived -t exits 6
/// with "SECURITY VIOLATION").
pub(super) fn script_security(cx: &Cx, out: &mut Vec<Diagnostic>) {
    if cx.loaded.config.global.enable_script_security {
        return;
    }
    if let Some((_, span, _)) = scripts(cx).into_iter().next() {
        out.push(
            Diagnostic::warning(
                "script-security",
                &span,
                "scripts are configured but enable_script_security is not set; keepalived runs them as root without checking who can modify them",
            )
            .with_help("add `enable_script_security` (and `script_user`) to global_defs"),
        );
    }
}
