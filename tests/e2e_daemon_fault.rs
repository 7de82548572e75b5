//! An instance whose interface has no address, or whose link is down, waits in FAULT (as
//! keepalived does) instead of being refused, and comes up when rtnetlink reports the address
//! or the link: vrrpd beside a real keepalived master on one LAN.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn wait_log(v: &Vrrpd, needle: &str, timeout: Duration) -> bool {
    wait_for(timeout, || v.log().contains(needle).then_some(())).is_some()
}

#[test]
fn no_address_waits_in_fault_then_takes_over_when_the_address_comes() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    // Host 0 gets no address before vrrpd starts.
    let mut lan = Lan::new("fa", 3);
    for i in 1..3 {
        lan.addr(i, &format!("192.0.2.{}/24", i + 1));
    }
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    assert!(wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(5)).is_some());
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    )
    .0;
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: INIT -> FAULT (fault: interface eth0 has no IPv4 address",
            Duration::from_secs(3)
        ),
        "{}",
        vrrpd.log()
    );
    // Still in FAULT: keepalived keeps the VIP.
    std::thread::sleep(Duration::from_millis(500));
    assert!(has_addr(&lan.hosts[1], VIP) && !has_addr(&lan.hosts[0], VIP));

    lan.addr(0, "192.0.2.1/24");
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: FAULT -> BACKUP (fault cleared",
            Duration::from_secs(2)
        ),
        "{}",
        vrrpd.log()
    );
    assert!(
        vrrpd.log().contains("sending adverts from 192.0.2.1"),
        "{}",
        vrrpd.log()
    );
    // Priority 150 preempts keepalived's 100.
    converge(&lan, VIP, 0, 1, Duration::from_millis(500));

    // Link down: FAULT, the VIP goes back to keepalived; link up: back and preempting.
    lan.hosts[0].exec(&["ip", "link", "set", "eth0", "down"]);
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: MASTER -> FAULT (fault: interface eth0 is down",
            Duration::from_secs(2)
        ),
        "{}",
        vrrpd.log()
    );
    assert!(wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).is_some());
    assert!(!has_addr(&lan.hosts[0], VIP));
    lan.hosts[0].exec(&["ip", "link", "set", "eth0", "up"]);
    converge(&lan, VIP, 0, 1, Duration::from_millis(500));
    assert!(ka.log().contains("Entering BACKUP STATE"), "{}", ka.log());
}
