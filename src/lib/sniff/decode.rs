//! From a captured frame to what sniff reports: a VRRP advertisement with every receive check
//! it fails, a gratuitous ARP or unsolicited NA (what a new master sends), or a VRRP-looking
//! packet too broken to decode. A record that cannot be decoded at all (a link type sniff does
//! not read, a record cut before it shows what it carries, a record header whose lengths
//! disagree) is reported as such, one event per record, as tcpdump does. Everything else is
//! not ours and yields nothing.

use std::net::IpAddr;

use crate::wire::arp::parse_arp;
use crate::wire::ethernet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::wire::ndisc::{parse_na, ICMPV6_NEIGHBOR_ADVERT, IPPROTO_ICMPV6};
use crate::wire::vrrp::{check_ah, check_ttl, IPPROTO_AH, IPPROTO_VRRP};
use crate::wire::{
    parse_advert, parse_ipv4, parse_ipv6, Arp, Ipv4Meta, Ipv6Meta, NeighborAdvert, Parsed,
    ValidationError,
};

use super::link::{is_known_linktype, network};
use super::source::{Frame, Timestamp};

/// The IP header a VRRP message came in.
#[derive(Debug, Clone, Copy)]
pub enum IpHeader {
    V4(Ipv4Meta),
    V6(Ipv6Meta),
}

impl IpHeader {
    pub fn ttl(&self) -> u8 {
        match self {
            IpHeader::V4(m) => m.ttl,
            IpHeader::V6(m) => m.hop_limit,
        }
    }
    pub fn ah(&self) -> Option<crate::wire::AhHeader> {
        match self {
            IpHeader::V4(m) => m.ah,
            IpHeader::V6(m) => m.ah,
        }
    }
}

/// A decoded advertisement and the checks it fails, in keepalived's order where it has one:
/// AH presence, TTL, then what the message itself shows.
#[derive(Debug, Clone)]
pub struct VrrpPacket {
    pub ts: Timestamp,
    pub ip: IpHeader,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_mac: Option<[u8; 6]>,
    /// Length of the VRRP message (the IP payload after any AH header).
    pub length: usize,
    pub parsed: Parsed,
}

impl VrrpPacket {
    pub fn errors(&self) -> &[ValidationError] {
        &self.parsed.errors
    }
}

/// Something VRRP-related that could not be decoded (cut short, bad lengths).
#[derive(Debug, Clone)]
pub struct Malformed {
    pub ts: Timestamp,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub reason: String,
}

/// Why a capture record could not be decoded at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndecodedReason {
    /// A link-layer header type sniff does not read (tcpdump: "UNSUPPORTED").
    UnknownLinkType(u32),
    /// The record was cut (snap length) before the headers that say whether it is VRRP
    /// (tcpdump: `[|ether]`, `[|ip]`).
    Truncated,
    /// The record header says fewer bytes were on the wire than were captured (tcpdump:
    /// "[Invalid header: len(N) < caplen(M)]").
    BadRecordLength,
}

/// A capture record that could not be decoded.
#[derive(Debug, Clone)]
pub struct Undecoded {
    pub ts: Timestamp,
    pub reason: UndecodedReason,
    /// Bytes captured.
    pub caplen: usize,
    /// Bytes on the wire, as the record header says.
    pub orig_len: u32,
}

impl Undecoded {
    /// A stable code for JSON output.
    pub fn code(&self) -> &'static str {
        match self.reason {
            UndecodedReason::UnknownLinkType(_) => "unknown-link-type",
            UndecodedReason::Truncated => "truncated",
            UndecodedReason::BadRecordLength => "bad-record-length",
        }
    }

    pub fn message(&self) -> String {
        match self.reason {
            UndecodedReason::UnknownLinkType(t) => {
                format!("link type {t} is not decoded, {} bytes", self.caplen)
            }
            UndecodedReason::Truncated => format!(
                "truncated: {} of {} bytes captured, too few to decode",
                self.caplen, self.orig_len
            ),
            UndecodedReason::BadRecordLength => format!(
                "invalid record header: {} bytes on the wire but {} captured",
                self.orig_len, self.caplen
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    Vrrp(Box<VrrpPacket>),
    Garp {
        ts: Timestamp,
        arp: Arp,
    },
    Na {
        ts: Timestamp,
        src: IpAddr,
        src_mac: Option<[u8; 6]>,
        na: NeighborAdvert,
    },
    Malformed(Malformed),
    Undecoded(Undecoded),
}

impl Event {
    pub fn ts(&self) -> Timestamp {
        match self {
            Event::Vrrp(p) => p.ts,
            Event::Garp { ts, .. } | Event::Na { ts, .. } => *ts,
            Event::Malformed(m) => m.ts,
            Event::Undecoded(u) => u.ts,
        }
    }
}

/// Decode one frame; None for traffic that is neither VRRP nor a takeover announcement.
pub fn decode(frame: &Frame<'_>) -> Option<Event> {
    let undecoded = |reason| {
        Some(Event::Undecoded(Undecoded {
            ts: frame.ts,
            reason,
            caplen: frame.data.len(),
            orig_len: frame.orig_len,
        }))
    };
    if (frame.orig_len as usize) < frame.data.len() {
        return undecoded(UndecodedReason::BadRecordLength);
    }
    if !is_known_linktype(frame.linktype) {
        return undecoded(UndecodedReason::UnknownLinkType(frame.linktype));
    }
    let cut = frame.data.len() < frame.orig_len as usize;
    let ev = decode_known(frame);
    if ev.is_none() && cut && !tells_what_it_carries(frame) {
        return undecoded(UndecodedReason::Truncated);
    }
    match ev {
        // Say that the capture cut it, not the sender.
        Some(Event::Malformed(mut m)) if cut => {
            m.reason = format!(
                "{} (the capture kept {} of {} bytes)",
                m.reason,
                frame.data.len(),
                frame.orig_len
            );
            Some(Event::Malformed(m))
        }
        ev => ev,
    }
}

/// Whether a frame keeps enough of its headers to tell whether it is VRRP, ARP or an NA.
fn tells_what_it_carries(frame: &Frame<'_>) -> bool {
    let Some(net) = network(frame.linktype, frame.data) else {
        return false;
    };
    match net.ethertype {
        ETHERTYPE_IPV4 => net.payload.len() >= 20,
        ETHERTYPE_IPV6 => net.payload.len() >= 40,
        ETHERTYPE_ARP => net.payload.len() >= 28,
        _ => true,
    }
}

fn decode_known(frame: &Frame<'_>) -> Option<Event> {
    let net = network(frame.linktype, frame.data)?;
    let ts = frame.ts;
    match net.ethertype {
        ETHERTYPE_IPV4 => {
            let b = net.payload;
            // Only look closer at what claims to be VRRP (or AH, which keepalived uses for it).
            if b.len() < 10 || b[0] >> 4 != 4 || !matches!(b[9], IPPROTO_VRRP | IPPROTO_AH) {
                return None;
            }
            let (meta, payload) = match parse_ipv4(b) {
                Ok(x) => x,
                Err(e) => return Some(malformed(ts, ipv4_addrs(b), e.to_string())),
            };
            if meta.upper_protocol() != IPPROTO_VRRP {
                return None;
            }
            let mut pre = Vec::new();
            if meta.is_fragment() {
                pre.push(ValidationError::Fragmented);
            }
            if !meta.checksum_valid {
                pre.push(ValidationError::BadIpChecksum);
            }
            vrrp(
                ts,
                IpHeader::V4(meta),
                meta.src.into(),
                meta.dst.into(),
                net.src_mac,
                payload,
                pre,
            )
        }
        ETHERTYPE_IPV6 => {
            let b = net.payload;
            if b.len() < 40 || b[0] >> 4 != 6 {
                return None;
            }
            let (meta, payload) = match parse_ipv6(b) {
                Ok(x) => x,
                Err(e) => {
                    return (matches!(b[6], IPPROTO_VRRP | IPPROTO_AH))
                        .then(|| malformed(ts, ipv6_addrs(b), e.to_string()))
                }
            };
            match meta.upper_protocol {
                IPPROTO_VRRP => {
                    let pre = if meta.fragment {
                        vec![ValidationError::Fragmented]
                    } else {
                        Vec::new()
                    };
                    vrrp(
                        ts,
                        IpHeader::V6(meta),
                        meta.src.into(),
                        meta.dst.into(),
                        net.src_mac,
                        payload,
                        pre,
                    )
                }
                IPPROTO_ICMPV6 if payload.first() == Some(&ICMPV6_NEIGHBOR_ADVERT) => {
                    let na = parse_na(payload, meta.src, meta.dst).ok()?;
                    // Only unsolicited ones: a solicited NA is ordinary neighbour discovery.
                    (!na.solicited).then_some(Event::Na {
                        ts,
                        src: meta.src.into(),
                        src_mac: net.src_mac,
                        na,
                    })
                }
                _ => None,
            }
        }
        ETHERTYPE_ARP => {
            let arp = parse_arp(net.payload).ok()?;
            arp.is_gratuitous().then_some(Event::Garp { ts, arp })
        }
        _ => None,
    }
}

fn vrrp(
    ts: Timestamp,
    ip: IpHeader,
    src: IpAddr,
    dst: IpAddr,
    src_mac: Option<[u8; 6]>,
    payload: &[u8],
    mut pre: Vec<ValidationError>,
) -> Option<Event> {
    let mut parsed = match parse_advert(payload, src, dst) {
        Ok(p) => p,
        Err(e) => return Some(malformed(ts, (Some(src), Some(dst)), e.to_string())),
    };
    if let Some(e) = check_ah(&parsed.advert, ip.ah().is_some()) {
        pre.push(e);
    }
    if let Some(e) = check_ttl(ip.ttl()) {
        pre.push(e);
    }
    if !pre.is_empty() {
        pre.append(&mut parsed.errors);
        parsed.errors = pre;
    }
    Some(Event::Vrrp(Box::new(VrrpPacket {
        ts,
        ip,
        src,
        dst,
        src_mac,
        length: payload.len(),
        parsed,
    })))
}

fn malformed(ts: Timestamp, (src, dst): (Option<IpAddr>, Option<IpAddr>), reason: String) -> Event {
    Event::Malformed(Malformed {
        ts,
        src,
        dst,
        reason,
    })
}

fn ipv4_addrs(b: &[u8]) -> (Option<IpAddr>, Option<IpAddr>) {
    let get = |o: usize| {
        b.get(o..o + 4)
            .map(|s| IpAddr::from([s[0], s[1], s[2], s[3]]))
    };
    (get(12), get(16))
}

fn ipv6_addrs(b: &[u8]) -> (Option<IpAddr>, Option<IpAddr>) {
    let get = |o: usize| {
        b.get(o..o + 16)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
            .map(IpAddr::from)
    };
    (get(8), get(24))
}
