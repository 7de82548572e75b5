//! Traffic on a test LAN: raw IPv4 packets sent as they are (their own TTL, source and
//! checksum: how malformed adverts are injected), and the arrival times of a sender's adverts
//! seen from another host (how advert timing is measured on the wire during an attack).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::firewall::in_netns;
use super::Netns;

/// Send whole IPv4 packets (their own TTL and header) out of `ns`'s eth0.
pub fn send_raw_ipv4(ns: &Netns, packets: &[Vec<u8>]) {
    in_netns(ns, || {
        let s = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(libc::IPPROTO_RAW)),
        )
        .expect("raw socket");
        s.bind_device(Some(b"eth0")).unwrap();
        for p in packets {
            let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
            let to = std::net::SocketAddr::new(IpAddr::V4(dst), 0);
            s.send_to(p, &to.into()).expect("send");
        }
    });
}

/// Arrival times of the adverts from `from` (of `vrid`, or any) at a raw socket in `ns`, for
/// `window`: the kernel's receive timestamps (SO_TIMESTAMPNS), so a test thread scheduled late
/// on a loaded machine does not make the sender look late.
pub fn advert_times(
    ns: &Netns,
    from: Ipv4Addr,
    vrid: Option<u8>,
    window: Duration,
) -> Vec<Duration> {
    adverts_seen(ns, from, vrid, window)
        .into_iter()
        .map(|(at, _)| at)
        .collect()
}

/// As `advert_times`, with each advert's priority.
pub fn adverts_seen(
    ns: &Netns,
    from: Ipv4Addr,
    vrid: Option<u8>,
    window: Duration,
) -> Vec<(Duration, u8)> {
    use nix::sys::socket::{
        recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn,
    };
    use std::os::fd::AsRawFd;
    in_netns(ns, || {
        let s = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(112)),
        )
        .expect("raw socket");
        s.join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 18), &Ipv4Addr::new(192, 0, 2, 3))
            .unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        setsockopt(&s, sockopt::ReceiveTimestampns, &true).expect("SO_TIMESTAMPNS");
        let end = Instant::now() + window;
        let mut times = Vec::new();
        let mut buf = [0u8; 1500];
        let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec);
        while Instant::now() < end {
            let (bytes, src, at) = {
                let mut iov = [std::io::IoSliceMut::new(&mut buf)];
                let Ok(msg) = recvmsg::<SockaddrIn>(
                    s.as_raw_fd(),
                    &mut iov,
                    Some(&mut cmsg),
                    MsgFlags::empty(),
                ) else {
                    continue;
                };
                let at = msg.cmsgs().ok().and_then(|mut c| match c.next() {
                    Some(ControlMessageOwned::ScmTimestampns(ts)) => {
                        Some(Duration::new(ts.tv_sec() as u64, ts.tv_nsec() as u32))
                    }
                    _ => None,
                });
                (msg.bytes, msg.address.map(|a| a.ip()), at)
            };
            let ihl = usize::from(buf[0] & 0x0f) * 4;
            let vrid_ok = vrid.is_none_or(|v| buf.get(ihl + 1) == Some(&v));
            if let (true, Some(at), true) = (bytes >= 22 && src == Some(from), at, vrid_ok) {
                times.push((at, buf[ihl + 2]));
            }
        }
        times
    })
}

/// Gaps between consecutive arrivals, in ms.
pub fn gaps_ms(times: &[Duration]) -> Vec<f64> {
    times
        .windows(2)
        .map(|w| (w[1].saturating_sub(w[0])).as_secs_f64() * 1000.0)
        .collect()
}

/// The `p` quantile (0..=1) of `g` (0 when empty).
pub fn percentile(g: &[f64], p: f64) -> f64 {
    let mut v = g.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len().max(1) - 1) as f64 * p) as usize)
        .copied()
        .unwrap_or(0.0)
}

pub fn summary(g: &[f64]) -> String {
    let mut v = g.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| percentile(&v, p);
    format!(
        "{} gaps: min {:.1} p50 {:.1} p99 {:.1} max {:.1} ms",
        v.len(),
        v[0],
        pct(0.5),
        pct(0.99),
        v[v.len() - 1]
    )
}
