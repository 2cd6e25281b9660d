//! Load errors a person can read, exactly as `poscert-engine validate` prints them: a line of
//! 200,000 characters is shown as a window around the column with `…` where it was cut (the
//! caret still under the offending character), and a file over the YAML parser's limits says
//! which limit, in words.

mod support;

use support::run_plain;

/// Writes `cases/<name>` in a fresh folder and validates it; returns the run.
fn validate(name: &str, text: &str) -> (support::Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("cases")).unwrap();
    std::fs::write(dir.path().join("cases").join(name), text).unwrap();
    let run = run_plain(dir.path(), &["validate", "cases"]);
    (run, dir)
}

#[test]
fn a_200000_character_line_is_shown_around_the_error() {
    // The second `first` (a duplicate key) sits in the middle of a 200,020-character line.
    let line = format!(
        "vars: {{ first: \"{}\", first: 1, last: \"{}\" }}",
        "a".repeat(99_990),
        "c".repeat(99_990)
    );
    let text = format!("name: Long\nfeature: onboarding\ncase: 1\n{line}\nsteps:\n  - wait: 1s\n");
    let (run, _dir) = validate("long.yaml", &text);
    let expected = format!(
        "error: invalid YAML: duplicate mapping key: first\n  --> cases/long.yaml:4:100010\n  \
         |\n4 | …{}\", first: 1, last: \"{}…\n  | {}^\n",
        "a".repeat(56),
        "c".repeat(42),
        " ".repeat(60)
    );
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.starts_with(&expected),
        "expected stderr to start with\n{expected}\n{}",
        run.output()
    );
}

#[test]
fn a_file_over_the_node_limit_names_the_limit_in_words() {
    let mut text = String::from("name: Big\nfeature: onboarding\ncase: 1\nsteps:\n  - wait: 1s\n");
    text.push_str("vars:\n");
    for i in 0..130_000 {
        text.push_str(&format!("  k{i}: v\n"));
    }
    // 14 nodes before the entries, 2 per entry: node 250,001 is the key `k124993` (line 125000).
    let (run, _dir) = validate("big.yaml", &text);
    let expected = "error: invalid YAML: the file has more than 250,000 YAML nodes (keys, values, \
                    lists and mappings), over the limit for one file\n  --> \
                    cases/big.yaml:125000:3\n       |\n125000 |   k124993: v\n       |   ^\n";
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.starts_with(expected),
        "expected stderr to start with\n{expected}\n{}",
        run.output()
    );
}
