//! vrrpctl: parse the command line and run the subcommand; the exit code comes from it.

// vrrpctl's hot paths (lint of large configs, sniff of big captures) are allocation-heavy;
// mimalloc cut lint's time on a 10,000-instance config by a quarter (benches/lint_bench.sh).
// vrrpd keeps the system allocator: its goal is a small, steady RSS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vrrp::cli::main().into()
}
