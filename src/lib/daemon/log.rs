//! Where vrrpd's log goes, with keepalived's flags: `-l` logs to the console (stderr) only;
//! without it vrrpd logs to syslog (facility DAEMON, or LOCAL0..7 with `-S N`), which journald
//! collects under systemd — unless stderr is a terminal, where a person started it by hand and
//! reads stderr. `-D` adds debug detail; `VRRPD_LOG` takes a tracing filter.
//!
//! syslog(3) from libc does the framing (priority, timestamp, `vrrpd[PID]:`); the tracing
//! subscriber formats one event into one buffer and hands it over in one write, so each event
//! is one syslog record at its level's priority.

use std::ffi::CString;
use std::io::{self, IsTerminal, Write};

use tracing::level_filters::LevelFilter;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Where the log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Console,
    Syslog { facility: libc::c_int },
}

/// keepalived's choice: `-l` or an interactive stderr means the console, else syslog.
pub fn target(log_console: bool, log_facility: Option<u8>, stderr_is_tty: bool) -> Target {
    if log_console || stderr_is_tty {
        return Target::Console;
    }
    let facility = match log_facility {
        Some(n) => libc::LOG_LOCAL0 + (libc::c_int::from(n.min(7)) << 3),
        None => libc::LOG_DAEMON,
    };
    Target::Syslog { facility }
}

/// The syslog priority of a tracing level.
pub fn priority(level: &Level) -> libc::c_int {
    match *level {
        Level::ERROR => libc::LOG_ERR,
        Level::WARN => libc::LOG_WARNING,
        Level::INFO => libc::LOG_INFO,
        Level::DEBUG | Level::TRACE => libc::LOG_DEBUG,
    }
}

/// Set up the global subscriber for vrrpd's `-l`, `-S N` and `-D`.
pub fn init(log_console: bool, log_facility: Option<u8>, log_detail: bool) {
    let filter = filter(std::env::var("VRRPD_LOG").ok().as_deref(), log_detail);
    // The builder's own level (INFO unless told) caps what `filter` enables: give it the
    // filter's most detailed level, no more (TRACE for all made idle adverts later, measured).
    let max = <Targets as Layer<tracing_subscriber::Registry>>::max_level_hint(&filter)
        .unwrap_or(LevelFilter::TRACE);
    let stderr_tty = io::stderr().is_terminal();
    match target(log_console, log_facility, stderr_tty) {
        Target::Console => tracing_subscriber::fmt()
            .with_max_level(max)
            .with_writer(io::stderr)
            .with_ansi(stderr_tty)
            .with_target(false)
            .finish()
            .with(filter)
            .init(),
        Target::Syslog { facility } => {
            // SAFETY: the ident is a static C string, as openlog(3) requires.
            unsafe {
                libc::openlog(
                    c"vrrpd".as_ptr(),
                    libc::LOG_PID | libc::LOG_NDELAY,
                    facility,
                )
            };
            tracing_subscriber::fmt()
                .with_max_level(max)
                .with_writer(Syslog)
                .with_ansi(false)
                .with_target(false)
                // syslog stamps each record itself.
                .without_time()
                .with_level(false)
                .finish()
                .with(filter)
                .init()
        }
    }
}

/// The filter of `VRRPD_LOG` ("debug", "info,vrrp::daemon=trace": a default level and
/// per-target levels), else info, or debug with `-D`. tracing's `Targets`, not `EnvFilter`:
/// EnvFilter's span and field filters bring a regex engine, ~250 KB of vrrpd's text that
/// every vrrpd maps (a page fault maps 64 KiB around the page touched).
pub fn filter(var: Option<&str>, log_detail: bool) -> Targets {
    let default = if log_detail {
        Level::DEBUG
    } else {
        Level::INFO
    };
    var.and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(default))
}

/// Makes one [`Record`] per event.
pub struct Syslog;

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = Record;
    fn make_writer(&'a self) -> Record {
        Record::new(libc::LOG_INFO)
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Record {
        Record::new(priority(meta.level()))
    }
}

/// One event's text, sent to syslog when dropped.
pub struct Record {
    priority: libc::c_int,
    buf: Vec<u8>,
}

impl Record {
    fn new(priority: libc::c_int) -> Record {
        Record {
            priority,
            buf: Vec::with_capacity(256),
        }
    }

    /// The text syslog gets: one line, no trailing newline, no NUL (which would cut it).
    pub fn text(&self) -> CString {
        let mut b: Vec<u8> = self
            .buf
            .iter()
            .map(|&c| if c == 0 { b' ' } else { c })
            .collect();
        while b.last().is_some_and(|c| *c == b'\n') {
            b.pop();
        }
        // No NUL is left, so this cannot fail; an empty string is the harmless fallback.
        CString::new(b).unwrap_or_default()
    }
}

impl Write for Record {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = self.text();
        // SAFETY: "%s" with one valid C string; syslog(3) is thread-safe in glibc.
        unsafe { libc::syslog(self.priority, c"%s".as_ptr(), text.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_flags_pick_the_target() {
        assert_eq!(target(true, None, false), Target::Console);
        assert_eq!(target(false, None, true), Target::Console);
        assert_eq!(
            target(false, None, false),
            Target::Syslog {
                facility: libc::LOG_DAEMON
            }
        );
        assert_eq!(
            target(false, Some(3), false),
            Target::Syslog {
                facility: libc::LOG_LOCAL3
            }
        );
        assert_eq!(priority(&Level::WARN), libc::LOG_WARNING);
    }

    #[test]
    fn vrrpd_log_sets_levels_per_target() {
        let f = filter(Some("warn,vrrp::daemon=trace"), false);
        assert!(f.would_enable("vrrp::daemon::run", &Level::TRACE));
        assert!(!f.would_enable("vrrp::node", &Level::INFO));
        assert!(f.would_enable("vrrp::node", &Level::WARN));
        let f = filter(None, false);
        assert!(f.would_enable("vrrp::node", &Level::INFO));
        assert!(!f.would_enable("vrrp::node", &Level::DEBUG));
        assert!(filter(None, true).would_enable("vrrp::node", &Level::DEBUG));
        // Not a filter: the default, as with no VRRPD_LOG.
        let f = filter(Some("vrrp=[{x}]"), false);
        assert!(f.would_enable("vrrp::node", &Level::INFO));
        assert!(!f.would_enable("vrrp::node", &Level::DEBUG));
    }

    #[test]
    fn a_record_is_one_line_without_nul() {
        let mut r = Record::new(libc::LOG_INFO);
        r.write_all(b"VI_1: BACKUP -> MASTER\0x\n").unwrap();
        assert_eq!(r.text().to_bytes(), b"VI_1: BACKUP -> MASTER x");
        r.buf.clear();
    }
}
