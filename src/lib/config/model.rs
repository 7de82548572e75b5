//! The typed model of keepalived.conf's VRRP side, with keepalived's defaults applied.
//! Every item keeps the `Span` of the keyword that defined it so lint and the daemon can point
//! at the source. Names follow keepalived's keywords.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where a token came from, through includes and macro expansion (1-based line and column).
/// The file name is shared between all the spans of a file (a config has many words).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

impl Default for Span {
    fn default() -> Self {
        Span {
            file: Arc::from(Path::new("")),
            line: 0,
            column: 0,
        }
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Span", 3)?;
        st.serialize_field("file", &self.file.display().to_string())?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.column)?;
        st.end()
    }
}

/// The whole configuration as vrrpd runs it.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub global: GlobalDefs,
    pub scripts: Vec<VrrpScript>,
    pub track_processes: Vec<VrrpTrackProcess>,
    pub track_files: Vec<VrrpTrackFile>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<VrrpInstance>,
}

impl Config {
    /// The vrrp_sync_group that lists instance `name` (keepalived lets an instance be in one).
    pub fn sync_group_of(&self, name: &str) -> Option<&SyncGroup> {
        self.sync_groups
            .iter()
            .find(|g| g.group.iter().any(|m| m == name))
    }
}

#[derive(Debug, Clone)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    /// `vrrp_version`, default 2.
    pub vrrp_version: u8,
    /// `vrrp_mcast_group4`, default 224.0.0.18.
    pub vrrp_mcast_group4: std::net::Ipv4Addr,
    /// `vrrp_mcast_group6`, default ff02::12.
    pub vrrp_mcast_group6: std::net::Ipv6Addr,
    pub vrrp_garp_master_delay: Duration,
    pub vrrp_garp_master_repeat: u32,
    pub vrrp_garp_master_refresh: Option<Duration>,
    pub vrrp_garp_master_refresh_repeat: u32,
    pub vrrp_garp_interval: Duration,
    /// `vrrp_startup_delay`: backups may not take over before this long after start.
    pub vrrp_startup_delay: Duration,
    pub vrrp_gna_interval: Duration,
    pub vrrp_garp_lower_prio_delay: Option<Duration>,
    pub vrrp_garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_down_timer_adverts`, default 3 (1..=100).
    pub vrrp_down_timer_adverts: u32,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_strict: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_check_unicast_src: bool,
    pub enable_script_security: bool,
    pub script_user: Option<(String, Option<String>)>,
    pub max_auto_priority: Option<i32>,
    pub notification_email: Vec<String>,
    pub notification_email_from: Option<String>,
    pub smtp_server: Option<String>,
    /// `smtp_server HOST [PORT]`'s port, default 25.
    pub smtp_port: u16,
    /// `smtp_helo_name`, default the host name.
    pub smtp_helo_name: Option<String>,
    pub smtp_connect_timeout: Option<Duration>,
    /// Global `smtp_alert` and `smtp_alert_vrrp` (the latter wins for VRRP).
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    /// `vrrp_notify_fifo` (only VRRP events) and `notify_fifo` (shared with LVS in keepalived).
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    pub notify_fifo: Option<NotifyFifo>,
    /// `vrrp_notify_priority_changes`: the default of the instances' notify_priority_changes.
    pub vrrp_notify_priority_changes: bool,
    /// `fifo_write_vrrp_states_on_reload`: after a reload, the FIFO gets the state of every
    /// instance and group that the reload notified nothing for.
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `no_email_faults`: smtp_alert sends no mail for FAULT.
    pub no_email_faults: bool,
    /// `startup_script` / `shutdown_script` with their timeouts (keepalived: 10 s by default).
    pub startup_script: Option<NotifyScript>,
    pub startup_script_timeout: Duration,
    pub shutdown_script: Option<NotifyScript>,
    pub shutdown_script_timeout: Duration,
    pub dynamic_interfaces: bool,
    /// `log_unknown_vrids`: log each advert for a VRID no instance runs on its interface.
    pub log_unknown_vrids: bool,
    /// `vmac_prefix`: VMAC interfaces are named PREFIX.VRID (default `vrrp`).
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix`: `use_vmac_addr` interfaces are named PREFIX.VRID (default `vrrp`).
    pub vmac_addr_prefix: Option<String>,
    /// `process_monitor_rcv_bufs` (bytes) and `process_monitor_rcv_bufs_force`: the receive
    /// buffer of the process-event socket (vrrp_track_process).
    pub process_monitor_rcv_bufs: Option<u32>,
    pub process_monitor_rcv_bufs_force: bool,
    /// The nftables table of the VIP filter and the VMAC rules: set by `nftables [TABLE]`
    /// (default name `keepalived`) and by `vrrp_iptables` (keepalived's NFTABLES-only build
    /// maps it to `keepalived`). None: only instances that need it (no_accept, use_vmac) turn
    /// it on, with the default name.
    pub nftables: Option<String>,
    /// `nftables_priority`: the base chains' priority (default -1; `nftables` resets it to -1,
    /// so it counts only after that keyword).
    pub nftables_priority: i32,
    /// `nftables_counters`: a counter in every rule.
    pub nftables_counters: bool,
    /// `nftables_ifindex`: IPv6 link-local VIPs matched by interface index even with
    /// dont_track_primary (otherwise those match by interface name).
    pub nftables_ifindex: bool,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: 2,
            vrrp_mcast_group4: std::net::Ipv4Addr::new(224, 0, 0, 18),
            vrrp_mcast_group6: std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            vrrp_garp_master_delay: Duration::from_secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: None,
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_interval: Duration::ZERO,
            vrrp_startup_delay: Duration::ZERO,
            vrrp_gna_interval: Duration::ZERO,
            vrrp_garp_lower_prio_delay: None,
            vrrp_garp_lower_prio_repeat: None,
            vrrp_down_timer_adverts: 3,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_strict: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_check_unicast_src: false,
            enable_script_security: false,
            script_user: None,
            max_auto_priority: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_port: 25,
            smtp_helo_name: None,
            smtp_connect_timeout: None,
            smtp_alert: None,
            smtp_alert_vrrp: None,
            vrrp_notify_fifo: None,
            notify_fifo: None,
            vrrp_notify_priority_changes: false,
            fifo_write_vrrp_states_on_reload: false,
            no_email_faults: false,
            startup_script: None,
            startup_script_timeout: Duration::from_secs(10),
            shutdown_script: None,
            shutdown_script_timeout: Duration::from_secs(10),
            dynamic_interfaces: false,
            log_unknown_vrids: false,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            process_monitor_rcv_bufs: None,
            process_monitor_rcv_bufs_force: false,
            nftables: None,
            nftables_priority: -1,
            nftables_counters: false,
            nftables_ifindex: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// `auth_type PASS`; the password as keepalived sends it (at most 8 bytes).
    Pass(Vec<u8>),
    /// `auth_type AH`.
    Ah(Vec<u8>),
}

/// One `virtual_ipaddress` / `virtual_ipaddress_excluded` line.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualIp {
    pub addr: IpAddr,
    /// Prefix length; /32 (IPv4) or /128 (IPv6) when not given, as keepalived does.
    pub prefix_len: u8,
    pub brd: Option<IpAddr>,
    /// `dev IF`; None means the instance's interface.
    pub dev: Option<String>,
    pub scope: Option<String>,
    pub label: Option<String>,
    pub no_track: bool,
    /// peer, preferred_lft and the address flags of the line.
    pub opts: VipOptions,
    pub span: Span,
}

/// The options of a virtual_ipaddress line that go into the address as keepalived 2.2.7 adds
/// it (vrrp_ipaddress.c): IFA_ADDRESS, IFA_CACHEINFO and IFA_FLAGS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VipOptions {
    /// `peer ADDR`: the other end of a point-to-point address (the prefix becomes the peer's).
    pub peer: Option<IpAddr>,
    /// `preferred_lft N|forever` (u32::MAX is forever); IPv6 only. Unset: 0 for a /128
    /// (deprecated, so never a source address), forever otherwise.
    pub preferred_lft: Option<u32>,
    /// `home` (IFA_F_HOMEADDRESS).
    pub home: bool,
    /// `-nodad`: IPv6 with duplicate address detection (keepalived sets IFA_F_NODAD otherwise).
    pub dad: bool,
    /// `mngtmpaddr` (IFA_F_MANAGETEMPADDR).
    pub mngtmpaddr: bool,
    /// `noprefixroute` (IFA_F_NOPREFIXROUTE).
    pub noprefixroute: bool,
    /// `autojoin` (IFA_F_MCAUTOJOIN; the kernel takes it for multicast addresses only).
    pub autojoin: bool,
}

/// One `virtual_routes` line, kept in `ip route` words plus the parts vrrpd acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualRoute {
    pub words: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
}

/// A `track_*` reference inside an instance or sync group: the name and an optional weight.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRef {
    pub name: String,
    pub weight: Option<i32>,
    pub reverse: bool,
    pub span: Span,
}

/// A notify FIFO of global_defs: its path, the owner a created FIFO gets, and the
/// `*_notify_fifo_script` that reads it (run with the path appended).
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyFifo {
    pub path: PathBuf,
    pub user: Option<String>,
    pub group: Option<String>,
    pub script: Option<NotifyScript>,
    pub span: Span,
}

/// `notify*` script with its optional user and group.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyScript {
    /// The command line as written (keepalived splits it into words itself).
    pub command: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notify {
    pub master: Option<NotifyScript>,
    pub backup: Option<NotifyScript>,
    pub fault: Option<NotifyScript>,
    pub stop: Option<NotifyScript>,
    pub deleted: Option<NotifyScript>,
    /// `notify_deleted` (with or without a script): a removed instance reports DELETED,
    /// not keepalived's old FAULT.
    pub notify_deleted: bool,
    /// Generic `notify`: called with TYPE NAME STATE PRIORITY appended.
    pub generic: Option<NotifyScript>,
    pub master_rx_lower_pri: Option<NotifyScript>,
}

#[derive(Debug, Clone)]
pub struct VrrpInstance {
    pub name: String,
    pub span: Span,
    /// `state`: None when not written (then MASTER iff priority 255).
    pub state: Option<InitialState>,
    pub interface: Option<String>,
    /// `virtual_router_id` (required: None is a config error).
    pub virtual_router_id: Option<u8>,
    /// `priority`, default 100 (255 when absent with `state MASTER`).
    pub priority: u8,
    /// `advert_int`, default 1 s (v2: whole seconds; v3: centiseconds).
    pub advert_int: Duration,
    /// `version`, else global vrrp_version (IPv6 forces 3).
    pub version: u8,
    pub authentication: Option<Authentication>,
    pub virtual_ipaddress: Vec<VirtualIp>,
    pub virtual_ipaddress_excluded: Vec<VirtualIp>,
    pub virtual_routes: Vec<VirtualRoute>,
    pub virtual_rules: Vec<VirtualRoute>,
    pub mcast_src_ip: Option<IpAddr>,
    pub mcast_dst_ip: Option<IpAddr>,
    pub unicast_src_ip: Option<IpAddr>,
    pub unicast_peer: Vec<UnicastPeer>,
    pub unicast_ttl: Option<u8>,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    /// `accept` (default) / `no_accept`.
    pub accept: bool,
    pub garp_master_delay: Option<Duration>,
    pub garp_master_repeat: Option<u32>,
    pub garp_master_refresh: Option<Duration>,
    pub garp_master_refresh_repeat: Option<u32>,
    pub garp_lower_prio_delay: Option<Duration>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub skip_check_adv_addr: Option<bool>,
    pub check_unicast_src: Option<bool>,
    pub strict_mode: Option<bool>,
    pub dont_track_primary: bool,
    /// `unicast_fault_no_peer`: with no unicast_peer, FAULT instead of falling back to
    /// multicast (keepalived's num_config_faults).
    pub unicast_fault_no_peer: bool,
    pub track_src_ip: bool,
    pub track_interface: Vec<TrackRef>,
    pub track_script: Vec<TrackRef>,
    pub track_process: Vec<TrackRef>,
    pub track_file: Vec<TrackRef>,
    pub notify: Notify,
    pub notify_priority_changes: Option<bool>,
    pub smtp_alert: Option<bool>,
    /// `use_vmac [IFNAME] [MAC]`: Some(None) when given without a name.
    pub use_vmac: Option<Option<String>>,
    /// The MAC of `use_vmac [IFNAME] MAC`, instead of 00:00:5e:00:01:VRID.
    pub vmac_mac: Option<VmacMac>,
    /// `use_vmac_addr`: VIPs on other interfaces (or of the other family) get a VMAC too.
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    pub promote_secondaries: bool,
}

/// A MAC address given to `use_vmac`: six octets, or five and the VRID as the sixth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmacMac {
    Given([u8; 6]),
    /// Five octets given: the sixth is the instance's VRID.
    WithVrid([u8; 5]),
}

/// keepalived's name for a VMAC interface: `PREFIX.VRID`, or `PREFIXN.VRID` for the Nth
/// alternative, the prefix cut so that the name fits IFNAMSIZ (15 characters).
pub fn vmac_ifname(prefix: &str, alternative: Option<u32>, vrid: u8) -> String {
    let tail = match alternative {
        Some(n) => format!("{n}.{vrid}"),
        None => format!(".{vrid}"),
    };
    let room = 15usize.saturating_sub(tail.len());
    let cut: String = prefix.chars().take(room).collect();
    format!("{cut}{tail}")
}

/// keepalived's default vmac_prefix.
pub const DEFAULT_VMAC_PREFIX: &str = "vrrp";

impl VrrpInstance {
    /// The VMAC interface's name before keepalived resolves clashes between instances:
    /// `use_vmac NAME`, else vmac_prefix (default `vrrp`) `.VRID`. None without use_vmac.
    pub fn vmac_ifname(&self, global: &GlobalDefs) -> Option<String> {
        let named = self.use_vmac.as_ref()?;
        Some(named.clone().unwrap_or_else(|| {
            vmac_ifname(
                global.vmac_prefix.as_deref().unwrap_or(DEFAULT_VMAC_PREFIX),
                None,
                self.virtual_router_id.unwrap_or_default(),
            )
        }))
    }

    /// The address family of the instance, fixed by its first VIP (IPv4 when there is none).
    pub fn is_ipv6(&self) -> bool {
        self.virtual_ipaddress
            .first()
            .is_some_and(|v| v.addr.is_ipv6())
    }
    /// The state the instance starts in: `state` as written (after keepalived's fix-ups), else
    /// MASTER exactly when the priority is 255.
    pub fn initial_state(&self) -> InitialState {
        match self.state {
            Some(s) => s,
            None if self.priority == 255 => InitialState::Master,
            None => InitialState::Backup,
        }
    }
    /// Unicast when peers are configured (keepalived falls back to multicast without peers).
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peer.is_empty()
    }
}

/// The interval keepalived 2.2.7 runs for a written `advert_int` (vrrp.c,
/// vrrp_complete_instance): zero means the default 1 s; VRRPv2 rounds to the nearest whole
/// second (halves up, at least 1 s) and caps at 255 s; VRRPv3 rounds to the nearest
/// centisecond (halves up, at least 10 ms) and caps at 40.95 s (the 12-bit field) instead of
/// refusing. The arithmetic is keepalived's, in integer microseconds, so 0.145 s is 15 cs.
pub fn advert_int_as_keepalived(written: Duration, version: u8) -> Duration {
    const SEC: u64 = 1_000_000;
    const CS: u64 = 10_000;
    let us = u64::try_from(written.as_micros()).unwrap_or(u64::MAX);
    if us == 0 {
        return Duration::from_secs(1);
    }
    let (unit, max_units) = if version == 2 { (SEC, 255) } else { (CS, 4095) };
    let rounded = if us % unit == 0 {
        us
    } else {
        let up = us.saturating_add(unit / 2);
        (up - up % unit).max(unit)
    };
    // keepalived caps only what is at least one unit above the maximum before rounding, so
    // 40.955..40.959 s round to 4096 cs, which its 12-bit field sends as 0; we cap after.
    Duration::from_micros(rounded.min(max_units * unit))
}

#[derive(Debug, Clone)]
pub struct VrrpScript {
    pub name: String,
    pub span: Span,
    pub script: String,
    pub interval: Duration,
    pub timeout: Option<Duration>,
    pub weight: i32,
    pub reverse: bool,
    pub rise: u32,
    pub fall: u32,
    pub user: Option<(String, Option<String>)>,
    pub init_fail: bool,
}

/// How a vrrp_track_process compares a process's arguments (`param_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// The arguments are exactly the configured ones (`param_match`, or arguments on the
    /// `process` line).
    Exact,
    /// The configured arguments start the process's, the last one possibly cut short.
    Initial,
    /// The configured arguments are the first whole arguments of the process's.
    Partial,
}

#[derive(Debug, Clone)]
pub struct VrrpTrackProcess {
    pub name: String,
    pub span: Span,
    pub process: String,
    pub args: Vec<String>,
    /// None: the arguments are not looked at.
    pub param_match: Option<ParamMatch>,
    pub weight: i32,
    pub reverse: bool,
    /// Quorum held while quorum <= processes <= quorum_max (`quorum_max 0`: quorum 0, i.e.
    /// "up while no such process runs").
    pub quorum: u32,
    /// None: unlimited.
    pub quorum_max: Option<u32>,
    /// How long the quorum lost by an exit waits before it is reported (`terminate_delay`,
    /// or `delay`).
    pub terminate_delay: Duration,
    /// How long the quorum gained by a tracked process forking waits (`fork_delay`, `delay`).
    pub fork_delay: Duration,
    /// Match the command line (argv[0]) rather than the process name (comm).
    pub full_command: bool,
}

impl VrrpTrackProcess {
    /// A block with keepalived's defaults (quorum 1, no delays, weight 0) and no process yet.
    pub fn new(name: String, span: Span) -> VrrpTrackProcess {
        VrrpTrackProcess {
            name,
            span,
            process: String::new(),
            args: Vec::new(),
            param_match: None,
            weight: 0,
            reverse: false,
            quorum: 1,
            quorum_max: None,
            terminate_delay: Duration::ZERO,
            fork_delay: Duration::ZERO,
            full_command: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct VrrpTrackFile {
    pub name: String,
    pub span: Span,
    pub file: PathBuf,
    pub weight: i32,
    pub reverse: bool,
    pub init_file: Option<(Option<i64>, bool)>,
}

#[derive(Debug, Clone)]
pub struct SyncGroup {
    pub name: String,
    pub span: Span,
    pub group: Vec<String>,
    pub track_interface: Vec<TrackRef>,
    pub track_script: Vec<TrackRef>,
    pub track_process: Vec<TrackRef>,
    pub track_file: Vec<TrackRef>,
    pub notify: Notify,
    pub sync_group_tracking_weight: bool,
    pub notify_priority_changes: Option<bool>,
    pub smtp_alert: Option<bool>,
}
