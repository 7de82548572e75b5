//! `vrrpctl status` / `dump-stats` without a daemon: exit 2 and one sentence naming the socket.

mod common;
use common::*;

use std::process::Command;

#[test]
fn no_daemon_is_exit_2_naming_the_socket() {
    for sub in ["status", "dump-stats"] {
        let o = Command::new(bin("vrrpctl"))
            .args([
                sub,
                "--socket",
                "/nonexistent/vrrpd.sock",
                "--keepalived-pid",
                "/nonexistent/keepalived.pid",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{sub}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("vrrpd is not running (no socket at /nonexistent/vrrpd.sock)"),
            "{sub}: {err}"
        );
        assert!(err.contains("/nonexistent/keepalived.pid"), "{sub}: {err}");
    }
}

#[test]
fn a_socket_nobody_listens_on_is_not_running_either() {
    let dir = tempdir();
    let path = dir.path().join("stale.sock");
    // Bound and closed: the file stays, nobody accepts.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let o = Command::new(bin("vrrpctl"))
        .args(["status", "--socket"])
        .arg(&path)
        .args(["--keepalived-pid", "/nonexistent/keepalived.pid"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("vrrpd is not running"));
}
