#!/usr/bin/env bash
# Build the libFuzzer targets and fuzz each one in turn, or just rerun the committed seeds.
#
#   fuzz/run.sh                 rerun every seed (and saved crash) once per target: a quick check
#   SECS=600 fuzz/run.sh        fuzz each target for SECS seconds, one after the other
#   CPU_SECS=600 fuzz/run.sh    fuzz each target until it has used CPU_SECS seconds of CPU
#                               (on a shared machine at nice 19 wall time says little); prints
#                               "TARGET: cpu_s=.. execs=.. crashes=.." per target
#   fuzz/run.sh wire_decode     only the named targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The toolchain is stable: cargo-fuzz
# passes nightly flags (-Z sanitizer, -Cpasses=sancov) that stable rustc accepts only with
# RUSTC_BOOTSTRAP=1; libFuzzer comes from the libfuzzer-sys crate. No sanitizer (`-s none`):
# the code under test is safe Rust, and what we look for are panics, overflows (debug
# assertions on, `-a`), runaway allocations and hangs, which libFuzzer catches by itself
# (-rss_limit_mb, -timeout). Seeds: fuzz/seeds/TARGET and fuzz/regressions/TARGET (inputs that
# crashed once, each fixed with a test in the normal suite; committed); what the fuzzer finds
# grows fuzz/corpus/TARGET (not committed); crashes land in fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SECS=${SECS:-0}
CPU_SECS=${CPU_SECS:-0}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(wire_decode config_load firewall_nft firewall_iptables firewall_firewalld pcap_read control_request)

nice -n 19 cargo fuzz build -s none -a
BIN=target/x86_64-unknown-linux-gnu/release

for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ "$SECS" = 0 ] && [ "$CPU_SECS" = 0 ]; then
        # Every seed and every crash input found so far (regressions/) once; a crash fails.
        dirs=("seeds/$t")
        [ -d "regressions/$t" ] && dirs+=("regressions/$t")
        nice -n 19 "$BIN/$t" -runs=0 "${dirs[@]}" 2>&1 | grep -E 'INITED|DONE|panicked|==[0-9]+==' | tail -2
    elif [ "$CPU_SECS" != 0 ]; then
        # libFuzzer's -max_total_time is wall time; watch the process's utime+stime instead and
        # stop it with SIGINT (libFuzzer then prints its final stats) once the budget is spent.
        mkdir -p logs
        log=logs/$t.log
        before=$(ls "artifacts/$t" | wc -l)
        nice -n 19 "$BIN/$t" "corpus/$t" "seeds/$t" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 &
        pid=$!
        tck=$(getconf CLK_TCK)
        cpu=0
        while kill -0 "$pid" 2>/dev/null; do
            if stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
                # fields after the ")" of the command name: utime is the 12th, stime the 13th
                rest=${stat##*) }
                read -r -a f <<<"$rest"
                cpu=$(( (f[11] + f[12]) / tck ))
                [ "$cpu" -ge "$CPU_SECS" ] && kill -INT "$pid" 2>/dev/null
            fi
            sleep 2
        done
        wait "$pid" || true
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|==[0-9]+== *(ERROR|libFuzzer: run interrupted)|panicked|SUMMARY|Test unit written' "$log" || true
        execs=$(grep -oP '^stat::number_of_executed_units: \K[0-9]+' "$log" | tail -1)
        after=$(ls "artifacts/$t" | wc -l)
        echo "$t: cpu_s=$cpu execs=${execs:-?} crashes=$((after - before)) corpus=$(ls "corpus/$t" | wc -l) ($(date -u +%H:%M); full output: fuzz/$log)"
    else
        nice -n 19 "$BIN/$t" "corpus/$t" "seeds/$t" -max_total_time="$SECS" -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 |
            grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|==[0-9]+==|panicked|SUMMARY' || true
        echo "$t: $(ls "artifacts/$t" | wc -l) crash inputs in fuzz/artifacts/$t"
    fi
done
