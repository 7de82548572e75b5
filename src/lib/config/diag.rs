//! Diagnostics shared by the loader and the linter: a severity, a stable kebab-case code, the
//! span it points at, a message and an optional help line. Serialises to the `lint --json`
//! shape of DESIGN.md.

use serde::ser::SerializeStruct;

use super::model::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case id (part of the CLI contract).
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &'static str,
        span: &Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code,
            span: span.clone(),
            message: message.into(),
            help: None,
        }
    }
    pub fn error(code: &'static str, span: &Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, span, message)
    }
    pub fn warning(code: &'static str, span: &Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, span, message)
    }
    pub fn note(code: &'static str, span: &Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, span, message)
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Diagnostic", 7)?;
        st.serialize_field("severity", self.severity.as_str())?;
        st.serialize_field("code", self.code)?;
        st.serialize_field("file", &self.span.file.display().to_string())?;
        st.serialize_field("line", &self.span.line)?;
        st.serialize_field("column", &self.span.column)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("help", &self.help)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_matches_design() {
        let span = Span {
            file: std::path::Path::new("/etc/keepalived/keepalived.conf").into(),
            line: 3,
            column: 5,
        };
        let d = Diagnostic::error("duplicate-vrid", &span, "m").with_help("h");
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"severity": "error", "code": "duplicate-vrid",
                "file": "/etc/keepalived/keepalived.conf", "line": 3, "column": 5,
                "message": "m", "help": "h"})
        );
    }
}
