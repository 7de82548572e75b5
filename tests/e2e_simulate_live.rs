//! `vrrpctl simulate-failover --live` against real daemons in namespaces: a vrrpd master and a
//! keepalived backup on one LAN; the command, run in vrrpd's namespace, demotes the instance
//! through the control socket, sees keepalived take over on the wire (first advert after about
//! its Skew_Time, then its gratuitous ARP) and, after the restore, vrrpd take mastership back.
//! Then a vrrpd with no peer at all: refused (nothing changes), and with --force demoted anyway,
//! nobody takes over (exit 1) and the restore gives the VIP back.

mod common;
use common::daemon::*;
use common::*;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// vrrpctl in `ns` (the capture must see that namespace's eth0), without color.
fn vrrpctl_in(ns: &Netns, args: &[&str]) -> Output {
    ns.command(bin("vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run vrrpctl")
}

fn status_of(socket: &Path) -> Value {
    let o = vrrpctl(&["--json", "status", "--socket", socket.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("status JSON");
    v["instances"][0].clone()
}

/// vrrpd (150) on host 0 takes VI_1 over from keepalived (100) on host 1, so vrrpd has heard
/// its peer; returns vrrpd's socket path.
fn vrrpd_master_keepalived_backup(lan: &mut Lan, dir: &Path) -> std::path::PathBuf {
    let (vd, kd) = (subdir(dir, "vrrpd"), subdir(dir, "ka"));
    Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("K"),
    );
    assert!(
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(5)).is_some(),
        "keepalived never became master"
    );
    let (vrrpd, _) = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    );
    vrrpd.wait_socket();
    converge(lan, VIP, 0, 1, Duration::from_millis(500));
    vrrpd.socket
}

#[test]
fn live_rehearsal_hands_over_to_keepalived_and_takes_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("sl", false);
    let dir = tempdir();
    let socket = vrrpd_master_keepalived_backup(&mut lan, dir.path());
    let sock = socket.to_str().unwrap();
    let kmac = lan.hosts[1].mac("eth0");

    let o = vrrpctl_in(
        &lan.hosts[0],
        &[
            "--json",
            "simulate-failover",
            "--live",
            "VI_1",
            "--socket",
            sock,
        ],
    );
    println!("{}", text(&o));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["live"]["instance"], "VI_1");
    assert_eq!(v["live"]["node"], "192.0.2.1");
    assert_eq!(v["live"]["advert_int_ms"], 100);
    let t = &v["takeover"];
    assert_eq!(t["node"], "192.0.2.2", "{v}");
    assert_eq!(t["mac"], kmac.as_str(), "{v}");
    assert_eq!(t["priority"], 100);
    // keepalived (100) answers the priority-0 advert after its Skew_Time (60.9 ms), well
    // under its Master_Down_Interval; its gratuitous ARP follows its first advert.
    let first = t["first_advert_ms"].as_f64().unwrap();
    let garp = t["garp_ms"].as_f64().expect("keepalived's gratuitous ARP");
    let (skew, mdi) = (skew_v3(100, 100), master_down_v3(100, 100));
    println!("first advert {first} ms (Skew_Time {skew:?}), GARP {garp} ms");
    assert!(
        first >= skew.as_secs_f64() * 1000.0 - 15.0 && first < mdi.as_secs_f64() * 1000.0,
        "first advert {first} ms, Skew_Time {skew:?}, Master_Down_Interval {mdi:?}"
    );
    assert!(
        garp >= first && garp < first + 500.0,
        "GARP {garp} ms, advert {first} ms"
    );
    assert_eq!(v["claims"], Value::Array(vec![]), "{v}");
    // The restore: vrrpd (150, preempt) is master again after its Master_Down_Interval.
    let again = v["restore"]["master_again_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("vrrpd never took back: {v}"));
    assert!(again < 2000.0, "took back after {again} ms");
    assert_eq!(v["final"]["VI_1"]["owner"], "192.0.2.1", "{v}");
    let events: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["192.0.2.1", "192.0.2.2", "192.0.2.1"], "{v}");
    assert!(
        v["warnings"].as_array().unwrap().is_empty(),
        "{}",
        v["warnings"]
    );
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(2)).is_some());
    assert!(!has_addr(&lan.hosts[1], VIP), "both hold the VIP");
    let st = status_of(&socket);
    assert_eq!(
        (st["state"].as_str(), &st["demoted"]),
        (Some("MASTER"), &Value::Null)
    );

    // The text report, holding the demotion for a second: keepalived keeps the VIP meanwhile.
    let hold = std::thread::spawn({
        let ns = lan.hosts[0].name.clone();
        let sock = sock.to_string();
        move || {
            std::process::Command::new("ip")
                .args(["netns", "exec", &ns])
                .arg(bin("vrrpctl"))
                .args([
                    "simulate-failover",
                    "--live",
                    "--restore-after",
                    "1.5s",
                    "--socket",
                    &sock,
                ])
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        }
    });
    assert!(
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).is_some(),
        "keepalived never took the VIP"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(has_addr(&lan.hosts[1], VIP) && !has_addr(&lan.hosts[0], VIP));
    let o = hold.join().unwrap();
    let out = text(&o);
    println!("{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("takeover: 192.0.2.2"), "{out}");
    assert!(out.contains("its gratuitous ARP"), "{out}");
    assert!(out.contains("nobody else claimed 192.0.2.100"), "{out}");
    assert!(out.contains("this node is master again"), "{out}");
    assert!(
        out.contains("MASTER -> BACKUP") && out.contains("priority-0 advert"),
        "{out}"
    );
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(2)).is_some());

    // --no-restore leaves it demoted for `vrrpctl restore`.
    let o = vrrpctl_in(
        &lan.hosts[0],
        &[
            "--json",
            "simulate-failover",
            "--live",
            "--no-restore",
            "--socket",
            sock,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["takeover"]["node"], "192.0.2.2", "{v}");
    assert_eq!(v["restore"], Value::Null);
    let st = status_of(&socket);
    assert_eq!(st["demoted"], "vrrpctl simulate-failover --live", "{st}");
    // Now vrrpd is BACKUP: nothing to rehearse there.
    let o = vrrpctl_in(
        &lan.hosts[0],
        &["simulate-failover", "--live", "VI_1", "--socket", sock],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("VI_1 is BACKUP on this node (master: 192.0.2.2"),
        "{}",
        text(&o)
    );
    let o = vrrpctl(&["restore", "VI_1", "--socket", sock]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(3)).is_some());
}

#[test]
fn live_rehearsal_without_a_peer_is_refused_unless_forced() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("sn", false);
    let dir = tempdir();
    let (vrrpd, _) = Vrrpd::start(
        &mut lan.hosts[0],
        dir.path(),
        &InstanceConf::v3(150, VIP_CIDR).file("A"),
    );
    vrrpd.wait_socket();
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some());
    let sock = vrrpd.socket.to_str().unwrap();

    let o = vrrpctl_in(
        &lan.hosts[0],
        &["simulate-failover", "--live", "--socket", sock],
    );
    let out = text(&o);
    println!("{out}");
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("refused: no peer in BACKUP has been seen for VI_1"),
        "{out}"
    );
    assert!(
        out.contains("--force") && out.contains("nothing was changed"),
        "{out}"
    );
    assert!(
        has_addr(&lan.hosts[0], VIP),
        "a refused rehearsal changed nothing"
    );
    assert_eq!(status_of(&vrrpd.socket)["demoted"], Value::Null);
    // --json: the refusal is a JSON error object on stderr.
    let o = vrrpctl_in(
        &lan.hosts[0],
        &["--json", "simulate-failover", "--live", "--socket", sock],
    );
    assert_eq!(o.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&o.stderr).expect("JSON error");
    assert_eq!(e["error"]["exit"], 2);

    // Forced: nobody takes over, the VIP has no master until the restore; exit 1.
    let o = vrrpctl_in(
        &lan.hosts[0],
        &[
            "--json",
            "simulate-failover",
            "--live",
            "VI_1",
            "--force",
            "--socket",
            sock,
        ],
    );
    println!("{}", text(&o));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["takeover"], Value::Null, "{v}");
    assert_eq!(v["live"]["forced"], true);
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"no-master"), "{v}");
    assert!(v["restore"]["master_again_ms"].as_f64().is_some(), "{v}");
    assert_eq!(v["final"]["VI_1"]["owner"], "192.0.2.1", "{v}");
    assert!(wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(2)).is_some());
    let st = status_of(&vrrpd.socket);
    assert_eq!(
        (st["state"].as_str(), &st["demoted"]),
        (Some("MASTER"), &Value::Null)
    );
}
