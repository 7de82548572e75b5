//! vrrpd beside real keepalived on one LAN (namespaces, a bridge, a third host watching ARP):
//! VRRPv3 over IPv4 multicast with 0.1 s adverts. Each side is master once and is killed
//! (SIGKILL, no goodbye); the other must own the VIP within Master_Down_Interval (generous
//! margin) and the third host's ARP entry for the VIP must move to the new master's MAC.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";

/// Master_Down_Interval of a v3 backup with `prio` and 0.1 s adverts: 3 x 100 ms + skew.
fn master_down(prio: u8) -> Duration {
    Duration::from_micros(300_000 + (256 - prio as u64) * 100_000 / 256)
}

/// Three hosts: 0 runs the first daemon, 1 the second, 2 only watches.
fn lan() -> Lan {
    let lan = Lan::new("dm", 3);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    lan.addr(2, "192.0.2.3/24");
    lan
}

/// Host 2 learns the VIP's MAC with one ping.
fn learn_vip_mac(lan: &Lan) -> Option<String> {
    wait_for(Duration::from_secs(3), || {
        let _ = lan.hosts[2].try_exec(&["ping", "-c", "1", "-W", "1", VIP]);
        neigh_mac(&lan.hosts[2], VIP)
    })
}

/// Wait until `master` holds the VIP and `backup` does not, and it stays so for a second.
fn converge(lan: &Lan, master: usize, backup: usize) {
    assert!(
        wait_addr(&lan.hosts[master], VIP, true, Duration::from_secs(5)).is_some(),
        "host {master} never got the VIP"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        has_addr(&lan.hosts[master], VIP),
        "host {master} lost the VIP"
    );
    assert!(
        !has_addr(&lan.hosts[backup], VIP),
        "both hosts hold the VIP (split brain)"
    );
}

#[test]
fn vrrpd_master_keepalived_backup_v3_ipv4_sigkill() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan();
    let dir = tempdir();
    let (vd, kd) = (dir.path().join("vrrpd"), dir.path().join("ka"));
    std::fs::create_dir_all(&vd).unwrap();
    std::fs::create_dir_all(&kd).unwrap();

    let (vrrpd, pid) = {
        let (v, p) = Vrrpd::start(
            &mut lan.hosts[0],
            &vd,
            &InstanceConf::v3(150, "192.0.2.100/24").file("A"),
        );
        (v, p.pid())
    };
    let ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, "192.0.2.100/24").file("B"),
    )
    .0;
    converge(&lan, 0, 1);
    assert!(
        vrrpd.log().contains("VI_1: BACKUP -> MASTER"),
        "{}",
        vrrpd.log()
    );
    assert!(ka.log().contains("Entering BACKUP STATE"), "{}", ka.log());
    assert!(!ka.log().contains("Entering MASTER STATE"), "{}", ka.log());

    let mac0 = lan.hosts[0].mac("eth0");
    let mac1 = lan.hosts[1].mac("eth0");
    assert_eq!(learn_vip_mac(&lan).as_deref(), Some(mac0.as_str()));

    sigkill(pid);
    let took = wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3))
        .expect("keepalived never took the VIP over");
    let mdi = master_down(100);
    assert!(
        took <= mdi + Duration::from_millis(400),
        "takeover after {took:?}, Master_Down_Interval {mdi:?}"
    );
    assert!(
        took + Duration::from_millis(150) >= mdi,
        "takeover after {took:?} is earlier than Master_Down_Interval {mdi:?} allows"
    );
    let moved = wait_for(Duration::from_secs(2), || {
        (neigh_mac(&lan.hosts[2], VIP).as_deref() == Some(mac1.as_str())).then_some(())
    });
    assert!(
        moved.is_some(),
        "ARP entry for the VIP did not move to keepalived's MAC"
    );
}

#[test]
fn keepalived_master_vrrpd_backup_v3_ipv4_sigkill() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan();
    let dir = tempdir();
    let (vd, kd) = (dir.path().join("vrrpd"), dir.path().join("ka"));
    std::fs::create_dir_all(&vd).unwrap();
    std::fs::create_dir_all(&kd).unwrap();

    let ka = Keepalived::start(
        &mut lan.hosts[0],
        &kd,
        &InstanceConf::v3(150, "192.0.2.100/24").file("A"),
    )
    .0;
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master alone"
    );
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[1],
        &vd,
        &InstanceConf::v3(100, "192.0.2.100/24").file("B"),
    )
    .0;
    converge(&lan, 0, 1);
    assert!(
        vrrpd.log().contains("VI_1: INIT -> BACKUP"),
        "{}",
        vrrpd.log()
    );
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());

    let mac0 = lan.hosts[0].mac("eth0");
    let mac1 = lan.hosts[1].mac("eth0");
    assert_eq!(learn_vip_mac(&lan).as_deref(), Some(mac0.as_str()));

    // The VRRP child first, so that the parent cannot make it say goodbye.
    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    sigkill(child);
    let took = wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3))
        .expect("vrrpd never took the VIP over");
    let mdi = master_down(100);
    assert!(
        took <= mdi + Duration::from_millis(400),
        "takeover after {took:?}, Master_Down_Interval {mdi:?}"
    );
    assert!(
        took + Duration::from_millis(150) >= mdi,
        "takeover after {took:?} is earlier than Master_Down_Interval {mdi:?} allows"
    );
    assert!(
        vrrpd
            .log()
            .contains("VI_1: BACKUP -> MASTER (master down timer expired, prio 100)"),
        "{}",
        vrrpd.log()
    );
    let moved = wait_for(Duration::from_secs(2), || {
        (neigh_mac(&lan.hosts[2], VIP).as_deref() == Some(mac1.as_str())).then_some(())
    });
    assert!(
        moved.is_some(),
        "ARP entry for the VIP did not move to vrrpd's MAC (GARP)"
    );
}
