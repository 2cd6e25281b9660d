//! CI sharding: `--partition slice:K/N` and `hash:K/N` split the selected cases so that every
//! case is in exactly one shard, and `merge` turns the shards' JSON reports back into one run:
//! the same verdicts as the unsharded run, one JSON, JUnit and HTML report, and the certificate.
//! Merge refuses shards that do not belong together (identities, case files) and writes no
//! certificate when a shard is missing, naming the cases that did not run.
//!
//! Runs the repository's certification cases (copied into a temp project with a poscert.yaml)
//! through the real binary against the embedded emulator: the unsharded run and six shards
//! together cost about three full runs.

mod support;

use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::{repo_root, run, run_plain, Run};

const CONFIG: &str = "identity:
  systemName: Acme POS
  version: 2.1.0
reports:
  certificateDir: out/certs
  ledger: state/ledger.json
";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A temp project: poscert.yaml and a copy of the repository's `scenarios/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("poscert.yaml"), CONFIG).unwrap();
    copy_dir(
        &repo_root().join("scenarios"),
        &dir.path().join("scenarios"),
    );
    dir
}

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = repo_root().join("schemas/report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("the report schema compiles")
    })
}

fn assert_valid(report: &Value, what: &str) {
    let errors: Vec<String> = validator()
        .iter_errors(report)
        .take(10)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {}", errors.join("\n"));
}

fn ids(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases in {report}"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// (case id, status) in report order.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The runs every test shares: the unsharded run, `list`, and shards 1 to 3 of each kind.
struct Suite {
    dir: tempfile::TempDir,
    full: Run,
    listed: Vec<String>,
    slices: Vec<Run>,
    hashes: Vec<Run>,
}

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| {
        let dir = project();
        let p = dir.path();
        let full = run(p, &["scenarios"]);
        assert_eq!(full.code, Some(0), "{}", full.output());
        let list = run_plain(p, &["list", "scenarios"]);
        assert_eq!(list.code, Some(0), "{}", list.output());
        let listed: Vec<String> = list
            .stdout
            .lines()
            .filter_map(|l| l.trim_end().strip_suffix(".yaml"))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect();
        let shards = |kind: &str| -> Vec<Run> {
            (1..=3)
                .map(|k| {
                    let spec = format!("{kind}:{k}/3");
                    let r = run(p, &["scenarios", "--partition", &spec]);
                    assert_eq!(r.code, Some(0), "{spec}\n{}", r.output());
                    r
                })
                .collect()
        };
        let slices = shards("slice");
        let hashes = shards("hash");
        Suite {
            dir,
            full,
            listed,
            slices,
            hashes,
        }
    })
}

/// The certificate JSON a merge or a run printed (`certificate ...: X.md (X.json)`).
fn certificate_of(out: &Run, cwd: &Path) -> Value {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("certificate"))
        .unwrap_or_else(|| panic!("no certificate line\n{}", out.output()));
    let json = line
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .filter(|p| p.ends_with(".json"))
        .unwrap_or_else(|| panic!("no certificate written: {line}\n{}", out.output()));
    serde_json::from_str(&std::fs::read_to_string(cwd.join(json)).unwrap()).unwrap()
}

#[test]
fn the_shards_are_disjoint_and_together_every_listed_case() {
    let s = suite();
    assert!(s.listed.len() >= 20, "{:?}", s.listed);
    assert_eq!(ids(&s.full.json), s.listed, "the unsharded run is the list");
    for (kind, shards) in [("slice", &s.slices), ("hash", &s.hashes)] {
        let mut union = BTreeSet::new();
        for (i, shard) in shards.iter().enumerate() {
            let j = &shard.json;
            assert_valid(j, &format!("{kind} shard {}", i + 1));
            assert_eq!(
                j["partition"],
                serde_json::json!({"kind": kind, "shard": i + 1, "of": 3})
            );
            // Every shard knows the whole selection, in certification order, and one digest.
            let selected: Vec<&str> = j["selection"]["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(selected, s.listed, "{kind} shard {}", i + 1);
            assert_eq!(
                j["selection"]["digest"],
                shards[0].json["selection"]["digest"]
            );
            assert!(j["selection"]["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:"));
            assert_eq!(j["identity"]["systemName"], "Acme POS");
            for id in ids(j) {
                assert!(union.insert(id.clone()), "{id} is in two {kind} shards");
            }
            // A shard writes no certificate: merge does.
            assert!(
                shard.stdout.contains("certificate: none (shard"),
                "{}",
                shard.output()
            );
        }
        let listed: BTreeSet<String> = s.listed.iter().cloned().collect();
        assert_eq!(union, listed, "{kind} shards together are the list");
    }
    // slice is round-robin in certification order: onboarding case 1, 2, 3 go to shards 1, 2, 3.
    let sizes: Vec<usize> = s.slices.iter().map(|r| ids(&r.json).len()).collect();
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );
    for k in 0..3 {
        assert_eq!(ids(&s.slices[k].json)[0], s.listed[k]);
    }
}

#[test]
fn merged_shards_give_the_unsharded_verdicts_and_its_certificate() {
    let s = suite();
    let p = s.dir.path();
    let full_certificate = certificate_of(&s.full, p);
    for (kind, shards) in [("slice", &s.slices), ("hash", &s.hashes)] {
        let out_dir = p.join(format!("merged-{kind}"));
        let mut args: Vec<String> = vec!["merge".into()];
        // Given out of order: merge orders by shard, and the cases by certification order.
        for r in shards.iter().rev() {
            args.push(r.json_path().display().to_string());
        }
        args.extend(["--report-dir".into(), out_dir.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_plain(p, &args);
        assert_eq!(out.code, Some(0), "{kind}\n{}", out.output());
        let merged: Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
                .unwrap();
        assert_valid(&merged, &format!("merged {kind}"));
        assert_eq!(verdicts(&merged), verdicts(&s.full.json), "{kind}");
        assert_eq!(merged["summary"], s.full.json["summary"], "{kind}");
        let junit = std::fs::read_to_string(out_dir.join("junit.xml")).unwrap();
        assert_eq!(
            junit.matches("<testcase ").count(),
            s.listed.len(),
            "{junit}"
        );
        if Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/report/html.rs")
            .exists()
        {
            assert!(out_dir.join("report.html").exists(), "{}", out.output());
        }
        // The certificate vouches for the same files and cases as the unsharded run's.
        let cert = certificate_of(&out, p);
        assert_eq!(cert["digest"], full_certificate["digest"], "{kind}");
        assert_eq!(cert["files"], full_certificate["files"], "{kind}");
        let cases = |c: &Value| -> Vec<Value> {
            c["features"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|f| {
                    f["cases"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["id"].clone())
                })
                .collect()
        };
        assert_eq!(cases(&cert), cases(&full_certificate), "{kind}");
        assert_eq!(cert["kind"], "rehearsal");
        assert!(out.stdout.contains("ledger: "), "{}", out.output());
    }
    let ledger: Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("state/ledger.json")).unwrap())
            .unwrap();
    let entries = ledger
        .get("entries")
        .and_then(Value::as_array)
        .or_else(|| ledger.as_array())
        .unwrap_or_else(|| panic!("{ledger}"));
    assert_eq!(entries.len(), 3, "the run and two merges: {ledger}");
}

/// Runs `--feature onboarding` (three cases) as shard `k` of `of` from `cwd`.
fn onboarding_shard(cwd: &Path, spec: &str, extra: &[&str]) -> Run {
    let mut args = vec!["scenarios", "--feature", "onboarding", "--partition", spec];
    args.extend_from_slice(extra);
    let r = run(cwd, &args);
    assert_eq!(r.code, Some(0), "{spec}\n{}", r.output());
    r
}

fn merge(cwd: &Path, reports: &[PathBuf], extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(reports.iter().map(|p| p.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_plain(cwd, &args)
}

fn certificates(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("certificate-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn merge_refuses_shards_of_different_identities() {
    let dir = project();
    let p = dir.path();
    std::fs::write(
        p.join("other.yaml"),
        CONFIG.replace("Acme POS", "Other POS"),
    )
    .unwrap();
    let one = onboarding_shard(p, "slice:1/3", &[]);
    let two = onboarding_shard(p, "slice:2/3", &["--config", "other.yaml"]);
    let three = onboarding_shard(p, "slice:3/3", &[]);
    let out = merge(
        p,
        &[one.json_path(), two.json_path(), three.json_path()],
        &["--report-dir", "merged"],
    );
    assert_eq!(out.code, Some(2), "{}", out.output());
    let e = &out.stderr;
    assert!(e.contains("different identities"), "{e}");
    assert!(
        e.contains("`Acme POS 2.1.0`") && e.contains("`Other POS 2.1.0`"),
        "{e}"
    );
    for r in [&one, &two] {
        assert!(e.contains(&r.json_path().display().to_string()), "{e}");
    }
    assert!(!p.join("merged").exists(), "nothing is written");
    assert!(certificates(&p.join("out/certs")).is_empty());
}

#[test]
fn merge_refuses_shards_whose_case_files_differ() {
    let dir = project();
    let p = dir.path();
    let one = onboarding_shard(p, "slice:1/2", &[]);
    let edited = p.join("scenarios/onboarding/02-offboard-a-pos.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, format!("{text}\n# edited between the shards\n")).unwrap();
    let two = onboarding_shard(p, "slice:2/2", &[]);
    let out = merge(
        p,
        &[one.json_path(), two.json_path()],
        &["--report-dir", "merged"],
    );
    assert_eq!(out.code, Some(2), "{}", out.output());
    let e = &out.stderr;
    assert!(e.contains("different case files"), "{e}");
    assert!(
        e.contains("files that differ: scenarios/onboarding/02-offboard-a-pos.yaml"),
        "{e}"
    );
    assert!(e.contains(&one.json_path().display().to_string()), "{e}");
    assert!(!p.join("merged").exists(), "nothing is written");
    assert!(certificates(&p.join("out/certs")).is_empty());
}

#[test]
fn merge_of_two_of_three_shards_writes_no_certificate_and_names_the_cases_not_run() {
    let dir = project();
    let p = dir.path();
    let one = onboarding_shard(p, "slice:1/3", &[]);
    let two = onboarding_shard(p, "slice:2/3", &[]);
    let out = merge(
        p,
        &[one.json_path(), two.json_path()],
        &["--report-dir", "merged"],
    );
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains(
            "shard slice:3/3 was not given: its 1 case did not run: scenarios/onboarding/03-onboard-the-final-pos"
        ),
        "{}",
        out.output()
    );
    assert!(
        out.stdout
            .contains("certificate: none (1 selected case did not run"),
        "{}",
        out.output()
    );
    assert!(certificates(&p.join("out/certs")).is_empty());
    assert!(!p.join("state/ledger.json").exists());
    // What did run is reported.
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("merged/report.json")).unwrap())
            .unwrap();
    assert_eq!(
        ids(&merged),
        [
            "scenarios/onboarding/01-onboard-a-pos",
            "scenarios/onboarding/02-offboard-a-pos"
        ]
    );

    // The third shard completes it: a certificate, a ledger entry, exit 0.
    let three = onboarding_shard(p, "slice:3/3", &[]);
    let out = merge(
        p,
        &[one.json_path(), two.json_path(), three.json_path()],
        &["--report-dir", "merged"],
    );
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(
        certificates(&p.join("out/certs")).len(),
        2,
        "{}",
        out.output()
    );
    assert!(p.join("state/ledger.json").exists());
}

#[test]
fn merge_refuses_what_is_not_a_shard_report_and_a_shard_given_twice() {
    let dir = project();
    let p = dir.path();
    let one = onboarding_shard(p, "slice:1/2", &[]);
    let unsharded = run(
        p,
        &["scenarios", "--feature", "onboarding", "--filter", "01-"],
    );
    std::fs::write(p.join("notes.json"), "{\"hello\": 1}").unwrap();
    std::fs::write(p.join("broken.json"), "{").unwrap();
    for (input, says) in [
        (one.junit_path(), "is not a poscert report: it is not JSON"),
        (
            p.join("notes.json"),
            "is not a poscert report (it has no schemaVersion",
        ),
        (
            p.join("broken.json"),
            "is not a poscert report: it is not JSON",
        ),
        (
            unsharded.json_path(),
            "is not a shard's report (it has no partition)",
        ),
        (p.join("absent.json"), "cannot read "),
    ] {
        let out = merge(p, &[one.json_path(), input.clone()], &[]);
        assert_eq!(out.code, Some(2), "{}", out.output());
        let expected = match says.strip_suffix(' ') {
            Some(prefix) => format!("{prefix} {}", input.display()),
            None => format!("{} {says}", input.display()),
        };
        assert!(
            out.stderr.contains(&expected),
            "{expected}\n{}",
            out.output()
        );
    }
    let out = merge(p, &[one.json_path(), one.json_path()], &[]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr
            .contains("shard slice:1/2 is given more than once"),
        "{}",
        out.output()
    );
    // A merged report would overwrite an input: refused.
    let out = merge(
        p,
        &[one.json_path()],
        &["--report-json", &one.json_path().display().to_string()],
    );
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(out.stderr.contains("is both an input"), "{}", out.output());
}

#[test]
fn bad_partition_spellings_are_usage_errors() {
    let root = repo_root();
    for (bad, says) in [
        ("0/3", "name the kind of partition"),
        ("slice:0/3", "shards count from 1"),
        ("slice:4/3", "K must be 1 to 3"),
        ("slice:x", "write slice:K/N or hash:K/N"),
        ("hash:1/0", "0 shards"),
        ("round:1/3", "unknown kind of partition `round`"),
    ] {
        let out = run_plain(&root, &["scenarios", "--partition", bad]);
        assert_eq!(out.code, Some(2), "{bad}\n{}", out.output());
        assert!(
            out.stderr.contains("--partition") && out.stderr.contains(says),
            "{bad}: {}",
            out.output()
        );
    }
}

#[test]
fn the_feature_closure_is_taken_before_partitioning_and_a_shard_may_be_empty() {
    let dir = project();
    let p = dir.path();
    // payments requires onboarding: every shard selects both, whichever cases it runs.
    let r = run(
        p,
        &[
            "scenarios",
            "--feature",
            "payments",
            "--partition",
            "hash:2/3",
            "--dry-run",
        ],
    );
    assert_valid(&r.json, "a dry-run shard");
    let selected: Vec<&str> = r.json["selection"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let features: BTreeSet<&str> = selected
        .iter()
        .map(|id| id.split('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        features,
        BTreeSet::from(["onboarding", "payments"]),
        "{selected:?}"
    );
    for id in ids(&r.json) {
        assert!(selected.contains(&id.as_str()), "{id}");
    }
    // More shards than cases: the extra shard runs nothing and passes.
    let empty = onboarding_shard(p, "slice:5/5", &[]);
    assert_eq!(ids(&empty.json), Vec::<String>::new());
    assert_eq!(
        empty.json["selection"]["cases"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn merged_failures_give_a_failure_report_and_exit_1() {
    let dir = project();
    let p = dir.path();
    let failing = p.join("scenarios/onboarding/02-offboard-a-pos.yaml");
    // A case that cannot pass: its first step expects a status no API answers.
    std::fs::write(
        &failing,
        "name: Offboard a PoS\nfeature: onboarding\ncase: 2\nsteps:\n  - name: Impossible\n    request:\n      url: \"{{pos}}/stores\"\n      expect: { status: 599 }\n",
    )
    .unwrap();
    let one = onboarding_shard(p, "slice:1/2", &[]);
    let two = run(
        p,
        &[
            "scenarios",
            "--feature",
            "onboarding",
            "--partition",
            "slice:2/2",
        ],
    );
    assert_eq!(two.code, Some(1), "{}", two.output());
    let out = merge(
        p,
        &[one.json_path(), two.json_path()],
        &["--report-dir", "merged"],
    );
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        out.stdout
            .contains("FAIL  onboarding case 2: Offboard a PoS"),
        "{}",
        out.output()
    );
    let report = std::fs::read_to_string(p.join("out/certs/failure-report.md")).unwrap();
    assert!(report.contains("Offboard a PoS"), "{report}");
    assert!(certificates(&p.join("out/certs")).is_empty());
    assert!(!p.join("state/ledger.json").exists());
}
