//! Output helpers shared by every subcommand: color decision (--color, NO_COLOR, tty), exit
//! codes, and error printing.

use std::io::IsTerminal;

use clap::ValueEnum;
use owo_colors::{OwoColorize, Style};

use super::{CmdError, GlobalArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Process exit codes (DESIGN.md): 0 fine, 1 the check found a problem, 2 usage or I/O error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Problem = 1,
    Usage = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// How to print: JSON or text, and whether text may carry ANSI colors.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub color: bool,
    /// What --color said, for streams other than stdout (stderr may be a terminal alone).
    pub color_choice: ColorChoice,
}

impl Output {
    pub fn new(g: &GlobalArgs) -> Self {
        let color = color_enabled(g.color, std::io::stdout().is_terminal());
        Output {
            json: g.json,
            color,
            color_choice: g.color,
        }
    }

    /// `text` in `style` when color is on, plain otherwise.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }

    /// Print `e` on stderr: one sentence, or with --json one JSON object that scripts can
    /// parse (`{"error": {"message", "exit"}}`).
    pub fn error(&self, e: &CmdError) {
        if self.json {
            eprintln!("{}", json_error(&e.message, e.exit));
            return;
        }
        let color = color_enabled(self.color_choice, std::io::stderr().is_terminal());
        let prefix = if color {
            "error:".style(Style::new().red().bold()).to_string()
        } else {
            "error:".to_string()
        };
        eprintln!("{prefix} {}", e.message);
    }
}

/// The JSON form of an error for stderr.
pub fn json_error(message: &str, exit: Exit) -> String {
    serde_json::json!({"error": {"message": message, "exit": exit as u8}}).to_string()
}

/// no-color.org: NO_COLOR (non-empty) turns off color by default, but an explicit
/// `--color always` is the user's latest word and wins; `auto` colors only a terminal.
pub fn color_enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal
        }
    }
}

impl Output {
    /// A table with `header`, styled when color is on, fitted to the terminal's width.
    pub fn table(&self, header: &[&str]) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::NOTHING)
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_header(header.iter().map(|h| {
                let c = comfy_table::Cell::new(h);
                if self.color {
                    c.add_attribute(comfy_table::Attribute::Bold)
                } else {
                    c
                }
            }));
        if self.color {
            // --color=always through a pipe: style anyway. Without color, no force_no_tty:
            // comfy-table still needs the tty to learn the terminal's width.
            t.enforce_styling();
        }
        t
    }
}

/// Hide columns of `t`, in `drop_order` (column indices, the least needed first), until its
/// natural width fits the terminal: a narrow terminal then shows fewer columns whole rather
/// than every column cut into fragments ("INSTANC" / "E"). What still does not fit wraps
/// (the table's Dynamic arrangement). Off a terminal nothing is hidden. Returns the indices
/// hidden.
pub fn fit_columns(t: &mut comfy_table::Table, drop_order: &[usize]) -> Vec<usize> {
    let Some(width) = t.width() else {
        return Vec::new();
    };
    let natural = |t: &comfy_table::Table| -> usize {
        t.column_max_content_widths()
            .iter()
            .zip(t.column_iter())
            .filter(|(_, c)| !c.is_hidden())
            .map(|(w, c)| usize::from(*w) + usize::from(c.padding_width()))
            .sum()
    };
    let mut hidden = Vec::new();
    for &i in drop_order {
        if natural(t) <= usize::from(width) {
            break;
        }
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(comfy_table::ColumnConstraint::Hidden);
            hidden.push(i);
        }
    }
    hidden
}

/// What a progress indicator counts, which picks its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Bytes of input (a capture file): `12.0 MiB/80.0 MiB`.
    Bytes,
    /// Things of a kind (`"files"`): `3/40 files`.
    Items(&'static str),
    /// A wait for something to happen (a failover): a spinner and the time waited so far; `len`,
    /// when known, is the most it may take, in milliseconds, and draws a bar.
    Wait,
}

/// Work shorter than this shows no indicator at all: a bar that flashes for a small input is
/// noise. Waits show at once (they are long by nature).
const PROGRESS_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// A progress indicator on stderr, or nothing: [`Output::progress`] decides. Every method is a
/// no-op when hidden, so callers never branch. It clears itself when dropped.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Applied again once the bar draws on stderr: indicatif picks the stream whose color
    /// switch a style obeys when the style is set.
    style: Option<indicatif::ProgressStyle>,
    started: std::time::Instant,
    /// Whether the bar has been given its stderr target yet (after [`PROGRESS_DELAY`]).
    shown: std::sync::atomic::AtomicBool,
}

impl Output {
    /// A progress indicator for work of `len` units (None when the size is unknown: a spinner
    /// with the count so far), labelled `msg`. Hidden with --json (stderr belongs to the JSON
    /// error object then), when stderr is not a terminal, and for work done within a moment.
    /// Colors follow --color/NO_COLOR like the rest of the output. Lines printed on stdout
    /// while it is shown must go through [`Progress::suspend`] or [`Progress::writer`].
    pub fn progress(&self, len: Option<u64>, unit: ProgressUnit, msg: &str) -> Progress {
        let stderr_tty = std::io::stderr().is_terminal();
        if self.json || !stderr_tty {
            return Progress::hidden();
        }
        let color = color_enabled(self.color_choice, stderr_tty);
        Progress::visible(len, unit, msg, color)
    }
}

/// The indicatif template for `unit`, with a bar when the length is known, styled when `color`.
fn progress_template(len: Option<u64>, unit: ProgressUnit, color: bool) -> String {
    // wide_bar takes what the terminal's width leaves: a line wider than the terminal would
    // wrap, and every redraw would then leave a copy behind.
    let (bar, spinner) = if color {
        ("{wide_bar:.cyan/blue}", "{spinner:.green}")
    } else {
        ("{wide_bar}", "{spinner}")
    };
    match (unit, len) {
        (ProgressUnit::Bytes, Some(_)) => {
            format!("{{msg}} [{bar}] {{bytes}}/{{total_bytes}} ({{eta}} left)")
        }
        (ProgressUnit::Bytes, None) => format!("{spinner} {{msg}} {{bytes}}"),
        (ProgressUnit::Items(what), Some(_)) => format!("{{msg}} [{bar}] {{pos}}/{{len}} {what}"),
        (ProgressUnit::Items(what), None) => format!("{spinner} {{msg}} {{pos}} {what}"),
        (ProgressUnit::Wait, Some(_)) => format!("{spinner} {{msg}} [{bar}] {{elapsed}}"),
        (ProgressUnit::Wait, None) => format!("{spinner} {{msg}} {{elapsed}}"),
    }
}

impl Progress {
    /// An indicator that shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            style: None,
            started: std::time::Instant::now(),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn visible(len: Option<u64>, unit: ProgressUnit, msg: &str, color: bool) -> Progress {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        // indicatif styles through console, which would veto `--color always` under NO_COLOR;
        // our decision is the one that counts.
        console::set_colors_enabled_stderr(color);
        let template = progress_template(len, unit, color);
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        bar.set_message(msg.to_string());
        let p = Progress {
            bar: Some(bar),
            style: Some(style),
            started: std::time::Instant::now(),
            shown: std::sync::atomic::AtomicBool::new(false),
        };
        if unit == ProgressUnit::Wait {
            p.show();
        }
        p
    }

    /// Whether anything is (or will be) drawn.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_none()
    }

    fn show(&self) {
        use std::sync::atomic::Ordering;
        let Some(bar) = &self.bar else { return };
        if !self.shown.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Some(style) = &self.style {
                bar.set_style(style.clone());
            }
            // Spinners and waits move even when nothing reports progress for a while.
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    fn maybe_show(&self) {
        if !self.shown.load(std::sync::atomic::Ordering::Relaxed)
            && self.started.elapsed() >= PROGRESS_DELAY
        {
            self.show();
        }
    }

    /// Count `n` more units done.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            self.maybe_show();
        }
    }

    /// Set the units done so far.
    pub fn set_position(&self, pos: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            self.maybe_show();
        }
    }

    /// Change the label (the file being read, what is being waited for).
    pub fn set_message(&self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
            self.maybe_show();
        }
    }

    /// Run `f` (which prints) with the indicator cleared, then draw it again below.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) if self.shown.load(std::sync::atomic::Ordering::Relaxed) => bar.suspend(f),
            _ => f(),
        }
    }

    /// `inner` (stdout) wrapped so that every write happens with the indicator cleared.
    pub fn writer<W: std::io::Write>(&self, inner: W) -> ProgressWriter<'_, W> {
        ProgressWriter {
            progress: self,
            inner,
        }
    }

    /// Remove the indicator from the terminal (also done on drop).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A writer that prints around the progress indicator: see [`Progress::writer`].
pub struct ProgressWriter<'a, W> {
    progress: &'a Progress,
    inner: W,
}

impl<W: std::io::Write> std::io::Write for ProgressWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let inner = &mut self.inner;
        self.progress.suspend(|| inner.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let inner = &mut self.inner;
        self.progress.suspend(|| inner.write_all(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_templates_are_plain_without_color_and_parse() {
        for unit in [
            ProgressUnit::Bytes,
            ProgressUnit::Items("files"),
            ProgressUnit::Wait,
        ] {
            for len in [None, Some(10)] {
                let plain = progress_template(len, unit, false);
                assert!(
                    !plain.contains(".cyan") && !plain.contains(".green"),
                    "{plain}"
                );
                let colored = progress_template(len, unit, true);
                assert!(
                    indicatif::ProgressStyle::with_template(&plain).is_ok(),
                    "{plain}"
                );
                assert!(
                    indicatif::ProgressStyle::with_template(&colored).is_ok(),
                    "{colored}"
                );
            }
        }
        assert!(progress_template(Some(3), ProgressUnit::Items("files"), false).ends_with("files"));
        assert!(progress_template(Some(3), ProgressUnit::Bytes, false).contains("{total_bytes}"));
    }

    #[test]
    fn progress_is_hidden_in_json_mode() {
        let out = Output {
            json: true,
            color: true,
            color_choice: ColorChoice::Always,
        };
        let p = out.progress(Some(100), ProgressUnit::Bytes, "reading");
        assert!(p.is_hidden());
        // Every call is a no-op, and a writer passes bytes through unchanged.
        p.inc(5);
        p.set_message("x");
        let mut buf = Vec::new();
        std::io::Write::write_all(&mut p.writer(&mut buf), b"line\n").unwrap();
        assert_eq!(buf, b"line\n");
    }

    #[test]
    fn visible_progress_writes_through_and_counts() {
        let p = Progress::visible(Some(10), ProgressUnit::Items("files"), "linting", false);
        assert!(!p.is_hidden());
        p.inc(3);
        assert_eq!(p.bar.as_ref().map(|b| b.position()), Some(3));
        let mut buf = Vec::new();
        std::io::Write::write_all(&mut p.writer(&mut buf), b"ok\n").unwrap();
        assert_eq!(buf, b"ok\n");
    }
}
