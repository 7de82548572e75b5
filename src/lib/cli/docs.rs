//! Generation of the checked-in shell completions (completions/) and man pages (man/).
//! A test regenerates them and fails when the checked-in copies are stale.

use std::io;
use std::path::Path;

use clap::CommandFactory;
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

pub fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "vrrpctl", &mut buf);
    buf
}

/// Write completions into `completions_dir` and man pages into `man_dir`.
pub fn generate_all(completions_dir: &Path, man_dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(completions_dir)?;
    std::fs::create_dir_all(man_dir)?;
    for (shell, name) in SHELLS {
        std::fs::write(completions_dir.join(name), completion(shell))?;
    }
    let cmd = Cli::command();
    clap_mangen::generate_to(cmd, man_dir)?;
    // vrrpd is a system daemon: section 8, as keepalived(8).
    let mut page = Vec::new();
    clap_mangen::Man::new(super::vrrpd::Args::command())
        .section("8")
        .render(&mut page)?;
    std::fs::write(man_dir.join("vrrpd.8"), page)?;
    Ok(())
}
