//! Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) for the VIPs, sent
//! through an AF_PACKET socket per interface so that switches and neighbours learn the new
//! master's MAC at once, paced per interface by a task of its own so that a burst for many VIPs
//! never holds up the event loop.
//!
//! The AF_PACKET socket is bound with protocol 0, so it receives nothing: it exists only to
//! send, and costs no copy of the interface's traffic. Without pacing (vrrp_garp_interval and
//! vrrp_gna_interval 0, the defaults) the frames that are due together leave in sendmmsg
//! batches, and the first announcement of every queued VIP goes out before the repeats, so the
//! last VIP of a mass takeover is announced after one frame per VIP, not after five.

use std::collections::HashMap;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::wire;

#[derive(Debug, thiserror::Error)]
pub enum GarpError {
    #[error("interface {0} has no MAC address")]
    NoMac(String),
    #[error("cannot open a packet socket on {ifname}: {source}")]
    Open {
        ifname: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sending on {ifname}: {source}")]
    Send {
        ifname: String,
        #[source]
        source: std::io::Error,
    },
}

/// Frames one sendmmsg carries at most.
const FRAME_BATCH: usize = 64;
/// Room for either frame (42 and 86 bytes).
const FRAME_MAX: usize = 128;

/// A send-only packet socket on one interface.
pub struct GarpSender {
    fd: OwnedFd,
    pub mac: [u8; 6],
    pub ifname: String,
}

impl GarpSender {
    pub fn open(ifname: &str, ifindex: u32) -> Result<GarpSender, GarpError> {
        let mac =
            super::netlink::interface_mac(ifname).ok_or_else(|| GarpError::NoMac(ifname.into()))?;
        let open_err = |source| GarpError::Open {
            ifname: ifname.into(),
            source,
        };
        // SOCK_RAW with protocol 0: may send whole frames, is delivered no frames.
        // SAFETY: socket(2) has no memory preconditions; the result is checked.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(open_err(std::io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_ll is plain data; all-zero is its empty value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = 0;
        sll.sll_ifindex = ifindex as i32;
        // SAFETY: `sll` is a valid sockaddr_ll of the length passed.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(open_err(std::io::Error::last_os_error()));
        }
        Ok(GarpSender {
            fd,
            mac,
            ifname: ifname.to_string(),
        })
    }

    /// One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `ip`.
    pub fn announce(&mut self, ip: IpAddr) -> Result<(), GarpError> {
        self.announce_all(&[ip]).map(|_| ())
    }

    /// One announcement for each of `ips`, in order, FRAME_BATCH frames per system call; how
    /// many went out before an error.
    pub fn announce_all(&mut self, ips: &[IpAddr]) -> Result<usize, GarpError> {
        let mut sent = 0;
        for chunk in ips.chunks(FRAME_BATCH) {
            let mut frames = [[0u8; FRAME_MAX]; FRAME_BATCH];
            let mut iovs: Vec<libc::iovec> = Vec::with_capacity(chunk.len());
            for (ip, frame) in chunk.iter().zip(frames.iter_mut()) {
                let n = match ip {
                    IpAddr::V4(v4) => wire::gratuitous_arp(self.mac, *v4, frame),
                    IpAddr::V6(v6) => wire::unsolicited_na(self.mac, *v6, frame),
                }
                // The buffer is larger than both frames.
                .unwrap_or(0);
                iovs.push(libc::iovec {
                    iov_base: frame.as_mut_ptr() as *mut libc::c_void,
                    iov_len: n,
                });
            }
            let mut done = 0;
            while done < iovs.len() {
                let mut hdrs: Vec<libc::mmsghdr> = iovs[done..]
                    .iter_mut()
                    .map(super::socket::mmsghdr)
                    .collect();
                // SAFETY: every header points at one iovec of `iovs` and its frame in
                // `frames`, both alive until the call returns; the socket is bound, so no
                // address is needed.
                let r = unsafe { super::socket::sendmmsg(self.fd.as_raw_fd(), &mut hdrs, 0) }
                    .map_err(|source| GarpError::Send {
                        ifname: self.ifname.clone(),
                        source,
                    })?;
                done += r.max(1);
            }
            sent += chunk.len();
        }
        Ok(sent)
    }
}

/// One burst: `count` announcements of every address of `addrs` on one interface.
#[derive(Debug, Clone)]
pub struct GarpJob {
    pub instance: String,
    pub ifname: String,
    pub ifindex: u32,
    pub addrs: Vec<IpAddr>,
    pub count: u32,
}

/// Sends bursts off the event loop: one task per interface, each message spaced from the
/// previous one on that interface by vrrp_garp_interval (IPv4) or vrrp_gna_interval (IPv6),
/// as keepalived does; with both at 0 a burst goes out back to back.
pub struct GarpPacer {
    garp_interval: Duration,
    gna_interval: Duration,
    lanes: HashMap<u32, mpsc::UnboundedSender<GarpJob>>,
}

impl GarpPacer {
    pub fn new(garp_interval: Duration, gna_interval: Duration) -> GarpPacer {
        GarpPacer {
            garp_interval,
            gna_interval,
            lanes: HashMap::new(),
        }
    }

    /// Queue a burst; never waits. Must run inside the runtime.
    pub fn submit(&mut self, job: GarpJob) {
        if job.count == 0 || job.addrs.is_empty() {
            return;
        }
        let lane = self.lanes.entry(job.ifindex).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(lane(
                job.ifname.clone(),
                job.ifindex,
                self.garp_interval,
                self.gna_interval,
                rx,
            ));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = lane.send(job) {
            tracing::warn!(
                "{}: gratuitous ARP sender of {} is gone",
                job.instance,
                job.ifname
            );
        }
    }
}

/// One interface's sender: opened on the first job, reopened after a failure.
async fn lane(
    ifname: String,
    ifindex: u32,
    garp_interval: Duration,
    gna_interval: Duration,
    mut rx: mpsc::UnboundedReceiver<GarpJob>,
) {
    if garp_interval.is_zero() && gna_interval.is_zero() {
        return unpaced_lane(&ifname, ifindex, rx).await;
    }
    let mut sender: Option<GarpSender> = None;
    // When the last ARP / NA went out on this interface.
    let mut last_v4: Option<Instant> = None;
    let mut last_v6: Option<Instant> = None;
    while let Some(job) = rx.recv().await {
        for _ in 0..job.count {
            for &addr in &job.addrs {
                let (last, interval) = if addr.is_ipv4() {
                    (&mut last_v4, garp_interval)
                } else {
                    (&mut last_v6, gna_interval)
                };
                if let Some(t) = *last {
                    if !interval.is_zero() {
                        tokio::time::sleep_until(t + interval).await;
                    }
                }
                let Some(s) = open(&ifname, ifindex, &mut sender, &job.instance) else {
                    break;
                };
                if let Err(e) = s.announce(addr) {
                    tracing::warn!("{}: gratuitous ARP/NA for {addr}: {e}", job.instance);
                    sender = None;
                }
                *last = Some(Instant::now());
            }
        }
    }
}

/// The lane's sender, opened if it is not (None, logged, when it cannot be).
fn open<'a>(
    ifname: &str,
    ifindex: u32,
    sender: &'a mut Option<GarpSender>,
    instance: &str,
) -> Option<&'a mut GarpSender> {
    if sender.is_none() {
        match GarpSender::open(ifname, ifindex) {
            Ok(s) => *sender = Some(s),
            Err(e) => tracing::warn!("{instance}: {e}"),
        }
    }
    sender.as_mut()
}

/// A lane without pacing: the first announcement of every job as soon as it arrives, the
/// repeats when nothing new is waiting, a sendmmsg batch at a time, so a mass takeover
/// announces each VIP once before it announces any twice.
async fn unpaced_lane(ifname: &str, ifindex: u32, mut rx: mpsc::UnboundedReceiver<GarpJob>) {
    let mut sender: Option<GarpSender> = None;
    let mut rounds = Rounds::default();
    let mut open_rx = true;
    loop {
        if open_rx && rounds.is_empty() {
            match rx.recv().await {
                Some(j) => rounds.add(j),
                None => return,
            }
        }
        while open_rx {
            match rx.try_recv() {
                Ok(j) => rounds.add(j),
                Err(mpsc::error::TryRecvError::Empty) => break,
                // Stopping: what is left still goes out.
                Err(mpsc::error::TryRecvError::Disconnected) => open_rx = false,
            }
        }
        if rounds.is_empty() {
            if open_rx {
                continue;
            }
            return;
        }
        let step = rounds.step();
        let jobs: Vec<&GarpJob> = step.iter().map(|&i| &rounds.jobs[i].0).collect();
        send_round(ifname, ifindex, &mut sender, &jobs);
        rounds.sent(&step);
        // Other lanes and the address worker's netlink replies share this thread.
        tokio::task::yield_now().await;
    }
}

/// The bursts of an unpaced lane and how many announcements each has had.
#[derive(Debug, Default)]
struct Rounds {
    jobs: Vec<(GarpJob, u32)>,
}

impl Rounds {
    fn add(&mut self, job: GarpJob) {
        if job.count > 0 && !job.addrs.is_empty() {
            self.jobs.push((job, 0));
        }
    }

    fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The jobs whose announcement goes out next (indexes, in arrival order): those that have
    /// had the fewest, until a batch of frames is full. Steps rather than whole rounds, so a
    /// burst that arrives while 1,000 VIPs are being repeated waits for one batch, not for all.
    fn step(&self) -> Vec<usize> {
        let Some(fewest) = self.jobs.iter().map(|(_, sent)| *sent).min() else {
            return Vec::new();
        };
        let mut frames = 0;
        let mut step = Vec::new();
        for (i, (j, sent)) in self.jobs.iter().enumerate() {
            if frames >= FRAME_BATCH {
                break;
            }
            if *sent == fewest {
                step.push(i);
                frames += j.addrs.len();
            }
        }
        step
    }

    /// The announcements of `step` went out.
    fn sent(&mut self, step: &[usize]) {
        for &i in step {
            self.jobs[i].1 += 1;
        }
        self.jobs.retain(|(j, sent)| *sent < j.count);
    }
}

/// One announcement of every address of every job, in order, in batches.
fn send_round(ifname: &str, ifindex: u32, sender: &mut Option<GarpSender>, jobs: &[&GarpJob]) {
    let Some(first) = jobs.iter().find(|j| !j.addrs.is_empty()) else {
        return;
    };
    let Some(s) = open(ifname, ifindex, sender, &first.instance) else {
        return;
    };
    let addrs: Vec<IpAddr> = jobs.iter().flat_map(|j| j.addrs.iter().copied()).collect();
    if let Err(e) = s.announce_all(&addrs) {
        let mut names: Vec<&str> = jobs.iter().map(|j| j.instance.as_str()).collect();
        names.dedup();
        tracing::warn!("{}: gratuitous ARP/NA: {e}", names.join(", "));
        *sender = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, last: u8, count: u32) -> GarpJob {
        GarpJob {
            instance: name.into(),
            ifname: "eth0".into(),
            ifindex: 2,
            addrs: vec![IpAddr::from([192, 0, 2, last])],
            count,
        }
    }

    fn drain(r: &mut Rounds) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        while !r.is_empty() {
            let step = r.step();
            out.push(step.iter().map(|&i| r.jobs[i].0.instance.clone()).collect());
            r.sent(&step);
        }
        out
    }

    #[test]
    fn every_vip_is_announced_once_before_any_twice() {
        let mut r = Rounds::default();
        for (n, i) in ["a", "b", "c"].iter().zip(1..) {
            r.add(job(n, i, 3));
        }
        assert_eq!(drain(&mut r), vec![vec!["a", "b", "c"]; 3]);
    }

    #[test]
    fn a_burst_arriving_between_rounds_goes_first() {
        let mut r = Rounds::default();
        r.add(job("a", 1, 3));
        let step = r.step();
        assert_eq!(step, [0]);
        r.sent(&step);
        r.add(job("b", 2, 2));
        r.add(job("none", 3, 0));
        assert_eq!(drain(&mut r), vec![vec!["b"], vec!["a", "b"], vec!["a"]]);
    }

    #[test]
    fn a_step_is_one_batch_of_frames() {
        let mut r = Rounds::default();
        for i in 0..100u8 {
            r.add(job(&format!("j{i}"), i, 2));
        }
        let steps: Vec<usize> = drain(&mut r).iter().map(Vec::len).collect();
        assert_eq!(
            steps,
            [
                FRAME_BATCH,
                100 - FRAME_BATCH,
                FRAME_BATCH,
                100 - FRAME_BATCH
            ]
        );
    }
}
