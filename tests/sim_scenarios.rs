//! Failover scenarios on the simulated LAN, in virtual time: the real state machine driven the
//! way the daemon drives it. Timing bounds come from RFC 5798's formulas, computed here.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use vrrp::fsm::{InstanceConfig, State, Time, Version};
use vrrp::sim::{Event, Link, NodeSpec, Report, Sim, SimInstance};

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

const VIP: u8 = 100;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn at(d: Duration) -> Time {
    Time::ZERO + d
}

/// Master_Down_Interval for a backup of `priority`: 3 x interval + (256 - priority) x interval / 256
/// (v3), or 3 x interval + (256 - priority) / 256 s (v2), in microseconds as keepalived.
fn mdi(version: Version, priority: u8, interval: Duration) -> Duration {
    let i = interval.as_micros() as u64;
    let skew = match version {
        Version::V3 => (256 - u64::from(priority)) * i / 256,
        Version::V2 => (256 - u64::from(priority)) * 1_000_000 / 256,
    };
    Duration::from_micros(3 * i + skew)
}

fn skew(version: Version, priority: u8, interval: Duration) -> Duration {
    mdi(version, priority, interval) - 3 * interval
}

struct Opts {
    version: Version,
    advert_int_cs: u16,
    preempt: bool,
    preempt_delay: Duration,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            version: Version::V3,
            advert_int_cs: 100,
            preempt: true,
            preempt_delay: Duration::ZERO,
        }
    }
}

fn node(name: &str, last: u8, priority: u8, o: &Opts) -> NodeSpec {
    let mut c = InstanceConfig::new("VI_1", 51, priority, ip(last));
    c.version = o.version;
    c.advert_int_cs = o.advert_int_cs;
    c.preempt = o.preempt;
    c.preempt_delay = o.preempt_delay;
    NodeSpec::new(name, ip(last), vec![SimInstance::new(c, vec![ip(VIP)])])
}

fn pair(a_prio: u8, b_prio: u8, o: &Opts) -> Sim {
    let mut sim = Sim::new(1);
    sim.add_node(node("a", 1, a_prio, o)).expect("a");
    sim.add_node(node("b", 2, b_prio, o)).expect("b");
    sim
}

/// Schedules `events` at whole seconds; a refused event is a broken scenario.
fn schedule<const N: usize>(sim: &mut Sim, events: [(u64, Event); N]) {
    for (t, e) in events {
        let what = format!("{e:?} at {t} s");
        if let Err(err) = sim.schedule(secs(t), e) {
            panic!("{what}: {err}");
        }
    }
}

fn kill(node: &str) -> Event {
    Event::Kill { node: node.into() }
}

fn start(node: &str) -> Event {
    Event::Start { node: node.into() }
}

fn stop(node: &str) -> Event {
    Event::Stop { node: node.into() }
}

fn block_vrrp(node: &str) -> Event {
    Event::BlockVrrp { node: node.into() }
}

fn unblock_vrrp(node: &str) -> Event {
    Event::UnblockVrrp { node: node.into() }
}

fn masters_at_end(r: &Report) -> Vec<&str> {
    r.instances
        .iter()
        .filter(|i| i.node_up && i.state == State::Master)
        .map(|i| i.node.as_str())
        .collect()
}

#[test]
fn higher_priority_node_wins_the_first_election() {
    let r = pair(150, 100, &Opts::default()).run(secs(10));
    assert_eq!(masters_at_end(&r), ["a"]);
    assert_eq!(r.owners_at(ip(VIP), at(secs(10))), ["a"]);
    assert!(r.split_brains.is_empty(), "{:?}", r.split_brains);
    // a's shorter skew makes it master first; b never becomes master.
    assert!(r.first_entry("b", State::Master, Time::ZERO).is_none());
}

#[test]
fn kill_master_backup_takes_over_within_master_down_interval() {
    let mut sim = pair(150, 100, &Opts::default());
    schedule(&mut sim, [(10, kill("a"))]);
    let r = sim.run(secs(20));
    let took = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("b takes over");
    let bound = mdi(Version::V3, 100, secs(1));
    // b's down timer started at a's last advert (at most one interval before the kill).
    assert!(took > at(secs(10)));
    assert!(
        took <= at(secs(10)) + bound,
        "took at {took}, bound {bound:?}"
    );
    assert!(
        took >= at(secs(9)) + bound,
        "not before MDI after the last advert: {took}"
    );
    let entry = r
        .transitions_of("b")
        .find(|e| e.to == State::Master)
        .expect("entry");
    assert_eq!(entry.reason, "master down timer expired");
    assert_eq!(r.owners_at(ip(VIP), at(secs(10))), Vec::<String>::new());
    assert_eq!(r.owners_at(ip(VIP), took), ["b"]);
    assert!(r.split_brains.is_empty());
}

#[test]
fn graceful_stop_hands_over_within_skew_time() {
    let mut sim = pair(150, 100, &Opts::default());
    schedule(&mut sim, [(10, stop("a"))]);
    let r = sim.run(secs(20));
    let took = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("b takes over");
    let bound = skew(Version::V3, 100, secs(1)) + Link::default().delay;
    assert!(
        took - at(secs(10)) <= bound,
        "{:?} > {bound:?}",
        took - at(secs(10))
    );
    let entry = r
        .transitions_of("b")
        .find(|e| e.to == State::Master)
        .expect("entry");
    assert_eq!(entry.reason, "priority 0 received");
    let a_stop = r.transitions_of("a").last().expect("a stopped");
    assert_eq!(
        (a_stop.to, a_stop.reason.as_str()),
        (State::Stop, "shutdown")
    );
    assert_eq!(
        r.instance("a", "VI_1").map(|i| i.counters.pri_zero_sent),
        Some(1)
    );
}

#[test]
fn higher_priority_node_preempts_when_it_rejoins() {
    let mut sim = pair(150, 100, &Opts::default());
    schedule(&mut sim, [(10, kill("a")), (20, start("a"))]);
    let r = sim.run(secs(30));
    let back = r
        .first_entry("a", State::Master, at(secs(20)))
        .expect("a preempts");
    // a discards b's lower-priority adverts; its own down timer runs out.
    assert_eq!(back, at(secs(20)) + mdi(Version::V3, 150, secs(1)));
    let a_entry = r
        .transitions_of("a")
        .filter(|e| e.to == State::Master)
        .last()
        .expect("entry");
    assert_eq!(a_entry.reason, "preempted lower priority master");
    let b_down = r
        .transitions_of("b")
        .find(|e| e.from == State::Master)
        .expect("b steps down");
    assert_eq!(b_down.reason, "higher priority advert received");
    assert_eq!(masters_at_end(&r), ["a"]);
    // Two masters only while a's first advert crosses the wire.
    assert!(
        r.split_brain_time(51) <= Link::default().delay,
        "{:?}",
        r.split_brains
    );
}

#[test]
fn nopreempt_node_does_not_take_back_mastership() {
    let o = Opts {
        preempt: false,
        ..Opts::default()
    };
    let mut sim = pair(150, 100, &o);
    schedule(&mut sim, [(10, kill("a")), (20, start("a"))]);
    let r = sim.run(secs(40));
    assert!(r.first_entry("a", State::Master, at(secs(20))).is_none());
    assert_eq!(masters_at_end(&r), ["b"]);
    assert_eq!(r.owners_at(ip(VIP), at(secs(40))), ["b"]);
    assert!(r.split_brains.is_empty());
}

#[test]
fn preempt_delay_holds_the_rejoining_node_back() {
    let o = Opts {
        preempt_delay: secs(5),
        ..Opts::default()
    };
    let mut sim = pair(150, 100, &o);
    schedule(&mut sim, [(10, kill("a")), (20, start("a"))]);
    let r = sim.run(secs(40));
    let back = r
        .first_entry("a", State::Master, at(secs(20)))
        .expect("a preempts later");
    // Accepting b's adverts until 25 s, then the down timer of the last accepted one.
    assert!(back >= at(secs(25)), "{back}");
    assert!(
        back <= at(secs(25)) + mdi(Version::V3, 150, secs(1)),
        "{back}"
    );
    assert_eq!(masters_at_end(&r), ["a"]);
}

#[test]
fn firewall_dropping_vrrp_inbound_splits_the_brain() {
    let mut sim = pair(150, 100, &Opts::default());
    schedule(&mut sim, [(10, block_vrrp("b"))]);
    let r = sim.run(secs(30));
    let b_master = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("b goes master");
    assert!(b_master <= at(secs(10)) + mdi(Version::V3, 100, secs(1)));
    assert_eq!(r.split_brains.len(), 1, "{:?}", r.split_brains);
    let sb = &r.split_brains[0];
    assert_eq!(sb.vrid, 51);
    assert!(sb.ongoing);
    assert_eq!(sb.masters, ["a", "b"]);
    assert_eq!(sb.start, b_master);
    assert_eq!(sb.duration(), at(secs(30)) - b_master);
    assert_eq!(r.owners_at(ip(VIP), at(secs(29))), ["a", "b"]);
    assert!(r.packets.firewalled > 0);
}

#[test]
fn unblocking_vrrp_ends_the_split_brain() {
    let mut sim = pair(150, 100, &Opts::default());
    schedule(&mut sim, [(10, block_vrrp("b")), (20, unblock_vrrp("b"))]);
    let r = sim.run(secs(30));
    assert_eq!(r.split_brains.len(), 1, "{:?}", r.split_brains);
    let sb = &r.split_brains[0];
    assert!(!sb.ongoing);
    // b hears a's next advert (at most one interval later) and steps down.
    assert!(sb.end > at(secs(20)) && sb.end <= at(secs(21)) + Link::default().delay);
    assert_eq!(masters_at_end(&r), ["a"]);
}

#[test]
fn partition_and_heal() {
    let mut sim = pair(150, 100, &Opts::default());
    sim.schedule(
        secs(5),
        Event::Partition {
            groups: vec![vec!["a".into()]],
        },
    )
    .expect("partition");
    sim.schedule(secs(15), Event::Heal).expect("heal");
    let r = sim.run(secs(25));
    assert_eq!(r.split_brains.len(), 1);
    assert!(r.split_brains[0].start <= at(secs(5)) + mdi(Version::V3, 100, secs(1)));
    assert!(r.split_brains[0].end <= at(secs(16)) + Link::default().delay);
    assert!(r.packets.partitioned > 0);
    assert_eq!(masters_at_end(&r), ["a"]);
}

#[test]
fn three_nodes_fail_over_in_priority_order() {
    let o = Opts::default();
    let mut sim = Sim::new(3);
    sim.add_node(node("a", 1, 200, &o)).expect("a");
    sim.add_node(node("b", 2, 150, &o)).expect("b");
    sim.add_node(node("c", 3, 100, &o)).expect("c");
    schedule(&mut sim, [(10, kill("a")), (20, kill("b"))]);
    let r = sim.run(secs(30));
    let b = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("b next");
    assert!(b <= at(secs(10)) + mdi(Version::V3, 150, secs(1)));
    let c = r
        .first_entry("c", State::Master, Time::ZERO)
        .expect("c last");
    assert!(c > at(secs(20)) && c <= at(secs(20)) + mdi(Version::V3, 100, secs(1)));
    assert!(r.split_brains.is_empty(), "{:?}", r.split_brains);
    assert_eq!(r.owners_at(ip(VIP), at(secs(15))), ["b"]);
    assert_eq!(r.owners_at(ip(VIP), at(secs(29))), ["c"]);
}

#[test]
fn priority_change_moves_mastership() {
    let mut sim = pair(150, 100, &Opts::default());
    sim.schedule(
        secs(10),
        Event::SetPriority {
            node: "a".into(),
            instance: None,
            priority: 50,
        },
    )
    .expect("prio");
    let r = sim.run(secs(20));
    let b = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("b preempts");
    // a advertises 50 at once; b discards it and its running down timer expires.
    assert!(b <= at(secs(10)) + mdi(Version::V3, 100, secs(1)));
    assert_eq!(masters_at_end(&r), ["b"]);
}

#[test]
fn v2_and_v3_takeover_times_follow_their_formulas() {
    for (version, int_cs) in [(Version::V2, 100u16), (Version::V3, 10u16)] {
        let o = Opts {
            version,
            advert_int_cs: int_cs,
            ..Opts::default()
        };
        let interval = Duration::from_millis(u64::from(int_cs) * 10);
        let mut sim = pair(150, 100, &o);
        schedule(&mut sim, [(10, kill("a"))]);
        let r = sim.run(secs(20));
        let took = r
            .first_entry("b", State::Master, at(secs(10)))
            .expect("takeover");
        // a's last advert left at or before the kill; b's timer ran MDI from its arrival.
        let bound = mdi(version, 100, interval);
        assert!(took - at(secs(10)) <= bound, "{version:?}: {took}");
        assert!(
            took + interval >= at(secs(10)) + bound,
            "{version:?}: {took}"
        );
    }
    // v2's skew is in seconds: a 0.1 s v3 cluster fails over ten times faster than 1 s v2.
    assert!(mdi(Version::V2, 100, secs(1)) > 9 * mdi(Version::V3, 100, Duration::from_millis(100)));
}

#[test]
fn backup_learns_the_masters_interval_v3() {
    // The master advertises every 0.2 s; the backup is configured with 1 s.
    let mut sim = Sim::new(9);
    let fast = Opts {
        advert_int_cs: 20,
        ..Opts::default()
    };
    sim.add_node(node("a", 1, 150, &fast)).expect("a");
    sim.add_node(node("b", 2, 100, &Opts::default()))
        .expect("b");
    schedule(&mut sim, [(10, kill("a"))]);
    let r = sim.run(secs(20));
    let took = r
        .first_entry("b", State::Master, at(secs(10)))
        .expect("takeover");
    let learned = mdi(Version::V3, 100, Duration::from_millis(200));
    assert!(took - at(secs(10)) <= learned, "{took}");
}

#[test]
fn v2_nodes_with_different_intervals_ignore_each_other() {
    let mut sim = Sim::new(5);
    let slow = Opts {
        version: Version::V2,
        advert_int_cs: 200,
        ..Opts::default()
    };
    let normal = Opts {
        version: Version::V2,
        ..Opts::default()
    };
    sim.add_node(node("a", 1, 150, &slow)).expect("a");
    sim.add_node(node("b", 2, 100, &normal)).expect("b");
    let r = sim.run(secs(20));
    assert_eq!(
        r.split_brains.len(),
        1,
        "keepalived drops the mismatched adverts"
    );
    assert!(r.packets.dropped > 0);
}

#[test]
fn lossy_link_runs_are_reproducible_per_seed() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        let o = Opts {
            advert_int_cs: 10,
            ..Opts::default()
        };
        sim.add_node(node("a", 1, 150, &o)).expect("a");
        sim.add_node(node("b", 2, 100, &o)).expect("b");
        sim.set_link(
            "a",
            "b",
            Link {
                delay: Duration::from_millis(2),
                loss: 0.5,
            },
        )
        .expect("link");
        sim.run(secs(60))
    };
    let (r1, r2) = (run(42), run(42));
    assert_eq!(r1, r2);
    assert!(r1.packets.lost > 0);
    // At 50 % loss, three adverts in a row go missing now and then: b flaps to master.
    assert!(!r1.split_brains.is_empty());
}

#[test]
fn unknown_names_and_bad_loss_are_errors_not_panics() {
    let mut sim = pair(150, 100, &Opts::default());
    assert!(sim
        .schedule(secs(1), Event::Kill { node: "zz".into() })
        .is_err());
    assert!(sim
        .schedule(
            secs(1),
            Event::SetPriority {
                node: "a".into(),
                instance: Some("VI_9".into()),
                priority: 10
            }
        )
        .is_err());
    assert!(sim
        .set_default_link(Link {
            delay: Duration::ZERO,
            loss: 1.5
        })
        .is_err());
    assert!(sim.add_node(node("a", 7, 1, &Opts::default())).is_err());
}

#[test]
fn nodes_built_from_keepalived_configs() {
    let conf = |prio: u32| {
        format!(
            "vrrp_instance VI_1 {{\n state BACKUP\n interface eth0\n virtual_router_id 51\n \
             priority {prio}\n advert_int 1\n virtual_ipaddress {{\n 192.0.2.100/24\n }}\n}}\n"
        )
    };
    let mut sim = Sim::new(1);
    for (name, last, prio) in [("n1", 1u8, 150u32), ("n2", 2, 100)] {
        let loaded = vrrp::config::load_str(format!("{name}.conf"), &conf(prio));
        let spec = NodeSpec::from_config(name, ip(last), &loaded.config).expect("spec");
        assert_eq!(spec.instances[0].advertised, [ip(VIP)]);
        sim.add_node(spec).expect("add");
    }
    schedule(&mut sim, [(10, stop("n1"))]);
    let r = sim.run(secs(15));
    assert_eq!(r.owners_at(ip(VIP), at(secs(9))), ["n1"]);
    assert_eq!(r.owners_at(ip(VIP), at(secs(15))), ["n2"]);
    let json = serde_json::to_value(&r).expect("json");
    let ev = &json["events"][0];
    for k in ["t_ms", "node", "instance", "from", "to", "reason"] {
        assert!(ev.get(k).is_some(), "missing {k} in {ev}");
    }
    assert_eq!(json["final"][0]["state"], "STOP");
}

#[test]
fn event_budget_stops_a_run_and_says_so() {
    let mut sim = pair(150, 100, &Opts::default());
    sim.set_event_budget(50);
    let r = sim.run(secs(3600));
    assert!(r.truncated);
    assert!(r.end < at(secs(3600)));
    let r = pair(150, 100, &Opts::default()).run(secs(10));
    assert!(!r.truncated);
    assert_eq!(r.end, at(secs(10)));
}

#[test]
fn equal_priorities_elect_the_higher_primary_address() {
    let r = pair(100, 100, &Opts::default()).run(secs(10));
    // Both down timers run out together; each hears the other's advert and 192.0.2.2 wins.
    assert_eq!(masters_at_end(&r), ["b"]);
    let a_down = r
        .transitions_of("a")
        .find(|e| e.from == State::Master)
        .expect("a yields");
    assert_eq!(a_down.reason, "equal priority advert from higher address");
    assert!(r.split_brain_time(51) <= Link::default().delay);
}

#[test]
fn unicast_adverts_reach_only_the_configured_peers() {
    let o = Opts::default();
    let mut a = node("a", 1, 150, &o);
    let mut b = node("b", 2, 100, &o);
    let c = node("c", 3, 50, &o);
    a.instances[0] = a.instances[0].clone().with_unicast_peers(&[ip(2)]);
    b.instances[0] = b.instances[0].clone().with_unicast_peers(&[ip(1)]);
    let mut sim = Sim::new(4);
    for n in [a, b, c] {
        sim.add_node(n).expect("node");
    }
    let r = sim.run(secs(10));
    // c (multicast) hears no one, and a and b drop its multicast adverts as keepalived's
    // unicast instances do: c claims the VIP too.
    assert_eq!(masters_at_end(&r), ["a", "c"]);
    assert!(r.packets.dropped > 0);
    assert_eq!(
        r.instance("b", "VI_1").map(|i| i.master_ip),
        Some(Some(ip(1)))
    );
    assert_eq!(r.split_brains.len(), 1);
    assert_eq!(r.split_brains[0].masters, ["a", "c"]);
}

#[test]
fn scheduled_from_text_specs() {
    let mut sim = pair(150, 100, &Opts::default());
    for s in ["kill:a@5s", "start:a@8s"] {
        let spec: vrrp::sim::EventSpec = s.parse().expect("spec");
        sim.schedule(spec.at, spec.event).expect("schedule");
    }
    let r = sim.run(secs(15));
    assert!(r.first_entry("b", State::Master, at(secs(5))).is_some());
    assert!(r.first_entry("a", State::Master, at(secs(8))).is_some());
    assert_eq!(masters_at_end(&r), ["a"]);
}
