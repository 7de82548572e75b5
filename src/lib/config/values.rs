//! Reading keyword values the way keepalived does (strtol/strtod ranges, `<BOOL>`, timers in
//! seconds with micro-second resolution, addresses), reporting `invalid-value`,
//! `value-out-of-range` and missing parameters as diagnostics.

use std::net::IpAddr;
use std::time::Duration;

use super::diag::Diagnostic;
use super::lexer::Word;
use super::tree::Node;

/// Collects the loader's diagnostics while values are read.
#[derive(Default)]
pub(crate) struct Reader {
    pub diags: Vec<Diagnostic>,
}

impl Reader {
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Argument `i` of `node`, or an error saying the keyword needs it.
    pub fn arg<'a>(&mut self, node: &'a Node, i: usize) -> Option<&'a Word> {
        let w = node.arg(i);
        if w.is_none() {
            self.push(Diagnostic::error(
                "invalid-value",
                node.span(),
                format!("`{}` is missing a value", node.name()),
            ));
        }
        w
    }

    /// A decimal integer in `min..=max`.
    pub fn int(&mut self, kw: &str, w: &Word, min: i64, max: i64) -> Option<i64> {
        let t = w.text.trim_start();
        match t.parse::<i64>() {
            Ok(v) if v >= min && v <= max => Some(v),
            Ok(v) => {
                self.push(
                    Diagnostic::error(
                        "value-out-of-range",
                        &w.span,
                        format!("`{kw}` {v} is outside {min}..={max}"),
                    )
                    .with_help(format!("use a value from {min} to {max}")),
                );
                None
            }
            Err(_) => {
                self.push(Diagnostic::error(
                    "invalid-value",
                    &w.span,
                    format!("`{kw}` needs a whole number, not `{}`", w.text),
                ));
                None
            }
        }
    }

    /// First argument of `node` as an integer in range.
    pub fn int_arg(&mut self, node: &Node, min: i64, max: i64) -> Option<i64> {
        let w = self.arg(node, 0)?;
        self.int(node.name(), w, min, max)
    }

    /// A number of seconds (decimals allowed) in `min..=max`.
    pub fn seconds(&mut self, kw: &str, w: &Word, min: f64, max: f64) -> Option<f64> {
        match w.text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= min && v <= max => Some(v),
            Ok(v) if v.is_finite() => {
                self.push(
                    Diagnostic::error(
                        "value-out-of-range",
                        &w.span,
                        format!("`{kw}` {} is outside {min}..={max} seconds", w.text),
                    )
                    .with_help(format!("use a value from {min} to {max}")),
                );
                None
            }
            _ => {
                self.push(Diagnostic::error(
                    "invalid-value",
                    &w.span,
                    format!("`{kw}` needs a number of seconds, not `{}`", w.text),
                ));
                None
            }
        }
    }

    /// A number of seconds read as keepalived's read_decimal_unsigned does (parser.c): plain
    /// digits with at most one `.`, exact in microseconds; a seventh decimal rounds the sixth
    /// (half up) and the rest are ignored. `min_us..=max_us` is the accepted range.
    pub fn micros(&mut self, kw: &str, w: &Word, min_us: u64, max_us: u64) -> Option<u64> {
        let t = w.text.trim();
        let Some(us) = decimal_micros(t) else {
            self.push(Diagnostic::error(
                "invalid-value",
                &w.span,
                format!("`{kw}` needs a number of seconds, not `{}`", w.text),
            ));
            return None;
        };
        if (min_us..=max_us).contains(&us) {
            return Some(us);
        }
        let (min, max) = (show_micros(min_us), show_micros(max_us));
        self.push(
            Diagnostic::error(
                "value-out-of-range",
                &w.span,
                format!("`{kw}` {} is outside {min}..={max} seconds", w.text),
            )
            .with_help(format!("use a value from {min} to {max}")),
        );
        None
    }

    /// First argument of `node` as a timer (micro-second resolution).
    pub fn timer_arg(&mut self, node: &Node, min: f64, max: f64) -> Option<Duration> {
        let w = self.arg(node, 0)?;
        self.seconds(node.name(), w, min, max).map(secs)
    }

    /// `<BOOL>` argument at `i`; no argument means true.
    pub fn bool_at(&mut self, node: &Node, i: usize) -> Option<bool> {
        let Some(w) = node.arg(i) else {
            return Some(true);
        };
        match w.text.as_str() {
            "on" | "true" | "yes" => Some(true),
            "off" | "false" | "no" => Some(false),
            _ => {
                self.push(
                    Diagnostic::error(
                        "invalid-value",
                        &w.span,
                        format!("`{}` takes on/off, not `{}`", node.name(), w.text),
                    )
                    .with_help("use one of on, off, true, false, yes, no (or no value for on)"),
                );
                None
            }
        }
    }

    pub fn ip(&mut self, kw: &str, w: &Word) -> Option<IpAddr> {
        match w.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.push(Diagnostic::error(
                    "invalid-value",
                    &w.span,
                    format!("`{kw}` needs an IP address, not `{}`", w.text),
                ));
                None
            }
        }
    }

    pub fn ip_arg(&mut self, node: &Node) -> Option<IpAddr> {
        let w = self.arg(node, 0)?;
        self.ip(node.name(), w)
    }

    /// `NAME [weight N [reverse|noreverse]]` lines of a track_* block.
    pub fn track_ref(&mut self, line: &Node, min: i64, max: i64) -> super::model::TrackRef {
        let mut weight = None;
        let mut reverse = false;
        let mut i = 0;
        while let Some(w) = line.arg(i) {
            match w.text.as_str() {
                "weight" => {
                    if let Some(v) = line.arg(i + 1) {
                        weight = self.int("weight", v, min, max).map(|v| v as i32);
                        i += 1;
                    } else {
                        self.push(Diagnostic::error(
                            "invalid-value",
                            &w.span,
                            "`weight` is missing a value",
                        ));
                    }
                }
                "reverse" => reverse = true,
                "noreverse" | "no_reverse" => reverse = false,
                other => self.push(Diagnostic::error(
                    "invalid-value",
                    &w.span,
                    format!("unknown option `{other}` for tracked `{}`", line.name()),
                )),
            }
            i += 1;
        }
        super::model::TrackRef {
            name: line.name().to_string(),
            weight,
            reverse,
            span: line.span().clone(),
        }
    }
}

/// `DIGITS[.DIGITS]` (either side may be empty, not both) as microseconds, keepalived's way.
fn decimal_micros(t: &str) -> Option<u64> {
    let t = t.strip_prefix('+').unwrap_or(t);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut us = whole.checked_mul(1_000_000)?;
    let mut scale = 100_000;
    for (i, b) in frac.bytes().enumerate() {
        let d = u64::from(b - b'0');
        if i < 6 {
            us += d * scale;
            scale /= 10;
        } else {
            us += u64::from(d >= 5);
            break;
        }
    }
    Some(us)
}

/// Microseconds as a decimal number of seconds without trailing zeros (255, 0.01).
fn show_micros(us: u64) -> String {
    let s = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(crate) fn secs(v: f64) -> Duration {
    Duration::from_micros((v * 1_000_000.0).round() as u64)
}

/// The words of a `notify*` line: `SCRIPT|"SCRIPT args" [user [group]]`.
pub(crate) fn notify_script(node: &Node) -> Option<super::model::NotifyScript> {
    let cmd = node.arg(0)?;
    Some(super::model::NotifyScript {
        command: cmd.text.clone(),
        user: node.arg(1).map(|w| w.text.clone()),
        group: node.arg(2).map(|w| w.text.clone()),
        span: cmd.span.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_micros_reads_like_keepalived() {
        assert_eq!(decimal_micros("0.145"), Some(145_000));
        assert_eq!(decimal_micros("3"), Some(3_000_000));
        assert_eq!(decimal_micros(".5"), Some(500_000));
        assert_eq!(decimal_micros("5."), Some(5_000_000));
        assert_eq!(
            decimal_micros("0.0000015"),
            Some(2),
            "seventh decimal rounds"
        );
        assert_eq!(decimal_micros("0.00000149"), Some(1), "eighth is ignored");
        for bad in ["", ".", "1e2", "inf", "-1", "1.2.3", "0x10", "1 "] {
            assert_eq!(decimal_micros(bad), None, "{bad:?}");
        }
        assert_eq!(show_micros(10_000), "0.01");
        assert_eq!(show_micros(255_000_000), "255");
    }
}
