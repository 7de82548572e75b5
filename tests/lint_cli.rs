//! `vrrpctl lint` at the command line: exit codes, the JSON document, rustc-style text.

mod common;

use std::process::Command;

use common::{bin, data};

fn lint(args: &[&str]) -> std::process::Output {
    Command::new(bin("vrrpctl"))
        .arg("lint")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn conf(name: &str) -> String {
    data("conf").join(name).display().to_string()
}

#[test]
fn clean_config_exits_0() {
    let o = lint(&[&conf("seed-master.conf")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok: 0 errors"));
}

#[test]
fn errors_exit_1_with_rustc_style_text() {
    let o = lint(&[&conf("typos.conf")]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let want = format!(
        "error[unknown-keyword]: unknown keyword `wieght` in vrrp_script; keepalived ignores this line\n  ┌─ {}:4:5\n  │\n4 │     wieght 2\n  │     ^^^^^^\n  │\n  = help: did you mean `weight`?\n",
        conf("typos.conf")
    );
    assert!(out.contains(&want), "{out}");
    assert!(!out.contains('\u{1b}'), "NO_COLOR must give plain text");
}

#[test]
fn unreadable_file_exits_2_with_one_sentence() {
    let o = lint(&["/nonexistent/keepalived.conf"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/keepalived.conf"));
    assert!(o.stdout.is_empty());
}

#[test]
fn json_has_the_design_shape() {
    let o = lint(&["--json", &conf("typos.conf"), &conf("seed-master.conf")]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["diagnostics", "files"]);
    assert_eq!(
        v["files"],
        serde_json::json!([conf("typos.conf"), conf("seed-master.conf")])
    );
    let d = v["diagnostics"].as_array().unwrap();
    assert!(!d.is_empty());
    for x in d {
        let mut keys: Vec<_> = x.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["code", "column", "file", "help", "line", "message", "severity"]
        );
        assert!(matches!(
            x["severity"].as_str(),
            Some("error" | "warning" | "note")
        ));
    }
    let first = d.iter().find(|x| x["code"] == "unknown-keyword").unwrap();
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(first["file"], conf("typos.conf"));
}

#[test]
fn alias_and_config_id() {
    let o = Command::new(bin("vrrpctl"))
        .args(["lint-config", "-i", "lb1", &conf("macros.conf")])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
