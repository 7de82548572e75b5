//! Helpers for the state-machine tests (tests/fsm_*.rs): documentation addresses, starting and
//! promoting an instance in virtual time, and picking the sends out of an action list.

use std::net::{IpAddr, Ipv4Addr};

use vrrp::fsm::{Action, Input, Instance, InstanceConfig, Reason, State, Time};

/// 192.0.2.`last`.
pub fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

/// An instance started at t=0.
pub fn started(c: InstanceConfig) -> Instance {
    let mut vi = Instance::new(c);
    vi.handle(Time::ZERO, Input::Startup);
    vi
}

/// Fires the armed timer and checks it made `vi` master; returns when that happened.
pub fn promote(vi: &mut Instance) -> Time {
    let t = vi.next_deadline().expect("down timer armed");
    vi.handle(t, Input::TimerExpired);
    assert_eq!(vi.state(), State::Master);
    t
}

/// The `Transition` action an instance reports first when it changes state.
pub fn transition(from: State, to: State, reason: Reason) -> Action {
    Action::Transition { from, to, reason }
}

/// The priorities of the adverts in `actions`, in order.
pub fn adverts(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { priority } => Some(*priority),
            _ => None,
        })
        .collect()
}

/// The counts of the GARP/NA bursts in `actions`, in order.
pub fn garps(actions: &[Action]) -> Vec<u32> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendGarp { count } => Some(*count),
            _ => None,
        })
        .collect()
}
