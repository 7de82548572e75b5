//! Capture sources (live via pnet, pcap/pcapng files) -> wire decode -> renderers (tcpdump-like
//! text, JSON lines) and a per-VRID summary (split brain, mismatches between speakers).
