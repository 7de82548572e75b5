//! `sniff -i any`: one AF_PACKET socket of type SOCK_DGRAM bound to no interface (ifindex 0)
//! receives from every interface, as libpcap's "any" device does. The kernel strips the link
//! header; the address it returns (sockaddr_ll) is turned into a Linux cooked-capture (SLL)
//! header, so the frames decode, and `-w` writes them, exactly like `tcpdump -i any`'s.

use std::io;
use std::ops::ControlFlow;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::link::LINKTYPE_LINUX_SLL;
use super::source::{Frame, Timestamp};
use super::{stop, SniffError};

/// The SLL header's length: packet type, ARPHRD, address length, 8 address bytes, protocol.
const SLL_HEADER: usize = 16;

fn capture_error(e: io::Error) -> SniffError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        SniffError::Permission("any".into())
    } else {
        SniffError::Capture {
            iface: "any".into(),
            reason: e.to_string(),
        }
    }
}

fn open() -> io::Result<OwnedFd> {
    let proto = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket(2); the fd is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            i32::from(proto),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // Wake up every 200 ms to notice Ctrl-C.
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 200_000,
    };
    // SAFETY: tv outlives the call and its size is passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// The SLL header for a packet the kernel described with `sll` (RFC-less, but documented by
/// tcpdump.org's LINKTYPE_LINUX_SLL page).
pub fn sll_header(sll: &libc::sockaddr_ll) -> [u8; SLL_HEADER] {
    let mut h = [0u8; SLL_HEADER];
    h[0..2].copy_from_slice(&u16::from(sll.sll_pkttype).to_be_bytes());
    h[2..4].copy_from_slice(&sll.sll_hatype.to_be_bytes());
    let halen = sll.sll_halen.min(8);
    h[4..6].copy_from_slice(&u16::from(halen).to_be_bytes());
    h[6..6 + usize::from(halen)].copy_from_slice(&sll.sll_addr[..usize::from(halen)]);
    // sll_protocol is already in network byte order.
    h[14..16].copy_from_slice(&sll.sll_protocol.to_ne_bytes());
    h
}

/// Capture on every interface until `f` breaks or Ctrl-C.
pub fn capture_any(f: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>) -> Result<(), SniffError> {
    let fd = open().map_err(capture_error)?;
    let mut buf = vec![0u8; SLL_HEADER + 65536];
    loop {
        if stop::requested() {
            return Ok(());
        }
        // SAFETY: an all-zero sockaddr_ll is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        let payload = &mut buf[SLL_HEADER..];
        // SAFETY: the buffer and the address are valid for the sizes given.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                payload.as_mut_ptr().cast(),
                payload.len(),
                libc::MSG_TRUNC,
                (&mut sll as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock
                | io::ErrorKind::Interrupted
                | io::ErrorKind::TimedOut => continue,
                _ => return Err(capture_error(e)),
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let wire_len = n as usize;
        let kept = wire_len.min(payload.len());
        buf[..SLL_HEADER].copy_from_slice(&sll_header(&sll));
        let frame = Frame {
            ts: Timestamp {
                secs: now.as_secs() as i64,
                nanos: now.subsec_nanos(),
                nano_res: true,
            },
            linktype: LINKTYPE_LINUX_SLL,
            data: &buf[..SLL_HEADER + kept],
            orig_len: (SLL_HEADER + wire_len) as u32,
        };
        if f(frame).is_break() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_header_from_a_kernel_address() {
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_pkttype = 1; // PACKET_BROADCAST
        sll.sll_hatype = 1; // ARPHRD_ETHER
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&[2, 0, 0x5e, 0, 1, 7]);
        sll.sll_protocol = 0x0800u16.to_be();
        let h = sll_header(&sll);
        assert_eq!(h, [0, 1, 0, 1, 0, 6, 2, 0, 0x5e, 0, 1, 7, 0, 0, 0x08, 0x00]);
        // The decoder reads it as the cooked capture tcpdump writes.
        let mut frame = h.to_vec();
        frame.extend_from_slice(&[0x45, 0, 0, 20]);
        assert!(super::super::link::network(LINKTYPE_LINUX_SLL, &frame).is_some());
    }
}
