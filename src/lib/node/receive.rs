//! The receive path: turn a datagram (from the daemon's raw socket or the simulator's virtual
//! wire) into an advert for one instance, with keepalived 2.2.7's checks in keepalived's order
//! (reference inventory §3), dropping and counting failures under keepalived's counter names.
//! Pure: no socket, no clock; the datagram comes as bytes plus plain metadata (`RxMeta`).
//!
//! Two stages, as in keepalived: [`decode`] is the dispatcher's (IP header, VRRP header, the
//! VRID is then looked up by the caller), [`check`] is `vrrp_check_packet` for one instance.

use std::net::IpAddr;

use serde::Serialize;

use crate::config::model::UnicastPeer;
use crate::wire::{self, Parsed, ValidationError};

use super::Family;

/// The receive-path counters keepalived keeps per instance (stats-file field names), plus the
/// version and checksum errors it keeps for SNMP only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RxCounters {
    pub packet_len_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    /// Never incremented, exactly like keepalived 2.2.7 (a v2 interval mismatch is dropped with
    /// a log line only); kept so the field set matches keepalived's.
    pub advert_interval_err: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub vers_err: u64,
    pub chk_err: u64,
    /// Adverts keepalived counts as received (it counts before its last checks) that a later
    /// check still rejected; added to the state machine's count for `advert_rcvd`.
    pub rcvd_then_rejected: u64,
    /// The followed master's adverts that came over half an interval late (not keepalived's).
    pub late_advert_rcvd: u64,
}

/// A counter of [`RxCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    PacketLen,
    IpTtl,
    InvalidType,
    AddrList,
    InvalidAuthType,
    AuthTypeMismatch,
    AuthFailure,
    Version,
    Checksum,
}

impl RxCounters {
    pub fn bump(&mut self, c: Counter) {
        let f = match c {
            Counter::PacketLen => &mut self.packet_len_err,
            Counter::IpTtl => &mut self.ip_ttl_err,
            Counter::InvalidType => &mut self.invalid_type_rcvd,
            Counter::AddrList => &mut self.addr_list_err,
            Counter::InvalidAuthType => &mut self.invalid_authtype,
            Counter::AuthTypeMismatch => &mut self.authtype_mismatch,
            Counter::AuthFailure => &mut self.auth_failure,
            Counter::Version => &mut self.vers_err,
            Counter::Checksum => &mut self.chk_err,
        };
        *f += 1;
    }

    /// Count a rejection (and, past check 13, the advert as received, as keepalived does).
    pub fn record(&mut self, r: &Reject) {
        if let Some(c) = r.counter {
            self.bump(c);
        }
        if r.counted_as_received {
            self.rcvd_then_rejected += 1;
        }
    }
}

/// A datagram decoded far enough to find its instance: the dispatcher's view.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6); None when the kernel did not report it.
    pub ttl: Option<u8>,
    /// The IPv4 packet came with an IPsec AH header (protocol 51).
    pub ah_present: bool,
    /// IPv4 only: the header's total length differs from the bytes received (check 11).
    pub ip_len_mismatch: bool,
    pub payload: &'a [u8],
    pub parsed: Parsed,
}

/// Why the dispatcher dropped a datagram before any instance saw it (never counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeDrop {
    #[error("truncated datagram (larger than the receive buffer)")]
    Truncated,
    #[error("packet too short: {0}")]
    TooShort(String),
    #[error("not a VRRP packet: {0}")]
    NotVrrp(String),
}

/// What the receiver knows of a datagram besides its bytes. For IPv4 the bytes start with the
/// IPv4 header (raw sockets deliver it); for IPv6 they are the VRRP message and the header
/// fields come from control messages (IPV6_PKTINFO, IPV6_HOPLIMIT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxMeta {
    pub len: usize,
    /// The datagram was larger than the buffer (MSG_TRUNC).
    pub truncated: bool,
    pub src: IpAddr,
    /// IPv6 only: destination address and hop limit.
    pub v6_dst: Option<std::net::Ipv6Addr>,
    pub v6_hop_limit: Option<u8>,
}

/// Decode one received datagram (keepalived's dispatcher checks 0a and 0b).
pub fn decode<'a>(family: Family, buf: &'a [u8], rx: &RxMeta) -> Result<Packet<'a>, DecodeDrop> {
    if rx.truncated {
        return Err(DecodeDrop::Truncated);
    }
    let data = &buf[..rx.len.min(buf.len())];
    match family {
        Family::V4 => {
            let (meta, payload) = match wire::parse_ipv4(data) {
                Ok(x) => x,
                // Shorter than its own total length: keepalived's length check (11) fails
                // too, but no instance can be told; it is a malformed datagram.
                Err(e) => return Err(DecodeDrop::TooShort(e.to_string())),
            };
            if meta.upper_protocol() != wire::vrrp::IPPROTO_VRRP {
                return Err(DecodeDrop::NotVrrp(format!(
                    "IP protocol {}",
                    meta.upper_protocol()
                )));
            }
            let src = IpAddr::V4(meta.src);
            let dst = IpAddr::V4(meta.dst);
            let parsed = wire::parse_advert(payload, src, dst)
                .map_err(|e| DecodeDrop::TooShort(e.to_string()))?;
            Ok(Packet {
                src,
                dst,
                ttl: Some(meta.ttl),
                ah_present: meta.ah.is_some(),
                ip_len_mismatch: usize::from(meta.total_len) != data.len(),
                payload,
                parsed,
            })
        }
        Family::V6 => {
            let src = rx.src;
            let dst = rx
                .v6_dst
                .map(IpAddr::V6)
                .ok_or_else(|| DecodeDrop::NotVrrp("no IPV6_PKTINFO destination".into()))?;
            let parsed = wire::parse_advert(data, src, dst)
                .map_err(|e| DecodeDrop::TooShort(e.to_string()))?;
            Ok(Packet {
                src,
                dst,
                ttl: rx.v6_hop_limit,
                ah_present: false,
                ip_len_mismatch: false,
                payload: data,
                parsed,
            })
        }
    }
}

/// What one instance expects of an advert (its configuration and, for the address checks,
/// its current state).
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    pub version: u8,
    /// The instance sends to unicast peers rather than to a group.
    pub unicast: bool,
    /// Configured v2 auth type (0 none, 1 PASS, 2 AH) and password.
    pub auth_type: u8,
    pub auth_pass: &'a [u8],
    /// Own advert interval in centiseconds (v2 adverts must match it).
    pub advert_int_cs: u16,
    /// The addresses the instance advertises (its virtual_ipaddress list).
    pub vips: &'a [IpAddr],
    /// keepalived checks the address list always in MASTER, and in BACKUP unless
    /// skip_check_adv_addr is set and the advert comes from the master it already follows.
    pub check_addresses: bool,
    pub peers: &'a [UnicastPeer],
    /// check_unicast_src (or min/max TTL on a peer, which imply it).
    pub check_unicast_src: bool,
}

/// A rejected advert: which counter it bumps, whether keepalived had already counted it as
/// received, and the log line keepalived writes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub counter: Option<Counter>,
    pub counted_as_received: bool,
    pub message: String,
}

fn reject(counter: Option<Counter>, message: impl Into<String>) -> Reject {
    Reject {
        counter,
        counted_as_received: false,
        message: message.into(),
    }
}

/// An advert that passed every check: what the state machine is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub src: IpAddr,
    pub priority: u8,
    pub advert_int_cs: u16,
}

/// keepalived's `vrrp_check_packet`, in its order (inventory §3, checks 1 to 16).
pub fn check(pkt: &Packet<'_>, p: &Policy<'_>) -> Result<Accepted, Reject> {
    let a = &pkt.parsed.advert;
    let errs = &pkt.parsed.errors;
    let has = |f: fn(&ValidationError) -> bool| errs.iter().any(f);

    // 1. An AH header exactly when the instance uses AH.
    if pkt.ah_present != (p.auth_type == wire::vrrp::AUTH_AH) {
        return Err(reject(
            Some(Counter::AuthTypeMismatch),
            "AH header presence does not match the configured authentication",
        ));
    }
    // 2. The length must be exactly what the address count says.
    if has(|e| {
        matches!(
            e,
            ValidationError::TooShort { .. } | ValidationError::AddrCountMismatch { .. }
        )
    }) {
        return Err(reject(
            Some(Counter::PacketLen),
            format!(
                "vrrp packet length {} does not match its {} addresses",
                pkt.payload.len(),
                a.addr_count
            ),
        ));
    }
    // 3. TTL / hop limit 255, for multicast instances only.
    if !p.unicast {
        if let Some(ttl) = pkt.ttl.filter(|&t| t != wire::vrrp::VRRP_TTL) {
            return Err(reject(
                Some(Counter::IpTtl),
                format!("invalid TTL/HL. Received {ttl} and expect 255"),
            ));
        }
    }
    // 4. Version.
    if a.version != p.version {
        return Err(reject(
            Some(Counter::Version),
            format!(
                "wrong version. Received {} and expect {}",
                a.version, p.version
            ),
        ));
    }
    if a.version == 2 {
        // 5. A known auth type.
        if a.auth_type > wire::vrrp::AUTH_AH {
            return Err(reject(
                Some(Counter::InvalidAuthType),
                format!("Invalid auth type: {}", a.auth_type),
            ));
        }
        // 6, 7. The configured type, and the password.
        match wire::check_auth(a, p.auth_type, p.auth_pass) {
            Some(ValidationError::AuthFailure) => {
                return Err(reject(
                    Some(Counter::AuthFailure),
                    "received an invalid passwd!",
                ))
            }
            Some(_) => {
                return Err(reject(
                    Some(Counter::AuthTypeMismatch),
                    format!(
                        "received a {} auth, expecting {}!",
                        a.auth_type, p.auth_type
                    ),
                ))
            }
            None => {}
        }
        // 8. v2 intervals must match; keepalived drops without counting.
        if a.advert_int_cs != p.advert_int_cs {
            return Err(reject(
                None,
                format!(
                    "advertisement interval mismatch mine={} sec rcv'd={} sec",
                    p.advert_int_cs / 100,
                    a.advert_int_cs / 100
                ),
            ));
        }
    }
    // 9. Type.
    if a.kind != wire::vrrp::TYPE_ADVERTISEMENT {
        return Err(reject(
            Some(Counter::InvalidType),
            format!("Invalid packet type. {} and expect 1", a.kind),
        ));
    }
    // 10. Address count.
    if p.check_addresses && usize::from(a.addr_count) != p.vips.len() {
        return Err(reject(
            Some(Counter::AddrList),
            format!(
                "received an unexpected ip number count {}, expected {}!",
                a.addr_count,
                p.vips.len()
            ),
        ));
    }
    // 11. IPv4 total length against what arrived.
    if pkt.ip_len_mismatch {
        return Err(reject(
            Some(Counter::PacketLen),
            "IPv4 total length does not match the received length",
        ));
    }
    // 12. Checksum. keepalived 2.2.7 computes a v3 checksum over IPv4 with the pseudo-header
    // only (vrrp.c, vrrp_check_packet): RFC 9568's header-less variant, which sniff shows as
    // valid, is a checksum error here. Unicast also accepts keepalived <= 1.3.6's, computed
    // with 224.0.0.18 as the destination.
    let checksum_ok = match pkt.parsed.checksum_kind {
        Some(wire::ChecksumKind::NoPseudoHeader) => a.version == 2,
        Some(wire::ChecksumKind::PseudoHeader) => true,
        None => false,
    };
    if !checksum_ok && !old_unicast_checksum_ok(pkt, p) {
        return Err(reject(
            Some(Counter::Checksum),
            format!("Invalid VRRPv{} checksum", a.version),
        ));
    }
    // 13. Multicast destination exactly for multicast instances.
    if pkt.dst.is_multicast() == p.unicast {
        let msg = if p.unicast {
            "Expected unicast packet but received multicast"
        } else {
            "Expected multicast packet but received unicast"
        };
        return Err(reject(Some(Counter::AddrList), msg));
    }
    // From here keepalived has counted the advert as received.
    let late = |counter, message: String| Reject {
        counter,
        counted_as_received: true,
        message,
    };
    // 14. Every advertised VIP of ours is in the packet.
    if p.check_addresses {
        if let Some(missing) = p.vips.iter().find(|v| !a.addresses.contains(v)) {
            return Err(late(
                Some(Counter::AddrList),
                format!(
                    "ip address associated with VRID {} not present in MASTER advert: {missing}",
                    a.vrid
                ),
            ));
        }
    }
    // 15. Unicast source must be a configured peer; 15b. its TTL within the peer's range.
    if p.unicast && p.check_unicast_src {
        let Some(peer) = p.peers.iter().find(|peer| peer.addr == pkt.src) else {
            return Err(late(
                None,
                format!("unicast source address {} is not a peer", pkt.src),
            ));
        };
        if let Some(ttl) = pkt.ttl {
            let lo = peer.min_ttl.unwrap_or(0);
            let hi = peer.max_ttl.unwrap_or(255);
            if ttl < lo || ttl > hi {
                return Err(late(
                    Some(Counter::IpTtl),
                    format!("TTL {ttl} from {} outside {lo}..={hi}", pkt.src),
                ));
            }
        }
    }
    // 16. Priority 0 is accepted (the state machine counts it).
    Ok(Accepted {
        src: pkt.src,
        priority: a.priority,
        advert_int_cs: a.advert_int_cs,
    })
}

/// keepalived auto-detects the v3 unicast checksum of versions up to 1.3.6, which used the
/// multicast group as the pseudo-header destination.
fn old_unicast_checksum_ok(pkt: &Packet<'_>, p: &Policy<'_>) -> bool {
    if !(p.unicast && p.version == 3 && pkt.src.is_ipv4()) {
        return false;
    }
    let group = IpAddr::V4(wire::vrrp::MCAST_V4);
    wire::parse_advert(pkt.payload, pkt.src, group).is_ok_and(|x| x.checksum_valid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{emit_ipv4_packet, Advert, ChecksumKind, Ipv4Meta};
    use std::net::Ipv4Addr;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 3);
    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

    fn v2(pass: &[u8]) -> Advert {
        Advert::v2(51, 100, 1, 1, pass, vec![IpAddr::V4(VIP)])
    }

    fn bytes(a: &Advert, dst: Ipv4Addr, ttl: u8) -> Vec<u8> {
        let mut meta = Ipv4Meta::keepalived(SRC, dst);
        meta.ttl = ttl;
        let mut buf = vec![0u8; 200];
        let n = emit_ipv4_packet(a, &meta, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    fn rx(len: usize) -> RxMeta {
        RxMeta {
            len,
            truncated: false,
            src: IpAddr::V4(SRC),
            v6_dst: None,
            v6_hop_limit: None,
        }
    }

    fn run(buf: &[u8], p: &Policy<'_>) -> Result<Accepted, Reject> {
        let pkt = decode(Family::V4, buf, &rx(buf.len())).expect("decodes");
        check(&pkt, p)
    }

    fn policy<'a>(vips: &'a [IpAddr]) -> Policy<'a> {
        Policy {
            version: 2,
            unicast: false,
            auth_type: 1,
            auth_pass: b"secret12",
            advert_int_cs: 100,
            vips,
            check_addresses: true,
            peers: &[],
            check_unicast_src: false,
        }
    }

    fn counter(r: Result<Accepted, Reject>) -> Option<Counter> {
        r.expect_err("rejected").counter
    }

    const MC: Ipv4Addr = wire::vrrp::MCAST_V4;

    /// keepalived 2.2.7 verifies a v3 checksum over IPv4 with the pseudo-header only: an
    /// advert checksummed the RFC 9568 way (message only) is a checksum error.
    #[test]
    fn v3_ipv4_without_pseudo_header_is_a_checksum_error() {
        let vips = [IpAddr::V4(VIP)];
        let mut p = policy(&vips);
        p.version = 3;
        p.auth_type = 0;
        let a = Advert::v3(51, 100, 100, vec![IpAddr::V4(VIP)]);
        let mut buf = vec![0u8; 200];
        let meta = Ipv4Meta::keepalived(SRC, MC);
        let n = emit_ipv4_packet(&a, &meta, ChecksumKind::NoPseudoHeader, &mut buf).unwrap();
        assert_eq!(counter(run(&buf[..n], &p)), Some(Counter::Checksum));
        let n = emit_ipv4_packet(&a, &meta, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        assert!(run(&buf[..n], &p).is_ok());
    }

    #[test]
    fn valid_v2_pass_advert_is_accepted() {
        let vips = [IpAddr::V4(VIP)];
        let ok = run(&bytes(&v2(b"secret12"), MC, 255), &policy(&vips)).unwrap();
        assert_eq!(ok.priority, 100);
        assert_eq!(ok.advert_int_cs, 100);
        assert_eq!(ok.src, IpAddr::V4(SRC));
    }

    // The injection table of the reference inventory (§3), one row each.
    #[test]
    fn keepalived_injection_table() {
        let vips = [IpAddr::V4(VIP)];
        let p = policy(&vips);
        assert_eq!(
            counter(run(&bytes(&v2(b"secret12"), MC, 64), &p)),
            Some(Counter::IpTtl)
        );
        // TTL is checked before the checksum.
        let mut b = bytes(&v2(b"secret12"), MC, 64);
        b[27] ^= 0xff;
        assert_eq!(counter(run(&b, &p)), Some(Counter::IpTtl));
        let mut b = bytes(&v2(b"secret12"), MC, 255);
        b[27] ^= 0xff;
        assert_eq!(counter(run(&b, &p)), Some(Counter::Checksum));
        let mut v3 = Advert::v3(51, 100, 100, vec![IpAddr::V4(VIP)]);
        v3.version = 3;
        assert_eq!(
            counter(run(&bytes(&v3, MC, 255), &p)),
            Some(Counter::Version)
        );
        let mut t2 = v2(b"secret12");
        t2.kind = 2;
        assert_eq!(
            counter(run(&bytes(&t2, MC, 255), &p)),
            Some(Counter::InvalidType)
        );
        // Four trailing bytes inside the IP packet: the length check.
        let mut long = bytes(&v2(b"secret12"), MC, 255);
        long.extend_from_slice(&[0, 0, 0, 0]);
        let total = long.len() as u16;
        long[2..4].copy_from_slice(&total.to_be_bytes());
        assert_eq!(counter(run(&long, &p)), Some(Counter::PacketLen));
        let mut a0 = v2(b"");
        a0.auth_type = 0;
        assert_eq!(
            counter(run(&bytes(&a0, MC, 255), &p)),
            Some(Counter::AuthTypeMismatch)
        );
        let mut a7 = v2(b"secret12");
        a7.auth_type = 7;
        assert_eq!(
            counter(run(&bytes(&a7, MC, 255), &p)),
            Some(Counter::InvalidAuthType)
        );
        assert_eq!(
            counter(run(&bytes(&v2(b"wrongpw!"), MC, 255), &p)),
            Some(Counter::AuthFailure)
        );
        // advert_int 3 s against our 1 s: dropped, no counter.
        let mut slow = v2(b"secret12");
        slow.advert_int_cs = 300;
        let r = run(&bytes(&slow, MC, 255), &p).unwrap_err();
        assert_eq!(r.counter, None);
        assert!(r.message.contains("interval mismatch"));
        let mut two = v2(b"secret12");
        two.addresses
            .push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 101)));
        assert_eq!(
            counter(run(&bytes(&two, MC, 255), &p)),
            Some(Counter::AddrList)
        );
        let mut wrong = v2(b"secret12");
        wrong.addresses = vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 99))];
        let r = run(&bytes(&wrong, MC, 255), &p).unwrap_err();
        assert_eq!(r.counter, Some(Counter::AddrList));
        assert!(r.counted_as_received, "check 14 comes after advert_rcvd++");
        let mut zero = v2(b"secret12");
        zero.priority = 0;
        assert_eq!(run(&bytes(&zero, MC, 255), &p).unwrap().priority, 0);
    }

    #[test]
    fn address_checks_are_skipped_when_told() {
        let vips = [IpAddr::V4(VIP)];
        let mut p = policy(&vips);
        p.check_addresses = false;
        let mut wrong = v2(b"secret12");
        wrong.addresses = vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 99))];
        assert!(run(&bytes(&wrong, MC, 255), &p).is_ok());
    }

    #[test]
    fn unicast_instances_skip_ttl_and_want_unicast() {
        let vips = [IpAddr::V4(VIP)];
        let peers = [UnicastPeer {
            addr: IpAddr::V4(SRC),
            min_ttl: Some(250),
            max_ttl: None,
        }];
        let mut p = policy(&vips);
        p.unicast = true;
        let me = Ipv4Addr::new(192, 0, 2, 1);
        assert!(run(&bytes(&v2(b"secret12"), me, 64), &p).is_ok());
        assert_eq!(
            counter(run(&bytes(&v2(b"secret12"), MC, 255), &p)),
            Some(Counter::AddrList)
        );
        p.peers = &peers;
        p.check_unicast_src = true;
        assert_eq!(
            counter(run(&bytes(&v2(b"secret12"), me, 64), &p)),
            Some(Counter::IpTtl)
        );
        assert!(run(&bytes(&v2(b"secret12"), me, 255), &p).is_ok());
    }

    #[test]
    fn v3_unicast_accepts_the_old_checksum() {
        let vips = [IpAddr::V4(VIP)];
        let mut p = policy(&vips);
        p.version = 3;
        p.auth_type = 0;
        p.unicast = true;
        let me = Ipv4Addr::new(192, 0, 2, 1);
        let a = Advert::v3(51, 100, 100, vec![IpAddr::V4(VIP)]);
        // Checksummed as if sent to the group, then sent to `me`.
        let mut old = bytes(&a, MC, 255);
        let fixed = bytes(&a, me, 255);
        old[16..20].copy_from_slice(&me.octets());
        old[10..12].copy_from_slice(&fixed[10..12]);
        assert!(run(&old, &p).is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        let vips = [IpAddr::V4(VIP)];
        let p = policy(&vips);
        for len in 0..64 {
            for fill in [0u8, 0x45, 0xff] {
                let mut b = vec![fill; len];
                if len > 0 {
                    b[0] = 0x45;
                }
                if let Ok(pkt) = decode(Family::V4, &b, &rx(b.len())) {
                    let _ = check(&pkt, &p);
                }
            }
        }
        let truncated = RxMeta {
            truncated: true,
            ..rx(10)
        };
        assert_eq!(
            decode(Family::V4, &[0; 10], &truncated).unwrap_err(),
            DecodeDrop::Truncated
        );
    }

    #[test]
    fn counters_record_rejections() {
        let mut c = RxCounters::default();
        c.record(&Reject {
            counter: Some(Counter::AddrList),
            counted_as_received: true,
            message: String::new(),
        });
        c.record(&reject(None, "x"));
        assert_eq!(c.addr_list_err, 1);
        assert_eq!(c.rcvd_then_rejected, 1);
    }
}
