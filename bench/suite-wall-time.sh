#!/usr/bin/env bash
# Benchmark (not a test): wall time of the whole certification suite, reference client, embedded
# emulator, release build (DESIGN.md target: under 3 s on 2 cores). Runs
# `poscert-engine scenarios` RUNS times (default 5) from the repository root and prints each
# time and the min and median. A run that does not pass is reported, since its time means little.
#
#   bench/suite-wall-time.sh
#   RUNS=9 bench/suite-wall-time.sh --jobs 4     # extra arguments go to poscert-engine
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
cargo build -q --release -p poscert-engine
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
POSCERT="$TARGET/release/poscert-engine"
OUT=${OUT:-bench/out/suite-wall-time}
mkdir -p "$OUT"

times=()
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  if "$POSCERT" scenarios "$@" >"$OUT/run-$i.log" 2>&1; then status=passed; else status="exit $?"; fi
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  echo "run $i: ${ms} ms ($status; $(grep -E '^[0-9]+ passed, ' "$OUT/run-$i.log" | tail -1))"
  [ "$status" = passed ] || echo "  not a clean run: see $OUT/run-$i.log" >&2
done
printf '%s\n' "${times[@]}" | sort -n | python3 -c '
import sys
t = [int(x) for x in sys.stdin.read().split()]
print(f"cases: {sys.argv[1]}; min {t[0]} ms, median {t[len(t) // 2]} ms, max {t[-1]} ms over {len(t)} runs")
' "$(grep -cE "^(PASS|FAIL|SKIP) |^ERROR " "$OUT/run-1.log")"
