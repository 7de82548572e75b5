//! Generation of the checked-in shell completions (completions/) and man pages (man/).
//! A test regenerates them and fails when the checked-in copies are stale.
//!
//! Completions are clap_complete's dynamic ones: each script registers `vrrpctl` with the
//! shell and asks `COMPLETE=SHELL vrrpctl -- WORDS...` for candidates (see `complete`).
//! Man pages are clap_mangen's sections from the same clap tree, plus the sections clap knows
//! nothing about (EXIT STATUS, SIGNALS, FILES, ENVIRONMENT, EXAMPLES, SEE ALSO), written here.

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;
use clap_complete::env::Shells;
use clap_complete::Shell;

use super::Cli;

/// Every shell we ship a completion script for, with its conventional file name.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "vrrpctl.bash"),
    (Shell::Zsh, "_vrrpctl"),
    (Shell::Fish, "vrrpctl.fish"),
    (Shell::Elvish, "vrrpctl.elv"),
    (Shell::PowerShell, "_vrrpctl.ps1"),
];

fn env_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Elvish => "elvish",
        Shell::PowerShell => "powershell",
        _ => "bash",
    }
}

/// The registration script for `shell`; it runs `vrrpctl` from PATH to complete.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(c) = Shells::builtins().completer(env_name(shell)) {
        // Writing into a Vec cannot fail.
        let _ = c.write_registration("COMPLETE", "vrrpctl", "vrrpctl", "vrrpctl", &mut buf);
    }
    buf
}

/// Write completions into `completions_dir` and man pages into `man_dir`.
pub fn generate_all(completions_dir: &Path, man_dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(completions_dir)?;
    std::fs::create_dir_all(man_dir)?;
    for (shell, name) in SHELLS {
        std::fs::write(completions_dir.join(name), completion(shell))?;
    }
    // The pages carry the crate version only: the git commit of --version would make them
    // stale at every commit.
    let mut cmd = Cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    cmd.build();
    std::fs::write(
        man_dir.join("vrrpctl.1"),
        page(&cmd, "1", &extra("vrrpctl"))?,
    )?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // After build() the display name is `vrrpctl-NAME`, the page's title.
        let name = format!("vrrpctl-{}", sub.get_name());
        std::fs::write(
            man_dir.join(format!("{name}.1")),
            page(sub, "1", &extra(&name))?,
        )?;
    }
    // vrrpd is a system daemon: section 8, as keepalived(8).
    let vrrpd = super::vrrpd::Args::command().version(env!("CARGO_PKG_VERSION"));
    std::fs::write(man_dir.join("vrrpd.8"), page(&vrrpd, "8", &extra("vrrpd"))?)?;
    Ok(())
}

/// One page: clap_mangen's sections, then ours, then VERSION.
fn page(cmd: &clap::Command, section: &str, extra: &str) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone()).section(section);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    out.write_all(extra.as_bytes())?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Fine: nothing wrong was found.
.TP
.B 1
The check found a problem: lint errors, a firewall that blocks VRRP (or passes it only
conditionally), a simulated split brain.
.TP
.B 2
Usage or I/O error: a bad flag, an unreadable file, no daemon on the socket, no permission.
The error is one sentence on standard error; with \fB\-\-json\fR it is one JSON object,
\fB{"error": {"message": "...", "exit": 2}}\fR.
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
.B NO_COLOR
When set and not empty, \fB\-\-color auto\fR (the default) prints no color. An explicit
\fB\-\-color always\fR still colors (see no\-color.org).
.TP
.B VRRPD_SOCKET
vrrpd's control socket, instead of \fI/run/vrrpd/vrrpd.sock\fR.
.TP
.B VRRPD_CONFIG
The config whose instance names shell completion offers when no daemon answers, instead of
\fI/etc/keepalived/keepalived.conf\fR.
.TP
.B COMPLETE
Set by the completion scripts (\fBvrrpctl completions\fR) when the shell asks for candidates;
not for interactive use.
"#;

const FILES: &str = r#".SH FILES
.TP
.I /etc/keepalived/keepalived.conf
The configuration read by default, as keepalived and vrrpd read it.
.TP
.I /run/vrrpd/vrrpd.sock
vrrpd's control socket (status, counters, demote and restore).
"#;

const SEE_ALSO: &str = r#".SH "SEE ALSO"
.BR vrrpctl (1),
.BR vrrpd (8),
.BR vrrpd.conf (5),
.BR keepalived (8),
.BR keepalived.conf (5),
.BR tcpdump (1),
.BR nft (8)
"#;

/// EXAMPLES of each page, one `.TP`-free block of `.EX` lines with a sentence before each.
fn examples(page: &str) -> &'static str {
    match page {
        "vrrpctl" => {
            r#".SH EXAMPLES
Check this node's config, then see what the running daemon does:
.PP
.EX
vrrpctl lint
vrrpctl status
.EE
.PP
Watch the adverts on the LAN during an incident:
.PP
.EX
vrrpctl sniff \-i any
.EE
.PP
Install bash completion for the current user:
.PP
.EX
vrrpctl completions bash > ~/.local/share/bash\-completion/completions/vrrpctl
.EE
"#
        }
        "vrrpctl-status" => {
            r#".SH EXAMPLES
.EX
vrrpctl status
vrrpctl status \-\-json
vrrpctl \-\-color never status > status.txt
.EE
"#
        }
        "vrrpctl-dump-stats" => {
            r#".SH EXAMPLES
.EX
vrrpctl dump\-stats
vrrpctl dump\-stats \-\-json
.EE
"#
        }
        "vrrpctl-sniff" => {
            r#".SH EXAMPLES
Live on one interface, or on every interface at once (a cooked capture, as tcpdump \-i any):
.PP
.EX
vrrpctl sniff \-i eth0
vrrpctl sniff \-i any \-\-vrid 51 \-w vrid51.pcap
.EE
.PP
Decode a capture taken with tcpdump, as JSON lines, and only the summary's verdicts:
.PP
.EX
tcpdump \-i eth0 \-w incident.pcap vrrp or arp
vrrpctl sniff \-r incident.pcap \-\-json | tail \-n 1 | jq .summary
ssh lb1 tcpdump \-U \-i eth0 \-w \- vrrp | vrrpctl sniff \-r \-
.EE
.PP
The summary ends with the master changes of each VRID and the MACs that announced each
address; \fBsplit\-brain\fR, \fBvrid\-collision\fR, \fBaddress\-conflict\fR and the
\fB*\-mismatch\fR lines are the problems.
"#
        }
        "vrrpctl-lint" => {
            r#".SH EXAMPLES
.EX
vrrpctl lint
vrrpctl lint \-i lb1 keepalived.conf
vrrpctl lint node\-a.conf node\-b.conf
ssh lb1 cat /etc/keepalived/keepalived.conf | vrrpctl lint \-
vrrpctl lint \-\-json keepalived.conf
.EE
"#
        }
        "vrrpctl-firewall-check" => {
            r#".SH EXAMPLES
.EX
vrrpctl firewall\-check
vrrpctl firewall\-check \-\-config ka.conf \-\-peer 192.0.2.2
vrrpctl firewall\-check \-i eth0 \-\-unicast \-\-peer 192.0.2.2
vrrpctl firewall\-check \-\-backend nftables \-\-json
.EE
"#
        }
        "vrrpctl-simulate-failover" => {
            r#".SH EXAMPLES
.EX
vrrpctl simulate\-failover node1.conf node2.conf \-\-event kill:node1@5s
vrrpctl simulate\-failover a.conf b.conf \-\-event partition:a,b@3s \-\-json
.EE
"#
        }
        "vrrpctl-completions" => {
            r#".SH EXAMPLES
The scripts ask \fBvrrpctl\fR for candidates as you type (instance names, interfaces, files),
so \fBvrrpctl\fR must be on PATH.
.PP
.EX
vrrpctl completions bash > /usr/share/bash\-completion/completions/vrrpctl
vrrpctl completions zsh > /usr/share/zsh/vendor\-completions/_vrrpctl
vrrpctl completions fish > /usr/share/fish/vendor_completions.d/vrrpctl.fish
.EE
"#
        }
        _ => "",
    }
}

const VRRPD_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Stopped by TERM or INT after a graceful shutdown; with \fB\-t\fR: the configuration has no
error.
.TP
.B 1
With \fB\-t\fR: the configuration has errors (printed like \fBvrrpctl lint\fR). Otherwise a
failure after start (runtime, pid file, signals).
.TP
.B 2
The configuration cannot run: it cannot be read, or no vrrp_instance can run on this host
(each refused instance is logged with file:line:column).
.TP
.B 5
With \fB\-t\fR: a vrrp_script would be disabled on this host (not found, not executable, or
writable by non\-root under \fBenable_script_security\fR), with keepalived's line
("Disabling track script NAME due to insecure"); keepalived \fB\-t\fR exits 5 too.
.SH SIGNALS
.TP
.B TERM, INT
Stop gracefully: every master sends a priority\-0 advert, VIPs and routes are removed.
.TP
.B HUP
Reload the configuration (keepalived's RELOAD; \fBsystemctl reload vrrpd\fR sends it).
.TP
.B USR1
Write keepalived's data dump, \fI$TMPDIR/keepalived.data\fR.
.TP
.B USR2
Write keepalived's statistics, \fI$TMPDIR/keepalived.stats\fR.
.TP
.B SIGRTMIN+2
Write keepalived's JSON dump, \fI$TMPDIR/keepalived.json\fR.
.TP
.B SIGRTMAX\-1
Write the statistics and clear the receive counters.
.PP
\fBvrrpd \-\-signum=NAME\fR prints the number of STOP, RELOAD, DATA, STATS, STATS_CLEAR or
JSON, as keepalived does, for \fBkill \-s $(vrrpd \-\-signum=JSON) PID\fR.
.SH LOGGING
Without \fB\-l\fR, vrrpd logs to syslog (facility DAEMON, or LOCAL0..7 with \fB\-S\fR), which
journald collects under systemd; when standard error is a terminal it logs there instead.
\fB\-l\fR logs to standard error only. \fB\-D\fR adds debug detail. \fBVRRPD_LOG\fR takes a
tracing filter (e.g. \fBdebug\fR, \fBvrrp::daemon=trace\fR).
.SH ENVIRONMENT
.TP
.B NOTIFY_SOCKET
Set by systemd for \fBType=notify\fR: vrrpd sends READY=1 once its instances run, and
STOPPING=1 when it stops.
.TP
.B WATCHDOG_USEC
Set by systemd with \fBWatchdogSec=\fR: vrrpd's event loop sends WATCHDOG=1 twice per period;
a hung loop gets the service restarted.
.TP
.B VRRPD_SOCKET
The control socket, instead of \fI/run/vrrpd/vrrpd.sock\fR.
.TP
.B VRRPD_LOG
A tracing filter for the log.
.TP
.B TMPDIR
Where the dump files go (default \fI/tmp\fR), as keepalived.
.SH FILES
.TP
.I /etc/keepalived/keepalived.conf
The configuration (keepalived.conf syntax, see \fBvrrpd.conf\fR(5)).
.TP
.I /run/vrrpd/vrrpd.sock
The control socket that \fBvrrpctl\fR talks to.
.TP
.I /lib/systemd/system/vrrpd.service
The systemd unit (Type=notify, WatchdogSec, the capabilities vrrpd needs).
.SH EXAMPLES
Check a configuration, then run it in the foreground with console logging:
.PP
.EX
vrrpd \-t \-f /etc/keepalived/keepalived.conf
vrrpd \-l \-D \-f /etc/keepalived/keepalived.conf
.EE
.PP
Under systemd, or in a container as keepalived runs:
.PP
.EX
systemctl enable \-\-now vrrpd
docker run \-\-net host \-\-cap\-add NET_ADMIN \-\-cap\-add NET_RAW \e
  \-\-cap\-add NET_BROADCAST \-v ./keepalived.conf:/etc/keepalived/keepalived.conf:ro vrrpd
.EE
.PP
Ask for keepalived's statistics dump:
.PP
.EX
kill \-USR2 $(pidof vrrpd) && cat /tmp/keepalived.stats
.EE
"#;

/// The sections that follow clap's for `page`.
fn extra(page: &str) -> String {
    if page == "vrrpd" {
        return format!("{VRRPD_SECTIONS}{SEE_ALSO}");
    }
    let files = match page {
        "vrrpctl-completions" => "",
        _ => FILES,
    };
    format!(
        "{EXIT_STATUS}{ENVIRONMENT}{files}{}{SEE_ALSO}",
        examples(page)
    )
}
