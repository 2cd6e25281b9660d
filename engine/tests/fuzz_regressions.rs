//! Inputs the fuzzers (fuzz/) found crashing, each fed through the public path a user's input
//! takes. The bytes are the reproducers kept in `fuzz/seeds/<target>/crash-*`, so the corpus
//! and these tests cannot drift apart.

mod support;

use support::run;

/// The first line of a `template_render` reproducer is the template (`\n` written as `\n`).
fn template_of(seed: &[u8]) -> String {
    let text = std::str::from_utf8(seed).expect("the seed is UTF-8");
    text.split('\n').next().unwrap_or("").replace("\\n", "\n")
}

/// A case setting `value` to `template`, run through the CLI on the embedded emulator: the
/// run must end (exit 1, a failed case), saying what is wrong, never panic.
fn run_template_case(template: &str) -> support::Run {
    let dir = tempfile::tempdir().unwrap();
    let quoted = serde_json::to_string(template).unwrap();
    std::fs::write(
        dir.path().join("case.yaml"),
        format!("name: a template\nfeature: payments\nsteps:\n  - set: {{ value: {quoted} }}\n"),
    )
    .unwrap();
    let r = run(dir.path(), &["case.yaml"]);
    drop(dir);
    r
}

/// `{{now "%Q"}}`: chrono's formatter fails on an unknown specifier and `to_string` panicked
/// (the whole run died at the step). Now the step fails with a template error.
#[test]
fn now_with_an_unknown_date_specifier_fails_the_step() {
    let template = template_of(include_bytes!(
        "../../fuzz/seeds/template_render/crash-now-unknown-specifier"
    ));
    let r = run_template_case(&template);
    assert_eq!(r.code, Some(1), "{}", r.output());
    assert!(!r.stderr.contains("panicked"), "{}", r.output());
    assert!(
        r.output().contains("is not a date format"),
        "{}",
        r.output()
    );
}
