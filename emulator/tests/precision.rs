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
