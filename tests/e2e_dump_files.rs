//! keepalived's dump files written by vrrpd, compared with keepalived 2.2.7's own for the same
//! config: each daemon runs alone on its own LAN (so both are master of everything), both get
//! USR1 (keepalived.data), USR2 (keepalived.stats) and the JSON signal, and the files must
//! have the same sections, the same lines in the same order with the same values - except the
//! values that must differ (times, fds, ifindexes, MACs, counters) and the lines vrrpd leaves
//! out on purpose (listed below with why). Then `vrrpctl status` reads vrrpd through its
//! keepalived.json the way it reads keepalived (the fallback when no control socket answers).

mod common;
use common::daemon::*;
use common::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

const CONF: &str = r#"global_defs {
  router_id DUMPTEST
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 2
}

vrrp_script chk_ok {
  script "/bin/true"
  interval 1
  weight 10
}

vrrp_sync_group SG1 {
  group {
    VI_1
    VI_2
  }
  notify "/bin/true SG"
}

vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  track_interface {
    eth0
  }
  virtual_ipaddress {
    192.0.2.100/24 label eth0:vip
  }
  notify_master "/bin/true A-master"
}

vrrp_instance VI_2 {
  state MASTER
  interface eth0
  virtual_router_id 52
  version 3
  priority 120
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.101
  }
  virtual_ipaddress_excluded {
    192.0.2.102
  }
}

vrrp_instance VI_3 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  version 3
  priority 100
  advert_int 0.1
  track_script {
    chk_ok
  }
  virtual_ipaddress {
    192.0.2.103/24
  }
}
"#;

/// keepalived lines vrrpd does not write (keys as `normalize` makes them), and why.
const OMITTED: &[(&str, &str)] = &[
    // Global definitions: machinery vrrpd does not have.
    (
        " No test config before reload",
        "vrrpd checks a config before applying it on HUP",
    ),
    (" Default interface = ", "LVS build option"),
    (" Disable local IGMP = ", "LVS build option"),
    (" LVS flush = ", "LVS"),
    (" LVS flush on stop = ", "LVS"),
    (" Default smtp_alert_checker = ", "LVS checkers"),
    (" Checkers log all failures = ", "LVS checkers"),
    (
        " libnftnl version #.#.#",
        "vrrpd runs nft, it does not link libnftnl",
    ),
    (" Max auto priority = ", "no realtime scheduling in vrrpd"),
    (
        " Min auto priority delay = ",
        "no realtime scheduling in vrrpd",
    ),
    (
        " VRRP process priority = ",
        "no realtime scheduling in vrrpd",
    ),
    (" VRRP don't swap = ", "no realtime scheduling in vrrpd"),
    (
        " VRRP realtime priority = ",
        "no realtime scheduling in vrrpd",
    ),
    (" VRRP realtime limit = ", "no realtime scheduling in vrrpd"),
    (" Checker process priority = ", "LVS checkers"),
    (" Checker don't swap = ", "LVS checkers"),
    (" Checker realtime priority = ", "LVS checkers"),
    (" Checker realtime limit = ", "LVS checkers"),
    (" BFD process priority = ", "BFD"),
    (" BFD don't swap = ", "BFD"),
    (" BFD realtime priority = ", "BFD"),
    (" BFD realtime limit = ", "BFD"),
    (" SNMP vrrp disabled", "SNMP"),
    (" SNMP checker disabled", "SNMP"),
    (" SNMP RFCv# disabled", "SNMP"),
    (" SNMP traps disabled", "SNMP"),
    (" SNMP socket = ", "SNMP"),
    (" DBus disabled", "DBus"),
    (" DBus service name = ", "DBus"),
    (" vrrp_netlink_cmd_rcv_bufs = ", "netlink buffer tuning"),
    (
        " vrrp_netlink_cmd_rcv_bufs_force = ",
        "netlink buffer tuning",
    ),
    (" vrrp_netlink_monitor_rcv_bufs = ", "netlink buffer tuning"),
    (
        " vrrp_netlink_monitor_rcv_bufs_force = ",
        "netlink buffer tuning",
    ),
    (" process_monitor_rcv_bufs = ", "netlink buffer tuning"),
    (
        " process_monitor_rcv_bufs_force = ",
        "netlink buffer tuning",
    ),
    (" lvs_netlink_cmd_rcv_bufs = ", "LVS"),
    (" lvs_netlink_cmd_rcv_bufs_force = ", "LVS"),
    (" lvs_netlink_monitor_rcv_bufs = ", "LVS"),
    (" lvs_netlink_monitor_rcv_bufs_force = ", "LVS"),
    (" rs_init_notifies = ", "LVS"),
    (" no_checker_emails = ", "LVS"),
    (" rx_bufs_multiples = ", "rx buffer tuning"),
    (" umask = ", "vrrpd writes its files with explicit modes"),
    // Interfaces: keepalived's per-interface bookkeeping of sysctls and debouncing.
    ("   Seen up = ", "link debouncing"),
    ("   Delayed state change running = ", "link debouncing"),
    ("   Up debounce timer = ", "link debouncing"),
    ("   Down debounce timer = ", "link debouncing"),
    ("   Reset ARP config counter #", "VMAC sysctl bookkeeping"),
    ("   Original arp_ignore #", "VMAC sysctl bookkeeping"),
    ("   Original arp_filter #", "VMAC sysctl bookkeeping"),
    ("   Original promote_secondaries #", "sysctl bookkeeping"),
    (
        "   Reset promote_secondaries counter #",
        "sysctl bookkeeping",
    ),
];

/// Keys whose values differ between two runs or hosts by nature.
const MASKED: &[&str] = &[
    "   Last transition = ",
    "   Read timeout = ",
    "   index = ",
    "   MAC = ",
    "   IPv6 address = ",
    "   Result = ",
    "   Script uid:gid = ",
    " Default script uid:gid #:#",
];

/// A line's key: up to ` = ` (digits masked), else the line with digits masked.
fn normalize(line: &str) -> String {
    let cut = line.find(" = ").map_or(line, |i| &line[..i + 3]);
    let mut out = String::new();
    let mut in_digits = false;
    for c in cut.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// Lines that vary with fds and the namespace's interfaces (compared by key only).
fn masked(line: &str, key: &str) -> bool {
    MASKED.iter().any(|m| normalize(m) == key)
        || key.starts_with("   fd_in ")
        || key.starts_with(" fd_in ")
        || key.starts_with("   Multicast address ff")
        || line.trim_start().starts_with("fe80::")
}

fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        if l.starts_with("------<") {
            out.push((l.to_string(), Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(l.to_string());
        }
    }
    out
}

/// Every difference between keepalived's data dump and ours that is not a masked value or an
/// omission listed above.
fn compare_data(ka: &str, ours: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let ka_s = sections(ka);
    let our_s = sections(ours);
    let ka_heads: Vec<&str> = ka_s.iter().map(|s| s.0.as_str()).collect();
    let our_heads: Vec<&str> = our_s.iter().map(|s| s.0.as_str()).collect();
    if ka_heads != our_heads {
        problems.push(format!(
            "sections differ:\n  keepalived {ka_heads:?}\n  vrrpd      {our_heads:?}"
        ));
    }
    for (head, ka_lines) in &ka_s {
        let Some((_, our_lines)) = our_s.iter().find(|s| &s.0 == head) else {
            continue;
        };
        // Our lines must be keepalived's in order (a longest common subsequence of the keys),
        // keepalived's others only the listed omissions.
        let kk: Vec<String> = ka_lines.iter().map(|l| normalize(l)).collect();
        let ok: Vec<String> = our_lines.iter().map(|l| normalize(l)).collect();
        let (n, m) = (kk.len(), ok.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if kk[i] == ok[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && kk[i] == ok[j] {
                let (kl, ol) = (&ka_lines[i], &our_lines[j]);
                if !masked(kl, &kk[i]) && kl != ol {
                    problems.push(format!("{head}: keepalived `{kl}`, vrrpd `{ol}`"));
                }
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                problems.push(format!(
                    "{head}: vrrpd writes `{}`, keepalived has no such line there",
                    our_lines[j]
                ));
                j += 1;
            } else {
                if !OMITTED.iter().any(|(o, _)| *o == kk[i]) {
                    problems.push(format!(
                        "{head}: vrrpd lacks keepalived's `{}`",
                        ka_lines[i]
                    ));
                }
                i += 1;
            }
        }
    }
    problems
}

/// The object keys of a compact JSON text in the order written (`{"k":` and `,"k":`; the
/// values of this test's config hold no `":`).
fn key_order(raw: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (i, _) in raw.match_indices("\":") {
        let start = raw[..i].rfind('"').map_or(0, |s| s + 1);
        if start >= 2 && matches!(&raw[start - 2..start - 1], "{" | ",") {
            keys.push(raw[start..i].to_string());
        }
    }
    keys
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a daemon this test started.
    unsafe { libc::kill(pid, sig) };
}

/// Signal `pid` and wait for `file` to be written anew and complete (`done`).
fn dump(pid: i32, sig: i32, file: &Path, done: impl Fn(&str) -> bool) -> String {
    let _ = std::fs::remove_file(file);
    signal(pid, sig);
    wait_for(Duration::from_secs(3), || {
        std::fs::read_to_string(file).ok().filter(|t| done(t))
    })
    .unwrap_or_else(|| panic!("no {} after signal {sig}", file.display()))
}

fn pid_in(p: PathBuf) -> i32 {
    wait_for(Duration::from_secs(3), || {
        std::fs::read_to_string(&p).ok()?.trim().parse().ok()
    })
    .unwrap_or_else(|| panic!("no pid in {}", p.display()))
}

#[test]
fn dump_files_match_keepalived_for_the_same_config() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan_k = lan3("dk", false);
    let mut lan_v = lan3("dv", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let _ka = Keepalived::start(&mut lan_k.hosts[0], &kd, CONF).0;
    let vrrpd = Vrrpd::start(&mut lan_v.hosts[0], &vd, CONF).0;
    for (lan, who) in [(&lan_k, "keepalived"), (&lan_v, "vrrpd")] {
        for vip in ["192.0.2.100", "192.0.2.101", "192.0.2.102", "192.0.2.103"] {
            assert!(
                wait_addr(&lan.hosts[0], vip, true, Duration::from_secs(6)).is_some(),
                "{who} never added {vip}: {}",
                vrrpd.log()
            );
        }
    }
    // Let the script run and the adverts flow on both.
    std::thread::sleep(Duration::from_millis(1500));
    let ka_pid = pid_in(kd.join("keepalived.pid"));
    let vd_pid = pid_in(vd.join("vrrpd.pid"));
    let complete = |t: &str| t.contains("------< Interfaces >------") && t.ends_with('\n');
    let ka_data = dump(ka_pid, libc::SIGUSR1, &kd.join("keepalived.data"), complete);
    let our_data = dump(vd_pid, libc::SIGUSR1, &vd.join("keepalived.data"), complete);
    let problems = compare_data(&ka_data, &our_data);
    assert!(
        problems.is_empty(),
        "{} difference(s):\n{}\n--- keepalived ---\n{ka_data}\n--- vrrpd ---\n{our_data}",
        problems.len(),
        problems.join("\n")
    );
    // The lines the exporters parse, by value.
    for l in [
        " VRRP Instance = VI_3",
        "   State = MASTER",
        " VRRP Script = chk_ok",
        "   Status = GOOD",
        " VRRP Sync Group = SG1, MASTER",
        "     192.0.2.100/24 dev eth0 scope global label eth0:vip set",
    ] {
        assert!(our_data.lines().any(|x| x == l), "no `{l}` in\n{our_data}");
    }

    // keepalived.stats: the same text once the counters are masked.
    let stats_done =
        |t: &str| t.contains("VRRP Instance: VI_3") && t.trim_end().ends_with("Sent: 0");
    let ka_stats = dump(
        ka_pid,
        libc::SIGUSR2,
        &kd.join("keepalived.stats"),
        stats_done,
    );
    let our_stats = dump(
        vd_pid,
        libc::SIGUSR2,
        &vd.join("keepalived.stats"),
        stats_done,
    );
    let mask = |t: &str| t.lines().map(normalize).collect::<Vec<_>>();
    assert_eq!(
        mask(&ka_stats),
        mask(&our_stats),
        "{ka_stats}\n---\n{our_stats}"
    );

    // keepalived.json: the same keys in the same order, the same values but times and counters.
    let sig_json = libc::SIGRTMIN() + 2;
    let parses = |t: &str| serde_json::from_str::<Value>(t).is_ok();
    let ka_raw = dump(ka_pid, sig_json, &kd.join("keepalived.json"), parses);
    let our_raw = dump(vd_pid, sig_json, &vd.join("keepalived.json"), parses);
    assert_eq!(
        key_order(&ka_raw),
        key_order(&our_raw),
        "{ka_raw}\n{our_raw}"
    );
    let ka_json: Value = serde_json::from_str(&ka_raw).unwrap();
    let our_json: Value = serde_json::from_str(&our_raw).unwrap();
    let (ka_arr, our_arr) = (ka_json.as_array().unwrap(), our_json.as_array().unwrap());
    assert_eq!(ka_arr.len(), our_arr.len());
    for (k, o) in ka_arr.iter().zip(our_arr) {
        for part in ["data", "stats"] {
            let kk: Vec<&String> = k[part].as_object().unwrap().keys().collect();
            let ok: Vec<&String> = o[part].as_object().unwrap().keys().collect();
            assert_eq!(kk, ok, "{part} keys of {}", k["data"]["iname"]);
        }
        for (key, kv) in k["data"].as_object().unwrap() {
            if key == "last_transition" {
                continue;
            }
            assert_eq!(
                kv, &o["data"][key],
                "data.{key} of {}: keepalived {kv}, vrrpd {}",
                k["data"]["iname"], o["data"][key]
            );
        }
    }

    // `vrrpctl status` without a control socket, pointed at vrrpd's pid file, reads vrrpd's
    // keepalived.json and keepalived.data as it reads keepalived's.
    let o = vrrpctl(&[
        "--json",
        "status",
        "--socket",
        vd.join("nothing.sock").to_str().unwrap(),
        "--keepalived-pid",
        vd.join("vrrpd.pid").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let inst = v["instances"].as_array().unwrap();
    assert_eq!(inst.len(), 3, "{v}");
    assert_eq!(inst[0]["name"], "VI_1");
    assert_eq!(inst[0]["state"], "MASTER");
    assert_eq!(inst[0]["sync_group"], "SG1");
    assert_eq!(inst[2]["vrid"], 53);
    assert_eq!(inst[0]["source"], "vrrpd");
    // The table names the daemon that answered: vrrpd, not keepalived.
    let o = vrrpctl(&[
        "status",
        "--socket",
        vd.join("nothing.sock").to_str().unwrap(),
        "--keepalived-pid",
        vd.join("vrrpd.pid").to_str().unwrap(),
    ]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.starts_with("source: vrrpd (pid "), "{t}");
    drop(vrrpd);
}
