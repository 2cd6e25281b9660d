//! Captures: values taken from a response into the case's variables, secret ones registered
//! with the redactor before anything is judged or printed.

use super::judge::describe_body;
use crate::check::jsonpath::select;
use crate::http::client::Response;
use crate::run::error::StepError;
use crate::run::result::{CaptureReport, StepReport};
use crate::run::scope::Scope;
use crate::run::RunContext;
use crate::scenario::model::{Capture, CaptureSource, RequestStep};
use crate::template::Renderer;
use serde_json::Value;

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
pub fn register_secret_captures(ctx: &RunContext, req: &RequestStep, resp: &Response) {
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
    captures: &[Capture],
    resp: &Response,
    scope: &mut Scope,
    report: &mut StepReport,
) -> Result<(), StepError> {
    for c in captures {
        let value = match (extract(&c.source, resp), &c.default) {
            (Some(v), _) => Some(v),
            (None, Some(d)) => Some(
                Renderer::global()
                    .render_node(d, scope.as_value())
                    .map_err(|e| {
                        StepError::template(d.pos, format!("capture `{}` default: {e}", c.name))
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
            return Err(StepError::Check {
                pos: Some(c.pos),
                message: format!(
                    "capture `{}`: {what} found nothing in the response (status {}, body {})",
                    c.name,
                    resp.status,
                    describe_body(&resp.body)
                ),
                expected: None,
                actual: None,
            });
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
