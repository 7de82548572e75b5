//! Line-level lexing of keepalived.conf: a line of text where every byte remembers the column it
//! came from (so words keep their position through macro expansion), keepalived's `decomment`,
//! the split of a line at `{` / `}`, and the split into words with quotes and escapes.

use super::diag::Diagnostic;
use super::model::Span;

/// A word of a config line: its text after quote removal and escapes, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// Text whose every byte knows the 1-based character column it came from in the source line.
/// Text produced by a macro expansion carries the column of the `$` that produced it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MText {
    pub text: String,
    cols: Cols,
}

/// Columns of the bytes of an MText. Most config lines are ASCII and never expanded, so their
/// columns are just "first column + byte offset" and need no table.
#[derive(Debug, Clone, PartialEq)]
enum Cols {
    /// Byte i is at column `.0 + i`.
    Ascii(u32),
    /// Byte i is at column `.0[i]`.
    Map(Vec<u32>),
}

impl Default for MText {
    fn default() -> Self {
        MText {
            text: String::new(),
            cols: Cols::Ascii(1),
        }
    }
}

impl MText {
    pub fn from_source(line: &str) -> MText {
        if line.is_ascii() {
            return MText {
                text: line.to_string(),
                cols: Cols::Ascii(1),
            };
        }
        let mut cols = Vec::with_capacity(line.len());
        for (n, c) in line.chars().enumerate() {
            for _ in 0..c.len_utf8() {
                cols.push(n as u32 + 1);
            }
        }
        MText {
            text: line.to_string(),
            cols: Cols::Map(cols),
        }
    }

    /// `text` as if it all came from column `col`.
    pub fn synthetic(text: &str, col: u32) -> MText {
        MText {
            text: text.to_string(),
            cols: Cols::Map(vec![col; text.len()]),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Column of byte `byte` (the last byte's column past the end).
    pub fn col_at(&self, byte: usize) -> u32 {
        match &self.cols {
            Cols::Ascii(c) => c + byte.min(self.text.len().saturating_sub(1)) as u32,
            Cols::Map(m) => m.get(byte).or(m.last()).copied().unwrap_or(1),
        }
    }

    fn col_table(&self) -> Vec<u32> {
        match &self.cols {
            Cols::Ascii(c) => (0..self.text.len() as u32).map(|i| c + i).collect(),
            Cols::Map(m) => m.clone(),
        }
    }

    /// Sub-range by byte offsets; callers only cut at ASCII bytes so ranges stay on char
    /// boundaries.
    pub fn slice(&self, from: usize, to: usize) -> MText {
        MText {
            text: self.text[from..to].to_string(),
            cols: match &self.cols {
                Cols::Ascii(c) => Cols::Ascii(c + from as u32),
                Cols::Map(m) => Cols::Map(m[from..to].to_vec()),
            },
        }
    }

    pub fn push(&mut self, other: &MText) {
        if other.text.is_empty() {
            return;
        }
        if self.text.is_empty() {
            *self = other.clone();
            return;
        }
        let contiguous = match (&self.cols, &other.cols) {
            (Cols::Ascii(a), Cols::Ascii(b)) => *b == a + self.text.len() as u32,
            _ => false,
        };
        if !contiguous {
            let mut table = self.col_table();
            table.extend(other.col_table());
            self.cols = Cols::Map(table);
        }
        self.text.push_str(&other.text);
    }

    pub fn trim_start(&self) -> MText {
        let n = self.text.len() - self.text.trim_start_matches([' ', '\t']).len();
        self.slice(n, self.text.len())
    }

    pub fn trim_end(&self) -> MText {
        let n = self.text.trim_end_matches([' ', '\t']).len();
        self.slice(0, n)
    }
}

/// keepalived's `decomment`: drop leading blanks, the comment (`#` or `!` outside double quotes,
/// anywhere on the line), the backslash of `\#` / `\!`, and trailing blanks. A trailing `\` is
/// kept as the last byte (it continues a `$NAME=` definition). Also warns when a comment starts
/// inside a word, which silently truncates passwords and paths.
pub(crate) fn decomment(m: &MText, span: &Span, diags: &mut Vec<Diagnostic>) -> MText {
    let m = m.trim_start();
    let b = m.text.as_bytes();
    let mut out = MText::default();
    let mut quote = false;
    let mut i = 0;
    let mut cont = None;
    let mut start = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                quote = !quote;
                i += 1;
            }
            b'\\' => {
                if i + 1 >= b.len() {
                    cont = Some(m.col_at(i));
                    out.push(&m.slice(start, i));
                    start = b.len();
                    break;
                }
                if !quote && (b[i + 1] == b'#' || b[i + 1] == b'!') {
                    out.push(&m.slice(start, i));
                    start = i + 1;
                }
                i += 2;
            }
            b'#' | b'!' if !quote => {
                if i > 0 && !matches!(b[i - 1], b' ' | b'\t') {
                    let at = Span {
                        column: m.col_at(i),
                        ..span.clone()
                    };
                    diags.push(
                        Diagnostic::warning(
                            "comment-in-word",
                            &at,
                            format!(
                                "`{}` starts a comment here, so the rest of this word and line is ignored",
                                b[i] as char
                            ),
                        )
                        .with_help(format!(
                            "quote the word (\"...{}...\") or write ${{_{}}}",
                            b[i] as char,
                            if b[i] == b'#' { "HASH" } else { "BANG" }
                        )),
                    );
                }
                out.push(&m.slice(start, i));
                start = b.len();
                break;
            }
            _ => i += 1,
        }
    }
    if start < b.len() {
        out.push(&m.slice(start, b.len()));
    }
    let mut out = out.trim_end();
    if let Some(col) = cont {
        out.push(&MText::synthetic("\\", col));
    }
    out
}

/// One piece of a line after the split at braces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Open(u32),
    Close(u32),
    Text(MText),
}

/// keepalived treats every `{` and `}` outside double quotes as a line of its own.
pub(crate) fn split_braces(m: &MText) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = m.trim_start();
    while !rest.is_empty() {
        let b = rest.text.as_bytes();
        let mut quote = false;
        let mut pos = None;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'"' => quote = !quote,
                b'{' | b'}' if !quote => {
                    pos = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match pos {
            None => {
                out.push(Piece::Text(rest.trim_end()));
                break;
            }
            Some(0) => {
                let col = rest.col_at(0);
                out.push(if b[0] == b'{' {
                    Piece::Open(col)
                } else {
                    Piece::Close(col)
                });
                rest = rest.slice(1, b.len()).trim_start();
            }
            Some(p) => {
                out.push(Piece::Text(rest.slice(0, p).trim_end()));
                rest = rest.slice(p, b.len());
            }
        }
    }
    out
}

/// Split into words as keepalived's `alloc_strvec_quoted_escaped` does: blanks separate words,
/// `"..."` and `'...'` keep blanks and are joined to adjacent text, backslash escapes are decoded.
pub(crate) fn words(m: &MText, span: &Span, diags: &mut Vec<Diagnostic>) -> Vec<Word> {
    let b = m.text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && is_blank(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut buf: Vec<u8> = Vec::new();
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    i += 1;
                }
                None if c == b'"' || c == b'\'' => {
                    quote = Some(c);
                    i += 1;
                }
                None if is_blank(c) => break,
                _ if c == b'\\' => {
                    i += 1;
                    if i >= b.len() {
                        break;
                    }
                    i = unescape(b, i, &mut buf);
                }
                _ => {
                    buf.push(c);
                    i += 1;
                }
            }
        }
        let word_span = Span {
            column: m.col_at(start),
            ..span.clone()
        };
        if let Some(q) = quote {
            diags.push(Diagnostic::error(
                "syntax-error",
                &word_span,
                format!("missing terminating {} quote", q as char),
            ));
        }
        let text = String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        out.push(Word {
            text,
            span: word_span,
        });
    }
    out
}

pub(crate) fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\x0c' | b'\x0b' | b'\r' | b'\n')
}

/// Decode the escape whose letter is at `b[i]`; returns the index after it.
fn unescape(b: &[u8], mut i: usize, buf: &mut Vec<u8>) -> usize {
    let c = b[i];
    match c {
        b'x' if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) => {
            i += 1;
            let mut v: u8 = 0;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                let d = (b[i] as char).to_digit(16).unwrap_or(0) as u8;
                v = v.wrapping_shl(4) | d;
                i += 1;
            }
            buf.push(v);
            i
        }
        b'c' if i + 1 < b.len() => {
            buf.push(b[i + 1] & 0x1f);
            i + 2
        }
        b'0'..=b'7' => {
            let mut v: u8 = 0;
            let mut n = 0;
            while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                v = v.wrapping_shl(3).wrapping_add(b[i] - b'0');
                i += 1;
                n += 1;
            }
            buf.push(v);
            i
        }
        _ => {
            buf.push(match c {
                b'a' => 0x07,
                b'b' => 0x08,
                b'E' => 0x1b,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                other => other,
            });
            i + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span() -> Span {
        Span {
            file: std::path::Path::new("t.conf").into(),
            line: 1,
            column: 1,
        }
    }

    fn texts(s: &str) -> Vec<(String, u32)> {
        let mut d = Vec::new();
        let m = decomment(&MText::from_source(s), &span(), &mut d);
        words(&m, &span(), &mut d)
            .into_iter()
            .map(|w| (w.text, w.span.column))
            .collect()
    }

    #[test]
    fn comments_anywhere_but_in_double_quotes() {
        assert_eq!(texts("  a b # c"), vec![("a".into(), 3), ("b".into(), 5)]);
        assert_eq!(texts("a ! c"), vec![("a".into(), 1)]);
        assert_eq!(
            texts("a \"b # c\" d"),
            vec![("a".into(), 1), ("b # c".into(), 3), ("d".into(), 11)]
        );
        assert_eq!(texts("a\\#b"), vec![("a#b".into(), 1)]);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(
            texts("状态 MASTER"),
            vec![("状态".into(), 1), ("MASTER".into(), 4)]
        );
        let mut m = MText::from_source("ab");
        m.push(&MText::synthetic("xyz", 9));
        m.push(&MText::from_source("c").slice(0, 1));
        assert_eq!(
            (m.col_at(1), m.col_at(2), m.col_at(4), m.col_at(5)),
            (2, 9, 9, 1)
        );
    }

    #[test]
    fn comment_inside_a_word_warns() {
        let mut d = Vec::new();
        let m = decomment(&MText::from_source("auth_pass ab#cd"), &span(), &mut d);
        assert_eq!(m.text, "auth_pass ab");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "comment-in-word");
        assert_eq!(d[0].span.column, 13);
    }

    #[test]
    fn quotes_join_and_escapes_decode() {
        assert_eq!(texts("abcd\" efg h\""), vec![("abcd efg h".into(), 1)]);
        assert_eq!(
            texts("'x y' \\x41\\t"),
            vec![("x y".into(), 1), ("A\t".into(), 7)]
        );
    }

    #[test]
    fn trailing_backslash_is_kept() {
        let mut d = Vec::new();
        let m = decomment(&MText::from_source("$A=x   \\"), &span(), &mut d);
        assert_eq!(m.text, "$A=x\\");
    }

    #[test]
    fn braces_are_lines_of_their_own() {
        let m = MText::from_source("virtual_ipaddress { 192.0.2.1 \"{\" }");
        let p = split_braces(&m);
        assert_eq!(p.len(), 4);
        assert!(matches!(&p[0], Piece::Text(t) if t.text == "virtual_ipaddress"));
        assert_eq!(p[1], Piece::Open(19));
        assert!(
            matches!(&p[2], Piece::Text(t) if t.text == "192.0.2.1 \"{\"" && t.col_at(0) == 21)
        );
        assert_eq!(p[3], Piece::Close(35));
    }
}
