//! vrrp_script, vrrp_track_process, track_file and vrrp_sync_group blocks.

use std::time::Duration;

use super::super::diag::Diagnostic;
use super::super::model::{
    Notify, ParamMatch, SyncGroup, TrackRef, VrrpScript, VrrpTrackFile, VrrpTrackProcess,
};
use super::super::tree::Node;
use super::super::values::{notify_script, Reader};
use super::block_name;

/// `weight N [reverse]` of a vrrp_script, vrrp_track_process or track_file block. keepalived
/// takes only `reverse` after the number and reports anything else (a `//` comment too).
/// `already` is true when an earlier weight line set one: track_file and track_process keep
/// the first and ignore this line.
fn weight_and_reverse(
    r: &mut Reader,
    k: &Node,
    min: i64,
    max: i64,
    already: bool,
) -> (Option<i32>, bool) {
    if already {
        r.push(
            Diagnostic::error(
                "invalid-value",
                k.span(),
                "the weight is already set in this block; keepalived ignores this line",
            )
            .with_help("keep one `weight` line"),
        );
        return (None, false);
    }
    let w = r.int_arg(k, min, max).map(|v| v as i32);
    let rev = match k.arg(1) {
        Some(a) if a.text == "reverse" => true,
        Some(a) => {
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    &a.span,
                    format!("unknown weight option `{}`; keepalived ignores it", a.text),
                )
                .with_help(
                    "the only option after the weight is `reverse`; comments start with `#` or `!`",
                ),
            );
            false
        }
        None => false,
    };
    (w, rev)
}

fn missing(node: &Node, name: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "missing-required",
        node.span(),
        format!(
            "`{}` {name} has no `{what}`; keepalived removes it",
            node.name()
        ),
    )
    .with_help(format!("add a `{what}` line inside the block"))
}

pub(super) fn script(r: &mut Reader, node: &Node) -> Option<VrrpScript> {
    let name = block_name(r, node)?;
    let mut s = VrrpScript {
        name: name.clone(),
        span: node.span().clone(),
        script: String::new(),
        interval: Duration::from_secs(1),
        timeout: None,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
    };
    let mut have_script = false;
    for k in node.children() {
        match k.name() {
            "script" => {
                // `script /bin/x arg` and `script "/bin/x arg"` both give the command line.
                if k.args.is_empty() {
                    r.arg(k, 0);
                } else {
                    s.script = k
                        .args
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    have_script = true;
                }
            }
            "interval" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX) / 1_000_000) {
                    s.interval = Duration::from_secs(v.max(1) as u64);
                }
            }
            "timeout" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX) / 1_000_000) {
                    s.timeout = (v > 0).then(|| Duration::from_secs(v as u64));
                }
            }
            "weight" => {
                let (w, rev) = weight_and_reverse(r, k, -253, 253, false);
                s.weight = w.unwrap_or(0);
                s.reverse = rev;
            }
            "rise" => s.rise = r.int_arg(k, 1, i64::from(u32::MAX)).unwrap_or(1) as u32,
            "fall" => s.fall = r.int_arg(k, 1, i64::from(u32::MAX)).unwrap_or(1) as u32,
            "user" => {
                if let Some(u) = r.arg(k, 0) {
                    s.user = Some((u.text.clone(), k.arg(1).map(|w| w.text.clone())));
                }
            }
            "init_fail" => s.init_fail = true,
            _ => {}
        }
    }
    if !have_script {
        r.push(missing(node, &name, "script"));
        return None;
    }
    Some(s)
}

pub(super) fn process(r: &mut Reader, node: &Node) -> Option<VrrpTrackProcess> {
    let name = block_name(r, node)?;
    let mut p = VrrpTrackProcess::new(name.clone(), node.span().clone());
    let mut have = false;
    for k in node.children() {
        match k.name() {
            "process" if have => r.push(
                Diagnostic::error(
                    "invalid-value",
                    k.span(),
                    "the process is already set in this block; keepalived ignores this line",
                )
                .with_help("keep one `process` line"),
            ),
            "process" => {
                if let Some(w) = r.arg(k, 0) {
                    p.process = w.text.clone();
                    p.args = k.args[1..].iter().map(|w| w.text.clone()).collect();
                    // keepalived: arguments mean the command line, compared exactly unless
                    // a param_match says otherwise.
                    if !p.args.is_empty() {
                        p.full_command = true;
                        p.param_match.get_or_insert(ParamMatch::Exact);
                    }
                    have = true;
                }
            }
            "param_match" => {
                let m = match k.arg(0).map(|w| w.text.as_str()) {
                    None => Some(ParamMatch::Exact),
                    Some("initial") => Some(ParamMatch::Initial),
                    Some("partial") => Some(ParamMatch::Partial),
                    Some(other) => {
                        r.push(
                            Diagnostic::error(
                                "invalid-value",
                                k.span(),
                                format!("invalid param_match type `{other}`; keepalived ignores it"),
                            )
                            .with_help("use `param_match` alone (exact), `param_match initial` or `param_match partial`"),
                        );
                        None
                    }
                };
                if m.is_some() {
                    p.param_match = m;
                    p.full_command = true;
                }
            }
            "weight" => {
                let (w, rev) = weight_and_reverse(r, k, -254, 254, p.weight != 0);
                p.weight = w.unwrap_or(p.weight);
                p.reverse |= rev;
            }
            "quorum" => {
                if let Some(q) = r.int_arg(k, 1, 65535) {
                    if p.quorum_max.is_some_and(|m| q as u32 > m) {
                        r.push(Diagnostic::error(
                            "invalid-value",
                            k.span(),
                            "quorum is greater than quorum_max; keepalived ignores this line",
                        ));
                    } else {
                        p.quorum = q as u32;
                    }
                }
            }
            "quorum_max" => {
                if let Some(m) = r.int_arg(k, 0, 65535) {
                    let m = m as u32;
                    // keepalived allows quorum_max 0 (track absence) only while quorum is 1.
                    if (m > 0 || p.quorum > 1) && m < p.quorum {
                        r.push(Diagnostic::error(
                            "invalid-value",
                            k.span(),
                            "quorum_max is less than quorum; keepalived ignores this line",
                        ));
                    } else {
                        p.quorum_max = Some(m);
                        if m == 0 {
                            p.quorum = 0;
                        } else if p.quorum == 0 {
                            p.quorum = 1;
                        }
                    }
                }
            }
            kw @ ("delay" | "terminate_delay" | "fork_delay") => {
                if let Some(d) = r.timer_arg(k, 0.000001, 3600.0) {
                    if kw != "fork_delay" {
                        p.terminate_delay = d;
                    }
                    if kw != "terminate_delay" {
                        p.fork_delay = d;
                    }
                }
            }
            "full_command" => p.full_command = true,
            _ => {}
        }
    }
    if !have {
        r.push(missing(node, &name, "process"));
        return None;
    }
    Some(p)
}

pub(super) fn file(r: &mut Reader, node: &Node) -> Option<VrrpTrackFile> {
    let name = block_name(r, node)?;
    let mut f = VrrpTrackFile {
        name: name.clone(),
        span: node.span().clone(),
        file: Default::default(),
        weight: 1,
        reverse: false,
        init_file: None,
    };
    let mut have = false;
    for k in node.children() {
        match k.name() {
            "file" if have => r.push(
                Diagnostic::error(
                    "invalid-value",
                    k.span(),
                    "the file is already set in this block; keepalived ignores this line",
                )
                .with_help("keep one `file` line"),
            ),
            "file" => {
                if let Some(w) = r.arg(k, 0) {
                    f.file = w.text.clone().into();
                    have = true;
                }
            }
            "weight" => {
                let (w, rev) = weight_and_reverse(r, k, -254, 254, f.weight != 1);
                f.weight = w.unwrap_or(f.weight);
                f.reverse |= rev;
            }
            "init_file" => {
                let mut value = None;
                let mut overwrite = false;
                for a in &k.args {
                    if a.text == "overwrite" {
                        overwrite = true;
                    } else {
                        value = r.int("init_file", a, i64::from(i32::MIN), i64::from(i32::MAX));
                    }
                }
                f.init_file = Some((value, overwrite));
            }
            _ => {}
        }
    }
    if !have {
        r.push(missing(node, &name, "file"));
        return None;
    }
    Some(f)
}

pub(super) fn track_list(r: &mut Reader, k: &Node, min: i64, max: i64) -> Vec<TrackRef> {
    k.children()
        .iter()
        .map(|l| r.track_ref(l, min, max))
        .collect()
}

pub(super) fn notify_keyword(r: &mut Reader, k: &Node, n: &mut Notify) -> bool {
    let slot = match k.name() {
        "notify_master" => &mut n.master,
        "notify_backup" => &mut n.backup,
        "notify_fault" => &mut n.fault,
        "notify_stop" => &mut n.stop,
        "notify_deleted" => &mut n.deleted,
        "notify" => &mut n.generic,
        "notify_master_rx_lower_pri" => &mut n.master_rx_lower_pri,
        _ => return false,
    };
    if k.name() == "notify_deleted" {
        n.notify_deleted = true;
        if k.args.is_empty() {
            return true;
        }
    }
    match notify_script(k) {
        Some(s) => {
            if slot.is_some() {
                r.push(Diagnostic::error(
                    "duplicate-name",
                    k.span(),
                    format!("`{}` is given twice; keepalived keeps the first", k.name()),
                ));
            } else {
                *slot = Some(s);
            }
        }
        None => {
            r.arg(k, 0);
        }
    }
    true
}

pub(super) fn sync_group(r: &mut Reader, node: &Node) -> Option<SyncGroup> {
    let name = block_name(r, node)?;
    let mut g = SyncGroup {
        name: name.clone(),
        span: node.span().clone(),
        group: Vec::new(),
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_process: Vec::new(),
        track_file: Vec::new(),
        notify: Notify::default(),
        sync_group_tracking_weight: false,
        notify_priority_changes: None,
        smtp_alert: None,
    };
    let mut have_group = false;
    for k in node.children() {
        if notify_keyword(r, k, &mut g.notify) {
            continue;
        }
        match k.name() {
            "group" => {
                have_group = true;
                g.group = k
                    .children()
                    .iter()
                    .flat_map(|n| n.words())
                    .map(|w| w.text.clone())
                    .collect();
            }
            "track_interface" => g.track_interface = track_list(r, k, -253, 253),
            "track_script" => g.track_script = track_list(r, k, -253, 253),
            "track_process" => g.track_process = track_list(r, k, -254, 254),
            "track_file" => g.track_file = track_list(r, k, -254, 254),
            "sync_group_tracking_weight" | "global_tracking" => g.sync_group_tracking_weight = true,
            "notify_priority_changes" => g.notify_priority_changes = r.bool_at(k, 0),
            "smtp_alert" => g.smtp_alert = r.bool_at(k, 0),
            _ => {}
        }
    }
    if !have_group {
        r.push(missing(node, &name, "group"));
    }
    Some(g)
}
