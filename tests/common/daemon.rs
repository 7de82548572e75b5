//! Helpers for the vrrpd end-to-end tests: start vrrpd in a namespace, write instance configs
//! that both vrrpd and keepalived read, and look at addresses and neighbour entries.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{bin, spawn_logged, wait_for, Netns, Proc};

/// A vrrpd started in a namespace; killed with the namespace.
pub struct Vrrpd {
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub log: PathBuf,
    /// Its control socket (in `dir`, never the system's /run/vrrpd).
    pub socket: PathBuf,
}

impl Vrrpd {
    /// Write `conf_text` into `dir` and start `vrrpd -f CONF -l -D` in `ns`.
    pub fn start<'a>(ns: &'a mut Netns, dir: &Path, conf_text: &str) -> (Vrrpd, &'a mut Proc) {
        Vrrpd::start_with(ns, dir, conf_text, &[])
    }

    /// As `start`, with more vrrpd flags (`--metrics-listen ...`, `--socket-group ...`).
    pub fn start_with<'a>(
        ns: &'a mut Netns,
        dir: &Path,
        conf_text: &str,
        extra: &[&str],
    ) -> (Vrrpd, &'a mut Proc) {
        Vrrpd::start_via(ns, dir, conf_text, &[], extra)
    }

    /// As `start_with`, run through `wrapper` (e.g. `setpriv --bounding-set=...`): the
    /// wrapper's first word is the program, vrrpd and its flags follow the rest.
    pub fn start_via<'a>(
        ns: &'a mut Netns,
        dir: &Path,
        conf_text: &str,
        wrapper: &[&str],
        extra: &[&str],
    ) -> (Vrrpd, &'a mut Proc) {
        let conf = dir.join("vrrpd.conf");
        let log = dir.join("vrrpd.log");
        let socket = dir.join("vrrpd.sock");
        let mut cmd = match wrapper.split_first() {
            Some((prog, args)) => {
                let mut c = ns.command(prog);
                c.args(args).arg(bin("vrrpd"));
                c
            }
            None => ns.command(bin("vrrpd")),
        };
        cmd.arg("-f")
            .arg(&conf)
            .args(["-l", "-D", "-p"])
            .arg(dir.join("vrrpd.pid"))
            .arg("--socket")
            .arg(&socket)
            .args(extra)
            .env("TMPDIR", dir);
        let proc = spawn_logged(ns, &mut cmd, &conf, conf_text, &log);
        (
            Vrrpd {
                dir: dir.to_path_buf(),
                conf,
                log,
                socket,
            },
            proc,
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the control socket answers (vrrpd has started its instances).
    pub fn wait_socket(&self) {
        let ok = wait_for(Duration::from_secs(5), || {
            std::os::unix::net::UnixStream::connect(&self.socket)
                .ok()
                .map(|_| ())
        });
        assert!(
            ok.is_some(),
            "no control socket at {}: {}",
            self.socket.display(),
            self.log()
        );
    }
}

/// Which daemon a scenario runs on a node (the same scenario under each is compared).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Daemon {
    Vrrpd,
    Keepalived,
}

/// One vrrp_instance block, in the keepalived.conf syntax both daemons read.
#[derive(Clone)]
pub struct InstanceConf {
    pub name: &'static str,
    /// `state` as written (MASTER or BACKUP).
    pub state: &'static str,
    pub vrid: u8,
    pub version: u8,
    pub priority: u8,
    /// advert_int in seconds, as written (e.g. "0.1", "1").
    pub advert_int: &'static str,
    pub vips: Vec<&'static str>,
    pub pass: Option<&'static str>,
    pub unicast_src: Option<String>,
    pub unicast_peers: Vec<String>,
    /// Extra lines inside the block (nopreempt, preempt_delay ...).
    pub extra: Vec<String>,
}

impl InstanceConf {
    /// VRRPv2, 1 s adverts, PASS authentication.
    pub fn v2_pass(priority: u8, vip: &'static str, pass: &'static str) -> InstanceConf {
        InstanceConf {
            version: 2,
            advert_int: "1",
            pass: Some(pass),
            ..InstanceConf::v3(priority, vip)
        }
    }

    /// VRRPv3, 0.1 s adverts, multicast.
    pub fn v3(priority: u8, vip: &'static str) -> InstanceConf {
        InstanceConf {
            name: "VI_1",
            state: "BACKUP",
            vrid: 51,
            version: 3,
            priority,
            advert_int: "0.1",
            vips: vec![vip],
            pass: None,
            unicast_src: None,
            unicast_peers: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// The whole config file: global_defs (fast GARP settings, a router_id) and this instance.
    pub fn file(&self, router_id: &str) -> String {
        let mut s = format!(
            "global_defs {{\n  router_id {router_id}\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 2\n}}\n\nvrrp_instance {} {{\n  state {}\n  interface eth0\n  virtual_router_id {}\n  version {}\n  priority {}\n  advert_int {}\n",
            self.name, self.state, self.vrid, self.version, self.priority, self.advert_int
        );
        if let Some(p) = self.pass {
            s += &format!("  authentication {{\n    auth_type PASS\n    auth_pass {p}\n  }}\n");
        }
        if let Some(src) = &self.unicast_src {
            s += &format!("  unicast_src_ip {src}\n");
        }
        if !self.unicast_peers.is_empty() {
            s += "  unicast_peer {\n";
            for p in &self.unicast_peers {
                s += &format!("    {p}\n");
            }
            s += "  }\n";
        }
        for e in &self.extra {
            s += &format!("  {e}\n");
        }
        s += "  virtual_ipaddress {\n";
        for v in &self.vips {
            s += &format!("    {v}\n");
        }
        s += "  }\n}\n";
        s
    }
}

/// Whether `ip` (no prefix) is configured on eth0 of `ns`.
pub fn has_addr(ns: &Netns, ip: &str) -> bool {
    let out = ns.try_exec(&["ip", "-o", "addr", "show", "dev", "eth0"]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(ip))
}

/// Whether `ip` (no prefix) is configured on `dev` of `ns`.
pub fn has_addr_on(ns: &Netns, dev: &str, ip: &str) -> bool {
    let out = ns.try_exec(&["ip", "-o", "addr", "show", "dev", dev]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(ip))
}

/// Wait (at most 6 s) until `ip` is on `dev` of `ns`, or gone with `present = false`.
pub fn wait_addr_on(ns: &Netns, dev: &str, ip: &str, present: bool) -> bool {
    wait_for(Duration::from_secs(6), || {
        (has_addr_on(ns, dev, ip) == present).then_some(())
    })
    .is_some()
}

/// Wait until `ip` is on `ns`'s eth0 (or not, with `present = false`); returns how long it took.
pub fn wait_addr(ns: &Netns, ip: &str, present: bool, timeout: Duration) -> Option<Duration> {
    wait_addr_since(ns, ip, present, Instant::now(), timeout)
}

/// Like `wait_addr`, the time counted from `since` (taken just before a kill: a test thread
/// descheduled between the kill and the first poll would otherwise see a takeover that looks
/// earlier than Master_Down_Interval allows).
pub fn wait_addr_since(
    ns: &Netns,
    ip: &str,
    present: bool,
    since: Instant,
    timeout: Duration,
) -> Option<Duration> {
    poll_fast(timeout, || {
        (has_addr(ns, ip) == present).then(|| since.elapsed())
    })
}

/// Like `wait_for`, polling every 5 ms for timing measurements.
pub fn poll_fast<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The MAC `ns`'s neighbour table has for `ip` on eth0, if any.
pub fn neigh_mac(ns: &Netns, ip: &str) -> Option<String> {
    let fam = if ip.contains(':') { "-6" } else { "-4" };
    let out = ns.try_exec(&["ip", fam, "neigh", "show", ip, "dev", "eth0"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        if w == "lladdr" {
            return words.next().map(str::to_string);
        }
    }
    None
}

/// Disable duplicate address detection on eth0 so the link-local address is usable at once
/// (a VRRPv3 IPv6 advert is sent from it).
pub fn no_dad(ns: &Netns) {
    ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=0"]);
    ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0"]);
    // Re-create the link-local address without DAD by cycling the link.
    ns.exec(&["ip", "link", "set", "eth0", "down"]);
    ns.exec(&["ip", "link", "set", "eth0", "up"]);
    let ok = wait_for(Duration::from_secs(5), || {
        let out = ns.try_exec(&[
            "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
        ]);
        let t = String::from_utf8_lossy(&out.stdout).to_string();
        (t.contains("fe80") && !t.contains("tentative")).then_some(())
    });
    assert!(ok.is_some(), "no usable link-local address on {}", ns.name);
}

/// Send SIGKILL to a pid and reap nothing (the harness reaps its own children).
pub fn sigkill(pid: i32) {
    // SAFETY: kill(2) on a pid of a process this test started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Three hosts on one bridge: 0 and 1 run the daemons, 2 only watches (ARP/ND, pings).
/// IPv4 192.0.2.1-3/24; with `ipv6`, also 2001:db8::1-3/64 and link-locals usable at once.
pub fn lan3(tag: &str, ipv6: bool) -> super::Lan {
    let lan = super::Lan::new(tag, 3);
    for i in 0..3 {
        if ipv6 {
            no_dad(&lan.hosts[i]);
            lan.addr(i, &format!("2001:db8::{}/64", i + 1));
        }
        lan.addr(i, &format!("192.0.2.{}/24", i + 1));
    }
    lan
}

/// Skew_Time of a v3 instance with `prio` and adverts every `advert_ms`.
pub fn skew_v3(prio: u8, advert_ms: u64) -> Duration {
    Duration::from_micros((256 - prio as u64) * advert_ms * 1000 / 256)
}

/// Master_Down_Interval of a v3 instance: 3 x advert + skew.
pub fn master_down_v3(prio: u8, advert_ms: u64) -> Duration {
    Duration::from_millis(3 * advert_ms) + skew_v3(prio, advert_ms)
}

/// Host 2 pings `vip` once and returns the MAC its neighbour table then holds for it.
pub fn learn_mac(lan: &super::Lan, vip: &str) -> Option<String> {
    wait_for(Duration::from_secs(3), || {
        let _ = lan.hosts[2].try_exec(&["ping", "-c", "1", "-W", "1", vip]);
        neigh_mac(&lan.hosts[2], vip)
    })
}

/// Wait until host 2's neighbour entry for `vip` is `mac`.
pub fn wait_neigh(lan: &super::Lan, vip: &str, mac: &str, timeout: Duration) -> bool {
    wait_for(timeout, || {
        (neigh_mac(&lan.hosts[2], vip).as_deref() == Some(mac)).then_some(())
    })
    .is_some()
}

/// Wait until `master` holds `vip` and `backup` does not, then check it stays so for `hold`.
pub fn converge(lan: &super::Lan, vip: &str, master: usize, backup: usize, hold: Duration) {
    assert!(
        wait_addr(&lan.hosts[master], vip, true, Duration::from_secs(6)).is_some(),
        "host {master} never got the VIP {vip}"
    );
    std::thread::sleep(hold);
    assert!(
        has_addr(&lan.hosts[master], vip),
        "host {master} lost the VIP {vip}"
    );
    assert!(
        !has_addr(&lan.hosts[backup], vip),
        "both hosts hold the VIP {vip} (split brain)"
    );
}

/// A scratch directory per daemon under one temp dir.
pub fn subdir(root: &Path, name: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).expect("create dir");
    d
}
