//! Rendering a request step into the exact request to send: URL with its query, headers, body.
//! Rendered once per step, so a retry re-sends it byte for byte (same idempotency key).

use crate::http::client::PreparedRequest;
use crate::redact::encoding;
use crate::run::error::StepError;
use crate::run::scope::Scope;
use crate::scenario::model::{Body, RequestStep};
use crate::scenario::yaml::{Node, Value as YamlValue};
use crate::template::Renderer;

/// Renders every part of the request. Errors carry the position of the offending template.
pub fn render(req: &RequestStep, scope: &Scope) -> Result<PreparedRequest, StepError> {
    let r = Renderer::global();
    let s = scope.as_value();
    let mut url = r
        .render_str(&req.url.text, s)
        .map_err(|e| StepError::template(req.url.pos, e))?;
    if !req.query.is_empty() {
        let query = render_encoded(&req.query, scope)?;
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }
    let mut headers = Vec::new();
    let mut suppressed = Vec::new();
    for (k, node) in &req.headers {
        if node.value == YamlValue::Null {
            suppressed.push(k.clone());
            continue;
        }
        let v = r
            .render_node_text(node, s)
            .map_err(|e| StepError::template(node.pos, e))?;
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
                .map_err(|e| StepError::template(node.pos, e))?;
            if !has_content_type {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(v.to_string())
        }
        Some(Body::Text(t)) => Some(
            r.render_str(&t.text, s)
                .map_err(|e| StepError::template(t.pos, e))?,
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
fn render_encoded(fields: &[(String, Node)], scope: &Scope) -> Result<String, StepError> {
    let r = Renderer::global();
    let rendered = fields
        .iter()
        .map(|(k, node)| {
            r.render_node_text(node, scope.as_value())
                .map(|v| (k.as_str(), v))
                .map_err(|e| StepError::template(node.pos, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encoding::pairs(
        rendered.iter().map(|(k, v)| (*k, v.as_str())),
    ))
}
