//! systemd's readiness protocol (`Type=notify`): one datagram to `$NOTIFY_SOCKET`.
//! No crate needed; a missing variable means "not under systemd" and is not an error.

use std::os::unix::net::UnixDatagram;

/// Send `state` (e.g. "READY=1", "STOPPING=1") to the service manager, if there is one.
/// Returns Ok(false) when NOTIFY_SOCKET is unset.
pub fn notify(state: &str) -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    notify_to(&path, state)?;
    Ok(true)
}

/// Send `state` to the notify socket at `path` (a file path, or `@name` for an abstract one).
pub fn notify_to(path: &std::ffi::OsStr, state: &str) -> std::io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(abstract_name) = bytes.strip_prefix(b"@") {
        // An abstract socket name: systemd writes it with a leading '@'.
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name)?;
        sock.send_to_addr(state.as_bytes(), &addr)?;
    } else {
        sock.send_to(state.as_bytes(), path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_ready_to_the_notify_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        notify_to(path.as_os_str(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
    }
}
