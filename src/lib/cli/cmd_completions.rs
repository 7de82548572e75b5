//! `vrrpctl completions SHELL`.

use std::io::Write;

use super::{CmdError, CmdResult, CompletionsArgs, Exit};

pub fn run(a: &CompletionsArgs) -> CmdResult {
    std::io::stdout()
        .write_all(&super::docs::completion(a.shell))
        .map_err(|e| CmdError::usage(format!("cannot write the completion script: {e}")))?;
    Ok(Exit::Ok)
}
