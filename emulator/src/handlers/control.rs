//! The control API under `/_emulator/` (no auth, never journaled): journal, faults, clock,
//! token revocation, reset, the seed and the check-in notification URLs. It is for the engine and for people debugging a
//! client; it is not part of MobilePay's API and never appears under `/pos`.

use crate::app::App;
use crate::auth::TokenError;
use crate::callbacks::check_url;
use crate::clock::rfc3339_ms;
use crate::faults::FaultSpec;
use crate::journal::Query;
use crate::reply::Reply;
use crate::state::payment::PaymentStatus;
use crate::state::poll_delays::{DelaySet, Polled};
use crate::state::refund::RefundStatus;
use crate::validation::is_valid_text36;
use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

fn bad(message: impl Into<String>) -> Reply {
    Reply::json(StatusCode::BAD_REQUEST, &json!({ "error": message.into() }))
}

fn method_not_allowed(allow: &'static str) -> Reply {
    let mut r = Reply::json(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({ "error": "method not allowed" }),
    );
    r.headers
        .push((header::ALLOW, HeaderValue::from_static(allow)));
    r
}

fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: Option<f64>,
    #[serde(default)]
    ms: Option<f64>,
}

/// Answer one control call. Only the journal read awaits anything (the requests still in
/// flight, see [`journal`]); every other call is immediate.
pub async fn handle(
    app: &App,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Reply {
    let path = path.trim_end_matches('/');
    match (path, method) {
        ("/_emulator/journal", &Method::GET) => journal(app, query).await,
        ("/_emulator/journal", &Method::DELETE) => release(app, query).await,
        ("/_emulator/journal", _) => method_not_allowed("GET, DELETE"),
        ("/_emulator/faults", &Method::GET) => {
            Reply::ok_json(&json!({ "faults": app.faults.list() }))
        }
        ("/_emulator/faults", &Method::POST) => match serde_json::from_slice::<FaultSpec>(body) {
            Ok(spec) => match spec.into_fault() {
                Ok(fault) => {
                    let id = fault.id.clone();
                    app.faults.add(fault);
                    Reply::ok_json(&json!({ "id": id }))
                }
                Err(e) => bad(e),
            },
            Err(e) => bad(format!("invalid fault: {e}")),
        },
        ("/_emulator/faults", &Method::DELETE) => {
            Reply::ok_json(&json!({ "cleared": app.faults.clear() }))
        }
        ("/_emulator/faults", _) => method_not_allowed("GET, POST, DELETE"),
        (p, &Method::DELETE) if p.starts_with("/_emulator/faults/") => {
            if app.faults.remove(&p["/_emulator/faults/".len()..]) {
                Reply::ok_json(&json!({ "cleared": 1 }))
            } else {
                Reply::json(StatusCode::NOT_FOUND, &json!({ "error": "no such fault" }))
            }
        }
        ("/_emulator/clock", &Method::GET) => clock(app, app.clock.now()),
        ("/_emulator/clock", _) => method_not_allowed("GET"),
        ("/_emulator/clock/advance", &Method::POST) => {
            match serde_json::from_slice::<Advance>(body) {
                Ok(Advance { seconds, ms }) => {
                    let total = seconds.unwrap_or(0.0) * 1000.0 + ms.unwrap_or(0.0);
                    if !total.is_finite() || !(0.0..=1e13).contains(&total) {
                        return bad("seconds/ms must be a non-negative number");
                    }
                    let now = app.advance_clock(total.round() as i64);
                    clock(app, now)
                }
                Err(e) => bad(format!("expected {{\"seconds\": N}} or {{\"ms\": N}}: {e}")),
            }
        }
        ("/_emulator/clock/advance", _) => method_not_allowed("POST"),
        ("/_emulator/tokens/revoke", &Method::POST) => tokens(app, TokenError::Revoked, body),
        ("/_emulator/tokens/expire", &Method::POST) => tokens(app, TokenError::Expired, body),
        ("/_emulator/tokens/revoke" | "/_emulator/tokens/expire", _) => method_not_allowed("POST"),
        ("/_emulator/reset", &Method::POST) => {
            app.reset();
            Reply::ok_json(&json!({ "reset": true }))
        }
        ("/_emulator/reset", _) => method_not_allowed("POST"),
        ("/_emulator/seed", &Method::GET) => Reply::ok_json(&app.seed),
        ("/_emulator/seed", _) => method_not_allowed("GET"),
        ("/_emulator/stats", &Method::GET) => Reply::ok_json(&app.stats(app.clock.now())),
        ("/_emulator/stats", _) => method_not_allowed("GET"),
        ("/_emulator/invariants", &Method::GET) => invariants(app),
        ("/_emulator/invariants", _) => method_not_allowed("GET"),
        ("/_emulator/poll-delays", m) => poll_delays(app, m, body),
        ("/_emulator/callbacks", &Method::GET) => {
            Reply::ok_json(&json!({ "callbacks": app.callbacks.list() }))
        }
        ("/_emulator/callbacks", &Method::DELETE) => {
            Reply::ok_json(&json!({ "cleared": app.callbacks.clear() }))
        }
        ("/_emulator/callbacks", _) => method_not_allowed("GET, DELETE"),
        (p, m) if p.starts_with("/_emulator/callbacks/") => {
            callback(app, m, &p["/_emulator/callbacks/".len()..], body)
        }
        (p, m) if resource_path(p).is_some() => {
            let (kind, id, action) = resource_path(p).unwrap_or_default();
            resource(app, m, kind, id, action, body)
        }
        _ => Reply::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "unknown control endpoint", "endpoints": ["GET journal", "DELETE journal?posId=&before=", "GET|POST|DELETE faults", "DELETE faults/{id}", "GET clock", "POST clock/advance", "POST tokens/revoke", "POST tokens/expire", "POST reset", "GET seed", "GET stats", "GET invariants", "GET|DELETE callbacks", "PUT|GET|DELETE callbacks/{alias}", "POST payments/{id}/end", "POST refunds/{id}/end", "GET|PUT|DELETE poll-delays", "PUT|DELETE pointofsales/{id}/poll-delays", "PUT|DELETE payments/{id}/poll-delays", "PUT|DELETE refunds/{id}/poll-delays"] }),
        ),
    }
}

/// The optional body of `POST /_emulator/tokens/{revoke|expire}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TokenScope {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    pos_id: Option<String>,
}

/// `POST /_emulator/tokens/revoke` / `expire`: the tokens issued so far stop working (401 with
/// `Token revoked` / `Token expired`), all of them, or those of one client id, and/or only on
/// requests about one PoS. A bare revoke keeps its original answer (the epoch).
fn tokens(app: &App, reason: TokenError, body: &Bytes) -> Reply {
    let scope = if body.iter().all(u8::is_ascii_whitespace) {
        TokenScope::default()
    } else {
        match serde_json::from_slice::<TokenScope>(body) {
            Ok(s) => s,
            Err(e) => return bad(format!("expected {{\"clientId\"?, \"posId\"?}}: {e}")),
        }
    };
    let verb = if reason == TokenError::Expired {
        "expired"
    } else {
        "revoked"
    };
    if scope.client_id.is_none() && scope.pos_id.is_none() && reason == TokenError::Revoked {
        return Reply::ok_json(&json!({ "revoked": true, "epoch": app.tokens.revoke_all() }));
    }
    if let Some(c) = &scope.client_id {
        if app.seed.integrator(c).is_none() {
            return Reply::json(
                StatusCode::NOT_FOUND,
                &json!({ "error": format!("no integrator has client id '{c}'") }),
            );
        }
    }
    let pos = match scope.pos_id.as_deref() {
        None => None,
        Some(p) => {
            let known = crate::validation::parse_guid(p)
                .filter(|id| app.lock(app.clock.now()).poses.contains_key(id));
            match known {
                Some(id) => Some(id),
                None => return not_found("point of sale"),
            }
        }
    };
    let up_to = app
        .tokens
        .invalidate(scope.client_id.as_deref(), pos, reason);
    let mut answer = json!({ verb: true, "tokensUpTo": up_to });
    if let Some(c) = scope.client_id {
        answer["clientId"] = json!(c);
    }
    if let Some(p) = pos {
        answer["posId"] = json!(p.to_string());
    }
    Reply::ok_json(&answer)
}

/// `GET /_emulator/invariants`: what must hold however long the emulator runs (one active
/// payment per PoS, one resource per idempotency key and one key per resource), with the
/// offenders. Always 200: `ok` says whether they hold.
fn invariants(app: &App) -> Reply {
    let now = app.clock.now();
    let store = app.lock(now);
    let offenders = store.invariant_offenders();
    let checked = store.stats();
    drop(store);
    Reply::ok_json(&json!({
        "ok": offenders.is_empty(),
        "offenders": offenders,
        "checked": {
            "pointOfSales": checked.pos_live + checked.pos_deleted,
            "payments": checked.payments,
            "idempotencyRecords": checked.idempotency_records,
        },
    }))
}

/// `/_emulator/{payments|refunds|pointofsales}/{id}/{action}` split into its three parts.
fn resource_path(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix("/_emulator/")?;
    let mut parts = rest.splitn(3, '/');
    let kind = parts.next()?;
    if !matches!(kind, "payments" | "refunds" | "pointofsales") {
        return None;
    }
    Some((kind, parts.next()?, parts.next()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    status: String,
}

fn not_found(what: &str) -> Reply {
    Reply::json(
        StatusCode::NOT_FOUND,
        &json!({ "error": format!("no such {what}") }),
    )
}

/// Controls of one resource: its end decided by MobilePay.
fn resource(app: &App, method: &Method, kind: &str, id: &str, action: &str, body: &Bytes) -> Reply {
    match (kind, action) {
        ("payments" | "refunds", "end") if *method != Method::POST => method_not_allowed("POST"),
        ("payments", "end") => end_payment(app, id, body),
        ("refunds", "end") => end_refund(app, id, body),
        (_, "poll-delays") => resource_poll_delays(app, method, kind, id, body),
        _ => Reply::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "unknown control endpoint" }),
        ),
    }
}

/// `POST /_emulator/payments/{id}/end {"status": "CancelledByMobilePay" | "ExpiredAndCancelled"}`.
fn end_payment(app: &App, id: &str, body: &Bytes) -> Reply {
    let to = match serde_json::from_slice::<End>(body).map(|e| e.status) {
        Ok(s) if s == "CancelledByMobilePay" => PaymentStatus::CancelledByMobilePay,
        Ok(s) if s == "ExpiredAndCancelled" => PaymentStatus::ExpiredAndCancelled,
        _ => {
            return bad(
                "expected {\"status\": \"CancelledByMobilePay\"} or {\"status\": \"ExpiredAndCancelled\"}",
            )
        }
    };
    let now = app.clock.now();
    match app.lock(now).end_payment(id, to, now) {
        Ok(previous) => Reply::ok_json(&json!({
            "paymentId": id, "status": to.as_str(), "previous": previous.as_str()
        })),
        Err(None) => not_found("payment"),
        Err(Some(current)) => Reply::json(
            StatusCode::CONFLICT,
            &json!({
                "error": format!("MobilePay cannot end a payment in {} as {}", current.as_str(), to.as_str()),
                "status": current.as_str(),
                "allowedFrom": if to == PaymentStatus::ExpiredAndCancelled {
                    json!(["Reserved"])
                } else {
                    json!(["Prepared", "Paired", "Initiated", "IssuedToUser"])
                },
            }),
        ),
    }
}

/// `POST /_emulator/refunds/{id}/end {"status": "CancelledByMobilePay" | "ExpiredAndCaptured"}`.
fn end_refund(app: &App, id: &str, body: &Bytes) -> Reply {
    let to = match serde_json::from_slice::<End>(body).map(|e| e.status) {
        Ok(s) if s == "CancelledByMobilePay" => RefundStatus::CancelledByMobilePay,
        Ok(s) if s == "ExpiredAndCaptured" => RefundStatus::ExpiredAndCaptured,
        _ => {
            return bad(
                "expected {\"status\": \"CancelledByMobilePay\"} or {\"status\": \"ExpiredAndCaptured\"}",
            )
        }
    };
    let now = app.clock.now();
    match app.lock(now).end_refund(id, to, now) {
        Ok(previous) => {
            Reply::ok_json(&json!({ "refundId": id, "status": to, "previous": previous }))
        }
        Err(None) => not_found("refund"),
        Err(Some(current)) => Reply::json(
            StatusCode::CONFLICT,
            &json!({
                "error": format!("MobilePay cannot end a refund in {current:?} as {to:?}"),
                "status": current,
                "allowedFrom": if to == RefundStatus::ExpiredAndCaptured {
                    json!(["Reserved"])
                } else {
                    json!(["Initiated"])
                },
            }),
        ),
    }
}

/// The body of `PUT /_emulator/poll-delays` and `PUT /_emulator/pointofsales/{id}/poll-delays`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelaysBody {
    #[serde(default)]
    payments: Option<Vec<u64>>,
    #[serde(default)]
    checkin: Option<Vec<u64>>,
    #[serde(default)]
    refunds: Option<Vec<u64>>,
}

/// The body of `PUT /_emulator/{payments|refunds}/{id}/poll-delays`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceDelaysBody {
    delays_ms: Vec<u64>,
}

/// Longest accepted `pollDelayInMs` (10 minutes) and sequence.
const MAX_POLL_DELAY_MS: u64 = 600_000;
const MAX_SEQUENCE: usize = 1000;

fn check_sequence(d: &[u64]) -> Result<(), String> {
    if d.is_empty() || d.len() > MAX_SEQUENCE {
        return Err(format!("a sequence holds 1 to {MAX_SEQUENCE} values"));
    }
    if d.iter().any(|v| *v > MAX_POLL_DELAY_MS) {
        return Err(format!("a pollDelayInMs is at most {MAX_POLL_DELAY_MS}"));
    }
    Ok(())
}

fn delay_set(body: &Bytes) -> Result<DelaySet, String> {
    let b: DelaysBody = serde_json::from_slice(body).map_err(|e| {
        format!("expected {{\"payments\": [ms, ...], \"checkin\": [...], \"refunds\": [...]}}: {e}")
    })?;
    let set = DelaySet {
        payments: b.payments,
        checkin: b.checkin,
        refunds: b.refunds,
    };
    if Polled::ALL.iter().all(|p| set.get(*p).is_none()) {
        return Err("give at least one of payments, checkin, refunds".into());
    }
    for p in Polled::ALL {
        if let Some(d) = set.get(p) {
            check_sequence(d).map_err(|e| format!("{}: {e}", p.key()))?;
        }
    }
    Ok(set)
}

/// `GET|PUT|DELETE /_emulator/poll-delays`: the emulator-wide sequences, and every rule.
fn poll_delays(app: &App, method: &Method, body: &Bytes) -> Reply {
    let now = app.clock.now();
    match *method {
        Method::GET => Reply::ok_json(&app.lock(now).poll_delays.describe()),
        Method::PUT => match delay_set(body) {
            Ok(set) => {
                let mut store = app.lock(now);
                store.poll_delays.set_global(&set);
                Reply::ok_json(&store.poll_delays.describe())
            }
            Err(e) => bad(e),
        },
        Method::DELETE => Reply::ok_json(&json!({ "cleared": app.lock(now).poll_delays.clear() })),
        _ => method_not_allowed("GET, PUT, DELETE"),
    }
}

/// `PUT|DELETE /_emulator/{pointofsales|payments|refunds}/{id}/poll-delays`.
fn resource_poll_delays(app: &App, method: &Method, kind: &str, id: &str, body: &Bytes) -> Reply {
    let what = match kind {
        "pointofsales" => "point of sale",
        "payments" => "payment",
        _ => "refund",
    };
    let Some(id) = crate::validation::parse_guid(id) else {
        return not_found(what);
    };
    let now = app.clock.now();
    match *method {
        Method::PUT => {
            let mut store = app.lock(now);
            let exists = match kind {
                "pointofsales" => store.poses.contains_key(&id),
                "payments" => store.payments.contains_key(&id),
                _ => store.refunds.contains_key(&id),
            };
            if !exists {
                return not_found(what);
            }
            if kind == "pointofsales" {
                match delay_set(body) {
                    Ok(set) => {
                        store.poll_delays.set_pos(id, &set);
                        Reply::ok_json(&json!({ "posId": id.to_string(), "pollDelays": set }))
                    }
                    Err(e) => bad(e),
                }
            } else {
                let parsed = serde_json::from_slice::<ResourceDelaysBody>(body)
                    .map_err(|e| format!("expected {{\"delaysMs\": [ms, ...]}}: {e}"))
                    .and_then(|b| check_sequence(&b.delays_ms).map(|()| b.delays_ms));
                match parsed {
                    Ok(delays) => {
                        store.poll_delays.set_resource(id, delays.clone());
                        Reply::ok_json(&json!({ "id": id.to_string(), "delaysMs": delays }))
                    }
                    Err(e) => bad(e),
                }
            }
        }
        Method::DELETE => {
            let mut store = app.lock(now);
            let removed = if kind == "pointofsales" {
                store.poll_delays.clear_pos(id)
            } else {
                store.poll_delays.clear_resource(id)
            };
            Reply::ok_json(&json!({ "removed": removed }))
        }
        _ => method_not_allowed("PUT, DELETE"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackUrl {
    url: String,
}

/// `PUT|GET|DELETE /_emulator/callbacks/{alias}`: MobilePay's whitelisting of a check-in
/// notification URL under a callback alias (notes §8.5).
fn callback(app: &App, method: &Method, alias: &str, body: &Bytes) -> Reply {
    let alias = percent_decode(alias);
    if !is_valid_text36(&alias) {
        return bad("the alias must be 1-36 valid characters, as callbackAlias");
    }
    let not_found = || {
        Reply::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no URL is registered for this alias" }),
        )
    };
    match *method {
        Method::PUT => match serde_json::from_slice::<CallbackUrl>(body) {
            Ok(CallbackUrl { url }) => match check_url(&url) {
                Ok(()) => {
                    let replaced = app.callbacks.set(&alias, &url);
                    Reply::ok_json(&json!({ "alias": alias, "url": url, "replaced": replaced }))
                }
                Err(e) => bad(e),
            },
            Err(e) => bad(format!("expected {{\"url\": \"http://...\"}}: {e}")),
        },
        Method::GET => match app.callbacks.get(&alias) {
            Some(url) => Reply::ok_json(&json!({ "alias": alias, "url": url })),
            None => not_found(),
        },
        Method::DELETE => {
            if app.callbacks.remove(&alias) {
                Reply::ok_json(&json!({ "removed": true }))
            } else {
                not_found()
            }
        }
        _ => method_not_allowed("PUT, GET, DELETE"),
    }
}

/// `%XX` escapes of a path segment decoded (an alias may hold spaces and symbols).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn clock(app: &App, now: DateTime<Utc>) -> Reply {
    Reply::ok_json(&json!({ "now": rfc3339_ms(now), "offsetMs": app.clock.offset_ms() }))
}

/// `DELETE /_emulator/journal?posId=ID&before=SEQ` (either or both): the end of a case (the
/// engine calls it after the case's `finally`). `posId` drops the journal entries that name the
/// PoS, its payments, their refunds or its beacon, then, if the PoS is deleted, forgets it and
/// what only it could reach ([`crate::state::Store::release_pos`]); `before` drops every entry
/// numbered below SEQ (those that name no PoS, such as token requests, stay otherwise). Waits
/// like a read first, so a request of the case still in flight is journaled, then dropped. The
/// answer's `nextSeq` is the number the next request will get.
async fn release(app: &App, query: Option<&str>) -> Reply {
    let pos = match param(query, "posId").map(|p| crate::validation::parse_guid(&p)) {
        None => None,
        Some(Some(pos)) => Some(pos),
        Some(None) => return bad("posId must be a GUID"),
    };
    let before = match param(query, "before").map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return bad("before must be a sequence number"),
    };
    if pos.is_none() && before.is_none() {
        return bad("posId (a GUID) and/or before (a sequence number) is required");
    }
    let wait = std::time::Duration::from_millis(app.config.journal_read_wait_ms);
    app.journal.settle(wait).await;
    let mut removed = before.map_or(0, |seq| app.journal.remove_before(seq));
    let mut released = false;
    if let Some(pos) = pos {
        let mut store = app.lock(app.clock.now());
        let mut ids = store.ids_of_pos(pos);
        if ids.is_empty() {
            ids.push(pos.to_string());
        }
        removed += app.journal.remove_mentioning(&ids);
        released = store.release_pos(pos);
    }
    let next = app.journal.next_number();
    Reply::ok_json(&json!({ "removed": removed, "released": released, "nextSeq": next }))
}

/// Header of a journal read that ended its wait with requests still in flight: how many.
pub const IN_FLIGHT_HEADER: &str = "x-poscert-journal-in-flight";

/// `GET /_emulator/journal`. It first waits (at most `journal_read_wait_ms`, no lock held)
/// until every request that arrived before it has been journaled, so a judge that saw a
/// request's effect finds the request. `complete` says whether that happened; if not,
/// `inFlight` lists the numbers (`seq`) of the requests still missing and the answer carries
/// [`IN_FLIGHT_HEADER`].
async fn journal(app: &App, query: Option<&str>) -> Reply {
    let since = match param(query, "since").map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return bad("since must be a sequence number"),
    };
    let since_time = match param(query, "sinceTime").map(|s| DateTime::parse_from_rfc3339(&s)) {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&Utc)),
        Some(Err(_)) => return bad("sinceTime must be RFC 3339"),
    };
    let limit = match param(query, "limit").map(|s| s.parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return bad("limit must be a number"),
    };
    let q = Query {
        method: param(query, "method"),
        path: param(query, "path"),
        path_prefix: param(query, "pathPrefix"),
        since,
        since_time,
        limit,
    };
    let wait = std::time::Duration::from_millis(app.config.journal_read_wait_ms);
    // Settle first, then read: a request counted as journaled is then in the entries read.
    let settled = app.journal.settle(wait).await;
    let entries: Vec<Value> = app.journal.query(&q).iter().map(|e| e.to_json()).collect();
    let complete = settled.in_flight.is_empty();
    let mut answer = json!({ "entries": entries, "complete": complete });
    if complete {
        return Reply::ok_json(&answer);
    }
    answer["inFlight"] = json!(settled.in_flight);
    let mut reply = Reply::ok_json(&answer);
    reply.headers.push((
        header::HeaderName::from_static(IN_FLIGHT_HEADER),
        HeaderValue::from(settled.in_flight.len()),
    ));
    reply
}
