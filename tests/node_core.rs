//! The node layer through its public API: instances built from keepalived.conf against a
//! fake host, real encoded datagrams through the receive checks, fault sources from the
//! interface's state, and the effects a driver must perform.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use vrrp::config::load_str;
use vrrp::fsm::{State, Time};
use vrrp::node::{self, Effect, Family, HostView, IfaceInfo, Input, Node, RxMeta};
use vrrp::wire::{self, Advert, ChecksumKind, Ipv4Meta};

struct Host(RefCell<HashMap<String, IfaceInfo>>);

impl HostView for Host {
    fn interface(&self, name: &str) -> Option<IfaceInfo> {
        self.0.borrow().get(name).cloned()
    }
}

fn host(up: bool, addrs: &[&str]) -> Host {
    let info = IfaceInfo {
        index: 2,
        up,
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
    };
    Host(RefCell::new(HashMap::from([("eth0".to_string(), info)])))
}

const CONF: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n advert_int 1\n authentication {\n  auth_type PASS\n  auth_pass secret12\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n";

fn node(h: &Host) -> Node {
    let l = load_str("n.conf", CONF);
    let (specs, refused) = node::build_all(&l.config, h);
    assert!(refused.is_empty(), "{refused:?}");
    Node::new(specs, h)
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// A v2 advert from 192.0.2.2 as keepalived would send it.
fn advert(priority: u8, pass: &[u8]) -> Vec<u8> {
    let a = Advert::v2(
        51,
        priority,
        1,
        1,
        pass,
        vec!["192.0.2.100".parse().unwrap()],
    );
    let meta = Ipv4Meta::keepalived(ip("192.0.2.2"), wire::vrrp::MCAST_V4);
    let mut buf = vec![0u8; 128];
    let n = wire::emit_ipv4_packet(&a, &meta, ChecksumKind::PseudoHeader, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn deliver(n: &mut Node, now: Time, bytes: &[u8]) -> Vec<Effect> {
    let meta = RxMeta {
        len: bytes.len(),
        truncated: false,
        src: "192.0.2.2".parse().unwrap(),
        v6_dst: None,
        v6_hop_limit: None,
    };
    let mut out = Vec::new();
    n.handle(
        now,
        Input::Datagram {
            ifname: "eth0",
            family: Family::V4,
            bytes,
            meta: &meta,
        },
        &mut out,
    );
    out
}

fn state(n: &Node) -> State {
    n.instances().next().unwrap().1.fsm.state()
}

#[test]
fn valid_advert_keeps_a_backup_and_a_bad_password_is_counted() {
    let h = host(true, &["192.0.2.1"]);
    let mut n = node(&h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    assert_eq!(state(&n), State::Backup);
    let fsm_deadline = |n: &Node| n.instances().next().unwrap().1.fsm.next_deadline().unwrap();
    let down = fsm_deadline(&n);
    let t = Time::from_millis(500);
    let out = deliver(&mut n, t, &advert(150, b"secret12"));
    assert!(out.is_empty(), "{out:?}");
    assert!(
        fsm_deadline(&n) > down,
        "the advert restarted the down timer"
    );
    // The node's own deadline may stay early (a stale heap entry is a harmless wake-up).
    assert!(n.next_deadline().unwrap() <= fsm_deadline(&n));
    let out = deliver(&mut n, t, &advert(150, b"wrongpw!"));
    assert!(
        matches!(&out[..], [Effect::Rejected { message, .. }] if message.contains("passwd")),
        "{out:?}"
    );
    let (_, i) = n.instances().next().unwrap();
    assert_eq!(i.rx.auth_failure, 1);
    assert_eq!(i.fsm.counters().advert_rcvd, 1);
    assert_eq!(i.fsm.master_addr(), Some("192.0.2.2".parse().unwrap()));
}

#[test]
fn unknown_vrid_and_garbage_are_dropped_not_counted() {
    let h = host(true, &["192.0.2.1"]);
    let mut n = node(&h);
    n.handle(Time::ZERO, Input::Startup, &mut Vec::new());
    let mut other = advert(150, b"secret12");
    other[21] = 52; // VRID byte (the checksum is now wrong too: the VRID decides first)
    assert!(matches!(
        &deliver(&mut n, Time::ZERO, &other)[..],
        [Effect::Dropped { vrid: Some(52), .. }]
    ));
    assert!(matches!(
        &deliver(&mut n, Time::ZERO, &[0x45, 0, 0])[..],
        [Effect::Dropped { vrid: None, .. }]
    ));
    assert_eq!(
        n.instances().next().unwrap().1.rx,
        vrrp::node::RxCounters::default()
    );
}

#[test]
fn master_encodes_real_adverts_and_announces_after_adding_vips() {
    let h = host(true, &["192.0.2.1"]);
    let mut n = node(&h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    out.clear();
    let t = n.next_deadline().unwrap();
    n.handle(t, Input::TimerExpired, &mut out);
    assert_eq!(state(&n), State::Master);
    let send = out
        .iter()
        .position(|e| matches!(e, Effect::Send { .. }))
        .unwrap();
    let add = out
        .iter()
        .position(|e| matches!(e, Effect::AddVips { .. }))
        .unwrap();
    let garp = out
        .iter()
        .position(|e| matches!(e, Effect::SendGarp { .. }))
        .unwrap();
    assert!(send < add && add < garp, "{out:?}");
    let Effect::Send {
        src, dst, bytes, ..
    } = &out[send]
    else {
        unreachable!()
    };
    assert_eq!(*src, IpAddr::from(ip("192.0.2.1")));
    assert_eq!(*dst, IpAddr::from(wire::vrrp::MCAST_V4));
    // The bytes are a whole IPv4 packet that decodes to our advert, TTL 255.
    let (meta, payload) = wire::parse_ipv4(bytes).unwrap();
    assert_eq!(meta.ttl, 255);
    let p = wire::parse_advert(payload, *src, *dst).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.advert.vrid, p.advert.priority), (51, 100));
    assert_eq!(p.advert.auth_password(), b"secret12");
}

#[test]
fn interface_without_address_waits_in_fault_and_starts_when_it_gets_one() {
    let h = host(true, &[]);
    let mut n = node(&h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    assert_eq!(state(&n), State::Fault);
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Transition { reason, .. }
            if reason.to_string().contains("has no IPv4 address"))),
        "{out:?}"
    );
    out.clear();
    let info = IfaceInfo {
        index: 2,
        up: true,
        addrs: vec!["192.0.2.7".parse().unwrap()],
    };
    n.handle(
        Time::from_secs(1),
        Input::Interface {
            ifname: "eth0",
            info: Some(info),
        },
        &mut out,
    );
    assert_eq!(state(&n), State::Backup);
    assert!(out
        .iter()
        .any(|e| matches!(e, Effect::SourceChanged { src: Some(a), .. }
        if *a == IpAddr::from(ip("192.0.2.7")))));
    assert_eq!(
        n.instances().next().unwrap().1.fsm.config().primary_addr,
        IpAddr::from(ip("192.0.2.7"))
    );
}

#[test]
fn link_down_faults_a_master_and_link_up_brings_it_back_as_backup() {
    let h = host(true, &["192.0.2.1"]);
    let mut n = node(&h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    let t = n.next_deadline().unwrap();
    n.handle(t, Input::TimerExpired, &mut out);
    assert_eq!(state(&n), State::Master);
    out.clear();
    let mut info = h.interface("eth0").unwrap();
    info.up = false;
    n.handle(
        t,
        Input::Interface {
            ifname: "eth0",
            info: Some(info.clone()),
        },
        &mut out,
    );
    assert_eq!(state(&n), State::Fault);
    assert!(out.iter().any(|e| matches!(e, Effect::RemoveVips { .. })));
    info.up = true;
    n.handle(
        t,
        Input::Interface {
            ifname: "eth0",
            info: Some(info),
        },
        &mut out,
    );
    assert_eq!(state(&n), State::Backup);
}

/// Drive `n` by its own deadlines until `until`, recording when each instance sends.
fn run_until(n: &mut Node, until: Time) -> Vec<(Time, usize)> {
    let mut sends = Vec::new();
    let mut out = Vec::new();
    while let Some(t) = n.next_deadline().filter(|&t| t <= until) {
        out.clear();
        n.handle(t, Input::TimerExpired, &mut out);
        for e in &out {
            if let Effect::Send { id, .. } = e {
                sends.push((t, id.0));
            }
        }
    }
    sends
}

#[test]
fn a_burst_of_adverts_is_spread_into_batches_never_later() {
    let mut conf = String::new();
    for v in 1..=100 {
        conf += &format!(
            "vrrp_instance VI_{v} {{\n interface eth0\n virtual_router_id {v}\n priority 100\n advert_int 1\n version 3\n virtual_ipaddress {{\n  198.51.100.{v}/32\n }}\n}}\n"
        );
    }
    let h = host(true, &["192.0.2.1"]);
    let l = load_str("n.conf", &conf);
    let (specs, refused) = node::build_all(&l.config, &h);
    assert!(refused.is_empty(), "{refused:?}");
    let mut n = Node::new(specs, &h);
    n.handle(Time::ZERO, Input::Startup, &mut Vec::new());
    let sends = run_until(&mut n, Time::from_millis(20_000));
    // All 100 become master at one instant (Master_Down_Interval) and send their first advert
    // together; afterwards no instant carries more than one batch.
    let mut per_instant: HashMap<Time, usize> = HashMap::new();
    for (t, _) in &sends {
        *per_instant.entry(*t).or_default() += 1;
    }
    let first = sends[0].0;
    assert_eq!(per_instant[&first], 100);
    assert!(per_instant
        .iter()
        .filter(|(t, _)| **t > first)
        .all(|(_, c)| *c <= 32));
    // Every gap is at most the interval; only the second advert of a moved instance is early,
    // by at most a quarter interval, and only once.
    let mut last: HashMap<usize, Time> = HashMap::new();
    let mut early = 0;
    for (t, id) in &sends {
        if let Some(p) = last.insert(*id, *t) {
            let gap = t.as_micros() - p.as_micros();
            assert!(gap <= 1_000_000, "instance {id}: gap {gap} us");
            assert!(gap >= 750_000, "instance {id}: gap {gap} us");
            if gap < 1_000_000 {
                early += 1;
            }
        }
    }
    assert_eq!(
        early,
        100 - 32,
        "every instance beyond the first batch moved once"
    );
}
