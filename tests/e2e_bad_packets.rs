//! The bad-packet matrix: from a third host, every class of malformed or hostile advert is
//! sent at a running vrrpd master and a vrrpd backup on one LAN. Each must land in keepalived's
//! counter for it (the reference inventory's injection table, measured on keepalived 2.2.7) on
//! both daemons, `vrrpctl dump-stats` must show it, no instance may change state, and the
//! master's adverts (0.1 s, measured on the wire meanwhile) must stay on time. Last, a valid
//! priority-255 advert from a non-owner does what RFC 5798 and keepalived do: the master yields,
//! and takes over again one Master_Down_Interval after the impostor falls silent.

mod common;
use common::daemon::*;
use common::traffic::*;
use common::*;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use vrrp::wire::{self, Advert, ChecksumKind, Ipv4Meta};

const VIP1: &str = "192.0.2.100";
const VIP2: &str = "192.0.2.101";
const ATTACKER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 3);
const MASTER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn conf(router: &str, prio: u8) -> String {
    format!(
        "global_defs {{\n  router_id {router}\n}}\n\
         vrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  version 2\n  priority {prio}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    auth_pass secret12\n  }}\n  virtual_ipaddress {{\n    {VIP1}/24\n  }}\n}}\n\
         vrrp_instance VI_2 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  version 3\n  priority {prio}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {VIP2}/24\n  }}\n}}\n"
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// One packet as a raw IPv4 socket sends it (the kernel fills in the total length).
fn packet(a: &Advert, src: Ipv4Addr, ttl: u8, kind: ChecksumKind) -> Vec<u8> {
    let mut meta = Ipv4Meta::keepalived(src, wire::vrrp::MCAST_V4);
    meta.ttl = ttl;
    let mut buf = vec![0u8; 256];
    let n = wire::emit_ipv4_packet(a, &meta, kind, &mut buf).expect("encodes");
    buf.truncate(n);
    buf
}

fn v2(prio: u8, int_s: u8, auth: u8, pass: &[u8], addrs: Vec<IpAddr>) -> Advert {
    Advert::v2(51, prio, int_s, auth, pass, addrs)
}

fn good_v2(prio: u8) -> Advert {
    v2(prio, 1, 1, b"secret12", vec![ip(VIP1)])
}

/// A class of bad packet: what is sent, to which instance, and what keepalived counts for it.
struct Class {
    name: &'static str,
    bytes: Vec<u8>,
    instance: &'static str,
    /// The counter that must move by one on both daemons (None: nothing may move).
    counter: Option<&'static str>,
    /// keepalived counts it as received too (it passed check 13).
    received: bool,
}

fn classes() -> Vec<Class> {
    let pk = ChecksumKind::PseudoHeader;
    let c = |name, bytes, instance, counter, received| Class {
        name,
        bytes,
        instance,
        counter,
        received,
    };
    let mut bad_sum = packet(&good_v2(50), ATTACKER, 255, pk);
    bad_sum[26] ^= 0xff;
    let mut typ = good_v2(50);
    typ.kind = 2;
    let mut count = packet(&good_v2(50), ATTACKER, 255, pk);
    count[23] = 2; // count field says 2, one address present
    let mut trailing = packet(&good_v2(50), ATTACKER, 255, pk);
    trailing.extend_from_slice(&[0; 4]);
    let mut oversize = packet(&good_v2(50), ATTACKER, 255, pk);
    oversize.extend_from_slice(&[0; 1000]);
    let truncated = packet(&good_v2(50), ATTACKER, 255, pk)[..26].to_vec();
    let mut unknown_vrid = good_v2(50);
    unknown_vrid.vrid = 99;
    let v3_52 = |prio| Advert::v3(52, prio, 10, vec![ip(VIP2)]);
    let mut v2_on_52 = good_v2(50);
    v2_on_52.vrid = 52;
    vec![
        c(
            "TTL 64",
            packet(&good_v2(50), ATTACKER, 64, pk),
            "VI_1",
            Some("ip_ttl_err"),
            false,
        ),
        c("bad checksum", bad_sum, "VI_1", Some("chk_err"), false),
        c(
            "v3 advert on a v2 VRID",
            packet(&Advert::v3(51, 50, 100, vec![ip(VIP1)]), ATTACKER, 255, pk),
            "VI_1",
            Some("vers_err"),
            false,
        ),
        c(
            "unknown type 2",
            packet(&typ, ATTACKER, 255, pk),
            "VI_1",
            Some("invalid_type_rcvd"),
            false,
        ),
        c(
            "truncated to 6 bytes of VRRP",
            truncated,
            "VI_1",
            None,
            false,
        ),
        c(
            "address count 2, one address",
            count,
            "VI_1",
            Some("packet_len_err"),
            false,
        ),
        c(
            "4 trailing bytes",
            trailing,
            "VI_1",
            Some("packet_len_err"),
            false,
        ),
        c(
            "oversize (1,000 trailing bytes)",
            oversize,
            "VI_1",
            Some("packet_len_err"),
            false,
        ),
        c(
            "two addresses where one is configured",
            packet(
                &v2(50, 1, 1, b"secret12", vec![ip(VIP1), ip("192.0.2.200")]),
                ATTACKER,
                255,
                pk,
            ),
            "VI_1",
            Some("addr_list_err"),
            false,
        ),
        c(
            "wrong password",
            packet(
                &v2(50, 1, 1, b"wrongpw!", vec![ip(VIP1)]),
                ATTACKER,
                255,
                pk,
            ),
            "VI_1",
            Some("auth_failure"),
            false,
        ),
        c(
            "auth type 0 on a PASS instance",
            packet(&v2(50, 1, 0, b"", vec![ip(VIP1)]), ATTACKER, 255, pk),
            "VI_1",
            Some("authtype_mismatch"),
            false,
        ),
        c(
            "auth type 7",
            packet(
                &v2(50, 1, 7, b"secret12", vec![ip(VIP1)]),
                ATTACKER,
                255,
                pk,
            ),
            "VI_1",
            Some("invalid_authtype"),
            false,
        ),
        c(
            "advert_int 3 s against 1 s",
            packet(
                &v2(50, 3, 1, b"secret12", vec![ip(VIP1)]),
                ATTACKER,
                255,
                pk,
            ),
            "VI_1",
            None,
            false,
        ),
        c(
            "unknown VRID 99",
            packet(&unknown_vrid, ATTACKER, 255, pk),
            "VI_1",
            None,
            false,
        ),
        c(
            "wrong VIP",
            packet(
                &v2(50, 1, 1, b"secret12", vec![ip("192.0.2.200")]),
                ATTACKER,
                255,
                pk,
            ),
            "VI_1",
            Some("addr_list_err"),
            true,
        ),
        c(
            "valid, priority 50, source off the subnet",
            packet(&good_v2(50), Ipv4Addr::new(198, 51, 100, 7), 255, pk),
            "VI_1",
            None,
            true,
        ),
        c(
            "v3 checksum without the pseudo-header",
            packet(&v3_52(50), ATTACKER, 255, ChecksumKind::NoPseudoHeader),
            "VI_2",
            Some("chk_err"),
            false,
        ),
        c(
            "v2 advert on a v3 VRID",
            packet(&v2_on_52, ATTACKER, 255, pk),
            "VI_2",
            Some("vers_err"),
            false,
        ),
    ]
}

fn stats(socket: &Path) -> Value {
    let o = vrrpctl(&[
        "dump-stats",
        "--format",
        "json",
        "--socket",
        socket.to_str().unwrap(),
    ]);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("dump-stats: {e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn states(socket: &Path) -> Vec<(String, String)> {
    let o = vrrpctl(&["--json", "status", "--socket", socket.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("status json");
    v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or("").to_string(),
                i["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// keepalived's per-instance counters plus its SNMP-only version and checksum errors.
const COUNTERS: [&str; 16] = [
    "advert_rcvd",
    "advert_sent",
    "become_master",
    "release_master",
    "packet_len_err",
    "advert_interval_err",
    "ip_ttl_err",
    "invalid_type_rcvd",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
    "pri_zero_rcvd",
    "pri_zero_sent",
    "vers_err",
    "chk_err",
];

/// Every counter of every instance, flattened to (instance, counter, value).
fn counters(v: &Value) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for i in v["instances"].as_array().into_iter().flatten() {
        let name = i["name"].as_str().unwrap_or("").to_string();
        for k in COUNTERS {
            let n = i[k]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: no counter {k} in {i}"));
            out.push((name.clone(), k.to_string(), n));
        }
    }
    out
}

/// What changed between two dumps, ignoring the counters that move by themselves (our own and
/// the real master's adverts).
fn delta(before: &Value, after: &Value) -> Vec<(String, String, u64)> {
    let b = counters(before);
    counters(after)
        .into_iter()
        .filter(|(i, k, _)| k != "advert_sent" && !(k == "advert_rcvd" && i == "VI_2"))
        .filter_map(|(i, k, n)| {
            let old = b
                .iter()
                .find(|(bi, bk, _)| *bi == i && *bk == k)
                .map_or(0, |x| x.2);
            (n != old).then(|| (i, k, n - old))
        })
        .collect()
}

#[test]
fn every_bad_packet_class_is_counted_and_changes_nothing() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("bp", false);
    let dir = tempdir();
    let (d0, d1) = (subdir(dir.path(), "m"), subdir(dir.path(), "b"));
    let master = Vrrpd::start(&mut lan.hosts[0], &d0, &conf("m", 200)).0;
    let backup = Vrrpd::start(&mut lan.hosts[1], &d1, &conf("b", 100)).0;
    master.wait_socket();
    backup.wait_socket();
    for vip in [VIP1, VIP2] {
        assert!(
            wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(6)).is_some(),
            "{}",
            master.log()
        );
    }
    let want_states = |s: &Path, st: &str| {
        let got = states(s);
        assert!(got.iter().all(|(_, x)| x == st), "{got:?}");
    };
    want_states(&master.socket, "MASTER");
    want_states(&backup.socket, "BACKUP");
    // VI_1's received count moves with the real master's adverts on the backup (one a second):
    // compare the backup's VI_1 received count only on the master, where it is the attacker's.
    let classes = classes();
    let window = Duration::from_millis(400) * classes.len() as u32 + Duration::from_secs(1);
    let observer = &lan.hosts[2];
    let (times, report) = std::thread::scope(|s| {
        let watch = s.spawn(|| advert_times(observer, MASTER, Some(52), window));
        std::thread::sleep(Duration::from_millis(300));
        let mut report = Vec::new();
        for c in &classes {
            let before = [stats(&master.socket), stats(&backup.socket)];
            send_raw_ipv4(observer, std::slice::from_ref(&c.bytes));
            std::thread::sleep(Duration::from_millis(300));
            let after = [stats(&master.socket), stats(&backup.socket)];
            for (who, (b, a)) in ["master", "backup"]
                .iter()
                .zip(before.iter().zip(after.iter()))
            {
                let mut d = delta(b, a);
                if *who == "backup" {
                    d.retain(|(i, k, _)| !(i == "VI_1" && k == "advert_rcvd"));
                }
                let mut want: Vec<(String, String, u64)> = c
                    .counter
                    .map(|k| (c.instance.to_string(), k.to_string(), 1))
                    .into_iter()
                    .collect();
                if c.received && *who == "master" {
                    want.push((c.instance.to_string(), "advert_rcvd".to_string(), 1));
                }
                d.sort();
                want.sort();
                report.push(format!("{:<42} {who}: {d:?}", c.name));
                assert_eq!(d, want, "{}: {who}'s counters", c.name);
            }
            want_states(&master.socket, "MASTER");
            want_states(&backup.socket, "BACKUP");
        }
        (watch.join().expect("observer"), report)
    });
    for r in &report {
        println!("{r}");
    }
    let gaps = gaps_ms(&times);
    println!("VI_2 adverts (0.1 s) during the matrix: {}", summary(&gaps));
    // No advert lost (a gap under two intervals) and 99% on time. One late advert alone is
    // the VM's, not ours: this host stalls a vCPU for tens of ms now and then (the timer
    // floor of benches/timer_floor.c, a process that only sleeps, measured up to 34 ms; a CI
    // run saw one gap of 142 ms here with every counter right). A daemon stalled by a packet
    // would miss an advert or shift every one after it.
    assert!(
        gaps.iter().all(|&g| g < 190.0) && percentile(&gaps, 0.99) < 120.0,
        "late adverts: {}",
        summary(&gaps)
    );
    assert!(
        times.len() as f64 >= window.as_secs_f64() * 10.0 * 0.8,
        "{} adverts seen",
        times.len()
    );

    // A valid priority-255 advert from a non-owner: the master yields (RFC 5798 6.4.3), then
    // takes over again when the impostor is silent for its Master_Down_Interval.
    let impostor = packet(
        &Advert::v3(52, 255, 10, vec![ip(VIP2)]),
        ATTACKER,
        255,
        ChecksumKind::PseudoHeader,
    );
    send_raw_ipv4(observer, &[impostor]);
    let yielded = "VI_2: MASTER -> BACKUP (higher priority advert received, prio 200; advert from 192.0.2.3, prio 255)";
    assert!(
        wait_for(Duration::from_secs(2), || master
            .log()
            .contains(yielded)
            .then_some(()))
        .is_some(),
        "{}",
        master.log()
    );
    assert!(
        wait_for(Duration::from_secs(2), || states(&master.socket)
            .iter()
            .all(|(_, s)| s == "MASTER")
            .then_some(()))
        .is_some(),
        "{}",
        master.log()
    );
    want_states(&backup.socket, "BACKUP");
    assert!(has_addr(&lan.hosts[0], VIP2) && !has_addr(&lan.hosts[1], VIP2));
}
