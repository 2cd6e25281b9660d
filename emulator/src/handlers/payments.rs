//! Payments (notes §4.3): initiate and prepare (idempotent), ready, the polling `GET`, the
//! list, capture and cancel. The rules live in [`crate::state::payment`]; this module turns
//! JSON into validated values and states into `QueryPaymentResponse`.

use super::{guid_param, ids_reply, is_judge, json_body, Incoming};
use crate::app::App;
use crate::clock::rfc3339_ms;
use crate::errors::{ApiError, ErrorCode};
use crate::headers::Caller;
use crate::reply::Reply;
use crate::state::payment::{Payment, PaymentDetails, PaymentStatus};
use crate::state::Store;
use crate::validation::{minor_to_json, restrictions, Body, Restrictions};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

pub const CURRENCIES: [&str; 2] = ["DKK", "EUR"];
const CAPTURE_DELAYS: [&str; 3] = ["None", "LessThan24Hours", "LessThan14Days"];

/// amount, currencyCode, restrictions, merchantPaymentLabel, plannedCaptureDelay.
fn details(body: &Body<'_>, strict: bool) -> Result<PaymentDetails, ApiError> {
    let amount = body.amount("amount")?;
    let currency = body.enum_str("currencyCode", &CURRENCIES)?;
    let restrictions = restrictions(body, strict)?;
    let label = body.opt_text36(
        "merchantPaymentLabel",
        ErrorCode::InvalidMerchantPaymentLabel,
    )?;
    let planned_capture_delay = body.enum_str("plannedCaptureDelay", &CAPTURE_DELAYS)?;
    Ok(PaymentDetails {
        amount,
        currency,
        restrictions,
        label: label.map(str::to_string),
        planned_capture_delay,
    })
}

/// `POST /payments` (inside the idempotency section).
pub fn initiate(
    app: &App,
    store: &mut Store,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let value = json_body(req)?;
    let strict = app.config.reject_unknown_fields;
    let body = Body::object(&value, req.route.op.body_fields(), strict)?;
    let pos_id = body.guid("posId")?;
    let order_id = body.text36("orderId", ErrorCode::InvalidOrderId)?;
    let details = details(&body, strict)?;
    let id = store.initiate(
        &app.seed,
        &app.config,
        &caller.owner,
        pos_id,
        order_id.to_string(),
        details,
        now,
    )?;
    Ok(Reply::ok_json(&json!({ "paymentId": id.to_string() })))
}

/// `POST /payments/prepare` (inside the idempotency section).
pub fn prepare(
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
    let pos_id = body.guid("posId")?;
    let order_id = body.text36("orderId", ErrorCode::InvalidOrderId)?;
    let id = store.prepare(
        &app.seed,
        &app.config,
        &caller.owner,
        pos_id,
        order_id.to_string(),
        now,
    )?;
    Ok(Reply::ok_json(&json!({ "paymentId": id.to_string() })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryPaymentResponse<'a> {
    payment_id: String,
    pos_id: String,
    order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restrictions: Option<Restrictions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_payment_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    planned_capture_delay: Option<&'static str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_receipt_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loyalty_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_capture_possible: Option<bool>,
    poll_delay_in_ms: u64,
}

fn render(p: &Payment, app: &App, poll_delay_in_ms: u64) -> Reply {
    let d = p.details.as_ref();
    let user = p.user.and_then(|u| app.seed.test_users.get(u));
    Reply::ok_json(&QueryPaymentResponse {
        payment_id: p.id.to_string(),
        pos_id: p.pos_id.to_string(),
        order_id: &p.order_id,
        amount: d.map(|d| minor_to_json(d.amount)),
        currency_code: d.map(|d| d.currency),
        restrictions: d.and_then(|d| d.restrictions),
        merchant_payment_label: d.and_then(|d| d.label.as_deref()),
        planned_capture_delay: d.map(|d| d.planned_capture_delay),
        status: p.status.as_str(),
        customer_token: user.map(|u| u.customer_token()),
        customer_receipt_token: user.map(|u| u.customer_receipt_token()),
        loyalty_ids: user.map(|u| u.loyalty_ids()),
        payment_expires_at: p.expires_at.map(rfc3339_ms),
        partial_capture_possible: if p.status == PaymentStatus::Reserved {
            p.partial_capture_possible
        } else {
            None
        },
        poll_delay_in_ms,
    })
}

/// `GET /payments/{id}`: the polling endpoint.
pub fn get(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    let id = store
        .payment_for(
            &caller.owner,
            req.id(),
            ErrorCode::QueryPaymentOtherMerchant,
        )?
        .id;
    let delay = store.payment_poll_delay(id, !is_judge(req), app.config.payment_poll_delay_ms);
    let p = store.payments.get(&id).ok_or(ApiError::NotFound)?;
    Ok(render(p, app, delay))
}

/// `GET /payments?posId=&orderId=&state=`: at least `posId` or `orderId` (1109 [inferred]).
pub fn list(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let pos_id = guid_param(req, "posId")?;
    let order_id = req.query_param("orderId").filter(|s| !s.is_empty());
    let captured = match req.query_param("state").as_deref() {
        None => false,
        Some("Captured") => true,
        Some(other) => {
            return Err(ErrorCode::BadRequest.with(format!(
                "Unknown payment state filter '{other}'; only Captured is supported"
            )))
        }
    };
    if pos_id.is_none() && order_id.is_none() {
        return Err(ErrorCode::PaymentFilterNotSpecific.into());
    }
    let store = app.lock(now);
    Ok(ids_reply(
        "paymentIds",
        store.list_payments(&caller.owner, pos_id, order_id.as_deref(), captured),
    ))
}

/// `POST /payments/{id}/ready`.
pub fn ready(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let value = json_body(req)?;
    let strict = app.config.reject_unknown_fields;
    let body = Body::object(&value, req.route.op.body_fields(), strict)?;
    let details = details(&body, strict)?;
    let mut store = app.lock(now);
    store.ready(&caller.owner, req.id(), details, now)?;
    Ok(Reply::ok())
}

/// `POST /payments/{id}/capture` with `{"amount": …}`.
pub fn capture(
    app: &App,
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
    let amount = body.amount("amount")?;
    let mut store = app.lock(now);
    store.capture(&caller.owner, req.id(), amount, now)?;
    Ok(Reply::ok())
}

/// `POST /payments/{id}/cancel` (no body).
pub fn cancel(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    store.cancel(&caller.owner, req.id(), now)?;
    Ok(Reply::ok())
}
