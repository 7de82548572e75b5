//! Addresses and routes through rtnetlink: the virtual IPs (with brd/scope/label, as
//! `ip addr add` would set them) and `virtual_routes`, added on becoming master and removed on
//! leaving it or stopping (by the address worker, `addresses.rs`). Also the interface index and
//! MAC look-ups the daemon needs.

use std::net::IpAddr;

use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressScope, CacheInfo,
};
use rtnetlink::packet_route::route::{RouteMessage, RouteScope, RouteType};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::RouteMessageBuilder;

use crate::config::model::{VipOptions, VirtualIp, VirtualRoute};

#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    #[error("cannot open a netlink socket: {0}")]
    Open(#[source] std::io::Error),
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    #[error("{what}: {source}")]
    Request {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("virtual route \"{line}\": {reason}")]
    BadRoute { line: String, reason: String },
}

/// The index of interface `name`.
pub fn if_index(name: &str) -> Result<u32, NetlinkError> {
    nix::net::if_::if_nametoindex(name).map_err(|_| NetlinkError::NoSuchInterface(name.into()))
}

/// A virtual IP resolved against the system: what `ip addr add` is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Vip {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub ifindex: u32,
    pub ifname: String,
    pub brd: Option<std::net::Ipv4Addr>,
    pub scope: AddressScope,
    pub label: Option<String>,
    /// peer, preferred_lft and the flags of the virtual_ipaddress line.
    pub opts: VipOptions,
}

impl Vip {
    /// Resolve a configured VIP onto `ifname` (the spec's answer: its dev, the instance's
    /// interface, or the VMAC).
    pub fn resolve(v: &VirtualIp, ifname: &str) -> Result<Vip, NetlinkError> {
        let ifname = ifname.to_string();
        let ifindex = if_index(&ifname)?;
        let brd = match v.brd {
            Some(IpAddr::V4(b)) => Some(b),
            _ => None,
        };
        Ok(Vip {
            addr: v.addr,
            prefix_len: v.prefix_len,
            ifindex,
            ifname,
            brd,
            scope: parse_scope(v.scope.as_deref()),
            label: v.label.clone(),
            opts: v.opts.clone(),
        })
    }

    /// IFA_FLAGS as keepalived 2.2.7 sends them for this address.
    pub fn flags(&self) -> AddressFlags {
        let o = &self.opts;
        let mut flags = AddressFlags::empty();
        for (on, f) in [
            (o.home, AddressFlags::Homeaddress),
            (o.mngtmpaddr, AddressFlags::Managetempaddr),
            (o.noprefixroute, AddressFlags::Noprefixroute),
            (o.autojoin, AddressFlags::Mcautojoin),
            // keepalived adds IPv6 VIPs without duplicate address detection (unless
            // `-nodad`): the address moves between routers on purpose, and DAD would hold it
            // tentative for a second.
            (self.addr.is_ipv6() && !o.dad, AddressFlags::Nodad),
        ] {
            if on {
                flags |= f;
            }
        }
        flags
    }

    /// IPv6: the preferred lifetime in seconds, u32::MAX for ever; keepalived's default makes
    /// a /128 deprecated (0), so that it is never picked as a source address. None for IPv4.
    pub fn preferred_lft(&self) -> Option<u32> {
        match (self.addr, self.opts.preferred_lft) {
            (IpAddr::V4(_), _) => None,
            (_, Some(p)) => Some(p),
            (_, None) if self.prefix_len == 128 => Some(0),
            (_, None) => Some(u32::MAX),
        }
    }

    fn message(&self) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = match self.addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        m.header.prefix_len = self.prefix_len;
        m.header.index = self.ifindex;
        m.header.scope = self.scope;
        m.attributes.push(AddressAttribute::Local(self.addr));
        m.attributes.push(AddressAttribute::Address(
            self.opts.peer.unwrap_or(self.addr),
        ));
        if let Some(b) = self.brd {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &self.label {
            m.attributes.push(AddressAttribute::Label(l.clone()));
        }
        let flags = self.flags();
        if !flags.is_empty() {
            m.attributes.push(AddressAttribute::Flags(flags));
        }
        if let Some(p) = self.preferred_lft().filter(|&p| p != u32::MAX) {
            let mut lifetimes = CacheInfo::default();
            lifetimes.ifa_preferred = p;
            lifetimes.ifa_valid = u32::MAX;
            m.attributes.push(AddressAttribute::CacheInfo(lifetimes));
        }
        m
    }
}

impl std::fmt::Display for Vip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} dev {}", self.addr, self.prefix_len, self.ifname)?;
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        Ok(())
    }
}

fn parse_scope(s: Option<&str>) -> AddressScope {
    match s {
        None | Some("global") | Some("universe") => AddressScope::Universe,
        Some("site") => AddressScope::Site,
        Some("link") => AddressScope::Link,
        Some("host") => AddressScope::Host,
        Some("nowhere") => AddressScope::Nowhere,
        Some(n) => n
            .parse::<u8>()
            .map(AddressScope::from)
            .unwrap_or(AddressScope::Universe),
    }
}

/// A `virtual_routes` line resolved to a route message.
#[derive(Debug, Clone)]
pub struct Route {
    pub text: String,
    message: RouteMessage,
}

impl Route {
    /// Parse the `ip route` words of a virtual route: `[blackhole|unreachable|prohibit]
    /// [to] PREFIX|default [via|gw ADDR] [src ADDR] [dev IF] [metric N] [table N]
    /// [scope S] [onlink] [no_track]`; `default_dev` is used when there is a gateway but no dev.
    pub fn resolve(r: &VirtualRoute, default_dev: &str) -> Result<Route, NetlinkError> {
        let line = r.words.join(" ");
        let bad = |reason: &str| NetlinkError::BadRoute {
            line: line.clone(),
            reason: reason.to_string(),
        };
        let mut words = r.words.iter().map(String::as_str).peekable();
        let mut kind = RouteType::Unicast;
        match words.peek() {
            Some(&"blackhole") => kind = RouteType::BlackHole,
            Some(&"unreachable") => kind = RouteType::Unreachable,
            Some(&"prohibit") => kind = RouteType::Prohibit,
            _ => {}
        }
        if kind != RouteType::Unicast {
            words.next();
        }
        if words.peek() == Some(&"to") {
            words.next();
        }
        let dst = words.next().ok_or_else(|| bad("no destination"))?;
        let (dst_addr, dst_len) = parse_prefix(dst).ok_or_else(|| bad("bad destination"))?;
        let mut via = None;
        let mut src = None;
        let mut dev = None;
        let mut metric = None;
        let mut table = None;
        let mut scope = None;
        let mut onlink = false;
        while let Some(w) = words.next() {
            let mut arg = || {
                words
                    .next()
                    .ok_or_else(|| bad(&format!("{w} needs a value")))
            };
            match w {
                "via" | "gw" => {
                    via = Some(arg()?.parse::<IpAddr>().map_err(|_| bad("bad gateway"))?)
                }
                "src" => src = Some(arg()?.parse::<IpAddr>().map_err(|_| bad("bad src"))?),
                "dev" | "oif" => dev = Some(arg()?.to_string()),
                "metric" | "preference" | "priority" => {
                    metric = Some(arg()?.parse::<u32>().map_err(|_| bad("bad metric"))?)
                }
                "table" => {
                    let t = arg()?;
                    table = Some(match t {
                        "main" => 254,
                        "local" => 255,
                        "default" => 253,
                        n => n.parse::<u32>().map_err(|_| bad("bad table"))?,
                    })
                }
                "scope" => {
                    scope = Some(match arg()? {
                        "global" | "universe" => RouteScope::Universe,
                        "site" => RouteScope::Site,
                        "link" => RouteScope::Link,
                        "host" => RouteScope::Host,
                        "nowhere" => RouteScope::NoWhere,
                        n => RouteScope::Other(n.parse::<u8>().map_err(|_| bad("bad scope"))?),
                    })
                }
                "onlink" => onlink = true,
                "no_track" => {}
                other => return Err(bad(&format!("unsupported word \"{other}\""))),
            }
        }
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(dst_addr, dst_len)
            .map_err(|e| bad(&e.to_string()))?;
        if let Some(g) = via {
            b = b.gateway(g).map_err(|e| bad(&e.to_string()))?;
        }
        if let Some(s) = src {
            b = b.pref_source(s).map_err(|e| bad(&e.to_string()))?;
        }
        let dev = match (&dev, kind) {
            (Some(d), _) => Some(d.as_str()),
            (None, RouteType::Unicast) => Some(default_dev),
            (None, _) => None,
        };
        let mut b = b.kind(kind);
        if let Some(d) = dev {
            b = b.output_interface(if_index(d)?);
        }
        if let Some(m) = metric {
            b = b.priority(m);
        }
        if let Some(t) = table {
            b = b.table_id(t);
        }
        let scope = scope.unwrap_or(if via.is_none() && kind == RouteType::Unicast {
            RouteScope::Link
        } else {
            RouteScope::Universe
        });
        b = b.scope(scope);
        if onlink {
            b = b.onlink();
        }
        Ok(Route {
            text: line,
            message: b.build(),
        })
    }
}

fn parse_prefix(s: &str) -> Option<(IpAddr, u8)> {
    if s == "default" {
        return Some((IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0));
    }
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match l {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
        None => max,
    };
    Some((addr, len))
}

/// The daemon's rtnetlink connection.
#[derive(Clone)]
pub struct Netlink {
    handle: rtnetlink::Handle,
}

fn io_error(e: rtnetlink::Error) -> std::io::Error {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.to_io(),
        other => std::io::Error::other(other.to_string()),
    }
}

impl Netlink {
    /// Open the connection; its driver runs as a task on the current runtime.
    pub fn connect() -> Result<Netlink, NetlinkError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(NetlinkError::Open)?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// Add a VIP; an address that is already there counts as added.
    pub async fn add_vip(&self, vip: &Vip) -> Result<(), NetlinkError> {
        let mut req = self
            .handle
            .address()
            .add(vip.ifindex, vip.addr, vip.prefix_len);
        *req.message_mut() = vip.message();
        match req.execute().await.map_err(io_error) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("adding {vip}"),
                source,
            }),
        }
    }

    /// Remove a VIP; an address that is already gone counts as removed.
    pub async fn del_vip(&self, vip: &Vip) -> Result<(), NetlinkError> {
        let req = self.handle.address().del(vip.message());
        match req.execute().await.map_err(io_error) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EADDRNOTAVAIL | libc::ENOENT)) => {
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("removing {vip}"),
                source,
            }),
        }
    }

    pub async fn add_route(&self, route: &Route) -> Result<(), NetlinkError> {
        let req = self.handle.route().add(route.message.clone());
        match req.execute().await.map_err(io_error) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("adding route {}", route.text),
                source,
            }),
        }
    }

    pub async fn del_route(&self, route: &Route) -> Result<(), NetlinkError> {
        let req = self.handle.route().del(route.message.clone());
        match req.execute().await.map_err(io_error) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ESRCH | libc::ENOENT)) => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("removing route {}", route.text),
                source,
            }),
        }
    }
}

/// The MAC address of `ifname`, from sysfs.
pub fn interface_mac(ifname: &str) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")).ok()?;
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for b in mac.iter_mut() {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(words: &str) -> VirtualRoute {
        VirtualRoute {
            words: words.split_whitespace().map(String::from).collect(),
            span: Default::default(),
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            parse_prefix("198.51.100.0/24"),
            Some(("198.51.100.0".parse().unwrap(), 24))
        );
        assert_eq!(
            parse_prefix("2001:db8::1"),
            Some(("2001:db8::1".parse().unwrap(), 128))
        );
        assert_eq!(parse_prefix("198.51.100.0/33"), None);
        assert_eq!(parse_prefix("x"), None);
    }

    #[test]
    fn routes_reject_unknown_words_and_need_a_destination() {
        // "lo" exists in every namespace, so resolution does not depend on the host.
        assert!(Route::resolve(&route("198.51.100.0/24 dev lo metric 5"), "lo").is_ok());
        assert!(Route::resolve(&route("blackhole 203.0.113.0/24"), "lo").is_ok());
        assert!(matches!(
            Route::resolve(&route("198.51.100.0/24 frobnicate"), "lo"),
            Err(NetlinkError::BadRoute { .. })
        ));
        assert!(matches!(
            Route::resolve(&route("via"), "lo"),
            Err(NetlinkError::BadRoute { .. })
        ));
    }

    #[test]
    fn scopes() {
        assert_eq!(parse_scope(None), AddressScope::Universe);
        assert_eq!(parse_scope(Some("link")), AddressScope::Link);
        assert_eq!(parse_scope(Some("host")), AddressScope::Host);
    }
}
