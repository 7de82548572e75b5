//! Notify scripts: on a state change the loop hands the instance's (or sync group's) notify
//! config here and goes on; each script is spawned on its own task, timed out, and its exit
//! status and duration logged. keepalived's conventions (inventory §5): the specific
//! `notify_master|backup|fault|stop` runs with no extra arguments, then the generic `notify`
//! with `INSTANCE|GROUP NAME STATE PRIORITY` appended (the priority is 0 for a group);
//! `notify_master_rx_lower_pri` gets no arguments. A STOP script gets 1 s, as keepalived's
//! child timer gives it; the others get `NOTIFY_TIMEOUT`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::model::{Notify, NotifyScript};
use crate::fsm::State;

use super::command::ScriptCommand;

/// How long a notify script may run before its process group is killed (keepalived kills
/// only STOP scripts, after 1 s; a hung notify script must not pile up children either).
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// Whose notify: an instance or a sync group (keepalived's first argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Instance,
    Group,
}

impl Subject {
    pub fn word(self) -> &'static str {
        match self {
            Subject::Instance => "INSTANCE",
            Subject::Group => "GROUP",
        }
    }
}

/// The word keepalived passes for a state.
pub fn state_word(state: State) -> &'static str {
    match state {
        State::Master => "MASTER",
        State::Backup => "BACKUP",
        State::Fault => "FAULT",
        State::Stop => "STOP",
        State::Initialize => "{UNKNOWN}",
    }
}

/// Notify scripts that failed (did not start, exited non-zero, timed out), per instance or
/// group: the `notify_failures` counters of `dump-stats`.
pub type Failures = Arc<Mutex<BTreeMap<(Subject, String), u64>>>;

/// Spawns notify scripts and keeps their tasks until they end.
#[derive(Default)]
pub struct Notifier {
    running: Vec<JoinHandle<()>>,
    pub failures: Failures,
}

fn count_failure(failures: &Failures, subject: Subject, name: &str) {
    if let Ok(mut f) = failures.lock() {
        *f.entry((subject, name.to_string())).or_default() += 1;
    }
}

impl Notifier {
    /// Run the scripts of `notify` for `name` entering `state` (keepalived's order: the
    /// specific script, then the generic one).
    pub fn state_change(
        &mut self,
        subject: Subject,
        name: &str,
        notify: &Notify,
        state: State,
        priority: u8,
    ) {
        let specific = match state {
            State::Master => notify.master.as_ref(),
            State::Backup => notify.backup.as_ref(),
            State::Fault => notify.fault.as_ref(),
            State::Stop => notify.stop.as_ref(),
            State::Initialize => None,
        };
        let timeout = if state == State::Stop {
            STOP_TIMEOUT
        } else {
            NOTIFY_TIMEOUT
        };
        if let Some(s) = specific {
            self.spawn(subject, name, s, &[], timeout);
        }
        if let Some(s) = notify.generic.as_ref() {
            let prio = if subject == Subject::Group {
                0
            } else {
                priority
            };
            let extra = [
                subject.word().to_string(),
                name.to_string(),
                state_word(state).to_string(),
                prio.to_string(),
            ];
            self.spawn(subject, name, s, &extra, timeout);
        }
    }

    /// `notify_master_rx_lower_pri`: a master heard a lower-priority master.
    pub fn master_rx_lower_pri(&mut self, name: &str, notify: &Notify) {
        if let Some(s) = notify.master_rx_lower_pri.as_ref() {
            self.spawn(Subject::Instance, name, s, &[], NOTIFY_TIMEOUT);
        }
    }

    fn spawn(
        &mut self,
        subject: Subject,
        name: &str,
        script: &NotifyScript,
        extra: &[String],
        timeout: Duration,
    ) {
        self.running.retain(|t| !t.is_finished());
        let cmd = match ScriptCommand::prepare(&script.command, extra) {
            Ok(c) => c,
            Err(e) => {
                count_failure(&self.failures, subject, name);
                tracing::error!(
                    "{}:{}:{}: {name}: notify script {}: {e}",
                    script.span.file.display(),
                    script.span.line,
                    script.span.column,
                    script.command
                );
                return;
            }
        };
        let name = name.to_string();
        let failures = self.failures.clone();
        self.running.push(tokio::spawn(async move {
            let (outcome, took) = cmd.run(timeout).await;
            let line = cmd.argv.join(" ");
            if outcome.success() {
                tracing::debug!(
                    "{name}: notify `{line}` {outcome} after {:.3} s",
                    took.as_secs_f64()
                );
            } else {
                count_failure(&failures, subject, &name);
                tracing::warn!(
                    "{name}: notify `{line}` {outcome} after {:.3} s",
                    took.as_secs_f64()
                );
            }
        }));
    }

    /// Wait for the scripts still running (at shutdown; each has its own timeout).
    pub async fn finish(self) {
        for t in self.running {
            let _ = t.await;
        }
    }
}
