//! use_vmac end to end beside a real keepalived 2.2.7 (both with use_vmac, as one config on
//! two routers is written): vrrpd's macvlan is what keepalived makes (private mode,
//! 00:00:5e:00:01:VRID, the same sysctls on it and on its base), a client's ARP for the VIP
//! resolves to the virtual MAC, keepalived hears vrrpd's adverts and stays BACKUP, the VIP
//! moves to keepalived's VMAC and back, and after vrrpd stops its macvlan is gone and the
//! sysctls are back. With the roles reversed vrrpd hears keepalived's adverts, which come from
//! the same virtual MAC and so reach only vrrpd's own macvlan (never its base interface).

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VMAC: &str = "vrrp.51";
const MAC: &str = "00:00:5e:00:01:33";

fn conf(priority: u8, router: &str) -> String {
    let mut c = InstanceConf::v3(priority, "192.0.2.100/24");
    c.extra.push("use_vmac".into());
    c.file(router)
}

fn sysctl(ns: &Netns, ifname: &str, key: &str) -> String {
    let out = ns.exec(&["cat", &format!("/proc/sys/net/ipv4/conf/{ifname}/{key}")]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sysctls(ns: &Netns, ifname: &str, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| sysctl(ns, ifname, k)).collect()
}

fn link(ns: &Netns, ifname: &str) -> Option<String> {
    let out = ns.try_exec(&["ip", "-d", "-o", "link", "show", "dev", ifname]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

fn wait_gone(ns: &Netns, ifname: &str) -> bool {
    wait_for(Duration::from_secs(3), || {
        link(ns, ifname).is_none().then_some(())
    })
    .is_some()
}

/// The MAC the client's ARP request for the VIP is answered with (arping: ARP only, so no
/// ICMP reply makes the router ARP back from its base interface with the VIP as sender, which
/// keepalived's routers do too and which would overwrite the client's entry).
fn arp_for_vip(lan: &Lan) -> Option<String> {
    wait_for(Duration::from_secs(3), || {
        let out = lan.hosts[2].try_exec(&["arping", "-c", "1", "-w", "1", "-I", "eth0", VIP]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .filter(|l| l.contains("bytes from"))
            .flat_map(|l| l.split_whitespace())
            .find(|w| w.len() == 17 && w.matches(':').count() == 5)
            .map(str::to_string)
    })
}

fn keepalived_states(ka: &Keepalived) -> Vec<String> {
    ka.log()
        .lines()
        .filter_map(|l| l.split("(VI_1) Entering ").nth(1))
        .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn vmac_master_beside_keepalived_answers_arp_with_the_virtual_mac_and_fails_over() {
    if !require_root() || !require_tool("keepalived") || !require_tool("arping") {
        return;
    }
    let mut lan = lan3("vm", false);
    // A host with strict reverse-path filtering: keepalived moves it off `all` for the VMAC.
    let h0 = &lan.hosts[0];
    h0.exec(&["sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=2"]);
    h0.exec(&["sysctl", "-q", "-w", "net.ipv4.conf.eth0.rp_filter=1"]);
    let base_keys = ["arp_ignore", "arp_filter", "rp_filter"];
    let before = sysctls(h0, "eth0", &base_keys);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    // `vrrpd -t` agrees that it runs every keyword (no not-run-by-vrrpd note) and makes nothing.
    let file = vd.join("check.conf");
    std::fs::write(&file, conf(200, "A")).unwrap();
    let mut check = lan.hosts[0].command(bin("vrrpd"));
    let out = check.arg("-t").arg("-f").arg(&file).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("not-run-by-vrrpd"), "{said}");
    assert!(link(&lan.hosts[0], VMAC).is_none(), "vrrpd -t made {VMAC}");
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf(200, "A"));
    vrrpd.wait_socket();
    let (ka, _) = Keepalived::start(&mut lan.hosts[1], &kd, &conf(100, "B"));
    let h0 = &lan.hosts[0];
    assert!(
        wait_addr_on(h0, VMAC, VIP, true),
        "no VIP on {VMAC}: {}",
        vrrpd.log()
    );
    let l = link(h0, VMAC).expect("the macvlan exists");
    assert!(l.contains("macvlan mode private"), "{l}");
    assert!(l.contains(&format!("link/ether {MAC}")), "{l}");
    assert!(l.contains("addrgenmode none"), "{l}");
    assert!(l.contains(&format!("{VMAC}@eth0")), "{l}");
    // What keepalived 2.2.7 sets (measured the same way on it).
    assert_eq!(
        sysctls(
            h0,
            VMAC,
            &[
                "arp_ignore",
                "accept_local",
                "rp_filter",
                "promote_secondaries"
            ]
        ),
        ["1", "1", "0", "1"]
    );
    assert_eq!(sysctls(h0, "eth0", &base_keys), ["1", "1", "2"]);
    assert_eq!(sysctl(h0, "all", "rp_filter"), "0");
    assert_eq!(sysctl(h0, "default", "rp_filter"), "2");
    let v6 = h0.exec(&[
        "cat",
        &format!("/proc/sys/net/ipv6/conf/{VMAC}/disable_ipv6"),
    ]);
    assert_eq!(String::from_utf8_lossy(&v6.stdout).trim(), "1");

    // keepalived hears the adverts from the virtual MAC and stays BACKUP: no split brain.
    std::thread::sleep(Duration::from_millis(800));
    assert!(!has_addr_on(&lan.hosts[1], VMAC, VIP), "split brain");
    assert_eq!(keepalived_states(&ka), ["BACKUP"], "{}", ka.log());
    assert_eq!(arp_for_vip(&lan).as_deref(), Some(MAC));

    // Graceful stop: keepalived takes over on its own VMAC (same MAC), ours is gone.
    let pid = lan.hosts[0].procs_last().pid();
    lan.hosts[0].procs_last().signal(libc::SIGTERM);
    assert!(lan.hosts[0].wait_pid(pid, Duration::from_secs(5)));
    assert!(wait_addr_on(&lan.hosts[1], VMAC, VIP, true), "{}", ka.log());
    let h0 = &lan.hosts[0];
    assert!(wait_gone(h0, VMAC), "{VMAC} left behind: {}", vrrpd.log());
    assert_eq!(sysctls(h0, "eth0", &base_keys), before);
    assert_eq!(sysctl(h0, "all", "rp_filter"), "2");
    assert_eq!(sysctl(h0, "default", "rp_filter"), "0");
    assert_eq!(arp_for_vip(&lan).as_deref(), Some(MAC));

    // Back: vrrpd preempts keepalived, whose adverts it hears on its macvlan.
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf(200, "A"));
    assert!(
        wait_addr_on(&lan.hosts[0], VMAC, VIP, true),
        "{}",
        vrrpd.log()
    );
    assert!(
        vrrpd.log().contains("preempted lower priority master"),
        "{}",
        vrrpd.log()
    );
    assert!(
        wait_addr_on(&lan.hosts[1], VMAC, VIP, false),
        "{}",
        ka.log()
    );
    assert_eq!(
        keepalived_states(&ka),
        ["BACKUP", "MASTER", "BACKUP"],
        "{}",
        ka.log()
    );
    let pid = lan.hosts[0].procs_last().pid();
    lan.hosts[0].procs_last().signal(libc::SIGTERM);
    assert!(lan.hosts[0].wait_pid(pid, Duration::from_secs(5)));
    assert!(wait_gone(&lan.hosts[0], VMAC), "{}", vrrpd.log());
}

#[test]
fn vmac_backup_hears_keepalived_and_a_killed_runs_vmac_is_taken_over() {
    if !require_root() || !require_tool("keepalived") || !require_tool("arping") {
        return;
    }
    let mut lan = lan3("vb", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let (ka, _) = Keepalived::start(&mut lan.hosts[1], &kd, &conf(200, "B"));
    assert!(wait_addr_on(&lan.hosts[1], VMAC, VIP, true), "{}", ka.log());
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf(100, "A"));
    vrrpd.wait_socket();
    // keepalived's adverts carry the virtual MAC vrrpd's macvlan has: they reach only that
    // macvlan, where vrrpd reads them, so it stays BACKUP.
    std::thread::sleep(Duration::from_millis(800));
    assert!(link(&lan.hosts[0], VMAC).is_some(), "{}", vrrpd.log());
    assert!(!has_addr_on(&lan.hosts[0], VMAC, VIP), "{}", vrrpd.log());
    assert!(!vrrpd.log().contains("-> MASTER"), "{}", vrrpd.log());

    // SIGKILL leaves the macvlan; the next run takes it over and cleans up at stop.
    sigkill(lan.hosts[0].procs_last().pid());
    std::thread::sleep(Duration::from_millis(200));
    assert!(link(&lan.hosts[0], VMAC).is_some());
    let _ = std::fs::remove_file(vd.join("vrrpd.pid"));
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf(100, "A"));
    vrrpd.wait_socket();
    assert!(
        vrrpd.log().contains("Found matching interface vrrp.51"),
        "{}",
        vrrpd.log()
    );
    // keepalived stops: vrrpd takes over on its macvlan.
    lan.hosts[1].procs_last().signal(libc::SIGTERM);
    assert!(
        wait_addr_on(&lan.hosts[0], VMAC, VIP, true),
        "{}",
        vrrpd.log()
    );
    assert_eq!(arp_for_vip(&lan).as_deref(), Some(MAC));
    let pid = lan.hosts[0].procs_last().pid();
    lan.hosts[0].procs_last().signal(libc::SIGTERM);
    assert!(lan.hosts[0].wait_pid(pid, Duration::from_secs(5)));
    assert!(wait_gone(&lan.hosts[0], VMAC), "{}", vrrpd.log());
}

#[test]
fn ipv6_vmac_master_sends_from_its_link_local_and_keepalived_stays_backup() {
    if !require_root() || !require_tool("keepalived") || !require_tool("ndisc6") {
        return;
    }
    let mut lan = lan3("v6", true);
    let vip = "2001:db8::100";
    let conf6 = |priority: u8, router: &str| {
        let mut c = InstanceConf::v3(priority, "2001:db8::100/64");
        c.extra.push("use_vmac".into());
        c.file(router)
    };
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf6(200, "A"));
    vrrpd.wait_socket();
    let (ka, _) = Keepalived::start(&mut lan.hosts[1], &kd, &conf6(100, "B"));
    let h0 = &lan.hosts[0];
    assert!(wait_addr_on(h0, VMAC, vip, true), "{}", vrrpd.log());
    let l = link(h0, VMAC).expect("the macvlan exists");
    assert!(l.contains("link/ether 00:00:5e:00:02:33"), "{l}");
    assert!(l.contains("addrgenmode none"), "{l}");
    // The VMAC carries the base's link-local (the advert source), deprecated, and nothing
    // made from its own MAC.
    let base_ll = h0.exec(&[
        "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
    ]);
    let base_ll = String::from_utf8_lossy(&base_ll.stdout).to_string();
    let ll = base_ll
        .split_whitespace()
        .find(|w| w.starts_with("fe80"))
        .and_then(|w| w.split('/').next())
        .expect("eth0 has a link-local address")
        .to_string();
    let on_vmac = h0.exec(&[
        "ip", "-6", "-o", "addr", "show", "dev", VMAC, "scope", "link",
    ]);
    let on_vmac = String::from_utf8_lossy(&on_vmac.stdout).to_string();
    assert!(on_vmac.contains(&format!("{ll}/64")), "{on_vmac}");
    assert!(on_vmac.contains("deprecated"), "{on_vmac}");
    assert_eq!(on_vmac.lines().count(), 1, "{on_vmac}");
    std::thread::sleep(Duration::from_millis(800));
    assert!(!has_addr_on(&lan.hosts[1], VMAC, vip), "split brain");
    assert_eq!(keepalived_states(&ka), ["BACKUP"], "{}", ka.log());
    // The client's neighbour solicitation for the VIP is answered with the IPv6 virtual MAC.
    let na = lan.hosts[2].try_exec(&["ndisc6", "-q", "-r", "3", "-w", "500", vip, "eth0"]);
    assert_eq!(
        String::from_utf8_lossy(&na.stdout).trim().to_lowercase(),
        "00:00:5e:00:02:33",
        "{}",
        vrrpd.log()
    );
    let pid = lan.hosts[0].procs_last().pid();
    lan.hosts[0].procs_last().signal(libc::SIGTERM);
    assert!(lan.hosts[0].wait_pid(pid, Duration::from_secs(5)));
    assert!(wait_addr_on(&lan.hosts[1], VMAC, vip, true), "{}", ka.log());
    assert!(wait_gone(&lan.hosts[0], VMAC), "{}", vrrpd.log());
}

/// Node A with an IPv4 (VRID 51) and an IPv6 (VRID 52) instance on use_vmac, under `daemon`:
/// the nftables ruleset of its namespace once both are master, and after a graceful stop.
fn igmp_ruleset(daemon: common::daemon::Daemon, tag: &str) -> (String, String) {
    use common::notify::Node;
    let mut lan = lan3(tag, true);
    let dir = tempdir();
    let mut v4 = InstanceConf::v3(150, "192.0.2.100/24");
    v4.extra.push("use_vmac".into());
    let mut v6 = InstanceConf::v3(150, "2001:db8::100/64");
    v6.name = "VI_6";
    v6.vrid = 52;
    v6.extra.push("use_vmac".into());
    let t6 = v6.file("A");
    let text = v4.file("A") + &t6[t6.find("vrrp_instance").unwrap_or(0)..];
    let a = Node::start(daemon, &mut lan.hosts[0], dir.path(), &text);
    let h0 = &lan.hosts[0];
    assert!(wait_addr_on(h0, VMAC, VIP, true), "{daemon:?}: {}", a.log());
    assert!(
        wait_addr_on(h0, "vrrp.52", "2001:db8::100", true),
        "{daemon:?}: {}",
        a.log()
    );
    let rules = |h: &Netns| {
        String::from_utf8_lossy(&h.exec(&["nft", "list", "ruleset"]).stdout).to_string()
    };
    let up = rules(h0);
    a.stop();
    assert!(
        wait_gone(h0, VMAC) && wait_gone(h0, "vrrp.52"),
        "{daemon:?}: {}",
        a.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    (up, rules(h0))
}

/// keepalived 2.2.7 with use_vmac and no firewall keyword makes `table ip keepalived` and
/// `table ip6 keepalived` whose output rules send the VMACs' IGMP / MLD reports out of the base
/// interface (and drop router solicitations from them), and deletes them at stop: vrrpd's
/// ruleset is the same, line for line.
#[test]
fn vmac_igmp_and_mld_reports_are_moved_to_the_base_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let theirs = igmp_ruleset(common::daemon::Daemon::Keepalived, "vik");
    let ours = igmp_ruleset(common::daemon::Daemon::Vrrpd, "viv");
    assert!(
        theirs.0.contains("ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop"),
        "keepalived: {}",
        theirs.0
    );
    assert!(theirs.0.contains("table ip6 keepalived"), "{}", theirs.0);
    assert_eq!(
        ours.0, theirs.0,
        "ruleset while running: vrrpd (left) vs keepalived (right)"
    );
    assert_eq!(theirs.1.trim(), "", "keepalived left rules");
    assert_eq!(ours.1.trim(), "", "vrrpd left rules");
}

/// What the VMACs of a use_vmac_addr instance look like under `daemon` (VIPs on eth0, on eth1
/// and an IPv6 eVIP): each macvlan's base, MAC and mode, its addresses (the base's link-local
/// shown as LL), the sysctls keepalived sets, the nftables ruleset; and whether all of it is
/// gone after a graceful stop.
fn addr_vmacs(daemon: common::daemon::Daemon, tag: &str) -> (String, bool) {
    use common::notify::Node;
    let mut lan = lan3(tag, true);
    let h = &lan.hosts[0];
    h.exec(&[
        "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "p1",
    ]);
    h.exec(&["ip", "link", "set", "eth1", "up"]);
    h.exec(&["ip", "link", "set", "p1", "up"]);
    h.exec(&["ip", "addr", "add", "198.51.100.1/24", "dev", "eth1"]);
    let dir = tempdir();
    let mut c = InstanceConf::v3(150, "192.0.2.100/24");
    c.vips.push("198.51.100.100/24 dev eth1");
    c.extra.push("use_vmac_addr".into());
    c.extra
        .push("virtual_ipaddress_excluded {\n    2001:db8::100/64\n  }".into());
    let a = Node::start(daemon, &mut lan.hosts[0], dir.path(), &c.file("A"));
    let h = &lan.hosts[0];
    assert!(
        wait_addr_on(h, "vrrp.51", "198.51.100.100", true),
        "{daemon:?}: {}",
        a.log()
    );
    assert!(
        wait_addr_on(h, "vrrp6.51", "2001:db8::100", true),
        "{daemon:?}: {}",
        a.log()
    );
    assert!(has_addr_on(h, "eth0", VIP), "{daemon:?}: {}", a.log());
    let ll = |dev: &str| {
        let o = h.exec(&[
            "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link",
        ]);
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .find(|w| w.starts_with("fe80"))
            .map(str::to_string)
    };
    let base_ll = ll("eth0").unwrap_or_default();
    let mut out = String::new();
    for dev in ["vrrp.51", "vrrp6.51"] {
        let l = link(h, dev).unwrap_or_default();
        let words: Vec<&str> = l.split_whitespace().collect();
        let after = |k: &str| {
            words
                .iter()
                .position(|w| *w == k)
                .and_then(|i| words.get(i + 1))
                .copied()
                .unwrap_or("")
        };
        out += &format!(
            "{} ether {} macvlan mode {}\n",
            words.get(1).unwrap_or(&""),
            after("link/ether"),
            after("macvlan")
                .eq("mode")
                .then(|| words.iter().skip_while(|w| **w != "macvlan").nth(2))
                .flatten()
                .unwrap_or(&"")
        );
        let o = h.exec(&["ip", "-o", "addr", "show", "dev", dev]);
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            let addr = w.get(3).copied().unwrap_or("");
            let addr = if addr == base_ll { "LL" } else { addr };
            out += &format!("  {} {addr}\n", w.get(2).unwrap_or(&""));
        }
    }
    for (fam, dev, keys) in [
        (
            "ipv4",
            "vrrp.51",
            "arp_ignore accept_local rp_filter promote_secondaries",
        ),
        ("ipv4", "eth1", "arp_ignore arp_filter"),
        ("ipv4", "eth0", "arp_ignore arp_filter"),
        ("ipv6", "vrrp.51", "disable_ipv6 addr_gen_mode"),
        ("ipv6", "vrrp6.51", "disable_ipv6 addr_gen_mode"),
    ] {
        for k in keys.split(' ') {
            let o = h.exec(&["cat", &format!("/proc/sys/net/{fam}/conf/{dev}/{k}")]);
            out += &format!("{fam}.{dev}.{k} = {}", String::from_utf8_lossy(&o.stdout));
        }
    }
    out += &String::from_utf8_lossy(&h.exec(&["nft", "list", "ruleset"]).stdout);
    a.stop();
    let gone = wait_gone(h, "vrrp.51") && wait_gone(h, "vrrp6.51");
    (out, gone)
}

/// keepalived 2.2.7 measured: with use_vmac_addr a VIP `dev eth1` gets `vrrp.51@eth1`
/// (00:00:5e:00:01:33) and the IPv6 eVIP of the IPv4 instance `vrrp6.51@eth0`
/// (00:00:5e:00:02:33, eth0's link-local, deprecated), with the sysctls of a VMAC of their
/// family and no nftables rule; the VIP of eth0 stays on eth0. vrrpd builds the same.
#[test]
fn use_vmac_addr_makes_the_vmacs_keepalived_makes() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let theirs = addr_vmacs(common::daemon::Daemon::Keepalived, "vak");
    let ours = addr_vmacs(common::daemon::Daemon::Vrrpd, "vav");
    assert!(
        theirs.0.starts_with("vrrp.51@eth1: ether 00:00:5e:00:01:33 macvlan mode private\n  inet 198.51.100.100/24\n"),
        "keepalived: {}",
        theirs.0
    );
    assert!(
        theirs.0.contains("vrrp6.51@eth0: ether 00:00:5e:00:02:33"),
        "{}",
        theirs.0
    );
    assert_eq!(ours.0, theirs.0, "vrrpd (left) vs keepalived (right)");
    assert!(theirs.1 && ours.1, "a VMAC stayed after the stop");
}
