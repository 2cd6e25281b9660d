//! Sends one prepared request: adds the target's headers, applies the timeout, refreshes the
//! token once on a 401, and returns what happened in a form the runner can judge and record.

use super::auth::TokenCache;
use super::record::{RequestRecord, ResponseRecord};
use super::target::Target;
use crate::redact::{mask_header_value, Redactor};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The timeout of a request whose step sets none.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Response bodies beyond this are cut in reports (the whole body is still judged).
pub const MAX_RECORDED_BODY: usize = 64 * 1024;

/// A fully rendered request: sending it twice sends the same bytes (retries depend on it).
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Header names the step removed (written as `name: null`): the target must not add them.
    pub suppressed: Vec<String>,
    pub body: Option<String>,
    pub target_headers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    Timeout,
    Connection,
    /// The token could not be obtained.
    Auth,
    Other,
}

#[derive(Debug, Clone)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

/// A response, with its body parsed as JSON when it is JSON.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub json: Option<serde_json::Value>,
}

/// One request/response exchange (one attempt).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: RequestRecord,
    pub outcome: Result<Response, TransportError>,
    pub duration: Duration,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Set when a 401 made us fetch a new token and send again.
    pub token_refreshed: bool,
}

impl Exchange {
    pub fn response_record(&self) -> Option<ResponseRecord> {
        self.outcome.as_ref().ok().map(|r| ResponseRecord {
            status: r.status,
            headers: r.headers.clone(),
            body: cut(&r.body),
        })
    }
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_RECORDED_BODY {
        return s.to_string();
    }
    let mut end = MAX_RECORDED_BODY;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// The run's HTTP client: one pool, one token cache, one target.
pub struct HttpClient {
    pub inner: reqwest::Client,
    pub target: Arc<Target>,
    pub tokens: TokenCache,
    pub redactor: Redactor,
    /// The last token looked at and whether it carries a `merchant_vat` claim: decoding the
    /// JWT's claims (base64 and JSON) once per token, not once per request.
    vat_claim: std::sync::Mutex<Option<(String, bool)>>,
}

/// The reqwest client every request of a run goes through (also the benchmark's floor,
/// engine/examples/http_floor.rs, so both measure the same settings).
pub fn reqwest_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("poscert-engine/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

impl HttpClient {
    pub fn new(target: Arc<Target>, redactor: Redactor) -> Result<Self, String> {
        let inner = reqwest_client()?;
        if let Some(c) = &target.credentials {
            redactor.add_basic(&c.client_id, &c.client_secret);
        }
        if let Some(c) = &target.simulation_credentials {
            redactor.add(&c.client_secret);
        }
        Ok(HttpClient {
            inner,
            target,
            tokens: TokenCache::default(),
            redactor,
            vat_claim: std::sync::Mutex::new(None),
        })
    }

    /// Sends `req` once (plus one resend after a token refresh on 401).
    pub async fn send(&self, req: &PreparedRequest, timeout: Duration) -> Exchange {
        let started_at = chrono::Utc::now();
        let start = Instant::now();
        let mut headers = req.headers.clone();
        let mut token_used = None;
        if req.target_headers {
            match self.target_headers(req, &mut headers).await {
                Ok(t) => token_used = t,
                Err(e) => {
                    return Exchange {
                        request: self.record(req, &headers),
                        outcome: Err(e),
                        duration: start.elapsed(),
                        started_at,
                        token_refreshed: false,
                    }
                }
            }
        }
        let mut outcome = self.send_raw(req, &headers, timeout).await;
        let mut token_refreshed = false;
        if let (Ok(resp), Some(token)) = (&outcome, &token_used) {
            if resp.status == 401 {
                self.tokens.invalidate(token).await;
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
                match self.target_headers(req, &mut headers).await {
                    Ok(_) => {
                        outcome = self.send_raw(req, &headers, timeout).await;
                        token_refreshed = true;
                    }
                    Err(e) => outcome = Err(e),
                }
            }
        }
        Exchange {
            request: self.record(req, &headers),
            outcome,
            duration: start.elapsed(),
            started_at,
            token_refreshed,
        }
    }

    /// The headers `req` would be sent with, without fetching a token (for `--dry-run`).
    pub fn preview_headers(&self, req: &PreparedRequest) -> Vec<(String, String)> {
        let mut headers = req.headers.clone();
        let has = |headers: &Vec<(String, String)>, name: &str| {
            headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
                || req.suppressed.iter().any(|k| k.eq_ignore_ascii_case(name))
        };
        if req.target_headers && self.target.is_pos_url(&req.url) {
            if !has(&headers, "authorization") {
                headers.push(("Authorization".into(), "Bearer ***".into()));
            }
            if !has(&headers, "x-mobilepay-client-system-version") {
                headers.push((
                    "X-MobilePay-Client-System-Version".into(),
                    self.target.client_version.clone(),
                ));
            }
        } else if req.target_headers && self.target.is_simulation_url(&req.url) {
            if let Some(c) = &self.target.simulation_credentials {
                if !has(&headers, "x-ibm-client-id") {
                    headers.push(("x-ibm-client-id".into(), c.client_id.clone()));
                }
                if !has(&headers, "x-ibm-client-secret") {
                    headers.push(("x-ibm-client-secret".into(), "***".into()));
                }
            }
        }
        headers
    }

    fn record(&self, req: &PreparedRequest, headers: &[(String, String)]) -> RequestRecord {
        RequestRecord {
            method: req.method.clone(),
            url: req.url.clone(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), mask_header_value(k, v)))
                .collect(),
            body: req.body.clone(),
        }
    }

    /// [`super::auth::has_merchant_vat_claim`], remembered for the current token.
    fn has_merchant_vat_claim(&self, token: &str) -> bool {
        let mut last = self
            .vat_claim
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*last {
            Some((t, claim)) if t == token => *claim,
            _ => {
                let claim = super::auth::has_merchant_vat_claim(token);
                *last = Some((token.to_string(), claim));
                claim
            }
        }
    }

    /// Adds the PoS or user-simulation headers the step did not set; returns the token used.
    async fn target_headers(
        &self,
        req: &PreparedRequest,
        headers: &mut Vec<(String, String)>,
    ) -> Result<Option<String>, TransportError> {
        let has = |headers: &Vec<(String, String)>, name: &str| {
            headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
                || req.suppressed.iter().any(|k| k.eq_ignore_ascii_case(name))
        };
        let target = &self.target;
        let mut token_used = None;
        if target.is_pos_url(&req.url) {
            if !has(headers, "authorization") {
                let token = self
                    .tokens
                    .token(&self.inner, target, &self.redactor)
                    .await
                    .map_err(|e| TransportError {
                        kind: TransportErrorKind::Auth,
                        message: e.to_string(),
                    })?;
                headers.push(("Authorization".into(), format!("Bearer {token}")));
                // Notes §2.2: the VAT header is needed only when the token is not tied to a
                // merchant.
                if !self.has_merchant_vat_claim(&token)
                    && !has(headers, "x-mobilepay-merchant-vat-number")
                {
                    headers.push((
                        "X-MobilePay-Merchant-VAT-Number".into(),
                        target.merchant_vat.clone(),
                    ));
                }
                token_used = Some(token);
            }
            if !has(headers, "x-mobilepay-client-system-version") {
                headers.push((
                    "X-MobilePay-Client-System-Version".into(),
                    target.client_version.clone(),
                ));
            }
        } else if target.is_simulation_url(&req.url) {
            if let Some(c) = &target.simulation_credentials {
                if !has(headers, "x-ibm-client-id") {
                    headers.push(("x-ibm-client-id".into(), c.client_id.clone()));
                }
                if !has(headers, "x-ibm-client-secret") {
                    headers.push(("x-ibm-client-secret".into(), c.client_secret.clone()));
                }
            }
        }
        Ok(token_used)
    }

    async fn send_raw(
        &self,
        req: &PreparedRequest,
        headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| TransportError {
                kind: TransportErrorKind::Other,
                message: format!("invalid method: {e}"),
            })?;
        let mut builder = self.inner.request(method, &req.url).timeout(timeout);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let bytes = response.bytes().await.map_err(|e| classify(&e))?;
        // Valid UTF-8 (nearly always) becomes the String without a copy.
        let body = match String::from_utf8(Vec::from(bytes)) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let json = if body.trim_start().starts_with(['{', '[']) {
            serde_json::from_str(&body).ok()
        } else {
            None
        };
        Ok(Response {
            status,
            headers,
            body,
            json,
        })
    }
}

fn classify(e: &reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() || e.is_request() || e.is_body() {
        TransportErrorKind::Connection
    } else {
        TransportErrorKind::Other
    };
    TransportError {
        kind,
        message: describe_reqwest_error(e),
    }
}

/// reqwest's Display hides the cause ("error sending request"); walk the chain for the reason.
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::auth::jwt;

    #[test]
    fn the_vat_claim_is_remembered_per_token() {
        let target = Arc::new(Target::custom("http://127.0.0.1:1", "DK90000028"));
        let client = HttpClient::new(target, Redactor::new()).unwrap();
        let with = jwt(r#"{"merchant_vat":"DK90000028"}"#);
        let without = jwt(r#"{"client_id":"x"}"#);
        for token in [&with, &with, &without, &without, "opaque-token", &with] {
            assert_eq!(
                client.has_merchant_vat_claim(token),
                super::super::auth::has_merchant_vat_claim(token),
                "{token}"
            );
        }
    }
}
