//! One VRRP instance's state machine: RFC 5798 §6.4 (Initialize, Backup, Master) with the
//! behaviour keepalived 2.2.7 adds on top (FAULT, preempt_delay, lower_prio_no_advert,
//! higher_prio_send_advert, owner conflict, GARP schedule, effective priority changes).
//!
//! Timers are deadlines kept here; the driver arms one timer at `next_deadline()` and feeds
//! `Input::TimerExpired`. Durations are computed in microseconds as keepalived does, and the
//! running Master_Down_Timer remembers the duration it was last armed with (keepalived's
//! `ms_down_timer`), because a priority change shifts it by the difference.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::InitialState;

use super::{Action, Input, InstanceConfig, Reason, State, Time, Transition, Version};

/// keepalived's per-instance counters (the stats-file names) that the machine can know; the
/// receive-path error counters belong to the daemon, which drops bad packets before us.
///
/// Which path bumps what, as read in keepalived 2.2.7's vrrp.c:
/// - every advert sent, priority 0 included, bumps `advert_sent` (vrrp_send_adv);
/// - `release_master` is bumped by vrrp_state_leave_master only: MASTER -> BACKUP and
///   MASTER -> FAULT, not a shutdown (restore_vrrp_interfaces never calls it);
/// - `pri_zero_sent` is bumped by vrrp_restore_interface(advF = true) only: a shutdown's
///   priority-0 advert counts, and a FAULT from MASTER (down_instance ->
///   vrrp_state_leave_master(advF = true)) sends TWO priority-0 adverts - one from
///   leave_master's FAULT branch, uncounted, one from restore_interface, counted - so
///   `advert_sent` grows by 2 and `pri_zero_sent` by 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Valid adverts handled in BACKUP or MASTER.
    pub advert_rcvd: u64,
    /// Adverts sent, priority-0 ones included.
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
}

/// What a backup will report when its Master_Down_Timer runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DownCause {
    MasterSilent,
    PriorityZero,
    /// The last advert was discarded as lower priority.
    Preempt,
}

/// One VRRP instance (one VRID on one segment).
#[derive(Debug, Clone)]
pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    /// Base priority; keepalived lowers it to 254 on an owner conflict.
    base_priority: u8,
    effective_priority: u8,
    /// Whether the caller has reported a fault (held across Startup and Stop).
    fault: Option<String>,
    master_adver_int_us: u64,
    master_addr: Option<IpAddr>,
    master_priority: Option<u8>,
    /// Adver_Timer in MASTER, Master_Down_Timer in BACKUP.
    timer: Option<Time>,
    /// keepalived's ms_down_timer: what the Master_Down_Timer was last armed with (or, after
    /// an advert it discarded, what was left of it), in microseconds.
    ms_down_us: u64,
    down_cause: DownCause,
    /// keepalived's preempt_time: set by the first lower-priority advert a backup hears;
    /// until then, and until it passes, the backup keeps accepting lower-priority adverts.
    preempt_until: Option<Time>,
    /// Delayed GARP bursts, each on its own timer (keepalived's one-shot threads): the
    /// second burst after becoming master and one per lower-priority advert heard. Leaving
    /// MASTER does not cancel them; like keepalived's, a burst is sent only if the instance
    /// is MASTER (its VIPs set) when its time comes.
    garp_delayed: Vec<(Time, u32)>,
    /// When the next refresh burst is due; checked when an advert goes out, as keepalived
    /// does in vrrp_state_master_tx, so the refresh rides on the advert timer.
    garp_refresh: Option<Time>,
    counters: Counters,
    last_transition: Option<Transition>,
    /// Demoted by the operator: hold BACKUP, never become master, until restored.
    held: bool,
    /// The end of the startup delay, set at the first Startup (None: no delay).
    delayed_start: Option<Time>,
    /// Set by the node before each input: the instance's vrrp_sync_group would not follow it
    /// to MASTER now (keepalived's !vrrp_sync_can_goto_master: the group is not MASTER and
    /// another member does not want MASTER).
    sync_hold: bool,
    /// Its Master_Down_Timer expired while the sync group held it in BACKUP: it wants MASTER
    /// (keepalived's wantstate) until it hears a master or changes state.
    sync_wants_master: bool,
}

impl Instance {
    pub fn new(cfg: InstanceConfig) -> Instance {
        let priority = cfg.priority.max(1);
        let master_adver_int_us = u64::from(cfg.advert_int_cs) * 10_000;
        Instance {
            cfg,
            state: State::Initialize,
            base_priority: priority,
            effective_priority: priority,
            fault: None,
            master_adver_int_us,
            master_addr: None,
            master_priority: None,
            timer: None,
            ms_down_us: 0,
            down_cause: DownCause::MasterSilent,
            preempt_until: None,
            garp_delayed: Vec::new(),
            garp_refresh: None,
            counters: Counters::default(),
            last_transition: None,
            held: false,
            delayed_start: None,
            sync_hold: false,
            sync_wants_master: false,
        }
    }

    /// Whether the instance's sync group would keep it from becoming MASTER by itself now
    /// (the node sets this before feeding a member of a vrrp_sync_group).
    pub fn set_sync_hold(&mut self, hold: bool) {
        self.sync_hold = hold;
    }

    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }
    pub fn name(&self) -> &str {
        &self.cfg.name
    }
    pub fn state(&self) -> State {
        self.state
    }
    /// keepalived's `wantstate` as its dumps show it: before the start, the configured initial
    /// state; a `state MASTER` instance that started in BACKUP wants MASTER until it hears a
    /// master (keepalived's vrrp_state_backup sets BACKUP on the first accepted advert) or
    /// takes over; otherwise the state it is in (keepalived's other differences last only
    /// inside one transition).
    pub fn want_state(&self) -> State {
        let configured = match self.cfg.initial_state {
            InitialState::Master => State::Master,
            InitialState::Backup => State::Backup,
        };
        match self.state {
            State::Initialize => configured,
            State::Backup if self.sync_wants_master => State::Master,
            State::Backup
                if configured == State::Master
                    && !self.held
                    && self.master_addr.is_none()
                    && self
                        .last_transition
                        .as_ref()
                        .is_some_and(|t| t.reason == Reason::Startup) =>
            {
                State::Master
            }
            s => s,
        }
    }
    /// Base priority (the configured one, unless an owner conflict lowered it to 254).
    pub fn base_priority(&self) -> u8 {
        self.base_priority
    }
    /// The priority this instance advertises and compares with.
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }
    /// The current master's address: ours in MASTER, the last accepted advert's source in
    /// BACKUP, None otherwise.
    pub fn master_addr(&self) -> Option<IpAddr> {
        match self.state {
            State::Master => Some(self.cfg.primary_addr),
            State::Backup => self.master_addr,
            _ => None,
        }
    }
    /// The priority of the master we follow (BACKUP only).
    pub fn master_priority(&self) -> Option<u8> {
        match self.state {
            State::Master => Some(self.effective_priority),
            State::Backup => self.master_priority,
            _ => None,
        }
    }
    /// The one deadline the driver must arm a timer for (None: no timer needed).
    pub fn next_deadline(&self) -> Option<Time> {
        let garp = self.garp_delayed.iter().map(|&(t, _)| t).min();
        [self.timer, garp].into_iter().flatten().min()
    }
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
    /// Zero the counters (keepalived's STATS_CLEAR, `vrrpctl dump-stats --clear`).
    pub fn clear_counters(&mut self) {
        self.counters = Counters::default();
    }
    /// Whether the instance is demoted (holds BACKUP until `Input::Restore`).
    pub fn is_held(&self) -> bool {
        self.held
    }
    pub fn last_transition(&self) -> Option<&Transition> {
        self.last_transition.as_ref()
    }
    /// Master_Adver_Interval (v3: learned from the master; v2: the configured interval).
    pub fn master_adver_interval(&self) -> Duration {
        Duration::from_micros(self.master_adver_int_us)
    }
    /// Skew_Time for our current effective priority and Master_Adver_Interval.
    pub fn skew_time(&self) -> Duration {
        Duration::from_micros(self.skew_us(self.effective_priority))
    }
    /// Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time.
    pub fn master_down_interval(&self) -> Duration {
        Duration::from_micros(self.master_down_us())
    }

    /// Replace the static parameters of a running instance (a reload that kept it, or a new
    /// source address), keeping its state, timers and counters. The base priority follows the
    /// new config; the effective one is the caller's to re-send (`Input::PriorityChanged`).
    pub fn reconfigure(&mut self, cfg: InstanceConfig) {
        if cfg.priority != self.cfg.priority {
            self.base_priority = cfg.priority.max(1);
        }
        self.cfg = cfg;
    }

    /// Feed one input; returns the actions to perform, in order.
    pub fn handle(&mut self, now: Time, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle_into(now, input, &mut out);
        out
    }

    /// As [`Instance::handle`], appending to a caller-owned buffer (no allocation per event).
    pub fn handle_into(&mut self, now: Time, input: Input, out: &mut Vec<Action>) {
        match input {
            Input::Startup => self.on_startup(now, out),
            Input::AdvertReceived {
                src,
                priority,
                advert_int_cs,
            } => match self.state {
                State::Backup => self.backup_rx(now, src, priority, advert_int_cs),
                State::Master => self.master_rx(now, src, priority, advert_int_cs, out),
                // keepalived ignores adverts in FAULT and INIT (inventory §3, check 0d).
                State::Initialize | State::Fault | State::Stop => {}
            },
            Input::TimerExpired => self.on_timer(now, out),
            Input::PriorityChanged { effective } => self.on_priority(effective),
            Input::Fault { reason } => self.on_fault(now, reason, out),
            Input::FaultCleared => self.on_fault_cleared(now, out),
            Input::SyncMaster { group } => {
                // A demoted member stays BACKUP: the operator's switch wins over the group.
                if self.state == State::Backup && !self.held {
                    self.become_master(now, Reason::SyncGroup(group), out);
                }
            }
            Input::SyncBackup { group } => {
                if self.state == State::Master {
                    self.leave_master(now, State::Backup, Reason::SyncGroup(group), out);
                }
            }
            Input::Shutdown => self.on_shutdown(now, out),
            Input::Demote { reason } => self.on_demote(now, reason, out),
            Input::Restore => self.on_restore(now),
        }
    }

    // ---- timer arithmetic (microseconds, as keepalived) ----

    /// Skew_Time: v3 ((256 - priority) x Master_Adver_Interval) / 256; v2 (256 - priority) / 256 s.
    fn skew_us(&self, priority: u8) -> u64 {
        let weight = 256 - u64::from(priority);
        match self.cfg.version {
            Version::V3 => weight * self.master_adver_int_us / 256,
            Version::V2 => weight * 1_000_000 / 256,
        }
    }

    fn master_down_us(&self) -> u64 {
        u64::from(self.cfg.down_timer_adverts) * self.master_adver_int_us
            + self.skew_us(self.effective_priority)
    }

    fn own_adver_int_us(&self) -> u64 {
        u64::from(self.cfg.advert_int_cs) * 10_000
    }

    fn learn_interval(&mut self, advert_int_cs: u16) {
        // v2 intervals never differ (the receive path drops mismatches); a v3 backup adopts
        // the master's. Zero is rejected by the wire layer; guard anyway so no timer is 0.
        if self.cfg.version == Version::V3 && advert_int_cs != 0 {
            self.master_adver_int_us = u64::from(advert_int_cs) * 10_000;
        }
    }

    // ---- events ----

    fn on_startup(&mut self, now: Time, out: &mut Vec<Action>) {
        if !matches!(self.state, State::Initialize | State::Stop) {
            return;
        }
        if self.delayed_start.is_none() && !self.cfg.startup_delay.is_zero() {
            self.delayed_start = Some(now + self.cfg.startup_delay);
        }
        if let Some(why) = self.fault.clone() {
            self.transition(now, State::Fault, Reason::Fault(why), out);
            out.push(Action::Notify(State::Fault));
            return;
        }
        // keepalived's vrrp_init_state: an owner with `state MASTER` becomes master at once
        // (a 1 us down timer) unless its sync group starts in BACKUP; inside such a group a
        // `state MASTER` member waits one interval and the smallest skew; everyone else -
        // a non-owner `state MASTER` outside a sync group too - the full Master_Down_Interval.
        let want_master = self.cfg.initial_state == InitialState::Master;
        if want_master
            && self.base_priority == 255
            && !self.cfg.sync_group_starts_backup
            && !self.held
        {
            self.become_master(now, Reason::Startup, out);
            return;
        }
        self.master_adver_int_us = self.own_adver_int_us();
        self.master_addr = None;
        self.master_priority = None;
        self.preempt_until = None;
        self.ms_down_us = if want_master && self.cfg.sync_group_starts_backup {
            self.master_adver_int_us + self.skew_us(255)
        } else {
            self.master_down_us()
        };
        self.enter_backup(now, Reason::Startup, out);
        self.arm_down_timer(now);
    }

    /// Master_Down_Timer := now + ms_down_timer (vrrp_init_instance_sands in BACKUP), from
    /// the end of vrrp_startup_delay while it lasts.
    fn arm_down_timer(&mut self, now: Time) {
        let from = match self.delayed_start {
            Some(end) if now < end => end,
            _ => now,
        };
        self.timer = Some(from + Duration::from_micros(self.ms_down_us));
    }

    fn backup_rx(&mut self, now: Time, src: IpAddr, priority: u8, int_cs: u16) {
        self.counters.advert_rcvd += 1;
        if priority == 0 {
            // RFC 5798 6.4.2: Set the Master_Down_Timer to Skew_Time.
            self.counters.pri_zero_rcvd += 1;
            self.ms_down_us = self.skew_us(self.effective_priority);
            self.arm_down_timer(now);
            self.down_cause = DownCause::PriorityZero;
            return;
        }
        // preempt_delay counts from the first lower-priority advert: until one set
        // preempt_until, and until it passes, lower-priority adverts are accepted.
        let preempt_delay_pending =
            !self.cfg.preempt_delay.is_zero() && self.preempt_until.is_none_or(|until| until > now);
        if !self.cfg.preempt || priority >= self.effective_priority || preempt_delay_pending {
            self.learn_interval(int_cs);
            self.master_addr = Some(src);
            self.master_priority = Some(priority);
            if !self.cfg.preempt_delay.is_zero() {
                if priority >= self.effective_priority {
                    self.preempt_until = None;
                } else if self.preempt_until.is_none() {
                    self.preempt_until = Some(now + self.cfg.preempt_delay);
                }
            }
            self.ms_down_us = self.master_down_us();
            self.arm_down_timer(now);
            self.down_cause = DownCause::MasterSilent;
            // Held in BACKUP by the sync group, it wanted MASTER; a master is heard again.
            self.sync_wants_master = false;
        } else {
            // Lower priority and preempt: discard; the running down timer makes us master.
            // keepalived keeps what is left of it as ms_down_timer.
            tracing::debug!(
                instance = %self.cfg.name,
                "received lower priority ({priority}) advert from {src} - discarding"
            );
            self.master_addr = Some(src);
            self.master_priority = Some(priority);
            if let Some(at) = self.timer {
                self.ms_down_us = (at - now).as_micros().try_into().unwrap_or(u64::MAX);
            }
            self.down_cause = DownCause::Preempt;
        }
    }

    fn master_rx(
        &mut self,
        now: Time,
        src: IpAddr,
        priority: u8,
        int_cs: u16,
        out: &mut Vec<Action>,
    ) {
        self.counters.advert_rcvd += 1;
        if self.master_rx_stays(now, src, priority, int_cs, out) {
            // keepalived's dispatcher re-arms a master's Adver_Timer after every advert it
            // handled (it may just have answered it), unless lower_prio_no_advert.
            if !self.cfg.lower_prio_no_advert {
                self.timer = Some(now + Duration::from_micros(self.own_adver_int_us()));
            }
        }
    }

    /// vrrp_state_master_rx: true while we stay master.
    fn master_rx_stays(
        &mut self,
        now: Time,
        src: IpAddr,
        priority: u8,
        int_cs: u16,
        out: &mut Vec<Action>,
    ) -> bool {
        let ours = self.cfg.primary_addr;
        if priority == 0 {
            // RFC 5798 6.4.3: send an advert (and reset the Adver_Timer, above).
            self.counters.pri_zero_rcvd += 1;
            self.send_advert(self.effective_priority, out);
            return true;
        }
        if priority == self.effective_priority && src == ours {
            tracing::warn!(instance = %self.cfg.name, "equal priority advert received from remote host with our IP address {src}");
            return true;
        }
        if priority == 255 && self.effective_priority == 255 {
            tracing::error!(instance = %self.cfg.name, "configuration error: this instance and {src} are both address owner (priority 255); reducing local priority to 254");
            self.base_priority = 254;
            self.effective_priority = 254;
        }
        let they_win = priority > self.effective_priority
            || (priority == self.effective_priority && src > ours);
        if !they_win {
            tracing::debug!(instance = %self.cfg.name, "received advert from {src} with lower priority {priority}, ours {}", self.effective_priority);
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(self.effective_priority, out);
            }
            if self.cfg.garp.lower_prio_repeat > 0 {
                let count = self.cfg.garp.lower_prio_repeat;
                out.push(Action::SendGarp { count });
                if let Some(delay) = self.cfg.garp.lower_prio_delay {
                    self.garp_delayed.push((now + delay, count));
                }
            }
            out.push(Action::NotifyMasterRxLowerPri);
            return true;
        }
        if self.cfg.higher_prio_send_advert {
            self.send_advert(self.effective_priority, out);
        }
        let reason = if priority > self.effective_priority {
            Reason::HigherPriorityAdvert
        } else {
            Reason::EqualPriorityHigherAddress
        };
        self.learn_interval(int_cs);
        self.master_addr = Some(src);
        self.master_priority = Some(priority);
        self.leave_master(now, State::Backup, reason, out);
        false
    }

    fn on_timer(&mut self, now: Time, out: &mut Vec<Action>) {
        let master = self.state == State::Master;
        self.garp_delayed.retain(|&(at, count)| {
            if at > now {
                return true;
            }
            if master {
                out.push(Action::SendGarp { count });
            }
            false
        });
        let Some(at) = self.timer.filter(|&at| at <= now) else {
            return;
        };
        match self.state {
            State::Master => {
                // Adver_Timer: send and re-arm from the deadline, not from `now`, so a late
                // wake-up does not make the period drift.
                self.send_advert(self.effective_priority, out);
                self.refresh_garp(now, out);
                let period = Duration::from_micros(self.own_adver_int_us());
                self.timer = Some(next_tick(at, period, now));
            }
            // Demoted: the master may be gone, but we hold BACKUP (the operator was told,
            // when demoting, whether a peer was there to take over).
            State::Backup if self.held => self.timer = None,
            // vrrp_sync_can_goto_master: "prefer backup state to avoid thrashing". The other
            // members must want MASTER too; until then wait another Master_Down_Interval (the
            // timer only matters if they never do).
            State::Backup if self.sync_hold => {
                self.sync_wants_master = true;
                self.ms_down_us = self.master_down_us();
                self.arm_down_timer(now);
            }
            State::Backup => {
                let reason = match self.down_cause {
                    DownCause::MasterSilent => Reason::MasterDownTimerExpired,
                    DownCause::PriorityZero => Reason::PriorityZeroReceived,
                    DownCause::Preempt => Reason::PreemptLowerPriority,
                };
                self.become_master(now, reason, out);
            }
            State::Initialize | State::Fault | State::Stop => self.timer = None,
        }
    }

    /// Move a master's Adver_Timer `by` earlier (never later, never into the past of `now`):
    /// the node spreads a burst of adverts that share one instant (node/pacing.rs). The grid
    /// moves with it, so the following adverts keep the full interval.
    pub fn advance_advert_timer(&mut self, now: Time, by: Duration) {
        if self.state != State::Master || by.is_zero() {
            return;
        }
        if let Some(at) = self.timer {
            let earlier = Time(at.as_micros().saturating_sub(by.as_micros() as u64));
            self.timer = Some(earlier.max(now));
        }
    }

    /// The refresh burst, when due, right after a regular advert (vrrp_state_master_tx).
    fn refresh_garp(&mut self, now: Time, out: &mut Vec<Action>) {
        let (Some(at), Some(period)) = (self.garp_refresh, self.cfg.garp.master_refresh) else {
            return;
        };
        if at <= now {
            out.push(Action::SendGarp {
                count: self.cfg.garp.master_refresh_repeat,
            });
            self.garp_refresh = Some(now + period);
        }
    }

    /// vrrp_set_effective_priority: an address owner's priority never moves; anyone else's is
    /// clamped to 1..=254. A backup's running Master_Down_Timer moves by the change of
    /// ms_down_timer (normally the change of Skew_Time). Nothing is sent: a master's next
    /// regular advert carries the new priority.
    fn on_priority(&mut self, requested: u8) {
        // An owner's is 255 whatever is asked (after a reload made it one, this is how its
        // effective priority gets there).
        let effective = if self.base_priority == 255 {
            255
        } else {
            requested.clamp(1, 254)
        };
        if effective == self.effective_priority {
            return;
        }
        self.effective_priority = effective;
        let old_us = self.ms_down_us;
        self.ms_down_us = self.master_down_us();
        if self.state == State::Backup {
            if let Some(at) = self.timer {
                self.timer = Some(if self.ms_down_us >= old_us {
                    at + Duration::from_micros(self.ms_down_us - old_us)
                } else {
                    at - Duration::from_micros(old_us - self.ms_down_us)
                });
            }
        }
    }

    fn on_fault(&mut self, now: Time, reason: String, out: &mut Vec<Action>) {
        self.fault = Some(reason.clone());
        match self.state {
            State::Master => self.leave_master(now, State::Fault, Reason::Fault(reason), out),
            State::Backup => {
                self.timer = None;
                self.transition(now, State::Fault, Reason::Fault(reason), out);
                out.push(Action::Notify(State::Fault));
            }
            // Remembered: Startup will go straight to FAULT.
            State::Initialize | State::Stop | State::Fault => {}
        }
    }

    fn on_fault_cleared(&mut self, now: Time, out: &mut Vec<Action>) {
        self.fault = None;
        if self.state != State::Fault {
            return;
        }
        let owner_master = self.base_priority == 255
            && self.cfg.initial_state == InitialState::Master
            && !self.held;
        if owner_master && !self.sync_hold {
            self.become_master(now, Reason::FaultCleared, out);
            return;
        }
        self.master_adver_int_us = self.own_adver_int_us();
        self.master_addr = None;
        self.master_priority = None;
        self.preempt_until = None;
        self.enter_backup(now, Reason::FaultCleared, out);
        if owner_master {
            // try_up_instance: an owner its sync group holds comes up in BACKUP, wanting
            // MASTER, with the owner's short timer (Master_Adver_Interval + Skew_Time).
            self.sync_wants_master = true;
            self.ms_down_us = self.master_adver_int_us + self.skew_us(self.effective_priority);
        } else {
            self.ms_down_us = self.master_down_us();
        }
        self.arm_down_timer(now);
    }

    fn on_demote(&mut self, now: Time, reason: String, out: &mut Vec<Action>) {
        self.held = true;
        if self.state == State::Master {
            // As a stopping master does: one priority-0 advert (counted), so the best backup
            // takes over after its Skew_Time instead of Master_Down_Interval.
            self.transition(now, State::Backup, Reason::Demoted(reason), out);
            self.send_advert(0, out);
            self.counters.pri_zero_sent += 1;
            self.counters.release_master += 1;
            out.push(Action::RemoveVips);
            self.preempt_until = None;
            self.master_addr = None;
            self.master_priority = None;
            self.down_cause = DownCause::MasterSilent;
            self.timer = None;
            out.push(Action::Notify(State::Backup));
        }
    }

    fn on_restore(&mut self, now: Time) {
        if !std::mem::take(&mut self.held) {
            return;
        }
        if self.state == State::Backup {
            // Compete again: if no master is heard, take over after Master_Down_Interval.
            self.ms_down_us = self.master_down_us();
            self.arm_down_timer(now);
        }
    }

    fn on_shutdown(&mut self, now: Time, out: &mut Vec<Action>) {
        // keepalived exits: its pending GARP threads end with it.
        self.garp_delayed.clear();
        match self.state {
            State::Master => {
                // restore_vrrp_interfaces: one priority-0 advert, counted in pri_zero_sent,
                // and no vrrp_state_leave_master, so release_master stays.
                self.transition(now, State::Stop, Reason::Shutdown, out);
                self.send_advert(0, out);
                self.counters.pri_zero_sent += 1;
                out.push(Action::RemoveVips);
                self.timer = None;
                out.push(Action::Notify(State::Stop));
            }
            State::Backup | State::Fault | State::Initialize => {
                self.timer = None;
                self.transition(now, State::Stop, Reason::Shutdown, out);
                out.push(Action::Notify(State::Stop));
            }
            State::Stop => {}
        }
    }

    // ---- state entry/exit ----

    fn become_master(&mut self, now: Time, reason: Reason, out: &mut Vec<Action>) {
        self.transition(now, State::Master, reason, out);
        self.counters.become_master += 1;
        self.master_adver_int_us = self.own_adver_int_us();
        self.master_addr = None;
        self.master_priority = None;
        self.preempt_until = None;
        self.send_advert(self.effective_priority, out);
        out.push(Action::AddVips);
        let garp = &self.cfg.garp;
        if garp.master_repeat > 0 {
            out.push(Action::SendGarp {
                count: garp.master_repeat,
            });
        }
        if !garp.master_delay.is_zero() && garp.master_repeat > 0 {
            self.garp_delayed
                .push((now + garp.master_delay, garp.master_repeat));
        }
        self.garp_refresh = garp.master_refresh.map(|p| now + p);
        self.timer = Some(now + Duration::from_micros(self.own_adver_int_us()));
        out.push(Action::Notify(State::Master));
    }

    /// vrrp_state_leave_master: to BACKUP (a higher-priority master) or FAULT.
    fn leave_master(&mut self, now: Time, to: State, reason: Reason, out: &mut Vec<Action>) {
        self.transition(now, to, reason, out);
        self.counters.release_master += 1;
        if to == State::Fault {
            // Two priority-0 adverts, as keepalived's down_instance path sends them: the
            // FAULT branch's, then vrrp_restore_interface(advF)'s, the only one counted in
            // pri_zero_sent. A backup takes over after its Skew_Time.
            self.send_advert(0, out);
            self.send_advert(0, out);
            self.counters.pri_zero_sent += 1;
        }
        out.push(Action::RemoveVips);
        self.preempt_until = None;
        self.ms_down_us = self.master_down_us();
        self.timer = (to == State::Backup).then(|| now + Duration::from_micros(self.ms_down_us));
        self.down_cause = DownCause::MasterSilent;
        out.push(Action::Notify(to));
    }

    fn enter_backup(&mut self, now: Time, reason: Reason, out: &mut Vec<Action>) {
        self.transition(now, State::Backup, reason, out);
        self.down_cause = DownCause::MasterSilent;
        out.push(Action::Notify(State::Backup));
    }

    fn transition(&mut self, now: Time, to: State, reason: Reason, out: &mut Vec<Action>) {
        let from = self.state;
        self.state = to;
        // A new state says what the instance wants again (keepalived sets wantstate with it).
        self.sync_wants_master = false;
        if to != State::Master {
            // The refresh schedule ends with MASTER; delayed bursts do not (`garp_delayed`).
            self.garp_refresh = None;
        }
        out.push(Action::Transition {
            from,
            to,
            reason: reason.clone(),
        });
        self.last_transition = Some(Transition {
            at: now,
            from,
            to,
            reason,
        });
    }

    /// vrrp_send_adv: every advert counts in advert_sent; pri_zero_sent is the callers' (see
    /// [`Counters`]).
    fn send_advert(&mut self, priority: u8, out: &mut Vec<Action>) {
        self.counters.advert_sent += 1;
        out.push(Action::SendAdvert { priority });
    }
}

/// The first `deadline + k x period` (k >= 1) after `now`: keeps a periodic timer on its grid.
fn next_tick(deadline: Time, period: Duration, now: Time) -> Time {
    let period_us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX).max(1);
    let next = deadline + period;
    if next > now {
        return next;
    }
    let behind = now.as_micros() - deadline.as_micros();
    Time(deadline.as_micros() + (behind / period_us + 1) * period_us)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn addr(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn next_tick_stays_on_the_grid_after_a_late_wakeup() {
        let p = Duration::from_secs(1);
        assert_eq!(
            next_tick(Time::from_millis(1000), p, Time::from_millis(1000)),
            Time::from_millis(2000)
        );
        assert_eq!(
            next_tick(Time::from_millis(1000), p, Time::from_millis(3500)),
            Time::from_millis(4000)
        );
    }

    #[test]
    fn v3_skew_and_down_interval_follow_rfc5798() {
        let mut cfg = InstanceConfig::new("VI_1", 1, 100, addr(1));
        cfg.version = Version::V3;
        cfg.advert_int_cs = 100;
        let vi = Instance::new(cfg);
        // (256 - 100) x 1 s / 256 = 609375 us; 3 x 1 s + skew.
        assert_eq!(vi.skew_time(), Duration::from_micros(609_375));
        assert_eq!(vi.master_down_interval(), Duration::from_micros(3_609_375));
    }

    #[test]
    fn wantstate_is_keepalived_s_configured_state_until_a_master_is_heard() {
        let mut cfg = InstanceConfig::new("VI_1", 1, 100, addr(1));
        cfg.initial_state = InitialState::Master;
        let mut vi = Instance::new(cfg.clone());
        assert_eq!(vi.want_state(), State::Master, "INIT: the configured state");
        vi.handle(Time::ZERO, Input::Startup);
        assert_eq!(vi.state(), State::Backup);
        assert_eq!(
            vi.want_state(),
            State::Master,
            "a non-owner `state MASTER` waits in BACKUP"
        );
        // A master is heard: it wants BACKUP from now on.
        vi.handle(
            Time::from_millis(100),
            Input::AdvertReceived {
                src: addr(2),
                priority: 150,
                advert_int_cs: 100,
            },
        );
        assert_eq!(vi.want_state(), State::Backup);
        // Nobody heard: it takes over, and wants what it is.
        let mut vi = Instance::new(cfg);
        vi.handle(Time::ZERO, Input::Startup);
        let due = vi.next_deadline().unwrap();
        vi.handle(due, Input::TimerExpired);
        assert_eq!(
            (vi.state(), vi.want_state()),
            (State::Master, State::Master)
        );
        // `state BACKUP` (the default): wants BACKUP from the start.
        let vi = Instance::new(InstanceConfig::new("VI_2", 2, 100, addr(1)));
        assert_eq!(vi.want_state(), State::Backup);
    }

    #[test]
    fn demoted_master_sends_priority_zero_and_holds_backup_until_restored() {
        let mut vi = Instance::new(InstanceConfig::new("VI_1", 1, 150, addr(1)));
        vi.handle(Time::ZERO, Input::Startup);
        let due = vi.next_deadline().unwrap();
        vi.handle(due, Input::TimerExpired);
        assert_eq!(vi.state(), State::Master);
        let acts = vi.handle(
            due,
            Input::Demote {
                reason: "upgrade".into(),
            },
        );
        assert_eq!(vi.state(), State::Backup);
        assert_eq!(
            acts[0],
            Action::Transition {
                from: State::Master,
                to: State::Backup,
                reason: Reason::Demoted("upgrade".into())
            }
        );
        assert_eq!(acts[1], Action::SendAdvert { priority: 0 });
        assert_eq!(acts[2], Action::RemoveVips);
        assert_eq!(vi.counters().pri_zero_sent, 1);
        // Nobody is master now, and still it holds BACKUP (only the delayed GARP burst of
        // its mastership is pending, and it is not sent outside MASTER).
        while let Some(t) = vi.next_deadline() {
            vi.handle(t, Input::TimerExpired);
        }
        assert_eq!(vi.state(), State::Backup);
        let t = due + vi.master_down_interval() * 3;
        // Restored: it competes again and, with no master heard, takes over.
        vi.handle(t, Input::Restore);
        let t2 = vi.next_deadline().expect("restore arms the down timer");
        vi.handle(t2, Input::TimerExpired);
        assert_eq!(vi.state(), State::Master);
    }

    #[test]
    fn backup_takes_over_when_master_down_timer_expires() {
        let mut vi = Instance::new(InstanceConfig::new("VI_1", 1, 150, addr(1)));
        let acts = vi.handle(Time::ZERO, Input::Startup);
        assert_eq!(vi.state(), State::Backup);
        assert!(acts.contains(&Action::Notify(State::Backup)));
        let due = vi.next_deadline().expect("backup arms the down timer");
        assert_eq!(due, Time::ZERO + vi.master_down_interval());
        let acts = vi.handle(due, Input::TimerExpired);
        assert_eq!(vi.state(), State::Master);
        assert_eq!(
            acts[0],
            Action::Transition {
                from: State::Backup,
                to: State::Master,
                reason: Reason::MasterDownTimerExpired
            }
        );
        assert_eq!(acts[1], Action::SendAdvert { priority: 150 });
        assert_eq!(acts[2], Action::AddVips);
    }

    #[test]
    fn startup_delay_holds_the_down_timer_of_a_backup_but_not_an_owner() {
        let mut cfg = InstanceConfig::new("VI_1", 1, 150, addr(1));
        cfg.startup_delay = Duration::from_secs(2);
        let mut vi = Instance::new(cfg.clone());
        vi.handle(Time::ZERO, Input::Startup);
        let down = vi.master_down_interval();
        let end = Time::ZERO + Duration::from_secs(2);
        assert_eq!(vi.next_deadline(), Some(end + down));
        // An advert during the delay re-arms from the end of the delay, after it from now.
        let advert = |prio| Input::AdvertReceived {
            src: addr(2),
            priority: prio,
            advert_int_cs: 100,
        };
        vi.handle(Time::ZERO + Duration::from_secs(1), advert(200));
        assert_eq!(vi.next_deadline(), Some(end + down));
        let later = end + Duration::from_millis(500);
        vi.handle(later, advert(200));
        assert_eq!(vi.next_deadline(), Some(later + down));
        // keepalived's owner starts as master at once: no delay.
        let mut owner = InstanceConfig::new("VI_2", 2, 255, addr(1));
        owner.startup_delay = Duration::from_secs(2);
        let mut vi = Instance::new(owner);
        vi.handle(Time::ZERO, Input::Startup);
        assert_eq!(vi.state(), State::Master);
    }
}
