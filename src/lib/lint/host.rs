//! What the host-dependent rules ask of the machine lint runs on (interfaces, addresses, file
//! ownership), behind a trait so tests can describe a host.

use std::net::IpAddr;
use std::path::Path;

/// Ownership and mode of a file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    /// Every address configured on this host, with its interface.
    fn addresses(&self) -> Vec<(String, IpAddr)>;
    fn file_info(&self, path: &Path) -> Option<FileInfo>;
    /// Resolve a command name through PATH, as keepalived does for a relative script.
    fn which(&self, name: &str) -> Option<std::path::PathBuf>;
}

/// The machine lint runs on.
pub struct LocalHost;

impl Host for LocalHost {
    fn interface_exists(&self, name: &str) -> bool {
        Path::new("/sys/class/net").join(name).exists()
    }

    fn addresses(&self) -> Vec<(String, IpAddr)> {
        let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
            return Vec::new();
        };
        addrs
            .filter_map(|a| {
                let sa = a.address?;
                let ip = if let Some(v4) = sa.as_sockaddr_in() {
                    IpAddr::V4(v4.ip())
                } else {
                    IpAddr::V6(sa.as_sockaddr_in6()?.ip())
                };
                Some((a.interface_name, ip))
            })
            .collect()
    }

    fn file_info(&self, path: &Path) -> Option<FileInfo> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileInfo {
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode(),
        })
    }

    fn which(&self, name: &str) -> Option<std::path::PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    }
}
