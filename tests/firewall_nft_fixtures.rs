//! The evaluator against real `nft -j list ruleset` outputs whose verdicts were measured by
//! raw-socket delivery (tests/data/firewall/nft/README.reference.md): adverts from 192.0.2.2
//! on vethA (192.0.2.1/24) to 224.0.0.18 (multicast) and to 192.0.2.1 (unicast).

use std::net::IpAddr;
use std::path::PathBuf;

use vrrp::firewall::model::Ruleset;
use vrrp::firewall::nft;
use vrrp::firewall::probe::*;
use vrrp::firewall::verdict::{assess, Finding, Target, Verdict};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/firewall/nft")
        .join(name)
}

fn ruleset(stem: &str) -> Ruleset {
    let json = std::fs::read_to_string(data(&format!("{stem}.json"))).unwrap();
    let mut rs = nft::parse(&json).unwrap();
    if let Ok(listing) = std::fs::read_to_string(data(&format!("{stem}.listed.nft"))) {
        nft::fill_devices_from_listing(&mut rs, &listing);
    }
    rs
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn inbound(source: Source, dst: &str, unicast: bool) -> Target {
    let dst = ip(dst);
    Target {
        direction: Direction::In,
        iface: "vethA".into(),
        family: IpFamily::of(&dst),
        source,
        destination: dst,
        unicast,
        l4proto: IPPROTO_VRRP,
        local_prefixes: vec![(ip("192.0.2.1"), 24), (ip("fe80::1"), 64)],
    }
}

fn mcast(rs: &Ruleset) -> Finding {
    assess(
        rs,
        &inbound(Source::Host(ip("192.0.2.2")), "224.0.0.18", false),
    )
}
fn ucast(rs: &Ruleset) -> Finding {
    assess(
        rs,
        &inbound(Source::Host(ip("192.0.2.2")), "192.0.2.1", true),
    )
}

/// (fixture, multicast verdict, unicast verdict) as measured, with conntrack flushed first.
/// Unicast "conditional" is the measured 0-of-3 for a fresh advert, 3-of-3 once this host had
/// sent one (conntrack_gotcha.txt).
const MEASURED: &[(&str, Verdict, Verdict)] = &[
    (
        "01_accept_vrrp_explicit",
        Verdict::Allowed,
        Verdict::Conditional,
    ),
    (
        "02_policy_drop_no_vrrp",
        Verdict::Blocked,
        Verdict::Conditional,
    ),
    (
        "03_ct_established_only",
        Verdict::Blocked,
        Verdict::Conditional,
    ),
    (
        "04_vrrp_from_other_saddr",
        Verdict::Blocked,
        Verdict::Conditional,
    ),
    ("05_vrrp_peer_named_set", Verdict::Allowed, Verdict::Allowed),
    ("06_reject_all_on_iface", Verdict::Blocked, Verdict::Blocked),
    ("07_jump_user_chain", Verdict::Allowed, Verdict::Allowed),
    ("08_two_base_chains", Verdict::Blocked, Verdict::Blocked),
    ("09_netdev_ingress_drop", Verdict::Blocked, Verdict::Blocked),
    (
        "10_firewalld_default_unbound",
        Verdict::Blocked,
        Verdict::Conditional,
    ),
    (
        "11_firewalld_public_iface_no_vrrp",
        Verdict::Blocked,
        Verdict::Conditional,
    ),
    (
        "12_firewalld_public_add_protocol_vrrp",
        Verdict::Allowed,
        Verdict::Allowed,
    ),
    (
        "13_firewalld_rich_rule_vrrp",
        Verdict::Allowed,
        Verdict::Allowed,
    ),
    (
        "14_firewalld_internal_zone_protocol112_plus_source_zone",
        Verdict::Allowed,
        Verdict::Allowed,
    ),
];

#[test]
fn measured_fixtures_give_the_measured_verdicts() {
    for (stem, m, u) in MEASURED {
        let rs = ruleset(stem);
        let got_m = mcast(&rs);
        assert_eq!(got_m.verdict, *m, "{stem} multicast: {got_m:#?}");
        let got_u = ucast(&rs);
        assert_eq!(got_u.verdict, *u, "{stem} unicast: {got_u:#?}");
    }
}

#[test]
fn deciding_rules_are_named() {
    let f = mcast(&ruleset("08_two_base_chains"));
    let d = f.decider.unwrap();
    assert_eq!((d.family.as_str(), d.table.as_str()), ("ip", "strict"));
    assert!(d.is_policy, "{d:?}");
    let f = mcast(&ruleset("09_netdev_ingress_drop"));
    let d = f.decider.unwrap();
    assert_eq!((d.table.as_str(), d.chain.as_str()), ("edge", "ingress"));
    assert!(d.text.contains("ip protocol vrrp"), "{d:?}");
    let f = mcast(&ruleset("06_reject_all_on_iface"));
    assert!(f.decider.unwrap().text.contains("reject"));
    let f = mcast(&ruleset("07_jump_user_chain"));
    assert_eq!(f.decider.unwrap().chain, "from_lan");
    let f = mcast(&ruleset("12_firewalld_public_add_protocol_vrrp"));
    let d = f.decider.unwrap();
    assert_eq!(
        (d.table.as_str(), d.chain.as_str()),
        ("firewalld", "filter_IN_public_allow")
    );
}

#[test]
fn conntrack_only_acceptance_is_conditional_for_unicast_only() {
    let rs = ruleset("03_ct_established_only");
    let f = ucast(&rs);
    assert_eq!(f.verdict, Verdict::Conditional);
    assert!(f.reason.contains("ESTABLISHED"), "{}", f.reason);
    assert_eq!(mcast(&rs).verdict, Verdict::Blocked);
}

#[test]
fn a_source_zone_outranks_the_interface_zone() {
    let rs = ruleset("14_firewalld_internal_zone_protocol112_plus_source_zone");
    let t = inbound(Source::Host(ip("198.51.100.7")), "224.0.0.18", false);
    let f = assess(&rs, &t);
    assert_eq!(f.verdict, Verdict::Blocked, "{f:#?}");
    assert_eq!(f.decider.unwrap().chain, "filter_IN_drop");
}

#[test]
fn a_subnet_of_senders_partly_accepted_is_conditional() {
    let subnet = Source::Subnet(ip("192.0.2.0"), 24);
    // Only 192.0.2.3 may send: the others of the subnet are dropped.
    let f = assess(
        &ruleset("04_vrrp_from_other_saddr"),
        &inbound(subnet, "224.0.0.18", false),
    );
    assert_eq!(f.verdict, Verdict::Conditional, "{f:#?}");
    assert!(f.reason.contains("some peers"), "{}", f.reason);
    // A set of two peers out of the /24: the same.
    let f = assess(
        &ruleset("05_vrrp_peer_named_set"),
        &inbound(subnet, "224.0.0.18", false),
    );
    assert_eq!(f.verdict, Verdict::Conditional, "{f:#?}");
    // The rule accepts the whole protocol: every sender passes.
    let f = assess(
        &ruleset("12_firewalld_public_add_protocol_vrrp"),
        &inbound(subnet, "224.0.0.18", false),
    );
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
}

#[test]
fn ipv6_instances_are_checked_against_ipv6_rules() {
    let v6 =
        |rs: &Ruleset, src: &str| assess(rs, &inbound(Source::Host(ip(src)), "ff02::12", false));
    // 01 has an ip6 ff02::12 counterpart; 08's accept is IPv4-only but its ip table never
    // sees IPv6, so IPv6 passes; 04 accepts fe80::3 only.
    assert_eq!(
        v6(&ruleset("01_accept_vrrp_explicit"), "fe80::2").verdict,
        Verdict::Allowed
    );
    assert_eq!(
        v6(&ruleset("08_two_base_chains"), "fe80::2").verdict,
        Verdict::Allowed
    );
    assert_eq!(
        v6(&ruleset("04_vrrp_from_other_saddr"), "fe80::2").verdict,
        Verdict::Blocked
    );
    assert_eq!(
        v6(&ruleset("04_vrrp_from_other_saddr"), "fe80::3").verdict,
        Verdict::Allowed
    );
    // 07's from_lan accepts `ip6 nexthdr vrrp`; 09's netdev drop is `ip protocol vrrp` only.
    assert_eq!(
        v6(&ruleset("07_jump_user_chain"), "fe80::2").verdict,
        Verdict::Allowed
    );
    assert_eq!(
        v6(&ruleset("09_netdev_ingress_drop"), "fe80::2").verdict,
        Verdict::Allowed
    );
    // firewalld public without vrrp rejects IPv6 too; the rpfilter (fib) passes link-local.
    assert_eq!(
        v6(&ruleset("11_firewalld_public_iface_no_vrrp"), "fe80::2").verdict,
        Verdict::Blocked
    );
    assert_eq!(
        v6(&ruleset("12_firewalld_public_add_protocol_vrrp"), "fe80::2").verdict,
        Verdict::Allowed
    );
}

#[test]
fn a_netdev_chain_without_its_device_is_unknown_not_guessed() {
    // Without the text listing, nft 1.0.6's JSON does not say which device the chain is on.
    let json = std::fs::read_to_string(data("09_netdev_ingress_drop.json")).unwrap();
    let rs = nft::parse(&json).unwrap();
    let f = mcast(&rs);
    assert_eq!(f.verdict, Verdict::Unknown, "{f:#?}");
    assert!(f.reason.contains("device"), "{}", f.reason);
}

#[test]
fn exotic_statements_limit_marks_and_concatenations() {
    let rs = ruleset("90_exotic_statements");
    let f = mcast(&rs);
    // policy accept: allowed either way, and the limit note is only added when it matters.
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    let iface = ruleset("92_iface_match_forms");
    let f = mcast(&iface);
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    assert!(f.decider.unwrap().text.contains("vmap"));
}

#[test]
fn keepalived_strict_table_does_not_touch_adverts() {
    let rs = ruleset("95_keepalived_vrrp_strict");
    let f = mcast(&rs);
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    // An advert addressed to a VIP (a unicast_src_ip that is a VIP) is what it drops.
    let f = assess(
        &rs,
        &inbound(Source::Host(ip("192.0.2.2")), "192.0.2.101", true),
    );
    assert_eq!(f.verdict, Verdict::Blocked, "{f:#?}");
    assert_eq!(f.decider.unwrap().table, "keepalived");
}
