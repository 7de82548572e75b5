//! Where `vrrpctl lint`'s memory goes: a counting global allocator (over the system one) prints
//! the live and peak heap after each stage of linting one file, and how much of what stays live
//! is the keyword tree, the model, the source text and the diagnostics.
//!
//!   cargo run --release --example lint_mem -- FILE
//!
//! benches/lint_bench.sh prints the whole process's peak RSS beside keepalived's; this says
//! which structure to shrink.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let v = LIVE.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(v, Relaxed);
        ALLOCS.fetch_add(1, Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_sub(l.size(), Relaxed);
        let v = LIVE.fetch_add(new, Relaxed) + new;
        PEAK.fetch_max(v, Relaxed);
        ALLOCS.fetch_add(1, Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn kib(v: usize) -> usize {
    v / 1024
}

fn mark(stage: &str) {
    println!(
        "{stage:34} live {:7} KiB  peak {:7} KiB  allocations {:8}",
        kib(LIVE.load(Relaxed)),
        kib(PEAK.load(Relaxed)),
        ALLOCS.load(Relaxed)
    );
}

/// Drop `v` and print how much live heap it held.
fn weigh<T>(what: &str, v: T) {
    let before = LIVE.load(Relaxed);
    drop(v);
    println!(
        "  {what:32} {:7} KiB",
        kib(before.saturating_sub(LIVE.load(Relaxed)))
    );
}

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: lint_mem FILE");
        return std::process::ExitCode::from(2);
    };
    println!(
        "sizes: Word {} Node {} Span {} Diagnostic {} VrrpInstance {} VirtualIp {}",
        std::mem::size_of::<vrrp::config::Word>(),
        std::mem::size_of::<vrrp::config::Node>(),
        std::mem::size_of::<vrrp::config::model::Span>(),
        std::mem::size_of::<vrrp::config::Diagnostic>(),
        std::mem::size_of::<vrrp::config::model::VrrpInstance>(),
        std::mem::size_of::<vrrp::config::model::VirtualIp>(),
    );
    mark("start");
    let report = vrrp::lint::lint_files(std::slice::from_ref(&path));
    mark("lint_files (what vrrpctl lint runs)");
    if let Some(e) = report.unreadable.first() {
        eprintln!("{e}");
        return std::process::ExitCode::from(2);
    }
    println!(
        "{} diagnostics; live heap by part:",
        report.diagnostics.len()
    );
    let vrrp::lint::LintReport {
        configs,
        diagnostics,
        sources,
        ..
    } = report;
    weigh("diagnostics", diagnostics);
    weigh("report's copy of the sources", sources);
    for loaded in configs {
        let vrrp::config::Loaded {
            config,
            tree,
            diagnostics,
            sources,
            ..
        } = loaded;
        weigh("keyword tree", tree);
        weigh("model (config::model::Config)", config);
        weigh("loader's diagnostics", diagnostics);
        weigh("loader's sources", sources);
    }
    mark("all dropped");
    std::process::ExitCode::SUCCESS
}
