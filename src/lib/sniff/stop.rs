//! Ctrl-C (SIGINT) and SIGTERM end a capture cleanly so the summary still prints: the handler
//! only sets a flag, which the capture loops poll between frames (live reads time out every
//! 200 ms, so a quiet interface still notices).

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Install the handlers (idempotent). Without SA_RESTART, a blocked read returns EINTR at once.
pub fn install() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        if let Err(e) = unsafe { sigaction(sig, &action) } {
            tracing::warn!("cannot install the {sig} handler: {e}");
        }
    }
}

/// True once a stop was requested.
pub fn requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
