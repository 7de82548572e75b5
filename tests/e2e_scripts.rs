//! Scripts around the instances, end to end beside a real keepalived: each scenario runs with
//! vrrpd and then with keepalived 2.2.7 as the node, and what the scripts recorded is compared
//! line for line. An unweighted vrrp_script that has not exited yet holds the instance in a
//! FAULT that runs no notify (keepalived's num_script_init); script_user and a script's own
//! user decide the uid scripts run as; startup_script runs before the instances start and
//! shutdown_script after they stopped; enable_script_security refuses a script that non-root
//! can write, with keepalived's lines, both at run time and in `-t`.

mod common;
use common::daemon::*;
use common::notify::{write_script, Node};
use common::*;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP_CIDR: &str = "192.0.2.100/24";

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The instance file of `conf` with `globals` added to global_defs and `blocks` (vrrp_script
/// ...) before the instance.
fn config(conf: &InstanceConf, globals: &[String], blocks: &str) -> String {
    let text = conf.file("A");
    let text = text.replacen(
        "global_defs {\n",
        &format!(
            "global_defs {{\n{}",
            globals
                .iter()
                .map(|g| format!("  {g}\n"))
                .collect::<String>()
        ),
        1,
    );
    text.replacen("vrrp_instance", &format!("{blocks}vrrp_instance"), 1)
}

/// A recorder script in `dir`: `rec.sh NAME ARGS...` appends "ARGS" (prefixed with its uid
/// when `uid`) to OUT/NAME.txt.
fn recorder(dir: &Path, out: &Path, uid: bool) -> PathBuf {
    let rec = dir.join("rec.sh");
    let prefix = if uid { "$(id -u) " } else { "" };
    write_script(
        &rec,
        &format!(
            "f=$1\nshift\necho \"{prefix}$@\" >> {}/$f.txt\n",
            out.display()
        ),
    );
    rec
}

/// Wait until `file` holds `needle`; the text it then holds.
fn wait_file(file: &Path, needle: &str, node: &Node) -> String {
    wait_for(Duration::from_secs(8), || {
        let t = read(file);
        t.contains(needle).then_some(t)
    })
    .unwrap_or_else(|| {
        panic!(
            "{:?}: {} never got {needle:?}; it has:\n{}\nlog:\n{}",
            node.daemon,
            file.display(),
            read(file),
            node.log()
        )
    })
}

/// Node A alone, tracking an unweighted script that sleeps 1 s before its first exit (which
/// fails when `fail`). Returns the generic notify's lines up to STOP.
fn init_scenario(daemon: Daemon, tag: &str, fail: bool) -> String {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let ad = subdir(dir.path(), "a");
    let rec = recorder(&ad, &ad, false);
    let slow = ad.join("slow.sh");
    write_script(&slow, &format!("sleep 1\nexit {}\n", u8::from(fail)));
    let mut conf = InstanceConf::v3(150, VIP_CIDR);
    conf.extra.push("track_script {\n    chk\n  }".into());
    conf.extra
        .push(format!("notify \"{} generic\"", rec.display()));
    let script = format!(
        "vrrp_script chk {{\n  script \"{}\"\n  interval 1\n  timeout 3\n}}\n\n",
        slow.display()
    );
    let text = config(&conf, &["script_user root".into()], &script);
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    let file = ad.join("generic.txt");
    // Before the script's first exit (1 s after start): FAULT, no VIP, and no notify at all.
    if daemon == Daemon::Vrrpd {
        let held = wait_for(Duration::from_secs(3), || {
            a.log()
                .contains("VI_1: INIT -> FAULT (fault: vrrp_script chk has not run yet")
                .then_some(())
        });
        assert!(held.is_some(), "{}", a.log());
        // keepalived logs nothing for this FAULT: vrrpd's line is for -D only.
        let info: Vec<String> = a
            .log()
            .lines()
            .filter(|l| l.contains("-> FAULT") && !l.contains(" DEBUG "))
            .map(str::to_string)
            .collect();
        assert!(info.is_empty(), "{info:?}");
    } else {
        std::thread::sleep(Duration::from_millis(500));
        assert!(!a.log().contains("FAULT"), "{}", a.log());
    }
    assert_eq!(
        read(&file),
        "",
        "{daemon:?} notified during the script's init"
    );
    assert!(!has_addr(&lan.hosts[0], VIP), "{daemon:?}: VIP during init");
    if fail {
        wait_file(&file, "FAULT", &a);
        std::thread::sleep(Duration::from_millis(500));
        assert!(!has_addr(&lan.hosts[0], VIP));
    } else {
        wait_file(&file, "MASTER", &a);
        assert!(has_addr(&lan.hosts[0], VIP));
    }
    a.stop();
    wait_file(&file, "STOP", &a)
}

#[test]
fn an_unweighted_script_that_has_not_run_holds_fault_and_notifies_as_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    for (fail, want) in [
        (
            false,
            "INSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150\n",
        ),
        (true, "INSTANCE VI_1 FAULT 150\nINSTANCE VI_1 STOP 150\n"),
    ] {
        let ours = init_scenario(Daemon::Vrrpd, "siv", fail);
        let theirs = init_scenario(Daemon::Keepalived, "sik", fail);
        assert_eq!(theirs, want, "keepalived (first exit fails: {fail})");
        assert_eq!(
            ours, theirs,
            "vrrpd vs keepalived (first exit fails: {fail})"
        );
    }
}

/// script_user nobody with enable_script_security: the generic notify runs as nobody, a
/// notify_master with its own user root and a vrrp_script with `user root` as root.
/// Returns (generic notify's lines, notify_master's, the script's first line).
fn user_scenario(daemon: Daemon, tag: &str) -> (String, String, String) {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    // nobody must reach its script and write its record.
    chmod(dir.path(), 0o755);
    let ad = subdir(dir.path(), "a");
    let out = subdir(dir.path(), "out");
    chmod(&out, 0o777);
    let rec = recorder(&ad, &out, true);
    let r = rec.display();
    let mut conf = InstanceConf::v3(150, VIP_CIDR);
    conf.extra.push("track_script {\n    chk\n  }".into());
    conf.extra.push(format!("notify \"{r} generic\""));
    conf.extra
        .push(format!("notify_master \"{r} master\" root"));
    let script = format!(
        "vrrp_script chk {{\n  script \"{r} chk\"\n  interval 1\n  weight -10\n  user root\n}}\n\n"
    );
    let globals = ["script_user nobody".into(), "enable_script_security".into()];
    let text = config(&conf, &globals, &script);
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    wait_file(&out.join("master.txt"), "0", &a);
    a.stop();
    let generic = wait_file(&out.join("generic.txt"), "STOP", &a);
    let first = read(&out.join("chk.txt"))
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    (generic, read(&out.join("master.txt")), first)
}

#[test]
fn script_user_and_a_scripts_own_user_decide_its_uid_as_in_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = user_scenario(Daemon::Vrrpd, "suv");
    let theirs = user_scenario(Daemon::Keepalived, "suk");
    assert_eq!(
        theirs.0,
        "65534 INSTANCE VI_1 BACKUP 150\n65534 INSTANCE VI_1 MASTER 150\n65534 INSTANCE VI_1 STOP 150\n",
        "keepalived's generic notify"
    );
    assert_eq!(ours, theirs, "vrrpd vs keepalived");
    assert_eq!(ours.1, "0 \n");
    assert_eq!(ours.2, "0 ");
}

/// startup_script and shutdown_script (script_user root) recording into the same file as the
/// generic notify: the order of the four.
fn lifecycle_scenario(daemon: Daemon, tag: &str) -> String {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let ad = subdir(dir.path(), "a");
    let rec = recorder(&ad, &ad, false);
    let r = rec.display();
    let mut conf = InstanceConf::v3(150, VIP_CIDR);
    conf.extra.push(format!("notify \"{r} life\""));
    let globals = [
        "script_user root".into(),
        format!("startup_script \"{r} life startup\""),
        format!("shutdown_script \"{r} life shutdown\""),
    ];
    let text = config(&conf, &globals, "");
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    let file = ad.join("life.txt");
    wait_file(&file, "MASTER", &a);
    a.stop();
    wait_file(&file, "shutdown", &a)
}

#[test]
fn startup_script_runs_before_the_instances_and_shutdown_script_after_them_as_in_keepalived() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = lifecycle_scenario(Daemon::Vrrpd, "slv");
    let theirs = lifecycle_scenario(Daemon::Keepalived, "slk");
    assert_eq!(
        theirs,
        "startup\nINSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150\nshutdown\n",
        "keepalived"
    );
    assert_eq!(ours, theirs, "vrrpd vs keepalived");
}

/// enable_script_security with an unweighted vrrp_script and a notify_master in a directory
/// that anyone can write: both are disabled (the instance runs as if the script were not
/// tracked), the generic notify in a safe directory runs. Returns (generic notify's lines,
/// whether the insecure notify_master ran, the log).
fn insecure_scenario(daemon: Daemon, tag: &str) -> (String, bool, String) {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let ad = subdir(dir.path(), "a");
    let open = subdir(dir.path(), "open");
    chmod(&open, 0o777);
    let rec = recorder(&ad, &ad, false);
    let bad = open.join("bad.sh");
    write_script(&bad, &format!("touch {}/ran\nexit 1\n", ad.display()));
    let mut conf = InstanceConf::v3(150, VIP_CIDR);
    conf.extra.push("track_script {\n    chk\n  }".into());
    conf.extra
        .push(format!("notify \"{} generic\"", rec.display()));
    conf.extra
        .push(format!("notify_master \"{}\"", bad.display()));
    let script = format!(
        "vrrp_script chk {{\n  script \"{}\"\n  interval 1\n}}\n\n",
        bad.display()
    );
    let globals = ["script_user root".into(), "enable_script_security".into()];
    let text = config(&conf, &globals, &script);
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    let file = ad.join("generic.txt");
    wait_file(&file, "MASTER", &a);
    std::thread::sleep(Duration::from_millis(300));
    let ran = ad.join("ran").exists();
    a.stop();
    (wait_file(&file, "STOP", &a), ran, a.log())
}

#[test]
fn enable_script_security_disables_an_insecure_script_with_keepalived_lines() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = insecure_scenario(Daemon::Vrrpd, "ssv");
    let theirs = insecure_scenario(Daemon::Keepalived, "ssk");
    let want = "INSTANCE VI_1 BACKUP 150\nINSTANCE VI_1 MASTER 150\nINSTANCE VI_1 STOP 150\n";
    assert_eq!(theirs.0, want, "keepalived");
    assert_eq!(ours.0, theirs.0, "vrrpd vs keepalived");
    assert!(!theirs.1 && !ours.1, "an insecure script ran");
    for line in [
        "Disabling track script chk due to insecure",
        "/open/bad.sh' - disabling.",
    ] {
        assert!(theirs.2.contains(line), "keepalived: {line}\n{}", theirs.2);
        assert!(ours.2.contains(line), "vrrpd: {line}\n{}", ours.2);
    }
}

#[test]
fn config_test_refuses_a_missing_or_insecure_script_as_keepalived_t() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ns = corpus_netns("sct");
    let dir = tempdir();
    let open = subdir(dir.path(), "open");
    chmod(&open, 0o777);
    let bad = open.join("bad.sh");
    write_script(&bad, "exit 0\n");
    for (script, line) in [
        (
            open.join("missing.sh"),
            "Disabling track script chk since not found/accessible",
        ),
        (bad.clone(), "Disabling track script chk due to insecure"),
    ] {
        let text = format!(
            "global_defs {{\n  script_user root\n  enable_script_security\n}}\nvrrp_script chk {{\n  script \"{}\"\n}}\nvrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  track_script {{\n    chk\n  }}\n  virtual_ipaddress {{\n    192.0.2.100\n  }}\n}}\n",
            script.display()
        );
        let path = dir.path().join("t.conf");
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        let k = ns.try_exec(&["keepalived", "-t", "-n", "-l", "-G", "-f", p]);
        let v = ns.try_exec(&[bin("vrrpd").to_str().unwrap(), "-t", "-f", p]);
        for (who, out) in [("keepalived", &k), ("vrrpd", &v)] {
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(5), "{who} -t: {err}");
            assert!(err.contains(line), "{who} -t: {err}");
        }
    }
}

/// Sync group G of VI_IN (eth0) and VI_OUT (eth1, tracking the unweighted script that sleeps
/// 1 s before its first exit), every notify recording into one file. Returns its lines,
/// sorted (the scripts run concurrently, so their order in the file is not the daemon's).
fn group_init_scenario(daemon: Daemon, tag: &str, fail: bool) -> Vec<String> {
    let mut lan = lan3(tag, false);
    let h = &lan.hosts[0];
    h.exec(&[
        "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "p1",
    ]);
    h.exec(&["ip", "link", "set", "eth1", "up"]);
    h.exec(&["ip", "link", "set", "p1", "up"]);
    h.exec(&["ip", "addr", "add", "198.51.100.1/24", "dev", "eth1"]);
    let dir = tempdir();
    let ad = subdir(dir.path(), "a");
    let rec = recorder(&ad, &ad, false);
    let slow = ad.join("slow.sh");
    write_script(&slow, &format!("sleep 1\nexit {}\n", u8::from(fail)));
    let notify = format!("notify \"{} all\"", rec.display());
    let mut vi_in = InstanceConf::v3(150, VIP_CIDR);
    vi_in.name = "VI_IN";
    vi_in.extra.push(notify.clone());
    let mut vi_out = InstanceConf::v3(150, "198.51.100.100/24");
    vi_out.name = "VI_OUT";
    vi_out.vrid = 52;
    vi_out.extra.push("track_script {\n    chk\n  }".into());
    vi_out.extra.push(notify.clone());
    let blocks = format!(
        "vrrp_script chk {{\n  script \"{}\"\n  interval 1\n  timeout 3\n}}\n\nvrrp_sync_group G {{\n  group {{\n    VI_IN\n    VI_OUT\n  }}\n  {notify}\n}}\n\n",
        slow.display()
    );
    let out_text = vi_out.file("A");
    let text = config(&vi_in, &["script_user root".into()], &blocks)
        + &out_text[out_text.find("vrrp_instance").unwrap_or(0)..]
            .replace("interface eth0", "interface eth1");
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    let file = ad.join("all.txt");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        read(&file),
        "",
        "{daemon:?} notified during the script's init"
    );
    if fail {
        wait_file(&file, "GROUP G FAULT", &a);
        std::thread::sleep(Duration::from_millis(500));
    } else {
        wait_file(&file, "GROUP G MASTER", &a);
    }
    a.stop();
    wait_file(&file, "GROUP G STOP", &a);
    std::thread::sleep(Duration::from_millis(500));
    let mut lines: Vec<String> = read(&file).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// keepalived 2.2.7 measured: the script in init holds both members (and the group) without
/// a notify; its first success brings both to BACKUP and the group with them; its first
/// failure notifies FAULT for its own instance and the group, never for the other member.
#[test]
fn an_unweighted_script_in_init_holds_its_sync_group_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    for fail in [false, true] {
        let ours = group_init_scenario(Daemon::Vrrpd, "sgv", fail);
        let theirs = group_init_scenario(Daemon::Keepalived, "sgk", fail);
        if fail {
            assert_eq!(
                theirs,
                [
                    "GROUP G FAULT 0",
                    "GROUP G STOP 0",
                    "INSTANCE VI_IN STOP 150",
                    "INSTANCE VI_OUT FAULT 150",
                    "INSTANCE VI_OUT STOP 150"
                ],
                "keepalived"
            );
        } else {
            assert!(
                theirs.contains(&"INSTANCE VI_IN BACKUP 150".to_string())
                    && theirs.contains(&"GROUP G BACKUP 0".to_string()),
                "keepalived: {theirs:?}"
            );
        }
        assert_eq!(
            ours, theirs,
            "vrrpd vs keepalived (first exit fails: {fail})"
        );
    }
}
