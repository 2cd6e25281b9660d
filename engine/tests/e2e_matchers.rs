//! Every matcher of the language, passing and failing, over a real HTTP response: a small app
//! on loopback serves one JSON document; `fixtures/matchers/pass.yaml` uses every matcher so that
//! it holds, and `fail-<matcher>.yaml` makes each one fail. A failure must say what was
//! expected, what came, and where the matcher is written.

mod support;

use axum::routing::get;
use serde_json::{json, Value};
use std::sync::OnceLock;
use support::{fixtures, run, Run, TestServer};

fn document() -> Value {
    json!({
        "status": "Reserved",
        "amount": 12.5,
        "count": 3,
        "items": ["a", "b", "c"],
        "name": "poscert-till",
        "nested": { "a": 1 },
        "nothing": null,
        "id": "3974eae6-e36f-4148-b5ee-22689e528c75"
    })
}

fn matchers_run() -> &'static Run {
    static RUN: OnceLock<(TestServer, Run)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let app = TestServer::start(axum::Router::new().route(
            "/doc",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    document().to_string(),
                )
            }),
        ));
        let var = format!("app={}", app.url);
        let r = run(&fixtures(), &["matchers", "--var", &var]);
        (app, r)
    })
    .1
}

#[test]
fn every_matcher_holds_on_the_document() {
    let r = matchers_run();
    let c = r.case("matchers/pass.yaml");
    assert_eq!(c["status"], "passed", "{:#}", c["failure"]);
    assert_eq!(c["steps"].as_array().unwrap().len(), 3);
}

#[test]
fn each_failing_matcher_says_expected_actual_and_where() {
    let r = matchers_run();
    assert_eq!(r.code, Some(1), "{}", r.output());
    // file, column of the matcher on line 10, expected, actual.
    let table: &[(&str, u64, &str, &str)] = &[
        ("literal", 19, r#""Captured""#, r#""Reserved""#),
        ("eq", 21, "13", "12.5"),
        ("ne", 20, "anything but 3", "3"),
        ("gt", 21, "a value > 20", "12.5"),
        ("gte", 20, "a value >= 4", "3"),
        ("lt", 20, "a value < 3", "3"),
        ("lte", 21, "a value <= 12", "12.5"),
        (
            "in",
            21,
            r#"one of ["Initiated","IssuedToUser"]"#,
            r#""Reserved""#,
        ),
        (
            "not_in",
            21,
            r#"none of ["Reserved","Captured"]"#,
            r#""Reserved""#,
        ),
        (
            "matches",
            17,
            "a match for /^[0-9]+$/",
            r#""3974eae6-e36f-4148-b5ee-22689e528c75""#,
        ),
        (
            "contains",
            20,
            r#"something containing "d""#,
            r#"["a","b","c"]"#,
        ),
        ("exists", 22, "it to exist", "nothing (missing)"),
        ("type", 20, "a value of type string", "3"),
        ("len", 25, "2", r#"3 (in ["a","b","c"])"#),
    ];
    let mut problems = Vec::new();
    for (matcher, column, expected, actual) in table {
        let file = format!("matchers/fail-{matcher}.yaml");
        let c = r.case(&file);
        let f = &c["failure"];
        let got = (
            c["status"].as_str().unwrap_or_default(),
            f["category"].as_str().unwrap_or_default(),
            f["step"].as_str().unwrap_or_default(),
            f["file"].as_str().unwrap_or_default(),
            f["line"].as_u64().unwrap_or_default(),
            f["column"].as_u64().unwrap_or_default(),
            f["expected"].as_str().unwrap_or_default(),
            f["actual"].as_str().unwrap_or_default(),
        );
        let step = format!("{matcher} does not hold");
        let want = (
            "failed",
            "assertion",
            step.as_str(),
            file.as_str(),
            10,
            *column,
            *expected,
            *actual,
        );
        if got != want {
            problems.push(format!("{file}:\n  got  {got:?}\n  want {want:?}"));
        }
        // The message names the JSONPath, and the console shows the same failure.
        let message = f["message"].as_str().unwrap_or_default();
        if !message.contains(&format!("expected {expected}, got {actual}")) {
            problems.push(format!("{file}: message `{message}`"));
        }
        let at = format!("at ({file}:10:{column})");
        if !r.stdout.contains(&at) {
            problems.push(format!("{file}: the console does not show `{at}`"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_failure_message_names_the_jsonpath() {
    let r = matchers_run();
    assert_eq!(
        r.case("matchers/fail-gt.yaml")["failure"]["message"],
        "$.amount: expected a value > 20, got 12.5"
    );
    assert_eq!(
        r.case("matchers/fail-len.yaml")["failure"]["message"],
        r#"length of $.items: expected 2, got 3 (in ["a","b","c"])"#
    );
}
