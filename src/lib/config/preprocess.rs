//! keepalived's preprocessor: reads the top file and its `include`s (globs relative to the
//! including file), applies `@id` / `@^id` conditional lines, `$NAME=` definitions (multi-line
//! with a trailing `\`), `$NAME` / `${NAME}` expansion and `~SEQ` / `~LST` sequences, in
//! keepalived's order, and hands out items (`{`, `}`, or a line of words) that keep their source
//! position through all of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::diag::Diagnostic;
use super::lexer::{self, MText, Piece, Word};
use super::model::Span;
use super::source::SourceMap;

/// Includes nested deeper than this are a loop (keepalived would recurse until it crashes).
const MAX_INCLUDE_DEPTH: usize = 32;
/// Expansions in one line beyond this are a self-referencing macro.
const MAX_EXPANSIONS: usize = 4096;
/// keepalived reads a config line into a buffer of MAXBUF (1024) bytes and refuses a `$NAME`
/// substitution that would make the line this long or longer ("Parameter substitution on line
/// ... would exceed maximum line length"): it stops expanding and reads on with the line as it
/// is. The bound also keeps a growing self-reference (`$A=${A}x`) from taking forever.
const MAX_LINE: usize = 1024;
/// The lines of a multi-line definition go through expansion again, so a definition whose own
/// lines use it (`$A=x \` then `$A`) expands forever: keepalived 2.2.7 repeats the lines
/// without end (`keepalived -t` hangs). Lines expanded from lines expanded from ... deeper than
/// this are that loop; the budget bounds a definition that uses itself twice (2^depth lines).
const MAX_MULTILINE_DEPTH: usize = 16;
const MAX_MULTILINE_LINES: usize = 100_000;
/// `$NAME` substitutions in one load: a generated 10,000-instance config with a few macros per
/// instance uses ~100,000; beyond this the expansion is running away.
const MAX_TOTAL_EXPANSIONS: usize = 2_000_000;

/// What [`Preprocessor::expand`] did to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expanded {
    Unchanged,
    Changed,
    /// It gave up (a diagnostic says why); the line is as far as it got.
    Stopped,
}

/// One item of the preprocessed stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Open(Span),
    Close(Span),
    Words(Vec<Word>),
}

#[derive(Debug, Clone)]
struct Def {
    /// Lines of the value; one for a plain definition.
    lines: Vec<String>,
    multiline: bool,
}

/// Where the line being processed comes from.
#[derive(Clone)]
struct Ctx {
    file: std::sync::Arc<Path>,
    dir: PathBuf,
    line: u32,
    depth: usize,
}

impl Ctx {
    fn span(&self, column: u32) -> Span {
        Span {
            file: self.file.clone(),
            line: self.line,
            column,
        }
    }
}

pub(crate) struct Preprocessor {
    config_id: Option<String>,
    defs: HashMap<String, Def>,
    rng: u64,
    /// How deep the line being processed is inside multi-line expansions, and how many such
    /// lines this load has processed (see MAX_MULTILINE_DEPTH).
    multiline_depth: usize,
    multiline_lines: usize,
    expansions: usize,
    /// The runaway-expansion error was reported (once per load).
    runaway_reported: bool,
    pub items: Vec<Item>,
    pub diags: Vec<Diagnostic>,
    pub sources: SourceMap,
}

pub(crate) enum ReadError {
    Io(std::io::Error),
}

impl Preprocessor {
    pub fn new(config_id: Option<String>) -> Self {
        Preprocessor {
            config_id,
            defs: HashMap::new(),
            rng: 0x2545_f491_4f6c_dd1d,
            multiline_depth: 0,
            multiline_lines: 0,
            expansions: 0,
            runaway_reported: false,
            items: Vec::new(),
            diags: Vec::new(),
            sources: SourceMap::default(),
        }
    }

    /// Read the top file from disk; only this read can fail the whole load.
    pub fn run_file(&mut self, path: &Path) -> Result<(), ReadError> {
        let text = std::fs::read_to_string(path).map_err(ReadError::Io)?;
        self.run_shared(path, text.into(), 0);
        Ok(())
    }

    /// Process `text` as the content of `path`.
    pub fn run_text(&mut self, path: &Path, text: &str, depth: usize) {
        self.run_shared(path, text.into(), depth);
    }

    /// [`Self::run_text`] on a text the source map keeps (no second copy of a read file).
    fn run_shared(&mut self, path: &Path, text: std::sync::Arc<str>, depth: usize) {
        self.sources.add(path.to_path_buf(), text.clone());
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut ctx = Ctx {
            file: std::sync::Arc::from(path),
            dir,
            line: 0,
            depth,
        };
        let mut multiline: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            ctx.line = n as u32 + 1;
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                // A blank line ends a multi-line definition.
                multiline = None;
                continue;
            }
            if multiline.is_none() && self.plain(raw, &ctx) {
                continue;
            }
            let m = lexer::decomment(&MText::from_source(raw), &ctx.span(1), &mut self.diags);
            if let Some(name) = &multiline {
                let (body, more) = match m.text.strip_suffix('\\') {
                    Some(b) => (b.trim_end().to_string(), true),
                    None => (m.text.clone(), false),
                };
                if let Some(def) = self.defs.get_mut(name) {
                    if !body.is_empty() {
                        def.lines.push(body);
                    }
                }
                if !more {
                    multiline = None;
                }
                continue;
            }
            if m.is_empty() {
                continue;
            }
            self.logical(m, &ctx, &mut multiline);
        }
    }

    /// Most lines of a large config are plain: ASCII words and braces that stand alone, with
    /// no comment, quote, escape, macro, conditional, sequence or include. Such a line gives
    /// the same items (and spans: column = byte offset + 1) as the general path below, without
    /// building MTexts; returns false, having done nothing, for any other line.
    fn plain(&mut self, raw: &str, ctx: &Ctx) -> bool {
        let b = raw.as_bytes();
        let special = |c: &u8| {
            !c.is_ascii() || matches!(c, b'#' | b'!' | b'"' | b'\'' | b'\\' | b'$' | b'@' | b'~')
        };
        if b.iter().any(special) || raw.contains("include") {
            return false;
        }
        let tokens = || {
            raw.split(|c: char| lexer::is_blank(c as u8))
                .filter(|t| !t.is_empty())
                .map(|t| (t.as_ptr() as usize - raw.as_ptr() as usize, t))
        };
        if tokens().any(|(_, t)| t.len() > 1 && t.contains(['{', '}'])) {
            return false;
        }
        let mut words: Vec<Word> = Vec::new();
        for (ofs, t) in tokens() {
            let col = ofs as u32 + 1;
            match t {
                "{" | "}" => {
                    if !words.is_empty() {
                        self.items.push(Item::Words(std::mem::take(&mut words)));
                    }
                    self.items.push(if t == "{" {
                        Item::Open(ctx.span(col))
                    } else {
                        Item::Close(ctx.span(col))
                    });
                }
                _ => words.push(Word {
                    text: t.to_string(),
                    span: ctx.span(col),
                }),
            }
        }
        if !words.is_empty() {
            self.items.push(Item::Words(words));
        }
        true
    }

    /// keepalived's `read_line` body for one line: conditionals, definitions, sequences and
    /// expansion (repeated while they keep changing the line), then include, then the items.
    fn logical(&mut self, mut m: MText, ctx: &Ctx, multiline: &mut Option<String>) {
        let mut extra: Vec<MText> = Vec::new();
        let mut rounds = 0;
        loop {
            rounds += 1;
            if m.text.starts_with('@') {
                match self.conditional(&m) {
                    Some(rest) => m = rest,
                    None => return,
                }
            }
            if m.text.starts_with('$') {
                if let Some((name, value)) = parse_definition(&m.text) {
                    self.define(name, value, multiline);
                    return;
                }
            }
            if m.text.starts_with("~SEQ") || m.text.starts_with("~LST") {
                self.sequence(&m, ctx);
                return;
            }
            if m.text.starts_with('~') || !m.text.contains('$') {
                break;
            }
            let (expanded, more, changed) = self.expand(&m, ctx);
            if changed == Expanded::Unchanged {
                break;
            }
            m = expanded;
            if changed == Expanded::Stopped {
                // A runaway line's definition lines would run away too.
                extra.clear();
                break;
            }
            extra.extend(more);
            if !(m.text.starts_with('@') || m.text.contains('$')) || rounds > 64 {
                break;
            }
        }
        if let Some(stripped) = m.text.strip_suffix('\\') {
            let col = m.col_at(stripped.len());
            self.diags.push(
                Diagnostic::error(
                    "syntax-error",
                    &ctx.span(col),
                    "a trailing `\\` does not continue a line here",
                )
                .with_help(
                    "keepalived joins lines only inside a `$NAME=` definition; write the keyword and its value on one line",
                ),
            );
            m = m.slice(0, stripped.len()).trim_end();
        }
        if !m.is_empty() && !self.include(&m, ctx) {
            self.emit(&m, ctx);
        }
        if extra.is_empty() || self.runaway_reported {
            return;
        }
        if self.multiline_depth >= MAX_MULTILINE_DEPTH
            || self.multiline_lines + extra.len() > MAX_MULTILINE_LINES
        {
            self.runaway(&ctx.span(m.col_at(0)));
            return;
        }
        self.multiline_lines += extra.len();
        self.multiline_depth += 1;
        for line in extra {
            let mut none = None;
            if !line.is_empty() {
                self.logical(line, ctx, &mut none);
            }
        }
        self.multiline_depth -= 1;
    }

    /// The error for an expansion that never ends, once per load; the load reads no further
    /// expanded lines.
    fn runaway(&mut self, span: &Span) {
        if !self.runaway_reported {
            self.runaway_reported = true;
            self.diags.push(
                Diagnostic::error(
                    "syntax-error",
                    span,
                    "a definition expands itself without end: keepalived repeats its lines forever (keepalived -t hangs)",
                )
                .with_help("a line of a `$NAME=... \\` definition uses a definition that leads back to NAME; remove that use"),
            );
        }
    }

    fn emit(&mut self, m: &MText, ctx: &Ctx) {
        for piece in lexer::split_braces(m) {
            match piece {
                Piece::Open(col) => self.items.push(Item::Open(ctx.span(col))),
                Piece::Close(col) => self.items.push(Item::Close(ctx.span(col))),
                Piece::Text(t) => {
                    let w = lexer::words(&t, &ctx.span(t.col_at(0)), &mut self.diags);
                    if !w.is_empty() {
                        self.items.push(Item::Words(w));
                    }
                }
            }
        }
    }

    /// `@ID rest` keeps `rest` when ID is the config id; `@^ID rest` when it is not.
    fn conditional(&self, m: &MText) -> Option<MText> {
        let (neg, ofs) = if m.text.as_bytes().get(1) == Some(&b'^') {
            (true, 2)
        } else {
            (false, 1)
        };
        let end = m.text[ofs..].find([' ', '\t'])? + ofs;
        let id = &m.text[ofs..end];
        let matches = self.config_id.as_deref() == Some(id);
        if matches == neg {
            return None;
        }
        Some(m.slice(end, m.text.len()).trim_start())
    }

    fn define(&mut self, name: String, value: &str, multiline: &mut Option<String>) {
        let def = match value.strip_suffix('\\') {
            Some(first) => {
                let first = first.trim_end();
                *multiline = Some(name.clone());
                Def {
                    lines: if first.is_empty() {
                        Vec::new()
                    } else {
                        vec![first.to_string()]
                    },
                    multiline: true,
                }
            }
            None => Def {
                lines: vec![value.to_string()],
                multiline: false,
            },
        };
        self.defs.insert(name, def);
    }

    /// Replace `$NAME` and `${NAME}` uses, rescanning the replacement (expansion is recursive).
    /// Returns the line, the further lines of a multi-line definition, and whether anything
    /// changed.
    fn expand(&mut self, m: &MText, ctx: &Ctx) -> (MText, Vec<MText>, Expanded) {
        let mut cur = m.clone();
        let mut extra = Vec::new();
        let mut changed = Expanded::Unchanged;
        let mut i = 0;
        let mut count = 0;
        while let Some(off) = cur.text[i..].find('$') {
            let pos = i + off;
            let Some(r) = self.reference(&cur.text, pos, ctx) else {
                i = pos + 1;
                continue;
            };
            count += 1;
            self.expansions += 1;
            if self.expansions > MAX_TOTAL_EXPANSIONS || self.runaway_reported {
                self.runaway(&ctx.span(cur.col_at(pos)));
                return (cur, Vec::new(), Expanded::Stopped);
            }
            if count > MAX_EXPANSIONS {
                self.diags.push(Diagnostic::error(
                    "syntax-error",
                    &ctx.span(cur.col_at(pos)),
                    "macro expansion does not terminate (a definition refers to itself)",
                ));
                return (cur, extra, Expanded::Stopped);
            }
            if cur.text.len() - (r.end - pos) + r.first.len() >= MAX_LINE {
                self.diags.push(
                    Diagnostic::error(
                        "syntax-error",
                        &ctx.span(cur.col_at(pos)),
                        format!(
                            "expanding this macro makes the line {MAX_LINE} bytes or longer: keepalived stops substituting here and reads the line as expanded so far"
                        ),
                    )
                    .with_help(
                        "a definition that uses itself (`$A=${A}x`) grows without end; otherwise split the line",
                    ),
                );
                return (cur, extra, Expanded::Stopped);
            }
            changed = Expanded::Changed;
            let col = cur.col_at(pos);
            let mut next = cur.slice(0, pos);
            next.push(&MText::synthetic(&r.first, col));
            let tail = cur.slice(r.end, cur.text.len());
            next.push(&tail);
            // Lines of a multi-line definition used inside another expansion come first.
            let more: Vec<MText> = r.rest.iter().map(|l| MText::synthetic(l, col)).collect();
            extra.splice(0..0, more);
            cur = next;
            i = pos;
        }
        (cur, extra, changed)
    }

    /// The definition used at `text[pos]` (a `$`), if any.
    fn reference(&mut self, text: &str, pos: usize, ctx: &Ctx) -> Option<Reference> {
        let b = text.as_bytes();
        let mut p = pos + 1;
        let braces = b.get(p) == Some(&b'{');
        if braces {
            p += 1;
        }
        let name_start = p;
        if !b
            .get(p)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            return None;
        }
        while b
            .get(p)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            p += 1;
        }
        let name = &text[name_start..p];
        let mut params = None;
        let end = if braces {
            let ps = p;
            while b.get(p).is_some_and(|c| *c == b' ' || c.is_ascii_digit()) {
                p += 1;
            }
            if p > ps {
                params = Some(text[ps..p].trim().to_string());
            }
            if b.get(p) != Some(&b'}') {
                return None;
            }
            p + 1
        } else {
            if !matches!(b.get(p), None | Some(b' ' | b'\t' | b',' | b')')) {
                return None;
            }
            p
        };
        let at_end = end == text.len();
        if let Some(def) = self.defs.get(name) {
            if def.multiline && !at_end {
                return None;
            }
            if params.is_some() {
                return None;
            }
            let mut lines = def.lines.iter();
            return Some(Reference {
                first: lines.next().cloned().unwrap_or_default(),
                rest: lines.cloned().collect(),
                end,
            });
        }
        let value = match name {
            "_PWD" => ctx.dir.display().to_string(),
            "_INSTANCE" => self.config_id.clone().unwrap_or_default(),
            "_HASH" => "#".into(),
            "_BANG" => "!".into(),
            "_RANDOM" => {
                let mut it = params
                    .as_deref()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|s| s.parse::<u64>().ok());
                let min = it.next().unwrap_or(0);
                let max = it.next().unwrap_or(32767).max(min);
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                (min + self.rng % (max - min + 1)).to_string()
            }
            _ => return None,
        };
        if params.is_some() && name != "_RANDOM" {
            return None;
        }
        Some(Reference {
            first: value,
            rest: Vec::new(),
            end,
        })
    }

    /// `~SEQ(var, start, step, end) text`, `~SEQx(...)` (hex) and `~LST(var, v1, v2, ...) text`:
    /// the text once per value with `$var` defined.
    fn sequence(&mut self, m: &MText, ctx: &Ctx) {
        let t = &m.text;
        let bad = |me: &mut Self, what: &str| {
            me.diags.push(Diagnostic::error(
                "syntax-error",
                &ctx.span(m.col_at(0)),
                format!("invalid {what} definition `{t}`"),
            ));
        };
        let is_lst = t.starts_with("~LST");
        let mut p = 4;
        let hex = !is_lst && t.as_bytes().get(4) == Some(&b'x');
        if hex {
            p += 1;
        }
        let what = if is_lst { "~LST" } else { "~SEQ" };
        let rest = t[p..].trim_start();
        let Some(inner) = rest.strip_prefix('(') else {
            return bad(self, what);
        };
        let Some(close) = inner.find(')') else {
            return bad(self, what);
        };
        let after_close = t.len() - inner.len() + close + 1;
        let args_text = inner[..close].to_string();
        // Parameters of the sequence may themselves be definitions.
        let args_m = MText::synthetic(&args_text, m.col_at(0));
        let (args_m, _, _) = self.expand(&args_m, ctx);
        let mut args = args_m.text.split(',').map(|s| s.trim().to_string());
        let var = args.next().unwrap_or_default();
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return bad(self, what);
        }
        let body = m.slice(after_close, t.len()).trim_start();
        let values: Vec<String> = if is_lst {
            let vals: Vec<String> = args.collect();
            if vals.is_empty() || vals.iter().any(|v| v.starts_with('{')) {
                self.diags.push(Diagnostic::warning(
                    "syntax-error",
                    &ctx.span(m.col_at(0)),
                    "~LST with tuples is not expanded by vrrpctl; the line is skipped",
                ));
                return;
            }
            vals
        } else {
            let nums: Option<Vec<i64>> = args.map(|a| parse_c_long(&a)).collect();
            let Some(nums) = nums else {
                return bad(self, what);
            };
            let (start, step, end) = match nums.as_slice() {
                [end] => (
                    if *end < 0 { -1 } else { 1 },
                    if *end < 1 { -1 } else { 1 },
                    *end,
                ),
                [s, e] => (*s, if s <= e { 1 } else { -1 }, *e),
                [s, st, e] => (*s, *st, *e),
                _ => return bad(self, what),
            };
            if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                return bad(self, what);
            }
            if hex && (start < 0 || end < 0) {
                return bad(self, what);
            }
            let n = (end - start) / step + 1;
            if n > 1_000_000 {
                return bad(self, what);
            }
            (0..n)
                .map(|k| start + k * step)
                .map(|v| if hex { format!("{v:x}") } else { v.to_string() })
                .collect()
        };
        for v in values {
            self.defs.insert(
                var.clone(),
                Def {
                    lines: vec![v],
                    multiline: false,
                },
            );
            let mut none = None;
            if !body.is_empty() {
                self.logical(body.clone(), ctx, &mut none);
            }
        }
    }

    /// `include GLOB` (and keepalived's checked variants): returns true when the line was one.
    fn include(&mut self, m: &MText, ctx: &Ctx) -> bool {
        if !m.text.contains("include") {
            return false;
        }
        let mut scratch = Vec::new();
        let w = lexer::words(m, &ctx.span(m.col_at(0)), &mut scratch);
        if w.len() < 2
            || !matches!(
                w[0].text.as_str(),
                "include" | "includer" | "includem" | "includew" | "includeb" | "includea"
            )
        {
            return false;
        }
        let span = w[1].span.clone();
        // keepalived's pattern is the rest of the line, words and all (parser.c check_include):
        // `include a.conf // note` matches nothing, silently.
        let rest = m.text.trim_start()[w[0].text.len()..].trim_matches([' ', '\t']);
        let pattern_text = if w.len() == 2 {
            w[1].text.as_str()
        } else {
            rest
        };
        if ctx.depth >= MAX_INCLUDE_DEPTH {
            self.diags.push(Diagnostic::error(
                "syntax-error",
                &span,
                "includes nest too deeply (a file includes itself?)",
            ));
            return true;
        }
        let pattern = {
            let p = Path::new(pattern_text);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                ctx.dir.join(p)
            }
        };
        let mut files = Vec::new();
        for pat in brace_expand(&pattern.to_string_lossy()) {
            match glob::glob(&pat) {
                Ok(paths) => files.extend(paths.filter_map(Result::ok)),
                Err(e) => self.diags.push(Diagnostic::warning(
                    "include-no-match",
                    &span,
                    format!("bad include pattern `{pat}`: {e}"),
                )),
            }
        }
        if files.is_empty() {
            let help = if w.len() > 2 {
                "keepalived takes the rest of the line as one pattern and silently skips it; write only the pattern (comments start with `#` or `!`)"
            } else {
                "keepalived silently skips it; check the path (relative paths start at the including file's directory)"
            };
            self.diags.push(
                Diagnostic::warning(
                    "include-no-match",
                    &span,
                    format!("no file matches `{}`", pattern.display()),
                )
                .with_help(help),
            );
        }
        for f in files {
            if f.is_dir() {
                continue;
            }
            if is_executable(&f) {
                self.diags.push(Diagnostic::warning(
                    "include-no-match",
                    &span,
                    format!(
                        "keepalived skips `{}`: an included config must not be executable",
                        f.display()
                    ),
                ));
                continue;
            }
            match std::fs::read_to_string(&f) {
                Ok(text) => {
                    let mut sub = ctx.clone();
                    sub.depth += 1;
                    self.run_shared(&f, text.into(), sub.depth);
                }
                Err(e) => self.diags.push(Diagnostic::warning(
                    "include-no-match",
                    &span,
                    format!("cannot read included file `{}`: {e}", f.display()),
                )),
            }
        }
        true
    }
}

struct Reference {
    first: String,
    rest: Vec<String>,
    end: usize,
}

/// `$NAME=VALUE` (no blank before `=`; blanks after it are dropped).
fn parse_definition(t: &str) -> Option<(String, &str)> {
    let b = t.as_bytes();
    if !b
        .get(1)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return None;
    }
    let mut p = 2;
    while p < b.len() && b[p] != b'=' {
        if !(b[p].is_ascii_alphanumeric() || b[p] == b'_') {
            return None;
        }
        p += 1;
    }
    if p >= b.len() {
        return None;
    }
    Some((t[1..p].to_string(), t[p + 1..].trim_start()))
}

/// strtol(s, 0): decimal, 0x hex or 0 octal, with a sign.
fn parse_c_long(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        i64::from_str_radix(&s[1..], 8).ok()?
    } else {
        s.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

/// csh-style `{a,b}` expansion (glob(3) with GLOB_BRACE), innermost-first is not needed:
/// the first group is expanded and the results are expanded again.
fn brace_expand(p: &str) -> Vec<String> {
    let Some(open) = p.find('{') else {
        return vec![p.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    for (i, c) in p[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![p.to_string()];
    };
    let inner = &p[open + 1..close];
    let mut alts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                alts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    alts.push(&inner[start..]);
    alts.iter()
        .flat_map(|a| brace_expand(&format!("{}{}{}", &p[..open], a, &p[close + 1..])))
        .collect()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, id: Option<&str>) -> Preprocessor {
        let mut p = Preprocessor::new(id.map(str::to_string));
        p.run_text(Path::new("/x/t.conf"), text, 0);
        p
    }

    #[test]
    fn plain_lines_give_the_items_of_the_general_path() {
        let text = "vrrp_instance VI_1 {\n\tinterface  eth0\n  virtual_ipaddress {\n    192.0.2.1/24 dev eth0\n  }\n}\n{ a } b\n}}\nx{y\n";
        // A comment at the end of each line sends it down the general path; items and spans
        // must not change.
        let commented: String = text.lines().map(|l| format!("{l} # c\n")).collect();
        let (a, b) = (run(text, None), run(&commented, None));
        assert_eq!(a.items, b.items);
        assert_eq!(a.diags.len(), b.diags.len());
        assert_eq!(a.items.len(), 17);
    }

    fn lines(p: &Preprocessor) -> Vec<String> {
        p.items
            .iter()
            .map(|i| match i {
                Item::Open(_) => "{".to_string(),
                Item::Close(_) => "}".to_string(),
                Item::Words(w) => w
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect()
    }

    #[test]
    fn conditionals_follow_the_config_id() {
        let t = "@a priority 1\n@b priority 2\n@^a nopreempt\n";
        assert_eq!(lines(&run(t, Some("a"))), vec!["priority 1"]);
        assert_eq!(lines(&run(t, Some("b"))), vec!["priority 2", "nopreempt"]);
    }

    #[test]
    fn macros_expand_recursively_and_keep_the_use_column() {
        let t = "$IF=eth0\n$DEV=dev $IF\n  192.0.2.1/24 $DEV\n";
        let p = run(t, None);
        assert_eq!(lines(&p), vec!["192.0.2.1/24 dev eth0"]);
        let Item::Words(w) = &p.items[0] else {
            panic!()
        };
        assert_eq!((w[1].span.line, w[1].span.column), (3, 16));
        assert_eq!((w[2].span.line, w[2].span.column), (3, 16));
    }

    #[test]
    fn braces_use_and_undefined_names() {
        let t = "$B=192.0.2\n${B}.1 $NOPE ${B}x\n";
        assert_eq!(lines(&run(t, None)), vec!["192.0.2.1 $NOPE 192.0.2x"]);
    }

    #[test]
    fn multiline_definitions() {
        let t = "$VIPS=\\\n  192.0.2.1 \\\n  192.0.2.2\n\nvirtual_ipaddress {\n  $VIPS\n}\n";
        let p = run(t, None);
        assert_eq!(
            lines(&p),
            vec!["virtual_ipaddress", "{", "192.0.2.1", "192.0.2.2", "}"]
        );
        let Item::Words(w) = &p.items[3] else {
            panic!()
        };
        assert_eq!((w[0].span.line, w[0].span.column), (6, 3));
    }

    /// Found by fuzz/ (config_load): `$BASE=${BASE}F` grew the line by one byte per
    /// expansion, 4096 expansions a round for 64 rounds, and lint ran for minutes. keepalived
    /// stops at its 1024-byte line buffer; so do we, with one error.
    #[test]
    fn a_growing_self_reference_stops_at_keepalived_line_length() {
        let p = run("$BASE=${BASE}F\n${BASE}\n", None);
        assert_eq!(p.diags.len(), 1, "{:?}", p.diags);
        assert!(
            p.diags[0].message.contains("1024 bytes"),
            "{}",
            p.diags[0].message
        );
        assert_eq!((p.diags[0].span.line, p.diags[0].span.column), (2, 1));
        let text = lines(&p).concat();
        assert!(text.len() < MAX_LINE && text.ends_with("FFFF"), "{text}");
    }

    /// Found by fuzz/ (config_load, a stack overflow): the second line of a multi-line
    /// definition uses the definition itself. keepalived 2.2.7 prints its lines forever
    /// (`keepalived -t` hangs); one error here, and the load ends.
    #[test]
    fn a_multiline_definition_that_uses_itself_is_one_error() {
        for t in [
            "$A=x \\\n$A\n\n$A\n",
            "$A=$A \\\n$A\n\n$A\n",
            "$A=y \\\n$B\n\n$B=z \\\n$A\n\n$A\n",
        ] {
            let p = run(t, None);
            assert_eq!(p.diags.len(), 1, "{t:?}: {:?}", p.diags);
            let m = &p.diags[0].message;
            assert!(
                m.contains("without end") || m.contains("does not terminate"),
                "{t:?}: {m}"
            );
            assert!(p.items.len() < 2 * MAX_MULTILINE_LINES, "{t:?}");
        }
        // Nested use that ends is expanded in full.
        let p = run("$B=b1 \\\nb2\n\n$A=a1 \\\n$B\n\n$A\n", None);
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        assert_eq!(lines(&p), vec!["a1", "b1", "b2"]);
    }

    #[test]
    fn a_self_reference_of_the_same_length_is_one_error() {
        for t in ["$A=${A}\nx $A\n", "$A=$A\n$A\n", "$M=\\\n $M\n\n$M\n"] {
            let p = run(t, None);
            assert_eq!(p.diags.len(), 1, "{t:?}: {:?}", p.diags);
            assert!(
                p.diags[0].message.contains("does not terminate"),
                "{t:?}: {:?}",
                p.diags
            );
        }
    }

    #[test]
    fn sequences() {
        let t = "~SEQ(X,10,2,16) 192.0.2.${X}/32\n~SEQx(H, 9, 11) ${H}\n~LST(Y,a,b) l$Y\n";
        let want = [
            "192.0.2.10/32",
            "192.0.2.12/32",
            "192.0.2.14/32",
            "192.0.2.16/32",
            "9",
            "a",
            "b",
            "la",
            "lb",
        ];
        assert_eq!(lines(&run(t, None)), want);
    }

    #[test]
    fn brace_expansion() {
        assert_eq!(
            brace_expand("/a/{x,y}.conf"),
            vec!["/a/x.conf", "/a/y.conf"]
        );
        assert_eq!(brace_expand("/a/*.conf"), vec!["/a/*.conf"]);
    }

    #[test]
    fn trailing_backslash_outside_a_definition_is_an_error() {
        let p = run("priority \\\n 100\n", None);
        assert_eq!(p.diags[0].code, "syntax-error");
        assert_eq!(lines(&p), vec!["priority", "100"]);
    }
}
