//! Trackers at run time: the rise/fall counter of a vrrp_script, and (re-exported from
//! `config::tracking`, the one copy of keepalived's rules) which trackers an instance follows
//! with which weight and what a result contributes. Pure: the daemon runs the scripts, watches
//! processes, files and links, and reports results with `Node::set_tracker`; the simulator
//! reports invented ones the same way, through the same counter.

pub use crate::config::tracking::{
    effective_priority, resolve, Contribution, TrackerDef, TrackerId, TrackerKind, TrackerState,
};

/// A vrrp_script's rise/fall counter (keepalived's `result`, 0..rise+fall-1; OK from `rise`).
/// `exited` returns the new state when the script's reported state changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCounter {
    rise: u32,
    fall: u32,
    result: u32,
    /// No result reported yet: the first exit decides (one success or one failure is enough).
    initial: bool,
}

impl ScriptCounter {
    /// `init_fail`: start as failed (reported at once), else unknown until the first exit.
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> ScriptCounter {
        let rise = rise.max(1);
        ScriptCounter {
            rise,
            fall: fall.max(1),
            result: if init_fail { 0 } else { rise - 1 },
            initial: !init_fail,
        }
    }

    /// keepalived's `result` (the data dump's `Result = N`).
    pub fn result(&self) -> u32 {
        self.result
    }

    /// The state to report before the script ever ran.
    pub fn initial_state(&self) -> TrackerState {
        if self.initial {
            TrackerState::Unknown
        } else {
            TrackerState::Down
        }
    }

    /// One exit of the script (success or not); Some(state) when the reported state changes.
    pub fn exited(&mut self, success: bool) -> Option<TrackerState> {
        let (rise, fall) = (self.rise, self.fall);
        let was_initial = std::mem::replace(&mut self.initial, false);
        if success {
            if self.result < rise - 1 {
                self.result += 1;
                None
            } else if self.result != rise + fall - 1 {
                let changed = self.result < rise;
                self.result = rise + fall - 1;
                changed.then_some(TrackerState::Up)
            } else {
                None
            }
        } else if self.result > rise {
            self.result -= 1;
            None
        } else {
            let changed = self.result == rise || was_initial;
            self.result = 0;
            changed.then_some(TrackerState::Down)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_and_fall_count_as_keepalived() {
        // fall 3, rise 2: the first exit decides, then three failures to fall, two to rise.
        let mut c = ScriptCounter::new(2, 3, false);
        assert_eq!(c.initial_state(), TrackerState::Unknown);
        assert_eq!(c.exited(true), Some(TrackerState::Up));
        assert_eq!(c.exited(false), None);
        assert_eq!(c.exited(false), None);
        assert_eq!(c.exited(false), Some(TrackerState::Down));
        assert_eq!(c.exited(false), None);
        assert_eq!(c.exited(true), None);
        assert_eq!(c.exited(true), Some(TrackerState::Up));
        // A first failure is reported at once.
        let mut c = ScriptCounter::new(2, 3, false);
        assert_eq!(c.exited(false), Some(TrackerState::Down));
        // init_fail starts down, and needs `rise` successes.
        let mut c = ScriptCounter::new(2, 1, true);
        assert_eq!(c.initial_state(), TrackerState::Down);
        assert_eq!(c.exited(true), None);
        assert_eq!(c.exited(true), Some(TrackerState::Up));
    }
}
