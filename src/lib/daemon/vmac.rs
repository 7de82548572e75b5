//! `use_vmac`: the macvlan interfaces (private mode, the virtual MAC of RFC 5798 §7.3) the
//! instances run on, created through rtnetlink at start as keepalived 2.2.7 creates them
//! (vrrp_vmac.c), with the sysctls keepalived sets (vrrp_if_config.c), and removed with those
//! sysctls restored at stop. A VMAC left by a run that was SIGKILLed is taken over when it
//! matches (keepalived's "Found matching interface") and replaced when it does not.
//!
//! What keepalived sets, measured on 2.2.7:
//! - on an IPv4 VMAC: arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1,
//!   disable_ipv6 1; on an IPv6 one: addr_gen_mode none and the instance's link-local source
//!   (/64, nodad, preferred_lft 0) unless vmac_xmit_base;
//! - on the base interface (IPv4): arp_ignore 1 and arp_filter 1 (so that only the VMAC answers
//!   ARP for the VIPs), the old values restored when its last VMAC goes;
//! - a non-zero net.ipv4.conf.all.rp_filter is moved onto default and every interface, and
//!   all set to 0 (the VMAC's own 0 then counts), restored at stop.
//!
//! IGMP/MLD reports of the VMACs go out on the base interface through keepalived's nftables
//! rule (nftables.rs, fed with [`Vmacs::own`]).
//!
//! The VMAC stays up in every state (keepalived never sets it down); the instance's FAULT
//! still follows the base interface, whose carrier the macvlan follows anyway.
//!
//! Netlink requests run on a thread of their own with its own runtime: they happen at start,
//! reload and stop only, and the callers are synchronous.

use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, CacheInfo};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode,
};
use rtnetlink::{LinkMacVlan, LinkUnspec};

use crate::node::{Family, InstanceSpec};
use crate::wire::ethernet::format_mac;

use super::netlink::interface_mac;

/// One VMAC this run made (or took over).
#[derive(Debug, Clone)]
struct Made {
    instance: String,
    ifname: String,
    base: String,
    family: Family,
    /// The instance's own VMAC (not a use_vmac_addr one): its IGMP/MLD reports are moved.
    own: bool,
}

/// One macvlan to make: an instance's own VMAC or one of its use_vmac_addr VMACs.
struct Want {
    ifname: String,
    base: String,
    mac: [u8; 6],
    family: Family,
    own: bool,
    /// IPv6: the link-local address to put on it (None: none, vmac_xmit_base; Some(None):
    /// wanted but unknown).
    link_local: Option<Option<Ipv6Addr>>,
}

/// arp_ignore / arp_filter of a base interface before its first IPv4 VMAC, and how many of
/// ours use it.
#[derive(Debug, Clone)]
struct BaseConf {
    ifname: String,
    arp_ignore: Option<u8>,
    arp_filter: Option<u8>,
    users: usize,
}

/// What clear_rp_filter changed, to put back at stop.
#[derive(Debug, Clone, Default)]
struct RpFilter {
    all: u8,
    default: Option<u8>,
    /// Interfaces whose rp_filter was raised to `all`, with their old value.
    raised: Vec<(String, u8)>,
}

/// The VMACs of the running instances.
#[derive(Debug, Default)]
pub struct Vmacs {
    made: Vec<Made>,
    bases: Vec<BaseConf>,
    rp_filter: Option<RpFilter>,
}

#[derive(Debug, thiserror::Error)]
enum VmacError {
    #[error("{0}")]
    Netlink(String),
    #[error("interface {0} exists and is not a macvlan")]
    Foreign(String),
    #[error("base interface {0} does not exist")]
    NoBase(String),
}

fn nl(what: &str, e: rtnetlink::Error) -> VmacError {
    VmacError::Netlink(format!("{what}: {e}"))
}

/// What an existing link of the VMAC's name is.
enum Existing {
    None,
    /// A macvlan: its lower interface, mode, MAC.
    Macvlan {
        index: u32,
        link: Option<u32>,
        private: bool,
        mac: Vec<u8>,
    },
    Other,
}

fn existing(msg: &LinkMessage) -> Existing {
    let mut macvlan = false;
    let mut private = false;
    let mut link = None;
    let mut mac = Vec::new();
    for a in &msg.attributes {
        match a {
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(InfoKind::MacVlan) => macvlan = true,
                        LinkInfo::Data(InfoData::MacVlan(d)) => {
                            private = d
                                .iter()
                                .any(|x| matches!(x, InfoMacVlan::Mode(MacVlanMode::Private)))
                        }
                        _ => {}
                    }
                }
            }
            LinkAttribute::Link(l) => link = Some(*l),
            LinkAttribute::Address(m) => mac = m.clone(),
            _ => {}
        }
    }
    if macvlan {
        Existing::Macvlan {
            index: msg.header.index,
            link,
            private,
            mac,
        }
    } else {
        Existing::Other
    }
}

/// Run `f` with a netlink handle on a thread of its own (callers may be inside a runtime).
fn with_netlink<T: Send>(
    f: impl FnOnce(rtnetlink::Handle) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>
        + Send,
) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime for netlink: {e}"))?;
            rt.block_on(async {
                let (conn, handle, _) = rtnetlink::new_connection()
                    .map_err(|e| format!("cannot open a netlink socket: {e}"))?;
                let driver = tokio::spawn(conn);
                let out = f(handle).await;
                driver.abort();
                Ok(out)
            })
        })
        .join()
        .unwrap_or_else(|_| Err("netlink thread failed".to_string()))
    })
}

/// The kind of link `name` is ("macvlan", "bridge", "veth"...; "" for a plain device), None
/// when there is no such interface. Asked over rtnetlink: sysfs does not say macvlan.
pub fn link_kind(name: &str) -> Option<String> {
    let name = name.to_string();
    let msg = with_netlink(|h| {
        Box::pin(async move {
            h.link()
                .get()
                .match_name(name)
                .execute()
                .try_next()
                .await
                .ok()
                .flatten()
        })
    })
    .ok()
    .flatten()?;
    let kind = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k.to_string()),
            _ => None,
        }),
        _ => None,
    });
    Some(kind.unwrap_or_default())
}

fn sysctl_path(family: &str, ifname: &str, key: &str) -> PathBuf {
    // The interface name is one path component even when it contains dots (vrrp.51).
    PathBuf::from(format!("/proc/sys/net/{family}/conf/{ifname}/{key}"))
}

pub(super) fn get_sysctl(family: &str, ifname: &str, key: &str) -> Option<u8> {
    std::fs::read_to_string(sysctl_path(family, ifname, key))
        .ok()?
        .trim()
        .parse()
        .ok()
}

pub(super) fn set_sysctl(family: &str, ifname: &str, key: &str, value: u8) {
    let path = sysctl_path(family, ifname, key);
    if let Err(e) = std::fs::write(&path, value.to_string()) {
        tracing::warn!("cannot set {}: {e}", path.display());
    }
}

/// The modified EUI-64 link-local address keepalived makes from a MAC when the base
/// interface has none.
fn eui64_link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ])
}

impl Vmacs {
    /// Whether any VMAC is up.
    pub fn is_empty(&self) -> bool {
        self.made.is_empty()
    }

    /// Create (or take over) the VMAC of every spec that has one and is not made yet;
    /// the instances that cannot have theirs come back with the reason.
    pub fn create(&mut self, specs: &[InstanceSpec]) -> Vec<(String, String)> {
        let mut failed = Vec::new();
        for spec in specs {
            let own = spec.vmac.as_ref().map(|v| Want {
                ifname: v.ifname.clone(),
                base: spec.ifname.clone(),
                mac: v.mac,
                family: spec.family,
                own: true,
                // The advert source on an IPv6 VMAC (none with vmac_xmit_base).
                link_local: (!v.xmit_base).then(|| match spec.src {
                    Some(IpAddr::V6(a)) => Some(a),
                    _ => interface_mac(&spec.ifname).map(eui64_link_local),
                }),
            });
            // use_vmac_addr: keepalived gives an IPv6 one the base's link-local.
            let addrs = spec.addr_vmacs.iter().map(|a| Want {
                ifname: a.ifname.clone(),
                base: a.base.clone(),
                mac: a.mac,
                family: a.family,
                own: false,
                link_local: Some(interface_mac(&a.base).map(eui64_link_local)),
            });
            for w in own.into_iter().chain(addrs) {
                if self.made.iter().any(|m| m.ifname == w.ifname) {
                    continue;
                }
                if let Err(e) = self.create_one(&spec.name, &w) {
                    tracing::error!("({}) cannot set up VMAC {}: {e}", spec.name, w.ifname);
                    failed.push((spec.name.clone(), format!("VMAC {}: {e}", w.ifname)));
                }
            }
        }
        failed
    }

    /// The instances' own VMACs now up, (instance, VMAC, base): keepalived's
    /// firewall_add_vmac writes IGMP/MLD rules for these only (measured: a use_vmac_addr one
    /// gets none).
    pub fn own(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.made
            .iter()
            .filter(|m| m.own)
            .map(|m| (m.instance.as_str(), m.ifname.as_str(), m.base.as_str()))
    }

    fn create_one(&mut self, instance: &str, w: &Want) -> Result<(), VmacError> {
        let base = w.base.clone();
        let base_index = nix::net::if_::if_nametoindex(base.as_str())
            .map_err(|_| VmacError::NoBase(base.clone()))?;
        let name = w.ifname.clone();
        let mac = w.mac;
        let instance = instance.to_string();
        let v6 = w.family == Family::V6;
        // Set up before the link comes up: no EUI-64 address may appear on it (RFC 5798 §7.4
        // wants adverts from the instance's own address, with the virtual MAC).
        let prepare = move |name: &str| {
            set_sysctl("ipv6", name, "disable_ipv6", u8::from(!v6));
            set_sysctl("ipv6", name, "addr_gen_mode", 1);
        };
        let r = with_netlink(|h| {
            let name = name.clone();
            let instance = instance.clone();
            Box::pin(async move {
                let found = h
                    .link()
                    .get()
                    .match_name(name.clone())
                    .execute()
                    .try_next()
                    .await;
                let now = match found {
                    Ok(Some(m)) => existing(&m),
                    // ENODEV: no such link.
                    _ => Existing::None,
                };
                let reuse = match now {
                    Existing::Other => return Err(VmacError::Foreign(name)),
                    Existing::Macvlan {
                        index,
                        link,
                        private,
                        mac: have,
                    } => {
                        if link == Some(base_index) && private && have == mac {
                            tracing::info!(
                                "({instance}) Found matching interface {name} (left by a previous run)"
                            );
                            true
                        } else {
                            tracing::info!(
                                "({instance}) Removing old VMAC interface {name} due to conflicting interface"
                            );
                            h.link()
                                .del(index)
                                .execute()
                                .await
                                .map_err(|e| nl(&format!("removing {name}"), e))?;
                            false
                        }
                    }
                    Existing::None => false,
                };
                if !reuse {
                    h.link()
                        .add(
                            LinkMacVlan::new(&name, base_index, MacVlanMode::Private)
                                .address(mac.to_vec())
                                .build(),
                        )
                        .execute()
                        .await
                        .map_err(|e| nl(&format!("creating {name}"), e))?;
                    tracing::info!("({instance}): Success creating VMAC interface {name}");
                }
                let index = nix::net::if_::if_nametoindex(name.as_str())
                    .map_err(|e| VmacError::Netlink(format!("{name} vanished: {e}")))?;
                prepare(&name);
                let up = h
                    .link()
                    .set(LinkUnspec::new_with_index(index).up().build())
                    .execute()
                    .await;
                if let Err(e) = up {
                    // Nothing of ours stays behind: a macvlan that cannot come up (its MAC
                    // is another macvlan's on the same base, EADDRINUSE) is removed again.
                    let _ = h.link().del(index).execute().await;
                    return Err(nl(&format!("setting {name} up"), e));
                }
                Ok::<u32, VmacError>(index)
            })
        });
        let index = r.map_err(VmacError::Netlink)??;
        self.made.push(Made {
            instance: instance.clone(),
            ifname: w.ifname.clone(),
            base: base.clone(),
            family: w.family,
            own: w.own,
        });
        match (w.family, w.link_local) {
            (Family::V4, _) => self.ipv4_sysctls(&w.ifname, &base),
            (Family::V6, Some(addr)) => self.link_local(&instance, addr, &w.ifname, index),
            (Family::V6, None) => {}
        }
        tracing::debug!(
            "({instance}) VMAC {} ({}) on {base}",
            w.ifname,
            format_mac(&w.mac),
        );
        Ok(())
    }

    /// keepalived's set_interface_parameters (and clear_rp_filter, the first time).
    fn ipv4_sysctls(&mut self, vmac: &str, base: &str) {
        if self.rp_filter.is_none() {
            self.rp_filter = Some(clear_rp_filter());
        }
        set_sysctl("ipv4", vmac, "arp_ignore", 1);
        set_sysctl("ipv4", vmac, "accept_local", 1);
        set_sysctl("ipv4", vmac, "rp_filter", 0);
        set_sysctl("ipv4", vmac, "promote_secondaries", 1);
        if let Some(b) = self.bases.iter_mut().find(|b| b.ifname == base) {
            b.users += 1;
            return;
        }
        let arp_ignore = get_sysctl("ipv4", base, "arp_ignore");
        let arp_filter = get_sysctl("ipv4", base, "arp_filter");
        if arp_ignore != Some(1) {
            set_sysctl("ipv4", base, "arp_ignore", 1);
        }
        if arp_filter != Some(1) {
            set_sysctl("ipv4", base, "arp_filter", 1);
        }
        self.bases.push(BaseConf {
            ifname: base.to_string(),
            arp_ignore,
            arp_filter,
            users: 1,
        });
    }

    /// The address IPv6 adverts leave the VMAC from: the configured source, else the base
    /// interface's link-local address, else one made from the base's MAC (keepalived's
    /// set_link_local_address); deprecated (preferred_lft 0) so nothing else picks it.
    fn link_local(&self, instance: &str, addr: Option<Ipv6Addr>, vmac: &str, index: u32) {
        let Some(addr) = addr else {
            tracing::warn!("({instance}) no link-local address for {vmac}");
            return;
        };
        let r = with_netlink(|h| {
            Box::pin(async move {
                let mut req = h.address().add(index, IpAddr::V6(addr), 64);
                let m = req.message_mut();
                m.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
                let mut lifetimes = CacheInfo::default();
                lifetimes.ifa_preferred = 0;
                lifetimes.ifa_valid = u32::MAX;
                m.attributes.push(AddressAttribute::CacheInfo(lifetimes));
                req.execute().await
            })
        });
        match r {
            Ok(Ok(())) => tracing::info!("Assigned address {addr} for interface {vmac}"),
            Ok(Err(rtnetlink::Error::NetlinkError(e)))
                if e.to_io().raw_os_error() == Some(libc::EEXIST) => {}
            Ok(Err(e)) => tracing::warn!("({instance}) adding {addr} to {vmac}: {e}"),
            Err(e) => tracing::warn!("({instance}) adding {addr} to {vmac}: {e}"),
        }
    }

    /// Remove the VMACs whose name none of `keep` uses (reload).
    pub fn retain(&mut self, keep: &[&str]) {
        let gone: Vec<Made> = self
            .made
            .iter()
            .filter(|m| !keep.contains(&m.ifname.as_str()))
            .cloned()
            .collect();
        for m in gone {
            self.remove_one(&m);
        }
        if self.made.iter().all(|m| m.family != Family::V4) {
            if let Some(rp) = self.rp_filter.take() {
                restore_rp_filter(&rp);
            }
        }
    }

    /// Remove every VMAC and put back what was changed for them (at stop).
    pub fn remove_all(&mut self) {
        self.retain(&[]);
    }

    fn remove_one(&mut self, m: &Made) {
        self.made.retain(|x| x.ifname != m.ifname);
        if m.family == Family::V4 {
            if let Some(i) = self.bases.iter().position(|b| b.ifname == m.base) {
                self.bases[i].users -= 1;
                if self.bases[i].users == 0 {
                    let b = self.bases.remove(i);
                    if let Some(v) = b.arp_ignore {
                        set_sysctl("ipv4", &b.ifname, "arp_ignore", v);
                    }
                    if let Some(v) = b.arp_filter {
                        set_sysctl("ipv4", &b.ifname, "arp_filter", v);
                    }
                }
            }
        }
        let Ok(index) = nix::net::if_::if_nametoindex(m.ifname.as_str()) else {
            return;
        };
        let name = m.ifname.clone();
        let r = with_netlink(|h| Box::pin(async move { h.link().del(index).execute().await }));
        match r {
            Ok(Ok(())) => {
                tracing::info!("({}) Success removing VMAC interface {}", m.instance, name)
            }
            Ok(Err(e)) => {
                tracing::error!("({}) Error removing VMAC interface {name}: {e}", m.instance)
            }
            Err(e) => tracing::error!("({}) Error removing VMAC interface {name}: {e}", m.instance),
        }
    }
}

impl Drop for Vmacs {
    /// Whatever way the daemon ends, it leaves no VMAC behind.
    fn drop(&mut self) {
        if !self.made.is_empty() {
            self.remove_all();
        }
    }
}

/// Every interface with an IPv4 configuration (the names of /proc/sys/net/ipv4/conf).
fn ipv4_interfaces() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/sys/net/ipv4/conf") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "all" && n != "default")
        .collect()
}

/// keepalived's clear_rp_filter: with net.ipv4.conf.all.rp_filter non-zero, the VMAC's
/// rp_filter 0 would not count (the kernel uses the larger of all and the interface), so all's
/// value moves onto default and every interface below it, and all becomes 0.
fn clear_rp_filter() -> RpFilter {
    let all = get_sysctl("ipv4", "all", "rp_filter").unwrap_or(0);
    let mut saved = RpFilter {
        all,
        ..Default::default()
    };
    if all == 0 {
        return saved;
    }
    if let Some(d) = get_sysctl("ipv4", "default", "rp_filter").filter(|d| *d < all) {
        tracing::info!("NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from {d} to {all}");
        set_sysctl("ipv4", "default", "rp_filter", all);
        saved.default = Some(d);
    }
    for ifname in ipv4_interfaces() {
        if let Some(v) = get_sysctl("ipv4", &ifname, "rp_filter").filter(|v| *v < all) {
            set_sysctl("ipv4", &ifname, "rp_filter", all);
            saved.raised.push((ifname, v));
        }
    }
    tracing::info!("NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all} to 0");
    set_sysctl("ipv4", "all", "rp_filter", 0);
    saved
}

/// keepalived's restore_rp_filter: each value back, where nobody changed it since.
fn restore_rp_filter(saved: &RpFilter) {
    if saved.all == 0 {
        return;
    }
    if get_sysctl("ipv4", "all", "rp_filter") == Some(0) {
        tracing::info!(
            "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to {}",
            saved.all
        );
        set_sysctl("ipv4", "all", "rp_filter", saved.all);
    }
    if let Some(d) = saved.default {
        if get_sysctl("ipv4", "default", "rp_filter") == Some(saved.all) {
            tracing::info!("NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to {d}");
            set_sysctl("ipv4", "default", "rp_filter", d);
        }
    }
    for (ifname, v) in &saved.raised {
        if get_sysctl("ipv4", ifname, "rp_filter") == Some(saved.all) {
            set_sysctl("ipv4", ifname, "rp_filter", *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_from_the_base_mac() {
        let a = eui64_link_local([0x76, 0x34, 0x72, 0x84, 0xaa, 0x0e]);
        assert_eq!(a, "fe80::7434:72ff:fe84:aa0e".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn sysctl_paths_keep_dotted_names_whole() {
        assert_eq!(
            sysctl_path("ipv4", "vrrp.51", "arp_ignore"),
            PathBuf::from("/proc/sys/net/ipv4/conf/vrrp.51/arp_ignore")
        );
    }
}
