//! Notify: on a state change the loop hands the instance's (or sync group's) notify config
//! here and goes on; each script is spawned on its own task, timed out, and its exit status
//! and duration logged; then the FIFO line is written (`fifo`) and the mail sent (`smtp`),
//! keepalived's order (inventory §5). keepalived's conventions: the specific
//! `notify_master|backup|fault|stop|deleted` runs with no extra arguments, then the generic
//! `notify` with `INSTANCE|GROUP NAME STATE PRIORITY` appended (the priority is 0 for a
//! group); `notify_master_rx_lower_pri` gets no arguments. A STOP script gets 1 s, as
//! keepalived's child timer gives it; the others get `NOTIFY_TIMEOUT`. Scripts run as their
//! `user`, else script_user (`script_user`).
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::model::{GlobalDefs, Notify, NotifyScript};
use crate::fsm::State;

use super::command::ScriptCommand;
use super::fifo::NotifyFifos;
use super::script_user::ScriptUsers;
use super::smtp::Mailer;

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
    match NotifyState::from_fsm(state) {
        Some(s) => s.word(),
        None => "{UNKNOWN}",
    }
}

/// Notify scripts that failed (did not start, exited non-zero, timed out), per instance or
/// group: the `notify_failures` counters of `dump-stats`.
pub type Failures = Arc<Mutex<BTreeMap<(Subject, String), u64>>>;

/// A state notify reports: the FSM's, and DELETED for an instance a reload removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    Stop,
    Deleted,
}

impl NotifyState {
    pub fn from_fsm(state: State) -> Option<NotifyState> {
        Some(match state {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Stop => NotifyState::Stop,
            State::Initialize => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
        }
    }
}

/// Spawns notify scripts and keeps their tasks until they end; writes the notify FIFOs and
/// sends the mail alerts.
#[derive(Default)]
pub struct Notifier {
    running: Vec<JoinHandle<()>>,
    fifos: NotifyFifos,
    users: Arc<ScriptUsers>,
    mailer: Option<Mailer>,
    /// keepalived mails a state once (last_email_state), per instance or group.
    last_mailed: HashMap<(bool, String), NotifyState>,
    pub failures: Failures,
}

fn count_failure(failures: &Failures, subject: Subject, name: &str) {
    if let Ok(mut f) = failures.lock() {
        *f.entry((subject, name.to_string())).or_default() += 1;
    }
}

impl Notifier {
    /// The notifier of a config: its script users, FIFOs (created and opened, their scripts
    /// started) and mailer.
    pub fn new(g: &GlobalDefs) -> Notifier {
        let users = Arc::new(ScriptUsers::new(g));
        Notifier {
            running: Vec::new(),
            fifos: NotifyFifos::open(g, &users),
            users,
            mailer: Mailer::from_global(g),
            last_mailed: HashMap::new(),
            failures: Failures::default(),
        }
    }

    /// A reload: the FIFOs are closed and opened again (their scripts restarted), as
    /// keepalived does ("we don't know if it will be the same after a reload").
    pub fn reload(&mut self, g: &GlobalDefs) {
        std::mem::take(&mut self.fifos).close();
        self.users = Arc::new(ScriptUsers::new(g));
        self.fifos = NotifyFifos::open(g, &self.users);
        self.mailer = Mailer::from_global(g);
    }

    pub fn users(&self) -> &Arc<ScriptUsers> {
        &self.users
    }

    /// Shutdown begins: keepalived signals the FIFO scripts before it writes the STOP lines.
    pub fn shutting_down(&mut self) {
        self.fifos.terminate_scripts();
    }

    /// Run the scripts of `notify` for `name` entering `state` (keepalived's order: the
    /// specific script, then the generic one, then the FIFO line, then the mail when
    /// `smtp_alert`).
    pub fn state_change(
        &mut self,
        subject: Subject,
        name: &str,
        notify: &Notify,
        state: State,
        priority: u8,
        smtp_alert: bool,
    ) {
        if let Some(s) = NotifyState::from_fsm(state) {
            self.notify(subject, name, notify, s, priority, smtp_alert);
        }
    }

    /// As `state_change`, for any state notify reports (DELETED included).
    pub fn notify(
        &mut self,
        subject: Subject,
        name: &str,
        notify: &Notify,
        state: NotifyState,
        priority: u8,
        smtp_alert: bool,
    ) {
        let specific = match state {
            NotifyState::Master => notify.master.as_ref(),
            NotifyState::Backup => notify.backup.as_ref(),
            NotifyState::Fault => notify.fault.as_ref(),
            NotifyState::Stop => notify.stop.as_ref(),
            NotifyState::Deleted => notify.deleted.as_ref(),
        };
        let timeout = if state == NotifyState::Stop {
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
                state.word().to_string(),
                prio.to_string(),
            ];
            self.spawn(subject, name, s, &extra, timeout);
        }
        let prio = if subject == Subject::Group {
            0
        } else {
            priority
        };
        self.fifos.write(subject, name, state.word(), prio);
        if smtp_alert {
            let key = (subject == Subject::Group, name.to_string());
            if self.last_mailed.get(&key) != Some(&state) {
                if let Some(t) = self
                    .mailer
                    .as_ref()
                    .and_then(|m| m.alert(subject, name, state))
                {
                    self.running.push(t);
                    self.last_mailed.insert(key, state);
                }
            }
        }
    }

    /// `notify_master_rx_lower_pri`: a master heard a lower-priority master (the FIFO line
    /// is written whether or not a script is configured, as keepalived does).
    pub fn master_rx_lower_pri(&mut self, name: &str, notify: &Notify, priority: u8) {
        if let Some(s) = notify.master_rx_lower_pri.as_ref() {
            self.spawn(Subject::Instance, name, s, &[], NOTIFY_TIMEOUT);
        }
        self.fifos
            .write(Subject::Instance, name, "MASTER_RX_LOWER_PRI", priority);
    }

    /// The FIFO line of `state` alone (keepalived's notify_instance_fifo / notify_group_fifo).
    pub fn fifo_line(&mut self, subject: Subject, name: &str, state: NotifyState, priority: u8) {
        self.fifos.write(subject, name, state.word(), priority);
    }

    /// notify_priority_changes: the effective priority changed (FIFO only, as keepalived).
    pub fn priority_change(&mut self, name: &str, master: bool, priority: u8) {
        let word = if master {
            "MASTER_PRIORITY"
        } else {
            "BACKUP_PRIORITY"
        };
        self.fifos.write(Subject::Instance, name, word, priority);
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
        let user = self
            .users
            .for_script(script.user.as_deref(), script.group.as_deref());
        let cmd = match ScriptCommand::prepare(&script.command, extra) {
            Ok(c) => c.with_user(user),
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

    /// Wait for the scripts and mails still running (at shutdown; each has its own
    /// timeout), then close the FIFOs.
    pub async fn finish(self) {
        self.fifos.close();
        for t in self.running {
            let _ = t.await;
        }
    }
}

/// global_defs' `startup_script` (before any instance starts) and `shutdown_script` (after
/// every instance stopped and its VIPs are gone): awaited up to `timeout`, then its process
/// group is killed, as keepalived's parent does (core/main.c). Its failure is logged only.
pub async fn run_lifecycle_script(
    kind: &str,
    script: &NotifyScript,
    timeout: Duration,
    users: &ScriptUsers,
) {
    let user = users.for_script(script.user.as_deref(), script.group.as_deref());
    let cmd = match ScriptCommand::prepare(&script.command, &[]) {
        Ok(c) => c.with_user(user),
        Err(e) => {
            tracing::error!(
                "{}:{}:{}: {kind} script {}: {e}",
                script.span.file.display(),
                script.span.line,
                script.span.column,
                script.command
            );
            return;
        }
    };
    tracing::info!("Running {kind} script {}", cmd.program());
    let (outcome, took) = cmd.run(timeout).await;
    match outcome {
        super::command::Outcome::Exited(0) => {
            tracing::info!("{kind} script succeeded after {:.3} s", took.as_secs_f64())
        }
        super::command::Outcome::Exited(s) => {
            tracing::warn!("{kind} script failed, status {s}")
        }
        o => tracing::warn!("{kind} script {} {o}", cmd.program()),
    }
}
