//! keepalived's signal vocabulary: the names `--signum=NAME` knows, and the async stream of
//! the signals vrrpd acts on (TERM/INT stop, HUP reload, USR1/USR2/JSON dumps).

use tokio::signal::unix::{signal, Signal, SignalKind};

/// What a signal asks the daemon to do (keepalived's names for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigFunc {
    Stop,
    Reload,
    Data,
    Stats,
    StatsClear,
    Json,
}

impl SigFunc {
    /// The names `keepalived --signum=NAME` accepts (TDATA needs a thread-dump build there).
    pub fn from_name(name: &str) -> Option<SigFunc> {
        Some(match name {
            "STOP" => SigFunc::Stop,
            "RELOAD" => SigFunc::Reload,
            "DATA" => SigFunc::Data,
            "STATS" => SigFunc::Stats,
            "STATS_CLEAR" => SigFunc::StatsClear,
            "JSON" => SigFunc::Json,
            _ => return None,
        })
    }

    /// The signal number, as keepalived 2.2.7 prints it (15, 1, 10, 12, SIGRTMAX-1, SIGRTMIN+2).
    pub fn signum(self) -> i32 {
        match self {
            SigFunc::Stop => libc::SIGTERM,
            SigFunc::Reload => libc::SIGHUP,
            SigFunc::Data => libc::SIGUSR1,
            SigFunc::Stats => libc::SIGUSR2,
            SigFunc::StatsClear => libc::SIGRTMAX() - 1,
            SigFunc::Json => libc::SIGRTMIN() + 2,
        }
    }
}

/// The signals the daemon listens to, installed once at start.
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
    usr1: Signal,
    usr2: Signal,
    stats_clear: Signal,
    json: Signal,
}

impl Signals {
    /// Install the handlers; must run inside the tokio runtime.
    pub fn install() -> std::io::Result<Signals> {
        let raw = |f: SigFunc| signal(SignalKind::from_raw(f.signum()));
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: raw(SigFunc::Reload)?,
            usr1: raw(SigFunc::Data)?,
            usr2: raw(SigFunc::Stats)?,
            stats_clear: raw(SigFunc::StatsClear)?,
            json: raw(SigFunc::Json)?,
        })
    }

    /// The next signal that arrives.
    pub async fn recv(&mut self) -> SigFunc {
        tokio::select! {
            _ = self.term.recv() => SigFunc::Stop,
            _ = self.int.recv() => SigFunc::Stop,
            _ = self.hup.recv() => SigFunc::Reload,
            _ = self.usr1.recv() => SigFunc::Data,
            _ = self.usr2.recv() => SigFunc::Stats,
            _ = self.stats_clear.recv() => SigFunc::StatsClear,
            _ = self.json.recv() => SigFunc::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signums_match_keepalived() {
        // Measured with keepalived 2.2.7 --signum=NAME (reference inventory, section 2.2).
        let expect = [
            ("STOP", 15),
            ("RELOAD", 1),
            ("DATA", 10),
            ("STATS", 12),
            ("STATS_CLEAR", 63),
            ("JSON", 36),
        ];
        for (name, num) in expect {
            assert_eq!(SigFunc::from_name(name).unwrap().signum(), num, "{name}");
        }
        assert_eq!(SigFunc::from_name("TDATA"), None);
    }
}
