//! The vocabulary between a node and its driver: what happens to it (`Input`) and what it asks
//! the driver to do (`Effect`). The daemon performs effects with sockets, rtnetlink and worker
//! tasks; the simulator performs them on its virtual LAN.

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::model::{VirtualIp, VirtualRoute};
use crate::fsm::{Reason, State};

use super::receive::RxMeta;
use super::{Family, IfaceInfo};

/// A stable handle on one instance of a node (it survives reloads that keep the instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub usize);

/// Something that happened to the node.
#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// Start every instance (RFC 5798 Startup event).
    Startup,
    /// A datagram arrived on `ifname` from the raw VRRP socket of `family`.
    Datagram {
        ifname: &'a str,
        family: Family,
        bytes: &'a [u8],
        meta: &'a RxMeta,
    },
    /// The driver's timer armed at `Node::next_deadline()` fired.
    TimerExpired,
    /// The host reported a change of `ifname`: its link state or addresses (None: it vanished).
    Interface {
        ifname: &'a str,
        info: Option<IfaceInfo>,
    },
    /// Stop every instance (RFC 5798 Shutdown event): masters send priority 0.
    Shutdown,
}

/// What the driver must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Put these bytes on the wire from `src` to `dst` on the instance's interface: a whole
    /// IPv4 packet (header included), or for IPv6 the VRRP message (the driver adds the header
    /// with hop limit 255). Shared: an instance's unchanged advert is the same bytes each time.
    Send {
        id: InstanceId,
        src: IpAddr,
        dst: IpAddr,
        bytes: Arc<[u8]>,
    },
    /// Add (remove) every address and route of the instance.
    AddVips {
        id: InstanceId,
    },
    RemoveVips {
        id: InstanceId,
    },
    /// A reload changed the addresses of a master: add / remove just these.
    AddAddresses {
        id: InstanceId,
        vips: Vec<VirtualIp>,
        routes: Vec<VirtualRoute>,
    },
    RemoveAddresses {
        id: InstanceId,
        vips: Vec<VirtualIp>,
        routes: Vec<VirtualRoute>,
    },
    /// `count` gratuitous ARPs / unsolicited NAs for every VIP (paced by the driver).
    SendGarp {
        id: InstanceId,
        count: u32,
    },
    /// A state change. `advert` is the advert (source, priority) that caused it, if one did.
    Transition {
        id: InstanceId,
        from: State,
        to: State,
        reason: Reason,
        priority: u8,
        advert: Option<(IpAddr, u8)>,
    },
    /// The trackers moved the effective priority (`cause`: the tracker and its new state).
    PriorityChanged {
        id: InstanceId,
        from: u8,
        to: u8,
        cause: String,
    },
    /// Run the notify scripts / FIFO for entering `state`.
    Notify {
        id: InstanceId,
        state: State,
    },
    NotifyMasterRxLowerPri {
        id: InstanceId,
    },
    /// A vrrp_sync_group entered `state`: run its notify scripts / FIFO line.
    GroupNotify {
        group: String,
        state: State,
    },
    /// An advert for this instance failed a receive check (already counted); keepalived logs
    /// one line for it.
    Rejected {
        id: InstanceId,
        src: IpAddr,
        message: String,
    },
    /// A datagram no instance takes (malformed, unknown VRID, not ours); never counted.
    Dropped {
        src: IpAddr,
        vrid: Option<u8>,
        reason: String,
    },
    /// The instance's source address changed (the interface's address came or went).
    SourceChanged {
        id: InstanceId,
        src: Option<IpAddr>,
    },
    /// A reload removed the instance; its id is not used again after this effect.
    Removed {
        id: InstanceId,
    },
}
