//! IPv4 and IPv6 headers around a VRRP message: parse them as a raw IPv4 socket or a capture
//! delivers them (IPv4 options, an IPsec AH header for VRRPv2 `auth_type AH`, IPv6 extension
//! headers), and write them for tests and capture files (the kernel builds them for vrrpd).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::checksum::{checksum, finish, sum_words};
use super::error::WireError;
use super::vrrp::{emit_advert, Advert, ChecksumKind, IPPROTO_AH, IPPROTO_VRRP, VRRP_TTL};

/// keepalived's TOS / traffic class for adverts (DSCP CS6, "network control").
pub const VRRP_TOS: u8 = 0xc0;
const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
const AH_FIXED: usize = 12;
/// The most ICV bytes kept from an AH header (HMAC-MD5-96, keepalived's, needs 12).
pub const AH_MAX_ICV: usize = 32;

/// An IPsec Authentication Header (RFC 4302) as VRRPv2 `auth_type AH` sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhHeader {
    pub next_header: u8,
    /// The Payload Len field: the header's length in 32-bit words minus 2.
    pub payload_len: u8,
    pub reserved: u16,
    pub spi: u32,
    pub seq: u32,
    icv: [u8; AH_MAX_ICV],
    icv_len: u8,
}

impl AhHeader {
    /// The header's length in bytes.
    pub fn header_len(&self) -> usize {
        (usize::from(self.payload_len) + 2) * 4
    }
    /// The integrity check value (at most [`AH_MAX_ICV`] bytes of it).
    pub fn icv(&self) -> &[u8] {
        &self.icv[..usize::from(self.icv_len)]
    }

    /// Parse an AH header at the start of `b`; returns it and what follows it.
    pub fn parse(b: &[u8]) -> Result<(AhHeader, &[u8]), WireError> {
        if b.len() < AH_FIXED {
            return Err(WireError::TooShort {
                what: "AH header",
                got: b.len(),
                need: AH_FIXED,
            });
        }
        let len = (usize::from(b[1]) + 2) * 4;
        if len < AH_FIXED {
            return Err(WireError::BadAhLength(len));
        }
        if b.len() < len {
            return Err(WireError::Truncated {
                what: "AH header",
                claimed: len,
                got: b.len(),
            });
        }
        let icv_src = &b[AH_FIXED..len];
        let icv_len = icv_src.len().min(AH_MAX_ICV);
        let mut icv = [0u8; AH_MAX_ICV];
        icv[..icv_len].copy_from_slice(&icv_src[..icv_len]);
        let ah = AhHeader {
            next_header: b[0],
            payload_len: b[1],
            reserved: u16::from_be_bytes([b[2], b[3]]),
            spi: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            seq: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            icv,
            icv_len: icv_len as u8,
        };
        Ok((ah, &b[len..]))
    }

    /// Write the header (with its ICV, zero padded to `header_len()`) into `buf`.
    fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.header_len();
        buf[..len].fill(0);
        buf[0] = self.next_header;
        buf[1] = self.payload_len;
        buf[2..4].copy_from_slice(&self.reserved.to_be_bytes());
        buf[4..8].copy_from_slice(&self.spi.to_be_bytes());
        buf[8..12].copy_from_slice(&self.seq.to_be_bytes());
        let n = self.icv().len().min(len.saturating_sub(AH_FIXED));
        buf[AH_FIXED..AH_FIXED + n].copy_from_slice(&self.icv()[..n]);
        len
    }
}

/// The IPv4 header fields of a received or to-be-written packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Meta {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub tos: u8,
    pub ttl: u8,
    pub id: u16,
    /// The 3 flag bits (0x2 = DF, 0x1 = MF).
    pub flags: u8,
    /// Fragment offset in 8-byte units.
    pub frag_offset: u16,
    pub total_len: u16,
    /// Header length in bytes, options included.
    pub header_len: u8,
    /// The header's protocol field (51 when an AH header comes first).
    pub protocol: u8,
    pub checksum: u16,
    pub checksum_valid: bool,
    pub ah: Option<AhHeader>,
}

impl Ipv4Meta {
    /// The header keepalived writes: TOS 0xc0, TTL 255, no flags, protocol VRRP.
    pub fn keepalived(src: Ipv4Addr, dst: Ipv4Addr) -> Ipv4Meta {
        Ipv4Meta {
            src,
            dst,
            tos: VRRP_TOS,
            ttl: VRRP_TTL,
            id: 0,
            flags: 0,
            frag_offset: 0,
            total_len: 0,
            header_len: IPV4_MIN_HEADER as u8,
            protocol: IPPROTO_VRRP,
            checksum: 0,
            checksum_valid: true,
            ah: None,
        }
    }
    /// The protocol of the payload returned by [`parse_ipv4`] (after any AH header).
    pub fn upper_protocol(&self) -> u8 {
        self.ah.map_or(self.protocol, |a| a.next_header)
    }
    /// A fragment (MF set or a non-zero offset): the payload is not the whole message.
    pub fn is_fragment(&self) -> bool {
        self.flags & 0x1 != 0 || self.frag_offset != 0
    }
}

/// Parse an IPv4 packet (as a raw IPv4 socket or a capture delivers it) and return its header
/// fields and its payload: the bytes after the header and its options, and after an AH header
/// when protocol is 51, cut to `total_len` (Ethernet padding dropped).
pub fn parse_ipv4(b: &[u8]) -> Result<(Ipv4Meta, &[u8]), WireError> {
    if b.len() < IPV4_MIN_HEADER {
        return Err(WireError::TooShort {
            what: "IPv4 header",
            got: b.len(),
            need: IPV4_MIN_HEADER,
        });
    }
    let version = b[0] >> 4;
    if version != 4 {
        return Err(WireError::NotIpVersion {
            want: 4,
            got: version,
        });
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    if ihl < IPV4_MIN_HEADER {
        return Err(WireError::BadHeaderLength(ihl));
    }
    let total_len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    if total_len < ihl {
        return Err(WireError::BadHeaderLength(ihl));
    }
    if b.len() < total_len {
        return Err(WireError::Truncated {
            what: "IPv4 packet",
            claimed: total_len,
            got: b.len(),
        });
    }
    let frag = u16::from_be_bytes([b[6], b[7]]);
    let protocol = b[9];
    let mut payload = &b[ihl..total_len];
    let mut ah = None;
    if protocol == IPPROTO_AH {
        let (h, rest) = AhHeader::parse(payload)?;
        ah = Some(h);
        payload = rest;
    }
    let meta = Ipv4Meta {
        src: Ipv4Addr::new(b[12], b[13], b[14], b[15]),
        dst: Ipv4Addr::new(b[16], b[17], b[18], b[19]),
        tos: b[1],
        ttl: b[8],
        id: u16::from_be_bytes([b[4], b[5]]),
        flags: (frag >> 13) as u8,
        frag_offset: frag & 0x1fff,
        total_len: total_len as u16,
        header_len: ihl as u8,
        protocol,
        checksum: u16::from_be_bytes([b[10], b[11]]),
        checksum_valid: checksum(&b[..ihl]) == 0,
        ah,
    };
    Ok((meta, payload))
}

/// Write an IPv4 header from `meta` (no options; `total_len`, `header_len`, `protocol` and the
/// checksum are computed) followed by `advert`, and return the packet's length. With `meta.ah`
/// the AH header is written as given (the ICV is not computed) and the protocol is 51.
pub fn emit_ipv4_packet(
    advert: &Advert,
    meta: &Ipv4Meta,
    kind: ChecksumKind,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    let ah_len = meta.ah.map_or(0, |a| a.header_len());
    let vrrp_off = IPV4_MIN_HEADER + ah_len;
    if buf.len() < vrrp_off {
        return Err(WireError::BufferTooSmall {
            need: vrrp_off,
            have: buf.len(),
        });
    }
    let n = emit_advert(
        advert,
        meta.src.into(),
        meta.dst.into(),
        kind,
        &mut buf[vrrp_off..],
    )?;
    let total = vrrp_off + n;
    if total > usize::from(u16::MAX) {
        return Err(WireError::Unencodable("IPv4 packet over 65535 bytes"));
    }
    if let Some(ah) = meta.ah {
        ah.emit(&mut buf[IPV4_MIN_HEADER..]);
    }
    let h = &mut buf[..IPV4_MIN_HEADER];
    h[0] = 0x45;
    h[1] = meta.tos;
    h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    h[4..6].copy_from_slice(&meta.id.to_be_bytes());
    let frag = (u16::from(meta.flags & 0x7) << 13) | (meta.frag_offset & 0x1fff);
    h[6..8].copy_from_slice(&frag.to_be_bytes());
    h[8] = meta.ttl;
    h[9] = if meta.ah.is_some() {
        IPPROTO_AH
    } else {
        IPPROTO_VRRP
    };
    h[10] = 0;
    h[11] = 0;
    h[12..16].copy_from_slice(&meta.src.octets());
    h[16..20].copy_from_slice(&meta.dst.octets());
    let c = checksum(h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    Ok(total)
}

/// The IPv6 header fields of a received or to-be-written packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Meta {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub payload_len: u16,
    /// The fixed header's Next Header field.
    pub next_header: u8,
    pub hop_limit: u8,
    /// The protocol of the payload returned by [`parse_ipv6`] (after the extension headers).
    pub upper_protocol: u8,
    /// Bytes of extension headers walked.
    pub ext_len: u16,
    /// A fragment header with a non-zero offset or the M flag was seen.
    pub fragment: bool,
    pub ah: Option<AhHeader>,
}

impl Ipv6Meta {
    /// The header keepalived writes: traffic class 0xc0, hop limit 255, next header VRRP.
    pub fn keepalived(src: Ipv6Addr, dst: Ipv6Addr) -> Ipv6Meta {
        Ipv6Meta {
            src,
            dst,
            traffic_class: VRRP_TOS,
            flow_label: 0,
            payload_len: 0,
            next_header: IPPROTO_VRRP,
            hop_limit: VRRP_TTL,
            upper_protocol: IPPROTO_VRRP,
            ext_len: 0,
            fragment: false,
            ah: None,
        }
    }
}

/// Parse an IPv6 packet (from a capture) and walk its extension headers (hop-by-hop, routing,
/// destination options, fragment, AH) up to the upper-layer protocol; returns the header fields
/// and the upper-layer payload cut to `payload_len` (a non-first fragment stops the walk).
pub fn parse_ipv6(b: &[u8]) -> Result<(Ipv6Meta, &[u8]), WireError> {
    if b.len() < IPV6_HEADER {
        return Err(WireError::TooShort {
            what: "IPv6 header",
            got: b.len(),
            need: IPV6_HEADER,
        });
    }
    let version = b[0] >> 4;
    if version != 6 {
        return Err(WireError::NotIpVersion {
            want: 6,
            got: version,
        });
    }
    let payload_len = usize::from(u16::from_be_bytes([b[4], b[5]]));
    if b.len() < IPV6_HEADER + payload_len {
        return Err(WireError::Truncated {
            what: "IPv6 packet",
            claimed: IPV6_HEADER + payload_len,
            got: b.len(),
        });
    }
    let mut meta = Ipv6Meta {
        src: Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).unwrap_or([0; 16])),
        dst: Ipv6Addr::from(<[u8; 16]>::try_from(&b[24..40]).unwrap_or([0; 16])),
        traffic_class: (b[0] << 4) | (b[1] >> 4),
        flow_label: u32::from_be_bytes([0, b[1] & 0x0f, b[2], b[3]]),
        payload_len: payload_len as u16,
        next_header: b[6],
        hop_limit: b[7],
        upper_protocol: b[6],
        ext_len: 0,
        fragment: false,
        ah: None,
    };
    let mut rest = &b[IPV6_HEADER..IPV6_HEADER + payload_len];
    let mut nh = b[6];
    loop {
        let ext = match nh {
            // Hop-by-hop, routing, destination options: length in 8-octet units, first excluded.
            0 | 43 | 60 => {
                let need = 8;
                if rest.len() < need {
                    return Err(WireError::TooShort {
                        what: "IPv6 extension header",
                        got: rest.len(),
                        need,
                    });
                }
                (rest[0], (usize::from(rest[1]) + 1) * 8)
            }
            44 => {
                if rest.len() < 8 {
                    return Err(WireError::TooShort {
                        what: "IPv6 fragment header",
                        got: rest.len(),
                        need: 8,
                    });
                }
                let off_flags = u16::from_be_bytes([rest[2], rest[3]]);
                if off_flags & 0xfff9 != 0 {
                    meta.fragment = true;
                }
                if off_flags >> 3 != 0 {
                    // A later fragment: what follows is not the upper-layer header.
                    meta.upper_protocol = rest[0];
                    meta.ext_len += 8;
                    return Ok((meta, &rest[8..]));
                }
                (rest[0], 8)
            }
            IPPROTO_AH => {
                let (ah, after) = AhHeader::parse(rest)?;
                meta.ah = Some(ah);
                (ah.next_header, rest.len() - after.len())
            }
            _ => break,
        };
        if rest.len() < ext.1 {
            return Err(WireError::Truncated {
                what: "IPv6 extension header",
                claimed: ext.1,
                got: rest.len(),
            });
        }
        rest = &rest[ext.1..];
        meta.ext_len = meta.ext_len.saturating_add(ext.1 as u16);
        nh = ext.0;
    }
    meta.upper_protocol = nh;
    Ok((meta, rest))
}

/// Write an IPv6 header from `meta` (no extension headers; `payload_len` and `next_header` are
/// computed) followed by `advert`, and return the packet's length.
pub fn emit_ipv6_packet(
    advert: &Advert,
    meta: &Ipv6Meta,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    if buf.len() < IPV6_HEADER {
        return Err(WireError::BufferTooSmall {
            need: IPV6_HEADER,
            have: buf.len(),
        });
    }
    let n = emit_advert(
        advert,
        meta.src.into(),
        meta.dst.into(),
        ChecksumKind::PseudoHeader,
        &mut buf[IPV6_HEADER..],
    )?;
    write_ipv6_header(meta, IPPROTO_VRRP, n, buf);
    Ok(IPV6_HEADER + n)
}

/// Write the fixed IPv6 header for a payload of `payload_len` bytes of protocol `next_header`.
pub(crate) fn write_ipv6_header(
    meta: &Ipv6Meta,
    next_header: u8,
    payload_len: usize,
    buf: &mut [u8],
) {
    let vtf = (6u32 << 28) | (u32::from(meta.traffic_class) << 20) | (meta.flow_label & 0xfffff);
    buf[0..4].copy_from_slice(&vtf.to_be_bytes());
    buf[4..6].copy_from_slice(&(payload_len as u16).to_be_bytes());
    buf[6] = next_header;
    buf[7] = meta.hop_limit;
    buf[8..24].copy_from_slice(&meta.src.octets());
    buf[24..40].copy_from_slice(&meta.dst.octets());
}

/// Checksum of an upper-layer message over IPv6 (ICMPv6, VRRPv3) with its field zeroed.
pub(crate) fn ipv6_upper_checksum(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, msg: &[u8]) -> u16 {
    let p = super::checksum::pseudo_v6(src, dst, proto, msg.len() as u32);
    finish(sum_words(p, msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::vrrp::parse_advert;

    // vrrp_v2_auth_ah_ipv4_mcast_vrid55.pcap, first packet, without the Ethernet header.
    const AH_PKT: [u8; 64] = [
        0x45, 0xc0, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0xff, 0x33, 0x18, 0xb5, 0xc0, 0x00, 0x02,
        0x02, 0xe0, 0x00, 0x00, 0x12, 0x70, 0x04, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00,
        0x00, 0x01, 0xf2, 0x6d, 0x76, 0x7e, 0xca, 0x67, 0x03, 0x3c, 0xd9, 0xc2, 0xfa, 0xe0, 0x21,
        0x37, 0x64, 0x01, 0x02, 0x02, 0xb6, 0x5b, 0xc0, 0x00, 0x02, 0x69, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn ipv4_ah_from_keepalived_decodes_through_and_round_trips() {
        let (m, payload) = parse_ipv4(&AH_PKT).unwrap();
        assert_eq!(
            (m.tos, m.ttl, m.id, m.protocol, m.total_len),
            (0xc0, 255, 1, 51, 64)
        );
        assert!(m.checksum_valid);
        let ah = m.ah.unwrap();
        assert_eq!((ah.next_header, ah.spi, ah.seq), (112, 0xc000_0202, 1));
        assert_eq!(ah.icv(), &AH_PKT[32..44]);
        assert_eq!(m.upper_protocol(), 112);
        let p = parse_advert(payload, m.src.into(), m.dst.into()).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            (p.advert.vrid, p.advert.auth_type, p.advert.advert_int_cs),
            (55, 2, 200)
        );
        let mut buf = [0u8; 128];
        let n = emit_ipv4_packet(&p.advert, &m, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        assert_eq!(&buf[..n], &AH_PKT);
        // An AH Payload Len of 0 would make the header shorter than its fixed part.
        let mut bad = AH_PKT;
        bad[21] = 0;
        assert_eq!(parse_ipv4(&bad).unwrap_err(), WireError::BadAhLength(8));
        assert!(matches!(
            parse_ipv4(&AH_PKT[..40]),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn ipv4_padding_is_dropped_and_truncation_reported() {
        let a = Advert::v3(9, 100, 100, vec!["192.0.2.9".parse().unwrap()]);
        let m = Ipv4Meta::keepalived(Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(224, 0, 0, 18));
        let mut buf = [0u8; 64];
        let n = emit_ipv4_packet(&a, &m, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        assert_eq!(n, 32);
        let (got, payload) = parse_ipv4(&buf[..46]).unwrap();
        assert_eq!(payload.len(), 12);
        assert!(got.checksum_valid && !got.is_fragment());
        assert!(matches!(
            parse_ipv4(&buf[..30]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            parse_ipv4(&buf[..10]),
            Err(WireError::TooShort { .. })
        ));
        let mut bad = buf;
        bad[0] = 0x44;
        assert!(matches!(
            parse_ipv4(&bad),
            Err(WireError::BadHeaderLength(16))
        ));
        bad[0] = 0x65;
        assert!(matches!(
            parse_ipv4(&bad),
            Err(WireError::NotIpVersion { want: 4, got: 6 })
        ));
    }

    #[test]
    fn ipv4_options_are_skipped() {
        let a = Advert::v3(9, 100, 100, vec!["192.0.2.9".parse().unwrap()]);
        let m = Ipv4Meta::keepalived(Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(224, 0, 0, 18));
        let mut buf = [0u8; 64];
        let n = emit_ipv4_packet(&a, &m, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        // Insert a 4-byte Router Alert option (94 04 00 00).
        let mut with_opt = buf[..20].to_vec();
        with_opt.extend_from_slice(&[0x94, 0x04, 0, 0]);
        with_opt.extend_from_slice(&buf[20..n]);
        with_opt[0] = 0x46;
        with_opt[3] += 4;
        with_opt[10] = 0;
        with_opt[11] = 0;
        let c = checksum(&with_opt[..24]);
        with_opt[10..12].copy_from_slice(&c.to_be_bytes());
        let (m2, payload) = parse_ipv4(&with_opt).unwrap();
        assert_eq!(m2.header_len, 24);
        assert!(m2.checksum_valid);
        assert_eq!(payload, &buf[20..n]);
    }

    #[test]
    fn ipv6_from_keepalived_and_extension_headers() {
        // vrrp_v3_ipv6_ff02_12_vrid53.pcap, first packet, without the Ethernet header.
        let pkt: [u8; 64] = [
            0x6c, 0x0f, 0xfe, 0x13, 0x00, 0x18, 0x70, 0xff, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x74,
            0xd6, 0x16, 0xff, 0xfe, 0x4f, 0x45, 0xa2, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0x12, 0x31, 0x35, 0x64, 0x01, 0x00, 0x64, 0x9d, 0xaa, 0xfe, 0x80, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0x53, 0x00, 0x01,
        ];
        let (m, payload) = parse_ipv6(&pkt).unwrap();
        assert_eq!(
            (m.traffic_class, m.flow_label, m.hop_limit),
            (0xc0, 0xffe13, 255)
        );
        assert_eq!((m.payload_len, m.upper_protocol), (24, 112));
        let p = parse_advert(payload, m.src.into(), m.dst.into()).unwrap();
        assert!(p.errors.is_empty());
        let mut buf = [0u8; 128];
        let n = emit_ipv6_packet(&p.advert, &m, &mut buf).unwrap();
        assert_eq!(&buf[..n], &pkt);

        // The same with a hop-by-hop header (8 bytes of padding options) in front.
        let mut ext = pkt[..40].to_vec();
        ext[6] = 0;
        ext[5] += 8;
        ext.extend_from_slice(&[112, 0, 1, 4, 0, 0, 0, 0]);
        ext.extend_from_slice(&pkt[40..]);
        let (m, payload2) = parse_ipv6(&ext).unwrap();
        assert_eq!((m.next_header, m.upper_protocol, m.ext_len), (0, 112, 8));
        assert_eq!(payload2, payload);
        assert!(matches!(
            parse_ipv6(&ext[..50]),
            Err(WireError::Truncated { .. })
        ));
    }
}
