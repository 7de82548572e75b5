//! The control-socket protocol (JSON lines over a Unix stream socket) and its client.
