//! VRRP-side keywords run as keepalived 2.2.7 runs them, each measured beside keepalived in the
//! same scenario: promote_secondaries (the sysctl while running and after stop), ...

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP_CIDR: &str = "192.0.2.100/24";

fn sysctl(ns: &Netns, key: &str) -> String {
    let out = ns.exec(&["sysctl", "-n", key]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Start `daemon` on host 0 of a fresh LAN with `conf`, return (the value of `key` while it
/// runs, after a graceful stop), with `key` set to `before` first.
fn sysctl_during_and_after(
    daemon: Daemon,
    tag: &str,
    conf: &str,
    key: &str,
    before: &str,
) -> (String, String) {
    let mut lan = Lan::new(tag, 1);
    lan.addr(0, "192.0.2.1/24");
    lan.hosts[0].exec(&["sysctl", "-qw", &format!("{key}={before}")]);
    let dir = tempdir();
    let ns = &mut lan.hosts[0];
    let proc = match daemon {
        Daemon::Vrrpd => Vrrpd::start(ns, dir.path(), conf).1,
        Daemon::Keepalived => Keepalived::start(ns, dir.path(), conf).1,
    };
    let pid = proc.pid();
    // The daemon has started its instance once the VIP is up (priority 150, alone on the LAN).
    assert!(
        wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(6)).is_some(),
        "{daemon:?}: no VIP"
    );
    let during = sysctl(&lan.hosts[0], key);
    lan.hosts[0].procs_last().signal(libc::SIGTERM);
    assert!(
        lan.hosts[0].wait_pid(pid, Duration::from_secs(5)),
        "{daemon:?} did not stop"
    );
    (during, sysctl(&lan.hosts[0], key))
}

#[test]
fn promote_secondaries_is_set_while_running_and_put_back_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut c = InstanceConf::v3(150, VIP_CIDR);
    c.extra.push("promote_secondaries".into());
    let conf = c.file("A");
    let key = "net.ipv4.conf.eth0.promote_secondaries";
    for before in ["0", "1"] {
        let mut seen = Vec::new();
        for d in [Daemon::Keepalived, Daemon::Vrrpd] {
            seen.push(sysctl_during_and_after(d, "ps", &conf, key, before));
        }
        assert_eq!(
            seen[0], seen[1],
            "keepalived vs vrrpd with {key}={before} before"
        );
        // What keepalived 2.2.7 does: 1 while running, and a 0 it found is put back.
        assert_eq!(seen[1], ("1".to_string(), before.to_string()), "{before}");
    }
}

/// Start `daemon` alone on a LAN and return how long its VIP took to appear, and its log.
fn time_to_vip(daemon: Daemon, tag: &str, conf: &str) -> (Duration, String) {
    let mut lan = Lan::new(tag, 1);
    lan.addr(0, "192.0.2.1/24");
    let dir = tempdir();
    let ns = &mut lan.hosts[0];
    let log = match daemon {
        Daemon::Vrrpd => Vrrpd::start(ns, dir.path(), conf).0.log,
        Daemon::Keepalived => Keepalived::start(ns, dir.path(), conf)
            .0
            .dir
            .join("keepalived.log"),
    };
    let t = wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(8))
        .unwrap_or_else(|| panic!("{daemon:?}: no VIP"));
    (t, std::fs::read_to_string(log).unwrap_or_default())
}

#[test]
fn vrrp_startup_delay_holds_a_backup_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut c = InstanceConf::v3(150, VIP_CIDR);
    c.advert_int = "0.2";
    let conf = c.file("A").replace(
        "global_defs {\n",
        "global_defs {\n  vrrp_startup_delay 1.5\n",
    );
    // Master_Down_Interval = 3 x 0.2 s + (256 - 150) / 256 x 0.2 s = 0.68 s, after the 1.5 s.
    let mut seen = Vec::new();
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let (t, log) = time_to_vip(d, "sd", &conf);
        assert!(
            log.contains("Delaying startup for 1.5 seconds"),
            "{d:?}: {log}"
        );
        assert!(
            t >= Duration::from_millis(1900) && t < Duration::from_millis(3500),
            "{d:?}: VIP after {t:?}"
        );
        seen.push(t);
    }
    let diff = seen[0].abs_diff(seen[1]);
    eprintln!("VIP after: keepalived {:?}, vrrpd {:?}", seen[0], seen[1]);
    assert!(diff < Duration::from_millis(600), "{seen:?}");
}

#[test]
fn log_unknown_vrids_logs_keepalived_line() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    // Host 1 (keepalived) advertises VRID 52; host 0 runs VRID 51 with log_unknown_vrids.
    let line = "Unknown VRID(52) received on interface(eth0). ignoring...";
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let mut lan = Lan::new("uv", 2);
        lan.addr(0, "192.0.2.1/24");
        lan.addr(1, "192.0.2.2/24");
        let dir = tempdir();
        let (d0, d1) = (subdir(dir.path(), "h0"), subdir(dir.path(), "h1"));
        let mut other = InstanceConf::v3(150, "192.0.2.101/24");
        other.vrid = 52;
        Keepalived::start(&mut lan.hosts[1], &d1, &other.file("B"));
        let conf = InstanceConf::v3(100, VIP_CIDR)
            .file("A")
            .replace("global_defs {\n", "global_defs {\n  log_unknown_vrids\n");
        let ns = &mut lan.hosts[0];
        let log = match d {
            Daemon::Vrrpd => Vrrpd::start(ns, &d0, &conf).0.log,
            Daemon::Keepalived => Keepalived::start(ns, &d0, &conf)
                .0
                .dir
                .join("keepalived.log"),
        };
        let read = || std::fs::read_to_string(&log).unwrap_or_default();
        let found = wait_for(Duration::from_secs(5), || {
            read().contains(line).then_some(())
        });
        assert!(found.is_some(), "{d:?}: {}", read());
    }
}

#[test]
fn unicast_fault_no_peer_holds_fault_and_notifies_as_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut seen = Vec::new();
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let mut lan = Lan::new("np", 1);
        lan.addr(0, "192.0.2.1/24");
        let dir = tempdir();
        let script = dir.path().join("notify.sh");
        let rec = dir.path().join("notify.log");
        notify::write_script(&script, &format!("echo \"$@\" >> {}\n", rec.display()));
        let mut c = InstanceConf::v3(150, VIP_CIDR);
        c.advert_int = "0.2";
        c.unicast_src = Some("192.0.2.1".into());
        c.extra.push("unicast_fault_no_peer".into());
        c.extra.push(format!("notify {}", script.display()));
        let node = notify::Node::start(d, &mut lan.hosts[0], dir.path(), &c.file("A"));
        let log_line = "(VI_1) Cannot use unicast without any peers - going to fault state";
        let logged = wait_for(Duration::from_secs(4), || {
            node.log().contains(log_line).then_some(())
        });
        assert!(logged.is_some(), "{d:?}: {}", node.log());
        // Well past the 0.68 s Master_Down_Interval: still no VIP.
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !has_addr(&lan.hosts[0], "192.0.2.100"),
            "{d:?} took the VIP"
        );
        seen.push(std::fs::read_to_string(&rec).unwrap_or_default());
        node.stop();
    }
    assert_eq!(seen[0], "INSTANCE VI_1 FAULT 150\n", "keepalived");
    assert_eq!(seen[0], seen[1], "keepalived vs vrrpd");
}

/// Both families' VIPs with every option of a virtual_ipaddress line keepalived applies.
const VIP_OPTIONS_CONF: &str = "global_defs {
  router_id A
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 61
  priority 255
  state MASTER
  advert_int 1
  virtual_ipaddress {
    2001:db8::100
    2001:db8::101/64
    2001:db8::102/64 preferred_lft 30 home -nodad mngtmpaddr noprefixroute
    2001:db8::103/64 preferred_lft 0
  }
}
vrrp_instance VI_4 {
  interface eth0
  virtual_router_id 41
  priority 255
  state MASTER
  advert_int 1
  virtual_ipaddress {
    192.0.2.110 peer 192.0.2.200
    192.0.2.111/24 brd + noprefixroute home
    192.0.2.112/24 brd -
    192.0.2.113/24 autojoin
  }
}
";

/// `ip -o addr` of eth0 without the counting lifetimes, sorted.
fn addresses(ns: &Netns) -> Vec<String> {
    let out = ns.exec(&["ip", "-o", "addr", "show", "dev", "eth0"]);
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let l = l.split_once("inet").map_or(l, |(_, r)| r);
            // DAD (`-nodad`) runs on its own clock: tentative comes and goes.
            l.split_whitespace()
                .filter(|w| *w != "tentative")
                .map(|w| match w.strip_suffix("sec") {
                    Some(n) if n.parse::<u32>().is_ok_and(|n| n > 0) => "Nsec",
                    _ => w,
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.contains("fe80::"))
        .collect();
    lines.sort();
    lines
}

#[test]
fn virtual_ipaddress_options_give_the_addresses_keepalived_adds() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut seen = Vec::new();
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let mut lan = Lan::new("vo", 1);
        lan.addr(0, "192.0.2.1/24");
        lan.addr(0, "2001:db8::1/64");
        let dir = tempdir();
        let node = notify::Node::start(d, &mut lan.hosts[0], dir.path(), VIP_OPTIONS_CONF);
        for vip in ["192.0.2.112", "2001:db8::103"] {
            assert!(
                wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(6)).is_some(),
                "{d:?}: no {vip}: {}",
                node.log()
            );
        }
        // The last line of the burst has settled (adds are in order).
        std::thread::sleep(Duration::from_millis(300));
        let running = addresses(&lan.hosts[0]);
        node.stop();
        assert!(lan.hosts[0].wait_pid(node.pid, Duration::from_secs(5)));
        seen.push((running, addresses(&lan.hosts[0])));
    }
    let (ka, vd) = (&seen[0], &seen[1]);
    assert_eq!(ka.0, vd.0, "running: keepalived vs vrrpd");
    for want in [
        "192.0.2.110 peer 192.0.2.200/32 scope global eth0",
        "192.0.2.111/24 brd 192.0.2.255 scope global secondary noprefixroute eth0",
        "192.0.2.112/24 brd 192.0.2.0 scope global secondary eth0",
        "6 2001:db8::100/128 scope global nodad deprecated",
        "6 2001:db8::102/64 scope global home mngtmpaddr noprefixroute",
    ] {
        assert!(vd.0.iter().any(|l| l.contains(want)), "{want}: {:#?}", vd.0);
    }
    // autojoin on a unicast address: the kernel refuses it under both daemons.
    assert!(
        !vd.0.iter().any(|l| l.contains("192.0.2.113")),
        "{:#?}",
        vd.0
    );
    // After stop only the host's own addresses are left under vrrpd. keepalived 2.2.7 leaves
    // the peer address behind: it deletes with IFA_ADDRESS = the local address, which the
    // kernel does not match against the peer (vrrp_ipaddress.c, netlink_ipaddress).
    let own: Vec<&String> = ka.1.iter().filter(|l| !l.contains(" peer ")).collect();
    assert_eq!(own, vd.1.iter().collect::<Vec<_>>(), "after stop");
    assert!(
        vd.1.iter()
            .all(|l| l.contains("192.0.2.1/24") || l.contains("2001:db8::1/64")),
        "{:#?}",
        vd.1
    );
    assert!(
        ka.1.iter().any(|l| l.contains("192.0.2.110 peer")),
        "{:#?}",
        ka.1
    );
}
