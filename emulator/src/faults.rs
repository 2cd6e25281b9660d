//! Scripted faults, the self-certification tool's fault injection (notes §7.5): for the next
//! N requests matching a method, a path and optionally a body substring, either hold the
//! response for a while (`delay`: the request is processed normally, so a retry with the same
//! idempotency key replays and one with a new key meets 1200 or makes a duplicate) or answer
//! 500 with a 2xxx code without processing (`error`). Then behave normally again.
//!
//! Matching ignores the `/pos-self-certification-api` prefix on both sides; a fault path
//! segment written `{anything}` or `*` matches any one segment, so
//! `DELETE /pos/v10/pointofsales/{posid}` works before the PoS id is known. `after: N` lets the
//! first N matching requests through untouched (they count whether or not another fault took
//! them), so "the third poll of this payment" is `after: 2`. The kinds are also accepted
//! under the names `timeout` (= `delay`) and `status` (= `error`).
//!
//! A `delay` fault journals its request before holding the response, unless it says
//! `journalAfterHold: true`: then the entry is written only when the hold ends (or the
//! request is abandoned), which widens on purpose the window in which the request's effect is
//! visible and its entry is not, so the journal's read-after-arrival guarantee can be tested.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const SELF_CERT_PREFIX: &str = "/pos-self-certification-api";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FaultKind {
    #[serde(rename_all = "camelCase")]
    Delay {
        delay_ms: u64,
        /// Journal the request when the hold ends rather than before it starts.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        journal_after_hold: bool,
    },
    #[serde(rename_all = "camelCase")]
    Error { status: u16, code: String },
}

/// `POST /_emulator/faults` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub body_contains: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub after: Option<u32>,
    pub kind: String,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub journal_after_hold: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    pub times: u32,
    pub remaining: u32,
    /// Matching requests still to let through before the fault fires.
    pub after: u32,
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// A fault that fired on a request.
#[derive(Debug, Clone)]
pub struct Fired {
    pub id: String,
    pub kind: FaultKind,
}

#[derive(Debug, Default)]
pub struct Faults {
    pending: AtomicUsize,
    list: Mutex<Vec<Fault>>,
}

/// The path without the self-certification prefix.
pub fn normalize(path: &str) -> &str {
    match path.strip_prefix(SELF_CERT_PREFIX) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = normalize(pattern).trim_end_matches('/');
    let path = normalize(path).trim_end_matches('/');
    let (mut a, mut b) = (pattern.split('/'), path.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) => {
                let wildcard = p == "*" || (p.starts_with('{') && p.ends_with('}'));
                if !wildcard && !p.eq_ignore_ascii_case(s) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

impl FaultSpec {
    pub fn into_fault(self) -> Result<Fault, String> {
        let kind = match self.kind.as_str() {
            "delay" | "timeout" => FaultKind::Delay {
                delay_ms: self.delay_ms.ok_or("a delay fault needs delayMs")?,
                journal_after_hold: self.journal_after_hold.unwrap_or(false),
            },
            "error" | "status" if self.journal_after_hold.is_some() => {
                return Err("journalAfterHold is for delay faults only".into())
            }
            "error" | "status" => {
                let status = self.status.unwrap_or(500);
                if !(400..=599).contains(&status) {
                    return Err("status must be 400-599".into());
                }
                FaultKind::Error {
                    status,
                    code: self.code.unwrap_or_else(|| "2001".into()),
                }
            }
            other => {
                return Err(format!(
                    "unknown kind '{other}' (use delay, alias timeout, or error, alias status)"
                ))
            }
        };
        if !self.path.starts_with('/') {
            return Err("path must start with /".into());
        }
        let times = self.times.unwrap_or(1);
        if times == 0 {
            return Err("times must be at least 1".into());
        }
        Ok(Fault {
            id: uuid::Uuid::new_v4().to_string(),
            method: self.method.to_ascii_uppercase(),
            path: self.path,
            body_contains: self.body_contains,
            times,
            remaining: times,
            after: self.after.unwrap_or(0),
            kind,
        })
    }
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        list.push(fault);
        self.pending.store(list.len(), Ordering::SeqCst);
    }

    /// How many faults are pending.
    pub fn len(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn list(&self) -> Vec<Fault> {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn clear(&self) -> usize {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let n = list.len();
        list.clear();
        self.pending.store(0, Ordering::SeqCst);
        n
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let before = list.len();
        list.retain(|f| f.id != id);
        self.pending.store(list.len(), Ordering::SeqCst);
        list.len() != before
    }

    /// The first pending fault matching this request that has let its `after` requests
    /// through, consumed by one. Every matching fault still letting requests through counts
    /// this one.
    pub fn take(&self, method: &str, path: &str, body: &[u8]) -> Option<Fired> {
        if self.pending.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let mut index = None;
        for (i, f) in list.iter_mut().enumerate() {
            let matches = f.method.eq_ignore_ascii_case(method)
                && path_matches(&f.path, path)
                && f.body_contains
                    .as_deref()
                    .is_none_or(|s| String::from_utf8_lossy(body).contains(s));
            if !matches {
                continue;
            }
            if f.after > 0 {
                f.after -= 1;
            } else if index.is_none() {
                index = Some(i);
            }
        }
        let index = index?;
        let fault = &mut list[index];
        fault.remaining -= 1;
        let fired = Fired {
            id: fault.id.clone(),
            kind: fault.kind.clone(),
        };
        if fault.remaining == 0 {
            list.remove(index);
        }
        self.pending.store(list.len(), Ordering::SeqCst);
        Some(fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, kind: &str, times: u32, contains: Option<&str>) -> Fault {
        FaultSpec {
            method: "post".into(),
            path: path.into(),
            body_contains: contains.map(str::to_string),
            times: Some(times),
            after: None,
            kind: kind.into(),
            delay_ms: Some(10),
            status: None,
            code: None,
            journal_after_hold: None,
        }
        .into_fault()
        .unwrap()
    }

    #[test]
    fn fires_n_times_then_stops() {
        let f = Faults::default();
        f.add(spec("/pos/v10/pointofsales", "error", 2, None));
        assert!(f.take("POST", "/pos/v10/pointofsales", b"").is_some());
        assert!(f
            .take(
                "POST",
                "/pos-self-certification-api/pos/v10/pointofsales",
                b""
            )
            .is_some());
        assert!(f.take("POST", "/pos/v10/pointofsales", b"").is_none());
    }

    #[test]
    fn method_path_template_and_body_scoping() {
        let f = Faults::default();
        f.add(spec("/pos/v10/pointofsales/{posid}", "delay", 1, None));
        assert!(f.take("GET", "/pos/v10/pointofsales/abc", b"").is_none());
        assert!(f.take("POST", "/pos/v10/pointofsales", b"").is_none());
        assert!(f.take("POST", "/pos/v10/pointofsales/abc", b"").is_some());
        f.add(spec("/pos/v10/payments", "error", 1, Some("ORDER-7")));
        assert!(f
            .take("POST", "/pos/v10/payments", br#"{"orderId":"ORDER-1"}"#)
            .is_none());
        assert!(f
            .take("POST", "/pos/v10/payments", br#"{"orderId":"ORDER-7"}"#)
            .is_some());
        assert!(f.list().is_empty());
    }

    #[test]
    fn after_lets_the_first_matching_requests_through_and_every_match_counts() {
        let f = Faults::default();
        let mut skip_two = spec("/pos/v10/payments/{id}", "error", 1, None);
        skip_two.after = 2;
        f.add(spec("/pos/v10/payments/{id}", "timeout", 1, None));
        f.add(skip_two);
        // The first request: the first fault fires, the second counts it.
        assert!(matches!(
            f.take("POST", "/pos/v10/payments/a", b"").map(|x| x.kind),
            Some(FaultKind::Delay { .. })
        ));
        assert!(f.take("POST", "/pos/v10/payments/a", b"").is_none());
        assert!(matches!(
            f.take("POST", "/pos/v10/payments/a", b"").map(|x| x.kind),
            Some(FaultKind::Error { .. })
        ));
        assert!(f.list().is_empty());
    }

    #[test]
    fn bad_specs_are_refused() {
        let mut s = FaultSpec {
            method: "POST".into(),
            path: "/x".into(),
            body_contains: None,
            times: None,
            after: None,
            kind: "delay".into(),
            delay_ms: None,
            status: None,
            code: None,
            journal_after_hold: None,
        };
        assert!(s_into(&mut s).is_err());
        s.kind = "explode".into();
        assert!(s_into(&mut s).is_err());
    }

    fn s_into(s: &mut FaultSpec) -> Result<Fault, String> {
        FaultSpec {
            method: s.method.clone(),
            path: s.path.clone(),
            body_contains: None,
            times: s.times,
            after: None,
            kind: s.kind.clone(),
            delay_ms: s.delay_ms,
            status: s.status,
            code: s.code.clone(),
            journal_after_hold: s.journal_after_hold,
        }
        .into_fault()
    }
}
