#!/usr/bin/env bash
# The console's idle cost and its time to first frame, measured on the real release binary in a
# detached tmux session (120x40) on a throwaway data directory.
#
#   bash benches/console-idle.sh              # 30 s per idle sample, 10 start-up runs
#   IDLE_SECONDS=60 TTFF_RUNS=20 bash benches/console-idle.sh
#   WARROOM_BIN=/path/to/warroom bash benches/console-idle.sh   # skip the build
#
# Idle CPU: /proc/<pid>/stat utime+stime (clock ticks, usually 10 ms each) read before and
# after the sample; also the summed /proc/<pid>/task/*/schedstat run time (nanoseconds), the
# context switches (≈ wake-ups) and the bytes the process wrote (≈ what it redrew). Nothing
# polls tmux during a sample. Three cases: an open incident entered (the 1 Hz countdown on
# screen), the list with that incident (countdown in the list), and an empty list (no clock).
#
# Time to first frame: from just before `tmux new-session` to the first `capture-pane` that
# shows the incident list with its one row. That includes creating the tmux session and pty
# and the polling itself, so the same is measured for a control pane that prints the same text
# at once (`printf`), and the per-poll cost of `capture-pane` is reported: warroom's own share
# is about the difference of the medians.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IDLE_SECONDS=${IDLE_SECONDS:-30}
TTFF_RUNS=${TTFF_RUNS:-10}

BENCH_NAME=console-idle
BENCH_SOCKET="warroom-bench-$$"
# shellcheck source=benches/support/tmux.sh
source benches/support/tmux.sh
[[ -r /proc/self/stat ]] || die "needs Linux /proc"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
HZ=$(getconf CLK_TCK)
OPEN_DATA="$WORK/open"
EMPTY_DATA="$WORK/empty"
mkdir -p "$OPEN_DATA" "$EMPTY_DATA"
ID=$(WARROOM_DATA_DIR="$OPEN_DATA" "$BIN" --as bench open "Checkout 500s" --severity sev2)

# A shell command running the console on a data directory, exec'd so the pane's pid is the
# console's own.
console_cmd() {
    printf 'exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR=%q WARROOM_CONFIG=%q %q --as bench' \
        "$1" "$WORK/no-config.toml" "$BIN"
}

# Microseconds since the epoch, without a fork.
now_us() {
    local t=$EPOCHREALTIME
    echo $((${t/./}))
}

# wait_screen SESSION TEXT: polls capture-pane (no sleep) until TEXT shows; prints the polls.
wait_screen() {
    local polls=0 deadline=$((SECONDS + 20)) screen
    while :; do
        polls=$((polls + 1))
        screen=$(tm capture-pane -p -t "$1" 2>/dev/null || true)
        [[ $screen == *"$2"* ]] && break
        ((SECONDS < deadline)) || die "timed out waiting for '$2' in $1"
    done
    echo "$polls"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# --- time to first frame -------------------------------------------------------------------

# One server for everything, kept alive by an idle session.
tm new-session -d -x 120 -y 40 -s keep "exec sleep 100000"
SOCKET_PATH=$(tm display-message -p '#{socket_path}')

# ttff NAME COMMAND TEXT: microseconds from spawning COMMAND in a new session to TEXT on screen.
ttff() {
    local t0 t1 polls
    t0=$(now_us)
    tm new-session -d -x 120 -y 40 -s "$1" "$2"
    polls=$(wait_screen "$1" "$3")
    t1=$(now_us)
    tm kill-session -t "$1"
    echo "$((t1 - t0)) $polls"
}

list_row="$ID "
control_cmd="exec sh -c 'printf \"Open incidents\\n$ID  SEV2\\n\"; exec sleep 100000'"

# The cost of one poll, on a settled pane.
tm new-session -d -x 120 -y 40 -s still "$(console_cmd "$OPEN_DATA")"
wait_screen still "$list_row" >/dev/null
poll_costs=()
for _ in $(seq 50); do
    a=$(now_us)
    tm capture-pane -p -t still >/dev/null
    b=$(now_us)
    poll_costs+=($((b - a)))
done
tm kill-session -t still
POLL_US=$(printf '%s\n' "${poll_costs[@]}" | median)

ttff warm "$(console_cmd "$OPEN_DATA")" "$list_row" >/dev/null # warm the page cache
ttff warmc "$control_cmd" "$list_row" >/dev/null
wr_us=()
wr_polls=()
ctl_us=()
for i in $(seq "$TTFF_RUNS"); do
    read -r us polls < <(ttff "w$i" "$(console_cmd "$OPEN_DATA")" "$list_row")
    wr_us+=("$us")
    wr_polls+=("$polls")
    read -r us _ < <(ttff "c$i" "$control_cmd" "$list_row")
    ctl_us+=("$us")
done
# In-process start-up, when strace is there: from warroom's execve to its write of the frame
# holding the list row, timestamps taken by strace (only execve and write are stopped for, via
# seccomp; strace's overhead makes this an upper bound).
st_us=()
st_first_us=()
if command -v strace >/dev/null 2>&1; then
    for i in $(seq "$TTFF_RUNS"); do
        trace="$WORK/trace.$i"
        tm new-session -d -x 120 -y 40 -s "s$i" \
            "exec strace -f --seccomp-bpf -ttt -s 65536 -e trace=execve,write -o $trace $(console_cmd "$OPEN_DATA" | sed 's/^exec //')"
        wait_screen "s$i" "$list_row" >/dev/null
        tm kill-session -t "s$i"
        read -r first list < <(awk -v bin="$BIN" -v id="$ID" '
            $3 ~ "^execve\\(\"" bin "\"" { t0 = $2 }
            t0 && $3 ~ /^write\(1,/ && !first && index($0, "Open incidents") { first = $2 }
            t0 && $3 ~ /^write\(1,/ && index($0, id " ") { printf "%d %d\n", (first - t0) * 1e6, ($2 - t0) * 1e6; exit }
        ' "$trace")
        st_first_us+=("$first")
        st_us+=("$list")
    done
fi

WR_MED=$(printf '%s\n' "${wr_us[@]}" | median)
CTL_MED=$(printf '%s\n' "${ctl_us[@]}" | median)
WR_POLLS_MED=$(printf '%s\n' "${wr_polls[@]}" | median)

# --- idle CPU ------------------------------------------------------------------------------

ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
run_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'; }
switches() {
    cat /proc/"$1"/task/*/status | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { s += $2 } END { print s }'
}
wchar() { awk '/^wchar/ { print $2 }' "/proc/$1/io"; }

# idle NAME DATA ENTER WAIT_TEXT: starts the console, optionally enters the incident, waits for
# WAIT_TEXT, settles 2 s, then samples for IDLE_SECONDS. Prints one result line.
idle() {
    local name=$1 data=$2 enter=$3 text=$4 pid server
    tm new-session -d -x 120 -y 40 -s "$name" "$(console_cmd "$data")"
    pid=$(tm display-message -p -t "$name" '#{pane_pid}')
    server=$(tm display-message -p '#{pid}')
    [[ $(cat "/proc/$pid/comm") == warroom ]] || die "pane pid $pid is not warroom"
    if [[ $enter == yes ]]; then
        wait_screen "$name" "$list_row" >/dev/null
        tm send-keys -t "$name" Enter
    fi
    wait_screen "$name" "$text" >/dev/null
    sleep 2
    local t0 k0 n0 s0 w0 sv0 t1 k1 n1 s1 w1 sv1
    t0=$(now_us) k0=$(ticks "$pid") n0=$(run_ns "$pid") s0=$(switches "$pid") w0=$(wchar "$pid") sv0=$(ticks "$server")
    sleep "$IDLE_SECONDS"
    t1=$(now_us) k1=$(ticks "$pid") n1=$(run_ns "$pid") s1=$(switches "$pid") w1=$(wchar "$pid") sv1=$(ticks "$server")
    tm kill-session -t "$name"
    awk -v name="$name" -v us=$((t1 - t0)) -v dk=$((k1 - k0)) -v dn=$((n1 - n0)) -v ds=$((s1 - s0)) \
        -v dw=$((w1 - w0)) -v dsv=$((sv1 - sv0)) -v hz="$HZ" 'BEGIN {
        s = us / 1e6
        printf "| %s | %.1f s | %.3f %% (%d ticks) | %.3f %% | %.1f /s | %.0f B/s | %.3f %% |\n",
            name, s, 100 * dk / hz / s, dk, 100 * dn / 1e9 / s, ds / s, dw / s, 100 * dsv / hz / s
    }'
}

IDLE_ROWS=()
IDLE_ROWS+=("$(idle incident-entered "$OPEN_DATA" yes "next update in")")
IDLE_ROWS+=("$(idle list-one-open "$OPEN_DATA" no "$list_row")")
IDLE_ROWS+=("$(idle list-empty "$EMPTY_DATA" no "No open incidents")")

# --- report --------------------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
ms() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }

cat <<EOF
Machine: $(nproc) cores, ${cpu:-unknown CPU}; Linux $(uname -r); $(tmux -V); warroom $commit$dirty
Command: bash benches/console-idle.sh  (IDLE_SECONDS=$IDLE_SECONDS, TTFF_RUNS=$TTFF_RUNS)
Load average: $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end

Idle, ${IDLE_SECONDS} s per sample after a 2 s settle (CPU % of one core):

| case | sampled | utime+stime | schedstat run time | ctx switches | bytes written | tmux server |
|---|---|---|---|---|---|---|
$(printf '%s\n' "${IDLE_ROWS[@]}")

Time to first frame (spawn → capture-pane shows the list with $ID), median of $TTFF_RUNS:

| | median | all runs |
|---|---|---|
| warroom | $(ms "$WR_MED") | $(for u in "${wr_us[@]}"; do ms "$u"; printf ', '; done | sed 's/, $//') |
| control (printf in the same pipeline) | $(ms "$CTL_MED") | $(for u in "${ctl_us[@]}"; do ms "$u"; printf ', '; done | sed 's/, $//') |
| difference (≈ warroom's own start-up) | $(ms "$(awk -v a="$WR_MED" -v b="$CTL_MED" 'BEGIN { print a - b }')") | |

$(if ((${#st_us[@]})); then
    echo "In-process, under strace (execve of warroom → its write(2) of the frame), median of $TTFF_RUNS:"
    echo
    echo "| | median | all runs |"
    echo "|---|---|---|"
    echo "| the first frame (the list pane drawn) | $(ms "$(printf '%s\n' "${st_first_us[@]}" | median)") | $(for u in "${st_first_us[@]}"; do ms "$u"; printf ', '; done | sed 's/, $//') |"
    echo "| the frame with the list row | $(ms "$(printf '%s\n' "${st_us[@]}" | median)") | $(for u in "${st_us[@]}"; do ms "$u"; printf ', '; done | sed 's/, $//') |"
else
    echo "(strace not installed: no in-process start-up figure)"
fi)

One capture-pane poll costs $(ms "$POLL_US") (median of 50); polls run back to back, so a
frame is seen up to one poll late. warroom needed a median of $WR_POLLS_MED polls.
EOF
