//! Advisory judgements (`severity: advisory` + `because:`) rest on inferred rules: when one does
//! not hold, the integrator sees a warning on the console, in the JSON report, in JUnit (never a
//! `<failure>`) and on the certificate, and the run still passes (exit 0). A mistyped severity or
//! a missing `because:` is a load error.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{run, run_plain};

const CONFIG: &str = "identity:
  systemName: Acme POS
  version: 2.1.0
reports:
  certificateDir: out/certs
  ledger: state/ledger.json
";

/// Passes its one hard judgement; its advisory judgement cannot hold (a thousand store look-ups).
const CASE: &str = r#"name: Look up the store
feature: onboarding
case: 1
steps:
  - name: Find the store
    request:
      url: "{{pos}}/stores"
      query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
      expect: { status: 200 }
  - name: The store was looked up a thousand times
    when: emulator
    severity: advisory
    because: "no document says how often a client looks the store up [inferred]"
    assert:
      journal:
        path_prefix: "{{posPath}}/stores"
        count: { gte: 1000 }
        explain: "your client should look the store up a thousand times"
"#;

fn project(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("poscert.yaml"), CONFIG).unwrap();
    std::fs::create_dir_all(p.join("cases/onboarding")).unwrap();
    std::fs::write(
        p.join("cases/onboarding/feature.yaml"),
        "name: Onboarding\n",
    )
    .unwrap();
    std::fs::write(p.join("cases/onboarding/01-store.yaml"), case).unwrap();
    dir
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
fn an_advisory_that_does_not_hold_warns_in_every_report_and_the_run_passes() {
    let dir = project(CASE);
    let p = dir.path();
    let out = run(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());

    // Console: the case passed, the warning says what, where and why it is advisory.
    assert!(
        out.stdout.contains("PASS  onboarding case 1"),
        "{}",
        out.output()
    );
    let warning_line = out
        .stdout
        .lines()
        .find(|l| l.contains("WARNING (advisory, not failing the case)"))
        .unwrap_or_else(|| panic!("no warning line\n{}", out.output()));
    assert!(warning_line.contains("your client should look the store up a thousand times"));
    assert!(warning_line.contains("cases/onboarding/01-store.yaml:16:9"));
    assert!(warning_line.contains("no document says how often"));
    assert!(
        out.stdout.contains("with 1 advisory warning"),
        "{}",
        out.output()
    );

    // JSON: the case passed and carries the warning; so does the step.
    let case = out.case_by_id("onboarding/01-store");
    assert_eq!(case["status"], "passed");
    let warnings = case["warnings"]
        .as_array()
        .expect("warnings in the JSON report");
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0]["step"],
        "The store was looked up a thousand times"
    );
    assert_eq!(
        warnings[0]["because"],
        "no document says how often a client looks the store up [inferred]"
    );
    assert_eq!(warnings[0]["line"], 16);
    let step = support::step(case, "The store was looked up a thousand times");
    assert_eq!(step["status"], "passed");
    assert!(step["failure"].is_null());
    assert!(step["warning"]["message"]
        .as_str()
        .unwrap()
        .contains("saw 0"));

    // JUnit: no failure, a property and a system-out line.
    assert!(!out.junit.contains("<failure"), "{}", out.junit);
    assert!(
        out.junit.contains("name=\"poscert.warning.1\""),
        "{}",
        out.junit
    );
    assert!(out.junit.contains("WARNING (advisory"), "{}", out.junit);

    // Certificate: Markdown and JSON list the advisory.
    let md = only_file(&p.join("out/certs"), ".md");
    assert!(md.contains("Advisories (inferred rules"), "{md}");
    assert!(
        md.contains("your client should look the store up a thousand times"),
        "{md}"
    );
    let cert: Value = serde_json::from_str(&only_file(&p.join("out/certs"), ".json")).unwrap();
    let cert_warnings = &cert["features"][0]["cases"][0]["warnings"];
    assert_eq!(
        cert_warnings[0]["because"], warnings[0]["because"],
        "{cert}"
    );
}

#[test]
fn a_hard_judgement_that_does_not_hold_still_fails() {
    let hard = CASE.replace("    severity: advisory\n", "").replace(
        "    because: \"no document says how often a client looks the store up [inferred]\"\n",
        "",
    );
    let dir = project(&hard);
    let out = run(dir.path(), &["cases"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(out.junit.contains("<failure"), "{}", out.junit);
}

#[test]
fn severity_mistakes_are_load_errors_at_their_line() {
    let cases = [
        (
            CASE.replace("severity: advisory", "severity: soft"),
            "12:15",
            "unknown severity `soft`; expected hard or advisory",
        ),
        (
            CASE.replace(
                "    because: \"no document says how often a client looks the store up [inferred]\"\n",
                "",
            ),
            "12:15",
            "an advisory judgement needs `because:`",
        ),
        (
            CASE.replace("    severity: advisory\n", ""),
            "12:14",
            "`because:` explains `severity: advisory`",
        ),
    ];
    for (text, at, message) in cases {
        let dir = project(&text);
        let out = run_plain(dir.path(), &["validate", "cases"]);
        assert_eq!(out.code, Some(2), "{}", out.output());
        let all = out.output();
        assert!(
            all.contains(&format!("cases/onboarding/01-store.yaml:{at}")),
            "{at}\n{all}"
        );
        assert!(all.contains(message), "{message}\n{all}");
    }
}
