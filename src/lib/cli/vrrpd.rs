//! vrrpd's command line: keepalived's common flags, so existing unit files and habits keep
//! working. It lives beside vrrpctl's so that completions and man pages come from one place;
//! the binary turns it into the daemon's plain `daemon::Options`.

use std::path::PathBuf;

use clap::Parser;

/// A keepalived-compatible VRRP daemon: runs the vrrp_instance blocks of keepalived.conf.
#[derive(Debug, Clone, Parser)]
#[command(name = "vrrpd", version, about, long_about = None)]
pub struct Args {
    /// Configuration file (keepalived.conf syntax).
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = crate::config::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Stay in the foreground (vrrpd always does; accepted for keepalived compatibility).
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Log to the console (stderr) rather than syslog/journal formatting.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
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
    /// Print the number of the named signal (keepalived's --signum=NAME) and exit.
    #[arg(long, value_name = "NAME")]
    pub signum: Option<String>,
}
