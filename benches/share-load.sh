#!/usr/bin/env bash
# Share server under load, on loopback only: `warroom serve` (release build) with FOLLOWERS
# followers (default 200) on one incident, while notes are appended with `warroom note` at RATE
# per second (default 20) for DURATION seconds (default 30; SECONDS_ is the old name). Prints
# append-to-follower latency (p50/p99/max over every note × follower), missing and duplicate
# deliveries, and the server's CPU (from /proc/<pid>/stat), idle with every follower connected
# and during the appends.
#
# The reference comes first, in the same run and on the same server: the same appends with
# one follower, on an incident of its own (REFERENCE=0 leaves it out). The p99 ratio of the
# two is printed last.
#
# Stops by itself: each generator gives up 60 s after its append phase (and is killed past
# DURATION + 180 s), and this script kills the server on every exit path.
#
#   bash benches/share-load.sh                          # 1 then 200 followers, 20 notes/s, 30 s
#   FOLLOWERS=1000 DURATION=60 bash benches/share-load.sh
#   WARROOM_BIN=/path/warroom LOAD_BIN=/path/share_load bash benches/share-load.sh  # prebuilt
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FOLLOWERS="${FOLLOWERS:-200}"
RATE="${RATE:-20}"
DURATION="${DURATION:-${SECONDS_:-30}}"
REFERENCE="${REFERENCE:-1}"

# Every follower holds a socket in the generator and one in the server: the soft limit is
# raised to the hard one (the server raises its own likewise) and must leave room.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((FOLLOWERS + 256))
have="$(ulimit -n)"
if [[ "$have" != unlimited && "$have" -lt "$need" ]]; then
    echo "share-load: $FOLLOWERS followers need $need file descriptors; ulimit -n is $have" >&2
    exit 1
fi

if [[ -n "${WARROOM_BIN:-}" && -n "${LOAD_BIN:-}" ]]; then
    bin="$WARROOM_BIN"
    load=("$LOAD_BIN")
else
    cargo build --release --quiet --bin warroom
    cargo bench --quiet --bench share_load --no-run 2>/dev/null
    bin="$PWD/target/release/warroom"
    load=(cargo bench --quiet --bench share_load --)
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

export WARROOM_DATA_DIR="$work/data"
export WARROOM_CONFIG="$work/config.toml"
export WARROOM_USER="loadtest"
# Port 0: the kernel picks a free loopback port; the server's banner names it.
printf '[share]\nlisten = "127.0.0.1:0"\n' >"$WARROOM_CONFIG"

"$bin" serve 2>"$work/serve.log" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
    addr="$(sed -n 's/.*(\(127\.0\.0\.1:[0-9]*\)[,;].*/\1/p' "$work/serve.log" | head -n 1)"
    [[ -n "$addr" ]] && break
    sleep 0.1
done
if [[ -z "$addr" ]]; then
    echo "warroom serve did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $bin serve on $addr (pid $server_pid); $RATE notes/s for ${DURATION}s; ulimit -n $(ulimit -n)"

# One pass: N followers on an incident of their own; its output kept in $work/pass-N.txt.
pass() {
    local n="$1" id token
    id="$("$bin" open "Share load test, $n followers" --severity sev2)"
    token="$("$bin" share "$id" | sed -n '1s/.*--token[= ]\([^ ]*\).*/\1/p')"
    echo
    echo "== $n follower(s) on $id (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    timeout $((DURATION + 180)) "${load[@]}" \
        --url "http://$addr/v1/incidents/$id" --token "$token" \
        --warroom "$bin" --server-pid "$server_pid" \
        --followers "$n" --rate "$RATE" --seconds "$DURATION" | tee "$work/pass-$n.txt"
    "$bin" verify "$id" >/dev/null && echo "journal verified after the run"
}

p99() { sed -n 's/.*append-to-follower latency.* p99 \([0-9.]*\) ms.*/\1/p' "$1"; }

if [[ "$REFERENCE" != 0 && "$FOLLOWERS" != 1 ]]; then
    pass 1
fi
pass "$FOLLOWERS"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -f "$work/pass-1.txt" && "$FOLLOWERS" != 1 ]]; then
    awk -v r="$(p99 "$work/pass-1.txt")" -v n="$(p99 "$work/pass-$FOLLOWERS.txt")" -v f="$FOLLOWERS" \
        'BEGIN { printf "p99 with %d followers %.1f ms against %.1f ms with 1 follower: %.2fx\n", f, n, r, (r > 0 ? n / r : 0) }'
fi
