//! `vrrpctl dump-stats [INSTANCE...] [--format text|json|prometheus] [-o FILE] [--clear]`:
//! keepalived's per-instance counters plus ours, from vrrpd (or keepalived), as keepalived's
//! stats-file text, DESIGN.md's JSON, or the Prometheus exposition for node_exporter's
//! textfile collector (written atomically with -o).

use std::io::Write;
use std::path::Path;

use crate::control::{keepalived_dump, prometheus, Cmd, InstanceSnapshot, NodeStats};

use super::source::{self, Source};
use super::{keepalived_source, CmdError, CmdResult, DumpStatsArgs, Exit, Output, StatsFormat};

pub fn run(a: &DumpStatsArgs, out: &Output) -> CmdResult {
    let format = match a.format {
        Some(f) => f,
        None if out.json => StatsFormat::Json,
        None => StatsFormat::Text,
    };
    let (src, snap, node) = source::fetch_with_node(&a.daemon, &a.instances)?;
    let text = match format {
        StatsFormat::Text => text(&src, &snap, node.as_ref()),
        StatsFormat::Json => json(&snap, node.as_ref()),
        StatsFormat::Prometheus => prometheus::render(&snap, node.as_ref(), true),
    };
    match &a.output {
        Some(path) => write_atomic(path, &text)?,
        None => {
            let mut o = std::io::stdout();
            let _ = o.write_all(text.as_bytes());
        }
    }
    if a.clear {
        clear(a, &src)?;
    }
    Ok(Exit::Ok)
}

fn clear(a: &DumpStatsArgs, src: &Source) -> Result<(), CmdError> {
    match src {
        Source::Vrrpd { .. } => {
            let mut c = super::cmd_status::connect_vrrpd(&a.daemon)?;
            c.request(Cmd::ClearStats {
                instances: a.instances.clone(),
            })
            .map_err(CmdError::client)?;
            Ok(())
        }
        Source::Keepalived { .. } => {
            if !a.instances.is_empty() {
                return Err(CmdError::usage(
                    "keepalived clears all instances' counters at once; --clear with instance names needs vrrpd",
                ));
            }
            keepalived_source::clear_stats(&a.daemon.keepalived_pid)
        }
    }
}

/// `{"instances": [{"name", "interface", "vrid", "source", ...counters}]}`, and from vrrpd
/// `"node": {"unknown_vrid": [{"interface", "count"}], "scripts": [{"name", "runs",
/// "failures", "timeouts"}], "sync_groups": [{"name", "notify_failures"}]}`.
fn json(snap: &[InstanceSnapshot], node: Option<&NodeStats>) -> String {
    let list: Vec<serde_json::Value> = snap
        .iter()
        .map(|i| {
            let mut m = serde_json::Map::new();
            m.insert("name".into(), i.name.clone().into());
            m.insert("interface".into(), i.interface.clone().into());
            m.insert("vrid".into(), i.vrid.into());
            m.insert("source".into(), i.source.clone().into());
            for (k, v, _) in i.stats.fields() {
                m.insert(k.into(), v.into());
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let mut doc = serde_json::json!({ "instances": list });
    if let Some(n) = node {
        doc["node"] = serde_json::to_value(n).unwrap_or_default();
    }
    let mut s = doc.to_string();
    s.push('\n');
    s
}

/// keepalived's stats-file layout per instance, our extra counters after it, then the
/// node-wide ones.
fn text(src: &Source, snap: &[InstanceSnapshot], node: Option<&NodeStats>) -> String {
    let mut s = format!("source: {src}\n");
    for i in snap {
        s += &keepalived_dump::stats_text(std::slice::from_ref(i));
        let c = &i.stats;
        if i.source == crate::control::snapshot::SOURCE_VRRPD {
            s += &format!(
                "  Other Errors:\n    Version: {}\n    Checksum: {}\n  Late master adverts: {}\n  Notify failures: {}\n",
                c.vers_err, c.chk_err, c.late_advert_rcvd, c.notify_failures
            );
        }
    }
    if let Some(n) = node {
        if !n.unknown_vrid.is_empty() {
            s += "Unknown VRID:\n";
            for c in &n.unknown_vrid {
                s += &format!("  {}: {}\n", c.interface, c.count);
            }
        }
        for sc in &n.scripts {
            s += &format!(
                "VRRP Script: {}\n  Runs: {}\n  Failures: {}\n  Timeouts: {}\n",
                sc.name, sc.runs, sc.failures, sc.timeouts
            );
        }
        for g in &n.sync_groups {
            s += &format!(
                "VRRP Sync Group: {}\n  Notify failures: {}\n",
                g.name, g.notify_failures
            );
        }
    }
    s
}

/// Write `text` to a temporary file beside `path` and rename it over `path`, so a reader (the
/// textfile collector) never sees half a file.
fn write_atomic(path: &Path, text: &str) -> Result<(), CmdError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "stats".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |e: std::io::Error| CmdError::usage(format!("cannot write {}: {e}", path.display()));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(fail)
}
