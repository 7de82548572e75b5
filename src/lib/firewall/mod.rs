//! Will this host's firewall let VRRP in? Backends (nftables, iptables, firewalld) feed one
//! evaluator that walks the input path for a synthetic VRRP packet.
