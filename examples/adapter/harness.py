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

Three switches, all environment variables (README.md in this folder has the tables):

- POSCERT_ADAPTER_VARIANT=<name>[,<name>...]: legitimate variants (VARIANTS below). Each one
  makes the client differ from the engine's reference client while staying within MobilePay's
  rules, so the run must still pass every case; several may be combined.
- POSCERT_ADAPTER_DEFECT=<name>: one injected defect (DEFECTS below), to prove that the
  certification cases catch it. Each logs "DEFECT <name>: ..." to stderr when it acts.
- POSCERT_ADAPTER_CALLBACKS=1: run the check-in notification callback server (CallbackServer
  below); also on when an onboard-pos request carries params.callbackAlias (the check-in
  notification case: poscert.yaml's identity.callback) or a `callback` object.
"""

import base64
import http.server
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

# Legitimate variants (POSCERT_ADAPTER_VARIANT, comma-separated): behaviour that differs from
# the engine's reference client but stays within MobilePay's documented rules, so the run must
# pass every case with any of them (README.md says which do today, and why the others do not).
VARIANTS = {
    "no-store-lookup": "onboards on the certification store id it was given (var storeId, else "
                       "POSCERT_ADAPTER_STORE_ID, else the documented certification store) without GET /stores",
    "same-key-after-1301": "after the 1301 clean-up, re-sends the initiate/prepare with its first idempotency key",
    "slow-polling": "polls at 1.5 x pollDelayInMs",
    "extra-headers": "sends an idempotency key on every call (polls and captures too), a CorrelationId "
                     "and an x-ibm-client-id",
    "retry-500-and-timeout-only": "retries only 500 and no answer (timeout, connection), never other 5xx",
    "long-timeout": "a 5 s POST/DELETE timeout instead of 2 s (target.clientTimeoutMs when the run sets "
                    "one other than the documented 2000)",
    "extra-field": "adds a field the spec does not define (tillComment) to every JSON body it sends",
    "refund-answer-at-once": "answers start-refund as soon as the refund is created and looks at it only "
                             "in the background (a cashier's cancel may come before its first poll)",
}

# Injected defects (POSCERT_ADAPTER_DEFECT, one name): each makes the client wrong in one way.
DEFECTS = {
    "new-idempotency-key-on-retry": "retries a create with a new idempotency key",
    "poll-too-fast": "polls every 100 ms whatever pollDelayInMs says",
    "capture-without-reserved": "captures right after initiating, before the payment is Reserved",
    "give-up-on-1301": "gives up when initiate meets 409/1301 instead of cleaning up",
    "no-cancel-on-restriction-failure": "answers the cashier's cancel of a restricted payment but never sends it",
    "new-key-on-retry-initiate": "retries an initiate (POST /payments) after a timeout/5xx with a new idempotency key",
    "new-key-on-retry-prepare": "retries a prepare (POST /payments/prepare) after a timeout/5xx with a new idempotency key",
    "new-key-on-retry-refund": "retries a refund (POST /refunds) after a timeout/5xx with a new idempotency key",
    "poll-failure-ends-polling": "a poll that fails (5xx or no answer) ends the polling: the client gives the sale up",
    "capture-500-not-retried": "a capture answered 500 is never sent again",
    "always-dkk": "ignores the sale's currency and always sends DKK",
    "cleanup-cancels-reserved": "the 1301 clean-up also cancels Reserved payments of the PoS",
    "always-debit-disallowed": "sends restrictions.debitCardDisallowed true on every sale",
    "no-token-refresh": "never fetches a new token after a 401: the call fails",
    "mobilepay-end-states-active": "treats CancelledByMobilePay and ExpiredAndCancelled as active and keeps polling",
    "fixed-1s-polling": "polls every 1 s whatever pollDelayInMs says",
    "no-poll-before-ready": "never polls a prepared payment before marking it ready (never sees Paired or loyaltyIds)",
    "callback-500": "answers every check-in notification callback with 500 (needs callbacks on)",
    "no-checkin-poll": "receives the check-in callback but never polls GET /pointofsales/{posId}/checkin (needs callbacks on)",
}

DEFECT = os.environ.get("POSCERT_ADAPTER_DEFECT", "").strip()
VARIANT = {v.strip() for v in os.environ.get("POSCERT_ADAPTER_VARIANT", "").split(",") if v.strip()}
CALLBACKS = os.environ.get("POSCERT_ADAPTER_CALLBACKS", "").strip().lower() in ("1", "true", "yes", "on")


def variant(name):
    return name in VARIANT


def defect_log(name, message):
    """The one stderr line every injected defect writes when it acts."""
    log("DEFECT %s: %s" % (name, message))


# MobilePay's documented client behaviour (notes §2.4): 2 s for POST/DELETE, 0.5 s for GET,
# retry network errors, timeouts and 5xx (at most 5 retries; we do 3).
WRITE_TIMEOUT_S = 2.0
DOCUMENTED_TIMEOUT_MS = 2000
LONG_TIMEOUT_S = 5.0  # the long-timeout variant ([NPR] uses 5 s, notes §2.4)
READ_TIMEOUT_S = 0.5
ATTEMPTS = 4
RETRY_PAUSE_S = 0.2
TOO_FAST_POLL_S = 0.1
SLOW_POLLING_FACTOR = 1.5
# The certification store (notes §7.3): what a client that hard-codes its store id was given.
CERTIFICATION_STORE_ID = "9d0a9c45-1793-4e82-9410-b0ee6779ab60"
# How long a check-in poll after a callback goes on waiting for the customer's details.
CHECKIN_POLL_LIMIT_S = 30.0

ACTIVE = {"Prepared", "Paired", "Initiated", "IssuedToUser"}
MOBILEPAY_END_STATES = {"CancelledByMobilePay", "ExpiredAndCancelled"}
FINAL_PAYMENT = {"Captured", "CancelledByUser", "CancelledByClient", "CancelledByMobilePay", "ExpiredAndCancelled"}
FINAL_REFUND = {"Captured", "CancelledByClient", "CancelledByMobilePay", "ExpiredAndCaptured"}

_out_lock = threading.Lock()


def log(message):
    now = time.time()  # one reading: seconds and milliseconds of the same instant
    stamp = time.strftime("%H:%M:%S", time.localtime(now)) + ".%03d" % (int(now * 1000) % 1000)
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


def sale_currency(p):
    """The currency of the sale the cashier rang up (the always-dkk defect ignores it)."""
    currency = p.get("currencyCode") or "DKK"
    if DEFECT == "always-dkk" and currency != "DKK":
        defect_log("always-dkk", "sending DKK instead of the sale's %s" % currency)
        return "DKK"
    return currency


def sale_restrictions(p):
    """The sale's card restrictions, sent as is (null: none); always-debit-disallowed adds one."""
    restrictions = p.get("restrictions")
    if DEFECT == "always-debit-disallowed":
        if not (restrictions or {}).get("debitCardDisallowed"):
            defect_log("always-debit-disallowed", "disallowing debit cards on a sale that allows them")
        restrictions = dict(restrictions or {})
        restrictions["debitCardDisallowed"] = True
    return restrictions


class Pacer:
    """The wait between two polls of one resource: at least the last pollDelayInMs the API
    gave (notes §5.6), kept after a poll that got no answer."""

    def __init__(self, what, delay):
        self.what = what
        self.delay = delay  # seconds, the API's last pollDelayInMs
        self._told = False

    def learn(self, body):
        if isinstance(body, dict) and isinstance(body.get("pollDelayInMs"), (int, float)):
            self.delay = body["pollDelayInMs"] / 1000.0

    def _once(self, name, message):
        if not self._told:
            self._told = True
            defect_log(name, message)

    def pause(self):
        if DEFECT == "poll-too-fast":
            self._once("poll-too-fast", "polling %s every %d ms (pollDelayInMs %d)" % (
                self.what, TOO_FAST_POLL_S * 1000, self.delay * 1000))
            return TOO_FAST_POLL_S
        if DEFECT == "fixed-1s-polling":
            if abs(self.delay - 1.0) > 0.001:
                self._once("fixed-1s-polling", "polling %s every 1000 ms, not the %d ms pollDelayInMs" % (
                    self.what, self.delay * 1000))
            return 1.0
        if variant("slow-polling"):
            return self.delay * SLOW_POLLING_FACTOR
        return self.delay


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
        if variant("long-timeout"):
            # The engine sends clientTimeoutMs in every adapter case, the documented 2000 unless
            # the run says otherwise (--var clientTimeoutMs=N, with faultDelayMs above it). The
            # documented default says nothing about this client, so it keeps its own 5 s; a
            # value the run chose is the timeout the faults are calibrated against: honour it.
            explicit = timeout_ms and timeout_ms != DOCUMENTED_TIMEOUT_MS
            self.write_timeout = timeout_ms / 1000.0 if explicit else LONG_TIMEOUT_S
        else:
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
                    if e.code != 500 and variant("retry-500-and-timeout-only"):
                        raise Transient("the token endpoint answered %d (retried only on 500)" % e.code)
                    last = "status %d" % e.code
                except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as e:
                    last = str(e)
                time.sleep(RETRY_PAUSE_S)
            raise Transient("no token after %d attempts (%s)" % (ATTEMPTS, last))

    # -- one request ----------------------------------------------------------------------
    def _send(self, method, path, body, query, key, timeout, extra):
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
            if variant("extra-field"):
                body = dict(body, tillComment="poscert example harness")  # unknown to the spec
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["X-MobilePay-Idempotency-Key"] = key
        for name, value in extra.items():
            headers.setdefault(name, value)
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

    def extra_headers(self):
        """The extra-headers variant: headers MobilePay accepts and does not require (notes
        §2.2), the same on every attempt of one logical call."""
        if not variant("extra-headers"):
            return {}
        return {
            # Only the four creates need one; elsewhere the API must ignore it.
            "X-MobilePay-Idempotency-Key": str(uuid.uuid4()),
            "CorrelationId": str(uuid.uuid4()),
            "x-ibm-client-id": self.client_id or str(uuid.uuid4()),
        }

    def call(self, method, path, body=None, query=None, key=None, attempts=ATTEMPTS, creation=None, retry_500=True):
        """One logical call: retried on timeouts, connection errors and 5xx with the SAME
        idempotency key (a new key would make the API treat the retry as a new request).
        `creation` names a create (pos, initiate, prepare, refund) for the new-key defects;
        `retry_500=False` returns a 500 at once (the capture-500-not-retried defect)."""
        timeout = self.read_timeout if method == "GET" else self.write_timeout
        extra = self.extra_headers()
        renewed = False
        last = None
        attempt = 0
        while attempt < attempts:
            if attempt > 0:
                time.sleep(RETRY_PAUSE_S)
                if key and DEFECT == "new-idempotency-key-on-retry":
                    key = str(uuid.uuid4())
                    defect_log("new-idempotency-key-on-retry", "retrying with a new key %s" % key[:8])
                elif key and creation and DEFECT == "new-key-on-retry-" + creation:
                    key = str(uuid.uuid4())
                    defect_log(DEFECT, "retrying the %s with a new key %s" % (creation, key[:8]))
            attempt += 1
            started = time.time()
            try:
                resp = self._send(method, path, body, query, key, timeout, extra)
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
                if DEFECT == "no-token-refresh":
                    defect_log("no-token-refresh", "%s %s answered 401; not fetching a new token" % (method, path))
                    return resp
                # Tokens expire; get a new one and send the same request again (not a retry).
                self.token(renew=True)
                renewed = True
                attempt -= 1
                continue
            if resp.status >= 500:
                if resp.status != 500 and variant("retry-500-and-timeout-only"):
                    log("not retrying %d: this client retries only 500 and no answer" % resp.status)
                    return resp
                if resp.status == 500 and not retry_500:
                    return resp
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
        self.gave_up = False
        self.status = None
        self.pacer = Pacer("payment " + payment_id[:8], 1.0)
        self.told_end_state = False
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

    def give_up_after_poll_failure(self, what):
        """The poll-failure-ends-polling defect: one failed poll and the sale is given up."""
        defect_log("poll-failure-ends-polling", "poll of payment %s %s; giving the sale up" % (self.payment_id[:8], what))
        self.gave_up = True
        return False

    def poll_once(self):
        """One poll; returns False once there is nothing more to follow."""
        try:
            resp = self.h.client.get("/payments/" + self.payment_id, attempts=1)
        except Transient as e:
            if DEFECT == "poll-failure-ends-polling":
                return self.give_up_after_poll_failure("got no answer (%s)" % e)
            return True  # no answer: keep polling with the last pollDelayInMs
        if resp.status == 404:
            log("payment %s is gone (404); stop following it" % self.payment_id[:8])
            return False
        if resp.status >= 500 and DEFECT == "poll-failure-ends-polling":
            return self.give_up_after_poll_failure("answered %s" % resp.describe())
        if resp.status != 200:
            return True
        body = resp.body
        self.status = body.get("status")
        self.pacer.learn(body)
        if self.status in MOBILEPAY_END_STATES and DEFECT == "mobilepay-end-states-active":
            if not self.told_end_state:
                self.told_end_state = True
                defect_log(DEFECT, "payment %s is %s; polling on as if it were active" % (self.payment_id[:8], self.status))
            return True
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
            no_retry = DEFECT == "capture-500-not-retried"
            try:
                resp = self.h.client.call("POST", "/payments/%s/capture" % self.payment_id, body={"amount": wanted},
                                          retry_500=not no_retry)
            except Transient as e:
                log("payment %s: capture failed: %s" % (self.payment_id[:8], e))
                return True
        if resp.status == 200:
            log("payment %s captured %s; done with it" % (self.payment_id[:8], wanted))
            self.status = "Captured"
            return False  # captured is final: no more polling
        if resp.status == 500 and no_retry:
            defect_log(DEFECT, "capture of payment %s answered 500; never sending it again" % self.payment_id[:8])
            return False
        log("payment %s: capture answered %s" % (self.payment_id[:8], resp.describe()))
        return resp.code == "1304"  # not reserved (any more): look again

    def run(self):
        try:
            while True:
                time.sleep(self.pacer.pause())
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
        self.pacer = Pacer("refund " + refund_id[:8], 0.1)

    def poll_once(self):
        try:
            resp = self.h.client.get("/refunds/" + self.refund_id, attempts=1)
        except Transient as e:
            if DEFECT == "poll-failure-ends-polling":
                defect_log(DEFECT, "poll of refund %s got no answer (%s); giving the refund up" % (self.refund_id[:8], e))
                return False
            return True
        if resp.status == 404:
            return False
        if resp.status >= 500 and DEFECT == "poll-failure-ends-polling":
            defect_log(DEFECT, "poll of refund %s answered %s; giving the refund up" % (self.refund_id[:8], resp.describe()))
            return False
        if resp.status != 200:
            return True
        body = resp.body
        status = body.get("status")
        self.pacer.learn(body)
        if status in FINAL_REFUND:
            log("refund %s is %s; stop polling" % (self.refund_id[:8], status))
            return False
        if status == "Reserved":
            if not self.capture:
                log("refund %s is Reserved; left for the cashier to cancel (captureRefund: false)" % self.refund_id[:8])
                return False
            no_retry = DEFECT == "capture-500-not-retried"
            with self.lock:
                if self.cancelled:
                    return True
                try:
                    resp = self.h.client.call("POST", "/refunds/%s/capture" % self.refund_id, retry_500=not no_retry)
                except Transient as e:
                    log("refund %s: capture failed: %s" % (self.refund_id[:8], e))
                    return True
            if resp.status == 200:
                log("refund %s captured; done with it" % self.refund_id[:8])
                return False
            if resp.status == 500 and no_retry:
                defect_log(DEFECT, "capture of refund %s answered 500; never sending it again" % self.refund_id[:8])
                return False
            return resp.code == "1351"
        return True

    def run(self):
        try:
            while True:
                time.sleep(self.pacer.pause())
                if not self.poll_once():
                    break
        except Exception:
            log("refund %s: %s" % (self.refund_id[:8], traceback.format_exc()))


class CheckinJob(threading.Thread):
    """After a check-in notification: polls GET /pointofsales/{posId}/checkin at the API's pace
    until the customer's details are there (checked in, loyalty ids looked up: notes §4.3 says
    loyaltyIds null means "query again"), then stops. A till would now start or pair the sale;
    here the cashier's actions do that, so the job only records what it read."""

    def __init__(self, harness, pos_id):
        super().__init__(daemon=True, name="checkin-" + pos_id[:8])
        self.h = harness
        self.pos_id = pos_id

    def run(self):
        h, pos = self.h, self.pos_id
        pacer = h.checkin_pacers.setdefault(pos, Pacer("check-in of PoS " + pos[:8], 1.0))
        deadline = time.time() + CHECKIN_POLL_LIMIT_S
        try:
            while time.time() < deadline:
                # One pace per PoS across notifications: never two polls closer than pollDelayInMs.
                wait = h.checkin_next.get(pos, 0.0) - time.time()
                if wait > 0:
                    time.sleep(wait)
                try:
                    resp = h.client.get("/pointofsales/%s/checkin" % pos, attempts=1)
                except Transient:
                    resp = None
                if resp is not None and resp.status == 200:
                    pacer.learn(resp.body)
                h.checkin_next[pos] = time.time() + pacer.pause()
                if resp is None or resp.status != 200:
                    continue
                body = resp.body
                if body.get("isUserCheckedIn") and isinstance(body.get("loyaltyIds"), list):
                    h.checkins[pos] = body
                    log("PoS %s: customer checked in; loyalty ids %s" % (pos[:8], body.get("loyaltyIds")))
                    return
            log("PoS %s: no checked-in customer within %d s of the notification" % (pos[:8], CHECKIN_POLL_LIMIT_S))
        except Exception:
            log("check-in of PoS %s: %s" % (pos[:8], traceback.format_exc()))
        finally:
            with h.lock:
                h.checkin_jobs.pop(pos, None)


class CallbackServer:
    """The check-in notification endpoint (notes §8.5, §9.8), for PoSes onboarded with a
    `callbackAlias`: MobilePay POSTs a PascalCase body (MerchantId, MerchantBrandId,
    MerchantLocationId, MerchantPosId, PosId) to the integrator's whitelisted URL when a
    customer checks in, retries 3 times unless answered 200, and the client then polls
    GET /pointofsales/{posId}/checkin.

    A plain HTTP server on 127.0.0.1, on a free port, in a daemon thread (it dies with the
    harness). Its URL goes to the engine as `callbackUrl` in the onboard-pos answer's values
    (never on stdout: stdout is the protocol). Every notification is recorded in `received`."""

    PATH = "/mobilepay/checkin"

    def __init__(self, harness):
        self.h = harness
        self.received = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw.decode() or "null")
                except ValueError:
                    body = None
                status = server.notified(self.path, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, fmt, *args):  # the default writes to stderr unformatted
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d%s" % (self.httpd.server_address[1], self.PATH)
        threading.Thread(target=self.httpd.serve_forever, daemon=True, name="callbacks").start()
        log("check-in callbacks: listening on %s" % self.url)

    def notified(self, path, body):
        """Records one notification, acts on it, and returns the HTTP status to answer."""
        pos_id = body.get("PosId") if isinstance(body, dict) else None
        self.received.append({"at": time.time(), "path": path, "body": body})
        log("check-in callback on %s for PoS %s (MerchantPosId %s)" % (
            path, (pos_id or "?")[:8], body.get("MerchantPosId") if isinstance(body, dict) else "?"))
        if DEFECT == "callback-500":
            defect_log(DEFECT, "answering the check-in notification with 500")
            return 500
        if pos_id and self.h.waits_on(pos_id):
            if DEFECT == "no-checkin-poll":
                defect_log(DEFECT, "not polling the check-in of PoS %s after its notification" % pos_id[:8])
            else:
                self.h.poll_checkin(pos_id)
        elif pos_id:
            log("PoS %s is not one of this till's; nothing to do" % pos_id[:8])
        return 200


class Harness:
    def __init__(self):
        self.client = None
        self.payments = {}
        self.refunds = {}
        self.lock = threading.Lock()
        self.pos_ids = set()       # the PoSes this till onboarded or sells on
        self.callbacks = None      # the CallbackServer, once callbacks are on
        self.callback = {}         # the engine's `callback` object (alias...), when it sends one
        self.checkin_jobs = {}     # posId -> the CheckinJob polling it
        self.checkin_pacers = {}   # posId -> its check-in Pacer
        self.checkin_next = {}     # posId -> earliest time of its next check-in poll
        self.checkins = {}         # posId -> the last check-in body with the customer's details

    # -- the protocol ---------------------------------------------------------------------
    def handle(self, request):
        action = request.get("action")
        if self.client is None:
            self.client = PosClient(request["target"])
        if isinstance(request.get("callback"), dict):
            self.callback = request["callback"]
        wants_callbacks = isinstance(request.get("callback"), dict) or bool((request.get("params") or {}).get("callbackAlias"))
        if self.callbacks is None and (CALLBACKS or wants_callbacks):
            self.callbacks = CallbackServer(self)
        if request.get("role") != "cashier":
            return "skipped", {}, "this harness plays the POS client only, not the %s" % request.get("role")
        handler = getattr(self, "do_" + str(action).replace("-", "_"), None)
        if handler is None:
            return "skipped", {}, "this harness does not implement %s" % action
        return handler(request.get("params") or {}, request.get("vars") or {})

    # -- check-in callbacks ---------------------------------------------------------------
    def waits_on(self, pos_id):
        return pos_id in self.pos_ids

    def poll_checkin(self, pos_id):
        """Starts polling the PoS's check-in, unless a poll of it is already going on."""
        with self.lock:
            if pos_id in self.checkin_jobs:
                return
            job = CheckinJob(self, pos_id)
            self.checkin_jobs[pos_id] = job
        job.start()

    # -- onboarding -----------------------------------------------------------------------
    def do_onboard_pos(self, p, v):
        c = self.client
        if variant("no-store-lookup"):
            # A certified client keeps the store id it was given in its configuration.
            store_id = v.get("storeId") or os.environ.get("POSCERT_ADAPTER_STORE_ID") or CERTIFICATION_STORE_ID
            log("no-store-lookup: onboarding on the configured store %s" % store_id)
        else:
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
            alias = p.get("callbackAlias") or self.callback.get("alias") or self.callback.get("callbackAlias")
            if alias:
                body["callbackAlias"] = alias  # MobilePay notifies this till's URL on check-in
            resp = c.call("POST", "/pointofsales", body=body, key=str(uuid.uuid4()), creation="pos")
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
        self.pos_ids.add(pos_id)
        values = {"posId": pos_id, "beaconId": beacon, "storeId": store_id}
        if self.callbacks:
            values["callbackUrl"] = self.callbacks.url  # for the engine to register (alias -> URL)
        return "done", values, None

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
    def create_payment(self, path, body, kind, creation):
        """POST /payments or /payments/prepare; on 409/1301 clean up the active payment on the
        PoS (find it, cancel it) and try once more with a new idempotency key (the
        same-key-after-1301 variant re-sends the first one)."""
        c = self.client
        self.pos_ids.add(body["posId"])
        key = str(uuid.uuid4())
        for round_ in (1, 2):
            if round_ == 2:
                if variant("same-key-after-1301"):
                    log("same-key-after-1301: sending the %s again with its first key %s" % (creation, key[:8]))
                else:
                    key = str(uuid.uuid4())
            resp = c.call("POST", path, body=body, key=key, creation=creation)
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
            if status == "Reserved" and DEFECT == "cleanup-cancels-reserved":
                defect_log(DEFECT, "cancelling the Reserved payment %s too" % pid[:8])
            elif status not in ACTIVE:
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
        restrictions = sale_restrictions(p)
        body = {
            "posId": p["posId"],
            "orderId": p["orderId"],
            "amount": num(p["amount"]),
            "currencyCode": sale_currency(p),
            "plannedCaptureDelay": "None",
        }
        if restrictions is not None:
            body["restrictions"] = restrictions
        payment_id = self.create_payment("/payments", body, "initiate the payment", "initiate")
        job = self.start_job(payment_id, prepared=False)
        job.set_sale(p["amount"], p.get("captureAmount"), restrictions)
        self.after_issue(job)
        return "done", {"paymentId": payment_id}, None

    def follow(self, job):
        """Looks at the payment once (learning its pollDelayInMs), then follows it in the
        background; a client that gave the sale up after that look reports it failed."""
        if job.poll_once():
            job.start()
            return
        job.finished.set()
        if job.gave_up:
            raise ActionFailed("the sale failed: the API did not answer a poll of payment %s" % job.payment_id)

    def after_issue(self, job):
        """The payment is with the customer: look at it once, then follow it in the background."""
        if DEFECT == "capture-without-reserved":
            defect_log(DEFECT, "capturing %s at once" % job.payment_id[:8])
            try:
                self.client.call("POST", "/payments/%s/capture" % job.payment_id, body={"amount": job.amount})
            except Transient:
                pass
        self.follow(job)

    def do_prepare_payment(self, p, v):
        body = {"posId": p["posId"], "orderId": p["orderId"]}
        payment_id = self.create_payment("/payments/prepare", body, "prepare the payment", "prepare")
        job = self.start_job(payment_id, prepared=True)
        if DEFECT == "no-poll-before-ready":
            defect_log(DEFECT, "not polling the prepared payment %s until it is ready" % payment_id[:8])
            return "done", {"paymentId": payment_id}, None
        # Poll for pairing (check-in) until the cashier finishes the sale with payment-ready.
        self.follow(job)
        return "done", {"paymentId": payment_id}, None

    def do_payment_ready(self, p, v):
        payment_id = p["paymentId"]
        restrictions = sale_restrictions(p)
        body = {
            "amount": num(p["amount"]),
            "currencyCode": sale_currency(p),
            "plannedCaptureDelay": "None",
        }
        if restrictions is not None:
            body["restrictions"] = restrictions
        job = self.payments.get(payment_id)
        resp = self.client.call("POST", "/payments/%s/ready" % payment_id, body=body)
        if resp.status != 200:
            raise ActionFailed("could not mark the payment ready: " + resp.describe())
        if job is None or job.finished.is_set() or job.ident is None:
            # Not followed (yet, or any more): start following it now.
            job = self.start_job(payment_id, prepared=True)
            job.set_sale(p["amount"], p.get("captureAmount"), restrictions)
            self.after_issue(job)
        else:
            job.set_sale(p["amount"], p.get("captureAmount"), restrictions)
            if DEFECT == "capture-without-reserved":
                defect_log(DEFECT, "capturing %s at once" % payment_id[:8])
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
                defect_log(DEFECT, "not sending the cancel of %s" % payment_id[:8])
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
            "currencyCode": sale_currency(p),
        }
        resp = self.client.call("POST", "/refunds", body=body, key=str(uuid.uuid4()), creation="refund")
        if resp.status != 200:
            raise ActionFailed("could not create the refund: " + resp.describe())
        refund_id = resp.body["refundId"]
        job = RefundJob(self, refund_id, capture=p.get("captureRefund") is not False)
        self.refunds[refund_id] = job
        if variant("refund-answer-at-once"):
            log("refund-answer-at-once: answering with refund %s before looking at it" % refund_id[:8])
            job.start()
        # Look at it once before answering (as for payments): the case may end soon after the
        # answer (a cashier's cancel), and the refund's state is known only by polling it.
        elif job.poll_once():
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
    unknown = sorted(VARIANT - set(VARIANTS))
    if unknown:
        sys.stderr.write("harness: unknown POSCERT_ADAPTER_VARIANT %s; known: %s\n" % (
            ", ".join(unknown), ", ".join(sorted(VARIANTS))))
        return 2
    if DEFECT:
        log("running with the injected defect %s: %s" % (DEFECT, DEFECTS[DEFECT]))
    for name in sorted(VARIANT):
        log("running with the variant %s: %s" % (name, VARIANTS[name]))
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
