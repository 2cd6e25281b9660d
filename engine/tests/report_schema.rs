//! `schemas/report.schema.json` describes the `--report-json` output. Real reports from the real
//! binary must validate: the certification suite, the e2e fixtures (failures of every category,
//! load errors, operators, fragments, captures, retries, transport errors) and a dry run. The
//! schema forbids unknown fields, so a field added to `run/result.rs` without the schema fails
//! here; and it is strict enough to reject a report with a wrong status or a missing summary.

mod support;

use jsonschema::Validator;
use serde_json::Value;
use std::path::Path;
use support::{closed_port, fixtures, run, Run};

fn validator() -> Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    jsonschema::validator_for(&schema).expect("the report schema compiles")
}

fn violations(report: &Value) -> Vec<String> {
    validator()
        .iter_errors(report)
        .take(20)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect()
}

fn assert_valid(r: &Run) {
    assert!(r.json.is_object(), "no JSON report:\n{}", r.output());
    let v = violations(&r.json);
    assert!(
        v.is_empty(),
        "the report does not match its schema:\n{}",
        v.join("\n")
    );
}

/// Every value at `key`, anywhere in the report.
fn all<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    out.push(x);
                }
                all(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all(x, key, out)),
        _ => {}
    }
}

fn fixtures_run() -> Run {
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    run(
        &fixtures(),
        &[
            "steps",
            "flow",
            "broken",
            // Transport errors (polls against a closed port would run to their deadlines).
            "requests/retry-connection.yaml",
            "requests/no-retry.yaml",
            "--var",
            &format!("app={closed}"),
            "--var",
            &format!("closedPort={}", closed_port()),
            "--var",
            &format!("marker={}", marker.display()),
        ],
    )
}

#[test]
fn the_certification_suite_report_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let r = run(&root, &["scenarios"]);
    assert_valid(&r);
    assert!(r.json["cases"].as_array().unwrap().len() >= 4);
}

#[test]
fn a_report_with_every_kind_of_outcome_validates() {
    let r = fixtures_run();
    assert_valid(&r);
    // The report really holds the parts the schema describes (so they were validated).
    let j = &r.json;
    let seen = |key: &str| {
        let mut out = Vec::new();
        all(j, key, &mut out);
        out.len()
    };
    for key in [
        "attempts",
        "captures",
        "operator",
        "children",
        "skipReason",
        "evidence",
        "note",
    ] {
        assert!(seen(key) > 0, "no `{key}` in the report");
    }
    assert!(!j["loadErrors"].as_array().unwrap().is_empty());
    let mut categories = Vec::new();
    all(j, "category", &mut categories);
    for c in ["assertion", "transport", "configuration", "operator"] {
        assert!(categories.iter().any(|x| *x == c), "no {c} failure");
    }
    let mut errors = Vec::new();
    all(j, "error", &mut errors);
    assert!(errors.iter().any(|e| e.is_string()), "no transport error");
}

#[test]
fn a_dry_run_report_validates() {
    let r = run(
        &fixtures(),
        &[
            "dry-run",
            "--dry-run",
            "--var",
            "app=http://127.0.0.1:9",
            "--var",
            "marker=/nonexistent/marker",
        ],
    );
    assert_valid(&r);
    let mut kinds = Vec::new();
    all(&r.json, "kind", &mut kinds);
    assert!(kinds.iter().any(|k| *k == "dry-run"));
}

/// A change to a real report that the engine never makes.
type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn the_schema_rejects_what_the_engine_never_writes() {
    let r = run(&fixtures(), &["steps/request-fail.yaml"]);
    assert_valid(&r);
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "an unknown field on a step",
            Box::new(|j| j["cases"][0]["steps"][0]["bogus"] = 1.into()),
        ),
        (
            "an unknown status",
            Box::new(|j| j["cases"][0]["status"] = "green".into()),
        ),
        (
            "an unknown failure category",
            Box::new(|j| j["cases"][0]["failure"]["category"] = "flaky".into()),
        ),
        (
            "a missing summary",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("summary");
            }),
        ),
        (
            "another schema version",
            Box::new(|j| j["schemaVersion"] = 2.into()),
        ),
        (
            "a header that is not a pair",
            Box::new(|j| {
                j["cases"][0]["steps"][0]["attempts"][0]["request"]["headers"][0] =
                    serde_json::json!(["only-a-name"])
            }),
        ),
        (
            "a timestamp that is not RFC 3339",
            Box::new(|j| j["startedAt"] = "yesterday".into()),
        ),
    ];
    for (what, mutate) in mutations {
        let mut j = r.json.clone();
        mutate(&mut j);
        assert!(!violations(&j).is_empty(), "the schema accepts {what}");
    }
}
