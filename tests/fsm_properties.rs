//! Invariants of the state machine under arbitrary event sequences, driven the way the daemon
//! drives it (deadlines fired in time order before each later input).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use proptest::prelude::*;
use vrrp::config::model::InitialState;
use vrrp::fsm::{Action, Input, Instance, InstanceConfig, State, Time, Version};

#[derive(Debug, Clone)]
enum Ev {
    Advert { src: u8, priority: u8, int_cs: u16 },
    Priority(u8),
    Fault,
    FaultCleared,
    Shutdown,
    Startup,
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        6 => (1u8..=4, prop_oneof![Just(0u8), 1u8..=255], 1u16..=300)
            .prop_map(|(src, priority, int_cs)| Ev::Advert { src, priority, int_cs }),
        2 => (1u8..=255).prop_map(Ev::Priority),
        1 => Just(Ev::Fault),
        1 => Just(Ev::FaultCleared),
        1 => Just(Ev::Shutdown),
        1 => Just(Ev::Startup),
    ]
}

fn cfg() -> impl Strategy<Value = InstanceConfig> {
    (
        1u8..=255,
        any::<bool>(),
        any::<bool>(),
        0u64..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        1u16..=200,
    )
        .prop_map(
            |(priority, v3, preempt, delay_s, master, lpna, hpsa, int_cs)| {
                let addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3));
                let mut c = InstanceConfig::new("VI_P", 7, priority, addr);
                c.version = if v3 { Version::V3 } else { Version::V2 };
                c.advert_int_cs = if v3 { int_cs } else { 100 };
                c.preempt = preempt;
                c.preempt_delay = Duration::from_secs(delay_s);
                c.initial_state = if master {
                    InitialState::Master
                } else {
                    InitialState::Backup
                };
                c.lower_prio_no_advert = lpna;
                c.higher_prio_send_advert = hpsa;
                c.garp.master_refresh = Some(Duration::from_millis(1_700));
                c
            },
        )
}

/// Checks one batch of actions against the state before and after it.
fn check_batch(
    before: State,
    vi: &Instance,
    acts: &[Action],
    holds_vips: &mut bool,
) -> Result<(), TestCaseError> {
    let mut state = before;
    let mut pending_notify: Option<State> = None;
    for a in acts {
        match a {
            Action::Transition { from, to, .. } => {
                prop_assert_eq!(*from, state, "transition from the current state");
                prop_assert!(
                    pending_notify.is_none(),
                    "notify before the next transition"
                );
                prop_assert_ne!(from, to);
                state = *to;
                pending_notify = Some(*to);
            }
            Action::Notify(s) => {
                prop_assert_eq!(Some(*s), pending_notify, "one notify per transition");
                pending_notify = None;
            }
            Action::AddVips => {
                prop_assert!(!*holds_vips, "VIPs added twice");
                prop_assert_eq!(state, State::Master);
                *holds_vips = true;
            }
            Action::RemoveVips => {
                prop_assert!(*holds_vips, "VIPs removed while not held");
                *holds_vips = false;
            }
            Action::SendAdvert { priority } => {
                prop_assert!(
                    *priority == 0 || *priority == vi.effective_priority(),
                    "advert priority {} vs effective {}",
                    priority,
                    vi.effective_priority()
                );
                prop_assert!(
                    state == State::Master || *priority == 0,
                    "only a master advertises"
                );
            }
            Action::SendGarp { count } => {
                prop_assert!(*count > 0);
                prop_assert_eq!(state, State::Master);
            }
            Action::NotifyMasterRxLowerPri => prop_assert_eq!(state, State::Master),
        }
    }
    prop_assert!(pending_notify.is_none(), "every transition is notified");
    prop_assert_eq!(state, vi.state());
    prop_assert_eq!(
        *holds_vips,
        vi.state() == State::Master,
        "VIPs held exactly in MASTER"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_event_sequence(
        cfg in cfg(),
        evs in proptest::collection::vec((0u64..3_000, ev()), 1..60),
    ) {
        let mut vi = Instance::new(cfg);
        let mut now = Time::ZERO;
        let mut holds = false;
        // keepalived's shutdown releases a master without counting release_master.
        let mut shutdowns_as_master = 0;
        let before = vi.state();
        let acts = vi.handle(now, Input::Startup);
        check_batch(before, &vi, &acts, &mut holds)?;
        for (dt_ms, e) in evs {
            let target = now + Duration::from_millis(dt_ms);
            // Fire every deadline up to the next input, as the daemon's timer would.
            while let Some(due) = vi.next_deadline().filter(|&d| d <= target) {
                // A priority change can move a backup's running down timer into the past
                // (keepalived's timer_sub_long); the driver's timer then fires at once.
                now = due.max(now);
                let before = vi.state();
                let acts = vi.handle(now, Input::TimerExpired);
                check_batch(before, &vi, &acts, &mut holds)?;
                prop_assert!(vi.next_deadline().is_none_or(|d| d > now), "timer not consumed");
            }
            now = target;
            let input = match e {
                Ev::Advert { src, priority, int_cs } => Input::AdvertReceived {
                    src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, src)),
                    priority,
                    advert_int_cs: int_cs,
                },
                Ev::Priority(p) => Input::PriorityChanged { effective: p },
                Ev::Fault => Input::Fault { reason: "test".into() },
                Ev::FaultCleared => Input::FaultCleared,
                Ev::Shutdown => Input::Shutdown,
                Ev::Startup => Input::Startup,
            };
            let before = vi.state();
            if before == State::Master && input == Input::Shutdown {
                shutdowns_as_master += 1;
            }
            let acts = vi.handle(now, input);
            check_batch(before, &vi, &acts, &mut holds)?;
            // A timer runs in BACKUP and MASTER (elsewhere only delayed GARP bursts, which
            // check_batch shows are never sent outside MASTER).
            prop_assert!(
                vi.next_deadline().is_some() || !matches!(vi.state(), State::Backup | State::Master),
                "state {} deadline {:?}", vi.state(), vi.next_deadline()
            );
            prop_assert!(vi.effective_priority() >= 1);
            // Trackers never move an address owner, and never make anyone else one.
            prop_assert_eq!(vi.base_priority() == 255, vi.effective_priority() == 255);
            let c = vi.counters();
            let released = c.release_master + shutdowns_as_master;
            prop_assert!(c.become_master >= released);
            prop_assert!(c.become_master - released <= 1);
            prop_assert!(c.pri_zero_sent <= c.advert_sent);
        }
    }
}
