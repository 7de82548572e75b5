//! keepalived's dump formats, both ways. Written: the text of `keepalived.stats` (USR2) in
//! keepalived 2.2.7's layout, which vrrpd writes on the same signal and `vrrpctl dump-stats`
//! prints (vrrpd's keepalived.json and keepalived.data are written by daemon::dump, which has
//! what they show). Read: keepalived's own
//! `keepalived.json` into status snapshots, completed by `keepalived.data` (USR1) for what
//! the JSON lacks (a backup's `Master router`, `Sync group`), so `vrrpctl status` and
//! `dump-stats` work on a node that runs keepalived and no vrrpd.

use std::collections::HashMap;

use std::fmt::Write as _;

use serde::Deserialize;

use super::snapshot::{InstanceSnapshot, Stats, SOURCE_KEEPALIVED};

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

#[derive(Debug, thiserror::Error)]
#[error("keepalived.json is not keepalived's JSON dump: {0}")]
pub struct ParseError(String);

#[derive(Deserialize)]
struct Entry {
    data: Data,
    #[serde(default)]
    stats: Stats,
}

#[derive(Deserialize)]
struct Data {
    iname: String,
    #[serde(default)]
    ifp_ifname: String,
    #[serde(default)]
    master_priority: u8,
    #[serde(default)]
    last_transition: f64,
    vrid: u8,
    #[serde(default)]
    base_priority: u8,
    #[serde(default)]
    effective_priority: u8,
    state: u8,
    #[serde(default)]
    wantstate: Option<u8>,
    #[serde(default)]
    version: u8,
    #[serde(default)]
    vips: Vec<String>,
}

/// keepalived's state numbers as status names (97 DELETED is shown as STOP: it is going away).
fn state_name(n: u8) -> &'static str {
    match n {
        1 => "BACKUP",
        2 => "MASTER",
        3 => "FAULT",
        97 | 98 => "STOP",
        _ => "INIT",
    }
}

/// What keepalived.data adds to the JSON dump, per instance name.
#[derive(Debug, Default, Clone)]
pub struct DataInfo {
    /// `Master router` (written for BACKUP instances only).
    pub masters: HashMap<String, String>,
    /// `Sync group`.
    pub groups: HashMap<String, String>,
}

/// Parse keepalived.json, completed by `data` (from keepalived.data, see [`data_info`]);
/// `now` is the wall clock in epoch seconds.
pub fn parse(text: &str, data: &DataInfo, now: f64) -> Result<Vec<InstanceSnapshot>, ParseError> {
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| ParseError(e.to_string()))?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let d = e.data;
            let state = state_name(d.state).to_string();
            let since = (d.last_transition > 0.0 && now >= d.last_transition)
                .then_some(((now - d.last_transition) * 1000.0) as u64);
            let (master_ip, master_priority) = match state.as_str() {
                "BACKUP" => (
                    data.masters.get(&d.iname).cloned(),
                    (d.master_priority > 0).then_some(d.master_priority),
                ),
                "MASTER" => (Some("this node".to_string()), Some(d.effective_priority)),
                _ => (None, None),
            };
            let sync_group = data.groups.get(&d.iname).cloned();
            InstanceSnapshot {
                name: d.iname,
                interface: d.ifp_ifname,
                vrid: d.vrid,
                version: d.version,
                state,
                wantstate: d.wantstate.map(|w| state_name(w).to_string()),
                priority: d.base_priority,
                base_priority: d.base_priority,
                effective_priority: d.effective_priority,
                master_ip,
                master_priority,
                vips: d.vips,
                since_ms: since,
                last_transition: None,
                last_transition_epoch: (d.last_transition > 0.0).then_some(d.last_transition),
                trackers: Vec::new(),
                sync_group,
                demoted: None,
                source: SOURCE_KEEPALIVED.to_string(),
                stats: e.stats,
            }
        })
        .collect())
}

/// Read the VRRP Topology section of keepalived.data.
pub fn data_info(text: &str) -> DataInfo {
    let mut masters = HashMap::new();
    let mut groups = HashMap::new();
    let mut current: Option<String> = None;
    let mut in_topology = false;
    for line in text.lines() {
        if line.starts_with("------<") {
            in_topology = line.contains("VRRP Topology");
            current = None;
            continue;
        }
        if !in_topology {
            continue;
        }
        if let Some(name) = line.strip_prefix(" VRRP Instance = ") {
            current = Some(name.trim().to_string());
        } else if let Some(cur) = &current {
            let l = line.trim();
            if let Some(m) = l.strip_prefix("Master router = ") {
                masters.insert(cur.clone(), m.trim().to_string());
            } else if let Some(g) = l.strip_prefix("Sync group = ") {
                groups.insert(cur.clone(), g.trim().to_string());
            }
        }
    }
    DataInfo { masters, groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> InstanceSnapshot {
        crate::control::snapshot::sample()
    }

    #[test]
    fn stats_file_matches_keepalived_layout() {
        // The first instance block of the reference sample_A_keepalived.stats.
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 15\n  Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(stats_text(&[snap()]), want);
    }

    const SAMPLE_B: &str =
        include_str!("../../../tests/data/keepalived-dumps/sample_B_keepalived.json");
    const SAMPLE_A_DATA: &str =
        include_str!("../../../tests/data/keepalived-dumps/sample_A_keepalived.data");

    #[test]
    fn reads_keepalived_sample() {
        let mut data = DataInfo::default();
        data.masters
            .insert("VI_1".to_string(), "192.0.2.1".to_string());
        let snap = parse(SAMPLE_B, &data, 1_795_347_084.338714).unwrap();
        assert_eq!(snap.len(), 5);
        let vi1 = &snap[0];
        assert_eq!(
            (
                vi1.name.as_str(),
                vi1.state.as_str(),
                vi1.vrid,
                vi1.interface.as_str()
            ),
            ("VI_1", "BACKUP", 51, "ktb0")
        );
        assert_eq!(vi1.master_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(vi1.master_priority, Some(150));
        assert_eq!(vi1.since_ms, Some(10_000));
        assert_eq!(vi1.source, "keepalived");
        assert_eq!(vi1.wantstate.as_deref(), Some("BACKUP"));
        assert_eq!(snap[1].state, "MASTER");
        assert_eq!(snap[1].wantstate.as_deref(), Some("MASTER"));
        assert_eq!(snap[1].vips.len(), 2);
    }

    #[test]
    fn data_file_gives_sync_groups() {
        let d = data_info(SAMPLE_A_DATA);
        assert!(d.masters.is_empty(), "every instance of sample A is MASTER");
        assert_eq!(d.groups.get("VI_1").map(String::as_str), Some("SG1"));
        assert_eq!(d.groups.get("VI_5").map(String::as_str), Some("SG1"));
        assert_eq!(d.groups.get("VI_2"), None);
        let m = data_info(
            "------< VRRP Topology >------\n VRRP Instance = VI_9\n   State = BACKUP\n   Master router = 192.0.2.7\n",
        );
        assert_eq!(m.masters.get("VI_9").map(String::as_str), Some("192.0.2.7"));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("{", &DataInfo::default(), 0.0).is_err());
        assert!(parse("[{\"data\":{}}]", &DataInfo::default(), 0.0).is_err());
    }
}
