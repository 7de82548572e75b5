//! vrrp_track_process's I/O: the kernel's process events (the netlink proc connector,
//! CN_IDX_PROC: exec, fork, exit, comm) read on a thread of their own, a /proc scan at start
//! and after the event socket overflowed (ENOBUFS), the counting done by the node layer's
//! `ProcessTable`, and only quorum changes sent to the event loop as `TrackerReport`s (which
//! it feeds to `Node::set_tracker`). Nothing polls /proc in a loop, and the loop never waits
//! for this thread.
//!
//! The proc connector answers only a listener in the initial PID and user namespaces with
//! CAP_NET_ADMIN, and its netlink family exists only in the initial network namespace
//! (elsewhere the subscription is refused with ECONNREFUSED): a vrrpd started in another
//! network namespace (`ip netns exec`, as the tests do) opens the socket in the initial one,
//! found through pid 1, its ancestors or another process (setns on this thread only, then
//! back; needs CAP_SYS_ADMIN). The socket only listens; nothing is sent on any network.
//! When the kernel refuses or does not answer, the reason is logged and the blocks keep the
//! state of the start-up scan (keepalived 2.2.7 only warns, and in a network namespace its
//! track_process never follows a process).

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::config::model::VrrpTrackProcess;
use crate::node::track_process::{ProcInfo, ProcessTable, QuorumChange};
use crate::node::{TrackerId, TrackerKind, TrackerState};

use super::track_script::TrackerReport;

/// `<linux/connector.h>` / `<linux/cn_proc.h>`.
const NETLINK_CONNECTOR: libc::c_int = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_CN_MCAST_IGNORE: u32 = 2;
const PROC_EVENT_NONE: u32 = 0;
const PROC_EVENT_FORK: u32 = 1;
const PROC_EVENT_EXEC: u32 = 2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;
/// nlmsghdr (16) + cn_msg (20): where the proc_event starts.
const EVENT_AT: usize = 36;
/// proc_event: what, cpu, timestamp_ns, then the event's data.
const DATA_AT: usize = EVENT_AT + 16;

/// How long the kernel has to acknowledge the subscription.
const ACK_WAIT: Duration = Duration::from_secs(1);
/// After an overflow, events still pour in: rescan once they had a moment to settle
/// (keepalived waits a second; a tenth is enough for the burst that overflowed a buffer).
const RESCAN_AFTER: Duration = Duration::from_millis(100);
/// The longest command line compared (keepalived reads only as much as its longest block).
const CMDLINE_MAX: u64 = 4096;

/// One process event, as the table needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcEvent {
    /// The kernel's answer to a (un)subscription: 0, or an errno.
    Ack {
        err: u32,
    },
    Fork {
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    Comm {
        pid: u32,
        tgid: u32,
        comm: Vec<u8>,
    },
    Exit {
        pid: u32,
        tgid: u32,
    },
    Other,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// Decode one datagram of the connector (the kernel never chains proc events). None: not a
/// proc event (too short, another connector, a netlink error or noop).
pub fn parse_event(b: &[u8]) -> Option<ProcEvent> {
    let len = u32_at(b, 0)? as usize;
    let kind = u16::from_ne_bytes([*b.get(4)?, *b.get(5)?]);
    // NLMSG_NOOP, NLMSG_ERROR.
    if len > b.len() || len < DATA_AT || kind == 1 || kind == 2 {
        return None;
    }
    let b = &b[..len];
    if u32_at(b, 16)? != CN_IDX_PROC || u32_at(b, 20)? != CN_VAL_PROC {
        return None;
    }
    let ack = u32_at(b, 28)?;
    let what = u32_at(b, EVENT_AT)?;
    // An acknowledgement is exactly PROC_EVENT_NONE (keepalived's check too).
    if (what == PROC_EVENT_NONE) != (ack != 0) {
        return None;
    }
    let d = |i: usize| u32_at(b, DATA_AT + 4 * i);
    Some(match what {
        PROC_EVENT_NONE => ProcEvent::Ack { err: d(0)? },
        PROC_EVENT_FORK => ProcEvent::Fork {
            parent_tgid: d(1)?,
            child_pid: d(2)?,
            child_tgid: d(3)?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            pid: d(0)?,
            tgid: d(1)?,
        },
        PROC_EVENT_COMM => {
            let raw = b.get(DATA_AT + 8..DATA_AT + 24)?;
            let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
            ProcEvent::Comm {
                pid: d(0)?,
                tgid: d(1)?,
                comm: raw[..end].to_vec(),
            }
        }
        PROC_EVENT_EXIT => ProcEvent::Exit {
            pid: d(0)?,
            tgid: d(1)?,
        },
        _ => ProcEvent::Other,
    })
}

/// The (un)subscription request: nlmsghdr + cn_msg + the multicast op.
fn subscription(op: u32) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[0..4].copy_from_slice(&40u32.to_ne_bytes());
    // NLMSG_DONE
    m[4..6].copy_from_slice(&3u16.to_ne_bytes());
    m[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m[32..34].copy_from_slice(&4u16.to_ne_bytes());
    m[36..40].copy_from_slice(&op.to_ne_bytes());
    m
}

/// A process's name and (when wanted) command line; None when it is gone or a zombie.
fn read_info(pid: u32, cmdline: bool, skip_zombie: bool) -> Option<ProcInfo> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMM) S ...": COMM may itself hold parentheses; the last ')' ends it.
    let open = stat.iter().position(|&c| c == b'(')?;
    let close = stat.iter().rposition(|&c| c == b')')?;
    let comm = stat.get(open + 1..close)?.to_vec();
    if skip_zombie && stat.get(close + 2) == Some(&b'Z') {
        return None;
    }
    let mut info = ProcInfo {
        comm,
        cmdline: Vec::new(),
    };
    if cmdline {
        let f = std::fs::File::open(format!("/proc/{pid}/cmdline")).ok()?;
        f.take(CMDLINE_MAX).read_to_end(&mut info.cmdline).ok()?;
    }
    Some(info)
}

/// Every process now (threads are not listed at the top of /proc).
fn scan(cmdline: bool) -> Vec<(u32, ProcInfo)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        tracing::error!("vrrp_track_process: cannot read /proc");
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, read_info(pid, cmdline, true)?)))
        .collect()
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A namespace file's identity (device, inode); None when it cannot be looked at.
fn ns_id(path: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.dev(), m.ino()))
}

/// The parent of `pid` (field 4 of /proc/PID/stat).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Network namespaces that may be the initial one, likeliest first: pid 1's, then those of
/// vrrpd's ancestors from the top down (`ip netns exec` leaves its caller's behind), then any
/// other process's (pid 1 may be out of reach, e.g. not dumpable in a container).
fn candidate_namespaces() -> Vec<String> {
    let mut chain = Vec::new();
    let mut pid = std::os::unix::process::parent_id();
    while pid > 1 && chain.len() < 64 {
        chain.push(pid);
        match parent_of(pid) {
            Some(p) => pid = p,
            None => break,
        }
    }
    let others = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .take(65536);
    std::iter::once(1)
        .chain(chain.into_iter().rev())
        .chain(others)
        .map(|p| format!("/proc/{p}/ns/net"))
        .collect()
}

/// A connector socket bound to the process-event group, created in the network namespace
/// `ns` (a /proc/PID/ns/net path; None: this thread's own).
fn open_socket(ns: Option<&str>) -> io::Result<OwnedFd> {
    let back = match ns {
        Some(ns) => {
            let back = std::fs::File::open("/proc/thread-self/ns/net")?;
            let target = std::fs::File::open(ns)?;
            // SAFETY: setns on this thread with a namespace file we hold open.
            cvt(unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) })?;
            Some(back)
        }
        None => None,
    };
    // SAFETY: plain socket(2); the fd is owned at once.
    let sock = cvt(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            NETLINK_CONNECTOR,
        )
    })
    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    if let Some(back) = back {
        // SAFETY: as above, back to where the thread was.
        if let Err(e) = cvt(unsafe { libc::setns(back.as_raw_fd(), libc::CLONE_NEWNET) }) {
            tracing::warn!("vrrp_track_process: cannot return to vrrpd's network namespace: {e}");
        }
    }
    let sock = sock.map_err(|e| {
        if e.raw_os_error() == Some(libc::EPROTONOSUPPORT) {
            io::Error::new(
                e.kind(),
                "the kernel has no proc connector (CONFIG_PROC_EVENTS)",
            )
        } else {
            e
        }
    })?;
    // SAFETY: a zeroed sockaddr_nl is valid; the fields are set below.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_groups = CN_IDX_PROC;
    // SAFETY: bind with a sockaddr_nl of the right size.
    cvt(unsafe {
        libc::bind(
            sock.as_raw_fd(),
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    })?;
    Ok(sock)
}

/// Why a subscription failed.
enum NoEvents {
    /// No connector in this network namespace (ECONNREFUSED): try another.
    NotHere,
    Failed(String),
}

/// Open, size and subscribe a connector socket: here, else in the initial network namespace
/// (the connector's netlink family exists only there).
fn connect(rcv_bufs: Option<(u32, bool)>) -> Result<OwnedFd, String> {
    let attempt = |ns: Option<&str>| -> Result<OwnedFd, NoEvents> {
        let s = open_socket(ns).map_err(|e| match e.raw_os_error() {
            Some(libc::EPERM) => NoEvents::Failed(format!(
                "cannot enter the initial network namespace, where the proc connector is ({e}; it needs CAP_SYS_ADMIN)"
            )),
            _ => NoEvents::Failed(format!("cannot open the kernel's process-event socket ({e})")),
        })?;
        if let Some((bytes, force)) = rcv_bufs {
            set_rcvbuf(&s, bytes, force);
        }
        subscribe(&s)?;
        Ok(s)
    };
    match attempt(None) {
        Ok(s) => return Ok(s),
        Err(NoEvents::Failed(why)) => return Err(why),
        Err(NoEvents::NotHere) => {}
    }
    let mut seen: Vec<(u64, u64)> = ns_id("/proc/thread-self/ns/net").into_iter().collect();
    for ns in candidate_namespaces() {
        let Some(id) = ns_id(&ns) else { continue };
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        match attempt(Some(&ns)) {
            Ok(s) => {
                tracing::info!("vrrp_track_process: vrrpd's network namespace has no proc connector; following process events from the initial one ({ns})");
                return Ok(s);
            }
            Err(NoEvents::Failed(why)) => return Err(why),
            Err(NoEvents::NotHere) => {}
        }
    }
    Err("the proc connector exists only in the initial network namespace, and vrrpd found no way into it (run vrrpd there, or with access to /proc/1/ns/net)".into())
}

fn set_rcvbuf(sock: &OwnedFd, bytes: u32, force: bool) {
    let opt = if force {
        libc::SO_RCVBUFFORCE
    } else {
        libc::SO_RCVBUF
    };
    let v = bytes.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: setsockopt with an int option.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            &v as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        tracing::info!(
            "vrrp_track_process: cannot set the receive buffer to {bytes} bytes: {}",
            io::Error::last_os_error()
        );
    }
}

fn rcvbuf(sock: &OwnedFd) -> u32 {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into an int.
    unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &mut v as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        );
    }
    v.max(0) as u32
}

/// One datagram from the kernel (others are dropped): Ok(None) when there is none now.
fn recv(sock: &OwnedFd, buf: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        // SAFETY: a zeroed sockaddr_nl receives the sender's address.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        let mut sl = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: recvfrom into our buffer and address.
        let n = unsafe {
            libc::recvfrom(
                sock.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
                &mut sa as *mut libc::sockaddr_nl as *mut libc::sockaddr,
                &mut sl,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => Ok(None),
                _ => Err(e),
            };
        }
        // Only the kernel (port 0) speaks for the connector.
        if sa.nl_pid == 0 {
            return Ok(Some(n as usize));
        }
    }
}

fn send(sock: &OwnedFd, op: u32) -> io::Result<()> {
    let m = subscription(op);
    // SAFETY: send our request buffer.
    cvt(unsafe {
        libc::send(
            sock.as_raw_fd(),
            m.as_ptr() as *const libc::c_void,
            m.len(),
            0,
        ) as libc::c_int
    })
    .map(|_| ())
}

/// Wait (on poll) until `fds` are readable or `timeout` passes; returns which are readable.
fn wait(fds: &[libc::c_int], timeout: Option<Duration>) -> Vec<bool> {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.map_or(-1, |t| t.as_millis().min(60_000) as libc::c_int + 1);
    // SAFETY: poll over our array.
    let r = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, ms) };
    if r <= 0 {
        return vec![false; fds.len()];
    }
    p.iter().map(|p| p.revents != 0).collect()
}

/// Subscribe and wait for the kernel's acknowledgement.
fn subscribe(sock: &OwnedFd) -> Result<(), NoEvents> {
    match send(sock, PROC_CN_MCAST_LISTEN) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => return Err(NoEvents::NotHere),
        Err(e) => {
            return Err(NoEvents::Failed(format!(
                "the subscription was refused ({e})"
            )))
        }
    }
    let deadline = Instant::now() + ACK_WAIT;
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NoEvents::Failed("the kernel did not acknowledge the subscription: vrrpd is not in the initial PID and user namespaces, or the kernel lacks CONFIG_PROC_EVENTS".into()));
        }
        wait(&[sock.as_raw_fd()], Some(left));
        while let Some(n) = recv(sock, &mut buf)
            .map_err(|e| NoEvents::Failed(format!("cannot read process events ({e})")))?
        {
            match parse_event(&buf[..n]) {
                Some(ProcEvent::Ack { err: 0 }) => return Ok(()),
                Some(ProcEvent::Ack { err }) => {
                    let e = io::Error::from_raw_os_error(err as i32);
                    return Err(NoEvents::Failed(format!(
                        "the kernel refused the subscription ({e}; it needs CAP_NET_ADMIN)"
                    )));
                }
                _ => {}
            }
        }
    }
}

enum Command {
    Update(Vec<VrrpTrackProcess>),
    Stop,
}

/// The process-event thread; dropping it stops the thread.
pub struct ProcessMonitor {
    commands: std_mpsc::Sender<Command>,
    wake: std::sync::Arc<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd(2); owned at once.
    cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn poke(fd: &OwnedFd) {
    let one: u64 = 1;
    // SAFETY: an 8-byte write to an eventfd.
    unsafe {
        libc::write(fd.as_raw_fd(), &one as *const u64 as *const libc::c_void, 8);
    }
}

fn drain(fd: &OwnedFd) {
    let mut v: u64 = 0;
    // SAFETY: an 8-byte read from an eventfd.
    unsafe {
        libc::read(fd.as_raw_fd(), &mut v as *mut u64 as *mut libc::c_void, 8);
    }
}

impl ProcessMonitor {
    /// Follow `defs` (the blocks that running instances track). Returns after the start-up
    /// scan was reported on `tx` (so the instances start with it, as keepalived's do).
    pub fn start(
        defs: Vec<VrrpTrackProcess>,
        rcv_bufs: Option<(u32, bool)>,
        tx: &mpsc::UnboundedSender<TrackerReport>,
    ) -> io::Result<ProcessMonitor> {
        let wake = std::sync::Arc::new(eventfd()?);
        let (commands, rx) = std_mpsc::channel();
        let (ready_tx, ready) = std_mpsc::sync_channel(1);
        let (w, tx) = (wake.clone(), tx.clone());
        let thread = std::thread::Builder::new()
            .name("track_process".into())
            .spawn(move || run(defs, rcv_bufs, tx, rx, &w, ready_tx))?;
        // The subscription's acknowledgement plus one scan of /proc.
        let _ = ready.recv_timeout(ACK_WAIT + Duration::from_secs(2));
        Ok(ProcessMonitor {
            commands,
            wake,
            thread: Some(thread),
        })
    }

    /// New definitions (a reload): counted again from a scan; only changes are reported.
    pub fn update(&self, defs: Vec<VrrpTrackProcess>) {
        let _ = self.commands.send(Command::Update(defs));
        poke(&self.wake);
    }
}

impl Drop for ProcessMonitor {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        poke(&self.wake);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn report(
    tx: &mpsc::UnboundedSender<TrackerReport>,
    changes: Vec<QuorumChange>,
    initial: bool,
) -> bool {
    for c in changes {
        if initial {
            tracing::info!(
                "vrrp_track_process {}: {} process(es) running, quorum {}",
                c.name,
                c.count,
                if c.up { "held" } else { "not held" }
            );
        } else {
            tracing::info!(
                "Quorum {} for tracked process {} ({} running)",
                if c.up { "gained" } else { "lost" },
                c.name,
                c.count
            );
        }
        let state = if c.up {
            TrackerState::Up
        } else {
            TrackerState::Down
        };
        let r = TrackerReport {
            tracker: TrackerId::new(TrackerKind::Process, c.name),
            state,
        };
        if tx.send(r).is_err() {
            return false;
        }
    }
    true
}

fn run(
    defs: Vec<VrrpTrackProcess>,
    rcv_bufs: Option<(u32, bool)>,
    tx: mpsc::UnboundedSender<TrackerReport>,
    commands: std_mpsc::Receiver<Command>,
    wake: &OwnedFd,
    ready: std_mpsc::SyncSender<()>,
) {
    let names = defs
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let sock = match connect(rcv_bufs) {
        Ok(s) => Some(s),
        Err(why) => {
            tracing::error!(
                "vrrp_track_process {names}: {why}; their processes are counted once at start only"
            );
            None
        }
    };
    // The socket is open (which may have needed CAP_SYS_ADMIN to enter the initial network
    // namespace): from here on the thread reads /proc and the socket only, and keeps no more
    // than the rest of vrrpd after start (privileges.rs; capabilities are per thread).
    if let Err(e) = super::privileges::drop_unneeded() {
        tracing::warn!("track_process thread: cannot drop capabilities: {e}");
    }
    let mut table = ProcessTable::new(&defs);
    let mut cmdline = table.needs_cmdline();
    let states = table.initial_scan(&scan(cmdline));
    if !report(&tx, states, true) {
        return;
    }
    let _ = ready.send(());
    let mut rescan_at: Option<Instant> = None;
    let mut buf = [0u8; 1024];
    let mut out = Vec::new();
    loop {
        let now = Instant::now();
        let deadline = [table.next_deadline(), rescan_at]
            .into_iter()
            .flatten()
            .min();
        let mut fds = vec![wake.as_raw_fd()];
        if let Some(s) = &sock {
            fds.push(s.as_raw_fd());
        }
        let ready = wait(&fds, deadline.map(|d| d.saturating_duration_since(now)));
        if ready[0] {
            drain(wake);
            while let Ok(c) = commands.try_recv() {
                match c {
                    Command::Stop => {
                        if let Some(s) = &sock {
                            let _ = send(s, PROC_CN_MCAST_IGNORE);
                        }
                        return;
                    }
                    Command::Update(defs) => {
                        table = ProcessTable::new(&defs);
                        cmdline = table.needs_cmdline();
                        out.extend(table.initial_scan(&scan(cmdline)));
                    }
                }
            }
        }
        if let Some(s) = sock.as_ref().filter(|_| ready.get(1) == Some(&true)) {
            loop {
                match recv(s, &mut buf) {
                    Ok(Some(n)) => {
                        if let Some(ev) = parse_event(&buf[..n]) {
                            apply(&mut table, Instant::now(), ev, cmdline, &mut out);
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        // Events were lost: a bigger buffer, and a rescan when it settles.
                        let bigger = rcvbuf(s).saturating_mul(2);
                        set_rcvbuf(s, bigger, rcv_bufs.is_some_and(|(_, f)| f));
                        tracing::info!("vrrp_track_process: process events were lost (receive buffer overflow); rescanning /proc, receive buffer now {} bytes (global_defs process_monitor_rcv_bufs sets it)", rcvbuf(s));
                        rescan_at = Some(Instant::now() + RESCAN_AFTER);
                    }
                    Err(e) => {
                        tracing::warn!("vrrp_track_process: reading process events: {e}");
                        break;
                    }
                }
            }
        }
        let now = Instant::now();
        if rescan_at.is_some_and(|t| t <= now) {
            rescan_at = None;
            table.rescan(now, &scan(cmdline), &mut out);
        }
        table.expire(now, &mut out);
        if !out.is_empty() && !report(&tx, std::mem::take(&mut out), false) {
            return;
        }
    }
}

/// One event into the table (threads are not processes: only pid == tgid counts).
fn apply(
    table: &mut ProcessTable,
    now: Instant,
    ev: ProcEvent,
    cmdline: bool,
    out: &mut Vec<QuorumChange>,
) {
    match ev {
        ProcEvent::Fork {
            parent_tgid,
            child_pid,
            child_tgid,
        } if child_pid == child_tgid => table.fork(now, parent_tgid, child_tgid, out),
        ProcEvent::Exec { pid, tgid } if pid == tgid => {
            if let Some(info) = read_info(tgid, cmdline, false) {
                table.exec(now, tgid, &info, out);
            }
        }
        ProcEvent::Comm { pid, tgid, comm } if pid == tgid => {
            let info = ProcInfo {
                comm,
                cmdline: Vec::new(),
            };
            table.comm(now, tgid, &info, out);
        }
        ProcEvent::Exit { pid, tgid } if pid == tgid => table.exit(now, tgid, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(what: u32, ack: u32, data: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; DATA_AT + 24];
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b[4..6].copy_from_slice(&3u16.to_ne_bytes());
        b[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
        b[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
        b[28..32].copy_from_slice(&ack.to_ne_bytes());
        b[EVENT_AT..EVENT_AT + 4].copy_from_slice(&what.to_ne_bytes());
        for (i, v) in data.iter().enumerate() {
            b[DATA_AT + 4 * i..DATA_AT + 4 * i + 4].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    #[test]
    fn events_decode() {
        assert_eq!(
            parse_event(&msg(PROC_EVENT_FORK, 0, &[1, 1, 7, 7])),
            Some(ProcEvent::Fork {
                parent_tgid: 1,
                child_pid: 7,
                child_tgid: 7
            })
        );
        assert_eq!(
            parse_event(&msg(PROC_EVENT_EXIT, 0, &[9, 8])),
            Some(ProcEvent::Exit { pid: 9, tgid: 8 })
        );
        assert_eq!(
            parse_event(&msg(PROC_EVENT_NONE, 1, &[1])),
            Some(ProcEvent::Ack { err: 1 })
        );
        let mut c = msg(PROC_EVENT_COMM, 0, &[5, 5]);
        c[DATA_AT + 8..DATA_AT + 13].copy_from_slice(b"httpd");
        assert_eq!(
            parse_event(&c),
            Some(ProcEvent::Comm {
                pid: 5,
                tgid: 5,
                comm: b"httpd".to_vec()
            })
        );
    }

    #[test]
    fn bad_datagrams_are_not_events() {
        // Cut short, lying about its length, another connector, an ack that is not NONE.
        let m = msg(PROC_EVENT_EXEC, 0, &[1, 1]);
        for n in 0..DATA_AT {
            assert_eq!(parse_event(&m[..n]), None);
        }
        let mut long = m.clone();
        long[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert_eq!(parse_event(&long), None);
        let mut other = m.clone();
        other[16..20].copy_from_slice(&7u32.to_ne_bytes());
        assert_eq!(parse_event(&other), None);
        assert_eq!(parse_event(&msg(PROC_EVENT_EXEC, 1, &[1, 1])), None);
        assert_eq!(parse_event(&msg(PROC_EVENT_NONE, 0, &[0])), None);
    }

    #[test]
    fn this_process_is_read_from_proc() {
        let me = std::process::id();
        let info = read_info(me, true, true).expect("own /proc entry");
        assert!(!info.comm.is_empty());
        assert!(info.cmdline.ends_with(&[0]));
        assert!(scan(false).iter().any(|(p, _)| *p == me));
    }
}
