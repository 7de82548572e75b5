//! Records the git commit the binaries are built from, for `--version`. Outside a git checkout
//! (a source tarball, `cargo install` from a registry) or without git, it says "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=VRRP_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (a branch switch) and the ref it points to (a commit).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(name) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(r) = git(&["rev-parse", "--git-path", &name]) {
            println!("cargo:rerun-if-changed={r}");
        }
        // Only when it exists: a missing path is always stale to cargo, and a worktree (or a
        // repository never packed) has none, so every build would rebuild the crate.
        if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
            if std::path::Path::new(&packed).exists() {
                println!("cargo:rerun-if-changed={packed}");
            }
        }
    }
    hot_text();
    println!("cargo:rerun-if-changed=build.rs");
}

/// vrrpd's hot functions first in its text (src/bin/vrrpd_hot_text.ld, made by
/// benches/hot_text.sh): a page fault maps the 64 KiB of file pages around the page touched,
/// so hot code spread over the whole text keeps nearly all of it resident. The script only
/// adds an output section before `.text` to the linker's default script (INSERT), which GNU
/// ld and lld understand; a function it does not name is linked as before.
fn hot_text() {
    let script = "src/bin/vrrpd_hot_text.ld";
    println!("cargo:rerun-if-changed={script}");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let path = std::path::Path::new(&dir).join(script);
    if linux_gnu && path.exists() {
        println!("cargo:rustc-link-arg-bin=vrrpd=-Wl,-T,{}", path.display());
    }
    // RELR: the loader reads every relative relocation at start, and packed they are ~2 KB
    // instead of 150 KB of resident file pages (glibc 2.36 and binutils 2.38 or later).
    if linux_gnu {
        println!("cargo:rustc-link-arg-bin=vrrpd=-Wl,-z,pack-relative-relocs");
    }
}
