//! Request handlers, one module per resource. Everything here is synchronous: the async
//! edge (body reading, fault delays, journaling) is in [`crate::server`], so a handler can
//! hold the store lock for its whole critical section without ever holding it across an
//! `.await`.
//!
//! [`dispatch`] applies the PoS API pipeline of notes §9.2: token → version/VAT headers →
//! (creating endpoints) idempotency key → idempotency look-up → body → business rules.

pub mod control;
pub mod payments;
pub mod pos;
pub mod refunds;
pub mod stores;
pub mod token;
pub mod usersimulation;

use crate::app::App;
use crate::callbacks::CheckInNotification;
use crate::errors::{ApiError, ErrorCode};
use crate::headers::{self, Caller};
use crate::idempotency::{fingerprint, IdemKey, Lookup, StoredResponse};
use crate::reply::Reply;
use crate::routes::{Op, Route};
use crate::state::Named;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A request marked `x-poscert-actor: judge`: poscert's own observation, which must not move
/// anything on (reserve a refund, use up a scripted `pollDelayInMs`).
pub fn is_judge(req: &Incoming<'_>) -> bool {
    req.headers
        .get("x-poscert-actor")
        .is_some_and(|v| v.as_bytes() == b"judge")
}

/// The parts of a request handlers look at.
pub struct Incoming<'a> {
    pub route: &'a Route,
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub body: &'a Bytes,
}

impl Incoming<'_> {
    pub fn id(&self) -> &str {
        self.route.id.as_deref().unwrap_or("")
    }

    /// Query parameters (percent-decoded). A parameter given twice keeps the last value.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query?;
        form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
            .last()
    }
}

/// What the server records besides the reply.
pub struct Outcome {
    pub reply: Reply,
    /// The integrator (token `client_id`, or the authenticated client of a token request).
    pub client_id: Option<String>,
    /// Replaces the request body in the journal (secrets masked).
    pub journal_body: Option<Bytes>,
    /// Replaces the response body in the journal (secrets masked).
    pub journal_response: Option<Bytes>,
    /// A check-in notification for the HTTP edge to deliver once the request is done.
    pub notify: Option<CheckInNotification>,
    /// What a user-simulation call did, for the journal (`simulation`).
    pub simulation: Option<Value>,
}

impl Outcome {
    pub fn plain(reply: Reply, client_id: Option<String>) -> Outcome {
        Outcome {
            reply,
            client_id,
            journal_body: None,
            journal_response: None,
            notify: None,
            simulation: None,
        }
    }
}

/// Media types the real (ASP.NET) backend accepted for JSON bodies (notes §1).
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence == "text/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The JSON body of a request that requires one: 415 for another media type, 400/1099 for
/// an empty or malformed body.
pub fn json_body(req: &Incoming<'_>) -> Result<Value, ApiError> {
    if req.body.is_empty() {
        return Err(ErrorCode::BadRequest.with("A non-empty request body is required"));
    }
    let ct = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_media_type(ct) {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(req.body)
        .map_err(|e| ErrorCode::BadRequest.with(format!("The request body is not valid JSON: {e}")))
}

/// Route a resolved request to its handler.
pub fn dispatch(app: &App, req: &Incoming<'_>) -> Outcome {
    match req.route.op {
        Op::Token => token::handle(app, req),
        Op::SimCheckIn | Op::SimAccept | Op::SimCancel => {
            let done = usersimulation::handle(app, req);
            Outcome {
                notify: done.notify,
                simulation: done.note,
                ..Outcome::plain(done.reply, None)
            }
        }
        _ => pos_api(app, req),
    }
}

fn pos_api(app: &App, req: &Incoming<'_>) -> Outcome {
    let flavour = req.route.op.flavour();
    let now = app.clock.now();
    let claims = match headers::authenticate(&app.tokens, req.headers, now.timestamp()) {
        Ok(c) => c,
        Err(e) => return Outcome::plain(Reply::error(&e, flavour), None),
    };
    if app.tokens.has_pos_rules() {
        let pos = named(req, &claims.client_id).and_then(|n| app.lock(now).pos_of(n));
        if let Some(Err(e)) = pos.map(|pos| app.tokens.check_pos(&claims, pos)) {
            let e = ApiError::Unauthorized(e.reason());
            return Outcome::plain(Reply::error(&e, flavour), Some(claims.client_id));
        }
    }
    let client_id = Some(claims.client_id.clone());
    let caller = match headers::caller(&app.seed, &claims, req.headers) {
        Ok(c) => c,
        Err(e) => return Outcome::plain(Reply::error(&e, flavour), client_id),
    };
    let result = if req.route.op.is_creating() {
        creating(app, &caller, req, now)
    } else {
        plain(app, &caller, req, now)
    };
    let reply = result.unwrap_or_else(|e| Reply::error(&e, flavour));
    Outcome::plain(reply, client_id)
}

/// The resource a PoS API request is about, for tokens invalidated on one PoS: the id in its
/// path, the `posId` / `paymentId` of its body or query, or its `orderId` query.
fn named<'a>(req: &'a Incoming<'_>, client_id: &'a str) -> Option<Named<'a>> {
    let guid = |s: &str| crate::validation::parse_guid(s);
    let id = || guid(req.id());
    let body_guid = |key: &str| {
        serde_json::from_slice::<Value>(req.body)
            .ok()
            .and_then(|v| v.get(key).and_then(Value::as_str).and_then(guid))
    };
    let query_guid = |key: &str| req.query_param(key).as_deref().and_then(guid);
    match req.route.op {
        Op::GetPos | Op::DeletePos | Op::GetCheckIn => id().map(Named::Pos),
        Op::InitiatePayment | Op::PreparePayment => body_guid("posId").map(Named::Pos),
        Op::GetPayment | Op::ReadyPayment | Op::CapturePayment | Op::CancelPayment => {
            id().map(Named::Payment)
        }
        Op::ListPayments => query_guid("posId").map(Named::Pos).or_else(|| {
            Some(Named::Order {
                client_id,
                order_id: req.query_param("orderId")?,
            })
        }),
        Op::CreateRefund => body_guid("paymentId").map(Named::Payment),
        Op::ListRefunds => query_guid("paymentId").map(Named::Payment),
        Op::GetRefund | Op::CaptureRefund | Op::CancelRefund => id().map(Named::Refund),
        _ => None,
    }
}

/// Non-creating operations.
fn plain(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    match req.route.op {
        Op::GetStores => stores::list(app, caller, req, false),
        Op::GetDetailedStores => stores::list(app, caller, req, true),
        Op::GetStore => stores::get(app, caller, req),
        Op::ListPos => pos::list(app, caller, req, now),
        Op::GetPos => pos::get(app, caller, req, now),
        Op::DeletePos => pos::delete(app, caller, req, now),
        Op::GetCheckIn => pos::checkin(app, caller, req, now),
        Op::ListPayments => payments::list(app, caller, req, now),
        Op::GetPayment => payments::get(app, caller, req, now),
        Op::ReadyPayment => payments::ready(app, caller, req, now),
        Op::CapturePayment => payments::capture(app, caller, req, now),
        Op::CancelPayment => payments::cancel(app, caller, req, now),
        Op::ListRefunds => refunds::list(app, caller, req, now),
        Op::GetRefund => refunds::get(app, caller, req, now),
        Op::CaptureRefund => refunds::capture(app, caller, req, now),
        Op::CancelRefund => refunds::cancel(app, caller, req, now),
        _ => Err(ApiError::NotFound),
    }
}

/// The four creating operations, behind the idempotency store: look-up, creation and
/// recording happen in one critical section of the store lock. Only successful creations are
/// recorded (see [`crate::idempotency`]).
fn creating(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let key = headers::idempotency_key(req.headers)?;
    let idem = IdemKey {
        client_id: caller.owner.client_id.clone(),
        vat: caller.vat.clone(),
        endpoint: req.route.op.endpoint(),
        key,
    };
    let fp = fingerprint(req.body);
    let mut store = app.lock(now);
    match store.idempotency.lookup(&idem, &fp) {
        Lookup::Replay(stored) => Ok(Reply {
            status: stored.status,
            body: stored.body,
            headers: Vec::new(),
        }),
        Lookup::Conflict => Err(ErrorCode::IdempotencyKeyReused.into()),
        Lookup::New => {
            let result = match req.route.op {
                Op::CreatePos => pos::create(app, &mut store, caller, req),
                Op::InitiatePayment => payments::initiate(app, &mut store, caller, req, now),
                Op::PreparePayment => payments::prepare(app, &mut store, caller, req, now),
                Op::CreateRefund => refunds::create(app, &mut store, caller, req, now),
                _ => Err(ApiError::NotFound),
            };
            let reply = result.unwrap_or_else(|e| Reply::error(&e, req.route.op.flavour()));
            // Only a creation binds the key: a request refused by a body or business rule
            // created nothing, so a retry after the client fixed the cause is processed anew.
            if reply.status.is_success() {
                store.idempotency.remember(
                    idem,
                    fp,
                    StoredResponse {
                        status: reply.status,
                        body: reply.body.clone(),
                    },
                    now,
                );
            }
            Ok(reply)
        }
    }
}

/// `200` with a body `{"<key>": [ids]}`.
pub fn ids_reply(key: &str, ids: impl IntoIterator<Item = uuid::Uuid>) -> Reply {
    let ids: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
    let mut map = serde_json::Map::new();
    map.insert(key.to_string(), Value::from(ids));
    Reply::ok_json(&Value::Object(map))
}

/// An optional GUID query parameter; present but not a GUID (empty included) is 400/1099.
pub fn guid_param(req: &Incoming<'_>, name: &str) -> Result<Option<uuid::Uuid>, ApiError> {
    match req.query_param(name) {
        None => Ok(None),
        Some(s) => crate::validation::parse_guid(&s)
            .map(Some)
            .ok_or_else(|| ErrorCode::BadRequest.with(format!("'{name}' must be a GUID"))),
    }
}

pub const OK: StatusCode = StatusCode::OK;
