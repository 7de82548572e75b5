//! vrrpd: parse flags, set up logging, hand over to the daemon runtime.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = vrrp::cli::vrrpd::Args::parse();
    vrrp::daemon::log::init(args.log_console, args.log_facility, args.log_detail);
    vrrp::daemon::run(vrrp::daemon::Options {
        config: args.config,
        pidfile: args.pidfile,
        socket: args.socket,
        socket_group: args.socket_group,
        metrics_listen: args.metrics_listen,
        config_test: args.config_test,
        signum: args.signum,
    })
}
