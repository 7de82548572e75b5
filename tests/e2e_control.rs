//! The control socket, `vrrpctl status` / `dump-stats` and the metrics endpoint against real
//! daemons in namespaces: vrrpd beside keepalived across a failover (both sides' status, the
//! keepalived side through its JSON dump, `--watch` latency), counters moved by the malformed
//! adverts of tests/data, our extra counters from real causes (a frozen master, a VRID we do not
//! run, failing and timed-out scripts, failing notify scripts), a non-root client, the socket's
//! group under the unit's capabilities, abuse of the socket while the adverts on the wire are
//! timed, and a real Prometheus scraping vrrpd.

mod common;
use common::daemon::*;
use common::firewall::in_netns;
use common::traffic::*;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `vrrpctl --json status` against vrrpd's socket: the one instance.
fn status_of(socket: &Path) -> Value {
    let o = vrrpctl(&["--json", "status", "--socket", socket.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("status JSON");
    v["instances"][0].clone()
}

/// Same, on a node where only keepalived runs (no socket there).
fn keepalived_status(dir: &Path) -> Value {
    let none = dir.join("no-vrrpd.sock");
    let pid = dir.join("keepalived.pid");
    let o = vrrpctl(&[
        "--json",
        "status",
        "--socket",
        none.to_str().unwrap(),
        "--keepalived-pid",
        pid.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("status JSON");
    v["instances"][0].clone()
}

fn kill_keepalived(ka: &Keepalived, parent: i32) {
    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    sigkill(child);
    sigkill(parent);
}

#[test]
fn status_and_watch_on_both_sides_of_a_failover() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("cs", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let (ka, ka_pid) = {
        let (k, p) = Keepalived::start(
            &mut lan.hosts[0],
            &kd,
            &InstanceConf::v3(150, VIP_CIDR).file("A"),
        );
        (k, p.pid())
    };
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master"
    );
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[1],
        &vd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    )
    .0;
    vrrpd.wait_socket();
    // vrrpd follows keepalived: BACKUP, the master's address and priority from the wire.
    let st = wait_for(Duration::from_secs(3), || {
        let s = status_of(&vrrpd.socket);
        (s["state"] == "BACKUP" && s["master_ip"] == "192.0.2.1").then_some(s)
    })
    .unwrap_or_else(|| panic!("vrrpd status: {}", status_of(&vrrpd.socket)));
    assert_eq!(st["master_priority"], 150, "{st}");
    assert_eq!(st["source"], "vrrpd");
    assert_eq!(st["vrid"], 51);
    assert_eq!(st["effective_priority"], 100);

    // keepalived's side, through its own JSON and data dumps.
    let ks = keepalived_status(&kd);
    assert_eq!(ks["state"], "MASTER", "{ks}");
    assert_eq!(ks["source"], "keepalived");
    assert_eq!(ks["effective_priority"], 150);
    let o = vrrpctl(&[
        "status",
        "--socket",
        "/nonexistent/vrrpd.sock",
        "--keepalived-pid",
        kd.join("keepalived.pid").to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(t.starts_with("source: keepalived (pid "), "{t}");
    // keepalived has no demote: say so, not "no keepalived either".
    let o = vrrpctl(&[
        "demote",
        "VI_1",
        "--socket",
        "/nonexistent/vrrpd.sock",
        "--keepalived-pid",
        kd.join("keepalived.pid").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "keepalived (pid {ka_pid}) runs here, and it has no such request"
        )),
        "{}",
        text(&o)
    );
    assert!(
        t.contains("VI_1") && t.contains("MASTER") && t.contains(VIP),
        "{t}"
    );
    let o = vrrpctl(&[
        "--json",
        "dump-stats",
        "--socket",
        "/nonexistent/vrrpd.sock",
        "--keepalived-pid",
        kd.join("keepalived.pid").to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    assert!(
        v["instances"][0]["advert_sent"].as_u64().unwrap() > 0,
        "{v}"
    );
    assert_eq!(v["instances"][0]["source"], "keepalived");

    // Follow vrrpd's events, then take keepalived away.
    let mut watch = Command::new(bin("vrrpctl"))
        .args(["--json", "status", "--watch", "--socket"])
        .arg(&vrrpd.socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch");
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send((SystemTime::now(), line)).is_err() {
                return;
            }
        }
    });
    // Let the watch subscribe before anything happens.
    std::thread::sleep(Duration::from_millis(500));
    kill_keepalived(&ka, ka_pid);
    assert!(
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).is_some(),
        "vrrpd never took over"
    );
    let (seen, line) = rx
        .recv_timeout(Duration::from_secs(2))
        .expect("--watch printed no event");
    let ev: Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(ev["event"], "transition", "{ev}");
    assert_eq!(
        (ev["from"].as_str(), ev["to"].as_str()),
        (Some("BACKUP"), Some("MASTER"))
    );
    let at = ev["ts"].as_f64().unwrap();
    let seen = seen
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let latency = seen - at;
    println!(
        "--watch printed the transition {:.1} ms after it",
        latency * 1000.0
    );
    assert!(
        (0.0..0.1).contains(&latency),
        "watch latency {latency} s (must be under 100 ms)"
    );
    let st = status_of(&vrrpd.socket);
    assert_eq!(st["state"], "MASTER", "{st}");
    assert_eq!(st["master_ip"], "192.0.2.2", "{st}");
    assert!(
        st["last_transition"]
            .as_str()
            .unwrap()
            .contains("BACKUP -> MASTER"),
        "{st}"
    );

    // keepalived comes back with the higher priority and preempts: both sides again.
    let kd2 = subdir(dir.path(), "ka2");
    Keepalived::start(
        &mut lan.hosts[0],
        &kd2,
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    );
    assert!(
        wait_addr(&lan.hosts[1], VIP, false, Duration::from_secs(5)).is_some(),
        "vrrpd kept the VIP"
    );
    let (_, line) = rx
        .recv_timeout(Duration::from_secs(2))
        .expect("--watch printed no second event");
    let ev: Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(
        (ev["from"].as_str(), ev["to"].as_str()),
        (Some("MASTER"), Some("BACKUP")),
        "{ev}"
    );
    let st = wait_for(Duration::from_secs(2), || {
        let s = status_of(&vrrpd.socket);
        (s["master_ip"] == "192.0.2.1").then_some(s)
    })
    .expect("vrrpd status never showed keepalived as master");
    assert_eq!(st["state"], "BACKUP");
    assert_eq!(keepalived_status(&kd2)["state"], "MASTER");
    let _ = watch.kill();
    let _ = watch.wait();
}

/// The VRRP part of each IPv4 frame of an Ethernet pcap: (IP header + payload).
fn pcap_ipv4_packets(name: &str) -> Vec<Vec<u8>> {
    let f = std::fs::File::open(data(name)).unwrap();
    let mut r = pcap_file::pcap::PcapReader::new(f).unwrap();
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        let d = &p.data;
        if d.len() > 14 && d[12..14] == [0x08, 0x00] {
            out.push(d[14..].to_vec());
        }
    }
    out
}

#[test]
fn malformed_adverts_move_the_counters() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("cm", false);
    let dir = tempdir();
    // One instance per defective advert of codec_edge_cases.pcap / codec_malformed.pcap
    // (each uses its own VRID), multicast on eth0, all from 192.0.2.2 = host 1.
    let inst = |vrid: u8, version: u8| {
        format!(
            "vrrp_instance VI_{vrid} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  version {version}\n  priority 50\n  advert_int 1\n  virtual_ipaddress {{\n    192.0.2.100\n  }}\n}}\n"
        )
    };
    let conf: String = [(60, 2), (61, 2), (63, 2), (66, 2), (68, 3), (71, 3)]
        .iter()
        .map(|&(v, ver)| inst(v, ver))
        .collect();
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], dir.path(), &conf).0;
    vrrpd.wait_socket();
    let mut packets = pcap_ipv4_packets("pcap/codec_edge_cases.pcap");
    packets.extend(pcap_ipv4_packets("pcap/codec_malformed.pcap"));
    send_raw_ipv4(&lan.hosts[1], &packets);
    let expect = [
        ("VI_60", "chk_err"),
        ("VI_61", "ip_ttl_err"),
        ("VI_63", "invalid_type_rcvd"),
        ("VI_66", "invalid_authtype"),
        ("VI_68", "packet_len_err"),
        ("VI_71", "vers_err"),
    ];
    let sock = vrrpd.socket.to_str().unwrap();
    let stats = wait_for(Duration::from_secs(3), || {
        let o = vrrpctl(&["dump-stats", "--format", "json", "--socket", sock]);
        let v: Value = serde_json::from_slice(&o.stdout).ok()?;
        let all = expect.iter().all(|(name, counter)| {
            v["instances"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == *name && i[counter].as_u64() == Some(1))
        });
        all.then_some(v)
    });
    let o = vrrpctl(&["dump-stats", "--socket", sock]);
    assert!(
        stats.is_some(),
        "counters did not move as expected:\n{}",
        text(&o)
    );
    // --clear (root may) zeroes them.
    let o = vrrpctl(&[
        "dump-stats",
        "--clear",
        "--format",
        "prometheus",
        "--socket",
        sock,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("vrrpd_checksum_errors_total{iname=\"VI_60\",intf=\"eth0\",vrid=\"60\",state=\"BACKUP\"} 1"), "{}", text(&o));
    let o = vrrpctl(&["--json", "dump-stats", "VI_60", "--socket", sock]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    assert_eq!(v["instances"][0]["chk_err"], 0, "{v}");
    assert_eq!(v["instances"].as_array().unwrap().len(), 1);
}

/// Our extra counters from real causes, in every output: keepalived (the master of VRID 51)
/// also runs VRID 77, which vrrpd does not (unknown VRID); its VRRP process is frozen with
/// SIGSTOP for 1.8 s, longer than 1.5 advert intervals and shorter than vrrpd's
/// Master_Down_Interval (3.6 s), so its next advert is late and vrrpd stays BACKUP; vrrpd's
/// own vrrp_scripts succeed, fail and time out; its notify_master scripts and its sync
/// group's fail. `dump-stats` text and JSON, and the metrics endpoint (promtool-checked), all
/// show them.
#[test]
fn extra_counters_count_real_late_adverts_unknown_vrids_scripts_and_notify_failures() {
    if !require_root() || !require_tool("keepalived") || !require_tool("promtool") {
        return;
    }
    let mut lan = lan3("cx", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let mut followed = InstanceConf::v3(150, VIP_CIDR);
    followed.advert_int = "1";
    let mut stranger = InstanceConf::v3(100, "192.0.2.177/24");
    stranger.name = "VI_77";
    stranger.vrid = 77;
    let ka_text = followed.file("K")
        + &stranger
            .file("K")
            .split_once("vrrp_instance")
            .map(|(_, b)| format!("vrrp_instance{b}"))
            .unwrap();
    let ka = Keepalived::start(&mut lan.hosts[1], &kd, &ka_text).0;
    assert!(
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master: {}",
        ka.log()
    );

    // The scripts are VI_1's (keepalived ignores weighted scripts of a sync group's members):
    // 100 + 10 - 10 - 10 stays below keepalived's 150 whatever they say.
    let mut backup = followed.clone();
    backup.priority = 100;
    backup
        .extra
        .push("track_script {\n    ok\n    bad\n    slow\n  }".into());
    let alone = |name: &'static str, vrid: u8, vip: &'static str| {
        let mut c = InstanceConf::v3(100, vip);
        c.name = name;
        c.vrid = vrid;
        c.extra.push("notify_master /bin/false".into());
        c.file("V")
            .split_once("vrrp_instance")
            .map(|(_, b)| format!("vrrp_instance{b}"))
            .unwrap()
    };
    let scripts = "vrrp_script ok {\n  script /bin/true\n  interval 1\n  weight 10\n}\nvrrp_script bad {\n  script /bin/false\n  interval 1\n  weight -10\n}\nvrrp_script slow {\n  script \"/bin/sleep 5\"\n  interval 1\n  timeout 1\n  weight -10\n}\nvrrp_sync_group SG_N {\n  group {\n    VI_2\n    VI_3\n  }\n  notify_master /bin/false\n}\n";
    let v_text = backup
        .file("V")
        .replacen("vrrp_instance", &format!("{scripts}vrrp_instance"), 1)
        + &alone("VI_2", 52, "192.0.2.102/24")
        + &alone("VI_3", 53, "192.0.2.103/24");
    let (vrrpd, _) = Vrrpd::start_with(
        &mut lan.hosts[0],
        &vd,
        &v_text,
        &["--metrics-listen", "127.0.0.1:9651"],
    );
    vrrpd.wait_socket();
    let sock = vrrpd.socket.to_str().unwrap();
    let json = || {
        let o = vrrpctl(&["--json", "dump-stats", "--socket", sock]);
        serde_json::from_slice::<Value>(&o.stdout).unwrap_or(Value::Null)
    };
    let inst = |v: &Value, name: &str| {
        v["instances"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == name).cloned())
            .unwrap_or(Value::Null)
    };
    // Following keepalived, on time so far.
    wait_for(Duration::from_secs(5), || {
        let s = status_of(&vrrpd.socket);
        (s["state"] == "BACKUP" && s["master_ip"] == "192.0.2.2").then_some(())
    })
    .unwrap_or_else(|| panic!("vrrpd never followed keepalived: {}", vrrpd.log()));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(inst(&json(), "VI_1")["late_advert_rcvd"], 0, "{}", json());

    // Freeze keepalived's VRRP process between two adverts.
    let child = wait_for(Duration::from_secs(2), || ka.vrrp_child_pid()).expect("vrrp child pid");
    // SAFETY: kill(2) of the keepalived this test started.
    unsafe { libc::kill(child, libc::SIGSTOP) };
    std::thread::sleep(Duration::from_millis(1800));
    // SAFETY: as above.
    unsafe { libc::kill(child, libc::SIGCONT) };
    let v = wait_for(Duration::from_secs(3), || {
        let v = json();
        let late = inst(&v, "VI_1")["late_advert_rcvd"].as_u64() == Some(1);
        let slow = v["node"]["scripts"].as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s["name"] == "slow" && s["timeouts"].as_u64() >= Some(1))
        });
        (late && slow).then_some(v)
    })
    .unwrap_or_else(|| panic!("counters: {}\n{}", json(), vrrpd.log()));
    assert_eq!(
        status_of(&vrrpd.socket)["state"],
        "BACKUP",
        "a late advert is not a dead master: {}",
        vrrpd.log()
    );
    let unknown = v["node"]["unknown_vrid"].as_array().unwrap();
    assert_eq!(unknown.len(), 1, "{v}");
    assert_eq!(unknown[0]["interface"], "eth0");
    let unknown_count = unknown[0]["count"].as_u64().unwrap();
    assert!(unknown_count >= 3, "keepalived's VRID 77 adverts: {v}");
    let script = |name: &str| {
        v["node"]["scripts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no script {name}: {v}"))
    };
    let (ok, bad, slow) = (script("ok"), script("bad"), script("slow"));
    assert!(
        ok["runs"].as_u64() >= Some(3) && ok["failures"] == 0,
        "{ok}"
    );
    assert!(
        bad["runs"].as_u64() >= Some(3) && bad["failures"] == bad["runs"] && bad["timeouts"] == 0,
        "{bad}"
    );
    assert!(
        slow["timeouts"].as_u64() >= Some(1) && slow["failures"] == slow["runs"],
        "{slow}"
    );
    for name in ["VI_2", "VI_3"] {
        assert!(
            inst(&v, name)["notify_failures"].as_u64() >= Some(1),
            "{name}'s notify_master /bin/false: {v}"
        );
    }
    assert_eq!(inst(&v, "VI_1")["notify_failures"], 0, "{v}");
    let group = &v["node"]["sync_groups"][0];
    assert_eq!(group["name"], "SG_N", "{v}");
    assert!(group["notify_failures"].as_u64() >= Some(1), "{v}");

    // The same counters in the text of dump-stats...
    let o = vrrpctl(&["dump-stats", "--socket", sock]);
    let t = text(&o);
    for line in [
        "  Late master adverts: 1\n",
        "Unknown VRID:\n  eth0: ",
        "VRRP Script: slow\n",
        "VRRP Sync Group: SG_N\n  Notify failures: ",
    ] {
        assert!(t.contains(line), "no {line:?} in:\n{t}");
    }
    // ...and on the metrics endpoint, which promtool accepts.
    let body = http_get(&lan.hosts[0], "127.0.0.1:9651", "/metrics").expect("scrape");
    let metrics = body
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let value = |prefix: &str| -> Option<u64> {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
    };
    assert_eq!(
        value("vrrpd_advertisements_late_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",state=\"BACKUP\"}"),
        Some(1),
        "{metrics}"
    );
    assert!(
        value("vrrpd_unknown_vrid_total{intf=\"eth0\"}") >= Some(unknown_count),
        "{metrics}"
    );
    assert!(
        value("vrrpd_script_timeouts_total{name=\"slow\"}") >= Some(1),
        "{metrics}"
    );
    assert!(
        value("vrrpd_script_failures_total{name=\"bad\"}") >= Some(3),
        "{metrics}"
    );
    assert!(
        value("vrrpd_script_runs_total{name=\"ok\"}") >= Some(3),
        "{metrics}"
    );
    assert!(value("vrrpd_notify_failures_total{iname=\"VI_2\",intf=\"eth0\",vrid=\"52\",state=\"MASTER\"}") >= Some(1), "{metrics}");
    assert!(
        value("vrrpd_sync_group_notify_failures_total{group=\"SG_N\"}") >= Some(1),
        "{metrics}"
    );
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let check = check.wait_with_output().unwrap();
    assert!(check.status.success(), "promtool: {}", text(&check));
}

/// Let `nobody` reach the socket: every directory on its path must be searchable.
fn open_path(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut d = p.parent();
    while let Some(dir) = d {
        if dir.as_os_str().is_empty() || dir == Path::new("/") {
            break;
        }
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o011)).unwrap();
        d = dir.parent();
    }
}

fn vrrpctl_as(user: &str, group: &str, args: &[&str]) -> std::process::Output {
    Command::new("setpriv")
        .args([
            &format!("--reuid={user}"),
            &format!("--regid={group}"),
            "--clear-groups",
        ])
        .arg(bin("vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run setpriv")
}

#[test]
fn non_root_reads_but_may_not_mutate() {
    if !require_root() || !require_tool("setpriv") {
        return;
    }
    let mut lan = lan3("cp", false);
    let dir = tempdir();
    let (vrrpd, _) = Vrrpd::start_with(
        &mut lan.hosts[0],
        dir.path(),
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
        &["--socket-group", "nogroup"],
    );
    vrrpd.wait_socket();
    open_path(&vrrpd.socket);
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let m = std::fs::metadata(&vrrpd.socket).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o660);
        assert_eq!((m.uid(), m.gid()), (0, 65534));
    }
    let sock = vrrpd.socket.to_str().unwrap();
    let o = vrrpctl_as("nobody", "nogroup", &["--json", "status", "--socket", sock]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instances"][0]["name"], "VI_1");
    let o = vrrpctl_as(
        "nobody",
        "nogroup",
        &["dump-stats", "--clear", "--socket", sock],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("only root may ask (you are uid 65534)"),
        "{}",
        text(&o)
    );
    // Outside the group the file mode keeps it out altogether.
    let o = vrrpctl_as("nobody", "daemon", &["status", "--socket", sock]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no permission"), "{}", text(&o));
    // And root may clear.
    let o = vrrpctl(&["dump-stats", "--clear", "--socket", sock]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        vrrpd.log().contains("refused clear-stats from uid 65534"),
        "{}",
        vrrpd.log()
    );
}

/// `setpriv` flags that give vrrpd exactly vrrpd.service's CapabilityBoundingSet (a root
/// process's permitted set is its bounding set): no CAP_CHOWN, as under systemd.
fn unit_bounding_set() -> String {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/vrrpd.service"),
    )
    .unwrap();
    let caps: Vec<String> = unit
        .lines()
        .find_map(|l| l.strip_prefix("CapabilityBoundingSet="))
        .expect("the unit sets CapabilityBoundingSet")
        .split_whitespace()
        .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase()))
        .collect();
    format!("--bounding-set=-all,{}", caps.join(","))
}

/// `--socket-group` with the unit's capabilities, which do not include CAP_CHOWN: the socket is
/// still created root:GROUP 0660, a member of the group reads status but may not demote, and
/// anyone else cannot connect at all.
#[test]
fn socket_group_works_with_the_units_capabilities() {
    if !require_root() || !require_tool("setpriv") {
        return;
    }
    let mut lan = lan3("cg", false);
    let dir = tempdir();
    let bounding = unit_bounding_set();
    let (vrrpd, pid) = {
        let (v, p) = Vrrpd::start_via(
            &mut lan.hosts[0],
            dir.path(),
            &InstanceConf::v3(150, VIP_CIDR).file("A"),
            &["setpriv", &bounding],
            &["--socket-group", "nogroup"],
        );
        (v, p.pid())
    };
    wait_for(Duration::from_secs(5), || {
        std::fs::metadata(&vrrpd.socket).ok().map(|_| ())
    })
    .unwrap_or_else(|| panic!("no control socket: {}", vrrpd.log()));
    // The scenario is the unit's: vrrpd has no CAP_CHOWN (bit 0) to chown with.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let bnd = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    assert_eq!(bnd & 1, 0, "CAP_CHOWN still in the bounding set: {status}");
    open_path(&vrrpd.socket);
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let m = std::fs::metadata(&vrrpd.socket).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o660, "{}", vrrpd.log());
        assert_eq!((m.uid(), m.gid()), (0, 65534), "{}", vrrpd.log());
    }
    let sock = vrrpd.socket.to_str().unwrap();
    wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(3))
        .unwrap_or_else(|| panic!("never master: {}", vrrpd.log()));
    let o = vrrpctl_as("nobody", "nogroup", &["--json", "status", "--socket", sock]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instances"][0]["state"], "MASTER", "{v}");
    let o = vrrpctl_as(
        "nobody",
        "nogroup",
        &["demote", "VI_1", "--force", "--socket", sock],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("only root may ask (you are uid 65534)"),
        "{}",
        text(&o)
    );
    assert!(
        has_addr(&lan.hosts[0], VIP),
        "a refused demote moved the VIP"
    );
    let o = vrrpctl_as("nobody", "daemon", &["status", "--socket", sock]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no permission"), "{}", text(&o));
    assert!(
        !vrrpd.log().contains("running without a control socket"),
        "{}",
        vrrpd.log()
    );
}

#[test]
fn abuse_of_the_socket_leaves_the_adverts_on_time() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("ca", false);
    let dir = tempdir();
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[0],
        dir.path(),
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    )
    .0;
    vrrpd.wait_socket();
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());
    let quiet = advert_times(
        &lan.hosts[2],
        Ipv4Addr::new(192, 0, 2, 1),
        None,
        Duration::from_secs(1),
    );

    let socket = vrrpd.socket.clone();
    let abuse = std::thread::spawn(move || abuse(&socket));
    let busy = advert_times(
        &lan.hosts[2],
        Ipv4Addr::new(192, 0, 2, 1),
        None,
        Duration::from_secs(3),
    );
    let (ok, errors, took) = abuse.join().unwrap();
    let (gq, gb) = (gaps_ms(&quiet), gaps_ms(&busy));
    println!("advert interval 100 ms, idle:  {}", summary(&gq));
    println!("advert interval 100 ms, abuse: {}", summary(&gb));
    println!("1000 concurrent status clients: {ok} answered in {took:?}; garbage got {errors} error replies");
    assert_eq!(ok, 1000, "every concurrent client gets its status");
    assert!(
        errors >= 3,
        "garbage, oversize and unknown commands get error replies"
    );
    // A backup declares the master dead after 3 intervals + skew: no gap may come near it.
    let worst = gb.iter().cloned().fold(0.0, f64::max);
    assert!(
        worst < 200.0,
        "an advert was {worst:.1} ms late under abuse"
    );
    assert!(
        gb.len() >= 25,
        "too few adverts during the abuse: {}",
        gb.len()
    );
    // Still answering afterwards.
    assert_eq!(status_of(&vrrpd.socket)["state"], "MASTER");
}

/// Garbage, oversize lines, half-open and slow clients, then 1,000 concurrent status
/// requests. Returns (status replies, error replies to garbage, time for the 1,000).
fn abuse(socket: &Path) -> (usize, usize, Duration) {
    use std::os::unix::net::UnixStream;
    let mut errors = 0;
    // Held open, never finishing a line: the daemon must not wait for them.
    let mut idle = Vec::new();
    for i in 0..50 {
        let mut s = UnixStream::connect(socket).unwrap();
        if i % 2 == 0 {
            let _ = s.write_all(b"{\"v\":1,\"cm");
        }
        idle.push(s);
    }
    for garbage in [
        &b"\x00\xff\xfe garbage\n"[..],
        b"{\"v\":1,\"cmd\":\"explode\"}\n",
        b"{\"v\":9,\"cmd\":\"status\"}\n",
        &vec![b'x'; 10_000][..],
    ] {
        let mut s = UnixStream::connect(socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(garbage);
        let mut reply = String::new();
        let _ = BufReader::new(&s).read_line(&mut reply);
        if reply.contains("\"ok\":false") {
            errors += 1;
        }
    }
    // A flood of requests on one connection hits the rate limit.
    {
        let mut s = UnixStream::connect(socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let flood = "{\"v\":1,\"cmd\":\"status\"}\n".repeat(200);
        let _ = s.write_all(flood.as_bytes());
        let mut all = String::new();
        let _ = s.read_to_string(&mut all);
        if all.contains("rate-limited") {
            errors += 1;
        }
    }
    let t0 = Instant::now();
    let clients: Vec<UnixStream> = (0..1000)
        .map(|_| UnixStream::connect(socket).expect("connect"))
        .collect();
    for mut c in &clients {
        c.write_all(b"{\"v\":1,\"cmd\":\"status\"}\n").unwrap();
    }
    let mut ok = 0;
    for c in &clients {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut reply = String::new();
        let _ = BufReader::new(c).read_line(&mut reply);
        if reply.starts_with("{\"ok\":true") && reply.contains("\"VI_1\"") {
            ok += 1;
        }
    }
    let took = t0.elapsed();
    drop(idle);
    (ok, errors, took)
}

/// GET `path` from `addr` inside `ns`.
fn http_get(ns: &Netns, addr: &str, path: &str) -> Option<String> {
    let addr = addr.to_string();
    let path = path.to_string();
    in_netns(ns, move || {
        let mut s = std::net::TcpStream::connect(&addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        Some(body)
    })
}

#[test]
fn prometheus_scrapes_vrrpd_and_promtool_accepts_the_textfile() {
    if !require_root() || !require_tool("prometheus") || !require_tool("promtool") {
        return;
    }
    let mut lan = lan3("cq", false);
    let dir = tempdir();
    let (vrrpd, _) = Vrrpd::start_with(
        &mut lan.hosts[0],
        dir.path(),
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
        &["--metrics-listen", "127.0.0.1:9650"],
    );
    vrrpd.wait_socket();
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());

    // The textfile for node_exporter, written atomically, passes promtool's lint.
    let prom = dir.path().join("vrrpd.prom");
    let o = vrrpctl(&[
        "dump-stats",
        "--format",
        "prometheus",
        "-o",
        prom.to_str().unwrap(),
        "--socket",
        vrrpd.socket.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::File::open(&prom).unwrap();
    let check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(file)
        .output()
        .unwrap();
    assert!(check.status.success(), "promtool: {}", text(&check));

    let body = http_get(&lan.hosts[0], "127.0.0.1:9650", "/metrics").expect("scrape");
    assert!(
        body.starts_with("HTTP/1.0 200") || body.starts_with("HTTP/1.1 200"),
        "{body}"
    );
    assert!(body.contains("keepalived_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address=\"192.0.2.100/24\"} 2"), "{body}");

    // A real Prometheus in the namespace scrapes it; its query API returns the state.
    let pd = subdir(dir.path(), "prometheus");
    let conf = pd.join("prometheus.yml");
    std::fs::write(
        &conf,
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vrrpd\n    static_configs:\n      - targets: ['127.0.0.1:9650']\n",
    )
    .unwrap();
    let mut cmd = lan.hosts[0].command("prometheus");
    cmd.arg(format!("--config.file={}", conf.display()))
        .arg(format!("--storage.tsdb.path={}", pd.join("data").display()))
        .arg("--web.listen-address=127.0.0.1:9090");
    spawn_logged(
        &mut lan.hosts[0],
        &mut cmd,
        &pd.join("unused.conf"),
        "",
        &pd.join("prometheus.log"),
    );
    let result = wait_for(Duration::from_secs(20), || {
        let r = http_get(
            &lan.hosts[0],
            "127.0.0.1:9090",
            "/api/v1/query?query=keepalived_vrrp_state%7Biname%3D%22VI_1%22%7D",
        )?;
        let json = r.split("\r\n\r\n").nth(1)?;
        let v: Value = serde_json::from_str(json).ok()?;
        let first = v["data"]["result"].get(0)?.clone();
        Some(first)
    });
    let log = std::fs::read_to_string(pd.join("prometheus.log")).unwrap_or_default();
    let first = result.unwrap_or_else(|| panic!("Prometheus never had the metric:\n{log}"));
    assert_eq!(first["value"][1], "2", "{first}");
    assert_eq!(first["metric"]["job"], "vrrpd");
}

#[test]
fn demote_hands_over_fast_survives_a_restart_and_restore_takes_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("cd", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    assert!(
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master"
    );
    // VI_1 takes over from keepalived (so vrrpd has heard a peer); VI_2 has no peer at all.
    let mut lonely = InstanceConf::v3(150, "192.0.2.101/24");
    lonely.name = "VI_2";
    lonely.vrid = 52;
    let conf =
        InstanceConf::v3(150, VIP_CIDR).file("A") + lonely.file("A").split("\n\n").nth(1).unwrap();
    let (vrrpd, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf);
    let sock = vrrpd.socket.to_str().unwrap().to_string();
    converge(&lan, VIP, 0, 1, Duration::from_millis(500));

    let o = vrrpctl(&["demote", "VI_2", "--socket", &sock]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert!(
        has_addr(&lan.hosts[0], "192.0.2.101"),
        "a refused demote changed nothing"
    );

    let t0 = Instant::now();
    let o = vrrpctl(&[
        "demote",
        "VI_1",
        "--reason",
        "kernel upgrade",
        "--socket",
        &sock,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let took = wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(2))
        .map(|_| t0.elapsed())
        .expect("keepalived never took the VIP after demote");
    let mdi = master_down_v3(100, 100);
    println!("demote -> keepalived holds the VIP in {took:?} (its Master_Down_Interval {mdi:?})");
    assert!(
        took < mdi,
        "demote took {took:?}, not under Master_Down_Interval {mdi:?}"
    );
    let st = status_of(&vrrpd.socket);
    assert_eq!(st["state"], "BACKUP", "{st}");
    assert_eq!(st["demoted"], "kernel upgrade", "{st}");
    let t = text(&vrrpctl(&["status", "--socket", &sock]));
    assert!(t.contains("BACKUP (demoted: kernel upgrade)"), "{t}");
    // Held: vrrpd (150) does not preempt keepalived (100).
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !has_addr(&lan.hosts[0], VIP),
        "a demoted instance took the VIP back"
    );

    // A restart of vrrpd keeps the demotion.
    {
        let p = lan.hosts[0].procs_last();
        p.signal(libc::SIGTERM);
        assert!(
            p.wait_timeout(Duration::from_secs(5)).is_some(),
            "vrrpd did not stop"
        );
    }
    let (vrrpd2, _) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf);
    vrrpd2.wait_socket();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !has_addr(&lan.hosts[0], VIP),
        "the demotion did not survive a restart"
    );
    assert!(has_addr(&lan.hosts[1], VIP));
    let st = status_of(&vrrpd2.socket);
    assert_eq!(st["demoted"], "kernel upgrade", "{st}");
    assert!(vrrpd2.log().contains("still demoted"), "{}", vrrpd2.log());

    let o = vrrpctl(&["restore", "VI_1", "--socket", &sock]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(3)).is_some(),
        "restore did not bring the VIP back"
    );
    assert_eq!(status_of(&vrrpd2.socket)["demoted"], Value::Null);
    assert!(
        !vd.join("vrrpd.demoted").exists(),
        "nothing demoted, no file"
    );
}
