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

// ----- 6. varying pollDelayInMs --------------------------------------------------------------

async fn delays(c: &Ctx, path: &str, n: usize, judge: bool) -> Vec<u64> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut rb = c.req(Method::GET, path);
        if judge {
            rb = rb.header("x-poscert-actor", "judge");
        }
        let r = send(rb).await;
        r.assert_ok();
        out.push(r.body["pollDelayInMs"].as_u64().unwrap());
    }
    out
}

#[tokio::test]
async fn successive_polls_carry_the_scripted_poll_delays() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let (other_pos, _) = c.create_pos().await;
    let put = c
        .control(
            Method::PUT,
            &format!("/_emulator/pointofsales/{pos}/poll-delays"),
            Some(json!({ "payments": [1000, 1500], "checkin": [300] })),
        )
        .await;
    put.assert_ok();
    let pay = c.initiate_ok(&pos, 5.0).await;
    let path = format!("/pos/v10/payments/{pay}");
    assert_eq!(delays(&c, &path, 1, false).await, [1000]);
    // A judge's poll sees what the next client poll gets, without using it up.
    assert_eq!(delays(&c, &path, 2, true).await, [1500, 1500]);
    assert_eq!(delays(&c, &path, 3, false).await, [1500, 1500, 1500]);
    let checkin = format!("/pos/v10/pointofsales/{pos}/checkin");
    assert_eq!(delays(&c, &checkin, 2, false).await, [300, 300]);
    // Another PoS keeps the configured value.
    let other = c.initiate_ok(&other_pos, 5.0).await;
    let other_path = format!("/pos/v10/payments/{other}");
    assert_eq!(delays(&c, &other_path, 2, false).await, [20, 20]);
    // A payment's own sequence wins over its PoS's, and starts counting afresh.
    c.control(
        Method::PUT,
        &format!("/_emulator/payments/{pay}/poll-delays"),
        Some(json!({ "delaysMs": [50, 60] })),
    )
    .await
    .assert_ok();
    assert_eq!(delays(&c, &path, 3, false).await, [50, 60, 60]);
    // Emulator-wide, for refunds; per refund.
    c.control(
        Method::PUT,
        "/_emulator/poll-delays",
        Some(json!({ "refunds": [7, 9] })),
    )
    .await
    .assert_ok();
    let captured = c.captured(10.0).await;
    let refund = c.refund_ok(&captured, 1.0).await;
    let refund_path = format!("/pos/v10/refunds/{refund}");
    assert_eq!(delays(&c, &refund_path, 3, false).await, [7, 9, 9]);
    c.control(
        Method::PUT,
        &format!("/_emulator/refunds/{refund}/poll-delays"),
        Some(json!({ "delaysMs": [11] })),
    )
    .await
    .assert_ok();
    assert_eq!(delays(&c, &refund_path, 1, false).await, [11]);
    let all = c.control(Method::GET, "/_emulator/poll-delays", None).await;
    assert_eq!(all.body["global"], json!({ "refunds": [7, 9] }));
    assert_eq!(
        all.body["pointOfSales"][&pos],
        json!({ "payments": [1000, 1500], "checkin": [300] })
    );
    assert_eq!(all.body["resources"][&pay], json!([50, 60]));
    // Cleared: the configured values again.
    let cleared = c
        .control(Method::DELETE, "/_emulator/poll-delays", None)
        .await;
    assert_eq!(cleared.body["cleared"], 5);
    assert_eq!(delays(&c, &path, 1, false).await, [20]);
    assert_eq!(delays(&c, &refund_path, 1, false).await, [5]);
    // Refused: unknown resources and bad sequences.
    let bad = [
        (
            format!("/_emulator/pointofsales/{}/poll-delays", uuid()),
            json!({ "payments": [1] }),
            404,
        ),
        (
            format!("/_emulator/payments/{refund}/poll-delays"),
            json!({ "delaysMs": [1] }),
            404,
        ),
        (
            format!("/_emulator/payments/{pay}/poll-delays"),
            json!({ "delaysMs": [] }),
            400,
        ),
        (
            format!("/_emulator/pointofsales/{pos}/poll-delays"),
            json!({}),
            400,
        ),
        (
            "/_emulator/poll-delays".to_string(),
            json!({ "payments": [-1] }),
            400,
        ),
    ];
    for (path, body, status) in bad {
        let r = c.control(Method::PUT, &path, Some(body)).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
    }
}

// ----- 7. tokens of one case -----------------------------------------------------------------

/// Status and `moreInformation` of a request with `token`.
async fn with_token(c: &Ctx, token: &str, method: Method, path: &str) -> (u16, String) {
    let r = send(c.req_as(token, method, path)).await;
    let why = r.body["moreInformation"].as_str().unwrap_or("").to_string();
    (r.status, why)
}

#[tokio::test]
async fn a_case_expires_the_token_on_its_own_pos_and_parallel_cases_keep_working() {
    let c = Ctx::start().await;
    // Two cases, one client id and one shared (cached) token, each with its own PoS.
    let shared = c.token.clone();
    let (pos_a, _) = c.create_pos().await;
    let (pos_b, _) = c.create_pos().await;
    let order_a = "order-case-a";
    let pay_a = c
        .initiate(&pos_a, 5.0, json!({ "orderId": order_a }))
        .await
        .body["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    let pay_b = c.initiate_ok(&pos_b, 5.0).await;

    // Case A expires "its client's token" mid-sale.
    let r = c
        .control(
            Method::POST,
            "/_emulator/tokens/expire",
            Some(json!({ "posId": pos_a })),
        )
        .await;
    r.assert_ok();
    assert_eq!(r.body["expired"], json!(true));
    assert_eq!(r.body["posId"], json!(pos_a));
    assert!(r.body["tokensUpTo"].as_u64().unwrap() >= 1);

    let expired = (401, "Token expired".to_string());
    for (method, path) in [
        (Method::GET, format!("/pos/v10/payments/{pay_a}")),
        (Method::GET, format!("/pos/v10/payments?posId={pos_a}")),
        (Method::GET, format!("/pos/v10/payments?orderId={order_a}")),
        (
            Method::GET,
            format!("/pos/v10/pointofsales/{pos_a}/checkin"),
        ),
        (Method::POST, format!("/pos/v10/payments/{pay_a}/cancel")),
    ] {
        assert_eq!(
            with_token(&c, &shared, method, &path).await,
            expired,
            "{path}"
        );
    }
    let r = send(
        c.req_as(&shared, Method::POST, "/pos/v10/payments")
            .header("X-MobilePay-Idempotency-Key", uuid())
            .json(&json!({ "posId": pos_a, "orderId": "o-2", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None" })),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    // Case B, same token, other PoS: untouched, and so are requests about no PoS.
    for path in [
        format!("/pos/v10/payments/{pay_b}"),
        format!("/pos/v10/pointofsales/{pos_b}"),
        "/pos/v10/stores".to_string(),
    ] {
        assert_eq!(
            with_token(&c, &shared, Method::GET, &path).await.0,
            200,
            "{path}"
        );
    }
    // A fresh token works on PoS A at once.
    let fresh = c.token_for(0, Some("DK90000028")).await;
    let path = format!("/pos/v10/payments/{pay_a}/cancel");
    assert_eq!(with_token(&c, &fresh, Method::POST, &path).await.0, 200);

    // By client id: every token of that client issued so far, everywhere; others unaffected.
    let second = c.token_for(1, Some("DK90000028")).await;
    let client = c.emu.seed().integrators[0].client_id.clone();
    let r = c
        .control(
            Method::POST,
            "/_emulator/tokens/revoke",
            Some(json!({ "clientId": client })),
        )
        .await;
    r.assert_ok();
    assert_eq!(r.body["clientId"], json!(client));
    let path = format!("/pos/v10/payments/{pay_b}");
    assert_eq!(
        with_token(&c, &fresh, Method::GET, &path).await,
        (401, "Token revoked".to_string())
    );
    assert_eq!(
        with_token(&c, &second, Method::GET, "/pos/v10/stores")
            .await
            .0,
        200
    );
    let newest = c.token_for(0, Some("DK90000028")).await;
    assert_eq!(with_token(&c, &newest, Method::GET, &path).await.0, 200);

    // Refused scopes.
    for (body, status) in [
        (json!({ "posId": uuid() }), 404),
        (json!({ "clientId": "nobody" }), 404),
        (json!({ "pos": "x" }), 400),
    ] {
        let r = c
            .control(Method::POST, "/_emulator/tokens/expire", Some(body))
            .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
}

// ----- 8. a test user with two cards ---------------------------------------------------------

const TWO_CARDS: &str = "+4520031806";

/// `acceptpayment`, optionally with the emulator-only `paymentSource`.
async fn accept(c: &Ctx, beacon: &str, phone: &str, card: Option<&str>) -> Resp {
    let creds = &c.emu.seed().user_simulation;
    let mut body = json!({ "beaconId": beacon, "phoneNumber": phone });
    if let Some(card) = card {
        body["paymentSource"] = json!(card);
    }
    send(
        c.http
            .post(c.url("/pos/app/usersimulation/acceptpayment"))
            .header("x-ibm-client-id", &creds.client_id)
            .header("x-ibm-client-secret", &creds.client_secret)
            .json(&body),
    )
    .await
}

fn card_and_outcome(r: &Resp) -> (String, String) {
    let h = |n: &str| r.headers[n].to_str().unwrap().to_string();
    (h("x-poscert-card"), h("x-poscert-accept"))
}

#[tokio::test]
async fn the_customer_changes_card_after_the_disallowed_one_is_refused() {
    let c = Ctx::start().await;
    let user = &c.emu.seed().test_users[5];
    assert_eq!(
        (user.phone_number.as_str(), user.cards.len()),
        (TWO_CARDS, 2)
    );
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(TWO_CARDS)).await.assert_ok();
    let pay = c
        .initiate(
            &pos,
            20.0,
            json!({ "restrictions": { "debitCardDisallowed": true } }),
        )
        .await
        .body["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    // The debit card, tried first, is refused: the app shows an error, the payment waits.
    let first = accept(&c, &beacon, TWO_CARDS, None).await;
    first.assert_ok();
    assert_eq!(
        card_and_outcome(&first),
        ("Debit".into(), "RefusedByRestrictions".into())
    );
    assert_eq!(c.status(&pay).await, "IssuedToUser");
    // The customer picks the other card: the sale completes.
    let second = accept(&c, &beacon, TWO_CARDS, None).await;
    assert_eq!(
        card_and_outcome(&second),
        ("Credit".into(), "Reserved".into())
    );
    assert_eq!(c.status(&pay).await, "Reserved");
    c.post(
        &format!("/pos/v10/payments/{pay}/capture"),
        json!({ "amount": 20.0 }),
    )
    .await
    .assert_ok();
    let journal = c
        .journal("path=/pos/app/usersimulation/acceptpayment")
        .await;
    let notes: Vec<_> = journal.iter().map(|e| e["simulation"].clone()).collect();
    assert_eq!(
        notes,
        vec![
            json!({ "paymentSource": "Debit", "outcome": "RefusedByRestrictions" }),
            json!({ "paymentSource": "Credit", "outcome": "Reserved" }),
        ]
    );

    // Chosen explicitly: the credit card under creditCardDisallowed, then the debit card.
    c.sim("checkin", &beacon, Some(TWO_CARDS)).await.assert_ok();
    let pay = c
        .initiate(
            &pos,
            5.0,
            json!({ "restrictions": { "creditCardDisallowed": true } }),
        )
        .await
        .body["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = accept(&c, &beacon, TWO_CARDS, Some("Credit")).await;
    assert_eq!(
        card_and_outcome(&r),
        ("Credit".into(), "RefusedByRestrictions".into())
    );
    let r = accept(&c, &beacon, TWO_CARDS, Some("Debit")).await;
    assert_eq!(card_and_outcome(&r), ("Debit".into(), "Reserved".into()));
    assert_eq!(c.status(&pay).await, "Reserved");

    // A one-card user has no other card; a card type that does not exist is a bad body.
    let (pos, beacon) = c.create_pos().await;
    c.sim("checkin", &beacon, Some(CREDIT)).await.assert_ok();
    c.initiate_ok(&pos, 5.0).await;
    accept(&c, &beacon, CREDIT, Some("Debit"))
        .await
        .assert_error(409, "9006");
    accept(&c, &beacon, CREDIT, Some("Amex"))
        .await
        .assert_error(400, "1099");
    let r = accept(&c, &beacon, CREDIT, None).await;
    assert_eq!(card_and_outcome(&r), ("Credit".into(), "Reserved".into()));
}

// ----- 9. faults on the flows ----------------------------------------------------------------

async fn fault(c: &Ctx, spec: serde_json::Value) {
    c.control(Method::POST, "/_emulator/faults", Some(spec))
        .await
        .assert_ok();
}

/// A creating POST the client gives up on after 100 ms.
async fn post_timing_out(c: &Ctx, path: &str, key: &str, body: &serde_json::Value) {
    let r = c
        .req(Method::POST, path)
        .header("X-MobilePay-Idempotency-Key", key)
        .timeout(std::time::Duration::from_millis(100))
        .json(body)
        .send()
        .await;
    assert!(r.is_err(), "the answer is held past the client's timeout");
}

#[tokio::test]
async fn a_timeout_on_the_initiate_of_one_pos_creates_once_and_the_same_key_retry_gets_it() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    let (other_pos, _) = c.create_pos().await;
    fault(&c, json!({ "method": "POST", "path": "/pos/v10/payments", "bodyContains": pos, "kind": "timeout", "delayMs": 400 })).await;
    // Another PoS's initiate is not matched.
    c.initiate_ok(&other_pos, 1.0).await;
    let body = json!({ "posId": pos, "orderId": "o-t", "amount": 5, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
    post_timing_out(&c, "/pos/v10/payments", "key-t", &body).await;
    // The retry arrives while the first answer is still held: the same payment.
    let retry = c.post_idem("/pos/v10/payments", "key-t", body).await;
    retry.assert_ok();
    let listed = c.get(&format!("/pos/v10/payments?posId={pos}")).await;
    assert_eq!(
        listed.body["paymentIds"],
        json!([retry.body["paymentId"]]),
        "exactly one payment"
    );
}

#[tokio::test]
async fn a_500_on_initiate_prepare_or_refund_creation_processes_nothing() {
    let c = Ctx::start().await;
    let (pos, _) = c.create_pos().await;
    for path in ["/pos/v10/payments", "/pos/v10/payments/prepare"] {
        fault(&c, json!({ "method": "POST", "path": path, "bodyContains": pos, "kind": "status", "status": 500, "code": "2001" })).await;
        let body = json!({ "posId": pos, "orderId": "o-5", "amount": 5, "currencyCode": "DKK", "plannedCaptureDelay": "None" });
        let body = if path.ends_with("prepare") {
            json!({ "posId": pos, "orderId": "o-5" })
        } else {
            body
        };
        c.post_idem(path, "key-5", body.clone())
            .await
            .assert_error(500, "2001");
        let listed = c.get(&format!("/pos/v10/payments?posId={pos}")).await;
        assert_eq!(
            listed.body["paymentIds"],
            json!([]),
            "{path}: nothing created"
        );
        // The retry with the same key is processed normally.
        let created = c.post_idem(path, "key-5", body).await;
        created.assert_ok();
        let id = created.body["paymentId"].as_str().unwrap();
        c.post_empty(&format!("/pos/v10/payments/{id}/cancel"))
            .await
            .assert_ok();
    }
    // Refund creation: a 500, then a timeout, each scoped to one payment.
    let pay = c.captured(10.0).await;
    let refund =
        json!({ "paymentId": pay, "refundOrderId": "r-1", "amount": 2, "currencyCode": "DKK" });
    fault(&c, json!({ "method": "POST", "path": "/pos/v10/refunds", "bodyContains": pay, "kind": "status" })).await;
    c.post_idem("/pos/v10/refunds", "rk", refund.clone())
        .await
        .assert_error(500, "2001");
    let refunds = c.get(&format!("/pos/v10/refunds?paymentId={pay}")).await;
    assert_eq!(refunds.body["refundIds"], json!([]));
    fault(&c, json!({ "method": "POST", "path": "/pos/v10/refunds", "bodyContains": pay, "kind": "timeout", "delayMs": 400 })).await;
    post_timing_out(&c, "/pos/v10/refunds", "rk", &refund).await;
    let retry = c.post_idem("/pos/v10/refunds", "rk", refund).await;
    retry.assert_ok();
    let refunds = c.get(&format!("/pos/v10/refunds?paymentId={pay}")).await;
    assert_eq!(refunds.body["refundIds"], json!([retry.body["refundId"]]));
}

#[tokio::test]
async fn faults_on_the_polls_of_one_payment_and_one_refund_and_on_the_first_capture() {
    let c = Ctx::start().await;
    let (pos, _, pay) = c.reserved(CREDIT, 10.0).await;
    let other = c.initiate_ok(&pos, 1.0).await;
    // The second poll of this payment fails; the others and the other payment's do not.
    let poll = format!("/pos/v10/payments/{pay}");
    fault(&c, json!({ "method": "GET", "path": poll, "after": 1, "kind": "status", "status": 503, "code": "2002" })).await;
    let listed = c.control(Method::GET, "/_emulator/faults", None).await;
    assert_eq!(listed.body["faults"][0]["after"], 1);
    let mut seen = Vec::new();
    for path in [&poll, &format!("/pos/v10/payments/{other}"), &poll, &poll] {
        seen.push(c.get(path).await.status);
    }
    assert_eq!(seen, [200, 200, 503, 200]);

    // The first capture is processed and its answer held; the client's retry is 200 again.
    let capture = format!("/pos/v10/payments/{pay}/capture");
    fault(
        &c,
        json!({ "method": "POST", "path": capture, "kind": "timeout", "delayMs": 400 }),
    )
    .await;
    let r = c
        .req(Method::POST, &capture)
        .timeout(std::time::Duration::from_millis(100))
        .json(&json!({ "amount": 10.0 }))
        .send()
        .await;
    assert!(r.is_err());
    assert_eq!(c.status(&pay).await, "Captured");
    c.post(&capture, json!({ "amount": 10.0 }))
        .await
        .assert_ok();

    // One refund's poll: a 500 is not processed, so it does not reserve the refund.
    let refund = c.refund_ok(&pay, 4.0).await;
    let refund_poll = format!("/pos/v10/refunds/{refund}");
    fault(
        &c,
        json!({ "method": "GET", "path": refund_poll, "kind": "status" }),
    )
    .await;
    let r = c.get(&refund_poll).await;
    r.assert_error(500, "2001");
    assert_eq!(r.body["origin"], "PoS");
    assert_eq!(c.refund_status(&refund).await, "Initiated");
    assert_eq!(c.refund_status(&refund).await, "Reserved");
    let journal = c.journal(&format!("path={refund_poll}")).await;
    let statuses: Vec<u64> = journal
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 200, 200]);
    assert!(journal[0]["fault"].is_string() && journal[1]["fault"].is_null());
}
