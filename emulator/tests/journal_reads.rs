//! A journal read sees every request that arrived before it, over real HTTP.
//!
//! The race it closes: a request changes the state, and its journal entry is written a moment
//! later. A judge that polls the payment, sees `Captured` and reads `GET /_emulator/journal`
//! in that moment used to find no capture. A `delay` fault with `journalAfterHold: true`
//! holds that moment open for as long as the fault holds the response, so the race is
//! reproduced every time rather than once in a while.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn add_fault(c: &Ctx, fault: Value) -> String {
    let r = c
        .control(Method::POST, "/_emulator/faults", Some(fault))
        .await;
    r.assert_ok();
    r.body["id"].as_str().unwrap().to_string()
}

/// A capture of `pay`, sent on its own task (the client waits for its answer however long).
fn capture_in_background(c: &Ctx, pay: &str, amount: f64) -> tokio::task::JoinHandle<Resp> {
    let rb = c
        .req(Method::POST, &format!("/pos/v10/payments/{pay}/capture"))
        .json(&json!({ "amount": amount }));
    tokio::spawn(send(rb))
}

/// Poll `pay` as the judge does until it is `Captured`.
async fn judge_waits_for_captured(c: &Ctx, pay: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = send(
            c.req(Method::GET, &format!("/pos/v10/payments/{pay}"))
                .header("x-poscert-actor", "judge"),
        )
        .await;
        r.assert_ok();
        if r.body["status"] == "Captured" {
            return;
        }
        assert!(Instant::now() < deadline, "never Captured: {}", r.body);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The journal read, timed.
async fn read_journal(c: &Ctx, query: &str) -> (Resp, Duration) {
    let t0 = Instant::now();
    let r = c
        .control(Method::GET, &format!("/_emulator/journal?{query}"), None)
        .await;
    r.assert_ok();
    (r, t0.elapsed())
}

fn entries(r: &Resp) -> Vec<Value> {
    r.body["entries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_read_after_the_effect_waits_for_the_entry_of_the_request_that_caused_it() {
    let c = Ctx::start().await;
    let (_, _, pay) = c.reserved(CREDIT, 100.0).await;
    let capture_path = format!("/pos/v10/payments/{pay}/capture");
    let fault = add_fault(&c, json!({ "method": "POST", "path": capture_path, "kind": "delay", "delayMs": 1500, "journalAfterHold": true })).await;

    let capture = capture_in_background(&c, &pay, 100.0);
    // The capture has changed the state; its entry is held back with its response.
    judge_waits_for_captured(&c, &pay).await;
    let (r, waited) = read_journal(&c, &format!("path={capture_path}")).await;

    let found = entries(&r);
    assert_eq!(
        found.len(),
        1,
        "the capture must be in the journal: {}",
        r.body
    );
    assert_eq!(found[0]["status"], 200);
    assert_eq!(found[0]["fault"], fault.as_str());
    assert_eq!(r.body["complete"], true, "{}", r.body);
    assert!(r.body.get("inFlight").is_none());
    assert!(r.headers.get("x-poscert-journal-in-flight").is_none());
    assert!(
        waited >= Duration::from_millis(500),
        "the read answered after {waited:?}: it cannot have waited for the held capture"
    );
    assert!(
        found[0]["durationMs"].as_f64().unwrap() >= 1500.0,
        "{}",
        found[0]
    );
    // The client's capture was answered 200 once the hold ended, after being journaled.
    capture.await.unwrap().assert_ok();
}

#[tokio::test]
async fn an_ordinary_delay_fault_is_journaled_before_the_hold_so_the_read_does_not_wait() {
    let c = Ctx::start().await;
    let (_, _, pay) = c.reserved(CREDIT, 100.0).await;
    let capture_path = format!("/pos/v10/payments/{pay}/capture");
    add_fault(
        &c,
        json!({ "method": "POST", "path": capture_path, "kind": "delay", "delayMs": 1500 }),
    )
    .await;

    let capture = capture_in_background(&c, &pay, 100.0);
    judge_waits_for_captured(&c, &pay).await;
    let (r, waited) = read_journal(&c, &format!("path={capture_path}")).await;
    assert_eq!(entries(&r).len(), 1, "{}", r.body);
    assert_eq!(r.body["complete"], true);
    assert!(waited < Duration::from_millis(1000), "waited {waited:?}");
    capture.await.unwrap().assert_ok();
}

#[tokio::test]
async fn a_request_the_client_abandoned_during_the_hold_is_journaled_and_never_blocks_a_read() {
    let c = Ctx::start().await;
    let (_, _, pay) = c.reserved(CREDIT, 100.0).await;
    let capture_path = format!("/pos/v10/payments/{pay}/capture");
    add_fault(&c, json!({ "method": "POST", "path": capture_path, "kind": "delay", "delayMs": 6000, "journalAfterHold": true })).await;

    // The engine's reference client: gives up after 400 ms and retries with the same amount.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let first = impatient
        .post(c.url(&capture_path))
        .bearer_auth(&c.token)
        .header("X-MobilePay-Client-System-Version", VERSION)
        .json(&json!({ "amount": 100.0 }))
        .send()
        .await;
    assert!(
        first.as_ref().is_err_and(reqwest::Error::is_timeout),
        "the first capture must be held past the client's timeout: {first:?}"
    );
    drop(first);
    drop(impatient);

    // Read at once, while the abandoned capture would still be held: the read neither misses
    // it nor waits for the 6 s hold. The request was journaled when its connection went away.
    let (r, waited) = read_journal(&c, &format!("path={capture_path}")).await;
    let found = entries(&r);
    assert_eq!(r.body["complete"], true, "{}", r.body);
    assert_eq!(found.len(), 1, "the abandoned capture: {}", r.body);
    assert_eq!(found[0]["status"], 200);
    assert!(found[0]["fault"].is_string());
    assert!(waited < Duration::from_millis(4000), "waited {waited:?}");
    let held_ms = found[0]["durationMs"].as_f64().unwrap();
    assert!((300.0..4000.0).contains(&held_ms), "{}", found[0]);

    let retry = c.post(&capture_path, json!({ "amount": 100.0 })).await;
    retry.assert_ok();
    let (r, _) = read_journal(&c, &format!("path={capture_path}")).await;
    let found = entries(&r);
    assert_eq!(found.len(), 2, "both captures: {}", r.body);
    assert!(found.iter().all(|e| e["status"] == 200), "{}", r.body);
    assert!(found[1]["fault"].is_null());
}

#[tokio::test]
async fn a_read_waits_no_longer_than_the_bound_and_says_what_is_still_in_flight() {
    let c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        journal_read_wait_ms: 300,
        ..test_config()
    })
    .await;
    let (_, _, pay) = c.reserved(CREDIT, 100.0).await;
    let capture_path = format!("/pos/v10/payments/{pay}/capture");
    add_fault(&c, json!({ "method": "POST", "path": capture_path, "kind": "delay", "delayMs": 2500, "journalAfterHold": true })).await;

    let capture = capture_in_background(&c, &pay, 100.0);
    judge_waits_for_captured(&c, &pay).await;
    let (r, waited) = read_journal(&c, "").await;
    assert!(
        (Duration::from_millis(300)..Duration::from_millis(2000)).contains(&waited),
        "waited {waited:?}"
    );
    assert_eq!(r.body["complete"], false, "{}", r.body);
    let in_flight = r.body["inFlight"].as_array().cloned().unwrap_or_default();
    assert_eq!(in_flight.len(), 1, "{}", r.body);
    assert_eq!(
        r.headers
            .get("x-poscert-journal-in-flight")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(
        entries(&r)
            .iter()
            .all(|e| e["path"] != capture_path.as_str()),
        "{}",
        r.body
    );

    capture.await.unwrap().assert_ok();
    let (r, _) = read_journal(&c, "").await;
    assert_eq!(r.body["complete"], true, "{}", r.body);
    let capture_entry = entries(&r)
        .into_iter()
        .find(|e| e["path"] == capture_path.as_str())
        .expect("journaled once the hold ended");
    assert_eq!(capture_entry["seq"], in_flight[0]);
}

#[tokio::test]
async fn journal_after_hold_is_for_delay_faults_and_is_listed() {
    let c = Ctx::start().await;
    let r = c
        .control(
            Method::POST,
            "/_emulator/faults",
            Some(
                json!({ "method": "GET", "path": "/x", "kind": "error", "journalAfterHold": true }),
            ),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    add_fault(&c, json!({ "method": "GET", "path": "/x", "kind": "delay", "delayMs": 5, "journalAfterHold": true })).await;
    add_fault(
        &c,
        json!({ "method": "GET", "path": "/y", "kind": "delay", "delayMs": 5 }),
    )
    .await;
    let listed = c.control(Method::GET, "/_emulator/faults", None).await.body;
    assert_eq!(listed["faults"][0]["journalAfterHold"], true, "{listed}");
    assert!(listed["faults"][1].get("journalAfterHold").is_none());
}

/// `DELETE /_emulator/journal?before=SEQ` (the engine's low-water mark): the entries numbered
/// below SEQ go, whatever they name; later ones stay; the answer says the next number.
#[tokio::test]
async fn a_release_before_a_mark_drops_the_older_entries_only() {
    let c = Ctx::start().await;
    c.get("/pos/v10/stores").await.assert_ok();
    c.get("/pos/v10/stores").await.assert_ok();
    let (r, _) = read_journal(&c, "").await;
    let seqs: Vec<u64> = entries(&r)
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.len() >= 2, "{seqs:?}");
    let last = *seqs.last().unwrap();
    let r = c
        .control(
            Method::DELETE,
            &format!("/_emulator/journal?before={last}"),
            None,
        )
        .await;
    r.assert_ok();
    assert_eq!(r.body["removed"], json!(seqs.len() - 1));
    assert_eq!(r.body["nextSeq"], json!(last + 1));
    let (r, _) = read_journal(&c, "").await;
    let left: Vec<u64> = entries(&r)
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(left, [last]);
    let r = c
        .control(Method::DELETE, "/_emulator/journal?before=x", None)
        .await;
    assert_eq!(r.status, 400);
    let r = c.control(Method::DELETE, "/_emulator/journal", None).await;
    assert_eq!(r.status, 400);
}
