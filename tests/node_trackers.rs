//! Trackers and sync groups through the node layer's public API: tracker results move the
//! effective priority (logged with the tracker) or put the instance in FAULT, and the members
//! of a vrrp_sync_group move together, with the group's own notify; a group with a member that
//! cannot run does not run at all.

use std::collections::HashMap;

use vrrp::config::load_str;
use vrrp::fsm::{State, Time};
use vrrp::node::{
    self, Effect, HostView, IfaceInfo, Input, Node, TrackerId, TrackerKind, TrackerState,
};

struct Host(HashMap<String, IfaceInfo>);

impl HostView for Host {
    fn interface(&self, name: &str) -> Option<IfaceInfo> {
        self.0.get(name).cloned()
    }
}

fn host() -> Host {
    let mk = |index, a: &str| IfaceInfo {
        index,
        up: true,
        addrs: vec![a.parse().unwrap()],
    };
    Host(HashMap::from([
        ("eth0".to_string(), mk(2, "192.0.2.1")),
        ("eth1".to_string(), mk(3, "198.51.100.1")),
    ]))
}

fn build(text: &str, h: &Host) -> Node {
    let l = load_str("t.conf", text);
    let (specs, refused) = node::build_all(&l.config, h);
    assert!(refused.is_empty(), "{refused:?}");
    Node::new(specs, h)
}

fn inst(name: &str, ifname: &str, vrid: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n interface {ifname}\n virtual_router_id {vrid}\n priority 150\n advert_int 1\n{extra} virtual_ipaddress {{\n  {vip}\n }}\n}}\n"
    )
}

fn script(name: &str, weight: i32) -> String {
    format!("vrrp_script {name} {{\n script /bin/true\n weight {weight}\n}}\n")
}

fn run_until(n: &mut Node, until: Time, out: &mut Vec<Effect>) {
    while let Some(d) = n.next_deadline() {
        if d > until {
            break;
        }
        n.handle(d, Input::TimerExpired, out);
    }
}

fn transitions(out: &[Effect]) -> Vec<(String, State, State)> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Transition {
                reason, from, to, ..
            } => Some((reason.to_string(), *from, *to)),
            _ => None,
        })
        .collect()
}

fn state(n: &Node, name: &str) -> State {
    n.get(n.by_name(name).unwrap()).unwrap().fsm.state()
}

#[test]
fn script_weight_moves_priority_and_weight_0_means_fault() {
    let h = host();
    let text = format!(
        "{}{}{}",
        script("w", -60),
        script("f", 0),
        inst(
            "VI_1",
            "eth0",
            1,
            "192.0.2.100",
            " track_script {\n  w\n  f\n }\n"
        )
    );
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    // The unweighted script holds FAULT until its first exit.
    let f = TrackerId::new(TrackerKind::Script, "f");
    n.set_tracker(Time::ZERO, &f, TrackerState::Up, &mut out);
    run_until(&mut n, Time::from_secs(5), &mut out);
    assert_eq!(state(&n, "VI_1"), State::Master);
    out.clear();
    let w = TrackerId::new(TrackerKind::Script, "w");
    n.set_tracker(Time::from_secs(5), &w, TrackerState::Up, &mut out);
    assert!(
        out.is_empty(),
        "up with a negative weight changes nothing: {out:?}"
    );
    n.set_tracker(Time::from_secs(5), &w, TrackerState::Down, &mut out);
    assert!(out.contains(&Effect::PriorityChanged {
        id: n.by_name("VI_1").unwrap(),
        from: 150,
        to: 90,
        cause: "vrrp_script w down".into(),
    }));
    let id = n.by_name("VI_1").unwrap();
    assert_eq!(n.get(id).unwrap().fsm.effective_priority(), 90);
    out.clear();
    n.set_tracker(Time::from_secs(6), &f, TrackerState::Down, &mut out);
    assert_eq!(
        transitions(&out),
        vec![(
            "fault: vrrp_script f is down".to_string(),
            State::Master,
            State::Fault
        )]
    );
    out.clear();
    n.set_tracker(Time::from_secs(7), &f, TrackerState::Up, &mut out);
    assert_eq!(
        transitions(&out),
        vec![("fault cleared".to_string(), State::Fault, State::Backup)]
    );
}

/// Sync group SG1 of VI_IN (eth0, VRID 1) and VI_OUT (eth1, VRID 2), started at 0.
fn started_sg1() -> (Node, Vec<Effect>) {
    let text = format!(
        "vrrp_sync_group SG1 {{\n group {{\n  VI_IN\n  VI_OUT\n }}\n}}\n{}{}",
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst("VI_OUT", "eth1", 2, "198.51.100.100", "")
    );
    let mut n = build(&text, &host());
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    (n, out)
}

#[test]
fn sync_group_members_move_together_and_the_group_is_notified() {
    let (mut n, mut out) = started_sg1();
    assert_eq!(
        out.first(),
        Some(&Effect::GroupNotify {
            group: "SG1".into(),
            state: State::Backup
        })
    );
    run_until(&mut n, Time::from_secs(5), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Master);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    assert!(out.contains(&Effect::GroupNotify {
        group: "SG1".into(),
        state: State::Master
    }));
    // eth1 goes down: VI_OUT to FAULT takes VI_IN with it.
    out.clear();
    let down = IfaceInfo {
        index: 3,
        up: false,
        addrs: vec!["198.51.100.1".parse().unwrap()],
    };
    n.handle(
        Time::from_secs(6),
        Input::Interface {
            ifname: "eth1",
            info: Some(down),
        },
        &mut out,
    );
    assert_eq!(state(&n, "VI_OUT"), State::Fault);
    assert_eq!(state(&n, "VI_IN"), State::Fault);
    assert!(transitions(&out)
        .iter()
        .any(|(r, _, to)| r.contains("sync group SG1: VI_OUT is in FAULT") && *to == State::Fault));
    assert_eq!(
        out.last(),
        Some(&Effect::GroupNotify {
            group: "SG1".into(),
            state: State::Fault
        })
    );
    // Back up: both to BACKUP, then MASTER together.
    out.clear();
    n.handle(
        Time::from_secs(7),
        Input::Interface {
            ifname: "eth1",
            info: host().interface("eth1"),
        },
        &mut out,
    );
    assert_eq!(state(&n, "VI_OUT"), State::Backup);
    assert_eq!(state(&n, "VI_IN"), State::Backup);
    run_until(&mut n, Time::from_secs(12), &mut out);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    assert_eq!(state(&n, "VI_IN"), State::Master);
}

#[test]
fn a_sync_group_with_a_member_that_cannot_run_does_not_start() {
    let h = host();
    let text = format!(
        "vrrp_sync_group SG1 {{\n group {{\n  VI_IN\n  VI_OUT\n }}\n}}\n{}{}",
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst("VI_OUT", "eth9", 2, "198.51.100.100", "")
    );
    let l = load_str("t.conf", &text);
    let (specs, refused) = node::build_all(&l.config, &h);
    assert!(specs.is_empty(), "{specs:?}");
    assert_eq!(refused.len(), 2);
    assert!(
        refused[1]
            .to_string()
            .contains("vrrp_sync_group SG1: member vrrp_instance VI_OUT cannot run"),
        "{}",
        refused[1]
    );
}

#[test]
fn a_sync_groups_track_process_and_track_file_move_its_members() {
    // Without sync_group_tracking_weight the group's weighted process tracker is weight 0
    // (FAULT while its quorum is lost); the file's block weight is dropped too, so a non-zero
    // value is FAULT.
    let h = host();
    let text = format!(
        "vrrp_track_process svc {{\n process sleep 99\n weight -20\n}}\ntrack_file f {{\n file /nonexistent/f\n}}\nvrrp_sync_group SG1 {{\n group {{\n  VI_IN\n  VI_OUT\n }}\n track_process {{\n  svc\n }}\n track_file {{\n  f\n }}\n}}\n{}{}",
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst("VI_OUT", "eth1", 2, "198.51.100.100", "")
    );
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    let svc = TrackerId::new(TrackerKind::Process, "svc");
    let f = TrackerId::new(TrackerKind::File, "f");
    n.set_tracker(Time::ZERO, &svc, TrackerState::Up, &mut out);
    n.set_tracker(Time::ZERO, &f, TrackerState::Value(0), &mut out);
    n.handle(Time::ZERO, Input::Startup, &mut out);
    run_until(&mut n, Time::from_secs(5), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Master);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    // Quorum lost: both members FAULT; regained: both back (each member's fault cleared in
    // the same input, which once left each holding the other's group fault for ever).
    n.set_tracker(Time::from_secs(6), &svc, TrackerState::Down, &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Fault);
    assert_eq!(state(&n, "VI_OUT"), State::Fault);
    n.set_tracker(Time::from_secs(7), &svc, TrackerState::Up, &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Backup);
    run_until(&mut n, Time::from_secs(12), &mut out);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    // The file's value 3: FAULT (weight 0 in a group); 0 again: back.
    n.set_tracker(Time::from_secs(13), &f, TrackerState::Value(3), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Fault);
    assert_eq!(state(&n, "VI_OUT"), State::Fault);
    n.set_tracker(Time::from_secs(14), &f, TrackerState::Value(0), &mut out);
    assert_eq!(state(&n, "VI_OUT"), State::Backup);
}

fn notifies(out: &[Effect]) -> Vec<State> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Notify { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

fn group_notifies(out: &[Effect]) -> Vec<State> {
    out.iter()
        .filter_map(|e| match e {
            Effect::GroupNotify { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

/// keepalived 2.2.7 measured (a weight-0 script that sleeps 2 s before its first exit): the
/// instance is FAULT in the data dump ("Number of track scripts init = 1") and no notify runs;
/// the first success notifies BACKUP, a first failure notifies FAULT (no new transition);
/// a weighted script that has not run holds nothing.
#[test]
fn an_unweighted_script_that_has_not_run_holds_fault_without_a_notify() {
    let h = host();
    let text = format!(
        "{}{}{}",
        script("f", 0),
        script("w", -10),
        inst(
            "VI_1",
            "eth0",
            1,
            "192.0.2.100",
            " track_script {\n  f\n }\n"
        )
    ) + &inst(
        "VI_2",
        "eth1",
        2,
        "198.51.100.100",
        " track_script {\n  w\n }\n",
    );
    let f = TrackerId::new(TrackerKind::Script, "f");
    for first in [TrackerState::Up, TrackerState::Down] {
        let mut n = build(&text, &h);
        let mut out = Vec::new();
        n.handle(Time::ZERO, Input::Startup, &mut out);
        assert_eq!(state(&n, "VI_1"), State::Fault);
        assert_eq!(state(&n, "VI_2"), State::Backup);
        let one = n.by_name("VI_1").unwrap();
        let notified: Vec<_> = out
            .iter()
            .filter(|e| matches!(e, Effect::Notify { id, .. } if *id == one))
            .collect();
        assert!(notified.is_empty(), "{notified:?}");
        assert_eq!(
            transitions(&out)[0],
            (
                "fault: vrrp_script f has not run yet".to_string(),
                State::Initialize,
                State::Fault
            )
        );
        // The node keeps FAULT through its timers.
        run_until(&mut n, Time::from_secs(2), &mut out);
        assert_eq!(state(&n, "VI_1"), State::Fault);
        out.clear();
        n.set_tracker(Time::from_secs(2), &f, first, &mut out);
        if first == TrackerState::Up {
            assert_eq!(
                transitions(&out),
                vec![("fault cleared".to_string(), State::Fault, State::Backup)]
            );
            assert_eq!(notifies(&out), vec![State::Backup]);
        } else {
            assert!(transitions(&out).is_empty(), "{out:?}");
            assert_eq!(notifies(&out), vec![State::Fault]);
            assert_eq!(state(&n, "VI_1"), State::Fault);
            // Later results notify as usual, once.
            out.clear();
            n.set_tracker(Time::from_secs(3), &f, TrackerState::Up, &mut out);
            assert_eq!(notifies(&out), vec![State::Backup]);
        }
    }
}

#[test]
fn a_script_in_init_holds_its_sync_group_quietly_and_a_reload_adds_none() {
    let h = host();
    let text = format!(
        "{}vrrp_sync_group SG1 {{\n group {{\n  VI_IN\n  VI_OUT\n }}\n}}\n{}{}",
        script("f", 0),
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst(
            "VI_OUT",
            "eth1",
            2,
            "198.51.100.100",
            " track_script {\n  f\n }\n"
        )
    );
    let f = TrackerId::new(TrackerKind::Script, "f");
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    // Both members FAULT (VI_IN never BACKUP first), nothing notified.
    assert_eq!(state(&n, "VI_IN"), State::Fault);
    assert_eq!(state(&n, "VI_OUT"), State::Fault);
    assert!(
        notifies(&out).is_empty() && group_notifies(&out).is_empty(),
        "{out:?}"
    );
    assert!(!transitions(&out)
        .iter()
        .any(|(_, _, to)| *to == State::Backup));
    out.clear();
    n.set_tracker(Time::from_secs(1), &f, TrackerState::Up, &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Backup);
    assert_eq!(state(&n, "VI_OUT"), State::Backup);
    assert_eq!(notifies(&out), vec![State::Backup, State::Backup]);
    assert_eq!(group_notifies(&out), vec![State::Backup]);

    // A first failure instead: the member and the group are notified FAULT.
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    out.clear();
    n.set_tracker(Time::from_secs(1), &f, TrackerState::Down, &mut out);
    assert_eq!(notifies(&out), vec![State::Fault]);
    assert_eq!(group_notifies(&out), vec![State::Fault]);

    // A reload that adds an unweighted script to a running instance: it holds nothing
    // (keepalived's SCRIPT_INIT_STATE_INIT_RELOAD).
    let plain = format!(
        "{}{}",
        script("g", 0),
        inst("VI_1", "eth0", 1, "192.0.2.100", "")
    );
    let mut n = build(&plain, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    run_until(&mut n, Time::from_secs(5), &mut out);
    assert_eq!(state(&n, "VI_1"), State::Master);
    let with = format!(
        "{}{}",
        script("g", 0),
        inst(
            "VI_1",
            "eth0",
            1,
            "192.0.2.100",
            " track_script {\n  g\n }\n"
        )
    );
    let l = load_str("t.conf", &with);
    let (specs, _) = node::build_all(&l.config, &h);
    out.clear();
    n.reload(Time::from_secs(5), specs, &h, &mut out);
    assert_eq!(state(&n, "VI_1"), State::Master, "{out:?}");
}

#[test]
fn demoting_a_sync_group_member_demotes_its_group_and_restoring_any_member_restores_it() {
    let h = host();
    let text = format!(
        "vrrp_sync_group SG1 {{\n group {{\n  VI_IN\n  VI_OUT\n }}\n}}\n{}{}{}",
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst("VI_OUT", "eth1", 2, "198.51.100.100", ""),
        inst("VI_ALONE", "eth0", 3, "192.0.2.103", "")
    );
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    run_until(&mut n, Time::from_secs(5), &mut out);
    for name in ["VI_IN", "VI_OUT", "VI_ALONE"] {
        assert_eq!(state(&n, name), State::Master, "{name}");
    }
    let (vi_in, vi_out, alone) = (
        n.by_name("VI_IN").unwrap(),
        n.by_name("VI_OUT").unwrap(),
        n.by_name("VI_ALONE").unwrap(),
    );
    assert_eq!(n.demotion_scope(vi_out), vec![vi_in, vi_out]);
    assert_eq!(n.demotion_scope(alone), vec![alone]);

    out.clear();
    n.demote(Time::from_secs(5), vi_in, "kernel update".into(), &mut out);
    for name in ["VI_IN", "VI_OUT"] {
        let i = n.get(n.by_name(name).unwrap()).unwrap();
        assert_eq!(i.fsm.state(), State::Backup, "{name}");
        assert_eq!(i.demoted.as_deref(), Some("kernel update"), "{name}");
    }
    assert_eq!(state(&n, "VI_ALONE"), State::Master, "not in the group");
    // Each member hands over itself: a priority-0 advert from both (byte 2 of the VRRP
    // header, after the 20-byte IPv4 header), not a silent sync to BACKUP.
    let zero_from: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Send { id, bytes, .. } if bytes.get(22) == Some(&0) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(zero_from, vec![vi_in, vi_out], "{out:?}");
    assert!(transitions(&out)
        .iter()
        .all(|(r, from, to)| r.contains("kernel update")
            && *from == State::Master
            && *to == State::Backup));
    let group_notifies: Vec<_> = out
        .iter()
        .filter(|e| matches!(e, Effect::GroupNotify { .. }))
        .collect();
    assert_eq!(
        group_notifies,
        vec![&Effect::GroupNotify {
            group: "SG1".into(),
            state: State::Backup
        }]
    );
    // Held: with nobody else on the wire neither member takes over again.
    run_until(&mut n, Time::from_secs(30), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Backup);
    assert_eq!(state(&n, "VI_OUT"), State::Backup);

    // Restoring the other member ends the demotion of both; they compete and take over.
    out.clear();
    n.restore(Time::from_secs(30), vi_out, &mut out);
    for name in ["VI_IN", "VI_OUT"] {
        let i = n.get(n.by_name(name).unwrap()).unwrap();
        assert_eq!(i.demoted, None, "{name}");
    }
    run_until(&mut n, Time::from_secs(40), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Master);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    assert!(out.contains(&Effect::GroupNotify {
        group: "SG1".into(),
        state: State::Master
    }));
}

#[test]
fn an_instance_a_reload_adds_to_a_demoted_sync_group_starts_demoted() {
    let h = host();
    let group = |members: &str| format!("vrrp_sync_group SG1 {{\n group {{\n{members} }}\n}}\n");
    let text = format!(
        "{}{}",
        group("  VI_IN\n"),
        inst("VI_IN", "eth0", 1, "192.0.2.100", "")
    );
    let mut n = build(&text, &h);
    let mut out = Vec::new();
    n.handle(Time::ZERO, Input::Startup, &mut out);
    run_until(&mut n, Time::from_secs(5), &mut out);
    let vi_in = n.by_name("VI_IN").unwrap();
    n.demote(Time::from_secs(5), vi_in, "maintenance".into(), &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Backup);

    // VI_OUT joins SG1 while it is demoted: it is demoted too and never becomes master.
    let text = format!(
        "{}{}{}",
        group("  VI_IN\n  VI_OUT\n"),
        inst("VI_IN", "eth0", 1, "192.0.2.100", ""),
        inst("VI_OUT", "eth1", 2, "198.51.100.100", "")
    );
    let l = load_str("t.conf", &text);
    let (specs, refused) = node::build_all(&l.config, &h);
    assert!(refused.is_empty(), "{refused:?}");
    out.clear();
    n.reload(Time::from_secs(6), specs, &h, &mut out);
    let vi_out = n.by_name("VI_OUT").unwrap();
    assert_eq!(
        n.get(vi_out).unwrap().demoted.as_deref(),
        Some("maintenance")
    );
    run_until(&mut n, Time::from_secs(30), &mut out);
    assert_eq!(state(&n, "VI_OUT"), State::Backup, "{out:?}");
    assert_eq!(state(&n, "VI_IN"), State::Backup);
    // Restoring either brings both back.
    n.restore(Time::from_secs(30), vi_out, &mut out);
    run_until(&mut n, Time::from_secs(40), &mut out);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    assert_eq!(state(&n, "VI_IN"), State::Master);
}

/// A v2 advert (no authentication) for `vrid` from `src`, as keepalived sends it.
fn advert_from(src: &str, vrid: u8, priority: u8, vip: &str) -> Vec<u8> {
    use vrrp::wire::{self, Advert, ChecksumKind, Ipv4Meta};
    let a = Advert::v2(vrid, priority, 1, 0, b"", vec![vip.parse().unwrap()]);
    let meta = Ipv4Meta::keepalived(src.parse().unwrap(), wire::vrrp::MCAST_V4);
    let mut buf = vec![0u8; 128];
    let n = wire::emit_ipv4_packet(&a, &meta, ChecksumKind::PseudoHeader, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn deliver(n: &mut Node, now: Time, ifname: &str, src: &str, bytes: &[u8], out: &mut Vec<Effect>) {
    let meta = node::RxMeta {
        len: bytes.len(),
        truncated: false,
        src: src.parse().unwrap(),
        v6_dst: None,
        v6_hop_limit: None,
    };
    n.handle(
        now,
        Input::Datagram {
            ifname,
            family: node::Family::V4,
            bytes,
            meta: &meta,
        },
        out,
    );
}

/// keepalived's vrrp_sync_can_goto_master ("prefer backup state to avoid thrashing"): a member
/// whose master went silent (adverts lost on eth0) while the other member still hears its
/// master (eth1) stays BACKUP, wanting MASTER; the group becomes MASTER only when the other
/// member's master goes silent too, at that member's Master_Down_Interval.
#[test]
fn a_sync_group_member_waits_in_backup_until_every_member_wants_master() {
    let (mut n, mut out) = started_sg1();
    let peer = advert_from("198.51.100.2", 2, 200, "198.51.100.100");
    // The peer is master of VI_OUT and keeps advertising there for 10 s; VI_IN hears nothing.
    for s in 0..10 {
        let at = Time::from_secs(s);
        run_until(&mut n, at, &mut out);
        deliver(&mut n, at, "eth1", "198.51.100.2", &peer, &mut out);
    }
    run_until(&mut n, Time::from_millis(9_999), &mut out);
    assert!(
        transitions(&out)
            .iter()
            .all(|(_, _, to)| *to == State::Backup),
        "{:?}",
        transitions(&out)
    );
    let vi_in = n.get(n.by_name("VI_IN").unwrap()).unwrap();
    assert_eq!(vi_in.fsm.state(), State::Backup);
    assert_eq!(
        vi_in.fsm.want_state(),
        State::Master,
        "keepalived's wantstate"
    );
    let vi_out = n.get(n.by_name("VI_OUT").unwrap()).unwrap();
    assert_eq!(vi_out.fsm.want_state(), State::Backup);
    // The peer's last advert was at 9 s: VI_OUT's Master_Down_Interval (3 x 1 s + Skew_Time
    // (256 - 150) / 256 s) ends at 12.414 s, and the whole group goes MASTER then.
    let mdi = vi_out.fsm.master_down_interval();
    out.clear();
    run_until(&mut n, Time::from_secs(9) + mdi, &mut out);
    assert_eq!(state(&n, "VI_IN"), State::Master);
    assert_eq!(state(&n, "VI_OUT"), State::Master);
    let t = transitions(&out);
    assert_eq!(
        t,
        vec![
            (
                "master down timer expired".to_string(),
                State::Backup,
                State::Master
            ),
            ("sync group SG1".to_string(), State::Backup, State::Master),
        ],
        "VI_OUT first, VI_IN with it"
    );
    let first = out.iter().find_map(|e| match e {
        Effect::Transition { id, .. } => Some(*id),
        _ => None,
    });
    assert_eq!(first, n.by_name("VI_OUT"));
}
