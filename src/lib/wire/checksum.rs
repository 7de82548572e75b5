//! The Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 and ICMPv6 add to it.
//!
//! Sums are kept as a running `u32` of 16-bit words so a pseudo-header and a message can be
//! summed in pieces without copying them together.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Add `data` (big-endian 16-bit words, an odd last byte padded with zero) to `sum`.
pub fn sum_words(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    // Fold now and then is not needed: 64 KiB of 0xffff words stays below u32::MAX.
    sum
}

/// Fold the carries and take the one's complement.
pub fn finish(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The RFC 1071 checksum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum_words(0, data))
}

/// Sum of the IPv4 pseudo-header (src, dst, zero, protocol, length).
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u16) -> u32 {
    let mut s = sum_words(0, &src.octets());
    s = sum_words(s, &dst.octets());
    s + u32::from(protocol) + u32::from(len)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 §8.1: src, dst, u32 length, zeros, next header).
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u32 {
    let mut s = sum_words(0, &src.octets());
    s = sum_words(s, &dst.octets());
    s + (len >> 16) + (len & 0xffff) + u32::from(next_header)
}

/// Pseudo-header sum for a pair of addresses of the same family; `None` when they differ.
pub fn pseudo(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> Option<u32> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(pseudo_v4(s, d, protocol, len as u16)),
        (IpAddr::V6(s), IpAddr::V6(d)) => Some(pseudo_v6(s, d, protocol, len as u32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(
            checksum(&[0x12, 0x34, 0x56]),
            checksum(&[0x12, 0x34, 0x56, 0x00])
        );
    }

    #[test]
    fn verifying_a_checksummed_buffer_gives_zero() {
        let mut b = vec![
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0xff, 0x70, 0, 0,
        ];
        let c = checksum(&b);
        b[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&b), 0);
    }
}
