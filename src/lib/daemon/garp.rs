//! Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) for the VIPs, sent
//! through a pnet datalink channel per interface so that switches and neighbours learn the new
//! master's MAC at once, paced per interface by a task of its own so that a burst for many VIPs
//! never holds up the event loop.
//!
//! The AF_PACKET socket is opened with protocol 0, so it receives nothing: it exists only to
//! send, and costs no copy of the interface's traffic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use pnet::datalink::{self, Channel, ChannelType, DataLinkSender, MacAddr, NetworkInterface};

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

/// A send-only datalink channel on one interface.
pub struct GarpSender {
    tx: Box<dyn DataLinkSender>,
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
        let fd = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Packet,
            nix::sys::socket::SockType::Raw,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| open_err(e.into()))?;
        let iface = NetworkInterface {
            name: ifname.to_string(),
            description: String::new(),
            index: ifindex,
            mac: Some(MacAddr::from(mac)),
            ips: Vec::new(),
            flags: 0,
        };
        let config = datalink::Config {
            // Layer3(0) makes pnet bind with protocol 0 too, keeping the socket deaf.
            channel_type: ChannelType::Layer3(0),
            promiscuous: false,
            // pnet owns and closes the descriptor from here on.
            socket_fd: Some(std::os::fd::IntoRawFd::into_raw_fd(fd)),
            ..Default::default()
        };
        match datalink::channel(&iface, config).map_err(open_err)? {
            Channel::Ethernet(tx, _rx) => Ok(GarpSender {
                tx,
                mac,
                ifname: ifname.to_string(),
            }),
            _ => Err(open_err(std::io::Error::other("not an Ethernet channel"))),
        }
    }

    /// One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `ip`.
    pub fn announce(&mut self, ip: IpAddr) -> Result<(), GarpError> {
        let mut buf = [0u8; 128];
        let n = match ip {
            IpAddr::V4(v4) => wire::gratuitous_arp(self.mac, v4, &mut buf),
            IpAddr::V6(v6) => wire::unsolicited_na(self.mac, v6, &mut buf),
        }
        // The buffer is larger than both frames (42 and 86 bytes).
        .unwrap_or(0);
        let r = self
            .tx
            .send_to(&buf[..n], None)
            .unwrap_or_else(|| Err(std::io::Error::other("frame larger than the send buffer")));
        r.map_err(|source| GarpError::Send {
            ifname: self.ifname.clone(),
            source,
        })
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
                if sender.is_none() {
                    match GarpSender::open(&ifname, ifindex) {
                        Ok(s) => sender = Some(s),
                        Err(e) => {
                            tracing::warn!("{}: {e}", job.instance);
                            break;
                        }
                    }
                }
                if let Some(s) = sender.as_mut() {
                    if let Err(e) = s.announce(addr) {
                        tracing::warn!("{}: gratuitous ARP/NA for {addr}: {e}", job.instance);
                        sender = None;
                    }
                }
                *last = Some(Instant::now());
            }
        }
    }
}
