//! `vrrpctl status` and `vrrpctl dump-stats`: ask the running vrrpd over its control socket.

use super::{CmdError, CmdResult, Output, StatusArgs};

pub fn status(_a: &StatusArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("status"))
}

pub fn dump_stats(_a: &StatusArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("dump-stats"))
}
