//! Will this host's firewall let VRRP in? Backends (nftables, iptables, firewalld) parse into
//! one neutral rule model (`model`); one evaluator (`eval`) walks a synthetic VRRP packet
//! (`probe`) through the hooks on its path and names the rule that decided; `check` turns
//! instances into packets and outcomes into verdicts with the fix for the backend in use.

pub mod advice;
pub mod check;
pub mod collect;
pub mod eval;
pub mod firewalld;
pub mod iptables;
pub mod model;
pub mod nft;
pub mod probe;
pub mod verdict;

/// Why a rule set could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("{0}")]
    Parse(String),
    #[error("{0}")]
    Read(String),
}
