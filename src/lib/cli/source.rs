//! Where `status` and `dump-stats` get their snapshot: vrrpd's control socket, or, on a node
//! where no vrrpd listens but keepalived runs, keepalived's own JSON dump.

use std::path::PathBuf;

use crate::control::{Client, ClientError, Cmd, InstanceSnapshot, NodeStats};

use super::keepalived_source;
use super::{CmdError, DaemonArgs};

/// The daemon that answered.
#[derive(Debug, Clone)]
pub enum Source {
    Vrrpd {
        socket: PathBuf,
    },
    /// A daemon that answered keepalived's dump signals: keepalived, or a vrrpd whose control
    /// socket is not where we looked (`daemon` says which, from /proc/PID/comm).
    Keepalived {
        daemon: &'static str,
        pid: i32,
        json: PathBuf,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Vrrpd { socket } => write!(f, "vrrpd ({})", socket.display()),
            Source::Keepalived { daemon, pid, json } => {
                write!(f, "{daemon} (pid {pid}, {})", json.display())
            }
        }
    }
}

impl CmdError {
    pub fn client(e: ClientError) -> CmdError {
        CmdError::usage(e.to_string())
    }
}

/// Connect to vrrpd; `Ok(None)` when nothing listens on the socket.
pub fn connect(d: &DaemonArgs) -> Result<Option<Client>, CmdError> {
    match Client::connect(&d.socket) {
        Ok(c) => Ok(Some(c)),
        Err(ClientError::NotRunning(_)) => Ok(None),
        Err(e) => Err(CmdError::client(e)),
    }
}

fn unknown(names: &[String], snap: &[InstanceSnapshot]) -> Result<(), CmdError> {
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !snap.iter().any(|i| &i.name == *n))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CmdError::usage(format!(
            "no vrrp_instance named {}",
            missing.join(", ")
        )))
    }
}

/// The instances named (all when `names` is empty) from whichever daemon runs here.
pub fn fetch(
    d: &DaemonArgs,
    names: &[String],
) -> Result<(Source, Vec<InstanceSnapshot>), CmdError> {
    fetch_with_node(d, names).map(|(src, snap, _)| (src, snap))
}

/// As [`fetch`], with vrrpd's node-wide counters (None from keepalived, which has none).
pub fn fetch_with_node(
    d: &DaemonArgs,
    names: &[String],
) -> Result<(Source, Vec<InstanceSnapshot>, Option<NodeStats>), CmdError> {
    if let Some(mut c) = connect(d)? {
        let reply = c
            .request(Cmd::Status {
                instances: names.to_vec(),
            })
            .map_err(CmdError::client)?;
        let snap = reply.instances.unwrap_or_default();
        return Ok((
            Source::Vrrpd {
                socket: d.socket.clone(),
            },
            snap,
            reply.node.map(|n| *n),
        ));
    }
    match keepalived_source::fetch(&d.keepalived_pid)? {
        Some((daemon, pid, json, snap)) => {
            unknown(names, &snap)?;
            let snap = snap.into_iter().filter(|i| i.selected(names)).collect();
            Ok((Source::Keepalived { daemon, pid, json }, snap, None))
        }
        None => Err(not_running(d)),
    }
}

/// "vrrpd is not running (no socket at PATH)", and why keepalived could not stand in.
pub fn not_running(d: &DaemonArgs) -> CmdError {
    CmdError::usage(format!(
        "{}; no keepalived either (no live pid in {})",
        ClientError::NotRunning(d.socket.clone()),
        d.keepalived_pid.display()
    ))
}
