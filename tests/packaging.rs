//! Install and run: the systemd unit verifies, `make install` lays out every file under
//! DESTDIR/PREFIX and `make uninstall` removes them, the installed binaries run, the .deb (when
//! cargo-deb is installed) holds the same files, installs into a throwaway root and runs there
//! without sharing a file with keepalived's package, the Dockerfile's entrypoint flags are ones
//! vrrpd accepts, and the hand-written vrrpd.conf(5) renders cleanly.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

fn ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{cmd:?} failed: {o}{e}");
    (o, e)
}

#[test]
fn the_unit_verifies_and_asks_for_what_vrrpd_needs() {
    let unit = read("packaging/vrrpd.service");
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BROADCAST",
        "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BROADCAST",
        "Conflicts=keepalived.service",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
        // Scripts write where keepalived lets them (/var, /run, /tmp): only the OS is read-only.
        "ProtectSystem=full",
        "ProtectHome=read-only",
    ] {
        assert!(unit.lines().any(|l| l.starts_with(line)), "no {line}");
    }
    if !require_tool("systemd-analyze") {
        return;
    }
    // verify wants the ExecStart binaries to exist: point them at the built ones.
    let dir = tempdir();
    let path = dir.path().join("vrrpd.service");
    std::fs::write(
        &path,
        unit.replace("/usr/sbin/vrrpd", &bin("vrrpd").display().to_string()),
    )
    .unwrap();
    let (_, err) = ok(Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path));
    // Unknown keys and bad values are only warnings: there must be none.
    assert!(err.trim().is_empty(), "systemd-analyze verify: {err}");
}

fn installed_files() -> Vec<&'static str> {
    vec![
        "usr/bin/vrrpctl",
        "usr/sbin/vrrpd",
        "lib/systemd/system/vrrpd.service",
        "etc/default/vrrpd",
        "usr/share/doc/vrrpd/examples/keepalived.conf",
        "usr/share/bash-completion/completions/vrrpctl",
        "usr/share/zsh/vendor-completions/_vrrpctl",
        "usr/share/fish/vendor_completions.d/vrrpctl.fish",
        "usr/share/man/man1/vrrpctl.1",
        "usr/share/man/man1/vrrpctl-sniff.1",
        "usr/share/man/man5/vrrpd.conf.5",
        "usr/share/man/man8/vrrpd.8",
    ]
}

/// The installed tools run: `vrrpd -t` and `vrrpctl lint` on the shipped example.
fn run_installed(root_dir: &Path) {
    let example = root_dir.join("usr/share/doc/vrrpd/examples/keepalived.conf");
    let (_, err) = ok(Command::new(root_dir.join("usr/sbin/vrrpd"))
        .arg("-t")
        .arg("-f")
        .arg(&example));
    assert!(!err.contains("error"), "{err}");
    let out = Command::new(root_dir.join("usr/bin/vrrpctl"))
        .args(["lint", "-i", "lb1"])
        .arg(&example)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // The example names eth0, which this host may not have: a warning, never an error.
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("ok:"), "{text}");
}

#[test]
fn make_install_and_uninstall_into_destdir() {
    if !require_tool("make") {
        return;
    }
    let dest = tempdir();
    let bins = bin("vrrpd").parent().unwrap().to_path_buf();
    let make = |target: &str| {
        ok(Command::new("make")
            .arg("-C")
            .arg(root())
            .arg(target)
            .arg(format!("DESTDIR={}", dest.path().display()))
            .arg("PREFIX=/usr")
            .arg(format!("TARGET_DIR={}", bins.display())))
    };
    make("install");
    for f in installed_files() {
        assert!(
            dest.path().join(f).is_file(),
            "make install did not install {f}"
        );
    }
    let unit =
        std::fs::read_to_string(dest.path().join("lib/systemd/system/vrrpd.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/sbin/vrrpd --dont-fork $VRRPD_ARGS"),
        "{unit}"
    );
    run_installed(dest.path());
    // The admin's options file survives a reinstall.
    std::fs::write(dest.path().join("etc/default/vrrpd"), "VRRPD_ARGS=\"-D\"\n").unwrap();
    make("install");
    assert_eq!(
        std::fs::read_to_string(dest.path().join("etc/default/vrrpd")).unwrap(),
        "VRRPD_ARGS=\"-D\"\n"
    );
    make("uninstall");
    for f in installed_files() {
        if f == "etc/default/vrrpd" {
            continue;
        }
        assert!(!dest.path().join(f).exists(), "make uninstall left {f}");
    }
    // A PREFIX other than /usr keeps /etc and /lib under it.
    let local = tempdir();
    ok(Command::new("make")
        .arg("-C")
        .arg(root())
        .arg("install")
        .arg(format!("DESTDIR={}", local.path().display()))
        .arg(format!("TARGET_DIR={}", bins.display())));
    assert!(local.path().join("usr/local/sbin/vrrpd").is_file());
    assert!(local.path().join("usr/local/etc/default/vrrpd").is_file());
    let unit = std::fs::read_to_string(
        local
            .path()
            .join("usr/local/lib/systemd/system/vrrpd.service"),
    )
    .unwrap();
    assert!(unit.contains("ExecStart=/usr/local/sbin/vrrpd"), "{unit}");
}

#[test]
fn the_deb_installs_into_a_throwaway_root_and_runs() {
    // .ci/install-deps installs cargo-deb and .ci/run builds the release binaries first, so
    // under CI=true neither may be missing; elsewhere the test says what it lacks and skips.
    if !require_tool("cargo-deb") {
        return;
    }
    let release = root().join("target/release");
    if !release.join("vrrpd").is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no target/release/vrrpd: .ci/run builds it before the tests"
        );
        eprintln!("skipped: needs the target/release binaries (make build)");
        return;
    }
    let out = tempdir();
    ok(Command::new("cargo")
        .current_dir(root())
        .args(["deb", "--no-build", "--strip", "--fast", "--output"])
        .arg(out.path().join("vrrpd.deb")));
    let deb = out.path().join("vrrpd.deb");
    let (control, _) = ok(Command::new("dpkg-deb").arg("-f").arg(&deb));
    assert!(control.contains("Package: vrrpd"), "{control}");
    assert!(control.contains("Section: net"), "{control}");
    let ctrl_dir = out.path().join("DEBIAN");
    ok(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&ctrl_dir));
    let conffiles = std::fs::read_to_string(ctrl_dir.join("conffiles")).unwrap();
    assert_eq!(conffiles.trim(), "/etc/default/vrrpd");
    let (list, _) = ok(Command::new("dpkg-deb").arg("-c").arg(&deb));
    // Not one file that Debian's keepalived package owns.
    if let Ok(k) = Command::new("dpkg").args(["-L", "keepalived"]).output() {
        let theirs = String::from_utf8_lossy(&k.stdout).into_owned();
        for line in list.lines() {
            let Some(path) = line.split_whitespace().last() else {
                continue;
            };
            let path = path.trim_start_matches('.');
            if path.ends_with('/') || path.is_empty() {
                continue;
            }
            assert!(
                !theirs.lines().any(|t| t == path),
                "{path} belongs to keepalived"
            );
        }
    }
    // Unpacked into a throwaway root (never this machine's /): the files and the tools.
    let root_dir = out.path().join("root");
    ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root_dir));
    for f in installed_files() {
        // cargo-deb gzips man pages, as Debian policy wants.
        let gz = root_dir.join(format!("{f}.gz"));
        assert!(
            root_dir.join(f).is_file() || gz.is_file(),
            "the .deb lacks {f}"
        );
    }
    run_installed(&root_dir);
}

#[test]
fn the_dockerfile_runs_the_deb_it_builds_with_flags_vrrpd_accepts() {
    let df = read("Dockerfile");
    let froms: Vec<&str> = df.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert!(froms[0].contains("bookworm") && froms[1].starts_with("FROM debian:"));
    // The .deb the build stage writes is the one the final stage installs.
    let written = df
        .split("cargo deb --no-build --output ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("the build stage runs cargo deb --output");
    assert!(
        df.contains(&format!("COPY --from=build {written} ")),
        "final stage copies {written}"
    );
    // seeds/000's way of running keepalived, documented at the top.
    for flag in [
        "--net host",
        "--cap-add NET_ADMIN",
        "--cap-add NET_RAW",
        "--cap-add NET_BROADCAST",
        ":/etc/keepalived/keepalived.conf",
    ] {
        assert!(df.contains(flag), "no {flag}");
    }
    let entry = df
        .lines()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .expect("an ENTRYPOINT");
    let argv: Vec<String> = serde_json::from_str(entry).unwrap();
    assert_eq!(argv[0], "/usr/sbin/vrrpd");
    assert!(argv
        .windows(2)
        .any(|w| w[0] == "-f" && w[1] == "/etc/keepalived/keepalived.conf"));
    // The same flags, with -t, on the shipped example: vrrpd accepts every one of them.
    let example = root().join("packaging/keepalived.conf.example");
    let mut args: Vec<String> = argv[1..].to_vec();
    let f = args.iter().position(|a| a == "-f").unwrap();
    args[f + 1] = example.display().to_string();
    args.push("-t".into());
    ok(Command::new(bin("vrrpd")).args(&args));
}

#[test]
fn vrrpd_conf_5_renders_cleanly_and_names_every_block_vrrpd_leaves_to_keepalived() {
    let page = read("man/vrrpd.conf.5");
    let blocks = vrrp::config::NOT_RUN_BY_VRRPD.iter().copied().chain(
        vrrp::config::NOT_VRRP_BLOCKS
            .iter()
            .chain(vrrp::config::TUNING_BLOCKS)
            .map(|(b, _)| *b),
    );
    for block in blocks {
        assert!(
            page.contains(&format!(".BR {block}")) || page.contains(&format!(".B {block}")),
            "vrrpd.conf(5) does not mention {block}"
        );
    }
    if !require_tool("man") {
        return;
    }
    for p in std::fs::read_dir(root().join("man")).unwrap() {
        let p = p.unwrap().path();
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&p)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", p.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.trim().is_empty(), "{}: {err}", p.display());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("NAME"), "{}", p.display());
    }
}
