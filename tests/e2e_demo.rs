//! README's first line, `sudo ./demo.sh`, run end to end with the binaries cargo built for this
//! test run (`--no-install --no-build --bin-dir`): the failover happens, the client's ARP entry
//! moves, the ping downtime is measured, and afterwards nothing the demo made is left — neither
//! after a full run nor after a Ctrl-C in the middle of the failover. One more run takes the
//! path of a fresh machine (`--install`: .ci/install-deps through apt-get, then
//! `cargo build --release --locked`, and the demo with those binaries); CI builds the release
//! binaries before the tests, so the build there only checks that they are fresh.

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo, to run with the test's own binaries and a namespace prefix of its own.
fn demo(prefix: &str) -> Command {
    let bin_dir = bin("vrrpd").parent().unwrap().to_path_buf();
    let mut c = demo_with(prefix);
    c.args(["--no-install", "--no-build", "--bin-dir"])
        .arg(&bin_dir);
    c
}

/// The demo with only a namespace prefix of its own; the caller adds the options.
fn demo_with(prefix: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(root().join("demo.sh"))
        .args(["--prefix", prefix])
        .env("NO_COLOR", "1")
        .env("DEMO_PAUSE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A shell cannot trap a signal that was ignored when it started: give the demo the default
    // SIGINT whatever this test process inherited.
    // SAFETY: signal(2) is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    c
}

/// Kills the demo by pid if the test fails before it ends (its own trap then cleans up).
struct Running(std::process::Child);
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SAFETY: kill(2) on the pid of our own child, not yet reaped.
            unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
            let _ = self.0.wait();
        }
    }
}

/// What the demo left behind: its namespaces, its work directory, processes that name it.
fn leftovers(prefix: &str, work: &Path) -> Vec<String> {
    let mut left = Vec::new();
    let ns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    for line in String::from_utf8_lossy(&ns.stdout).lines() {
        if line.starts_with(&format!("{prefix}-")) {
            left.push(format!("namespace {line}"));
        }
    }
    if work.exists() {
        left.push(format!("directory {}", work.display()));
    }
    // Every process the demo starts has its work directory on its command line.
    let needle = work.to_string_lossy().into_owned();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) {
            left.push(format!(
                "process {}: {cmdline}",
                e.file_name().to_string_lossy()
            ));
        }
    }
    left
}

/// A process SIGKILLed by the cleanup may take a moment to go on a loaded machine.
fn assert_nothing_left(prefix: &str, work: &Path) {
    let gone = wait_for(Duration::from_secs(5), || {
        leftovers(prefix, work).is_empty().then_some(())
    });
    let left = leftovers(prefix, work);
    assert!(
        gone.is_some() && left.is_empty(),
        "the demo left: {left:#?}"
    );
}

fn work_dir(out: &str) -> PathBuf {
    let line = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Work directory: "))
        .unwrap_or_else(|| panic!("no work directory in the output:\n{out}"));
    PathBuf::from(line.trim())
}

/// The `NAME: longest wait between two ping replies N ms ..., slowest reply R ms, L of S pings
/// lost` line: (gap, slowest reply, lost, sent).
fn downtime(out: &str, what: &str) -> (u64, u64, u64, u64) {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{what}:")))
        .unwrap_or_else(|| panic!("no downtime line for {what}:\n{out}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
        .collect();
    // [gap, 50, slowest, lost, sent]
    assert_eq!(nums.len(), 5, "{line}");
    (nums[0], nums[2], nums[3], nums[4])
}

#[test]
fn demo_runs_end_to_end_and_leaves_nothing() {
    if !require_root() || !require_tool("keepalived") || !require_tool("ping") {
        return;
    }
    let prefix = unique("demo");
    let t0 = Instant::now();
    let child = demo(&prefix).spawn().expect("run demo.sh");
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    println!("demo took {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(out.status.code(), Some(0), "demo failed:\n{text}");
    // Status on every node, the keepalived one through its dump.
    assert!(text.contains("source: vrrpd ("), "{text}");
    assert!(text.contains("source: keepalived (pid "), "{text}");
    // Adverts sniffed from the master.
    assert!(
        text.contains("IP 192.0.2.11 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 150"),
        "{text}"
    );
    // The failover as --watch printed it, and B's gratuitous ARP.
    assert!(
        text.contains("[status --watch on B]")
            && text.contains("VI_1: BACKUP -> MASTER (master down timer expired, prio 120)"),
        "{text}"
    );
    assert!(
        text.contains("ARP, gratuitous, 192.0.2.100 is-at"),
        "{text}"
    );
    assert!(text.contains("192.0.2.11 -> 192.0.2.12"), "{text}");
    // The client's ARP entry moved from A to B.
    assert!(
        text.contains("(node A (vrrpd))") && text.contains("after:  "),
        "{text}"
    );
    let after = text.lines().find(|l| l.contains("after:  ")).unwrap();
    assert!(after.ends_with("(node B (vrrpd))"), "{after}");
    // A crash costs pings (about Master_Down_Interval, ~350 ms); the margins are generous.
    // Pings sent while the client re-resolves the VIP are queued and answered late, not lost:
    // the outage shows as a gap between replies or as a slow reply.
    let (gap, slowest, lost, sent) = downtime(&text, "crash of A");
    let outage = gap.max(slowest);
    assert!(
        (150..3000).contains(&outage) && sent > lost,
        "crash: gap {gap} ms, slowest {slowest} ms, {lost} of {sent} lost"
    );
    let (gap, _, _, sent) = downtime(&text, "demote of B");
    assert!(gap < 3000 && sent > 0, "demote: gap {gap} ms");
    downtime(&text, "restore of B");
    // Demote and restore through vrrpctl, keepalived's K master in between.
    assert!(
        text.contains("BACKUP (demoted: demo maintenance)"),
        "{text}"
    );
    assert!(text.contains("VI_1: restored"), "{text}");
    assert!(
        text.contains("BACKUP -> MASTER (preempted lower priority master"),
        "{text}"
    );
    assert!(text.contains("Demo complete."), "{text}");
    let work = work_dir(&text);
    assert_nothing_left(&prefix, &work);
}

#[test]
fn ctrl_c_during_the_failover_removes_everything() {
    if !require_root() || !require_tool("keepalived") || !require_tool("ping") {
        return;
    }
    let prefix = unique("demoint");
    let mut child = Running(demo(&prefix).spawn().expect("run demo.sh"));
    let stdout = child.0.stdout.take().unwrap();
    let mut seen = String::new();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Interrupt once the daemons run and the failover step has started its capture and pings.
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen += &line;
        seen.push('\n');
        if line.contains("is-at") && line.contains("(node A (vrrpd))") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo never reached the failover:\n{seen}"
        );
    }
    assert!(seen.contains("Step 6"), "{seen}");
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) };
    for line in lines {
        seen += &line.unwrap();
        seen.push('\n');
    }
    let status = child.0.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut err).unwrap();
    println!("{seen}{err}");
    assert_eq!(status.code(), Some(130), "{seen}{err}");
    assert!(seen.contains("== Cleaning up"), "{seen}");
    assert!(!seen.contains("Demo complete."), "{seen}");
    assert!(err.contains("everything it made is removed"), "{err}");
    let work = work_dir(&seen);
    assert_nothing_left(&prefix, &work);
}

#[test]
fn fresh_machine_path_installs_builds_and_runs() {
    if !require_root() || !require_tool("apt-get") || !require_tool("cargo") {
        return;
    }
    let prefix = unique("demoinst");
    let t0 = Instant::now();
    let mut c = demo_with(&prefix);
    c.arg("--install");
    let out = c.spawn().expect("run demo.sh").wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    println!("demo --install took {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(out.status.code(), Some(0), "demo failed:\n{text}");
    // The install ran (apt-get through .ci/install-deps) and left every tool in place.
    assert!(
        text.contains("--install: running the package install (.ci/install-deps) anyway")
            || text.contains(": installing the project's Debian packages"),
        "{text}"
    );
    let installed = text
        .lines()
        .find(|l| l.trim_start().starts_with("Installed: "))
        .unwrap_or_else(|| panic!("no Installed: line:\n{text}"));
    for pkg in ["keepalived 1:2.2.7", "nftables ", "tcpdump ", "tshark "] {
        assert!(installed.contains(pkg), "{pkg}: {installed}");
    }
    // The release build, and the demo ran with what it built.
    assert!(text.contains("$ cargo build --release --locked"), "{text}");
    let release = root().join("target/release/vrrpd");
    assert!(release.exists(), "{}", release.display());
    let version = String::from_utf8(
        Command::new(&release)
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains(&format!("Using {}", version.trim())),
        "{version}\n{text}"
    );
    assert!(
        text.contains("VI_1: restored") && text.contains("Demo complete."),
        "{text}"
    );
    let work = work_dir(&text);
    assert_nothing_left(&prefix, &work);
}
