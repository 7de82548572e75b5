//! Rules over one vrrp_instance (and the globals it inherits).

use std::collections::HashMap;

use super::{child, Cx};
use crate::config::model::{Authentication, InitialState, VrrpInstance};
use crate::config::Diagnostic;

/// VRRP carries at most this many addresses an advert in keepalived's strict mode and in most
/// other implementations.
const MAX_ADVERTISED_VIPS: usize = 20;

fn family(i: &VrrpInstance) -> &'static str {
    if i.is_ipv6() {
        "IPv6"
    } else {
        "IPv4"
    }
}

/// missing-required: an instance without virtual_router_id or without an interface; keepalived
/// refuses both.
pub(super) fn missing_required(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if cx.kw(i, "virtual_router_id").is_none() {
            out.push(
                Diagnostic::error(
                    "missing-required",
                    &i.span,
                    format!("vrrp_instance {} has no virtual_router_id; keepalived refuses to start", i.name),
                )
                .with_help("add `virtual_router_id N` (1-255), the same on every node of this virtual router"),
            );
        }
        // keepalived 2.2.7 falls back to default_interface for VIPs only: an instance without
        // `interface` is refused ("Unknown interface!", vrrp.c chk_min_cfg), unicast or not.
        if i.interface.is_none() && cx.kw(i, "interface").is_none() {
            out.push(
                Diagnostic::error(
                    "missing-required",
                    &i.span,
                    format!("vrrp_instance {} has no interface; keepalived refuses it (\"Unknown interface!\")", i.name),
                )
                .with_help("add `interface IFNAME` (default_interface applies to VIPs only)"),
            );
        }
    }
}

/// duplicate-vrid: two instances with the same VRID and family that keepalived cannot tell
/// apart (vrrp.c check_vrid_conflicts): multicast ones on one interface and group; unicast ones
/// (a separate VRID space) with the same interface and source address and a peer in common.
pub(super) fn duplicate_vrid(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let g = &cx.loaded.config.global;
    let group = |i: &VrrpInstance| {
        i.mcast_dst_ip.unwrap_or(if i.is_ipv6() {
            g.vrrp_mcast_group6.into()
        } else {
            g.vrrp_mcast_group4.into()
        })
    };
    let conflict = |a: &VrrpInstance, b: &VrrpInstance| {
        if a.is_unicast() != b.is_unicast() {
            return false;
        }
        if !a.is_unicast() {
            return a.interface == b.interface && group(a) == group(b);
        }
        let same_if = a.interface.is_none() || b.interface.is_none() || a.interface == b.interface;
        same_if
            && a.unicast_src_ip == b.unicast_src_ip
            && a.unicast_peer
                .iter()
                .any(|p| b.unicast_peer.iter().any(|q| q.addr == p.addr))
    };
    let mut by_vrid: HashMap<(u8, bool), Vec<&VrrpInstance>> = HashMap::new();
    for b in &cx.loaded.config.instances {
        let Some(vrid) = b.virtual_router_id else {
            continue;
        };
        let seen = by_vrid.entry((vrid, b.is_ipv6())).or_default();
        if let Some(a) = seen.iter().find(|a| conflict(a, b)) {
            let at = cx
                .kw(b, "virtual_router_id")
                .map(|k| k.span().clone())
                .unwrap_or(b.span.clone());
            let how = if b.is_unicast() {
                "with the same unicast source and a common peer"
            } else {
                "with the same multicast group"
            };
            out.push(
                Diagnostic::error(
                    "duplicate-vrid",
                    &at,
                    format!(
                        "VRID {vrid} ({}) on {} {how} is already used by vrrp_instance {}; keepalived refuses the config",
                        family(b),
                        b.interface.as_deref().unwrap_or("the default interface"),
                        a.name
                    ),
                )
                .with_help("every virtual router on a segment needs its own virtual_router_id"),
            );
        }
        seen.push(b);
    }
}

/// auth-pass-truncated: keepalived sends only the first 8 bytes of auth_pass.
pub(super) fn auth_pass_truncated(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        let Some(pass) = cx
            .kw(i, "authentication")
            .and_then(|a| child(a, "auth_pass"))
        else {
            continue;
        };
        let Some(w) = pass.arg(0) else { continue };
        if w.text.len() > 8 {
            let kept: String = String::from_utf8_lossy(&w.text.as_bytes()[..8]).into_owned();
            out.push(
                Diagnostic::warning(
                    "auth-pass-truncated",
                    &w.span,
                    format!(
                        "auth_pass is {} bytes; keepalived uses only the first 8 (`{kept}`)",
                        w.text.len()
                    ),
                )
                .with_help(format!(
                    "write `auth_pass {kept}` so every node visibly agrees"
                )),
            );
        }
    }
}

/// nopreempt-needs-backup: keepalived clears nopreempt unless the instance starts as BACKUP
/// below 255.
pub(super) fn nopreempt_needs_backup(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        let Some(np) = cx.kw(i, "nopreempt") else {
            continue;
        };
        let state_master = cx
            .kw(i, "state")
            .and_then(|s| s.arg(0))
            .is_some_and(|w| w.text == "MASTER");
        if state_master || i.priority == 255 {
            let why = if i.priority == 255 {
                "priority 255"
            } else {
                "state MASTER"
            };
            out.push(
                Diagnostic::warning(
                    "nopreempt-needs-backup",
                    np.span(),
                    format!("nopreempt has no effect with {why}: keepalived clears it and this node preempts"),
                )
                .with_help("use `state BACKUP` on every node of this VRID and a priority below 255"),
            );
        }
    }
}

/// v2-subsecond-advert: VRRPv2 advertises whole seconds; keepalived rounds the interval (a
/// documented fix-up, so a warning).
pub(super) fn v2_subsecond_advert(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if i.version != 2 {
            continue;
        }
        let Some(w) = cx.kw(i, "advert_int").and_then(|k| k.arg(0)) else {
            continue;
        };
        let Ok(v) = w.text.parse::<f64>() else {
            continue;
        };
        if v.fract() != 0.0 {
            out.push(
                Diagnostic::warning(
                    "v2-subsecond-advert",
                    &w.span,
                    format!(
                        "VRRP version 2 advertises whole seconds: advert_int {} becomes {}",
                        w.text,
                        i.advert_int.as_secs()
                    ),
                )
                .with_help("use `version 3` on every node for sub-second adverts, or a whole number of seconds"),
            );
        }
    }
}

/// ipv6-needs-v3: IPv6 instances always run VRRPv3; a `version 2` is ignored.
pub(super) fn ipv6_needs_v3(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if !i.is_ipv6() {
            continue;
        }
        let written = cx
            .kw(i, "version")
            .or_else(|| cx.global_kw("vrrp_version"))
            .filter(|k| k.arg(0).is_some_and(|w| w.text == "2"));
        if let Some(k) = written {
            out.push(
                Diagnostic::warning(
                    "ipv6-needs-v3",
                    k.span(),
                    format!("vrrp_instance {} has IPv6 addresses, so it runs VRRP version 3; version 2 is ignored", i.name),
                )
                .with_help("write `version 3` here (and make sure IPv4 peers of this VRID use 3 as well)"),
            );
        }
    }
}

/// too-many-vips: more than 20 addresses in one advert.
pub(super) fn too_many_vips(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if i.virtual_ipaddress.len() > MAX_ADVERTISED_VIPS {
            let extra = &i.virtual_ipaddress[MAX_ADVERTISED_VIPS];
            out.push(
                Diagnostic::warning(
                    "too-many-vips",
                    &extra.span,
                    format!(
                        "vrrp_instance {} advertises {} addresses; many VRRP implementations (and keepalived's strict mode) take at most {MAX_ADVERTISED_VIPS}",
                        i.name,
                        i.virtual_ipaddress.len()
                    ),
                )
                .with_help("move the addresses that peers need not check to virtual_ipaddress_excluded"),
            );
        }
    }
}

/// strict-mode-conflict: vrrp_strict / strict_mode with authentication, unicast, more than 20
/// VIPs, preempt_delay, or state MASTER below 255.
pub(super) fn strict_mode_conflict(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if i.strict_mode != Some(true) {
            continue;
        }
        let why = "strict mode (vrrp_strict / strict_mode) follows RFC 5798";
        if let Some(a) = cx.kw(i, "authentication") {
            out.push(
                Diagnostic::error(
                    "strict-mode-conflict",
                    a.span(),
                    format!("{why}, which has no authentication: keepalived ignores this block, and peers that still send it will not match"),
                )
                .with_help("remove authentication on every node, or turn strict mode off"),
            );
        }
        if let Some(u) = cx.kw(i, "unicast_peer") {
            out.push(
                Diagnostic::warning(
                    "strict-mode-conflict",
                    u.span(),
                    format!(
                        "{why}: unicast peers are not allowed on a multicast-capable interface"
                    ),
                )
                .with_help(
                    "use multicast, or turn strict mode off for this instance (`strict_mode off`)",
                ),
            );
        }
        if i.virtual_ipaddress.len() > MAX_ADVERTISED_VIPS {
            out.push(Diagnostic::warning(
                "strict-mode-conflict",
                &i.span,
                format!("{why}: at most {MAX_ADVERTISED_VIPS} addresses per advert, this instance has {}", i.virtual_ipaddress.len()),
            ));
        }
        if let Some(p) = cx.kw(i, "preempt_delay") {
            out.push(Diagnostic::warning(
                "strict-mode-conflict",
                p.span(),
                format!("{why}: preempt_delay is ignored in strict mode"),
            ));
        }
        // The model holds the state after keepalived's strict fix-up (it follows priority
        // 255), so compare what was written.
        if let Some(s) = cx.kw(i, "state") {
            let written_master = s.arg(0).is_some_and(|w| w.text == "MASTER");
            if written_master != (i.priority == 255) {
                let msg = if written_master {
                    "only the address owner (priority 255) may start as MASTER: keepalived starts this instance as BACKUP"
                } else {
                    "the address owner (priority 255) starts as MASTER: keepalived ignores `state BACKUP` here"
                };
                out.push(Diagnostic::warning(
                    "strict-mode-conflict",
                    s.span(),
                    format!("{why}: {msg}"),
                ));
            }
        }
    }
}

/// mcast-group-nondefault: a multicast group other than 224.0.0.18 / ff02::12.
pub(super) fn mcast_group_nondefault(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let g = &cx.loaded.config.global;
    let d = crate::config::model::GlobalDefs::default();
    let help = "every node of the VRID must use the same group, and firewall rules written for 224.0.0.18 / ff02::12 will not match";
    if g.vrrp_mcast_group4 != d.vrrp_mcast_group4 {
        if let Some(k) = cx.global_kw("vrrp_mcast_group4") {
            out.push(
                Diagnostic::warning(
                    "mcast-group-nondefault",
                    k.span(),
                    format!(
                        "adverts go to {} instead of the VRRP group 224.0.0.18",
                        g.vrrp_mcast_group4
                    ),
                )
                .with_help(help),
            );
        }
    }
    if g.vrrp_mcast_group6 != d.vrrp_mcast_group6 {
        if let Some(k) = cx.global_kw("vrrp_mcast_group6") {
            out.push(
                Diagnostic::warning(
                    "mcast-group-nondefault",
                    k.span(),
                    format!(
                        "adverts go to {} instead of the VRRP group ff02::12",
                        g.vrrp_mcast_group6
                    ),
                )
                .with_help(help),
            );
        }
    }
    for i in &cx.loaded.config.instances {
        if let (Some(a), Some(k)) = (i.mcast_dst_ip, cx.kw(i, "mcast_dst_ip")) {
            let default = if a.is_ipv6() {
                "ff02::12"
            } else {
                "224.0.0.18"
            };
            if a.to_string() != default {
                out.push(
                    Diagnostic::warning(
                        "mcast-group-nondefault",
                        k.span(),
                        format!(
                            "vrrp_instance {} sends adverts to {a} instead of {default}",
                            i.name
                        ),
                    )
                    .with_help(help),
                );
            }
        }
    }
}

/// unicast-self-peer: the peer list holds this node's own source address.
pub(super) fn unicast_self_peer(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let local = cx.host.addresses();
    for i in &cx.loaded.config.instances {
        let Some(block) = cx.kw(i, "unicast_peer") else {
            continue;
        };
        for line in block.children() {
            let Ok(addr) = line.name().parse::<std::net::IpAddr>() else {
                continue;
            };
            let own = i.unicast_src_ip == Some(addr);
            let here = local.iter().find(|(_, a)| *a == addr);
            if own || here.is_some() {
                let what = if own {
                    "this instance's unicast_src_ip".to_string()
                } else {
                    format!(
                        "an address of this host ({})",
                        here.map(|h| h.0.as_str()).unwrap_or("")
                    )
                };
                out.push(
                    Diagnostic::warning(
                        "unicast-self-peer",
                        line.span(),
                        format!("unicast peer {addr} is {what}; the node sends adverts to itself"),
                    )
                    .with_help("list only the other nodes in unicast_peer (a per-node file, or `@node` lines)"),
                );
            }
        }
    }
}

/// unicast-without-peers: unicast_src_ip without peers falls back to multicast.
pub(super) fn unicast_without_peers(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if i.unicast_peer.is_empty() {
            if let Some(k) = cx.kw(i, "unicast_src_ip") {
                out.push(
                    Diagnostic::warning(
                        "unicast-without-peers",
                        k.span(),
                        format!("vrrp_instance {} sets unicast_src_ip but has no unicast_peer: keepalived falls back to multicast", i.name),
                    )
                    .with_help("add a unicast_peer block with the other nodes' addresses"),
                );
            }
        }
    }
}

/// no-vips: an instance with no virtual_ipaddress (keepalived: a warning, an error with v3 or
/// strict mode).
pub(super) fn no_vips(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        if i.virtual_ipaddress.is_empty() {
            let msg = format!("vrrp_instance {} has no virtual_ipaddress", i.name);
            let d = if i.version == 3 || i.strict_mode == Some(true) {
                Diagnostic::error(
                    "no-vips",
                    &i.span,
                    format!("{msg}; keepalived disables it with VRRP version 3 or strict mode"),
                )
            } else {
                Diagnostic::warning("no-vips", &i.span, msg)
            };
            out.push(d.with_help("add a virtual_ipaddress block"));
        }
    }
}

/// auth-ignored: authentication that keepalived drops (VRRPv3 has none; AH over IPv6).
pub(super) fn auth_ignored(cx: &Cx, out: &mut Vec<Diagnostic>) {
    for i in &cx.loaded.config.instances {
        let Some(a) = cx.kw(i, "authentication") else {
            continue;
        };
        if i.strict_mode == Some(true) {
            continue; // strict-mode-conflict says it
        }
        let ah = child(a, "auth_type")
            .and_then(|t| t.arg(0))
            .is_some_and(|w| w.text == "AH");
        if i.version == 3 {
            out.push(
                Diagnostic::error(
                    "auth-ignored",
                    a.span(),
                    format!("VRRP version 3 has no authentication: keepalived ignores it in vrrp_instance {}", i.name),
                )
                .with_help("remove the authentication block (on every node)"),
            );
        } else if ah
            && i.state == Some(InitialState::Backup)
            && cx
                .kw(i, "state")
                .and_then(|s| s.arg(0))
                .is_some_and(|w| w.text == "MASTER")
        {
            out.push(Diagnostic::warning(
                "auth-ignored",
                a.span(),
                "AH authentication is incompatible with state MASTER: keepalived starts this instance as BACKUP",
            ));
        } else if matches!(i.authentication, Some(Authentication::Ah(_))) {
            out.push(
                Diagnostic::warning(
                    "auth-ignored",
                    a.span(),
                    "auth_type AH is not in RFC 3768/5798 and few implementations speak it",
                )
                .with_help("peers must all be keepalived with the same AH setting"),
            );
        }
    }
}
