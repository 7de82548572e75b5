//! The exact fix for the backend that decided: an `nft insert rule` placed before the deciding
//! rule, an `iptables -I CHAIN N`, or a `firewall-cmd --permanent` (protocol, or a rich rule
//! limited to the known peers) followed by a reload.

use super::eval::Anchor;
use super::firewalld;
use super::model::Origin;
use super::probe::*;
use super::verdict::Target;

/// The protocol name as nft, iptables and firewalld all accept it.
fn proto_name(l4: u8) -> String {
    match l4 {
        IPPROTO_VRRP => "vrrp".into(),
        IPPROTO_AH => "ah".into(),
        n => n.to_string(),
    }
}

fn nft_match(t: &Target) -> String {
    let ip = match t.family {
        IpFamily::V4 => "ip",
        IpFamily::V6 => "ip6",
    };
    let proto = proto_name(t.l4proto);
    match t.direction {
        Direction::In => format!(
            "iifname \"{}\" {ip} saddr {} {ip} daddr {} meta l4proto {proto} accept",
            t.iface, t.source, t.destination
        ),
        Direction::Out => format!(
            "oifname \"{}\" {ip} daddr {} meta l4proto {proto} accept",
            t.iface, t.destination
        ),
    }
}

/// The nft command that accepts the advert before the rule that decided.
pub fn nft_fix(t: &Target, at: &Anchor) -> String {
    let rule = nft_match(t);
    match at.before {
        Some(h) => format!(
            "nft insert rule {} {} {} position {h} {rule}",
            at.family, at.table, at.chain
        ),
        None => format!(
            "nft add rule {} {} {} {rule}",
            at.family, at.table, at.chain
        ),
    }
}

/// `iptables -I CHAIN N ...` (or `-A` when a policy decided).
pub fn iptables_fix(t: &Target, at: &Anchor, iptables_is_nft: Option<bool>) -> String {
    let legacy = at.origin == Origin::IptablesLegacy;
    let base = match t.family {
        IpFamily::V4 => "iptables",
        IpFamily::V6 => "ip6tables",
    };
    // Plain `iptables` is whichever backend the system's alternative points to.
    let cmd = match (legacy, iptables_is_nft) {
        (true, Some(false)) | (false, Some(true)) | (false, None) => base.to_string(),
        (true, _) => format!("{base}-legacy"),
        (false, Some(false)) => format!("{base}-nft"),
    };
    let table = if at.table == "filter" {
        String::new()
    } else {
        format!(" -t {}", at.table)
    };
    let place = match at.before {
        Some(n) => format!("-I {} {n}", at.chain),
        None => format!("-A {}", at.chain),
    };
    let proto = proto_name(t.l4proto);
    let m = match t.direction {
        Direction::In => format!(
            "-i {} -s {} -d {} -p {proto} -j ACCEPT",
            t.iface, t.source, t.destination
        ),
        Direction::Out => format!("-o {} -d {} -p {proto} -j ACCEPT", t.iface, t.destination),
    };
    format!("{cmd}{table} {place} {m}")
}

/// The firewall-cmd that makes it permanent in `zone`: the protocol for a whole subnet of
/// senders, a rich rule for one known peer.
pub fn firewalld_permanent(t: &Target, zone: &str) -> String {
    let proto = proto_name(t.l4proto);
    match t.source {
        Source::Host(peer) if t.direction == Direction::In => format!(
            "firewall-cmd --permanent --zone={zone} --add-rich-rule='rule family=\"{}\" source address=\"{peer}\" protocol value=\"{proto}\" accept'",
            t.family.as_str()
        ),
        _ => format!("firewall-cmd --permanent --zone={zone} --add-protocol={proto}"),
    }
}

/// The same change made while firewalld is stopped: `firewall-cmd` talks to the daemon over
/// D-Bus and fails then; `firewall-offline-cmd` edits the permanent config directly.
pub fn firewalld_offline(t: &Target, zone: &str) -> String {
    firewalld_permanent(t, zone).replacen("firewall-cmd --permanent", "firewall-offline-cmd", 1)
}

pub fn firewalld_fix(t: &Target, zone: &str) -> String {
    format!("{} && firewall-cmd --reload", firewalld_permanent(t, zone))
}

/// The zone to change: the one the deciding chain belongs to, else the one the permanent
/// config puts the interface (or the sender) in, else `public`.
pub fn zone_for(t: &Target, chain: Option<&str>, perm: Option<&firewalld::Permanent>) -> String {
    if let Some(z) = chain.and_then(firewalld::zone_of_chain) {
        return z;
    }
    let src = match t.source {
        Source::Host(a) => Some(a),
        Source::Subnet(..) => None,
    };
    perm.and_then(|p| p.zone_for(&t.iface, src))
        .map(|z| z.name.clone())
        .unwrap_or_else(|| "public".into())
}

/// The fix for a finding decided at `at`, in the language of the backend that owns it.
pub fn fix(
    t: &Target,
    at: &Anchor,
    iptables_is_nft: Option<bool>,
    perm: Option<&firewalld::Permanent>,
) -> Option<String> {
    if at.table == "keepalived" {
        // keepalived rebuilds its own table; a rule added there would not survive.
        return None;
    }
    Some(match at.origin {
        Origin::Nftables => nft_fix(t, at),
        Origin::IptablesNft | Origin::IptablesLegacy => iptables_fix(t, at, iptables_is_nft),
        Origin::FirewalldRuntime | Origin::FirewalldPermanent => {
            firewalld_fix(t, &zone_for(t, Some(&at.chain), perm))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(src: Source, dst: &str) -> Target {
        Target {
            direction: Direction::In,
            iface: "eth0".into(),
            family: IpFamily::V4,
            source: src,
            destination: dst.parse().unwrap(),
            unicast: false,
            l4proto: IPPROTO_VRRP,
            local_prefixes: vec![],
        }
    }

    fn anchor(origin: Origin, table: &str, chain: &str, before: Option<u64>) -> Anchor {
        Anchor {
            family: "inet".into(),
            table: table.into(),
            chain: chain.into(),
            before,
            origin,
            hook: None,
        }
    }

    #[test]
    fn nft_fix_goes_before_the_deciding_rule() {
        let t = target(
            Source::Subnet("192.0.2.0".parse().unwrap(), 24),
            "224.0.0.18",
        );
        assert_eq!(
            nft_fix(&t, &anchor(Origin::Nftables, "filter", "input", Some(7))),
            "nft insert rule inet filter input position 7 iifname \"eth0\" ip saddr 192.0.2.0/24 ip daddr 224.0.0.18 meta l4proto vrrp accept"
        );
        assert!(
            nft_fix(&t, &anchor(Origin::Nftables, "filter", "input", None))
                .starts_with("nft add rule inet filter input ")
        );
    }

    #[test]
    fn iptables_and_firewalld_fixes() {
        let t = target(Source::Host("192.0.2.2".parse().unwrap()), "192.0.2.1");
        assert_eq!(
            iptables_fix(
                &t,
                &anchor(Origin::IptablesLegacy, "filter", "INPUT", Some(3)),
                Some(true)
            ),
            "iptables-legacy -I INPUT 3 -i eth0 -s 192.0.2.2 -d 192.0.2.1 -p vrrp -j ACCEPT"
        );
        assert_eq!(
            firewalld_fix(&t, "internal"),
            "firewall-cmd --permanent --zone=internal --add-rich-rule='rule family=\"ipv4\" source address=\"192.0.2.2\" protocol value=\"vrrp\" accept' && firewall-cmd --reload"
        );
    }
}
