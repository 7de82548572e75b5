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
}

impl Output {
    pub fn new(g: &GlobalArgs) -> Self {
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        // NO_COLOR wins over --color=always too: the user asked for no color everywhere.
        let color = color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output {
            json: g.json,
            color,
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

    pub fn error(&self, e: &CmdError) {
        let prefix = self.paint("error:", Style::new().red().bold());
        eprintln!("{prefix} {}", e.message);
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
