//! keepalived's dump files, written on its signals so existing habits and scripts keep working:
//! USR2 -> `keepalived.stats`, SIGRTMIN+2 -> `keepalived.json`, USR1 -> `keepalived.data`, in
//! `$TMPDIR` (default /tmp), mode 0600, overwritten each time, in keepalived 2.2.7's layout,
//! wording and key order. What the dumps need beyond the node's instances (global_defs, the
//! script and track-file blocks, a few instance keywords the node does not keep) is kept here
//! as a [`ConfigView`]; the text of `keepalived.data` is built in `dump_data`.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::model::{
    Config, GlobalDefs, NotifyScript, SyncGroup, VrrpScript, VrrpTrackFile, VrrpTrackProcess,
};
use crate::control::keepalived_dump::stats_text;
use crate::control::InstanceSnapshot;
use crate::fsm::{State, Time};
use crate::node::{InstanceId, Node, NodeInstance};

use super::command::split_words;
use super::instance::InstanceIo;
use super::netlink::Vip;
use super::signals::SigFunc;
use super::track_script::ScriptRuns;

/// The word keepalived logs for each dump ("Printing VRRP stats ...").
pub fn what(sig: SigFunc) -> &'static str {
    match sig {
        SigFunc::Stats | SigFunc::StatsClear => "stats",
        SigFunc::Json => "json",
        _ => "data",
    }
}

/// The config blocks the dumps show that the node layer does not keep.
#[derive(Debug, Clone, Default)]
pub struct ConfigView {
    pub global: GlobalDefs,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<VrrpTrackFile>,
    pub track_processes: Vec<VrrpTrackProcess>,
    /// Per vrrp_instance name.
    pub instances: HashMap<String, InstanceExtras>,
}

/// Instance keywords the dumps show that the node's spec does not carry.
#[derive(Debug, Clone, Default)]
pub struct InstanceExtras {
    pub strict_mode: bool,
    pub promote_secondaries: bool,
    /// How many of the spec's VIPs are `virtual_ipaddress` (the rest are excluded ones).
    pub vip_count: usize,
}

impl ConfigView {
    pub fn of(cfg: &Config) -> ConfigView {
        let mut global = cfg.global.clone();
        // keepalived's global data names the table that no_accept / use_vmac turned on.
        if global.nftables.is_none()
            && cfg
                .instances
                .iter()
                .any(|i| !i.accept || i.use_vmac.is_some())
        {
            global.nftables = Some(crate::config::NFTABLES_TABLE.to_string());
        }
        ConfigView {
            global,
            scripts: cfg.scripts.clone(),
            track_files: cfg.track_files.clone(),
            track_processes: cfg.track_processes.clone(),
            instances: cfg
                .instances
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        InstanceExtras {
                            strict_mode: i.strict_mode.unwrap_or(cfg.global.vrrp_strict),
                            promote_secondaries: i.promote_secondaries,
                            vip_count: i.virtual_ipaddress.len(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// One shared VRRP socket as the dumps show it.
#[derive(Debug, Clone)]
pub struct SocketView {
    pub fd: i32,
    pub ifname: String,
    pub ipv6: bool,
}

/// Everything a dump reads, borrowed from the daemon for the time of one write.
pub struct DumpInput<'a> {
    pub view: &'a ConfigView,
    pub sync_groups: &'a [SyncGroup],
    pub node: &'a Node,
    pub io: &'a HashMap<InstanceId, InstanceIo>,
    pub sockets: Vec<SocketView>,
    pub scripts: &'a [(String, Arc<ScriptRuns>)],
    /// The loop's clock now, to turn the node's deadlines into wall time.
    pub now: Time,
    /// The wall clock now, seconds since the epoch.
    pub wall: f64,
}

impl DumpInput<'_> {
    /// The instances with their daemon side, in config order.
    pub fn instances(&self) -> impl Iterator<Item = (&NodeInstance, &InstanceIo)> {
        self.node
            .instances()
            .filter_map(|(id, i)| Some((i, self.io.get(&id)?)))
    }

    /// A deadline of the node's clock as wall time.
    pub fn wall_of(&self, t: Time) -> f64 {
        self.wall + (t.0 as f64 - self.now.0 as f64) / 1e6
    }

    pub fn extras(&self, name: &str) -> InstanceExtras {
        self.view.instances.get(name).cloned().unwrap_or_default()
    }

    pub fn socket(&self, io: &InstanceIo) -> Option<&SocketView> {
        self.sockets.get(io.socket)
    }
}

/// keepalived's state numbers (vrrp.h): INIT 0, BACKUP 1, MASTER 2, FAULT 3, STOP 98.
pub fn state_number(s: State) -> u8 {
    match s {
        State::Initialize => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stop => 98,
    }
}

/// keepalived's cmd_str: every word of the command line in single quotes, the program by its
/// real path (keepalived resolves symlinks when it checks a script: /bin/true is shown as
/// /usr/bin/true on a merged-/usr system).
pub fn cmd_str(line: &str) -> String {
    let mut words = split_words(line);
    if let Some(first) = words.first_mut() {
        if first.starts_with('/') {
            if let Ok(real) = std::fs::canonicalize(&*first) {
                *first = real.to_string_lossy().into_owned();
            }
        }
    }
    let quoted: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(n, w)| {
            // keepalived leaves a first word that is a redirection (`</path`) unquoted.
            if n == 0 && (w.starts_with('<') || w.starts_with('>')) {
                w.clone()
            } else {
                format!("'{w}'")
            }
        })
        .collect();
    quoted.join(" ")
}

/// The uid:gid a script runs as: its own `user`, else global `script_user`, else
/// keepalived's default (the `keepalived_script` user when it exists, else root).
pub fn script_ids(user: Option<&str>, group: Option<&str>, global: &GlobalDefs) -> (u32, u32) {
    let (user, group) = match user {
        Some(u) => (Some(u.to_string()), group.map(str::to_string)),
        None => match &global.script_user {
            Some((u, g)) => (Some(u.clone()), g.clone()),
            None => (None, None),
        },
    };
    let found = match user {
        Some(u) => nix::unistd::User::from_name(&u).ok().flatten(),
        None => nix::unistd::User::from_name("keepalived_script")
            .ok()
            .flatten(),
    };
    let (uid, mut gid) = found
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()))
        .unwrap_or((0, 0));
    if let Some(g) = group.and_then(|g| nix::unistd::Group::from_name(&g).ok().flatten()) {
        gid = g.gid.as_raw();
    }
    (uid, gid)
}

pub fn notify_ids(s: &NotifyScript, global: &GlobalDefs) -> (u32, u32) {
    script_ids(s.user.as_deref(), s.group.as_deref(), global)
}

/// A VIP as keepalived's format_ipaddress writes it (`192.0.2.100/24 dev eth0 scope global
/// label eth0:vip set`): the prefix unless a host address, brd, dev, scope, label, no_track,
/// an IPv6 address's lifetime, and ` set` while it is on the system.
pub fn vip_text(v: &Vip, no_track: bool, set: bool) -> String {
    use rtnetlink::packet_route::address::AddressScope;
    let mut s = v.addr.to_string();
    let host_len = if v.addr.is_ipv4() { 32 } else { 128 };
    if v.prefix_len != host_len {
        s += &format!("/{}", v.prefix_len);
    }
    if let Some(b) = v.brd {
        s += &format!(" brd {b}");
    }
    s += &format!(" dev {}", v.ifname);
    let scope = match v.scope {
        AddressScope::Universe => "global".to_string(),
        AddressScope::Site => "site".to_string(),
        AddressScope::Link => "link".to_string(),
        AddressScope::Host => "host".to_string(),
        AddressScope::Nowhere => "nowhere".to_string(),
        other => u8::from(other).to_string(),
    };
    s += &format!(" scope {scope}");
    if let Some(l) = &v.label {
        s += &format!(" label {l}");
    }
    let o = &v.opts;
    if let Some(p) = o.peer {
        s += &format!(" peer {p}/{}", v.prefix_len);
    }
    for (on, word) in [
        (o.home, " home"),
        (o.dad, " -nodad"),
        (o.mngtmpaddr, " mngtmpaddr"),
        (o.noprefixroute, " noprefixroute"),
        (o.autojoin, " autojoin"),
        (no_track, " no_track"),
    ] {
        if on {
            s += word;
        }
    }
    match v.preferred_lft() {
        None => {}
        Some(0) => s += " deprecated",
        Some(u32::MAX) => s += " preferred_lft forever",
        Some(p) => s += &format!(" preferred_lft {p}"),
    }
    if set {
        s += " set";
    }
    s
}

/// The VIPs of an instance in keepalived's text: (virtual_ipaddress, virtual_ipaddress_excluded).
pub fn vip_texts(
    inst: &NodeInstance,
    io: &InstanceIo,
    vip_count: usize,
) -> (Vec<String>, Vec<String>) {
    let texts: Vec<String> = io
        .vips
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let no_track = inst.spec.vips.get(n).is_some_and(|c| c.no_track);
            vip_text(v, no_track, io.vips_set)
        })
        .collect();
    let split = vip_count.min(texts.len());
    let (a, b) = texts.split_at(split);
    (a.to_vec(), b.to_vec())
}

/// The text of `keepalived.json`: keepalived 2.2.7's vrrp_json.c, an array of
/// `{"data": {...}, "stats": {...}}` with its keys in its order, compact.
pub fn json_text(input: &DumpInput<'_>, snap: &[InstanceSnapshot]) -> String {
    use serde_json::Value;
    let mut arr: Vec<String> = Vec::new();
    for ((inst, io), s) in input.instances().zip(snap) {
        let cfg = inst.fsm.config();
        let spec = &inst.spec;
        let extras = input.extras(&spec.name);
        // keepalived's key order (a serde_json map would sort the keys).
        let mut d: Vec<(&str, Value)> = Vec::new();
        let mut put = |k: &'static str, v: Value| d.push((k, v));
        put("iname", spec.name.clone().into());
        put(
            "dont_track_primary",
            u8::from(spec.dont_track_primary).into(),
        );
        put(
            "skip_check_adv_addr",
            u8::from(spec.skip_check_adv_addr).into(),
        );
        put("strict_mode", u8::from(extras.strict_mode).into());
        put("vmac_ifname", "".into());
        put("ifp_ifname", spec.ifname.clone().into());
        // The master heard on the wire (a master that heard none shows 0).
        let heard = match inst.fsm.state() {
            State::Backup => inst.fsm.master_priority().unwrap_or(0),
            _ => 0,
        };
        put("master_priority", heard.into());
        put(
            "last_transition",
            s.last_transition_epoch.unwrap_or(0.0).into(),
        );
        put("garp_delay", g_number(cfg.garp.master_delay.as_secs_f64()));
        put(
            "garp_refresh",
            cfg.garp.master_refresh.map_or(0, |d| d.as_secs()).into(),
        );
        put("garp_rep", cfg.garp.master_repeat.into());
        put("garp_refresh_rep", cfg.garp.master_refresh_repeat.into());
        put(
            "garp_lower_prio_delay",
            cfg.garp.lower_prio_delay.map_or(0, |d| d.as_secs()).into(),
        );
        put("garp_lower_prio_rep", cfg.garp.lower_prio_repeat.into());
        put(
            "lower_prio_no_advert",
            u8::from(cfg.lower_prio_no_advert).into(),
        );
        put(
            "higher_prio_send_advert",
            u8::from(cfg.higher_prio_send_advert).into(),
        );
        put("vrid", cfg.vrid.into());
        put("base_priority", inst.fsm.base_priority().into());
        put("effective_priority", inst.fsm.effective_priority().into());
        put("vipset", io.vips_set.into());
        put("promote_secondaries", extras.promote_secondaries.into());
        put("adver_int", g_number(f64::from(cfg.advert_int_cs) / 100.0));
        put(
            "master_adver_int",
            g_number(inst.fsm.master_adver_interval().as_secs_f64()),
        );
        put("accept", u8::from(cfg.accept).into());
        put("nopreempt", (!cfg.preempt).into());
        put("preempt_delay", cfg.preempt_delay.as_secs().into());
        put("state", state_number(inst.fsm.state()).into());
        put("wantstate", state_number(inst.fsm.want_state()).into());
        put("version", cfg.version.number().into());
        put("smtp_alert", spec.smtp_alert.into());
        put("notify_deleted", spec.notify.deleted.is_some().into());
        let n = &spec.notify;
        for (key, script) in [
            ("script_backup", &n.backup),
            ("script_master", &n.master),
            ("script_fault", &n.fault),
            ("script_stop", &n.stop),
            ("script_deleted", &n.deleted),
            ("script", &n.generic),
            ("script_master_rx_lower_pri", &n.master_rx_lower_pri),
        ] {
            if let Some(sc) = script {
                put(key, cmd_str(&sc.command).into());
            }
        }
        let (vips, evips) = vip_texts(inst, io, extras.vip_count);
        if !vips.is_empty() {
            put("vips", vips.into());
        }
        if !evips.is_empty() {
            put("evips", evips.into());
        }
        if !io.routes.is_empty() {
            put(
                "vroutes",
                io.routes
                    .iter()
                    .map(|r| r.text.clone())
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        let track_ifp: Vec<String> = spec
            .trackers
            .iter()
            .filter(|t| t.id.kind == crate::node::TrackerKind::Interface && !own_interface(inst, t))
            .map(|t| t.id.name.clone())
            .collect();
        if !track_ifp.is_empty() {
            put("track_ifp", track_ifp.into());
        }
        let track_script: Vec<String> = spec
            .trackers
            .iter()
            .filter(|t| t.id.kind == crate::node::TrackerKind::Script)
            .filter_map(|t| input.view.scripts.iter().find(|s| s.name == t.id.name))
            .map(|s| cmd_str(&s.script))
            .collect();
        if !track_script.is_empty() {
            put("track_script", track_script.into());
        }
        put("auth_type", spec.auth_type.into());
        if spec.auth_type != 0 {
            put(
                "auth_data",
                String::from_utf8_lossy(&spec.auth_pass)
                    .trim_end_matches('\0')
                    .to_string()
                    .into(),
            );
        }
        let c = &s.stats;
        let stats: Vec<(&str, Value)> = [
            ("advert_rcvd", c.advert_rcvd),
            ("advert_sent", c.advert_sent),
            ("become_master", c.become_master),
            ("release_master", c.release_master),
            ("packet_len_err", c.packet_len_err),
            ("advert_interval_err", c.advert_interval_err),
            ("ip_ttl_err", c.ip_ttl_err),
            ("invalid_type_rcvd", c.invalid_type_rcvd),
            ("addr_list_err", c.addr_list_err),
            ("invalid_authtype", c.invalid_authtype),
            ("authtype_mismatch", c.authtype_mismatch),
            ("auth_failure", c.auth_failure),
            ("pri_zero_rcvd", c.pri_zero_rcvd),
            ("pri_zero_sent", c.pri_zero_sent),
        ]
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
        arr.push(format!(
            "{{\"data\":{},\"stats\":{}}}",
            json_object(&d),
            json_object(&stats)
        ));
    }
    format!("[{}]", arr.join(","))
}

/// A number as keepalived's `%g` writes it: `1`, not `1.0`.
fn g_number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// A JSON object with its keys in the order given.
fn json_object(fields: &[(&str, serde_json::Value)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(*k)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// Whether a tracker is the instance's own interface with no weight: keepalived tracks that
/// one anyway and does not list it again.
pub fn own_interface(inst: &NodeInstance, t: &crate::node::TrackerDef) -> bool {
    t.id.kind == crate::node::TrackerKind::Interface
        && t.id.name == inst.spec.ifname
        && t.weight == 0
}

fn dump_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join(name)
}

fn write_file(name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = dump_path(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

/// Write the dump `sig` asks for.
pub fn write(
    sig: SigFunc,
    input: &DumpInput<'_>,
    snap: &[InstanceSnapshot],
) -> std::io::Result<PathBuf> {
    match sig {
        SigFunc::Stats | SigFunc::StatsClear => write_file("keepalived.stats", &stats_text(snap)),
        SigFunc::Json => write_file("keepalived.json", &json_text(input, snap)),
        _ => write_file("keepalived.data", &super::dump_data::text(input)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::address::AddressScope;

    fn vip(addr: &str, prefix_len: u8, label: Option<&str>) -> Vip {
        Vip {
            addr: addr.parse().unwrap(),
            prefix_len,
            ifindex: 2,
            ifname: "eth0".into(),
            brd: None,
            scope: AddressScope::Universe,
            label: label.map(str::to_string),
            opts: Default::default(),
        }
    }

    #[test]
    fn vips_read_as_keepalived_writes_them() {
        // As sample_A_keepalived.data's VI_1 and VI_2 (there on kta0).
        assert_eq!(
            vip_text(&vip("192.0.2.100", 24, Some("eth0:vip")), false, true),
            "192.0.2.100/24 dev eth0 scope global label eth0:vip set"
        );
        assert_eq!(
            vip_text(&vip("192.0.2.101", 32, None), false, false),
            "192.0.2.101 dev eth0 scope global"
        );
        assert_eq!(
            vip_text(&vip("2001:db8::1", 64, None), true, true),
            "2001:db8::1/64 dev eth0 scope global no_track preferred_lft forever set"
        );
    }

    #[test]
    fn commands_are_quoted_word_by_word() {
        assert_eq!(
            cmd_str("/nonexistent/notify.sh 'A master' x"),
            "'/nonexistent/notify.sh' 'A master' 'x'"
        );
        assert_eq!(cmd_str("</nonexistent/f"), "</nonexistent/f");
    }

    #[test]
    fn json_numbers_and_key_order_are_keepalived_s() {
        assert_eq!(g_number(1.0).to_string(), "1");
        assert_eq!(g_number(0.5).to_string(), "0.5");
        let o = json_object(&[("iname", "VI_1".into()), ("dont_track_primary", 0.into())]);
        assert_eq!(o, r#"{"iname":"VI_1","dont_track_primary":0}"#);
    }
}
