//! Polling: send the same request until `until` holds, `abort_if` matches, attempts or time run
//! out, or Ctrl-C. The interval is the last one the API gave (`interval: { from: ... }`): after
//! a response without it, or no response at all, the previous value is kept (notes §2.4, §5.6),
//! and the fallback is used only until the first value arrives.

use super::capture::register_secret_captures;
use super::judge::{condition_holds, condition_value};
use super::send::{send_with_retry, transport_error};
use crate::check::jsonpath::select;
use crate::check::matcher::{compact, evaluate, CheckError};
use crate::http::client::{Exchange, PreparedRequest, Response};
use crate::run::error::StepError;
use crate::run::result::{AttemptKind, StepReport};
use crate::run::scope::Scope;
use crate::run::RunContext;
use crate::scenario::model::{Poll, PollInterval, RequestStep};
use std::time::{Duration, Instant};

/// Polls; returns the exchange on which `until` held.
pub async fn poll_until(
    ctx: &RunContext,
    req: &RequestStep,
    poll: &Poll,
    prepared: &PreparedRequest,
    timeout: Duration,
    scope: &Scope,
    report: &mut StepReport,
) -> Result<Exchange, StepError> {
    let deadline = Instant::now() + poll.timeout;
    let mut interval = match &poll.interval {
        PollInterval::Fixed(d) => *d,
        PollInterval::FromResponse { fallback, .. } => *fallback,
    };
    let mut polls = 0u32;
    loop {
        polls += 1;
        let retry = req.retry.as_ref();
        let ex = send_with_retry(
            ctx,
            scope.interruptible,
            prepared,
            retry,
            timeout,
            AttemptKind::Poll,
            report,
        )
        .await;
        let out_of_attempts = poll.max_attempts.is_some_and(|m| polls >= m);
        match &ex.outcome {
            Ok(resp) => {
                // Every poll's response is in the report, so its secrets are masked now, whether
                // or not the poll ever succeeds.
                register_secret_captures(ctx, req, resp);
                if let PollInterval::FromResponse { path, .. } = &poll.interval {
                    if let Some(d) = interval_from(resp, path, poll.timeout) {
                        interval = d;
                    }
                }
                if let Some((key, check)) = poll.abort_if.iter().find(|(k, c)| {
                    evaluate(k, c, condition_value(k, resp).as_ref(), scope.as_value()).is_ok()
                }) {
                    let seen = condition_value(key, resp)
                        .map(|v| compact(&v))
                        .unwrap_or_default();
                    attach_last_note(report, "abort_if matched");
                    return Err(StepError::Check {
                        pos: Some(check.pos),
                        message: format!("poll stopped: {key} reached {seen}, a state from which the expected outcome can no longer come (poll {polls})"),
                        expected: None,
                        actual: Some(seen),
                    });
                }
                match condition_holds(&poll.until, resp, scope) {
                    Ok(()) => return Ok(ex),
                    Err(e @ CheckError::Template(..)) => return Err(e.into()),
                    Err(CheckError::Failed(f)) => {
                        attach_last_note(report, &format!("not yet: {f}"));
                        if out_of_attempts || Instant::now() + interval > deadline {
                            let why = if out_of_attempts {
                                format!("after {polls} polls")
                            } else {
                                let limit =
                                    crate::scenario::duration::format_duration(poll.timeout);
                                format!("within {limit}")
                            };
                            let e = StepError::from(CheckError::Failed(f));
                            return Err(e.prefixed(&format!("poll gave up {why}: ")));
                        }
                    }
                }
            }
            Err(_) => {
                // A poll that got no answer keeps polling with the last interval (notes §2.4).
                if out_of_attempts || Instant::now() + interval > deadline {
                    return Err(transport_error(&ex, polls as usize));
                }
            }
        }
        if !ctx.cancel.sleep(interval, scope.interruptible).await {
            return Err(StepError::Interrupted);
        }
    }
}

/// The wait the response asks for, in ms at `path`; absurd values are capped at the poll's
/// whole timeout (a server saying 1e23 ms must not crash the engine or hang the run).
fn interval_from(resp: &Response, path: &str, cap: Duration) -> Option<Duration> {
    let ms = resp
        .json
        .as_ref()
        .and_then(|j| select(j, path).ok().flatten())
        .and_then(|v| v.as_f64())?;
    let d = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).unwrap_or(cap);
    Some(d.min(cap))
}

/// Says on the last attempt why it did not end the poll, unless it already says why.
fn attach_last_note(report: &mut StepReport, note: &str) {
    if let Some(a) = report.attempts.last_mut() {
        if a.note.is_none() {
            a.note = Some(note.to_string());
        }
    }
}
