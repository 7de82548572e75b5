//! `vrrpctl sniff`: command-line edge of [`crate::sniff`]. Maps the flags to options, prints
//! through `Output` (colors, JSON), and turns failures into one sentence and exit 2.

use crate::sniff::{self, Options, SniffError, SourceSpec};

use super::output::{Progress, ProgressUnit};
use super::{CmdError, CmdResult, Exit, Output, SniffArgs};

pub fn run(a: &SniffArgs, out: &Output) -> CmdResult {
    let source = match (&a.interface, &a.read) {
        (Some(i), _) => SourceSpec::Live(i.clone()),
        (None, Some(r)) => SourceSpec::File(r.clone()),
        (None, None) => {
            return Err(CmdError::usage(
                "sniff needs a source: -i IFACE to capture live, or -r FILE to read a capture",
            ))
        }
    };
    let opts = Options {
        source,
        write: a.write.clone(),
        count: a.count,
        vrid: a.vrid,
        verbose: a.verbose,
        json: out.json,
        summary: !a.no_summary,
    };
    let paint = |t: &str, s: owo_colors::Style| out.paint(t, s);
    // A bar for a capture file of known size (a spinner with the bytes read for a pipe).
    let progress = match &a.read {
        Some(p) if a.interface.is_none() => {
            let size = std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            // The file's name, not its path: the bar must fit a narrow terminal.
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let label = format!("reading {}", name.unwrap_or_else(|| opts.source.describe()));
            out.progress(size, ProgressUnit::Bytes, &label)
        }
        _ => Progress::hidden(),
    };
    let stdout = std::io::stdout();
    let mut lock = progress.writer(stdout.lock());
    let result =
        sniff::run_with_progress(&opts, &mut lock, &paint, &mut |n| progress.set_position(n));
    progress.finish();
    match result {
        Ok(_) => Ok(Exit::Ok),
        // `vrrpctl sniff ... | head` closing the pipe is a normal way to stop.
        Err(SniffError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ok),
        Err(e) => Err(CmdError::usage(e.to_string())),
    }
}
