//! The default rehearsal when no events are given: start every node, then crash each node in
//! turn and restart it, then fail each tracker in turn and let it recover — "what happens if
//! any one box or any one check dies". Each step is measured per VRID: who was master before and
//! after, how long until the new master took over, how long nobody was master.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{Event, Report, Run, Scenario, ScenarioError, Step, TimedStep};
use crate::fsm::{State, Time};
use crate::node::TrackerKind;

/// One measured step of the drill, for one VRID.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillRow {
    /// e.g. "crash lb01", "restart lb01", "fail chk_dns on lb01", "recover chk_dns on lb01".
    pub step: String,
    #[serde(rename = "t_ms")]
    pub at_ms: f64,
    pub vrid: u8,
    /// Masters of the VRID just before the step and when the next step begins.
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// From the step to the first MASTER entry of a node that was not master before.
    pub takeover_ms: Option<f64>,
    /// Time without any master during the step's window.
    pub downtime_ms: f64,
}

/// The drill's plan and results.
#[derive(Debug, Clone)]
pub struct Drill {
    pub scenario: Scenario,
    pub run: Run,
    pub rows: Vec<DrillRow>,
}

/// The drill's steps for the scenario's nodes: `settle` apart, each failure followed by its
/// recovery.
pub fn plan(scenario: &Scenario) -> (Vec<TimedStep>, Vec<(Duration, String)>, Duration) {
    let settle = (scenario.reaction_time() * 2).max(Duration::from_secs(5));
    let mut steps = Vec::new();
    let mut labels = Vec::new();
    let mut t = settle;
    let mut push = |t: Duration, step: Step, label: String, steps: &mut Vec<TimedStep>| {
        steps.push(TimedStep { at: t, step });
        labels.push((t, label));
    };
    for n in &scenario.nodes {
        let node = n.name.clone();
        push(
            t,
            Step::Sim(Event::Kill { node: node.clone() }),
            format!("crash {node}"),
            &mut steps,
        );
        t += settle;
        push(
            t,
            Step::Sim(Event::Start { node: node.clone() }),
            format!("restart {node}"),
            &mut steps,
        );
        t += settle;
    }
    for n in &scenario.nodes {
        let config = &n.loaded.config;
        let mut names: Vec<(String, Duration)> = Vec::new();
        for tr in super::trackers::followed(config) {
            if names.iter().any(|(x, _)| *x == tr.id.name) {
                continue;
            }
            // A script needs fall (rise) runs to change state.
            let runs = config
                .scripts
                .iter()
                .find(|s| tr.id.kind == TrackerKind::Script && s.name == tr.id.name)
                .map(|s| s.interval * s.fall.max(s.rise).max(1))
                .unwrap_or_default();
            names.push((tr.id.name, runs));
        }
        for (name, runs) in names {
            let node = n.name.clone();
            push(
                t,
                Step::Tracker {
                    node: node.clone(),
                    name: name.clone(),
                    failed: true,
                },
                format!("fail {name} on {node}"),
                &mut steps,
            );
            t += settle + runs;
            push(
                t,
                Step::Tracker {
                    node: node.clone(),
                    name: name.clone(),
                    failed: false,
                },
                format!("recover {name} on {node}"),
                &mut steps,
            );
            t += settle + runs;
        }
    }
    (steps, labels, t)
}

/// Run the drill on the scenario's nodes and link (its own steps are replaced).
pub fn run(base: &Scenario) -> Result<Drill, ScenarioError> {
    let (steps, labels, end) = plan(base);
    let scenario = Scenario {
        steps,
        until: Some(end),
        ..base.clone()
    };
    let run = scenario.run()?;
    let rows = measure(&run.report, &labels, end);
    Ok(Drill {
        scenario,
        run,
        rows,
    })
}

/// The masters of each VRID after each change: vrid -> [(time, masters)].
fn master_changes(report: &Report) -> BTreeMap<u8, Vec<(Time, Vec<String>)>> {
    let mut cur: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    let mut out: BTreeMap<u8, Vec<(Time, Vec<String>)>> = BTreeMap::new();
    for i in &report.instances {
        cur.entry(i.vrid).or_default();
        out.entry(i.vrid).or_default();
    }
    for e in &report.timeline {
        let set = cur.entry(e.vrid).or_default();
        if e.to == State::Master {
            if !set.contains(&e.node) {
                set.push(e.node.clone());
            }
        } else if e.from == State::Master || e.to == State::Stop {
            set.retain(|n| *n != e.node);
        }
        set.sort();
        out.entry(e.vrid).or_default().push((e.at, set.clone()));
    }
    out
}

fn masters_at(changes: &[(Time, Vec<String>)], t: Time) -> Vec<String> {
    changes
        .iter()
        .rev()
        .find(|(at, _)| *at <= t)
        .map(|(_, m)| m.clone())
        .unwrap_or_default()
}

/// Measure each labelled window [step, next step) per VRID.
pub fn measure(report: &Report, labels: &[(Duration, String)], end: Duration) -> Vec<DrillRow> {
    let changes = master_changes(report);
    let mut rows = Vec::new();
    for (k, (at, label)) in labels.iter().enumerate() {
        let a = Time::ZERO + *at;
        let b = Time::ZERO + labels.get(k + 1).map_or(end, |(t, _)| *t);
        for (&vrid, ch) in &changes {
            // Just before the step: what held before anything at `a` happened.
            let before = ch
                .iter()
                .rev()
                .find(|(t, _)| *t < a)
                .map(|(_, m)| m.clone())
                .unwrap_or_default();
            let after = masters_at(ch, b - Duration::from_micros(1));
            let takeover = ch
                .iter()
                .filter(|(t, _)| *t >= a && *t < b)
                .find(|(_, m)| m.iter().any(|n| !before.contains(n)))
                .map(|(t, _)| *t - a);
            // Downtime: the empty stretches inside [a, b).
            let mut down = Duration::ZERO;
            let mut empty_since = before.is_empty().then_some(a);
            for (t, m) in ch.iter().filter(|(t, _)| *t >= a && *t < b) {
                match (empty_since, m.is_empty()) {
                    (None, true) => empty_since = Some(*t),
                    (Some(s), false) => {
                        down += *t - s;
                        empty_since = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = empty_since {
                down += b - s;
            }
            rows.push(DrillRow {
                step: label.clone(),
                at_ms: at.as_micros() as f64 / 1000.0,
                vrid,
                before,
                after,
                takeover_ms: takeover.map(|d| d.as_micros() as f64 / 1000.0),
                downtime_ms: down.as_micros() as f64 / 1000.0,
            });
        }
    }
    rows
}
