//! VRRP advertisements: RFC 3768 (v2, IPv4 only, with authentication data) and RFC 5798 /
//! RFC 9568 (v3, IPv4 and IPv6, centisecond intervals). Parse into an owned [`Advert`] plus the
//! list of receive checks it fails; emit from an [`Advert`] into a caller's buffer.
//!
//! ```text
//!  v2: | ver|type | vrid | prio | count | auth type | adver int (s) | checksum | addrs.. | auth data (8) |
//!  v3: | ver|type | vrid | prio | count | rsvd(4) max adver int (12, cs) | checksum | addrs.. |
//! ```
//!
//! The checks made here are the ones that need only the message and its IP addresses (RFC 5798
//! §7.1 and RFC 3768 §7.1 in keepalived's order where it matters). What needs more context is
//! a separate function the receiver calls: [`check_ttl`] (the TTL / hop limit comes from the IP
//! header or a control message), [`check_ah`] (whether an AH header carried the message) and
//! [`check_auth`] (the configured authentication).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum::{finish, pseudo, sum_words};
use super::error::{ValidationError, WireError};

/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// IP protocol number of the IPsec Authentication Header (VRRPv2 `auth_type AH`).
pub const IPPROTO_AH: u8 = 51;
/// The only TTL / hop limit a VRRP router accepts (RFC 5798 §5.1.1.3).
pub const VRRP_TTL: u8 = 255;
/// The IPv4 multicast group of VRRP.
pub const MCAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group of VRRP.
pub const MCAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// The only message type RFC 5798 defines.
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// v2 authentication types (RFC 3768 §5.3.6; 1 and 2 were removed by RFC 3768 but keepalived
/// still speaks them).
pub const AUTH_NONE: u8 = 0;
pub const AUTH_SIMPLE: u8 = 1;
pub const AUTH_AH: u8 = 2;
/// Length of the fixed header, and of the v2 authentication data.
pub const HEADER_LEN: usize = 8;
pub const AUTH_DATA_LEN: usize = 8;
/// The largest v3 interval (12 bits of centiseconds).
pub const MAX_V3_INTERVAL_CS: u16 = 0x0fff;

/// One VRRP advertisement, as decoded or to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// 2 or 3 (other values are reported as [`ValidationError::BadVersion`]).
    pub version: u8,
    /// The type nibble; 1 = advertisement.
    pub kind: u8,
    pub vrid: u8,
    pub priority: u8,
    /// `Count IPvX Addr` as sent. [`emit_advert`] writes `addresses.len()` instead.
    pub addr_count: u8,
    /// v2 only; 0 for v3.
    pub auth_type: u8,
    /// v2 authentication data (the simple password, NUL padded); zeros for v3.
    pub auth_data: [u8; 8],
    /// Advertisement interval in centiseconds for both versions (v2: seconds × 100).
    pub advert_int_cs: u16,
    /// v3's 4 reserved bits (sent as zero, ignored on receipt); 0 for v2.
    pub rsvd: u8,
    /// The checksum as sent. [`emit_advert`] computes its own.
    pub checksum: u16,
    pub addresses: Vec<IpAddr>,
}

impl Advert {
    /// A v3 advertisement (RFC 5798), as vrrpd sends it.
    pub fn v3(vrid: u8, priority: u8, advert_int_cs: u16, addresses: Vec<IpAddr>) -> Advert {
        Advert {
            version: 3,
            kind: TYPE_ADVERTISEMENT,
            vrid,
            priority,
            addr_count: addresses.len().min(255) as u8,
            auth_type: AUTH_NONE,
            auth_data: [0; 8],
            advert_int_cs,
            rsvd: 0,
            checksum: 0,
            addresses,
        }
    }

    /// A v2 advertisement (RFC 3768); `password` is used with `auth_type` 1 (keepalived keeps
    /// the first 8 bytes, NUL padded).
    pub fn v2(
        vrid: u8,
        priority: u8,
        advert_int_s: u8,
        auth_type: u8,
        password: &[u8],
        addresses: Vec<IpAddr>,
    ) -> Advert {
        let mut a = Advert::v3(vrid, priority, u16::from(advert_int_s) * 100, addresses);
        a.version = 2;
        a.auth_type = auth_type;
        if auth_type == AUTH_SIMPLE {
            a.auth_data = pad_password(password);
        }
        a
    }

    /// The simple password as sent, up to the first NUL (v2 `auth_type` 1).
    pub fn auth_password(&self) -> &[u8] {
        let end = self
            .auth_data
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(AUTH_DATA_LEN);
        &self.auth_data[..end]
    }

    /// A priority-0 advert: the master is leaving (RFC 5798 §6.4.3).
    pub fn is_shutdown(&self) -> bool {
        self.priority == 0
    }

    /// Bytes this advert takes on the wire, for addresses of the given family.
    pub fn wire_len(&self, ipv6: bool) -> usize {
        message_len(self.version, self.addresses.len(), ipv6)
    }
}

/// keepalived's view of a configured password: the first 8 bytes, NUL padded.
pub fn pad_password(password: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    let n = password.len().min(AUTH_DATA_LEN);
    out[..n].copy_from_slice(&password[..n]);
    out
}

/// Which bytes the v3 checksum over IPv4 covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChecksumKind {
    /// The IP pseudo-header plus the message: always for IPv6, and keepalived's and FRR's choice
    /// for v3 over IPv4 (also what tcpdump and Wireshark verify).
    PseudoHeader,
    /// The message only: v2, and RFC 9568's strict reading for v3 over IPv4.
    NoPseudoHeader,
}

/// A decoded advert, how its checksum was computed (None when it is wrong or was not checked),
/// and every receive check it fails (empty when it is valid as far as the message can tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub advert: Advert,
    pub checksum_kind: Option<ChecksumKind>,
    pub errors: Vec<ValidationError>,
}

impl Parsed {
    pub fn checksum_valid(&self) -> bool {
        self.checksum_kind.is_some()
    }
}

/// Expected message length for `n` addresses.
fn message_len(version: u8, n: usize, ipv6: bool) -> usize {
    let alen = if ipv6 { 16 } else { 4 };
    HEADER_LEN + n * alen + if version == 2 { AUTH_DATA_LEN } else { 0 }
}

/// TTL / hop-limit check (RFC 5798 §7.1: MUST be 255). keepalived makes it only for multicast
/// instances; the caller decides whether to call it.
pub fn check_ttl(ttl: u8) -> Option<ValidationError> {
    (ttl != VRRP_TTL).then_some(ValidationError::TtlNot255(ttl))
}

/// keepalived's first check: an AH header is present exactly when the advert says auth type 2.
pub fn check_ah(advert: &Advert, ah_present: bool) -> Option<ValidationError> {
    if advert.version != 2 {
        return None;
    }
    match (ah_present, advert.auth_type == AUTH_AH) {
        (true, false) => Some(ValidationError::AuthTypeMismatch {
            got: advert.auth_type,
            want: AUTH_AH,
        }),
        (false, true) => Some(ValidationError::AuthTypeMismatch {
            got: AUTH_AH,
            want: AUTH_NONE,
        }),
        _ => None,
    }
}

/// The receiver's authentication check for v2 (RFC 3768 §7.1, keepalived's order): the auth type
/// must equal the configured one, and a simple password must match the configured one's first
/// 8 bytes (compared in constant time, as keepalived does). v3 adverts always pass.
pub fn check_auth(
    advert: &Advert,
    configured_type: u8,
    configured_password: &[u8],
) -> Option<ValidationError> {
    if advert.version != 2 {
        return None;
    }
    if advert.auth_type != configured_type {
        return Some(ValidationError::AuthTypeMismatch {
            got: advert.auth_type,
            want: configured_type,
        });
    }
    if configured_type == AUTH_SIMPLE {
        let want = pad_password(configured_password);
        let diff = want
            .iter()
            .zip(advert.auth_data.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Some(ValidationError::AuthFailure);
        }
    }
    None
}

/// Decode a VRRP message (the IP payload) sent from `src` to `dst`.
///
/// `Err` only when not even the 8-byte header is there. Everything else that is wrong (version,
/// type, length against the address count, checksum, zero interval, auth type, address family)
/// comes back in `Parsed::errors` with the fields decoded as far as the bytes allow: addresses
/// that fit are kept, and v2's authentication data is read from the last 8 bytes, as keepalived
/// does. A message with an unknown version is laid out as v3 and its checksum is not checked.
pub fn parse_advert(payload: &[u8], src: IpAddr, dst: IpAddr) -> Result<Parsed, WireError> {
    if payload.len() < HEADER_LEN {
        return Err(WireError::TooShort {
            what: "VRRP message",
            got: payload.len(),
            need: HEADER_LEN,
        });
    }
    let mut errors = Vec::new();
    let version = payload[0] >> 4;
    let kind = payload[0] & 0x0f;
    let ipv6 = src.is_ipv6();
    if src.is_ipv6() != dst.is_ipv6() {
        errors.push(ValidationError::AddressFamilyMismatch(
            "source and destination differ",
        ));
    }
    match version {
        2 => {
            if ipv6 {
                errors.push(ValidationError::AddressFamilyMismatch("VRRPv2 over IPv6"));
            }
        }
        3 => {}
        v => errors.push(ValidationError::BadVersion(v)),
    }
    if kind != TYPE_ADVERTISEMENT {
        errors.push(ValidationError::UnknownType(kind));
    }
    let is_v2 = version == 2;
    let addr_len = if ipv6 && !is_v2 { 16 } else { 4 };
    let (auth_type, advert_int_cs, rsvd) = if is_v2 {
        (payload[4], u16::from(payload[5]) * 100, 0)
    } else {
        let w = u16::from_be_bytes([payload[4], payload[5]]);
        (0, w & MAX_V3_INTERVAL_CS, (w >> 12) as u8)
    };
    let addr_count = payload[3];
    let trailer = if is_v2 { AUTH_DATA_LEN } else { 0 };
    let mut auth_data = [0u8; 8];
    let addr_room;
    if payload.len() < HEADER_LEN + trailer {
        errors.push(ValidationError::TooShort {
            got: payload.len(),
            need: HEADER_LEN + trailer,
        });
        addr_room = 0;
    } else {
        if is_v2 {
            auth_data.copy_from_slice(&payload[payload.len() - AUTH_DATA_LEN..]);
        }
        addr_room = (payload.len() - HEADER_LEN - trailer) / addr_len;
        let expected = HEADER_LEN + usize::from(addr_count) * addr_len + trailer;
        if payload.len() != expected {
            errors.push(ValidationError::AddrCountMismatch {
                addr_count,
                length: payload.len(),
                expected,
            });
        }
    }
    let n = usize::from(addr_count).min(addr_room);
    let addresses = payload[HEADER_LEN..HEADER_LEN + n * addr_len]
        .chunks_exact(addr_len)
        .map(|c| match <[u8; 16]>::try_from(c) {
            Ok(b16) => IpAddr::V6(Ipv6Addr::from(b16)),
            Err(_) => IpAddr::V4(Ipv4Addr::new(c[0], c[1], c[2], c[3])),
        })
        .collect();
    let checksum = u16::from_be_bytes([payload[6], payload[7]]);
    // v2 sums the message alone: the pseudo-header is summed only for v3.
    let checksum_kind = match version {
        2 => check_sum(
            0,
            payload,
            checksum,
            ChecksumKind::NoPseudoHeader,
            &mut errors,
        ),
        3 => match pseudo(src, dst, IPPROTO_VRRP, payload.len()) {
            Some(p) if ipv6 => check_sum(
                p,
                payload,
                checksum,
                ChecksumKind::PseudoHeader,
                &mut errors,
            ),
            Some(p) => {
                // Over IPv4 either is fine; a wrong one is reported against keepalived's choice.
                if verify(0, payload, checksum).is_ok() && verify(p, payload, checksum).is_err() {
                    Some(ChecksumKind::NoPseudoHeader)
                } else {
                    check_sum(
                        p,
                        payload,
                        checksum,
                        ChecksumKind::PseudoHeader,
                        &mut errors,
                    )
                }
            }
            // Mixed families (already flagged): nothing sound to check against.
            None => None,
        },
        // Unknown version (already flagged).
        _ => None,
    };
    if advert_int_cs == 0 {
        errors.push(ValidationError::ZeroInterval);
    }
    if is_v2 && auth_type > AUTH_AH {
        errors.push(ValidationError::UnknownAuthType(auth_type));
    }
    if src.is_multicast() || src.is_unspecified() {
        errors.push(ValidationError::InvalidSource(src));
    }
    Ok(Parsed {
        advert: Advert {
            version,
            kind,
            vrid: payload[1],
            priority: payload[2],
            addr_count,
            auth_type,
            auth_data,
            advert_int_cs,
            rsvd,
            checksum,
            addresses,
        },
        checksum_kind,
        errors,
    })
}

/// Verify `payload`'s checksum on top of the pseudo-header sum `pseudo`; `Err` carries the value
/// that would have been right.
fn verify(pseudo: u32, payload: &[u8], got: u16) -> Result<(), u16> {
    let without_field = sum_words(sum_words(pseudo, &payload[..6]), &payload[8..]);
    if finish(without_field + u32::from(got)) == 0 {
        Ok(())
    } else {
        Err(finish(without_field))
    }
}

/// [`verify`], recording a failure in `errors` and a success as `kind`.
fn check_sum(
    pseudo: u32,
    payload: &[u8],
    got: u16,
    kind: ChecksumKind,
    errors: &mut Vec<ValidationError>,
) -> Option<ChecksumKind> {
    match verify(pseudo, payload, got) {
        Ok(()) => Some(kind),
        Err(want) => {
            errors.push(ValidationError::BadChecksum { got, want });
            None
        }
    }
}

/// Write `advert` as a VRRP message (the IP payload; the kernel adds the IP header on a raw
/// socket) into `buf` and return its length. The address count comes from `addresses` and the
/// checksum is computed: v2 over the message, IPv6 always with the pseudo-header, v3 over IPv4
/// as `kind` says. `advert.addr_count` and `advert.checksum` are ignored.
pub fn emit_advert(
    advert: &Advert,
    src: IpAddr,
    dst: IpAddr,
    kind: ChecksumKind,
    buf: &mut [u8],
) -> Result<usize, WireError> {
    let ipv6 = src.is_ipv6();
    if ipv6 != dst.is_ipv6() {
        return Err(WireError::Unencodable(
            "source and destination of different families",
        ));
    }
    if advert.version == 2 && ipv6 {
        return Err(WireError::Unencodable("VRRPv2 over IPv6"));
    }
    if advert.addresses.len() > 255 {
        return Err(WireError::Unencodable("more than 255 addresses"));
    }
    if advert.addresses.iter().any(|a| a.is_ipv6() != ipv6) {
        return Err(WireError::Unencodable(
            "an address of the other family than the IP header",
        ));
    }
    let len = advert.wire_len(ipv6);
    if buf.len() < len {
        return Err(WireError::BufferTooSmall {
            need: len,
            have: buf.len(),
        });
    }
    let buf = &mut buf[..len];
    buf[0] = (advert.version << 4) | (advert.kind & 0x0f);
    buf[1] = advert.vrid;
    buf[2] = advert.priority;
    buf[3] = advert.addresses.len() as u8;
    if advert.version == 2 {
        if advert.advert_int_cs % 100 != 0 || advert.advert_int_cs / 100 > 255 {
            return Err(WireError::Unencodable(
                "a VRRPv2 interval must be whole seconds up to 255",
            ));
        }
        buf[4] = advert.auth_type;
        buf[5] = (advert.advert_int_cs / 100) as u8;
        buf[len - AUTH_DATA_LEN..].copy_from_slice(&advert.auth_data);
    } else {
        if advert.advert_int_cs > MAX_V3_INTERVAL_CS {
            return Err(WireError::Unencodable(
                "a VRRPv3 interval must be at most 4095 centiseconds",
            ));
        }
        let w = (u16::from(advert.rsvd & 0x0f) << 12) | advert.advert_int_cs;
        buf[4..6].copy_from_slice(&w.to_be_bytes());
    }
    buf[6] = 0;
    buf[7] = 0;
    let mut off = HEADER_LEN;
    for a in &advert.addresses {
        match a {
            IpAddr::V4(v4) => {
                buf[off..off + 4].copy_from_slice(&v4.octets());
                off += 4;
            }
            IpAddr::V6(v6) => {
                buf[off..off + 16].copy_from_slice(&v6.octets());
                off += 16;
            }
        }
    }
    let with_pseudo = advert.version != 2 && (ipv6 || kind == ChecksumKind::PseudoHeader);
    let start = if with_pseudo {
        // Same family checked above, so the pseudo-header exists.
        pseudo(src, dst, IPPROTO_VRRP, len).unwrap_or(0)
    } else {
        0
    };
    let c = finish(sum_words(start, buf));
    buf[6..8].copy_from_slice(&c.to_be_bytes());
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    // From vrrp_v2_auth_pass_ipv4_mcast_vrid51.pcap (keepalived 2.2.7, VRRP payload only).
    const V2_PASS: [u8; 20] = [
        0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0xad, 0x4b, 0xc0, 0x00, 0x02, 0x64, b's', b'3', b'c',
        b'r', b'3', b't', 0x00, 0x00,
    ];
    // From vrrp_v3_ipv6_ff02_12_vrid53.pcap.
    const V3_V6: [u8; 24] = [
        0x31, 0x35, 0x64, 0x01, 0x00, 0x64, 0x9d, 0xaa, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0x53, 0x00, 0x01,
    ];

    #[test]
    fn v2_simple_password_from_keepalived() {
        let p = parse_advert(&V2_PASS, ip("192.0.2.2"), ip("224.0.0.18")).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.checksum_kind, Some(ChecksumKind::NoPseudoHeader));
        let a = &p.advert;
        assert_eq!((a.version, a.kind, a.vrid, a.priority), (2, 1, 51, 100));
        assert_eq!((a.addr_count, a.auth_type, a.advert_int_cs), (1, 1, 100));
        assert_eq!(a.auth_password(), b"s3cr3t");
        assert_eq!(a.addresses, vec![ip("192.0.2.100")]);
        assert_eq!(check_auth(a, AUTH_SIMPLE, b"s3cr3t"), None);
        assert_eq!(
            check_auth(a, AUTH_SIMPLE, b"s3cr3t!"),
            Some(ValidationError::AuthFailure)
        );
        assert_eq!(
            check_auth(a, AUTH_NONE, b""),
            Some(ValidationError::AuthTypeMismatch { got: 1, want: 0 })
        );
        let mut buf = [0u8; 64];
        let n = emit_advert(
            a,
            ip("192.0.2.2"),
            ip("224.0.0.18"),
            ChecksumKind::PseudoHeader,
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..n], &V2_PASS);
    }

    #[test]
    fn v3_ipv6_from_keepalived() {
        let (s, d) = (ip("fe80::74d6:16ff:fe4f:45a2"), ip("ff02::12"));
        let p = parse_advert(&V3_V6, s, d).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.checksum_kind, Some(ChecksumKind::PseudoHeader));
        assert_eq!(p.advert.addresses, vec![ip("fe80::53:1")]);
        assert_eq!(p.advert.advert_int_cs, 100);
        assert_eq!(p.advert.checksum, 0x9daa);
        let mut buf = [0u8; 64];
        let n = emit_advert(&p.advert, s, d, ChecksumKind::NoPseudoHeader, &mut buf).unwrap();
        assert_eq!(&buf[..n], &V3_V6, "IPv6 always uses the pseudo-header");
    }

    #[test]
    fn v3_ipv4_from_keepalived_uses_the_pseudo_header() {
        // From vrrp_v3_ipv4_mcast_2vips_vrid52.pcap.
        let b = [
            0x31, 0x34, 0x64, 0x02, 0x00, 0x32, 0x43, 0x35, 192, 0, 2, 101, 192, 0, 2, 102,
        ];
        let (s, d) = (ip("192.0.2.2"), ip("224.0.0.18"));
        let p = parse_advert(&b, s, d).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.checksum_kind, Some(ChecksumKind::PseudoHeader));
        assert_eq!(
            (p.advert.vrid, p.advert.advert_int_cs, p.advert.addr_count),
            (52, 50, 2)
        );
        let mut buf = [0u8; 64];
        let n = emit_advert(&p.advert, s, d, ChecksumKind::PseudoHeader, &mut buf).unwrap();
        assert_eq!(&buf[..n], &b);
    }

    #[test]
    fn v3_ipv4_accepts_both_checksums_and_says_which() {
        let a = Advert::v3(52, 100, 50, vec![ip("192.0.2.101"), ip("192.0.2.102")]);
        let (s, d) = (ip("192.0.2.2"), ip("224.0.0.18"));
        for kind in [ChecksumKind::PseudoHeader, ChecksumKind::NoPseudoHeader] {
            let mut buf = [0u8; 64];
            let n = emit_advert(&a, s, d, kind, &mut buf).unwrap();
            let p = parse_advert(&buf[..n], s, d).unwrap();
            assert_eq!(p.checksum_kind, Some(kind));
            assert!(p.errors.is_empty());
        }
    }

    #[test]
    fn bad_checksum_reports_the_right_one() {
        let mut b = V2_PASS;
        b[6] = 0xaa;
        let p = parse_advert(&b, ip("192.0.2.2"), ip("224.0.0.18")).unwrap();
        assert_eq!(p.checksum_kind, None);
        assert_eq!(
            p.errors,
            vec![ValidationError::BadChecksum {
                got: 0xaa4b,
                want: 0xad4b
            }]
        );
    }

    #[test]
    fn flags_every_readable_problem() {
        // v2, type 2, count 3 but room for 1, auth type 7, interval 0, from a multicast source.
        let mut b = V2_PASS;
        b[0] = 0x22;
        b[3] = 3;
        b[4] = 7;
        b[5] = 0;
        let p = parse_advert(&b, ip("224.0.0.1"), ip("224.0.0.18")).unwrap();
        let codes: Vec<_> = p.errors.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "unknown-type",
                "addr-count-mismatch",
                "bad-checksum",
                "zero-interval",
                "unknown-auth-type",
                "invalid-source"
            ]
        );
        assert_eq!(p.advert.addresses, vec![ip("192.0.2.100")]);
        assert_eq!(p.advert.auth_password(), b"s3cr3t");
    }

    #[test]
    fn short_and_odd_messages() {
        assert!(matches!(
            parse_advert(&V2_PASS[..7], ip("192.0.2.2"), ip("224.0.0.18")),
            Err(WireError::TooShort {
                got: 7,
                need: 8,
                ..
            })
        ));
        let p = parse_advert(&V2_PASS[..12], ip("192.0.2.2"), ip("224.0.0.18")).unwrap();
        assert!(p
            .errors
            .contains(&ValidationError::TooShort { got: 12, need: 16 }));
        let mut b = V2_PASS;
        b[0] = 0x41;
        let p = parse_advert(&b, ip("192.0.2.2"), ip("224.0.0.18")).unwrap();
        assert_eq!(p.errors[0], ValidationError::BadVersion(4));
        assert_eq!(p.checksum_kind, None);
        let p = parse_advert(&V2_PASS, ip("fe80::1"), ip("ff02::12")).unwrap();
        assert_eq!(p.errors[0].code(), "address-family-mismatch");
    }

    #[test]
    fn ttl_and_ah_checks() {
        assert_eq!(check_ttl(255), None);
        assert_eq!(check_ttl(64), Some(ValidationError::TtlNot255(64)));
        let mut a = Advert::v2(55, 100, 2, AUTH_AH, b"", vec![ip("192.0.2.105")]);
        assert_eq!(check_ah(&a, true), None);
        assert!(check_ah(&a, false).is_some());
        a.auth_type = AUTH_NONE;
        assert!(check_ah(&a, true).is_some());
    }

    #[test]
    fn emit_refuses_what_the_wire_cannot_say() {
        let mut buf = [0u8; 64];
        let (s, d) = (ip("192.0.2.2"), ip("224.0.0.18"));
        let mut a = Advert::v2(1, 100, 1, 0, b"", vec![ip("192.0.2.1")]);
        a.advert_int_cs = 150;
        assert!(emit_advert(&a, s, d, ChecksumKind::PseudoHeader, &mut buf).is_err());
        let a = Advert::v3(1, 100, 4096, vec![]);
        assert!(emit_advert(&a, s, d, ChecksumKind::PseudoHeader, &mut buf).is_err());
        let a = Advert::v3(1, 100, 100, vec![ip("2001:db8::1")]);
        assert!(emit_advert(&a, s, d, ChecksumKind::PseudoHeader, &mut buf).is_err());
        let a = Advert::v3(1, 100, 100, vec![ip("192.0.2.1")]);
        assert!(matches!(
            emit_advert(&a, s, d, ChecksumKind::PseudoHeader, &mut buf[..8]),
            Err(WireError::BufferTooSmall { need: 12, have: 8 })
        ));
    }
}
