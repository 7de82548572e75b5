//! Reload: compare the running instances with a new config's by identity (keepalived's
//! `vrrp_exist`), then keep, update in place, add or remove — so an unchanged instance keeps
//! its state, timers and counters, and a master whose VIP list changed adds and removes only
//! the difference (no transition, no GARP storm).

use crate::config::model::{Span, VirtualIp, VirtualRoute};
use crate::fsm::{self, State, Time};

use super::{Effect, FaultSource, HostView, InstanceId, InstanceSpec, Node};

/// What a reload does, by index into the old and the new instance lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// Same identity, same configuration: nothing to do.
    pub keep: Vec<(usize, usize)>,
    /// Same identity, changed configuration: reconfigure in place.
    pub update: Vec<(usize, usize)>,
    /// New identities: start them.
    pub add: Vec<usize>,
    /// Identities gone from the new config: stop them.
    pub remove: Vec<usize>,
}

/// Pair `old` and `new` instances by identity.
pub fn plan_reload(old: &[&InstanceSpec], new: &[InstanceSpec]) -> ReloadPlan {
    let mut plan = ReloadPlan::default();
    let mut matched = vec![false; old.len()];
    for (n, spec) in new.iter().enumerate() {
        let key = spec.key();
        match old
            .iter()
            .enumerate()
            .find(|(o, s)| !matched[*o] && s.key() == key)
        {
            Some((o, s)) => {
                matched[o] = true;
                if same_config(s, spec) {
                    plan.keep.push((o, n));
                } else {
                    plan.update.push((o, n));
                }
            }
            None => plan.add.push(n),
        }
    }
    plan.remove = (0..old.len()).filter(|&o| !matched[o]).collect();
    plan
}

/// What a reload did, for the log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    pub kept: usize,
    pub updated: usize,
    pub added: usize,
    pub removed: usize,
}

impl Node {
    /// Replace the running instances with `new`, by the plan above.
    pub fn reload(
        &mut self,
        now: Time,
        new: Vec<InstanceSpec>,
        host: &dyn HostView,
        out: &mut Vec<Effect>,
    ) -> ReloadSummary {
        let running: Vec<(InstanceId, InstanceSpec)> = self
            .instances()
            .map(|(id, i)| (id, i.spec.clone()))
            .collect();
        let old: Vec<&InstanceSpec> = running.iter().map(|(_, s)| s).collect();
        let plan = plan_reload(&old, &new);
        let summary = ReloadSummary {
            kept: plan.keep.len(),
            updated: plan.update.len(),
            added: plan.add.len(),
            removed: plan.remove.len(),
        };
        for &o in &plan.remove {
            let slot = running[o].0 .0;
            self.feed(slot, now, fsm::Input::Shutdown, out);
            out.push(Effect::Removed {
                id: InstanceId(slot),
            });
            self.remove_slot(slot);
        }
        let mut new: Vec<Option<InstanceSpec>> = new.into_iter().map(Some).collect();
        for &(o, n) in &plan.update {
            let id = running[o].0;
            if let Some(spec) = new[n].take() {
                self.update(now, id, spec, out);
                self.join_group_demotion(now, id.0, out);
            }
        }
        let started = self.is_started();
        for &n in &plan.add {
            if let Some(mut spec) = new[n].take() {
                // keepalived delays only the first start (vrrp_daemon.c: `!reload`).
                spec.fsm.startup_delay = std::time::Duration::ZERO;
                let slot = self.insert(spec, host);
                // Held before it starts, so it never becomes master in between.
                self.join_group_demotion(now, slot, out);
                if started {
                    self.feed(slot, now, fsm::Input::Startup, out);
                }
            }
        }
        summary
    }

    /// A reload put `slot` into a vrrp_sync_group whose members are demoted: it is demoted
    /// with them (same reason), or the group would split - its master pulling the others
    /// nowhere while they hold BACKUP.
    fn join_group_demotion(&mut self, now: Time, slot: usize, out: &mut Vec<Effect>) {
        let Some(group) = self
            .get(InstanceId(slot))
            .filter(|i| i.demoted.is_none())
            .and_then(|i| i.spec.sync_group.clone())
        else {
            return;
        };
        let reason = self
            .instances()
            .filter(|(_, i)| i.spec.sync_group.as_deref() == Some(group.as_str()))
            .find_map(|(_, i)| i.demoted.clone());
        if let Some(reason) = reason {
            if let Some(inst) = self.slot_mut(slot) {
                inst.demoted = Some(reason.clone());
            }
            // Alone: the members already demoted hold BACKUP; the group follows none of this.
            let was = std::mem::replace(&mut self.syncing, true);
            self.feed(slot, now, fsm::Input::Demote { reason }, out);
            self.syncing = was;
        }
    }

    /// Reconfigure a running instance, keeping its state, timers and counters.
    fn update(&mut self, now: Time, id: InstanceId, spec: InstanceSpec, out: &mut Vec<Effect>) {
        let Some(inst) = self.slot_mut(id.0) else {
            return;
        };
        if inst.fsm.state() == State::Master {
            let (add_v, del_v) = diff(&inst.spec.vips, &spec.vips, same_vip);
            let (add_r, del_r) = diff(&inst.spec.routes, &spec.routes, same_route);
            if !del_v.is_empty() || !del_r.is_empty() {
                out.push(Effect::RemoveAddresses {
                    id,
                    vips: del_v,
                    routes: del_r,
                });
            }
            if !add_v.is_empty() || !add_r.is_empty() {
                out.push(Effect::AddAddresses {
                    id,
                    vips: add_v,
                    routes: add_r,
                });
            }
        }
        // The source address is the host's business, not the config's: keep what is known.
        let mut spec = spec;
        if spec.configured_src.is_none() {
            spec.src = inst.spec.src;
            if let Some(a) = spec.src {
                spec.fsm.primary_addr = a;
            }
        }
        // Trackers the new config still follows keep their last result.
        let states = spec
            .trackers
            .iter()
            .map(|d| {
                inst.spec
                    .trackers
                    .iter()
                    .zip(&inst.trackers)
                    .find(|(o, _)| o.id == d.id)
                    .map_or(d.initial, |(_, s)| *s)
            })
            .collect();
        inst.trackers = states;
        inst.fsm.reconfigure(spec.fsm.clone());
        inst.spec = spec;
        // A script in init that the new config no longer follows holds nothing any more.
        let gone: Vec<FaultSource> = inst
            .faults
            .keys()
            .filter(|k| match k {
                FaultSource::ScriptInit(name) => {
                    !inst.spec.trackers.iter().any(|d| d.id.to_string() == *name)
                }
                _ => false,
            })
            .cloned()
            .collect();
        let no_peer = inst
            .spec
            .no_peer_fault
            .then(|| super::core::NO_PEER_FAULT.to_string());
        self.apply_trackers(now, id.0, "reload", out);
        self.set_fault(now, id, FaultSource::Config, no_peer, out);
        for source in gone {
            self.set_fault(now, id, source, None, out);
        }
        self.reindex();
    }
}

/// Items of `new` not in `old` (to add) and of `old` not in `new` (to remove).
fn diff<T: Clone>(old: &[T], new: &[T], same: fn(&T, &T) -> bool) -> (Vec<T>, Vec<T>) {
    let add = new
        .iter()
        .filter(|n| !old.iter().any(|o| same(o, n)))
        .cloned()
        .collect();
    let del = old
        .iter()
        .filter(|o| !new.iter().any(|n| same(o, n)))
        .cloned()
        .collect();
    (add, del)
}

/// Equal but for where they were written: moving a line in the file changes nothing.
fn same_vip(a: &VirtualIp, b: &VirtualIp) -> bool {
    VirtualIp {
        span: Span::default(),
        ..a.clone()
    } == VirtualIp {
        span: Span::default(),
        ..b.clone()
    }
}

fn same_route(a: &VirtualRoute, b: &VirtualRoute) -> bool {
    a.words == b.words
}

fn same_config(a: &InstanceSpec, b: &InstanceSpec) -> bool {
    let strip = |s: &InstanceSpec| {
        let mut s = s.clone();
        s.span = Span::default();
        for v in &mut s.vips {
            v.span = Span::default();
        }
        for r in &mut s.routes {
            r.span = Span::default();
        }
        // The source follows the host unless configured; the running one is kept.
        if s.configured_src.is_none() {
            s.src = None;
            s.fsm.primary_addr = std::net::Ipv4Addr::UNSPECIFIED.into();
        }
        s
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::node::{IfaceInfo, Input};
    use std::collections::HashMap;

    struct Host;
    impl HostView for Host {
        fn interface(&self, name: &str) -> Option<IfaceInfo> {
            ["eth0", "eth1"].contains(&name).then(|| IfaceInfo {
                index: 2,
                up: true,
                addrs: vec!["192.0.2.1".parse().unwrap()],
            })
        }
    }

    fn specs(text: &str) -> Vec<InstanceSpec> {
        let l = load_str("t.conf", text);
        let (s, refused) = crate::node::build_all(&l.config, &Host);
        assert!(refused.is_empty(), "{refused:?}");
        s
    }

    fn inst(name: &str, vrid: u8, iface: &str, vips: &[&str]) -> String {
        let vips: String = vips.iter().map(|v| format!("  {v}\n")).collect();
        format!(
            "vrrp_instance {name} {{\n interface {iface}\n virtual_router_id {vrid}\n priority 150\n advert_int 1\n virtual_ipaddress {{\n{vips} }}\n}}\n"
        )
    }

    #[test]
    fn plan_pairs_by_identity_not_by_name_or_order() {
        let old = specs(&format!(
            "{}{}{}",
            inst("A", 1, "eth0", &["192.0.2.100"]),
            inst("B", 2, "eth0", &["192.0.2.101"]),
            inst("C", 3, "eth0", &["192.0.2.102"])
        ));
        // B renamed and moved first (same identity, new name: an update), A unchanged, C gone,
        // D new, and a VRID 1 on eth1 is another identity.
        let new = specs(&format!(
            "\n\n{}{}{}{}",
            inst("B2", 2, "eth0", &["192.0.2.101"]),
            inst("A", 1, "eth0", &["192.0.2.100"]),
            inst("D", 4, "eth0", &["192.0.2.103"]),
            inst("A1", 1, "eth1", &["192.0.2.104"])
        ));
        let old_refs: Vec<&InstanceSpec> = old.iter().collect();
        let plan = plan_reload(&old_refs, &new);
        assert_eq!(plan.keep, vec![(0, 1)], "line numbers alone change nothing");
        assert_eq!(plan.update, vec![(1, 0)]);
        assert_eq!(plan.add, vec![2, 3]);
        assert_eq!(plan.remove, vec![2]);
    }

    /// Run a node until its only instance is master; returns the time.
    fn master(node: &mut Node) -> Time {
        let mut out = Vec::new();
        node.handle(Time::ZERO, Input::Startup, &mut out);
        let t = node.next_deadline().expect("down timer");
        node.handle(t, Input::TimerExpired, &mut out);
        assert!(node
            .instances()
            .all(|(_, i)| i.fsm.state() == State::Master));
        t
    }

    #[test]
    fn reload_of_a_master_applies_only_the_vip_difference() {
        let mut node = Node::new(
            specs(&inst("A", 1, "eth0", &["192.0.2.100", "192.0.2.101"])),
            &Host,
        );
        let t = master(&mut node);
        let before = *node.instances().next().unwrap().1.fsm.counters();
        let deadline = node.next_deadline();
        let mut out = Vec::new();
        let s = node.reload(
            t,
            specs(&inst("A", 1, "eth0", &["192.0.2.101", "192.0.2.102"])),
            &Host,
            &mut out,
        );
        assert_eq!((s.updated, s.kept, s.added, s.removed), (1, 0, 0, 0));
        let addrs = |e: &Effect| match e {
            Effect::AddAddresses { vips, .. } | Effect::RemoveAddresses { vips, .. } => {
                vips.iter().map(|v| v.addr.to_string()).collect::<Vec<_>>()
            }
            _ => vec![],
        };
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(matches!(out[0], Effect::RemoveAddresses { .. }));
        assert_eq!(addrs(&out[0]), ["192.0.2.100"]);
        assert!(matches!(out[1], Effect::AddAddresses { .. }));
        assert_eq!(addrs(&out[1]), ["192.0.2.102"]);
        let (_, i) = node.instances().next().unwrap();
        assert_eq!(i.fsm.state(), State::Master, "no transition");
        assert_eq!(*i.fsm.counters(), before, "counters kept");
        assert_eq!(node.next_deadline(), deadline, "advert timer kept");
        assert_eq!(i.spec.advertised.len(), 2);
    }

    #[test]
    fn reload_removes_and_adds_instances() {
        let mut node = Node::new(specs(&inst("A", 1, "eth0", &["192.0.2.100"])), &Host);
        let t = master(&mut node);
        let mut out = Vec::new();
        let s = node.reload(
            t,
            specs(&inst("B", 2, "eth0", &["192.0.2.200"])),
            &Host,
            &mut out,
        );
        assert_eq!((s.removed, s.added), (1, 1));
        // A leaves as a master does (priority 0, VIPs removed), then is gone; B starts.
        let pos = |f: &dyn Fn(&Effect) -> bool| out.iter().position(f).expect("effect");
        let zero =
            pos(&|e| matches!(e, Effect::Send { bytes, .. } if bytes.get(20 + 2) == Some(&0)));
        let removed = pos(&|e| matches!(e, Effect::Removed { id } if id.0 == 0));
        let vips_gone = pos(&|e| matches!(e, Effect::RemoveVips { id } if id.0 == 0));
        assert!(zero < vips_gone && vips_gone < removed, "{out:?}");
        let names: Vec<_> = node.instances().map(|(_, i)| i.spec.name.clone()).collect();
        assert_eq!(names, ["B"]);
        let states: HashMap<_, _> = node
            .instances()
            .map(|(_, i)| (i.spec.name.clone(), i.fsm.state()))
            .collect();
        assert_eq!(states["B"], State::Backup);
    }
}
