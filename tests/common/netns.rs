//! Network namespaces, a bridged LAN, and child processes that die with the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A unique short name: tests of several binaries run at once under nextest.
pub fn unique(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("vt{}{}{}", tag, std::process::id(), n)
}

/// Run a command and panic with its stderr when it fails.
pub fn run(cmd: &[&str]) -> Output {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// One network namespace, deleted on drop (after the processes started in it are killed).
pub struct Netns {
    pub name: String,
    procs: Vec<Proc>,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = unique(tag);
        run(&["ip", "netns", "add", &name]);
        let ns = Netns {
            name,
            procs: Vec::new(),
        };
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// The argv prefix that runs a command inside this namespace.
    pub fn prefix(&self) -> Vec<String> {
        vec![
            "ip".into(),
            "netns".into(),
            "exec".into(),
            self.name.clone(),
        ]
    }

    /// Run a command inside the namespace; panics when it fails.
    pub fn exec(&self, cmd: &[&str]) -> Output {
        let mut argv: Vec<&str> = vec!["ip", "netns", "exec", &self.name];
        argv.extend_from_slice(cmd);
        run(&argv)
    }

    /// Run a command inside the namespace and return its output whatever its status.
    pub fn try_exec(&self, cmd: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(cmd)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
    }

    /// A `Command` that runs `program` inside the namespace (for custom stdio or env).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }

    /// Start a long-running command in the namespace; it is killed when the namespace drops.
    pub fn spawn(&mut self, cmd: &mut Command) -> &mut Proc {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        self.procs.push(Proc { child });
        self.procs.last_mut().unwrap()
    }

    /// Wait (at most `timeout`) for the process with `pid`, started here, to exit; reaps it.
    pub fn wait_pid(&mut self, pid: i32, timeout: Duration) -> bool {
        match self.procs.iter_mut().find(|p| p.pid() == pid) {
            Some(p) => p.wait_timeout(timeout).is_some(),
            None => false,
        }
    }

    /// The process started last in this namespace.
    pub fn procs_last(&mut self) -> &mut Proc {
        self.procs.last_mut().expect("a process was started")
    }

    /// The MAC address of an interface in this namespace, as "aa:bb:cc:dd:ee:ff".
    pub fn mac(&self, ifname: &str) -> String {
        let path = format!("/sys/class/net/{ifname}/address");
        let out = self.exec(&["cat", &path]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for p in self.procs.iter_mut() {
            p.kill();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A child process killed by its pid on drop.
pub struct Proc {
    pub child: Child,
}

impl Proc {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on the pid of a child we started and have not reaped.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }
    /// Wait for the process to exit, at most `timeout`; true when it did.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
    pub fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A LAN: one namespace holding a bridge, and `n` host namespaces each with `eth0` on it.
/// Hosts are addressed by the caller (`lan.hosts[i].exec(&["ip", "addr", "add", ...])`).
pub struct Lan {
    pub hosts: Vec<Netns>,
    pub switch: Netns,
}

impl Lan {
    pub fn new(tag: &str, n: usize) -> Lan {
        let switch = Netns::new(&format!("{tag}s"));
        switch.exec(&["ip", "link", "add", "br0", "type", "bridge"]);
        switch.exec(&["ip", "link", "set", "br0", "up"]);
        let mut hosts = Vec::new();
        for i in 0..n {
            let h = Netns::new(&format!("{tag}h{i}"));
            let port = format!("p{i}");
            switch.exec(&[
                "ip", "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &h.name,
            ]);
            switch.exec(&["ip", "link", "set", &port, "master", "br0", "up"]);
            h.exec(&["ip", "link", "set", "eth0", "up"]);
            hosts.push(h);
        }
        Lan { hosts, switch }
    }

    /// Give host `i` an address on eth0, e.g. "192.0.2.1/24" or "2001:db8::1/64".
    pub fn addr(&self, i: usize, cidr: &str) {
        let fam = if cidr.contains(':') { "-6" } else { "-4" };
        self.hosts[i].exec(&["ip", fam, "addr", "add", cidr, "dev", "eth0", "nodad"]);
    }
}

/// A scratch directory removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("vrrp-test")
        .tempdir()
        .expect("tempdir")
}

/// Poll `f` every 20 ms until it returns Some or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Write `conf_text` to `conf` and spawn `cmd` in `ns` with stdout and stderr going to `log`:
/// how every daemon under test (keepalived, vrrpd) is started.
pub fn spawn_logged<'a>(
    ns: &'a mut Netns,
    cmd: &mut Command,
    conf: &Path,
    conf_text: &str,
    log: &Path,
) -> &'a mut Proc {
    std::fs::write(conf, conf_text).unwrap_or_else(|e| panic!("write {}: {e}", conf.display()));
    let out = std::fs::File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().expect("log file handle"))
        .stderr(out);
    ns.spawn(cmd)
}

/// A real keepalived (VRRP child only) in a namespace, with its own pid files so several run at
/// once. Drop (through the namespace's process list) SIGKILLs it; SIGTERM through the returned
/// `Proc` is a graceful stop (priority-0 advert).
pub struct Keepalived {
    pub dir: PathBuf,
    pub conf: PathBuf,
}

impl Keepalived {
    /// Write `conf_text` into `dir` and start keepalived in `ns` (foreground, console log).
    ///
    /// `-G` (no syslog): without a /dev/log keepalived's syslog falls back to /dev/console,
    /// whose writes take ~10 ms a line here and would delay its timers and adverts.
    pub fn start<'a>(ns: &'a mut Netns, dir: &Path, conf_text: &str) -> (Keepalived, &'a mut Proc) {
        let conf = dir.join("keepalived.conf");
        let mut cmd = ns.command("keepalived");
        cmd.args(["-n", "-l", "-G", "-D", "--vrrp", "-f"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.join("keepalived.pid"))
            .arg("-r")
            .arg(dir.join("vrrp.pid"))
            .arg("-c")
            .arg(dir.join("check.pid"))
            // Its dump files (USR1, USR2, JSON) go here, not to the host's /tmp.
            .env("TMPDIR", dir);
        let proc = spawn_logged(ns, &mut cmd, &conf, conf_text, &dir.join("keepalived.log"));
        (
            Keepalived {
                dir: dir.to_path_buf(),
                conf,
            },
            proc,
        )
    }

    /// The VRRP child's pid (SIGKILL it first to simulate a crash without a goodbye advert).
    pub fn vrrp_child_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.join("vrrp.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("keepalived.log")).unwrap_or_default()
    }
}

/// A namespace with the interfaces the config corpus names (eth0 192.0.2.1/24, eth1
/// 198.51.100.1/24, veth-backed), so `keepalived -t` and lint verdicts do not depend on the host.
pub fn corpus_netns(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    for (i, ifname) in ["eth0", "eth1"].iter().enumerate() {
        let peer = format!("p{i}");
        ns.exec(&[
            "ip", "link", "add", ifname, "type", "veth", "peer", "name", &peer,
        ]);
        ns.exec(&["ip", "link", "set", ifname, "up"]);
        ns.exec(&["ip", "link", "set", &peer, "up"]);
    }
    ns.exec(&["ip", "addr", "add", "192.0.2.1/24", "dev", "eth0"]);
    ns.exec(&["ip", "addr", "add", "198.51.100.1/24", "dev", "eth1"]);
    ns
}
