//! The command line as a user drives it: `--tag`, `--filter`, `--var`, `--vars-file`,
//! `--dry-run`, the `validate` and `list` subcommands, and exit codes 0, 1 and 2 (130 is in
//! interrupt.rs). Cases are in `fixtures/cli/` (Alpha smoke, Beta slow, Gamma refund).

mod support;

use support::{fixtures, record, run, run_plain, Log, Run, TestServer};

/// The case files of a report, in report order.
fn files(r: &Run) -> Vec<&str> {
    r.json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no report:\n{}", r.output()))
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect()
}

#[test]
fn all_passing_exits_0_with_a_line_per_case() {
    let r = run(&fixtures(), &["cli"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert_eq!(
        files(&r),
        ["cli/alpha.yaml", "cli/beta.yaml", "cli/gamma.yaml"]
    );
    for line in [
        "PASS  payments case 1: Alpha smoke",
        "PASS  payments case 2: Beta slow",
        "PASS  refunds case 1: Gamma refund",
        "3 passed, 0 failed, 0 skipped",
    ] {
        assert!(r.stdout.contains(line), "no `{line}` in\n{}", r.output());
    }
    assert_eq!(r.json["summary"]["passed"], 3);
}

#[test]
fn jobs_1_runs_cases_one_by_one_in_certification_order() {
    // Feature order first (payments before refunds), then case number.
    let r = run(
        &fixtures(),
        &["cli", "interrupt/b-not-started.yaml", "--jobs", "1"],
    );
    let finished: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("PASS "))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(
        finished,
        [
            "cli/alpha.yaml",
            "cli/beta.yaml",
            "interrupt/b-not-started.yaml",
            "cli/gamma.yaml"
        ],
        "{}",
        r.output()
    );
}

#[test]
fn tag_expressions_select_cases() {
    let r = run(&fixtures(), &["cli", "--tag", "smoke and not slow"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert_eq!(files(&r), ["cli/alpha.yaml"]);
    let r = run(&fixtures(), &["cli", "--tag", "slow or fast"]);
    assert_eq!(
        files(&r),
        ["cli/alpha.yaml", "cli/beta.yaml", "cli/gamma.yaml"]
    );
    let r = run(&fixtures(), &["cli", "--tag", "(smoke or fast) and slow"]);
    assert_eq!(files(&r), ["cli/gamma.yaml"]);
}

#[test]
fn filter_matches_names_files_and_regexes() {
    let r = run(&fixtures(), &["cli", "--filter", "Gamma"]);
    assert_eq!(files(&r), ["cli/gamma.yaml"]);
    let r = run(&fixtures(), &["cli", "--filter", "^cli/(alpha|beta)"]);
    assert_eq!(files(&r), ["cli/alpha.yaml", "cli/beta.yaml"]);
}

#[test]
fn var_overrides_case_vars_with_typed_values() {
    let r = run(
        &fixtures(),
        &["cli/alpha.yaml", "--var", "who=cli", "--var", "amount=12.5"],
    );
    assert_eq!(r.code, Some(1), "{}", r.output());
    let f = &r.case("cli/alpha.yaml")["failure"];
    assert_eq!(f["expected"], r#""case""#);
    assert_eq!(f["actual"], r#""cli""#);
    let r = run(
        &fixtures(),
        &[
            "cli/alpha.yaml",
            "--var",
            "who=cli",
            "--var",
            "expected=cli",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.output());
    // `amount=text` is text, so `type: number` fails: --var values are typed as YAML scalars.
    let r = run(&fixtures(), &["cli/alpha.yaml", "--var", "amount=lots"]);
    assert_eq!(r.code, Some(1), "{}", r.output());
    assert_eq!(
        r.case("cli/alpha.yaml")["failure"]["message"],
        r#"amount: expected a value of type number, got "lots""#
    );
}

#[test]
fn vars_file_sets_variables_and_var_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vars.yaml");
    std::fs::write(&file, "who: file\nexpected: file\n").unwrap();
    let path = file.to_str().unwrap();
    let r = run(&fixtures(), &["cli/alpha.yaml", "--vars-file", path]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let r = run(
        &fixtures(),
        &["cli/alpha.yaml", "--vars-file", path, "--var", "who=cli"],
    );
    assert_eq!(r.code, Some(1), "{}", r.output());
    assert_eq!(r.case("cli/alpha.yaml")["failure"]["actual"], r#""cli""#);
    // A broken vars file is invalid input, with its position.
    std::fs::write(&file, "who: [unclosed\n").unwrap();
    let r = run(&fixtures(), &["cli/alpha.yaml", "--vars-file", path]);
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.starts_with(&format!("error: {path}:")),
        "{}",
        r.output()
    );
}

#[test]
fn dry_run_renders_every_request_redacted_and_sends_none() {
    let log = Log::default();
    let app = TestServer::start(record(axum::Router::new(), log.clone()));
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("exec-ran");
    let r = run(
        &fixtures(),
        &[
            "dry-run",
            "--dry-run",
            "--var",
            &format!("app={}", app.url),
            "--var",
            &format!("marker={}", marker.display()),
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.output());
    for line in [
        "# Initiate at the PoS API (dry-run/dry.yaml:6)",
        "/pos/v10/payments\n",
        "X-MobilePay-Idempotency-Key: key-1",
        "Authorization: Bearer ***",
        r#"{"orderId":"order-9","amount":12.5}"#,
        "# Tell the shop (dry-run/dry.yaml:14)",
        &format!("POST {}/orders/<paymentId>", app.url),
        "paid order-9",
    ] {
        assert!(r.stdout.contains(line), "no `{line}` in\n{}", r.output());
    }
    assert!(log.all().is_empty(), "a dry run sent {:?}", log.all());
    assert!(!marker.exists(), "a dry run ran a command");
    let c = r.case("dry-run/dry.yaml");
    assert_eq!(c["status"], "skipped");
    let exec = support::step(c, "Run the harness");
    assert!(
        exec["skipReason"]
            .as_str()
            .unwrap()
            .starts_with("dry run: would run sh -c"),
        "{exec}"
    );
    // A capture is only a placeholder in a dry run: judging it would fail for no reason.
    let judge = support::step(c, "Judge the captured payment");
    assert_eq!(judge["status"], "skipped", "{judge}");
    assert_eq!(judge["skipReason"], "dry run: nothing is judged");
}

#[test]
fn validate_checks_everything_and_runs_nothing() {
    let r = run_plain(&fixtures(), &["validate", "steps"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    assert_eq!(
        r.stdout.trim(),
        "16 cases, 0 features, 1 fragments checked; 0 invalid file(s)"
    );
    let r = run_plain(&fixtures(), &["validate", "steps", "broken-steps"]);
    assert_eq!(r.code, Some(2), "{}", r.output());
    assert!(
        r.stderr.contains("--> broken-steps/wait-fail.yaml:7:11"),
        "{}",
        r.output()
    );
    assert_eq!(
        r.stdout.trim(),
        "16 cases, 0 features, 1 fragments checked; 1 invalid file(s)"
    );
    // The real suite is valid.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let r = run_plain(&root, &["validate"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
}

#[test]
fn list_shows_features_cases_tags_and_files() {
    let r = run_plain(&fixtures(), &["list", "cli"]);
    assert_eq!(r.code, Some(0), "{}", r.output());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "payments: payments",
            "  case 1: Alpha smoke [smoke, fast]  cli/alpha.yaml",
            "  case 2: Beta slow [slow]  cli/beta.yaml",
            "refunds: refunds",
            "  case 1: Gamma refund [smoke, slow]  cli/gamma.yaml",
            "3 cases",
        ]
    );
    let r = run_plain(&fixtures(), &["list", "cli", "--tag", "smoke"]);
    assert!(r.stdout.ends_with("2 cases\n"), "{}", r.output());
    assert!(!r.stdout.contains("Beta"), "{}", r.output());
}

#[test]
fn a_failing_case_exits_1() {
    let r = run(&fixtures(), &["steps/request-fail.yaml"]);
    assert_eq!(r.code, Some(1), "{}", r.output());
    assert_eq!(r.json["summary"]["failed"], 1);
}

#[test]
fn usage_and_configuration_errors_exit_2_with_a_reason() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["cli", "--no-such-flag"],
            "unexpected argument '--no-such-flag'",
        ),
        (&["cli", "--tag", "smoke and"], "error: --tag: "),
        (
            &["cli", "--tag", "nothing-has-this"],
            "error: no cases to run in cli",
        ),
        (
            &["no-such-folder"],
            "error: cannot read the file: no such file or folder\n  --> no-such-folder:1:1",
        ),
        (
            &["cli", "--target", "ftp://x"],
            "`ftp://x`: use emulator, sandbox, a base URL",
        ),
        (
            &["cli", "--target", "sandbox"],
            "POSCERT_CLIENT_ID and POSCERT_CLIENT_SECRET",
        ),
        (&["cli", "--timeout", "soon"], "error: --timeout `soon`"),
        (
            &["cli", "--var", "novalue"],
            "error: --var `novalue`: write NAME=VALUE",
        ),
        (
            &["cli", "--client", "adapter"],
            "error: --client adapter needs --adapter CMD",
        ),
    ];
    let mut problems = Vec::new();
    for (args, reason) in cases {
        let r = run_plain(&fixtures(), args);
        if r.code != Some(2) || !r.stderr.contains(reason) {
            problems.push(format!(
                "{args:?}: want exit 2 and `{reason}`\n{}",
                r.output()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn help_documents_the_exit_codes() {
    let r = run_plain(&fixtures(), &["--help"]);
    assert_eq!(r.code, Some(0));
    for code in [
        "0    every case passed",
        "1    a case failed",
        "2    invalid input",
        "130  interrupted",
    ] {
        assert!(
            r.stdout.contains(code),
            "no `{code}` in --help:\n{}",
            r.stdout
        );
    }
}

/// Every `POSCERT_*` variable the engine or the example harness reads is cleared for the tests,
/// so a developer's credentials or defect switch never change what a test sees.
#[test]
fn every_poscert_variable_the_engine_reads_is_cleared_for_tests() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "py") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(&support::repo_root().join("engine/src"), &mut files);
    sources(&support::repo_root().join("examples/adapter"), &mut files);
    let name = regex::Regex::new(r"\bPOSCERT_[A-Z][A-Z_]*[A-Z]\b").unwrap();
    let mut missing = std::collections::BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for found in name.find_iter(&text) {
            if !support::CLEARED_ENV.contains(&found.as_str()) {
                missing.insert(format!("{} (in {})", found.as_str(), file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these to CLEARED_ENV in engine/tests/support/mod.rs: {missing:?}"
    );
}
