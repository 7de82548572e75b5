//! The keyword tree: every keyword line with its arguments and its `{ ... }` block, exactly as
//! written (after preprocessing), with spans. Nothing here knows what a keyword means; the
//! model builder and the linter read the tree.

use super::diag::Diagnostic;
use super::lexer::Word;
use super::model::Span;
use super::preprocess::Item;

/// A keyword line: `keyword args... [{ children }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub keyword: Word,
    pub args: Vec<Word>,
    /// Boxed: most lines have no block, and a large config has 100,000s of lines.
    pub block: Option<Box<Block>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Where the `{` is.
    pub open: Span,
    /// Where the `}` is; None when the file ended first.
    pub close: Option<Span>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.keyword.text
    }
    pub fn span(&self) -> &Span {
        &self.keyword.span
    }
    pub fn arg(&self, i: usize) -> Option<&Word> {
        self.args.get(i)
    }
    pub fn children(&self) -> &[Node] {
        self.block
            .as_ref()
            .map(|b| b.children.as_slice())
            .unwrap_or(&[])
    }
    /// The whole line as words (keyword first), for list blocks like virtual_ipaddress whose
    /// lines are values rather than keywords.
    pub fn words(&self) -> impl Iterator<Item = &Word> {
        std::iter::once(&self.keyword).chain(self.args.iter())
    }
}

/// The top-level keywords of all files read, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeywordTree {
    pub nodes: Vec<Node>,
}

impl KeywordTree {
    /// Depth-first walk with the path of enclosing keyword names.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&[&'a Node], &'a Node)) {
        fn go<'a>(n: &'a Node, path: &mut Vec<&'a Node>, f: &mut dyn FnMut(&[&'a Node], &'a Node)) {
            f(path, n);
            path.push(n);
            for c in n.children() {
                go(c, path, f);
            }
            path.pop();
        }
        let mut path = Vec::new();
        for n in &self.nodes {
            go(n, &mut path, f);
        }
    }
}

struct Frame {
    node: Option<Node>,
    open: Span,
    children: Vec<Node>,
}

/// Build the tree; brace errors become `syntax-error` diagnostics and the tree is repaired the
/// way keepalived reads on (an unexpected `{` is ignored, an extra `}` is dropped, blocks still
/// open at the end are closed).
pub(crate) fn build(items: Vec<Item>, diags: &mut Vec<Diagnostic>) -> KeywordTree {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Vec<Node> = Vec::new();
    // True when the last item was a keyword line that a following `{` may open.
    let mut can_open = false;
    for item in items {
        let children = match stack.last_mut() {
            Some(f) => &mut f.children,
            None => &mut root,
        };
        match item {
            Item::Words(mut w) => {
                let keyword = w.remove(0);
                // The lexer's spare capacity would stay for the life of the tree (a 10,000-
                // instance config has 100,000 lines).
                w.shrink_to_fit();
                children.push(Node {
                    keyword,
                    args: w,
                    block: None,
                });
                can_open = true;
            }
            Item::Open(span) => {
                let owner = if can_open { children.pop() } else { None };
                if owner.is_none() {
                    diags.push(
                        Diagnostic::error("syntax-error", &span, "unexpected `{`")
                            .with_help("a `{` must follow a keyword that opens a block"),
                    );
                }
                stack.push(Frame {
                    node: owner,
                    open: span,
                    children: Vec::new(),
                });
                can_open = false;
            }
            Item::Close(span) => {
                can_open = false;
                match stack.pop() {
                    Some(frame) => close(frame, Some(span), &mut stack, &mut root),
                    None => diags.push(Diagnostic::error(
                        "syntax-error",
                        &span,
                        "extra `}` with no block to close",
                    )),
                }
            }
        }
    }
    while let Some(frame) = stack.pop() {
        let at = frame
            .node
            .as_ref()
            .map(|n| n.keyword.span.clone())
            .unwrap_or_else(|| frame.open.clone());
        let what = frame
            .node
            .as_ref()
            .map(|n| format!("`{}`", n.keyword.text))
            .unwrap_or_else(|| "this".into());
        diags.push(
            Diagnostic::error(
                "syntax-error",
                &at,
                format!("the block of {what} is never closed: missing `}}`"),
            )
            .with_help("add the `}` that ends this block"),
        );
        close(frame, None, &mut stack, &mut root);
    }
    KeywordTree { nodes: root }
}

fn close(frame: Frame, close: Option<Span>, stack: &mut [Frame], root: &mut Vec<Node>) {
    let parent = match stack.last_mut() {
        Some(f) => &mut f.children,
        None => root,
    };
    match frame.node {
        Some(mut n) => {
            let mut children = frame.children;
            children.shrink_to_fit();
            n.block = Some(Box::new(Block {
                open: frame.open,
                close,
                children,
            }));
            parent.push(n);
        }
        // An unexpected `{`: its lines belong to the enclosing level.
        None => parent.extend(frame.children),
    }
}

#[cfg(test)]
mod tests {
    use super::super::preprocess::Preprocessor;
    use super::*;
    use std::path::Path;

    fn tree(t: &str) -> (KeywordTree, Vec<Diagnostic>) {
        let mut p = Preprocessor::new(None);
        p.run_text(Path::new("t.conf"), t, 0);
        let mut d = p.diags;
        let tr = build(p.items, &mut d);
        (tr, d)
    }

    #[test]
    fn blocks_nest_with_brace_on_either_line() {
        let (t, d) = tree("vrrp_instance VI_1\n{\n  authentication {\n auth_type PASS\n }\n}\n");
        assert!(d.is_empty());
        assert_eq!(t.nodes.len(), 1);
        let vi = &t.nodes[0];
        assert_eq!(vi.args[0].text, "VI_1");
        let b = vi.block.as_ref().unwrap();
        assert_eq!((b.open.line, b.open.column), (2, 1));
        assert_eq!(b.close.as_ref().map(|s| s.line), Some(6));
        assert_eq!(vi.children()[0].children()[0].args[0].text, "PASS");
    }

    #[test]
    fn brace_errors() {
        let (t, d) = tree("}\na {\n b\n");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].span.line, d[0].span.column), (1, 1));
        assert!(d[1].message.contains("never closed"));
        assert_eq!(t.nodes[0].children()[0].name(), "b");
        let (_, d) = tree("a\nb\n\n{\n}\n{\n}\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].span.line, 6);
    }
}
