//! The daemon runtime: the only room with network I/O (raw VRRP sockets, rtnetlink, GARP/NA,
//! signals, trackers, the control server). It drives `fsm` with real time and real packets.
//!
//! `run` is the entry point of the `vrrpd` binary; `run::Daemon` is the event loop, which owns
//! every `instance::InstanceRt` and hands out `run::Handle`s for status queries.

pub mod dump;
pub mod flags;
pub mod garp;
pub mod instance;
pub mod log;
pub mod netlink;
pub mod pidfile;
pub mod reactor;
pub mod receive;
pub mod run;
pub mod sd_notify;
pub mod signals;
pub mod socket;
pub mod timers;

pub use run::{run, Daemon, Handle};
