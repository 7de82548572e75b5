//! Link-layer headers of capture files: Ethernet, Linux cooked captures (SLL as
//! `tcpdump -i any -y LINUX_SLL` writes them, SLL2 as tcpdump 4.99 `-i any` does) and raw IP.
//! Each yields the ethertype, the network-layer bytes and the sender's MAC when there is one.

use crate::wire::ethernet::{parse_ethernet, ETHERTYPE_IPV4, ETHERTYPE_IPV6};

pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;
const SLL_LEN: usize = 16;
const SLL2_LEN: usize = 20;

/// The network layer of a frame.
#[derive(Debug, Clone, Copy)]
pub struct Network<'a> {
    pub ethertype: u16,
    pub payload: &'a [u8],
    pub src_mac: Option<[u8; 6]>,
    pub vlan: Option<u16>,
}

/// Whether [`network`] reads frames of this link type.
pub fn is_known_linktype(linktype: u32) -> bool {
    matches!(
        linktype,
        LINKTYPE_ETHERNET
            | LINKTYPE_LINUX_SLL
            | LINKTYPE_LINUX_SLL2
            | LINKTYPE_RAW
            | LINKTYPE_IPV4
            | LINKTYPE_IPV6
            | 12
            | 14
    )
}

/// Strip the link-layer header of a frame of type `linktype`; None when the type is unknown or
/// the header is cut short (such frames are not VRRP as far as we can tell).
pub fn network(linktype: u32, data: &[u8]) -> Option<Network<'_>> {
    match linktype {
        LINKTYPE_ETHERNET => {
            let (eth, payload) = parse_ethernet(data).ok()?;
            Some(Network {
                ethertype: eth.ethertype,
                payload,
                src_mac: Some(eth.src),
                vlan: eth.vlan,
            })
        }
        LINKTYPE_LINUX_SLL => {
            // packet type (2), ARPHRD (2), address length (2), address (8), protocol (2).
            let h = data.get(..SLL_LEN)?;
            Some(Network {
                ethertype: u16::from_be_bytes([h[14], h[15]]),
                payload: &data[SLL_LEN..],
                src_mac: cooked_mac(u16::from_be_bytes([h[4], h[5]]), &h[6..14]),
                vlan: None,
            })
        }
        LINKTYPE_LINUX_SLL2 => {
            // protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1),
            // address length (1), address (8).
            let h = data.get(..SLL2_LEN)?;
            Some(Network {
                ethertype: u16::from_be_bytes([h[0], h[1]]),
                payload: &data[SLL2_LEN..],
                src_mac: cooked_mac(u16::from(h[11]), &h[12..20]),
                vlan: None,
            })
        }
        LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 | 12 | 14 => {
            let ethertype = match data.first()? >> 4 {
                4 => ETHERTYPE_IPV4,
                6 => ETHERTYPE_IPV6,
                _ => return None,
            };
            Some(Network {
                ethertype,
                payload: data,
                src_mac: None,
                vlan: None,
            })
        }
        _ => None,
    }
}

fn cooked_mac(len: u16, addr: &[u8]) -> Option<[u8; 6]> {
    (len == 6).then(|| {
        let mut m = [0u8; 6];
        m.copy_from_slice(&addr[..6]);
        m
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooked_headers() {
        let mut sll = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.push(0x45);
        let n = network(LINKTYPE_LINUX_SLL, &sll).unwrap();
        assert_eq!(
            (n.ethertype, n.payload, n.src_mac),
            (0x0800, &[0x45][..], Some([1, 2, 3, 4, 5, 6]))
        );
        let mut sll2 = vec![
            0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.push(0x60);
        let n = network(LINKTYPE_LINUX_SLL2, &sll2).unwrap();
        assert_eq!((n.ethertype, n.payload.len()), (0x86dd, 1));
        assert!(network(LINKTYPE_LINUX_SLL2, &sll2[..19]).is_none());
        assert_eq!(network(LINKTYPE_RAW, &[0x60]).unwrap().ethertype, 0x86dd);
        assert!(network(9999, &sll).is_none());
    }
}
