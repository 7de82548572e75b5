//! The VRRP state machine (RFC 5798 section 6, RFC 3768 for v2) with keepalived's extras.
//! Pure: no clock, no socket, no tokio. Time and events are inputs; actions are outputs.
