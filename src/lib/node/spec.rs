//! Building one instance from the config model against a view of the host: everything the
//! node needs to run it (identity, interface, source address, group or peers, the addresses it
//! advertises and adds, authentication, receive-check options, the state machine's config).
//!
//! Pure: the host is a `HostView` (the daemon answers from getifaddrs/rtnetlink, the
//! simulator from its node's configured address), so `vrrpd -t`, the daemon and the simulator
//! refuse and accept exactly the same instances with the same words.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, LazyLock};

use crate::config::model::{
    Authentication, GlobalDefs, Notify, Span, UnicastPeer, VirtualIp, VirtualRoute, VmacMac,
    VrrpInstance,
};
use crate::fsm::{InstanceConfig, Version};
use crate::wire::{self, Advert};

use super::track::{self, TrackerDef};

/// The address family of an instance (and of the raw socket it uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(addr: IpAddr) -> Family {
        if addr.is_ipv6() {
            Family::V6
        } else {
            Family::V4
        }
    }
}

/// What keepalived's `vrrp_exist` compares to decide that an instance of a reloaded config is
/// the same instance: interface, family, VRID, unicast (with its source address) or multicast
/// (with its group). Reload keeps state for equal keys; two instances of one config must differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceKey {
    pub ifname: String,
    pub family: Family,
    pub vrid: u8,
    /// Unicast instances: their source address (None while it is not known yet).
    pub unicast_src: Option<IpAddr>,
    /// Multicast instances: their group.
    pub group: Option<IpAddr>,
}

/// One interface as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfaceInfo {
    pub index: u32,
    /// Operationally up (IFF_UP and IFF_RUNNING).
    pub up: bool,
    /// Its addresses, primary first.
    pub addrs: Vec<IpAddr>,
}

/// The node's view of the host's interfaces.
pub trait HostView {
    /// None when there is no such interface.
    fn interface(&self, name: &str) -> Option<IfaceInfo>;
    /// The kind of an existing interface as the kernel names it ("macvlan", "bridge"...),
    /// None for a plain device or when unknown: a VMAC name may only be taken by a macvlan.
    fn link_kind(&self, _name: &str) -> Option<String> {
        None
    }
}

/// `use_vmac`: the macvlan (private mode) the instance runs on, with the virtual MAC of
/// RFC 5798 §7.3, on top of the configured interface (`InstanceSpec::ifname`, whose link
/// state still drives FAULT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmacSpec {
    pub ifname: String,
    pub mac: [u8; 6],
    /// `vmac_xmit_base`: adverts are sent and read on the base interface; only the VIPs
    /// live on the macvlan.
    pub xmit_base: bool,
    /// The name was given (`use_vmac NAME`), not made from vmac_prefix.
    pub named: bool,
}

/// `use_vmac_addr`: a macvlan (private mode) for the VIPs of one interface and family that the
/// instance's own interface (or VMAC) does not carry: VIPs with another `dev`, or of the other
/// address family. keepalived 2.2.7 (vrrp.c vrrp_complete_instance), measured: a VIP `dev eth1`
/// goes on `vrrp.51@eth1` (00:00:5e:00:01:33), an IPv6 eVIP of an IPv4 instance on
/// `vrrp6.51@eth0` (00:00:5e:00:02:33, the base's link-local, deprecated), each with the
/// sysctls of a VMAC of its family; the adverts stay where they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrVmac {
    pub ifname: String,
    /// The interface it sits on: the VIP's `dev`, else the instance's interface.
    pub base: String,
    pub mac: [u8; 6],
    pub family: Family,
}

/// Why an instance of the config cannot run on this host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}:{}: vrrp_instance {name}: {reason}", span.file.display(), span.line, span.column)]
pub struct BuildError {
    pub name: String,
    pub span: Span,
    pub reason: String,
}

/// Everything about one instance the node needs to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    pub name: String,
    pub span: Span,
    pub ifname: String,
    pub family: Family,
    /// The state machine's parameters; its `primary_addr` is `src` (unspecified until known).
    pub fsm: InstanceConfig,
    /// unicast_src_ip / mcast_src_ip as configured: then the source never follows the
    /// interface's addresses.
    pub configured_src: Option<IpAddr>,
    /// Source address of our adverts; None while the interface has no usable address (the
    /// instance then waits in FAULT, as keepalived does).
    pub src: Option<IpAddr>,
    /// The group we send to and listen on, for multicast instances.
    pub group: Option<IpAddr>,
    pub peers: Vec<UnicastPeer>,
    pub unicast_ttl: u8,
    /// The addresses advertised (virtual_ipaddress of the instance's family, at most 255).
    pub advertised: Vec<IpAddr>,
    /// What is added on becoming master: virtual_ipaddress then virtual_ipaddress_excluded.
    pub vips: Vec<VirtualIp>,
    pub routes: Vec<VirtualRoute>,
    pub auth_type: u8,
    pub auth_pass: Vec<u8>,
    pub skip_check_adv_addr: bool,
    pub check_unicast_src: bool,
    /// keepalived's `dont_track_primary`: the interface's link state does not cause FAULT.
    pub dont_track_primary: bool,
    /// `unicast_fault_no_peer` without any unicast_peer: FAULT for as long as this config
    /// runs (keepalived's num_config_faults), instead of multicast.
    pub no_peer_fault: bool,
    /// The trackers it follows (its own and its sync group's), resolved as keepalived does.
    pub trackers: Vec<TrackerDef>,
    /// The vrrp_sync_group it is a member of.
    pub sync_group: Option<String>,
    /// notify_* scripts (run by the driver on `Effect::Notify`). Shared, and one shared empty
    /// set for the many instances that have none: inline it was 680 of an instance's 1,736
    /// bytes, 0.7 MB of RSS for 1,000 instances.
    pub notify: Arc<Notify>,
    /// smtp_alert, resolved (instance, then global smtp_alert_vrrp, then smtp_alert).
    pub smtp_alert: bool,
    /// notify_priority_changes (instance, then sync group, then global
    /// vrrp_notify_priority_changes): FIFO lines for priority changes.
    pub notify_priority_changes: bool,
    /// `use_vmac`: the macvlan it runs on.
    pub vmac: Option<VmacSpec>,
    /// `use_vmac_addr`: the macvlans of its VIPs on other interfaces or of the other family.
    pub addr_vmacs: Vec<AddrVmac>,
}

/// `notify`'s scripts as an `InstanceSpec` holds them: the one shared empty set when there are
/// none.
fn shared_notify(notify: &Notify) -> Arc<Notify> {
    static NONE: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::default()));
    if *notify == Notify::default() {
        Arc::clone(&NONE)
    } else {
        Arc::new(notify.clone())
    }
}

impl InstanceSpec {
    /// A spec made by hand from a state-machine config (tests, the simulator): on `eth0`, the
    /// family of `fsm.primary_addr`, multicast to the default group, advertising `vips`.
    pub fn new(fsm: InstanceConfig, vips: Vec<IpAddr>) -> InstanceSpec {
        let family = Family::of(fsm.primary_addr);
        let group = match family {
            Family::V4 => IpAddr::V4(wire::vrrp::MCAST_V4),
            Family::V6 => IpAddr::V6(wire::vrrp::MCAST_V6),
        };
        let advertised: Vec<IpAddr> = vips
            .iter()
            .copied()
            .filter(|a| Family::of(*a) == family)
            .take(255)
            .collect();
        InstanceSpec {
            name: fsm.name.clone(),
            span: Span::default(),
            ifname: "eth0".into(),
            family,
            configured_src: Some(fsm.primary_addr),
            src: Some(fsm.primary_addr),
            group: Some(group),
            peers: Vec::new(),
            unicast_ttl: 255,
            vips: vips.iter().map(|&a| host_vip(a)).collect(),
            advertised,
            routes: Vec::new(),
            auth_type: wire::vrrp::AUTH_NONE,
            auth_pass: Vec::new(),
            skip_check_adv_addr: false,
            check_unicast_src: false,
            dont_track_primary: false,
            no_peer_fault: false,
            trackers: Vec::new(),
            sync_group: None,
            notify: shared_notify(&Notify::default()),
            smtp_alert: false,
            notify_priority_changes: false,
            vmac: None,
            addr_vmacs: Vec::new(),
            fsm,
        }
    }

    /// Send to these unicast peers instead of the group.
    pub fn with_unicast_peers(mut self, peers: &[IpAddr]) -> InstanceSpec {
        self.peers = peers
            .iter()
            .map(|&addr| UnicastPeer {
                addr,
                min_ttl: None,
                max_ttl: None,
            })
            .collect();
        if !self.peers.is_empty() {
            self.group = None;
        }
        self
    }

    /// Resolve `model` against `host`. An interface that exists but has no usable address
    /// yet is not an error: the instance is built without a source and waits in FAULT.
    pub fn build(
        model: &VrrpInstance,
        global: &GlobalDefs,
        host: &dyn HostView,
    ) -> Result<InstanceSpec, BuildError> {
        let fail = |reason: String| BuildError {
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
        let iface = host
            .interface(&ifname)
            .ok_or_else(|| fail(format!("interface {ifname} does not exist")))?;
        let family = instance_family(model);

        let mut advertised: Vec<IpAddr> = model
            .virtual_ipaddress
            .iter()
            .map(|v| v.addr)
            .filter(|a| Family::of(*a) == family)
            .take(255)
            .collect();
        // A filtered collect starts at 4 addresses; the spec lives as long as the daemon.
        advertised.shrink_to_fit();
        let configured_src = model.unicast_src_ip.or(model.mcast_src_ip);
        if let Some(src) = configured_src {
            if Family::of(src) != family {
                return Err(fail(format!(
                    "source address {src} is not of the instance's address family"
                )));
            }
        }
        let src = configured_src.or_else(|| primary_address(&iface, family, &advertised));
        let group = (!model.is_unicast()).then(|| {
            model.mcast_dst_ip.unwrap_or(match family {
                Family::V4 => IpAddr::V4(global.vrrp_mcast_group4),
                Family::V6 => IpAddr::V6(global.vrrp_mcast_group6),
            })
        });
        if let Some(g) = group {
            if !g.is_multicast() || Family::of(g) != family {
                return Err(fail(format!(
                    "{g} is not a multicast group of the instance's family"
                )));
            }
        }
        if let Some(p) = model
            .unicast_peer
            .iter()
            .find(|p| Family::of(p.addr) != family)
        {
            return Err(fail(format!(
                "unicast_peer {} is not of the instance's address family",
                p.addr
            )));
        }
        let vips: Vec<VirtualIp> = model
            .virtual_ipaddress
            .iter()
            .chain(model.virtual_ipaddress_excluded.iter())
            .cloned()
            .collect();
        for v in &vips {
            if let Some(dev) = v.dev.as_deref() {
                if host.interface(dev).is_none() {
                    return Err(fail(format!(
                        "virtual_ipaddress {}: interface {dev} does not exist",
                        v.addr
                    )));
                }
            }
        }
        let (auth_type, auth_pass) = match &model.authentication {
            Some(Authentication::Pass(p)) => (wire::vrrp::AUTH_SIMPLE, p.clone()),
            _ => (wire::vrrp::AUTH_NONE, Vec::new()),
        };
        let primary = src.unwrap_or(match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        });
        let fsm =
            InstanceConfig::from_model(model, global, primary).map_err(|e| fail(e.to_string()))?;
        let peer_ttl_limits = model
            .unicast_peer
            .iter()
            .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some());
        Ok(InstanceSpec {
            name: model.name.clone(),
            span: model.span.clone(),
            ifname,
            family,
            fsm,
            configured_src,
            src,
            group,
            peers: model.unicast_peer.clone(),
            unicast_ttl: model.unicast_ttl.unwrap_or(255),
            advertised,
            vips,
            routes: model.virtual_routes.clone(),
            auth_type,
            auth_pass,
            skip_check_adv_addr: model
                .skip_check_adv_addr
                .unwrap_or(global.vrrp_skip_check_adv_addr),
            check_unicast_src: peer_ttl_limits
                || model
                    .check_unicast_src
                    .unwrap_or(global.vrrp_check_unicast_src),
            dont_track_primary: model.dont_track_primary,
            no_peer_fault: model.unicast_fault_no_peer && model.unicast_peer.is_empty(),
            trackers: track::resolve(&Default::default(), model, None),
            sync_group: None,
            notify: shared_notify(&model.notify),
            // keepalived (vrrp.c): the instance's, else global smtp_alert_vrrp, else
            // smtp_alert, else off; a sync group's smtp_alert is the group's own mail.
            smtp_alert: model
                .smtp_alert
                .or(global.smtp_alert_vrrp)
                .or(global.smtp_alert)
                .unwrap_or(false),
            notify_priority_changes: model
                .notify_priority_changes
                .unwrap_or(global.vrrp_notify_priority_changes),
            vmac: vmac_spec(model, global, family),
            addr_vmacs: addr_vmacs(model, family),
        })
    }

    /// The interface adverts are sent from and read on: the VMAC (keepalived binds its
    /// socket to it: a peer's advert from the same virtual MAC is delivered to our macvlan,
    /// never to the base), or the configured interface without use_vmac or with
    /// vmac_xmit_base.
    pub fn advert_ifname(&self) -> &str {
        match &self.vmac {
            Some(v) if !v.xmit_base => &v.ifname,
            _ => &self.ifname,
        }
    }

    /// The interface a VIP is added to: its `dev`, except that with use_vmac a VIP of the
    /// instance's family on the configured interface (no dev, or that dev) goes on the VMAC.
    pub fn vip_ifname<'a>(&'a self, v: &'a VirtualIp) -> &'a str {
        let on_base = v.dev.as_deref().is_none_or(|d| d == self.ifname);
        let base = v.dev.as_deref().unwrap_or(&self.ifname);
        if let Some(a) = self
            .addr_vmacs
            .iter()
            .find(|a| a.base == base && a.family == Family::of(v.addr))
        {
            return &a.ifname;
        }
        match &self.vmac {
            Some(m) if on_base && Family::of(v.addr) == self.family => &m.ifname,
            _ => v.dev.as_deref().unwrap_or(&self.ifname),
        }
    }

    pub fn key(&self) -> InstanceKey {
        InstanceKey {
            ifname: self.ifname.clone(),
            family: self.family,
            vrid: self.fsm.vrid,
            unicast_src: if self.is_unicast() { self.src } else { None },
            group: self.group,
        }
    }

    pub fn vrid(&self) -> u8 {
        self.fsm.vrid
    }

    pub fn is_unicast(&self) -> bool {
        self.group.is_none()
    }

    /// Where adverts go: the group, or every peer.
    pub fn targets(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.group.into_iter().chain(
            self.peers
                .iter()
                .filter(|_| self.group.is_none())
                .map(|p| p.addr),
        )
    }

    /// The advert this instance sends with `priority`.
    pub fn advert(&self, priority: u8) -> Advert {
        let cfg = &self.fsm;
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

    /// Whether an advert from `src` to `dst` belongs to this instance when several share a
    /// VRID on one interface (keepalived matches unicast instances by their peers).
    pub fn claims(&self, src: IpAddr, dst: IpAddr) -> bool {
        if self.is_unicast() {
            !dst.is_multicast()
                && (self.peers.is_empty() || self.peers.iter().any(|p| p.addr == src))
        } else {
            Some(dst) == self.group
        }
    }

    /// Follow the interface's addresses (unless the source is configured): the new source,
    /// when it changed.
    pub fn resolve_src(&self, iface: &IfaceInfo) -> Option<Option<IpAddr>> {
        if self.configured_src.is_some() {
            return None;
        }
        let now = primary_address(iface, self.family, &self.advertised);
        (now != self.src).then_some(now)
    }
}

/// The `use_vmac_addr` VMACs of `model`, one per (interface, family) of its VIPs that neither
/// its interface nor its own VMAC carries; unnamed until `name_vmacs`.
fn addr_vmacs(model: &VrrpInstance, family: Family) -> Vec<AddrVmac> {
    let mut out: Vec<AddrVmac> = Vec::new();
    if !model.use_vmac_addr {
        return out;
    }
    let Some(ifname) = model.interface.as_deref() else {
        return out;
    };
    let vrid = model.virtual_router_id.unwrap_or_default();
    for v in model
        .virtual_ipaddress
        .iter()
        .chain(&model.virtual_ipaddress_excluded)
    {
        let base = v.dev.as_deref().unwrap_or(ifname);
        let fam = Family::of(v.addr);
        if base == ifname && fam == family {
            continue;
        }
        if out.iter().any(|a| a.base == base && a.family == fam) {
            continue;
        }
        let mac = match model.vmac_mac {
            Some(VmacMac::Given(m)) => m,
            Some(VmacMac::WithVrid([a, b, c, d, e])) => [a, b, c, d, e, vrid],
            None => wire::ethernet::virtual_mac(vrid, fam == Family::V6),
        };
        out.push(AddrVmac {
            ifname: String::new(),
            base: base.to_string(),
            mac,
            family: fam,
        });
    }
    out
}

/// The VMAC of `model` (its name before clashes between instances are resolved).
fn vmac_spec(model: &VrrpInstance, global: &GlobalDefs, family: Family) -> Option<VmacSpec> {
    let ifname = model.vmac_ifname(global)?;
    let vrid = model.virtual_router_id.unwrap_or_default();
    let mac = match model.vmac_mac {
        Some(VmacMac::Given(m)) => m,
        Some(VmacMac::WithVrid([a, b, c, d, e])) => [a, b, c, d, e, vrid],
        None => wire::ethernet::virtual_mac(vrid, family == Family::V6),
    };
    Some(VmacSpec {
        ifname,
        mac,
        xmit_base: model.vmac_xmit_base,
        named: matches!(model.use_vmac, Some(Some(_))),
    })
}

/// Give each VMAC a name no other instance uses and no other kind of interface has, as
/// keepalived's create_vmac_name does: PREFIX.VRID, then PREFIX1.VRID, PREFIX2.VRID ... (IPv6
/// tries PREFIX6.VRID first). A named VMAC whose name is taken by another kind of interface
/// is refused (keepalived would quietly use a generated name instead).
fn name_vmacs(
    config: &crate::config::model::Config,
    specs: &mut [InstanceSpec],
    host: &dyn HostView,
) -> Vec<(usize, String)> {
    let prefix = config
        .global
        .vmac_prefix
        .as_deref()
        .unwrap_or(crate::config::model::DEFAULT_VMAC_PREFIX);
    let addr_prefix = config.global.vmac_addr_prefix.as_deref().unwrap_or(prefix);
    let foreign = |name: &str| host.link_kind(name).is_some_and(|k| k != "macvlan");
    let mut taken: Vec<String> = Vec::new();
    let mut refused = Vec::new();
    let free_name = |prefix: &str, family: Family, vrid: u8, taken: &[String]| {
        let mut alternatives = match family {
            Family::V6 => vec![None, Some(6)],
            Family::V4 => vec![None],
        };
        alternatives.extend(
            (1..100u32)
                .filter(|&n| n != 6 || family == Family::V4)
                .map(Some),
        );
        alternatives
            .into_iter()
            .map(|n| crate::config::model::vmac_ifname(prefix, n, vrid))
            .find(|n| !taken.contains(n) && !foreign(n))
    };
    for (i, s) in specs.iter_mut().enumerate() {
        let family = s.family;
        let vrid = s.fsm.vrid;
        // The instance's own VMAC is named first, then those of its addresses (keepalived's
        // order in vrrp_complete_instance), from vmac_addr_prefix, else vmac_prefix.
        for a in s.addr_vmacs.iter_mut() {
            a.ifname.clear();
        }
        let own_first = s.vmac.is_some();
        if !own_first {
            name_addr_vmacs(
                s,
                addr_prefix,
                vrid,
                &mut taken,
                &free_name,
                i,
                &mut refused,
            );
            continue;
        }
        let Some(v) = s.vmac.as_mut() else { continue };
        if v.named {
            if foreign(&v.ifname) {
                refused.push((
                    i,
                    format!(
                        "use_vmac {}: an interface of that name exists and is not a macvlan",
                        v.ifname
                    ),
                ));
                continue;
            }
            if !taken.contains(&v.ifname) {
                taken.push(v.ifname.clone());
                name_addr_vmacs(
                    s,
                    addr_prefix,
                    vrid,
                    &mut taken,
                    &free_name,
                    i,
                    &mut refused,
                );
                continue;
            }
        }
        match free_name(prefix, family, vrid, &taken) {
            Some(n) => {
                v.ifname = n.clone();
                taken.push(n);
            }
            None => {
                refused.push((i, "no free name for its VMAC interface".to_string()));
                continue;
            }
        }
        name_addr_vmacs(
            s,
            addr_prefix,
            vrid,
            &mut taken,
            &free_name,
            i,
            &mut refused,
        );
    }
    refused
}

/// `name_vmacs`' search for a free VMAC name: (prefix, family, VRID, names taken).
type FreeName<'a> = dyn Fn(&str, Family, u8, &[String]) -> Option<String> + 'a;

/// Name the `use_vmac_addr` VMACs of `s` (see `name_vmacs`).
fn name_addr_vmacs(
    s: &mut InstanceSpec,
    prefix: &str,
    vrid: u8,
    taken: &mut Vec<String>,
    free_name: &FreeName<'_>,
    i: usize,
    refused: &mut Vec<(usize, String)>,
) {
    for a in s.addr_vmacs.iter_mut() {
        match free_name(prefix, a.family, vrid, taken) {
            Some(n) => {
                a.ifname = n.clone();
                taken.push(n);
            }
            None => {
                refused.push((i, "no free name for a use_vmac_addr interface".to_string()));
                return;
            }
        }
    }
}

/// A VIP given only by its address (hand-built specs): host prefix, the instance's interface.
fn host_vip(addr: IpAddr) -> VirtualIp {
    VirtualIp {
        addr,
        prefix_len: if addr.is_ipv6() { 128 } else { 32 },
        brd: None,
        dev: None,
        scope: None,
        label: None,
        no_track: false,
        opts: Default::default(),
        span: Span::default(),
    }
}

/// The family of an instance: its first VIP's, else its addresses', else IPv4.
fn instance_family(m: &VrrpInstance) -> Family {
    let first = m
        .virtual_ipaddress
        .first()
        .map(|v| v.addr)
        .or(m.unicast_src_ip)
        .or(m.mcast_src_ip)
        .or(m.unicast_peer.first().map(|p| p.addr));
    first.map_or(Family::V4, Family::of)
}

/// keepalived's default source: the interface's first IPv4 address that is not one of our
/// VIPs, or its IPv6 link-local address.
fn primary_address(iface: &IfaceInfo, family: Family, vips: &[IpAddr]) -> Option<IpAddr> {
    iface.addrs.iter().copied().find(|a| match (family, a) {
        (Family::V4, IpAddr::V4(v4)) => !v4.is_unspecified() && !vips.contains(a),
        // A link-local VIP is not the router's own address either: IPv6 lists the newest
        // address first, and adverts from the VIP would meet the no_accept drop rules.
        (Family::V6, IpAddr::V6(v6)) => v6.is_unicast_link_local() && !vips.contains(a),
        _ => false,
    })
}

/// Every instance of `config` built against `host`: the runnable ones and the refusals.
/// Trackers are resolved against the whole config and sync groups are applied: a member
/// follows its group's trackers, starts as keepalived starts the group, and a group with a
/// member that cannot run does not run at all (never half-started).
pub fn build_all(
    config: &crate::config::model::Config,
    host: &dyn HostView,
) -> (Vec<InstanceSpec>, Vec<BuildError>) {
    let mut specs = Vec::new();
    let mut refused = Vec::new();
    for m in &config.instances {
        match InstanceSpec::build(m, &config.global, host) {
            Ok(mut s) => {
                let group = config.sync_group_of(&m.name);
                s.trackers = track::resolve(config, m, group);
                if let Some(g) = group {
                    s.sync_group = Some(g.name.clone());
                    s.fsm.sync_group_starts_backup = group_starts_backup(config, g);
                    s.notify_priority_changes = m
                        .notify_priority_changes
                        .or(g.notify_priority_changes)
                        .unwrap_or(config.global.vrrp_notify_priority_changes);
                }
                if let Some(other) = specs.iter().find(|o: &&InstanceSpec| o.key() == s.key()) {
                    refused.push(BuildError {
                        name: s.name.clone(),
                        span: s.span.clone(),
                        reason: format!(
                            "same interface, family and virtual_router_id as vrrp_instance {} \
                             ({}:{}); only the first runs",
                            other.name, other.span.line, other.span.column
                        ),
                    });
                } else {
                    specs.push(s)
                }
            }
            Err(e) => refused.push(e),
        }
    }
    for (i, reason) in name_vmacs(config, &mut specs, host).into_iter().rev() {
        let s = specs.remove(i);
        refused.push(BuildError {
            name: s.name,
            span: s.span,
            reason,
        });
    }
    refuse_half_groups(config, &mut specs, &mut refused);
    (specs, refused)
}

/// keepalived starts a sync group in BACKUP unless every member is an address owner with
/// `state MASTER` (vrrp_sync.c).
fn group_starts_backup(
    config: &crate::config::model::Config,
    g: &crate::config::model::SyncGroup,
) -> bool {
    g.group.iter().any(|name| {
        config
            .instances
            .iter()
            .find(|i| &i.name == name)
            .is_none_or(|i| {
                !(i.priority == 255
                    && i.initial_state() == crate::config::model::InitialState::Master)
            })
    })
}

/// A sync group with a refused member runs none of its members: the others would otherwise
/// become MASTER alone, which is what the group exists to prevent. The daemon calls it again
/// after refusing instances it cannot open sockets for.
pub fn refuse_half_groups(
    config: &crate::config::model::Config,
    specs: &mut Vec<InstanceSpec>,
    refused: &mut Vec<BuildError>,
) {
    let group_of = |name: &str| config.sync_group_of(name).map(|g| g.name.clone());
    loop {
        let broken = |g: &String| {
            refused
                .iter()
                .find(|r| group_of(&r.name).as_ref() == Some(g))
                .map(|r| r.name.clone())
        };
        let victim = specs
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.sync_group.as_ref().and_then(broken).map(|m| (i, m)));
        let Some((i, member)) = victim else { break };
        let s = specs.remove(i);
        refused.push(BuildError {
            name: s.name.clone(),
            span: s.span.clone(),
            reason: format!(
                "vrrp_sync_group {}: member vrrp_instance {member} cannot run, so the group does \
                 not start (a sync group never runs half-started)",
                s.sync_group.as_deref().unwrap_or_default()
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use std::collections::HashMap;

    /// A host made of named interfaces.
    pub(crate) struct FakeHost(pub HashMap<String, IfaceInfo>);

    impl HostView for FakeHost {
        fn interface(&self, name: &str) -> Option<IfaceInfo> {
            self.0.get(name).cloned()
        }
    }

    fn host(addrs: &[&str]) -> FakeHost {
        let info = IfaceInfo {
            index: 2,
            up: true,
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
        };
        FakeHost(HashMap::from([("eth0".to_string(), info)]))
    }

    fn build(text: &str, h: &FakeHost) -> Result<InstanceSpec, BuildError> {
        let l = load_str("test.conf", text);
        InstanceSpec::build(&l.config.instances[0], &l.config.global, h)
    }

    const BASIC: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 120\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n";

    #[test]
    fn missing_vrid_is_refused_with_its_span() {
        let err = build(
            "vrrp_instance VI_1 {\n  interface eth0\n  priority 100\n}\n",
            &host(&["192.0.2.1"]),
        )
        .expect_err("refused");
        let text = err.to_string();
        assert!(text.starts_with("test.conf:1:"), "{text}");
        assert!(text.contains("virtual_router_id"), "{text}");
    }

    #[test]
    fn absent_interface_is_refused() {
        let err = build(&BASIC.replace("eth0", "nosuchif0"), &host(&[])).expect_err("refused");
        assert!(err.to_string().contains("nosuchif0"), "{err}");
    }

    #[test]
    fn source_is_the_first_address_that_is_not_a_vip() {
        let s = build(BASIC, &host(&["192.0.2.100", "192.0.2.1"])).expect("builds");
        assert_eq!(s.src, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(s.fsm.primary_addr, s.src.unwrap());
        assert!(!s.is_unicast());
    }

    #[test]
    fn ipv6_source_is_a_link_local_address_that_is_not_a_vip() {
        let text = "vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 7\n version 3\n priority 120\n virtual_ipaddress {\n  fe80::100/64\n  2001:db8::100/64\n }\n}\n";
        let s = build(text, &host(&["fe80::100", "2001:db8::1", "fe80::1"])).expect("builds");
        assert_eq!(s.src, Some("fe80::1".parse().unwrap()));
    }

    #[test]
    fn interface_without_address_builds_without_source() {
        let s = build(BASIC, &host(&[])).expect("builds, waits in FAULT");
        assert_eq!(s.src, None);
        let later = IfaceInfo {
            index: 2,
            up: true,
            addrs: vec!["192.0.2.9".parse().unwrap()],
        };
        assert_eq!(
            s.resolve_src(&later),
            Some(Some("192.0.2.9".parse().unwrap()))
        );
    }

    #[test]
    fn unicast_instance_builds_v3_advert_with_its_vips() {
        let s = build(
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n version 3\n priority 120\n advert_int 0.5\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n",
            &host(&[]),
        )
        .expect("builds");
        assert!(s.is_unicast());
        assert_eq!(
            s.targets().collect::<Vec<_>>(),
            vec!["192.0.2.2".parse::<IpAddr>().unwrap()]
        );
        let a = s.advert(120);
        assert_eq!(
            (a.version, a.vrid, a.priority, a.advert_int_cs),
            (3, 7, 120, 50)
        );
        assert_eq!(a.addresses, vec!["192.0.2.100".parse::<IpAddr>().unwrap()]);
        assert_eq!(s.key().unicast_src, Some("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn v2_pass_advert_carries_the_password() {
        let s = build(
            &BASIC.replace(
                " priority 120\n",
                " authentication {\n  auth_type PASS\n  auth_pass secret12\n }\n",
            ),
            &host(&["192.0.2.1"]),
        )
        .expect("builds");
        let a = s.advert(100);
        assert_eq!((a.version, a.auth_type), (2, 1));
        assert_eq!(a.auth_password(), b"secret12");
    }

    #[test]
    fn auth_ah_and_same_identity_twice_are_refused() {
        let ah = BASIC.replace(
            " priority 120\n",
            " authentication {\n  auth_type AH\n  auth_pass secret12\n }\n",
        );
        assert!(build(&ah, &host(&["192.0.2.1"]))
            .expect_err("AH")
            .reason
            .contains("AH"));
        let twice = format!("{BASIC}{}", BASIC.replace("VI_1", "VI_2"));
        let l = load_str("test.conf", &twice);
        let (specs, refused) = build_all(&l.config, &host(&["192.0.2.1"]));
        assert_eq!(specs.len(), 1);
        assert_eq!(refused.len(), 1);
        assert!(refused[0].reason.contains("VI_1"), "{}", refused[0]);
    }

    const VMAC: &str = "global_defs {\n vmac_prefix vr\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n  192.0.2.100/24\n  198.51.100.1/24 dev eth1\n }\n}\nvrrp_instance VI_6 {\n interface eth0\n virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n  2001:db8::100/64\n }\n}\n";

    fn two_ifs() -> FakeHost {
        let mut h = host(&["192.0.2.1", "fe80::1"]);
        let eth1 = IfaceInfo {
            index: 3,
            up: true,
            addrs: vec!["198.51.100.2".parse().unwrap()],
        };
        h.0.insert("eth1".into(), eth1);
        h
    }

    #[test]
    fn vmac_names_macs_and_where_things_go() {
        let l = load_str("test.conf", VMAC);
        let (specs, refused) = build_all(&l.config, &two_ifs());
        assert!(refused.is_empty(), "{refused:?}");
        let v4 = specs[0].vmac.as_ref().expect("vmac");
        let v6 = specs[1].vmac.as_ref().expect("vmac");
        // vmac_prefix, and keepalived's second name for the IPv6 instance of the same VRID.
        assert_eq!(
            (v4.ifname.as_str(), v6.ifname.as_str()),
            ("vr.51", "vr6.51")
        );
        assert_eq!(v4.mac, [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(v6.mac, [0, 0, 0x5e, 0, 2, 51]);
        // Adverts leave from the VMAC, the instance's identity and FAULT stay on eth0.
        assert_eq!(specs[0].advert_ifname(), "vr.51");
        assert_eq!(specs[0].key().ifname, "eth0");
        let on: Vec<&str> = specs[0]
            .vips
            .iter()
            .map(|v| specs[0].vip_ifname(v))
            .collect();
        assert_eq!(on, vec!["vr.51", "eth1"]);
    }

    /// keepalived 2.2.7 measured with use_vmac_addr (no use_vmac): 192.0.2.100 stays on eth0,
    /// 198.51.100.100 dev eth1 goes on vrrp.51@eth1, the IPv6 eVIP on vrrp6.51@eth0.
    #[test]
    fn use_vmac_addr_gives_other_interfaces_and_families_their_own_vmac() {
        let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n use_vmac_addr\n virtual_ipaddress {\n  192.0.2.100/24\n  198.51.100.100/24 dev eth1\n }\n virtual_ipaddress_excluded {\n  2001:db8::100/64\n }\n}\n";
        let l = load_str("test.conf", text);
        let (specs, refused) = build_all(&l.config, &two_ifs());
        assert!(refused.is_empty(), "{refused:?}");
        let s = &specs[0];
        assert!(s.vmac.is_none());
        let made: Vec<(&str, &str, [u8; 6])> = s
            .addr_vmacs
            .iter()
            .map(|a| (a.ifname.as_str(), a.base.as_str(), a.mac))
            .collect();
        assert_eq!(
            made,
            vec![
                ("vrrp.51", "eth1", [0, 0, 0x5e, 0, 1, 51]),
                ("vrrp6.51", "eth0", [0, 0, 0x5e, 0, 2, 51])
            ]
        );
        let on: Vec<&str> = s.vips.iter().map(|v| s.vip_ifname(v)).collect();
        assert_eq!(on, vec!["eth0", "vrrp.51", "vrrp6.51"]);
        assert_eq!(s.advert_ifname(), "eth0");
        // With use_vmac the instance's own comes first; vmac_addr_prefix names the others.
        let text = text
            .replace(" use_vmac_addr\n", " use_vmac\n use_vmac_addr\n")
            .replace(
                "vrrp_instance",
                "global_defs {\n vmac_addr_prefix va\n}\nvrrp_instance",
            );
        let l = load_str("test.conf", &text);
        let (specs, refused) = build_all(&l.config, &two_ifs());
        assert!(refused.is_empty(), "{refused:?}");
        let s = &specs[0];
        assert_eq!(s.vmac.as_ref().map(|v| v.ifname.as_str()), Some("vrrp.51"));
        let names: Vec<&str> = s.addr_vmacs.iter().map(|a| a.ifname.as_str()).collect();
        assert_eq!(names, vec!["va.51", "va6.51"]);
        let on: Vec<&str> = s.vips.iter().map(|v| s.vip_ifname(v)).collect();
        assert_eq!(on, vec!["vrrp.51", "va.51", "va6.51"]);
        // Without use_vmac_addr nothing of the kind.
        let l = load_str("test.conf", VMAC);
        let (specs, _) = build_all(&l.config, &two_ifs());
        assert!(specs.iter().all(|s| s.addr_vmacs.is_empty()));
    }

    #[test]
    fn vmac_xmit_base_named_mac_and_unicast() {
        let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n use_vmac v7 02:11:22:33:44\n vmac_xmit_base\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n";
        let s = build(text, &host(&["192.0.2.1"])).expect("builds");
        let v = s.vmac.as_ref().expect("vmac");
        assert_eq!(
            (v.ifname.as_str(), v.mac, v.xmit_base),
            ("v7", [2, 0x11, 0x22, 0x33, 0x44, 7], true)
        );
        assert_eq!(s.advert_ifname(), "eth0");
        assert_eq!(s.vip_ifname(&s.vips[0]), "v7");
        // keepalived: unicast with use_vmac sends from the base interface.
        let uni = text
            .replace(" vmac_xmit_base\n", " unicast_peer {\n  192.0.2.2\n }\n")
            .replace("use_vmac v7 02:11:22:33:44", "use_vmac");
        let l = load_str("test.conf", &uni);
        assert!(l
            .diagnostics
            .iter()
            .any(|d| d.message.contains("requires vmac_xmit_base")));
        let s = InstanceSpec::build(
            &l.config.instances[0],
            &l.config.global,
            &host(&["192.0.2.1"]),
        )
        .expect("builds");
        assert_eq!(
            s.vmac.as_ref().map(|v| (v.ifname.as_str(), v.xmit_base)),
            Some(("vrrp.7", true))
        );
    }

    #[test]
    fn bad_vmac_words_are_said_and_ignored() {
        for (word, said) in [
            ("01:00:5e:00:00:01", "multicast"),
            ("00:00:5e:00:01:07", "RFC5798"),
            ("zz:11", "invalid MAC"),
            ("a/b", "invalid characters"),
        ] {
            let text = BASIC.replace(" priority 120\n", &format!(" use_vmac {word}\n"));
            let l = load_str("test.conf", &text);
            assert!(
                l.diagnostics.iter().any(|d| d.message.contains(said)),
                "{word}: {:?}",
                l.diagnostics
            );
            assert_eq!(l.config.instances[0].vmac_mac, None);
        }
    }

    /// A host whose eth0 exists and whose `vrrp.7` is a bridge.
    struct Occupied(FakeHost);
    impl HostView for Occupied {
        fn interface(&self, name: &str) -> Option<IfaceInfo> {
            self.0.interface(name)
        }
        fn link_kind(&self, name: &str) -> Option<String> {
            (name == "vrrp.7" || name == "mine").then(|| "bridge".to_string())
        }
    }

    #[test]
    fn vmac_names_taken_by_other_interfaces() {
        let h = Occupied(host(&["192.0.2.1"]));
        let text = BASIC.replace("virtual_router_id 7", "virtual_router_id 7\n use_vmac");
        let l = load_str("test.conf", &text);
        let (specs, refused) = build_all(&l.config, &h);
        assert!(refused.is_empty());
        assert_eq!(specs[0].vmac.as_ref().unwrap().ifname, "vrrp1.7");
        let l = load_str("test.conf", &text.replace("use_vmac", "use_vmac mine"));
        let (specs, refused) = build_all(&l.config, &h);
        assert!(specs.is_empty());
        assert!(
            refused[0].reason.contains("not a macvlan"),
            "{}",
            refused[0]
        );
    }
}
