//! Damaged captures (tests/data/pcap/damaged_*.pcap, made by make_damaged.py): `vrrpctl sniff`
//! reads on past a bad record the way tcpdump does — every record is reported, a truncated or
//! undecodable one is marked, an unknown link type is shown per record — and stops, after
//! showing every record before it, only where tcpdump stops too. tcpdump 4.99 is the referee.

mod common;
use common::*;

use std::process::Command;

/// How a tool showed one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// A whole VRRP advert, decoded.
    Advert,
    /// Marked as cut short, undecodable or of an unknown link type.
    Marked,
}

struct Run {
    code: i32,
    /// (time of day, how) per record, in order.
    records: Vec<(String, Shown)>,
    stderr: String,
}

fn is_record_line(l: &str) -> bool {
    // Both tools start a record's line with its time of day, HH:MM:SS.frac.
    l.len() > 9 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':'
}

fn tcpdump(file: &str) -> Run {
    // -v: tcpdump decodes the addresses and the password only then, and marks a record cut
    // inside them (`[|vrrp]`) on its second line.
    let out = Command::new("tcpdump")
        .args(["-r", file, "-n", "-v"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = Vec::new();
    for l in stdout.lines() {
        if is_record_line(l) || l.starts_with("[Invalid header") {
            lines.push(l.to_string());
        } else if let Some(last) = lines.last_mut() {
            last.push_str(l);
        }
    }
    let records = lines
        .iter()
        .map(|l| {
            let marked = l.contains("[|") || l.contains("UNSUPPORTED") || l.contains("[Invalid");
            let how = if !marked && l.contains(": VRRPv") {
                Shown::Advert
            } else {
                Shown::Marked
            };
            (l.split(' ').next().unwrap_or("").to_string(), how)
        })
        .collect();
    Run {
        code: out.status.code().unwrap_or(-1),
        records,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn vrrpctl(file: &str) -> Run {
    let out = Command::new(bin("vrrpctl"))
        .args(["sniff", "-r", file, "--color", "never", "--no-summary"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records = stdout
        .lines()
        .filter(|l| is_record_line(l))
        .map(|l| {
            let how = if l.contains(": VRRPv") && !l.contains("[INVALID") {
                Shown::Advert
            } else {
                Shown::Marked
            };
            (l.split(' ').next().unwrap_or("").to_string(), how)
        })
        .collect();
    Run {
        code: out.status.code().unwrap_or(-1),
        records,
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn file(name: &str) -> String {
    data(&format!("pcap/{name}")).to_string_lossy().into_owned()
}

const DAMAGED: &[&str] = &[
    "damaged_snaplen_exceeded.pcap",
    "damaged_truncated_records.pcap",
    "damaged_unknown_linktype.pcap",
    "damaged_odd_headers.pcap",
    "damaged_huge_caplen.pcap",
    "damaged_cut_short.pcap",
];

#[test]
fn every_record_is_shown_and_marked_as_tcpdump_marks_it() {
    if !require_tool("tcpdump") {
        return;
    }
    for name in DAMAGED {
        let f = file(name);
        let theirs = tcpdump(&f);
        let ours = vrrpctl(&f);
        let how = |r: &Run| r.records.iter().map(|x| x.1).collect::<Vec<_>>();
        assert_eq!(
            how(&ours),
            how(&theirs),
            "{name}: records shown differ\nours {:?}\ntcpdump {:?}",
            ours.records,
            theirs.records
        );
        for (i, (a, b)) in ours.records.iter().zip(&theirs.records).enumerate() {
            // tcpdump prints the header's "[Invalid header ...]" without a time; and a
            // microsecond field past one second as is (06.1500000), where we carry it over.
            if b.0.starts_with('[') || b.0.len() > 15 {
                continue;
            }
            assert_eq!(a.0, b.0, "{name}: record {i}'s time");
        }
        // Where tcpdump stops with an error (exit 1), we stop with one too (exit 2, an I/O
        // error in DESIGN.md's terms) after the same records.
        match theirs.code {
            0 => assert_eq!(ours.code, 0, "{name}: {}", ours.stderr),
            _ => {
                assert!(theirs.stderr.contains("pcap_loop"), "{}", theirs.stderr);
                assert_eq!(ours.code, 2, "{name}");
                assert!(ours.stderr.contains(&f), "{name}: {}", ours.stderr);
            }
        }
    }
}

#[test]
fn undecodable_records_have_stable_json_codes() {
    let out = Command::new(bin("vrrpctl"))
        .args([
            "--json",
            "sniff",
            "-r",
            &file("damaged_unknown_linktype.pcap"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for l in &lines[..2] {
        assert_eq!(l["kind"], "undecoded");
        assert_eq!(l["errors"][0]["code"], "unknown-link-type");
        assert_eq!(l["length"], 54);
    }
    assert_eq!(lines[2]["summary"]["undecoded"], 2);

    let out = Command::new(bin("vrrpctl"))
        .args([
            "--json",
            "sniff",
            "-r",
            &file("damaged_truncated_records.pcap"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let kinds: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("summary").is_none())
        .map(|v| {
            let code = v["errors"]
                .get(0)
                .map(|e| e["code"].as_str().unwrap_or("").to_string())
                .unwrap_or_default();
            format!("{}:{code}", v["kind"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "malformed:malformed",
            "malformed:malformed",
            "undecoded:truncated",
            "vrrp:",
            "malformed:malformed"
        ],
        "{text}"
    );
    assert!(
        text.contains("the capture kept 46 of 54 bytes"),
        "a record cut by the snap length says so: {text}"
    );
}

#[test]
fn a_record_longer_than_the_snap_length_no_longer_refuses_the_file() {
    let out = Command::new(bin("vrrpctl"))
        .args([
            "sniff",
            "-r",
            &file("damaged_snaplen_exceeded.pcap"),
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("(the capture kept 50 of 54 bytes)"), "{text}");
    assert!(
        text.contains("[truncated: 50 of 78 bytes captured, too few to decode]"),
        "{text}"
    );
    assert!(
        text.contains("1 capture record could not be decoded"),
        "{text}"
    );
}
