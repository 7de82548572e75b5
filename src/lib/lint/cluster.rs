//! Several files linted together are the nodes of one cluster: instances that share a VRID and
//! family (and, when a node has several, an interface) are one virtual router, and must agree
//! on what goes into the advert and how peers find each other.

use std::collections::BTreeMap;
use std::path::Path;

use super::failover;
use crate::config::model::{Authentication, VrrpInstance};
use crate::config::{Diagnostic, Loaded};

/// One node's instance of a virtual router.
pub(super) struct Member<'a> {
    node: String,
    loaded: &'a Loaded,
    inst: &'a VrrpInstance,
}

impl<'a> Member<'a> {
    pub(super) fn view(&self) -> failover::Member<'_> {
        failover::Member {
            node: &self.node,
            config: &self.loaded.config,
            inst: self.inst,
        }
    }

    fn span_of(&self, kw: &str) -> crate::config::model::Span {
        self.loaded
            .tree
            .nodes
            .iter()
            .find(|n| n.span() == &self.inst.span)
            .and_then(|n| super::rules::child(n, kw))
            .map(|k| k.span().clone())
            .unwrap_or_else(|| self.inst.span.clone())
    }
}

/// A node is called by its router_id, or by its file when router_ids are missing or repeated.
fn node_names(nodes: &[(&Path, &Loaded)]) -> Vec<String> {
    let ids: Vec<Option<&String>> = nodes
        .iter()
        .map(|(_, l)| l.config.global.router_id.as_ref())
        .collect();
    nodes
        .iter()
        .zip(&ids)
        .map(|((path, _), id)| match id {
            Some(r) if ids.iter().filter(|o| **o == Some(*r)).count() == 1 => r.to_string(),
            _ => path.display().to_string(),
        })
        .collect()
}

fn auth_text(a: &Option<Authentication>) -> String {
    match a {
        None => "none".into(),
        Some(Authentication::Pass(p)) => format!("PASS `{}`", String::from_utf8_lossy(p)),
        Some(Authentication::Ah(_)) => "AH".into(),
    }
}

/// The virtual routers of the cluster: (its name, e.g. "VRID 51 (IPv4)", its members), where
/// instances that share a VRID and family are one router, split by interface when a node has
/// several there. `names` are the nodes' names, in the order of `nodes`.
pub(super) fn virtual_routers<'a>(
    nodes: &[(&Path, &'a Loaded)],
    names: &[String],
) -> Vec<(String, Vec<Member<'a>>)> {
    // (vrid, ipv6) -> members; a node with several instances there splits by interface.
    let mut groups: BTreeMap<(u8, bool, Option<String>), Vec<Member>> = BTreeMap::new();
    let mut crowded: Vec<(u8, bool)> = Vec::new();
    for (_, l) in nodes {
        let mut seen: Vec<(u8, bool)> = Vec::new();
        for i in &l.config.instances {
            if let Some(v) = i.virtual_router_id {
                let k = (v, i.is_ipv6());
                if seen.contains(&k) {
                    crowded.push(k);
                }
                seen.push(k);
            }
        }
    }
    for ((_, l), name) in nodes.iter().zip(names) {
        for i in &l.config.instances {
            let Some(v) = i.virtual_router_id else {
                continue;
            };
            let k = (v, i.is_ipv6());
            let iface = crowded.contains(&k).then(|| i.interface.clone()).flatten();
            groups.entry((k.0, k.1, iface)).or_default().push(Member {
                node: name.clone(),
                loaded: l,
                inst: i,
            });
        }
    }
    groups
        .into_iter()
        .map(|((vrid, v6, _), members)| {
            let fam = if v6 { "IPv6" } else { "IPv4" };
            (format!("VRID {vrid} ({fam})"), members)
        })
        .collect()
}

pub(crate) fn check(nodes: &[(&Path, &Loaded)]) -> Vec<Diagnostic> {
    let names = node_names(nodes);
    let mut out = Vec::new();
    for (what, members) in virtual_routers(nodes, &names) {
        if members.len() < 2 {
            continue;
        }
        mismatches(&what, &members, &mut out);
        unicast_symmetry(&what, &members, &mut out);
        priority_tie(&what, &members, &mut out);
        let view: Vec<failover::Member> = members.iter().map(Member::view).collect();
        out.extend(failover::analyse(&what, &view));
    }
    out
}

fn mismatch(
    what: &str,
    m: &Member,
    r: &Member,
    kw: &str,
    field: &str,
    mine: String,
    theirs: String,
) -> Diagnostic {
    Diagnostic::error(
        "cluster-mismatch",
        &m.span_of(kw),
        format!(
            "{what}: {} has {field} {mine}, but {} has {theirs}",
            m.node, r.node
        ),
    )
    .with_help(format!(
        "every node of {what} must use the same {field}; peers drop adverts that differ"
    ))
}

/// cluster-mismatch: version, advert_int, authentication and VIP list must agree.
fn mismatches(what: &str, members: &[Member], out: &mut Vec<Diagnostic>) {
    let r = &members[0];
    for m in &members[1..] {
        let (a, b) = (m.inst, r.inst);
        if a.version != b.version {
            out.push(mismatch(
                what,
                m,
                r,
                "version",
                "VRRP version",
                a.version.to_string(),
                b.version.to_string(),
            ));
        }
        if a.advert_int != b.advert_int {
            out.push(mismatch(
                what,
                m,
                r,
                "advert_int",
                "advert_int",
                format!("{:?}", a.advert_int),
                format!("{:?}", b.advert_int),
            ));
        }
        if a.authentication != b.authentication {
            out.push(mismatch(
                what,
                m,
                r,
                "authentication",
                "authentication",
                auth_text(&a.authentication),
                auth_text(&b.authentication),
            ));
        }
        let mut va: Vec<_> = a.virtual_ipaddress.iter().map(|v| v.addr).collect();
        let mut vb: Vec<_> = b.virtual_ipaddress.iter().map(|v| v.addr).collect();
        va.sort();
        vb.sort();
        if va != vb {
            let show = |v: &[std::net::IpAddr]| {
                let s: Vec<String> = v.iter().map(|a| a.to_string()).collect();
                format!("[{}]", s.join(", "))
            };
            out.push(mismatch(
                what,
                m,
                r,
                "virtual_ipaddress",
                "virtual_ipaddress list",
                show(&va),
                show(&vb),
            ));
        }
    }
}

/// cluster-mismatch: unicast nodes must list each other's unicast_src_ip; mixing unicast and
/// multicast nodes splits the brain.
fn unicast_symmetry(what: &str, members: &[Member], out: &mut Vec<Diagnostic>) {
    let r = &members[0];
    for m in &members[1..] {
        if m.inst.is_unicast() != r.inst.is_unicast() {
            let mode = |x: &Member| {
                if x.inst.is_unicast() {
                    "unicast"
                } else {
                    "multicast"
                }
            };
            out.push(mismatch(
                what,
                m,
                r,
                "unicast_peer",
                "transport",
                mode(m).into(),
                mode(r).into(),
            ));
        }
    }
    for a in members.iter().filter(|a| a.inst.is_unicast()) {
        let Some(src) = a.inst.unicast_src_ip else {
            continue;
        };
        for b in members
            .iter()
            .filter(|b| b.inst.is_unicast() && !std::ptr::eq(*b, a))
        {
            if !b.inst.unicast_peer.iter().any(|p| p.addr == src) {
                out.push(
                    Diagnostic::error(
                        "cluster-mismatch",
                        &b.span_of("unicast_peer"),
                        format!("{what}: {} does not list {src} (unicast_src_ip of {}) in unicast_peer", b.node, a.node),
                    )
                    .with_help(format!("add {src} to this node's unicast_peer block; adverts only go to listed peers")),
                );
            }
        }
    }
}

/// priority-tie: equal priorities are broken by the higher primary IP address, which is rarely
/// what was meant.
fn priority_tie(what: &str, members: &[Member], out: &mut Vec<Diagnostic>) {
    for (n, m) in members.iter().enumerate() {
        if let Some(o) = members[..n]
            .iter()
            .find(|o| o.inst.priority == m.inst.priority)
        {
            out.push(
                Diagnostic::warning(
                    "priority-tie",
                    &m.span_of("priority"),
                    format!("{what}: {} and {} both have priority {}", m.node, o.node, m.inst.priority),
                )
                .with_help("the node with the higher primary IP address wins a tie; give each node its own priority"),
            );
        }
    }
}
