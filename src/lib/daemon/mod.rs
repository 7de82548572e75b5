//! The daemon runtime: the only room with network I/O (raw VRRP sockets, rtnetlink, GARP/NA,
//! signals, trackers, the control server). It drives the node layer (`crate::node`) with real
//! time and real packets, exactly as the simulator drives it with virtual ones.
//!
//! `run` is the entry point of the `vrrpd` binary; `run::Daemon` is the event loop, which owns
//! the `node::Node` and each instance's `instance::InstanceIo`, performs effects through
//! workers (`addresses`, `garp`) and hands out `run::Handle`s for status queries.

pub mod addresses;
pub mod command;
pub mod control;
pub mod demotion;
pub mod dump;
pub mod dump_data;
pub mod fifo;
pub mod garp;
pub mod host;
pub mod instance;
pub mod linkwatch;
pub mod log;
pub mod metrics_http;
pub mod netlink;
pub mod nftables;
pub mod notify;
pub mod pidfile;
pub mod privileges;
pub mod promote_secondaries;
pub mod reactor;
pub mod run;
pub mod script_security;
pub mod script_user;
pub mod sd_notify;
pub mod signals;
pub mod smtp;
pub mod socket;
pub mod timers;
pub mod track_file;
pub mod track_process;
pub mod track_script;
pub mod vmac;
pub mod watchdog;

pub use run::{run, Daemon, Handle, Options};
