//! Raw IPPROTO_VRRP (112) sockets, one per interface and address family, shared by every
//! instance on that interface: joined to the VRRP groups the instances use, bound to the
//! device, and sending with TTL/hop limit 255 and TOS 0xc0 as keepalived does.
//!
//! IPv4 sends whole packets (IP_HDRINCL) so each instance controls its source address and the
//! v3 checksum is computed over the very pseudo-header that goes on the wire; receives get the
//! IPv4 header too (TTL, destination). IPv6 cannot include the header, so the source goes in an
//! IPV6_PKTINFO control message and the hop limit and destination come back the same way.

use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn, SockaddrIn6,
};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

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

/// Adverts one sendmmsg carries at most (the node's pacing batches are 32).
pub const SEND_BATCH: usize = 64;

/// When the kernel received a datagram (SO_TIMESTAMPNS, CLOCK_REALTIME in ns; 0 when the
/// stamp is missing). Only ever compared with other arrivals: the loop reads several ready
/// sockets in the order their datagrams came, as keepalived's epoll ready list does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arrival(pub i128);

/// An advert waiting to be sent: a whole IPv4 packet, or an IPv6 VRRP message.
#[derive(Debug)]
pub struct Outgoing {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The node's encoded advert (shared with its own copy, not copied).
    pub bytes: std::sync::Arc<[u8]>,
}

/// CMSG_SPACE(sizeof(struct in6_pktinfo)): a 16-byte header and 20 bytes of data, rounded up.
#[allow(unused_unsafe)]
// SAFETY: CMSG_SPACE is a pure size computation.
const CMSG6_SPACE: usize =
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::in6_pktinfo>() as u32) } as usize;

/// One IPV6_PKTINFO control message, 8-byte aligned as the kernel reads it.
#[repr(C, align(8))]
struct Cmsg6([u8; CMSG6_SPACE]);

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
        setsockopt(&s, sockopt::ReceiveTimestampns, &true)?;
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

    /// Send every advert of `batch` in as few system calls as the kernel allows (sendmmsg,
    /// [`SEND_BATCH`] at a time); `done(i, result)` is called once for each `batch[i]`.
    pub fn send_batch(&self, batch: &[Outgoing], mut done: impl FnMut(usize, std::io::Result<()>)) {
        let mut start = 0;
        while start < batch.len() {
            let end = (start + SEND_BATCH).min(batch.len());
            match self.sendmmsg(&batch[start..end]) {
                Ok(sent) => {
                    for i in start..start + sent {
                        done(i, Ok(()));
                    }
                    start += sent;
                }
                // The kernel refused the first message of the chunk: it alone failed.
                Err(e) => {
                    done(start, Err(e));
                    start += 1;
                }
            }
        }
    }

    /// One sendmmsg of at most [`SEND_BATCH`] messages: how many went out (at least one), or
    /// the error of the first.
    fn sendmmsg(&self, chunk: &[Outgoing]) -> std::io::Result<usize> {
        let n = chunk.len();
        // Every buffer the headers point into lives until the call returns, and none moves:
        // each Vec is filled to its final length before the first pointer is taken.
        let mut names: Vec<libc::sockaddr_in6> = Vec::with_capacity(n);
        let mut cmsgs: Vec<Cmsg6> = Vec::with_capacity(n);
        for m in chunk {
            let (name, cmsg) = self.addressing(m);
            names.push(name);
            cmsgs.push(cmsg);
        }
        let mut iovs: Vec<libc::iovec> = chunk
            .iter()
            .map(|m| libc::iovec {
                iov_base: m.bytes.as_ptr() as *mut libc::c_void,
                iov_len: m.bytes.len(),
            })
            .collect();
        let name_len = match self.family {
            Family::V4 => std::mem::size_of::<libc::sockaddr_in>(),
            Family::V6 => std::mem::size_of::<libc::sockaddr_in6>(),
        } as libc::socklen_t;
        let mut hdrs: Vec<libc::mmsghdr> = (0..n)
            .map(|i| {
                let mut m = mmsghdr(&mut iovs[i]);
                let h = &mut m.msg_hdr;
                h.msg_name = &mut names[i] as *mut libc::sockaddr_in6 as *mut libc::c_void;
                h.msg_namelen = name_len;
                if self.family == Family::V6 {
                    h.msg_control = cmsgs[i].0.as_mut_ptr() as *mut libc::c_void;
                    h.msg_controllen = cmsgs[i].0.len();
                }
                m
            })
            .collect();
        // SAFETY: `hdrs` holds `n` initialised headers whose names, iovecs and control buffers
        // (above) outlive the call.
        let r = unsafe { sendmmsg(self.fd.as_raw_fd(), &mut hdrs, libc::MSG_DONTWAIT) }?;
        Ok(r.max(1))
    }

    /// The destination (a sockaddr_in inside the larger sockaddr_in6 for IPv4) and, for IPv6,
    /// the IPV6_PKTINFO control message that picks the source.
    fn addressing(&self, m: &Outgoing) -> (libc::sockaddr_in6, Cmsg6) {
        // SAFETY: sockaddr_in6 is plain data; all-zero is its empty value.
        let mut name: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
        let mut cmsg = Cmsg6([0u8; CMSG6_SPACE]);
        match (m.src, m.dst) {
            (_, IpAddr::V4(d)) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: 0,
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(d.octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_in is smaller than sockaddr_in6 and both are plain data.
                unsafe {
                    std::ptr::write(
                        &mut name as *mut libc::sockaddr_in6 as *mut libc::sockaddr_in,
                        sin,
                    )
                };
            }
            (src, IpAddr::V6(d)) => {
                name.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                name.sin6_addr = libc::in6_addr {
                    s6_addr: d.octets(),
                };
                name.sin6_scope_id = if is_link_scope(&d) { self.ifindex } else { 0 };
                let src = match src {
                    IpAddr::V6(s) => s,
                    // The node encodes a destination of the source's family.
                    IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
                };
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: src.octets(),
                    },
                    ipi6_ifindex: self.ifindex,
                };
                let hdr = libc::cmsghdr {
                    // SAFETY: CMSG_LEN is a pure size computation.
                    cmsg_len: unsafe {
                        libc::CMSG_LEN(std::mem::size_of::<libc::in6_pktinfo>() as u32)
                    } as usize,
                    cmsg_level: libc::IPPROTO_IPV6,
                    cmsg_type: libc::IPV6_PKTINFO,
                };
                let hlen = std::mem::size_of::<libc::cmsghdr>();
                // SAFETY: the buffer is CMSG_SPACE(in6_pktinfo) bytes: a cmsghdr followed by
                // the (aligned) pktinfo; unaligned writes because the array has byte alignment.
                unsafe {
                    let p = cmsg.0.as_mut_ptr();
                    std::ptr::write_unaligned(p as *mut libc::cmsghdr, hdr);
                    std::ptr::write_unaligned(p.add(hlen) as *mut libc::in6_pktinfo, info);
                }
            }
        }
        (name, cmsg)
    }

    /// Register the waker of `cx` for this socket's next datagram: Ready when one may be
    /// waiting (read it with [`VrrpSocket::try_recv_now`] until it says WouldBlock).
    pub fn poll_readable(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.fd.poll_read_ready(cx) {
            // The readiness stays set until a read says WouldBlock.
            std::task::Poll::Ready(_) => std::task::Poll::Ready(()),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }

    /// Read the next datagram into `buf` without waiting: WouldBlock when none is queued
    /// (which also tells the reactor to wait for the next one).
    pub fn try_recv_now(&self, buf: &mut [u8]) -> std::io::Result<(Received, Arrival)> {
        self.fd
            .try_io(Interest::READABLE, |fd| self.try_recv(fd.as_raw_fd(), buf))
    }

    fn try_recv(&self, fd: i32, buf: &mut [u8]) -> std::io::Result<(Received, Arrival)> {
        let mut iov = [IoSliceMut::new(buf)];
        let mut arrival = Arrival::default();
        let mut stamp = |c: &ControlMessageOwned| {
            if let ControlMessageOwned::ScmTimestampns(t) = c {
                arrival = Arrival(t.tv_sec() as i128 * 1_000_000_000 + t.tv_nsec() as i128);
            }
        };
        match self.family {
            Family::V4 => {
                let mut cmsg = nix::cmsg_space!(libc::timespec);
                let msg =
                    recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)?;
                let src = msg
                    .address
                    .map(|a| IpAddr::V4(a.ip()))
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                if let Ok(cmsgs) = msg.cmsgs() {
                    cmsgs.for_each(|c| stamp(&c));
                }
                let r = Received {
                    len: msg.bytes,
                    truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                    src,
                    v6_dst: None,
                    v6_hop_limit: None,
                };
                Ok((r, arrival))
            }
            Family::V6 => {
                let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::timespec);
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
                            other => stamp(&other),
                        }
                    }
                }
                Ok((r, arrival))
            }
        }
    }
}

fn is_link_scope(a: &Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_unicast_link_local() || (a.is_multicast() && (s[0] & 0x000f) <= 2)
}

/// One message of a sendmmsg batch, carrying `iov` (no address, no control data: the caller
/// adds what its socket needs).
pub(super) fn mmsghdr(iov: &mut libc::iovec) -> libc::mmsghdr {
    // SAFETY: msghdr is plain data; all-zero is its empty value.
    let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
    h.msg_iov = iov;
    h.msg_iovlen = 1;
    libc::mmsghdr {
        msg_hdr: h,
        msg_len: 0,
    }
}

/// sendmmsg(2) of `hdrs` on `fd`: how many messages the kernel took, or the error of the first.
///
/// # Safety
/// Every pointer in `hdrs` (iovecs, their buffers, names, control data) must be valid until
/// the call returns; the kernel only reads them and writes msg_len.
pub(super) unsafe fn sendmmsg(
    fd: std::os::fd::RawFd,
    hdrs: &mut [libc::mmsghdr],
    flags: libc::c_int,
) -> std::io::Result<usize> {
    // SAFETY: `hdrs` is a valid slice of initialised headers; the caller vouches for what
    // they point at.
    let r = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), hdrs.len() as libc::c_uint, flags) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(r as usize)
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
