//! A scenario's tracker steps as the reports the daemon's tracker workers would make: the
//! simulator then hands them to the node layer (`Event::Tracker` -> `Node::set_tracker`), so
//! weights, FAULT and sync-group rules are the daemon's code, not a copy.
//!
//! A vrrp_script runs every `interval` from its node's (re)start, and each run goes through the
//! daemon's rise/fall counter (`node::track::ScriptCounter`): the first run decides, later
//! changes count after `fall` (`rise`) runs. Only the runs that can change the counter are
//! generated: after a node start or an outcome change, `rise + fall` runs saturate it, and
//! further runs with the same outcome change nothing. A track_process or track_file reports at
//! once, as the proc connector and inotify do: ok/failed are quorum held / lost, or a file
//! holding 0 / 1 (`TrackerDef::ok_state` / `failed_state`, the states lint reasons with).

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Event, Scenario, Step};
use crate::config::model::Config;
use crate::config::tracking;
use crate::node::track::ScriptCounter;
use crate::node::{TrackerDef, TrackerKind};

/// (time, order, event): `order` sorts reports among the steps at equal times (step k has
/// order 2k, what it causes 2k + 1; the initial start is order 0).
pub(super) type Ordered = (Duration, usize, Event);

/// Whether `name` is a script, process or file tracker that one of the node's instances (or
/// their sync groups) lists; a weighted script a sync group drops still counts as known.
pub(super) fn is_tracked(config: &Config, name: &str) -> bool {
    let listed = |s: &[crate::config::model::TrackRef]| s.iter().any(|t| t.name == name);
    let in_inst = config
        .instances
        .iter()
        .any(|i| listed(&i.track_script) || listed(&i.track_process) || listed(&i.track_file));
    let in_group = config
        .sync_groups
        .iter()
        .any(|g| listed(&g.track_script) || listed(&g.track_process) || listed(&g.track_file));
    let defined = config.scripts.iter().any(|s| s.name == name)
        || config.track_processes.iter().any(|p| p.name == name)
        || config.track_files.iter().any(|f| f.name == name);
    (in_inst || in_group) && defined
}

/// The trackers (not interfaces: links are the engine's own events) that `config`'s instances
/// follow as the node layer resolves them, once each.
pub(super) fn followed(config: &Config) -> Vec<TrackerDef> {
    let mut out: Vec<TrackerDef> = Vec::new();
    for inst in &config.instances {
        for (d, _) in tracking::resolve_in_config(config, inst) {
            if d.id.kind != TrackerKind::Interface && !out.iter().any(|o| o.id == d.id) {
                out.push(d);
            }
        }
    }
    out
}

/// The tracker reports of every node for the scenario's steps.
pub(super) fn reports(scenario: &Scenario) -> Vec<Ordered> {
    let mut out = Vec::new();
    for n in &scenario.nodes {
        let windows = up_windows(scenario, &n.name);
        for def in followed(&n.loaded.config) {
            // Outcome changes of this tracker: (time, order, failed).
            let changes: Vec<(Duration, usize, bool)> = scenario
                .steps
                .iter()
                .enumerate()
                .filter_map(|(k, s)| match &s.step {
                    Step::Tracker { node, name, failed }
                        if *node == n.name && *name == def.id.name =>
                    {
                        Some((s.at, 2 * (k + 1), *failed))
                    }
                    _ => None,
                })
                .collect();
            let failed_at = |t: Duration| {
                changes
                    .iter()
                    .rev()
                    .find(|(at, _, _)| *at <= t)
                    .is_some_and(|c| c.2)
            };
            let report = |at: Duration, order: usize, state, out: &mut Vec<Ordered>| {
                out.push((
                    at,
                    order,
                    Event::Tracker {
                        node: n.name.clone(),
                        tracker: def.id.clone(),
                        state,
                    },
                ));
            };
            let script = (def.id.kind == TrackerKind::Script)
                .then(|| {
                    n.loaded
                        .config
                        .scripts
                        .iter()
                        .find(|s| s.name == def.id.name)
                })
                .flatten();
            for &(start, end, order) in &windows {
                let marks: Vec<(Duration, usize)> = std::iter::once((start, order))
                    .chain(
                        changes
                            .iter()
                            .filter(|c| c.0 > start && c.0 < end)
                            .map(|c| (c.0, c.1)),
                    )
                    .collect();
                let Some(s) = script else {
                    // Processes and files: the state at the start, then every change.
                    for (at, o) in marks {
                        let state = if failed_at(at) {
                            def.failed_state()
                        } else {
                            def.ok_state()
                        };
                        report(at, o + 1, state, &mut out);
                    }
                    continue;
                };
                let interval = s.interval.max(Duration::from_millis(1));
                let per = u64::from(s.rise.max(1) + s.fall.max(1));
                let mut counter = ScriptCounter::new(s.rise, s.fall, s.init_fail);
                // Run numbers k (at start + k x interval) that can change the counter.
                let mut runs: BTreeSet<u64> = BTreeSet::new();
                for (at, _) in &marks {
                    let k0 = run_index_at_or_after(start, interval, *at);
                    runs.extend(k0..k0.saturating_add(per));
                }
                for k in runs {
                    let Some(at) = run_time(start, interval, k).filter(|&t| t < end) else {
                        break;
                    };
                    // The mark in force at this run gives its order among equal times.
                    let o = marks
                        .iter()
                        .rev()
                        .find(|(t, _)| *t <= at)
                        .map_or(order + 1, |m| m.1 + 1);
                    if let Some(state) = counter.exited(!failed_at(at)) {
                        report(at, o, state, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// The node's up windows [start, end) with the order of the step that started each: up from 0,
/// down at a kill or stop, up again at a start.
fn up_windows(scenario: &Scenario, node: &str) -> Vec<(Duration, Duration, usize)> {
    let mut out = Vec::new();
    let mut up: Option<(Duration, usize)> = Some((Duration::ZERO, 0));
    for (k, s) in scenario.steps.iter().enumerate() {
        match &s.step {
            Step::Sim(Event::Kill { node: n } | Event::Stop { node: n }) if n == node => {
                if let Some((start, o)) = up.take() {
                    out.push((start, s.at, o));
                }
            }
            Step::Sim(Event::Start { node: n }) if n == node && up.is_none() => {
                up = Some((s.at, 2 * (k + 1)));
            }
            _ => {}
        }
    }
    if let Some((start, o)) = up {
        out.push((start, Duration::MAX, o));
    }
    out
}

/// The first run number k with start + k x interval >= at.
fn run_index_at_or_after(start: Duration, interval: Duration, at: Duration) -> u64 {
    let since = at.saturating_sub(start).as_nanos();
    let i = interval.as_nanos().max(1);
    u64::try_from(since.div_ceil(i)).unwrap_or(u64::MAX)
}

fn run_time(start: Duration, interval: Duration, k: u64) -> Option<Duration> {
    let n = interval.as_nanos().checked_mul(u128::from(k))?;
    start.checked_add(Duration::from_nanos(u64::try_from(n).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsm::{State, Time};
    use crate::sim::scenario::{nodes_from, EventsFile};
    use crate::sim::{Run, TimedStep};

    #[test]
    fn script_runs_are_phased_from_the_start() {
        let s = Duration::from_secs;
        // Runs at 0, 2, 4, ...: the first at or after 5 s is run 3 (6 s).
        assert_eq!(run_index_at_or_after(s(0), s(2), s(5)), 3);
        assert_eq!(run_index_at_or_after(s(0), s(2), s(6)), 3);
        assert_eq!(run_index_at_or_after(s(1), s(2), s(6)), 3);
        assert_eq!(run_time(s(1), s(2), 3), Some(s(7)));
    }

    const A: &str = "global_defs {\n router_id A\n}\nvrrp_script chk {\n script /bin/true\n interval 1\n rise 2\n fall 2\n weight 60\n}\nvrrp_track_process proc {\n process haproxy\n weight 0\n}\nvrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 1\n track_script {\n  chk\n }\n track_process {\n  proc\n }\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n";
    const B: &str = "global_defs {\n router_id B\n}\nvrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n priority 150\n advert_int 1\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n";

    fn run(steps: &[&str]) -> Run {
        let loaded = vec![
            crate::config::load_str("a.conf", A),
            crate::config::load_str("b.conf", B),
        ];
        let nodes = nodes_from(loaded, &[]).unwrap();
        let ev = EventsFile {
            steps: steps
                .iter()
                .map(|s| s.parse::<TimedStep>().unwrap())
                .collect(),
            ..EventsFile::default()
        };
        Scenario::new(nodes, ev).run().unwrap()
    }

    fn became_master(r: &Run, node: &str) -> Vec<Duration> {
        r.report
            .timeline
            .iter()
            .filter(|e| e.node == node && e.to == State::Master)
            .map(|e| e.at - Time::ZERO)
            .collect()
    }

    #[test]
    fn a_positive_weight_counts_once_the_first_run_succeeds_and_leaves_after_fall_runs() {
        // A: 100 + 60 while chk succeeds (reported by its first run at 0), so A beats B's 150.
        let r = run(&["script-fail:A:chk@10.5s"]);
        assert_eq!(became_master(&r, "A").len(), 1);
        // Runs at 11 s and 12 s fail; the second (fall 2) drops A to 100, and B preempts
        // within a Master_Down_Interval of A's next advert.
        let b = became_master(&r, "B");
        assert_eq!(b.len(), 1, "{:?}", r.report.timeline);
        assert!(
            b[0] > Duration::from_secs(12) && b[0] < Duration::from_secs(16),
            "{b:?}"
        );
    }

    #[test]
    fn a_weight_0_process_faults_through_the_node_layer() {
        let r = run(&["script-fail:A:proc@5s", "script-ok:A:proc@8s"]);
        let fault: Vec<_> = r
            .report
            .timeline
            .iter()
            .filter(|e| e.node == "A" && e.to == State::Fault)
            .collect();
        assert_eq!(fault.len(), 1);
        assert_eq!(fault[0].at - Time::ZERO, Duration::from_secs(5));
        // The node layer's own wording, not a copy of it.
        assert!(
            fault[0].reason.contains("vrrp_track_process proc"),
            "{}",
            fault[0].reason
        );
        assert!(r.report.timeline.iter().any(|e| e.node == "A"
            && e.from == State::Fault
            && e.at - Time::ZERO == Duration::from_secs(8)));
    }

    #[test]
    fn demote_hands_over_and_restore_takes_back() {
        let r = run(&["demote:A:VI_1@10s", "restore:A@20s"]);
        let b = became_master(&r, "B");
        // A's priority-0 advert: B takes over after its Skew_Time (< 1 s), not a full MDI.
        assert_eq!(b.len(), 1);
        assert!(
            b[0] > Duration::from_secs(10) && b[0] < Duration::from_secs(11),
            "{b:?}"
        );
        let a = became_master(&r, "A");
        assert_eq!(a.len(), 2, "{:?}", r.report.timeline);
        assert!(
            a[1] > Duration::from_secs(20) && a[1] < Duration::from_secs(25),
            "{a:?}"
        );
    }
}
