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
//!
//! Above the engine: `scenario` (a cluster of loaded configs, timed steps including tracker
//! and link steps, run to an end or until quiet; the tests/scenarios format), `findings` (what
//! a run says: split brain, no master, flapping, never converging, and lint's failover
//! analysis) and `drill` (the default rehearsal: crash and restart each node, fail each
//! tracker, and measure).

pub mod drill;
mod engine;
mod event_spec;
pub mod findings;
mod queue;
mod report;
mod rng;
pub mod scenario;
mod spec;
mod trackers;

pub use engine::Sim;
pub use event_spec::{parse_duration, EventSpec, SpecError};
pub use findings::Finding;
pub use report::{InstanceSummary, PacketStats, Report, SplitBrain, TimelineEntry, VipOwnership};
pub use rng::XorShift64;
pub use scenario::{Run, Scenario, ScenarioError, ScenarioNode, Step, TimedStep};
pub use spec::{Event, Link, NodeSpec, SimError, SimInstance};
