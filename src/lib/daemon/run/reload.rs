//! HUP: re-read the config and apply it through the node layer's reload plan. Unchanged
//! instances keep their state, VIPs and timers; a master whose VIP list changed gets only the
//! difference; removed instances stop (priority 0, VIPs removed); added ones start. A config
//! that does not load, or has errors, is logged as file:line:column and the running one stays
//! (keepalived 2.2.7 exits here instead).

use std::collections::HashMap;

use crate::config;
use crate::config::model::Notify;
use crate::node::{self, Effect, Family, InstanceId};

use super::super::host::HostSnapshot;
use super::super::instance::{self, InstanceIo};
use super::super::notify::{NotifyState, Subject};
use super::super::track_file::FileTrackers;
use super::super::track_script::ScriptTrackers;
use super::{open_io, start_processes, used_files, Daemon};

impl Daemon {
    pub(super) fn reload(&mut self) {
        tracing::info!("Reloading ({})", self.config_path.display());
        let loaded = match config::load(&self.config_path) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("reload failed, keeping the running config: {e}");
                return;
            }
        };
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                format!(
                    "{}:{}:{}: error: {}",
                    d.span.file.display(),
                    d.span.line,
                    d.span.column,
                    d.message
                )
            })
            .collect();
        if !errors.is_empty() {
            for e in &errors {
                tracing::error!("{e}");
            }
            tracing::error!(
                "reload failed ({} error(s)), keeping the running config",
                errors.len()
            );
            return;
        }
        let mut cfg = loaded.config;
        let users = super::super::script_user::ScriptUsers::new(&cfg.global);
        super::super::script_security::apply(&mut cfg, &users).log();
        let host = HostSnapshot::take();
        let (mut specs, mut refused) = node::build_all(&cfg, &host);
        let failed = self.vmacs.create(&specs);
        super::refuse_failed(&mut specs, &mut refused, failed);
        let host = HostSnapshot::take();
        // Sockets for interfaces / families not open yet.
        let mut by_key: HashMap<(String, Family), usize> = self
            .sockets
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.ifname.clone(), s.family), i))
            .collect();
        let mut ios: HashMap<String, InstanceIo> = HashMap::new();
        specs.retain(
            |spec| match open_io(spec, &host, &mut self.sockets, &mut by_key) {
                Ok(io) => {
                    ios.insert(spec.name.clone(), io);
                    true
                }
                Err(reason) => {
                    refused.push(node::BuildError {
                        name: spec.name.clone(),
                        span: spec.span.clone(),
                        reason,
                    });
                    false
                }
            },
        );
        node::refuse_half_groups(&cfg, &mut specs, &mut refused);
        for e in &refused {
            tracing::error!("{e}; instance not started");
        }
        // Sockets opened here are read from the loop's next wait on.
        // keepalived closes and reopens the FIFOs (restarting their scripts) on reload; the
        // DELETED lines below go to the new ones.
        self.notifier.reload(&cfg.global);
        self.global = cfg.global.clone();
        // What a removed instance reports needs its spec and state from before the reload.
        let before: HashMap<InstanceId, Leaving> = self
            .node
            .instances()
            .map(|(id, i)| {
                (
                    id,
                    Leaving {
                        name: i.spec.name.clone(),
                        notify: i.spec.notify.clone(),
                        fault: i.fsm.state() == crate::fsm::State::Fault,
                        priority: i.fsm.effective_priority(),
                        smtp_alert: i.spec.smtp_alert,
                    },
                )
            })
            .collect();
        let now = self.now();
        let mut effects = std::mem::take(&mut self.effects);
        effects.clear();
        let summary = self.node.reload(now, specs, &host, &mut effects);
        let mut gone: HashMap<InstanceId, Leaving> = before
            .into_iter()
            .filter(|(id, _)| self.node.get(*id).is_none())
            .collect();
        // The daemon's side: new instances get theirs; kept ones not holding their VIPs take
        // the new lists (a master's are changed by the AddAddresses/RemoveAddresses effects).
        let ids: Vec<_> = self.node.instances().map(|(id, _)| id).collect();
        for id in ids {
            let Some(inst) = self.node.get(id) else {
                continue;
            };
            match self.io.get_mut(&id) {
                None => {
                    if let Some(io) = ios.remove(&inst.spec.name) {
                        self.io.insert(id, io);
                    }
                }
                Some(io) if !io.vips_set => {
                    if let Ok((v, r)) =
                        instance::resolve_addresses(&inst.spec, &inst.spec.vips, &inst.spec.routes)
                    {
                        io.vips = v;
                        io.routes = r;
                    }
                }
                Some(_) => {}
            }
        }
        // With fifo_write_vrrp_states_on_reload the notifies wait for the state lines, so that
        // both come in keepalived's order (vrrp_init_state: each group, then each instance,
        // writes either its notify or its state).
        let in_order = self.global.fifo_write_vrrp_states_on_reload;
        let mut deferred: Vec<Effect> = Vec::new();
        for e in effects.drain(..) {
            match &e {
                // A removed instance reports DELETED (or FAULT), not the STOP of its shutdown.
                Effect::Notify { id, .. } if gone.contains_key(id) => continue,
                Effect::Notify { .. } | Effect::GroupNotify { .. } if in_order => {
                    deferred.push(e);
                    continue;
                }
                Effect::Removed { id } => {
                    if let Some(l) = gone.remove(id) {
                        self.report_deleted(l);
                    }
                }
                _ => {}
            }
            self.perform(e);
        }
        self.flush();
        self.effects = effects;
        if in_order {
            self.fifo_write_states(deferred);
        }
        // Removed instances have said goodbye: their VMACs go.
        let keep: Vec<String> = self
            .node
            .instances()
            .flat_map(|(_, i)| {
                i.spec
                    .vmac
                    .iter()
                    .map(|v| v.ifname.clone())
                    .chain(i.spec.addr_vmacs.iter().map(|a| a.ifname.clone()))
            })
            .collect();
        self.vmacs
            .retain(&keep.iter().map(String::as_str).collect::<Vec<_>>());
        self.reload_firewall(&cfg.global);
        let node = &self.node;
        self.promote
            .apply(&super::super::promote_secondaries::wanted(&cfg, |name| {
                node.instances().any(|(_, i)| i.spec.name == name)
            }));
        self.sync_groups = cfg.sync_groups.clone();
        self.dump_view = super::dump::ConfigView::of(&cfg);
        let node = &self.node;
        let used = |name: &str| {
            node.instances().any(|(_, i)| {
                i.spec
                    .trackers
                    .iter()
                    .any(|t| t.id.kind == node::TrackerKind::Script && t.id.name == name)
            })
        };
        // Scripts restart with the new definitions; the node keeps their last results.
        let scripts = ScriptTrackers::start(
            &cfg.scripts,
            &used,
            self.notifier.users(),
            &self.trackers_tx,
        );
        self.scripts = scripts;
        super::super::track_file::init_files(&cfg.track_files, true);
        self.files = FileTrackers::none();
        self.files = FileTrackers::start(&used_files(&cfg, &self.node), &self.trackers_tx);
        self.processes =
            start_processes(&cfg, &self.node, self.processes.take(), &self.trackers_tx);
        self.sync_filters();
        self.flush();
        tracing::info!(
            "Reload complete: {} kept, {} updated, {} added, {} removed",
            summary.kept,
            summary.updated,
            summary.added,
            summary.removed
        );
    }
}

impl Daemon {
    /// `fifo_write_vrrp_states_on_reload` (keepalived's vrrp_init_state at reload): every sync
    /// group, then every instance, in order, performs the notifies the reload gave it
    /// (`notifies`), or when it has none writes its state to the FIFO; a master kept by the
    /// reload does not (keepalived's reload_master path skips it; measured with keepalived
    /// 2.2.7, e2e_notify compares the lines and their order).
    fn fifo_write_states(&mut self, mut notifies: Vec<Effect>) {
        let mut take = |f: &dyn Fn(&Effect) -> bool| {
            let (mine, rest): (Vec<Effect>, Vec<Effect>) = std::mem::take(&mut notifies)
                .into_iter()
                .partition(|e| f(e));
            notifies = rest;
            mine
        };
        enum Next {
            Perform(Vec<Effect>),
            Line(Subject, String, crate::fsm::State, u8),
        }
        let mut plan = Vec::new();
        for (g, st) in self.node.groups() {
            let mine = take(&|e| matches!(e, Effect::GroupNotify { group, .. } if group == g));
            plan.push(if mine.is_empty() {
                Next::Line(Subject::Group, g.clone(), *st, 0)
            } else {
                Next::Perform(mine)
            });
        }
        for (id, i) in self.node.instances() {
            let mine = take(&|e| matches!(e, Effect::Notify { id: n, .. } if *n == id));
            if !mine.is_empty() {
                plan.push(Next::Perform(mine));
            } else if i.fsm.state() != crate::fsm::State::Master {
                let (name, st, prio) = (
                    i.spec.name.clone(),
                    i.fsm.state(),
                    i.fsm.effective_priority(),
                );
                plan.push(Next::Line(Subject::Instance, name, st, prio));
            }
        }
        plan.push(Next::Perform(take(&|_| true)));
        for next in plan {
            match next {
                Next::Perform(effects) => effects.into_iter().for_each(|e| self.perform(e)),
                Next::Line(subject, name, state, prio) => {
                    if let Some(s) = NotifyState::from_fsm(state) {
                        self.notifier.fifo_line(subject, &name, s, prio);
                    }
                }
            }
        }
    }
}

/// An instance a reload removes, as it was before.
struct Leaving {
    name: String,
    notify: std::sync::Arc<Notify>,
    fault: bool,
    priority: u8,
    smtp_alert: bool,
}

impl Daemon {
    /// keepalived 2.2.7 (vrrp.c clear_diff_vrrp, vrrp_notify.c): with `notify_deleted` a
    /// removed instance reports DELETED (its notify_deleted script, the generic notify, the
    /// FIFO); without it, FAULT as before that keyword existed, and nothing when it was
    /// already in FAULT.
    fn report_deleted(&mut self, l: Leaving) {
        let state = if l.notify.notify_deleted {
            NotifyState::Deleted
        } else if l.fault {
            return;
        } else {
            NotifyState::Fault
        };
        tracing::info!(
            "{}: removed by the reload, reported as {}",
            l.name,
            state.word()
        );
        self.notifier.notify(
            Subject::Instance,
            &l.name,
            &l.notify,
            state,
            l.priority,
            l.smtp_alert,
        );
    }
}
