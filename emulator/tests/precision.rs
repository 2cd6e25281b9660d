//! Precision fixes of issue 11, over real HTTP: a retried DELETE meets 404, only successful
//! creations are bound to an idempotency key, unknown JSON fields are accepted and journaled,
//! and the check-in notification service calls the integrator back.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn add_fault(c: &Ctx, fault: Value) -> String {
    let r = c
        .control(Method::POST, "/_emulator/faults", Some(fault))
        .await;
    r.assert_ok();
    r.body["id"].as_str().unwrap().to_string()
}

// ----- 1. the retried DELETE --------------------------------------------------------------

#[tokio::test]
async fn a_retried_delete_whose_first_attempt_took_effect_meets_404() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let path = format!("/pos/v10/pointofsales/{pos}");
    let fault = add_fault(
        &c,
        json!({ "method": "DELETE", "path": "/pos/v10/pointofsales/{posid}", "kind": "delay", "delayMs": 400 }),
    )
    .await;
    // The first attempt is processed, then its answer is held past the client's timeout.
    let timed_out = c
        .req(Method::DELETE, &path)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(
        timed_out.is_err(),
        "the client gave up on the first attempt"
    );
    // The retry finds nothing: the PoS is gone.
    let retry = send(c.req(Method::DELETE, &path)).await;
    assert_eq!((retry.status, &retry.body), (404, &Value::Null));
    assert_eq!(c.get(&path).await.status, 404);
    // Once the held answer is out, the journal shows what happened: 200 (held), then 404.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let journal = c.journal(&format!("method=DELETE&path={path}")).await;
    let seen: Vec<(u64, Value)> = journal
        .iter()
        .map(|e| (e["status"].as_u64().unwrap(), e["fault"].clone()))
        .collect();
    assert_eq!(seen, vec![(200, json!(fault)), (404, Value::Null)]);
}

// ----- 3. unknown JSON fields ---------------------------------------------------------------

#[tokio::test]
async fn unknown_fields_are_accepted_by_default_and_named_in_the_journal() {
    let c = Ctx::start().await;
    let (pos, beacon) = c
        .create_pos_with(json!({ "calibrationType": 3, "foo": "x" }))
        .await;
    let r = c
        .initiate(
            &pos,
            12.5,
            json!({ "tip": 1, "restrictions": { "creditCardDisallowed": false, "bar": true } }),
        )
        .await;
    r.assert_ok();
    let pay = r.body["paymentId"].as_str().unwrap().to_string();
    // The known fields took effect; the unknown ones were ignored.
    let p = c.payment(&pay).await;
    assert_eq!(p["amount"], json!(12.5));
    assert_eq!(p["restrictions"], json!({ "creditCardDisallowed": false }));
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 12.5, "note": "n" }),
    )
    .await
    .assert_ok();

    let unknown = |e: &Value| e.get("unknownFields").cloned();
    let created = c.journal("method=POST&path=/pos/v10/pointofsales").await;
    assert_eq!(
        unknown(&created[0]),
        Some(json!(["calibrationType", "foo"]))
    );
    let initiated = c.journal("method=POST&path=/pos/v10/payments").await;
    assert_eq!(
        unknown(&initiated[0]),
        Some(json!(["restrictions.bar", "tip"]))
    );
    let captured = c
        .journal(&format!("method=POST&path=/pos/v10/payments/{pay}/capture"))
        .await;
    assert_eq!(unknown(&captured[0]), Some(json!(["note"])));
    // None: the key is absent.
    let polled = c.journal(&format!("path=/pos/v10/payments/{pay}")).await;
    assert_eq!(unknown(&polled[0]), None);
    let checked_in = c.journal("path=/pos/app/usersimulation/checkin").await;
    assert_eq!(unknown(&checked_in[0]), None);
}
