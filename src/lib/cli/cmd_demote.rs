//! `vrrpctl demote [INSTANCE...|--all] [--reason TEXT] [--force]` and `vrrpctl restore`: the
//! maintenance switch of a running vrrpd (keepalived has none; there are no such requests to
//! send it). The daemon refuses to demote an instance with no other router heard unless
//! --force, and remembers demotions across its restarts.

use crate::control::Cmd;

use super::cmd_status::connect_vrrpd;
use super::{CmdError, CmdResult, DemoteArgs, Exit, Output, RestoreArgs};

fn report(changed: &[String], what: &str, out: &Output) {
    if out.json {
        println!("{}", serde_json::json!({ what: changed }));
    } else {
        for n in changed {
            println!("{n}: {what}");
        }
    }
}

pub fn demote(a: &DemoteArgs, out: &Output) -> CmdResult {
    let mut c = connect_vrrpd(&a.daemon)?;
    let reply = c
        .request(Cmd::Demote {
            instances: a.instances.clone(),
            all: a.all,
            reason: a.reason.clone(),
            force: a.force,
        })
        .map_err(CmdError::client)?;
    report(&reply.changed.unwrap_or_default(), "demoted", out);
    Ok(Exit::Ok)
}

pub fn restore(a: &RestoreArgs, out: &Output) -> CmdResult {
    let mut c = connect_vrrpd(&a.daemon)?;
    let reply = c
        .request(Cmd::Restore {
            instances: a.instances.clone(),
            all: a.all,
        })
        .map_err(CmdError::client)?;
    report(&reply.changed.unwrap_or_default(), "restored", out);
    Ok(Exit::Ok)
}
