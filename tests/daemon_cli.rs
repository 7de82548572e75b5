//! vrrpd's command line without a network: `-t` exit codes, `--signum`, and a config that
//! cannot run being refused with file:line:col rather than a panic.

mod common;
use common::*;

use std::process::Command;

fn vrrpd(args: &[&str]) -> std::process::Output {
    Command::new(bin("vrrpd"))
        .args(args)
        .env("VRRPD_LOG", "info")
        .output()
        .expect("run vrrpd")
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const NO_VRID: &str = "vrrp_instance VI_1 {\n  interface lo\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n";

const GOOD: &str = "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n";

#[test]
fn config_test_exits_1_on_errors_and_0_when_clean() {
    let dir = tempdir();
    let bad = write(dir.path(), "bad.conf", NO_VRID);
    let out = vrrpd(&["-t", "-f", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("virtual_router_id"), "{err}");
    assert!(err.contains("bad.conf:1:"), "{err}");

    let good = write(dir.path(), "good.conf", GOOD);
    let out = vrrpd(&["-t", "-f", &good]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// keepalived's other processes (a virtual_server for the checker, SNMP) and pure tuning are
/// listed by `vrrpd -t`, each with its code, and do not fail it (vrrpd.service runs `vrrpd -t`
/// before every start); what would change the VRRP side still does.
#[test]
fn config_test_lists_other_processes_and_tuning_without_failing() {
    let dir = tempdir();
    let text = format!(
        "global_defs {{\n  enable_snmp_vrrp\n  checker_log_all_failures\n  vrrp_no_swap\n  vrrp_priority -10\n}}\n{}virtual_server 192.0.2.100 80 {{\n  real_server 192.0.2.2 80 {{\n    TCP_CHECK {{\n    }}\n  }}\n}}\n",
        GOOD.replace("  priority 100\n", "  priority 100\n  debug 2\n")
    );
    let conf = write(dir.path(), "k.conf", &text);
    let out = vrrpd(&["-t", "-f", &conf]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for (code, what) in [
        ("not-vrrp", "`enable_snmp_vrrp` in global_defs"),
        ("not-vrrp", "`checker_log_all_failures` in global_defs"),
        ("not-vrrp", "`virtual_server 192.0.2.100`"),
        ("tuning-ignored", "`vrrp_no_swap` in global_defs"),
        ("tuning-ignored", "`vrrp_priority` in global_defs"),
        ("tuning-ignored", "`debug` in vrrp_instance"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(what)) && err.contains(code),
            "{code} {what}: {err}"
        );
    }
    assert!(err.contains("vrrpd ignores 3 keyword(s) or block(s) of keepalived's other processes (not-vrrp) and 3 of process tuning (tuning-ignored)"), "{err}");
    assert!(!err.contains("not-run-by-vrrpd"), "{err}");

    // A keyword that would change the VRRP side still fails it.
    let conf = write(
        dir.path(),
        "k2.conf",
        &text.replace(
            "  vrrp_no_swap\n",
            "  vrrp_no_swap\n  default_interface lo\n",
        ),
    );
    let out = vrrpd(&["-t", "-f", &conf]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`default_interface` in global_defs is read but not run by vrrpd"),
        "{err}"
    );
}

#[test]
fn config_test_of_a_missing_file_fails() {
    let out = vrrpd(&["-t", "-f", "/nonexistent/keepalived.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/keepalived.conf"));
}

#[test]
fn signum_prints_keepalived_numbers() {
    let out = vrrpd(&["--signum=STATS"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "12");
    let out = vrrpd(&["--signum", "JSON"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "36");
    let out = vrrpd(&["--signum=NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown sigfunc NOPE"));
}

#[test]
fn an_instance_that_cannot_run_is_refused_with_its_span() {
    let dir = tempdir();
    let bad = write(dir.path(), "bad.conf", NO_VRID);
    let out = vrrpd(&["-l", "-f", &bad]);
    // keepalived's exit code for a configuration that cannot run.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.conf:1:1: vrrp_instance VI_1: virtual_router_id is not set"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn version_names_the_git_commit() {
    let out = vrrpd(&["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(concat!("vrrpd ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{text}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(h) = head.ok().filter(|h| h.status.success()) {
        let h = String::from_utf8_lossy(&h.stdout).trim().to_string();
        assert!(text.contains(&format!("(commit {h})")), "{text} vs {h}");
    }
}

/// Without -l and with stderr not a terminal, vrrpd logs to syslog (keepalived's default),
/// at the facility -S names; with -l to stderr only. A private mount namespace points /dev/log
/// at a socket of this test, so the host's syslog is never touched.
#[test]
fn logs_go_to_syslog_unless_l_is_given() {
    if !require_root() || !require_tool("unshare") {
        return;
    }
    let dir = tempdir();
    let bad = write(dir.path(), "bad.conf", NO_VRID);
    let sock_path = dir.path().join("log");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let run = |extra: &[&str]| {
        let script = format!(
            "mount -t tmpfs tmpfs /dev && ln -s {} /dev/log && exec {} \"$@\"",
            sock_path.display(),
            bin("vrrpd").display()
        );
        Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
                "vrrpd",
            ])
            .args(extra)
            .args(["-f", &bad])
            .env("VRRPD_LOG", "info")
            .output()
            .unwrap()
    };
    let out = run(&["-S", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("virtual_router_id"),
        "logged to stderr: {err}"
    );
    let mut buf = [0u8; 2048];
    let mut records = Vec::new();
    while let Ok(n) = sock.recv(&mut buf) {
        let r = String::from_utf8_lossy(&buf[..n]).into_owned();
        let done = r.contains("no vrrp_instance can run");
        records.push(r);
        if done {
            break;
        }
    }
    // LOCAL2 (18 << 3) + LOG_ERR (3) = 147.
    let refused = records
        .iter()
        .find(|r| r.contains("virtual_router_id is not set"))
        .unwrap_or_else(|| panic!("no syslog record: {records:?}"));
    assert!(refused.starts_with("<147>"), "{refused}");
    assert!(refused.contains(" vrrpd["), "{refused}");

    sock.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let out = run(&["-l"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("virtual_router_id is not set"), "{err}");
    assert!(sock.recv(&mut buf).is_err(), "-l must not log to syslog");
}

/// `-t` must fail on every config the daemon would then refuse to run (tried as a new user
/// would: lint alone accepted both of these).
#[test]
fn config_test_fails_where_the_daemon_would_refuse() {
    let dir = tempdir();
    for (name, text, want) in [
        (
            "ah.conf",
            GOOD.replace(
                "  priority 100\n",
                "  priority 100\n  authentication {\n    auth_type AH\n    auth_pass secret\n  }\n",
            ),
            "auth_type AH is not supported",
        ),
        (
            "noif.conf",
            GOOD.replace("interface lo", "interface nosuchif0"),
            "interface nosuchif0 does not exist",
        ),
    ] {
        let path = write(dir.path(), name, &text);
        let out = vrrpd(&["-t", "-f", &path]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}:1:1: vrrp_instance VI_1: {want}")),
            "{err}"
        );
        assert!(err.contains("vrrpd would not start this instance"), "{err}");
    }
}

/// keepalived 2.2.7 measured: `keepalived -t` on a vrrp_script whose file is missing prints
/// "Disabling track script chk since not found/accessible" and exits 5; under
/// enable_script_security a world-writable script (root runs it) prints "... due to insecure"
/// and exits 5 too.
#[test]
fn config_test_names_a_script_keepalived_would_disable_and_exits_5() {
    let dir = tempdir();
    let conf = |script: &str| {
        format!(
            "global_defs {{\n  enable_script_security\n  script_user root\n}}\nvrrp_script chk {{\n  script \"{script}\"\n  interval 1\n}}\n{}",
            GOOD.replace(
                "  priority 100\n",
                "  priority 100\n  track_script {\n    chk\n  }\n"
            )
        )
    };
    let missing = dir.path().join("nonexistent.sh");
    let path = write(
        dir.path(),
        "missing.conf",
        &conf(&missing.display().to_string()),
    );
    let out = vrrpd(&["-t", "-f", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("Disabling track script chk since not found/accessible"),
        "{err}"
    );
    // The same config with a script that is there and safe passes.
    let ok = dir.path().join("ok.sh");
    std::fs::write(&ok, "#!/bin/sh\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = write(dir.path(), "ok.conf", &conf(&ok.display().to_string()));
    let out = vrrpd(&["-t", "-f", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("Disabling"), "{err}");
    if unsafe { libc::geteuid() } != 0 {
        return; // The path check applies to scripts run as root.
    }
    std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = vrrpd(&["-t", "-f", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("Disabling track script chk due to insecure"),
        "{err}"
    );
}
