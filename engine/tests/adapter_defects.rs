//! The certification cases against the example harness (issue 4): `examples/adapter/harness.py`
//! passes every case in `--client adapter` mode, and each defect it can inject
//! (`POSCERT_ADAPTER_DEFECT`) makes the run fail on the case and step that the defect breaks,
//! with a message that tells the integrator what their client did wrong. The all-pass run covers
//! every case once; each defect run is filtered to the case the defect breaks.

mod support;

use serde_json::Value;
use support::{repo_root, run_env, step, Run};

const HARNESS: &str = "python3 examples/adapter/harness.py";

/// Harness cases mostly wait (polls at 1000 ms), so more cases at once than CPUs is fine.
const JOBS: &str = "8";

fn run_adapter(filter: Option<&str>, defect: Option<&str>) -> Run {
    let mut args = vec![
        "scenarios",
        "--client",
        "adapter",
        "--adapter",
        HARNESS,
        "--jobs",
        JOBS,
    ];
    if let Some(f) = filter {
        args.extend(["--filter", f]);
    }
    let envs: Vec<(&str, &str)> = defect
        .map(|d| vec![("POSCERT_ADAPTER_DEFECT", d)])
        .unwrap_or_default();
    run_env(&repo_root(), &args, &envs)
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

/// Case files under scenarios/ (not features, not fragments).
fn case_files() -> usize {
    fn walk(dir: &std::path::Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|f| f != "fragments") {
                    walk(&path, n);
                }
            } else if path.extension().is_some_and(|e| e == "yaml")
                && path.file_name().is_some_and(|f| f != "feature.yaml")
            {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(&repo_root().join("scenarios"), &mut n);
    n
}

#[test]
fn the_example_harness_passes_every_case() {
    // With a check-in callback in the identity, so that the notification case (prepared
    // payments case 9, skipped for a client without one) runs as well.
    let config = tempfile::tempdir().unwrap();
    let config_file = config.path().join("poscert.yaml");
    std::fs::write(
        &config_file,
        "identity:\n  systemName: Example harness\n  version: 1.0.0\n  callback: { alias: poscert-example, url: https://pos.example.invalid/notify }\n",
    )
    .unwrap();
    let config_file = config_file.display().to_string();
    let args = [
        "scenarios",
        "--client",
        "adapter",
        "--adapter",
        HARNESS,
        "--jobs",
        JOBS,
        "--config",
        &config_file,
    ];
    let r = run_env(&repo_root(), &args, &[]);
    let s = &r.json["summary"];
    let failures: Vec<String> = r.json["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] != "passed")
        .map(|c| {
            format!(
                "{} [{}] {}: {}",
                c["id"], c["status"], c["failure"]["step"], c["failure"]["message"]
            )
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}\n{}", r.output());
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert_eq!(s["total"], case_files(), "every case file ran: {s}");
    assert_eq!(s["passed"], s["total"], "{s}");
    assert_eq!(r.json["clientMode"], "adapter");
    // The cashier was the harness in every case; the customer was simulated.
    let mut cashier_steps = 0;
    for c in r.json["cases"].as_array().unwrap() {
        let mut ops = Vec::new();
        operator_steps(&c["steps"], &mut ops);
        for op in ops {
            if op["role"] == "cashier" {
                cashier_steps += 1;
                assert_eq!(op["actor"], "adapter", "{}: {op:#}", c["id"]);
                assert_eq!(op["outcome"], "done", "{}: {op:#}", c["id"]);
            } else {
                assert_eq!(op["actor"], "simulated", "{}: {op:#}", c["id"]);
            }
        }
    }
    assert!(
        cashier_steps >= s["total"].as_u64().unwrap(),
        "{cashier_steps}"
    );
}

/// The defect's run failed on exactly this case and step, with these words in the message.
fn assert_defect_caught(
    defect: &str,
    case_filter: &str,
    case_id: &str,
    step_name: &str,
    category: &str,
    words: &[&str],
) -> Run {
    let r = run_adapter(Some(case_filter), Some(defect));
    assert_eq!(
        r.code,
        Some(1),
        "{defect}: the run must fail\n{}",
        r.output()
    );
    let c = r.case_by_id(case_id);
    let f = &c["failure"];
    assert_eq!(f["category"], category, "{defect}: {c:#}");
    assert_eq!(f["step"], step_name, "{defect}: {f:#}");
    let message = f["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(
            message.contains(w),
            "{defect}: the message should say {w:?}; it says: {message}"
        );
    }
    // The step that failed is the one reported, not a later consequence.
    assert_ne!(step(c, step_name)["status"], "passed", "{defect}");
    // The harness's own log came along as evidence.
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("adapter stderr") && evidence.contains("harness:"),
        "{defect}: {evidence}"
    );
    r
}

#[test]
fn a_new_idempotency_key_on_retry_fails_onboarding_case_1() {
    assert_defect_caught(
        "new-idempotency-key-on-retry",
        "^scenarios/onboarding/01-",
        "scenarios/onboarding/01-onboard-a-pos",
        "The client retried the timeout and the 500 with one idempotency key",
        "assertion",
        &[
            "your client must retry a create that timed out or failed with 5xx, reusing the same X-MobilePay-Idempotency-Key",
            "x-mobilepay-idempotency-key']` differs between requests",
        ],
    );
}

#[test]
fn polling_too_fast_fails_payments_case_1() {
    assert_defect_caught(
        "poll-too-fast",
        "^scenarios/payments/01-",
        "scenarios/payments/01-complete-a-payment",
        "The client never polled faster than pollDelayInMs",
        "assertion",
        &[
            "waiting at least pollDelayInMs between two polls",
            "but at least 1000 ms were required (the previous response said pollDelayInMs: 1000)",
        ],
    );
}

#[test]
fn capturing_before_reserved_fails_payments_case_1() {
    assert_defect_caught(
        "capture-without-reserved",
        "^scenarios/payments/01-",
        "scenarios/payments/01-complete-a-payment",
        "No capture so far was refused",
        "assertion",
        &[
            "your client must capture only once the payment is Reserved",
            "$.status: expected 200, got 409",
        ],
    );
}

#[test]
fn giving_up_on_1301_fails_payments_case_4() {
    assert_defect_caught(
        "give-up-on-1301",
        "^scenarios/payments/04-",
        "scenarios/payments/04-clean-up-an-active-payment",
        "Cashier starts the sale while another payment is active",
        "operator",
        &[
            "the client reported that start-payment failed",
            "a payment is already active on the PoS (409/1301)",
        ],
    );
}

#[test]
fn not_cancelling_a_restricted_payment_fails_restrictions_case_1() {
    assert_defect_caught(
        "no-cancel-on-restriction-failure",
        "^scenarios/payments-with-restrictions/01-",
        "scenarios/payments-with-restrictions/01-debit-card-disallowed",
        "The client cancels the payment once the cashier aborts the sale",
        "assertion",
        &["$.status: expected \"CancelledByClient\", got \"IssuedToUser\""],
    );
}

#[test]
fn an_unknown_defect_name_is_a_harness_that_exits_saying_why() {
    let r = run_adapter(Some("^scenarios/onboarding/03-"), Some("typo"));
    assert_eq!(r.code, Some(1), "{}", r.output());
    let f = &r.case_by_id("scenarios/onboarding/03-onboard-the-final-pos")["failure"];
    assert_eq!(f["category"], "operator", "{f:#}");
    assert_eq!(
        f["message"],
        "the adapter exited with status 2 before answering onboard-pos"
    );
    assert!(
        f["evidence"]
            .to_string()
            .contains("unknown POSCERT_ADAPTER_DEFECT 'typo'"),
        "{f:#}"
    );
}
