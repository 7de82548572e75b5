//! track_interface and vrrp_sync_group end to end beside a real keepalived: a tracked uplink
//! going down puts vrrpd in FAULT and the VIP moves to keepalived, and back (preempting) when it
//! comes up; a sync group of two instances on two interfaces moves together when one of the
//! interfaces goes down, with the group's notify script told.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP2: &str = "198.51.100.100";

fn wait_log(v: &Vrrpd, needle: &str, timeout: Duration) -> bool {
    wait_for(timeout, || v.log().contains(needle).then_some(())).is_some()
}

#[test]
fn tracked_uplink_down_is_fault_and_the_vip_moves_then_comes_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("ti", false);
    // The uplink: one end of a veth pair inside the host (no dummy module needed).
    let h0 = &lan.hosts[0];
    h0.exec(&[
        "ip",
        "link",
        "add",
        "uplink",
        "type",
        "veth",
        "peer",
        "name",
        "uplink-far",
    ]);
    h0.exec(&["ip", "link", "set", "uplink-far", "up"]);
    h0.exec(&["ip", "link", "set", "uplink", "up"]);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, "192.0.2.100/24").file("B"),
    );
    let mut conf = InstanceConf::v3(150, "192.0.2.100/24");
    conf.extra.push("track_interface {\n    uplink\n  }".into());
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &conf.file("A")).0;
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));

    lan.hosts[0].exec(&["ip", "link", "set", "uplink", "down"]);
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: MASTER -> FAULT (fault: interface uplink is down",
            Duration::from_secs(3)
        ),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));

    lan.hosts[0].exec(&["ip", "link", "set", "uplink", "up"]);
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: FAULT -> BACKUP (fault cleared",
            Duration::from_secs(3)
        ),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
}

/// A second segment between hosts 0 and 1 (through its own bridge, so one host's link going
/// down leaves the other's up): eth1 with 198.51.100.N/24.
fn second_segment(lan: &Lan) {
    let sw = &lan.switch;
    sw.exec(&["ip", "link", "add", "br1", "type", "bridge"]);
    sw.exec(&["ip", "link", "set", "br1", "up"]);
    for i in 0..2 {
        let port = format!("q{i}");
        sw.exec(&[
            "ip",
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            "eth1",
            "netns",
            &lan.hosts[i].name,
        ]);
        sw.exec(&["ip", "link", "set", &port, "master", "br1", "up"]);
        let h = &lan.hosts[i];
        h.exec(&["ip", "link", "set", "eth1", "up"]);
        h.exec(&[
            "ip",
            "addr",
            "add",
            &format!("198.51.100.{}/24", i + 1),
            "dev",
            "eth1",
            "nodad",
        ]);
    }
}

fn two_instances(prio: u8, group: Option<&str>) -> String {
    let mut s =
        String::from("global_defs {\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 2\n}\n");
    if let Some(g) = group {
        s += &format!("vrrp_sync_group SG1 {{\n  group {{\n    VI_IN\n    VI_OUT\n  }}\n{g}}}\n");
    }
    for (name, dev, vrid, vip) in [
        ("VI_IN", "eth0", 51, "192.0.2.100/24"),
        ("VI_OUT", "eth1", 52, "198.51.100.100/24"),
    ] {
        s += &format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface {dev}\n  virtual_router_id {vrid}\n  version 3\n  priority {prio}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        );
    }
    s
}

#[test]
fn sync_group_moves_together_when_one_interface_goes_down() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("sg", false);
    second_segment(&lan);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let rec = vd.join("group.sh");
    std::fs::write(
        &rec,
        format!("#!/bin/sh\necho \"$@\" >> {}/group.txt\n", vd.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("0755")
        .arg(&rec)
        .status()
        .unwrap();
    let _ka = Keepalived::start(&mut lan.hosts[1], &kd, &two_instances(100, None));
    let group_extra = format!("  notify \"{}\"\n", rec.display());
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &two_instances(150, Some(&group_extra)),
    )
    .0;
    assert!(
        wait_addr_on(&lan.hosts[0], "eth0", VIP, true),
        "{}",
        vrrpd.log()
    );
    assert!(
        wait_addr_on(&lan.hosts[0], "eth1", VIP2, true),
        "{}",
        vrrpd.log()
    );

    // eth1 down on vrrpd's host: VI_OUT faults and takes VI_IN with it, although eth0 is fine.
    lan.hosts[0].exec(&["ip", "link", "set", "eth1", "down"]);
    assert!(
        wait_log(
            &vrrpd,
            "VI_IN: MASTER -> FAULT (fault: sync group SG1: VI_OUT is in FAULT",
            Duration::from_secs(3)
        ),
        "{}",
        vrrpd.log()
    );
    assert!(wait_addr_on(&lan.hosts[1], "eth0", VIP, true));
    assert!(wait_addr_on(&lan.hosts[1], "eth1", VIP2, true));
    assert!(!has_addr_on(&lan.hosts[0], "eth0", VIP));

    lan.hosts[0].exec(&["ip", "link", "set", "eth1", "up"]);
    assert!(
        wait_addr_on(&lan.hosts[0], "eth0", VIP, true),
        "{}",
        vrrpd.log()
    );
    assert!(
        wait_addr_on(&lan.hosts[0], "eth1", VIP2, true),
        "{}",
        vrrpd.log()
    );
    assert!(wait_addr_on(&lan.hosts[1], "eth0", VIP, false));
    let lines = wait_for(Duration::from_secs(3), || {
        let t = std::fs::read_to_string(vd.join("group.txt")).unwrap_or_default();
        (t.lines().count() >= 5).then_some(t)
    })
    .unwrap_or_default();
    assert_eq!(
        lines,
        "GROUP SG1 BACKUP 0\nGROUP SG1 MASTER 0\nGROUP SG1 FAULT 0\nGROUP SG1 BACKUP 0\nGROUP SG1 MASTER 0\n",
        "{}",
        vrrpd.log()
    );
}

/// What host 0 shows in `sync_group_member_held_scenario`: (VIP on eth0, VIP2 on eth1, the
/// group's notify lines) while eth0's adverts are dropped, then after the peer is killed.
type Held = ((bool, bool, String), (bool, bool, String));

/// The peer (keepalived, priority 200) is master of both members of SG1; then the switch drops
/// every VRRP packet on eth0's segment. Host 0's VI_IN no longer hears its master and its
/// Master_Down_Timer expires again and again, but VI_OUT still hears the peer: keepalived keeps
/// the whole group in BACKUP (vrrp_sync_can_goto_master). When the peer dies, the group goes
/// MASTER together.
fn sync_group_member_held_scenario(daemon: Daemon, tag: &str) -> Held {
    use common::notify::{write_script, Node};
    let mut lan = lan3(tag, false);
    second_segment(&lan);
    let dir = tempdir();
    let (ad, kd) = (subdir(dir.path(), "a"), subdir(dir.path(), "ka"));
    let rec = ad.join("group.sh");
    write_script(
        &rec,
        &format!("echo \"$@\" >> {}/group.txt\n", ad.display()),
    );
    let (_ka, ka_pid) = {
        let (k, p) = Keepalived::start(&mut lan.hosts[1], &kd, &two_instances(200, Some("")));
        (k, p.pid())
    };
    assert!(wait_addr_on(&lan.hosts[1], "eth0", VIP, true));
    assert!(wait_addr_on(&lan.hosts[1], "eth1", VIP2, true));
    let group_extra = format!("  notify \"{}\"\n", rec.display());
    let a = Node::start(
        daemon,
        &mut lan.hosts[0],
        &ad,
        &two_instances(100, Some(&group_extra)),
    );
    std::thread::sleep(Duration::from_secs(1));
    let sw = &lan.switch;
    // Every VRRP packet through the switch except on eth1's segment (ports q0 and q1).
    sw.exec(&["nft", "add", "table", "bridge", "cut"]);
    sw.exec(&[
        "nft",
        "add chain bridge cut forward_vrrp { type filter hook forward priority 0; policy accept; }",
    ]);
    sw.exec(&[
        "nft",
        "add rule bridge cut forward_vrrp iifname != { \"q0\", \"q1\" } ip protocol 112 drop",
    ]);
    // Five of VI_IN's Master_Down_Intervals (0.361 s).
    std::thread::sleep(Duration::from_secs(2));
    let lines = || std::fs::read_to_string(ad.join("group.txt")).unwrap_or_default();
    let h0 = &lan.hosts[0];
    let held = (
        has_addr_on(h0, "eth0", VIP),
        has_addr_on(h0, "eth1", VIP2),
        lines(),
    );
    let child = wait_for(Duration::from_secs(2), || _ka.vrrp_child_pid()).expect("vrrp child pid");
    sigkill(child);
    sigkill(ka_pid);
    wait_addr_on(h0, "eth1", VIP2, true);
    wait_addr_on(h0, "eth0", VIP, true);
    let after = wait_for(Duration::from_secs(3), || {
        let t = lines();
        (t.lines().count() >= 2).then_some(t)
    })
    .unwrap_or_else(lines);
    let taken = (
        has_addr_on(h0, "eth0", VIP),
        has_addr_on(h0, "eth1", VIP2),
        after,
    );
    a.stop();
    assert!(
        lan.hosts[0].wait_pid(a.pid, Duration::from_secs(5)),
        "{daemon:?} did not stop"
    );
    (held, taken)
}

#[test]
fn a_sync_group_member_that_loses_its_master_waits_for_the_group_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let theirs = sync_group_member_held_scenario(Daemon::Keepalived, "sgk");
    assert_eq!(
        theirs,
        (
            (false, false, "GROUP SG1 BACKUP 0\n".to_string()),
            (
                true,
                true,
                "GROUP SG1 BACKUP 0\nGROUP SG1 MASTER 0\n".to_string()
            )
        ),
        "keepalived"
    );
    let ours = sync_group_member_held_scenario(Daemon::Vrrpd, "sgv");
    assert_eq!(ours, theirs, "vrrpd (left) vs keepalived (right)");
}
