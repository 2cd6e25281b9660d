//! Sending a rendered request, retrying transport faults with the identical request, and
//! recording every attempt for the report.

use crate::http::client::{Exchange, PreparedRequest, TransportErrorKind};
use crate::run::error::StepError;
use crate::run::result::{Attempt, AttemptKind, StepReport};
use crate::run::RunContext;
use crate::scenario::model::{Retry, RetryOn};
use std::time::Duration;

/// What one attempt looked like in the report.
pub fn attempt_record(
    number: u32,
    kind: AttemptKind,
    ex: &Exchange,
    note: Option<String>,
) -> Attempt {
    Attempt {
        number,
        kind,
        started_at: ex
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: ex.duration.as_secs_f64() * 1000.0,
        request: ex.request.clone(),
        response: ex.response_record(),
        error: ex.outcome.as_ref().err().map(|e| e.message.clone()),
        note: note.or_else(|| {
            ex.token_refreshed
                .then(|| "401: fetched a new token and sent again".to_string())
        }),
    }
}

/// Is this exchange a transport fault that `retry` covers? The note says why it is retried.
fn retryable(ex: &Exchange, retry: &Retry) -> Option<String> {
    match &ex.outcome {
        Err(e) if e.kind == TransportErrorKind::Timeout && retry.on.contains(&RetryOn::Timeout) => {
            Some(format!(
                "timed out after {:.0} ms; retrying with the same request",
                ex.duration.as_secs_f64() * 1000.0
            ))
        }
        Err(e)
            if e.kind == TransportErrorKind::Connection
                && retry.on.contains(&RetryOn::Connection) =>
        {
            Some(format!(
                "connection error ({}); retrying with the same request",
                e.message
            ))
        }
        Ok(r) if r.status >= 500 && retry.on.contains(&RetryOn::ServerError) => Some(format!(
            "status {}; retrying with the same request",
            r.status
        )),
        _ => None,
    }
}

/// Sends with `retry`, recording every attempt. Returns the last exchange.
pub async fn send_with_retry(
    ctx: &RunContext,
    interruptible: bool,
    prepared: &PreparedRequest,
    retry: Option<&Retry>,
    timeout: Duration,
    kind: AttemptKind,
    report: &mut StepReport,
) -> Exchange {
    let attempts = retry.map(|r| r.attempts).unwrap_or(1);
    let mut n = 0;
    loop {
        n += 1;
        let ex = ctx.http.send(prepared, timeout).await;
        let again = retry
            .and_then(|r| retryable(&ex, r))
            .filter(|_| n < attempts && !(interruptible && ctx.cancel.is_cancelled()));
        let number = report.attempts.len() as u32 + 1;
        let this_kind = if n > 1 { AttemptKind::Retry } else { kind };
        report
            .attempts
            .push(attempt_record(number, this_kind, &ex, again.clone()));
        match again {
            Some(_) => {
                let delay = retry.map(|r| r.delay).unwrap_or_default();
                if !ctx.cancel.sleep(delay, interruptible).await {
                    return ex;
                }
            }
            None => return ex,
        }
    }
}

/// The error for an exchange that got no response after `attempts` attempts.
pub fn transport_error(ex: &Exchange, attempts: usize) -> StepError {
    let Err(e) = &ex.outcome else {
        unreachable!("transport_error is only called for exchanges without a response")
    };
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let says = |what: &str| {
        format!(
            "{} {} {what}{tries}: {}",
            ex.request.method, ex.request.url, e.message
        )
    };
    match e.kind {
        TransportErrorKind::Timeout => StepError::Timeout {
            pos: None,
            message: says("timed out"),
        },
        TransportErrorKind::Auth => StepError::configuration(None, says("could not authenticate")),
        _ => StepError::Transport {
            pos: None,
            message: says("failed"),
        },
    }
}
