//! The control socket, `vrrpctl status` / `dump-stats` and the metrics endpoint against real
//! daemons in namespaces: vrrpd beside keepalived across a failover (both sides' status, the
//! keepalived side through its JSON dump, `--watch` latency), counters moved by the malformed
//! adverts of tests/data, a non-root client, abuse of the socket while the adverts on the wire
//! are timed, and a real Prometheus scraping vrrpd.

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
        text(&o).contains("only root or uid 0 may ask"),
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
