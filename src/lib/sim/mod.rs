//! Deterministic discrete-event simulator: nodes built from configs on a virtual LAN, driving
//! `fsm` exactly as the daemon does, in virtual time.
