//! vrrp_track_process and track_file end to end beside a real keepalived. A real process
//! (a `sleep` with an argument no other process has, matched with param_match) started and
//! killed in vrrpd's namespace moves the VIP to keepalived and back, and the reaction time of
//! the kernel's process events is printed (milliseconds, plus terminate_delay on exit); a
//! process-event socket sized to overflow at once (process_monitor_rcv_bufs) recovers with a
//! /proc rescan; a track_file's value (written, renamed in, deleted) moves the VIP and puts
//! the instance in FAULT; a sync group's track_file takes both members to keepalived and back;
//! and the seed configs of ../shared/seeds/001 and 002 get no
//! `not-run-by-vrrpd` note from `vrrpd -t`, whose verdict is keepalived -t's.

mod common;
use common::daemon::*;
use common::*;

use std::time::{Duration, Instant};

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn wait_log(v: &Vrrpd, needle: &str, timeout: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    poll_fast(timeout, || v.log().contains(needle).then(|| t0.elapsed()))
}

/// An argument no other process on the machine has (tests of several binaries run at once).
fn unique_arg() -> String {
    format!("{}{}", 3_000_000 + std::process::id() % 1_000_000, 7)
}

fn with_process(conf: &InstanceConf, block: &str, global: &str) -> String {
    let mut c = conf.clone();
    c.extra.push("track_process {\n    svc\n  }".into());
    let text = c.file("A");
    let text = text.replacen("global_defs {\n", &format!("global_defs {{\n{global}"), 1);
    text.replacen("vrrp_instance", &format!("{block}\nvrrp_instance"), 1)
}

#[test]
fn a_tracked_process_killed_and_restarted_moves_the_vip_to_keepalived_and_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("tp", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let arg = unique_arg();
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    // The service runs before vrrpd starts: the start-up scan finds it.
    let mut cmd = lan.hosts[0].command("sleep");
    cmd.arg(&arg);
    let sleeper = lan.hosts[0].spawn(&mut cmd).pid();
    let block = format!(
        "vrrp_track_process svc {{\n  process sleep {arg}\n  param_match\n  weight -60\n  terminate_delay 0.3\n}}\n"
    );
    let text = with_process(&InstanceConf::v3(150, VIP_CIDR), &block, "");
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &text).0;
    assert!(
        wait_log(
            &vrrpd,
            "vrrp_track_process svc: 1 process(es) running, quorum held",
            Duration::from_secs(5)
        )
        .is_some(),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));

    // Killed: quorum lost after terminate_delay, priority 90 < keepalived's 100.
    let t_kill = Instant::now();
    sigkill(sleeper);
    let lost = wait_log(
        &vrrpd,
        "Quorum lost for tracked process svc (0 running)",
        Duration::from_secs(3),
    )
    .map(|_| t_kill.elapsed());
    assert!(lost.is_some(), "{}", vrrpd.log());
    let moved =
        wait_addr(&lan.hosts[1], VIP, true, Duration::from_secs(3)).map(|_| t_kill.elapsed());
    assert!(
        vrrpd
            .log()
            .contains("VI_1: effective priority 150 -> 90 (vrrp_track_process svc down)"),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));

    // Started again (fork + exec of `sleep ARG`): quorum gained at once, vrrpd preempts.
    let t_start = Instant::now();
    let mut cmd = lan.hosts[0].command("sleep");
    cmd.arg(&arg);
    lan.hosts[0].spawn(&mut cmd);
    let gained = wait_log(
        &vrrpd,
        "Quorum gained for tracked process svc (1 running)",
        Duration::from_secs(3),
    )
    .map(|_| t_start.elapsed());
    assert!(gained.is_some(), "{}", vrrpd.log());
    let back =
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(3)).map(|_| t_start.elapsed());
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    eprintln!(
        "track_process reaction (log polled every 5 ms): kill -> quorum lost {:?} (terminate_delay 300 ms), VIP on keepalived after {:?}; start -> quorum gained {:?}, VIP back after {:?}",
        lost.unwrap(),
        moved,
        gained.unwrap(),
        back
    );
    // Event-driven, with generous margins: the delay plus a little, never a polling period.
    let lost = lost.unwrap();
    assert!(lost >= Duration::from_millis(300) && lost < Duration::from_secs(2));
    assert!(gained.unwrap() < Duration::from_secs(1));
    // Each change logged once, naming the tracker.
    assert_eq!(
        vrrpd.log().matches("(vrrp_track_process svc down)").count(),
        1,
        "{}",
        vrrpd.log()
    );
}

/// A process this test started through a shell, killed by its pid when the test ends.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        sigkill(self.0);
    }
}

#[test]
fn an_overflowing_event_socket_recovers_with_a_rescan() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("to", false);
    let dir = tempdir();
    let vd = subdir(dir.path(), "vrrpd");
    let arg = unique_arg();
    // A receive buffer of a few events (the kernel's minimum), then a burst of processes.
    let block = format!("vrrp_track_process svc {{\n  process sleep {arg}\n  weight 0\n}}\n");
    let text = with_process(
        &InstanceConf::v3(150, VIP_CIDR),
        &block,
        "  process_monitor_rcv_bufs 1024\n  process_monitor_rcv_bufs_force\n",
    );
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &text).0;
    assert!(
        wait_log(&vrrpd, "VI_1: INIT -> FAULT", Duration::from_secs(5)).is_some(),
        "{}",
        vrrpd.log()
    );
    // The burst and the tracked process in the middle of it (its pid printed, to end it).
    let out = lan.hosts[0].exec(&[
        "sh",
        "-c",
        &format!("for i in $(seq 300); do /bin/true; done; sleep {arg} >/dev/null 2>&1 & echo $!; for i in $(seq 300); do /bin/true; done"),
    ]);
    let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let sleeper = KillOnDrop(pid);
    assert!(
        wait_log(
            &vrrpd,
            "process events were lost (receive buffer overflow)",
            Duration::from_secs(5)
        )
        .is_some(),
        "no overflow was provoked: {}",
        vrrpd.log()
    );
    // Whether its own events were lost or not, the process is counted and FAULT clears.
    assert!(
        wait_log(&vrrpd, "VI_1: FAULT -> BACKUP", Duration::from_secs(5)).is_some(),
        "{}",
        vrrpd.log()
    );
    assert!(
        wait_addr(&lan.hosts[0], VIP, true, Duration::from_secs(5)).is_some(),
        "{}",
        vrrpd.log()
    );
    drop(sleeper);
    assert!(
        wait_log(&vrrpd, "MASTER -> FAULT", Duration::from_secs(5)).is_some(),
        "{}",
        vrrpd.log()
    );
}

#[test]
fn a_track_file_value_moves_the_vip_and_a_large_negative_one_is_fault() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("tf", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let file = vd.join("prio");
    std::fs::write(&file, "garbage from before\n").unwrap();
    let _ka = Keepalived::start(
        &mut lan.hosts[1],
        &kd,
        &InstanceConf::v3(100, VIP_CIDR).file("B"),
    );
    let mut c = InstanceConf::v3(150, VIP_CIDR);
    c.extra.push("track_file {\n    tf\n  }".into());
    // init_file 0 overwrite: the stale file is reset at start, as keepalived does.
    let block = format!(
        "track_file tf {{\n  file {}\n  weight 10\n  init_file 0 overwrite\n}}\n",
        file.display()
    );
    let text = c
        .file("A")
        .replacen("vrrp_instance", &format!("{block}\nvrrp_instance"), 1);
    let vrrpd = Vrrpd::start(&mut lan.hosts[0], &vd, &text).0;
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "0\n");

    // -6 x 10: 150 -> 90, keepalived (100) takes over.
    let t0 = Instant::now();
    std::fs::write(&file, "-6\n").unwrap();
    let seen = wait_log(
        &vrrpd,
        "VI_1: effective priority 150 -> 90 (track_file tf value -6)",
        Duration::from_secs(3),
    )
    .map(|_| t0.elapsed());
    assert!(seen.is_some(), "{}", vrrpd.log());
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));

    // Renamed into place (how tools write files atomically): 0, back to 150, preempts.
    let tmp = vd.join("prio.tmp");
    std::fs::write(&tmp, "0").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: effective priority 90 -> 150 (track_file tf value 0)",
            Duration::from_secs(3)
        )
        .is_some(),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));

    // -30 x 10 = -300 <= -254: FAULT, and the VIP moves.
    std::fs::write(&file, "-30").unwrap();
    assert!(
        wait_log(
            &vrrpd,
            "VI_1: MASTER -> FAULT (fault: track_file tf has status -300",
            Duration::from_secs(3)
        )
        .is_some(),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));

    // Deleted: as though it held 0; FAULT clears and vrrpd takes the VIP back.
    std::fs::remove_file(&file).unwrap();
    assert!(
        wait_log(&vrrpd, "VI_1: FAULT -> BACKUP", Duration::from_secs(3)).is_some(),
        "{}",
        vrrpd.log()
    );
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    eprintln!(
        "track_file reaction (log polled every 5 ms): write -> priority change {:?}",
        seen.unwrap()
    );
}

#[test]
fn seed_configs_get_no_not_run_note_and_vrrpd_t_agrees_with_keepalived_t() {
    if !require_root() {
        return;
    }
    // eth0 (the LAN) and ens9, the interfaces the seeds name.
    let lan = lan3("sd", false);
    let h = &lan.hosts[0];
    h.exec(&[
        "ip", "link", "add", "ens9", "type", "veth", "peer", "name", "ens9p",
    ]);
    h.exec(&["ip", "link", "set", "ens9", "up"]);
    h.exec(&["ip", "link", "set", "ens9p", "up"]);
    let keepalived = require_tool("keepalived");
    // (seed, its scripts are missing here): the scripts the last three name are not on this
    // host, which both -t count as a config error ("Disabling track script ... since not
    // found/accessible", exit 5) when a vrrp_script names them.
    for (seed, compare) in [
        ("001-basic.conf", true),
        ("001-track-process.conf", true),
        ("001-track-interface.conf", true),
        ("001-track-script.conf", true),
        ("001-notify.conf", true),
        ("002-vrrp-script.conf", true),
    ] {
        let path = data("conf/seeds").join(seed);
        let out = h.try_exec(&[
            bin("vrrpd").to_str().unwrap(),
            "-t",
            "-f",
            path.to_str().unwrap(),
        ]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains("not-run-by-vrrpd") && !text.contains("does not run"),
            "{seed}: {text}"
        );
        // 5: a script keepalived would disable (keepalived -t's status), else 0 or 1.
        assert!(
            out.status.code().is_some_and(|c| c < 2 || c == 5),
            "{seed}: {text}"
        );
        assert_eq!(
            out.status.code() == Some(5),
            text.contains("Disabling track script"),
            "{seed}: {text}"
        );
        if keepalived && compare {
            // keepalived -t: 0 clean, nonzero on a config error (the seeds' `//` "comments").
            let ka = h.try_exec(&["keepalived", "-t", "-n", "-l", "-f", path.to_str().unwrap()]);
            assert_eq!(
                out.status.success(),
                ka.status.success(),
                "{seed}: vrrpd -t and keepalived -t disagree\nvrrpd: {text}\nkeepalived: {}",
                String::from_utf8_lossy(&ka.stderr)
            );
        }
    }
    // Both trackers in a sync group and an instance, with every keyword of their blocks.
    let dir = tempdir();
    let conf = dir.path().join("group.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n  process_monitor_rcv_bufs 262144\n  process_monitor_rcv_bufs_force\n}}\nvrrp_track_process p {{\n  process sleep 1\n  param_match initial\n  full_command\n  quorum 1\n  quorum_max 2\n  delay 0.5\n  terminate_delay 1\n  fork_delay 0.1\n  weight 10 reverse\n}}\ntrack_file f {{\n  file {d}/f\n  weight -5\n  init_file 3\n}}\nvrrp_track_file g {{\n  file {d}/g\n}}\nvrrp_sync_group SG {{\n  group {{\n    VI_1\n  }}\n  sync_group_tracking_weight\n  track_process {{\n    p\n  }}\n  track_file {{\n    f weight 2\n  }}\n}}\nvrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  track_process {{\n    p weight -20\n  }}\n  track_file {{\n    g\n  }}\n  virtual_ipaddress {{\n    192.0.2.100/24\n  }}\n}}\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    let out = h.try_exec(&[
        bin("vrrpd").to_str().unwrap(),
        "-t",
        "-f",
        conf.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // -t writes no init_file (keepalived's -t neither).
    assert!(!dir.path().join("f").exists());
}

/// Two instances on eth0 (VRIDs 51, 52), in a sync group when `group` holds its body.
fn grouped_pair(prio: u8, group: Option<&str>, before: &str) -> String {
    let mut s = format!(
        "global_defs {{\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 2\n}}\n{before}"
    );
    if let Some(g) = group {
        s += &format!("vrrp_sync_group SG1 {{\n  group {{\n    VI_A\n    VI_B\n  }}\n{g}}}\n");
    }
    for (name, vrid, vip) in [
        ("VI_A", 51, "192.0.2.100/24"),
        ("VI_B", 52, "192.0.2.101/24"),
    ] {
        s += &format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  version 3\n  priority {prio}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
        );
    }
    s
}

#[test]
fn a_sync_groups_track_file_moves_both_members_and_brings_both_back() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("tg", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    let file = vd.join("down");
    let _ka = Keepalived::start(&mut lan.hosts[1], &kd, &grouped_pair(100, None, ""));
    // The group's track_file: its block weight is dropped in a group (keepalived's rule), so
    // any non-zero value is FAULT for both members.
    let block = format!("track_file down {{\n  file {}\n}}\n", file.display());
    let vrrpd = Vrrpd::start(
        &mut lan.hosts[0],
        &vd,
        &grouped_pair(150, Some("  track_file {\n    down\n  }\n"), &block),
    )
    .0;
    converge(&lan, VIP, 0, 1, Duration::from_millis(200));
    converge(&lan, "192.0.2.101", 0, 1, Duration::from_millis(100));

    std::fs::write(&file, "1\n").unwrap();
    converge(&lan, VIP, 1, 0, Duration::from_millis(200));
    converge(&lan, "192.0.2.101", 1, 0, Duration::from_millis(100));

    // Cleared for both members in one event: the group leaves FAULT and takes both back.
    std::fs::write(&file, "0\n").unwrap();
    converge(&lan, VIP, 0, 1, Duration::from_millis(200));
    converge(&lan, "192.0.2.101", 0, 1, Duration::from_millis(100));
    assert!(
        vrrpd.log().contains("VI_B: FAULT -> BACKUP"),
        "{}",
        vrrpd.log()
    );
}
