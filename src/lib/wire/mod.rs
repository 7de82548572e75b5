//! Sans-IO packet formats: VRRP v2 (RFC 3768) and v3 (RFC 5798 / RFC 9568) advertisements over
//! IPv4 and IPv6, their checksums, gratuitous ARP and IPv6 unsolicited neighbour advertisements.
//! Parsing returns a typed advert or a typed reason; emitting writes into a caller's buffer.
//!
//! For a receiver: `parse_ipv4` (a raw IPv4 socket delivers the header) or the IPv6 socket's
//! payload -> [`parse_advert`] -> then the checks that need context: [`check_ttl`] (multicast
//! instances), [`check_ah`], [`check_auth`] (the configured auth type and password).

pub mod arp;
pub mod checksum;
pub mod error;
pub mod ethernet;
pub mod ip;
pub mod ndisc;
pub mod vrrp;

pub use arp::{gratuitous_arp, parse_arp, Arp};
pub use error::{ValidationError, WireError};
pub use ethernet::{parse_ethernet, EthMeta};
pub use ip::{
    emit_ipv4_packet, emit_ipv6_packet, parse_ipv4, parse_ipv6, AhHeader, Ipv4Meta, Ipv6Meta,
};
pub use ndisc::{parse_na, unsolicited_na, NeighborAdvert};
pub use vrrp::{
    check_ah, check_auth, check_ttl, emit_advert, parse_advert, Advert, ChecksumKind, Parsed,
};
