//! The request journal: what every client sent and got, for the engine to judge
//! (did it reuse its idempotency key on retry, respect `pollDelayInMs`, send the version
//! header…).
//!
//! A bounded ring (oldest entries dropped) of cheap records: bodies are kept as the bytes
//! already in hand and turned into JSON only when the journal is read, so recording costs a
//! few allocations per request. Secrets never enter it: `Authorization` is kept as
//! `Bearer ***` / `Basic ***`, `x-ibm-client-secret` is not kept at all, a token request's
//! `client_secret` form field and a token response's `access_token` are replaced by `***`
//! before recording. The control API's own calls are not journaled.
//!
//! A request is numbered when it arrives ([`Journal::arrive`]) and journaled later, once it
//! has been handled (or, under a `journalAfterHold` delay fault, once its response has been
//! held). [`Journal::settle`] lets a reader wait until every request numbered before it has
//! been journaled, so a judge that saw a request's effect (a payment `Captured`) and then reads
//! the journal always finds the request. The wait is bounded; an [`Arrival`] that is dropped
//! (the client went away, the server shut down, a handler panicked) journals what it holds or
//! releases its number, so no reader waits for it forever.

use crate::clock::rfc3339_ms;
use axum::body::Bytes;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Headers worth recording (lower case), in output order. `authorization` is redacted.
/// `x-poscert-actor` is poscert's own marker (`client` or `judge`): the engine's judgements
/// skip its own checking requests.
pub const RECORDED_HEADERS: [&str; 8] = [
    "x-poscert-actor",
    "x-mobilepay-client-system-version",
    "x-mobilepay-merchant-vat-number",
    "x-mobilepay-idempotency-key",
    "content-type",
    "x-ibm-client-id",
    "correlationid",
    "authorization",
];

#[derive(Debug)]
pub struct Entry {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    pub status: u16,
    pub response_body: Option<Bytes>,
    pub duration_ms: f64,
    pub client_id: Option<String>,
    pub fault: Option<String>,
    /// Properties of the JSON body the spec does not define (`"foo"`, `"restrictions.bar"`).
    pub unknown_fields: Vec<String>,
    /// Set on the emulator's own outgoing calls (check-in notifications), not on requests.
    pub delivery: Option<Delivery>,
    /// What a user-simulation call did (an accept's card and outcome).
    pub simulation: Option<Value>,
}

/// One attempt of the emulator to call an integrator back (`x-poscert-actor: emulator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why there was no answer (status 0): timeout, connection refused…
    pub error: Option<String>,
}

/// Selected request headers with the credential of `authorization` masked.
pub fn recorded_headers(headers: &HeaderMap) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for name in RECORDED_HEADERS {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
                if name == "authorization" {
                    match text.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} ***"),
                        None => "***".to_string(),
                    }
                } else {
                    text
                }
            })
            .collect();
        if !values.is_empty() {
            out.push((name, values.join(", ")));
        }
    }
    out
}

/// A form body with `client_secret` (and `client_assertion`) masked.
pub fn redact_form(body: &[u8]) -> Bytes {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(body) {
        if k == "client_secret" || k == "client_assertion" {
            out.append_pair(&k, "***");
        } else {
            out.append_pair(&k, &v);
        }
    }
    Bytes::from(out.finish())
}

/// A token response with `access_token` masked.
pub fn redact_token_response(body: &Bytes) -> Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) => {
            if map.contains_key("access_token") {
                map.insert("access_token".into(), Value::String("***".into()));
            }
            Bytes::from(serde_json::to_vec(&Value::Object(map)).unwrap_or_default())
        }
        _ => body.clone(),
    }
}

/// Filters of `GET /_emulator/journal`.
#[derive(Debug, Default)]
pub struct Query {
    pub method: Option<String>,
    pub path: Option<String>,
    pub path_prefix: Option<String>,
    pub since: Option<u64>,
    pub since_time: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

/// The ring's entries and the bytes they hold ([`Entry::approx_bytes`]), kept in step by
/// every change, so the ring can be bounded by both (`journal_capacity`, `journal_max_bytes`).
#[derive(Default)]
struct Ring {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
}

impl Ring {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn iter(&self) -> std::collections::vec_deque::Iter<'_, Arc<Entry>> {
        self.entries.iter()
    }

    fn pop_front(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.bytes = self.bytes.saturating_sub(e.approx_bytes());
        }
    }

    fn insert(&mut self, index: usize, entry: Arc<Entry>) {
        self.bytes += entry.approx_bytes();
        self.entries.insert(index, entry);
    }

    fn retain(&mut self, mut keep: impl FnMut(&Arc<Entry>) -> bool) {
        let mut freed = 0;
        self.entries.retain(|e| {
            let k = keep(e);
            if !k {
                freed += e.approx_bytes();
            }
            k
        });
        self.bytes = self.bytes.saturating_sub(freed);
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    /// Drops the entries numbered below `seq`; returns how many. The ring is sorted by seq
    /// ([`Journal::record`]), so they are all at its front.
    fn remove_numbered_below(&mut self, seq: u64) -> usize {
        let old = self.entries.partition_point(|e| e.seq < seq);
        for _ in 0..old {
            self.pop_front();
        }
        old
    }
}

pub struct Journal {
    capacity: usize,
    max_bytes: usize,
    seq: AtomicU64,
    entries: Mutex<Ring>,
    /// Requests numbered on arrival and not journaled (or released) yet. A request's number is
    /// taken and put here under this lock, so a reader that reads the counter under it knows
    /// every arrived request up to that number is either journaled or listed here.
    in_flight: Mutex<BTreeSet<u64>>,
    /// Woken whenever a number leaves `in_flight`.
    released: Notify,
}

/// What [`Journal::settle`] found: the last number handed out when the read arrived, and
/// the requests up to it still not journaled when the wait ended (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub up_to: u64,
    pub in_flight: Vec<u64>,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal::with_max_bytes(capacity, usize::MAX)
    }

    /// A ring of at most `capacity` entries holding at most `max_bytes` (estimated; an entry
    /// larger than that on its own is still kept, alone).
    pub fn with_max_bytes(capacity: usize, max_bytes: usize) -> Journal {
        Journal {
            capacity: capacity.max(1),
            max_bytes,
            seq: AtomicU64::new(0),
            entries: Mutex::new(Ring::default()),
            in_flight: Mutex::new(BTreeSet::new()),
            released: Notify::new(),
        }
    }

    /// A number for an entry no reader waits for (the emulator's own outgoing calls).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Number a request that has just arrived and track it until it is journaled: readers
    /// that [`settle`](Journal::settle) after this wait for it.
    pub fn arrive(&self) -> Arrival<'_> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let seq = self.next_seq();
        in_flight.insert(seq);
        Arrival {
            journal: self,
            seq,
            open: true,
            held: None,
        }
    }

    fn release(&self, seq: u64) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&seq);
        self.released.notify_waiters();
    }

    fn in_flight_up_to(&self, up_to: u64) -> Vec<u64> {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .range(..=up_to)
            .copied()
            .collect()
    }

    /// Wait, at most `within`, until every request that arrived before this call has been
    /// journaled (or released). Never spins and holds no lock while waiting. Query the
    /// entries after this returns: an arrived request up to `up_to` is then either among them
    /// or listed in `in_flight`.
    pub async fn settle(&self, within: Duration) -> Settled {
        let up_to = {
            let _in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            self.seq.load(Ordering::SeqCst)
        };
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before looking, so a release between the look and the wait wakes us.
            released.as_mut().enable();
            if self.in_flight_up_to(up_to).is_empty() {
                return Settled {
                    up_to,
                    in_flight: Vec::new(),
                };
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return Settled {
                    up_to,
                    in_flight: self.in_flight_up_to(up_to),
                };
            }
        }
    }

    pub fn record(&self, mut entry: Entry) {
        // A request body read off the connection may be a slice of the connection's read
        // buffer (8 KB or more), which the entry would keep alive for as long as it stays in
        // the ring: a copy of its own keeps only the body (measured by bench/soak.sh: ~3.5 KB
        // of RSS per entry before, for bodies of a few hundred bytes).
        entry.body = Bytes::copy_from_slice(&entry.body);
        if let Some(b) = entry.response_body.as_mut() {
            *b = Bytes::copy_from_slice(b);
        }
        let entry = Arc::new(entry);
        let size = entry.approx_bytes();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        while entries.len() > 0
            && (entries.len() >= self.capacity
                || entries.bytes.saturating_add(size) > self.max_bytes)
        {
            entries.pop_front();
        }
        // Keep the ring sorted by seq even when two requests finish out of order.
        let pos = entries
            .iter()
            .rposition(|e| e.seq < entry.seq)
            .map_or(0, |i| i + 1);
        entries.insert(pos, entry);
    }

    /// Drops every entry that names one of `ids` (lower case) in its path, query, body or
    /// response body; returns how many. See `DELETE /_emulator/journal?posId=` (emulator/README.md).
    pub fn remove_mentioning(&self, ids: &[String]) -> usize {
        if ids.is_empty() {
            return 0;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|e| !e.mentions(ids));
        before - entries.len()
    }

    /// Drops every entry numbered below `seq`; returns how many. See
    /// `DELETE /_emulator/journal?before=` (emulator/README.md).
    pub fn remove_before(&self, seq: u64) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove_numbered_below(seq)
    }

    /// The number the next request will get: every request numbered below it has arrived.
    pub fn next_number(&self) -> u64 {
        self.seq.load(Ordering::SeqCst) + 1
    }

    /// How many entries the ring holds.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the entries hold, estimated ([`Entry::approx_bytes`]).
    pub fn bytes(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }

    /// How many arrived requests are not journaled yet.
    pub fn in_flight_len(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn query(&self, q: &Query) -> Vec<Arc<Entry>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let matched = entries.iter().filter(|e| {
            q.method
                .as_deref()
                .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
                && q.path.as_deref().is_none_or(|p| e.path == p)
                && q.path_prefix
                    .as_deref()
                    .is_none_or(|p| e.path.starts_with(p))
                && q.since.is_none_or(|s| e.seq > s)
                && q.since_time.is_none_or(|t| e.time >= t)
        });
        let mut out: Vec<Arc<Entry>> = matched.cloned().collect();
        if let Some(limit) = q.limit {
            let skip = out.len().saturating_sub(limit);
            out.drain(..skip);
        }
        out
    }
}

/// A request between its arrival and its journal entry (see [`Journal::arrive`]).
///
/// [`record`](Arrival::record) journals the entry at once; [`hold`](Arrival::hold) keeps it to
/// be journaled when the `Arrival` is dropped, with `durationMs` measured then. Dropped in any
/// other way (the request's task was cancelled, or panicked), it releases its number, so a
/// reader never waits for it beyond that.
pub struct Arrival<'a> {
    journal: &'a Journal,
    seq: u64,
    open: bool,
    held: Option<(Entry, Instant)>,
}

impl Arrival<'_> {
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Journal `entry` now.
    pub fn record(&mut self, entry: Entry) {
        self.held = None;
        if self.open {
            self.journal.record(entry);
            self.close();
        }
    }

    /// Journal `entry` when this is dropped, with `duration_ms` the time since `started`.
    pub fn hold(&mut self, entry: Entry, started: Instant) {
        if self.open {
            self.held = Some((entry, started));
        }
    }

    fn close(&mut self) {
        if self.open {
            self.open = false;
            self.journal.release(self.seq);
        }
    }
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        if let Some((mut entry, started)) = self.held.take() {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            self.journal.record(entry);
        }
        self.close();
    }
}

fn body_json(body: &[u8], form: bool) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    if !form {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            return v;
        }
    }
    Value::String(String::from_utf8_lossy(body).into_owned())
}

impl Entry {
    /// Roughly what the entry costs in memory: the struct, its strings and bodies, and a
    /// 16-byte allocator overhead per allocation. An estimate (the allocator's real cost is
    /// larger, see the README), used to bound the ring by bytes as well as by count.
    pub fn approx_bytes(&self) -> usize {
        const ALLOC: usize = 16;
        let text = |s: &str| if s.is_empty() { 0 } else { s.len() + ALLOC };
        std::mem::size_of::<Entry>()
            + ALLOC * 2 // the Arc
            + text(&self.method)
            + text(&self.path)
            + self.query.as_deref().map_or(0, text)
            + self.headers.len() * (std::mem::size_of::<(&str, String)>())
            + self.headers.iter().map(|(_, v)| text(v)).sum::<usize>()
            + self.body.len()
            + self.response_body.as_ref().map_or(0, |b| b.len() + ALLOC)
            + self.client_id.as_deref().map_or(0, text)
            + self.fault.as_deref().map_or(0, text)
            + self
                .unknown_fields
                .iter()
                .map(|f| std::mem::size_of::<String>() + text(f))
                .sum::<usize>()
            + self.delivery.as_ref().map_or(0, |d| {
                std::mem::size_of::<Delivery>() + text(&d.url) + d.error.as_deref().map_or(0, text)
            })
            + self.simulation.as_ref().map_or(0, |v| 64 + v.to_string().len())
    }

    /// Whether one of `ids` (lower case) is in this entry's path, query, body or response body.
    fn mentions(&self, ids: &[String]) -> bool {
        let has = |text: &[u8]| {
            let lower = text.to_ascii_lowercase();
            ids.iter()
                .any(|id| lower.windows(id.len()).any(|w| w == id.as_bytes()))
        };
        has(self.path.as_bytes())
            || self.query.as_deref().is_some_and(|q| has(q.as_bytes()))
            || has(&self.body)
            || self.response_body.as_deref().is_some_and(has)
    }

    pub fn to_json(&self) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::String(v.clone())))
            .collect();
        let form = self
            .headers
            .iter()
            .any(|(k, v)| *k == "content-type" && v.contains("x-www-form-urlencoded"));
        let mut out = json!({
            "seq": self.seq,
            "time": rfc3339_ms(self.time),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": body_json(&self.body, form),
            "status": self.status,
            "responseBody": self.response_body.as_ref().map_or(Value::Null, |b| body_json(b, false)),
            "durationMs": self.duration_ms,
            "clientId": self.client_id,
            "fault": self.fault,
        });
        if !self.unknown_fields.is_empty() {
            out["unknownFields"] = json!(self.unknown_fields);
        }
        if let Some(n) = &self.simulation {
            out["simulation"] = n.clone();
        }
        if let Some(d) = &self.delivery {
            out["delivery"] = json!({
                "url": d.url,
                "attempt": d.attempt,
                "maxAttempts": d.max_attempts,
                "error": d.error,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn entry(j: &Journal, method: &str, path: &str) -> Entry {
        Entry {
            seq: j.next_seq(),
            time: Utc::now(),
            method: method.into(),
            path: path.into(),
            query: None,
            headers: vec![],
            body: Bytes::new(),
            status: 200,
            response_body: None,
            duration_ms: 0.1,
            client_id: None,
            fault: None,
            unknown_fields: Vec::new(),
            delivery: None,
            simulation: None,
        }
    }

    #[test]
    fn entries_naming_an_id_are_removed_and_no_others() {
        let j = Journal::new(10);
        j.record(entry(&j, "GET", "/pos/v10/pointofsales/AAAA-1"));
        j.record(entry(&j, "GET", "/pos/v10/payments/bbbb-2"));
        j.record(entry(&j, "GET", "/pos/v10/stores"));
        assert_eq!(j.remove_mentioning(&["aaaa-1".into(), "bbbb-2".into()]), 2);
        assert_eq!(j.len(), 1);
        assert_eq!(j.remove_mentioning(&[]), 0);
    }

    #[test]
    fn ring_is_bounded_by_bytes_and_keeps_its_count_in_step() {
        let one = entry(&Journal::new(1), "GET", "/a").approx_bytes();
        let j = Journal::with_max_bytes(100, one * 3);
        for p in ["/a", "/b", "/c", "/d", "/e"] {
            j.record(entry(&j, "GET", p));
        }
        assert_eq!(j.len(), 3);
        assert!(j.bytes() <= one * 3);
        j.remove_mentioning(&["/d".to_string()]);
        assert_eq!(j.len(), 2);
        assert_eq!(j.bytes(), one * 2);
        j.clear();
        assert_eq!(j.bytes(), 0);
    }

    #[test]
    fn entries_numbered_below_a_mark_are_removed_and_no_others() {
        let j = Journal::new(10);
        for p in [
            "/token",
            "/pos/v10/stores",
            "/pos/v10/pointofsales/x",
            "/token",
        ] {
            j.record(entry(&j, "GET", p));
        }
        assert_eq!(j.next_number(), 5);
        assert_eq!(j.remove_before(3), 2);
        let left: Vec<u64> = j.query(&Query::default()).iter().map(|e| e.seq).collect();
        assert_eq!(left, [3, 4]);
        assert_eq!(j.remove_before(3), 0);
        assert_eq!(j.remove_before(99), 2);
        assert!(j.is_empty());
    }

    #[test]
    fn ring_drops_oldest_and_filters() {
        let j = Journal::new(3);
        for p in ["/a", "/b", "/pos/v10/payments", "/pos/v10/payments/x"] {
            j.record(entry(&j, "GET", p));
        }
        let all = j.query(&Query::default());
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3, 4]);
        let q = Query {
            path_prefix: Some("/pos/v10/payments".into()),
            ..Default::default()
        };
        assert_eq!(j.query(&q).len(), 2);
        let q = Query {
            path: Some("/pos/v10/payments".into()),
            ..Default::default()
        };
        assert_eq!(j.query(&q).len(), 1);
        let q = Query {
            since: Some(3),
            ..Default::default()
        };
        assert_eq!(j.query(&q).len(), 1);
        let q = Query {
            method: Some("post".into()),
            ..Default::default()
        };
        assert!(j.query(&q).is_empty());
    }

    fn timed(j: &Journal, seq: u64) -> Entry {
        Entry {
            seq,
            ..entry(j, "POST", "/x")
        }
    }

    #[tokio::test]
    async fn a_read_waits_for_requests_that_arrived_before_it_only() {
        let j = Arc::new(Journal::new(10));
        let mut first = j.arrive();
        let seq = first.seq();
        let reader = {
            let j = j.clone();
            tokio::spawn(async move {
                let settled = j.settle(Duration::from_secs(10)).await;
                (settled, j.query(&Query::default()).len())
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !reader.is_finished(),
            "the read must wait for request {seq}"
        );
        // A request arriving after the read is not waited for.
        let _later = j.arrive();
        let entry = timed(&j, seq);
        first.record(entry);
        let (settled, seen) = reader.await.unwrap();
        assert_eq!(settled.in_flight, Vec::<u64>::new());
        assert_eq!(settled.up_to, seq);
        assert_eq!(seen, 1);
    }

    #[tokio::test]
    async fn a_read_gives_up_after_the_bound_and_names_what_is_missing() {
        let j = Journal::new(10);
        let pending = j.arrive();
        let t0 = Instant::now();
        let settled = j.settle(Duration::from_millis(100)).await;
        assert!(t0.elapsed() >= Duration::from_millis(100));
        assert_eq!(settled.in_flight, vec![pending.seq()]);
    }

    #[tokio::test]
    async fn a_dropped_arrival_journals_what_it_holds_or_releases_its_number() {
        let j = Journal::new(10);
        let mut held = j.arrive();
        let seq = held.seq();
        held.hold(timed(&j, seq), Instant::now());
        let bare = j.arrive();
        drop(held);
        drop(bare);
        let settled = j.settle(Duration::from_millis(10)).await;
        assert!(settled.in_flight.is_empty());
        let entries = j.query(&Query::default());
        assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![seq]);
    }

    #[test]
    fn secrets_are_masked() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_static("Bearer abc.def.ghi"),
        );
        h.insert("x-ibm-client-secret", HeaderValue::from_static("topsecret"));
        h.insert(
            "x-mobilepay-idempotency-key",
            HeaderValue::from_static("k1"),
        );
        let rec = recorded_headers(&h);
        assert!(rec.contains(&("authorization", "Bearer ***".to_string())));
        assert!(rec
            .iter()
            .all(|(_, v)| !v.contains("topsecret") && !v.contains("abc.def")));
        let form = redact_form(
            b"grant_type=client_credentials&client_secret=s3cr3t&merchant_vat=DK90000028",
        );
        assert!(!String::from_utf8_lossy(&form).contains("s3cr3t"));
        let resp = redact_token_response(&Bytes::from_static(
            br#"{"access_token":"abc","expires_in":3700}"#,
        ));
        assert_eq!(
            serde_json::from_slice::<Value>(&resp).unwrap()["access_token"],
            "***"
        );
    }
}
