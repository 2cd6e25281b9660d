//! A person at the till: the real binary in a pseudo-terminal (`--client operator`, embedded
//! emulator), driven the way a person would: read the screen, type, press keys, press Ctrl-C.
//! The pty comes from expectrl, so nothing has to be installed.

mod support;

use expectrl::process::unix::{Signal, WaitStatus};
use expectrl::session::OsSession;
use expectrl::{Eof, Expect, Session};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// The engine in a pty, with everything it printed so far.
struct Till {
    session: OsSession,
    screen: String,
}

impl Till {
    fn start(dir: &Path, args: &[&str]) -> Till {
        // A person at a terminal: support::engine already clears CI (unattended).
        let mut engine = support::engine(dir);
        engine
            .args(args)
            .args(["--report-json", "report.json", "--jobs", "1"]);
        // ptyprocess starts the pty without echo; a person's terminal echoes. Echo is turned on
        // inside the pty by `stty` before the engine starts (turning it on from here after the
        // spawn raced the engine's first prompt on a loaded machine: the engine then saved and
        // restored the echo-less mode), so the test sees whether the engine gives the terminal
        // back as it found it.
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg("stty echo && exec \"$0\" \"$@\"")
            .arg(engine.get_program())
            .args(engine.get_args());
        if let Some(cwd) = engine.get_current_dir() {
            cmd.current_dir(cwd);
        }
        for (key, value) in engine.get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        // The pty becomes stdin, stdout and stderr before the engine starts; a configured
        // stdin would replace it.
        cmd.stdin(Stdio::inherit()).env("TERM", "xterm");
        let mut session = Session::spawn(cmd).expect("spawn the engine in a pty");
        // A liveness bound for every wait below, not a timing assertion.
        session.set_expect_timeout(Some(Duration::from_secs(90)));
        Till {
            session,
            screen: String::new(),
        }
    }

    /// Waits until `text` shows on the screen.
    fn wait_for(&mut self, text: &str) {
        match self.session.expect(text) {
            // Everything read up to and including the match.
            Ok(found) => self
                .screen
                .push_str(&String::from_utf8_lossy(found.as_bytes())),
            Err(e) => panic!(
                "waiting for {text:?} on the screen: {e}\n--- screen so far ---\n{}",
                self.screen
            ),
        }
    }

    fn type_line(&mut self, text: &str) {
        self.session.send(format!("{text}\r")).expect("type");
    }

    fn press(&mut self, key: &str) {
        self.session.send(key).expect("press a key");
    }

    /// Reads the rest of the output and returns the exit code.
    fn finish(&mut self) -> i32 {
        match self.session.expect(Eof) {
            Ok(rest) => self
                .screen
                .push_str(&String::from_utf8_lossy(rest.as_bytes())),
            Err(e) => panic!(
                "waiting for the engine to exit: {e}\n--- screen so far ---\n{}",
                self.screen
            ),
        }
        let status = self
            .session
            .get_process()
            .wait()
            .expect("wait for the engine");
        match status {
            WaitStatus::Exited(_, code) => code,
            other => panic!(
                "the engine did not exit normally: {other:?}\n{}",
                self.screen
            ),
        }
    }

    /// After the engine exited: is the terminal echoing again?
    fn echo_restored(&self) -> bool {
        self.session
            .get_process()
            .get_echo()
            .expect("read the pty mode")
    }
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}` in {report:#}"))
}

fn case_dir(file: &str, yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(file), yaml).expect("write the case");
    dir
}

const TYPED: &str = r#"
name: The cashier types what the till shows
feature: payments
vars:
  orderId: order-4711
steps:
  - name: Cashier starts the sale
    operator:
      role: cashier
      action: start-payment
      params: { posId: pos-1, orderId: "{{orderId}}", amount: 12.5, currencyCode: DKK }
      prompt: Start a sale of 12.5 DKK with order id {{orderId}}, then type what the till shows.
      inputs:
        - { name: receipt, label: Receipt number }
        - { name: items, label: Items on the receipt, type: number }
        - { name: staffCode, label: Staff code, type: secret }
      timeout: 2m
  - name: The typed values are case variables
    assert:
      vars: { receipt: R-42, items: 3, staffCode: till-secret-9917 }
finally:
  - name: Clean up
    set: { cleaned: true }
"#;

#[test]
fn the_prompt_shows_the_instructions_and_typed_values_become_variables() {
    let dir = case_dir("typed.yaml", TYPED);
    let mut till = Till::start(dir.path(), &["typed.yaml", "--client", "operator"]);
    till.wait_for(
        "Start a sale of 12.5 DKK with order id order-4711, then type what the till shows.",
    );
    till.wait_for("params:  posId=pos-1, orderId=order-4711, amount=12.5, currencyCode=DKK");
    till.wait_for("left] ? Receipt number: ");
    till.type_line("R-42");
    till.wait_for("? Items on the receipt (a number): ");
    till.type_line("three");
    till.wait_for("`three` is not a number");
    till.type_line("3");
    till.wait_for("? Staff code (hidden as you type): ");
    till.type_line("till-secret-9917");
    till.wait_for("[d] done, [f] failed, [s] skip (not applicable)");
    till.press("d");
    let code = till.finish();

    assert_eq!(code, 0, "exit code; screen:\n{}", till.screen);
    assert!(till.echo_restored(), "the terminal was left without echo");
    assert!(
        !till.screen.contains("till-secret-9917"),
        "the secret reached the screen:\n{}",
        till.screen
    );
    let r = report(dir.path());
    let op = &step(&r, "Cashier starts the sale")["operator"];
    assert_eq!(op["actor"], "person");
    assert_eq!(op["outcome"], "done");
    assert_eq!(op["values"]["receipt"], "R-42");
    assert_eq!(op["values"]["items"], 3);
    assert_eq!(op["values"]["staffCode"], "***");
    assert_eq!(
        op["prompt"],
        "Start a sale of 12.5 DKK with order id order-4711, then type what the till shows."
    );
    assert_eq!(
        step(&r, "The typed values are case variables")["status"],
        "passed"
    );
    let raw = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert!(
        !raw.contains("till-secret-9917"),
        "the secret reached the report"
    );
}

#[test]
fn a_failed_outcome_fails_the_step_with_the_reason() {
    let dir = case_dir("typed.yaml", TYPED);
    let mut till = Till::start(dir.path(), &["typed.yaml", "--client", "operator"]);
    till.wait_for("? Receipt number: ");
    till.type_line("R-1");
    till.wait_for("(a number): ");
    till.type_line("1");
    till.wait_for("(hidden as you type): ");
    till.type_line("another-secret-1");
    till.wait_for("[s] skip (not applicable)");
    till.press("f");
    till.wait_for("? What went wrong? ");
    till.type_line("the till showed error 1301");
    let code = till.finish();

    assert_eq!(code, 1, "exit code; screen:\n{}", till.screen);
    assert!(till.echo_restored(), "the terminal was left without echo");
    let r = report(dir.path());
    let s = step(&r, "Cashier starts the sale");
    assert_eq!(s["status"], "failed");
    assert_eq!(
        s["failure"]["message"],
        "the operator reported that `start-payment` failed: the till showed error 1301"
    );
    assert_eq!(s["operator"]["outcome"], "failed");
    assert_eq!(s["operator"]["message"], "the till showed error 1301");
    assert_eq!(step(&r, "Clean up")["status"], "passed");
}

const WATCHED: &str = r#"
name: The till starts the sale while the engine watches
feature: payments
vars:
  orderId: "watch-{{digits 8}}"
  merchantPosId: "poscert-watch-{{digits 8}}"
setup:
  - name: Find the certification store
    request:
      url: "{{pos}}/stores"
      query: { merchantBrandId: "{{merchantBrandId}}", merchantLocationId: "{{merchantLocationId}}" }
      expect: { status: 200 }
      capture: { storeId: "$.storeIds[0]" }
  - name: Onboard a PoS for the sale
    request:
      method: POST
      url: "{{pos}}/pointofsales"
      headers: { X-MobilePay-Idempotency-Key: "{{uuid}}" }
      json: { merchantPosId: "{{merchantPosId}}", storeId: "{{storeId}}", name: watch test, supportedBeaconTypes: [QR] }
      expect: { status: 200 }
      capture: { posId: $.posId }
steps:
  - name: Cashier starts the sale
    operator:
      role: cashier
      action: start-payment
      params: { posId: "{{posId}}", orderId: "{{orderId}}", amount: 12.5, currencyCode: DKK }
      prompt: On the till, start a sale of 12.5 DKK with order id {{orderId}}.
      timeout: 2m
      watch:
        request:
          url: "{{pos}}/payments"
          query: { posId: "{{posId}}", orderId: "{{orderId}}" }
          capture: { paymentId: "$.paymentIds[0]" }
        until: { $.paymentIds: { len: 1 } }
        interval: 100ms
        timeout: 2m
  - name: The payment the till started is the one the watch captured
    request:
      url: "{{pos}}/payments/{{paymentId}}"
      expect: { status: 200, json: { $.orderId: "{{orderId}}", $.amount: 12.5, $.status: Initiated } }
finally:
  - name: Cancel the payment
    if: '{{has "paymentId"}}'
    request:
      method: POST
      url: "{{pos}}/payments/{{paymentId}}/cancel"
  - name: Delete the PoS
    request: { method: DELETE, url: "{{pos}}/pointofsales/{{posId}}" }
"#;

/// What the POS at the till does when the person presses "pay": initiate the payment, with its
/// own token, straight against the emulator the engine started.
fn till_initiates_payment(base: &str, pos_id: &str, order_id: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let seed: Value = http
            .get(format!("{base}/_emulator/seed"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = seed["integrators"][0]["clientId"].as_str().unwrap();
        let secret = seed["integrators"][0]["clientSecret"].as_str().unwrap();
        let token: Value = http
            .post(format!("{base}/integrator-authentication/connect/token"))
            .basic_auth(id, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("merchant_vat", "DK90000028"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let created: Value = http
            .post(format!("{base}/pos/v10/payments"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .header("X-MobilePay-Client-System-Version", "1.0.0")
            .header("X-MobilePay-Merchant-VAT-Number", "DK90000028")
            .header(
                "X-MobilePay-Idempotency-Key",
                uuid::Uuid::new_v4().to_string(),
            )
            .json(&serde_json::json!({
                "posId": pos_id, "orderId": order_id, "amount": 12.5,
                "currencyCode": "DKK", "plannedCaptureDelay": "None"
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created["paymentId"]
            .as_str()
            .unwrap_or_else(|| panic!("the emulator refused the payment: {created}"))
            .to_string()
    })
}

#[test]
fn the_watch_completes_the_step_without_a_key() {
    let dir = case_dir("watched.yaml", WATCHED);
    let mut till = Till::start(dir.path(), &["watched.yaml", "--client", "operator"]);
    till.wait_for("/pos/v10), client: operator");
    let base = regex::Regex::new(r"against emulator \((http://127\.0\.0\.1:\d+)/pos/v10\)")
        .unwrap()
        .captures(&till.screen)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| panic!("no emulator URL in:\n{}", till.screen));
    till.wait_for("[s] skip (not applicable)");
    let ids = regex::Regex::new(r"params:  posId=([0-9a-f-]{36}), orderId=(watch-\d{8})")
        .unwrap()
        .captures(&till.screen)
        .unwrap_or_else(|| panic!("no params line in:\n{}", till.screen));
    // The prompt is showing and nobody touches the keyboard; the till starts the sale.
    let payment_id = till_initiates_payment(&base, &ids[1], &ids[2]);
    till.wait_for("the watch saw the action happen: done, no key needed");
    let code = till.finish();

    assert_eq!(code, 0, "exit code; screen:\n{}", till.screen);
    assert!(till.echo_restored(), "the terminal was left without echo");
    let r = report(dir.path());
    let s = step(&r, "Cashier starts the sale");
    assert_eq!(s["status"], "passed");
    assert_eq!(s["operator"]["actor"], "watch");
    assert_eq!(s["operator"]["outcome"], "done");
    assert_eq!(s["operator"]["values"]["paymentId"], payment_id.as_str());
    assert_eq!(
        step(
            &r,
            "The payment the till started is the one the watch captured"
        )["status"],
        "passed"
    );
    assert_eq!(step(&r, "Delete the PoS")["status"], "passed");
}

const SHORT: &str = r#"
name: Nobody finishes in time
feature: payments
steps:
  - name: Cashier starts the sale
    operator:
      role: cashier
      action: start-payment
      params: { posId: pos-1, orderId: order-1, amount: 12.5, currencyCode: DKK }
      prompt: Start a sale of 12.5 DKK.
      timeout: 2s
  - name: Never reached
    set: { reached: true }
finally:
  - name: Clean up
    set: { cleaned: true }
"#;

#[test]
fn the_timeout_fails_the_step_with_a_clear_message() {
    let dir = case_dir("short.yaml", SHORT);
    let mut till = Till::start(dir.path(), &["short.yaml", "--client", "operator"]);
    till.wait_for("[s] skip (not applicable)");
    till.wait_for("time is up");
    let code = till.finish();

    assert_eq!(code, 1, "exit code; screen:\n{}", till.screen);
    assert!(till.echo_restored(), "the terminal was left without echo");
    assert!(
        till.screen
            .contains("the operator did not finish `start-payment` within 2s"),
        "the console does not explain the failure:\n{}",
        till.screen
    );
    let r = report(dir.path());
    let s = step(&r, "Cashier starts the sale");
    assert_eq!(s["status"], "error");
    assert_eq!(s["failure"]["category"], "timeout");
    assert_eq!(
        s["failure"]["message"],
        "the operator did not finish `start-payment` within 2s"
    );
    assert_eq!(s["operator"]["actor"], "person");
    assert_eq!(s["operator"]["outcome"], "timeout");
    assert_eq!(step(&r, "Never reached")["status"], "skipped");
    assert_eq!(step(&r, "Clean up")["status"], "passed");
}

const CUSTOMER: &str = r#"
name: The customer pays in the app
feature: payments
steps:
  - name: Customer accepts the payment
    operator:
      role: customer
      action: accept-payment
      params: { beaconId: beacon-77, phoneNumber: "+4520031802" }
      prompt: Scan the QR code of the till and swipe to pay.
      timeout: 2m
  - name: Never reached
    set: { reached: true }
finally:
  - name: Clean up
    set: { cleaned: true }
"#;

fn assert_interrupted_cleanly(dir: &Path, till: &Till, code: i32, step_name: &str) {
    assert_eq!(code, 130, "exit code; screen:\n{}", till.screen);
    assert!(till.echo_restored(), "the terminal was left without echo");
    let r = report(dir);
    assert_eq!(r["interrupted"], true);
    let s = step(&r, step_name);
    assert_eq!(s["status"], "skipped");
    assert_eq!(s["skipReason"], "interrupted (Ctrl-C)");
    assert_eq!(s["operator"]["outcome"], "interrupted");
    assert_eq!(step(&r, "Never reached")["status"], "skipped");
    assert_eq!(step(&r, "Clean up")["status"], "passed");
}

#[test]
fn ctrl_c_at_the_prompt_ends_the_run_cleanly() {
    let dir = case_dir("short.yaml", &SHORT.replace("timeout: 2s", "timeout: 2m"));
    let mut till = Till::start(dir.path(), &["short.yaml", "--client", "operator"]);
    till.wait_for("[s] skip (not applicable)");
    till.press("\x03");
    till.wait_for("interrupted (Ctrl-C)");
    let code = till.finish();
    assert_interrupted_cleanly(dir.path(), &till, code, "Cashier starts the sale");
}

#[test]
fn sigint_during_a_customer_prompt_ends_the_run_cleanly() {
    let dir = case_dir("customer.yaml", CUSTOMER);
    let mut till = Till::start(dir.path(), &["customer.yaml", "--customer", "human"]);
    till.wait_for("Scan the QR code of the till and swipe to pay.");
    till.wait_for("the test user +4520031802 in the MobilePay sandbox test app");
    till.wait_for("PIN 1234, activation code 123456");
    till.wait_for("[s] skip (not applicable)");
    till.session
        .get_process_mut()
        .kill(Signal::SIGINT)
        .expect("send SIGINT");
    till.wait_for("interrupted: stopping the run");
    let code = till.finish();
    assert_interrupted_cleanly(dir.path(), &till, code, "Customer accepts the payment");
}
