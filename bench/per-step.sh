#!/usr/bin/env bash
# Benchmark (not a test): the engine's time per HTTP step against wrk's time per request (the
# floor: one keep-alive connection, no assertions) and Hurl's, all on the same static JSON file
# served by nginx on loopback, so the server costs as little as it can and the same for all three.
#
# Writes N sequential GETs of that file (at /pos/v10/stores), each with a status and two JSONPath
# assertions, as one poscert case (`target_headers: false`, so no token and no PoS headers) and as
# one .hurl file; both take the URL from a variable, as real cases do (`{{pos}}/stores`: poscert's
# target variable, `--variable pos=...` for hurl). Both must pass (exit code checked, and every
# poscert step judged a 200) before they are timed.
# Then ROUNDS rounds, each timing, back to back:
#   wrk -c1 -t1 -d${WRK_SECONDS}s       per request = 1 / (requests/s)
#   http_floor on 1 and on N requests   (engine/examples/http_floor.rs: the engine's HTTP stack
#                                       alone, same checks; per request as below)
#   hurl --test on 1 and on N requests  per request = (wall N - wall 1) / (N - 1), each wall the
#   poscert on 1 and on N requests      best of REPEAT runs (start-up excluded, noise filtered)
# and prints every round and the min and median of each figure and of the ratios poscert/wrk and
# poscert/hurl (ratios are taken within a round, so a busy neighbour slows all three at once),
# with each tool's CPU (user + system) per extra request in the runs kept: the part of its wall
# time that is its own work, not waiting on nginx and the loopback.
# BASELINE=<another poscert-engine binary> times that one too in each round (before/after).
#
#   bench/per-step.sh                    # N=2000, 5 rounds, wrk 5 s, best of REPEAT=3 walls
#   N=500 ROUNDS=3 WRK_SECONDS=3 bench/per-step.sh
#   BASELINE=/tmp/old/poscert-engine bench/per-step.sh
#
# Installs what is missing: nginx-light and wrk with apt-get (as root), hurl 8.0.1 with cargo
# (needs libclang-dev libcurl4-openssl-dev libxml2-dev; built in /tmp/hurl-target so it does not
# lock this workspace's target dir).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${N:-2000}
ROUNDS=${ROUNDS:-5}
WRK_SECONDS=${WRK_SECONDS:-5}
REPEAT=${REPEAT:-3}
HURL_VERSION=8.0.1
OUT=${OUT:-bench/out/per-step}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# ---- tools -----------------------------------------------------------------------------------
apt_install() { # packages...
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
  else
    echo "this benchmark needs: apt-get install -y $*" >&2
    exit 2
  fi
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { apt_install nginx-light || apt_install nginx; NGINX=$(command -v nginx || echo /usr/sbin/nginx); }
command -v wrk >/dev/null || apt_install wrk
if ! command -v hurl >/dev/null || ! hurl --version 2>/dev/null | head -1 | grep -q "hurl $HURL_VERSION"; then
  echo "installing hurl $HURL_VERSION (cargo install, a few minutes)..." >&2
  missing=()
  for pkg in libclang-dev libcurl4-openssl-dev libxml2-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  CARGO_TARGET_DIR=/tmp/hurl-target cargo install hurl --version "$HURL_VERSION" --locked >&2
fi
HURL=$(command -v hurl)
cargo build -q --release -p poscert-engine
cargo build -q --release -p poscert-engine --example http_floor
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
POSCERT="$TARGET/release/poscert-engine"
FLOOR="$TARGET/release/examples/http_floor"
# A custom target wants integrator credentials; these steps send no token, so any will do.
export POSCERT_CLIENT_ID=${POSCERT_CLIENT_ID:-bench-client} POSCERT_CLIENT_SECRET=${POSCERT_CLIENT_SECRET:-bench-secret-unused}

# ---- the server: nginx in the foreground, one worker, one static file ------------------------
WORK=$(mktemp -d /tmp/poscert-per-step.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/tmp"
STORE_ID=3b5c1f0e-6a2d-4e7b-9c84-2f1d5a7e9b10
printf '{"storeIds":["%s"],"pollDelayInMs":1000}' "$STORE_ID" >"$WORK/www/stores.json"
chmod -R a+rX "$WORK/www"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  # One connection carries every request of a run (nginx closes it after 1,000 by default).
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/www;
    location = /pos/v10/stores { default_type application/json; try_files /stores.json =404; }
  }
}
EOF
"$NGINX" -p "$WORK" -e "$WORK/error.log" -c "$WORK/nginx.conf" >"$OUT/nginx.log" 2>&1 &
NGINX_PID=$!
cleanup() {
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
BASE="http://127.0.0.1:$PORT"
POS="$BASE/pos/v10"
URL="$POS/stores"
for _ in $(seq 1 100); do curl -fs "$URL" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fs "$URL" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["storeIds"]) == 1 and d["pollDelayInMs"] == 1000, d' \
  || { echo "nginx does not serve $URL as expected (see $OUT/nginx.log, $WORK/error.log)" >&2; exit 1; }

# ---- the same requests in both formats -------------------------------------------------------
generate() { # count → $OUT/bench-<count>.hurl and $OUT/bench-<count>/case.yaml
  python3 - "$1" "$OUT" <<'PY'
import os, sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(f"{out}/bench-{n}.hurl", "w") as f:
    for _ in range(n):
        f.write("GET {{pos}}/stores\n"
                "HTTP 200\n[Asserts]\n"
                "jsonpath \"$.storeIds\" count == 1\n"
                "jsonpath \"$.pollDelayInMs\" == 1000\n\n")
os.makedirs(f"{out}/bench-{n}", exist_ok=True)
with open(f"{out}/bench-{n}/case.yaml", "w") as f:
    f.write(f"name: {n} GET requests of a static JSON file\nfeature: payments\nsteps:\n")
    for i in range(n):
        f.write(f"  - name: get {i + 1}\n"
                "    request:\n"
                "      url: \"{{pos}}/stores\"\n"
                "      target_headers: false\n"
                "    expect:\n"
                "      status: 200\n"
                "      json: { $.storeIds: { len: 1 }, $.pollDelayInMs: 1000 }\n")
PY
}
generate 1
generate "$N"

# Both must pass before they are timed (a failing run can be fast for the wrong reason).
for n in 1 "$N"; do
  "$HURL" --test --jobs 1 --variable "pos=$POS" "$OUT/bench-$n.hurl" >"$OUT/hurl-$n.log" 2>&1 \
    || { echo "hurl failed on $n requests, see $OUT/hurl-$n.log" >&2; exit 1; }
  (cd "$WORK" && "$POSCERT" "$OUT/bench-$n" --target "$BASE" --jobs 1 --report-json "$OUT/poscert-$n.json") >"$OUT/poscert-$n.log" 2>&1 \
    || { echo "poscert-engine failed on $n requests, see $OUT/poscert-$n.log" >&2; exit 1; }
  python3 - "$OUT/poscert-$n.json" "$n" <<'PY'
import json, sys
report, n = json.load(open(sys.argv[1])), int(sys.argv[2])
steps = [s for c in report["cases"] for s in c["steps"]]
sent = [a for s in steps for a in s.get("attempts", [])]
ok = [a for a in sent if (a.get("response") or {}).get("status") == 200]
passed = [s for s in steps if s["status"] == "passed"]
assert len(ok) == len(sent) == len(passed) == n, f"{len(sent)} sent, {len(ok)} answered 200, {len(passed)} steps passed, expected {n}"
PY
done

"$FLOOR" "$URL" "$N" || { echo "http_floor failed on $N requests" >&2; exit 1; }

# ---- timing ----------------------------------------------------------------------------------
BASELINE=${BASELINE:-}
if [ -n "$BASELINE" ]; then
  (cd "$WORK" && "$BASELINE" "$OUT/bench-$N" --target "$BASE" --jobs 1) >"$OUT/baseline-$N.log" 2>&1 \
    || { echo "the baseline $BASELINE failed on $N requests, see $OUT/baseline-$N.log" >&2; exit 1; }
fi
echo "timing: $ROUNDS rounds of wrk ${WRK_SECONDS}s, hurl and poscert on 1 and $N requests; $(nproc) cores" >&2
python3 - "$N" "$ROUNDS" "$WRK_SECONDS" "$URL" "$BASE" "$POS" "$HURL" "$POSCERT" "$BASELINE" "$OUT" "$WORK" \
  "$("$HURL" --version | head -1 | cut -d' ' -f1-2)" "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" "$REPEAT" "$FLOOR" <<'PY'
import os, re, resource, statistics, subprocess, sys, time
n, rounds, wrk_seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
url, base, pos, hurl, poscert, baseline, out, work, hurl_version, wrk_version = sys.argv[4:14]
repeat = int(sys.argv[14])
floor = sys.argv[15]

def run(cmd):  # (wall seconds, CPU seconds: user + system) of one run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode} while being timed")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def wall(cmd): return run(cmd)[0]

def hurl_cmd(k): return [hurl, "--test", "--jobs", "1", "--variable", f"pos={pos}", f"{out}/bench-{k}.hurl"]
def engine_cmd(binary): return lambda k: [binary, f"{out}/bench-{k}", "--target", base, "--jobs", "1"]

# CPU per extra request (the tool's own user + system time, start-up excluded) of the runs
# whose walls were kept: wall beyond CPU is waiting (on nginx, the loopback, the scheduler).
cpu = {}

def per_request(name, cmd):  # µs per extra request, start-up excluded; best of `repeat` runs of each
    one = min(run(cmd(1)) for _ in range(repeat))
    many = min(run(cmd(n)) for _ in range(repeat))
    cpu[name] = (many[1] - one[1]) / (n - 1) * 1e6
    return (many[0] - one[0]) / (n - 1) * 1e6

def wrk():
    p = subprocess.run(["wrk", "-c1", "-t1", f"-d{wrk_seconds}s", url],
                       capture_output=True, text=True, check=True)
    if "Non-2xx" in p.stdout or "Socket errors" in p.stdout:
        sys.exit("wrk saw errors:\n" + p.stdout)
    return 1e6 / float(re.search(r"Requests/sec:\s+([\d.]+)", p.stdout).group(1))

# reqwest: engine/examples/http_floor, the same requests and checks through the engine's HTTP
# stack (reqwest, hyper, tokio, serde_json) with nothing of the engine around them: the floor
# of any engine built on that stack. poscert/reqwest is then the engine's own share.
tools = [("wrk", wrk), ("poscert", lambda: per_request("poscert", engine_cmd(poscert))),
         ("hurl", lambda: per_request("hurl", hurl_cmd)),
         ("reqwest", lambda: per_request("reqwest", lambda k: [floor, url, str(k)]))]
ratios = [("poscert/wrk", "poscert", "wrk"), ("poscert/hurl", "poscert", "hurl"),
          ("reqwest/wrk", "reqwest", "wrk"), ("poscert/reqwest", "poscert", "reqwest")]
if baseline:
    tools.append(("before", lambda: per_request("before", engine_cmd(baseline))))
    ratios.append(("before/wrk", "before", "wrk"))
    ratios.append(("poscert/before", "poscert", "before"))

# one warm-up of each (page cache, nginx, CPU frequency)
wall(hurl_cmd(n)); wall(engine_cmd(poscert)(n)); wall([floor, url, str(n)])
if baseline:
    wall(engine_cmd(baseline)(n))
timed = [name for name, _ in tools if name != "wrk"]
head = [f"{name} µs" for name, _ in tools] + [f"{name} cpu" for name in timed] + [r for r, _, _ in ratios]
width = len(tools) + len(timed)
fmt = lambda row: "".join(f"{v:>16.1f}" if i < width else f"{v:>16.2f}" for i, v in enumerate(row))
print(f"{'round':>6}" + "".join(f"{h:>16}" for h in head))
rows = []
for r in range(1, rounds + 1):
    t = {name: f() for name, f in tools}
    row = [t[name] for name, _ in tools] + [cpu[name] for name in timed] + [t[a] / t[b] for _, a, b in ratios]
    rows.append(row)
    print(f"{r:>6}" + fmt(row), flush=True)
for label, f in (("min", min), ("median", statistics.median)):
    print(f"{label:>6}" + fmt([f(c) for c in zip(*rows)]))
print(f"{n} sequential GETs of a static JSON file from nginx on loopback, status + 2 JSONPath assertions "
      f"each; wrk -c1 -t1 {wrk_seconds}s: 1 / (requests/s); poscert, hurl: (wall {n} - wall 1) / {n - 1}, "
      f"best of {repeat} walls each; cpu: user + system µs per extra request in those runs "
      f"(wall beyond it is waiting on nginx, the loopback and the scheduler); "
      f"ratios within a round ({hurl_version}, {wrk_version}, {os.cpu_count()} cores)")
PY
