//! The per-VRID picture built from the adverts seen: who is master, every speaker's priority,
//! version, auth and interval (advertised and observed, with jitter), and the trouble signs —
//! two sources advertising the same VRID at once (split brain, or a VRID collision with another
//! cluster when their addresses differ) and settings that disagree between speakers.

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
        if sp.addresses != a.addresses {
            sp.addresses = a.addresses.clone();
        }
    }

    pub fn record_garp(&mut self) {
        self.garps += 1;
    }
    pub fn record_na(&mut self) {
        self.nas += 1;
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
        Report {
            packets: self.packets,
            invalid: self.invalid,
            malformed: self.malformed,
            undecoded: self.undecoded,
            garp: self.garps,
            na: self.nas,
            vrids,
        }
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
    // Master: the speaker heard most recently with a non-zero priority, unless it then said
    // goodbye (its latest advert had priority 0).
    let master = st
        .speakers
        .iter()
        .filter(|(_, sp)| sp.priority > 0)
        .max_by(|a, b| a.1.last_ts.total_cmp(&b.1.last_ts))
        .map(|(ip, _)| *ip);
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
                    "{a} and {b} both advertised as master at the same time ({n} times)"
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
    // `f` gives a speaker's setting, or None when it has none to compare (auth in v3).
    let mut differ = |code: &'static str, what: &str, f: &dyn Fn(&Speaker) -> Option<String>| {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (ip, sp) in &st.speakers {
            if let Some(v) = f(sp) {
                seen.entry(v).or_default().push(ip.to_string());
            }
        }
        if seen.len() > 1 {
            let parts: Vec<String> = seen
                .iter()
                .map(|(v, who)| format!("{} sends {v}", who.join(", ")))
                .collect();
            problems.push(Problem {
                code,
                message: format!("{what} differs between speakers: {}", parts.join("; ")),
            });
        }
    };
    differ("version-mismatch", "VRRP version", &|sp| {
        Some(format!("v{}", sp.version))
    });
    differ("auth-mismatch", "authentication", &|sp| {
        (sp.version == 2).then(|| {
            let mut s = auth_name(sp.version, sp.auth_type);
            if !sp.auth.is_empty() {
                s.push_str(&format!(" \"{}\"", printable(&sp.auth)));
            }
            s
        })
    });
    differ("interval-mismatch", "advertisement interval", &|sp| {
        Some(format!("{}cs", sp.advert_int_cs))
    });
    if !collision {
        differ("address-mismatch", "address list", &|sp| {
            let v: Vec<String> = sp.addresses.iter().map(|a| a.to_string()).collect();
            Some(format!("[{}]", v.join(",")))
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
