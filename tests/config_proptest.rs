//! The loader and the linter take any text without panicking (a config file is input).

use proptest::prelude::*;

/// Text made of the characters that matter to the grammar, plus multi-byte ones.
fn config_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "vrrp_instance",
        "VI",
        "{",
        "}",
        "\n",
        " ",
        "\t",
        "\"",
        "'",
        "\\",
        "#",
        "!",
        "$",
        "${",
        "$A=",
        "@",
        "@^",
        "~SEQ(",
        "~LST(",
        ",",
        ")",
        "include",
        "*",
        "1",
        "255",
        "0.5",
        "virtual_ipaddress",
        "192.0.2.1/24",
        "2001:db8::1",
        "priority",
        "state",
        "MASTER",
        "interface",
        "eth0",
        "virtual_router_id",
        "authentication",
        "auth_pass",
        "é",
        "状态",
        "//",
        ";",
        "track_script",
        "vrrp_script",
        "script",
        "unicast_peer",
        "version",
        "3",
    ]);
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn loading_and_linting_never_panics(text in config_text()) {
        let l = vrrp::config::load_str("/nonexistent-dir/k.conf", &text);
        let d = vrrp::lint::lint_loaded(&l, &vrrp::lint::LocalHost);
        for x in l.diagnostics.iter().chain(&d) {
            prop_assert!(x.span.line >= 1);
        }
        let report = vrrp::lint::LintReport {
            files: vec!["/nonexistent-dir/k.conf".into()],
            diagnostics: l.diagnostics.iter().cloned().chain(d).collect(),
            sources: l.sources.clone(),
            ..Default::default()
        };
        let _ = vrrp::lint::render::text(&report, false);
    }
}
