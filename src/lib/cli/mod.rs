//! `vrrpctl`'s command tree (clap derive, shared with completion and man generation), output
//! helpers, and one module per subcommand that turns flags into calls on the library's rooms.

pub mod complete;
pub mod docs;
pub mod output;
pub mod vrrpd;

mod cmd_completions;
mod cmd_demote;
mod cmd_firewall;
mod cmd_lint;
mod cmd_simulate;
mod cmd_sniff;
mod cmd_stats;
mod cmd_status;
mod keepalived_source;
mod source;

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::engine::ArgValueCompleter;

pub use output::{ColorChoice, Exit, Output};

pub use crate::config::DEFAULT_CONFIG;
pub use crate::control::DEFAULT_SOCKET;

/// The operator's toolkit for VRRP clusters run by vrrpd or keepalived.
#[derive(Debug, Parser)]
#[command(name = "vrrpctl", version = crate::VERSION, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print JSON (one document, or JSON lines for streams) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to color the output: auto colors a terminal unless NO_COLOR is set; always and never
    /// win over NO_COLOR.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

// Parsed once per process: the size of simulate-failover's many event lists does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show each VRRP instance of the running vrrpd (or keepalived): state, priority, master, VIPs.
    Status(StatusArgs),
    /// Show the per-instance counters (keepalived's names: advert_rcvd, auth_failure, ...).
    DumpStats(DumpStatsArgs),
    /// Hand mastership away for maintenance: priority 0 now, then hold BACKUP until `restore`.
    Demote(DemoteArgs),
    /// End a demotion: the instances compete for mastership again.
    Restore(RestoreArgs),
    /// Capture or read VRRP traffic and decode it, tcpdump-style, with a per-VRID summary.
    Sniff(SniffArgs),
    /// Check keepalived.conf files for errors and the mistakes that bite operators.
    #[command(visible_alias = "lint-config")]
    Lint(LintArgs),
    /// Will this host's firewall (nftables, iptables, firewalld) let VRRP adverts in and out?
    FirewallCheck(FirewallArgs),
    /// Rehearse failures of a cluster described by its nodes' configs, in virtual time.
    SimulateFailover(SimulateArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// keepalived's default pid file (its parent process), read when vrrpd is not running.
pub const DEFAULT_KEEPALIVED_PID: &str = "/run/keepalived.pid";

/// Where the daemon is: vrrpd's control socket, else a running keepalived.
#[derive(Debug, Clone, Args)]
pub struct DaemonArgs {
    /// vrrpd's control socket.
    #[arg(long, env = "VRRPD_SOCKET", default_value = DEFAULT_SOCKET, value_name = "PATH")]
    pub socket: PathBuf,
    /// keepalived's pid file, used when no vrrpd listens on the socket: keepalived is asked for
    /// its JSON dump instead.
    #[arg(long, default_value = DEFAULT_KEEPALIVED_PID, value_name = "PIDFILE")]
    pub keepalived_pid: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub daemon: DaemonArgs,
    /// Only these instances (vrrp_instance names); all when none is given.
    #[arg(value_name = "INSTANCE", add = ArgValueCompleter::new(complete::instances))]
    pub instances: Vec<String>,
    /// Keep running and print each transition as it happens (redraws the table on a terminal).
    #[arg(short = 'w', long)]
    pub watch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Text,
    Json,
    /// Prometheus text exposition (for node_exporter's textfile collector).
    Prometheus,
}

#[derive(Debug, Clone, Args)]
pub struct DumpStatsArgs {
    #[command(flatten)]
    pub daemon: DaemonArgs,
    /// Only these instances (vrrp_instance names); all when none is given.
    #[arg(value_name = "INSTANCE", add = ArgValueCompleter::new(complete::instances))]
    pub instances: Vec<String>,
    /// Output format (--json is the same as --format json).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<StatsFormat>,
    /// Write to FILE atomically (a temporary file renamed over it) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,
    /// Zero the counters after reading them (needs root or the socket's owner).
    #[arg(long)]
    pub clear: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DemoteArgs {
    #[command(flatten)]
    pub daemon: DaemonArgs,
    /// The instances to demote (vrrp_instance names).
    #[arg(
        value_name = "INSTANCE",
        required_unless_present = "all",
        add = ArgValueCompleter::new(complete::instances)
    )]
    pub instances: Vec<String>,
    /// Demote every instance.
    #[arg(long, conflicts_with = "instances")]
    pub all: bool,
    /// Why (shown in status until restored).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Demote even when no other router was heard (its addresses may then have no master).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub daemon: DaemonArgs,
    /// The instances to restore (vrrp_instance names).
    #[arg(
        value_name = "INSTANCE",
        required_unless_present = "all",
        add = ArgValueCompleter::new(complete::instances)
    )]
    pub instances: Vec<String>,
    /// Restore every instance.
    #[arg(long, conflicts_with = "instances")]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SniffArgs {
    /// Capture live on this interface (needs root or CAP_NET_RAW).
    /// `any` captures on every interface (Linux cooked capture, as tcpdump -i any).
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read",
        add = ArgValueCompleter::new(complete::interfaces_or_any)
    )]
    pub interface: Option<String>,
    /// Read packets from a pcap or pcapng file instead of capturing; `-` is standard input.
    #[arg(short = 'r', long = "read", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub read: Option<PathBuf>,
    /// Also write the VRRP packets seen to this pcap file.
    #[arg(short = 'w', long = "write", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub write: Option<PathBuf>,
    /// Stop after this many VRRP packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Only packets for this virtual router id.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=255))]
    pub vrid: Option<u8>,
    /// Add the IP header details (TTL, TOS, length, checksum) to each line.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Do not print the per-VRID summary at the end.
    #[arg(long)]
    pub no_summary: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// keepalived.conf files; several files are linted as the nodes of one cluster; `-` reads
    /// standard input.
    #[arg(value_name = "FILE", default_value = DEFAULT_CONFIG, value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
    /// Config id for `@id` lines, as keepalived's -i/--config-id (default: the short hostname).
    #[arg(short = 'i', long, value_name = "ID")]
    pub config_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FirewallBackend {
    Auto,
    Nftables,
    Iptables,
    Firewalld,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Family {
    #[value(name = "4")]
    V4,
    #[value(name = "6")]
    V6,
}

#[derive(Debug, Clone, Args)]
pub struct FirewallArgs {
    /// keepalived.conf whose instances are checked (default when no -i is given).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,
    /// Check this interface by hand instead of (or to narrow) the config's instances.
    #[arg(short = 'i', long = "interface", value_name = "IFACE", add = ArgValueCompleter::new(complete::interfaces))]
    pub interface: Option<String>,
    /// A peer that sends adverts to this host (repeatable); narrows multicast instances.
    #[arg(long, value_name = "ADDR")]
    pub peer: Vec<IpAddr>,
    /// Address family to check with -i.
    #[arg(long, value_enum, value_name = "4|6")]
    pub family: Option<Family>,
    /// Destination group (default 224.0.0.18 / ff02::12).
    #[arg(long, value_name = "ADDR")]
    pub group: Option<IpAddr>,
    /// With -i: the peers send unicast adverts to this host's address instead of the group.
    #[arg(long)]
    pub unicast: bool,
    /// This host's address on the interface, ADDR or ADDR/LEN (default: read from the interface).
    #[arg(long, value_name = "ADDR[/LEN]")]
    pub local: Option<String>,
    /// Which firewall to read.
    #[arg(long, value_enum, default_value_t = FirewallBackend::Auto)]
    pub backend: FirewallBackend,
    /// Read this saved `nft -j list ruleset` output instead of the live rule set.
    #[arg(long, value_name = "FILE", hide = true, env = "VRRPCTL_NFT_JSON")]
    pub nft_json: Option<PathBuf>,
    /// Read this saved `iptables-save` / `ip6tables-save` output (repeatable).
    #[arg(long, value_name = "FILE", hide = true)]
    pub iptables_save: Vec<PathBuf>,
    /// Read firewalld's permanent config under this root instead of /.
    #[arg(long, value_name = "DIR", hide = true, env = "VRRPCTL_FIREWALLD_ROOT")]
    pub firewalld_root: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Times: 5s, 1500ms, 2m (a bare number is seconds). Without events, a drill crashes and restarts each node in turn and fails each tracker in turn. Exit 1 when the run ends in split brain or without a master (with --live: when nobody took over or someone else claimed the VIP too); 2 for a usage or I/O error, or a refused --live."
)]
pub struct SimulateArgs {
    /// The keepalived.conf of each node (a node is named by its router_id, else the file stem);
    /// `FILE=keepalived` marks a node that runs keepalived rather than vrrpd.
    #[arg(value_name = "FILE[=keepalived]", value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
    /// This node runs keepalived, not vrrpd (the same simulated behaviour; it has no
    /// demote/restore, and vrrpd's not-yet-run keywords are no findings for it).
    #[arg(long, value_name = "NODE")]
    pub keepalived: Vec<String>,
    /// A scenario: a directory with the nodes' *.conf files and an `events` file, or an events
    /// file (one event a line, e.g. `crash:node1@5s`, and `until 40s`, `loss 5`, `delay 2ms`).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Crash a node (no priority-0 advert) at T.
    #[arg(long, value_name = "NODE@T")]
    pub crash: Vec<String>,
    /// Stop a node gracefully (priority-0 advert) at T.
    #[arg(long, value_name = "NODE@T")]
    pub stop: Vec<String>,
    /// Start (restart) a node at T.
    #[arg(long, value_name = "NODE@T")]
    pub start: Vec<String>,
    /// An interface of the node (all of them without IFACE) goes down at T.
    #[arg(long, value_name = "NODE[:IFACE]@T")]
    pub link_down: Vec<String>,
    /// The interface comes back up at T.
    #[arg(long, value_name = "NODE[:IFACE]@T")]
    pub link_up: Vec<String>,
    /// A vrrp_script (or tracked process/file) starts failing at T; it counts after `fall` runs.
    #[arg(long, value_name = "NODE:SCRIPT@T")]
    pub script_fail: Vec<String>,
    /// The script succeeds again from T; it counts after `rise` runs.
    #[arg(long, value_name = "NODE:SCRIPT@T")]
    pub script_ok: Vec<String>,
    /// The node's firewall starts dropping inbound VRRP (protocol 112) at T.
    #[arg(long, value_name = "NODE@T")]
    pub block_vrrp: Vec<String>,
    /// The node's firewall lets VRRP in again at T.
    #[arg(long, value_name = "NODE@T")]
    pub unblock_vrrp: Vec<String>,
    /// `vrrpctl demote` on the node at T (one instance, or all of them): a master hands over
    /// with a priority-0 advert and holds BACKUP until --restore (or a restart).
    #[arg(long, value_name = "NODE[:INSTANCE]@T")]
    pub demote: Vec<String>,
    /// `vrrpctl restore` on the node at T.
    #[arg(long, value_name = "NODE[:INSTANCE]@T")]
    pub restore: Vec<String>,
    /// Split the LAN at T: nodes in different groups do not hear each other, e.g. `a,b|c@5s`.
    #[arg(long, value_name = "A,B|C@T")]
    pub partition: Vec<String>,
    /// End every partition at T (`--heal 20s` or `--heal @20s`).
    #[arg(long, value_name = "T")]
    pub heal: Vec<String>,
    /// Lose this percentage of packets on every link.
    #[arg(long, value_name = "PCT")]
    pub loss: Option<f64>,
    /// One-way delay of every link, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub delay: Option<f64>,
    /// Any event in the simulator's text form, e.g. `priority:node1=50@4s` (repeatable).
    #[arg(long = "event", value_name = "SPEC")]
    pub events: Vec<String>,
    /// Simulate until T (default: until the cluster is quiet after the last event).
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// Seed of the packet-loss generator (runs are reproducible per seed).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Measure the simulator's speed (simulated seconds per real second) and exit.
    #[arg(long, hide = true)]
    pub bench: bool,
    /// Rehearse for real on this host instead: demote INSTANCE of the local vrrpd (the only
    /// instance it is master of when none is named), watch the wire, report who took over, how
    /// fast its first advert and gratuitous ARP came and whether anyone else claimed the VIP,
    /// then restore it. Refused when no other router was seen for the instance (--force).
    #[arg(
        long,
        value_name = "INSTANCE",
        num_args = 0..=1,
        default_missing_value = "",
        conflicts_with_all = ["files", "scenario", "bench"],
        add = ArgValueCompleter::new(complete::instances)
    )]
    pub live: Option<String>,
    /// With --live: hold the demotion this long (from the demotion) before restoring; by
    /// default the instance is restored as soon as the takeover was seen.
    #[arg(
        long,
        value_name = "T",
        requires = "live",
        conflicts_with = "no_restore"
    )]
    pub restore_after: Option<String>,
    /// With --live: leave the instance demoted (end it with `vrrpctl restore`).
    #[arg(long, requires = "live")]
    pub no_restore: bool,
    /// With --live: demote even when no other router was seen for the instance (its addresses
    /// may then have no master until the restore).
    #[arg(long, requires = "live")]
    pub force: bool,
    /// With --live: vrrpd's control socket.
    #[arg(long, env = "VRRPD_SOCKET", default_value = DEFAULT_SOCKET, value_name = "PATH")]
    pub socket: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The whole of `vrrpctl`: answer a shell's completion request, or parse the command line
/// (usage errors: clap's message and exit 2, or one JSON object on stderr with --json) and run.
pub fn main() -> Exit {
    complete::answer_if_asked();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    let parsed = command_for(&args)
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    match parsed {
        Ok(cli) => run(cli),
        Err(e) => usage_error(&e, json),
    }
}

/// The clap tree as this invocation shows it: `vrrpctl lint-config --help` says
/// `Usage: vrrpctl lint-config ...`, not the canonical name.
pub fn command_for(args: &[std::ffi::OsString]) -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    if subcommand_word(args) != Some("lint-config") {
        return cmd;
    }
    let mut built = cmd.clone();
    built.build();
    let usage = built
        .find_subcommand_mut("lint")
        .map(|s| s.render_usage().to_string())
        .unwrap_or_default();
    let usage =
        usage
            .trim_start_matches("Usage: ")
            .replacen("vrrpctl lint", "vrrpctl lint-config", 1);
    cmd.mut_subcommand("lint", |s| s.override_usage(usage))
}

/// The first word that is not a global flag or its value: the subcommand as typed.
fn subcommand_word(args: &[std::ffi::OsString]) -> Option<&str> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let a = a.to_str()?;
        if a == "--color" {
            it.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

fn usage_error(e: &clap::Error, json: bool) -> Exit {
    use clap::error::ErrorKind;
    let informational = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if informational || !json {
        let _ = e.print();
        return if informational { Exit::Ok } else { Exit::Usage };
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("invalid command line");
    let message = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("{}", output::json_error(message, Exit::Usage));
    Exit::Usage
}

/// Run one parsed command line; the binary only maps the result to a process exit code.
pub fn run(cli: Cli) -> Exit {
    let out = Output::new(&cli.global);
    let result = match &cli.command {
        Command::Status(a) => cmd_status::status(a, &out),
        Command::DumpStats(a) => cmd_stats::run(a, &out),
        Command::Demote(a) => cmd_demote::demote(a, &out),
        Command::Restore(a) => cmd_demote::restore(a, &out),
        Command::Sniff(a) => cmd_sniff::run(a, &out),
        Command::Lint(a) => cmd_lint::run(a, &out),
        Command::FirewallCheck(a) => cmd_firewall::run(a, &out),
        Command::SimulateFailover(a) => cmd_simulate::run(a, &out),
        Command::Completions(a) => cmd_completions::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            e.exit
        }
    }
}

/// A failure that ends a command: one plain sentence for stderr and the exit code to use.
#[derive(Debug)]
pub struct CmdError {
    pub message: String,
    pub exit: Exit,
}

impl CmdError {
    /// Usage or I/O error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CmdError {
            message: message.into(),
            exit: Exit::Usage,
        }
    }
    pub fn not_implemented(what: &str) -> Self {
        CmdError::usage(format!("`vrrpctl {what}` is not implemented yet"))
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CmdResult = Result<Exit, CmdError>;
