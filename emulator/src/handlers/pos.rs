//! Points of sale (notes §4.2): create (idempotent), get, list with filters, delete, and the
//! check-in status a client polls.

use super::{guid_param, ids_reply, is_judge, json_body, Incoming};
use crate::app::App;
use crate::errors::{ApiError, ErrorCode};
use crate::headers::Caller;
use crate::reply::Reply;
use crate::state::{NewPos, PosFilter, Store};
use crate::validation::{is_valid_beacon, Body};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

const BEACON_TYPES: [&str; 3] = ["QR", "NFC", "Bluetooth"];

fn beacon_types(body: &Body<'_>) -> Result<Vec<&'static str>, ApiError> {
    let Some(Value::Array(items)) = body.get("supportedBeaconTypes") else {
        return Err(
            ErrorCode::BadRequest.with("'supportedBeaconTypes' is required and must be an array")
        );
    };
    let mut out: Vec<&'static str> = Vec::new();
    for item in items {
        let t = item
            .as_str()
            .and_then(|s| BEACON_TYPES.iter().find(|b| **b == s))
            .ok_or_else(|| {
                ErrorCode::BadRequest
                    .with("'supportedBeaconTypes' items must be QR, NFC or Bluetooth")
            })?;
        if out.contains(t) {
            return Err(ErrorCode::BadRequest.with("'supportedBeaconTypes' items must be unique"));
        }
        out.push(t);
    }
    Ok(out)
}

/// `POST /pointofsales` (inside the idempotency section).
pub fn create(
    app: &App,
    store: &mut Store,
    caller: &Caller,
    req: &Incoming<'_>,
) -> Result<Reply, ApiError> {
    let value = json_body(req)?;
    let body = Body::object(
        &value,
        req.route.op.body_fields(),
        app.config.reject_unknown_fields,
    )?;
    let merchant_pos_id = body.text36("merchantPosId", ErrorCode::InvalidMerchantPosId)?;
    let store_id = body.guid("storeId")?;
    let name = body.text36("name", ErrorCode::InvalidPosName)?;
    let beacon_id = match body.opt_str("beaconId", ErrorCode::InvalidBeaconId)? {
        Some(b) if !is_valid_beacon(b) => return Err(ErrorCode::InvalidBeaconId.into()),
        other => other,
    };
    let callback_alias = body.opt_text36("callbackAlias", ErrorCode::InvalidCallbackAlias)?;
    let supported_beacon_types = beacon_types(&body)?;
    let require_payment_before_checkin = body
        .opt_bool("requirePaymentBeforeCheckin")?
        .unwrap_or(false);
    let id = store.create_pos(
        &app.seed,
        &caller.owner,
        NewPos {
            merchant_pos_id: merchant_pos_id.to_string(),
            store_id,
            name: name.to_string(),
            beacon_id: beacon_id.map(str::to_string),
            callback_alias: callback_alias.map(str::to_string),
            supported_beacon_types,
            require_payment_before_checkin,
        },
    )?;
    Ok(Reply::ok_json(&json!({ "posId": id.to_string() })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PosResponse<'a> {
    pos_id: String,
    merchant_pos_id: &'a str,
    store_id: String,
    name: &'a str,
    beacon_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_alias: Option<&'a str>,
    supported_beacon_types: &'a [&'static str],
    require_payment_before_checkin: bool,
}

pub fn get(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let store = app.lock(now);
    let pos = store.pos_for(&caller.owner, req.id(), ErrorCode::QueryPosOtherMerchant)?;
    Ok(Reply::ok_json(&PosResponse {
        pos_id: pos.id.to_string(),
        merchant_pos_id: &pos.merchant_pos_id,
        store_id: pos.store_id.to_string(),
        name: &pos.name,
        beacon_id: &pos.beacon_id,
        callback_alias: pos.callback_alias.as_deref(),
        supported_beacon_types: &pos.supported_beacon_types,
        require_payment_before_checkin: pos.require_payment_before_checkin,
    }))
}

/// `GET /pointofsales`: filters AND-ed; none at all is 1121 [inferred].
pub fn list(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let filter = PosFilter {
        store_id: guid_param(req, "storeId")?,
        beacon_id: req.query_param("beaconId").filter(|s| !s.is_empty()),
        merchant_pos_id: req.query_param("merchantPosId").filter(|s| !s.is_empty()),
    };
    if filter.store_id.is_none() && filter.beacon_id.is_none() && filter.merchant_pos_id.is_none() {
        return Err(ErrorCode::PosFilterNotSpecific.into());
    }
    let store = app.lock(now);
    Ok(ids_reply("posIds", store.list_pos(&caller.owner, &filter)))
}

pub fn delete(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    store.delete_pos(&caller.owner, req.id(), now)?;
    Ok(Reply::ok())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckInResponse {
    is_user_checked_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    loyalty_ids: Option<Vec<String>>,
    poll_delay_in_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_receipt_token: Option<String>,
}

/// `GET /pointofsales/{id}/checkin`: always 200; 1400 for another integrator or merchant.
pub fn checkin(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let mut store = app.lock(now);
    let pos = store.pos_for(&caller.owner, req.id(), ErrorCode::PosOtherIntegrator)?;
    let (id, checked_in) = (pos.id, pos.checked_in);
    let poll_delay_in_ms =
        store.checkin_poll_delay(id, !is_judge(req), app.config.payment_poll_delay_ms);
    let user = checked_in.and_then(|u| app.seed.test_users.get(u));
    Ok(Reply::ok_json(&CheckInResponse {
        is_user_checked_in: user.is_some(),
        loyalty_ids: user.map(|u| u.loyalty_ids()),
        poll_delay_in_ms,
        customer_token: user.map(|u| u.customer_token()),
        customer_receipt_token: user.map(|u| u.customer_receipt_token()),
    }))
}
