//! Refunds (notes §4.4): create (idempotent), the polling `GET` (which reserves an
//! `Initiated` refund, see [`crate::state::refund`]), the list, capture and cancel.
//! Errors here are `ErrorResponseV2` (`"origin":"PoS"`), chosen by the route.

use super::payments::CURRENCIES;
use super::{guid_param, ids_reply, is_judge, json_body, Incoming};
use crate::app::App;
use crate::errors::{ApiError, ErrorCode};
use crate::headers::Caller;
use crate::reply::Reply;
use crate::state::Store;
use crate::validation::{minor_to_json, Body};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// `POST /refunds` (inside the idempotency section).
pub fn create(
    app: &App,
    store: &mut Store,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let value = json_body(req)?;
    let body = Body::object(
        &value,
        req.route.op.body_fields(),
        app.config.reject_unknown_fields,
    )?;
    let payment_id = body.guid("paymentId")?;
    let refund_order_id = body.text36("refundOrderId", ErrorCode::InvalidRefundOrderId)?;
    let amount = body.amount("amount")?;
    let currency = body.enum_str("currencyCode", &CURRENCIES)?;
    let id = store.create_refund(
        &app.config,
        &caller.owner,
        payment_id,
        refund_order_id.to_string(),
        amount,
        currency,
        now,
    )?;
    Ok(Reply::ok_json(&json!({ "refundId": id.to_string() })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetRefundResponse {
    refund_id: String,
    payment_id: String,
    refund_order_id: String,
    amount: f64,
    currency_code: &'static str,
    status: crate::state::refund::RefundStatus,
    poll_delay_in_ms: u64,
}

/// `GET /refunds/{id}`.
pub fn get(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    // poscert's judge only observes: its polls must not be what reserves the refund, or a client
    // that never polls would pass in adapter mode (the journal records this header too).
    let judge = is_judge(req);
    let (r, reported) = if judge {
        let r = store.peek_refund(&caller.owner, req.id())?;
        let status = r.status;
        (r, status)
    } else {
        store.observe_refund(&app.config, &caller.owner, req.id(), now)?
    };
    let poll_delay_in_ms = store.refund_poll_delay(r.id, !judge, app.config.refund_poll_delay_ms);
    Ok(Reply::ok_json(&GetRefundResponse {
        refund_id: r.id.to_string(),
        payment_id: r.payment_id.to_string(),
        refund_order_id: r.refund_order_id,
        amount: minor_to_json(r.amount),
        currency_code: r.currency,
        status: reported,
        poll_delay_in_ms,
    }))
}

/// `GET /refunds?paymentId=`: without `paymentId` it is 1110 [inferred].
pub fn list(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let payment_id = guid_param(req, "paymentId")?.ok_or(ErrorCode::RefundFilterNotSpecific)?;
    let store = app.lock(now);
    Ok(ids_reply(
        "refundIds",
        store.list_refunds(&caller.owner, payment_id),
    ))
}

/// `POST /refunds/{id}/capture` (no body; 404 here carries code 1004).
pub fn capture(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    store.capture_refund(&caller.owner, req.id(), now)?;
    Ok(Reply::ok())
}

/// `POST /refunds/{id}/cancel` (no body).
pub fn cancel(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    store.cancel_refund(&caller.owner, req.id(), now)?;
    Ok(Reply::ok())
}
