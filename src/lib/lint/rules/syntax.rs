//! Rules about the words themselves: unknown and deprecated keywords, and comment markers from
//! other languages (`//`, `;`) that keepalived reads as words.

use super::{did_you_mean, Cx};
use crate::config::keywords;
use crate::config::{Diagnostic, Node};

fn is_foreign_comment(t: &str) -> bool {
    t.starts_with("//") || t.starts_with(';') || t.starts_with("/*")
}

/// unknown-keyword: a keyword keepalived does not know in this block (it logs "Unknown
/// keyword" and skips the line).
pub(super) fn unknown_keyword(cx: &Cx, out: &mut Vec<Diagnostic>) {
    cx.loaded.tree.walk(&mut |path, node| {
        let Some(allowed) = allowed_in(path) else {
            return;
        };
        let kw = node.name();
        if allowed.contains(&kw) || is_foreign_comment(kw) {
            return;
        }
        let block = path.last().map(|n| n.name()).unwrap_or("the top level");
        let mut d = Diagnostic::error(
            "unknown-keyword",
            node.span(),
            format!("unknown keyword `{kw}` in {block}; keepalived ignores this line"),
        );
        if let Some(h) = did_you_mean(kw, allowed.iter().copied()) {
            d = d.with_help(h);
        } else if let Some(elsewhere) = where_else(kw) {
            d = d.with_help(format!("`{kw}` belongs in {elsewhere}"));
        }
        out.push(d);
    });
}

/// The keyword list of the block at `path`; only blocks four deep or less have one (a
/// virtual_server's real_server's checker's url), so the names go on the stack.
fn allowed_in(path: &[&Node]) -> Option<&'static [&'static str]> {
    match path {
        [] => keywords::allowed(&[]),
        [a] => keywords::allowed(&[a.name()]),
        [a, b] => keywords::allowed(&[a.name(), b.name()]),
        [a, b, c] => keywords::allowed(&[a.name(), b.name(), c.name()]),
        [a, b, c, d] => keywords::allowed(&[a.name(), b.name(), c.name(), d.name()]),
        _ => None,
    }
}

fn where_else(kw: &str) -> Option<&'static str> {
    [
        ("the top level", keywords::ROOT),
        ("global_defs", keywords::GLOBAL_DEFS),
        ("vrrp_instance", keywords::VRRP_INSTANCE),
        ("authentication", keywords::AUTHENTICATION),
        ("vrrp_script", keywords::VRRP_SCRIPT),
        ("vrrp_sync_group", keywords::VRRP_SYNC_GROUP),
    ]
    .into_iter()
    .find(|(_, l)| l.contains(&kw))
    .map(|(n, _)| n)
}

/// not-a-comment: `//`, `/*` or `;` used as a comment; keepalived takes the words as arguments
/// (or as an unknown keyword at the start of a line).
pub(super) fn not_a_comment(cx: &Cx, out: &mut Vec<Diagnostic>) {
    cx.loaded.tree.walk(&mut |path, node: &Node| {
        if let Some(w) = node.words().find(|w| is_foreign_comment(&w.text)) {
            // In value lists keepalived rejects the extra words ("Unknown configuration entry").
            let in_list = path.last().is_some_and(|p| {
                allowed_in(path).is_none()
                    && p.name() != "notification_email"
            });
            let at_start = std::ptr::eq(w, &node.keyword) || in_list;
            let msg = if in_list {
                format!(
                    "`{}` does not start a comment in keepalived.conf; keepalived rejects these words as options of `{}`",
                    w.text,
                    node.name()
                )
            } else if at_start {
                format!("`{}` does not start a comment in keepalived.conf; this line is read as an unknown keyword", w.text)
            } else {
                format!(
                    "`{}` does not start a comment in keepalived.conf; `{}` gets these words as extra arguments",
                    w.text,
                    node.name()
                )
            };
            let sev = if at_start {
                Diagnostic::error("not-a-comment", &w.span, msg)
            } else {
                Diagnostic::warning("not-a-comment", &w.span, msg)
            };
            out.push(sev.with_help("comments start with `#` or `!`"));
        }
    });
}

/// deprecated-keyword: still accepted by keepalived 2.2.7, with a warning (and `-t` fails).
pub(super) fn deprecated_keyword(cx: &Cx, out: &mut Vec<Diagnostic>) {
    cx.loaded.tree.walk(&mut |path, node| {
        let block = path.last().map(|n| n.name()).unwrap_or("");
        if path.len() > 1 {
            return;
        }
        if let Some((_, kw, new)) = keywords::DEPRECATED
            .iter()
            .find(|(b, k, _)| *b == block && *k == node.name())
        {
            out.push(
                Diagnostic::warning(
                    "deprecated-keyword",
                    node.span(),
                    format!("`{kw}` is deprecated"),
                )
                .with_help(format!("use {new}")),
            );
        }
        if path.len() == 1 && block == "vrrp_instance" && node.name() == "virtual_routes" {
            for line in node.children() {
                for w in line
                    .args
                    .iter()
                    .filter(|w| w.text == "gw" || w.text == "or")
                {
                    let new = if w.text == "gw" { "via" } else { "nexthop" };
                    out.push(
                        Diagnostic::warning(
                            "deprecated-keyword",
                            &w.span,
                            format!("`{}` in a virtual route is deprecated", w.text),
                        )
                        .with_help(format!("use `{new}`")),
                    );
                }
            }
        }
    });
}
