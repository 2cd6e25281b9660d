#!/usr/bin/env bash
# Benchmark (not a test): requests per second of GET /pos/v10/payments/{id} on loopback.
# Builds the release emulator, starts it standalone on a free port, creates a PoS and a
# payment, then drives the polling endpoint with wrk for DURATION seconds.
#
#   bench/emulator-rps.sh                 # 10 s, 1 wrk thread, 32 connections
#   DURATION=20 CONNECTIONS=64 bench/emulator-rps.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
cargo build -q --release -p poscert-emulator --example standalone
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TARGET/release/examples/standalone" --port "$PORT" >"$OUT/emulator-rps.log" 2>&1 &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/_emulator/seed" >/dev/null 2>&1 && break; sleep 0.1; done

eval "$(python3 tools/conformance_seed.py "$BASE")"
PAYMENT=$POSCERT_PAYMENT_RESERVED
URL="$BASE/pos/v10/payments/$PAYMENT"
curl -fs -H "Authorization: Bearer $POSCERT_TOKEN" -H "X-MobilePay-Client-System-Version: 1.0.0" -H "X-MobilePay-Merchant-VAT-Number: DK90000028" "$URL" >/dev/null

echo "GET $URL for ${DURATION}s, $CONNECTIONS connections, $THREADS wrk thread(s), $(nproc) cores"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
  -H "Authorization: Bearer $POSCERT_TOKEN" -H "X-MobilePay-Client-System-Version: 1.0.0" -H "X-MobilePay-Merchant-VAT-Number: DK90000028" \
  "$URL" | tee "$OUT/emulator-rps.txt"
if grep -q "Non-2xx" "$OUT/emulator-rps.txt"; then echo "FAIL: non-2xx responses" >&2; exit 1; fi
RPS=$(awk '/Requests\/sec/ {print $2}' "$OUT/emulator-rps.txt")
JOURNAL=$(curl -fs "$BASE/_emulator/journal?limit=1" | python3 -c 'import json,sys; e=json.load(sys.stdin)["entries"]; print(e[0]["seq"] if e else 0)')
echo "emulator GET payment: ${RPS} requests/s (journal seq after run: $JOURNAL)"
