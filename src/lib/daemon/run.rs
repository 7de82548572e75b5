//! The event loop: one tokio current-thread runtime, one task owning every instance. It waits
//! on the single timer (the earliest deadline of all instances), the datagrams the socket
//! readers pass on, signals and status queries, and performs the state machines' actions.

use std::collections::HashMap;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config;
use crate::control::{snapshot::epoch_now, Event, InstanceSnapshot};
use crate::fsm::{Action, Input, State, Time};
use crate::wire::{self, ChecksumKind, Ipv4Meta};

use super::control::ControlSocket;
use super::flags::Args;
use super::garp::GarpSenders;
use super::instance::InstanceRt;
use super::netlink::Netlink;
use super::receive;
use super::signals::{SigFunc, Signals};
use super::socket::{Family, Received, VrrpSocket, RECV_BUF};
use super::timers::{Clock, DeadlineQueue, Timer};
use super::{dump, metrics_http, pidfile, sd_notify};

/// keepalived's exit code for a configuration that cannot run.
const EXIT_CONFIG: u8 = 2;
/// Datagrams queued between the socket readers and the loop; beyond it the kernel drops.
const RX_QUEUE: usize = 1024;

/// Events kept for a slow `watch` subscriber before it is told it lagged.
const EVENT_BACKLOG: usize = 256;

/// A request from outside the loop (the control server, the metrics endpoint).
pub enum Query {
    Snapshot(oneshot::Sender<Vec<InstanceSnapshot>>),
    /// Zero the counters of the named instances (all when empty); answers the names cleared.
    ClearStats {
        instances: Vec<String>,
        reply: oneshot::Sender<Vec<String>>,
    },
}

/// A cloneable way to ask the running daemon for its state and to follow its events.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Query>,
    events: broadcast::Sender<Event>,
}

impl Handle {
    /// Every instance's status and counters; None when the daemon has stopped.
    pub async fn snapshot(&self) -> Option<Vec<InstanceSnapshot>> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Query::Snapshot(tx)).await.ok()?;
        rx.await.ok()
    }

    /// As [`Handle::snapshot`], from a thread outside the runtime (the metrics endpoint).
    pub fn snapshot_blocking(&self) -> Option<Vec<InstanceSnapshot>> {
        let (tx, rx) = oneshot::channel();
        self.tx.blocking_send(Query::Snapshot(tx)).ok()?;
        rx.blocking_recv().ok()
    }

    /// Zero counters; the names of the instances cleared, None when the daemon has stopped.
    pub async fn clear_stats(&self, instances: Vec<String>) -> Option<Vec<String>> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Query::ClearStats { instances, reply })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Transitions and priority changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

/// `vrrpd`: check or run the configuration named by `args`.
pub fn run(args: Args) -> ExitCode {
    if let Some(name) = &args.signum {
        return match SigFunc::from_name(name) {
            Some(f) => {
                println!("{}", f.signum());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("Unknown sigfunc {name}");
                ExitCode::from(1)
            }
        };
    }
    if args.config_test {
        return config_test(&args);
    }
    let loaded = match config::load(&args.config) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    for d in &loaded.diagnostics {
        let line = format!(
            "{}:{}:{}: {}: {}",
            d.span.file.display(),
            d.span.line,
            d.span.column,
            d.severity,
            d.message
        );
        if d.is_error() {
            tracing::error!("{line}");
        } else {
            tracing::warn!("{line}");
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let (daemon, refused) = Daemon::build(&loaded.config);
        for e in &refused {
            tracing::error!("{e}; instance not started");
        }
        let mut daemon = match daemon {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::from(1);
            }
        };
        if daemon.instances.is_empty() {
            tracing::error!("no vrrp_instance can run; exiting");
            return ExitCode::from(EXIT_CONFIG);
        }
        let _pidfile = match args.pidfile.as_deref().map(pidfile::PidFile::create) {
            Some(Err(e)) => {
                tracing::error!("cannot write the pid file: {e}");
                return ExitCode::from(1);
            }
            Some(Ok(p)) => Some(p),
            None => None,
        };
        // Failover matters more than the control socket: without it vrrpd still runs.
        let _control = match ControlSocket::bind(&args.socket, args.socket_group.as_deref()) {
            Ok(c) => {
                let path = c.path().display().to_string();
                match c.spawn(daemon.handle()) {
                    Ok(file) => {
                        tracing::info!("control socket {path}");
                        Some(file)
                    }
                    Err(e) => {
                        tracing::error!("control socket {path}: {e}; running without it");
                        None
                    }
                }
            }
            Err(e) => {
                tracing::error!("{e}; running without a control socket");
                None
            }
        };
        let _metrics = match args.metrics_listen {
            Some(addr) => match metrics_http::start(addr, daemon.handle()) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::error!("{e}");
                    return ExitCode::from(1);
                }
            },
            None => None,
        };
        let signals = match Signals::install() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot install signal handlers: {e}");
                return ExitCode::from(1);
            }
        };
        match daemon.serve(signals).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::from(1)
            }
        }
    })
}

/// `vrrpd -t`: the lint machinery on the config, diagnostics on stderr, exit 0 (no errors) or
/// 1 (errors, or the file cannot be read). Needs no privilege and opens no socket.
fn config_test(args: &Args) -> ExitCode {
    match crate::lint::check_config(&args.config) {
        Ok(report) => {
            let text = crate::lint::render::text(&report, false);
            if !text.is_empty() {
                eprint!("{text}");
            }
            ExitCode::from(u8::from(report.has_errors()))
        }
        Err(e) => {
            eprintln!("vrrpd: {e}");
            ExitCode::from(1)
        }
    }
}

/// Every instance and the I/O they share.
pub struct Daemon {
    clock: Clock,
    queue: DeadlineQueue,
    pub instances: Vec<InstanceRt>,
    sockets: Vec<Arc<VrrpSocket>>,
    /// (socket, VRID) -> instances on that socket with that VRID.
    dispatch: HashMap<(usize, u8), Vec<usize>>,
    netlink: Netlink,
    garp: GarpSenders,
    /// Reused buffers: actions of one event, one outgoing packet.
    actions: Vec<Action>,
    txbuf: Vec<u8>,
    queries_tx: mpsc::Sender<Query>,
    queries_rx: mpsc::Receiver<Query>,
    events: broadcast::Sender<Event>,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Netlink(#[from] super::netlink::NetlinkError),
    #[error("timer: {0}")]
    Timer(std::io::Error),
}

impl Daemon {
    /// Open sockets and build every runnable instance; refused instances come back as errors.
    /// Must run inside the runtime.
    pub fn build(
        cfg: &config::model::Config,
    ) -> (
        Result<Daemon, DaemonError>,
        Vec<super::instance::InstanceError>,
    ) {
        let mut sockets: Vec<Arc<VrrpSocket>> = Vec::new();
        let mut by_key: HashMap<(String, Family), usize> = HashMap::new();
        let mut instances = Vec::new();
        let mut refused = Vec::new();
        for m in &cfg.instances {
            let mut socket_of = |ifname: &str, ifindex: u32, family: Family| {
                if let Some(&i) = by_key.get(&(ifname.to_string(), family)) {
                    return Ok(i);
                }
                let s = VrrpSocket::open(family, ifname, ifindex)
                    .map_err(|e| format!("cannot open a VRRP socket on {ifname}: {e}"))?;
                sockets.push(Arc::new(s));
                by_key.insert((ifname.to_string(), family), sockets.len() - 1);
                Ok(sockets.len() - 1)
            };
            match InstanceRt::build(m, &cfg.global, &mut socket_of) {
                Ok(i) => instances.push(i),
                Err(e) => refused.push(e),
            }
        }
        let mut dispatch: HashMap<(usize, u8), Vec<usize>> = HashMap::new();
        for (idx, inst) in instances.iter().enumerate() {
            dispatch
                .entry((inst.socket, inst.vrid()))
                .or_default()
                .push(idx);
            if let Some(g) = inst.group {
                if let Err(e) = sockets[inst.socket].join(g) {
                    tracing::error!("{}: cannot join {g} on {}: {e}", inst.name, inst.ifname);
                }
            }
        }
        // Open the GARP senders now: the first announcement must not wait for a socket.
        let mut garp = GarpSenders::default();
        for inst in &instances {
            for v in &inst.vips {
                if let Err(e) = garp.get(&v.ifname, v.ifindex) {
                    tracing::warn!("{}: {e}", inst.name);
                }
            }
        }
        let netlink = match Netlink::connect() {
            Ok(n) => n,
            Err(e) => return (Err(e.into()), refused),
        };
        let (queries_tx, queries_rx) = mpsc::channel(16);
        let d = Daemon {
            clock: Clock::start(),
            queue: DeadlineQueue::new(),
            instances,
            sockets,
            dispatch,
            netlink,
            garp,
            actions: Vec::new(),
            txbuf: vec![0u8; RECV_BUF + 64],
            queries_tx,
            queries_rx,
            events: broadcast::channel(EVENT_BACKLOG).0,
        };
        (Ok(d), refused)
    }

    /// A handle for status queries while `serve` runs.
    pub fn handle(&self) -> Handle {
        Handle {
            tx: self.queries_tx.clone(),
            events: self.events.clone(),
        }
    }

    fn now(&self) -> Time {
        Time(self.clock.now())
    }

    /// Run until TERM/INT, then stop gracefully: priority 0 from every master, VIPs and routes
    /// removed.
    pub async fn serve(&mut self, mut signals: Signals) -> Result<(), DaemonError> {
        let mut timer = Timer::new(self.clock).map_err(DaemonError::Timer)?;
        let (pkt_tx, mut pkt_rx) = mpsc::channel::<(usize, Received, Vec<u8>)>(RX_QUEUE);
        let mut readers = Vec::new();
        for (i, s) in self.sockets.iter().enumerate() {
            readers.push(tokio::spawn(read_socket(i, s.clone(), pkt_tx.clone())));
        }
        drop(pkt_tx);

        for idx in 0..self.instances.len() {
            let now = self.now();
            self.feed(idx, now, Input::Startup).await;
        }
        match sd_notify::notify("READY=1") {
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot notify systemd: {e}"),
        }
        tracing::info!("vrrpd started with {} instance(s)", self.instances.len());

        loop {
            timer
                .arm(self.queue.earliest())
                .map_err(DaemonError::Timer)?;
            tokio::select! {
                biased;
                sig = signals.recv() => match sig {
                    SigFunc::Stop => break,
                    SigFunc::Reload => tracing::warn!(
                        "reload (HUP) is not supported yet; restart vrrpd to apply a new config"
                    ),
                    SigFunc::Stats | SigFunc::StatsClear | SigFunc::Json | SigFunc::Data => {
                        self.dump(sig);
                    }
                },
                r = timer.expired() => {
                    r.map_err(DaemonError::Timer)?;
                    self.run_due().await;
                }
                Some((sock, rx, buf)) = pkt_rx.recv() => {
                    self.on_datagram(sock, &rx, &buf).await;
                }
                Some(q) = self.queries_rx.recv() => match q {
                    Query::Snapshot(reply) => {
                        let _ = reply.send(self.snapshot());
                    }
                    Query::ClearStats { instances, reply } => {
                        let _ = reply.send(self.clear_stats(&instances));
                    }
                },
            }
        }

        let _ = sd_notify::notify("STOPPING=1");
        tracing::info!("stopping");
        for r in &readers {
            r.abort();
        }
        for idx in 0..self.instances.len() {
            let now = self.now();
            self.feed(idx, now, Input::Shutdown).await;
            if self.instances[idx].vips_set {
                self.remove_vips(idx).await;
            }
        }
        tracing::info!("stopped");
        Ok(())
    }

    /// Every instance's status and counters.
    pub fn snapshot(&self) -> Vec<InstanceSnapshot> {
        self.instances.iter().map(InstanceRt::snapshot).collect()
    }

    fn dump(&mut self, sig: SigFunc) {
        let snap = self.snapshot();
        let r = match sig {
            SigFunc::Stats | SigFunc::StatsClear => dump::write_stats(&snap),
            SigFunc::Json => dump::write_json(&snap),
            _ => dump::write_data(&snap),
        };
        match r {
            Ok(path) => tracing::info!("Printing VRRP {} to {}", dump::what(sig), path.display()),
            Err(e) => tracing::error!("cannot write the {} dump: {e}", dump::what(sig)),
        }
        if sig == SigFunc::StatsClear {
            self.clear_stats(&[]);
        }
    }

    /// Zero every counter of the named instances (all when `names` is empty), as keepalived's
    /// STATS_CLEAR does; returns the names cleared.
    fn clear_stats(&mut self, names: &[String]) -> Vec<String> {
        let mut cleared = Vec::new();
        for i in &mut self.instances {
            if names.is_empty() || names.contains(&i.name) {
                i.rx = Default::default();
                i.fsm.clear_counters();
                cleared.push(i.name.clone());
            }
        }
        cleared
    }

    /// Handle every instance whose deadline has passed.
    async fn run_due(&mut self) {
        let now = self.now();
        while let Some(idx) = self.queue.pop_due(now.0) {
            let due = self.instances[idx]
                .fsm
                .next_deadline()
                .is_some_and(|d| d <= now);
            if due {
                self.feed(idx, now, Input::TimerExpired).await;
            } else {
                let next = self.instances[idx].fsm.next_deadline();
                self.queue.schedule(idx, next.map(|t| t.0));
            }
        }
    }

    async fn on_datagram(&mut self, sock: usize, rx: &Received, buf: &[u8]) {
        let family = self.sockets[sock].family;
        let pkt = match receive::decode(family, buf, rx) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(
                    "{}: dropped a datagram from {}: {e}",
                    self.sockets[sock].ifname,
                    rx.src
                );
                return;
            }
        };
        let vrid = pkt.parsed.advert.vrid;
        let Some(candidates) = self.dispatch.get(&(sock, vrid)) else {
            tracing::trace!("advert for unknown VRID {vrid} from {}", pkt.src);
            return;
        };
        let idx = match candidates.as_slice() {
            [only] => *only,
            many => match many
                .iter()
                .find(|&&i| self.instances[i].claims(pkt.src, pkt.dst))
            {
                Some(&i) => i,
                None => return,
            },
        };
        let inst = &mut self.instances[idx];
        // Dispatcher check 0d: no adverts in FAULT or INIT (nor STOP).
        if matches!(
            inst.fsm.state(),
            State::Fault | State::Initialize | State::Stop
        ) {
            return;
        }
        // 0e: IPv6 multicast/unicast mismatch is discarded silently.
        if family == Family::V6 && pkt.dst.is_multicast() == inst.is_unicast() {
            return;
        }
        let verdict = receive::check(&pkt, &inst.policy(pkt.src));
        match verdict {
            Ok(a) => {
                let now = self.now();
                self.feed(
                    idx,
                    now,
                    Input::AdvertReceived {
                        src: a.src,
                        priority: a.priority,
                        advert_int_cs: a.advert_int_cs,
                    },
                )
                .await;
            }
            Err(r) => {
                inst.rx.record(&r);
                tracing::info!("({}) {} (from {})", inst.name, r.message, pkt.src);
            }
        }
    }

    /// Feed one input to instance `idx`, perform what it asks, re-arm its deadline.
    async fn feed(&mut self, idx: usize, now: Time, input: Input) {
        let mut actions = std::mem::take(&mut self.actions);
        actions.clear();
        self.instances[idx]
            .fsm
            .handle_into(now, input, &mut actions);
        for a in &actions {
            self.perform(idx, a).await;
        }
        self.actions = actions;
        let next = self.instances[idx].fsm.next_deadline();
        self.queue.schedule(idx, next.map(|t| t.0));
    }

    async fn perform(&mut self, idx: usize, action: &Action) {
        match action {
            Action::SendAdvert { priority } => self.send_advert(idx, *priority),
            Action::AddVips => self.add_vips(idx).await,
            Action::RemoveVips => self.remove_vips(idx).await,
            Action::SendGarp { count } => self.send_garp(idx, *count),
            Action::Transition { from, to, reason } => {
                let inst = &mut self.instances[idx];
                inst.last_transition_wall = Some(SystemTime::now());
                tracing::info!(
                    "{}: {from} -> {to} ({reason}, prio {})",
                    inst.name,
                    inst.fsm.effective_priority()
                );
                // No subscriber is not an error.
                let _ = self.events.send(Event::Transition {
                    ts: epoch_now(),
                    instance: inst.name.clone(),
                    from: from.to_string(),
                    to: to.to_string(),
                    reason: reason.to_string(),
                    effective_priority: inst.fsm.effective_priority(),
                });
            }
            Action::Notify(state) => {
                tracing::debug!("{}: notify {state}", self.instances[idx].name);
            }
            Action::NotifyMasterRxLowerPri => {
                tracing::debug!("{}: notify master_rx_lower_pri", self.instances[idx].name);
            }
        }
    }

    fn send_advert(&mut self, idx: usize, priority: u8) {
        let inst = &self.instances[idx];
        let advert = inst.advert(priority);
        let sock = &self.sockets[inst.socket];
        let mut result = Ok(());
        for dst in inst.targets() {
            let r = match (inst.src, dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    let mut meta = Ipv4Meta::keepalived(s, d);
                    if inst.is_unicast() {
                        meta.ttl = inst.unicast_ttl;
                    }
                    wire::emit_ipv4_packet(
                        &advert,
                        &meta,
                        ChecksumKind::PseudoHeader,
                        &mut self.txbuf,
                    )
                    .map_err(|e| std::io::Error::other(e.to_string()))
                    .and_then(|n| sock.send_v4(&self.txbuf[..n], d))
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => wire::emit_advert(
                    &advert,
                    s.into(),
                    d.into(),
                    ChecksumKind::PseudoHeader,
                    &mut self.txbuf,
                )
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|n| sock.send_v6(&self.txbuf[..n], s, d)),
                // Families are checked when the instance is built.
                _ => Ok(()),
            };
            if r.is_err() {
                result = r.map_err(|e| (dst, e));
            }
        }
        let inst = &mut self.instances[idx];
        match result {
            Err((dst, e)) if !inst.send_failing => {
                inst.send_failing = true;
                tracing::warn!("{}: cannot send an advert to {dst}: {e}", inst.name);
            }
            Ok(()) if inst.send_failing => {
                inst.send_failing = false;
                tracing::info!("{}: sending adverts again", inst.name);
            }
            _ => {}
        }
    }

    async fn add_vips(&mut self, idx: usize) {
        let inst = &self.instances[idx];
        for v in &inst.vips {
            if let Err(e) = self.netlink.add_vip(v).await {
                tracing::error!("{}: {e}", inst.name);
            }
        }
        for r in &inst.routes {
            if let Err(e) = self.netlink.add_route(r).await {
                tracing::error!("{}: {e}", inst.name);
            }
        }
        self.instances[idx].vips_set = true;
    }

    async fn remove_vips(&mut self, idx: usize) {
        let inst = &self.instances[idx];
        for r in &inst.routes {
            if let Err(e) = self.netlink.del_route(r).await {
                tracing::error!("{}: {e}", inst.name);
            }
        }
        for v in &inst.vips {
            if let Err(e) = self.netlink.del_vip(v).await {
                tracing::error!("{}: {e}", inst.name);
            }
        }
        self.instances[idx].vips_set = false;
    }

    fn send_garp(&mut self, idx: usize, count: u32) {
        let inst = &self.instances[idx];
        for v in &inst.vips {
            let sender = match self.garp.get(&v.ifname, v.ifindex) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("{}: {e}", inst.name);
                    continue;
                }
            };
            for _ in 0..count {
                if let Err(e) = sender.announce(v.addr) {
                    tracing::warn!("{}: gratuitous ARP/NA for {}: {e}", inst.name, v.addr);
                    break;
                }
            }
        }
    }
}

/// Read datagrams from one socket and pass them to the loop, until the loop goes away.
async fn read_socket(
    idx: usize,
    sock: Arc<VrrpSocket>,
    tx: mpsc::Sender<(usize, Received, Vec<u8>)>,
) {
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        match sock.recv(&mut buf).await {
            Ok(rx) => {
                let data = buf[..rx.len.min(buf.len())].to_vec();
                if tx.send((idx, rx, data)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("{}: receive error: {e}", sock.ifname);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}
