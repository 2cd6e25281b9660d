//! Idempotency keys (notes §5.7, §9.6).
//!
//! Scope: integrator client id + merchant VAT + method + path template, so a key reused on
//! another endpoint, by another integrator or for another merchant is a different key.
//! "Same request" [inferred]: the same endpoint and the same body after JSON normalization
//! (key order and whitespace do not matter; a body that is not JSON compares byte for byte).
//! Only a successful creation (2xx) is stored, and replayed verbatim to every retry; a
//! different body under a key that holds a success gets 409/1306. A request refused by a body
//! or business rule (400, 403, 409 such as 1301) created nothing and binds nothing: a retry
//! with the same key, after the client cleaned up, is processed anew (as Stripe does for
//! requests that failed validation or conflicted). Fault-injected 500s never reach this store
//! either, so a retry after one is processed normally.
//!
//! The store lives inside [`crate::state::Store`] and is only touched under its lock, with
//! the look-up, the creation and the recording in one critical section: concurrent requests
//! with one key therefore create exactly one resource and all see one response.

use crate::validation::canonical_json;
use axum::body::Bytes;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdemKey {
    pub client_id: String,
    pub vat: String,
    pub endpoint: &'static str,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: StatusCode,
    pub body: Option<Bytes>,
}

#[derive(Debug)]
struct Record {
    fingerprint: String,
    response: StoredResponse,
    created_at: DateTime<Utc>,
    /// The id the stored creation names (`posId`, `paymentId` or `refundId` of its answer),
    /// read once here so that forgetting a resource and checking the invariants need not
    /// search every stored body.
    resource: Option<uuid::Uuid>,
}

/// The resource a creation's answer names: `{"posId"}`, `{"paymentId"}` or `{"refundId"}`.
fn created_resource(body: Option<&Bytes>) -> Option<uuid::Uuid> {
    let v: serde_json::Value = serde_json::from_slice(body?).ok()?;
    ["posId", "paymentId", "refundId"]
        .iter()
        .find_map(|k| v.get(k)?.as_str()?.parse().ok())
}

/// One stored creation, as the control API's invariant check sees it.
pub struct Binding<'a> {
    pub key: &'a IdemKey,
    pub resource: Option<uuid::Uuid>,
}

pub enum Lookup {
    /// Never seen: process the request, then [`IdempotencyStore::remember`] the result.
    New,
    /// A retry of the same request: answer this.
    Replay(StoredResponse),
    /// The key was used for a different request: 409/1306.
    Conflict,
}

#[derive(Debug, Default)]
pub struct IdempotencyStore {
    records: HashMap<IdemKey, Record>,
}

/// The "same request" fingerprint of a body.
pub fn fingerprint(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            let mut out = String::with_capacity(body.len());
            canonical_json(&v, &mut out);
            out
        }
        Err(_) => format!("raw:{}", String::from_utf8_lossy(body)),
    }
}

impl IdempotencyStore {
    pub fn lookup(&self, key: &IdemKey, fingerprint: &str) -> Lookup {
        match self.records.get(key) {
            None => Lookup::New,
            Some(r) if r.fingerprint == fingerprint => Lookup::Replay(r.response.clone()),
            Some(_) => Lookup::Conflict,
        }
    }

    pub fn remember(
        &mut self,
        key: IdemKey,
        fingerprint: String,
        response: StoredResponse,
        now: DateTime<Utc>,
    ) {
        let resource = created_resource(response.body.as_ref());
        self.records.insert(
            key,
            Record {
                fingerprint,
                response,
                created_at: now,
                resource,
            },
        );
    }

    /// Forget keys older than `retention` (keys are kept "for at least 24 h").
    pub fn sweep(&mut self, now: DateTime<Utc>, retention: chrono::Duration) {
        self.records.retain(|_, r| now - r.created_at < retention);
    }

    /// Forgets the records whose creation made one of `ids`: the retention of finished
    /// resources (when keys are kept longer than the resources they created), and a released
    /// case's deleted PoS with its payments and refunds.
    pub fn forget_resources(&mut self, ids: &std::collections::HashSet<uuid::Uuid>) {
        if ids.is_empty() {
            return;
        }
        self.records
            .retain(|_, r| r.resource.is_none_or(|id| !ids.contains(&id)));
    }

    /// Every stored creation with the resource it made.
    pub fn bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        self.records.iter().map(|(key, r)| Binding {
            key,
            resource: r.resource,
        })
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> IdemKey {
        IdemKey {
            client_id: "c".into(),
            vat: "DK90000028".into(),
            endpoint: "POST /pos/v10/payments",
            key: k.into(),
        }
    }

    #[test]
    fn replay_conflict_and_scope() {
        let mut s = IdempotencyStore::default();
        let fp = fingerprint(br#"{"a":1,"b":2}"#);
        assert!(matches!(s.lookup(&key("k"), &fp), Lookup::New));
        s.remember(
            key("k"),
            fp.clone(),
            StoredResponse {
                status: StatusCode::OK,
                body: Some(Bytes::from_static(b"{}")),
            },
            Utc::now(),
        );
        assert!(matches!(
            s.lookup(&key("k"), &fingerprint(br#"{ "b":2, "a":1 }"#)),
            Lookup::Replay(_)
        ));
        assert!(matches!(
            s.lookup(&key("k"), &fingerprint(br#"{"a":1,"b":3}"#)),
            Lookup::Conflict
        ));
        let mut other = key("k");
        other.vat = "FI90000040".into();
        assert!(matches!(s.lookup(&other, &fp), Lookup::New));
        let mut other = key("k");
        other.endpoint = "POST /pos/v10/refunds";
        assert!(matches!(s.lookup(&other, &fp), Lookup::New));
    }

    #[test]
    fn sweep_forgets_old_keys() {
        let mut s = IdempotencyStore::default();
        let t0 = Utc::now();
        s.remember(
            key("k"),
            "x".into(),
            StoredResponse {
                status: StatusCode::OK,
                body: None,
            },
            t0,
        );
        s.sweep(
            t0 + chrono::Duration::hours(23),
            chrono::Duration::hours(24),
        );
        assert_eq!(s.len(), 1);
        s.sweep(
            t0 + chrono::Duration::hours(24),
            chrono::Duration::hours(24),
        );
        assert!(s.is_empty());
    }
}
