//! `vrrpctl sniff`.

use super::{CmdError, CmdResult, Output, SniffArgs};

pub fn run(_a: &SniffArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("sniff"))
}
