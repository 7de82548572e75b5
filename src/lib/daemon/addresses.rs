//! The address worker: adds and removes VIPs and virtual routes through rtnetlink off the
//! event loop, in the order they were asked for, and hands GARP bursts to the pacer only after
//! every address change queued before them is done (a GARP never precedes its address).
//!
//! The loop only queues jobs (an unbounded channel: a job is a few hundred bytes and the loop
//! produces them at most once per state change), so becoming master with 200 VIPs costs the
//! loop microseconds and no other instance's advert waits for netlink.
//!
//! The worker runs on a thread of its own (with its own runtime, its netlink connection and the
//! GARP pacer's lanes): adding an address and sending a frame are syscalls that do their kernel
//! work in the caller, and a mass takeover of 1,000 instances queues 1,000 additions and 5,000
//! GARPs. On the loop's thread that work delayed other instances' adverts by milliseconds
//! (benches/lateness_bench.sh); on its own thread it runs beside the loop.

use tokio::sync::{mpsc, oneshot};

use super::garp::{GarpJob, GarpPacer};
use super::netlink::{Netlink, NetlinkError, Route, Vip};

#[derive(Debug)]
pub enum AddrJob {
    Add {
        instance: String,
        vips: Vec<Vip>,
        routes: Vec<Route>,
    },
    Remove {
        instance: String,
        vips: Vec<Vip>,
        routes: Vec<Route>,
    },
    Garp(GarpJob),
    /// Answered once every job queued before it is done.
    Barrier(tokio::sync::oneshot::Sender<()>),
    /// The jobs queued after it wait until it fires (a no_accept master's drop rules are in
    /// before its VIPs are added: nftables.rs).
    After(tokio::sync::oneshot::Receiver<()>),
}

pub struct AddressWorker {
    tx: mpsc::UnboundedSender<AddrJob>,
    /// Fires when the worker thread has done every job and stopped.
    done: oneshot::Receiver<()>,
}

impl AddressWorker {
    /// Start the worker thread and open its netlink connection (the error if it cannot).
    pub fn start(pacer: GarpPacer) -> Result<AddressWorker, NetlinkError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done) = oneshot::channel();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let open_err = |e: std::io::Error| NetlinkError::Open(e);
        std::thread::Builder::new()
            .name("vrrpd-addresses".into())
            .spawn(move || {
                // rtnetlink needs CAP_NET_ADMIN only (privileges.rs: capabilities are per
                // thread, and this one starts before the event loop drops the rest).
                if let Err(e) = super::privileges::drop_unneeded() {
                    tracing::warn!("address worker: cannot drop capabilities: {e}");
                }
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(open_err(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let netlink = match Netlink::connect() {
                        Ok(n) => n,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    work(netlink, pacer, rx).await;
                });
                let _ = done_tx.send(());
            })
            .map_err(open_err)?;
        match ready.recv() {
            Ok(Ok(())) => Ok(AddressWorker { tx, done }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(open_err(std::io::Error::other(
                "address worker did not start",
            ))),
        }
    }

    /// Queue a job; never waits.
    pub fn submit(&self, job: AddrJob) {
        if let Err(mpsc::error::SendError(job)) = self.tx.send(job) {
            tracing::error!("address worker is gone; dropped {job:?}");
        }
    }

    /// Wait until every job queued so far is done.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(AddrJob::Barrier(tx));
        let _ = rx.await;
    }

    /// Wait until every queued job is done (at shutdown).
    pub async fn finish(self) {
        drop(self.tx);
        if self.done.await.is_err() {
            tracing::error!("address worker failed");
        }
    }
}

async fn work(netlink: Netlink, mut pacer: GarpPacer, mut rx: mpsc::UnboundedReceiver<AddrJob>) {
    while let Some(job) = rx.recv().await {
        match job {
            AddrJob::Add {
                instance,
                vips,
                routes,
            } => {
                // The addresses of one job go out together (the kernel answers each), routes
                // after them: a route may use a VIP as its source.
                let adds = vips.iter().map(|v| netlink.add_vip(v));
                for r in futures::future::join_all(adds).await {
                    if let Err(e) = r {
                        tracing::error!("{instance}: {e}");
                    }
                }
                for r in &routes {
                    if let Err(e) = netlink.add_route(r).await {
                        tracing::error!("{instance}: {e}");
                    }
                }
            }
            AddrJob::Remove {
                instance,
                vips,
                routes,
            } => {
                for r in &routes {
                    if let Err(e) = netlink.del_route(r).await {
                        tracing::error!("{instance}: {e}");
                    }
                }
                let dels = vips.iter().map(|v| netlink.del_vip(v));
                for r in futures::future::join_all(dels).await {
                    if let Err(e) = r {
                        tracing::error!("{instance}: {e}");
                    }
                }
            }
            AddrJob::Garp(g) => pacer.submit(g),
            AddrJob::Barrier(done) => {
                let _ = done.send(());
            }
            AddrJob::After(ready) => {
                let _ = ready.await;
            }
        }
    }
}
