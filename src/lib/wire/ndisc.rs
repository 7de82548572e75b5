//! IPv6 unsolicited neighbour advertisement (RFC 4861 §7.2.6) as keepalived sends it when it
//! becomes master: from the virtual address to ff02::1, hop limit 255, Override set (Router and
//! Solicited clear), with a target link-layer address option (checked against a real keepalived
//! 2.2.7 capture).

use std::net::Ipv6Addr;

use super::error::WireError;
use super::ethernet::{emit_ethernet, ipv6_multicast_mac, ETHERTYPE_IPV6, ETH_HEADER};
use super::ip::{ipv6_upper_checksum, write_ipv6_header, Ipv6Meta};

pub const IPPROTO_ICMPV6: u8 = 58;
pub const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;
/// ICMPv6 NA with one target link-layer address option.
pub const NA_LEN: usize = 32;
/// The full frame: Ethernet + IPv6 + NA.
pub const NA_FRAME_LEN: usize = ETH_HEADER + 40 + NA_LEN;
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;
const OPT_TARGET_LL: u8 = 2;

/// A decoded neighbour advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborAdvert {
    pub router: bool,
    pub solicited: bool,
    pub override_flag: bool,
    pub target: Ipv6Addr,
    /// The target link-layer address option, when present.
    pub target_mac: Option<[u8; 6]>,
    pub checksum: u16,
    pub checksum_valid: bool,
}

/// Write keepalived's unsolicited NA for `ip` from `sender_mac` (Ethernet + IPv6 + ICMPv6) into
/// `buf`; returns the frame length (86).
pub fn unsolicited_na(
    sender_mac: [u8; 6],
    ip: Ipv6Addr,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    if buf.len() < NA_FRAME_LEN {
        return Err(WireError::BufferTooSmall {
            need: NA_FRAME_LEN,
            have: buf.len(),
        });
    }
    emit_ethernet(
        ipv6_multicast_mac(ALL_NODES),
        sender_mac,
        ETHERTYPE_IPV6,
        buf,
    )?;
    let mut meta = Ipv6Meta::keepalived(ip, ALL_NODES);
    meta.traffic_class = 0;
    write_ipv6_header(&meta, IPPROTO_ICMPV6, NA_LEN, &mut buf[ETH_HEADER..]);
    let icmp = &mut buf[ETH_HEADER + 40..NA_FRAME_LEN];
    icmp.fill(0);
    icmp[0] = ICMPV6_NEIGHBOR_ADVERT;
    icmp[4] = FLAG_OVERRIDE;
    icmp[8..24].copy_from_slice(&ip.octets());
    icmp[24] = OPT_TARGET_LL;
    icmp[25] = 1;
    icmp[26..32].copy_from_slice(&sender_mac);
    let c = ipv6_upper_checksum(ip, ALL_NODES, IPPROTO_ICMPV6, icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    Ok(NA_FRAME_LEN)
}

/// Parse an ICMPv6 message sent from `src` to `dst` as a neighbour advertisement.
pub fn parse_na(icmp: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<NeighborAdvert, WireError> {
    if icmp.len() < 24 {
        return Err(WireError::TooShort {
            what: "neighbour advertisement",
            got: icmp.len(),
            need: 24,
        });
    }
    if icmp[0] != ICMPV6_NEIGHBOR_ADVERT {
        return Err(WireError::NotThisProtocol("a neighbour advertisement"));
    }
    let mut target = [0u8; 16];
    target.copy_from_slice(&icmp[8..24]);
    let mut target_mac = None;
    let mut opts = &icmp[24..];
    // Options are (type, length in 8-octet units, data); a zero length is invalid (RFC 4861 §4.6).
    while opts.len() >= 8 && opts[1] != 0 {
        let len = usize::from(opts[1]) * 8;
        if opts.len() < len {
            break;
        }
        if opts[0] == OPT_TARGET_LL {
            let mut m = [0u8; 6];
            m.copy_from_slice(&opts[2..8]);
            target_mac = Some(m);
        }
        opts = &opts[len..];
    }
    let p = super::checksum::pseudo_v6(src, dst, IPPROTO_ICMPV6, icmp.len() as u32);
    Ok(NeighborAdvert {
        router: icmp[4] & FLAG_ROUTER != 0,
        solicited: icmp[4] & FLAG_SOLICITED != 0,
        override_flag: icmp[4] & FLAG_OVERRIDE != 0,
        target: Ipv6Addr::from(target),
        target_mac,
        checksum: u16::from_be_bytes([icmp[2], icmp[3]]),
        checksum_valid: super::checksum::finish(super::checksum::sum_words(p, icmp)) == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ethernet::parse_ethernet;
    use crate::wire::ip::parse_ipv6;

    // keepalived 2.2.7 taking over 2001:db8::71 (captured with tcpdump in a namespace).
    const KEEPALIVED_NA: [u8; 86] = [
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad, 0x86, 0xdd, 0x60,
        0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0x00, 0x71, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x88, 0x00,
        0x15, 0xac, 0x20, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x71, 0x02, 0x01, 0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad,
    ];

    #[test]
    fn same_bytes_as_keepalived() {
        let mac = [0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad];
        let ip: Ipv6Addr = "2001:db8::71".parse().unwrap();
        let mut buf = [0u8; 128];
        let n = unsolicited_na(mac, ip, &mut buf).unwrap();
        assert_eq!(&buf[..n], &KEEPALIVED_NA);
        let (eth, pkt) = parse_ethernet(&KEEPALIVED_NA).unwrap();
        assert_eq!(eth.ethertype, ETHERTYPE_IPV6);
        let (m, icmp) = parse_ipv6(pkt).unwrap();
        assert_eq!((m.upper_protocol, m.hop_limit), (IPPROTO_ICMPV6, 255));
        let na = parse_na(icmp, m.src, m.dst).unwrap();
        assert!(na.override_flag && !na.router && !na.solicited && na.checksum_valid);
        assert_eq!((na.target, na.target_mac), (ip, Some(mac)));
        let mut bad = icmp.to_vec();
        bad[9] ^= 1;
        assert!(!parse_na(&bad, m.src, m.dst).unwrap().checksum_valid);
        assert!(unsolicited_na(mac, ip, &mut buf[..85]).is_err());
    }
}
