//! Shared helpers for the integration tests: a running emulator on 127.0.0.1:0, a token for
//! the certification merchant, and shortcuts for the flows every test needs.
#![allow(dead_code)]

use poscert_emulator::seed::CERT_STORE_ID;
use poscert_emulator::{Emulator, EmulatorConfig};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

pub const VERSION: &str = "1.2.3";
pub const CREDIT: &str = "+4520031801";
pub const DEBIT: &str = "+4520031802";
pub const RECEIPT: &str = "+4520031803";
pub const LOYALTY: &str = "+4520031804";
pub const PARTIAL: &str = "+4520031805";
pub const FI_CREDIT: &str = "+358200318001";

pub struct Ctx {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

pub fn test_config() -> EmulatorConfig {
    EmulatorConfig {
        payment_poll_delay_ms: 20,
        refund_poll_delay_ms: 5,
        ..EmulatorConfig::default()
    }
}

/// The answer of a call: status and JSON body (`Value::Null` when the body is empty).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or("")
    }

    /// Assert an error status + code, and the error body shape.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
        let cid = self.body["correlationId"].as_str().unwrap_or("");
        assert_eq!(cid.len(), 36, "correlationId must be a GUID: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(self.status, 200, "body: {}", self.body);
    }
}

pub async fn send(rb: RequestBuilder) -> Resp {
    let resp = rb.send().await.expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Resp {
        status,
        body,
        headers,
    }
}

impl Ctx {
    pub async fn start() -> Ctx {
        Ctx::start_with(test_config()).await
    }

    pub async fn start_with(config: EmulatorConfig) -> Ctx {
        let emu = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start emulator");
        let base = emu.base_url();
        let http = reqwest::Client::builder().build().unwrap();
        let mut ctx = Ctx {
            emu,
            http,
            base,
            token: String::new(),
        };
        ctx.token = ctx.token_for(0, Some("DK90000028")).await;
        ctx
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A token for seed integrator `i` (0 primary, 1 second).
    pub async fn token_for(&self, i: usize, vat: Option<&str>) -> String {
        let integ = &self.emu.seed().integrators[i];
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(v) = vat {
            form.push(("merchant_vat", v));
        }
        let r = send(
            self.http
                .post(self.url("/integrator-authentication/connect/token"))
                .basic_auth(&integ.client_id, Some(&integ.client_secret))
                .form(&form),
        )
        .await;
        r.assert_ok();
        r.body["access_token"].as_str().unwrap().to_string()
    }

    /// A PoS API request with token and version header.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_as(&self.token, method, path)
    }

    pub fn req_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("X-MobilePay-Client-System-Version", VERSION)
    }

    pub async fn get(&self, path: &str) -> Resp {
        send(self.req(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        send(self.req(Method::POST, path).json(&body)).await
    }

    pub async fn post_idem(&self, path: &str, key: &str, body: Value) -> Resp {
        send(
            self.req(Method::POST, path)
                .header("X-MobilePay-Idempotency-Key", key)
                .json(&body),
        )
        .await
    }

    /// A creating POST with a fresh idempotency key.
    pub async fn create(&self, path: &str, body: Value) -> Resp {
        self.post_idem(path, &uuid(), body).await
    }

    pub async fn post_empty(&self, path: &str) -> Resp {
        send(self.req(Method::POST, path)).await
    }

    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        send(rb).await
    }

    /// Advance the virtual clock, then fetch a fresh token (the old one may have expired).
    pub async fn advance(&mut self, seconds: u64) {
        self.control(
            Method::POST,
            "/_emulator/clock/advance",
            Some(json!({ "seconds": seconds })),
        )
        .await
        .assert_ok();
        self.token = self.token_for(0, Some("DK90000028")).await;
    }

    /// Create a PoS on the certification store; returns (posId, beaconId).
    pub async fn create_pos_with(&self, extra: Value) -> (String, String) {
        let beacon = fifteen_digits();
        let mut body = json!({
            "merchantPosId": format!("pos-{}", &uuid()[..8]),
            "storeId": CERT_STORE_ID,
            "name": "Till 1",
            "beaconId": beacon,
            "supportedBeaconTypes": ["QR"],
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let beacon = body["beaconId"].as_str().unwrap_or("").to_string();
        let r = self.post_idem("/pos/v10/pointofsales", &uuid(), body).await;
        r.assert_ok();
        (r.body["posId"].as_str().unwrap().to_string(), beacon)
    }

    pub async fn create_pos(&self) -> (String, String) {
        self.create_pos_with(json!({})).await
    }

    pub async fn initiate(&self, pos: &str, amount: f64, extra: Value) -> Resp {
        let mut body = json!({ "posId": pos, "orderId": format!("order-{}", &uuid()[..8]), "amount": amount, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post_idem("/pos/v10/payments", &uuid(), body).await
    }

    pub async fn initiate_ok(&self, pos: &str, amount: f64) -> String {
        let r = self.initiate(pos, amount, json!({})).await;
        r.assert_ok();
        r.body["paymentId"].as_str().unwrap().to_string()
    }

    pub async fn prepare_ok(&self, pos: &str) -> String {
        let r = self
            .post_idem(
                "/pos/v10/payments/prepare",
                &uuid(),
                json!({ "posId": pos, "orderId": "prep-1" }),
            )
            .await;
        r.assert_ok();
        r.body["paymentId"].as_str().unwrap().to_string()
    }

    /// A user-simulation call (`checkin`, `acceptpayment`, `cancelpaymentbyuser`).
    pub async fn sim(&self, action: &str, beacon: &str, phone: Option<&str>) -> Resp {
        let creds = &self.emu.seed().user_simulation;
        let mut body = json!({ "beaconId": beacon });
        if let Some(p) = phone {
            body["phoneNumber"] = json!(p);
        }
        send(
            self.http
                .post(self.url(&format!("/pos/app/usersimulation/{action}")))
                .header("x-ibm-client-id", &creds.client_id)
                .header("x-ibm-client-secret", &creds.client_secret)
                .json(&body),
        )
        .await
    }

    pub async fn payment(&self, id: &str) -> Value {
        let r = self.get(&format!("/pos/v10/payments/{id}")).await;
        r.assert_ok();
        r.body
    }

    pub async fn status(&self, id: &str) -> String {
        self.payment(id).await["status"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// A fresh PoS with a `Reserved` payment by `phone`; returns (posId, beacon, paymentId).
    pub async fn reserved(&self, phone: &str, amount: f64) -> (String, String, String) {
        let (pos, beacon) = self.create_pos().await;
        self.sim("checkin", &beacon, Some(phone)).await.assert_ok();
        let pay = self.initiate_ok(&pos, amount).await;
        self.sim("acceptpayment", &beacon, Some(phone))
            .await
            .assert_ok();
        assert_eq!(self.status(&pay).await, "Reserved");
        (pos, beacon, pay)
    }

    /// A captured payment of `amount` DKK; returns the paymentId.
    pub async fn captured(&self, amount: f64) -> String {
        let (_, _, pay) = self.reserved(CREDIT, amount).await;
        self.post(
            &format!("/pos/v10/payments/{pay}/capture"),
            json!({ "amount": amount }),
        )
        .await
        .assert_ok();
        pay
    }

    pub async fn create_refund(&self, payment: &str, amount: f64) -> Resp {
        self.post_idem("/pos/v10/refunds", &uuid(), json!({ "paymentId": payment, "refundOrderId": "refund-1", "amount": amount, "currencyCode": "DKK" })).await
    }

    pub async fn refund_ok(&self, payment: &str, amount: f64) -> String {
        let r = self.create_refund(payment, amount).await;
        r.assert_ok();
        r.body["refundId"].as_str().unwrap().to_string()
    }

    pub async fn refund_status(&self, id: &str) -> String {
        let r = self.get(&format!("/pos/v10/refunds/{id}")).await;
        r.assert_ok();
        r.body["status"].as_str().unwrap_or("").to_string()
    }

    pub async fn journal(&self, query: &str) -> Vec<Value> {
        let r = self
            .control(Method::GET, &format!("/_emulator/journal?{query}"), None)
            .await;
        r.assert_ok();
        r.body["entries"].as_array().cloned().unwrap_or_default()
    }
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A unique 15-digit beacon id.
pub fn fifteen_digits() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 900_000_000_000_000;
    format!("{}", 100_000_000_000_000 + n)
}
