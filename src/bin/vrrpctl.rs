use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = vrrp::cli::Cli::parse();
    vrrp::cli::run(cli).into()
}
