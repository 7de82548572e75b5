//! Running one node of a scenario under either daemon (`daemon::Daemon`), so a test can record what vrrpd's
//! notify scripts, FIFO or mails receive and compare it with keepalived's in the same
//! scenario; and the small executable scripts those recordings use.

use std::path::{Path, PathBuf};

use super::daemon::{Daemon, Vrrpd};
use super::{Keepalived, Netns};

/// The node under test: its config file (rewritten by `reload`) and pid (keepalived's parent,
/// which forwards HUP and TERM to its VRRP child).
pub struct Node {
    pub daemon: Daemon,
    pub conf: PathBuf,
    pub pid: i32,
    pub dir: PathBuf,
}

impl Node {
    pub fn start(daemon: Daemon, ns: &mut Netns, dir: &Path, text: &str) -> Node {
        let (conf, pid) = match daemon {
            Daemon::Vrrpd => {
                let (v, p) = Vrrpd::start(ns, dir, text);
                (v.conf, p.pid())
            }
            Daemon::Keepalived => {
                let (k, p) = Keepalived::start(ns, dir, text);
                (k.conf, p.pid())
            }
        };
        Node {
            daemon,
            conf,
            pid,
            dir: dir.to_path_buf(),
        }
    }

    /// Write the new config and send HUP.
    pub fn reload(&self, text: &str) {
        std::fs::write(&self.conf, text).unwrap();
        self.signal(libc::SIGHUP);
    }

    /// Graceful stop (TERM).
    pub fn stop(&self) {
        self.signal(libc::SIGTERM);
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on the pid of a process this test started.
        unsafe {
            libc::kill(self.pid, sig);
        }
    }

    /// Its log (vrrpd.log or keepalived.log in its directory).
    pub fn log(&self) -> String {
        let f = match self.daemon {
            Daemon::Vrrpd => "vrrpd.log",
            Daemon::Keepalived => "keepalived.log",
        };
        std::fs::read_to_string(self.dir.join(f)).unwrap_or_default()
    }
}

/// Write an executable (0755) shell script; both daemons refuse to exec a file without `x`.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
