//! `iptables-save` / `ip6tables-save` output, read as every backend that produces it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrrp::firewall::iptables;
use vrrp::firewall::model::Origin;
use vrrp::firewall::probe::IpFamily;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = iptables::header(text, data.len() % 2 == 0);
    let family = if data.len() % 2 == 0 { IpFamily::V4 } else { IpFamily::V6 };
    for origin in [Origin::IptablesNft, Origin::IptablesLegacy] {
        let _ = iptables::parse(text, family, origin);
    }
});
