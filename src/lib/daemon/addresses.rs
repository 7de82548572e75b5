//! The address worker: adds and removes VIPs and virtual routes through rtnetlink off the
//! event loop, in the order they were asked for, and hands GARP bursts to the pacer only after
//! every address change queued before them is done (a GARP never precedes its address).
//!
//! The loop only queues jobs (an unbounded channel: a job is a few hundred bytes and the loop
//! produces them at most once per state change), so becoming master with 200 VIPs costs the
//! loop microseconds and no other instance's advert waits for netlink. The worker takes what
//! is queued in windows of up to 64 jobs: the additions of a window go to the kernel together
//! (64 requests in flight rather than one round trip each), then its GARP bursts go to the
//! pacer together.
//!
//! The worker runs on a thread of its own (with its own runtime, its netlink connection and the
//! GARP pacer's lanes): adding an address and sending a frame are syscalls that do their kernel
//! work in the caller, and a mass takeover of 1,000 instances queues 1,000 additions and 5,000
//! GARPs. On the loop's thread that work delayed other instances' adverts by milliseconds
//! (benches/lateness_bench.sh); on its own thread it runs beside the loop.

use tokio::sync::{mpsc, oneshot};

use super::garp::{GarpJob, GarpPacer};
use super::netlink::{Netlink, NetlinkError, Route, Vip};

/// Address additions sent before their answers are read.
const IN_FLIGHT: usize = 64;

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
    let mut queued: Vec<AddrJob> = Vec::new();
    // Jobs done since the last time the queue was empty.
    let mut burst = 0usize;
    while let Some(job) = rx.recv().await {
        // What is queued by now, up to a netlink window: a mass takeover queues 1,000
        // additions at once, and taking them all would keep every job twice in memory.
        queued.push(job);
        while queued.len() < IN_FLIGHT {
            match rx.try_recv() {
                Ok(j) => queued.push(j),
                Err(_) => break,
            }
        }
        burst += queued.len();
        let mut run: Vec<AddrJob> = Vec::new();
        for job in queued.drain(..) {
            match job {
                AddrJob::Add { .. } | AddrJob::Garp(_) => run.push(job),
                AddrJob::Remove {
                    instance,
                    vips,
                    routes,
                } => {
                    add_run(&netlink, &mut pacer, &mut run).await;
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
                AddrJob::Barrier(done) => {
                    add_run(&netlink, &mut pacer, &mut run).await;
                    let _ = done.send(());
                }
                AddrJob::After(ready) => {
                    add_run(&netlink, &mut pacer, &mut run).await;
                    let _ = ready.await;
                }
            }
        }
        add_run(&netlink, &mut pacer, &mut run).await;
        // The end of a burst (a start or a mass takeover: hundreds of jobs): the memory it
        // freed goes back to the system instead of staying resident as the heap's
        // high-water mark.
        if rx.is_empty() {
            if burst >= IN_FLIGHT {
                super::run::release_freed_memory();
            }
            burst = 0;
        }
    }
}

/// A run of additions and GARP bursts with no removal between them: every address at once
/// (the kernel answers each), then the routes in order (a route may use a VIP as its source),
/// then the bursts, each after its addresses as before, now all together so that the pacer
/// sends every VIP's first announcement before the repeats.
async fn add_run(netlink: &Netlink, pacer: &mut GarpPacer, run: &mut Vec<AddrJob>) {
    if run.is_empty() {
        return;
    }
    let adds: Vec<(&str, &Vip)> = run
        .iter()
        .flat_map(|j| match j {
            AddrJob::Add { instance, vips, .. } => vips
                .iter()
                .map(|v| (instance.as_str(), v))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    // At most IN_FLIGHT requests unanswered: the kernel queues every answer on our netlink
    // socket, and 1,000 of them would overrun its receive buffer (ENOBUFS, answers lost).
    for chunk in adds.chunks(IN_FLIGHT) {
        let replies = chunk
            .iter()
            .map(|&(instance, v)| async move { (instance, netlink.add_vip(v).await) });
        for (instance, r) in futures::future::join_all(replies).await {
            if let Err(e) = r {
                tracing::error!("{instance}: {e}");
            }
        }
    }
    for job in run.iter() {
        if let AddrJob::Add {
            instance, routes, ..
        } = job
        {
            for r in routes {
                if let Err(e) = netlink.add_route(r).await {
                    tracing::error!("{instance}: {e}");
                }
            }
        }
    }
    for job in run.drain(..) {
        if let AddrJob::Garp(g) = job {
            pacer.submit(g);
        }
    }
}
