//! The evaluator's semantics on small rule sets: what is `unknown` (and that an undecidable
//! construct is reported only when it changes the outcome), rate limits, the conntrack state
//! before conntrack runs, goto without a return point, output-path matches, AH.

use std::net::IpAddr;

use vrrp::firewall::model::{Origin, Ruleset};
use vrrp::firewall::probe::*;
use vrrp::firewall::verdict::{assess, Target, Verdict};
use vrrp::firewall::{iptables, nft};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ipt(body: &str) -> Ruleset {
    iptables::parse(body, IpFamily::V4, Origin::IptablesLegacy).unwrap()
}

fn target(direction: Direction, src: Source, dst: &str, l4: u8) -> Target {
    let d = ip(dst);
    Target {
        direction,
        iface: "eth0".into(),
        family: IpFamily::of(&d),
        source: src,
        destination: d,
        unicast: !d.is_multicast(),
        l4proto: l4,
        local_prefixes: vec![(ip("192.0.2.1"), 24)],
    }
}

fn mcast_in() -> Target {
    target(
        Direction::In,
        Source::Host(ip("192.0.2.2")),
        "224.0.0.18",
        IPPROTO_VRRP,
    )
}

#[test]
fn an_ipset_match_is_unknown_only_when_it_decides() {
    let rs = ipt(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -m set --match-set peers src -j ACCEPT\nCOMMIT\n",
    );
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Unknown, "{f:#?}");
    assert!(f.reason.contains("-m set"), "{}", f.reason);
    // An accept for VRRP before it: the ipset no longer matters.
    let rs = ipt("*filter\n:INPUT DROP [0:0]\n-A INPUT -p vrrp -j ACCEPT\n-A INPUT -m set --match-set peers src -j ACCEPT\nCOMMIT\n");
    assert_eq!(assess(&rs, &mcast_in()).verdict, Verdict::Allowed);
    // After it, an accept for VRRP: either way the advert passes.
    let rs = ipt("*filter\n:INPUT DROP [0:0]\n-A INPUT -m set --match-set peers src -j ACCEPT\n-A INPUT -p 112 -j ACCEPT\nCOMMIT\n");
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    assert_eq!(f.decider.unwrap().handle, Some(2));
}

#[test]
fn a_queue_target_is_unknown() {
    let rs =
        ipt("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p vrrp -j NFQUEUE --queue-num 1\nCOMMIT\n");
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Unknown, "{f:#?}");
    assert!(f.reason.contains("NFQUEUE"), "{}", f.reason);
}

#[test]
fn a_rate_limited_accept_may_drop_under_load() {
    let rs = ipt(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -p vrrp -m limit --limit 10/sec -j ACCEPT\nCOMMIT\n",
    );
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    assert!(
        f.notes.iter().any(|n| n.contains("may drop under load")),
        "{f:#?}"
    );
}

#[test]
fn ct_state_reads_invalid_before_conntrack() {
    // raw PREROUTING runs at -300, before conntrack: every packet is `invalid` there.
    let rs = ipt(
        "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m state --state INVALID -j DROP\nCOMMIT\n",
    );
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Blocked, "{f:#?}");
    // The same rule in filter INPUT sees NEW: it passes.
    let rs =
        ipt("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\nCOMMIT\n");
    assert_eq!(assess(&rs, &mcast_in()).verdict, Verdict::Allowed);
    // NOTRACK in raw makes later `ct state` read untracked.
    let rs = ipt("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p vrrp -j NOTRACK\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -m state --state UNTRACKED -j ACCEPT\nCOMMIT\n");
    assert_eq!(assess(&rs, &mcast_in()).verdict, Verdict::Allowed);
}

#[test]
fn goto_returns_to_the_last_jump_not_to_the_goto() {
    // INPUT jumps to A; A gotos B; B returns: evaluation resumes after the jump in INPUT.
    let rs = ipt("*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A INPUT -p vrrp -j ACCEPT\n-A A -g B\n-A A -j DROP\n-A B -j RETURN\nCOMMIT\n");
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    assert_eq!(f.decider.unwrap().chain, "INPUT");
}

#[test]
fn output_path_and_ah() {
    let rs = ipt("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -o eth0 -p vrrp -j ACCEPT\nCOMMIT\n");
    let out = target(
        Direction::Out,
        Source::Host(ip("192.0.2.1")),
        "224.0.0.18",
        IPPROTO_VRRP,
    );
    assert_eq!(assess(&rs, &out).verdict, Verdict::Allowed);
    // keepalived's auth_type AH sends protocol 51: a vrrp-only accept does not cover it.
    let ah = Target {
        l4proto: IPPROTO_AH,
        ..out
    };
    assert_eq!(assess(&rs, &ah).verdict, Verdict::Blocked);
    // An input-path match (`-i`) never matches on output.
    let rs = ipt("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -i eth0 -p vrrp -j ACCEPT\nCOMMIT\n");
    let out = target(
        Direction::Out,
        Source::Host(ip("192.0.2.1")),
        "224.0.0.18",
        IPPROTO_VRRP,
    );
    assert_eq!(assess(&rs, &out).verdict, Verdict::Blocked);
}

#[test]
fn a_raw_payload_match_that_decides_is_unknown() {
    let json = r#"{"nftables":[{"table":{"family":"inet","name":"t"}},
      {"chain":{"family":"inet","table":"t","name":"input","type":"filter","hook":"input","prio":0,"policy":"drop"}},
      {"rule":{"family":"inet","table":"t","chain":"input","handle":3,"expr":[
        {"match":{"op":"==","left":{"payload":{"base":"th","offset":8,"len":8}},"right":51}},{"accept":null}]}}]}"#;
    let rs = nft::parse(json).unwrap();
    let f = assess(&rs, &mcast_in());
    assert_eq!(f.verdict, Verdict::Unknown, "{f:#?}");
    assert!(f.reason.contains("raw payload"), "{}", f.reason);
    assert!(f.reason.contains("handle 3"), "{}", f.reason);
}
