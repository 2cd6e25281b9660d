//! The sandbox's user-simulation API (notes §4.5): a test user checks in, accepts or cancels.
//!
//! Authenticated with the developer-portal app's `x-ibm-client-id` / `x-ibm-client-secret`
//! (the seed's `userSimulation` credentials), not the integrator token. Success is 200 with no
//! body. The real error responses are undocumented; the emulator answers an `ErrorResponse`
//! with emulator-only codes (9001 unknown beacon and 9002 unknown user: 404; 9003 nothing to
//! accept, 9004 check-in refused, 9005 nothing to cancel: 409), listed in the README.
//!
//! Accept takes an emulator-only `paymentSource` (`Debit` / `Credit`): the card the customer
//! pays with (9006 if the test user has none of that type); without it the user tries their
//! cards in turn. The answer names the card and the outcome in `x-poscert-card` /
//! `x-poscert-accept` headers and in the journal entry's `simulation`.
//!
//! A check-in on a PoS whose `callbackAlias` is registered (`PUT /_emulator/callbacks/{alias}`)
//! also yields the check-in notification of notes §8.5, which the HTTP edge delivers.

use super::{json_body, Incoming};
use crate::app::App;
use crate::auth::constant_time_eq;
use crate::callbacks::{CheckInBody, CheckInNotification};
use crate::errors::{ApiError, ErrorCode, ErrorFlavour};
use crate::reply::{unauthorized, Reply};
use crate::routes::Op;
use crate::seed::PaymentSource;
use crate::state::payment::AcceptOutcome;
use crate::state::Store;
use crate::validation::Body;
use axum::http::HeaderName;
use serde_json::{json, Value};
use uuid::Uuid;

fn authorized(app: &App, req: &Incoming<'_>) -> bool {
    let get = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    match (get("x-ibm-client-id"), get("x-ibm-client-secret")) {
        (Some(id), Some(secret)) => {
            constant_time_eq(id, &app.config.user_simulation_client_id)
                & constant_time_eq(secret, &app.config.user_simulation_client_secret)
        }
        _ => false,
    }
}

/// What a simulation call did.
pub struct Simulated {
    pub reply: Reply,
    /// The check-in notification to send when a check-in happened on a PoS whose callback
    /// alias is registered (the HTTP edge sends it, outside the store lock).
    pub notify: Option<CheckInNotification>,
    /// For the journal entry's `simulation`: the card an accept used and what came of it.
    pub note: Option<Value>,
}

impl Simulated {
    fn reply(reply: Reply) -> Simulated {
        Simulated {
            reply,
            notify: None,
            note: None,
        }
    }
}

pub fn handle(app: &App, req: &Incoming<'_>) -> Simulated {
    if !authorized(app, req) {
        return Simulated::reply(unauthorized(
            "Missing or invalid x-ibm-client-id / x-ibm-client-secret",
        ));
    }
    run(app, req).unwrap_or_else(|e| Simulated::reply(Reply::error(&e, ErrorFlavour::V1)))
}

/// The notification for a check-in on `pos`, if its callback alias is registered.
fn notification(app: &App, store: &Store, pos: Uuid) -> Option<CheckInNotification> {
    let pos = store.poses.get(&pos)?;
    let alias = pos.callback_alias.as_deref()?;
    let url = app.callbacks.get(alias)?;
    let (merchant, shop) = app.seed.store(&pos.store_id.to_string())?;
    Some(CheckInNotification {
        alias: alias.to_string(),
        url,
        body: CheckInBody {
            merchant_id: app.seed.merchants[merchant].merchant_id.clone(),
            merchant_brand_id: shop.merchant_brand_id.clone(),
            merchant_location_id: shop.merchant_location_id.clone(),
            merchant_pos_id: pos.merchant_pos_id.clone(),
            pos_id: pos.id.to_string(),
        },
        client_id: pos.owner.client_id.clone(),
    })
}

fn run(app: &App, req: &Incoming<'_>) -> Result<Simulated, ApiError> {
    let value = json_body(req)?;
    let strict = app.config.reject_unknown_fields;
    let now = app.clock.now();
    let required = |body: &Body<'_>, key: &str| -> Result<String, ApiError> {
        body.opt_str(key, ErrorCode::BadRequest)?
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ErrorCode::BadRequest.with(format!("'{key}' is required")))
    };
    match req.route.op {
        Op::SimCheckIn | Op::SimAccept => {
            let body = Body::object(&value, req.route.op.body_fields(), strict)?;
            let beacon = required(&body, "beaconId")?;
            let phone = required(&body, "phoneNumber")?;
            if req.route.op == Op::SimCheckIn {
                let mut store = app.lock(now);
                let pos = store.sim_check_in(&app.seed, &beacon, &phone, now)?;
                return Ok(Simulated {
                    notify: notification(app, &store, pos),
                    ..Simulated::reply(Reply::ok())
                });
            }
            let card = match body.opt_str("paymentSource", ErrorCode::BadRequest)? {
                None => None,
                Some(s) => Some(PaymentSource::parse(s).ok_or_else(|| {
                    ErrorCode::BadRequest.with("'paymentSource' must be Debit or Credit")
                })?),
            };
            let (outcome, card) =
                app.lock(now)
                    .sim_accept(&app.seed, &app.config, &beacon, &phone, card, now)?;
            let outcome = match outcome {
                AcceptOutcome::Reserved => "Reserved",
                AcceptOutcome::RefusedByRestrictions => "RefusedByRestrictions",
            };
            return Ok(Simulated {
                reply: Reply::ok()
                    .with_header(HeaderName::from_static("x-poscert-card"), card.as_str())
                    .with_header(HeaderName::from_static("x-poscert-accept"), outcome),
                notify: None,
                note: Some(json!({ "paymentSource": card.as_str(), "outcome": outcome })),
            });
        }
        _ => {
            let body = Body::object(&value, req.route.op.body_fields(), strict)?;
            let beacon = required(&body, "beaconId")?;
            app.lock(now).sim_cancel(&beacon, now)?;
        }
    }
    Ok(Simulated::reply(Reply::ok()))
}
