//! keepalived's dump files, written on its signals so existing habits and scripts keep working:
//! USR2 -> `keepalived.stats`, SIGRTMIN+2 -> `keepalived.json`, USR1 -> `keepalived.data`, in
//! `$TMPDIR` (default /tmp), mode 0600, overwritten each time. Stats and JSON follow keepalived
//! 2.2.7's layout and field names; the data file carries the topology part only.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::instance::InstanceSnapshot;
use super::signals::SigFunc;

/// The word keepalived logs for each dump ("Printing VRRP stats ...").
pub fn what(sig: SigFunc) -> &'static str {
    match sig {
        SigFunc::Stats | SigFunc::StatsClear => "stats",
        SigFunc::Json => "json",
        _ => "data",
    }
}

fn dump_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join(name)
}

fn write_file(name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = dump_path(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

/// The text of `keepalived.stats`.
pub fn stats_text(snap: &[InstanceSnapshot]) -> String {
    let mut s = String::new();
    for i in snap {
        let c = &i.stats;
        // Writing to a String cannot fail.
        let _ = write!(
            s,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            i.name,
            c.advert_rcvd,
            c.advert_sent,
            c.become_master,
            c.release_master,
            c.packet_len_err,
            c.ip_ttl_err,
            c.invalid_type_rcvd,
            c.advert_interval_err,
            c.addr_list_err,
            c.invalid_authtype,
            c.authtype_mismatch,
            c.auth_failure,
            c.pri_zero_rcvd,
            c.pri_zero_sent,
        );
    }
    s
}

fn state_number(state: &str) -> u8 {
    match state {
        "BACKUP" => 1,
        "MASTER" => 2,
        "FAULT" => 3,
        "STOP" => 98,
        _ => 0,
    }
}

/// The text of `keepalived.json`: an array of `{"data": {...}, "stats": {...}}`, compact.
pub fn json_text(snap: &[InstanceSnapshot]) -> String {
    let arr: Vec<serde_json::Value> = snap
        .iter()
        .map(|i| {
            let c = &i.stats;
            serde_json::json!({
                "data": {
                    "iname": i.name,
                    "ifp_ifname": i.interface,
                    "last_transition": i.last_transition_epoch.unwrap_or(0.0),
                    "vrid": i.vrid,
                    "base_priority": i.priority,
                    "effective_priority": i.effective_priority,
                    "vipset": i.state == "MASTER",
                    "state": state_number(i.state),
                    "version": i.version,
                    "vips": i.vips,
                },
                "stats": {
                    "advert_rcvd": c.advert_rcvd,
                    "advert_sent": c.advert_sent,
                    "become_master": c.become_master,
                    "release_master": c.release_master,
                    "packet_len_err": c.packet_len_err,
                    "advert_interval_err": c.advert_interval_err,
                    "ip_ttl_err": c.ip_ttl_err,
                    "invalid_type_rcvd": c.invalid_type_rcvd,
                    "addr_list_err": c.addr_list_err,
                    "invalid_authtype": c.invalid_authtype,
                    "authtype_mismatch": c.authtype_mismatch,
                    "auth_failure": c.auth_failure,
                    "pri_zero_rcvd": c.pri_zero_rcvd,
                    "pri_zero_sent": c.pri_zero_sent,
                }
            })
        })
        .collect();
    serde_json::Value::Array(arr).to_string()
}

/// The text of `keepalived.data` (the VRRP Topology section).
pub fn data_text(snap: &[InstanceSnapshot]) -> String {
    let mut s = String::from("------< VRRP Topology >------\n");
    for i in snap {
        let _ = writeln!(s, " VRRP Instance = {}", i.name);
        let _ = writeln!(s, "   VRRP Version = {}", i.version);
        let _ = writeln!(s, "   State = {}", i.state);
        if let Some(t) = i.last_transition_epoch {
            let _ = writeln!(s, "   Last transition = {t:.6}");
        }
        let _ = writeln!(s, "   Interface = {}", i.interface);
        let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(s, "   Priority = {}", i.priority);
        let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
        if let Some(m) = &i.master_ip {
            let _ = writeln!(s, "   Master = {m}");
        }
        let _ = writeln!(s, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(s, "     {v}");
        }
    }
    s
}

pub fn write_stats(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.stats", &stats_text(snap))
}

pub fn write_json(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.json", &json_text(snap))
}

pub fn write_data(snap: &[InstanceSnapshot]) -> std::io::Result<PathBuf> {
    write_file("keepalived.data", &data_text(snap))
}

#[cfg(test)]
mod tests {
    use super::super::instance::Stats;
    use super::*;

    fn snap() -> InstanceSnapshot {
        InstanceSnapshot {
            name: "VI_1".into(),
            interface: "eth0".into(),
            vrid: 51,
            version: 2,
            state: "MASTER",
            priority: 150,
            effective_priority: 150,
            master_ip: Some("192.0.2.1".into()),
            vips: vec!["192.0.2.100/24 dev eth0".into()],
            since_ms: Some(5),
            last_transition: None,
            last_transition_epoch: Some(1.5),
            stats: Stats {
                advert_sent: 15,
                become_master: 1,
                ..Default::default()
            },
        }
    }

    #[test]
    fn stats_file_matches_keepalived_layout() {
        // The first instance block of the reference sample_A_keepalived.stats.
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 15\n  Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(stats_text(&[snap()]), want);
    }

    #[test]
    fn json_has_keepalived_shape() {
        let v: serde_json::Value = serde_json::from_str(&json_text(&[snap()])).unwrap();
        assert_eq!(v[0]["data"]["iname"], "VI_1");
        assert_eq!(v[0]["data"]["state"], 2);
        assert_eq!(v[0]["stats"]["advert_sent"], 15);
        assert_eq!(v[0]["stats"].as_object().unwrap().len(), 14);
    }
}
