//! Trackers as keepalived.conf defines them: which trackers an instance follows with which
//! weight (resolved from the typed model the way keepalived 2.2.7 does, sync groups included),
//! and what a tracker's result contributes to the instance's total priority or whether it puts
//! it in FAULT. The one copy of these rules: the node layer (`node::track`) applies them to
//! reported results, lint's failover analysis (`lint::failover`) reasons with them, and the
//! simulator reaches them through the node layer.
//!
//! keepalived's rules (vrrp_track.c): with weight W and multiplier M (-1 for `reverse`),
//! a tracker that is up adds W x M when W > 0, one that is down adds W x M when W < 0, one that
//! has not reported adds nothing. Weight 0 means FAULT while down (while up with `reverse`).
//! A track_file's value V adds V x W x M (capped at 253); a result <= -254 means FAULT; with
//! weight 0 a non-zero value (zero with `reverse`) means FAULT.

use std::fmt;

use super::model::{Config, Span, SyncGroup, TrackRef, VrrpInstance};

/// What kind of tracker (keepalived's `track_*` keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackerKind {
    Script,
    Process,
    File,
    Interface,
}

impl TrackerKind {
    /// The keyword that tracks it.
    pub fn keyword(self) -> &'static str {
        match self {
            TrackerKind::Script => "track_script",
            TrackerKind::Process => "track_process",
            TrackerKind::File => "track_file",
            TrackerKind::Interface => "track_interface",
        }
    }
    /// The block that defines it (the interface's own name for track_interface).
    pub fn block(self) -> &'static str {
        match self {
            TrackerKind::Script => "vrrp_script",
            TrackerKind::Process => "vrrp_track_process",
            TrackerKind::File => "track_file",
            TrackerKind::Interface => "interface",
        }
    }
}

/// One tracker of the node: its kind and its name (the block's name, or the interface's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackerId {
    pub kind: TrackerKind,
    pub name: String,
}

impl TrackerId {
    pub fn new(kind: TrackerKind, name: impl Into<String>) -> TrackerId {
        TrackerId {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for TrackerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.block(), self.name)
    }
}

/// A tracker's result as last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerState {
    /// Not reported yet (a script that has not exited once).
    Unknown,
    /// Script succeeded (rise reached), process quorum held, interface up.
    Up,
    Down,
    /// A track_file's value.
    Value(i64),
}

impl fmt::Display for TrackerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackerState::Unknown => f.write_str("unknown"),
            TrackerState::Up => f.write_str("up"),
            TrackerState::Down => f.write_str("down"),
            TrackerState::Value(v) => write!(f, "value {v}"),
        }
    }
}

/// One tracker an instance follows, with the weight keepalived applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerDef {
    pub id: TrackerId,
    /// 0: FAULT while failing.
    pub weight: i32,
    pub reverse: bool,
    /// Tracked through this sync group (its track_* lists), not the instance's own.
    pub via_group: Option<String>,
    /// The state before anything is reported (a vrrp_script with `init_fail` starts down).
    pub initial: TrackerState,
}

/// What one tracker's state does to an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contribution {
    Weight(i32),
    /// FAULT, with the text shown in the transition.
    Fault(String),
}

impl TrackerDef {
    fn multiplier(&self) -> i32 {
        if self.reverse {
            -1
        } else {
            1
        }
    }

    /// What `state` contributes (keepalived's initialise_*_tracking_priorities and the update
    /// paths agree: the contribution depends on the current state only).
    pub fn contribution(&self, state: TrackerState) -> Contribution {
        let (w, m) = (self.weight, self.multiplier());
        match state {
            TrackerState::Unknown => Contribution::Weight(0),
            TrackerState::Value(v) => {
                let status = if w == 0 {
                    if (v != 0) == (m == 1) {
                        -254
                    } else {
                        0
                    }
                } else {
                    v.saturating_mul(i64::from(w)).saturating_mul(i64::from(m))
                };
                if status <= -254 {
                    Contribution::Fault(format!("{} has status {status}", self.id))
                } else {
                    Contribution::Weight(status.min(253) as i32)
                }
            }
            TrackerState::Up | TrackerState::Down => {
                let up = state == TrackerState::Up;
                if w == 0 {
                    if up != (m == 1) {
                        let what = if up { "up (reverse)" } else { "down" };
                        return Contribution::Fault(format!("{} is {what}", self.id));
                    }
                    return Contribution::Weight(0);
                }
                let applies = if up { w > 0 } else { w < 0 };
                Contribution::Weight(if applies { w * m } else { 0 })
            }
        }
    }
}

impl TrackerDef {
    /// The result of a tracker that is fine: up (a script that succeeds, a process quorum
    /// held, an interface up), or 0 in a track_file.
    pub fn ok_state(&self) -> TrackerState {
        match self.id.kind {
            TrackerKind::File => TrackerState::Value(0),
            _ => TrackerState::Up,
        }
    }

    /// The result of a failing tracker: down, or 1 in a track_file (what a check writes when
    /// it fails; the weight scales it).
    pub fn failed_state(&self) -> TrackerState {
        match self.id.kind {
            TrackerKind::File => TrackerState::Value(1),
            _ => TrackerState::Down,
        }
    }

    /// What it adds to the total priority while fine: 0 when being fine puts the instance in
    /// FAULT (weight 0 with `reverse`).
    pub fn ok_weight(&self) -> i32 {
        match self.contribution(self.ok_state()) {
            Contribution::Weight(w) => w,
            Contribution::Fault(_) => 0,
        }
    }

    /// How much the total priority moves when it goes from fine to failing; None when failing
    /// means FAULT.
    pub fn fail_delta(&self) -> Option<i32> {
        match self.contribution(self.failed_state()) {
            Contribution::Weight(w) => Some(w - self.ok_weight()),
            Contribution::Fault(_) => None,
        }
    }
}

/// keepalived's vrrp_set_effective_priority: base + weights within 1..=254; an address owner
/// (255) never moves.
pub fn effective_priority(base: u8, total_weight: i32) -> u8 {
    if base == 255 {
        return 255;
    }
    (i32::from(base) + total_weight).clamp(1, 254) as u8
}

/// The trackers of `inst` (and of its sync group `group`), resolved the way keepalived does:
/// the `track_*` line's weight, else the block's; track_interface defaults to weight 0;
/// track_file to the block's weight (1 by default). In a sync group without
/// `sync_group_tracking_weight` (and for an address owner), weighted track_interface and
/// track_process lines become weight 0, weighted track_scripts are dropped (keepalived logs
/// "ignoring tracked script ... with weights due to SYNC group") and track_files with the
/// block's weight become unweighted. Names no block defines are left out (lint names them).
pub fn resolve(config: &Config, inst: &VrrpInstance, group: Option<&SyncGroup>) -> Vec<TrackerDef> {
    resolve_with_spans(config, inst, group)
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

/// [`resolve`] for `inst` in its own sync group (the one of `config` that lists it).
pub fn resolve_in_config(config: &Config, inst: &VrrpInstance) -> Vec<(TrackerDef, Span)> {
    resolve_with_spans(config, inst, config.sync_group_of(&inst.name))
}

/// [`resolve`], each tracker with the span of the `track_*` line that follows it (for lint).
pub fn resolve_with_spans(
    config: &Config,
    inst: &VrrpInstance,
    group: Option<&SyncGroup>,
) -> Vec<(TrackerDef, Span)> {
    let strip = inst.priority == 255 || group.is_some_and(|g| !g.sync_group_tracking_weight);
    let mut out = Vec::new();
    let mut lists = vec![(
        None,
        &inst.track_script,
        &inst.track_process,
        &inst.track_file,
        &inst.track_interface,
    )];
    if let Some(g) = group {
        lists.push((
            Some(g.name.clone()),
            &g.track_script,
            &g.track_process,
            &g.track_file,
            &g.track_interface,
        ));
    }
    for (via, scripts, processes, files, interfaces) in lists {
        let mut push = |kind, t: &TrackRef, weight: i32, reverse: bool, initial| {
            let id = TrackerId::new(kind, t.name.clone());
            if out.iter().any(|(d, _): &(TrackerDef, Span)| d.id == id) {
                return;
            }
            let def = TrackerDef {
                id,
                weight,
                reverse,
                via_group: via.clone(),
                initial,
            };
            out.push((def, t.span.clone()));
        };
        for t in scripts {
            let Some(b) = config.scripts.iter().find(|s| s.name == t.name) else {
                continue;
            };
            let (w, rev) = own_or_block(t, b.weight, b.reverse);
            if strip && w != 0 {
                continue;
            }
            let initial = if b.init_fail {
                TrackerState::Down
            } else {
                TrackerState::Unknown
            };
            push(TrackerKind::Script, t, w, rev, initial);
        }
        for t in processes {
            let Some(b) = config.track_processes.iter().find(|s| s.name == t.name) else {
                continue;
            };
            let (w, rev) = own_or_block(t, b.weight, b.reverse);
            push(
                TrackerKind::Process,
                t,
                if strip { 0 } else { w },
                rev,
                TrackerState::Unknown,
            );
        }
        for t in files {
            let Some(b) = config.track_files.iter().find(|s| s.name == t.name) else {
                continue;
            };
            let (w, rev) = own_or_block(t, b.weight, b.reverse);
            let w = if strip && t.weight.is_none() { 0 } else { w };
            push(TrackerKind::File, t, w, rev, TrackerState::Unknown);
        }
        for t in interfaces {
            let w = if strip { 0 } else { t.weight.unwrap_or(0) };
            push(
                TrackerKind::Interface,
                t,
                w,
                t.reverse,
                TrackerState::Unknown,
            );
        }
    }
    out
}

fn own_or_block(t: &TrackRef, weight: i32, reverse: bool) -> (i32, bool) {
    match t.weight {
        Some(w) => (w, t.reverse),
        None => (weight, reverse || t.reverse),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(weight: i32, reverse: bool) -> TrackerDef {
        TrackerDef {
            id: TrackerId::new(TrackerKind::Script, "chk"),
            weight,
            reverse,
            via_group: None,
            initial: TrackerState::Unknown,
        }
    }

    #[test]
    fn weights_follow_keepalived() {
        use Contribution::*;
        use TrackerState::*;
        // Negative weight: applies while down.
        assert_eq!(def(-60, false).contribution(Up), Weight(0));
        assert_eq!(def(-60, false).contribution(Down), Weight(-60));
        // Positive: while up.
        assert_eq!(def(10, false).contribution(Up), Weight(10));
        assert_eq!(def(10, false).contribution(Down), Weight(0));
        // Reverse turns the sign.
        assert_eq!(def(10, true).contribution(Up), Weight(-10));
        assert_eq!(def(-10, true).contribution(Down), Weight(10));
        // Unknown adds nothing.
        assert_eq!(def(10, false).contribution(Unknown), Weight(0));
        // Weight 0: FAULT while down, or while up when reversed.
        assert!(matches!(def(0, false).contribution(Down), Fault(_)));
        assert_eq!(def(0, false).contribution(Up), Weight(0));
        assert!(matches!(def(0, true).contribution(Up), Fault(_)));
    }

    #[test]
    fn fail_delta_is_down_minus_up() {
        // keepalived's process_script_update_priority: -|weight| x multiplier.
        assert_eq!(def(-30, false).fail_delta(), Some(-30));
        assert_eq!(def(20, false).fail_delta(), Some(-20));
        assert_eq!(def(20, true).fail_delta(), Some(20));
        assert_eq!(def(-20, true).fail_delta(), Some(20));
        assert_eq!(def(0, false).fail_delta(), None);
        // Reversed weight 0: down is the healthy state, up the FAULT.
        assert_eq!(def(0, true).fail_delta(), Some(0));
        assert_eq!(def(20, false).ok_weight(), 20);
        assert_eq!(def(-20, false).ok_weight(), 0);
        assert_eq!(def(20, true).ok_weight(), -20);
        // A track_file fails by holding 1: weight x 1, or FAULT with weight 0.
        let file = |weight| TrackerDef {
            id: TrackerId::new(TrackerKind::File, "f"),
            ..def(weight, false)
        };
        assert_eq!(file(-10).fail_delta(), Some(-10));
        assert_eq!(file(10).ok_weight(), 0);
        assert_eq!(file(0).fail_delta(), None);
    }

    #[test]
    fn track_file_values_as_measured() {
        use Contribution::*;
        // Inventory §1.7, weight 10 on priority 100: 5 -> 150, -3 -> 70, -30 -> FAULT, 0 -> 100.
        let f = TrackerDef {
            id: TrackerId::new(TrackerKind::File, "f"),
            ..def(10, false)
        };
        let eff = |v| match f.contribution(TrackerState::Value(v)) {
            Weight(w) => Some(effective_priority(100, w)),
            Fault(_) => None,
        };
        assert_eq!(eff(5), Some(150));
        assert_eq!(eff(-3), Some(70));
        assert_eq!(eff(-30), None);
        assert_eq!(eff(0), Some(100));
        // Capped at 253 before the clamp.
        assert_eq!(f.contribution(TrackerState::Value(1000)), Weight(253));
        let zero = TrackerDef { weight: 0, ..f };
        assert!(matches!(
            zero.contribution(TrackerState::Value(1)),
            Fault(_)
        ));
        assert_eq!(zero.contribution(TrackerState::Value(0)), Weight(0));
    }

    #[test]
    fn effective_priority_clamps_and_owner_never_moves() {
        assert_eq!(effective_priority(100, -200), 1);
        assert_eq!(effective_priority(200, 100), 254);
        assert_eq!(effective_priority(255, -100), 255);
    }

    #[test]
    fn sync_groups_strip_weights() {
        let text = "vrrp_script w {\n script /bin/true\n weight -20\n}\nvrrp_script f {\n script /bin/true\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n track_script {\n  w\n  f\n }\n track_interface {\n  eth1 weight 10\n }\n}\n";
        let l = crate::config::load_str("t.conf", text);
        let c = &l.config;
        let own = resolve(c, &c.instances[0], None);
        assert_eq!(own.len(), 3);
        let grouped = resolve(c, &c.instances[0], Some(&c.sync_groups[0]));
        let names: Vec<(&str, i32)> = grouped
            .iter()
            .map(|d| (d.id.name.as_str(), d.weight))
            .collect();
        assert_eq!(names, vec![("f", 0), ("eth1", 0)]);
    }
}
