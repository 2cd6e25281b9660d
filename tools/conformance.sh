#!/usr/bin/env bash
# Conformance proof: run schemathesis (PyPI) with the official PoS v10 spec against the
# standalone emulator and print operations, examples and failures.
#
#   tools/conformance.sh              # configured run (tools/conformance.toml: documented exclusions)
#   STRICT=1 tools/conformance.sh     # schemathesis defaults, no exclusions, no realistic ids
#   MAX_EXAMPLES=100 SEED=7 tools/conformance.sh
#
# Installs schemathesis into bench/.venv (git-ignored) on first use. Reports go to bench/out/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# The spec is not in this repository: POSCERT_SPEC (as for the tests) or SPEC names it; CI keeps
# it beside the repository root.
SPEC=${SPEC:-${POSCERT_SPEC:-../shared/reference/pos-v10-openapi.yaml}}
VENV=${VENV:-bench/.venv}
MAX_EXAMPLES=${MAX_EXAMPLES:-50}
SEED=${SEED:-42}
OUT=${OUT:-bench/out/conformance}
mkdir -p "$OUT"

[ -f "$SPEC" ] || { echo "spec not found: $SPEC (set POSCERT_SPEC=path to the official pos-v10-openapi.yaml)" >&2; exit 2; }
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "installing schemathesis into $VENV ..."
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi
echo "schemathesis $("$VENV/bin/schemathesis" --version | awk '{print $NF}')"

cargo build -q -p poscert-emulator --example standalone
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TARGET/debug/examples/standalone" --port "$PORT" --poll-delay-ms 1000 >"$OUT/emulator.log" 2>&1 &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fs "$BASE/_emulator/seed" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/_emulator/seed" >/dev/null || { echo "emulator did not start" >&2; cat "$OUT/emulator.log" >&2; exit 1; }

eval "$(python3 tools/conformance_seed.py "$BASE")"

ARGS=(run "$SPEC" --url "$BASE" --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 2
      --report junit,ndjson --report-dir "$OUT" --no-color)
CONFIG=()
if [ "${STRICT:-0}" = "1" ]; then
  echo "strict run: schemathesis defaults, no exclusions"
  ARGS+=(-H "Authorization: Bearer $POSCERT_TOKEN" -H "X-MobilePay-Client-System-Version: 1.0.0"
         -H "X-MobilePay-Merchant-VAT-Number: DK90000028"
         -H "x-ibm-client-id: $POSCERT_SIM_ID" -H "x-ibm-client-secret: $POSCERT_SIM_SECRET")
else
  CONFIG=(--config-file tools/conformance.toml)
fi

set +e
"$VENV/bin/schemathesis" "${CONFIG[@]}" "${ARGS[@]}" >"$OUT/schemathesis.log" 2>&1
STATUS=$?
set -e
python3 - "$OUT/schemathesis.log" "$STATUS" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
status = int(sys.argv[2])
summary = log[log.rfind("=== SUMMARY"):] if "=== SUMMARY" in log else log[-3000:]
print(summary.strip())
ops = re.search(r"Tested:\s*(\d+)", summary)
cases = re.search(r"(\d+) generated", summary)
fails = re.search(r"found (\d+) unique failures?", summary)
print()
print("conformance: operations=%s examples=%s failures=%s (schemathesis exit %d; full log %s)" % (
    ops.group(1) if ops else "?", cases.group(1) if cases else "?", fails.group(1) if fails else "0", status, sys.argv[1]))
PY
exit "$STATUS"
