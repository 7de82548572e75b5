//! Asking a running keepalived for its state the way its exporters do: signal it (its JSON
//! signal, and USR1 when a backup's master address is wanted), wait for the dump it rewrites
//! in its `$TMPDIR` (read from /proc/PID/environ, default /tmp, seen through /proc/PID/root so
//! a keepalived in another mount namespace works too), and parse it (`control::keepalived_dump`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::control::keepalived_dump::{self, DataInfo};
use crate::control::snapshot::{epoch_now, SOURCE_KEEPALIVED, SOURCE_VRRPD};
use crate::control::InstanceSnapshot;

use super::CmdError;

/// How long keepalived gets to write a dump after the signal.
const DUMP_TIMEOUT: Duration = Duration::from_secs(3);

/// keepalived's signals (its `--signum` numbers on Linux).
fn sig_json() -> i32 {
    libc::SIGRTMIN() + 2
}
fn sig_stats_clear() -> i32 {
    libc::SIGRTMAX() - 1
}

/// The pid in `pidfile` when that process is alive and is keepalived - or vrrpd, which
/// answers keepalived's signals with the same dump files (a vrrpd whose control socket is
/// elsewhere or gone is still readable this way).
pub fn live_pid(pidfile: &Path) -> Option<i32> {
    live_daemon(pidfile).map(|(pid, _)| pid)
}

/// As [`live_pid`], with which daemon it is ("keepalived" or "vrrpd").
pub fn live_daemon(pidfile: &Path) -> Option<(i32, &'static str)> {
    let pid: i32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    if pid <= 0 {
        return None;
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let comm = comm.trim();
    // keepalived may run with process_names; its parent keeps "keepalived" unless renamed.
    if comm.starts_with("keepalived") {
        Some((pid, SOURCE_KEEPALIVED))
    } else if comm == "vrrpd" {
        Some((pid, SOURCE_VRRPD))
    } else {
        None
    }
}

/// Where keepalived `pid` writes its dumps, as seen from here.
fn dump_dir(pid: i32) -> PathBuf {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    let tmp = environ
        .split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(b"TMPDIR="))
        .and_then(|v| std::str::from_utf8(v).ok())
        // keepalived ignores a relative TMPDIR.
        .filter(|v| v.starts_with('/'))
        .unwrap_or("/tmp")
        .to_string();
    PathBuf::from(format!("/proc/{pid}/root{tmp}"))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).ok()?.modified().ok()
}

/// Signal `who` (the daemon's name, for the message) `pid`.
fn signal(who: &str, pid: i32, sig: i32) -> Result<(), CmdError> {
    // SAFETY: kill(2) with a pid read from the pid file and checked to be keepalived or vrrpd.
    if unsafe { libc::kill(pid, sig) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(CmdError::usage(format!(
            "cannot signal {who} (pid {pid}): {e}{}",
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                "; run as root"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// Signal `pid` with `sig` and wait until `file` is rewritten and `parse` accepts it (keepalived
/// writes in place, so a half-written file is read again).
fn dump<T>(
    who: &str,
    pid: i32,
    sig: i32,
    file: &Path,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, CmdError> {
    let before = mtime(file);
    signal(who, pid, sig)?;
    let deadline = Instant::now() + DUMP_TIMEOUT;
    loop {
        let now = mtime(file);
        if now.is_some() && now != before {
            if let Some(v) = std::fs::read_to_string(file)
                .ok()
                .as_deref()
                .and_then(&parse)
            {
                return Ok(v);
            }
        }
        if Instant::now() >= deadline {
            return Err(CmdError::usage(format!(
                "{who} (pid {pid}) did not write {} within {} s of its signal{}",
                file.display(),
                DUMP_TIMEOUT.as_secs(),
                if who == SOURCE_KEEPALIVED {
                    "; is it built with JSON support (keepalived -v)?"
                } else {
                    ""
                }
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The daemon's name ("keepalived" or "vrrpd"), pid, JSON dump and instances, or None when
/// neither runs under `pidfile`.
#[allow(clippy::type_complexity)]
pub fn fetch(
    pidfile: &Path,
) -> Result<Option<(&'static str, i32, PathBuf, Vec<InstanceSnapshot>)>, CmdError> {
    let Some((pid, daemon)) = live_daemon(pidfile) else {
        return Ok(None);
    };
    let dir = dump_dir(pid);
    let json = dir.join("keepalived.json");
    let text = dump(daemon, pid, sig_json(), &json, |t| {
        // Complete when it parses.
        keepalived_dump::parse(t, &DataInfo::default(), 0.0)
            .ok()
            .map(|_| t.to_string())
    })?;
    // The JSON dump has neither a backup's master address nor sync groups; the data dump
    // (USR1) has both. Its Interfaces section comes after the topology: wait for it.
    let data_file = dir.join("keepalived.data");
    let info = dump(daemon, pid, libc::SIGUSR1, &data_file, |t| {
        t.contains("------< Interfaces >------")
            .then(|| keepalived_dump::data_info(t))
    })?;
    let mut snap = keepalived_dump::parse(&text, &info, epoch_now())
        .map_err(|e| CmdError::usage(format!("{}: {e}", json.display())))?;
    for i in &mut snap {
        i.source = daemon.to_string();
    }
    Ok(Some((daemon, pid, json, snap)))
}

/// keepalived's STATS_CLEAR: it writes keepalived.stats and zeroes its counters.
pub fn clear_stats(pidfile: &Path) -> Result<(), CmdError> {
    match live_daemon(pidfile) {
        Some((pid, daemon)) => signal(daemon, pid, sig_stats_clear()),
        None => Err(CmdError::usage(format!(
            "keepalived is not running (no live pid in {})",
            pidfile.display()
        ))),
    }
}
