//! A text tcpdump in a namespace: the kernel's timestamps of what crossed one interface, for the
//! tests that time a daemon's packets on the wire (microseconds, realtime clock).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::{wait_for, Netns};

/// tcpdump -n -l -tt on an interface, its lines going to a file; killed with the namespace.
pub struct Tcpdump {
    out: PathBuf,
}

/// One captured packet.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Since the Unix epoch.
    pub at: Duration,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// What tcpdump printed after `SRC > DST: `.
    pub what: String,
}

impl Seen {
    /// The priority of a VRRP advert.
    pub fn vrrp_prio(&self) -> Option<u8> {
        let rest = self.what.split("prio ").nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
    pub fn is_igmp(&self) -> bool {
        self.what.starts_with("igmp")
    }
}

impl Tcpdump {
    /// Start capturing `filter` on `ifname` in `ns`, writing into `dir`; returns once tcpdump
    /// is listening.
    pub fn start(ns: &mut Netns, ifname: &str, filter: &str, dir: &Path) -> Tcpdump {
        let out = dir.join(format!("tcpdump-{ifname}.txt"));
        let err = dir.join(format!("tcpdump-{ifname}.err"));
        let mut cmd = ns.command("tcpdump");
        cmd.args(["-i", ifname, "-n", "-l", "-tt", filter])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("tcpdump output file"))
            .stderr(std::fs::File::create(&err).expect("tcpdump error file"));
        ns.spawn(&mut cmd);
        wait_for(Duration::from_secs(5), || {
            std::fs::read_to_string(&err)
                .ok()
                .filter(|t| t.contains("listening on"))
        })
        .unwrap_or_else(|| {
            panic!(
                "tcpdump did not start: {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            )
        });
        Tcpdump { out }
    }

    /// Every IPv4/IPv6 packet captured so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines().filter_map(parse_line).collect()
    }
}

/// `1796156765.302168 IP 192.0.2.1 > 224.0.0.22: igmp v3 report, ...` (IP6 likewise).
fn parse_line(line: &str) -> Option<Seen> {
    let mut words = line.splitn(5, ' ');
    let ts = words.next()?;
    let proto = words.next()?;
    if proto != "IP" && proto != "IP6" {
        return None;
    }
    let src = words.next()?;
    let _arrow = words.next()?;
    let (dst, what) = words.next()?.split_once(": ")?;
    let (secs, micros) = ts.split_once('.')?;
    Some(Seen {
        at: Duration::from_secs(secs.parse().ok()?) + Duration::from_micros(micros.parse().ok()?),
        src: src.parse().ok()?,
        dst: dst.parse().ok()?,
        what: what.to_string(),
    })
}
