//! keepalived.conf text through the lexer, the preprocessor ($MACROS, @conditionals, ~SEQ/~LST),
//! the keyword tree, the typed model and every lint rule, against a host with nothing on it.
//! Inputs that mention `include` are skipped: those read the file system, which is not what is
//! fuzzed here (tests/config_grammar.rs covers includes).
#![no_main]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use vrrp::config::{self, LoadOptions};
use vrrp::lint::host::{FileInfo, Host};

struct Empty;

impl Host for Empty {
    fn interface_exists(&self, name: &str) -> bool {
        name == "eth0"
    }
    fn addresses(&self) -> Vec<(String, IpAddr)> {
        vec![("eth0".into(), "192.0.2.1".parse().unwrap())]
    }
    fn file_info(&self, _: &Path) -> Option<FileInfo> {
        None
    }
    fn which(&self, _: &str) -> Option<PathBuf> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains("incl") {
        return;
    }
    let opts = LoadOptions {
        config_id: Some("lb1".into()),
    };
    let loaded = config::load_str_with("/nonexistent/keepalived.conf", text, &opts);
    let _ = vrrp::lint::lint_loaded(&loaded, &Empty);
});
