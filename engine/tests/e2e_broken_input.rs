//! Broken input in one run together with a good case: malformed YAML, an unknown field, a step
//! with two actions, an invalid JSONPath, a fragment that does not exist, a file that is not
//! UTF-8 (all found while loading), and a missing variable (found at run time). Each must give
//! `file:line:col` and a one-line reason, the run must exit 2 without a panic, and the good case
//! must still run and pass.

mod support;

use std::collections::BTreeMap;
use std::sync::OnceLock;
use support::{fixtures, run, Run};

/// `fixtures/broken/` copied into a temp dir, plus a file that is not UTF-8 (written here, as raw
/// bytes, so that no editor or git filter can "fix" it).
fn broken_run() -> &'static (tempfile::TempDir, Run) {
    static RUN: OnceLock<(tempfile::TempDir, Run)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("broken");
        std::fs::create_dir(&target).unwrap();
        for entry in std::fs::read_dir(fixtures().join("broken")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
        std::fs::write(
            target.join("not-utf8.yaml"),
            b"name: not UTF-8\nfeature: payments\nsteps:\n  - name: caf\xe9 au lait\n    wait: 1s\n",
        )
        .unwrap();
        let r = run(dir.path(), &["broken"]);
        (dir, r)
    })
}

fn r() -> &'static Run {
    &broken_run().1
}

/// Load errors on stderr: `error: <reason>` followed by `  --> <file:line:col>`.
fn stderr_errors() -> BTreeMap<String, String> {
    let lines: Vec<&str> = r().stderr.lines().collect();
    let mut out = BTreeMap::new();
    for pair in lines.windows(2) {
        if let (Some(reason), Some(at)) = (
            pair[0].strip_prefix("error: "),
            pair[1].strip_prefix("  --> "),
        ) {
            out.insert(at.to_string(), reason.to_string());
        }
    }
    out
}

/// file:line:col → the start of the reason.
const LOAD_ERRORS: &[(&str, &str)] = &[
    (
        "broken/bad-jsonpath.yaml:9:9",
        "invalid JSONPath `$.storeIds[?(@ == 1`: at character 20: expected ",
    ),
    (
        "broken/malformed.yaml:5:3",
        r#"invalid YAML: "-" is only valid inside a block"#,
    ),
    (
        "broken/missing-fragment.yaml:5:10",
        "fragment `fragments/does-not-exist.yaml` does not exist",
    ),
    (
        "broken/not-utf8.yaml:4:14",
        "the file is not valid UTF-8 text",
    ),
    (
        "broken/two-actions.yaml:7:5",
        "a step needs exactly one action, found 2: `request` and `wait`",
    ),
    (
        "broken/unknown-field.yaml:7:5",
        "unknown key `expct` (did you mean `expect`?); expected one of: ",
    ),
];

#[test]
fn the_run_exits_2_without_a_panic() {
    assert_eq!(r().code, Some(2), "{}", r().output());
    assert!(!r().stdout.contains("panicked") && !r().stderr.contains("panicked"));
    let s = &r().json["summary"];
    assert_eq!(
        (&s["total"], &s["passed"], &s["errored"]),
        (&8.into(), &1.into(), &7.into()),
        "{s}"
    );
}

#[test]
fn each_load_error_gives_file_line_col_and_a_one_line_reason_on_stderr() {
    let found = stderr_errors();
    let wanted: Vec<&str> = LOAD_ERRORS.iter().map(|(at, _)| *at).collect();
    assert_eq!(
        found.keys().map(String::as_str).collect::<Vec<_>>(),
        wanted,
        "{}",
        r().output()
    );
    for (at, reason) in LOAD_ERRORS {
        let got = &found[*at];
        assert!(
            got.starts_with(reason),
            "{at}: `{got}` should start with `{reason}`"
        );
    }
}

#[test]
fn load_errors_are_in_the_json_report_too() {
    let errors = r().json["loadErrors"].as_array().expect("loadErrors");
    let found: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                format!(
                    "{}:{}:{}",
                    e["file"].as_str().unwrap(),
                    e["line"],
                    e["column"]
                ),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), LOAD_ERRORS.len(), "{found:#?}");
    for ((at, message), (want_at, reason)) in found.iter().zip(LOAD_ERRORS) {
        assert_eq!(at, want_at);
        assert!(message.starts_with(reason), "{at}: {message}");
        assert!(!message.contains('\n'), "{at}: not one line: {message}");
    }
    // And in JUnit, each as an <error> of an `invalid-input` suite.
    let junit = &r().junit;
    assert!(
        junit.contains(r#"<testsuite name="invalid-input""#),
        "{junit}"
    );
    for (at, _) in LOAD_ERRORS {
        assert!(
            junit.contains(&format!("message=\"{at}: ")),
            "{at} not in\n{junit}"
        );
    }
}

#[test]
fn a_missing_variable_fails_its_step_at_run_time_with_its_position() {
    let c = r().case("broken/missing-variable.yaml");
    assert_eq!(c["status"], "error");
    let f = &c["failure"];
    assert_eq!(f["category"], "configuration");
    assert_eq!(f["step"], "Read a payment nobody started");
    assert_eq!(
        (f["file"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("broken/missing-variable.yaml"), Some(6), Some(21))
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.starts_with("missing variable `paymentId`: define it in `vars`"),
        "{message}"
    );
    assert!(!message.contains('\n'));
    // Run-time failures are reported by the console, on stdout, like every verdict.
    assert!(
        r().stdout
            .contains("at (broken/missing-variable.yaml:6:21)"),
        "{}",
        r().output()
    );
    // Nothing was sent with an empty id.
    assert!(c["steps"][0].get("attempts").is_none(), "{c:#}");
}

#[test]
fn the_good_case_still_ran_and_passed() {
    let c = r().case("broken/good.yaml");
    assert_eq!(c["status"], "passed", "{c:#}");
    assert!(
        r().stdout
            .contains("PASS  payments: a good case among broken ones"),
        "{}",
        r().output()
    );
}
