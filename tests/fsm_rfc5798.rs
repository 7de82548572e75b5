//! RFC 5798 section 6.4 state tables, one test per row (6.4.1 Initialize, 6.4.2 Backup,
//! 6.4.3 Master), in virtual time. Rows about ARP/ND/MAC handling and Accept_Mode are the
//! daemon's to perform; here they show as "the VIPs are held exactly in MASTER" and "accept is
//! carried in the config". RFC "transition to Initialize" on shutdown is keepalived's STOP.

mod common;
use common::fsm::*;

use std::net::IpAddr;
use std::time::Duration;

use vrrp::fsm::{Action, Input, Instance, InstanceConfig, Reason, State, Time, Version};

fn v3(priority: u8, advert_int_cs: u16) -> InstanceConfig {
    let mut c = InstanceConfig::new("VI_1", 51, priority, ip(10));
    c.version = Version::V3;
    c.advert_int_cs = advert_int_cs;
    c
}

fn advert(src: IpAddr, priority: u8, advert_int_cs: u16) -> Input {
    Input::AdvertReceived {
        src,
        priority,
        advert_int_cs,
    }
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// A backup started at t=0.
fn backup(cfg: InstanceConfig) -> Instance {
    let vi = started(cfg);
    assert_eq!(vi.state(), State::Backup);
    vi
}

/// A master: started at t=0, promoted when its down timer ran out; returns the promotion time.
fn master(cfg: InstanceConfig) -> (Instance, Time) {
    let mut vi = backup(cfg);
    let t = promote(&mut vi);
    (vi, t)
}

// ---------------------------------------------------------------- 6.4.1 Initialize

#[test]
fn init_startup_priority_255_sends_advert_announces_and_becomes_master() {
    let mut vi = Instance::new(v3(255, 100));
    let acts = vi.handle(Time::from_millis(7), Input::Startup);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        acts[0],
        transition(State::Initialize, State::Master, Reason::Startup)
    );
    assert_eq!(adverts(&acts), vec![255]);
    assert!(acts.contains(&Action::AddVips));
    assert!(acts.contains(&Action::SendGarp { count: 5 }));
    // Adver_Timer = Advertisement_Interval.
    assert_eq!(vi.next_deadline(), Some(Time::from_millis(1_007)));
}

#[test]
fn init_startup_not_owner_sets_master_down_timer_and_becomes_backup() {
    let mut vi = Instance::new(v3(100, 50));
    let acts = vi.handle(Time::from_millis(3), Input::Startup);
    assert_eq!(vi.state(), State::Backup);
    assert!(adverts(&acts).is_empty());
    assert!(!acts.contains(&Action::AddVips));
    // Master_Adver_Interval = Advertisement_Interval (0.5 s);
    // Master_Down_Interval = 3 x 0.5 s + (256 - 100) x 0.5 s / 256.
    assert_eq!(vi.master_adver_interval(), Duration::from_millis(500));
    assert_eq!(vi.master_down_interval(), us(1_500_000 + 304_687));
    assert_eq!(
        vi.next_deadline(),
        Some(Time::from_millis(3) + us(1_804_687))
    );
}

// ---------------------------------------------------------------- 6.4.2 Backup

#[test]
fn backup_must_not_hold_the_vips_nor_answer_for_them() {
    // MUST NOT respond to ARP / ND for the VIPs, MUST discard the virtual MAC, MUST NOT accept
    // packets to the VIPs: the daemon does these by not holding the addresses in BACKUP.
    let mut vi = backup(v3(100, 100));
    for t in 1..5u64 {
        let acts = vi.handle(Time::from_millis(t * 1000), advert(ip(20), 200, 100));
        assert!(!acts.contains(&Action::AddVips));
        assert!(!acts.iter().any(|a| matches!(a, Action::SendGarp { .. })));
        assert!(adverts(&acts).is_empty());
    }
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(vi.master_addr(), Some(ip(20)));
}

#[test]
fn backup_shutdown_cancels_master_down_timer() {
    let mut vi = backup(v3(100, 100));
    let acts = vi.handle(Time::from_millis(500), Input::Shutdown);
    assert_eq!(vi.state(), State::Stop);
    assert_eq!(vi.next_deadline(), None);
    assert!(adverts(&acts).is_empty(), "a backup has nothing to give up");
    assert_eq!(
        acts[0],
        transition(State::Backup, State::Stop, Reason::Shutdown)
    );
}

#[test]
fn backup_master_down_timer_fires_sends_advert_announces_and_becomes_master() {
    let mut vi = backup(v3(150, 100));
    let due = vi.next_deadline().expect("armed");
    assert!(
        vi.handle(due - us(1), Input::TimerExpired).is_empty(),
        "not due yet"
    );
    let acts = vi.handle(due, Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        acts[0],
        transition(State::Backup, State::Master, Reason::MasterDownTimerExpired)
    );
    assert_eq!(adverts(&acts), vec![150]);
    assert!(acts.contains(&Action::AddVips));
    assert!(acts.contains(&Action::SendGarp { count: 5 }));
    assert_eq!(vi.counters().become_master, 1);
    // Adver_Timer = Advertisement_Interval from the transition.
    assert_eq!(vi.next_deadline(), Some(due + Duration::from_secs(1)));
}

#[test]
fn backup_advert_priority_zero_sets_master_down_timer_to_skew_time() {
    let mut vi = backup(v3(100, 100));
    vi.handle(Time::from_secs(1), advert(ip(20), 200, 100));
    let t = Time::from_millis(1_500);
    let acts = vi.handle(t, advert(ip(20), 0, 100));
    assert!(acts.is_empty());
    // Skew_Time = (256 - 100) x 1 s / 256 = 0.609375 s.
    assert_eq!(vi.next_deadline(), Some(t + us(609_375)));
    assert_eq!(vi.counters().pri_zero_rcvd, 1);
    let acts = vi.handle(t + us(609_375), Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        acts[0],
        transition(State::Backup, State::Master, Reason::PriorityZeroReceived)
    );
}

#[test]
fn backup_advert_higher_or_equal_priority_learns_interval_and_resets_timer() {
    let mut vi = backup(v3(100, 100));
    // Higher priority, the master advertises every 0.2 s: Master_Adver_Interval = 0.2 s.
    let t = Time::from_millis(300);
    vi.handle(t, advert(ip(20), 200, 20));
    assert_eq!(vi.master_adver_interval(), Duration::from_millis(200));
    // Master_Down_Interval = 3 x 0.2 s + 156 x 0.2 s / 256 = 0.721875 s.
    assert_eq!(vi.master_down_interval(), us(721_875));
    assert_eq!(vi.next_deadline(), Some(t + us(721_875)));
    // Equal priority (even from a lower address) also resets the timer.
    let t2 = Time::from_millis(500);
    vi.handle(t2, advert(ip(1), 100, 20));
    assert_eq!(vi.next_deadline(), Some(t2 + us(721_875)));
    assert_eq!(vi.master_addr(), Some(ip(1)));
    assert_eq!(vi.state(), State::Backup);
}

#[test]
fn backup_advert_lower_priority_without_preempt_resets_timer() {
    let mut cfg = v3(100, 100);
    cfg.preempt = false;
    let mut vi = backup(cfg);
    for s in 1..=10u64 {
        vi.handle(Time::from_millis(s * 1000), advert(ip(20), 50, 100));
    }
    assert_eq!(vi.state(), State::Backup, "nopreempt never takes over");
    assert_eq!(
        vi.next_deadline(),
        Some(Time::from_millis(10_000) + vi.master_down_interval())
    );
}

#[test]
fn backup_advert_lower_priority_with_preempt_is_discarded() {
    let mut vi = backup(v3(100, 100));
    let armed = vi.next_deadline();
    let acts = vi.handle(Time::from_millis(1000), advert(ip(20), 50, 20));
    assert!(acts.is_empty());
    assert_eq!(vi.next_deadline(), armed, "the down timer keeps running");
    assert_eq!(
        vi.master_adver_interval(),
        Duration::from_secs(1),
        "a discarded advert teaches nothing"
    );
    let acts = vi.handle(armed.expect("armed"), Input::TimerExpired);
    assert_eq!(
        acts[0],
        transition(State::Backup, State::Master, Reason::PreemptLowerPriority)
    );
}

// ---------------------------------------------------------------- 6.4.3 Master

#[test]
fn master_holds_the_vips_and_carries_accept_mode() {
    let mut cfg = v3(150, 100);
    cfg.accept = false;
    let (vi, _) = master(cfg);
    assert!(
        !vi.config().accept,
        "Accept_Mode reaches the daemon unchanged"
    );
    assert_eq!(vi.master_addr(), Some(ip(10)));
    let (vi, _) = master(v3(150, 100));
    assert!(vi.config().accept);
}

#[test]
fn master_shutdown_cancels_adver_timer_and_sends_priority_zero() {
    let (mut vi, t) = master(v3(150, 100));
    let acts = vi.handle(t + us(10), Input::Shutdown);
    assert_eq!(vi.state(), State::Stop);
    assert_eq!(vi.next_deadline(), None);
    assert_eq!(adverts(&acts), vec![0]);
    let zero = acts
        .iter()
        .position(|a| *a == Action::SendAdvert { priority: 0 });
    let remove = acts.iter().position(|a| *a == Action::RemoveVips);
    assert!(
        zero < remove,
        "priority 0 goes out before the VIPs go: {acts:?}"
    );
    assert_eq!(vi.counters().pri_zero_sent, 1);
    // keepalived's shutdown (restore_vrrp_interfaces) does not count a release.
    assert_eq!(vi.counters().release_master, 0);
}

#[test]
fn master_adver_timer_fires_sends_advert_and_resets_timer() {
    let (mut vi, t) = master(v3(150, 100));
    let mut due = vi.next_deadline().expect("adver timer");
    assert_eq!(due, t + Duration::from_secs(1));
    for _ in 0..5 {
        let acts = vi.handle(due, Input::TimerExpired);
        assert_eq!(adverts(&acts), vec![150]);
        let next = vi.next_deadline().expect("re-armed");
        assert_eq!(next - due, Duration::from_secs(1));
        due = next;
    }
}

#[test]
fn master_advert_priority_zero_sends_advert_and_resets_adver_timer() {
    let (mut vi, t) = master(v3(150, 100));
    let at = t + Duration::from_millis(300);
    let acts = vi.handle(at, advert(ip(20), 0, 100));
    assert_eq!(acts, vec![Action::SendAdvert { priority: 150 }]);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(vi.next_deadline(), Some(at + Duration::from_secs(1)));
}

#[test]
fn master_advert_higher_priority_steps_down_and_learns_interval() {
    let (mut vi, t) = master(v3(150, 100));
    let at = t + Duration::from_millis(300);
    let acts = vi.handle(at, advert(ip(20), 200, 50));
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(
        acts[0],
        transition(State::Master, State::Backup, Reason::HigherPriorityAdvert)
    );
    assert!(acts.contains(&Action::RemoveVips));
    assert!(
        adverts(&acts).is_empty(),
        "no priority 0 when stepping down"
    );
    assert_eq!(vi.master_adver_interval(), Duration::from_millis(500));
    // 3 x 0.5 s + (256 - 150) x 0.5 s / 256.
    assert_eq!(vi.next_deadline(), Some(at + us(1_500_000 + 207_031)));
    assert_eq!(vi.master_addr(), Some(ip(20)));
}

#[test]
fn master_advert_equal_priority_higher_address_steps_down() {
    let (mut vi, t) = master(v3(150, 100));
    let acts = vi.handle(t + us(5), advert(ip(11), 150, 100));
    assert_eq!(vi.state(), State::Backup);
    assert_eq!(
        acts[0],
        transition(
            State::Master,
            State::Backup,
            Reason::EqualPriorityHigherAddress
        )
    );
}

#[test]
fn master_advert_lower_priority_is_discarded() {
    let mut cfg = v3(150, 100);
    // The RFC's behaviour; keepalived's default answers and sends garp_lower_prio_repeat GARPs.
    cfg.lower_prio_no_advert = true;
    cfg.garp.lower_prio_repeat = 0;
    let (mut vi, t) = master(cfg);
    let armed = vi.next_deadline();
    let acts = vi.handle(t + us(5), advert(ip(20), 100, 100));
    assert_eq!(acts, vec![Action::NotifyMasterRxLowerPri]);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(vi.next_deadline(), armed);
}

#[test]
fn master_advert_equal_priority_lower_address_is_discarded() {
    let mut cfg = v3(150, 100);
    cfg.lower_prio_no_advert = true;
    let (mut vi, t) = master(cfg);
    vi.handle(t + us(5), advert(ip(9), 150, 100));
    assert_eq!(vi.state(), State::Master);
}

// ---------------------------------------------------------------- v2 (RFC 3768) timing

#[test]
fn v2_skew_is_in_seconds_and_the_interval_is_never_learned() {
    let mut cfg = InstanceConfig::new("VI_2", 2, 100, ip(10));
    cfg.advert_int_cs = 200;
    let mut vi = backup(cfg);
    // Skew_Time = (256 - 100) / 256 s, whatever the interval.
    assert_eq!(vi.skew_time(), us(609_375));
    assert_eq!(vi.master_down_interval(), us(6_000_000 + 609_375));
    vi.handle(Time::from_millis(100), advert(ip(20), 200, 100));
    assert_eq!(vi.master_adver_interval(), Duration::from_secs(2));
}
