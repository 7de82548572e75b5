//! `vrrpctl firewall-check` against the real thing. Host A (192.0.2.1/24, fe80::1) loads a rule
//! set with `nft -f` (or iptables-nft / iptables-legacy) in its namespace and runs the built
//! vrrpctl there; then host B (192.0.2.2/24, fe80::2) sends real VRRP adverts and a raw
//! IPPROTO_VRRP socket in A counts what arrived. A raw socket receives only after the input
//! hook, so "delivered" is the firewall's verdict, measured. One LAN serves every rule set.

mod common;
use common::firewall::*;
use common::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

const A4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const B4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const GROUP4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fn a6() -> Ipv6Addr {
    "fe80::1".parse().unwrap()
}
fn b6() -> Ipv6Addr {
    "fe80::2".parse().unwrap()
}

/// Which advert path a probe checks (and then sends).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    /// B -> 224.0.0.18, received by A.
    Mcast4,
    /// B -> 192.0.2.1, received by A.
    Ucast4,
    /// B (fe80::2) -> ff02::12, received by A.
    Mcast6,
    /// A -> 224.0.0.18, received by B: may A send?
    Out4,
}

struct Lab {
    lan: Lan,
    a_rx4: RawVrrp,
    a_rx6: RawVrrp,
    a_tx4: RawVrrp,
    b_rx4: RawVrrp,
    b_tx4: RawVrrp,
    b_tx6: RawVrrp,
}

impl Lab {
    fn new() -> Lab {
        let lan = Lan::new("fw", 2);
        lan.addr(0, "192.0.2.1/24");
        lan.addr(1, "192.0.2.2/24");
        lan.addr(0, "fe80::1/64");
        lan.addr(1, "fe80::2/64");
        for h in &lan.hosts {
            h.exec(&["ip", "route", "add", "224.0.0.0/4", "dev", "eth0"]);
        }
        let ia = ifindex(&lan.hosts[0], "eth0");
        let ib = ifindex(&lan.hosts[1], "eth0");
        Lab {
            a_rx4: RawVrrp::v4(&lan.hosts[0], A4, false),
            a_rx6: RawVrrp::v6(&lan.hosts[0], a6(), ia, false),
            a_tx4: RawVrrp::v4(&lan.hosts[0], A4, true),
            b_rx4: RawVrrp::v4(&lan.hosts[1], B4, false),
            b_tx4: RawVrrp::v4(&lan.hosts[1], B4, true),
            b_tx6: RawVrrp::v6(&lan.hosts[1], b6(), ib, true),
            lan,
        }
    }

    fn a(&self) -> &Netns {
        &self.lan.hosts[0]
    }

    fn load_nft(&self, ruleset: &str) {
        let dir = tempdir();
        let f = dir.path().join("rules.nft");
        std::fs::write(&f, format!("flush ruleset\n{ruleset}")).unwrap();
        self.a().exec(&["nft", "-f", f.to_str().unwrap()]);
    }

    /// Run `vrrpctl firewall-check` in A for `path`; returns (exit code, the check's JSON).
    fn check(&self, path: Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let mut args: Vec<String> = ["firewall-check", "-i", "eth0", "--json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match path {
            Path::Mcast4 => args.extend(["--peer".into(), B4.to_string()]),
            Path::Ucast4 => args.extend(["--peer".into(), B4.to_string(), "--unicast".into()]),
            Path::Mcast6 => args.extend(["--peer".into(), b6().to_string()]),
            Path::Out4 => {}
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = self
            .a()
            .command(bin("vrrpctl"))
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap_or(-1);
        let v: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("vrrpctl {args:?} printed no JSON ({e}): {stdout}{stderr}"));
        let dir = if path == Path::Out4 { "out" } else { "in" };
        let check = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["direction"] == dir)
            .cloned()
            .unwrap_or_else(|| panic!("no {dir} check in {stdout}"));
        (code, check, stdout)
    }

    /// Send 3 adverts along `path` and count how many the receiver got.
    fn delivered(&self, path: Path) -> usize {
        let window = Duration::from_millis(250);
        match path {
            Path::Mcast4 | Path::Ucast4 => {
                self.a_rx4.drain();
                let dst = if path == Path::Mcast4 { GROUP4 } else { A4 };
                self.b_tx4.send(IpAddr::V4(dst), 3);
                self.a_rx4.count_from(Some(IpAddr::V4(B4)), window)
            }
            Path::Mcast6 => {
                self.a_rx6.drain();
                self.b_tx6.send("ff02::12".parse().unwrap(), 3);
                self.a_rx6.count_from(Some(IpAddr::V6(b6())), window)
            }
            Path::Out4 => {
                // B's firewall is empty: what A sends arrives unless A's output drops it.
                self.b_rx4.drain();
                let sent = self.a_tx4.send(IpAddr::V4(GROUP4), 3);
                let got = self.b_rx4.count_from(Some(IpAddr::V4(A4)), window);
                assert!(
                    got <= sent,
                    "B got {got} of the {sent} adverts A's kernel took"
                );
                got
            }
        }
    }

    /// Only the verdict (no delivery proof: for states the adverts would change).
    fn expect_verdict_only(&self, path: Path, want: &str) -> serde_json::Value {
        let (_, check, out) = self.check(path, &[]);
        assert_eq!(check["verdict"], want, "{path:?}: {out}");
        check
    }

    /// The check says `want`, and the adverts prove it: all 3 arrive when allowed, none when
    /// blocked or conditional (conditional = dropped while conntrack has no entry).
    fn expect(&self, case: &str, path: Path, want: &str, extra: &[&str]) -> serde_json::Value {
        let (code, check, out) = self.check(path, extra);
        assert_eq!(check["verdict"], want, "{case} {path:?}: {out}");
        // Exit 0 only when every checked path (in and out) is allowed.
        let all_allowed = out.contains("\"verdict\": \"allowed\"")
            && !out.contains("\"verdict\": \"blocked\"")
            && !out.contains("\"verdict\": \"conditional\"")
            && !out.contains("\"verdict\": \"unknown\"");
        assert_eq!(
            code,
            if all_allowed { 0 } else { 1 },
            "{case} {path:?}: {out}"
        );
        if want != "allowed" {
            assert_eq!(code, 1, "{case} {path:?}: {out}");
        }
        let n = self.delivered(path);
        let expected = if want == "allowed" { 3 } else { 0 };
        assert_eq!(
            n, expected,
            "{case} {path:?}: vrrpctl says {want} but {n} of 3 adverts arrived: {out}"
        );
        check
    }
}

const EXPLICIT_ACCEPT: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iif "lo" accept
    meta l4proto { icmp, ipv6-icmp } accept
    iifname "eth0" ip daddr 224.0.0.18 ip protocol vrrp counter accept
    iifname "eth0" ip6 daddr ff02::12 ip6 nexthdr vrrp counter accept
  }
}"#;

const POLICY_DROP_NO_VRRP: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state vmap { established : accept, related : accept, invalid : drop }
    iif "lo" accept
    ip protocol icmp accept
    tcp dport { 22, 80, 443 } accept
  }
}"#;

const CT_ONLY: &str = r#"
table ip filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
  }
}"#;

const WRONG_SOURCE: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ip saddr 192.0.2.3 ip protocol vrrp accept
  }
}"#;

const WRONG_INTERFACE: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "eth1" meta l4proto vrrp accept
    iifname "bond*" meta l4proto vrrp accept
  }
}"#;

const JUMP_USER_CHAIN: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "eth0" jump from_lan
    iifname "eth1" goto from_wan
  }
  chain from_lan {
    tcp dport 22 accept
    ip protocol vrrp ip daddr { 224.0.0.18, 192.0.2.1 } accept
    return
  }
  chain from_wan {
    drop
  }
}"#;

const TWO_BASE_CHAINS: &str = r#"
table inet allowvrrp {
  chain input {
    type filter hook input priority filter; policy accept;
    ip protocol vrrp accept
  }
}
table ip strict {
  chain input {
    type filter hook input priority filter + 10; policy drop;
    tcp dport 22 accept
  }
}"#;

const NETDEV_INGRESS_DROP: &str = r#"
table netdev edge {
  chain ingress {
    type filter hook ingress device "eth0" priority -500; policy accept;
    ip protocol vrrp counter drop
  }
}
table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
  }
}"#;

const IPV4_ONLY: &str = r#"
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ip protocol vrrp accept
    meta l4proto ipv6-icmp accept
  }
}"#;

const VERDICT_MAPS: &str = r#"
table inet filter {
  map protos {
    type inet_proto : verdict
    elements = { tcp : jump tcp_in, vrrp : drop }
  }
  chain tcp_in {
    tcp dport 22 accept
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ip protocol vmap { vrrp : accept, icmp : accept }
  }
  chain input_late {
    type filter hook input priority filter + 20; policy accept;
    iifname "eth0" ip saddr 192.0.2.0/24 meta l4proto vmap @protos
  }
}"#;

const VERDICT_MAP_ACCEPT: &str = r#"
table inet filter {
  set peers {
    type ipv4_addr
    elements = { 192.0.2.2, 192.0.2.3 }
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ip saddr @peers ip protocol vmap { vrrp : accept, ah : accept }
  }
}"#;

const OUTPUT_DROP: &str = r#"
table inet filter {
  chain output {
    type filter hook output priority filter; policy accept;
    oifname "eth0" meta l4proto vrrp counter drop
  }
}"#;

const KEEPALIVED_STRICT: &str = r#"
table ip keepalived {
  set vips {
    type ipv4_addr
    elements = { 192.0.2.1 }
  }
  chain out {
    type filter hook output priority filter - 1; policy accept;
    ip saddr @vips drop
  }
  chain in {
    type filter hook input priority filter - 1; policy accept;
    ip daddr @vips drop
  }
}"#;

/// `ct state invalid drop` before conntrack (priority -300): every packet is invalid there.
const RAW_CT_INVALID: &str = r#"
table ip raw {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    ct state invalid drop
  }
}"#;

fn firewalld_listing(stem: &str) -> String {
    std::fs::read_to_string(data(&format!("firewall/nft/{stem}.listed.nft")))
        .unwrap()
        .replace("vethA", "eth0")
}

#[test]
fn firewall_check_verdicts_are_proven_by_real_adverts() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let lab = Lab::new();

    // No firewall at all.
    lab.load_nft("");
    let c = lab.expect("empty", Path::Mcast4, "allowed", &[]);
    assert_eq!(c["reason"], "no rule on this path filters it");

    lab.load_nft(EXPLICIT_ACCEPT);
    let c = lab.expect("explicit accept", Path::Mcast4, "allowed", &[]);
    assert_eq!(
        (c["chain"].as_str(), c["table"].as_str()),
        (Some("input"), Some("inet filter"))
    );
    assert!(
        c["rule"].as_str().unwrap().contains("ip protocol vrrp"),
        "{c}"
    );
    lab.expect("explicit accept", Path::Mcast6, "allowed", &[]);
    // The rule is pinned to the group: a unicast advert gets in only as ESTABLISHED.
    let c = lab.expect("explicit accept", Path::Ucast4, "conditional", &[]);
    assert!(c["reason"].as_str().unwrap().contains("ESTABLISHED"), "{c}");

    lab.load_nft(POLICY_DROP_NO_VRRP);
    let c = lab.expect("policy drop", Path::Mcast4, "blocked", &[]);
    assert_eq!(c["rule"], "policy drop");
    let fix = c["fix"].as_str().unwrap().to_string();
    assert!(fix.starts_with("nft add rule inet filter input "), "{fix}");
    // The fix it prints works: apply it and the adverts get in.
    let mut argv: Vec<String> = vec!["sh".into(), "-c".into()];
    argv.push(fix.clone());
    lab.a()
        .exec(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    lab.expect("policy drop + printed fix", Path::Mcast4, "allowed", &[]);

    lab.load_nft(WRONG_SOURCE);
    lab.expect("wrong source", Path::Mcast4, "blocked", &[]);

    lab.load_nft(WRONG_INTERFACE);
    lab.expect("wrong interface", Path::Mcast4, "blocked", &[]);

    lab.load_nft(JUMP_USER_CHAIN);
    let c = lab.expect("jump", Path::Mcast4, "allowed", &[]);
    assert_eq!(c["chain"], "from_lan");
    lab.expect("jump", Path::Ucast4, "allowed", &[]);

    lab.load_nft(TWO_BASE_CHAINS);
    let c = lab.expect("two base chains", Path::Mcast4, "blocked", &[]);
    assert_eq!(c["table"], "ip strict");

    lab.load_nft(NETDEV_INGRESS_DROP);
    let c = lab.expect("netdev ingress", Path::Mcast4, "blocked", &[]);
    assert_eq!(c["table"], "netdev edge");

    lab.load_nft(IPV4_ONLY);
    lab.expect("ipv4 rule", Path::Mcast4, "allowed", &[]);
    lab.expect("ipv4 rule, ipv6 instance", Path::Mcast6, "blocked", &[]);

    lab.load_nft(VERDICT_MAPS);
    // The early chain's vmap accepts, the later chain's named map drops: drop is final.
    let c = lab.expect("verdict maps", Path::Mcast4, "blocked", &[]);
    assert_eq!(c["chain"], "input_late");
    lab.load_nft(VERDICT_MAP_ACCEPT);
    lab.expect("verdict map accept", Path::Mcast4, "allowed", &[]);

    lab.load_nft(OUTPUT_DROP);
    lab.expect("output drop", Path::Mcast4, "allowed", &[]);
    lab.expect("output drop", Path::Out4, "blocked", &[]);

    lab.load_nft(RAW_CT_INVALID);
    let c = lab.expect("ct invalid before conntrack", Path::Mcast4, "blocked", &[]);
    assert_eq!(c["chain"], "pre");

    // keepalived's own vrrp_strict table drops traffic to the VIPs, not the adverts.
    lab.load_nft(KEEPALIVED_STRICT);
    lab.expect("keepalived strict", Path::Mcast4, "allowed", &[]);

    // Real firewalld 1.3.3 tables (its own `nft list ruleset`), interface bound to public.
    lab.load_nft(&firewalld_listing("11_firewalld_public_iface_no_vrrp"));
    let c = lab.expect("firewalld public", Path::Mcast4, "blocked", &[]);
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .starts_with("firewall-cmd --permanent --zone=public "),
        "{c}"
    );
    lab.load_nft(&firewalld_listing("12_firewalld_public_add_protocol_vrrp"));
    // Runtime allows it; the permanent fixture does not: conditional (lost on reload), while
    // the adverts do arrive today.
    let root = data("firewall/firewalld/public_no_vrrp");
    let (code, c, out) = lab.check(Path::Mcast4, &["--firewalld-root", root.to_str().unwrap()]);
    assert_eq!(
        (code, c["verdict"].as_str()),
        (1, Some("conditional")),
        "{out}"
    );
    assert_eq!(lab.delivered(Path::Mcast4), 3);
    let root = data("firewall/firewalld/public_protocol_vrrp");
    lab.expect(
        "firewalld runtime = permanent",
        Path::Mcast4,
        "allowed",
        &["--firewalld-root", root.to_str().unwrap()],
    );

    // iptables-nft: `-m conntrack` is opaque in nft's JSON, so vrrpctl reads iptables-nft-save.
    if require_tool("iptables-nft") {
        lab.load_nft("");
        for rule in [
            vec!["iptables-nft", "-P", "INPUT", "DROP"],
            vec![
                "iptables-nft",
                "-A",
                "INPUT",
                "-m",
                "conntrack",
                "--ctstate",
                "RELATED,ESTABLISHED",
                "-j",
                "ACCEPT",
            ],
            vec![
                "iptables-nft",
                "-A",
                "INPUT",
                "-i",
                "eth0",
                "-p",
                "tcp",
                "--dport",
                "22",
                "-j",
                "ACCEPT",
            ],
        ] {
            lab.a().exec(&rule);
        }
        let c = lab.expect("iptables-nft without vrrp", Path::Mcast4, "blocked", &[]);
        let fix = c["fix"].as_str().unwrap();
        assert!(
            fix.starts_with("iptables -A INPUT ") || fix.starts_with("iptables-nft -A INPUT "),
            "{c}"
        );
        lab.expect(
            "iptables-nft without vrrp",
            Path::Ucast4,
            "conditional",
            &[],
        );
        lab.a().exec(&[
            "iptables-nft",
            "-I",
            "INPUT",
            "2",
            "-s",
            "192.0.2.0/24",
            "-p",
            "vrrp",
            "-j",
            "ACCEPT",
        ]);
        let c = lab.expect("iptables-nft -p vrrp", Path::Mcast4, "allowed", &[]);
        assert_eq!(c["rule"], "-A INPUT -s 192.0.2.0/24 -p vrrp -j ACCEPT");
        lab.a().exec(&["iptables-nft", "-P", "INPUT", "ACCEPT"]);
        lab.a().exec(&["iptables-nft", "-F"]);
    }

    // iptables-legacy: invisible to nft, found through /proc/net/ip_tables_names.
    if require_tool("iptables-legacy") {
        lab.load_nft("");
        lab.a().exec(&["iptables-legacy", "-P", "INPUT", "DROP"]);
        lab.a().exec(&[
            "iptables-legacy",
            "-A",
            "INPUT",
            "-p",
            "tcp",
            "--dport",
            "22",
            "-j",
            "ACCEPT",
        ]);
        let (_, _, out) = lab.check(Path::Mcast4, &[]);
        assert!(out.contains("iptables-legacy"), "{out}");
        lab.expect("iptables-legacy without vrrp", Path::Mcast4, "blocked", &[]);
        lab.a().exec(&[
            "iptables-legacy",
            "-A",
            "INPUT",
            "-p",
            "112",
            "-j",
            "ACCEPT",
        ]);
        lab.expect("iptables-legacy -p 112", Path::Mcast4, "allowed", &[]);
        lab.a().exec(&["iptables-legacy", "-P", "INPUT", "ACCEPT"]);
        lab.a().exec(&["iptables-legacy", "-F"]);
    }

    // Last, because it leaves a conntrack entry behind: accepted only as ESTABLISHED.
    lab.load_nft(CT_ONLY);
    lab.expect("ct only", Path::Mcast4, "blocked", &[]);
    let c = lab.expect("ct only", Path::Ucast4, "conditional", &[]);
    assert!(c["reason"].as_str().unwrap().contains("ESTABLISHED"), "{c}");
    // The trap, measured: once A has sent one unicast advert to B, B's adverts get in.
    assert_eq!(lab.a_tx4.send(IpAddr::V4(B4), 1), 1);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        lab.delivered(Path::Ucast4),
        3,
        "after A's own advert, B's adverts are ESTABLISHED and pass"
    );
    // vrrpctl still says conditional, and now shows the entry that masks the problem.
    let c = lab.expect_verdict_only(Path::Ucast4, "conditional");
    assert!(
        c["notes"]
            .to_string()
            .contains("right now conntrack has the entry 192.0.2.1 -> 192.0.2.2"),
        "{c}"
    );
    // ... while multicast never becomes ESTABLISHED.
    assert_eq!(lab.a_tx4.send(IpAddr::V4(GROUP4), 1), 1);
    assert_eq!(lab.delivered(Path::Mcast4), 0);
}

fn which(tool: &str) -> std::path::PathBuf {
    let out = run(&["sh", "-c", &format!("command -v {tool}")]);
    std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn unreadable_rule_set_is_exit_2_with_the_reason() {
    if !require_root() {
        return;
    }
    let ns = Netns::new("fwp");
    ns.exec(&[
        "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
    ]);
    ns.exec(&["ip", "addr", "add", "192.0.2.1/24", "dev", "eth0"]);
    // nft is asked for by name but missing from PATH (which holds only `ip`, to enter the
    // namespace): the sentence names the package.
    let dir = tempdir();
    std::os::unix::fs::symlink(which("ip"), dir.path().join("ip")).unwrap();
    let out = ns
        .command(bin("vrrpctl"))
        .args(["firewall-check", "-i", "eth0", "--backend", "nftables"])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nftables package"), "{err}");
    // The interface does not exist: exit 2 is not right (the firewall is readable), the check
    // is unknown and says so.
    let out = ns
        .command(bin("vrrpctl"))
        .args(["firewall-check", "-i", "nope0", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "unknown");
    assert!(
        v["checks"][0]["reason"].as_str().unwrap().contains("nope0"),
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The config path against a real keepalived master: host A checks its own keepalived.conf,
/// host B runs keepalived (VRRPv3, 100 ms adverts). The firewall drops VRRP, vrrpctl says so
/// and prints a fix; applying that fix lets keepalived's adverts in.
#[test]
fn config_instances_against_a_real_keepalived_master() {
    if !require_root() || !require_tool("nft") || !require_tool("keepalived") {
        return;
    }
    let mut lan = Lan::new("fk", 2);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    let rx = RawVrrp::v4(&lan.hosts[0], A4, false);
    let dir = tempdir();
    let conf_a = dir.path().join("a.conf");
    let instance = |state: &str, prio: u32| {
        format!(
            "global_defs {{
  vrrp_version 3
}}
vrrp_instance VI_1 {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {prio}
  advert_int 0.1
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
"
        )
    };
    std::fs::write(&conf_a, instance("BACKUP", 100)).unwrap();
    let kdir = dir.path().join("b");
    std::fs::create_dir(&kdir).unwrap();
    let (_ka, _proc) = Keepalived::start(&mut lan.hosts[1], &kdir, &instance("MASTER", 200));
    let a = &lan.hosts[0];
    let rules = dir.path().join("rules.nft");
    std::fs::write(&rules, format!("flush ruleset\n{POLICY_DROP_NO_VRRP}")).unwrap();
    a.exec(&["nft", "-f", rules.to_str().unwrap()]);
    let check = || {
        let out = a
            .command(bin("vrrpctl"))
            .args([
                "firewall-check",
                "--config",
                conf_a.to_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    };
    let (code, v) = check();
    assert_eq!(code, Some(1), "{v}");
    let c = &v["checks"][0];
    assert_eq!(c["instance"], "VI_1");
    assert_eq!(
        (c["direction"].as_str(), c["verdict"].as_str()),
        (Some("in"), Some("blocked")),
        "{v}"
    );
    assert_eq!(c["source"], "192.0.2.0/24");
    let master = wait_for(Duration::from_secs(5), || {
        _ka.log().contains("Entering MASTER STATE").then_some(())
    });
    assert!(
        master.is_some(),
        "keepalived on B never became master: {}",
        _ka.log()
    );
    rx.drain();
    assert_eq!(
        rx.count_from(Some(IpAddr::V4(B4)), Duration::from_millis(500)),
        0
    );
    let fix = c["fix"].as_str().unwrap().to_string();
    a.exec(&["sh", "-c", &fix]);
    let (code, v) = check();
    assert_eq!(code, Some(0), "{v}");
    let got = wait_for(Duration::from_secs(5), || {
        let n = rx.count_from(Some(IpAddr::V4(B4)), Duration::from_millis(500));
        (n > 0).then_some(n)
    });
    assert!(
        got.is_some(),
        "keepalived's adverts did not arrive after the fix: {}",
        _ka.log()
    );
}
