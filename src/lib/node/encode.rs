//! The adverts an instance puts on the wire, encoded once and reused. A master sends the same
//! bytes every Adver_Interval until its priority, source, addresses or targets change (the IPv4
//! header keepalived writes has IP id 0, so nothing varies from one advert to the next): the
//! encoded packets are kept with the inputs they were made from and handed to the driver as
//! shared bytes (`Effect::Send` carries an `Arc<[u8]>`), re-encoded only when an input differs.
//! The receivers still decode and check every datagram; only the sender's work is saved.

use std::net::IpAddr;
use std::sync::Arc;

use crate::fsm::Version;
use crate::wire::{self, ChecksumKind, Ipv4Meta};

use super::{Effect, InstanceId, InstanceSpec};

/// The last adverts encoded for one instance, with what they were made from.
#[derive(Debug, Clone, Default)]
pub(super) struct AdvertCache {
    inputs: Option<Inputs>,
    /// One per target, in `InstanceSpec::targets` order.
    sends: Vec<Encoded>,
}

#[derive(Debug, Clone)]
enum Encoded {
    Packet {
        dst: IpAddr,
        bytes: Arc<[u8]>,
    },
    /// The advert cannot be encoded for this target (reported as `Effect::Dropped`).
    Failed {
        reason: String,
    },
}

/// Everything the encoded bytes depend on.
#[derive(Debug, Clone)]
struct Inputs {
    priority: u8,
    src: IpAddr,
    version: Version,
    vrid: u8,
    advert_int_cs: u16,
    auth_type: u8,
    auth_pass: Vec<u8>,
    advertised: Vec<IpAddr>,
    group: Option<IpAddr>,
    peers: Vec<IpAddr>,
    unicast_ttl: u8,
}

impl Inputs {
    fn of(spec: &InstanceSpec, priority: u8, src: IpAddr) -> Inputs {
        Inputs {
            priority,
            src,
            version: spec.fsm.version,
            vrid: spec.fsm.vrid,
            advert_int_cs: spec.fsm.advert_int_cs,
            auth_type: spec.auth_type,
            auth_pass: spec.auth_pass.clone(),
            advertised: spec.advertised.clone(),
            group: spec.group,
            peers: spec.peers.iter().map(|p| p.addr).collect(),
            unicast_ttl: spec.unicast_ttl,
        }
    }

    /// Whether `spec` would encode to the same bytes (compared in place: no allocation).
    fn same(&self, spec: &InstanceSpec, priority: u8, src: IpAddr) -> bool {
        self.priority == priority
            && self.src == src
            && self.version == spec.fsm.version
            && self.vrid == spec.fsm.vrid
            && self.advert_int_cs == spec.fsm.advert_int_cs
            && self.auth_type == spec.auth_type
            && self.unicast_ttl == spec.unicast_ttl
            && self.group == spec.group
            && self.auth_pass == spec.auth_pass
            && self.advertised == spec.advertised
            && self.peers.iter().eq(spec.peers.iter().map(|p| &p.addr))
    }
}

impl AdvertCache {
    /// The advert of `spec` with `priority`, one `Effect::Send` per target as the wire will
    /// carry it (an `Effect::Dropped` for a target it cannot be encoded for).
    pub(super) fn emit(
        &mut self,
        id: InstanceId,
        spec: &InstanceSpec,
        priority: u8,
        out: &mut Vec<Effect>,
    ) {
        let Some(src) = spec.src else { return };
        if !self
            .inputs
            .as_ref()
            .is_some_and(|i| i.same(spec, priority, src))
        {
            self.sends = encode(spec, priority, src);
            self.inputs = Some(Inputs::of(spec, priority, src));
        }
        for e in &self.sends {
            out.push(match e {
                Encoded::Packet { dst, bytes } => Effect::Send {
                    id,
                    src,
                    dst: *dst,
                    bytes: Arc::clone(bytes),
                },
                Encoded::Failed { reason } => Effect::Dropped {
                    src,
                    vrid: Some(spec.vrid()),
                    reason: reason.clone(),
                },
            });
        }
    }
}

/// Encode the advert once per target.
fn encode(spec: &InstanceSpec, priority: u8, src: IpAddr) -> Vec<Encoded> {
    let advert = spec.advert(priority);
    let mut buf = [0u8; super::MAX_PACKET];
    let mut sends = Vec::new();
    for dst in spec.targets() {
        let n = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut meta = Ipv4Meta::keepalived(s, d);
                if spec.is_unicast() {
                    meta.ttl = spec.unicast_ttl;
                }
                wire::emit_ipv4_packet(&advert, &meta, ChecksumKind::PseudoHeader, &mut buf)
            }
            (IpAddr::V6(_), IpAddr::V6(_)) => {
                wire::emit_advert(&advert, src, dst, ChecksumKind::PseudoHeader, &mut buf)
            }
            // Families are checked when the spec is built.
            _ => continue,
        };
        sends.push(match n {
            Ok(n) => Encoded::Packet {
                dst,
                bytes: Arc::from(&buf[..n]),
            },
            Err(e) => Encoded::Failed {
                reason: format!("cannot encode our own advert: {e}"),
            },
        });
    }
    // Kept for as long as the inputs stay the same: one target's send, not four's room.
    sends.shrink_to_fit();
    sends
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::node::{HostView, IfaceInfo};

    struct Host;
    impl HostView for Host {
        fn interface(&self, _: &str) -> Option<IfaceInfo> {
            Some(IfaceInfo {
                index: 2,
                up: true,
                addrs: vec!["192.0.2.1".parse().unwrap()],
            })
        }
    }

    fn spec() -> InstanceSpec {
        let text = "vrrp_instance A {\n interface eth0\n virtual_router_id 7\n priority 150\n advert_int 1\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n";
        let l = load_str("t.conf", text);
        let (mut s, refused) = crate::node::build_all(&l.config, &Host);
        assert!(refused.is_empty(), "{refused:?}");
        s.remove(0)
    }

    fn sent(cache: &mut AdvertCache, spec: &InstanceSpec, priority: u8) -> Arc<[u8]> {
        let mut out = Vec::new();
        cache.emit(InstanceId(0), spec, priority, &mut out);
        match out.as_slice() {
            [Effect::Send { bytes, .. }] => Arc::clone(bytes),
            other => panic!("{other:?}"),
        }
    }

    /// What the cache hands out is always what a fresh encode gives, shared while unchanged.
    #[test]
    fn reuses_the_bytes_until_an_input_changes() {
        let mut spec = spec();
        let mut cache = AdvertCache::default();
        let first = sent(&mut cache, &spec, 150);
        assert!(Arc::ptr_eq(&first, &sent(&mut cache, &spec, 150)));
        let fresh = |spec: &InstanceSpec, prio| match &encode(spec, prio, spec.src.unwrap())[..] {
            [Encoded::Packet { bytes, .. }] => bytes.to_vec(),
            other => panic!("{other:?}"),
        };
        assert_eq!(*first, *fresh(&spec, 150));
        // Priority 0 (shutdown), then back.
        let zero = sent(&mut cache, &spec, 0);
        assert_eq!(zero[22], 0);
        assert_eq!(*zero, *fresh(&spec, 0));
        // A new VIP, a new source: re-encoded.
        spec.advertised.push("192.0.2.101".parse().unwrap());
        let more = sent(&mut cache, &spec, 150);
        assert_eq!(*more, *fresh(&spec, 150));
        assert_ne!(*more, *first);
        spec.src = Some("192.0.2.9".parse().unwrap());
        let moved = sent(&mut cache, &spec, 150);
        assert_eq!(*moved, *fresh(&spec, 150));
        assert_eq!(moved[12..16], [192, 0, 2, 9]);
    }
}
