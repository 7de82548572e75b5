//! The neutral rule model every backend parses into: tables of chains (base chains carry their
//! hook, priority, policy and devices), rules made of statements, and named sets/maps. It follows
//! nftables' shape because nftables is the most general of the three; iptables tables and
//! firewalld zones are expressed in it with the hook priorities the kernel gives them.

use std::fmt;
use std::net::IpAddr;

/// Where a table came from: decides how a fix is phrased (`nft`, `iptables`, `firewall-cmd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Native nftables (`nft -j list ruleset`).
    Nftables,
    /// iptables-nft (nf_tables backend), read from `iptables-nft-save`.
    IptablesNft,
    /// iptables-legacy (x_tables), read from `iptables-legacy-save`.
    IptablesLegacy,
    /// firewalld's runtime table `inet firewalld`.
    FirewalldRuntime,
    /// firewalld's permanent zone files, compiled the way firewalld would load them.
    FirewalldPermanent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFamily {
    Ip,
    Ip6,
    Inet,
    Netdev,
    Arp,
    Bridge,
}

impl TableFamily {
    pub fn parse(s: &str) -> Option<TableFamily> {
        Some(match s {
            "ip" => TableFamily::Ip,
            "ip6" => TableFamily::Ip6,
            "inet" => TableFamily::Inet,
            "netdev" => TableFamily::Netdev,
            "arp" => TableFamily::Arp,
            "bridge" => TableFamily::Bridge,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TableFamily::Ip => "ip",
            TableFamily::Ip6 => "ip6",
            TableFamily::Inet => "inet",
            TableFamily::Netdev => "netdev",
            TableFamily::Arp => "arp",
            TableFamily::Bridge => "bridge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Ingress,
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
    Egress,
}

impl Hook {
    pub fn parse(s: &str) -> Option<Hook> {
        Some(match s {
            "ingress" => Hook::Ingress,
            "prerouting" => Hook::Prerouting,
            "input" => Hook::Input,
            "forward" => Hook::Forward,
            "output" => Hook::Output,
            "postrouting" => Hook::Postrouting,
            "egress" => Hook::Egress,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Accept,
    Drop,
}

/// The hook of a base chain. `devices: None` means "bound to some device we could not learn"
/// (nft 1.0.6 omits `dev` from netdev chains in JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseChain {
    pub hook: Hook,
    pub prio: i32,
    pub policy: Policy,
    /// `filter`, `nat` or `route`: nat chains only see the first packet of a connection.
    pub chain_type: String,
    pub devices: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub name: String,
    pub handle: Option<u64>,
    pub base: Option<BaseChain>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// nft handle; for iptables the 1-based position in its chain (what `-I CHAIN N` takes).
    pub handle: Option<u64>,
    /// The rule as its backend prints it (iptables-save line) or rendered from the statements.
    pub text: String,
    pub stmts: Vec<Stmt>,
}

/// A named set or verdict map.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedSet {
    pub name: String,
    pub elems: Vec<SetElem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetElem {
    pub key: Value,
    /// The verdict of a verdict-map element; None in a plain set.
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub family: TableFamily,
    pub name: String,
    pub origin: Origin,
    pub sets: Vec<NamedSet>,
    pub chains: Vec<Chain>,
}

impl Table {
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }
    pub fn set(&self, name: &str) -> Option<&NamedSet> {
        self.sets.iter().find(|s| s.name == name)
    }
}

/// Everything that filters this host's packets, from every backend that was read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ruleset {
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accept,
    Drop,
    /// Terminal like drop; the peer gets an ICMP error instead of silence.
    Reject,
    Return,
    Continue,
    Jump(String),
    Goto(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    /// Bitmask test (`ct state established,related`): any listed flag set.
    In,
    Lt,
    Gt,
    Le,
    Ge,
}

/// The left-hand side of a match: what of the packet is looked at.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `meta KEY` (l4proto, nfproto, protocol, iif, iifname, oif, oifname, pkttype, mark, ...).
    Meta(String),
    /// `PROTO FIELD` (`ip protocol`, `ip6 saddr`, `tcp dport`, ...).
    Payload {
        proto: String,
        field: String,
    },
    /// `ct KEY` (state, status, mark, direction, ...).
    Ct(String),
    /// `fib FLAGS RESULT` (firewalld's reverse-path filter).
    Fib {
        flags: Vec<String>,
        result: String,
    },
    Concat(Vec<Expr>),
    /// An expression the backend produced that we do not model; named for the report.
    Other(String),
}

/// The right-hand side of a match, a set element or a map key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(u64),
    Bool(bool),
    Prefix(IpAddr, u8),
    Range(Box<Value>, Box<Value>),
    /// An anonymous set `{ a, b }`.
    Set(Vec<Value>),
    /// A plain list (nft's bitmask form, `ct state established,related`).
    List(Vec<Value>),
    /// `@name`: a named set of the same table.
    Named(String),
    Concat(Vec<Value>),
    Other(String),
}

/// The map of a `vmap` statement.
#[derive(Debug, Clone, PartialEq)]
pub enum MapRef {
    Inline(Vec<SetElem>),
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Match {
        left: Expr,
        op: Op,
        right: Value,
    },
    Verdict(Verdict),
    /// `KEY vmap { k : verdict, ... }` or `KEY vmap @map`.
    Vmap {
        key: Expr,
        map: MapRef,
    },
    /// `limit rate ...`: adverts over the rate fall through to the next rule.
    Limit(String),
    /// `meta mark set` / `ct mark set` with a constant (None: not a constant we can follow).
    SetMark {
        ct: bool,
        value: Option<u64>,
    },
    /// `notrack`: later `ct state` sees `untracked`.
    Notrack,
    /// A statement with no effect on whether the packet passes (counter, log, ...).
    Passive(String),
    /// A statement we cannot evaluate; it might end the packet's path.
    Unknown(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Reject => f.write_str("reject"),
            Verdict::Return => f.write_str("return"),
            Verdict::Continue => f.write_str("continue"),
            Verdict::Jump(t) => write!(f, "jump {t}"),
            Verdict::Goto(t) => write!(f, "goto {t}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Meta(k) if is_short_meta(k) => f.write_str(k),
            Expr::Meta(k) => write!(f, "meta {k}"),
            Expr::Payload { proto, field } => write!(f, "{proto} {field}"),
            Expr::Ct(k) => write!(f, "ct {k}"),
            Expr::Fib { flags, result } => write!(f, "fib {} {result}", flags.join(" . ")),
            Expr::Concat(v) => {
                let parts: Vec<String> = v.iter().map(|e| e.to_string()).collect();
                f.write_str(&parts.join(" . "))
            }
            Expr::Other(s) => f.write_str(s),
        }
    }
}

/// nft prints these meta keys without the `meta` keyword.
fn is_short_meta(k: &str) -> bool {
    matches!(
        k,
        "iif" | "iifname" | "oif" | "oifname" | "mark" | "iiftype" | "oiftype"
    )
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => {
                if s.is_empty() || s.contains(' ') {
                    write!(f, "\"{s}\"")
                } else {
                    f.write_str(s)
                }
            }
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => f.write_str(if *b { "exists" } else { "missing" }),
            Value::Prefix(a, l) => write!(f, "{a}/{l}"),
            Value::Range(a, b) => write!(f, "{a}-{b}"),
            Value::Set(v) => {
                let parts: Vec<String> = v.iter().map(|e| e.to_string()).collect();
                write!(f, "{{ {} }}", parts.join(", "))
            }
            Value::List(v) => {
                let parts: Vec<String> = v.iter().map(|e| e.to_string()).collect();
                f.write_str(&parts.join(","))
            }
            Value::Named(n) => write!(f, "@{n}"),
            Value::Concat(v) => {
                let parts: Vec<String> = v.iter().map(|e| e.to_string()).collect();
                f.write_str(&parts.join(" . "))
            }
            Value::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stmt::Match { left, op, right } => {
                let op = match op {
                    Op::Eq | Op::In => "",
                    Op::Ne => "!= ",
                    Op::Lt => "< ",
                    Op::Gt => "> ",
                    Op::Le => "<= ",
                    Op::Ge => ">= ",
                };
                // nft quotes interface names.
                match (left, right) {
                    (Expr::Other(_), Value::Other(v)) if v.is_empty() => write!(f, "{left}"),
                    (Expr::Meta(k), Value::Str(v))
                        if matches!(k.as_str(), "iif" | "iifname" | "oif" | "oifname") =>
                    {
                        write!(f, "{left} {op}\"{v}\"")
                    }
                    _ => write!(f, "{left} {op}{right}"),
                }
            }
            Stmt::Verdict(v) => write!(f, "{v}"),
            Stmt::Vmap { key, map } => match map {
                MapRef::Named(n) => write!(f, "{key} vmap @{n}"),
                MapRef::Inline(elems) => {
                    let parts: Vec<String> = elems
                        .iter()
                        .map(|e| match &e.verdict {
                            Some(v) => format!("{} : {v}", e.key),
                            None => e.key.to_string(),
                        })
                        .collect();
                    write!(f, "{key} vmap {{ {} }}", parts.join(", "))
                }
            },
            Stmt::Limit(s) => write!(f, "limit {s}"),
            Stmt::SetMark { ct, value } => {
                let k = if *ct { "ct mark" } else { "meta mark" };
                match value {
                    Some(v) => write!(f, "{k} set {v:#x}"),
                    None => write!(f, "{k} set ..."),
                }
            }
            Stmt::Notrack => f.write_str("notrack"),
            Stmt::Passive(s) | Stmt::Unknown(s) => f.write_str(s),
        }
    }
}

/// Render statements the way `nft list ruleset` roughly prints them (JSON has no text form).
pub fn render(stmts: &[Stmt]) -> String {
    let parts: Vec<String> = stmts.iter().map(|s| s.to_string()).collect();
    parts.join(" ")
}

/// Where a decision was taken: enough to quote it and to place a fix before it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleRef {
    pub family: String,
    pub table: String,
    pub chain: String,
    /// nft handle or iptables position; None for a chain policy.
    pub handle: Option<u64>,
    /// The rule text, or `policy drop` for a base chain's policy.
    pub text: String,
    #[serde(skip)]
    pub origin: Origin,
    #[serde(skip)]
    pub is_policy: bool,
}

impl RuleRef {
    pub fn policy(table: &Table, chain: &Chain, policy: Policy) -> RuleRef {
        RuleRef {
            family: table.family.as_str().into(),
            table: table.name.clone(),
            chain: chain.name.clone(),
            handle: None,
            text: match policy {
                Policy::Accept => "policy accept".into(),
                Policy::Drop => "policy drop".into(),
            },
            origin: table.origin,
            is_policy: true,
        }
    }
    pub fn rule(table: &Table, chain: &Chain, rule: &Rule) -> RuleRef {
        RuleRef {
            family: table.family.as_str().into(),
            table: table.name.clone(),
            chain: chain.name.clone(),
            handle: rule.handle,
            text: rule.text.clone(),
            origin: table.origin,
            is_policy: false,
        }
    }
    /// `table inet filter chain input handle 7` (or `rule 3` for iptables).
    pub fn location(&self) -> String {
        if self.origin == Origin::FirewalldPermanent {
            return format!("firewalld's permanent config, chain {}", self.chain);
        }
        let handle = match (self.handle, self.origin) {
            (None, _) => String::new(),
            (Some(h), Origin::IptablesNft | Origin::IptablesLegacy) => format!(" rule {h}"),
            (Some(h), _) => format!(" handle {h}"),
        };
        format!(
            "table {} {} chain {}{}",
            self.family, self.table, self.chain, handle
        )
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: \"{}\"", self.location(), self.text)
    }
}
