//! A canary client secret, the token it buys and a session token captured with `secret: true`
//! must appear in no byte of stdout, stderr or any file in the report dir (JSON, JUnit, and the
//! certificate once it is written), in plain, base64 or URL-encoded form.
//!
//! The target is a small app on loopback (`--target http://127.0.0.1:PORT`, credentials from
//! POSCERT_CLIENT_ID / POSCERT_CLIENT_SECRET) that behaves as carelessly as possible: it checks
//! the Basic credentials, issues the canary token, and echoes headers, URLs and bodies back with
//! every secret in plain, base64 and URL-encoded form, so the secrets land in response bodies,
//! captures, URLs, failure messages, command stderr and transport errors
//! (`fixtures/secrets/`).

mod support;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use base64::Engine;
use serde_json::json;
use std::path::Path;
use support::{closed_port, engine, fixtures, record, Log, TestServer};

const CLIENT_ID: &str = "canary-client-id";
/// Characters that base64 and URL-encoding both change, so each form is really different.
const CLIENT_SECRET: &str = "Canary+Secret/Value=42!";
const TOKEN: &str = "canary.TOKEN+value/9000=";
const SESSION: &str = "Sess10n~Canary Token&77";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Every form a secret can travel in.
fn forms(secret: &str) -> Vec<(String, String)> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![
        ("plain".to_string(), secret.to_string()),
        ("base64".into(), b64(secret)),
        (
            "base64 without padding".into(),
            STANDARD_NO_PAD.encode(secret),
        ),
        ("base64url".into(), URL_SAFE.encode(secret)),
        (
            "base64url without padding".into(),
            URL_SAFE_NO_PAD.encode(secret),
        ),
        ("URL-encoded".into(), url(secret)),
        ("form-encoded".into(), url(secret).replace("%20", "+")),
        (
            "JSON-escaped".into(),
            serde_json::to_string(secret)
                .unwrap()
                .trim_matches('"')
                .to_string(),
        ),
    ];
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

fn all_forms() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, secret) in [
        ("client secret", CLIENT_SECRET),
        ("token", TOKEN),
        ("captured session token", SESSION),
    ] {
        out.extend(
            forms(secret)
                .into_iter()
                .map(|(f, v)| (format!("{name} ({f})"), v)),
        );
    }
    out.push((
        "Basic credentials".into(),
        b64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")),
    ));
    out
}

fn json_response(status: u16, body: serde_json::Value, auth: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-echo-authorization", auth)
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The careless target: integrator authentication, a session, and an echo of everything.
async fn careless(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    if path == "/integrator-authentication/connect/token" {
        let basic = format!("Basic {}", b64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
        if auth != basic || !body.contains("grant_type=client_credentials") {
            return json_response(401, json!({ "error": "invalid_client", "got": auth }), "");
        }
        return json_response(
            200,
            json!({ "access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600 }),
            "",
        );
    }
    if !path.starts_with("/pos/v10/") {
        return json_response(404, json!({ "error": "not here" }), "");
    }
    if auth != format!("Bearer {TOKEN}") {
        return json_response(401, json!({ "error": "bad token", "got": auth }), &auth);
    }
    if path == "/pos/v10/session" {
        return json_response(200, json!({ "sessionToken": SESSION }), &auth);
    }
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let status = query
        .split('&')
        .find_map(|p| p.strip_prefix("status="))
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut echo = json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": body,
        "message": format!("client {CLIENT_ID} with secret {CLIENT_SECRET} used {auth}"),
    });
    for (name, secret) in [
        ("secret", CLIENT_SECRET),
        ("token", TOKEN),
        ("session", SESSION),
    ] {
        for (form, value) in forms(secret) {
            echo["forms"][format!("{name} {form}")] = value.into();
        }
    }
    echo["forms"]["basic"] = b64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")).into();
    json_response(status, echo, &auth)
}

struct Outcome {
    code: Option<i32>,
    /// (where, bytes) of everything the run left: stdout, stderr, each report file.
    outputs: Vec<(String, Vec<u8>)>,
}

fn run_against(app: &TestServer, extra: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let out = engine(&fixtures())
        .args(["secrets", "--target", &app.url, "-v", "--report-dir"])
        .arg(dir.path())
        .args(["--var", &format!("closedPort={}", closed_port())])
        .args(extra)
        .env("POSCERT_CLIENT_ID", CLIENT_ID)
        .env("POSCERT_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    let mut outputs = vec![
        ("stdout".to_string(), out.stdout),
        ("stderr".to_string(), out.stderr),
    ];
    collect_files(dir.path(), &mut outputs);
    Outcome {
        code: out.status.code(),
        outputs,
    }
}

fn collect_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

fn leaks(outcome: &Outcome) -> Vec<String> {
    let mut found = Vec::new();
    for (place, bytes) in &outcome.outputs {
        for (what, form) in all_forms() {
            if bytes.windows(form.len()).any(|w| w == form.as_bytes()) {
                found.push(format!("{what} `{form}` in {place}"));
            }
        }
    }
    found
}

fn text<'a>(outcome: &'a Outcome, place: &str) -> std::borrow::Cow<'a, str> {
    let bytes = &outcome
        .outputs
        .iter()
        .find(|(p, _)| p.ends_with(place))
        .unwrap_or_else(|| panic!("no {place}"))
        .1;
    String::from_utf8_lossy(bytes)
}

#[test]
fn no_secret_reaches_any_output_in_any_form() {
    let log = Log::default();
    let app = TestServer::start(record(axum::Router::new().fallback(careless), log.clone()));
    let outcome = run_against(&app, &[]);
    // The run really met the secrets: it authenticated with the canary credentials, used the
    // token, and sent the captured session token back.
    let seen = log.all();
    let bearer = format!("Bearer {TOKEN}");
    assert!(seen
        .iter()
        .any(|s| s.header("authorization") == Some(bearer.as_str())));
    assert!(seen.iter().any(|s| s.header("x-session") == Some(SESSION)));
    assert!(seen
        .iter()
        .any(|s| s.header("x-client-secret") == Some(CLIENT_SECRET)));
    assert_eq!(outcome.code, Some(1), "{}", text(&outcome, "stdout"));
    // The reports were written and hold masks where the secrets were.
    let names: Vec<&str> = outcome.outputs.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("report.json")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with("junit.xml")), "{names:?}");
    let report: serde_json::Value = serde_json::from_str(&text(&outcome, "report.json")).unwrap();
    assert_eq!(report["summary"]["total"], 6);
    assert!(text(&outcome, "report.json").contains("***"));
    assert!(text(&outcome, "stdout").contains("***"));
    let leaked = leaks(&outcome);
    assert!(leaked.is_empty(), "secrets leaked:\n{}", leaked.join("\n"));
}

#[test]
fn a_dry_run_shows_no_secret_either() {
    let log = Log::default();
    let app = TestServer::start(record(axum::Router::new().fallback(careless), log.clone()));
    let outcome = run_against(&app, &["--dry-run"]);
    // Exit 0: nothing is judged in a dry run (captures are only placeholders).
    assert_eq!(outcome.code, Some(0), "{}", text(&outcome, "stdout"));
    // Nothing at all is sent, not even the probe that recognises a poscert emulator.
    let sent: Vec<String> = log
        .all()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert!(sent.is_empty(), "a dry run sent requests: {sent:?}");
    // The rendered requests are shown, with the client secret from the environment masked.
    assert!(
        text(&outcome, "stdout").contains("X-Client-Secret: ***"),
        "{}",
        text(&outcome, "stdout")
    );
    let leaked = leaks(&outcome);
    assert!(leaked.is_empty(), "secrets leaked:\n{}", leaked.join("\n"));
}

#[test]
fn the_leak_detector_finds_every_form_it_looks_for() {
    // A positive control: text holding every form must be flagged once per form, or the two
    // tests above could pass by looking for the wrong bytes.
    let all = all_forms();
    let text: String = all.iter().map(|(_, f)| format!("[{f}]")).collect();
    let outcome = Outcome {
        code: None,
        outputs: vec![("control".into(), text.into_bytes())],
    };
    assert_eq!(leaks(&outcome).len(), all.len());
    assert!(all.len() >= 20, "{all:?}");
}
