//! The `-p PIDFILE` file: written at start, removed at exit, so init scripts and
//! `kill -s $(vrrpd --signum=STATS) $(cat PIDFILE)` work as with keepalived.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A pid file that removes itself when dropped.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Write this process's pid to `path` (created or truncated, mode 0644).
    pub fn create(path: &Path) -> std::io::Result<PidFile> {
        let mut f = std::fs::File::create(path)?;
        writeln!(f, "{}", std::process::id())?;
        Ok(PidFile {
            path: path.to_path_buf(),
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
}
