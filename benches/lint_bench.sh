#!/usr/bin/env bash
# Lint a generated 10,000-instance keepalived.conf with `vrrpctl lint` (release build) and with
# `keepalived -t` on the same file, and print both times.
#
# As root the two run in a throw-away network namespace that has the interfaces the config
# names (so keepalived checks a valid config); otherwise on the host, where both report the
# missing interfaces. Usage: benches/lint_bench.sh [INSTANCES] [RUNS]
set -euo pipefail

N=${1:-10000}
RUNS=${2:-3}
IFACES=$(( (N + 254) / 255 ))
cd "$(dirname "$0")/.."

cargo build --release --quiet --bin vrrpctl
VRRPCTL=$PWD/target/release/vrrpctl
command -v keepalived >/dev/null || { echo "keepalived is not installed" >&2; exit 2; }

WORK=$(mktemp -d)
NS=""
cleanup() {
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# One instance per (interface, VRID): v0..v39 carry VRIDs 1..255 each; VIPs from 198.18.0.0/15
# would leave the documentation ranges, so VIPs cycle through 192.0.2.0/24 per interface.
CONF=$WORK/keepalived.conf
{
    echo "global_defs {"
    echo "    router_id bench"
    echo "    vrrp_version 3"
    echo "}"
    for ((i = 0; i < N; i++)); do
        ifn=$((i / 255))
        vrid=$((i % 255 + 1))
        cat <<EOT
vrrp_instance VI_$i {
    state BACKUP
    interface v$ifn
    virtual_router_id $vrid
    priority $((i % 200 + 50))
    advert_int 1
    virtual_ipaddress {
        192.0.2.$vrid/24 dev v$ifn
    }
}
EOT
    done
} > "$CONF"

RUN=()
if [ "$(id -u)" = 0 ]; then
    NS=vrrpbench$$
    ip netns add "$NS"
    for ((k = 0; k < IFACES; k++)); do
        ip -n "$NS" link add "v$k" type veth peer name "w$k"
        ip -n "$NS" link set "v$k" up
    done
    RUN=(ip netns exec "$NS")
    where="namespace with v0..v$((IFACES - 1))"
else
    where="host (interfaces missing: both report them)"
fi

# Median wall time of RUNS runs of a command, in seconds.
measure() {
    local times=() t0 t1
    for ((r = 0; r < RUNS; r++)); do
        t0=$(date +%s.%N)
        "${RUN[@]}" "$@" >/dev/null 2>&1 || true
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

ours=$(measure "$VRRPCTL" lint --color never "$CONF")
theirs=$(measure keepalived -t -f "$CONF")
lines=$(wc -l < "$CONF")

echo "config: $N vrrp_instance blocks, $lines lines; run in: $where; median of $RUNS runs"
printf '| %-32s | %10s |\n' "command" "seconds"
printf '|%s|%s|\n' "----------------------------------" "------------"
printf '| %-32s | %10.3f |\n' "vrrpctl lint (release)" "$ours"
printf '| %-32s | %10.3f |\n' "keepalived -t -f (2.2.7)" "$theirs"
printf 'speed-up: %.1fx\n' "$(echo "$theirs / $ours" | bc -l)"
