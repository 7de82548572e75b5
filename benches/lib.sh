# Shared pieces of the daemon benchmarks (sourced, not run): a switched LAN of network
# namespaces, starting and stopping vrrpd / keepalived, captures on the switch, CPU and RSS.
# Only documentation addresses inside namespaces made here; `bench_cleanup` (on EXIT) removes
# them and kills only the processes started here, by pid.
#
# keepalived runs with -G (no syslog: here syslog goes to /dev/console at ~10 ms a line, which
# would be charged to keepalived) and logs to stdout like vrrpd -l.
#
# Knobs shared by every bench:  VRRPD (binary), SCHED (how the daemon under test runs: "fifo"
# = chrt -f 50, the default, so that other work on the machine does not decide the lateness;
# "nice" = nice -n -10; "none").

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VRRPD=${VRRPD:-$ROOT/target/release/vrrpd}
SCHED=${SCHED:-fifo}
BENCH=$(basename "$0")
TAG=vb$$
PIDS=()
NETNS=()

bench_init() {
    [ "$(id -u)" = 0 ] || { echo "$BENCH: needs root (network namespaces)" >&2; exit 2; }
    for t in keepalived tcpdump ip awk chrt cc; do
        command -v "$t" >/dev/null || { echo "$BENCH: $t is not installed" >&2; exit 2; }
    done
    if [ ! -x "$VRRPD" ]; then
        (cd "$ROOT" && cargo build --release --bin vrrpd >&2)
    fi
    WORK=$(mktemp -d /tmp/vrrpd-bench.XXXXXX)
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# The prefix that runs a daemon under test with the SCHED policy.
sched_prefix() {
    case "$SCHED" in
        fifo) echo "chrt -f 50" ;;
        nice) echo "nice -n -10" ;;
        *) echo "" ;;
    esac
}

# lan NHOSTS NIFS: host namespaces ${TAG}h0.. with eth0..eth{NIFS-1}, each ethK on bridge brK
# of a switch namespace. Host i has 192.0.2.(64K + i + 1)/26 on ethK (one /26 per interface).
lan() {
    local nh=$1 ni=$2 i k
    SW=${TAG}s
    H=()
    ip netns add "$SW"
    NETNS+=("$SW")
    for k in $(seq 0 $((ni - 1))); do
        ip -n "$SW" link add "br$k" type bridge
        # No multicast snooping: every port hears every group, as on a dumb switch.
        ip -n "$SW" link set "br$k" type bridge mcast_snooping 0
        ip -n "$SW" link set "br$k" up
    done
    for i in $(seq 0 $((nh - 1))); do
        H+=("${TAG}h$i")
        ip netns add "${H[$i]}"
        NETNS+=("${H[$i]}")
        ip -n "${H[$i]}" link set lo up
        for k in $(seq 0 $((ni - 1))); do
            ip -n "$SW" link add "p${i}_$k" type veth peer name "eth$k" netns "${H[$i]}"
            ip -n "$SW" link set "p${i}_$k" master "br$k" up
            ip -n "${H[$i]}" link set "eth$k" up
            ip -n "${H[$i]}" addr add "$(host_addr "$i" "$k")/26" dev "eth$k"
        done
    done
}

host_addr() { echo "192.0.2.$((64 * $2 + $1 + 1))"; }

# start KIND NS CONF DIR [sut]: sets STARTED to the pid (keepalived: its parent). With "sut" the
# daemon runs under the SCHED policy.
start() {
    local kind=$1 ns=$2 cf=$3 d=$4 pre=""
    [ "${5:-}" = sut ] && pre=$(sched_prefix)
    mkdir -p "$d"
    if [ "$kind" = vrrpd ]; then
        # shellcheck disable=SC2086
        ip netns exec "$ns" $pre "$VRRPD" -f "$cf" -l -p "$d/vrrpd.pid" --socket "$d/vrrpd.sock" \
            >"$d/log" 2>&1 &
    else
        # shellcheck disable=SC2086
        ip netns exec "$ns" $pre keepalived -n -l -G --vrrp -f "$cf" -p "$d/k.pid" -r "$d/v.pid" \
            -c "$d/c.pid" >"$d/log" 2>&1 &
    fi
    STARTED=$!
    PIDS+=("$STARTED")
}

# The pids of a started daemon: itself and its children (keepalived's VRRP child).
family() { echo "$1"; pgrep -P "$1" || true; }

# SIGKILL a started daemon (a crash, not a shutdown): its children first, because keepalived's
# children get SIGTERM when their parent dies (PR_SET_PDEATHSIG) and would send priority 0.
crash() {
    local ps
    ps=$(pgrep -P "$1" || true)
    # shellcheck disable=SC2086
    [ -z "$ps" ] || kill -KILL $ps 2>/dev/null || true
    kill -KILL "$1" 2>/dev/null || true
}

# stop PID [SIGNAL]: signal and wait for it
stop() {
    kill "-${2:-TERM}" "$1" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
    kill -KILL "$1" 2>/dev/null || true
}

# CPU nanoseconds (schedstat) summed over the given pids and every thread of each:
# /proc/PID/schedstat alone is the main thread's (vrrpd's address worker sends the GARPs).
cpu_ns() {
    for p in "$@"; do cat "/proc/$p"/task/*/schedstat 2>/dev/null | awk '{ print $1 }'; done |
        awk '{ s += $1 } END { printf "%.0f", s }'
}

# RSS in MiB summed over the given pids.
rss_mib() {
    for p in "$@"; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done |
        awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

# Anonymous (private: heap, stacks) RSS in MiB summed over the given pids: what the daemon
# itself costs, without the file-backed pages of its binary and libc that RSS also counts.
anon_mib() {
    for p in "$@"; do awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done |
        awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

# capture NS IFACE FILE: tcpdump on a host, adverts and ARP/NA; sets STARTED.
capture() {
    ip netns exec "$1" tcpdump -i "$2" -nn -e -tt --time-stamp-precision=micro -U -B 32768 \
        -w "$3" 'vrrp or arp or icmp6' >/dev/null 2>"$3.err" &
    STARTED=$!
    PIDS+=("$STARTED")
}

# Text of a capture, one packet a line, for the awk analyses.
capture_text() { tcpdump -nn -e -tt -r "$1" 2>/dev/null; }

# How many packets tcpdump said the kernel dropped (after it stopped).
capture_drops() { awk '/dropped by kernel/ { s += $1 } END { print s + 0 }' "$1.err"; }

# count_addrs NS IFACE PATTERN: how many addresses matching PATTERN are on IFACE.
count_addrs() { ip -n "$1" -o addr show dev "$2" | grep -c "$3" || true; }

# PSS in MiB summed over the given pids (shared pages split between the processes sharing them:
# keepalived's parent and VRRP child share most of theirs, which RSS counts twice).
pss_mib() {
    for p in "$@"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null; done |
        awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

# median and max of the numbers on stdin
stats() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
        printf "%.3f / %.3f", v[int((NR + 1) / 2)], v[NR] }'
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# The machine's timer floor (benches/timer_floor.c): a process that does nothing but wake on an
# absolute timerfd with the daemons' wake-up pattern, under the same SCHED, while the daemon
# under test runs. No daemon's advert can be less late than this process wakes, so each run
# prints it beside the daemon's lateness: a figure above the goal here is the machine's.
floor_build() {
    FLOOR_BIN=$WORK/timer_floor
    cc -O2 -o "$FLOOR_BIN" "$ROOT/benches/timer_floor.c" ||
        { echo "$BENCH: cannot build benches/timer_floor.c (cc)" >&2; exit 2; }
}

# floor_start NS PERIOD_US BATCHES SPACING_US SECONDS OUT: in the background; sets STARTED.
floor_start() {
    local ns=$1 out=$6 pre
    pre=$(sched_prefix)
    shift
    # shellcheck disable=SC2086
    ip netns exec "$ns" $pre "$FLOOR_BIN" "$1" "$2" "$3" "$4" >"$out" 2>&1 &
    STARTED=$!
    PIDS+=("$STARTED")
}

# floor_result PID OUT: wait for the floor to finish; sets FLOOR (its largest lateness, ms,
# measured as the benches measure adverts: time since the same slot's previous wake-up minus
# the period), FLOOR_WAKE (largest wake-up minus deadline, ms) and FLOOR_NLATE/FLOOR_N.
floor_result() {
    wait "$1" 2>/dev/null || true
    read -r FLOOR_N FLOOR_WAKE FLOOR_NLATE FLOOR < <(awk '$1 == "wakeups" { print $2, $4, $10, $12 }' "$2")
    [ -n "${FLOOR:-}" ] || { FLOOR=NA FLOOR_WAKE=NA FLOOR_NLATE=NA FLOOR_N=NA; }
}

# The time the hypervisor ran something else while this VM's vCPUs wanted to run (steal, the
# 8th field of /proc/stat's cpu line, in ms; 10 ms resolution): printed per run, because a
# stolen vCPU takes its timer interrupts late, whatever runs on it (lateness_bench.sh).
steal_ms() { awk '/^cpu / { print $9 * 10 }' /proc/stat; }
