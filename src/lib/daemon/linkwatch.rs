//! Link and address events from rtnetlink (`ip monitor link address`): the loop is told which
//! interface changed and asks the host for its new state, so an instance whose interface goes
//! down or loses its address enters FAULT, and leaves it when the kernel says so — no polling.

use std::net::IpAddr;

use futures::StreamExt;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc;

/// What changed: an interface (index 0: the kernel dropped events, re-read every interface),
/// and for an address event the address, so the loop can skip the echoes of its own VIPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub index: u32,
    pub addr: Option<IpAddr>,
}

/// Start watching; the changes arrive on the returned channel.
pub fn start() -> std::io::Result<mpsc::UnboundedReceiver<Change>> {
    let (conn, _handle, mut messages) = rtnetlink::new_multicast_connection(&[
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ])?;
    tokio::spawn(conn);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let change = match msg.payload {
                NetlinkPayload::InnerMessage(
                    RouteNetlinkMessage::NewLink(l) | RouteNetlinkMessage::DelLink(l),
                ) => Change {
                    index: l.header.index,
                    addr: None,
                },
                NetlinkPayload::InnerMessage(
                    RouteNetlinkMessage::NewAddress(a) | RouteNetlinkMessage::DelAddress(a),
                ) => Change {
                    index: a.header.index,
                    addr: address_of(&a),
                },
                NetlinkPayload::Overrun(_) => Change {
                    index: 0,
                    addr: None,
                },
                _ => continue,
            };
            if tx.send(change).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// The address an RTM_NEWADDR/DELADDR is about (IFA_LOCAL, else IFA_ADDRESS, as `ip` shows it).
fn address_of(a: &AddressMessage) -> Option<IpAddr> {
    let local = a.attributes.iter().find_map(|x| match x {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    local.or_else(|| {
        a.attributes.iter().find_map(|x| match x {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_of_prefers_the_local_address() {
        let mut m = AddressMessage::default();
        assert_eq!(address_of(&m), None);
        let peer: IpAddr = "192.0.2.9".parse().unwrap();
        let local: IpAddr = "198.51.100.7".parse().unwrap();
        m.attributes.push(AddressAttribute::Address(peer));
        assert_eq!(address_of(&m), Some(peer));
        m.attributes.push(AddressAttribute::Local(local));
        assert_eq!(address_of(&m), Some(local));
    }
}
