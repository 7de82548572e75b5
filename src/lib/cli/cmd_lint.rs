//! `vrrpctl lint`.

use super::{CmdError, CmdResult, LintArgs, Output};

pub fn run(_a: &LintArgs, _out: &Output) -> CmdResult {
    Err(CmdError::not_implemented("lint"))
}
