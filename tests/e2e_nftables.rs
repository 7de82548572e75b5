//! keepalived's nftables table beside real keepalived 2.2.7: the same configs run under
//! keepalived and under vrrpd (host 0 of a LAN, with keepalived as the higher-priority peer on
//! host 1), and host 0's ruleset is compared state by state - BACKUP before ever being master,
//! MASTER, BACKUP again, after a graceful stop - as `nft -j list ruleset` (handles stripped,
//! counter values zeroed), as `nft list ruleset` and as the rules' bytecode
//! (`nft --debug=netlink`). Real traffic proves the filter: a no_accept (vrrp_strict) master
//! answers no ping and no TCP connection to its VIP, one in accept mode does; the address owner
//! is never filtered. A table left by a SIGKILLed vrrpd is gone once vrrpd starts again.

mod common;
use common::daemon::*;
use common::notify::Node;
use common::*;

use std::time::Duration;

/// One instance block (host 0's priority, the peer's is 200 unless host 0 is the owner).
struct Inst {
    name: &'static str,
    vrid: u8,
    prio: u8,
    vips: &'static [&'static str],
    extra: &'static [&'static str],
}

fn conf(globals: &[&str], insts: &[Inst], peer: bool) -> String {
    let mut s = String::from(
        "global_defs {\n  router_id R\n  vrrp_garp_master_delay 1\n  vrrp_garp_master_repeat 1\n",
    );
    for g in globals {
        s += &format!("  {g}\n");
    }
    s += "}\n";
    for i in insts {
        let prio = match (peer, i.prio) {
            (false, p) => p,
            (true, 255) => 100,
            (true, _) => 200,
        };
        s += &format!(
            "vrrp_instance {} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {}\n  version 3\n  priority {prio}\n  advert_int 0.1\n",
            i.name, i.vrid
        );
        for e in i.extra {
            s += &format!("  {e}\n");
        }
        s += "  virtual_ipaddress {\n";
        for v in i.vips {
            s += &format!("    {v}\n");
        }
        s += "  }\n}\n";
    }
    s
}

/// Host 0's ruleset in three forms, normalised: JSON without handles and counter values,
/// the listing without counter values, the rules' bytecode without handles, counter values
/// and set elements (which show interface indexes; the JSON has their names).
fn ruleset(h: &Netns) -> String {
    let json = h.exec(&["nft", "-j", "list", "ruleset"]);
    let mut v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("handle");
                m.remove("metainfo");
                if let Some(serde_json::Value::Object(c)) = m.get_mut("counter") {
                    c.insert("packets".into(), 0.into());
                    c.insert("bytes".into(), 0.into());
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => {
                a.iter_mut().for_each(strip);
                a.retain(|x| !x.as_object().is_some_and(|o| o.is_empty()));
            }
            _ => {}
        }
    }
    strip(&mut v);
    let text = String::from_utf8_lossy(&h.exec(&["nft", "list", "ruleset"]).stdout).to_string();
    let netlink = h.exec(&["nft", "--debug=netlink", "list", "ruleset"]);
    let netlink = String::from_utf8_lossy(&netlink.stdout).to_string();
    // A rule block per blank line; the VMAC rules' `dup` loads the address before keepalived's
    // oifkind test in nft's compilation and after it in keepalived's (same meaning, and the
    // same rule in the listing and the JSON): those blocks are left to the other two forms.
    let blocks: Vec<&str> = netlink
        .split("\n\n")
        .filter(|b| !b.contains("[ dup "))
        .collect();
    let blocks = blocks.join("\n\n");
    let bytecode: Vec<String> = blocks
        .lines()
        .take_while(|l| !l.starts_with("table "))
        // Set headers ("ip keepalived @vips") and their elements.
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("element") && (l.starts_with('[') || !l.contains(" @"))
        })
        .map(|l| {
            if l.starts_with("ip") && !l.contains('[') {
                // "ip6 keepalived out 10 9": family, table, chain, handle, position.
                l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            } else {
                // Which data register holds a value is nft's choice (keepalived loads the
                // VMAC rule's oifkind into reg 2, nft into reg 1); the verdict register stays.
                l.split(' ')
                    .scan("", |prev, w| {
                        let out = if *prev == "reg"
                            && w != "0"
                            && w.chars().all(|c| c.is_ascii_digit())
                        {
                            "N"
                        } else {
                            w
                        };
                        *prev = w;
                        Some(out)
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        })
        .collect();
    let zero = |t: &str| {
        t.split(' ')
            .scan(false, |after, w| {
                let out = if *after && w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty() {
                    "0".to_string()
                } else {
                    w.to_string()
                };
                *after = matches!(w, "packets" | "bytes" | "pkts");
                Some(out)
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "{}\n{}\n{}",
        serde_json::to_string_pretty(&v).unwrap_or_default(),
        zero(&text),
        zero(&bytecode.join("\n"))
    )
}

/// The ruleset once it stops changing (the daemons write it a little after the addresses).
fn settled(h: &Netns) -> String {
    let mut last = ruleset(h);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(150));
        let now = ruleset(h);
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// Whether host 2's one ping to `vip` is answered.
fn ping(lan: &Lan, vip: &str) -> bool {
    let fam = if vip.contains(':') { "-6" } else { "-4" };
    lan.hosts[2]
        .try_exec(&["ping", fam, "-c", "1", "-W", "1", vip])
        .status
        .success()
}

/// Whether a TCP connection from host 2 to `vip` port 9 is answered at all (a refusal is an
/// answer; a filtered VIP lets the attempt time out).
fn tcp_answered(lan: &Lan, vip: &str) -> bool {
    let out = lan.hosts[2].try_exec(&[
        "timeout",
        "1",
        "bash",
        "-c",
        &format!("exec 3<>/dev/tcp/{vip}/9"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    out.status.success() || err.contains("refused")
}

/// Whether `addr` is on any interface of `ns` (a VMAC's VIPs are on vrrp.51).
fn holds(ns: &Netns, addr: &str) -> bool {
    let out = ns.try_exec(&["ip", "-o", "addr", "show"]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|w| w.split('/').next() == Some(addr))
}

fn wait_holds(ns: &Netns, addr: &str, present: bool) -> bool {
    wait_for(Duration::from_secs(6), || {
        (holds(ns, addr) == present).then_some(())
    })
    .is_some()
}

/// What one scenario records on host 0.
#[derive(Debug, PartialEq)]
struct Recording {
    states: Vec<(&'static str, String)>,
    /// (VIP, ping answered, TCP answered) while host 0 is master.
    traffic: Vec<(&'static str, bool, bool)>,
}

/// Host 0 runs `daemon` with `globals` and `insts`, keepalived on host 1 is the peer.
fn scenario(
    daemon: Daemon,
    tag: &str,
    globals: &[&str],
    insts: &[Inst],
    probe: &[&'static str],
) -> Recording {
    let mut lan = lan3(tag, true);
    let dir = tempdir();
    let (d0, d1, d1b) = (
        subdir(dir.path(), "a"),
        subdir(dir.path(), "b"),
        subdir(dir.path(), "b2"),
    );
    let first = insts[0].vips[0].split('/').next().unwrap_or_default();
    let peer = Node::start(
        Daemon::Keepalived,
        &mut lan.hosts[1],
        &d1,
        &conf(globals, insts, true),
    );
    assert!(
        wait_holds(&lan.hosts[1], first, true),
        "peer: {}",
        peer.log()
    );
    let a = Node::start(daemon, &mut lan.hosts[0], &d0, &conf(globals, insts, false));
    std::thread::sleep(Duration::from_millis(600));
    let mut states = vec![("backup", settled(&lan.hosts[0]))];
    peer.stop();
    assert!(
        wait_holds(&lan.hosts[0], first, true),
        "{daemon:?} never became master: {}",
        a.log()
    );
    let h0 = &lan.hosts[0];
    // Every VIP up (IPv6 ones after their own instance's takeover).
    for i in insts {
        for v in i.vips {
            let addr = v.split('/').next().unwrap_or_default();
            assert!(
                wait_holds(h0, addr, true),
                "{daemon:?}: no {addr}: {}",
                a.log()
            );
        }
    }
    states.push(("master", settled(h0)));
    let traffic = probe
        .iter()
        .map(|v| (*v, ping(&lan, v), !v.contains(':') && tcp_answered(&lan, v)))
        .collect();
    assert!(lan.hosts[1].wait_pid(peer.pid, Duration::from_secs(5)));
    let peer = Node::start(
        Daemon::Keepalived,
        &mut lan.hosts[1],
        &d1b,
        &conf(globals, insts, true),
    );
    assert!(
        wait_holds(&lan.hosts[0], first, false),
        "{daemon:?} kept the VIP beside a higher priority: {}\npeer: {}",
        a.log(),
        peer.log()
    );
    states.push(("backup again", settled(&lan.hosts[0])));
    a.stop();
    assert!(
        lan.hosts[0].wait_pid(a.pid, Duration::from_secs(5)),
        "{daemon:?} did not stop"
    );
    states.push(("stopped", ruleset(&lan.hosts[0])));
    Recording { states, traffic }
}

/// Both daemons in the same scenario (at once, on two LANs), compared state by state.
fn compare(
    tag: &str,
    globals: &'static [&'static str],
    insts: fn() -> Vec<Inst>,
    probe: &'static [&'static str],
) -> Recording {
    let ktag = format!("{tag}k");
    let ka =
        std::thread::spawn(move || scenario(Daemon::Keepalived, &ktag, globals, &insts(), probe));
    let ours = scenario(Daemon::Vrrpd, &format!("{tag}v"), globals, &insts(), probe);
    let theirs = ka.join().expect("keepalived scenario");
    for ((state, t), (_, o)) in theirs.states.iter().zip(&ours.states) {
        assert!(
            o == t,
            "{tag}, {state}: vrrpd and keepalived differ\n{}\nvrrpd's whole ruleset:\n{o}\nkeepalived's:\n{t}",
            line_diff(o, t)
        );
    }
    assert_eq!(ours.traffic, theirs.traffic, "{tag}: traffic to the VIPs");
    theirs
}

/// The lines only one of the two rulesets has (a failure message that fits in a CI log).
fn line_diff(vrrpd: &str, keepalived: &str) -> String {
    let only = |a: &str, b: &str, tag: &str| -> Vec<String> {
        let other: std::collections::HashSet<&str> = b.lines().collect();
        a.lines()
            .enumerate()
            .filter(|(_, l)| !other.contains(l))
            .map(|(n, l)| format!("{tag} line {}: {l}", n + 1))
            .collect()
    };
    let mut out = only(vrrpd, keepalived, "vrrpd only,");
    out.extend(only(keepalived, vrrpd, "keepalived only,"));
    if out.is_empty() {
        // The same lines in another order: show where the order first differs.
        let (a, b): (Vec<&str>, Vec<&str>) =
            (vrrpd.lines().collect(), keepalived.lines().collect());
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let around = |v: &[&str]| v[at.saturating_sub(3)..(at + 4).min(v.len())].join("\n");
        out.push(format!(
            "the same lines in another order, first at line {}:\nvrrpd:\n{}\nkeepalived:\n{}",
            at + 1,
            around(&a),
            around(&b)
        ));
    }
    out.join("\n")
}

fn strict_instances() -> Vec<Inst> {
    vec![
        Inst {
            name: "VI_1",
            vrid: 51,
            prio: 150,
            vips: &["192.0.2.100/24", "192.0.2.101/24"],
            extra: &[],
        },
        Inst {
            name: "VI_6",
            vrid: 52,
            prio: 150,
            vips: &["2001:db8::100/64", "fe80::100/64"],
            extra: &[],
        },
        Inst {
            name: "VI_A",
            vrid: 53,
            prio: 150,
            vips: &["192.0.2.120/24"],
            extra: &["accept"],
        },
        Inst {
            name: "VI_O",
            vrid: 54,
            prio: 255,
            vips: &["192.0.2.110/24"],
            extra: &[],
        },
    ]
}

/// vrrp_strict: no_accept by default (the VIPs of VI_1 and VI_6 are filtered while master),
/// `accept` (VI_A) and the address owner (VI_O) unfiltered; IPv4, IPv6 and a link-local VIP.
#[test]
fn vrrp_strict_filters_the_vips_of_a_master_as_keepalived_does() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let r = compare(
        "nfs",
        &["vrrp_strict"],
        strict_instances,
        &["192.0.2.100", "2001:db8::100", "192.0.2.120", "192.0.2.110"],
    );
    let state = |s: &str| &r.states.iter().find(|(n, _)| *n == s).unwrap().1;
    // keepalived's own ruleset, as measured: nothing until the first master, the drop rules
    // with the VIPs while master, the sets emptied in BACKUP, nothing after the stop.
    assert!(
        !state("backup").contains("keepalived"),
        "{}",
        state("backup")
    );
    let m = state("master");
    assert!(m.contains("ip daddr @vips drop"), "{m}");
    assert!(m.contains("elements = { 192.0.2.100, 192.0.2.101 }"), "{m}");
    assert!(m.contains("elements = { fe80::100 . \"eth0\" }"), "{m}");
    assert!(
        !m.contains("192.0.2.110") && !m.contains("192.0.2.120"),
        "{m}"
    );
    assert!(!state("backup again").contains("elements = { 192.0.2.100"));
    assert!(state("backup again").contains("ip daddr @vips drop"));
    assert!(
        !state("stopped").contains("keepalived"),
        "{}",
        state("stopped")
    );
    assert_eq!(
        r.traffic,
        [
            ("192.0.2.100", false, false),
            ("2001:db8::100", false, false),
            ("192.0.2.120", true, true),
            ("192.0.2.110", true, true),
        ]
    );
}

fn vmac_instances() -> Vec<Inst> {
    vec![
        Inst {
            name: "VI_1",
            vrid: 51,
            prio: 150,
            vips: &["192.0.2.100/24"],
            extra: &["use_vmac", "no_accept"],
        },
        Inst {
            name: "VI_6",
            vrid: 52,
            prio: 150,
            vips: &["2001:db8::100/64", "fe80::100/64"],
            extra: &["use_vmac", "no_accept", "dont_track_primary"],
        },
    ]
}

/// no_accept without vrrp_strict, VMAC instances of both families (their IGMP / MLD rules and
/// the filter share one table), a named table with its own priority (nftables_priority after `nftables`: before it,
/// keepalived resets it) and counters; dont_track_primary matches a link-local VIP by name.
#[test]
fn no_accept_with_a_vmac_a_named_table_priority_and_counters_as_keepalived() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let r = compare(
        "nfv",
        &[
            "nftables vrrp_t",
            "nftables_priority 5",
            "nftables_counters",
        ],
        vmac_instances,
        &["192.0.2.100"],
    );
    let m = &r.states[1].1;
    assert!(m.contains("table ip vrrp_t"), "{m}");
    assert!(m.contains("priority filter + 5"), "{m}");
    assert!(
        m.contains("ip daddr @vips counter packets 0 bytes 0 drop"),
        "{m}"
    );
    assert!(
        m.contains("dup to ip daddr device oif map @vmac_map"),
        "{m}"
    );
    assert!(m.contains("elements = { fe80::100 . \"vrrp.52\" }"), "{m}");
    assert!(
        m.contains("icmpv6 type mld2-listener-report meta oifkind"),
        "{m}"
    );
    assert_eq!(r.traffic, [("192.0.2.100", false, false)]);
}

fn ifindex_instances() -> Vec<Inst> {
    vec![Inst {
        name: "VI_6",
        vrid: 52,
        prio: 150,
        vips: &["fe80::100/64"],
        extra: &["no_accept", "dont_track_primary"],
    }]
}

/// nftables_ifindex: the link-local VIP of a dont_track_primary instance is matched by
/// interface index after all.
#[test]
fn nftables_ifindex_matches_link_local_vips_by_index_as_keepalived() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let r = compare("nfi", &["nftables_ifindex"], ifindex_instances, &[]);
    let m = &r.states[1].1;
    assert!(m.contains("ip6 daddr . iif @vips_link_local drop"), "{m}");
    assert!(!m.contains("vips_link_local_name"), "{m}");
}

/// A vrrpd that dies by SIGKILL as a no_accept master leaves its table (nothing can remove
/// it); the next vrrpd deletes it at start, before it is ever master. keepalived keeps such a
/// table until it first needs its own (vrrp_nftables.c check_and_delete_tables).
#[test]
fn a_table_left_by_a_killed_vrrpd_is_deleted_at_start() {
    if !require_root() || !require_tool("nft") {
        return;
    }
    let mut lan = lan3("nfk", false);
    let dir = tempdir();
    let (d0, d1) = (subdir(dir.path(), "a"), subdir(dir.path(), "b"));
    let insts = vec![Inst {
        name: "VI_1",
        vrid: 51,
        prio: 150,
        vips: &["192.0.2.100/24"],
        extra: &[],
    }];
    let text = conf(&["vrrp_strict"], &insts, false);
    let a = Node::start(Daemon::Vrrpd, &mut lan.hosts[0], &d0, &text);
    assert!(
        wait_addr(&lan.hosts[0], "192.0.2.100", true, Duration::from_secs(6)).is_some(),
        "{}",
        a.log()
    );
    assert!(settled(&lan.hosts[0]).contains("192.0.2.100"));
    sigkill(a.pid);
    assert!(lan.hosts[0].wait_pid(a.pid, Duration::from_secs(5)));
    assert!(ruleset(&lan.hosts[0]).contains("table ip keepalived"));
    // A higher-priority master beside it: the new vrrpd stays BACKUP.
    let peer = Node::start(
        Daemon::Vrrpd,
        &mut lan.hosts[1],
        &d1,
        &conf(&["vrrp_strict"], &insts, true),
    );
    let b = Node::start(
        Daemon::Vrrpd,
        &mut lan.hosts[0],
        &subdir(dir.path(), "a2"),
        &text,
    );
    let gone = wait_for(Duration::from_secs(5), || {
        (!ruleset(&lan.hosts[0]).contains("keepalived")).then_some(())
    });
    assert!(gone.is_some(), "leftover kept: {}", b.log());
    assert!(
        b.log().contains("Deleting old ip keepalived table"),
        "{}",
        b.log()
    );
    assert!(
        !has_addr(&lan.hosts[0], "192.0.2.100"),
        "{}\n{}",
        b.log(),
        peer.log()
    );
}

/// The sets' elements on host 0, one line per set ("ip vips: 192.0.2.100, 192.0.2.101").
fn elements(h: &Netns) -> Vec<String> {
    let json = h.exec(&["nft", "-j", "list", "sets"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    let mut out = Vec::new();
    for item in v["nftables"].as_array().into_iter().flatten() {
        let Some(set) = item.get("set") else { continue };
        let elems: Vec<String> = set["elem"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect();
        let name = set["name"].as_str().unwrap_or_default();
        if name == "vips" {
            let fam = set["family"].as_str().unwrap_or_default();
            out.push(format!("{fam} {name}: {}", elems.join(", ")));
        }
    }
    out
}

/// One node alone (so master), reloaded three times; the VIP sets after each step.
fn reloads(daemon: Daemon, tag: &str) -> Vec<Vec<String>> {
    let mut lan = lan3(tag, false);
    let dir = tempdir();
    let inst = |vips: &'static [&'static str], extra: &'static [&'static str]| {
        conf(
            &["vrrp_strict"],
            &[Inst {
                name: "VI_1",
                vrid: 51,
                prio: 150,
                vips,
                extra,
            }],
            false,
        )
    };
    let a = Node::start(
        daemon,
        &mut lan.hosts[0],
        dir.path(),
        &inst(&["192.0.2.100/24"], &[]),
    );
    let h = &lan.hosts[0];
    assert!(
        wait_holds(h, "192.0.2.100", true),
        "{daemon:?}: {}",
        a.log()
    );
    let step = |text: Option<String>| {
        if let Some(t) = text {
            a.reload(&t);
        }
        std::thread::sleep(Duration::from_millis(700));
        settled(h);
        elements(h)
    };
    let out = vec![
        step(None),
        step(Some(inst(&["192.0.2.100/24", "192.0.2.101/24"], &[]))),
        step(Some(inst(
            &["192.0.2.100/24", "192.0.2.101/24"],
            &["accept"],
        ))),
        step(Some(inst(&["192.0.2.101/24"], &[]))),
    ];
    a.stop();
    assert!(lan.hosts[0].wait_pid(a.pid, Duration::from_secs(5)));
    out
}

/// HUP on a no_accept master: a VIP added to the config is filtered as keepalived filters it;
/// beyond that vrrpd's filter follows the new config, where keepalived 2.2.7 (measured here)
/// keeps filtering a master whose config turned `accept` on, and keeps the element of a VIP
/// the config no longer has once it turns no_accept again.
#[test]
fn a_reload_updates_the_filter_of_a_master() {
    if !require_root() || !require_tool("keepalived") || !require_tool("nft") {
        return;
    }
    let ka = std::thread::spawn(|| reloads(Daemon::Keepalived, "nfrk"));
    let ours = reloads(Daemon::Vrrpd, "nfrv");
    let theirs = ka.join().expect("keepalived scenario");
    let both = ["ip vips: 192.0.2.100, 192.0.2.101".to_string()];
    assert_eq!(theirs[0], ["ip vips: 192.0.2.100"]);
    assert_eq!(ours[..2], theirs[..2], "vrrpd (left) vs keepalived (right)");
    assert_eq!(theirs[1], both);
    assert_eq!(theirs[2], both, "keepalived after `accept`");
    assert_eq!(theirs[3], both, "keepalived after dropping 192.0.2.100");
    assert_eq!(ours[2], ["ip vips: "], "vrrpd after `accept`");
    assert_eq!(
        ours[3],
        ["ip vips: 192.0.2.101"],
        "vrrpd after dropping 192.0.2.100"
    );
}

/// Without `nft` on its PATH a no_accept vrrpd still becomes master and adds its VIP (the
/// address worker does not wait for rules that cannot come), and says once why nothing is
/// filtered.
#[test]
fn without_nft_the_master_still_takes_its_vips_and_says_why_they_are_not_filtered() {
    if !require_root() {
        return;
    }
    let mut lan = lan3("nfn", false);
    let dir = tempdir();
    let insts = [Inst {
        name: "VI_1",
        vrid: 51,
        prio: 150,
        vips: &["192.0.2.100/24"],
        extra: &[],
    }];
    let (v, _) = Vrrpd::start_via(
        &mut lan.hosts[0],
        dir.path(),
        &conf(&["vrrp_strict"], &insts, false),
        &["env", "PATH=/nonexistent"],
        &[],
    );
    assert!(
        wait_holds(&lan.hosts[0], "192.0.2.100", true),
        "{}",
        v.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    let log = v.log();
    assert_eq!(log.matches("nft is not installed").count(), 1, "{log}");
    assert!(ping(&lan, "192.0.2.100"), "{log}");
}
