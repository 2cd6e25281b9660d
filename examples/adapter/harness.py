#!/usr/bin/env python3
"""An example poscert adapter harness: a small MobilePay PoS API v10 client driven over JSON lines.

poscert starts this once per certification case (`--client adapter --adapter CMD`), writes one
request per cashier action on stdin and reads one answer per request on stdout (see
docs/adapter-protocol.md). The harness plays the POS client the way a shop's till would: it
gets its own token, sends the PoS headers, uses MobilePay's documented timeouts, retries
timeouts and 5xx with the same idempotency key, polls at the pace the API asks for, cleans up
an active payment on 409/1301, and keeps working in the background (a thread per payment or
refund) after it has answered the action that started the work.

Python 3 standard library only. Logs go to stderr (poscert keeps the last lines as evidence);
stdout carries nothing but answers.

POSCERT_ADAPTER_DEFECT=<name> makes the client misbehave in one way, to prove that the
certification cases catch it (see README.md in this folder for the list).
"""

import base64
import json
import os
import socket
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import http.client

DEFECTS = {
    "new-idempotency-key-on-retry": "retries a create with a new idempotency key",
    "poll-too-fast": "polls every 100 ms whatever pollDelayInMs says",
    "capture-without-reserved": "captures right after initiating, before the payment is Reserved",
    "give-up-on-1301": "gives up when initiate meets 409/1301 instead of cleaning up",
    "no-cancel-on-restriction-failure": "answers the cashier's cancel of a restricted payment but never sends it",
}
DEFECT = os.environ.get("POSCERT_ADAPTER_DEFECT", "").strip()

# MobilePay's documented client behaviour (notes §2.4): 2 s for POST/DELETE, 0.5 s for GET,
# retry network errors, timeouts and 5xx (at most 5 retries; we do 3).
WRITE_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 0.5
ATTEMPTS = 4
RETRY_PAUSE_S = 0.2
TOO_FAST_POLL_S = 0.1

ACTIVE = {"Prepared", "Paired", "Initiated", "IssuedToUser"}
FINAL_PAYMENT = {"Captured", "CancelledByUser", "CancelledByClient", "CancelledByMobilePay", "ExpiredAndCancelled"}
FINAL_REFUND = {"Captured", "CancelledByClient", "CancelledByMobilePay", "ExpiredAndCaptured"}

_out_lock = threading.Lock()


def log(message):
    stamp = time.strftime("%H:%M:%S") + ".%03d" % (int(time.time() * 1000) % 1000)
    sys.stderr.write("%s harness: %s\n" % (stamp, message))
    sys.stderr.flush()


def answer(req_id, outcome, values=None, message=None):
    line = {"id": req_id, "outcome": outcome, "values": values or {}}
    if message:
        line["message"] = message
    with _out_lock:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


class ActionFailed(Exception):
    """The action could not be done; the message goes to the cashier (and to poscert)."""


class Transient(Exception):
    """Timeouts, connection errors or 5xx that outlasted every retry."""


class Response:
    def __init__(self, status, body):
        self.status = status
        self.body = body if body is not None else {}

    @property
    def code(self):
        if isinstance(self.body, dict):
            for key in ("code", "Code"):
                if key in self.body:
                    return str(self.body[key])
        return None

    @property
    def text(self):
        if isinstance(self.body, dict):
            return self.body.get("message") or self.body.get("Message") or ""
        return ""

    def describe(self):
        code = self.code
        return "%d%s%s" % (self.status, "/" + code if code else "", ": " + self.text if self.text else "")


def num(value):
    if isinstance(value, str):
        return float(value)
    return value


class PosClient:
    """The HTTP side of the till: token, PoS headers, timeouts, retries."""

    def __init__(self, target):
        self.base = target["baseUrl"].rstrip("/")
        self.token_url = target["tokenUrl"]
        self.client_id = target["clientId"]
        self.client_secret = target["clientSecret"]
        self.merchant_vat = target.get("merchantVat")
        self.version = target.get("clientVersion") or "1.0.0"
        timeout_ms = target.get("clientTimeoutMs")
        self.write_timeout = timeout_ms / 1000.0 if timeout_ms else WRITE_TIMEOUT_S
        self.read_timeout = READ_TIMEOUT_S
        self.path_prefix = urllib.parse.urlparse(self.base).path
        self._token = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()

    # -- authentication -------------------------------------------------------------------
    def token(self, renew=False):
        with self._token_lock:
            if self._token and not renew and time.time() < self._token_expires - 60:
                return self._token
            basic = base64.b64encode(("%s:%s" % (self.client_id, self.client_secret)).encode()).decode()
            form = {"grant_type": "client_credentials"}
            if self.merchant_vat:
                form["merchant_vat"] = self.merchant_vat
            data = urllib.parse.urlencode(form).encode()
            last = None
            for attempt in range(ATTEMPTS):
                req = urllib.request.Request(self.token_url, data=data, method="POST", headers={
                    "Authorization": "Basic " + basic,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                })
                try:
                    with urllib.request.urlopen(req, timeout=self.write_timeout) as resp:
                        body = json.loads(resp.read().decode() or "{}")
                    self._token = body["access_token"]
                    self._token_expires = time.time() + float(body.get("expires_in", 3600))
                    log("token: got a new access token")
                    return self._token
                except urllib.error.HTTPError as e:
                    if e.code < 500:
                        raise ActionFailed("the token endpoint refused our credentials (%d)" % e.code)
                    last = "status %d" % e.code
                except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as e:
                    last = str(e)
                time.sleep(RETRY_PAUSE_S)
            raise Transient("no token after %d attempts (%s)" % (ATTEMPTS, last))

    # -- one request ----------------------------------------------------------------------
    def _send(self, method, path, body, query, key, timeout):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {
            "Authorization": "Bearer " + self.token(),
            "X-MobilePay-Client-System-Version": self.version,
            "Accept": "application/json",
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["X-MobilePay-Idempotency-Key"] = key
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            parsed = json.loads(raw.decode()) if raw else None
        except ValueError:
            parsed = None
        return Response(status, parsed)

    def call(self, method, path, body=None, query=None, key=None, attempts=ATTEMPTS):
        """One logical call: retried on timeouts, connection errors and 5xx with the SAME
        idempotency key (a new key would make the API treat the retry as a new request)."""
        timeout = self.read_timeout if method == "GET" else self.write_timeout
        renewed = False
        last = None
        attempt = 0
        while attempt < attempts:
            if attempt > 0:
                time.sleep(RETRY_PAUSE_S)
                if key and DEFECT == "new-idempotency-key-on-retry":
                    key = str(uuid.uuid4())
                    log("DEFECT new-idempotency-key-on-retry: retrying with a new key %s" % key[:8])
            attempt += 1
            started = time.time()
            try:
                resp = self._send(method, path, body, query, key, timeout)
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as e:
                reason = getattr(e, "reason", e)
                last = "timed out" if isinstance(reason, (socket.timeout, TimeoutError)) else str(reason)
                log("%s %s -> %s after %d ms (attempt %d%s)" % (
                    method, self.path_prefix + path, last, (time.time() - started) * 1000, attempt,
                    ", key " + key[:8] if key else ""))
                continue
            log("%s %s -> %s (%d ms, attempt %d%s)" % (
                method, self.path_prefix + path, resp.describe(), (time.time() - started) * 1000, attempt,
                ", key " + key[:8] if key else ""))
            if resp.status == 401 and not renewed:
                # Tokens expire; get a new one and send the same request again (not a retry).
                self.token(renew=True)
                renewed = True
                attempt -= 1
                continue
            if resp.status >= 500:
                last = resp.describe()
                continue
            return resp
        raise Transient("%s %s failed %d times (last: %s)" % (method, path, attempts, last))

    def get(self, path, query=None, attempts=ATTEMPTS):
        return self.call("GET", path, query=query, attempts=attempts)


class PaymentJob(threading.Thread):
    """Follows one payment in the background the way a till does: polls at the API's pace
    until it is final; when Reserved, captures (or leaves it to the cashier's cancel)."""

    def __init__(self, harness, payment_id, prepared=False):
        super().__init__(daemon=True, name="payment-" + payment_id[:8])
        self.h = harness
        self.payment_id = payment_id
        self.lock = threading.Lock()
        self.amount = None
        self.capture_amount = None
        self.restrictions = None
        self.ready = not prepared
        self.cancelled = False
        self.status = None
        self.delay = 1.0
        self.finished = threading.Event()

    def set_sale(self, amount, capture_amount, restrictions):
        with self.lock:
            self.amount = num(amount)
            self.capture_amount = num(capture_amount) if capture_amount is not None else None
            self.restrictions = restrictions
            self.ready = True

    def restricted(self):
        r = self.restrictions or {}
        return bool(r.get("debitCardDisallowed") or r.get("creditCardDisallowed"))

    def poll_once(self):
        """One poll; returns False once there is nothing more to follow."""
        try:
            resp = self.h.client.get("/payments/" + self.payment_id, attempts=1)
        except Transient:
            return True  # no answer: keep polling with the last pollDelayInMs
        if resp.status == 404:
            log("payment %s is gone (404); stop following it" % self.payment_id[:8])
            return False
        if resp.status != 200:
            return True
        body = resp.body
        self.status = body.get("status")
        if isinstance(body.get("pollDelayInMs"), (int, float)):
            self.delay = body["pollDelayInMs"] / 1000.0
        if self.status in FINAL_PAYMENT:
            log("payment %s is %s; stop polling" % (self.payment_id[:8], self.status))
            return False
        if self.status == "Paired" and body.get("loyaltyIds"):
            log("payment %s paired; loyalty ids %s" % (self.payment_id[:8], body.get("loyaltyIds")))
        if self.status == "Reserved":
            return self.on_reserved(body)
        return True

    def on_reserved(self, body):
        # Held across the capture so that a cashier's cancel waits for it and sees the outcome.
        with self.lock:
            if self.cancelled or not self.ready:
                return True  # the cashier is cancelling it; follow it to CancelledByClient
            amount = self.amount if self.amount is not None else num(body.get("amount"))
            wanted = self.capture_amount if self.capture_amount is not None else amount
            partial = abs(wanted - amount) > 0.001
            if partial and not body.get("partialCapturePossible"):
                # Notes §5.9: partial capture is not possible on this card; take the full amount.
                log("payment %s: partial capture not possible; capturing the full amount %s" % (self.payment_id[:8], amount))
                wanted = amount
            try:
                resp = self.h.client.call("POST", "/payments/%s/capture" % self.payment_id, body={"amount": wanted})
            except Transient as e:
                log("payment %s: capture failed: %s" % (self.payment_id[:8], e))
                return True
        if resp.status == 200:
            log("payment %s captured %s; done with it" % (self.payment_id[:8], wanted))
            self.status = "Captured"
            return False  # captured is final: no more polling
        log("payment %s: capture answered %s" % (self.payment_id[:8], resp.describe()))
        return resp.code == "1304"  # not reserved (any more): look again

    def run(self):
        try:
            while True:
                delay = TOO_FAST_POLL_S if DEFECT == "poll-too-fast" else self.delay
                time.sleep(delay)
                if not self.poll_once():
                    break
        except Exception:  # a background job must never take the harness down
            log("payment %s: %s" % (self.payment_id[:8], traceback.format_exc()))
        finally:
            self.finished.set()


class RefundJob(threading.Thread):
    """Follows one refund: polls at the API's pace until Reserved, captures it, stops."""

    def __init__(self, harness, refund_id, capture=True):
        super().__init__(daemon=True, name="refund-" + refund_id[:8])
        self.h = harness
        self.refund_id = refund_id
        self.lock = threading.Lock()
        self.cancelled = False
        self.capture = capture
        self.delay = 0.1

    def poll_once(self):
        try:
            resp = self.h.client.get("/refunds/" + self.refund_id, attempts=1)
        except Transient:
            return True
        if resp.status == 404:
            return False
        if resp.status != 200:
            return True
        body = resp.body
        status = body.get("status")
        if isinstance(body.get("pollDelayInMs"), (int, float)):
            self.delay = body["pollDelayInMs"] / 1000.0
        if status in FINAL_REFUND:
            log("refund %s is %s; stop polling" % (self.refund_id[:8], status))
            return False
        if status == "Reserved":
            if not self.capture:
                log("refund %s is Reserved; left for the cashier to cancel (captureRefund: false)" % self.refund_id[:8])
                return False
            with self.lock:
                if self.cancelled:
                    return True
                try:
                    resp = self.h.client.call("POST", "/refunds/%s/capture" % self.refund_id)
                except Transient as e:
                    log("refund %s: capture failed: %s" % (self.refund_id[:8], e))
                    return True
            if resp.status == 200:
                log("refund %s captured; done with it" % self.refund_id[:8])
                return False
            return resp.code == "1351"
        return True

    def run(self):
        try:
            first = True
            while True:
                if not first:
                    time.sleep(TOO_FAST_POLL_S if DEFECT == "poll-too-fast" else self.delay)
                first = False
                if not self.poll_once():
                    break
        except Exception:
            log("refund %s: %s" % (self.refund_id[:8], traceback.format_exc()))


class Harness:
    def __init__(self):
        self.client = None
        self.payments = {}
        self.refunds = {}

    # -- the protocol ---------------------------------------------------------------------
    def handle(self, request):
        action = request.get("action")
        if self.client is None:
            self.client = PosClient(request["target"])
        if request.get("role") != "cashier":
            return "skipped", {}, "this harness plays the POS client only, not the %s" % request.get("role")
        handler = getattr(self, "do_" + str(action).replace("-", "_"), None)
        if handler is None:
            return "skipped", {}, "this harness does not implement %s" % action
        return handler(request.get("params") or {}, request.get("vars") or {})

    # -- onboarding -----------------------------------------------------------------------
    def do_onboard_pos(self, p, v):
        c = self.client
        stores = c.get("/stores", {"merchantBrandId": p["merchantBrandId"], "merchantLocationId": p["merchantLocationId"]})
        ids = stores.body.get("storeIds") if stores.status == 200 else None
        if not ids or len(ids) != 1:
            raise ActionFailed("no single store for brand %s, location %s (%s)" % (
                p["merchantBrandId"], p["merchantLocationId"], stores.describe()))
        store_id = ids[0]
        # The recommended start-up sequence: look the PoS up by merchantPosId before creating it.
        pos_id = self.find_pos(p["merchantPosId"])
        if pos_id:
            log("PoS %s already exists (%s); using it" % (p["merchantPosId"], pos_id[:8]))
        else:
            body = {
                "merchantPosId": p["merchantPosId"],
                "storeId": store_id,
                "name": p["name"],
                "supportedBeaconTypes": p.get("supportedBeaconTypes") or ["QR"],
            }
            if p.get("beaconId"):
                body["beaconId"] = p["beaconId"]
            resp = c.call("POST", "/pointofsales", body=body, key=str(uuid.uuid4()))
            if resp.status == 200:
                pos_id = resp.body["posId"]
            elif resp.status == 409 and resp.code == "1200":
                # It exists after all (an earlier attempt went through): reconcile by looking it up.
                pos_id = self.find_pos(p["merchantPosId"])
                if not pos_id:
                    raise ActionFailed("create said the PoS exists (1200) but no PoS has merchantPosId %s" % p["merchantPosId"])
            else:
                raise ActionFailed("could not create the PoS: " + resp.describe())
        beacon = p.get("beaconId")
        if not beacon:
            pos = c.get("/pointofsales/" + pos_id)
            beacon = pos.body.get("beaconId") if pos.status == 200 else None
        return "done", {"posId": pos_id, "beaconId": beacon, "storeId": store_id}, None

    def find_pos(self, merchant_pos_id):
        resp = self.client.get("/pointofsales", {"merchantPosId": merchant_pos_id})
        if resp.status == 200 and resp.body.get("posIds"):
            return resp.body["posIds"][0]
        return None

    def do_offboard_pos(self, p, v):
        pos_id = p["posId"]
        c = self.client
        # Retries by hand: a 404 on a retry means an earlier attempt deleted it.
        last = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                resp = c.call("DELETE", "/pointofsales/" + pos_id, attempts=1)
            except Transient as e:
                last = str(e)
                time.sleep(RETRY_PAUSE_S)
                continue
            if resp.status == 200:
                return "done", {}, None
            if resp.status == 404:
                return "done", {}, "the PoS is gone" + (" (an earlier attempt deleted it)" if attempt > 1 else "")
            raise ActionFailed("could not delete the PoS: " + resp.describe())
        raise ActionFailed("could not delete the PoS after %d attempts (%s)" % (ATTEMPTS, last))

    # -- payments -------------------------------------------------------------------------
    def create_payment(self, path, body, kind):
        """POST /payments or /payments/prepare; on 409/1301 clean up the active payment on the
        PoS (find it, cancel it) and try once more with a new idempotency key."""
        c = self.client
        for round_ in (1, 2):
            resp = c.call("POST", path, body=body, key=str(uuid.uuid4()))
            if resp.status == 200:
                return resp.body["paymentId"]
            if resp.status == 409 and resp.code == "1301" and round_ == 1:
                if DEFECT == "give-up-on-1301":
                    log("DEFECT give-up-on-1301: not cleaning up the active payment")
                    raise ActionFailed("cannot %s: a payment is already active on the PoS (409/1301)" % kind)
                self.cancel_active_payments(body["posId"])
                continue
            raise ActionFailed("could not %s: %s" % (kind, resp.describe()))
        raise ActionFailed("could not %s: a payment is still active on the PoS after cancelling it" % kind)

    def cancel_active_payments(self, pos_id):
        c = self.client
        listed = c.get("/payments", {"posId": pos_id})
        ids = listed.body.get("paymentIds", []) if listed.status == 200 else []
        for pid in ids:
            one = c.get("/payments/" + pid)
            status = one.body.get("status") if one.status == 200 else None
            if status not in ACTIVE:
                continue  # a Reserved payment does not block a new one; its own job settles it
            job = self.payments.get(pid)
            if job:
                with job.lock:
                    job.cancelled = True
            log("cleaning up active payment %s (%s) before starting a new one" % (pid[:8], status))
            resp = c.call("POST", "/payments/%s/cancel" % pid)
            if resp.status != 200:
                raise ActionFailed("could not cancel the active payment %s: %s" % (pid, resp.describe()))

    def start_job(self, payment_id, prepared):
        job = PaymentJob(self, payment_id, prepared=prepared)
        self.payments[payment_id] = job
        return job

    def do_start_payment(self, p, v):
        body = {
            "posId": p["posId"],
            "orderId": p["orderId"],
            "amount": num(p["amount"]),
            "currencyCode": p.get("currencyCode") or "DKK",
            "plannedCaptureDelay": "None",
        }
        if p.get("restrictions") is not None:
            body["restrictions"] = p["restrictions"]
        payment_id = self.create_payment("/payments", body, "initiate the payment")
        job = self.start_job(payment_id, prepared=False)
        job.set_sale(p["amount"], p.get("captureAmount"), p.get("restrictions"))
        self.after_issue(job)
        return "done", {"paymentId": payment_id}, None

    def after_issue(self, job):
        """The payment is with the customer: look at it once, then follow it in the background."""
        if DEFECT == "capture-without-reserved":
            log("DEFECT capture-without-reserved: capturing %s at once" % job.payment_id[:8])
            try:
                self.client.call("POST", "/payments/%s/capture" % job.payment_id, body={"amount": job.amount})
            except Transient:
                pass
        if job.poll_once():
            job.start()
        else:
            job.finished.set()

    def do_prepare_payment(self, p, v):
        body = {"posId": p["posId"], "orderId": p["orderId"]}
        payment_id = self.create_payment("/payments/prepare", body, "prepare the payment")
        job = self.start_job(payment_id, prepared=True)
        # Poll for pairing (check-in) until the cashier finishes the sale with payment-ready.
        if job.poll_once():
            job.start()
        else:
            job.finished.set()
        return "done", {"paymentId": payment_id}, None

    def do_payment_ready(self, p, v):
        payment_id = p["paymentId"]
        body = {
            "amount": num(p["amount"]),
            "currencyCode": p.get("currencyCode") or "DKK",
            "plannedCaptureDelay": "None",
        }
        if p.get("restrictions") is not None:
            body["restrictions"] = p["restrictions"]
        job = self.payments.get(payment_id)
        resp = self.client.call("POST", "/payments/%s/ready" % payment_id, body=body)
        if resp.status != 200:
            raise ActionFailed("could not mark the payment ready: " + resp.describe())
        if job is None or job.finished.is_set():
            job = self.start_job(payment_id, prepared=True)
            job.set_sale(p["amount"], p.get("captureAmount"), p.get("restrictions"))
            self.after_issue(job)
        else:
            job.set_sale(p["amount"], p.get("captureAmount"), p.get("restrictions"))
            if DEFECT == "capture-without-reserved":
                log("DEFECT capture-without-reserved: capturing %s at once" % payment_id[:8])
                try:
                    self.client.call("POST", "/payments/%s/capture" % payment_id, body={"amount": job.amount})
                except Transient:
                    pass
        return "done", {}, None

    def do_cancel_payment(self, p, v):
        payment_id = p["paymentId"]
        job = self.payments.get(payment_id)
        if job:
            with job.lock:
                job.cancelled = True
            if DEFECT == "no-cancel-on-restriction-failure" and job.restricted():
                log("DEFECT no-cancel-on-restriction-failure: not sending the cancel of %s" % payment_id[:8])
                return "done", {}, None
        resp = self.client.call("POST", "/payments/%s/cancel" % payment_id)
        if resp.status == 200:
            return "done", {}, None
        raise ActionFailed("could not cancel the payment: " + resp.describe())

    # -- refunds --------------------------------------------------------------------------
    def do_start_refund(self, p, v):
        body = {
            "paymentId": p["paymentId"],
            "refundOrderId": p["refundOrderId"],
            "amount": num(p["amount"]),
            "currencyCode": p.get("currencyCode") or "DKK",
        }
        resp = self.client.call("POST", "/refunds", body=body, key=str(uuid.uuid4()))
        if resp.status != 200:
            raise ActionFailed("could not create the refund: " + resp.describe())
        refund_id = resp.body["refundId"]
        job = RefundJob(self, refund_id, capture=p.get("captureRefund") is not False)
        self.refunds[refund_id] = job
        job.start()
        return "done", {"refundId": refund_id}, None

    def do_cancel_refund(self, p, v):
        refund_id = p["refundId"]
        job = self.refunds.get(refund_id)
        if job:
            job.lock.acquire()
        try:
            if job:
                job.cancelled = True
            resp = self.client.call("POST", "/refunds/%s/cancel" % refund_id)
        finally:
            if job:
                job.lock.release()
        if resp.status == 200:
            return "done", {}, None
        raise ActionFailed("could not cancel the refund: " + resp.describe())


def main():
    if DEFECT and DEFECT not in DEFECTS:
        sys.stderr.write("harness: unknown POSCERT_ADAPTER_DEFECT %r; known: %s\n" % (DEFECT, ", ".join(sorted(DEFECTS))))
        return 2
    if DEFECT:
        log("running with the injected defect %s: %s" % (DEFECT, DEFECTS[DEFECT]))
    harness = Harness()
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0  # stdin closed: the case is over
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError:
            log("ignoring a line that is not JSON")
            continue
        req_id = request.get("id")
        action = request.get("action")
        log("-> %s %s" % (action, json.dumps(request.get("params") or {})))
        try:
            outcome, values, message = harness.handle(request)
        except ActionFailed as e:
            outcome, values, message = "failed", {}, str(e)
        except Transient as e:
            outcome, values, message = "failed", {}, "the API did not answer: %s" % e
        except Exception as e:  # a bug here must not look like a protocol failure
            log(traceback.format_exc())
            outcome, values, message = "failed", {}, "harness error: %r" % e
        log("<- %s %s%s" % (action, outcome, ": " + message if message else ""))
        answer(req_id, outcome, values, message)


if __name__ == "__main__":
    sys.exit(main())
