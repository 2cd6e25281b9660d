//! Judging a response: `expect` (status, headers, JSONPath, body, schema) and the conditions
//! of `poll.until` / `poll.abort_if`.

use crate::check::jsonpath::select;
use crate::check::matcher::{evaluate, CheckError};
use crate::http::client::Response;
use crate::run::error::StepError;
use crate::run::scope::Scope;
use crate::scenario::model::{Check, RequestStep, Step};
use serde_json::Value;

/// Evaluates poll/expect conditions keyed by JSONPath or `status`.
pub fn condition_holds(
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

/// The value a condition key names: `status`, or a JSONPath into the body.
pub fn condition_value(key: &str, resp: &Response) -> Option<Value> {
    if key == "status" {
        return Some(Value::from(resp.status));
    }
    let doc = resp.json.as_ref()?;
    select(doc, key).ok().flatten()
}

/// The `expect` block against the final response.
pub fn judge(
    step: &Step,
    req: &RequestStep,
    resp: &Response,
    scope: &Scope,
) -> Result<(), StepError> {
    let e = &req.expect;
    let s = scope.as_value();
    if let Some(check) = &e.status {
        evaluate("status", check, Some(&Value::from(resp.status)), s)?;
    }
    for (name, check) in &e.headers {
        let actual = resp
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::String(v.clone()));
        evaluate(&format!("header {name}"), check, actual.as_ref(), s)?;
    }
    if let Some((_, first)) = e.json.first() {
        let Some(doc) = &resp.json else {
            let got = describe_body(&resp.body);
            return Err(StepError::Check {
                pos: Some(first.pos),
                message: format!("expected a JSON body, got {got}"),
                expected: Some("a JSON body".into()),
                actual: Some(got),
            });
        };
        for (path, check) in &e.json {
            let actual =
                select(doc, path).map_err(|m| StepError::configuration(Some(check.pos), m))?;
            evaluate(path, check, actual.as_ref(), s)?;
        }
    }
    if let Some(check) = &e.body {
        evaluate("body", check, Some(&Value::String(resp.body.clone())), s)?;
    }
    if let Some(schema) = &e.schema {
        let dir = step
            .location
            .file
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let doc = resp.json.clone().unwrap_or(Value::Null);
        crate::check::schema::validate(schema, dir, &doc).map_err(|m| StepError::Check {
            pos: None,
            message: m,
            expected: None,
            actual: None,
        })?;
    }
    Ok(())
}

/// A body as a person reads it in a message: empty, or its first 120 characters.
pub fn describe_body(body: &str) -> String {
    if body.is_empty() {
        "an empty body".into()
    } else {
        let cut: String = body.chars().take(120).collect();
        format!("`{cut}`")
    }
}
