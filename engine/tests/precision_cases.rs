//! Issue 11, precision: the certification cases never fail a client MobilePay would certify.
//! Each test drives the real binary (and, for most, the example adapter harness,
//! `examples/adapter/harness.py`, with one of its legitimate variants or injected defects)
//! through the repository's cases:
//!
//! - onboarding judges where the PoS ended up (the certification store), not how the client
//!   found the store (`no-store-lookup`); a 404 on a retried DELETE is done; the faults' hold
//!   beats a certified client's 5 s timeout (`long-timeout`);
//! - a 409/1301 refused request bound no key, so re-sending it with its key after the clean-up
//!   passes (`same-key-after-1301`);
//! - an unknown JSON field is an advisory warning that names it (`extra-field`);
//! - refunds case 2 does not need a client poll the flow does not guarantee
//!   (`refund-answer-at-once`);
//! - the check-in notification case runs for a client with a callback in poscert.yaml, fails a
//!   client that answers the notification 500 or never polls the check-in, and is skipped whole,
//!   with its reason, for a client without one and for the reference client; a case's own
//!   `when:`/`if:`/`skip_reason:` make that possible and such a case does not block a certificate;
//! - every legitimate variant of the harness passes every case.
//!
//! Adapter suites run one at a time (a lock): they share two cores with the engine and the
//! emulator, and polling judgements measure time.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use support::{repo_root, run, run_env, run_plain, step, Run};

const HARNESS: &str = "python3 examples/adapter/harness.py";
/// Harness cases mostly wait (polls at 1000 ms), so more cases at once than CPUs is fine.
const JOBS: &str = "8";
const CALLBACK_CASE: &str = "scenarios/prepared-payments/09-sale-on-a-check-in-notification";
const CALLBACK_FILTER: &str = "check-in notification";

/// One adapter run at a time.
static SUITE: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SUITE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A poscert.yaml in a temp folder (certificates and the ledger go there too).
fn config(callback: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("poscert.yaml");
    let mut text = String::from("identity:\n  systemName: Example harness\n  version: 1.0.0\n");
    if callback {
        text.push_str(
            "  callback: { alias: poscert-example, url: https://pos.example.invalid/notify }\n",
        );
    }
    text.push_str("reports: { certificateDir: certs, ledger: ledger.json }\n");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// `scenarios` through the example harness, from the repository root.
fn adapter(extra: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut args = vec![
        "scenarios",
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

fn variant(name: &str) -> Vec<(&str, &str)> {
    vec![("POSCERT_ADAPTER_VARIANT", name)]
}

fn cases(r: &Run) -> &Vec<Value> {
    r.json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases\n{}", r.output()))
}

/// Every case of the run that did not pass, with why.
fn not_passed(r: &Run) -> Vec<String> {
    cases(r)
        .iter()
        .filter(|c| c["status"] != "passed")
        .map(|c| {
            format!(
                "{} [{}] {}: {}{}",
                c["id"].as_str().unwrap_or("?"),
                c["status"].as_str().unwrap_or("?"),
                c["failure"]["step"].as_str().unwrap_or("-"),
                c["failure"]["message"].as_str().unwrap_or(""),
                c["skipReason"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn assert_all_passed(r: &Run, what: &str) {
    let bad = not_passed(r);
    assert!(bad.is_empty(), "{what}: {bad:#?}\n{}", r.output());
    assert_eq!(r.code, Some(0), "{what}\n{}", r.output());
}

// ---- a case that rules itself out ---------------------------------------------------------------

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

const PLAIN_CASE: &str = r#"name: Look up the store
case: 1
steps:
  - request:
      url: "{{pos}}/stores"
      query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
      expect: { status: 200 }
"#;

/// Applies only with a callback; its setup and steps would fail if they ran without one.
const CALLBACK_ONLY: &str = r#"name: Needs a callback
case: 2
if: '{{has "callbackAlias"}}'
skip_reason: "no callback in poscert.yaml ({{clientMode}} client)"
setup:
  - assert: { vars: { callbackAlias: { type: string } } }
steps:
  - assert: { vars: { callbackAlias: acme-pos, callbackUrl: "https://pos.acme.example/notify" } }
finally:
  - assert: { vars: { callbackAlias: { type: string } } }
"#;

const ADAPTER_ONLY: &str = r#"name: Only for a harness
case: 3
when: [adapter, operator]
steps:
  - assert: { vars: { clientMode: adapter } }
"#;

fn skip_project(config: Option<&str>) -> tempfile::TempDir {
    let mut files = vec![
        ("cases/onboarding/feature.yaml", "name: Onboarding\n"),
        ("cases/onboarding/01-plain.yaml", PLAIN_CASE),
        ("cases/onboarding/02-callback.yaml", CALLBACK_ONLY),
        ("cases/onboarding/03-adapter.yaml", ADAPTER_ONLY),
    ];
    if let Some(c) = config {
        files.push(("poscert.yaml", c));
    }
    tree(&files)
}

fn only_file(dir: &Path, suffix: &str) -> String {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read_to_string(&files[0]).unwrap()
}

#[test]
fn a_case_that_does_not_apply_is_skipped_whole_with_its_reason() {
    let dir = skip_project(None);
    let r = run(dir.path(), &["cases"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let c = r.case_by_id("onboarding/02-callback");
    assert_eq!(c["status"], "skipped", "{c:#}");
    assert_eq!(
        c["skipReason"],
        "no callback in poscert.yaml (reference client)"
    );
    // Nothing of it ran: not its setup, steps or finally.
    assert_eq!(c["steps"].as_array().map(Vec::len), Some(0), "{c:#}");
    assert!(c["failure"].is_null());
    let c = r.case_by_id("onboarding/03-adapter");
    assert_eq!(c["status"], "skipped");
    assert_eq!(
        c["skipReason"],
        "only for client mode adapter/operator; this run uses reference"
    );
    assert_eq!(r.case_by_id("onboarding/01-plain")["status"], "passed");
    // The console and JUnit say why.
    assert!(
        r.stdout
            .contains("    skipped: no callback in poscert.yaml (reference client)"),
        "{}",
        r.output()
    );
    assert!(
        r.junit
            .contains("<skipped message=\"no callback in poscert.yaml (reference client)\""),
        "{}",
        r.junit
    );
}

#[test]
fn the_identity_callback_makes_the_case_run_and_a_skipped_case_does_not_block_the_certificate() {
    let with = "identity:\n  systemName: Acme POS\n  version: 2.1.0\n  callback: { alias: acme-pos, url: https://pos.acme.example/notify }\nreports: { certificateDir: certs, ledger: ledger.json }\n";
    let dir = skip_project(Some(with));
    let r = run(dir.path(), &["cases"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let c = r.case_by_id("onboarding/02-callback");
    assert_eq!(c["status"], "passed", "{c:#}");

    // Without a callback the case is skipped, and the feature is still certified (as a
    // rehearsal here): the certificate lists the case as skipped, with the reason.
    let without =
        "identity:\n  systemName: Acme POS\n  version: 2.1.0\nreports: { certificateDir: certs, ledger: ledger.json }\n";
    let dir = skip_project(Some(without));
    let r = run(dir.path(), &["cases"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let certs = dir.path().join("certs");
    let cert: Value = serde_json::from_str(&only_file(&certs, ".json")).unwrap();
    let listed = cert["features"][0]["cases"].as_array().unwrap();
    let skipped = listed
        .iter()
        .find(|c| c["id"].as_str().unwrap().ends_with("02-callback"))
        .unwrap_or_else(|| panic!("{cert:#}"));
    assert_eq!(skipped["verdict"], "skipped");
    assert_eq!(
        skipped["skipReason"],
        "no callback in poscert.yaml (reference client)"
    );
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/certificate.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&cert)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let md = only_file(&certs, ".md");
    assert!(
        md.contains("skipped (no callback in poscert.yaml (reference client))"),
        "{md}"
    );
}

#[test]
fn a_skip_reason_without_if_is_a_load_error_and_a_broken_if_an_error_of_the_case() {
    let dir = tree(&[
        ("cases/onboarding/feature.yaml", "name: Onboarding\n"),
        (
            "cases/onboarding/01-reason.yaml",
            "name: Reason only\nskip_reason: why\nsteps:\n  - wait: 1ms\n",
        ),
    ]);
    let r = run_plain(dir.path(), &["validate", "cases"]);
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("`skip_reason` says why the case is skipped when its `if:` is false; write the `if:` too")
            && r.stderr.contains("01-reason.yaml:2:14"),
        "{}",
        r.output()
    );

    let dir = tree(&[
        ("cases/onboarding/feature.yaml", "name: Onboarding\n"),
        (
            "cases/onboarding/01-broken.yaml",
            "name: Broken if\nif: '{{nosuchvar}}'\nsteps:\n  - wait: 1ms\n",
        ),
    ]);
    let r = run(dir.path(), &["cases"]);
    assert_eq!(r.code, Some(1), "{}", r.output());
    let f = &r.case_by_id("onboarding/01-broken")["failure"];
    assert_eq!(f["category"], "configuration", "{f:#}");
    assert!(
        f["message"].as_str().unwrap().starts_with("if: ") && f["line"] == 2,
        "{f:#}"
    );
}

// ---- onboarding ---------------------------------------------------------------------------------

#[test]
fn a_client_that_does_not_look_the_store_up_passes_onboarding() {
    let _one = one_at_a_time();
    let r = adapter(&["--feature", "onboarding"], &variant("no-store-lookup"));
    assert_all_passed(&r, "no-store-lookup");
    let c = r.case_by_id("scenarios/onboarding/01-onboard-a-pos");
    assert_eq!(
        step(
            c,
            "The PoS is on the certification store with the requested beacon"
        )["status"],
        "passed"
    );
}

#[test]
fn a_404_on_a_retried_delete_is_done_and_a_5_s_timeout_is_judged_on_its_retries() {
    let _one = one_at_a_time();
    let r = adapter(&["--filter", "^scenarios/onboarding/02-"], &[]);
    assert_all_passed(&r, "offboarding");
    let c = r.case_by_id("scenarios/onboarding/02-offboard-a-pos");
    let op = &step(c, "Cashier offboards the PoS")["operator"];
    assert_eq!(op["outcome"], "done", "{op:#}");
    assert!(
        op["message"]
            .as_str()
            .is_some_and(|m| m.contains("an earlier attempt deleted it")),
        "the harness met 404 on its retry and took it as done: {op:#}"
    );
    assert_eq!(step(c, "The PoS is gone")["status"], "passed");

    // NaviPartner's certified client waits 5 s for a POST or DELETE: the held create and delete
    // outlast that too, so it times out, retries, and passes.
    let r = adapter(&["--feature", "onboarding"], &variant("long-timeout"));
    assert_all_passed(&r, "long-timeout");
}

// ---- payments: the retried key after 1301 -------------------------------------------------------

#[test]
fn resending_with_the_first_key_after_the_1301_clean_up_passes() {
    let _one = one_at_a_time();
    let r = adapter(
        &["--filter", "^scenarios/(prepared-)?payments/04-"],
        &variant("same-key-after-1301"),
    );
    assert_all_passed(&r, "same-key-after-1301");
    let ids: Vec<&str> = cases(&r).iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "scenarios/payments/04-clean-up-an-active-payment",
            "scenarios/prepared-payments/04-clean-up-an-active-payment"
        ]
    );
}

// ---- unknown JSON fields ------------------------------------------------------------------------

#[test]
fn an_unknown_json_field_is_an_advisory_warning_that_names_it() {
    let _one = one_at_a_time();
    let r = adapter(&["--feature", "onboarding"], &variant("extra-field"));
    assert_all_passed(&r, "extra-field");
    for c in cases(&r) {
        let warnings = c["warnings"]
            .as_array()
            .unwrap_or_else(|| panic!("no warning in {}: {c:#}", c["id"]));
        let w = warnings
            .iter()
            .find(|w| w["step"] == "The client sent no JSON field the spec does not define")
            .unwrap_or_else(|| panic!("{warnings:#?}"));
        let message = w["message"].as_str().unwrap();
        assert!(message.contains("tillComment"), "{message}");
        assert!(
            message.contains("a JSON field the PoS v10 spec does not define"),
            "{message}"
        );
        assert!(
            w["because"].as_str().unwrap().contains("[inferred]"),
            "{w:#}"
        );
    }
    assert!(r.stdout.contains("WARNING (advisory"), "{}", r.output());
    assert!(!r.junit.contains("<failure"), "{}", r.junit);

    // The same client without the extra field: no warning.
    let r = adapter(&["--feature", "onboarding"], &[]);
    assert_all_passed(&r, "plain");
    for c in cases(&r) {
        assert!(c["warnings"].is_null(), "{c:#}");
    }
}

// ---- refunds case 2 -----------------------------------------------------------------------------

#[test]
fn a_cashier_cancel_before_the_clients_first_poll_passes_refunds_case_2() {
    let _one = one_at_a_time();
    // The harness answers start-refund before looking at the refund; the cashier cancels at
    // once, so the client's first poll (100 ms later) comes after the cancel, or after the
    // judgement. Before the fix every such run failed ("expected >= 1 matching requests").
    for i in 0..5 {
        let r = adapter(
            &["--feature", "refunds", "--filter", "Cancel a refund"],
            &variant("refund-answer-at-once"),
        );
        assert_all_passed(&r, &format!("run {i}"));
        assert_eq!(cases(&r).len(), 1);
    }
}

// ---- the check-in notification service ----------------------------------------------------------

fn callback_run(envs: &[(&str, &str)]) -> Run {
    let (_dir, path) = config(true);
    let path = path.display().to_string();
    adapter(&["--config", &path, "--filter", CALLBACK_FILTER], envs)
}

#[test]
fn the_check_in_notification_case_passes_with_a_harness_serving_callbacks() {
    let _one = one_at_a_time();
    let r = callback_run(&[]);
    assert_all_passed(&r, "callbacks");
    let c = r.case_by_id(CALLBACK_CASE);
    let op = &step(
        c,
        "Cashier onboards the PoS with the client's callback alias",
    )["operator"];
    assert!(
        op["values"]["callbackUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:")),
        "{op:#}"
    );
    for name in [
        "The PoS carries the client's callback alias",
        "Register the client's URL for its callback alias",
        "The client's endpoint answered the notification 200 OK",
        "The payment is paired at once with the customer who checked in",
        "The client polled the check-in after the notification",
        "The client never polled check-in faster than pollDelayInMs",
    ] {
        assert_eq!(step(c, name)["status"], "passed", "{name}");
    }
}

fn assert_callback_failure(defect: &str, step_name: &str, words: &[&str]) {
    let _one = one_at_a_time();
    let r = callback_run(&[("POSCERT_ADAPTER_DEFECT", defect)]);
    assert_eq!(r.code, Some(1), "{defect}\n{}", r.output());
    let f = &r.case_by_id(CALLBACK_CASE)["failure"];
    assert_eq!(f["category"], "assertion", "{f:#}");
    assert_eq!(f["step"], step_name, "{f:#}");
    let message = f["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(message.contains(w), "{defect}: {w:?} not in {message}");
    }
    assert!(
        f["evidence"]
            .to_string()
            .contains(&format!("DEFECT {defect}")),
        "{f:#}"
    );
}

#[test]
fn a_notification_endpoint_that_answers_500_fails_the_case() {
    assert_callback_failure(
        "callback-500",
        "The client's endpoint answered the notification 200 OK",
        &[
            "your check-in notification endpoint must answer 200 OK",
            "$.status: expected 200, got 500",
        ],
    );
}

#[test]
fn a_client_that_never_polls_the_check_in_fails_the_case() {
    assert_callback_failure(
        "no-checkin-poll",
        "The client polled the check-in after the notification",
        &[
            "on a check-in notification your client must poll GET /pointofsales/{posId}/checkin",
            "expected a value >= 1 matching requests, saw 0",
        ],
    );
}

#[test]
fn without_a_callback_in_poscert_yaml_the_case_is_skipped_with_the_reason() {
    let _one = one_at_a_time();
    let (_dir, path) = config(false);
    let path = path.display().to_string();
    let r = adapter(&["--config", &path, "--filter", CALLBACK_FILTER], &[]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let c = r.case_by_id(CALLBACK_CASE);
    assert_eq!(c["status"], "skipped", "{c:#}");
    assert!(
        c["skipReason"]
            .as_str()
            .is_some_and(|s| s.contains("poscert.yaml gives no identity.callback")),
        "{c:#}"
    );
    assert!(
        r.stdout
            .contains("skipped: the client has no check-in notification callback"),
        "{}",
        r.output()
    );
}

#[test]
fn in_reference_mode_the_case_is_skipped_not_failed() {
    let r = run(&repo_root(), &["scenarios", "--filter", CALLBACK_FILTER]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let c = r.case_by_id(CALLBACK_CASE);
    assert_eq!(c["status"], "skipped", "{c:#}");
    assert_eq!(
        c["skipReason"],
        "only for client mode adapter/operator; this run uses reference"
    );
}

// ---- every legitimate variant, every case -------------------------------------------------------

/// Cases a variant still fails, with the reason; each is a case (someone else's to fix) that is
/// stricter than MobilePay. Empty when every variant passes everything.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

#[test]
fn every_legitimate_variant_of_the_harness_passes_every_case() {
    let _one = one_at_a_time();
    let variants: Vec<String> = {
        // The harness's own list, so that a new variant is covered without editing this test.
        let text =
            std::fs::read_to_string(repo_root().join("examples/adapter/harness.py")).unwrap();
        let start = text.find("VARIANTS = {").expect("VARIANTS in the harness");
        let end = start + text[start..].find("\n}").unwrap();
        text[start..end]
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split_once("\": "))
            .map(|(name, _)| name.to_string())
            .collect()
    };
    assert!(variants.len() >= 8, "{variants:?}");
    // With a callback in the identity, so the check-in notification case runs too.
    let (_dir, path) = config(true);
    let path = path.display().to_string();
    let mut problems = Vec::new();
    for v in &variants {
        let r = adapter(&["--config", &path], &variant(v));
        for bad in not_passed(&r) {
            let known = KNOWN_FAILURES
                .iter()
                .any(|(kv, case, _)| kv == v && bad.starts_with(case));
            if !known {
                problems.push(format!("{v}: {bad}"));
            }
        }
        let s = &r.json["summary"];
        assert_eq!(s["skipped"], 0, "{v}: {s}");
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
