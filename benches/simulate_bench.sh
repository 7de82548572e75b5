#!/usr/bin/env bash
# How fast does `vrrpctl simulate-failover` run virtual time? Simulated seconds per real second
# for 3 nodes x 100 instances (an hour of virtual time) and 3 nodes x 1,000 instances (ten
# minutes), adverts every second, the master of every instance crashing at 10 s. Release build;
# no root, no network. (keepalived has no simulator to compare with: the real-time equivalent is
# 1x.) The machine may be shared: the table has the process's CPU time beside the wall time,
# the header the load average, and the bench runs RUNS times (default 3) so that one slow run
# shows as such. Usage: [RUNS=N] benches/simulate_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 19 cargo build --release --quiet --bin vrrpctl
runs=${RUNS:-3}
for ((i = 1; i <= runs; i++)); do
    echo "run $i of $runs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    ./target/release/vrrpctl simulate-failover --bench
done
