//! keepalived.conf: lexer with spans -> preprocessor (include globs, @conditionals, $MACROS,
//! ~SEQ) keeping a source map -> keyword tree -> typed model of the VRRP side.
//!
//! The loader never gives up on a readable file: like keepalived, it reports what is wrong as
//! diagnostics and applies keepalived's default, so callers always get a best-effort model.
//! Only an unreadable top file is a `ConfigError`.

mod build;
pub mod diag;
pub mod keywords;
mod lexer;
pub mod model;
mod preprocess;
pub mod source;
pub mod tracking;
pub mod tree;
mod values;

use std::path::{Path, PathBuf};

pub use build::{
    not_run_kind, NotRun, NFTABLES_TABLE, NOT_RUN_BY_VRRPD, NOT_RUN_YET, NOT_VRRP, NOT_VRRP_BLOCKS,
    TUNING_BLOCKS, TUNING_IGNORED, VIP_OPTIONS_NOT_RUN_YET,
};
pub use diag::{Diagnostic, Severity};
pub use lexer::Word;
pub use source::SourceMap;
pub use tree::{Block, KeywordTree, Node};

/// keepalived's default configuration file, which vrrpd and vrrpctl read too.
pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

/// The top file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Options of the load that keepalived takes from its command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// keepalived's `-i/--config-id` for `@id` lines; None means this host's short hostname,
    /// as keepalived does.
    pub config_id: Option<String>,
}

/// A loaded configuration: the model, the tree it came from, what the loader found wrong, and
/// the text of every file read.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The top file (as given).
    pub path: PathBuf,
    pub config: model::Config,
    pub tree: KeywordTree,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The file name of a config read from standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Load `path` and its includes with the host's config id.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    load_with(path, &LoadOptions::default())
}

/// `-` reads standard input (named `<stdin>` in diagnostics; includes relative to the current
/// directory).
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
            ConfigError::Read {
                path: "standard input".into(),
                source,
            }
        })?;
        return Ok(load_str_with(STDIN_NAME, &text, opts));
    }
    let mut p = preprocess::Preprocessor::new(config_id(opts));
    p.run_file(path)
        .map_err(|preprocess::ReadError::Io(source)| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(finish(path, p))
}

/// Load from text (tests, stdin); `name` is the file name used in spans, and includes are
/// relative to its directory.
pub fn load_str(name: impl AsRef<Path>, text: &str) -> Loaded {
    load_str_with(name, text, &LoadOptions::default())
}

pub fn load_str_with(name: impl AsRef<Path>, text: &str, opts: &LoadOptions) -> Loaded {
    let mut p = preprocess::Preprocessor::new(config_id(opts));
    p.run_text(name.as_ref(), text, 0);
    finish(name.as_ref(), p)
}

fn finish(path: &Path, p: preprocess::Preprocessor) -> Loaded {
    let mut diagnostics = p.diags;
    let tree = tree::build(p.items, &mut diagnostics);
    let config = build::build(&tree, &mut diagnostics);
    Loaded {
        path: path.to_path_buf(),
        config,
        tree,
        diagnostics,
        sources: p.sources,
    }
}

/// keepalived's default config id: the host name up to the first dot.
fn config_id(opts: &LoadOptions) -> Option<String> {
    if let Some(id) = &opts.config_id {
        return Some(id.clone());
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let host = host.trim();
    Some(host.split('.').next().unwrap_or(host).to_string())
}
