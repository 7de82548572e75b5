//! Fidelity item 6 of the node-core issue, on the wire beside keepalived: when a tracker moves
//! a master's effective priority, the master does not send an extra advert — the next regular
//! advert on its grid carries the new priority. The same scenario runs under keepalived in
//! vrrpd's place and both recordings are held to the same rules.

mod common;
use common::daemon::*;
use common::traffic::adverts_seen;
use common::*;

use std::net::Ipv4Addr;
use std::time::Duration;

const VIP_CIDR: &str = "192.0.2.100/24";
const VIP: &str = "192.0.2.100";
const MASTER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// A lone master at priority 150 with 0.1 s adverts and a script (weight -60, fall 1) that
/// starts failing about 1 s into a 3 s recording taken on host 2. Returns what host 2 saw.
fn scenario(daemon: Daemon, tag: &str) -> Vec<(Duration, u8)> {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let flag = dir.path().join("fail");
    let mut conf = InstanceConf::v3(150, VIP_CIDR);
    conf.extra.push("track_script {\n    chk\n  }".into());
    let script = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test ! -e {}\"\n  interval 1\n  weight -60\n  fall 1\n  rise 1\n}}\n\n",
        flag.display()
    );
    let text = conf
        .file("A")
        .replacen("vrrp_instance", &(script + "vrrp_instance"), 1);
    let _d = match daemon {
        Daemon::Vrrpd => Vrrpd::start(&mut lan.hosts[0], dir.path(), &text).1.pid(),
        Daemon::Keepalived => Keepalived::start(&mut lan.hosts[0], dir.path(), &text)
            .1
            .pid(),
    };
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(10)).is_some(),
        "{daemon:?} never became master"
    );
    let observer = &lan.hosts[2];
    std::thread::scope(|s| {
        let watch = s.spawn(|| adverts_seen(observer, MASTER, Some(51), Duration::from_secs(3)));
        std::thread::sleep(Duration::from_secs(1));
        std::fs::write(&flag, "").unwrap();
        watch.join().unwrap()
    })
}

/// The rules both daemons must follow; `Err` says which one broke and how.
fn check(seen: &[(Duration, u8)]) -> Result<(), String> {
    let prios: Vec<u8> = seen.iter().map(|&(_, p)| p).collect();
    let first_low = prios
        .iter()
        .position(|&p| p == 90)
        .ok_or_else(|| format!("the priority never moved to 90: {prios:?}"))?;
    if first_low == 0 || prios[..first_low].iter().any(|&p| p != 150) {
        return Err(format!("expected 150 then 90: {prios:?}"));
    }
    if prios[first_low..].iter().any(|&p| p != 90) {
        return Err(format!("the priority moved back or flapped: {prios:?}"));
    }
    // No extra advert: every gap, the one around the change included, is a full interval
    // (0.1 s; a loaded machine may deliver one late, never one early by more than jitter).
    for (i, w) in seen.windows(2).enumerate() {
        let gap = w[1].0.saturating_sub(w[0].0).as_secs_f64() * 1000.0;
        if gap < 80.0 {
            return Err(format!(
                "an advert {gap:.1} ms after the previous one (#{i} -> #{}, prio {} -> {}): an extra advert",
                i + 1,
                w[0].1,
                w[1].1
            ));
        }
    }
    Ok(())
}

#[test]
fn a_priority_change_rides_on_the_next_regular_advert_as_in_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ka = scenario(Daemon::Keepalived, "pck");
    check(&ka).unwrap_or_else(|e| panic!("keepalived, the referee, broke the rule: {e}"));
    let ours = scenario(Daemon::Vrrpd, "pcv");
    check(&ours).unwrap_or_else(|e| panic!("vrrpd: {e}"));
    // Both recordings are about 3 s of 0.1 s adverts.
    for (who, s) in [("keepalived", &ka), ("vrrpd", &ours)] {
        assert!((25..=31).contains(&s.len()), "{who}: {} adverts", s.len());
    }
}
