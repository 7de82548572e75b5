//! The vocabulary between the machine and its drivers: states, inputs, actions and the reasons
//! printed in transition log lines.

use std::fmt;
use std::net::IpAddr;

use super::Time;

/// An instance's state. Display gives the names of the status JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum State {
    /// RFC 5798 Initialize: configured, not started.
    Initialize,
    Backup,
    Master,
    /// keepalived's FAULT: a tracked interface/script says this node must not serve.
    Fault,
    /// Stopped by a shutdown; only `Input::Startup` leaves it.
    Stop,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Initialize => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event the driver feeds to [`super::Instance::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// RFC 5798 "Startup event". Also restarts an instance in STOP.
    Startup,
    /// A valid advertisement for this VRID (the wire layer and the receive checks of
    /// keepalived-inventory §3 ran before; a v2 advert with another interval was dropped there).
    AdvertReceived {
        /// The sender's primary address (IP source), used for the equal-priority tie-break.
        src: IpAddr,
        priority: u8,
        /// The advert's interval in centiseconds (v2: seconds x 100).
        advert_int_cs: u16,
    },
    /// The driver's timer armed at [`super::Instance::next_deadline`] fired. Spurious calls are
    /// harmless: only deadlines at or before `now` are acted on.
    TimerExpired,
    /// The effective priority (base + tracker weights, computed by the caller) changed.
    PriorityChanged {
        effective: u8,
    },
    /// Enter FAULT. The caller aggregates its fault sources: it sends `Fault` when the first
    /// one goes bad and `FaultCleared` when the last one recovers.
    Fault {
        reason: String,
    },
    FaultCleared,
    /// keepalived's vrrp_sync_master / vrrp_sync_backup: another member of the instance's
    /// vrrp_sync_group became MASTER (a BACKUP member follows at once) or left MASTER for
    /// BACKUP (a MASTER member follows). Ignored in any other state.
    SyncMaster {
        group: String,
    },
    SyncBackup {
        group: String,
    },
    /// RFC 5798 "Shutdown event": a master sends priority 0 and releases its addresses.
    Shutdown,
    /// The operator's maintenance switch (`vrrpctl demote`): a master sends priority 0 (a
    /// backup takes over after its Skew_Time) and goes BACKUP; the instance then holds BACKUP,
    /// never becoming master, until `Restore`.
    Demote {
        reason: String,
    },
    /// End a demotion: the instance competes again (from BACKUP, Master_Down_Timer armed).
    Restore,
}

/// Why a transition happened; Display is the text in `VI_1: BACKUP -> MASTER (<reason>, prio 150)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Startup into BACKUP (or MASTER for the priority-255 address owner).
    Startup,
    /// No advert from the master within Master_Down_Interval.
    MasterDownTimerExpired,
    /// The master sent priority 0 and the Skew_Time timer ran out.
    PriorityZeroReceived,
    /// This backup discarded a lower-priority master's adverts and took over (preempt).
    PreemptLowerPriority,
    /// A master received an advert with a higher priority.
    HigherPriorityAdvert,
    /// A master received an advert with its own priority from a higher primary address.
    EqualPriorityHigherAddress,
    Fault(String),
    FaultCleared,
    /// Moved with the other members of this vrrp_sync_group.
    SyncGroup(String),
    Shutdown,
    Demoted(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Startup => f.write_str("startup"),
            Reason::MasterDownTimerExpired => f.write_str("master down timer expired"),
            Reason::PriorityZeroReceived => f.write_str("priority 0 received"),
            Reason::PreemptLowerPriority => f.write_str("preempted lower priority master"),
            Reason::HigherPriorityAdvert => f.write_str("higher priority advert received"),
            Reason::EqualPriorityHigherAddress => {
                f.write_str("equal priority advert from higher address")
            }
            Reason::Fault(why) => write!(f, "fault: {why}"),
            Reason::FaultCleared => f.write_str("fault cleared"),
            Reason::SyncGroup(g) => write!(f, "sync group {g}"),
            Reason::Shutdown => f.write_str("shutdown"),
            Reason::Demoted(why) if why.is_empty() => f.write_str("demoted"),
            Reason::Demoted(why) => write!(f, "demoted: {why}"),
        }
    }
}

/// One state change, as kept for `status` (`since_ms`, `last_transition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: Time,
    pub from: State,
    pub to: State,
    pub reason: Reason,
}

/// What the driver must do, in order.
///
/// Ordering follows keepalived: on becoming master the advert goes out before the addresses are
/// added and announced (the old master drops its VIPs first); on leaving master the priority-0
/// advert (if any) goes before the addresses are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one advertisement with this priority (0 = "I am leaving") and the configured
    /// advert_int, to the group or to every unicast peer.
    SendAdvert { priority: u8 },
    /// Add the VIPs (and virtual_routes/rules) of the instance.
    AddVips,
    /// Remove them.
    RemoveVips,
    /// Send `count` gratuitous ARPs / unsolicited NAs for every VIP, back to back, spaced by
    /// vrrp_garp_interval / vrrp_gna_interval (the daemon's business). The machine owns the
    /// schedule: the burst on becoming master (garp_master_repeat), the second burst after
    /// garp_master_delay, the refresh every garp_master_refresh (garp_master_refresh_repeat),
    /// and the lower-priority bursts (garp_lower_prio_repeat / _delay).
    SendGarp { count: u32 },
    /// A state change; log it as `NAME: FROM -> TO (REASON, prio P)`.
    Transition {
        from: State,
        to: State,
        reason: Reason,
    },
    /// Run the notify scripts / FIFO for entering this state (after the addresses changed).
    Notify(State),
    /// keepalived's `notify_master_rx_lower_pri`: a master heard a lower-priority master.
    NotifyMasterRxLowerPri,
}
