//! The HTTP edge: the axum server, and the pipeline every request goes through.
//!
//! One fallback handler receives everything (routing is [`crate::routes`]): control calls go
//! to [`crate::handlers::control`] unjournaled; every other request has its body read with a
//! 1 MiB limit (413 beyond) and a time limit (408), is numbered (its arrival: from now on a
//! journal read waits for it, see [`crate::journal::Journal::settle`]), is routed (404 / 405
//! with `Allow`), meets the scripted faults (a 500 without processing, or processing followed
//! by a held response), is dispatched to the synchronous handlers, and is journaled before its
//! response leaves (a `journalAfterHold` delay fault: after the hold, or when the request is
//! abandoned during it). A check-in notification the handlers produced is then handed to
//! [`crate::notify`], which delivers it on a task of its own.

use crate::app::App;
use crate::config::EmulatorConfig;
use crate::errors::ErrorBody;
use crate::faults::FaultKind;
use crate::handlers::{self, Incoming, Outcome};
use crate::journal::{recorded_headers, Entry};
use crate::notify;
use crate::reply::Reply;
use crate::routes::{resolve, Resolved};
use crate::seed::Seed;
use crate::validation::unknown_fields;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);

    let too_large = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES as u64);
    let read_timeout = std::time::Duration::from_millis(app.config.body_read_timeout_ms);
    let body: Result<Bytes, StatusCode> = if too_large {
        Err(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        match tokio::time::timeout(read_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) => Err(StatusCode::PAYLOAD_TOO_LARGE),
            Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
        }
    };

    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return match body {
            Ok(b) => handlers::control::handle(&app, &parts.method, &path, query.as_deref(), &b)
                .await
                .into_response(),
            Err(status) => closing(status),
        };
    }

    let time = app.clock.now();
    // Numbered on arrival; journaled through `arrival` (recorded, or held and recorded when it
    // is dropped: at the end of this function, or earlier if the client goes away and the
    // request's future is dropped).
    let mut arrival = app.journal.arrive();
    let seq = arrival.seq();
    let entry = |outcome: &Outcome,
                 body: &Bytes,
                 fault: Option<String>,
                 extra_ms: u64,
                 unknown_fields: Vec<String>| {
        let reply = &outcome.reply;
        Entry {
            seq,
            time,
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: recorded_headers(&parts.headers),
            body: outcome.journal_body.clone().unwrap_or_else(|| body.clone()),
            status: reply.status.as_u16(),
            response_body: outcome
                .journal_response
                .clone()
                .or_else(|| reply.body.clone()),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0 + extra_ms as f64,
            client_id: outcome.client_id.clone(),
            fault,
            unknown_fields,
            delivery: None,
            simulation: outcome.simulation.clone(),
        }
    };

    let body = match body {
        Ok(body) => body,
        Err(status) => {
            let outcome = Outcome::plain(Reply::empty(status), None);
            arrival.record(entry(&outcome, &Bytes::new(), None, 0, Vec::new()));
            return closing(status);
        }
    };

    let route = match resolve(&parts.method, &path) {
        Resolved::Found(route) => route,
        Resolved::MethodNotAllowed(allow) => {
            let mut reply = Reply::empty(StatusCode::METHOD_NOT_ALLOWED);
            reply
                .headers
                .push((header::ALLOW, HeaderValue::from_static(allow)));
            let outcome = Outcome::plain(reply, None);
            arrival.record(entry(&outcome, &body, None, 0, Vec::new()));
            return outcome.reply.into_response();
        }
        Resolved::NotFound => {
            let outcome = Outcome::plain(Reply::empty(StatusCode::NOT_FOUND), None);
            arrival.record(entry(&outcome, &body, None, 0, Vec::new()));
            return outcome.reply.into_response();
        }
    };

    let fired = app.faults.take(parts.method.as_str(), &path, &body);
    let (outcome, delay_ms, journal_after_hold) = match &fired {
        Some(f) => match &f.kind {
            FaultKind::Error { status, code } => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let err = ErrorBody::new(
                    code,
                    "An internal error occurred (injected by the emulator's fault script)",
                    route.op.flavour(),
                );
                (Outcome::plain(Reply::json(status, &err), None), 0, false)
            }
            FaultKind::Delay {
                delay_ms,
                journal_after_hold,
            } => {
                let incoming = Incoming {
                    route: &route,
                    headers: &parts.headers,
                    query: query.as_deref(),
                    body: &body,
                };
                (
                    handlers::dispatch(&app, &incoming),
                    *delay_ms,
                    *journal_after_hold,
                )
            }
        },
        None => {
            let incoming = Incoming {
                route: &route,
                headers: &parts.headers,
                query: query.as_deref(),
                body: &body,
            };
            (handlers::dispatch(&app, &incoming), 0, false)
        }
    };
    let unknown = unknown_fields(route.op.body_fields(), &body);
    let fault = fired.map(|f| f.id);
    if journal_after_hold {
        arrival.hold(entry(&outcome, &body, fault, 0, unknown), started);
    } else {
        arrival.record(entry(&outcome, &body, fault, delay_ms, unknown));
    }
    let Outcome { reply, notify, .. } = outcome;
    if let Some(n) = notify {
        notify::spawn(app.clone(), n);
    }
    if delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
    }
    // A held entry is journaled here, before the response leaves.
    drop(arrival);
    reply.into_response()
}

/// 413 (body over 1 MiB, or broken) or 408 (body too slow), closing the connection.
fn closing(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Bind `bind` (use `127.0.0.1:0` for a free port) and serve in the background.
    pub async fn start(config: EmulatorConfig, bind: SocketAddr) -> std::io::Result<Emulator> {
        use axum::serve::ListenerExt;
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App::new(config));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let service = router(app.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Emulator {
            addr,
            app,
            shutdown: Some(tx),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seed(&self) -> &Seed {
        &self.app.seed
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.app.config
    }

    /// Stop accepting connections, let in-flight requests finish (at most 5 s), then return.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
