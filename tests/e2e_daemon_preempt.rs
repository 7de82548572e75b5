//! Elections between vrrpd and keepalived (VRRPv3, IPv4 multicast, 0.1 s adverts): a graceful
//! stop hands over within Skew_Time, a higher-priority node joining preempts (either way round),
//! `nopreempt` stops it, `preempt_delay` delays it.

mod common;
use common::daemon::*;
use common::*;

use std::time::{Duration, Instant};

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";
const MARGIN: Duration = Duration::from_millis(400);

fn dirs(root: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (subdir(root, "vrrpd"), subdir(root, "ka"))
}

#[test]
fn sigterm_of_keepalived_master_vrrpd_takes_over_within_skew() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("dt", false);
    let dir = tempdir();
    let (vd, kd) = dirs(dir.path());
    let ka_pid = Keepalived::start(
        &mut lan.hosts[0],
        &kd,
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    )
    .1
    .pid();
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[1],
        &vd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    converge(&lan, VIP, 0, 1, Duration::from_secs(1));

    let t0 = Instant::now();
    // SAFETY: kill(2) on the keepalived this test started (its parent stops the child).
    unsafe { libc::kill(ka_pid, libc::SIGTERM) };
    wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).expect("vrrpd took over");
    let took = t0.elapsed();
    let skew = skew_v3(100, 100);
    assert!(
        took <= skew + MARGIN,
        "handover after {took:?}, Skew_Time {skew:?}"
    );
    assert!(
        vrrpd
            .log()
            .contains("VI_1: BACKUP -> MASTER (priority 0 received, prio 100)"),
        "{}",
        vrrpd.log()
    );
}

#[test]
fn sigterm_of_vrrpd_master_releases_at_once_keepalived_takes_over_within_skew() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("ds", false);
    let dir = tempdir();
    let (vd, kd) = dirs(dir.path());
    let pid = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    )
    .1
    .pid();
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    converge(&lan, VIP, 0, 1, Duration::from_secs(1));

    let t0 = Instant::now();
    // SAFETY: kill(2) on the vrrpd this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let gone = wait_addr(&lan.hosts[0], VIP, false, Duration::from_secs(1)).expect("VIP released");
    assert!(
        gone <= Duration::from_millis(300),
        "VIP released after {gone:?}"
    );
    wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).expect("keepalived took over");
    let took = t0.elapsed();
    let skew = skew_v3(100, 100);
    assert!(
        took <= skew + MARGIN,
        "handover after {took:?}, Skew_Time {skew:?}"
    );
}

/// A priority-100 master runs on host 0, then a priority-150 node joins on host 1 and must
/// take the VIP within a second. `vrrpd_joins` says which side vrrpd plays (keepalived plays
/// the other); vrrpd's log must have `want_log`.
fn higher_priority_joins(tag: &str, vrrpd_joins: bool, want_log: &str) {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let (vd, kd) = dirs(dir.path());
    let start = |ns: &mut Netns, vrrpd: bool, priority: u8, name: &str| {
        let conf = InstanceConf::v3(priority, VIP_CIDR).file(name);
        if vrrpd {
            Some(Vrrpd::start(ns, &vd, &conf).0)
        } else {
            Keepalived::start(ns, &kd, &conf);
            None
        }
    };
    let first = start(&mut lan.hosts[0], !vrrpd_joins, 100, "A");
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());
    let joined = start(&mut lan.hosts[1], vrrpd_joins, 150, "B");
    converge(&lan, VIP, 1, 0, Duration::from_secs(1));
    let vrrpd = first.or(joined).expect("one side is vrrpd");
    assert!(vrrpd.log().contains(want_log), "{}", vrrpd.log());
}

#[test]
fn higher_priority_vrrpd_joining_preempts_keepalived() {
    higher_priority_joins(
        "dj",
        true,
        "VI_1: BACKUP -> MASTER (preempted lower priority master, prio 150)",
    );
}

#[test]
fn higher_priority_keepalived_joining_preempts_vrrpd() {
    higher_priority_joins(
        "dk",
        false,
        "VI_1: MASTER -> BACKUP (higher priority advert received, prio 100; advert from 192.0.2.2, prio 150)",
    );
}

/// A LAN where keepalived (priority 100) holds the VIP on host 0; also the temporary
/// directory (removed on drop) and vrrpd's directory in it.
fn keepalived_master(tag: &str) -> (Lan, tempfile::TempDir, std::path::PathBuf) {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let (vd, kd) = dirs(dir.path());
    Keepalived::start(
        &mut lan.hosts[0],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("A"),
    );
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());
    (lan, dir, vd)
}

#[test]
fn nopreempt_vrrpd_does_not_take_over() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let (mut lan, _dir, vd) = keepalived_master("dn");
    let mut b = InstanceConf::v3(150, VIP_CIDR);
    b.extra.push("nopreempt".into());
    let vrrpd = Vrrpd::start(&mut lan.hosts[1], &vd, &b.file("B")).0;
    // Many Master_Down_Intervals (0.35 s) without a takeover.
    converge(&lan, VIP, 0, 1, Duration::from_secs(2));
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());
}

#[test]
fn preempt_delay_delays_the_takeover() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let (mut lan, _dir, vd) = keepalived_master("dd");
    let mut b = InstanceConf::v3(150, VIP_CIDR);
    b.extra.push("preempt_delay 1.5".into());
    let t0 = Instant::now();
    let _vrrpd = Vrrpd::start(&mut lan.hosts[1], &vd, &b.file("B")).0;
    wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(5))
        .expect("vrrpd preempted after the delay");
    let took = t0.elapsed();
    let delay = Duration::from_millis(1500);
    assert!(
        took >= delay,
        "preempted after {took:?}, before preempt_delay {delay:?}"
    );
    let limit = delay + master_down_v3(150, 100) + MARGIN;
    assert!(
        took <= limit,
        "preempted after {took:?}, more than {limit:?}"
    );
    converge(&lan, VIP, 1, 0, Duration::from_millis(500));
}
