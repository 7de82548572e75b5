//! `global_defs`: the VRRP-relevant globals; the others are accepted and left to the tree.

use super::super::diag::Diagnostic;
use super::super::model::{GlobalDefs, NotifyFifo};
use super::super::tree::Node;
use super::super::values::{notify_script, Reader};

pub(super) fn read(r: &mut Reader, node: &Node, g: &mut GlobalDefs) {
    // FIFO scripts belong to their FIFO, which may come later in the block.
    let mut scripts: Vec<(&Node, bool)> = Vec::new();
    for k in node.children() {
        match k.name() {
            "router_id" => g.router_id = r.arg(k, 0).map(|w| w.text.clone()),
            "vrrp_version" => {
                if let Some(v) = r.int_arg(k, 2, 3) {
                    g.vrrp_version = v as u8;
                }
            }
            "vrrp_mcast_group4" => {
                if let Some(std::net::IpAddr::V4(a)) = r.ip_arg(k) {
                    if a.is_multicast() {
                        g.vrrp_mcast_group4 = a;
                    } else {
                        r.push(not_multicast(k, &a.to_string()));
                    }
                }
            }
            "vrrp_mcast_group6" => {
                if let Some(std::net::IpAddr::V6(a)) = r.ip_arg(k) {
                    if a.is_multicast() {
                        g.vrrp_mcast_group6 = a;
                    } else {
                        r.push(not_multicast(k, &a.to_string()));
                    }
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_master_delay = std::time::Duration::from_secs(v as u64);
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_master_repeat = (v as u32).max(1);
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_master_refresh =
                        (v > 0).then(|| std::time::Duration::from_secs(v as u64));
                }
            }
            "vrrp_garp_master_refresh_repeat" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_master_refresh_repeat = (v as u32).max(1);
                }
            }
            "vrrp_garp_lower_prio_delay" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_lower_prio_delay = Some(std::time::Duration::from_secs(v as u64));
                }
            }
            "vrrp_garp_lower_prio_repeat" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.vrrp_garp_lower_prio_repeat = Some(v as u32);
                }
            }
            "vrrp_garp_interval" => {
                if let Some(v) = r.timer_arg(k, 0.0, 1.0) {
                    g.vrrp_garp_interval = v;
                }
            }
            // keepalived reads milliseconds of a decimal second, up to UINT_MAX microseconds.
            "vrrp_startup_delay" => {
                if let Some(v) = r.timer_arg(k, 0.001, f64::from(u32::MAX) / 1e6) {
                    g.vrrp_startup_delay = v;
                }
            }
            "vrrp_gna_interval" => {
                if let Some(v) = r.timer_arg(k, 0.0, 1.0) {
                    g.vrrp_gna_interval = v;
                }
            }
            "vrrp_min_garp" if r.bool_at(k, 0) == Some(true) => {
                g.vrrp_garp_master_repeat = 1;
                g.vrrp_garp_master_refresh = None;
                g.vrrp_garp_master_refresh_repeat = 0;
                g.vrrp_garp_master_delay = std::time::Duration::ZERO;
            }
            "vrrp_down_timer_adverts" => {
                if let Some(v) = r.int_arg(k, 1, 100) {
                    g.vrrp_down_timer_adverts = v as u32;
                }
            }
            "vrrp_lower_prio_no_advert" => {
                if let Some(v) = r.bool_at(k, 0) {
                    g.vrrp_lower_prio_no_advert = v;
                }
            }
            "vrrp_higher_prio_send_advert" => {
                if let Some(v) = r.bool_at(k, 0) {
                    g.vrrp_higher_prio_send_advert = v;
                }
            }
            "vrrp_strict" => g.vrrp_strict = true,
            "nftables" | "nftables_priority" | "nftables_counters" | "nftables_ifindex"
            | "vrrp_iptables" => nftables(r, k, g),
            "vrrp_skip_check_adv_addr" => g.vrrp_skip_check_adv_addr = true,
            "vrrp_check_unicast_src" => g.vrrp_check_unicast_src = true,
            "enable_script_security" => g.enable_script_security = true,
            "fifo_write_vrrp_states_on_reload" => g.fifo_write_vrrp_states_on_reload = true,
            "no_email_faults" => g.no_email_faults = true,
            "script_user" => {
                if let Some(u) = r.arg(k, 0) {
                    g.script_user = Some((u.text.clone(), k.arg(1).map(|w| w.text.clone())));
                }
            }
            "max_auto_priority" => {
                g.max_auto_priority = match k.arg(0) {
                    None => Some(99),
                    Some(w) => r.int("max_auto_priority", w, -1, 99).map(|v| v as i32),
                }
            }
            "notification_email" => {
                g.notification_email = k
                    .children()
                    .iter()
                    .flat_map(|n| n.words())
                    .map(|w| w.text.clone())
                    .chain(k.args.iter().map(|w| w.text.clone()))
                    .collect();
            }
            "notification_email_from" => {
                g.notification_email_from = r.arg(k, 0).map(|w| w.text.clone())
            }
            "smtp_server" => {
                g.smtp_server = r.arg(k, 0).map(|w| w.text.clone());
                if let Some(w) = k.arg(1) {
                    if let Some(p) = r.int("smtp_server", w, 1, 65535) {
                        g.smtp_port = p as u16;
                    }
                }
            }
            "smtp_helo_name" => g.smtp_helo_name = r.arg(k, 0).map(|w| w.text.clone()),
            "smtp_alert" => g.smtp_alert = r.bool_at(k, 0),
            "smtp_alert_vrrp" => g.smtp_alert_vrrp = r.bool_at(k, 0),
            "vrrp_notify_priority_changes" => {
                if let Some(v) = r.bool_at(k, 0) {
                    g.vrrp_notify_priority_changes = v;
                }
            }
            "startup_script" => g.startup_script = notify_script(k),
            "shutdown_script" => g.shutdown_script = notify_script(k),
            "startup_script_timeout" => {
                if let Some(v) = r.int_arg(k, 1, 1000) {
                    g.startup_script_timeout = std::time::Duration::from_secs(v as u64);
                }
            }
            "shutdown_script_timeout" => {
                if let Some(v) = r.int_arg(k, 1, 1000) {
                    g.shutdown_script_timeout = std::time::Duration::from_secs(v as u64);
                }
            }
            "smtp_connect_timeout" => {
                // keepalived takes whole seconds up to UINT_MAX / TIMER_HZ (global_parser.c).
                if let Some(v) = r.int_arg(k, 0, 4294) {
                    g.smtp_connect_timeout = Some(std::time::Duration::from_secs(v.max(1) as u64));
                }
            }
            "vrrp_notify_fifo" => fifo(r, k, &mut g.vrrp_notify_fifo),
            "notify_fifo" => fifo(r, k, &mut g.notify_fifo),
            "vrrp_notify_fifo_script" => scripts.push((k, true)),
            "notify_fifo_script" => scripts.push((k, false)),
            "dynamic_interfaces" => g.dynamic_interfaces = true,
            "log_unknown_vrids" => g.log_unknown_vrids = true,
            // keepalived keeps the first and ignores later ones with an error.
            "vmac_prefix" | "vmac_addr_prefix" => {
                let slot = if k.name() == "vmac_prefix" {
                    &mut g.vmac_prefix
                } else {
                    &mut g.vmac_addr_prefix
                };
                if let Some(w) = r.arg(k, 0) {
                    if slot.is_some() {
                        r.push(super::super::diag::Diagnostic::error(
                            "invalid-value",
                            k.span(),
                            format!(
                                "{} has already been specified - ignoring {}",
                                k.name(),
                                w.text
                            ),
                        ));
                    } else {
                        *slot = Some(w.text.clone());
                    }
                }
            }
            "process_monitor_rcv_bufs" => {
                if let Some(v) = r.int_arg(k, 0, i64::from(u32::MAX)) {
                    g.process_monitor_rcv_bufs = (v > 0).then_some(v as u32);
                }
            }
            "process_monitor_rcv_bufs_force" => {
                if let Some(v) = r.bool_at(k, 0) {
                    g.process_monitor_rcv_bufs_force = v;
                }
            }
            _ => {}
        }
    }
    for (k, vrrp) in scripts {
        let fifo = if vrrp {
            &mut g.vrrp_notify_fifo
        } else {
            &mut g.notify_fifo
        };
        match fifo {
            Some(f) if f.script.is_none() => f.script = notify_script(k),
            Some(_) => r.push(Diagnostic::error(
                "duplicate-keyword",
                k.span(),
                format!(
                    "`{}` is already specified; keepalived ignores this one",
                    k.name()
                ),
            )),
            None => r.push(
                Diagnostic::warning(
                    "unused-keyword",
                    k.span(),
                    format!("`{}` without its FIFO is never run", k.name()),
                )
                .with_help(format!(
                    "add `{}` PATH to global_defs",
                    k.name().trim_end_matches("_script")
                )),
            ),
        }
    }
}

/// `[vrrp_]notify_fifo PATH [USER [GROUP]]`; the first one counts, as in keepalived.
fn fifo(r: &mut Reader, k: &Node, slot: &mut Option<NotifyFifo>) {
    let Some(path) = r.arg(k, 0) else { return };
    if slot.is_some() {
        r.push(Diagnostic::error(
            "duplicate-keyword",
            k.span(),
            format!(
                "`{}` is already specified; keepalived ignores {}",
                k.name(),
                path.text
            ),
        ));
        return;
    }
    *slot = Some(NotifyFifo {
        path: path.text.clone().into(),
        user: k.arg(1).map(|w| w.text.clone()),
        group: k.arg(2).map(|w| w.text.clone()),
        script: None,
        span: path.span.clone(),
    });
}

fn not_multicast(k: &Node, a: &str) -> super::super::diag::Diagnostic {
    super::super::diag::Diagnostic::error(
        "invalid-value",
        k.span(),
        format!(
            "`{}` {a} is not a multicast address; keepalived ignores it",
            k.name()
        ),
    )
}

/// keepalived 2.2.7's nftables keywords (global_parser.c), as its NFTABLES-only build (Debian's)
/// reads them, each message as keepalived says it.
/// Whether nft's scanner reads `name` as one identifier (nft 1.0.6, scanner.l `string`):
/// keepalived writes through libnftnl and takes any name, `nft add table ip 1abc` is a syntax
/// error (measured).
fn nft_can_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == '.')
        && c.all(|x| x.is_ascii_alphanumeric() || "/-_.".contains(x))
}

fn nftables(r: &mut Reader, k: &Node, g: &mut GlobalDefs) {
    let say =
        |r: &mut Reader, text: String| r.push(Diagnostic::error("invalid-value", k.span(), text));
    match k.name() {
        "nftables" => {
            if g.nftables.is_some() {
                return say(r, "nftables already specified - ignoring".into());
            }
            let name = k.arg(0).map_or(super::NFTABLES_TABLE, |w| w.text.as_str());
            // The kernel's NFT_TABLE_MAXNAMELEN, terminating NUL included.
            if name.len() >= 256 {
                return say(r, "nftables table name too long - ignoring".into());
            }
            if !nft_can_name(name) {
                let span = k.arg(0).map_or(k.span(), |w| &w.span);
                r.push(super::not_run_note(
                    super::NotRun::Vrrp,
                    span,
                    &format!("the nftables table name `{name}`"),
                    "vrrpd writes its table with the nft command, whose syntax names a table with a letter, `_` or `.` first, then letters, digits and `/-_.`",
                ));
            }
            g.nftables = Some(name.to_string());
            g.nftables_priority = -1;
        }
        "nftables_priority" => {
            if let Some(p) = r.int_arg(k, i64::from(i32::MIN), i64::from(i32::MAX)) {
                g.nftables_priority = p as i32;
            }
        }
        "nftables_counters" => g.nftables_counters = true,
        "nftables_ifindex" => g.nftables_ifindex = true,
        // Built without IPTABLES, keepalived says so and runs its nftables table instead.
        _ => {
            say(r, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option".into());
            g.nftables = Some(super::NFTABLES_TABLE.to_string());
            g.nftables_priority = -1;
        }
    }
}
