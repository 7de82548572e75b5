//! `vrrpctl status` exit codes against a real vrrpd (0 fine, 1 while an instance is in FAULT
//! because a tracked interface went down, 2 once the daemon is gone), and `demote` of one
//! member of a vrrp_sync_group beside keepalived: keepalived moves a sync group as one (a
//! member that goes BACKUP takes the others with it, vrrp_sync.c), so demoting a member
//! demotes its group - every member hands over to the peer and is held in BACKUP, and
//! restoring any member restores them all. And keepalived's wantstate beside vrrpd's, while a
//! `state MASTER` instance waits out its Master_Down_Interval in BACKUP.

mod common;
use common::daemon::*;
use common::*;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn status(socket: &Path) -> (Option<i32>, Value) {
    let o = vrrpctl(&["--json", "status", "--socket", socket.to_str().unwrap()]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v)
}

fn state_of(v: &Value, name: &str) -> String {
    v["instances"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .map(|i| i["state"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn status_exits_1_in_fault_0_when_it_clears_and_2_without_a_daemon() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("sx", false);
    let dir = tempdir();
    // A veth pair (the dummy module is not always there); trk0 is the tracked end.
    lan.hosts[0].exec(&[
        "ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
    ]);
    lan.hosts[0].exec(&["ip", "link", "set", "trk1", "up"]);
    lan.hosts[0].exec(&["ip", "link", "set", "trk0", "up"]);
    let mut conf = InstanceConf::v3(150, "192.0.2.100/24");
    conf.state = "MASTER";
    conf.extra = vec!["track_interface {\n    trk0\n  }".into()];
    let (vrrpd, proc) = Vrrpd::start(&mut lan.hosts[0], dir.path(), &conf.file("A"));
    let pid = proc.pid();
    vrrpd.wait_socket();
    let (code, v) = wait_for(Duration::from_secs(3), || {
        let (c, v) = status(&vrrpd.socket);
        (state_of(&v, "VI_1") == "MASTER").then_some((c, v))
    })
    .unwrap_or_else(|| panic!("never MASTER: {}", vrrpd.log()));
    assert_eq!(code, Some(0), "{v}");

    lan.hosts[0].exec(&["ip", "link", "set", "trk0", "down"]);
    let (code, v) = wait_for(Duration::from_secs(3), || {
        let (c, v) = status(&vrrpd.socket);
        (state_of(&v, "VI_1") == "FAULT").then_some((c, v))
    })
    .unwrap_or_else(|| panic!("never FAULT: {}", vrrpd.log()));
    assert_eq!(code, Some(1), "status in FAULT must exit 1: {v}");
    let o = vrrpctl(&["status", "--socket", vrrpd.socket.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("FAULT"), "{}", out(&o));

    lan.hosts[0].exec(&["ip", "link", "set", "trk0", "up"]);
    let code = wait_for(Duration::from_secs(3), || {
        let (c, v) = status(&vrrpd.socket);
        (state_of(&v, "VI_1") != "FAULT").then_some(c)
    })
    .unwrap_or_else(|| panic!("FAULT never cleared: {}", vrrpd.log()));
    assert_eq!(code, Some(0));

    // SAFETY: kill(2) on the vrrpd this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(
        lan.hosts[0].wait_pid(pid, Duration::from_secs(3)),
        "vrrpd did not stop"
    );
    let o = vrrpctl(&[
        "status",
        "--socket",
        vrrpd.socket.to_str().unwrap(),
        "--keepalived-pid",
        dir.path().join("no-keepalived.pid").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("vrrpd is not running"), "{}", out(&o));
}

/// Two instances in SG1, VRRPv3 at 0.1 s: `prio` on this node.
fn group_conf(router_id: &str, prio: u8) -> String {
    let inst = |name: &str, vrid: u8, vip: &str| {
        format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  version 3\n  priority {prio}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        )
    };
    format!(
        "global_defs {{\n  router_id {router_id}\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 1\n}}\nvrrp_sync_group SG1 {{\n  group {{\n    VI_1\n    VI_2\n  }}\n}}\n{}{}",
        inst("VI_1", 51, "192.0.2.100/24"),
        inst("VI_2", 52, "192.0.2.101/24")
    )
}

#[test]
fn demoting_a_sync_group_member_hands_the_whole_group_over_until_restore() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("sg", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let _ka = Keepalived::start(&mut lan.hosts[0], &kd, &group_conf("A", 100)).0;
    for vip in ["192.0.2.100", "192.0.2.101"] {
        assert!(
            wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(5)).is_some(),
            "keepalived never took {vip}"
        );
    }
    let vrrpd = Vrrpd::start(&mut lan.hosts[1], &vd, &group_conf("B", 150)).0;
    vrrpd.wait_socket();
    // vrrpd preempts both (higher priority).
    for vip in ["192.0.2.100", "192.0.2.101"] {
        assert!(
            wait_addr(&lan.hosts[1], vip, true, Duration::from_secs(3)).is_some(),
            "vrrpd never took {vip}: {}",
            vrrpd.log()
        );
    }
    let sock = vrrpd.socket.to_str().unwrap();
    let log_before = vrrpd.log().len();
    let o = vrrpctl(&[
        "demote",
        "VI_1",
        "--reason",
        "kernel update",
        "--socket",
        sock,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The reply names the whole group.
    assert!(
        out(&o).contains("VI_1: demoted") && out(&o).contains("VI_2: demoted"),
        "{}",
        out(&o)
    );
    // Both members go to keepalived, not only VI_1.
    for vip in ["192.0.2.100", "192.0.2.101"] {
        assert!(
            wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(2)).is_some(),
            "{vip} did not move to keepalived: {}",
            vrrpd.log()
        );
        assert!(
            wait_addr(&lan.hosts[1], vip, false, Duration::from_secs(1)).is_some(),
            "vrrpd kept {vip}"
        );
    }
    // And they stay there: VI_2 (priority 150 against 100) does not preempt back.
    std::thread::sleep(Duration::from_millis(800));
    let (_, v) = status(&vrrpd.socket);
    for name in ["VI_1", "VI_2"] {
        let i = v["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap();
        assert_eq!(i["state"], "BACKUP", "{v}");
        assert!(
            i["demoted"]
                .as_str()
                .is_some_and(|r| r.contains("kernel update")),
            "{name} not shown demoted: {v}"
        );
    }
    assert!(!has_addr(&lan.hosts[1], "192.0.2.101"), "VI_2 came back");
    assert!(
        !vrrpd.log()[log_before..].contains("-> MASTER"),
        "a demoted member became master again: {}",
        vrrpd.log()
    );

    // Restoring the other member restores the group; both come back (preempt).
    let o = vrrpctl(&["restore", "VI_2", "--socket", sock]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for vip in ["192.0.2.100", "192.0.2.101"] {
        assert!(
            wait_addr(&lan.hosts[1], vip, true, Duration::from_secs(3)).is_some(),
            "vrrpd did not take {vip} back after restore: {}",
            vrrpd.log()
        );
    }
    let (_, v) = status(&vrrpd.socket);
    assert!(
        v["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["demoted"].is_null()),
        "{v}"
    );
}

/// keepalived's wantstate beside vrrpd's: a non-owner `state MASTER` instance alone on its
/// VRID starts in BACKUP wanting MASTER (keepalived's JSON dump: state 1, wantstate 2) until
/// its Master_Down_Interval runs out; then both are MASTER. vrrpd's status says the same, in
/// JSON and as "BACKUP (wants MASTER)" in the table.
#[test]
fn wantstate_matches_keepalived_while_a_state_master_instance_waits_in_backup() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("sw", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    // Different VRIDs: each is alone, so each waits its whole Master_Down_Interval (3.6 s).
    let mut ka_conf = InstanceConf::v3(100, "192.0.2.100/24");
    ka_conf.state = "MASTER";
    ka_conf.advert_int = "1";
    let mut vd_conf = ka_conf.clone();
    vd_conf.vrid = 52;
    vd_conf.vips = vec!["192.0.2.101/24"];
    // Each daemon is asked right after its own start: its 3.6 s in BACKUP are its own.
    let _ka = Keepalived::start(&mut lan.hosts[0], &kd, &ka_conf.file("A")).0;
    let ka_pid = kd.join("keepalived.pid");
    let none = dir.path().join("no-vrrpd.sock");
    let ka_status = || {
        let o = vrrpctl(&[
            "--json",
            "status",
            "--socket",
            none.to_str().unwrap(),
            "--keepalived-pid",
            ka_pid.to_str().unwrap(),
        ]);
        serde_json::from_slice::<Value>(&o.stdout).unwrap_or(Value::Null)["instances"][0].clone()
    };
    let pair = |v: &Value| (v["state"].clone(), v["wantstate"].clone());
    let waiting = (Value::from("BACKUP"), Value::from("MASTER"));
    let k = wait_for(Duration::from_secs(3), || {
        let k = ka_status();
        (k["state"] == "BACKUP").then_some(k)
    })
    .unwrap_or_else(|| panic!("keepalived not in BACKUP: {}", ka_status()));
    assert_eq!(pair(&k), waiting, "keepalived: {k}");
    let vrrpd = Vrrpd::start(&mut lan.hosts[1], &vd, &vd_conf.file("B")).0;
    vrrpd.wait_socket();
    let (_, v) = status(&vrrpd.socket);
    assert_eq!(pair(&v["instances"][0]), waiting, "vrrpd: {v}");
    let o = vrrpctl(&["status", "--socket", vrrpd.socket.to_str().unwrap()]);
    assert!(out(&o).contains("BACKUP (wants MASTER)"), "{}", out(&o));

    // Both take over when their timers run out, and then want what they are.
    let mastered = (Value::from("MASTER"), Value::from("MASTER"));
    let k = wait_for(Duration::from_secs(6), || {
        let k = ka_status();
        (k["state"] == "MASTER").then_some(k)
    })
    .unwrap_or_else(|| panic!("keepalived never MASTER: {}", ka_status()));
    assert_eq!(pair(&k), mastered, "keepalived: {k}");
    let v = wait_for(Duration::from_secs(3), || {
        let (_, v) = status(&vrrpd.socket);
        (v["instances"][0]["state"] == "MASTER").then_some(v)
    })
    .unwrap_or_else(|| panic!("vrrpd never MASTER: {}", vrrpd.log()));
    assert_eq!(pair(&v["instances"][0]), mastered, "vrrpd: {v}");
}
