//! The per-VRID picture built from the adverts seen: who is master, every speaker's priority,
//! version, auth and interval (advertised and observed, with jitter), and the trouble signs —
//! two sources advertising the same VRID at once (split brain, or a VRID collision with another
//! cluster when their addresses differ) and settings that disagree between speakers; the
//! timeline of master changes; and which MACs claimed each address in gratuitous ARPs /
//! unsolicited NAs (two of them taking turns is two nodes answering for one VIP).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::decode::VrrpPacket;
use super::source::Timestamp;

/// How many times two sources must be seen advertising within one interval of each other
/// before it counts as concurrent masters. A normal preemption overlaps once: the old master's
/// last advert and the new master's first.
const CONCURRENT_THRESHOLD: u32 = 3;
/// Gaps longer than this many advertised intervals end a run (the speaker was silent, e.g. a
/// backup); they are not counted in the observed interval.
const RUN_BREAK_INTERVALS: f64 = 2.5;
/// Two MACs claiming one address count as a conflict when the claims alternate (A, B, A) with
/// at most this many seconds between a MAC's claims: a failover moves an address once, a
/// failback after a node returns takes far longer than this.
const CLAIM_CONFLICT_WINDOW_S: f64 = 10.0;

#[derive(Debug, Default)]
struct Speaker {
    count: u64,
    invalid: u64,
    shutdowns: u64,
    first_ts: f64,
    last_ts: f64,
    /// The last advert with a non-zero priority, for the concurrency check.
    last_active_ts: Option<f64>,
    priority: u8,
    priorities: Vec<u8>,
    version: u8,
    auth_type: u8,
    auth: Vec<u8>,
    advert_int_cs: u16,
    addresses: Vec<IpAddr>,
    /// The Ethernet source of its adverts (None on captures without a link header).
    mac: Option<[u8; 6]>,
    deltas: u64,
    sum: f64,
    sum_sq: f64,
    min: f64,
    max: f64,
}

#[derive(Debug, Default)]
struct VridState {
    speakers: BTreeMap<IpAddr, Speaker>,
    /// Pairs of sources (ordered) and how often they advertised within an interval of each other.
    concurrent: BTreeMap<(IpAddr, IpAddr), u32>,
    /// Who is master now, as the timeline sees it.
    current: Option<IpAddr>,
    timeline: Vec<MasterChange>,
}

/// The VRID, address and MAC of the master another MAC contradicted.
type ForeignMaster = (u8, IpAddr, [u8; 6]);

/// A run of consecutive gratuitous ARPs / NAs for one address from one MAC.
#[derive(Debug, Clone)]
struct ClaimRun {
    mac: [u8; 6],
    count: u64,
    first: Timestamp,
    last: Timestamp,
    /// Announcements made while the address's VRID had another master (by its MAC).
    foreign: u64,
    /// The master at the first such announcement.
    foreign_master: Option<ForeignMaster>,
    /// Whether any VRID with this address had a master of known MAC to compare with.
    checked: bool,
}

/// Accumulates adverts; [`Summary::report`] turns them into the picture.
#[derive(Debug, Default)]
pub struct Summary {
    vrids: BTreeMap<(u8, u8), VridState>,
    packets: u64,
    invalid: u64,
    malformed: u64,
    undecoded: u64,
    garps: u64,
    nas: u64,
    claims: BTreeMap<IpAddr, Vec<ClaimRun>>,
}

impl Summary {
    pub fn record(&mut self, p: &VrrpPacket) {
        self.packets += 1;
        let valid = p.parsed.errors.is_empty();
        if !valid {
            self.invalid += 1;
        }
        let a = &p.parsed.advert;
        let t = ts_f64(p.ts);
        let family = if p.src.is_ipv6() { 6 } else { 4 };
        let st = self.vrids.entry((a.vrid, family)).or_default();
        let interval = f64::from(a.advert_int_cs.max(1)) / 100.0;
        if a.priority > 0 {
            for (other, sp) in &st.speakers {
                if *other == p.src {
                    continue;
                }
                let window = 1.5 * f64::from(sp.advert_int_cs.max(1)) / 100.0;
                if let Some(last) = sp.last_active_ts {
                    if sp.priority > 0 && t - last <= window {
                        let key = if p.src < *other {
                            (p.src, *other)
                        } else {
                            (*other, p.src)
                        };
                        *st.concurrent.entry(key).or_default() += 1;
                    }
                }
            }
        }
        if a.priority > 0 {
            if let Some(reason) = master_change(st, p.src, a.priority, t) {
                st.timeline.push(MasterChange {
                    ts: p.ts,
                    from: st.current,
                    to: p.src,
                    reason,
                });
                st.current = Some(p.src);
            }
        }
        let sp = st.speakers.entry(p.src).or_default();
        if sp.count == 0 {
            sp.first_ts = t;
        } else {
            let d = t - sp.last_ts;
            if d >= 0.0 && d <= RUN_BREAK_INTERVALS * interval && a.priority > 0 && sp.priority > 0
            {
                if sp.deltas == 0 {
                    sp.min = d;
                    sp.max = d;
                }
                sp.deltas += 1;
                sp.sum += d;
                sp.sum_sq += d * d;
                sp.min = sp.min.min(d);
                sp.max = sp.max.max(d);
            }
        }
        sp.count += 1;
        if !valid {
            sp.invalid += 1;
        }
        sp.last_ts = t;
        if a.priority == 0 {
            sp.shutdowns += 1;
        } else {
            sp.last_active_ts = Some(t);
        }
        if sp.priorities.last() != Some(&a.priority) {
            sp.priorities.push(a.priority);
        }
        sp.priority = a.priority;
        sp.version = a.version;
        sp.auth_type = a.auth_type;
        if a.version == 2 && a.auth_type == crate::wire::vrrp::AUTH_SIMPLE {
            sp.auth = a.auth_password().to_vec();
        } else {
            sp.auth.clear();
        }
        sp.advert_int_cs = a.advert_int_cs;
        if p.src_mac.is_some() {
            sp.mac = p.src_mac;
        }
        if sp.addresses != a.addresses {
            sp.addresses = a.addresses.clone();
        }
    }

    /// A gratuitous ARP: `mac` claims `ip`.
    pub fn record_garp(&mut self, ts: Timestamp, ip: IpAddr, mac: [u8; 6]) {
        self.garps += 1;
        self.record_claim(ts, ip, mac);
    }
    /// An unsolicited NA; without a target link-layer address it claims nothing we can name.
    pub fn record_na(&mut self, ts: Timestamp, ip: IpAddr, mac: Option<[u8; 6]>) {
        self.nas += 1;
        if let Some(mac) = mac {
            self.record_claim(ts, ip, mac);
        }
    }
    fn record_claim(&mut self, ts: Timestamp, ip: IpAddr, mac: [u8; 6]) {
        // A master announces its VIPs: compare with the MAC of the current master of every
        // VRID that advertises this address.
        let family = if ip.is_ipv6() { 6 } else { 4 };
        let mut checked = false;
        let mut foreign = None;
        for (&(vrid, fam), st) in &self.vrids {
            if fam != family {
                continue;
            }
            let Some(cur) = st.current else { continue };
            let Some(m) = st.speakers.get(&cur) else {
                continue;
            };
            if !st.speakers.values().any(|sp| sp.addresses.contains(&ip)) {
                continue;
            }
            if let Some(mm) = m.mac {
                checked = true;
                if mm != mac && m.priority > 0 {
                    foreign = Some((vrid, cur, mm));
                } else {
                    foreign = None;
                    break;
                }
            }
        }
        let runs = self.claims.entry(ip).or_default();
        match runs.last_mut() {
            Some(r) if r.mac == mac => {
                r.count += 1;
                r.last = ts;
                r.checked |= checked;
                if foreign.is_some() {
                    r.foreign += 1;
                    r.foreign_master = r.foreign_master.or(foreign);
                }
            }
            _ => runs.push(ClaimRun {
                mac,
                count: 1,
                first: ts,
                last: ts,
                foreign: u64::from(foreign.is_some()),
                foreign_master: foreign,
                checked,
            }),
        }
    }
    pub fn record_malformed(&mut self) {
        self.malformed += 1;
    }
    /// A capture record that could not be decoded at all (damaged, cut, unknown link type).
    pub fn record_undecoded(&mut self) {
        self.undecoded += 1;
    }

    pub fn report(&self) -> Report {
        let vrids = self
            .vrids
            .iter()
            .map(|(&(vrid, family), st)| vrid_report(vrid, family, st))
            .collect();
        let mut problems = Vec::new();
        let addresses = self
            .claims
            .iter()
            .map(|(ip, runs)| claims_report(*ip, runs, &mut problems))
            .collect();
        Report {
            packets: self.packets,
            invalid: self.invalid,
            malformed: self.malformed,
            undecoded: self.undecoded,
            garp: self.garps,
            na: self.nas,
            vrids,
            addresses,
            problems,
        }
    }
}

/// Does an advert from `src` (priority `prio`, at `t`) make it the master? It does when there
/// is none yet, when the current master said goodbye (priority 0) or fell silent, or when it
/// preempts with a higher priority (RFC 5798: equal priorities go to the higher address).
/// Otherwise two masters are talking at once: that is the split-brain check's business, and
/// the timeline stays with the current one.
fn master_change(st: &VridState, src: IpAddr, prio: u8, t: f64) -> Option<String> {
    let Some(cur) = st.current else {
        return Some("first heard".into());
    };
    if cur == src {
        return None;
    }
    let Some(m) = st.speakers.get(&cur) else {
        return Some("first heard".into());
    };
    let interval = f64::from(m.advert_int_cs.max(1)) / 100.0;
    let silent = t - m.last_ts;
    if m.priority == 0 {
        Some(format!("{cur} sent priority 0: it left"))
    } else if silent > RUN_BREAK_INTERVALS * interval {
        Some(format!("{cur} silent for {silent:.3}s"))
    } else if prio > m.priority {
        Some(format!(
            "preempted: priority {prio} beats {cur}'s {}",
            m.priority
        ))
    } else if prio == m.priority && src > cur {
        Some(format!(
            "preempted: priority {prio} ties with {cur}'s, the higher address wins"
        ))
    } else {
        None
    }
}

fn claims_report(ip: IpAddr, runs: &[ClaimRun], problems: &mut Vec<Problem>) -> AddressClaims {
    let mut macs: Vec<MacClaims> = Vec::new();
    for r in runs {
        let mac = crate::wire::ethernet::format_mac(&r.mac);
        match macs.iter_mut().find(|m| m.mac == mac) {
            Some(m) => {
                m.announcements += r.count;
                m.last_ts = r.last.as_secs_f64();
            }
            None => macs.push(MacClaims {
                mac,
                announcements: r.count,
                first_ts: r.first.as_secs_f64(),
                last_ts: r.last.as_secs_f64(),
            }),
        }
    }
    let moves: Vec<AddressMove> = runs
        .windows(2)
        .map(|w| AddressMove {
            ts: w[1].first,
            from: crate::wire::ethernet::format_mac(&w[0].mac),
            to: crate::wire::ethernet::format_mac(&w[1].mac),
        })
        .collect();
    let who: Vec<String> = macs
        .iter()
        .map(|m| format!("{} ({}x)", m.mac, m.announcements))
        .collect();
    let mut conflict = false;
    if runs.iter().any(|r| r.checked) {
        // The VRRP side is known: an announcement by anyone but the VRID's master is a second
        // node answering for the address.
        let mut by_mac: BTreeMap<[u8; 6], (u64, ForeignMaster)> = BTreeMap::new();
        for r in runs {
            if let Some(fm) = r.foreign_master {
                by_mac.entry(r.mac).or_insert((0, fm)).0 += r.foreign;
            }
        }
        for (mac, (n, (vrid, master, mm))) in by_mac {
            conflict = true;
            problems.push(Problem {
                code: "address-conflict",
                message: format!(
                    "{ip} was announced {n} times by {} while VRID {vrid}'s master was {master} \
                     ({}): two nodes answer for this address (split brain, or a duplicate \
                     address)",
                    crate::wire::ethernet::format_mac(&mac),
                    crate::wire::ethernet::format_mac(&mm)
                ),
            });
        }
    } else if runs.windows(3).any(|w| {
        w[0].mac == w[2].mac
            && w[2].first.as_secs_f64() - w[0].last.as_secs_f64() <= CLAIM_CONFLICT_WINDOW_S
    }) {
        // No adverts to compare with (filtered out, or no link header): MACs taking turns
        // quickly is the sign.
        conflict = true;
        problems.push(Problem {
            code: "address-conflict",
            message: format!(
                "{ip} is claimed by {} MACs taking turns within {CLAIM_CONFLICT_WINDOW_S:.0}s: {}; \
                 two nodes answer for this address (split brain, or a duplicate address)",
                macs.len(),
                who.join(", ")
            ),
        });
    }
    AddressClaims {
        ip,
        macs,
        moves,
        conflict,
    }
}

/// How the packet lines show an interval: whole seconds for v2 (its field is in seconds),
/// centiseconds for v3.
pub fn interval_text(version: u8, cs: u16) -> String {
    if version == 2 {
        format!("{}s", cs / 100)
    } else {
        format!("{cs}cs")
    }
}

fn ts_f64(ts: Timestamp) -> f64 {
    ts.as_secs_f64()
}

fn auth_name(version: u8, t: u8) -> String {
    if version != 2 {
        return "-".into();
    }
    match t {
        0 => "none".into(),
        1 => "simple".into(),
        2 => "ah".into(),
        n => n.to_string(),
    }
}

fn vrid_report(vrid: u8, family: u8, st: &VridState) -> VridReport {
    let speakers: Vec<SpeakerReport> = st
        .speakers
        .iter()
        .map(|(src, sp)| {
            let (mean, jitter) = if sp.deltas > 0 {
                let n = sp.deltas as f64;
                let mean = sp.sum / n;
                let var = (sp.sum_sq / n - mean * mean).max(0.0);
                (Some(mean * 1000.0), Some(var.sqrt() * 1000.0))
            } else {
                (None, None)
            };
            SpeakerReport {
                src: *src,
                adverts: sp.count,
                invalid: sp.invalid,
                shutdown_adverts: sp.shutdowns,
                priority: sp.priority,
                priorities: sp.priorities.clone(),
                version: sp.version,
                auth_type: auth_name(sp.version, sp.auth_type),
                auth: (!sp.auth.is_empty()).then(|| printable(&sp.auth)),
                advert_int_cs: sp.advert_int_cs,
                observed_interval_ms: mean.map(round3),
                jitter_ms: jitter.map(round3),
                first_ts: sp.first_ts,
                last_ts: sp.last_ts,
                addresses: sp.addresses.clone(),
            }
        })
        .collect();
    // Master: the timeline's, unless it then said goodbye (its latest advert had priority 0).
    let master = st
        .current
        .filter(|m| st.speakers.get(m).is_some_and(|sp| sp.priority > 0));
    let mut problems = Vec::new();
    let mut split_brain = false;
    let mut collision = false;
    for (&(a, b), &n) in &st.concurrent {
        if n < CONCURRENT_THRESHOLD {
            continue;
        }
        let (sa, sb) = (&st.speakers[&a], &st.speakers[&b]);
        if sa.addresses == sb.addresses {
            split_brain = true;
            problems.push(Problem {
                code: "split-brain",
                message: format!(
                    "{a} and {b} both advertised as master at the same time: {n} times one's \
                     advert came within 1.5 advertisement intervals of the other's"
                ),
            });
        } else {
            collision = true;
            problems.push(Problem {
                code: "vrid-collision",
                message: format!(
                    "{a} and {b} advertise VRID {vrid} at the same time with different addresses: another cluster on this LAN uses the same VRID"
                ),
            });
        }
    }
    // `f` gives a speaker's setting as (what is compared, how it is shown), or None when it
    // has none to compare (auth in v3).
    let mut differ =
        |code: &'static str, what: &str, f: &dyn Fn(&Speaker) -> Option<(String, String)>| {
            let mut seen: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
            for (ip, sp) in &st.speakers {
                if let Some((key, shown)) = f(sp) {
                    seen.entry(key)
                        .or_insert_with(|| (shown, Vec::new()))
                        .1
                        .push(ip.to_string());
                }
            }
            if seen.len() > 1 {
                let parts: Vec<String> = seen
                    .values()
                    .map(|(v, who)| format!("{} sends {v}", who.join(", ")))
                    .collect();
                problems.push(Problem {
                    code,
                    message: format!("{what} differs between speakers: {}", parts.join("; ")),
                });
            }
        };
    let same = |s: String| Some((s.clone(), s));
    differ("version-mismatch", "VRRP version", &|sp| {
        same(format!("v{}", sp.version))
    });
    differ("auth-mismatch", "authentication", &|sp| {
        (sp.version == 2).then(|| {
            let mut s = auth_name(sp.version, sp.auth_type);
            if !sp.auth.is_empty() {
                s.push_str(&format!(" \"{}\"", printable(&sp.auth)));
            }
            (s.clone(), s)
        })
    });
    // A v2 1s and a v3 100cs speaker agree on the interval (the version check flags them).
    differ("interval-mismatch", "advertisement interval", &|sp| {
        Some((
            format!("{:05}", sp.advert_int_cs),
            interval_text(sp.version, sp.advert_int_cs),
        ))
    });
    if !collision {
        differ("address-mismatch", "address list", &|sp| {
            let v: Vec<String> = sp.addresses.iter().map(|a| a.to_string()).collect();
            same(format!("[{}]", v.join(",")))
        });
    }
    VridReport {
        vrid,
        family,
        master,
        split_brain,
        collision,
        speakers,
        problems,
        timeline: st.timeline.clone(),
    }
}

/// A password as tcpdump shows it (`^A` for control bytes), never a replacement character.
fn printable(b: &[u8]) -> String {
    let mut out = Vec::new();
    super::fmt::push_tcpdump_auth(&mut out, b);
    String::from_utf8_lossy(&out).into_owned()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub packets: u64,
    pub invalid: u64,
    pub malformed: u64,
    /// Capture records that could not be decoded (damaged, cut short, unknown link type).
    pub undecoded: u64,
    pub garp: u64,
    pub na: u64,
    pub vrids: Vec<VridReport>,
    /// Each address announced in gratuitous ARPs / unsolicited NAs, and by which MACs.
    pub addresses: Vec<AddressClaims>,
    /// Problems not tied to one VRID (`address-conflict`).
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddressClaims {
    pub ip: IpAddr,
    pub macs: Vec<MacClaims>,
    /// Each time another MAC took over the address.
    pub moves: Vec<AddressMove>,
    pub conflict: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MacClaims {
    pub mac: String,
    pub announcements: u64,
    pub first_ts: f64,
    pub last_ts: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddressMove {
    #[serde(serialize_with = "ts_secs")]
    pub ts: Timestamp,
    pub from: String,
    pub to: String,
}

/// One entry of a VRID's master timeline.
#[derive(Debug, Clone, Serialize)]
pub struct MasterChange {
    #[serde(serialize_with = "ts_secs")]
    pub ts: Timestamp,
    pub from: Option<IpAddr>,
    pub to: IpAddr,
    pub reason: String,
}

fn ts_secs<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ts.as_secs_f64())
}

#[derive(Debug, Clone, Serialize)]
pub struct VridReport {
    pub vrid: u8,
    /// 4 or 6.
    pub family: u8,
    pub master: Option<IpAddr>,
    pub split_brain: bool,
    pub collision: bool,
    pub speakers: Vec<SpeakerReport>,
    pub problems: Vec<Problem>,
    /// Every change of master, the first one heard included.
    pub timeline: Vec<MasterChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpeakerReport {
    pub src: IpAddr,
    pub adverts: u64,
    pub invalid: u64,
    pub shutdown_adverts: u64,
    /// The priority of its latest advert.
    pub priority: u8,
    /// Every priority it used, in order (e.g. [150, 0] for a master that stopped).
    pub priorities: Vec<u8>,
    pub version: u8,
    pub auth_type: String,
    pub auth: Option<String>,
    pub advert_int_cs: u16,
    /// Mean gap between its consecutive adverts while it kept advertising.
    pub observed_interval_ms: Option<f64>,
    /// Standard deviation of those gaps.
    pub jitter_ms: Option<f64>,
    pub first_ts: f64,
    pub last_ts: f64,
    pub addresses: Vec<IpAddr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}
