//! The catalogue of operator actions: the contract that harness authors code against.
//! Extend it; never silently change an entry (DESIGN.md, "Operator actions").

use crate::scenario::model::Role;

/// One action: its id, the params the engine sends, and the values it may return.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ActionSpec {
    pub id: &'static str,
    pub role: Role,
    pub params: &'static [&'static str],
    pub returns: &'static [&'static str],
    /// What the client then does, for the docs and prompts.
    pub summary: &'static str,
}

pub const CATALOGUE: &[ActionSpec] = &[
    ActionSpec {
        id: "onboard-pos",
        role: Role::Cashier,
        // callbackAlias: the alias MobilePay gave for the client's check-in notification URL
        // (identity.callback in poscert.yaml), to create the PoS with; a harness serving
        // notifications may answer its URL as `callbackUrl` (optional, not a required return).
        params: &["merchantPosId", "name", "merchantBrandId", "merchantLocationId", "supportedBeaconTypes", "beaconId?", "callbackAlias?"],
        returns: &["posId", "beaconId"],
        summary: "finds the certification store (or uses its configured id), creates the PoS (retrying timeouts and 5xx with the same idempotency key)",
    },
    ActionSpec {
        id: "offboard-pos",
        role: Role::Cashier,
        params: &["posId"],
        returns: &[],
        summary: "deletes the PoS, retrying timeouts and 5xx",
    },
    ActionSpec {
        id: "start-payment",
        role: Role::Cashier,
        params: &["posId", "orderId", "amount", "currencyCode", "restrictions?", "captureAmount?"],
        returns: &["paymentId"],
        summary: "initiates (on 1301: finds the active payment, cancels it, initiates again), polls with pollDelayInMs, captures captureAmount when Reserved (full amount or cancel when partial capture is not possible)",
    },
    ActionSpec {
        id: "prepare-payment",
        role: Role::Cashier,
        params: &["posId", "orderId"],
        returns: &["paymentId"],
        summary: "prepares, then polls for pairing",
    },
    ActionSpec {
        id: "payment-ready",
        role: Role::Cashier,
        params: &["paymentId", "amount", "currencyCode", "restrictions?", "captureAmount?"],
        returns: &[],
        summary: "marks the prepared payment ready, then behaves as after start-payment",
    },
    ActionSpec {
        id: "cancel-payment",
        role: Role::Cashier,
        params: &["paymentId"],
        returns: &[],
        summary: "cancels the payment",
    },
    ActionSpec {
        id: "start-refund",
        role: Role::Cashier,
        // captureRefund (default true): false stops once the refund is Reserved, so that a
        // later cancel-refund has something to cancel (refunds case 2).
        params: &["paymentId", "refundOrderId", "amount", "currencyCode", "captureRefund?"],
        returns: &["refundId"],
        summary: "creates the refund, polls until Reserved, captures it",
    },
    ActionSpec {
        id: "cancel-refund",
        role: Role::Cashier,
        params: &["refundId"],
        returns: &[],
        summary: "cancels the refund",
    },
    ActionSpec {
        id: "check-in",
        role: Role::Customer,
        params: &["beaconId", "phoneNumber"],
        returns: &[],
        summary: "the customer scans the PoS QR code in the MobilePay app",
    },
    ActionSpec {
        id: "accept-payment",
        role: Role::Customer,
        params: &["beaconId", "phoneNumber"],
        returns: &[],
        summary: "the customer swipes to accept the payment in the app",
    },
    ActionSpec {
        id: "cancel-payment-by-user",
        role: Role::Customer,
        params: &["beaconId", "phoneNumber?"],
        returns: &[],
        summary: "the customer cancels the payment in the app",
    },
];

pub fn find(role: Role, id: &str) -> Option<&'static ActionSpec> {
    CATALOGUE.iter().find(|a| a.role == role && a.id == id)
}

pub fn is_known(role: Role, id: &str) -> bool {
    find(role, id).is_some()
}

pub fn names(role: Role) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|a| a.role == role)
        .map(|a| a.id)
        .collect()
}
