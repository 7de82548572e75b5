//! The text of every file the loader read (the top file and its includes), kept for rendering
//! diagnostics with their source lines.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The texts are shared: the loader's map and lint's report (and their clones) hold one copy
/// of a file, not one each (a 10,000-instance config is 1.8 MB).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(PathBuf, Arc<str>)>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: impl Into<Arc<str>>) {
        if self.get(&path).is_none() {
            self.files.push((path, text.into()));
        }
    }
    /// Add every file of `other` not already here, sharing its text.
    pub fn extend_from(&mut self, other: &SourceMap) {
        for (path, text) in &other.files {
            self.add(path.clone(), text.clone());
        }
    }
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| &**t)
    }
    /// Files in the order they were first read.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().map(|(p, t)| (p.as_path(), &**t))
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
