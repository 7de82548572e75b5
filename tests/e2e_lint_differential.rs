//! lint agrees with `keepalived -t` both ways, on a few hundred mutants of the corpus.
//!
//! A seeded generator mutates every config of tests/data/conf/ (deleted, duplicated and swapped
//! lines, out-of-range numbers, typos in every block kind, missing braces, duplicate VRIDs and
//! sync-group members, undefined references, wrong address families, labels, bad auth, missing
//! required keywords, includes of nothing, `//` in values). Each mutant goes through
//! `keepalived -t` and `vrrpctl lint` in a namespace that has the corpus's interfaces, and:
//!
//!   keepalived reports something that makes it refuse or ignore part of the config
//!   <=> lint reports an error;
//!   keepalived reports nothing, or only advisories (it runs the config as written, or with a
//!   documented fix-up) <=> lint reports no error.
//!
//! keepalived's exit status cannot tell the two apart (plain warnings exit 5 too, inventory
//! §2.5), so every line it prints is classified by `KEEPALIVED_MESSAGES` below, read from its
//! source (keepalived/vrrp/vrrp_parser.c, vrrp.c, lib/parser.c). A message the table does not
//! know fails the test: classify it, don't guess. Intended differences are in `ALLOWED`, each
//! with its reason. `LINT_DIFF_VERBOSE=1` prints every mutant's verdicts; `LINT_DIFF_SEED=N` draws other mutants.

#![allow(clippy::ptr_arg)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{corpus_netns, data, require_root, require_tool};

/// What a keepalived message means for the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// keepalived refuses the config or an instance, or ignores a line, a value or a block.
    Error,
    /// It runs the config as written or with a documented fix-up, and says so.
    Advisory,
}
use Class::{Advisory, Error};

/// Every message shape keepalived 2.2.7 printed on the mutants, as a substring, with its class
/// (first match wins).
const KEEPALIVED_MESSAGES: &[(&str, Class)] = &[
    // lib/parser.c: a line, a word or a block is skipped.
    ("Unknown keyword", Error),
    ("Unknown configuration entry", Error),
    ("Unexpected '{' - ignoring", Error),
    ("Extra '}' found", Error),
    ("missing '}'s or extra '{'s", Error),
    ("is missing a parameter after keyword", Error),
    ("outside range", Error),
    ("outside integer range", Error),
    ("negative number", Error),
    ("must be in [", Error),
    ("invalid number", Error),
    ("outside unsigned integer range", Error),
    ("is invalid", Error),
    ("Missing '{' at beginning of configuration block", Error),
    ("already defined", Error),
    // keepalived/vrrp/vrrp_parser.c and vrrp.c: a value, a line, an address, a tracker, an
    // instance or a group is dropped ("ignoring", "removing", "skipping").
    ("unknown state", Error),
    ("unknown authentication type", Error),
    ("does not support authentication. Ignoring", Error),
    (
        "Authentication specified but no password given. Ignoring",
        Error,
    ),
    ("Advert interval", Error),
    ("not valid - must be between", Error),
    ("Priority not valid!", Error),
    ("must be between", Error),
    ("invalid - ignoring", Error),
    ("Invalid retry connection value", Error),
    ("VRRP parsed invalid IP", Error),
    ("Invalid address prefix len", Error),
    ("Unknown interface!", Error),
    ("Version must be either 2 or 3", Error),
    ("address family must match VRRP instance", Error),
    ("MUST be of the same family", Error),
    ("malformed unicast peer address", Error),
    ("Cannot specify label for IPv6 addresses", Error),
    ("No label parameter specified", Error),
    ("is longer than maximum length", Error),
    (
        "trying to assign a broadcast brd to the IPv6 address",
        Error,
    ),
    ("unknown route keyword", Error),
    ("unknown weight option", Error),
    ("Weight already set for track", Error),
    ("tracked interface", Error),
    ("not found, ignoring", Error),
    ("No script set for vrrp_script", Error),
    ("process name not specified", Error),
    ("File already set for track file", Error),
    ("No file set for track_file", Error),
    ("weight option", Error),
    ("with weights due to SYNC group", Error),
    ("with weight", Error),
    ("tracked interface weight due to SYNC group", Error),
    ("cannot exist in more than one sync group", Error),
    ("specified in sync group", Error),
    (
        "no matching virtual router found in group declaration - removing",
        Error,
    ),
    ("has no virtual router(s). removing", Error),
    ("No VIP specified; at least one is required", Error),
    ("both use VRID", Error),
    ("Non-existent interface specified in configuration", Error),
    ("the virtual router id must be set", Error),
    // keepalived/check/: the checker or server is dropped.
    ("checker has no urls specified - ignoring", Error),
    ("url has no path - ignoring", Error),
    ("Invalid HTTP_GET status code", Error),
    ("has no real servers - ignoring", Error),
    // Runs as written, or with a documented fix-up.
    ("No VIP specified; at least one is sensible", Advisory),
    (
        "has only 1 virtual router(s) - this probably isn't what you want",
        Advisory,
    ),
    ("no scheduler set, setting default", Advisory),
    ("no protocol set - defaulting to", Advisory),
    (
        "Initial state master is incompatible with AH authentication - clearing",
        Advisory,
    ),
    ("Truncating auth_pass", Advisory),
    (
        "Defaulting to multicast. This usage is deprecated",
        Advisory,
    ),
    // An include that matches nothing: the rest of the config runs (lint: include-no-match).
    ("Config files missing", Advisory),
    ("must be an integer. rounding", Advisory),
    ("SECURITY VIOLATION", Advisory),
    // vrrp.c reports it as a config error in strict mode, yet runs the instance unchanged.
    ("the first IPv6 VIP address must be link local", Advisory),
];

/// Intended differences, where keepalived refuses or ignores something and lint only warns:
/// (keepalived message, the lint warning that says the same, why it is only a warning). A
/// mutant is excused only when every error keepalived printed is covered here and lint gave
/// the warning.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "doesn't exist",
        "interface-missing",
        "whether an interface exists depends on the host: lint also runs on CI machines and laptops that are not the node, so a missing interface is a warning",
    ),
    (
        "Non-existent interface specified in configuration",
        "interface-missing",
        "the same: keepalived's summary of the missing interfaces above",
    ),
];

struct Rng(u64);

impl Rng {
    /// splitmix64: deterministic across platforms and Rust versions, unlike rand's StdRng.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn join(l: &[String]) -> String {
    let mut s = l.join("\n");
    s.push('\n');
    s
}

fn first_word(l: &str) -> &str {
    l.split_whitespace().next().unwrap_or("")
}

fn is_keyword_line(l: &str) -> bool {
    let w = first_word(l);
    w.len() > 2
        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !l.trim_start().starts_with(['#', '!'])
}

/// Indexes of lines matching `f`.
fn find(l: &[String], f: impl Fn(&str) -> bool) -> Vec<usize> {
    (0..l.len()).filter(|&i| f(&l[i])).collect()
}

/// The line range of the top-level block that starts at `start` (through its closing brace).
fn block_end(l: &[String], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, line) in l.iter().enumerate().skip(start) {
        let code = line.split(['#', '!']).next().unwrap_or("");
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        if depth == 0 && i > start {
            return Some(i);
        }
    }
    None
}

/// Lines inside blocks named `block` (one level of nesting, value lines only).
fn lines_in(l: &[String], block: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for s in find(l, |x| first_word(x) == block && x.contains('{')) {
        if let Some(e) = block_end(l, s) {
            out.extend((s + 1..e).filter(|&i| !l[i].trim().is_empty() && !l[i].contains('}')));
        }
    }
    out
}

/// Every operator has this type (some insert or remove lines), hence `&mut Vec`.
type Op = fn(&mut Vec<String>, &mut Rng) -> Option<()>;

fn op_delete(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&find(l, |x| !x.trim().is_empty()))?;
    l.remove(i);
    Some(())
}

fn op_duplicate(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&find(l, is_keyword_line))?;
    let line = l[i].clone();
    l.insert(i, line);
    Some(())
}

fn op_swap(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    if l.len() < 3 {
        return None;
    }
    let i = r.below(l.len() - 1);
    l.swap(i, i + 1);
    Some(())
}

fn op_number(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let cands = find(l, |x| {
        is_keyword_line(x)
            && x.split_whitespace()
                .nth(1)
                .is_some_and(|w| w.parse::<f64>().is_ok())
    });
    let i = *r.pick(&cands)?;
    let bad = *r.pick(&["0", "256", "-1", "65536", "1.5", "abc", "300", "4294967296"])?;
    let mut words: Vec<&str> = l[i].split_whitespace().collect();
    words[1] = bad;
    let indent: String = l[i].chars().take_while(|c| c.is_whitespace()).collect();
    l[i] = format!("{indent}{}", words.join(" "));
    Some(())
}

fn typo(w: &str, r: &mut Rng) -> String {
    let mut c: Vec<char> = w.chars().collect();
    let i = 1 + r.below(c.len() - 2);
    match r.below(3) {
        0 => c.swap(i, i + 1),
        1 => {
            c.remove(i);
        }
        _ => c.insert(i, c[i]),
    }
    c.into_iter().collect()
}

/// A typo in the keyword of a line of a block kind chosen first, so that every kind the
/// corpus has (global_defs, vrrp_instance, authentication, track and script blocks,
/// virtual_server, real_server, checkers) gets some.
fn op_typo(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let mut by_block: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    for (i, line) in l.iter().enumerate() {
        let code = line.split(['#', '!']).next().unwrap_or("");
        if is_keyword_line(line) && !code.contains('}') {
            let parent = stack.last().cloned().unwrap_or_else(|| "top".into());
            by_block.entry(parent).or_default().push(i);
        }
        for ch in code.chars() {
            match ch {
                '{' => stack.push(first_word(code).to_string()),
                '}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    let blocks: Vec<&Vec<usize>> = by_block.values().collect();
    let block = *r.pick(&blocks)?;
    let i = *r.pick(block)?;
    let w = first_word(&l[i]).to_string();
    if w.len() < 4 {
        return None;
    }
    let t = typo(&w, r);
    l[i] = l[i].replacen(&w, &t, 1);
    Some(())
}

fn op_drop_brace(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&find(l, |x| x.contains('{') || x.contains('}')))?;
    let b = if l[i].contains('}') { "}" } else { "{" };
    l[i] = l[i].replacen(b, "", 1);
    Some(())
}

fn op_extra_brace(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = r.below(l.len() + 1);
    l.insert(i.min(l.len()), "}".into());
    Some(())
}

/// A copy of a vrrp_instance under a new name: the same VRID on the same interface.
fn op_dup_vrid(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let s = *r.pick(&find(l, |x| first_word(x) == "vrrp_instance"))?;
    let e = block_end(l, s)?;
    let mut copy: Vec<String> = l[s..=e].to_vec();
    let name = copy[0].split_whitespace().nth(1)?.to_string();
    copy[0] = copy[0].replacen(&name, &format!("{name}_COPY"), 1);
    // Other VIPs, so only the VRID collides.
    for c in copy.iter_mut() {
        *c = c.replace("192.0.2.", "203.0.113.");
    }
    l.extend(copy);
    Some(())
}

/// A sync-group member listed twice, or in a second group.
fn op_dup_member(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let inst = find(l, |x| first_word(x) == "vrrp_instance");
    let name = l[*r.pick(&inst)?].split_whitespace().nth(1)?.to_string();
    let members = lines_in(l, "group");
    if let (Some(&i), true) = (r.pick(&members), r.below(2) == 0) {
        let line = l[i].clone();
        l.insert(i, line);
    } else {
        let g = if members.is_empty() {
            "VG_DIFF_A"
        } else {
            "VG_DIFF_B"
        };
        l.push(format!(
            "vrrp_sync_group {g} {{\n    group {{\n        {name}\n        {name}\n    }}\n}}"
        ));
    }
    Some(())
}

fn op_undefined_ref(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let mut cands = Vec::new();
    for b in [
        "track_script",
        "track_process",
        "track_file",
        "track_interface",
        "group",
    ] {
        cands.extend(lines_in(l, b));
    }
    if cands.is_empty() {
        // Add a reference to a script that does not exist.
        let i = *r.pick(&find(l, |x| first_word(x) == "vrrp_instance"))?;
        l.insert(
            i + 1,
            "    track_script {\n        chk_nothing\n    }".into(),
        );
        return Some(());
    }
    let i = *r.pick(&cands)?;
    let w = first_word(&l[i]).to_string();
    l[i] = l[i].replacen(&w, &format!("{w}x"), 1);
    Some(())
}

fn op_family(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let mut cands = lines_in(l, "virtual_ipaddress");
    cands.extend(lines_in(l, "unicast_peer"));
    let i = *r.pick(&cands)?;
    let w = first_word(&l[i]).to_string();
    let other = if w.contains(':') {
        "192.0.2.77/24"
    } else {
        "2001:db8::77/64"
    };
    if r.below(2) == 0 {
        l[i] = l[i].replacen(&w, other, 1);
    } else {
        let indent: String = l[i].chars().take_while(|c| c.is_whitespace()).collect();
        l.insert(i + 1, format!("{indent}{other}"));
    }
    Some(())
}

fn op_label(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&lines_in(l, "virtual_ipaddress"))?;
    let lbl = *r.pick(&[
        "label eth0:vip",
        "label bogus",
        "label eth0:a_label_that_is_far_too_long",
        "label",
        "label eth1:x",
    ])?;
    let base = l[i]
        .split(" label ")
        .next()
        .unwrap_or(&l[i])
        .trim_end()
        .to_string();
    l[i] = format!("{base} {lbl}");
    Some(())
}

fn op_auth(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let auth = find(l, |x| matches!(first_word(x), "auth_type" | "auth_pass"));
    match (r.pick(&auth), r.below(4)) {
        (Some(&i), 0) => {
            l.remove(i);
        }
        (Some(&i), 1) => {
            let w = first_word(&l[i]).to_string();
            let v = if w == "auth_type" {
                "XYZ"
            } else {
                "averyverylongpassword"
            };
            l[i] = format!("        {w} {v}");
        }
        (Some(&i), 2) => l[i] = format!("        {}", first_word(&l[i])),
        _ => {
            let i = *r.pick(&find(l, |x| first_word(x) == "vrrp_instance"))?;
            let t = *r.pick(&["PASS", "AH", "NONE"])?;
            l.insert(
                i + 1,
                format!("    authentication {{\n        auth_type {t}\n        auth_pass secret1\n    }}"),
            );
        }
    }
    Some(())
}

fn op_missing_required(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&find(l, |x| {
        matches!(
            first_word(x),
            "virtual_router_id" | "interface" | "script" | "file" | "process" | "auth_pass"
        )
    }))?;
    l.remove(i);
    Some(())
}

fn op_include_nothing(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let inc = *r.pick(&[
        "include /nonexistent/keepalived.d/*.conf",
        "include missing.conf",
        "include",
        "includem nothing-matches-*.conf",
    ])?;
    let i = r.below(l.len() + 1);
    l.insert(i.min(l.len()), inc.into());
    Some(())
}

fn op_slashes(l: &mut Vec<String>, r: &mut Rng) -> Option<()> {
    let i = *r.pick(&find(l, |x| !x.trim().is_empty() && !x.contains('#')))?;
    l[i] = format!("{} // note", l[i]);
    Some(())
}

const OPS: &[(&str, Op)] = &[
    ("delete-line", op_delete),
    ("duplicate-line", op_duplicate),
    ("swap-lines", op_swap),
    ("out-of-range", op_number),
    ("typo", op_typo),
    ("drop-brace", op_drop_brace),
    ("extra-brace", op_extra_brace),
    ("duplicate-vrid", op_dup_vrid),
    ("duplicate-member", op_dup_member),
    ("undefined-reference", op_undefined_ref),
    ("address-family", op_family),
    ("label", op_label),
    ("auth", op_auth),
    ("missing-required", op_missing_required),
    ("include-nothing", op_include_nothing),
    ("slashes", op_slashes),
];

/// Mutants per (operator, corpus file).
const PER_OP: usize = 2;
const SEED: u64 = 0x5eed_2026_1201;

struct Mutant {
    name: String,
    op: &'static str,
    text: String,
}

fn mutants(corpus: &[(String, String)], seed: u64) -> Vec<Mutant> {
    let mut rng = Rng(seed);
    let mut out: Vec<Mutant> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (file, text) in corpus {
        seen.insert(text.clone());
        for (op_name, op) in OPS {
            for k in 0..PER_OP {
                let mut l = lines(text);
                if op(&mut l, &mut rng).is_none() {
                    continue;
                }
                let t = join(&l);
                if seen.insert(t.clone()) {
                    out.push(Mutant {
                        name: format!("{}-{op_name}-{k}.conf", file.trim_end_matches(".conf")),
                        op: op_name,
                        text: t,
                    });
                }
            }
        }
    }
    out
}

struct Verdict {
    keepalived_rc: Option<i32>,
    /// (class, message) per line keepalived printed.
    keepalived: Vec<(Option<Class>, String)>,
    lint_errors: Vec<String>,
    /// Codes of lint's warnings.
    lint_warnings: Vec<String>,
}

impl Verdict {
    fn keepalived_error(&self) -> bool {
        self.keepalived_rc.is_none_or(|rc| rc == 4)
            || self.keepalived.iter().any(|(c, _)| *c == Some(Error))
    }
}

fn classify(line: &str) -> Option<Class> {
    KEEPALIVED_MESSAGES
        .iter()
        .find(|(p, _)| line.contains(p))
        .map(|(_, c)| *c)
}

/// Run `cmd` in the namespace, killed after `limit` (keepalived 2.2.7 can hang on some
/// configs); None for the exit code when it was killed.
fn run_limited(ns: &str, cmd: &[&str], limit: Duration) -> (Option<i32>, String, String) {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(_st) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            return (
                None,
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn judge(ns: &str, vrrpctl: &Path, file: &Path) -> Verdict {
    let f = file.to_str().unwrap();
    let (rc, _, err) = run_limited(
        ns,
        &["keepalived", "-t", "-f", f, "-i", "lb1"],
        Duration::from_secs(10),
    );
    let keepalived = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| (classify(l), l.to_string()))
        .collect();
    let (_, out, lint_err) = run_limited(
        ns,
        &[vrrpctl.to_str().unwrap(), "lint", "--json", "-i", "lb1", f],
        Duration::from_secs(10),
    );
    let json: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("lint --json {f}: {e}: {out} {lint_err}"));
    let lint_errors = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{}:{} {}", d["line"], d["code"], d["message"]))
        .collect();
    let lint_warnings = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "warning")
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    Verdict {
        keepalived_rc: rc,
        keepalived,
        lint_errors,
        lint_warnings,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn lint_errors_iff_keepalived_refuses_or_ignores() {
    if !require_root() || !require_tool("keepalived") {
        return;
    }
    let ns = corpus_netns("ldiff");

    let mut corpus: Vec<(String, String)> = std::fs::read_dir(data("conf"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    corpus.sort();
    // LINT_DIFF_SEED=N explores other mutants; CI runs the fixed seed.
    let seed = std::env::var("LINT_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let all = mutants(&corpus, seed);
    assert!(all.len() >= 300, "only {} mutants", all.len());

    // The mutants live beside a copy of the corpus, so relative includes still resolve.
    let dir = common::tempdir();
    copy_dir(&data("conf"), dir.path());
    let paths: Vec<PathBuf> = all
        .iter()
        .map(|m| {
            let p = dir.path().join(&m.name);
            std::fs::write(&p, &m.text).unwrap();
            p
        })
        .collect();

    let vrrpctl = common::bin("vrrpctl");
    let next = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<Option<Verdict>>> = Mutex::new((0..all.len()).map(|_| None).collect());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= paths.len() {
                    return;
                }
                let v = judge(&ns.name, &vrrpctl, &paths[i]);
                verdicts.lock().unwrap()[i] = Some(v);
            });
        }
    });
    let elapsed = started.elapsed();
    let verdicts: Vec<Verdict> = verdicts
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();

    let verbose = std::env::var_os("LINT_DIFF_VERBOSE").is_some();
    let mut unknown = std::collections::BTreeSet::new();
    let mut disagree = Vec::new();
    let mut allowed = Vec::new();
    let mut per_op: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let (mut both_err, mut both_ok) = (0, 0);
    for (m, v) in all.iter().zip(&verdicts) {
        for (c, line) in &v.keepalived {
            if c.is_none() {
                unknown.insert(line.replace(&dir.path().display().to_string(), "DIR"));
            }
        }
        let k = v.keepalived_error();
        let l = !v.lint_errors.is_empty();
        let entry = per_op.entry(m.op).or_default();
        entry.0 += 1;
        let report = format!(
            "{}: keepalived rc {:?} {}: {:?}\n    lint errors: {:?}",
            m.name,
            v.keepalived_rc,
            if k { "ERROR" } else { "ok" },
            v.keepalived
                .iter()
                .map(|(c, l)| format!("{c:?} {l}"))
                .collect::<Vec<_>>(),
            v.lint_errors
        );
        if verbose {
            eprintln!("{report}");
        }
        if k == l {
            entry.1 += 1;
            if k {
                both_err += 1;
            } else {
                both_ok += 1;
            }
            continue;
        }
        let errors: Vec<&String> = v
            .keepalived
            .iter()
            .filter(|(c, _)| *c == Some(Error))
            .map(|(_, l)| l)
            .collect();
        let excuse = |line: &String| {
            ALLOWED.iter().find(|(pat, code, _)| {
                line.contains(pat) && v.lint_warnings.iter().any(|w| w == code)
            })
        };
        let why: Option<Vec<&str>> = (k && !l && !errors.is_empty())
            .then(|| errors.iter().map(|e| excuse(e).map(|a| a.2)).collect())
            .flatten();
        match why {
            Some(reasons) => {
                entry.2 += 1;
                allowed.push(format!("{report}\n    allowed: {}", reasons[0]));
            }
            None => disagree.push(format!("{report}\n    text:\n{}", m.text)),
        }
    }
    eprintln!(
        "{} mutants of {} configs in {:.1} s (4 threads): {} agree ({both_err} both error, {both_ok} both clean), {} allowed differences, {} disagree",
        all.len(),
        corpus.len(),
        elapsed.as_secs_f64(),
        both_err + both_ok,
        allowed.len(),
        disagree.len()
    );
    for (op, (n, agree, allow)) in &per_op {
        eprintln!("  {op:<22} {n:>4} mutants, {agree:>4} agree, {allow} allowed");
    }
    for a in &allowed {
        eprintln!("{a}");
    }
    assert!(
        unknown.is_empty(),
        "keepalived said things KEEPALIVED_MESSAGES does not classify:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(
        disagree.is_empty(),
        "{} of {} mutants disagree:\n{}",
        disagree.len(),
        all.len(),
        disagree.join("\n")
    );
}
