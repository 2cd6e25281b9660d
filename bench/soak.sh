#!/usr/bin/env bash
# Soak benchmark (not a test, issue 13): does the standalone emulator's memory stay bounded
# over a long run? Builds the release emulator and the load generator
# (emulator/examples/soak_load.rs), starts the emulator on a free port and drives whole
# payment and refund lifecycles from N client tasks for --minutes, advancing the virtual
# clock by one day every --virtual-day-every seconds. Prints one line a minute (requests,
# errors, expected 401s, RSS/HWM of the emulator, virtual clock, GET /_emulator/stats) and at
# the end the RSS ratio and GET /_emulator/invariants; exits 1 when the run is too short for
# a verdict (shorter than the warm-up plus two minutes), and on an unexpected error, a
# failed invariant or an RSS ratio above 1.10.
#
#   bench/soak.sh                                  # 60 minutes, 8 clients, a day every 4 s
#   bench/soak.sh --minutes 6 --virtual-day-every 1
#   bench/soak.sh --clients 4 --pace-ms 20         # lighter load
#
# Why these defaults:
# - One virtual day every 4 s: the longest lifetime the emulator keeps is the 120-day
#   retention of a finished payment (README, "Lifetimes and memory"; a deleted PoS has the
#   same), so it passes after 120 x 4 s = 8 minutes and the last 51 minutes of a one-hour
#   run hold a steady state in which everything created is also released. One day a minute
#   would need two hours before the first payment is ever forgotten.
# - Warm-up = that lifetime in real time plus a minute (the journal ring fills within it):
#   until then the state grows by design. The verdict compares the first ten minutes after
#   the warm-up with the last ten (a quarter each when fewer than twenty minutes remain),
#   sampled every second; the ratio including the warm-up is printed for information.
# - Poll delays 50 ms (payments) and 20 ms (refunds), set with the standalone's
#   --poll-delay-ms / --refund-poll-delay-ms: the clients honour pollDelayInMs, and the
#   faithful 1000 ms would leave the emulator mostly idle. Each client pauses 60 ms
#   between payments (--pace-ms): 8 clients then give about 1000 requests/s, a modest share
#   of one core beside other work (--pace-ms 0 gives about 3500/s on 2 shared cores);
#   --clients scales it.
# - 5 payments per PoS, then the PoS is offboarded (DELETE) and a new one onboarded: PoSes,
#   beacons and their state are created and released all run long.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MINUTES=60 CLIENTS=8 DAY_EVERY=4 PACE_MS=60 PER_POS=5 REPORT_EVERY=60 WARMUP=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --virtual-day-every) DAY_EVERY=$2; shift 2 ;;
    --pace-ms) PACE_MS=$2; shift 2 ;;
    --payments-per-pos) PER_POS=$2; shift 2 ;;
    --report-every) REPORT_EVERY=$2; shift 2 ;;
    --warmup-secs) WARMUP=(--warmup-secs "$2"); shift 2 ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

cargo build -q --release -p poscert-emulator --example standalone --example soak_load
TARGET=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TARGET/release/examples/standalone" --port "$PORT" --poll-delay-ms 50 --refund-poll-delay-ms 20 \
  >"$OUT/soak-emulator.log" 2>&1 &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/_emulator/seed" >/dev/null 2>&1 && break; sleep 0.1; done

echo "soak: emulator pid $EMU_PID on $BASE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
"$TARGET/release/examples/soak_load" --base "$BASE" --pid "$EMU_PID" \
  --seconds $((MINUTES * 60)) --clients "$CLIENTS" --virtual-day-every "$DAY_EVERY" \
  --pace-ms "$PACE_MS" --payments-per-pos "$PER_POS" --report-every "$REPORT_EVERY" "${WARMUP[@]}" \
  | tee "$OUT/soak.txt"
STATUS=${PIPESTATUS[0]}
exit "$STATUS"
