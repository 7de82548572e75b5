//! The nftables table vrrpd writes, as keepalived 2.2.7 writes it (vrrp_nftables.c): one table
//! per family (`keepalived`, or global_defs' `nftables TABLE`) holding
//! - the VIP filter: while a master that is not the address owner runs without Accept_Mode
//!   (RFC 5798 §6.1: `no_accept`, the default under `vrrp_strict`), traffic to and from its VIPs
//!   is dropped (`in` / `out` chains, sets `vips`, and for IPv6 link-local VIPs
//!   `vips_link_local` (address . ifindex) or `vips_link_local_name` (address . ifname, with
//!   dont_track_primary unless nftables_ifindex); neighbour discovery stays allowed);
//! - the VMAC rules: IGMP / MLD reports leaving a VMAC are duplicated to its base interface and
//!   dropped (a switch must not learn the virtual MAC from them), router solicitations from a
//!   VMAC are dropped (map `vmac_map`, set `vmac_set`).
//!
//! Nothing exists until it is needed, in keepalived's order: the table and its `out` chain
//! with the first VMAC or filtered VIP of a family, the VIP chains and sets with the first VIP,
//! the link-local sets with the first link-local VIP; elements come and go with the VIPs
//! (becoming master adds them, leaving master removes them, the structure stays); the tables
//! are deleted at stop. Chains have priority `nftables_priority` (default -1), every rule a
//! counter with `nftables_counters`. Measured on keepalived 2.2.7 (tests/e2e_nftables.rs
//! compares both rulesets state by state).
//!
//! keepalived 2.2.7 as a vrrp_strict master of 192.0.2.100 and of 2001:db8::100 + fe80::100
//! (measured; nothing at all before the first MASTER, the sets emptied in BACKUP):
//!
//! ```text
//! table ip keepalived {
//!     set vips { type ipv4_addr; elements = { 192.0.2.100 } }
//!     chain out { type filter hook output priority filter - 1; policy accept;
//!         ip saddr @vips drop }
//!     chain in { type filter hook input priority filter - 1; policy accept;
//!         ip daddr @vips drop }
//! }
//! table ip6 keepalived {
//!     set vips { type ipv6_addr; elements = { 2001:db8::100 } }
//!     set neighbor-discovery { type icmpv6_type; flags constant;
//!         elements = { nd-neighbor-solicit, nd-neighbor-advert } }
//!     set vips_link_local { type ipv6_addr . iface_index; elements = { fe80::100 . "eth0" } }
//!     chain out { ...output...; icmpv6 type @neighbor-discovery accept
//!         ip6 saddr fe80::/10 goto out_link_local
//!         ip6 saddr @vips drop }
//!     chain in { ...input...; (the same with daddr / in_link_local) }
//!     chain in_link_local { ip6 daddr . iif @vips_link_local drop }
//!     chain out_link_local { ip6 saddr . oif @vips_link_local drop }
//! }
//! ```
//!
//! Unlike keepalived, which deletes a table left by a run that died (SIGKILL) only when it first
//! needs its own, vrrpd deletes it at start: until then a leftover `in` chain would drop
//! traffic to VIPs this run may hold in accept mode.
//!
//! Writes go through `nft -f -` (one atomic transaction per batch) on a thread of its own, fed
//! by the event loop over a channel: the loop never waits for nft. The rules model ([`Rules`])
//! is pure and builds the nft text.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::config::model::GlobalDefs;
use crate::node::{Family, InstanceSpec};

use super::netlink::Vip;

/// How the table is written: global_defs' nftables keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub table: String,
    pub priority: i32,
    pub counters: bool,
    pub ifindex: bool,
}

impl Settings {
    /// The table in use, if any: the one global_defs names, else `keepalived` as soon as an
    /// instance needs a firewall (no_accept or use_vmac), as keepalived's
    /// vrrp_complete_instance turns it on.
    pub fn of<'a>(
        global: &GlobalDefs,
        mut specs: impl Iterator<Item = &'a InstanceSpec>,
    ) -> Option<Settings> {
        let table = match &global.nftables {
            Some(t) => t.clone(),
            None if specs.any(|s| !s.fsm.accept || s.vmac.is_some()) => {
                tracing::info!(
                    "use_vmac or no_accept/strict specified, but no firewall configured - using nftables"
                );
                crate::config::NFTABLES_TABLE.to_string()
            }
            None => return None,
        };
        Some(Settings {
            table,
            priority: global.nftables_priority,
            counters: global.nftables_counters,
            ifindex: global.nftables_ifindex,
        })
    }
}

/// One VIP in the filter: the address and the interface it lives on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterAddr {
    pub addr: IpAddr,
    pub ifindex: u32,
    pub ifname: String,
    /// An IPv6 link-local VIP matched by interface name (`vips_link_local_name`).
    pub by_name: bool,
}

/// The VIPs of `spec` the filter holds now: none unless its VIPs are set (master) and it is
/// neither the address owner nor in accept mode (keepalived's vrrp_handle_accept_mode).
/// `vips` are the resolved `spec.vips`, in the same order.
pub fn filtered(
    spec: &InstanceSpec,
    vips: &[Vip],
    vips_set: bool,
    settings: &Settings,
) -> Vec<FilterAddr> {
    if !vips_set || spec.fsm.accept || spec.fsm.priority == 255 {
        return Vec::new();
    }
    let own_if = spec.vmac.as_ref().map_or(&spec.ifname, |v| &v.ifname);
    vips.iter()
        .enumerate()
        .map(|(i, v)| {
            let no_track = spec.vips.get(i).is_some_and(|c| c.no_track);
            FilterAddr {
                addr: v.addr,
                ifindex: v.ifindex,
                ifname: v.ifname.clone(),
                // nft_update_ipv6_address: by name only with dont_track_primary, for a VIP on
                // the instance's own interface or marked no_track.
                by_name: !settings.ifindex
                    && spec.dont_track_primary
                    && (v.ifname == *own_if || no_track),
            }
        })
        .collect()
}

/// One VMAC's entry in `vmac_map` (and, for IPv6, `vmac_set`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmacRule {
    pub ifindex: u32,
    pub base_ifindex: u32,
    pub family: Family,
}

/// The VMAC rules of an instance's own VMAC (keepalived's firewall_add_vmac; a use_vmac_addr
/// VMAC gets none): its family, and the other one too when it has VIPs of that family.
pub fn vmac_rules(spec: &InstanceSpec, ifindex: u32, base_ifindex: u32) -> Vec<VmacRule> {
    let mut out = vec![VmacRule {
        ifindex,
        base_ifindex,
        family: spec.family,
    }];
    if spec.vips.iter().any(|v| Family::of(v.addr) != spec.family) {
        out.push(VmacRule {
            family: other(spec.family),
            ..out[0]
        });
    }
    out
}

fn other(f: Family) -> Family {
    match f {
        Family::V4 => Family::V6,
        Family::V6 => Family::V4,
    }
}

fn nfamily(f: Family) -> &'static str {
    match f {
        Family::V4 => "ip",
        Family::V6 => "ip6",
    }
}

/// The sets a VIP's element goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum VipSet {
    V4,
    V6,
    LinkLocal,
    LinkLocalName,
}

impl VipSet {
    fn of(a: &FilterAddr) -> VipSet {
        match a.addr {
            IpAddr::V4(_) => VipSet::V4,
            IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80 => {
                if a.by_name {
                    VipSet::LinkLocalName
                } else {
                    VipSet::LinkLocal
                }
            }
            IpAddr::V6(_) => VipSet::V6,
        }
    }

    fn target(self) -> &'static str {
        match self {
            VipSet::V4 => "ip",
            _ => "ip6",
        }
    }

    fn name(self) -> &'static str {
        match self {
            VipSet::V4 | VipSet::V6 => "vips",
            VipSet::LinkLocal => "vips_link_local",
            VipSet::LinkLocalName => "vips_link_local_name",
        }
    }

    /// The element's text in nft syntax.
    fn element(self, a: &FilterAddr) -> String {
        match self {
            VipSet::V4 | VipSet::V6 => a.addr.to_string(),
            VipSet::LinkLocal => format!("{} . {}", a.addr, a.ifindex),
            VipSet::LinkLocalName => format!("{} . \"{}\"", a.addr, a.ifname),
        }
    }
}

/// What this run has created, keepalived's flags (ipv4_table_setup ...).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Built {
    v4_table: bool,
    v6_table: bool,
    v4_vips: bool,
    v6_vips: bool,
    link_local: bool,
    link_local_name: bool,
    v4_vmac: bool,
    v6_vmac: bool,
}

/// The table's model: what exists, and the nft commands that take it to what is wanted.
#[derive(Debug)]
pub struct Rules {
    s: Settings,
    built: Built,
    /// Each instance's filtered VIPs, in the order instances first had some.
    filters: Vec<(String, Vec<FilterAddr>)>,
    vmacs: Vec<VmacRule>,
}

impl Rules {
    pub fn new(s: Settings) -> Rules {
        Rules {
            s,
            built: Built::default(),
            filters: Vec::new(),
            vmacs: Vec::new(),
        }
    }

    fn counter(&self) -> &'static str {
        if self.s.counters {
            " counter"
        } else {
            ""
        }
    }

    fn table(&mut self, f: Family, out: &mut String) {
        let built = match f {
            Family::V4 => &mut self.built.v4_table,
            Family::V6 => &mut self.built.v6_table,
        };
        if *built {
            return;
        }
        *built = true;
        let (fam, t, p) = (nfamily(f), &self.s.table, self.s.priority);
        let _ = writeln!(out, "add table {fam} {t}");
        let _ = writeln!(
            out,
            "add chain {fam} {t} out {{ type filter hook output priority {p}; policy accept; }}"
        );
    }

    fn vip_chains(&mut self, f: Family, out: &mut String) {
        match f {
            Family::V4 if !self.built.v4_vips => self.built.v4_vips = true,
            Family::V6 if !self.built.v6_vips => self.built.v6_vips = true,
            _ => return,
        }
        self.table(f, out);
        let (fam, t, p, c) = (nfamily(f), &self.s.table, self.s.priority, self.counter());
        let _ = writeln!(
            out,
            "add chain {fam} {t} in {{ type filter hook input priority {p}; policy accept; }}"
        );
        if f == Family::V4 {
            let _ = writeln!(out, "add set ip {t} vips {{ type ipv4_addr; }}");
        } else {
            let _ = writeln!(out, "add chain ip6 {t} in_link_local");
            let _ = writeln!(out, "add chain ip6 {t} out_link_local");
            let _ = writeln!(out, "add set ip6 {t} vips {{ type ipv6_addr; }}");
            let _ = writeln!(out, "add set ip6 {t} neighbor-discovery {{ type icmpv6_type; flags constant; elements = {{ nd-neighbor-solicit, nd-neighbor-advert }}; }}");
            // keepalived matches the next header itself (no `meta l4proto`).
            for (chain, dir, ll) in [
                ("in", "daddr", "in_link_local"),
                ("out", "saddr", "out_link_local"),
            ] {
                let _ = writeln!(out, "add rule ip6 {t} {chain} ip6 nexthdr ipv6-icmp icmpv6 type @neighbor-discovery{c} accept");
                let _ = writeln!(
                    out,
                    "add rule ip6 {t} {chain} ip6 {dir} fe80::/10{c} goto {ll}"
                );
            }
        }
        let _ = writeln!(out, "add rule {fam} {t} in {fam} daddr @vips{c} drop");
        let _ = writeln!(out, "add rule {fam} {t} out {fam} saddr @vips{c} drop");
    }

    fn link_local(&mut self, by_name: bool, out: &mut String) {
        let built = if by_name {
            &mut self.built.link_local_name
        } else {
            &mut self.built.link_local
        };
        if *built {
            return;
        }
        *built = true;
        let (t, c) = (&self.s.table, self.counter());
        let (set, ty, i, o) = if by_name {
            ("vips_link_local_name", "ifname", "iifname", "oifname")
        } else {
            ("vips_link_local", "iface_index", "iif", "oif")
        };
        let _ = writeln!(out, "add set ip6 {t} {set} {{ type ipv6_addr . {ty}; }}");
        let _ = writeln!(
            out,
            "add rule ip6 {t} in_link_local ip6 daddr . {i} @{set}{c} drop"
        );
        let _ = writeln!(
            out,
            "add rule ip6 {t} out_link_local ip6 saddr . {o} @{set}{c} drop"
        );
    }

    fn vmac_rules(&mut self, f: Family, out: &mut String) {
        let built = match f {
            Family::V4 => &mut self.built.v4_vmac,
            Family::V6 => &mut self.built.v6_vmac,
        };
        if *built {
            return;
        }
        *built = true;
        self.table(f, out);
        let (fam, t, c) = (nfamily(f), &self.s.table, self.counter());
        let _ = writeln!(
            out,
            "add map {fam} {t} vmac_map {{ type iface_index : iface_index; }}"
        );
        if f == Family::V4 {
            let _ = writeln!(out, "add rule ip {t} out ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map{c} drop");
        } else {
            let _ = writeln!(out, "add set ip6 {t} vmac_set {{ type iface_index; }}");
            let _ = writeln!(out, "add rule ip6 {t} out icmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to ip6 daddr device oif map @vmac_map{c} drop");
            let _ = writeln!(out, "add rule ip6 {t} out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set{c} drop");
        }
    }

    /// Every element the filter holds, over all instances.
    fn elements(&self) -> Vec<(VipSet, String)> {
        let mut all: Vec<(VipSet, String)> = Vec::new();
        for a in self.filters.iter().flat_map(|(_, l)| l) {
            let set = VipSet::of(a);
            let e = (set, set.element(a));
            if !all.contains(&e) {
                all.push(e);
            }
        }
        all
    }

    /// The commands that make `instance`'s filtered VIPs `addrs` (empty: none), structure
    /// first, in keepalived's order, then the elements that come and go.
    pub fn set_filter(&mut self, instance: &str, addrs: Vec<FilterAddr>) -> String {
        let before = self.elements();
        match self.filters.iter_mut().find(|(n, _)| n == instance) {
            Some((_, l)) => *l = addrs.clone(),
            None => self.filters.push((instance.to_string(), addrs.clone())),
        }
        let after = self.elements();
        let mut out = String::new();
        for a in &addrs {
            let set = VipSet::of(a);
            let fam = if set == VipSet::V4 {
                Family::V4
            } else {
                Family::V6
            };
            self.vip_chains(fam, &mut out);
            match set {
                VipSet::LinkLocal => self.link_local(false, &mut out),
                VipSet::LinkLocalName => self.link_local(true, &mut out),
                _ => {}
            }
        }
        let gone: Vec<_> = before.iter().filter(|e| !after.contains(e)).collect();
        let new: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
        self.elements_cmd("delete", &gone, &mut out);
        self.elements_cmd("add", &new, &mut out);
        out
    }

    /// `verb element` commands, one per set (keepalived: one message per set).
    fn elements_cmd(&self, verb: &str, elems: &[&(VipSet, String)], out: &mut String) {
        for set in [
            VipSet::V4,
            VipSet::V6,
            VipSet::LinkLocal,
            VipSet::LinkLocalName,
        ] {
            let of: Vec<&str> = elems
                .iter()
                .filter(|(s, _)| *s == set)
                .map(|(_, e)| e.as_str())
                .collect();
            if !of.is_empty() {
                let _ = writeln!(
                    out,
                    "{verb} element {} {} {} {{ {} }}",
                    set.target(),
                    self.s.table,
                    set.name(),
                    of.join(", ")
                );
            }
        }
    }

    /// The commands that make the VMAC entries `vmacs` (keepalived's nft_add_vmac /
    /// nft_remove_vmac): gone ones removed, new ones added with their rules when first needed.
    pub fn set_vmacs(&mut self, vmacs: Vec<VmacRule>) -> String {
        let mut out = String::new();
        let t = self.s.table.clone();
        let key = |v: &VmacRule| (v.ifindex, v.family);
        for v in &self.vmacs {
            if vmacs.iter().any(|n| key(n) == key(v)) {
                continue;
            }
            let fam = nfamily(v.family);
            let _ = writeln!(out, "delete element {fam} {t} vmac_map {{ {} }}", v.ifindex);
            if v.family == Family::V6 {
                let _ = writeln!(out, "delete element ip6 {t} vmac_set {{ {} }}", v.ifindex);
            }
        }
        for v in &vmacs {
            if self.vmacs.iter().any(|o| key(o) == key(v)) {
                continue;
            }
            self.vmac_rules(v.family, &mut out);
            let fam = nfamily(v.family);
            let _ = writeln!(
                out,
                "add element {fam} {t} vmac_map {{ {} : {} }}",
                v.ifindex, v.base_ifindex
            );
            if v.family == Family::V6 {
                let _ = writeln!(out, "add element ip6 {t} vmac_set {{ {} }}", v.ifindex);
            }
        }
        self.vmacs = vmacs;
        out
    }

    /// Delete the tables this run made (at stop).
    pub fn cleanup(&mut self) -> String {
        let mut out = String::new();
        for (built, fam) in [(self.built.v4_table, "ip"), (self.built.v6_table, "ip6")] {
            if built {
                let _ = writeln!(out, "delete table {fam} {}", self.s.table);
            }
        }
        self.built = Built::default();
        out
    }

    /// After a failed transaction (nothing of it applied): empty both tables, whatever is in
    /// them, and build everything wanted again.
    pub fn rebuild(&mut self) -> String {
        let mut out = String::new();
        for fam in ["ip", "ip6"] {
            // `add` then `delete`: gone whether it existed or not, in one transaction.
            let t = &self.s.table;
            let _ = writeln!(out, "add table {fam} {t}\ndelete table {fam} {t}");
        }
        self.built = Built::default();
        let vmacs = std::mem::take(&mut self.vmacs);
        out += &self.set_vmacs(vmacs);
        let filters = std::mem::take(&mut self.filters);
        for (name, addrs) in filters {
            out += &self.set_filter(&name, addrs);
        }
        out
    }
}

enum Job {
    Filter {
        instance: String,
        addrs: Vec<FilterAddr>,
        /// Applied only once this fires (the address worker removed the VIPs).
        after: Option<oneshot::Receiver<()>>,
        /// Fired once applied (the address worker then adds the VIPs).
        done: Option<oneshot::Sender<()>>,
    },
    Vmacs(Vec<VmacRule>),
}

/// The loop's side: submits jobs to the nft thread, never waits (but at stop).
#[derive(Default)]
pub struct Firewall {
    settings: Option<Settings>,
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// What was last submitted per instance (nothing is sent twice).
    filters: HashMap<String, Vec<FilterAddr>>,
    vmacs: Vec<VmacRule>,
}

impl Firewall {
    /// Start the nft thread when a table is in use; it first deletes a table of that name a
    /// previous run left.
    pub fn start(settings: Option<Settings>) -> Firewall {
        let Some(s) = settings.clone() else {
            return Firewall::default();
        };
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("vrrpd-nftables".into())
            .spawn(move || work(Rules::new(s), rx));
        match thread {
            Ok(t) => Firewall {
                settings,
                tx: Some(tx),
                thread: Some(t),
                filters: HashMap::new(),
                vmacs: Vec::new(),
            },
            Err(e) => {
                tracing::error!("cannot start the nftables thread: {e}; no firewall rules");
                Firewall::default()
            }
        }
    }

    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    /// Whether `addrs` differ from what `instance`'s filter holds.
    pub fn changes(&self, instance: &str, addrs: &[FilterAddr]) -> bool {
        self.tx.is_some() && self.filters.get(instance).map_or(&[][..], Vec::as_slice) != addrs
    }

    /// `instance`'s filtered VIPs are now `addrs`. Returns what fires once the rules are in
    /// (None: nothing changed). With `after`, the change waits for it.
    pub fn filter(
        &mut self,
        instance: &str,
        addrs: Vec<FilterAddr>,
        after: Option<oneshot::Receiver<()>>,
    ) -> Option<oneshot::Receiver<()>> {
        if !self.changes(instance, &addrs) {
            return None;
        }
        let tx = self.tx.as_ref()?;
        let old = self.filters.get(instance).map_or(&[][..], Vec::as_slice);
        match (old.is_empty(), addrs.is_empty()) {
            (true, false) => tracing::info!("({instance}) setting firewall drop rule"),
            (false, true) => tracing::info!("({instance}) removing firewall drop rule"),
            _ => {}
        }
        self.filters.insert(instance.to_string(), addrs.clone());
        let (done, fired) = oneshot::channel();
        let job = Job::Filter {
            instance: instance.to_string(),
            addrs,
            after,
            done: Some(done),
        };
        tx.send(job).ok().map(|_| fired)
    }

    /// The VMAC entries are now `vmacs`.
    pub fn vmacs(&mut self, vmacs: Vec<VmacRule>) {
        if let Some(tx) = &self.tx {
            if self.vmacs != vmacs {
                self.vmacs = vmacs.clone();
                let _ = tx.send(Job::Vmacs(vmacs));
            }
        }
    }

    /// Apply what is queued, delete the tables and end the thread (at stop).
    pub fn stop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("the nftables thread failed");
            }
        }
    }
}

impl Drop for Firewall {
    /// However the daemon ends, its tables go.
    fn drop(&mut self) {
        self.stop();
    }
}

fn work(rules: Rules, rx: mpsc::Receiver<Job>) {
    // nft needs CAP_NET_ADMIN only (a uid-0 exec gets it back from the bounding set anyway).
    if let Err(e) = super::privileges::drop_unneeded() {
        tracing::warn!("nftables thread: cannot drop capabilities: {e}");
    }
    let mut nft = Nft::default();
    remove_leftovers(&mut nft, &rules.s.table);
    work_with(rules, rx, &mut nft);
}

/// What writes the commands: `nft`, or a test's recorder.
trait Writer {
    /// Run `text` as one transaction; false (logged) when it failed.
    fn apply(&mut self, text: &str) -> bool;
    /// Whether a failure is worth a rebuild (false: no nft at all).
    fn present(&self) -> bool;
}

fn work_with(mut rules: Rules, rx: mpsc::Receiver<Job>, nft: &mut impl Writer) {
    let nft = &mut *nft;
    while let Ok(first) = rx.recv() {
        // Everything queued meanwhile goes in the same transaction...
        let mut jobs = vec![first];
        jobs.extend(rx.try_iter());
        let mut batch = Batch::default();
        for job in jobs {
            match job {
                Job::Filter {
                    instance,
                    addrs,
                    after,
                    done,
                } => {
                    // ...but what waits for the address worker waits alone: the address
                    // worker may itself be waiting for the jobs before it.
                    if let Some(a) = after {
                        batch.apply(&mut rules, nft);
                        let _ = a.blocking_recv();
                    }
                    batch.text += &rules.set_filter(&instance, addrs);
                    batch.done.extend(done);
                }
                Job::Vmacs(v) => batch.text += &rules.set_vmacs(v),
            }
        }
        batch.apply(&mut rules, nft);
    }
    let text = rules.cleanup();
    if !text.is_empty() {
        nft.apply(&text);
    }
}

/// Commands of several jobs, and who waits for them.
#[derive(Default)]
struct Batch {
    text: String,
    done: Vec<oneshot::Sender<()>>,
}

impl Batch {
    /// Run the commands as one transaction (after a failure: the whole table again), then
    /// tell the waiters, whatever the outcome (a VIP must not wait for rules that failed).
    fn apply(&mut self, rules: &mut Rules, nft: &mut impl Writer) {
        let text = std::mem::take(&mut self.text);
        if !text.is_empty() && !nft.apply(&text) && nft.present() {
            let again = rules.rebuild();
            if !nft.apply(&again) {
                tracing::error!(
                    "cannot rebuild nftables table {}: the VIP filter and VMAC rules may be incomplete",
                    rules.s.table
                );
            }
        }
        for d in self.done.drain(..) {
            let _ = d.send(());
        }
    }
}

/// keepalived's check_and_delete_tables, at start.
fn remove_leftovers(nft: &mut Nft, table: &str) {
    let Some(listed) = nft.list_tables() else {
        return;
    };
    let mut text = String::new();
    for fam in ["ip", "ip6"] {
        if listed
            .lines()
            .any(|l| l.trim() == format!("table {fam} {table}"))
        {
            tracing::info!("Deleting old {fam} {table} table");
            let _ = writeln!(text, "delete table {fam} {table}");
        }
    }
    if !text.is_empty() {
        nft.apply(&text);
    }
}

/// The `nft` command; says once when it is missing.
struct Nft {
    present: bool,
}

impl Default for Nft {
    fn default() -> Self {
        Nft { present: true }
    }
}

impl Nft {
    fn missing(&mut self) {
        if self.present {
            self.present = false;
            tracing::warn!(
                "nft is not installed: no VIP filter for no_accept masters, and IGMP/MLD reports of the VMACs leave with the virtual MAC (keepalived writes both as nftables rules)"
            );
        }
    }

    fn list_tables(&mut self) -> Option<String> {
        match run(&["list", "tables"], None) {
            Ok(out) => Some(out),
            Err(NftError::Missing) => {
                self.missing();
                None
            }
            Err(NftError::Failed(e)) => {
                tracing::warn!("nft list tables: {e}");
                None
            }
        }
    }
}

impl Writer for Nft {
    fn apply(&mut self, text: &str) -> bool {
        if !self.present {
            return false;
        }
        match run(&["-f", "-"], Some(text)) {
            Ok(_) => true,
            Err(NftError::Missing) => {
                self.missing();
                false
            }
            Err(NftError::Failed(e)) => {
                tracing::warn!("nftables: {e} (in: {})", text.trim().replace('\n', "; "));
                false
            }
        }
    }

    fn present(&self) -> bool {
        self.present
    }
}

enum NftError {
    Missing,
    Failed(String),
}

fn run(args: &[&str], stdin: Option<&str>) -> Result<String, NftError> {
    let mut child = match Command::new("nft")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NftError::Missing),
        Err(e) => return Err(NftError::Failed(e.to_string())),
    };
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| NftError::Failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| NftError::Failed(e.to_string()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(NftError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            table: "keepalived".into(),
            priority: -1,
            counters: false,
            ifindex: false,
        }
    }

    fn addr(a: &str, ifindex: u32, by_name: bool) -> FilterAddr {
        FilterAddr {
            addr: a.parse().unwrap(),
            ifindex,
            ifname: "eth0".into(),
            by_name,
        }
    }

    #[test]
    fn ipv4_structure_comes_with_the_first_vip_and_stays() {
        let mut r = Rules::new(settings());
        let s = r.set_filter(
            "VI_1",
            vec![addr("192.0.2.100", 2, false), addr("192.0.2.101", 2, false)],
        );
        assert_eq!(
            s,
            "add table ip keepalived\n\
             add chain ip keepalived out { type filter hook output priority -1; policy accept; }\n\
             add chain ip keepalived in { type filter hook input priority -1; policy accept; }\n\
             add set ip keepalived vips { type ipv4_addr; }\n\
             add rule ip keepalived in ip daddr @vips drop\n\
             add rule ip keepalived out ip saddr @vips drop\n\
             add element ip keepalived vips { 192.0.2.100, 192.0.2.101 }\n"
        );
        // Leaving master: the elements go, the chains stay.
        assert_eq!(
            r.set_filter("VI_1", vec![]),
            "delete element ip keepalived vips { 192.0.2.100, 192.0.2.101 }\n"
        );
        assert_eq!(
            r.set_filter("VI_1", vec![addr("192.0.2.100", 2, false)]),
            "add element ip keepalived vips { 192.0.2.100 }\n"
        );
        assert_eq!(r.cleanup(), "delete table ip keepalived\n");
        assert_eq!(r.cleanup(), "");
    }

    #[test]
    fn ipv6_link_local_vips_get_their_own_sets() {
        let mut r = Rules::new(Settings {
            counters: true,
            priority: 7,
            table: "t".into(),
            ..settings()
        });
        let s = r.set_filter(
            "VI_6",
            vec![
                addr("2001:db8::100", 2, false),
                addr("fe80::100", 2, true),
                addr("fe80::101", 1, false),
            ],
        );
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "add table ip6 t");
        assert_eq!(
            lines[1],
            "add chain ip6 t out { type filter hook output priority 7; policy accept; }"
        );
        assert!(s.contains("add rule ip6 t in ip6 nexthdr ipv6-icmp icmpv6 type @neighbor-discovery counter accept\nadd rule ip6 t in ip6 daddr fe80::/10 counter goto in_link_local\n"), "{s}");
        assert!(
            s.contains("add rule ip6 t out ip6 saddr @vips counter drop\n"),
            "{s}"
        );
        // The name set first: its VIP came first.
        let name = s
            .find("add set ip6 t vips_link_local_name { type ipv6_addr . ifname; }")
            .unwrap();
        let index = s
            .find("add set ip6 t vips_link_local { type ipv6_addr . iface_index; }")
            .unwrap();
        assert!(name < index, "{s}");
        assert!(s.contains(
            "add rule ip6 t in_link_local ip6 daddr . iifname @vips_link_local_name counter drop\n"
        ));
        assert!(s.contains(
            "add rule ip6 t out_link_local ip6 saddr . oif @vips_link_local counter drop\n"
        ));
        assert!(
            s.ends_with(
                "add element ip6 t vips { 2001:db8::100 }\n\
             add element ip6 t vips_link_local { fe80::101 . 1 }\n\
             add element ip6 t vips_link_local_name { fe80::100 . \"eth0\" }\n"
            ),
            "{s}"
        );
    }

    #[test]
    fn a_vip_two_instances_hold_stays_until_both_let_go() {
        let mut r = Rules::new(settings());
        r.set_filter("A", vec![addr("192.0.2.100", 2, false)]);
        assert_eq!(r.set_filter("B", vec![addr("192.0.2.100", 2, false)]), "");
        assert_eq!(r.set_filter("A", vec![]), "");
        assert_eq!(
            r.set_filter("B", vec![]),
            "delete element ip keepalived vips { 192.0.2.100 }\n"
        );
    }

    #[test]
    fn vmac_rules_come_first_and_share_the_out_chain() {
        let mut r = Rules::new(settings());
        let v4 = VmacRule {
            ifindex: 5,
            base_ifindex: 2,
            family: Family::V4,
        };
        let v6 = VmacRule {
            family: Family::V6,
            ..v4
        };
        let s = r.set_vmacs(vec![v4, v6]);
        assert!(
            s.starts_with("add table ip keepalived\nadd chain ip keepalived out"),
            "{s}"
        );
        assert!(s.contains("add map ip keepalived vmac_map { type iface_index : iface_index; }\nadd rule ip keepalived out ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop\nadd element ip keepalived vmac_map { 5 : 2 }\n"), "{s}");
        assert!(s.contains("add rule ip6 keepalived out icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop\nadd element ip6 keepalived vmac_map { 5 : 2 }\nadd element ip6 keepalived vmac_set { 5 }\n"), "{s}");
        // The VIP filter then adds its chains to the same table, without a second `out`.
        let f = r.set_filter("VI_1", vec![addr("192.0.2.100", 5, false)]);
        assert!(f.starts_with("add chain ip keepalived in "), "{f}");
        assert_eq!(
            r.set_vmacs(vec![v6]),
            "delete element ip keepalived vmac_map { 5 }\n"
        );
        assert_eq!(r.set_vmacs(vec![v6]), "");
        assert_eq!(
            r.cleanup(),
            "delete table ip keepalived\ndelete table ip6 keepalived\n"
        );
    }

    /// Records each transaction.
    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl Writer for Recorder {
        fn apply(&mut self, text: &str) -> bool {
            self.0.lock().unwrap().push(text.to_string());
            true
        }
        fn present(&self) -> bool {
            true
        }
    }

    /// A takeover (its rules answered before its VIPs go up) queued before a step-down (its
    /// rules wait until its VIPs are gone): the address worker waits for the first, so the
    /// thread must answer it before waiting for the second, or neither ever happens.
    #[test]
    fn a_job_that_waits_does_not_hold_back_the_answers_before_it() {
        let (tx, rx) = mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (done_a, applied_a) = oneshot::channel();
        let (removed_b, after_b) = oneshot::channel::<()>();
        tx.send(Job::Filter {
            instance: "A".into(),
            addrs: vec![addr("192.0.2.100", 2, false)],
            after: None,
            done: Some(done_a),
        })
        .unwrap();
        tx.send(Job::Filter {
            instance: "B".into(),
            addrs: vec![],
            after: Some(after_b),
            done: None,
        })
        .unwrap();
        drop(tx);
        let mut rec = Recorder(log.clone());
        let worker = std::thread::spawn(move || work_with(Rules::new(settings()), rx, &mut rec));
        // The address worker: A's rules first, only then B's VIPs are removed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut applied_a = applied_a;
        loop {
            match applied_a.try_recv() {
                Ok(()) => break,
                Err(oneshot::error::TryRecvError::Empty)
                    if std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(e) => panic!("A's rules were never answered: {e:?}"),
            }
        }
        removed_b.send(()).unwrap();
        worker.join().unwrap();
        let log = log.lock().unwrap();
        assert!(
            log[0].ends_with("add element ip keepalived vips { 192.0.2.100 }\n"),
            "{log:?}"
        );
        assert_eq!(log.last().unwrap(), "delete table ip keepalived\n");
    }

    #[test]
    fn rebuild_empties_the_tables_and_replays_what_is_wanted() {
        let mut r = Rules::new(settings());
        r.set_filter("VI_1", vec![addr("192.0.2.100", 2, false)]);
        let s = r.rebuild();
        assert!(s.starts_with("add table ip keepalived\ndelete table ip keepalived\nadd table ip6 keepalived\ndelete table ip6 keepalived\nadd table ip keepalived\n"), "{s}");
        assert!(
            s.ends_with("add element ip keepalived vips { 192.0.2.100 }\n"),
            "{s}"
        );
    }
}
