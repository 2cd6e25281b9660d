#!/usr/bin/env python3
"""Create realistic resources in a running emulator so that schemathesis reaches the 200
paths of the id-taking operations, and print them as shell `export` lines.

Usage: conformance_seed.py BASE_URL   (standard library only)
"""
import base64
import json
import sys
import urllib.parse
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")


def call(method, path, body=None, headers=None, form=None):
    data = None
    hdrs = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        raise SystemExit(f"{method} {path} -> {e.code} {raw!r}")


seed = call("GET", "/_emulator/seed")[1]
integ = seed["integrators"][0]
sim = seed["userSimulation"]
store_id = seed["merchants"][0]["stores"][0]["storeId"]
basic = base64.b64encode(f"{integ['clientId']}:{integ['clientSecret']}".encode()).decode()
token = call("POST", "/integrator-authentication/connect/token", form={"grant_type": "client_credentials"}, headers={"Authorization": "Basic " + basic})[1]["access_token"]
API = {"Authorization": "Bearer " + token, "X-MobilePay-Client-System-Version": "1.0.0", "X-MobilePay-Merchant-VAT-Number": "DK90000028"}
SIM = {"x-ibm-client-id": sim["clientId"], "x-ibm-client-secret": sim["clientSecret"]}


def create(path, body):
    return call("POST", path, body, {**API, "X-MobilePay-Idempotency-Key": str(uuid.uuid4())})[1]


def pos(name):
    beacon = str(uuid.uuid4())
    body = {"merchantPosId": name, "storeId": store_id, "name": name, "beaconId": beacon, "supportedBeaconTypes": ["QR", "NFC"], "callbackAlias": "alias"}
    return create("/pos/v10/pointofsales", body)["posId"], beacon


def initiate(pos_id, amount=12.5):
    body = {"posId": pos_id, "orderId": "ORDER-" + uuid.uuid4().hex[:8], "amount": amount, "currencyCode": "DKK",
            "restrictions": {"debitCardDisallowed": False, "creditCardDisallowed": False}, "merchantPaymentLabel": "label", "plannedCaptureDelay": "None"}
    return create("/pos/v10/payments", body)["paymentId"]


def user(action, beacon, phone=None):
    body = {"beaconId": beacon}
    if phone:
        body["phoneNumber"] = phone
    call("POST", "/pos/app/usersimulation/" + action, body, SIM)


def reserved(pos_id, beacon, phone="+4520031805", amount=12.5):
    user("checkin", beacon, phone)
    pid = initiate(pos_id, amount)
    user("acceptpayment", beacon, phone)
    return pid


main, main_beacon = pos("conformance-main")
p_reserved = reserved(main, main_beacon)
p_capture = reserved(main, main_beacon)
p_captured = reserved(main, main_beacon, "+4520031801", 100)
call("POST", f"/pos/v10/payments/{p_captured}/capture", {"amount": 100}, API)
r_get = create("/pos/v10/refunds", {"paymentId": p_captured, "refundOrderId": "R-1", "amount": 10, "currencyCode": "DKK"})["refundId"]
r_capture = create("/pos/v10/refunds", {"paymentId": p_captured, "refundOrderId": "R-2", "amount": 10, "currencyCode": "DKK"})["refundId"]
call("GET", f"/pos/v10/refunds/{r_capture}", headers=API)
r_cancel = create("/pos/v10/refunds", {"paymentId": p_captured, "refundOrderId": "R-3", "amount": 10, "currencyCode": "DKK"})["refundId"]
p_cancel = initiate(main)

checkin, checkin_beacon = pos("conformance-checkin")
user("checkin", checkin_beacon, "+4520031804")
p_issued = initiate(checkin)

prep_pos, _ = pos("conformance-prepared")
p_prepared = create("/pos/v10/payments/prepare", {"posId": prep_pos, "orderId": "PREP-1"})["paymentId"]
delete_pos, _ = pos("conformance-delete")

values = {
    "POSCERT_TOKEN": token,
    "POSCERT_STORE_ID": store_id,
    "POSCERT_POS": checkin,
    "POSCERT_POS_DELETE": delete_pos,
    "POSCERT_PAYMENT_RESERVED": p_reserved,
    "POSCERT_PAYMENT_ISSUED": p_issued,
    "POSCERT_PAYMENT_CAPTURE": p_capture,
    "POSCERT_PAYMENT_CANCEL": p_cancel,
    "POSCERT_PAYMENT_PREPARED": p_prepared,
    "POSCERT_PAYMENT_CAPTURED": p_captured,
    "POSCERT_REFUND": r_get,
    "POSCERT_REFUND_CAPTURE": r_capture,
    "POSCERT_REFUND_CANCEL": r_cancel,
    "POSCERT_SIM_ID": sim["clientId"],
    "POSCERT_SIM_SECRET": sim["clientSecret"],
}
for k, v in values.items():
    print(f"export {k}={v}")
