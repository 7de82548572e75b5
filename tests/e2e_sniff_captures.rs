//! The capture generator, run as a test: two real keepalived nodes in namespaces go through a
//! start, a preemption, a graceful stop with takeover (priority-0 adverts, gratuitous ARP and
//! unsolicited NA) and a final stop, while tcpdump and dumpcap record the LAN. The fresh
//! captures are then decoded and checked; with `UPDATE_CAPTURES=1` they also replace the
//! committed ones under tests/data/pcap/ (which tests/sniff_captures.rs checks field by field).
//!
//! Instances (same VRIDs on both nodes; A has priority 150, B 100):
//! 51 v2 PASS "s3cr3t", 52 v3 IPv4 advert_int 0.5 with two VIPs, 53 v3 IPv6, 54 v3 IPv4 unicast,
//! 55 v2 AH.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use vrrp::sniff::{self, Event, Options, SourceSpec};

fn conf(name: &str, prio: u8, me: &str, peer: &str) -> String {
    format!(
        r#"global_defs {{
  router_id {name}
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
}}
vrrp_instance V2_PASS {{
  interface eth0
  virtual_router_id 51
  priority {prio}
  advert_int 1
  authentication {{
    auth_type PASS
    auth_pass s3cr3t
  }}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
vrrp_instance V3_MCAST {{
  version 3
  interface eth0
  virtual_router_id 52
  priority {prio}
  advert_int 0.5
  virtual_ipaddress {{
    192.0.2.101/24
    192.0.2.102/24
  }}
}}
vrrp_instance V3_V6 {{
  version 3
  interface eth0
  virtual_router_id 53
  priority {prio}
  advert_int 1
  virtual_ipaddress {{
    2001:db8::53/64
  }}
}}
vrrp_instance V3_UNICAST {{
  version 3
  interface eth0
  virtual_router_id 54
  priority {prio}
  advert_int 1
  unicast_src_ip {me}
  unicast_peer {{
    {peer}
  }}
  virtual_ipaddress {{
    198.51.100.54/24
  }}
}}
vrrp_instance V2_AH {{
  interface eth0
  virtual_router_id 55
  priority {prio}
  advert_int 1
  authentication {{
    auth_type AH
    auth_pass ahsecret
  }}
  virtual_ipaddress {{
    192.0.2.105/24
  }}
}}
"#
    )
}

const INSTANCES: [&str; 5] = ["V2_PASS", "V3_MCAST", "V3_V6", "V3_UNICAST", "V2_AH"];

fn all_master(k: &Keepalived, since: usize) -> bool {
    let log = k.log();
    let tail = log.get(since..).unwrap_or("");
    INSTANCES
        .iter()
        .all(|i| tail.contains(&format!("({i}) Entering MASTER STATE")))
}

fn split(src: &Path, dst: &Path, filter: &str) {
    run(&[
        "tcpdump",
        "-r",
        src.to_str().unwrap(),
        "-w",
        dst.to_str().unwrap(),
        filter,
    ]);
}

/// Decode every frame of a capture with the library.
fn events(path: &Path) -> Vec<Event> {
    let mut evs = Vec::new();
    sniff::source::for_each_frame(&SourceSpec::File(path.to_path_buf()), &mut |f| {
        if let Some(e) = sniff::decode(&f) {
            evs.push(e);
        }
        std::ops::ControlFlow::Continue(())
    })
    .expect("read capture");
    evs
}

#[test]
fn keepalived_captures() {
    if !require_root()
        || !require_tool("keepalived")
        || !require_tool("tcpdump")
        || !require_tool("dumpcap")
    {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let mut lan = Lan::new("cap", 2);
    lan.addr(0, "192.0.2.1/24");
    lan.addr(1, "192.0.2.2/24");
    // keepalived sends IPv6 adverts from the link-local address: wait until DAD is done.
    for h in &lan.hosts {
        let ok = wait_for(Duration::from_secs(5), || {
            let out = h.exec(&["ip", "-6", "addr", "show", "dev", "eth0", "scope", "link"]);
            let s = String::from_utf8_lossy(&out.stdout).to_string();
            (s.contains("fe80") && !s.contains("tentative")).then_some(())
        });
        assert!(ok.is_some(), "no usable link-local address on {}", h.name);
    }
    let filter = "ip proto 112 or ip proto 51 or ip6 proto 112 or arp or (icmp6 and ip6[40] = 136)";
    let mixed = d.join("mixed.pcap");
    let ng = d.join("mixed.pcapng");
    let sll2 = d.join("sll2.pcap");
    let sll = d.join("sll.pcap");
    let sw = lan.switch.name.clone();
    let mut caps = Vec::new();
    let mut tcpdump = |ns: &str, args: &[&str]| {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, "tcpdump", "-U", "-n"])
            .args(args)
            .arg(filter)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        caps.push(Proc {
            child: c.spawn().expect("spawn tcpdump"),
        });
    };
    tcpdump(&sw, &["-i", "p1", "-w", mixed.to_str().unwrap()]);
    let h1 = lan.hosts[1].name.clone();
    tcpdump(
        &h1,
        &["-i", "any", "-c", "12", "-w", sll2.to_str().unwrap()],
    );
    tcpdump(
        &h1,
        &[
            "-i",
            "any",
            "-y",
            "LINUX_SLL",
            "-c",
            "12",
            "-w",
            sll.to_str().unwrap(),
        ],
    );
    let mut c = Command::new("ip");
    c.args([
        "netns", "exec", &sw, "dumpcap", "-q", "-i", "p1", "-c", "30", "-w",
    ])
    .arg(&ng)
    .args(["-f", filter])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    caps.push(Proc {
        child: c.spawn().expect("spawn dumpcap"),
    });
    std::thread::sleep(Duration::from_millis(1500));

    let (dir_a, dir_b) = (d.join("a"), d.join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    // B first (priority 100): it becomes master of everything.
    let (hosts_a, hosts_b) = lan.hosts.split_at_mut(1);
    let (kb, pb) = Keepalived::start(
        &mut hosts_b[0],
        &dir_b,
        &conf("nodeB", 100, "192.0.2.2", "192.0.2.1"),
    );
    let pid_b = pb.pid();
    assert!(
        wait_for(Duration::from_secs(15), || all_master(&kb, 0).then_some(())).is_some(),
        "B never became master: {}",
        kb.log()
    );
    // A (priority 150) preempts.
    let (ka, pa) = Keepalived::start(
        &mut hosts_a[0],
        &dir_a,
        &conf("nodeA", 150, "192.0.2.1", "192.0.2.2"),
    );
    let pid_a = pa.pid();
    assert!(
        wait_for(Duration::from_secs(15), || all_master(&ka, 0).then_some(())).is_some(),
        "A never preempted: {}",
        ka.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    // A stops gracefully (priority 0), B takes over with GARP/NA.
    let b_log_len = kb.log().len();
    // SAFETY: kill(2) on a child we started.
    unsafe { libc::kill(pid_a, libc::SIGTERM) };
    assert!(
        wait_for(Duration::from_secs(10), || all_master(&kb, b_log_len)
            .then_some(()))
        .is_some(),
        "B did not take over: {}",
        kb.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: as above.
    unsafe { libc::kill(pid_b, libc::SIGTERM) };
    std::thread::sleep(Duration::from_secs(2));
    for c in caps.iter_mut() {
        // SIGINT makes tcpdump/dumpcap flush and exit.
        unsafe { libc::kill(c.pid(), libc::SIGINT) };
        c.wait_timeout(Duration::from_secs(5));
    }

    let out = d.join("split");
    std::fs::create_dir_all(&out).unwrap();
    let files: Vec<(&str, PathBuf, Option<&str>)> = vec![
        ("keepalived_mixed.pcap", mixed.clone(), None),
        ("keepalived_v2_pass_vrid51.pcap", mixed.clone(), Some("ip proto 112 and ip[21] = 51")),
        ("keepalived_v3_ipv4_mcast_vrid52.pcap", mixed.clone(), Some("ip proto 112 and ip[21] = 52 and ip dst 224.0.0.18")),
        ("keepalived_v3_ipv6_vrid53.pcap", mixed.clone(), Some("ip6 proto 112")),
        ("keepalived_v3_ipv4_unicast_vrid54.pcap", mixed.clone(), Some("ip proto 112 and ip[21] = 54")),
        ("keepalived_v2_ah_vrid55.pcap", mixed.clone(), Some("ip proto 51")),
        ("keepalived_priority0.pcap", mixed.clone(), Some("(ip proto 112 and ip[22] = 0) or (ip6 proto 112 and ip6[42] = 0) or (ip proto 51 and ip[46] = 0)")),
        ("keepalived_garp_na.pcap", mixed.clone(), Some("arp or icmp6")),
        ("keepalived_any_sll2.pcap", sll2.clone(), None),
        ("keepalived_any_sll.pcap", sll.clone(), None),
        ("keepalived_dumpcap.pcapng", ng.clone(), None),
    ];
    for (name, src, f) in &files {
        let dst = out.join(name);
        match f {
            Some(f) => split(src, &dst, f),
            None => {
                std::fs::copy(src, &dst).unwrap();
            }
        }
    }

    // Check the fresh captures before anything is committed.
    let evs = events(&out.join("keepalived_mixed.pcap"));
    let adverts: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Vrrp(p) => Some(p),
            _ => None,
        })
        .collect();
    assert!(
        adverts.len() > 60,
        "only {} adverts captured",
        adverts.len()
    );
    for p in &adverts {
        assert!(p.parsed.errors.is_empty(), "{:?}", p);
    }
    for vrid in [51u8, 52, 53, 54, 55] {
        let of: Vec<_> = adverts
            .iter()
            .filter(|p| p.parsed.advert.vrid == vrid)
            .collect();
        assert!(
            of.iter().any(|p| p.parsed.advert.priority == 150),
            "vrid {vrid}: A never advertised"
        );
        assert!(
            of.iter().any(|p| p.parsed.advert.priority == 100),
            "vrid {vrid}: B never advertised"
        );
        assert_eq!(
            of.iter().filter(|p| p.parsed.advert.priority == 0).count(),
            2,
            "vrid {vrid}: one goodbye from each node"
        );
    }
    assert!(
        evs.iter().any(|e| matches!(e, Event::Garp { .. })),
        "no gratuitous ARP"
    );
    assert!(
        evs.iter().any(|e| matches!(e, Event::Na { .. })),
        "no unsolicited NA"
    );
    for (name, _, _) in &files {
        let n = events(&out.join(name)).len();
        assert!(n > 0, "{name} is empty");
    }
    // A normal preemption and takeover is not a split brain.
    let opts = Options {
        source: SourceSpec::File(out.join("keepalived_mixed.pcap")),
        write: None,
        count: None,
        vrid: None,
        verbose: false,
        json: true,
        summary: true,
    };
    let report = sniff::run(&opts, &mut std::io::sink(), &|t, _| t.to_string()).unwrap();
    for v in &report.vrids {
        assert!(!v.split_brain && !v.collision, "{v:?}");
        assert!(v.problems.is_empty(), "{v:?}");
        assert_eq!(v.speakers.len(), 2, "{v:?}");
    }

    if std::env::var("UPDATE_CAPTURES").as_deref() == Ok("1") {
        let dest = data("pcap");
        std::fs::create_dir_all(&dest).unwrap();
        for (name, _, _) in &files {
            let to = dest.join(name);
            std::fs::copy(out.join(name), &to).unwrap();
            // dumpcap creates its file 0600; the committed captures are for everyone.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        eprintln!("updated {} captures in {}", files.len(), dest.display());
    }
    drop(ka);
}
