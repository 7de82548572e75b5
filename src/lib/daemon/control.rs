//! The control server: vrrpd's Unix stream socket (DESIGN.md: /run/vrrpd/vrrpd.sock, JSON lines,
//! `control::proto`). One listener task and one task per connection, on a thread and runtime
//! of their own; they talk to the event loop only through `run::Handle` (a bounded query
//! channel the loop serves after its timers and packets, and a broadcast channel of events),
//! so no client can delay an advert.
//!
//! Access: the socket is mode 0660, owned by vrrpd's user and `--socket-group` (default the
//! user's own group). SO_PEERCRED says who connected: read requests (status, stats, watch) are
//! for anyone the file mode let in, mutating ones (clear-stats, reload, demote, restore) for uid
//! 0 or the socket's owner only. Abuse is bounded: a line longer than `MAX_LINE`, a line not
//! finished within `LINE_TIMEOUT`, a reply not read within `WRITE_TIMEOUT`, more than
//! `RATE_BURST` requests faster than `RATE_PER_SEC`, or more than `MAX_CONNECTIONS` at once get
//! an error reply and a closed connection.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, Semaphore};

use tokio::time::timeout;

use crate::control::proto::parse_request;
use crate::control::{Cmd, ErrorCode, Event, InstanceSnapshot, Reply, MAX_LINE};

use super::run::{DemoteError, Handle};

/// Connections served at once; more get a `busy` reply.
pub const MAX_CONNECTIONS: usize = 2048;
/// A request line must be complete within this long of its first byte (or of the connection).
const LINE_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no request for this long is closed (watch streams excepted).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A reply must be taken by the client within this long.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request may wait for the event loop's answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Token bucket per connection: burst and refill rate.
const RATE_BURST: f64 = 50.0;
const RATE_PER_SEC: f64 = 20.0;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("another vrrpd is already listening on {}", .0.display())]
    InUse(PathBuf),
    #[error("{} exists and is not a socket; remove it or choose another --socket", .0.display())]
    NotASocket(PathBuf),
    #[error("no group {0:?} for the control socket (--socket-group)")]
    NoGroup(String),
    #[error("control socket {path}: {1}", path = .0.display())]
    Io(PathBuf, std::io::Error),
    #[error("cannot give control socket {path} to group {1:?} (--socket-group): {2}; vrrpd needs CAP_SETGID (or membership of the group)", path = .0.display())]
    Group(PathBuf, String, std::io::Error),
}

/// Files created by this thread get group `gid` until this is dropped (setfsgid(2), per
/// thread). This is how the control socket gets its `--socket-group` without CAP_CHOWN, which
/// vrrpd.service does not grant (chown(2) to a group root is not in needs it): CAP_SETGID,
/// kept for script_user anyway, is enough. None when the kernel refused (no CAP_SETGID).
struct FsGid {
    old: libc::gid_t,
}

impl FsGid {
    fn set(gid: libc::gid_t) -> Option<FsGid> {
        // SAFETY: setfsgid has no memory effects; it returns the previous fsgid whether or not
        // it changed it, and an invalid id (-1) changes nothing: that asks what it is now.
        let (old, now) = unsafe {
            let old = libc::setfsgid(gid) as libc::gid_t;
            (old, libc::setfsgid(libc::gid_t::MAX) as libc::gid_t)
        };
        (now == gid).then_some(FsGid { old })
    }
}

impl Drop for FsGid {
    fn drop(&mut self) {
        // SAFETY: as above, back to the fsgid this thread had.
        unsafe { libc::setfsgid(self.old) };
    }
}

/// The bound socket. The file is removed when this (or the thread serving it) ends.
pub struct ControlSocket {
    listener: std::os::unix::net::UnixListener,
    file: SocketFile,
    owner_uid: u32,
}

/// Removes the socket file on drop.
pub struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl ControlSocket {
    /// Bind `path` (creating its directory), mode 0660, group `group` if given. A stale socket
    /// file (nobody listening) is replaced; a live one is an error.
    pub fn bind(path: &Path, group: Option<&str>) -> Result<ControlSocket, ControlError> {
        let io = |e| ControlError::Io(path.to_path_buf(), e);
        let gid = match group {
            Some(g) => Some(
                nix::unistd::Group::from_name(g)
                    .map_err(|e| io(e.into()))?
                    .ok_or_else(|| ControlError::NoGroup(g.to_string()))?
                    .gid,
            ),
            None => None,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(io)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .map_err(io)?;
            }
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if !m.file_type().is_socket() => {
                return Err(ControlError::NotASocket(path.to_path_buf()))
            }
            Ok(_) => {
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(ControlError::InUse(path.to_path_buf()));
                }
                std::fs::remove_file(path).map_err(io)?;
            }
            Err(_) => {}
        }
        // The socket file is created by bind(2) with the umask's mode and this thread's fsgid:
        // make it 0660 and the group's from the first instant rather than chmod-ing and
        // chown-ing a window later.
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o117));
        let fsgid = gid.and_then(|g| FsGid::set(g.as_raw()));
        let bound = std::os::unix::net::UnixListener::bind(path);
        drop(fsgid);
        nix::sys::stat::umask(old);
        let listener = bound.map_err(io)?;
        let sock = ControlSocket {
            listener,
            file: SocketFile(path.to_path_buf()),
            // SAFETY: geteuid has no preconditions.
            owner_uid: unsafe { libc::geteuid() },
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(io)?;
        if let Some(gid) = gid {
            use std::os::unix::fs::MetadataExt;
            let has = std::fs::metadata(path).map_err(io)?.gid();
            // Without CAP_SETGID (vrrpd run by a non-root user): chown(2), which lets an owner
            // give the file to a group it is in.
            if has != gid.as_raw() {
                nix::unistd::chown(path, None, Some(gid)).map_err(|e| {
                    ControlError::Group(
                        path.to_path_buf(),
                        group.unwrap_or_default().to_string(),
                        e.into(),
                    )
                })?;
            }
        }
        raise_nofile_limit();
        Ok(sock)
    }

    pub fn path(&self) -> &Path {
        &self.file.0
    }

    /// Serve on a thread of its own with its own runtime: a thousand clients are a thousand
    /// tasks there, and none of them is ever queued ahead of the event loop, which only sees
    /// their queries. Returns the guard that removes the socket file when vrrpd stops.
    pub fn spawn(self, handle: Handle) -> std::io::Result<SocketFile> {
        let ControlSocket {
            listener,
            file,
            owner_uid,
        } = self;
        listener.set_nonblocking(true)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("control".into())
            .spawn(move || {
                // Bound and chowned already: the rest needs none of what vrrpd drops.
                if let Err(e) = super::privileges::drop_unneeded() {
                    tracing::warn!("control thread: cannot drop capabilities: {e}");
                }
                rt.block_on(async move {
                    match UnixListener::from_std(listener) {
                        Ok(l) => serve(l, handle, owner_uid).await,
                        Err(e) => tracing::error!("control socket: {e}"),
                    }
                })
            })?;
        Ok(file)
    }
}

/// 1,000 clients need 1,000 descriptors: lift the soft limit to the hard one, as daemons do.
fn raise_nofile_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Accept connections until the runtime ends.
async fn serve(listener: UnixListener, handle: Handle, owner_uid: u32) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("control socket: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                let handle = handle.clone();
                tokio::spawn(async move {
                    connection(stream, handle, owner_uid).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(async move {
                    let mut s = stream;
                    let line = Reply::error(
                        ErrorCode::Busy,
                        format!("more than {MAX_CONNECTIONS} control connections; try again"),
                    )
                    .to_line();
                    let _ = timeout(WRITE_TIMEOUT, s.write_all(line.as_bytes())).await;
                });
            }
        }
    }
}

/// Who is on the other end, from SO_PEERCRED.
#[derive(Debug, Clone, Copy)]
struct Peer {
    uid: u32,
    pid: Option<i32>,
}

/// Whether `peer` may send mutating requests.
fn may_mutate(peer_uid: u32, owner_uid: u32) -> bool {
    peer_uid == 0 || peer_uid == owner_uid
}

/// A per-connection token bucket.
struct Rate {
    tokens: f64,
    at: Instant,
}

impl Rate {
    fn new() -> Rate {
        Rate {
            tokens: RATE_BURST,
            at: Instant::now(),
        }
    }
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * RATE_PER_SEC;
        self.tokens = (self.tokens + refill).min(RATE_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What reading one request line gave.
enum Line {
    Text(String),
    Eof,
    /// Error reply to send before closing.
    Fatal(Reply),
}

async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>) -> Line {
    buf.clear();
    // The first byte may take as long as the idle timeout; the rest of the line must follow
    // within LINE_TIMEOUT (a client dribbling bytes is cut off).
    match timeout(IDLE_TIMEOUT, reader.fill_buf()).await {
        Err(_) => return Line::Eof,
        Ok(Err(_)) => return Line::Eof,
        Ok(Ok([])) => return Line::Eof,
        Ok(Ok(_)) => {}
    }
    let limit = MAX_LINE as u64;
    let read = timeout(LINE_TIMEOUT, reader.take(limit).read_until(b'\n', buf)).await;
    match read {
        Err(_) => Line::Fatal(Reply::error(
            ErrorCode::BadRequest,
            format!(
                "request line not finished within {} s",
                LINE_TIMEOUT.as_secs()
            ),
        )),
        Ok(Err(_)) => Line::Eof,
        Ok(Ok(0)) => Line::Eof,
        Ok(Ok(n)) if buf.last() != Some(&b'\n') => {
            if n as u64 >= limit {
                Line::Fatal(Reply::error(
                    ErrorCode::TooLarge,
                    format!("request line longer than {MAX_LINE} bytes"),
                ))
            } else {
                // EOF in the middle of a line: treat what came as the last request.
                String::from_utf8(buf.clone()).map_or(Line::Eof, Line::Text)
            }
        }
        Ok(Ok(_)) => match String::from_utf8(std::mem::take(buf)) {
            Ok(s) => Line::Text(s),
            Err(_) => Line::Text(String::from("\u{fffd}")),
        },
    }
}

async fn send(w: &mut OwnedWriteHalf, line: &str) -> bool {
    matches!(
        timeout(WRITE_TIMEOUT, w.write_all(line.as_bytes())).await,
        Ok(Ok(()))
    )
}

async fn connection(stream: UnixStream, handle: Handle, owner_uid: u32) {
    let peer = match stream.peer_cred() {
        Ok(c) => Peer {
            uid: c.uid(),
            pid: c.pid(),
        },
        Err(e) => {
            tracing::debug!("control socket: no peer credentials: {e}");
            return;
        }
    };
    let (r, mut w) = stream.into_split();
    let mut reader = BufReader::with_capacity(MAX_LINE, r);
    let mut buf = Vec::with_capacity(256);
    let mut rate = Rate::new();
    loop {
        let text = match read_line(&mut reader, &mut buf).await {
            Line::Text(t) => t,
            Line::Eof => return,
            Line::Fatal(reply) => {
                let _ = send(&mut w, &reply.to_line()).await;
                return;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if !rate.take() {
            let reply = Reply::error(
                ErrorCode::RateLimited,
                format!("more than {RATE_PER_SEC} requests a second on one connection"),
            );
            let _ = send(&mut w, &reply.to_line()).await;
            return;
        }
        let req = match parse_request(&text) {
            Ok(r) => r,
            Err(reply) => {
                if !send(&mut w, &reply.to_line()).await {
                    return;
                }
                continue;
            }
        };
        if req.cmd.is_mutating() && !may_mutate(peer.uid, owner_uid) {
            tracing::info!(
                "control socket: refused {} from uid {}{}",
                req.cmd.name(),
                peer.uid,
                peer.pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            );
            let reply = Reply::error(
                ErrorCode::PermissionDenied,
                format!(
                    "{} changes the daemon: only {} may ask (you are uid {})",
                    req.cmd.name(),
                    if owner_uid == 0 {
                        "root".to_string()
                    } else {
                        format!("root or the socket's owner (uid {owner_uid})")
                    },
                    peer.uid
                ),
            );
            if !send(&mut w, &reply.to_line()).await {
                return;
            }
            continue;
        }
        if let Cmd::Watch = req.cmd {
            watch(&mut reader, &mut w, &handle).await;
            return;
        }
        let reply = answer(req.cmd, &handle).await;
        if !send(&mut w, &reply.to_line()).await {
            return;
        }
    }
}

/// Names in `wanted` that no instance has.
fn unknown_names(snap: &[InstanceSnapshot], wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|n| !snap.iter().any(|i| &i.name == *n))
        .cloned()
        .collect()
}

fn unknown_instance(names: &[String]) -> Reply {
    Reply::error(
        ErrorCode::UnknownInstance,
        format!("no vrrp_instance named {}", names.join(", ")),
    )
}

fn unavailable() -> Reply {
    Reply::error(
        ErrorCode::Unavailable,
        "vrrpd is stopping or did not answer",
    )
}

/// Ask the loop for a snapshot, within QUERY_TIMEOUT.
async fn snapshot(handle: &Handle) -> Option<Vec<InstanceSnapshot>> {
    timeout(QUERY_TIMEOUT, handle.snapshot())
        .await
        .ok()
        .flatten()
}

async fn answer(cmd: Cmd, handle: &Handle) -> Reply {
    match cmd {
        Cmd::Status { instances } | Cmd::Stats { instances } => {
            let Some(snap) = snapshot(handle).await else {
                return unavailable();
            };
            let unknown = unknown_names(&snap, &instances);
            if !unknown.is_empty() {
                return unknown_instance(&unknown);
            }
            let mut reply = Reply::with_instances(
                snap.into_iter()
                    .filter(|i| i.selected(&instances))
                    .collect(),
            );
            reply.node = timeout(QUERY_TIMEOUT, handle.node_stats())
                .await
                .ok()
                .flatten()
                .map(Box::new);
            reply
        }
        Cmd::ClearStats { instances } => {
            match timeout(QUERY_TIMEOUT, handle.clear_stats(instances.clone())).await {
                Ok(Some(cleared)) => {
                    let unknown: Vec<String> = instances
                        .iter()
                        .filter(|n| !cleared.contains(n))
                        .cloned()
                        .collect();
                    if unknown.is_empty() {
                        Reply::with_changed(cleared)
                    } else {
                        unknown_instance(&unknown)
                    }
                }
                _ => unavailable(),
            }
        }
        Cmd::Reload => Reply::error(
            ErrorCode::NotSupported,
            "reload is not supported by this vrrpd yet; restart it to apply a new config",
        ),
        Cmd::Demote {
            instances,
            all,
            reason,
            force,
        } => {
            if instances.is_empty() && !all {
                return Reply::error(
                    ErrorCode::BadRequest,
                    "name the instances to demote, or all",
                );
            }
            demote(handle, instances, Some(reason.unwrap_or_default()), force).await
        }
        Cmd::Restore { instances, all } => {
            if instances.is_empty() && !all {
                return Reply::error(
                    ErrorCode::BadRequest,
                    "name the instances to restore, or all",
                );
            }
            demote(handle, instances, None, false).await
        }
        // Handled by `watch` before we get here.
        Cmd::Watch => Reply::ok(),
    }
}

async fn demote(
    handle: &Handle,
    instances: Vec<String>,
    reason: Option<String>,
    force: bool,
) -> Reply {
    match timeout(QUERY_TIMEOUT, handle.demote(instances, reason, force)).await {
        Ok(Some(Ok(changed))) => Reply::with_changed(changed),
        Ok(Some(Err(e))) => {
            let code = match e {
                DemoteError::Unknown(_) => ErrorCode::UnknownInstance,
                DemoteError::NoPeer(_) => ErrorCode::Refused,
                DemoteError::Save(_) => ErrorCode::Unavailable,
            };
            Reply::error(code, e.to_string())
        }
        _ => unavailable(),
    }
}

/// Stream events until the client hangs up (or cannot keep up with writes).
async fn watch<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut R,
    w: &mut OwnedWriteHalf,
    handle: &Handle,
) {
    let mut events = handle.subscribe();
    if !send(w, &Reply::ok().to_line()).await {
        return;
    }
    let mut sink = [0u8; 256];
    loop {
        tokio::select! {
            ev = events.recv() => {
                let ev = match ev {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(missed)) => Event::Lagged { missed },
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let mut line = match serde_json::to_string(&ev) {
                    Ok(l) => l,
                    Err(_) => continue,
                };
                line.push('\n');
                if !send(w, &line).await {
                    return;
                }
            }
            // Anything the client sends now is ignored; EOF ends the stream.
            n = reader.read(&mut sink) => {
                if matches!(n, Ok(0) | Err(_)) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_root_and_owner_mutate() {
        assert!(may_mutate(0, 0));
        assert!(may_mutate(0, 1000));
        assert!(may_mutate(1000, 1000));
        assert!(!may_mutate(65534, 0));
    }

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let mut r = Rate::new();
        for _ in 0..RATE_BURST as usize {
            assert!(r.take());
        }
        assert!(!r.take());
    }
}
