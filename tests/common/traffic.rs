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

/// Times of the adverts from `from` seen by a raw socket in `ns`, for `window`.
pub fn advert_times(ns: &Netns, from: Ipv4Addr, window: Duration) -> Vec<Instant> {
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
        let end = Instant::now() + window;
        let mut times = Vec::new();
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1500];
        while Instant::now() < end {
            if let Ok((n, addr)) = s.recv_from(&mut buf) {
                let src = addr.as_socket_ipv4().map(|a| *a.ip());
                if n >= 20 && src == Some(from) {
                    times.push(Instant::now());
                }
            }
        }
        times
    })
}

/// Gaps between consecutive adverts, in ms.
pub fn gaps_ms(times: &[Instant]) -> Vec<f64> {
    times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0)
        .collect()
}

pub fn summary(g: &[f64]) -> String {
    let mut v = g.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
    format!(
        "{} gaps: min {:.1} p50 {:.1} p99 {:.1} max {:.1} ms",
        v.len(),
        v[0],
        pct(0.5),
        pct(0.99),
        v[v.len() - 1]
    )
}
