//! The address worker: adds and removes VIPs and virtual routes through rtnetlink off the
//! event loop, in the order they were asked for, and hands GARP bursts to the pacer only after
//! every address change queued before them is done (a GARP never precedes its address).
//!
//! The loop only queues jobs (an unbounded channel: a job is a few hundred bytes and the loop
//! produces them at most once per state change), so becoming master with 200 VIPs costs the
//! loop microseconds and no other instance's advert waits for netlink.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::garp::{GarpJob, GarpPacer};
use super::netlink::{Netlink, Route, Vip};

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
}

pub struct AddressWorker {
    tx: mpsc::UnboundedSender<AddrJob>,
    task: JoinHandle<()>,
}

impl AddressWorker {
    /// Start the worker task on the current runtime.
    pub fn start(netlink: Netlink, pacer: GarpPacer) -> AddressWorker {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(work(netlink, pacer, rx));
        AddressWorker { tx, task }
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
        if let Err(e) = self.task.await {
            tracing::error!("address worker failed: {e}");
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
        }
    }
}
