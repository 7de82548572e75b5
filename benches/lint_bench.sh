#!/usr/bin/env bash
# Lint two generated 10,000-instance keepalived.conf files with `vrrpctl lint` (release build)
# and with `keepalived -t` on the same files, in the same run, and print time and peak memory.
#
#   shared:  VIPs 192.0.2.VRID/24 on every interface (the same VIPs on v0..v39)
#   unique:  one VIP per instance, 2001:db8:IF::VRID/64 (IPv6: the documentation ranges hold
#            too few IPv4 addresses for 10,000 distinct VIPs)
#
# As root the two run in a throw-away network namespace that has the interfaces the configs
# name (so keepalived checks a valid config); otherwise on the host, where both report the
# missing interfaces. Usage: [VRRPCTL=PATH] benches/lint_bench.sh [INSTANCES] [RUNS]
set -euo pipefail

N=${1:-10000}
RUNS=${2:-5}
IFACES=$(( (N + 254) / 255 ))
cd "$(dirname "$0")/.."

# VRRPCTL=PATH measures a binary built before (no build here).
if [ -z "${VRRPCTL:-}" ]; then
    nice -n 19 cargo build --release --quiet --bin vrrpctl
    VRRPCTL=$PWD/target/release/vrrpctl
fi
command -v keepalived >/dev/null || { echo "keepalived is not installed" >&2; exit 2; }

WORK=$(mktemp -d)
NS=""
cleanup() {
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# One instance per (interface, VRID): v0..v39 carry VRIDs 1..255 each.
generate() {
    local kind=$1
    echo "global_defs {"
    echo "    router_id bench"
    echo "    vrrp_version 3"
    echo "}"
    for ((i = 0; i < N; i++)); do
        ifn=$((i / 255))
        vrid=$((i % 255 + 1))
        if [ "$kind" = shared ]; then
            vip="192.0.2.$vrid/24"
        else
            vip="2001:db8:$ifn::$vrid/64"
        fi
        cat <<EOT
vrrp_instance VI_$i {
    state BACKUP
    interface v$ifn
    virtual_router_id $vrid
    priority $((i % 200 + 50))
    advert_int 1
    virtual_ipaddress {
        $vip dev v$ifn
    }
}
EOT
    done
}
generate shared > "$WORK/shared.conf"
generate unique > "$WORK/unique.conf"

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

# "wall cpu maxrss_kib" of the run with the median wall time of RUNS runs. CPU time matters on
# a shared machine, where wall time also counts waiting for a core. keepalived -t is one
# process (the config test does not fork the VRRP child).
measure() {
    local out=() t
    for ((r = 0; r < RUNS; r++)); do
        # time runs inside the namespace, so `ip netns exec`'s own set-up is not counted.
        "${RUN[@]}" /usr/bin/time -o "$WORK/time" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
        t=$(tail -1 "$WORK/time")
        out+=("$(echo "$t" | awk '{printf "%.3f %.3f %d", $1, $2 + $3, $4}')")
    done
    printf '%s\n' "${out[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo "$N vrrp_instance blocks per file ($(wc -l < "$WORK/shared.conf") lines); run in: $where; median of $RUNS runs; load average $(cut -d" " -f1-3 /proc/loadavg)"
printf '| %-8s | %-26s | %8s | %8s | %8s |\n' "file" "command" "wall s" "cpu s" "RSS MiB"
printf '|%s|%s|%s|%s|%s|\n' "----------" "----------------------------" "----------" "----------" "----------"
speed=()
for kind in shared unique; do
    read -r ours ours_cpu ours_rss < <(measure "$VRRPCTL" lint --color never "$WORK/$kind.conf")
    read -r theirs theirs_cpu theirs_rss < <(measure keepalived -t -f "$WORK/$kind.conf")
    printf '| %-8s | %-26s | %8.3f | %8.3f | %8.1f |\n' "$kind" "vrrpctl lint (release)" "$ours" "$ours_cpu" "$(echo "$ours_rss / 1024" | bc -l)"
    printf '| %-8s | %-26s | %8.3f | %8.3f | %8.1f |\n' "$kind" "keepalived -t -f (2.2.7)" "$theirs" "$theirs_cpu" "$(echo "$theirs_rss / 1024" | bc -l)"
    speed[${#speed[@]}]=$(printf '%s: %.1fx wall, %.1fx cpu' "$kind" "$(echo "$theirs / $ours" | bc -l)" "$(echo "$theirs_cpu / $ours_cpu" | bc -l)")
done
printf 'speed-up %s\n' "${speed[@]}"
