//! The daemon runtime: the only room with network I/O (raw VRRP sockets, rtnetlink, GARP/NA,
//! signals, trackers, the control server). It drives `fsm` with real time and real packets.

pub mod flags;
