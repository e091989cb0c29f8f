#!/usr/bin/env bash
# Resident memory of the console on a big incident, measured on the real release binary in a
# detached tmux session (200x60), against the console on an empty data directory.
#
#   bash benches/console-memory.sh                 # 3 runs of each case
#   RUNS=5 EVENTS=100000 ALERTS=10000 bash benches/console-memory.sh
#   WARROOM_BIN=/path/to/warroom bash benches/console-memory.sh   # skip the build
#
# The data directory holds one incident of EVENTS entries (a genuine format-2 journal,
# hash-chained, written here by python3 the way warroom writes its lines: notes, role
# assignments, severity and status changes, as benches/support/corpus.rs builds them; `warroom
# verify` checks it before anything is measured) and ALERTS firing alerts from a pushed source
# (`[[intake]]`: the spool `<data dir>/intake/push.json`, which the console's poller reads
# every 500 ms like any source's answer; no server needed).
#
# Cases, each RUNS times, the median reported:
#   * empty         the console on an empty data directory (the reference);
#   * incident      the console opened on the incident (Enter on the list), no alert source;
#   * incident+note the same, then one note recorded from the console (what a leader does
#                   next: an append, and the log folded again);
#   * incident+alerts  the same with the 10,000 alerts on the board;
#   * verify        `warroom verify INC-1` (its peak, from /usr/bin/time -v or a /proc poll).
# VmHWM (peak resident) and VmRSS (resident now) are read from /proc/<pid>/status once the
# frame shows the incident and, with alerts, the alerts pane's count, after a 2 s settle.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
EVENTS=${EVENTS:-100000}
ALERTS=${ALERTS:-10000}

BENCH_NAME=console-memory
BENCH_SOCKET="warroom-mem-$$"
# shellcheck source=benches/support/tmux.sh
source benches/support/tmux.sh
command -v python3 >/dev/null 2>&1 || die "python3 is not installed"
[[ -r /proc/self/status ]] || die "needs Linux /proc"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BIG="$WORK/big"
BIG_ALERTS="$WORK/big-alerts"
EMPTY="$WORK/empty"
mkdir -p "$BIG/incidents/INC-1" "$EMPTY"
: >"$WORK/no-config.toml"
cat >"$WORK/alerts-config.toml" <<'EOF'
[[intake]]
name = "push"
kind = "json"
secret_env = "WARROOM_BENCH_INTAKE_SECRET"
fields = { name = "/name" }
EOF

# The journal and the spool, written as warroom writes them.
python3 - "$BIG/incidents/INC-1/journal.jsonl" "$WORK/push.json" "$EVENTS" "$ALERTS" <<'PY'
import datetime, hashlib, json, os, random, sys
journal, spool, events, alerts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(0x5EEDCAFE)
people = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
def compact(o): return json.dumps(o, separators=(",", ":"), ensure_ascii=False)
def sha(s): return hashlib.sha256(s.encode()).hexdigest()
at = datetime.datetime(2026, 3, 14, 9, 26, 53, tzinfo=datetime.timezone.utc)
severity, status, prev = "sev2", "investigating", "0" * 64
with open(journal, "w") as out:
    for seq in range(1, events + 1):
        if seq == 1:
            ev = {"type": "opened", "title": "Checkout 500s after the pricing deploy", "severity": severity, "summary": "customers cannot pay"}
        else:
            r = rng.randrange(20)
            if r == 0:
                to = rng.choice(["sev1", "sev2", "sev3"]); ev = {"type": "severity_changed", "from": severity, "to": to}; severity = to
            elif r == 1:
                to = rng.choice(["investigating", "identified", "monitoring"]); ev = {"type": "status_changed", "from": status, "to": to}; status = to
            elif r == 2:
                ev = {"type": "role_assigned", "role": rng.choice(["commander", "scribe", "sme"]), "person": rng.choice(people)}
            else:
                ev = {"type": "note", "kind": rng.choice(["observation", "hypothesis"]),
                      "text": f"p99 on checkout-api is {rng.randrange(5000)}ms since the deploy of pricing v2.{rng.randrange(40)}; error rate {rng.randrange(30)}% and climbing"}
        at += datetime.timedelta(milliseconds=500 + rng.randrange(30000))
        at_text = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        by = rng.choice(people)
        event = compact(ev)
        salt = os.urandom(16).hex()
        digest = sha(salt + "\n" + event)
        h = sha(f"{prev}\n{seq}\n{at_text}\n{by}\n{digest}")
        out.write(f'{{"v":2,"seq":{seq},"at":"{at_text}","by":"{by}","event":{event},"salt":"{salt}","digest":"{digest}","prev":"{prev}","hash":"{h}"}}\n')
        prev = h
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
names = ["HighErrorRate", "HighLatency", "PodCrashLooping", "DiskFilling", "CertExpiring",
         "QueueBacklog", "ReplicaLag", "OOMKilled", "TargetDown", "SLOBurn"]
items = []
for n in range(alerts):
    service = f"svc-{n % 200:03d}"
    labels = {"alertname": names[n % 10], "service": service, "severity": ["critical", "warning"][n % 2],
              "instance": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}:9100", "job": service, "namespace": f"ns-{n % 20}"}
    items.append({"fingerprint": f"{n:016x}", "labels": labels,
                  "annotations": {"summary": f"{names[n % 10]} on {service} instance {n}"},
                  "starts_at": now, "state": "active", "sources": ["push"]})
with open(spool, "w") as out:
    out.write(compact({"last_push": now, "alerts": items}) + "\n")
PY
cp -r "$BIG" "$BIG_ALERTS"
mkdir -p "$BIG_ALERTS/intake"
mv "$WORK/push.json" "$BIG_ALERTS/intake/push.json"

WARROOM_DATA_DIR="$BIG" WARROOM_CONFIG="$WORK/no-config.toml" "$BIN" verify INC-1 >"$WORK/verify.out" 2>&1 ||
    die "the generated journal does not verify: $(cat "$WORK/verify.out")"
# The summary `warroom list` keeps beside the journal, as a data directory in use has it (the
# console's list reads it instead of the journal).
for d in "$BIG" "$BIG_ALERTS"; do
    WARROOM_DATA_DIR="$d" WARROOM_CONFIG="$WORK/no-config.toml" "$BIN" list >/dev/null
done
JOURNAL_MB=$(awk -v b="$(stat -c %s "$BIG/incidents/INC-1/journal.jsonl")" 'BEGIN { printf "%.1f", b / 1e6 }')
SPOOL_MB=$(awk -v b="$(stat -c %s "$BIG_ALERTS/intake/push.json")" 'BEGIN { printf "%.1f", b / 1e6 }')

console_cmd() {
    printf 'exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_BENCH_INTAKE_SECRET=x WARROOM_DATA_DIR=%q WARROOM_CONFIG=%q %q --as bench' \
        "$1" "$2" "$BIN"
}

wait_screen() {
    local deadline=$((SECONDS + 120)) screen
    while :; do
        screen=$(tm capture-pane -p -t "$1" 2>/dev/null || true)
        [[ $screen == *"$2"* ]] && return 0
        ((SECONDS < deadline)) || die "timed out waiting for '$2' in $1; the screen: $screen"
        sleep 0.05
    done
}

kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

tm new-session -d -x 200 -y 60 -s keep "exec sleep 100000"

# console NAME DATA CONFIG ENTER WAIT_TEXT...: "VmHWM VmRSS" in kB once every WAIT_TEXT shows.
console() {
    local name=$1 data=$2 config=$3 enter=$4 pid hwm rss
    shift 4
    tm new-session -d -x 200 -y 60 -s "$name" "$(console_cmd "$data" "$config")"
    pid=$(tm display-message -p -t "$name" '#{pane_pid}')
    for _ in $(seq 100); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == warroom ]] && break
        sleep 0.05
    done
    [[ $(cat "/proc/$pid/comm") == warroom ]] || die "pane pid $pid is not warroom"
    if [[ $enter == yes ]]; then
        wait_screen "$name" "INC-1 "
        tm send-keys -t "$name" Enter
    fi
    for text in "$@"; do wait_screen "$name" "$text"; done
    if [[ $NOTE == yes ]]; then
        # Out of the status update prompt the overdue incident opens with, then one note.
        sleep 1
        tm send-keys -t "$name" Escape
        sleep 1
        tm send-keys -t "$name" n
        sleep 0.5
        tm send-keys -t "$name" -l "memory check $name"
        tm send-keys -t "$name" Enter
        wait_screen "$name" "memory check $name"
    fi
    sleep 2
    hwm=$(kb "$pid" VmHWM)
    rss=$(kb "$pid" VmRSS)
    tm kill-session -t "$name"
    echo "$hwm $rss"
}

# The peak of `warroom verify INC-1`, in kB.
verify_peak() {
    if /usr/bin/time -f '%M' -o "$WORK/time.out" true 2>/dev/null; then
        WARROOM_DATA_DIR="$BIG" WARROOM_CONFIG="$WORK/no-config.toml" \
            /usr/bin/time -f '%M' -o "$WORK/time.out" "$BIN" verify INC-1 >/dev/null
        tail -1 "$WORK/time.out"
    else
        WARROOM_DATA_DIR="$BIG" WARROOM_CONFIG="$WORK/no-config.toml" "$BIN" verify INC-1 >/dev/null &
        local pid=$! peak=0 v
        while v=$(kb "$pid" VmHWM 2>/dev/null) && [[ -n $v ]]; do
            peak=$v
            sleep 0.01
        done
        wait "$pid"
        echo "$peak"
    fi
}

declare -A HWM RSS
CASES=(empty incident incident+note incident+alerts verify)
NOTE=no
for i in $(seq "$RUNS"); do
    read -r h r < <(console "e$i" "$EMPTY" "$WORK/no-config.toml" no "No open incidents")
    HWM[empty]+="$h " RSS[empty]+="$r "
    read -r h r < <(console "i$i" "$BIG" "$WORK/no-config.toml" yes "Outage log")
    HWM[incident]+="$h " RSS[incident]+="$r "
    NOTE=yes
    read -r h r < <(console "n$i" "$BIG" "$WORK/no-config.toml" yes "Outage log")
    NOTE=no
    HWM[incident+note]+="$h " RSS[incident+note]+="$r "
    read -r h r < <(console "a$i" "$BIG_ALERTS" "$WORK/alerts-config.toml" yes "Outage log" "$ALERTS firing")
    HWM[incident+alerts]+="$h " RSS[incident+alerts]+="$r "
    h=$(verify_peak)
    HWM[verify]+="$h " RSS[verify]+="- "
done

mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "—"; else printf "%.1f MB", k / 1024 }'; }
row() {
    local c=$1 h r
    h=$(printf '%s\n' ${HWM[$c]} | median)
    if [[ $c == verify ]]; then r="-"; else r=$(printf '%s\n' ${RSS[$c]} | median); fi
    printf '| %s | %s | %s | %s |\n' "$c" "$(mb "$h")" "$(mb "$r")" \
        "$(for k in ${HWM[$c]}; do mb "$k"; printf ', '; done | sed 's/, $//')"
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
cat <<EOF
Machine: $(nproc) cores, ${cpu:-unknown CPU}; Linux $(uname -r); $(tmux -V); warroom $commit$dirty
Command: bash benches/console-memory.sh  (RUNS=$RUNS, EVENTS=$EVENTS, ALERTS=$ALERTS)
Load average: $LOAD_BEFORE at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end
The journal: $EVENTS entries, $JOURNAL_MB MB; the alerts' spool: $ALERTS alerts, $SPOOL_MB MB

Resident memory from /proc/<pid>/status after the frame shows it and 2 s, median of $RUNS:

| case | VmHWM (peak) | VmRSS (now) | VmHWM of each run |
|---|---|---|---|
$(for c in "${CASES[@]}"; do row "$c"; done)

empty: the console on an empty data directory (the reference); incident: opened on the
incident (Enter on the list); incident+note: the same, then one note recorded (n, text,
Enter) and on screen; incident+alerts: the same with $ALERTS firing alerts from a
pushed source; verify: \`warroom verify INC-1\` (peak only).
EOF
