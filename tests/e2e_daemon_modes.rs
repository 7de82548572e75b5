//! vrrpd beside real keepalived in the other protocol modes: VRRPv2 with PASS authentication,
//! VRRPv3 over IPv6 (unsolicited NA instead of GARP), and unicast peers. Both sides must agree on
//! one master, and each side must take over from the other.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const MARGIN: Duration = Duration::from_millis(400);

#[test]
fn v2_pass_vrrpd_master_then_sigterm_hands_over_to_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("dv", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let vip = "192.0.2.100";
    // `state MASTER` below 255 outside a sync group: master after the full down timer (3.4 s),
    // as keepalived; keepalived (100) would wait 3.6 s, so vrrpd wins.
    let mut a = InstanceConf::v2_pass(150, "192.0.2.100/24", "secret12");
    a.state = "MASTER";
    let (vrrpd, pid) = {
        let (v, p) = Vrrpd::start(&mut lan.hosts[0], &vd, &a.file("A"));
        (v, p.pid())
    };
    let ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v2_pass(100, "192.0.2.100/24", "secret12").file("B"),
    )
    .0;
    converge(&lan, vip, 0, 1, Duration::from_secs(2));
    assert!(ka.log().contains("Entering BACKUP STATE"), "{}", ka.log());
    assert!(!ka.log().contains("Entering MASTER STATE"), "{}", ka.log());
    assert!(!ka.log().contains("invalid passwd"), "{}", ka.log());

    // SIGTERM: the VIP goes at once, keepalived takes over after Skew_Time (v2: 156/256 s).
    let t0 = std::time::Instant::now();
    // SAFETY: kill(2) on the vrrpd this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(
        wait_addr(&lan.hosts[0], vip, false, Duration::from_millis(500)).is_some(),
        "vrrpd kept the VIP after SIGTERM"
    );
    wait_addr(&lan.hosts[1], vip, true, Duration::from_secs(3)).expect("keepalived took over");
    let took = t0.elapsed();
    let skew = Duration::from_micros(156 * 1_000_000 / 256);
    assert!(
        took <= skew + MARGIN,
        "handover after {took:?}, Skew_Time {skew:?}"
    );
    assert!(
        vrrpd.log().contains("VI_1: MASTER -> STOP (shutdown"),
        "{}",
        vrrpd.log()
    );
    assert!(ka.log().contains("priority 0"), "{}", ka.log());
}

#[test]
fn v2_wrong_password_is_counted_as_auth_failure() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("dp", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let mut a = InstanceConf::v2_pass(100, "192.0.2.100/24", "secret12");
    a.state = "MASTER";
    let mut b = InstanceConf::v2_pass(150, "192.0.2.100/24", "wrongpw!");
    b.state = "MASTER";
    let pid = Vrrpd::start(&mut lan.hosts[0], &vd, &a.file("A")).1.pid();
    let _ka = Keepalived::start(&mut lan.hosts[1], &kd, &b.file("B")).0;
    // Neither accepts the other's adverts: both end up master (the split brain keepalived has too).
    assert!(wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(5)).is_some());
    assert!(wait_addr(&lan.hosts[1], "192.0.2.100", true, Duration::from_secs(5)).is_some());
    std::thread::sleep(Duration::from_secs(1));
    // SAFETY: kill(2) on the vrrpd this test started.
    unsafe { libc::kill(pid, libc::SIGUSR2) };
    let stats = vd.join("keepalived.stats");
    let text = wait_for(Duration::from_secs(2), || {
        std::fs::read_to_string(&stats).ok()
    })
    .expect("USR2 writes keepalived.stats in TMPDIR");
    let failures: u64 = text
        .split("Authentication Errors:")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.trim_start().starts_with("Failure:")))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Failure line");
    assert!(failures >= 1, "{text}");
    assert!(text.contains("VRRP Instance: VI_1"), "{text}");
}

#[test]
fn v3_ipv6_keepalived_master_vrrpd_takes_over_and_sends_na() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("d6", true);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let vip = "2001:db8::100";
    let (ka, ka_pid) = {
        let (k, p) = Keepalived::start(
            &mut lan.hosts[0],
            &kd,
            &InstanceConf::v3(150, "2001:db8::100/64").file("A"),
        );
        (k, p.pid())
    };
    assert!(wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(5)).is_some());
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[1],
        &vd,
        &InstanceConf::v3(100, "2001:db8::100/64").file("B"),
    )
    .0;
    converge(&lan, vip, 0, 1, Duration::from_secs(1));
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());
    let mac0 = lan.hosts[0].mac("eth0");
    let mac1 = lan.hosts[1].mac("eth0");
    assert_eq!(learn_mac(&lan, vip).as_deref(), Some(mac0.as_str()));

    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    let killed = std::time::Instant::now();
    sigkill(child);
    // And the parent, before it respawns the child.
    sigkill(ka_pid);
    let took = wait_addr_since(&lan.hosts[1], vip, true, killed, Duration::from_secs(3))
        .expect("vrrpd never took the IPv6 VIP over");
    let mdi = master_down_v3(100, 100);
    assert!(took <= mdi + MARGIN, "takeover after {took:?}, MDI {mdi:?}");
    assert!(
        wait_neigh(&lan, vip, &mac1, Duration::from_secs(2)),
        "neighbour entry for the VIP did not move to vrrpd's MAC (unsolicited NA)"
    );
}

#[test]
fn v3_ipv6_vrrpd_master_keepalived_backup() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("d7", true);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let vip = "2001:db8::100";
    let pid = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &InstanceConf::v3(150, "2001:db8::100/64").file("A"),
    )
    .1
    .pid();
    let ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, "2001:db8::100/64").file("B"),
    )
    .0;
    converge(&lan, vip, 0, 1, Duration::from_secs(1));
    assert!(!ka.log().contains("Entering MASTER STATE"), "{}", ka.log());
    let killed = std::time::Instant::now();
    sigkill(pid);
    let took = wait_addr_since(&lan.hosts[1], vip, true, killed, Duration::from_secs(3))
        .expect("keepalived never took the IPv6 VIP over");
    let mdi = master_down_v3(100, 100);
    assert!(took <= mdi + MARGIN, "takeover after {took:?}, MDI {mdi:?}");
}

fn unicast(prio: u8, me: u8, peer: u8) -> InstanceConf {
    InstanceConf {
        unicast_src: Some(format!("192.0.2.{me}")),
        unicast_peers: vec![format!("192.0.2.{peer}")],
        ..InstanceConf::v3(prio, "192.0.2.100/24")
    }
}

#[test]
fn v3_unicast_both_directions() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("du", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let vip = "192.0.2.100";
    // keepalived master first: vrrpd must accept its unicast adverts and stay backup.
    let (ka, ka_pid) = {
        let (k, p) = Keepalived::start(&mut lan.hosts[0], &kd, &unicast(150, 1, 2).file("A"));
        (k, p.pid())
    };
    assert!(wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(5)).is_some());
    let vrrpd = Vrrpd::start(&mut lan.hosts[1], &vd, &unicast(100, 2, 1).file("B")).0;
    converge(&lan, vip, 0, 1, Duration::from_secs(1));
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());

    // keepalived crashes: vrrpd takes over and keepalived, restarted with a lower priority,
    // must accept vrrpd's unicast adverts.
    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    let killed = std::time::Instant::now();
    sigkill(child);
    // And the parent, before it respawns the child.
    sigkill(ka_pid);
    let took = wait_addr_since(&lan.hosts[1], vip, true, killed, Duration::from_secs(3))
        .expect("vrrpd never took over");
    let mdi = master_down_v3(100, 100);
    assert!(took <= mdi + MARGIN, "takeover after {took:?}, MDI {mdi:?}");
    // The killed child left its VIP behind (no goodbye); clear it as a restart would.
    lan.hosts[0].exec(&["ip", "addr", "del", "192.0.2.100/24", "dev", "eth0"]);
    let kd2 = subdir(dir.path(), "ka2");
    let ka2 = Keepalived::start(&mut lan.hosts[0], &kd2, &unicast(50, 1, 2).file("A")).0;
    std::thread::sleep(Duration::from_secs(1));
    assert!(ka2.log().contains("Entering BACKUP STATE"), "{}", ka2.log());
    assert!(
        !ka2.log().contains("Entering MASTER STATE"),
        "{}",
        ka2.log()
    );
    assert!(has_addr(&lan.hosts[1], vip) && !has_addr(&lan.hosts[0], vip));
}
