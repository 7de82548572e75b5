//! HUP reload beside a real keepalived: an added VIP appears without a transition (the master
//! stays master, keepalived stays backup); a broken file is logged as file:line:column and the
//! running config goes on; a second vrrpd on the same pid file refuses to start; and
//! `vrrpd -t` fails on a keyword vrrpd parses but does not run.

mod common;
use common::daemon::*;
use common::*;

use std::time::Duration;

const VIP: &str = "192.0.2.100";

fn wait_log(v: &Vrrpd, needle: &str, timeout: Duration) -> bool {
    wait_for(timeout, || v.log().contains(needle).then_some(())).is_some()
}

#[test]
fn hup_adds_a_vip_without_a_transition_and_a_broken_file_keeps_the_running_config() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let mut lan = lan3("rl", false);
    let dir = tempdir();
    let (vd, kd) = (subdir(dir.path(), "vrrpd"), subdir(dir.path(), "ka"));
    // keepalived keeps following the master whose VIP list grows (its config is not reloaded).
    let mut b = InstanceConf::v3(100, "192.0.2.100/24");
    b.extra.push("skip_check_adv_addr".into());
    let ka = Keepalived::start(&mut lan.hosts[1], &kd, &b.file("B")).0;
    let conf = InstanceConf::v3(150, "192.0.2.100/24");
    let (vrrpd, proc) = Vrrpd::start(&mut lan.hosts[0], &vd, &conf.file("A"));
    let pid = proc.pid();
    converge(&lan, VIP, 0, 1, Duration::from_millis(300));
    let transitions = |v: &Vrrpd| v.log().matches(" -> ").count();
    let before = transitions(&vrrpd);

    let mut more = conf.clone();
    more.vips.push("192.0.2.101/24");
    std::fs::write(&vrrpd.conf, more.file("A")).unwrap();
    unsafe { libc::kill(pid, libc::SIGHUP) };
    assert!(
        wait_log(
            &vrrpd,
            "Reload complete: 0 kept, 1 updated",
            Duration::from_secs(3)
        ),
        "{}",
        vrrpd.log()
    );
    assert!(wait_addr(&lan.hosts[0], "192.0.2.101", true, Duration::from_secs(3)).is_some());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(transitions(&vrrpd), before, "{}", vrrpd.log());
    assert!(has_addr(&lan.hosts[0], VIP) && !has_addr(&lan.hosts[1], VIP));
    assert!(!ka.log().contains("Entering MASTER STATE"), "{}", ka.log());

    // A broken file: the error with its position, and the old config keeps running.
    std::fs::write(
        &vrrpd.conf,
        "vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n",
    )
    .unwrap();
    unsafe { libc::kill(pid, libc::SIGHUP) };
    assert!(
        wait_log(&vrrpd, "keeping the running config", Duration::from_secs(3)),
        "{}",
        vrrpd.log()
    );
    assert!(vrrpd.log().contains("vrrpd.conf:2:"), "{}", vrrpd.log());
    std::thread::sleep(Duration::from_millis(500));
    assert!(has_addr(&lan.hosts[0], VIP) && has_addr(&lan.hosts[0], "192.0.2.101"));
    assert_eq!(transitions(&vrrpd), before, "{}", vrrpd.log());

    // A second vrrpd with the same pid file refuses to start.
    std::fs::write(&vrrpd.conf, more.file("A")).unwrap();
    let second = lan.hosts[0]
        .command(bin("vrrpd"))
        .arg("-f")
        .arg(&vrrpd.conf)
        .args(["-l", "-p"])
        .arg(vd.join("vrrpd.pid"))
        .output()
        .unwrap();
    assert!(!second.status.success());
    let text = String::from_utf8_lossy(&second.stderr).to_string()
        + &String::from_utf8_lossy(&second.stdout);
    assert!(text.contains("already running"), "{text}");
    assert!(has_addr(&lan.hosts[0], VIP));
}

#[test]
fn config_test_fails_on_keywords_vrrpd_does_not_run() {
    let dir = tempdir();
    let conf = dir.path().join("k.conf");
    let mut c = InstanceConf::v3(150, "192.0.2.100/24");
    c.extra.push("use_ipvlan".into());
    std::fs::write(&conf, c.file("A").replace("interface eth0", "interface lo")).unwrap();
    let out = std::process::Command::new(bin("vrrpd"))
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("`use_ipvlan` in vrrp_instance is read but not run by vrrpd"),
        "{err}"
    );
    assert!(
        err.contains("vrrpd -t fails until they are run or removed"),
        "{err}"
    );
}
