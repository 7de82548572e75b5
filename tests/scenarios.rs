//! Conformance scenarios as data: every directory under tests/scenarios/ holds the nodes'
//! keepalived.conf files, an `events` file and the golden `expected` output (timeline to the
//! microsecond, final VIP owners, findings). The same files `vrrpctl simulate-failover
//! --scenario DIR` reads. Regenerate the goldens with `UPDATE_SCENARIOS=1 cargo nextest run
//! --test scenarios`, and read the diff: each story also has its own assertions below, which
//! pin what the golden must show.

use std::path::{Path, PathBuf};
use std::time::Duration;

use vrrp::fsm::{State, Time};
use vrrp::sim::findings::{self, Finding};
use vrrp::sim::scenario::golden;
use vrrp::sim::{Report, Run, Scenario};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

fn run(name: &str) -> (Scenario, Run, Vec<Finding>) {
    let s = Scenario::from_dir(&dir(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let r = s.run().unwrap_or_else(|e| panic!("{name}: {e}"));
    let f = findings::findings(&s, &r);
    (s, r, f)
}

fn ms(t: Time) -> f64 {
    t.as_micros() as f64 / 1000.0
}

/// Who owned the VIP, in order (consecutive duplicates collapsed, and the sub-millisecond
/// overlap while an old master hears the new one's first advert left out).
fn owner_sequence(r: &Report) -> Vec<String> {
    let mut seq: Vec<String> = Vec::new();
    for (k, o) in r.vip_owners.iter().enumerate() {
        let next = r.vip_owners.get(k + 1).map_or(r.end, |n| n.at);
        if next - o.at < Duration::from_millis(1) {
            continue;
        }
        let who = if o.owners.is_empty() {
            "-".to_string()
        } else {
            o.owners.join("+")
        };
        if seq.last() != Some(&who) {
            seq.push(who);
        }
    }
    seq
}

fn master_entries<'a>(r: &'a Report, node: &'a str) -> Vec<Time> {
    r.transitions_of(node)
        .filter(|e| e.to == State::Master)
        .map(|e| e.at)
        .collect()
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

#[test]
fn every_scenario_matches_its_golden() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    let update = std::env::var_os("UPDATE_SCENARIOS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for name in &names {
        let (_, r, f) = run(name);
        let got = golden(&r.report, &f);
        let path = root.join(name).join("expected");
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SCENARIOS=1 writes it)", path.display()));
        if want != got {
            stale.push(format!("--- {name}/expected\n{want}+++ got\n{got}"));
        }
    }
    assert!(
        stale.is_empty(),
        "scenarios differ from their golden (UPDATE_SCENARIOS=1 rewrites them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn two_nodes_preempt_moves_twice() {
    let (_, r, f) = run("two_nodes_preempt");
    let r = r.report;
    assert_eq!(owner_sequence(&r), ["lb01", "-", "lb02", "lb01"]);
    let back = master_entries(&r, "lb01");
    assert_eq!(back.len(), 2);
    // Back at once: the first advert it hears from lb02 is lower and it preempts when its
    // down timer expires, i.e. within Master_Down_Interval of its start.
    assert!(
        back[1] > Time::from_secs(20) && back[1] < Time::from_secs(24),
        "{back:?}"
    );
    assert!(codes(&f).contains(&"preempt-on-return"), "{f:?}");
    assert!(!findings::ends_badly(&f));
}

#[test]
fn nopreempt_on_both_keeps_the_weakened_master() {
    let (_, r, f) = run("nopreempt_both");
    let r = r.report;
    // A's check fails at 10 s (fall 3, interval 2: counted at 14 s) and A drops to 60, yet B
    // never takes over until A is stopped at 30 s.
    assert_eq!(master_entries(&r, "B").len(), 1);
    let b = master_entries(&r, "B")[0];
    assert!(b > Time::from_secs(30) && b < Time::from_secs(31), "{b}");
    // The graceful stop leaves the VIP down for B's Skew_Time only.
    assert_eq!(owner_sequence(&r), ["A", "-", "B"]);
    assert!(r
        .instance("B", "VI_1")
        .is_some_and(|i| i.state == State::Master));
    assert!(r
        .instance("A", "VI_1")
        .is_some_and(|i| i.state == State::Backup));
    let w: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == "weight-cannot-move-master")
        .collect();
    assert_eq!(w.len(), 1, "{f:?}");
    assert!(w[0].message.contains("nopreempt"), "{}", w[0].message);
}

#[test]
fn three_nodes_follow_their_weights() {
    let (_, r, f) = run("three_nodes_weights");
    let r = r.report;
    let seq = owner_sequence(&r);
    assert_eq!(seq.first().map(String::as_str), Some("n1"));
    assert_eq!(seq.last().map(String::as_str), Some("n1"));
    assert!(
        seq.contains(&"n2".to_string()) && seq.contains(&"n3".to_string()),
        "{seq:?}"
    );
    // n1's failure (130) hands over to n2 (140) only, n2's (120) to n3 (130): after 20 s n1 and
    // n3 tie at 130 and the higher address (n3) holds it.
    let n2 = master_entries(&r, "n2");
    assert!(
        n2.iter()
            .any(|t| *t > Time::from_secs(10) && *t < Time::from_secs(16)),
        "{n2:?}"
    );
    assert!(!findings::ends_badly(&f));
}

#[test]
fn a_flapping_check_flaps_the_vip() {
    let (_, r, f) = run("script_weight_flap");
    assert!(codes(&f).contains(&"flapping"), "{f:?}");
    assert!(master_entries(&r.report, "web2").len() >= 3);
    assert_eq!(
        owner_sequence(&r.report).last().map(String::as_str),
        Some("web1")
    );
}

#[test]
fn firewall_block_splits_the_brain_until_unblocked() {
    let (_, r, f) = run("firewall_split_brain");
    let rep = &r.report;
    assert_eq!(rep.split_brains.len(), 1, "{:?}", rep.split_brains);
    let sb = &rep.split_brains[0];
    assert!(!sb.ongoing);
    // lb02 stops hearing lb01 at 10 s: master after its Master_Down_Interval (v2: 3 s + (256 -
    // 100) / 256 s) from lb01's last advert; it ends when the first advert gets through at 20 s.
    assert!(
        sb.start > Time::from_secs(12) && sb.start < Time::from_secs(14),
        "{sb:?}"
    );
    assert!(
        sb.end >= Time::from_secs(20) && sb.end < Time::from_secs(21),
        "{sb:?}"
    );
    let split: Vec<&Finding> = f.iter().filter(|f| f.code == "split-brain").collect();
    assert_eq!(split.len(), 1);
    let d = split[0].duration_ms.expect("duration");
    assert!((d - (ms(sb.end) - ms(sb.start))).abs() < 0.001, "{d}");
    assert!(!findings::ends_badly(&f));
}

#[test]
fn graceful_and_crash_failover_times_follow_the_rfc_to_the_microsecond() {
    let (s, r, _) = run("graceful_vs_crash");
    let r = r.report;
    let delay = s.link.delay;
    // VRRPv3, interval 1 s, b priority 100.
    let interval = Duration::from_secs(1);
    let skew = interval * (256 - 100) / 256;
    assert_eq!(skew, Duration::from_micros(609_375));
    let mdi = interval * 3 + skew;
    let b = master_entries(&r, "b");
    assert_eq!(b.len(), 2, "{b:?}");
    // Graceful: a's priority-0 advert at 10.5 s arrives after the link delay; b takes over
    // Skew_Time later.
    assert_eq!(b[0], Time::from_millis(10_500) + delay + skew);
    // Crash at 30.5 s: b takes over Master_Down_Interval after a's last advert arrived.
    let a_back = master_entries(&r, "a")
        .into_iter()
        .find(|t| *t > Time::from_secs(20))
        .expect("a preempts on return");
    let since = (Time::from_millis(30_500) - a_back).as_micros() / 1_000_000;
    let last_advert = a_back + Duration::from_secs(since as u64);
    assert_eq!(b[1], last_advert + delay + mdi);
    let e = r
        .transitions_of("b")
        .filter(|e| e.to == State::Master)
        .collect::<Vec<_>>();
    assert_eq!(e[0].reason, "priority 0 received");
    assert_eq!(e[1].reason, "master down timer expired");
}

#[test]
fn link_down_faults_the_master_and_its_goodbye_never_arrives() {
    let (_, r, f) = run("link_down");
    let r = r.report;
    let fault = r
        .transitions_of("lb01")
        .find(|e| e.to == State::Fault)
        .expect("lb01 enters FAULT");
    assert_eq!(fault.at, Time::from_secs(10));
    assert_eq!(fault.reason, "fault: interface eth0 is down");
    // lb02 waits its whole Master_Down_Interval (v2: 3 s + (256 - 100) / 256 s) from lb01's last
    // advert before 10 s, not Skew_Time: the priority-0 advert was lost with the link.
    let b = master_entries(&r, "lb02");
    assert_eq!(b.len(), 1);
    assert!(
        b[0] > Time::from_millis(12_600) && b[0] < Time::from_millis(13_700),
        "{b:?}"
    );
    assert_eq!(owner_sequence(&r), ["lb01", "-", "lb02", "lb01"]);
    assert!(!findings::ends_badly(&f));
}
