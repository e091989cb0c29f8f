# What the console benchmarks share, sourced by benches/console-idle.sh and
# benches/console-memory.sh: stop with a message, the release binary (built unless
# WARROOM_BIN names one), a private tmux server and a work directory, both removed on exit.
#
# The sourcing script sets BENCH_NAME (the prefix of its messages) and BENCH_SOCKET (its tmux
# socket name) first; it may set SOCKET_PATH, removed on exit too. After this: die, tm (tmux on
# that socket, no user configuration), BIN, SOCKET, WORK.

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 1
}

command -v tmux >/dev/null 2>&1 || die "tmux is not installed"

BIN=${WARROOM_BIN:-}
if [[ -z $BIN ]]; then
    cargo build --release --quiet --bin warroom
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/warroom"
fi
[[ -x $BIN ]] || die "no binary at $BIN"
BIN=$(realpath "$BIN")

SOCKET=$BENCH_SOCKET
WORK=$(mktemp -d)
SOCKET_PATH=""
cleanup() {
    tmux -L "$SOCKET" kill-server >/dev/null 2>&1 || true
    [[ -n $SOCKET_PATH ]] && rm -f "$SOCKET_PATH"
    rm -rf "$WORK"
}
trap cleanup EXIT

tm() { tmux -L "$SOCKET" -f /dev/null "$@"; }
