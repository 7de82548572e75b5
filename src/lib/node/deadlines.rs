//! The set of pending deadlines of a node's instances: a binary heap keyed by instance slot.
//! Pure (times are plain microseconds); the daemon arms one kernel timer at `earliest()`, the
//! simulator one virtual-time event.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Microseconds on the driver's clock (the same origin as `fsm::Time`).
pub type Micros = u64;

/// The set of pending deadlines, one logical entry per key (instance index).
///
/// Moving a key's deadline later does not touch the heap: the early entry fires, the owner
/// finds nothing due and re-schedules. So a backup whose master-down timer is pushed back by
/// every advert costs one heap operation per Master_Down_Interval, not one per advert.
#[derive(Debug, Clone, Default)]
pub struct DeadlineQueue {
    heap: BinaryHeap<Reverse<(Micros, usize)>>,
    /// The earliest entry queued for each key, if any.
    queued: Vec<Option<Micros>>,
}

impl DeadlineQueue {
    pub fn new() -> DeadlineQueue {
        DeadlineQueue::default()
    }

    /// Make sure `key` is woken at `deadline` (or earlier). `None` asks for nothing.
    pub fn schedule(&mut self, key: usize, deadline: Option<Micros>) {
        let Some(d) = deadline else { return };
        if self.queued.len() <= key {
            self.queued.resize(key + 1, None);
        }
        if self.queued[key].is_none_or(|q| d < q) {
            self.queued[key] = Some(d);
            self.heap.push(Reverse((d, key)));
        }
    }

    /// The earliest queued deadline.
    pub fn earliest(&self) -> Option<Micros> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }

    /// Pop one key whose queued deadline is at or before `now`. The caller checks what is
    /// really due and calls `schedule` again with the key's next deadline.
    pub fn pop_due(&mut self, now: Micros) -> Option<usize> {
        let Reverse((d, key)) = *self.heap.peek()?;
        if d > now {
            return None;
        }
        self.heap.pop();
        if self.queued.get(key).copied().flatten() == Some(d) {
            // Later entries of the same key may remain; they only cause a harmless re-check.
            self.queued[key] = None;
        }
        Some(key)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_order_and_skips_later_reschedules() {
        let mut q = DeadlineQueue::new();
        q.schedule(0, Some(300));
        q.schedule(1, Some(100));
        q.schedule(2, Some(200));
        // Moving key 0 later does not add an entry; moving it earlier does.
        q.schedule(0, Some(400));
        assert_eq!(q.len(), 3);
        q.schedule(2, Some(50));
        assert_eq!(q.len(), 4);
        assert_eq!(q.earliest(), Some(50));
        assert_eq!(q.pop_due(40), None);
        assert_eq!(q.pop_due(1000), Some(2));
        assert_eq!(q.pop_due(1000), Some(1));
        // The stale 200 entry of key 2 still pops once; the owner re-checks and ignores it.
        assert_eq!(q.pop_due(1000), Some(2));
        assert_eq!(q.pop_due(1000), Some(0));
        assert_eq!(q.pop_due(1000), None);
        assert!(q.is_empty());
    }

    #[test]
    fn none_schedules_nothing() {
        let mut q = DeadlineQueue::new();
        q.schedule(5, None);
        assert!(q.is_empty());
    }
}
