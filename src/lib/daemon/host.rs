//! The node layer's view of this host's interfaces, answered from getifaddrs(3): index, link
//! state (IFF_UP and IFF_RUNNING, as keepalived tests it) and addresses, primary first.

use std::collections::HashMap;
use std::net::IpAddr;

use nix::net::if_::InterfaceFlags;

use crate::node::{HostView, IfaceInfo};

/// This host, as getifaddrs(3) shows it when asked.
pub struct SystemHost;

impl HostView for SystemHost {
    fn interface(&self, name: &str) -> Option<IfaceInfo> {
        let index = nix::net::if_::if_nametoindex(name).ok()?;
        let mut info = IfaceInfo {
            index,
            up: false,
            addrs: Vec::new(),
        };
        if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
            for a in addrs.filter(|a| a.interface_name == name) {
                info.up = a
                    .flags
                    .contains(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING);
                if let Some(ip) = a.address.as_ref().and_then(sockaddr_ip) {
                    info.addrs.push(ip);
                }
            }
        }
        Some(info)
    }

    fn link_kind(&self, name: &str) -> Option<String> {
        link_kind(name)
    }
}

/// The kind of an existing interface (see `vmac::link_kind`).
fn link_kind(name: &str) -> Option<String> {
    super::vmac::link_kind(name)
}

/// A snapshot of every interface at once (one getifaddrs call, for building many instances).
pub struct HostSnapshot(HashMap<String, IfaceInfo>);

impl HostSnapshot {
    pub fn take() -> HostSnapshot {
        let mut map: HashMap<String, IfaceInfo> = HashMap::new();
        if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
            for a in addrs {
                let e = map.entry(a.interface_name.clone()).or_default();
                e.up = a
                    .flags
                    .contains(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING);
                if let Some(ip) = a.address.as_ref().and_then(sockaddr_ip) {
                    e.addrs.push(ip);
                }
            }
        }
        for (name, info) in map.iter_mut() {
            info.index = nix::net::if_::if_nametoindex(name.as_str()).unwrap_or(0);
        }
        HostSnapshot(map)
    }
}

impl HostView for HostSnapshot {
    fn interface(&self, name: &str) -> Option<IfaceInfo> {
        self.0.get(name).filter(|i| i.index != 0).cloned()
    }

    fn link_kind(&self, name: &str) -> Option<String> {
        link_kind(name)
    }
}

fn sockaddr_ip(sa: &nix::sys::socket::SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = sa.as_sockaddr_in() {
        Some(IpAddr::V4(v4.ip()))
    } else {
        sa.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_seen_up_with_its_address() {
        let lo = SystemHost.interface("lo").expect("lo exists");
        assert!(lo.index > 0);
        let snap = HostSnapshot::take().interface("lo").expect("lo");
        assert_eq!(snap.index, lo.index);
        assert!(SystemHost.interface("nosuchif0").is_none());
        assert_eq!(SystemHost.link_kind("lo").as_deref(), Some(""));
        assert_eq!(SystemHost.link_kind("nosuchif0"), None);
    }
}
