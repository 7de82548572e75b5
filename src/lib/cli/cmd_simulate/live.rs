//! `vrrpctl simulate-failover --live [INSTANCE]`: the rehearsal for real. The local vrrpd is
//! asked (control socket) to demote one of its master instances; the wire is watched with the
//! sniff machinery (its live source and decoder); the report says who took over, how long after
//! the priority-0 advert the new master's first advert and gratuitous ARP came, and whether
//! anyone else claimed the VIP too; then the instance is restored (at once, after
//! --restore-after, or not with --no-restore) and the wire shows whether it took mastership
//! back.
//!
//! What the wire can show before the demotion: a backup is silent (RFC 5798 backups send
//! nothing), so "a peer exists" rests on what the daemon heard since it started (its demote
//! rule: another router's accepted adverts) and on other routers advertising the VRID while
//! this command watches. Without either, the command refuses unless --force.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use owo_colors::Style;
use serde_json::{json, Value};

use super::super::output::ProgressUnit;
use super::super::{CmdError, CmdResult, Exit, Output, SimulateArgs};
use crate::control::{Client, ClientError, Cmd, ErrorCode, InstanceSnapshot};
use crate::sim::findings::{secs, Finding};
use crate::sim::parse_duration;
use crate::sniff::{self, Event, SourceSpec};

/// The reason recorded with the demotion (shown by `vrrpctl status` while it lasts).
const REASON: &str = "vrrpctl simulate-failover --live";

/// How long to wait for the instance's own adverts before the demotion (a v2 advert_int may be
/// several seconds; two of them are watched).
const PREWATCH: Duration = Duration::from_secs(12);

/// How often the waits look at the clock and at Ctrl-C between packets.
const TICK: Duration = Duration::from_millis(50);

/// One router seen on the wire for the VRID.
#[derive(Debug, Clone, PartialEq)]
pub struct Speaker {
    pub ip: IpAddr,
    pub mac: Option<[u8; 6]>,
    pub priority: u8,
    /// Capture time, seconds since the epoch.
    pub ts: f64,
}

/// Someone other than the new master claiming the VRID or one of its VIPs after the demotion.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub node: String,
    pub mac: Option<[u8; 6]>,
    pub ts: f64,
    pub message: String,
}

/// Where the rehearsal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    Demoted,
    Restored,
}

/// Reads decoded packets and keeps what the report needs. Pure: fed events and times, it never
/// touches a socket or the clock, so it is tested with made-up packets.
#[derive(Debug, Clone)]
pub struct Observer {
    vrid: u8,
    ours: IpAddr,
    vips: Vec<IpAddr>,
    phase: Phase,
    /// Our adverts seen before the demotion (the capture works, the interval is known).
    pub own_adverts: u32,
    pub own_mac: Option<[u8; 6]>,
    /// advert_int as our adverts carry it.
    pub advert_int: Option<Duration>,
    /// Other routers advertising the VRID before the demotion (already a second master).
    pub before_others: BTreeMap<IpAddr, Speaker>,
    /// When the demote request was sent; packets before it belong to the watch before.
    demote_sent: Option<f64>,
    /// Our priority-0 advert.
    pub priority_zero: Option<f64>,
    pub new_master: Option<Speaker>,
    /// The new master's first gratuitous ARP / unsolicited NA for a VIP.
    pub garp: Option<f64>,
    /// Announcements for a VIP seen before the new master was known: (ts, mac).
    pending_garps: Vec<(f64, Option<[u8; 6]>, IpAddr)>,
    pub claims: Vec<Claim>,
    restore_sent: Option<f64>,
    /// Our first advert (priority > 0) after the restore.
    pub taken_back: Option<f64>,
    /// The last valid advert (priority > 0) of each router, for the owner at the end.
    last_advert: BTreeMap<IpAddr, f64>,
}

impl Observer {
    pub fn new(vrid: u8, ours: IpAddr, vips: Vec<IpAddr>) -> Observer {
        Observer {
            vrid,
            ours,
            vips,
            phase: Phase::Before,
            own_adverts: 0,
            own_mac: None,
            advert_int: None,
            before_others: BTreeMap::new(),
            demote_sent: None,
            priority_zero: None,
            new_master: None,
            garp: None,
            pending_garps: Vec::new(),
            claims: Vec::new(),
            restore_sent: None,
            taken_back: None,
            last_advert: BTreeMap::new(),
        }
    }

    pub fn demote_sent(&mut self, at: f64) {
        self.demote_sent = Some(at);
        self.phase = Phase::Demoted;
    }

    pub fn restore_sent(&mut self, at: f64) {
        self.restore_sent = Some(at);
        self.phase = Phase::Restored;
    }

    /// The time the report counts from: our priority-0 advert, else the demote request.
    pub fn t0(&self) -> f64 {
        self.priority_zero.or(self.demote_sent).unwrap_or(0.0)
    }

    fn adv(&self) -> f64 {
        self.advert_int.map_or(1.0, |d| d.as_secs_f64())
    }

    /// The phase a packet stamped `ts` belongs to (the channel may still hold packets of the
    /// phase before when a request returns).
    fn phase_at(&self, ts: f64) -> Phase {
        match (self.demote_sent, self.restore_sent) {
            (_, Some(r)) if ts >= r => Phase::Restored,
            (Some(d), _) if ts >= d => Phase::Demoted,
            _ => Phase::Before,
        }
    }

    pub fn feed(&mut self, ev: &Event) {
        match ev {
            Event::Vrrp(p) => {
                let a = &p.parsed.advert;
                if a.vrid != self.vrid || !p.errors().is_empty() {
                    return;
                }
                let ts = p.ts.as_secs_f64();
                let s = Speaker {
                    ip: p.src,
                    mac: p.src_mac,
                    priority: a.priority,
                    ts,
                };
                self.advert(s, a.advert_int_cs);
            }
            Event::Garp { ts, arp } if arp.is_gratuitous() => self.announce(
                ts.as_secs_f64(),
                Some(arp.sender_mac),
                IpAddr::V4(arp.sender_ip),
            ),
            Event::Na {
                ts, na, src_mac, ..
            } => self.announce(
                ts.as_secs_f64(),
                na.target_mac.or(*src_mac),
                IpAddr::V6(na.target),
            ),
            _ => {}
        }
    }

    fn advert(&mut self, s: Speaker, advert_int_cs: u16) {
        let phase = self.phase_at(s.ts);
        let mine = s.ip == self.ours;
        // A priority-0 advert resigns: that router is master no more.
        if s.priority > 0 {
            self.last_advert.insert(s.ip, s.ts);
        } else {
            self.last_advert.remove(&s.ip);
        }
        match phase {
            Phase::Before => {
                if mine && s.priority > 0 {
                    self.own_adverts += 1;
                    self.own_mac = s.mac;
                    self.advert_int = Some(Duration::from_millis(u64::from(advert_int_cs) * 10));
                } else if !mine && s.priority > 0 {
                    self.before_others.insert(s.ip, s);
                }
            }
            Phase::Demoted => {
                if mine && s.priority == 0 {
                    self.priority_zero.get_or_insert(s.ts);
                } else if mine {
                    self.claim(
                        s.ip.to_string(),
                        s.mac,
                        s.ts,
                        format!(
                            "{} (this node) advertises again, priority {}, although demoted",
                            s.ip, s.priority
                        ),
                    );
                } else if s.priority > 0 {
                    match &self.new_master {
                        None => {
                            self.new_master = Some(s.clone());
                            self.resolve_pending();
                        }
                        Some(m) if m.ip == s.ip => {}
                        Some(_) => self.claim(
                            s.ip.to_string(),
                            s.mac,
                            s.ts,
                            format!("{} also advertises, priority {}", s.ip, s.priority),
                        ),
                    }
                }
            }
            Phase::Restored => {
                if mine && s.priority > 0 {
                    self.taken_back.get_or_insert(s.ts);
                } else if !mine && s.priority > 0 {
                    // A master that hears our higher priority stops at once; its next advert
                    // would be due one interval after ours at the latest.
                    if let Some(back) = self.taken_back {
                        if s.ts > back + 1.5 * self.adv() {
                            self.claim(
                                s.ip.to_string(),
                                s.mac,
                                s.ts,
                                format!(
                                    "{} still advertises (priority {}) after this node took VRID {} back",
                                    s.ip, s.priority, self.vrid
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    /// A gratuitous ARP or unsolicited NA for `ip` from `mac`.
    fn announce(&mut self, ts: f64, mac: Option<[u8; 6]>, ip: IpAddr) {
        if !self.vips.contains(&ip) || self.phase_at(ts) != Phase::Demoted {
            return;
        }
        match &self.new_master {
            None => self.pending_garps.push((ts, mac, ip)),
            Some(m) => {
                let (m_mac, m_ip) = (m.mac, m.ip);
                self.announced(ts, mac, ip, m_mac, m_ip)
            }
        }
    }

    fn announced(
        &mut self,
        ts: f64,
        mac: Option<[u8; 6]>,
        ip: IpAddr,
        master_mac: Option<[u8; 6]>,
        master_ip: IpAddr,
    ) {
        let took_over = self.new_master.as_ref().map_or(f64::MAX, |m| m.ts);
        if mac.is_none() || mac == master_mac {
            self.garp.get_or_insert(ts);
        } else if mac == self.own_mac && ts < took_over {
            // This node's own announcement (a garp_master_delay repeat) sent before the
            // demotion took effect: it was still the master.
        } else {
            let who = mac.map_or_else(|| "?".to_string(), |m| mac_text(&m));
            self.claim(
                who.clone(),
                mac,
                ts,
                format!("{who} announces {ip}, which the new master {master_ip} holds"),
            );
        }
    }

    fn resolve_pending(&mut self) {
        let Some(m) = self.new_master.clone() else {
            return;
        };
        for (ts, mac, ip) in std::mem::take(&mut self.pending_garps) {
            self.announced(ts, mac, ip, m.mac, m.ip);
        }
    }

    fn claim(&mut self, node: String, mac: Option<[u8; 6]>, ts: f64, message: String) {
        // One claim per claimer: the first says enough.
        if !self.claims.iter().any(|c| c.node == node) {
            self.claims.push(Claim {
                node,
                mac,
                ts,
                message,
            });
        }
    }

    /// How long after the demotion a new master may take: Master_Down_Interval of the slowest
    /// backup (3 x advert_int + a Skew_Time below one interval) and a margin.
    pub fn takeover_deadline(&self) -> f64 {
        self.demote_sent.unwrap_or(0.0) + 4.0 * self.adv() + 0.5
    }

    /// Once the new master is known, how long to go on watching for its gratuitous ARP and
    /// for anyone else claiming the VIP.
    pub fn settle(&self) -> f64 {
        (2.0 * self.adv()).max(1.0)
    }

    /// Whether the watch after the demotion has seen enough at `now`.
    pub fn demotion_seen(&self, now: f64) -> bool {
        match &self.new_master {
            Some(m) => now >= m.ts + self.settle(),
            None => now >= self.takeover_deadline(),
        }
    }

    /// Whether the watch after the restore has seen enough at `now`.
    pub fn restore_seen(&self, now: f64) -> bool {
        let start = self.restore_sent.unwrap_or(0.0);
        match self.taken_back {
            // One more interval shows whether the other master stopped.
            Some(t) => now >= t + 2.0 * self.adv(),
            None => now >= start + 4.0 * self.adv() + 0.5,
        }
    }

    /// The routers that advertised within the last 1.5 intervals before `now`.
    pub fn masters_at(&self, now: f64) -> Vec<IpAddr> {
        let window = 1.5 * self.adv();
        self.last_advert
            .iter()
            .filter(|(_, t)| now - **t <= window)
            .map(|(ip, _)| *ip)
            .collect()
    }
}

pub fn mac_text(m: &[u8; 6]) -> String {
    let mut b = Vec::with_capacity(17);
    sniff::fmt::push_mac(&mut b, m);
    String::from_utf8_lossy(&b).into_owned()
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// What the capture thread sends.
enum Msg {
    Event(Event),
    Failed(String),
}

/// The sniff machinery on `iface`, on a thread of its own, keeping VRRP of `vrid` and the
/// takeover announcements. It stops at the next packet after `stop` is set (the process ends
/// soon after anyway).
fn capture(iface: &str, vrid: u8, stop: Arc<AtomicBool>) -> mpsc::Receiver<Msg> {
    let (tx, rx) = mpsc::channel();
    let spec = SourceSpec::Live(iface.to_string());
    std::thread::spawn(move || {
        let sent = tx.clone();
        let result = sniff::source::for_each_frame(&spec, &mut |frame| {
            if stop.load(Ordering::Relaxed) {
                return ControlFlow::Break(());
            }
            let keep = match sniff::decode(&frame) {
                Some(Event::Vrrp(p)) if p.parsed.advert.vrid == vrid => Some(Event::Vrrp(p)),
                Some(e @ (Event::Garp { .. } | Event::Na { .. })) => Some(e),
                _ => None,
            };
            match keep.map(|e| sent.send(Msg::Event(e))) {
                Some(Err(_)) => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        });
        if let Err(e) = result {
            let _ = tx.send(Msg::Failed(e.to_string()));
        }
    });
    rx
}

/// Feed `obs` from `rx` until `done(obs, now)` holds, Ctrl-C, or the capture fails.
/// Returns false on Ctrl-C.
fn watch(
    rx: &mpsc::Receiver<Msg>,
    obs: &mut Observer,
    done: &dyn Fn(&Observer, f64) -> bool,
) -> Result<bool, CmdError> {
    loop {
        if sniff::stop::requested() {
            return Ok(false);
        }
        if done(obs, now_epoch()) {
            return Ok(true);
        }
        match rx.recv_timeout(TICK) {
            Ok(Msg::Event(e)) => obs.feed(&e),
            Ok(Msg::Failed(e)) => return Err(CmdError::usage(e)),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(CmdError::usage("the capture stopped"))
            }
        }
    }
}

/// Drain what the capture already holds (packets stamped before a request returned).
fn drain(rx: &mpsc::Receiver<Msg>, obs: &mut Observer) {
    while let Ok(Msg::Event(e)) = rx.try_recv() {
        obs.feed(&e);
    }
}

/// The instance to rehearse: the one named, else the only master instance.
fn pick<'a>(snap: &'a [InstanceSnapshot], name: &str) -> Result<&'a InstanceSnapshot, CmdError> {
    if !name.is_empty() {
        return snap.iter().find(|i| i.name == name).ok_or_else(|| {
            let names: Vec<&str> = snap.iter().map(|i| i.name.as_str()).collect();
            CmdError::usage(format!(
                "no vrrp_instance named {name} in this vrrpd (it runs {})",
                names.join(", ")
            ))
        });
    }
    let masters: Vec<&InstanceSnapshot> = snap.iter().filter(|i| i.state == "MASTER").collect();
    match masters.as_slice() {
        [one] => Ok(one),
        [] => Err(CmdError::usage(
            "no instance of this vrrpd is MASTER: run --live on the node that is master, or name the instance",
        )),
        many => Err(CmdError::usage(format!(
            "this vrrpd is master of {}: name the one to rehearse (--live INSTANCE)",
            many.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// "192.0.2.100/24 dev eth0" -> 192.0.2.100
fn vip_addr(s: &str) -> Option<IpAddr> {
    s.split_whitespace().next()?.split('/').next()?.parse().ok()
}

/// The offline flags that make no sense with --live.
fn offline_flags(a: &SimulateArgs) -> Vec<&'static str> {
    let mut v = Vec::new();
    let lists: [(&'static str, bool); 15] = [
        ("--keepalived", !a.keepalived.is_empty()),
        ("--crash", !a.crash.is_empty()),
        ("--stop", !a.stop.is_empty()),
        ("--start", !a.start.is_empty()),
        ("--link-down", !a.link_down.is_empty()),
        ("--link-up", !a.link_up.is_empty()),
        ("--script-fail", !a.script_fail.is_empty()),
        ("--script-ok", !a.script_ok.is_empty()),
        ("--block-vrrp", !a.block_vrrp.is_empty()),
        ("--unblock-vrrp", !a.unblock_vrrp.is_empty()),
        ("--demote", !a.demote.is_empty()),
        ("--restore", !a.restore.is_empty()),
        ("--partition", !a.partition.is_empty()),
        ("--heal", !a.heal.is_empty()),
        ("--event", !a.events.is_empty()),
    ];
    for (flag, set) in lists {
        if set {
            v.push(flag);
        }
    }
    for (flag, set) in [
        ("--loss", a.loss.is_some()),
        ("--delay", a.delay.is_some()),
        ("--until", a.until.is_some()),
    ] {
        if set {
            v.push(flag);
        }
    }
    v
}

pub fn run(a: &SimulateArgs, name: &str, out: &Output) -> CmdResult {
    let bad = offline_flags(a);
    if !bad.is_empty() {
        return Err(CmdError::usage(format!(
            "{} simulate{} events offline; --live demotes a real instance of the local vrrpd and takes no events",
            bad.join(", "),
            if bad.len() == 1 { "s" } else { "" }
        )));
    }
    let restore_after = match &a.restore_after {
        Some(t) => Some(
            parse_duration(t).map_err(|e| CmdError::usage(format!("--restore-after {t}: {e}")))?,
        ),
        None => None,
    };
    let mut client = Client::connect(&a.socket).map_err(|e| match e {
        ClientError::NotRunning(_) => CmdError::usage(format!(
            "{e}: --live demotes an instance of the local vrrpd (keepalived has no demote request); start vrrpd or give --socket"
        )),
        e => CmdError::client(e),
    })?;
    let snap = client
        .request(Cmd::Status { instances: vec![] })
        .map_err(CmdError::client)?
        .instances
        .unwrap_or_default();
    let inst = pick(&snap, name)?.clone();
    if inst.state != "MASTER" {
        let master = match (&inst.master_ip, inst.master_priority) {
            (Some(ip), Some(p)) => format!(" (master: {ip}, priority {p})"),
            (Some(ip), None) => format!(" (master: {ip})"),
            _ => String::new(),
        };
        return Err(CmdError::usage(format!(
            "{} is {} on this node{master}: demoting it would move nothing; run --live on the node that is master",
            inst.name, inst.state
        )));
    }
    let ours: IpAddr = inst
        .master_ip
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            CmdError::usage(format!(
                "vrrpd reports no source address for {}; cannot tell its adverts on the wire",
                inst.name
            ))
        })?;
    let vips: Vec<IpAddr> = inst.vips.iter().filter_map(|v| vip_addr(v)).collect();
    let mut obs = Observer::new(inst.vrid, ours, vips.clone());

    sniff::stop::install();
    let stop = Arc::new(AtomicBool::new(false));
    let rx = capture(&inst.interface, inst.vrid, stop.clone());
    let progress = out.progress(
        None,
        ProgressUnit::Wait,
        &format!("watching {} for {}'s adverts", inst.interface, inst.name),
    );
    let started = now_epoch();
    let seen = watch(&rx, &mut obs, &|o, now| {
        o.own_adverts >= 2 || now - started >= PREWATCH.as_secs_f64()
    })?;
    if !seen {
        return Err(CmdError::usage(
            "interrupted before the demotion; nothing was changed",
        ));
    }
    if obs.own_adverts == 0 {
        return Err(CmdError::usage(format!(
            "no advert of {} (VRID {}) from {ours} seen on {} within {}: cannot watch the failover there; nothing was changed",
            inst.name,
            inst.vrid,
            inst.interface,
            secs(PREWATCH)
        )));
    }

    // The demotion; the daemon applies its rule (another router heard) unless --force.
    progress.set_message(&format!("demoting {}; waiting for a new master", inst.name));
    obs.demote_sent(now_epoch());
    let demoted = client.request(Cmd::Demote {
        instances: vec![inst.name.clone()],
        all: false,
        reason: Some(REASON.to_string()),
        force: a.force,
    });
    match demoted {
        Ok(_) => {}
        Err(ClientError::Remote(e)) if e.code == ErrorCode::Refused => {
            let also = if obs.before_others.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} advertised VRID {} while this command watched)",
                    obs.before_others
                        .keys()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    inst.vrid
                )
            };
            return Err(CmdError::usage(format!(
                "refused: no peer in BACKUP has been seen for {}{also}: vrrpd has heard no other VRRP router for it since it started, and a backup is silent until it takes over, so nothing shows that anyone would take over {}. Check the peers (`vrrpctl status` there), or add --force to demote anyway; nothing was changed",
                inst.name,
                inst.vips
                    .iter()
                    .filter_map(|v| vip_addr(v))
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Err(e) => return Err(CmdError::client(e)),
    }
    let completed = watch(&rx, &mut obs, &|o, now| o.demotion_seen(now))?;
    let mut interrupted = !completed;
    if completed {
        if let Some(hold) = restore_after {
            if !a.no_restore {
                progress.set_message(&format!("holding {} demoted for {}", inst.name, secs(hold)));
                let until = obs.demote_sent.unwrap_or(0.0) + hold.as_secs_f64();
                interrupted = !watch(&rx, &mut obs, &|_, now| now >= until)?;
            }
        }
    }
    let mut restore_error = None;
    if !a.no_restore {
        progress.set_message(&format!("restoring {}", inst.name));
        drain(&rx, &mut obs);
        obs.restore_sent(now_epoch());
        match client.request(Cmd::Restore {
            instances: vec![inst.name.clone()],
            all: false,
        }) {
            Ok(_) if !interrupted => {
                progress.set_message(&format!("restored {}; watching who is master", inst.name));
                watch(&rx, &mut obs, &|o, now| o.restore_seen(now))?;
            }
            Ok(_) => {}
            Err(e) => restore_error = Some(e.to_string()),
        }
    }
    let end = now_epoch();
    drain(&rx, &mut obs);
    stop.store(true, Ordering::Relaxed);
    progress.finish();
    let after = client
        .request(Cmd::Status {
            instances: vec![inst.name.clone()],
        })
        .ok()
        .and_then(|r| r.instances)
        .and_then(|v| v.into_iter().next());

    let report = LiveReport {
        inst: &inst,
        obs: &obs,
        end,
        forced: a.force,
        restored: !a.no_restore && restore_error.is_none(),
        restore_error,
        interrupted,
        after: after.as_ref(),
    };
    let warnings = report.findings();
    if out.json {
        println!("{}", report.json(&warnings));
    } else {
        report.print(&warnings, out);
    }
    if interrupted {
        return Err(CmdError::usage(if a.no_restore {
            format!(
                "interrupted; {} stays demoted (vrrpctl restore {})",
                inst.name, inst.name
            )
        } else {
            format!("interrupted; {} was restored", inst.name)
        }));
    }
    Ok(if crate::sim::findings::ends_badly(&warnings) {
        Exit::Problem
    } else {
        Exit::Ok
    })
}

/// Everything the report prints, in one place for the text and the JSON.
struct LiveReport<'a> {
    inst: &'a InstanceSnapshot,
    obs: &'a Observer,
    end: f64,
    forced: bool,
    restored: bool,
    restore_error: Option<String>,
    interrupted: bool,
    after: Option<&'a InstanceSnapshot>,
}

fn ms(d: f64) -> f64 {
    (d * 1e6).round() / 1e3
}

impl LiveReport<'_> {
    fn rel(&self, ts: f64) -> f64 {
        ms(ts - self.obs.t0())
    }

    fn finding(&self, severity: &'static str, code: &'static str, message: String) -> Finding {
        let mut f = Finding::new(severity, code, message);
        f.vrid = Some(self.inst.vrid);
        f
    }

    fn findings(&self) -> Vec<Finding> {
        let (o, name) = (self.obs, &self.inst.name);
        let mut v = Vec::new();
        if o.priority_zero.is_none() {
            v.push(self.finding(
                "warning",
                "no-priority-zero",
                format!("no priority-0 advert of {name} was seen after the demotion; times count from the demote request"),
            ));
        }
        match &o.new_master {
            None if !self.interrupted => {
                let mut f = self.finding(
                    "error",
                    "no-master",
                    format!(
                        "nobody took over {name} within {} of the demotion: its addresses had no master",
                        secs(Duration::from_secs_f64(o.takeover_deadline() - o.t0()).max(Duration::ZERO))
                    ),
                );
                // Until this node took the addresses back, nobody held them.
                if let Some(back) = o.taken_back {
                    f.duration_ms = Some(self.rel(back));
                }
                f.help = Some(if self.forced {
                    "--force demoted an instance with no peer seen; check that the backups run and hear this node (vrrpctl firewall-check)".into()
                } else {
                    "check that the backups run, are not in FAULT and hear this node (vrrpctl firewall-check there)".into()
                });
                v.push(f);
            }
            Some(m) if o.garp.is_none() && !self.inst.vips.is_empty() => v.push(self.finding(
                "warning",
                "no-garp",
                format!(
                    "the new master {} sent no gratuitous ARP / NA for the VIPs within {} of its first advert: hosts keep the old MAC until their ARP entries expire",
                    m.ip,
                    secs(Duration::from_secs_f64(o.settle()))
                ),
            )),
            _ => {}
        }
        for c in &o.claims {
            let mut f = self.finding("error", "split-brain", c.message.clone());
            f.t_ms = Some(self.rel(c.ts));
            v.push(f);
        }
        for s in o.before_others.values() {
            v.push(self.finding(
                "warning",
                "two-masters-before",
                format!(
                    "{} advertised VRID {} (priority {}) before the demotion too, beside this node",
                    s.ip, self.inst.vrid, s.priority
                ),
            ));
        }
        if let Some(e) = &self.restore_error {
            v.push(self.finding(
                "error",
                "not-restored",
                format!(
                    "the restore failed ({e}): {name} stays demoted; run vrrpctl restore {name}"
                ),
            ));
        } else if !self.restored {
            v.push(self.finding(
                "note",
                "not-restored",
                format!("--no-restore: {name} stays demoted until `vrrpctl restore {name}`"),
            ));
        }
        v
    }

    fn events(&self) -> Vec<Value> {
        let (o, inst) = (self.obs, self.inst);
        let ev = |ts: f64, node: String, from: &str, to: &str, reason: String| {
            json!({"t_ms": self.rel(ts), "node": node, "instance": inst.name, "vrid": inst.vrid,
                   "from": from, "to": to, "reason": reason})
        };
        let mut v = Vec::new();
        v.push(ev(
            o.t0(),
            o.ours.to_string(),
            "MASTER",
            "BACKUP",
            if o.priority_zero.is_some() {
                "demoted by vrrpctl: priority-0 advert".into()
            } else {
                "demote requested (no priority-0 advert seen)".into()
            },
        ));
        if let Some(m) = &o.new_master {
            v.push(ev(
                m.ts,
                m.ip.to_string(),
                "BACKUP",
                "MASTER",
                format!("first advert as master, priority {}", m.priority),
            ));
        }
        for c in &o.claims {
            v.push(ev(c.ts, c.node.clone(), "?", "MASTER", c.message.clone()));
        }
        if let Some(t) = o.taken_back {
            let prio = self
                .after
                .map_or(inst.effective_priority, |a| a.effective_priority);
            v.push(ev(
                t,
                o.ours.to_string(),
                "BACKUP",
                "MASTER",
                format!("restored: advert priority {prio}"),
            ));
        }
        v.sort_by(|a, b| {
            a["t_ms"]
                .as_f64()
                .partial_cmp(&b["t_ms"].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        v
    }

    fn json(&self, warnings: &[Finding]) -> Value {
        let (o, inst) = (self.obs, self.inst);
        let masters: Vec<String> = o
            .masters_at(self.end)
            .iter()
            .map(|i| i.to_string())
            .collect();
        let owner = if masters.len() == 1 {
            json!(masters[0])
        } else {
            Value::Null
        };
        let mut states = serde_json::Map::new();
        for m in &masters {
            states.insert(m.clone(), json!("MASTER"));
        }
        if let Some(a) = self.after {
            states.insert(o.ours.to_string(), json!(a.state));
        }
        let vips: serde_json::Map<String, Value> = o
            .vips
            .iter()
            .map(|v| (v.to_string(), json!(masters)))
            .collect();
        let takeover = o.new_master.as_ref().map(|m| {
            json!({"node": m.ip.to_string(), "mac": m.mac.as_ref().map(mac_text),
                   "priority": m.priority, "first_advert_ms": self.rel(m.ts),
                   "garp_ms": o.garp.map(|g| self.rel(g))})
        });
        let restore = o.restore_sent.map(
            |r| json!({"t_ms": self.rel(r), "master_again_ms": o.taken_back.map(|t| ms(t - r))}),
        );
        json!({
            "live": {
                "instance": inst.name, "interface": inst.interface, "vrid": inst.vrid,
                "node": o.ours.to_string(), "mac": o.own_mac.as_ref().map(mac_text),
                "advert_int_ms": o.advert_int.map(|d| d.as_millis() as u64),
                "demoted_at": o.t0(), "forced": self.forced, "restored": self.restored,
                "interrupted": self.interrupted,
            },
            "events": self.events(),
            "takeover": takeover,
            "claims": o.claims.iter().map(|c| json!({"node": c.node, "mac": c.mac.as_ref().map(mac_text), "t_ms": self.rel(c.ts), "message": c.message})).collect::<Vec<_>>(),
            "restore": restore,
            "final": {inst.name.clone(): {"vrid": inst.vrid, "owner": owner, "master": masters, "states": states, "vips": vips}},
            "warnings": warnings,
        })
    }

    fn print(&self, warnings: &[Finding], out: &Output) {
        let (o, inst) = (self.obs, self.inst);
        let adv = o
            .advert_int
            .map(|d| format!(", adverts every {}", secs(d)))
            .unwrap_or_default();
        println!(
            "{} (VRID {}) on {}: this node {} was master (priority {}{adv}); demoted it for real",
            inst.name, inst.vrid, inst.interface, o.ours, inst.effective_priority
        );
        let mut table = out.table(&["time", "node", "transition", "reason"]);
        for e in self.events() {
            let t = e["t_ms"].as_f64().unwrap_or(0.0) / 1000.0;
            let from = e["from"].as_str().unwrap_or("?");
            let to = e["to"].as_str().unwrap_or("?");
            let paint = |s: &str| match s {
                "MASTER" => out.paint(s, Style::new().green().bold()),
                _ => s.to_string(),
            };
            table.add_row(vec![
                format!("{t:.3} s"),
                e["node"].as_str().unwrap_or("").to_string(),
                format!("{} -> {}", paint(from), paint(to)),
                e["reason"].as_str().unwrap_or("").to_string(),
            ]);
        }
        println!("{table}");
        match &o.new_master {
            Some(m) => {
                let mac = m
                    .mac
                    .as_ref()
                    .map(|m| format!(" ({})", mac_text(m)))
                    .unwrap_or_default();
                let garp = match o.garp {
                    Some(g) => format!("its gratuitous ARP {:.1} ms after", self.rel(g)),
                    None => "no gratuitous ARP seen".to_string(),
                };
                println!(
                    "takeover: {}{mac} took over (priority {}): first advert {:.1} ms after the priority-0 advert, {garp}",
                    out.paint(&m.ip.to_string(), Style::new().green().bold()),
                    m.priority,
                    self.rel(m.ts)
                );
            }
            None if self.interrupted => {
                println!("takeover: interrupted before a new master was seen")
            }
            None => println!(
                "takeover: {}",
                out.paint("nobody took over", Style::new().red().bold())
            ),
        }
        let vips: Vec<String> = o.vips.iter().map(|v| v.to_string()).collect();
        if o.claims.is_empty() && o.new_master.is_some() {
            println!("nobody else claimed {}", vips.join(", "));
        }
        if let Some(r) = o.restore_sent {
            match o.taken_back {
                Some(t) => println!(
                    "restored {} {:.3} s after the demotion: this node is master again {:.1} ms later",
                    inst.name,
                    self.rel(r) / 1000.0,
                    ms(t - r)
                ),
                None => println!(
                    "restored {} {:.3} s after the demotion: it stays {} (the new master keeps the VIP: nopreempt or a higher priority)",
                    inst.name,
                    self.rel(r) / 1000.0,
                    self.after.map_or("BACKUP", |a| a.state.as_str())
                ),
            }
        }
        for x in warnings {
            let style = match x.severity {
                "error" => Style::new().red().bold(),
                "warning" => Style::new().yellow().bold(),
                _ => Style::new().cyan().bold(),
            };
            println!(
                "{} {}",
                out.paint(&format!("{}[{}]:", x.severity, x.code), style),
                x.message
            );
            if let Some(h) = &x.help {
                println!("  = help: {h}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::source::Timestamp;
    use crate::sniff::VrrpPacket;
    use crate::wire::{Advert, Arp, Ipv4Meta, Parsed};

    const OURS: &str = "192.0.2.1";
    const PEER: &str = "192.0.2.2";
    const VIP: &str = "192.0.2.100";

    fn ts(t: f64) -> Timestamp {
        Timestamp {
            secs: t.trunc() as i64,
            nanos: ((t.fract()) * 1e9).round() as u32,
            nano_res: true,
        }
    }

    fn advert(t: f64, src: &str, mac: u8, prio: u8) -> Event {
        let a = Advert::v3(51, prio, 100, vec![VIP.parse().unwrap()]);
        Event::Vrrp(Box::new(VrrpPacket {
            ts: ts(t),
            ip: crate::sniff::decode::IpHeader::V4(Ipv4Meta {
                src: src.parse().unwrap(),
                dst: "224.0.0.18".parse().unwrap(),
                tos: 0xc0,
                ttl: 255,
                id: 0,
                flags: 0,
                frag_offset: 0,
                total_len: 32,
                header_len: 20,
                protocol: 112,
                checksum: 0,
                checksum_valid: true,
                ah: None,
            }),
            src: src.parse().unwrap(),
            dst: "224.0.0.18".parse().unwrap(),
            src_mac: Some([2, 0, 0, 0, 0, mac]),
            length: 12,
            parsed: Parsed {
                advert: a,
                checksum_kind: Some(crate::wire::ChecksumKind::PseudoHeader),
                errors: vec![],
            },
        }))
    }

    fn garp(t: f64, mac: u8) -> Event {
        let ip: std::net::Ipv4Addr = VIP.parse().unwrap();
        Event::Garp {
            ts: ts(t),
            arp: Arp {
                op: 1,
                sender_mac: [2, 0, 0, 0, 0, mac],
                sender_ip: ip,
                target_mac: [0; 6],
                target_ip: ip,
            },
        }
    }

    fn observer() -> Observer {
        let mut o = Observer::new(51, OURS.parse().unwrap(), vec![VIP.parse().unwrap()]);
        o.feed(&advert(100.0, OURS, 1, 150));
        o.feed(&advert(100.1, OURS, 1, 150));
        o
    }

    #[test]
    fn a_clean_takeover_and_take_back() {
        let mut o = observer();
        assert_eq!(o.own_adverts, 2);
        assert_eq!(o.advert_int, Some(Duration::from_millis(1000)));
        o.demote_sent(100.15);
        o.feed(&advert(100.151, OURS, 1, 0));
        assert!(!o.demotion_seen(100.2));
        o.feed(&advert(100.212, PEER, 2, 100));
        o.feed(&garp(100.213, 2));
        o.feed(&advert(100.312, PEER, 2, 100));
        assert_eq!(o.t0(), 100.151);
        let m = o.new_master.clone().unwrap();
        assert_eq!(m.ip.to_string(), PEER);
        assert_eq!(o.garp, Some(100.213));
        assert!(o.claims.is_empty());
        assert!(!o.demotion_seen(101.0) && o.demotion_seen(102.3));
        assert_eq!(o.masters_at(100.4), vec![PEER.parse::<IpAddr>().unwrap()]);
        o.restore_sent(102.5);
        o.feed(&advert(102.6, PEER, 2, 100));
        o.feed(&advert(105.0, OURS, 1, 150));
        assert_eq!(o.taken_back, Some(105.0));
        assert!(o.claims.is_empty(), "{:?}", o.claims);
        assert!(o.restore_seen(107.1));
    }

    #[test]
    fn two_claimers_and_a_foreign_garp_are_split_brain() {
        let mut o = observer();
        o.demote_sent(100.15);
        // The GARP comes before the advert that names the new master.
        o.feed(&garp(100.2, 2));
        o.feed(&advert(100.21, PEER, 2, 100));
        o.feed(&advert(100.25, "192.0.2.3", 3, 90));
        o.feed(&garp(100.26, 3));
        assert_eq!(o.garp, Some(100.2));
        assert_eq!(o.claims.len(), 2, "{:?}", o.claims);
        assert!(o.claims[0].message.contains("192.0.2.3 also advertises"));
        assert!(o.claims[1].message.contains("announces 192.0.2.100"));
    }

    #[test]
    fn our_own_late_garp_before_the_takeover_is_no_claim() {
        let mut o = observer();
        o.demote_sent(100.15);
        o.feed(&garp(100.1505, 1));
        o.feed(&advert(100.151, OURS, 1, 0));
        o.feed(&advert(100.212, PEER, 2, 100));
        o.feed(&garp(100.213, 2));
        assert!(o.claims.is_empty(), "{:?}", o.claims);
        // After the takeover it would be.
        o.feed(&garp(100.5, 1));
        assert_eq!(o.claims.len(), 1);
    }

    #[test]
    fn nobody_taking_over_ends_at_the_deadline() {
        let mut o = observer();
        o.demote_sent(100.15);
        o.feed(&advert(100.151, OURS, 1, 0));
        assert!(o.new_master.is_none());
        assert!(!o.demotion_seen(104.0));
        assert!(o.demotion_seen(o.takeover_deadline()));
        // The demoted node advertising again is a claim too.
        o.feed(&advert(101.0, OURS, 1, 150));
        assert!(o.claims[0].message.contains("although demoted"));
    }

    #[test]
    fn packets_stamped_before_the_request_belong_to_the_watch_before() {
        let mut o = observer();
        o.demote_sent(100.15);
        o.feed(&advert(100.14, PEER, 2, 100));
        assert!(o.new_master.is_none());
        assert!(o.before_others.contains_key(&PEER.parse().unwrap()));
    }

    #[test]
    fn vip_strings_of_the_status_parse() {
        assert_eq!(
            vip_addr("192.0.2.100/24 dev eth0"),
            Some("192.0.2.100".parse().unwrap())
        );
        assert_eq!(
            vip_addr("2001:db8::1/64 dev eth0 label x"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(vip_addr(""), None);
    }
}
