//! The Prometheus text exposition (format 0.0.4) of a status snapshot, for `dump-stats
//! --format prometheus` (node_exporter's textfile collector) and vrrpd's `--metrics-listen`.
//!
//! Metric names and labels are those of the keepalived exporter most dashboards graph
//! (mehdy/keepalived-exporter: `keepalived_vrrp_state{iname,intf,vrid,ip_address}` per VIP, the
//! counters as `keepalived_*_total{iname,intf,vrid,state}`), so existing panels and alerts work
//! unchanged; what no exporter has is added under `vrrpd_*` (effective and base priority, the
//! master seen on the wire, seconds since the last transition, demotion, our extra counters).

use std::fmt::Write as _;

use super::snapshot::{InstanceSnapshot, NodeStats, Stats};

/// The content type a scrape answer carries.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// keepalived's state numbers (its JSON dump and the exporters' `keepalived_vrrp_state`).
pub fn state_number(state: &str) -> u8 {
    match state {
        "BACKUP" => 1,
        "MASTER" => 2,
        "FAULT" => 3,
        "STOP" => 98,
        _ => 0,
    }
}

/// Counters in the exporter's naming.
/// (metric name, help, how to read it).
type Metric<T> = (&'static str, &'static str, T);
type CounterOf = fn(&Stats) -> u64;
type GaugeOf = fn(&InstanceSnapshot) -> Option<f64>;

const COUNTERS: &[Metric<CounterOf>] = &[
    (
        "keepalived_advertisements_received_total",
        "Advertisements received",
        |s| s.advert_rcvd,
    ),
    (
        "keepalived_advertisements_sent_total",
        "Advertisements sent",
        |s| s.advert_sent,
    ),
    ("keepalived_become_master_total", "Became master", |s| {
        s.become_master
    }),
    ("keepalived_release_master_total", "Released master", |s| {
        s.release_master
    }),
    (
        "keepalived_packet_length_errors_total",
        "Packet length errors",
        |s| s.packet_len_err,
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "Advertisement interval errors",
        |s| s.advert_interval_err,
    ),
    ("keepalived_ip_ttl_errors_total", "TTL errors", |s| {
        s.ip_ttl_err
    }),
    (
        "keepalived_invalid_type_received_total",
        "Invalid type errors",
        |s| s.invalid_type_rcvd,
    ),
    (
        "keepalived_address_list_errors_total",
        "Address list errors",
        |s| s.addr_list_err,
    ),
    (
        "keepalived_authentication_invalid_total",
        "Authentication invalid",
        |s| s.invalid_authtype,
    ),
    (
        "keepalived_authentication_mismatch_total",
        "Authentication mismatch",
        |s| s.authtype_mismatch,
    ),
    (
        "keepalived_authentication_failure_total",
        "Authentication failure",
        |s| s.auth_failure,
    ),
    (
        "keepalived_priority_zero_received_total",
        "Priority zero received",
        |s| s.pri_zero_rcvd,
    ),
    (
        "keepalived_priority_zero_sent_total",
        "Priority zero sent",
        |s| s.pri_zero_sent,
    ),
    (
        "vrrpd_version_errors_total",
        "Adverts of another VRRP version",
        |s| s.vers_err,
    ),
    (
        "vrrpd_checksum_errors_total",
        "Adverts with a bad checksum",
        |s| s.chk_err,
    ),
    (
        "vrrpd_advertisements_late_total",
        "Adverts of the master followed that came over half an interval late",
        |s| s.late_advert_rcvd,
    ),
    (
        "vrrpd_notify_failures_total",
        "Notify scripts that failed to start, exited non-zero or timed out",
        |s| s.notify_failures,
    ),
];

/// A label value with `\`, `"` and newlines escaped as the format requires.
fn escape(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// `iname="VI_1",intf="eth0",vrid="51"`
fn base_labels(i: &InstanceSnapshot) -> String {
    format!(
        "iname=\"{}\",intf=\"{}\",vrid=\"{}\"",
        escape(&i.name),
        escape(&i.interface),
        i.vrid
    )
}

/// The VIP's address and interface as the exporter splits keepalived's VIP text
/// (`192.0.2.100/24 dev eth0 ...`): first word, and the word after `dev`.
fn vip_parts<'a>(vip: &'a str, default_if: &'a str) -> (&'a str, &'a str) {
    let mut words = vip.split_whitespace();
    let addr = words.next().unwrap_or("");
    let mut intf = default_if;
    let mut words = vip.split_whitespace();
    while let Some(w) = words.next() {
        if w == "dev" {
            intf = words.next().unwrap_or(default_if);
        }
    }
    (addr, intf)
}

/// The node-wide counters (vrrpd only: keepalived has none of them).
fn render_node(out: &mut String, node: &NodeStats) {
    header(
        out,
        "vrrpd_unknown_vrid_total",
        "counter",
        "Adverts heard for a VRID no instance runs on the interface",
    );
    for c in &node.unknown_vrid {
        let _ = writeln!(
            out,
            "vrrpd_unknown_vrid_total{{intf=\"{}\"}} {}",
            escape(&c.interface),
            c.count
        );
    }
    type ScriptOf = fn(&super::snapshot::ScriptStats) -> u64;
    let scripts: [Metric<ScriptOf>; 3] = [
        ("vrrpd_script_runs_total", "vrrp_script runs", |s| s.runs),
        (
            "vrrpd_script_failures_total",
            "vrrp_script runs that did not exit 0 (timeouts included)",
            |s| s.failures,
        ),
        (
            "vrrpd_script_timeouts_total",
            "vrrp_script runs killed after their timeout",
            |s| s.timeouts,
        ),
    ];
    for (metric, help, get) in scripts {
        header(out, metric, "counter", help);
        for sc in &node.scripts {
            let _ = writeln!(out, "{metric}{{name=\"{}\"}} {}", escape(&sc.name), get(sc));
        }
    }
    header(
        out,
        "vrrpd_sync_group_notify_failures_total",
        "counter",
        "Notify scripts of a vrrp_sync_group that failed",
    );
    for g in &node.sync_groups {
        let _ = writeln!(
            out,
            "vrrpd_sync_group_notify_failures_total{{group=\"{}\"}} {}",
            escape(&g.name),
            g.notify_failures
        );
    }
}

/// The whole exposition for `instances` and, from vrrpd, the node-wide counters; `up` is
/// `keepalived_up` (whether the daemon answered).
pub fn render(instances: &[InstanceSnapshot], node: Option<&NodeStats>, up: bool) -> String {
    let mut out = String::new();
    header(&mut out, "keepalived_up", "gauge", "Status");
    let _ = writeln!(out, "keepalived_up {}", u8::from(up));

    header(&mut out, "keepalived_vrrp_state", "gauge", "State of vrrp");
    for i in instances {
        let state = state_number(&i.state);
        let name = escape(&i.name);
        if i.vips.is_empty() {
            let _ = writeln!(
                out,
                "keepalived_vrrp_state{{iname=\"{name}\",intf=\"{}\",vrid=\"{}\",ip_address=\"\"}} {state}",
                escape(&i.interface),
                i.vrid
            );
        }
        for v in &i.vips {
            let (addr, intf) = vip_parts(v, &i.interface);
            let _ = writeln!(
                out,
                "keepalived_vrrp_state{{iname=\"{name}\",intf=\"{}\",vrid=\"{}\",ip_address=\"{}\"}} {state}",
                escape(intf),
                i.vrid,
                escape(addr)
            );
        }
    }

    for (metric, help, get) in COUNTERS {
        header(&mut out, metric, "counter", help);
        for i in instances {
            let _ = writeln!(
                out,
                "{metric}{{{},state=\"{}\"}} {}",
                base_labels(i),
                escape(&i.state),
                get(&i.stats)
            );
        }
    }

    let gauges: [Metric<GaugeOf>; 5] = [
        (
            "vrrpd_effective_priority",
            "Priority advertised now (base plus tracker weights)",
            |i| Some(f64::from(i.effective_priority)),
        ),
        ("vrrpd_base_priority", "Base priority in force", |i| {
            Some(f64::from(i.base_priority))
        }),
        (
            "vrrpd_master_priority",
            "Priority of the current master as seen on the wire",
            |i| i.master_priority.map(f64::from),
        ),
        (
            "vrrpd_seconds_since_transition",
            "Seconds since the last state transition",
            |i| i.since_ms.map(|ms| ms as f64 / 1000.0),
        ),
        (
            "vrrpd_demoted",
            "1 while the instance is demoted by vrrpctl demote",
            |i| Some(if i.demoted.is_some() { 1.0 } else { 0.0 }),
        ),
    ];
    for (metric, help, get) in gauges {
        header(&mut out, metric, "gauge", help);
        for i in instances {
            if let Some(v) = get(i) {
                let _ = writeln!(out, "{metric}{{{}}} {v}", base_labels(i));
            }
        }
    }

    header(
        &mut out,
        "vrrpd_master_info",
        "gauge",
        "The current master's address, as a label (1 for each instance that knows it)",
    );
    for i in instances {
        if let Some(m) = &i.master_ip {
            let _ = writeln!(
                out,
                "vrrpd_master_info{{{},master_ip=\"{}\"}} 1",
                base_labels(i),
                escape(m)
            );
        }
    }

    header(
        &mut out,
        "vrrpd_instance_state",
        "gauge",
        "1 for the state the instance is in (INIT, BACKUP, MASTER, FAULT, STOP)",
    );
    for i in instances {
        for s in ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"] {
            let _ = writeln!(
                out,
                "vrrpd_instance_state{{{},state=\"{s}\"}} {}",
                base_labels(i),
                u8::from(i.state == s)
            );
        }
    }
    if let Some(n) = node {
        render_node(&mut out, n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> InstanceSnapshot {
        InstanceSnapshot {
            name: "VI_\"1\"".into(),
            version: 3,
            effective_priority: 140,
            master_priority: Some(140),
            vips: vec!["192.0.2.100/24 dev eth1 label eth1:vip".into()],
            since_ms: Some(1500),
            stats: Stats {
                advert_sent: 7,
                ..Stats::default()
            },
            ..crate::control::snapshot::sample()
        }
    }

    #[test]
    fn exporter_names_and_labels() {
        let node = NodeStats {
            unknown_vrid: vec![super::super::snapshot::InterfaceCount {
                interface: "eth0".into(),
                count: 3,
            }],
            scripts: vec![super::super::snapshot::ScriptStats {
                name: "chk".into(),
                runs: 5,
                failures: 2,
                timeouts: 1,
            }],
            sync_groups: Vec::new(),
        };
        let text = render(&[snap()], Some(&node), true);
        assert!(
            text.contains("vrrpd_unknown_vrid_total{intf=\"eth0\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("vrrpd_script_timeouts_total{name=\"chk\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("vrrpd_script_failures_total{name=\"chk\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("keepalived_up 1\n"), "{text}");
        assert!(text.contains(
            "keepalived_vrrp_state{iname=\"VI_\\\"1\\\"\",intf=\"eth1\",vrid=\"51\",ip_address=\"192.0.2.100/24\"} 2\n"
        ), "{text}");
        assert!(text.contains(
            "keepalived_advertisements_sent_total{iname=\"VI_\\\"1\\\"\",intf=\"eth0\",vrid=\"51\",state=\"MASTER\"} 7\n"
        ), "{text}");
        assert!(text.contains("vrrpd_seconds_since_transition{"), "{text}");
        assert!(text.contains("} 1.5\n"), "{text}");
        assert!(text.contains("master_ip=\"192.0.2.1\"} 1\n"), "{text}");
        // Every family has HELP and TYPE once.
        let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!(types, helps);
        assert_eq!(types, 2 + COUNTERS.len() + 5 + 2 + 5);
    }
}
