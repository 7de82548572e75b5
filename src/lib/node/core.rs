//! One node: its instances keyed by identity, the receive dispatch, fault sources and the
//! deadlines of every state machine. `handle(now, input, &mut effects)` and `next_deadline()`
//! are all a driver needs.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use crate::fsm::{self, Action, State, Time};

use super::deadlines::DeadlineQueue;
use super::encode::AdvertCache;
use super::pacing;
use super::receive::{self, Policy, RxCounters};
use super::track::{effective_priority, Contribution, TrackerId, TrackerKind, TrackerState};
use super::{Effect, Family, HostView, IfaceInfo, Input, InstanceId, InstanceKey, InstanceSpec};

/// Why an instance must not serve (several can hold at once; FAULT lasts while any does).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultSource {
    /// The interface has no address to send adverts from.
    NoAddress,
    /// The instance's own interface is down (unless `dont_track_primary`).
    LinkDown,
    /// A tracker (track_script, track_interface, ...) with no weight is failing.
    Tracker(String),
    /// A vrrp_script with no weight that has not exited once since vrrpd started
    /// (keepalived's num_script_init): the instance waits in FAULT, and that FAULT is not
    /// notified (keepalived 2.2.7 runs no notify for it; the first result notifies BACKUP, or
    /// FAULT when it failed).
    ScriptInit(String),
    /// Another member of the instance's vrrp_sync_group is in FAULT.
    SyncGroup(String),
    /// The config itself: `unicast_fault_no_peer` with no unicast_peer.
    Config,
    /// Put there from outside the config (the simulator's injected faults).
    External,
}

/// The FAULT reason of `unicast_fault_no_peer` without peers (keepalived's log line says
/// "Cannot use unicast without any peers - going to fault state").
pub const NO_PEER_FAULT: &str = "Cannot use unicast without any peers";

/// One instance of a node: what it runs and how it is doing.
#[derive(Debug, Clone)]
pub struct NodeInstance {
    pub spec: InstanceSpec,
    pub fsm: fsm::Instance,
    /// Receive-path error counters (keepalived's names); the machine keeps the others.
    pub rx: RxCounters,
    /// Active fault sources, each with the text shown in the FAULT reason.
    pub faults: BTreeMap<FaultSource, String>,
    /// The operator's reason while demoted (`vrrpctl demote`); the machine holds BACKUP.
    pub demoted: Option<String>,
    /// When the last valid advert from another router was accepted.
    pub last_heard: Option<Time>,
    /// The last reported state of each of `spec.trackers`, in the same order.
    pub trackers: Vec<TrackerState>,
    /// Source and arrival of the last accepted advert, to count late ones from the master.
    last_advert: Option<(IpAddr, Time)>,
    /// In FAULT without the FAULT notify having run (only scripts in init held it there): the
    /// first real fault source notifies it, as keepalived's down_instance does.
    fault_unnotified: bool,
    /// The adverts last encoded, reused while their inputs stay the same.
    adverts: AdvertCache,
}

impl NodeInstance {
    fn new(spec: InstanceSpec) -> NodeInstance {
        NodeInstance {
            trackers: spec.trackers.iter().map(|t| t.initial).collect(),
            fsm: fsm::Instance::new(spec.fsm.clone()),
            spec,
            rx: RxCounters::default(),
            faults: BTreeMap::new(),
            demoted: None,
            last_heard: None,
            last_advert: None,
            fault_unnotified: false,
            adverts: AdvertCache::default(),
        }
    }

    /// In the FAULT a script in init holds, which keepalived neither notifies nor logs.
    pub fn fault_unnotified(&self) -> bool {
        self.fault_unnotified
    }

    /// Whether it holds a fault source of its own (not one passed on by its sync group) other
    /// than a script in init.
    fn has_real_fault(&self) -> bool {
        self.faults
            .keys()
            .any(|k| !matches!(k, FaultSource::SyncGroup(_) | FaultSource::ScriptInit(_)))
    }

    /// An accepted advert from `src` at `now`: a backup counts its master's adverts that come
    /// more than half an interval late (gap over 1.5 x Master_Adver_Interval).
    fn count_late_advert(&mut self, now: Time, src: IpAddr) {
        if let Some((prev, at)) = self.last_advert {
            let limit = self.fsm.master_adver_interval().as_micros() as u64 * 3 / 2;
            if prev == src
                && self.fsm.state() == State::Backup
                && self.fsm.master_addr() == Some(src)
                && now.0.saturating_sub(at.0) > limit
            {
                self.rx.late_advert_rcvd += 1;
            }
        }
        self.last_advert = Some((src, now));
    }

    /// What the receive checks need from this instance, given the advert's source.
    fn policy(&self, src: IpAddr) -> Policy<'_> {
        let cfg = &self.spec.fsm;
        // keepalived: always in MASTER; in BACKUP skipped only with skip_check_adv_addr for
        // the master already followed.
        let check_addresses = match self.fsm.state() {
            State::Backup => {
                !(self.spec.skip_check_adv_addr && self.fsm.master_addr() == Some(src))
            }
            _ => true,
        };
        Policy {
            version: cfg.version.number(),
            unicast: self.spec.is_unicast(),
            auth_type: self.spec.auth_type,
            auth_pass: &self.spec.auth_pass,
            advert_int_cs: cfg.advert_int_cs,
            vips: &self.spec.advertised,
            check_addresses,
            peers: &self.spec.peers,
            check_unicast_src: self.spec.check_unicast_src,
        }
    }

    /// What the trackers say now: the total weight and the trackers that put it in FAULT.
    fn tracker_verdict(&self) -> (i32, Vec<(FaultSource, String)>) {
        let mut total = 0i32;
        let mut faults = Vec::new();
        for (def, st) in self.spec.trackers.iter().zip(&self.trackers) {
            match def.contribution(*st) {
                Contribution::Weight(w) => total = total.saturating_add(w),
                Contribution::Fault(why) => {
                    faults.push((FaultSource::Tracker(def.id.to_string()), why))
                }
            }
        }
        (total, faults)
    }

    /// The effective priority the trackers ask for.
    pub fn wanted_priority(&self) -> u8 {
        effective_priority(self.fsm.base_priority(), self.tracker_verdict().0)
    }

    /// The FAULT reason shown for the current fault sources.
    fn fault_reason(&self) -> Option<String> {
        (!self.faults.is_empty())
            .then(|| self.faults.values().cloned().collect::<Vec<_>>().join(", "))
    }
}

/// The `Effect::Dropped` reason of an advert for a VRID no instance runs on its interface.
pub const UNKNOWN_VRID: &str = "no instance with this VRID on the interface";
/// ... and of one for a VRID several instances run, none of which claims its addresses.
pub const UNCLAIMED_VRID: &str = "no instance of this VRID claims its source/destination";

/// A node: every instance of one vrrpd (or one simulated router).
#[derive(Debug, Clone, Default)]
pub struct Node {
    slots: Vec<Option<NodeInstance>>,
    by_key: HashMap<InstanceKey, usize>,
    /// (family, VRID) -> slots, for the receive dispatch (indexed by `dispatch_index`).
    dispatch: Vec<Vec<usize>>,
    queue: DeadlineQueue,
    started: bool,
    scratch: Vec<Action>,
    /// The advert being handled, for the transition it may cause.
    current_advert: Option<(IpAddr, u8)>,
    /// Each vrrp_sync_group of the node and the state last notified for it.
    groups: Vec<(String, State)>,
    /// Moving the other members of a group: their transitions do not move the group again.
    pub(super) syncing: bool,
    /// Adverts heard per interface for a VRID no instance runs there.
    unknown_vrid: BTreeMap<String, u64>,
    /// Adverts sent at the current instant, to spread large bursts (node/pacing.rs).
    burst: pacing::Burst,
}

impl Node {
    /// A node running `specs`; `host` gives each interface's initial link state.
    pub fn new(specs: Vec<InstanceSpec>, host: &dyn HostView) -> Node {
        let mut node = Node::default();
        node.slots.reserve_exact(specs.len());
        for spec in specs {
            node.insert_unindexed(spec, host);
        }
        // Once, not per instance: 1,000 instances would cost half a million map inserts.
        node.reindex();
        node
    }

    pub(super) fn insert(&mut self, spec: InstanceSpec, host: &dyn HostView) -> usize {
        let slot = self.insert_unindexed(spec, host);
        self.reindex();
        slot
    }

    fn insert_unindexed(&mut self, spec: InstanceSpec, host: &dyn HostView) -> usize {
        let mut inst = NodeInstance::new(spec);
        let iface = host.interface(&inst.spec.ifname);
        initial_faults(&mut inst, iface.as_ref());
        for (def, st) in inst.spec.trackers.iter().zip(inst.trackers.iter_mut()) {
            if def.id.kind == TrackerKind::Interface {
                *st = link_state(host.interface(&def.id.name).as_ref());
            }
        }
        let (_, tracker_faults) = inst.tracker_verdict();
        inst.faults.extend(tracker_faults);
        if !self.started {
            // keepalived counts these only at start: a script a reload adds
            // (SCRIPT_INIT_STATE_INIT_RELOAD) holds nothing.
            for (def, st) in inst.spec.trackers.iter().zip(&inst.trackers) {
                if def.id.kind == TrackerKind::Script
                    && def.weight == 0
                    && *st == TrackerState::Unknown
                {
                    inst.faults.insert(
                        FaultSource::ScriptInit(def.id.to_string()),
                        format!("{} has not run yet", def.id),
                    );
                }
            }
        }
        let effective = inst.wanted_priority();
        inst.fsm
            .handle(Time::ZERO, fsm::Input::PriorityChanged { effective });
        if let Some(reason) = inst.fault_reason() {
            // Remembered by the machine: Startup goes straight to FAULT.
            inst.fsm.handle(Time::ZERO, fsm::Input::Fault { reason });
        }
        if let Some(g) = &inst.spec.sync_group {
            if !self.groups.iter().any(|(n, _)| n == g) {
                self.groups.push((g.clone(), State::Initialize));
            }
        }
        let slot = self.slots.len();
        self.slots.push(Some(inst));
        slot
    }

    pub(super) fn reindex(&mut self) {
        self.dispatch.clear();
        self.dispatch.resize(2 * 256, Vec::new());
        self.by_key.clear();
        for (slot, inst) in self.slots.iter().enumerate() {
            if let Some(i) = inst {
                self.dispatch[dispatch_index(i.spec.family, i.spec.vrid())].push(slot);
                self.by_key.insert(i.spec.key(), slot);
            }
        }
    }

    /// The instances, in config order.
    pub fn instances(&self) -> impl Iterator<Item = (InstanceId, &NodeInstance)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (InstanceId(i), s)))
    }

    pub fn get(&self, id: InstanceId) -> Option<&NodeInstance> {
        self.slots.get(id.0).and_then(Option::as_ref)
    }

    pub fn find(&self, key: &InstanceKey) -> Option<InstanceId> {
        self.by_key.get(key).map(|&s| InstanceId(s))
    }

    pub fn by_name(&self, name: &str) -> Option<InstanceId> {
        self.instances()
            .find(|(_, i)| i.spec.name == name)
            .map(|(id, _)| id)
    }

    pub fn len(&self) -> usize {
        self.instances().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Zero every counter, the state machine's and the receive path's, of the instances named
    /// (all when `names` is empty), as keepalived's STATS_CLEAR does; returns the names cleared.
    pub fn clear_counters(&mut self, names: &[String]) -> Vec<String> {
        let mut cleared = Vec::new();
        for i in self.slots.iter_mut().flatten() {
            if names.is_empty() || names.contains(&i.spec.name) {
                i.rx = RxCounters::default();
                i.fsm.clear_counters();
                cleared.push(i.spec.name.clone());
            }
        }
        if names.is_empty() {
            self.unknown_vrid.clear();
        }
        cleared
    }

    /// Adverts heard for a VRID that no instance runs on the interface, per interface.
    pub fn unknown_vrid(&self) -> &BTreeMap<String, u64> {
        &self.unknown_vrid
    }

    /// The earliest deadline of any instance: arm one timer there and feed `TimerExpired`.
    pub fn next_deadline(&self) -> Option<Time> {
        self.queue.earliest().map(Time)
    }

    /// Feed one input; the effects are appended to `out` in the order they must happen.
    pub fn handle(&mut self, now: Time, input: Input<'_>, out: &mut Vec<Effect>) {
        match input {
            Input::Startup => {
                self.started = true;
                // keepalived's vrrp_init_state notifies each group before its members. A group
                // whose only faults are scripts in init is in INIT there: no notify.
                for g in 0..self.groups.len() {
                    let name = self.groups[g].0.clone();
                    let members = self.members(&name);
                    let holds = |real: bool| {
                        members.iter().any(|&m| {
                            self.slots[m].as_ref().is_some_and(|i| {
                                if real {
                                    i.has_real_fault()
                                } else {
                                    !i.faults.is_empty()
                                }
                            })
                        })
                    };
                    let (real, any) = (holds(true), holds(false));
                    // Members start in the group's FAULT (initialise_tracking_priorities sets
                    // the group's state before any member starts).
                    if let Some(&m) = members
                        .iter()
                        .find(|&&m| self.slots[m].as_ref().is_some_and(|i| !i.faults.is_empty()))
                    {
                        let who = self.slots[m]
                            .as_ref()
                            .map(|i| i.spec.name.clone())
                            .unwrap_or_default();
                        let why = format!("sync group {name}: {who} is in FAULT");
                        for &o in members.iter().filter(|&&o| o != m) {
                            let source = FaultSource::SyncGroup(name.clone());
                            self.set_fault(now, InstanceId(o), source, Some(why.clone()), out);
                        }
                    }
                    if any && !real {
                        continue;
                    }
                    let state = if real { State::Fault } else { State::Backup };
                    self.groups[g].1 = state;
                    out.push(Effect::GroupNotify { group: name, state });
                }
                for slot in 0..self.slots.len() {
                    self.feed(slot, now, fsm::Input::Startup, out);
                }
            }
            Input::Datagram {
                ifname,
                family,
                bytes,
                meta,
            } => self.on_datagram(now, ifname, family, bytes, meta, out),
            Input::TimerExpired => self.run_due(now, out),
            Input::Interface { ifname, info } => self.on_interface(now, ifname, info, out),
            Input::Shutdown => {
                for slot in 0..self.slots.len() {
                    self.feed(slot, now, fsm::Input::Shutdown, out);
                }
                self.started = false;
            }
        }
    }

    /// Raise or clear one fault source of instance `id`; the machine hears only the first
    /// raise and the last clear.
    pub fn set_fault(
        &mut self,
        now: Time,
        id: InstanceId,
        source: FaultSource,
        reason: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        let Some(inst) = self.slots.get_mut(id.0).and_then(Option::as_mut) else {
            return;
        };
        let was = !inst.faults.is_empty();
        let real = !matches!(
            source,
            FaultSource::SyncGroup(_) | FaultSource::ScriptInit(_)
        );
        match reason {
            Some(r) => {
                inst.faults.insert(source, r);
                if real && inst.fault_unnotified && inst.fsm.state() == State::Fault {
                    // keepalived's down_instance while in the init FAULT: FAULT is notified
                    // now (no new transition), and so is the group's.
                    inst.fault_unnotified = false;
                    let group = inst.spec.sync_group.clone();
                    out.push(Effect::Notify {
                        id,
                        state: State::Fault,
                    });
                    if let Some(g) = group {
                        self.update_group(&g, out);
                    }
                    return;
                }
            }
            None => {
                inst.faults.remove(&source);
            }
        }
        let is = !inst.faults.is_empty();
        match (was, is) {
            (false, true) => {
                let reason = inst.fault_reason().unwrap_or_default();
                self.feed(id.0, now, fsm::Input::Fault { reason }, out);
            }
            (true, false) => self.feed(id.0, now, fsm::Input::FaultCleared, out),
            _ => {}
        }
    }

    /// The instances that a demote or restore of `id` applies to: its whole vrrp_sync_group
    /// (keepalived moves a group as one, so a member demoted alone would be pulled back to
    /// MASTER by the others, or would drag them to BACKUP without holding them there), else
    /// `id` alone. In config order.
    pub fn demotion_scope(&self, id: InstanceId) -> Vec<InstanceId> {
        match self.get(id).and_then(|i| i.spec.sync_group.as_deref()) {
            Some(group) => self.members(group).into_iter().map(InstanceId).collect(),
            None if self.get(id).is_some() => vec![id],
            None => Vec::new(),
        }
    }

    /// Demote instance `id` for maintenance, with the rest of its sync group: each master
    /// hands over with a priority-0 advert and every member holds BACKUP until
    /// [`Node::restore`]. Demoting again updates the reason.
    pub fn demote(&mut self, now: Time, id: InstanceId, reason: String, out: &mut Vec<Effect>) {
        let scope = self.demotion_scope(id);
        for m in &scope {
            if let Some(inst) = self.slot_mut(m.0) {
                inst.demoted = Some(reason.clone());
            }
        }
        // Every member hands over by itself (its own priority-0 advert, so the peer takes each
        // VIP after Skew_Time); none drags the others through the group's BACKUP sync.
        self.move_group(now, id, &scope, fsm::Input::Demote { reason }, out);
    }

    /// End the demotion of instance `id` and of the rest of its sync group.
    pub fn restore(&mut self, now: Time, id: InstanceId, out: &mut Vec<Effect>) {
        let scope: Vec<InstanceId> = self
            .demotion_scope(id)
            .into_iter()
            .filter(|m| {
                self.slot_mut(m.0)
                    .is_some_and(|i| i.demoted.take().is_some())
            })
            .collect();
        self.move_group(now, id, &scope, fsm::Input::Restore, out);
    }

    /// Feed `input` to each of `scope` (the sync group of `id`, or `id`), the group's sync
    /// suspended while they move, then notify the group's new state once.
    fn move_group(
        &mut self,
        now: Time,
        id: InstanceId,
        scope: &[InstanceId],
        input: fsm::Input,
        out: &mut Vec<Effect>,
    ) {
        let was_syncing = std::mem::replace(&mut self.syncing, true);
        for m in scope {
            self.feed(m.0, now, input.clone(), out);
        }
        self.syncing = was_syncing;
        if let Some(group) = self.get(id).and_then(|i| i.spec.sync_group.clone()) {
            self.update_group(&group, out);
        }
    }

    /// A tracker's new result (a script's rise/fall verdict, a process quorum, a file's value,
    /// an interface's link): every instance that follows it moves its priority or enters or
    /// leaves FAULT. Nothing happens when the state is the one already known.
    pub fn set_tracker(
        &mut self,
        now: Time,
        tracker: &TrackerId,
        state: TrackerState,
        out: &mut Vec<Effect>,
    ) {
        for slot in 0..self.slots.len() {
            let Some(inst) = self.slots[slot].as_mut() else {
                continue;
            };
            let mut changed = false;
            for (def, st) in inst.spec.trackers.iter().zip(inst.trackers.iter_mut()) {
                if &def.id == tracker && *st != state {
                    *st = state;
                    changed = true;
                }
            }
            if changed {
                let cause = format!("{tracker} {state}");
                self.apply_trackers(now, slot, &cause, out);
            }
            // The first result ends the script's init (after its own verdict is raised, so a
            // failure keeps the FAULT without a flap).
            let init = FaultSource::ScriptInit(tracker.to_string());
            let held = self.slots[slot]
                .as_ref()
                .is_some_and(|i| i.faults.contains_key(&init));
            if held && state != TrackerState::Unknown {
                self.set_fault(now, InstanceId(slot), init, None, out);
            }
        }
        self.settle_groups(now, out);
    }

    /// A sync group whose members have no fault of their own left leaves FAULT. Needed when
    /// one input cleared every member's fault (a tracker the whole group follows): each
    /// member cleared while another still had its own, so each keeps the group's fault.
    fn settle_groups(&mut self, now: Time, out: &mut Vec<Effect>) {
        for g in 0..self.groups.len() {
            let name = self.groups[g].0.clone();
            let members = self.members(&name);
            let own_fault = members.iter().any(|&m| {
                self.slots[m].as_ref().is_some_and(|i| {
                    i.faults
                        .keys()
                        .any(|k| !matches!(k, FaultSource::SyncGroup(_)))
                })
            });
            if own_fault {
                continue;
            }
            let source = FaultSource::SyncGroup(name);
            for m in members {
                let held = self.slots[m]
                    .as_ref()
                    .is_some_and(|i| i.faults.contains_key(&source));
                if held {
                    self.set_fault(now, InstanceId(m), source.clone(), None, out);
                }
            }
        }
    }

    /// The trackers of every instance, with their last reported state.
    pub fn tracker_states(&self, id: InstanceId) -> Vec<(TrackerId, i32, TrackerState)> {
        self.get(id)
            .map(|i| {
                i.spec
                    .trackers
                    .iter()
                    .zip(&i.trackers)
                    .map(|(d, s)| (d.id.clone(), d.weight, *s))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Re-derive FAULT and the effective priority of `slot` from its trackers' states.
    pub(super) fn apply_trackers(
        &mut self,
        now: Time,
        slot: usize,
        cause: &str,
        out: &mut Vec<Effect>,
    ) {
        let Some(inst) = self.slots.get(slot).and_then(Option::as_ref) else {
            return;
        };
        let (_, faults) = inst.tracker_verdict();
        let stale: Vec<FaultSource> = inst
            .faults
            .keys()
            .filter(|k| matches!(k, FaultSource::Tracker(_)))
            .filter(|k| !faults.iter().any(|(f, _)| f == *k))
            .cloned()
            .collect();
        let from = inst.fsm.effective_priority();
        let to = inst.wanted_priority();
        let id = InstanceId(slot);
        // Priority first: a FAULT that clears starts the backup with the right skew.
        if from != to && inst.fsm.base_priority() != 255 {
            out.push(Effect::PriorityChanged {
                id,
                from,
                to,
                cause: cause.to_string(),
            });
            self.feed(
                slot,
                now,
                fsm::Input::PriorityChanged { effective: to },
                out,
            );
        }
        for (source, why) in faults {
            self.set_fault(now, id, source, Some(why), out);
        }
        for source in stale {
            self.set_fault(now, id, source, None, out);
        }
    }

    /// Set an instance's effective priority directly (the simulator's priority events; the
    /// trackers' weights come through the same machine input).
    pub fn set_effective_priority(
        &mut self,
        now: Time,
        id: InstanceId,
        effective: u8,
        out: &mut Vec<Effect>,
    ) {
        self.feed(id.0, now, fsm::Input::PriorityChanged { effective }, out);
    }

    /// The sync groups and the state last notified for each.
    pub fn groups(&self) -> &[(String, State)] {
        &self.groups
    }

    /// The slots of the members of sync group `group`.
    fn members(&self, group: &str) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.as_ref()
                    .is_some_and(|i| i.spec.sync_group.as_deref() == Some(group))
            })
            .map(|(n, _)| n)
            .collect()
    }

    /// Feed the machine of `slot`; when it changes state and belongs to a sync group, the other
    /// members follow (keepalived's vrrp_sync_master / _backup / _fault) and the group's own
    /// state change is notified.
    pub(super) fn feed(
        &mut self,
        slot: usize,
        now: Time,
        input: fsm::Input,
        out: &mut Vec<Effect>,
    ) {
        let start = out.len();
        self.feed_one(slot, now, input, out);
        if self.syncing {
            return;
        }
        let Some(group) = self
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .and_then(|i| i.spec.sync_group.clone())
        else {
            return;
        };
        let moved: Vec<(State, State)> = out[start..]
            .iter()
            .filter_map(|e| match e {
                Effect::Transition {
                    id,
                    from,
                    to,
                    reason,
                    ..
                } if id.0 == slot && !matches!(reason, fsm::Reason::SyncGroup(_)) => {
                    Some((*from, *to))
                }
                _ => None,
            })
            .collect();
        if moved.is_empty() {
            return;
        }
        self.syncing = true;
        for (from, to) in moved {
            self.sync_members(now, slot, &group, from, to, out);
        }
        self.syncing = false;
        self.update_group(&group, out);
    }

    fn sync_members(
        &mut self,
        now: Time,
        slot: usize,
        group: &str,
        from: State,
        to: State,
        out: &mut Vec<Effect>,
    ) {
        let name = self.slots[slot]
            .as_ref()
            .map(|i| i.spec.name.clone())
            .unwrap_or_default();
        let others: Vec<usize> = self
            .members(group)
            .into_iter()
            .filter(|&m| m != slot)
            .collect();
        let source = FaultSource::SyncGroup(group.to_string());
        if to == State::Fault {
            let why = format!("sync group {group}: {name} is in FAULT");
            for &m in &others {
                self.set_fault(now, InstanceId(m), source.clone(), Some(why.clone()), out);
            }
            return;
        }
        if from == State::Fault {
            // The group comes back when no member has a fault of its own left.
            let own_fault = self.members(group).iter().any(|&m| {
                self.slots[m].as_ref().is_some_and(|i| {
                    i.faults
                        .keys()
                        .any(|k| !matches!(k, FaultSource::SyncGroup(_)))
                })
            });
            if !own_fault {
                for &m in &others {
                    self.set_fault(now, InstanceId(m), source.clone(), None, out);
                }
            }
        }
        let follow = match (from, to) {
            (_, State::Master) => fsm::Input::SyncMaster {
                group: group.to_string(),
            },
            (State::Master, State::Backup) => fsm::Input::SyncBackup {
                group: group.to_string(),
            },
            _ => return,
        };
        for &m in &others {
            self.feed_one(m, now, follow.clone(), out);
        }
    }

    /// The group's state from its members': FAULT if any is, else MASTER / BACKUP / STOP
    /// when all are; notified when it changes.
    fn update_group(&mut self, group: &str, out: &mut Vec<Effect>) {
        let states: Vec<State> = self
            .members(group)
            .iter()
            .filter_map(|&m| self.slots[m].as_ref().map(|i| i.fsm.state()))
            .collect();
        let all = |s: State| states.iter().all(|&x| x == s);
        let new = if states.contains(&State::Fault) {
            Some(State::Fault)
        } else {
            [State::Master, State::Backup, State::Stop]
                .into_iter()
                .find(|&s| all(s))
        };
        let Some(new) = new else { return };
        let real_fault = self
            .members(group)
            .iter()
            .any(|&m| self.slots[m].as_ref().is_some_and(|i| i.has_real_fault()));
        if new == State::Fault && !real_fault {
            // Only scripts in init: the group stays in INIT, unnotified.
            return;
        }
        if let Some(g) = self.groups.iter_mut().find(|(n, _)| n == group) {
            if g.1 != new {
                g.1 = new;
                out.push(Effect::GroupNotify {
                    group: group.to_string(),
                    state: new,
                });
            }
        }
    }

    /// keepalived's !vrrp_sync_can_goto_master: `slot` is in a vrrp_sync_group that is not
    /// MASTER and has another member that does not want MASTER, so it may not become MASTER
    /// by itself (only with the group).
    fn sync_holds(&self, slot: usize) -> bool {
        let Some(group) = self
            .get(InstanceId(slot))
            .and_then(|i| i.spec.sync_group.as_deref())
        else {
            return false;
        };
        if self
            .groups
            .iter()
            .any(|(n, st)| n == group && *st == State::Master)
        {
            return false;
        }
        self.members(group).into_iter().any(|m| {
            m != slot
                && self
                    .get(InstanceId(m))
                    .is_some_and(|i| i.fsm.want_state() != State::Master)
        })
    }

    /// Feed the machine of `slot`, turn its actions into effects, re-arm its deadline.
    fn feed_one(&mut self, slot: usize, now: Time, input: fsm::Input, out: &mut Vec<Effect>) {
        let mut actions = std::mem::take(&mut self.scratch);
        actions.clear();
        let quiet = self.fault_is_quiet(slot);
        // Only a BACKUP's Master_Down_Timer and a FAULT's end can make it MASTER by itself;
        // the group scan is skipped for every other input (a master's adverts, the common
        // case at 1,000 instances).
        let may_take_over = matches!(input, fsm::Input::TimerExpired | fsm::Input::FaultCleared)
            && self
                .get(InstanceId(slot))
                .is_some_and(|i| matches!(i.fsm.state(), State::Backup | State::Fault));
        let hold = may_take_over && self.sync_holds(slot);
        let Some(inst) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            self.scratch = actions;
            return;
        };
        inst.fsm.set_sync_hold(hold);
        inst.fsm.handle_into(now, input, &mut actions);
        let id = InstanceId(slot);
        let mut sent_advert = false;
        for a in actions.drain(..) {
            match a {
                Action::SendAdvert { priority } => {
                    sent_advert = true;
                    inst.adverts.emit(id, &inst.spec, priority, out)
                }
                Action::AddVips => out.push(Effect::AddVips { id }),
                Action::RemoveVips => out.push(Effect::RemoveVips { id }),
                Action::SendGarp { count } => out.push(Effect::SendGarp { id, count }),
                Action::Transition { from, to, reason } => out.push(Effect::Transition {
                    id,
                    from,
                    to,
                    reason,
                    priority: inst.fsm.effective_priority(),
                    advert: self.current_advert,
                }),
                Action::Notify(State::Fault) if quiet => inst.fault_unnotified = true,
                Action::Notify(state) => {
                    inst.fault_unnotified = false;
                    out.push(Effect::Notify { id, state })
                }
                Action::NotifyMasterRxLowerPri => out.push(Effect::NotifyMasterRxLowerPri { id }),
            }
        }
        if sent_advert && inst.fsm.state() == State::Master {
            let k = self.burst.count(now.0);
            let advert_int = Duration::from_micros(u64::from(inst.spec.fsm.advert_int_cs) * 10_000);
            inst.fsm
                .advance_advert_timer(now, pacing::advance(k, advert_int));
        }
        let next = inst.fsm.next_deadline();
        self.scratch = actions;
        self.queue.schedule(slot, next.map(|t| t.0));
    }

    /// Whether entering FAULT now runs no notify: every fault source of `slot` is a script in
    /// init, or its sync group's FAULT while no member holds anything else (keepalived's
    /// vrrp_init_state notifies FAULT only with num_script_if_fault).
    fn fault_is_quiet(&self, slot: usize) -> bool {
        let Some(inst) = self.slots.get(slot).and_then(Option::as_ref) else {
            return false;
        };
        if inst.faults.is_empty() || inst.has_real_fault() {
            return false;
        }
        let mut groups = inst.faults.keys().filter_map(|k| match k {
            FaultSource::SyncGroup(g) => Some(g),
            _ => None,
        });
        groups.all(|g| {
            self.members(g)
                .iter()
                .all(|&m| self.slots[m].as_ref().is_none_or(|i| !i.has_real_fault()))
        })
    }

    fn run_due(&mut self, now: Time, out: &mut Vec<Effect>) {
        while let Some(slot) = self.queue.pop_due(now.0) {
            let Some(next) = self
                .slots
                .get(slot)
                .and_then(Option::as_ref)
                .map(|i| i.fsm.next_deadline())
            else {
                continue;
            };
            if next.is_some_and(|d| d <= now) {
                self.feed(slot, now, fsm::Input::TimerExpired, out);
            } else {
                self.queue.schedule(slot, next.map(|t| t.0));
            }
        }
    }

    fn on_datagram(
        &mut self,
        now: Time,
        ifname: &str,
        family: Family,
        bytes: &[u8],
        meta: &receive::RxMeta,
        out: &mut Vec<Effect>,
    ) {
        let pkt = match receive::decode(family, bytes, meta) {
            Ok(p) => p,
            Err(e) => {
                out.push(Effect::Dropped {
                    src: meta.src,
                    vrid: None,
                    reason: e.to_string(),
                });
                return;
            }
        };
        let vrid = pkt.parsed.advert.vrid;
        let dropped = |reason: &str| Effect::Dropped {
            src: pkt.src,
            vrid: Some(vrid),
            reason: reason.to_string(),
        };
        // The instances of this VRID on the interface, in slot order (no allocation: this runs
        // for every datagram).
        let slots = &self.slots;
        let on_iface = || {
            self.dispatch
                .get(dispatch_index(family, vrid))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied()
                .filter(|&s| slots[s].as_ref().is_some_and(|i| i.spec.ifname == ifname))
        };
        let mut first_two = on_iface();
        let slot = match (first_two.next(), first_two.next()) {
            (None, _) => {
                *self.unknown_vrid.entry(ifname.to_string()).or_default() += 1;
                out.push(dropped(UNKNOWN_VRID));
                return;
            }
            (Some(only), None) => only,
            (Some(_), Some(_)) => match on_iface().find(|&s| {
                slots[s]
                    .as_ref()
                    .is_some_and(|i| i.spec.claims(pkt.src, pkt.dst))
            }) {
                Some(s) => s,
                None => {
                    out.push(dropped(UNCLAIMED_VRID));
                    return;
                }
            },
        };
        let Some(inst) = self.slots[slot].as_mut() else {
            return;
        };
        // Dispatcher check 0d: no adverts in FAULT or INIT (nor STOP).
        if matches!(
            inst.fsm.state(),
            State::Fault | State::Initialize | State::Stop
        ) {
            out.push(dropped("instance is not in BACKUP or MASTER"));
            return;
        }
        // 0e: IPv6 multicast/unicast mismatch is discarded silently.
        if family == Family::V6 && pkt.dst.is_multicast() == inst.spec.is_unicast() {
            out.push(dropped("multicast/unicast mismatch"));
            return;
        }
        let verdict = receive::check(&pkt, &inst.policy(pkt.src));
        match verdict {
            Ok(a) => {
                if let Some(i) = self.slot_mut(slot) {
                    i.last_heard = Some(now);
                    i.count_late_advert(now, a.src);
                }
                self.current_advert = Some((a.src, a.priority));
                self.feed(
                    slot,
                    now,
                    fsm::Input::AdvertReceived {
                        src: a.src,
                        priority: a.priority,
                        advert_int_cs: a.advert_int_cs,
                    },
                    out,
                );
                self.current_advert = None;
            }
            Err(r) => {
                inst.rx.record(&r);
                out.push(Effect::Rejected {
                    id: InstanceId(slot),
                    src: pkt.src,
                    message: r.message,
                });
            }
        }
    }

    fn on_interface(
        &mut self,
        now: Time,
        ifname: &str,
        info: Option<IfaceInfo>,
        out: &mut Vec<Effect>,
    ) {
        let slots: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_ref().is_some_and(|i| i.spec.ifname == ifname))
            .map(|(n, _)| n)
            .collect();
        let mut rekey = false;
        for slot in slots {
            let id = InstanceId(slot);
            let Some(inst) = self.slots[slot].as_mut() else {
                continue;
            };
            let link = match &info {
                None => Some(format!("interface {ifname} is gone")),
                Some(i) if !i.up && !inst.spec.dont_track_primary => {
                    Some(format!("interface {ifname} is down"))
                }
                Some(_) => None,
            };
            let new_src = info.as_ref().and_then(|i| inst.spec.resolve_src(i));
            if let Some(src) = new_src {
                inst.spec.src = src;
                if let Some(a) = src {
                    inst.spec.fsm.primary_addr = a;
                    let cfg = inst.spec.fsm.clone();
                    inst.fsm.reconfigure(cfg);
                }
                rekey |= inst.spec.is_unicast();
                out.push(Effect::SourceChanged { id, src });
            }
            let no_addr = inst
                .spec
                .src
                .is_none()
                .then(|| no_address_reason(&inst.spec));
            // Raise before clearing, so a fault that changes cause does not flap the state.
            if let Some(r) = link.clone() {
                self.set_fault(now, id, FaultSource::LinkDown, Some(r), out);
            }
            if let Some(r) = no_addr.clone() {
                self.set_fault(now, id, FaultSource::NoAddress, Some(r), out);
            }
            if link.is_none() {
                self.set_fault(now, id, FaultSource::LinkDown, None, out);
            }
            if no_addr.is_none() {
                self.set_fault(now, id, FaultSource::NoAddress, None, out);
            }
        }
        if rekey {
            self.reindex();
        }
        let tracker = TrackerId::new(TrackerKind::Interface, ifname);
        self.set_tracker(now, &tracker, link_state(info.as_ref()), out);
    }

    pub(super) fn slot_mut(&mut self, slot: usize) -> Option<&mut NodeInstance> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    pub(super) fn remove_slot(&mut self, slot: usize) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = None;
        }
        self.reindex();
    }

    pub(super) fn is_started(&self) -> bool {
        self.started
    }
}

/// Where the slots of (family, VRID) are in `Node::dispatch`.
fn dispatch_index(family: Family, vrid: u8) -> usize {
    let f = match family {
        Family::V4 => 0,
        Family::V6 => 1,
    };
    f * 256 + usize::from(vrid)
}

fn no_address_reason(spec: &InstanceSpec) -> String {
    match spec.family {
        Family::V4 => format!("interface {} has no IPv4 address", spec.ifname),
        Family::V6 => format!("interface {} has no IPv6 link-local address", spec.ifname),
    }
}

/// An interface's state as a tracker: up when it exists and is operationally up.
fn link_state(info: Option<&IfaceInfo>) -> TrackerState {
    if info.is_some_and(|i| i.up) {
        TrackerState::Up
    } else {
        TrackerState::Down
    }
}

fn initial_faults(inst: &mut NodeInstance, iface: Option<&IfaceInfo>) {
    if inst.spec.no_peer_fault {
        inst.faults
            .insert(FaultSource::Config, NO_PEER_FAULT.to_string());
    }
    if inst.spec.src.is_none() {
        let r = no_address_reason(&inst.spec);
        inst.faults.insert(FaultSource::NoAddress, r);
    }
    let down = iface.is_none_or(|i| !i.up);
    if down && !inst.spec.dont_track_primary {
        let r = format!("interface {} is down", inst.spec.ifname);
        inst.faults.insert(FaultSource::LinkDown, r);
    }
}
