//! The evaluator: walks one synthetic VRRP packet through every base chain of the hooks on its
//! path (ingress -> prerouting -> input, or output -> postrouting -> egress) in priority order,
//! following jump/goto/return, sets and verdict maps, and returns who decided.
//!
//! Matches are three-valued. When a match cannot be decided (an opaque iptables-nft `xt`
//! match, a rule that covers only part of the senders' subnet, a rate limit) the evaluator
//! explores both answers and compares the outcomes: a choice that does not change the outcome
//! does not matter; one that does makes the result `Split` (depends on the sender) or
//! `Unknown` (names the construct) — never a guess.

use super::model::*;
use super::probe::*;

/// Where a fix goes: before `before` (a handle or iptables position) in `chain`, or appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub family: String,
    pub table: String,
    pub chain: String,
    pub before: Option<u64>,
    pub origin: Origin,
    /// The chain is an iptables built-in or user chain (`-I CHAIN N`).
    pub hook: Option<Hook>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every base chain on the path accepted. `by` is the rule that let it in (None: nothing
    /// on the path filters it, or only chain policies accept).
    Accept {
        by: Option<RuleRef>,
        notes: Vec<String>,
    },
    Drop {
        by: RuleRef,
        fix_at: Anchor,
        notes: Vec<String>,
    },
    /// Accepted for some senders of the subnet, dropped for others.
    Split {
        accept: Box<Outcome>,
        drop: Box<Outcome>,
        why: String,
    },
    Unknown {
        what: String,
        at: Option<RuleRef>,
    },
}

impl Outcome {
    fn category(&self) -> u8 {
        match self {
            Outcome::Accept { .. } => 0,
            Outcome::Drop { .. } => 1,
            Outcome::Split { .. } => 2,
            Outcome::Unknown { .. } => 3,
        }
    }
    pub fn is_accept(&self) -> bool {
        matches!(self, Outcome::Accept { .. })
    }
    fn add_note(&mut self, note: String) {
        if let Outcome::Accept { notes, .. } | Outcome::Drop { notes, .. } = self {
            if !notes.contains(&note) {
                notes.push(note)
            }
        }
    }
}

/// Why the evaluator had to stop and ask.
#[derive(Debug, Clone)]
enum Choice {
    /// A match covers only part of the senders.
    Partial { what: String },
    /// A construct we cannot evaluate.
    Unknown { what: String, at: Option<RuleRef> },
    /// `limit`: true = under the rate.
    Limit { what: String, at: RuleRef },
}

/// At most this many complete walks per packet; rule sets with more undecidable branches than
/// that are reported as unknown rather than explored forever.
const MAX_WALKS: usize = 512;
/// Deeper jump nesting than the kernel allows (16) means a loop we refuse to follow.
const MAX_DEPTH: usize = 32;

/// Evaluate `probe` against `rs`.
pub fn evaluate(rs: &Ruleset, probe: &Probe) -> Outcome {
    let mut budget = MAX_WALKS;
    explore(rs, probe, &mut Vec::new(), &mut budget)
}

fn explore(rs: &Ruleset, probe: &Probe, prefix: &mut Vec<bool>, budget: &mut usize) -> Outcome {
    if *budget == 0 {
        return Outcome::Unknown {
            what: format!("more than {MAX_WALKS} undecidable branches"),
            at: None,
        };
    }
    *budget -= 1;
    let mut walk = Walk::new(rs, probe, prefix);
    match walk.run() {
        Ok(o) => o,
        Err(Stop(choice)) => {
            let choice = *choice;
            prefix.push(true);
            let yes = explore(rs, probe, prefix, budget);
            prefix.pop();
            prefix.push(false);
            let no = explore(rs, probe, prefix, budget);
            prefix.pop();
            combine(choice, yes, no)
        }
    }
}

fn combine(choice: Choice, yes: Outcome, no: Outcome) -> Outcome {
    match choice {
        Choice::Limit { what, at } => {
            let mut out = yes;
            if out.is_accept() && !no.is_accept() {
                out.add_note(format!(
                    "rate-limited by `limit {what}` ({}): adverts over the rate fall through and \
                     are dropped, so it may drop under load",
                    at.location()
                ));
            }
            out
        }
        _ if yes.category() == no.category() && yes.category() != 2 => {
            // Same outcome either way: report the branch that assumed nothing about an
            // unknown construct, so the deciding rule quoted is one we could evaluate.
            let (mut out, other) = match choice {
                Choice::Unknown { .. } => (no, yes),
                _ => (yes, no),
            };
            if let Outcome::Accept { notes, .. } | Outcome::Drop { notes, .. } = &other {
                for n in notes.clone() {
                    out.add_note(n);
                }
            }
            out
        }
        Choice::Unknown { what, at } => {
            if let u @ Outcome::Unknown { .. } = yes {
                return u;
            }
            if let u @ Outcome::Unknown { .. } = no {
                return u;
            }
            Outcome::Unknown { what, at }
        }
        Choice::Partial { what, .. } => {
            if let u @ Outcome::Unknown { .. } = yes {
                return u;
            }
            if let u @ Outcome::Unknown { .. } = no {
                return u;
            }
            let (accept, drop) = match (yes, no) {
                (a @ Outcome::Accept { .. }, d) | (d, a @ Outcome::Accept { .. }) => (a, d),
                (Outcome::Split { accept, drop, .. }, _) => (*accept, *drop),
                (_, Outcome::Split { accept, drop, .. }) => (*accept, *drop),
                (a, d) => (a, d),
            };
            let drop = match drop {
                Outcome::Split { drop, .. } => *drop,
                d => d,
            };
            Outcome::Split {
                accept: Box::new(accept),
                drop: Box::new(drop),
                why: what,
            }
        }
    }
}

struct Stop(Box<Choice>);

/// Three-valued match result; `Partial` carries the part of the sender interval that matches.
enum Tri {
    Yes,
    No,
    Partial((u128, u128)),
    Unknown(String),
}

/// What the packet has for an expression.
enum Field {
    Proto(u8),
    /// The address interval a field may take (one host, or the senders' subnet).
    Addr(IpFamily, (u128, u128), bool),
    Name(Option<String>),
    Ct(CtState),
    Num(u64),
    Bool(bool),
    /// The expression carries a dependency this packet fails (`tcp dport`, `ip6 saddr` on
    /// IPv4): the match is false whatever its operator.
    NotApplicable,
    Unknown(String),
}

enum RuleOut {
    NoMatch,
    Verdict(Verdict),
}

struct Walk<'a> {
    rs: &'a Ruleset,
    probe: &'a Probe,
    prefix: &'a [bool],
    pos: usize,
    /// The senders still considered on this branch (narrowed by Partial choices).
    src: (u128, u128),
    src_excluded: Vec<(u128, u128)>,
    meta_mark: u64,
    ct_mark: u64,
    untracked: bool,
    /// ct state as the current base chain sees it.
    ct: CtState,
    notes: Vec<String>,
}

enum ChainEnd {
    Accept(RuleRef),
    Drop(RuleRef, Anchor),
    Policy(Policy, RuleRef, Anchor),
}

impl<'a> Walk<'a> {
    fn new(rs: &'a Ruleset, probe: &'a Probe, prefix: &'a [bool]) -> Self {
        let src = match probe.saddr {
            Source::Host(a) => interval(a, 128),
            Source::Subnet(a, l) => interval(a, l),
        };
        Walk {
            rs,
            probe,
            prefix,
            pos: 0,
            src,
            src_excluded: Vec::new(),
            meta_mark: 0,
            ct_mark: 0,
            untracked: false,
            ct: probe.ct,
            notes: Vec::new(),
        }
    }

    fn choose(&mut self, c: Choice) -> Result<bool, Stop> {
        match self.prefix.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(Stop(Box::new(c))),
        }
    }

    fn hooks(&self) -> &'static [Hook] {
        match self.probe.direction {
            Direction::In => &[Hook::Ingress, Hook::Prerouting, Hook::Input],
            Direction::Out => &[Hook::Output, Hook::Postrouting, Hook::Egress],
        }
    }

    fn family_applies(&self, f: TableFamily) -> bool {
        match f {
            TableFamily::Ip => self.probe.family == IpFamily::V4,
            TableFamily::Ip6 => self.probe.family == IpFamily::V6,
            TableFamily::Inet | TableFamily::Netdev => true,
            TableFamily::Arp | TableFamily::Bridge => false,
        }
    }

    fn run(&mut self) -> Result<Outcome, Stop> {
        let mut accepts: Vec<RuleRef> = Vec::new();
        for &hook in self.hooks() {
            let mut chains: Vec<(usize, usize, i32)> = Vec::new();
            for (ti, t) in self.rs.tables.iter().enumerate() {
                if !self.family_applies(t.family) {
                    continue;
                }
                for (ci, c) in t.chains.iter().enumerate() {
                    if let Some(b) = &c.base {
                        if b.hook == hook {
                            chains.push((ti, ci, b.prio));
                        }
                    }
                }
            }
            chains.sort_by_key(|&(_, _, prio)| prio);
            for (ti, ci, prio) in chains {
                let table = &self.rs.tables[ti];
                let chain = &table.chains[ci];
                let Some(base) = chain.base.as_ref() else {
                    continue;
                };
                if matches!(hook, Hook::Ingress | Hook::Egress) && !self.bound_here(table, chain)? {
                    continue;
                }
                // nat chains see only a connection's first packet.
                if base.chain_type == "nat" && self.probe.ct == CtState::Established {
                    continue;
                }
                // Conntrack runs at priority -200 on prerouting and output; before it (and on
                // netdev ingress) `ct state` reads `invalid`.
                let before_conntrack = hook == Hook::Ingress
                    || (matches!(hook, Hook::Prerouting | Hook::Output) && prio < -200);
                self.ct = if self.untracked {
                    CtState::Untracked
                } else if before_conntrack {
                    CtState::Invalid
                } else {
                    self.probe.ct
                };
                match self.run_chain(ti, ci)? {
                    ChainEnd::Accept(r) => accepts.push(r),
                    ChainEnd::Policy(Policy::Accept, r, _) => accepts.push(r),
                    ChainEnd::Drop(by, fix_at) | ChainEnd::Policy(Policy::Drop, by, fix_at) => {
                        return Ok(Outcome::Drop {
                            by,
                            fix_at,
                            notes: std::mem::take(&mut self.notes),
                        })
                    }
                }
            }
        }
        // The most telling accept: the last one taken by a rule rather than by a policy.
        let by = accepts
            .iter()
            .rev()
            .find(|r| !r.is_policy)
            .or(accepts.last())
            .cloned();
        Ok(Outcome::Accept {
            by,
            notes: std::mem::take(&mut self.notes),
        })
    }

    /// Is this netdev chain bound to the probe's interface?
    fn bound_here(&mut self, table: &Table, chain: &Chain) -> Result<bool, Stop> {
        match chain.base.as_ref().and_then(|b| b.devices.as_ref()) {
            Some(devs) => Ok(devs.iter().any(|d| d == &self.probe.iface)),
            None => self.choose(Choice::Unknown {
                what: format!(
                    "the device of {} chain {} (nft did not report it)",
                    table.family.as_str(),
                    chain.name
                ),
                at: None,
            }),
        }
    }

    fn run_chain(&mut self, ti: usize, base: usize) -> Result<ChainEnd, Stop> {
        let table = &self.rs.tables[ti];
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let (mut ci, mut ri) = (base, 0usize);
        let policy = table.chains[base]
            .base
            .as_ref()
            .map(|b| b.policy)
            .unwrap_or(Policy::Accept);
        loop {
            let chain = &table.chains[ci];
            let Some(rule) = chain.rules.get(ri) else {
                match stack.pop() {
                    Some((c, r)) => {
                        (ci, ri) = (c, r);
                        continue;
                    }
                    None => {
                        let by = RuleRef::policy(table, &table.chains[base], policy);
                        return Ok(ChainEnd::Policy(policy, by, anchor(table, chain, None)));
                    }
                }
            };
            ri += 1;
            let v = match self.eval_rule(table, chain, rule)? {
                RuleOut::NoMatch => continue,
                RuleOut::Verdict(v) => v,
            };
            let here = || RuleRef::rule(table, chain, rule);
            match v {
                Verdict::Continue => {}
                Verdict::Accept => return Ok(ChainEnd::Accept(here())),
                Verdict::Drop | Verdict::Reject => {
                    return Ok(ChainEnd::Drop(here(), anchor(table, chain, rule.handle)))
                }
                Verdict::Return => match stack.pop() {
                    Some((c, r)) => (ci, ri) = (c, r),
                    None => {
                        let by = RuleRef::policy(table, &table.chains[base], policy);
                        return Ok(ChainEnd::Policy(
                            policy,
                            by,
                            anchor(table, chain, rule.handle),
                        ));
                    }
                },
                Verdict::Jump(ref t) | Verdict::Goto(ref t) => {
                    let is_jump = matches!(v, Verdict::Jump(_));
                    let Some(target) = table.chains.iter().position(|c| &c.name == t) else {
                        return Err(Stop(Box::new(Choice::Unknown {
                            what: format!("a jump to chain {t}, which is not in the rule set"),
                            at: Some(here()),
                        })));
                    };
                    if stack.len() >= MAX_DEPTH {
                        return Err(Stop(Box::new(Choice::Unknown {
                            what: "jumps nested deeper than the kernel allows (a loop?)".into(),
                            at: Some(here()),
                        })));
                    }
                    if is_jump {
                        stack.push((ci, ri));
                    }
                    (ci, ri) = (target, 0);
                }
            }
        }
    }

    fn eval_rule(&mut self, table: &Table, chain: &Chain, rule: &Rule) -> Result<RuleOut, Stop> {
        for stmt in &rule.stmts {
            match stmt {
                Stmt::Match { left, op, right } => {
                    let tri = self.test(table, left, *op, right);
                    if !self.decide(tri, table, chain, rule, stmt)? {
                        return Ok(RuleOut::NoMatch);
                    }
                }
                Stmt::Verdict(v) => return Ok(RuleOut::Verdict(v.clone())),
                Stmt::Vmap { key, map } => {
                    let elems: Vec<SetElem> = match map {
                        MapRef::Inline(e) => e.clone(),
                        MapRef::Named(n) => match table.set(n) {
                            Some(s) => s.elems.clone(),
                            None => {
                                let at = RuleRef::rule(table, chain, rule);
                                return Err(Stop(Box::new(Choice::Unknown {
                                    what: format!("verdict map @{n}, which is not in the rule set"),
                                    at: Some(at),
                                })));
                            }
                        },
                    };
                    for e in elems {
                        let tri = self.test(table, key, Op::Eq, &e.key);
                        if self.decide(tri, table, chain, rule, stmt)? {
                            return Ok(match e.verdict {
                                Some(v) => RuleOut::Verdict(v),
                                None => RuleOut::NoMatch,
                            });
                        }
                    }
                    return Ok(RuleOut::NoMatch);
                }
                Stmt::Limit(what) => {
                    let at = RuleRef::rule(table, chain, rule);
                    let under = self.choose(Choice::Limit {
                        what: what.clone(),
                        at,
                    })?;
                    if !under {
                        return Ok(RuleOut::NoMatch);
                    }
                }
                Stmt::SetMark { ct, value } => match value {
                    Some(v) if *ct => self.ct_mark = *v,
                    Some(v) => self.meta_mark = *v,
                    None => {
                        // An unknown mark only matters if a later rule reads it; mark it so.
                        if *ct {
                            self.ct_mark = u64::MAX;
                        } else {
                            self.meta_mark = u64::MAX;
                        }
                    }
                },
                Stmt::Notrack => {
                    self.untracked = true;
                    self.ct = CtState::Untracked;
                }
                Stmt::Passive(_) => {}
                Stmt::Unknown(what) => {
                    let at = RuleRef::rule(table, chain, rule);
                    // Explore both: it ends the packet's path here, or it has no effect.
                    if self.choose(Choice::Unknown {
                        what: what.clone(),
                        at: Some(at),
                    })? {
                        return Ok(RuleOut::Verdict(Verdict::Drop));
                    }
                }
            }
        }
        Ok(RuleOut::NoMatch)
    }

    /// Turn a three-valued match into a path, asking for a choice when it is undecided.
    fn decide(
        &mut self,
        tri: Tri,
        table: &Table,
        chain: &Chain,
        rule: &Rule,
        stmt: &Stmt,
    ) -> Result<bool, Stop> {
        match tri {
            Tri::Yes => Ok(true),
            Tri::No => Ok(false),
            Tri::Unknown(what) => self.choose(Choice::Unknown {
                what,
                at: Some(RuleRef::rule(table, chain, rule)),
            }),
            Tri::Partial(part) => {
                let (negated, shown) = match stmt {
                    Stmt::Match { op: Op::Ne, .. } => (true, stmt.to_string()),
                    _ => (false, stmt.to_string()),
                };
                let yes = self.choose(Choice::Partial {
                    what: format!(
                        "`{shown}` ({}) matches only some of the senders in {}",
                        RuleRef::rule(table, chain, rule).location(),
                        self.probe.saddr
                    ),
                })?;
                // `yes` means the statement holds: for `==` the sender is inside `part`.
                if yes != negated {
                    self.src = part;
                } else {
                    self.src_excluded.push(part);
                }
                Ok(yes)
            }
        }
    }

    fn field(&self, e: &Expr) -> Field {
        let p = self.probe;
        let inbound = p.direction == Direction::In;
        let name = |s: &str| Field::Name(Some(s.to_string()));
        match e {
            Expr::Meta(k) => match k.as_str() {
                "l4proto" => Field::Proto(p.l4proto),
                "nfproto" => name(p.family.as_str()),
                "protocol" => name(match p.family {
                    IpFamily::V4 => "ip",
                    IpFamily::V6 => "ip6",
                }),
                "iif" | "iifname" if inbound => name(&p.iface),
                "iif" | "iifname" => Field::Name(None),
                "oif" | "oifname" if !inbound => name(&p.iface),
                "oif" | "oifname" => Field::Name(None),
                "pkttype" if inbound => name(if p.is_multicast() {
                    "multicast"
                } else {
                    "host"
                }),
                "mark" if self.meta_mark != u64::MAX => Field::Num(self.meta_mark),
                other => Field::Unknown(format!("meta {other}")),
            },
            Expr::Payload { proto, field } => self.payload(proto, field),
            Expr::Ct(k) => match k.as_str() {
                "state" => Field::Ct(self.ct),
                "mark" if self.ct_mark != u64::MAX => Field::Num(self.ct_mark),
                "direction" if matches!(self.ct, CtState::New | CtState::Established) => {
                    name(if self.ct == CtState::New {
                        "original"
                    } else {
                        "reply"
                    })
                }
                "l3proto" => name(p.family.as_str()),
                "protocol" => Field::Proto(p.l4proto),
                "status" => Field::Unknown("ct status".into()),
                other => Field::Unknown(format!("ct {other}")),
            },
            Expr::Fib { flags, result } => self.fib(flags, result),
            Expr::Concat(_) => Field::Unknown("a concatenation".into()),
            Expr::Other(s) => Field::Unknown(s.clone()),
        }
    }

    fn payload(&self, proto: &str, field: &str) -> Field {
        let p = self.probe;
        let fam_ok = match proto {
            "ip" => p.family == IpFamily::V4,
            "ip6" => p.family == IpFamily::V6,
            _ => true,
        };
        if !fam_ok {
            return Field::NotApplicable;
        }
        match (proto, field) {
            ("ip", "protocol") | ("ip6", "nexthdr") => Field::Proto(p.l4proto),
            ("ip" | "ip6", "saddr") => {
                let excl = !self.src_excluded.is_empty();
                Field::Addr(p.family, self.src, excl)
            }
            ("ip" | "ip6", "daddr") => Field::Addr(p.family, interval(p.daddr, 128), false),
            ("ip", "ttl") | ("ip6", "hoplimit") => Field::Num(255),
            // keepalived never fragments an advert.
            ("ip", "frag-off") => Field::Num(0),
            ("ip", "version") => Field::Num(4),
            ("ip6", "version") => Field::Num(6),
            ("ether", "type") => Field::Name(Some(
                match p.family {
                    IpFamily::V4 => "ip",
                    IpFamily::V6 => "ip6",
                }
                .into(),
            )),
            ("arp", _) => Field::NotApplicable,
            (t, _) if t == "ah" && p.l4proto == IPPROTO_AH => {
                Field::Unknown(format!("{t} {field}"))
            }
            (t, _) if is_other_transport(t, p.l4proto) => Field::NotApplicable,
            (t, f) => Field::Unknown(format!("{t} {f}")),
        }
    }

    /// firewalld's reverse-path filter (`fib saddr . [mark .] iif oif missing drop`): a sender
    /// on the interface's own subnet (or link-local) is routed back through it.
    fn fib(&self, flags: &[String], result: &str) -> Field {
        let p = self.probe;
        let has = |f: &str| flags.iter().any(|x| x == f);
        if p.direction == Direction::In && result == "oif" && has("saddr") && has("iif") {
            let (lo, hi) = self.src;
            let on_link = p.local_prefixes.iter().any(|&(a, l)| {
                let (plo, phi) = interval(a, l);
                IpFamily::of(&a) == p.family && plo <= lo && hi <= phi
            }) || (p.family == IpFamily::V6 && {
                let (llo, lhi) = interval(LINK_LOCAL_V6, 10);
                llo <= lo && hi <= lhi
            });
            if on_link {
                return Field::Bool(true);
            }
        }
        if p.direction == Direction::In && result == "type" && has("daddr") && flags.len() == 1 {
            return Field::Name(Some(
                if p.is_multicast() {
                    "multicast"
                } else {
                    "local"
                }
                .into(),
            ));
        }
        Field::Unknown(format!("fib {} {result}", flags.join(" . ")))
    }

    fn test(&self, table: &Table, left: &Expr, op: Op, right: &Value) -> Tri {
        // `ct status dnat` (firewalld) and friends: nothing NATs an advert to this host.
        if let (Expr::Ct(k), Op::Eq | Op::In) = (left, op) {
            if k == "status" && only_nat_flags(right) {
                return Tri::No;
            }
        }
        if let Expr::Concat(parts) = left {
            return self.test_concat(table, parts, op, right);
        }
        let f = self.field(left);
        if let Field::NotApplicable = f {
            return Tri::No;
        }
        if let Field::Unknown(what) = f {
            return Tri::Unknown(what);
        }
        let tri = match (op, right) {
            (Op::In, Value::List(items)) => any_of(items.iter().map(|v| self.cmp(&f, Op::Eq, v))),
            (_, Value::Named(n)) => match table.set(n) {
                Some(s) => any_of(s.elems.iter().map(|e| self.cmp(&f, Op::Eq, &e.key))),
                None => Tri::Unknown(format!("set @{n}, which is not in the rule set")),
            },
            (_, Value::Set(items)) => any_of(items.iter().map(|v| self.cmp(&f, Op::Eq, v))),
            (Op::Ne | Op::In, v) => self.cmp(&f, Op::Eq, v),
            (op, v) => self.cmp(&f, op, v),
        };
        if op == Op::Ne {
            negate(tri)
        } else {
            tri
        }
    }

    fn test_concat(&self, table: &Table, parts: &[Expr], op: Op, right: &Value) -> Tri {
        let elems: Vec<Value> = match right {
            Value::Set(items) | Value::List(items) => items.clone(),
            Value::Named(n) => match table.set(n) {
                Some(s) => s.elems.iter().map(|e| e.key.clone()).collect(),
                None => return Tri::Unknown(format!("set @{n}, which is not in the rule set")),
            },
            v => vec![v.clone()],
        };
        let fields: Vec<Field> = parts.iter().map(|e| self.field(e)).collect();
        let tri = any_of(elems.iter().map(|el| match el {
            Value::Concat(vals) if vals.len() == fields.len() => {
                all_of(fields.iter().zip(vals).map(|(f, v)| match f {
                    Field::NotApplicable => Tri::No,
                    Field::Unknown(w) => Tri::Unknown(w.clone()),
                    f => self.cmp(f, Op::Eq, v),
                }))
            }
            other => Tri::Unknown(format!("concatenation element {other}")),
        }));
        if op == Op::Ne {
            negate(tri)
        } else {
            tri
        }
    }

    /// Compare one packet field with one value.
    fn cmp(&self, f: &Field, op: Op, v: &Value) -> Tri {
        match (f, v) {
            (_, Value::Set(items)) if op == Op::Eq => {
                any_of(items.iter().map(|x| self.cmp(f, Op::Eq, x)))
            }
            (Field::Proto(p), Value::Str(s)) => match proto_number(s) {
                Some(n) => ord(*p as u64, op, n as u64),
                None => Tri::Unknown(format!("protocol name {s:?}")),
            },
            (Field::Proto(p), Value::Num(n)) => ord(*p as u64, op, *n),
            (Field::Proto(p), Value::Range(a, b)) => {
                let n = |v: &Value| match v {
                    Value::Num(n) => Some(*n),
                    Value::Str(s) => proto_number(s).map(u64::from),
                    _ => None,
                };
                match (n(a), n(b)) {
                    (Some(a), Some(b)) => bool_tri(a <= *p as u64 && *p as u64 <= b),
                    _ => Tri::Unknown(format!("protocol range {v}")),
                }
            }
            (Field::Addr(fam, have, excl), v) if op == Op::Eq => {
                let Some(want) = addr_interval(v, *fam) else {
                    return match v {
                        Value::Str(_) | Value::Prefix(..) | Value::Range(..) => Tri::No,
                        _ => Tri::Unknown(format!("address value {v}")),
                    };
                };
                let want = match want {
                    Some(w) => w,
                    None => return Tri::No, // other family
                };
                self.addr_tri(*have, want, *excl)
            }
            (Field::Name(have), Value::Str(pat)) if op == Op::Eq => match have {
                None => Tri::No,
                Some(h) => bool_tri(name_matches(h, pat)),
            },
            (Field::Ct(state), Value::Str(s)) if op == Op::Eq => bool_tri(state.name() == s),
            (Field::Ct(state), Value::List(items)) => any_of(
                items
                    .iter()
                    .map(|x| self.cmp(&Field::Ct(*state), Op::Eq, x)),
            ),
            (Field::Num(n), Value::Num(m)) => ord(*n, op, *m),
            (Field::Num(n), Value::Str(s)) => match parse_num(s) {
                Some(m) => ord(*n, op, m),
                None => Tri::Unknown(format!("value {s:?}")),
            },
            (Field::Num(n), Value::Range(a, b)) => match (num_of(a), num_of(b)) {
                (Some(a), Some(b)) => bool_tri(a <= *n && *n <= b),
                _ => Tri::Unknown(format!("range {v}")),
            },
            (Field::Bool(b), Value::Bool(w)) => bool_tri(b == w),
            (_, v) => Tri::Unknown(format!("comparing with {v}")),
        }
    }

    fn addr_tri(&self, have: (u128, u128), want: (u128, u128), excl: bool) -> Tri {
        let (lo, hi) = (have.0.max(want.0), have.1.min(want.1));
        if lo > hi {
            return Tri::No;
        }
        if want.0 <= have.0 && have.1 <= want.1 {
            return Tri::Yes;
        }
        if excl
            && self
                .src_excluded
                .iter()
                .any(|&(elo, ehi)| elo <= lo && hi <= ehi)
        {
            return Tri::No;
        }
        Tri::Partial((lo, hi))
    }
}

fn anchor(table: &Table, chain: &Chain, before: Option<u64>) -> Anchor {
    Anchor {
        family: table.family.as_str().into(),
        table: table.name.clone(),
        chain: chain.name.clone(),
        before,
        origin: table.origin,
        hook: chain.base.as_ref().map(|b| b.hook),
    }
}

fn only_nat_flags(v: &Value) -> bool {
    let is_nat = |v: &Value| matches!(v, Value::Str(s) if s == "dnat" || s == "snat");
    match v {
        Value::Set(items) | Value::List(items) => !items.is_empty() && items.iter().all(is_nat),
        v => is_nat(v),
    }
}

fn bool_tri(b: bool) -> Tri {
    if b {
        Tri::Yes
    } else {
        Tri::No
    }
}

fn negate(t: Tri) -> Tri {
    match t {
        Tri::Yes => Tri::No,
        Tri::No => Tri::Yes,
        other => other,
    }
}

fn ord(have: u64, op: Op, want: u64) -> Tri {
    bool_tri(match op {
        Op::Eq | Op::In | Op::Ne => have == want,
        Op::Lt => have < want,
        Op::Gt => have > want,
        Op::Le => have <= want,
        Op::Ge => have >= want,
    })
}

/// Any element matches: Yes wins, then Unknown, then Partial (the first of each); all No
/// gives No.
fn any_of(items: impl Iterator<Item = Tri>) -> Tri {
    fold_tri(items, true)
}

/// Every component matches: No wins, then Unknown, then Partial; all Yes gives Yes.
fn all_of(items: impl Iterator<Item = Tri>) -> Tri {
    fold_tri(items, false)
}

/// Folds `items`: the first Yes (`any`) or No (`!any`) decides; otherwise the first Unknown,
/// then the first Partial, then the other answer (also for no items at all).
fn fold_tri(items: impl Iterator<Item = Tri>, any: bool) -> Tri {
    let mut partial = None;
    let mut unknown = None;
    for t in items {
        match t {
            Tri::Partial(p) => {
                partial.get_or_insert(p);
            }
            Tri::Unknown(u) => {
                unknown.get_or_insert(u);
            }
            Tri::Yes if any => return Tri::Yes,
            Tri::No if !any => return Tri::No,
            Tri::Yes | Tri::No => {}
        }
    }
    match (unknown, partial) {
        (Some(u), _) => Tri::Unknown(u),
        (None, Some(p)) => Tri::Partial(p),
        (None, None) if any => Tri::No,
        (None, None) => Tri::Yes,
    }
}

/// The interval an address value covers: None = not an address value; Some(None) = an
/// address of the other family.
fn addr_interval(v: &Value, fam: IpFamily) -> Option<Option<(u128, u128)>> {
    let one = |a: std::net::IpAddr, len: u8| {
        if IpFamily::of(&a) == fam {
            Some(interval(a, len))
        } else {
            None
        }
    };
    match v {
        Value::Str(s) => {
            let (addr, len) = match s.split_once('/') {
                Some((a, l)) => (a, l.parse::<u8>().ok()?),
                None => (s.as_str(), 128),
            };
            let a: std::net::IpAddr = addr.parse().ok()?;
            Some(one(a, len))
        }
        Value::Prefix(a, l) => Some(one(*a, *l)),
        Value::Range(a, b) => {
            let lo = addr_interval(a, fam)??;
            let hi = addr_interval(b, fam)??;
            Some(Some((lo.0, hi.1)))
        }
        _ => None,
    }
}

/// nft's `iifname "veth*"` wildcard (iptables' `veth+` is translated to it by the parser).
pub fn name_matches(name: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) if !pattern.ends_with("\\*") => name.starts_with(prefix),
        _ => name == pattern,
    }
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn num_of(v: &Value) -> Option<u64> {
    match v {
        Value::Num(n) => Some(*n),
        Value::Str(s) => parse_num(s),
        _ => None,
    }
}
