//! vrrpd's command line: keepalived's common flags, so existing unit files and habits keep
//! working. It lives beside vrrpctl's so that completions and man pages come from one place;
//! the binary turns it into the daemon's plain `daemon::Options`.

use std::path::PathBuf;

use clap::Parser;

/// A keepalived-compatible VRRP daemon: runs the vrrp_instance blocks of keepalived.conf.
#[derive(Debug, Clone, Parser)]
#[command(name = "vrrpd", version = crate::VERSION, long_about = None)]
pub struct Args {
    /// Configuration file (keepalived.conf syntax).
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = crate::config::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Stay in the foreground (vrrpd always does; accepted for keepalived compatibility).
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Log to the console (stderr). Without it vrrpd logs to syslog (journald under systemd),
    /// or to stderr when that is a terminal.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Syslog facility LOCAL0..LOCAL7 (default DAEMON), as keepalived's -S.
    #[arg(short = 'S', long = "log-facility", value_name = "0-7", value_parser = clap::value_parser!(u8).range(0..=7))]
    pub log_facility: Option<u8>,
    /// Detailed log messages (debug level).
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Check the configuration, print diagnostics and exit 0 (valid) or 1 (errors).
    #[arg(short = 't', long = "config-test")]
    pub config_test: bool,
    /// Write the daemon's pid to this file.
    #[arg(short = 'p', long = "pid", value_name = "PIDFILE")]
    pub pidfile: Option<PathBuf>,
    /// Control socket path.
    #[arg(long, env = "VRRPD_SOCKET", default_value = super::DEFAULT_SOCKET, value_name = "PATH")]
    pub socket: PathBuf,
    /// Group of the control socket (mode 0660): its members may read status and stats.
    #[arg(long, value_name = "GROUP")]
    pub socket_group: Option<String>,
    /// Serve Prometheus metrics over HTTP on this address (e.g. 127.0.0.1:9650); off by default.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Print the number of the named signal (keepalived's --signum=NAME) and exit.
    #[arg(long, value_name = "NAME")]
    pub signum: Option<String>,
}
