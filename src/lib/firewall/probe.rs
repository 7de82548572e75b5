//! The synthetic VRRP packet the evaluator walks through the hooks: which interface, which
//! family, who sends it (one peer, or "any host of the interface's subnet"), to where, its
//! protocol (112, or 51 with keepalived's `auth_type AH`), its packet type and conntrack state.

use std::net::{IpAddr, Ipv6Addr};

pub const IPPROTO_VRRP: u8 = 112;
pub const IPPROTO_AH: u8 = 51;

/// fe80::, the start of IPv6 link-local unicast (fe80::/10; senders use fe80::/64).
pub const LINK_LOCAL_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0));

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IpFamily {
    #[serde(rename = "ipv4")]
    V4,
    #[serde(rename = "ipv6")]
    V6,
}

impl IpFamily {
    pub fn of(a: &IpAddr) -> IpFamily {
        if a.is_ipv4() {
            IpFamily::V4
        } else {
            IpFamily::V6
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IpFamily::V4 => "ipv4",
            IpFamily::V6 => "ipv6",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// An advert from a peer arriving on the interface (ingress, prerouting, input).
    In,
    /// An advert this host sends (output, postrouting, egress).
    Out,
}

/// The sender of an inbound advert: one known address, or any host of a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Host(IpAddr),
    Subnet(IpAddr, u8),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Host(a) => write!(f, "{a}"),
            Source::Subnet(a, l) => write!(f, "{}/{l}", network(*a, *l)),
        }
    }
}

/// The network address of `a/len`.
pub fn network(a: IpAddr, len: u8) -> IpAddr {
    let (lo, _) = interval(a, len);
    from_u128(lo, IpFamily::of(&a))
}

/// An address prefix as an inclusive interval of integers (IPv4 in the low 32 bits).
pub fn interval(a: IpAddr, len: u8) -> (u128, u128) {
    let (v, bits) = match a {
        IpAddr::V4(x) => (u32::from(x) as u128, 32u32),
        IpAddr::V6(x) => (u128::from(x), 128u32),
    };
    let len = (len as u32).min(bits);
    let host_bits = bits - len;
    let mask: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (v & !mask, v | mask)
}

pub fn to_u128(a: IpAddr) -> u128 {
    interval(a, 128).0
}

pub fn from_u128(v: u128, fam: IpFamily) -> IpAddr {
    match fam {
        IpFamily::V4 => IpAddr::V4(std::net::Ipv4Addr::from(v as u32)),
        IpFamily::V6 => IpAddr::V6(std::net::Ipv6Addr::from(v)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtState {
    New,
    Established,
    /// What `ct state` reads before conntrack ran (netdev ingress, prio < -200).
    Invalid,
    Untracked,
}

impl CtState {
    pub fn name(self) -> &'static str {
        match self {
            CtState::New => "new",
            CtState::Established => "established",
            CtState::Invalid => "invalid",
            CtState::Untracked => "untracked",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub direction: Direction,
    pub family: IpFamily,
    pub iface: String,
    pub saddr: Source,
    pub daddr: IpAddr,
    pub l4proto: u8,
    /// The state conntrack gives the packet: NEW for the first advert, ESTABLISHED for a
    /// unicast peer's advert after this host sent one to that peer.
    pub ct: CtState,
    /// The interface's connected prefixes (for firewalld's reverse-path `fib` check).
    pub local_prefixes: Vec<(IpAddr, u8)>,
}

impl Probe {
    pub fn is_multicast(&self) -> bool {
        self.daddr.is_multicast()
    }
}

/// IP protocol numbers by the names nft and iptables print (from /etc/protocols).
pub fn proto_number(name: &str) -> Option<u8> {
    if let Ok(n) = name.parse::<u8>() {
        return Some(n);
    }
    Some(match name.to_ascii_lowercase().as_str() {
        "vrrp" => 112,
        "ah" => 51,
        "esp" => 50,
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "ipv6-icmp" | "icmpv6" => 58,
        "igmp" => 2,
        "gre" => 47,
        "sctp" => 132,
        "udplite" => 136,
        "dccp" => 33,
        "ipencap" | "ipip" => 4,
        "ipv6" => 41,
        "ospf" => 89,
        "pim" => 103,
        "ipcomp" | "comp" => 108,
        "l2tp" => 115,
        "egp" => 8,
        "rsvp" => 46,
        "hopopt" | "ip" => 0,
        _ => return None,
    })
}

/// Transport protocols whose header fields (`tcp dport`, `icmp type`, ...) carry an implicit
/// `l4proto` dependency: on a VRRP packet such a match is simply false, whatever the operator.
pub fn is_other_transport(proto: &str, l4: u8) -> bool {
    match proto_number(proto) {
        Some(n) => n != l4 && n != 0,
        None => matches!(proto, "icmpv6" | "udplite" | "dccp" | "sctp"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_intervals() {
        let (lo, hi) = interval("192.0.2.77".parse().unwrap(), 24);
        assert_eq!(from_u128(lo, IpFamily::V4).to_string(), "192.0.2.0");
        assert_eq!(from_u128(hi, IpFamily::V4).to_string(), "192.0.2.255");
        let (lo, hi) = interval("fe80::1".parse().unwrap(), 0);
        assert_eq!((lo, hi), (0, u128::MAX));
        assert_eq!(
            Source::Subnet("192.0.2.9".parse().unwrap(), 24).to_string(),
            "192.0.2.0/24"
        );
    }

    #[test]
    fn protocol_names_and_numbers() {
        assert_eq!(proto_number("vrrp"), Some(112));
        assert_eq!(proto_number("112"), Some(112));
        assert_eq!(proto_number("ah"), Some(51));
        assert!(is_other_transport("tcp", 112));
        assert!(!is_other_transport("vrrp", 112));
    }
}
