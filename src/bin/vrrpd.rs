//! vrrpd: parse flags, set up logging, hand over to the daemon runtime.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = vrrp::daemon::flags::Args::parse();
    vrrp::daemon::log::init(&args);
    vrrp::daemon::run(args)
}
