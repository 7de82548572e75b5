//! What a running vrrpd may do to the host beyond VRRP: which capabilities it keeps after start
//! (daemon/privileges.rs) and which files it writes. Both run vrrpd as root in a namespace with
//! a notify script, a track script, the metrics endpoint, a reload, dumps and a demotion, so
//! that every thread and every writer of the daemon has run.

mod common;
use common::daemon::*;
use common::*;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

/// CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BROADCAST, CAP_KILL, CAP_SETUID, CAP_SETGID.
const KEPT: u64 = (1 << 12) | (1 << 13) | (1 << 11) | (1 << 5) | (1 << 7) | (1 << 6);

fn cap_field(status: &str, name: &str) -> u64 {
    let v = status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
        .trim();
    u64::from_str_radix(v, 16).expect("hex capability mask")
}

fn own(name: &str) -> u64 {
    cap_field(
        &std::fs::read_to_string("/proc/thread-self/status").unwrap(),
        name,
    )
}

/// The config of the single node: MASTER of one VIP, a notify_master script and a track script
/// that both record their own capabilities, so the test sees what a child exec'd as root gets,
/// and a track_file and a track_process (each with a thread of its own).
fn conf(dir: &Path, vips: &[&str]) -> String {
    std::fs::write(dir.join("track-file"), "0\n").expect("track file");
    let d = dir.display();
    format!(
        "global_defs {{\n  router_id priv\n}}\n\
         vrrp_script chk {{\n  script \"/bin/sh -c 'grep ^Cap /proc/self/status > {d}/track-caps'\"\n  interval 1\n}}\n\
         vrrp_track_file tf {{\n  file {d}/track-file\n  weight -10\n}}\n\
         vrrp_track_process tp {{\n  process vrrpd\n  weight -10\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 61\n  priority 150\n  advert_int 0.2\n  version 3\n\
         \x20 track_script {{\n    chk\n  }}\n  track_file {{\n    tf\n  }}\n  track_process {{\n    tp\n  }}\n\
         \x20 notify_master \"/bin/sh -c 'grep ^Cap /proc/self/status > {d}/notify-caps'\"\n\
         \x20 virtual_ipaddress {{\n{}  }}\n}}\n",
        vips.iter()
            .map(|v| format!("    {v}/24\n"))
            .collect::<String>()
    )
}

#[test]
fn after_start_vrrpd_keeps_only_networking_and_script_capabilities() {
    if !require_root() {
        return;
    }
    let mut lan = Lan::new("pc", 1);
    lan.addr(0, "192.0.2.1/24");
    let dir = tempdir();
    let d = dir.path().to_path_buf();
    let (vrrpd, pid) = {
        let (v, p) = Vrrpd::start_with(
            &mut lan.hosts[0],
            &d,
            &conf(&d, &["192.0.2.100"]),
            &["--metrics-listen", "127.0.0.1:9650"],
        );
        (v, p.pid())
    };
    vrrpd.wait_socket();
    let ns = &lan.hosts[0];
    wait_addr(ns, "192.0.2.100", true, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("vrrpd never became master: {}", vrrpd.log()));
    // Every thread (event loop, address worker, control server, metrics and tiny_http's,
    // track_file, track_process), not just the main one: capabilities are per thread.
    let tasks: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(tasks.len() >= 6, "threads of vrrpd: {tasks:?}");
    let bounding = own("CapBnd:");
    for t in &tasks {
        let s = std::fs::read_to_string(t.join("status")).unwrap();
        let name = std::fs::read_to_string(t.join("comm")).unwrap_or_default();
        assert_eq!(
            cap_field(&s, "CapEff:"),
            KEPT & own("CapPrm:"),
            "CapEff of thread {name}"
        );
        assert_eq!(
            cap_field(&s, "CapPrm:"),
            KEPT & own("CapPrm:"),
            "CapPrm of thread {name}"
        );
        // Kept for the scripts.
        assert_eq!(
            cap_field(&s, "CapBnd:"),
            bounding,
            "CapBnd of thread {name}"
        );
    }
    assert!(
        vrrpd.log().contains("capabilities dropped"),
        "{}",
        vrrpd.log()
    );

    // A script exec'd as root gets the whole bounding set back, as under keepalived.
    for f in ["notify-caps", "track-caps"] {
        let caps = wait_for(Duration::from_secs(5), || {
            std::fs::read_to_string(d.join(f))
                .ok()
                .filter(|s| s.contains("CapEff"))
        })
        .unwrap_or_else(|| panic!("{f} never written: {}", vrrpd.log()));
        assert_eq!(cap_field(&caps, "CapEff:"), bounding, "{f}: {caps}");
    }

    // A reload still adds addresses (CAP_NET_ADMIN kept) with the reduced sets.
    std::fs::write(&vrrpd.conf, conf(&d, &["192.0.2.100", "192.0.2.101"])).unwrap();
    // SAFETY: kill(2) of the vrrpd this test started.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    wait_addr(ns, "192.0.2.101", true, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("reload did not add the VIP: {}", vrrpd.log()));
    // The metrics thread answers with its reduced sets.
    if require_tool("curl") {
        let m = ns.try_exec(&["curl", "-s", "http://127.0.0.1:9650/metrics"]);
        assert!(
            String::from_utf8_lossy(&m.stdout).contains("vrrp"),
            "metrics: {m:?}"
        );
    }
}

/// The paths a traced process wrote to (opened for writing, created, renamed, removed, bound a
/// Unix socket at), from `strace -f` output; lines of processes that vrrpd exec'd (scripts)
/// and of their descendants are not vrrpd's and are left out.
fn written_paths(trace: &str) -> BTreeSet<String> {
    let mut foreign: HashSet<String> = HashSet::new();
    let mut first_exec = true;
    let mut out = BTreeSet::new();
    for line in trace.lines() {
        let Some((pid, call)) = line.split_once(' ') else {
            continue;
        };
        let call = call.trim_start();
        if foreign.contains(pid) {
            // A script's children are scripts too.
            let spawns = [
                "clone",
                "fork",
                "vfork",
                "<... clone",
                "<... fork",
                "<... vfork",
            ];
            if spawns.iter().any(|c| call.starts_with(c)) && !call.contains("<unfinished") {
                if let Some(child) = line.rsplit("= ").next() {
                    foreign.insert(child.trim().to_string());
                }
            }
            continue;
        }
        if call.starts_with("execve(") {
            if first_exec {
                first_exec = false; // strace starting vrrpd itself
            } else {
                foreign.insert(pid.to_string());
            }
            continue;
        }
        let quoted = |s: &str| -> Vec<String> {
            s.split('"')
                .skip(1)
                .step_by(2)
                .map(|p| p.to_string())
                .collect()
        };
        let writes = if call.starts_with("open") {
            call.contains("O_WRONLY")
                || call.contains("O_RDWR")
                || call.contains("O_CREAT")
                || call.contains("O_TRUNC")
        } else {
            call.starts_with("creat")
                || call.starts_with("rename")
                || call.starts_with("unlink")
                || call.starts_with("mkdir")
                || call.starts_with("mknod")
                || call.starts_with("link")
                || call.starts_with("symlink")
                || call.starts_with("truncate")
                || call.starts_with("chmod")
                || call.starts_with("fchmodat")
                || call.starts_with("chown")
                || call.starts_with("lchown")
                || call.starts_with("fchownat")
                || (call.starts_with("bind(") && call.contains("AF_UNIX"))
        };
        if writes {
            out.extend(quoted(call));
        }
    }
    out
}

#[test]
fn vrrpd_writes_only_its_pid_file_socket_state_and_dump_files() {
    if !require_root() || !require_tool("strace") {
        return;
    }
    let mut lan = Lan::new("pw", 1);
    lan.addr(0, "192.0.2.1/24");
    let dir = tempdir();
    let d = dir.path().to_path_buf();
    let trace = d.join("strace.out");
    let conf_path = d.join("vrrpd.conf");
    let socket = d.join("vrrpd.sock");
    let log = d.join("vrrpd.log");
    let strace = std::process::Command::new("sh")
        .args(["-c", "command -v strace"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut cmd = lan.hosts[0].command(&strace);
    cmd.args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=open,openat,openat2,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,mknod,mknodat,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,chown,lchown,fchownat,bind,execve,clone,clone3,fork,vfork",
            "--",
        ])
        .arg(bin("vrrpd"))
        .arg("-f")
        .arg(&conf_path)
        .args(["-l", "-D", "-p"])
        .arg(d.join("vrrpd.pid"))
        .arg("--socket")
        .arg(&socket)
        .env("TMPDIR", &d);
    let pid = spawn_logged(
        &mut lan.hosts[0],
        &mut cmd,
        &conf_path,
        &conf(&d, &["192.0.2.100"]),
        &log,
    )
    .pid();
    let vlog = || std::fs::read_to_string(&log).unwrap_or_default();
    let ns = &lan.hosts[0];
    wait_addr(ns, "192.0.2.100", true, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("vrrpd never became master: {}", vlog()));
    // The daemon's pid: strace's child.
    let daemon = wait_for(Duration::from_secs(2), || {
        std::fs::read_to_string(d.join("vrrpd.pid"))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
    })
    .expect("pid file");
    let sig = |s: libc::c_int| {
        // SAFETY: kill(2) of the vrrpd this test started (under strace).
        unsafe { libc::kill(daemon, s) };
    };
    let sock = socket.display().to_string();
    // Every writer: dumps (data, stats, JSON), a demotion and its restore (the state file), a
    // reload, then a graceful stop (pid file and socket removed).
    sig(libc::SIGUSR1);
    sig(libc::SIGUSR2);
    sig(libc::SIGRTMIN() + 2);
    for f in ["keepalived.data", "keepalived.stats", "keepalived.json"] {
        wait_for(Duration::from_secs(5), || d.join(f).exists().then_some(()))
            .unwrap_or_else(|| panic!("{f} not written: {}", vlog()));
    }
    // --force: alone on its LAN, VI_1 has no backup to hand over to.
    let o = vrrpctl(&["demote", "VI_1", "--force", "--socket", &sock]);
    assert!(o.status.success(), "demote: {o:?}");
    let o = vrrpctl(&["restore", "VI_1", "--socket", &sock]);
    assert!(o.status.success(), "restore: {o:?}");
    std::fs::write(&conf_path, conf(&d, &["192.0.2.100", "192.0.2.101"])).unwrap();
    sig(libc::SIGHUP);
    wait_addr(ns, "192.0.2.101", true, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("reload did not add the VIP: {}", vlog()));
    sig(libc::SIGTERM);
    assert!(
        lan.hosts[0].wait_pid(pid, Duration::from_secs(10)),
        "vrrpd did not stop: {}",
        vlog()
    );

    let text = std::fs::read_to_string(&trace).unwrap();
    let written = written_paths(&text);
    let allowed: BTreeSet<String> = [
        "vrrpd.pid",
        "vrrpd.sock",
        "vrrpd.demoted",
        "vrrpd.demoted.tmp",
        "keepalived.data",
        "keepalived.stats",
        "keepalived.json",
    ]
    .iter()
    .map(|f| d.join(f).display().to_string())
    .collect();
    // Children's stdio (scripts get /dev/null), opened between fork and exec.
    let harmless = ["/dev/null"];
    let unexpected: Vec<&String> = written
        .iter()
        .filter(|p| !allowed.contains(*p) && !harmless.contains(&p.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "vrrpd wrote outside its pid file, socket, state and dump files: {unexpected:?}\n\
         (all written: {written:?})"
    );
    // The test saw the writers it meant to exercise.
    for f in [
        "vrrpd.pid",
        "vrrpd.sock",
        "keepalived.data",
        "keepalived.json",
    ] {
        let p = d.join(f).display().to_string();
        assert!(written.contains(&p), "{p} not in the trace: {written:?}");
    }
}

#[test]
fn written_paths_reads_strace_lines_and_skips_scripts() {
    let t = r#"100 execve("/usr/sbin/vrrpd", ["vrrpd"], 0x7ffd /* 20 vars */) = 0
100 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
100 openat(AT_FDCWD, "/run/x.pid", O_RDWR|O_CREAT|O_CLOEXEC, 0666) = 3
101 bind(5, {sa_family=AF_UNIX, sun_path="/run/x.sock"}, 110) = 0
100 clone3({flags=CLONE_VM, ...}, 88) = 102
102 openat(AT_FDCWD, "/dev/null", O_RDWR|O_CLOEXEC) = 3
102 execve("/bin/sh", ["/bin/sh", "-c", "x"], 0x55 /* 3 vars */) = 0
102 openat(AT_FDCWD, "/tmp/script-output", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3
102 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>
102 <... clone resumed>) = 103
103 unlink("/tmp/grandchild") = 0
100 unlinkat(AT_FDCWD, "/run/x.pid", 0) = 0
"#;
    let w = written_paths(t);
    let want: BTreeSet<String> = ["/run/x.pid", "/run/x.sock", "/dev/null"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(w, want);
}
