//! Ctrl-C during a case, on the real process: `fixtures/interrupt/a-long-wait.yaml` writes a
//! marker file from an `exec` step and then waits five minutes; once the marker exists the test
//! sends SIGINT. The engine must stop the wait, run the case's `finally` (which writes another
//! file), report the case that had not started as skipped, write the JSON and JUnit reports marked
//! interrupted, and exit 130.

mod support;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{engine, fixtures, step};

/// Waits for `done` up to `limit`; the limit only turns a hang into a failure, it is not what
/// the test measures.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} failed");
}

#[test]
fn ctrl_c_runs_finally_writes_reports_marked_interrupted_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let cleaned = dir.path().join("cleaned");
    let json = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let mut child = engine(&fixtures())
        .arg("interrupt")
        .args(["--jobs", "1", "--report-json"])
        .arg(&json)
        .arg("--report-junit")
        .arg(&junit)
        .args(["--var", &format!("started={}", started.display())])
        .args(["--var", &format!("cleaned={}", cleaned.display())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the engine starts");

    let inside = wait_for(Duration::from_secs(60), || started.exists());
    if !inside {
        let _ = child.kill();
        panic!("the case never started: {:?}", child.wait_with_output());
    }
    kill(&child, "-INT");
    let exited = wait_for(Duration::from_secs(60), || {
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if !exited {
        let _ = child.kill();
        panic!("the engine did not stop after SIGINT");
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(!stderr.contains("panicked"), "{context}");
    assert_eq!(out.status.code(), Some(130), "{context}");

    // finally ran.
    let marker = std::fs::read_to_string(&cleaned).expect("the finally step ran");
    assert_eq!(marker.trim(), "cleaned");

    // The JSON report, marked interrupted.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report was written"))
            .unwrap();
    assert_eq!(report["interrupted"], true);
    let cases = report["cases"].as_array().unwrap();
    let files: Vec<&str> = cases.iter().map(|c| c["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        ["interrupt/a-long-wait.yaml", "interrupt/b-not-started.yaml"],
        "every selected case is in the report"
    );
    // The case Ctrl-C kept from starting is there, skipped with the reason: a report that just
    // had fewer cases would look like a smaller, passing run.
    assert_eq!(cases[1]["status"], "skipped");
    assert_eq!(
        cases[1]["skipReason"],
        "not started: the run was interrupted (Ctrl-C)"
    );
    let case = &cases[0];
    assert_eq!(case["status"], "error");
    assert_eq!(case["failure"]["category"], "interrupted");
    let wait = step(case, "A long wait");
    assert_eq!(wait["status"], "skipped");
    assert_eq!(wait["skipReason"], "interrupted (Ctrl-C)");
    let never = step(case, "Never reached");
    assert_eq!(never["skipReason"], "interrupted (Ctrl-C)");
    let clean = step(case, "Clean up");
    assert_eq!(clean["phase"], "finally");
    assert_eq!(clean["status"], "passed");

    // The JUnit report, marked interrupted, the case an <error>.
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let parsed = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    let suite = &parsed.suites[0];
    assert!(
        suite
            .properties
            .vec
            .iter()
            .any(|(k, v)| k == "poscert.interrupted" && v == "true"),
        "{xml}"
    );
    assert_eq!(suite.cases.len(), 2, "{xml}");
    let status = &suite.cases[0].status;
    assert!(status.is_error(), "{status:?}");
    assert_eq!(status.error_as_ref().error_type, "interrupted");
    assert!(suite.cases[1].status.is_skipped(), "{xml}");

    // The console says so too.
    assert!(stdout.contains("INTERRUPTED"), "{context}");
}
