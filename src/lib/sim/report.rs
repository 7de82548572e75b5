//! What a simulation run produced: the transition timeline, VIP ownership over time, split
//! brains, and each instance's final state. Serializes to the `simulate-failover --json` shape.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::fsm::{Counters, State, Time};

fn ser_ms<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_micros() as f64 / 1000.0)
}

fn ser_state<S: Serializer>(st: &State, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(st.as_str())
}

/// One state change of one instance (`{"t_ms", "node", "instance", "from", "to", "reason"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    #[serde(rename = "t_ms", serialize_with = "ser_ms")]
    pub at: Time,
    pub node: String,
    pub instance: String,
    pub vrid: u8,
    #[serde(serialize_with = "ser_state")]
    pub from: State,
    #[serde(serialize_with = "ser_state")]
    pub to: State,
    pub reason: String,
}

/// From `at` on, these nodes hold `vip` (empty: nobody; more than one: a conflict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VipOwnership {
    #[serde(rename = "t_ms", serialize_with = "ser_ms")]
    pub at: Time,
    pub vip: IpAddr,
    pub owners: Vec<String>,
}

/// A stretch of time with two or more masters of one VRID on the segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitBrain {
    pub vrid: u8,
    /// The interface (segment) of the virtual router.
    pub interface: String,
    #[serde(rename = "start_ms", serialize_with = "ser_ms")]
    pub start: Time,
    /// When it ended, or the end of the run if it was still going.
    #[serde(rename = "end_ms", serialize_with = "ser_ms")]
    pub end: Time,
    /// Still going when the run ended.
    pub ongoing: bool,
    /// Every node that was master of the VRID at some point during it.
    pub masters: Vec<String>,
}

impl SplitBrain {
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// An instance at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceSummary {
    pub node: String,
    pub instance: String,
    pub vrid: u8,
    #[serde(serialize_with = "ser_state")]
    pub state: State,
    pub node_up: bool,
    pub effective_priority: u8,
    pub owns_vips: bool,
    pub master_ip: Option<IpAddr>,
    pub counters: Counters,
}

/// Packets on the virtual LAN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PacketStats {
    /// One per (advert, receiving node) pair.
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub partitioned: u64,
    pub firewalled: u64,
    /// Not sent or not received because the interface's link was down.
    pub link_down: u64,
    /// Dropped by the receiver's checks (version or v2 interval mismatch) or node down.
    pub dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    #[serde(rename = "end_ms", serialize_with = "ser_ms")]
    pub end: Time,
    #[serde(rename = "events")]
    pub timeline: Vec<TimelineEntry>,
    pub vip_owners: Vec<VipOwnership>,
    pub split_brains: Vec<SplitBrain>,
    #[serde(rename = "final")]
    pub instances: Vec<InstanceSummary>,
    pub packets: PacketStats,
    /// The run hit its event budget before the end time; `end` is where it stopped.
    pub truncated: bool,
}

impl Report {
    /// The transitions of one node, in order.
    pub fn transitions_of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a TimelineEntry> {
        self.timeline.iter().filter(move |e| e.node == node)
    }

    /// The first time at or after `after` that `node` entered `state`.
    pub fn first_entry(&self, node: &str, state: State, after: Time) -> Option<Time> {
        self.transitions_of(node)
            .find(|e| e.to == state && e.at >= after)
            .map(|e| e.at)
    }

    /// Who held `vip` at time `t`.
    pub fn owners_at(&self, vip: IpAddr, t: Time) -> Vec<String> {
        self.vip_owners
            .iter()
            .rev()
            .find(|o| o.vip == vip && o.at <= t)
            .map(|o| o.owners.clone())
            .unwrap_or_default()
    }

    /// Total split-brain time of a VRID.
    pub fn split_brain_time(&self, vrid: u8) -> Duration {
        self.split_brains
            .iter()
            .filter(|s| s.vrid == vrid)
            .map(SplitBrain::duration)
            .sum()
    }

    pub fn instance(&self, node: &str, instance: &str) -> Option<&InstanceSummary> {
        self.instances
            .iter()
            .find(|i| i.node == node && i.instance == instance)
    }
}
