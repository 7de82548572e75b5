//! `vrrp`: the library behind `vrrpd` and `vrrpctl`.
//!
//! The arrow of dependencies points one way (see DESIGN.md):
//! `wire`, `config` <- `lint`, `fsm` <- `node` <- `sim`, `daemon`; `control` (types) <-
//! `daemon`, `cli` <- binaries. `fsm`, `node` and `wire` are pure (no clock, no socket);
//! `daemon` is the only room with I/O
//! besides the capture sources of `sniff` and the rule-set readers of `firewall`.

pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
pub mod firewall;
pub mod fsm;
pub mod lint;
pub mod node;
pub mod sim;
pub mod sniff;
pub mod wire;

/// `--version` of both binaries: the crate version and the git commit built (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("VRRP_GIT_COMMIT"),
    ")"
);
