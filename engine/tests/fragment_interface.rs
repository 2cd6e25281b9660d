//! Fragments declare their interface (`params`, `gives`) and the language has shorthands that
//! keep cases short: `retry: N`, `group:`, default `setup`/`finally` in `feature.yaml`, and a
//! case's feature from its folder. Every test writes real files into a temp dir and runs the real
//! binary through its command line (`validate`, or a run against the embedded emulator).

mod support;

use poscert_engine::scenario::convert::BUILTIN_VARS;
use serde_json::Value;
use std::path::Path;
use support::{run, run_plain, step, Run};

/// Writes `files` (relative path, text) under a new temp dir.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

fn validate(dir: &Path) -> Run {
    run_plain(dir, &["validate", "."])
}

/// Names and statuses of a case's top-level steps, in order.
fn steps_of(case: &Value) -> Vec<(String, String)> {
    case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A fragment with one required and one optional param, that gives `greeting`.
const GREET: &str = r#"name: Greet
params:
  who: the person to greet
  punctuation: { description: what ends the greeting, default: "!" }
gives:
  greeting: the greeting
steps:
  - set: { greeting: "hello {{who}}{{punctuation}}" }
"#;

/// Gives `who`, so a later `use:` of greet needs no `with:`.
const CHOOSE: &str = r#"name: Choose someone
gives:
  who: the person chosen
steps:
  - set: { who: ada }
"#;

// ---- required params ---------------------------------------------------------------------------

#[test]
fn a_use_without_a_required_param_fails_validate_at_its_use_line_naming_the_param() {
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        (
            "payments/01-case.yaml",
            "name: Forgets who\nfeature: payments\nsteps:\n  - wait: 0s\n  - use: fragments/greet.yaml\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("payments/01-case.yaml:5:5"),
        "the error points at the `use:` line:\n{}",
        r.output()
    );
    assert!(
        r.stderr
            .contains("fragments/greet.yaml needs `who` (the person to greet)"),
        "{}",
        r.output()
    );
    assert!(
        r.stderr.contains("pass it with `with: { who: ... }`"),
        "the error says how to pass it:\n{}",
        r.output()
    );
    // The optional param is not asked for.
    assert!(!r.stderr.contains("`punctuation`"), "{}", r.output());
}

#[test]
fn a_required_param_counts_as_given_by_with_vars_set_captures_and_earlier_gives() {
    let case = |name: &str, body: &str| format!("name: {name}\nfeature: payments\n{body}");
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        ("fragments/choose.yaml", CHOOSE),
        (
            "payments/01-with.yaml",
            &case("with", "steps:\n  - use: fragments/greet.yaml\n    with: { who: ada }\n"),
        ),
        (
            "payments/02-vars.yaml",
            &case("vars", "vars: { who: ada }\nsteps:\n  - use: fragments/greet.yaml\n"),
        ),
        (
            "payments/03-set.yaml",
            &case("set", "steps:\n  - set: { who: ada }\n  - use: fragments/greet.yaml\n"),
        ),
        (
            "payments/04-capture.yaml",
            &case(
                "capture",
                "steps:\n  - request: { url: \"{{pos}}/stores\", capture: { who: \"$.storeIds[0]\" } }\n  - use: fragments/greet.yaml\n",
            ),
        ),
        (
            "payments/05-gives.yaml",
            &case(
                "gives",
                "steps:\n  - use: fragments/choose.yaml\n  - use: fragments/greet.yaml\n",
            ),
        ),
        (
            "payments/06-setup.yaml",
            &case(
                "setup",
                "setup:\n  - use: fragments/choose.yaml\nsteps:\n  - use: fragments/greet.yaml\n",
            ),
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert!(r.stdout.contains("6 cases"), "{}", r.output());
}

#[test]
fn what_a_fragment_was_passed_is_not_given_to_the_steps_after_it() {
    // At run time `who` is still in the scope after the first use, but it is not part of greet's
    // interface: a case that leaned on it would break when greet changed its insides.
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        (
            "payments/01-case.yaml",
            "name: Leans on a leftover\nfeature: payments\nsteps:\n  - use: fragments/greet.yaml\n    with: { who: ada }\n  - use: fragments/greet.yaml\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(r.stderr.contains("01-case.yaml:6:5"), "{}", r.output());
    assert!(r.stderr.contains("needs `who`"), "{}", r.output());
}

#[test]
fn a_fragment_checks_its_own_uses_against_its_params() {
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        (
            "fragments/greet-twice.yaml",
            "params: { name: the person }\nsteps:\n  - use: fragments/greet.yaml\n",
        ),
        (
            "payments/01-case.yaml",
            "name: c\nfeature: payments\nsteps:\n  - use: fragments/greet-twice.yaml\n    with: { name: ada }\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("fragments/greet-twice.yaml:3:5") && r.stderr.contains("needs `who`"),
        "the error is where the fragment uses greet:\n{}",
        r.output()
    );
}

#[test]
fn a_required_param_missing_in_the_default_setup_names_the_case() {
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        (
            "payments/feature.yaml",
            "name: Payments\nsetup:\n  - use: fragments/greet.yaml\n",
        ),
        ("payments/01-case.yaml", "name: c\nsteps:\n  - wait: 0s\n"),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("payments/feature.yaml:3:5")
            && r.stderr.contains("(for the case ./payments/01-case.yaml)"),
        "{}",
        r.output()
    );
}

// ---- unknown params ----------------------------------------------------------------------------

#[test]
fn an_unknown_with_key_fails_with_did_you_mean() {
    let dir = tree(&[
        ("fragments/greet.yaml", GREET),
        (
            "payments/01-case.yaml",
            "name: Typo\nfeature: payments\nsteps:\n  - use: fragments/greet.yaml\n    with: { who: ada, punctuaton: \"?\" }\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains(
            "`punctuaton` is not a param of fragments/greet.yaml (did you mean `punctuation`?); its params are: who, punctuation"
        ),
        "{}",
        r.output()
    );
    assert!(r.stderr.contains("01-case.yaml:5:23"), "{}", r.output());
}

#[test]
fn a_fragment_without_a_declared_interface_is_not_checked() {
    let dir = tree(&[
        ("fragments/plain.yaml", "- set: { greeting: \"hello {{who}}\" }\n"),
        (
            "payments/01-case.yaml",
            "name: c\nfeature: payments\nsteps:\n  - use: fragments/plain.yaml\n    with: { who: ada, anything: 1 }\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(0), "{}", r.output());
}

// ---- what a fragment declares must be true -----------------------------------------------------

#[test]
fn a_fragment_must_declare_what_it_reads() {
    let dir = tree(&[
        (
            "fragments/greet.yaml",
            "params: { who: the person }\nsteps:\n  - set: { greeting: \"hello {{who}} from {{posName}}\" }\n",
        ),
        (
            "payments/01-case.yaml",
            "name: c\nfeature: payments\nvars: { posName: till }\nsteps:\n  - use: fragments/greet.yaml\n    with: { who: ada }\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("fragments/greet.yaml:3:22")
            && r.stderr.contains("this fragment reads `posName`"),
        "{}",
        r.output()
    );
}

#[test]
fn a_fragment_cannot_give_what_it_never_sets() {
    let dir = tree(&[
        (
            "fragments/greet.yaml",
            "gives: { greting: the greeting }\nsteps:\n  - set: { greeting: hello }\n",
        ),
        (
            "payments/01-case.yaml",
            "name: c\nfeature: payments\nsteps:\n  - use: fragments/greet.yaml\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("fragments/greet.yaml:1:10")
            && r.stderr.contains("`greting` is declared under `gives`"),
        "{}",
        r.output()
    );
}

// ---- optional params ---------------------------------------------------------------------------

#[test]
fn an_omitted_optional_param_runs_with_its_default_and_a_given_one_wins() {
    let fragment = r#"name: Capture
params:
  amount: the amount
  captureAmount: { description: what to capture, default: "{{amount}}" }
  restrictions: { description: card restrictions, default: null }
  expected: what captureAmount must be
  expectedRestrictions: what restrictions must be
steps:
  - name: Check the values
    assert:
      vars:
        captureAmount: { eq: "{{expected}}", type: number }
        restrictions: "{{expectedRestrictions}}"
"#;
    let case = |name: &str, vars: &str, with: &str| {
        format!(
            "name: {name}\nfeature: payments\nvars: {vars}\nsteps:\n  - use: fragments/capture.yaml\n{with}"
        )
    };
    let dir = tree(&[
        ("fragments/capture.yaml", fragment),
        (
            "payments/01-defaults.yaml",
            &case(
                "defaults",
                "{ amount: 12.5, expected: 12.5, expectedRestrictions: null }",
                "",
            ),
        ),
        (
            "payments/02-scope.yaml",
            &case(
                "the scope gives them",
                "{ amount: 12.5, captureAmount: 7, restrictions: { debitCardDisallowed: true }, expected: 7, expectedRestrictions: { debitCardDisallowed: true } }",
                "",
            ),
        ),
        (
            "payments/03-with.yaml",
            &case(
                "with gives them",
                "{ amount: 12.5, captureAmount: 7, expected: 3, expectedRestrictions: { creditCardDisallowed: true } }",
                "    with: { captureAmount: 3, restrictions: { creditCardDisallowed: true } }\n",
            ),
        ),
    ]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    for file in [
        "./payments/01-defaults.yaml",
        "./payments/02-scope.yaml",
        "./payments/03-with.yaml",
    ] {
        assert_eq!(r.case(file)["status"], "passed", "{file}\n{}", r.output());
    }
}

#[test]
fn a_default_that_cannot_render_fails_at_the_use_line() {
    // `b` is given statically (a `set:` counts even when its `if:` skips it), so validate passes;
    // at run time it is missing and `a`'s default cannot render: the failure is the caller's.
    let dir = tree(&[
        (
            "fragments/f.yaml",
            "params:\n  b: the base\n  a: { description: d, default: \"{{b}}\" }\nsteps:\n  - wait: 0s\n",
        ),
        (
            "payments/01-case.yaml",
            "name: c\nfeature: payments\nsteps:\n  - set: { b: 1 }\n    if: \"false\"\n  - use: fragments/f.yaml\n",
        ),
    ]);
    assert_eq!(validate(dir.path()).code, Some(0));
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(1), "{}", r.output());
    let failure = &r.case("./payments/01-case.yaml")["failure"];
    assert_eq!(failure["line"], 6, "{failure}");
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .starts_with("default for a:"),
        "{failure}"
    );
}

// ---- retry: N ----------------------------------------------------------------------------------

/// A case whose stores request meets two 500s from the emulator, retried with `retry`.
fn retried_case(retry: &str) -> String {
    format!(
        r#"name: Retry {retry}
feature: payments
steps:
  - name: The API will answer the next two store look-ups with 500
    request:
      method: POST
      url: "{{{{emulator}}}}/faults"
      json: {{ method: GET, path: "{{{{posPath}}}}/stores", times: 2, kind: error, status: 500, code: "2001" }}
      expect: {{ status: 200 }}
  - name: Look the store up
    request:
      url: "{{{{pos}}}}/stores"
      query: {{ merchantBrandId: "{{{{merchantBrandId}}}}", merchantLocationId: "{{{{merchantLocationId}}}}" }}
      retry: {retry}
      expect: {{ status: 200 }}
"#
    )
}

#[test]
fn retry_3_is_three_attempts_on_5xx() {
    let dir = tree(&[("payments/01-case.yaml", &retried_case("3"))]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let look_up = step(r.case("./payments/01-case.yaml"), "Look the store up");
    assert_eq!(
        look_up["attempts"].as_array().unwrap().len(),
        3,
        "{look_up}"
    );
}

#[test]
fn retry_2_is_not_enough_for_two_500s() {
    // The counterpart of the test above: the number is the attempts in all.
    let dir = tree(&[("payments/01-case.yaml", &retried_case("2"))]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(1), "{}", r.output());
    let look_up = step(r.case("./payments/01-case.yaml"), "Look the store up");
    assert_eq!(look_up["status"], "failed", "{look_up}");
    assert_eq!(look_up["attempts"].as_array().unwrap().len(), 2);
}

// ---- group -------------------------------------------------------------------------------------

#[test]
fn a_group_applies_its_when_and_if_to_every_step_inside_and_reports_the_steps() {
    let dir = tree(&[(
        "payments/01-case.yaml",
        r#"name: Groups
feature: payments
vars: { flag: false, other: 2 }
steps:
  - group: Only against the sandbox
    when: sandbox
    steps:
      - name: sandbox one
        assert: { vars: { other: 1 } }
      - name: sandbox two
        assert: { vars: { other: 1 } }
  - group: Only when the flag is set
    if: "{{flag}}"
    steps:
      - name: flagged one
        assert: { vars: { other: 1 } }
      - name: flagged two
        set: { touched: true }
  - group: Against the emulator
    when: emulator
    if: "{{eq other 2}}"
    steps:
      - name: emulator one
        set: { ran: yes }
      - group: nested, for the reference client
        when: reference
        steps:
          - name: nested one
            set: { nested: yes }
      - name: own condition after the group's
        if: "{{flag}}"
        set: { never: yes }
  - name: Check what ran
    assert:
      vars:
        ran: yes
        nested: yes
        touched: { exists: false }
        never: { exists: false }
"#,
    )]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let case = r.case("./payments/01-case.yaml");
    let names: Vec<(String, String)> = steps_of(case);
    let expected: Vec<(String, String)> = [
        ("sandbox one", "skipped"),
        ("sandbox two", "skipped"),
        ("flagged one", "skipped"),
        ("flagged two", "skipped"),
        ("emulator one", "passed"),
        ("nested one", "passed"),
        ("own condition after the group's", "skipped"),
        ("Check what ran", "passed"),
    ]
    .iter()
    .map(|(n, s)| (n.to_string(), s.to_string()))
    .collect();
    assert_eq!(
        names, expected,
        "the steps inside groups are the case's steps"
    );
    assert!(
        step(case, "sandbox one")["skipReason"]
            .as_str()
            .unwrap()
            .contains("only against the real sandbox"),
        "{}",
        step(case, "sandbox one")
    );
    assert_eq!(
        step(case, "flagged two")["skipReason"],
        "condition `{{flag}}` is false"
    );
}

#[test]
fn a_request_in_a_when_reference_group_is_the_clients_work() {
    // The journal counts the client's requests, not the judge's: the group's `when: reference`
    // must reach the request inside it, as if written on it.
    let dir = tree(&[(
        "payments/01-case.yaml",
        r#"name: Client's work
feature: payments
steps:
  - group: What the reference client does
    when: reference
    steps:
      - name: The client looks the store up
        request:
          url: "{{pos}}/stores"
          query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
          expect: { status: 200 }
  - name: The journal shows the client's look-up
    assert:
      journal:
        method: GET
        path: "{{posPath}}/stores"
        count: 1
"#,
    )]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
}

#[test]
fn a_step_that_its_group_rules_out_is_an_error() {
    let dir = tree(&[(
        "payments/01-case.yaml",
        "name: c\nfeature: payments\nsteps:\n  - group: g\n    when: reference\n    steps:\n      - wait: 0s\n        when: adapter\n",
    )]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("01-case.yaml:7:9") && r.stderr.contains("can never run"),
        "{}",
        r.output()
    );
}

// ---- feature.yaml defaults ---------------------------------------------------------------------

#[test]
fn feature_yaml_gives_setup_and_finally_to_the_cases_that_give_none() {
    let feature = r#"name: Payments
setup:
  - name: Default setup
    set: { fromSetup: yes }
finally:
  - name: Default finally
    set: { fromFinally: yes }
"#;
    let dir = tree(&[
        ("payments/feature.yaml", feature),
        (
            "payments/01-inherits.yaml",
            "name: inherits\nsteps:\n  - name: Setup ran\n    assert: { vars: { fromSetup: yes } }\n",
        ),
        (
            "payments/02-own.yaml",
            "name: own\nsetup:\n  - name: Own setup\n    set: { mine: yes }\nfinally: []\nsteps:\n  - name: Default setup did not run\n    assert: { vars: { fromSetup: { exists: false } } }\n",
        ),
    ]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let inherits = r.case("./payments/01-inherits.yaml");
    assert_eq!(
        steps_of(inherits),
        [
            ("Default setup".to_string(), "passed".to_string()),
            ("Setup ran".into(), "passed".into()),
            ("Default finally".into(), "passed".into()),
        ]
    );
    // The inherited steps point at the file they are written in.
    assert_eq!(
        step(inherits, "Default finally")["file"],
        "./payments/feature.yaml"
    );
    assert_eq!(step(inherits, "Default finally")["phase"], "finally");
    let own = r.case("./payments/02-own.yaml");
    assert_eq!(
        steps_of(own),
        [
            ("Own setup".to_string(), "passed".to_string()),
            ("Default setup did not run".into(), "passed".into()),
        ],
        "its own setup, and `finally: []` means none"
    );
}

#[test]
fn a_broken_feature_yaml_fails_the_cases_that_need_its_defaults() {
    let dir = tree(&[
        (
            "payments/feature.yaml",
            "name: Payments\nsetup:\n  - wiat: 1s\n",
        ),
        ("payments/01-case.yaml", "name: c\nsteps:\n  - wait: 0s\n"),
        (
            "payments/02-own.yaml",
            "name: own\nsetup: []\nfinally: []\nsteps:\n  - wait: 0s\n",
        ),
    ]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr
            .contains("this case gives no own `setup` or `finally`")
            && r.stderr.contains("feature.yaml:3:5"),
        "{}",
        r.output()
    );
    // The case that needs nothing from it still loads: two invalid files, not three.
    assert!(r.stdout.contains("1 cases"), "{}", r.output());
}

#[test]
fn the_certificate_covers_the_feature_yaml_whose_steps_a_case_ran() {
    // Its default setup is part of what the case did: editing it must change the digest.
    let config = "identity:\n  systemName: Acme POS\n  version: 2.1.0\nreports:\n  certificateDir: certs\n  ledger: ledger.json\n";
    let dir = tree(&[
        ("poscert.yaml", config),
        (
            "cases/onboarding/feature.yaml",
            "name: Onboarding\nsetup:\n  - set: { ready: yes }\n",
        ),
        (
            "cases/onboarding/01-case.yaml",
            "name: c\ncase: 1\nsteps:\n  - assert: { vars: { ready: yes } }\n",
        ),
    ]);
    let certificate = |dir: &Path| -> Value {
        let r = run_plain(dir, &["cases"]);
        assert_eq!(r.code, Some(0), "{}", r.output());
        let mut certs: Vec<_> = std::fs::read_dir(dir.join("certs"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        certs.sort();
        let text = std::fs::read_to_string(certs.last().unwrap()).unwrap();
        std::fs::remove_dir_all(dir.join("certs")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let first = certificate(dir.path());
    let files: Vec<(&str, &str)> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["role"].as_str().unwrap()))
        .collect();
    assert!(
        files.contains(&("cases/onboarding/feature.yaml", "fragment")),
        "{files:?}"
    );
    std::fs::write(
        dir.path().join("cases/onboarding/feature.yaml"),
        "name: Onboarding\nsetup:\n  - set: { ready: yes, more: 1 }\n",
    )
    .unwrap();
    let second = certificate(dir.path());
    assert_ne!(first["digest"], second["digest"]);
}

// ---- feature from the folder -------------------------------------------------------------------

#[test]
fn a_case_without_feature_belongs_to_its_folder() {
    let dir = tree(&[
        (
            "refunds/01-case.yaml",
            "name: In refunds\ncase: 1\nsteps:\n  - wait: 0s\n",
        ),
        // An explicit feature still wins over the folder, as before.
        (
            "refunds/02-case.yaml",
            "name: Says payments\nfeature: payments\ncase: 1\nsteps:\n  - wait: 0s\n",
        ),
    ]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert_eq!(r.case("./refunds/01-case.yaml")["feature"], "refunds");
    assert_eq!(r.case("./refunds/02-case.yaml")["feature"], "payments");
    let list = run_plain(dir.path(), &["list", "."]);
    assert!(
        list.stdout.contains("refunds") && list.stdout.contains("case 1: In refunds"),
        "{}",
        list.output()
    );
}

#[test]
fn a_case_without_feature_outside_a_feature_folder_is_an_error() {
    let dir = tree(&[("misc/01-case.yaml", "name: c\nsteps:\n  - wait: 0s\n")]);
    let r = validate(dir.path());
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr
            .contains("this case gives no `feature:` and its folder `misc` is not a feature"),
        "{}",
        r.output()
    );
}

// ---- the lists the check relies on -------------------------------------------------------------

#[test]
fn every_built_in_variable_the_check_counts_exists_in_a_run() {
    let vars: String = BUILTIN_VARS
        .iter()
        .map(|v| format!("        {v}: {{ exists: true }}\n"))
        .collect();
    let dir = tree(&[(
        "payments/01-case.yaml",
        &format!("name: Built-ins\nsteps:\n  - assert:\n      vars:\n{vars}"),
    )]);
    let r = run(dir.path(), &["."]);
    assert_eq!(r.code, Some(0), "{}", r.output());
}

#[test]
fn every_fragment_under_scenarios_declares_its_interface() {
    // A fragment without `params:` or `gives:` is not checked, nor are the calls to it.
    let dir = support::repo_root().join("scenarios/fragments");
    let mut undeclared = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let declares = text
            .lines()
            .any(|l| l.starts_with("params:") || l.starts_with("gives:"));
        if !declares {
            undeclared.push(entry.path().display().to_string());
        }
    }
    assert!(undeclared.is_empty(), "{undeclared:?}");
}
