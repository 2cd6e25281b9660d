//! Request routing: method + path → operation.
//!
//! Hand-written rather than axum's router so that the same table serves `/pos/v10/...` and
//! `/pos-self-certification-api/pos/v10/...`, paths match case-insensitively and with an
//! optional trailing slash (as ASP.NET routing does), every operation knows its path template
//! (the idempotency scope and the journal need it), and an unknown path is a plain 404 while
//! a known path with the wrong method is a 405 with `Allow`.

use crate::errors::ErrorFlavour;
use axum::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Token,
    GetStores,
    GetDetailedStores,
    GetStore,
    ListPos,
    CreatePos,
    GetPos,
    DeletePos,
    GetCheckIn,
    ListPayments,
    InitiatePayment,
    PreparePayment,
    GetPayment,
    ReadyPayment,
    CapturePayment,
    CancelPayment,
    ListRefunds,
    CreateRefund,
    GetRefund,
    CaptureRefund,
    CancelRefund,
    SimCheckIn,
    SimAccept,
    SimCancel,
}

impl Op {
    /// "METHOD /template" (without the self-certification prefix): the idempotency scope.
    pub fn endpoint(self) -> &'static str {
        use Op::*;
        match self {
            Token => "POST /integrator-authentication/connect/token",
            GetStores => "GET /pos/v10/stores",
            GetDetailedStores => "GET /pos/v10/stores/detailed",
            GetStore => "GET /pos/v10/stores/{storeid}",
            ListPos => "GET /pos/v10/pointofsales",
            CreatePos => "POST /pos/v10/pointofsales",
            GetPos => "GET /pos/v10/pointofsales/{posid}",
            DeletePos => "DELETE /pos/v10/pointofsales/{posid}",
            GetCheckIn => "GET /pos/v10/pointofsales/{posid}/checkin",
            ListPayments => "GET /pos/v10/payments",
            InitiatePayment => "POST /pos/v10/payments",
            PreparePayment => "POST /pos/v10/payments/prepare",
            GetPayment => "GET /pos/v10/payments/{paymentid}",
            ReadyPayment => "POST /pos/v10/payments/{paymentid}/ready",
            CapturePayment => "POST /pos/v10/payments/{paymentid}/capture",
            CancelPayment => "POST /pos/v10/payments/{paymentid}/cancel",
            ListRefunds => "GET /pos/v10/refunds",
            CreateRefund => "POST /pos/v10/refunds",
            GetRefund => "GET /pos/v10/refunds/{refundid}",
            CaptureRefund => "POST /pos/v10/refunds/{refundid}/capture",
            CancelRefund => "POST /pos/v10/refunds/{refundid}/cancel",
            SimCheckIn => "POST /pos/app/usersimulation/checkin",
            SimAccept => "POST /pos/app/usersimulation/acceptpayment",
            SimCancel => "POST /pos/app/usersimulation/cancelpaymentbyuser",
        }
    }

    /// Refund endpoints answer `ErrorResponseV2` (with `origin`).
    pub fn flavour(self) -> ErrorFlavour {
        use Op::*;
        match self {
            ListRefunds | CreateRefund | GetRefund | CaptureRefund | CancelRefund => {
                ErrorFlavour::V2
            }
            _ => ErrorFlavour::V1,
        }
    }

    /// The properties the spec defines for this operation's JSON body (nothing for operations
    /// without a body). `restrictions` is an object with its own properties,
    /// [`RESTRICTION_FIELDS`]. Handlers validate against this list and the journal reports
    /// anything else a request carried as `unknownFields`.
    pub fn body_fields(self) -> &'static [&'static str] {
        use Op::*;
        match self {
            CreatePos => &[
                "merchantPosId",
                "storeId",
                "name",
                "beaconId",
                "callbackAlias",
                "supportedBeaconTypes",
                "requirePaymentBeforeCheckin",
            ],
            InitiatePayment => &[
                "posId",
                "orderId",
                "amount",
                "currencyCode",
                "restrictions",
                "merchantPaymentLabel",
                "plannedCaptureDelay",
            ],
            PreparePayment => &["posId", "orderId"],
            ReadyPayment => &[
                "amount",
                "currencyCode",
                "restrictions",
                "merchantPaymentLabel",
                "plannedCaptureDelay",
            ],
            CapturePayment => &["amount"],
            CreateRefund => &["paymentId", "refundOrderId", "amount", "currencyCode"],
            SimCheckIn => &["beaconId", "phoneNumber"],
            // `paymentSource` is emulator-only: the card the customer pays with.
            SimAccept => &["beaconId", "phoneNumber", "paymentSource"],
            SimCancel => &["beaconId"],
            _ => &[],
        }
    }

    /// The four creating endpoints that require `X-MobilePay-Idempotency-Key`.
    pub fn is_creating(self) -> bool {
        matches!(
            self,
            Op::CreatePos | Op::InitiatePayment | Op::PreparePayment | Op::CreateRefund
        )
    }
}

/// The properties of a payment's `restrictions` object.
pub const RESTRICTION_FIELDS: [&str; 2] = ["debitCardDisallowed", "creditCardDisallowed"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub op: Op,
    /// The `{id}` path segment, as sent.
    pub id: Option<String>,
    /// Requested under `/pos-self-certification-api`.
    pub self_cert: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Found(Route),
    MethodNotAllowed(&'static str),
    NotFound,
}

fn pick(
    method: &Method,
    options: &[(Method, Op)],
    allow: &'static str,
    id: Option<&str>,
    self_cert: bool,
) -> Resolved {
    match options.iter().find(|(m, _)| m == method) {
        Some((_, op)) => Resolved::Found(Route {
            op: *op,
            id: id.map(str::to_string),
            self_cert,
        }),
        None => Resolved::MethodNotAllowed(allow),
    }
}

pub fn resolve(method: &Method, path: &str) -> Resolved {
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    let lower = trimmed.to_ascii_lowercase();
    let (rest, self_cert) = match lower.strip_prefix("/pos-self-certification-api/pos/v10") {
        Some(r) => (Some(r), true),
        None => (lower.strip_prefix("/pos/v10"), false),
    };
    let Some(rest) = rest else {
        return match lower.as_str() {
            "/integrator-authentication/connect/token" => {
                pick(method, &[(Method::POST, Op::Token)], "POST", None, false)
            }
            "/pos/app/usersimulation/checkin" => pick(
                method,
                &[(Method::POST, Op::SimCheckIn)],
                "POST",
                None,
                false,
            ),
            "/pos/app/usersimulation/acceptpayment" => pick(
                method,
                &[(Method::POST, Op::SimAccept)],
                "POST",
                None,
                false,
            ),
            "/pos/app/usersimulation/cancelpaymentbyuser" => pick(
                method,
                &[(Method::POST, Op::SimCancel)],
                "POST",
                None,
                false,
            ),
            _ => Resolved::NotFound,
        };
    };
    if !rest.is_empty() && !rest.starts_with('/') {
        return Resolved::NotFound;
    }
    // Segments of the original path (ids keep their case), matched on the lower-case copy.
    let original: Vec<&str> = trimmed.split('/').collect();
    let segs: Vec<&str> = rest.split('/').skip(1).collect();
    let offset = original.len() - segs.len();
    let id = |i: usize| original.get(offset + i).copied();
    use Method as M;
    use Op::*;
    let sc = self_cert;
    match segs.as_slice() {
        ["stores"] => pick(method, &[(M::GET, GetStores)], "GET", None, sc),
        ["stores", "detailed"] => pick(method, &[(M::GET, GetDetailedStores)], "GET", None, sc),
        ["stores", _] => pick(method, &[(M::GET, GetStore)], "GET", id(1), sc),
        ["pointofsales"] => pick(
            method,
            &[(M::GET, ListPos), (M::POST, CreatePos)],
            "GET, POST",
            None,
            sc,
        ),
        ["pointofsales", _] => pick(
            method,
            &[(M::GET, GetPos), (M::DELETE, DeletePos)],
            "GET, DELETE",
            id(1),
            sc,
        ),
        ["pointofsales", _, "checkin"] => pick(method, &[(M::GET, GetCheckIn)], "GET", id(1), sc),
        ["payments"] => pick(
            method,
            &[(M::GET, ListPayments), (M::POST, InitiatePayment)],
            "GET, POST",
            None,
            sc,
        ),
        ["payments", "prepare"] => pick(method, &[(M::POST, PreparePayment)], "POST", None, sc),
        ["payments", _] => pick(method, &[(M::GET, GetPayment)], "GET", id(1), sc),
        ["payments", _, "ready"] => pick(method, &[(M::POST, ReadyPayment)], "POST", id(1), sc),
        ["payments", _, "capture"] => pick(method, &[(M::POST, CapturePayment)], "POST", id(1), sc),
        ["payments", _, "cancel"] => pick(method, &[(M::POST, CancelPayment)], "POST", id(1), sc),
        ["refunds"] => pick(
            method,
            &[(M::GET, ListRefunds), (M::POST, CreateRefund)],
            "GET, POST",
            None,
            sc,
        ),
        ["refunds", _] => pick(method, &[(M::GET, GetRefund)], "GET", id(1), sc),
        ["refunds", _, "capture"] => pick(method, &[(M::POST, CaptureRefund)], "POST", id(1), sc),
        ["refunds", _, "cancel"] => pick(method, &[(M::POST, CancelRefund)], "POST", id(1), sc),
        _ => Resolved::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(m: Method, p: &str) -> Option<(Op, Option<String>, bool)> {
        match resolve(&m, p) {
            Resolved::Found(r) => Some((r.op, r.id, r.self_cert)),
            _ => None,
        }
    }

    #[test]
    fn both_prefixes_and_ids() {
        assert_eq!(
            op(Method::GET, "/pos/v10/payments/ABC"),
            Some((Op::GetPayment, Some("ABC".into()), false))
        );
        assert_eq!(
            op(
                Method::POST,
                "/pos-self-certification-api/pos/v10/payments/x/capture"
            ),
            Some((Op::CapturePayment, Some("x".into()), true))
        );
        assert_eq!(
            op(Method::POST, "/pos/v10/payments/prepare"),
            Some((Op::PreparePayment, None, false))
        );
        assert_eq!(
            op(Method::GET, "/pos/v10/stores/detailed"),
            Some((Op::GetDetailedStores, None, false))
        );
        assert_eq!(
            op(Method::GET, "/POS/V10/Stores/"),
            Some((Op::GetStores, None, false))
        );
        assert_eq!(
            op(Method::POST, "/integrator-authentication/connect/token"),
            Some((Op::Token, None, false))
        );
        assert_eq!(
            op(Method::POST, "/pos/app/usersimulation/checkin"),
            Some((Op::SimCheckIn, None, false))
        );
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(
            resolve(&Method::GET, "/pos/v10/nothing"),
            Resolved::NotFound
        );
        assert_eq!(
            resolve(&Method::GET, "/pos/v100/stores"),
            Resolved::NotFound
        );
        assert_eq!(resolve(&Method::GET, "/"), Resolved::NotFound);
        assert_eq!(
            resolve(&Method::PUT, "/pos/v10/payments"),
            Resolved::MethodNotAllowed("GET, POST")
        );
        assert_eq!(
            resolve(&Method::GET, "/pos/v10/payments/prepare"),
            Resolved::MethodNotAllowed("POST")
        );
        assert_eq!(
            resolve(&Method::GET, "/integrator-authentication/connect/token"),
            Resolved::MethodNotAllowed("POST")
        );
    }
}
