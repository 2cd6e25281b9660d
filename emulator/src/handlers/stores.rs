//! Stores (notes §4.1): read-only, taken from the seed. A caller sees only its merchant's
//! stores; another merchant's store id is a 404 (no 403 is documented for stores).

use super::{ids_reply, Incoming};
use crate::app::App;
use crate::errors::{ApiError, ErrorCode};
use crate::headers::Caller;
use crate::reply::Reply;
use crate::seed::Store;
use crate::state::MerchantKey;
use crate::validation::{is_valid_brand_id, is_valid_location_id, parse_guid};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoreResponse<'a> {
    store_name: &'a str,
    store_id: &'a str,
    store_street: &'a str,
    store_zip_code: &'a str,
    store_city: &'a str,
    brand_name: &'a str,
    merchant_brand_id: &'a str,
    merchant_location_id: &'a str,
}

impl<'a> From<&'a Store> for StoreResponse<'a> {
    fn from(s: &'a Store) -> Self {
        StoreResponse {
            store_name: &s.store_name,
            store_id: &s.store_id,
            store_street: &s.store_street,
            store_zip_code: &s.store_zip_code,
            store_city: &s.store_city,
            brand_name: &s.brand_name,
            merchant_brand_id: &s.merchant_brand_id,
            merchant_location_id: &s.merchant_location_id,
        }
    }
}

fn merchant_stores<'a>(app: &'a App, caller: &Caller) -> &'a [Store] {
    match caller.owner.merchant {
        MerchantKey::Known(i) => app
            .seed
            .merchants
            .get(i)
            .map(|m| m.stores.as_slice())
            .unwrap_or(&[]),
        MerchantKey::Unknown(_) => &[],
    }
}

/// `GET /stores` and `GET /stores/detailed`: no filter, or both `merchantBrandId` and
/// `merchantLocationId` (only one is 1122 [inferred]).
pub fn list(
    app: &App,
    caller: &Caller,
    req: &Incoming<'_>,
    detailed: bool,
) -> Result<Reply, ApiError> {
    let brand = req.query_param("merchantBrandId").filter(|s| !s.is_empty());
    let location = req
        .query_param("merchantLocationId")
        .filter(|s| !s.is_empty());
    if let Some(b) = &brand {
        if !is_valid_brand_id(b) {
            return Err(ErrorCode::InvalidMerchantBrandId.into());
        }
    }
    if let Some(l) = &location {
        if !is_valid_location_id(l) {
            return Err(ErrorCode::InvalidMerchantLocationId.into());
        }
    }
    if brand.is_some() != location.is_some() {
        return Err(ErrorCode::StoreFilterNotSpecific.into());
    }
    let stores: Vec<&Store> = merchant_stores(app, caller)
        .iter()
        .filter(|s| {
            brand
                .as_deref()
                .is_none_or(|b| s.merchant_brand_id.eq_ignore_ascii_case(b))
        })
        .filter(|s| {
            location
                .as_deref()
                .is_none_or(|l| s.merchant_location_id == l)
        })
        .collect();
    if detailed {
        let body: Vec<StoreResponse<'_>> = stores.into_iter().map(StoreResponse::from).collect();
        Ok(Reply::ok_json(&body))
    } else {
        Ok(ids_reply(
            "storeIds",
            stores.iter().filter_map(|s| parse_guid(&s.store_id)),
        ))
    }
}

/// `GET /stores/{storeid}`.
pub fn get(app: &App, caller: &Caller, req: &Incoming<'_>) -> Result<Reply, ApiError> {
    let id = req.id();
    merchant_stores(app, caller)
        .iter()
        .find(|s| s.store_id.eq_ignore_ascii_case(id))
        .map(|s| Reply::ok_json(&StoreResponse::from(s)))
        .ok_or(ApiError::NotFound)
}
