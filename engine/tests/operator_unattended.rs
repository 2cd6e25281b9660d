//! `--client operator` with nobody at a terminal (CI): an operator step that nothing automates
//! fails at once with the reason and the hint, and the run goes on; `--answers FILE` answers
//! prompts in advance. The real binary, the embedded emulator, case files in a temp dir.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the engine as CI does (CI=true, stdin not a terminal) and returns its output.
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut child = support::engine(dir)
        .args(args)
        .args(["--report-dir", "reports", "--jobs", "1"])
        .env("CI", "true")
        // An open pipe that never sends anything: a prompt that tried to read would block.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the engine");
    // A liveness bound (the operator steps below wait up to 10 minutes if anything blocks), not
    // a timing assertion: the run must finish, and it is killed rather than left hanging.
    let _silent_stdin = child.stdin.take();
    let limit = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("poll the engine").is_none() {
        if Instant::now() > limit {
            let _ = child.kill();
            panic!("the unattended run blocked instead of finishing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect the output")
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("reports/report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case `{name}` in {report:#}"))
}

fn step<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}` in {case:#}"))
}

const NEEDS_A_PERSON: &str = r#"
name: A sale at the till
feature: payments
vars: { orderId: order-5150 }
steps:
  - name: Cashier starts the sale
    operator:
      role: cashier
      action: start-payment
      params: { posId: pos-1, orderId: "{{orderId}}", amount: 12.5, currencyCode: DKK }
      prompt: Start a sale of 12.5 DKK with order id {{orderId}}.
      inputs:
        - { name: receipt, label: Receipt number }
        - { name: items, type: number }
        - { name: staffCode, type: secret }
      timeout: 10m
  - name: The values are case variables
    assert:
      vars: { receipt: "R-order-5150", items: 3 }
finally:
  - name: Clean up
    set: { cleaned: true }
"#;

const NO_PERSON_NEEDED: &str = r#"
name: Plain arithmetic
feature: payments
vars: { amount: 12.5 }
steps:
  - name: The amount is what the case says
    assert:
      vars: { amount: 12.5 }
"#;

/// Writes a file; case files go under `cases/` (the run's path), answers files beside it.
fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).expect("write a file");
}

#[test]
fn an_operator_step_fails_at_once_when_nobody_is_there_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cases/a-till.yaml", NEEDS_A_PERSON);
    write(dir.path(), "cases/b-plain.yaml", NO_PERSON_NEEDED);
    let out = run(dir.path(), &["cases", "--client", "operator"]);

    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let r = report(dir.path());
    let till = case(&r, "A sale at the till");
    assert_eq!(till["status"], "error");
    let s = step(till, "Cashier starts the sale");
    let message = s["failure"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "operator action needed but running unattended: the cashier must `start-payment` (\"Start a sale of 12.5 DKK with order id order-5150.\")"
        ),
        "{message}"
    );
    assert!(
        message.contains("run with --client adapter --adapter CMD"),
        "no hint in: {message}"
    );
    assert_eq!(s["failure"]["category"], "operator");
    assert_eq!(s["operator"]["actor"], "unattended");
    // "At once" is proven structurally, not by a stopwatch: the step's timeout is ten minutes,
    // stdin is an open pipe that never sends a byte, and `run` kills the engine and fails the
    // test if it has not finished on its own.
    assert_eq!(
        step(till, "The values are case variables")["status"],
        "skipped"
    );
    assert_eq!(step(till, "Clean up")["status"], "passed");
    // The next case still ran.
    assert_eq!(case(&r, "Plain arithmetic")["status"], "passed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("operator action needed but running unattended"),
        "the console does not say why:\n{stdout}"
    );
}

#[test]
fn an_answers_file_answers_prompts_by_case_and_step() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cases/a-till.yaml", NEEDS_A_PERSON);
    write(
        dir.path(),
        "cases/c-skip.yaml",
        &NEEDS_A_PERSON.replace("A sale at the till", "A till without card terminal"),
    );
    write(
        dir.path(),
        "cases/d-nobody.yaml",
        &NEEDS_A_PERSON.replace("A sale at the till", "A sale nobody answered"),
    );
    write(
        dir.path(),
        "answers.yaml",
        r#"answers:
  - case: a-till                        # by id
    step: Cashier starts the sale
    outcome: done
    values: { receipt: "R-{{orderId}}", items: 3, staffCode: "staff-secret-5521" }
    message: "started order {{orderId}}"
  - case: A till without card terminal  # by name
    step: Cashier starts the sale
    outcome: skipped
    message: no card terminal on this till
"#,
    );
    let out = run(
        dir.path(),
        &["cases", "--client", "operator", "--answers", "answers.yaml"],
    );

    // The unanswered case still fails, unattended.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let r = report(dir.path());

    let answered = case(&r, "A sale at the till");
    assert_eq!(answered["status"], "passed", "{answered:#}");
    let op = &step(answered, "Cashier starts the sale")["operator"];
    assert_eq!(op["actor"], "answers");
    assert_eq!(op["outcome"], "done");
    assert_eq!(op["values"]["receipt"], "R-order-5150");
    assert_eq!(op["values"]["items"], 3);
    assert_eq!(op["values"]["staffCode"], "***");
    assert_eq!(op["message"], "started order order-5150");
    assert_eq!(
        step(answered, "The values are case variables")["status"],
        "passed"
    );

    let skipped = case(&r, "A till without card terminal");
    let s = step(skipped, "Cashier starts the sale");
    assert_eq!(s["status"], "skipped");
    assert_eq!(
        s["skipReason"],
        "the operator skipped `start-payment` as not applicable: no card terminal on this till"
    );
    assert_eq!(s["operator"]["actor"], "answers");

    let nobody = case(&r, "A sale nobody answered");
    assert_eq!(
        step(nobody, "Cashier starts the sale")["operator"]["actor"],
        "unattended"
    );

    // JUnit carries who acted, as properties and in system-out; no report carries the secret.
    let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
    assert!(
        junit.contains(r#"name="operator.start-payment.actor" value="answers""#),
        "{junit}"
    );
    assert!(
        junit.contains("operator: cashier start-payment by answers: done"),
        "{junit}"
    );
    let json = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    for (what, text) in [
        ("junit.xml", &junit),
        ("report.json", &json),
        ("stdout", &String::from_utf8_lossy(&out.stdout).into_owned()),
    ] {
        assert!(
            !text.contains("staff-secret-5521"),
            "the secret answer reached {what}"
        );
    }
}

#[test]
fn an_answer_without_a_value_the_step_asks_for_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cases/a-till.yaml", NEEDS_A_PERSON);
    write(
        dir.path(),
        "answers.yaml",
        "answers:\n  - { case: a-till, step: Cashier starts the sale, outcome: done, values: { receipt: R-1 } }\n",
    );
    let out = run(
        dir.path(),
        &["cases", "--client", "operator", "--answers", "answers.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let r = report(dir.path());
    let s = step(case(&r, "A sale at the till"), "Cashier starts the sale");
    assert_eq!(s["failure"]["category"], "configuration");
    assert_eq!(
        s["failure"]["message"],
        "the answer for `start-payment` (answers.yaml:2:5) gives no value for `items`, `staffCode`; the step asks for `receipt`, `items`, `staffCode`"
    );
}

#[test]
fn a_bad_answers_file_stops_the_run_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cases/a-till.yaml", NEEDS_A_PERSON);
    write(
        dir.path(),
        "answers.yaml",
        "answers:\n  - case: a-till\n    step: Cashier starts the sale\n    outcome: finished\n",
    );
    let out = run(
        dir.path(),
        &["cases", "--client", "operator", "--answers", "answers.yaml"],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown outcome `finished`; expected done, failed or skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("answers.yaml:4:14"), "{stderr}");
    assert!(
        !dir.path().join("reports/report.json").exists(),
        "the run started anyway"
    );
}
