//! keepalived's dump files, written on its signals so existing habits and scripts keep working:
//! USR2 -> `keepalived.stats`, SIGRTMIN+2 -> `keepalived.json`, USR1 -> `keepalived.data`, in
//! `$TMPDIR` (default /tmp), mode 0600, overwritten each time. Stats and JSON follow keepalived
//! 2.2.7's layout and field names; the data file carries the topology part only.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::signals::SigFunc;
use crate::control::keepalived_dump::{json_text, stats_text};
use crate::control::InstanceSnapshot;

/// The word keepalived logs for each dump ("Printing VRRP stats ...").
pub fn what(sig: SigFunc) -> &'static str {
    match sig {
        SigFunc::Stats | SigFunc::StatsClear => "stats",
        SigFunc::Json => "json",
        _ => "data",
    }
}

fn dump_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join(name)
}

fn write_file(name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = dump_path(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

/// The text of `keepalived.data` (the VRRP Topology section).
pub fn data_text(snap: &[InstanceSnapshot]) -> String {
    let mut s = String::from("------< VRRP Topology >------\n");
    for i in snap {
        let _ = writeln!(s, " VRRP Instance = {}", i.name);
        let _ = writeln!(s, "   VRRP Version = {}", i.version);
        let _ = writeln!(s, "   State = {}", i.state);
        if let Some(t) = i.last_transition_epoch {
            let _ = writeln!(s, "   Last transition = {t:.6}");
        }
        let _ = writeln!(s, "   Interface = {}", i.interface);
        let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(s, "   Priority = {}", i.priority);
        let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
        if let Some(m) = &i.master_ip {
            let _ = writeln!(s, "   Master = {m}");
        }
        let _ = writeln!(s, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(s, "     {v}");
        }
    }
    s
}

pub fn write_stats(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.stats", &stats_text(snap))
}

pub fn write_json(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.json", &json_text(snap))
}

pub fn write_data(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.data", &data_text(snap))
}
