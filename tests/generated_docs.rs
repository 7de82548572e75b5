//! completions/ and man/ are generated from the clap tree; this test fails when the checked-in
//! copies are stale. Regenerate with `UPDATE_GENERATED=1 cargo test --test generated_docs`.

use std::path::Path;

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        vrrp::cli::docs::generate_all(&root.join("completions"), &root.join("man")).unwrap();
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (c, m) = (tmp.path().join("completions"), tmp.path().join("man"));
    vrrp::cli::docs::generate_all(&c, &m).unwrap();
    for (dir, checked_in) in [(&c, root.join("completions")), (&m, root.join("man"))] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let fresh = std::fs::read(entry.path()).unwrap();
            let old = std::fs::read(checked_in.join(entry.file_name())).unwrap_or_default();
            assert!(
                fresh == old,
                "{} is stale: run UPDATE_GENERATED=1 cargo test --test generated_docs",
                checked_in.join(entry.file_name()).display()
            );
        }
    }
}
