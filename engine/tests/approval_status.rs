//! `poscert-engine status` against a ledger: which versions are certified for which features,
//! and whether the current version needs a new certification (MobilePay's rule: Major or Minor
//! changed → required, exit 1; only Build changed → recommended, exit 0; same → certified).
//! Rehearsals are shown but never count; another client's certifications are ignored.
//!
//! The ledgers are written by hand here: a real certification needs MobilePay's sandbox, which
//! this machine cannot reach (the sandbox run itself is in sandbox_target.rs).

mod support;

use serde_json::{json, Value};
use support::{run_plain, Run};

const PRODUCTION_ID: &str = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9";

fn entry(version: &str, features: &[&str], kind: &str, production: &str) -> Value {
    let mut e = json!({
        "systemName": "Acme POS",
        "version": version,
        "clientIdProduction": production,
        "features": features,
        "kind": kind,
        "target": if kind == "certification" { "sandbox" } else { "emulator" },
        "posBaseUrl": "https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10",
        "clientMode": if kind == "certification" { "adapter" } else { "reference" },
        "time": "2026-01-10T10:00:00.000Z",
        "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "certificate": "reports/certificate.json",
        "engineVersion": "0.1.0"
    });
    if kind == "rehearsal" {
        e["rehearsalReasons"] = json!(["the target was poscert's embedded emulator"]);
    }
    e
}

/// poscert.yaml at `version`, and a ledger: 2.1.0 certified for onboarding and payments,
/// 2.2.0 only rehearsed, and 9.9.9 certified for *another* client.
fn project(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poscert.yaml"),
        format!(
            "identity:\n  systemName: Acme POS\n  version: {version}\n  clientIds:\n    production: {PRODUCTION_ID}\nfeatures: [payments]\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".poscert")).unwrap();
    let ledger = json!({
        "schemaVersion": 1,
        "entries": [
            entry("2.1.0", &["onboarding", "payments"], "certification", PRODUCTION_ID),
            entry("2.2.0", &["onboarding", "payments"], "rehearsal", PRODUCTION_ID),
            entry("9.9.9", &["onboarding", "payments", "refunds"], "certification", "another-client"),
        ]
    });
    std::fs::write(
        dir.path().join(".poscert/ledger.json"),
        serde_json::to_string_pretty(&ledger).unwrap(),
    )
    .unwrap();
    dir
}

/// The verdict line of a feature, e.g. `payments   certification required: ...`.
fn feature_line<'a>(out: &'a Run, feature: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{feature} ")))
        .unwrap_or_else(|| panic!("no line for {feature} in\n{}", out.output()))
}

#[test]
fn a_major_bump_requires_a_certification() {
    let dir = project("3.0.0");
    let out = run_plain(dir.path(), &["status"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        feature_line(&out, "payments")
            .contains("certification required: the Major version changed since 2.1.0"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("Verdict: certification required"),
        "{}",
        out.output()
    );
    // The other client's 9.9.9 is not ours.
    assert!(!out.stdout.contains("9.9.9"), "{}", out.output());
}

#[test]
fn a_minor_bump_requires_a_certification_even_after_a_rehearsal() {
    let dir = project("2.2.0");
    let out = run_plain(dir.path(), &["status"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    let line = feature_line(&out, "payments");
    assert!(
        line.contains("certification required: the Minor version changed since 2.1.0"),
        "{}",
        out.output()
    );
    assert!(
        line.contains("a rehearsal of this version passed; rehearsals do not count"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("1 certification, 1 rehearsal"),
        "{}",
        out.output()
    );
}

#[test]
fn a_build_bump_recommends_a_certification_and_same_version_is_certified() {
    let dir = project("2.1.7");
    let out = run_plain(dir.path(), &["status"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        feature_line(&out, "payments")
            .contains("certification recommended: only the Build part changed since 2.1.0"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("Verdict: certification recommended"),
        "{}",
        out.output()
    );

    // --client-version wins over poscert.yaml.
    let out = run_plain(dir.path(), &["status", "--client-version", "2.1.0"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        feature_line(&out, "onboarding").contains("2.1.0 is certified"),
        "{}",
        out.output()
    );
    assert!(
        feature_line(&out, "payments").contains("2.1.0 is certified"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("Verdict: certified"),
        "{}",
        out.output()
    );
}

#[test]
fn a_feature_never_certified_is_required_whatever_the_version() {
    let dir = project("2.1.0");
    let out = run_plain(dir.path(), &["status", "--feature", "refunds"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        feature_line(&out, "refunds")
            .contains("certification required: no certification of this feature is recorded"),
        "{}",
        out.output()
    );
    assert!(
        feature_line(&out, "onboarding").contains("is certified"),
        "{}",
        out.output()
    );
}

#[test]
fn json_output_for_scripts() {
    let dir = project("2.1.3");
    let out = run_plain(dir.path(), &["status", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    let v: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.output()));
    assert_eq!(v["version"], "2.1.3");
    assert_eq!(v["verdict"], "recommended");
    assert_eq!(v["features"][1]["feature"], "payments");
    assert_eq!(v["features"][1]["need"], "recommended");
    assert_eq!(v["features"][1]["certifiedVersion"], "2.1.0");
    assert_eq!(v["certifications"].as_array().unwrap().len(), 1);
    assert_eq!(v["rehearsals"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_input_is_exit_2() {
    let dir = project("2.1.0");
    let out = run_plain(dir.path(), &["status", "--client-version", "2.1"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains("is not Major.Minor.Build"),
        "{}",
        out.output()
    );
    let out = run_plain(dir.path(), &["status", "--feature", "loyalty"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains("unknown feature `loyalty`"),
        "{}",
        out.output()
    );
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"schemaVersion\": 1, \"entries\": [1]}",
    )
    .unwrap();
    let out = run_plain(dir.path(), &["status", "--ledger", "broken.json"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(out.stderr.contains("broken.json:1:"), "{}", out.output());
    // No poscert.yaml and no --client-version: which version?
    let empty = tempfile::tempdir().unwrap();
    let out = run_plain(empty.path(), &["status"]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(out.stderr.contains("which version?"), "{}", out.output());
    // No ledger yet: nothing is certified.
    let out = run_plain(empty.path(), &["status", "--client-version", "1.0.0"]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        out.stdout
            .contains("Certified versions (MobilePay's sandbox, your client):\n  none"),
        "{}",
        out.output()
    );
}
