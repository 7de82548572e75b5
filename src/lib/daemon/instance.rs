//! What the daemon keeps per instance beside the node layer's view of it: the shared raw
//! socket it sends on, its VIPs and routes resolved to rtnetlink messages, whether they are on
//! the system now, and the wall-clock time of its last transition; and the status / stats
//! snapshot a control client or a dump file is shown.

use std::time::SystemTime;

use crate::control::snapshot::{InstanceSnapshot, Stats, SOURCE_VRRPD};
use crate::node::{InstanceSpec, NodeInstance};

use super::netlink::{NetlinkError, Route, Vip};

/// The daemon's side of one instance.
#[derive(Debug, Clone)]
pub struct InstanceIo {
    /// Index of the shared socket of (interface, family) in the daemon's socket list.
    pub socket: usize,
    /// What is added on becoming master: virtual_ipaddress then virtual_ipaddress_excluded.
    pub vips: Vec<Vip>,
    pub routes: Vec<Route>,
    /// Whether our VIPs are on the system now (we asked for them and not for their removal).
    pub vips_set: bool,
    pub last_transition_wall: Option<SystemTime>,
    /// The last send error was logged; the next success is logged too.
    pub send_failing: bool,
}

impl InstanceIo {
    /// Resolve the spec's addresses and routes against this host.
    pub fn resolve(spec: &InstanceSpec, socket: usize) -> Result<InstanceIo, NetlinkError> {
        let (vips, routes) = resolve_addresses(spec, &spec.vips, &spec.routes)?;
        Ok(InstanceIo {
            socket,
            vips,
            routes,
            vips_set: false,
            last_transition_wall: None,
            send_failing: false,
        })
    }
}

/// Resolve VIPs and routes of `spec` (the instance's interface, or its VMAC for VIPs, is
/// their default device).
pub fn resolve_addresses(
    spec: &InstanceSpec,
    vips: &[crate::config::model::VirtualIp],
    routes: &[crate::config::model::VirtualRoute],
) -> Result<(Vec<Vip>, Vec<Route>), NetlinkError> {
    // Collected through Result, a Vec starts at 4 elements: shrunk, one VIP is 112 bytes
    // instead of 448 (1,000 instances: 0.3 MB).
    let mut vips = vips
        .iter()
        .map(|v| Vip::resolve(v, spec.vip_ifname(v)))
        .collect::<Result<Vec<_>, _>>()?;
    vips.shrink_to_fit();
    let mut routes = routes
        .iter()
        .map(|r| Route::resolve(r, &spec.ifname))
        .collect::<Result<Vec<_>, _>>()?;
    routes.shrink_to_fit();
    Ok((vips, routes))
}

/// The status and counters a control server or a dump file shows.
pub fn snapshot(inst: &NodeInstance, io: &InstanceIo) -> InstanceSnapshot {
    let cfg = inst.fsm.config();
    let c = inst.fsm.counters();
    let rx = &inst.rx;
    let since = io.last_transition_wall.and_then(|t| t.elapsed().ok());
    InstanceSnapshot {
        name: inst.spec.name.clone(),
        interface: inst.spec.ifname.clone(),
        vrid: cfg.vrid,
        version: cfg.version.number(),
        state: inst.fsm.state().as_str().to_string(),
        wantstate: Some(inst.fsm.want_state().as_str().to_string()),
        priority: cfg.priority,
        base_priority: inst.fsm.base_priority(),
        effective_priority: inst.fsm.effective_priority(),
        master_ip: inst.fsm.master_addr().map(|a| a.to_string()),
        master_priority: inst.fsm.master_priority(),
        vips: io.vips.iter().map(|v| v.to_string()).collect(),
        since_ms: since.map(|d| d.as_millis() as u64),
        last_transition: inst
            .fsm
            .last_transition()
            .map(|t| format!("{} -> {} ({})", t.from, t.to, t.reason)),
        last_transition_epoch: io
            .last_transition_wall
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64()),
        trackers: inst
            .spec
            .trackers
            .iter()
            .zip(&inst.trackers)
            .map(|(d, st)| crate::control::Tracker {
                kind: d.id.kind.keyword().trim_start_matches("track_").to_string(),
                name: d.id.name.clone(),
                state: st.to_string(),
                weight: d.weight,
            })
            .collect(),
        sync_group: inst.spec.sync_group.clone(),
        demoted: inst.demoted.clone(),
        source: SOURCE_VRRPD.to_string(),
        stats: Stats {
            advert_rcvd: c.advert_rcvd + rx.rcvd_then_rejected,
            advert_sent: c.advert_sent,
            become_master: c.become_master,
            release_master: c.release_master,
            packet_len_err: rx.packet_len_err,
            advert_interval_err: rx.advert_interval_err,
            ip_ttl_err: rx.ip_ttl_err,
            invalid_type_rcvd: rx.invalid_type_rcvd,
            addr_list_err: rx.addr_list_err,
            invalid_authtype: rx.invalid_authtype,
            authtype_mismatch: rx.authtype_mismatch,
            auth_failure: rx.auth_failure,
            pri_zero_rcvd: c.pri_zero_rcvd,
            pri_zero_sent: c.pri_zero_sent,
            vers_err: rx.vers_err,
            chk_err: rx.chk_err,
            late_advert_rcvd: rx.late_advert_rcvd,
            // Kept by the notifier; the daemon fills it in.
            notify_failures: 0,
        },
    }
}
