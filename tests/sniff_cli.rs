//! `vrrpctl sniff` at the command line: sources, filters, -w, -c, colors, and the one-sentence
//! errors with exit 2.

mod common;
use common::*;

use std::process::Command;

fn vrrpctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("vrrpctl"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn mixed() -> String {
    data("pcap/keepalived_mixed.pcap")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn reads_the_bundled_capture() {
    let (code, out, err) = vrrpctl(&["sniff", "-r", &mixed()]);
    assert_eq!(code, 0, "{err}");
    let adverts = out.lines().filter(|l| l.contains(": VRRPv")).count();
    assert!(adverts > 60, "{out}");
    assert!(out.contains("ARP, gratuitous, 192.0.2.100 is-at"));
    assert!(out.contains("unsolicited neighbor advertisement, tgt is 2001:db8::53"));
    assert!(
        out.contains("VRID 55 (IPv4): no master (the last one left)"),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colors when stdout is not a terminal"
    );
}

#[test]
fn count_vrid_and_write() {
    let dir = tempdir();
    let w = dir.path().join("vrid51.pcap");
    let (code, out, err) = vrrpctl(&[
        "--json",
        "sniff",
        "-r",
        &mixed(),
        "--vrid",
        "51",
        "-w",
        w.to_str().unwrap(),
        "--no-summary",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let vrrp: Vec<_> = lines.iter().filter(|l| l["kind"] == "vrrp").collect();
    assert!(vrrp.iter().all(|l| l["vrid"] == 51));
    // The takeover announcements for VRID 51's address come along; others do not.
    let garps: Vec<_> = lines.iter().filter(|l| l["kind"] == "garp").collect();
    assert!(!garps.is_empty() && garps.iter().all(|l| l["ip"] == "192.0.2.100"));
    // What -w wrote reads back as the same packets.
    let (code, again, err) =
        vrrpctl(&["--json", "sniff", "-r", w.to_str().unwrap(), "--no-summary"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out);
    // tcpdump agrees it is a pcap.
    if require_tool("tcpdump") {
        let t = Command::new("tcpdump")
            .args(["-n", "-r"])
            .arg(&w)
            .output()
            .unwrap();
        assert!(t.status.success());
        assert_eq!(
            String::from_utf8_lossy(&t.stdout).lines().count(),
            lines.len()
        );
    }
    let (code, out, _) = vrrpctl(&["sniff", "-r", &mixed(), "-c", "3", "--no-summary"]);
    assert_eq!(code, 0);
    // -c counts VRRP packets; the takeover announcements between them are shown too.
    assert_eq!(
        out.lines().filter(|l| l.contains(": VRRPv")).count(),
        3,
        "{out}"
    );
    assert!(out.lines().last().unwrap().contains(": VRRPv"), "{out}");
    let (_, out, _) = vrrpctl(&["sniff", "-r", &mixed(), "-c", "2", "-v", "--no-summary"]);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains(" IP (tos 0xc0, ttl 255, id "),
        "{out}"
    );
}

/// The first record of a bundled capture, rendered with `--color always`.
fn first_line_colored(pcap: &str) -> String {
    let path = data(pcap);
    let (_, out, _) = vrrpctl(&[
        "--color",
        "always",
        "sniff",
        "-r",
        path.to_str().unwrap(),
        "-c",
        "1",
        "--no-summary",
    ]);
    out
}

#[test]
fn colors_mark_priority_zero_and_errors() {
    let out = first_line_colored("pcap/keepalived_priority0.pcap");
    assert!(
        out.contains("\x1b[") && out.contains("prio 0 (master leaving)"),
        "{out:?}"
    );
    let out = first_line_colored("pcap/codec_edge_cases.pcap");
    assert!(
        out.contains("\x1b[") && out.contains("[INVALID: bad checksum"),
        "{out:?}"
    );
    // no-color.org: NO_COLOR changes the default, an explicit --color always still wins.
    let edge = data("pcap/codec_edge_cases.pcap");
    let run = |color: &str| {
        let out = Command::new(bin("vrrpctl"))
            .args([
                "--color",
                color,
                "sniff",
                "-r",
                edge.to_str().unwrap(),
                "-c",
                "1",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run("always").contains('\x1b'));
    assert!(!run("auto").contains('\x1b'));
    assert!(!run("never").contains('\x1b'));
}

#[test]
fn errors_are_one_sentence_and_exit_2() {
    let dir = tempdir();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, not a capture\n").unwrap();
    let cut = dir.path().join("cut.pcap");
    let bytes = std::fs::read(mixed()).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let missing = dir.path().join("missing.pcap");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["sniff".into()], "sniff needs a source"),
        (
            vec!["sniff".into(), "-r".into(), text.display().to_string()],
            "is not a pcap or pcapng file",
        ),
        (
            vec!["sniff".into(), "-r".into(), missing.display().to_string()],
            "cannot read",
        ),
        (
            vec!["sniff".into(), "-r".into(), cut.display().to_string()],
            "damaged or cut short",
        ),
        (
            vec!["sniff".into(), "-i".into(), "vrrpnosuch0".into()],
            "no such interface: vrrpnosuch0",
        ),
        (
            vec![
                "sniff".into(),
                "-r".into(),
                mixed(),
                "-w".into(),
                "/nonexistent/dir/x.pcap".into(),
            ],
            "cannot write /nonexistent/dir/x.pcap",
        ),
    ];
    for (args, want) in cases {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let (code, _, err) = vrrpctl(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    // A source that cannot be opened prints nothing on stdout: no empty summary above the error.
    for bad in [text.to_str().unwrap(), missing.to_str().unwrap()] {
        let (_, out, _) = vrrpctl(&["sniff", "-r", bad]);
        assert_eq!(out, "", "{bad}");
    }
    // A cut file still shows what it could read before the error.
    let (_, out, _) = vrrpctl(&["sniff", "-r", cut.to_str().unwrap()]);
    assert!(out.lines().count() > 50);
}

#[test]
fn capturing_without_privilege_says_what_to_do() {
    if !require_root() || !require_tool("setpriv") {
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(bin("vrrpctl"))
        .args(["sniff", "-i", "lo", "-c", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot capture on lo: permission denied; run as root or grant CAP_NET_RAW"),
        "{err}"
    );
}

/// The part of a line from "SRC > DST: " on, with the AH header details removed (tcpdump -v
/// prints length and ICV too) and our priority-0 note dropped.
fn vrrp_part(line: &str) -> Option<String> {
    let v = line.find(": VRRPv").or_else(|| line.find(": AH("))?;
    let head = &line[..v];
    let dst_start = head.rfind(" > ")?;
    let src_start = head[..dst_start].rfind(' ').map_or(0, |i| i + 1);
    let mut s = line[src_start..].to_string();
    if let (Some(a), Some(b)) = (s.find("AH("), s.find("): VRRPv")) {
        s.replace_range(a..b + 3, "");
    }
    Some(s.replace("prio 0 (master leaving)", "prio 0"))
}

#[test]
fn text_lines_match_tcpdump_verbose() {
    if !require_tool("tcpdump") {
        return;
    }
    let t = Command::new("tcpdump")
        .args(["-v", "-n", "-r"])
        .arg(mixed())
        .output()
        .unwrap();
    let theirs: Vec<String> = String::from_utf8_lossy(&t.stdout)
        .lines()
        .filter_map(vrrp_part)
        .collect();
    let (_, out, _) = vrrpctl(&["sniff", "--no-summary", "-r", &mixed()]);
    let ours: Vec<String> = out.lines().filter_map(vrrp_part).collect();
    assert!(ours.len() > 60);
    assert_eq!(ours, theirs);
}

/// `IP... SRC > DST` of the VRRP lines of `text` (AH-wrapped too): the IP header part that
/// `-v` adds, with the addresses. tcpdump -v puts an IPv4 packet's addresses on a continuation
/// line; it is joined to its header line first.
fn header_parts(text: &str) -> Vec<String> {
    let mut joined: Vec<String> = Vec::new();
    for l in text.lines() {
        match (l.strip_prefix("    "), joined.last_mut()) {
            (Some(rest), Some(prev)) => {
                prev.push(' ');
                prev.push_str(rest);
            }
            _ => joined.push(l.to_string()),
        }
    }
    joined
        .iter()
        .filter_map(|l| {
            let end = l.find(": AH(").or_else(|| l.find(": VRRPv"))?;
            // Without the time of day: a nanosecond pcapng shows 9 digits here, 6 in tcpdump.
            let start = l.find(" IP")?;
            Some(l[start..end].to_string())
        })
        .collect()
}

#[test]
fn verbose_ip_headers_match_tcpdump_on_every_capture() {
    if !require_tool("tcpdump") {
        return;
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        data("pcap"),
        std::path::PathBuf::from("/work/shared/reference/pcap"),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            // codec_malformed.pcap's frames are cut on purpose: we show them as `[malformed]`;
            // the damaged_*.pcap files are compared with tcpdump by tests/sniff_damaged.rs.
            let broken = p.to_string_lossy().contains("malformed")
                || p.to_string_lossy().contains("damaged_");
            if !broken && p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut v6_lines = 0;
    for f in &files {
        let t = Command::new("tcpdump")
            .args(["-v", "-n", "-r"])
            .arg(f)
            .output()
            .unwrap();
        let theirs = header_parts(&String::from_utf8_lossy(&t.stdout));
        let (code, out, err) =
            vrrpctl(&["sniff", "-v", "--no-summary", "-r", &f.to_string_lossy()]);
        assert_eq!(code, 0, "{}: {err}", f.display());
        let ours = header_parts(&out);
        assert_eq!(ours, theirs, "{}", f.display());
        v6_lines += ours.iter().filter(|l| l.contains(" IP6 (")).count();
    }
    assert!(v6_lines > 10, "too few IPv6 lines compared: {v6_lines}");
}
