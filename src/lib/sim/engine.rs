//! The event loop: a priority queue of (virtual time, sequence) ordered happenings, the nodes
//! with their live `node::Node`s, and the LAN between them.
//!
//! The simulator drives each node the way the daemon does: one timer armed at the node's
//! `next_deadline()` (re-armed after every `handle`), `TimerExpired` when it is due, every
//! datagram as `Input::Datagram` (real encoded adverts, through the same decode and receive
//! checks), and the effects performed in order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::queue::EventQueue;
use super::report::{
    InstanceSummary, PacketStats, Report, SplitBrain, TimelineEntry, VipOwnership,
};
use super::{Event, Link, NodeSpec, SimError, XorShift64};
use crate::fsm::{State, Time};
use crate::node::{self, Effect, Family, FaultSource, Input, InstanceId, RxMeta};

/// A datagram on the virtual wire: the bytes the sender's node encoded, as the receiving
/// node's raw socket would hand them over.
#[derive(Debug, Clone)]
struct Packet {
    from_node: usize,
    /// The segment: nodes' interfaces of the same name are on one LAN. Shared with the
    /// other receivers' copies, as are the bytes (one allocation per advert, not per peer).
    ifname: Arc<str>,
    family: Family,
    src: IpAddr,
    dst: IpAddr,
    bytes: Arc<[u8]>,
}

#[derive(Debug)]
enum Happening {
    Scheduled(Event),
    Timer {
        node: usize,
    },
    /// One datagram reaching `to` at one instant: one happening per receiver, in node order,
    /// queued as one (the receivers of one send at one delay sit next to each other in the
    /// (time, sequence) order, so nothing can come between them).
    Deliver {
        to: Receivers,
        pkt: Packet,
    },
}

/// Node indices `base + b` for each bit `b` of `mask`.
#[derive(Debug, Clone, Copy)]
struct Receivers {
    base: usize,
    mask: u64,
}

impl Receivers {
    fn take_first(&mut self) -> Option<usize> {
        if self.mask == 0 {
            return None;
        }
        let b = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + b)
    }

    fn is_empty(&self) -> bool {
        self.mask == 0
    }
}

#[derive(Debug)]
struct Node {
    spec: NodeSpec,
    up: bool,
    block_vrrp: bool,
    /// Partition group; nodes hear each other only within one group.
    group: usize,
    /// The running node layer (rebuilt from `spec` at every start).
    live: node::Node,
    /// Instances whose VIPs are on this node now.
    owns: BTreeSet<InstanceId>,
    /// Interfaces whose link is down (kept across restarts: the cable stays unplugged).
    links_down: BTreeSet<String>,
    /// The deadline our "daemon" armed a timer for; a popped timer for another time is stale.
    armed: Option<Time>,
    /// Each instance's interface name as the packets it sends carry it (by `InstanceId`).
    ifnames: Vec<Option<Arc<str>>>,
}

#[derive(Debug)]
struct OpenSplit {
    start: Time,
    masters: Vec<String>,
}

/// A deterministic simulation of one LAN segment.
#[derive(Debug)]
pub struct Sim {
    now: Time,
    queue: EventQueue<Happening>,
    nodes: Vec<Node>,
    default_link: Link,
    links: HashMap<(usize, usize), Link>,
    rng: XorShift64,
    timeline: Vec<TimelineEntry>,
    vip_owners: Vec<VipOwnership>,
    last_owners: BTreeMap<IpAddr, Vec<String>>,
    /// Keyed by the virtual router: (interface, IPv6, VRID).
    open_splits: BTreeMap<RouterKey, OpenSplit>,
    split_brains: Vec<SplitBrain>,
    packets: PacketStats,
    /// Something that may change VIP owners or masters happened since the last check.
    dirty: bool,
    scratch: Vec<Effect>,
    /// The receivers of one send grouped by link delay (kept to reuse its allocation).
    scratch_groups: Vec<(Duration, Receivers)>,
    /// Datagrams the receiving node dropped or rejected, counted while performing effects.
    scratch_dropped: u64,
    /// Happenings processed, and the most allowed (a guard against a runaway advert storm).
    processed: u64,
    budget: u64,
    truncated: bool,
}

impl Sim {
    /// An empty LAN; `seed` drives packet loss.
    pub fn new(seed: u64) -> Sim {
        Sim {
            now: Time::ZERO,
            queue: EventQueue::default(),
            nodes: Vec::new(),
            default_link: Link::default(),
            links: HashMap::new(),
            rng: XorShift64::new(seed),
            timeline: Vec::new(),
            vip_owners: Vec::new(),
            last_owners: BTreeMap::new(),
            open_splits: BTreeMap::new(),
            split_brains: Vec::new(),
            packets: PacketStats::default(),
            dirty: false,
            scratch: Vec::new(),
            scratch_groups: Vec::new(),
            scratch_dropped: 0,
            processed: 0,
            budget: DEFAULT_BUDGET,
            truncated: false,
        }
    }

    /// Stop a run after this many happenings (packets, timers, events); the report then says
    /// `truncated`. The default, ten million, is far beyond any sane scenario.
    pub fn set_event_budget(&mut self, budget: u64) {
        self.budget = budget;
    }

    pub fn now(&self) -> Time {
        self.now
    }

    /// Add a node that starts at the current time.
    pub fn add_node(&mut self, spec: NodeSpec) -> Result<(), SimError> {
        let name = spec.name.clone();
        self.add_node_down(spec)?;
        self.push(self.now, Happening::Scheduled(Event::Start { node: name }));
        Ok(())
    }

    /// Add a node that stays down until an `Event::Start`.
    pub fn add_node_down(&mut self, spec: NodeSpec) -> Result<(), SimError> {
        if self.nodes.iter().any(|n| n.spec.name == spec.name) {
            return Err(SimError::DuplicateNode(spec.name));
        }
        for i in &spec.instances {
            for vip in &i.vips {
                self.last_owners.entry(vip.addr).or_default();
            }
        }
        self.nodes.push(Node {
            spec,
            up: false,
            block_vrrp: false,
            group: 0,
            live: node::Node::default(),
            owns: BTreeSet::new(),
            links_down: BTreeSet::new(),
            armed: None,
            ifnames: Vec::new(),
        });
        Ok(())
    }

    /// The link used between nodes without a `set_link`.
    pub fn set_default_link(&mut self, link: Link) -> Result<(), SimError> {
        check_loss(link.loss)?;
        self.default_link = link;
        Ok(())
    }

    /// The link from `from` to `to` (one direction).
    pub fn set_link(&mut self, from: &str, to: &str, link: Link) -> Result<(), SimError> {
        check_loss(link.loss)?;
        let a = self.node_index(from)?;
        let b = self.node_index(to)?;
        self.links.insert((a, b), link);
        Ok(())
    }

    /// Schedule `event` at `at` after the origin of virtual time.
    pub fn schedule(&mut self, at: Duration, event: Event) -> Result<(), SimError> {
        self.validate(&event)?;
        self.push(Time::ZERO + at, Happening::Scheduled(event));
        Ok(())
    }

    /// A live instance, for inspection between `run_until` calls.
    pub fn instance(&self, node: &str, instance: &str) -> Option<&crate::fsm::Instance> {
        let n = self.nodes.iter().find(|n| n.spec.name == node)?;
        let id = n.live.by_name(instance)?;
        n.live.get(id).map(|i| &i.fsm)
    }

    /// Process everything due at or before `end`, then stop the clock at `end`.
    pub fn run_until(&mut self, end: Duration) {
        let end = Time::ZERO + end;
        while self.queue.peek_at().is_some_and(|at| at <= end) {
            if self.processed >= self.budget {
                self.truncated = true;
                return;
            }
            self.processed += 1;
            let Some((at, seq, what)) = self.queue.pop() else {
                break;
            };
            self.now = at;
            match what {
                Happening::Scheduled(ev) => self.apply_event(ev),
                Happening::Timer { node } => self.fire_timer(node),
                Happening::Deliver { mut to, pkt } => {
                    // Each receiver is one happening, exactly as if queued alone.
                    while let Some(m) = to.take_first() {
                        self.deliver(m, &pkt);
                        if to.is_empty() {
                            break;
                        }
                        if self.dirty {
                            self.dirty = false;
                            self.observe();
                        }
                        if self.processed >= self.budget {
                            self.truncated = true;
                            self.queue.requeue(at, seq, Happening::Deliver { to, pkt });
                            return;
                        }
                        self.processed += 1;
                    }
                }
            }
            if self.dirty {
                self.dirty = false;
                self.observe();
            }
        }
        self.now = self.now.max(end);
    }

    /// Run to `end` and report.
    pub fn run(mut self, end: Duration) -> Report {
        self.run_until(end);
        self.report()
    }

    /// What happened so far; open split brains end at the current time, marked ongoing.
    pub fn report(&self) -> Report {
        let mut split_brains = self.split_brains.clone();
        for ((interface, _, vrid), open) in &self.open_splits {
            split_brains.push(SplitBrain {
                vrid: *vrid,
                interface: interface.clone(),
                start: open.start,
                end: self.now,
                ongoing: true,
                masters: open.masters.clone(),
            });
        }
        split_brains.sort_by_key(|s| (s.start, s.vrid));
        let instances = self
            .nodes
            .iter()
            .flat_map(|n| {
                n.spec.instances.iter().enumerate().map(move |(i, si)| {
                    // Ids are given in config order at every start.
                    let l = n.live.get(InstanceId(i));
                    InstanceSummary {
                        node: n.spec.name.clone(),
                        instance: si.name.clone(),
                        vrid: si.vrid(),
                        // A killed node's machine still believes what it believed; it is down.
                        state: l.filter(|_| n.up).map_or(State::Stop, |l| l.fsm.state()),
                        node_up: n.up,
                        effective_priority: l
                            .map_or(si.fsm.priority, |l| l.fsm.effective_priority()),
                        owns_vips: n.owns.contains(&InstanceId(i)),
                        master_ip: l.and_then(|l| l.fsm.master_addr()),
                        counters: l.map(|l| *l.fsm.counters()).unwrap_or_default(),
                    }
                })
            })
            .collect();
        Report {
            end: self.now,
            timeline: self.timeline.clone(),
            vip_owners: self.vip_owners.clone(),
            split_brains,
            instances,
            packets: self.packets,
            truncated: self.truncated,
        }
    }

    // ---- plumbing ----

    fn push(&mut self, at: Time, what: Happening) {
        self.queue.push(at, what);
    }

    fn node_index(&self, name: &str) -> Result<usize, SimError> {
        self.nodes
            .iter()
            .position(|n| n.spec.name == name)
            .ok_or_else(|| SimError::UnknownNode(name.to_string()))
    }

    fn validate(&self, ev: &Event) -> Result<(), SimError> {
        let check_inst = |node: &str, inst: &Option<String>| -> Result<(), SimError> {
            let n = &self.nodes[self.node_index(node)?];
            match inst {
                Some(i) if !n.spec.instances.iter().any(|s| &s.name == i) => {
                    Err(SimError::UnknownInstance {
                        node: node.to_string(),
                        instance: i.clone(),
                    })
                }
                _ => Ok(()),
            }
        };
        match ev {
            Event::Start { node }
            | Event::Kill { node }
            | Event::Stop { node }
            | Event::BlockVrrp { node }
            | Event::UnblockVrrp { node } => self.node_index(node).map(|_| ()),
            Event::SetPriority { node, instance, .. }
            | Event::Fault { node, instance, .. }
            | Event::FaultCleared { node, instance }
            | Event::Demote { node, instance }
            | Event::Restore { node, instance } => check_inst(node, instance),
            Event::Tracker { node, .. } => self.node_index(node).map(|_| ()),
            Event::Partition { groups } => groups
                .iter()
                .flatten()
                .try_for_each(|n| self.node_index(n).map(|_| ())),
            Event::Heal => Ok(()),
            Event::LinkDown { node, iface } | Event::LinkUp { node, iface } => {
                let n = &self.nodes[self.node_index(node)?];
                match iface {
                    Some(i) if !n.spec.interfaces().any(|s| s == i) => {
                        Err(SimError::UnknownInterface {
                            node: node.clone(),
                            iface: i.clone(),
                        })
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Instances of `node` selected by name (None: all); none while the node is down, as its
    /// trackers are not running.
    fn select(&self, node: usize, instance: &Option<String>) -> Vec<InstanceId> {
        if !self.nodes[node].up {
            return Vec::new();
        }
        self.nodes[node]
            .live
            .instances()
            .filter(|(_, l)| instance.as_ref().is_none_or(|n| &l.spec.name == n))
            .map(|(id, _)| id)
            .collect()
    }

    fn apply_event(&mut self, ev: Event) {
        // Names were validated by `schedule`; an unknown one here is skipped, not a panic.
        let idx = |s: &Sim, n: &str| s.node_index(n).ok();
        match ev {
            Event::Start { node } => {
                if let Some(n) = idx(self, &node) {
                    self.start_node(n);
                }
            }
            Event::Kill { node } => {
                if let Some(n) = idx(self, &node) {
                    self.kill_node(n);
                }
            }
            Event::Stop { node } => {
                if let Some(n) = idx(self, &node) {
                    if self.nodes[n].up {
                        self.input(n, Input::Shutdown);
                        let node = &mut self.nodes[n];
                        node.up = false;
                        node.armed = None;
                    }
                }
            }
            Event::SetPriority {
                node,
                instance,
                priority,
            } => {
                if let Some(n) = idx(self, &node) {
                    for id in self.select(n, &instance) {
                        self.with_node(n, |live, now, out| {
                            live.set_effective_priority(now, id, priority, out)
                        });
                    }
                }
            }
            Event::Fault {
                node,
                instance,
                reason,
            } => {
                if let Some(n) = idx(self, &node) {
                    for id in self.select(n, &instance) {
                        let r = Some(reason.clone());
                        self.with_node(n, |live, now, out| {
                            live.set_fault(now, id, FaultSource::External, r, out)
                        });
                    }
                }
            }
            Event::FaultCleared { node, instance } => {
                if let Some(n) = idx(self, &node) {
                    for id in self.select(n, &instance) {
                        self.with_node(n, |live, now, out| {
                            live.set_fault(now, id, FaultSource::External, None, out)
                        });
                    }
                }
            }
            Event::Tracker {
                node,
                tracker,
                state,
            } => {
                if let Some(n) = idx(self, &node).filter(|&n| self.nodes[n].up) {
                    self.with_node(n, |live, now, out| {
                        live.set_tracker(now, &tracker, state, out)
                    });
                }
            }
            Event::Demote { node, instance } => {
                if let Some(n) = idx(self, &node) {
                    for id in self.select(n, &instance) {
                        self.with_node(n, |live, now, out| {
                            live.demote(now, id, "simulated demote".to_string(), out)
                        });
                    }
                }
            }
            Event::Restore { node, instance } => {
                if let Some(n) = idx(self, &node) {
                    for id in self.select(n, &instance) {
                        self.with_node(n, |live, now, out| live.restore(now, id, out));
                    }
                }
            }
            Event::Partition { groups } => {
                // Unlisted nodes share group 0; listed groups are 1, 2, ...
                for n in &mut self.nodes {
                    n.group = 0;
                }
                for (g, members) in groups.iter().enumerate() {
                    for m in members {
                        if let Some(n) = idx(self, m) {
                            self.nodes[n].group = g + 1;
                        }
                    }
                }
            }
            Event::Heal => {
                for n in &mut self.nodes {
                    n.group = 0;
                }
            }
            Event::LinkDown { node, iface } => {
                if let Some(n) = idx(self, &node) {
                    self.set_link_state(n, iface, false);
                }
            }
            Event::LinkUp { node, iface } => {
                if let Some(n) = idx(self, &node) {
                    self.set_link_state(n, iface, true);
                }
            }
            Event::BlockVrrp { node } => {
                if let Some(n) = idx(self, &node) {
                    self.nodes[n].block_vrrp = true;
                }
            }
            Event::UnblockVrrp { node } => {
                if let Some(n) = idx(self, &node) {
                    self.nodes[n].block_vrrp = false;
                }
            }
        }
    }

    fn start_node(&mut self, n: usize) {
        if self.nodes[n].up {
            return;
        }
        let node = &mut self.nodes[n];
        node.up = true;
        node.owns.clear();
        node.armed = None;
        node.live = node::Node::new(node.spec.instances.clone(), &node.spec.host());
        // The host reports the links that are still down before the instances start.
        let down: Vec<String> = node.links_down.iter().cloned().collect();
        let info = node.spec.host().info(false);
        for ifname in &down {
            let info = Some(info.clone());
            self.input(n, Input::Interface { ifname, info });
        }
        self.input(n, Input::Startup);
    }

    /// Take `iface` (every interface the node's instances use or track when None) down or up,
    /// and tell a running node layer as the host's link watch would.
    fn set_link_state(&mut self, n: usize, iface: Option<String>, up: bool) {
        let node = &mut self.nodes[n];
        let names: Vec<String> = match iface {
            Some(i) => vec![i],
            None => node.spec.interfaces().map(str::to_string).collect(),
        };
        let mut changed = Vec::new();
        for name in names {
            let was_up = !node.links_down.contains(&name);
            if was_up != up {
                if up {
                    node.links_down.remove(&name);
                } else {
                    node.links_down.insert(name.clone());
                }
                changed.push(name);
            }
        }
        if !self.nodes[n].up {
            return;
        }
        let info = self.nodes[n].spec.host().info(up);
        for ifname in &changed {
            let info = Some(info.clone());
            self.input(n, Input::Interface { ifname, info });
        }
    }

    fn kill_node(&mut self, n: usize) {
        if !self.nodes[n].up {
            return;
        }
        let now = self.now;
        let node = &mut self.nodes[n];
        node.up = false;
        node.armed = None;
        node.owns.clear();
        for (_, l) in node.live.instances() {
            let from = l.fsm.state();
            if from != State::Stop {
                self.timeline.push(TimelineEntry {
                    at: now,
                    node: node.spec.name.clone(),
                    instance: l.spec.name.clone(),
                    vrid: l.spec.vrid(),
                    from,
                    to: State::Stop,
                    reason: "node killed".to_string(),
                });
            }
        }
        self.dirty = true;
    }

    fn fire_timer(&mut self, n: usize) {
        let now = self.now;
        if self.nodes[n].up && self.nodes[n].armed == Some(now) {
            self.nodes[n].armed = None;
            self.input(n, Input::TimerExpired);
        }
    }

    fn deliver(&mut self, n: usize, pkt: &Packet) {
        let node = &self.nodes[n];
        if !node.up {
            self.packets.dropped += 1;
            return;
        }
        if node.group != self.nodes[pkt.from_node].group {
            self.packets.partitioned += 1;
            return;
        }
        if node.block_vrrp {
            self.packets.firewalled += 1;
            return;
        }
        if node.links_down.contains(&*pkt.ifname) {
            self.packets.link_down += 1;
            return;
        }
        let meta = RxMeta {
            len: pkt.bytes.len(),
            truncated: false,
            src: pkt.src,
            v6_dst: match pkt.dst {
                IpAddr::V6(d) => Some(d),
                IpAddr::V4(_) => None,
            },
            v6_hop_limit: (pkt.family == Family::V6).then_some(crate::wire::vrrp::VRRP_TTL),
        };
        let before = self.scratch_dropped;
        self.input(
            n,
            Input::Datagram {
                ifname: &pkt.ifname,
                family: pkt.family,
                bytes: &pkt.bytes,
                meta: &meta,
            },
        );
        if self.scratch_dropped > before {
            self.packets.dropped += 1;
        } else {
            self.packets.delivered += 1;
        }
    }

    /// Hand one input to node `n` and perform its effects.
    fn input(&mut self, n: usize, input: Input<'_>) {
        self.with_node(n, |live, now, out| live.handle(now, input, out));
    }

    /// Run `f` on node `n`'s layer, perform the effects, re-arm the node's timer.
    fn with_node(&mut self, n: usize, f: impl FnOnce(&mut node::Node, Time, &mut Vec<Effect>)) {
        let now = self.now;
        let mut effects = std::mem::take(&mut self.scratch);
        effects.clear();
        f(&mut self.nodes[n].live, now, &mut effects);
        for e in effects.drain(..) {
            self.perform(n, e);
        }
        self.scratch = effects;
        if !self.nodes[n].up {
            return;
        }
        let next = self.nodes[n].live.next_deadline().map(|at| at.max(now));
        let node = &mut self.nodes[n];
        if next != node.armed {
            node.armed = next;
            if let Some(at) = next {
                // A deadline in the past fires now, as a daemon's timer would.
                self.push(at, Happening::Timer { node: n });
            }
        }
    }

    fn perform(&mut self, n: usize, effect: Effect) {
        match effect {
            Effect::Send {
                id,
                src,
                dst,
                bytes,
            } => self.send(n, id, src, dst, bytes),
            Effect::AddVips { id } => {
                self.nodes[n].owns.insert(id);
                self.dirty = true;
            }
            Effect::RemoveVips { id } | Effect::Removed { id } => {
                self.nodes[n].owns.remove(&id);
                self.dirty = true;
            }
            Effect::Transition {
                id,
                from,
                to,
                reason,
                ..
            } => {
                let node = &self.nodes[n];
                if let Some(inst) = node.live.get(id) {
                    self.timeline.push(TimelineEntry {
                        at: self.now,
                        node: node.spec.name.clone(),
                        instance: inst.spec.name.clone(),
                        vrid: inst.spec.vrid(),
                        from,
                        to,
                        reason: reason.to_string(),
                    });
                }
                self.dirty = true;
            }
            Effect::Dropped { .. } | Effect::Rejected { .. } => self.scratch_dropped += 1,
            // GARPs and notify scripts have no effect on the simulated LAN's ownership: the
            // VIP moved with AddVips. A reload's address delta keeps the owner.
            Effect::SendGarp { .. }
            | Effect::Notify { .. }
            | Effect::NotifyMasterRxLowerPri { .. }
            | Effect::PriorityChanged { .. }
            | Effect::GroupNotify { .. }
            | Effect::AddAddresses { .. }
            | Effect::RemoveAddresses { .. }
            | Effect::SourceChanged { .. } => {}
        }
    }

    fn send(&mut self, n: usize, id: InstanceId, src: IpAddr, dst: IpAddr, bytes: Arc<[u8]>) {
        let node = &mut self.nodes[n];
        let Some(inst) = node.live.get(id) else {
            return;
        };
        let family = inst.spec.family;
        // One shared name per instance, not one allocation per advert.
        if node.ifnames.len() <= id.0 {
            node.ifnames.resize(id.0 + 1, None);
        }
        let ifname = match &node.ifnames[id.0] {
            Some(name) if **name == *inst.spec.ifname => Arc::clone(name),
            _ => {
                let name: Arc<str> = Arc::from(inst.spec.ifname.as_str());
                node.ifnames[id.0] = Some(Arc::clone(&name));
                name
            }
        };
        if self.nodes[n].links_down.contains(&*ifname) {
            // The goodbye (or any) advert of an instance whose link is down goes nowhere.
            self.packets.link_down += 1;
            return;
        }
        // The receivers, grouped by link delay (and by 64 nodes), in node order: one queue
        // entry per group. Loss is drawn per receiver in node order, as before.
        let mut groups = std::mem::take(&mut self.scratch_groups);
        groups.clear();
        for m in 0..self.nodes.len() {
            if m == n {
                continue;
            }
            if !dst.is_multicast() && !self.has_address(m, dst) {
                continue;
            }
            self.packets.sent += 1;
            // Most runs set no per-link properties: skip hashing the pair for every packet.
            let link = if self.links.is_empty() {
                self.default_link
            } else {
                self.links
                    .get(&(n, m))
                    .copied()
                    .unwrap_or(self.default_link)
            };
            if self.rng.chance(link.loss) {
                self.packets.lost += 1;
                continue;
            }
            let base = m / 64 * 64;
            let bit = 1u64 << (m - base);
            match groups
                .iter_mut()
                .find(|(d, r)| *d == link.delay && r.base == base)
            {
                Some((_, r)) => r.mask |= bit,
                None => groups.push((link.delay, Receivers { base, mask: bit })),
            }
        }
        // Queued in the order of each group's first receiver: the sequence numbers keep the
        // order one entry per receiver had.
        for &(delay, to) in &groups {
            let pkt = Packet {
                from_node: n,
                ifname: Arc::clone(&ifname),
                family,
                src,
                dst,
                bytes: Arc::clone(&bytes),
            };
            self.queue
                .push_after(self.now, delay, Happening::Deliver { to, pkt });
        }
        self.scratch_groups = groups;
    }

    /// Whether unicast to `addr` reaches node `m` (its address or an instance's source).
    fn has_address(&self, m: usize, addr: IpAddr) -> bool {
        let node = &self.nodes[m].spec;
        node.addr == addr
            || node.host().has(addr)
            || node.instances.iter().any(|i| i.src == Some(addr))
    }

    /// Record VIP ownership changes and open/close split brains.
    fn observe(&mut self) {
        let now = self.now;
        let mut owners: BTreeMap<IpAddr, Vec<String>> =
            self.last_owners.keys().map(|&v| (v, Vec::new())).collect();
        let mut masters: BTreeMap<RouterKey, Vec<String>> = BTreeMap::new();
        for node in self.nodes.iter().filter(|n| n.up) {
            for (id, l) in node.live.instances() {
                if node.owns.contains(&id) {
                    for vip in &l.spec.vips {
                        owners
                            .entry(vip.addr)
                            .or_default()
                            .push(node.spec.name.clone());
                    }
                }
                if l.fsm.state() == State::Master {
                    masters
                        .entry((
                            l.spec.ifname.clone(),
                            l.spec.family == Family::V6,
                            l.spec.vrid(),
                        ))
                        .or_default()
                        .push(node.spec.name.clone());
                }
            }
        }
        for (vip, mut who) in owners {
            who.sort();
            who.dedup();
            if self.last_owners.get(&vip) != Some(&who) {
                self.vip_owners.push(VipOwnership {
                    at: now,
                    vip,
                    owners: who.clone(),
                });
                self.last_owners.insert(vip, who);
            }
        }
        let mut keys: Vec<RouterKey> = masters
            .keys()
            .chain(self.open_splits.keys())
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let mut who = masters.get(&key).cloned().unwrap_or_default();
            who.sort();
            who.dedup();
            if who.len() >= 2 {
                let open = self.open_splits.entry(key).or_insert(OpenSplit {
                    start: now,
                    masters: Vec::new(),
                });
                for m in who {
                    if !open.masters.contains(&m) {
                        open.masters.push(m);
                    }
                }
                open.masters.sort();
            } else if let Some(open) = self.open_splits.remove(&key) {
                self.split_brains.push(SplitBrain {
                    vrid: key.2,
                    interface: key.0,
                    start: open.start,
                    end: now,
                    ongoing: false,
                    masters: open.masters,
                });
            }
        }
    }
}

/// A virtual router on the segment: (interface, IPv6, VRID).
type RouterKey = (String, bool, u8);

const DEFAULT_BUDGET: u64 = 10_000_000;

fn check_loss(loss: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&loss) {
        Ok(())
    } else {
        Err(SimError::BadLoss(loss))
    }
}
