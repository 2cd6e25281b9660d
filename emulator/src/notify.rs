//! Delivering check-in notifications (notes §8.5): the emulator's only outgoing HTTP.
//!
//! A check-in on a PoS whose callback alias is registered hands a
//! [`CheckInNotification`] to [`spawn`], which POSTs its body to the registered URL on a task of
//! its own, after the check-in's own request is done and with no lock held. Anything but 200 —
//! another status, a timeout, a refused connection — is retried [`RETRIES`] times, each
//! `callback_retry_delay_ms` after the previous attempt ended. Every attempt is journaled as
//! `POST /_callbacks/{alias}` with `x-poscert-actor: emulator`, the integrator's status (0 for
//! no answer) and a `delivery` object (URL, attempt, why there was no answer), so a journal
//! judgement can read the deliveries and never mistakes them for the client's requests.

use crate::app::App;
use crate::callbacks::{CheckInNotification, RETRIES};
use crate::journal::{Delivery, Entry};
use axum::body::Bytes;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The most of an integrator's answer the journal keeps.
const MAX_RECORDED_ANSWER: usize = 16 * 1024;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("poscert-emulator/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// Deliver `n` in the background.
pub fn spawn(app: Arc<App>, n: CheckInNotification) {
    tokio::spawn(deliver(app, n));
}

/// Deliver `n`: up to 1 + [`RETRIES`] attempts, until one is answered 200.
pub async fn deliver(app: Arc<App>, n: CheckInNotification) {
    let body = Bytes::from(serde_json::to_vec(&n.body).unwrap_or_default());
    let max_attempts = 1 + RETRIES;
    let timeout = Duration::from_millis(app.config.callback_timeout_ms);
    for attempt in 1..=max_attempts {
        let seq = app.journal.next_seq();
        let time = app.clock.now();
        let started = Instant::now();
        let sent = client()
            .post(&n.url)
            .header("content-type", "application/json")
            .header("x-poscert-actor", "emulator")
            .timeout(timeout)
            .body(body.clone())
            .send()
            .await;
        let (status, answer, error) = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(b) => (status, b.slice(..b.len().min(MAX_RECORDED_ANSWER)), None),
                    Err(e) => (status, Bytes::new(), Some(describe(&e))),
                }
            }
            Err(e) => (0, Bytes::new(), Some(describe(&e))),
        };
        app.journal.record(Entry {
            seq,
            time,
            method: "POST".into(),
            path: format!("/_callbacks/{}", n.alias),
            query: None,
            headers: vec![
                ("x-poscert-actor", "emulator".into()),
                ("content-type", "application/json".into()),
            ],
            body: body.clone(),
            status,
            response_body: (!answer.is_empty()).then_some(answer),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            client_id: Some(n.client_id.clone()),
            fault: None,
            unknown_fields: Vec::new(),
            delivery: Some(Delivery {
                url: n.url.clone(),
                attempt,
                max_attempts,
                error,
            }),
            simulation: None,
        });
        if status == 200 || attempt == max_attempts {
            return;
        }
        tokio::time::sleep(Duration::from_millis(app.config.callback_retry_delay_ms)).await;
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        text
    }
}
