//! `vrrpctl simulate-failover` end to end (the built binary, no privileges needed): flags to
//! events, the exit codes, the JSON contract, the default drill, and the failover findings that
//! `vrrpctl lint` shows too.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn scen(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

fn confs(name: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(scen(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}

fn vrrpctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The exit code is `code`; else fail with what the command wrote to stderr.
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn crash_and_restart_from_flags() {
    let c = confs("two_nodes_preempt");
    let mut args = vec!["simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    args.extend(["--crash", "lb01@10s", "--start", "lb01@20s"]);
    let o = vrrpctl(&args);
    assert_exit(&o, 0);
    let t = text(&o);
    for want in [
        "» kill:lb01",
        "MASTER -> STOP",
        "node killed",
        "master down timer expired",
        "192.0.2.100",
        "preempt-on-return",
        "no master for 3.024 s",
    ] {
        assert!(t.contains(want), "{want} missing in:\n{t}");
    }
}

#[test]
fn split_brain_at_the_end_exits_1_and_json_has_the_contract_fields() {
    let c = confs("firewall_split_brain");
    let mut args = vec!["--json", "simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    args.extend(["--block-vrrp", "lb02@5s", "--until", "20s"]);
    let o = vrrpctl(&args);
    assert_eq!(o.status.code(), Some(1));
    let v = json_of(&o);
    let ev = v["events"].as_array().unwrap();
    for k in ["t_ms", "node", "instance", "from", "to", "reason"] {
        assert!(ev[0].get(k).is_some(), "{k} missing: {}", ev[0]);
    }
    assert_eq!(
        v["final"]["VI_1"]["master"],
        serde_json::json!(["lb01", "lb02"])
    );
    assert_eq!(v["final"]["VI_1"]["owner"], Value::Null);
    let w = v["warnings"].as_array().unwrap();
    let sb = w
        .iter()
        .find(|w| w["code"] == "split-brain")
        .expect("split brain");
    assert_eq!(sb["severity"], "error");
    assert!(sb["duration_ms"].as_f64().unwrap() > 10_000.0, "{sb}");
    // Healing it in time ends well: exit 0.
    let mut args = vec!["simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    args.extend(["--block-vrrp", "lb02@5s", "--unblock-vrrp", "lb02@15s"]);
    assert_eq!(vrrpctl(&args).status.code(), Some(0));
}

#[test]
fn partition_and_heal_flags() {
    let c = confs("three_nodes_weights");
    let mut args = vec!["--json", "simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    args.extend(["--partition", "n1|n2,n3@5s", "--heal", "@15s"]);
    let o = vrrpctl(&args);
    assert_eq!(o.status.code(), Some(0));
    let v = json_of(&o);
    assert_eq!(
        v["steps"],
        serde_json::json!(["partition:n1/n2,n3@5000ms", "heal@15000ms"])
    );
    assert!(
        v["split_brains"].as_array().unwrap().len() == 1,
        "{}",
        v["split_brains"]
    );
    assert_eq!(v["final"]["VI_1"]["owner"], "n1");
}

#[test]
fn scenario_directory_runs_as_the_test_suite_does() {
    let d = scen("nopreempt_both");
    let o = vrrpctl(&["simulate-failover", "--scenario", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let t = text(&o);
    assert!(t.contains("» script-fail:A:check_dns"), "{t}");
    assert!(t.contains("weight-cannot-move-master"), "{t}");
}

#[test]
fn without_events_a_drill_crashes_each_node_and_fails_each_tracker() {
    let c = confs("three_nodes_weights");
    let mut args = vec!["--json", "simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    let o = vrrpctl(&args);
    assert_eq!(o.status.code(), Some(0));
    let v = json_of(&o);
    let rows = v["drill"].as_array().unwrap();
    let steps: Vec<&str> = rows.iter().map(|r| r["step"].as_str().unwrap()).collect();
    for want in [
        "crash n1",
        "restart n1",
        "crash n3",
        "fail chk_haproxy on n1",
        "recover chk_haproxy on n3",
    ] {
        assert!(steps.contains(&want), "{want} not in {steps:?}");
    }
    let crash = &rows[0];
    assert_eq!(crash["before"], serde_json::json!(["n1"]));
    assert_eq!(crash["after"], serde_json::json!(["n2"]));
    let took = crash["takeover_ms"].as_f64().unwrap();
    // v2, interval 1 s, n2 priority 140: Master_Down_Interval = 3 s + 116/256 s after n1's last
    // advert, which was at most one interval before the crash.
    assert!((2_453.0..=3_454.0).contains(&took), "{took}");
    assert_eq!(crash["downtime_ms"], crash["takeover_ms"]);
    let fail = rows
        .iter()
        .find(|r| r["step"] == "fail chk_haproxy on n1")
        .unwrap();
    assert_eq!(fail["after"], serde_json::json!(["n2"]));
    // Text mode prints the same as a table.
    let mut args = vec!["simulate-failover"];
    args.extend(c.iter().map(String::as_str));
    let t = text(&vrrpctl(&args));
    assert!(
        t.contains("drill step") && t.contains("fail chk_haproxy on n2"),
        "{t}"
    );
}

#[test]
fn bad_input_is_one_sentence_and_exit_2() {
    let c = confs("two_nodes_preempt");
    for (flag, value, want) in [
        ("--crash", "nobody@5s", "no node named nobody"),
        ("--crash", "lb01", "has no time"),
        ("--crash", "lb01@soon", "not a duration"),
        ("--script-fail", "lb01:nope@5s", "no tracker named nope"),
        (
            "--link-down",
            "lb01:eth9@5s",
            "no instance on interface eth9",
        ),
        ("--loss", "150", "percentage"),
    ] {
        let mut args = vec!["simulate-failover"];
        args.extend(c.iter().map(String::as_str));
        args.extend([flag, value]);
        let o = vrrpctl(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(want), "{flag} {value}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = vrrpctl(&["simulate-failover", "/nonexistent/a.conf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/a.conf"));
}

#[test]
fn lint_shows_the_same_failover_findings() {
    let c = confs("nopreempt_both");
    let mut args = vec!["--json", "lint"];
    args.extend(c.iter().map(String::as_str));
    let v = json_of(&vrrpctl(&args));
    let d = v["diagnostics"].as_array().unwrap();
    let w = d
        .iter()
        .find(|d| d["code"] == "weight-cannot-move-master")
        .expect("lint shows it");
    let mut args = vec!["--json", "simulate-failover", "--until", "5s"];
    args.extend(c.iter().map(String::as_str));
    let s = json_of(&vrrpctl(&args));
    let sw = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "weight-cannot-move-master")
        .expect("simulate shows it");
    assert_eq!(w["message"], sw["message"]);
}

#[test]
fn a_weight_smaller_than_the_gap_is_named_with_the_gap() {
    let dir = common::tempdir();
    let node = |name: &str, prio: u8, weight: i32| {
        let p = dir.path().join(format!("{name}.conf"));
        std::fs::write(
            &p,
            format!(
                "global_defs {{\n  router_id {name}\n}}\nvrrp_script chk {{\n  script \"/bin/true\"\n  weight {weight}\n}}\nvrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 7\n  priority {prio}\n  track_script {{\n    chk\n  }}\n  virtual_ipaddress {{\n    192.0.2.7\n  }}\n}}\n"
            ),
        )
        .unwrap();
        p.display().to_string()
    };
    let (a, b) = (node("a", 103, -2), node("b", 100, -2));
    let v = json_of(&vrrpctl(&["--json", "lint", &a, &b]));
    let d = v["diagnostics"].as_array().unwrap();
    let w = d
        .iter()
        .find(|d| d["code"] == "weight-cannot-move-master")
        .unwrap_or_else(|| panic!("{d:?}"));
    let m = w["message"].as_str().unwrap();
    assert!(
        m.contains("drops from 103 to 101, not below b's 100"),
        "{m}"
    );
    assert!(m.contains("gap to close is 3"), "{m}");
    assert!(w["help"].as_str().unwrap().contains("at least 4"), "{w}");
    // A weight that closes the gap draws no such warning, and the simulation agrees.
    let (a, b) = (node("a", 103, -4), node("b", 100, -2));
    let v = json_of(&vrrpctl(&["--json", "lint", &a, &b]));
    assert!(v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["code"] != "weight-cannot-move-master"));
    let s = json_of(&vrrpctl(&[
        "--json",
        "simulate-failover",
        &a,
        &b,
        "--script-fail",
        "a:chk@10s",
    ]));
    assert_eq!(s["final"]["VI_1"]["owner"], "b");
}

#[test]
fn demote_and_restore_flags_move_the_vip_and_back() {
    let c = confs("two_nodes_preempt");
    let mut args = vec!["simulate-failover", "--json"];
    args.extend(c.iter().map(String::as_str));
    args.extend(["--demote", "lb01:VI_1@10s", "--restore", "lb01@20s"]);
    let o = vrrpctl(&args);
    assert_exit(&o, 0);
    let v = json_of(&o);
    let masters: Vec<(f64, &str)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "MASTER")
        .map(|e| (e["t_ms"].as_f64().unwrap(), e["node"].as_str().unwrap()))
        .collect();
    // lb01 first, lb02 within a Skew_Time of the priority-0 advert at 10 s, lb01 after 20 s.
    assert_eq!(masters.len(), 3, "{masters:?}");
    assert_eq!(masters[1].1, "lb02");
    assert!(
        masters[1].0 > 10_000.0 && masters[1].0 < 11_000.0,
        "{masters:?}"
    );
    assert_eq!(masters[2].1, "lb01");
    assert!(masters[2].0 > 20_000.0, "{masters:?}");
    assert_eq!(v["steps"][0], "demote:lb01/VI_1@10000ms");
}

#[test]
fn a_node_marked_keepalived_is_named_so_and_cannot_be_demoted() {
    let c = confs("two_nodes_preempt");
    let marked = format!("{}=keepalived", c[1]);
    let o = vrrpctl(&[
        "simulate-failover",
        "--json",
        &c[0],
        &marked,
        "--crash",
        "lb01@10s",
    ]);
    assert_exit(&o, 0);
    let v = json_of(&o);
    let sources: Vec<(&str, &str)> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap(), n["source"].as_str().unwrap()))
        .collect();
    assert_eq!(sources, vec![("lb01", "vrrpd"), ("lb02", "keepalived")]);
    // The same with --keepalived NODE, on a terminal-less text run.
    let o = vrrpctl(&[
        "simulate-failover",
        &c[0],
        &c[1],
        "--keepalived",
        "lb02",
        "--crash",
        "lb01@10s",
    ]);
    assert!(
        text(&o).contains("lb02 (keepalived, 192.0.2.2)"),
        "{}",
        text(&o)
    );
    // keepalived has no demote.
    let o = vrrpctl(&["simulate-failover", &c[0], &marked, "--demote", "lb02@5s"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("runs keepalived, which has no demote"),
        "{err}"
    );
    let o = vrrpctl(&["simulate-failover", &c[0], &c[1], "--keepalived", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn keywords_vrrpd_does_not_run_are_findings_for_vrrpd_nodes_only() {
    let dir = tempfile::tempdir().unwrap();
    let conf = |name: &str, prio: u32| {
        let p = dir.path().join(format!("{name}.conf"));
        std::fs::write(&p, format!("global_defs {{\n router_id {name}\n default_interface eth0\n enable_snmp_vrrp\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority {prio}\n virtual_ipaddress {{\n  192.0.2.100\n }}\n}}\n")).unwrap();
        p.display().to_string()
    };
    let (a, b) = (conf("a", 150), conf("b", 100));
    let marked = format!("{b}=keepalived");
    let o = vrrpctl(&[
        "simulate-failover",
        "--json",
        &a,
        &marked,
        "--crash",
        "a@10s",
    ]);
    let v = json_of(&o);
    let notes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "not-run-by-vrrpd")
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("node a (vrrpd):"), "{notes:?}");
}
