//! Gratuitous ARP (RFC 5227 §3 announcement) as keepalived sends it when it becomes master:
//! a broadcast ARP *request* whose sender and target IP are both the virtual address and whose
//! target hardware address is ff:ff:ff:ff:ff:ff (checked against a real keepalived 2.2.7 capture).

use std::net::Ipv4Addr;

use super::error::WireError;
use super::ethernet::{emit_ethernet, BROADCAST, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER};

/// Length of an Ethernet/IPv4 ARP packet (without the Ethernet header).
pub const ARP_LEN: usize = 28;
/// Length of a gratuitous ARP frame as keepalived writes it (the NIC pads it to 60).
pub const GARP_FRAME_LEN: usize = ETH_HEADER + ARP_LEN;
pub const ARP_REQUEST: u16 = 1;
pub const ARP_REPLY: u16 = 2;

/// An Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: Ipv4Addr,
}

impl Arp {
    /// Gratuitous: it announces the sender's own address (sender IP == target IP).
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip
    }
}

/// Write keepalived's gratuitous ARP for `ip` from `sender_mac` into `buf`; returns the frame
/// length (42).
pub fn gratuitous_arp(
    sender_mac: [u8; 6],
    ip: Ipv4Addr,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    if buf.len() < GARP_FRAME_LEN {
        return Err(WireError::BufferTooSmall {
            need: GARP_FRAME_LEN,
            have: buf.len(),
        });
    }
    emit_ethernet(BROADCAST, sender_mac, ETHERTYPE_ARP, buf)?;
    let a = &mut buf[ETH_HEADER..GARP_FRAME_LEN];
    a[0..2].copy_from_slice(&1u16.to_be_bytes()); // hardware type Ethernet
    a[2..4].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    a[4] = 6;
    a[5] = 4;
    a[6..8].copy_from_slice(&ARP_REQUEST.to_be_bytes());
    a[8..14].copy_from_slice(&sender_mac);
    a[14..18].copy_from_slice(&ip.octets());
    a[18..24].copy_from_slice(&BROADCAST);
    a[24..28].copy_from_slice(&ip.octets());
    Ok(GARP_FRAME_LEN)
}

/// Parse an ARP packet (the Ethernet payload); only Ethernet/IPv4 ARP is understood.
pub fn parse_arp(b: &[u8]) -> Result<Arp, WireError> {
    if b.len() < ARP_LEN {
        return Err(WireError::TooShort {
            what: "ARP packet",
            got: b.len(),
            need: ARP_LEN,
        });
    }
    if b[0..2] != [0, 1] || b[2..4] != ETHERTYPE_IPV4.to_be_bytes() || b[4] != 6 || b[5] != 4 {
        return Err(WireError::NotThisProtocol("an Ethernet/IPv4 ARP packet"));
    }
    let mac = |o: usize| {
        let mut m = [0u8; 6];
        m.copy_from_slice(&b[o..o + 6]);
        m
    };
    Ok(Arp {
        op: u16::from_be_bytes([b[6], b[7]]),
        sender_mac: mac(8),
        sender_ip: Ipv4Addr::new(b[14], b[15], b[16], b[17]),
        target_mac: mac(18),
        target_ip: Ipv4Addr::new(b[24], b[25], b[26], b[27]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ethernet::parse_ethernet;

    // keepalived 2.2.7 taking over 192.0.2.70 (captured with tcpdump in a namespace).
    const KEEPALIVED_GARP: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad, 0xc0, 0x00,
        0x02, 0x46, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x00, 0x02, 0x46,
    ];

    #[test]
    fn same_bytes_as_keepalived() {
        let mac = [0x56, 0x8c, 0xfe, 0x65, 0x8f, 0xad];
        let mut buf = [0u8; 60];
        let n = gratuitous_arp(mac, Ipv4Addr::new(192, 0, 2, 70), &mut buf).unwrap();
        assert_eq!(&buf[..n], &KEEPALIVED_GARP);
        let (eth, payload) = parse_ethernet(&KEEPALIVED_GARP).unwrap();
        assert_eq!(eth.ethertype, ETHERTYPE_ARP);
        let arp = parse_arp(payload).unwrap();
        assert!(arp.is_gratuitous());
        assert_eq!(
            (arp.op, arp.sender_mac, arp.sender_ip),
            (ARP_REQUEST, mac, Ipv4Addr::new(192, 0, 2, 70))
        );
        assert!(gratuitous_arp(mac, Ipv4Addr::new(192, 0, 2, 70), &mut buf[..41]).is_err());
        assert!(parse_arp(&payload[..27]).is_err());
    }
}
