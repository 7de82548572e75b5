//! Several files are the nodes of one cluster: cluster-mismatch, priority-tie and the election
//! note.

mod common;

use std::path::PathBuf;

use vrrp::config::{Diagnostic, LoadOptions, Severity};
use vrrp::lint::{lint_files_with, LocalHost};

fn lint(files: &[(&str, String)]) -> (Vec<Diagnostic>, tempfile::TempDir) {
    let dir = common::tempdir();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let r = lint_files_with(&paths, &LoadOptions::default(), &LocalHost);
    assert!(r.unreadable.is_empty());
    let d = r
        .diagnostics
        .into_iter()
        .filter(|d| matches!(d.code, "cluster-mismatch" | "priority-tie" | "election"))
        .collect();
    (d, dir)
}

fn corpus(name: &str) -> String {
    std::fs::read_to_string(common::data("conf").join(name)).unwrap()
}

fn codes(d: &[Diagnostic]) -> Vec<(&'static str, String, u32)> {
    d.iter()
        .map(|d| {
            let f = d
                .span
                .file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (d.code, f, d.span.line)
        })
        .collect()
}

#[test]
fn agreeing_pair_gets_only_the_election_note() {
    let (d, _dir) = lint(&[
        ("a.conf", corpus("seed-master.conf")),
        ("b.conf", corpus("seed-backup.conf")),
    ]);
    assert_eq!(codes(&d), vec![("election", "a.conf".into(), 6)]);
    assert_eq!(d[0].severity, Severity::Note);
    let m = &d[0].message;
    assert!(m.contains("VRID 100 (IPv4)"), "{m}");
    assert!(
        m.contains("lb01") && m.find("lb01").unwrap() < m.find("is MASTER").unwrap(),
        "{m}"
    );
    assert!(m.contains("if lb01") && m.contains("fails: lb02"), "{m}");
}

#[test]
fn disagreeing_auth_advert_and_vips() {
    let b = corpus("seed-backup.conf")
        .replace("1qazXSW@", "other")
        .replace("advert_int  1", "advert_int  2")
        .replace("192.0.2.26", "192.0.2.27");
    let (d, _dir) = lint(&[("a.conf", corpus("seed-master.conf")), ("b.conf", b)]);
    let c = codes(&d);
    assert_eq!(
        c,
        vec![
            ("cluster-mismatch", "b.conf".into(), 11),
            ("cluster-mismatch", "b.conf".into(), 12),
            ("cluster-mismatch", "b.conf".into(), 16),
            ("election", "a.conf".into(), 6),
        ]
    );
    assert!(d
        .iter()
        .all(|d| d.code != "cluster-mismatch" || d.severity == Severity::Error));
    assert!(d[1].message.contains("PASS `other`") && d[1].message.contains("PASS `1qazXSW@`"));
}

#[test]
fn version_mismatch() {
    let b = corpus("seed-backup.conf")
        .replace("advert_int  1", "version 3")
        .replace(
            "  authentication {\n      auth_type  PASS\n      auth_pass  1qazXSW@\n  }\n",
            "",
        );
    let a = corpus("seed-master.conf").replace(
        "  authentication {\n      auth_type  PASS\n      auth_pass  1qazXSW@\n  }\n",
        "",
    );
    let (d, _dir) = lint(&[("a.conf", a), ("b.conf", b)]);
    assert_eq!(codes(&d)[0], ("cluster-mismatch", "b.conf".into(), 11));
    assert!(d[0].message.contains("VRRP version 3"));
}

#[test]
fn unicast_peers_must_be_symmetric() {
    let (d, _dir) = lint(&[
        ("a.conf", corpus("unicast-a.conf")),
        ("b.conf", corpus("unicast-b.conf")),
    ]);
    assert_eq!(codes(&d), vec![("election", "a.conf".into(), 7)]);
    let b = corpus("unicast-b.conf").replace("        192.0.2.1\n", "        192.0.2.9\n");
    let (d, _dir) = lint(&[("a.conf", corpus("unicast-a.conf")), ("b.conf", b)]);
    assert_eq!(codes(&d)[0], ("cluster-mismatch", "b.conf".into(), 14));
    assert!(d[0].message.contains("192.0.2.1"), "{}", d[0].message);
    // One node unicast, the other multicast.
    let (d, _dir) = lint(&[
        ("a.conf", corpus("unicast-a.conf")),
        ("b.conf", corpus("seed-backup.conf").replace("100", "70")),
    ]);
    assert!(d
        .iter()
        .any(|d| d.code == "cluster-mismatch" && d.message.contains("multicast")));
}

#[test]
fn priority_tie_warns() {
    let b = corpus("seed-backup.conf").replace("priority  90", "priority  100");
    let (d, _dir) = lint(&[("a.conf", corpus("seed-master.conf")), ("b.conf", b)]);
    assert_eq!(
        codes(&d),
        vec![
            ("priority-tie", "b.conf".into(), 10),
            ("election", "a.conf".into(), 6)
        ]
    );
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[1].message.contains("tied"));
}

#[test]
fn different_vrids_are_different_routers() {
    let b = corpus("seed-backup.conf").replace("virtual_router_id  100", "virtual_router_id  101");
    let (d, _dir) = lint(&[("a.conf", corpus("seed-master.conf")), ("b.conf", b)]);
    assert!(d.is_empty(), "{d:?}");
}
