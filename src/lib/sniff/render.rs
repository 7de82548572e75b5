//! Renderers: one line per event, either in tcpdump's spirit (text) or as a JSON object with
//! DESIGN.md's field names; and the end-of-run summary in both forms. Lines are appended to a
//! byte buffer so the hot path neither allocates nor locks stdout per packet.

use std::io::Write as _;

use owo_colors::Style;

use crate::wire::ethernet::format_mac;
use crate::wire::vrrp::{AUTH_AH, AUTH_NONE, AUTH_SIMPLE, TYPE_ADVERTISEMENT};
use crate::wire::ChecksumKind;

use super::decode::{Event, IpHeader, Malformed, VrrpPacket};
use super::fmt::*;
use super::summary::Report;

/// Paints text in a style, or not (`Output::paint` of the CLI).
pub type Paint<'a> = &'a dyn Fn(&str, Style) -> String;

/// Append one JSON object (and a newline) for `ev`.
pub fn json_line(buf: &mut Vec<u8>, ev: &Event) {
    match ev {
        Event::Vrrp(p) => json_vrrp(buf, p),
        Event::Garp { ts, arp } => {
            buf.extend_from_slice(b"{\"ts\":");
            push_epoch(buf, *ts);
            buf.extend_from_slice(b",\"kind\":\"garp\",\"src_mac\":\"");
            push_mac(buf, &arp.sender_mac);
            buf.extend_from_slice(b"\",\"ip\":\"");
            push_ip(buf, &arp.sender_ip.into());
            buf.extend_from_slice(b"\",\"op\":");
            push_u64(buf, u64::from(arp.op));
            buf.extend_from_slice(b"}\n");
        }
        Event::Na {
            ts,
            src,
            src_mac,
            na,
        } => {
            buf.extend_from_slice(b"{\"ts\":");
            push_epoch(buf, *ts);
            buf.extend_from_slice(b",\"kind\":\"na\",\"src\":\"");
            push_ip(buf, src);
            buf.extend_from_slice(b"\",\"src_mac\":");
            opt_mac(buf, src_mac.as_ref());
            buf.extend_from_slice(b",\"target\":\"");
            push_ip(buf, &na.target.into());
            buf.extend_from_slice(b"\",\"target_mac\":");
            opt_mac(buf, na.target_mac.as_ref());
            buf.extend_from_slice(b",\"override\":");
            bool_(buf, na.override_flag);
            buf.extend_from_slice(b",\"router\":");
            bool_(buf, na.router);
            buf.extend_from_slice(b",\"checksum_valid\":");
            bool_(buf, na.checksum_valid);
            buf.extend_from_slice(b"}\n");
        }
        Event::Malformed(m) => {
            buf.extend_from_slice(b"{\"ts\":");
            push_epoch(buf, m.ts);
            buf.extend_from_slice(b",\"kind\":\"malformed\",\"src\":");
            opt_ip(buf, m.src.as_ref());
            buf.extend_from_slice(b",\"dst\":");
            opt_ip(buf, m.dst.as_ref());
            buf.extend_from_slice(b",\"errors\":[{\"code\":\"malformed\",\"message\":");
            push_json_str(buf, &m.reason);
            buf.extend_from_slice(b"}]}\n");
        }
        Event::Undecoded(u) => {
            buf.extend_from_slice(b"{\"ts\":");
            push_epoch(buf, u.ts);
            buf.extend_from_slice(b",\"kind\":\"undecoded\",\"length\":");
            push_u64(buf, u.caplen as u64);
            buf.extend_from_slice(b",\"orig_len\":");
            push_u64(buf, u64::from(u.orig_len));
            buf.extend_from_slice(b",\"errors\":[{\"code\":\"");
            buf.extend_from_slice(u.code().as_bytes());
            buf.extend_from_slice(b"\",\"message\":");
            push_json_str(buf, &u.message());
            buf.extend_from_slice(b"}]}\n");
        }
    }
}

fn bool_(buf: &mut Vec<u8>, b: bool) {
    buf.extend_from_slice(if b { b"true" } else { b"false" });
}

fn opt_ip(buf: &mut Vec<u8>, ip: Option<&std::net::IpAddr>) {
    match ip {
        Some(ip) => {
            buf.push(b'"');
            push_ip(buf, ip);
            buf.push(b'"');
        }
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_mac(buf: &mut Vec<u8>, m: Option<&[u8; 6]>) {
    match m {
        Some(m) => {
            buf.push(b'"');
            push_mac(buf, m);
            buf.push(b'"');
        }
        None => buf.extend_from_slice(b"null"),
    }
}

fn json_vrrp(buf: &mut Vec<u8>, p: &VrrpPacket) {
    let a = &p.parsed.advert;
    buf.extend_from_slice(b"{\"ts\":");
    push_epoch(buf, p.ts);
    buf.extend_from_slice(b",\"kind\":\"vrrp\",\"src\":\"");
    push_ip(buf, &p.src);
    buf.extend_from_slice(b"\",\"dst\":\"");
    push_ip(buf, &p.dst);
    buf.extend_from_slice(b"\",\"ttl\":");
    push_u64(buf, u64::from(p.ip.ttl()));
    buf.extend_from_slice(b",\"version\":");
    push_u64(buf, u64::from(a.version));
    buf.extend_from_slice(b",\"type\":");
    if a.kind == TYPE_ADVERTISEMENT {
        buf.extend_from_slice(b"\"advertisement\"");
    } else {
        push_u64(buf, u64::from(a.kind));
    }
    buf.extend_from_slice(b",\"vrid\":");
    push_u64(buf, u64::from(a.vrid));
    buf.extend_from_slice(b",\"priority\":");
    push_u64(buf, u64::from(a.priority));
    buf.extend_from_slice(b",\"addr_count\":");
    push_u64(buf, u64::from(a.addr_count));
    buf.extend_from_slice(b",\"auth_type\":");
    if a.version == 2 {
        match a.auth_type {
            AUTH_NONE => buf.extend_from_slice(b"\"none\""),
            AUTH_SIMPLE => buf.extend_from_slice(b"\"simple\""),
            AUTH_AH => buf.extend_from_slice(b"\"ah\""),
            n => push_u64(buf, u64::from(n)),
        }
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.extend_from_slice(b",\"auth\":");
    if a.version == 2 && a.auth_type == AUTH_SIMPLE {
        push_json_str(buf, &String::from_utf8_lossy(a.auth_password()));
    } else {
        buf.extend_from_slice(b"null");
    }
    buf.extend_from_slice(b",\"advert_int_cs\":");
    push_u64(buf, u64::from(a.advert_int_cs));
    buf.extend_from_slice(b",\"checksum\":");
    push_u64(buf, u64::from(a.checksum));
    buf.extend_from_slice(b",\"checksum_valid\":");
    bool_(buf, p.parsed.checksum_kind.is_some());
    buf.extend_from_slice(b",\"checksum_kind\":");
    buf.extend_from_slice(match p.parsed.checksum_kind {
        Some(ChecksumKind::PseudoHeader) => b"\"pseudo-header\"",
        Some(ChecksumKind::NoPseudoHeader) => b"\"no-pseudo-header\"",
        None => b"null",
    });
    buf.extend_from_slice(b",\"addresses\":[");
    for (i, ip) in a.addresses.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'"');
        push_ip(buf, ip);
        buf.push(b'"');
    }
    buf.extend_from_slice(b"],\"errors\":[");
    for (i, e) in p.parsed.errors.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"code\":\"");
        buf.extend_from_slice(e.code().as_bytes());
        buf.extend_from_slice(b"\",\"message\":");
        push_json_str(buf, &e.to_string());
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"length\":");
    push_u64(buf, p.length as u64);
    buf.extend_from_slice(b",\"src_mac\":");
    opt_mac(buf, p.src_mac.as_ref());
    match &p.ip {
        IpHeader::V4(m) => {
            buf.extend_from_slice(b",\"tos\":");
            push_u64(buf, u64::from(m.tos));
            buf.extend_from_slice(b",\"ip_id\":");
            push_u64(buf, u64::from(m.id));
        }
        IpHeader::V6(m) => {
            buf.extend_from_slice(b",\"tos\":");
            push_u64(buf, u64::from(m.traffic_class));
            buf.extend_from_slice(b",\"flow_label\":");
            push_u64(buf, u64::from(m.flow_label));
        }
    }
    if let Some(ah) = p.ip.ah() {
        buf.extend_from_slice(b",\"ah\":{\"spi\":");
        push_u64(buf, u64::from(ah.spi));
        buf.extend_from_slice(b",\"seq\":");
        push_u64(buf, u64::from(ah.seq));
        buf.push(b'}');
    }
    buf.extend_from_slice(b"}\n");
}

/// tcpdump's names for the next headers a VRRP capture carries (its `ipproto_values`).
fn ipproto_name(p: u8) -> &'static str {
    match p {
        0 => "Options",
        6 => "TCP",
        17 => "UDP",
        43 => "Routing",
        44 => "Fragment",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        112 => "VRRP",
        _ => "unknown",
    }
}

/// Append one text line for `ev`; `verbose` adds the IP header (tcpdump's `-v`).
pub fn text_line(buf: &mut Vec<u8>, ev: &Event, verbose: bool, paint: Paint<'_>) {
    match ev {
        Event::Vrrp(p) => text_vrrp(buf, p, verbose, paint),
        Event::Garp { ts, arp } => {
            push_time_of_day(buf, *ts);
            let line = format!(
                " ARP, gratuitous, {} is-at {} (a new master announcing its address)",
                arp.sender_ip,
                format_mac(&arp.sender_mac)
            );
            buf.extend_from_slice(paint(&line, Style::new().cyan()).as_bytes());
            buf.push(b'\n');
        }
        Event::Na { ts, src, na, .. } => {
            push_time_of_day(buf, *ts);
            let mac = na
                .target_mac
                .map(|m| format_mac(&m))
                .unwrap_or_else(|| "?".into());
            let line = format!(
                " IP6 {src} > ff02::1: ICMP6, unsolicited neighbor advertisement, tgt is {} is-at {mac}{}",
                na.target,
                if na.override_flag { ", override" } else { "" }
            );
            buf.extend_from_slice(paint(&line, Style::new().cyan()).as_bytes());
            buf.push(b'\n');
        }
        Event::Malformed(m) => text_malformed(buf, m, paint),
        Event::Undecoded(u) => {
            push_time_of_day(buf, u.ts);
            let flag = format!(" [{}]", u.message());
            buf.extend_from_slice(paint(&flag, Style::new().red().bold()).as_bytes());
            buf.push(b'\n');
        }
    }
}

fn text_malformed(buf: &mut Vec<u8>, m: &Malformed, paint: Paint<'_>) {
    push_time_of_day(buf, m.ts);
    let who = match (m.src, m.dst) {
        (Some(s), Some(d)) => format!(" {} {s} > {d}:", if s.is_ipv6() { "IP6" } else { "IP" }),
        _ => String::new(),
    };
    buf.extend_from_slice(who.as_bytes());
    let flag = format!(" VRRP [malformed: {}]", m.reason);
    buf.extend_from_slice(paint(&flag, Style::new().red().bold()).as_bytes());
    buf.push(b'\n');
}

fn text_vrrp(buf: &mut Vec<u8>, p: &VrrpPacket, verbose: bool, paint: Paint<'_>) {
    let a = &p.parsed.advert;
    push_time_of_day(buf, p.ts);
    match &p.ip {
        IpHeader::V4(m) if verbose => {
            let flags = match m.flags & 0x6 {
                0 => "none",
                2 => "DF",
                4 => "+",
                _ => "DF+",
            };
            let proto = if m.protocol == 51 {
                "AH (51)"
            } else {
                "VRRP (112)"
            };
            let _ = std::io::Write::write_fmt(
                buf,
                format_args!(
                    " IP (tos {:#x}, ttl {}, id {}, offset {}, flags [{flags}], proto {proto}, length {}{})",
                    m.tos,
                    m.ttl,
                    m.id,
                    u32::from(m.frag_offset) * 8,
                    m.total_len,
                    if m.checksum_valid { "" } else { ", bad cksum" }
                ),
            );
        }
        IpHeader::V6(m) if verbose => {
            // tcpdump 4.99's ip6_print: class and flow label only when non-zero, and no comma
            // before "payload length".
            buf.extend_from_slice(b" IP6 (");
            if m.traffic_class != 0 {
                let _ = write!(buf, "class 0x{:02x}, ", m.traffic_class);
            }
            if m.flow_label != 0 {
                let _ = write!(buf, "flowlabel 0x{:05x}, ", m.flow_label);
            }
            let _ = write!(
                buf,
                "hlim {}, next-header {} ({}) payload length: {})",
                m.hop_limit,
                ipproto_name(m.next_header),
                m.next_header,
                m.payload_len
            );
        }
        IpHeader::V4(_) => buf.extend_from_slice(b" IP"),
        IpHeader::V6(_) => buf.extend_from_slice(b" IP6"),
    }
    buf.push(b' ');
    push_ip(buf, &p.src);
    buf.extend_from_slice(b" > ");
    push_ip(buf, &p.dst);
    buf.extend_from_slice(b": ");
    if let Some(ah) = p.ip.ah() {
        buf.extend_from_slice(b"AH(spi=");
        let _ =
            std::io::Write::write_fmt(buf, format_args!("{:#010x},seq={:#x}): ", ah.spi, ah.seq));
    }
    buf.extend_from_slice(b"VRRPv");
    push_u64(buf, u64::from(a.version));
    if a.kind == TYPE_ADVERTISEMENT {
        buf.extend_from_slice(b", Advertisement");
    } else {
        buf.extend_from_slice(b", unknown type (");
        push_u64(buf, u64::from(a.kind));
        buf.push(b')');
    }
    if p.ip.ttl() != 255 {
        buf.extend_from_slice(b", (ttl ");
        push_u64(buf, u64::from(p.ip.ttl()));
        buf.push(b')');
    }
    buf.extend_from_slice(b", vrid ");
    push_u64(buf, u64::from(a.vrid));
    if a.priority == 0 {
        buf.extend_from_slice(b", ");
        buf.extend_from_slice(
            paint("prio 0 (master leaving)", Style::new().yellow().bold()).as_bytes(),
        );
    } else {
        buf.extend_from_slice(b", prio ");
        push_u64(buf, u64::from(a.priority));
    }
    if a.version == 2 {
        buf.extend_from_slice(b", authtype ");
        match a.auth_type {
            AUTH_NONE => buf.extend_from_slice(b"none"),
            AUTH_SIMPLE => buf.extend_from_slice(b"simple"),
            AUTH_AH => buf.extend_from_slice(b"ah"),
            n => push_u64(buf, u64::from(n)),
        }
        buf.extend_from_slice(b", intvl ");
        push_u64(buf, u64::from(a.advert_int_cs / 100));
        buf.push(b's');
    } else {
        buf.extend_from_slice(b", intvl ");
        push_u64(buf, u64::from(a.advert_int_cs));
        buf.extend_from_slice(b"cs");
    }
    buf.extend_from_slice(b", length ");
    push_u64(buf, p.length as u64);
    buf.extend_from_slice(b", addrs");
    if a.addresses.len() > 1 {
        buf.push(b'(');
        push_u64(buf, a.addresses.len() as u64);
        buf.push(b')');
    }
    buf.push(b':');
    for (i, ip) in a.addresses.iter().enumerate() {
        buf.push(if i == 0 { b' ' } else { b',' });
        push_ip(buf, ip);
    }
    if a.version == 2 && a.auth_type == AUTH_SIMPLE {
        buf.extend_from_slice(b" auth \"");
        push_tcpdump_auth(buf, &a.auth_data);
        buf.push(b'"');
    }
    if !p.parsed.errors.is_empty() {
        let msgs: Vec<String> = p.parsed.errors.iter().map(|e| e.to_string()).collect();
        let flag = format!(" [INVALID: {}]", msgs.join("; "));
        buf.extend_from_slice(paint(&flag, Style::new().red().bold()).as_bytes());
    }
    buf.push(b'\n');
}

/// The summary as one JSON line: `{"summary": ...}`.
pub fn json_summary(buf: &mut Vec<u8>, r: &Report) {
    let v = serde_json::json!({ "summary": r });
    // Serializing plain data into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, &v);
    buf.push(b'\n');
}

fn time_of_day(ts: super::source::Timestamp) -> String {
    let mut b = Vec::new();
    push_time_of_day(&mut b, ts);
    String::from_utf8_lossy(&b).into_owned()
}

/// The summary as text, after a blank line.
pub fn text_summary(buf: &mut Vec<u8>, r: &Report, paint: Paint<'_>) {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{} VRRP adverts ({} invalid, {} malformed), {} gratuitous ARP, {} unsolicited NA",
        r.packets, r.invalid, r.malformed, r.garp, r.na
    );
    if r.undecoded > 0 {
        let line = format!(
            "{} capture record{} could not be decoded",
            r.undecoded,
            if r.undecoded == 1 { "" } else { "s" }
        );
        let _ = writeln!(s, "{}", paint(&line, Style::new().red()));
    }
    for v in &r.vrids {
        let master = match v.master {
            Some(m) => format!("master {m}"),
            None => "no master (the last one left)".into(),
        };
        let head = format!("VRID {} (IPv{}): {master}", v.vrid, v.family);
        let head = if v.split_brain || v.collision {
            paint(&head, Style::new().red().bold())
        } else {
            paint(&head, Style::new().bold())
        };
        let _ = writeln!(s, "{head}");
        for sp in &v.speakers {
            let prios: Vec<String> = sp.priorities.iter().map(|p| p.to_string()).collect();
            let auth = match (&sp.auth, sp.version) {
                (Some(pw), _) => format!("auth simple \"{pw}\""),
                (None, 2) => format!("auth {}", sp.auth_type),
                _ => String::new(),
            };
            let observed = match (sp.observed_interval_ms, sp.jitter_ms) {
                (Some(m), Some(j)) => format!("observed {m:.1}ms jitter {j:.1}ms"),
                _ => "observed -".into(),
            };
            let _ = writeln!(
                s,
                "  {:<26} prio {:<8} v{} {:<22} intvl {} {}  {} adverts{}{}",
                sp.src.to_string(),
                prios.join("->"),
                sp.version,
                auth,
                super::summary::interval_text(sp.version, sp.advert_int_cs),
                observed,
                sp.adverts,
                if sp.invalid > 0 {
                    format!(", {} invalid", sp.invalid)
                } else {
                    String::new()
                },
                if sp.shutdown_adverts > 0 {
                    format!(", {} priority-0", sp.shutdown_adverts)
                } else {
                    String::new()
                },
            );
        }
        // The first entry only repeats "master X" unless someone took over later.
        if v.timeline.len() > 1 {
            let _ = writeln!(s, "  master changes:");
            for c in &v.timeline {
                let who = match c.from {
                    Some(f) => format!("{f} -> {}", c.to),
                    None => c.to.to_string(),
                };
                let _ = writeln!(s, "    {} {who} ({})", time_of_day(c.ts), c.reason);
            }
        }
        for pr in &v.problems {
            let line = format!("  ! {}: {}", pr.code, pr.message);
            let _ = writeln!(s, "{}", paint(&line, Style::new().red()));
        }
    }
    for a in &r.addresses {
        let macs: Vec<String> = a
            .macs
            .iter()
            .map(|m| format!("{} ({}x)", m.mac, m.announcements))
            .collect();
        let _ = writeln!(s, "address {} announced by {}", a.ip, macs.join(", "));
        for m in &a.moves {
            let _ = writeln!(s, "    {} moved {} -> {}", time_of_day(m.ts), m.from, m.to);
        }
    }
    for pr in &r.problems {
        let line = format!("! {}: {}", pr.code, pr.message);
        let _ = writeln!(s, "{}", paint(&line, Style::new().red().bold()));
    }
    buf.extend_from_slice(s.as_bytes());
}
