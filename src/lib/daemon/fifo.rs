//! The notify FIFOs of global_defs (`notify_fifo`, `vrrp_notify_fifo`): created if missing
//! (mode 0644, chowned to the configured user), opened read-write and non-blocking as
//! keepalived 2.2.7 does (lib/notify.c fifo_open), so a missing or slow reader never blocks
//! the event loop: a line that does not fit in the pipe is dropped, as keepalived drops it.
//! Each line is `TYPE "NAME" STATE PRIORITY\n` (vrrp_notify.c notify_fifo). The
//! `*_notify_fifo_script` runs for as long as the FIFO is open, with the FIFO's path
//! appended to its arguments; at shutdown it gets SIGTERM before the STOP lines are written
//! (keepalived's order, which its sample reader allows for), and at reload it is restarted.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use tokio::task::JoinHandle;

use crate::config::model::{GlobalDefs, NotifyFifo};

use super::command::ScriptCommand;
use super::notify::Subject;
use super::script_user::ScriptUsers;

/// One open FIFO and its reader script.
struct Fifo {
    path: PathBuf,
    file: std::fs::File,
    /// We made it (so we remove it when closing, as keepalived does).
    created: bool,
    /// The reader script's pid (its process group) and the task that waits for it.
    script: Option<(u32, JoinHandle<()>)>,
}

/// The open notify FIFOs (none, one or both).
#[derive(Default)]
pub struct NotifyFifos {
    fifos: Vec<Fifo>,
}

/// keepalived's FIFO line for an event (`state` is its word: MASTER, DELETED,
/// MASTER_RX_LOWER_PRI, BACKUP_PRIORITY ...).
pub fn line(subject: Subject, name: &str, state: &str, priority: u8) -> String {
    format!("{} \"{name}\" {state} {priority}\n", subject.word())
}

impl NotifyFifos {
    /// Open the FIFOs `g` configures (the global one first, as keepalived), starting their
    /// scripts. Failures are logged with keepalived's messages and leave that FIFO out.
    pub fn open(g: &GlobalDefs, users: &ScriptUsers) -> NotifyFifos {
        let mut fifos = Vec::new();
        for (conf, kind) in [(&g.notify_fifo, ""), (&g.vrrp_notify_fifo, "vrrp_")] {
            if let Some(conf) = conf {
                if let Some(f) = open_one(conf, kind, users) {
                    fifos.push(f);
                }
            }
        }
        NotifyFifos { fifos }
    }

    pub fn is_empty(&self) -> bool {
        self.fifos.is_empty()
    }

    /// Write one event line to every FIFO; never blocks (a full pipe drops the line).
    pub fn write(&mut self, subject: Subject, name: &str, state: &str, priority: u8) {
        if self.fifos.is_empty() {
            return;
        }
        let l = line(subject, name, state, priority);
        for f in &mut self.fifos {
            if let Err(e) = f.file.write_all(l.as_bytes()) {
                tracing::debug!("notify fifo {}: line dropped: {e}", f.path.display());
            }
        }
    }

    /// SIGTERM to the reader scripts (keepalived does this before writing the STOP lines).
    pub fn terminate_scripts(&mut self) {
        for f in &mut self.fifos {
            if let Some((pid, _)) = &f.script {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(*pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
    }

    /// Close the FIFOs: a FIFO we created is unlinked first (so that a reader that loops
    /// reopening it cannot), then closed; reader scripts still running get SIGTERM.
    pub fn close(self) {
        for f in self.fifos {
            if f.created {
                if let Err(e) = std::fs::remove_file(&f.path) {
                    tracing::debug!("cannot remove notify fifo {}: {e}", f.path.display());
                }
            }
            if let Some((pid, task)) = f.script {
                if !task.is_finished() {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid as i32),
                        nix::sys::signal::Signal::SIGTERM,
                    );
                }
            }
            drop(f.file);
        }
    }
}

fn open_one(conf: &NotifyFifo, kind: &str, users: &ScriptUsers) -> Option<Fifo> {
    let path = conf.path.clone();
    let mode = nix::sys::stat::Mode::from_bits_truncate(0o644);
    let created = match nix::unistd::mkfifo(&path, mode) {
        Ok(()) => {
            if let Some(user) = &conf.user {
                match users.lookup(user, conf.group.as_deref()) {
                    Ok((uid, gid)) => {
                        if nix::unistd::chown(
                            &path,
                            Some(nix::unistd::Uid::from_raw(uid)),
                            Some(nix::unistd::Gid::from_raw(gid)),
                        )
                        .is_err()
                        {
                            tracing::info!("Failed to set uid:gid for fifo {}", path.display());
                        }
                    }
                    Err(e) => tracing::info!(
                        "Invalid user/group for {kind} fifo {} - {e}",
                        path.display()
                    ),
                }
            }
            true
        }
        Err(nix::errno::Errno::EEXIST) => false,
        Err(e) => {
            tracing::info!(
                "Unable to create {kind}notify fifo {} ({e})",
                path.display()
            );
            return None;
        }
    };
    let script = conf.script.as_ref().and_then(|s| {
        let arg = path.to_string_lossy().into_owned();
        let cmd = match ScriptCommand::prepare(&s.command, &[arg]) {
            Ok(c) => c.with_user(users.for_script(s.user.as_deref(), s.group.as_deref())),
            Err(e) => {
                tracing::error!(
                    "{}:{}:{}: {kind}notify_fifo_script {}: {e}",
                    s.span.file.display(),
                    s.span.line,
                    s.span.column,
                    s.command
                );
                return None;
            }
        };
        match cmd.spawn() {
            Ok(mut child) => {
                let pid = child.id()?;
                let kind = kind.to_string();
                let task = tokio::spawn(async move {
                    let _ = child.wait().await;
                    tracing::info!("{kind}notify fifo script terminated");
                });
                Some((pid, task))
            }
            Err(e) => {
                tracing::error!("{kind}notify_fifo_script {}: {e}", s.command);
                None
            }
        }
    });
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path);
    match file {
        Ok(file) => Some(Fifo {
            path,
            file,
            created,
            script,
        }),
        Err(e) => {
            tracing::info!(
                "Unable to open {kind}notify fifo {} - errno {}",
                path.display(),
                e.raw_os_error().unwrap_or(0)
            );
            if created {
                let _ = std::fs::remove_file(&path);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_keepalived_writes_them() {
        assert_eq!(
            line(Subject::Instance, "VI_1", "MASTER", 150),
            "INSTANCE \"VI_1\" MASTER 150\n"
        );
        assert_eq!(
            line(Subject::Group, "SG1", "BACKUP", 0),
            "GROUP \"SG1\" BACKUP 0\n"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn created_written_without_a_reader_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.fifo");
        let g = GlobalDefs {
            vrrp_notify_fifo: Some(NotifyFifo {
                path: path.clone(),
                user: None,
                group: None,
                script: None,
                span: Default::default(),
            }),
            ..Default::default()
        };
        let mut f = NotifyFifos::open(&g, &ScriptUsers::default());
        assert!(!f.is_empty());
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&path).unwrap().file_type().is_fifo());
        // No reader: more than a pipe's worth of lines must not block.
        for _ in 0..10_000 {
            f.write(Subject::Instance, "VI_1", "BACKUP", 100);
        }
        f.close();
        assert!(!path.exists());
    }
}
