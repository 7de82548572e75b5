//! Link and address events from rtnetlink (`ip monitor link address`): the loop is told which
//! interface changed and asks the host for its new state, so an instance whose interface goes
//! down or loses its address enters FAULT, and leaves it when the kernel says so — no polling.

use futures::StreamExt;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc;

/// Start watching; the indexes of changed interfaces arrive on the returned channel.
pub fn start() -> std::io::Result<mpsc::UnboundedReceiver<u32>> {
    let (conn, _handle, mut messages) = rtnetlink::new_multicast_connection(&[
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ])?;
    tokio::spawn(conn);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let index = match msg.payload {
                NetlinkPayload::InnerMessage(
                    RouteNetlinkMessage::NewLink(l) | RouteNetlinkMessage::DelLink(l),
                ) => l.header.index,
                NetlinkPayload::InnerMessage(
                    RouteNetlinkMessage::NewAddress(a) | RouteNetlinkMessage::DelAddress(a),
                ) => a.header.index,
                NetlinkPayload::Overrun(_) => 0,
                _ => continue,
            };
            // 0: the kernel dropped events (overrun); the loop re-reads every interface.
            if tx.send(index).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
