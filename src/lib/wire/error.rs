//! The two kinds of failure of the wire layer: a `WireError` means the bytes cannot be read as
//! the format at all (too short for a header, not IPv4, ...); a `ValidationError` is one check of
//! RFC 5798 §7.1 / RFC 3768 §7.1 that a still-readable advertisement fails. Parsers return the
//! former and list the latter beside the decoded fields, so a sniffer can print both.

use std::net::IpAddr;

/// The bytes are not a readable packet of the expected format, or a value cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the fixed part of the header needs.
    #[error("{what} too short: {got} bytes, need {need}")]
    TooShort {
        what: &'static str,
        got: usize,
        need: usize,
    },
    /// A length field points past the end of the bytes (a truncated capture, or a lie).
    #[error("{what} truncated: header says {claimed} bytes, only {got} present")]
    Truncated {
        what: &'static str,
        claimed: usize,
        got: usize,
    },
    /// The IP version nibble is not the one expected (4 for `parse_ipv4`, 6 for `parse_ipv6`).
    #[error("not an IPv{want} packet (version {got})")]
    NotIpVersion { want: u8, got: u8 },
    /// An IPv4 header length below 20 bytes.
    #[error("bad IPv4 header length {0} bytes")]
    BadHeaderLength(usize),
    /// An AH Payload Len that makes the header shorter than its 12 fixed bytes.
    #[error("bad AH header length {0} bytes")]
    BadAhLength(usize),
    /// The caller's buffer cannot hold what is to be written.
    #[error("buffer too small: need {need} bytes, have {have}")]
    BufferTooSmall { need: usize, have: usize },
    /// The value cannot be represented on the wire (e.g. a v2 interval that is not whole seconds).
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
    /// Not a frame of this kind (an ARP that is not Ethernet/IPv4, an ICMPv6 that is not an NA).
    #[error("not {0}")]
    NotThisProtocol(&'static str),
}

/// One failed receive check of an advertisement whose fields are still readable.
///
/// `Display` is a short phrase for humans; [`ValidationError::code`] is a stable kebab-case id
/// for JSON and scripts. The order of the checks and the keepalived counter each maps to are in
/// [`ValidationError::keepalived_counter`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("ttl {0} (must be 255)")]
    TtlNot255(u8),
    #[error("bad version {0}")]
    BadVersion(u8),
    #[error("unknown type {0}")]
    UnknownType(u8),
    /// Shorter than the fixed header plus (v2) the 8 bytes of authentication data.
    #[error("too short: {got} bytes, need {need}")]
    TooShort { got: usize, need: usize },
    /// `Count IPvX Addr` disagrees with the length of the message.
    #[error("address count {addr_count} but length {length} (expected {expected})")]
    AddrCountMismatch {
        addr_count: u8,
        length: usize,
        expected: usize,
    },
    #[error("bad checksum {got:#06x} (want {want:#06x})")]
    BadChecksum { got: u16, want: u16 },
    #[error("zero advertisement interval")]
    ZeroInterval,
    /// v2 auth type not 0 (none), 1 (simple) or 2 (AH).
    #[error("unknown auth type {0}")]
    UnknownAuthType(u8),
    /// The auth type differs from the configured one, or disagrees with the presence of an
    /// IPsec AH header (auth type 2 ⇔ IP protocol 51).
    #[error("auth type {got} (expected {want})")]
    AuthTypeMismatch { got: u8, want: u8 },
    /// A simple password that differs from the configured one (checked by the receiver).
    #[error("wrong password")]
    AuthFailure,
    /// An address family that the version or the IP header does not allow (v2 over IPv6,
    /// source and destination of different families).
    #[error("address family mismatch: {0}")]
    AddressFamilyMismatch(&'static str),
    /// The advertisement came fragmented (VRRP is never fragmented; the fields are from the
    /// first fragment only).
    #[error("fragmented IP packet")]
    Fragmented,
    /// The IPv4 header checksum is wrong.
    #[error("bad IPv4 header checksum")]
    BadIpChecksum,
    /// A source address that cannot be a router's (multicast, unspecified).
    #[error("invalid source address {0}")]
    InvalidSource(IpAddr),
}

impl ValidationError {
    /// A stable kebab-case id for JSON output and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ValidationError::TtlNot255(_) => "ttl-not-255",
            ValidationError::BadVersion(_) => "bad-version",
            ValidationError::UnknownType(_) => "unknown-type",
            ValidationError::TooShort { .. } => "too-short",
            ValidationError::AddrCountMismatch { .. } => "addr-count-mismatch",
            ValidationError::BadChecksum { .. } => "bad-checksum",
            ValidationError::ZeroInterval => "zero-interval",
            ValidationError::UnknownAuthType(_) => "unknown-auth-type",
            ValidationError::AuthTypeMismatch { .. } => "auth-type-mismatch",
            ValidationError::AuthFailure => "auth-failure",
            ValidationError::AddressFamilyMismatch(_) => "address-family-mismatch",
            ValidationError::Fragmented => "fragmented",
            ValidationError::BadIpChecksum => "bad-ip-checksum",
            ValidationError::InvalidSource(_) => "invalid-source",
        }
    }

    /// The keepalived statistics counter (stats-file field name, as in `dump-stats`) that
    /// keepalived 2.2.7 bumps for this failure, when it bumps one at all.
    pub fn keepalived_counter(&self) -> Option<&'static str> {
        match self {
            ValidationError::TtlNot255(_) => Some("ip_ttl_err"),
            ValidationError::TooShort { .. } | ValidationError::AddrCountMismatch { .. } => {
                Some("packet_len_err")
            }
            ValidationError::UnknownType(_) => Some("invalid_type_rcvd"),
            ValidationError::UnknownAuthType(_) => Some("invalid_authtype"),
            ValidationError::AuthTypeMismatch { .. } => Some("authtype_mismatch"),
            ValidationError::AuthFailure => Some("auth_failure"),
            ValidationError::BadChecksum { .. } => Some("chk_err"),
            ValidationError::BadVersion(_) => Some("vers_err"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kebab_case_and_distinct() {
        let all = [
            ValidationError::TtlNot255(64),
            ValidationError::BadVersion(4),
            ValidationError::UnknownType(2),
            ValidationError::TooShort { got: 8, need: 16 },
            ValidationError::AddrCountMismatch {
                addr_count: 2,
                length: 20,
                expected: 24,
            },
            ValidationError::BadChecksum { got: 1, want: 2 },
            ValidationError::ZeroInterval,
            ValidationError::UnknownAuthType(7),
            ValidationError::AuthTypeMismatch { got: 0, want: 1 },
            ValidationError::AuthFailure,
            ValidationError::AddressFamilyMismatch("v2 over IPv6"),
            ValidationError::Fragmented,
            ValidationError::BadIpChecksum,
            ValidationError::InvalidSource("224.0.0.1".parse().unwrap()),
        ];
        let mut codes: Vec<_> = all.iter().map(|e| e.code()).collect();
        for c in &codes {
            assert!(c
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit()));
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(
            ValidationError::BadChecksum {
                got: 0xaa68,
                want: 0x1234
            }
            .to_string(),
            "bad checksum 0xaa68 (want 0x1234)"
        );
    }
}
