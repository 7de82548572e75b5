#!/usr/bin/env bash
# vrrpd against keepalived, measured in the same run, in network namespaces (root needed):
#
#   takeover   a keepalived master (prio 150) is SIGKILLed; the system under test (SUT, prio 100,
#              VRRPv3, advert_int 0.1 s) takes over. On the wire, seen from a third host: the
#              SUT's first advert minus the old master's last, against Master_Down_Interval.
#   garp       the SUT's first gratuitous ARP minus its first advert, same runs.
#   graceful   the keepalived master is SIGTERMed (priority-0 advert); the SUT's first advert
#              minus that priority-0 advert, against Skew_Time.
#   idle       the SUT alone with 100 instances at 1 s adverts (all master): CPU seconds over
#              30 s and RSS at the end (keepalived: all its processes summed).
#
# Usage: sudo benches/daemon_bench.sh            (RUNS=5 IDLE_SECS=30 VRRPD=target/release/vrrpd)
# Only documentation addresses (192.0.2.0/24, 198.51.100.0/24) inside namespaces made here;
# everything is removed on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
IDLE_SECS=${IDLE_SECS:-30}
# Neither daemon gets a realtime priority here (lateness_bench.sh and scale_bench.sh do).
SCHED=none
bench_init
# Three hosts on one switch: 192.0.2.1 (old master), .2 (the SUT), .3 (captures).
lan 3 1
MAC1=$(ip netns exec "${H[1]}" cat /sys/class/net/eth0/address)

# conf NAME ROUTER_ID PRIO VRID_COUNT ADVERT_INT
conf() {
    local f=$1 rid=$2 prio=$3 n=$4 adv=$5
    {
        printf 'global_defs {\n  router_id %s\n  vrrp_garp_master_delay 0\n  vrrp_garp_master_repeat 1\n}\n' "$rid"
        for v in $(seq 1 "$n"); do
            local vip="192.0.2.100/24"
            [ "$n" -gt 1 ] && vip="198.51.100.$v/32"
            printf 'vrrp_instance VI_%d {\n  state BACKUP\n  interface eth0\n  virtual_router_id %d\n' "$v" "$v"
            printf '  version 3\n  priority %d\n  advert_int %s\n  virtual_ipaddress {\n    %s\n  }\n}\n' "$prio" "$adv" "$vip"
        done
    } >"$f"
}

has_vip() { ip -n "$1" -o addr show dev eth0 | grep -q " 192.0.2.100/"; }

wait_vip() {
    for _ in $(seq 200); do has_vip "$1" && return 0; sleep 0.025; done
    echo "$BENCH: no VIP on $1" >&2
    return 1
}

# One takeover or graceful run. Sets RUN_T, RUN_G and RUN_J in milliseconds: takeover (or
# handover) time, GARP delay after the first advert, and the largest deviation of the new
# master's advert period from advert_int ("NA" when not seen).
one_run() {
    local sut=$1 mode=$2
    local d=$WORK/$sut-$mode-$3
    mkdir -p "$d"
    conf "$d/old.conf" OLD 150 1 0.1
    conf "$d/sut.conf" SUT 100 1 0.1
    local old sut_pid cap=$d/cap.pcap
    start keepalived "${H[0]}" "$d/old.conf" "$d/old"
    old=$STARTED
    wait_vip "${H[0]}"
    start "$sut" "${H[1]}" "$d/sut.conf" "$d/sut"
    sut_pid=$STARTED
    sleep 1.5
    capture "${H[2]}" eth0 "$cap"
    local dump=$STARTED
    sleep 0.5
    if [ "$mode" = takeover ]; then
        kill -KILL "$(cat "$d/old/v.pid")"
        kill -KILL "$old"
    else
        kill -TERM "$old"
    fi
    wait_vip "${H[1]}"
    sleep 1
    stop "$dump" INT
    stop "$sut_pid" TERM
    stop "$old" KILL
    ip -n "${H[0]}" addr del 192.0.2.100/24 dev eth0 2>/dev/null || true
    ip -n "${H[1]}" addr del 192.0.2.100/24 dev eth0 2>/dev/null || true
    read -r RUN_T RUN_G RUN_J < <(tcpdump -nn -e -tt -r "$cap" 2>/dev/null | awk -v mode="$mode" -v mac1="$MAC1" '
        / 192\.0\.2\.1 > 224\.0\.0\.18: VRRP/ {
            if (mode == "takeover" || $0 ~ /prio 0,/) old = $1
        }
        / 192\.0\.2\.2 > 224\.0\.0\.18: VRRP/ {
            if (first == "") first = $1
            else { d = ($1 - prev) * 1000 - 100; if (d < 0) d = -d; if (d > jit) jit = d }
            prev = $1
        }
        /ARP/ && $2 == mac1 && first != "" && garp == "" { garp = $1 }
        END {
            if (old == "" || first == "") { print "NA NA NA"; exit }
            g = (garp == "") ? "NA" : sprintf("%.3f", (garp - first) * 1000)
            printf "%.3f %s %.3f\n", (first - old) * 1000, g, jit
        }')
}

# Idle cost of 100 instances: sets IDLE_CPU (CPU seconds) and IDLE_RSS (MiB).
idle() {
    local sut=$1
    local d=$WORK/$sut-idle
    mkdir -p "$d"
    conf "$d/idle.conf" IDLE 150 100 1
    local pid
    start "$sut" "${H[0]}" "$d/idle.conf" "$d/run"
    pid=$STARTED
    sleep 6
    local ps t0 t1
    # the process and its children (keepalived's VRRP child)
    # shellcheck disable=SC2207
    ps=($(family "$pid"))
    t0=$(cpu_ns "${ps[@]}")
    sleep "$IDLE_SECS"
    t1=$(cpu_ns "${ps[@]}")
    IDLE_RSS=$(rss_mib "${ps[@]}")
    stop "$pid" TERM
    IDLE_CPU=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
}

MDI=360.938   # 3 x 100 ms + (256 - 100) x 100 ms / 256
SKEW=60.938
declare -A TK GA GR JI CPU RSS
for sut in vrrpd keepalived; do
    : >"$WORK/$sut.take"; : >"$WORK/$sut.garp"; : >"$WORK/$sut.grace"; : >"$WORK/$sut.jit"
    for r in $(seq "$RUNS"); do
        one_run "$sut" takeover "$r"
        t=$RUN_T g=$RUN_G
        echo "$sut takeover run $r: ${t} ms (MDI $MDI ms), GARP +${g} ms, period error ${RUN_J} ms" >&2
        [ "$RUN_J" != NA ] && echo "$RUN_J" >>"$WORK/$sut.jit"
        [ "$t" != NA ] && awk -v t="$t" -v m="$MDI" 'BEGIN { printf "%.3f\n", t - m }' >>"$WORK/$sut.take"
        [ "$g" != NA ] && echo "$g" >>"$WORK/$sut.garp"
        one_run "$sut" graceful "$r"
        t=$RUN_T
        echo "$sut graceful run $r: ${t} ms (Skew_Time $SKEW ms)" >&2
        [ "$t" != NA ] && awk -v t="$t" -v s="$SKEW" 'BEGIN { printf "%.3f\n", t - s }' >>"$WORK/$sut.grace"
    done
    TK[$sut]=$(stats <"$WORK/$sut.take")
    GA[$sut]=$(stats <"$WORK/$sut.garp")
    GR[$sut]=$(stats <"$WORK/$sut.grace")
    JI[$sut]=$(stats <"$WORK/$sut.jit")
    idle "$sut"
    echo "$sut idle: $IDLE_CPU CPU s, $IDLE_RSS MiB" >&2
    CPU[$sut]=$IDLE_CPU
    RSS[$sut]=$IDLE_RSS
done

printf '\n| metric (%d runs: median / max) | vrrpd | keepalived 2.2.7 | goal |\n' "$RUNS"
printf '|---|---|---|---|\n'
printf '| takeover on the wire minus Master_Down_Interval (%s ms), ms | %s | %s | <= 1 |\n' "$MDI" "${TK[vrrpd]}" "${TK[keepalived]}"
printf '| GARP after the first advert as master, ms | %s | %s | <= 1 |\n' "${GA[vrrpd]}" "${GA[keepalived]}"
printf '| new master advert period minus advert_int, largest error over 1 s, ms | %s | %s | |\n' "${JI[vrrpd]}" "${JI[keepalived]}"
printf '| graceful handover minus Skew_Time (%s ms), ms | %s | %s | |\n' "$SKEW" "${GR[vrrpd]}" "${GR[keepalived]}"
printf '| idle CPU, 100 instances, 1 s adverts, %d s, CPU s | %s | %s | <= half |\n' "$IDLE_SECS" "${CPU[vrrpd]}" "${CPU[keepalived]}"
printf '| RSS, 100 instances, MiB | %s | %s | <= half |\n' "${RSS[vrrpd]}" "${RSS[keepalived]}"
