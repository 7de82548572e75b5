//! Time for the daemon: one monotonic clock and one kernel timer.
//!
//! The deadlines themselves live in the node layer (`node::DeadlineQueue`); a single `timerfd`
//! armed at the node's earliest deadline wakes the event loop. A timerfd (an hrtimer) rather than tokio's
//! sleep because tokio's timer wheel rounds up to whole milliseconds, and takeover is measured
//! against Master_Down_Interval to the millisecond. Deadlines are absolute, so a master that
//! computes `deadline += advert_int` sends exactly every advert_int without drift.

use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::clock_gettime;

use super::reactor::{register, OwnsFd};
use tokio::io::unix::AsyncFd;

/// Microseconds since the daemon started, on CLOCK_MONOTONIC.
pub use crate::node::Micros;

/// The daemon's monotonic clock: microseconds since `origin`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin_ns: i128,
}

fn monotonic_ns() -> i128 {
    // CLOCK_MONOTONIC cannot fail on Linux; a zero fallback would only shift the origin.
    let ts = clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap_or(TimeSpec::new(0, 0));
    ts.tv_sec() as i128 * 1_000_000_000 + ts.tv_nsec() as i128
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            origin_ns: monotonic_ns(),
        }
    }

    /// Now, in microseconds since the start.
    pub fn now(&self) -> Micros {
        ((monotonic_ns() - self.origin_ns).max(0) / 1000) as Micros
    }

    /// The absolute CLOCK_MONOTONIC time of `t`, for arming the timerfd.
    fn timespec(&self, t: Micros) -> TimeSpec {
        let ns = self.origin_ns + t as i128 * 1000;
        TimeSpec::new(
            (ns / 1_000_000_000) as libc::time_t,
            (ns % 1_000_000_000) as libc::c_long,
        )
    }
}

struct Tfd(TimerFd);

impl AsRawFd for Tfd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl OwnsFd for Tfd {}

/// The one kernel timer of the event loop, armed at absolute monotonic deadlines.
pub struct Timer {
    fd: AsyncFd<Tfd>,
    clock: Clock,
    armed: Option<Micros>,
}

impl Timer {
    /// Create the timerfd; must run inside the tokio runtime.
    pub fn new(clock: Clock) -> std::io::Result<Timer> {
        let tfd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        Ok(Timer {
            fd: register(Tfd(tfd))?,
            clock,
            armed: None,
        })
    }

    /// Arm the timer at `deadline` (disarm with None). Re-arming at the same time is free.
    pub fn arm(&mut self, deadline: Option<Micros>) -> std::io::Result<()> {
        if deadline == self.armed {
            return Ok(());
        }
        match deadline {
            Some(t) => {
                // A zero timespec would disarm; a past deadline must still fire at once.
                let ts = self.clock.timespec(t.max(1));
                self.fd.get_ref().0.set(
                    Expiration::OneShot(ts),
                    TimerSetTimeFlags::TFD_TIMER_ABSTIME,
                )?;
            }
            None => self.fd.get_ref().0.unset()?,
        }
        self.armed = deadline;
        Ok(())
    }

    /// Wait until the armed deadline passes (forever when disarmed).
    pub async fn expired(&mut self) -> std::io::Result<()> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| fd.get_ref().0.wait().map_err(std::io::Error::from)) {
                Ok(Ok(())) => {
                    self.armed = None;
                    return Ok(());
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic() {
        let c = Clock::start();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
    }

    #[test]
    fn timer_fires_at_absolute_deadline() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let clock = Clock::start();
            let mut t = Timer::new(clock).unwrap();
            let deadline = clock.now() + 20_000;
            t.arm(Some(deadline)).unwrap();
            t.expired().await.unwrap();
            assert!(clock.now() >= deadline);
        });
    }
}
