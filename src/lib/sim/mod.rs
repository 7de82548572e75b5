//! Deterministic discrete-event simulator: nodes built from configs on a virtual LAN, driving
//! `fsm` exactly as the daemon does, in virtual time.
//!
//! Every node's instances are real [`crate::fsm::Instance`]s. The simulator plays the daemon's
//! part: it feeds `Startup`, `AdvertReceived`, `TimerExpired` (when `next_deadline()` is due),
//! `PriorityChanged`, `Fault`/`FaultCleared` and `Shutdown`, and performs the actions (adverts
//! become packets on the virtual LAN, `AddVips`/`RemoveVips` move VIP ownership). The LAN has
//! per-link delay and loss (a seeded xorshift, so a run is reproducible), partitions, and a
//! per-node "firewall drops protocol 112 inbound" switch. The report holds the transition
//! timeline, VIP ownership over time and every split brain with its duration.

mod engine;
mod event_spec;
mod report;
mod rng;
mod spec;

pub use engine::Sim;
pub use event_spec::{parse_duration, EventSpec, SpecError};
pub use report::{InstanceSummary, PacketStats, Report, SplitBrain, TimelineEntry, VipOwnership};
pub use rng::XorShift64;
pub use spec::{Event, Link, NodeSpec, SimError, SimInstance};
