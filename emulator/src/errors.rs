//! The error-code catalogue of notes §6.2 as a typed enum, and the reply bodies built from it.
//!
//! Clients key on `code` (a string of digits), so every code the emulator can send lives
//! here once, with its HTTP status and its English message; handlers never spell a code or a
//! status by hand. Refund endpoints answer `ErrorResponseV2`, which adds `"origin":"PoS"`;
//! that is decided per route (see [`ErrorFlavour`]), not per code.

use axum::http::StatusCode;
use serde::Serialize;

/// Declares [`ErrorCode`] and [`ErrorCode::ALL`] from one list, so a new code can never be
/// missing from the tests that walk every code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// Every code of notes §6.2 that this emulator produces, plus the emulator-only codes of the
        /// user-simulation API (9xxx, documented in the README: the real responses are unknown).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];
        }
    };
}

error_codes! {
    PosNotFound409,
    PaymentNotFound409,
    StoreNotFound409,
    RefundNotFound404,
    BadRequest,
    InvalidBeaconId,
    InvalidAmount,
    PaymentFilterNotSpecific,
    RefundFilterNotSpecific,
    InvalidMerchantPosId,
    InvalidPosName,
    InvalidOrderId,
    InvalidRefundOrderId,
    InvalidCallbackAlias,
    InvalidMerchantPaymentLabel,
    InvalidCalibrationType,
    InvalidMerchantBrandId,
    InvalidMerchantLocationId,
    PosFilterNotSpecific,
    StoreFilterNotSpecific,
    MissingVat,
    MissingVersion,
    DuplicatedVat,
    DuplicatedVersion,
    InvalidVat,
    InvalidVersion,
    InvalidIdempotencyKey,
    DuplicatedIdempotencyKey,
    MissingIdempotencyKey,
    InvalidVatClaim,
    MerchantPosIdExists,
    BeaconIdExists,
    StoreNotActive,
    CannotCancelPayment,
    PaymentAlreadyActive,
    PaymentNotPrepared,
    PaymentNotReserved,
    CaptureExceedsReserved,
    IdempotencyKeyReused,
    AlreadyCapturedDifferentAmount,
    PartialCaptureNotPossible,
    RefundNotReserved,
    CannotCancelRefund,
    PaymentNotCaptured,
    RefundCurrencyDiffers,
    PaymentTooOld,
    RefundAmountTooHigh,
    PosOtherIntegrator,
    PaymentOtherIntegrator,
    RefundOtherIntegrator,
    StoreOtherMerchant,
    ReadyOtherMerchant,
    CaptureOtherMerchant,
    CancelOtherMerchant,
    DeletePosOtherMerchant,
    QueryPosOtherMerchant,
    QueryPaymentOtherMerchant,
    /// User simulation: no active PoS has this beacon id.
    SimUnknownBeacon,
    /// User simulation: the phone number is not one of the sandbox test users.
    SimUnknownUser,
    /// User simulation: no payment on the PoS is waiting for this user.
    SimNothingToAccept,
    /// User simulation: check-in refused (`requirePaymentBeforeCheckin`, or another user is paying).
    SimCheckInRefused,
    /// User simulation: no payment the user could cancel.
    SimNothingToCancel,
    /// User simulation: accept with a `paymentSource` card the test user does not have.
    SimNoSuchCard,
}

impl ErrorCode {
    /// The code as sent on the wire, the HTTP status, and the message.
    pub fn parts(self) -> (&'static str, StatusCode, &'static str) {
        use ErrorCode::*;
        const C: StatusCode = StatusCode::CONFLICT;
        const B: StatusCode = StatusCode::BAD_REQUEST;
        const F: StatusCode = StatusCode::FORBIDDEN;
        const N: StatusCode = StatusCode::NOT_FOUND;
        match self {
            PosNotFound409 => ("1000", C, "Point of sale not found"),
            PaymentNotFound409 => ("1001", C, "Payment not found"),
            StoreNotFound409 => ("1002", C, "Store not found"),
            RefundNotFound404 => ("1004", N, "Refund not found"),
            BadRequest => ("1099", B, "Unknown BadRequest error"),
            InvalidBeaconId => ("1100", B, "Invalid BeaconId. It must be a GUID or a string of 15 digits"),
            InvalidAmount => ("1102", B, "Invalid Amount"),
            PaymentFilterNotSpecific => ("1109", B, "Payment filter not specific enough"),
            RefundFilterNotSpecific => ("1110", B, "Refund filter not specific enough"),
            InvalidMerchantPosId => ("1111", B, "Invalid MerchantPosId"),
            InvalidPosName => ("1112", B, "Invalid PosName"),
            InvalidOrderId => ("1113", B, "Invalid OrderId"),
            InvalidRefundOrderId => ("1114", B, "Invalid RefundOrderId"),
            InvalidCallbackAlias => ("1116", B, "Invalid CallbackAlias"),
            InvalidMerchantPaymentLabel => ("1117", B, "Invalid MerchantPaymentLabel"),
            InvalidCalibrationType => ("1118", B, "Invalid CalibrationType"),
            InvalidMerchantBrandId => ("1119", B, "Invalid MerchantBrandId"),
            InvalidMerchantLocationId => ("1120", B, "Invalid MerchantLocationId"),
            PosFilterNotSpecific => ("1121", B, "Point of sale filter not specific enough"),
            StoreFilterNotSpecific => ("1122", B, "Store filter not specific enough"),
            MissingVat => ("1151", B, "Missing x-mobilepay-merchant-vat-number header"),
            MissingVersion => ("1153", B, "Missing x-mobilepay-client-system-version header"),
            DuplicatedVat => ("1155", B, "Duplicated x-mobilepay-merchant-vat-number header"),
            DuplicatedVersion => ("1157", B, "Duplicated x-mobilepay-client-system-version header"),
            InvalidVat => ("1159", B, "Invalid x-mobilepay-merchant-vat-number header"),
            InvalidVersion => ("1161", B, "Invalid x-mobilepay-client-system-version header"),
            InvalidIdempotencyKey => ("1162", B, "Invalid x-mobilepay-idempotency-key header"),
            DuplicatedIdempotencyKey => ("1163", B, "Duplicated x-mobilepay-idempotency-key header"),
            MissingIdempotencyKey => ("1164", B, "Missing x-mobilepay-idempotency-key header"),
            InvalidVatClaim => ("1182", B, "Invalid merchant_vat claim in access token"),
            MerchantPosIdExists => ("1200", C, "A PoS with the given MerchantPosId already exists"),
            BeaconIdExists => ("1202", C, "A PoS with the given BeaconId already exists"),
            StoreNotActive => ("1204", C, "The store for the point of sale is not activated. Activate the store before starting a payment"),
            CannotCancelPayment => ("1300", C, "The payment cannot be cancelled in the current state"),
            PaymentAlreadyActive => ("1301", C, "A payment is already active. Cancel it before starting a new one"),
            PaymentNotPrepared => ("1303", C, "Payment needs to be prepared before it can be marked as ready"),
            PaymentNotReserved => ("1304", C, "Cannot capture payment when payment is not reserved"),
            CaptureExceedsReserved => ("1305", C, "Capture amount cannot exceed the reserved amount"),
            IdempotencyKeyReused => ("1306", C, "x-mobilepay-idempotency-key header has to be unique per request unless the request is a retry of a previous request"),
            AlreadyCapturedDifferentAmount => ("1307", C, "Payment has already been captured with a different amount"),
            PartialCaptureNotPossible => ("1308", C, "Partial capture is not possible on this payment"),
            RefundNotReserved => ("1351", C, "Cannot capture refund when refund is not reserved"),
            CannotCancelRefund => ("1352", C, "The refund cannot be cancelled in the current state"),
            PaymentNotCaptured => ("1354", C, "Refund not possible when payment is not captured"),
            RefundCurrencyDiffers => ("1365", C, "Refund CurrencyCode differs from payment CurrencyCode"),
            PaymentTooOld => ("1366", C, "Payment is too old to be refunded"),
            RefundAmountTooHigh => ("1367", C, "Refund Amount is too high"),
            PosOtherIntegrator => ("1400", F, "Point of sale was created by a different integrator or merchant"),
            PaymentOtherIntegrator => ("1401", F, "Payment was created by a different integrator"),
            RefundOtherIntegrator => ("1402", F, "Refund was created by a different integrator"),
            StoreOtherMerchant => ("1403", F, "Cannot create a point of sale in a store that does not belong to the merchant"),
            ReadyOtherMerchant => ("1406", F, "Cannot ready payments prepared on behalf of a different merchant"),
            CaptureOtherMerchant => ("1407", F, "Cannot capture payments created on behalf of a different merchant"),
            CancelOtherMerchant => ("1408", F, "Cannot cancel payments created on behalf of a different merchant"),
            DeletePosOtherMerchant => ("1409", F, "Cannot delete point of sales created on behalf of a different merchant"),
            QueryPosOtherMerchant => ("1410", F, "Cannot query point of sales created on behalf of a different merchant"),
            QueryPaymentOtherMerchant => ("1411", F, "Cannot query payments created on behalf of a different merchant"),
            SimUnknownBeacon => ("9001", N, "User simulation: no point of sale has this beaconId"),
            SimUnknownUser => ("9002", N, "User simulation: the phone number is not a sandbox test user"),
            SimNothingToAccept => ("9003", C, "User simulation: there is no payment issued to this user on this point of sale"),
            SimCheckInRefused => ("9004", C, "User simulation: check-in is not possible on this point of sale right now"),
            SimNothingToCancel => ("9005", C, "User simulation: there is no payment the user can cancel on this point of sale"),
            SimNoSuchCard => ("9006", C, "User simulation: the test user has no card of this paymentSource"),
        }
    }

    pub fn code(self) -> &'static str {
        self.parts().0
    }

    pub fn status(self) -> StatusCode {
        self.parts().1
    }

    /// This code with a more precise message than the catalogue's.
    pub fn with(self, message: impl Into<String>) -> ApiError {
        ApiError::with(self, message)
    }
}

/// Which error schema a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFlavour {
    /// `ErrorResponse`: `{code, message, correlationId}`.
    V1,
    /// `ErrorResponseV2` (refund endpoints): adds `"origin":"PoS"`.
    V2,
}

/// The JSON error body (both `ErrorResponse` and `ErrorResponseV2`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub correlation_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'static str>,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>, flavour: ErrorFlavour) -> Self {
        ErrorBody {
            code: code.to_string(),
            message: message.into(),
            correlation_id: uuid::Uuid::new_v4().to_string(),
            origin: match flavour {
                ErrorFlavour::V1 => None,
                ErrorFlavour::V2 => Some("PoS"),
            },
        }
    }
}

/// An API failure as handlers return it; turned into a [`crate::reply::Reply`] at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// A catalogue code, optionally with a more precise message than the catalogue's.
    Code(ErrorCode, Option<String>),
    /// 401 (missing, forged, expired or revoked token; wrong simulation credentials).
    Unauthorized(&'static str),
    /// A 404 without a body (the spec documents none).
    NotFound,
    /// 415: a body in a media type other than JSON.
    UnsupportedMediaType,
}

impl ApiError {
    pub fn code(code: ErrorCode) -> Self {
        ApiError::Code(code, None)
    }

    pub fn with(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Code(code, Some(message.into()))
    }

    /// The catalogue code, if any (handy in tests).
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Code(c, _) => Some(*c),
            _ => None,
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::code(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_four_digit_strings_with_their_documented_status() {
        assert_eq!(ErrorCode::PaymentAlreadyActive.code(), "1301");
        assert_eq!(
            ErrorCode::PaymentAlreadyActive.status(),
            StatusCode::CONFLICT
        );
        assert_eq!(ErrorCode::RefundNotFound404.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            ErrorCode::StoreOtherMerchant.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(ErrorCode::MissingVersion.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn every_code_is_unique_and_in_its_status_family() {
        let all = ErrorCode::ALL;
        let mut codes: Vec<&str> = all.iter().map(|c| c.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "duplicate codes");
        for c in all {
            let (code, status, message) = c.parts();
            assert_eq!(code.len(), 4);
            assert!(!message.is_empty());
            if !code.starts_with('1') {
                continue; // emulator-only user-simulation codes (9xxx): 404 or 409
            }
            let expected = match code.as_bytes()[1] {
                b'0' if code == "1004" => StatusCode::NOT_FOUND,
                b'0' if code == "1099" => StatusCode::BAD_REQUEST,
                b'0' => StatusCode::CONFLICT,
                b'1' => StatusCode::BAD_REQUEST,
                b'2' | b'3' => StatusCode::CONFLICT,
                b'4' => StatusCode::FORBIDDEN,
                _ => status,
            };
            assert_eq!(status, expected, "{code}");
        }
    }

    #[test]
    fn v2_bodies_carry_origin_and_v1_bodies_do_not() {
        let v1 = serde_json::to_value(ErrorBody::new("1301", "x", ErrorFlavour::V1)).unwrap();
        let v2 = serde_json::to_value(ErrorBody::new("1367", "x", ErrorFlavour::V2)).unwrap();
        assert!(v1.get("origin").is_none());
        assert_eq!(v2["origin"], "PoS");
        assert_eq!(v1["code"], "1301");
        assert!(v1["correlationId"].as_str().unwrap().len() == 36);
    }
}
