#!/usr/bin/env bash
# How fast does `vrrpctl simulate-failover` run virtual time? Simulated seconds per real second
# for 3 nodes x 100 instances (an hour of virtual time) and 3 nodes x 1,000 instances (ten
# minutes), adverts every second, the master of every instance crashing at 10 s. Release build;
# no root, no network. (keepalived has no simulator to compare with: the real-time equivalent is
# 1x.) Usage: benches/simulate_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin vrrpctl
./target/release/vrrpctl simulate-failover --bench
