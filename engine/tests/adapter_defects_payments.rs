//! The payment cases' certifying power (issue 10), proved with the example harness
//! (`examples/adapter/harness.py`) in `--client adapter` mode:
//!
//! - the harness passes every case of `payments` and `payments-with-restrictions`, as is and with
//!   each of its legitimate variants (`POSCERT_ADAPTER_VARIANT`, read from the harness itself, so
//!   a new variant is covered the day it is added) and with all of them at once: a correct client
//!   that differs from the engine's reference client is never failed;
//! - each injected defect that belongs to payments (`POSCERT_ADAPTER_DEFECT`) fails the case and
//!   the step that catches it, with a message that tells the integrator what their client did
//!   wrong, and with the harness's own log attached as evidence.
//!
//! Every run selects the payment features (`--feature payments,payments-with-restrictions`) and
//! narrows them with `--filter`: the whole of both features for the passing runs (onboarding,
//! which they require, is another file's business), the case that catches the defect for each
//! defect run. A defect run checks the case, the step and the words, not the exit code alone.

mod support;

use serde_json::Value;
use std::process::Command;
use support::{repo_root, run_env, step, Run};

const HARNESS: &str = "python3 examples/adapter/harness.py";

/// Harness cases mostly wait (a real client's 1000 ms pace), so more cases than CPUs at once.
const JOBS: &str = "8";

const FEATURES: &str = "payments,payments-with-restrictions";

/// Every case of both payment features, and nothing of what they require.
const ALL_PAYMENT_CASES: &str = "^scenarios/payments(/|-with-restrictions/)";

fn run_adapter(filter: &str, envs: &[(&str, &str)], extra: &[&str]) -> Run {
    let mut args = vec![
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
    args.extend_from_slice(extra);
    run_env(&repo_root(), &args, envs)
}

/// The ids of the case files of both payment features (`scenarios/payments/01-complete-a-payment`).
fn payment_case_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for feature in ["payments", "payments-with-restrictions"] {
        let dir = repo_root().join("scenarios").join(feature);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".yaml") && name != "feature.yaml" {
                ids.push(format!(
                    "scenarios/{feature}/{}",
                    name.trim_end_matches(".yaml")
                ));
            }
        }
    }
    ids.sort();
    ids
}

/// A name list the harness defines (`VARIANTS` or `DEFECTS`), read from the harness itself.
fn harness_names(table: &str) -> Vec<String> {
    let program = format!(
        "import sys; sys.path.insert(0, 'examples/adapter'); import harness; print('\\n'.join(sorted(harness.{table})))"
    );
    let mut cmd = Command::new("python3");
    cmd.current_dir(repo_root()).args(["-c", &program]);
    for name in support::CLEARED_ENV {
        cmd.env_remove(name);
    }
    let out = cmd.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "reading harness.{table}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The advisory a client that sends a field the spec does not define is warned with (the
/// `extra-field` variant does so on purpose: a warning, never a failure).
const UNKNOWN_FIELD_ADVISORY: &str = "JSON field the PoS v10 spec does not define";

/// Every case of both payment features ran and passed; a sentence per one that did not.
fn failures_of_payment_cases(r: &Run) -> Vec<String> {
    failures_of_payment_cases_allowing(r, &[])
}

/// As [`failures_of_payment_cases`], with warnings whose message holds one of `allowed` expected.
fn failures_of_payment_cases_allowing(r: &Run, allowed: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let cases = r.json["cases"].as_array().cloned().unwrap_or_default();
    for id in payment_case_ids() {
        match cases.iter().find(|c| c["id"] == id.as_str()) {
            None => problems.push(format!("{id}: did not run")),
            Some(c) if c["status"] != "passed" => problems.push(format!(
                "{id} [{}] {}: {}",
                c["status"], c["failure"]["step"], c["failure"]["message"]
            )),
            Some(c) => {
                // Advisory judgements warn without failing: a correct client gets none either,
                // except the ones its variant exists to show.
                let unexpected: Vec<&Value> = c["warnings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|w| {
                        let message = w["message"].as_str().unwrap_or("");
                        !allowed.iter().any(|a| message.contains(a))
                    })
                    .collect();
                if !unexpected.is_empty() {
                    problems.push(format!(
                        "{id}: {} warning(s): {unexpected:?}",
                        unexpected.len()
                    ));
                }
            }
        }
    }
    problems
}

/// Every operator step in a case's report, at any depth.
fn operator_steps(steps: &Value, out: &mut Vec<Value>) {
    for s in steps.as_array().into_iter().flatten() {
        if s["operator"].is_object() {
            out.push(s["operator"].clone());
        }
        operator_steps(&s["children"], out);
    }
}

#[test]
fn the_example_harness_passes_every_payment_case() {
    let r = run_adapter(ALL_PAYMENT_CASES, &[], &[]);
    let problems = failures_of_payment_cases(&r);
    assert!(problems.is_empty(), "{problems:#?}\n{}", r.output());
    assert_eq!(r.json["clientMode"], "adapter");
    assert!(payment_case_ids().len() >= 18, "{:?}", payment_case_ids());
    // The harness was the cashier in every case, and did every cashier action.
    for c in r.json["cases"].as_array().unwrap() {
        let mut ops = Vec::new();
        operator_steps(&c["steps"], &mut ops);
        for op in ops.iter().filter(|op| op["role"] == "cashier") {
            assert_eq!(op["actor"], "adapter", "{}: {op:#}", c["id"]);
            assert_eq!(op["outcome"], "done", "{}: {op:#}", c["id"]);
        }
    }
}

#[test]
fn each_legitimate_variant_of_the_harness_passes_every_payment_case() {
    let variants = harness_names("VARIANTS");
    for known in [
        "same-key-after-1301",
        "slow-polling",
        "extra-headers",
        "retry-500-and-timeout-only",
        "long-timeout",
    ] {
        assert!(
            variants.iter().any(|v| v == known),
            "{known} in {variants:?}"
        );
    }
    let mut runs: Vec<String> = variants.clone();
    runs.push(variants.join(",")); // and all of them at once
                                   // Two runs at a time: a harness run mostly waits (a real client's pace), so two share the
                                   // CPUs without slowing each other enough to matter, and the test takes half the time.
    let problems: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = runs
            .chunks(runs.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    let mut problems = Vec::new();
                    for v in chunk {
                        let r = run_adapter(
                            ALL_PAYMENT_CASES,
                            &[("POSCERT_ADAPTER_VARIANT", v.as_str())],
                            // The default calibration: a fault's hold beats a certified
                            // client's 5 s timeout too (long-timeout), no --var needed.
                            &[],
                        );
                        let allowed: &[&str] = if v.split(',').any(|one| one == "extra-field") {
                            &[UNKNOWN_FIELD_ADVISORY]
                        } else {
                            &[]
                        };
                        for p in failures_of_payment_cases_allowing(&r, allowed) {
                            problems.push(format!("POSCERT_ADAPTER_VARIANT={v}: {p}"));
                        }
                    }
                    problems
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a variant run"))
            .collect()
    });
    assert!(problems.is_empty(), "{problems:#?}");
}

/// What a defect run must show in one case.
struct Caught<'a> {
    case_id: &'a str,
    step: &'a str,
    category: &'a str,
    words: &'a [&'a str],
}

/// Runs the cases `filter` selects with the defect, and checks that each case of `caught` failed
/// at its step, with its words in the message and the harness's log (naming the defect) attached.
fn assert_defect_caught(defect: &str, filter: &str, caught: &[Caught]) -> Run {
    assert!(
        harness_names("DEFECTS").iter().any(|d| d == defect),
        "the harness has no defect {defect}"
    );
    let r = run_adapter(filter, &[("POSCERT_ADAPTER_DEFECT", defect)], &[]);
    assert_eq!(
        r.code,
        Some(1),
        "{defect}: the run must fail\n{}",
        r.output()
    );
    for want in caught {
        let c = r.case_by_id(want.case_id);
        let f = &c["failure"];
        // An assertion fails the case; an operator's failure is an error of it.
        let status = if want.category == "assertion" {
            "failed"
        } else {
            "error"
        };
        assert_eq!(c["status"], status, "{defect}: {}: {c:#}", want.case_id);
        assert_eq!(f["category"], want.category, "{defect}: {f:#}");
        assert_eq!(f["step"], want.step, "{defect}: {f:#}");
        let message = f["message"].as_str().unwrap_or_default();
        for w in want.words {
            assert!(
                message.contains(w),
                "{defect}: {}: the message should say {w:?}; it says: {message}",
                want.case_id
            );
        }
        // The step that failed is the one reported, not a later consequence.
        assert_ne!(step(c, want.step)["status"], "passed", "{defect}");
        // The harness's own log came along as evidence, and it says the defect acted.
        let evidence = f["evidence"].to_string();
        assert!(
            evidence.contains("adapter stderr") && evidence.contains(&format!("DEFECT {defect}")),
            "{defect}: {evidence}"
        );
    }
    r
}

#[test]
fn a_new_key_on_a_retried_initiate_fails_payments_case_7() {
    assert_defect_caught(
        "new-key-on-retry-initiate",
        "^scenarios/payments/07-",
        &[Caught {
            case_id: "scenarios/payments/07-retry-an-initiate-that-timed-out",
            step: "Every initiate of the sale carried one idempotency key",
            category: "assertion",
            words: &[
                "your client must retry an initiate that timed out with the same X-MobilePay-Idempotency-Key",
                "x-mobilepay-idempotency-key']` differs between requests",
            ],
        }],
    );
}

#[test]
fn a_new_key_on_any_retried_create_fails_payments_case_7() {
    assert_defect_caught(
        "new-idempotency-key-on-retry",
        "^scenarios/payments/07-",
        &[Caught {
            case_id: "scenarios/payments/07-retry-an-initiate-that-timed-out",
            step: "Every initiate of the sale carried one idempotency key",
            category: "assertion",
            words: &["with a new key the API takes the retry for a new payment"],
        }],
    );
}

#[test]
fn giving_up_on_a_failed_poll_fails_payments_case_8() {
    assert_defect_caught(
        "poll-failure-ends-polling",
        "^scenarios/payments/08-",
        &[Caught {
            case_id: "scenarios/payments/08-keep-polling-through-failed-polls",
            step: "The client kept polling the payment after its polls failed",
            category: "assertion",
            words: &[
                "a poll answered 5xx (or not at all) does not end the sale: your client must keep polling the payment at the last pollDelayInMs the API gave",
                "$.entries[-1].status: expected 200, got 500",
            ],
        }],
    );
}

#[test]
fn not_retrying_a_capture_answered_500_fails_payments_case_9() {
    assert_defect_caught(
        "capture-500-not-retried",
        "^scenarios/payments/09-",
        &[Caught {
            case_id: "scenarios/payments/09-retry-a-capture-answered-500",
            step: "The client sent the capture again after the 500",
            category: "assertion",
            words: &[
                "a capture answered 5xx was not done: your client must send it again",
                "$.entries[-1].status: expected 200, got 500",
            ],
        }],
    );
}

#[test]
fn polling_on_after_mobilepay_ended_the_payment_fails_payments_cases_10_and_11() {
    let stopped = "The client stopped polling once the payment was cancelled";
    let words: &[&str] = &[
        "your client must stop polling a payment once it is in a final state",
        "came after request",
    ];
    assert_defect_caught(
        "mobilepay-end-states-active",
        "^scenarios/payments/1[01]-",
        &[
            Caught {
                case_id: "scenarios/payments/10-payment-cancelled-by-mobilepay",
                step: stopped,
                category: "assertion",
                words,
            },
            Caught {
                case_id: "scenarios/payments/11-reservation-expired-by-mobilepay",
                step: stopped,
                category: "assertion",
                words,
            },
        ],
    );
}

#[test]
fn cancelling_a_reserved_sale_on_1301_fails_payments_case_4() {
    assert_defect_caught(
        "cleanup-cancels-reserved",
        "^scenarios/payments/04-",
        &[Caught {
            case_id: "scenarios/payments/04-clean-up-an-active-payment",
            step: "The reserved sale is left alone",
            category: "assertion",
            words: &[
                "a Reserved payment is not active and does not block a new one",
                "got \"CancelledByClient\"",
            ],
        }],
    );
}

#[test]
fn giving_up_on_1301_fails_payments_case_4() {
    assert_defect_caught(
        "give-up-on-1301",
        "^scenarios/payments/04-",
        &[Caught {
            case_id: "scenarios/payments/04-clean-up-an-active-payment",
            step: "Cashier starts the sale while another payment is active",
            category: "operator",
            words: &[
                "the client reported that start-payment failed",
                "a payment is already active on the PoS (409/1301)",
            ],
        }],
    );
}

#[test]
fn sending_dkk_for_a_sale_in_eur_fails_payments_case_12() {
    assert_defect_caught(
        "always-dkk",
        "^scenarios/payments/12-",
        &[Caught {
            case_id: "scenarios/payments/12-pay-in-euro",
            step: "The client sent the sale's currency on the initiate",
            category: "assertion",
            words: &[
                "your client must send the sale's currencyCode (DKK or EUR) on the initiate",
                "$.body.currencyCode: expected \"EUR\", got \"DKK\"",
            ],
        }],
    );
}

#[test]
fn disallowing_debit_cards_unasked_fails_payments_case_13_and_restrictions_case_2() {
    assert_defect_caught(
        "always-debit-disallowed",
        "^scenarios/payments(/13|-with-restrictions/02)-",
        &[
            Caught {
                case_id: "scenarios/payments/13-paid-by-debit-card",
                step: "The client disallowed no card on a sale without restrictions",
                category: "assertion",
                words: &["the sale had no card restrictions: your client must send restrictions only when the sale has them"],
            },
            Caught {
                case_id: "scenarios/payments-with-restrictions/02-credit-card-disallowed",
                step: "The client sent the sale's restriction on the initiate, and only that one",
                category: "assertion",
                words: &["and no other restriction the sale does not have", "got [true,true]"],
            },
        ],
    );
}

#[test]
fn polling_every_second_whatever_the_api_says_fails_payments_case_14() {
    assert_defect_caught(
        "fixed-1s-polling",
        "^scenarios/payments/14-",
        &[Caught {
            case_id: "scenarios/payments/14-polling-at-the-pace-the-api-sets",
            step: "The client waited the pollDelayInMs of each response before polling again",
            category: "assertion",
            words: &[
                "your client must wait the pollDelayInMs of the latest response before it polls again",
                "(the previous response said pollDelayInMs: 1500)",
            ],
        }],
    );
}

#[test]
fn polling_too_fast_fails_payments_case_14() {
    assert_defect_caught(
        "poll-too-fast",
        "^scenarios/payments/14-",
        &[Caught {
            case_id: "scenarios/payments/14-polling-at-the-pace-the-api-sets",
            step: "The client waited the pollDelayInMs of each response before polling again",
            category: "assertion",
            words: &["but at least 1000 ms were required (the previous response said pollDelayInMs: 1000)"],
        }],
    );
}

#[test]
fn no_new_token_after_a_401_fails_payments_case_15() {
    assert_defect_caught(
        "no-token-refresh",
        "^scenarios/payments/15-",
        &[Caught {
            case_id: "scenarios/payments/15-token-expires-mid-sale",
            step: "After the expiry the client's calls about the sale got through again",
            category: "assertion",
            words: &[
                "when a call answers 401, your client must fetch a new token",
                "$.entries[-1].status: expected 200, got 401",
            ],
        }],
    );
}

#[test]
fn capturing_before_reserved_fails_payments_case_13() {
    assert_defect_caught(
        "capture-without-reserved",
        "^scenarios/payments/13-",
        &[Caught {
            case_id: "scenarios/payments/13-paid-by-debit-card",
            step: "No capture so far was refused",
            category: "assertion",
            words: &[
                "your client must capture only once the payment is Reserved",
                "$.status: expected 200, got 409",
            ],
        }],
    );
}

#[test]
fn not_cancelling_a_restricted_payment_fails_restrictions_case_1() {
    assert_defect_caught(
        "no-cancel-on-restriction-failure",
        "^scenarios/payments-with-restrictions/01-",
        &[Caught {
            case_id: "scenarios/payments-with-restrictions/01-debit-card-disallowed",
            step: "The client cancels the payment once the cashier aborts the sale",
            category: "assertion",
            words: &["your client must cancel the payment (POST .../cancel) when the cashier aborts the sale"],
        }],
    );
}
