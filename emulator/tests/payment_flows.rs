//! Every payment and prepared-payment transition of notes §5.1–§5.3, §5.5, §5.8–§5.10, over
//! real HTTP: each test drives the API as a client plus the user-simulation API as the
//! customer, and asserts the state a client would observe by polling.

mod common;
use common::*;
use poscert_emulator::EmulatorConfig;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn initiated_then_check_in_then_reserved_then_captured() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 12.5).await;
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "Initiated");
    assert_eq!(p["amount"], 12.5);
    assert_eq!(p["pollDelayInMs"], 20);
    assert!(
        p.get("partialCapturePossible").is_none(),
        "only present when Reserved"
    );
    assert!(p.get("loyaltyIds").is_none(), "no user yet: not looked up");

    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    assert_eq!(c.status(&pay).await, "IssuedToUser");

    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "Reserved");
    assert_eq!(p["partialCapturePossible"], false);
    assert_eq!(p["loyaltyIds"], json!([]));
    assert_eq!(p["customerToken"].as_str().map(str::len), Some(40));
    assert!(p["paymentExpiresAt"].as_str().is_some());

    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 12.5 }),
    )
    .await
    .assert_ok();
    assert_eq!(c.status(&pay).await, "Captured");
    let list = c
        .get(&format!("/pos/v10/payments?posId={pos}&state=Captured"))
        .await;
    assert_eq!(list.body["paymentIds"], json!([pay]));
    let active = c.get(&format!("/pos/v10/payments?posId={pos}")).await;
    assert_eq!(
        active.body["paymentIds"],
        json!([]),
        "a captured payment is not active"
    );
}

#[tokio::test]
async fn initiate_after_check_in_is_issued_to_user_at_once() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(FI_CREDIT)).await.assert_ok();
    let pay = c.initiate_ok(&pos, 10.0).await;
    assert_eq!(c.status(&pay).await, "IssuedToUser");
}

#[tokio::test]
async fn client_cancels_initiated_issued_and_reserved_payments() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.status(&pay).await, "CancelledByClient");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();

    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let pay = c.initiate_ok(&pos, 10.0).await;
    assert_eq!(c.status(&pay).await, "IssuedToUser");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.status(&pay).await, "CancelledByClient");

    let (_, _, reserved) = c.reserved(CREDIT, 10.0).await;
    c.post_empty(&format!("/pos/v10/payments/{reserved}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.status(&reserved).await, "CancelledByClient");
}

#[tokio::test]
async fn user_cancels_an_issued_payment_and_the_pos_is_free_again() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.sim("cancelpaymentbyuser", &beacon, None)
        .await
        .assert_ok();
    assert_eq!(c.status(&pay).await, "CancelledByUser");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_error(409, "1300");
    let checkin = c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await;
    assert_eq!(checkin.body["isUserCheckedIn"], false, "the customer left");
    c.initiate_ok(&pos, 11.0).await;
}

#[tokio::test]
async fn reserved_payment_expires_after_seven_days() {
    let mut c = Ctx::start().await;
    let (_, _, pay) = c.reserved(CREDIT, 10.0).await;
    c.advance(7 * 24 * 3600 - 60).await;
    assert_eq!(c.status(&pay).await, "Reserved");
    c.advance(61).await;
    assert_eq!(c.status(&pay).await, "ExpiredAndCancelled");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10.0 }),
    )
    .await
    .assert_error(409, "1304");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_error(409, "1300");
}

#[tokio::test]
async fn inactivity_cancels_active_payments_by_mobilepay_when_configured() {
    let mut c = Ctx::start_with(EmulatorConfig {
        inactivity_timeout_secs: Some(120),
        ..test_config()
    })
    .await;
    let (pos, beacon) = c.create_pos().await;
    let initiated = c.initiate_ok(&pos, 10.0).await;
    c.advance(119).await;
    assert_eq!(c.status(&initiated).await, "Initiated");
    c.advance(2).await;
    assert_eq!(c.status(&initiated).await, "CancelledByMobilePay");

    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let issued = c.initiate_ok(&pos, 10.0).await;
    assert_eq!(c.status(&issued).await, "IssuedToUser");
    c.advance(121).await;
    assert_eq!(c.status(&issued).await, "CancelledByMobilePay");

    let prepared = c.prepare_ok(&pos).await;
    c.advance(121).await;
    assert_eq!(c.status(&prepared).await, "CancelledByMobilePay");
    c.initiate_ok(&pos, 10.0).await;
}

#[tokio::test]
async fn no_inactivity_cancellation_by_default() {
    let mut c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.advance(30 * 24 * 3600).await;
    assert_eq!(c.status(&pay).await, "Initiated");
}

#[tokio::test]
async fn prepared_paired_with_loyalty_then_ready_reserved_captured() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let pay = c.prepare_ok(&pos).await;
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "Prepared");
    assert!(
        p.get("amount").is_none(),
        "a prepared payment has no amount yet"
    );

    c.sim("checkin", &beacon, Some(LOYALTY)).await.assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "Paired");
    assert_eq!(p["loyaltyIds"], json!(["123456"]));
    let checkin = c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await;
    assert_eq!(checkin.body["isUserCheckedIn"], true);
    assert_eq!(checkin.body["loyaltyIds"], json!(["123456"]));

    let ready = json!({ "amount": 90.0, "currencyCode": "DKK", "plannedCaptureDelay": "LessThan24Hours", "merchantPaymentLabel": "discounted" });
    c.post(&format!("/pos/v10/payments/{pay}/ready"), ready.clone())
        .await
        .assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "IssuedToUser");
    assert_eq!(p["amount"], 90.0);
    assert_eq!(p["merchantPaymentLabel"], "discounted");
    assert_eq!(p["plannedCaptureDelay"], "LessThan24Hours");
    c.post(&format!("/pos/v10/payments/{pay}/ready"), ready)
        .await
        .assert_ok();

    c.sim("acceptpayment", &beacon, Some(LOYALTY))
        .await
        .assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(p["status"], "Reserved");
    assert_eq!(p["loyaltyIds"], json!(["123456"]));
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 90 }),
    )
    .await
    .assert_ok();
    assert_eq!(c.status(&pay).await, "Captured");
}

#[tokio::test]
async fn prepared_ready_before_check_in_is_initiated_then_issued() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let pay = c.prepare_ok(&pos).await;
    c.post(
        &format!("/pos/v10/payments/{pay}/ready"),
        json!({ "amount": 5, "currencyCode": "EUR", "plannedCaptureDelay": "None" }),
    )
    .await
    .assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(
        (p["status"].as_str(), p["currencyCode"].as_str()),
        (Some("Initiated"), Some("EUR"))
    );
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    assert_eq!(c.status(&pay).await, "IssuedToUser");
}

#[tokio::test]
async fn prepared_and_paired_cancellations() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let prepared = c.prepare_ok(&pos).await;
    c.sim("cancelpaymentbyuser", &beacon, None)
        .await
        .assert_error(409, "9005");
    c.post_empty(&format!("/pos/v10/payments/{prepared}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.status(&prepared).await, "CancelledByClient");

    let paired = c.prepare_ok(&pos).await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    assert_eq!(c.status(&paired).await, "Paired");
    c.sim("cancelpaymentbyuser", &beacon, None)
        .await
        .assert_ok();
    assert_eq!(c.status(&paired).await, "CancelledByUser");

    let paired = c.prepare_ok(&pos).await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    c.post_empty(&format!("/pos/v10/payments/{paired}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.status(&paired).await, "CancelledByClient");
}

#[tokio::test]
async fn restrictions_leave_disallowed_cards_issued_to_user_and_are_echoed() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(DEBIT)).await.assert_ok();
    let r = c.initiate(&pos, 10.0, json!({ "restrictions": { "debitCardDisallowed": true, "creditCardDisallowed": false } })).await;
    r.assert_ok();
    let pay = r.body["paymentId"].as_str().unwrap().to_string();
    c.sim("acceptpayment", &beacon, Some(DEBIT))
        .await
        .assert_ok();
    let p = c.payment(&pay).await;
    assert_eq!(
        p["status"], "IssuedToUser",
        "the debit card is refused; the payment waits"
    );
    assert_eq!(
        p["restrictions"],
        json!({ "debitCardDisallowed": true, "creditCardDisallowed": false })
    );
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();

    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let r = c
        .initiate(
            &pos,
            10.0,
            json!({ "restrictions": { "creditCardDisallowed": true } }),
        )
        .await;
    let pay = r.body["paymentId"].as_str().unwrap().to_string();
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    assert_eq!(c.status(&pay).await, "IssuedToUser");
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();

    // A credit card is fine when only debit cards are disallowed.
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let r = c
        .initiate(
            &pos,
            10.0,
            json!({ "restrictions": { "debitCardDisallowed": true } }),
        )
        .await;
    let pay = r.body["paymentId"].as_str().unwrap().to_string();
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    assert_eq!(c.status(&pay).await, "Reserved");
}

#[tokio::test]
async fn partial_capture_user_allows_capturing_less() {
    let c = Ctx::start().await;
    let (_, _, pay) = c.reserved(PARTIAL, 20.0).await;
    assert_eq!(c.payment(&pay).await["partialCapturePossible"], true);
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10.0 }),
    )
    .await
    .assert_ok();
    assert_eq!(c.status(&pay).await, "Captured");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 10.0 }),
    )
    .await
    .assert_ok();
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 20.0 }),
    )
    .await
    .assert_error(409, "1307");
}

#[tokio::test]
async fn require_payment_before_checkin_is_honoured() {
    let c = Ctx::start().await;
    let (pos, beacon) = c
        .create_pos_with(json!({ "requirePaymentBeforeCheckin": true }))
        .await;
    assert_eq!(
        c.get(&format!("/pos/v10/pointofsales/{pos}")).await.body["requirePaymentBeforeCheckin"],
        true
    );
    c.sim("checkin", &beacon, Some(CREDIT))
        .await
        .assert_error(409, "9004");
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    assert_eq!(c.status(&pay).await, "IssuedToUser");
}

#[tokio::test]
async fn check_in_status_and_customer_tokens() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let r = c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await;
    r.assert_ok();
    assert_eq!(
        r.body,
        json!({ "isUserCheckedIn": false, "pollDelayInMs": 20 })
    );
    c.sim("checkin", &beacon, Some(RECEIPT)).await.assert_ok();
    let r = c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await;
    assert_eq!(r.body["isUserCheckedIn"], true);
    assert_eq!(r.body["loyaltyIds"], json!([]));
    assert_eq!(
        r.body["customerReceiptToken"].as_str().map(str::len),
        Some(32)
    );
    // Another user cannot take over while this one is paying.
    c.initiate_ok(&pos, 1.0).await;
    c.sim("checkin", &beacon, Some(CREDIT))
        .await
        .assert_error(409, "9004");
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_error(409, "9003");
}

#[tokio::test]
async fn user_simulation_errors_and_credentials() {
    let c = Ctx::start().await;
    let (_, beacon) = c.create_pos().await;
    c.sim("checkin", "999999999999999", Some(CREDIT))
        .await
        .assert_error(404, "9001");
    c.sim("checkin", &beacon, Some("+4511111111"))
        .await
        .assert_error(404, "9002");
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_error(409, "9003");
    c.sim("cancelpaymentbyuser", &beacon, None)
        .await
        .assert_error(409, "9005");
    let wrong = send(
        c.http
            .post(c.url("/pos/app/usersimulation/checkin"))
            .header("x-ibm-client-id", "x")
            .header("x-ibm-client-secret", "y")
            .json(&json!({ "beaconId": beacon, "phoneNumber": CREDIT })),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let missing = send(
        c.http
            .post(c.url("/pos/app/usersimulation/checkin"))
            .json(&json!({ "beaconId": beacon, "phoneNumber": CREDIT })),
    )
    .await;
    assert_eq!(missing.status, 401);
    // The integrator token is not accepted there.
    let bearer = send(
        c.http
            .post(c.url("/pos/app/usersimulation/checkin"))
            .bearer_auth(&c.token)
            .json(&json!({ "beaconId": beacon, "phoneNumber": CREDIT })),
    )
    .await;
    assert_eq!(bearer.status, 401);
}

#[tokio::test]
async fn payment_list_filters_and_order_id_mapping() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let body = |order: &str| json!({ "posId": pos, "orderId": order, "amount": 3, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    let first = c
        .post_idem("/pos/v10/payments", &uuid(), body("ORDER-1"))
        .await
        .body["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    let second = c
        .post_idem("/pos/v10/payments", &uuid(), body("ORDER-2"))
        .await
        .body["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids: Vec<String> = serde_json::from_value(
        c.get(&format!("/pos/v10/payments?posId={pos}")).await.body["paymentIds"].clone(),
    )
    .unwrap();
    ids.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(ids, expected, "active and reserved payments");
    let by_order = c
        .get(&format!("/pos/v10/payments?orderId=ORDER-1&posId={pos}"))
        .await;
    assert_eq!(by_order.body["paymentIds"], json!([first]));
    // Reusing an orderId overwrites the mapping: only the latest payment is returned.
    c.post_empty(&format!("/pos/v10/payments/{second}/cancel"))
        .await
        .assert_ok();
    let third = c
        .post_idem("/pos/v10/payments", &uuid(), body("ORDER-1"))
        .await
        .body["paymentIds"]
        .clone();
    let _ = third;
    let latest = c.get("/pos/v10/payments?orderId=ORDER-1").await.body["paymentIds"].clone();
    assert_eq!(latest.as_array().map(Vec::len), Some(1));
    assert_ne!(latest, json!([first]));
}

#[tokio::test]
async fn self_certification_prefix_shares_state() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let r = send(
        c.req(Method::POST, "/pos-self-certification-api/pos/v10/payments")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&json!({ "posId": pos, "orderId": "sc-1", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })),
    )
    .await;
    r.assert_ok();
    let pay = r.body["paymentId"].as_str().unwrap();
    assert_eq!(c.status(pay).await, "Initiated");
    let via_sc = send(c.req(
        Method::GET,
        &format!("/pos-self-certification-api/pos/v10/payments/{pay}"),
    ))
    .await;
    assert_eq!(via_sc.body["status"], "Initiated");
    let journal = c.journal("pathPrefix=/pos-self-certification-api").await;
    assert_eq!(journal.len(), 2, "the journal keeps the path as requested");
}

#[tokio::test]
async fn deleting_a_pos_cancels_its_active_payment_but_reserved_ones_stay_capturable() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let reserved = c.initiate_ok(&pos, 10.0).await;
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    let active = c.initiate_ok(&pos, 5.0).await;
    send(c.req(Method::DELETE, &format!("/pos/v10/pointofsales/{pos}")))
        .await
        .assert_ok();
    assert_eq!(
        c.get(&format!("/pos/v10/pointofsales/{pos}")).await.status,
        404
    );
    assert_eq!(c.status(&active).await, "CancelledByMobilePay");
    c.post(
        &format!("/pos/v10/payments/{reserved}/capture"),
        json!({ "amount": 10.0 }),
    )
    .await
    .assert_ok();
    c.initiate(&pos, 1.0, json!({}))
        .await
        .assert_error(409, "1000");
    // A PoS that is gone is gone: deleting it again is 404 (no body).
    let again = send(c.req(Method::DELETE, &format!("/pos/v10/pointofsales/{pos}"))).await;
    assert_eq!((again.status, &again.body), (404, &Value::Null));
}

#[tokio::test]
async fn generated_beacon_id_and_pos_lookup() {
    let c = Ctx::start().await;
    let r = c.post_idem(
        "/pos/v10/pointofsales",
        &uuid(),
        json!({ "merchantPosId": "gen-1", "storeId": poscert_emulator::seed::CERT_STORE_ID, "name": "Till", "beaconId": null, "supportedBeaconTypes": ["QR", "Bluetooth"], "callbackAlias": "Alias 1" }),
    )
    .await;
    r.assert_ok();
    let pos = r.body["posId"].as_str().unwrap().to_string();
    let p = c.get(&format!("/pos/v10/pointofsales/{pos}")).await.body;
    let beacon = p["beaconId"].as_str().unwrap().to_string();
    assert_eq!(beacon.len(), 36, "a generated GUID");
    assert_eq!(p["callbackAlias"], "Alias 1");
    assert_eq!(p["supportedBeaconTypes"], json!(["QR", "Bluetooth"]));
    for q in [
        "merchantPosId=gen-1".to_string(),
        format!("beaconId={beacon}"),
        format!("storeId={}", poscert_emulator::seed::CERT_STORE_ID),
    ] {
        let ids = c.get(&format!("/pos/v10/pointofsales?{q}")).await;
        assert_eq!(ids.body["posIds"], json!([pos]), "{q}");
    }
    let none = c.get("/pos/v10/pointofsales?merchantPosId=unknown").await;
    assert_eq!(none.body["posIds"], json!([]));
}

#[tokio::test]
async fn stores_are_discoverable() {
    let c = Ctx::start().await;
    let r = c
        .get("/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001")
        .await;
    assert_eq!(
        r.body["storeIds"],
        json!([poscert_emulator::seed::CERT_STORE_ID])
    );
    let all = c.get("/pos/v10/stores").await;
    assert_eq!(all.body["storeIds"].as_array().map(Vec::len), Some(2));
    let detailed = c.get("/pos/v10/stores/detailed").await;
    assert_eq!(detailed.body[0]["merchantBrandId"], "MPPOSCERT1");
    assert!(detailed.body[0]["brandName"].as_str().is_some());
    let one = c
        .get(&format!(
            "/pos/v10/stores/{}",
            poscert_emulator::seed::CERT_STORE_ID
        ))
        .await;
    assert_eq!(one.body["merchantLocationId"], "00001");
    assert_eq!(
        c.get(&format!(
            "/pos/v10/stores/{}",
            poscert_emulator::seed::SECOND_STORE_ID
        ))
        .await
        .status,
        404,
        "another merchant's store"
    );
}
