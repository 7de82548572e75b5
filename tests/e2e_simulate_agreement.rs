//! The simulator agrees with real processes: each story runs in network namespaces with a real
//! vrrpd and a real keepalived (VRRPv3, 0.1 s adverts), the failures injected for real (SIGKILL,
//! SIGTERM, an nft rule dropping VRRP, the link going down, a track_script that starts
//! failing), while tcpdump on a third host records every advert. Then the same configs run in
//! `sim::Scenario` with the events at the instants they really happened (the simulated clock
//! is aligned on the first master's first advert), and the two must show the same sequence of
//! masters, each takeover within 50 ms.
//!
//! A master "takes over" at its first advert after a silence; the simulator's transition to
//! MASTER is the instant its first advert leaves.

mod common;
use common::daemon::*;
use common::tcpdump::{Seen, Tcpdump};
use common::*;

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vrrp::config;
use vrrp::fsm::{State, Time};
use vrrp::sim::scenario::{nodes_from, EventsFile};
use vrrp::sim::{Event, Scenario, Step, TimedStep};

const VIP_CIDR: &str = "192.0.2.100/24";
const TOLERANCE: Duration = Duration::from_millis(50);
const INTERVAL: Duration = Duration::from_millis(100);

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
}

fn ip(i: usize) -> IpAddr {
    format!("192.0.2.{}", i + 1).parse().expect("address")
}

/// One node of a story: which daemon, on which host (0 or 1), its config text.
struct Side {
    name: &'static str,
    vrrpd: bool,
    conf: String,
}

fn side(name: &'static str, vrrpd: bool, prio: u8, extra: &[String], global: &str) -> Side {
    let mut c = InstanceConf::v3(prio, VIP_CIDR);
    c.extra = extra.to_vec();
    let text = c.file(name);
    Side {
        name,
        vrrpd,
        conf: format!("{global}{text}"),
    }
}

/// A running story: the LAN, the capture, what was injected when.
struct Story {
    lan: Lan,
    dir: tempfile::TempDir,
    sides: [Side; 2],
    dump: Tcpdump,
    pids: [i32; 2],
    /// (real time, the step as the simulator takes it).
    injected: Vec<(Duration, Step)>,
}

impl Story {
    /// Start side 0 (the first master) then side 1, and wait until side 0 holds the VIP.
    fn start(tag: &str, a: Side, b: Side) -> Story {
        let mut lan = lan3(tag, false);
        let dir = tempdir();
        let dump = Tcpdump::start(&mut lan.hosts[2], "eth0", "ip proto 112", dir.path());
        let mut pids = [0; 2];
        let sides = [a, b];
        for (i, s) in sides.iter().enumerate() {
            pids[i] = launch(&mut lan, dir.path(), i, s, 0);
            if i == 0 {
                assert!(
                    wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(5)).is_some(),
                    "{} never became master",
                    s.name
                );
            }
        }
        std::thread::sleep(Duration::from_millis(600));
        Story {
            lan,
            dir,
            sides,
            dump,
            pids,
            injected: Vec::new(),
        }
    }

    fn node(&self, i: usize) -> String {
        self.sides[i].name.to_string()
    }

    fn note(&mut self, at: Duration, step: Step) {
        self.injected.push((at, step));
    }

    fn sim_event(&mut self, at: Duration, e: Event) {
        self.note(at, Step::Sim(e));
    }

    /// SIGKILL side `i` (no goodbye advert).
    fn crash(&mut self, i: usize) {
        let t = now();
        sigkill(self.pids[i]);
        let node = self.node(i);
        self.sim_event(t, Event::Kill { node });
    }

    /// SIGTERM side `i` (priority-0 advert) and wait for it to exit.
    fn stop(&mut self, i: usize) {
        let t = now();
        // SAFETY: kill(2) on a daemon this test started.
        unsafe { libc::kill(self.pids[i], libc::SIGTERM) };
        let node = self.node(i);
        self.sim_event(t, Event::Stop { node });
    }

    /// Start side `i` again (a fresh run directory). The simulation's start is when the
    /// daemon's instance really started: vrrpd's log line of its startup transition (the
    /// process takes tens of milliseconds to get there on a loaded machine).
    fn restart(&mut self, i: usize, run: usize) {
        let spawned = now();
        self.pids[i] = launch(&mut self.lan, self.dir.path(), i, &self.sides[i], run);
        let t = if self.sides[i].vrrpd {
            let log = self
                .dir
                .path()
                .join(format!("{}-{run}", self.sides[i].name))
                .join("vrrpd.log");
            wait_for(Duration::from_secs(3), || {
                let text = std::fs::read_to_string(&log).ok()?;
                let line = text.lines().find(|l| l.contains("INIT -> BACKUP"))?;
                log_time(line)
            })
            .expect("vrrpd logged its startup")
        } else {
            spawned
        };
        let node = self.node(i);
        self.sim_event(t, Event::Start { node });
    }

    /// Run a command in host `i` and note `step` at the moment it returned (when the rule or
    /// link change is in force).
    fn exec_then(&mut self, i: usize, cmd: &[&str], step: Step) {
        self.lan.hosts[i].exec(cmd);
        let t = now();
        self.note(t, step);
    }

    fn wait(&self, d: Duration) {
        std::thread::sleep(d);
    }

    /// Compare the wire with the simulation of the same configs and injected steps.
    fn agree(self, expected_masters: &[&str]) {
        self.wait(Duration::from_millis(300));
        let seen = self.dump.seen();
        let names: Vec<(IpAddr, &str)> = (0..2).map(|i| (ip(i), self.sides[i].name)).collect();
        let real = takeovers(&seen, &names);
        let loaded = self
            .sides
            .iter()
            .map(|s| config::load_str(format!("{}.conf", s.name), &s.conf))
            .collect();
        let addresses = (0..2)
            .map(|i| (self.sides[i].name.to_string(), ip(i)))
            .collect::<Vec<_>>();
        let nodes = nodes_from(loaded, &addresses).expect("nodes");
        // A first run finds when the first master starts advertising in virtual time.
        let first_sim = {
            let s = Scenario::new(
                nodes.clone(),
                EventsFile {
                    until: Some(Duration::from_secs(2)),
                    ..EventsFile::default()
                },
            );
            let r = s.run().expect("sim").report;
            r.first_entry(self.sides[0].name, State::Master, Time::ZERO)
                .expect("the first master in the simulation")
        };
        // Align the simulated clock on the first master's last advert before the first
        // injected step: a real daemon's advert period drifts by a little every time (it
        // re-arms from when it woke up), the simulation's does not.
        let first_step = self.injected.iter().map(|(t, _)| *t).min().expect("a step");
        let a_adverts: Vec<Duration> = seen
            .iter()
            .filter(|p| p.src == ip(0) && p.vrrp_prio().is_some_and(|x| x > 0) && p.at < first_step)
            .map(|p| p.at)
            .collect();
        let (Some(_), Some(&t_r)) = (real.first(), a_adverts.last()) else {
            panic!("no advert of {} before the first step", self.sides[0].name);
        };
        let k = a_adverts.iter().filter(|t| **t >= real[0].0).count().max(1) - 1;
        let origin = t_r - ((first_sim - Time::ZERO) + INTERVAL * k as u32);
        let last = self
            .injected
            .iter()
            .map(|(t, _)| *t)
            .max()
            .unwrap_or(origin);
        let mut ev = EventsFile {
            until: Some(last - origin + Duration::from_secs(2)),
            ..EventsFile::default()
        };
        for (t, step) in &self.injected {
            ev.steps.push(TimedStep {
                at: *t - origin,
                step: step.clone(),
            });
        }
        let scenario = Scenario::new(nodes, ev);
        let report = scenario.run().expect("sim").report;
        let sim: Vec<(Duration, String)> = report
            .timeline
            .iter()
            .filter(|e| e.to == State::Master)
            .map(|e| (origin + (e.at - Time::ZERO), e.node.clone()))
            .collect();
        let show = |v: &[(Duration, String)]| {
            v.iter()
                .map(|(t, n)| format!("{n}@{:.3}", (*t - origin).as_secs_f64()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let steps: Vec<String> = scenario.steps.iter().map(|s| s.to_string()).collect();
        let wire: Vec<String> = seen
            .iter()
            .filter(|p| p.at + Duration::from_millis(300) >= first_step)
            .filter_map(|p| {
                let who = names.iter().find(|(a, _)| *a == p.src)?.1;
                Some(format!(
                    "{who}/{}@{:.3}",
                    p.vrrp_prio()?,
                    (p.at - origin).as_secs_f64()
                ))
            })
            .collect();
        let context = format!(
            "real: {}\nsim:  {}\nsteps: {steps:?}\nwire: {}",
            show(&real),
            show(&sim),
            wire.join(" ")
        );
        // Shown with --no-capture: the measured agreement.
        println!("{context}");
        let real_names: Vec<&str> = real.iter().map(|(_, n)| n.as_str()).collect();
        let sim_names: Vec<&str> = sim.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(real_names, expected_masters, "{context}");
        assert_eq!(sim_names, expected_masters, "{context}");
        for ((rt, rn), (st, _)) in real.iter().zip(&sim).skip(1) {
            let d = if rt > st { *rt - *st } else { *st - *rt };
            assert!(
                d <= TOLERANCE,
                "{rn} took over {:.1} ms apart\n{context}",
                d.as_secs_f64() * 1000.0
            );
        }
    }
}

/// Start side `s` on host `i`; returns its pid.
fn launch(lan: &mut Lan, root: &std::path::Path, i: usize, s: &Side, run: usize) -> i32 {
    let d = subdir(root, &format!("{}-{run}", s.name));
    if s.vrrpd {
        Vrrpd::start(&mut lan.hosts[i], &d, &s.conf).1.pid()
    } else {
        Keepalived::start(&mut lan.hosts[i], &d, &s.conf).1.pid()
    }
}

/// The takeovers on the wire: a sender's first advert (priority > 0) after at least 2.5 advert
/// intervals without one from it.
fn takeovers(seen: &[Seen], names: &[(IpAddr, &str)]) -> Vec<(Duration, String)> {
    let mut last: Vec<(IpAddr, Duration)> = Vec::new();
    let mut out = Vec::new();
    for p in seen {
        let Some(prio) = p.vrrp_prio() else { continue };
        if prio == 0 {
            continue;
        }
        let Some((_, name)) = names.iter().find(|(a, _)| *a == p.src) else {
            continue;
        };
        let prev = last.iter().find(|(a, _)| *a == p.src).map(|(_, t)| *t);
        if prev.is_none_or(|t| p.at - t > INTERVAL * 5 / 2) {
            out.push((p.at, name.to_string()));
        }
        last.retain(|(a, _)| *a != p.src);
        last.push((p.src, p.at));
    }
    out
}

fn ready() -> bool {
    require_root() && require_tool("keepalived") && require_tool("tcpdump")
}

#[test]
fn crash_then_restart_with_preempt() {
    if !ready() {
        return;
    }
    let mut s = Story::start(
        "sa",
        side("A", true, 150, &[], ""),
        side("B", false, 100, &[], ""),
    );
    s.crash(0);
    s.wait(Duration::from_millis(1500));
    s.restart(0, 1);
    s.wait(Duration::from_millis(1500));
    s.agree(&["A", "B", "A"]);
}

#[test]
fn graceful_stop_hands_over_after_skew_time() {
    if !ready() {
        return;
    }
    let mut s = Story::start(
        "sb",
        side("A", false, 150, &[], ""),
        side("B", true, 100, &[], ""),
    );
    s.stop(0);
    s.wait(Duration::from_millis(1500));
    s.agree(&["A", "B"]);
}

#[test]
fn firewall_dropping_vrrp_splits_the_brain_until_lifted() {
    if !ready() || !require_tool("nft") {
        return;
    }
    let mut s = Story::start(
        "sc",
        side("A", false, 150, &[], ""),
        side("B", true, 100, &[], ""),
    );
    let rules = "table inet simblock {\n chain input {\n  type filter hook input priority 0;\n  meta l4proto vrrp drop\n }\n}\n";
    let f = s.dir.path().join("block.nft");
    std::fs::write(&f, rules).expect("rules");
    s.exec_then(
        1,
        &["nft", "-f", f.to_str().expect("path")],
        Step::Sim(Event::BlockVrrp { node: "B".into() }),
    );
    s.wait(Duration::from_millis(1500));
    s.exec_then(
        1,
        &["nft", "delete", "table", "inet", "simblock"],
        Step::Sim(Event::UnblockVrrp { node: "B".into() }),
    );
    let t = now();
    s.wait(Duration::from_millis(800));
    // B's adverts stop within two intervals of the first A advert it hears again.
    let seen = s.dump.seen();
    let b_last = seen
        .iter()
        .filter(|p| p.src == ip(1) && p.vrrp_prio().is_some_and(|x| x > 0))
        .map(|p| p.at)
        .next_back()
        .expect("B advertised");
    assert!(
        b_last < t + INTERVAL * 2,
        "B still master {:?} after unblock",
        b_last - t
    );
    s.agree(&["A", "B"]);
}

#[test]
fn link_down_on_the_master_takes_master_down_interval() {
    if !ready() {
        return;
    }
    let mut s = Story::start(
        "sd",
        side("A", false, 150, &[], ""),
        side("B", true, 100, &[], ""),
    );
    s.exec_then(
        0,
        &["ip", "link", "set", "eth0", "down"],
        Step::Link {
            node: "A".into(),
            iface: Some("eth0".into()),
            down: true,
        },
    );
    s.wait(Duration::from_millis(1500));
    s.agree(&["A", "B"]);
}

#[test]
fn failing_track_script_lowers_the_master_below_the_backup() {
    if !ready() {
        return;
    }
    let dir = tempdir();
    let flag = dir.path().join("healthy");
    std::fs::write(&flag, "ok").expect("flag");
    let global = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test -f {}\"\n  interval 1\n  weight -60\n  fall 1\n  rise 1\n}}\n",
        flag.display()
    );
    let track = vec!["track_script {\n    chk\n  }".to_string()];
    let mut s = Story::start(
        "se",
        side("A", false, 150, &track, &global),
        side("B", true, 120, &[], ""),
    );
    std::fs::remove_file(&flag).expect("remove flag");
    // keepalived runs the script on its own schedule; the change shows on the wire between
    // the last advert with priority 150 and the first with 90, and the middle of that gap is
    // what the simulation is given.
    let lowered = wait_for(Duration::from_secs(3), || {
        s.dump
            .seen()
            .into_iter()
            .find(|p| p.src == ip(0) && p.vrrp_prio() == Some(90))
            .map(|p| p.at)
    })
    .expect("A advertised priority 90");
    let before = s
        .dump
        .seen()
        .into_iter()
        .filter(|p| p.src == ip(0) && p.vrrp_prio() == Some(150) && p.at < lowered)
        .map(|p| p.at)
        .next_back()
        .expect("A advertised 150 before");
    s.sim_event(
        before + (lowered - before) / 2,
        Event::SetPriority {
            node: "A".into(),
            instance: None,
            priority: 90,
        },
    );
    s.wait(Duration::from_millis(1500));
    s.agree(&["A", "B"]);
}

/// The time of a vrrpd log line (tracing's `2026-12-01T21:10:00.123456Z` prefix, UTC) since
/// the Unix epoch.
fn log_time(line: &str) -> Option<Duration> {
    let stamp = line.split_whitespace().next()?.strip_suffix('Z')?;
    let (date, time) = stamp.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|x| x.parse::<i64>());
    let (h, mi, se) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se).ok()?;
    let digits: String = frac.chars().take(9).collect();
    let nanos: u64 = format!("{digits:0<9}").parse().ok()?;
    Some(Duration::from_secs(secs) + Duration::from_nanos(nanos))
}

#[test]
fn log_times_are_utc_epoch() {
    assert_eq!(
        log_time("2026-12-01T21:10:00.123456Z  INFO VI_1: INIT -> BACKUP"),
        Some(Duration::from_secs(1_796_159_400) + Duration::from_micros(123_456))
    );
    assert_eq!(
        log_time("1970-01-01T00:00:01Z x"),
        Some(Duration::from_secs(1))
    );
    assert_eq!(log_time("garbage"), None);
}
