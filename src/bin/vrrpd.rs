use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = vrrp::daemon::flags::Args::parse();
    let _ = args;
    eprintln!("vrrpd: the daemon runtime is not implemented yet");
    std::process::ExitCode::from(2)
}
