//! The event loop: one tokio current-thread runtime, one task owning the node (every
//! instance). It waits on the single timer (the node's earliest deadline), the raw sockets,
//! link/address events, signals and status queries; it feeds them to the node and performs
//! the effects. It never waits on an effect: consecutive adverts of one input (a pacing batch)
//! leave together in one non-blocking sendmmsg per socket; the address changes and GARPs of
//! the input go to the address worker (addresses.rs, garp.rs) in order after its adverts, so
//! that every instance's advert precedes its VIPs and its VIPs precede their GARPs, as in
//! keepalived. A readable socket is read until it is empty (receive.rs); datagrams of several
//! sockets ready at once are handled in the order they arrived.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config;
use crate::control::snapshot::{epoch_now, GroupStats, InterfaceCount};
use crate::control::{Event, InstanceSnapshot, NodeStats};
use crate::fsm::Time;
use crate::node::{self, Effect, Family, HostView, Input, InstanceId, InstanceSpec, Node};

use super::addresses::{AddrJob, AddressWorker};
use super::control::ControlSocket;
use super::garp::{GarpJob, GarpPacer};
use super::host::{HostSnapshot, SystemHost};
use super::instance::{self, InstanceIo};
use super::netlink::NetlinkError;
use super::nftables::{self, Firewall};
use super::notify::{self, Notifier, Subject};
use super::signals::{SigFunc, Signals};
use super::socket::{Outgoing, VrrpSocket, RECV_BUF};
use super::timers::{Clock, Timer};
use super::track_file::FileTrackers;
use super::track_process::ProcessMonitor;
use super::track_script::{ScriptTrackers, TrackerReport};
use super::vmac::Vmacs;
use super::{demotion, dump, linkwatch, metrics_http, pidfile, privileges, sd_notify};

mod firewall;
mod receive;
mod reload;

/// keepalived's exit code for a configuration that cannot run.
const EXIT_CONFIG: u8 = 2;
/// `vrrpd -t` when a script would be disabled: keepalived -t's KEEPALIVED_CHK_EXIT_CONFIG_TEST.
const EXIT_CONFIG_TEST_SCRIPT: u8 = 5;

/// Events kept for a slow `watch` subscriber before it is told it lagged.
const EVENT_BACKLOG: usize = 256;

/// A request from outside the loop (the control server, the metrics endpoint).
pub enum Query {
    Snapshot(oneshot::Sender<Vec<InstanceSnapshot>>),
    /// The node-wide counters (unknown VRIDs, scripts, sync groups' notify failures).
    NodeStats(oneshot::Sender<NodeStats>),
    /// Zero the counters of the named instances (all when empty); answers the names cleared.
    ClearStats {
        instances: Vec<String>,
        reply: oneshot::Sender<Vec<String>>,
    },
    /// Demote (`reason: Some`) or restore (`None`) the named instances (all when empty).
    Demote {
        instances: Vec<String>,
        reason: Option<String>,
        force: bool,
        reply: oneshot::Sender<Result<Vec<String>, DemoteError>>,
    },
}

/// Why a demote or restore was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoteError {
    #[error("no vrrp_instance named {}", .0.join(", "))]
    Unknown(Vec<String>),
    #[error("{0}")]
    NoPeer(String),
    #[error("cannot record the demotion in {0}")]
    Save(String),
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

    /// The node-wide counters; None when the daemon has stopped.
    pub async fn node_stats(&self) -> Option<NodeStats> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Query::NodeStats(tx)).await.ok()?;
        rx.await.ok()
    }

    /// As [`Handle::node_stats`], from a thread outside the runtime (the metrics endpoint).
    pub fn node_stats_blocking(&self) -> Option<NodeStats> {
        let (tx, rx) = oneshot::channel();
        self.tx.blocking_send(Query::NodeStats(tx)).ok()?;
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

    /// Demote (`reason: Some`) or restore (`None`) instances; None when the daemon has stopped.
    pub async fn demote(
        &self,
        instances: Vec<String>,
        reason: Option<String>,
        force: bool,
    ) -> Option<Result<Vec<String>, DemoteError>> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Query::Demote {
                instances,
                reason,
                force,
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Transitions and priority changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

/// What `vrrpd` was asked to do (its flags, as plain data: the clap definitions live in
/// `cli::vrrpd` with vrrpctl's).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub config: PathBuf,
    pub pidfile: Option<PathBuf>,
    pub socket: PathBuf,
    /// Group of the control socket (None: vrrpd's own).
    pub socket_group: Option<String>,
    /// Serve Prometheus metrics over HTTP here.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `-t`: check the configuration and exit.
    pub config_test: bool,
    /// `--signum=NAME`: print the signal number and exit.
    pub signum: Option<String>,
}

/// `vrrpd`: check or run the configuration named by `args`.
pub fn run(args: Options) -> ExitCode {
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
    one_malloc_arena();
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
        let mut loaded = loaded;
        let users = super::script_user::ScriptUsers::new(&loaded.config.global);
        super::script_security::apply(&mut loaded.config, &users).log();
        let global = loaded.config.global.clone();
        if let Some(s) = &global.startup_script {
            notify::run_lifecycle_script("startup", s, global.startup_script_timeout, &users).await;
        }
        let (daemon, refused) = Daemon::build(&loaded.config);
        // The parsed file (every token with its span) is several KiB per instance and nothing
        // reads it after the build: give it back (1,000 instances: ~5 MiB of RSS).
        drop(loaded);
        release_freed_memory();
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
        daemon.config_path = args.config.clone();
        if daemon.node.is_empty() {
            tracing::error!("no vrrp_instance can run; exiting");
            return ExitCode::from(EXIT_CONFIG);
        }
        if !global.vrrp_startup_delay.is_zero() {
            // keepalived's line (vrrp_daemon.c); the fsm holds the backups' down timers.
            tracing::info!(
                "Delaying startup for {} seconds",
                global.vrrp_startup_delay.as_secs_f64()
            );
        }
        let _pidfile = match args.pidfile.as_deref().map(pidfile::PidFile::create) {
            Some(Err(e)) => {
                tracing::error!("cannot write the pid file: {e}");
                return ExitCode::from(1);
            }
            Some(Ok(p)) => Some(p),
            None => None,
        };
        daemon.restore_demotions(demotion::path_for(&args.socket));
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
        let users = daemon.notifier.users().clone();
        // Everything that needed more than networking is done (files, binds); scripts
        // exec'd as root still get the whole bounding set (privileges.rs says why).
        match privileges::drop_unneeded() {
            Ok(d) if d.permitted_before != d.permitted_after => tracing::info!(
                "capabilities dropped: permitted {:#x} -> {:#x}",
                d.permitted_before,
                d.permitted_after
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot drop capabilities: {e}"),
        }
        let code = match daemon.serve(signals).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::from(1)
            }
        };
        if let Some(s) = &global.shutdown_script {
            notify::run_lifecycle_script("shutdown", s, global.shutdown_script_timeout, &users)
                .await;
        }
        code
    })
}

/// Return the allocator's free pages to the kernel (glibc keeps them in the heap otherwise).
/// The largest effects buffer `with_node` keeps between inputs.
const KEPT_EFFECTS_CAPACITY: usize = 256;

/// glibc gives every thread that allocates an arena of its own (the address worker, the
/// control server): each keeps the high-water mark of its thread's bursts (a mass takeover's
/// jobs) resident. Our threads allocate little and rarely contend, so one arena serves all.
fn one_malloc_arena() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets an allocator parameter; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

pub(super) fn release_freed_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `vrrpd -t`: the lint machinery on the config plus the daemon's own instance building
/// against this host, diagnostics on stderr, exit 0 (vrrpd would run every instance as
/// written) or 1 (errors, a refused instance, a `not-run-by-vrrpd` keyword, or the file cannot
/// be read). `not-vrrp` and `tuning-ignored` notes are listed but pass. Opens no socket.
fn config_test(args: &Options) -> ExitCode {
    let report = match crate::lint::check_config(&args.config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vrrpd: {e}");
            return ExitCode::from(1);
        }
    };
    let text = crate::lint::render::text(&report, false);
    if !text.is_empty() {
        eprint!("{text}");
    }
    let mut refused = 0;
    let count = |kind: config::NotRun| {
        report
            .configs
            .iter()
            .flat_map(|l| &l.diagnostics)
            .filter(|d| d.code == kind.code())
            .count()
    };
    // Only what would change the VRRP side fails the test: the unit's ExecStartPre runs it,
    // and a config that also feeds keepalived's checker (virtual_server...) must still start.
    let not_run = count(config::NotRun::Vrrp);
    let (other, tuning) = (
        count(config::NotRun::OtherProcess),
        count(config::NotRun::Tuning),
    );
    if other + tuning > 0 {
        eprintln!(
            "note: vrrpd ignores {other} keyword(s) or block(s) of keepalived's other processes (not-vrrp) and {tuning} of process tuning (tuning-ignored); they do not fail vrrpd -t"
        );
    }
    if not_run > 0 {
        eprintln!(
            "error: the config uses {not_run} keyword(s) or block(s) that vrrpd reads but does not run (the not-run-by-vrrpd notes above); vrrpd -t fails until they are run or removed"
        );
        refused += 1;
    }
    let mut disabled = 0;
    for loaded in &report.configs {
        // The scripts as they are on this host, keepalived's way: a script it would disable
        // (missing, not executable, or insecure under enable_script_security) is named with
        // keepalived's line and fails the test with keepalived -t's status (5).
        let mut cfg = loaded.config.clone();
        let users = super::script_user::ScriptUsers::new(&cfg.global);
        let scripts = super::script_security::apply(&mut cfg, &users);
        for line in &scripts.disabled {
            eprintln!("{line}");
            disabled += 1;
        }
        if let Some(v) = &scripts.violation {
            // keepalived -t exits 6 here; vrrpd -t warns only (see README: ExecStartPre).
            eprintln!("warning: {v}");
        }
        let (_, errors) = node::build_all(&cfg, &HostSnapshot::take());
        for e in errors {
            eprintln!("error: {e}; vrrpd would not start this instance");
            refused += 1;
        }
    }
    if disabled > 0 {
        return ExitCode::from(EXIT_CONFIG_TEST_SCRIPT);
    }
    ExitCode::from(u8::from(report.has_errors() || refused > 0))
}
/// The node and the I/O it runs on.
pub struct Daemon {
    clock: Clock,
    pub node: Node,
    /// The daemon's side of each instance, by the node's id.
    io: HashMap<InstanceId, InstanceIo>,
    sockets: Vec<Arc<VrrpSocket>>,
    addresses: AddressWorker,
    /// Reused buffer: the effects of one input.
    effects: Vec<Effect>,
    /// The adverts of the input being performed, by socket, with the instance each is from.
    outbox: Vec<(Vec<Outgoing>, Vec<InstanceId>)>,
    /// Its address and GARP jobs, submitted after the adverts have left.
    jobs: Vec<AddrJob>,
    queries_tx: mpsc::Sender<Query>,
    queries_rx: mpsc::Receiver<Query>,
    /// Tracker workers report here; the loop feeds `Node::set_tracker`.
    trackers_tx: mpsc::UnboundedSender<TrackerReport>,
    trackers_rx: mpsc::UnboundedReceiver<TrackerReport>,
    scripts: ScriptTrackers,
    /// vrrp_track_process: the process-event thread, while some instance tracks a process.
    processes: Option<ProcessMonitor>,
    /// track_file: the inotify thread.
    files: FileTrackers,
    notifier: Notifier,
    /// The config's sync groups (their notify scripts).
    sync_groups: Vec<config::model::SyncGroup>,
    /// The config's global_defs (a sync group's smtp_alert default).
    global: config::model::GlobalDefs,
    /// What keepalived's dump files show beyond the node (global_defs, script blocks...).
    dump_view: dump::ConfigView,
    /// The file HUP re-reads.
    pub config_path: std::path::PathBuf,
    events: broadcast::Sender<Event>,
    /// Where demotions are recorded (beside the control socket); None: not recorded.
    demotion_file: Option<PathBuf>,
    /// The use_vmac interfaces (removed at stop, or when the daemon is dropped).
    vmacs: Vmacs,
    /// The nftables table: the VIP filter of no_accept masters, the VMACs' IGMP/MLD rules.
    firewall: Firewall,
    /// The promote_secondaries sysctls this run raised (put back at stop).
    promote: super::promote_secondaries::PromoteSecondaries,
    /// With log_unknown_vrids: the socket of the datagram being handled (for its log line).
    rx_socket: Option<usize>,
    /// Datagrams of several ready sockets, read before any is handled (receive.rs).
    rx_queue: receive::RxQueue,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    #[error("timer: {0}")]
    Timer(std::io::Error),
}

impl Daemon {
    /// Build every runnable instance and open their sockets; refused instances come back as
    /// errors. Must run inside the runtime.
    pub fn build(
        cfg: &config::model::Config,
    ) -> (Result<Daemon, DaemonError>, Vec<node::BuildError>) {
        let host = HostSnapshot::take();
        let (specs, mut refused) = node::build_all(cfg, &host);
        let mut specs = specs;
        let mut vmacs = Vmacs::default();
        let failed = vmacs.create(&specs);
        refuse_failed(&mut specs, &mut refused, failed);
        // The VMACs exist now: their sockets and VIPs resolve against them.
        let host = if vmacs.is_empty() {
            host
        } else {
            HostSnapshot::take()
        };
        let mut sockets: Vec<Arc<VrrpSocket>> = Vec::new();
        let mut by_key: HashMap<(String, Family), usize> = HashMap::new();
        let mut runnable = Vec::new();
        let mut ios = Vec::new();
        let mut opened = Vec::new();
        for spec in specs.drain(..) {
            match open_io(&spec, &host, &mut sockets, &mut by_key) {
                Ok(io) => opened.push((spec, io)),
                Err(reason) => refused.push(node::BuildError {
                    name: spec.name.clone(),
                    span: spec.span.clone(),
                    reason,
                }),
            }
        }
        // A group member without a socket takes its group down with it.
        let mut kept: Vec<InstanceSpec> = opened.iter().map(|(s, _)| s.clone()).collect();
        node::refuse_half_groups(cfg, &mut kept, &mut refused);
        for (spec, io) in opened {
            if kept.iter().any(|k| k.name == spec.name) {
                runnable.push(spec);
                ios.push(io);
            }
        }
        let pacer = GarpPacer::new(cfg.global.vrrp_garp_interval, cfg.global.vrrp_gna_interval);
        let addresses = match AddressWorker::start(pacer) {
            Ok(w) => w,
            Err(e) => return (Err(e.into()), refused),
        };
        for s in runnable.iter().filter(|s| s.no_peer_fault) {
            // keepalived's line (vrrp.c, vrrp_complete_instance).
            tracing::info!(
                "({}) {} - going to fault state",
                s.name,
                node::NO_PEER_FAULT
            );
        }
        let firewall = Firewall::start(nftables::Settings::of(&cfg.global, runnable.iter()));
        let node = Node::new(runnable, &host);
        let mut promote = super::promote_secondaries::PromoteSecondaries::default();
        promote.apply(&super::promote_secondaries::wanted(cfg, |name| {
            node.instances().any(|(_, i)| i.spec.name == name)
        }));
        let io = node
            .instances()
            .map(|(id, _)| id)
            .zip(ios)
            .collect::<HashMap<_, _>>();
        let (queries_tx, queries_rx) = mpsc::channel(16);
        let (trackers_tx, trackers_rx) = mpsc::unbounded_channel();
        let used = |name: &str| {
            node.instances().any(|(_, i)| {
                i.spec
                    .trackers
                    .iter()
                    .any(|t| t.id.kind == node::TrackerKind::Script && t.id.name == name)
            })
        };
        let notifier = Notifier::new(&cfg.global);
        let scripts = ScriptTrackers::start(&cfg.scripts, &used, notifier.users(), &trackers_tx);
        super::track_file::init_files(&cfg.track_files, false);
        let files = FileTrackers::start(&used_files(cfg, &node), &trackers_tx);
        let processes = start_processes(cfg, &node, None, &trackers_tx);
        let mut d = Daemon {
            clock: Clock::start(),
            node,
            io,
            sockets,
            addresses,
            effects: Vec::new(),
            outbox: Vec::new(),
            jobs: Vec::new(),
            queries_tx,
            queries_rx,
            trackers_tx,
            trackers_rx,
            config_path: std::path::PathBuf::new(),
            scripts,
            processes,
            files,
            notifier,
            sync_groups: cfg.sync_groups.clone(),
            global: cfg.global.clone(),
            dump_view: dump::ConfigView::of(cfg),
            events: broadcast::channel(EVENT_BACKLOG).0,
            demotion_file: None,
            vmacs,
            firewall,
            promote,
            rx_socket: None,
            rx_queue: receive::RxQueue::default(),
        };
        d.sync_vmac_rules();
        (Ok(d), refused)
    }

    /// The interface of the datagram being handled (log_unknown_vrids).
    fn rx_ifname(&self) -> &str {
        self.rx_socket
            .and_then(|s| self.sockets.get(s))
            .map_or("", |s| s.ifname.as_str())
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
    pub async fn serve(mut self, mut signals: Signals) -> Result<(), DaemonError> {
        let mut timer = Timer::new(self.clock).map_err(DaemonError::Timer)?;
        let mut rx_buf = vec![0u8; RECV_BUF];
        // The socket looked at first, so that a busy one cannot starve the others.
        let mut rx_next = 0usize;
        // The sockets found readable at one wake-up.
        let mut ready: Vec<usize> = Vec::new();
        let mut links = match linkwatch::start() {
            Ok(rx) => Some(rx),
            Err(e) => {
                tracing::warn!("cannot watch link and address changes: {e}");
                None
            }
        };

        self.remove_leftovers().await;
        // The trackers' start-up results (process scan, file values) before the instances
        // start, as keepalived initialises its tracking priorities.
        while let Ok(report) = self.trackers_rx.try_recv() {
            let now = self.now();
            self.with_node(|node, out| node.set_tracker(now, &report.tracker, report.state, out));
        }
        self.input(Input::Startup);
        match sd_notify::notify("READY=1") {
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot notify systemd: {e}"),
        }
        tracing::info!("vrrpd started with {} instance(s)", self.node.len());
        let mut watchdog = super::watchdog::Watchdog::from_env();

        loop {
            timer
                .arm(self.node.next_deadline().map(|t| t.0))
                .map_err(DaemonError::Timer)?;
            tokio::select! {
                biased;
                sig = signals.recv() => match sig {
                    SigFunc::Stop => break,
                    SigFunc::Reload => self.reload(),
                    SigFunc::Stats | SigFunc::StatsClear | SigFunc::Json | SigFunc::Data => {
                        self.dump(sig);
                    }
                },
                r = timer.expired() => {
                    r.map_err(DaemonError::Timer)?;
                    self.input(Input::TimerExpired);
                }
                () = receive::readable(&self.sockets, rx_next, &mut ready) => {
                    rx_next = ready[0] + 1;
                    self.drain_ready(&ready, &mut rx_buf);
                }
                Some(report) = self.trackers_rx.recv() => {
                    let now = self.now();
                    self.with_node(|node, out| node.set_tracker(now, &report.tracker, report.state, out));
                }
                Some(change) = async { links.as_mut()?.recv().await } => {
                    // Everything already queued at once: adding 200 VIPs echoes 200 events.
                    let mut changes = vec![change];
                    if let Some(rx) = links.as_mut() {
                        while let Ok(c) = rx.try_recv() {
                            changes.push(c);
                        }
                    }
                    self.on_link_changes(&changes);
                }
                _ = watchdog.due() => watchdog.ping(),
                Some(q) = self.queries_rx.recv() => match q {
                    Query::Snapshot(reply) => {
                        let _ = reply.send(self.snapshot());
                    }
                    Query::NodeStats(reply) => {
                        let _ = reply.send(self.node_stats());
                    }
                    Query::ClearStats { instances, reply } => {
                        let _ = reply.send(self.clear_counters(&instances));
                    }
                    Query::Demote { instances, reason, force, reply } => {
                        let _ = reply.send(self.demote(&instances, reason, force));
                    }
                },
            }
        }

        let _ = sd_notify::notify("STOPPING=1");
        tracing::info!("stopping");
        self.notifier.shutting_down();
        self.input(Input::Shutdown);
        drop(std::mem::take(&mut self.scripts));
        self.processes = None;
        self.files = FileTrackers::none();
        // Whatever is still on the system (an instance that was never master cannot be).
        let ids: Vec<InstanceId> = self.io.keys().copied().collect();
        for id in ids {
            if self.io.get(&id).is_some_and(|io| io.vips_set) {
                self.remove_vips(id);
            }
        }
        self.flush();
        self.addresses.finish().await;
        // After the goodbye adverts and VIP removals: the macvlans go last, as in keepalived,
        // then the nftables table.
        self.vmacs.remove_all();
        self.firewall.stop();
        self.promote.restore();
        std::mem::take(&mut self.notifier).finish().await;
        tracing::info!("stopped");
        Ok(())
    }

    /// VIPs of ours already on the system belong to a previous run that died without cleaning
    /// up (SIGKILL, OOM): remove them before the first advert, as keepalived does at start, or
    /// a backup would keep answering for them.
    async fn remove_leftovers(&mut self) {
        let host = HostSnapshot::take();
        let mut any = false;
        for (id, io) in &self.io {
            let present: Vec<_> = io
                .vips
                .iter()
                .filter(|v| {
                    host.interface(&v.ifname)
                        .is_some_and(|i| i.addrs.contains(&v.addr))
                })
                .cloned()
                .collect();
            if present.is_empty() {
                continue;
            }
            let instance = name_of(&self.node, *id);
            for v in &present {
                tracing::warn!("{instance}: removing {v}, left over by a previous run");
            }
            any = true;
            self.addresses.submit(AddrJob::Remove {
                instance,
                vips: present,
                routes: io.routes.clone(),
            });
        }
        if any {
            self.addresses.flush().await;
        }
    }

    /// Record demotions in `path` from now on, and demote what it lists (before `serve`
    /// starts the instances, so they start held in BACKUP).
    pub fn restore_demotions(&mut self, path: PathBuf) {
        let recorded = demotion::load(&path);
        let now = self.now();
        let mut effects = Vec::new();
        for (name, reason) in recorded {
            match self.node.by_name(&name) {
                Some(id) => {
                    tracing::info!(
                        "{name}: still demoted ({reason}); `vrrpctl restore {name}` ends it"
                    );
                    self.node.demote(now, id, reason, &mut effects);
                }
                None => tracing::warn!(
                    "{}: demoted instance {name} is no longer configured",
                    path.display()
                ),
            }
        }
        for e in effects {
            self.perform(e);
        }
        self.flush();
        self.demotion_file = Some(path);
    }

    /// `vrrpctl demote` / `restore`: the names changed, or why nothing was.
    fn demote(
        &mut self,
        names: &[String],
        reason: Option<String>,
        force: bool,
    ) -> Result<Vec<String>, DemoteError> {
        let ids: Vec<(InstanceId, String)> = self
            .node
            .instances()
            .filter(|(_, i)| names.is_empty() || names.contains(&i.spec.name))
            .map(|(id, i)| (id, i.spec.name.clone()))
            .collect();
        let unknown: Vec<String> = names
            .iter()
            .filter(|n| !ids.iter().any(|(_, m)| m == *n))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(DemoteError::Unknown(unknown));
        }
        // A member of a vrrp_sync_group takes its whole group along (node's demotion_scope).
        let mut scope: Vec<InstanceId> = Vec::new();
        for (id, _) in &ids {
            for m in self.node.demotion_scope(*id) {
                if !scope.contains(&m) {
                    scope.push(m);
                }
            }
        }
        let ids: Vec<(InstanceId, String)> = scope
            .into_iter()
            .filter_map(|id| Some((id, self.node.get(id)?.spec.name.clone())))
            .collect();
        let now = self.now();
        if let (Some(_), false) = (&reason, force) {
            let lonely: Vec<String> = ids
                .iter()
                .filter_map(|(id, name)| {
                    let i = self.node.get(*id)?;
                    if i.demoted.is_some() {
                        return None;
                    }
                    let mdi = Time(i.fsm.master_down_interval().as_micros() as u64);
                    // A backup hears its master; a master hears nobody (backups are silent),
                    // so for it "a peer exists" means one was heard since vrrpd started.
                    let ok = match (i.fsm.state(), i.last_heard) {
                        (_, None) => false,
                        (crate::fsm::State::Master, Some(_)) => true,
                        (_, Some(t)) => now.0.saturating_sub(t.0) <= mdi.0,
                    };
                    (!ok).then(|| name.clone())
                })
                .collect();
            if !lonely.is_empty() {
                return Err(DemoteError::NoPeer(format!(
                    "no other VRRP router was heard for {} (within Master_Down_Interval, or ever for a master): demoting would leave its addresses with nobody; add --force to demote anyway",
                    lonely.join(", ")
                )));
            }
        }
        let mut effects = Vec::new();
        for (id, _) in &ids {
            match &reason {
                Some(r) => self.node.demote(now, *id, r.clone(), &mut effects),
                None => self.node.restore(now, *id, &mut effects),
            }
        }
        for e in effects {
            self.perform(e);
        }
        self.flush();
        if let Some(path) = &self.demotion_file {
            let recorded: demotion::Demotions = self
                .node
                .instances()
                .filter_map(|(_, i)| i.demoted.clone().map(|r| (i.spec.name.clone(), r)))
                .collect();
            if let Err(e) = demotion::save(path, &recorded) {
                tracing::error!("cannot record demotions in {}: {e}", path.display());
                return Err(DemoteError::Save(format!("{}: {e}", path.display())));
            }
        }
        for (id, name) in &ids {
            // Named by the operator, or taken along by its sync group.
            let along = match self
                .node
                .get(*id)
                .and_then(|i| i.spec.sync_group.as_deref())
            {
                Some(g) if !names.is_empty() && !names.contains(name) => {
                    format!(" with its vrrp_sync_group {g}")
                }
                _ => String::new(),
            };
            match &reason {
                Some(r) => tracing::info!("{name}: demoted{along} ({r})"),
                None => tracing::info!("{name}: restored{along}"),
            }
        }
        Ok(ids.into_iter().map(|(_, n)| n).collect())
    }

    /// Every instance's status and counters.
    pub fn snapshot(&self) -> Vec<InstanceSnapshot> {
        let failures = self.notifier.failures.lock().ok();
        self.node
            .instances()
            .filter_map(|(id, i)| {
                let mut snap = instance::snapshot(i, self.io.get(&id)?);
                snap.stats.notify_failures = failures
                    .as_ref()
                    .and_then(|f| f.get(&(Subject::Instance, snap.name.clone())).copied())
                    .unwrap_or(0);
                Some(snap)
            })
            .collect()
    }

    /// The counters of the node as a whole.
    pub fn node_stats(&self) -> NodeStats {
        let failures = self.notifier.failures.lock().ok();
        NodeStats {
            unknown_vrid: self
                .node
                .unknown_vrid()
                .iter()
                .map(|(interface, &count)| InterfaceCount {
                    interface: interface.clone(),
                    count,
                })
                .collect(),
            scripts: self
                .scripts
                .runs
                .iter()
                .map(|(name, r)| r.stats(name))
                .collect(),
            sync_groups: self
                .sync_groups
                .iter()
                .map(|g| GroupStats {
                    name: g.name.clone(),
                    notify_failures: failures
                        .as_ref()
                        .and_then(|f| f.get(&(Subject::Group, g.name.clone())).copied())
                        .unwrap_or(0),
                })
                .collect(),
        }
    }

    /// Zero the counters of the instances named (and, for all, the node-wide ones too).
    fn clear_counters(&mut self, names: &[String]) -> Vec<String> {
        let cleared = self.node.clear_counters(names);
        if let Ok(mut f) = self.notifier.failures.lock() {
            f.retain(|(subject, name), _| {
                !names.is_empty() && (*subject == Subject::Group || !cleared.contains(name))
            });
        }
        if names.is_empty() {
            for (_, r) in &self.scripts.runs {
                r.clear();
            }
        }
        cleared
    }

    fn dump(&mut self, sig: SigFunc) {
        let snap = self.snapshot();
        let input = dump::DumpInput {
            view: &self.dump_view,
            sync_groups: &self.sync_groups,
            node: &self.node,
            io: &self.io,
            sockets: self
                .sockets
                .iter()
                .map(|s| dump::SocketView {
                    fd: s.raw_fd(),
                    ifname: s.ifname.clone(),
                    ipv6: s.family == Family::V6,
                })
                .collect(),
            scripts: &self.scripts.runs,
            now: self.now(),
            wall: epoch_now(),
        };
        let r = dump::write(sig, &input, &snap);
        match r {
            Ok(path) => tracing::info!("Printing VRRP {} to {}", dump::what(sig), path.display()),
            Err(e) => tracing::error!("cannot write the {} dump: {e}", dump::what(sig)),
        }
        if sig == SigFunc::StatsClear {
            self.clear_counters(&[]);
        }
    }

    /// Feed one input to the node and perform its effects.
    fn input(&mut self, input: Input<'_>) {
        let now = self.now();
        self.with_node(|node, out| node.handle(now, input, out));
    }

    /// Let `f` drive the node (an input, a tracker result), then perform the effects.
    fn with_node(&mut self, f: impl FnOnce(&mut Node, &mut Vec<Effect>)) {
        let mut effects = std::mem::take(&mut self.effects);
        effects.clear();
        f(&mut self.node, &mut effects);
        for e in effects.drain(..) {
            self.perform(e);
        }
        self.flush();
        // A start or a mass takeover of 1,000 instances grows the buffer to thousands of
        // effects (0.6 MB); steady state needs a few dozen, so do not keep the peak.
        if effects.capacity() > KEPT_EFFECTS_CAPACITY {
            effects = Vec::new();
        }
        self.effects = effects;
    }

    /// Re-read each interface that changed once; our own VIPs coming and going (the echo of
    /// the address worker's work) change nothing the node looks at and are skipped, unless the
    /// address is also an instance's source (an address owner's VIP is the interface's own).
    fn on_link_changes(&mut self, changes: &[linkwatch::Change]) {
        let mut indexes: Vec<u32> = changes
            .iter()
            .filter(|c| !c.addr.is_some_and(|a| self.is_own_vip(c.index, a)))
            .map(|c| c.index)
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        if indexes.first() == Some(&0) {
            indexes = vec![0];
        }
        for index in indexes {
            self.on_link_event(index);
        }
    }

    fn is_own_vip(&self, ifindex: u32, addr: IpAddr) -> bool {
        let vip = self.io.values().any(|io| {
            io.vips
                .iter()
                .any(|v| v.ifindex == ifindex && v.addr == addr)
        });
        vip && !self.node.instances().any(|(_, i)| i.spec.src == Some(addr))
    }

    /// Interfaces the node cares about: the instances' own and the tracked ones.
    fn watched_interfaces(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .node
            .instances()
            .flat_map(|(_, i)| {
                std::iter::once(i.spec.ifname.clone()).chain(
                    i.spec
                        .trackers
                        .iter()
                        .filter(|t| t.id.kind == node::TrackerKind::Interface)
                        .map(|t| t.id.name.clone()),
                )
            })
            .collect();
        all.sort();
        all.dedup();
        all
    }

    fn on_link_event(&mut self, index: u32) {
        let watched = self.watched_interfaces();
        let names: Vec<String> = if index == 0 {
            watched.clone()
        } else {
            match nix::net::if_::if_indextoname(index) {
                Ok(n) => vec![n.to_string_lossy().into_owned()],
                // Gone before we asked: whichever of ours vanished, re-check them all.
                Err(_) => watched.clone(),
            }
        };
        for name in names {
            if !watched.contains(&name) {
                continue;
            }
            let info = SystemHost.interface(&name);
            self.input(Input::Interface {
                ifname: &name,
                info,
            });
        }
    }

    fn perform(&mut self, effect: Effect) {
        // Consecutive adverts (a pacing batch) share a sendmmsg; anything else waits for them
        // to leave first, as it did when each advert was its own send: the 1,000 GARP jobs of
        // a mass delayed-GARP must not hold up the batch that falls due with them.
        if !matches!(effect, Effect::Send { .. }) {
            self.flush_sends();
        }
        match effect {
            Effect::Send {
                id,
                src,
                dst,
                bytes,
            } => self.send(id, src, dst, bytes),
            Effect::AddVips { id } => {
                if let Some(io) = self.io.get_mut(&id) {
                    io.vips_set = true;
                }
                self.sync_filter(id, true);
                if let Some(io) = self.io.get(&id) {
                    self.jobs.push(AddrJob::Add {
                        instance: name_of(&self.node, id),
                        vips: io.vips.clone(),
                        routes: io.routes.clone(),
                    });
                }
            }
            Effect::RemoveVips { id } => self.remove_vips(id),
            Effect::AddAddresses { id, vips, routes } => {
                self.change_addresses(id, &vips, &routes, true)
            }
            Effect::RemoveAddresses { id, vips, routes } => {
                self.change_addresses(id, &vips, &routes, false)
            }
            Effect::SendGarp { id, count } => self.send_garp(id, count),
            Effect::Transition {
                id,
                from,
                to,
                reason,
                priority,
                advert,
            } => {
                if let Some(io) = self.io.get_mut(&id) {
                    io.last_transition_wall = Some(SystemTime::now());
                }
                let name = name_of(&self.node, id);
                // No subscriber is not an error.
                let _ = self.events.send(Event::Transition {
                    ts: epoch_now(),
                    instance: name.clone(),
                    from: from.to_string(),
                    to: to.to_string(),
                    reason: reason.to_string(),
                    effective_priority: priority,
                });
                // keepalived logs nothing for the FAULT a script in init holds (measured on
                // 2.2.7: its first line is "Entering BACKUP STATE" after the first result).
                let quiet = to == crate::fsm::State::Fault
                    && self.node.get(id).is_some_and(|i| i.fault_unnotified());
                match advert {
                    _ if quiet => tracing::debug!(
                        "{name}: {from} -> {to} ({reason}, prio {priority}; not logged by keepalived)"
                    ),
                    Some((src, prio)) => tracing::info!(
                        "{name}: {from} -> {to} ({reason}, prio {priority}; advert from {src}, prio {prio})"
                    ),
                    None => tracing::info!("{name}: {from} -> {to} ({reason}, prio {priority})"),
                }
            }
            Effect::PriorityChanged {
                id,
                from,
                to,
                cause,
            } => {
                let name = name_of(&self.node, id);
                tracing::info!("{name}: effective priority {from} -> {to} ({cause})");
                if let Some(i) = self.node.get(id) {
                    if i.spec.notify_priority_changes {
                        let master = i.fsm.state() == crate::fsm::State::Master;
                        self.notifier.priority_change(&name, master, to);
                    }
                }
                let _ = self.events.send(Event::Priority {
                    ts: epoch_now(),
                    instance: name,
                    from,
                    to,
                    reason: cause,
                });
            }
            Effect::Notify { id, state } => {
                if let Some(i) = self.node.get(id) {
                    let prio = i.fsm.effective_priority();
                    self.notifier.state_change(
                        Subject::Instance,
                        &i.spec.name,
                        &i.spec.notify,
                        state,
                        prio,
                        i.spec.smtp_alert,
                    );
                }
            }
            Effect::GroupNotify { group, state } => {
                tracing::info!("VRRP_Group({group}) {state}");
                if let Some(g) = self.sync_groups.iter().find(|g| g.name == group) {
                    let smtp = g
                        .smtp_alert
                        .or(self.global.smtp_alert_vrrp)
                        .or(self.global.smtp_alert)
                        .unwrap_or(false);
                    self.notifier
                        .state_change(Subject::Group, &group, &g.notify, state, 0, smtp);
                }
            }
            Effect::NotifyMasterRxLowerPri { id } => {
                if let Some(i) = self.node.get(id) {
                    self.notifier.master_rx_lower_pri(
                        &i.spec.name,
                        &i.spec.notify,
                        i.fsm.effective_priority(),
                    );
                }
            }
            Effect::Rejected { id, src, message } => {
                tracing::info!("({}) {message} (from {src})", name_of(&self.node, id));
            }
            Effect::Dropped { src, vrid, reason } => match vrid {
                // keepalived's lines (vrrp_scheduler.c), with log_unknown_vrids only.
                Some(v) if self.rx_socket.is_some() && reason == node::UNKNOWN_VRID => {
                    let ifname = self.rx_ifname();
                    tracing::info!("Unknown VRID({v}) received on interface({ifname}). ignoring...")
                }
                Some(v) if self.rx_socket.is_some() && reason == node::UNCLAIMED_VRID => {
                    let ifname = self.rx_ifname();
                    tracing::info!(
                        "Unknown VRID({v}) received on interface({ifname}) from {src}. ignoring..."
                    )
                }
                Some(v) => tracing::trace!("advert for VRID {v} from {src} dropped: {reason}"),
                None => tracing::debug!("datagram from {src} dropped: {reason}"),
            },
            Effect::SourceChanged { id, src } => match src {
                Some(a) => tracing::info!("{}: sending adverts from {a}", name_of(&self.node, id)),
                None => tracing::warn!(
                    "{}: no address to send adverts from",
                    name_of(&self.node, id)
                ),
            },
            Effect::Removed { id } => {
                self.io.remove(&id);
            }
        }
    }

    /// A reload changed a master's addresses: apply the difference, and resolve the full
    /// list of the new config for what follows (the next RemoveVips, GARPs, status).
    fn change_addresses(
        &mut self,
        id: InstanceId,
        vips: &[config::model::VirtualIp],
        routes: &[config::model::VirtualRoute],
        add: bool,
    ) {
        let Some(inst) = self.node.get(id) else {
            return;
        };
        let (vips, routes) = match instance::resolve_addresses(&inst.spec, vips, routes) {
            Ok(x) => x,
            Err(e) => {
                tracing::error!("{}: {e}", inst.spec.name);
                return;
            }
        };
        let instance = inst.spec.name.clone();
        let all = instance::resolve_addresses(&inst.spec, &inst.spec.vips, &inst.spec.routes);
        if let (Some(io), Ok((v, r))) = (self.io.get_mut(&id), all) {
            io.vips = v;
            io.routes = r;
        }
        if add {
            self.sync_filter(id, true);
        }
        self.jobs.push(if add {
            AddrJob::Add {
                instance,
                vips,
                routes,
            }
        } else {
            AddrJob::Remove {
                instance,
                vips,
                routes,
            }
        });
        if !add {
            self.sync_filter(id, false);
        }
    }

    fn remove_vips(&mut self, id: InstanceId) {
        if let Some(io) = self.io.get_mut(&id) {
            io.vips_set = false;
            self.jobs.push(AddrJob::Remove {
                instance: name_of(&self.node, id),
                vips: io.vips.clone(),
                routes: io.routes.clone(),
            });
        }
        self.sync_filter(id, false);
    }

    /// Queue an advert for the flush at the end of this input.
    fn send(&mut self, id: InstanceId, src: IpAddr, dst: IpAddr, bytes: Arc<[u8]>) {
        let Some(io) = self.io.get(&id) else {
            return;
        };
        // The node encodes a destination of the source's family.
        if src.is_ipv4() && dst.is_ipv6() {
            return;
        }
        if self.outbox.len() <= io.socket {
            self.outbox.resize_with(io.socket + 1, Default::default);
        }
        let (msgs, ids) = &mut self.outbox[io.socket];
        msgs.push(Outgoing { src, dst, bytes });
        ids.push(id);
    }

    /// Send the queued adverts, then hand the queued address and GARP jobs to the worker.
    fn flush(&mut self) {
        self.flush_sends();
        for job in self.jobs.drain(..) {
            self.addresses.submit(job);
        }
    }

    /// Send the queued adverts: one sendmmsg per socket and up to 64 adverts.
    fn flush_sends(&mut self) {
        for sock in 0..self.outbox.len() {
            if self.outbox[sock].0.is_empty() {
                continue;
            }
            let (mut msgs, mut ids) = std::mem::take(&mut self.outbox[sock]);
            let mut results: Vec<(InstanceId, IpAddr, std::io::Result<()>)> = Vec::new();
            self.sockets[sock].send_batch(&msgs, |i, r| {
                // Only changes are logged: keep the successes of instances that never failed out.
                if r.is_err() || self.io.get(&ids[i]).is_some_and(|io| io.send_failing) {
                    results.push((ids[i], msgs[i].dst, r));
                }
            });
            for (id, dst, r) in results {
                self.sent(id, dst, r);
            }
            msgs.clear();
            ids.clear();
            self.outbox[sock] = (msgs, ids);
        }
    }

    /// Log when an instance's adverts start or stop failing.
    fn sent(&mut self, id: InstanceId, dst: IpAddr, r: std::io::Result<()>) {
        let Some(io) = self.io.get_mut(&id) else {
            return;
        };
        match r {
            Err(e) if !io.send_failing => {
                io.send_failing = true;
                tracing::warn!(
                    "{}: cannot send an advert to {dst}: {e}",
                    name_of(&self.node, id)
                );
            }
            Ok(()) if io.send_failing => {
                io.send_failing = false;
                tracing::info!("{}: sending adverts again", name_of(&self.node, id));
            }
            _ => {}
        }
    }

    fn send_garp(&mut self, id: InstanceId, count: u32) {
        let Some(io) = self.io.get(&id) else { return };
        // One burst per interface the VIPs live on (a VIP may have its own `dev`).
        let mut by_if: Vec<GarpJob> = Vec::new();
        for v in &io.vips {
            match by_if.iter_mut().find(|j| j.ifindex == v.ifindex) {
                Some(j) => j.addrs.push(v.addr),
                None => by_if.push(GarpJob {
                    instance: name_of(&self.node, id),
                    ifname: v.ifname.clone(),
                    ifindex: v.ifindex,
                    addrs: vec![v.addr],
                    count,
                }),
            }
        }
        self.jobs.extend(by_if.into_iter().map(AddrJob::Garp));
    }
}

/// Move the specs whose VMAC could not be set up to the refused ones.
fn refuse_failed(
    specs: &mut Vec<InstanceSpec>,
    refused: &mut Vec<node::BuildError>,
    failed: Vec<(String, String)>,
) {
    for (name, reason) in failed {
        if let Some(i) = specs.iter().position(|s| s.name == name) {
            let s = specs.remove(i);
            refused.push(node::BuildError {
                name: s.name,
                span: s.span,
                reason,
            });
        }
    }
}

fn name_of(node: &Node, id: InstanceId) -> String {
    node.get(id)
        .map_or_else(|| format!("instance #{}", id.0), |i| i.spec.name.clone())
}

/// Open (or share) the raw socket of the spec's interface and family, join its group, and
/// resolve its addresses.
fn open_io(
    spec: &InstanceSpec,
    host: &dyn HostView,
    sockets: &mut Vec<Arc<VrrpSocket>>,
    by_key: &mut HashMap<(String, Family), usize>,
) -> Result<InstanceIo, String> {
    let ifname = spec.advert_ifname();
    let key = (ifname.to_string(), spec.family);
    let socket = match by_key.get(&key) {
        Some(&i) => i,
        None => {
            let ifindex = host
                .interface(ifname)
                .map(|i| i.index)
                .ok_or_else(|| format!("interface {ifname} does not exist"))?;
            let mut s = VrrpSocket::open(spec.family, ifname, ifindex)
                .map_err(|e| format!("cannot open a VRRP socket on {ifname}: {e}"))?;
            s.node_ifname = spec.ifname.clone();
            sockets.push(Arc::new(s));
            by_key.insert(key, sockets.len() - 1);
            sockets.len() - 1
        }
    };
    if let Some(g) = spec.group {
        if let Err(e) = sockets[socket].join(g) {
            tracing::error!("{}: cannot join {g} on {ifname}: {e}", spec.name);
        }
    }
    InstanceIo::resolve(spec, socket).map_err(|e| e.to_string())
}

/// The names of the trackers of `kind` that some instance of `node` follows.
fn used_trackers(node: &Node, kind: node::TrackerKind) -> std::collections::HashSet<String> {
    node.instances()
        .flat_map(|(_, i)| i.spec.trackers.iter())
        .filter(|t| t.id.kind == kind)
        .map(|t| t.id.name.clone())
        .collect()
}

/// The track_file blocks that running instances follow.
fn used_files(cfg: &config::model::Config, node: &Node) -> Vec<config::model::VrrpTrackFile> {
    let used = used_trackers(node, node::TrackerKind::File);
    cfg.track_files
        .iter()
        .filter(|f| used.contains(&f.name))
        .cloned()
        .collect()
}

/// Start following the vrrp_track_process blocks that running instances track (or hand the
/// running monitor the new ones); None when none is tracked.
fn start_processes(
    cfg: &config::model::Config,
    node: &Node,
    running: Option<ProcessMonitor>,
    tx: &mpsc::UnboundedSender<TrackerReport>,
) -> Option<ProcessMonitor> {
    let used = used_trackers(node, node::TrackerKind::Process);
    let defs: Vec<_> = cfg
        .track_processes
        .iter()
        .filter(|p| used.contains(&p.name))
        .cloned()
        .collect();
    if let Some(m) = running {
        // The socket stays open (opening it may need the initial namespace and capabilities
        // that are gone after start); an empty list just counts nothing.
        m.update(defs);
        return Some(m);
    }
    if defs.is_empty() {
        return None;
    }
    let bufs = cfg
        .global
        .process_monitor_rcv_bufs
        .map(|b| (b, cfg.global.process_monitor_rcv_bufs_force));
    match ProcessMonitor::start(defs, bufs, tx) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!("vrrp_track_process: cannot start the process monitor: {e}");
            None
        }
    }
}
