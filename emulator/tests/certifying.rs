//! Controls that give certification cases more power (issue 10), over real HTTP: MobilePay's
//! end of one payment, varying `pollDelayInMs`, tokens expired for one case, a test user with
//! two cards, and faults on every step of the flows.

mod common;
use common::*;
use reqwest::Method;
use serde_json::json;

async fn end(c: &Ctx, kind: &str, id: &str, status: &str) -> Resp {
    c.control(
        Method::POST,
        &format!("/_emulator/{kind}/{id}/end"),
        Some(json!({ "status": status })),
    )
    .await
}

// ----- 5. end states decided by MobilePay, per payment -----------------------------------

#[tokio::test]
async fn mobilepay_cancels_one_active_payment_and_expires_one_reserved_payment() {
    let c = Ctx::start().await;
    let (pos, beacon) = c.create_pos().await;
    let (other_pos, _) = c.create_pos().await;
    let other = c.initiate_ok(&other_pos, 3.0).await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let issued = c.initiate_ok(&pos, 5.0).await;
    assert_eq!(c.status(&issued).await, "IssuedToUser");

    // Only from the states where MobilePay could do it.
    let refused = end(&c, "payments", &issued, "ExpiredAndCancelled").await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["status"], "IssuedToUser");
    assert_eq!(refused.body["allowedFrom"], json!(["Reserved"]));
    let done = end(&c, "payments", &issued, "CancelledByMobilePay").await;
    done.assert_ok();
    assert_eq!(
        done.body,
        json!({ "paymentId": issued, "status": "CancelledByMobilePay", "previous": "IssuedToUser" })
    );
    assert_eq!(c.status(&issued).await, "CancelledByMobilePay");
    // The PoS is free again and the customer has left; the other PoS's payment is untouched.
    let checkin = c.get(&format!("/pos/v10/pointofsales/{pos}/checkin")).await;
    assert_eq!(checkin.body["isUserCheckedIn"], json!(false));
    assert_eq!(c.status(&other).await, "Initiated");
    c.post_empty(&format!("/pos/v10/payments/{issued}/cancel"))
        .await
        .assert_error(409, "1300");

    // A reserved payment: only ExpiredAndCancelled, and it can no longer be captured.
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    let reserved = c.initiate_ok(&pos, 7.0).await;
    c.sim("acceptpayment", &beacon, Some(CREDIT))
        .await
        .assert_ok();
    assert_eq!(
        end(&c, "payments", &reserved, "CancelledByMobilePay")
            .await
            .status,
        409
    );
    end(&c, "payments", &reserved, "ExpiredAndCancelled")
        .await
        .assert_ok();
    let p = c.payment(&reserved).await;
    assert_eq!(p["status"], "ExpiredAndCancelled");
    let clock = c.control(Method::GET, "/_emulator/clock", None).await;
    assert!(p["paymentExpiresAt"].as_str() <= clock.body["now"].as_str());
    c.post(
        &format!("/pos/v10/payments/{reserved}/capture"),
        json!({ "amount": 7.0 }),
    )
    .await
    .assert_error(409, "1304");

    // Unknown ids and bad bodies.
    assert_eq!(
        end(&c, "payments", &uuid(), "CancelledByMobilePay")
            .await
            .status,
        404
    );
    assert_eq!(end(&c, "payments", &other, "Captured").await.status, 400);
    assert_eq!(c.status(&other).await, "Initiated");
}

#[tokio::test]
async fn mobilepay_cancels_an_initiated_refund_and_captures_a_reserved_one_early() {
    let c = Ctx::start().await;
    let pay = c.captured(10.0).await;
    let first = c.refund_ok(&pay, 2.0).await;
    assert_eq!(
        end(&c, "refunds", &first, "ExpiredAndCaptured")
            .await
            .status,
        409
    );
    let r = end(&c, "refunds", &first, "CancelledByMobilePay").await;
    r.assert_ok();
    assert_eq!(r.body["previous"], "Initiated");
    assert_eq!(c.refund_status(&first).await, "CancelledByMobilePay");
    let second = c.refund_ok(&pay, 3.0).await;
    assert_eq!(c.refund_status(&second).await, "Initiated");
    end(&c, "refunds", &second, "ExpiredAndCaptured")
        .await
        .assert_ok();
    assert_eq!(c.refund_status(&second).await, "ExpiredAndCaptured");
    assert_eq!(
        end(&c, "refunds", &uuid(), "CancelledByMobilePay")
            .await
            .status,
        404
    );
}
