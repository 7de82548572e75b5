#!/usr/bin/env bash
# Benchmark (not a test): decode a 1,000,000-packet capture of real keepalived traffic (the
# frames of tests/data/pcap/keepalived_mixed.pcap repeated: v2 PASS, v2 AH, v3 IPv4 multicast and
# unicast, v3 IPv6, priority 0, GARP/NA) and time `vrrpctl sniff -r F --json` beside
# `tcpdump -r F -vv -n` and `tshark -r F -T json`, all writing to /dev/null, in the same run.
# Best of RUNS runs for vrrpctl and tcpdump. tshark takes minutes on 1M packets, so unless
# TSHARK_FULL=1 it is timed once on the first 100,000 packets and scaled by 10 (the table says so).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
OUT=target/bench
mkdir -p "$OUT"
cargo build --release --quiet --bin vrrpctl
F="$OUT/sniff_${N}.pcap"
[ -s "$F" ] || python3 benches/sniff_make_capture.py tests/data/pcap/keepalived_mixed.pcap "$N" "$F"

secs() { # best wall-clock seconds of RUNS runs of "$@"
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t=$(awk "BEGIN { print $e - $s }")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
  done
  printf '%.3f' "$best"
}

ours=$(secs ./target/release/vrrpctl sniff -r "$F" --json)
tcpd=$(secs tcpdump -r "$F" -vv -n)
if [ "${TSHARK_FULL:-0}" = 1 ]; then
  tsh=$(RUNS=1 secs tshark -r "$F" -T json); tsh_note="measured on $N packets"
else
  S="$OUT/sniff_100000.pcap"
  [ -s "$S" ] || python3 benches/sniff_make_capture.py tests/data/pcap/keepalived_mixed.pcap 100000 "$S"
  t100=$(RUNS=1 secs tshark -r "$S" -T json)
  tsh=$(awk "BEGIN { printf \"%.3f\", $t100 * $N / 100000 }"); tsh_note="timed on 100,000 packets (${t100} s) x $((N / 100000))"
fi
ratio() { awk "BEGIN { printf \"%.1fx\", $1 / $ours }"; }
rate=$(awk "BEGIN { printf \"%.0f\", $N / $ours }")

echo "Decoding $N packets ($(du -h "$F" | cut -f1) pcap), $(nproc) cores, best of $RUNS:"
echo
echo "| tool | command | seconds | vrrpctl is |"
echo "|---|---|---:|---:|"
echo "| vrrpctl | \`vrrpctl sniff -r F --json\` | $ours | ($rate packets/s) |"
echo "| tcpdump $(tcpdump --version 2>&1 | head -1 | awk '{print $3}') | \`tcpdump -r F -vv -n\` | $tcpd | $(ratio "$tcpd") faster |"
echo "| tshark $(tshark --version 2>/dev/null | head -1 | awk '{print $3}') | \`tshark -r F -T json\` | $tsh | $(ratio "$tsh") faster |"
echo
echo "tshark: $tsh_note."
