//! The maintenance switch's memory: which instances `vrrpctl demote` demoted, and why, in a
//! small JSON file beside the control socket (default /run/vrrpd/vrrpd.demoted: it survives a
//! restart of vrrpd, and a reload keeps instances anyway; /run is emptied at boot, and a
//! rebooted node starts undemoted). Written atomically on every change; read once at start,
//! before the instances start, so a demoted instance never becomes master in between.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// instance name -> reason given (may be empty).
pub type Demotions = BTreeMap<String, String>;

/// The file that goes with control socket `socket`.
pub fn path_for(socket: &Path) -> PathBuf {
    socket.with_extension("demoted")
}

/// The demotions recorded in `path`; none when the file is absent. A file that cannot be read
/// is reported and ignored (instances then start undemoted, as without the file).
pub fn load(path: &Path) -> Demotions {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("{}: not a demotion file ({e}); ignoring it", path.display());
                Demotions::new()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Demotions::new(),
        Err(e) => {
            tracing::error!("cannot read {}: {e}; ignoring it", path.display());
            Demotions::new()
        }
    }
}

/// Record `d` (the file is removed when nothing is demoted).
pub fn save(path: &Path, d: &Demotions) -> std::io::Result<()> {
    if d.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let tmp = path.with_extension("demoted.tmp");
    let text = serde_json::to_string_pretty(d).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(&dir.path().join("vrrpd.sock"));
        assert_eq!(p.file_name().unwrap(), "vrrpd.demoted");
        assert!(load(&p).is_empty());
        let mut d = Demotions::new();
        d.insert("VI_1".into(), "kernel upgrade".into());
        save(&p, &d).unwrap();
        assert_eq!(load(&p), d);
        save(&p, &Demotions::new()).unwrap();
        assert!(!p.exists());
        std::fs::write(&p, "garbage").unwrap();
        assert!(load(&p).is_empty());
    }
}
