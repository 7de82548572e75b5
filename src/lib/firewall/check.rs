//! The check as a whole: which advert paths to test (from keepalived.conf's instances or from
//! hand flags), assessing each against the collected rule set (plus firewalld's permanent
//! config for drift), and the report with verdicts, deciding rules and fixes.

use std::net::IpAddr;

use crate::config::model::{Authentication, Config, VrrpInstance};
use crate::wire::vrrp::{MCAST_V4, MCAST_V6};

use super::advice;
use super::collect::Collected;
use super::firewalld;
use super::model::{Origin, Ruleset};
use super::probe::*;
use super::verdict::{assess, Finding, Target, Verdict};

/// What to check, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub config: Option<Config>,
    pub iface: Option<String>,
    pub peers: Vec<IpAddr>,
    pub family: Option<IpFamily>,
    pub group: Option<IpAddr>,
    pub unicast: bool,
    /// This host's address on the interface (with its prefix length if given).
    pub local: Option<(IpAddr, Option<u8>)>,
}

/// One advert path to check, or why it could not be built.
#[derive(Debug, Clone)]
pub struct Planned {
    pub instance: Option<String>,
    pub iface: String,
    pub family: IpFamily,
    pub direction: Direction,
    pub target: Result<Target, String>,
}

/// Address lookup for an interface (`ip -j addr` on the host; a table in tests).
pub type AddrLookup<'a> = &'a dyn Fn(&str) -> Result<Vec<(IpAddr, u8)>, String>;

fn default_group(fam: IpFamily) -> IpAddr {
    match fam {
        IpFamily::V4 => IpAddr::V4(MCAST_V4),
        IpFamily::V6 => IpAddr::V6(MCAST_V6),
    }
}

fn is_link_local(a: &IpAddr) -> bool {
    match a {
        IpAddr::V6(v) => v.is_unicast_link_local(),
        IpAddr::V4(v) => v.is_link_local(),
    }
}

/// One instance's (or the hand flags') parameters.
struct Spec {
    instance: Option<String>,
    iface: String,
    family: IpFamily,
    peers: Vec<IpAddr>,
    unicast: bool,
    group: IpAddr,
    local: Option<(IpAddr, Option<u8>)>,
    l4proto: u8,
    /// `use_vmac`: adverts leave through the macvlan interface (unless vmac_xmit_base).
    out_iface: Option<String>,
}

/// Turn the request into advert paths: inbound from each peer (or the subnet) and outbound.
pub fn plan(req: &Request, addrs: AddrLookup) -> Result<Vec<Planned>, String> {
    let mut specs = Vec::new();
    match &req.config {
        Some(cfg) => {
            for inst in &cfg.instances {
                if let Some(i) = &req.iface {
                    if inst.interface.as_deref() != Some(i.as_str()) {
                        continue;
                    }
                }
                specs.push(spec_of_instance(cfg, inst, req));
            }
            if specs.is_empty() {
                return Err(match &req.iface {
                    Some(i) => format!("the configuration has no vrrp_instance on interface {i}"),
                    None => "the configuration has no vrrp_instance".into(),
                });
            }
        }
        None => {
            let iface = req.iface.clone().ok_or("give -i IFACE or --config FILE")?;
            let family = req
                .family
                .or(req.peers.first().map(IpFamily::of))
                .or(req.group.as_ref().map(IpFamily::of))
                .or(req.local.as_ref().map(|l| IpFamily::of(&l.0)))
                .unwrap_or(IpFamily::V4);
            for p in &req.peers {
                if IpFamily::of(p) != family {
                    return Err(format!("--peer {p} is not an {} address", family.as_str()));
                }
            }
            if req.unicast && req.peers.is_empty() {
                return Err(
                    "--unicast needs the peers that send to this host (--peer ADDR)".into(),
                );
            }
            specs.push(Spec {
                instance: None,
                iface,
                family,
                peers: req.peers.clone(),
                unicast: req.unicast,
                group: req.group.unwrap_or_else(|| default_group(family)),
                local: req.local,
                l4proto: IPPROTO_VRRP,
                out_iface: None,
            });
        }
    }
    Ok(specs.iter().flat_map(|s| plan_spec(s, addrs)).collect())
}

fn spec_of_instance(cfg: &Config, inst: &VrrpInstance, req: &Request) -> Spec {
    let family = if inst.is_ipv6()
        || inst.unicast_peer.first().is_some_and(|p| p.addr.is_ipv6())
        || inst.unicast_src_ip.is_some_and(|a| a.is_ipv6())
    {
        IpFamily::V6
    } else {
        IpFamily::V4
    };
    let mut peers: Vec<IpAddr> = inst.unicast_peer.iter().map(|p| p.addr).collect();
    let narrowing: Vec<IpAddr> = req
        .peers
        .iter()
        .copied()
        .filter(|p| IpFamily::of(p) == family)
        .collect();
    let unicast = inst.is_unicast();
    if !narrowing.is_empty() {
        if unicast {
            let kept: Vec<IpAddr> = peers
                .iter()
                .copied()
                .filter(|p| narrowing.contains(p))
                .collect();
            if !kept.is_empty() {
                peers = kept;
            }
        } else {
            peers = narrowing;
        }
    }
    let group = inst.mcast_dst_ip.unwrap_or(match family {
        IpFamily::V4 => IpAddr::V4(cfg.global.vrrp_mcast_group4),
        IpFamily::V6 => IpAddr::V6(cfg.global.vrrp_mcast_group6),
    });
    let local = if unicast {
        inst.unicast_src_ip
    } else {
        inst.mcast_src_ip
    }
    .or(req.local.map(|l| l.0))
    .map(|a| (a, req.local.filter(|l| l.0 == a).and_then(|l| l.1)));
    Spec {
        instance: Some(inst.name.clone()),
        iface: inst.interface.clone().unwrap_or_default(),
        family,
        peers,
        unicast,
        group,
        local,
        l4proto: match inst.authentication {
            Some(Authentication::Ah(_)) => IPPROTO_AH,
            _ => IPPROTO_VRRP,
        },
        out_iface: inst
            .vmac_ifname(&cfg.global)
            .filter(|_| !inst.vmac_xmit_base),
    }
}

fn plan_spec(s: &Spec, addrs: AddrLookup) -> Vec<Planned> {
    let planned = |direction: Direction, target: Result<Target, String>| Planned {
        instance: s.instance.clone(),
        iface: s.iface.clone(),
        family: s.family,
        direction,
        target,
    };
    if s.iface.is_empty() {
        return vec![planned(
            Direction::In,
            Err("the instance has no interface".into()),
        )];
    }
    // The interface's addresses: needed for the senders' subnet, our own address, and the
    // reverse-path check; a given --local with a prefix stands in when the interface is absent.
    let found = addrs(&s.iface);
    let mut prefixes: Vec<(IpAddr, u8)> = match &found {
        Ok(v) => v.clone(),
        Err(_) => Vec::new(),
    };
    if let Some((a, Some(l))) = s.local {
        if !prefixes.iter().any(|p| p.0 == a) {
            prefixes.insert(0, (a, l));
        }
    }
    let fam_prefixes: Vec<(IpAddr, u8)> = prefixes
        .iter()
        .copied()
        .filter(|(a, _)| IpFamily::of(a) == s.family)
        .collect();
    // IPv6 adverts are sent from the link-local address; IPv4 from the primary address.
    let primary = match s.family {
        IpFamily::V4 => fam_prefixes.first().copied(),
        IpFamily::V6 => fam_prefixes
            .iter()
            .copied()
            .find(|(a, _)| is_link_local(a))
            .or(fam_prefixes.first().copied()),
    };
    let primary_global = fam_prefixes
        .iter()
        .copied()
        .find(|(a, _)| !is_link_local(a))
        .or(primary);
    let missing = |what: &str| -> String {
        match &found {
            Err(e) => format!("{e}, so {what} is unknown (give --local ADDR/LEN)"),
            Ok(_) => format!(
                "interface {} has no {} address, so {what} is unknown (give --local ADDR/LEN)",
                s.iface,
                s.family.as_str()
            ),
        }
    };
    let base = |direction, source, destination| Target {
        direction,
        iface: match (direction, &s.out_iface) {
            (Direction::Out, Some(o)) => o.clone(),
            _ => s.iface.clone(),
        },
        family: s.family,
        source,
        destination,
        unicast: s.unicast,
        l4proto: s.l4proto,
        local_prefixes: prefixes.clone(),
    };
    let mut out = Vec::new();
    let own = s.local.map(|l| l.0).filter(|a| IpFamily::of(a) == s.family);
    if s.unicast {
        let dest = own.or(primary_global.map(|p| p.0));
        for peer in &s.peers {
            out.push(planned(
                Direction::In,
                match dest {
                    Some(d) => Ok(base(Direction::In, Source::Host(*peer), d)),
                    None => Err(missing("this host's unicast address")),
                },
            ));
        }
        for peer in &s.peers {
            out.push(planned(
                Direction::Out,
                match dest {
                    Some(d) => Ok(base(Direction::Out, Source::Host(d), *peer)),
                    None => Err(missing("this host's unicast address")),
                },
            ));
        }
    } else {
        if s.peers.is_empty() {
            let subnet = match s.family {
                IpFamily::V6 => Some((LINK_LOCAL_V6, 64)),
                IpFamily::V4 => primary.map(|(a, l)| (network(a, l), l)),
            };
            out.push(planned(
                Direction::In,
                match subnet {
                    Some((a, l)) => Ok(base(Direction::In, Source::Subnet(a, l), s.group)),
                    None => Err(missing("the senders' subnet")),
                },
            ));
        }
        for peer in &s.peers {
            out.push(planned(
                Direction::In,
                Ok(base(Direction::In, Source::Host(*peer), s.group)),
            ));
        }
        let src = own.or(primary.map(|p| p.0));
        out.push(planned(
            Direction::Out,
            match src {
                Some(a) => Ok(base(Direction::Out, Source::Host(a), s.group)),
                None => Err(missing("this host's source address")),
            },
        ));
    }
    out
}

/// One line of the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    pub instance: Option<String>,
    pub interface: String,
    pub family: String,
    pub direction: Direction,
    pub source: String,
    pub destination: String,
    pub verdict: Verdict,
    /// The deciding chain (`chain` and `table` as nft names them; iptables: the chain).
    pub chain: Option<String>,
    pub table: Option<String>,
    pub handle: Option<u64>,
    /// The deciding rule, quoted.
    pub rule: Option<String>,
    pub reason: String,
    pub fix: Option<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub backend: String,
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    pub advice: Vec<String>,
    pub notes: Vec<String>,
}

/// The rule set with firewalld's runtime table replaced by its permanent config.
fn permanent_view(rs: &Ruleset, perm: &firewalld::Permanent) -> Ruleset {
    let mut out = rs.clone();
    out.tables.retain(|t| t.origin != Origin::FirewalldRuntime);
    out.tables.push(firewalld::compile(perm));
    out
}

/// Assess every planned path and assemble the report.
pub fn run(collected: &Collected, planned: &[Planned]) -> Report {
    let rs = &collected.ruleset;
    let perm = collected.firewalld_permanent.as_ref();
    let drift_view = perm
        .filter(|_| collected.firewalld_running)
        .map(|p| permanent_view(rs, p));
    // firewalld installed but stopped: what its permanent config would do once it starts.
    let dormant_view = perm
        .filter(|_| !collected.firewalld_running && collected.firewalld_enabled)
        .filter(|_| !collected.backends.iter().any(|b| b == "firewalld"))
        .map(|p| permanent_view(rs, p));
    let mut checks = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    let mut push_advice = |a: String| {
        if !advice.contains(&a) {
            advice.push(a);
        }
    };
    for p in planned {
        let t = match &p.target {
            Ok(t) => t,
            Err(e) => {
                checks.push(CheckResult {
                    instance: p.instance.clone(),
                    interface: p.iface.clone(),
                    family: p.family.as_str().into(),
                    direction: p.direction,
                    source: String::new(),
                    destination: String::new(),
                    verdict: Verdict::Unknown,
                    chain: None,
                    table: None,
                    handle: None,
                    rule: None,
                    reason: e.clone(),
                    fix: None,
                    notes: Vec::new(),
                });
                continue;
            }
        };
        let mut f = assess(rs, t);
        let mut fix = f
            .fix_at
            .as_ref()
            .and_then(|a| advice::fix(t, a, collected.iptables_is_nft, perm));
        if let Some(view) = &drift_view {
            let pf = assess(view, t);
            drift(&mut f, &mut fix, &pf, t, perm);
        }
        if let Some(view) = &dormant_view {
            let pf = assess(view, t);
            if pf.verdict != Verdict::Allowed && f.verdict == Verdict::Allowed {
                let zone = advice::zone_for(t, pf.decider.as_ref().map(|d| d.chain.as_str()), perm);
                f.notes.push(format!(
                    "firewalld is enabled but not running; when it starts (at the next boot) its permanent config makes this {}: {}; to be ready: {}",
                    pf.verdict.as_str(),
                    pf.reason,
                    advice::firewalld_offline(t, &zone)
                ));
            }
        }
        if f.verdict == Verdict::Conditional && f.reason.contains("ESTABLISHED") {
            if let Source::Host(peer) = t.source {
                // The entry our own advert to the peer created: its reply direction is what
                // lets the peer in today.
                if let Some(e) = collected.conntrack.iter().find(|e| {
                    e.replied && e.src == t.destination && e.dst == peer && e.proto == t.l4proto
                }) {
                    f.notes.push(format!(
                        "right now conntrack has the entry {} -> {} ({} s left, refreshed by                          every advert): that is why it works today",
                        e.src, e.dst, e.timeout_s
                    ));
                }
            }
        }
        if let Some(d) = &f.decider {
            if d.table == "keepalived" && f.verdict != Verdict::Allowed {
                push_advice(format!(
                    "{} is keepalived's own rule (vrrp_strict / no_accept): it drops traffic to \
                     the VIPs while this node is not MASTER and keepalived rebuilds it; send the \
                     adverts to the node's own address (unicast_src_ip / unicast_peer must not \
                     be VIPs), or drop vrrp_strict or set `accept`",
                    d.location()
                ));
            }
        }
        if let Some(x) = &fix {
            push_advice(x.clone());
        }
        checks.push(CheckResult {
            instance: p.instance.clone(),
            interface: t.iface.clone(),
            family: t.family.as_str().into(),
            direction: t.direction,
            source: t.source.to_string(),
            destination: t.destination.to_string(),
            verdict: f.verdict,
            chain: f.decider.as_ref().map(|d| d.chain.clone()),
            table: f
                .decider
                .as_ref()
                .map(|d| format!("{} {}", d.family, d.table)),
            handle: f.decider.as_ref().and_then(|d| d.handle),
            rule: f.decider.as_ref().map(|d| d.text.clone()),
            reason: f.reason.clone(),
            fix,
            notes: f.notes.clone(),
        });
    }
    let mut notes = collected.notes.clone();
    if rs.tables.iter().any(|t| t.name == "keepalived") {
        notes.push(
            "table keepalived is keepalived's own (vrrp_strict / no_accept): it drops traffic \
             to the VIPs while the node is not MASTER; it does not filter adverts sent to the \
             group or to the nodes' own addresses"
                .into(),
        );
    }
    let nft_fixes = checks
        .iter()
        .any(|c| c.fix.as_deref().is_some_and(|f| f.starts_with("nft ")));
    if nft_fixes {
        push_advice(
            "nft rules added by hand are lost at reboot: add the same rule to /etc/nftables.conf \
             (or the file your rule set is loaded from)"
                .into(),
        );
    }
    // Persistence advice names the save tool of the backend the fix went to: a rule added
    // with iptables-legacy is invisible to (nft-backed) iptables-save.
    for (prefix, save, file) in [
        (
            "iptables-legacy ",
            "iptables-legacy-save",
            "/etc/iptables/rules.v4",
        ),
        (
            "ip6tables-legacy ",
            "ip6tables-legacy-save",
            "/etc/iptables/rules.v6",
        ),
        (
            "iptables-nft ",
            "iptables-nft-save",
            "/etc/iptables/rules.v4",
        ),
        (
            "ip6tables-nft ",
            "ip6tables-nft-save",
            "/etc/iptables/rules.v6",
        ),
        ("iptables ", "iptables-save", "/etc/iptables/rules.v4"),
        ("ip6tables ", "ip6tables-save", "/etc/iptables/rules.v6"),
    ] {
        if checks
            .iter()
            .any(|c| c.fix.as_deref().is_some_and(|f| f.starts_with(prefix)))
        {
            push_advice(format!(
                "{} rules added by hand are lost at reboot: save them ({save} > {file}, or \
                 your distribution's equivalent)",
                prefix.trim_end()
            ));
        }
    }
    let verdict = overall(checks.iter().map(|c| c.verdict));
    Report {
        backend: collected.backend_label(),
        verdict,
        checks,
        advice,
        notes,
    }
}

/// Runtime vs permanent firewalld: allowed now but not after a reload is conditional.
fn drift(
    f: &mut Finding,
    fix: &mut Option<String>,
    pf: &Finding,
    t: &Target,
    perm: Option<&firewalld::Permanent>,
) {
    match (f.verdict, pf.verdict) {
        (Verdict::Allowed, Verdict::Allowed) => {}
        (Verdict::Allowed, _) => {
            let zone = advice::zone_for(t, pf.decider.as_ref().map(|d| d.chain.as_str()), perm);
            f.verdict = Verdict::Conditional;
            f.reason = format!(
                "allowed only by firewalld's runtime config ({}); the permanent config does \
                 not allow it ({}): the next `firewall-cmd --reload`, reboot or upgrade drops it",
                f.reason, pf.reason
            );
            f.decider = pf.decider.clone();
            *fix = Some(advice::firewalld_permanent(t, &zone));
        }
        (_, Verdict::Allowed) => f.notes.push(
            "firewalld's permanent config allows it but is not loaded: `firewall-cmd --reload`"
                .into(),
        ),
        _ => {}
    }
}

/// blocked > conditional > unknown > allowed.
pub fn overall(vs: impl Iterator<Item = Verdict>) -> Verdict {
    let mut worst = Verdict::Allowed;
    for v in vs {
        let rank = |v: Verdict| match v {
            Verdict::Allowed => 0,
            Verdict::Unknown => 1,
            Verdict::Conditional => 2,
            Verdict::Blocked => 3,
        };
        if rank(v) > rank(worst) {
            worst = v;
        }
    }
    worst
}
