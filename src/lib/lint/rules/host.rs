//! Rules that compare the config with the host lint runs on. They are warnings: lint also runs
//! on CI hosts and laptops that are not the node.

use super::Cx;
use crate::config::Diagnostic;

/// interface-missing: an interface the config names does not exist here.
pub(super) fn interface_missing(cx: &Cx, out: &mut Vec<Diagnostic>) {
    // Each interface is looked up once and reported once.
    let mut seen = std::collections::HashSet::new();
    let mut check = |name: &str,
                     span: &crate::config::model::Span,
                     what: &str,
                     out: &mut Vec<Diagnostic>| {
        if !seen.insert(name.to_string()) || cx.host.interface_exists(name) {
            return;
        }
        out.push(
            Diagnostic::warning(
                "interface-missing",
                span,
                format!("{what} `{name}` does not exist on this host"),
            )
            .with_help("keepalived refuses to run an instance whose interface is missing (unless dynamic_interfaces); ignore this if you lint for another machine"),
        );
    };
    for i in &cx.loaded.config.instances {
        if let (Some(ifname), Some(k)) = (&i.interface, cx.kw(i, "interface")) {
            let span = k.arg(0).map(|w| w.span.clone()).unwrap_or(k.span().clone());
            check(ifname, &span, "interface", out);
        }
        for t in &i.track_interface {
            check(&t.name, &t.span, "tracked interface", out);
        }
        for v in i
            .virtual_ipaddress
            .iter()
            .chain(&i.virtual_ipaddress_excluded)
        {
            if let Some(dev) = &v.dev {
                check(dev, &v.span, "VIP device", out);
            }
        }
    }
}

/// priority-owner: priority 255 declares this node the address owner (RFC 5798), which holds
/// the VIP as a real address; without that it just always preempts.
pub(super) fn priority_owner(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let local = cx.host.addresses();
    for i in &cx.loaded.config.instances {
        if i.priority != 255 {
            continue;
        }
        let owns = i
            .virtual_ipaddress
            .iter()
            .any(|v| local.iter().any(|(_, a)| *a == v.addr));
        if owns {
            continue;
        }
        let at = cx
            .kw(i, "priority")
            .or_else(|| cx.kw(i, "state"))
            .map(|k| k.span().clone())
            .unwrap_or(i.span.clone());
        out.push(
            Diagnostic::warning(
                "priority-owner",
                &at,
                format!(
                    "vrrp_instance {} has priority 255 (the address owner), but no VIP is an address of this host",
                    i.name
                ),
            )
            .with_help("255 makes the node take over at once and ignore nopreempt; use 254 or lower unless the VIP is this node's own address"),
        );
    }
}

/// vip-is-interface-address: a VIP that is already a real address of this host; keepalived
/// removes it when it leaves MASTER, and an interface left with no other IPv4 address goes FAULT.
pub(super) fn vip_is_interface_address(cx: &Cx, out: &mut Vec<Diagnostic>) {
    let local = cx.host.addresses();
    for i in &cx.loaded.config.instances {
        if i.priority == 255 {
            continue;
        }
        for v in &i.virtual_ipaddress {
            if let Some((ifname, _)) = local.iter().find(|(_, a)| *a == v.addr) {
                out.push(
                    Diagnostic::warning(
                        "vip-is-interface-address",
                        &v.span,
                        format!("VIP {} is already an address of {ifname} on this host", v.addr),
                    )
                    .with_help("a VIP must be an extra address: keepalived deletes it on BACKUP/FAULT, taking the host's own address with it"),
                );
            }
        }
    }
}
