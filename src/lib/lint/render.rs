//! Rendering a lint report: rustc-style text through codespan-reporting (file:line:column, the
//! source line, a caret under the word, `help:`), or DESIGN.md's JSON document.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term::{self, termcolor};

use super::LintReport;
use crate::config::Severity;

/// `{"files": [...], "diagnostics": [...]}`.
pub fn json(report: &LintReport) -> serde_json::Value {
    serde_json::json!({
        "files": report.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "diagnostics": report.diagnostics,
    })
}

/// The report as text, with ANSI colors when `color`.
pub fn text(report: &LintReport, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = Vec::new();
    for (path, src) in report.sources.iter() {
        ids.push((
            path.to_path_buf(),
            files.add(path.display().to_string(), src.to_string()),
        ));
    }
    let config = term::Config::default();
    let mut ansi = termcolor::Buffer::ansi();
    let mut plain = String::new();
    for d in &report.diagnostics {
        let sev = match d.severity {
            Severity::Error => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
            Severity::Note => CsSeverity::Note,
        };
        let mut cs = CsDiagnostic::new(sev)
            .with_code(d.code)
            .with_message(&d.message);
        if let Some((_, id)) = ids.iter().find(|(p, _)| *p == d.span.file) {
            if let Some(range) = word_range(&files, *id, d.span.line, d.span.column) {
                cs = cs.with_labels(vec![Label::primary(*id, range)]);
            }
        }
        if let Some(h) = &d.help {
            cs = cs.with_notes(vec![format!("help: {h}")]);
        }
        let res = if color {
            term::emit_to_write_style(&mut ansi, &config, &files, &cs)
        } else {
            term::emit_to_string(&mut plain, &config, &files, &cs)
        };
        if res.is_err() {
            // The span points outside the stored text; say it without the snippet.
            plain.push_str(&format!(
                "{}[{}]: {}\n  --> {}:{}:{}\n",
                d.severity,
                d.code,
                d.message,
                d.span.file.display(),
                d.span.line,
                d.span.column
            ));
        }
    }
    let mut out = String::from_utf8_lossy(ansi.as_slice()).into_owned();
    out.push_str(&plain);
    out
}

/// Byte range of the word at a 1-based line and character column (line starts are indexed
/// once per file by SimpleFiles, so this stays cheap for many diagnostics).
fn word_range(
    files: &SimpleFiles<String, String>,
    id: usize,
    line: u32,
    column: u32,
) -> Option<std::ops::Range<usize>> {
    let lr = files.line_range(id, line.checked_sub(1)? as usize).ok()?;
    let src = files.get(id).ok()?.source();
    let text = src.get(lr.clone())?;
    let col = column.saturating_sub(1) as usize;
    let start = text
        .char_indices()
        .nth(col)
        .map(|(b, _)| b)
        .unwrap_or(text.len());
    let rest = &text[start..];
    // A quoted word runs to its closing quote, blanks included.
    let len = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map(|e| e + 2),
        _ => None,
    }
    .unwrap_or_else(|| rest.find(char::is_whitespace).unwrap_or(rest.len()));
    Some(lr.start + start..lr.start + start + len)
}

/// One line: how many errors and warnings in how many files.
pub fn summary(report: &LintReport) -> String {
    let e = report.count(Severity::Error);
    let w = report.count(Severity::Warning);
    let files = report.files.len();
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} in {}",
        plural(e, "error"),
        plural(w, "warning"),
        plural(files, "file")
    )
}
