//! keepalived is the referee: every corpus config that `keepalived -t` accepts must get no lint
//! error from us. Both run in a namespace with the interfaces the corpus names (eth0, eth1), so
//! the verdicts do not depend on the host's interfaces.

mod common;

use common::{corpus_netns, data, require_root, require_tool};

#[test]
fn keepalived_accepts_implies_no_lint_error() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ns = corpus_netns("lint");

    let mut corpus: Vec<_> = std::fs::read_dir(data("conf"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    corpus.sort();
    assert!(!corpus.is_empty());

    let vrrpctl = common::bin("vrrpctl");
    let mut accepted = 0;
    let mut failures = Vec::new();
    for conf in &corpus {
        let path = conf.to_str().unwrap();
        // keepalived -t: 0 accepted, 4/5/6 rejected (inventory §2.5).
        let k = ns.try_exec(&["keepalived", "-t", "-f", path, "-i", "lb1"]);
        let rc = k.status.code().unwrap_or(-1);
        assert!(
            matches!(rc, 0 | 4 | 5 | 6),
            "keepalived -t {path}: unexpected rc {rc}"
        );
        let ours = ns.try_exec(&[
            vrrpctl.to_str().unwrap(),
            "lint",
            "--json",
            "-i",
            "lb1",
            path,
        ]);
        let our_rc = ours.status.code().unwrap_or(-1);
        let json: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap_or_else(|e| {
            panic!(
                "lint --json {path}: {e}: {}",
                String::from_utf8_lossy(&ours.stdout)
            )
        });
        let errors: Vec<String> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| {
                format!(
                    "{}:{} {} {}",
                    d["line"], d["column"], d["code"], d["message"]
                )
            })
            .collect();
        assert_eq!(
            our_rc == 1,
            !errors.is_empty(),
            "{path}: exit code {our_rc} vs errors {errors:?}"
        );
        if rc == 0 {
            accepted += 1;
            if !errors.is_empty() {
                failures.push(format!(
                    "{path}: keepalived accepts it, lint says {errors:?}"
                ));
            }
        } else if errors.is_empty() {
            eprintln!(
                "note: keepalived rejects {path} (rc {rc}) and lint has only warnings: {}",
                String::from_utf8_lossy(&k.stderr)
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The namespace has the corpus's interfaces, so the clean configs must pass keepalived too;
    // if none do, the environment is broken and the test above proved nothing.
    assert!(
        accepted * 2 >= corpus.len(),
        "keepalived accepted only {accepted} of {} configs",
        corpus.len()
    );
}
