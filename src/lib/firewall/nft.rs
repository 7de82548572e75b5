//! nftables backend: `nft -j list ruleset` (libnftables-json(5)) into the neutral model.
//! A tolerant `serde_json::Value` walker rather than a typed schema: nft grows new statements
//! and shapes (`last`, a netdev chain's `dev` as an array), and one unknown shape must make one
//! rule `unknown`, not the whole rule set unreadable.

use std::net::IpAddr;

use serde_json::Value as J;

use super::model::*;
use super::FirewallError;

/// Parse the JSON document `nft -j list ruleset` prints.
pub fn parse(text: &str) -> Result<Ruleset, FirewallError> {
    let doc: J =
        serde_json::from_str(text).map_err(|e| FirewallError::Parse(format!("nft JSON: {e}")))?;
    let items = doc
        .get("nftables")
        .and_then(J::as_array)
        .ok_or_else(|| FirewallError::Parse("nft JSON: no top-level \"nftables\" array".into()))?;
    let mut rs = Ruleset::default();
    for item in items {
        let Some(obj) = item.as_object() else {
            continue;
        };
        for (kind, body) in obj {
            match kind.as_str() {
                "table" => add_table(&mut rs, body),
                "chain" => add_chain(&mut rs, body),
                "rule" => add_rule(&mut rs, body),
                "set" | "map" => add_set(&mut rs, body),
                _ => {}
            }
        }
    }
    Ok(rs)
}

/// nft 1.0.6 leaves `dev` out of netdev chains in JSON; `nft list ruleset` (text) still prints
/// `hook ingress device "eth0"` or `devices = { ... }`. Fill in what the JSON lacked.
pub fn fill_devices_from_listing(rs: &mut Ruleset, listing: &str) {
    let mut table: Option<(TableFamily, String)> = None;
    let mut chain: Option<String> = None;
    for line in listing.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["table", fam, name, "{"] => {
                table = TableFamily::parse(fam).map(|f| (f, name.to_string()));
                chain = None;
            }
            ["chain", name, "{"] => chain = Some(name.to_string()),
            _ => {}
        }
        let devs: Vec<String> = if let Some(i) = words.iter().position(|w| *w == "device") {
            words
                .get(i + 1)
                .map(|d| vec![d.trim_matches(|c| c == '"' || c == ',').to_string()])
                .unwrap_or_default()
        } else if line.starts_with("devices = {") {
            line.trim_start_matches("devices = {")
                .trim_end_matches(['}', ';', ' '])
                .split(',')
                .map(|d| d.trim().trim_matches('"').to_string())
                .filter(|d| !d.is_empty())
                .collect()
        } else {
            continue;
        };
        let (Some((fam, tname)), Some(cname)) = (&table, &chain) else {
            continue;
        };
        let Some(t) = rs
            .tables
            .iter_mut()
            .find(|t| t.family == *fam && &t.name == tname)
        else {
            continue;
        };
        if let Some(b) = t
            .chains
            .iter_mut()
            .find(|c| &c.name == cname)
            .and_then(|c| c.base.as_mut())
        {
            if b.devices.is_none() && !devs.is_empty() {
                b.devices = Some(devs);
            }
        }
    }
}

fn s<'a>(v: &'a J, key: &str) -> &'a str {
    v.get(key).and_then(J::as_str).unwrap_or("")
}

fn table_mut<'a>(rs: &'a mut Ruleset, body: &J) -> Option<&'a mut Table> {
    let fam = TableFamily::parse(s(body, "family"))?;
    let name = s(body, "table");
    rs.tables
        .iter_mut()
        .find(|t| t.family == fam && t.name == name)
}

fn add_table(rs: &mut Ruleset, body: &J) {
    let Some(family) = TableFamily::parse(s(body, "family")) else {
        return;
    };
    let name = s(body, "name").to_string();
    let origin = if family == TableFamily::Inet && name == "firewalld" {
        Origin::FirewalldRuntime
    } else {
        Origin::Nftables
    };
    rs.tables.push(Table {
        family,
        name,
        origin,
        sets: Vec::new(),
        chains: Vec::new(),
    });
}

fn add_chain(rs: &mut Ruleset, body: &J) {
    let Some(t) = table_mut(rs, body) else { return };
    let base = body
        .get("hook")
        .and_then(J::as_str)
        .and_then(Hook::parse)
        .map(|hook| BaseChain {
            hook,
            prio: body.get("prio").and_then(J::as_i64).unwrap_or(0) as i32,
            policy: if s(body, "policy") == "drop" {
                Policy::Drop
            } else {
                Policy::Accept
            },
            chain_type: s(body, "type").to_string(),
            devices: match body.get("dev") {
                Some(J::String(d)) => Some(vec![d.clone()]),
                Some(J::Array(a)) => Some(
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => None,
            },
        });
    t.chains.push(Chain {
        name: s(body, "name").to_string(),
        handle: body.get("handle").and_then(J::as_u64),
        base,
        rules: Vec::new(),
    });
}

fn add_set(rs: &mut Ruleset, body: &J) {
    let Some(t) = table_mut(rs, body) else { return };
    let elems = body
        .get("elem")
        .and_then(J::as_array)
        .map(|a| a.iter().map(set_elem).collect())
        .unwrap_or_default();
    t.sets.push(NamedSet {
        name: s(body, "name").to_string(),
        elems,
    });
}

fn add_rule(rs: &mut Ruleset, body: &J) {
    let Some(t) = table_mut(rs, body) else { return };
    let chain = s(body, "chain");
    let Some(c) = t.chains.iter_mut().find(|c| c.name == chain) else {
        return;
    };
    let stmts: Vec<Stmt> = body
        .get("expr")
        .and_then(J::as_array)
        .map(|a| a.iter().map(stmt).collect())
        .unwrap_or_default();
    let mut text = render(&stmts);
    if let Some(comment) = body.get("comment").and_then(J::as_str) {
        text.push_str(&format!(" comment \"{comment}\""));
    }
    c.rules.push(Rule {
        handle: body.get("handle").and_then(J::as_u64),
        text,
        stmts,
    });
}

/// One element of a set or map: a key, or `[key, verdict]` in a verdict map.
fn set_elem(v: &J) -> SetElem {
    match v {
        J::Array(pair) if pair.len() == 2 => SetElem {
            key: value(&pair[0]),
            verdict: verdict(&pair[1]),
        },
        _ => SetElem {
            key: value(v),
            verdict: None,
        },
    }
}

fn verdict(v: &J) -> Option<Verdict> {
    let obj = v.as_object()?;
    let (k, body) = obj.iter().next()?;
    Some(match k.as_str() {
        "accept" => Verdict::Accept,
        "drop" => Verdict::Drop,
        "reject" => Verdict::Reject,
        "return" => Verdict::Return,
        "continue" => Verdict::Continue,
        "jump" => Verdict::Jump(s(body, "target").to_string()),
        "goto" => Verdict::Goto(s(body, "target").to_string()),
        _ => return None,
    })
}

fn stmt(v: &J) -> Stmt {
    if let Some(verdict) = verdict(v) {
        return Stmt::Verdict(verdict);
    }
    let Some((k, body)) = v.as_object().and_then(|o| o.iter().next()) else {
        return Stmt::Unknown(format!("statement {v}"));
    };
    match k.as_str() {
        "match" => {
            let op = match s(body, "op") {
                "==" => Op::Eq,
                "!=" => Op::Ne,
                "in" => Op::In,
                "<" => Op::Lt,
                ">" => Op::Gt,
                "<=" => Op::Le,
                ">=" => Op::Ge,
                other => {
                    return Stmt::Unknown(format!("match with operator {other:?}"));
                }
            };
            Stmt::Match {
                left: expr(body.get("left").unwrap_or(&J::Null)),
                op,
                right: value(body.get("right").unwrap_or(&J::Null)),
            }
        }
        "vmap" => {
            let key = expr(body.get("key").unwrap_or(&J::Null));
            let map = match body.get("data") {
                Some(J::String(n)) if n.starts_with('@') => MapRef::Named(n[1..].to_string()),
                Some(d) => MapRef::Inline(
                    d.get("set")
                        .and_then(J::as_array)
                        .map(|a| a.iter().map(set_elem).collect())
                        .unwrap_or_default(),
                ),
                None => MapRef::Inline(Vec::new()),
            };
            Stmt::Vmap { key, map }
        }
        "limit" => {
            let rate = body.get("rate").map(|r| r.to_string()).unwrap_or_default();
            let per = s(body, "per");
            let unit = body
                .get("rate_unit")
                .and_then(J::as_str)
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            let over = if body.get("inv").and_then(J::as_bool) == Some(true) {
                "over "
            } else {
                ""
            };
            Stmt::Limit(format!("rate {over}{rate}{unit}/{per}"))
        }
        "quota" => Stmt::Limit(format!("quota {body}")),
        "counter" => Stmt::Passive("counter".into()),
        "log" => {
            let prefix = body
                .get("prefix")
                .and_then(J::as_str)
                .map(|p| format!(" prefix \"{p}\""))
                .unwrap_or_default();
            Stmt::Passive(format!("log{prefix}"))
        }
        "mangle" => {
            let key = body.get("key").unwrap_or(&J::Null);
            let is_mark =
                |k: &str| key.get(k).and_then(|m| m.get("key")).and_then(J::as_str) == Some("mark");
            if is_mark("meta") || is_mark("ct") {
                Stmt::SetMark {
                    ct: is_mark("ct"),
                    value: body.get("value").and_then(J::as_u64),
                }
            } else {
                Stmt::Passive(format!("{} set ...", expr(key)))
            }
        }
        "notrack" => Stmt::Notrack,
        "xt" => {
            let name = s(body, "name");
            match (s(body, "type"), name) {
                (_, "comment") => Stmt::Passive("comment".into()),
                ("target", "REJECT") => Stmt::Verdict(Verdict::Reject),
                ("target", "LOG" | "NFLOG" | "MARK" | "CONNMARK" | "TRACE" | "TCPMSS") => {
                    Stmt::Passive(format!("xt target {name}"))
                }
                ("match", _) => Stmt::Match {
                    left: Expr::Other(format!(
                        "iptables-nft match `-m {name}` (its arguments are not in nft's JSON)"
                    )),
                    op: Op::Eq,
                    right: Value::Other(String::new()),
                },
                (kind, _) => Stmt::Unknown(format!("iptables-nft {kind} `{name}`")),
            }
        }
        "ct helper" | "ct timeout" | "ct expectation" | "secmark" | "set" | "dup" | "last"
        | "synproxy" => Stmt::Passive(k.clone()),
        "reject" => Stmt::Verdict(Verdict::Reject),
        other => Stmt::Unknown(format!("`{other}` statement")),
    }
}

fn expr(v: &J) -> Expr {
    let Some((k, body)) = v.as_object().and_then(|o| o.iter().next()) else {
        return Expr::Other(format!("expression {v}"));
    };
    match k.as_str() {
        "payload" => {
            if body.get("protocol").is_some() {
                Expr::Payload {
                    proto: s(body, "protocol").to_string(),
                    field: s(body, "field").to_string(),
                }
            } else {
                Expr::Other(format!(
                    "raw payload @{},{},{}",
                    s(body, "base"),
                    body.get("offset").unwrap_or(&J::Null),
                    body.get("len").unwrap_or(&J::Null)
                ))
            }
        }
        "meta" => Expr::Meta(s(body, "key").to_string()),
        "ct" => {
            let key = s(body, "key");
            match body.get("dir").and_then(J::as_str) {
                Some(dir) => Expr::Other(format!("ct {dir} {key}")),
                None => Expr::Ct(key.to_string()),
            }
        }
        "fib" => Expr::Fib {
            flags: body
                .get("flags")
                .and_then(J::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            result: s(body, "result").to_string(),
        },
        "concat" => Expr::Concat(
            body.as_array()
                .map(|a| a.iter().map(expr).collect())
                .unwrap_or_default(),
        ),
        other => Expr::Other(format!("`{other}` expression")),
    }
}

fn value(v: &J) -> Value {
    match v {
        J::String(s) if s.starts_with('@') => Value::Named(s[1..].to_string()),
        J::String(s) => Value::Str(s.clone()),
        J::Number(n) => n
            .as_u64()
            .map(Value::Num)
            .unwrap_or_else(|| Value::Other(n.to_string())),
        J::Bool(b) => Value::Bool(*b),
        J::Array(a) => Value::List(a.iter().map(value).collect()),
        J::Object(o) => {
            if let Some(p) = o.get("prefix") {
                let addr = s(p, "addr").parse::<IpAddr>();
                let len = p.get("len").and_then(J::as_u64);
                match (addr, len) {
                    (Ok(a), Some(l)) if l <= 128 => Value::Prefix(a, l as u8),
                    _ => Value::Other(format!("prefix {p}")),
                }
            } else if let Some(J::Array(r)) = o.get("range") {
                match r.as_slice() {
                    [a, b] => Value::Range(Box::new(value(a)), Box::new(value(b))),
                    _ => Value::Other(format!("range {v}")),
                }
            } else if let Some(J::Array(a)) = o.get("set") {
                Value::Set(a.iter().map(|e| set_elem(e).key).collect())
            } else if let Some(J::Array(a)) = o.get("concat") {
                Value::Concat(a.iter().map(value).collect())
            } else if let Some(e) = o.get("elem") {
                value(e.get("val").unwrap_or(&J::Null))
            } else {
                Value::Other(format!("{v}"))
            }
        }
        J::Null => Value::Other("null".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base_chain_rule_and_named_set() {
        let rs = parse(
            r#"{"nftables":[{"metainfo":{}},
            {"table":{"family":"inet","name":"filter","handle":1}},
            {"set":{"family":"inet","name":"peers","table":"filter","type":"ipv4_addr","elem":["192.0.2.2",{"prefix":{"addr":"198.51.100.0","len":24}}]}},
            {"chain":{"family":"inet","table":"filter","name":"input","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}},
            {"rule":{"family":"inet","table":"filter","chain":"input","handle":4,"expr":[
              {"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@peers"}},
              {"match":{"op":"in","left":{"ct":{"key":"state"}},"right":["established","related"]}},
              {"accept":null}]}}]}"#,
        )
        .unwrap();
        let t = &rs.tables[0];
        assert_eq!(t.set("peers").unwrap().elems.len(), 2);
        let c = t.chain("input").unwrap();
        assert_eq!(c.base.as_ref().unwrap().policy, Policy::Drop);
        assert_eq!(
            c.rules[0].text,
            "ip saddr @peers ct state established,related accept"
        );
    }

    #[test]
    fn unknown_shapes_stay_local_to_their_rule() {
        let rs = parse(
            r#"{"nftables":[{"table":{"family":"netdev","name":"edge"}},
            {"chain":{"family":"netdev","table":"edge","name":"in","type":"filter","hook":"ingress","prio":-500,"dev":["eth0","eth1"]}},
            {"rule":{"family":"netdev","table":"edge","chain":"in","handle":2,"expr":[{"frobnicate":{"x":1}}]}}]}"#,
        )
        .unwrap();
        let c = &rs.tables[0].chains[0];
        assert_eq!(
            c.base.as_ref().unwrap().devices.as_deref(),
            Some(&["eth0".to_string(), "eth1".to_string()][..])
        );
        assert!(matches!(c.rules[0].stmts[0], Stmt::Unknown(_)));
    }

    #[test]
    fn rejects_a_document_without_the_nftables_array() {
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
    }
}
