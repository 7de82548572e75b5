//! One running VRRP instance: its state machine plus everything the daemon resolved for it on
//! this host (interface, source address, group or peers, VIPs and routes, authentication) and
//! the receive-path counters. Building one from the config model is where a config that cannot
//! run here (no VRID, no such interface, no address to send from) is refused, with its span.

use std::net::{IpAddr, Ipv4Addr};
use std::time::SystemTime;

use crate::config::model::{Authentication, GlobalDefs, Span, UnicastPeer, VrrpInstance};
use crate::control::snapshot::{InstanceSnapshot, Stats, SOURCE_VRRPD};
use crate::fsm::{self, InstanceConfig, State, Version};
use crate::wire::{self, Advert};

use super::netlink::{if_index, interface_addrs, Route, Vip};
use super::receive::{Policy, RxCounters};
use super::socket::Family;

/// Why an instance of the config cannot run on this host.
#[derive(Debug, thiserror::Error)]
#[error("{}:{}:{}: vrrp_instance {name}: {reason}", span.file.display(), span.line, span.column)]
pub struct InstanceError {
    pub name: String,
    pub span: Span,
    pub reason: String,
}

/// Everything about one instance the event loop needs.
pub struct InstanceRt {
    pub fsm: fsm::Instance,
    pub name: String,
    pub ifname: String,
    pub ifindex: u32,
    pub family: Family,
    /// Index of the shared socket of (interface, family) in the daemon's socket list.
    pub socket: usize,
    /// Source address of our adverts (unicast_src_ip, mcast_src_ip or the interface's).
    pub src: IpAddr,
    /// The group we send to and listen on, for multicast instances.
    pub group: Option<IpAddr>,
    pub peers: Vec<UnicastPeer>,
    pub unicast_ttl: u8,
    /// The addresses advertised (virtual_ipaddress), in order.
    pub advertised: Vec<IpAddr>,
    /// What is added on becoming master: virtual_ipaddress then virtual_ipaddress_excluded.
    pub vips: Vec<Vip>,
    pub routes: Vec<Route>,
    pub auth_type: u8,
    pub auth_pass: Vec<u8>,
    pub skip_check_adv_addr: bool,
    pub check_unicast_src: bool,
    pub rx: RxCounters,
    /// Whether our VIPs are on the system now (we added them and have not removed them).
    pub vips_set: bool,
    pub last_transition_wall: Option<SystemTime>,
    /// The last send error was logged; the next success is logged too.
    pub send_failing: bool,
}

impl InstanceRt {
    /// Resolve `model` against this host. `socket_of` maps (interface, family) to the index of
    /// the shared socket, opening it if needed.
    pub fn build(
        model: &VrrpInstance,
        global: &GlobalDefs,
        socket_of: &mut dyn FnMut(&str, u32, Family) -> Result<usize, String>,
    ) -> Result<InstanceRt, InstanceError> {
        let fail = |reason: String| InstanceError {
            name: model.name.clone(),
            span: model.span.clone(),
            reason,
        };
        if model.virtual_router_id.is_none() {
            return Err(fail("virtual_router_id is not set".into()));
        }
        if matches!(model.authentication, Some(Authentication::Ah(_))) {
            return Err(fail(
                "auth_type AH is not supported by vrrpd (use PASS, or VRRPv3 without auth)".into(),
            ));
        }
        let ifname = model
            .interface
            .clone()
            .ok_or_else(|| fail("no interface given".into()))?;
        let ifindex = if_index(&ifname).map_err(|e| fail(e.to_string()))?;
        let family = instance_family(model);
        if model.use_vmac.is_some() {
            tracing::warn!(
                "{}: use_vmac is not supported yet; running on {ifname} with its own MAC",
                model.name
            );
        }

        let advertised: Vec<IpAddr> = model
            .virtual_ipaddress
            .iter()
            .map(|v| v.addr)
            .filter(|a| a.is_ipv6() == (family == Family::V6))
            .take(255)
            .collect();
        let src = match model.unicast_src_ip.or(model.mcast_src_ip) {
            Some(a) => a,
            None => primary_address(&ifname, family, &advertised).ok_or_else(|| {
                fail(format!(
                    "interface {ifname} has no {} address to send adverts from",
                    match family {
                        Family::V4 => "IPv4",
                        Family::V6 => "IPv6 link-local",
                    }
                ))
            })?,
        };
        if src.is_ipv6() != (family == Family::V6) {
            return Err(fail(format!(
                "source address {src} is not of the instance's address family"
            )));
        }
        let group = (!model.is_unicast()).then(|| {
            model.mcast_dst_ip.unwrap_or(match family {
                Family::V4 => IpAddr::V4(global.vrrp_mcast_group4),
                Family::V6 => IpAddr::V6(global.vrrp_mcast_group6),
            })
        });
        if let Some(g) = group {
            if !g.is_multicast() || g.is_ipv6() != (family == Family::V6) {
                return Err(fail(format!(
                    "{g} is not a multicast group of the instance's family"
                )));
            }
        }
        if let Some(p) = model
            .unicast_peer
            .iter()
            .find(|p| p.addr.is_ipv6() != (family == Family::V6))
        {
            return Err(fail(format!(
                "unicast_peer {} is not of the instance's address family",
                p.addr
            )));
        }

        let mut vips = Vec::new();
        for v in model
            .virtual_ipaddress
            .iter()
            .chain(model.virtual_ipaddress_excluded.iter())
        {
            vips.push(Vip::resolve(v, &ifname).map_err(|e| fail(e.to_string()))?);
        }
        let mut routes = Vec::new();
        for r in &model.virtual_routes {
            routes.push(Route::resolve(r, &ifname).map_err(|e| fail(e.to_string()))?);
        }
        let (auth_type, auth_pass) = match &model.authentication {
            Some(Authentication::Pass(p)) => (wire::vrrp::AUTH_SIMPLE, p.clone()),
            _ => (wire::vrrp::AUTH_NONE, Vec::new()),
        };
        let cfg =
            InstanceConfig::from_model(model, global, src).map_err(|e| fail(e.to_string()))?;
        let socket = socket_of(&ifname, ifindex, family).map_err(fail)?;
        let peer_ttl_limits = model
            .unicast_peer
            .iter()
            .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some());
        Ok(InstanceRt {
            fsm: fsm::Instance::new(cfg),
            name: model.name.clone(),
            ifname,
            ifindex,
            family,
            socket,
            src,
            group,
            peers: model.unicast_peer.clone(),
            unicast_ttl: model.unicast_ttl.unwrap_or(255),
            advertised,
            vips,
            routes,
            auth_type,
            auth_pass,
            skip_check_adv_addr: model
                .skip_check_adv_addr
                .unwrap_or(global.vrrp_skip_check_adv_addr),
            check_unicast_src: peer_ttl_limits
                || model
                    .check_unicast_src
                    .unwrap_or(global.vrrp_check_unicast_src),
            rx: RxCounters::default(),
            vips_set: false,
            last_transition_wall: None,
            send_failing: false,
        })
    }

    pub fn vrid(&self) -> u8 {
        self.fsm.config().vrid
    }

    pub fn is_unicast(&self) -> bool {
        self.group.is_none()
    }

    /// Where adverts go: the group, or every peer.
    pub fn targets(&self) -> Vec<IpAddr> {
        match self.group {
            Some(g) => vec![g],
            None => self.peers.iter().map(|p| p.addr).collect(),
        }
    }

    /// The advert this instance sends with `priority`.
    pub fn advert(&self, priority: u8) -> Advert {
        let cfg = self.fsm.config();
        match cfg.version {
            Version::V2 => Advert::v2(
                cfg.vrid,
                priority,
                (cfg.advert_int_cs / 100) as u8,
                self.auth_type,
                &self.auth_pass,
                self.advertised.clone(),
            ),
            Version::V3 => Advert::v3(
                cfg.vrid,
                priority,
                cfg.advert_int_cs,
                self.advertised.clone(),
            ),
        }
    }

    /// What the receive checks need from this instance, given the advert's source.
    pub fn policy(&self, src: IpAddr) -> Policy<'_> {
        let cfg = self.fsm.config();
        // keepalived: always in MASTER; in BACKUP skipped only with skip_check_adv_addr for
        // the master already followed.
        let check_addresses = match self.fsm.state() {
            State::Backup => !(self.skip_check_adv_addr && self.fsm.master_addr() == Some(src)),
            _ => true,
        };
        Policy {
            version: cfg.version.number(),
            unicast: self.is_unicast(),
            auth_type: self.auth_type,
            auth_pass: &self.auth_pass,
            advert_int_cs: cfg.advert_int_cs,
            vips: &self.advertised,
            check_addresses,
            peers: &self.peers,
            check_unicast_src: self.check_unicast_src,
        }
    }

    /// Whether an advert from `src` belongs to this instance when several share a VRID on one
    /// socket (keepalived matches unicast instances by their peers).
    pub fn claims(&self, src: IpAddr, dst: IpAddr) -> bool {
        if self.is_unicast() {
            !dst.is_multicast()
                && (self.peers.is_empty() || self.peers.iter().any(|p| p.addr == src))
        } else {
            Some(dst) == self.group
        }
    }

    /// The status and counters a control server or a dump file shows.
    pub fn snapshot(&self) -> InstanceSnapshot {
        let cfg = self.fsm.config();
        let c = self.fsm.counters();
        let since = self.last_transition_wall.and_then(|t| t.elapsed().ok());
        InstanceSnapshot {
            name: self.name.clone(),
            interface: self.ifname.clone(),
            vrid: cfg.vrid,
            version: cfg.version.number(),
            state: self.fsm.state().as_str().to_string(),
            priority: cfg.priority,
            base_priority: self.fsm.base_priority(),
            effective_priority: self.fsm.effective_priority(),
            master_ip: self.fsm.master_addr().map(|a| a.to_string()),
            master_priority: self.fsm.master_priority(),
            vips: self.vips.iter().map(|v| v.to_string()).collect(),
            since_ms: since.map(|d| d.as_millis() as u64),
            last_transition: self
                .fsm
                .last_transition()
                .map(|t| format!("{} -> {} ({})", t.from, t.to, t.reason)),
            last_transition_epoch: self
                .last_transition_wall
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64()),
            // The daemon runs no trackers or sync groups yet; when it does, they go here.
            trackers: Vec::new(),
            sync_group: None,
            demoted: None,
            source: SOURCE_VRRPD.to_string(),
            stats: Stats {
                advert_rcvd: c.advert_rcvd + self.rx.rcvd_then_rejected,
                advert_sent: c.advert_sent,
                become_master: c.become_master,
                release_master: c.release_master,
                packet_len_err: self.rx.packet_len_err,
                advert_interval_err: self.rx.advert_interval_err,
                ip_ttl_err: self.rx.ip_ttl_err,
                invalid_type_rcvd: self.rx.invalid_type_rcvd,
                addr_list_err: self.rx.addr_list_err,
                invalid_authtype: self.rx.invalid_authtype,
                authtype_mismatch: self.rx.authtype_mismatch,
                auth_failure: self.rx.auth_failure,
                pri_zero_rcvd: c.pri_zero_rcvd,
                pri_zero_sent: c.pri_zero_sent,
                vers_err: self.rx.vers_err,
                chk_err: self.rx.chk_err,
            },
        }
    }
}

/// The family of an instance: its first VIP's, else its addresses', else IPv4.
fn instance_family(m: &VrrpInstance) -> Family {
    let v6 = m
        .virtual_ipaddress
        .first()
        .map(|v| v.addr)
        .or(m.unicast_src_ip)
        .or(m.mcast_src_ip)
        .or(m.unicast_peer.first().map(|p| p.addr))
        .is_some_and(|a| a.is_ipv6());
    if v6 {
        Family::V6
    } else {
        Family::V4
    }
}

/// keepalived's default source: the interface's first IPv4 address that is not one of our
/// VIPs, or its IPv6 link-local address.
fn primary_address(ifname: &str, family: Family, vips: &[IpAddr]) -> Option<IpAddr> {
    let addrs = interface_addrs(ifname);
    match family {
        Family::V4 => addrs.into_iter().find(|a| {
            matches!(a, IpAddr::V4(v4) if *v4 != Ipv4Addr::UNSPECIFIED) && !vips.contains(a)
        }),
        Family::V6 => addrs.into_iter().find(|a| match a {
            IpAddr::V6(v6) => v6.is_unicast_link_local(),
            IpAddr::V4(_) => false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn model(text: &str) -> (VrrpInstance, GlobalDefs) {
        let l = load_str("test.conf", text);
        (l.config.instances[0].clone(), l.config.global)
    }

    fn build(text: &str) -> Result<InstanceRt, InstanceError> {
        let (m, g) = model(text);
        InstanceRt::build(&m, &g, &mut |_, _, _| Ok(0))
    }

    #[test]
    fn missing_vrid_is_refused_with_its_span() {
        let err = build("vrrp_instance VI_1 {\n  interface lo\n  priority 100\n}\n")
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(text.starts_with("test.conf:1:"), "{text}");
        assert!(text.contains("virtual_router_id"), "{text}");
    }

    #[test]
    fn absent_interface_is_refused() {
        let err = build(
            "vrrp_instance VI_1 {\n interface nosuchif0\n virtual_router_id 5\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n",
        )
        .err()
        .expect("refused");
        assert!(err.to_string().contains("nosuchif0"), "{err}");
    }

    #[test]
    fn loopback_instance_builds_v3_advert_with_its_vips() {
        // lo always exists and has 127.0.0.1; a unicast source avoids depending on it.
        let rt = build(
            "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 7\n version 3\n priority 120\n advert_int 0.5\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n",
        )
        .expect("builds");
        assert!(rt.is_unicast());
        assert_eq!(rt.targets(), vec!["192.0.2.2".parse::<IpAddr>().unwrap()]);
        let a = rt.advert(120);
        assert_eq!(
            (a.version, a.vrid, a.priority, a.advert_int_cs),
            (3, 7, 120, 50)
        );
        assert_eq!(a.addresses, vec!["192.0.2.100".parse::<IpAddr>().unwrap()]);
        assert_eq!(rt.snapshot().state, "INIT");
    }

    #[test]
    fn v2_pass_advert_carries_the_password() {
        let rt = build(
            "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 7\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n }\n authentication {\n  auth_type PASS\n  auth_pass secret12\n }\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n",
        )
        .expect("builds");
        let a = rt.advert(100);
        assert_eq!(a.version, 2);
        assert_eq!(a.auth_type, 1);
        assert_eq!(a.auth_password(), b"secret12");
    }
}
