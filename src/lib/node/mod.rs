//! One VRRP node, pure: its instances keyed by identity, the receive checks, fault sources and
//! the deadlines of every state machine, and reload planning. No clock, no socket: the daemon
//! and the simulator are two drivers of exactly this code.
//!
//! ```text
//! let (specs, refused) = node::build_all(&config, &host);   // refusals: file:line:col
//! let mut node = Node::new(specs, &host);
//! node.handle(now, Input::Startup, &mut effects);
//! loop {
//!     // arm ONE timer at node.next_deadline(); feed Input::TimerExpired when it fires,
//!     // Input::Datagram for every datagram of the raw VRRP sockets, Input::Interface for
//!     // link/address changes; perform `effects` in order (never waiting on them).
//! }
//! ```

mod core;
mod deadlines;
mod encode;
mod io;
mod pacing;
pub mod receive;
mod reload;
mod spec;
pub mod track;
pub mod track_file;
pub mod track_process;

pub use core::{FaultSource, Node, NodeInstance, NO_PEER_FAULT, UNCLAIMED_VRID, UNKNOWN_VRID};
pub use deadlines::{DeadlineQueue, Micros};
pub use io::{Effect, Input, InstanceId};
pub use receive::{RxCounters, RxMeta};
pub use reload::{plan_reload, ReloadPlan, ReloadSummary};
pub use spec::{
    build_all, refuse_half_groups, AddrVmac, BuildError, Family, HostView, IfaceInfo, InstanceKey,
    InstanceSpec, VmacSpec,
};
pub use track::{TrackerDef, TrackerId, TrackerKind, TrackerState};

/// Largest VRRP packet we build or read: an IPv6 advert with 255 addresses is 8 + 255 x 16
/// bytes; an IPv4 one with its header and 255 addresses is 20 + 16 + 255 x 4.
pub const MAX_PACKET: usize = 4200;
