//! Properties of the wire codec: no parser panics on any byte string, and every advert that can
//! be encoded decodes to itself and re-encodes to the same bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use vrrp::wire::{self, Advert, ChecksumKind};

fn v4() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b)))
}
fn v6() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b)))
}
fn unicast_v4() -> impl Strategy<Value = IpAddr> {
    (1u8..224, any::<[u8; 3]>()).prop_map(|(a, b)| IpAddr::V4(Ipv4Addr::new(a, b[0], b[1], b[2])))
}
fn unicast_v6() -> impl Strategy<Value = IpAddr> {
    (0u16..0xff00, any::<[u16; 7]>()).prop_map(|(a, b)| {
        IpAddr::V6(Ipv6Addr::new(
            a.max(1),
            b[0],
            b[1],
            b[2],
            b[3],
            b[4],
            b[5],
            b[6],
        ))
    })
}

/// (advert, src, dst, checksum kind) that the wire can carry.
fn encodable() -> impl Strategy<Value = (Advert, IpAddr, IpAddr, ChecksumKind)> {
    let kind = prop_oneof![
        Just(ChecksumKind::PseudoHeader),
        Just(ChecksumKind::NoPseudoHeader)
    ];
    let v2 = (
        any::<u8>(),
        any::<u8>(),
        1u8..=255,
        0u8..=2,
        any::<[u8; 8]>(),
        prop::collection::vec(v4(), 0..20),
        unicast_v4(),
        v4(),
    )
        .prop_map(|(vrid, prio, int_s, auth_type, auth_data, addrs, s, d)| {
            let mut a = Advert::v2(vrid, prio, int_s, auth_type, b"", addrs);
            a.auth_data = auth_data;
            (a, s, d, ChecksumKind::NoPseudoHeader)
        });
    let v3v4 = (
        any::<u8>(),
        any::<u8>(),
        1u16..=0x0fff,
        prop::collection::vec(v4(), 0..20),
        unicast_v4(),
        v4(),
        kind,
    )
        .prop_map(|(vrid, prio, cs, addrs, s, d, k)| (Advert::v3(vrid, prio, cs, addrs), s, d, k));
    let v3v6 = (
        any::<u8>(),
        any::<u8>(),
        1u16..=0x0fff,
        prop::collection::vec(v6(), 0..10),
        unicast_v6(),
        v6(),
    )
        .prop_map(|(vrid, prio, cs, addrs, s, d)| {
            (
                Advert::v3(vrid, prio, cs, addrs),
                s,
                d,
                ChecksumKind::PseudoHeader,
            )
        });
    prop_oneof![v2, v3v4, v3v6]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_parser_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), s in v4(), d in v6()) {
        let _ = wire::parse_advert(&bytes, s, s);
        let _ = wire::parse_advert(&bytes, d, d);
        let _ = wire::parse_advert(&bytes, s, d);
        let _ = wire::parse_ipv4(&bytes);
        let _ = wire::parse_ipv6(&bytes);
        let _ = wire::parse_ethernet(&bytes);
        let _ = wire::parse_arp(&bytes);
        if let (IpAddr::V6(a), IpAddr::V6(b)) = (d, d) {
            let _ = wire::parse_na(&bytes, a, b);
        }
    }

    #[test]
    fn ip_parsers_survive_plausible_headers(mut bytes in prop::collection::vec(any::<u8>(), 20..160), ihl in 0u8..16, v6 in any::<bool>()) {
        // Make the version and lengths plausible so the deeper paths (options, AH, extension
        // headers) are reached, not just the first length check.
        let len = bytes.len();
        if v6 {
            bytes[0] = 0x60 | (bytes[0] & 0x0f);
            let pl = len.saturating_sub(40) as u16;
            bytes[4..6].copy_from_slice(&pl.to_be_bytes());
            let _ = wire::parse_ipv6(&bytes);
        } else {
            bytes[0] = 0x40 | ihl;
            bytes[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            bytes[9] = if bytes[9] & 1 == 0 { 51 } else { 112 };
            if let Ok((m, payload)) = wire::parse_ipv4(&bytes) {
                let _ = wire::parse_advert(payload, m.src.into(), m.dst.into());
            }
        }
    }

    #[test]
    fn encode_decode_encode_round_trips((advert, src, dst, kind) in encodable()) {
        let mut buf = vec![0u8; 512];
        let n = wire::emit_advert(&advert, src, dst, kind, &mut buf).unwrap();
        let p = wire::parse_advert(&buf[..n], src, dst).unwrap();
        // A multicast or unspecified source is flagged but everything else must be clean.
        prop_assert!(p.errors.iter().all(|e| e.code() == "invalid-source"), "{:?}", p.errors);
        let mut want = advert.clone();
        want.checksum = p.advert.checksum;
        prop_assert_eq!(&p.advert, &want);
        // Over IPv4 a v3 checksum without the pseudo-header may also verify with it (1 in 65536).
        prop_assert!(p.checksum_kind.is_some());
        let mut again = vec![0u8; 512];
        let m = wire::emit_advert(&p.advert, src, dst, p.checksum_kind.unwrap(), &mut again).unwrap();
        prop_assert_eq!(&buf[..n], &again[..m]);
    }

    #[test]
    fn clean_decodes_re_encode_to_the_same_bytes(bytes in prop::collection::vec(any::<u8>(), 8..64), s in unicast_v4(), d in v4()) {
        // Arbitrary bytes rarely pass every check; when they do, encoding gives them back.
        if let Ok(p) = wire::parse_advert(&bytes, s, d) {
            if p.errors.is_empty() {
                let mut out = vec![0u8; 128];
                let n = wire::emit_advert(&p.advert, s, d, p.checksum_kind.unwrap(), &mut out).unwrap();
                prop_assert_eq!(&out[..n], &bytes[..]);
            }
        }
    }
}
