//! vrrpctl in a real terminal: tmux runs it in a pane of known width, `capture-pane -e` reads
//! back what the terminal shows, colors included. `status` against a vrrpd in a namespace with
//! one instance in each of MASTER (green), BACKUP (plain) and FAULT (red), a table that fits the
//! pane; `status --watch` redrawing the screen after a transition; and the progress bar of
//! `sniff -r` on a large capture (shown on a terminal, never with --json, gone when done).

mod common;
use common::daemon::*;
use common::*;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WIDTH: usize = 72;

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        Tmux {
            socket: unique("tmux"),
        }
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Start `shell_cmd` in a new detached session `name` of WIDTH x 30, color terminal, and
    /// NO_COLOR unset inside (the test checks `--color auto` on a terminal).
    fn start(&self, name: &str, shell_cmd: &str) {
        let script = format!("unset NO_COLOR; {shell_cmd}; sleep 60");
        self.cmd(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &WIDTH.to_string(),
            "-y",
            "30",
            "-e",
            "TERM=xterm-256color",
            &script,
        ]);
    }

    /// The pane's visible text with its SGR escapes (-e), wrapped lines joined (-J) so that a
    /// line wider than the pane shows as one long line.
    fn capture(&self, name: &str) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-e", "-J", "-t", name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Capture until `f` accepts the screen (or panic after `timeout` with the last one).
    fn wait_screen(&self, name: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.capture(name);
            if f(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "screen never matched:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// A line of terminal output as (char, foreground color index or None) pairs, from its SGR
/// escapes: 30-37/90-97, 38;5;N, and 0/39 resetting.
fn colored_chars(line: &str) -> Vec<(char, Option<u8>)> {
    let mut out = Vec::new();
    let mut fg: Option<u8> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push((c, fg));
            continue;
        }
        if chars.peek() != Some(&'[') {
            continue;
        }
        chars.next();
        let mut params = String::new();
        let mut end = ' ';
        for c in chars.by_ref() {
            if c.is_ascii_digit() || c == ';' {
                params.push(c);
            } else {
                end = c;
                break;
            }
        }
        if end != 'm' {
            continue;
        }
        let nums: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let mut i = 0;
        while i < nums.len() {
            match nums[i] {
                0 | 39 => fg = None,
                n @ 30..=37 => fg = Some((n - 30) as u8),
                n @ 90..=97 => fg = Some((n - 90 + 8) as u8),
                38 if nums.get(i + 1) == Some(&5) => {
                    fg = nums.get(i + 2).map(|n| *n as u8);
                    i += 2;
                }
                38 if nums.get(i + 1) == Some(&2) => i += 4,
                _ => {}
            }
            i += 1;
        }
    }
    out
}

fn plain(line: &str) -> String {
    colored_chars(line).into_iter().map(|(c, _)| c).collect()
}

/// The foreground color of `word` on the screen line that contains `row_key`.
fn color_of(screen: &str, row_key: &str, word: &str) -> Option<u8> {
    let line = screen
        .lines()
        .find(|l| plain(l).contains(row_key))
        .unwrap_or_else(|| panic!("no line with {row_key}:\n{screen}"));
    let cs = colored_chars(line);
    let text: Vec<char> = cs.iter().map(|(c, _)| *c).collect();
    let w: Vec<char> = word.chars().collect();
    let at = text
        .windows(w.len())
        .position(|win| win == w.as_slice())
        .unwrap_or_else(|| panic!("no {word} on the {row_key} line: {}", plain(line)));
    let colors: Vec<Option<u8>> = cs[at..at + w.len()].iter().map(|(_, f)| *f).collect();
    assert!(
        colors.windows(2).all(|p| p[0] == p[1]),
        "{word} in mixed colors: {colors:?}"
    );
    colors[0]
}

const GREEN: [u8; 2] = [2, 10];
const RED: [u8; 2] = [1, 9];

fn assert_fits(screen: &str) {
    for l in screen.lines() {
        let p = plain(l);
        assert!(
            p.trim_end().chars().count() <= WIDTH,
            "line wider than the {WIDTH}-column pane ({}): {p}",
            p.trim_end().chars().count()
        );
    }
}

/// Three instances on host 0: VI_master alone on its VRID, VI_backup outbid by host 1,
/// VI_fault on a link with no address.
fn conf_three() -> String {
    let inst = |name: &str, iface: &str, vrid: u8, prio: u8, vip: &str| {
        format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface {iface}\n  virtual_router_id {vrid}\n  version 3\n  priority {prio}\n  advert_int 0.1\n  virtual_ipaddress {{\n    {vip}/24\n  }}\n}}\n"
        )
    };
    format!(
        "global_defs {{\n  router_id A\n}}\n{}{}{}",
        inst("VI_master", "eth0", 51, 150, "192.0.2.100"),
        inst("VI_backup", "eth0", 52, 100, "192.0.2.101"),
        inst("VI_fault", "dum0", 53, 100, "192.0.2.102"),
    )
}

fn wait_states(socket: &Path, want: &[(&str, &str)]) {
    let ok = wait_for(Duration::from_secs(6), || {
        let o = vrrpctl(&["--json", "status", "--socket", socket.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
        let insts = v["instances"].as_array()?.clone();
        want.iter()
            .all(|(n, s)| insts.iter().any(|i| i["name"] == *n && i["state"] == *s))
            .then_some(())
    });
    let o = vrrpctl(&["status", "--socket", socket.to_str().unwrap()]);
    assert!(
        ok.is_some(),
        "states never became {want:?}:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn status_in_a_real_terminal_is_colored_fits_and_watch_redraws() {
    if !require_root() || !require_tool("tmux") {
        return;
    }
    let mut lan = Lan::new("tx", 2);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    // An up link with no address (a veth pair inside host 0): FAULT, as in keepalived.
    lan.hosts[0].exec(&[
        "ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum1",
    ]);
    lan.hosts[0].exec(&["ip", "link", "set", "dum0", "up"]);
    lan.hosts[0].exec(&["ip", "link", "set", "dum1", "up"]);
    let dir = tempdir();
    let (ad, bd) = (subdir(dir.path(), "a"), subdir(dir.path(), "b"));
    let a = Vrrpd::start(&mut lan.hosts[0], &ad, &conf_three()).0;
    let peer = {
        let mut c = InstanceConf::v3(200, "192.0.2.101/24");
        c.name = "VI_backup";
        c.vrid = 52;
        let (_, p) = Vrrpd::start(&mut lan.hosts[1], &bd, &c.file("B"));
        p.pid()
    };
    a.wait_socket();
    wait_states(
        &a.socket,
        &[
            ("VI_master", "MASTER"),
            ("VI_backup", "BACKUP"),
            ("VI_fault", "FAULT"),
        ],
    );

    let tmux = Tmux::new();
    let vrrpctl = bin("vrrpctl").display().to_string();
    let sock = a.socket.display().to_string();
    tmux.start("status", &format!("{vrrpctl} status --socket {sock}"));
    let screen = tmux.wait_screen("status", Duration::from_secs(5), |s| {
        plain(s).contains("VI_fault")
    });
    println!("{screen}");
    assert!(screen.contains('\x1b'), "no color on a terminal:\n{screen}");
    assert!(
        GREEN.contains(&color_of(&screen, "VI_master", "MASTER").unwrap_or(255)),
        "MASTER not green:\n{screen}"
    );
    assert_eq!(
        color_of(&screen, "VI_backup", "BACKUP"),
        None,
        "BACKUP not plain:\n{screen}"
    );
    assert!(
        RED.contains(&color_of(&screen, "VI_fault", "FAULT").unwrap_or(255)),
        "FAULT not red:\n{screen}"
    );
    assert_fits(&screen);
    // The columns are all there, narrowed rather than cut.
    for h in ["INSTANCE", "STATE", "PRIO", "MASTER", "VIPS"] {
        assert!(plain(&screen).contains(h), "{h} missing:\n{screen}");
    }

    // NO_COLOR on the same terminal: plain text (and --color always still colors).
    tmux.start(
        "nocolor",
        &format!("NO_COLOR=1 {vrrpctl} status --socket {sock}"),
    );
    let screen = tmux.wait_screen("nocolor", Duration::from_secs(5), |s| {
        plain(s).contains("VI_fault")
    });
    assert_eq!(color_of(&screen, "VI_master", "MASTER"), None, "{screen}");

    // --watch: the table redrawn (one table on the screen) after VI_backup takes over.
    tmux.start(
        "watch",
        &format!("{vrrpctl} status --watch --socket {sock}"),
    );
    tmux.wait_screen("watch", Duration::from_secs(5), |s| {
        plain(s).contains("VI_fault")
    });
    sigkill(peer);
    let screen = tmux.wait_screen("watch", Duration::from_secs(5), |s| {
        plain(s).contains("VI_backup: BACKUP -> MASTER")
    });
    println!("{screen}");
    assert_eq!(
        plain(&screen).matches("INSTANCE").count(),
        1,
        "not redrawn in place:\n{screen}"
    );
    assert!(
        GREEN.contains(&color_of(&screen, "VI_backup ", "MASTER").unwrap_or(255)),
        "VI_backup's MASTER not green after the redraw:\n{screen}"
    );
    // The table fits; the event lines under it are plain text the terminal may wrap.
    let table: String = screen
        .lines()
        .take_while(|l| !plain(l).contains("VI_backup: BACKUP -> MASTER"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_fits(&table);
}

/// A classic pcap of `size` bytes or more: tests/data's keepalived capture repeated.
fn big_pcap(path: &Path, size: usize) {
    let src = std::fs::read(data("pcap/keepalived_mixed.pcap")).unwrap();
    let (hdr, body) = src.split_at(24);
    let mut out = hdr.to_vec();
    while out.len() < size {
        out.extend_from_slice(body);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn sniff_progress_shows_on_a_terminal_only_without_json() {
    if !require_tool("tmux") {
        return;
    }
    let dir = tempdir();
    let pcap = dir.path().join("big.pcap");
    // Large enough that the bar stays up for seconds: with 5 MiB a debug build's bar was up for
    // about 0.3 s, and one CI run's captures (0.1 s apart) never saw it in 20 s.
    big_pcap(&pcap, 40 << 20);
    let tmux = Tmux::new();
    let vrrpctl = bin("vrrpctl").display().to_string();
    let p = pcap.display().to_string();
    let done = dir.path().join("done");
    let done_json = dir.path().join("done-json");
    tmux.start(
        "bar",
        &format!(
            "{vrrpctl} sniff -r {p} >/dev/null; touch {}",
            done.display()
        ),
    );
    tmux.start(
        "json",
        &format!(
            "{vrrpctl} --json sniff -r {p} >/dev/null; touch {}",
            done_json.display()
        ),
    );
    let screen = tmux.wait_screen("bar", Duration::from_secs(20), |s| {
        plain(s).contains("MiB/40.")
    });
    println!("{screen}");
    let line = screen
        .lines()
        .find(|l| plain(l).contains("reading "))
        .unwrap_or_else(|| panic!("no progress line:\n{screen}"));
    assert!(plain(line).contains("reading big.pcap ["), "{line}");
    assert!(line.contains('\x1b'), "the bar is not colored: {line}");
    assert_fits(&screen);
    // The JSON run, as long, never draws a bar on its terminal.
    let json_screen = tmux.capture("json");
    assert!(
        !plain(&json_screen).contains("reading"),
        "progress with --json:\n{json_screen}"
    );
    // Done: the bar is cleared.
    assert!(
        wait_for(Duration::from_secs(60), || done.exists().then_some(())).is_some(),
        "sniff never finished"
    );
    let screen = tmux.capture("bar");
    assert!(
        !plain(&screen).contains("reading"),
        "the bar stayed after the end:\n{screen}"
    );
    assert!(
        wait_for(Duration::from_secs(60), || done_json.exists().then_some(())).is_some(),
        "sniff --json never finished"
    );
    assert!(!plain(&tmux.capture("json")).contains("reading"));
}

#[test]
fn live_rehearsal_spinner_shows_on_a_terminal_only_without_json() {
    if !require_root() || !require_tool("tmux") {
        return;
    }
    let mut lan = lan3("tl", false);
    let dir = tempdir();
    let (vrrpd, _) = Vrrpd::start(
        &mut lan.hosts[0],
        dir.path(),
        &InstanceConf::v3(150, "192.0.2.100/24").file("A"),
    );
    vrrpd.wait_socket();
    assert!(wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(5)).is_some());
    let tmux = Tmux::new();
    // Alone on its LAN: --force, and a demotion held for 3 s, long enough to look at.
    let run = |json: &str, done: &Path| {
        format!(
            "ip netns exec {} {} {json} simulate-failover --live --force --restore-after 3s --socket {} >{}; touch {}",
            lan.hosts[0].name,
            bin("vrrpctl").display(),
            vrrpd.socket.display(),
            dir.path().join(format!("out{json}")).display(),
            done.display()
        )
    };
    let done = dir.path().join("done");
    tmux.start("live", &run("", &done));
    let screen = tmux.wait_screen("live", Duration::from_secs(10), |s| {
        plain(s).contains("holding VI_1 demoted for 3 s")
    });
    println!("{screen}");
    let line = screen
        .lines()
        .find(|l| plain(l).contains("holding VI_1"))
        .unwrap();
    assert!(line.contains('\x1b'), "the spinner is not colored: {line}");
    assert_fits(&screen);
    assert!(
        wait_for(Duration::from_secs(15), || done.exists().then_some(())).is_some(),
        "the rehearsal never finished"
    );
    assert!(
        !plain(&tmux.capture("live")).contains("holding"),
        "the spinner stayed after the end"
    );
    let done_json = dir.path().join("done-json");
    tmux.start("json", &run("--json", &done_json));
    let mut screens = Vec::new();
    let t0 = Instant::now();
    while !done_json.exists() && t0.elapsed() < Duration::from_secs(15) {
        screens.push(plain(&tmux.capture("json")));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(done_json.exists(), "the --json rehearsal never finished");
    assert!(screens.len() > 5, "too few looks at the screen");
    for s in &screens {
        assert!(
            !s.contains("holding") && !s.contains("waiting") && !s.contains("watching"),
            "a spinner with --json:\n{s}"
        );
    }
}
