//! Dropping the capabilities vrrpd itself no longer needs once it has started.
//!
//! After start (config read, pid file written, control socket bound with its raised fd limit,
//! metrics port bound, VRRP sockets open) the daemon's effective and permitted sets are cut to
//! [`KEPT`]: what the event loop and its workers use for the rest of the run, reload included
//! (new raw sockets, VIPs, routes, macvlans and their sysctls, the proc connector), plus what it
//! needs to start and stop scripts as `script_user` (setuid/setgid in the forked child before
//! exec, and killing the process group of a timed-out script that runs as another user). These
//! are exactly the capabilities `packaging/vrrpd.service` gives the unit, so the packaged daemon
//! already runs with no more than this; the drop makes vrrpd started by hand (or by a container
//! with full root) hold no more either.
//!
//! The bounding and inheritable sets are left alone on purpose: a track or notify script that
//! vrrpd execs as root gets every capability of the bounding set back from the kernel (for a
//! uid-0 exec the file's sets count as full), exactly as under keepalived, so `ip`, `iptables`,
//! `systemctl` and the like keep working in scripts. That is also the limit of what this buys:
//! it protects against a bug in vrrpd's own code doing more than networking (writing a file it
//! does not own, loading a module, mounting), not against someone who can make vrrpd exec
//! something, and vrrpd is still uid 0, the owner of root's files. Bounding the children too
//! is the unit's job (`CapabilityBoundingSet=`), where the operator chooses what scripts need.

/// Capability numbers (linux/capability.h).
pub const CAP_KILL: u32 = 5;
pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_NET_BROADCAST: u32 = 11;
pub const CAP_NET_ADMIN: u32 = 12;
pub const CAP_NET_RAW: u32 = 13;

/// What vrrpd keeps in its effective and permitted sets after start.
pub const KEPT: [u32; 6] = [
    CAP_NET_ADMIN,
    CAP_NET_RAW,
    CAP_NET_BROADCAST,
    CAP_KILL,
    CAP_SETUID,
    CAP_SETGID,
];

/// The mask of `caps` as /proc/PID/status prints CapEff (bit N = capability N).
pub fn mask(caps: &[u32]) -> u64 {
    caps.iter().fold(0, |m, &c| m | (1u64 << c))
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The calling thread's (effective, permitted, inheritable) sets as 64-bit masks.
fn get() -> std::io::Result<(u64, u64, u64)> {
    let mut h = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut d = [CapData::default(); 2];
    // SAFETY: capget with a v3 header writes two CapData structs, which `d` holds.
    if unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let join = |f: fn(&CapData) -> u32| u64::from(f(&d[0])) | (u64::from(f(&d[1])) << 32);
    Ok((
        join(|c| c.effective),
        join(|c| c.permitted),
        join(|c| c.inheritable),
    ))
}

/// What `drop_unneeded` did: the sets before and after, as masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub permitted_before: u64,
    pub permitted_after: u64,
}

/// Reduce the calling thread's effective and permitted sets to `KEPT` (as far as it had them).
/// Capabilities are per thread and capset(2) changes only the caller's: the event loop calls
/// this before it serves, and every thread vrrpd starts earlier (address worker, control
/// server, metrics) calls it first thing; threads started later inherit the reduced sets.
pub fn drop_unneeded() -> std::io::Result<Dropped> {
    let (eff, prm, inh) = get()?;
    let keep = mask(&KEPT);
    let (new_eff, new_prm) = (eff & keep, prm & keep);
    if new_prm != prm || new_eff != eff {
        let mut h = CapHeader {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let split = |m: u64| [m as u32, (m >> 32) as u32];
        let (e, p, i) = (split(new_eff), split(new_prm), split(inh));
        let d = [
            CapData {
                effective: e[0],
                permitted: p[0],
                inheritable: i[0],
            },
            CapData {
                effective: e[1],
                permitted: p[1],
                inheritable: i[1],
            },
        ];
        // SAFETY: capset with a v3 header reads two CapData structs from `d`.
        if unsafe { libc::syscall(libc::SYS_capset, &mut h, d.as_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(Dropped {
        permitted_before: prm,
        permitted_after: new_prm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_matches_proc_status_bits() {
        // CAP_NET_ADMIN + CAP_NET_RAW + CAP_NET_BROADCAST as capsh --decode prints them.
        assert_eq!(
            mask(&[CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BROADCAST]),
            0x3800
        );
        assert_eq!(mask(&KEPT), 0x38e0);
    }

    #[test]
    fn get_agrees_with_proc_status() {
        let (eff, prm, _) = get().unwrap();
        let s = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let field = |name: &str| {
            let v = s.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim();
            u64::from_str_radix(v, 16).unwrap()
        };
        assert_eq!(eff, field("CapEff:"));
        assert_eq!(prm, field("CapPrm:"));
    }
}
