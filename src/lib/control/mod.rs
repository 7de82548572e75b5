//! The control-socket protocol: versioned JSON-line requests and typed replies, the status and
//! stats snapshots (DESIGN.md's stable field names), the watch event stream, the Prometheus
//! rendering of a snapshot, keepalived's JSON dump read into the same snapshot, and a blocking
//! client. A leaf: `daemon` (the server) and `cli` (the client) both use it; it uses neither.

pub mod client;
pub mod keepalived_dump;
pub mod prometheus;
pub mod proto;
pub mod snapshot;

pub use client::{Client, ClientError};
pub use proto::{Cmd, ErrorBody, ErrorCode, Reply, Request, MAX_LINE, PROTOCOL_VERSION};
pub use snapshot::{Event, InstanceSnapshot, NodeStats, Stats, Tracker};

/// Default control socket of vrrpd (DESIGN.md: overridable with --socket and VRRPD_SOCKET on
/// both sides).
pub const DEFAULT_SOCKET: &str = "/run/vrrpd/vrrpd.sock";
