//! Proof of delivery for firewall tests: raw IPPROTO_VRRP sockets opened inside a namespace
//! (a thread joins it with setns; the socket stays there). A raw socket receives only what
//! passed netfilter's input hook, so its count is what the firewall let in — unlike tcpdump,
//! which sees packets before the filter.

use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::Netns;

const VRRP: i32 = 112;

/// Run `f` on a thread that has joined `ns`'s network namespace.
pub fn in_netns<T: Send>(ns: &Netns, f: impl FnOnce() -> T + Send) -> T {
    let path = format!("/var/run/netns/{}", ns.name);
    std::thread::scope(|s| {
        s.spawn(|| {
            let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            // SAFETY: setns on this thread only, with a valid namespace fd we own.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .expect("namespace thread panicked")
    })
}

/// The ifindex of `ifname` inside `ns`.
pub fn ifindex(ns: &Netns, ifname: &str) -> u32 {
    let out = ns.exec(&["cat", &format!("/sys/class/net/{ifname}/ifindex")]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("ifindex")
}

fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in b.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += w as u32;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A VRRPv2 advert (RFC 3768) for VRID 51, priority 100, one VIP.
pub fn advert_v2(vip: Ipv4Addr) -> Vec<u8> {
    let mut p = vec![0x21, 51, 100, 1, 0, 1, 0, 0];
    p.extend_from_slice(&vip.octets());
    p.extend_from_slice(&[0; 8]);
    let c = checksum(&p);
    p[6..8].copy_from_slice(&c.to_be_bytes());
    p
}

/// A VRRPv3 advert for IPv6 (the checksum is not checked by a raw receiver).
pub fn advert_v3(vip: Ipv6Addr) -> Vec<u8> {
    let mut p = vec![0x31, 52, 100, 1, 0, 100, 0, 0];
    p.extend_from_slice(&vip.octets());
    p
}

/// A raw VRRP socket in a namespace. A sender is bound to its source address; a receiver
/// must not be bound (a bound raw socket only sees packets addressed to that address).
pub struct RawVrrp {
    sock: Socket,
    v6_scope: u32,
}

impl RawVrrp {
    /// IPv4: multicast out of `local`, TTL 255, joined to 224.0.0.18; bound to `local` when
    /// `bind` (a sender).
    pub fn v4(ns: &Netns, local: Ipv4Addr, bind: bool) -> RawVrrp {
        let sock = in_netns(ns, || {
            let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(VRRP)))
                .expect("raw socket (needs CAP_NET_RAW)");
            s.set_ttl_v4(255).unwrap();
            s.set_multicast_ttl_v4(255).unwrap();
            s.set_multicast_if_v4(&local).unwrap();
            s.set_multicast_loop_v4(false).unwrap();
            s.join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 18), &local)
                .unwrap();
            if bind {
                s.bind(&SocketAddr::new(IpAddr::V4(local), 0).into())
                    .unwrap();
            }
            s
        });
        RawVrrp { sock, v6_scope: 0 }
    }

    /// IPv6 on interface index `scope`: hop limit 255, joined to ff02::12; bound to `local`
    /// when `bind` (a sender).
    pub fn v6(ns: &Netns, local: Ipv6Addr, scope: u32, bind: bool) -> RawVrrp {
        let sock = in_netns(ns, || {
            let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(VRRP)))
                .expect("raw socket (needs CAP_NET_RAW)");
            s.set_multicast_hops_v6(255).unwrap();
            s.set_unicast_hops_v6(255).unwrap();
            s.set_multicast_if_v6(scope).unwrap();
            s.set_multicast_loop_v6(false).unwrap();
            s.join_multicast_v6(&"ff02::12".parse().unwrap(), scope)
                .unwrap();
            if bind {
                s.bind(&SocketAddr::V6(SocketAddrV6::new(local, 0, 0, scope)).into())
                    .unwrap();
            }
            s
        });
        RawVrrp {
            sock,
            v6_scope: scope,
        }
    }

    /// Send `n` adverts to `dst`, 20 ms apart; returns how many the kernel took (an output
    /// hook that drops makes sendto fail with EPERM).
    pub fn send(&self, dst: IpAddr, n: usize) -> usize {
        let (pkt, to) = match dst {
            IpAddr::V4(_) => (
                advert_v2(Ipv4Addr::new(192, 0, 2, 100)),
                SocketAddr::new(dst, 0),
            ),
            IpAddr::V6(d) => (
                advert_v3("fe80::53:1".parse().unwrap()),
                SocketAddr::V6(SocketAddrV6::new(d, 0, 0, self.v6_scope)),
            ),
        };
        let mut sent = 0;
        for _ in 0..n {
            match self.sock.send_to(&pkt, &to.into()) {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
                Err(e) => panic!("send to {dst}: {e}"),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        sent
    }

    /// Send one ready-made VRRP message (the IP payload) to `dst`.
    pub fn send_packet(&self, pkt: &[u8], dst: IpAddr) {
        let to = match dst {
            IpAddr::V4(_) => SocketAddr::new(dst, 0),
            IpAddr::V6(d) => SocketAddr::V6(SocketAddrV6::new(d, 0, 0, self.v6_scope)),
        };
        self.sock
            .send_to(pkt, &to.into())
            .unwrap_or_else(|e| panic!("send to {dst}: {e}"));
    }

    /// Discard whatever is queued.
    pub fn drain(&self) {
        self.count_from(None, Duration::from_millis(30));
    }

    /// Count the packets from `from` (any source when None) received within `window`.
    pub fn count_from(&self, from: Option<IpAddr>, window: Duration) -> usize {
        let deadline = Instant::now() + window;
        let mut n = 0;
        let mut buf = [MaybeUninit::<u8>::uninit(); 2048];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return n;
            }
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            match self.sock.recv_from(&mut buf) {
                Ok((_, addr)) => {
                    let src = addr.as_socket().map(|s| s.ip());
                    if from.is_none() || src == from {
                        n += 1;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return n
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
    }
}
