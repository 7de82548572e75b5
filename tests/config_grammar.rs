//! keepalived's grammar, one feature at a time, with the exact file:line:column of the words
//! that come out of it.

use vrrp::config::{load_str, load_str_with, KeywordTree, LoadOptions, Node};

fn tree(text: &str) -> KeywordTree {
    let l = load_str("/etc/keepalived/t.conf", text);
    l.tree
}

/// (text, line, column) of every word of the line.
fn words(n: &Node) -> Vec<(String, u32, u32)> {
    n.words()
        .map(|w| (w.text.clone(), w.span.line, w.span.column))
        .collect()
}

fn w(t: &str, l: u32, c: u32) -> (String, u32, u32) {
    (t.to_string(), l, c)
}

#[test]
fn comments_with_hash_and_bang() {
    let t = tree("! header\n# another\nglobal_defs { # c\n  router_id r1 ! trailing\n}\n");
    assert_eq!(t.nodes.len(), 1);
    assert_eq!(
        words(&t.nodes[0].children()[0]),
        vec![w("router_id", 4, 3), w("r1", 4, 13)]
    );
}

#[test]
fn quoted_strings_keep_blanks_and_comment_marks() {
    let t = tree("vrrp_script s {\n\tscript \"/bin/sh -c 'exit 0' # not a comment\"\n}\n");
    assert_eq!(
        words(&t.nodes[0].children()[0]),
        vec![
            w("script", 2, 2),
            w("/bin/sh -c 'exit 0' # not a comment", 2, 9)
        ]
    );
}

#[test]
fn blocks_with_braces_anywhere() {
    let t = tree("vrrp_instance A\n{\n  virtual_ipaddress { 192.0.2.1/24 }\n  authentication {\n    auth_type PASS }\n}\n");
    let a = &t.nodes[0];
    let b = a.block.as_ref().unwrap();
    assert_eq!((b.open.line, b.open.column), (2, 1));
    let vip = &a.children()[0];
    assert_eq!(words(&vip.children()[0]), vec![w("192.0.2.1/24", 3, 23)]);
    let close = vip.block.as_ref().unwrap().close.clone().unwrap();
    assert_eq!((close.line, close.column), (3, 36));
    assert_eq!(
        words(&a.children()[1].children()[0]),
        vec![w("auth_type", 5, 5), w("PASS", 5, 15)]
    );
}

#[test]
fn include_globs_relative_to_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(
        dir.path().join("d/1.conf"),
        "# one\n  vrrp_script one {\n  script /bin/true\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d/2.conf"),
        "vrrp_script two {\n  script /bin/true\n}\n",
    )
    .unwrap();
    let top = dir.path().join("keepalived.conf");
    std::fs::write(
        &top,
        "include d/*.conf\nvrrp_script three {\n script /bin/true\n}\n",
    )
    .unwrap();
    let l = vrrp::config::load(&top).unwrap();
    let spans: Vec<_> = l
        .tree
        .nodes
        .iter()
        .map(|n| {
            (
                n.args[0].text.clone(),
                n.span().file.to_path_buf(),
                n.span().line,
                n.span().column,
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            ("one".into(), dir.path().join("d/1.conf"), 2, 3),
            ("two".into(), dir.path().join("d/2.conf"), 1, 1),
            ("three".into(), top.clone(), 2, 1),
        ]
    );
}

#[test]
fn conditional_lines() {
    let text = "global_defs {\n@lb1 router_id one\n@^lb1 router_id other\n}\n";
    let id = |s: &str| LoadOptions {
        config_id: Some(s.into()),
    };
    let l = load_str_with("/t.conf", text, &id("lb1"));
    assert_eq!(
        words(&l.tree.nodes[0].children()[0]),
        vec![w("router_id", 2, 6), w("one", 2, 16)]
    );
    let l = load_str_with("/t.conf", text, &id("lb2"));
    assert_eq!(
        words(&l.tree.nodes[0].children()[0]),
        vec![w("router_id", 3, 7), w("other", 3, 17)]
    );
    assert_eq!(l.config.global.router_id.as_deref(), Some("other"));
}

#[test]
fn macros_simple_braced_and_multiline() {
    let text = "$NET=192.0.2\n$LINE=\\\n  ${NET}.1 \\\n  ${NET}.2 dev $IF\n$IF=eth0\nvirtual_ipaddress {\n    $LINE\n    ${NET}.3\n}\n";
    let t = tree(text);
    let c = t.nodes[0].children();
    assert_eq!(words(&c[0]), vec![w("192.0.2.1", 7, 5)]);
    assert_eq!(
        words(&c[1]),
        vec![w("192.0.2.2", 7, 5), w("dev", 7, 5), w("eth0", 7, 5)]
    );
    assert_eq!(words(&c[2]), vec![w("192.0.2.3", 8, 5)]);
}

#[test]
fn sequences_repeat_a_line() {
    // `$N/` is not a use (keepalived needs a blank, `,`, `)` or the line end after the name);
    // `${N}` is.
    let t = tree("virtual_ipaddress {\n  ~SEQ(N, 1, 3) 192.0.2.${N}/24 label eth0:$N\n}\n");
    let got: Vec<_> = t.nodes[0].children().iter().map(words).collect();
    assert_eq!(
        got,
        vec![
            vec![
                w("192.0.2.1/24", 2, 17),
                w("label", 2, 33),
                w("eth0:1", 2, 39)
            ],
            vec![
                w("192.0.2.2/24", 2, 17),
                w("label", 2, 33),
                w("eth0:2", 2, 39)
            ],
            vec![
                w("192.0.2.3/24", 2, 17),
                w("label", 2, 33),
                w("eth0:3", 2, 39)
            ],
        ]
    );
}

#[test]
fn line_continuation_only_in_definitions() {
    let l = load_str("/t.conf", "vrrp_instance A {\n  priority \\\n   100\n}\n");
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.code == "syntax-error" && d.span.line == 2 && d.span.column == 12));
}

#[test]
fn escapes_and_single_quotes() {
    let t = tree("notify 'a b'\\x41 \"c\\\"d\"\n");
    assert_eq!(
        words(&t.nodes[0]),
        vec![w("notify", 1, 1), w("a bA", 1, 8), w("c\"d", 1, 18)]
    );
}

#[test]
fn predefined_definitions() {
    let t = tree("x ${_HASH}y ${_BANG} ${_PWD}\n");
    assert_eq!(
        words(&t.nodes[0]),
        vec![
            w("x", 1, 1),
            w("#y", 1, 3),
            w("!", 1, 13),
            w("/etc/keepalived", 1, 22)
        ]
    );
}

/// keepalived takes the rest of an include line as one pattern: `include d/*.conf // note`
/// matches nothing and is skipped in silence (keepalived -t exits 0), so lint warns, as for any
/// include of nothing, instead of calling `include` an unknown keyword.
#[test]
fn include_with_trailing_words_is_one_pattern() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(
        dir.path().join("d/1.conf"),
        "vrrp_script one {\n  script /bin/true\n}\n",
    )
    .unwrap();
    let top = dir.path().join("keepalived.conf");
    std::fs::write(&top, "include d/*.conf // note\n").unwrap();
    let l = vrrp::config::load(&top).unwrap();
    assert!(l.tree.nodes.is_empty(), "{:?}", l.tree.nodes);
    let codes: Vec<_> = l.diagnostics.iter().map(|d| (d.code, d.severity)).collect();
    assert_eq!(
        codes,
        vec![("include-no-match", vrrp::config::Severity::Warning)]
    );
}
