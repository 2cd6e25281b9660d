//! Integrator authentication: issuing and verifying bearer tokens.
//!
//! Tokens are JWT-shaped (`header.claims.signature`, base64url) and signed with HMAC-SHA256
//! under a key drawn at start-up, so a token from another emulator instance, or one edited by
//! hand, is "forged". Claims: `client_id`, optional `merchant_vat` (kept verbatim so that a
//! malformed one yields 1182 at use time), `iat`/`exp` on the virtual clock, and a revocation
//! `epoch`: `POST /_emulator/tokens/revoke` bumps the epoch and every older token stops
//! working, which lets the engine prove that a client refreshes its token on 401.
//!
//! Every token also carries a `serial`, counting up across the tokens this service issued, so
//! revocation and expiry can be narrowed to the tokens issued *so far* (a fresh token works at
//! once) of one client id and/or for use on one PoS ([`TokenRule`]): parallel certification
//! cases share a client id, and usually one cached token, but each owns its PoS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::RwLock;

type HmacSha256 = Hmac<Sha256>;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_vat: Option<String>,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub epoch: u64,
    /// Issue order (1, 2, …) within this emulator run.
    #[serde(default)]
    pub serial: u64,
    pub jti: String,
}

/// Why a bearer token was refused (the 401's `moreInformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    Revoked,
}

impl TokenError {
    pub fn reason(self) -> &'static str {
        match self {
            TokenError::Missing => "Missing bearer token",
            TokenError::Malformed => "Malformed bearer token",
            TokenError::BadSignature => "Invalid token signature",
            TokenError::Expired => "Token expired",
            TokenError::Revoked => "Token revoked",
        }
    }
}

/// Tokens made invalid by a control call: those issued up to `up_to` (serial), of `client_id`
/// (any when `None`), and, with `pos`, only when used on that PoS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRule {
    pub client_id: Option<String>,
    pub pos: Option<uuid::Uuid>,
    pub up_to: u64,
    /// [`TokenError::Expired`] or [`TokenError::Revoked`]: what the 401 says.
    pub reason: TokenError,
}

impl TokenRule {
    fn hits(&self, claims: &Claims) -> bool {
        claims.serial <= self.up_to
            && self
                .client_id
                .as_deref()
                .is_none_or(|c| c == claims.client_id)
    }
}

pub struct TokenService {
    key: [u8; 32],
    epoch: AtomicU64,
    serial: AtomicU64,
    /// Rules without a PoS, checked on every verification, and rules for one PoS, checked by
    /// [`TokenService::check_pos`]. The counts spare the lock while there are none.
    rules: RwLock<Vec<TokenRule>>,
    general_rules: AtomicUsize,
    pos_rules: AtomicUsize,
}

impl Default for TokenService {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenService {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        TokenService {
            key,
            epoch: AtomicU64::new(0),
            serial: AtomicU64::new(0),
            rules: RwLock::new(Vec::new()),
            general_rules: AtomicUsize::new(0),
            pos_rules: AtomicUsize::new(0),
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// Issue a token valid from `now` (unix seconds, virtual) for `lifetime` seconds.
    pub fn issue(
        &self,
        client_id: &str,
        merchant_vat: Option<&str>,
        now: i64,
        lifetime: u64,
    ) -> String {
        let claims = Claims {
            client_id: client_id.to_string(),
            merchant_vat: merchant_vat.map(str::to_string),
            scope: "integrator_scope".into(),
            iat: now,
            exp: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            epoch: self.epoch.load(Ordering::SeqCst),
            serial: self.serial.fetch_add(1, Ordering::SeqCst) + 1,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let claims_json = serde_json::to_vec(&claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(claims_json)
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Verify a token at virtual time `now` (unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (signing_input, sig_b64) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (_, claims_b64) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig_b64)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let claims_json = URL_SAFE_NO_PAD
            .decode(claims_b64)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims =
            serde_json::from_slice(&claims_json).map_err(|_| TokenError::Malformed)?;
        if claims.epoch < self.epoch.load(Ordering::SeqCst) {
            return Err(TokenError::Revoked);
        }
        if now >= claims.exp {
            return Err(TokenError::Expired);
        }
        if self.general_rules.load(Ordering::SeqCst) > 0 {
            let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = rules.iter().find(|r| r.pos.is_none() && r.hits(&claims)) {
                return Err(r.reason);
            }
        }
        Ok(claims)
    }

    /// Invalidate every token issued so far.
    pub fn revoke_all(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Invalidate the tokens issued so far of `client_id` (any client when `None`), and with
    /// `pos` only on requests about that PoS, saying `reason` in the 401. Tokens issued from
    /// now on are not affected. Returns the last serial the rule covers.
    pub fn invalidate(
        &self,
        client_id: Option<&str>,
        pos: Option<uuid::Uuid>,
        reason: TokenError,
    ) -> u64 {
        let mut rules = self.rules.write().unwrap_or_else(|p| p.into_inner());
        let up_to = self.serial.load(Ordering::SeqCst);
        let rule = TokenRule {
            client_id: client_id.map(str::to_string),
            pos,
            up_to,
            reason,
        };
        // Repeating the newest rule of the same scope and reason only raises its serial, so it
        // replaces it in place rather than growing the list for every repeated control call:
        // the tokens it hit, it still hits with the same reason, and the newer tokens it now
        // hits no earlier rule could (their serials are above every earlier rule's).
        if let Some(last) = rules.last_mut() {
            if last.client_id == rule.client_id
                && last.pos == rule.pos
                && last.reason == rule.reason
            {
                *last = rule;
                return up_to;
            }
        }
        rules.push(rule);
        let counter = if pos.is_some() {
            &self.pos_rules
        } else {
            &self.general_rules
        };
        counter.fetch_add(1, Ordering::SeqCst);
        up_to
    }

    /// Keeps only the PoS-scoped rules whose PoS `keep` accepts (the store still holds it).
    pub fn retain_pos_rules(&self, keep: impl Fn(uuid::Uuid) -> bool) {
        let mut rules = self.rules.write().unwrap_or_else(|p| p.into_inner());
        rules.retain(|r| r.pos.is_none_or(&keep));
        let n = rules.iter().filter(|r| r.pos.is_some()).count();
        self.pos_rules.store(n, Ordering::SeqCst);
    }

    /// How many rules there are: all, and those scoped to a PoS.
    pub fn rule_counts(&self) -> (usize, usize) {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        let pos = rules.iter().filter(|r| r.pos.is_some()).count();
        (rules.len(), pos)
    }

    /// Whether any rule is scoped to a PoS (then a request's PoS must be looked up).
    pub fn has_pos_rules(&self) -> bool {
        self.pos_rules.load(Ordering::SeqCst) > 0
    }

    /// The PoS-scoped rules for a verified token used on a request about `pos`.
    pub fn check_pos(&self, claims: &Claims, pos: uuid::Uuid) -> Result<(), TokenError> {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        match rules.iter().find(|r| r.pos == Some(pos) && r.hits(claims)) {
            Some(r) => Err(r.reason),
            None => Ok(()),
        }
    }
}

/// Parse `Authorization: Basic base64(id:secret)`.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let rest = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Extract the token of `Authorization: Bearer <token>`.
pub fn parse_bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Some(token.trim())
    } else {
        None
    }
}

/// Compare secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_until_expiry() {
        let svc = TokenService::new();
        let t = svc.issue("c1", Some("DK90000028"), 1000, 3700);
        let claims = svc.verify(&t, 1000).unwrap();
        assert_eq!(claims.client_id, "c1");
        assert_eq!(claims.merchant_vat.as_deref(), Some("DK90000028"));
        assert_eq!(svc.verify(&t, 4699).map(|c| c.exp), Ok(4700));
        assert_eq!(svc.verify(&t, 4700), Err(TokenError::Expired));
    }

    #[test]
    fn forged_and_foreign_tokens_are_rejected() {
        let a = TokenService::new();
        let b = TokenService::new();
        let t = a.issue("c1", None, 0, 100);
        assert_eq!(b.verify(&t, 1), Err(TokenError::BadSignature));
        let mut forged = t.clone();
        forged.insert(forged.find('.').unwrap() + 2, 'x');
        assert!(a.verify(&forged, 1).is_err());
        assert_eq!(a.verify("garbage", 1), Err(TokenError::Malformed));
    }

    #[test]
    fn revocation_invalidates_older_tokens_only() {
        let svc = TokenService::new();
        let old = svc.issue("c1", None, 0, 100);
        svc.revoke_all();
        let new = svc.issue("c1", None, 0, 100);
        assert_eq!(svc.verify(&old, 1), Err(TokenError::Revoked));
        assert!(svc.verify(&new, 1).is_ok());
    }

    #[test]
    fn repeated_rules_replace_the_newest_and_pos_rules_go_with_their_pos() {
        let svc = TokenService::new();
        let old = svc.issue("a", None, 0, 100);
        svc.invalidate(Some("a"), None, TokenError::Expired);
        let mid = svc.issue("a", None, 0, 100);
        svc.invalidate(Some("a"), None, TokenError::Expired);
        assert_eq!(svc.rule_counts(), (1, 0));
        assert_eq!(svc.verify(&old, 1), Err(TokenError::Expired));
        assert_eq!(svc.verify(&mid, 1), Err(TokenError::Expired));
        // Another reason in between: kept apart, so each token keeps its reason.
        svc.invalidate(Some("a"), None, TokenError::Revoked);
        svc.invalidate(Some("a"), None, TokenError::Expired);
        assert_eq!(svc.rule_counts(), (3, 0));
        assert_eq!(svc.verify(&old, 1), Err(TokenError::Expired));
        let (kept, gone) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        svc.invalidate(None, Some(kept), TokenError::Expired);
        svc.invalidate(None, Some(gone), TokenError::Expired);
        svc.retain_pos_rules(|p| p == kept);
        assert_eq!(svc.rule_counts(), (4, 1));
        assert!(svc.has_pos_rules());
    }

    #[test]
    fn narrowed_invalidation_hits_older_tokens_of_one_client_or_on_one_pos() {
        let svc = TokenService::new();
        let a_old = svc.issue("a", None, 0, 100);
        let b_old = svc.issue("b", None, 0, 100);
        svc.invalidate(Some("a"), None, TokenError::Expired);
        let a_new = svc.issue("a", None, 0, 100);
        assert_eq!(svc.verify(&a_old, 1), Err(TokenError::Expired));
        assert!(svc.verify(&b_old, 1).is_ok());
        assert!(svc.verify(&a_new, 1).is_ok());
        let pos = uuid::Uuid::new_v4();
        assert!(!svc.has_pos_rules());
        svc.invalidate(None, Some(pos), TokenError::Revoked);
        assert!(svc.has_pos_rules());
        let b = svc.verify(&b_old, 1).unwrap();
        assert_eq!(svc.check_pos(&b, pos), Err(TokenError::Revoked));
        assert_eq!(svc.check_pos(&b, uuid::Uuid::new_v4()), Ok(()));
        let fresh = svc.verify(&svc.issue("b", None, 0, 100), 1).unwrap();
        assert_eq!(svc.check_pos(&fresh, pos), Ok(()));
    }

    #[test]
    fn basic_and_bearer_parsing() {
        assert_eq!(parse_basic("Basic YTpi"), Some(("a".into(), "b".into())));
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_bearer("Bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("Basic abc"), None);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
    }
}
