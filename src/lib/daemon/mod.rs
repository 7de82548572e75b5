//! The daemon runtime: the only room with network I/O (raw VRRP sockets, rtnetlink, GARP/NA,
//! signals, trackers, the control server). It drives `fsm` with real time and real packets.

pub mod flags;
pub mod netlink;
pub mod pidfile;
pub mod reactor;
pub mod sd_notify;
pub mod signals;
pub mod socket;
pub mod timers;
