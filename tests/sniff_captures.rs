//! Every field of every packet in the committed keepalived captures (tests/data/pcap, made by
//! tests/e2e_sniff_captures.rs), checked against what the scenario configured, and
//! encode(decode(frame)) == frame for each of them.
//!
//! Scenario: node A 192.0.2.1 (priority 150) and node B 192.0.2.2 (priority 100), VRIDs
//! 51 v2 PASS "s3cr3t" 1 s; 52 v3 0.5 s two VIPs; 53 v3 IPv6 1 s; 54 v3 unicast 1 s; 55 v2 AH 1 s.

// Only the path helpers of the shared harness are used here.
#[allow(unused_imports)]
mod common;
use common::data;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr};
use std::ops::ControlFlow;

use vrrp::sniff::decode::IpHeader;
use vrrp::sniff::{self, link, Event, SourceSpec};
use vrrp::wire::ethernet::{emit_ethernet, parse_ethernet, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use vrrp::wire::{self, ChecksumKind};

const A: &str = "192.0.2.1";
const B: &str = "192.0.2.2";

struct Expect {
    version: u8,
    auth_type: u8,
    auth: &'static [u8],
    advert_int_cs: u16,
    addresses: &'static [&'static str],
    unicast: bool,
    ipv6: bool,
}

fn expected(vrid: u8) -> Expect {
    match vrid {
        51 => Expect {
            version: 2,
            auth_type: 1,
            auth: b"s3cr3t",
            advert_int_cs: 100,
            addresses: &["192.0.2.100"],
            unicast: false,
            ipv6: false,
        },
        52 => Expect {
            version: 3,
            auth_type: 0,
            auth: b"",
            advert_int_cs: 50,
            addresses: &["192.0.2.101", "192.0.2.102"],
            unicast: false,
            ipv6: false,
        },
        53 => Expect {
            version: 3,
            auth_type: 0,
            auth: b"",
            advert_int_cs: 100,
            addresses: &["2001:db8::53"],
            unicast: false,
            ipv6: true,
        },
        54 => Expect {
            version: 3,
            auth_type: 0,
            auth: b"",
            advert_int_cs: 100,
            addresses: &["198.51.100.54"],
            unicast: true,
            ipv6: false,
        },
        55 => Expect {
            version: 2,
            auth_type: 2,
            auth: b"",
            advert_int_cs: 100,
            addresses: &["192.0.2.105"],
            unicast: false,
            ipv6: false,
        },
        v => panic!("unexpected vrid {v}"),
    }
}

/// The link-local address the kernel derives from a MAC (EUI-64).
fn eui64(m: [u8; 6]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 2, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    ))
}

#[derive(Default)]
struct Tally {
    adverts: usize,
    garp: usize,
    na: usize,
    by_vrid: BTreeMap<u8, usize>,
}

fn frames(name: &str) -> Vec<(u32, Vec<u8>, Event)> {
    let path = data(&format!("pcap/{name}"));
    let mut frames: Vec<(u32, Vec<u8>, Event)> = Vec::new();
    sniff::source::for_each_frame(&SourceSpec::File(path.clone()), &mut |f| {
        if let Some(ev) = sniff::decode(&f) {
            frames.push((f.linktype, f.data.to_vec(), ev));
        }
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    frames
}

/// Each node's MAC and priority, from the IPv4 adverts of the mixed capture (all the
/// captures come from the same run).
fn node_macs() -> HashMap<[u8; 6], u8> {
    let mut macs: HashMap<[u8; 6], u8> = HashMap::new();
    for (_, _, ev) in &frames("keepalived_mixed.pcap") {
        if let Event::Vrrp(p) = ev {
            if let (Some(mac), IpAddr::V4(_)) = (p.src_mac, p.src) {
                let prio = if p.src.to_string() == A { 150 } else { 100 };
                macs.insert(mac, prio);
            }
        }
    }
    assert_eq!(macs.len(), 2);
    macs
}

/// Decode `name` and check every frame; returns what was seen.
fn check_file(name: &str) -> Tally {
    let frames = frames(name);
    let macs = node_macs();
    let mut t = Tally::default();
    let mut ah_seq: HashMap<IpAddr, u32> = HashMap::new();
    for (i, (linktype, bytes, ev)) in frames.iter().enumerate() {
        let at = format!("{name} frame {i}");
        let net = link::network(*linktype, bytes).expect("link layer");
        match ev {
            Event::Vrrp(p) => {
                t.adverts += 1;
                let a = &p.parsed.advert;
                *t.by_vrid.entry(a.vrid).or_default() += 1;
                let e = expected(a.vrid);
                assert!(p.parsed.errors.is_empty(), "{at}: {:?}", p.parsed.errors);
                assert_eq!(a.version, e.version, "{at}");
                assert_eq!(a.kind, 1, "{at}");
                assert_eq!(a.auth_type, e.auth_type, "{at}");
                let mut auth = [0u8; 8];
                auth[..e.auth.len()].copy_from_slice(e.auth);
                if e.version == 2 {
                    assert_eq!(a.auth_data, auth, "{at}");
                } else {
                    assert_eq!(a.auth_data, [0; 8], "{at}");
                }
                assert_eq!(a.advert_int_cs, e.advert_int_cs, "{at}");
                assert_eq!(a.rsvd, 0, "{at}");
                let want: Vec<IpAddr> = e.addresses.iter().map(|s| s.parse().unwrap()).collect();
                assert_eq!(a.addresses, want, "{at}");
                assert_eq!(usize::from(a.addr_count), want.len(), "{at}");
                let alen = if e.ipv6 { 16 } else { 4 };
                let auth_len = if e.version == 2 { 8 } else { 0 };
                assert_eq!(p.length, 8 + alen * want.len() + auth_len, "{at}");
                assert_eq!(
                    p.parsed.checksum_kind,
                    Some(if e.version == 2 {
                        ChecksumKind::NoPseudoHeader
                    } else {
                        ChecksumKind::PseudoHeader
                    }),
                    "{at}"
                );
                // Who sent it, and with which priority.
                let node_prio = if e.ipv6 {
                    let mac = p.src_mac.expect("link-layer source");
                    assert_eq!(
                        p.src,
                        eui64(mac),
                        "{at}: IPv6 adverts come from the EUI-64 link-local"
                    );
                    macs[&mac]
                } else if p.src.to_string() == A {
                    150
                } else {
                    assert_eq!(p.src.to_string(), B, "{at}");
                    100
                };
                assert!(
                    a.priority == node_prio || a.priority == 0,
                    "{at}: priority {}",
                    a.priority
                );
                let dst = p.dst.to_string();
                match (e.unicast, e.ipv6) {
                    (true, _) => {
                        assert_eq!(dst, if p.src.to_string() == A { B } else { A }, "{at}")
                    }
                    (false, false) => assert_eq!(dst, "224.0.0.18", "{at}"),
                    (false, true) => assert_eq!(dst, "ff02::12", "{at}"),
                }
                // IP header as keepalived writes it, and the frame rebuilt from the decode.
                let ip_bytes = match &p.ip {
                    IpHeader::V4(m) => {
                        assert_eq!(
                            (m.tos, m.ttl, m.flags, m.frag_offset, m.header_len),
                            (0xc0, 255, 0, 0, 20),
                            "{at}"
                        );
                        assert!(m.checksum_valid, "{at}");
                        if let Some(ah) = m.ah {
                            assert_eq!(e.auth_type, 2, "{at}");
                            assert_eq!(
                                (m.protocol, ah.next_header, ah.payload_len),
                                (51, 112, 4),
                                "{at}"
                            );
                            // keepalived uses the source address as the SPI and counts up.
                            assert_eq!(IpAddr::from(ah.spi.to_be_bytes()), p.src, "{at}");
                            let last = ah_seq.insert(p.src, ah.seq).unwrap_or(0);
                            assert!(
                                ah.seq > last,
                                "{at}: AH sequence went from {last} to {}",
                                ah.seq
                            );
                            assert_eq!(ah.icv().len(), 12, "{at}");
                        } else {
                            assert_eq!((m.protocol, e.auth_type == 2), (112, false), "{at}");
                        }
                        let mut buf = vec![0u8; 256];
                        let n =
                            wire::emit_ipv4_packet(a, m, p.parsed.checksum_kind.unwrap(), &mut buf)
                                .unwrap();
                        buf.truncate(n);
                        buf
                    }
                    IpHeader::V6(m) => {
                        assert_eq!(
                            (m.traffic_class, m.hop_limit, m.next_header, m.ext_len),
                            (0xc0, 255, 112, 0),
                            "{at}"
                        );
                        let mut buf = vec![0u8; 256];
                        let n = wire::emit_ipv6_packet(a, m, &mut buf).unwrap();
                        buf.truncate(n);
                        buf
                    }
                };
                assert_eq!(net.payload, &ip_bytes[..], "{at}: encode(decode(x)) != x");
                if *linktype == link::LINKTYPE_ETHERNET {
                    let (eth, _) = parse_ethernet(bytes).unwrap();
                    let group_mac = if e.ipv6 {
                        [0x33, 0x33, 0, 0, 0, 0x12]
                    } else {
                        [1, 0, 0x5e, 0, 0, 0x12]
                    };
                    if !e.unicast {
                        assert_eq!(eth.dst, group_mac, "{at}");
                    }
                    let mut frame = vec![0u8; 14];
                    emit_ethernet(
                        eth.dst,
                        eth.src,
                        if e.ipv6 {
                            ETHERTYPE_IPV6
                        } else {
                            ETHERTYPE_IPV4
                        },
                        &mut frame,
                    )
                    .unwrap();
                    frame.extend_from_slice(&ip_bytes);
                    assert_eq!(&bytes[..], &frame[..], "{at}: frame differs");
                }
            }
            Event::Garp { arp, .. } => {
                t.garp += 1;
                assert!(arp.is_gratuitous(), "{at}");
                assert_eq!(arp.op, 1, "{at}: keepalived announces with requests");
                assert_eq!(arp.target_mac, [0xff; 6], "{at}");
                assert!(
                    macs.contains_key(&arp.sender_mac),
                    "{at}: GARP from an unknown MAC"
                );
                let vips = [
                    "192.0.2.100",
                    "192.0.2.101",
                    "192.0.2.102",
                    "198.51.100.54",
                    "192.0.2.105",
                ];
                assert!(
                    vips.contains(&arp.sender_ip.to_string().as_str()),
                    "{at}: {}",
                    arp.sender_ip
                );
                let mut buf = [0u8; 64];
                let n = wire::gratuitous_arp(arp.sender_mac, arp.sender_ip, &mut buf).unwrap();
                assert_eq!(net.payload, &buf[14..n], "{at}: encode(decode(x)) != x");
                if *linktype == link::LINKTYPE_ETHERNET {
                    assert_eq!(&bytes[..], &buf[..n], "{at}");
                }
            }
            Event::Na {
                src, src_mac, na, ..
            } => {
                t.na += 1;
                assert_eq!(na.target.to_string(), "2001:db8::53", "{at}");
                assert_eq!(
                    *src,
                    IpAddr::V6(na.target),
                    "{at}: sent from the VIP itself"
                );
                assert!(
                    na.override_flag && !na.router && !na.solicited && na.checksum_valid,
                    "{at}"
                );
                assert_eq!(na.target_mac, *src_mac, "{at}");
                let mut buf = [0u8; 128];
                let n = wire::unsolicited_na(na.target_mac.unwrap(), na.target, &mut buf).unwrap();
                assert_eq!(net.payload, &buf[14..n], "{at}: encode(decode(x)) != x");
                if *linktype == link::LINKTYPE_ETHERNET {
                    assert_eq!(&bytes[..], &buf[..n], "{at}");
                }
            }
            Event::Malformed(m) => panic!("{at}: malformed {m:?}"),
            Event::Undecoded(u) => panic!("{at}: undecoded {u:?}"),
        }
    }
    t
}

#[test]
fn mixed_capture_has_every_kind() {
    let t = check_file("keepalived_mixed.pcap");
    assert_eq!(
        t.by_vrid.keys().copied().collect::<Vec<_>>(),
        vec![51, 52, 53, 54, 55]
    );
    assert!(t.adverts >= 60);
    // Three takeovers (B, then A, then B again): one GARP per IPv4 VIP and one NA each time.
    assert_eq!((t.garp, t.na), (15, 3));
}

#[test]
fn per_kind_captures() {
    for (name, vrid) in [
        ("keepalived_v2_pass_vrid51.pcap", 51u8),
        ("keepalived_v3_ipv4_mcast_vrid52.pcap", 52),
        ("keepalived_v3_ipv6_vrid53.pcap", 53),
        ("keepalived_v3_ipv4_unicast_vrid54.pcap", 54),
        ("keepalived_v2_ah_vrid55.pcap", 55),
    ] {
        let t = check_file(name);
        assert_eq!(
            t.by_vrid.keys().copied().collect::<Vec<_>>(),
            vec![vrid],
            "{name}"
        );
        assert!(t.adverts >= 5, "{name}");
    }
}

#[test]
fn priority_zero_capture_is_two_goodbyes_per_vrid() {
    let t = check_file("keepalived_priority0.pcap");
    assert_eq!(t.by_vrid.values().copied().collect::<Vec<_>>(), vec![2; 5]);
}

#[test]
fn garp_na_capture() {
    let t = check_file("keepalived_garp_na.pcap");
    assert_eq!((t.adverts, t.garp, t.na), (0, 15, 3));
}

#[test]
fn cooked_and_pcapng_captures() {
    for name in [
        "keepalived_any_sll.pcap",
        "keepalived_any_sll2.pcap",
        "keepalived_dumpcap.pcapng",
    ] {
        let t = check_file(name);
        assert!(t.adverts + t.garp + t.na >= 10, "{name}");
    }
}
