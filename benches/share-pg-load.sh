#!/usr/bin/env bash
# Followers at scale on the shared store, loopback only: a throwaway PostgreSQL 15 cluster, two
# `warroom serve` processes (release build, each with a data directory of its own, as on two
# machines) against it, and notes appended with `warroom note` at RATE per second (default 20)
# for SECONDS_ seconds (default 15). First 1 follower (the reference), then FOLLOWERS followers
# (default 200) spread over both servers, in the same run. Prints append-to-follower latency
# (p50/p99/max over every note × follower) and the servers' CPU for each. Stops by itself, and
# stops the servers and the cluster on every exit path.
#
#   bash benches/share-pg-load.sh
#   FOLLOWERS=50 RATE=10 SECONDS_=5 bash benches/share-pg-load.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FOLLOWERS="${FOLLOWERS:-200}"
RATE="${RATE:-20}"
SECONDS_="${SECONDS_:-15}"
PGBIN=/usr/lib/postgresql/15/bin
if [[ ! -x "$PGBIN/initdb" ]]; then
    echo "SKIPPED: PostgreSQL 15 is not installed ($PGBIN/initdb missing)" >&2
    exit 0
fi

cargo build --release --quiet --bin warroom
cargo bench --quiet --bench share_load --no-run 2>/dev/null
bin="$PWD/target/release/warroom"

work="$(mktemp -d)"
chmod 755 "$work"
pids=()
as_pg=()
if [[ "$(id -u)" == 0 ]]; then as_pg=(runuser -u postgres --); fi
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/pg"
if [[ "$(id -u)" == 0 ]]; then chown postgres: "$work/pg"; fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_pg[@]}" "$PGBIN/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE warroom" postgres

export WARROOM_STORE_URL="postgres://postgres@127.0.0.1:$port/warroom?sslmode=disable"
export WARROOM_CONFIG="$work/config.toml"
export WARROOM_USER="loadtest"
export WARROOM_DATA_DIR="$work/a"
printf '[share]\nlisten = "127.0.0.1:0"\n' >"$WARROOM_CONFIG"

# A shared incident of its own for each run: its ID and token.
incident() {
    id="$("$bin" open "Share load test $1" --severity sev2)"
    token="$("$bin" share "$id" | sed -n 's/^status page: .*:\([^:]*\)$/\1/p')"
}

addrs=()
for machine in a b; do
    WARROOM_DATA_DIR="$work/$machine" "$bin" serve 2>"$work/serve-$machine.log" &
    pids+=($!)
    addr=""
    for _ in $(seq 1 100); do
        addr="$(sed -n 's/.*(\(127\.0\.0\.1:[0-9]*\)[,;].*/\1/p' "$work/serve-$machine.log" | head -n 1)"
        [[ -n "$addr" ]] && break
        sleep 0.1
    done
    if [[ -z "$addr" ]]; then
        echo "warroom serve did not start:" >&2
        cat "$work/serve-$machine.log" >&2
        exit 1
    fi
    addrs+=("$addr")
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "store: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (synchronous_commit on)"
echo "servers: ${addrs[*]} (pids ${pids[*]}); $RATE notes/s for ${SECONDS_}s"
run() {
    local followers="$1"; shift
    timeout $((SECONDS_ + 180)) cargo bench --quiet --bench share_load -- \
        "$@" --token "$token" --warroom "$bin" \
        --server-pid "${pids[0]}" --server-pid "${pids[1]}" \
        --followers "$followers" --rate "$RATE" --seconds "$SECONDS_"
}
echo "== reference: 1 follower, on one server"
incident reference
run 1 --url "http://${addrs[0]}/v1/incidents/$id"
echo "== $FOLLOWERS followers over two servers"
incident spread
run "$FOLLOWERS" --url "http://${addrs[0]}/v1/incidents/$id" --url "http://${addrs[1]}/v1/incidents/$id"
"$bin" verify "$id" >/dev/null && echo "journal verified after the run"
