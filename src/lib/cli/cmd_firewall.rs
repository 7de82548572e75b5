//! `vrrpctl firewall-check`.

use super::{CmdError, CmdResult, FirewallArgs, Output};

pub fn run(_a: &FirewallArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("firewall-check"))
}
