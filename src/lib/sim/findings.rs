//! What a run says about the cluster, beyond its timeline: split brain longer than one advert
//! interval (with its duration), windows with no master (how long the VIP was down), flapping,
//! a run that never converged; plus the findings of `lint::failover` that need no events (a
//! master that preempts on its return, nopreempt that cannot work, a weight that can never move
//! the master), so both front doors say the same thing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{Report, Run, Scenario};
use crate::config::{Diagnostic, Loaded, Severity};
use crate::fsm::{State, Time};
use crate::lint;

/// One finding (a `warnings` item of `simulate-failover --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// "error" (the scenario ends badly), "warning", "note".
    pub severity: &'static str,
    /// Stable kebab-case id: split-brain, no-master, flapping, never-converges, and the lint
    /// codes of `lint::failover` (election, weight-cannot-move-master, preempt-on-return,
    /// nopreempt-needs-backup, sync-group-drops-weight).
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrid: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// For config findings: where (file:line:column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl Finding {
    pub fn new(severity: &'static str, code: &'static str, message: String) -> Finding {
        Finding {
            severity,
            code,
            message,
            help: None,
            vrid: None,
            t_ms: None,
            duration_ms: None,
            at: None,
        }
    }

    fn from_diagnostic(d: &Diagnostic) -> Finding {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        Finding {
            help: d.help.clone(),
            at: Some(format!(
                "{}:{}:{}",
                d.span.file.display(),
                d.span.line,
                d.span.column
            )),
            ..Finding::new(severity, d.code, d.message.clone())
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

fn t_ms(t: Time) -> f64 {
    t.as_micros() as f64 / 1000.0
}

/// Seconds with up to three decimals, for messages.
pub fn secs(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} s")
}

/// Every finding of a run of `scenario`: the config analysis first, then what happened.
pub fn findings(scenario: &Scenario, run: &Run) -> Vec<Finding> {
    let nodes: Vec<(&str, &Loaded)> = scenario
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), &n.loaded))
        .collect();
    let mut out: Vec<Finding> = lint::failover::failover_findings(&nodes, &lint::LocalHost)
        .iter()
        .filter(|d| d.code != "election")
        .map(Finding::from_diagnostic)
        .collect();
    // What vrrpd reads but does not run yet: the simulation runs it as keepalived does, which
    // a node that runs vrrpd would not.
    for n in scenario
        .nodes
        .iter()
        .filter(|n| !scenario.is_keepalived(&n.name))
    {
        for d in n
            .loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "not-run-by-vrrpd")
        {
            let mut f = Finding::from_diagnostic(d);
            f.message = format!(
                "node {} (vrrpd): {}; the simulation runs it as keepalived does",
                n.name, d.message
            );
            f.help = Some(format!(
                "if {} runs keepalived, mark it (`{}=keepalived` or --keepalived {})",
                n.name,
                n.loaded.path.display(),
                n.name
            ));
            out.push(f);
        }
    }
    let intervals = advert_intervals(scenario);
    out.extend(run_findings(&run.report, &intervals));
    if run.converged == Some(false) {
        out.push(Finding {
            t_ms: Some(t_ms(run.report.end)),
            help: Some("look for flapping above: priorities or weights that chase each other, or a link that loses adverts".into()),
            ..Finding::new(
                "error",
                "never-converges",
                format!(
                    "the cluster was still changing state {} after the last event; it never settled",
                    secs(run.report.end - Time::ZERO - scenario.steps.iter().map(|s| s.at).max().unwrap_or_default())
                ),
            )
        });
    }
    out
}

/// The advert interval of each VRID (the longest among its nodes).
fn advert_intervals(scenario: &Scenario) -> BTreeMap<u8, Duration> {
    let mut m: BTreeMap<u8, Duration> = BTreeMap::new();
    for n in &scenario.nodes {
        for i in &n.loaded.config.instances {
            if let Some(v) = i.virtual_router_id {
                let e = m.entry(v).or_default();
                *e = (*e).max(i.advert_int);
            }
        }
    }
    m
}

/// The findings from the timeline alone.
pub fn run_findings(report: &Report, intervals: &BTreeMap<u8, Duration>) -> Vec<Finding> {
    let mut out = Vec::new();
    let interval = |v: u8| intervals.get(&v).copied().unwrap_or(Duration::from_secs(1));
    for sb in &report.split_brains {
        let d = sb.duration();
        if d <= interval(sb.vrid) && !sb.ongoing {
            continue;
        }
        let masters = sb.masters.join(" and ");
        let (severity, message) = if sb.ongoing {
            (
                "error",
                format!(
                    "VRID {}: split brain, {masters} are MASTER at once from {} and still at the end ({} so far)",
                    sb.vrid,
                    secs(sb.start - Time::ZERO),
                    secs(d)
                ),
            )
        } else {
            (
                "warning",
                format!(
                    "VRID {}: split brain for {}, {masters} MASTER at once from {} to {}",
                    sb.vrid,
                    secs(d),
                    secs(sb.start - Time::ZERO),
                    secs(sb.end - Time::ZERO)
                ),
            )
        };
        out.push(Finding {
            vrid: Some(sb.vrid),
            t_ms: Some(t_ms(sb.start)),
            duration_ms: Some(ms(d)),
            help: Some("the nodes do not hear each other's adverts: check the firewall (`vrrpctl firewall-check`), partitions, and that both sides agree on VRID, version, auth and transport".into()),
            ..Finding::new(severity, "split-brain", message)
        });
    }
    // Masters per VRID over time, from the transitions.
    let mut masters: BTreeMap<u8, Vec<(String, String)>> = BTreeMap::new();
    let mut seen_master: BTreeMap<u8, bool> = BTreeMap::new();
    let mut down_since: BTreeMap<u8, Time> = BTreeMap::new();
    let mut takeovers: BTreeMap<u8, Vec<Time>> = BTreeMap::new();
    for vrid in report.instances.iter().map(|i| i.vrid) {
        masters.entry(vrid).or_default();
    }
    for e in &report.timeline {
        let set = masters.entry(e.vrid).or_default();
        let key = (e.node.clone(), e.instance.clone());
        let was = !set.is_empty();
        if e.to == State::Master {
            if !set.contains(&key) {
                set.push(key);
            }
            // The first election is no takeover; nodes entering MASTER together are one.
            if seen_master.contains_key(&e.vrid) {
                let t = takeovers.entry(e.vrid).or_default();
                if t.last() != Some(&e.at) {
                    t.push(e.at);
                }
            }
        } else if e.from == State::Master || e.to == State::Stop {
            set.retain(|k| *k != key);
        }
        let now = !set.is_empty();
        if now {
            seen_master.insert(e.vrid, true);
        }
        if was && !now {
            down_since.insert(e.vrid, e.at);
        } else if !was && now {
            if let Some(since) = down_since.remove(&e.vrid) {
                let d = e.at - since;
                out.push(Finding {
                    vrid: Some(e.vrid),
                    t_ms: Some(t_ms(since)),
                    duration_ms: Some(ms(d)),
                    ..Finding::new(
                        "note",
                        "no-master",
                        format!(
                            "VRID {}: no master for {} (from {} until {} took over): the VIP was down",
                            e.vrid,
                            secs(d),
                            secs(since - Time::ZERO),
                            e.node
                        ),
                    )
                });
            }
        }
    }
    for (vrid, set) in &masters {
        if !set.is_empty() {
            continue;
        }
        let since = down_since.get(vrid).copied();
        let message = match since {
            Some(t) => format!(
                "VRID {vrid}: no master at the end (none since {}): the VIP is down",
                secs(t - Time::ZERO)
            ),
            None if seen_master.contains_key(vrid) => {
                format!("VRID {vrid}: no master at the end: the VIP is down")
            }
            None => format!("VRID {vrid}: never had a master: the VIP was never up"),
        };
        out.push(Finding {
            vrid: Some(*vrid),
            t_ms: since.map(t_ms),
            duration_ms: since.map(|t| ms(report.end - t)),
            help: Some("every node is down or in FAULT, or none has finished its election".into()),
            ..Finding::new("error", "no-master", message)
        });
    }
    // Flapping: four or more takeovers within thirty advert intervals (a failure and its
    // recovery are two; a third and fourth so soon is the cluster chasing itself).
    for (vrid, times) in &takeovers {
        let window = interval(*vrid) * 30;
        let mut reported_until = Time::ZERO;
        for (k, &t) in times.iter().enumerate() {
            if k + 3 >= times.len() || t < reported_until {
                continue;
            }
            let n = times[k..].iter().take_while(|&&u| u - t <= window).count();
            if n >= 4 {
                let last = times[k + n - 1];
                reported_until = last + window;
                out.push(Finding {
                    vrid: Some(*vrid),
                    t_ms: Some(t_ms(t)),
                    duration_ms: Some(ms(last - t)),
                    help: Some("mastership moved back and forth: look for trackers that change priority back and forth, or preemption racing a recovering node".into()),
                    ..Finding::new(
                        "warning",
                        "flapping",
                        format!(
                            "VRID {vrid}: {n} takeovers within {} (from {})",
                            secs(last - t),
                            secs(t - Time::ZERO)
                        ),
                    )
                });
            }
        }
    }
    out
}

/// The scenario ends badly: a split brain still going, or a VRID without a master.
pub fn ends_badly(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.severity == "error" && matches!(f.code, "split-brain" | "no-master"))
}
