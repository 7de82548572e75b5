//! The failover analysis of one virtual router across the nodes of a cluster, from the configs
//! alone: who is master at start and after each node fails (the `election` note), tracker
//! weights that can never move the master (with the priority gap they would have to close), and
//! a master that will preempt, and so cut traffic a second time, when it returns.
//!
//! One analysis, two front doors: `vrrpctl lint` given several files (through `cluster`) and
//! `vrrpctl simulate-failover` (through [`failover_findings`]), so both say the same thing.

use std::path::Path;

use crate::config::model::{Config, Span, VrrpInstance};
use crate::config::tracking::{self, effective_priority, TrackerDef};
use crate::config::{Diagnostic, Loaded};

/// One node's instance of a virtual router.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub node: &'a str,
    pub config: &'a Config,
    pub inst: &'a VrrpInstance,
}

/// The trackers of `inst` as keepalived resolves them (`config::tracking`, the rules the node
/// layer applies too; sync groups included), each with the `track_*` line that follows it.
/// References to undefined trackers are left out (a lint rule names them).
pub fn trackers(config: &Config, inst: &VrrpInstance) -> Vec<(TrackerDef, Span)> {
    tracking::resolve_in_config(config, inst)
}

/// The effective priority with every tracker up.
pub fn healthy_priority(config: &Config, inst: &VrrpInstance) -> u8 {
    let w: i32 = trackers(config, inst)
        .iter()
        .map(|(t, _)| t.ok_weight())
        .sum();
    effective_priority(inst.priority, w)
}

/// The findings for one virtual router (`what` names it, e.g. "VRID 51 (IPv4)").
pub fn analyse(what: &str, members: &[Member]) -> Vec<Diagnostic> {
    let mut out = vec![election(what, members)];
    if members.len() < 2 {
        return out;
    }
    let healthy: Vec<u8> = members
        .iter()
        .map(|m| healthy_priority(m.config, m.inst))
        .collect();
    // The start master: the highest healthy priority (the first of a tie, as `election` says).
    let Some(mi) = (0..members.len()).max_by_key(|&i| (healthy[i], std::cmp::Reverse(i))) else {
        return out;
    };
    let m = &members[mi];
    weights_that_cannot_move(what, members, &healthy, mi, &mut out);
    if !m.inst.nopreempt
        && healthy[mi]
            > healthy
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != mi)
                .map(|(_, p)| *p)
                .max()
                .unwrap_or(0)
    {
        let delay = if m.inst.preempt_delay.is_zero() {
            "as soon as its first down timer expires".to_string()
        } else {
            format!(
                "once its preempt_delay of {:?} is over",
                m.inst.preempt_delay
            )
        };
        out.push(
            Diagnostic::note(
                "preempt-on-return",
                &m.inst.span,
                format!(
                    "{what}: when {} (priority {}) comes back after a failure it preempts the node that took over, {delay}: a second failover, and the VIP moves again",
                    m.node, healthy[mi]
                ),
            )
            .with_help("if one move per failure is enough, use `state BACKUP` and `nopreempt` on every node (or preempt_delay to let the returning node settle first)"),
        );
    }
    out
}

/// weight-cannot-move-master: a tracker of the start master whose failure leaves it above every
/// node that would preempt it.
fn weights_that_cannot_move(
    what: &str,
    members: &[Member],
    healthy: &[u8],
    mi: usize,
    out: &mut Vec<Diagnostic>,
) {
    let m = &members[mi];
    if m.inst.priority == 255 {
        return;
    }
    let others = || (0..members.len()).filter(move |&i| i != mi);
    let Some(best_other) = others().max_by_key(|&i| healthy[i]) else {
        return;
    };
    let total_ok: i32 = trackers(m.config, m.inst)
        .iter()
        .map(|(t, _)| t.ok_weight())
        .sum();
    for (t, span) in trackers(m.config, m.inst) {
        let Some(delta) = t.fail_delta() else {
            continue;
        };
        if delta >= 0 {
            continue;
        }
        let after = effective_priority(m.inst.priority, total_ok + delta);
        let takers: Vec<usize> = others().filter(|&i| healthy[i] > after).collect();
        if takers.iter().any(|&i| !members[i].inst.nopreempt) {
            continue;
        }
        let head = format!(
            "{what}: {} {} (weight {}) can never move the master: when it fails {} drops from {} to {after}",
            t.id.kind.keyword(), t.id.name, t.weight, m.node, healthy[mi]
        );
        let d = if takers.is_empty() {
            let b = &members[best_other];
            let gap = i32::from(healthy[mi]) - i32::from(healthy[best_other]);
            Diagnostic::warning(
                "weight-cannot-move-master",
                &span,
                format!(
                    "{head}, not below {}'s {} (a backup takes over only from a lower priority; the gap to close is {gap})",
                    b.node, healthy[best_other]
                ),
            )
            .with_help(format!(
                "use a weight of at least {} (e.g. weight -{}), or weight 0 to put the instance in FAULT",
                gap + 1,
                gap + 1
            ))
        } else {
            let names: Vec<&str> = takers.iter().map(|&i| members[i].node).collect();
            Diagnostic::warning(
                "weight-cannot-move-master",
                &span,
                format!(
                    "{head}, below {}, but with nopreempt a backup never takes over from a running master whose priority fell",
                    names.join(" and ")
                ),
            )
            .with_help("only a crash, a stop or a FAULT (weight 0) moves a master among nopreempt nodes; use weight 0 if the check must move the VIP")
        };
        out.push(d);
    }
}

/// The note that says who is master at start and after each node fails (before tracking
/// weights change priorities).
fn election(what: &str, members: &[Member]) -> Diagnostic {
    let best = |skip: Option<usize>| -> Option<&Member> {
        members
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .map(|(_, m)| m)
            .max_by_key(|m| m.inst.priority)
    };
    let tie_note = |m: &Member, skip: Option<usize>| {
        let n = members
            .iter()
            .enumerate()
            .filter(|(i, o)| Some(*i) != skip && o.inst.priority == m.inst.priority)
            .count();
        if n > 1 {
            " (tied: the higher primary IP wins)"
        } else {
            ""
        }
    };
    let mut text = String::new();
    if let Some(m) = best(None) {
        text.push_str(&format!(
            "{what}: {} is MASTER when all nodes start together (priority {}){}",
            m.node,
            m.inst.priority,
            tie_note(m, None)
        ));
    }
    let first = best(None);
    for (i, f) in members.iter().enumerate() {
        if let Some(m) = best(Some(i)) {
            let verb = if first.is_some_and(|b| std::ptr::eq(b, m)) {
                "stays MASTER"
            } else {
                "takes over"
            };
            text.push_str(&format!(
                "; if {} fails: {} {verb} ({}){}",
                f.node,
                m.node,
                m.inst.priority,
                tie_note(m, Some(i))
            ));
        }
    }
    let mut d = Diagnostic::note("election", &members[0].inst.span, text);
    if members.iter().all(|m| m.inst.nopreempt) {
        d = d.with_help("all nodes use nopreempt: a running MASTER keeps the role until it fails, whatever the priorities");
    } else {
        d = d.with_help("priorities before tracking weights; a recovered higher-priority node takes over again unless nopreempt");
    }
    d
}

/// The per-file rules whose findings are about failover behaviour, shown by simulate-failover
/// too.
pub const FAILOVER_RULES: &[&str] = &["nopreempt-needs-backup", "sync-group-drops-weight"];

/// The analysis for named nodes (simulate-failover's front door): every virtual router's
/// findings, plus the per-file failover rules of [`FAILOVER_RULES`].
pub fn failover_findings(nodes: &[(&str, &Loaded)], host: &dyn super::Host) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = nodes
        .iter()
        .flat_map(|(_, l)| super::lint_loaded(l, host))
        .filter(|d| FAILOVER_RULES.contains(&d.code))
        .collect();
    let with_paths: Vec<(&Path, &Loaded)> =
        nodes.iter().map(|(_, l)| (l.path.as_path(), *l)).collect();
    let names: Vec<String> = nodes.iter().map(|(n, _)| n.to_string()).collect();
    for (what, members) in super::cluster::virtual_routers(&with_paths, &names) {
        let view: Vec<Member> = members.iter().map(|m| m.view()).collect();
        out.extend(analyse(&what, &view));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_priority_adds_the_weights_of_trackers_that_are_up() {
        let text = "vrrp_script up {\n script /bin/true\n weight 20\n}\nvrrp_script down {\n script /bin/true\n weight -30\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n track_script {\n  up\n  down\n }\n}\n";
        let l = crate::config::load_str("t.conf", text);
        let c = &l.config;
        assert_eq!(healthy_priority(c, &c.instances[0]), 120);
        let t = trackers(c, &c.instances[0]);
        let deltas: Vec<Option<i32>> = t.iter().map(|(d, _)| d.fail_delta()).collect();
        assert_eq!(deltas, vec![Some(-20), Some(-30)]);
        assert_eq!(t[1].1.line, 15);
    }
}
