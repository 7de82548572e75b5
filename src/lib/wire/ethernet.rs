//! Ethernet II framing with 802.1Q / 802.1ad tags, as VRRP frames arrive on a LAN.

use super::error::WireError;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
pub const ETH_HEADER: usize = 14;
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// The Ethernet header: addresses, the inner ethertype, and the outermost VLAN id if tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthMeta {
    pub dst: [u8; 6],
    pub src: [u8; 6],
    pub ethertype: u16,
    pub vlan: Option<u16>,
}

/// Parse an Ethernet frame; returns the header and the payload after any VLAN tags.
pub fn parse_ethernet(f: &[u8]) -> Result<(EthMeta, &[u8]), WireError> {
    if f.len() < ETH_HEADER {
        return Err(WireError::TooShort {
            what: "Ethernet header",
            got: f.len(),
            need: ETH_HEADER,
        });
    }
    let mut dst = [0u8; 6];
    let mut src = [0u8; 6];
    dst.copy_from_slice(&f[0..6]);
    src.copy_from_slice(&f[6..12]);
    let mut ethertype = u16::from_be_bytes([f[12], f[13]]);
    let mut rest = &f[ETH_HEADER..];
    let mut vlan = None;
    while ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ {
        if rest.len() < 4 {
            return Err(WireError::TooShort {
                what: "VLAN tag",
                got: rest.len(),
                need: 4,
            });
        }
        vlan.get_or_insert(u16::from_be_bytes([rest[0], rest[1]]) & 0x0fff);
        ethertype = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
    }
    Ok((
        EthMeta {
            dst,
            src,
            ethertype,
            vlan,
        },
        rest,
    ))
}

/// Write an untagged Ethernet header; returns its length (14).
pub fn emit_ethernet(
    dst: [u8; 6],
    src: [u8; 6],
    ethertype: u16,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    if buf.len() < ETH_HEADER {
        return Err(WireError::BufferTooSmall {
            need: ETH_HEADER,
            have: buf.len(),
        });
    }
    buf[0..6].copy_from_slice(&dst);
    buf[6..12].copy_from_slice(&src);
    buf[12..14].copy_from_slice(&ethertype.to_be_bytes());
    Ok(ETH_HEADER)
}

/// The multicast MAC an IPv4 group maps to (RFC 1112: 01:00:5e + low 23 bits).
pub fn ipv4_multicast_mac(group: std::net::Ipv4Addr) -> [u8; 6] {
    let o = group.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

/// The multicast MAC an IPv6 group maps to (RFC 2464: 33:33 + low 32 bits).
pub fn ipv6_multicast_mac(group: std::net::Ipv6Addr) -> [u8; 6] {
    let o = group.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// keepalived's virtual MAC for `use_vmac` (RFC 5798 §7.3): 00:00:5e:00:01:VRID (IPv4),
/// 00:00:5e:00:02:VRID (IPv6).
pub fn virtual_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// "aa:bb:cc:dd:ee:ff"
pub fn format_mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_and_untagged() {
        let mut f = vec![
            1, 0, 0x5e, 0, 0, 0x12, 0x76, 0xd6, 0x16, 0x4f, 0x45, 0xa2, 0x81, 0x00, 0x00, 0x2a,
            0x08, 0x00, 0x45,
        ];
        let (m, rest) = parse_ethernet(&f).unwrap();
        assert_eq!((m.ethertype, m.vlan), (ETHERTYPE_IPV4, Some(42)));
        assert_eq!(rest, &[0x45]);
        assert_eq!(m.dst, ipv4_multicast_mac("224.0.0.18".parse().unwrap()));
        f.truncate(12);
        assert!(parse_ethernet(&f).is_err());
        assert_eq!(format_mac(&virtual_mac(51, false)), "00:00:5e:00:01:33");
        assert_eq!(
            ipv6_multicast_mac("ff02::12".parse().unwrap()),
            [0x33, 0x33, 0, 0, 0, 0x12]
        );
    }
}
