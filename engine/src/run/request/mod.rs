//! The `request` step: render once ([`render`]), send, retrying transport faults with the
//! identical rendered request so the idempotency key is reused ([`send`]), poll until a
//! condition holds ([`poll`]), then judge ([`judge`]) and capture ([`capture`]).

mod capture;
mod judge;
mod poll;
mod render;
mod send;

pub use capture::capture;
pub use render::render;

use super::error::{Ran, StepResult};
use super::scope::Scope;
use super::RunContext;
use crate::http::client::PreparedRequest;
use crate::run::result::{Attempt, AttemptKind, StepReport};
use crate::scenario::model::{ClientMode, RequestStep, Step, WhenCondition};
use serde_json::Value;

/// Tells the emulator's journal who sent a request: `client` (the reference client's work) or
/// `judge` (the engine checking results). Journal judgements ignore the judge's requests.
pub const ACTOR_HEADER: &str = "X-Poscert-Actor";

/// A step that exists only when the engine plays the client is the client's work.
fn is_reference_client_step(step: &Step) -> bool {
    let clients: Vec<_> = step
        .when
        .iter()
        .filter_map(|w| match w {
            WhenCondition::Client(c) => Some(*c),
            _ => None,
        })
        .collect();
    !clients.is_empty() && clients.iter().all(|c| *c == ClientMode::Reference)
}

pub async fn run_request(
    ctx: &RunContext,
    step: &Step,
    req: &RequestStep,
    scope: &mut Scope,
    report: &mut StepReport,
) -> StepResult {
    let mut prepared = render(req, scope)?;
    if ctx.target_kind() == crate::scenario::TargetKind::Emulator {
        let actor = if scope.acting_as_client || is_reference_client_step(step) {
            "client"
        } else {
            "judge"
        };
        prepared.headers.push((ACTOR_HEADER.into(), actor.into()));
    }
    if ctx.options.dry_run {
        record_dry_run(ctx, req, &prepared, scope, report);
        return Ok(Ran::Skipped("dry run: rendered, not sent".into()));
    }
    let timeout = req.timeout.unwrap_or(ctx.options.default_timeout);
    let final_exchange = match &req.poll {
        None => {
            let retry = req.retry.as_ref();
            let interruptible = scope.interruptible;
            send::send_with_retry(
                ctx,
                interruptible,
                &prepared,
                retry,
                timeout,
                AttemptKind::Send,
                report,
            )
            .await
        }
        Some(poll) => poll::poll_until(ctx, req, poll, &prepared, timeout, scope, report).await?,
    };
    let Ok(resp) = &final_exchange.outcome else {
        return Err(send::transport_error(
            &final_exchange,
            report.attempts.len(),
        ));
    };
    capture::register_secret_captures(ctx, req, resp);
    judge::judge(step, req, resp, scope)?;
    capture(ctx, &req.capture, resp, scope, report)?;
    Ok(Ran::Done)
}

/// `--dry-run`: record the rendered request (with the headers it would get) and give captures
/// placeholder values so later steps still render.
fn record_dry_run(
    ctx: &RunContext,
    req: &RequestStep,
    prepared: &PreparedRequest,
    scope: &mut Scope,
    report: &mut StepReport,
) {
    report.attempts.push(Attempt {
        number: 1,
        kind: AttemptKind::DryRun,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: 0.0,
        request: crate::run::result::RequestRecord {
            method: prepared.method.clone(),
            url: prepared.url.clone(),
            headers: ctx.http.preview_headers(prepared),
            body: prepared.body.clone(),
        },
        response: None,
        error: None,
        note: Some("dry run: not sent".into()),
    });
    for c in &req.capture {
        scope.set(&c.name, Value::String(format!("<{}>", c.name)));
    }
}
