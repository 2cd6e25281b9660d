#!/usr/bin/env bash
# Benchmark (not a test): the engine's overhead per HTTP step against Hurl's, on the same
# requests to the same server (DESIGN.md: "per HTTP step, engine overhead at most that of Hurl").
#
# Starts the standalone emulator on loopback, fetches one token, and writes the same N GET
# requests, each with a status and a JSONPath assertion, as a .hurl file and as one poscert case
# (`target_headers: false` plus explicit headers, so both tools send identical requests). Both run
# their requests one after another, as one file / one case. Times each with hyperfine when it is
# installed (a Python loop otherwise) and prints the median wall times, the time per request, the
# per-request overhead beyond a 1-request run (start-up excluded), and the ratio poscert/hurl.
#
#   bench/engine-vs-hurl.sh              # N=1000, 5 runs each
#   N=200 RUNS=10 bench/engine-vs-hurl.sh
#   POSCERT=/tmp/old/poscert-engine bench/engine-vs-hurl.sh   # another build of the engine
#
# Installs hurl 8.0.1 with cargo when it is missing (needs libclang-dev libcurl4-openssl-dev
# libxml2-dev; built in /tmp/hurl-target so it does not lock this workspace's target dir).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${N:-1000}
RUNS=${RUNS:-5}
HURL_VERSION=8.0.1
OUT=${OUT:-bench/out/engine-vs-hurl}
mkdir -p "$OUT"

# ---- tools -----------------------------------------------------------------------------------
if ! command -v hurl >/dev/null || ! hurl --version 2>/dev/null | head -1 | grep -q "hurl $HURL_VERSION"; then
  echo "installing hurl $HURL_VERSION (cargo install, a few minutes)..." >&2
  missing=()
  for pkg in libclang-dev libcurl4-openssl-dev libxml2-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
    else
      echo "hurl needs: apt-get install -y ${missing[*]}" >&2
      exit 2
    fi
  fi
  CARGO_TARGET_DIR=/tmp/hurl-target cargo install hurl --version "$HURL_VERSION" --locked >&2
fi
HURL=$(command -v hurl)
cargo build -q --release -p poscert-engine
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# POSCERT=<another build> times that one instead (e.g. an older commit's, for before/after).
POSCERT=${POSCERT:-"$TARGET/release/poscert-engine"}

# ---- the server ------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$POSCERT" emulator --port "$PORT" >"$OUT/emulator.log" 2>&1 &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/_emulator/seed" >/dev/null 2>&1 && break; sleep 0.1; done
SEED=$(curl -fs "$BASE/_emulator/seed")
CLIENT_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["integrators"][0]["clientId"])' "$SEED")
CLIENT_SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["integrators"][0]["clientSecret"])' "$SEED")
TOKEN=$(curl -fs -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d merchant_vat=DK90000028 \
  "$BASE/integrator-authentication/connect/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
URL="$BASE/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001"
curl -fs -H "Authorization: Bearer $TOKEN" -H "X-MobilePay-Client-System-Version: 1.0.0" "$URL" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["storeIds"]) == 1, d' \
  || { echo "the emulator does not answer $URL as expected" >&2; exit 1; }

# ---- the same requests in both formats -------------------------------------------------------
generate() { # count → files $OUT/bench-<count>.hurl and $OUT/bench-<count>/case.yaml
  local n=$1
  python3 - "$n" "$BASE" "$TOKEN" "$OUT" <<'PY'
import os, sys
n, base, token, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
url = f"{base}/pos/v10/stores"
query = "merchantBrandId=MPPOSCERT1&merchantLocationId=00001"
with open(f"{out}/bench-{n}.hurl", "w") as f:
    for _ in range(n):
        f.write(f"GET {url}?{query}\n"
                f"Authorization: Bearer {token}\n"
                "X-MobilePay-Client-System-Version: 1.0.0\n"
                "HTTP 200\n[Asserts]\njsonpath \"$.storeIds\" count == 1\n\n")
os.makedirs(f"{out}/bench-{n}", exist_ok=True)
with open(f"{out}/bench-{n}/case.yaml", "w") as f:
    f.write(f"name: {n} GET requests\nfeature: payments\nsteps:\n")
    for i in range(n):
        f.write(f"  - name: get {i + 1}\n"
                "    request:\n"
                f"      url: \"{url}?{query}\"\n"
                "      target_headers: false\n"
                f"      headers: {{ Authorization: \"Bearer {token}\", X-MobilePay-Client-System-Version: 1.0.0 }}\n"
                "    expect: { status: 200, json: { $.storeIds: { len: 1 } } }\n")
PY
}
generate 1
generate "$N"
HURL_CMD() { echo "$HURL --test --jobs 1 $OUT/bench-$1.hurl"; }
POSCERT_CMD() { echo "$POSCERT $OUT/bench-$1 --target $BASE --jobs 1"; }

# Both must pass before they are timed (a failing run can be fast for the wrong reason).
for n in 1 "$N"; do
  $(HURL_CMD "$n") >"$OUT/hurl-$n.log" 2>&1 || { echo "hurl failed on $n requests, see $OUT/hurl-$n.log" >&2; exit 1; }
  $(POSCERT_CMD "$n") --report-json "$OUT/poscert-$n.json" >"$OUT/poscert-$n.log" 2>&1 || { echo "poscert-engine failed on $n requests, see $OUT/poscert-$n.log" >&2; exit 1; }
  # Every step sent its request and judged a 200 (the report lists each attempt).
  python3 - "$OUT/poscert-$n.json" "$n" <<'PY'
import json, sys
report, n = json.load(open(sys.argv[1])), int(sys.argv[2])
sent = [a for c in report["cases"] for s in c["steps"] for a in s.get("attempts", [])]
ok = [a for a in sent if (a.get("response") or {}).get("status") == 200]
assert len(ok) == n == len(sent), f"{len(sent)} requests sent, {len(ok)} answered 200, expected {n}"
PY
done

# ---- timing ----------------------------------------------------------------------------------
# median seconds of a command over $RUNS runs (after one warm-up): on a shared machine the mean
# follows whichever run a neighbour disturbed
median_seconds() {
  local name=$1 cmd=$2
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$name.json" "$cmd" >"$OUT/$name.txt" 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$OUT/$name.json"
  else
    $cmd >/dev/null 2>&1
    python3 - "$RUNS" "$cmd" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2].split()
times = []
for _ in range(runs):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t)
print(statistics.median(times))
PY
  fi
}
echo "timing $N requests x $RUNS runs against $BASE (hyperfine: $(command -v hyperfine >/dev/null && echo yes || echo no))..." >&2
H1=$(median_seconds hurl-1 "$(HURL_CMD 1)")
HN=$(median_seconds "hurl-$N" "$(HURL_CMD "$N")")
P1=$(median_seconds poscert-1 "$(POSCERT_CMD 1)")
PN=$(median_seconds "poscert-$N" "$(POSCERT_CMD "$N")")

python3 - "$N" "$H1" "$HN" "$P1" "$PN" "$("$HURL" --version | head -1)" <<'PY'
import sys
n = int(sys.argv[1]); h1, hn, p1, pn = map(float, sys.argv[2:6]); hurl_version = sys.argv[6]
per = lambda t1, tn: (tn - t1) / (n - 1) * 1e6  # µs per extra request, start-up excluded
hp, pp = per(h1, hn), per(p1, pn)
print(f"{n} GET requests, status + JSONPath assertion each, one after another, loopback emulator")
print(f"{'':22}{'hurl':>12}{'poscert':>12}{'poscert/hurl':>15}")
print(f"{'wall, 1 request':22}{h1*1e3:>10.1f}ms{p1*1e3:>10.1f}ms{p1/h1:>15.2f}")
print(f"{f'wall, {n} requests':22}{hn*1e3:>10.1f}ms{pn*1e3:>10.1f}ms{pn/hn:>15.2f}")
print(f"{'per request (wall/N)':22}{hn/n*1e6:>10.0f}µs{pn/n*1e6:>10.0f}µs{(pn/n)/(hn/n):>15.2f}")
print(f"{'per extra request':22}{hp:>10.0f}µs{pp:>10.0f}µs{pp/hp:>15.2f}")
print(f"({hurl_version}; per extra request = (wall N - wall 1) / (N - 1): start-up excluded)")
PY
