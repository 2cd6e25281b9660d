//! Every kind of JSON response body validates against the response schemas of the official
//! spec (`schemas/pos-v10/*.json`, kept in step with the OpenAPI file by the repository's drift
//! test). One walk through all operations and states; each body is checked where it is received.

mod common;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::PathBuf;

struct Schemas {
    dir: PathBuf,
}

impl Schemas {
    fn new() -> Schemas {
        Schemas {
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/pos-v10"),
        }
    }

    #[track_caller]
    fn check(&self, name: &str, body: &Value) {
        let path = self.dir.join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name} violated by {body}: {errors:?}");
    }

    #[track_caller]
    fn ok(&self, name: &str, r: &Resp) {
        r.assert_ok();
        self.check(name, &r.body);
    }
}

#[tokio::test]
async fn every_response_body_kind_matches_the_spec() {
    let s = Schemas::new();
    let mut c = Ctx::start().await;

    // Stores.
    s.ok("StoreIdsResponse", &c.get("/pos/v10/stores").await);
    let detailed = c
        .get("/pos/v10/stores/detailed?merchantBrandId=MPPOSCERT1&merchantLocationId=00001")
        .await;
    detailed.assert_ok();
    for store in detailed.body.as_array().unwrap() {
        s.check("StoreResponse", store);
    }
    s.ok(
        "StoreResponse",
        &c.get(&format!(
            "/pos/v10/stores/{}",
            poscert_emulator::seed::CERT_STORE_ID
        ))
        .await,
    );

    // Points of sale.
    let create = c.create("/pos/v10/pointofsales", json!({ "merchantPosId": "schema-1", "storeId": poscert_emulator::seed::CERT_STORE_ID, "name": "Till", "supportedBeaconTypes": ["QR"] })).await;
    s.ok("CreatePosResponse", &create);
    let pos = create.body["posId"].as_str().unwrap().to_string();
    let pos_body = c.get(&format!("/pos/v10/pointofsales/{pos}")).await;
    s.ok("PosResponse", &pos_body);
    let beacon = pos_body.body["beaconId"].as_str().unwrap().to_string();
    s.ok(
        "PosIdsResponse",
        &c.get("/pos/v10/pointofsales?merchantPosId=schema-1").await,
    );
    s.ok(
        "GetCheckInResponse",
        &c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await,
    );

    // Payments through every state a client can see.
    let prep = c
        .create(
            "/pos/v10/payments/prepare",
            json!({ "posId": pos, "orderId": "schema-o" }),
        )
        .await;
    s.ok("PaymentInitiatedResponse", &prep);
    let p1 = prep.body["paymentId"].as_str().unwrap().to_string();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p1}")).await,
    ); // Prepared
    c.sim("checkin", &beacon, Some(LOYALTY)).await.assert_ok();
    s.ok(
        "GetCheckInResponse",
        &c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await,
    );
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p1}")).await,
    ); // Paired
    c.post(&format!("/pos/v10/payments/{p1}/ready"), json!({ "amount": 10, "currencyCode": "DKK", "plannedCaptureDelay": "None", "restrictions": null })).await.assert_ok();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p1}")).await,
    ); // IssuedToUser
    c.sim("acceptpayment", &beacon, Some(LOYALTY))
        .await
        .assert_ok();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p1}")).await,
    ); // Reserved
    s.ok(
        "QueryPaymentIdsResponse",
        &c.get(&format!("/pos/v10/payments?posId={pos}")).await,
    );
    c.post(
        &format!("/pos/v10/payments/{p1}/capture"),
        json!({ "amount": 10 }),
    )
    .await
    .assert_ok();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p1}")).await,
    ); // Captured
    s.ok(
        "QueryPaymentIdsResponse",
        &c.get("/pos/v10/payments?orderId=schema-o&state=Captured")
            .await,
    );
    let init = c
        .initiate(
            &pos,
            3.0,
            json!({ "restrictions": { "debitCardDisallowed": true }, "merchantPaymentLabel": "L" }),
        )
        .await;
    s.ok("PaymentInitiatedResponse", &init);
    let p2 = init.body["paymentId"].as_str().unwrap().to_string();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p2}")).await,
    ); // Initiated
    c.post_empty(&format!("/pos/v10/payments/{p2}/cancel"))
        .await
        .assert_ok();
    s.ok(
        "QueryPaymentResponse",
        &c.get(&format!("/pos/v10/payments/{p2}")).await,
    ); // CancelledByClient

    // Refunds.
    let refund = c.create_refund(&p1, 4.0).await;
    s.ok("CreateRefundResponse", &refund);
    let r = refund.body["refundId"].as_str().unwrap().to_string();
    s.ok(
        "GetRefundResponse",
        &c.get(&format!("/pos/v10/refunds/{r}")).await,
    ); // Initiated
    s.ok(
        "GetRefundResponse",
        &c.get(&format!("/pos/v10/refunds/{r}")).await,
    ); // Reserved
    s.ok(
        "QueryRefundIdsResponse",
        &c.get(&format!("/pos/v10/refunds?paymentId={p1}")).await,
    );
    c.advance(25 * 3600).await;
    s.ok(
        "GetRefundResponse",
        &c.get(&format!("/pos/v10/refunds/{r}")).await,
    ); // ExpiredAndCaptured

    // Errors: ErrorResponse on PoS and payment endpoints, ErrorResponseV2 on refund endpoints.
    let (pos2, _) = c.create_pos().await;
    c.initiate_ok(&pos2, 1.0).await;
    let e = c.initiate(&pos2, 1.0, json!({})).await;
    e.assert_error(409, "1301");
    s.check("ErrorResponse", &e.body);
    let e = c.get("/pos/v10/payments").await;
    e.assert_error(400, "1109");
    s.check("ErrorResponse", &e.body);
    let e = c.create_refund(&p1, 100.0).await;
    e.assert_error(409, "1367");
    s.check("ErrorResponseV2", &e.body);
    let e = c
        .post_empty(&format!("/pos/v10/refunds/{}/capture", uuid()))
        .await;
    e.assert_error(404, "1004");
    s.check("ErrorResponseV2", &e.body);
    let e = send(c.req(Method::GET, "/pos/v10/refunds")).await;
    s.check("ErrorResponseV2", &e.body);
    let other = c.token_for(1, Some("DK90000028")).await;
    let e = send(c.req_as(&other, Method::GET, &format!("/pos/v10/payments/{p1}"))).await;
    e.assert_error(403, "1401");
    s.check("ErrorResponse", &e.body);
    for path in ["/pos/v10/stores", "/pos/v10/refunds"] {
        let fault = json!({ "method": "GET", "path": path, "kind": "error", "code": "2500" });
        c.control(Method::POST, "/_emulator/faults", Some(fault))
            .await
            .assert_ok();
        let e = c.get(path).await;
        e.assert_error(500, "2500");
        s.check(
            if path.contains("refunds") {
                "ErrorResponseV2"
            } else {
                "ErrorResponse"
            },
            &e.body,
        );
    }
}

#[tokio::test]
async fn the_schema_check_itself_can_fail() {
    let s = Schemas::new();
    let bad = json!({ "paymentId": "x", "posId": "y", "orderId": "o", "status": "Unknown", "pollDelayInMs": 1 });
    let result = std::panic::catch_unwind(|| s.check("QueryPaymentResponse", &bad));
    assert!(result.is_err(), "an unknown status must violate the schema");
    let with_origin =
        json!({ "code": "1301", "message": "m", "correlationId": "c", "origin": "PoS" });
    assert!(
        std::panic::catch_unwind(|| s.check("ErrorResponse", &with_origin)).is_err(),
        "ErrorResponse has no origin"
    );
}
