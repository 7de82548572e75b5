//! Rules over the LVS side (virtual_server, real_server, health checkers). vrrpd does not run
//! it, but keepalived -t reads it and drops what it cannot use, so lint says so too.

use super::Cx;
use crate::config::{Diagnostic, Node};

/// How keepalived reads a number (lib/parser.c read_timer / read_unsigned_strvec).
#[derive(Clone, Copy)]
enum Num {
    /// Seconds with up to six decimals, from `min` microseconds to `max` microseconds.
    Timer { min_us: u64, max_us: u64 },
    /// A whole number in `min..=max`.
    Unsigned { min: u64, max: u64 },
}

const UINT_MAX: u64 = u32::MAX as u64;
/// lib/parser.h TIMER_MAXIMUM (ULONG_MAX - 1 microseconds).
const TIMER_MAX: u64 = u64::MAX - 1;

/// (enclosing block, keyword, how it is read): check_parser.c and check_api.c.
const NUMBERS: &[(&str, &str, Num)] = &[
    (
        "virtual_server",
        "delay_loop",
        Num::Timer {
            min_us: 1,
            max_us: TIMER_MAX,
        },
    ),
    (
        "virtual_server",
        "delay_before_retry",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "virtual_server",
        "connect_timeout",
        Num::Timer {
            min_us: 1,
            max_us: UINT_MAX,
        },
    ),
    (
        "virtual_server",
        "warmup",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "virtual_server",
        "retry",
        Num::Unsigned {
            min: 1,
            max: UINT_MAX,
        },
    ),
    (
        "virtual_server",
        "persistence_timeout",
        Num::Unsigned {
            min: 1,
            max: 86400 * 31,
        },
    ),
    (
        "virtual_server",
        "weight",
        Num::Unsigned { min: 1, max: 65535 },
    ),
    (
        "real_server",
        "weight",
        Num::Unsigned { min: 0, max: 65535 },
    ),
    (
        "real_server",
        "delay_loop",
        Num::Timer {
            min_us: 1,
            max_us: TIMER_MAX,
        },
    ),
    (
        "real_server",
        "delay_before_retry",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "real_server",
        "connect_timeout",
        Num::Timer {
            min_us: 1,
            max_us: UINT_MAX,
        },
    ),
    (
        "real_server",
        "warmup",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "real_server",
        "retry",
        Num::Unsigned {
            min: 1,
            max: UINT_MAX,
        },
    ),
    (
        "checker",
        "connect_timeout",
        Num::Timer {
            min_us: 1,
            max_us: UINT_MAX,
        },
    ),
    (
        "checker",
        "delay_loop",
        Num::Timer {
            min_us: 1,
            max_us: TIMER_MAX,
        },
    ),
    (
        "checker",
        "delay_before_retry",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "checker",
        "warmup",
        Num::Timer {
            min_us: 0,
            max_us: TIMER_MAX,
        },
    ),
    (
        "checker",
        "retry",
        Num::Unsigned {
            min: 0,
            max: UINT_MAX,
        },
    ),
    (
        "checker",
        "connect_port",
        Num::Unsigned { min: 1, max: 65535 },
    ),
];

const CHECKERS: &[&str] = &[
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "PING_CHECK",
    "UDP_CHECK",
    "MISC_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
];

/// Whether `text` reads as keepalived reads it, and within the range.
fn fits(text: &str, num: Num) -> bool {
    match num {
        Num::Unsigned { min, max } => text.parse::<u64>().is_ok_and(|v| (min..=max).contains(&v)),
        Num::Timer { min_us, max_us } => {
            let (int, frac) = text.split_once('.').unwrap_or((text, ""));
            if int.is_empty()
                || !int.bytes().all(|b| b.is_ascii_digit())
                || !frac.bytes().all(|b| b.is_ascii_digit())
                || frac.len() > 6
            {
                return false;
            }
            let Ok(secs) = int.parse::<u64>() else {
                return false;
            };
            let micros = format!("{frac:0<6}").parse::<u64>().unwrap_or(0);
            secs.checked_mul(1_000_000)
                .and_then(|v| v.checked_add(micros))
                .is_some_and(|us| (min_us..=max_us).contains(&us))
        }
    }
}

fn describe(num: Num) -> String {
    match num {
        Num::Unsigned { min, max } => format!("a whole number from {min} to {max}"),
        Num::Timer { min_us: 0, .. } => "a number of seconds, 0 or more".into(),
        Num::Timer { max_us, .. } if max_us == UINT_MAX => {
            "a number of seconds above 0 and at most 4294.967295".into()
        }
        Num::Timer { .. } => "a number of seconds above 0".into(),
    }
}

/// `status_code` takes codes and ranges: `200`, `200-299` (check_http.c).
fn is_status_code(t: &str) -> bool {
    let num = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    match t.split_once('-') {
        Some((a, b)) => num(a) && num(b),
        None => num(t),
    }
}

/// invalid-value / missing-required on the LVS side: numbers keepalived's checker side rejects (it ignores the line); blocks it
/// drops whole: a virtual_server without real_server (check_data.c), an HTTP_GET / SSL_GET
/// checker without a url, a url without a path (check_http.c).
pub(super) fn lvs_values(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for vs in cx
        .loaded
        .tree
        .nodes
        .iter()
        .filter(|n| n.name() == "virtual_server")
    {
        if !vs.children().iter().any(|c| c.name() == "real_server") {
            out.push(
                Diagnostic::error(
                    "missing-required",
                    vs.span(),
                    "this virtual_server has no real_server; keepalived ignores it",
                )
                .with_help("add a `real_server IP PORT { ... }` block"),
            );
        }
    }
    cx.loaded.tree.walk(&mut |path, node: &Node| {
        let Some(parent) = path.last() else {
            return;
        };
        if path.first().map(|n| n.name()) != Some("virtual_server") {
            return;
        }
        if parent.name() == "url" && node.name() == "status_code" {
            for w in node.args.iter().filter(|w| !is_status_code(&w.text)) {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        &w.span,
                        format!("`{}` is not an HTTP status code or range; keepalived ignores it", w.text),
                    )
                    .with_help("write codes or ranges such as `200` or `200-299`; comments start with `#` or `!`"),
                );
            }
        }
        if node.name() == "url" && !node.children().iter().any(|c| c.name() == "path") {
            out.push(
                Diagnostic::error(
                    "missing-required",
                    node.span(),
                    "this url has no path; keepalived ignores it",
                )
                .with_help("add `path /PATH`"),
            );
        }
        if matches!(node.name(), "HTTP_GET" | "SSL_GET")
            && !node.children().iter().any(|c| c.name() == "url")
        {
            out.push(
                Diagnostic::error(
                    "missing-required",
                    node.span(),
                    format!(
                        "{} has no url block; keepalived ignores this checker",
                        node.name()
                    ),
                )
                .with_help("add `url { path /PATH status_code 200 }`"),
            );
        }
        let block = match parent.name() {
            b @ ("virtual_server" | "real_server") => b,
            c if CHECKERS.contains(&c) => "checker",
            _ => return,
        };
        if let Some((_, kw, num)) = NUMBERS
            .iter()
            .find(|(b, k, _)| *b == block && *k == node.name())
        {
            if let Some(w) = node.arg(0).filter(|w| !fits(&w.text, *num)) {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        &w.span,
                        format!(
                            "`{kw} {}` is not valid; keepalived ignores this line",
                            w.text
                        ),
                    )
                    .with_help(format!("{kw} takes {}", describe(*num))),
                );
            }
        }
    });
}
