//! The text of every file the loader read (the top file and its includes), kept for rendering
//! diagnostics with their source lines.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(PathBuf, String)>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: String) {
        if self.get(&path).is_none() {
            self.files.push((path, text));
        }
    }
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
    /// Files in the order they were first read.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().map(|(p, t)| (p.as_path(), t.as_str()))
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Byte offset in `text` of a 1-based line and 1-based character column (clamped to the line).
pub fn byte_offset(text: &str, line: u32, column: u32) -> usize {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let body = l.trim_end_matches(['\n', '\r']);
            let col = column.saturating_sub(1) as usize;
            return start
                + body
                    .char_indices()
                    .nth(col)
                    .map(|(b, _)| b)
                    .unwrap_or(body.len());
        }
        start += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters() {
        let t = "ab\n  é x\n";
        assert_eq!(byte_offset(t, 1, 1), 0);
        assert_eq!(byte_offset(t, 2, 3), 5);
        assert_eq!(byte_offset(t, 2, 5), 8);
        assert_eq!(byte_offset(t, 9, 1), t.len());
    }
}
