//! The sandbox's user-simulation API (notes §4.5): a test user checks in, accepts or cancels.
//!
//! Authenticated with the developer-portal app's `x-ibm-client-id` / `x-ibm-client-secret`
//! (the seed's `userSimulation` credentials), not the integrator token. Success is 200 with no
//! body. The real error responses are undocumented; the emulator answers an `ErrorResponse`
//! with emulator-only codes (9001 unknown beacon and 9002 unknown user: 404; 9003 nothing to
//! accept, 9004 check-in refused, 9005 nothing to cancel: 409), listed in the README.
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
use crate::state::Store;
use crate::validation::Body;
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

/// The reply, and the check-in notification to send when a check-in happened on a PoS whose
/// callback alias is registered (the HTTP edge sends it, outside the store lock).
pub fn handle(app: &App, req: &Incoming<'_>) -> (Reply, Option<CheckInNotification>) {
    if !authorized(app, req) {
        return (
            unauthorized("Missing or invalid x-ibm-client-id / x-ibm-client-secret"),
            None,
        );
    }
    match run(app, req) {
        Ok(done) => done,
        Err(e) => (Reply::error(&e, ErrorFlavour::V1), None),
    }
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

fn run(app: &App, req: &Incoming<'_>) -> Result<(Reply, Option<CheckInNotification>), ApiError> {
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
            let mut store = app.lock(now);
            if req.route.op == Op::SimCheckIn {
                let pos = store.sim_check_in(&app.seed, &beacon, &phone, now)?;
                return Ok((Reply::ok(), notification(app, &store, pos)));
            }
            store.sim_accept(&app.seed, &app.config, &beacon, &phone, now)?;
        }
        _ => {
            let body = Body::object(&value, req.route.op.body_fields(), strict)?;
            let beacon = required(&body, "beaconId")?;
            app.lock(now).sim_cancel(&beacon, now)?;
        }
    }
    Ok((Reply::ok(), None))
}
