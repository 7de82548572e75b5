//! The VRRP decoder as a receiver meets it: raw IPv4 / IPv6 packets, bare VRRP messages, ARP and
//! NA, and whole frames of every link type sniff reads. The first byte picks the entry point.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use vrrp::sniff::{decode, Frame, Timestamp};
use vrrp::wire;

const LINKTYPES: [u32; 8] = [1, 101, 113, 228, 229, 276, 12, 147];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 6 {
        0 => {
            if let Ok((meta, payload)) = wire::parse_ipv4(rest) {
                let _ = wire::parse_advert(payload, meta.src.into(), meta.dst.into());
            }
        }
        1 => {
            if let Ok((meta, payload)) = wire::parse_ipv6(rest) {
                let _ = wire::parse_advert(payload, meta.src.into(), meta.dst.into());
                let _ = wire::parse_na(payload, meta.src, meta.dst);
            }
        }
        2 => {
            let v4 = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)));
            let v6 = (
                IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
                IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
            );
            for (src, dst) in [v4, v6] {
                if let Ok(p) = wire::parse_advert(rest, src, dst) {
                    let _ = wire::check_auth(&p.advert, 1, b"secret");
                }
            }
        }
        3 => {
            let _ = wire::parse_arp(rest);
            let _ = wire::parse_ethernet(rest);
        }
        _ => {
            let linktype = LINKTYPES[usize::from(sel / 6) % LINKTYPES.len()];
            let frame = Frame {
                ts: Timestamp { secs: 0, nanos: 0, nano_res: false },
                linktype,
                data: rest,
                // Odd selectors claim the frame was longer on the wire (a snap length cut it).
                orig_len: rest.len() as u32 + u32::from(sel & 1) * 40,
            };
            if let Some(ev) = decode(&frame) {
                let mut buf = Vec::new();
                vrrp::sniff::render::json_line(&mut buf, &ev);
                vrrp::sniff::render::text_line(&mut buf, &ev, true, &|s, _| s.to_string());
            }
        }
    }
});
