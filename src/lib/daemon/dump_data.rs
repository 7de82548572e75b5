//! The text of `keepalived.data` (USR1), section by section as keepalived 2.2.7's
//! dump_data_vrrp writes it: Global definitions, VRRP Topology (each instance's full block),
//! VRRP Sockpool, VRRP Sync groups, VRRP Scripts, VRRP Track files, VRRP Track processes,
//! Interfaces - with keepalived's wording, order and indentation, so the scripts and exporters
//! that parse the file (` VRRP Instance = `, `   State = `, ` VRRP Script = `, `   Status = `)
//! read ours the same way.
//!
//! vrrpd writes what a keepalived built with nftables (as Debian's is) and without LVS, BFD,
//! SNMP and DBus writes (those lines are behind keepalived's own build switches, so parsers
//! already live without them), less the libnftnl version (vrrpd runs `nft`), and leaves out the lines about machinery vrrpd does not have: realtime scheduling
//! and its limits, netlink buffer sizes, rx_bufs, umask, config-test-before-reload, and, per
//! interface, the ARP/promote_secondaries sysctl bookkeeping of VMACs and the debounce timers.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::config::model::{GlobalDefs, Notify, ParamMatch};
use crate::fsm::{State, Version};
use crate::node::{FaultSource, NodeInstance, TrackerKind, TrackerState};

use super::dump::{cmd_str, notify_ids, own_interface, script_ids, vip_texts, DumpInput};

/// Append one line (writing to a String cannot fail).
macro_rules! line {
    ($s:expr, $($arg:tt)*) => {{
        let _ = writeln!($s, $($arg)*);
    }};
}

pub fn text(input: &DumpInput<'_>) -> String {
    let mut s = String::new();
    global(&mut s, &input.view.global);
    topology(&mut s, input);
    sockpool(&mut s, input);
    sync_groups(&mut s, input);
    scripts(&mut s, input);
    track_files(&mut s, input);
    track_processes(&mut s, input);
    interfaces(&mut s, input);
    s
}

fn bool_word(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn enabled(b: bool) -> &'static str {
    if b {
        "enabled"
    } else {
        "disabled"
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn hostname() -> String {
    // The UTS namespace's name, as gethostname(2) gives it.
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// `1795347076.743182 (Sun Nov 22 11:31:16.743182 2026)`: keepalived's ctime_us_r, local time.
fn epoch_text(t: f64) -> String {
    let secs = t.floor() as libc::time_t;
    let usecs = ((t - t.floor()) * 1e6).round().min(999_999.0) as u32;
    // SAFETY: localtime_r writes only into the tm we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if !ok {
        return format!("{secs}.{usecs:06} (invalid time)");
    }
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{secs}.{usecs:06} ({} {}{:3} {:02}:{:02}:{:02}.{usecs:06} {})",
        DAYS[tm.tm_wday.rem_euclid(7) as usize],
        MONTHS[tm.tm_mon.rem_euclid(12) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year + 1900
    )
}

fn global(s: &mut String, g: &GlobalDefs) {
    line!(s, "------< Global definitions >------");
    line!(s, " Network namespace = (default)");
    line!(s, " Network namespace ipvs = (main namespace)");
    // keepalived's router_id defaults to the host name.
    let router_id = g.router_id.clone().unwrap_or_else(hostname);
    line!(s, " Router ID = {router_id}");
    if let Some(server) = &g.smtp_server {
        let mut words = server.split_whitespace();
        let addr = words.next().unwrap_or("");
        let port = words.next().unwrap_or("25");
        line!(s, " Smtp server = {addr}");
        line!(s, " Smtp server port = {port}");
        line!(s, " Smtp HELO name = {}", hostname());
    }
    if let Some(t) = g.smtp_connect_timeout {
        line!(s, " Smtp server connection timeout = {}", t.as_secs());
    }
    if g.notification_email_from.is_some() || !g.notification_email.is_empty() {
        let from = g
            .notification_email_from
            .clone()
            .unwrap_or_else(|| format!("keepalived@{}", hostname()));
        line!(s, " Email notification from = {from}");
        line!(s, " Email notification to:");
        for e in &g.notification_email {
            line!(s, "   {e}");
        }
    }
    line!(s, " Default smtp_alert = unset");
    line!(s, " Default smtp_alert_vrrp = unset");
    line!(
        s,
        " Dynamic interfaces = {}",
        bool_word(g.dynamic_interfaces)
    );
    let (uid, gid) = script_ids(None, None, g);
    if let Some(f) = &g.notify_fifo {
        line!(
            s,
            " Global notify fifo = {}, uid:gid {uid}:{gid}",
            f.path.display()
        );
    }
    if let Some(f) = &g.vrrp_notify_fifo {
        line!(
            s,
            " VRRP notify fifo = {}, uid:gid {uid}:{gid}",
            f.path.display()
        );
    }
    line!(s, " FIFO write vrrp states on reload = false");
    line!(s, " VRRP notify priority changes = false");
    line!(s, " VRRP IPv4 mcast group = {}", g.vrrp_mcast_group4);
    line!(s, " VRRP IPv6 mcast group = {}", g.vrrp_mcast_group6);
    line!(
        s,
        " Gratuitous ARP delay = {}",
        g.vrrp_garp_master_delay.as_secs()
    );
    line!(s, " Gratuitous ARP repeat = {}", g.vrrp_garp_master_repeat);
    line!(
        s,
        " Gratuitous ARP refresh timer = {}",
        g.vrrp_garp_master_refresh.map_or(0, |d| d.as_secs())
    );
    line!(
        s,
        " Gratuitous ARP refresh repeat = {}",
        g.vrrp_garp_master_refresh_repeat
    );
    // Unset, keepalived takes the master values (vrrp.c, vrrp_complete_init).
    line!(
        s,
        " Gratuitous ARP lower priority delay = {}",
        g.vrrp_garp_lower_prio_delay
            .unwrap_or(g.vrrp_garp_master_delay)
            .as_secs()
    );
    line!(
        s,
        " Gratuitous ARP lower priority repeat = {}",
        g.vrrp_garp_lower_prio_repeat
            .unwrap_or(g.vrrp_garp_master_repeat)
    );
    line!(
        s,
        " Num adverts before down = {}",
        g.vrrp_down_timer_adverts
    );
    // keepalived's vrrp_garp_extra_if, which vrrpd does not run: 0 is off.
    line!(s, " Gratuitous ARP for each secondary VMAC = 0s");
    line!(
        s,
        " Send advert after receive lower priority advert = {}",
        bool_word(!g.vrrp_lower_prio_no_advert)
    );
    line!(
        s,
        " Send advert after receive higher priority advert = {}",
        bool_word(g.vrrp_higher_prio_send_advert)
    );
    line!(
        s,
        " Gratuitous ARP interval = {:.6}",
        g.vrrp_garp_interval.as_secs_f64()
    );
    line!(
        s,
        " Gratuitous NA interval = {:.6}",
        g.vrrp_gna_interval.as_secs_f64()
    );
    line!(s, " VRRP default protocol version = {}", g.vrrp_version);
    if let Some(t) = &g.nftables {
        line!(s, " nftables table name = {t}");
        line!(s, " nftables base chain priority = {}", g.nftables_priority);
        line!(
            s,
            " nftables {}force use ifindex for link local IPv6",
            if g.nftables_ifindex { "" } else { "don't " }
        );
    }
    line!(
        s,
        " nftables with{} counters",
        if g.nftables_counters { "" } else { "out" }
    );
    line!(
        s,
        " VRRP check unicast_src = {}",
        bool_word(g.vrrp_check_unicast_src)
    );
    line!(
        s,
        " VRRP skip check advert addresses = {}",
        bool_word(g.vrrp_skip_check_adv_addr)
    );
    line!(s, " VRRP strict mode = {}", bool_word(g.vrrp_strict));
    line!(s, " Script security {}", enabled(g.enable_script_security));
    line!(s, " Default script uid:gid {uid}:{gid}");
}

/// keepalived's "Number of interface and track script faults": FAULT causes from trackers,
/// the link and the sync group.
fn script_if_faults(inst: &NodeInstance) -> usize {
    inst.faults
        .keys()
        .filter(|f| {
            !matches!(
                f,
                FaultSource::External | FaultSource::NoAddress | FaultSource::ScriptInit(_)
            )
        })
        .count()
}

fn notify_lines(s: &mut String, n: &Notify, g: &GlobalDefs, with_deleted: bool) {
    let mut list = vec![
        ("Backup", &n.backup),
        ("Master", &n.master),
        ("Fault", &n.fault),
        ("Stop", &n.stop),
    ];
    if with_deleted {
        list.push(("Deleted", &n.deleted));
    }
    list.push(("Generic", &n.generic));
    if with_deleted {
        list.push(("Master rx lower pri", &n.master_rx_lower_pri));
    }
    for (kind, script) in list {
        if let Some(sc) = script {
            let (uid, gid) = notify_ids(sc, g);
            line!(
                s,
                "   {kind} state transition script = {}, uid:gid {uid}:{gid}",
                cmd_str(&sc.command)
            );
        }
    }
}

/// The trackers of `kind` of an instance, with weights as resolved for it.
fn tracked(inst: &NodeInstance, kind: TrackerKind) -> Vec<(&str, i32, bool)> {
    inst.spec
        .trackers
        .iter()
        .filter(|t| t.id.kind == kind && !own_interface(inst, t))
        .map(|t| (t.id.name.as_str(), t.weight, t.reverse))
        .collect()
}

fn reverse(r: bool) -> &'static str {
    if r {
        " reverse"
    } else {
        ""
    }
}

fn topology(s: &mut String, input: &DumpInput<'_>) {
    if input.node.is_empty() {
        return;
    }
    let g = &input.view.global;
    line!(s, "------< VRRP Topology >------");
    for (inst, io) in input.instances() {
        let spec = &inst.spec;
        let cfg = inst.fsm.config();
        let fsm = &inst.fsm;
        let extras = input.extras(&spec.name);
        let state = fsm.state();
        line!(s, " VRRP Instance = {}", spec.name);
        line!(s, "   VRRP Version = {}", cfg.version.number());
        if let Some(grp) = &spec.sync_group {
            line!(s, "   Sync group = {grp}");
        }
        if spec.family == crate::node::Family::V6 {
            line!(s, "   Using Native IPv6");
        }
        line!(s, "   State = {}", state_text(state));
        if state == State::Backup {
            if let Some(m) = fsm.master_addr() {
                line!(s, "   Master router = {m}");
            }
            line!(
                s,
                "   Master priority = {}",
                fsm.master_priority().unwrap_or(0)
            );
            if cfg.version == Version::V3 {
                line!(
                    s,
                    "   Master advert int = {:.2} sec",
                    fsm.master_adver_interval().as_secs_f64()
                );
            }
        }
        if spec.is_unicast() {
            line!(s, "   Flags:");
            line!(s, "     Using unicast");
        } else {
            line!(s, "   Flags: none");
        }
        line!(s, "   Wantstate = {}", state_text(fsm.want_state()));
        line!(s, "   Number of config faults = 0");
        line!(
            s,
            "   Number of interface and track script faults = {}",
            script_if_faults(inst)
        );
        // keepalived's num_script_init: unweighted scripts that have not exited once.
        let script_init = inst
            .faults
            .keys()
            .filter(|k| matches!(k, FaultSource::ScriptInit(_)))
            .count();
        line!(s, "   Number of track scripts init = {script_init}");
        if let Some(t) = io
            .last_transition_wall
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        {
            line!(s, "   Last transition = {}", epoch_text(t.as_secs_f64()));
        } else {
            line!(s, "   Last transition = {}", epoch_text(0.0));
        }
        match fsm.next_deadline() {
            Some(t) => line!(s, "   Read timeout = {}", epoch_text(input.wall_of(t))),
            None => line!(s, "   Read timeout = DISABLED"),
        }
        line!(
            s,
            "   Master down timer = {} usecs",
            fsm.master_down_interval().as_micros()
        );
        line!(s, "   Interface = {}", spec.ifname);
        if spec.dont_track_primary {
            line!(s, "   VRRP interface tracking disabled");
        }
        if spec.skip_check_adv_addr {
            line!(s, "   Skip checking advert IP addresses");
        }
        if extras.strict_mode {
            line!(s, "   Enforcing strict VRRP compliance");
        }
        line!(
            s,
            "   Using src_ip = {}{}",
            spec.src.map_or("(none)".to_string(), |a| a.to_string()),
            if spec.configured_src.is_some() {
                " (from configuration)"
            } else {
                ""
            }
        );
        if let (false, Some(group)) = (spec.is_unicast(), spec.group) {
            match group {
                IpAddr::V4(_) => line!(s, "   Multicast address {group}"),
                IpAddr::V6(_) => line!(
                    s,
                    "   Multicast address {group}, ifindex {}",
                    input.socket(io).map_or(0, |_| if_index(&spec.ifname))
                ),
            }
        }
        let garp = &cfg.garp;
        line!(
            s,
            "   Gratuitous ARP delay = {}",
            garp.master_delay.as_secs()
        );
        line!(s, "   Gratuitous ARP repeat = {}", garp.master_repeat);
        line!(
            s,
            "   Gratuitous ARP refresh = {}",
            garp.master_refresh.map_or(0, |d| d.as_secs())
        );
        line!(
            s,
            "   Gratuitous ARP refresh repeat = {}",
            garp.master_refresh_repeat
        );
        line!(
            s,
            "   Gratuitous ARP lower priority delay = {}",
            garp.lower_prio_delay.map_or(0, |d| d.as_secs())
        );
        line!(
            s,
            "   Gratuitous ARP lower priority repeat = {}",
            garp.lower_prio_repeat
        );
        line!(s, "   Down timer adverts = {}", cfg.down_timer_adverts);
        line!(
            s,
            "   Send advert after receive lower priority advert = {}",
            bool_word(!cfg.lower_prio_no_advert)
        );
        line!(
            s,
            "   Send advert after receive higher priority advert = {}",
            bool_word(cfg.higher_prio_send_advert)
        );
        line!(s, "   Virtual Router ID = {}", cfg.vrid);
        line!(s, "   Priority = {}", fsm.base_priority());
        line!(s, "   Effective priority = {}", fsm.effective_priority());
        line!(s, "   Total priority = {}", total_priority(inst));
        match cfg.version {
            Version::V2 => line!(s, "   Advert interval = {} sec", cfg.advert_int_cs / 100),
            Version::V3 => line!(
                s,
                "   Advert interval = {} milli-sec",
                u32::from(cfg.advert_int_cs) * 10
            ),
        }
        if state == State::Backup && cfg.version == Version::V3 {
            line!(
                s,
                "   Master advert interval = {} milli-sec",
                fsm.master_adver_interval().as_millis()
            );
        }
        line!(s, "   Accept = {}", enabled(cfg.accept));
        line!(s, "   Preempt = {}", enabled(cfg.preempt));
        if !cfg.preempt_delay.is_zero() {
            line!(
                s,
                "   Preempt delay = {} secs",
                cfg.preempt_delay.as_secs_f64()
            );
        }
        line!(
            s,
            "   Promote_secondaries = {}",
            enabled(extras.promote_secondaries)
        );
        match spec.auth_type {
            0 if cfg.version == Version::V2 => line!(s, "   Authentication type = none"),
            0 => {}
            2 => line!(s, "   Authentication type = IPSEC_AH"),
            _ => {
                line!(s, "   Authentication type = SIMPLE_PASSWORD");
                line!(
                    s,
                    "   Password = {}",
                    String::from_utf8_lossy(&spec.auth_pass).trim_end_matches('\0')
                );
            }
        }
        let (vips, evips) = vip_texts(inst, io, extras.vip_count);
        if !vips.is_empty() {
            line!(s, "   Virtual IP ({}):", vips.len());
            for v in &vips {
                line!(s, "     {v}");
            }
        }
        if !evips.is_empty() {
            line!(s, "   Virtual IP Excluded :");
            for v in &evips {
                line!(s, "     {v}");
            }
        }
        if spec.is_unicast() {
            line!(s, "   Unicast TTL = {}", spec.unicast_ttl);
            line!(
                s,
                "   Check unicast src : {}",
                yes_no(spec.check_unicast_src)
            );
            line!(s, "   Unicast Peer :");
            for p in &spec.peers {
                line!(
                    s,
                    "     {} min_ttl {} max_ttl {}",
                    p.addr,
                    p.min_ttl.unwrap_or(0),
                    p.max_ttl.unwrap_or(255)
                );
            }
            line!(s, "   Unicast checksum compatibility = no");
        }
        match input.socket(io) {
            Some(sock) => line!(s, "   fd_in {}, fd_out {}", sock.fd, sock.fd),
            None => line!(s, "   No sockets allocated"),
        }
        if !io.routes.is_empty() {
            line!(s, "   Virtual Routes :");
            for r in &io.routes {
                line!(s, "     {}", r.text);
            }
        }
        let ifs = tracked(inst, TrackerKind::Interface);
        if !ifs.is_empty() {
            line!(s, "   Tracked interfaces :");
            for (n, w, r) in ifs {
                line!(s, "     {n} weight {w}{}", reverse(r));
            }
        }
        let scripts = tracked(inst, TrackerKind::Script);
        if !scripts.is_empty() {
            line!(s, "   Tracked scripts :");
            for (n, w, r) in scripts {
                line!(s, "     {n} weight {w}{}", reverse(r));
            }
        }
        let files = tracked(inst, TrackerKind::File);
        if !files.is_empty() {
            line!(s, "   Tracked files :");
            for (n, w, r) in files {
                line!(s, "     {n}, weight {w}{}", reverse(r));
            }
        }
        let procs = tracked(inst, TrackerKind::Process);
        if !procs.is_empty() {
            line!(s, "   Tracked processes :");
            for (n, w, r) in procs {
                line!(s, "     {n}, weight {w}{}", reverse(r));
            }
        }
        line!(
            s,
            "   Using smtp notification = {}",
            yes_no(spec.smtp_alert)
        );
        line!(
            s,
            "   Notify deleted = {}",
            if spec.notify.deleted.is_some() {
                "Deleted"
            } else {
                "Fault"
            }
        );
        notify_lines(s, &spec.notify, g, true);
        line!(
            s,
            "   Notify priority changes = {}",
            bool_word(spec.notify_priority_changes)
        );
    }
}

fn state_text(s: State) -> &'static str {
    match s {
        State::Initialize => "INIT",
        State::Backup => "BACKUP",
        State::Master => "MASTER",
        State::Fault => "FAULT",
        // keepalived's get_state_str has no STOP.
        State::Stop => "unknown",
    }
}

/// keepalived's total_priority: base plus the weights of the trackers that apply, before the
/// 1..=254 clamp that gives the effective priority.
fn total_priority(inst: &NodeInstance) -> i64 {
    let base = i64::from(inst.fsm.base_priority());
    let delta: i64 = inst
        .spec
        .trackers
        .iter()
        .zip(&inst.trackers)
        .filter(|(d, _)| d.weight != 0)
        .map(|(d, st)| {
            let w = i64::from(d.weight);
            match (st, d.reverse) {
                (TrackerState::Up, false) if w > 0 => w,
                (TrackerState::Down, false) if w < 0 => w,
                (TrackerState::Down, true) if w > 0 => -w,
                (TrackerState::Up, true) if w < 0 => -w,
                (TrackerState::Value(v), false) => w * v,
                (TrackerState::Value(v), true) => -w * v,
                _ => 0,
            }
        })
        .sum();
    if delta == 0 || base == 255 {
        return i64::from(inst.fsm.effective_priority());
    }
    base + delta
}

fn if_index(name: &str) -> u32 {
    nix::net::if_::if_nametoindex(name).unwrap_or(0)
}

fn sockpool(s: &mut String, input: &DumpInput<'_>) {
    if input.sockets.is_empty() {
        return;
    }
    line!(s, "------< VRRP Sockpool >------");
    for (n, sock) in input.sockets.iter().enumerate() {
        line!(s, " fd_in {} fd_out = {}", sock.fd, sock.fd);
        line!(s, "   Interface = {}", sock.ifname);
        line!(s, "   Family = {}", if sock.ipv6 { "IPv6" } else { "IPv4" });
        line!(s, "   Protocol = VRRP");
        // One raw socket per interface and family carries multicast and unicast instances.
        line!(s, "   Type = Multicast");
        line!(s, "   Rx buf size = 0");
        line!(s, "   VRRP instances");
        let mut members: Vec<(&str, u8)> = input
            .instances()
            .filter(|(_, io)| io.socket == n)
            .map(|(i, _)| (i.spec.name.as_str(), i.spec.vrid()))
            .collect();
        members.sort_by_key(|m| m.1);
        for (name, vrid) in members {
            line!(s, "     {name} vrid {vrid}");
        }
    }
}

fn sync_groups(s: &mut String, input: &DumpInput<'_>) {
    if input.sync_groups.is_empty() {
        return;
    }
    let g = &input.view.global;
    line!(s, "------< VRRP Sync groups >------");
    for grp in input.sync_groups {
        let state = input
            .node
            .groups()
            .iter()
            .find(|(n, _)| *n == grp.name)
            .map_or(State::Initialize, |(_, st)| *st);
        line!(s, " VRRP Sync Group = {}, {}", grp.name, state_text(state));
        let members: Vec<&NodeInstance> = input
            .instances()
            .map(|(i, _)| i)
            .filter(|i| i.spec.sync_group.as_deref() == Some(grp.name.as_str()))
            .collect();
        let fault = members
            .iter()
            .filter(|i| i.fsm.state() == State::Fault)
            .count();
        let init = members
            .iter()
            .filter(|i| i.fsm.state() == State::Initialize)
            .count();
        line!(s, "   Num member fault {fault}, num member init {init}");
        if !members.is_empty() {
            line!(s, "   VRRP member instances :");
            for m in &members {
                line!(s, "     {}", m.spec.name);
            }
        }
        if grp.sync_group_tracking_weight {
            line!(s, "   sync group tracking weight set");
        }
        let smtp = grp.smtp_alert.unwrap_or(false);
        line!(s, "   Using smtp notification = {}", yes_no(smtp));
        if let Some(p) = grp.notify_priority_changes {
            line!(s, "   Notify priority changes = {}", yes_no(p));
        }
        let refs = [
            ("Tracked interfaces :", &grp.track_interface, false),
            ("Tracked scripts :", &grp.track_script, false),
            ("Tracked files :", &grp.track_file, true),
            ("Tracked process :", &grp.track_process, true),
        ];
        for (title, list, comma) in refs {
            if list.is_empty() {
                continue;
            }
            line!(s, "   {title}");
            for r in list.iter() {
                line!(
                    s,
                    "     {}{} weight {}{}",
                    r.name,
                    if comma { "," } else { "" },
                    r.weight.unwrap_or(0),
                    reverse(r.reverse)
                );
            }
        }
        notify_lines(s, &grp.notify, g, false);
    }
}

/// The instances tracking `kind`/`name`, with their weights (keepalived's "Tracking
/// instances :" list).
fn tracking(input: &DumpInput<'_>, kind: TrackerKind, name: &str) -> Vec<String> {
    input
        .instances()
        .flat_map(|(i, _)| {
            i.spec
                .trackers
                .iter()
                .filter(|t| t.id.kind == kind && t.id.name == name && !own_interface(i, t))
                .map(|t| {
                    format!(
                        "     {}, weight {}{}",
                        i.spec.name,
                        t.weight,
                        if t.reverse { " reverse" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A tracker's last state as any instance saw it.
fn tracker_state(input: &DumpInput<'_>, kind: TrackerKind, name: &str) -> Option<TrackerState> {
    input.instances().find_map(|(i, _)| {
        i.spec
            .trackers
            .iter()
            .zip(&i.trackers)
            .find(|(d, _)| d.id.kind == kind && d.id.name == name)
            .map(|(_, st)| *st)
    })
}

fn scripts(s: &mut String, input: &DumpInput<'_>) {
    if input.view.scripts.is_empty() {
        return;
    }
    let g = &input.view.global;
    line!(s, "------< VRRP Scripts >------");
    for sc in &input.view.scripts {
        let runs = input
            .scripts
            .iter()
            .find(|(n, _)| *n == sc.name)
            .map(|(_, r)| r);
        let load = |f: fn(&super::track_script::ScriptRuns) -> u64| runs.map_or(0, |r| f(r));
        let result = load(|r| u64::from(r.result.load(std::sync::atomic::Ordering::Relaxed)));
        let running = load(|r| u64::from(r.running.load(std::sync::atomic::Ordering::Relaxed)));
        let state = tracker_state(input, TrackerKind::Script, &sc.name);
        line!(s, " VRRP Script = {}", sc.name);
        line!(s, "   Command = {}", cmd_str(&sc.script));
        line!(s, "   Interval = {} sec", sc.interval.as_secs());
        // keepalived shows 0 for an unset timeout (it then waits one interval).
        line!(
            s,
            "   Timeout = {} sec",
            sc.timeout.map_or(0, |t| t.as_secs())
        );
        line!(s, "   Weight = {}{}", sc.weight, reverse(sc.reverse));
        line!(s, "   Rise = {}", sc.rise);
        line!(s, "   Fall = {}", sc.fall);
        line!(s, "   Result = {result}");
        line!(s, "   Insecure = no");
        let init = match state {
            Some(TrackerState::Unknown) | None if sc.init_fail => "INIT/FAILED",
            Some(TrackerState::Unknown) | None => "INIT",
            _ => "unknown",
        };
        line!(s, "   Init state = {init}");
        line!(
            s,
            "   Status = {}",
            if state == Some(TrackerState::Up) {
                "GOOD"
            } else {
                "BAD"
            }
        );
        let (uid, gid) = match &sc.user {
            Some((u, grp)) => script_ids(Some(u), grp.as_deref(), g),
            None => script_ids(None, None, g),
        };
        line!(s, "   Script uid:gid = {uid}:{gid}");
        line!(s, "   VRRP instances :");
        let users = tracking(input, TrackerKind::Script, &sc.name);
        if !users.is_empty() {
            line!(s, "   Tracking instances :");
            for l in users {
                line!(s, "{l}");
            }
        }
        line!(
            s,
            "   State = {}",
            if running > 0 { "running" } else { "idle" }
        );
    }
}

fn track_files(s: &mut String, input: &DumpInput<'_>) {
    if input.view.track_files.is_empty() {
        return;
    }
    line!(s, "------< VRRP Track files >------");
    for f in &input.view.track_files {
        let status = match tracker_state(input, TrackerKind::File, &f.name) {
            Some(TrackerState::Value(v)) => v,
            _ => 0,
        };
        line!(s, " Track file = {}", f.name);
        line!(s, "   File = {}", f.file.display());
        line!(s, "   Status = {status}");
        line!(s, "   Weight = {}{}", f.weight, reverse(f.reverse));
        let users = tracking(input, TrackerKind::File, &f.name);
        if !users.is_empty() {
            line!(s, "   Tracking instances :");
            for l in users {
                line!(s, "{l}");
            }
        }
    }
}

fn track_processes(s: &mut String, input: &DumpInput<'_>) {
    if input.view.track_processes.is_empty() {
        return;
    }
    line!(s, "------< VRRP Track processes >------");
    for p in &input.view.track_processes {
        let up = tracker_state(input, TrackerKind::Process, &p.name) == Some(TrackerState::Up);
        line!(s, " VRRP Track process = {}", p.name);
        line!(s, "   Process = {}", p.process);
        if !p.args.is_empty() {
            line!(s, "   Parameters = {}", p.args.join(" "));
        }
        match p.param_match {
            None => {}
            Some(ParamMatch::Partial) => line!(s, "   Param match = partial"),
            Some(ParamMatch::Initial) => line!(s, "   Param match = initial"),
            Some(ParamMatch::Exact) => line!(s, "   Param match"),
        }
        line!(s, "   Min processes = {}", p.quorum);
        if let Some(m) = p.quorum_max {
            line!(s, "   Max processes = {m}");
        }
        line!(s, "   Have quorum = {}", bool_word(up));
        line!(s, "   Weight = {}{}", p.weight, reverse(p.reverse));
        line!(
            s,
            "   Terminate delay = {:.6}s",
            p.terminate_delay.as_secs_f64()
        );
        line!(s, "   Fork delay = {:.6}s", p.fork_delay.as_secs_f64());
        line!(s, "   Full command = {}", bool_word(p.full_command));
        let users = tracking(input, TrackerKind::Process, &p.name);
        if !users.is_empty() {
            line!(s, "   Tracking instances :");
            for l in users {
                line!(s, "{l}");
            }
        }
    }
}

/// One interface of the host as the Interfaces section shows it.
#[derive(Debug, Default)]
struct Link {
    name: String,
    index: u32,
    v4: Vec<std::net::Ipv4Addr>,
    v6: Vec<std::net::Ipv6Addr>,
    flags: u32,
    mac: Option<String>,
    brd: Option<String>,
    mtu: Option<u32>,
    hw_type: Option<u32>,
}

fn sysfs(name: &str, attr: &str) -> Option<String> {
    std::fs::read_to_string(format!("/sys/class/net/{name}/{attr}"))
        .ok()
        .map(|s| s.trim().to_string())
}

fn links() -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return out;
    };
    for a in addrs {
        // An address label (`eth0:vip`) names an address of eth0, not an interface.
        let name = a
            .interface_name
            .split(':')
            .next()
            .unwrap_or(&a.interface_name)
            .to_string();
        let pos = match out.iter().position(|l| l.name == name) {
            Some(p) => p,
            None => {
                out.push(Link {
                    index: if_index(&name),
                    name,
                    ..Link::default()
                });
                out.len() - 1
            }
        };
        let l = &mut out[pos];
        if a.interface_name == l.name {
            l.flags = a.flags.bits() as u32;
        }
        if let Some(sa) = a.address.as_ref() {
            if let Some(v4) = sa.as_sockaddr_in() {
                l.v4.push(v4.ip());
            } else if let Some(v6) = sa.as_sockaddr_in6() {
                l.v6.push(v6.ip());
            }
        }
    }
    for l in &mut out {
        l.mtu = sysfs(&l.name, "mtu").and_then(|m| m.parse().ok());
        l.hw_type = sysfs(&l.name, "type").and_then(|m| m.parse().ok());
        if l.hw_type != Some(772) {
            l.mac = sysfs(&l.name, "address").filter(|m| !m.is_empty());
            l.brd = sysfs(&l.name, "broadcast").filter(|m| !m.is_empty());
        }
    }
    out.sort_by_key(|l| l.index);
    out
}

fn interfaces(s: &mut String, input: &DumpInput<'_>) {
    let links = links();
    if links.is_empty() {
        return;
    }
    // keepalived knows the addresses it added as its own and lists only the others.
    let ours: Vec<IpAddr> = input
        .instances()
        .flat_map(|(_, io)| io.vips.iter().map(|v| v.addr))
        .collect();
    line!(s, "------< Interfaces >------");
    for mut l in links {
        l.v4.retain(|a| !ours.contains(&IpAddr::V4(*a)));
        l.v6.retain(|a| !ours.contains(&IpAddr::V6(*a)));
        line!(s, " Name = {}", l.name);
        line!(s, "   index = {}", l.index);
        match l.v4.first() {
            Some(a) => line!(s, "   IPv4 address = {a}"),
            None => line!(s, "   IPv4 address = (none)"),
        }
        if l.v4.len() > 1 {
            line!(s, "   Additional IPv4 addresses :");
            for a in &l.v4[1..] {
                line!(s, "     {a}");
            }
        }
        // keepalived's IPv6 address is the link-local one VRRPv3 sends from (none on lo).
        let primary6 = l.v6.iter().find(|a| a.segments()[0] & 0xffc0 == 0xfe80);
        match primary6 {
            Some(a) => line!(s, "   IPv6 address = {a}"),
            None => line!(s, "   IPv6 address = (none)"),
        }
        let others: Vec<_> =
            l.v6.iter()
                .filter(|a| Some(*a) != primary6 && !a.is_loopback())
                .collect();
        if !others.is_empty() {
            line!(s, "   Additional IPv6 addresses :");
            for a in others {
                line!(s, "     {a}");
            }
        }
        if let Some(mac) = &l.mac {
            line!(s, "   MAC = {mac}");
            if let Some(b) = &l.brd {
                line!(s, "   MAC broadcast = {b}");
            }
        }
        let f = l.flags;
        let has = |bit: libc::c_int| f & bit as u32 != 0;
        line!(
            s,
            "   State = {}UP, {}RUNNING{}{}{}{}{}",
            if has(libc::IFF_UP) { "" } else { "not " },
            if has(libc::IFF_RUNNING) { "" } else { "not " },
            if has(libc::IFF_BROADCAST) {
                ""
            } else {
                ", no broadcast"
            },
            if has(libc::IFF_LOOPBACK) {
                ", loopback"
            } else {
                ""
            },
            if has(libc::IFF_POINTOPOINT) {
                ", point to point"
            } else {
                ""
            },
            if has(libc::IFF_NOARP) { ", no arp" } else { "" },
            if has(libc::IFF_MULTICAST) {
                ""
            } else {
                ", no multicast"
            },
        );
        if let Some(m) = l.mtu {
            line!(s, "   MTU = {m}");
        }
        match l.hw_type {
            Some(772) => line!(s, "   HW Type = LOOPBACK"),
            Some(1) => line!(s, "   HW Type = ETHERNET"),
            Some(t) => line!(s, "   HW Type = UNKNOWN ({t})"),
            None => {}
        }
        // vrrpd follows links over rtnetlink, as keepalived does by default.
        line!(s, "   NIC netlink status update");
        let mut users: Vec<String> = Vec::new();
        for (i, _) in input.instances() {
            if i.spec.ifname == l.name && !i.spec.dont_track_primary {
                users.push(format!("     {}, weight 0", i.spec.name));
            }
        }
        users.extend(tracking(input, TrackerKind::Interface, &l.name));
        if !users.is_empty() {
            line!(s, "   Tracking VRRP instances :");
            for u in users {
                line!(s, "{u}");
            }
        }
    }
}
