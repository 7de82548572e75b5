//! Dynamic shell completion: the installed completion scripts (completions/, from
//! [`super::docs::completion`]) call `COMPLETE=SHELL vrrpctl -- ARGS...`, and clap_complete's
//! engine answers from the clap tree — hidden flags stay hidden, paths complete only where an
//! argument takes a path — with the value completers below for what only this host knows:
//! interface names, and the instance names of the running daemon (or of the config file).

use std::ffi::OsStr;
use std::path::Path;

use clap_complete::engine::CompletionCandidate;

/// Answer a completion request and exit, when the environment holds one (`COMPLETE=bash`).
/// Returns for a normal run.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(|| {
        <super::Cli as clap::CommandFactory>::command().version(crate::VERSION)
    })
    .complete();
}

fn matching(names: impl IntoIterator<Item = String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    let mut v: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()))
        .collect();
    v.sort();
    v.dedup();
    v.into_iter().map(CompletionCandidate::new).collect()
}

/// This host's network interfaces (from /sys/class/net, as `ip link` lists them).
pub fn interface_names() -> Vec<String> {
    let Ok(rd) = std::fs::read_dir("/sys/class/net") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// `-i IFACE` of firewall-check.
pub fn interfaces(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(interface_names(), current)
}

/// `-i IFACE` of sniff, which also takes `any`.
pub fn interfaces_or_any(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut names = interface_names();
    names.push("any".into());
    matching(names, current)
}

/// The vrrp_instance names of a config file (with its includes); empty when it cannot be read.
pub fn config_instance_names(path: &Path) -> Vec<String> {
    match crate::config::load(path) {
        Ok(l) => l.config.instances.iter().map(|i| i.name.clone()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The instance names of the vrrpd answering on `socket`; empty when none answers.
pub fn running_instance_names(socket: &Path) -> Vec<String> {
    use crate::control::client::Client;
    use crate::control::proto::Cmd;
    let Ok(mut c) = Client::connect(socket) else {
        return Vec::new();
    };
    match c.request(Cmd::Status { instances: vec![] }) {
        Ok(reply) => reply
            .instances
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.name)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Instance names for `status`, `dump-stats`, `demote`, `restore`: the running daemon's
/// (`VRRPD_SOCKET` or the default socket), else those of the config file (`VRRPD_CONFIG`, or
/// keepalived's default path).
pub fn instances(current: &OsStr) -> Vec<CompletionCandidate> {
    let socket = std::env::var_os("VRRPD_SOCKET")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::control::DEFAULT_SOCKET.into());
    let mut names = running_instance_names(&socket);
    if names.is_empty() {
        let conf = std::env::var_os("VRRPD_CONFIG")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| super::DEFAULT_CONFIG.into());
        names = config_instance_names(&conf);
    }
    matching(names, current)
}
