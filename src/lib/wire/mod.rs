//! Sans-IO packet formats: VRRP v2 (RFC 3768) and v3 (RFC 5798 / RFC 9568) advertisements over
//! IPv4 and IPv6, their checksums, gratuitous ARP and IPv6 unsolicited neighbour advertisements.
//! Parsing returns a typed advert or a typed reason; emitting writes into a caller's buffer.
