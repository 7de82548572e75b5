//! The order of the simulator's happenings: earliest virtual time first, and among equal times
//! the one queued first. Most happenings are datagrams queued at `now + link delay`; since `now`
//! never goes back, those of one delay are already in order and wait in a FIFO lane (no heap
//! sifting per datagram). Everything else (timers, scheduled events) waits in a binary heap.
//! `pop` takes the smallest (time, sequence) of the heap's top and the lanes' fronts, so the
//! order is exactly that of a single priority queue.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use crate::fsm::Time;

#[derive(Debug)]
struct Queued<T> {
    at: Time,
    seq: u64,
    what: T,
}

impl<T> PartialEq for Queued<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<T> Eq for Queued<T> {}
impl<T> PartialOrd for Queued<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Queued<T> {
    /// Reversed: BinaryHeap is a max-heap and we want the earliest (then first queued) first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// A priority queue of happenings keyed by (virtual time, order of queueing).
#[derive(Debug)]
pub(super) struct EventQueue<T> {
    seq: u64,
    heap: BinaryHeap<Queued<T>>,
    /// One FIFO per delay, each in (time, sequence) order.
    lanes: Vec<(Duration, VecDeque<Queued<T>>)>,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            seq: 0,
            heap: BinaryHeap::new(),
            lanes: Vec::new(),
        }
    }
}

/// Where the next happening waits.
#[derive(Clone, Copy)]
enum Head {
    Heap,
    Lane(usize),
}

impl<T> EventQueue<T> {
    /// Queue `what` at `at`.
    pub(super) fn push(&mut self, at: Time, what: T) {
        self.seq += 1;
        self.heap.push(Queued {
            at,
            seq: self.seq,
            what,
        });
    }

    /// Queue `what` `delay` after `now`, where `now` is never earlier than at the previous call
    /// (the simulator's clock).
    pub(super) fn push_after(&mut self, now: Time, delay: Duration, what: T) {
        let at = now + delay;
        self.seq += 1;
        let q = Queued {
            at,
            seq: self.seq,
            what,
        };
        let lane = match self.lanes.iter().position(|(d, _)| *d == delay) {
            Some(l) => l,
            None => {
                self.lanes.push((delay, VecDeque::new()));
                self.lanes.len() - 1
            }
        };
        let fifo = &mut self.lanes[lane].1;
        if fifo.back().is_some_and(|b| b.at > at) {
            // The clock went back (it never does): keep the order anyway.
            self.heap.push(q);
        } else {
            fifo.push_back(q);
        }
    }

    fn head(&self) -> Option<(Time, Head)> {
        let mut best = self.heap.peek().map(|q| ((q.at, q.seq), Head::Heap));
        for (l, (_, fifo)) in self.lanes.iter().enumerate() {
            if let Some(q) = fifo.front() {
                if best.is_none_or(|(k, _)| (q.at, q.seq) < k) {
                    best = Some(((q.at, q.seq), Head::Lane(l)));
                }
            }
        }
        best.map(|((at, _), h)| (at, h))
    }

    /// The time of the next happening.
    pub(super) fn peek_at(&self) -> Option<Time> {
        self.head().map(|(at, _)| at)
    }

    /// Take the next happening, with its time and sequence number.
    pub(super) fn pop(&mut self) -> Option<(Time, u64, T)> {
        let q = match self.head()?.1 {
            Head::Heap => self.heap.pop(),
            Head::Lane(l) => self.lanes[l].1.pop_front(),
        }?;
        Some((q.at, q.seq, q.what))
    }

    /// Put back a happening `pop` returned (or what is left of it), in its old place.
    pub(super) fn requeue(&mut self, at: Time, seq: u64, what: T) {
        self.heap.push(Queued { at, seq, what });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_queueing_order_across_heap_and_lanes() {
        let mut q = EventQueue::default();
        let t = |us| Time(us);
        q.push(t(150), "timer@150");
        q.push_after(t(0), Duration::from_micros(100), "d100@100");
        q.push_after(t(0), Duration::from_micros(300), "d300@300");
        q.push(t(100), "timer@100");
        q.push_after(t(50), Duration::from_micros(100), "d100@150");
        q.push_after(t(200), Duration::from_micros(100), "d100@300");
        assert_eq!(q.peek_at(), Some(t(100)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(at, _, w)| (at, w))).collect();
        assert_eq!(
            order,
            vec![
                (t(100), "d100@100"),
                (t(100), "timer@100"),
                (t(150), "timer@150"),
                (t(150), "d100@150"),
                (t(300), "d300@300"),
                (t(300), "d100@300"),
            ]
        );
        assert_eq!(q.peek_at(), None);
    }

    #[test]
    fn a_clock_that_went_back_still_pops_in_order() {
        let mut q = EventQueue::default();
        let d = Duration::from_micros(10);
        q.push_after(Time(100), d, 1);
        q.push_after(Time(50), d, 2);
        assert_eq!(q.pop(), Some((Time(60), 2, 2)));
        let (at, seq, what) = q.pop().unwrap();
        assert_eq!((at, seq, what), (Time(110), 1, 1));
        // Put back, it is next again, ahead of a later one at the same time.
        q.push(Time(110), 3);
        q.requeue(at, seq, what);
        assert_eq!(q.pop(), Some((Time(110), 1, 1)));
        assert_eq!(q.pop(), Some((Time(110), 3, 3)));
    }
}
