//! Registering the daemon's own file descriptors (raw sockets, the timerfd) with tokio's
//! reactor, in one place, because tokio's safe constructor is deprecated.

use std::os::fd::AsRawFd;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Types that own their file descriptor for their whole life and always report the same one.
pub trait OwnsFd: AsRawFd {}

impl OwnsFd for socket2::Socket {}

/// Register `inner` for read readiness only. Nothing of ours waits to write (adverts are
/// non-blocking sends), and with write interest every batch of sends woke the loop once more
/// with an EPOLLOUT edge it had no use for.
pub fn register<T: OwnsFd>(inner: T) -> std::io::Result<AsyncFd<T>> {
    // SAFETY: `OwnsFd` is only implemented for types that own an open descriptor until they
    // are dropped and return that same descriptor from every `as_raw_fd` call, which is what
    // `AsyncFd::register_with_interest` requires. The AsyncFd takes ownership of `inner`.
    unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE) }
        .map_err(std::io::Error::from)
}
