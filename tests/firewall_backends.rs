//! firewalld's permanent config (zone XML fixtures, compiled the way firewalld loads it), the
//! runtime-vs-permanent drift, iptables-save samples (nft and legacy backends), and the
//! `vrrpctl firewall-check` command line on saved rule sets: verdicts, JSON shape, exit codes.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use vrrp::firewall::collect::Collected;
use vrrp::firewall::model::{Origin, Ruleset};
use vrrp::firewall::probe::*;
use vrrp::firewall::verdict::{assess, Target, Verdict};
use vrrp::firewall::{check, firewalld, iptables, nft};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/firewall")
        .join(rel)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn inbound(src: Source, dst: &str) -> Target {
    let d = ip(dst);
    Target {
        direction: Direction::In,
        iface: "vethA".into(),
        family: IpFamily::of(&d),
        source: src,
        destination: d,
        unicast: !d.is_multicast(),
        l4proto: IPPROTO_VRRP,
        local_prefixes: vec![(ip("192.0.2.1"), 24)],
    }
}

fn peer() -> Source {
    Source::Host(ip("192.0.2.2"))
}

fn permanent(case: &str) -> Ruleset {
    let p = firewalld::load(&data(&format!("firewalld/{case}"))).unwrap();
    Ruleset {
        tables: vec![firewalld::compile(&p)],
    }
}

#[test]
fn firewalld_permanent_zone_files() {
    let v = |case: &str, src: Source| assess(&permanent(case), &inbound(src, "224.0.0.18"));
    let f = v("public_no_vrrp", peer());
    assert_eq!(f.verdict, Verdict::Blocked, "{f:#?}");
    assert!(f.reason.contains("public.xml"), "{}", f.reason);
    assert_eq!(v("public_protocol_vrrp", peer()).verdict, Verdict::Allowed);
    assert_eq!(
        v("internal_112_source_drop", peer()).verdict,
        Verdict::Allowed
    );
    // The drop zone is bound to the source 198.51.100.0/24: it wins over the interface zone.
    let f = v("internal_112_source_drop", Source::Host(ip("198.51.100.7")));
    assert_eq!(f.verdict, Verdict::Blocked, "{f:#?}");
    assert_eq!(f.decider.unwrap().chain, "filter_IN_drop");
    assert_eq!(v("service_vrrp", peer()).verdict, Verdict::Allowed);
    assert_eq!(v("trusted_default", peer()).verdict, Verdict::Allowed);
    // A rich rule for one peer: that peer passes, the rest of the subnet does not.
    assert_eq!(v("rich_rule_one_peer", peer()).verdict, Verdict::Allowed);
    let f = v("rich_rule_one_peer", Source::Subnet(ip("192.0.2.0"), 24));
    assert_eq!(f.verdict, Verdict::Conditional, "{f:#?}");
    // Unicast from a peer with no vrrp rule: only conntrack ESTABLISHED lets it in.
    let f = assess(&permanent("public_no_vrrp"), &inbound(peer(), "192.0.2.1"));
    assert_eq!(f.verdict, Verdict::Conditional, "{f:#?}");
}

fn collected_nft(stem: &str, fw_case: Option<&str>) -> Collected {
    let json = std::fs::read_to_string(data(&format!("nft/{stem}.json"))).unwrap();
    let rs = nft::parse(&json).unwrap();
    let running = rs
        .tables
        .iter()
        .any(|t| t.origin == Origin::FirewalldRuntime);
    Collected {
        ruleset: rs,
        backends: vec!["firewalld".into()],
        firewalld_running: running,
        firewalld_permanent: fw_case
            .map(|c| firewalld::load(&data(&format!("firewalld/{c}"))).unwrap()),
        ..Default::default()
    }
}

fn planned(t: Target) -> Vec<check::Planned> {
    vec![check::Planned {
        instance: Some("VI_1".into()),
        iface: t.iface.clone(),
        family: t.family,
        direction: t.direction,
        target: Ok(t),
    }]
}

#[test]
fn firewalld_runtime_only_vrrp_is_conditional() {
    // Runtime: `firewall-cmd --add-protocol=vrrp` without --permanent (fixture 12); permanent:
    // the zone files do not have it. Allowed now, gone at the next reload: the seeds/000 FIXME.
    let c = collected_nft(
        "12_firewalld_public_add_protocol_vrrp",
        Some("public_no_vrrp"),
    );
    let r = check::run(&c, &planned(inbound(peer(), "224.0.0.18")));
    let ch = &r.checks[0];
    assert_eq!(ch.verdict, Verdict::Conditional, "{ch:#?}");
    assert!(ch.reason.contains("runtime"), "{}", ch.reason);
    assert_eq!(
        ch.fix.as_deref(),
        Some("firewall-cmd --permanent --zone=public --add-rich-rule='rule family=\"ipv4\" source address=\"192.0.2.2\" protocol value=\"vrrp\" accept'")
    );
    // The permanent config has it too: no drift, allowed.
    let c = collected_nft(
        "12_firewalld_public_add_protocol_vrrp",
        Some("public_protocol_vrrp"),
    );
    let r = check::run(&c, &planned(inbound(peer(), "224.0.0.18")));
    assert_eq!(r.checks[0].verdict, Verdict::Allowed, "{:#?}", r.checks[0]);
    // Blocked at runtime but the permanent config allows it: blocked, and a reload fixes it.
    let c = collected_nft(
        "11_firewalld_public_iface_no_vrrp",
        Some("public_protocol_vrrp"),
    );
    let r = check::run(
        &c,
        &planned(inbound(Source::Subnet(ip("192.0.2.0"), 24), "224.0.0.18")),
    );
    let ch = &r.checks[0];
    assert_eq!(ch.verdict, Verdict::Blocked, "{ch:#?}");
    assert!(ch.notes.iter().any(|n| n.contains("--reload")), "{ch:#?}");
    assert_eq!(
        ch.fix.as_deref(),
        Some("firewall-cmd --permanent --zone=public --add-protocol=vrrp && firewall-cmd --reload")
    );
}

#[test]
fn iptables_save_samples() {
    let rs = |file: &str| {
        let text = std::fs::read_to_string(data(&format!("iptables/{file}"))).unwrap();
        let h = iptables::header(&text, false);
        let origin = if h.nft_backend {
            Origin::IptablesNft
        } else {
            Origin::IptablesLegacy
        };
        (iptables::parse(&text, h.family, origin).unwrap(), h)
    };
    let (nft_rs, h) = rs("iptables-nft-save.txt");
    assert!(h.nft_backend);
    let f = assess(&nft_rs, &inbound(peer(), "224.0.0.18"));
    assert_eq!(f.verdict, Verdict::Allowed, "{f:#?}");
    let d = f.decider.unwrap();
    assert_eq!((d.chain.as_str(), d.handle), ("INPUT", Some(4)));
    assert_eq!(d.text, "-A INPUT -p vrrp -j ACCEPT");
    let (legacy, h) = rs("iptables-legacy-save.txt");
    assert!(!h.nft_backend);
    assert_eq!(
        assess(&legacy, &inbound(peer(), "192.0.2.1")).verdict,
        Verdict::Allowed
    );
    let (v6, h) = rs("ip6tables-nft-save.txt");
    assert_eq!(h.family, IpFamily::V6);
    let t6 = Target {
        local_prefixes: vec![(ip("fe80::1"), 64)],
        ..inbound(Source::Subnet(ip("fe80::"), 64), "ff02::12")
    };
    assert_eq!(assess(&v6, &t6).verdict, Verdict::Allowed);
    // Unicast to a global address: the only rule is pinned to ff02::12.
    let t6u = Target {
        unicast: false,
        ..inbound(Source::Host(ip("2001:db8::2")), "2001:db8::1")
    };
    assert_eq!(assess(&v6, &t6u).verdict, Verdict::Blocked);
    // The same rules as nft's JSON show them: `-m conntrack` is an opaque xt match, but it
    // does not change the outcome for a rule set that accepts `-p vrrp` anyway.
    let json = std::fs::read_to_string(data("iptables/iptables-nft_as_nft.json")).unwrap();
    let as_nft = nft::parse(&json).unwrap();
    assert_eq!(
        assess(&as_nft, &inbound(peer(), "224.0.0.18")).verdict,
        Verdict::Allowed
    );
}

#[test]
fn opaque_xt_match_that_decides_is_unknown() {
    // Only `-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` stands between a unicast
    // advert and the policy drop; nft's JSON hides its arguments.
    let json = r#"{"nftables":[{"table":{"family":"ip","name":"filter","handle":1}},
      {"chain":{"family":"ip","table":"filter","name":"INPUT","handle":1,"type":"filter","hook":"input","prio":0,"policy":"drop"}},
      {"rule":{"family":"ip","table":"filter","chain":"INPUT","handle":2,"expr":[{"xt":{"type":"match","name":"conntrack"}},{"counter":{"packets":0,"bytes":0}},{"accept":null}]}}]}"#;
    let rs = nft::parse(json).unwrap();
    let f = assess(&rs, &inbound(peer(), "224.0.0.18"));
    assert_eq!(f.verdict, Verdict::Unknown, "{f:#?}");
    assert!(f.reason.contains("-m conntrack"), "{}", f.reason);
}

fn vrrpctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("VRRPCTL_NFT_JSON")
        .env_remove("VRRPCTL_FIREWALLD_ROOT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `vrrpctl firewall-check -i vethA --local 192.0.2.1/24` with `args` after it.
fn check_veth_a(args: &[&str]) -> (i32, String, String) {
    let head = ["firewall-check", "-i", "vethA", "--local", "192.0.2.1/24"];
    vrrpctl(&[&head[..], args].concat())
}

/// The path of a bundled `nft -j list ruleset` sample.
fn nft_json(stem: &str) -> String {
    data(&format!("nft/{stem}.json")).display().to_string()
}

#[test]
fn cli_json_shape_and_exit_codes() {
    let (rc, out, err) = check_veth_a(&[
        "--json",
        "--nft-json",
        &nft_json("05_vrrp_peer_named_set"),
        "--peer",
        "192.0.2.2",
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["backend"], "nftables");
    assert_eq!(v["verdict"], "allowed");
    let c = &v["checks"][0];
    for k in [
        "interface",
        "family",
        "source",
        "destination",
        "verdict",
        "chain",
        "rule",
    ] {
        assert!(c.get(k).is_some(), "missing {k} in {c}");
    }
    assert_eq!(c["chain"], "input");
    assert_eq!(c["source"], "192.0.2.2");
    assert!(v["advice"].is_array());

    let (rc, out, _) = check_veth_a(&["--nft-json", &nft_json("02_policy_drop_no_vrrp")]);
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("blocked"), "{out}");
    assert!(
        out.contains("nft add rule inet filter input iifname \"vethA\" ip saddr 192.0.2.0/24 ip daddr 224.0.0.18 meta l4proto vrrp accept"),
        "{out}"
    );

    // A drop rule decides: the fix is inserted before its handle.
    let (rc, out, _) = check_veth_a(&["--nft-json", &nft_json("06_reject_all_on_iface")]);
    assert_eq!(rc, 1);
    assert!(
        out.contains("nft insert rule inet filter input position 3 "),
        "{out}"
    );

    // Unreadable input is exit 2 with one sentence.
    let (rc, _, err) = check_veth_a(&["--nft-json", "/nonexistent.json"]);
    assert_eq!(rc, 2);
    assert!(err.contains("/nonexistent.json"), "{err}");
    let (rc, _, err) = vrrpctl(&["firewall-check", "--config", "/nonexistent.conf"]);
    assert_eq!(rc, 2);
    assert!(err.contains("/nonexistent.conf"), "{err}");
}

#[test]
fn cli_checks_every_instance_of_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_MC {
  interface vethA
  virtual_router_id 51
  priority 100
  mcast_src_ip 192.0.2.1
  virtual_ipaddress {
    192.0.2.100
  }
}
vrrp_instance VI_UC {
  interface vethA
  virtual_router_id 52
  priority 100
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.101
  }
}
vrrp_instance VI_VMAC {
  interface vethA
  virtual_router_id 53
  priority 100
  use_vmac
  virtual_ipaddress {
    192.0.2.102
  }
}
",
    )
    .unwrap();
    let json = nft_json("03_ct_established_only");
    let check = |extra: &[&str]| {
        let head = [
            "firewall-check",
            "--config",
            conf.to_str().unwrap(),
            "--local",
            "192.0.2.1/24",
            "--json",
            "--nft-json",
            &json,
        ];
        vrrpctl(&[&head[..], extra].concat())
    };
    let (rc, out, err) = check(&[]);
    assert_eq!(rc, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks = v["checks"].as_array().unwrap();
    let find = |inst: &str, dir: &str| {
        checks
            .iter()
            .find(|c| c["instance"] == inst && c["direction"] == dir)
            .unwrap_or_else(|| panic!("no {inst} {dir} in {out}"))
    };
    assert_eq!(find("VI_MC", "in")["verdict"], "blocked");
    assert_eq!(find("VI_MC", "in")["source"], "192.0.2.0/24");
    assert_eq!(find("VI_UC", "in")["verdict"], "conditional");
    assert_eq!(find("VI_UC", "in")["destination"], "192.0.2.1");
    assert_eq!(find("VI_UC", "out")["verdict"], "allowed");
    // use_vmac: adverts leave through the macvlan interface keepalived names vrrp.VRID.
    assert_eq!(find("VI_VMAC", "out")["interface"], "vrrp.53");
    assert_eq!(find("VI_VMAC", "in")["interface"], "vethA");
    assert_eq!(v["verdict"], "blocked");
    // --peer narrows the multicast instance to that one peer.
    let (_, out, _) = check(&["--peer", "192.0.2.9"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mc: Vec<&serde_json::Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["instance"] == "VI_MC" && c["direction"] == "in")
        .collect();
    assert_eq!(mc.len(), 1);
    assert_eq!(mc[0]["source"], "192.0.2.9");
}

#[test]
fn cli_firewalld_permanent_path() {
    let root = data("firewalld/public_no_vrrp").display().to_string();
    let empty = data("nft/empty.json").display().to_string();
    let (rc, out, err) = check_veth_a(&[
        "--backend",
        "firewalld",
        "--firewalld-root",
        &root,
        "--nft-json",
        &empty,
    ]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        out.contains(
            "firewall-cmd --permanent --zone=public --add-protocol=vrrp && firewall-cmd --reload"
        ),
        "{out}"
    );
    let root = data("firewalld/service_vrrp").display().to_string();
    let (rc, out, err) = check_veth_a(&[
        "--backend",
        "firewalld",
        "--firewalld-root",
        &root,
        "--nft-json",
        &empty,
    ]);
    assert_eq!(rc, 0, "{out}{err}");
}

#[test]
fn cli_broken_zone_file_is_a_note_unless_it_is_what_we_evaluate() {
    let root = tempfile::tempdir().unwrap();
    let zones = root.path().join("etc/firewalld/zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::write(zones.join("public.xml"), "<zone><service").unwrap();
    let root = root.path().to_str().unwrap().to_string();
    let (rc, out, err) = check_veth_a(&[
        "--firewalld-root",
        &root,
        "--nft-json",
        &nft_json("12_firewalld_public_add_protocol_vrrp"),
    ]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(
        out.contains("permanent configuration was not checked"),
        "{out}"
    );
    let (rc, _, err) = check_veth_a(&[
        "--firewalld-root",
        &root,
        "--nft-json",
        &nft_json("empty"),
        "--backend",
        "firewalld",
    ]);
    assert_eq!(rc, 2);
    assert!(err.contains("public.xml"), "{err}");
}

#[test]
fn firewalld_enabled_but_stopped_advice_is_offline_cmd() {
    // nftables lets VRRP in today; firewalld is enabled (it starts at boot) but not running,
    // and its permanent public zone has no vrrp. `firewall-cmd` needs the running daemon over
    // D-Bus, so the advice must be `firewall-offline-cmd`.
    let json = std::fs::read_to_string(data("nft/01_accept_vrrp_explicit.json")).unwrap();
    let c = Collected {
        ruleset: nft::parse(&json).unwrap(),
        backends: vec!["nftables".into()],
        firewalld_running: false,
        firewalld_enabled: true,
        firewalld_permanent: Some(firewalld::load(&data("firewalld/public_no_vrrp")).unwrap()),
        ..Default::default()
    };
    let r = check::run(&c, &planned(inbound(peer(), "224.0.0.18")));
    let ch = &r.checks[0];
    assert_eq!(ch.verdict, Verdict::Allowed, "{ch:#?}");
    let note = ch
        .notes
        .iter()
        .find(|n| n.contains("enabled but not running"))
        .unwrap_or_else(|| panic!("no dormant-firewalld note: {ch:#?}"));
    assert!(
        note.contains("firewall-offline-cmd --zone=public --add-rich-rule="),
        "{note}"
    );
    assert!(!note.contains("firewall-cmd"), "{note}");
}

#[test]
fn legacy_iptables_persistence_advice_names_the_legacy_save_tool() {
    let text = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
    let rs = iptables::parse(text, IpFamily::V4, Origin::IptablesLegacy).unwrap();
    // iptables on this host is the nf_tables variant: the legacy tables need the -legacy tools.
    let c = Collected {
        ruleset: rs,
        backends: vec!["iptables-legacy".into()],
        iptables_is_nft: Some(true),
        ..Default::default()
    };
    let r = check::run(&c, &planned(inbound(peer(), "224.0.0.18")));
    let fix = r.checks[0].fix.as_deref().unwrap();
    assert!(fix.starts_with("iptables-legacy -A INPUT "), "{fix}");
    assert!(
        r.advice
            .iter()
            .any(|a| a.contains("iptables-legacy-save > /etc/iptables/rules.v4")),
        "{:#?}",
        r.advice
    );
    assert!(
        !r.advice.iter().any(|a| a.contains("(iptables-save")),
        "{:#?}",
        r.advice
    );
}
