#!/usr/bin/env bash
# Regenerates fuzz/seeds/<target>/ and the dictionaries from the project's own files: the
# certification cases, fragments and feature files, examples/poscert.yaml, templates and
# JSONPath matchers taken from the cases, emulator request bodies, and adapter answer lines
# from docs/adapter-protocol.md. Seeds that reproduced a crash (fuzz/seeds/*/crash-*) are kept.
# Usage: fuzz/make-seeds.sh   (from anywhere; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - <<'PY'
import glob, hashlib, json, os, re

SEEDS = "fuzz/seeds"

def reset(target):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("crash-"):
            os.remove(os.path.join(d, f))
    return d

def put(d, name, data):
    if isinstance(data, str):
        data = data.encode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:60]
    with open(os.path.join(d, f"{name}-{hashlib.sha1(data).hexdigest()[:8]}"), "wb") as f:
        f.write(data)

def read(p):
    with open(p, encoding="utf-8") as f:
        return f.read()

cases = sorted(p for p in glob.glob("scenarios/**/*.yaml", recursive=True)
               if "/fragments/" not in p and not p.endswith("feature.yaml"))
fragments = sorted(glob.glob("scenarios/fragments/*.yaml"))
features = sorted(glob.glob("scenarios/*/feature.yaml"))

# case_loader: every case; every fragment (behind a small case, see the target); every
# feature.yaml behind the first case of its feature.
d = reset("case_loader")
for p in cases:
    put(d, os.path.basename(p), read(p))
for p in fragments:
    put(d, "fragment-" + os.path.basename(p),
        "name: uses f\nfeature: payments\nsteps:\n  - use: fragments/f.yaml\n#@fragment\n" + read(p))
for p in features:
    feature = os.path.basename(os.path.dirname(p))
    first = next((c for c in cases if f"/{feature}/" in c), None)
    if first:
        put(d, "feature-" + feature, read(first) + "\n#@feature\n" + read(p))

# yaml_direct: every YAML file of the repository (both YAML paths on each), plus documents
# that must leave the direct path (anchors, tags, odd scalars).
d = reset("yaml_direct")
for p in sorted(glob.glob("**/*.yaml", recursive=True)):
    if p.startswith(("target/", "fuzz/", "bench/out/")):
        continue
    put(d, p.replace("/", "_"), read(p))
for i, doc in enumerate(["a: &x 1\nb: *x\n", "a: !tag 1\n", "a: Null\nb: +1\nc: 0x1f\n",
                         "? a\n: b\n", "{a: 1, b}\n", "- 007\n- .inf\n- -0\n", "a: 1\na: 2\n"]):
    put(d, f"tricky-{i}", doc)

# config_yaml: the example configuration, and a secrets file.
d = reset("config_yaml")
put(d, "poscert.yaml", read("examples/poscert.yaml"))
put(d, "minimal", "identity:\n  systemName: Till\n  version: 1.0.0\n")
put(d, "secrets", "clientId: abc\nclientSecret: def\n")

# template_render: every distinct template of the cases and fragments, with a scope.
d = reset("template_render")
scope = json.dumps({"posId": "a1b2", "paymentId": "p1", "amount": 12.5, "orderId": "o-1",
                    "storeId": "s1", "beaconId": "100000000000042", "flag": True,
                    "none": None, "payment": {"status": "Reserved", "amount": 12.5},
                    "list": [1, 2, 3]})
templates = set()
for p in cases + fragments + features:
    for m in re.finditer(r"""['"]?([^'"\n]*\{\{.*?\}\}[^'"\n]*)['"]?\s*$""", read(p), re.M):
        t = m.group(1).strip()
        t = re.sub(r"^[-\w$.\[\]'@?=\s]*:\s+", "", t) if not t.startswith("{{") else t
        templates.add(t.strip("'\""))
for t in sorted(templates):
    put(d, "t", t.replace("\n", "\\n") + "\n" + scope)
for t in ['{{now "%Y%m%d"}}', "{{digits 8}}", "{{uuid}}", "{{json payment}}",
          '{{#if (has "posId")}}yes{{else}}no{{/if}}', "{{#each list}}{{this}},{{/each}}",
          "{{len list}}", "{{lookup payment \"status\"}}", "{{eq amount 12.5}}"]:
    put(d, "helper", t + "\n" + scope)

# matchers_jsonpath: every `$.path: matcher` line of the cases, against a payment document.
d = reset("matchers_jsonpath")
doc = json.dumps({"paymentId": "p1", "posId": "a1b2", "status": "Reserved", "amount": 12.5,
                  "currencyCode": "DKK", "pollDelayInMs": 1000, "storeIds": ["s1", "s2"],
                  "partialCapturePossible": True, "restrictions": None,
                  "refunds": [{"refundId": "r1", "status": "Captured", "amount": 2}]})
seen = set()
for p in cases + fragments:
    for m in re.finditer(r"^\s*['\"]?(\$[^:'\"]*)['\"]?:\s*(.+)$", read(p), re.M):
        key = (m.group(1), m.group(2))
        if key not in seen:
            seen.add(key)
            put(d, "m", f"{m.group(1)}\n{m.group(2)}\n#@json\n{doc}")
for path, matcher in [("$.status", "{ in: [Reserved, Captured] }"), ("$.amount", "{ gt: 1, lte: 12.5 }"),
                      ("$.storeIds", "{ len: { gte: 1 }, contains: s1 }"), ("$.paymentId", "{ matches: '^p[0-9]+$' }"),
                      ("$.refunds[?@.status == 'Captured'].amount", "{ type: number }"),
                      ("$..refundId", "{ exists: true }"), ("$.posId", "'{{posId}}'")]:
    put(d, "m", f"{path}\n{matcher}\n#@json\n{doc}")

# adapter_answer: byte 0 picks the request id (0 → 1), the rest is the line.
d = reset("adapter_answer")
lines = set(re.findall(r'^\{"id":1,"outcome".*\}$', read("docs/adapter-protocol.md"), re.M))
lines |= {'{"id":1,"outcome":"done","values":{"paymentId":"a1d15dc0"},"message":"initiated"}',
          '{"id":1,"outcome":"failed","message":"no store"}',
          '{"id":1,"outcome":"skipped","message":"not supported","values":null}',
          '{"id":2,"outcome":"done"}', '{"id":5,"outcome":"done"}', "   ",
          '{"id":1,"outcome":"done","values":{"posId":"x","beaconId":"y","callbackUrl":"http://127.0.0.1:1/cb"}}'}
for line in sorted(lines):
    put(d, "answer", b"\x00" + line.encode())

# emulator_router: byte 0 the endpoint (index into the target's list), byte 1 the flags
# (0x1f: token, version, fresh idempotency key, simulation credentials, content type).
d = reset("emulator_router")
bodies = [
    (0, "grant_type=client_credentials&merchant_vat=DK90000028"),
    (1, '{"merchantPosId":"pos-1","storeId":"$STORE","name":"Till 1","beaconId":"123456789012345","supportedBeaconTypes":["QR"]}'),
    (1, '{"merchantPosId":"pos-2","storeId":"$STORE","name":"Till 2","callbackAlias":"cb","requirePaymentBeforeCheckin":true}'),
    (2, '{"posId":"$POS","orderId":"order-1","amount":12.5,"currencyCode":"DKK","plannedCaptureDelay":"None"}'),
    (2, '{"posId":"$POS","orderId":"order-2","amount":0.01,"currencyCode":"EUR","restrictions":{"debitCardDisallowed":true,"creditCardDisallowed":false},"merchantPaymentLabel":"x"}'),
    (3, '{"posId":"$POS","orderId":"prep-1"}'),
    (4, '{"paymentId":"$PAYMENT","refundOrderId":"refund-1","amount":1.5,"currencyCode":"DKK"}'),
    (5, '{"beaconId":"$BEACON","phoneNumber":"+4520031801"}'),
    (6, '{"beaconId":"$BEACON","phoneNumber":"+4520031801","paymentSource":"credit"}'),
    (7, '{"beaconId":"$BEACON"}'),
]
for pick, body in bodies:
    put(d, f"req-{pick}", bytes([pick, 0x1F]) + b"\n" + body.encode())
put(d, "req-headers", bytes([2, 0x1B]) + b"x-mobilepay-idempotency-key: abc\nx-mobilepay-merchant-vat-number: DK90000028\n\n" + bodies[3][1].encode())
put(d, "req-selfcert", bytes([0x82, 0x1F]) + b"\n" + bodies[3][1].encode())
put(d, "req-no-auth", bytes([1, 0x00]) + b"\nnot json")

# Dictionaries: the language's keys from the engine's own lists, and HTTP/JSON words.
src = read("engine/src/scenario/convert/mod.rs") + read("engine/src/config/parse.rs")
words = set()
for m in re.finditer(r"pub const \w+: &\[&str\] = &\[(.*?)\];", src, re.S):
    words |= set(re.findall(r'"([^"]+)"', m.group(1)))
words |= set(re.findall(r'"([a-z-]+)"', read("engine/src/scenario/catalogue.rs")))
helpers = ["uuid", "now", "digits", "json", "has", "eq", "ne", "gt", "gte", "lt", "lte",
           "and", "or", "not", "len", "lookup", "#if", "#unless", "#each", "#with", "else", "this"]
tokens = ["{{", "}}", "{{#", "{{/", "{{{", "}}}", "{{!", "{{>", "\\{{", "../", "@index", "- ", ": ",
          "\n  ", "\n    - ", "---", "...", "&a", "*a", "<<: ", "!!str", "!!binary", "|\n", ">-\n", "? ",
          "[", "]", "{", "}", "'", '"', "#", "~", "$.", "$..", "[*]", "[?@.", " == ", "#@fragment\n",
          "#@feature\n", "#@json\n", "fragments/f.yaml", "1ms", "2m", "500ms", "emulator", "sandbox",
          "advisory", "cashier", "customer", "true", "false", "null", "~"]
def line(t):
    # libFuzzer's dictionary escapes: \\, \" and \xNN only.
    out = ""
    for b in t.encode():
        c = chr(b)
        out += "\\" + c if c in '\\"' else c if 32 <= b < 127 else "\\x%02X" % b
    return '"' + out + '"'
with open("fuzz/poscert.dict", "w") as f:
    f.write("# Generated by fuzz/make-seeds.sh: scenario and poscert.yaml keys, matcher names,\n"
            "# catalogue actions, template helpers, YAML, template and JSONPath syntax.\n")
    for w in sorted(words):
        f.write(line(w + ":") + "\n")
        f.write(line(w) + "\n")
    for w in helpers + tokens:
        f.write(line(w) + "\n")
http = set(re.findall(r'"([A-Za-z]+)"', read("emulator/src/routes.rs")))
http |= {"authorization", "Bearer ", "Basic ", "x-ibm-client-id", "x-ibm-client-secret",
         "x-mobilepay-client-system-version", "x-mobilepay-merchant-vat-number",
         "x-mobilepay-idempotency-key", "content-type", "content-length", "application/json",
         "grant_type", "client_credentials", "merchant_vat", "DK90000028", "FI90000040", "DKK", "EUR",
         "$POS", "$PAYMENT", "$STORE", "$BEACON", "+4520031801", "+4520031802", "QR", "NFC",
         "debit", "credit", "None", "id", "outcome", "done", "failed", "skipped", "values", "message",
         "null", "true", "false", "1e309", "-0", "0.001", "\\u0000", "{", "}", "[", "]", ":", ",", "\n\n"}
with open("fuzz/http.dict", "w") as f:
    f.write("# Generated by fuzz/make-seeds.sh: PoS API headers, JSON fields and values, and the\n"
            "# adapter protocol's answer fields.\n")
    for w in sorted(http):
        f.write(line(w) + "\n")
        if w.isalpha():
            f.write(line('"' + w + '":') + "\n")
for t in sorted(os.listdir(SEEDS)):
    print(t, len(os.listdir(os.path.join(SEEDS, t))), "seeds")
PY
