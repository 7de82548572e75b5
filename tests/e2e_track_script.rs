//! vrrp_script and notify scripts, end to end beside a real keepalived: a failing script with
//! weight -60 hands the VIP to keepalived and rise brings it back; a script that times out is
//! killed with its process group and (weight 0) puts the instance in FAULT; and the notify
//! scripts receive the same lines, in the same order, when keepalived runs the same scenario
//! in vrrpd's place.

mod common;
use common::daemon::*;
use common::notify::{write_script, Node};
use common::*;

use std::path::Path;
use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn wait_log(v: &Vrrpd, needle: &str, timeout: Duration) -> bool {
    wait_for(timeout, || v.log().contains(needle).then_some(())).is_some()
}

/// A vrrp_script that fails while `flag` exists (no shell: `test ! -e FLAG`).
fn flag_script(name: &str, flag: &Path, weight: i32, fall: u32, rise: u32) -> String {
    format!(
        "vrrp_script {name} {{\n  script \"/usr/bin/test ! -e {}\"\n  interval 1\n  weight {weight}\n  fall {fall}\n  rise {rise}\n}}\n\n",
        flag.display()
    )
}

fn with_track(conf: &InstanceConf, script: &str, extra: &[String]) -> InstanceConf {
    let mut c = conf.clone();
    c.extra.push(format!("track_script {{\n    {script}\n  }}"));
    c.extra.extend(extra.iter().cloned());
    c
}

#[test]
fn failing_script_with_negative_weight_hands_the_vip_to_keepalived_and_rise_takes_it_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let lan = lan3("ts", false);
    let mut lan = lan;
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let flag = vd.join("fail");
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    let conf = with_track(&InstanceConf::v3(150, VIP_CIDR), "chk", &[]);
    let text = conf.file("A").replacen(
        "vrrp_instance",
        &(flag_script("chk", &flag, -60, 2, 2) + "vrrp_instance"),
        1,
    );
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &text).0;
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));

    std::fs::write(&flag, "").unwrap();
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: effective priority 150 -> 90 (vrrp_script chk down)",
            Duration::from_secs(5)
        ),
        "{}",
        vrrpd.log()
    );
    // keepalived (100) preempts the lowered master (90).
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));
    assert!(
        vrrpd.log().contains("VI_1: MASTER -> BACKUP"),
        "{}",
        vrrpd.log()
    );

    std::fs::remove_file(&flag).unwrap();
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: effective priority 90 -> 150 (vrrp_script chk up)",
            Duration::from_secs(5)
        ),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    // fall 2: the first failure alone did not lower it (one log line per change).
    assert_eq!(
        vrrpd.log().matches("effective priority 150 -> 90").count(),
        1,
        "{}",
        vrrpd.log()
    );
}

#[test]
fn timing_out_script_is_killed_with_its_process_group_and_weight_0_means_fault() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("tt", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let slow = vd.join("slow.sh");
    let pids = vd.join("pids");
    let gate = vd.join("slow");
    // Fast while `gate` is absent; with it, starts a grandchild and hangs.
    std::fs::write(
        &slow,
        format!(
            "#!/bin/sh\n[ -e {g} ] || exit 0\nsleep 60 &\necho $! >> {p}\nsleep 60\n",
            g = gate.display(),
            p = pids.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["0755"])
        .arg(&slow)
        .status()
        .unwrap();
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    let script = format!(
        "vrrp_script slow {{\n  script \"{}\"\n  interval 1\n  timeout 1\n}}\n\n",
        slow.display()
    );
    let conf = with_track(&InstanceConf::v3(150, VIP_CIDR), "slow", &[]);
    let text = conf
        .file("A")
        .replacen("vrrp_instance", &(script + "vrrp_instance"), 1);
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &text).0;
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));

    std::fs::write(&gate, "").unwrap();
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: MASTER -> FAULT (fault: vrrp_script slow is down",
            Duration::from_secs(5)
        ),
        "{}",
        vrrpd.log()
    );
    assert!(
        vrrpd.log().contains("VRRP_Script(slow) timed_out"),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 1, 0, Duration::from_millis(200));
    // Every grandchild the timed-out runs started is gone with its process group.
    let started = std::fs::read_to_string(&pids).unwrap();
    let started: Vec<&str> = started.split_whitespace().collect();
    assert!(!started.is_empty());
    std::fs::remove_file(&gate).unwrap();
    // After the MASTER -> FAULT: the start had a FAULT -> BACKUP of its own (the unweighted
    // script holds FAULT until its first exit, as keepalived's num_script_init).
    let recovered = wait_for(Duration::from_secs(5), || {
        let log = vrrpd.log();
        let (_, after) = log.split_once("VI_1: MASTER -> FAULT")?;
        after
            .contains("VI_1: FAULT -> BACKUP (fault cleared")
            .then_some(())
    });
    assert!(recovered.is_some(), "{}", vrrpd.log());
    for pid in &started {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "grandchild {pid} of a timed-out script still runs"
        );
    }
    converge(&lan, VIP, 0, 1, Duration::from_millis(200));
}

/// Node A (priority 150, a script with weight -60, notify scripts recording their arguments)
/// beside keepalived B (100): A becomes master, its script fails so B preempts, then A stops.
/// Returns (what the generic `notify` got, what the specific notify_* scripts got).
fn notify_scenario(daemon: Daemon, tag: &str) -> (String, String) {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let (ad, bd) = (subdir(dir.path(), "a"), subdir(dir.path(), "b"));
    let flag = ad.join("fail");
    let rec = ad.join("rec.sh");
    write_script(
        &rec,
        &format!("f=$1\nshift\necho \"$@\" >> {}/$f.txt\n", ad.display()),
    );
    let r = rec.display();
    let extra = [
        format!("notify \"{r} generic\""),
        format!("notify_master \"{r} specific master\""),
        format!("notify_backup \"{r} specific backup\""),
        format!("notify_fault \"{r} specific fault\""),
        format!("notify_stop \"{r} specific stop\""),
    ];
    let conf = with_track(&InstanceConf::v3(150, VIP_CIDR), "chk", &extra);
    let text = conf.file("A").replacen(
        "vrrp_instance",
        &(flag_script("chk", &flag, -60, 1, 1) + "vrrp_instance"),
        1,
    );
    let _b = Keepalived::start(
        &mut lan.hosts[1],
        &bd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    converge(&lan, VIP, 0, 1, Duration::from_millis(500));
    std::fs::write(&flag, "").unwrap();
    converge(&lan, VIP, 1, 0, Duration::from_millis(500));
    // Graceful stop; keepalived's parent forwards TERM to its VRRP child.
    a.stop();
    let read = |f: &str| {
        wait_for(Duration::from_secs(5), || {
            let t = std::fs::read_to_string(ad.join(f)).unwrap_or_default();
            t.contains("STOP").then_some(t)
        })
        .unwrap_or_else(|| std::fs::read_to_string(ad.join(f)).unwrap_or_default())
    };
    let generic = read("generic.txt");
    let specific = wait_for(Duration::from_secs(5), || {
        let t = std::fs::read_to_string(ad.join("specific.txt")).unwrap_or_default();
        t.contains("stop").then_some(t)
    })
    .unwrap_or_default();
    (generic, specific)
}

#[test]
fn notify_scripts_get_what_keepalived_gives_them() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = notify_scenario(Daemon::Vrrpd, "nv");
    let theirs = notify_scenario(Daemon::Keepalived, "nk");
    assert_eq!(
        ours.0, "INSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 BACKUP 90\nINSTANCE VI_1 STOP 90\n",
        "vrrpd's generic notify"
    );
    assert_eq!(ours.0, theirs.0, "generic notify: vrrpd vs keepalived");
    assert_eq!(ours.1, theirs.1, "notify_*: vrrpd vs keepalived");
    assert_eq!(ours.1, "backup\nmaster\nbackup\nstop\n");
}
