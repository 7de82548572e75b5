//! `vrrpctl firewall-check`: turn flags into a check request, read the host's firewall, and
//! print one line per instance, direction and peer with its verdict, the deciding rule and the
//! fix (or DESIGN.md's JSON). Exit 0 when every path is allowed, 1 otherwise, 2 when the rule
//! set or the config could not be read.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use owo_colors::Style;

use super::{
    CmdError, CmdResult, Exit, Family, FirewallArgs, FirewallBackend, Output, DEFAULT_CONFIG,
};
use crate::firewall::check::{self, Report, Request};
use crate::firewall::collect::{self, Backend, Overrides};
use crate::firewall::probe::{Direction, IpFamily};
use crate::firewall::verdict::Verdict;

pub fn run(a: &FirewallArgs, out: &Output) -> CmdResult {
    let req = request(a)?;
    let backend = match a.backend {
        FirewallBackend::Auto => Backend::Auto,
        FirewallBackend::Nftables => Backend::Nftables,
        FirewallBackend::Iptables => Backend::Iptables,
        FirewallBackend::Firewalld => Backend::Firewalld,
    };
    let ov = Overrides {
        nft_json: a.nft_json.clone(),
        iptables_save: a.iptables_save.clone(),
        firewalld_root: a.firewalld_root.clone(),
    };
    let lookup = |iface: &str| collect::iface_addrs(iface).map_err(|e| e.to_string());
    let planned = check::plan(&req, &lookup).map_err(CmdError::usage)?;
    let collected = collect::collect(backend, &ov)
        .map_err(|e| CmdError::usage(format!("cannot read the firewall: {e}")))?;
    let report = check::run(&collected, &planned);
    if out.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CmdError::usage(format!("cannot encode the report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render_text(&report, out));
    }
    Ok(if report.verdict == Verdict::Allowed {
        Exit::Ok
    } else {
        Exit::Problem
    })
}

fn request(a: &FirewallArgs) -> Result<Request, CmdError> {
    let local = match &a.local {
        None => None,
        Some(s) => Some(
            parse_local(s)
                .ok_or_else(|| CmdError::usage(format!("--local {s:?} is not ADDR or ADDR/LEN")))?,
        ),
    };
    let config_path: Option<PathBuf> = match (&a.config, &a.interface) {
        (Some(p), _) => Some(p.clone()),
        (None, None) => Some(PathBuf::from(DEFAULT_CONFIG)),
        (None, Some(_)) => None,
    };
    let config = match &config_path {
        Some(p) => Some(load_config(p, a.config.is_none())?),
        None => None,
    };
    Ok(Request {
        config,
        iface: a.interface.clone(),
        peers: a.peer.clone(),
        family: a.family.map(|f| match f {
            Family::V4 => IpFamily::V4,
            Family::V6 => IpFamily::V6,
        }),
        group: a.group,
        unicast: a.unicast,
        local,
    })
}

fn load_config(p: &Path, defaulted: bool) -> Result<crate::config::model::Config, CmdError> {
    match crate::config::load(p) {
        Ok(l) => Ok(l.config),
        Err(e) if defaulted => Err(CmdError::usage(format!(
            "{e}; give --config FILE or check an interface by hand with -i IFACE"
        ))),
        Err(e) => Err(CmdError::usage(format!("{e}"))),
    }
}

fn parse_local(s: &str) -> Option<(IpAddr, Option<u8>)> {
    match s.split_once('/') {
        Some((a, l)) => {
            let a: IpAddr = a.parse().ok()?;
            let l: u8 = l.parse().ok()?;
            let max = if a.is_ipv4() { 32 } else { 128 };
            (l <= max).then_some((a, Some(l)))
        }
        None => Some((s.parse().ok()?, None)),
    }
}

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Allowed => Style::new().green().bold(),
        Verdict::Blocked => Style::new().red().bold(),
        Verdict::Conditional => Style::new().yellow().bold(),
        Verdict::Unknown => Style::new().magenta().bold(),
    }
}

/// The human report: one line per path, then the fixes to apply.
pub fn render_text(r: &Report, out: &Output) -> String {
    let mut s = String::new();
    let dim = Style::new().dimmed();
    s.push_str(&format!("{} {}\n", out.paint("backend:", dim), r.backend));
    for c in &r.checks {
        let who = c.instance.as_deref().unwrap_or("-");
        let verdict = out.paint(
            &format!("{:<11}", c.verdict.as_str()),
            verdict_style(c.verdict),
        );
        let path = if c.interface.is_empty() {
            String::new()
        } else {
            let dir = match c.direction {
                Direction::In => "in ",
                Direction::Out => "out",
            };
            let (src, dst) = (&c.source, &c.destination);
            match (src.is_empty(), dst.is_empty()) {
                (true, true) => format!("{} {} {dir}", c.interface, c.family),
                _ => format!("{} {} {dir} {src} -> {dst}", c.interface, c.family),
            }
        };
        s.push_str(&format!("{verdict} {who}: {path}\n"));
        s.push_str(&format!("    {}\n", c.reason));
        for n in &c.notes {
            s.push_str(&format!("    {} {n}\n", out.paint("note:", dim)));
        }
        if let Some(f) = &c.fix {
            s.push_str(&format!(
                "    {} {f}\n",
                out.paint("fix:", Style::new().bold())
            ));
        }
    }
    for n in &r.notes {
        s.push_str(&format!("{} {n}\n", out.paint("note:", dim)));
    }
    if !r.advice.is_empty() {
        s.push_str(&format!("{}\n", out.paint("advice:", Style::new().bold())));
        for a in &r.advice {
            s.push_str(&format!("  - {a}\n"));
        }
    }
    let summary = match r.verdict {
        Verdict::Allowed => "VRRP adverts pass this host's firewall on every checked path",
        Verdict::Blocked => "the firewall drops VRRP adverts on at least one path",
        Verdict::Conditional => {
            "VRRP passes only conditionally on at least one path (conntrack state, some peers, or until a reload)"
        }
        Verdict::Unknown => "at least one path could not be evaluated (see above)",
    };
    s.push_str(&format!(
        "{} {summary}\n",
        out.paint(
            &format!("{}:", r.verdict.as_str()),
            verdict_style(r.verdict)
        )
    ));
    s
}
