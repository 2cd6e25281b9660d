//! The error catalogue of notes §6.2 that the emulator produces, each asserted with its HTTP
//! status, its code and, where a state could change, the state afterwards. Also the 401s of
//! the token rules and the token endpoint's own errors.

mod common;
use common::*;
use poscert_emulator::seed::{CERT_INACTIVE_STORE_ID, CERT_STORE_ID, SECOND_STORE_ID};
use reqwest::Method;
use serde_json::{json, Value};

fn raw(c: &Ctx, method: Method, path: &str) -> reqwest::RequestBuilder {
    c.http.request(method, c.url(path))
}

// ----- 401 ---------------------------------------------------------------------------------

#[tokio::test]
async fn missing_forged_expired_and_revoked_tokens_are_401() {
    let mut c = Ctx::start().await;
    let path = "/pos/v10/stores";
    let r =
        send(raw(&c, Method::GET, path).header("X-MobilePay-Client-System-Version", VERSION)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["httpCode"], "401");
    let r = send(
        raw(&c, Method::GET, path)
            .header("Authorization", "Basic abc")
            .header("X-MobilePay-Client-System-Version", VERSION),
    )
    .await;
    assert_eq!(r.status, 401);
    // Forged: one character of the claims changed.
    let mut forged = c.token.clone().into_bytes();
    let i = c.token.find('.').unwrap() + 5;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(send(c.req_as(&forged, Method::GET, path)).await.status, 401);
    // A token from another emulator instance.
    let other = Ctx::start().await;
    assert_eq!(
        send(c.req_as(&other.token, Method::GET, path)).await.status,
        401
    );
    // Expired on the virtual clock.
    let old = c.token.clone();
    c.get(path).await.assert_ok();
    c.advance(3700).await;
    let r = send(c.req_as(&old, Method::GET, path)).await;
    assert_eq!(
        (r.status, r.body["moreInformation"].as_str()),
        (401, Some("Token expired"))
    );
    c.get(path).await.assert_ok();
    // Revoked.
    c.control(Method::POST, "/_emulator/tokens/revoke", None)
        .await
        .assert_ok();
    let r = c.get(path).await;
    assert_eq!(
        (r.status, r.body["moreInformation"].as_str()),
        (401, Some("Token revoked"))
    );
    let fresh = c.token_for(0, Some("DK90000028")).await;
    send(c.req_as(&fresh, Method::GET, path)).await.assert_ok();
}

#[tokio::test]
async fn auth_comes_before_header_validation() {
    let c = Ctx::start().await;
    let r = send(raw(&c, Method::GET, "/pos/v10/stores")).await;
    assert_eq!(r.status, 401, "no token and no version header: 401 first");
}

#[tokio::test]
async fn token_endpoint_errors() {
    let c = Ctx::start().await;
    let url = c.url("/integrator-authentication/connect/token");
    let r = send(
        c.http
            .post(&url)
            .basic_auth("poscert-emulator", Some("wrong"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let r = send(
        c.http
            .post(&url)
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(r.status, 401);
    let seed = c.emu.seed().integrators[0].clone();
    let r = send(
        c.http
            .post(&url)
            .basic_auth(&seed.client_id, Some(&seed.client_secret))
            .form(&[("grant_type", "password")]),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let r = send(
        c.http
            .post(&url)
            .basic_auth(&seed.client_id, Some(&seed.client_secret))
            .json(&json!({"grant_type": "client_credentials"})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let r = send(
        c.http
            .post(&url)
            .basic_auth(&seed.client_id, Some(&seed.client_secret))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    r.assert_ok();
    assert_eq!(r.body["expires_in"], 3700);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["scope"], "integrator_scope");
    // client_secret_post is accepted too.
    let r = send(c.http.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &seed.client_id),
        ("client_secret", &seed.client_secret),
    ]))
    .await;
    r.assert_ok();
}

// ----- header codes -----------------------------------------------------------------------

#[tokio::test]
async fn version_header_codes_1153_1157_1161() {
    let c = Ctx::start().await;
    let bare = |c: &Ctx| raw(c, Method::GET, "/pos/v10/stores").bearer_auth(&c.token);
    send(bare(&c)).await.assert_error(400, "1153");
    send(bare(&c).header("X-MobilePay-Client-System-Version", "1.0"))
        .await
        .assert_error(400, "1161");
    send(bare(&c).header("X-MobilePay-Client-System-Version", "v1.0.0"))
        .await
        .assert_error(400, "1161");
    send(
        bare(&c)
            .header("X-MobilePay-Client-System-Version", "1.0.0")
            .header("X-MobilePay-Client-System-Version", "1.0.0"),
    )
    .await
    .assert_error(400, "1157");
    send(bare(&c).header("x-mobilepay-client-system-version", "1.0.0"))
        .await
        .assert_ok();
}

#[tokio::test]
async fn vat_header_codes_1151_1155_1159_and_claim_1182() {
    let c = Ctx::start().await;
    let no_claim = c.token_for(0, None).await;
    let path = "/pos/v10/stores";
    send(c.req_as(&no_claim, Method::GET, path))
        .await
        .assert_error(400, "1151");
    send(
        c.req_as(&no_claim, Method::GET, path)
            .header("X-MobilePay-Merchant-VAT-Number", "DK-90000028"),
    )
    .await
    .assert_error(400, "1159");
    send(
        c.req_as(&no_claim, Method::GET, path)
            .header("X-MobilePay-Merchant-VAT-Number", "DK90000028")
            .header("X-MobilePay-Merchant-VAT-Number", "DK90000028"),
    )
    .await
    .assert_error(400, "1155");
    let ok = send(
        c.req_as(&no_claim, Method::GET, path)
            .header("X-MobilePay-Merchant-VAT-Number", "FI90000040"),
    )
    .await;
    assert_eq!(
        ok.body["storeIds"].as_array().map(Vec::len),
        Some(2),
        "FI VAT is the same merchant"
    );
    // A malformed merchant_vat claim, and a header that contradicts the claim.
    let bad_claim = c.token_for(0, Some("DK123")).await;
    send(c.req_as(&bad_claim, Method::GET, path))
        .await
        .assert_error(400, "1182");
    send(
        c.req(Method::GET, path)
            .header("X-MobilePay-Merchant-VAT-Number", "DK11223344"),
    )
    .await
    .assert_error(400, "1182");
    send(
        c.req(Method::GET, path)
            .header("X-MobilePay-Merchant-VAT-Number", "DK90000028"),
    )
    .await
    .assert_ok();
    // Order: version before VAT.
    send(raw(&c, Method::GET, path).bearer_auth(&no_claim))
        .await
        .assert_error(400, "1153");
}

#[tokio::test]
async fn idempotency_header_codes_1162_1163_1164_on_every_creating_endpoint() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    for path in [
        "/pos/v10/pointofsales",
        "/pos/v10/payments",
        "/pos/v10/payments/prepare",
        "/pos/v10/refunds",
    ] {
        let body = json!({ "posId": pos, "orderId": "x" });
        send(c.req(Method::POST, path).json(&body))
            .await
            .assert_error(400, "1164");
        send(
            c.req(Method::POST, path)
                .header("X-MobilePay-Idempotency-Key", "k".repeat(37))
                .json(&body),
        )
        .await
        .assert_error(400, "1162");
        send(
            c.req(Method::POST, path)
                .header("X-MobilePay-Idempotency-Key", "a")
                .header("X-MobilePay-Idempotency-Key", "b")
                .json(&body),
        )
        .await
        .assert_error(400, "1163");
    }
    assert_eq!(
        c.get(&format!("/pos/v10/payments?posId={pos}")).await.body["paymentIds"],
        json!([]),
        "nothing was created"
    );
}

// ----- body codes -------------------------------------------------------------------------

async fn create_pos_code(c: &Ctx, body: Value) -> Resp {
    c.post_idem("/pos/v10/pointofsales", &uuid(), body).await
}

fn pos_body() -> Value {
    json!({ "merchantPosId": "m-1", "storeId": CERT_STORE_ID, "name": "Till", "beaconId": "123456789012345", "supportedBeaconTypes": ["QR"] })
}

fn with(mut base: Value, key: &str, v: Value) -> Value {
    base[key] = v;
    base
}

#[tokio::test]
async fn create_pos_field_codes() {
    let c = Ctx::start().await;
    create_pos_code(&c, with(pos_body(), "beaconId", json!("12345")))
        .await
        .assert_error(400, "1100");
    create_pos_code(&c, with(pos_body(), "merchantPosId", json!("x".repeat(37))))
        .await
        .assert_error(400, "1111");
    create_pos_code(&c, with(pos_body(), "merchantPosId", json!("")))
        .await
        .assert_error(400, "1111");
    create_pos_code(&c, with(pos_body(), "name", json!("emoji 😀")))
        .await
        .assert_error(400, "1112");
    create_pos_code(&c, with(pos_body(), "callbackAlias", json!("y".repeat(40))))
        .await
        .assert_error(400, "1116");
    create_pos_code(
        &c,
        with(pos_body(), "supportedBeaconTypes", json!(["BluetoothMP1"])),
    )
    .await
    .assert_error(400, "1099");
    create_pos_code(
        &c,
        with(pos_body(), "supportedBeaconTypes", json!(["QR", "QR"])),
    )
    .await
    .assert_error(400, "1099");
    create_pos_code(&c, with(pos_body(), "storeId", json!("nope")))
        .await
        .assert_error(400, "1099");
    let ids = c.get("/pos/v10/pointofsales?merchantPosId=m-1").await;
    assert_eq!(
        ids.body["posIds"],
        json!([]),
        "no PoS was created by an invalid request"
    );
}

/// Only with `reject_unknown_fields` (off by default): an unknown property is 1099, the removed
/// `calibrationType` its historical 1118, and nothing is created.
#[tokio::test]
async fn unknown_properties_are_1099_when_the_switch_is_on() {
    let c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        reject_unknown_fields: true,
        ..test_config()
    })
    .await;
    create_pos_code(&c, with(pos_body(), "calibrationType", json!(3)))
        .await
        .assert_error(400, "1118");
    create_pos_code(&c, with(pos_body(), "unknownField", json!(1)))
        .await
        .assert_error(400, "1099");
    let (pos, _) = c.create_pos().await;
    c.initiate(
        &pos,
        1.0,
        json!({ "restrictions": { "debitCardDisallowed": true, "bar": 1 } }),
    )
    .await
    .assert_error(400, "1099");
    let ids = c.get("/pos/v10/pointofsales?merchantPosId=m-1").await;
    assert_eq!(ids.body["posIds"], json!([]));
    let journal = c.journal("method=POST&path=/pos/v10/payments").await;
    assert_eq!(journal[0]["unknownFields"], json!(["restrictions.bar"]));
}

#[tokio::test]
async fn create_pos_conflicts_and_forbidden() {
    let c = Ctx::start().await;
    create_pos_code(&c, pos_body()).await.assert_ok();
    create_pos_code(&c, with(pos_body(), "beaconId", json!("223456789012345")))
        .await
        .assert_error(409, "1200");
    create_pos_code(&c, with(pos_body(), "merchantPosId", json!("m-2")))
        .await
        .assert_error(409, "1202");
    create_pos_code(
        &c,
        with(
            with(pos_body(), "merchantPosId", json!("m-3")),
            "storeId",
            json!(uuid()),
        ),
    )
    .await
    .assert_error(409, "1002");
    create_pos_code(
        &c,
        with(
            with(pos_body(), "merchantPosId", json!("m-4")),
            "storeId",
            json!(SECOND_STORE_ID),
        ),
    )
    .await
    .assert_error(403, "1403");
    // The beacon is globally unique: another integrator cannot reuse it either.
    let other = c.token_for(1, Some("DK90000028")).await;
    let r = send(
        c.req_as(&other, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&pos_body()),
    )
    .await;
    r.assert_error(409, "1202");
    // ... but merchantPosId is unique per integrator and merchant only.
    let r = send(
        c.req_as(&other, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&with(pos_body(), "beaconId", json!(null))),
    )
    .await;
    r.assert_ok();
}

#[tokio::test]
async fn payment_field_codes() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let base = json!({ "posId": pos, "orderId": "o-1", "amount": 10, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    let post = |b: Value| c.create("/pos/v10/payments", b);
    post(with(base.clone(), "amount", json!(0)))
        .await
        .assert_error(400, "1102");
    post(with(base.clone(), "amount", json!(-5)))
        .await
        .assert_error(400, "1102");
    post(with(base.clone(), "amount", json!(1.234)))
        .await
        .assert_error(400, "1102");
    post(with(base.clone(), "amount", json!("10")))
        .await
        .assert_error(400, "1102");
    post(with(base.clone(), "orderId", json!("")))
        .await
        .assert_error(400, "1113");
    post(with(base.clone(), "orderId", json!("o".repeat(37))))
        .await
        .assert_error(400, "1113");
    post(with(
        base.clone(),
        "merchantPaymentLabel",
        json!("l".repeat(37)),
    ))
    .await
    .assert_error(400, "1117");
    post(with(base.clone(), "currencyCode", json!("SEK")))
        .await
        .assert_error(400, "1099");
    post(with(base.clone(), "plannedCaptureDelay", json!("Later")))
        .await
        .assert_error(400, "1099");
    post(with(
        base.clone(),
        "restrictions",
        json!({ "debitCardDisallowed": "yes" }),
    ))
    .await
    .assert_error(400, "1099");
    post(with(base.clone(), "posId", json!(12)))
        .await
        .assert_error(400, "1099");
    let prep = |b: Value| c.create("/pos/v10/payments/prepare", b);
    prep(json!({ "posId": pos, "orderId": "" }))
        .await
        .assert_error(400, "1113");
    assert_eq!(
        c.get(&format!("/pos/v10/payments?posId={pos}")).await.body["paymentIds"],
        json!([])
    );
    // ready and capture validate their bodies too.
    let pay = c.prepare_ok(&pos).await;
    c.post(
        &format!("/pos/v10/payments/{pay}/ready"),
        json!({ "amount": 0, "currencyCode": "DKK", "plannedCaptureDelay": "None" }),
    )
    .await
    .assert_error(400, "1102");
    c.post(&format!("/pos/v10/payments/{pay}/ready"), json!({ "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None", "merchantPaymentLabel": "" }))
        .await
        .assert_error(400, "1117");
    assert_eq!(c.status(&pay).await, "Prepared");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": -1 }),
    )
    .await
    .assert_error(400, "1102");
    c.post_idem(
        "/pos/v10/refunds",
        &uuid(),
        json!({ "paymentId": pay, "refundOrderId": "", "amount": 1, "currencyCode": "DKK" }),
    )
    .await
    .assert_error(400, "1114");
    c.post_idem(
        "/pos/v10/refunds",
        &uuid(),
        json!({ "paymentId": pay, "refundOrderId": "r", "amount": 0, "currencyCode": "DKK" }),
    )
    .await
    .assert_error(400, "1102");
}

#[tokio::test]
async fn filter_codes_1109_1119_1120_1121_1122() {
    let c = Ctx::start().await;
    c.get("/pos/v10/payments").await.assert_error(400, "1109");
    c.get("/pos/v10/payments?state=Captured")
        .await
        .assert_error(400, "1109");
    c.get("/pos/v10/payments?posId=xyz")
        .await
        .assert_error(400, "1099");
    c.get("/pos/v10/pointofsales")
        .await
        .assert_error(400, "1121");
    c.get("/pos/v10/stores?merchantBrandId=MPPOSCERT1")
        .await
        .assert_error(400, "1122");
    c.get("/pos/v10/stores?merchantLocationId=00001")
        .await
        .assert_error(400, "1122");
    c.get("/pos/v10/stores?merchantBrandId=XX&merchantLocationId=00001")
        .await
        .assert_error(400, "1119");
    c.get("/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=1")
        .await
        .assert_error(400, "1120");
    c.get("/pos/v10/stores/detailed?merchantBrandId=MPPOSCERT1")
        .await
        .assert_error(400, "1122");
}

// ----- payment conflicts ------------------------------------------------------------------

#[tokio::test]
async fn payment_conflicts_1000_1204_1301_1303_1304_1305_1307_1308_1300() {
    let c = Ctx::start().await;
    c.initiate(&uuid(), 1.0, json!({}))
        .await
        .assert_error(409, "1000");
    c.post_idem(
        "/pos/v10/payments/prepare",
        &uuid(),
        json!({ "posId": uuid(), "orderId": "o" }),
    )
    .await
    .assert_error(409, "1000");

    let (inactive, _) = c
        .create_pos_with(json!({ "storeId": CERT_INACTIVE_STORE_ID }))
        .await;
    c.initiate(&inactive, 1.0, json!({}))
        .await
        .assert_error(409, "1204");
    c.post_idem(
        "/pos/v10/payments/prepare",
        &uuid(),
        json!({ "posId": inactive, "orderId": "o" }),
    )
    .await
    .assert_error(409, "1204");

    let (pos, beacon) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.initiate(&pos, 1.0, json!({}))
        .await
        .assert_error(409, "1301");
    c.post_idem(
        "/pos/v10/payments/prepare",
        &uuid(),
        json!({ "posId": pos, "orderId": "o" }),
    )
    .await
    .assert_error(409, "1301");
    assert_eq!(
        c.status(&pay).await,
        "Initiated",
        "the active payment is untouched"
    );

    let ready = json!({ "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    c.post(&format!("/pos/v10/payments/{pay}/ready"), ready)
        .await
        .assert_error(409, "1303");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10 }),
    )
    .await
    .assert_error(409, "1304");

    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10.01 }),
    )
    .await
    .assert_error(409, "1305");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 5 }),
    )
    .await
    .assert_error(409, "1308");
    assert_eq!(c.status(&pay).await, "Reserved");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10 }),
    )
    .await
    .assert_ok();
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 9 }),
    )
    .await
    .assert_error(409, "1307");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_error(409, "1300");
    assert_eq!(c.status(&pay).await, "Captured");
}

// ----- 403 across integrators and merchants -----------------------------------------------

#[tokio::test]
async fn forbidden_codes_across_integrators_1400_1401() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 10.0).await;
    let other = c.token_for(1, Some("DK90000028")).await;
    let go = |m: Method, p: String| send(c.req_as(&other, m, &p));
    go(Method::GET, format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_error(403, "1400");
    go(Method::DELETE, format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_error(403, "1400");
    go(Method::GET, format!("/pos/v10/pointofsales/{pos}/checkin"))
        .await
        .assert_error(403, "1400");
    let body = json!({ "posId": pos, "orderId": "o", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    send(
        c.req_as(&other, Method::POST, "/pos/v10/payments")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&body),
    )
    .await
    .assert_error(403, "1400");
    send(
        c.req_as(&other, Method::POST, "/pos/v10/payments/prepare")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&json!({ "posId": pos, "orderId": "o" })),
    )
    .await
    .assert_error(403, "1400");
    go(Method::GET, format!("/pos/v10/payments/{pay}"))
        .await
        .assert_error(403, "1401");
    send(
        c.req_as(
            &other,
            Method::POST,
            &format!("/pos/v10/payments/{pay}/ready"),
        )
        .json(&json!({ "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })),
    )
    .await
    .assert_error(403, "1401");
    send(
        c.req_as(
            &other,
            Method::POST,
            &format!("/pos/v10/payments/{pay}/capture"),
        )
        .json(&json!({ "amount": 10 })),
    )
    .await
    .assert_error(403, "1401");
    go(Method::POST, format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_error(403, "1401");
    assert_eq!(c.status(&pay).await, "Initiated");
    let listed = go(Method::GET, format!("/pos/v10/payments?posId={pos}")).await;
    assert_eq!(
        listed.body["paymentIds"],
        json!([]),
        "another integrator's payments are not listed"
    );
    c.get(&format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_ok();
}

#[tokio::test]
async fn forbidden_codes_across_merchants_1406_to_1411() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let pay = c.prepare_ok(&pos).await;
    // The same integrator acting for the second merchant.
    let second = c.token_for(0, Some("DK11223344")).await;
    let go = |m: Method, p: String| send(c.req_as(&second, m, &p));
    go(Method::GET, format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_error(403, "1410");
    go(Method::DELETE, format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_error(403, "1409");
    go(Method::GET, format!("/pos/v10/payments/{pay}"))
        .await
        .assert_error(403, "1411");
    send(
        c.req_as(
            &second,
            Method::POST,
            &format!("/pos/v10/payments/{pay}/ready"),
        )
        .json(&json!({ "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })),
    )
    .await
    .assert_error(403, "1406");
    send(
        c.req_as(
            &second,
            Method::POST,
            &format!("/pos/v10/payments/{pay}/capture"),
        )
        .json(&json!({ "amount": 1 })),
    )
    .await
    .assert_error(403, "1407");
    go(Method::POST, format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_error(403, "1408");
    assert_eq!(c.status(&pay).await, "Prepared");
    // The second merchant cannot create a PoS on the certification store (1403), but can on its own.
    let r = send(
        c.req_as(&second, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&with(pos_body(), "beaconId", json!(null))),
    )
    .await;
    r.assert_error(403, "1403");
    let r = send(
        c.req_as(&second, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&with(
                with(pos_body(), "beaconId", json!(null)),
                "storeId",
                json!(SECOND_STORE_ID),
            )),
    )
    .await;
    r.assert_ok();
}

#[tokio::test]
async fn unknown_ids_are_404_without_body() {
    let c = Ctx::start().await;
    let id = uuid();
    for (m, p) in [
        (Method::GET, format!("/pos/v10/payments/{id}")),
        (Method::GET, "/pos/v10/payments/not-a-guid".to_string()),
        (Method::POST, format!("/pos/v10/payments/{id}/cancel")),
        (Method::GET, format!("/pos/v10/pointofsales/{id}")),
        (Method::GET, format!("/pos/v10/pointofsales/{id}/checkin")),
        (Method::DELETE, format!("/pos/v10/pointofsales/{id}")),
        (Method::GET, format!("/pos/v10/stores/{id}")),
    ] {
        let r = send(c.req(m, &p)).await;
        assert_eq!((r.status, r.body.clone()), (404, Value::Null), "{p}");
    }
    let r = c
        .post(
            &format!("/pos/v10/payments/{id}/capture"),
            json!({ "amount": 1 }),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c
        .post(
            &format!("/pos/v10/payments/{id}/ready"),
            json!({ "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" }),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn empty_or_malformed_guid_filters_are_1099() {
    let c = Ctx::start().await;
    for q in [
        "/pos/v10/pointofsales?storeId=",
        "/pos/v10/pointofsales?storeId=abc",
        "/pos/v10/payments?posId=",
        "/pos/v10/payments?orderId=o&state=",
        "/pos/v10/refunds?paymentId=",
    ] {
        let r = c.get(q).await;
        if q.contains("refunds") {
            assert_eq!(r.body["origin"], "PoS");
        }
        r.assert_error(400, "1099");
    }
}
