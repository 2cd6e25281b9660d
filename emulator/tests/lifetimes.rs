//! Lifetimes of what the emulator keeps (README, "Lifetimes and memory"): finished payments,
//! deleted PoSes and idempotency keys are forgotten once past their documented lifetimes on
//! the virtual clock, and nothing changes before. Over real HTTP on loopback.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const DAY: u64 = 86_400;

async fn stats(c: &Ctx) -> Value {
    let r = c.control(Method::GET, "/_emulator/stats", None).await;
    r.assert_ok();
    r.body
}

async fn invariants_hold(c: &Ctx) {
    let r = c.control(Method::GET, "/_emulator/invariants", None).await;
    r.assert_ok();
    assert_eq!(r.body["ok"], json!(true), "{}", r.body);
}

#[tokio::test]
async fn a_finished_payment_answers_until_its_retention_then_404s() {
    let mut c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let pay = c.initiate_ok(&pos, 10.0).await;
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();
    c.advance(119 * DAY).await;
    assert_eq!(c.status(&pay).await, "CancelledByClient");
    assert_eq!(stats(&c).await["store"]["payments"], json!(1));
    c.advance(DAY + 60).await;
    assert_eq!(c.get(&format!("/pos/v10/payments/{pay}")).await.status, 404);
    let s = stats(&c).await;
    assert_eq!(s["store"]["payments"], json!(0), "{s}");
    assert_eq!(s["store"]["orders"], json!(0), "{s}");
    // The live PoS stays, and takes new payments.
    c.initiate_ok(&pos, 10.0).await;
    invariants_hold(&c).await;
}

#[tokio::test]
async fn a_captured_payment_is_still_refundable_on_day_89() {
    let mut c = Ctx::start().await;
    let pay = c.captured(100.0).await;
    c.advance(89 * DAY).await;
    assert_eq!(c.status(&pay).await, "Captured");
    let refund = c.refund_ok(&pay, 40.0).await;
    assert_eq!(c.refund_status(&refund).await, "Initiated");
    assert_eq!(c.refund_status(&refund).await, "Reserved");
    c.post_empty(&format!("/pos/v10/refunds/{refund}/capture"))
        .await
        .assert_ok();
    // Day 92: past the refund window (1366), yet remembered: retention counts from the refund.
    c.advance(3 * DAY).await;
    assert_eq!(c.status(&pay).await, "Captured");
    c.create_refund(&pay, 10.0).await.assert_error(409, "1366");
    // 120 days after the refund ended (day 89), both are forgotten: day 208 still there, 210 not.
    c.advance(116 * DAY).await;
    assert_eq!(c.refund_status(&refund).await, "Captured");
    c.advance(2 * DAY).await;
    assert_eq!(c.get(&format!("/pos/v10/payments/{pay}")).await.status, 404);
    assert_eq!(
        c.get(&format!("/pos/v10/refunds/{refund}")).await.status,
        404
    );
    invariants_hold(&c).await;
}

#[tokio::test]
async fn a_captured_payment_without_refunds_is_kept_through_its_refund_window() {
    let mut c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        // Shorter than the refund window: the window still wins.
        finished_retention_secs: 10 * DAY,
        ..test_config()
    })
    .await;
    let pay = c.captured(100.0).await;
    c.advance(89 * DAY).await;
    c.refund_ok(&pay, 1.0).await;
}

#[tokio::test]
async fn an_active_payment_and_an_open_refund_are_never_forgotten() {
    let mut c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let active = c.initiate_ok(&pos, 10.0).await;
    let captured = c.captured(50.0).await;
    let open_refund = c.refund_ok(&captured, 5.0).await;
    c.advance(400 * DAY).await;
    assert_eq!(c.status(&active).await, "Initiated");
    assert_eq!(c.status(&captured).await, "Captured");
    assert_eq!(c.refund_status(&open_refund).await, "Initiated");
    // Still the PoS's one active payment.
    c.initiate(&pos, 10.0, json!({}))
        .await
        .assert_error(409, "1301");
    invariants_hold(&c).await;
}

#[tokio::test]
async fn a_deleted_pos_and_its_data_disappear() {
    let mut c = Ctx::start().await;
    let (pos, beacon, pay) = c.reserved(CREDIT, 20.0).await;
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({"amount": 20.0}),
    )
    .await
    .assert_ok();
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let cancelled = c.initiate_ok(&pos, 5.0).await;
    c.req(Method::DELETE, &format!("/pos/v10/pointofsales/{pos}"))
        .send()
        .await
        .unwrap();
    assert_eq!(c.status(&cancelled).await, "CancelledByMobilePay");
    c.advance(60 * DAY).await;
    let s = stats(&c).await;
    assert_eq!(s["store"]["posDeleted"], json!(1), "{s}");
    assert_eq!(c.status(&pay).await, "Captured");
    c.advance(65 * DAY).await;
    let s = stats(&c).await;
    for (k, v) in [
        ("posLive", 0),
        ("posDeleted", 0),
        ("payments", 0),
        ("refunds", 0),
        ("idempotencyRecords", 0),
        ("orders", 0),
        ("beacons", 0),
        ("pollDelayCounters", 0),
    ] {
        assert_eq!(s["store"][k], json!(v), "{k}: {s}");
    }
    assert_eq!(c.get(&format!("/pos/v10/payments/{pay}")).await.status, 404);
    assert_eq!(
        c.get(&format!("/pos/v10/pointofsales/{pos}")).await.status,
        404
    );
    invariants_hold(&c).await;
}

#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_24h() {
    let mut c = Ctx::start().await;
    let body = |n: &str| {
        json!({"merchantPosId": n, "storeId": poscert_emulator::seed::CERT_STORE_ID,
               "name": "Till", "supportedBeaconTypes": ["QR"]})
    };
    let first = c
        .post_idem("/pos/v10/pointofsales", "key-1", body("a"))
        .await;
    first.assert_ok();
    c.advance(23 * 3600).await;
    let replay = c
        .post_idem("/pos/v10/pointofsales", "key-1", body("a"))
        .await;
    assert_eq!(replay.body, first.body);
    c.post_idem("/pos/v10/pointofsales", "key-1", body("b"))
        .await
        .assert_error(409, "1306");
    assert_eq!(stats(&c).await["store"]["idempotencyRecords"], json!(1));
    c.advance(3600 + 60).await;
    assert_eq!(stats(&c).await["store"]["idempotencyRecords"], json!(0));
    let again = c
        .post_idem("/pos/v10/pointofsales", "key-1", body("b"))
        .await;
    again.assert_ok();
    assert_ne!(again.body["posId"], first.body["posId"]);
    invariants_hold(&c).await;
}

#[tokio::test]
async fn stats_and_invariants_describe_the_store_and_are_not_journaled() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    c.initiate_ok(&pos, 10.0).await;
    let s = stats(&c).await;
    assert_eq!(s["store"]["posLive"], json!(1), "{s}");
    assert_eq!(s["store"]["paymentsActive"], json!(1), "{s}");
    assert_eq!(s["store"]["idempotencyRecords"], json!(2), "{s}");
    assert_eq!(s["journal"]["capacity"], json!(100_000), "{s}");
    assert!(s["journal"]["bytes"].as_u64().unwrap() > 0, "{s}");
    assert!(s["clock"]["now"].is_string(), "{s}");
    let r = c.control(Method::GET, "/_emulator/invariants", None).await;
    assert_eq!(r.body["ok"], json!(true), "{}", r.body);
    assert_eq!(r.body["offenders"], json!([]));
    let journaled = c.journal("pathPrefix=/_emulator").await;
    assert!(journaled.is_empty(), "{journaled:?}");
    assert_eq!(
        c.control(Method::POST, "/_emulator/stats", None)
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn a_short_retention_still_keeps_a_payment_through_its_idempotency_window() {
    // Forgetting a payment forgets its keys too: with a retention shorter than the 24 h
    // idempotency window, a retry within the window must still replay, not create a second
    // payment.
    let mut c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        finished_retention_secs: 3_600,
        ..test_config()
    })
    .await;
    let (pos, _) = c.create_pos().await;
    let key = uuid();
    let body = json!({ "posId": pos, "orderId": "short-retention", "amount": 10.0,
                       "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    let first = c.post_idem("/pos/v10/payments", &key, body.clone()).await;
    first.assert_ok();
    let pay = first.body["paymentId"].as_str().unwrap().to_string();
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();
    c.advance(2 * 3_600).await;
    let retry = c.post_idem("/pos/v10/payments", &key, body.clone()).await;
    retry.assert_ok();
    assert_eq!(
        retry.body["paymentId"],
        json!(pay),
        "the retry replays the first answer"
    );
    // Past the window, key and payment are forgotten together.
    c.advance(DAY).await;
    assert_eq!(c.get(&format!("/pos/v10/payments/{pay}")).await.status, 404);
    invariants_hold(&c).await;
}

#[tokio::test]
async fn releasing_a_finished_case_forgets_its_idempotency_records_at_once() {
    // The embedded emulator's end of a case (`DELETE /_emulator/journal?posId=`) forgets a
    // deleted PoS with what only it could reach, its idempotency records included, long before
    // the 24 h sweep; keys of another PoS stay.
    let c = Ctx::start().await;
    let (other, _) = c.create_pos().await;
    c.initiate_ok(&other, 5.0).await;
    let (pos, _beacon, pay) = c.reserved(CREDIT, 20.0).await;
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({"amount": 20.0}),
    )
    .await
    .assert_ok();
    c.refund_ok(&pay, 5.0).await;
    assert_eq!(stats(&c).await["store"]["idempotencyRecords"], json!(5));
    c.req(Method::DELETE, &format!("/pos/v10/pointofsales/{pos}"))
        .send()
        .await
        .unwrap();
    let r = c
        .control(
            Method::DELETE,
            &format!("/_emulator/journal?posId={pos}"),
            None,
        )
        .await;
    r.assert_ok();
    assert_eq!(r.body["released"], json!(true), "{}", r.body);
    let s = stats(&c).await;
    assert_eq!(s["store"]["idempotencyRecords"], json!(2), "{s}");
    assert_eq!(s["store"]["payments"], json!(1), "{s}");
    invariants_hold(&c).await;
}
