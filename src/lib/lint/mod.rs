//! Lint rules over the keyword tree and the typed model; one function per rule, each with a
//! stable kebab-case id. Multi-file rules compare the nodes of one cluster.
//!
//! The loader's own findings (syntax-error, invalid-value, value-out-of-range,
//! missing-required for blocks, include-no-match, comment-in-word, duplicate-name,
//! not-run-by-vrrpd, not-vrrp, tuning-ignored) come first, then the rules of `rules::RULES`, then the cluster rules
//! (cluster-mismatch, priority-tie, and `failover`'s election, weight-cannot-move-master,
//! preempt-on-return) when several files are given.

mod cluster;
pub mod failover;
pub mod host;
pub mod render;
mod rules;

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError, Diagnostic, LoadOptions, Loaded, Severity, SourceMap};

pub use host::{Host, LocalHost};

/// What `vrrpctl lint` reports.
#[derive(Debug, Default)]
pub struct LintReport {
    /// The files given, in order.
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read (includes too), for rendering.
    pub sources: SourceMap,
    /// Files that could not be read at all.
    pub unreadable: Vec<ConfigError>,
    /// The loaded configs of the readable files, in order (for callers that go on to use them).
    pub configs: Vec<Loaded>,
}

impl LintReport {
    pub fn count(&self, s: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == s).count()
    }
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// The ids of the per-file rules, in the order they run.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    rules::RULES.iter().map(|(id, _)| *id)
}

/// Run the per-file rules on a loaded config (the loader's diagnostics are not included).
pub fn lint_loaded(loaded: &Loaded, host: &dyn Host) -> Vec<Diagnostic> {
    let cx = rules::Cx::new(loaded, host);
    let mut out = Vec::new();
    for (_, rule) in rules::RULES {
        rule(&cx, &mut out);
    }
    out
}

/// Lint one config the way `vrrpd -t` does.
pub fn check_config(path: &Path) -> Result<LintReport, ConfigError> {
    let loaded = config::load(path)?;
    let mut r = LintReport {
        files: vec![path.to_path_buf()],
        ..Default::default()
    };
    r.diagnostics = file_diagnostics(&loaded, &LocalHost);
    r.sources = loaded.sources.clone();
    r.configs.push(loaded);
    Ok(r)
}

/// Lint files; several files are the nodes of one cluster.
pub fn lint_files(paths: &[PathBuf]) -> LintReport {
    lint_files_with(paths, &LoadOptions::default(), &LocalHost)
}

/// `lint_files` with keepalived's load options (`-i` config id) and a given host.
pub fn lint_files_with(paths: &[PathBuf], opts: &LoadOptions, host: &dyn Host) -> LintReport {
    lint_files_progress(paths, opts, host, &mut |_| {})
}

/// [`lint_files_with`] that calls `loading(path)` before each file is loaded and linted (for
/// a progress bar over many files).
pub fn lint_files_progress(
    paths: &[PathBuf],
    opts: &LoadOptions,
    host: &dyn Host,
    loading: &mut dyn FnMut(&Path),
) -> LintReport {
    let mut report = LintReport {
        files: paths.to_vec(),
        ..Default::default()
    };
    for p in paths {
        loading(p);
        match config::load_with(p, opts) {
            Ok(l) => {
                report.diagnostics.extend(file_diagnostics(&l, host));
                report.sources.extend_from(&l.sources);
                report.configs.push(l);
            }
            Err(e) => report.unreadable.push(e),
        }
    }
    if report.configs.len() > 1 {
        let nodes: Vec<(&Path, &Loaded)> = report
            .configs
            .iter()
            .map(|l| (l.path.as_path(), l))
            .collect();
        let found = cluster::check(&nodes);
        report.diagnostics.extend(found);
    }
    report
}

/// Loader findings plus rules, sorted by position, without duplicates.
fn file_diagnostics(loaded: &Loaded, host: &dyn Host) -> Vec<Diagnostic> {
    let mut all = loaded.diagnostics.clone();
    all.extend(lint_loaded(loaded, host));
    let order: Vec<&Path> = loaded.sources.iter().map(|(p, _)| p).collect();
    let file_idx = |d: &Diagnostic| {
        order
            .iter()
            .position(|p| **p == *d.span.file)
            .unwrap_or(usize::MAX)
    };
    all.sort_by(|a, b| {
        (file_idx(a), a.span.line, a.span.column).cmp(&(file_idx(b), b.span.line, b.span.column))
    });
    all.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    all
}
