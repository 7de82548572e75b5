//! Every field of every VRRP packet in the committed captures, as `vrrpctl sniff --json`
//! reports it, must equal what Wireshark's VRRP dissector (tshark) says.

// Only the path helpers of the shared harness are used here.
#[allow(unused_imports)]
mod common;
use common::*;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// tshark's VRRP-bearing packets: (frame number, layers).
fn tshark(path: &Path) -> Vec<Value> {
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(path)
        .args(["-T", "json", "--no-duplicate-keys"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("tshark JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|p| p["_source"]["layers"].clone())
        .filter(|l| l.get("vrrp").is_some())
        .collect()
}

fn ours(path: &Path) -> Vec<Value> {
    let out = Command::new(bin("vrrpctl"))
        .args(["--json", "sniff", "--no-summary", "-r"])
        .arg(path)
        .output()
        .expect("run vrrpctl");
    assert!(
        out.status.success(),
        "vrrpctl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|v| v["kind"] == "vrrp")
        .collect()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A field that tshark gives once as a string or repeated as an array.
fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        None => vec![],
        Some(Value::Array(a)) => a.iter().map(s).collect(),
        Some(x) => vec![s(x)],
    }
}

fn compare(path: &Path) -> usize {
    let (t, o) = (tshark(path), ours(path));
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(
        t.len(),
        o.len(),
        "{name}: tshark and vrrpctl see a different number of VRRP packets"
    );
    for (i, (l, j)) in t.iter().zip(&o).enumerate() {
        let at = format!("{name} VRRP packet {i}");
        let v = &l["vrrp"];
        let ip = l.get("ip").or_else(|| l.get("ipv6")).expect("IP layer");
        let (src, dst, ttl) = if l.get("ip").is_some() {
            (s(&ip["ip.src"]), s(&ip["ip.dst"]), s(&ip["ip.ttl"]))
        } else {
            (s(&ip["ipv6.src"]), s(&ip["ipv6.dst"]), s(&ip["ipv6.hlim"]))
        };
        assert_eq!(s(&j["src"]), src, "{at}: src");
        assert_eq!(s(&j["dst"]), dst, "{at}: dst");
        assert_eq!(s(&j["ttl"]), ttl, "{at}: ttl");
        let tv = &v["vrrp.typever_tree"];
        assert_eq!(s(&j["version"]), s(&tv["vrrp.version"]), "{at}: version");
        let ty = if j["type"] == "advertisement" {
            "1".to_string()
        } else {
            s(&j["type"])
        };
        assert_eq!(ty, s(&tv["vrrp.type"]), "{at}: type");
        assert_eq!(s(&j["vrid"]), s(&v["vrrp.virt_rtr_id"]), "{at}: vrid");
        assert_eq!(s(&j["priority"]), s(&v["vrrp.prio"]), "{at}: priority");
        assert_eq!(
            s(&j["addr_count"]),
            s(&v["vrrp.addr_count"]),
            "{at}: addr_count"
        );
        let csum = j["checksum"].as_u64().unwrap();
        assert_eq!(
            format!("{csum:#06x}"),
            s(&v["vrrp.checksum"]),
            "{at}: checksum"
        );
        // tshark verifies v3 over IPv4 with the pseudo-header only; we also accept RFC 9568's
        // strict form, and say so in checksum_kind.
        let good = s(&v["vrrp.checksum.status"]) == "1";
        if j["checksum_kind"] == "no-pseudo-header" && j["version"] == 3 {
            assert!(
                !good && j["checksum_valid"] == true,
                "{at}: checksum status"
            );
        } else {
            assert_eq!(
                j["checksum_valid"].as_bool().unwrap(),
                good,
                "{at}: checksum_valid"
            );
        }
        let addrs: Vec<String> = j["addresses"].as_array().unwrap().iter().map(s).collect();
        let mut theirs = list(v.get("vrrp.ip_addr"));
        theirs.extend(list(v.get("vrrp.ipv6_addr")));
        assert_eq!(addrs, theirs, "{at}: addresses");
        if j["version"] == 2 {
            let at_num = match j["auth_type"].as_str() {
                Some("none") => "0".to_string(),
                Some("simple") => "1".to_string(),
                Some("ah") => "2".to_string(),
                _ => s(&j["auth_type"]),
            };
            assert_eq!(at_num, s(&v["vrrp.auth_type"]), "{at}: auth_type");
            let secs = j["advert_int_cs"].as_u64().unwrap() / 100;
            assert_eq!(secs.to_string(), s(&v["vrrp.adver_int"]), "{at}: adver_int");
            if at_num == "1" {
                assert_eq!(s(&j["auth"]), s(&v["vrrp.auth_string"]), "{at}: auth");
            }
            assert!(l.get("ah").is_some() == j.get("ah").is_some(), "{at}: AH");
        } else {
            assert_eq!(
                s(&j["advert_int_cs"]),
                s(&v["vrrp.short_adver_int"]),
                "{at}: short_adver_int"
            );
        }
        if let Some(ah) = l.get("ah") {
            let spi = j["ah"]["spi"].as_u64().unwrap();
            assert_eq!(format!("{spi:#010x}"), s(&ah["ah.spi"]), "{at}: AH spi");
            assert_eq!(s(&j["ah"]["seq"]), s(&ah["ah.sequence"]), "{at}: AH seq");
        }
        let t_epoch: f64 = s(&l["frame"]["frame.time_epoch"]).parse().unwrap();
        let o_epoch = j["ts"].as_f64().unwrap();
        assert!(
            (t_epoch - o_epoch).abs() < 1e-5,
            "{at}: ts {o_epoch} vs {t_epoch}"
        );
    }
    o.len()
}

#[test]
fn every_field_matches_tshark() {
    if !require_tool("tshark") {
        return;
    }
    let dir = data("pcap");
    let mut n = 0;
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        // Packets too broken to decode are "malformed" lines for us and partial decodes for
        // tshark: tests/sniff_edge.rs checks those, and tests/sniff_damaged.rs the damaged
        // captures (against tcpdump).
        let broken = p.file_name().is_some_and(|n| {
            n == "codec_malformed.pcap" || n.to_string_lossy().starts_with("damaged_")
        });
        let capture = matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("pcap" | "pcapng")
        );
        if capture && !broken {
            n += compare(&p);
            files += 1;
        }
    }
    assert!(
        files >= 13 && n > 150,
        "only {n} packets in {files} files compared"
    );
}
