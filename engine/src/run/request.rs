//! The `request` step: render once, send (retrying transport faults with the identical rendered
//! request, so the idempotency key is reused), poll until a condition holds, then judge and
//! capture.

use super::scope::Scope;
use super::step::{fail, failure_at};
use super::RunContext;
use crate::check::jsonpath::select;
use crate::check::matcher::{compact, evaluate, CheckError};
use crate::http::client::{Exchange, PreparedRequest, Response, TransportErrorKind};
use crate::redact::encoding;
use crate::run::result::{Attempt, CaptureReport, FailureCategory, StepReport};
use crate::scenario::model::{
    Body, Capture, CaptureSource, Check, Poll, PollInterval, RequestStep, Retry, RetryOn, Step,
};
use crate::scenario::yaml::Pos;
use crate::template::Renderer;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Renders every part of the request. Errors carry the position of the offending template.
pub fn render(req: &RequestStep, scope: &Scope) -> Result<PreparedRequest, (Pos, String)> {
    let r = Renderer::global();
    let s = scope.as_value();
    let mut url = r
        .render_str(&req.url.text, s)
        .map_err(|e| (req.url.pos, e.to_string()))?;
    if !req.query.is_empty() {
        let query = render_encoded(&req.query, scope)?;
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }
    let mut headers = Vec::new();
    let mut suppressed = Vec::new();
    for (k, node) in &req.headers {
        if node.value == crate::scenario::yaml::Value::Null {
            suppressed.push(k.clone());
            continue;
        }
        let v = r
            .render_node_text(node, s)
            .map_err(|e| (node.pos, e.to_string()))?;
        headers.push((k.clone(), v));
    }
    let has_content_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let body = match &req.body {
        None => None,
        Some(Body::Json(node)) => {
            let v = r
                .render_node(node, s)
                .map_err(|e| (node.pos, e.to_string()))?;
            if !has_content_type {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(v.to_string())
        }
        Some(Body::Text(t)) => Some(
            r.render_str(&t.text, s)
                .map_err(|e| (t.pos, e.to_string()))?,
        ),
        Some(Body::Form(fields)) => {
            let form = render_encoded(fields, scope)?;
            if !has_content_type {
                headers.push((
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
            }
            Some(form)
        }
    };
    Ok(PreparedRequest {
        method: req.method.clone(),
        url,
        headers,
        suppressed,
        body,
        target_headers: req.target_headers,
    })
}

/// Renders query or form fields and encodes them as `k1=v1&k2=v2` (the same encoding the
/// redactor masks secrets in).
fn render_encoded(
    fields: &[(String, crate::scenario::yaml::Node)],
    scope: &Scope,
) -> Result<String, (Pos, String)> {
    let r = Renderer::global();
    let rendered = fields
        .iter()
        .map(|(k, node)| {
            r.render_node_text(node, scope.as_value())
                .map(|v| (k.as_str(), v))
                .map_err(|e| (node.pos, e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encoding::pairs(
        rendered.iter().map(|(k, v)| (*k, v.as_str())),
    ))
}

/// Tells the emulator's journal who sent a request: `client` (the reference client's work) or
/// `judge` (the engine checking results). Journal judgements ignore the judge's requests.
pub const ACTOR_HEADER: &str = "X-Poscert-Actor";

/// A step that exists only when the engine plays the client is the client's work.
fn is_reference_client_step(step: &Step) -> bool {
    use crate::scenario::model::{ClientMode, WhenCondition};
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

fn attempt_record(number: u32, kind: &str, ex: &Exchange, note: Option<String>) -> Attempt {
    Attempt {
        number,
        kind: kind.to_string(),
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

/// Is this exchange a transport fault that `retry` covers?
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
async fn send_with_retry(
    ctx: &RunContext,
    interruptible: bool,
    prepared: &PreparedRequest,
    retry: Option<&Retry>,
    timeout: Duration,
    kind: &str,
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
        let this_kind = if n > 1 { "retry" } else { kind };
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

/// Evaluates poll/expect conditions keyed by JSONPath or `status`.
fn condition_holds(
    conditions: &[(String, Check)],
    resp: &Response,
    scope: &Scope,
) -> Result<(), CheckError> {
    for (key, check) in conditions {
        let actual = condition_value(key, resp);
        evaluate(key, check, actual.as_ref(), scope.as_value())?;
    }
    Ok(())
}

fn condition_value(key: &str, resp: &Response) -> Option<Value> {
    if key == "status" {
        return Some(Value::from(resp.status));
    }
    let doc = resp.json.as_ref()?;
    select(doc, key).ok().flatten()
}

fn check_error_to_failure(step: &Step, e: CheckError, what: &str) -> crate::run::result::Failure {
    match e {
        CheckError::Failed(f) => {
            let mut failure = failure_at(
                &step.location,
                Some(f.pos),
                FailureCategory::Assertion,
                format!("{what}{f}"),
            );
            failure.expected = Some(f.expected);
            failure.actual = Some(f.actual);
            failure
        }
        CheckError::Template(t, pos) => failure_at(
            &step.location,
            Some(pos),
            FailureCategory::Configuration,
            t.to_string(),
        ),
    }
}

fn transport_failure(step: &Step, ex: &Exchange, attempts: usize) -> crate::run::result::Failure {
    let Err(e) = &ex.outcome else {
        unreachable!("transport_failure is only called for exchanges without a response")
    };
    let (category, what) = match e.kind {
        TransportErrorKind::Timeout => (FailureCategory::Timeout, "timed out"),
        TransportErrorKind::Auth => (FailureCategory::Configuration, "could not authenticate"),
        _ => (FailureCategory::Transport, "failed"),
    };
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    failure_at(
        &step.location,
        None,
        category,
        format!(
            "{} {} {what}{tries}: {}",
            ex.request.method, ex.request.url, e.message
        ),
    )
}

pub async fn run_request(
    ctx: &RunContext,
    step: &Step,
    req: &RequestStep,
    scope: &mut Scope,
    report: &mut StepReport,
) {
    let prepared = match render(req, scope) {
        Ok(mut p) => {
            if ctx.target_kind() == crate::scenario::TargetKind::Emulator {
                let actor = if scope.acting_as_client || is_reference_client_step(step) {
                    "client"
                } else {
                    "judge"
                };
                p.headers.push((ACTOR_HEADER.into(), actor.into()));
            }
            p
        }
        Err((pos, message)) => {
            let f = failure_at(
                &step.location,
                Some(pos),
                FailureCategory::Configuration,
                message,
            );
            return fail(report, f);
        }
    };
    if ctx.options.dry_run {
        return record_dry_run(ctx, req, &prepared, scope, report);
    }
    let timeout = req.timeout.unwrap_or(ctx.options.default_timeout);
    let final_exchange = match &req.poll {
        None => {
            let retry = req.retry.as_ref();
            send_with_retry(
                ctx,
                scope.interruptible,
                &prepared,
                retry,
                timeout,
                "send",
                report,
            )
            .await
        }
        Some(poll) => {
            match poll_until(ctx, step, req, poll, &prepared, timeout, scope, report).await {
                PollEnd::Reached(ex) => ex,
                PollEnd::Failed(f) => return fail(report, f),
                PollEnd::Interrupted => {
                    report.skip_reason = Some(super::step::INTERRUPTED.into());
                    report.status = crate::run::result::Status::Skipped;
                    return;
                }
            }
        }
    };
    let resp = match &final_exchange.outcome {
        Ok(r) => r,
        Err(_) => {
            let n = report.attempts.len();
            return fail(report, transport_failure(step, &final_exchange, n));
        }
    };
    register_secret_captures(ctx, req, resp);
    if let Err(f) = judge(step, req, resp, scope) {
        return fail(report, f);
    }
    if let Err(f) = capture(ctx, step, &req.capture, resp, scope, report) {
        fail(report, f)
    }
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
        kind: "dry-run".into(),
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

/// How a poll ended.
enum PollEnd {
    /// `until` held on this exchange.
    Reached(Exchange),
    Failed(crate::run::result::Failure),
    Interrupted,
}

/// Polls until `until` holds, `abort_if` matches, attempts or time run out, or Ctrl-C. The
/// interval is the last one the API gave (`interval: { from: ... }`): after a response without
/// it, or no response at all, the previous value is kept (notes §2.4, §5.6), and the fallback
/// is used only until the first value arrives.
#[allow(clippy::too_many_arguments)]
async fn poll_until(
    ctx: &RunContext,
    step: &Step,
    req: &RequestStep,
    poll: &Poll,
    prepared: &PreparedRequest,
    timeout: Duration,
    scope: &Scope,
    report: &mut StepReport,
) -> PollEnd {
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
            "poll",
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
                    let mut f = failure_at(
                        &step.location,
                        Some(check.pos),
                        FailureCategory::Assertion,
                        format!("poll stopped: {key} reached {seen}, a state from which the expected outcome can no longer come (poll {polls})"),
                    );
                    f.actual = Some(seen);
                    attach_last_note(report, "abort_if matched");
                    return PollEnd::Failed(f);
                }
                match condition_holds(&poll.until, resp, scope) {
                    Ok(()) => return PollEnd::Reached(ex),
                    Err(e @ CheckError::Template(..)) => {
                        return PollEnd::Failed(check_error_to_failure(step, e, ""))
                    }
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
                            let e = CheckError::Failed(f);
                            let prefix = format!("poll gave up {why}: ");
                            return PollEnd::Failed(check_error_to_failure(step, e, &prefix));
                        }
                    }
                }
            }
            Err(_) => {
                // A poll that got no answer keeps polling with the last interval (notes §2.4).
                if out_of_attempts || Instant::now() + interval > deadline {
                    return PollEnd::Failed(transport_failure(step, &ex, polls as usize));
                }
            }
        }
        if !ctx.cancel.sleep(interval, scope.interruptible).await {
            return PollEnd::Interrupted;
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

fn attach_last_note(report: &mut StepReport, note: &str) {
    if let Some(a) = report.attempts.last_mut() {
        if a.note.is_none() {
            a.note = Some(note.to_string());
        }
    }
}

/// The `expect` block against the final response.
fn judge(
    step: &Step,
    req: &RequestStep,
    resp: &Response,
    scope: &Scope,
) -> Result<(), crate::run::result::Failure> {
    let e = &req.expect;
    let s = scope.as_value();
    if let Some(check) = &e.status {
        evaluate("status", check, Some(&Value::from(resp.status)), s)
            .map_err(|err| check_error_to_failure(step, err, ""))?;
    }
    for (name, check) in &e.headers {
        let actual = resp
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::String(v.clone()));
        evaluate(&format!("header {name}"), check, actual.as_ref(), s)
            .map_err(|err| check_error_to_failure(step, err, ""))?;
    }
    if !e.json.is_empty() {
        let Some(doc) = &resp.json else {
            let mut f = failure_at(
                &step.location,
                e.json.first().map(|(_, c)| c.pos),
                FailureCategory::Assertion,
                format!("expected a JSON body, got {}", describe_body(&resp.body)),
            );
            f.actual = Some(describe_body(&resp.body));
            return Err(f);
        };
        for (path, check) in &e.json {
            let actual = select(doc, path).map_err(|m| {
                failure_at(
                    &step.location,
                    Some(check.pos),
                    FailureCategory::Configuration,
                    m,
                )
            })?;
            evaluate(path, check, actual.as_ref(), s)
                .map_err(|err| check_error_to_failure(step, err, ""))?;
        }
    }
    if let Some(check) = &e.body {
        evaluate("body", check, Some(&Value::String(resp.body.clone())), s)
            .map_err(|err| check_error_to_failure(step, err, ""))?;
    }
    if let Some(schema) = &e.schema {
        let dir = step
            .location
            .file
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let doc = resp.json.clone().unwrap_or(Value::Null);
        crate::check::schema::validate(schema, dir, &doc)
            .map_err(|m| failure_at(&step.location, None, FailureCategory::Assertion, m))?;
    }
    Ok(())
}

fn describe_body(body: &str) -> String {
    if body.is_empty() {
        "an empty body".into()
    } else {
        let cut: String = body.chars().take(120).collect();
        format!("`{cut}`")
    }
}

/// What a capture source finds in a response (None: nothing).
fn extract(source: &CaptureSource, resp: &Response) -> Option<Value> {
    match source {
        CaptureSource::JsonPath(p) => resp.json.as_ref().and_then(|j| select(j, p).ok().flatten()),
        CaptureSource::Header(h) => resp
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(h))
            .map(|(_, v)| Value::String(v.clone())),
        CaptureSource::Regex(re) => regex::Regex::new(re).ok().and_then(|re| {
            re.captures(&resp.body).map(|caps| {
                let m = caps.get(1).or_else(|| caps.get(0));
                Value::String(m.map(|m| m.as_str().to_string()).unwrap_or_default())
            })
        }),
        CaptureSource::Status => Some(Value::from(resp.status)),
        CaptureSource::Body => Some(
            resp.json
                .clone()
                .unwrap_or_else(|| Value::String(resp.body.clone())),
        ),
    }
}

/// Secret captures are registered before anything is judged: a failed expectation or poll prints
/// the response, and the secret in it must already be masked.
fn register_secret_captures(ctx: &RunContext, req: &RequestStep, resp: &Response) {
    for c in req.capture.iter().filter(|c| c.secret) {
        if let Some(v) = extract(&c.source, resp) {
            register_secret(ctx, &v);
        }
    }
}

/// Makes every sink mask a captured secret (text as is; other JSON as written).
fn register_secret(ctx: &RunContext, value: &Value) {
    match value {
        Value::String(s) => ctx.http.redactor.add(s),
        other => ctx.http.redactor.add(&other.to_string()),
    };
}

/// Captures into the scope; secret captures are registered with the redactor first.
pub fn capture(
    ctx: &RunContext,
    step: &Step,
    captures: &[Capture],
    resp: &Response,
    scope: &mut Scope,
    report: &mut StepReport,
) -> Result<(), crate::run::result::Failure> {
    for c in captures {
        let value = extract(&c.source, resp);
        let value = match (value, &c.default) {
            (Some(v), _) => Some(v),
            (None, Some(d)) => Some(
                Renderer::global()
                    .render_node(d, scope.as_value())
                    .map_err(|e| {
                        failure_at(
                            &step.location,
                            Some(d.pos),
                            FailureCategory::Configuration,
                            format!("capture `{}` default: {e}", c.name),
                        )
                    })?,
            ),
            (None, None) => None,
        };
        let Some(value) = value else {
            let what = match &c.source {
                CaptureSource::JsonPath(p) => format!("JSONPath {p}"),
                CaptureSource::Header(h) => format!("header {h}"),
                CaptureSource::Regex(r) => format!("regex /{r}/"),
                _ => "the response".into(),
            };
            return Err(failure_at(
                &step.location,
                Some(c.pos),
                FailureCategory::Assertion,
                format!(
                    "capture `{}`: {what} found nothing in the response (status {}, body {})",
                    c.name,
                    resp.status,
                    describe_body(&resp.body)
                ),
            ));
        };
        if c.secret {
            register_secret(ctx, &value);
        }
        report.captures.push(CaptureReport {
            name: c.name.clone(),
            value: if c.secret {
                Value::String(crate::redact::MASK.into())
            } else {
                value.clone()
            },
            secret: c.secret,
        });
        scope.set(&c.name, value);
    }
    Ok(())
}
