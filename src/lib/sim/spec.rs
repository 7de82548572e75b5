//! What a simulation is made of: nodes and their instances, link properties, and the events a
//! scenario injects.

use std::net::IpAddr;
use std::time::Duration;

use thiserror::Error;

use crate::config::model::Config;
use crate::fsm::{FromModelError, InstanceConfig};

/// One VRRP instance on a simulated node.
#[derive(Debug, Clone, PartialEq)]
pub struct SimInstance {
    pub fsm: InstanceConfig,
    /// The addresses that move with mastership (virtual_ipaddress).
    pub vips: Vec<IpAddr>,
    /// unicast_peer: when not empty, adverts go only to nodes with these addresses.
    pub unicast_peers: Vec<IpAddr>,
}

impl SimInstance {
    pub fn new(fsm: InstanceConfig, vips: Vec<IpAddr>) -> SimInstance {
        SimInstance {
            fsm,
            vips,
            unicast_peers: Vec::new(),
        }
    }
}

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

    /// A node running `config` (as loaded by `config::load*`). Each instance's primary address
    /// is its unicast_src_ip or mcast_src_ip, else `addr` (the interface address).
    pub fn from_config(
        name: impl Into<String>,
        addr: IpAddr,
        config: &Config,
    ) -> Result<NodeSpec, SimError> {
        let name = name.into();
        let mut instances = Vec::with_capacity(config.instances.len());
        for inst in &config.instances {
            let primary = inst.unicast_src_ip.or(inst.mcast_src_ip).unwrap_or(addr);
            let fsm = InstanceConfig::from_model(inst, &config.global, primary).map_err(|e| {
                SimError::Config {
                    node: name.clone(),
                    source: e,
                }
            })?;
            instances.push(SimInstance {
                fsm,
                vips: inst.virtual_ipaddress.iter().map(|v| v.addr).collect(),
                unicast_peers: inst.unicast_peer.iter().map(|p| p.addr).collect(),
            });
        }
        Ok(NodeSpec {
            name,
            addr,
            instances,
        })
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
}

#[derive(Debug, Error)]
pub enum SimError {
    #[error("node {node}: {source}")]
    Config {
        node: String,
        #[source]
        source: FromModelError,
    },
    #[error("there is already a node named {0}")]
    DuplicateNode(String),
    #[error("no node named {0}")]
    UnknownNode(String),
    #[error("node {node} has no instance named {instance}")]
    UnknownInstance { node: String, instance: String },
    #[error("loss {0} is not a probability between 0 and 1")]
    BadLoss(f64),
}
