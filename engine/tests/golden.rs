//! Golden tests, in the way of Hurl's integration folder: every folder under
//! `engine/tests/golden/` is one run of the real `poscert-engine` binary, and what the run shows
//! a person (the console, `junit.xml`, `report.json`) must equal the files kept in the folder,
//! once times, durations, ids, hostnames, ports and temp paths are replaced by placeholders.
//!
//! `UPDATE_GOLDEN=1 cargo test -p poscert-engine --test golden` rewrites the expected files
//! instead (see `golden/README.md`); it runs each folder twice and refuses to write a golden that
//! differs between the two runs, since such a golden would fail at random.

mod support;

use regex::Regex;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The arguments a folder runs with unless its `args` file says otherwise: the cases in its
/// `cases/` folder against the embedded emulator, played by the reference client, one at a time
/// (so the console's order is the cases' order).
const DEFAULT_ARGS: [&str; 5] = ["cases", "--client", "reference", "--jobs", "1"];

fn golden_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every golden folder, by name.
fn golden_folders() -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(golden_root())
        .expect("engine/tests/golden exists")
        .map(|entry| entry.expect("a golden folder entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
}

/// The arguments of a folder: its `args` file (one argument per line, `#` lines are comments)
/// or `DEFAULT_ARGS`.
fn arguments(folder: &Path) -> Vec<String> {
    match std::fs::read_to_string(folder.join("args")) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(String::from)
            .collect(),
        Err(_) => DEFAULT_ARGS.iter().map(|arg| arg.to_string()).collect(),
    }
}

/// What one run of a folder produced, normalised, by expected file name.
fn run_folder(folder: &Path) -> Vec<(&'static str, String)> {
    let reports = tempfile::tempdir().expect("a temp dir for the reports");
    let json = reports.path().join("report.json");
    let junit = reports.path().join("junit.xml");
    let mut args = arguments(folder);
    args.extend([
        "--report-json".to_string(),
        json.display().to_string(),
        "--report-junit".to_string(),
        junit.display().to_string(),
    ]);
    let out = support::engine(folder)
        .args(&args)
        .output()
        .expect("the poscert-engine binary runs");
    let places = Places {
        temp: reports.path().to_path_buf(),
        folder: folder.to_path_buf(),
    };
    let console = format!(
        "$ poscert-engine {}\nexit {}\n--- stdout\n{}--- stderr\n{}",
        args.iter()
            .map(|arg| shell_quoted(arg))
            .collect::<Vec<_>>()
            .join(" "),
        out.status
            .code()
            .map_or("by a signal".to_string(), |code| code.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let written = |name: &str| std::fs::read_to_string(reports.path().join(name)).ok();
    let not_written = |name: &str| format!("(poscert-engine wrote no {name})\n");
    vec![
        ("console.txt", normalise_text(&console, &places)),
        (
            "junit.xml",
            written("junit.xml")
                .map(|xml| normalise_junit(&xml, &places))
                .unwrap_or_else(|| not_written("junit.xml")),
        ),
        (
            "report.json",
            written("report.json")
                .map(|text| normalise_report(&text, &places))
                .unwrap_or_else(|| not_written("report.json")),
        ),
    ]
}

/// An argument as a person would type it in a shell (`'sh adapter.sh'`).
fn shell_quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+<>".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------
// The normaliser: what changes from run to run becomes a stable placeholder
// ---------------------------------------------------------------------------

/// Paths of this run that show up in its output.
struct Places {
    /// Where the reports were written.
    temp: PathBuf,
    /// The golden folder (the engine's working directory).
    folder: PathBuf,
}

/// Replacements applied to every text, in order (earlier ones win, so timestamps go before
/// the dates and clock times inside them).
fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
                "<time>",
            ),
            // HTTP's `Date` header: `Mon, 30 Nov 2026 04:13:02 GMT`.
            (
                r"\b[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b",
                "<http-date>",
            ),
            (r"\b\d{4}-\d{2}-\d{2}\b", "<date>"),
            (r"\b\d{2}:\d{2}:\d{2}(\.\d+)?\b", "<clock>"),
            (
                r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
                "<uuid>",
            ),
            (
                r"\b(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):\d{1,5}\b",
                "$1:<port>",
            ),
            // Measured durations (`0.42s`, `1.5 s`, `312ms`, `12µs`); a case's own settings
            // such as `wait: 1s` are whole seconds and stay.
            (r"\b\d+\.\d+ ?(ms|s|µs)\b", "<duration>"),
            (r"\b\d+ ?(ms|µs)\b", "<duration>"),
            // Temp paths the engine or a harness made itself.
            (r"/tmp/\.tmp[0-9A-Za-z]+", "<tmp>"),
        ]
        .into_iter()
        .map(|(pattern, placeholder)| (Regex::new(pattern).expect("a valid pattern"), placeholder))
        .collect()
    })
}

fn normalise_text(text: &str, places: &Places) -> String {
    let mut text = text
        .replace(&places.temp.display().to_string(), "<tmp>")
        .replace(&places.folder.display().to_string(), "<golden>")
        .replace(&support::repo_root().display().to_string(), "<repo>");
    for (pattern, placeholder) in patterns() {
        text = pattern.replace_all(&text, *placeholder).into_owned();
    }
    text
}

/// JUnit: the text rules, plus every `time` attribute, every measured property (such as
/// `operator.cancel-payment.waitMs`) and the `hostname` attribute. The hostname is replaced
/// only where the reports name it: a machine called `poscert` must not rewrite the console.
fn normalise_junit(xml: &str, places: &Places) -> String {
    static MEASURED: OnceLock<[Regex; 3]> = OnceLock::new();
    let [time, property, hostname] = MEASURED.get_or_init(|| {
        [
            Regex::new(r#"\btime="[0-9.]+""#).expect("a valid pattern"),
            Regex::new(r#"(<property name="[^"]*(?:waitMs|durationMs)" value=")[0-9.]+""#)
                .expect("a valid pattern"),
            Regex::new(r#"\bhostname="[^"]*""#).expect("a valid pattern"),
        ]
    });
    let xml = time.replace_all(xml, r#"time="<duration>""#);
    let xml = property.replace_all(&xml, r#"${1}<duration>""#);
    let xml = hostname.replace_all(&xml, r#"hostname="<host>""#);
    normalise_text(&xml, places)
}

/// The JSON report: every number under a key that holds a measured duration becomes
/// `"<duration>"`, every string goes through the text rules, and the result is pretty-printed.
fn normalise_report(text: &str, places: &Places) -> String {
    let Ok(mut report) = serde_json::from_str::<Value>(text) else {
        return normalise_text(text, places);
    };
    normalise_json(&mut report, "", places);
    serde_json::to_string_pretty(&report).expect("JSON prints") + "\n"
}

/// Keys whose numbers are measured, not chosen: `durationMs`, an operator's `waitMs`.
/// (A case's own settings, such as a timeout, stay: they are what the case says.)
fn is_measured(key: &str) -> bool {
    key == "waitMs" || {
        let key = key.to_ascii_lowercase();
        key.contains("duration") || key.contains("elapsed")
    }
}

fn normalise_json(value: &mut Value, key: &str, places: &Places) {
    match value {
        Value::Number(_) if is_measured(key) => *value = Value::from("<duration>"),
        Value::String(_) if key == "hostname" => *value = Value::from("<host>"),
        Value::String(text) => *text = normalise_text(text, places),
        Value::Array(items) => {
            for item in items {
                normalise_json(item, key, places);
            }
        }
        Value::Object(entries) => {
            for (name, entry) in entries.iter_mut() {
                normalise_json(entry, name, places);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// A readable line diff
// ---------------------------------------------------------------------------

/// Lines of context shown around each change.
const CONTEXT: usize = 2;

/// The changes from `expected` to `actual`, `-` for expected lines, `+` for actual ones, with a
/// little context; unchanged stretches are left out.
fn line_diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table, from the ends (the files are small).
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    // Each line of the edit script: (' ' | '-' | '+', line number in its file, text).
    let mut script: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            script.push((' ', i + 1, old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            // Expected lines first, so a changed line reads `-` then `+`.
            script.push(('-', i + 1, old[i]));
            i += 1;
        } else {
            script.push(('+', j + 1, new[j]));
            j += 1;
        }
    }
    let near_change = |at: usize| {
        let from = at.saturating_sub(CONTEXT);
        let to = (at + CONTEXT + 1).min(script.len());
        script[from..to].iter().any(|(mark, _, _)| *mark != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (at, (mark, line, text)) in script.iter().enumerate() {
        if near_change(at) {
            if skipped || (out.is_empty() && at > 0) {
                out.push_str("    ...\n");
            }
            skipped = false;
            let _ = writeln!(out, "{mark} {line:>4} | {text}");
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("    ...\n");
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the files differ in their final newline)\n");
    }
    out
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|value| !matches!(value.trim(), "" | "0"))
}

#[test]
fn every_golden_folder_shows_what_it_expects() {
    let folders = golden_folders();
    assert!(
        folders.len() >= 5,
        "expected the golden folders under {}, found {folders:?}",
        golden_root().display()
    );
    if updating() {
        update(&folders);
        return;
    }
    let mut mismatches = Vec::new();
    for folder in &folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        for (file, actual) in run_folder(folder) {
            let path = folder.join(file);
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != actual {
                mismatches.push(format!(
                    "engine/tests/golden/{name}/{file} differs (- expected, + actual):\n{}",
                    line_diff(&expected, &actual)
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} golden file(s) differ from what the engine produced.\n\n{}\nIf the new output is \
         right, accept it with: UPDATE_GOLDEN=1 cargo test -p poscert-engine --test golden \
         (then review the diff in git)",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Rewrites every folder's expected files from two runs that agree.
fn update(folders: &[PathBuf]) {
    let mut unstable = Vec::new();
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let first = run_folder(folder);
        let second = run_folder(folder);
        let mut stable = true;
        for ((file, a), (_, b)) in first.iter().zip(&second) {
            if a != b {
                stable = false;
                unstable.push(format!(
                    "engine/tests/golden/{name}/{file} changes between two runs (- first, + \
                     second); make the case deterministic or the normaliser replace what \
                     changes:\n{}",
                    line_diff(a, b)
                ));
            }
        }
        if stable {
            for (file, text) in first {
                std::fs::write(folder.join(file), text).expect("write a golden file");
            }
            eprintln!("updated engine/tests/golden/{name}/");
        }
    }
    assert!(unstable.is_empty(), "{}", unstable.join("\n"));
}

#[test]
fn the_diff_names_lines_and_skips_what_did_not_change() {
    let expected = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let actual = "a\nb\nc\nd\nE\nf\ng\nh\n";
    assert_eq!(
        line_diff(expected, actual),
        "    ...\n     3 | c\n     4 | d\n-    5 | e\n+    5 | E\n     6 | f\n     7 | g\n    ...\n"
    );
}

#[test]
fn the_normaliser_replaces_what_changes_between_runs() {
    let places = Places {
        temp: PathBuf::from("/tmp/.tmpAbC123"),
        folder: golden_root().join("passing"),
    };
    let text = format!(
        "at 2026-01-10T10:00:01.123Z id 8ec0c99a-1b2c-4d3e-8f90-a1b2c3d4e5f6 \
         http://127.0.0.1:39345/pos/v10 took 0.42s (312ms) wait 1s report \
         /tmp/.tmpAbC123/report.json in {}/cases date: Mon, 30 Nov 2026 04:13:02 GMT",
        places.folder.display()
    );
    assert_eq!(
        normalise_text(&text, &places),
        "at <time> id <uuid> http://127.0.0.1:<port>/pos/v10 took <duration> (<duration>) \
         wait 1s report <tmp>/report.json in <golden>/cases date: <http-date>"
    );
    let junit = r#"<testsuite time="0.412" hostname="ci-runner-7"><property name="operator.start-payment.waitMs" value="1502"/>"#;
    assert_eq!(
        normalise_junit(junit, &places),
        r#"<testsuite time="<duration>" hostname="<host>"><property name="operator.start-payment.waitMs" value="<duration>"/>"#
    );
    let report =
        r#"{"hostname": "ci-runner-7", "durationMs": 12.5, "waitMs": 3, "timeoutMs": 2000}"#;
    assert_eq!(
        normalise_report(report, &places),
        "{\n  \"hostname\": \"<host>\",\n  \"durationMs\": \"<duration>\",\n  \"waitMs\": \
         \"<duration>\",\n  \"timeoutMs\": 2000\n}\n"
    );
}
