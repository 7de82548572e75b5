//! A scenario: the nodes of one cluster (loaded keepalived.conf files), a list of timed steps
//! and the LAN's properties, run to a fixed end or until the cluster is quiet. This is what
//! `vrrpctl simulate-failover` runs, and the format of the conformance scenarios under
//! `tests/scenarios/NAME/`:
//!
//! - `*.conf`: one keepalived.conf per node; a node is named by its router_id, else the file stem.
//! - `events`: one step a line in the text form of [`Step`] (`crash:node1@5s`,
//!   `script-fail:node1:chk_dns@10s`, ...; `#` starts a comment), and option lines:
//!   `until 40s`, `loss 5` (percent), `delay 2ms`, `seed 7`, `address NODE IP`.
//! - `expected`: the golden output ([`Outcome::golden`]), rewritten when `UPDATE_SCENARIOS=1`.
//!
//! Tracker steps (script fail/ok) become the reports the daemon's tracker workers would make
//! (`trackers`: a script's runs through the daemon's rise/fall counter), which the engine hands
//! to the node layer's `set_tracker`: weights and FAULT are the daemon's own rules. A link step
//! is the engine's link event: the node layer faults the instances on that interface, moves
//! the weights of track_interface, and nothing crosses a down link.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use super::{
    parse_duration, trackers, Event, EventSpec, Link, NodeSpec, Report, Sim, SimError, SpecError,
};
use crate::config::{self, Loaded};
use crate::fsm::Time;

/// One node of a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioNode {
    pub name: String,
    pub loaded: Loaded,
    /// Its address on the simulated segment (the advert source unless the config names one).
    pub addr: IpAddr,
}

/// Something that happens at a time: a sim event, or a tracker step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Sim(Event),
    /// `script-fail:NODE:NAME@T` / `script-ok:...`: a vrrp_script (or track_process /
    /// track_file) starts failing / succeeding at T.
    Tracker {
        node: String,
        name: String,
        failed: bool,
    },
    /// `link-down:NODE[:IFACE]@T` / `link-up:...`: the interface (every interface when none
    /// is named) goes down / up.
    Link {
        node: String,
        iface: Option<String>,
        down: bool,
    },
}

/// A step with its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedStep {
    pub at: Duration,
    pub step: Step,
}

impl std::str::FromStr for TimedStep {
    type Err = SpecError;

    /// The sim's text events (see `event_spec`), `crash` as another word for `kill`, `|` as
    /// another partition group separator, and the tracker steps.
    fn from_str(s: &str) -> Result<TimedStep, SpecError> {
        let s = s.trim();
        let (head, time) = s
            .rsplit_once('@')
            .ok_or_else(|| SpecError::MissingTime(s.to_string()))?;
        let (kind, args) = head.split_once(':').unwrap_or((head, ""));
        let tracker = |failed| -> Result<Step, SpecError> {
            let (node, name) = args
                .split_once(':')
                .filter(|(n, t)| !n.is_empty() && !t.is_empty())
                .ok_or_else(|| SpecError::MissingNode(s.to_string()))?;
            Ok(Step::Tracker {
                node: node.to_string(),
                name: name.to_string(),
                failed,
            })
        };
        let link = |down| -> Result<Step, SpecError> {
            let (node, iface) = match args.split_once(':') {
                Some((n, i)) => (n, Some(i.to_string()).filter(|i| !i.is_empty())),
                None => (args, None),
            };
            if node.is_empty() {
                return Err(SpecError::MissingNode(s.to_string()));
            }
            Ok(Step::Link {
                node: node.to_string(),
                iface,
                down,
            })
        };
        let step = match kind.trim() {
            "script-fail" => tracker(true)?,
            "script-ok" => tracker(false)?,
            "link-down" => link(true)?,
            "link-up" => link(false)?,
            _ => {
                let kind = if kind.trim() == "crash" { "kill" } else { kind };
                // `partition:a,b|c` and `demote:NODE:INSTANCE` as the flags write them.
                let args = match kind.trim() {
                    "partition" => args.replace('|', "/"),
                    "demote" | "restore" => args.replacen(':', "/", 1),
                    _ => args.to_string(),
                };
                let text = if args.is_empty() {
                    format!("{kind}@{time}")
                } else {
                    format!("{kind}:{args}@{time}")
                };
                let e: EventSpec = text.parse()?;
                return Ok(TimedStep {
                    at: e.at,
                    step: Step::Sim(e.event),
                });
            }
        };
        Ok(TimedStep {
            at: parse_duration(time)?,
            step,
        })
    }
}

impl std::fmt::Display for TimedStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.step {
            Step::Sim(e) => {
                let spec = EventSpec {
                    at: self.at,
                    event: e.clone(),
                };
                spec.fmt(f)
            }
            Step::Tracker { node, name, failed } => {
                let k = if *failed { "script-fail" } else { "script-ok" };
                write!(f, "{k}:{node}:{name}@{}ms", self.at.as_millis())
            }
            Step::Link { node, iface, down } => {
                let k = if *down { "link-down" } else { "link-up" };
                match iface {
                    Some(i) => write!(f, "{k}:{node}:{i}@{}ms", self.at.as_millis()),
                    None => write!(f, "{k}:{node}@{}ms", self.at.as_millis()),
                }
            }
        }
    }
}

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("{0}")]
    Read(String),
    #[error("{file}:{line}: {source}")]
    Step {
        file: PathBuf,
        line: usize,
        #[source]
        source: SpecError,
    },
    #[error("{file}:{line}: {message}")]
    Option {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Sim(#[from] SimError),
    #[error("{0}")]
    Step2(#[from] SpecError),
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("node {node} has no tracker named {name} (vrrp_script, vrrp_track_process or vrrp_track_file tracked by one of its instances)")]
    UnknownTracker { node: String, name: String },
    #[error("node {node} has no instance on interface {iface}")]
    UnknownInterface { node: String, iface: String },
    #[error("{step}: node {node} runs keepalived, which has no demote/restore (they are vrrpd's control requests); simulate its maintenance with stop/start or a failing script instead")]
    KeepalivedHasNoDemote { node: String, step: String },
    #[error("two nodes are named {0} (router_id or file stem); give them different router_ids")]
    DuplicateName(String),
}

/// A cluster, its steps and its LAN.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub nodes: Vec<ScenarioNode>,
    pub steps: Vec<TimedStep>,
    /// Run exactly this long; None: until quiet.
    pub until: Option<Duration>,
    pub link: Link,
    pub seed: u64,
    /// Nodes that run keepalived rather than vrrpd (see [`Scenario::is_keepalived`]).
    pub keepalived: BTreeSet<String>,
}

/// Options read from an events file.
#[derive(Debug, Clone, Default)]
pub struct EventsFile {
    pub steps: Vec<TimedStep>,
    pub until: Option<Duration>,
    pub loss_pct: Option<f64>,
    pub delay: Option<Duration>,
    pub seed: Option<u64>,
    pub addresses: Vec<(String, IpAddr)>,
    /// `keepalived NODE...`: these nodes run keepalived.
    pub keepalived: Vec<String>,
}

impl EventsFile {
    pub fn parse(file: &Path, text: &str) -> Result<EventsFile, ScenarioError> {
        let mut out = EventsFile::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let opt_err = |message: String| ScenarioError::Option {
                file: file.to_path_buf(),
                line: n + 1,
                message,
            };
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or("");
            let rest: Vec<&str> = words.collect();
            match (first, rest.as_slice()) {
                ("until", [t]) => {
                    out.until = Some(parse_duration(t).map_err(|e| opt_err(e.to_string()))?)
                }
                ("delay", [t]) => {
                    out.delay = Some(parse_duration(t).map_err(|e| opt_err(e.to_string()))?)
                }
                ("loss", [p]) => {
                    let v: f64 = p
                        .trim_end_matches('%')
                        .parse()
                        .map_err(|_| opt_err(format!("`{p}` is not a percentage")))?;
                    out.loss_pct = Some(v);
                }
                ("seed", [v]) => {
                    out.seed = Some(
                        v.parse()
                            .map_err(|_| opt_err(format!("`{v}` is not a number")))?,
                    )
                }
                ("keepalived", names) if !names.is_empty() => {
                    out.keepalived.extend(names.iter().map(|n| n.to_string()))
                }
                ("address", [node, ip]) => {
                    let ip: IpAddr = ip
                        .parse()
                        .map_err(|_| opt_err(format!("`{ip}` is not an IP address")))?;
                    out.addresses.push((node.to_string(), ip));
                }
                _ => out
                    .steps
                    .push(line.parse().map_err(|e| ScenarioError::Step {
                        file: file.to_path_buf(),
                        line: n + 1,
                        source: e,
                    })?),
            }
        }
        Ok(out)
    }
}

/// A node's name: its router_id, else its file stem.
pub fn node_name(loaded: &Loaded) -> String {
    loaded.config.global.router_id.clone().unwrap_or_else(|| {
        loaded
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| loaded.path.display().to_string())
    })
}

/// Load node configs; a config with errors is refused with its first error.
pub fn load_nodes(
    paths: &[PathBuf],
    addresses: &[(String, IpAddr)],
) -> Result<Vec<ScenarioNode>, ScenarioError> {
    let mut loaded = Vec::new();
    for p in paths {
        let l = config::load(p).map_err(|e| ScenarioError::Read(e.to_string()))?;
        if let Some(d) = l.diagnostics.iter().find(|d| d.is_error()) {
            return Err(ScenarioError::Config {
                path: p.clone(),
                message: format!(
                    "line {}:{}: {} (run `vrrpctl lint {}`)",
                    d.span.line,
                    d.span.column,
                    d.message,
                    p.display()
                ),
            });
        }
        loaded.push(l);
    }
    nodes_from(loaded, addresses)
}

/// Name the nodes and give each an address: the one `addresses` names, else its first
/// instance's unicast_src_ip / mcast_src_ip, else the first free 192.0.2.N in file order.
pub fn nodes_from(
    loaded: Vec<Loaded>,
    addresses: &[(String, IpAddr)],
) -> Result<Vec<ScenarioNode>, ScenarioError> {
    let mut taken: BTreeSet<IpAddr> = BTreeSet::new();
    for l in &loaded {
        for i in &l.config.instances {
            taken.extend(i.unicast_src_ip);
            taken.extend(i.mcast_src_ip);
            taken.extend(i.unicast_peer.iter().map(|p| p.addr));
        }
    }
    taken.extend(addresses.iter().map(|(_, a)| *a));
    let mut next = 1u8;
    let mut out: Vec<ScenarioNode> = Vec::new();
    for l in loaded {
        let name = node_name(&l);
        if out.iter().any(|n| n.name == name) {
            return Err(ScenarioError::DuplicateName(name));
        }
        let own = addresses
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .or_else(|| {
                l.config
                    .instances
                    .iter()
                    .find_map(|i| i.unicast_src_ip.or(i.mcast_src_ip))
            });
        let addr = match own {
            Some(a) => a,
            None => loop {
                let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, next));
                next = next.saturating_add(1);
                if !taken.contains(&a) {
                    taken.insert(a);
                    break a;
                }
                if next == 255 {
                    break a;
                }
            },
        };
        out.push(ScenarioNode {
            name,
            loaded: l,
            addr,
        });
    }
    Ok(out)
}

impl Scenario {
    /// A scenario directory: its `*.conf` files (sorted) and its `events` file.
    pub fn from_dir(dir: &Path) -> Result<Scenario, ScenarioError> {
        let mut confs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ScenarioError::Read(format!("cannot read {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        confs.sort();
        let events = dir.join("events");
        let ev = match std::fs::read_to_string(&events) {
            Ok(t) => EventsFile::parse(&events, &t)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => EventsFile::default(),
            Err(e) => {
                return Err(ScenarioError::Read(format!(
                    "cannot read {}: {e}",
                    events.display()
                )))
            }
        };
        let nodes = load_nodes(&confs, &ev.addresses)?;
        Ok(Scenario::new(nodes, ev))
    }

    pub fn new(nodes: Vec<ScenarioNode>, ev: EventsFile) -> Scenario {
        let mut link = Link::default();
        if let Some(d) = ev.delay {
            link.delay = d;
        }
        if let Some(p) = ev.loss_pct {
            link.loss = p / 100.0;
        }
        Scenario {
            nodes,
            steps: ev.steps,
            until: ev.until,
            link,
            seed: ev.seed.unwrap_or(1),
            keepalived: ev.keepalived.into_iter().collect(),
        }
    }

    /// Whether `node` runs keepalived. The simulation runs the same node layer for both (vrrpd
    /// is keepalived's behaviour, measured); what differs is around it: a keepalived node has
    /// no `demote`/`restore` (they are vrrpd's control requests), and the keywords vrrpd reads
    /// but does not run yet are findings for a vrrpd node only (keepalived runs them; the
    /// simulation models them as keepalived does).
    pub fn is_keepalived(&self, node: &str) -> bool {
        self.keepalived.contains(node)
    }

    /// "keepalived" or "vrrpd", as `status --json` names a daemon.
    pub fn source(&self, node: &str) -> &'static str {
        if self.is_keepalived(node) {
            "keepalived"
        } else {
            "vrrpd"
        }
    }

    fn node(&self, name: &str) -> Result<&ScenarioNode, ScenarioError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ScenarioError::Sim(SimError::UnknownNode(name.to_string())))
    }

    /// The longest Master_Down_Interval plus preempt_delay of any instance: how long the
    /// cluster may take to react to anything.
    pub fn reaction_time(&self) -> Duration {
        self.nodes
            .iter()
            .flat_map(|n| n.loaded.config.instances.iter())
            .map(|i| {
                let adv = i.advert_int.max(Duration::from_millis(10));
                adv * i.down_timer_adverts.clamp(1, 100) + adv + i.preempt_delay
            })
            .max()
            .unwrap_or(Duration::from_secs(4))
    }

    /// Build the simulator with every step scheduled.
    pub fn build(&self) -> Result<Sim, ScenarioError> {
        let mut sim = Sim::new(self.seed);
        if !(0.0..=1.0).contains(&self.link.loss) {
            return Err(SimError::BadLoss(self.link.loss).into());
        }
        sim.set_default_link(self.link)?;
        for n in &self.nodes {
            sim.add_node(NodeSpec::from_config(&n.name, n.addr, &n.loaded.config)?)?;
        }
        for (at, e) in self.sim_events()? {
            sim.schedule(at, e)?;
        }
        Ok(sim)
    }

    /// The steps as the simulator's events: sim events as they are, links as the engine's link
    /// events (the node layer faults the instances on the link and moves track_interface
    /// weights), tracker steps as the reports of the daemon's tracker workers (`trackers`).
    pub fn sim_events(&self) -> Result<Vec<(Duration, Event)>, ScenarioError> {
        for name in &self.keepalived {
            self.node(name)?;
        }
        let mut out: Vec<trackers::Ordered> = Vec::new();
        for (k, s) in self.steps.iter().enumerate() {
            let order = 2 * (k + 1);
            match &s.step {
                Step::Sim(Event::Demote { node, .. } | Event::Restore { node, .. })
                    if self.is_keepalived(node) =>
                {
                    return Err(ScenarioError::KeepalivedHasNoDemote {
                        node: node.clone(),
                        step: s.to_string(),
                    });
                }
                Step::Sim(e) => out.push((s.at, order, e.clone())),
                Step::Tracker { node, name, .. } => {
                    if !trackers::is_tracked(&self.node(node)?.loaded.config, name) {
                        return Err(ScenarioError::UnknownTracker {
                            node: node.clone(),
                            name: name.clone(),
                        });
                    }
                }
                Step::Link { node, iface, down } => {
                    let n = self.node(node)?;
                    if let Some(i) = iface {
                        let known = n.loaded.config.instances.iter().any(|x| {
                            x.interface.as_deref() == Some(i)
                                || x.track_interface.iter().any(|t| &t.name == i)
                        }) || n
                            .loaded
                            .config
                            .sync_groups
                            .iter()
                            .any(|g| g.track_interface.iter().any(|t| &t.name == i));
                        if !known {
                            return Err(ScenarioError::UnknownInterface {
                                node: node.clone(),
                                iface: i.clone(),
                            });
                        }
                    }
                    let (node, iface) = (node.clone(), iface.clone());
                    let e = if *down {
                        Event::LinkDown { node, iface }
                    } else {
                        Event::LinkUp { node, iface }
                    };
                    out.push((s.at, order, e));
                }
            }
        }
        out.extend(trackers::reports(self));
        out.sort_by_key(|(t, o, _)| (*t, *o));
        Ok(out.into_iter().map(|(t, _, e)| (t, e)).collect())
    }

    /// Run it: to `until`, or until no transition happened for twice the reaction time after
    /// the last step (at most ten minutes past it; past that the cluster never converges).
    pub fn run(&self) -> Result<Run, ScenarioError> {
        let mut sim = self.build()?;
        if let Some(end) = self.until {
            sim.run_until(end);
            return Ok(Run {
                report: sim.report(),
                converged: None,
            });
        }
        let quiet = self.reaction_time() * 2;
        let last = self
            .steps
            .iter()
            .map(|s| s.at)
            .max()
            .unwrap_or(Duration::ZERO);
        let cap = last + Duration::from_secs(600);
        let mut end = last + quiet;
        loop {
            sim.run_until(end);
            let report = sim.report();
            let last_change = report
                .timeline
                .last()
                .map(|t| t.at - Time::ZERO)
                .unwrap_or(Duration::ZERO);
            if last_change + quiet <= end {
                return Ok(Run {
                    report,
                    converged: Some(true),
                });
            }
            if end >= cap || report.truncated {
                return Ok(Run {
                    report,
                    converged: Some(false),
                });
            }
            end = (last_change + quiet).min(cap);
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Run {
    pub report: Report,
    /// Some(false): still changing when the until-quiet run gave up; None: a fixed `until`.
    pub converged: Option<bool>,
}

/// The golden text of a run: every transition, then the final VIP owners and the findings'
/// codes. Times in milliseconds with three decimals (virtual time is exact).
pub fn golden(report: &Report, findings: &[super::Finding]) -> String {
    let mut s = String::new();
    for e in &report.timeline {
        let us = (e.at - Time::ZERO).as_micros();
        let _ = writeln!(
            s,
            "{}.{:03} {} {} {} -> {} ({})",
            us / 1000,
            us % 1000,
            e.node,
            e.instance,
            e.from,
            e.to,
            e.reason
        );
    }
    let mut last: BTreeMap<IpAddr, &Vec<String>> = BTreeMap::new();
    for o in &report.vip_owners {
        last.insert(o.vip, &o.owners);
    }
    for (vip, owners) in last {
        let who = if owners.is_empty() {
            "nobody".to_string()
        } else {
            owners.join(",")
        };
        let _ = writeln!(s, "final {vip} {who}");
    }
    for f in findings {
        let _ = writeln!(s, "finding {} {}", f.code, f.message);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> TimedStep {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn steps_parse_and_print_back() {
        for s in [
            "script-fail:n1:chk_dns@5000ms",
            "script-ok:n1:chk_dns@9000ms",
            "link-down:n1:eth0@1000ms",
            "link-up:n1@2000ms",
            "kill:n1@3000ms",
            "partition:a,b/c@1000ms",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("crash:n1@3s").to_string(), "kill:n1@3000ms");
        assert_eq!(
            p("partition:a,b|c@1s").to_string(),
            "partition:a,b/c@1000ms"
        );
        assert_eq!(p("demote:n1:VI_1@2s").to_string(), "demote:n1/VI_1@2000ms");
        assert_eq!(p("restore:n1@3s").to_string(), "restore:n1@3000ms");
        assert!("script-fail:n1@1s".parse::<TimedStep>().is_err());
        assert!("link-down@1s".parse::<TimedStep>().is_err());
    }
}
