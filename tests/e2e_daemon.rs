//! vrrpd beside real keepalived on one LAN (namespaces, a bridge, a third host watching ARP):
//! VRRPv3 over IPv4 multicast with 0.1 s adverts. Each side is master once and is killed
//! (SIGKILL, no goodbye); the other must own the VIP within Master_Down_Interval (generous
//! margin) and the third host's ARP entry for the VIP must move to the new master's MAC.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";
const HOLD: Duration = Duration::from_secs(1);
/// Polling, process start-up and a loaded 2-core machine, on top of the protocol's own time.
const MARGIN: Duration = Duration::from_millis(400);

/// The takeover time measured from the kill lies in [MDI - one advert, MDI] plus our margin.
fn assert_takeover(took: Duration, prio: u8) {
    let mdi = master_down_v3(prio, 100);
    assert!(
        took <= mdi + MARGIN,
        "takeover after {took:?}, Master_Down_Interval {mdi:?}"
    );
    assert!(
        took + Duration::from_millis(150) >= mdi,
        "takeover after {took:?} is earlier than Master_Down_Interval {mdi:?} allows"
    );
}

#[test]
fn vrrpd_master_keepalived_backup_v3_ipv4_sigkill() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("dm", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let (vrrpd, pid) = {
        let (v, p) = Vrrpd::start(
            &mut lan.hosts[0],
            &vd,
            &InstanceConf::v3(150, VIP_CIDR).file("A"),
        );
        (v, p.pid())
    };
    let ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    converge(&lan, VIP, 0, 1, HOLD);
    assert!(
        vrrpd.log().contains("VI_1: BACKUP -> MASTER"),
        "{}",
        vrrpd.log()
    );
    assert!(ka.log().contains("Entering BACKUP STATE"), "{}", ka.log());
    assert!(!ka.log().contains("Entering MASTER STATE"), "{}", ka.log());

    let mac0 = lan.hosts[0].mac("eth0");
    let mac1 = lan.hosts[1].mac("eth0");
    assert_eq!(learn_mac(&lan, VIP).as_deref(), Some(mac0.as_str()));

    let killed = std::time::Instant::now();
    sigkill(pid);
    let took = wait_addr_since(&lan.hosts[1], VIP, true, killed, Duration::from_secs(3))
        .expect("keepalived never took the VIP over");
    assert_takeover(took, 100);
    assert!(
        wait_neigh(&lan, VIP, &mac1, Duration::from_secs(2)),
        "ARP entry for the VIP did not move to keepalived's MAC"
    );
}

#[test]
fn keepalived_master_vrrpd_backup_v3_ipv4_sigkill() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("dm", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let (ka, ka_pid) = {
        let (k, p) = Keepalived::start(
            &mut lan.hosts[0],
            &kd,
            &InstanceConf::v3(150, VIP_CIDR).file("A"),
        );
        (k, p.pid())
    };
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master alone"
    );
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[1],
        &vd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    converge(&lan, VIP, 0, 1, HOLD);
    assert!(
        vrrpd.log().contains("VI_1: INIT -> BACKUP"),
        "{}",
        vrrpd.log()
    );
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());

    let mac0 = lan.hosts[0].mac("eth0");
    let mac1 = lan.hosts[1].mac("eth0");
    assert_eq!(learn_mac(&lan, VIP).as_deref(), Some(mac0.as_str()));

    // The VRRP child first, so that the parent cannot make it say goodbye.
    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    let killed = std::time::Instant::now();
    sigkill(child);
    // And the parent, before it respawns the child.
    sigkill(ka_pid);
    let took = wait_addr_since(&lan.hosts[1], VIP, true, killed, Duration::from_secs(3))
        .expect("vrrpd never took the VIP over");
    assert_takeover(took, 100);
    assert!(
        vrrpd
            .log()
            .contains("VI_1: BACKUP -> MASTER (master down timer expired, prio 100)"),
        "{}",
        vrrpd.log()
    );
    assert!(
        wait_neigh(&lan, VIP, &mac1, Duration::from_secs(2)),
        "ARP entry for the VIP did not move to vrrpd's MAC (GARP)"
    );
}
