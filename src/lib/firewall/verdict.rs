//! From evaluator outcomes to the verdict an operator reads: `allowed`, `blocked`,
//! `conditional` (accepted only as conntrack ESTABLISHED, only for some senders, or only until
//! firewalld reloads) or `unknown` (names what could not be evaluated).

use std::net::IpAddr;

use super::eval::{evaluate, Anchor, Outcome};
use super::model::{RuleRef, Ruleset};
use super::probe::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Unknown,
    Conditional,
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Blocked => "blocked",
            Verdict::Conditional => "conditional",
            Verdict::Unknown => "unknown",
        }
    }
}

/// One path to check: adverts from `source` to `destination` on `iface` (inbound), or from
/// this host's `source` to `destination` (outbound).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub direction: Direction,
    pub iface: String,
    pub family: IpFamily,
    pub source: Source,
    pub destination: IpAddr,
    /// unicast_peer: the peer's adverts become conntrack ESTABLISHED once we sent one.
    pub unicast: bool,
    pub l4proto: u8,
    pub local_prefixes: Vec<(IpAddr, u8)>,
}

impl Target {
    pub fn probe(&self, ct: CtState) -> Probe {
        Probe {
            direction: self.direction,
            family: self.family,
            iface: self.iface.clone(),
            saddr: self.source,
            daddr: self.destination,
            l4proto: self.l4proto,
            ct,
            local_prefixes: self.local_prefixes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub verdict: Verdict,
    /// One sentence: why.
    pub reason: String,
    /// The rule that decided (for `allowed`: the one that accepted, if any).
    pub decider: Option<RuleRef>,
    /// Where an accept rule must go to fix it.
    pub fix_at: Option<Anchor>,
    pub notes: Vec<String>,
}

/// Evaluate one target: the first advert (ct NEW), and for unicast inbound the adverts that
/// follow one of ours (ct ESTABLISHED).
pub fn assess(rs: &Ruleset, t: &Target) -> Finding {
    let fresh = evaluate(rs, &t.probe(CtState::New));
    let established = (t.unicast && t.direction == Direction::In)
        .then(|| evaluate(rs, &t.probe(CtState::Established)));
    from_outcomes(fresh, established)
}

fn from_outcomes(fresh: Outcome, established: Option<Outcome>) -> Finding {
    match fresh {
        Outcome::Accept { by, notes } => Finding {
            verdict: Verdict::Allowed,
            reason: match &by {
                Some(r) if !r.is_policy => format!("accepted by {r}"),
                Some(r) => format!(
                    "no rule on this path drops it; the chain policies accept (last: {})",
                    r.location()
                ),
                None => "no rule on this path filters it".into(),
            },
            decider: by,
            fix_at: None,
            notes,
        },
        Outcome::Drop { by, fix_at, notes } => match established {
            Some(Outcome::Accept { by: Some(acc), .. }) => Finding {
                verdict: Verdict::Conditional,
                reason: format!(
                    "accepted only as conntrack ESTABLISHED by {acc}, i.e. only after this host \
                     sent an advert to that peer; a fresh advert (after a restart, a conntrack \
                     flush or 600 s of silence) is dropped by {by}: healthy until then, split \
                     brain after"
                ),
                decider: Some(by),
                fix_at: Some(fix_at),
                notes,
            },
            _ => Finding {
                verdict: Verdict::Blocked,
                reason: format!("dropped by {by}"),
                decider: Some(by),
                fix_at: Some(fix_at),
                notes,
            },
        },
        Outcome::Split { accept, drop, why } => {
            let (decider, fix_at, mut notes) = match *drop {
                Outcome::Drop { by, fix_at, notes } => (Some(by), Some(fix_at), notes),
                _ => (None, None, Vec::new()),
            };
            let acc = match *accept {
                Outcome::Accept { by: Some(r), .. } => format!("; accepted for them by {r}"),
                _ => String::new(),
            };
            let dropped = decider
                .as_ref()
                .map(|d| format!(", the others are dropped by {d}"))
                .unwrap_or_default();
            notes.dedup();
            Finding {
                verdict: Verdict::Conditional,
                reason: format!("accepted only for some peers: {why}{acc}{dropped}"),
                decider,
                fix_at,
                notes,
            }
        }
        Outcome::Unknown { what, at } => Finding {
            verdict: Verdict::Unknown,
            reason: match &at {
                Some(r) => format!("cannot evaluate {what} in {r}"),
                None => format!("cannot evaluate {what}"),
            },
            decider: at,
            fix_at: None,
            notes: Vec::new(),
        },
    }
}
