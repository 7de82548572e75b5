//! The loop's side of the nftables table (nftables.rs): which VIPs of which instance the
//! filter holds, and the VMAC entries, submitted to the nft thread in the order keepalived
//! applies them - the drop rules before a no_accept master's VIPs are added (the address
//! worker waits for them), removed only after its VIPs are gone (the nft thread waits for
//! the address worker), so no packet to a VIP is taken in between.

use tokio::sync::oneshot;

use crate::node::InstanceId;

use super::super::addresses::AddrJob;
use super::super::nftables::{self, Firewall, VmacRule};
use super::Daemon;

impl Daemon {
    /// Bring the VIP filter of `id` up to date with its VIPs: `adding` before they are added,
    /// otherwise after they were removed.
    pub(super) fn sync_filter(&mut self, id: InstanceId, adding: bool) {
        let Some(settings) = self.firewall.settings() else {
            return;
        };
        let (Some(inst), Some(io)) = (self.node.get(id), self.io.get(&id)) else {
            return;
        };
        let addrs = nftables::filtered(&inst.spec, &io.vips, io.vips_set, settings);
        let name = inst.spec.name.clone();
        if adding {
            if let Some(applied) = self.firewall.filter(&name, addrs, None) {
                // In the input's job order (run.rs `flush`): before the VIPs it guards.
                self.jobs.push(AddrJob::After(applied));
            }
        } else if self.firewall.changes(&name, &addrs) {
            let (removed, after) = oneshot::channel();
            // After the removal queued before it in this input's jobs.
            self.jobs.push(AddrJob::Barrier(removed));
            self.firewall.filter(&name, addrs, Some(after));
        }
    }

    /// Every instance's filter (after a reload: accept mode may have changed).
    pub(super) fn sync_filters(&mut self) {
        let ids: Vec<InstanceId> = self.io.keys().copied().collect();
        for id in ids {
            self.sync_filter(id, true);
        }
    }

    /// After a reload: a table the new config needs starts now; another table name than the
    /// running one is refused as keepalived refuses it; then the VMAC entries follow.
    pub(super) fn reload_firewall(&mut self, global: &crate::config::model::GlobalDefs) {
        let new = nftables::Settings::of(global, self.node.instances().map(|(_, i)| &i.spec));
        match (self.firewall.settings(), new) {
            (None, Some(s)) => self.firewall = Firewall::start(Some(s)),
            (Some(old), Some(s)) if old.table != s.table => tracing::warn!(
                "Cannot change nftables table name at a reload - please restart vrrpd"
            ),
            _ => {}
        }
        self.sync_vmac_rules();
    }

    /// The VMAC entries of the instances' own VMACs now up.
    pub(super) fn sync_vmac_rules(&mut self) {
        let index = |n: &str| nix::net::if_::if_nametoindex(n).ok();
        let rules: Vec<VmacRule> = self
            .vmacs
            .own()
            .filter_map(|(instance, vmac, base)| {
                let spec = &self.node.get(self.node.by_name(instance)?)?.spec;
                Some(nftables::vmac_rules(spec, index(vmac)?, index(base)?))
            })
            .flatten()
            .collect();
        self.firewall.vmacs(rules);
    }
}
