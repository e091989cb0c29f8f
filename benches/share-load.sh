#!/usr/bin/env bash
# Share server under load, on loopback only: `warroom serve` (release build) with FOLLOWERS
# followers (default 200) on one incident, while notes are appended with `warroom note` at RATE
# per second (default 20) for SECONDS_ seconds (default 30). Prints append-to-follower latency
# (p50/p99/max over every note × follower) and the server's CPU (from /proc/<pid>/stat), idle
# with every follower connected and during the appends. Stops by itself: the generator gives
# up 60 s after its append phase, and this script kills the server on every exit path.
#
#   bash benches/share-load.sh                 # 200 followers, 20 notes/s, 30 s
#   FOLLOWERS=50 RATE=10 SECONDS_=10 bash benches/share-load.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FOLLOWERS="${FOLLOWERS:-200}"
RATE="${RATE:-20}"
SECONDS_="${SECONDS_:-30}"

cargo build --release --quiet --bin warroom
cargo bench --quiet --bench share_load --no-run 2>/dev/null
bin="$PWD/target/release/warroom"

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

id="$("$bin" open "Share load test" --severity sev2)"
token="$("$bin" share "$id" | awk 'NR == 1 { print $5 }')"

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
echo "server: $bin serve on $addr (pid $server_pid); $FOLLOWERS followers; $RATE notes/s for ${SECONDS_}s"
timeout $((SECONDS_ + 180)) cargo bench --quiet --bench share_load -- \
    --url "http://$addr/v1/incidents/$id" --token "$token" \
    --warroom "$bin" --server-pid "$server_pid" \
    --followers "$FOLLOWERS" --rate "$RATE" --seconds "$SECONDS_"
"$bin" verify "$id" >/dev/null && echo "journal verified after the run"
