#!/usr/bin/env bash
# Where does an advert's lateness come from? Runs a command (a bench) under ftrace and splits
# every timerfd wake-up of the traced daemon into: deadline -> timer interrupt -> task woken ->
# task runs -> epoll_wait returns -> sendmmsg -> first and last frame handed to the veth
# (benches/lateness_trace.py). Tracing only: tracefs is mounted in a private mount namespace,
# the trace buffer is reset before and after, no sysctl or tunable is changed.
#
# Usage: sudo benches/lateness_trace.sh OUT.txt CMD...
#   e.g. sudo KEEP_WORK=1 SUTS=vrrpd RUNS=1 benches/lateness_trace.sh /tmp/t.txt benches/lateness_bench.sh
#        benches/lateness_trace.py /tmp/t.txt vrrpd 1000
# COMMS (default "vrrpd*") selects the tasks whose syscalls and wake-ups are recorded;
# BUF_KB the per-CPU buffer (65536). The vrrpd binary must be the one the command runs.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "lateness_trace.sh: needs root (ftrace)" >&2; exit 2; }
[ $# -ge 2 ] || { echo "usage: $0 OUT.txt CMD..." >&2; exit 2; }
if [ -z "${LATENESS_TRACE_NS:-}" ]; then
    LATENESS_TRACE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
out=$1
shift
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T"
C=${COMMS:-vrrpd*}
reset() {
    echo 0 >"$T/tracing_on"
    echo 0 >"$T/events/enable"
    for f in "$T"/events/*/*/filter; do echo 0 >"$f" 2>/dev/null || true; done
    echo >"$T/trace"
}
reset
trap 'reset; echo 1408 >"$T/buffer_size_kb"' EXIT
echo mono >"$T/trace_clock"
echo "${BUF_KB:-65536}" >"$T/buffer_size_kb"
# event [filter]
ev() {
    [ -n "${2:-}" ] && echo "$2" >"$T/events/$1/filter"
    echo 1 >"$T/events/$1/enable"
}
ev timer/hrtimer_start
ev timer/hrtimer_expire_entry
ev irq_vectors/local_timer_entry
ev power/cpu_idle
ev sched/sched_wakeup
ev sched/sched_switch
ev syscalls/sys_enter_epoll_wait "comm ~ \"$C\""
ev syscalls/sys_exit_epoll_wait "comm ~ \"$C\""
ev syscalls/sys_enter_sendmmsg "comm ~ \"$C\""
ev syscalls/sys_exit_sendmmsg "comm ~ \"$C\""
ev syscalls/sys_enter_futex "comm ~ \"$C\""
ev syscalls/sys_exit_futex "comm ~ \"$C\""
ev exceptions/page_fault_user "comm ~ \"$C\""
ev net/netif_rx "len < 200"
echo 1 >"$T/tracing_on"
rc=0
"$@" || rc=$?
echo 0 >"$T/tracing_on"
grep -h -E "overrun|dropped" "$T"/per_cpu/cpu*/stats | tr '\n' ' ' >&2
echo >&2
cat "$T/trace" >"$out"
exit "$rc"
