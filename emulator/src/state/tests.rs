//! Store tests that go through several operation files under one lock: uniqueness rules,
//! one active payment per PoS, the 403 codes, check-in → accept → expiry, refund limits.

use super::payment::{AcceptOutcome, PaymentDetails, PaymentStatus};
use super::{MerchantKey, NewPos, Owner, Store};
use crate::config::EmulatorConfig;
use crate::errors::{ApiError, ErrorCode};
use crate::seed::{Seed, CERT_INACTIVE_STORE_ID, CERT_STORE_ID, SECOND_STORE_ID};
use crate::validation::parse_guid;
use chrono::{Duration, Utc};
use uuid::Uuid;

fn setup() -> (Store, Seed, EmulatorConfig, Owner) {
    let config = EmulatorConfig::default();
    (
        Store::default(),
        Seed::from_config(&config),
        config,
        Owner {
            client_id: "c".into(),
            merchant: MerchantKey::Known(0),
        },
    )
}

fn new_pos(mps: &str, store: &str, beacon: Option<&str>) -> NewPos {
    NewPos {
        merchant_pos_id: mps.into(),
        store_id: parse_guid(store).unwrap(),
        name: "Till".into(),
        beacon_id: beacon.map(str::to_string),
        callback_alias: None,
        supported_beacon_types: vec!["QR"],
        require_payment_before_checkin: false,
    }
}

fn details() -> PaymentDetails {
    PaymentDetails {
        amount: 1000,
        currency: "DKK",
        restrictions: None,
        label: None,
        planned_capture_delay: "None",
    }
}

#[test]
fn pos_uniqueness_and_store_rules() {
    let (mut s, seed, _, me) = setup();
    s.create_pos(
        &seed,
        &me,
        new_pos("a", CERT_STORE_ID, Some("123456789012345")),
    )
    .unwrap();
    let e = |r: Result<Uuid, ApiError>| r.err().and_then(|e| e.error_code());
    assert_eq!(
        e(s.create_pos(&seed, &me, new_pos("a", CERT_STORE_ID, None))),
        Some(ErrorCode::MerchantPosIdExists)
    );
    assert_eq!(
        e(s.create_pos(
            &seed,
            &me,
            new_pos("b", CERT_STORE_ID, Some("123456789012345"))
        )),
        Some(ErrorCode::BeaconIdExists)
    );
    assert_eq!(
        e(s.create_pos(&seed, &me, new_pos("c", SECOND_STORE_ID, None))),
        Some(ErrorCode::StoreOtherMerchant)
    );
    assert_eq!(
        e(s.create_pos(
            &seed,
            &me,
            new_pos("c", "00000000-0000-0000-0000-000000000001", None)
        )),
        Some(ErrorCode::StoreNotFound409)
    );
}

#[test]
fn one_active_payment_per_pos_and_inactive_store() {
    let (mut s, seed, config, me) = setup();
    let now = Utc::now();
    let pos = s
        .create_pos(&seed, &me, new_pos("a", CERT_STORE_ID, None))
        .unwrap();
    let p1 = s
        .initiate(&seed, &config, &me, pos, "o1".into(), details(), now)
        .unwrap();
    let second = s.initiate(&seed, &config, &me, pos, "o2".into(), details(), now);
    assert_eq!(
        second.err().and_then(|e| e.error_code()),
        Some(ErrorCode::PaymentAlreadyActive)
    );
    s.cancel(&me, &p1.to_string(), now).unwrap();
    assert!(s
        .initiate(&seed, &config, &me, pos, "o2".into(), details(), now)
        .is_ok());
    let inactive = s
        .create_pos(&seed, &me, new_pos("b", CERT_INACTIVE_STORE_ID, None))
        .unwrap();
    let r = s.prepare(&seed, &config, &me, inactive, "o3".into(), now);
    assert_eq!(
        r.err().and_then(|e| e.error_code()),
        Some(ErrorCode::StoreNotActive)
    );
}

#[test]
fn owners_get_403_codes() {
    let (mut s, seed, config, me) = setup();
    let now = Utc::now();
    let pos = s
        .create_pos(&seed, &me, new_pos("a", CERT_STORE_ID, None))
        .unwrap();
    let pay = s
        .initiate(&seed, &config, &me, pos, "o1".into(), details(), now)
        .unwrap();
    let other_integrator = Owner {
        client_id: "x".into(),
        merchant: MerchantKey::Known(0),
    };
    let other_merchant = Owner {
        client_id: "c".into(),
        merchant: MerchantKey::Known(1),
    };
    let code = |r: Result<(), ApiError>| r.err().and_then(|e| e.error_code());
    assert_eq!(
        code(s.cancel(&other_integrator, &pay.to_string(), now)),
        Some(ErrorCode::PaymentOtherIntegrator)
    );
    assert_eq!(
        code(s.cancel(&other_merchant, &pay.to_string(), now)),
        Some(ErrorCode::CancelOtherMerchant)
    );
    assert_eq!(
        code(s.delete_pos(&other_merchant, &pos.to_string(), now)),
        Some(ErrorCode::DeletePosOtherMerchant)
    );
    assert_eq!(
        code(s.delete_pos(&other_integrator, &pos.to_string(), now)),
        Some(ErrorCode::PosOtherIntegrator)
    );
}

#[test]
fn check_in_accept_and_expiry_through_the_store() {
    let (mut s, seed, config, me) = setup();
    let now = Utc::now();
    let pos = s
        .create_pos(
            &seed,
            &me,
            new_pos("a", CERT_STORE_ID, Some("123456789012345")),
        )
        .unwrap();
    s.sim_check_in(&seed, "123456789012345", "+4520031801", now)
        .unwrap();
    let pay = s
        .initiate(&seed, &config, &me, pos, "o1".into(), details(), now)
        .unwrap();
    assert_eq!(s.payments[&pay].status, PaymentStatus::IssuedToUser);
    assert_eq!(
        s.sim_accept(&seed, &config, "123456789012345", "+4520031801", None, now)
            .ok()
            .map(|(o, _)| o),
        Some(AcceptOutcome::Reserved)
    );
    assert!(
        s.poses[&pos].active_payment.is_none(),
        "a reserved payment frees the PoS"
    );
    assert!(s.poses[&pos].checked_in.is_none(), "the customer has left");
    s.tick(now + Duration::days(7) + Duration::seconds(1), &config);
    assert_eq!(s.payments[&pay].status, PaymentStatus::ExpiredAndCancelled);
}

#[test]
fn refund_limits() {
    let (mut s, seed, config, me) = setup();
    let now = Utc::now();
    let pos = s
        .create_pos(
            &seed,
            &me,
            new_pos("a", CERT_STORE_ID, Some("123456789012345")),
        )
        .unwrap();
    s.sim_check_in(&seed, "123456789012345", "+4520031801", now)
        .unwrap();
    let pay = s
        .initiate(&seed, &config, &me, pos, "o1".into(), details(), now)
        .unwrap();
    let code = |r: Result<Uuid, ApiError>| r.err().and_then(|e| e.error_code());
    assert_eq!(
        code(s.create_refund(&config, &me, pay, "r".into(), 100, "DKK", now)),
        Some(ErrorCode::PaymentNotCaptured)
    );
    s.sim_accept(&seed, &config, "123456789012345", "+4520031801", None, now)
        .unwrap();
    s.capture(&me, &pay.to_string(), 1000, now).unwrap();
    assert_eq!(
        code(s.create_refund(&config, &me, pay, "r".into(), 100, "EUR", now)),
        Some(ErrorCode::RefundCurrencyDiffers)
    );
    let r1 = s
        .create_refund(&config, &me, pay, "r1".into(), 600, "DKK", now)
        .unwrap();
    assert_eq!(
        code(s.create_refund(&config, &me, pay, "r2".into(), 401, "DKK", now)),
        Some(ErrorCode::RefundAmountTooHigh)
    );
    s.cancel_refund(&me, &r1.to_string(), now).unwrap();
    assert!(s
        .create_refund(&config, &me, pay, "r2".into(), 1000, "DKK", now)
        .is_ok());
    assert_eq!(
        code(s.create_refund(
            &config,
            &me,
            pay,
            "r3".into(),
            1,
            "DKK",
            now + Duration::days(91)
        )),
        Some(ErrorCode::PaymentTooOld)
    );
}

#[test]
fn a_deleted_pos_is_released_with_what_only_it_reached() {
    let (mut s, seed, config, me) = setup();
    let now = Utc::now();
    let pos = s
        .create_pos(&seed, &me, new_pos("a", CERT_STORE_ID, None))
        .unwrap();
    let other = s
        .create_pos(&seed, &me, new_pos("b", CERT_STORE_ID, None))
        .unwrap();
    let p1 = s
        .initiate(&seed, &config, &me, pos, "o1".into(), details(), now)
        .unwrap();
    let p2 = s
        .initiate(&seed, &config, &me, other, "o2".into(), details(), now)
        .unwrap();
    let ids = s.ids_of_pos(pos);
    assert!(ids.contains(&pos.to_string()) && ids.contains(&p1.to_string()));
    assert!(!ids.contains(&p2.to_string()));
    // Not deleted: its case may not be over.
    assert!(!s.release_pos(pos));
    assert!(s.payments.contains_key(&p1));
    s.delete_pos(&me, &pos.to_string(), now).unwrap();
    assert!(s.release_pos(pos));
    assert!(!s.poses.contains_key(&pos) && !s.payments.contains_key(&p1));
    assert!(s.poses.contains_key(&other) && s.payments.contains_key(&p2));
    // Gone is gone: a delete or a read of it is 404, as for a PoS deleted and remembered.
    assert!(matches!(
        s.delete_pos(&me, &pos.to_string(), now),
        Err(ApiError::NotFound)
    ));
    assert!(!s.release_pos(pos));
}
