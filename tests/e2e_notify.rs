//! The notify FIFO and mail alerts, end to end beside a real keepalived: the same scenario is
//! run with vrrpd and then with keepalived as node A, and what A's `vrrp_notify_fifo_script`
//! read from the FIFO (state changes, MASTER_PRIORITY/BACKUP_PRIORITY with
//! vrrp_notify_priority_changes, DELETED for an instance a reload removed with notify_deleted,
//! STOP) and what a real SMTP server (aiosmtpd) received from smtp_alert are compared line for
//! line.

mod common;
use common::daemon::*;
use common::notify::{write_script, Node};
use common::*;

use std::path::Path;
use std::time::Duration;

const VIP: &str = "192.0.2.100";
const VIP2: &str = "192.0.2.101";

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Wait until `file` contains `needle`; panics with what it holds and the node's log.
fn wait_file(file: &Path, needle: &str, node: &Node) {
    let ok = wait_for(Duration::from_secs(8), || {
        read(file).contains(needle).then_some(())
    });
    assert!(
        ok.is_some(),
        "{:?}: {} never got {needle:?}; it has:\n{}\nlog:\n{}",
        node.daemon,
        file.display(),
        read(file),
        node.log()
    );
}

/// A's config: VI_1 (150, tracks `chk`, weight -60) and, when `vi2` is Some, VI_2 (VRID 52,
/// no peer; `notify_deleted` when Some(true)); the FIFO with its reader script in global_defs.
fn fifo_conf(dir: &Path, vi2: Option<bool>) -> String {
    let flag = dir.join("fail");
    let mut s = format!(
        "global_defs {{\n  router_id A\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 2\n  vrrp_notify_fifo {d}/notify.fifo\n  vrrp_notify_fifo_script \"{d}/reader.sh {d}/fifo.txt\"\n  vrrp_notify_priority_changes\n}}\n\nvrrp_script chk {{\n  script \"/usr/bin/test ! -e {f}\"\n  interval 1\n  weight -60\n  fall 1\n  rise 1\n}}\n\n",
        d = dir.display(),
        f = flag.display()
    );
    let mut vi1 = InstanceConf::v3(150, "192.0.2.100/24");
    vi1.extra.push("track_script {\n    chk\n  }".into());
    let text = vi1.file("A");
    s += &text[text.find("vrrp_instance").unwrap_or(0)..];
    if let Some(deleted) = vi2 {
        let mut vi2 = InstanceConf::v3(150, "192.0.2.101/24");
        vi2.name = "VI_2";
        vi2.vrid = 52;
        if deleted {
            vi2.extra.push("notify_deleted".into());
        }
        let text = vi2.file("A");
        s += &text[text.find("vrrp_instance").unwrap_or(0)..];
    }
    s
}

/// Node A under `daemon` beside keepalived B (100): A takes over, its script fails (priority
/// 150 -> 90) so B preempts, the script recovers and A preempts back; a reload adds VI_2, which
/// becomes master, the next removes it (notify_deleted); then A stops. Returns what the FIFO's
/// reader recorded.
fn fifo_scenario(daemon: Daemon, tag: &str) -> String {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let (ad, bd) = (subdir(dir.path(), "a"), subdir(dir.path(), "b"));
    // The reader ignores TERM (keepalived signals it before writing the STOP lines) and ends
    // at end of file, when the daemon closes the FIFO.
    write_script(
        &ad.join("reader.sh"),
        "trap '' TERM\nout=$1\nwhile IFS= read -r line; do echo \"$line\" >> \"$out\"; done < \"$2\"\n",
    );
    let rec = ad.join("fifo.txt");
    let _b = Keepalived::start(
        &mut lan.hosts[1],
        &bd,
        &InstanceConf::v3(100, "192.0.2.100/24").file("B"),
    );
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &fifo_conf(&ad, None));
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    wait_file(&rec, "INSTANCE \"VI_1\" MASTER 150", &a);
    std::fs::write(ad.join("fail"), "").unwrap();
    converge(&lan, VIP, 1, 0, Duration::from_millis(300));
    wait_file(&rec, "INSTANCE \"VI_1\" BACKUP 90", &a);
    std::fs::remove_file(ad.join("fail")).unwrap();
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    wait_file(
        &rec,
        "BACKUP_PRIORITY 150\nINSTANCE \"VI_1\" MASTER 150",
        &a,
    );

    a.reload(&fifo_conf(&ad, Some(true)));
    assert!(
        wait_addr(&lan.hosts[0], VIP2, true, Duration::from_secs(6)).is_some(),
        "{daemon:?}: VI_2 never became master: {}",
        a.log()
    );
    wait_file(&rec, "INSTANCE \"VI_2\" MASTER 150", &a);
    a.reload(&fifo_conf(&ad, None));
    assert!(
        wait_addr(&lan.hosts[0], VIP2, false, Duration::from_secs(6)).is_some(),
        "{daemon:?}: the removed VI_2 kept its VIP: {}",
        a.log()
    );
    wait_file(&rec, "INSTANCE \"VI_2\" DELETED", &a);
    a.stop();
    wait_file(&rec, "INSTANCE \"VI_1\" STOP", &a);
    // Anything written after STOP would show in the comparison.
    std::thread::sleep(Duration::from_millis(300));
    read(&rec)
}

#[test]
fn the_notify_fifo_gets_the_lines_keepalived_writes() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = fifo_scenario(Daemon::Vrrpd, "fv");
    let theirs = fifo_scenario(Daemon::Keepalived, "fk");
    assert_eq!(
        ours, theirs,
        "FIFO lines: vrrpd (left) vs keepalived (right)"
    );
    assert_eq!(
        ours,
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\nINSTANCE \"VI_1\" MASTER_PRIORITY 90\nINSTANCE \"VI_1\" BACKUP 90\nINSTANCE \"VI_1\" BACKUP_PRIORITY 150\nINSTANCE \"VI_1\" MASTER 150\nINSTANCE \"VI_2\" BACKUP 150\nINSTANCE \"VI_2\" MASTER 150\nINSTANCE \"VI_2\" DELETED 150\nINSTANCE \"VI_1\" STOP 150\n"
    );
}

/// The headers and body lines of each mail aiosmtpd's Debugging handler printed, without
/// the ones that differ between runs (Date, X-Peer).
fn mails(log: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for l in log.lines() {
        if l.contains("MESSAGE FOLLOWS") {
            cur = Some(Vec::new());
        } else if l.contains("END MESSAGE") {
            out.extend(cur.take());
        } else if let Some(c) = cur.as_mut() {
            if !(l.starts_with("Date:") || l.starts_with("X-Peer:") || l.trim().is_empty()) {
                c.push(l.to_string());
            }
        }
    }
    out
}

/// Node A alone, with smtp_alert and a real SMTP server on its loopback: it starts (BACKUP),
/// takes over (MASTER) and stops. With `faults`, global no_email_faults and an unweighted
/// vrrp_script that fails while a flag file exists: after MASTER the flag puts it in FAULT and
/// its removal brings it back to BACKUP and MASTER before the stop. Returns the mails the
/// server printed.
fn smtp_scenario(daemon: Daemon, tag: &str, faults: bool) -> Vec<Vec<String>> {
    let mut lan = lan3(tag, false);
    let ns = &mut lan.hosts[0];
    let dir = tempdir();
    let log = dir.path().join("smtp.log");
    let mut cmd = ns.command("/usr/bin/python3");
    cmd.args([
        "-u",
        "-m",
        "aiosmtpd",
        "-n",
        "-l",
        "127.0.0.1:2525",
        "-c",
        "aiosmtpd.handlers.Debugging",
    ])
    .stdin(std::process::Stdio::null())
    .stdout(std::fs::File::create(&log).unwrap())
    .stderr(std::fs::File::create(dir.path().join("smtp.err")).unwrap());
    ns.spawn(&mut cmd);
    let listening = wait_for(Duration::from_secs(5), || {
        let o = ns.try_exec(&["ss", "-ltn"]);
        String::from_utf8_lossy(&o.stdout)
            .contains("127.0.0.1:2525")
            .then_some(())
    });
    assert!(
        listening.is_some(),
        "aiosmtpd did not start: {}",
        read(&dir.path().join("smtp.err"))
    );
    let mut vi = InstanceConf::v3(150, "192.0.2.100/24");
    vi.extra.push("smtp_alert".into());
    let flag = dir.path().join("fail");
    let mut text = vi.file("A").replacen(
        "  router_id A\n",
        "  router_id A\n  notification_email {\n    ops@example.com\n    noc@example.com\n  }\n  notification_email_from vrrp@example.com\n  smtp_server 127.0.0.1 2525\n  smtp_helo_name a.example.com\n  smtp_connect_timeout 5\n",
        1,
    );
    if faults {
        text = text
            .replacen("  router_id A\n", "  router_id A\n  no_email_faults\n", 1)
            .replacen(
                "vrrp_instance",
                &format!(
                    "vrrp_script chk {{\n  script \"/usr/bin/test ! -e {}\"\n  interval 1\n}}\n\nvrrp_instance",
                    flag.display()
                ),
                1,
            )
            .replacen(
                "  smtp_alert\n",
                "  smtp_alert\n  track_script {\n    chk\n  }\n",
                1,
            );
    }
    let a = Node::start(daemon, ns, dir.path(), &text);
    let got = |n: usize, secs: u64| {
        wait_for(Duration::from_secs(secs), || {
            let m = mails(&read(&log));
            (m.len() >= n).then_some(m)
        })
    };
    assert!(
        got(2, 8).is_some(),
        "{daemon:?}: no BACKUP and MASTER mails: {}\nlog:\n{}",
        read(&log),
        a.log()
    );
    let mut expect = 2;
    if faults {
        std::fs::write(&flag, "").unwrap();
        let gone = wait_addr(&lan.hosts[0], "192.0.2.100", false, Duration::from_secs(5));
        assert!(gone.is_some(), "{daemon:?} kept the VIP: {}", a.log());
        // Time for a FAULT mail that must not come.
        std::thread::sleep(Duration::from_millis(500));
        std::fs::remove_file(&flag).unwrap();
        assert!(
            got(4, 8).is_some(),
            "{daemon:?}: no BACKUP and MASTER mails after the fault: {}\nlog:\n{}",
            read(&log),
            a.log()
        );
        expect = 4;
    }
    a.stop();
    // keepalived's child exits right after its STOP notifies; give the stop mail time.
    let _ = got(expect + 1, 2);
    mails(&read(&log))
}

fn subjects(mails: &[Vec<String>]) -> Vec<String> {
    mails
        .iter()
        .flat_map(|m| m.iter().filter(|l| l.starts_with("Subject:")))
        .cloned()
        .collect()
}

/// keepalived's vrrp_smtp_notifier with no_email_faults: no mail for FAULT, and the BACKUP
/// after it is mailed (the last mailed state was MASTER).
#[test]
fn no_email_faults_mails_every_state_but_fault_as_keepalived() {
    if !require_root() || !require_tool("keepalived") || !require_tool("/usr/bin/python3") {
        return;
    }
    let ours = smtp_scenario(Daemon::Vrrpd, "mfv", true);
    let theirs = smtp_scenario(Daemon::Keepalived, "mfk", true);
    let want = [
        "Subject: [A] VRRP Instance VI_1 - Entering BACKUP state",
        "Subject: [A] VRRP Instance VI_1 - Entering MASTER state",
        "Subject: [A] VRRP Instance VI_1 - Entering BACKUP state",
        "Subject: [A] VRRP Instance VI_1 - Entering MASTER state",
    ];
    assert_eq!(subjects(&theirs), want, "keepalived");
    assert_eq!(subjects(&ours)[..4], want, "vrrpd");
    assert_eq!(
        ours[..4],
        theirs[..],
        "mails: vrrpd (left) vs keepalived (right)"
    );
}

#[test]
fn smtp_alert_mails_what_keepalived_mails() {
    if !require_root() || !require_tool("keepalived") || !require_tool("/usr/bin/python3") {
        return;
    }
    let ours = smtp_scenario(Daemon::Vrrpd, "mv", false);
    let theirs = smtp_scenario(Daemon::Keepalived, "mk", false);
    // keepalived 2.2.7 queues the "Stopping" mail but its VRRP child exits before sending
    // it (measured here: two mails); vrrpd waits for it. The mails both send are identical.
    assert_eq!(theirs.len(), 2, "keepalived's mails: {theirs:?}");
    assert_eq!(
        ours[..2],
        theirs[..],
        "mails: vrrpd (left) vs keepalived (right)"
    );
    assert_eq!(
        ours.get(2).map(|m| m[1..].join("\n")),
        Some(
            "Subject: [A] VRRP Instance VI_1 - Stopping\nX-Mailer: Keepalived\nTo: ops@example.com, noc@example.com\n=> VRRP Instance stopping <="
                .to_string()
        ),
        "vrrpd's stop mail: keepalived's text (vrrp_notify.c)"
    );
    let subjects: Vec<&str> = ours
        .iter()
        .flat_map(|m| m.iter().filter(|l| l.starts_with("Subject:")))
        .map(String::as_str)
        .collect();
    assert_eq!(
        subjects[..2],
        [
            "Subject: [A] VRRP Instance VI_1 - Entering BACKUP state",
            "Subject: [A] VRRP Instance VI_1 - Entering MASTER state"
        ]
    );
    assert!(
        ours[1].contains(&"=> VRRP Instance is now owning VRRP VIPs <=".to_string()),
        "{ours:?}"
    );
}

/// A: VI_1 (150, alone: MASTER), VI_2 (100; keepalived B runs VRID 52 at 200: BACKUP) and
/// VI_3 (150, alone) in sync group G; vrrp_notify_fifo with fifo_write_vrrp_states_on_reload.
/// A reload of the same file changes nothing (with `add`, it adds VI_4: 150, alone). Returns
/// the FIFO lines written after it.
fn reload_states_scenario(daemon: Daemon, tag: &str, add: bool) -> String {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let (ad, bd) = (subdir(dir.path(), "a"), subdir(dir.path(), "b"));
    write_script(
        &ad.join("reader.sh"),
        "trap '' TERM\nout=$1\nwhile IFS= read -r line; do echo \"$line\" >> \"$out\"; done < \"$2\"\n",
    );
    let rec = ad.join("fifo.txt");
    let mut b = InstanceConf::v3(200, "192.0.2.101/24");
    b.vrid = 52;
    let _b = Keepalived::start(&mut lan.hosts[1], &bd, &b.file("B"));
    let mut text = format!(
        "global_defs {{\n  router_id A\n  vrrp_notify_fifo {d}/notify.fifo\n  vrrp_notify_fifo_script \"{d}/reader.sh {d}/fifo.txt\"\n  fifo_write_vrrp_states_on_reload\n}}\n\nvrrp_sync_group G {{\n  group {{\n    VI_3\n  }}\n}}\n\n",
        d = ad.display()
    );
    for (name, vrid, prio, vip) in [
        ("VI_1", 51, 150, "192.0.2.100/24"),
        ("VI_2", 52, 100, "192.0.2.101/24"),
        ("VI_3", 53, 150, "192.0.2.102/24"),
    ] {
        let mut vi = InstanceConf::v3(prio, vip);
        vi.name = name;
        vi.vrid = vrid;
        let t = vi.file("A");
        text += &t[t.find("vrrp_instance").unwrap_or(0)..];
    }
    let a = Node::start(daemon, &mut lan.hosts[0], &ad, &text);
    wait_file(&rec, "GROUP \"G\" MASTER 0", &a);
    wait_file(&rec, "INSTANCE \"VI_1\" MASTER 150", &a);
    // VI_2 stays BACKUP under B.
    std::thread::sleep(Duration::from_millis(500));
    let before = read(&rec);
    assert!(
        before.contains("INSTANCE \"VI_2\" BACKUP 100") && !before.contains("\"VI_2\" MASTER"),
        "{daemon:?}: {before}"
    );
    if add {
        let mut vi = InstanceConf::v3(150, "192.0.2.103/24");
        vi.name = "VI_4";
        vi.vrid = 54;
        let t = vi.file("A");
        text += &t[t.find("vrrp_instance").unwrap_or(0)..];
    }
    a.reload(&text);
    if add {
        wait_file(&rec, "INSTANCE \"VI_4\" MASTER 150", &a);
    }
    let after = wait_for(Duration::from_secs(5), || {
        let t = read(&rec);
        let tail = t.strip_prefix(&before)?.to_string();
        tail.contains("INSTANCE \"VI_2\"").then_some(tail)
    })
    .unwrap_or_else(|| panic!("{daemon:?}: nothing after the reload: {}", read(&rec)));
    // Anything more the reload writes would show in the comparison.
    std::thread::sleep(Duration::from_millis(500));
    let t = read(&rec);
    let all = t.strip_prefix(&before).unwrap_or(&after).to_string();
    a.stop();
    all
}

/// keepalived 2.2.7 measured: after a reload that changes nothing, the group's state and the
/// BACKUP instance's go to the FIFO; the kept masters write nothing.
#[test]
fn fifo_write_vrrp_states_on_reload_writes_what_keepalived_writes() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ours = reload_states_scenario(Daemon::Vrrpd, "rsv", false);
    let theirs = reload_states_scenario(Daemon::Keepalived, "rsk", false);
    assert_eq!(
        theirs, "GROUP \"G\" MASTER 0\nINSTANCE \"VI_2\" BACKUP 100\n",
        "keepalived"
    );
    assert_eq!(
        ours, theirs,
        "FIFO after reload: vrrpd (left) vs keepalived (right)"
    );
}

/// The same with a reload that adds VI_4: the lines of the added instance and the states the
/// reload writes come in keepalived's order.
#[test]
fn fifo_lines_after_a_reload_that_adds_an_instance_come_in_keepalived_order() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let theirs = reload_states_scenario(Daemon::Keepalived, "rak", true);
    let ours = reload_states_scenario(Daemon::Vrrpd, "rav", true);
    assert_eq!(
        ours, theirs,
        "FIFO after a reload adding VI_4: vrrpd (left) vs keepalived (right)"
    );
}
