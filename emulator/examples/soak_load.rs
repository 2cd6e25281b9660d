//! The soak's load generator (`bench/soak.sh` builds the standalone emulator, starts it and
//! runs this against it; see the script's header for why the defaults are what they are).
//!
//! N client tasks each loop whole lifecycles on loopback: a token; onboard a PoS; several
//! payments on it (check in, initiate, poll, accept, poll until `Reserved` honouring
//! `pollDelayInMs`, capture, refund, poll the refund, capture it; every tenth payment is
//! cancelled by the client instead, every fifth is a prepared payment readied after check-in);
//! then offboard the PoS and onboard a new one. A clock task advances the emulator's virtual
//! clock by one day every `--virtual-day-every` seconds, so the emulator's lifetimes (24 h
//! idempotency keys, 120-day retention of finished payments) really pass during the run.
//!
//! What the clock does to a client is expected, counted apart and never an error: a token
//! that expired under a clock jump (401: the client fetches a new one and retries once), a
//! reservation the clock expired before capture, a refund the clock auto-captured before the
//! client captured it. Anything else that is not the documented answer is an unexpected error.
//!
//! Every `--report-every` seconds it prints requests served (total, in the period, per
//! second), errors, expected outcomes, the emulator's RSS and peak RSS (`/proc/PID/status`),
//! the virtual clock and the sizes from `GET /_emulator/stats`. At the end: the RSS ratio,
//! `GET /_emulator/invariants`, and exit status 1 on any unexpected error, a failed invariant
//! or an RSS ratio above `--max-rss-ratio`.
//!
//! `cargo run --release -p poscert-emulator --example soak_load -- --base http://127.0.0.1:PORT
//! --pid PID [--seconds 3600] [--clients 8] [--virtual-day-every 4] [--payments-per-pos 5]
//! [--pace-ms 60] [--retention-days 120] [--warmup-secs N] [--report-every 60]`

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VAT: &str = "DK90000028";
const USER: &str = "+4520031801";
const STORE: &str = "9d0a9c45-1793-4e82-9410-b0ee6779ab60";
const DAY: u64 = 86_400;

struct Opts {
    base: String,
    pid: u32,
    seconds: u64,
    clients: usize,
    day_every: f64,
    payments_per_pos: usize,
    pace_ms: u64,
    retention_days: f64,
    warmup_secs: Option<u64>,
    report_every: u64,
    max_rss_ratio: f64,
}

fn usage(msg: &str) -> ! {
    eprintln!("{msg}\nusage: soak_load --base URL --pid PID [--seconds N] [--clients N] [--virtual-day-every SECS] [--payments-per-pos N] [--pace-ms N] [--retention-days N] [--warmup-secs N] [--report-every SECS] [--max-rss-ratio R]");
    std::process::exit(2)
}

fn opts() -> Opts {
    let mut o = Opts {
        base: String::new(),
        pid: 0,
        seconds: 360,
        clients: 8,
        day_every: 4.0,
        payments_per_pos: 5,
        pace_ms: 60,
        retention_days: 120.0,
        warmup_secs: None,
        report_every: 60,
        max_rss_ratio: 1.10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let v = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let num = |s: &str| -> f64 {
            s.parse()
                .unwrap_or_else(|_| usage(&format!("{flag} must be a number")))
        };
        match flag.as_str() {
            "--base" => o.base = v.trim_end_matches('/').to_string(),
            "--pid" => o.pid = num(&v) as u32,
            "--seconds" => o.seconds = num(&v) as u64,
            "--clients" => o.clients = (num(&v) as usize).max(1),
            "--virtual-day-every" => o.day_every = num(&v),
            "--payments-per-pos" => o.payments_per_pos = (num(&v) as usize).max(1),
            "--pace-ms" => o.pace_ms = num(&v) as u64,
            "--retention-days" => o.retention_days = num(&v),
            "--warmup-secs" => o.warmup_secs = Some(num(&v) as u64),
            "--report-every" => o.report_every = (num(&v) as u64).max(1),
            "--max-rss-ratio" => o.max_rss_ratio = num(&v),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    if o.base.is_empty() || o.pid == 0 {
        usage("--base and --pid are required");
    }
    o
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    errors: AtomicU64,
    expected_401: AtomicU64,
    clock_ended: AtomicU64,
    lifecycles: AtomicU64,
    poses: AtomicU64,
    /// The first few unexpected errors, to print.
    samples: Mutex<Vec<String>>,
}

impl Counters {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() < 20 {
            s.push(what);
        }
    }
}

/// One answer: status and JSON body (`Null` when empty or not JSON).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn str(&self, key: &str) -> String {
        self.body[key].as_str().unwrap_or("").to_string()
    }

    fn code(&self) -> String {
        self.str("code")
    }
}

/// Why a lifecycle stopped early.
enum Stop {
    /// Unexpected: counted as an error.
    Error(String),
    /// What the clock did (reservation expired, refund auto-captured): counted apart.
    Clock,
}

type Step<T> = Result<T, Stop>;

struct ClientTask {
    http: Client,
    base: String,
    token: String,
    counters: Arc<Counters>,
    seed: Value,
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl ClientTask {
    async fn fetch_token(&mut self) -> Step<()> {
        let integ = &self.seed["integrators"][0];
        let (id, secret) = (
            integ["clientId"].as_str().unwrap_or(""),
            integ["clientSecret"].as_str().unwrap_or(""),
        );
        let r = self
            .http
            .post(format!(
                "{}/integrator-authentication/connect/token",
                self.base
            ))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("merchant_vat", VAT)])
            .send()
            .await
            .map_err(|e| Stop::Error(format!("token: {e}")))?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        match body["access_token"].as_str() {
            Some(t) if status == StatusCode::OK => {
                self.token = t.to_string();
                Ok(())
            }
            _ => Err(Stop::Error(format!("token: {status} {body}"))),
        }
    }

    async fn raw(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Step<Answer> {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("X-MobilePay-Client-System-Version", "1.0.0");
        if let Some(k) = key {
            rb = rb.header("X-MobilePay-Idempotency-Key", k);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let r = rb
            .send()
            .await
            .map_err(|e| Stop::Error(format!("{method} {path}: {e}")))?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let status = r.status();
        let bytes = r.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// A PoS API call; a 401 (a token the clock expired) is expected once: fetch a new token
    /// and send the same request again (same idempotency key).
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Step<Answer> {
        let a = self.raw(&method, path, body.as_ref(), key).await?;
        if a.status != StatusCode::UNAUTHORIZED {
            return Ok(a);
        }
        self.counters.expected_401.fetch_add(1, Ordering::Relaxed);
        self.fetch_token().await?;
        let a = self.raw(&method, path, body.as_ref(), key).await?;
        if a.status == StatusCode::UNAUTHORIZED {
            return Err(Stop::Error(format!(
                "{method} {path}: 401 after a fresh token"
            )));
        }
        Ok(a)
    }

    /// The call must answer 200.
    async fn ok(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Step<Answer> {
        let a = self.call(method.clone(), path, body, key).await?;
        if a.status != StatusCode::OK {
            return Err(Stop::Error(format!(
                "{method} {path}: {} {}",
                a.status, a.body
            )));
        }
        Ok(a)
    }

    async fn sim(&self, action: &str, beacon: &str) -> Step<()> {
        let creds = &self.seed["userSimulation"];
        let r = self
            .http
            .post(format!("{}/pos/app/usersimulation/{action}", self.base))
            .header("x-ibm-client-id", creds["clientId"].as_str().unwrap_or(""))
            .header(
                "x-ibm-client-secret",
                creds["clientSecret"].as_str().unwrap_or(""),
            )
            .json(&json!({ "beaconId": beacon, "phoneNumber": USER }))
            .send()
            .await
            .map_err(|e| Stop::Error(format!("sim {action}: {e}")))?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        if r.status() != StatusCode::OK {
            let s = r.status();
            let b = r.text().await.unwrap_or_default();
            return Err(Stop::Error(format!("sim {action}: {s} {b}")));
        }
        Ok(())
    }

    /// Poll a payment until it leaves `from`, sleeping its `pollDelayInMs` between polls.
    async fn poll_payment(&mut self, id: &str, until: &[&str]) -> Step<String> {
        for _ in 0..200 {
            let a = self
                .ok(Method::GET, &format!("/pos/v10/payments/{id}"), None, None)
                .await?;
            let status = a.str("status");
            if until.contains(&status.as_str()) {
                return Ok(status);
            }
            if status == "ExpiredAndCancelled" {
                return Err(Stop::Clock);
            }
            let delay = a.body["pollDelayInMs"].as_u64().unwrap_or(1000);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        Err(Stop::Error(format!("payment {id} never reached {until:?}")))
    }

    async fn onboard(&mut self) -> Step<(String, String)> {
        let beacon = format!(
            "{}",
            100_000_000_000_000u128 + uuid::Uuid::new_v4().as_u128() % 900_000_000_000_000
        );
        let a = self
            .ok(
                Method::POST,
                "/pos/v10/pointofsales",
                Some(json!({
                    "merchantPosId": format!("soak-{}", &uuid()[..13]),
                    "storeId": STORE,
                    "name": "Soak till",
                    "beaconId": beacon,
                    "supportedBeaconTypes": ["QR"],
                })),
                Some(&uuid()),
            )
            .await?;
        self.counters.poses.fetch_add(1, Ordering::Relaxed);
        Ok((a.str("posId"), beacon))
    }

    /// One payment on the PoS: `n` picks the variant.
    async fn payment(&mut self, pos: &str, beacon: &str, n: u64) -> Step<()> {
        let amount = 10.0 + (n % 90) as f64;
        let order = format!("soak-{}", &uuid()[..18]);
        self.sim("checkin", beacon).await?;
        let id = if n % 5 == 4 {
            // Prepared: paired at once (the user is checked in), then readied with the amount.
            let a = self
                .ok(
                    Method::POST,
                    "/pos/v10/payments/prepare",
                    Some(json!({"posId": pos, "orderId": order})),
                    Some(&uuid()),
                )
                .await?;
            let id = a.str("paymentId");
            self.poll_payment(&id, &["Paired"]).await?;
            self.ok(
                Method::POST,
                &format!("/pos/v10/payments/{id}/ready"),
                Some(
                    json!({"amount": amount, "currencyCode": "DKK", "plannedCaptureDelay": "None"}),
                ),
                None,
            )
            .await?;
            id
        } else {
            let a = self
                .ok(
                    Method::POST,
                    "/pos/v10/payments",
                    Some(json!({"posId": pos, "orderId": order, "amount": amount, "currencyCode": "DKK", "plannedCaptureDelay": "None"})),
                    Some(&uuid()),
                )
                .await?;
            a.str("paymentId")
        };
        self.poll_payment(&id, &["IssuedToUser"]).await?;
        if n % 10 == 9 {
            self.ok(
                Method::POST,
                &format!("/pos/v10/payments/{id}/cancel"),
                None,
                None,
            )
            .await?;
            self.poll_payment(&id, &["CancelledByClient"]).await?;
            return Ok(());
        }
        self.sim("acceptpayment", beacon).await?;
        self.poll_payment(&id, &["Reserved"]).await?;
        let a = self
            .call(
                Method::POST,
                &format!("/pos/v10/payments/{id}/capture"),
                Some(json!({"amount": amount})),
                None,
            )
            .await?;
        if a.status != StatusCode::OK {
            // 1304: the clock expired the 7-day reservation between the poll and the capture.
            if a.code() == "1304" {
                let now = self
                    .ok(Method::GET, &format!("/pos/v10/payments/{id}"), None, None)
                    .await?;
                if now.str("status") == "ExpiredAndCancelled" {
                    return Err(Stop::Clock);
                }
            }
            return Err(Stop::Error(format!(
                "capture {id}: {} {}",
                a.status, a.body
            )));
        }
        let refund_amount = (amount / 2.0).floor();
        let a = self
            .ok(
                Method::POST,
                "/pos/v10/refunds",
                Some(json!({"paymentId": id, "refundOrderId": format!("r-{}", &uuid()[..8]), "amount": refund_amount, "currencyCode": "DKK"})),
                Some(&uuid()),
            )
            .await?;
        let refund = a.str("refundId");
        for _ in 0..200 {
            let a = self
                .ok(
                    Method::GET,
                    &format!("/pos/v10/refunds/{refund}"),
                    None,
                    None,
                )
                .await?;
            match a.str("status").as_str() {
                "Reserved" => break,
                // The clock passed the 24 h auto-capture between the polls.
                "ExpiredAndCaptured" => return Err(Stop::Clock),
                "Initiated" => {
                    let delay = a.body["pollDelayInMs"].as_u64().unwrap_or(100);
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                other => return Err(Stop::Error(format!("refund {refund}: {other}"))),
            }
        }
        let a = self
            .call(
                Method::POST,
                &format!("/pos/v10/refunds/{refund}/capture"),
                None,
                None,
            )
            .await?;
        if a.status != StatusCode::OK {
            let now = self
                .ok(
                    Method::GET,
                    &format!("/pos/v10/refunds/{refund}"),
                    None,
                    None,
                )
                .await?;
            if a.code() == "1351" && now.str("status") == "ExpiredAndCaptured" {
                return Err(Stop::Clock);
            }
            return Err(Stop::Error(format!(
                "refund capture {refund}: {} {}",
                a.status, a.body
            )));
        }
        Ok(())
    }

    async fn run(mut self, stop: Arc<AtomicBool>, payments_per_pos: usize, pace_ms: u64) {
        let mut n: u64 = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Err(Stop::Error(e)) = self.fetch_token().await {
                self.counters.error(e);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            let (pos, beacon) = match self.onboard().await {
                Ok(p) => p,
                Err(Stop::Error(e)) => {
                    self.counters.error(e);
                    continue;
                }
                Err(Stop::Clock) => continue,
            };
            for _ in 0..payments_per_pos {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                n += 1;
                match self.payment(&pos, &beacon, n).await {
                    Ok(()) => {
                        self.counters.lifecycles.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(Stop::Clock) => {
                        // Counted by what it was: a reservation or a refund the clock ended.
                        self.counters.clock_ended.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(Stop::Error(e)) => {
                        self.counters.error(e);
                        break;
                    }
                }
                if pace_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(pace_ms)).await;
                }
            }
            // Offboard: an active payment left by an error is cancelled by MobilePay.
            if let Err(Stop::Error(e)) = self
                .ok(
                    Method::DELETE,
                    &format!("/pos/v10/pointofsales/{pos}"),
                    None,
                    None,
                )
                .await
            {
                self.counters.error(e);
            }
        }
    }
}

/// VmRSS and VmHWM of `pid`, in kB.
fn rss_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn mean(v: &[u64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<u64>() as f64 / v.len() as f64
}

/// First vs last window of `samples` (one a second): ten minutes each when at least twenty
/// are there, else a quarter each. Returns (first mean, last mean, window seconds).
fn windows(samples: &[u64]) -> (f64, f64, usize) {
    let w = if samples.len() >= 1200 {
        600
    } else {
        (samples.len() / 4).max(1)
    };
    let first = &samples[..w.min(samples.len())];
    let last = &samples[samples.len().saturating_sub(w)..];
    (mean(first), mean(last), w)
}

async fn get_json(http: &Client, url: &str) -> Value {
    match http.get(url).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

fn stats_line(s: &Value) -> String {
    let st = &s["store"];
    let j = &s["journal"];
    format!(
        "vclock {} | pos {}+{}del pay {} (act {} res {} fin {}) ref {} idem {} orders {} beacons {} deadlines {} polls {}/{} tokRules {} | journal {}/{} {:.1} MB",
        s["clock"]["now"].as_str().unwrap_or("?").get(..10).unwrap_or("?"),
        st["posLive"], st["posDeleted"], st["payments"], st["paymentsActive"], st["paymentsReserved"], st["paymentsFinal"],
        st["refunds"], st["idempotencyRecords"], st["orders"], st["beacons"], st["deadlines"],
        st["pollDelayRules"], st["pollDelayCounters"], s["tokenRules"],
        j["entries"], j["capacity"], j["bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
    )
}

#[tokio::main]
async fn main() {
    let o = opts();
    let http = Client::builder()
        .pool_max_idle_per_host(o.clients * 2 + 4)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| usage(&format!("http client: {e}")));
    let seed = get_json(&http, &format!("{}/_emulator/seed", o.base)).await;
    if seed.is_null() {
        usage("no emulator answers at --base");
    }
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let warmup = o
        .warmup_secs
        .unwrap_or((o.retention_days * o.day_every).ceil() as u64 + 60);
    println!(
        "soak: {} clients, {} payments per PoS, pace {} ms, one virtual day every {} s, {} s; warm-up {} s ({} days of retention at that clock, plus a minute for the journal ring)",
        o.clients, o.payments_per_pos, o.pace_ms, o.day_every, o.seconds, warmup, o.retention_days
    );
    let mut tasks = Vec::new();
    for _ in 0..o.clients {
        let c = ClientTask {
            http: http.clone(),
            base: o.base.clone(),
            token: String::new(),
            counters: counters.clone(),
            seed: seed.clone(),
        };
        tasks.push(tokio::spawn(c.run(
            stop.clone(),
            o.payments_per_pos,
            o.pace_ms,
        )));
    }
    // The clock task: one virtual day every `day_every` seconds.
    let clock = {
        let (http, base, stop, every) = (http.clone(), o.base.clone(), stop.clone(), o.day_every);
        tokio::spawn(async move {
            if every <= 0.0 {
                return;
            }
            let mut tick = tokio::time::interval(Duration::from_secs_f64(every));
            tick.tick().await;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let _ = http
                    .post(format!("{base}/_emulator/clock/advance"))
                    .json(&json!({ "seconds": DAY }))
                    .send()
                    .await;
            }
        })
    };
    let start = Instant::now();
    let mut samples: Vec<u64> = Vec::new();
    let mut last_requests = 0;
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.tick().await;
    let mut elapsed = 0;
    while elapsed < o.seconds {
        second.tick().await;
        elapsed = start.elapsed().as_secs();
        let (rss, hwm) = rss_kb(o.pid);
        if rss == 0 {
            println!("the emulator (pid {}) is gone", o.pid);
            counters.error("emulator process gone".into());
            break;
        }
        samples.push(rss);
        if elapsed % o.report_every == 0 {
            let req = counters.requests.load(Ordering::Relaxed);
            let stats = get_json(&http, &format!("{}/_emulator/stats", o.base)).await;
            println!(
                "[{:>3}:{:02}] req {} (+{}, {}/s) lifecycles {} poses {} | err {} exp401 {} clockEnded {} | rss {:.1} MB hwm {:.1} MB | {}",
                elapsed / 60,
                elapsed % 60,
                req,
                req - last_requests,
                (req - last_requests) / o.report_every,
                counters.lifecycles.load(Ordering::Relaxed),
                counters.poses.load(Ordering::Relaxed),
                counters.errors.load(Ordering::Relaxed),
                counters.expected_401.load(Ordering::Relaxed),
                counters.clock_ended.load(Ordering::Relaxed),
                mb(rss),
                mb(hwm),
                stats_line(&stats)
            );
            last_requests = req;
        }
    }
    stop.store(true, Ordering::Relaxed);
    clock.abort();
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(60), t).await;
    }
    let invariants = get_json(&http, &format!("{}/_emulator/invariants", o.base)).await;
    let stats = get_json(&http, &format!("{}/_emulator/stats", o.base)).await;
    let (rss, hwm) = rss_kb(o.pid);
    println!(
        "end: rss {:.1} MB hwm {:.1} MB | {}",
        mb(rss),
        mb(hwm),
        stats_line(&stats)
    );
    let errors = counters.errors.load(Ordering::Relaxed);
    for e in counters
        .samples
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        println!("  error: {e}");
    }
    let all = windows(&samples);
    println!(
        "RSS incl. warm-up (information): first {} s mean {:.1} MB, last {} s mean {:.1} MB, ratio {:.3}",
        all.2, all.0 / 1024.0, all.2, all.1 / 1024.0, all.1 / all.0.max(1.0)
    );
    let after = &samples[(warmup as usize).min(samples.len())..];
    let ratio = if after.len() >= 8 {
        let (first, last, w) = windows(after);
        let r = last / first.max(1.0);
        println!(
            "RSS after the {warmup} s warm-up (verdict): first {w} s mean {:.1} MB, last {w} s mean {:.1} MB, ratio {r:.3} (limit {:.2})",
            first / 1024.0,
            last / 1024.0,
            o.max_rss_ratio
        );
        Some(r)
    } else {
        println!("RSS: the run is too short to compare after a {warmup} s warm-up");
        None
    };
    println!(
        "requests {} lifecycles {} poses {} | unexpected errors {} | expected: 401 refreshes {}, ended by the clock {}",
        counters.requests.load(Ordering::Relaxed),
        counters.lifecycles.load(Ordering::Relaxed),
        counters.poses.load(Ordering::Relaxed),
        errors,
        counters.expected_401.load(Ordering::Relaxed),
        counters.clock_ended.load(Ordering::Relaxed),
    );
    println!("invariants: {invariants}");
    let mut failed = Vec::new();
    if errors > 0 {
        failed.push(format!("{errors} unexpected errors"));
    }
    if invariants["ok"] != json!(true) {
        failed.push("invariants do not hold".to_string());
    }
    match ratio {
        Some(r) if r > o.max_rss_ratio => {
            failed.push(format!("RSS ratio {r:.3} > {}", o.max_rss_ratio))
        }
        None => failed.push("too short for an RSS verdict".to_string()),
        _ => {}
    }
    if failed.is_empty() {
        println!("SOAK PASSED");
    } else {
        println!("SOAK FAILED: {}", failed.join("; "));
        std::process::exit(1);
    }
}
