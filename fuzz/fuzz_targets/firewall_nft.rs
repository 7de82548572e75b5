//! `nft -j list ruleset` output (and the text listing that fills in netdev devices).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrrp::firewall::nft;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mut rs) = nft::parse(text) {
        nft::fill_devices_from_listing(&mut rs, text);
    }
});
