//! Reading the host: runs `nft -j list ruleset`, `iptables-*-save`, reads firewalld's permanent
//! config and the interface's addresses (`ip -j addr`). The only I/O of the firewall room;
//! tests point it at saved outputs instead (`Overrides`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::firewalld::{self, Permanent};
use super::iptables;
use super::model::*;
use super::nft;
use super::probe::IpFamily;
use super::FirewallError;

/// Which firewall to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Auto,
    Nftables,
    Iptables,
    Firewalld,
}

/// Saved outputs to read instead of the live host (for tests and for checking a rule set
/// copied from another machine).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `nft -j list ruleset` output.
    pub nft_json: Option<PathBuf>,
    /// `iptables-save` / `ip6tables-save` outputs (the header says family and backend).
    pub iptables_save: Vec<PathBuf>,
    /// A root holding etc/firewalld and usr/lib/firewalld.
    pub firewalld_root: Option<PathBuf>,
}

impl Overrides {
    fn offline(&self) -> bool {
        self.nft_json.is_some() || !self.iptables_save.is_empty()
    }
}

/// Everything read from the host, merged into one rule set.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub ruleset: Ruleset,
    /// What was read: `nftables`, `iptables-nft`, `iptables-legacy`, `firewalld`.
    pub backends: Vec<String>,
    /// firewalld's runtime table is loaded (firewalld runs).
    pub firewalld_running: bool,
    /// firewalld is enabled in systemd: it starts at boot even if it is stopped now.
    pub firewalld_enabled: bool,
    pub firewalld_permanent: Option<Permanent>,
    /// `iptables` on this host is the nf_tables variant (None: unknown or not installed).
    pub iptables_is_nft: Option<bool>,
    /// VRRP/AH entries of the conntrack table right now (live runs only).
    pub conntrack: Vec<CtEntry>,
    pub notes: Vec<String>,
}

/// One generic-protocol conntrack entry (`/proc/net/nf_conntrack`): original direction, the
/// seconds left, and whether a reply was seen (then the peer's adverts are ESTABLISHED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtEntry {
    pub proto: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub timeout_s: u64,
    pub replied: bool,
}

/// Parse /proc/net/nf_conntrack, keeping protocols 112 and 51.
pub fn parse_conntrack(text: &str) -> Vec<CtEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        // ipv4 2 unknown 112 598 src=.. dst=.. [UNREPLIED] src=.. dst=.. ...
        let (Some(proto), Some(timeout)) = (
            w.get(3).and_then(|p| p.parse::<u8>().ok()),
            w.get(4).and_then(|t| t.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if proto != 112 && proto != 51 {
            continue;
        }
        let field = |k: &str| {
            w.iter()
                .find_map(|x| x.strip_prefix(k))
                .and_then(|v| v.parse::<IpAddr>().ok())
        };
        if let (Some(src), Some(dst)) = (field("src="), field("dst=")) {
            out.push(CtEntry {
                proto,
                src,
                dst,
                timeout_s: timeout,
                replied: !w.contains(&"[UNREPLIED]"),
            });
        }
    }
    out
}

impl Collected {
    pub fn backend_label(&self) -> String {
        if self.backends.is_empty() {
            "none".into()
        } else {
            self.backends.join("+")
        }
    }
    fn add_backend(&mut self, b: &str) {
        if !self.backends.iter().any(|x| x == b) {
            self.backends.push(b.to_string());
        }
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// Run a tool; Ok(stdout) on success, Err(sentence) naming the permission or the package.
fn run(tool: &str, args: &[&str], package: &str) -> Result<String, FirewallError> {
    let out = Command::new(tool).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FirewallError::Read(format!(
                "{tool} is not installed (install the {package} package)"
            ))
        } else {
            FirewallError::Read(format!("cannot run {tool}: {e}"))
        }
    })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or("").trim();
    if err.contains("Operation not permitted") || err.contains("Permission denied") {
        return Err(FirewallError::Read(format!(
            "`{tool} {}` was refused ({first}): reading the firewall needs root (CAP_NET_ADMIN); \
             run vrrpctl firewall-check with sudo",
            args.join(" ")
        )));
    }
    Err(FirewallError::Read(format!(
        "`{tool} {}` failed: {first}",
        args.join(" ")
    )))
}

fn read_file(p: &Path) -> Result<String, FirewallError> {
    std::fs::read_to_string(p)
        .map_err(|e| FirewallError::Read(format!("cannot read {}: {e}", p.display())))
}

/// Read the firewall as `backend` asks.
pub fn collect(backend: Backend, ov: &Overrides) -> Result<Collected, FirewallError> {
    let mut c = Collected::default();
    let want_nft = matches!(
        backend,
        Backend::Auto | Backend::Nftables | Backend::Firewalld
    );
    if want_nft {
        read_nft(&mut c, ov, backend)?;
    }
    if matches!(backend, Backend::Auto | Backend::Iptables) {
        read_iptables(&mut c, ov, backend)?;
    }
    if matches!(backend, Backend::Auto | Backend::Firewalld) {
        read_firewalld(&mut c, ov, backend)?;
    }
    if !ov.offline() {
        if let Ok(text) = std::fs::read_to_string("/proc/net/nf_conntrack") {
            c.conntrack = parse_conntrack(&text);
        }
    }
    if c.backends.is_empty() && c.ruleset.tables.is_empty() {
        c.notes
            .push("no firewall rules are loaded on this host".into());
    }
    Ok(c)
}

fn read_nft(c: &mut Collected, ov: &Overrides, backend: Backend) -> Result<(), FirewallError> {
    let json = match &ov.nft_json {
        Some(p) => read_file(p)?,
        None if ov.offline() => return Ok(()),
        None => {
            if !on_path("nft") {
                if backend == Backend::Auto {
                    c.notes
                        .push("nft is not installed; nftables was not read".into());
                    return Ok(());
                }
                return Err(FirewallError::Read(
                    "nft is not installed (install the nftables package)".into(),
                ));
            }
            run("nft", &["-j", "list", "ruleset"], "nftables")?
        }
    };
    let mut rs = nft::parse(&json)?;
    let needs_devices = rs.tables.iter().any(|t| {
        t.chains.iter().any(|ch| {
            ch.base.as_ref().is_some_and(|b| {
                matches!(b.hook, Hook::Ingress | Hook::Egress) && b.devices.is_none()
            })
        })
    });
    if needs_devices {
        let listing = match &ov.nft_json {
            Some(p) => std::fs::read_to_string(p.with_extension("listed.nft")).ok(),
            None => run("nft", &["list", "ruleset"], "nftables").ok(),
        };
        if let Some(l) = listing {
            nft::fill_devices_from_listing(&mut rs, &l);
        }
    }
    if rs
        .tables
        .iter()
        .any(|t| t.origin == Origin::FirewalldRuntime)
    {
        c.firewalld_running = true;
        c.add_backend("firewalld");
    }
    if rs.tables.iter().any(|t| t.origin == Origin::Nftables) || !c.firewalld_running {
        c.add_backend("nftables");
    }
    c.ruleset = rs;
    // Tables made by iptables-nft carry opaque `xt` statements in JSON: read them through
    // iptables-nft-save, which prints them in full.
    if !ov.offline() && c.ruleset.tables.iter().any(looks_iptables_nft) {
        for (tool, fam) in [
            ("iptables-nft-save", IpFamily::V4),
            ("ip6tables-nft-save", IpFamily::V6),
        ] {
            if !on_path(tool) {
                continue;
            }
            match run(tool, &[], "iptables") {
                Ok(text) => overlay(c, &text, fam, Origin::IptablesNft)?,
                Err(e) => c
                    .notes
                    .push(format!("{e}; its tables are evaluated from nft's JSON")),
            }
        }
    }
    Ok(())
}

/// iptables-nft makes tables named like x_tables ones, with upper-case built-in chains.
fn looks_iptables_nft(t: &Table) -> bool {
    matches!(t.family, TableFamily::Ip | TableFamily::Ip6)
        && matches!(
            t.name.as_str(),
            "filter" | "mangle" | "raw" | "security" | "nat"
        )
        && t.chains.iter().any(|ch| {
            matches!(
                ch.name.as_str(),
                "INPUT" | "OUTPUT" | "PREROUTING" | "POSTROUTING" | "FORWARD"
            )
        })
}

/// Put the tables of one iptables-save document in place of the nft tables of the same name.
fn overlay(
    c: &mut Collected,
    text: &str,
    fam: IpFamily,
    origin: Origin,
) -> Result<(), FirewallError> {
    let rs = iptables::parse(text, fam, origin)?;
    if rs.tables.is_empty() {
        return Ok(());
    }
    c.add_backend(match origin {
        Origin::IptablesLegacy => "iptables-legacy",
        _ => "iptables-nft",
    });
    for t in rs.tables {
        if origin == Origin::IptablesNft {
            c.ruleset.tables.retain(|x| {
                !(x.family == t.family && x.name == t.name && x.origin == Origin::Nftables)
            });
        }
        c.ruleset.tables.push(t);
    }
    Ok(())
}

fn read_iptables(c: &mut Collected, ov: &Overrides, backend: Backend) -> Result<(), FirewallError> {
    if ov.offline() {
        for p in &ov.iptables_save {
            let text = read_file(p)?;
            let h = iptables::header(&text, false);
            let origin = if h.nft_backend {
                Origin::IptablesNft
            } else {
                Origin::IptablesLegacy
            };
            overlay(c, &text, h.family, origin)?;
        }
        return Ok(());
    }
    if on_path("iptables") {
        c.iptables_is_nft = run("iptables", &["-V"], "iptables")
            .ok()
            .map(|v| v.contains("nf_tables"));
    }
    if backend == Backend::Iptables {
        // Exactly what `iptables-save` shows, whichever backend the alternative points to.
        if !on_path("iptables-save") {
            return Err(FirewallError::Read(
                "iptables-save is not installed (install the iptables package)".into(),
            ));
        }
        for (tool, fam) in [
            ("iptables-save", IpFamily::V4),
            ("ip6tables-save", IpFamily::V6),
        ] {
            if !on_path(tool) {
                continue;
            }
            let text = run(tool, &[], "iptables")?;
            let h = iptables::header(&text, c.iptables_is_nft.unwrap_or(true));
            let origin = if h.nft_backend {
                Origin::IptablesNft
            } else {
                Origin::IptablesLegacy
            };
            overlay(c, &text, fam, origin)?;
        }
    }
    // Legacy x_tables are invisible to nft; a packet must pass them too.
    for (names, tool, fam) in [
        (
            "/proc/net/ip_tables_names",
            "iptables-legacy-save",
            IpFamily::V4,
        ),
        (
            "/proc/net/ip6_tables_names",
            "ip6tables-legacy-save",
            IpFamily::V6,
        ),
    ] {
        let loaded = std::fs::read_to_string(names).is_ok_and(|s| !s.trim().is_empty());
        let already = c.ruleset.tables.iter().any(|t| {
            t.origin == Origin::IptablesLegacy
                && (t.family == TableFamily::Ip) == (fam == IpFamily::V4)
        });
        if !loaded || already {
            continue;
        }
        if !on_path(tool) {
            c.notes.push(format!(
                "legacy iptables tables are loaded ({names}) but {tool} is missing (install the iptables package): they were not checked"
            ));
            continue;
        }
        let text = run(tool, &[], "iptables")?;
        overlay(c, &text, fam, Origin::IptablesLegacy)?;
    }
    Ok(())
}

fn read_firewalld(
    c: &mut Collected,
    ov: &Overrides,
    backend: Backend,
) -> Result<(), FirewallError> {
    if ov.offline() && ov.firewalld_root.is_none() {
        // A saved rule set from elsewhere: this host's firewalld config says nothing about it.
        return Ok(());
    }
    let root = ov
        .firewalld_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("/"));
    c.firewalld_enabled = ["multi-user.target.wants", "graphical.target.wants"]
        .iter()
        .any(|w| {
            root.join("etc/systemd/system")
                .join(w)
                .join("firewalld.service")
                .exists()
        });
    let has_config = root.join("etc/firewalld").is_dir() || root.join("usr/lib/firewalld").is_dir();
    if !has_config {
        if backend == Backend::Firewalld && !c.firewalld_running {
            return Err(FirewallError::Read(format!(
                "firewalld is not running and has no configuration under {} (install the firewalld package)",
                root.display()
            )));
        }
        return Ok(());
    }
    let perm = match firewalld::load(&root) {
        Ok(p) => p,
        // Only fatal when the permanent config is the very thing to evaluate.
        Err(e) if backend == Backend::Firewalld && !c.firewalld_running => return Err(e),
        Err(e) => {
            c.notes.push(format!(
                "firewalld's permanent configuration was not checked: {e}"
            ));
            return Ok(());
        }
    };
    if !c.firewalld_running && backend == Backend::Firewalld {
        // Nothing is loaded: judge what firewalld would load when it starts.
        c.ruleset.tables.push(firewalld::compile(&perm));
        c.add_backend("firewalld");
        c.notes
            .push("firewalld is not running: its permanent configuration was evaluated".into());
    }
    c.firewalld_permanent = Some(perm);
    Ok(())
}

/// The interface's addresses (`ip -j addr show dev IFACE`): (address, prefix length).
pub fn iface_addrs(iface: &str) -> Result<Vec<(IpAddr, u8)>, FirewallError> {
    let out = Command::new("ip")
        .args(["-j", "addr", "show", "dev", iface])
        .output()
        .map_err(|e| FirewallError::Read(format!("cannot run ip (install iproute2): {e}")))?;
    if !out.status.success() {
        return Err(FirewallError::Read(format!(
            "interface {iface} does not exist on this host"
        )));
    }
    parse_ip_addr_json(&String::from_utf8_lossy(&out.stdout))
}

/// Parse `ip -j addr` output: global addresses first, then link-local, as listed.
pub fn parse_ip_addr_json(text: &str) -> Result<Vec<(IpAddr, u8)>, FirewallError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| FirewallError::Parse(format!("ip -j addr: {e}")))?;
    let mut out = Vec::new();
    for link in v.as_array().into_iter().flatten() {
        for a in link
            .get("addr_info")
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
        {
            let local = a
                .get("local")
                .and_then(|x| x.as_str())
                .and_then(|s| s.parse().ok());
            let len = a.get("prefixlen").and_then(|x| x.as_u64());
            if let (Some(ip), Some(len)) = (local, len) {
                out.push((ip, len.min(128) as u8));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conntrack_entries() {
        let e = parse_conntrack(
            "ipv4     2 unknown  112 598 src=192.0.2.1 dst=192.0.2.2 src=192.0.2.2 dst=192.0.2.1 mark=0 zone=0 use=2
ipv4     2 unknown  112 590 src=192.0.2.1 dst=224.0.0.18 [UNREPLIED] src=224.0.0.18 dst=192.0.2.1 mark=0 zone=0 use=2
ipv4     2 tcp      6 431999 ESTABLISHED src=192.0.2.1 dst=192.0.2.9 sport=1 dport=22",
        );
        assert_eq!(e.len(), 2);
        assert!(e[0].replied && !e[1].replied);
        assert_eq!(e[0].timeout_s, 598);
    }

    #[test]
    fn ip_addr_json() {
        let a = parse_ip_addr_json(
            r#"[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.1","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]"#,
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0], ("192.0.2.1".parse().unwrap(), 24));
        assert!(parse_ip_addr_json("nope").is_err());
    }
}
