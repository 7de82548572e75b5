//! The machine's static parameters, and how they are read from keepalived.conf's typed model
//! (which the loader has already adjusted the way keepalived does: strict mode, `state MASTER`
//! clearing nopreempt/preempt_delay, inheritance from global_defs; inventory §1.3).

use std::net::IpAddr;
use std::time::Duration;

use thiserror::Error;

use crate::config::model::{GlobalDefs, InitialState, VrrpInstance};

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
    /// keepalived's defaults: 5 GARPs at once and 5 more after 5 s, no refresh.
    fn default() -> Self {
        GarpConfig {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: None,
            master_refresh_repeat: 1,
            lower_prio_delay: None,
            lower_prio_repeat: 0,
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
    /// keepalived's `state`: MASTER with priority 255 starts as master; MASTER with another
    /// priority starts as BACKUP with a short first down timer (one advert_int + the minimum
    /// skew) and so takes over unless a master speaks up at once.
    pub initial_state: InitialState,
    /// Preempt_Mode (false with `nopreempt`).
    pub preempt: bool,
    /// keepalived's preempt_delay: after startup or after a higher-priority master, keep
    /// accepting lower-priority adverts for this long before preempting.
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
    #[error("vrrp_instance {name}: advert_int {advert_int:?} is out of range for VRRPv{version}")]
    BadAdvertInt {
        name: String,
        advert_int: Duration,
        version: u8,
    },
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
            preempt: true,
            preempt_delay: Duration::ZERO,
            accept: true,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            garp: GarpConfig::default(),
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
        let advert_int_cs = advert_int_cs(inst.advert_int, version).ok_or_else(|| {
            FromModelError::BadAdvertInt {
                name: name.clone(),
                advert_int: inst.advert_int,
                version: version.number(),
            }
        })?;

        // The loader already applied keepalived's adjustments (strict mode, `state MASTER`
        // clearing nopreempt and preempt_delay, global inheritance); what is left here is the
        // fallback for a model built by hand with some options unset.
        let initial_state = inst.state.unwrap_or(if inst.priority == 255 {
            InitialState::Master
        } else {
            InitialState::Backup
        });
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
            lower_prio_delay: inst
                .garp_lower_prio_delay
                .or(global.vrrp_garp_lower_prio_delay)
                .filter(|d| !d.is_zero()),
            lower_prio_repeat: inst
                .garp_lower_prio_repeat
                .or(global.vrrp_garp_lower_prio_repeat)
                .unwrap_or(0),
        };
        Ok(InstanceConfig {
            name,
            vrid,
            version,
            advert_int_cs,
            priority: inst.priority,
            initial_state,
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

/// advert_int as keepalived rounds it: v2 whole seconds 1..=255, v3 centiseconds 1..=4095.
fn advert_int_cs(d: Duration, version: Version) -> Option<u16> {
    let ms = d.as_millis();
    match version {
        Version::V2 => {
            let s = (ms + 500) / 1000;
            (1..=255).contains(&s).then(|| (s * 100) as u16)
        }
        Version::V3 => {
            let cs = (ms + 5) / 10;
            (1..=4095).contains(&cs).then_some(cs as u16)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advert_int_rounds_like_keepalived() {
        assert_eq!(
            advert_int_cs(Duration::from_millis(1400), Version::V2),
            Some(100)
        );
        assert_eq!(
            advert_int_cs(Duration::from_millis(1600), Version::V2),
            Some(200)
        );
        assert_eq!(advert_int_cs(Duration::from_millis(100), Version::V2), None);
        assert_eq!(
            advert_int_cs(Duration::from_millis(100), Version::V3),
            Some(10)
        );
        assert_eq!(
            advert_int_cs(Duration::from_millis(41_000), Version::V3),
            None
        );
    }
}
