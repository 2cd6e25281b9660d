//! The prepared-payment and refund cases against the example harness (issue 10): every injected
//! defect of `examples/adapter/harness.py` that belongs to these flows makes the run fail on the
//! case and step that the defect breaks, with a message that tells the integrator what their
//! client did wrong, and the harness's own `DEFECT <name>` line as evidence that the defect acted;
//! the harness without defects passes every case of the three features; and so does each of its
//! legitimate variants (`POSCERT_ADAPTER_VARIANT`), a client that differs from the reference
//! client and stays within MobilePay's rules.
//!
//! Runs are narrowed with `--filter` to the cases of these features (the onboarding cases they
//! require are `adapter_defects.rs`'s business), and one run at a time: harness cases wait on
//! real polling paces, and two suites sharing two cores would blur the gaps the journal judges.

mod support;

use serde_json::Value;
use std::sync::Mutex;
use support::{repo_root, run_env, step, Run};

const HARNESS: &str = "python3 examples/adapter/harness.py";

/// Harness cases mostly wait (polls at 1000-1500 ms), so more cases at once than CPUs is fine.
const JOBS: &str = "8";

const FEATURE_IDS: [&str; 3] = [
    "prepared-payments",
    "prepared-payments-with-restrictions",
    "refunds",
];
const FEATURES: &str = "prepared-payments,prepared-payments-with-restrictions,refunds";

/// Every case of the three features, and nothing else.
const ALL_CASES: &str =
    "^scenarios/(prepared-payments|prepared-payments-with-restrictions|refunds)/";

static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run_adapter(filter: &str, envs: &[(&str, &str)]) -> Run {
    let _one = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let args = [
        "scenarios",
        "--feature",
        FEATURES,
        "--filter",
        filter,
        "--client",
        "adapter",
        "--adapter",
        HARNESS,
        "--jobs",
        JOBS,
    ];
    run_env(&repo_root(), &args, envs)
}

fn cases(r: &Run) -> &Vec<Value> {
    r.json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases in the report\n{}", r.output()))
}

/// Case files of the three features (not feature.yaml).
fn case_files() -> usize {
    FEATURE_IDS
        .iter()
        .map(|f| {
            std::fs::read_dir(repo_root().join("scenarios").join(f))
                .unwrap()
                .flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(".yaml") && name != "feature.yaml"
                })
                .count()
        })
        .sum()
}

/// Every case of the three features ran and passed, except a case skipped as a whole for the
/// reason it states (one that needs what this run does not configure, such as a check-in
/// callback); nothing but these features' cases ran.
fn assert_all_pass(r: &Run, what: &str) {
    let failures: Vec<String> = cases(r)
        .iter()
        .filter(|c| c["status"] != "passed" && c["status"] != "skipped")
        .map(|c| {
            format!(
                "{} [{}] {}: {}",
                c["id"], c["status"], c["failure"]["step"], c["failure"]["message"]
            )
        })
        .collect();
    assert!(failures.is_empty(), "{what}: {failures:#?}\n{}", r.output());
    assert_eq!(r.code, Some(0), "{what}: {}", r.output());
    assert_eq!(cases(r).len(), case_files(), "{what}: every case file ran");
    for c in cases(r) {
        let id = c["id"].as_str().unwrap_or_default();
        assert!(
            FEATURE_IDS.contains(&c["feature"].as_str().unwrap_or_default()),
            "{what}: {id} is not one of these features' cases"
        );
        if c["status"] == "skipped" {
            assert!(
                c["skipReason"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: a case skipped as a whole says why: {c:#}"
            );
        }
    }
    // Only a case that asks for what the run lacks is skipped (today: the check-in callback).
    let skipped = cases(r).iter().filter(|c| c["status"] == "skipped").count();
    assert!(
        skipped <= 1,
        "{what}: {skipped} cases skipped\n{}",
        r.output()
    );
    assert_eq!(r.json["clientMode"], "adapter");
}

#[test]
fn the_example_harness_passes_every_prepared_payment_and_refund_case() {
    let r = run_adapter(ALL_CASES, &[]);
    assert_all_pass(&r, "no defect, no variant");
    // The staged end of an Initiated refund needs a client that has not looked at it yet; the
    // harness looks at once, so refunds case 7 reports its judgements skipped, with the reason.
    let c = r.case_by_id("scenarios/refunds/07-refund-cancelled-by-mobilepay");
    assert_eq!(
        step(c, "MobilePay cancels the refund on its own")["status"],
        "skipped",
        "{c:#}"
    );
}

/// The defect's run failed on exactly this case and step, with these words in the message, and
/// the harness said the defect acted.
fn assert_defect_caught(
    defect: &str,
    filter: &str,
    case_id: &str,
    step_name: &str,
    words: &[&str],
) -> Run {
    let r = run_adapter(filter, &[("POSCERT_ADAPTER_DEFECT", defect)]);
    assert_eq!(
        r.code,
        Some(1),
        "{defect}: the run must fail\n{}",
        r.output()
    );
    let c = r.case_by_id(case_id);
    let f = &c["failure"];
    assert_eq!(f["category"], "assertion", "{defect}: {c:#}");
    assert_eq!(f["step"], step_name, "{defect}: {f:#}");
    let message = f["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(
            message.contains(w),
            "{defect}: the message should say {w:?}; it says: {message}"
        );
    }
    assert_eq!(step(c, step_name)["status"], "failed", "{defect}");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("adapter stderr") && evidence.contains(&format!("DEFECT {defect}")),
        "{defect}: the harness's log should show the defect acting: {evidence}"
    );
    r
}

#[test]
fn a_new_key_on_the_retried_prepare_fails_prepared_payments_case_6() {
    assert_defect_caught(
        "new-key-on-retry-prepare",
        "^scenarios/prepared-payments/06-",
        "scenarios/prepared-payments/06-retry-a-prepare-that-timed-out",
        "The client retried the held prepare with one idempotency key",
        &[
            "your client must retry a prepare that timed out (POST /payments/prepare), reusing the same X-MobilePay-Idempotency-Key",
            "x-mobilepay-idempotency-key']` differs between requests",
        ],
    );
}

#[test]
fn a_new_key_on_the_retried_refund_fails_refunds_case_5() {
    assert_defect_caught(
        "new-key-on-retry-refund",
        "^scenarios/refunds/05-",
        "scenarios/refunds/05-retry-a-refund-that-timed-out",
        "The client retried the held refund with one idempotency key",
        &[
            "your client must retry a refund that timed out (POST /refunds), reusing the same X-MobilePay-Idempotency-Key",
            "x-mobilepay-idempotency-key']` differs between requests",
        ],
    );
}

#[test]
fn giving_a_refund_up_after_a_failed_poll_fails_refunds_case_6() {
    assert_defect_caught(
        "poll-failure-ends-polling",
        "^scenarios/refunds/06-",
        "scenarios/refunds/06-keep-polling-a-refund-through-failed-polls",
        "The client kept polling the refund after its polls failed",
        &[
            "a poll answered 5xx (or not at all) does not end a refund: your client must keep polling it at the last pollDelayInMs",
            "poll gave up within 10s",
        ],
    );
}

#[test]
fn polling_on_after_cancelled_by_mobilepay_fails_prepared_payments_cases_7_and_8() {
    let step_name = "The client stopped polling once the payment was cancelled";
    let words = [
        "your client must stop polling a payment once it is in a final state",
        "had already shown the final state",
    ];
    let r = assert_defect_caught(
        "mobilepay-end-states-active",
        "^scenarios/prepared-payments/0[78]-",
        "scenarios/prepared-payments/07-cancelled-by-mobilepay-while-paired",
        step_name,
        &words,
    );
    // The same judgement catches it before any customer, too.
    let c = r.case_by_id("scenarios/prepared-payments/08-cancelled-by-mobilepay-before-ready");
    assert_eq!(c["failure"]["step"], step_name, "{c:#}");
    let message = c["failure"]["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(message.contains(w), "{message}");
    }
}

#[test]
fn polling_every_second_whatever_the_pace_fails_prepared_payments_case_1() {
    assert_defect_caught(
        "fixed-1s-polling",
        "^scenarios/prepared-payments/01-",
        "scenarios/prepared-payments/01-complete-a-prepared-payment",
        "The client polled the prepared payment no faster than pollDelayInMs",
        &[
            "your client must wait at least the pollDelayInMs of the previous response before it polls the payment again",
            "but at least 1500 ms were required (the previous response said pollDelayInMs: 1500)",
        ],
    );
}

#[test]
fn not_polling_a_prepared_payment_before_ready_fails_prepared_payments_case_1() {
    assert_defect_caught(
        "no-poll-before-ready",
        "^scenarios/prepared-payments/01-",
        "scenarios/prepared-payments/01-complete-a-prepared-payment",
        "The client polled the payment at least 3 times while the customer waited",
        &[
            "your client must poll the payment (GET /payments/{paymentId}, waiting pollDelayInMs between polls) from the moment it exists",
            "poll gave up within 15s",
        ],
    );
}

/// A legitimate variant (or several) passes every case of the three features.
fn assert_variant_passes(variant: &str) {
    let r = run_adapter(ALL_CASES, &[("POSCERT_ADAPTER_VARIANT", variant)]);
    assert_all_pass(&r, variant);
}

#[test]
fn a_client_with_its_configured_store_id_passes() {
    assert_variant_passes("no-store-lookup");
}

#[test]
fn a_client_that_resends_with_its_first_key_after_1301_passes() {
    assert_variant_passes("same-key-after-1301");
}

#[test]
fn a_client_that_polls_slower_than_asked_passes() {
    assert_variant_passes("slow-polling");
}

#[test]
fn a_client_that_sends_extra_headers_passes() {
    assert_variant_passes("extra-headers");
}

#[test]
fn a_client_that_retries_only_500_and_timeouts_passes() {
    assert_variant_passes("retry-500-and-timeout-only");
}

#[test]
fn a_client_with_a_5_s_timeout_passes() {
    // The held prepare and refund last faultDelayMs, which for a real client beats a certified
    // client's 5 s timeout too (5.6 s): this client times out as well, and retries.
    assert_variant_passes("long-timeout");
}

#[test]
fn a_client_that_sends_a_field_the_spec_does_not_define_passes() {
    assert_variant_passes("extra-field");
}

#[test]
fn a_client_that_answers_a_refund_before_looking_at_it_passes() {
    // Refunds case 7 then stages MobilePay's cancel of the Initiated refund whenever the judge
    // sees the refund before the client's first poll (the harness waits 100 ms): either way
    // every case passes.
    assert_variant_passes("refund-answer-at-once");
}

#[test]
fn a_client_with_every_variant_at_once_passes() {
    assert_variant_passes(
        "no-store-lookup,same-key-after-1301,slow-polling,extra-headers,retry-500-and-timeout-only,long-timeout,extra-field,refund-answer-at-once",
    );
}
