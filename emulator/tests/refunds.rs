//! The refund state machine of notes §5.4 and the refund error codes (1001, 1004, 1110,
//! 1351, 1352, 1354, 1365, 1366, 1367, 1402), with `ErrorResponseV2` bodies (`origin`).

mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn refund_initiated_then_reserved_on_poll_then_captured() {
    let c = Ctx::start().await;
    let pay = c.captured(50.0).await;
    let refund = c.refund_ok(&pay, 20.0).await;
    // Capturing before the backend reserved it (before any poll) is 1351.
    let early = c
        .post_empty(&format!("/pos/v10/refunds/{refund}/capture"))
        .await;
    early.assert_error(409, "1351");
    assert_eq!(early.body["origin"], "PoS");

    let first = c.get(&format!("/pos/v10/refunds/{refund}")).await;
    first.assert_ok();
    assert_eq!(
        first.body,
        json!({ "refundId": refund, "paymentId": pay, "refundOrderId": "refund-1", "amount": 20.0, "currencyCode": "DKK", "status": "Initiated", "pollDelayInMs": 5 })
    );
    assert_eq!(c.refund_status(&refund).await, "Reserved");
    c.post_empty(&format!("/pos/v10/refunds/{refund}/capture"))
        .await
        .assert_ok();
    assert_eq!(c.refund_status(&refund).await, "Captured");
    c.post_empty(&format!("/pos/v10/refunds/{refund}/capture"))
        .await
        .assert_ok();
    c.post_empty(&format!("/pos/v10/refunds/{refund}/cancel"))
        .await
        .assert_error(409, "1352");
    let list = c.get(&format!("/pos/v10/refunds?paymentId={pay}")).await;
    assert_eq!(list.body["refundIds"], json!([refund]));
}

#[tokio::test]
async fn refund_cancelled_from_initiated_and_from_reserved() {
    let c = Ctx::start().await;
    let pay = c.captured(50.0).await;
    let a = c.refund_ok(&pay, 50.0).await;
    c.post_empty(&format!("/pos/v10/refunds/{a}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.refund_status(&a).await, "CancelledByClient");
    c.post_empty(&format!("/pos/v10/refunds/{a}/cancel"))
        .await
        .assert_ok();
    c.post_empty(&format!("/pos/v10/refunds/{a}/capture"))
        .await
        .assert_error(409, "1351");

    // The cancelled refund no longer counts against the captured amount.
    let b = c.refund_ok(&pay, 50.0).await;
    assert_eq!(c.refund_status(&b).await, "Initiated");
    assert_eq!(c.refund_status(&b).await, "Reserved");
    c.post_empty(&format!("/pos/v10/refunds/{b}/cancel"))
        .await
        .assert_ok();
    assert_eq!(c.refund_status(&b).await, "CancelledByClient");
}

#[tokio::test]
async fn reserved_refund_is_captured_automatically_after_24_hours() {
    let mut c = Ctx::start().await;
    let pay = c.captured(30.0).await;
    let r = c.refund_ok(&pay, 30.0).await;
    c.refund_status(&r).await;
    c.advance(23 * 3600).await;
    assert_eq!(c.refund_status(&r).await, "Reserved");
    c.advance(3600).await;
    assert_eq!(c.refund_status(&r).await, "ExpiredAndCaptured");
    c.post_empty(&format!("/pos/v10/refunds/{r}/cancel"))
        .await
        .assert_error(409, "1352");
    c.create_refund(&pay, 0.01).await.assert_error(409, "1367");
}

#[tokio::test]
async fn refund_creation_conflicts() {
    let mut c = Ctx::start().await;
    // 1001: unknown payment.
    c.create_refund(&uuid(), 1.0)
        .await
        .assert_error(409, "1001");
    // 1354: payment not captured (reserved).
    let (_, _, reserved) = c.reserved(CREDIT, 10.0).await;
    let r = c.create_refund(&reserved, 1.0).await;
    r.assert_error(409, "1354");
    assert_eq!(r.body["origin"], "PoS");
    // 1365: other currency.
    let pay = c.captured(40.0).await;
    let r = c
        .post_idem(
            "/pos/v10/refunds",
            &uuid(),
            json!({ "paymentId": pay, "refundOrderId": "r", "amount": 1, "currencyCode": "EUR" }),
        )
        .await;
    r.assert_error(409, "1365");
    // 1367: the sum of refunds would exceed the captured amount.
    c.refund_ok(&pay, 25.0).await;
    c.create_refund(&pay, 15.01).await.assert_error(409, "1367");
    c.refund_ok(&pay, 15.0).await;
    // Partial capture: refunds are limited by the captured (not reserved) amount.
    let (_, _, partial) = c.reserved(PARTIAL, 100.0).await;
    c.post(
        &format!("/pos/v10/payments/{partial}/capture"),
        json!({ "amount": 60 }),
    )
    .await
    .assert_ok();
    c.create_refund(&partial, 60.01)
        .await
        .assert_error(409, "1367");
    // 1366: more than 90 days after capture.
    c.advance(91 * 24 * 3600).await;
    c.create_refund(&partial, 1.0)
        .await
        .assert_error(409, "1366");
}

#[tokio::test]
async fn refund_not_found_and_filters() {
    let c = Ctx::start().await;
    let missing = uuid();
    assert_eq!(
        c.get(&format!("/pos/v10/refunds/{missing}")).await.status,
        404
    );
    let r = c
        .post_empty(&format!("/pos/v10/refunds/{missing}/capture"))
        .await;
    r.assert_error(404, "1004");
    assert_eq!(r.body["origin"], "PoS");
    assert_eq!(
        c.post_empty(&format!("/pos/v10/refunds/{missing}/cancel"))
            .await
            .status,
        404
    );
    let r = c.get("/pos/v10/refunds").await;
    r.assert_error(400, "1110");
    assert_eq!(r.body["origin"], "PoS");
    let r = c.get("/pos/v10/refunds?paymentId=not-a-guid").await;
    r.assert_error(400, "1099");
}

#[tokio::test]
async fn refunds_of_another_integrator_are_1402() {
    let c = Ctx::start().await;
    let pay = c.captured(10.0).await;
    let refund = c.refund_ok(&pay, 5.0).await;
    let other = c.token_for(1, Some("DK90000028")).await;
    for (m, path) in [
        (Method::GET, format!("/pos/v10/refunds/{refund}")),
        (Method::POST, format!("/pos/v10/refunds/{refund}/capture")),
        (Method::POST, format!("/pos/v10/refunds/{refund}/cancel")),
    ] {
        let r = send(c.req_as(&other, m, &path)).await;
        r.assert_error(403, "1402");
        assert_eq!(r.body["origin"], "PoS");
    }
    // The other integrator cannot refund the payment either (1401), nor see the refunds.
    let r = send(c.req_as(&other, Method::POST, "/pos/v10/refunds").header("X-MobilePay-Idempotency-Key", uuid()).json(&json!({ "paymentId": pay, "refundOrderId": "x", "amount": 1, "currencyCode": "DKK" }))).await;
    r.assert_error(403, "1401");
    let list = send(c.req_as(
        &other,
        Method::GET,
        &format!("/pos/v10/refunds?paymentId={pay}"),
    ))
    .await;
    assert_eq!(list.body["refundIds"], json!([]));
    assert_eq!(
        c.refund_status(&refund).await,
        "Initiated",
        "untouched by the other integrator"
    );
}

/// poscert's judge (`X-Poscert-Actor: judge`) only observes: its polls never reserve a refund,
/// so in adapter mode it is the client's own poll that moves it on, as against MobilePay.
#[tokio::test]
async fn a_judge_poll_does_not_reserve_the_refund() {
    let c = Ctx::start().await;
    let pay = c.captured(50.0).await;
    let refund = c.refund_ok(&pay, 20.0).await;
    for _ in 0..3 {
        let seen = send(
            c.req(Method::GET, &format!("/pos/v10/refunds/{refund}"))
                .header("x-poscert-actor", "judge"),
        )
        .await;
        seen.assert_ok();
        assert_eq!(seen.body["status"], "Initiated");
    }
    c.post_empty(&format!("/pos/v10/refunds/{refund}/capture"))
        .await
        .assert_error(409, "1351");
    // The client's own first poll is what reserves it.
    assert_eq!(c.refund_status(&refund).await, "Initiated");
    assert_eq!(c.refund_status(&refund).await, "Reserved");
}
