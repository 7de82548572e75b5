//! The control socket as vrrpd reads it (one request line from any local client) and as
//! vrrpctl reads it (reply lines from the daemon, keepalived's own JSON and data dumps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrrp::control::{keepalived_dump, proto, Reply};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match proto::parse_request(text) {
        Ok(req) => {
            let _ = (req.cmd.is_mutating(), req.cmd.name());
        }
        Err(reply) => {
            let _ = reply.to_line();
        }
    }
    if let Ok(reply) = serde_json::from_str::<Reply>(text) {
        let _ = reply.to_line();
    }
    let info = keepalived_dump::data_info(text);
    if let Ok(snap) = keepalived_dump::parse(text, &info, 0.0) {
        let _ = keepalived_dump::stats_text(&snap);
        // What `dump-stats --json` prints of them.
        let _ = serde_json::to_string(&snap);
    }
});
