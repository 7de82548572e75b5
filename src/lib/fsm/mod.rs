//! The VRRP state machine (RFC 5798 section 6, RFC 3768 for v2) with keepalived's extras
//! (FAULT, nopreempt, preempt_delay, lower_prio_no_advert, higher_prio_send_advert, the GARP
//! schedule, tracked effective priority).
//!
//! Pure: no clock, no socket, no tokio. Time and events are inputs; actions are outputs. The
//! daemon and the simulator are two drivers of this same code:
//!
//! ```text
//! let mut vi = Instance::new(cfg);
//! for a in vi.handle(now, Input::Startup) { /* perform a */ }
//! loop {
//!     // arm ONE timer at vi.next_deadline(); feed Input::TimerExpired when it fires,
//!     // Input::AdvertReceived for each valid advert of this VRID, ...
//! }
//! ```

mod config;
mod event;
mod instance;
mod time;

pub use config::{FromModelError, GarpConfig, InstanceConfig, Version};
pub use event::{Action, Input, Reason, State, Transition};
pub use instance::{Counters, Instance};
pub use time::Time;
