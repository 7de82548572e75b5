//! `vrrpctl simulate-failover`.

use super::{CmdError, CmdResult, Output, SimulateArgs};

pub fn run(_a: &SimulateArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("simulate-failover"))
}
