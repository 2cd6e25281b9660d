//! `poscert.yaml` as a user meets it: every configuration mistake is exit 2 with a message that
//! says what is wrong and where (`poscert.yaml:LINE:COL`), before anything runs; a secret never
//! appears in the output; command-line flags win over the file; and `schemas/config.schema.json`
//! describes exactly what the loader accepts (same keys, the annotated example valid for both).

mod support;

use jsonschema::Validator;
use poscert_engine::config;
use poscert_engine::scenario::yaml;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::{run_plain_env, Run};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const CASE: &str = r#"name: Find the certification store
feature: onboarding
case: 1
vars: { expectedVersion: "unset" }
steps:
  - name: Find the store
    when: reference   # the client's own call, so the journal judgement below counts it
    request:
      url: "{{pos}}/stores"
      query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
      expect: { status: 200, json: { $.storeIds: { len: 1 } } }
  - name: Every call carried the version
    when: emulator
    assert:
      journal:
        path_prefix: "{{posPath}}/stores"
        count: { gte: 1 }
        each: { "$.headers['x-mobilepay-client-system-version']": "{{expectedVersion}}" }
"#;

/// A temp folder with `poscert.yaml` (when given) and one passing case in `cases/`.
fn project(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(c) = config {
        std::fs::write(dir.path().join("poscert.yaml"), c).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("cases")).unwrap();
    std::fs::write(dir.path().join("cases/01-store.yaml"), CASE).unwrap();
    dir
}

/// Exit 2, nothing ran, and stderr names `file:line:col` and says `what`.
fn assert_config_error(out: &Run, location: &str, what: &[&str]) {
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains(&format!("--> {location}")),
        "no `--> {location}` in\n{}",
        out.output()
    );
    for w in what {
        assert!(out.stderr.contains(w), "no `{w}` in\n{}", out.output());
    }
    assert!(
        !out.stdout.contains("PASS") && !out.stdout.contains("cases against"),
        "the run started despite the error:\n{}",
        out.output()
    );
}

const GOOD: &str = "identity:\n  systemName: Acme POS\n  version: 2.1.0\n";

#[test]
fn a_missing_config_file_is_exit_2_naming_it() {
    let dir = project(None);
    let out = run_plain_env(dir.path(), &["cases", "--config", "conf/poscert.yaml"], &[]);
    assert_config_error(
        &out,
        "conf/poscert.yaml:1:1",
        &["--config names a file that does not exist"],
    );
}

#[test]
fn an_unknown_key_points_at_it_and_suggests_the_right_one() {
    let dir = project(Some(
        "identity:\n  systemName: Acme POS\n  verison: 2.1.0\n",
    ));
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_config_error(
        &out,
        "poscert.yaml:3:3",
        &["unknown key `verison`", "did you mean `version`?"],
    );
    // Nested objects too, with the line quoted under the error.
    let dir = project(Some(&format!("{GOOD}reports:\n  ledgr: x.json\n")));
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_config_error(
        &out,
        "poscert.yaml:5:3",
        &["did you mean `ledger`?", "5 |   ledgr: x.json"],
    );
}

#[test]
fn a_bad_version_says_what_is_wrong_with_it() {
    for (version, why) in [
        ("2.1", "it has 2 parts"),
        ("2.x.0", "Minor `x` is not a number"),
        ("2.1.0-beta", "Build `0-beta` is not a number"),
    ] {
        let dir = project(Some(&format!(
            "identity:\n  systemName: Acme POS\n  version: {version}\n"
        )));
        let out = run_plain_env(dir.path(), &["cases"], &[]);
        assert_config_error(
            &out,
            "poscert.yaml:3:12",
            &["is not Major.Minor.Build", why],
        );
    }
    // The same rule for the command line.
    let dir = project(Some(GOOD));
    let out = run_plain_env(dir.path(), &["cases", "--client-version", "3.1"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr
            .contains("--client-version `3.1` is not Major.Minor.Build"),
        "{}",
        out.output()
    );
}

/// `validate` checks poscert.yaml too, so a mistake shows before the real run, not during it.
#[test]
fn validate_checks_the_config_file_as_well() {
    let dir = project(Some(GOOD));
    let out = run_plain_env(dir.path(), &["validate", "cases"], &[]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout.contains("poscert.yaml: Acme POS 2.1.0"),
        "{}",
        out.output()
    );
    let dir = project(Some("identity:\n  systemName: Acme POS\n  version: 2.1\n"));
    let out = run_plain_env(dir.path(), &["validate", "cases"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains("--> poscert.yaml:3:12"),
        "{}",
        out.output()
    );
    // The cases were still checked: one mistake does not hide the others.
    assert!(out.stdout.contains("1 cases"), "{}", out.output());
}

#[test]
fn an_inline_secret_is_refused_without_being_printed() {
    let secret = "s3cr3t-canary-1f9a7c";
    for (yaml, location, variable) in [
        (
            format!("{GOOD}credentials:\n  clientSecret: {secret}\n"),
            "poscert.yaml:5:3",
            "POSCERT_CLIENT_SECRET",
        ),
        (
            format!("{GOOD}targets:\n  sandbox: {{ host: https://x.example, simulation_client_secret: {secret} }}\n"),
            "poscert.yaml:5:39",
            "POSCERT_SIMULATION_CLIENT_SECRET",
        ),
    ] {
        let dir = project(Some(&yaml));
        let out = run_plain_env(dir.path(), &["cases"], &[]);
        assert_config_error(
            &out,
            location,
            &["holds a secret", "poscert.yaml is meant to be committed", variable, "secretsFile"],
        );
        assert!(!out.output().contains(secret), "the secret was printed:\n{}", out.output());
        assert!(!out.output().contains("s3cr3t"), "part of the secret was printed:\n{}", out.output());
    }
    // A secret pasted where a variable *name* belongs is refused, and not echoed either.
    let dir = project(Some(&format!(
        "{GOOD}credentials:\n  clientSecretEnv: \"{secret}!\"\n"
    )));
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_config_error(
        &out,
        "poscert.yaml:5:20",
        &["not an environment variable name"],
    );
    assert!(!out.output().contains("s3cr3t"), "{}", out.output());
}

#[test]
fn a_missing_credential_variable_is_named_with_where_it_is_configured() {
    let dir = project(Some(&format!(
        "{GOOD}target: sandbox\ncredentials:\n  clientSecretEnv: ACME_POS_SECRET\n"
    )));
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_config_error(
        &out,
        "poscert.yaml:6:20",
        &[
            "the sandbox target needs your integrator credentials",
            "POSCERT_CLIENT_ID and ACME_POS_SECRET",
        ],
    );
    // Half a pair: the missing half is named.
    let out = run_plain_env(dir.path(), &["cases"], &[("POSCERT_CLIENT_ID", "acme")]);
    assert_config_error(
        &out,
        "poscert.yaml:6:20",
        &["POSCERT_CLIENT_ID is set but ACME_POS_SECRET is not"],
    );
    // The simulated customer needs the user-simulation pair on the sandbox (the case below
    // has a customer step; the store case above does not, so it never asked).
    let dir = project(Some(&format!("{GOOD}target: sandbox\n")));
    std::fs::write(
        dir.path().join("cases/02-customer.yaml"),
        "name: Customer\nfeature: onboarding\nsteps:\n  - name: Customer checks in\n    operator:\n      role: customer\n      action: check-in\n      params: { beaconId: x, phoneNumber: \"+4520031801\" }\n",
    )
    .unwrap();
    let out = run_plain_env(
        dir.path(),
        &["cases"],
        &[
            ("POSCERT_CLIENT_ID", "acme"),
            ("POSCERT_CLIENT_SECRET", "acme-secret"),
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains(
            "needs the user-simulation credentials (your developer-portal app's client id and secret"
        ) && out.stderr.contains("POSCERT_SIMULATION_CLIENT_ID and POSCERT_SIMULATION_CLIENT_SECRET"),
        "{}",
        out.output()
    );
}

#[test]
fn credentials_come_from_the_secrets_file_when_the_environment_has_none() {
    // A sandbox that does not exist: the run must get as far as asking for a token there,
    // which proves the credentials were found (and the secret still never printed).
    let dir = project(Some(&format!(
        "{GOOD}target: sandbox\ntargets:\n  sandbox: {{ host: 'http://127.0.0.1:9' }}\ncredentials:\n  secretsFile: private/secrets.yaml\n"
    )));
    std::fs::create_dir_all(dir.path().join("private")).unwrap();
    std::fs::write(
        dir.path().join("private/secrets.yaml"),
        "clientId: acme-from-file\nclientSecret: file-secret-4d2e9b\n",
    )
    .unwrap();
    let out = run_plain_env(
        dir.path(),
        &["cases", "--filter", "store", "--timeout", "2s"],
        &[],
    );
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert!(
        out.stdout.contains("token endpoint unreachable"),
        "{}",
        out.output()
    );
    assert!(
        !out.output().contains("file-secret-4d2e9b"),
        "{}",
        out.output()
    );
    // An unknown key in the secrets file is reported by position, its text never quoted.
    std::fs::write(
        dir.path().join("private/secrets.yaml"),
        "clientId: acme\nclient_secret: file-secret-4d2e9b\n",
    )
    .unwrap();
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.output());
    assert!(
        out.stderr.contains("--> private/secrets.yaml:2:1"),
        "{}",
        out.output()
    );
    assert!(
        out.stderr.contains("unknown key `client_secret`"),
        "{}",
        out.output()
    );
    assert!(
        !out.output().contains("file-secret-4d2e9b"),
        "{}",
        out.output()
    );
}

#[test]
fn command_line_flags_win_over_the_file() {
    // The file says sandbox (without credentials, which would be exit 2) and version 3.4.5.
    let config = "identity:\n  systemName: Acme POS\n  version: 3.4.5\ntarget: sandbox\n";
    let dir = project(Some(config));
    let out = run_plain_env(
        dir.path(),
        &[
            "cases",
            "--target",
            "emulator",
            "--var",
            "expectedVersion=3.4.5",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{}", out.output());
    // --client-version beats identity.version in the header the emulator saw.
    let out = run_plain_env(
        dir.path(),
        &[
            "cases",
            "--target",
            "emulator",
            "--client-version",
            "9.8.7",
            "--var",
            "expectedVersion=9.8.7",
            "--report-json",
            "out.json",
        ],
        &[],
    );
    assert_eq!(out.code, Some(0), "{}", out.output());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap())
            .unwrap();
    assert_eq!(report["identity"]["systemName"], "Acme POS");
    assert_eq!(report["identity"]["version"], "9.8.7");
    // An unknown target name is an error pointing at the file when it comes from the file.
    let dir = project(Some(
        "identity:\n  systemName: Acme POS\n  version: 3.4.5\ntarget: staging\n",
    ));
    let out = run_plain_env(dir.path(), &["cases"], &[]);
    assert_config_error(&out, "poscert.yaml:4:9", &["unknown target `staging`"]);
}

#[test]
fn a_named_target_is_a_base_url() {
    // A dry run shows where the requests would go: the named target's URL.
    let dir = project(Some(&format!(
        "{GOOD}target: staging\ntargets:\n  staging: {{ url: 'http://127.0.0.1:9' }}\n"
    )));
    let out = run_plain_env(dir.path(), &["cases", "--dry-run"], &[]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout
            .contains("GET http://127.0.0.1:9/pos/v10/stores?"),
        "{}",
        out.output()
    );
}

// ---- the schema and the loader describe one file -----------------------------------------

fn schema() -> Value {
    let text = std::fs::read_to_string(repo().join("schemas/config.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validator() -> Validator {
    jsonschema::validator_for(&schema()).expect("the config schema compiles")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties in {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_schema_has_exactly_the_keys_of_the_loader() {
    let s = schema();
    let defs = &s["$defs"];
    let identity = &defs["identity"];
    for (name, def, expected) in [
        ("root", &defs["config"], config::ROOT_KEYS),
        ("identity", identity, config::IDENTITY_KEYS),
        (
            "clientIds",
            &identity["properties"]["clientIds"],
            config::CLIENT_IDS_KEYS,
        ),
        (
            "callback",
            &identity["properties"]["callback"],
            config::CALLBACK_KEYS,
        ),
        (
            "targets.sandbox",
            &defs["targets"]["properties"]["sandbox"],
            config::SANDBOX_TARGET_KEYS,
        ),
        (
            "targets.NAME",
            &defs["targets"]["additionalProperties"]["anyOf"][1],
            config::CUSTOM_TARGET_KEYS,
        ),
        (
            "credentials",
            &defs["credentials"],
            config::CREDENTIALS_KEYS,
        ),
        ("reports", &defs["reports"], config::REPORTS_KEYS),
    ] {
        assert_eq!(
            keys(def),
            set(expected),
            "schema and loader differ on {name}"
        );
        assert_eq!(
            def["additionalProperties"], false,
            "{name} must refuse unknown keys"
        );
    }
}

#[test]
fn the_annotated_example_is_valid_for_the_schema_and_the_loader() {
    let path = repo().join("examples/poscert.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../schemas/config.schema.json"),
        "the example should point editors at the schema"
    );
    let doc = yaml::parse(&text).unwrap().to_json();
    let errors: Vec<String> = validator()
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let loaded = config::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(loaded.identity.system_name.value, "Acme POS");
    assert_eq!(loaded.identity.version.value.to_string(), "2.1.0");
    // Relative paths are relative to the file's folder.
    assert_eq!(
        loaded.reports.ledger.as_deref(),
        Some(repo().join("examples/.poscert/ledger.json").as_path())
    );
}

#[test]
fn documents_the_loader_refuses_the_schema_refuses_too() {
    for bad in [
        "identity:\n  systemName: A\n  verison: 1.0.0\n",
        "identity:\n  systemName: A\n  version: '1.0'\n",
        "identity:\n  systemName: A\n  version: 1.0.0\nmerchantVat: DK-90000028\n",
        "identity:\n  systemName: A\n  version: 1.0.0\ntargets:\n  emulator: { url: 'http://x' }\n",
        "identity:\n  systemName: A\n  version: 1.0.0\ncredentials:\n  clientSecretEnv: 'not a name'\n",
        "identity:\n  systemName: A\n  version: 1.0.0\nfeatures: [payment]\n",
        "identity:\n  version: 1.0.0\n",
    ] {
        let doc = yaml::parse(bad).unwrap().to_json();
        assert!(!validator().is_valid(&doc), "the schema accepts\n{bad}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("poscert.yaml");
        std::fs::write(&path, bad).unwrap();
        assert!(config::load(&path).is_err(), "the loader accepts\n{bad}");
    }
}
