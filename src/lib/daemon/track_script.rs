//! vrrp_script runners: one task per script that a running instance tracks, running it every
//! `interval` (never on the event loop: each run is a child process awaited by its own task),
//! killing its process group after `timeout` (default: the interval, as keepalived), counting
//! rise/fall with the node layer's `ScriptCounter`, and reporting only changes of state to the
//! loop as `TrackerReport`s, which the loop feeds to `Node::set_tracker`.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::model::VrrpScript;
use crate::node::track::ScriptCounter;
use crate::node::{TrackerId, TrackerKind, TrackerState};

use super::command::{Outcome, ScriptCommand};

/// A tracker's new state, from a worker to the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerReport {
    pub tracker: TrackerId,
    pub state: TrackerState,
}

/// What a script's runner has done so far, shared with the loop for dump-stats and the data
/// dump.
#[derive(Debug, Default)]
pub struct ScriptRuns {
    pub runs: AtomicU64,
    pub failures: AtomicU64,
    pub timeouts: AtomicU64,
    /// keepalived's rise/fall `result`.
    pub result: AtomicU32,
    /// A run is in progress.
    pub running: AtomicBool,
}

impl ScriptRuns {
    pub fn stats(&self, name: &str) -> crate::control::snapshot::ScriptStats {
        crate::control::snapshot::ScriptStats {
            name: name.to_string(),
            runs: self.runs.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
        }
    }

    /// Zero the counters (STATS_CLEAR, clear-stats of every instance).
    pub fn clear(&self) {
        self.runs.store(0, Ordering::Relaxed);
        self.failures.store(0, Ordering::Relaxed);
        self.timeouts.store(0, Ordering::Relaxed);
    }
}

/// The running script tasks; dropping it stops them (their children are killed with them).
#[derive(Default)]
pub struct ScriptTrackers {
    tasks: Vec<JoinHandle<()>>,
    /// Each started script's name and counters, in config order.
    pub runs: Vec<(String, Arc<ScriptRuns>)>,
}

impl ScriptTrackers {
    /// Start a runner for each script in `scripts` that `used` names.
    pub fn start(
        scripts: &[VrrpScript],
        used: &dyn Fn(&str) -> bool,
        tx: &mpsc::UnboundedSender<TrackerReport>,
    ) -> ScriptTrackers {
        let mut tasks = Vec::new();
        let mut runs = Vec::new();
        for s in scripts {
            if !used(&s.name) {
                tracing::warn!("Warning - script {} is not used", s.name);
                continue;
            }
            match ScriptCommand::prepare(&s.script, &[]) {
                Ok(cmd) => {
                    let counts = Arc::new(ScriptRuns::default());
                    runs.push((s.name.clone(), counts.clone()));
                    tasks.push(tokio::spawn(run(s.clone(), cmd, tx.clone(), counts)));
                }
                Err(e) => tracing::error!(
                    "{}:{}:{}: vrrp_script {}: {e}",
                    s.span.file.display(),
                    s.span.line,
                    s.span.column,
                    s.name
                ),
            }
        }
        ScriptTrackers { tasks, runs }
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl Drop for ScriptTrackers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Run `script` for ever: every interval (from the start of the previous run, the next run
/// waiting for a slow one), rise/fall, state changes reported.
async fn run(
    script: VrrpScript,
    cmd: ScriptCommand,
    tx: mpsc::UnboundedSender<TrackerReport>,
    counts: Arc<ScriptRuns>,
) {
    let tracker = TrackerId::new(TrackerKind::Script, script.name.clone());
    let mut counter = ScriptCounter::new(script.rise, script.fall, script.init_fail);
    counts.result.store(counter.result(), Ordering::Relaxed);
    let timeout = script.timeout.unwrap_or(script.interval);
    let mut tick = tokio::time::interval(script.interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_status: Option<i32> = None;
    loop {
        tick.tick().await;
        counts.running.store(true, Ordering::Relaxed);
        let (outcome, took) = cmd.run(timeout).await;
        counts.running.store(false, Ordering::Relaxed);
        counts.runs.fetch_add(1, Ordering::Relaxed);
        if !outcome.success() {
            counts.failures.fetch_add(1, Ordering::Relaxed);
        }
        if matches!(outcome, Outcome::TimedOut) {
            counts.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        if let Outcome::Exited(s) = outcome {
            if last_status != Some(s) {
                tracing::info!("Script `{}` now returning {s}", script.name);
                last_status = Some(s);
            }
        }
        tracing::debug!(
            "vrrp_script {}: {outcome} after {:.3} s",
            script.name,
            took.as_secs_f64()
        );
        let changed = counter.exited(outcome.success());
        counts.result.store(counter.result(), Ordering::Relaxed);
        if let Some(state) = changed {
            let word = match (&outcome, state) {
                (_, TrackerState::Up) => "succeeded".to_string(),
                (Outcome::TimedOut, _) => "timed_out".to_string(),
                (o, _) => format!("failed ({o})"),
            };
            tracing::info!("VRRP_Script({}) {word}", script.name);
            let report = TrackerReport {
                tracker: tracker.clone(),
                state,
            };
            if tx.send(report).is_err() {
                return;
            }
        }
    }
}
