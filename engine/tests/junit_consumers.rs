//! The `--report-junit` file read by a real consumer (the junit-parser crate), checked for the
//! shape every CI reads (landscape §5): one testsuite per feature, dotted non-empty classnames,
//! unique classname+name, `file` and `line` attributes (the line a line of that file), `<failure>`
//! for assertion failures and `<error>` for everything else, `<skipped message>`, hostname and
//! timestamp on suites, run properties (target, client mode), and a redacted `system-out`. Both
//! `--junit-granularity case` and `step`.

mod support;

use junit_parser::{TestCase, TestStatus, TestSuite, TestSuites};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;
use support::{fixtures, run, Run};

/// Cases of every outcome: passed, failed, error (configuration, operator, load errors),
/// skipped, two cases of the same name, a secret in a failure.
const PATHS: &[&str] = &["steps", "junit", "broken"];
/// The secret captured (with `secret: true`) by `fixtures/junit/secret.yaml`.
const CANARY: &str = "junitS3cret-canary-42";

struct Parsed {
    run: Run,
    junit: TestSuites,
}

fn parsed(granularity: &str) -> &'static Parsed {
    static CASE: OnceLock<Parsed> = OnceLock::new();
    static STEP: OnceLock<Parsed> = OnceLock::new();
    let cell = if granularity == "case" { &CASE } else { &STEP };
    cell.get_or_init(|| {
        let mut args = PATHS.to_vec();
        args.extend(["--junit-granularity", granularity]);
        let run = run(&fixtures(), &args);
        assert!(!run.junit.is_empty(), "no JUnit file:\n{}", run.output());
        let junit = junit_parser::from_reader(std::io::Cursor::new(run.junit.as_bytes()))
            .unwrap_or_else(|e| panic!("junit-parser cannot read the report: {e}\n{}", run.junit));
        Parsed { run, junit }
    })
}

/// junit-parser's `name` is `classname::name`; `original_name` is the attribute as written.
fn cases_of(suite: &TestSuite) -> &Vec<TestCase> {
    &suite.cases
}

/// The JSON report's cases by file.
fn json_cases(p: &Parsed) -> HashMap<String, &Value> {
    p.run.json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["file"].as_str().unwrap().to_string(), c))
        .collect()
}

fn check_common_shape(p: &Parsed) {
    let report = &p.run.json;
    let mut problems = Vec::new();
    // One testsuite per feature, plus one for files that could not be loaded.
    let mut features: BTreeSet<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["feature"].as_str().unwrap().to_string())
        .collect();
    features.insert("invalid-input".into());
    let suites: Vec<String> = p.junit.suites.iter().map(|s| s.name.clone()).collect();
    let suite_set: BTreeSet<String> = suites.iter().cloned().collect();
    if suite_set != features || suites.len() != features.len() {
        problems.push(format!("suites {suites:?}, features {features:?}"));
    }
    let by_file = json_cases(p);
    let mut identities = BTreeSet::new();
    for suite in &p.junit.suites {
        // Azure reads the agent from hostname and the run start from timestamp.
        if suite.hostname.as_deref() != report["hostname"].as_str() {
            problems.push(format!("{}: hostname {:?}", suite.name, suite.hostname));
        }
        let ts = suite.timestamp.clone().unwrap_or_default();
        if chrono::DateTime::parse_from_rfc3339(&ts).is_err() {
            problems.push(format!("{}: timestamp `{ts}`", suite.name));
        }
        let props: HashMap<&str, &str> = suite
            .properties
            .vec
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (name, want) in [
            ("poscert.target", report["target"]["name"].as_str().unwrap()),
            (
                "poscert.target.url",
                report["target"]["posBaseUrl"].as_str().unwrap(),
            ),
            ("poscert.client.mode", "reference"),
            ("poscert.customer.mode", "simulated"),
            ("poscert.interrupted", "false"),
        ] {
            if props.get(name) != Some(&want) {
                problems.push(format!(
                    "{}: property {name} = {:?}",
                    suite.name,
                    props.get(name)
                ));
            }
        }
        let counted = |f: fn(&TestStatus) -> bool| {
            cases_of(suite).iter().filter(|c| f(&c.status)).count() as u64
        };
        if suite.tests != cases_of(suite).len() as u64
            || suite.failures != counted(TestStatus::is_failure)
            || suite.errors != counted(TestStatus::is_error)
            || suite.skipped != counted(TestStatus::is_skipped)
        {
            problems.push(format!("{}: counts do not add up", suite.name));
        }
        for tc in cases_of(suite) {
            let id = format!("{}.{}", suite.name, tc.original_name);
            // A dotted classname with no empty part (Jenkins splits it at the last dot).
            let class = tc.classname.clone().unwrap_or_default();
            if !class.contains('.') || class.split('.').any(str::is_empty) {
                problems.push(format!("{id}: classname `{class}`"));
            }
            // GitLab keeps only the first of two cases with the same classname and name.
            if !identities.insert((class.clone(), tc.original_name.clone())) {
                problems.push(format!(
                    "duplicate classname+name: {class} / {}",
                    tc.original_name
                ));
            }
            // file and line (mikepenz): the file exists, the line is within it.
            let file = tc.file.clone().unwrap_or_default();
            let lines = std::fs::read(fixtures().join(&file))
                .map(|b| b.split(|c| *c == b'\n').count() as u64)
                .unwrap_or(0);
            match tc.line {
                Some(l) if l >= 1 && l <= lines => {}
                other => problems.push(format!(
                    "{id}: file `{file}` ({lines} lines), line {other:?}"
                )),
            }
            if suite.name == "invalid-input" {
                if !tc.status.is_error() {
                    problems.push(format!("{id}: a load error must be an <error>"));
                }
                continue;
            }
            // The case in the JSON report decides what JUnit must say.
            let Some(case) = by_file.get(&file) else {
                problems.push(format!("{id}: no case for file {file}"));
                continue;
            };
            if case["feature"] != suite.name.as_str() {
                problems.push(format!(
                    "{id}: in suite {} but feature {}",
                    suite.name, case["feature"]
                ));
            }
            if classname_of(&file) != class {
                problems.push(format!("{id}: classname {class} for file {file}"));
            }
            // Redacted system-out everywhere.
            let out = tc.system_out.clone().unwrap_or_default();
            if out.is_empty() {
                problems.push(format!("{id}: no system-out"));
            }
            if out.contains(CANARY) {
                problems.push(format!("{id}: the secret is in system-out"));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// `steps/request-fail.yaml` → `steps.request-fail`.
fn classname_of(file: &str) -> String {
    file.trim_end_matches(".yaml").replace('/', ".")
}

/// `<failure>` for assertions, `<error>` otherwise, `<skipped message>`, success.
fn check_status(
    id: &str,
    status: &TestStatus,
    verdict: &str,
    failure: &Value,
    skip: Option<&str>,
    problems: &mut Vec<String>,
) {
    match (verdict, status) {
        ("passed", TestStatus::Success) => {}
        ("failed", TestStatus::Failure(f)) => {
            if f.failure_type != "assertion"
                || !f.message.contains(failure["message"].as_str().unwrap())
            {
                problems.push(format!(
                    "{id}: failure type {} message {}",
                    f.failure_type, f.message
                ));
            }
            let at = format!(
                "({}:{}:{})",
                failure["file"].as_str().unwrap(),
                failure["line"],
                failure["column"]
            );
            if !f.message.ends_with(&at) || !f.text.contains(&format!("at {at}")) {
                problems.push(format!(
                    "{id}: the failure does not say {at}: {}",
                    f.message
                ));
            }
        }
        ("error", TestStatus::Error(e)) => {
            if e.error_type != failure["category"].as_str().unwrap() || e.error_type == "assertion"
            {
                problems.push(format!("{id}: error type {}", e.error_type));
            }
            if !e.message.contains(failure["message"].as_str().unwrap()) {
                problems.push(format!("{id}: error message {}", e.message));
            }
        }
        ("skipped", TestStatus::Skipped(s)) => {
            if Some(s.message.as_str()) != skip || s.message.is_empty() {
                problems.push(format!(
                    "{id}: skipped message `{}`, want {skip:?}",
                    s.message
                ));
            }
        }
        (v, s) => problems.push(format!("{id}: verdict {v} but JUnit says {s:?}")),
    }
}

#[test]
fn case_granularity_has_the_shape_every_ci_reads() {
    let p = parsed("case");
    check_common_shape(p);
    let by_file = json_cases(p);
    let mut problems = Vec::new();
    let mut testcases = 0;
    for suite in p.junit.suites.iter().filter(|s| s.name != "invalid-input") {
        for tc in cases_of(suite) {
            testcases += 1;
            let case = by_file[tc.file.as_deref().unwrap()];
            let id = format!(
                "{} / {}",
                tc.classname.as_deref().unwrap(),
                tc.original_name
            );
            let expected_name = match case["caseNumber"].as_u64() {
                Some(n) => format!("Case {n}: {}", case["name"].as_str().unwrap()),
                None => case["name"].as_str().unwrap().to_string(),
            };
            if tc.original_name != expected_name {
                problems.push(format!("{id}: name, want {expected_name}"));
            }
            let skip = case["steps"][0]["skipReason"].as_str();
            check_status(
                &id,
                &tc.status,
                case["status"].as_str().unwrap(),
                &case["failure"],
                skip,
                &mut problems,
            );
            // On failure, `line` is where the case failed (in the case file).
            let failure = &case["failure"];
            if failure.is_object()
                && failure["file"] == case["file"]
                && tc.line != failure["line"].as_u64()
            {
                problems.push(format!(
                    "{id}: line {:?}, failure at {}",
                    tc.line, failure["line"]
                ));
            }
        }
    }
    assert_eq!(testcases, by_file.len(), "one testcase per case");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // Every verdict is represented, so every branch above was exercised.
    let statuses: BTreeSet<&str> = by_file
        .values()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["error", "failed", "passed", "skipped"]
            .into_iter()
            .collect()
    );
}

#[test]
fn a_failure_inside_a_fragment_points_at_the_use_step_of_the_case() {
    let p = parsed("case");
    let tc = p
        .junit
        .suites
        .iter()
        .flat_map(|s| s.cases.iter())
        .find(|c| c.file.as_deref() == Some("steps/use-fail.yaml"))
        .unwrap();
    assert_eq!(
        tc.line,
        Some(6),
        "the line of `- name: Check the total` in the case file"
    );
    let TestStatus::Failure(f) = &tc.status else {
        panic!("{:?}", tc.status)
    };
    assert!(
        f.message
            .ends_with("(steps/fragments/expect-total.yaml:8:16)"),
        "{}",
        f.message
    );
}

#[test]
fn step_granularity_has_one_testcase_per_step() {
    let p = parsed("step");
    check_common_shape(p);
    let by_file = json_cases(p);
    let mut problems = Vec::new();
    for (file, case) in &by_file {
        let steps = case["steps"].as_array().unwrap();
        let class = classname_of(file);
        let tcs: Vec<&TestCase> = p
            .junit
            .suites
            .iter()
            .flat_map(|s| s.cases.iter())
            .filter(|c| c.classname.as_deref() == Some(class.as_str()))
            .collect();
        if tcs.len() != steps.len() {
            problems.push(format!(
                "{file}: {} testcases for {} steps",
                tcs.len(),
                steps.len()
            ));
            continue;
        }
        for (i, (tc, s)) in tcs.iter().zip(steps).enumerate() {
            let id = format!("{class} / {}", tc.original_name);
            let want = format!("{:02} {}", i + 1, s["name"].as_str().unwrap());
            if tc.original_name != want {
                problems.push(format!("{id}: want name {want}"));
            }
            if tc.file.as_deref() != s["file"].as_str() || tc.line != s["line"].as_u64() {
                problems.push(format!(
                    "{id}: file/line {:?}:{:?}, step at {}:{}",
                    tc.file, tc.line, s["file"], s["line"]
                ));
            }
            check_status(
                &id,
                &tc.status,
                s["status"].as_str().unwrap(),
                &s["failure"],
                s["skipReason"].as_str(),
                &mut problems,
            );
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_secret_is_redacted_in_the_junit_file() {
    for granularity in ["case", "step"] {
        let p = parsed(granularity);
        assert!(
            !p.run.junit.contains(CANARY),
            "{granularity}: the secret is in the JUnit file"
        );
        let tc = p
            .junit
            .suites
            .iter()
            .flat_map(|s| s.cases.iter())
            .find(|c| c.classname.as_deref() == Some("junit.secret") && c.status.is_failure())
            .unwrap();
        let TestStatus::Failure(f) = &tc.status else {
            unreachable!()
        };
        assert!(
            f.message
                .starts_with(r#"token: expected "nope", got "***""#),
            "{}",
            f.message
        );
    }
}

#[test]
fn load_errors_are_errors_with_their_position() {
    let p = parsed("case");
    let suite = p
        .junit
        .suites
        .iter()
        .find(|s| s.name == "invalid-input")
        .unwrap();
    let errors = p.run.json["loadErrors"].as_array().unwrap();
    assert_eq!(suite.cases.len(), errors.len());
    for (tc, e) in suite.cases.iter().zip(errors) {
        let TestStatus::Error(err) = &tc.status else {
            panic!("{tc:?}")
        };
        assert_eq!(err.error_type, "configuration");
        assert_eq!(
            err.message,
            format!(
                "{}:{}:{}: {}",
                e["file"].as_str().unwrap(),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        );
        assert_eq!(tc.file.as_deref(), e["file"].as_str());
        assert_eq!(tc.line, e["line"].as_u64());
    }
}
