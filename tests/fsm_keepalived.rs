//! keepalived 2.2.7's behaviour on top of RFC 5798, one test per extra, in virtual time:
//! `state MASTER` without priority 255, nopreempt, preempt_delay, FAULT, lower_prio_no_advert,
//! higher_prio_send_advert, owner conflict, effective priority changes, the GARP schedule,
//! down_timer_adverts, and the config model -> InstanceConfig mapping.

mod common;
use common::fsm::*;

use std::net::IpAddr;
use std::time::Duration;

use vrrp::config::model::InitialState;
use vrrp::fsm::{Action, Input, Instance, InstanceConfig, Reason, State, Time, Version};

fn cfg(priority: u8) -> InstanceConfig {
    InstanceConfig::new("VI_1", 51, priority, ip(10))
}

fn advert(src: IpAddr, priority: u8) -> Input {
    Input::AdvertReceived {
        src,
        priority,
        advert_int_cs: 100,
    }
}

fn secs(s: u64) -> Time {
    Time::from_secs(s)
}

#[test]
fn state_master_without_priority_255_starts_backup_with_a_short_down_timer() {
    let mut c = cfg(150);
    c.initial_state = InitialState::Master;
    let vi = started(c);
    assert_eq!(vi.state(), State::Backup);
    // One advert_int plus the skew of priority 255 (1 s / 256), not 3 x + skew.
    assert_eq!(
        vi.next_deadline(),
        Some(Time::ZERO + Duration::from_micros(1_000_000 + 3_906))
    );
}

#[test]
fn state_backup_with_priority_255_waits_for_the_down_timer() {
    let mut c = cfg(255);
    c.initial_state = InitialState::Backup;
    let vi = started(c);
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(
        vi.next_deadline(),
        Some(Time::ZERO + Duration::from_micros(3_000_000 + 3_906))
    );
}

#[test]
fn nopreempt_backup_never_takes_over_from_a_live_lower_priority_master() {
    let mut c = cfg(200);
    c.preempt = false;
    let mut vi = started(c);
    for s in 1..=30 {
        vi.handle(secs(s), advert(ip(20), 100));
        assert!(vi.next_deadline() > Some(secs(s)));
    }
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(vi.master_priority(), Some(100));
}

#[test]
fn preempt_delay_accepts_lower_priority_adverts_until_it_expires() {
    let mut c = cfg(200);
    c.preempt_delay = Duration::from_secs(5);
    let mut vi = started(c);
    // The lower-priority master's adverts are accepted for preempt_delay after startup...
    for s in 1..=4 {
        vi.handle(secs(s), advert(ip(20), 100));
    }
    assert_eq!(
        vi.next_deadline(),
        Some(secs(4) + vi.master_down_interval())
    );
    // ...then discarded, so the down timer armed by the last accepted one makes us master.
    vi.handle(secs(5), advert(ip(20), 100)); // preempt_until == 5 s is not > now: discarded
    vi.handle(secs(6), advert(ip(20), 100));
    let due = vi.next_deadline().expect("armed");
    assert_eq!(due, secs(4) + vi.master_down_interval());
    let acts = vi.handle(due, Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        acts[0],
        transition(State::Backup, State::Master, Reason::PreemptLowerPriority)
    );
}

#[test]
fn preempt_delay_restarts_after_a_higher_priority_master() {
    let mut c = cfg(200);
    c.preempt_delay = Duration::from_secs(5);
    let mut vi = started(c);
    vi.handle(secs(1), advert(ip(30), 250)); // higher: stops the delay
    vi.handle(secs(10), advert(ip(20), 100)); // lower: starts it again at 10 s
    vi.handle(secs(14), advert(ip(20), 100));
    assert_eq!(
        vi.next_deadline(),
        Some(secs(14) + vi.master_down_interval())
    );
    vi.handle(secs(15), advert(ip(20), 100)); // delay over: discarded
    assert_eq!(
        vi.next_deadline(),
        Some(secs(14) + vi.master_down_interval())
    );
}

#[test]
fn master_answers_a_lower_priority_advert_unless_lower_prio_no_advert() {
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let acts = vi.handle(t + Duration::from_millis(10), advert(ip(20), 100));
    assert_eq!(adverts(&acts), vec![150], "forcing new election");
    assert!(acts.contains(&Action::NotifyMasterRxLowerPri));

    let mut c = cfg(150);
    c.lower_prio_no_advert = true;
    let mut vi = started(c);
    let t = promote(&mut vi);
    let acts = vi.handle(t + Duration::from_millis(10), advert(ip(20), 100));
    assert!(adverts(&acts).is_empty());
}

#[test]
fn garp_lower_prio_repeat_sends_garps_now_and_after_the_delay() {
    let mut c = cfg(150);
    c.garp.lower_prio_repeat = 2;
    c.garp.lower_prio_delay = Some(Duration::from_millis(300));
    c.garp.master_delay = Duration::ZERO;
    let mut vi = started(c);
    let t = promote(&mut vi);
    let at = t + Duration::from_millis(100);
    let acts = vi.handle(at, advert(ip(20), 100));
    assert_eq!(garps(&acts), vec![2]);
    let due = at + Duration::from_millis(300);
    assert_eq!(vi.next_deadline(), Some(due));
    assert_eq!(garps(&vi.handle(due, Input::TimerExpired)), vec![2]);
}

#[test]
fn higher_prio_send_advert_sends_one_advert_before_stepping_down() {
    let mut c = cfg(150);
    c.higher_prio_send_advert = true;
    let mut vi = started(c);
    let t = promote(&mut vi);
    let acts = vi.handle(t + Duration::from_millis(10), advert(ip(20), 200));
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(adverts(&acts), vec![150]);
    let sent = acts
        .iter()
        .position(|a| matches!(a, Action::SendAdvert { .. }));
    let moved = acts
        .iter()
        .position(|a| matches!(a, Action::Transition { .. }));
    assert!(sent < moved, "{acts:?}");
}

#[test]
fn two_owners_the_local_one_drops_to_254_and_yields_to_a_higher_address() {
    let mut vi = started(cfg(255));
    assert_eq!(vi.state(), State::Master);
    let acts = vi.handle(Time::from_millis(200), advert(ip(20), 255));
    assert_eq!(vi.effective_priority(), 254);
    assert_eq!(vi.base_priority(), 254);
    assert_eq!(vi.state(), State::Backup);
    assert!(acts.contains(&Action::RemoveVips));
}

#[test]
fn fault_from_master_sends_priority_zero_and_releases_then_recovers_to_backup() {
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let acts = vi.handle(
        t + Duration::from_millis(10),
        Input::Fault {
            reason: "eth0 down".into(),
        },
    );
    assert_eq!(vi.state(), State::Fault);
    assert_eq!(adverts(&acts), vec![0]);
    assert!(acts.contains(&Action::RemoveVips));
    assert!(acts.contains(&Action::Notify(State::Fault)));
    assert_eq!(
        acts[0],
        Action::Transition {
            from: State::Master,
            to: State::Fault,
            reason: Reason::Fault("eth0 down".into())
        }
    );
    assert_eq!(
        Reason::Fault("eth0 down".into()).to_string(),
        "fault: eth0 down"
    );
    assert_eq!(vi.next_deadline(), None);
    // Adverts are ignored in FAULT (keepalived drops them before the machine).
    assert!(vi.handle(secs(10), advert(ip(20), 100)).is_empty());
    let at = secs(11);
    let acts = vi.handle(at, Input::FaultCleared);
    assert_eq!(vi.state(), State::Backup);
    assert!(acts.contains(&Action::Notify(State::Backup)));
    assert_eq!(vi.next_deadline(), Some(at + vi.master_down_interval()));
}

#[test]
fn fault_before_startup_starts_in_fault_and_owner_recovers_to_master() {
    let mut vi = Instance::new(cfg(255));
    vi.handle(
        Time::ZERO,
        Input::Fault {
            reason: "no link".into(),
        },
    );
    assert_eq!(vi.state(), State::Initialize);
    vi.handle(Time::ZERO, Input::Startup);
    assert_eq!(vi.state(), State::Fault);
    let acts = vi.handle(secs(2), Input::FaultCleared);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(adverts(&acts), vec![255]);
}

#[test]
fn master_whose_priority_drops_advertises_it_at_once() {
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let acts = vi.handle(
        t + Duration::from_millis(10),
        Input::PriorityChanged { effective: 90 },
    );
    assert_eq!(acts, vec![Action::SendAdvert { priority: 90 }]);
    assert_eq!(vi.effective_priority(), 90);
    assert_eq!(vi.base_priority(), 150);
    // The same priority again is not news.
    assert!(vi
        .handle(
            t + Duration::from_millis(20),
            Input::PriorityChanged { effective: 90 }
        )
        .is_empty());
    // And the regular adverts carry it.
    let due = vi.next_deadline().expect("armed");
    assert_eq!(adverts(&vi.handle(due, Input::TimerExpired)), vec![90]);
}

#[test]
fn backup_whose_priority_rises_above_the_master_preempts_at_the_down_timer() {
    let mut vi = started(cfg(100));
    vi.handle(secs(1), advert(ip(20), 150));
    assert!(vi
        .handle(
            secs(1) + Duration::from_millis(1),
            Input::PriorityChanged { effective: 200 }
        )
        .is_empty());
    // The skew now follows the new priority; the next advert (150 < 200) is discarded.
    vi.handle(secs(2), advert(ip(20), 150));
    let due = vi.next_deadline().expect("armed");
    assert_eq!(due, secs(1) + Duration::from_micros(3_000_000 + 609_375));
    vi.handle(due, Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        vi.last_transition().map(|t| t.reason.clone()),
        Some(Reason::PreemptLowerPriority)
    );
}

#[test]
fn garp_schedule_burst_second_burst_after_delay_and_refresh() {
    let mut c = cfg(150);
    c.garp.master_repeat = 3;
    c.garp.master_delay = Duration::from_millis(2_500);
    c.garp.master_refresh = Some(Duration::from_secs(4));
    c.garp.master_refresh_repeat = 2;
    let mut vi = started(c);
    let t0 = vi.next_deadline().expect("armed");
    let acts = vi.handle(t0, Input::TimerExpired);
    assert_eq!(garps(&acts), vec![3]);
    let mut seen = Vec::new();
    let end = t0 + Duration::from_secs(9);
    while let Some(due) = vi.next_deadline().filter(|&d| d <= end) {
        for g in garps(&vi.handle(due, Input::TimerExpired)) {
            seen.push(((due - t0).as_millis(), g));
        }
    }
    assert_eq!(seen, vec![(2_500, 3), (4_000, 2), (8_000, 2)]);
    // Leaving MASTER cancels the schedule.
    vi.handle(end, advert(ip(20), 200));
    assert_eq!(vi.next_deadline(), Some(end + vi.master_down_interval()));
}

#[test]
fn down_timer_adverts_scales_master_down_interval() {
    let mut c = cfg(100);
    c.down_timer_adverts = 5;
    c.version = Version::V3;
    c.advert_int_cs = 10;
    let vi = started(c);
    // 5 x 0.1 s + 156 x 0.1 s / 256.
    assert_eq!(
        vi.master_down_interval(),
        Duration::from_micros(500_000 + 60_937)
    );
}

#[test]
fn master_adverts_stay_on_their_grid_when_the_driver_wakes_late() {
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    // The driver wakes 300 ms late: the advert goes now, the next one stays on t + 2 s.
    vi.handle(t + Duration::from_millis(1_300), Input::TimerExpired);
    assert_eq!(vi.next_deadline(), Some(t + Duration::from_secs(2)));
}

#[test]
fn counters_follow_keepalived_names() {
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    vi.handle(t + Duration::from_millis(1), advert(ip(20), 0));
    vi.handle(t + Duration::from_millis(2), advert(ip(20), 200));
    vi.handle(t + Duration::from_millis(3), advert(ip(20), 0));
    vi.handle(t + Duration::from_millis(4), Input::Shutdown);
    let c = vi.counters();
    assert_eq!(c.become_master, 1);
    assert_eq!(c.release_master, 1);
    assert_eq!(c.advert_rcvd, 3);
    assert_eq!(c.pri_zero_rcvd, 2);
    // Becoming master, answering the first priority 0; a backup does not send on shutdown.
    assert_eq!(c.advert_sent, 2);
    assert_eq!(c.pri_zero_sent, 0);
    assert_eq!(vi.state(), State::Stop);
    // Startup from STOP (a restart) works.
    vi.handle(secs(100), Input::Startup);
    assert_eq!(vi.state(), State::Backup);
}

#[test]
fn state_names_match_the_status_contract() {
    let names: Vec<String> = [
        State::Initialize,
        State::Backup,
        State::Master,
        State::Fault,
        State::Stop,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(names, ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"]);
    assert_eq!(
        Reason::MasterDownTimerExpired.to_string(),
        "master down timer expired"
    );
}

#[test]
fn from_model_reads_the_loaded_config() {
    let text = r#"
global_defs {
    vrrp_garp_master_refresh 30
    vrrp_higher_prio_send_advert
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.5
    version 3
    nopreempt
    preempt_delay 10
    down_timer_adverts 4
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 90
    nopreempt
    preempt_delay 10
    no_accept
    virtual_ipaddress {
        192.0.2.101
    }
}
"#;
    let loaded = vrrp::config::load_str("keepalived.conf", text);
    let cfgm = &loaded.config;
    let c1 = InstanceConfig::from_model(&cfgm.instances[0], &cfgm.global, ip(1)).expect("VI_1");
    assert_eq!(c1.name, "VI_1");
    assert_eq!(c1.vrid, 51);
    assert_eq!(c1.version, Version::V3);
    assert_eq!(c1.advert_int_cs, 50);
    assert_eq!(c1.initial_state, InitialState::Master);
    assert!(c1.preempt, "state MASTER clears nopreempt");
    assert_eq!(c1.preempt_delay, Duration::ZERO);
    assert_eq!(c1.down_timer_adverts, 4);
    assert!(c1.higher_prio_send_advert);
    assert_eq!(c1.garp.master_refresh, Some(Duration::from_secs(30)));
    assert_eq!(c1.primary_addr, ip(1));

    let c2 = InstanceConfig::from_model(&cfgm.instances[1], &cfgm.global, ip(1)).expect("VI_2");
    assert_eq!(c2.version, Version::V2);
    assert_eq!(c2.advert_int_cs, 100);
    assert!(!c2.preempt);
    assert_eq!(
        c2.preempt_delay,
        Duration::ZERO,
        "nopreempt clears preempt_delay"
    );
    assert!(!c2.accept);
    assert_eq!(c2.initial_state, InitialState::Backup);
    assert_eq!(c2.down_timer_adverts, 3);
}

#[test]
fn from_model_rejects_a_missing_vrid() {
    let loaded = vrrp::config::load_str(
        "k.conf",
        "vrrp_instance VI_9 {\n interface eth0\n priority 100\n}\n",
    );
    let cfgm = &loaded.config;
    let inst = cfgm
        .instances
        .first()
        .expect("the loader keeps the instance");
    let err = InstanceConfig::from_model(inst, &cfgm.global, ip(1)).expect_err("no vrid");
    assert!(err.to_string().contains("virtual_router_id"), "{err}");
}
