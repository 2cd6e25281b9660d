//! The real sandbox as a first-class target, tested here by pointing the sandbox target's host
//! at the emulator (which serves the self-certification paths too) and reading the emulator's
//! journal: the run must send exactly the URLs, paths and headers MobilePay's sandbox expects,
//! fetch one token and reuse it, survive a token revoked mid-run, and skip (with a reason) every
//! judgement that needs the journal. `--dry-run --target sandbox` prints the requests with
//! credentials masked and sends nothing.

mod support;

use poscert_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{run_plain_env, Run};

const CLIENT_ID: &str = "acme-integrator";
const CLIENT_SECRET: &str = "canary-client-secret-9f3b2a71";
const SIM_ID: &str = "acme-portal-app";
const SIM_SECRET: &str = "canary-sim-secret-5c8e0d44";
const VERSION: &str = "4.2.1";
const SELF_CERT: &str = "/pos-self-certification-api/pos/v10/";
const TOKEN_PATH: &str = "/integrator-authentication/connect/token";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenario(rel: &str) -> String {
    repo().join("scenarios").join(rel).display().to_string()
}

/// The real binary in `dir` with the sandbox credentials in the environment, and the sandbox's
/// host pointed at `sandbox_host` when given.
fn run_with_credentials(dir: &Path, args: Vec<String>, sandbox_host: Option<&str>) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut envs = vec![
        ("POSCERT_CLIENT_ID", CLIENT_ID),
        ("POSCERT_CLIENT_SECRET", CLIENT_SECRET),
        ("POSCERT_SIMULATION_CLIENT_ID", SIM_ID),
        ("POSCERT_SIMULATION_CLIENT_SECRET", SIM_SECRET),
    ];
    if let Some(host) = sandbox_host {
        envs.push(("POSCERT_SANDBOX_HOST", host));
    }
    run_plain_env(dir, &args, &envs)
}

async fn start_emulator() -> Emulator {
    let config = EmulatorConfig {
        payment_poll_delay_ms: 100,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        user_simulation_client_id: SIM_ID.into(),
        user_simulation_client_secret: SIM_SECRET.into(),
        ..EmulatorConfig::default()
    };
    Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

async fn journal(base: &str, since: u64) -> Vec<Value> {
    let v: Value = reqwest::get(format!("{base}/_emulator/journal?since={since}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["entries"].as_array().unwrap().clone()
}

fn header<'a>(e: &'a Value, name: &str) -> Option<&'a str> {
    e["headers"][name].as_str()
}

fn describe(e: &Value) -> String {
    format!("{} {} -> {}", e["method"], e["path"], e["status"])
}

/// A folder with poscert.yaml (the identity whose version the requests must carry).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poscert.yaml"),
        format!(
            "identity:\n  systemName: Acme POS\n  version: {VERSION}\nmerchantVat: DK90000028\n"
        ),
    )
    .unwrap();
    dir
}

fn steps_of(report: &Value) -> Vec<Value> {
    fn walk(steps: &Value, out: &mut Vec<Value>) {
        for s in steps.as_array().into_iter().flatten() {
            out.push(s.clone());
            walk(&s["children"], out);
        }
    }
    let mut out = Vec::new();
    for c in report["cases"].as_array().unwrap() {
        walk(&c["steps"], &mut out);
    }
    out
}

/// Is the step at `file:line` an `assert` with `journal:` (read from the case file itself)?
fn is_journal_assert(step: &Value) -> bool {
    let text = std::fs::read_to_string(step["file"].as_str().unwrap()).unwrap();
    let line = step["line"].as_u64().unwrap() as usize;
    let lines: Vec<&str> = text.lines().collect();
    let start = line.saturating_sub(1);
    // The step's own lines: until the next list item at the same or a lower indentation.
    let indent = lines[start].len() - lines[start].trim_start().len();
    lines[start..]
        .iter()
        .enumerate()
        .take_while(|(i, l)| {
            *i == 0 || l.trim().is_empty() || l.len() - l.trim_start().len() > indent
        })
        .any(|(_, l)| l.trim_start().starts_with("journal:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_run_sends_what_mobilepay_expects_with_one_token() {
    let emu = start_emulator().await;
    let base = emu.base_url();
    let dir = project();
    let report_path = dir.path().join("report.json");
    let args = vec![
        scenario("onboarding"),
        scenario("payments/01-complete-a-payment.yaml"),
        "--target".into(),
        "sandbox".into(),
        "--report-json".into(),
        report_path.display().to_string(),
    ];
    let (d, b) = (dir.path().to_path_buf(), base.clone());
    let out = tokio::task::spawn_blocking(move || run_with_credentials(&d, args, Some(&b)))
        .await
        .unwrap();
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(out.stdout.contains("against sandbox"), "{}", out.output());
    let report_text = std::fs::read_to_string(&report_path).unwrap();
    for secret in [CLIENT_SECRET, SIM_SECRET] {
        assert!(
            !out.output().contains(secret),
            "secret printed:\n{}",
            out.output()
        );
        assert!(!report_text.contains(secret), "secret in the JSON report");
    }

    let entries = journal(&base, 0).await;
    assert!(entries.len() > 20, "too few requests: {}", entries.len());
    // Only the paths MobilePay's sandbox serves for self-certification.
    for e in &entries {
        let path = e["path"].as_str().unwrap();
        assert!(
            path.starts_with(SELF_CERT)
                || path == TOKEN_PATH
                || path.starts_with("/pos/app/usersimulation/"),
            "unexpected path: {}",
            describe(e)
        );
    }
    // Exactly one token request for the whole run (four cases, two at a time), done right.
    let tokens: Vec<&Value> = entries.iter().filter(|e| e["path"] == TOKEN_PATH).collect();
    assert_eq!(tokens.len(), 1, "token requests: {tokens:#?}");
    let t = tokens[0];
    assert_eq!(t["method"], "POST");
    assert_eq!(t["status"], 200);
    assert_eq!(header(t, "authorization"), Some("Basic ***"));
    assert_eq!(
        header(t, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(t["clientId"], CLIENT_ID);
    assert_eq!(
        t["body"], "grant_type=client_credentials&merchant_vat=DK90000028",
        "the token is asked for the certification merchant"
    );
    assert_eq!(t["seq"], entries[0]["seq"], "the token comes first");

    let pos: Vec<&Value> = entries
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with(SELF_CERT))
        .collect();
    assert!(pos.len() > 15);
    for e in &pos {
        assert_eq!(
            header(e, "authorization"),
            Some("Bearer ***"),
            "{}",
            describe(e)
        );
        assert_eq!(
            header(e, "x-mobilepay-client-system-version"),
            Some(VERSION),
            "{}",
            describe(e)
        );
        // The token carries the merchant_vat claim, so the VAT header is not sent.
        assert_eq!(
            header(e, "x-mobilepay-merchant-vat-number"),
            None,
            "{}",
            describe(e)
        );
        assert_ne!(e["status"], 401, "{}", describe(e));
    }
    // Every create carries an idempotency key; the emulator accepted them all.
    let creates: Vec<&&Value> = pos
        .iter()
        .filter(|e| {
            e["method"] == "POST"
                && [
                    "/pos-self-certification-api/pos/v10/pointofsales",
                    "/pos-self-certification-api/pos/v10/payments",
                ]
                .contains(&e["path"].as_str().unwrap())
        })
        .collect();
    assert!(creates.len() >= 4, "creates: {}", creates.len());
    for e in &creates {
        let key = header(e, "x-mobilepay-idempotency-key").unwrap_or("");
        assert!(
            !key.is_empty() && key.len() <= 36,
            "{}: key `{key}`",
            describe(e)
        );
        assert_eq!(e["status"], 200, "{}", describe(e));
    }
    // The user simulation uses the portal app's x-ibm-client-id/secret, not the token.
    let sim: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .unwrap()
                .starts_with("/pos/app/usersimulation/")
        })
        .collect();
    assert_eq!(sim.len(), 2, "check in and accept");
    for e in &sim {
        assert_eq!(
            header(e, "x-ibm-client-id"),
            Some(SIM_ID),
            "{}",
            describe(e)
        );
        assert_eq!(header(e, "authorization"), None, "{}", describe(e));
        assert_eq!(e["status"], 200, "{}", describe(e));
    }

    // Every judgement that needs the journal is skipped, with the reason, never passed.
    let report: Value = serde_json::from_str(&report_text).unwrap();
    let steps = steps_of(&report);
    let journal_asserts: Vec<&Value> = steps
        .iter()
        .filter(|s| s["kind"] == "assert" && is_journal_assert(s))
        .collect();
    assert!(
        journal_asserts.len() >= 6,
        "found {}",
        journal_asserts.len()
    );
    for s in &journal_asserts {
        assert_eq!(s["status"], "skipped", "{s:#}");
        assert!(
            s["skipReason"]
                .as_str()
                .unwrap()
                .contains("needs the emulator's request journal"),
            "{s:#}"
        );
    }
    // The run certified nothing: the host was overridden.
    let cert = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .expect("a (rehearsal) certificate");
    let cert: Value = serde_json::from_str(&std::fs::read_to_string(cert.path()).unwrap()).unwrap();
    assert_eq!(cert["kind"], "rehearsal");
    assert!(
        cert["rehearsalReasons"][0]
            .as_str()
            .unwrap()
            .contains("the sandbox host was overridden"),
        "{cert:#}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_run_is_replaced_once_and_the_run_passes() {
    let emu = start_emulator().await;
    let base = emu.base_url();
    let dir = project();
    std::fs::write(
        dir.path().join("09-revoked-token.yaml"),
        format!(
            r#"name: Survive a token revoked mid-run
feature: onboarding
case: 9
steps:
  - name: A first call fetches the token
    request:
      url: "{{{{pos}}}}/stores"
      query: {{ merchantBrandId: "{{{{merchantBrandId}}}}", merchantLocationId: "{{{{merchantLocationId}}}}" }}
      expect: {{ status: 200 }}
  - name: The token is revoked behind the client's back
    request:
      method: POST
      url: "{base}/_emulator/tokens/revoke"
      expect: {{ status: 200, json: {{ $.revoked: true }} }}
  - name: The next call gets 401, fetches a new token and succeeds
    request:
      url: "{{{{pos}}}}/stores"
      query: {{ merchantBrandId: "{{{{merchantBrandId}}}}", merchantLocationId: "{{{{merchantLocationId}}}}" }}
      expect: {{ status: 200, json: {{ $.storeIds: {{ len: 1 }} }} }}
"#
        ),
    )
    .unwrap();
    let report_path = dir.path().join("report.json");
    let args = vec![
        dir.path()
            .join("09-revoked-token.yaml")
            .display()
            .to_string(),
        scenario("payments/01-complete-a-payment.yaml"),
        "--target".into(),
        "sandbox".into(),
        "--jobs".into(),
        "1".into(),
        "--report-json".into(),
        report_path.display().to_string(),
    ];
    let (d, b) = (dir.path().to_path_buf(), base.clone());
    let out = tokio::task::spawn_blocking(move || run_with_credentials(&d, args, Some(&b)))
        .await
        .unwrap();
    assert_eq!(out.code, Some(0), "{}", out.output());

    let entries = journal(&base, 0).await;
    let tokens: Vec<u64> = entries
        .iter()
        .filter(|e| e["path"] == TOKEN_PATH)
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(tokens.len(), 2, "one token, then one after the revocation");
    // The refused call, then the new token, then the same call again, accepted.
    let refused: Vec<&Value> = entries.iter().filter(|e| e["status"] == 401).collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    let r = refused[0];
    assert_eq!(r["path"], "/pos-self-certification-api/pos/v10/stores");
    let r_seq = r["seq"].as_u64().unwrap();
    assert!(
        tokens[0] < r_seq && r_seq < tokens[1],
        "{tokens:?} vs {r_seq}"
    );
    let retried = entries
        .iter()
        .find(|e| e["seq"].as_u64().unwrap() > tokens[1])
        .unwrap();
    assert_eq!(retried["path"], r["path"]);
    assert_eq!(retried["query"], r["query"]);
    assert_eq!(retried["status"], 200);
    // Everything after ran on the new token: the payments case passed with no other 401.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["summary"]["passed"], 2, "{report:#}");
    let step = &report["cases"][0]["steps"][2];
    assert_eq!(
        step["attempts"][0]["note"], "401: fetched a new token and sent again",
        "{step:#}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_against_the_sandbox_prints_the_requests_masked_and_sends_none() {
    let dir = project();
    let args = |_: ()| {
        vec![
            scenario("onboarding/01-onboard-a-pos.yaml"),
            scenario("payments/01-complete-a-payment.yaml"),
            "--target".to_string(),
            "sandbox".to_string(),
            "--dry-run".to_string(),
        ]
    };
    // MobilePay's own addresses.
    let (d, a) = (dir.path().to_path_buf(), args(()));
    let out = tokio::task::spawn_blocking(move || run_with_credentials(&d, a, None))
        .await
        .unwrap();
    assert_eq!(out.code, Some(0), "{}", out.output());
    for line in [
        "POST https://api.sandbox.mobilepay.dk/integrator-authentication/connect/token",
        "Authorization: Basic ***",
        "grant_type=client_credentials&merchant_vat=DK90000028",
        "GET https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10/stores?merchantBrandId=MPPOSCERT1&merchantLocationId=00001",
        "POST https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10/pointofsales",
        "POST https://api.sandbox.mobilepay.dk/pos-self-certification-api/pos/v10/payments",
        "Authorization: Bearer ***",
        "X-MobilePay-Client-System-Version: 4.2.1",
        "POST https://api.sandbox.mobilepay.dk/pos/app/usersimulation/checkin",
        "x-ibm-client-id: acme-portal-app",
        "x-ibm-client-secret: ***",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in\n{}", out.output());
    }
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    };
    for secret in [CLIENT_SECRET, SIM_SECRET, basic.as_str()] {
        assert!(
            !out.output().contains(secret),
            "`{secret}` printed:\n{}",
            out.output()
        );
    }
    assert!(
        !out.stdout
            .contains("https://api.sandbox.mobilepay.dk/pos/v10/"),
        "the plain PoS API instead of the self-certification one:\n{}",
        out.stdout
    );
    // Pointed at an emulator, the same dry run sends nothing at all (not even a token request),
    // and writes no certificate.
    let emu = start_emulator().await;
    let base = emu.base_url();
    let (d, a, b) = (dir.path().to_path_buf(), args(()), base.clone());
    let out = tokio::task::spawn_blocking(move || run_with_credentials(&d, a, Some(&b)))
        .await
        .unwrap();
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout.contains(&format!("POST {base}{TOKEN_PATH}")),
        "{}",
        out.output()
    );
    assert_eq!(journal(&base, 0).await.len(), 0, "a dry run sent requests");
    assert!(
        !dir.path().join("reports").exists(),
        "a dry run wrote a certificate"
    );
    assert!(
        !dir.path().join(".poscert").exists(),
        "a dry run touched the ledger"
    );
    emu.shutdown().await;
}
