//! The everyday command line of both binaries: --version with the git commit, usage and I/O
//! errors as one sentence (or one JSON object with --json) and exit 2, `lint -` reading stdin,
//! the usage line of the `lint-config` alias, and shell completion that loads in bash, zsh and
//! fish and answers from the clap tree and this host (interfaces, instance names, files).

mod common;
use common::*;

use std::io::Write;
use std::process::{Command, Stdio};

fn vrrpctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn version_names_the_git_commit() {
    let (code, out, _) = vrrpctl(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(concat!("vrrpctl ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{out}"
    );
    assert!(!out.contains("(commit )"), "{out}");
}

#[test]
fn json_errors_are_one_object_on_stderr_with_exit_2() {
    for args in [
        &["--json", "sniff", "--bogus"][..],
        &["--json", "lint", "/nonexistent/keepalived.conf"],
        &["--json", "sniff", "-r", "/nonexistent.pcap"],
    ] {
        let (code, out, err) = vrrpctl(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["error"]["exit"], 2, "{v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(!msg.is_empty() && !msg.contains("Error {"), "{msg}");
    }
    // Without --json: one sentence after `error:`, never a Debug dump.
    let (code, _, err) = vrrpctl(&["lint", "/nonexistent/keepalived.conf"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read /nonexistent/keepalived.conf:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn lint_dash_reads_standard_input() {
    let mut child = Command::new(bin("vrrpctl"))
        .args(["--json", "lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"vrrp_script chk {\n  script \"/bin/true\"\n  wieght 2\n}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "unknown-keyword")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str(), d["line"].as_u64()),
        (Some("unknown-keyword"), Some("<stdin>"), Some(3)),
        "{v}"
    );
}

#[test]
fn the_alias_shows_its_own_usage_line() {
    let (code, out, _) = vrrpctl(&["lint-config", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Usage: vrrpctl lint-config [OPTIONS] [FILE]..."),
        "{out}"
    );
    let (_, out, _) = vrrpctl(&["lint", "--help"]);
    assert!(
        out.contains("Usage: vrrpctl lint [OPTIONS] [FILE]..."),
        "{out}"
    );
}

/// A directory with `vrrpctl` in it, for the completion scripts that run it from PATH.
fn path_with_vrrpctl() -> String {
    let dir = bin("vrrpctl").parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

const CONF: &str = "vrrp_instance VI_web {\n  interface lo\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\nvrrp_instance VI_db {\n  interface lo\n  virtual_router_id 52\n  priority 100\n  virtual_ipaddress {\n    192.0.2.101\n  }\n}\n";

/// What bash offers for the last word of `line`, through the committed script.
fn bash_complete(words: &[&str], conf: &std::path::Path, cwd: &std::path::Path) -> Vec<String> {
    let script = format!(
        "source {}\ncomplete -p vrrpctl >/dev/null || exit 9\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_TYPE=9\n_clap_complete_vrrpctl vrrpctl {} {}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        root().join("completions/vrrpctl.bash").display(),
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        words.len() - 1,
        format_args!("'{}'", words[words.len() - 1]),
        format_args!("'{}'", words[words.len() - 2]),
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &script])
        .env("PATH", path_with_vrrpctl())
        .env("VRRPD_CONFIG", conf)
        // No daemon answers here, whatever runs on this machine's default socket (a
        // benchmark's vrrpd once made the instance names its 1,000).
        .env("VRRPD_SOCKET", cwd.join("no-daemon.sock"))
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bash_completion_loads_and_answers() {
    let dir = tempdir();
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, CONF).unwrap();
    std::fs::write(dir.path().join("capture.pcap"), b"").unwrap();
    let cwd = dir.path();
    let subs = bash_complete(&["vrrpctl", ""], &conf, cwd);
    for s in ["status", "sniff", "lint", "firewall-check", "completions"] {
        assert!(subs.iter().any(|c| c == s), "{s} missing: {subs:?}");
    }
    // Hidden test flags are not offered.
    let flags = bash_complete(&["vrrpctl", "firewall-check", "--"], &conf, cwd);
    assert!(flags.iter().any(|f| f == "--backend"), "{flags:?}");
    for hidden in ["--nft-json", "--iptables-save", "--firewalld-root"] {
        assert!(!flags.iter().any(|f| f == hidden), "{hidden}: {flags:?}");
    }
    // Interfaces, not file names, for -i; `any` for sniff.
    let ifaces = bash_complete(&["vrrpctl", "sniff", "-i", ""], &conf, cwd);
    assert!(ifaces.iter().any(|i| i == "lo"), "{ifaces:?}");
    assert!(ifaces.iter().any(|i| i == "any"), "{ifaces:?}");
    assert!(!ifaces.iter().any(|i| i.contains("capture")), "{ifaces:?}");
    let ifaces = bash_complete(&["vrrpctl", "firewall-check", "-i", "l"], &conf, cwd);
    assert_eq!(ifaces, ["lo"]);
    // Files for lint and sniff -r.
    let files = bash_complete(&["vrrpctl", "lint", "keep"], &conf, cwd);
    assert_eq!(files, ["keepalived.conf"]);
    let files = bash_complete(&["vrrpctl", "sniff", "-r", "cap"], &conf, cwd);
    assert_eq!(files, ["capture.pcap"]);
    // Instance names (no daemon runs here: from the config).
    let names = bash_complete(&["vrrpctl", "status", "VI_"], &conf, cwd);
    assert_eq!(names, ["VI_db", "VI_web"]);
    for sub in ["demote", "restore", "dump-stats"] {
        let names = bash_complete(&["vrrpctl", sub, "VI_"], &conf, cwd);
        assert_eq!(names, ["VI_db", "VI_web"], "{sub}");
        let names = bash_complete(&["vrrpctl", sub, "VI_w"], &conf, cwd);
        assert_eq!(names, ["VI_web"], "{sub}");
    }
    // The instance a live rehearsal demotes.
    let names = bash_complete(
        &["vrrpctl", "simulate-failover", "--live", "VI_"],
        &conf,
        cwd,
    );
    assert_eq!(names, ["VI_db", "VI_web"]);
}

#[test]
fn zsh_and_fish_completions_parse_and_fish_answers() {
    if !require_tool("zsh") || !require_tool("fish") {
        return;
    }
    let zsh = root().join("completions/_vrrpctl");
    let out = Command::new("zsh").arg("-n").arg(&zsh).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Loaded by compinit from fpath, it registers itself for vrrpctl.
    let fpath = zsh.parent().unwrap().display().to_string();
    let script = format!(
        "fpath=({fpath} $fpath); autoload -Uz compinit; compinit -u -D; print -r -- ${{_comps[vrrpctl]}}"
    );
    let out = Command::new("zsh")
        .args(["-f", "-c", &script])
        .env("PATH", path_with_vrrpctl())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("_vrrpctl") || text.contains("_clap_dynamic_completer_vrrpctl"),
        "zsh did not register vrrpctl: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let fish = root().join("completions/vrrpctl.fish");
    let out = Command::new("fish").arg("-n").arg(&fish).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = format!(
        "source {}; complete -C 'vrrpctl firewall-check -i l'",
        fish.display()
    );
    let out = Command::new("fish")
        .args(["--no-config", "-c", &script])
        .env("PATH", path_with_vrrpctl())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.trim() == "lo"), "fish: {text}");
}

#[test]
fn instance_names_come_from_the_running_daemon_first() {
    if !require_root() {
        return;
    }
    let mut lan = Lan::new("cc", 1);
    lan.addr(0, "192.0.2.1/24");
    let dir = tempdir();
    let inst = |name: &str, vrid: u8| {
        format!(
            "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  priority 50\n  advert_int 1\n  virtual_ipaddress {{\n    192.0.2.{vrid}\n  }}\n}}\n"
        )
    };
    let conf = inst("VI_live_a", 61) + &inst("VI_live_b", 62);
    let vrrpd = common::daemon::Vrrpd::start(&mut lan.hosts[0], dir.path(), &conf).0;
    vrrpd.wait_socket();
    // The config file names other instances: the daemon's answer wins.
    let other = dir.path().join("other.conf");
    std::fs::write(&other, CONF).unwrap();
    let script = format!(
        "source {}\nCOMP_WORDS=(vrrpctl status VI_)\nCOMP_CWORD=2\nCOMP_TYPE=9\n_clap_complete_vrrpctl vrrpctl VI_ status\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        root().join("completions/vrrpctl.bash").display()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &script])
        .env("PATH", path_with_vrrpctl())
        .env("VRRPD_SOCKET", &vrrpd.socket)
        .env("VRRPD_CONFIG", &other)
        .output()
        .unwrap();
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(got, ["VI_live_a", "VI_live_b"], "{}", vrrpd.log());
}
