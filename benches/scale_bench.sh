#!/usr/bin/env bash
# 1,000 instances on one box: vrrpd against keepalived 2.2.7, measured in the same run, in
# network namespaces (root needed). 4 interfaces x 250 VRIDs, v3, advert_int 1 s, one VIP each
# (198.51.100.V on eth0/eth2, 203.0.113.V on eth1/eth3). tcpdump captures on the
# four switch ports facing the SUT (stamped when the SUT sends, see lateness_bench.sh).
#
#   idle       the daemon under test (SUT) alone, master of all 1,000: CPU seconds over IDLE_SECS
#              (/proc/PID/schedstat, keepalived's processes summed), RSS at the end, and the
#              largest advert lateness (time since the same instance's previous advert minus 1 s).
#   takeover   the SUT stops; a keepalived (prio 150) on a second host becomes master of all
#              1,000, the SUT (prio 100) starts again as backup, the keepalived is SIGKILLed and
#              the SUT takes all 1,000 over. On the wire, minus the old master's last
#              advert: the last instance's first advert and the last VIP's first gratuitous ARP,
#              both minus Master_Down_Interval (3.609 s); the largest lateness after each
#              instance's first advert; adverts the SUT's kernel dropped (/proc/net/raw).
#   floor      benches/timer_floor.c in the SUT's namespace under the same SCHED during both
#              windows: timerfd wake-ups only, in the paced pattern of 1,000 instances at 1 s
#              (node/pacing.rs: 32 batches 1 ms apart each second), measured as the adverts are.
#              No daemon's advert is less late than this process wakes (lateness_bench.sh).
#
# Usage: sudo benches/scale_bench.sh   (RUNS=2 IDLE_SECS=30 SCHED=fifo|nice|none
#        VRRPD=target/release/vrrpd SUTS="vrrpd keepalived"; QUICK=1: one run, 2 x 20 instances,
#        5 s idle)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-2}
IDLE_SECS=${IDLE_SECS:-30}
NIF=${NIF:-4}
PER_IF=${PER_IF:-250}
if [ -n "${QUICK:-}" ]; then RUNS=1 IDLE_SECS=5 NIF=2 PER_IF=20; fi
TOTAL=$((NIF * PER_IF))
FLOOR_BATCHES=$(((TOTAL + 31) / 32))
[ "$FLOOR_BATCHES" -le 250 ] || FLOOR_BATCHES=250   # pacing wraps within a quarter interval
bench_init
floor_build
lan 2 "$NIF"

vip_of() { if [ $(($1 % 2)) = 0 ]; then echo "198.51.100.$2"; else echo "203.0.113.$2"; fi; }

# conf ROUTER_ID PRIO
conf() {
    local k v
    printf 'global_defs {\n  router_id %s\n}\n' "$1"
    for k in $(seq 0 $((NIF - 1))); do
        for v in $(seq 1 "$PER_IF"); do
            printf 'vrrp_instance VI_%d_%d {\n  state BACKUP\n  interface eth%d\n  virtual_router_id %d\n' "$k" "$v" "$k" "$v"
            printf '  version 3\n  priority %d\n  advert_int 1\n  virtual_ipaddress {\n    %s/32\n  }\n}\n' "$2" "$(vip_of "$k" "$v")"
        done
    done
}

# vips_on NS: how many VIPs the host holds, all interfaces
vips_on() {
    ip -n "$1" -o -4 addr show | grep -c -E ' (198\.51\.100|203\.0\.113)\.' || true
}

# wait_vips NS WANT TRIES [INTERVAL]: poll every INTERVAL s (0.05)
wait_vips() {
    local ns=$1 want=$2 tries=$3 every=${4:-0.05}
    for _ in $(seq "$tries"); do
        [ "$(vips_on "$ns")" = "$want" ] && return 0
        sleep "$every"
    done
    echo "$BENCH: $ns holds $(vips_on "$ns") VIPs, expected $want" >&2
    return 1
}

# captures DIR: one tcpdump per interface on host 2; sets CAPS (pids)
captures() {
    local k
    CAPS=()
    for k in $(seq 0 $((NIF - 1))); do
        capture "$SW" "p1_$k" "$1/cap$k.pcap"
        CAPS+=("$STARTED")
    done
}

stop_captures() {
    local p k
    for p in "${CAPS[@]}"; do stop "$p" INT; done
    DROPS=0
    for k in $(seq 0 $((NIF - 1))); do DROPS=$((DROPS + $(capture_drops "$1/cap$k.pcap"))); done
}

# Every capture of DIR as text, each line prefixed with its interface number.
captured() {
    local k
    for k in $(seq 0 $((NIF - 1))); do capture_text "$1/cap$k.pcap" | sed "s/^/$k /"; done
}

# The raw sockets' drop counters in a namespace, summed (last column of /proc/net/raw).
raw_drops() { ip netns exec "$1" awk 'NR > 1 { s += $NF } END { print s + 0 }' /proc/net/raw; }

# Largest lateness (ms) of host 1's adverts after FROM (a capture time, 0 = all): "late n nlate".
lateness() {
    awk -v from="$2" '
        / > 224\.0\.0\.18: VRRP/ {
            split($0, f, " "); src = ""
            for (i = 1; i <= NF; i++) if ($(i + 1) == ">" && $(i + 2) == "224.0.0.18:") { src = $i; break }
            split(src, o, "."); if (o[4] % 64 != 2) next   # host 1 is .2, .66, .130, .194
            match($0, /vrid [0-9]+/); key = $1 "/" substr($0, RSTART + 5, RLENGTH - 5)
            if ((key in prev) && $2 >= from) {
                l = ($2 - prev[key]) * 1000 - 1000
                if (l > late) late = l
                if (l > 1) nlate++
                n++
            }
            prev[key] = $2
        }
        END { printf "%.3f %d %d\n", late, n, nlate }' "$1"
}

one_run() {
    local sut=$1 d=$WORK/$1-$2 pid old ps t0 t1 floor floor_idle steal0
    mkdir -p "$d"
    conf SUT 100 >"$d/sut.conf"
    conf OLD 150 >"$d/old.conf"
    start "$sut" "${H[1]}" "$d/sut.conf" "$d/sut" sut
    pid=$STARTED
    wait_vips "${H[1]}" "$TOTAL" 600
    sleep 3
    # keepalived's VRRP child exists by now
    ps=$(family "$pid")
    mkdir -p "$d/idle"
    captures "$d/idle"
    floor_start "${H[1]}" 1000000 "$FLOOR_BATCHES" 1000 "$IDLE_SECS" "$d/floor-idle"
    floor=$STARTED
    steal0=$(steal_ms)
    # shellcheck disable=SC2086
    t0=$(cpu_ns $ps)
    sleep "$IDLE_SECS"
    # shellcheck disable=SC2086
    t1=$(cpu_ns $ps)
    STEAL=$(($(steal_ms) - steal0))
    # shellcheck disable=SC2086
    RSS=$(rss_mib $ps)
    # shellcheck disable=SC2086
    PSS=$(pss_mib $ps)
    # shellcheck disable=SC2086
    ANON=$(anon_mib $ps)
    CPU=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    stop_captures "$d/idle"
    floor_result "$floor" "$d/floor-idle"
    floor_idle=$FLOOR
    captured "$d/idle" >"$d/idle.txt"
    read -r LATE_IDLE N_IDLE NL_IDLE < <(lateness "$d/idle.txt" 0)
    # The old master alone takes everything, the SUT starts again as its backup (a keepalived
    # that hears 1,000 lower-priority adverts a second logs each and falls minutes behind, so
    # no preemption here), then the old master crashes.
    stop "$pid" TERM
    wait_vips "${H[1]}" 0 600
    start keepalived "${H[0]}" "$d/old.conf" "$d/old" sut
    old=$STARTED
    wait_vips "${H[0]}" "$TOTAL" 1200
    start "$sut" "${H[1]}" "$d/sut.conf" "$d/sut2" sut
    pid=$STARTED
    sleep 5
    local drops0
    drops0=$(raw_drops "${H[1]}")
    mkdir -p "$d/take"
    captures "$d/take"
    # 1 s before the kill, the takeover (~4 s) and 3 s after.
    floor_start "${H[1]}" 1000000 "$FLOOR_BATCHES" 1000 9 "$d/floor-take"
    floor=$STARTED
    sleep 1
    crash "$old"
    # Inside the measured window: slowly (an ip dumping 1,000 addresses and a grep hold a CPU
    # in the kernel for milliseconds, and adverts wait for them: lateness_bench.sh).
    wait_vips "${H[1]}" "$TOTAL" 120 0.5 || true
    sleep 3
    stop_captures "$d/take"
    floor_result "$floor" "$d/floor-take"
    FLOORS="$floor_idle $FLOOR"
    RXDROPS=$(($(raw_drops "${H[1]}") - drops0))
    stop "$pid" TERM
    captured "$d/take" >"$d/take.txt"
    local oldlast
    local macs="" k
    for k in $(seq 0 $((NIF - 1))); do
        macs="$macs $k/$(ip netns exec "${H[1]}" cat "/sys/class/net/eth$k/address")"
    done
    read -r oldlast LAST_ADV LAST_GARP < <(awk -v total="$TOTAL" -v macs="$macs" '
        / > 224\.0\.0\.18: VRRP/ {
            src = ""
            for (i = 1; i <= NF; i++) if ($(i + 1) == ">" && $(i + 2) == "224.0.0.18:") { src = $i; break }
            split(src, o, ".")
            if (o[4] % 64 == 1) { if ($2 > oldlast) oldlast = $2; next }
            match($0, /vrid [0-9]+/); key = $1 "/" substr($0, RSTART + 5, RLENGTH - 5)
            if (o[4] % 64 == 2 && !(key in adv)) { adv[key] = $2; nadv++; if ($2 > lastadv) lastadv = $2 }
        }
        BEGIN { n = split(macs, m, " "); for (i = 1; i <= n; i++) sut[m[i]] = 1 }
        (($1 "/" $3) in sut) && /(Request who-has|Reply) (198\.51\.100|203\.0\.113)\./ {
            ip = $0; sub(/.*(who-has|Reply) /, "", ip); sub(/[ ,].*/, "", ip)
            key = $1 "/" ip
            if (!(key in garp)) { garp[key] = $2; ngarp++; if ($2 > lastgarp) lastgarp = $2 }
        }
        END {
            # No advert of the old master in the capture: the SUT had taken over before it began.
            a = (nadv < total || oldlast == 0) ? "NA" : sprintf("%.3f", (lastadv - oldlast) * 1000)
            g = (ngarp < total || oldlast == 0) ? "NA" : sprintf("%.3f", (lastgarp - oldlast) * 1000)
            printf "%.6f %s %s\n", oldlast, a, g
        }' "$d/take.txt")
    read -r LATE_TAKE N_TAKE NL_TAKE < <(lateness "$d/take.txt" "$oldlast")
}

MDI=3609.375   # 3 x 1 s + (256 - 100) x 1 s / 256
LOAD0=$(load_avg)
declare -A R
add() { R[$1]="${R[$1]:-}$2"$'\n'; }
for r in $(seq "$RUNS"); do
    for sut in ${SUTS:-vrrpd keepalived}; do
        one_run "$sut" "$r"
        echo "$sut run $r (load $(load_avg)): idle CPU $CPU s over $IDLE_SECS s, RSS $RSS MiB (PSS $PSS, anonymous $ANON)," \
            "lateness idle $LATE_IDLE ms ($NL_IDLE of $N_IDLE > 1 ms), after takeover $LATE_TAKE ms ($NL_TAKE of $N_TAKE > 1 ms);" \
            "last first advert +$LAST_ADV ms, last VIP GARP +$LAST_GARP ms after the old master's last advert (MDI $MDI);" \
            "SUT raw-socket drops $RXDROPS, capture drops $DROPS; timer floor meanwhile (idle, takeover) $FLOORS ms;" \
            "vCPU time stolen by the host in the idle window ${STEAL} ms" >&2
        add "$sut.cpu" "$CPU"
        add "$sut.rss" "$RSS"
        add "$sut.pss" "$PSS"
        add "$sut.anon" "$ANON"
        add "$sut.late" "$LATE_IDLE"
        add "$sut.late" "$LATE_TAKE"
        [ "$LAST_ADV" != NA ] && add "$sut.adv" "$(awk -v t="$LAST_ADV" -v m="$MDI" 'BEGIN { printf "%.3f", t - m }')"
        [ "$LAST_GARP" != NA ] && add "$sut.garp" "$(awk -v t="$LAST_GARP" -v m="$MDI" 'BEGIN { printf "%.3f", t - m }')"
        add "$sut.drops" "$RXDROPS"
        for f in $FLOORS; do [ "$f" = NA ] || add "$sut.floor" "$f"; done
    done
done
LOAD1=$(load_avg)
col() { printf '%s' "${R[$1]:-}" | sed '/^$/d' | stats; }

printf '\n| %d instances (%d x %d), %d runs (median / max), SCHED=%s, load average %s at start, %s at end | vrrpd | keepalived 2.2.7 | goal |\n' \
    "$TOTAL" "$NIF" "$PER_IF" "$RUNS" "$SCHED" "$LOAD0" "$LOAD1"
printf '|---|---|---|---|\n'
printf '| idle CPU over %d s, all master, CPU s | %s | %s | <= half |\n' "$IDLE_SECS" "$(col vrrpd.cpu)" "$(col keepalived.cpu)"
printf '| RSS, MiB (keepalived: parent + VRRP child) | %s | %s | <= half |\n' "$(col vrrpd.rss)" "$(col keepalived.rss)"
printf '| PSS, MiB (shared pages counted once) | %s | %s | |\n' "$(col vrrpd.pss)" "$(col keepalived.pss)"
printf '| anonymous RSS (heap, stacks), MiB | %s | %s | |\n' "$(col vrrpd.anon)" "$(col keepalived.anon)"
printf '| largest advert lateness (idle, and after the mass takeover), ms | %s | %s | <= 1 |\n' "$(col vrrpd.late)" "$(col keepalived.late)"
printf '| timer floor in the same windows (timer_floor.c: timerfd wake-ups only, same pattern and SCHED), largest lateness, ms | %s | %s | |\n' "$(col vrrpd.floor)" "$(col keepalived.floor)"
printf '| mass takeover: last first advert minus Master_Down_Interval (%s ms), ms | %s | %s | |\n' "$MDI" "$(col vrrpd.adv)" "$(col keepalived.adv)"
printf '| mass takeover: last VIP first GARP minus Master_Down_Interval, ms | %s | %s | faster |\n' "$(col vrrpd.garp)" "$(col keepalived.garp)"
printf '| adverts dropped by the SUT kernel socket during the takeover | %s | %s | 0 |\n' "$(col vrrpd.drops)" "$(col keepalived.drops)"
