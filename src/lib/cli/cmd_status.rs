//! `vrrpctl status [INSTANCE...] [--watch] [--json]`: each instance's state, priority, master
//! and VIPs from vrrpd's control socket (or keepalived's JSON dump), as a table or DESIGN.md's
//! JSON; `--watch` follows the event stream. Exit 1 when any instance is in FAULT.

use std::io::{IsTerminal, Write};

use comfy_table::{Cell, Color};

use crate::control::{Client, Event, InstanceSnapshot};

use super::source::{self, Source};
use super::{CmdError, CmdResult, Exit, Output, StatusArgs};

pub fn status(a: &StatusArgs, out: &Output) -> CmdResult {
    if a.watch {
        return watch(a, out);
    }
    let (src, snap) = source::fetch(&a.daemon, &a.instances)?;
    if out.json {
        println!("{}", json_doc(&src, &snap));
    } else {
        print!("{}", render(&src, &snap, out));
    }
    Ok(exit_for(&snap))
}

/// 1 when any instance is in FAULT (the check found a problem), else 0.
fn exit_for(snap: &[InstanceSnapshot]) -> Exit {
    if snap.iter().any(|i| i.state == "FAULT") {
        Exit::Problem
    } else {
        Exit::Ok
    }
}

fn json_doc(_src: &Source, snap: &[InstanceSnapshot]) -> String {
    serde_json::json!({ "instances": snap }).to_string()
}

/// "3.2s", "4m05s", "2h03m", "3d04h"
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{}.{}s", s, (ms % 1000) / 100),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

/// The state, and what it is headed for when keepalived's wantstate says another ("BACKUP
/// (wants MASTER)": a `state MASTER` instance waiting out Master_Down_Interval).
fn state_text(i: &InstanceSnapshot) -> String {
    let mut text = i.state.clone();
    if let Some(w) = i.wantstate.as_deref().filter(|w| *w != i.state) {
        text += &format!(" (wants {w})");
    }
    match &i.demoted {
        Some(r) if r.is_empty() => text += " (demoted)",
        Some(r) => text += &format!(" (demoted: {r})"),
        None => {}
    }
    text
}

fn state_cell(i: &InstanceSnapshot, out: &Output) -> Cell {
    let text = state_text(i);
    let cell = Cell::new(text);
    if !out.color {
        return cell;
    }
    match i.state.as_str() {
        "MASTER" => cell.fg(Color::Green),
        "FAULT" => cell.fg(Color::Red),
        "INIT" | "STOP" => cell.fg(Color::DarkGrey),
        _ => cell,
    }
}

fn priority_text(i: &InstanceSnapshot) -> String {
    let mut s = if i.effective_priority == i.base_priority {
        i.effective_priority.to_string()
    } else {
        format!("{}/{}", i.effective_priority, i.base_priority)
    };
    let moved: Vec<String> = i
        .trackers
        .iter()
        .filter(|t| t.weight != 0 && t.state != "up")
        .map(|t| format!("{} {} {:+}", t.kind, t.name, t.weight))
        .collect();
    if !moved.is_empty() {
        s += &format!(" ({})", moved.join(", "));
    }
    s
}

fn master_text(i: &InstanceSnapshot) -> String {
    match (&i.master_ip, i.master_priority) {
        (Some(ip), Some(p)) => format!("{ip} ({p})"),
        (Some(ip), None) => ip.clone(),
        (None, _) => "-".into(),
    }
}

/// The VIPs' addresses (the first word of each).
fn vips_text(i: &InstanceSnapshot) -> String {
    if i.vips.is_empty() {
        return "-".into();
    }
    i.vips
        .iter()
        .map(|v| v.split_whitespace().next().unwrap_or(v))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The table, instances of one sync group together under the group's name.
pub fn render(src: &Source, snap: &[InstanceSnapshot], out: &Output) -> String {
    let mut header = vec![
        "INSTANCE",
        "IFACE",
        "VRID",
        "VER",
        "STATE",
        "PRIO",
        "MASTER",
        "VIPS",
        "SINCE",
        "LAST TRANSITION",
    ];
    let grouped = snap.iter().any(|i| i.sync_group.is_some());
    if grouped {
        header.insert(0, "GROUP");
    }
    let mut rows: Vec<&InstanceSnapshot> = snap.iter().collect();
    // Stable: instances keep the daemon's order inside their group; ungrouped ones come last.
    rows.sort_by_key(|i| (i.sync_group.is_none(), i.sync_group.clone()));
    let mut t = out.table(&header);
    for i in rows {
        let mut row = vec![
            Cell::new(&i.name),
            Cell::new(&i.interface),
            Cell::new(i.vrid),
            Cell::new(format!("v{}", i.version)),
            state_cell(i, out),
            Cell::new(priority_text(i)),
            Cell::new(master_text(i)),
            Cell::new(vips_text(i)),
            Cell::new(i.since_ms.map(human_duration).unwrap_or_else(|| "-".into())),
            Cell::new(i.last_transition.clone().unwrap_or_else(|| "-".into())),
        ];
        if grouped {
            row.insert(0, Cell::new(i.sync_group.as_deref().unwrap_or("-")));
        }
        t.add_row(row);
    }
    // On a narrow terminal the transition text goes first, the instance, state, priority,
    // master and VIPs last.
    let shift = usize::from(grouped);
    let drop: Vec<usize> = [9, 3, 8, 1, 2].iter().map(|i| i + shift).collect();
    let hidden = super::output::fit_columns(&mut t, &drop);
    let note = if hidden.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = hidden.iter().map(|i| header[*i]).collect();
        format!("(hidden to fit: {})\n", names.join(", "))
    };
    format!("source: {src}\n{t}\n{note}")
}

/// One event as a line of text.
pub fn event_line(ev: &Event) -> String {
    let ts = |t: f64| {
        let secs = t as i64;
        let ms = ((t - secs as f64) * 1000.0) as u32;
        let tod = secs.rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02}.{ms:03}",
            tod / 3600,
            (tod % 3600) / 60,
            tod % 60
        )
    };
    match ev {
        Event::Transition {
            ts: t,
            instance,
            from,
            to,
            reason,
            effective_priority,
        } => format!(
            "{} {instance}: {from} -> {to} ({reason}, prio {effective_priority})",
            ts(*t)
        ),
        Event::Priority {
            ts: t,
            instance,
            from,
            to,
            reason,
        } => format!("{} {instance}: priority {from} -> {to} ({reason})", ts(*t)),
        Event::Lagged { missed } => format!("(missed {missed} events)"),
    }
}

fn selected(ev: &Event, names: &[String]) -> bool {
    match ev {
        Event::Transition { instance, .. } | Event::Priority { instance, .. } => {
            names.is_empty() || names.contains(instance)
        }
        Event::Lagged { .. } => true,
    }
}

/// `--watch`: the table once (redrawn after each event on a terminal), then each event as it
/// comes; with --json, the events as JSON lines.
fn watch(a: &StatusArgs, out: &Output) -> CmdResult {
    let Some(client) = source::connect(&a.daemon)? else {
        if super::keepalived_source::live_pid(&a.daemon.keepalived_pid).is_some() {
            return Err(CmdError::usage(
                "--watch needs vrrpd's event stream; keepalived has none (run `vrrpctl status` without --watch)",
            ));
        }
        return Err(source::not_running(&a.daemon));
    };
    let redraw = !out.json && std::io::stdout().is_terminal();
    let events = client.watch().map_err(CmdError::client)?;
    let mut recent: Vec<String> = Vec::new();
    let show = |recent: &[String]| -> Result<(), CmdError> {
        let (src, snap) = source::fetch(&a.daemon, &a.instances)?;
        // Clear the screen and home the cursor.
        print!("\x1b[2J\x1b[H{}", render(&src, &snap, out));
        for l in recent {
            println!("{l}");
        }
        Ok(())
    };
    if redraw {
        show(&recent)?;
    } else if !out.json {
        // Check the instance names once, as status does.
        source::fetch(&a.daemon, &a.instances)?;
    }
    let mut stdout = std::io::stdout();
    for ev in events {
        let ev = ev.map_err(CmdError::client)?;
        if !selected(&ev, &a.instances) {
            continue;
        }
        if out.json {
            let _ = writeln!(stdout, "{}", serde_json::to_string(&ev).unwrap_or_default());
        } else if redraw {
            recent.push(event_line(&ev));
            if recent.len() > 10 {
                recent.remove(0);
            }
            show(&recent)?;
        } else {
            let _ = writeln!(stdout, "{}", event_line(&ev));
        }
        // Scripts read this through a pipe: every event at once, not when a buffer fills.
        if stdout.flush().is_err() {
            return Ok(Exit::Ok);
        }
    }
    Err(CmdError::usage(
        "vrrpd closed the event stream (it stopped)",
    ))
}

/// Used by the demote command too: a fresh connection for a mutating request. Without vrrpd
/// on a node where keepalived runs, say so: keepalived has no such request.
pub fn connect_vrrpd(a: &super::DaemonArgs) -> Result<Client, CmdError> {
    source::connect(a)?.ok_or_else(|| {
        let no_socket = crate::control::ClientError::NotRunning(a.socket.clone());
        match super::keepalived_source::live_daemon(&a.keepalived_pid) {
            Some((pid, d)) if d == crate::control::snapshot::SOURCE_KEEPALIVED => {
                CmdError::usage(format!(
                    "{no_socket}; keepalived (pid {pid}) runs here, and it has no such request"
                ))
            }
            Some((pid, _)) => CmdError::usage(format!(
                "{no_socket}; vrrpd (pid {pid}) runs here with its control socket elsewhere: pass --socket"
            )),
            None => source::not_running(a),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_shows_wantstate_when_it_differs_and_the_demotion() {
        let mut i = crate::control::snapshot::sample();
        assert_eq!(state_text(&i), "MASTER");
        i.state = "BACKUP".into();
        assert_eq!(state_text(&i), "BACKUP (wants MASTER)");
        i.wantstate = None;
        i.demoted = Some("kernel update".into());
        assert_eq!(state_text(&i), "BACKUP (demoted: kernel update)");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(3_250), "3.2s");
        assert_eq!(human_duration(245_000), "4m05s");
        assert_eq!(human_duration(7_380_000), "2h03m");
        assert_eq!(human_duration(273_600_000), "3d04h");
    }
}
