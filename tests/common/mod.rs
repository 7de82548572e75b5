//! Shared harness for end-to-end tests: network namespaces, a LAN on a bridge, processes killed
//! by pid on drop, real keepalived. Every test that needs root calls `require_root()` first.
//! Only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
//! and link-local are used, only inside namespaces made here, and all of it is removed on drop,
//! even when the test panics.
#![allow(dead_code)]

pub mod daemon;
pub mod firewall;
pub mod fsm;
pub mod netns;
pub mod notify;
pub mod tcpdump;
pub mod traffic;
pub use netns::*;

use std::path::PathBuf;

/// True when the test may go on. Without root it skips, except under CI (CI=true), where a
/// missing privilege or tool is a failure rather than a silent skip.
pub fn require_root() -> bool {
    if nix_is_root() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("this test needs root, and CI=true runs must not skip it");
    }
    eprintln!("skipped: this test needs root (run as root, or it is checked under CI=true)");
    false
}

/// True when `tool` is on PATH; under CI a missing tool is a failure (.ci/run installs it).
pub fn require_tool(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is not installed; .ci/run must install it");
    }
    eprintln!("skipped: {tool} is not installed");
    false
}

fn nix_is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Run the built vrrpctl without color (tests read its plain text).
pub fn vrrpctl(args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin("vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run vrrpctl")
}

/// Path of a built binary of this package (`vrrpctl` or `vrrpd`).
pub fn bin(name: &str) -> PathBuf {
    match name {
        "vrrpctl" => PathBuf::from(env!("CARGO_BIN_EXE_vrrpctl")),
        "vrrpd" => PathBuf::from(env!("CARGO_BIN_EXE_vrrpd")),
        other => panic!("no binary {other}"),
    }
}

/// tests/data/NAME
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
