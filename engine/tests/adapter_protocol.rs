//! `--client adapter` against harnesses that misbehave on purpose (issue 5): a small Python
//! harness, written into a temp dir, behaves as each case's `behaviour` variable says (answer
//! well, crash, write garbage, answer another id, stay silent, fail, skip...). All cases run in
//! one real `poscert-engine` run against the embedded emulator; each test checks one case's
//! verdict and message in the JSON report, that the other cases were not dragged down, and that
//! no harness process (nor a helper it started) outlived the run.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;
use support::{alive, recorded_pids, repo_root, run_env, step, Run};

/// Records its pid and every request line, then does what the case's `behaviour` var says.
const FAKE_HARNESS: &str = r#"
import json, os, subprocess, sys, time
d = sys.argv[1]
pid = os.getpid()
open(os.path.join(d, "pids", str(pid)), "w").close()

def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

def helper():
    # A helper the harness starts and never stops: the engine must stop it with the harness.
    p = subprocess.Popen(["sleep", "300"])
    open(os.path.join(d, "pids", str(p.pid)), "w").close()

while True:
    line = sys.stdin.readline()
    if not line:
        break
    with open(os.path.join(d, "requests.jsonl"), "a") as f:
        f.write(json.dumps({"pid": pid, "request": json.loads(line)}) + "\n")
    req = json.loads(line)
    b = req["vars"]["behaviour"]
    i = req["id"]
    if b == "good":
        if i == 1:
            helper()
        values = {"paymentId": "pay-%d" % pid} if req["action"] == "start-payment" else {}
        say({"id": i, "outcome": "done", "values": values, "message": "the till took it"})
    elif b == "crash":
        sys.stderr.write("fatal: the till lost its database\n")
        sys.stderr.flush()
        sys.exit(3)
    elif b == "garbage":
        sys.stdout.write("hello, this is the till speaking\n")
        sys.stdout.flush()
    elif b == "wrong-id":
        say({"id": i + 6, "outcome": "done", "values": {"paymentId": "p"}})
    elif b == "silent":
        helper()
        sys.stderr.write("till: thinking about it\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)  # never answers, never reads stdin again, ignores its closing
    elif b == "failed":
        secret = req["target"]["clientSecret"]
        with open(os.path.join(d, "secret.txt"), "w") as f:
            f.write(secret)
        sys.stderr.write("till: logging in with %s\n" % secret)
        sys.stderr.flush()
        say({"id": i, "outcome": "failed", "message": "the printer is out of paper (%s)" % secret})
    elif b == "skipped":
        say({"id": i, "outcome": "skipped", "message": "this till has no card terminal"})
    elif b == "no-values":
        say({"id": i, "outcome": "done", "values": {}})
"#;

fn case_file(name: &str, behaviour: &str, timeout: &str, extra_steps: &str) -> String {
    format!(
        r#"name: {name}
feature: payments
vars: {{ behaviour: {behaviour} }}
steps:
  - name: Cashier starts the sale
    operator:
      role: cashier
      action: start-payment
      params:
        posId: "pos-1"
        orderId: "order-{{{{digits 6}}}}"
        amount: 12.5
        currencyCode: DKK
        restrictions: {{ debitCardDisallowed: true }}
        captureAmount: 12.5
      timeout: {timeout}
{extra_steps}"#
    )
}

const GOOD_EXTRA: &str = r#"  - name: The harness's paymentId is a case variable
    assert:
      vars:
        paymentId: { matches: '^pay-\d+$' }
  - name: Cashier cancels the sale
    operator:
      role: cashier
      action: cancel-payment
      params: { paymentId: "{{paymentId}}" }
      timeout: 10s
"#;

const AFTER_SKIP: &str = r#"  - name: The case goes on after a skipped action
    assert:
      vars:
        behaviour: skipped
"#;

struct Fixture {
    run: Run,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

/// One run of every behaviour; the harness's pids and request lines land in the temp dir.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("pids")).unwrap();
        std::fs::create_dir_all(dir.join("cases")).unwrap();
        std::fs::write(dir.join("fake_harness.py"), FAKE_HARNESS).unwrap();
        let cases = [
            ("good", case_file("good harness", "good", "10s", GOOD_EXTRA)),
            ("crash", case_file("crashing harness", "crash", "10s", "")),
            (
                "garbage",
                case_file("garbage harness", "garbage", "10s", ""),
            ),
            (
                "wrong-id",
                case_file("wrong id harness", "wrong-id", "10s", ""),
            ),
            ("silent", case_file("silent harness", "silent", "1s", "")),
            ("failed", case_file("failing harness", "failed", "10s", "")),
            (
                "skipped",
                case_file("skipping harness", "skipped", "10s", AFTER_SKIP),
            ),
            (
                "no-values",
                case_file("harness without values", "no-values", "10s", ""),
            ),
        ];
        for (file, text) in &cases {
            std::fs::write(dir.join("cases").join(format!("{file}.yaml")), text).unwrap();
        }
        let cases_dir = dir.join("cases");
        let command = format!(
            "python3 {} {}",
            dir.join("fake_harness.py").display(),
            dir.display()
        );
        let run = run_env(
            &repo_root(),
            &[
                cases_dir.to_str().unwrap(),
                "--client",
                "adapter",
                "--adapter",
                &command,
                "--jobs",
                "4",
            ],
            &[],
        );
        Fixture {
            run,
            dir,
            _tmp: tmp,
        }
    })
}

fn case(name: &str) -> &'static Value {
    fixture().run.case_by_id(&format!("cases/{name}"))
}

/// The case failed with an operator error on the sale step, with this message.
fn assert_operator_failure(name: &str, message: &str) -> &'static Value {
    let c = case(name);
    assert_eq!(c["status"], "error", "{name}: {c:#}");
    let f = &c["failure"];
    assert_eq!(f["category"], "operator", "{name}: {f:#}");
    assert_eq!(f["step"], "Cashier starts the sale", "{name}: {f:#}");
    assert!(
        f["message"].as_str().unwrap_or("").contains(message),
        "{name}: expected the message to contain {message:?}, got {f:#}"
    );
    let op = &step(c, "Cashier starts the sale")["operator"];
    assert_eq!(op["actor"], "adapter", "{name}: {op:#}");
    f
}

fn requests() -> Vec<Value> {
    std::fs::read_to_string(fixture().dir.join("requests.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("request log line"))
        .collect()
}

#[test]
fn a_good_harness_passes_and_its_values_become_variables() {
    let c = case("good");
    assert_eq!(c["status"], "passed", "{c:#}\n{}", fixture().run.output());
    let sale = step(c, "Cashier starts the sale");
    let op = &sale["operator"];
    assert_eq!(op["actor"], "adapter");
    assert_eq!(op["outcome"], "done");
    assert_eq!(op["message"], "the till took it");
    assert!(
        op["values"]["paymentId"]
            .as_str()
            .is_some_and(|p| p.starts_with("pay-")),
        "{op:#}"
    );
    assert!(op["waitMs"].as_f64().is_some(), "{op:#}");
    assert_eq!(
        step(c, "Cashier cancels the sale")["operator"]["outcome"],
        "done"
    );
}

#[test]
fn one_process_serves_every_action_of_a_case_with_counting_ids() {
    let good: Vec<Value> = requests()
        .into_iter()
        .filter(|r| r["request"]["vars"]["behaviour"] == "good")
        .collect();
    assert_eq!(good.len(), 2, "{good:#?}");
    assert_eq!(good[0]["pid"], good[1]["pid"], "one harness per case");
    assert_eq!(good[0]["request"]["id"], 1);
    assert_eq!(good[1]["request"]["id"], 2);
    assert_eq!(good[0]["request"]["action"], "start-payment");
    assert_eq!(good[1]["request"]["action"], "cancel-payment");
    // The second request carries the value the first answer returned.
    let pay = format!("pay-{}", good[0]["pid"]);
    assert_eq!(good[1]["request"]["params"]["paymentId"], pay.as_str());
    assert_eq!(good[1]["request"]["vars"]["paymentId"], pay.as_str());
    // Every case got its own process.
    let pids: std::collections::BTreeSet<String> =
        requests().iter().map(|r| r["pid"].to_string()).collect();
    assert_eq!(pids.len(), 8, "one harness per case: {pids:?}");
}

#[test]
fn requests_carry_params_target_and_scalar_vars() {
    let r = requests()
        .into_iter()
        .find(|r| r["request"]["vars"]["behaviour"] == "good")
        .expect("a request from the good case")["request"]
        .clone();
    assert_eq!(r["role"], "cashier");
    let p = &r["params"];
    assert_eq!(p["posId"], "pos-1");
    assert_eq!(p["amount"], 12.5, "numbers stay numbers");
    assert_eq!(p["restrictions"]["debitCardDisallowed"], true);
    assert!(p["orderId"].as_str().unwrap().starts_with("order-"), "{p}");
    let t = &r["target"];
    assert!(t["baseUrl"].as_str().unwrap().ends_with("/pos/v10"), "{t}");
    assert!(
        t["tokenUrl"]
            .as_str()
            .unwrap()
            .ends_with("/integrator-authentication/connect/token"),
        "{t}"
    );
    assert!(t["clientId"].as_str().is_some_and(|s| !s.is_empty()), "{t}");
    assert!(
        t["clientSecret"].as_str().is_some_and(|s| !s.is_empty()),
        "{t}"
    );
    assert_eq!(t["merchantVat"], "DK90000028");
    assert_eq!(t["clientVersion"], "1.0.0");
    assert!(
        t["userSimulationUrl"]
            .as_str()
            .unwrap()
            .ends_with("/pos/app/usersimulation"),
        "{t}"
    );
    assert_eq!(t["clientTimeoutMs"], 2000);
    let v = &r["vars"];
    assert_eq!(v["behaviour"], "good");
    assert_eq!(v["merchantBrandId"], "MPPOSCERT1");
    assert!(v["caseId"].as_str().unwrap().ends_with("cases/good"), "{v}");
    assert!(
        v.as_object()
            .unwrap()
            .values()
            .all(|x| x.is_string() || x.is_number() || x.is_boolean()),
        "only scalars: {v}"
    );
    assert!(v.get("env").is_none() && v.get("users").is_none(), "{v}");
}

#[test]
fn every_request_line_matches_the_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/adapter.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let all = requests();
    assert!(all.len() >= 9, "{all:#?}");
    for r in &all {
        let errors: Vec<String> = validator
            .iter_errors(&r["request"])
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{:#}", r["request"]);
    }
    // The answers the fake harness gives are valid too (the wrong id is a valid line).
    for answer in [
        serde_json::json!({"id": 1, "outcome": "done", "values": {"paymentId": "p"}}),
        serde_json::json!({"id": 2, "outcome": "skipped", "message": "n/a"}),
    ] {
        assert!(validator.is_valid(&answer), "{answer}");
    }
    assert!(!validator.is_valid(&serde_json::json!({"id": 1, "outcome": "ok"})));
}

/// The published schema is the catalogue (engine/src/scenario/catalogue.rs) written down: every
/// cashier action, with exactly its params, the optional ones (`name?`) not required.
#[test]
fn the_schema_lists_the_catalogue_actions_and_their_params() {
    use poscert_engine::scenario::catalogue::CATALOGUE;
    use poscert_engine::scenario::model::Role;
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/adapter.schema.json")).unwrap(),
    )
    .unwrap();
    let cashier: Vec<_> = CATALOGUE
        .iter()
        .filter(|a| a.role == Role::Cashier)
        .collect();
    let listed: Vec<&str> = schema["$defs"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ids: Vec<&str> = cashier.iter().map(|a| a.id).collect();
    assert_eq!(listed, ids, "the action enum");
    for action in cashier {
        let def = &schema["$defs"]["params"][action.id];
        let mut props: Vec<&str> = def["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no params for {} in the schema", action.id))
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = action
            .params
            .iter()
            .map(|p| p.trim_end_matches('?'))
            .collect();
        props.sort();
        expected.sort();
        assert_eq!(props, expected, "params of {}", action.id);
        let mut required: Vec<&str> = def["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut mandatory: Vec<&str> = action
            .params
            .iter()
            .copied()
            .filter(|p| !p.ends_with('?'))
            .collect();
        required.sort();
        mandatory.sort();
        assert_eq!(required, mandatory, "required params of {}", action.id);
    }
}

#[test]
fn a_crashing_harness_fails_its_case_with_the_exit_status_and_its_stderr() {
    let f = assert_operator_failure(
        "crash",
        "the adapter exited with status 3 before answering start-payment",
    );
    let evidence: Vec<&str> = f["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        evidence.contains(&"fatal: the till lost its database"),
        "{evidence:#?}"
    );
}

#[test]
fn a_harness_writing_garbage_fails_its_case_quoting_the_line() {
    assert_operator_failure(
        "garbage",
        "the adapter wrote a line that is not JSON: `hello, this is the till speaking`",
    );
}

#[test]
fn a_harness_answering_another_id_fails_its_case() {
    assert_operator_failure("wrong-id", "the adapter answered id 7 to request 1");
}

#[test]
fn a_silent_harness_fails_its_case_at_the_step_timeout() {
    let f = assert_operator_failure(
        "silent",
        "the adapter did not answer start-payment within 1s",
    );
    let op = &step(case("silent"), "Cashier starts the sale")["operator"];
    assert_eq!(op["outcome"], "timeout");
    // It ignored its stdin closing, so the engine killed it and says so.
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("till: thinking about it"), "{evidence}");
    assert!(evidence.contains("poscert killed it"), "{evidence}");
}

#[test]
fn failed_is_an_operator_failure_with_the_harness_message() {
    assert_operator_failure(
        "failed",
        "the client reported that start-payment failed: the printer is out of paper",
    );
    let op = &step(case("failed"), "Cashier starts the sale")["operator"];
    assert_eq!(op["outcome"], "failed");
}

#[test]
fn skipped_skips_the_step_with_the_reason_and_the_case_goes_on() {
    let c = case("skipped");
    assert_eq!(c["status"], "passed", "{c:#}");
    let s = step(c, "Cashier starts the sale");
    assert_eq!(s["status"], "skipped");
    assert_eq!(
        s["skipReason"],
        "the adapter skipped start-payment: this till has no card terminal"
    );
    assert_eq!(
        step(c, "The case goes on after a skipped action")["status"],
        "passed"
    );
}

#[test]
fn done_without_the_catalogue_values_is_a_clear_failure() {
    assert_operator_failure(
        "no-values",
        "the adapter answered start-payment done without paymentId",
    );
}

#[test]
fn the_client_secret_reaches_the_harness_but_no_report_or_console() {
    let fx = fixture();
    let secret = std::fs::read_to_string(fx.dir.join("secret.txt")).expect("the secret");
    assert!(secret.len() >= 6, "{secret}");
    let r = &fx.run;
    assert!(!r.json_text.contains(&secret), "the JSON report leaks it");
    assert!(!r.stdout.contains(&secret) && !r.stderr.contains(&secret));
    // The harness echoed it in its message and on stderr: both are there, masked.
    let f = &case("failed")["failure"];
    assert!(f["message"].as_str().unwrap().contains("(***)"), "{f:#}");
    assert!(
        f["evidence"]
            .to_string()
            .contains("till: logging in with ***"),
        "{f:#}"
    );
}

#[test]
fn the_run_goes_on_and_counts_each_case() {
    let r = &fixture().run;
    assert_eq!(r.code, Some(1), "{}", r.output());
    let s = &r.json["summary"];
    assert_eq!(s["total"], 8, "{s}");
    assert_eq!(s["passed"], 2, "{s}");
    assert_eq!(s["errored"], 6, "{s}");
}

#[test]
fn no_harness_process_or_helper_outlives_the_run() {
    let fx = fixture();
    let pids = recorded_pids(&fx.dir.join("pids"));
    // 8 harnesses, plus the helpers of the good and the silent harness.
    assert_eq!(pids.len(), 10, "{pids:?}");
    let left: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

/// Ctrl-C while a harness holds an action: the run ends (exit 130), the case is reported as
/// interrupted, and the harness and its helper are gone.
#[test]
fn ctrl_c_while_waiting_on_a_harness_ends_the_run_and_the_harness() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("pids")).unwrap();
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    std::fs::write(dir.join("fake_harness.py"), FAKE_HARNESS).unwrap();
    std::fs::write(
        dir.join("cases/silent.yaml"),
        case_file("silent harness", "silent", "5m", ""),
    )
    .unwrap();
    let report = dir.join("report.json");
    let command = format!(
        "python3 {} {}",
        dir.join("fake_harness.py").display(),
        dir.display()
    );
    let mut child = support::engine(&repo_root())
        .arg(dir.join("cases"))
        .args(["--client", "adapter", "--adapter", &command])
        .arg("--report-json")
        .arg(&report)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The silent harness records its helper once it holds the request: 2 pids.
    wait_for(|| recorded_pids(&dir.join("pids")).len() >= 2, &mut child);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true);
    let c = &json["cases"][0];
    assert_eq!(c["failure"]["category"], "interrupted", "{c:#}");
    assert_eq!(
        step(c, "Cashier starts the sale")["operator"]["outcome"],
        "interrupted"
    );
    let left: Vec<u32> = recorded_pids(&dir.join("pids"))
        .into_iter()
        .filter(|p| alive(*p))
        .collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

/// A second Ctrl-C quits at once (the case's slow `finally` is abandoned), and even then no
/// harness process is left behind: `process::exit` runs no destructors, so the engine kills
/// the harness groups it started before exiting.
#[test]
fn a_second_ctrl_c_quits_at_once_and_still_stops_the_harness() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("pids")).unwrap();
    std::fs::create_dir_all(dir.join("cases")).unwrap();
    std::fs::write(dir.join("fake_harness.py"), FAKE_HARNESS).unwrap();
    let slow_finally = "finally:\n  - name: A slow clean-up\n    wait: 60s\n";
    std::fs::write(
        dir.join("cases/silent.yaml"),
        case_file("silent harness", "silent", "5m", slow_finally),
    )
    .unwrap();
    let command = format!(
        "python3 {} {}",
        dir.join("fake_harness.py").display(),
        dir.display()
    );
    let mut child = support::engine(&repo_root())
        .arg(dir.join("cases"))
        .args(["--client", "adapter", "--adapter", &command])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(|| recorded_pids(&dir.join("pids")).len() >= 2, &mut child);
    let pid = child.id().to_string();
    let interrupt = || {
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    interrupt();
    // The first Ctrl-C lets `finally` run (60 s); the engine must still be there for the second.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first Ctrl-C should let finally run"
    );
    interrupt();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    // SIGKILL is delivered asynchronously: give the kernel a moment, then nothing may be left.
    let mut left: Vec<u32> = Vec::new();
    for _ in 0..50 {
        left = recorded_pids(&dir.join("pids"))
            .into_iter()
            .filter(|p| alive(*p))
            .collect();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(left.is_empty(), "still running after a hard exit: {left:?}");
}

/// Polls `ready` until it holds; fails (and kills the engine) if the engine exits first.
fn wait_for(ready: impl Fn() -> bool, child: &mut std::process::Child) {
    loop {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the engine exited ({status}) before the harness was ready");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
