//! Fuzz-derived requests → the emulator's whole request pipeline in process: the axum router
//! of `server::router` over one `App` (body limits, routing, the journal, header rules, token
//! checks, idempotency, validation, the handlers and their state), called with
//! `tower::ServiceExt::oneshot` on a current-thread runtime. No sockets, no faults.
//!
//! Input: byte 0 picks the creating endpoint (token, POS, payment, prepared payment, refund,
//! user simulation) and its prefix; byte 1 holds flags (a valid token, the version header, a
//! fresh idempotency key, valid simulation credentials, a JSON content type); then lines
//! `name: value` are extra headers up to an empty line, and the rest is the body. In the body
//! `$POS`, `$BEACON`, `$PAYMENT` and `$STORE` stand for a live PoS and its beacon, the last
//! payment created, and the certification store, so inputs reach past "not found".
#![no_main]

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use poscert_emulator::app::App;
use poscert_emulator::seed::{CERT_STORE_ID, CERT_VAT_DK};
use poscert_emulator::server::router;
use poscert_emulator::EmulatorConfig;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

/// Requests between two resets of the emulator's state: PoSes, payments, idempotency keys and
/// the journal stay bounded however long the fuzzer runs.
const RESET_EVERY: u64 = 2_000;

/// The live PoS's beacon (`$BEACON`): the user simulation checks in by it.
const BEACON: &str = "100000000000042";

const ENDPOINTS: &[&str] = &[
    "/integrator-authentication/connect/token",
    "/pos/v10/pointofsales",
    "/pos/v10/payments",
    "/pos/v10/payments/prepare",
    "/pos/v10/refunds",
    "/pos/app/usersimulation/checkin",
    "/pos/app/usersimulation/acceptpayment",
    "/pos/app/usersimulation/cancelpaymentbyuser",
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: Arc<App>,
    router: axum::Router,
    token: String,
    basic: String,
    sim_id: String,
    sim_secret: String,
    requests: AtomicU64,
    /// The live PoS and the last payment id an input created.
    live: Mutex<(String, String)>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime");
        let config = EmulatorConfig::default();
        let app = Arc::new(App::new(config.clone()));
        let router = router(app.clone());
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", config.client_id, config.client_secret))
        );
        let mut h = Harness {
            runtime,
            app,
            router,
            token: String::new(),
            basic,
            sim_id: config.user_simulation_client_id.clone(),
            sim_secret: config.user_simulation_client_secret.clone(),
            requests: AtomicU64::new(0),
            live: Mutex::new((String::new(), String::new())),
        };
        let (status, body) = h.send(
            Request::post(ENDPOINTS[0])
                .header("authorization", &h.basic)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "grant_type=client_credentials&merchant_vat={CERT_VAT_DK}"
                )))
                .expect("a token request"),
        );
        assert_eq!(status, 200, "the seed integrator gets a token");
        h.token = body["access_token"].as_str().expect("a token").to_string();
        h.create_pos();
        h
    })
}

impl Harness {
    fn send(&self, req: Request<Body>) -> (u16, Value) {
        self.runtime.block_on(async {
            let resp = self
                .router
                .clone()
                .oneshot(req)
                .await
                .expect("the router is infallible");
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        })
    }

    /// A PoS for `$POS`, created after every reset.
    fn create_pos(&self) {
        let n = self.requests.load(Ordering::Relaxed);
        let body = format!(
            r#"{{"merchantPosId":"fuzz-{n}","storeId":"{CERT_STORE_ID}","name":"fuzz","beaconId":"{BEACON}","supportedBeaconTypes":["QR"]}}"#
        );
        let (_, reply) = self.send(
            Request::post(ENDPOINTS[1])
                .header("authorization", format!("Bearer {}", self.token))
                .header("x-mobilepay-client-system-version", "1.2.3")
                .header("x-mobilepay-idempotency-key", format!("fuzz-setup-{n}"))
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("a PoS request"),
        );
        let pos = reply["posId"].as_str().unwrap_or_default().to_string();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.0 = pos;
    }
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let [pick, flags, rest @ ..] = data else {
        return;
    };
    let n = h.requests.fetch_add(1, Ordering::Relaxed);
    if n > 0 && n % RESET_EVERY == 0 {
        h.app.reset();
        h.create_pos();
    }
    let endpoint = ENDPOINTS[usize::from(*pick) % ENDPOINTS.len()];
    let path = if pick & 0x80 != 0 && endpoint.starts_with("/pos/v10") {
        format!("/pos-self-certification-api{endpoint}")
    } else {
        endpoint.to_string()
    };
    let mut req = Request::post(path);
    if flags & 0x01 != 0 {
        let auth = if endpoint == ENDPOINTS[0] {
            h.basic.clone()
        } else {
            format!("Bearer {}", h.token)
        };
        req = req.header("authorization", auth);
    }
    if flags & 0x02 != 0 {
        req = req.header("x-mobilepay-client-system-version", "1.2.3");
    }
    if flags & 0x04 != 0 {
        req = req.header("x-mobilepay-idempotency-key", format!("fuzz-{n}"));
    }
    if flags & 0x08 != 0 {
        req = req
            .header("x-ibm-client-id", &h.sim_id)
            .header("x-ibm-client-secret", &h.sim_secret);
    }
    if flags & 0x10 != 0 {
        let kind = if endpoint == ENDPOINTS[0] {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        req = req.header("content-type", kind);
    }
    // Extra headers, then the body.
    let mut body = rest;
    while let Some(end) = body.iter().position(|b| *b == b'\n') {
        let line = &body[..end];
        body = &body[end + 1..];
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        req = req.header(name, value);
    }
    let body = {
        let live = h.live.lock().unwrap_or_else(|p| p.into_inner());
        match std::str::from_utf8(body) {
            Ok(text) if text.contains('$') => text
                .replace("$POS", &live.0)
                .replace("$PAYMENT", &live.1)
                .replace("$STORE", CERT_STORE_ID)
                .replace("$BEACON", BEACON)
                .into_bytes(),
            _ => body.to_vec(),
        }
    };
    let Ok(req) = req.body(Body::from(body)) else {
        return;
    };
    let (_, reply) = h.send(req);
    if let Some(id) = reply.get("paymentId").and_then(Value::as_str) {
        let mut live = h.live.lock().unwrap_or_else(|p| p.into_inner());
        live.1 = id.to_string();
    }
});
