//! The machine's static parameters, and how they are read from keepalived.conf's typed model
//! (which the loader has already adjusted the way keepalived does: strict mode, `state MASTER`
//! clearing nopreempt/preempt_delay, inheritance from global_defs; inventory §1.3).

use std::net::IpAddr;
use std::time::Duration;

use thiserror::Error;

use crate::config::model::{advert_int_as_keepalived, GlobalDefs, InitialState, VrrpInstance};

/// VRRP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Version {
    /// RFC 3768: whole-second intervals, Skew_Time = (256 - Priority) / 256 s.
    V2,
    /// RFC 5798: centisecond intervals, Skew_Time scaled by Master_Adver_Interval, and a backup
    /// learns Master_Adver_Interval from the master's adverts.
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The gratuitous ARP / unsolicited NA schedule (keepalived's garp_* keywords).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpConfig {
    /// Delay of the second burst after becoming master; zero means no second burst.
    pub master_delay: Duration,
    /// GARPs per VIP in each burst on becoming master.
    pub master_repeat: u32,
    /// Period of the refresh bursts while master; None means no refresh.
    pub master_refresh: Option<Duration>,
    pub master_refresh_repeat: u32,
    /// Delay of the second lower-priority burst; None means none.
    pub lower_prio_delay: Option<Duration>,
    /// GARPs sent when a master hears a lower-priority advert; zero means none.
    pub lower_prio_repeat: u32,
}

impl Default for GarpConfig {
    /// keepalived's defaults: 5 GARPs at once and 5 more after 5 s, no refresh; a master that
    /// hears a lower-priority advert also sends 5 at once and 5 after 5 s, because unset
    /// garp_lower_prio_* take the global master values (vrrp.c, vrrp_complete_init).
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: None,
            master_refresh_repeat: 1,
            lower_prio_delay: Some(Duration::from_secs(5)),
            lower_prio_repeat: 5,
        }
    }
}

/// Static parameters of one VRRP instance as the machine sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// The vrrp_instance name (for log lines).
    pub name: String,
    pub vrid: u8,
    pub version: Version,
    /// Advertisement_Interval in centiseconds (v2: a multiple of 100).
    pub advert_int_cs: u16,
    /// Base priority, 1..=255; 255 is the address owner.
    pub priority: u8,
    /// keepalived's `state`: MASTER with priority 255 starts as master at once; any other
    /// start is BACKUP with a full Master_Down_Interval as the first down timer, except in a
    /// sync group that starts in BACKUP (see `sync_group_starts_backup`).
    pub initial_state: InitialState,
    /// The instance is a member of a vrrp_sync_group that keepalived starts in BACKUP: any
    /// group with a member that is not an address owner with `state MASTER` (vrrp_sync.c).
    /// keepalived's vrrp_init_state then gives a `state MASTER` member - owner or not - a short
    /// first down timer, one advert_int + the minimum skew ((256 - 255) / 256 of an interval),
    /// so it takes over unless a master speaks up at once. False outside sync groups (and in
    /// groups of owners only): set by the layer that knows the sync groups.
    pub sync_group_starts_backup: bool,
    /// Preempt_Mode (false with `nopreempt`).
    pub preempt: bool,
    /// keepalived's preempt_delay: from the first lower-priority advert a backup hears (again
    /// after a higher-priority one), keep accepting lower-priority adverts for this long
    /// before preempting.
    pub preempt_delay: Duration,
    /// Accept_Mode; carried for the daemon (it decides whether VIP-addressed traffic is taken).
    pub accept: bool,
    /// The 3 of Master_Down_Interval = 3 x Master_Adver_Interval + Skew_Time (1..=100).
    pub down_timer_adverts: u32,
    /// A master does not answer a lower-priority advert with its own.
    pub lower_prio_no_advert: bool,
    /// A master sends one advert before stepping down to a higher-priority one.
    pub higher_prio_send_advert: bool,
    pub garp: GarpConfig,
    /// keepalived's vrrp_startup_delay: until this long after the first Startup, a backup's
    /// Master_Down_Timer runs from the end of the delay instead of from now (an owner still
    /// starts as master at once, as in keepalived's vrrp_init_instance_sands).
    pub startup_delay: Duration,
    /// This router's primary address on the segment (the advert source), compared with a
    /// sender's in the equal-priority tie-break.
    pub primary_addr: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FromModelError {
    #[error("vrrp_instance {0}: virtual_router_id is not set")]
    MissingVrid(String),
    #[error("vrrp_instance {0}: virtual_router_id 0 is out of range 1..255")]
    VridZero(String),
    #[error("vrrp_instance {name}: version {version} is not 2 or 3")]
    BadVersion { name: String, version: u8 },
    #[error("vrrp_instance {name}: priority 0 is out of range 1..255")]
    PriorityZero { name: String },
}

impl InstanceConfig {
    /// A config with keepalived's defaults for the given identity (tests and the simulator).
    pub fn new(name: impl Into<String>, vrid: u8, priority: u8, primary_addr: IpAddr) -> Self {
        InstanceConfig {
            name: name.into(),
            vrid,
            version: Version::V2,
            advert_int_cs: 100,
            priority,
            initial_state: if priority == 255 {
                InitialState::Master
            } else {
                InitialState::Backup
            },
            sync_group_starts_backup: false,
            preempt: true,
            preempt_delay: Duration::ZERO,
            accept: true,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            garp: GarpConfig::default(),
            startup_delay: Duration::ZERO,
            primary_addr,
        }
    }

    /// Build from the config model the way keepalived 2.2.7 interprets it.
    ///
    /// `primary_addr` is the instance's source address as the caller resolved it
    /// (unicast_src_ip / mcast_src_ip, else the interface's primary address).
    pub fn from_model(
        inst: &VrrpInstance,
        global: &GlobalDefs,
        primary_addr: IpAddr,
    ) -> Result<InstanceConfig, FromModelError> {
        let name = inst.name.clone();
        let vrid = match inst.virtual_router_id {
            None => return Err(FromModelError::MissingVrid(name)),
            Some(0) => return Err(FromModelError::VridZero(name)),
            Some(v) => v,
        };
        if inst.priority == 0 {
            return Err(FromModelError::PriorityZero { name });
        }
        let version_number = if inst.is_ipv6() {
            3
        } else if inst.version == 0 {
            global.vrrp_version
        } else {
            inst.version
        };
        let version = match version_number {
            2 => Version::V2,
            3 => Version::V3,
            other => {
                return Err(FromModelError::BadVersion {
                    name,
                    version: other,
                })
            }
        };
        // The loader already rounded it; a model built by hand gets the same treatment.
        let advert_int_cs = advert_int_cs(inst.advert_int, version);

        // The loader already applied keepalived's adjustments (strict mode, `state MASTER`
        // clearing nopreempt and preempt_delay, global inheritance); what is left here is the
        // fallback for a model built by hand with some options unset.
        let initial_state = inst.initial_state();
        let preempt = !inst.nopreempt;
        let preempt_delay = if preempt {
            inst.preempt_delay
        } else {
            Duration::ZERO
        };
        let down_timer_adverts = inst.down_timer_adverts.clamp(1, 100);
        let garp = GarpConfig {
            master_delay: inst
                .garp_master_delay
                .unwrap_or(global.vrrp_garp_master_delay),
            master_repeat: inst
                .garp_master_repeat
                .unwrap_or(global.vrrp_garp_master_repeat),
            master_refresh: inst
                .garp_master_refresh
                .or(global.vrrp_garp_master_refresh)
                .filter(|d| !d.is_zero()),
            master_refresh_repeat: inst
                .garp_master_refresh_repeat
                .unwrap_or(global.vrrp_garp_master_refresh_repeat),
            lower_prio_delay: Some(
                inst.garp_lower_prio_delay
                    .or(global.vrrp_garp_lower_prio_delay)
                    .unwrap_or(global.vrrp_garp_master_delay),
            )
            .filter(|d| !d.is_zero()),
            lower_prio_repeat: inst
                .garp_lower_prio_repeat
                .or(global.vrrp_garp_lower_prio_repeat)
                .unwrap_or(global.vrrp_garp_master_repeat),
        };
        Ok(InstanceConfig {
            name,
            vrid,
            version,
            advert_int_cs,
            priority: inst.priority,
            initial_state,
            sync_group_starts_backup: false,
            preempt,
            preempt_delay,
            accept: inst.accept,
            down_timer_adverts,
            lower_prio_no_advert: inst
                .lower_prio_no_advert
                .unwrap_or(global.vrrp_lower_prio_no_advert),
            higher_prio_send_advert: inst
                .higher_prio_send_advert
                .unwrap_or(global.vrrp_higher_prio_send_advert),
            garp,
            startup_delay: global.vrrp_startup_delay,
            primary_addr,
        })
    }

    /// The address owner (priority 255).
    pub fn is_owner(&self) -> bool {
        self.priority == 255
    }

    /// Advertisement_Interval.
    pub fn advert_interval(&self) -> Duration {
        Duration::from_millis(u64::from(self.advert_int_cs) * 10)
    }
}

/// advert_int in centiseconds as keepalived runs it: v2 whole seconds 1..=255, v3
/// centiseconds 1..=4095, rounded and capped, never refused.
fn advert_int_cs(d: Duration, version: Version) -> u16 {
    let d = advert_int_as_keepalived(d, version.number());
    u16::try_from(d.as_micros() / 10_000).unwrap_or(4095)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(ms: u64, v: Version) -> u16 {
        advert_int_cs(Duration::from_millis(ms), v)
    }

    #[test]
    fn advert_int_rounds_and_caps_like_keepalived() {
        // v2: nearest whole second, halves up, at least 1 s.
        assert_eq!(cs(1400, Version::V2), 100);
        assert_eq!(cs(1500, Version::V2), 200);
        assert_eq!(cs(100, Version::V2), 100);
        // v3: nearest centisecond, halves up; above 40.95 s capped, not refused.
        assert_eq!(cs(145, Version::V3), 15);
        assert_eq!(cs(144, Version::V3), 14);
        assert_eq!(cs(100, Version::V3), 10);
        assert_eq!(cs(41_000, Version::V3), 4095);
        assert_eq!(cs(255_000, Version::V3), 4095);
        assert_eq!(cs(40_955, Version::V3), 4095);
    }
}
