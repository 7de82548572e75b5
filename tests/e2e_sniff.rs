//! Live capture beside a real keepalived: `vrrpctl sniff -i eth0` in a second namespace of the
//! same LAN sees its adverts, stops after -c N, and prints the summary on Ctrl-C.

mod common;
use common::*;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

const CONF: &str = r#"global_defs {
  router_id live
}
vrrp_instance V2 {
  interface eth0
  virtual_router_id 91
  priority 200
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass live
  }
  virtual_ipaddress {
    192.0.2.91/24
  }
}
vrrp_instance V3 {
  version 3
  interface eth0
  virtual_router_id 92
  priority 200
  advert_int 0.2
  virtual_ipaddress {
    192.0.2.92/24
  }
}
"#;

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Everything the exited child wrote on one of its pipes.
fn drain(pipe: Option<impl Read>) -> String {
    let mut text = String::new();
    pipe.expect("piped")
        .read_to_string(&mut text)
        .expect("UTF-8 output");
    text
}

#[test]
fn live_capture_beside_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = Lan::new("sn", 2);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    let dir = tempdir();
    let (k, _) = Keepalived::start(&mut lan.hosts[0], dir.path(), CONF);

    // -c 12 --json: twelve adverts from keepalived, all valid, then the summary line.
    let out = lan.hosts[1]
        .command(bin("vrrpctl"))
        .args(["--json", "sniff", "-i", "eth0", "-c", "12"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = Proc { child: out };
    let status = p.wait_timeout(Duration::from_secs(30));
    let stdout = drain(p.child.stdout.take());
    let stderr = drain(p.child.stderr.take());
    assert!(
        status.is_some_and(|s| s.success()),
        "sniff did not finish: {stderr}\n{}",
        k.log()
    );
    let lines = json_lines(&stdout);
    let adverts: Vec<_> = lines.iter().filter(|l| l["kind"] == "vrrp").collect();
    assert_eq!(adverts.len(), 12, "{stdout}");
    for a in &adverts {
        assert_eq!(a["src"], "192.0.2.1", "{a}");
        assert_eq!(a["dst"], "224.0.0.18", "{a}");
        assert_eq!(a["ttl"], 255, "{a}");
        assert_eq!(a["priority"], 200, "{a}");
        assert_eq!(a["errors"].as_array().unwrap().len(), 0, "{a}");
        assert_eq!(a["checksum_valid"], true, "{a}");
        match a["vrid"].as_u64().unwrap() {
            91 => {
                assert_eq!(
                    (
                        a["version"].as_u64(),
                        a["auth_type"].as_str(),
                        a["auth"].as_str()
                    ),
                    (Some(2), Some("simple"), Some("live"))
                );
                assert_eq!(a["advert_int_cs"], 100);
                assert_eq!(a["addresses"][0], "192.0.2.91");
            }
            92 => {
                assert_eq!(a["version"], 3);
                assert_eq!(a["advert_int_cs"], 20);
                assert_eq!(a["addresses"][0], "192.0.2.92");
            }
            v => panic!("unexpected vrid {v}"),
        }
    }
    let ts: Vec<f64> = adverts.iter().map(|a| a["ts"].as_f64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "timestamps go forward");
    let summary = &lines.last().unwrap()["summary"];
    let v92 = summary["vrids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vrid"] == 92)
        .expect("vrid 92 in the summary");
    assert_eq!(v92["master"], "192.0.2.1");
    // 0.2 s adverts, measured on a loaded machine: a generous margin.
    let observed = v92["speakers"][0]["observed_interval_ms"].as_f64().unwrap();
    assert!(
        (150.0..300.0).contains(&observed),
        "observed interval {observed} ms"
    );

    // Without -c, Ctrl-C ends the capture and the text summary still prints.
    let child = lan.hosts[1]
        .command(bin("vrrpctl"))
        .args(["--color", "never", "sniff", "-i", "eth0", "--vrid", "92"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = Proc { child };
    std::thread::sleep(Duration::from_millis(1500));
    // `ip netns exec` execs the command, so the child's pid is vrrpctl's.
    p.signal(libc::SIGINT);
    let status = p.wait_timeout(Duration::from_secs(5));
    let stdout = drain(p.child.stdout.take());
    assert!(status.is_some_and(|s| s.success()), "{stdout}");
    assert!(
        stdout
            .lines()
            .filter(|l| l.contains("vrid 92, prio 200"))
            .count()
            >= 3,
        "{stdout}"
    );
    assert!(!stdout.contains("vrid 91"), "{stdout}");
    assert!(
        stdout.contains("VRID 92 (IPv4): master 192.0.2.1"),
        "{stdout}"
    );
}

#[test]
fn any_interface_is_a_cooked_capture_of_every_interface() {
    if !require_root() || !require_tool("keepalived") || !require_tool("tcpdump") {
        return;
    }
    let mut lan = Lan::new("sa", 2);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    let dir = tempdir();
    let (k, _) = Keepalived::start(&mut lan.hosts[0], dir.path(), CONF);
    let pcap = dir.path().join("any.pcap");
    let child = lan.hosts[1]
        .command(bin("vrrpctl"))
        .args([
            "--json", "sniff", "-i", "any", "-c", "4", "--vrid", "92", "-w",
        ])
        .arg(&pcap)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = Proc { child };
    let status = p.wait_timeout(Duration::from_secs(30));
    let stdout = drain(p.child.stdout.take());
    let stderr = drain(p.child.stderr.take());
    assert!(
        status.is_some_and(|s| s.success()),
        "sniff -i any did not finish: {stderr}\n{}",
        k.log()
    );
    let lines = json_lines(&stdout);
    let adverts: Vec<_> = lines.iter().filter(|l| l["kind"] == "vrrp").collect();
    assert_eq!(adverts.len(), 4, "{stdout}");
    for a in &adverts {
        assert_eq!(
            (&a["src"], &a["vrid"]),
            (&"192.0.2.1".into(), &92.into()),
            "{a}"
        );
        assert_eq!(a["errors"].as_array().unwrap().len(), 0, "{a}");
        // The cooked header keeps the sender's MAC.
        assert!(a["src_mac"].is_string(), "{a}");
    }
    // The file is what `tcpdump -i any -w` writes: Linux cooked capture, readable by tcpdump.
    let t = std::process::Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&t.stderr);
    assert!(err.contains("LINUX_SLL"), "{err}");
    let text = String::from_utf8_lossy(&t.stdout);
    assert_eq!(
        text.lines().filter(|l| l.contains("vrid 92")).count(),
        4,
        "{text}"
    );
}
