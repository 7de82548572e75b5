//! Hand-made captures, built with the codec (deterministic, so the committed files are checked
//! byte for byte and regenerated with `UPDATE_CAPTURES=1`): adverts that fail each receive
//! check, packets too broken to decode, and LANs with two masters for one VRID. Then what
//! `vrrpctl sniff` says about them, in text and JSON.

// Only the path helpers of the shared harness are used here.
#[allow(unused_imports)]
mod common;
use common::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use serde_json::Value;
use vrrp::wire::checksum::checksum;
use vrrp::wire::ethernet::{
    emit_ethernet, ipv4_multicast_mac, ipv6_multicast_mac, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
};
use vrrp::wire::{self, Advert, ChecksumKind, Ipv4Meta, Ipv6Meta};

const T0: u64 = 1_795_400_000;

fn mac_of(ip: IpAddr) -> [u8; 6] {
    let last = match ip {
        IpAddr::V4(v) => v.octets()[3],
        IpAddr::V6(v) => v.octets()[15],
    };
    [0x02, 0, 0x5e, 0x10, 0, last]
}

/// An Ethernet frame with an IPv4 VRRP packet; `tweak` edits the VRRP bytes after the checksum
/// was computed (the IPv4 header checksum is fixed up afterwards).
fn v4(
    a: &Advert,
    src: &str,
    dst: &str,
    ttl: u8,
    kind: ChecksumKind,
    tweak: impl Fn(&mut Vec<u8>),
) -> Vec<u8> {
    let (s, d): (Ipv4Addr, Ipv4Addr) = (src.parse().unwrap(), dst.parse().unwrap());
    let mut meta = Ipv4Meta::keepalived(s, d);
    meta.ttl = ttl;
    let mut ip = vec![0u8; 1500];
    let n = wire::emit_ipv4_packet(a, &meta, kind, &mut ip).unwrap();
    ip.truncate(n);
    let mut vrrp = ip.split_off(20);
    tweak(&mut vrrp);
    ip.extend_from_slice(&vrrp);
    let total = ip.len() as u16;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[10] = 0;
    ip[11] = 0;
    let c = checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let dmac = if d.is_multicast() {
        ipv4_multicast_mac(d)
    } else {
        mac_of(IpAddr::V4(d))
    };
    let mut f = vec![0u8; 14];
    emit_ethernet(dmac, mac_of(IpAddr::V4(s)), ETHERTYPE_IPV4, &mut f).unwrap();
    f.extend_from_slice(&ip);
    f
}

fn v6(a: &Advert, src: &str, hop: u8) -> Vec<u8> {
    let s: Ipv6Addr = src.parse().unwrap();
    let d: Ipv6Addr = "ff02::12".parse().unwrap();
    let mut meta = Ipv6Meta::keepalived(s, d);
    meta.hop_limit = hop;
    let mut f = vec![0u8; 1500];
    emit_ethernet(
        ipv6_multicast_mac(d),
        mac_of(IpAddr::V6(s)),
        ETHERTYPE_IPV6,
        &mut f,
    )
    .unwrap();
    let n = wire::emit_ipv6_packet(a, &meta, &mut f[14..]).unwrap();
    f.truncate(14 + n);
    f
}

fn ips(v: &[&str]) -> Vec<IpAddr> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

const PSEUDO: ChecksumKind = ChecksumKind::PseudoHeader;

/// Adverts that decode but fail checks, with the error codes sniff must report.
fn edge_cases() -> Vec<(Vec<u8>, &'static [&'static str])> {
    let m = "224.0.0.18";
    let one = || ips(&["192.0.2.100"]);
    let v2 = |vrid, auth_type, pw: &[u8]| Advert::v2(vrid, 100, 1, auth_type, pw, one());
    // From a peer to the group, TTL 255, checksum as keepalived computes it, bytes untouched.
    let plain = |a: &Advert| v4(a, "192.0.2.2", m, 255, PSEUDO, |_| {});
    vec![
        (
            v4(&v2(60, 0, b""), "192.0.2.2", m, 255, PSEUDO, |b| {
                b[6..8].copy_from_slice(&[0xaa, 0x68])
            }),
            &["bad-checksum"][..],
        ),
        (
            v4(&v2(61, 0, b""), "192.0.2.2", m, 64, PSEUDO, |_| {}),
            &["ttl-not-255"],
        ),
        (
            plain(&Advert::v2(
                62,
                255,
                1,
                1,
                b"12345678",
                ips(&["192.0.2.100", "192.0.2.101", "198.51.100.1"]),
            )),
            &[],
        ),
        (
            plain(&{
                let mut a = v2(63, 0, b"");
                a.kind = 2;
                a
            }),
            &["unknown-type"],
        ),
        (plain(&v2(64, 1, &[b'p', b'a', 1, 0xff, b's', b's'])), &[]),
        (
            plain(&{
                let mut a = v2(65, 0, b"");
                a.advert_int_cs = 0;
                a.addresses.clear();
                a
            }),
            &["zero-interval"],
        ),
        (plain(&v2(66, 7, b"")), &["unknown-auth-type"]),
        (
            v4(
                &Advert::v3(67, 100, 100, one()),
                "192.0.2.2",
                m,
                255,
                ChecksumKind::NoPseudoHeader,
                |_| {},
            ),
            &[],
        ),
        (
            // Count says 3 but there is room for one address: keepalived's "packet length" error.
            v4(
                &Advert::v3(68, 100, 100, one()),
                "192.0.2.2",
                m,
                255,
                PSEUDO,
                |b| b[3] = 3,
            ),
            &["addr-count-mismatch", "bad-checksum"],
        ),
        (
            v6(
                &Advert::v3(69, 100, 100, ips(&["2001:db8::69"])),
                "fe80::2",
                1,
            ),
            &["ttl-not-255"],
        ),
        (
            v4(
                &Advert::v3(70, 0, 100, one()),
                "192.0.2.2",
                "192.0.2.1",
                255,
                PSEUDO,
                |_| {},
            ),
            &[],
        ),
    ]
}

/// Frames sniff must show as malformed (and never choke on).
fn malformed() -> Vec<Vec<u8>> {
    let m = "224.0.0.18";
    let a = Advert::v3(71, 100, 100, ips(&["192.0.2.100"]));
    let mut cut = v4(&a, "192.0.2.2", m, 255, PSEUDO, |b| b.truncate(4));
    let short_ip = {
        let mut f = v4(&a, "192.0.2.2", m, 255, PSEUDO, |_| {});
        f.truncate(f.len() - 6);
        f
    };
    let bad_version = v4(&a, "192.0.2.2", m, 255, PSEUDO, |b| b[0] = 0x41);
    cut.extend_from_slice(&[]);
    vec![cut, short_ip, bad_version]
}

/// Two LANs' worth of trouble: VRID 80 has two masters with the same VIP (split brain), VRID 81
/// two masters with different VIPs (a VRID collision), VRID 82 two masters whose auth and
/// interval disagree, VRID 83 a v2 and a v3 speaker; VRID 84 a clean preemption (not a problem).
fn masters() -> Vec<(u64, Vec<u8>)> {
    let m = "224.0.0.18";
    let mut out = Vec::new();
    for i in 0..6u64 {
        let t = i * 1_000_000;
        let vip = || ips(&["192.0.2.180"]);
        out.push((
            t,
            v4(
                &Advert::v3(80, 100, 100, vip()),
                "192.0.2.1",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 300_000,
            v4(
                &Advert::v3(80, 100, 100, vip()),
                "192.0.2.2",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 10_000,
            v4(
                &Advert::v3(81, 100, 100, ips(&["192.0.2.181"])),
                "192.0.2.3",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 20_000,
            v4(
                &Advert::v3(81, 120, 100, ips(&["203.0.113.81"])),
                "192.0.2.4",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 30_000,
            v4(
                &Advert::v2(82, 200, 1, 1, b"alpha", ips(&["192.0.2.182"])),
                "192.0.2.5",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 40_000,
            v4(
                &Advert::v2(82, 100, 1, 1, b"beta", ips(&["192.0.2.182"])),
                "192.0.2.6",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 50_000,
            v4(
                &Advert::v2(83, 100, 1, 0, b"", ips(&["192.0.2.183"])),
                "192.0.2.7",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        out.push((
            t + 60_000,
            v4(
                &Advert::v3(83, 100, 100, ips(&["192.0.2.183"])),
                "192.0.2.8",
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
        // VRID 84: .9 is master for 3 s, then .10 (higher priority) takes over.
        let (src, prio) = if i < 3 {
            ("192.0.2.9", 100)
        } else {
            ("192.0.2.10", 150)
        };
        out.push((
            t + 70_000,
            v4(
                &Advert::v3(84, prio, 100, ips(&["192.0.2.184"])),
                src,
                m,
                255,
                PSEUDO,
                |_| {},
            ),
        ));
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

fn pcap_bytes(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let header = PcapHeader {
        endianness: pcap_file::Endianness::Little,
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).unwrap();
    for (us, f) in frames {
        let ts = Duration::from_micros(T0 * 1_000_000 + us);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .unwrap();
    }
    w.into_writer()
}

fn numbered(v: Vec<Vec<u8>>) -> Vec<(u64, Vec<u8>)> {
    v.into_iter()
        .enumerate()
        .map(|(i, f)| (i as u64 * 1000, f))
        .collect()
}

/// The committed file equals what the builders make now (or is rewritten with UPDATE_CAPTURES=1).
fn committed(name: &str, frames: &[(u64, Vec<u8>)]) -> std::path::PathBuf {
    let path = data(&format!("pcap/{name}"));
    let bytes = pcap_bytes(frames);
    if std::env::var("UPDATE_CAPTURES").as_deref() == Ok("1") {
        std::fs::write(&path, &bytes).unwrap();
    }
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == bytes,
        "{name} is stale: run with UPDATE_CAPTURES=1"
    );
    path
}

fn sniff(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn each_failed_check_is_flagged_with_its_code() {
    let cases = edge_cases();
    let frames: Vec<Vec<u8>> = cases.iter().map(|(f, _)| f.clone()).collect();
    let path = committed("codec_edge_cases.pcap", &numbered(frames));
    let (code, out, err) = sniff(&[
        "--json",
        "sniff",
        "--no-summary",
        "-r",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), cases.len());
    for (j, (_, want)) in lines.iter().zip(&cases) {
        let got: Vec<&str> = j["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(&got, want, "{j}");
        assert_eq!(
            j["checksum_valid"].as_bool().unwrap(),
            !want.contains(&"bad-checksum"),
            "{j}"
        );
    }
    // Spot checks of the decoded values themselves.
    assert_eq!(lines[2]["auth"], "12345678");
    assert_eq!(lines[2]["addresses"].as_array().unwrap().len(), 3);
    assert_eq!(lines[3]["type"], 2);
    assert_eq!(lines[4]["auth"], "pa\u{1}\u{fffd}ss");
    assert_eq!(lines[6]["auth_type"], 7);
    assert_eq!(lines[7]["checksum_kind"], "no-pseudo-header");
    assert_eq!(lines[8]["addr_count"], 3);
    assert_eq!(lines[9]["ttl"], 1);
    assert_eq!(lines[10]["priority"], 0);

    // Text: tcpdump's words, and the failures spelled out.
    let (_, text, _) = sniff(&["sniff", "--no-summary", "-r", path.to_str().unwrap()]);
    let t: Vec<&str> = text.lines().collect();
    assert!(
        t[0].ends_with("[INVALID: bad checksum 0xaa68 (want 0xb85c)]"),
        "{}",
        t[0]
    );
    assert!(
        t[1].contains("VRRPv2, Advertisement, (ttl 64), vrid 61")
            && t[1].contains("ttl 64 (must be 255)"),
        "{}",
        t[1]
    );
    assert!(t[2].contains("prio 255, authtype simple, intvl 1s, length 28, addrs(3): 192.0.2.100,192.0.2.101,198.51.100.1 auth \"12345678\""), "{}", t[2]);
    assert!(t[3].contains("VRRPv2, unknown type (2)"), "{}", t[3]);
    assert!(t[4].contains("auth \"pa^AM-^?ss\""), "{}", t[4]);
    assert!(
        t[5].contains("intvl 0s, length 16, addrs: [INVALID: zero advertisement interval]"),
        "{}",
        t[5]
    );
    assert!(t[10].contains("prio 0 (master leaving)"), "{}", t[10]);
    assert!(
        t[10].starts_with("02:13:20.010000 IP 192.0.2.2 > 192.0.2.1: VRRPv3"),
        "{}",
        t[10]
    );
}

#[test]
fn broken_packets_are_shown_never_fatal() {
    let path = committed("codec_malformed.pcap", &numbered(malformed()));
    let (code, out, err) = sniff(&["--json", "sniff", "-r", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0]["kind"], "malformed");
    assert!(lines[0]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("too short"));
    assert_eq!(lines[1]["kind"], "malformed");
    assert!(lines[1]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("truncated"));
    assert_eq!(lines[2]["kind"], "vrrp");
    assert_eq!(lines[2]["errors"][0]["code"], "bad-version");
    assert_eq!(lines[3]["summary"]["malformed"], 2);
    let (code, text, _) = sniff(&["sniff", "-r", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("VRRP [malformed: VRRP message too short: 4 bytes, need 8]"),
        "{text}"
    );
}

#[test]
fn summary_finds_split_brain_collision_and_mismatches() {
    let path = committed("codec_two_masters.pcap", &masters());
    let (code, out, err) = sniff(&["--json", "sniff", "-r", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    let summary = &lines.last().unwrap()["summary"];
    let vrid = |n: u64| {
        summary["vrids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vrid"] == n)
            .unwrap()
            .clone()
    };
    let codes = |v: &Value| -> Vec<String> {
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect()
    };
    let v80 = vrid(80);
    assert_eq!(
        (v80["split_brain"].as_bool(), v80["collision"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(codes(&v80), ["split-brain"]);
    let v81 = vrid(81);
    assert_eq!(
        (v81["split_brain"].as_bool(), v81["collision"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(codes(&v81), ["vrid-collision"]);
    assert_eq!(v81["master"], "192.0.2.4");
    let v82 = vrid(82);
    assert_eq!(codes(&v82), ["split-brain", "auth-mismatch"]);
    assert!(v82["problems"][1]["message"]
        .as_str()
        .unwrap()
        .contains("192.0.2.5 sends simple \"alpha\""));
    assert_eq!(codes(&vrid(83)), ["split-brain", "version-mismatch"]);
    let v84 = vrid(84);
    assert!(codes(&v84).is_empty(), "{v84}");
    assert_eq!(v84["master"], "192.0.2.10");
    let sp = &v80["speakers"][0];
    assert_eq!(
        (
            sp["src"].as_str(),
            sp["adverts"].as_u64(),
            sp["advert_int_cs"].as_u64()
        ),
        (Some("192.0.2.1"), Some(6), Some(100))
    );
    assert_eq!(sp["observed_interval_ms"], 1000.0);
    assert_eq!(sp["jitter_ms"], 0.0);

    let (_, text, _) = sniff(&["sniff", "-r", path.to_str().unwrap(), "--vrid", "80"]);
    assert_eq!(text.lines().filter(|l| l.contains("vrid 80")).count(), 12);
    assert!(!text.contains("vrid 81"));
    assert!(text.contains("VRID 80 (IPv4): master 192.0.2.2"), "{text}");
    assert!(
        text.contains(
            "! split-brain: 192.0.2.1 and 192.0.2.2 both advertised as master at the same time"
        ),
        "{text}"
    );
}

fn garp(ip: &str, mac: [u8; 6]) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    let n = vrrp::wire::arp::gratuitous_arp(mac, ip.parse().unwrap(), &mut f).unwrap();
    f.truncate(n);
    f
}

/// VRID 90: two masters at once (.21 prio 150, .22 prio 100), both announcing 192.0.2.190 in
/// gratuitous ARPs. VRID 91: a clean failover, .23 leaves (priority 0) and .24 takes over and
/// announces 192.0.2.191 once from its MAC.
fn vip_claims() -> Vec<(u64, Vec<u8>)> {
    let m = "224.0.0.18";
    let ad = |vrid, prio, vip: &str, src: &str| {
        v4(
            &Advert::v3(vrid, prio, 100, ips(&[vip])),
            src,
            m,
            255,
            PSEUDO,
            |_| {},
        )
    };
    let mac = |s: &str| mac_of(s.parse().unwrap());
    let mut out = Vec::new();
    for i in 0..6u64 {
        let t = i * 1_000_000;
        out.push((t, ad(90, 150, "192.0.2.190", "192.0.2.21")));
        out.push((t + 400_000, ad(90, 100, "192.0.2.190", "192.0.2.22")));
        if i < 3 {
            out.push((t + 100_000, ad(91, 150, "192.0.2.191", "192.0.2.23")));
        } else if i == 3 {
            out.push((t + 100_000, ad(91, 0, "192.0.2.191", "192.0.2.23")));
        }
        if i >= 3 {
            out.push((t + 200_000, ad(91, 100, "192.0.2.191", "192.0.2.24")));
        }
    }
    out.push((10_000, garp("192.0.2.190", mac("192.0.2.21"))));
    out.push((410_000, garp("192.0.2.190", mac("192.0.2.22"))));
    out.push((2_010_000, garp("192.0.2.190", mac("192.0.2.21"))));
    out.push((2_410_000, garp("192.0.2.190", mac("192.0.2.22"))));
    out.push((110_000, garp("192.0.2.191", mac("192.0.2.23"))));
    out.push((3_210_000, garp("192.0.2.191", mac("192.0.2.24"))));
    out.sort_by_key(|(t, _)| *t);
    out
}

#[test]
fn summary_flags_two_macs_for_one_vip_and_shows_the_master_timeline() {
    let path = committed("codec_vip_claims.pcap", &vip_claims());
    let (code, out, err) = sniff(&["--json", "sniff", "-r", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    let summary = &lines.last().unwrap()["summary"];
    let problems = summary["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["code"], "address-conflict");
    let msg = problems[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("192.0.2.190 was announced 2 times by 02:00:5e:10:00:16 while VRID 90's master was 192.0.2.21 (02:00:5e:10:00:15)"),
        "{msg}"
    );
    let addr = |ip: &str| {
        summary["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["ip"] == ip)
            .unwrap()
            .clone()
    };
    assert_eq!(addr("192.0.2.190")["conflict"], true);
    let a191 = addr("192.0.2.191");
    assert_eq!(a191["conflict"], false, "{a191}");
    assert_eq!(a191["moves"].as_array().unwrap().len(), 1);
    assert_eq!(a191["moves"][0]["to"], "02:00:5e:10:00:18");
    let v91 = summary["vrids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vrid"] == 91)
        .unwrap();
    let tl = v91["timeline"].as_array().unwrap();
    assert_eq!(tl.len(), 2, "{tl:#?}");
    assert_eq!(
        (&tl[0]["to"], &tl[0]["from"]),
        (&"192.0.2.23".into(), &Value::Null)
    );
    assert_eq!(tl[1]["from"], "192.0.2.23");
    assert_eq!(tl[1]["to"], "192.0.2.24");
    assert_eq!(tl[1]["reason"], "192.0.2.23 sent priority 0: it left");
    assert_eq!(tl[1]["ts"].as_f64().unwrap(), T0 as f64 + 3.2);

    let (_, text, _) = sniff(&["sniff", "-r", path.to_str().unwrap()]);
    assert!(
        text.contains("192.0.2.23 -> 192.0.2.24 (192.0.2.23 sent priority 0: it left)"),
        "{text}"
    );
    assert!(
        text.contains("! address-conflict: 192.0.2.190 was announced"),
        "{text}"
    );
    // VRID 90's split brain: the timeline stays with the higher priority, no flapping.
    assert!(
        text.contains("both advertised as master at the same time: 11 times one's advert came within 1.5 advertisement intervals of the other's"),
        "{text}"
    );
}

#[test]
fn summary_intervals_read_like_packet_lines() {
    let path = committed("codec_two_masters.pcap", &masters());
    let (_, text, _) = sniff(&["sniff", "-r", path.to_str().unwrap(), "--vrid", "82"]);
    // A v2 packet line says `intvl 1s`; so does the summary.
    assert!(text.contains(", intvl 1s,"), "{text}");
    let sp = text
        .lines()
        .find(|l| l.trim_start().starts_with("192.0.2.5 "))
        .unwrap();
    assert!(sp.contains(" intvl 1s "), "{sp}");
    // VRID 84's preemption is in the master timeline.
    let (_, text, _) = sniff(&["sniff", "-r", path.to_str().unwrap(), "--vrid", "84"]);
    assert!(
        text.contains("192.0.2.9 -> 192.0.2.10 (preempted: priority 150 beats 192.0.2.9's 100)"),
        "{text}"
    );
}
