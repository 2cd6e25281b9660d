//! Precision fixes of issue 11, over real HTTP: a retried DELETE meets 404, only successful
//! creations are bound to an idempotency key, unknown JSON fields are accepted and journaled,
//! and the check-in notification service calls the integrator back.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

// ----- 4. the check-in notification service ----------------------------------------------

/// A callback endpoint on loopback: records what it receives and answers the scripted
/// statuses in turn (200 once the script is used up).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(Instant, axum::http::HeaderMap, Value)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> (Receiver, String) {
        let r = Receiver::default();
        r.script.lock().unwrap().extend(script.iter().copied());
        let state = r.clone();
        let app = axum::Router::new().route(
            "/cb",
            axum::routing::post(
                |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    state
                        .seen
                        .lock()
                        .unwrap()
                        .push((Instant::now(), headers, json));
                    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
                    axum::http::StatusCode::from_u16(status).unwrap()
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Wait (at most 5 s) until `f` holds.
async fn eventually(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The journal's delivery attempts, once there are `n` of them (at most 5 s).
async fn callback_entries(c: &Ctx, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let attempts = c.journal("pathPrefix=/_callbacks/").await;
        if attempts.len() >= n || Instant::now() > deadline {
            assert_eq!(attempts.len(), n, "{attempts:?}");
            return attempts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_check_in_notifies_the_registered_url_and_retries_until_200() {
    let c = Ctx::start().await;
    let (rx, url) = Receiver::start(&[500, 503]).await;
    let put = c
        .control(
            Method::PUT,
            "/_emulator/callbacks/shop-cb",
            Some(json!({ "url": url })),
        )
        .await;
    put.assert_ok();
    assert_eq!(put.body["url"], json!(url));
    let got = c
        .control(Method::GET, "/_emulator/callbacks/shop-cb", None)
        .await;
    assert_eq!(got.body, json!({ "alias": "shop-cb", "url": url }));

    let (pos, beacon) = c
        .create_pos_with(json!({ "merchantPosId": "till-cb", "callbackAlias": "shop-cb" }))
        .await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    eventually(|| rx.count() == 3).await;

    let seen = rx.seen.lock().unwrap().clone();
    let merchant_id = &c.emu.seed().merchants[0].merchant_id;
    for (_, headers, body) in &seen {
        assert_eq!(
            *body,
            json!({ "MerchantId": merchant_id, "MerchantBrandId": "MPPOSCERT1", "MerchantLocationId": "00001", "MerchantPosId": "till-cb", "PosId": pos })
        );
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["x-poscert-actor"], "emulator");
    }
    for pair in seen.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(190),
            "retries are spaced 200 ms apart"
        );
    }
    // Every attempt is in the journal, after the check-in that caused it.
    let checkin = c.journal("path=/pos/app/usersimulation/checkin").await;
    let attempts = callback_entries(&c, 3).await;
    let summary: Vec<(String, String, u64, u64, String)> = attempts
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
                e["delivery"]["attempt"].as_u64().unwrap(),
                e["headers"]["x-poscert-actor"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let row = |status, attempt| {
        (
            "POST".to_string(),
            "/_callbacks/shop-cb".to_string(),
            status,
            attempt,
            "emulator".to_string(),
        )
    };
    assert_eq!(summary, vec![row(500, 1), row(503, 2), row(200, 3)]);
    assert!(attempts
        .iter()
        .all(|e| e["seq"].as_u64() > checkin[0]["seq"].as_u64()
            && e["delivery"]["maxAttempts"] == 4
            && e["delivery"]["url"] == json!(url)
            && e["clientId"] == json!(c.emu.seed().integrators[0].client_id)
            && e["body"]["PosId"] == json!(pos)));

    // Unregistered: no more deliveries.
    c.control(Method::DELETE, "/_emulator/callbacks/shop-cb", None)
        .await
        .assert_ok();
    assert_eq!(
        c.control(Method::GET, "/_emulator/callbacks/shop-cb", None)
            .await
            .status,
        404
    );
    let pay = c.initiate_ok(&pos, 5.0).await;
    c.post_empty(&format!("/pos/v10/payments/{pay}/cancel"))
        .await
        .assert_ok();
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 3);
    assert_eq!(c.journal("pathPrefix=/_callbacks/").await.len(), 3);
}

#[tokio::test]
async fn an_unanswered_notification_is_tried_four_times_and_journaled_with_status_0() {
    let c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        callback_retry_delay_ms: 20,
        callback_timeout_ms: 500,
        ..test_config()
    })
    .await;
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    c.control(
        Method::PUT,
        "/_emulator/callbacks/gone",
        Some(json!({ "url": format!("http://{closed}/cb") })),
    )
    .await
    .assert_ok();
    // A PoS without an alias and one with an unregistered alias notify nobody.
    let (_, plain) = c.create_pos().await;
    c.sim("checkin", &plain, Some(CREDIT)).await.assert_ok();
    let (_, other) = c
        .create_pos_with(json!({ "callbackAlias": "not-registered" }))
        .await;
    c.sim("checkin", &other, Some(CREDIT)).await.assert_ok();
    let (_, beacon) = c.create_pos_with(json!({ "callbackAlias": "gone" })).await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let attempts = callback_entries(&c, 4).await;
    assert!(attempts.iter().all(|e| e["status"] == 0
        && e["path"] == "/_callbacks/gone"
        && e["delivery"]["error"].is_string()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        c.journal("pathPrefix=/_callbacks/").await.len(),
        4,
        "no fifth attempt"
    );
    // Bad registrations are refused.
    for (alias, body) in [
        ("x", json!({ "url": "ftp://x" })),
        ("x", json!({ "link": "http://x" })),
        (&"a".repeat(37)[..], json!({ "url": "http://x" })),
    ] {
        let r = c
            .control(
                Method::PUT,
                &format!("/_emulator/callbacks/{alias}"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 400, "{alias}: {}", r.body);
    }
    let list = c.control(Method::GET, "/_emulator/callbacks", None).await;
    assert_eq!(
        list.body["callbacks"],
        json!([{ "alias": "gone", "url": format!("http://{closed}/cb") }])
    );
}
