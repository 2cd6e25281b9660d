//! Approval as a user meets it: a passing run writes a certificate (Markdown + JSON valid
//! against `schemas/certificate.schema.json`, with a digest anyone can recompute from the case
//! files) and a ledger entry; a failing run writes a failure report naming each failed case and
//! step with its reason and `file:line`, and leaves the ledger exactly as it was; a partial
//! selection or a run without poscert.yaml certifies nothing and says why.

mod support;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use support::run_plain;

const CONFIG: &str = "identity:
  systemName: Acme POS
  version: 2.1.0
  clientIds:
    sandbox: 7a3c1f52-0d6e-4b8a-9c21-5e4f3a2b1c0d
    production: 1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9
  callback:
    alias: acme-pos
    url: https://pos.acme.example/notify
reports:
  certificateDir: out/certs
  ledger: state/ledger.json
";

const FRAGMENT: &str = r#"name: Find the certification store
steps:
  - name: Find the store by brand and location
    request:
      url: "{{pos}}/stores"
      query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
      expect: { status: 200, json: { $.storeIds: { len: 1 } } }
      capture: { storeId: "$.storeIds[0]" }
"#;

const CASE_1: &str = r#"name: Find the store
feature: onboarding
case: 1
steps:
  - use: fragments/find-store.yaml
"#;

const CASE_2: &str = r#"name: Read the store
feature: onboarding
case: 2
setup:
  - use: fragments/find-store.yaml
steps:
  - name: The store is the certification store
    request:
      url: "{{pos}}/stores/{{storeId}}"
      expect: { status: 200, json: { $.merchantBrandId: MPPOSCERT1 } }
"#;

/// Fails on line 8, column 25: the status it expects is not the one that comes.
const FAILING_CASE: &str = r#"name: Expect the wrong status
feature: onboarding
case: 3
steps:
  - name: Stores answer 201 (they do not)
    request:
      url: "{{pos}}/stores"
      expect: { status: 201 }
"#;

/// A project: poscert.yaml (when given), a feature folder with two cases and a fragment.
fn project(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    if let Some(c) = config {
        std::fs::write(p.join("poscert.yaml"), c).unwrap();
    }
    std::fs::create_dir_all(p.join("cases/onboarding")).unwrap();
    std::fs::create_dir_all(p.join("cases/fragments")).unwrap();
    std::fs::write(
        p.join("cases/onboarding/feature.yaml"),
        "name: Onboarding\n",
    )
    .unwrap();
    std::fs::write(p.join("cases/onboarding/01-store.yaml"), CASE_1).unwrap();
    std::fs::write(p.join("cases/onboarding/02-read-store.yaml"), CASE_2).unwrap();
    std::fs::write(p.join("cases/fragments/find-store.yaml"), FRAGMENT).unwrap();
    dir
}

fn files_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn certificate_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/certificate.schema.json");
    jsonschema::validator_for(&read_json(&path)).expect("the certificate schema compiles")
}

#[test]
fn a_passing_run_writes_a_certificate_and_a_ledger_entry() {
    let dir = project(Some(CONFIG));
    let p = dir.path();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());

    let jsons = files_in(&p.join("out/certs"), ".json");
    let mds = files_in(&p.join("out/certs"), ".md");
    assert_eq!(jsons.len(), 1, "{jsons:?}");
    assert_eq!(mds.len(), 1, "{mds:?}");
    let name = jsons[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("certificate-2.1.0-"), "{name}");
    assert!(
        out.stdout.contains(&format!(
            "certificate (a rehearsal, not a certification; the file says why): out/certs/{}",
            name.replace(".json", ".md")
        )),
        "{}",
        out.output()
    );

    // The JSON is what the schema says.
    let cert = read_json(&jsons[0]);
    let errors: Vec<String> = certificate_validator()
        .iter_errors(&cert)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{cert:#}");

    // The identity, the target, the features and each case's verdict.
    assert_eq!(cert["identity"]["systemName"], "Acme POS");
    assert_eq!(cert["identity"]["version"], "2.1.0");
    assert_eq!(
        cert["identity"]["clientIdProduction"],
        "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
    );
    assert_eq!(
        cert["identity"]["callbackUrl"],
        "https://pos.acme.example/notify"
    );
    assert_eq!(cert["merchantVat"], "DK90000028");
    assert_eq!(cert["target"]["name"], "emulator");
    assert_eq!(cert["engineVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(cert["kind"], "rehearsal");
    let reasons = cert["rehearsalReasons"].as_array().unwrap();
    assert!(
        reasons[0].as_str().unwrap().contains("embedded emulator"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].as_str().unwrap().contains("reference client"),
        "{reasons:?}"
    );
    let features = cert["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["id"], "onboarding");
    assert_eq!(features[0]["name"], "Onboarding");
    let cases: Vec<(&str, &str)> = features[0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cases,
        [("Find the store", "passed"), ("Read the store", "passed")]
    );

    // The digest: recomputed here from the files on disk, by the documented recipe. The
    // fragment is part of it.
    let mut expected: Vec<(String, String, String)> = [
        ("cases/fragments/find-store.yaml", "fragment", FRAGMENT),
        ("cases/onboarding/01-store.yaml", "case", CASE_1),
        ("cases/onboarding/02-read-store.yaml", "case", CASE_2),
    ]
    .iter()
    .map(|(path, role, _)| {
        let bytes = std::fs::read(p.join(path)).unwrap();
        (path.to_string(), role.to_string(), sha256_hex(&bytes))
    })
    .collect();
    expected.sort();
    let listed: Vec<(String, String, String)> = cert["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["role"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let mut hashes: Vec<&str> = expected.iter().map(|(_, _, h)| h.as_str()).collect();
    hashes.sort();
    let text: String = hashes.iter().map(|h| format!("{h}\n")).collect();
    let digest = format!("sha256:{}", sha256_hex(text.as_bytes()));
    assert_eq!(cert["digest"], digest);

    // The Markdown says the same, for people.
    let md = std::fs::read_to_string(&mds[0]).unwrap();
    for text in [
        "# Rehearsal certificate (not a certification): Acme POS 2.1.0",
        "| Client id (sandbox) | 7a3c1f52-0d6e-4b8a-9c21-5e4f3a2b1c0d |",
        "| Callback | acme-pos (https://pos.acme.example/notify) |",
        "### Onboarding (`onboarding`)",
        "| 1 | Find the store | passed |",
        "| 2 | Read the store | passed |",
        digest.as_str(),
    ] {
        assert!(md.contains(text), "no `{text}` in\n{md}");
    }

    // One ledger entry pointing at the certificate.
    let ledger = read_json(&p.join("state/ledger.json"));
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{ledger:#}");
    let e = &entries[0];
    assert_eq!(e["version"], "2.1.0");
    assert_eq!(e["systemName"], "Acme POS");
    assert_eq!(e["features"], serde_json::json!(["onboarding"]));
    assert_eq!(e["kind"], "rehearsal");
    assert_eq!(e["target"], "emulator");
    assert_eq!(e["digest"], digest);
    assert_eq!(e["time"], cert["issuedAt"]);
    assert!(
        p.join(e["certificate"].as_str().unwrap()).is_file(),
        "{e:#}"
    );

    // A second passing run adds a second certificate and a second entry; the first stays.
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(files_in(&p.join("out/certs"), ".json").len(), 2);
    let ledger = read_json(&p.join("state/ledger.json"));
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 2);
    assert_eq!(ledger["entries"][0], *e);

    // `status` counts none of it: emulator runs are rehearsals.
    let out = run_plain(p, &["status"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        out.stdout.contains("0 certifications, 2 rehearsals"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("rehearsals do not count"),
        "{}",
        out.output()
    );
}

#[test]
fn a_failing_run_writes_a_failure_report_and_keeps_the_ledger() {
    let dir = project(Some(CONFIG));
    let p = dir.path();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    let ledger_before = std::fs::read(p.join("state/ledger.json")).unwrap();

    std::fs::write(p.join("cases/onboarding/03-fails.yaml"), FAILING_CASE).unwrap();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        out.stdout
            .contains("failure report: out/certs/failure-report.md"),
        "{}",
        out.output()
    );
    // No new certificate, and the earlier certification is still in the ledger, byte for byte.
    assert_eq!(
        files_in(&p.join("out/certs"), ".json").len(),
        2,
        "certificate + failure report"
    );
    assert_eq!(
        std::fs::read(p.join("state/ledger.json")).unwrap(),
        ledger_before,
        "a failing run changed the ledger"
    );

    let report = read_json(&p.join("out/certs/failure-report.json"));
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["identity"]["version"], "2.1.0");
    assert_eq!(report["summary"]["failed"], 1);
    let failed = report["failedCases"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{report:#}");
    let c = &failed[0];
    assert_eq!(c["file"], "cases/onboarding/03-fails.yaml");
    assert_eq!(c["name"], "Expect the wrong status");
    assert_eq!(c["status"], "failed");
    let steps = c["failedSteps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{c:#}");
    let s = &steps[0];
    assert_eq!(s["step"], "Stores answer 201 (they do not)");
    assert_eq!(s["category"], "assertion");
    assert_eq!(s["file"], "cases/onboarding/03-fails.yaml");
    assert_eq!(
        (s["line"].as_u64(), s["column"].as_u64()),
        (Some(8), Some(25)),
        "{s:#}"
    );
    assert_eq!(s["expected"], "201");
    assert_eq!(s["actual"], "200");
    assert_eq!(
        report["passedCases"],
        serde_json::json!([
            "cases/onboarding/01-store",
            "cases/onboarding/02-read-store"
        ])
    );

    let md = std::fs::read_to_string(p.join("out/certs/failure-report.md")).unwrap();
    for text in [
        "# Certification failed: Acme POS 2.1.0",
        "2 passed, 1 failed, 0 errors, 0 skipped of 3 cases",
        "### onboarding case 3: Expect the wrong status (failed)",
        "- **Stores answer 201 (they do not)** at `cases/onboarding/03-fails.yaml:8:25` (assertion, steps)",
        "  - expected: 201",
        "  - actual: 200",
    ] {
        assert!(md.contains(text), "no `{text}` in\n{md}");
    }

    // A file that does not load is a failure too, listed with its position.
    std::fs::write(
        p.join("cases/onboarding/03-fails.yaml"),
        "name: Broken\nfeature: onboarding\nstepz: []\n",
    )
    .unwrap();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    let report = read_json(&p.join("out/certs/failure-report.json"));
    assert_eq!(
        report["loadErrors"][0]["file"],
        "cases/onboarding/03-fails.yaml"
    );
    assert_eq!(report["loadErrors"][0]["line"], 3);
    assert_eq!(
        std::fs::read(p.join("state/ledger.json")).unwrap(),
        ledger_before
    );
}

#[test]
fn a_partial_selection_passes_but_certifies_nothing() {
    let dir = project(Some(CONFIG));
    let p = dir.path();
    let out = run_plain(p, &["cases", "--filter", "01-store"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout.contains("certificate: none (only 1 of 2 cases of `onboarding` ran (--tag or --filter left the others out)"),
        "{}",
        out.output()
    );
    // Onboarding is mandatory: a payments case alone certifies nothing either.
    std::fs::create_dir_all(p.join("more")).unwrap();
    std::fs::write(
        p.join("more/pay.yaml"),
        CASE_1.replace("feature: onboarding", "feature: payments"),
    )
    .unwrap();
    std::fs::create_dir_all(p.join("more/fragments")).unwrap();
    std::fs::write(p.join("more/fragments/find-store.yaml"), FRAGMENT).unwrap();
    let out = run_plain(p, &["more"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout
            .contains("certificate: none (onboarding is mandatory in every certification"),
        "{}",
        out.output()
    );
    assert!(!p.join("out").exists(), "a certificate was written");
    assert!(!p.join("state").exists(), "the ledger was touched");
}

#[test]
fn without_poscert_yaml_nothing_is_written_and_defaults_apply_with_one() {
    // A newcomer's run: no identity, so no certificate, and no files left behind.
    let dir = project(None);
    let p = dir.path();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout.contains("certificate: none (no poscert.yaml"),
        "{}",
        out.output()
    );
    assert!(!p.join("reports").exists() && !p.join(".poscert").exists());

    // With a poscert.yaml that names no paths: reports/ and .poscert/ledger.json; --ledger wins.
    std::fs::write(
        p.join("poscert.yaml"),
        "identity:\n  systemName: Acme POS\n  version: 1.0.0\n",
    )
    .unwrap();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(files_in(&p.join("reports"), ".md").len(), 1);
    assert_eq!(
        read_json(&p.join(".poscert/ledger.json"))["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = run_plain(
        p,
        &["cases", "--ledger", "elsewhere.json", "--report-dir", "r2"],
    );
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(
        files_in(&p.join("r2"), ".md").len(),
        1,
        "--report-dir holds the certificate"
    );
    assert_eq!(
        read_json(&p.join("elsewhere.json"))["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        read_json(&p.join(".poscert/ledger.json"))["entries"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "--ledger elsewhere must not touch the default ledger"
    );
}

#[test]
fn a_ledger_that_cannot_be_read_is_never_overwritten() {
    let dir = project(Some(CONFIG));
    let p = dir.path();
    std::fs::create_dir_all(p.join("state")).unwrap();
    std::fs::write(p.join("state/ledger.json"), "{ \"entries\": [ oops").unwrap();
    let out = run_plain(p, &["cases"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains("state/ledger.json:1:") && out.stderr.contains("never overwritten"),
        "{}",
        out.output()
    );
    assert_eq!(
        std::fs::read_to_string(p.join("state/ledger.json")).unwrap(),
        "{ \"entries\": [ oops"
    );
    assert!(
        files_in(&p.join("out/certs"), ".json").is_empty(),
        "a certificate the ledger does not record"
    );
}

/// Without `reports:` in poscert.yaml, the certificate and the ledger go beside the file, like
/// every path written in it, not into whatever folder the run started from.
#[test]
fn default_certificate_and_ledger_paths_are_beside_poscert_yaml() {
    let dir = project(Some(
        "identity:\n  systemName: Acme POS\n  version: 2.1.0\n",
    ));
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("poscert.yaml").display().to_string();
    let cases = dir.path().join("cases").display().to_string();
    let out = run_plain(elsewhere.path(), &[&cases, "--config", &config]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(files_in(&dir.path().join("reports"), ".json").len(), 1);
    assert!(dir.path().join(".poscert/ledger.json").is_file());
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "the run wrote into its working folder"
    );
}
