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
