#!/usr/bin/env bash
# Benchmark (not a test): peak memory of a run as the number of cases grows. Generates SMALL
# (default 500) and LARGE (default 10,000) copies of payments case 1 (renumbered `case:`) in a
# temporary suite with the fragments and the onboarding feature it requires, runs the release
# binary on each with `--report-dir` under `/usr/bin/time -v`, and prints the peak RSS of each,
# their ratio (the memory-flat target is at most 1.2) and the wall times.
#
#   bench/memory-flat.sh
#   SMALL=200 LARGE=2000 bench/memory-flat.sh --jobs 2     # extra arguments go to poscert-engine
#   POSCERT=/tmp/poscert-old bench/memory-flat.sh           # another binary (e.g. before a change)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SMALL=${SMALL:-500}
LARGE=${LARGE:-10000}
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
if [ -z "${POSCERT:-}" ]; then
  cargo build -q --release -p poscert-engine
  TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  POSCERT="$TARGET/release/poscert-engine"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A suite of N copies of payments case 1 (plus onboarding, which payments requires).
make_suite() {
  local n=$1 dir=$2
  mkdir -p "$dir/payments"
  cp -r scenarios/fragments scenarios/onboarding "$dir/"
  cp scenarios/payments/feature.yaml "$dir/payments/"
  python3 - "$n" "$dir/payments" <<'PY'
import re, sys
n, out = int(sys.argv[1]), sys.argv[2]
src = open("scenarios/payments/01-complete-a-payment.yaml").read()
for i in range(1, n + 1):
    text = re.sub(r"(?m)^case: \d+", f"case: {i}", src)
    open(f"{out}/{i:05d}-complete-a-payment.yaml", "w").write(text)
PY
}

declare -A rss wall
for n in "$SMALL" "$LARGE"; do
  make_suite "$n" "$WORK/suite-$n"
  (cd "$WORK/suite-$n" && /usr/bin/time -v "$POSCERT" . --report-dir "$WORK/reports-$n" "$@" \
      >"$WORK/run-$n.log" 2>"$WORK/time-$n.log") || echo "run of $n cases: exit $? (see the log below)" >&2
  rss[$n]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-$n.log")
  wall[$n]=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time-$n.log")
  echo "$n cases: peak RSS $(( rss[$n] / 1024 )) MB, wall ${wall[$n]} ($(grep -E '^[0-9]+ passed, ' "$WORK/run-$n.log" | tail -1))"
  grep -E '^[0-9]+ passed, ' "$WORK/run-$n.log" >/dev/null || tail -5 "$WORK/run-$n.log" >&2
  rm -rf "$WORK/suite-$n" "$WORK/reports-$n"
done
python3 -c 'import sys; print(f"peak RSS ratio {sys.argv[2]}/{sys.argv[1]} cases: {int(sys.argv[4]) / int(sys.argv[3]):.2f}")' \
  "$SMALL" "$LARGE" "${rss[$SMALL]}" "${rss[$LARGE]}"
