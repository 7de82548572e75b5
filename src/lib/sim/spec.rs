//! What a simulation is made of: nodes and their instances, link properties, and the events a
//! scenario injects.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use thiserror::Error;

use crate::config::model::Config;
use crate::node::{
    build_all, BuildError, HostView, IfaceInfo, InstanceSpec, TrackerId, TrackerKind, TrackerState,
};

/// One VRRP instance on a simulated node: exactly what the daemon runs (`node::InstanceSpec`).
pub type SimInstance = InstanceSpec;

/// A simulated router: a name, its address on the segment, its instances.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub name: String,
    pub addr: IpAddr,
    pub instances: Vec<SimInstance>,
}

impl NodeSpec {
    pub fn new(name: impl Into<String>, addr: IpAddr, instances: Vec<SimInstance>) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            addr,
            instances,
        }
    }

    /// A node running `config` (as loaded by `config::load*`), built by the same code the
    /// daemon uses, against a host whose every interface is up with address `addr` (and, for
    /// IPv6 instances, a link-local address derived from it). An instance the daemon would
    /// refuse is an error here too.
    pub fn from_config(
        name: impl Into<String>,
        addr: IpAddr,
        config: &Config,
    ) -> Result<NodeSpec, SimError> {
        let name = name.into();
        let (instances, refused) = build_all(config, &SimHost::new(addr));
        if let Some(e) = refused.into_iter().next() {
            return Err(SimError::Config {
                node: name,
                source: e,
            });
        }
        Ok(NodeSpec {
            name,
            addr,
            instances,
        })
    }

    /// Every interface its instances run on or track (track_interface), sorted, once each.
    pub fn interfaces(&self) -> impl Iterator<Item = &str> {
        let mut v: Vec<&str> = self
            .instances
            .iter()
            .flat_map(|i| {
                let tracked = i
                    .trackers
                    .iter()
                    .filter(|t| t.id.kind == TrackerKind::Interface)
                    .map(|t| t.id.name.as_str());
                std::iter::once(i.ifname.as_str()).chain(tracked)
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v.into_iter()
    }

    /// The host view this node's instances were built against.
    pub(crate) fn host(&self) -> SimHost {
        SimHost::new(self.addr)
    }
}

/// A simulated host: every interface exists and is up, with the node's address (and an IPv6
/// link-local address derived from it).
#[derive(Debug, Clone)]
pub(crate) struct SimHost {
    addrs: Vec<IpAddr>,
}

impl SimHost {
    pub(crate) fn new(addr: IpAddr) -> SimHost {
        let link_local = match addr {
            IpAddr::V6(v6) if v6.is_unicast_link_local() => v6,
            IpAddr::V6(v6) => {
                let s = v6.segments();
                Ipv6Addr::new(0xfe80, 0, 0, 0, s[4], s[5], s[6], s[7])
            }
            IpAddr::V4(v4) => {
                let o = v4.octets();
                Ipv6Addr::new(
                    0xfe80,
                    0,
                    0,
                    0,
                    0,
                    0,
                    u16::from_be_bytes([o[0], o[1]]),
                    u16::from_be_bytes([o[2], o[3]]),
                )
            }
        };
        let mut addrs = vec![addr];
        if addr != IpAddr::V6(link_local) {
            addrs.push(IpAddr::V6(link_local));
        }
        SimHost { addrs }
    }
}

impl SimHost {
    pub(crate) fn has(&self, addr: IpAddr) -> bool {
        self.addrs.contains(&addr)
    }
}

impl SimHost {
    /// What the host reports for an interface whose link is `up`.
    pub(crate) fn info(&self, up: bool) -> IfaceInfo {
        IfaceInfo {
            index: 2,
            up,
            addrs: self.addrs.clone(),
        }
    }
}

impl HostView for SimHost {
    fn interface(&self, _name: &str) -> Option<IfaceInfo> {
        Some(self.info(true))
    }
}

/// One direction of a link between two nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// One-way delivery delay.
    pub delay: Duration,
    /// Probability that a packet is lost, 0.0..=1.0.
    pub loss: f64,
}

impl Default for Link {
    /// A quiet LAN: 100 us, no loss.
    fn default() -> Self {
        Link {
            delay: Duration::from_micros(100),
            loss: 0.0,
        }
    }
}

/// Something that happens to the cluster at a scheduled time. Nodes and instances are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start (or restart) a node: fresh instances, `Startup`.
    Start {
        node: String,
    },
    /// Crash: the node vanishes without a word (no priority-0 advert), its VIPs with it.
    Kill {
        node: String,
    },
    /// Graceful stop: `Shutdown` (masters send priority 0), then the node is down.
    Stop {
        node: String,
    },
    /// New effective priority for one instance (`None`: every instance of the node).
    SetPriority {
        node: String,
        instance: Option<String>,
        priority: u8,
    },
    /// Split the LAN: nodes in different groups cannot hear each other. Nodes not listed
    /// form one more group together.
    Partition {
        groups: Vec<Vec<String>>,
    },
    /// Undo every partition.
    Heal,
    /// The node's firewall starts/stops dropping inbound protocol 112.
    BlockVrrp {
        node: String,
    },
    UnblockVrrp {
        node: String,
    },
    /// The node's interface `iface` (every interface of its instances when None) loses its
    /// link: the node layer hears it as the host's link report (FAULT unless
    /// dont_track_primary), and nothing is sent or received on it.
    LinkDown {
        node: String,
        iface: Option<String>,
    },
    LinkUp {
        node: String,
        iface: Option<String>,
    },
    /// A tracker puts the instance(s) in FAULT, or clears it.
    Fault {
        node: String,
        instance: Option<String>,
        reason: String,
    },
    FaultCleared {
        node: String,
        instance: Option<String>,
    },
    /// One of the node's trackers reports a result, as the daemon's tracker workers do: the
    /// node layer (`Node::set_tracker`) moves the priority of every instance that follows it,
    /// or puts it in FAULT, by keepalived's weights. Ignored while the node is down.
    Tracker {
        node: String,
        tracker: TrackerId,
        state: TrackerState,
    },
    /// `vrrpctl demote` on the node (`Node::demote`): a master hands over with a priority-0
    /// advert and the instance(s) hold BACKUP until restored or the node restarts.
    Demote {
        node: String,
        instance: Option<String>,
    },
    /// `vrrpctl restore` (`Node::restore`).
    Restore {
        node: String,
        instance: Option<String>,
    },
}

#[derive(Debug, Error)]
pub enum SimError {
    #[error("node {node}: {source}")]
    Config {
        node: String,
        #[source]
        source: BuildError,
    },
    #[error("there is already a node named {0}")]
    DuplicateNode(String),
    #[error("no node named {0}")]
    UnknownNode(String),
    #[error("node {node} has no instance named {instance}")]
    UnknownInstance { node: String, instance: String },
    #[error("node {node} has no instance on interface {iface}")]
    UnknownInterface { node: String, iface: String },
    #[error("loss {0} is not a probability between 0 and 1")]
    BadLoss(f64),
}
