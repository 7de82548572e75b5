//! `vrrp_instance`: read every keyword as written, then `finish` applies keepalived 2.2.7's
//! defaults and inheritance from global_defs (inventory §1.3).

use std::net::IpAddr;
use std::time::Duration;

use super::super::diag::Diagnostic;
use super::super::lexer::Word;
use super::super::model::{
    advert_int_as_keepalived, Authentication, GlobalDefs, InitialState, Notify, UnicastPeer,
    VirtualIp, VirtualRoute, VmacMac, VrrpInstance,
};
use super::super::tree::Node;
use super::super::values::Reader;
use super::block_name;
use super::track::{notify_keyword, track_list};

/// An instance as written, with the values that inherit from the globals still unset.
pub(crate) struct Raw {
    pub inst: VrrpInstance,
    pub pending: Pending,
}

/// What `finish` settles once the globals are known. Kept apart from the instance so that the
/// instances are built where they stay (`Config::instances`), not moved from a second list of
/// raw ones: a 10,000-instance config held both lists at once (vrrpctl lint's peak RSS).
pub(crate) struct Pending {
    priority: Option<u8>,
    version: Option<u8>,
    /// As written, in microseconds (keepalived's parse), and the word; rounded in `finish`
    /// once the version is known.
    advert_int: Option<(u64, Word)>,
    accept: Option<bool>,
    down_timer_adverts: Option<u32>,
    native_ipv6: bool,
}

/// `use_vmac [IFNAME] [MAC]` (either order, as keepalived reads it: a word with a `:` is the
/// MAC), with keepalived's refusals: an invalid name or MAC is ignored with an error.
fn use_vmac(r: &mut Reader, k: &Node) -> (Option<String>, Option<VmacMac>) {
    let mut name = None;
    let mut mac = None;
    for w in k.args.iter().take(2) {
        let bad = |what: String| Diagnostic::error("invalid-value", &w.span, what);
        if w.text.contains(':') {
            if mac.is_some() {
                r.push(bad("VMAC interface address already specified".into()));
                continue;
            }
            match parse_vmac_mac(&w.text) {
                Err(why) => r.push(bad(format!("VMAC {why} {} - ignored", w.text))),
                Ok(m) => mac = Some(m),
            }
        } else {
            if name.is_some() {
                r.push(bad("VMAC interface name already specified".into()));
                continue;
            }
            let t = &w.text;
            let valid = !t.is_empty()
                && t.len() < 16
                && t != "."
                && t != ".."
                && !t.chars().any(|c| c == '/' || c == ':' || c.is_whitespace());
            if valid {
                name = Some(t.clone());
            } else {
                r.push(bad(format!(
                    "VMAC interface name '{t}' too long or invalid characters - ignoring"
                )));
            }
        }
    }
    (name, mac)
}

/// Five or six hex octets; not multicast, not an RFC 5798 virtual MAC (keepalived's rules).
fn parse_vmac_mac(text: &str) -> Result<VmacMac, &'static str> {
    let parts: Vec<&str> = text.trim_end_matches(':').split(':').collect();
    let octets: Option<Vec<u8>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 2)
                .then(|| u8::from_str_radix(p, 16).ok())
                .flatten()
        })
        .collect();
    let o = octets.ok_or("invalid MAC address")?;
    let mac = match o.len() {
        5 => VmacMac::WithVrid([o[0], o[1], o[2], o[3], o[4]]),
        6 => VmacMac::Given([o[0], o[1], o[2], o[3], o[4], o[5]]),
        _ => return Err("invalid MAC address"),
    };
    if o[0] & 1 == 1 {
        return Err("MAC address is multicast");
    }
    if o[..4] == [0, 0, 0x5e, 0] && matches!(o[4], 1 | 2) {
        return Err("MAC address not allowed to be RFC5798 address");
    }
    Ok(mac)
}

fn empty(name: String, span: super::super::model::Span) -> VrrpInstance {
    VrrpInstance {
        name,
        span,
        state: None,
        interface: None,
        virtual_router_id: None,
        priority: 100,
        advert_int: Duration::from_secs(1),
        version: 2,
        authentication: None,
        virtual_ipaddress: Vec::new(),
        virtual_ipaddress_excluded: Vec::new(),
        virtual_routes: Vec::new(),
        virtual_rules: Vec::new(),
        mcast_src_ip: None,
        mcast_dst_ip: None,
        unicast_src_ip: None,
        unicast_peer: Vec::new(),
        unicast_ttl: None,
        nopreempt: false,
        preempt_delay: Duration::ZERO,
        accept: true,
        garp_master_delay: None,
        garp_master_repeat: None,
        garp_master_refresh: None,
        garp_master_refresh_repeat: None,
        garp_lower_prio_delay: None,
        garp_lower_prio_repeat: None,
        down_timer_adverts: 3,
        lower_prio_no_advert: None,
        higher_prio_send_advert: None,
        skip_check_adv_addr: None,
        check_unicast_src: None,
        strict_mode: None,
        dont_track_primary: false,
        unicast_fault_no_peer: false,
        track_src_ip: false,
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_process: Vec::new(),
        track_file: Vec::new(),
        notify: Notify::default(),
        notify_priority_changes: None,
        smtp_alert: None,
        use_vmac: None,
        vmac_mac: None,
        use_vmac_addr: false,
        vmac_xmit_base: false,
        promote_secondaries: false,
    }
}

pub(crate) fn read(r: &mut Reader, node: &Node) -> Option<Raw> {
    let name = block_name(r, node)?;
    let mut raw = Raw {
        inst: empty(name, node.span().clone()),
        pending: Pending {
            priority: None,
            version: None,
            advert_int: None,
            accept: None,
            down_timer_adverts: None,
            native_ipv6: false,
        },
    };
    let i = &mut raw.inst;
    for k in node.children() {
        if notify_keyword(r, k, &mut i.notify) {
            continue;
        }
        match k.name() {
            "state" => {
                if let Some(w) = r.arg(k, 0) {
                    match w.text.as_str() {
                        "MASTER" => i.state = Some(InitialState::Master),
                        // BACKUP after MASTER is ignored by keepalived.
                        "BACKUP" => {
                            if i.state.is_none() {
                                i.state = Some(InitialState::Backup)
                            }
                        }
                        other => r.push(
                            Diagnostic::error(
                                "invalid-value",
                                &w.span,
                                format!("unknown state `{other}`; keepalived uses BACKUP"),
                            )
                            .with_help("use MASTER or BACKUP (upper case)"),
                        ),
                    }
                }
            }
            "interface" => {
                if let Some(w) = r.arg(k, 0) {
                    if w.text.len() >= 16 {
                        r.push(Diagnostic::error(
                            "invalid-value",
                            &w.span,
                            format!("interface name `{}` is longer than 15 characters", w.text),
                        ));
                    } else {
                        i.interface = Some(w.text.clone());
                    }
                }
            }
            "virtual_router_id" => i.virtual_router_id = r.int_arg(k, 1, 255).map(|v| v as u8),
            "priority" => raw.pending.priority = r.int_arg(k, 1, 255).map(|v| v as u8),
            "advert_int" => {
                if let Some(w) = r.arg(k, 0) {
                    raw.pending.advert_int = r
                        .micros("advert_int", w, 10_000, 255_000_000)
                        .map(|us| (us, w.clone()));
                }
            }
            "version" => raw.pending.version = r.int_arg(k, 2, 3).map(|v| v as u8),
            "authentication" => i.authentication = authentication(r, k),
            "virtual_ipaddress" => i.virtual_ipaddress.extend(vips(r, k)),
            "virtual_ipaddress_excluded" => i.virtual_ipaddress_excluded.extend(vips(r, k)),
            "virtual_routes" => i.virtual_routes.extend(routes(k)),
            "virtual_rules" => i.virtual_rules.extend(routes(k)),
            "mcast_src_ip" => i.mcast_src_ip = r.ip_arg(k),
            "mcast_dst_ip" => i.mcast_dst_ip = r.ip_arg(k),
            "unicast_src_ip" => i.unicast_src_ip = r.ip_arg(k),
            "unicast_peer" => i.unicast_peer.extend(peers(r, k)),
            "unicast_ttl" => i.unicast_ttl = r.int_arg(k, 0, 255).map(|v| v as u8),
            "nopreempt" => i.nopreempt = true,
            "preempt" => i.nopreempt = false,
            "preempt_delay" => {
                if let Some(d) = r.timer_arg(k, 0.0, 1000.0) {
                    i.preempt_delay = d;
                }
            }
            "accept" => raw.pending.accept = Some(true),
            "no_accept" => raw.pending.accept = Some(false),
            "garp_master_delay" => i.garp_master_delay = secs_arg(r, k),
            "garp_master_repeat" => i.garp_master_repeat = count_arg(r, k).map(|v| v.max(1)),
            "garp_master_refresh" => i.garp_master_refresh = secs_arg(r, k),
            "garp_master_refresh_repeat" => {
                i.garp_master_refresh_repeat = count_arg(r, k).map(|v| v.max(1))
            }
            "garp_lower_prio_delay" => i.garp_lower_prio_delay = secs_arg(r, k),
            "garp_lower_prio_repeat" => i.garp_lower_prio_repeat = count_arg(r, k),
            "down_timer_adverts" => {
                raw.pending.down_timer_adverts = r.int_arg(k, 1, 100).map(|v| v as u32)
            }
            "lower_prio_no_advert" => i.lower_prio_no_advert = r.bool_at(k, 0),
            "higher_prio_send_advert" => i.higher_prio_send_advert = r.bool_at(k, 0),
            // keepalived 2.2.7 sets the flag for any valid BOOL, `off` included.
            "skip_check_adv_addr" if r.bool_at(k, 0).is_some() => {
                i.skip_check_adv_addr = Some(true)
            }
            "check_unicast_src" => i.check_unicast_src = Some(true),
            "strict_mode" => i.strict_mode = r.bool_at(k, 0),
            "dont_track_primary" => i.dont_track_primary = true,
            "unicast_fault_no_peer" => i.unicast_fault_no_peer = true,
            "track_src_ip" => i.track_src_ip = true,
            "track_interface" => i.track_interface.extend(track_list(r, k, -254, 254)),
            "track_script" => i.track_script.extend(track_list(r, k, -253, 253)),
            "track_process" => i.track_process.extend(track_list(r, k, -254, 254)),
            "track_file" => i.track_file.extend(track_list(r, k, -254, 254)),
            "notify_priority_changes" => i.notify_priority_changes = r.bool_at(k, 0),
            "smtp_alert" => i.smtp_alert = r.bool_at(k, 0),
            "use_vmac" => {
                let (name, mac) = use_vmac(r, k);
                i.use_vmac = Some(name);
                i.vmac_mac = mac;
            }
            "use_vmac_addr" => i.use_vmac_addr = true,
            "vmac_xmit_base" => i.vmac_xmit_base = true,
            "promote_secondaries" => i.promote_secondaries = true,
            "native_ipv6" => raw.pending.native_ipv6 = true,
            _ => {}
        }
    }
    mixed_families(r, node, &raw.inst);
    // track_interface weights outside ±253 are clamped by keepalived (with an error).
    for t in &mut raw.inst.track_interface {
        if let Some(w) = t.weight.as_mut() {
            if w.abs() > 253 {
                r.push(Diagnostic::error(
                    "value-out-of-range",
                    &t.span,
                    format!(
                        "track_interface weight {w} is outside -253..=253; keepalived uses ±253"
                    ),
                ));
                *w = w.signum() * 253;
            }
        }
    }
    Some(raw)
}

fn secs_arg(r: &mut Reader, k: &Node) -> Option<Duration> {
    r.int_arg(k, 0, i64::from(u32::MAX))
        .map(|v| Duration::from_secs(v as u64))
}

fn count_arg(r: &mut Reader, k: &Node) -> Option<u32> {
    r.int_arg(k, 0, i64::from(u32::MAX)).map(|v| v as u32)
}

fn authentication(r: &mut Reader, k: &Node) -> Option<Authentication> {
    let mut kind = None;
    let mut pass: Option<Vec<u8>> = None;
    for c in k.children() {
        match c.name() {
            "auth_type" => {
                if let Some(w) = r.arg(c, 0) {
                    match w.text.as_str() {
                        "PASS" => kind = Some(false),
                        "AH" => kind = Some(true),
                        other => r.push(
                            Diagnostic::error(
                                "invalid-value",
                                &w.span,
                                format!("unknown auth_type `{other}`"),
                            )
                            .with_help("use PASS or AH"),
                        ),
                    }
                }
            }
            "auth_pass" => {
                if let Some(w) = r.arg(c, 0) {
                    // keepalived keeps at most 8 bytes (the field of the v2 header).
                    let mut b = w.text.as_bytes().to_vec();
                    b.truncate(8);
                    pass = Some(b);
                }
            }
            _ => {}
        }
    }
    match (kind, pass) {
        (Some(false), Some(p)) => Some(Authentication::Pass(p)),
        (Some(true), Some(p)) => Some(Authentication::Ah(p)),
        (Some(_), None) => {
            r.push(Diagnostic::error(
                "missing-required",
                k.span(),
                "authentication without `auth_pass`; keepalived ignores it",
            ));
            None
        }
        // keepalived says nothing and runs without authentication (a bad auth_type word was
        // reported above as an error).
        (None, _) => {
            r.push(
                Diagnostic::warning(
                    "missing-required",
                    k.span(),
                    "authentication without `auth_type`: keepalived ignores the block and sends adverts without authentication",
                )
                .with_help("add `auth_type PASS`, or remove the block"),
            );
            None
        }
    }
}

/// `<IP>[/len] [brd IP] [dev IF] [scope S] [label L] ...` lines.
/// All VIPs, and all unicast peers, must be of the instance's family (its first VIP's, else
/// its first peer's); keepalived drops the others (vrrp_parser.c, "address family must match
/// VRRP instance", "MUST be of the same family").
fn mixed_families(r: &mut Reader, node: &Node, i: &VrrpInstance) {
    let Some(v6) = i
        .virtual_ipaddress
        .first()
        .map(|v| v.addr.is_ipv6())
        .or_else(|| i.unicast_peer.first().map(|p| p.addr.is_ipv6()))
    else {
        return;
    };
    let family = if v6 { "IPv6" } else { "IPv4" };
    for v in i
        .virtual_ipaddress
        .iter()
        .filter(|v| v.addr.is_ipv6() != v6)
    {
        r.push(
            Diagnostic::error(
                "invalid-value",
                &v.span,
                format!("{} is not {family} like the instance's first VIP; keepalived ignores it", v.addr),
            )
            .with_help("one instance advertises one family: put the other family's VIPs in their own vrrp_instance (or in virtual_ipaddress_excluded)"),
        );
    }
    let peer_lines = node
        .children()
        .iter()
        .filter(|k| k.name() == "unicast_peer")
        .flat_map(|k| k.children());
    for line in peer_lines {
        let Ok(addr) = line.name().parse::<IpAddr>() else {
            continue;
        };
        if addr.is_ipv6() != v6 {
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    line.span(),
                    format!("unicast peer {addr} is not {family} like the instance; keepalived skips it"),
                )
                .with_help("peers must be of the instance's address family"),
            );
        }
    }
}

/// keepalived's longest address label (IFNAMSIZ - 1).
const MAX_LABEL: usize = 15;

fn vips(r: &mut Reader, k: &Node) -> Vec<VirtualIp> {
    let mut out = Vec::new();
    for line in k.children() {
        let words: Vec<_> = line.words().collect();
        let first = words[0];
        let (addr_s, len_s) = match first.text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (first.text.as_str(), None),
        };
        let Ok(addr) = addr_s.parse::<IpAddr>() else {
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    &first.span,
                    format!("`{}` is not an IP address", first.text),
                )
                .with_help("write one address per line: IP[/PREFIX] [dev IF] [label L] ..."),
            );
            continue;
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match len_s {
            None => max,
            Some(l) => match l.parse::<u8>() {
                Ok(v) if v <= max => v,
                _ => {
                    r.push(Diagnostic::error(
                        "value-out-of-range",
                        &first.span,
                        format!("prefix length `/{l}` is not within 0..={max}"),
                    ));
                    continue;
                }
            },
        };
        let mut v = VirtualIp {
            addr,
            prefix_len,
            brd: None,
            dev: None,
            scope: None,
            label: None,
            no_track: false,
            opts: Default::default(),
            span: first.span.clone(),
        };
        let mut i = 1;
        let mut skip = false;
        // `brd +` / `brd -`: computed once the prefix is final (a peer changes it).
        let mut brd_auto: Option<bool> = None;
        let mut brd_given = false;
        while i < words.len() {
            let w = words[i];
            if w.text.starts_with("//") || w.text.starts_with(';') {
                // Lint's not-a-comment reports it; the rest of the line is the "comment".
                break;
            }
            let val = words.get(i + 1).map(|w| w.text.clone());
            let takes = match w.text.as_str() {
                "brd" | "broadcast" => {
                    if addr.is_ipv6() {
                        r.push(Diagnostic::error(
                            "invalid-value",
                            &w.span,
                            format!(
                                "IPv6 has no broadcast address; keepalived skips the VIP {addr}"
                            ),
                        ));
                        skip = true;
                    }
                    brd_given = true;
                    match val.as_deref() {
                        Some("+") => brd_auto = Some(true),
                        Some("-") => brd_auto = Some(false),
                        s => v.brd = s.and_then(|s| s.parse().ok()),
                    }
                    true
                }
                "dev" => {
                    v.dev = val.clone();
                    true
                }
                "scope" => {
                    v.scope = val.clone();
                    true
                }
                "label" => {
                    match &val {
                        _ if addr.is_ipv6() => r.push(Diagnostic::error(
                            "invalid-value",
                            &w.span,
                            format!("IPv6 addresses have no labels; keepalived ignores the label of {addr}"),
                        )),
                        Some(l) if l.len() > MAX_LABEL => {
                            r.push(Diagnostic::error(
                                "invalid-value",
                                &w.span,
                                format!("label `{l}` is longer than {MAX_LABEL} characters; keepalived drops the VIP {addr}"),
                            ).with_help("labels are IFNAME:TAG, at most 15 characters in all"));
                            skip = true;
                        }
                        _ => {}
                    }
                    v.label = val.clone();
                    true
                }
                "peer" => {
                    if let Some(p) = &val {
                        vip_peer(r, &mut v, w, p);
                    }
                    true
                }
                "preferred_lft" => {
                    match val.as_deref() {
                        Some("forever") => v.opts.preferred_lft = Some(u32::MAX),
                        Some(n) => match n.parse::<u32>() {
                            Ok(n) => v.opts.preferred_lft = Some(n),
                            Err(_) => r.push(
                                Diagnostic::error(
                                    "invalid-value",
                                    &w.span,
                                    format!("preferred_lft {n} is invalid; keepalived ignores it"),
                                )
                                .with_help("a number of seconds (0..4294967295) or `forever`"),
                            ),
                        },
                        None => {}
                    }
                    true
                }
                "no_track" => {
                    v.no_track = true;
                    false
                }
                "home" | "-nodad" | "mngtmpaddr" | "noprefixroute" | "autojoin" => {
                    let o = &mut v.opts;
                    *match w.text.as_str() {
                        "home" => &mut o.home,
                        "-nodad" => &mut o.dad,
                        "mngtmpaddr" => &mut o.mngtmpaddr,
                        "noprefixroute" => &mut o.noprefixroute,
                        _ => &mut o.autojoin,
                    } = true;
                    false
                }
                "use_vmac" => {
                    vip_option_not_run(r, w);
                    false
                }
                other => {
                    r.push(
                        Diagnostic::error(
                            "invalid-value",
                            &w.span,
                            format!("unknown option `{other}` for a virtual address; keepalived ignores it"),
                        )
                        .with_help("options are brd, dev, scope, label, peer, home, -nodad, mngtmpaddr, noprefixroute, autojoin, no_track, preferred_lft, use_vmac; a comment needs `#` or `!`"),
                    );
                    false
                }
            };
            if takes {
                if val.is_none() {
                    r.push(Diagnostic::error(
                        "invalid-value",
                        &w.span,
                        format!("`{}` is missing its value", w.text),
                    ));
                }
                i += 1;
            }
            i += 1;
        }
        vip_broadcast(r, &mut v, brd_auto, brd_given);
        if !skip {
            out.push(v);
        }
    }
    out
}

/// `peer ADDR` on a virtual address, as keepalived reads it: a bare address of the VIP's
/// family; the VIP's own prefix is then the peer's (a host prefix).
fn vip_peer(r: &mut Reader, v: &mut VirtualIp, w: &Word, p: &str) {
    let err = |r: &mut Reader, text: String| {
        r.push(Diagnostic::error("invalid-value", &w.span, text));
    };
    if v.opts.peer.is_some() {
        return err(
            r,
            format!("Peer {p} - another peer has already been specified"),
        );
    }
    let Ok(peer) = p.parse::<IpAddr>() else {
        return err(
            r,
            format!("Invalid peer address {p}; keepalived ignores it"),
        );
    };
    if peer.is_ipv6() != v.addr.is_ipv6() {
        return err(r, format!("Peer address {p} does not match address family"));
    }
    let max = if peer.is_ipv6() { 128 } else { 32 };
    if v.prefix_len != max {
        err(
            r,
            "Cannot specify address prefix when specifying peer address - ignoring".into(),
        );
    }
    v.prefix_len = max;
    v.opts.peer = Some(peer);
}

/// keepalived's broadcast rules once the line is read: none beside a peer; `brd +` / `brd -`
/// set the host bits of the address (the peer's, with one) for prefixes up to /30.
fn vip_broadcast(r: &mut Reader, v: &mut VirtualIp, auto: Option<bool>, given: bool) {
    if given && v.opts.peer.is_some() {
        r.push(Diagnostic::error(
            "invalid-value",
            &v.span,
            "Cannot specify broadcast and peer addresses - ignoring broadcast address",
        ));
        v.brd = None;
        return;
    }
    let Some(plus) = auto else { return };
    let base = match v.opts.peer.unwrap_or(v.addr) {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(_) => return,
    };
    if v.prefix_len > 30 {
        r.push(Diagnostic::error(
            "invalid-value",
            &v.span,
            format!(
                "Address prefix length {} too long for broadcast",
                v.prefix_len
            ),
        ));
        return;
    }
    let host = u32::MAX >> v.prefix_len;
    let b = if plus { base | host } else { base & !host };
    v.brd = Some(IpAddr::V4(b.into()));
}

/// The `not-run-by-vrrpd` note for an option of a virtual_ipaddress line vrrpd does not apply.
fn vip_option_not_run(r: &mut Reader, w: &Word) {
    if let Some((_, why)) = super::VIP_OPTIONS_NOT_RUN_YET
        .iter()
        .find(|(o, _)| *o == w.text)
    {
        let what = format!("`{}` on a virtual address", w.text);
        r.push(super::not_run_note(
            super::NotRun::Vrrp,
            &w.span,
            &what,
            why,
        ));
    }
}

fn routes(k: &Node) -> Vec<VirtualRoute> {
    k.children()
        .iter()
        .map(|l| VirtualRoute {
            words: l.words().map(|w| w.text.clone()).collect(),
            span: l.span().clone(),
        })
        .collect()
}

fn peers(r: &mut Reader, k: &Node) -> Vec<UnicastPeer> {
    let mut out = Vec::new();
    for line in k.children() {
        let words: Vec<_> = line.words().collect();
        let Some(addr) = r.ip("unicast_peer", words[0]) else {
            continue;
        };
        let mut p = UnicastPeer {
            addr,
            min_ttl: None,
            max_ttl: None,
        };
        let mut i = 1;
        while i < words.len() {
            let w = words[i];
            match (w.text.as_str(), words.get(i + 1)) {
                ("min_ttl", Some(v)) => p.min_ttl = r.int("min_ttl", v, 0, 255).map(|v| v as u8),
                ("max_ttl", Some(v)) => p.max_ttl = r.int("max_ttl", v, 0, 255).map(|v| v as u8),
                (other, _) => {
                    r.push(Diagnostic::error(
                        "invalid-value",
                        &w.span,
                        format!("unknown option `{other}` for a unicast peer"),
                    ));
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        out.push(p);
    }
    out
}

/// keepalived's end-of-config fix-ups for one instance.
pub(crate) fn finish(i: &mut VrrpInstance, raw: Pending, g: &GlobalDefs, r: &mut Reader) {
    let ipv6 = raw.native_ipv6
        || i.virtual_ipaddress
            .first()
            .is_some_and(|v| v.addr.is_ipv6());
    // All VIPs take the family of the first one.
    if let Some(first) = i.virtual_ipaddress.first() {
        let v6 = first.addr.is_ipv6();
        i.virtual_ipaddress.retain(|v| v.addr.is_ipv6() == v6);
    }
    i.version = if ipv6 {
        3
    } else {
        raw.version.unwrap_or(g.vrrp_version)
    };
    let strict = i.strict_mode.unwrap_or(g.vrrp_strict);
    i.strict_mode = Some(strict);
    i.priority = match (raw.priority, i.state) {
        (Some(p), _) => p,
        (None, Some(InitialState::Master)) => 255,
        (None, _) => 100,
    };
    // Authentication does not exist in v3, strict mode, or AH over IPv6.
    if i.version == 3 || strict || (ipv6 && matches!(i.authentication, Some(Authentication::Ah(_))))
    {
        i.authentication = None;
    }
    if matches!(i.authentication, Some(Authentication::Ah(_)))
        && i.state == Some(InitialState::Master)
        && i.priority != 255
    {
        i.state = Some(InitialState::Backup);
    }
    // vrrp_complete_instance's order: in strict mode `state` follows being the address owner
    // first ("State MASTER must match being address owner"), and only then do the owner and
    // `state MASTER` clear nopreempt, and `state MASTER` / strict / nopreempt clear
    // preempt_delay - so a strict `state MASTER` below 255 keeps its nopreempt as a BACKUP.
    let owner = i.priority == 255;
    if strict
        && i.state
            .is_some_and(|s| (s == InitialState::Master) != owner)
    {
        i.state = Some(if owner {
            InitialState::Master
        } else {
            InitialState::Backup
        });
    }
    let master = i.initial_state() == InitialState::Master;
    if owner || master {
        i.nopreempt = false;
    }
    if master || strict || i.nopreempt {
        i.preempt_delay = Duration::ZERO;
    }
    i.accept = match raw.accept {
        Some(a) => a,
        None => !strict || i.priority == 255,
    };
    // An address owner keeps accept mode (RFC 5798 §6.1: the owner always accepts).
    if strict && i.version == 2 && i.accept && i.priority != 255 {
        r.push(Diagnostic::error(
            "invalid-value",
            &i.span,
            format!(
                "({}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting",
                i.name
            ),
        ));
        i.accept = false;
    }
    i.advert_int = match &raw.advert_int {
        None => Duration::from_secs(1),
        Some((us, w)) => {
            let written = Duration::from_micros(*us);
            let runs = advert_int_as_keepalived(written, i.version);
            // v2's rounding is lint's v2-subsecond-advert; v3's is said here, as keepalived
            // says it ("must be in units of 10ms - rounding", "out of range").
            if i.version == 3 && runs != written {
                let why = if written > Duration::from_millis(40_950) {
                    "VRRPv3 carries at most 40.95 s (12 bits of centiseconds)"
                } else {
                    "VRRPv3 advertises whole centiseconds"
                };
                r.push(
                    Diagnostic::warning(
                        "value-out-of-range",
                        &w.span,
                        format!(
                            "{why}: advert_int {} runs as {} s, as in keepalived",
                            w.text,
                            runs.as_secs_f64()
                        ),
                    )
                    .with_help("write the interval keepalived runs"),
                );
            }
            runs
        }
    };
    i.garp_master_delay = i.garp_master_delay.or(Some(g.vrrp_garp_master_delay));
    i.garp_master_repeat = i.garp_master_repeat.or(Some(g.vrrp_garp_master_repeat));
    i.garp_master_refresh = i.garp_master_refresh.or(g.vrrp_garp_master_refresh);
    i.garp_master_refresh_repeat = i
        .garp_master_refresh_repeat
        .or(Some(g.vrrp_garp_master_refresh_repeat));
    // Unset, the lower-priority pair falls back to the globals, and unset globals to the
    // GLOBAL master values (vrrp_complete_init), not to this instance's garp_master_*.
    i.garp_lower_prio_delay = i
        .garp_lower_prio_delay
        .or(g.vrrp_garp_lower_prio_delay)
        .or(Some(g.vrrp_garp_master_delay));
    i.garp_lower_prio_repeat = i
        .garp_lower_prio_repeat
        .or(g.vrrp_garp_lower_prio_repeat)
        .or(Some(g.vrrp_garp_master_repeat));
    i.down_timer_adverts = raw.down_timer_adverts.unwrap_or(g.vrrp_down_timer_adverts);
    i.lower_prio_no_advert = Some(
        i.lower_prio_no_advert
            .unwrap_or(g.vrrp_lower_prio_no_advert),
    );
    i.higher_prio_send_advert = Some(
        i.higher_prio_send_advert
            .unwrap_or(g.vrrp_higher_prio_send_advert),
    );
    i.skip_check_adv_addr = Some(i.skip_check_adv_addr.unwrap_or(g.vrrp_skip_check_adv_addr));
    i.check_unicast_src = Some(
        i.check_unicast_src.unwrap_or(g.vrrp_check_unicast_src)
            || i.unicast_peer
                .iter()
                .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some()),
    );
    if strict {
        i.garp_lower_prio_delay = Some(Duration::ZERO);
        i.garp_lower_prio_repeat = Some(0);
        i.lower_prio_no_advert = Some(true);
        i.higher_prio_send_advert = Some(false);
        i.down_timer_adverts = 3;
    }
    vmac_fixups(i, strict, r);
}

/// keepalived's corrections of the VMAC keywords (vrrp_parser.c's end handler and
/// vrrp_complete_instance), each said as keepalived says it.
fn vmac_fixups(i: &mut VrrpInstance, strict: bool, r: &mut Reader) {
    let mut say = |text: String| r.push(Diagnostic::error("invalid-value", &i.span, text));
    if i.use_vmac.is_none() {
        if i.vmac_xmit_base {
            say(format!(
                "({}) vmac_xmit_base is only valid with a vmac",
                i.name
            ));
            i.vmac_xmit_base = false;
        }
        return;
    }
    if i.is_unicast() && !i.vmac_xmit_base {
        say(format!(
            "({}) unicast with use_vmac requires vmac_xmit_base - setting",
            i.name
        ));
        i.vmac_xmit_base = true;
    }
    if strict && i.vmac_mac.take().is_some() {
        say(format!(
            "({}): cannot specify MAC address with strict mode - clearing",
            i.name
        ));
    }
    if strict && i.vmac_xmit_base {
        say(format!(
            "({}) xmit_base is incompatible with strict mode - resetting",
            i.name
        ));
        i.vmac_xmit_base = false;
    }
    if i.promote_secondaries {
        say(format!(
            "({}) promote_secondaries is automatically set for vmacs - ignoring",
            i.name
        ));
        i.promote_secondaries = false;
    }
}
