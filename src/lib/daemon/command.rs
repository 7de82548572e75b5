//! Running a configured command line (vrrp_script, notify scripts) the way keepalived 2.2.7
//! does (lib/notify.c): the line is split into words (quotes and backslashes as keepalived's
//! alloc_strvec_quoted_escaped), the program is exec'd directly - no shell - except a line
//! starting with `</` (an "is this file openable" check), which goes to `/bin/sh -c`. Each run
//! gets its own process group so a timeout kills the script and everything it started, and a
//! bare program name is found on PATH with keepalived's warning to give the full path.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A command ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptCommand {
    /// argv; for a shell line, `/bin/sh -c LINE`.
    pub argv: Vec<String>,
    /// The line as configured, for log lines.
    pub line: String,
    /// Run as this uid:gid (script_user / the script's `user`); None: as vrrpd.
    pub user: Option<(u32, u32)>,
}

/// How one run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with this status.
    Exited(i32),
    /// Killed by this signal (not by us).
    Signalled(i32),
    /// Ran past its timeout; its process group was killed.
    TimedOut,
    /// Could not be started.
    SpawnFailed(String),
}

impl Outcome {
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(s) => write!(f, "exited with status {s}"),
            Outcome::Signalled(s) => write!(f, "killed by signal {s}"),
            Outcome::TimedOut => f.write_str("timed out (process group killed)"),
            Outcome::SpawnFailed(e) => write!(f, "could not be started: {e}"),
        }
    }
}

/// keepalived's word splitting of a script line: whitespace separates words; '…' and "…"
/// quote (the quotes are removed); a backslash takes the next character literally.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Find a bare program name on PATH (keepalived warns: "Please specify full path").
fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl ScriptCommand {
    /// Prepare `line` with `extra` arguments appended (the generic `notify` gets four).
    /// Errors are keepalived's reasons for disabling a script.
    pub fn prepare(line: &str, extra: &[String]) -> Result<ScriptCommand, String> {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix('<') {
            if rest.trim_start().starts_with('/') {
                return Ok(ScriptCommand {
                    argv: vec!["/bin/sh".into(), "-c".into(), line.to_string()],
                    line: line.to_string(),
                    user: None,
                });
            }
        }
        let mut argv = split_words(line);
        let Some(first) = argv.first().cloned() else {
            return Err("empty command line".into());
        };
        if !first.contains('/') {
            match search_path(&first) {
                Some(p) => {
                    tracing::warn!(
                        "WARNING - script `{first}` resolved by path search to `{}`. Please specify full path.",
                        p.display()
                    );
                    argv[0] = p.to_string_lossy().into_owned();
                }
                None => return Err(format!("Cannot find script {first} in path - disabling")),
            }
        }
        argv.extend(extra.iter().cloned());
        Ok(ScriptCommand {
            argv,
            line: line.to_string(),
            user: None,
        })
    }

    /// Run as `user` (uid, gid) instead of vrrpd's own user.
    pub fn with_user(mut self, user: Option<(u32, u32)>) -> ScriptCommand {
        self.user = user.filter(|&(u, g)| {
            (u, g)
                != (
                    nix::unistd::getuid().as_raw(),
                    nix::unistd::getgid().as_raw(),
                )
        });
        self
    }

    /// The command, ready to spawn: its own process group, stdio to /dev/null, the user's
    /// credentials (with the user's supplementary groups, as keepalived's initgroups).
    fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        if let Some((uid, gid)) = self.user {
            let groups = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .and_then(|u| std::ffi::CString::new(u.name).ok());
            // The groups are looked up before the fork; std's uid()/gid() would drop
            // privileges before pre_exec runs, so all three calls are made here, in order.
            let list: Vec<nix::unistd::Gid> = groups
                .and_then(|name| {
                    nix::unistd::getgrouplist(&name, nix::unistd::Gid::from_raw(gid)).ok()
                })
                .unwrap_or_else(|| vec![nix::unistd::Gid::from_raw(gid)]);
            // SAFETY: only async-signal-safe system calls between fork and exec, on data
            // prepared before the fork.
            unsafe {
                cmd.pre_exec(move || {
                    nix::unistd::setgroups(&list).map_err(std::io::Error::from)?;
                    nix::unistd::setgid(nix::unistd::Gid::from_raw(gid))
                        .map_err(std::io::Error::from)?;
                    nix::unistd::setuid(nix::unistd::Uid::from_raw(uid))
                        .map_err(std::io::Error::from)?;
                    Ok(())
                });
            }
        }
        cmd
    }

    /// Start it with no timeout (a notify FIFO's reader runs as long as the FIFO).
    pub fn spawn(&self) -> std::io::Result<tokio::process::Child> {
        let mut cmd = self.command();
        cmd.kill_on_drop(false);
        cmd.spawn()
    }

    /// The program (argv[0]).
    pub fn program(&self) -> &str {
        &self.argv[0]
    }

    /// Run once: in its own process group, stdin/stdout/stderr to /dev/null, killed with its
    /// group after `timeout`. Returns the outcome and how long it ran.
    pub async fn run(&self, timeout: Duration) -> (Outcome, Duration) {
        let start = Instant::now();
        let mut cmd = self.command();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return (Outcome::SpawnFailed(e.to_string()), start.elapsed()),
        };
        let pid = child.id();
        let outcome = match tokio::time::timeout(timeout, child.wait()).await {
            Ok(Ok(status)) => {
                use std::os::unix::process::ExitStatusExt;
                match (status.code(), status.signal()) {
                    (Some(c), _) => Outcome::Exited(c),
                    (None, Some(s)) => Outcome::Signalled(s),
                    (None, None) => Outcome::Exited(-1),
                }
            }
            Ok(Err(e)) => Outcome::SpawnFailed(e.to_string()),
            Err(_) => {
                if let Some(pid) = pid {
                    // The group id is the child's pid (process_group(0)).
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                let _ = child.wait().await;
                Outcome::TimedOut
            }
        };
        (outcome, start.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_keepalived() {
        assert_eq!(
            split_words("killall -0 haproxy"),
            ["killall", "-0", "haproxy"]
        );
        assert_eq!(
            split_words(r#"/bin/echo 'a b' "c d" e\ f"#),
            ["/bin/echo", "a b", "c d", "e f"]
        );
        assert_eq!(split_words("  "), Vec::<String>::new());
        assert_eq!(split_words("x ''"), ["x", ""]);
    }

    #[test]
    fn only_file_checks_use_a_shell() {
        let c = ScriptCommand::prepare("</dev/tcp/127.0.0.1/80", &[]).unwrap();
        assert_eq!(c.argv[0], "/bin/sh");
        let c = ScriptCommand::prepare("/bin/true a", &["X".into()]).unwrap();
        assert_eq!(c.argv, ["/bin/true", "a", "X"]);
        let c = ScriptCommand::prepare("true", &[]).unwrap();
        assert!(c.program().ends_with("/true"), "{c:?}");
        assert!(ScriptCommand::prepare("no-such-program-x", &[]).is_err());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn timeout_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-alive");
        // The script starts a grandchild that would touch the marker after 1.5 s.
        let line = format!(
            "/bin/sh -c 'sleep 1.5 && touch {} & sleep 10'",
            marker.display()
        );
        let c = ScriptCommand::prepare(&line, &[]).unwrap();
        let (o, took) = c.run(Duration::from_millis(200)).await;
        assert_eq!(o, Outcome::TimedOut);
        assert!(took < Duration::from_secs(2), "{took:?}");
        tokio::time::sleep(Duration::from_millis(1800)).await;
        assert!(!marker.exists(), "the grandchild survived the timeout");
        let (o, _) = ScriptCommand::prepare("/bin/sh -c 'exit 3'", &[])
            .unwrap()
            .run(Duration::from_secs(2))
            .await;
        assert_eq!(o, Outcome::Exited(3));
    }
}
