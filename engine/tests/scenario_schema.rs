//! `schemas/scenario.schema.json` and `schemas/fragment.schema.json` are what editors use
//! (`# yaml-language-server: $schema=...`); the loader (`engine/src/scenario/convert/mod.rs`) is what
//! the engine uses. These tests keep the two describing one language:
//! (a) every object of the schemas has exactly the keys of convert/'s `*_KEYS` constants, and
//!     the enumerations (matcher operators, `when` values, features, operator actions, named
//!     response schemas) equal the engine's lists;
//! (b) every case, feature and fragment under `scenarios/` (and the valid e2e fixtures) validates,
//!     and every case starts with the editor line pointing at the schema;
//! (c) documents that break a rule are rejected by both the schema and the loader, and a set of
//!     unusual but valid documents is accepted by both.

use jsonschema::{Retrieve, Uri, Validator};
use poscert_engine::scenario::catalogue;
use poscert_engine::scenario::convert::*;
use poscert_engine::scenario::pos_v10_schemas::SCHEMA_NAMES;
use poscert_engine::scenario::{load_paths, yaml, Role};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema_path(name: &str) -> PathBuf {
    root().join("schemas").join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Resolves the fragment schema's relative `$ref: scenario.schema.json#...` from disk, the way
/// an editor resolves it beside the schema file.
struct FileRetriever;

impl Retrieve for FileRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!("only file URIs are resolved, not {uri}").into());
        }
        let text = std::fs::read_to_string(uri.path().as_str())?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn file_uri(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("file://{}", abs.display())
}

/// A validator for `schema`, as if it were the file `as_file` (for relative references).
fn compile(schema: &Value, as_file: &Path) -> Validator {
    jsonschema::options()
        .with_base_uri(file_uri(as_file))
        .with_retriever(FileRetriever)
        .build(schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", as_file.display()))
}

fn scenario_validator() -> Validator {
    let path = schema_path("scenario.schema.json");
    compile(&read_json(&path), &path)
}

fn fragment_validator() -> Validator {
    let path = schema_path("fragment.schema.json");
    compile(&read_json(&path), &path)
}

/// `feature.schema.json` is `$defs/feature` of the case schema, for the editor line.
fn feature_validator() -> Validator {
    let path = schema_path("feature.schema.json");
    compile(&read_json(&path), &path)
}

/// Schema violations of a YAML text, one line each (empty when valid).
fn violations(validator: &Validator, yaml_text: &str) -> Vec<String> {
    let doc = match yaml::parse(yaml_text) {
        Ok(node) => node.to_json(),
        Err(e) => return vec![format!("YAML: {}", e.message)],
    };
    validator
        .iter_errors(&doc)
        .map(|e| format!("{} {e}", e.instance_path()))
        .collect()
}

fn keys_of(def: &Value) -> BTreeSet<String> {
    def["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

fn enum_of(v: &Value) -> BTreeSet<String> {
    v["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum in {v}"))
        .iter()
        .map(|s| s.as_str().expect("enum of strings").to_string())
        .collect()
}

// ---- (a) no drift --------------------------------------------------------------------------

#[test]
fn every_schema_object_has_exactly_the_keys_of_the_loader() {
    let schema = read_json(&schema_path("scenario.schema.json"));
    let defs = schema["$defs"].as_object().expect("$defs");
    let step_keys = |action: &str, extra: &[&str]| {
        let mut s = set(STEP_COMMON_KEYS);
        s.insert(action.to_string());
        s.extend(extra.iter().map(|k| k.to_string()));
        s
    };
    let expected: Vec<(&str, BTreeSet<String>)> = vec![
        ("case", set(CASE_KEYS)),
        ("feature", set(FEATURE_KEYS)),
        ("request", set(REQUEST_KEYS)),
        ("expect", set(EXPECT_KEYS)),
        ("captureSource", set(CAPTURE_KEYS)),
        ("retryOptions", set(RETRY_KEYS)),
        ("poll", set(POLL_KEYS)),
        ("intervalFrom", set(INTERVAL_KEYS)),
        ("operator", set(OPERATOR_KEYS)),
        ("input", set(INPUT_KEYS)),
        ("watch", set(WATCH_KEYS)),
        ("exec", set(EXEC_KEYS)),
        ("assert", set(ASSERT_KEYS)),
        ("journal", set(JOURNAL_KEYS)),
        ("minIntervalFrom", set(MIN_INTERVAL_KEYS)),
        ("operators", set(MATCHER_OPERATORS)),
        ("requestStep", step_keys("request", REQUEST_MODIFIER_KEYS)),
        ("operatorStep", step_keys("operator", &[])),
        ("execStep", step_keys("exec", &[])),
        ("assertStep", step_keys("assert", &[])),
        ("waitStep", step_keys("wait", &[])),
        ("setStep", step_keys("set", &[])),
        ("useStep", step_keys("use", &["with"])),
        // A group has keys of its own: its text is its name, and it judges nothing to explain.
        ("groupStep", set(GROUP_KEYS)),
    ];
    let mut problems = Vec::new();
    for (name, keys) in &expected {
        match defs.get(*name) {
            None => problems.push(format!("$defs/{name} is missing")),
            Some(def) => {
                let got = keys_of(def);
                if &got != keys {
                    problems.push(format!(
                        "$defs/{name}: schema has {:?}, loader has {:?}",
                        got.difference(keys).collect::<Vec<_>>(),
                        keys.difference(&got).collect::<Vec<_>>()
                    ));
                }
                if def["additionalProperties"] != Value::Bool(false) {
                    problems.push(format!(
                        "$defs/{name} must forbid unknown keys, as the loader does"
                    ));
                }
            }
        }
    }
    // Every object the schema defines is one the table above checks: nothing escapes the test.
    let checked: BTreeSet<&str> = expected.iter().map(|(n, _)| *n).collect();
    for (name, def) in defs {
        if def.get("properties").is_some() && !checked.contains(name.as_str()) {
            problems.push(format!(
                "$defs/{name} defines an object that no *_KEYS constant checks"
            ));
        }
    }
    // One step shape per action, in the loader's order.
    let variants: Vec<String> = schema["$defs"]["step"]["oneOf"]
        .as_array()
        .expect("step.oneOf")
        .iter()
        .map(|r| r["$ref"].as_str().unwrap_or_default().to_string())
        .collect();
    let wanted: Vec<String> = STEP_ACTIONS
        .iter()
        .map(|a| format!("#/$defs/{a}Step"))
        .collect();
    if variants != wanted {
        problems.push(format!("step.oneOf is {variants:?}, expected {wanted:?}"));
    }
    // The modifiers that may not be written both inside and beside `request:`.
    let dependent: BTreeSet<String> = defs["requestStep"]["dependentSchemas"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if dependent != set(REQUEST_MODIFIER_KEYS) {
        problems.push(format!(
            "requestStep.dependentSchemas has {dependent:?}, loader modifiers are {REQUEST_MODIFIER_KEYS:?}"
        ));
    }
    // The fragment file.
    let fragment = read_json(&schema_path("fragment.schema.json"));
    if keys_of(&fragment["$defs"]["fragment"]) != set(FRAGMENT_KEYS) {
        problems.push(format!(
            "fragment.schema.json $defs/fragment has {:?}, loader has {FRAGMENT_KEYS:?}",
            keys_of(&fragment["$defs"]["fragment"])
        ));
    }
    if keys_of(&fragment["$defs"]["paramOptions"]) != set(PARAM_KEYS) {
        problems.push(format!(
            "fragment.schema.json $defs/paramOptions has {:?}, loader has {PARAM_KEYS:?}",
            keys_of(&fragment["$defs"]["paramOptions"])
        ));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn enumerations_equal_the_engine_lists() {
    let schema = read_json(&schema_path("scenario.schema.json"));
    let defs = &schema["$defs"];
    assert_eq!(
        enum_of(&defs["matcher"]["anyOf"][1]["propertyNames"]["not"]),
        set(MATCHER_OPERATORS),
        "a mapping without operators is a literal: the schema must know every operator"
    );
    assert_eq!(enum_of(&defs["when"]["anyOf"][0]), set(WHEN_VALUES));
    assert_eq!(
        enum_of(&defs["when"]["anyOf"][1]["items"]),
        set(WHEN_VALUES)
    );
    assert_eq!(
        enum_of(&defs["case"]["properties"]["feature"]),
        set(FEATURE_IDS)
    );
    assert_eq!(
        enum_of(&defs["expect"]["properties"]["schema"]["anyOf"][0]),
        set(SCHEMA_NAMES)
    );
    let by_role = |role: &str| -> BTreeSet<String> {
        let rule = defs["operator"]["allOf"]
            .as_array()
            .expect("operator.allOf")
            .iter()
            .find(|r| r["if"]["properties"]["role"]["const"] == role)
            .unwrap_or_else(|| panic!("no action list for role {role}"));
        enum_of(&rule["then"]["properties"]["action"])
    };
    assert_eq!(by_role("cashier"), set(&catalogue::names(Role::Cashier)));
    assert_eq!(by_role("customer"), set(&catalogue::names(Role::Customer)));
}

// ---- (b) every real file validates ---------------------------------------------------------

#[derive(Default)]
struct Files {
    cases: Vec<PathBuf>,
    features: Vec<PathBuf>,
    fragments: Vec<PathBuf>,
}

fn collect(dir: &Path, in_fragments: bool, out: &mut Files) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            collect(&path, in_fragments || name == "fragments", out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            if in_fragments {
                out.fragments.push(path);
            } else if name == "feature.yaml" {
                out.features.push(path);
            } else {
                out.cases.push(path);
            }
        }
    }
}

/// The editor line's path, resolved from the file's folder, must be the schema file.
fn check_editor_line(file: &Path, text: &str, schema: &str, problems: &mut Vec<String>) {
    const PREFIX: &str = "# yaml-language-server: $schema=";
    match text.lines().next().and_then(|l| l.strip_prefix(PREFIX)) {
        None => problems.push(format!(
            "{}:1:1: the first line must be `{PREFIX}<path to schemas/{schema}>`",
            file.display()
        )),
        Some(rel) => {
            let target = file.parent().unwrap().join(rel.trim());
            let same = std::fs::canonicalize(&target).ok()
                == std::fs::canonicalize(schema_path(schema)).ok();
            if !same {
                problems.push(format!(
                    "{}:1:1: `{}` does not point at schemas/{schema}",
                    file.display(),
                    rel.trim()
                ));
            }
        }
    }
}

fn validate_tree(dir: &Path, require_editor_line: bool) -> (usize, Vec<String>) {
    let mut files = Files::default();
    collect(dir, false, &mut files);
    let (cases, features, fragments) = (
        scenario_validator(),
        feature_validator(),
        fragment_validator(),
    );
    let mut problems = Vec::new();
    let groups: [(&Vec<PathBuf>, &Validator, &str); 3] = [
        (&files.cases, &cases, "scenario.schema.json"),
        (&files.features, &features, "feature.schema.json"),
        (&files.fragments, &fragments, "fragment.schema.json"),
    ];
    let mut count = 0;
    for (list, validator, schema) in groups {
        for file in list {
            count += 1;
            let text = std::fs::read_to_string(file).unwrap();
            for v in violations(validator, &text) {
                problems.push(format!("{}: {v}", file.display()));
            }
            if require_editor_line {
                check_editor_line(file, &text, schema, &mut problems);
            }
        }
    }
    (count, problems)
}

#[test]
fn every_case_feature_and_fragment_under_scenarios_validates() {
    let (count, problems) = validate_tree(&root().join("scenarios"), true);
    assert!(count >= 5, "only {count} files found under scenarios/");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_valid_e2e_fixtures_validate_too() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut total = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let path = entry.path();
        // `broken*/` hold deliberately invalid files for the broken-input tests.
        let broken = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("broken");
        if path.is_dir() && !broken {
            let (n, p) = validate_tree(&path, false);
            total += n;
            problems.extend(p);
        }
    }
    assert!(total >= 5, "only {total} fixture files found");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// ---- (c) both sides agree on edge cases ----------------------------------------------------

/// Loads `text` as a case file with the real loader; the one-line errors.
fn loader_errors(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.yaml");
    std::fs::write(&file, text).unwrap();
    load_paths(&[file])
        .errors
        .iter()
        .map(|e| e.one_line())
        .collect()
}

const HEAD: &str = "name: n\nfeature: payments\nsteps:\n";

#[test]
fn invalid_documents_are_rejected_by_both_the_schema_and_the_loader() {
    let cases: &[(&str, String)] = &[
        ("unknown case key", format!("{HEAD}  - wait: 1s\nexpct: 1\n")),
        ("unknown feature", "name: n\nfeature: coffee\nsteps:\n  - wait: 1s\n".into()),
        ("no steps", "name: n\nfeature: payments\nsteps: []\n".into()),
        ("two actions", format!("{HEAD}  - wait: 1s\n    set: {{ a: 1 }}\n")),
        ("no action", format!("{HEAD}  - name: nothing\n")),
        ("unknown step key", format!("{HEAD}  - wait: 1s\n    retry: {{ attempts: 2 }}\n")),
        ("with on a non-use step", format!("{HEAD}  - wait: 1s\n    with: {{ a: 1 }}\n")),
        ("bad duration", format!("{HEAD}  - wait: fast\n")),
        ("negative duration", format!("{HEAD}  - wait: -1\n")),
        ("bad when", format!("{HEAD}  - wait: 1s\n    when: tuesday\n")),
        ("request without url", format!("{HEAD}  - request: {{ method: GET }}\n")),
        ("unknown method", format!("{HEAD}  - request: {{ method: FETCH, url: x }}\n")),
        ("two bodies", format!("{HEAD}  - request: {{ url: x, json: {{}}, body: t }}\n")),
        (
            "modifier inside and beside",
            format!("{HEAD}  - request: {{ url: x, expect: {{ status: 200 }} }}\n    expect: {{ status: 201 }}\n"),
        ),
        ("unknown expect key", format!("{HEAD}  - request: {{ url: x, expect: {{ staus: 200 }} }}\n")),
        ("json key not a JSONPath", format!("{HEAD}  - request: {{ url: x, expect: {{ json: {{ status: 1 }} }} }}\n")),
        ("unknown named schema", format!("{HEAD}  - request: {{ url: x, expect: {{ schema: Payment }} }}\n")),
        (
            "operator mixed with a plain key",
            format!("{HEAD}  - request: {{ url: x, expect: {{ status: {{ gte: 200, below: 300 }} }} }}\n"),
        ),
        ("exists not boolean", format!("{HEAD}  - assert: {{ vars: {{ a: {{ exists: maybe }} }} }}\n")),
        ("unknown type", format!("{HEAD}  - assert: {{ vars: {{ a: {{ type: text }} }} }}\n")),
        ("in not a list", format!("{HEAD}  - assert: {{ vars: {{ a: {{ in: 3 }} }} }}\n")),
        ("capture with two sources", format!("{HEAD}  - request: {{ url: x, capture: {{ a: {{ header: h, status: true }} }} }}\n")),
        ("capture shorthand not a JSONPath", format!("{HEAD}  - request: {{ url: x, capture: {{ a: status }} }}\n")),
        ("retry on 4xx", format!("{HEAD}  - request: {{ url: x, retry: {{ on: [4xx] }} }}\n")),
        ("retry attempts 11", format!("{HEAD}  - request: {{ url: x, retry: {{ attempts: 11 }} }}\n")),
        ("poll without until", format!("{HEAD}  - request: {{ url: x, poll: {{ timeout: 2s }} }}\n")),
        ("poll max_attempts 0", format!("{HEAD}  - request: {{ url: x, poll: {{ until: {{ status: 200 }}, max_attempts: 0 }} }}\n")),
        ("poll key not a JSONPath", format!("{HEAD}  - request: {{ url: x, poll: {{ until: {{ state: done }} }} }}\n")),
        ("interval from without from", format!("{HEAD}  - request: {{ url: x, poll: {{ until: {{ status: 200 }}, interval: {{ fallback: 1s }} }} }}\n")),
        ("unknown role", format!("{HEAD}  - operator: {{ role: manager, action: start-payment }}\n")),
        ("customer doing a cashier action", format!("{HEAD}  - operator: {{ role: customer, action: start-payment }}\n")),
        ("unknown input type", format!("{HEAD}  - operator: {{ role: cashier, action: cancel-payment, inputs: [{{ name: a, type: date }}] }}\n")),
        ("watch without until", format!("{HEAD}  - operator: {{ role: cashier, action: cancel-payment, watch: {{ request: {{ url: x }} }} }}\n")),
        ("exec without command", format!("{HEAD}  - exec: {{ args: [a] }}\n")),
        ("exit code not a number", format!("{HEAD}  - exec: {{ command: true, exit_code: zero }}\n")),
        ("empty assert", format!("{HEAD}  - assert: {{}}\n")),
        ("journal unknown key", format!("{HEAD}  - assert: {{ journal: {{ methd: GET }} }}\n")),
        ("set not a mapping", format!("{HEAD}  - set: [a, b]\n")),
        ("retry 0", format!("{HEAD}  - request: {{ url: x, retry: 0 }}\n")),
        ("retry 11", format!("{HEAD}  - request: {{ url: x, retry: 11 }}\n")),
        ("group without steps", format!("{HEAD}  - group: g\n")),
        ("group with no step", format!("{HEAD}  - group: g\n    steps: []\n")),
        ("group with a name", format!("{HEAD}  - group: g\n    name: n\n    steps: [{{ wait: 1s }}]\n")),
        ("group with an action", format!("{HEAD}  - group: g\n    wait: 1s\n    steps: [{{ wait: 1s }}]\n")),
        ("steps on a plain step", format!("{HEAD}  - wait: 1s\n    steps: [{{ wait: 1s }}]\n")),
        ("advisory without because", format!("{HEAD}  - wait: 1s\n    severity: advisory\n")),
        ("because without severity", format!("{HEAD}  - wait: 1s\n    because: inferred\n")),
        ("because on a hard judgement", format!("{HEAD}  - wait: 1s\n    severity: hard\n    because: inferred\n")),
        ("unknown severity", format!("{HEAD}  - wait: 1s\n    severity: soft\n")),
        ("case number negative", "name: n\nfeature: payments\ncase: -1\nsteps:\n  - wait: 1s\n".into()),
    ];
    let validator = scenario_validator();
    let mut problems = Vec::new();
    for (what, text) in cases {
        if violations(&validator, text).is_empty() {
            problems.push(format!("{what}: the schema accepts it\n{text}"));
        }
        if loader_errors(text).is_empty() {
            problems.push(format!("{what}: the loader accepts it\n{text}"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn unusual_but_valid_documents_are_accepted_by_both() {
    let cases: &[(&str, String)] = &[
        ("lower-case method, modifiers beside", format!("{HEAD}  - request: {{ method: post, url: x, json: {{ a: 1 }} }}\n    expect: {{ status: {{ in: [200, 201] }} }}\n    timeout: 2\n")),
        ("a mapping literal", format!("{HEAD}  - assert: {{ vars: {{ obj: {{ a: 1, b: [2] }} }} }}\n")),
        ("every operator", format!("{HEAD}  - assert: {{ vars: {{ a: {{ eq: 1, ne: 2, gt: 0, gte: 1, lt: 2, lte: 1, in: [1], not_in: [2], matches: '^1$', contains: 1, exists: true, type: bool, len: {{ gte: 0 }} }} }} }}\n")),
        ("in from a template", format!("{HEAD}  - assert: {{ vars: {{ a: {{ in: '{{{{list}}}}' }} }} }}\n")),
        ("capture forms", format!("{HEAD}  - request: {{ url: x }}\n    capture: {{ a: $.a, b: {{ header: Location }}, c: {{ regex: 'id=(\\d+)', secret: true }}, d: {{ status: true }}, e: {{ body: true, default: null }} }}\n")),
        ("poll with interval from the response", format!("{HEAD}  - request: {{ url: x }}\n    poll: {{ until: {{ status: 200, $.s: done }}, abort_if: {{ $.s: failed }}, interval: {{ from: $.pollDelayInMs, fallback: 250ms }}, timeout: 1.5s, max_attempts: 3 }}\n")),
        ("retry as one string", format!("{HEAD}  - request: {{ url: x, retry: {{ on: 5xx, attempts: 1, delay: 0 }} }}\n")),
        ("when as a list, if", format!("{HEAD}  - wait: 250ms\n    when: [reference, emulator]\n    if: '{{{{flag}}}}'\n")),
        ("null setup and finally", "name: n\nfeature: refunds\nsetup:\nfinally: ~\nsteps:\n  - wait: 0\n".into()),
        ("numbers as text", "name: 42\nfeature: payments\ncase: 3\ntags: smoke\nsteps:\n  - name: 7\n    wait: 1m\n".into()),
        ("operator with everything", format!("{HEAD}  - operator:\n      role: customer\n      action: check-in\n      params: {{ beaconId: b }}\n      prompt: scan\n      inputs: [{{ name: code, label: Code, type: secret }}]\n      timeout: 2m\n      automate: []\n      watch: {{ request: {{ url: x }}, until: {{ $.ok: true }}, interval: 1s, timeout: 1h }}\n")),
        ("journal with everything", format!("{HEAD}  - assert:\n      journal: {{ method: GET, path: /p, path_prefix: /q, body_contains: x, count: {{ gte: 1 }}, each: {{ $.a: 1 }}, same: $.h, min_interval: {{ from_response: pollDelayInMs }}, none_after: {{ $.s: done }}, explain: why }}\n")),
        ("exec with everything", format!("{HEAD}  - exec: {{ command: echo, args: [a, 2], timeout: 5s, exit_code: -1, capture: {{ out: $.x }} }}\n")),
        ("an advisory judgement", format!("{HEAD}  - assert: {{ vars: {{ a: 1 }} }}\n    severity: advisory\n    because: notes §5.1 infer it\n  - wait: 0s\n    severity: hard\n")),
        ("retry as a number", format!("{HEAD}  - request: {{ url: x, retry: 3 }}\n")),
        ("a group with when and if", format!("{HEAD}  - group: g\n    when: emulator\n    if: '{{{{flag}}}}'\n    steps:\n      - wait: 1s\n        when: reference\n      - group: inner\n        steps: [{{ wait: 1s }}]\n")),
        ("watch without timeout", format!("{HEAD}  - operator: {{ role: cashier, action: cancel-payment, timeout: 2m, watch: {{ request: {{ url: x }}, until: {{ $.ok: true }} }} }}\n")),
        ("schema file", format!("{HEAD}  - request: {{ url: x, expect: {{ schema: schemas/payment.json, body: {{ contains: ok }}, headers: {{ content-type: {{ matches: json }} }} }} }}\n")),
    ];
    let validator = scenario_validator();
    let mut problems = Vec::new();
    for (what, text) in cases {
        let v = violations(&validator, text);
        if !v.is_empty() {
            problems.push(format!("{what}: the schema rejects it: {v:?}\n{text}"));
        }
        let l = loader_errors(text);
        if !l.is_empty() {
            problems.push(format!("{what}: the loader rejects it: {l:?}\n{text}"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn fragments_are_a_list_or_a_mapping_with_steps() {
    let validator = fragment_validator();
    assert_eq!(violations(&validator, "- wait: 1s\n"), Vec::<String>::new());
    assert_eq!(
        violations(
            &validator,
            "name: f\ndescription: d\nsteps:\n  - set: { a: 1 }\n"
        ),
        Vec::<String>::new()
    );
    assert!(
        !violations(&validator, "name: f\n").is_empty(),
        "steps are required"
    );
    assert!(!violations(&validator, "steps: []\nvars: {}\n").is_empty());
    assert!(!violations(&validator, "- wait: 1s\n  set: { a: 1 }\n").is_empty());
    let declared = "params:\n  amount: the amount\n  note: { description: d, default: null }\ngives: { paymentId: the payment }\nsteps:\n  - set: { paymentId: 1 }\n";
    assert_eq!(violations(&validator, declared), Vec::<String>::new());
    assert!(
        !violations(&validator, "params: { a: { default: 1 } }\nsteps: []\n").is_empty(),
        "a param needs a description"
    );
    assert!(
        !violations(
            &validator,
            "params: { a: { description: d, deflt: 1 } }\nsteps: []\n"
        )
        .is_empty(),
        "a param has only description and default"
    );
    assert!(
        !violations(&validator, "gives: [paymentId]\nsteps: []\n").is_empty(),
        "gives is a mapping of name to description"
    );
}

#[test]
fn the_golden_cases_validate_too_except_those_broken_on_purpose() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files = Files::default();
    collect(&golden, false, &mut files);
    let validator = scenario_validator();
    let mut checked = 0;
    let mut problems = Vec::new();
    for file in &files.cases {
        let text = std::fs::read_to_string(file).unwrap();
        // A golden about a load error holds a case that is invalid on purpose, and says so.
        if text.starts_with("# Broken on purpose") {
            continue;
        }
        checked += 1;
        for v in violations(&validator, &text) {
            problems.push(format!("{}: {v}", file.display()));
        }
        check_editor_line(file, &text, "scenario.schema.json", &mut problems);
    }
    assert!(checked >= 5, "only {checked} golden case files found");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
