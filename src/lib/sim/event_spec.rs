//! The text form of a scheduled event, as `vrrpctl simulate-failover --event` takes it:
//! `KIND[:ARGS]@TIME`, e.g. `kill:node1@5s`, `stop:node1@2.5s`, `start:node1@20s`,
//! `partition:node1,node2/node3@3s` (groups split by `/`; unlisted nodes form one more group),
//! `heal@10s`, `link-down:node1[:eth0]@4s`, `link-up:node1[:eth0]@6s`, `block-vrrp:node2@0s`, `unblock-vrrp:node2@8s`, `priority:node1=50@4s` or
//! `priority:node1/VI_1=50@4s`, `fault:node1[/VI_1]@4s`, `fault-clear:node1[/VI_1]@6s`,
//! `demote:node1[/VI_1]@4s`, `restore:node1[/VI_1]@8s`, and a tracker's report
//! `tracker:node1:script:chk_dns=down@4s` (kind script, process, file or interface; state up,
//! down, unknown or a track_file's value).
//! Times take `ms`, `s` or `m` (decimals allowed); a bare number is seconds.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use super::Event;
use crate::node::{TrackerId, TrackerKind, TrackerState};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    #[error("event `{0}` has no time: write KIND:ARGS@TIME, e.g. kill:node1@5s")]
    MissingTime(String),
    #[error("`{0}` is not a duration (write e.g. 500ms, 5s, 1.5s or 2m)")]
    BadDuration(String),
    #[error("unknown event kind `{0}` (kill, stop, start, partition, heal, link-down, link-up, block-vrrp, unblock-vrrp, priority, fault, fault-clear, demote, restore, tracker)")]
    UnknownKind(String),
    #[error("event `{0}` needs a node name")]
    MissingNode(String),
    #[error("`{0}`: write priority:NODE[/INSTANCE]=PRIORITY with a priority of 1..255")]
    BadPriority(String),
    #[error("`{0}`: write tracker:NODE:KIND:NAME=STATE (KIND script, process, file or interface; STATE up, down, unknown or a number)")]
    BadTracker(String),
}

/// An event with its time, parsed from or printed as its text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub at: Duration,
    pub event: Event,
}

impl std::str::FromStr for EventSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<EventSpec, SpecError> {
        let s = s.trim();
        let (head, time) = s
            .rsplit_once('@')
            .ok_or_else(|| SpecError::MissingTime(s.to_string()))?;
        let at = parse_duration(time)?;
        let (kind, args) = head.split_once(':').unwrap_or((head, ""));
        let args = args.trim();
        let node = || -> Result<String, SpecError> {
            if args.is_empty() {
                Err(SpecError::MissingNode(s.to_string()))
            } else {
                Ok(args.to_string())
            }
        };
        // NODE or NODE/INSTANCE.
        let target = || -> Result<(String, Option<String>), SpecError> {
            let n = node()?;
            Ok(match n.split_once('/') {
                Some((n, i)) => (n.to_string(), Some(i.to_string())),
                None => (n, None),
            })
        };
        let event = match kind.trim() {
            "kill" => Event::Kill { node: node()? },
            "stop" => Event::Stop { node: node()? },
            "start" => Event::Start { node: node()? },
            "block-vrrp" => Event::BlockVrrp { node: node()? },
            "unblock-vrrp" => Event::UnblockVrrp { node: node()? },
            "heal" => Event::Heal,
            "link-down" | "link-up" => {
                let n = node()?;
                let (node, iface) = match n.split_once(':') {
                    Some((n, i)) => (n.to_string(), Some(i.to_string()).filter(|i| !i.is_empty())),
                    None => (n, None),
                };
                if kind.trim() == "link-down" {
                    Event::LinkDown { node, iface }
                } else {
                    Event::LinkUp { node, iface }
                }
            }
            "partition" => Event::Partition {
                groups: node()?
                    .split('/')
                    .map(|g| {
                        g.split(',')
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .collect(),
            },
            "priority" => {
                let (who, prio) = args
                    .split_once('=')
                    .ok_or_else(|| SpecError::BadPriority(s.to_string()))?;
                let priority = prio
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| SpecError::BadPriority(s.to_string()))?;
                let (node, instance) = match who.trim().split_once('/') {
                    Some((n, i)) => (n.to_string(), Some(i.to_string())),
                    None => (who.trim().to_string(), None),
                };
                if node.is_empty() {
                    return Err(SpecError::MissingNode(s.to_string()));
                }
                Event::SetPriority {
                    node,
                    instance,
                    priority,
                }
            }
            "fault" => {
                let (node, instance) = target()?;
                Event::Fault {
                    node,
                    instance,
                    reason: "simulated fault".to_string(),
                }
            }
            "fault-clear" => {
                let (node, instance) = target()?;
                Event::FaultCleared { node, instance }
            }
            "demote" => {
                let (node, instance) = target()?;
                Event::Demote { node, instance }
            }
            "restore" => {
                let (node, instance) = target()?;
                Event::Restore { node, instance }
            }
            "tracker" => parse_tracker(args).ok_or_else(|| SpecError::BadTracker(s.to_string()))?,
            other => return Err(SpecError::UnknownKind(other.to_string())),
        };
        Ok(EventSpec { at, event })
    }
}

impl fmt::Display for EventSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = |n: &str, i: &Option<String>| match i {
            Some(i) => format!("{n}/{i}"),
            None => n.to_string(),
        };
        match &self.event {
            Event::Kill { node } => write!(f, "kill:{node}")?,
            Event::Stop { node } => write!(f, "stop:{node}")?,
            Event::Start { node } => write!(f, "start:{node}")?,
            Event::BlockVrrp { node } => write!(f, "block-vrrp:{node}")?,
            Event::UnblockVrrp { node } => write!(f, "unblock-vrrp:{node}")?,
            Event::Heal => f.write_str("heal")?,
            Event::LinkDown { node, iface } | Event::LinkUp { node, iface } => {
                let kind = if matches!(self.event, Event::LinkDown { .. }) {
                    "link-down"
                } else {
                    "link-up"
                };
                match iface {
                    Some(i) => write!(f, "{kind}:{node}:{i}")?,
                    None => write!(f, "{kind}:{node}")?,
                }
            }
            Event::Partition { groups } => {
                let g: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
                write!(f, "partition:{}", g.join("/"))?
            }
            Event::SetPriority {
                node,
                instance,
                priority,
            } => write!(f, "priority:{}={priority}", target(node, instance))?,
            Event::Fault { node, instance, .. } => write!(f, "fault:{}", target(node, instance))?,
            Event::FaultCleared { node, instance } => {
                write!(f, "fault-clear:{}", target(node, instance))?
            }
            Event::Demote { node, instance } => write!(f, "demote:{}", target(node, instance))?,
            Event::Restore { node, instance } => write!(f, "restore:{}", target(node, instance))?,
            Event::Tracker {
                node,
                tracker,
                state,
            } => {
                let state = match state {
                    TrackerState::Value(v) => v.to_string(),
                    s => s.to_string(),
                };
                write!(
                    f,
                    "tracker:{node}:{}:{}={state}",
                    kind_word(tracker.kind),
                    tracker.name
                )?
            }
        }
        write!(f, "@{}ms", self.at.as_millis())
    }
}

const KINDS: [(&str, TrackerKind); 4] = [
    ("script", TrackerKind::Script),
    ("process", TrackerKind::Process),
    ("file", TrackerKind::File),
    ("interface", TrackerKind::Interface),
];

fn kind_word(kind: TrackerKind) -> &'static str {
    KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("script", |(w, _)| w)
}

/// `NODE:KIND:NAME=STATE`.
fn parse_tracker(args: &str) -> Option<Event> {
    let (head, state) = args.rsplit_once('=')?;
    let mut parts = head.splitn(3, ':');
    let (node, kind, name) = (parts.next()?, parts.next()?, parts.next()?);
    let kind = KINDS.iter().find(|(w, _)| *w == kind)?.1;
    let state = match state.trim() {
        "up" => TrackerState::Up,
        "down" => TrackerState::Down,
        "unknown" => TrackerState::Unknown,
        v => TrackerState::Value(v.parse().ok()?),
    };
    (!node.is_empty() && !name.is_empty()).then(|| Event::Tracker {
        node: node.to_string(),
        tracker: TrackerId::new(kind, name),
        state,
    })
}

/// `500ms`, `5s`, `1.5s`, `2m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, SpecError> {
    let t = s.trim();
    let bad = || SpecError::BadDuration(s.to_string());
    let (num, unit_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (t, 1_000.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    let ms = v * unit_ms;
    // Ten years is the limit: beyond that a typo, not a scenario.
    if !ms.is_finite() || !(0.0..=3.2e11).contains(&ms) {
        return Err(bad());
    }
    Ok(Duration::from_micros((ms * 1_000.0).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<EventSpec, SpecError> {
        s.parse()
    }

    #[test]
    fn parses_every_kind_and_prints_it_back() {
        for s in [
            "kill:node1@5000ms",
            "stop:node1@2500ms",
            "start:n2@20000ms",
            "block-vrrp:n2@0ms",
            "unblock-vrrp:n2@8000ms",
            "heal@10000ms",
            "partition:a,b/c@3000ms",
            "link-down:a:eth0@1000ms",
            "link-up:a@2000ms",
            "priority:a=50@4000ms",
            "priority:a/VI_1=50@4000ms",
            "fault:a/VI_1@1000ms",
            "fault-clear:a@1500ms",
            "demote:a@1000ms",
            "restore:a/VI_1@2000ms",
            "tracker:a:script:chk=down@3000ms",
            "tracker:a:file:f=-3@3000ms",
            "tracker:a:interface:eth1=up@3000ms",
        ] {
            let e = p(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(e.to_string(), s);
        }
        assert_eq!(
            p("partition:node1,node2@3s").map(|e| e.event),
            Ok(Event::Partition {
                groups: vec![vec!["node1".into(), "node2".into()]]
            })
        );
        assert_eq!(
            p("kill:n1@1.5s").map(|e| e.at),
            Ok(Duration::from_millis(1_500))
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("0.01s"), Ok(Duration::from_millis(10)));
        for bad in ["", "s", "-1s", "1h", "NaNs", "1e300s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(matches!(p("kill:n1"), Err(SpecError::MissingTime(_))));
        assert!(matches!(p("kill@1s"), Err(SpecError::MissingNode(_))));
        assert!(matches!(p("explode:n1@1s"), Err(SpecError::UnknownKind(_))));
        assert!(matches!(
            p("priority:n1@1s"),
            Err(SpecError::BadPriority(_))
        ));
        assert!(matches!(
            p("priority:n1=0@1s"),
            Err(SpecError::BadPriority(_))
        ));
        assert!(matches!(
            p("priority:n1=300@1s"),
            Err(SpecError::BadPriority(_))
        ));
        assert!(matches!(p("kill:n1@soon"), Err(SpecError::BadDuration(_))));
        for bad in [
            "tracker:n1:chk=down@1s",
            "tracker:n1:disk:chk=down@1s",
            "tracker:n1:script:chk=sideways@1s",
        ] {
            assert!(matches!(p(bad), Err(SpecError::BadTracker(_))), "{bad}");
        }
    }
}
