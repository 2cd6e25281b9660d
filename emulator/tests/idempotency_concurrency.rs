//! Idempotency (notes §5.7, §9.6) and the three concurrency guarantees: one active payment per
//! PoS under 50 concurrent initiates, one resource for 50 concurrent retries of one key, and
//! one final state when capture races cancel.

mod common;
use common::*;
use poscert_emulator::seed::CERT_STORE_ID;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn same_key_same_request_replays_the_original_response() {
    let c = Ctx::start().await;
    let body = json!({ "merchantPosId": "idem-1", "storeId": CERT_STORE_ID, "name": "Till", "supportedBeaconTypes": ["QR"] });
    let first = c
        .post_idem("/pos/v10/pointofsales", "key-1", body.clone())
        .await;
    first.assert_ok();
    // Same body with other key order and whitespace: a retry.
    let reordered = r#"{ "supportedBeaconTypes": ["QR"], "name": "Till", "storeId": "9d0a9c45-1793-4e82-9410-b0ee6779ab60", "merchantPosId": "idem-1" }"#;
    let second = send(
        c.req(Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", "key-1")
            .header("Content-Type", "application/json")
            .body(reordered),
    )
    .await;
    assert_eq!((second.status, &second.body), (200, &first.body));
    let ids = c.get("/pos/v10/pointofsales?merchantPosId=idem-1").await;
    assert_eq!(
        ids.body["posIds"],
        json!([first.body["posId"]]),
        "exactly one PoS"
    );
}

#[tokio::test]
async fn same_key_different_request_is_1306() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let body = json!({ "posId": pos, "orderId": "o-1", "amount": 10, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    c.post_idem("/pos/v10/payments", "k", body.clone())
        .await
        .assert_ok();
    let mut changed = body.clone();
    changed["amount"] = json!(11);
    c.post_idem("/pos/v10/payments", "k", changed)
        .await
        .assert_error(409, "1306");
    // The original still replays afterwards.
    c.post_idem("/pos/v10/payments", "k", body)
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_rejected_request_does_not_bind_its_key() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let active = c.initiate_ok(&pos, 1.0).await;
    let body = json!({ "posId": pos, "orderId": "o-2", "amount": 10, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    c.post_idem("/pos/v10/payments", "k-err", body.clone())
        .await
        .assert_error(409, "1301");
    // A different body under the same key is not 1306: nothing is bound to the key yet.
    let mut other = body.clone();
    other["amount"] = json!(0);
    c.post_idem("/pos/v10/payments", "k-err", other)
        .await
        .assert_error(400, "1102");
    c.post_empty(&format!("/pos/v10/payments/{active}/cancel"))
        .await
        .assert_ok();
    let created = c
        .post_idem("/pos/v10/payments", "k-err", body.clone())
        .await;
    created.assert_ok();
    // Now the key holds a success: replayed, and 1306 for another body.
    let replay = c
        .post_idem("/pos/v10/payments", "k-err", body.clone())
        .await;
    assert_eq!((replay.status, &replay.body), (200, &created.body));
    let mut changed = body;
    changed["amount"] = json!(11);
    c.post_idem("/pos/v10/payments", "k-err", changed)
        .await
        .assert_error(409, "1306");
}

#[tokio::test]
async fn keys_are_scoped_by_endpoint_integrator_and_merchant() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let key = "shared-key";
    let prep = c
        .post_idem(
            "/pos/v10/payments/prepare",
            key,
            json!({ "posId": pos, "orderId": "o" }),
        )
        .await;
    prep.assert_ok();
    // Same key on another endpoint: an independent key.
    let pos_body = json!({ "merchantPosId": "scope-1", "storeId": CERT_STORE_ID, "name": "Till", "supportedBeaconTypes": ["QR"] });
    let created = c
        .post_idem("/pos/v10/pointofsales", key, pos_body.clone())
        .await;
    created.assert_ok();
    // Same key and body from another integrator: its own PoS (merchantPosId is per integrator).
    let other = c.token_for(1, Some("DK90000028")).await;
    let r = send(
        c.req_as(&other, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", key)
            .json(&pos_body),
    )
    .await;
    r.assert_ok();
    assert_ne!(r.body["posId"], created.body["posId"]);
    // Same integrator, other VAT of the same merchant: a different scope, so the same body is a
    // new request and meets the merchantPosId rule.
    let fi = c.token_for(0, Some("FI90000040")).await;
    let r = send(
        c.req_as(&fi, Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", key)
            .json(&pos_body),
    )
    .await;
    r.assert_error(409, "1200");
    // And the self-certification prefix shares the scope of the plain path.
    let r = send(
        c.req(
            Method::POST,
            "/pos-self-certification-api/pos/v10/pointofsales",
        )
        .header("X-MobilePay-Idempotency-Key", key)
        .json(&pos_body),
    )
    .await;
    assert_eq!((r.status, &r.body), (200, &created.body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_initiates_on_one_pos_give_one_payment_and_49_conflicts() {
    let c = Arc::new(Ctx::start().await);
    let (pos, _) = c.create_pos().await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = c.clone();
        let pos = pos.clone();
        tasks.push(tokio::spawn(async move {
            c.initiate(&pos, 1.0 + i as f64, json!({})).await
        }));
    }
    let mut ok = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => ok.push(r.body["paymentId"].as_str().unwrap().to_string()),
            409 => {
                assert_eq!(r.code(), "1301");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!((ok.len(), conflicts), (1, 49));
    let listed = c.get(&format!("/pos/v10/payments?posId={pos}")).await;
    assert_eq!(listed.body["paymentIds"], json!(ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_retries_of_one_key_create_one_resource_with_identical_answers() {
    let c = Arc::new(Ctx::start().await);
    let (pos, _) = c.create_pos().await;
    let body = json!({ "posId": pos, "orderId": "race", "amount": 10, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = c.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            c.post_idem("/pos/v10/payments", "one-key", body).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        answers.push((r.status, r.body));
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "all 50 answers identical"
    );
    assert_eq!(answers[0].0, 200);
    let listed = c.get(&format!("/pos/v10/payments?posId={pos}")).await;
    assert_eq!(
        listed.body["paymentIds"],
        json!([answers[0].1["paymentId"]]),
        "exactly one payment"
    );
    let journal = c.journal("method=POST&path=/pos/v10/payments").await;
    assert_eq!(journal.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_capture_and_cancel_leave_exactly_one_final_state() {
    let c = Arc::new(Ctx::start().await);
    for round in 0..10 {
        let (_, _, pay) = c.reserved(CREDIT, 10.0).await;
        let (a, b) = (c.clone(), c.clone());
        let (p1, p2) = (pay.clone(), pay.clone());
        let capture = tokio::spawn(async move {
            a.post(
                &format!("/pos/v10/payments/{p1}/capture"),
                json!({ "amount": 10 }),
            )
            .await
        });
        let cancel = tokio::spawn(async move {
            b.post_empty(&format!("/pos/v10/payments/{p2}/cancel"))
                .await
        });
        let (cap, can) = (capture.await.unwrap(), cancel.await.unwrap());
        let status = c.status(&pay).await;
        match status.as_str() {
            "Captured" => {
                assert_eq!(cap.status, 200, "round {round}");
                can.assert_error(409, "1300");
            }
            "CancelledByClient" => {
                assert_eq!(can.status, 200, "round {round}");
                cap.assert_error(409, "1304");
            }
            other => panic!("round {round}: unexpected final state {other}"),
        }
    }
}
