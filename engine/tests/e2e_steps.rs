//! Every step kind, passing and failing, through the real binary against the embedded emulator:
//! `fixtures/steps/` holds one passing and one failing case per kind, run together once; each
//! test checks the verdict and what a user reads about it (step, file:line:col, expected vs
//! actual, category) in the JSON report and on the console.

mod support;

use serde_json::Value;
use std::sync::OnceLock;
use support::{fixtures, run, run_plain, step, Run};

/// One run of every step fixture (the embedded emulator, reference client).
fn steps_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(&fixtures(), &["steps"]))
}

fn case(file: &str) -> &'static Value {
    steps_run().case(&format!("steps/{file}"))
}

fn assert_passed(file: &str) {
    let c = case(file);
    assert_eq!(c["status"], "passed", "{file}: {:#}", c["failure"]);
    assert_eq!(c["failure"], Value::Null);
}

/// The failure of a failing case, checked for its status, category, step and position.
fn assert_failed(
    file: &str,
    status: &str,
    category: &str,
    step_name: &str,
    at: (&str, u64, u64),
) -> &'static Value {
    let c = case(file);
    assert_eq!(c["status"], status, "{file}: {c:#}");
    let f = &c["failure"];
    assert_eq!(f["category"], category, "{file}: {f:#}");
    assert_eq!(f["step"], step_name, "{file}: {f:#}");
    assert_eq!(
        (
            f["file"].as_str().unwrap(),
            f["line"].as_u64().unwrap(),
            f["column"].as_u64().unwrap()
        ),
        at,
        "{file}: {f:#}"
    );
    f
}

#[test]
fn the_run_exits_1_and_counts_every_verdict() {
    let r = steps_run();
    assert_eq!(r.code, Some(1), "{}", r.output());
    let s = &r.json["summary"];
    assert_eq!(s["total"], 16, "{s}");
    assert_eq!(s["passed"], 8, "{s}");
    assert_eq!(s["failed"], 6, "{s}");
    assert_eq!(s["errored"], 2, "{s}");
    assert!(
        r.stdout.contains("8 passed, 8 failed, 0 skipped"),
        "{}",
        r.output()
    );
}

#[test]
fn request_passes_with_captures_and_a_named_schema() {
    assert_passed("request-pass.yaml");
    let c = case("request-pass.yaml");
    let find = step(c, "Find the certification store");
    let store_id = find["captures"][0]["value"].as_str().unwrap();
    assert_eq!(find["captures"][0]["name"], "storeId");
    let read = step(c, "Read the store");
    let url = read["attempts"][0]["request"]["url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/pos/v10/stores/{store_id}")),
        "{url}"
    );
    assert_eq!(read["attempts"][0]["response"]["status"], 200);
    // The engine adds the PoS headers and never records the token.
    let headers = &read["attempts"][0]["request"]["headers"];
    assert!(
        headers
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "Authorization" && h[1] == "Bearer ***"),
        "{headers}"
    );
}

#[test]
fn request_fails_with_expected_and_actual_at_the_matcher() {
    let f = assert_failed(
        "request-fail.yaml",
        "failed",
        "assertion",
        "Read a store that does not exist",
        ("steps/request-fail.yaml", 9, 15),
    );
    assert_eq!(f["expected"], "200");
    assert_eq!(f["actual"], "404");
    assert_eq!(f["message"], "status: expected 200, got 404");
    let c = case("request-fail.yaml");
    assert_eq!(step(c, "Never reached")["status"], "skipped");
    assert_eq!(
        step(c, "Never reached")["skipReason"],
        "not run: an earlier step failed"
    );
    // The console says the same, with the request and the response.
    let out = &steps_run().stdout;
    let block = out
        .split("FAIL  payments: request fails")
        .nth(1)
        .unwrap_or_else(|| panic!("no FAIL line for the case:\n{out}"));
    for line in [
        "status: expected 200, got 404",
        "step: Read a store that does not exist",
        "at (steps/request-fail.yaml:9:15)",
        "expected: 200",
        "actual:   404",
        "> GET http://127.0.0.1:",
        "> Authorization: Bearer ***",
        "< 404",
    ] {
        assert!(block.contains(line), "missing `{line}` in:\n{block}");
    }
}

#[test]
fn operator_runs_its_automate_steps_for_the_reference_client() {
    assert_passed("operator-pass.yaml");
    let s = step(case("operator-pass.yaml"), "Cashier looks up the store");
    assert_eq!(s["kind"], "operator");
    assert_eq!(s["operator"]["actor"], "reference");
    assert_eq!(s["operator"]["outcome"], "done");
    assert_eq!(s["operator"]["action"], "cancel-payment");
    assert_eq!(
        s["children"][0]["name"],
        "The reference client reads the stores"
    );
    assert_eq!(s["children"][0]["status"], "passed");
}

#[test]
fn operator_fails_when_its_automate_step_fails() {
    let f = assert_failed(
        "operator-fail.yaml",
        "failed",
        "assertion",
        "The reference client expects a created store",
        ("steps/operator-fail.yaml", 13, 29),
    );
    assert_eq!(f["expected"], "201");
    assert_eq!(f["actual"], "200");
    let s = step(case("operator-fail.yaml"), "Cashier looks up the store");
    assert_eq!(s["operator"]["outcome"], "failed");
    assert_eq!(s["status"], "failed");
}

#[test]
fn operator_without_automation_fails_at_once_when_unattended() {
    let f = assert_failed(
        "operator-unattended.yaml",
        "error",
        "operator",
        "Customer must accept in the app",
        ("steps/operator-unattended.yaml", 6, 5),
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.starts_with("operator action needed but running unattended"),
        "{message}"
    );
    assert!(
        message.contains("Accept the payment in the MobilePay app."),
        "{message}"
    );
    let op = &step(
        case("operator-unattended.yaml"),
        "Customer must accept in the app",
    )["operator"];
    assert_eq!(op["actor"], "unattended");
    assert_eq!(op["outcome"], "failed");
}

#[test]
fn exec_captures_json_from_stdout() {
    assert_passed("exec-pass.yaml");
    let s = step(case("exec-pass.yaml"), "A command prints JSON");
    let captures: Vec<(&str, &Value)> = s["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), &c["value"]))
        .collect();
    assert_eq!(
        captures,
        vec![("total", &Value::from(12.5)), ("who", &Value::from("till"))]
    );
}

#[test]
fn exec_fails_on_a_wrong_exit_code_with_its_stderr() {
    let f = assert_failed(
        "exec-fail.yaml",
        "failed",
        "assertion",
        "A command that fails",
        ("steps/exec-fail.yaml", 6, 5),
    );
    assert_eq!(f["message"], "`sh` exited with 3, expected 0");
    assert_eq!(f["evidence"], serde_json::json!(["harness broke"]));
}

#[test]
fn assert_vars_passes_and_fails_with_expected_and_actual() {
    assert_passed("assert-vars-pass.yaml");
    let f = assert_failed(
        "assert-vars-fail.yaml",
        "failed",
        "assertion",
        "The order is small",
        ("steps/assert-vars-fail.yaml", 11, 25),
    );
    assert_eq!(f["expected"], "a value <= 10");
    assert_eq!(f["actual"], "12.5");
    assert_eq!(
        f["message"],
        "order.amount: expected a value <= 10, got 12.5"
    );
}

#[test]
fn assert_journal_counts_the_clients_requests_not_the_judges() {
    assert_passed("assert-journal-pass.yaml");
    let f = assert_failed(
        "assert-journal-fail.yaml",
        "failed",
        "assertion",
        "The client asked three times",
        ("steps/assert-journal-fail.yaml", 16, 9),
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.starts_with("your client must ask three times ("),
        "{message}"
    );
    assert!(
        message.contains("expected 3 matching requests, saw 1"),
        "{message}"
    );
    // The evidence lists the one request the journal saw.
    let evidence = f["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert!(evidence[0]
        .as_str()
        .unwrap()
        .contains("GET /pos/v10/stores/"));
}

#[test]
fn wait_pauses_for_its_duration() {
    assert_passed("wait-pass.yaml");
    let s = step(case("wait-pass.yaml"), "Pause");
    assert_eq!(s["kind"], "wait");
    // A lower bound only: the step cannot end before its pause is over.
    assert!(s["durationMs"].as_f64().unwrap() >= 200.0, "{s}");
}

#[test]
fn wait_with_no_duration_is_invalid_input() {
    let r = run_plain(&fixtures(), &["broken-steps"]);
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr
            .contains("error: invalid duration `a while`: write e.g. 500ms, 2s, 1m\n  --> broken-steps/wait-fail.yaml:7:11"),
        "{}",
        r.output()
    );
}

#[test]
fn set_keeps_types_and_fails_on_a_missing_variable() {
    assert_passed("set-pass.yaml");
    let f = assert_failed(
        "set-fail.yaml",
        "error",
        "configuration",
        "Compute from nothing",
        ("steps/set-fail.yaml", 9, 14),
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("set total: missing variable `nope`"),
        "{f}"
    );
}

#[test]
fn use_runs_the_fragment_with_its_parameters() {
    assert_passed("use-pass.yaml");
    let s = step(case("use-pass.yaml"), "use fragments/expect-total.yaml");
    assert_eq!(s["kind"], "use");
    assert_eq!(s["children"][0]["name"], "The total is as expected");
    assert_eq!(
        s["children"][0]["file"],
        "steps/fragments/expect-total.yaml"
    );
}

#[test]
fn use_failure_points_into_the_fragment() {
    let f = assert_failed(
        "use-fail.yaml",
        "failed",
        "assertion",
        "The total is as expected",
        ("steps/fragments/expect-total.yaml", 8, 16),
    );
    assert_eq!(f["expected"], "4");
    assert_eq!(f["actual"], "3");
    let s = step(case("use-fail.yaml"), "Check the total");
    assert_eq!(s["status"], "failed");
}

/// `exec: { command: ./tool.sh }` is relative to the case file, not to where poscert was
/// started (here the fixtures folder, where no `tool.sh` exists).
#[test]
fn a_relative_exec_command_is_resolved_beside_the_case_file() {
    let r = run(&fixtures(), &["exec-relative"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let c = r.case("exec-relative/relative-command.yaml");
    assert_eq!(c["status"], "passed", "{c:#}");
}
