//! No frame, however broken, makes sniff's decoder or renderers panic, whatever its link type.

use proptest::prelude::*;
use vrrp::sniff::{self, render, Frame, Timestamp};

fn frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    // Mostly plausible heads (Ethernet + IPv4/IPv6/ARP ethertype, IP version and protocol 112/51)
    // so the deep paths are reached, with arbitrary tails.
    (
        prop::collection::vec(any::<u8>(), 0..160),
        prop_oneof![
            Just(0x0800u16),
            Just(0x86dd),
            Just(0x0806),
            Just(0x8100),
            any::<u16>()
        ],
        prop_oneof![Just(112u8), Just(51), Just(58), any::<u8>()],
    )
        .prop_map(|(mut b, ethertype, proto)| {
            if b.len() >= 14 {
                b[12..14].copy_from_slice(&ethertype.to_be_bytes());
            }
            if b.len() >= 34 {
                b[14] = if ethertype == 0x86dd { 0x60 } else { 0x45 };
                b[23] = proto;
                b[20] = proto;
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn decode_and_render_never_panic(data in frame_bytes(), lt in prop_oneof![Just(1u32), Just(113), Just(276), Just(101), any::<u32>()]) {
        let f = Frame { ts: Timestamp { secs: 1, nanos: 2, nano_res: false }, linktype: lt, data: &data, orig_len: data.len() as u32 };
        if let Some(ev) = sniff::decode(&f) {
            let mut buf = Vec::new();
            render::json_line(&mut buf, &ev);
            let line = std::str::from_utf8(&buf).unwrap();
            prop_assert!(serde_json::from_str::<serde_json::Value>(line.trim_end()).is_ok(), "{}", line);
            render::text_line(&mut buf, &ev, true, &|t, _| t.to_string());
        }
    }
}
