//! IGMP / MLD reports of the VMACs, as keepalived 2.2.7 handles them (vrrp_nftables.c
//! setup_rule_move_igmp): the multicast group joins vrrpd makes on a VMAC must not leave with
//! the virtual MAC (a switch would learn it on the backup too), so an nftables output rule
//! duplicates each report to the VMAC's base interface and drops the original. IPv6 router
//! solicitations from a VMAC are dropped.
//!
//! Measured with keepalived 2.2.7 and `use_vmac` (no firewall keyword configured: it logs "use_vmac
//! or no_accept/strict specified, but no firewall configured - using nftables"):
//!
//! ```text
//! table ip keepalived {
//!     map vmac_map { type iface_index : iface_index; elements = { "vrrp.51" : "eth0" } }
//!     chain out {
//!         type filter hook output priority filter - 1; policy accept;
//!         ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop
//!     }
//! }
//! table ip6 keepalived {
//!     map vmac_map { ... }  set vmac_set { type iface_index; elements = { "vrrp.51" } }
//!     chain out {
//!         type filter hook output priority filter - 1; policy accept;
//!         icmpv6 type mld2-listener-report meta oifkind "macvlan" dup to ip6 daddr device oif map @vmac_map drop
//!         icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop
//!     }
//! }
//! ```
//!
//! The tables exist while a VMAC of their family does and are deleted at stop. They are
//! written with the `nft` command (one atomic transaction per change); without it vrrpd says
//! once that the reports leave from the VMAC.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::node::Family;

/// keepalived's default table name (global_defs `nftables` without a name).
pub const TABLE: &str = "keepalived";

/// The tables this run has written, per family, to delete only ours.
#[derive(Debug, Default)]
pub struct IgmpRules {
    v4: bool,
    v6: bool,
    said_no_nft: bool,
    said_using: bool,
}

/// The nft script that makes the tables match `vmacs` (VMAC name, base name, family):
/// each family's table replaced, or deleted when `had` it and no VMAC of the family is left.
pub fn script(vmacs: &[(String, String, Family)], had: (bool, bool)) -> String {
    let mut s = String::new();
    for (family, nfamily, had) in [(Family::V4, "ip", had.0), (Family::V6, "ip6", had.1)] {
        let of: Vec<&(String, String, Family)> =
            vmacs.iter().filter(|(_, _, f)| *f == family).collect();
        if of.is_empty() {
            if had {
                s += &format!("delete table {nfamily} {TABLE}\n");
            }
            continue;
        }
        // "add" then "delete" empties a table that may or may not exist, in one transaction.
        s += &format!("add table {nfamily} {TABLE}\ndelete table {nfamily} {TABLE}\n");
        let map: Vec<String> = of
            .iter()
            .map(|(v, b, _)| format!("\"{v}\" : \"{b}\""))
            .collect();
        s += &format!("table {nfamily} {TABLE} {{\n");
        s += &format!(
            "  map vmac_map {{\n    type iface_index : iface_index\n    elements = {{ {} }}\n  }}\n",
            map.join(", ")
        );
        if family == Family::V6 {
            let set: Vec<String> = of.iter().map(|(v, _, _)| format!("\"{v}\"")).collect();
            s += &format!(
                "  set vmac_set {{\n    type iface_index\n    elements = {{ {} }}\n  }}\n",
                set.join(", ")
            );
        }
        s += "  chain out {\n    type filter hook output priority filter - 1; policy accept;\n";
        if family == Family::V4 {
            s += "    ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop\n";
        } else {
            s += "    icmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to ip6 daddr device oif map @vmac_map drop\n";
            s += "    icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop\n";
        }
        s += "  }\n}\n";
    }
    s
}

impl IgmpRules {
    /// Make the tables match the VMACs now up (none: delete ours).
    pub fn sync(&mut self, vmacs: &[(String, String, Family)]) {
        let text = script(vmacs, (self.v4, self.v6));
        if text.is_empty() {
            return;
        }
        if !vmacs.is_empty() && !self.said_using {
            self.said_using = true;
            tracing::info!(
                "use_vmac or no_accept/strict specified, but no firewall configured - using nftables"
            );
        }
        match run_nft(&text) {
            Ok(()) => {
                self.v4 = vmacs.iter().any(|(_, _, f)| *f == Family::V4);
                self.v6 = vmacs.iter().any(|(_, _, f)| *f == Family::V6);
            }
            Err(NftError::Missing) => {
                if !self.said_no_nft {
                    self.said_no_nft = true;
                    tracing::warn!(
                        "nft is not installed: IGMP/MLD reports of the VMACs leave with the virtual MAC (keepalived moves them to the base interface with an nftables rule)"
                    );
                }
            }
            Err(NftError::Failed(e)) => {
                tracing::warn!("cannot set the VMAC IGMP/MLD rules (table {TABLE}): {e}")
            }
        }
    }
}

enum NftError {
    Missing,
    Failed(String),
}

fn run_nft(text: &str) -> Result<(), NftError> {
    let mut child = match Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NftError::Missing),
        Err(e) => return Err(NftError::Failed(e.to_string())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| NftError::Failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| NftError::Failed(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(NftError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_vmacs_of_each_family() {
        let v4 = ("vrrp.51".to_string(), "eth0".to_string(), Family::V4);
        let v6 = ("vrrp.52".to_string(), "eth0".to_string(), Family::V6);
        let s = script(std::slice::from_ref(&v4), (false, false));
        assert!(s.starts_with("add table ip keepalived\ndelete table ip keepalived\n"));
        assert!(s.contains("elements = { \"vrrp.51\" : \"eth0\" }"), "{s}");
        assert!(s.contains("ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop"));
        assert!(!s.contains("ip6"), "{s}");
        let s = script(&[v4.clone(), v6], (true, false));
        assert!(s.contains("table ip6 keepalived {"), "{s}");
        assert!(
            s.contains("icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop")
        );
        // The last VMAC of a family gone: only a table we made is deleted.
        assert_eq!(
            script(&[], (true, true)),
            "delete table ip keepalived\ndelete table ip6 keepalived\n"
        );
        assert_eq!(script(&[], (false, false)), "");
    }
}
