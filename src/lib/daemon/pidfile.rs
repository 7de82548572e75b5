//! The `-p PIDFILE` file: written at start, removed at exit, so init scripts and
//! `kill -s $(vrrpd --signum=STATS) $(cat PIDFILE)` work as with keepalived. It is also held
//! under an exclusive lock while vrrpd runs: a second vrrpd with the same pid file (the same
//! config, by the init script's convention) refuses to start instead of fighting the first
//! over the VIPs. A lock, not the pid in the file, so a stale file of a SIGKILLed run (whose
//! lock died with it) never blocks a restart.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A pid file that removes itself when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl PidFile {
    /// Lock `path` and write this process's pid to it (mode 0644). Fails with a sentence
    /// naming the running vrrpd when another one holds it.
    pub fn create(path: &Path) -> std::io::Result<PidFile> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut lock = match nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock)
        {
            Ok(l) => l,
            Err((_, _)) => {
                let other = std::fs::read_to_string(path).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "vrrpd is already running with pid {} (pid file {} is locked); stop it first",
                    other.trim(),
                    path.display()
                )));
            }
        };
        lock.set_len(0)?;
        writeln!(&mut *lock, "{}", std::process::id())?;
        Ok(PidFile {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Best effort: a missing file at exit is not worth a complaint.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pid_and_removes_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrpd.pid");
        {
            let _p = PidFile::create(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.trim(), std::process::id().to_string());
        }
        assert!(!path.exists());
    }

    #[test]
    fn a_second_holder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vrrpd.pid");
        let _p = PidFile::create(&path).unwrap();
        let err = PidFile::create(&path).expect_err("locked");
        assert!(err.to_string().contains("already running"), "{err}");
    }
}
