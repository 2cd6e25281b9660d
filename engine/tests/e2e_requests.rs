//! The request step against a small app on loopback that can do what a real API does badly on
//! purpose: answer "pending" a few times, fail with 5xx, hang past the timeout, refuse with 4xx,
//! echo what it got. Checked: `poll` (until, abort_if, interval from the response, timeout,
//! max_attempts, every attempt in the JSON report), `retry` (the same rendered request re-sent
//! with the same idempotency key, only on timeout/connection/5xx, never on 4xx), captures of
//! every source including `secret: true`, and how query, headers and bodies are sent.

mod support;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{closed_port, fixtures, record, run, step, Log, Run, TestServer};

/// Text served at `/text`; the token is captured with `secret: true`.
const TEXT: &str = "order id=12345; token=tok3nS3cretValue99; state=ok";
/// Served at `/session-text` only, to a step that captures it as a secret and then fails.
const SESSION_SECRET: &str = "s3ssionT0kenNeverShown77";
/// Served by `/pending-token` to a poll that never succeeds, captured as a secret.
const POLL_SECRET: &str = "p0llT0kenNeverShown88";
/// Text served at `/note`, with no secret in it. (A case that meets a value before another case
/// declares it secret prints it unmasked on the console: masking cannot be retroactive.)
const NOTE: &str = "order id=12345 is ready";

#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<String, u32>>>);

impl Calls {
    /// Counts a call to `key`; returns its number (1 for the first).
    fn next(&self, key: &str) -> u32 {
        let mut m = self.0.lock().unwrap();
        let n = m.entry(key.to_string()).or_default();
        *n += 1;
        *n
    }
}

fn param(query: &str, name: &str) -> Option<u64> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
}

fn json_response(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-request-id", "req-42")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// `/poll/{id}?done_after=N&fail_at=K&delay=MS`, `/flaky/{id}?fail=N&status=S&sleep_ms=T`,
/// `/echo`, `/text`, `/note`.
async fn handle(calls: Calls, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["poll", id] => {
            let n = calls.next(&path);
            let delay = param(&query, "delay").unwrap_or(10);
            let status = if param(&query, "fail_at") == Some(n as u64) {
                "Failed"
            } else if n as u64 >= param(&query, "done_after").unwrap_or(1) {
                "Done"
            } else {
                "Pending"
            };
            json_response(
                200,
                json!({ "id": id, "status": status, "call": n, "pollDelayInMs": delay }),
            )
        }
        ["flaky", _] => {
            let n = calls.next(&path);
            if (n as u64) <= param(&query, "fail").unwrap_or(0) {
                if let Some(ms) = param(&query, "sleep_ms") {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                } else {
                    let status = param(&query, "status").unwrap_or(500) as u16;
                    return json_response(status, json!({ "code": "2001", "call": n }));
                }
            }
            json_response(200, json!({ "ok": true, "call": n }))
        }
        ["echo"] => {
            let headers: serde_json::Map<String, Value> = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                    )
                })
                .collect();
            json_response(
                200,
                json!({
                    "method": parts.method.as_str(),
                    "path": path,
                    "query": query,
                    "headers": headers,
                    "body": String::from_utf8_lossy(&body),
                }),
            )
        }
        ["text"] => Response::builder()
            .header("content-type", "text/plain")
            .body(Body::from(TEXT))
            .unwrap(),
        ["session-text"] => Response::builder()
            .header("content-type", "text/plain")
            .body(Body::from(format!("session={SESSION_SECRET}; ok")))
            .unwrap(),
        ["pending-token"] => {
            json_response(200, json!({ "status": "Pending", "token": POLL_SECRET }))
        }
        ["absurd"] => json_response(200, json!({ "status": "Pending", "pollDelayInMs": 1e23 })),
        ["note"] => Response::builder()
            .header("content-type", "text/plain")
            .body(Body::from(NOTE))
            .unwrap(),
        _ => json_response(404, json!({ "error": "no such path" })),
    }
}

struct Fixture {
    log: Log,
    run: Run,
    _app: TestServer,
}

fn requests_run() -> &'static Fixture {
    static RUN: OnceLock<Fixture> = OnceLock::new();
    RUN.get_or_init(|| {
        let log = Log::default();
        let calls = Calls::default();
        let router = axum::Router::new().fallback(move |req: Request| {
            let calls = calls.clone();
            async move { handle(calls, req).await }
        });
        let app = TestServer::start(record(router, log.clone()));
        let app_var = format!("app={}", app.url);
        let port_var = format!("closedPort={}", closed_port());
        let run = run(
            &fixtures(),
            &["requests", "--var", &app_var, "--var", &port_var],
        );
        Fixture {
            log,
            run,
            _app: app,
        }
    })
}

fn case(file: &str) -> &'static Value {
    requests_run().run.case(&format!("requests/{file}"))
}

fn attempts(file: &str, step_name: &str) -> &'static Vec<Value> {
    step(case(file), step_name)["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: no attempts"))
}

fn message(file: &str) -> &'static str {
    case(file)["failure"]["message"]
        .as_str()
        .unwrap_or_else(|| {
            panic!("{file} did not fail: {:#}", case(file));
        })
}

#[test]
fn poll_until_waits_as_long_as_the_response_asks() {
    let c = case("poll-until.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    let a = attempts("poll-until.yaml", "Poll until done");
    assert_eq!(a.len(), 3, "{a:#?}");
    assert!(a.iter().all(|x| x["kind"] == "poll"));
    for pending in &a[..2] {
        assert_eq!(
            pending["note"],
            r#"not yet: $.status: expected "Done", got "Pending""#
        );
    }
    assert_eq!(a[2]["response"]["status"], 200);
    assert!(a[2]["response"]["body"]
        .as_str()
        .unwrap()
        .contains(r#""status":"Done""#));
    // The app saw the three polls, each at least pollDelayInMs (150 ms, not the 10 ms fallback)
    // after the previous one.
    let seen = requests_run().log.to("/poll/until");
    assert_eq!(seen.len(), 3);
    for pair in seen.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(150), "gap {gap:?}");
    }
}

/// A delay no one could wait (1e23 ms) is capped at the poll's deadline: the case fails with a
/// verdict instead of the engine panicking (a panicked case once vanished from a green run).
#[test]
fn an_absurd_poll_delay_from_the_server_ends_the_poll_at_its_deadline() {
    let c = case("poll-absurd-delay.yaml");
    assert_eq!(c["status"], "failed", "{c:#}");
    assert_eq!(
        message("poll-absurd-delay.yaml"),
        r#"poll gave up within 1s: $.status: expected "Done", got "Pending""#
    );
    assert_eq!(
        attempts(
            "poll-absurd-delay.yaml",
            "Poll a server that says pollDelayInMs 1e23"
        )
        .len(),
        1
    );
}

/// The failing step prints its response; the secret in it was registered before judging, so it
/// is masked in the console and the reports although the capture itself never happened.
#[test]
fn a_secret_capture_is_masked_even_when_its_step_fails() {
    let c = case("secret-in-failing-step.yaml");
    assert_eq!(c["status"], "failed", "{c:#}");
    assert_eq!(
        message("secret-in-failing-step.yaml"),
        "status: expected 201, got 200"
    );
    let r = &requests_run().run;
    assert!(r.stdout.contains("session=***"), "{}", r.output());
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(!text.contains(SESSION_SECRET), "secret in {what}");
    }
    assert!(!r.json.to_string().contains(SESSION_SECRET));
    let junit = std::fs::read_to_string(r.junit_path()).unwrap();
    assert!(!junit.contains(SESSION_SECRET));
}

/// Every poll attempt is in the report: a secret in the polled responses is masked even though
/// the poll gave up and the capture never happened.
#[test]
fn a_secret_capture_is_masked_in_every_attempt_of_a_failing_poll() {
    let c = case("secret-in-failing-poll.yaml");
    assert_eq!(c["status"], "failed", "{c:#}");
    let a = attempts(
        "secret-in-failing-poll.yaml",
        "Poll a pending session that carries a token",
    );
    assert!(a.len() >= 2, "{a:#?}");
    let r = &requests_run().run;
    for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(!text.contains(POLL_SECRET), "secret in {what}");
    }
    assert!(!r.json.to_string().contains(POLL_SECRET));
    let junit = std::fs::read_to_string(r.junit_path()).unwrap();
    assert!(!junit.contains(POLL_SECRET));
}

#[test]
fn poll_abort_if_fails_at_the_terminal_state() {
    let c = case("poll-abort.yaml");
    assert_eq!(c["status"], "failed");
    assert_eq!(c["failure"]["category"], "assertion");
    assert_eq!(
        message("poll-abort.yaml"),
        r#"poll stopped: $.status reached "Failed", a state from which the expected outcome can no longer come (poll 2)"#
    );
    assert_eq!(c["failure"]["actual"], r#""Failed""#);
    // Pointed at the abort_if matcher.
    assert_eq!(
        (&c["failure"]["line"], &c["failure"]["column"]),
        (&json!(10), &json!(31))
    );
    let a = attempts("poll-abort.yaml", "Poll until done, unless it failed");
    assert_eq!(a.len(), 2);
    assert_eq!(a[1]["note"], "abort_if matched");
    assert_eq!(requests_run().log.to("/poll/abort").len(), 2);
}

#[test]
fn poll_gives_up_at_its_deadline_with_every_attempt_recorded() {
    let c = case("poll-timeout.yaml");
    assert_eq!(c["status"], "failed");
    assert_eq!(
        message("poll-timeout.yaml"),
        r#"poll gave up within 350ms: $.status: expected "Done", got "Pending""#
    );
    let a = attempts("poll-timeout.yaml", "Poll something that never ends");
    assert!(a.len() >= 2, "{a:#?}");
    assert_eq!(a.len(), requests_run().log.to("/poll/timeout").len());
    let numbers: Vec<u64> = a.iter().map(|x| x["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=a.len() as u64).collect::<Vec<_>>());
}

#[test]
fn poll_gives_up_after_max_attempts() {
    assert_eq!(
        message("poll-max-attempts.yaml"),
        r#"poll gave up after 3 polls: $.status: expected "Done", got "Pending""#
    );
    assert_eq!(
        attempts("poll-max-attempts.yaml", "Poll three times at most").len(),
        3
    );
    assert_eq!(requests_run().log.to("/poll/max").len(), 3);
}

/// The requests the app saw at `path` were byte-for-byte the same request.
fn assert_same_request(path: &str, expected_calls: usize) {
    let seen = requests_run().log.to(path);
    assert_eq!(seen.len(), expected_calls, "{path}: {seen:#?}");
    let key = seen[0].header("x-mobilepay-idempotency-key");
    for s in &seen {
        assert_eq!(s.method, seen[0].method);
        assert_eq!(s.query, seen[0].query);
        assert_eq!(s.body, seen[0].body, "{path}: the body changed on retry");
        assert_eq!(
            s.header("x-mobilepay-idempotency-key"),
            key,
            "{path}: the idempotency key changed on retry"
        );
    }
}

#[test]
fn retry_resends_the_same_request_on_5xx() {
    let c = case("retry-5xx.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    assert_same_request("/flaky/r5xx", 3);
    assert!(requests_run().log.to("/flaky/r5xx")[0]
        .header("x-mobilepay-idempotency-key")
        .is_some_and(|k| k.len() == 36));
    let a = attempts("retry-5xx.yaml", "Create, retrying server errors");
    let kinds: Vec<&str> = a.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["send", "retry", "retry"]);
    assert_eq!(a[0]["response"]["status"], 503);
    assert_eq!(a[0]["note"], "status 503; retrying with the same request");
    assert_eq!(a[2]["response"]["status"], 200);
    // The report records the same request each time, too.
    assert_eq!(a[0]["request"], a[2]["request"]);
}

#[test]
fn retry_resends_the_same_request_on_timeout() {
    let c = case("retry-timeout.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    assert_same_request("/flaky/rtimeout", 2);
    let a = attempts("retry-timeout.yaml", "Create, retrying a timeout");
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["error"], "timed out");
    assert_eq!(a[0]["response"], Value::Null);
    let note = a[0]["note"].as_str().unwrap();
    assert!(
        note.starts_with("timed out after ") && note.ends_with("retrying with the same request"),
        "{note}"
    );
}

#[test]
fn retry_never_resends_a_4xx() {
    let c = case("retry-4xx.yaml");
    assert_eq!(c["status"], "failed");
    assert_eq!(message("retry-4xx.yaml"), "status: expected 200, got 409");
    assert_eq!(requests_run().log.to("/flaky/r4xx").len(), 1);
    assert_eq!(
        attempts("retry-4xx.yaml", "Create, meeting a conflict").len(),
        1
    );
}

#[test]
fn retry_gives_up_after_its_attempts() {
    assert_eq!(
        message("retry-exhausted.yaml"),
        "status: expected 200, got 500"
    );
    assert_same_request("/flaky/rexhausted", 2);
    let a = attempts("retry-exhausted.yaml", "Create, failing every time");
    assert_eq!(a.len(), 2);
    // The last attempt ends the step: it carries no "retrying" note.
    assert_eq!(a[1].get("note"), None);
}

#[test]
fn retry_covers_refused_connections_and_reports_a_transport_error() {
    let c = case("retry-connection.yaml");
    assert_eq!(c["status"], "error", "{c:#}");
    assert_eq!(c["failure"]["category"], "transport");
    let m = message("retry-connection.yaml");
    assert!(m.starts_with("GET http://127.0.0.1:"), "{m}");
    assert!(m.contains("/down failed (after 3 attempts): "), "{m}");
    let a = attempts("retry-connection.yaml", "Call a server that is down");
    assert_eq!(a.len(), 3);
    assert!(a
        .iter()
        .all(|x| x["error"].is_string() && x["response"].is_null()));
    assert!(a[0]["note"]
        .as_str()
        .unwrap()
        .starts_with("connection error ("));
}

#[test]
fn without_retry_a_5xx_is_sent_once() {
    assert_eq!(message("no-retry.yaml"), "status: expected 200, got 503");
    assert_eq!(requests_run().log.to("/flaky/noretry").len(), 1);
}

#[test]
fn captures_come_from_headers_bodies_regexes_and_status() {
    let c = case("captures.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    let echo = step(c, "Echo");
    let names: Vec<&str> = echo["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["requestId", "method", "code", "everything", "missing"]
    );
    assert_eq!(echo["captures"][0]["value"], "req-42");
    assert_eq!(echo["captures"][2]["value"], 200);
    // A secret capture is masked in the report, yet its real value was usable in a later step.
    let text = step(c, "Text");
    assert_eq!(text["captures"][1]["name"], "token");
    assert_eq!(text["captures"][1]["value"], "***");
    assert_eq!(text["captures"][1]["secret"], true);
    let sent = requests_run()
        .log
        .to("/echo")
        .into_iter()
        .find_map(|s| s.header("x-token").map(str::to_string));
    assert_eq!(sent.as_deref(), Some("tok3nS3cretValue99"));
    let r = &requests_run().run;
    for (what, text) in [("stdout", &r.stdout), ("junit", &r.junit)] {
        assert!(!text.contains("tok3nS3cretValue99"), "secret in {what}");
    }
    assert!(!r.json.to_string().contains("tok3nS3cretValue99"));
}

#[test]
fn a_capture_that_finds_nothing_fails_at_the_capture() {
    let c = case("captures-fail.yaml");
    assert_eq!(c["status"], "failed");
    let m = message("captures-fail.yaml");
    assert!(
        m.starts_with("capture `paymentId`: JSONPath $.paymentId found nothing in the response (status 200, body `{"),
        "{m}"
    );
    assert_eq!(
        (&c["failure"]["line"], &c["failure"]["column"]),
        (&json!(9), &json!(7))
    );
}

#[test]
fn query_headers_and_bodies_are_sent_as_written() {
    let c = case("shapes.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
}

#[test]
fn a_jsonpath_over_a_text_body_fails_clearly() {
    let c = case("text-not-json.yaml");
    assert_eq!(c["status"], "failed");
    assert_eq!(
        message("text-not-json.yaml"),
        format!("expected a JSON body, got `{NOTE}`")
    );
}
