//! keepalived 2.2.7's behaviour on top of RFC 5798, one test per extra, in virtual time:
//! `state MASTER` without priority 255 (in and outside sync groups), nopreempt, preempt_delay,
//! FAULT, lower_prio_no_advert, the master's advert timer after answering, higher_prio_send_advert,
//! owner conflict, effective priority changes, the GARP schedule and its independent delayed
//! bursts, down_timer_adverts, counters, and the config model -> InstanceConfig mapping
//! (strict-mode fix-ups, advert_int rounding, GARP fallbacks). The source locations named in
//! each test are keepalived-2.2.7/keepalived/vrrp/*.c.

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
fn state_master_without_priority_255_waits_the_full_master_down_interval() {
    // vrrp_scheduler.c vrrp_init_state: outside a sync group new_state is the wanted MASTER,
    // and only an owner takes the 1 us shortcut, so ms_down_timer = VRRP_MS_DOWN_TIMER.
    let mut c = cfg(150);
    c.initial_state = InitialState::Master;
    let vi = started(c);
    assert_eq!(vi.state(), State::Backup);
    // 3 x 1 s + (256 - 150) / 256 s.
    assert_eq!(
        vi.next_deadline(),
        Some(Time::ZERO + Duration::from_micros(3_000_000 + 414_062))
    );
}

#[test]
fn state_master_in_a_sync_group_that_starts_backup_takes_the_short_timer() {
    // The group's state is BACKUP, the member wants MASTER: "allow one adver_int to pass",
    // master_adver_int + VRRP_TIMER_SKEW_MIN - for an owner too.
    for priority in [150, 255] {
        let mut c = cfg(priority);
        c.initial_state = InitialState::Master;
        c.sync_group_starts_backup = true;
        let mut vi = started(c);
        assert_eq!(vi.state(), State::Backup, "priority {priority}");
        let due = Time::ZERO + Duration::from_micros(1_000_000 + 3_906);
        assert_eq!(vi.next_deadline(), Some(due), "priority {priority}");
        assert_eq!(promote(&mut vi), due);
    }
    // A `state BACKUP` member waits the full interval as anywhere.
    let mut c = cfg(150);
    c.sync_group_starts_backup = true;
    let vi = started(c);
    assert_eq!(
        vi.next_deadline(),
        Some(Time::ZERO + Duration::from_micros(3_414_062))
    );
}

#[test]
fn owner_with_state_master_outside_a_sync_group_is_master_at_once() {
    let mut vi = Instance::new(cfg(255));
    let acts = vi.handle(Time::ZERO, Input::Startup);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        acts[0],
        transition(State::Initialize, State::Master, Reason::Startup)
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
fn preempt_delay_starts_at_the_first_lower_priority_advert_not_at_startup() {
    // vrrp.c vrrp_state_backup: preempt_time is unset until the first lower-priority advert
    // sets it to now + preempt_delay; until then, and until it passes, such adverts are
    // accepted. Nothing sets it at start-up.
    let mut c = cfg(200);
    c.preempt_delay = Duration::from_secs(5);
    let mut vi = started(c);
    // A higher-priority master for 10 s: no delay runs.
    for s in 1..=10 {
        vi.handle(secs(s), advert(ip(30), 250));
    }
    // It stops; a lower-priority router speaks first at 12 s: the delay runs 12..17 s.
    for s in 12..=16 {
        vi.handle(secs(s), advert(ip(20), 100));
    }
    assert_eq!(
        vi.next_deadline(),
        Some(secs(16) + vi.master_down_interval())
    );
    // From 17 s they are discarded, so the down timer armed at 16 s makes us master.
    vi.handle(secs(17), advert(ip(20), 100)); // preempt_until == 17 s is not > now: discarded
    vi.handle(secs(18), advert(ip(20), 100));
    let due = vi.next_deadline().expect("armed");
    assert_eq!(due, secs(16) + vi.master_down_interval());
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
fn master_restarts_its_advert_timer_after_answering_unless_lower_prio_no_advert() {
    // vrrp_scheduler.c vrrp_dispatcher_read: after a packet, "If we have sent an advert,
    // reset the timer" - a master's sands = now + adver_int unless lower_prio_no_advert.
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    assert_eq!(vi.next_deadline(), Some(t + Duration::from_secs(1)));
    let heard = t + Duration::from_millis(400);
    vi.handle(heard, advert(ip(20), 100));
    assert_eq!(vi.next_deadline(), Some(heard + Duration::from_secs(1)));
    // The same after a priority-0 advert, which a master always answers.
    let heard = heard + Duration::from_millis(300);
    assert_eq!(adverts(&vi.handle(heard, advert(ip(20), 0))), vec![150]);
    assert_eq!(vi.next_deadline(), Some(heard + Duration::from_secs(1)));

    let mut c = cfg(150);
    c.lower_prio_no_advert = true;
    c.garp.lower_prio_repeat = 0;
    let mut vi = started(c);
    let t = promote(&mut vi);
    vi.handle(t + Duration::from_millis(400), advert(ip(20), 100));
    assert_eq!(vi.next_deadline(), Some(t + Duration::from_secs(1)));
    // It still answers priority 0, but keeps its timer.
    let acts = vi.handle(t + Duration::from_millis(700), advert(ip(20), 0));
    assert_eq!(adverts(&acts), vec![150]);
    assert_eq!(vi.next_deadline(), Some(t + Duration::from_secs(1)));
}

#[test]
fn delayed_garp_bursts_run_on_independent_timers() {
    // keepalived starts one timer thread per delayed burst (vrrp_state_master_tx for
    // garp_master_delay, vrrp_state_master_rx for each lower-priority advert); none cancels
    // another, and each sends only if the VIPs are still set (vrrp_send_link_update).
    let mut c = cfg(150);
    c.garp.master_repeat = 3;
    c.garp.master_delay = Duration::from_secs(5);
    c.garp.lower_prio_repeat = 2;
    c.garp.lower_prio_delay = Some(Duration::from_secs(2));
    let mut vi = started(c);
    let t0 = promote(&mut vi);
    let mut bursts = Vec::new();
    for ms in [1_000, 1_500] {
        let at = t0 + Duration::from_millis(ms);
        let acts = vi.handle(at, advert(ip(20), 100));
        assert_eq!(
            garps(&acts),
            vec![2],
            "the lower-priority burst goes at once"
        );
    }
    let end = t0 + Duration::from_secs(6);
    while let Some(due) = vi.next_deadline().filter(|&d| d <= end) {
        for g in garps(&vi.handle(due, Input::TimerExpired)) {
            bursts.push(((due - t0).as_millis(), g));
        }
    }
    // Both lower-priority bursts, and the master_delay burst they did not cancel.
    assert_eq!(bursts, vec![(3_000, 2), (3_500, 2), (5_000, 3)]);
}

#[test]
fn delayed_garp_burst_is_not_sent_once_the_instance_left_master() {
    let mut c = cfg(150);
    c.garp.master_delay = Duration::from_secs(5);
    let mut vi = started(c);
    let t0 = promote(&mut vi);
    for s in 1..=4 {
        vi.handle(t0 + Duration::from_secs(s), advert(ip(20), 200));
    }
    assert_eq!(vi.state(), State::Backup);
    // The burst's timer still fires (nothing cancels it), but sends nothing.
    assert_eq!(vi.next_deadline(), Some(t0 + Duration::from_secs(5)));
    let acts = vi.handle(t0 + Duration::from_secs(5), Input::TimerExpired);
    assert!(acts.is_empty(), "{acts:?}");
    assert_eq!(
        vi.next_deadline(),
        Some(t0 + Duration::from_secs(4) + vi.master_down_interval())
    );
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
    // down_instance -> vrrp_state_leave_master(advF): the FAULT branch's priority 0, then
    // vrrp_restore_interface's.
    assert_eq!(adverts(&acts), vec![0, 0]);
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
    // No advert timer; only the garp_master_delay burst's timer, which sends nothing now.
    let due = vi.next_deadline().expect("the delayed burst's timer");
    assert_eq!(due, t + Duration::from_secs(5));
    assert!(vi.handle(due, Input::TimerExpired).is_empty());
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
fn master_whose_priority_drops_sends_nothing_until_its_next_advert() {
    // vrrp_track.c vrrp_set_effective_priority sends nothing; the next advert carries it.
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let acts = vi.handle(
        t + Duration::from_millis(10),
        Input::PriorityChanged { effective: 90 },
    );
    assert!(acts.is_empty(), "{acts:?}");
    assert_eq!(vi.next_deadline(), Some(t + Duration::from_secs(1)));
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
    // The running timer moved with the skew: 3 s + 56/256 s from the advert at 1 s, not
    // 156/256 s. The next advert (150 < 200) is discarded and leaves it running.
    assert_eq!(
        vi.next_deadline(),
        Some(secs(1) + Duration::from_micros(3_000_000 + 218_750))
    );
    vi.handle(secs(2), advert(ip(20), 150));
    let due = vi.next_deadline().expect("armed");
    assert_eq!(due, secs(1) + Duration::from_micros(3_000_000 + 218_750));
    vi.handle(due, Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    assert_eq!(
        vi.last_transition().map(|t| t.reason.clone()),
        Some(Reason::PreemptLowerPriority)
    );
}

#[test]
fn effective_priority_is_clamped_and_never_moves_an_owner() {
    let mut vi = started(cfg(150));
    vi.handle(secs(1), Input::PriorityChanged { effective: 255 });
    assert_eq!(
        vi.effective_priority(),
        254,
        "only configuration makes an owner"
    );
    vi.handle(secs(2), Input::PriorityChanged { effective: 0 });
    assert_eq!(vi.effective_priority(), 1, "0 would mean leaving");

    let mut owner = started(cfg(255));
    let acts = owner.handle(secs(1), Input::PriorityChanged { effective: 100 });
    assert!(acts.is_empty());
    assert_eq!(owner.effective_priority(), 255);
}

#[test]
fn a_reload_that_makes_an_instance_the_owner_gets_it_priority_255() {
    // The node layer re-sends the new base priority after reconfigure.
    let mut vi = started(cfg(100));
    vi.reconfigure(cfg(255));
    vi.handle(secs(1), Input::PriorityChanged { effective: 255 });
    assert_eq!(vi.effective_priority(), 255);
    // And back: an owner no more is tracked again.
    vi.reconfigure(cfg(100));
    vi.handle(secs(2), Input::PriorityChanged { effective: 100 });
    assert_eq!(vi.effective_priority(), 100);
}

#[test]
fn backup_down_timer_moves_by_the_change_of_skew_time_both_ways() {
    // vrrp_set_effective_priority: sands += new ms_down_timer - old ms_down_timer.
    let mut vi = started(cfg(100));
    vi.handle(secs(1), advert(ip(20), 200));
    let before = vi.next_deadline().expect("armed");
    assert_eq!(before, secs(1) + Duration::from_micros(3_609_375));
    // 100 -> 50: the skew grows from 156/256 s to 206/256 s.
    vi.handle(secs(2), Input::PriorityChanged { effective: 50 });
    assert_eq!(
        vi.next_deadline(),
        Some(secs(1) + Duration::from_micros(3_000_000 + 804_687))
    );
    // 50 -> 240: it shrinks to 16/256 s.
    vi.handle(secs(3), Input::PriorityChanged { effective: 240 });
    assert_eq!(
        vi.next_deadline(),
        Some(secs(1) + Duration::from_micros(3_000_000 + 62_500))
    );
}

#[test]
fn backup_after_priority_zero_moves_from_the_skew_it_was_armed_with() {
    // After a priority-0 advert ms_down_timer is the Skew_Time, so a priority change then
    // moves the timer to a whole Master_Down_Interval from that advert - keepalived's
    // arithmetic, reproduced rather than "fixed".
    let mut vi = started(cfg(100));
    vi.handle(secs(1), advert(ip(20), 200));
    vi.handle(secs(2), advert(ip(20), 0));
    assert_eq!(
        vi.next_deadline(),
        Some(secs(2) + Duration::from_micros(609_375))
    );
    vi.handle(
        secs(2) + Duration::from_millis(100),
        Input::PriorityChanged { effective: 101 },
    );
    assert_eq!(
        vi.next_deadline(),
        Some(secs(2) + Duration::from_micros(3_000_000 + 605_468))
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
fn counters_of_leaving_master_as_keepalived_counts_them() {
    // FAULT (vrrp_track.c down_instance -> vrrp.c vrrp_state_leave_master(advF = true)):
    // release_master + 1, two priority-0 adverts, pri_zero_sent + 1.
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let before = *vi.counters();
    vi.handle(
        t + Duration::from_millis(1),
        Input::Fault {
            reason: "link".into(),
        },
    );
    let c = vi.counters();
    assert_eq!(c.release_master - before.release_master, 1);
    assert_eq!(c.advert_sent - before.advert_sent, 2);
    assert_eq!(c.pri_zero_sent - before.pri_zero_sent, 1);

    // Shutdown (vrrp.c restore_vrrp_interfaces -> vrrp_restore_interface(advF = true)): one
    // priority-0 advert, counted; no vrrp_state_leave_master, so no release_master.
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let before = *vi.counters();
    let acts = vi.handle(t + Duration::from_millis(1), Input::Shutdown);
    assert_eq!(adverts(&acts), vec![0]);
    assert!(acts.contains(&Action::RemoveVips));
    assert_eq!(vi.state(), State::Stop);
    let c = vi.counters();
    assert_eq!(c.release_master, before.release_master);
    assert_eq!(c.advert_sent - before.advert_sent, 1);
    assert_eq!(c.pri_zero_sent - before.pri_zero_sent, 1);

    // To BACKUP on a higher-priority advert: release_master + 1, nothing sent.
    let mut vi = started(cfg(150));
    let t = promote(&mut vi);
    let before = *vi.counters();
    vi.handle(t + Duration::from_millis(1), advert(ip(20), 200));
    let c = vi.counters();
    assert_eq!(c.release_master - before.release_master, 1);
    assert_eq!(c.advert_sent, before.advert_sent);
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

fn load_one(text: &str) -> InstanceConfig {
    let loaded = vrrp::config::load_str("keepalived.conf", text);
    let m = &loaded.config;
    InstanceConfig::from_model(&m.instances[0], &m.global, ip(1)).expect("instance")
}

fn instance(extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{extra}\n virtual_ipaddress {{\n  192.0.2.100/24\n }}\n}}\n"
    )
}

#[test]
fn strict_mode_state_follows_priority_255_before_nopreempt_is_cleared() {
    // vrrp.c vrrp_complete_instance: "State MASTER must match being address owner" comes
    // before "nopreempt will not work with initial state MASTER - clearing".
    let strict = |extra: &str| {
        load_one(&format!(
            "global_defs {{\n vrrp_strict\n}}\n{}",
            instance(extra)
        ))
    };
    let c = strict(" state MASTER\n priority 150\n nopreempt");
    assert_eq!(c.initial_state, InitialState::Backup);
    assert!(
        !c.preempt,
        "a strict MASTER below 255 is a BACKUP and keeps nopreempt"
    );
    let c = strict(" state BACKUP\n priority 255");
    assert_eq!(
        c.initial_state,
        InitialState::Master,
        "the owner starts MASTER"
    );
    // Without strict mode `state MASTER` stays and clears nopreempt.
    let c = load_one(&instance(" state MASTER\n priority 150\n nopreempt"));
    assert_eq!(c.initial_state, InitialState::Master);
    assert!(c.preempt);
}

#[test]
fn owner_with_state_backup_keeps_its_preempt_delay() {
    // Only `state MASTER`, strict mode and nopreempt clear preempt_delay; priority 255 clears
    // nopreempt, not preempt_delay.
    let c = load_one(&instance(" state BACKUP\n priority 255\n preempt_delay 3"));
    assert_eq!(c.initial_state, InitialState::Backup);
    assert_eq!(c.preempt_delay, Duration::from_secs(3));
}

#[test]
fn advert_int_is_rounded_and_capped_as_keepalived_does() {
    let v3 =
        |int: &str| load_one(&instance(&format!(" version 3\n advert_int {int}"))).advert_int_cs;
    assert_eq!(v3("0.145"), 15, "0.145 s is 145000 us: rounds half up");
    assert_eq!(v3("0.144"), 14);
    // A seventh decimal rounds the sixth (read_decimal_unsigned), then centiseconds round.
    assert_eq!(v3("0.1449994"), 14, "0.144999 s");
    assert_eq!(v3("0.1449995"), 15, "0.145000 s");
    assert_eq!(v3("41"), 4095, "above 40.95 s: capped, not refused");
    assert_eq!(v3("255"), 4095);
    let v2 = |int: &str| load_one(&instance(&format!(" advert_int {int}"))).advert_int_cs;
    assert_eq!(v2("2.5"), 300);
    assert_eq!(v2("0.4"), 100, "at least one second");
    assert_eq!(
        v2("300"),
        100,
        "out of the parser's range: ignored, the default 1 s"
    );
}

#[test]
fn garp_lower_prio_falls_back_to_the_global_master_values() {
    // vrrp.c vrrp_complete_init: unset vrrp_garp_lower_prio_* = vrrp_garp_master_*; then
    // vrrp_complete_instance: unset garp_lower_prio_* = the global lower_prio values. An
    // instance's own garp_master_* play no part.
    let c = load_one(&instance(" garp_master_repeat 2\n garp_master_delay 9"));
    assert_eq!(c.garp.master_repeat, 2);
    assert_eq!(c.garp.lower_prio_repeat, 5);
    assert_eq!(c.garp.lower_prio_delay, Some(Duration::from_secs(5)));
    let c = load_one(&format!(
        "global_defs {{\n vrrp_garp_master_repeat 3\n vrrp_garp_master_delay 7\n}}\n{}",
        instance("")
    ));
    assert_eq!(c.garp.lower_prio_repeat, 3);
    assert_eq!(c.garp.lower_prio_delay, Some(Duration::from_secs(7)));
    let c = load_one(&format!(
        "global_defs {{\n vrrp_garp_lower_prio_repeat 1\n}}\n{}",
        instance(" garp_lower_prio_delay 0")
    ));
    assert_eq!(c.garp.lower_prio_repeat, 1);
    assert_eq!(c.garp.lower_prio_delay, None);
    // InstanceConfig::new's defaults are what an empty config loads.
    assert_eq!(
        InstanceConfig::new("X", 1, 100, ip(1)).garp,
        load_one(&instance("")).garp
    );
}
