//! Allocation-free formatting helpers for the hot path: numbers, IPv4 addresses, timestamps
//! and JSON strings appended to a byte buffer.

use std::io::Write;
use std::net::IpAddr;

use super::source::Timestamp;

pub fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// `n` with exactly `width` digits, zero padded.
pub fn push_padded(buf: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let width = width.min(20);
    for i in (0..width).rev() {
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.extend_from_slice(&tmp[..width]);
}

pub fn push_ip(buf: &mut Vec<u8>, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            for (i, b) in o.iter().enumerate() {
                if i > 0 {
                    buf.push(b'.');
                }
                push_u64(buf, u64::from(*b));
            }
        }
        // IPv6 text form (zero compression) is fiddly; std's Display is right and fast enough.
        IpAddr::V6(v6) => {
            let _ = write!(buf, "{v6}");
        }
    }
}

pub fn push_mac(buf: &mut Vec<u8>, m: &[u8; 6]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            buf.push(b':');
        }
        buf.push(HEX[usize::from(b >> 4)]);
        buf.push(HEX[usize::from(b & 0xf)]);
    }
}

/// Seconds since the epoch with 6 (or 9 for nanosecond sources) decimals.
pub fn push_epoch(buf: &mut Vec<u8>, ts: Timestamp) {
    if ts.secs < 0 {
        buf.push(b'-');
    }
    push_u64(buf, ts.secs.unsigned_abs());
    buf.push(b'.');
    if ts.nano_res {
        push_padded(buf, u64::from(ts.nanos), 9);
    } else {
        push_padded(buf, u64::from(ts.nanos / 1000), 6);
    }
}

/// Time of day in UTC, HH:MM:SS.ffffff (9 digits for nanosecond sources), as tcpdump prints.
pub fn push_time_of_day(buf: &mut Vec<u8>, ts: Timestamp) {
    let day = ts.secs.rem_euclid(86_400) as u64;
    push_padded(buf, day / 3600, 2);
    buf.push(b':');
    push_padded(buf, day / 60 % 60, 2);
    buf.push(b':');
    push_padded(buf, day % 60, 2);
    buf.push(b'.');
    if ts.nano_res {
        push_padded(buf, u64::from(ts.nanos), 9);
    } else {
        push_padded(buf, u64::from(ts.nanos / 1000), 6);
    }
}

/// A JSON string literal; bytes that are not valid UTF-8 become U+FFFD.
pub fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    for c in s.chars() {
        match c {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => {
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
    buf.push(b'"');
}

/// tcpdump's rendering of a v2 simple password: up to the first NUL, control bytes as `^A`,
/// DEL as `^?`, high bytes as `M-` plus the low rendering.
pub fn push_tcpdump_auth(buf: &mut Vec<u8>, data: &[u8]) {
    for &b in data.iter().take_while(|&&b| b != 0) {
        let mut c = b;
        if c & 0x80 != 0 {
            buf.extend_from_slice(b"M-");
            c &= 0x7f;
        }
        if c < 0x20 {
            buf.push(b'^');
            buf.push(c + b'@');
        } else if c == 0x7f {
            buf.extend_from_slice(b"^?");
        } else {
            buf.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        b.push(b' ');
        push_u64(&mut b, 18446744073709551615);
        b.push(b' ');
        push_ip(&mut b, &"192.0.2.255".parse().unwrap());
        b.push(b' ');
        push_ip(&mut b, &"fe80::53:1".parse().unwrap());
        b.push(b' ');
        push_epoch(
            &mut b,
            Timestamp {
                secs: 1795347338,
                nanos: 890_765_000,
                nano_res: false,
            },
        );
        b.push(b' ');
        push_time_of_day(
            &mut b,
            Timestamp {
                secs: 1795347338,
                nanos: 890_765_123,
                nano_res: true,
            },
        );
        b.push(b' ');
        push_json_str(&mut b, "a\"\\\u{1}é");
        b.push(b' ');
        push_tcpdump_auth(&mut b, &[b'p', b'a', 1, 0xff, b's', b's', 0, b'x']);
        b.push(b' ');
        push_mac(&mut b, &[0x76, 0xd6, 0x16, 0x4f, 0x45, 0xa2]);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "0 18446744073709551615 192.0.2.255 fe80::53:1 1795347338.890765 11:35:38.890765123 \"a\\\"\\\\\\u0001é\" pa^AM-^?ss 76:d6:16:4f:45:a2"
        );
    }
}
