//! Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) for the VIPs, sent
//! through a pnet datalink channel per interface so that switches and neighbours learn the new
//! master's MAC at once.
//!
//! The AF_PACKET socket is opened with protocol 0, so it receives nothing: it exists only to
//! send, and costs no copy of the interface's traffic.

use std::collections::HashMap;
use std::net::IpAddr;

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

/// Senders by interface index, opened on first use.
#[derive(Default)]
pub struct GarpSenders {
    by_ifindex: HashMap<u32, GarpSender>,
}

impl GarpSenders {
    pub fn get(&mut self, ifname: &str, ifindex: u32) -> Result<&mut GarpSender, GarpError> {
        use std::collections::hash_map::Entry;
        match self.by_ifindex.entry(ifindex) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(v) => Ok(v.insert(GarpSender::open(ifname, ifindex)?)),
        }
    }
}
