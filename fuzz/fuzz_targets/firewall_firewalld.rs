//! firewalld zone and service XML, then the compiled permanent configuration.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vrrp::firewall::firewalld;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("/nonexistent/public.xml");
    let zone = firewalld::parse_zone("public", file, text);
    let service = firewalld::parse_service(file, text);
    if let Ok(z) = zone {
        let mut services = BTreeMap::new();
        if let Ok(s) = service {
            services.insert("vrrp".to_string(), s);
        }
        let p = firewalld::Permanent {
            default_zone: "public".into(),
            zones: BTreeMap::from([("public".to_string(), z)]),
            services,
        };
        let _ = firewalld::compile(&p);
    }
});
