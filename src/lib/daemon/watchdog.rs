//! systemd's watchdog (`WatchdogSec=` in the unit): systemd sets `WATCHDOG_USEC` (and
//! `WATCHDOG_PID`) and restarts the service when no `WATCHDOG=1` arrives within that time.
//! The ping is an arm of the event loop's select!, not a task of its own, so it proves that
//! the loop itself still turns: a wedged loop stops pinging and gets vrrpd restarted.

use std::time::Duration;

use super::sd_notify;

/// How often to ping for `WATCHDOG_USEC` = `usec`: half the period, as sd_watchdog_enabled(3)
/// advises. None when the watchdog is off or meant for another process (`WATCHDOG_PID`).
pub fn period(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    if let Some(p) = pid {
        if p.trim().parse::<u32>().ok()? != me {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// The loop's watchdog arm.
pub struct Watchdog {
    interval: Option<tokio::time::Interval>,
}

impl Watchdog {
    /// From this process's environment; inert when systemd asked for no watchdog.
    pub fn from_env() -> Watchdog {
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        let interval = period(usec.as_deref(), pid.as_deref(), std::process::id()).map(|p| {
            let mut i = tokio::time::interval(p);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        if let Some(i) = &interval {
            tracing::debug!("systemd watchdog: WATCHDOG=1 every {:?}", i.period());
        }
        Watchdog { interval }
    }

    /// Resolves when the next ping is due; never when the watchdog is off.
    pub async fn due(&mut self) {
        match &mut self.interval {
            Some(i) => {
                i.tick().await;
            }
            None => std::future::pending::<()>().await,
        }
    }

    pub fn ping(&self) {
        if let Err(e) = sd_notify::notify("WATCHDOG=1") {
            tracing::warn!("cannot ping the systemd watchdog: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_period_for_this_process_only() {
        assert_eq!(
            period(Some("30000000"), None, 7),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            period(Some("2000000"), Some("7"), 7),
            Some(Duration::from_secs(1))
        );
        assert_eq!(period(Some("2000000"), Some("8"), 7), None);
        assert_eq!(period(None, None, 7), None);
        assert_eq!(period(Some("0"), None, 7), None);
        assert_eq!(period(Some("soon"), None, 7), None);
    }
}
