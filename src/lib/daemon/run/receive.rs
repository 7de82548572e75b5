//! Reading the VRRP sockets. A wake-up finds one socket readable, or several: adverts that
//! arrive back to back on two interfaces or families (a peer's shutdown sends priority 0 for
//! every instance at once) are queued on different sockets. keepalived handles them in the
//! order its epoll ready list has them, the order they came; so do we, by the kernel's receive
//! stamp, so that timers started by them expire, and instances change state, in that order.

use std::sync::Arc;

use crate::node::Input;

use super::super::socket::{Arrival, Received, VrrpSocket};
use super::Daemon;

/// Datagrams read from one socket per wake-up before the loop looks at its timer again (the
/// kernel's socket buffer holds the rest).
const RX_BUDGET: usize = 256;

/// Beyond this, the arena of one wake-up's datagrams is not kept for the next (a flood).
const KEPT_ARENA: usize = 64 * 1024;

/// The datagrams of several ready sockets, read before any is handled.
#[derive(Default)]
pub(super) struct RxQueue {
    queued: Vec<Queued>,
    /// Their bytes, one after the other.
    arena: Vec<u8>,
}

struct Queued {
    arrival: Arrival,
    sock: usize,
    meta: Received,
    /// Its bytes in the arena.
    start: usize,
    len: usize,
}

/// Pending until a socket may have datagrams; then `ready` lists every such socket, starting
/// from `sockets[first..]` (so that a busy one cannot starve the others' reading budget).
pub(super) async fn readable(sockets: &[Arc<VrrpSocket>], first: usize, ready: &mut Vec<usize>) {
    std::future::poll_fn(|cx| {
        ready.clear();
        let n = sockets.len();
        for k in 0..n {
            let i = (first + k) % n;
            if sockets[i].poll_readable(cx).is_ready() {
                ready.push(i);
            }
        }
        if ready.is_empty() {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await
}

impl Daemon {
    /// Read what the `ready` sockets have queued (at most `RX_BUDGET` datagrams each) and feed
    /// it to the node, in the order it arrived.
    pub(super) fn drain_ready(&mut self, ready: &[usize], buf: &mut [u8]) {
        if let [sock] = ready {
            let s = self.sockets[*sock].clone();
            for _ in 0..RX_BUDGET {
                match recv(&s, buf) {
                    Some((meta, _)) => {
                        let len = meta.len.min(buf.len());
                        self.feed(*sock, &s, &meta, &buf[..len]);
                    }
                    None => return,
                }
            }
            return;
        }
        let mut q = std::mem::take(&mut self.rx_queue);
        for &sock in ready {
            let s = &self.sockets[sock];
            for _ in 0..RX_BUDGET {
                let Some((meta, arrival)) = recv(s, buf) else {
                    break;
                };
                let (start, len) = (q.arena.len(), meta.len.min(buf.len()));
                q.arena.extend_from_slice(&buf[..len]);
                q.queued.push(Queued {
                    arrival,
                    sock,
                    meta,
                    start,
                    len,
                });
            }
        }
        // Stable: one socket's datagrams keep their order even if their stamps are equal.
        q.queued.sort_by_key(|d| d.arrival);
        for d in &q.queued {
            let s = self.sockets[d.sock].clone();
            self.feed(d.sock, &s, &d.meta, &q.arena[d.start..d.start + d.len]);
        }
        q.queued.clear();
        q.arena.clear();
        if q.arena.capacity() > KEPT_ARENA {
            q = RxQueue::default();
        }
        self.rx_queue = q;
    }

    fn feed(&mut self, sock: usize, s: &VrrpSocket, meta: &Received, bytes: &[u8]) {
        if self.global.log_unknown_vrids {
            self.rx_socket = Some(sock);
        }
        self.input(Input::Datagram {
            ifname: &s.node_ifname,
            family: s.family,
            bytes,
            meta,
        });
        self.rx_socket = None;
    }
}

/// The next datagram of `s` into `buf`; None when it has no more (or reports an error).
fn recv(s: &VrrpSocket, buf: &mut [u8]) -> Option<(Received, Arrival)> {
    match s.try_recv_now(buf) {
        Ok(r) => Some(r),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        // A socket error (an ICMP error queued on it) is reported by one read; the next wait
        // comes straight back here if more is queued.
        Err(e) => {
            tracing::warn!("{}: receive error: {e}", s.ifname);
            None
        }
    }
}
