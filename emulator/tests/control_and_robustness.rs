//! The control API (faults, clock, journal, reset, seed) and robustness at the HTTP edge
//! (malformed and huge bodies, wrong media types, unknown paths and methods).

mod common;
use common::*;
use poscert_emulator::seed::CERT_STORE_ID;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn pos_body(mps: &str) -> Value {
    json!({ "merchantPosId": mps, "storeId": CERT_STORE_ID, "name": "Till", "supportedBeaconTypes": ["QR"] })
}

async fn add_fault(c: &Ctx, fault: Value) -> String {
    let r = c
        .control(Method::POST, "/_emulator/faults", Some(fault))
        .await;
    r.assert_ok();
    r.body["id"].as_str().unwrap().to_string()
}

// ----- faults -----------------------------------------------------------------------------

#[tokio::test]
async fn delay_fault_processes_then_holds_the_response_and_a_same_key_retry_replays() {
    let c = Ctx::start().await;
    add_fault(&c, json!({ "method": "POST", "path": "/pos/v10/pointofsales", "times": 1, "kind": "delay", "delayMs": 300 })).await;
    // The client gives up after 100 ms ...
    let started = Instant::now();
    let timed_out = c
        .req(Method::POST, "/pos/v10/pointofsales")
        .header("X-MobilePay-Idempotency-Key", "onboard-1")
        .timeout(Duration::from_millis(100))
        .json(&pos_body("cert-1"))
        .send()
        .await;
    assert!(
        timed_out.is_err(),
        "the response is held past the client timeout"
    );
    assert!(started.elapsed() < Duration::from_millis(290));
    // ... and retries with the same key: the PoS created by the first attempt comes back.
    let retry = c
        .post_idem("/pos/v10/pointofsales", "onboard-1", pos_body("cert-1"))
        .await;
    retry.assert_ok();
    let ids = c.get("/pos/v10/pointofsales?merchantPosId=cert-1").await;
    assert_eq!(
        ids.body["posIds"],
        json!([retry.body["posId"]]),
        "exactly one PoS"
    );
    // A retry with a new key is how a broken client shows itself: 1200.
    c.post_idem("/pos/v10/pointofsales", "onboard-2", pos_body("cert-1"))
        .await
        .assert_error(409, "1200");
    let journal = c.journal("method=POST&path=/pos/v10/pointofsales").await;
    assert_eq!(journal.len(), 3);
    assert!(journal[0]["fault"].is_string());
    assert!(journal[0]["durationMs"].as_f64().unwrap() >= 300.0);
    assert_eq!(
        journal[0]["headers"]["x-mobilepay-idempotency-key"],
        journal[1]["headers"]["x-mobilepay-idempotency-key"]
    );
    assert!(
        c.control(Method::GET, "/_emulator/faults", None).await.body["faults"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn error_fault_answers_500_without_processing_then_behaves_normally() {
    let c = Ctx::start().await;
    add_fault(&c, json!({ "method": "POST", "path": "/pos/v10/pointofsales", "times": 2, "kind": "error", "status": 500, "code": "2001" })).await;
    for _ in 0..2 {
        let r = c
            .post_idem("/pos/v10/pointofsales", "k-500", pos_body("p-500"))
            .await;
        r.assert_error(500, "2001");
        assert!(r.body.get("origin").is_none());
    }
    assert_eq!(
        c.get("/pos/v10/pointofsales?merchantPosId=p-500")
            .await
            .body["posIds"],
        json!([]),
        "nothing was created"
    );
    let ok = c
        .post_idem("/pos/v10/pointofsales", "k-500", pos_body("p-500"))
        .await;
    ok.assert_ok();
}

#[tokio::test]
async fn faults_match_method_path_template_body_and_the_self_cert_prefix() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    add_fault(&c, json!({ "method": "DELETE", "path": "/pos/v10/pointofsales/{posid}", "kind": "error", "code": "2002" })).await;
    add_fault(&c, json!({ "method": "POST", "path": "/pos/v10/payments", "bodyContains": "FAULTY", "kind": "error" })).await;
    add_fault(
        &c,
        json!({ "method": "POST", "path": "/pos/v10/refunds", "kind": "error", "code": "2003" }),
    )
    .await;
    assert_eq!(
        c.control(Method::GET, "/_emulator/faults", None).await.body["faults"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    // GET on the PoS is not matched by the DELETE fault.
    c.get(&format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_ok();
    // The DELETE fault fires under the self-certification prefix.
    let r = send(c.req(
        Method::DELETE,
        &format!("/pos-self-certification-api/pos/v10/pointofsales/{pos}"),
    ))
    .await;
    r.assert_error(500, "2002");
    c.get(&format!("/pos/v10/pointofsales/{pos}"))
        .await
        .assert_ok();
    // bodyContains scoping.
    let ok = c.create("/pos/v10/payments", json!({ "posId": pos, "orderId": "FINE", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })).await;
    ok.assert_ok();
    c.post_empty(&format!(
        "/pos/v10/payments/{}/cancel",
        ok.body["paymentId"].as_str().unwrap()
    ))
    .await
    .assert_ok();
    let bad = c.create("/pos/v10/payments", json!({ "posId": pos, "orderId": "FAULTY", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })).await;
    bad.assert_error(500, "2001");
    // Refund faults answer ErrorResponseV2.
    let r = c.create_refund(&uuid(), 1.0).await;
    r.assert_error(500, "2003");
    assert_eq!(r.body["origin"], "PoS");
    // DELETE clears.
    add_fault(
        &c,
        json!({ "method": "GET", "path": "/pos/v10/stores", "kind": "error" }),
    )
    .await;
    assert_eq!(
        c.control(Method::DELETE, "/_emulator/faults", None)
            .await
            .body["cleared"],
        1
    );
    c.get("/pos/v10/stores").await.assert_ok();
    // Bad fault specs are refused.
    assert_eq!(
        c.control(
            Method::POST,
            "/_emulator/faults",
            Some(json!({ "method": "GET", "path": "/x", "kind": "delay" }))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        c.control(
            Method::POST,
            "/_emulator/faults",
            Some(json!({ "method": "GET", "kind": "error" }))
        )
        .await
        .status,
        400
    );
}

// ----- clock, reset, seed -------------------------------------------------------------------

#[tokio::test]
async fn clock_reads_and_advances() {
    let c = Ctx::start().await;
    let before = c.control(Method::GET, "/_emulator/clock", None).await.body["now"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .control(
            Method::POST,
            "/_emulator/clock/advance",
            Some(json!({ "ms": 90_000_000 })),
        )
        .await;
    let after = r.body["now"].as_str().unwrap().to_string();
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let diff = parse(&after) - parse(&before);
    assert!(
        diff >= chrono::Duration::hours(25) && diff < chrono::Duration::hours(26),
        "{before} → {after}"
    );
    assert_eq!(
        c.control(
            Method::POST,
            "/_emulator/clock/advance",
            Some(json!({ "seconds": -1 }))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        c.control(
            Method::POST,
            "/_emulator/clock/advance",
            Some(json!({ "hours": 1 }))
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn reset_restores_the_seed_state() {
    let mut c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    c.advance(3600).await;
    add_fault(
        &c,
        json!({ "method": "GET", "path": "/pos/v10/stores", "kind": "error" }),
    )
    .await;
    c.control(Method::POST, "/_emulator/reset", None)
        .await
        .assert_ok();
    assert!(c.journal("").await.is_empty());
    assert!(
        c.control(Method::GET, "/_emulator/faults", None).await.body["faults"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        c.control(Method::GET, "/_emulator/clock", None).await.body["offsetMs"],
        0
    );
    assert_eq!(
        c.get(&format!("/pos/v10/pointofsales/{pos}")).await.status,
        404
    );
    c.get("/pos/v10/stores").await.assert_ok();
}

#[tokio::test]
async fn seed_endpoint_matches_the_library_seed() {
    let c = Ctx::start().await;
    let r = c.control(Method::GET, "/_emulator/seed", None).await;
    assert_eq!(r.body, serde_json::to_value(c.emu.seed()).unwrap());
    assert_eq!(
        r.body["merchants"][0]["vatNumbers"],
        json!(["DK90000028", "FI90000040"])
    );
    assert_eq!(
        r.body["merchants"][0]["stores"][0]["storeId"],
        CERT_STORE_ID
    );
    assert_eq!(r.body["merchants"][0]["stores"][1]["active"], false);
    assert_eq!(
        r.body["pollDelays"],
        json!({ "paymentMs": 20, "refundMs": 5 })
    );
    // The five sandbox users per country, and the emulator-only two-card user.
    assert_eq!(r.body["testUsers"].as_array().map(Vec::len), Some(12));
    assert_eq!(r.body["testUsers"][5]["cards"], json!(["Debit", "Credit"]));
    assert_eq!(r.body["testUsers"][0]["cards"], json!(["Credit"]));
    assert_eq!(r.body["integrators"].as_array().map(Vec::len), Some(2));
    assert!(r.body["userSimulation"]["clientSecret"].is_string());
}

// ----- journal ----------------------------------------------------------------------------

#[tokio::test]
async fn journal_records_requests_with_secrets_redacted_and_filters() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    c.get(&format!("/pos/v10/pointofsales/{pos}/checkin"))
        .await
        .assert_ok();
    c.control(Method::GET, "/_emulator/seed", None)
        .await
        .assert_ok();
    let all = c.journal("").await;
    let text = serde_json::to_string(&all).unwrap();
    let seed = c.emu.seed();
    for secret in [
        &seed.integrators[0].client_secret,
        &seed.user_simulation.client_secret,
        &c.token,
    ] {
        assert!(
            !text.contains(secret.as_str()),
            "secret leaked into the journal"
        );
    }
    // token, create PoS, check-in simulation, GET checkin (control calls are not journaled).
    assert_eq!(all.len(), 4, "{text}");
    let token = &all[0];
    assert_eq!(token["path"], "/integrator-authentication/connect/token");
    assert_eq!(token["headers"]["authorization"], "Basic ***");
    assert_eq!(token["responseBody"]["access_token"], "***");
    assert_eq!(token["clientId"], seed.integrators[0].client_id);
    let create = &all[1];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["status"], 200);
    assert_eq!(create["headers"]["authorization"], "Bearer ***");
    assert_eq!(
        create["headers"]["x-mobilepay-client-system-version"],
        VERSION
    );
    assert!(create["headers"]["x-mobilepay-idempotency-key"].is_string());
    assert_eq!(create["body"]["storeId"], CERT_STORE_ID);
    assert_eq!(create["responseBody"]["posId"], pos.as_str());
    assert_eq!(create["clientId"], seed.integrators[0].client_id);
    assert!(create["durationMs"].as_f64().is_some());
    let time = create["time"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.contains('.'),
        "{time}"
    );
    assert_eq!(
        all[2]["headers"]["x-ibm-client-id"],
        seed.user_simulation.client_id
    );
    assert!(all[2]["headers"].get("x-ibm-client-secret").is_none());

    let seq = create["seq"].as_u64().unwrap();
    assert_eq!(c.journal(&format!("since={seq}")).await.len(), 2);
    assert_eq!(c.journal("method=get").await.len(), 1);
    assert_eq!(
        c.journal(&format!("path=/pos/v10/pointofsales/{pos}/checkin"))
            .await
            .len(),
        1
    );
    assert_eq!(c.journal("path=/pos/v10/pointofsales").await.len(), 1);
    assert_eq!(c.journal("pathPrefix=/pos/v10/pointofsales").await.len(), 2);
    assert_eq!(
        c.journal("limit=1").await[0]["path"],
        format!("/pos/v10/pointofsales/{pos}/checkin")
    );
}

// ----- robustness -------------------------------------------------------------------------

#[tokio::test]
async fn malformed_bodies_and_media_types() {
    let c = Ctx::start().await;
    let raw_post = |body: &'static str, ct: Option<&'static str>| {
        let mut rb = c
            .req(Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .body(body);
        if let Some(ct) = ct {
            rb = rb.header("Content-Type", ct);
        }
        send(rb)
    };
    raw_post("{not json", Some("application/json"))
        .await
        .assert_error(400, "1099");
    raw_post("", Some("application/json"))
        .await
        .assert_error(400, "1099");
    raw_post("[1,2]", Some("application/json"))
        .await
        .assert_error(400, "1099");
    raw_post("null", Some("application/json"))
        .await
        .assert_error(400, "1099");
    let r = raw_post(r#"{"merchantPosId":"x"}"#, Some("text/plain")).await;
    assert_eq!((r.status, r.code()), (415, "1099"));
    let r = raw_post(r#"{"merchantPosId":"x"}"#, None).await;
    assert_eq!(r.status, 415);
    // The other JSON media types of the spec are accepted.
    for ct in [
        "text/json",
        "application/json-patch+json",
        "application/*+json",
        "application/json; charset=utf-8",
    ] {
        let body = format!(
            r#"{{"merchantPosId":"{}","storeId":"{CERT_STORE_ID}","name":"T","supportedBeaconTypes":["NFC"]}}"#,
            &uuid()[..8]
        );
        let r = send(
            c.req(Method::POST, "/pos/v10/pointofsales")
                .header("X-MobilePay-Idempotency-Key", uuid())
                .header("Content-Type", ct)
                .body(body),
        )
        .await;
        r.assert_ok();
    }
    // Deeply nested JSON does not crash the server.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = send(
        c.req(Method::POST, "/pos/v10/pointofsales")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .header("Content-Type", "application/json")
            .body(deep),
    )
    .await;
    r.assert_error(400, "1099");
    c.get("/pos/v10/stores").await.assert_ok();
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let c = Ctx::start().await;
    let big = format!(r#"{{"merchantPosId":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let r = c
        .req(Method::POST, "/pos/v10/pointofsales")
        .header("X-MobilePay-Idempotency-Key", uuid())
        .header("Content-Type", "application/json")
        .timeout(Duration::from_secs(5))
        .body(big)
        .send()
        .await;
    assert_eq!(
        r.expect("an answer, not a hung or reset connection")
            .status()
            .as_u16(),
        413
    );
    // Chunked (no Content-Length) over the limit is 413 too, over a raw socket.
    let status = raw_chunked_post(&c, 20, 64 * 1024).await;
    assert_eq!(status, "413");
    c.get("/pos/v10/stores").await.assert_ok();
    let journal = c.journal("method=POST").await;
    assert_eq!(journal.iter().filter(|e| e["status"] == 413).count(), 2);
}

/// POST `chunks` chunks of `size` bytes with `Transfer-Encoding: chunked`; returns the status.
async fn raw_chunked_post(c: &Ctx, chunks: usize, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(c.emu.addr()).await.unwrap();
    let head = format!(
        "POST /pos/v10/pointofsales HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nX-MobilePay-Client-System-Version: 1.0.0\r\nX-MobilePay-Idempotency-Key: k\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        c.token
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", size, " ".repeat(size));
    for _ in 0..chunks {
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("no hang")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_body_that_never_arrives_is_408_not_a_hung_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = Ctx::start_with(poscert_emulator::EmulatorConfig {
        body_read_timeout_ms: 200,
        ..test_config()
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(c.emu.addr()).await.unwrap();
    let head = format!("POST /pos/v10/pointofsales HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"a\":", c.token);
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered, not hung")
        .unwrap_or(0);
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    c.get("/pos/v10/stores").await.assert_ok();
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let c = Ctx::start().await;
    for p in [
        "/",
        "/pos/v10",
        "/pos/v10/unknown",
        "/pos/v11/payments",
        "/pos/v10/payments/a/b/c",
        "/pos/app/usersimulation/dance",
    ] {
        assert_eq!(c.get(p).await.status, 404, "{p}");
    }
    for (m, p, allow) in [
        (Method::PUT, "/pos/v10/payments", "GET, POST"),
        (Method::PATCH, "/pos/v10/pointofsales/x", "GET, DELETE"),
        (Method::DELETE, "/pos/v10/stores", "GET"),
        (
            Method::GET,
            "/integrator-authentication/connect/token",
            "POST",
        ),
        (Method::GET, "/pos/app/usersimulation/checkin", "POST"),
    ] {
        let r = send(c.req(m.clone(), p)).await;
        assert_eq!(r.status, 405, "{m} {p}");
        assert_eq!(
            r.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some(allow)
        );
    }
    assert_eq!(
        c.control(Method::GET, "/_emulator/nothing", None)
            .await
            .status,
        404
    );
    assert_eq!(
        c.control(Method::PUT, "/_emulator/seed", None).await.status,
        405
    );
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let c = Ctx::start().await;
    let addr = c.emu.addr();
    c.get("/pos/v10/stores").await.assert_ok();
    let started = Instant::now();
    c.emu.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(6));
    let after = reqwest::Client::new()
        .get(format!("http://{addr}/_emulator/seed"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(after.is_err(), "nothing listens after shutdown");
    let again = poscert_emulator::Emulator::start(test_config(), addr).await;
    assert!(again.is_ok(), "the port can be bound again");
}
