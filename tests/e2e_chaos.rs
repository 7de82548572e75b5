//! A chaos soak: 4 nodes on one LAN (vrrpd and keepalived alternating), two VRRP instances
//! with opposite priority orders, and for `CHAOS_SECS` seconds (60 by default) random faults:
//! SIGKILL, SIGTERM, SIGSTOP/SIGCONT, link down/up, an nft rule dropping protocol 112 inbound,
//! tc netem delay and loss, a config reload (SIGHUP), a failing tracked script. After each
//! fault and after each repair the soak waits Master_Down_Interval plus a margin and checks the
//! invariants: every VIP is held by exactly the node(s) RFC 5798 and the configs say, no VIP is
//! left on a stopped node and none is lost. Address holdings are sampled every 10 ms from inside
//! each namespace (getifaddrs, no process spawned) for the longest time without a master and the
//! longest split brain.
//!
//! `benches/chaos.sh` (this test with `CHAOS_SECS=600 CHAOS_COMPARE=1`, run without nextest's
//! 5-minute e2e timeout) runs the 10-minute soak and then the same soak with keepalived in every
//! vrrpd's place, and prints both tables. Only the mixed run's violations fail the test.
//! `CHAOS_COMPARE=only` runs the keepalived-only soak alone; `CHAOS_KEEP=1` keeps the nodes'
//! directories (configs, every start's daemon log) and prints where.

mod common;
use common::daemon::*;
use common::*;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const N: usize = 4;
const VIPS: [&str; 2] = ["192.0.2.100", "192.0.2.101"];
/// VI_1's priorities; VI_2 has them reversed, so two nodes are masters at once.
const PRIO: [u8; N] = [150, 140, 130, 120];
/// What a failing tracked script takes from VI_1's priority.
const SCRIPT_WEIGHT: u8 = 60;
/// Master_Down_Interval at 0.1 s adverts is about 0.36 s; the margin covers process start-up,
/// a loaded 2-core machine and keepalived's own start-up delay.
const SETTLE: Duration = Duration::from_millis(1800);
/// How long a fault lasts before it is repaired.
const HOLD: Duration = Duration::from_millis(1200);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Vrrpd,
    Keepalived,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    Kill,
    Term,
    StopCont,
    LinkDown,
    NftDrop,
    Netem,
    Reload,
    ScriptFail,
}

const FAULTS: [Fault; 8] = [
    Fault::Kill,
    Fault::Term,
    Fault::StopCont,
    Fault::LinkDown,
    Fault::NftDrop,
    Fault::Netem,
    Fault::Reload,
    Fault::ScriptFail,
];

/// A node of the soak and what the model knows about it.
struct Node {
    kind: Kind,
    dir: PathBuf,
    /// Whether the daemon runs (false after a stop, and after a restart that did not take).
    running: bool,
    pid: i32,
    link_up: bool,
    nft_drop: bool,
    script_failing: bool,
    /// VIPs a SIGKILLed daemon left on its interface: still there until it starts again (and
    /// removes them before its first advert).
    stale: BTreeSet<usize>,
    /// How many times the daemon was started (numbers the kept logs of earlier runs).
    starts: usize,
}

impl Node {
    fn name(&self, i: usize) -> String {
        format!("n{i} ({:?})", self.kind)
    }
}

fn config(i: usize, fail_file: &Path) -> String {
    let vi = |name: &str, vrid: u8, prio: u8, vip: &str, track: bool| {
        let track = if track {
            "  track_script {\n    chk_fail\n  }\n"
        } else {
            ""
        };
        format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  version 3\n  priority {prio}\n  advert_int 0.1\n{track}  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
        )
    };
    format!(
        "global_defs {{\n  router_id n{i}\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 1\n}}\n\n\
         vrrp_script chk_fail {{\n  script \"/bin/sh -c 'test ! -e {}'\"\n  interval 1\n  weight -{SCRIPT_WEIGHT}\n  fall 1\n  rise 1\n}}\n\n{}{}",
        fail_file.display(),
        vi("VI_1", 51, PRIO[i], VIPS[0], true),
        vi("VI_2", 52, PRIO[N - 1 - i], VIPS[1], false)
    )
}

/// Whether `vrrpd -t` (in a node's namespace, where eth0 exists) says it would run this config
/// as written, track_script included.
fn vrrpd_runs_track_script(ns: &Netns, conf: &str, dir: &Path) -> bool {
    let p = dir.join("probe.conf");
    std::fs::write(&p, conf).expect("probe config");
    let vrrpd = bin("vrrpd");
    let out = ns.try_exec(&[
        &vrrpd.display().to_string(),
        "-t",
        "-f",
        &p.display().to_string(),
    ]);
    out.status.success()
}

/// The addresses on eth0 of every node, sampled from inside each namespace.
struct Holdings {
    now: Vec<BTreeSet<IpAddr>>,
}

fn ns_fd(name: &str) -> std::fs::File {
    std::fs::File::open(format!("/var/run/netns/{name}")).expect("netns file")
}

fn eth0_addrs() -> BTreeSet<IpAddr> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return BTreeSet::new();
    };
    addrs
        .filter(|a| a.interface_name == "eth0")
        .filter_map(|a| {
            let sa = a.address?;
            sa.as_sockaddr_in().map(|v4| IpAddr::V4(v4.ip()))
        })
        .collect()
}

/// One sampler thread per namespace (setns once, then getifaddrs every 10 ms).
fn start_samplers(names: &[String], stop: Arc<AtomicBool>) -> Arc<Mutex<Holdings>> {
    let h = Arc::new(Mutex::new(Holdings {
        now: vec![BTreeSet::new(); names.len()],
    }));
    for (i, name) in names.iter().enumerate() {
        let (h, stop, fd) = (h.clone(), stop.clone(), ns_fd(name));
        std::thread::spawn(move || {
            use std::os::fd::AsRawFd;
            // SAFETY: setns on an open netns file for this thread only.
            if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return;
            }
            while !stop.load(Ordering::Relaxed) {
                let a = eth0_addrs();
                if let Ok(mut g) = h.lock() {
                    g.now[i] = a;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    }
    h
}

/// Longest stretch with no holder, and with two or more, per VIP, sampled.
#[derive(Default)]
struct Gaps {
    since_none: Vec<Option<Instant>>,
    since_split: Vec<Option<Instant>>,
    longest_none: Duration,
    longest_split: Duration,
}

/// Track one kind of stretch (no holder, several holders): open it, or close it and keep the
/// longest.
fn stretch(now_in: bool, since: &mut Option<Instant>, longest: &mut Duration, t: Instant) {
    match (now_in, *since) {
        (true, None) => *since = Some(t),
        (false, Some(s0)) => {
            *longest = (*longest).max(t - s0);
            *since = None;
        }
        _ => {}
    }
}

struct Soak {
    lan: Lan,
    nodes: Vec<Node>,
    fail_files: Vec<PathBuf>,
    rng: u64,
    faults: usize,
    checks: usize,
    violations: Vec<String>,
    skipped: Vec<&'static str>,
    /// Restarts after which the daemon exited at once (keepalived's "daemon is already
    /// running" while its SIGKILLed VRRP child is an unreaped zombie): the node stays down,
    /// its leftover VIPs stay, and the next round tries again, as a service manager would.
    restarts_refused: usize,
    started: Instant,
    /// Every fault injected, in order (printed with the table).
    log: Vec<String>,
}

impl Soak {
    fn new(tag: &str, kinds: [Kind; N], root: &Path) -> Soak {
        let lan = Lan::new(tag, N);
        for i in 0..N {
            lan.addr(i, &format!("192.0.2.{}/24", i + 1));
        }
        let mut s = Soak {
            lan,
            nodes: Vec::new(),
            fail_files: Vec::new(),
            rng: std::env::var("CHAOS_SEED")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0x5eed_cafe),
            faults: 0,
            checks: 0,
            violations: Vec::new(),
            skipped: Vec::new(),
            restarts_refused: 0,
            started: Instant::now(),
            log: Vec::new(),
        };
        for (i, kind) in kinds.into_iter().enumerate() {
            let dir = subdir(root, &format!("{tag}{i}"));
            s.fail_files.push(dir.join("fail"));
            s.nodes.push(Node {
                kind,
                dir,
                running: false,
                pid: 0,
                link_up: true,
                nft_drop: false,
                script_failing: false,
                stale: BTreeSet::new(),
                starts: 0,
            });
            s.start(i);
        }
        s
    }

    fn next(&mut self, n: usize) -> usize {
        // xorshift64: reproducible per seed.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % n as u64) as usize
    }

    fn start(&mut self, i: usize) {
        let conf = config(i, &self.fail_files[i]);
        let node = &mut self.nodes[i];
        // Each start truncates the daemon's log: keep the previous run's (CHAOS_KEEP reads them).
        for log in ["vrrpd.log", "keepalived.log"] {
            let p = node.dir.join(log);
            if p.exists() {
                let _ = std::fs::rename(&p, node.dir.join(format!("{log}.{}", node.starts)));
            }
        }
        node.starts += 1;
        let ns = &mut self.lan.hosts[i];
        node.pid = match node.kind {
            Kind::Vrrpd => Vrrpd::start(ns, &node.dir, &conf).1.pid(),
            Kind::Keepalived => Keepalived::start(ns, &node.dir, &conf).1.pid(),
        };
        node.running = true;
    }

    /// Start node `i` again after its daemon stopped, wait for it to settle, and record
    /// whether the start took: a daemon that exited meanwhile leaves the node down, with the
    /// VIPs a SIGKILL left still on it (the model keeps them as stale until a start takes).
    fn restart(&mut self, i: usize, what: &str) {
        self.start(i);
        // The script runs every second and a restarted daemon waits its first down timer.
        std::thread::sleep(SETTLE + Duration::from_millis(1000));
        let pid = self.nodes[i].pid;
        if self.lan.hosts[i].wait_pid(pid, Duration::from_millis(30)) {
            self.nodes[i].running = false;
            self.restarts_refused += 1;
            let t = self.started.elapsed().as_secs_f64();
            let line = format!(
                "{t:7.1}s {what}: {} exited at start (restart refused; see its log)",
                self.nodes[i].name(i)
            );
            // vrrpd has one process and one pid file: it must never refuse a restart.
            if self.nodes[i].kind == Kind::Vrrpd {
                self.violations.push(line.clone());
            }
            self.log.push(line);
        } else {
            self.nodes[i].stale.clear();
        }
    }

    fn signal(&self, i: usize, sig: libc::c_int) {
        let node = &self.nodes[i];
        // keepalived: the VRRP child does the VRRP work; it must die first for a crash without
        // a goodbye, and be frozen with the parent.
        if node.kind == Kind::Keepalived
            && [libc::SIGKILL, libc::SIGSTOP, libc::SIGCONT].contains(&sig)
        {
            if let Some(child) = std::fs::read_to_string(node.dir.join("vrrp.pid"))
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                // SAFETY: kill(2) of keepalived's VRRP child, started by this test.
                unsafe { libc::kill(child, sig) };
            }
        }
        // SAFETY: kill(2) of a daemon this test started (by the pid it was given).
        unsafe { libc::kill(node.pid, sig) };
    }

    fn wait_exit(&mut self, i: usize) {
        let pid = self.nodes[i].pid;
        if !self.lan.hosts[i].wait_pid(pid, Duration::from_secs(5)) {
            self.signal(i, libc::SIGKILL);
            self.lan.hosts[i].wait_pid(pid, Duration::from_secs(2));
        }
    }

    /// Who should hold each VIP now, as sets of node indexes.
    fn expected(&self) -> Vec<BTreeSet<usize>> {
        (0..VIPS.len())
            .map(|v| {
                let prio = |i: usize| {
                    let base = if v == 0 { PRIO[i] } else { PRIO[N - 1 - i] };
                    if v == 0 && self.nodes[i].script_failing {
                        base - SCRIPT_WEIGHT
                    } else {
                        base
                    }
                };
                let alive: Vec<usize> = (0..N)
                    .filter(|&i| self.nodes[i].running && self.nodes[i].link_up)
                    .collect();
                // Equal priorities: the higher address (index) wins, as RFC 5798 says.
                let best = |c: &[usize]| c.iter().copied().max_by_key(|&i| (prio(i), i));
                let mut want = BTreeSet::new();
                // A node that drops VRRP inbound hears no one: it is master regardless; the
                // others hear it and elect among themselves unless it outranks them all.
                let deaf: Vec<usize> = alive
                    .iter()
                    .copied()
                    .filter(|&i| self.nodes[i].nft_drop)
                    .collect();
                let hearing: Vec<usize> = alive
                    .iter()
                    .copied()
                    .filter(|&i| !self.nodes[i].nft_drop)
                    .collect();
                want.extend(deaf.iter().copied());
                want.extend(
                    (0..N).filter(|&i| !self.nodes[i].running && self.nodes[i].stale.contains(&v)),
                );
                if let Some(b) = best(&hearing) {
                    if deaf.iter().all(|&d| (prio(d), d) < (prio(b), b)) {
                        want.insert(b);
                    }
                }
                want
            })
            .collect()
    }

    fn check(&mut self, what: &str, holdings: &Mutex<Holdings>) {
        self.checks += 1;
        let want = self.expected();
        let now: Vec<BTreeSet<IpAddr>> = holdings.lock().map(|h| h.now.clone()).unwrap_or_default();
        for (v, vip) in VIPS.iter().enumerate() {
            let ip: IpAddr = vip.parse().unwrap();
            let got: BTreeSet<usize> = (0..N).filter(|&i| now[i].contains(&ip)).collect();
            if got != want[v] {
                let t = self.started.elapsed().as_secs_f64();
                self.violations.push(format!(
                    "{t:7.1}s after {what}: {vip} held by {got:?}, expected {:?}",
                    want[v]
                ));
            }
        }
    }

    /// Inject one random fault on one random node, check, repair, check.
    fn round(&mut self, holdings: &Mutex<Holdings>, track_script: bool) {
        // A node whose restart was refused is started again first (nothing else is down: the
        // previous round repaired its own fault).
        for i in 0..N {
            if !self.nodes[i].running {
                let what = format!("retried start of n{i}");
                self.restart(i, &what);
                self.check(&what, holdings);
            }
        }
        let fault = FAULTS[self.next(FAULTS.len())];
        if fault == Fault::ScriptFail && !track_script {
            if !self.skipped.contains(&"script-fail") {
                self.skipped.push("script-fail");
            }
            return;
        }
        let i = self.next(N);
        if !self.nodes[i].running {
            // Its restart was refused again: no daemon to fault (and no pid to signal).
            return;
        }
        self.faults += 1;
        let name = format!("{fault:?} on {}", self.nodes[i].name(i));
        self.log.push(format!(
            "{:7.1}s {name}",
            self.started.elapsed().as_secs_f64()
        ));
        let ns = self.lan.hosts[i].name.clone();
        let exec = |args: &[&str]| {
            let mut a = vec!["ip", "netns", "exec", &ns];
            a.extend_from_slice(args);
            let _ = std::process::Command::new(a[0]).args(&a[1..]).output();
        };
        match fault {
            Fault::Kill | Fault::Term => {
                if fault == Fault::Kill {
                    let now = holdings
                        .lock()
                        .map(|h| h.now[i].clone())
                        .unwrap_or_default();
                    self.nodes[i].stale = (0..VIPS.len())
                        .filter(|&v| now.contains(&VIPS[v].parse::<IpAddr>().unwrap()))
                        .collect();
                }
                self.signal(
                    i,
                    if fault == Fault::Kill {
                        libc::SIGKILL
                    } else {
                        libc::SIGTERM
                    },
                );
                self.wait_exit(i);
                self.nodes[i].running = false;
            }
            Fault::StopCont => self.signal(i, libc::SIGSTOP),
            Fault::LinkDown => {
                exec(&["ip", "link", "set", "eth0", "down"]);
                self.nodes[i].link_up = false;
            }
            Fault::NftDrop => {
                exec(&[
                    "nft",
                    "add table inet chaos; add chain inet chaos input { type filter hook input priority 0; }; add rule inet chaos input meta l4proto vrrp drop",
                ]);
                self.nodes[i].nft_drop = true;
            }
            Fault::Netem => exec(&[
                "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "20ms", "loss", "2%",
            ]),
            Fault::Reload => self.signal(i, libc::SIGHUP),
            Fault::ScriptFail => {
                let _ = std::fs::write(&self.fail_files[i], b"");
                self.nodes[i].script_failing = true;
            }
        }
        // A frozen daemon keeps its addresses (the kernel owns them): nothing to model.
        std::thread::sleep(if fault == Fault::StopCont {
            HOLD
        } else {
            SETTLE
        });
        if fault != Fault::StopCont {
            self.check(&name, holdings);
        }
        match fault {
            Fault::Kill | Fault::Term => self.restart(i, &format!("repair of {name}")),
            Fault::StopCont => self.signal(i, libc::SIGCONT),
            Fault::LinkDown => {
                exec(&["ip", "link", "set", "eth0", "up"]);
                self.nodes[i].link_up = true;
            }
            Fault::NftDrop => {
                exec(&["nft", "delete table inet chaos"]);
                self.nodes[i].nft_drop = false;
            }
            Fault::Netem => exec(&["tc", "qdisc", "del", "dev", "eth0", "root"]),
            Fault::Reload => {}
            Fault::ScriptFail => {
                let _ = std::fs::remove_file(&self.fail_files[i]);
                self.nodes[i].script_failing = false;
            }
        }
        if !matches!(fault, Fault::Kill | Fault::Term) {
            // The script runs every second (restart waited on its own).
            std::thread::sleep(SETTLE + Duration::from_millis(1000));
        }
        self.check(&format!("repair of {name}"), holdings);
    }
}

struct Table {
    label: String,
    faults: usize,
    checks: usize,
    violations: usize,
    longest_none: Duration,
    longest_split: Duration,
    restarts_refused: usize,
    skipped: Vec<&'static str>,
}

fn soak(tag: &str, kinds: [Kind; N], secs: u64) -> (Table, Vec<String>) {
    let root = tempdir();
    let mut s = Soak::new(tag, kinds, root.path());
    // The soak's times are relative to this; the daemons' logs have wall-clock times.
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    println!(
        "soak {tag}: t=0 is {:.3} s since the Unix epoch (date -u -d @SECONDS)",
        epoch.as_secs_f64()
    );
    let track_script = kinds.iter().all(|&k| k == Kind::Keepalived)
        || vrrpd_runs_track_script(&s.lan.hosts[0], &config(0, &s.fail_files[0]), root.path());
    let names: Vec<String> = s.lan.hosts.iter().map(|h| h.name.clone()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let holdings = start_samplers(&names, stop.clone());
    // Gap tracking on its own thread, from the samples.
    let gaps = Arc::new(Mutex::new(Gaps {
        since_none: vec![None; VIPS.len()],
        since_split: vec![None; VIPS.len()],
        ..Default::default()
    }));
    let measuring = Arc::new(AtomicBool::new(false));
    {
        let (holdings, gaps, stop, measuring) = (
            holdings.clone(),
            gaps.clone(),
            stop.clone(),
            measuring.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
                if !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                let now: Vec<BTreeSet<IpAddr>> =
                    holdings.lock().map(|h| h.now.clone()).unwrap_or_default();
                let Ok(mut guard) = gaps.lock() else { continue };
                let g = &mut *guard;
                let t = Instant::now();
                for (v, vip) in VIPS.iter().enumerate() {
                    let ip: IpAddr = vip.parse().unwrap();
                    let holders = now.iter().filter(|a| a.contains(&ip)).count();
                    stretch(holders == 0, &mut g.since_none[v], &mut g.longest_none, t);
                    stretch(holders > 1, &mut g.since_split[v], &mut g.longest_split, t);
                }
            }
        });
    }
    // Initial convergence, then the invariant holds before any fault.
    std::thread::sleep(SETTLE + Duration::from_secs(1));
    s.check("start", &holdings);
    measuring.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        s.round(&holdings, track_script);
    }
    measuring.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let g = gaps
        .lock()
        .map(|g| (g.longest_none, g.longest_split))
        .unwrap_or_default();
    if std::env::var_os("CHAOS_KEEP").is_some() {
        // The daemons' configs and logs (every start's), for reading the violations.
        println!("soak {tag}: kept {}", root.keep().display());
    }
    let label = if kinds.contains(&Kind::Vrrpd) {
        "vrrpd + keepalived (n0, n2 vrrpd)".to_string()
    } else {
        "keepalived only".to_string()
    };
    (
        Table {
            label,
            faults: s.faults,
            checks: s.checks,
            violations: s.violations.len(),
            longest_none: g.0,
            longest_split: g.1,
            restarts_refused: s.restarts_refused,
            skipped: s.skipped.clone(),
        },
        s.log
            .iter()
            .map(|l| format!("fault: {l}"))
            .chain(s.violations.iter().map(|v| format!("violation: {v}")))
            .collect(),
    )
}

fn print(tables: &[Table], secs: u64) {
    println!(
        "\nchaos soak, {secs} s each, 4 nodes, 2 instances, faults every ~{:.1} s",
        (SETTLE * 2 + Duration::from_secs(1)).as_secs_f64()
    );
    println!("| daemons | faults injected | invariant checks | violations | longest without a master | longest split brain (incl. the splits nft-drop and SIGSTOP force) | restarts refused | faults skipped |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for t in tables {
        println!(
            "| {} | {} | {} | {} | {} ms | {} ms | {} | {} |",
            t.label,
            t.faults,
            t.checks,
            t.violations,
            t.longest_none.as_millis(),
            t.longest_split.as_millis(),
            t.restarts_refused,
            if t.skipped.is_empty() {
                "none".to_string()
            } else {
                t.skipped.join(", ")
            }
        );
    }
}

#[test]
fn chaos_soak_keeps_one_holder_per_vip() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") || !require_tool("tc")
    {
        return;
    }
    let secs: u64 = std::env::var("CHAOS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    // CHAOS_COMPARE=1: the mixed soak, then the same with keepalived on every node;
    // CHAOS_COMPARE=only: the keepalived-only soak alone (to study keepalived's own violations).
    let compare = std::env::var("CHAOS_COMPARE").unwrap_or_default();
    let mut tables = Vec::new();
    let mut lines = Vec::new();
    if compare != "only" {
        let mixed = [Kind::Vrrpd, Kind::Keepalived, Kind::Vrrpd, Kind::Keepalived];
        let (t, l) = soak("cm", mixed, secs);
        tables.push(t);
        lines = l;
    }
    let violations: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("violation"))
        .collect();
    let mut compared = Vec::new();
    if compare == "1" || compare == "only" {
        let (t, l) = soak("ck", [Kind::Keepalived; N], secs);
        tables.push(t);
        compared = l;
    }
    print(&tables, secs);
    for l in &lines {
        println!("{l}");
    }
    // The comparison's faults and violations, to tell keepalived's own behaviour from the
    // model's.
    for l in &compared {
        println!("keepalived only, {l}");
    }
    assert!(
        violations.is_empty(),
        "{} invariant violations (see the fault log above)",
        violations.len()
    );
}
