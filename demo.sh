#!/usr/bin/env bash
# demo.sh: a live VRRP failover on this machine, in network namespaces.
#
#   sudo ./demo.sh            # installs what is missing, builds (release), runs the demo
#
# A small LAN is built out of network namespaces on one bridge: nodes A and B run vrrpd, node K
# runs keepalived, all three share the virtual address 192.0.2.100, and a client pings it.
# The demo shows `vrrpctl status` on each node, sniffs a few adverts, crashes the master and
# measures how long the client lost the address, then demotes and restores a node.
# Only documentation addresses (192.0.2.0/24) are used, and only inside namespaces this script
# makes. Everything it starts or makes is removed at the end, on Ctrl-C and on failure.
#
# Options (the tests use them):
#   --no-install     do not install packages or Rust, even when something is missing
#   --install        run the package install (.ci/install-deps) even when nothing is missing,
#                    as on a fresh machine (apt-get keeps what is already installed)
#   --no-build       do not build: use the binaries already in --bin-dir
#   --bin-dir DIR    where vrrpd and vrrpctl are (default: target/release)
#   --prefix NAME    prefix of the namespaces' names (default: vrrpdemo<pid>)
# Environment: DEMO_PAUSE=SECONDS between steps (default 1 on a terminal, else 0); NO_COLOR.
set -euo pipefail
cd "$(dirname "$0")"

NO_INSTALL=0
FORCE_INSTALL=0
NO_BUILD=0
BIN_DIR=target/release
PREFIX="vrrpdemo$$"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) NO_INSTALL=1 ;;
    --install) FORCE_INSTALL=1 ;;
    --no-build) NO_BUILD=1 ;;
    --bin-dir) BIN_DIR="$2"; shift ;;
    --prefix) PREFIX="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see ./demo.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$NO_INSTALL" = 0 ] || [ "$FORCE_INSTALL" = 0 ] || { echo "demo.sh: --install and --no-install contradict each other" >&2; exit 2; }

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  BOLD=$'\e[1m'; DIM=$'\e[2m'; GREEN=$'\e[32m'; RED=$'\e[31m'; OFF=$'\e[0m'
  COLOR_FLAG=always
else
  BOLD=; DIM=; GREEN=; RED=; OFF=
  COLOR_FLAG=never
fi
if [ -t 1 ]; then PAUSE="${DEMO_PAUSE:-1}"; else PAUSE="${DEMO_PAUSE:-0}"; fi

STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s== Step %d: %s%s\n' "$BOLD" "$STEP" "$*" "$OFF"; }
say() { printf '   %s\n' "$*"; }
show() { printf '%s   $ %s%s\n' "$DIM" "$*" "$OFF"; }
indent() { sed 's/^/     /'; }
pause() { [ "$PAUSE" = 0 ] || sleep "$PAUSE"; }
die() { printf '%sdemo.sh: %s%s\n' "$RED" "$*" "$OFF" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
  echo "demo.sh builds network namespaces and runs VRRP daemons in them: run it as root (sudo ./demo.sh)" >&2
  exit 2
fi

# ---------------------------------------------------------------- install and build
step "Check the tools (install what is missing) and build vrrpd and vrrpctl"
export PATH="$HOME/.cargo/bin:$PATH"
# The demo needs keepalived, ip and ping; the rest is what README's second line (the tests)
# needs, so that one run of this script prepares for both.
missing=()
for c in keepalived ip ping; do command -v "$c" >/dev/null || missing+=("$c"); done
if [ "$NO_INSTALL" = 0 ]; then
  for c in tcpdump tshark nft tmux; do command -v "$c" >/dev/null || missing+=("$c"); done
fi
# Cargo.toml's rust-version: 1.85. `$1` runs a command (as the invoking user, or as root).
rust_ok() {
  local v
  v=$("$@" rustc --version 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n1.85.0\n' "$v" | sort -V | head -1)" = 1.85.0 ]
}
# Under sudo, build as the user who ran it, with their toolchain, so that target/ stays theirs;
# root builds (with a toolchain of its own) only when that user has none.
as_user() { sudo -u "$SUDO_USER" -H bash -lc 'cd "$1" && shift && "$@"' _ "$PWD" "$@"; }
as_root() { "$@"; }
BUILD_AS=as_root
if [ "$NO_BUILD" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && rust_ok as_user; then
  BUILD_AS=as_user
fi
if [ "$NO_INSTALL" = 0 ] && [ "$BUILD_AS" = as_root ] && ! rust_ok as_root; then
  say "No Rust toolchain >= 1.85 here: installing one with rustup (into ~/.cargo), and a C compiler."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    curl ca-certificates build-essential >/dev/null
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y -q --profile minimal
elif [ "$NO_BUILD" = 0 ] && [ "$BUILD_AS" = as_root ] && ! rust_ok as_root; then
  die "no Rust toolchain >= 1.85 (cargo): install it with rustup, or drop --no-install"
fi
if [ "$NO_INSTALL" = 0 ] && [ "$NO_BUILD" = 0 ] && ! command -v cc >/dev/null; then
  say "No C compiler (mimalloc needs one): installing build-essential."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential >/dev/null
fi
# install-deps installs cargo-nextest with root's cargo (when there is one).
if [ "$NO_INSTALL" = 0 ] && ! command -v cargo-nextest >/dev/null && command -v cargo >/dev/null; then
  missing+=(cargo-nextest)
fi
if [ ${#missing[@]} -gt 0 ] || [ "$FORCE_INSTALL" = 1 ]; then
  [ "$NO_INSTALL" = 0 ] || die "missing ${missing[*]}: install them (bash .ci/install-deps), or drop --no-install"
  if [ ${#missing[@]} -gt 0 ]; then
    say "Missing ${missing[*]}: installing the project's Debian packages (.ci/install-deps)."
  else
    say "Nothing is missing; --install: running the package install (.ci/install-deps) anyway."
  fi
  show "bash .ci/install-deps"
  bash .ci/install-deps
  say "Installed: $(dpkg-query -W -f '${Package} ${Version}, ' keepalived nftables tcpdump tshark iproute2 tmux | sed 's/, $//')."
  for c in keepalived ip ping tcpdump tshark nft tmux; do
    command -v "$c" >/dev/null || die "$c is still missing after .ci/install-deps"
  done
fi
if [ "$NO_BUILD" = 0 ]; then
  say "Building the release binaries (the first build takes a few minutes)."
  show "cargo build --release --locked"
  "$BUILD_AS" cargo build --release --locked
fi
VRRPD="$(cd "$BIN_DIR" && pwd)/vrrpd"
VRRPCTL="$(cd "$BIN_DIR" && pwd)/vrrpctl"
[ -x "$VRRPD" ] && [ -x "$VRRPCTL" ] || die "no vrrpd/vrrpctl in $BIN_DIR (build them, or drop --no-build)"
say "Using $("$VRRPD" --version) and keepalived $(keepalived --version 2>&1 | awk 'NR==1{print $2}')."

# ---------------------------------------------------------------- cleanup, whatever happens
WORK=$(mktemp -d /tmp/vrrpd-demo.XXXXXX)
NAMESPACES=()
PIDS=()
cleanup() {
  local status=$?
  trap - EXIT HUP INT PIPE TERM
  set +e
  printf '\n%s== Cleaning up%s\n' "$BOLD" "$OFF"
  # keepalived's VRRP child first (its pid file), then everything this script started, by pid.
  local child
  child=$(cat "$WORK/k/vrrp.pid" 2>/dev/null || true)
  if [ -n "$child" ] && grep -qs keepalived "/proc/$child/comm"; then PIDS+=("$child"); fi
  local alive=()
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && alive+=("$p"); done
  for _ in $(seq 40); do
    local left=()
    for p in "${alive[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
    alive=("${left[@]}")
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.05
  done
  for p in "${alive[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  say "stopped ${#PIDS[@]} processes (by pid), deleted namespaces: ${NAMESPACES[*]:-none}"
  if [ "$status" -ne 0 ]; then
    printf '%sdemo.sh stopped (exit %d) at step %d; everything it made is removed.%s\n' \
      "$RED" "$status" "$STEP" "$OFF" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
# Signals end the script through its EXIT trap (a closed terminal or pipe too).
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
say "Work directory: $WORK"
say "Namespace prefix: $PREFIX"

# Start "$@" in the background in namespace $1 with output to file $2; its pid goes to PIDS
# (`ip netns exec` execs the command, so the pid is the command's own).
start_in() {
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  PIDS+=("$!")
  LAST_PID=$!
}

# Wait up to $1 seconds for the command "${@:2}" to succeed.
wait_until() {
  local tries=$(($1 * 20))
  shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.05; done
  return 1
}
has_vip() { ip -n "$1" -4 -o addr show dev eth0 | grep -q " $VIP/"; }
status_json() { "$VRRPCTL" --json status --socket "$WORK/$1/vrrpd.sock" 2>/dev/null; }
is_state() { status_json "$1" | grep -q "\"state\":\"$2\""; }
ka_status() {
  "$VRRPCTL" --color "$COLOR_FLAG" status --socket "$WORK/k/none.sock" --keepalived-pid "$WORK/k/keepalived.pid"
}
vstatus() { "$VRRPCTL" --color "$COLOR_FLAG" status --socket "$WORK/$1/vrrpd.sock"; }

# ---------------------------------------------------------------- the LAN
VIP=192.0.2.100
declare -A ADDR=([a]=192.0.2.11 [b]=192.0.2.12 [k]=192.0.2.13 [c]=192.0.2.50)
declare -A PRIO=([a]=150 [b]=120 [k]=100)
declare -A WHAT=([a]="node A (vrrpd)" [b]="node B (vrrpd)" [k]="node K (keepalived)" [c]="the client")
NS_SW="${PREFIX}-lan"

step "Build the LAN: a bridge and four namespaces (A, B, K, client) on it"
ip netns add "$NS_SW"
NAMESPACES+=("$NS_SW")
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
declare -A MAC
for n in a b k c; do
  ns="${PREFIX}-$n"
  ip netns add "$ns"
  NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$NS_SW" link add "port-$n" type veth peer name eth0 netns "$ns"
  ip -n "$NS_SW" link set "port-$n" master br0 up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "${ADDR[$n]}/24" dev eth0
  MAC[$n]=$(ip netns exec "$ns" cat /sys/class/net/eth0/address)
  say "$(printf '%-20s %-14s %s' "${WHAT[$n]}" "${ADDR[$n]}" "${MAC[$n]}")  namespace $ns"
done
whose_mac() {
  for n in a b k; do [ "${MAC[$n]}" = "$1" ] && { echo "${WHAT[$n]}"; return; }; done
  echo "unknown"
}

step "Start the three routers: one VRRP instance, VRID 51, VIP $VIP"
say "Each node gets the same keepalived.conf but its own priority: A ${PRIO[a]}, B ${PRIO[b]}, K ${PRIO[k]}."
say "VRRPv3 adverts every 100 ms, so a backup declares the master dead after about 350 ms."
for n in a b k; do
  mkdir -p "$WORK/$n"
  cat >"$WORK/$n/keepalived.conf" <<EOF
global_defs {
  router_id node-$n
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 2
}

vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  version 3
  priority ${PRIO[$n]}
  advert_int 0.1
  virtual_ipaddress {
    $VIP/24
  }
}
EOF
done
show "vrrpd -f $WORK/a/keepalived.conf -l -D --socket $WORK/a/vrrpd.sock   (in ${PREFIX}-a; B likewise)"
for n in a b; do
  TMPDIR="$WORK/$n" start_in "${PREFIX}-$n" "$WORK/$n/vrrpd.log" \
    "$VRRPD" -f "$WORK/$n/keepalived.conf" -l -D -p "$WORK/$n/vrrpd.pid" --socket "$WORK/$n/vrrpd.sock"
  eval "PID_$n=$LAST_PID"
done
show "keepalived -n -l -G --vrrp -f $WORK/k/keepalived.conf -p $WORK/k/keepalived.pid ...   (in ${PREFIX}-k)"
TMPDIR="$WORK/k" start_in "${PREFIX}-k" "$WORK/k/keepalived.log" \
  keepalived -n -l -G -D --vrrp -f "$WORK/k/keepalived.conf" -p "$WORK/k/keepalived.pid" \
  -r "$WORK/k/vrrp.pid" -c "$WORK/k/check.pid"
wait_until 10 is_state a MASTER || die "node A never became master (log: $(tail -5 "$WORK/a/vrrpd.log"))"
wait_until 5 is_state b BACKUP || die "node B is not backup"
wait_until 5 test -s "$WORK/k/vrrp.pid" || die "keepalived did not start (log: $(tail -5 "$WORK/k/keepalived.log"))"
say "A has the highest priority and holds $VIP; B and K are backups."
pause

step "vrrpctl status on each node"
say "On A and B, vrrpctl asks vrrpd over its control socket:"
for n in a b; do
  show "vrrpctl status --socket $WORK/$n/vrrpd.sock        # ${WHAT[$n]}"
  vstatus "$n" | indent
done
say "On K no vrrpd runs: vrrpctl falls back to keepalived, asking it for its JSON dump by signal."
show "vrrpctl status --keepalived-pid $WORK/k/keepalived.pid   # ${WHAT[k]}"
wait_until 5 sh -c "\"$VRRPCTL\" --json status --socket \"$WORK/k/none.sock\" --keepalived-pid \"$WORK/k/keepalived.pid\" 2>/dev/null | grep -q BACKUP" ||
  die "keepalived's status never showed BACKUP"
ka_status | indent
pause

step "Sniff a few adverts on the client's wire"
show "vrrpctl sniff -i eth0 -c 4 --no-summary      # in the client's namespace"
ip netns exec "${PREFIX}-c" timeout 10 "$VRRPCTL" --color "$COLOR_FLAG" sniff -i eth0 -c 4 --no-summary | indent
say "Only the master (A, 192.0.2.11) sends adverts; the backups listen."
pause

# ---------------------------------------------------------------- the failover
# Ping the VIP from the client every 50 ms, with timestamps (-D), into $WORK/$1.ping.
start_ping() {
  ip netns exec "${PREFIX}-c" ping -n -D -i 0.05 -W 1 "$VIP" >"$WORK/$1.ping" 2>&1 &
  PIDS+=("$!")
  PING_PID=$!
  wait_until 5 grep -q "bytes from" "$WORK/$1.ping" || die "the client cannot ping $VIP"
}
# Stop the ping and say how long the VIP did not answer: the longest gap between two replies
# (50 ms when nothing is lost), and how many pings got no answer.
stop_ping() {
  kill -INT "$PING_PID"
  wait "$PING_PID" 2>/dev/null || true
  awk -v what="$2" '
    /bytes from/ { gsub(/[\[\]]/, "", $1); t = $1 + 0
                   if (last && t - last > gap) gap = t - last
                   last = t
                   # A ping the kernel queued while it re-resolved the VIP is answered late.
                   for (i = 1; i <= NF; i++) if ($i ~ /^time=/) { r = substr($i, 6) + 0; if (r > rtt) rtt = r } }
    /packets transmitted/ { sent = $1; got = $4 }
    END { printf "   %-13s longest wait between two ping replies %4d ms (50 ms without loss), slowest reply %d ms, %d of %d pings lost\n",
                 what ":", gap * 1000 + 0.5, rtt + 0.5, sent - got, sent }' "$WORK/$1.ping" | tee -a "$WORK/downtimes"
}
arp_entry() { ip -n "${PREFIX}-c" -4 neigh show "$VIP" dev eth0 | awk '{for (i=1;i<NF;i++) if ($i=="lladdr") print $(i+1)}'; }

step "Crash the master (node A) and watch the failover as it happens"
# The capture and the watch run through the whole failover; their pids are their own.
( echo "$BASHPID" >"$WORK/sniff.pid"
  exec ip netns exec "${PREFIX}-c" "$VRRPCTL" --color never sniff -i eth0 >"$WORK/sniff.txt" 2>&1 ) &
PIDS+=("$!")
SNIFF_PID=$!
( exec ip netns exec "${PREFIX}-b" "$VRRPCTL" status --watch --socket "$WORK/b/vrrpd.sock" 2>&1 ) \
  > >(sed -u "s/^/     [status --watch on B] /") &
PIDS+=("$!")
WATCH_PID=$!
# The watch must be connected before the crash, or it would miss the transition.
watch_ready() { ls -l "/proc/$WATCH_PID/fd" 2>/dev/null | grep -q 'socket:'; }
wait_until 10 watch_ready || die "vrrpctl status --watch did not connect to B's vrrpd"
start_ping crash
say "The client pings $VIP every 50 ms; its ARP entry for the VIP points at A:"
show "ip neigh show $VIP       # on the client"
BEFORE=$(arp_entry)
say "  $VIP is-at $BEFORE ($(whose_mac "$BEFORE"))"
[ "$BEFORE" = "${MAC[a]}" ] || die "the client's ARP entry for $VIP is not A's MAC"
sleep 0.5
say "Now node A crashes: its vrrpd is killed with SIGKILL (no goodbye advert) and its cable is pulled."
show "kill -KILL $PID_a; ip link set eth0 down     # on node A"
T0=$(date +%s.%N)
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null || true
ip -n "${PREFIX}-a" link set eth0 down
wait_until 5 has_vip "${PREFIX}-b" || die "node B never took $VIP over"
T1=$(date +%s.%N)
say "$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "B holds %s %d ms after the crash.", "'"$VIP"'", (b-a)*1000}')"
# Pings resume once B's gratuitous ARP has moved the client's entry.
pings_back() { tail -n 2 "$WORK/$1.ping" | grep -q "bytes from"; }
wait_until 5 pings_back crash || true
sleep 0.5
stop_ping crash "crash of A"
kill -INT "$SNIFF_PID" 2>/dev/null || true
wait "$SNIFF_PID" 2>/dev/null || true
say "What the client's wire carried around the failover (vrrpctl sniff):"
{
  grep "IP ${ADDR[a]} >" "$WORK/sniff.txt" | tail -1
  grep "IP ${ADDR[b]} >" "$WORK/sniff.txt" | head -1
  grep "ARP, gratuitous, $VIP is-at ${MAC[b]}" "$WORK/sniff.txt" | head -2
} | indent
say "and the end of its summary (printed when the capture stops):"
grep -v -e '^[0-9][0-9]:' -e '^$' "$WORK/sniff.txt" | indent || true
AFTER=$(arp_entry)
say "The client's ARP entry for $VIP moved, from the gratuitous ARP:"
say "  before: $BEFORE ($(whose_mac "$BEFORE"))"
say "  after:  $AFTER ($(whose_mac "$AFTER"))"
[ "$AFTER" = "${MAC[b]}" ] || die "the client's ARP entry did not move to B (it is $AFTER)"
show "vrrpctl status --socket $WORK/b/vrrpd.sock"
vstatus b | indent
pause

# ---------------------------------------------------------------- demote and restore
step "Demote node B for maintenance: keepalived on K takes over"
start_ping demote
show "vrrpctl demote VI_1 --reason 'demo maintenance' --socket $WORK/b/vrrpd.sock"
"$VRRPCTL" --color "$COLOR_FLAG" demote VI_1 --reason "demo maintenance" --socket "$WORK/b/vrrpd.sock" | indent
wait_until 5 has_vip "${PREFIX}-k" || die "keepalived on K never took $VIP over"
sleep 0.5
stop_ping demote "demote of B"
say "B sent a priority-0 advert, so K took over without waiting for B to time out."
vstatus b | indent
ka_status | indent
pause

step "Restore node B: with the higher priority it takes the VIP back"
start_ping restore
show "vrrpctl restore VI_1 --socket $WORK/b/vrrpd.sock"
"$VRRPCTL" --color "$COLOR_FLAG" restore VI_1 --socket "$WORK/b/vrrpd.sock" | indent
wait_until 5 has_vip "${PREFIX}-b" || die "node B never took $VIP back"
wait_until 5 is_state b MASTER || die "node B is not master after restore"
sleep 0.5
stop_ping restore "restore of B"
vstatus b | indent
pause

step "Summary"
say "failover: ${GREEN}A (vrrpd) -> B (vrrpd) -> K (keepalived) -> B (vrrpd)${OFF}"
cat "$WORK/downtimes"
say "A crash costs about Master_Down_Interval (3 adverts + skew); a demote hands over at once."
kill "$WATCH_PID" 2>/dev/null || true
say "Demo complete."
