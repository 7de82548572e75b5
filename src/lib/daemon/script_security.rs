//! enable_script_security, as keepalived 2.2.7 checks scripts (lib/notify.c
//! check_script_secure / check_security, vrrp.c check_vrrp_script_security) before it runs
//! anything: a script that runs as root (or a setuid/setgid-root file) must not be writable by
//! anyone but root, nor may any directory on its path (a directory with the sticky bit, such
//! as /tmp, may be world-writable). With enable_script_security such a script is disabled
//! ("Unsafe permissions found for script '...' - disabling."); without it it runs, with the
//! same warning, and one "SECURITY VIOLATION" line says scripts run without the check. A
//! script that is not executable for its user is disabled either way. A disabled vrrp_script
//! is removed from the instances that track it; a disabled notify script is not run.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::model::{Config, NotifyScript};

use super::command::split_words;
use super::script_user::ScriptUsers;

/// What the check found for one script (keepalived's SC_* flags that matter here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// A real file was found (keepalived's SC_ISSCRIPT).
    pub is_script: bool,
    /// Writable by non-root somewhere on its path.
    pub insecure: bool,
    /// Must not run.
    pub disabled: bool,
}

/// keepalived's check_security: every component from `/` on must be owned by root, and the
/// file and every directory without the sticky bit must not be writable by a non-root group
/// or by everyone. Returns false (after logging keepalived's line) when it is unsafe.
fn path_is_secure(path: &str, enforce: bool) -> bool {
    let mut prefix = String::new();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i == 0 {
            prefix.push('/');
        } else {
            if !prefix.ends_with('/') {
                prefix.push('/');
            }
            prefix.push_str(part);
        }
        if part.is_empty() && !last && i != 0 {
            continue;
        }
        let Ok(md) = std::fs::symlink_metadata(&prefix) else {
            tracing::info!("check_script_secure could not find script '{path}' - disabling");
            return false;
        };
        let ft = md.file_type();
        if (!last && !ft.is_dir()) || (last && !ft.is_file() && !ft.is_symlink()) {
            tracing::info!("Wrong file type found in script path '{path}'.");
            return false;
        }
        let mode = md.mode();
        let checked = (ft.is_dir() && mode & 0o1000 == 0) || ft.is_file();
        let writable = (md.gid() != 0 && mode & 0o020 != 0) || mode & 0o002 != 0;
        if md.uid() != 0 || (checked && writable) {
            tracing::info!(
                "Unsafe permissions found for script '{path}'{}.",
                if enforce { " - disabling" } else { "" }
            );
            return false;
        }
    }
    true
}

/// Check one command line that runs as `uid`:`gid` (`enforce`: enable_script_security).
pub fn check(line: &str, uid: u32, gid: u32, enforce: bool) -> Verdict {
    let trimmed = line.trim_start();
    if trimmed
        .strip_prefix('<')
        .is_some_and(|r| r.trim_start().starts_with('/'))
    {
        // A "can this file be opened" check runs no program (keepalived's SC_SYSTEM).
        return Verdict::default();
    }
    let Some(prog) = split_words(line).into_iter().next() else {
        return Verdict::default();
    };
    // Bare names are found on PATH when the script is prepared (with keepalived's warning);
    // check the file that will run.
    let prog = if prog.contains('/') {
        prog
    } else {
        match which(&prog) {
            Some(p) => p,
            None => return Verdict::default(),
        }
    };
    let real = match std::fs::canonicalize(&prog) {
        Ok(r) => r,
        Err(e) => {
            // keepalived logs strerror(errno) here.
            let why = e
                .raw_os_error()
                .map(|n| nix::errno::Errno::from_raw(n).desc().to_string())
                .unwrap_or_else(|| e.to_string());
            tracing::info!("Script {prog} cannot be accessed - {why}");
            return Verdict {
                disabled: true,
                ..Verdict::default()
            };
        }
    };
    let Ok(md) = std::fs::metadata(&real) else {
        return Verdict {
            disabled: true,
            ..Verdict::default()
        };
    };
    let mut v = Verdict {
        is_script: true,
        ..Verdict::default()
    };
    let mode = md.mode();
    let exec = if uid == 0 {
        mode & 0o111 != 0
    } else if md.uid() == uid {
        mode & 0o100 != 0
    } else if md.gid() == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    };
    if !exec {
        tracing::info!(
            "WARNING - script '{prog}' is not executable for uid:gid {uid}:{gid} - disabling."
        );
        v.disabled = true;
        return v;
    }
    let setid_root =
        (md.uid() == 0 && mode & 0o4100 == 0o4100) || (md.gid() == 0 && mode & 0o2010 == 0o2010);
    if uid == 0 || gid == 0 || setid_root {
        // keepalived replaces the command by its realpath first (/bin/true on a merged-/usr
        // system is /usr/bin/true), then checks that path.
        if !path_is_secure(&real.to_string_lossy(), enforce) {
            v.insecure = true;
            v.disabled = enforce;
        }
    }
    v
}

fn which(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| Path::new(p).is_file())
        .map(|p| p.to_string_lossy().into_owned())
}

/// What [`apply`] reports as keepalived's report_config_error does (its log at run time, and
/// stderr and the exit status of `vrrpd -t`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// "Disabling track script NAME due to insecure" / "... since not found/accessible".
    pub disabled: Vec<String>,
    /// "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
    /// (keepalived's CONFIG_SECURITY_ERROR), when scripts run without enable_script_security.
    pub violation: Option<String>,
}

impl Report {
    /// Log it the way keepalived does at start and reload.
    pub fn log(&self) {
        for line in &self.disabled {
            tracing::error!("{line}");
        }
        if let Some(v) = &self.violation {
            tracing::warn!("{v}");
        }
    }
}

/// Check every script of `cfg` as keepalived does before starting (and at reload), and take
/// out the ones that must not run. The path check applies to scripts that run with root's
/// rights; a vrrpd that is not root runs its scripts as itself, which needs no check.
/// keepalived's per-file lines ("Unsafe permissions found ...") are logged here; the
/// report's lines are the caller's to log or print.
pub fn apply(cfg: &mut Config, users: &ScriptUsers) -> Report {
    let mut report = Report::default();
    let enforce = cfg.global.enable_script_security;
    let mut any_script = false;
    let mut any_insecure = false;
    let ids = |user: Option<&str>, group: Option<&str>| {
        users.for_script(user, group).unwrap_or((
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        ))
    };
    let mut seen = |v: Verdict| {
        any_script |= v.is_script;
        any_insecure |= v.insecure;
        v.disabled
    };
    cfg.scripts.retain(|s| {
        let (uid, gid) = ids(
            s.user.as_ref().map(|(u, _)| u.as_str()),
            s.user.as_ref().and_then(|(_, g)| g.as_deref()),
        );
        let v = check(&s.script, uid, gid, enforce);
        if v.disabled {
            report.disabled.push(if v.insecure {
                format!("Disabling track script {} due to insecure", s.name)
            } else {
                format!(
                    "Disabling track script {} since not found/accessible",
                    s.name
                )
            });
        }
        !seen(v)
    });
    let mut notify_script = |slot: &mut Option<NotifyScript>| {
        if let Some(s) = slot {
            let (uid, gid) = ids(s.user.as_deref(), s.group.as_deref());
            if seen(check(&s.command, uid, gid, enforce)) {
                *slot = None;
            }
        }
    };
    let notifies = cfg
        .instances
        .iter_mut()
        .map(|i| &mut i.notify)
        .chain(cfg.sync_groups.iter_mut().map(|g| &mut g.notify));
    for n in notifies {
        for slot in [
            &mut n.master,
            &mut n.backup,
            &mut n.fault,
            &mut n.stop,
            &mut n.deleted,
            &mut n.generic,
            &mut n.master_rx_lower_pri,
        ] {
            notify_script(slot);
        }
    }
    for f in [
        &mut cfg.global.notify_fifo,
        &mut cfg.global.vrrp_notify_fifo,
    ]
    .into_iter()
    .flatten()
    {
        notify_script(&mut f.script);
    }
    notify_script(&mut cfg.global.startup_script);
    notify_script(&mut cfg.global.shutdown_script);
    if !enforce && any_script {
        report.violation = Some(format!(
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{}",
            if any_insecure {
                " There are insecure scripts."
            } else {
                ""
            }
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    #[test]
    fn writable_scripts_and_directories_are_unsafe_for_root() {
        if !root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let ok = d.join("ok.sh");
        std::fs::write(&ok, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o755)).unwrap();
        let ok = ok.display().to_string();
        assert_eq!(
            check(&ok, 0, 0, true),
            Verdict {
                is_script: true,
                ..Verdict::default()
            }
        );
        // World-writable file: disabled with the check, only flagged without it.
        let bad = d.join("bad.sh");
        std::fs::write(&bad, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o757)).unwrap();
        let bad = bad.display().to_string();
        assert!(check(&bad, 0, 0, true).disabled);
        let v = check(&bad, 0, 0, false);
        assert!(v.insecure && !v.disabled, "{v:?}");
        // A world-writable directory without the sticky bit makes its scripts unsafe...
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(check(&ok, 0, 0, true).disabled);
        // ... with the sticky bit (as /tmp) it does not.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(!check(&ok, 0, 0, true).disabled);
        // Not executable: disabled either way.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(check(&ok, 0, 0, false).disabled);
        // A file check runs nothing.
        assert_eq!(check("</dev/null", 0, 0, true), Verdict::default());
    }

    #[test]
    fn apply_takes_out_disabled_scripts() {
        if !root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bad = d.join("bad.sh");
        std::fs::write(&bad, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o777)).unwrap();
        let text = format!(
            "global_defs {{\n enable_script_security\n}}\nvrrp_script chk {{\n script \"{b}\"\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n notify_master \"{b}\"\n notify \"/bin/true\"\n track_script {{\n  chk\n }}\n}}\n",
            b = bad.display()
        );
        let mut cfg = crate::config::load_str("t.conf", &text).config;
        let report = apply(&mut cfg, &ScriptUsers::default());
        assert!(cfg.scripts.is_empty());
        assert_eq!(
            report.disabled,
            vec!["Disabling track script chk due to insecure".to_string()]
        );
        assert_eq!(report.violation, None);
        assert!(cfg.instances[0].notify.master.is_none());
        assert!(cfg.instances[0].notify.generic.is_some());
    }
}
