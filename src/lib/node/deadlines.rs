//! The set of pending deadlines of a node's instances, keyed by instance slot. Pure (times are
//! plain microseconds); the daemon arms one kernel timer at `earliest()`, the simulator one
//! virtual-time event.
//!
//! Instances share deadlines: masters that became master together send on one Adver_Timer
//! grid (a few 1 ms batches after node/pacing.rs), and their backups' Master_Down_Timers are
//! reset by adverts that arrive together. So the queue is a short list of buckets, one per
//! distinct deadline in ascending order, each holding its keys: scheduling is a binary search
//! over a few dozen buckets (usually landing at the end) and a push, popping is taking the next
//! key of the first bucket, where a binary heap of one entry per key sifted through ~log2(n)
//! levels for every advert. Keys of one deadline pop in ascending order, exactly the order of
//! a heap of (deadline, key).

use std::collections::VecDeque;

/// Microseconds on the driver's clock (the same origin as `fsm::Time`).
pub type Micros = u64;

/// The keys due at one deadline.
#[derive(Debug, Clone, Default)]
struct Bucket {
    at: Micros,
    keys: Vec<usize>,
    /// Keys before `next` have been popped.
    next: usize,
    /// `keys[next..]` is in ascending order.
    sorted: bool,
}

/// The set of pending deadlines, one logical entry per key (instance index).
///
/// Moving a key's deadline later does not touch the queue: the early entry fires, the owner
/// finds nothing due and re-schedules. So a backup whose master-down timer is pushed back by
/// every advert costs one queue operation per Master_Down_Interval, not one per advert.
#[derive(Debug, Clone, Default)]
pub struct DeadlineQueue {
    /// Ascending by deadline, none empty.
    buckets: VecDeque<Bucket>,
    /// The earliest entry queued for each key, if any.
    queued: Vec<Option<Micros>>,
    /// Entries queued (a key moved earlier has two until the later one pops).
    len: usize,
    /// Emptied key lists, reused by new buckets (no allocation per deadline).
    spare: Vec<Vec<usize>>,
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
            self.insert(d, key);
        }
    }

    fn insert(&mut self, d: Micros, key: usize) {
        self.len += 1;
        // Most new deadlines are the latest: look at the end first.
        let at = match self.buckets.back() {
            Some(b) if b.at < d => self.buckets.len(),
            _ => self.buckets.partition_point(|b| b.at < d),
        };
        if let Some(b) = self.buckets.get_mut(at).filter(|b| b.at == d) {
            if b.keys.len() > b.next && b.keys.last().is_some_and(|&l| key < l) {
                b.sorted = false;
            }
            b.keys.push(key);
            return;
        }
        let mut keys = self.spare.pop().unwrap_or_default();
        keys.push(key);
        self.buckets.insert(
            at,
            Bucket {
                at: d,
                keys,
                next: 0,
                sorted: true,
            },
        );
    }

    /// The earliest queued deadline.
    pub fn earliest(&self) -> Option<Micros> {
        self.buckets.front().map(|b| b.at)
    }

    /// Pop one key whose queued deadline is at or before `now`. The caller checks what is
    /// really due and calls `schedule` again with the key's next deadline.
    pub fn pop_due(&mut self, now: Micros) -> Option<usize> {
        let b = self.buckets.front_mut().filter(|b| b.at <= now)?;
        if !b.sorted {
            let next = b.next;
            b.keys[next..].sort_unstable();
            b.sorted = true;
        }
        let (d, key) = (b.at, b.keys[b.next]);
        b.next += 1;
        if b.next == b.keys.len() {
            if let Some(mut done) = self.buckets.pop_front() {
                done.keys.clear();
                self.spare.push(done.keys);
            }
        }
        self.len -= 1;
        if self.queued.get(key).copied().flatten() == Some(d) {
            // Later entries of the same key may remain; they only cause a harmless re-check.
            self.queued[key] = None;
        }
        Some(key)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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

    /// The same pops, in the same order, as a binary heap of (deadline, key) with the same
    /// lazy rescheduling, over a long random mix of schedules and pops.
    #[test]
    fn pops_exactly_like_a_heap_of_deadline_and_key() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut q = DeadlineQueue::new();
        let mut heap: BinaryHeap<Reverse<(Micros, usize)>> = BinaryHeap::new();
        let mut queued: Vec<Option<Micros>> = vec![None; 64];
        // xorshift64: deterministic, and node/ does not reach up into sim/ for it.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut now = 0;
        for _ in 0..200_000 {
            let r = next();
            if r % 3 == 0 {
                now += r % 7;
                loop {
                    let want = match heap.peek() {
                        Some(&Reverse((d, k))) if d <= now => {
                            heap.pop();
                            if queued[k] == Some(d) {
                                queued[k] = None;
                            }
                            Some(k)
                        }
                        _ => None,
                    };
                    assert_eq!(q.pop_due(now), want);
                    if want.is_none() {
                        break;
                    }
                }
            } else {
                let key = (r >> 8) as usize % 64;
                // Deadlines cluster on a few instants, as real ones do.
                let d = now + (r >> 20) % 4 * 5;
                if queued[key].is_none_or(|x| d < x) {
                    queued[key] = Some(d);
                    heap.push(Reverse((d, key)));
                }
                q.schedule(key, Some(d));
            }
            assert_eq!(q.len(), heap.len());
            assert_eq!(q.earliest(), heap.peek().map(|Reverse((d, _))| *d));
        }
    }

    #[test]
    fn none_schedules_nothing() {
        let mut q = DeadlineQueue::new();
        q.schedule(5, None);
        assert!(q.is_empty());
    }
}
