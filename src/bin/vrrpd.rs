//! vrrpd: parse flags, set up logging, hand over to the daemon runtime.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let args = vrrp::cli::vrrpd::Args::parse();
    let default = if args.log_detail { "debug" } else { "info" };
    let filter = EnvFilter::try_from_env("VRRPD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
    vrrp::daemon::run(vrrp::daemon::Options {
        config: args.config,
        pidfile: args.pidfile,
        socket: args.socket,
        config_test: args.config_test,
        signum: args.signum,
    })
}
