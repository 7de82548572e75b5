//! Raw IPPROTO_VRRP (112) sockets, one per interface and address family, shared by every
//! instance on that interface: joined to the VRRP groups the instances use, bound to the
//! device, and sending with TTL/hop limit 255 and TOS 0xc0 as keepalived does.
//!
//! IPv4 sends whole packets (IP_HDRINCL) so each instance controls its source address and the
//! v3 checksum is computed over the very pseudo-header that goes on the wire; receives get the
//! IPv4 header too (TTL, destination). IPv6 cannot include the header, so the source goes in an
//! IPV6_PKTINFO control message and the hop limit and destination come back the same way.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn, SockaddrIn6,
};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::reactor::register;

/// IANA protocol number of VRRP.
pub const IPPROTO_VRRP: i32 = 112;
/// keepalived's IP precedence for adverts (internetwork control).
pub const VRRP_TOS: u32 = 0xc0;
/// RFC 5798: adverts are sent, and must be received, with TTL / hop limit 255.
pub const VRRP_TTL: u32 = 255;
/// Largest packet we read (the node layer's bound).
pub const RECV_BUF: usize = crate::node::MAX_PACKET;

pub use crate::node::{Family, RxMeta as Received};

/// A raw VRRP socket on one interface.
pub struct VrrpSocket {
    fd: AsyncFd<Socket>,
    pub family: Family,
    pub ifindex: u32,
    pub ifname: String,
    /// The interface the node knows the instances on this socket by: `ifname`, or the base
    /// interface of a VMAC socket.
    pub node_ifname: String,
}

impl VrrpSocket {
    /// The descriptor (keepalived's data dump shows its sockets' fds).
    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.fd.get_ref().as_raw_fd()
    }

    /// Open the socket for `ifname` (index `ifindex`); must run inside the tokio runtime.
    pub fn open(family: Family, ifname: &str, ifindex: u32) -> std::io::Result<VrrpSocket> {
        let domain = match family {
            Family::V4 => Domain::IPV4,
            Family::V6 => Domain::IPV6,
        };
        let s = Socket::new(domain, Type::RAW, Some(Protocol::from(IPPROTO_VRRP)))?;
        s.set_nonblocking(true)?;
        s.set_cloexec(true)?;
        s.bind_device(Some(ifname.as_bytes()))?;
        match family {
            Family::V4 => {
                s.set_header_included_v4(true)?;
                // Our own multicast must not come back to us as a peer's advert.
                s.set_multicast_loop_v4(false)?;
                s.set_multicast_ttl_v4(VRRP_TTL)?;
                s.set_ttl_v4(VRRP_TTL)?;
                s.set_tos_v4(VRRP_TOS)?;
                // Only the groups this socket joined, not every group of the host.
                s.set_multicast_all_v4(false)?;
            }
            Family::V6 => {
                s.set_multicast_loop_v6(false)?;
                s.set_multicast_hops_v6(VRRP_TTL)?;
                s.set_unicast_hops_v6(VRRP_TTL)?;
                s.set_multicast_if_v6(ifindex)?;
                s.set_recv_hoplimit_v6(true)?;
                s.set_tclass_v6(VRRP_TOS)?;
                s.set_multicast_all_v6(false)?;
                setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true)?;
            }
        }
        Ok(VrrpSocket {
            fd: register(s)?,
            family,
            ifindex,
            ifname: ifname.to_string(),
            node_ifname: ifname.to_string(),
        })
    }

    /// Join a multicast group on this socket's interface (joining twice is not an error).
    pub fn join(&self, group: IpAddr) -> std::io::Result<()> {
        let s = self.fd.get_ref();
        let r = match group {
            IpAddr::V4(g) => {
                s.join_multicast_v4_n(&g, &socket2::InterfaceIndexOrAddress::Index(self.ifindex))
            }
            IpAddr::V6(g) => s.join_multicast_v6(&g, self.ifindex),
        };
        match r {
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Ok(()),
            other => other,
        }
    }

    /// Send a complete IPv4 packet (header included) to `dst`.
    pub fn send_v4(&self, packet: &[u8], dst: Ipv4Addr) -> std::io::Result<()> {
        let addr = SockaddrIn::from(SocketAddrV4::new(dst, 0));
        sendmsg(
            self.fd.as_raw_fd(),
            &[IoSlice::new(packet)],
            &[],
            MsgFlags::MSG_DONTWAIT,
            Some(&addr),
        )?;
        Ok(())
    }

    /// Send a VRRP payload over IPv6 from `src` to `dst`.
    pub fn send_v6(&self, payload: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> std::io::Result<()> {
        let scope = if is_link_scope(&dst) { self.ifindex } else { 0 };
        let addr = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, scope));
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.octets(),
            },
            ipi6_ifindex: self.ifindex,
        };
        sendmsg(
            self.fd.as_raw_fd(),
            &[IoSlice::new(payload)],
            &[ControlMessage::Ipv6PacketInfo(&info)],
            MsgFlags::MSG_DONTWAIT,
            Some(&addr),
        )?;
        Ok(())
    }

    /// Wait for and read the next datagram into `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<Received> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| self.try_recv(fd.as_raw_fd(), buf)) {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }

    fn try_recv(&self, fd: i32, buf: &mut [u8]) -> std::io::Result<Received> {
        let mut iov = [IoSliceMut::new(buf)];
        match self.family {
            Family::V4 => {
                let msg = recvmsg::<SockaddrIn>(fd, &mut iov, None, MsgFlags::MSG_DONTWAIT)?;
                let src = msg
                    .address
                    .map(|a| IpAddr::V4(a.ip()))
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                Ok(Received {
                    len: msg.bytes,
                    truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                    src,
                    v6_dst: None,
                    v6_hop_limit: None,
                })
            }
            Family::V6 => {
                let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
                let msg =
                    recvmsg::<SockaddrIn6>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)?;
                let mut r = Received {
                    len: msg.bytes,
                    truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                    src: msg
                        .address
                        .map(|a| IpAddr::V6(a.ip()))
                        .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
                    v6_dst: None,
                    v6_hop_limit: None,
                };
                if let Ok(cmsgs) = msg.cmsgs() {
                    for c in cmsgs {
                        match c {
                            ControlMessageOwned::Ipv6PacketInfo(info) => {
                                r.v6_dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr))
                            }
                            ControlMessageOwned::Ipv6HopLimit(h) => {
                                r.v6_hop_limit = u8::try_from(h).ok()
                            }
                            _ => {}
                        }
                    }
                }
                Ok(r)
            }
        }
    }
}

fn is_link_scope(a: &Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_unicast_link_local() || (a.is_multicast() && (s[0] & 0x000f) <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_scope() {
        assert!(is_link_scope(&"fe80::1".parse().unwrap()));
        assert!(is_link_scope(&"ff02::12".parse().unwrap()));
        assert!(!is_link_scope(&"2001:db8::1".parse().unwrap()));
    }
}
