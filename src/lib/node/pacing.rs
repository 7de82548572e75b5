//! Advert burst spreading. Instances that become master together (a mass takeover, a start
//! with 1,000 instances) share one Adver_Timer grid, so every interval the node sends them all
//! back to back. The kernel spends ~10 us per advert, and how fast a burst of 1,000 drains
//! varies from one second to the next by milliseconds: the tail of the burst reaches peers up
//! to ~3 ms late (measured: benches/scale_bench.sh). keepalived has the same bursts.
//!
//! The fix: when more than `BATCH` adverts go out at one instant, the timers of those beyond
//! the first `BATCH` are moved *earlier* by whole `SPACING`s, so from the next interval on the
//! node sends small batches at distinct instants. Only earlier, never later: each moved
//! instance sends one advert up to `advert_int / 4` early, once, which resets its backups'
//! Master_Down_Timer sooner and changes nothing else (the advertised interval is unchanged).
//! Nodes with fewer than `BATCH` instances on one grid are never touched.

use std::time::Duration;

/// Adverts sent at one instant before spreading starts: a batch drains in ~0.3 ms.
pub const BATCH: usize = 32;

/// Distance between two batches: longer than a batch takes to drain.
pub const SPACING: Duration = Duration::from_millis(1);

/// How much earlier the timer of the `k`-th advert (0-based) sent at one instant moves, for an
/// instance advertising every `advert_int`. Batches wrap around within a quarter interval, so
/// a short interval never gets an advert more than 25% early.
pub fn advance(k: usize, advert_int: Duration) -> Duration {
    let batch = (k / BATCH) as u64;
    if batch == 0 {
        return Duration::ZERO;
    }
    let spacing = SPACING.as_micros() as u64;
    let window = (advert_int.as_micros() as u64 / 4) / spacing;
    if window < 2 {
        return Duration::ZERO;
    }
    Duration::from_micros((batch % window) * spacing)
}

/// Counts the adverts a node sends at one instant (`now` of the driver).
#[derive(Debug, Clone, Copy, Default)]
pub struct Burst {
    at: u64,
    sent: usize,
}

impl Burst {
    /// One more advert at `now` (microseconds); returns how many were sent before it.
    pub fn count(&mut self, now: u64) -> usize {
        if self.at != now {
            self.at = now;
            self.sent = 0;
        }
        self.sent += 1;
        self.sent - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_batch_is_never_moved() {
        let int = Duration::from_secs(1);
        for k in 0..BATCH {
            assert_eq!(advance(k, int), Duration::ZERO);
        }
        assert_eq!(advance(BATCH, int), SPACING);
        assert_eq!(advance(3 * BATCH + 5, int), Duration::from_millis(3));
    }

    #[test]
    fn moves_stay_within_a_quarter_interval() {
        let int = Duration::from_millis(100);
        for k in 0..10_000 {
            assert!(advance(k, int) < Duration::from_millis(25));
        }
        // 1,000 adverts at 1 s: 32 batches, the last 31 ms early.
        assert_eq!(
            advance(999, Duration::from_secs(1)),
            Duration::from_millis(31)
        );
        // Too short to spread (a 4 ms interval cannot be paced by 1 ms batches).
        assert_eq!(advance(500, Duration::from_millis(4)), Duration::ZERO);
    }

    #[test]
    fn burst_counts_per_instant() {
        let mut b = Burst::default();
        assert_eq!(b.count(10), 0);
        assert_eq!(b.count(10), 1);
        assert_eq!(b.count(11), 0);
    }
}
