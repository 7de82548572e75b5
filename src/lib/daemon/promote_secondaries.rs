//! `promote_secondaries`: the interface's net.ipv4.conf.IFACE.promote_secondaries sysctl, set
//! to 1 while an instance with the keyword runs on it, as keepalived 2.2.7 sets it at start
//! (vrrp.c, vrrp_if_config.c: only when it was 0, one count per interface) and puts back to 0
//! when the last such instance stops. An interface that already had 1 is left alone, before
//! and after (measured on 2.2.7: 0 -> 1 while running -> 0 after SIGTERM).
//!
//! Without it, removing a VIP that is the primary address of its subnet also removes every
//! secondary address of that subnet on the interface.

use super::vmac::{get_sysctl, set_sysctl};
use crate::config;

/// The interfaces whose promote_secondaries this run raised from 0.
#[derive(Debug, Default)]
pub struct PromoteSecondaries {
    raised: Vec<String>,
}

impl PromoteSecondaries {
    /// Make the sysctl 1 on each of `wanted` (the interfaces of the running instances that ask
    /// for it), and put back the ones raised before that nobody wants any more (reload).
    pub fn apply(&mut self, wanted: &[String]) {
        self.raised.retain(|ifname| {
            let keep = wanted.contains(ifname);
            if !keep {
                set_sysctl("ipv4", ifname, "promote_secondaries", 0);
            }
            keep
        });
        for ifname in wanted {
            if self.raised.contains(ifname) {
                continue;
            }
            if get_sysctl("ipv4", ifname, "promote_secondaries") == Some(0) {
                set_sysctl("ipv4", ifname, "promote_secondaries", 1);
                tracing::debug!("{ifname}: promote_secondaries set");
                self.raised.push(ifname.clone());
            }
        }
    }

    /// Put every raised interface back to 0 (at stop).
    pub fn restore(&mut self) {
        self.apply(&[]);
    }
}

/// The interfaces of the running instances (`running` says which) whose config asks for
/// promote_secondaries.
pub fn wanted(cfg: &config::model::Config, running: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in cfg.instances.iter().filter(|i| i.promote_secondaries) {
        if let Some(ifname) = &i.interface {
            if running(&i.name) && !out.contains(ifname) {
                out.push(ifname.clone());
            }
        }
    }
    out
}
