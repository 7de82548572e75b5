//! What `status`, `dump-stats` and `watch` carry: one instance's state and counters, a
//! tracker's contribution, and a state or priority change. Field names are DESIGN.md's stable
//! JSON contract (add fields freely, never rename these).

use serde::{Deserialize, Serialize};

/// keepalived's per-instance statistics (stats-file names, in keepalived's JSON order), plus
/// the version and checksum errors it keeps for SNMP only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// Adverts of another VRRP version than the instance's (keepalived: SNMP vrrpStatsVersionErrors).
    pub vers_err: u64,
    /// Adverts with a bad checksum (keepalived: SNMP vrrpStatsChecksumErrors).
    pub chk_err: u64,
    /// Adverts of the master this backup follows that came more than half an advert interval
    /// after the one before (1.5 x Master_Adver_Interval): the early sign of a loaded or lossy
    /// master before Master_Down_Interval runs out. Not a keepalived counter.
    pub late_advert_rcvd: u64,
    /// Notify scripts of this instance (notify_master/backup/fault/stop/deleted, notify) that
    /// failed to start, exited non-zero or timed out. Not a keepalived counter.
    pub notify_failures: u64,
}

impl Stats {
    /// (name, value, help) of every counter, in the order above.
    pub fn fields(&self) -> [(&'static str, u64, &'static str); 18] {
        [
            ("advert_rcvd", self.advert_rcvd, "Advertisements received"),
            ("advert_sent", self.advert_sent, "Advertisements sent"),
            ("become_master", self.become_master, "Became master"),
            ("release_master", self.release_master, "Released master"),
            (
                "packet_len_err",
                self.packet_len_err,
                "Packet length errors",
            ),
            (
                "advert_interval_err",
                self.advert_interval_err,
                "Advertisement interval errors",
            ),
            ("ip_ttl_err", self.ip_ttl_err, "TTL errors"),
            (
                "invalid_type_rcvd",
                self.invalid_type_rcvd,
                "Invalid type errors",
            ),
            ("addr_list_err", self.addr_list_err, "Address list errors"),
            (
                "invalid_authtype",
                self.invalid_authtype,
                "Authentication invalid",
            ),
            (
                "authtype_mismatch",
                self.authtype_mismatch,
                "Authentication mismatch",
            ),
            ("auth_failure", self.auth_failure, "Authentication failure"),
            (
                "pri_zero_rcvd",
                self.pri_zero_rcvd,
                "Priority zero received",
            ),
            ("pri_zero_sent", self.pri_zero_sent, "Priority zero sent"),
            ("vers_err", self.vers_err, "Version errors"),
            ("chk_err", self.chk_err, "Checksum errors"),
            (
                "late_advert_rcvd",
                self.late_advert_rcvd,
                "Master adverts later than half an interval",
            ),
            (
                "notify_failures",
                self.notify_failures,
                "Notify script failures",
            ),
        ]
    }
}

/// A tracker (track_script, track_interface, track_file, ...) and what it does to priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracker {
    /// e.g. "script", "interface", "file", "process".
    pub kind: String,
    pub name: String,
    /// "up", "down", "init" ...
    pub state: String,
    pub weight: i32,
}

/// Counters of the node as a whole, beside the per-instance ones (none is a keepalived counter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeStats {
    /// Adverts heard on an interface for a VRID no instance of ours runs there (keepalived logs
    /// them only with `log_unknown_vrids`), per interface.
    pub unknown_vrid: Vec<InterfaceCount>,
    /// Each running vrrp_script's runs and how they ended.
    pub scripts: Vec<ScriptStats>,
    /// Notify scripts of each vrrp_sync_group that failed (an instance's are in its stats).
    pub sync_groups: Vec<GroupStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InterfaceCount {
    pub interface: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScriptStats {
    pub name: String,
    /// Runs that ended (by exit, failure to start or timeout).
    pub runs: u64,
    /// Runs that did not exit 0 (timeouts included).
    pub failures: u64,
    /// Runs killed after the script's timeout.
    pub timeouts: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupStats {
    pub name: String,
    pub notify_failures: u64,
}

/// Where a snapshot came from: vrrpd's control socket or keepalived's JSON dump.
pub const SOURCE_VRRPD: &str = "vrrpd";
pub const SOURCE_KEEPALIVED: &str = "keepalived";

/// One instance as `vrrpctl status` / `dump-stats` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSnapshot {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    pub version: u8,
    /// "INIT" | "BACKUP" | "MASTER" | "FAULT" | "STOP"
    pub state: String,
    /// keepalived's `wantstate`: the state the instance is headed for (its configured state
    /// before it starts; MASTER for a `state MASTER` instance still waiting in BACKUP for its
    /// Master_Down_Interval), else `state`. None from an older vrrpd.
    #[serde(default)]
    pub wantstate: Option<String>,
    /// The configured priority.
    pub priority: u8,
    /// The base priority in force (254 instead of 255 after an address-owner conflict).
    pub base_priority: u8,
    /// Base plus tracker weights: what is advertised.
    pub effective_priority: u8,
    /// The current master's address (ours in MASTER, the advert source in BACKUP).
    pub master_ip: Option<String>,
    /// The current master's priority as seen on the wire.
    #[serde(default)]
    pub master_priority: Option<u8>,
    pub vips: Vec<String>,
    /// Milliseconds since the last transition.
    pub since_ms: Option<u64>,
    /// "BACKUP -> MASTER (master down timer expired)"
    pub last_transition: Option<String>,
    /// Wall time of the last transition, seconds since the epoch.
    #[serde(default)]
    pub last_transition_epoch: Option<f64>,
    #[serde(default)]
    pub trackers: Vec<Tracker>,
    #[serde(default)]
    pub sync_group: Option<String>,
    /// The reason given to `vrrpctl demote`, while demoted.
    #[serde(default)]
    pub demoted: Option<String>,
    /// "vrrpd" or "keepalived".
    pub source: String,
    pub stats: Stats,
}

impl InstanceSnapshot {
    /// Whether the instance matches any of `names` (an empty list matches everything).
    pub fn selected(&self, names: &[String]) -> bool {
        names.is_empty() || names.contains(&self.name)
    }
}

/// One line of the `watch` stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A state change, with the reason the state machine gave.
    Transition {
        /// Wall time, seconds since the epoch.
        ts: f64,
        instance: String,
        from: String,
        to: String,
        reason: String,
        effective_priority: u8,
    },
    /// The effective priority changed (tracker, demote, restore).
    Priority {
        ts: f64,
        instance: String,
        from: u8,
        to: u8,
        reason: String,
    },
    /// The subscriber fell behind and `missed` events were dropped; ask `status` again.
    Lagged { missed: u64 },
}

/// Now as seconds since the epoch (the `ts` of events).
pub fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A MASTER instance for the unit tests of the renderers (dump files, Prometheus).
#[cfg(test)]
pub(crate) fn sample() -> InstanceSnapshot {
    InstanceSnapshot {
        name: "VI_1".into(),
        interface: "eth0".into(),
        vrid: 51,
        version: 2,
        state: "MASTER".into(),
        wantstate: Some("MASTER".into()),
        priority: 150,
        base_priority: 150,
        effective_priority: 150,
        master_ip: Some("192.0.2.1".into()),
        master_priority: Some(150),
        vips: vec!["192.0.2.100/24 dev eth0".into()],
        since_ms: Some(5),
        last_transition: None,
        last_transition_epoch: Some(1.5),
        trackers: Vec::new(),
        sync_group: None,
        demoted: None,
        source: SOURCE_VRRPD.into(),
        stats: Stats {
            advert_sent: 15,
            become_master: 1,
            ..Stats::default()
        },
    }
}
