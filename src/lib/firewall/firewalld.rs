//! firewalld backend. At runtime firewalld is its nftables table `inet firewalld`, which the
//! nft backend already reads; this module reads the *permanent* configuration (zone and service
//! XML under /usr/lib/firewalld and /etc/firewalld, the latter winning by file name, and
//! firewalld.conf's DefaultZone) and compiles it into the same table layout firewalld 1.x
//! loads (`filter_INPUT` at priority +10 -> `filter_INPUT_ZONES`: source zones, then interface
//! zones, then the default zone -> `filter_IN_<zone>` with its `_pre/_log/_deny/_allow/_post`
//! chains and the zone target). Comparing the two finds runtime-only changes lost on reload.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::model::*;
use super::FirewallError;

/// One zone as configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Zone {
    pub name: String,
    pub file: PathBuf,
    /// `ACCEPT`, `DROP`, `%%REJECT%%` or `default`.
    pub target: String,
    pub services: Vec<String>,
    pub protocols: Vec<String>,
    pub interfaces: Vec<String>,
    pub sources: Vec<String>,
    pub rich_rules: Vec<RichRule>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RichRule {
    pub family: Option<String>,
    pub priority: i32,
    pub source: Option<(String, bool)>,
    pub destination: Option<(String, bool)>,
    /// ipset/mac sources we cannot evaluate.
    pub opaque_source: Option<String>,
    pub protocol: Option<String>,
    pub service: Option<String>,
    pub port: bool,
    /// `accept`, `drop`, `reject`, `mark` or None (log/audit only).
    pub action: Option<String>,
    pub limit: Option<String>,
    /// The rule in firewall-cmd's rich-rule syntax, for quoting.
    pub text: String,
}

/// A service definition's protocols (ports never match VRRP, so only their presence counts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    pub protocols: Vec<String>,
    pub includes: Vec<String>,
    pub destination_v4: Option<String>,
    pub destination_v6: Option<String>,
}

/// The permanent configuration of one host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permanent {
    pub default_zone: String,
    pub zones: BTreeMap<String, Zone>,
    pub services: BTreeMap<String, Service>,
}

impl Permanent {
    /// The zone an advert from `src` on `iface` lands in: source zones first, then the
    /// interface's zone, then the default zone.
    pub fn zone_for(&self, iface: &str, src: Option<IpAddr>) -> Option<&Zone> {
        if let Some(src) = src {
            for z in self.zones.values() {
                if z.sources.iter().any(|s| source_contains(s, src)) {
                    return Some(z);
                }
            }
        }
        self.zones
            .values()
            .find(|z| z.interfaces.iter().any(|i| i == iface))
            .or_else(|| self.zones.get(&self.default_zone))
    }
}

fn source_contains(s: &str, a: IpAddr) -> bool {
    let (addr, len) = match s.split_once('/') {
        Some((x, l)) => (x, l.parse::<u8>().ok()),
        None => (s, Some(if a.is_ipv4() { 32 } else { 128 })),
    };
    match (addr.parse::<IpAddr>(), len) {
        (Ok(n), Some(l)) if n.is_ipv4() == a.is_ipv4() => {
            let (lo, hi) = super::probe::interval(n, l);
            let v = super::probe::to_u128(a);
            lo <= v && v <= hi
        }
        _ => false,
    }
}

/// Read the permanent config under `root` (`/` on a real host).
pub fn load(root: &Path) -> Result<Permanent, FirewallError> {
    let etc = root.join("etc/firewalld");
    let lib = root.join("usr/lib/firewalld");
    if !etc.is_dir() && !lib.is_dir() {
        return Err(FirewallError::Read(format!(
            "no firewalld configuration under {} or {}",
            etc.display(),
            lib.display()
        )));
    }
    let default_zone = std::fs::read_to_string(etc.join("firewalld.conf"))
        .ok()
        .and_then(|c| {
            c.lines()
                .filter_map(|l| l.trim().strip_prefix("DefaultZone="))
                .map(|z| z.trim().to_string())
                .next_back()
        })
        .unwrap_or_else(|| "public".into());
    let mut p = Permanent {
        default_zone,
        ..Default::default()
    };
    for dir in [lib.join("zones"), etc.join("zones")] {
        for (name, file, text) in xml_files(&dir)? {
            let zone = parse_zone(&name, &file, &text)?;
            p.zones.insert(name, zone);
        }
    }
    for dir in [lib.join("services"), etc.join("services")] {
        for (name, file, text) in xml_files(&dir)? {
            p.services.insert(name, parse_service(&file, &text)?);
        }
    }
    Ok(p)
}

fn xml_files(dir: &Path) -> Result<Vec<(String, PathBuf, String)>, FirewallError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("xml") {
            continue;
        }
        let Some(name) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FirewallError::Read(format!("cannot read {}: {e}", path.display())))?;
        out.push((name, path, text));
    }
    out.sort();
    Ok(out)
}

fn xml_err(file: &Path, e: impl std::fmt::Display) -> FirewallError {
    FirewallError::Parse(format!("{}: {e}", file.display()))
}

/// Parse one zone file.
pub fn parse_zone(name: &str, file: &Path, text: &str) -> Result<Zone, FirewallError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| xml_err(file, e))?;
    let root = doc.root_element();
    if root.tag_name().name() != "zone" {
        return Err(xml_err(file, "the root element is not <zone>"));
    }
    let mut z = Zone {
        name: name.to_string(),
        file: file.to_path_buf(),
        target: root.attribute("target").unwrap_or("default").to_string(),
        ..Default::default()
    };
    for n in root.children().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "service" => z.services.extend(n.attribute("name").map(str::to_string)),
            "protocol" => z.protocols.extend(n.attribute("value").map(str::to_string)),
            "interface" => z.interfaces.extend(n.attribute("name").map(str::to_string)),
            "source" => {
                if let Some(a) = n.attribute("address") {
                    z.sources.push(a.to_string());
                }
            }
            "rule" => z.rich_rules.push(parse_rich(n)),
            _ => {}
        }
    }
    Ok(z)
}

fn parse_rich(n: roxmltree::Node) -> RichRule {
    let mut r = RichRule {
        family: n.attribute("family").map(str::to_string),
        priority: n
            .attribute("priority")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
        ..Default::default()
    };
    let mut words: Vec<String> = vec!["rule".into()];
    if let Some(f) = &r.family {
        words.push(format!("family=\"{f}\""));
    }
    if r.priority != 0 {
        words.push(format!("priority=\"{}\"", r.priority));
    }
    for c in n.children().filter(|c| c.is_element()) {
        let invert = c.attribute("invert") == Some("true");
        let not = if invert { "not " } else { "" };
        match c.tag_name().name() {
            "source" | "destination" => {
                let tag = c.tag_name().name();
                if let Some(a) = c.attribute("address") {
                    words.push(format!("{tag} {not}address=\"{a}\""));
                    let v = Some((a.to_string(), invert));
                    if tag == "source" {
                        r.source = v;
                    } else {
                        r.destination = v;
                    }
                } else {
                    let what = c
                        .attributes()
                        .map(|a| format!("{}=\"{}\"", a.name(), a.value()))
                        .collect::<Vec<_>>()
                        .join(" ");
                    words.push(format!("{tag} {what}"));
                    r.opaque_source = Some(format!("rich rule {tag} {what}"));
                }
            }
            "protocol" => {
                r.protocol = c.attribute("value").map(str::to_string);
                words.push(format!(
                    "protocol value=\"{}\"",
                    r.protocol.clone().unwrap_or_default()
                ));
            }
            "service" => {
                r.service = c.attribute("name").map(str::to_string);
                words.push(format!(
                    "service name=\"{}\"",
                    r.service.clone().unwrap_or_default()
                ));
            }
            "port" | "source-port" | "icmp-block" | "icmp-type" | "forward-port" => {
                r.port = true;
                words.push(c.tag_name().name().to_string());
            }
            "log" | "audit" | "nflog" => words.push(c.tag_name().name().to_string()),
            act @ ("accept" | "drop" | "reject" | "mark") => {
                r.action = Some(act.to_string());
                if let Some(l) = c
                    .children()
                    .find(|l| l.has_tag_name("limit"))
                    .and_then(|l| l.attribute("value"))
                {
                    r.limit = Some(l.to_string());
                    words.push(format!("{act} limit value=\"{l}\""));
                } else {
                    words.push(act.to_string());
                }
            }
            other => {
                words.push(other.to_string());
                r.opaque_source
                    .get_or_insert(format!("rich rule element <{other}>"));
            }
        }
    }
    r.text = words.join(" ");
    r
}

/// Parse one service file (only what can match a VRRP advert).
pub fn parse_service(file: &Path, text: &str) -> Result<Service, FirewallError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| xml_err(file, e))?;
    let mut s = Service::default();
    for n in doc.root_element().children().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "protocol" => s.protocols.extend(n.attribute("value").map(str::to_string)),
            "include" => s
                .includes
                .extend(n.attribute("service").map(str::to_string)),
            "destination" => {
                s.destination_v4 = n.attribute("ipv4").map(str::to_string);
                s.destination_v6 = n.attribute("ipv6").map(str::to_string);
            }
            _ => {}
        }
    }
    Ok(s)
}

fn l4(p: &str) -> Stmt {
    Stmt::Match {
        left: Expr::Meta("l4proto".into()),
        op: Op::Eq,
        right: Value::Str(p.to_string()),
    }
}

/// A firewalld source or rich-rule address (`192.0.2.0/24`, `2001:db8::1`) as nft would show
/// it: a prefix, a plain address, or text the evaluator cannot match.
fn source_value(s: &str) -> Value {
    match s.split_once('/') {
        Some((a, l)) => match (a.parse::<IpAddr>(), l.parse::<u8>()) {
            (Ok(a), Ok(l)) => Value::Prefix(a, l),
            _ => Value::Other(s.to_string()),
        },
        None => Value::Str(s.to_string()),
    }
}

fn addr_match(addr: &str, field: &str, negate: bool) -> Stmt {
    let fam = if addr.contains(':') { "ip6" } else { "ip" };
    let right = source_value(addr);
    Stmt::Match {
        left: Expr::Payload {
            proto: fam.into(),
            field: field.into(),
        },
        op: if negate { Op::Ne } else { Op::Eq },
        right,
    }
}

fn verdict(v: Verdict) -> Stmt {
    Stmt::Verdict(v)
}

fn rule(stmts: Vec<Stmt>, text: String) -> Rule {
    Rule {
        handle: None,
        text,
        stmts,
    }
}

fn nft_rule(stmts: Vec<Stmt>) -> Rule {
    let text = render(&stmts);
    rule(stmts, text)
}

/// The protocols a service names, through its `<include service=.../>`s.
fn service_protocols(p: &Permanent, name: &str, depth: usize) -> Vec<String> {
    let Some(svc) = p.services.get(name) else {
        return Vec::new();
    };
    let mut out = svc.protocols.clone();
    if depth < 8 {
        for inc in &svc.includes {
            out.extend(service_protocols(p, inc, depth + 1));
        }
    }
    out
}

/// Rules for one service: each protocol it names, restricted to its destination if any.
fn service_rules(p: &Permanent, name: &str, depth: usize, out: &mut Vec<Rule>, src: &str) {
    let Some(svc) = p.services.get(name) else {
        return;
    };
    for proto in &svc.protocols {
        let mut stmts = Vec::new();
        if let Some(d) = &svc.destination_v4 {
            stmts.push(addr_match(d, "daddr", false));
        }
        if let Some(d) = &svc.destination_v6 {
            stmts.push(addr_match(d, "daddr", false));
        }
        stmts.push(l4(proto));
        stmts.push(verdict(Verdict::Accept));
        out.push(rule(
            stmts,
            format!("{src} (service {name}: protocol {proto})"),
        ));
    }
    if depth < 8 {
        for inc in &svc.includes {
            service_rules(p, inc, depth + 1, out, src);
        }
    }
}

fn rich_rules(p: &Permanent, r: &RichRule) -> Vec<Rule> {
    let text = format!("rich rule '{}'", r.text);
    let mut head = Vec::new();
    match r.family.as_deref() {
        Some("ipv4") => head.push(Stmt::Match {
            left: Expr::Meta("nfproto".into()),
            op: Op::Eq,
            right: Value::Str("ipv4".into()),
        }),
        Some("ipv6") => head.push(Stmt::Match {
            left: Expr::Meta("nfproto".into()),
            op: Op::Eq,
            right: Value::Str("ipv6".into()),
        }),
        _ => {}
    }
    if let Some((a, inv)) = &r.source {
        head.push(addr_match(a, "saddr", *inv));
    }
    if let Some((a, inv)) = &r.destination {
        head.push(addr_match(a, "daddr", *inv));
    }
    if let Some(o) = &r.opaque_source {
        head.push(Stmt::Match {
            left: Expr::Other(o.clone()),
            op: Op::Eq,
            right: Value::Other(String::new()),
        });
    }
    let mut tail = Vec::new();
    if let Some(l) = &r.limit {
        tail.push(Stmt::Limit(format!("value {l}")));
    }
    match r.action.as_deref() {
        Some("accept") => tail.push(verdict(Verdict::Accept)),
        Some("drop") => tail.push(verdict(Verdict::Drop)),
        Some("reject") => tail.push(verdict(Verdict::Reject)),
        _ => tail.push(Stmt::Passive("log".into())),
    }
    let mut protos: Vec<String> = Vec::new();
    if let Some(pr) = &r.protocol {
        protos.push(pr.clone());
    }
    if let Some(s) = &r.service {
        protos.extend(service_protocols(p, s, 0));
        if protos.is_empty() {
            // A service with only ports: cannot match an advert.
            return Vec::new();
        }
    }
    if r.port {
        return Vec::new();
    }
    if protos.is_empty() {
        let mut stmts = head;
        stmts.extend(tail);
        return vec![rule(stmts, text)];
    }
    protos
        .into_iter()
        .map(|pr| {
            let mut stmts = head.clone();
            stmts.push(l4(&pr));
            stmts.extend(tail.clone());
            rule(stmts, text.clone())
        })
        .collect()
}

fn chain(name: &str, rules: Vec<Rule>) -> Chain {
    Chain {
        name: name.to_string(),
        handle: None,
        base: None,
        rules,
    }
}

fn base(name: &str, hook: Hook, rules: Vec<Rule>) -> Chain {
    Chain {
        name: name.to_string(),
        handle: None,
        base: Some(BaseChain {
            hook,
            prio: 10,
            policy: Policy::Accept,
            chain_type: "filter".into(),
            devices: None,
        }),
        rules,
    }
}

fn ct_state(states: &[&str], v: Verdict) -> Vec<Stmt> {
    vec![
        Stmt::Match {
            left: Expr::Ct("state".into()),
            op: Op::Eq,
            right: Value::Set(states.iter().map(|s| Value::Str(s.to_string())).collect()),
        },
        Stmt::Verdict(v),
    ]
}

fn goto_if(left: Expr, right: Value, target: &str) -> Rule {
    nft_rule(vec![
        Stmt::Match {
            left,
            op: Op::Eq,
            right,
        },
        Stmt::Verdict(Verdict::Goto(target.to_string())),
    ])
}

/// Compile the permanent config into the table firewalld would load (input and output paths).
pub fn compile(p: &Permanent) -> Table {
    let mut chains = Vec::new();
    chains.push(base(
        "filter_PREROUTING",
        Hook::Prerouting,
        vec![nft_rule(vec![
            Stmt::Match {
                left: Expr::Meta("nfproto".into()),
                op: Op::Eq,
                right: Value::Str("ipv6".into()),
            },
            Stmt::Match {
                left: Expr::Fib {
                    flags: vec!["saddr".into(), "mark".into(), "iif".into()],
                    result: "oif".into(),
                },
                op: Op::Eq,
                right: Value::Bool(false),
            },
            Stmt::Verdict(Verdict::Drop),
        ])],
    ));
    chains.push(base(
        "filter_INPUT",
        Hook::Input,
        vec![
            nft_rule(ct_state(&["established", "related"], Verdict::Accept)),
            nft_rule(vec![
                Stmt::Match {
                    left: Expr::Meta("iifname".into()),
                    op: Op::Eq,
                    right: Value::Str("lo".into()),
                },
                Stmt::Verdict(Verdict::Accept),
            ]),
            nft_rule(ct_state(&["invalid"], Verdict::Drop)),
            nft_rule(vec![Stmt::Verdict(Verdict::Jump(
                "filter_INPUT_ZONES".into(),
            ))]),
            nft_rule(vec![Stmt::Verdict(Verdict::Reject)]),
        ],
    ));
    chains.push(base(
        "filter_OUTPUT",
        Hook::Output,
        vec![nft_rule(ct_state(
            &["established", "related"],
            Verdict::Accept,
        ))],
    ));
    let mut dispatch = Vec::new();
    for z in p.zones.values() {
        for s in &z.sources {
            let fam = if s.contains(':') { "ip6" } else { "ip" };
            let right = source_value(s);
            dispatch.push(goto_if(
                Expr::Payload {
                    proto: fam.into(),
                    field: "saddr".into(),
                },
                right,
                &format!("filter_IN_{}", z.name),
            ));
        }
    }
    for z in p.zones.values() {
        for i in &z.interfaces {
            dispatch.push(goto_if(
                Expr::Meta("iifname".into()),
                Value::Str(i.clone()),
                &format!("filter_IN_{}", z.name),
            ));
        }
    }
    if p.zones.contains_key(&p.default_zone) {
        dispatch.push(nft_rule(vec![Stmt::Verdict(Verdict::Goto(format!(
            "filter_IN_{}",
            p.default_zone
        )))]));
    }
    chains.push(chain("filter_INPUT_ZONES", dispatch));
    for z in p.zones.values() {
        let zc = format!("filter_IN_{}", z.name);
        let file = z.file.display().to_string();
        let mut zone_rules: Vec<Rule> = ["pre", "log", "deny", "allow", "post"]
            .iter()
            .map(|s| nft_rule(vec![Stmt::Verdict(Verdict::Jump(format!("{zc}_{s}")))]))
            .collect();
        let (mut pre, mut deny, mut allow, mut post) = (vec![], vec![], vec![], vec![]);
        for s in &z.services {
            service_rules(
                p,
                s,
                0,
                &mut allow,
                &format!("<service name=\"{s}\"/> in {file}"),
            );
        }
        for pr in &z.protocols {
            allow.push(rule(
                vec![l4(pr), verdict(Verdict::Accept)],
                format!("<protocol value=\"{pr}\"/> in {file}"),
            ));
        }
        for r in &z.rich_rules {
            let rules = rich_rules(p, r);
            let dest = if r.priority < 0 {
                &mut pre
            } else if r.priority > 0 {
                &mut post
            } else if matches!(r.action.as_deref(), Some("drop" | "reject")) {
                &mut deny
            } else {
                &mut allow
            };
            dest.extend(rules.into_iter().map(|mut rl| {
                rl.text = format!("{} in {file}", rl.text);
                rl
            }));
        }
        let target_text = format!("zone target {} of {file}", z.target);
        match z.target.as_str() {
            "ACCEPT" => zone_rules.push(rule(vec![verdict(Verdict::Accept)], target_text)),
            "DROP" => zone_rules.push(rule(vec![verdict(Verdict::Drop)], target_text)),
            t => {
                if t != "%%REJECT%%" {
                    zone_rules.push(nft_rule(vec![
                        Stmt::Match {
                            left: Expr::Meta("l4proto".into()),
                            op: Op::Eq,
                            right: Value::Set(vec![
                                Value::Str("icmp".into()),
                                Value::Str("ipv6-icmp".into()),
                            ]),
                        },
                        verdict(Verdict::Accept),
                    ]));
                }
                zone_rules.push(rule(vec![verdict(Verdict::Reject)], target_text));
            }
        }
        chains.push(chain(&zc, zone_rules));
        chains.push(chain(&format!("{zc}_pre"), pre));
        chains.push(chain(&format!("{zc}_log"), Vec::new()));
        chains.push(chain(&format!("{zc}_deny"), deny));
        chains.push(chain(&format!("{zc}_allow"), allow));
        chains.push(chain(&format!("{zc}_post"), post));
    }
    Table {
        family: TableFamily::Inet,
        name: "firewalld".into(),
        origin: Origin::FirewalldPermanent,
        sets: Vec::new(),
        chains,
    }
}

/// The zone a firewalld chain belongs to (`filter_IN_public_allow` -> `public`).
pub fn zone_of_chain(chain: &str) -> Option<String> {
    let z = chain.strip_prefix("filter_IN_")?;
    for suffix in ["_pre", "_log", "_deny", "_allow", "_post"] {
        if let Some(s) = z.strip_suffix(suffix) {
            return Some(s.to_string());
        }
    }
    Some(z.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_rules_read_back_in_firewall_cmd_syntax() {
        let z = parse_zone(
            "public",
            Path::new("public.xml"),
            r#"<?xml version="1.0" encoding="utf-8"?>
<zone target="DROP"><service name="ssh"/><protocol value="vrrp"/>
<rule family="ipv4"><source address="192.0.2.2"/><protocol value="vrrp"/><accept/></rule>
<rule><source ipset="peers"/><protocol value="112"/><accept><limit value="10/s"/></accept></rule>
<interface name="eth0"/><source address="198.51.100.0/24"/></zone>"#,
        )
        .unwrap();
        assert_eq!(z.target, "DROP");
        assert_eq!(z.interfaces, ["eth0"]);
        assert_eq!(z.sources, ["198.51.100.0/24"]);
        assert_eq!(
            z.rich_rules[0].text,
            r#"rule family="ipv4" source address="192.0.2.2" protocol value="vrrp" accept"#
        );
        assert!(z.rich_rules[1].opaque_source.is_some());
        assert_eq!(z.rich_rules[1].limit.as_deref(), Some("10/s"));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse_zone("x", Path::new("x.xml"), "<zone><service").is_err());
        assert!(parse_zone("x", Path::new("x.xml"), "<service/>").is_err());
    }

    #[test]
    fn zone_names_from_chain_names() {
        assert_eq!(
            zone_of_chain("filter_IN_public_allow").as_deref(),
            Some("public")
        );
        assert_eq!(zone_of_chain("filter_IN_drop").as_deref(), Some("drop"));
        assert_eq!(zone_of_chain("filter_INPUT"), None);
    }
}
