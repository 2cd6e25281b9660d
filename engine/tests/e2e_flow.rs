//! How a case flows, through the real binary against the embedded emulator: `when:` picks steps
//! by client mode and target, `if:` decides at run time, the first failure skips the rest of
//! `steps`, `finally` always runs (every clean-up step, even after a failing one), and a `setup`
//! failure is an error rather than a verdict on the client.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;
use support::{fixtures, run, step, Run};

struct Fixture {
    run: Run,
    marker: PathBuf,
    _dir: tempfile::TempDir,
}

fn flow_run() -> &'static Fixture {
    static RUN: OnceLock<Fixture> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("finally-ran");
        let var = format!("marker={}", marker.display());
        let run = run(&fixtures(), &["flow", "--var", &var]);
        Fixture {
            run,
            marker,
            _dir: dir,
        }
    })
}

fn case(file: &str) -> &'static Value {
    flow_run().run.case(&format!("flow/{file}"))
}

#[test]
fn the_run_exits_1() {
    let r = &flow_run().run;
    assert_eq!(r.code, Some(1), "{}", r.output());
    assert!(
        r.stdout.contains("2 passed, 3 failed, 0 skipped"),
        "{}",
        r.output()
    );
}

#[test]
fn when_skips_steps_for_other_client_modes_and_targets() {
    let c = case("when.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    let adapter = step(c, "Only for adapters");
    assert_eq!(adapter["status"], "skipped");
    assert_eq!(
        adapter["skipReason"],
        "only for client mode adapter; this run uses reference"
    );
    let sandbox = step(c, "Only against the sandbox");
    assert_eq!(sandbox["status"], "skipped");
    assert_eq!(sandbox["skipReason"], "only against the real sandbox");
    assert_eq!(
        step(c, "For the reference client on the emulator")["status"],
        "passed"
    );
}

#[test]
fn if_skips_falsy_conditions_and_runs_true_ones() {
    let c = case("if.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    let skipped = step(c, "Skipped when the flag is false");
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(skipped["skipReason"], "condition `{{flag}}` is false");
    assert_eq!(step(c, "Runs when a helper says so")["status"], "passed");
    assert_eq!(step(c, "Runs when a variable exists")["status"], "passed");
}

#[test]
fn an_if_over_a_missing_variable_is_a_configuration_error() {
    let c = case("if-fail.yaml");
    assert_eq!(c["status"], "error");
    let f = &c["failure"];
    assert_eq!(f["category"], "configuration");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("if: missing variable `ghost`"),
        "{f}"
    );
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(6), Some(9))
    );
}

#[test]
fn finally_runs_every_clean_up_step_after_a_failure() {
    let c = case("finally.yaml");
    assert_eq!(c["status"], "failed");
    // The verdict is the first failure, not the clean-up's.
    assert_eq!(c["failure"]["step"], "This fails");
    assert_eq!(c["failure"]["message"], "answer: expected 41, got 42");
    let late = step(c, "Skipped after the failure");
    assert_eq!(late["status"], "skipped");
    assert_eq!(late["skipReason"], "not run: an earlier step failed");
    let failing_cleanup = step(c, "Clean-up that fails too");
    assert_eq!(failing_cleanup["phase"], "finally");
    assert_eq!(failing_cleanup["status"], "failed");
    let cleanup = step(c, "Clean-up still runs");
    assert_eq!(cleanup["phase"], "finally");
    assert_eq!(cleanup["status"], "passed");
    let marker = std::fs::read_to_string(&flow_run().marker).expect("the finally step ran");
    assert_eq!(marker.trim(), "cleaned");
}

#[test]
fn a_setup_failure_is_an_error_and_finally_still_runs() {
    let c = case("setup-fails.yaml");
    assert_eq!(c["status"], "error");
    let f = &c["failure"];
    assert_eq!(f["category"], "configuration");
    assert_eq!(
        f["message"],
        "setup failed: ready: expected true, got false"
    );
    assert_eq!(f["step"], "Setup needs readiness");
    let phases: Vec<(&str, &str)> = c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["phase"].as_str().unwrap()))
        .collect();
    assert_eq!(
        phases,
        [
            ("Setup needs readiness", "setup"),
            ("Clean-up after a setup failure", "finally")
        ],
        "the main steps never ran"
    );
    assert_eq!(
        step(c, "Clean-up after a setup failure")["status"],
        "passed"
    );
}
