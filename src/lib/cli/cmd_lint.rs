//! `vrrpctl lint`: lint keepalived.conf files (several files are one cluster) and print the
//! findings like rustc, or as DESIGN.md's JSON.

use super::output::ProgressUnit;
use super::{CmdError, CmdResult, Exit, LintArgs, Output};
use crate::config::LoadOptions;
use crate::lint::{self, render};

pub fn run(a: &LintArgs, out: &Output) -> CmdResult {
    let opts = LoadOptions {
        config_id: a.config_id.clone(),
    };
    let progress = out.progress(
        Some(a.files.len() as u64),
        ProgressUnit::Items("files"),
        "linting",
    );
    let mut started = false;
    let report = lint::lint_files_progress(&a.files, &opts, &lint::LocalHost, &mut |p| {
        // Counted when the next one starts: the bar says how many are done.
        if std::mem::replace(&mut started, true) {
            progress.inc(1);
        }
        let name = p.file_name().unwrap_or(p.as_os_str()).to_string_lossy();
        progress.set_message(&format!("linting {name}"));
    });
    progress.finish();
    if let Some(e) = report.unreadable.first() {
        return Err(CmdError::usage(format!(
            "{e}; give the path of a readable keepalived.conf"
        )));
    }
    if out.json {
        println!("{}", render::json(&report));
    } else {
        print!("{}", render::text(&report, out.color));
        let style = if report.has_errors() {
            owo_colors::Style::new().red().bold()
        } else {
            owo_colors::Style::new().green().bold()
        };
        let word = if report.has_errors() { "lint:" } else { "ok:" };
        println!("{} {}", out.paint(word, style), render::summary(&report));
    }
    let exit = if report.has_errors() {
        Exit::Problem
    } else {
        Exit::Ok
    };
    // The process ends right after this; freeing a big config's many small allocations one by
    // one would only add to the run time.
    std::mem::forget(report);
    Ok(exit)
}
