//! The per-file rules, one function each, with their stable ids. A rule reads the typed model
//! for meaning and the keyword tree for where to point.

mod host;
mod instance;
mod lvs;
mod refs;
mod scripts;
mod syntax;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::config::model::{Span, VrrpInstance};
use crate::config::{Diagnostic, Loaded, Node};

use super::host::Host;

/// What every rule sees.
pub(crate) struct Cx<'a> {
    pub loaded: &'a Loaded,
    pub host: &'a dyn Host,
    /// Top-level nodes by the span of their keyword (model items keep that span).
    top: HashMap<SpanKey, &'a Node, BuildHasherDefault<KeyHasher>>,
    /// The global_defs blocks, in order (rules ask for globals once per instance).
    globals: Vec<&'a Node>,
}

impl<'a> Cx<'a> {
    pub fn new(loaded: &'a Loaded, host: &'a dyn Host) -> Self {
        let top = loaded
            .tree
            .nodes
            .iter()
            .map(|n| (key(n.span()), n))
            .collect();
        let globals = loaded
            .tree
            .nodes
            .iter()
            .filter(|n| n.name() == "global_defs")
            .collect();
        Cx {
            loaded,
            host,
            top,
            globals,
        }
    }

    /// The top-level block a model item (instance, script, group) was read from.
    pub fn top_node(&self, span: &Span) -> Option<&'a Node> {
        self.top.get(&key(span)).copied()
    }

    /// The `vrrp_instance` node of `inst`.
    pub fn node_of(&self, inst: &VrrpInstance) -> Option<&'a Node> {
        self.top_node(&inst.span)
    }

    /// The last `name` line inside the block of `inst` (the one keepalived keeps).
    pub fn kw(&self, inst: &VrrpInstance, name: &str) -> Option<&'a Node> {
        self.node_of(inst).and_then(|n| child(n, name))
    }

    /// The last `name` line in any global_defs block.
    pub fn global_kw(&self, name: &str) -> Option<&'a Node> {
        self.globals
            .iter()
            .filter_map(|n| child(n, name))
            .next_back()
    }
}

/// All spans of one file share one `Arc` of its name, so its address stands for the file and
/// the key hashes three integers instead of a path.
type SpanKey = (usize, u32, u32);

/// The keys are three small integers: a multiply-xor hash beats SipHash here, and the map is
/// never fed by anything an attacker chooses beyond the config being linted.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

fn key(s: &Span) -> SpanKey {
    (
        std::sync::Arc::as_ptr(&s.file) as *const u8 as usize,
        s.line,
        s.column,
    )
}

pub(crate) fn child<'n>(n: &'n Node, name: &str) -> Option<&'n Node> {
    n.children().iter().rev().find(|c| c.name() == name)
}

pub(crate) type Rule = fn(&Cx, &mut Vec<Diagnostic>);

/// Every per-file rule with the id(s) it reports.
pub(crate) const RULES: &[(&str, Rule)] = &[
    ("unknown-keyword", syntax::unknown_keyword),
    ("not-a-comment", syntax::not_a_comment),
    ("deprecated-keyword", syntax::deprecated_keyword),
    ("missing-required", instance::missing_required),
    ("duplicate-vrid", instance::duplicate_vrid),
    ("auth-pass-truncated", instance::auth_pass_truncated),
    ("nopreempt-needs-backup", instance::nopreempt_needs_backup),
    ("v2-subsecond-advert", instance::v2_subsecond_advert),
    ("ipv6-needs-v3", instance::ipv6_needs_v3),
    ("too-many-vips", instance::too_many_vips),
    ("strict-mode-conflict", instance::strict_mode_conflict),
    ("mcast-group-nondefault", instance::mcast_group_nondefault),
    ("unicast-self-peer", instance::unicast_self_peer),
    ("unicast-without-peers", instance::unicast_without_peers),
    ("no-vips", instance::no_vips),
    ("auth-ignored", instance::auth_ignored),
    ("undefined-reference", refs::undefined_reference),
    ("duplicate-sync-member", refs::duplicate_sync_member),
    ("sync-group-drops-weight", refs::sync_group_drops_weight),
    ("script-not-absolute", scripts::script_not_absolute),
    ("unsafe-script", scripts::unsafe_script),
    ("script-security", scripts::script_security),
    // The LVS side: invalid-value for numbers, missing-required for blocks keepalived drops.
    ("invalid-value", lvs::lvs_values),
    ("interface-missing", host::interface_missing),
    ("priority-owner", host::priority_owner),
    ("vip-is-interface-address", host::vip_is_interface_address),
];

/// "did you mean `x`?" for the closest of `candidates`, when one is close enough.
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let limit = (word.chars().count() / 3).clamp(1, 4);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let close = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    // A name cut short or extended (chk_http for chk_http_port) is a typo too.
    let partial = || {
        candidates
            .iter()
            .filter(|c| word.len() >= 3 && (c.starts_with(word) || word.starts_with(**c)))
            .min_by_key(|c| c.len().abs_diff(word.len()))
            .copied()
    };
    close
        .or_else(partial)
        .map(|c| format!("did you mean `{c}`?"))
}
