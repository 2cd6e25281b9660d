//! Integrator Authentication: client-credentials tokens (Basic auth, `merchant_vat`), cached
//! until shortly before `expires_in`, refreshed once when the API answers 401.

use super::target::Target;
use crate::redact::Redactor;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Refresh this long before the token says it expires (at most a tenth of its lifetime, so a
/// short-lived token is still reused).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct TokenCache {
    token: Mutex<Option<(String, Instant)>>,
    /// How many tokens were fetched (reports and tests use it).
    pub fetched: std::sync::atomic::AtomicU32,
}

#[derive(Debug, Clone)]
pub enum AuthError {
    NoCredentials,
    Transport(String),
    Rejected { status: u16, body: String },
    BadResponse(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NoCredentials => write!(f, "no integrator credentials: set POSCERT_CLIENT_ID and POSCERT_CLIENT_SECRET (or the variables named in poscert.yaml)"),
            AuthError::Transport(e) => write!(f, "token endpoint unreachable: {e}"),
            AuthError::Rejected { status, body } => write!(f, "token endpoint answered {status}: {body}"),
            AuthError::BadResponse(e) => write!(f, "token endpoint gave an unusable answer: {e}"),
        }
    }
}

impl TokenCache {
    /// A valid token, fetching one when none is cached or it is about to expire.
    pub async fn token(
        &self,
        client: &reqwest::Client,
        target: &Target,
        redactor: &Redactor,
    ) -> Result<String, AuthError> {
        let mut guard = self.token.lock().await;
        if let Some((token, expires)) = guard.as_ref() {
            if Instant::now() + EXPIRY_MARGIN < *expires {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = fetch(client, target, redactor).await?;
        self.fetched
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Stored as the refresh deadline plus the margin, so the check above stays one compare.
        let margin = EXPIRY_MARGIN.min(lifetime / 10);
        *guard = Some((
            token.clone(),
            Instant::now() + lifetime - margin + EXPIRY_MARGIN,
        ));
        Ok(token)
    }

    /// Drops `token` if it is still the cached one (after a 401), so the next call fetches anew.
    pub async fn invalidate(&self, token: &str) {
        let mut guard = self.token.lock().await;
        if guard.as_ref().is_some_and(|(t, _)| t == token) {
            *guard = None;
        }
    }
}

/// Does the token carry a `merchant_vat` claim (notes §2.1)? Only a JWT can tell; for an opaque
/// token the answer is `false`, so the caller sends `X-MobilePay-Merchant-VAT-Number`, which is
/// harmless when it agrees with the claim and required when there is none.
pub fn has_merchant_vat_claim(token: &str) -> bool {
    use base64::Engine;
    let mut parts = token.split('.');
    let (Some(_), Some(claims), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|c| c["merchant_vat"].as_str().is_some_and(|v| !v.is_empty()))
}

async fn fetch(
    client: &reqwest::Client,
    target: &Target,
    redactor: &Redactor,
) -> Result<(String, Duration), AuthError> {
    let creds = target
        .credentials
        .as_ref()
        .ok_or(AuthError::NoCredentials)?;
    let form = [
        ("grant_type", "client_credentials"),
        ("merchant_vat", target.merchant_vat.as_str()),
    ];
    let response = client
        .post(&target.token_url)
        .basic_auth(&creds.client_id, Some(&creds.client_secret))
        .form(&form)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| AuthError::Transport(super::client::describe_reqwest_error(&e)))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| AuthError::Transport(e.to_string()))?;
    if status != 200 {
        return Err(AuthError::Rejected {
            status,
            body: redactor.redact(&body.chars().take(300).collect::<String>()),
        });
    }
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| AuthError::BadResponse(e.to_string()))?;
    let token = json["access_token"]
        .as_str()
        .ok_or_else(|| AuthError::BadResponse("no access_token".into()))?
        .to_string();
    redactor.add(&token);
    // Capped at a day: a huge `expires_in` must not overflow the clock arithmetic above.
    let lifetime = json["expires_in"].as_u64().unwrap_or(3600).min(86_400);
    Ok((token, Duration::from_secs(lifetime)))
}

/// An unsigned JWT with these claims, for the tests of what the engine reads from tokens.
#[cfg(test)]
pub(crate) fn jwt(claims: &str) -> String {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        e.encode(r#"{"alg":"HS256"}"#),
        e.encode(claims)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vat_claim_is_read_from_a_jwt() {
        assert!(has_merchant_vat_claim(&jwt(
            r#"{"merchant_vat":"DK90000028"}"#
        )));
        assert!(!has_merchant_vat_claim(&jwt(r#"{"client_id":"x"}"#)));
        assert!(!has_merchant_vat_claim(&jwt(r#"{"merchant_vat":""}"#)));
        assert!(!has_merchant_vat_claim("opaque-token"));
    }
}
