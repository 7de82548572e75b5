//! A whole capture file (pcap or pcapng) through the reader, the decoder and both renderers.
#![no_main]

use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use vrrp::sniff::{decode, render, source};

fuzz_target!(|data: &[u8]| {
    let mut buf = Vec::new();
    let _ = source::read_capture(data, "fuzz.pcap", &mut |frame| {
        if let Some(ev) = decode(&frame) {
            render::json_line(&mut buf, &ev);
            render::text_line(&mut buf, &ev, true, &|s, _| s.to_string());
        }
        buf.clear();
        ControlFlow::Continue(())
    });
});
