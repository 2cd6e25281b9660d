//! `POST /integrator-authentication/connect/token`: OAuth 2.0 client credentials (notes §2.1).
//!
//! Credentials come as `Authorization: Basic` (or, as IdentityServer also allows, as
//! `client_id`/`client_secret` form fields). `merchant_vat` is copied into the token as given;
//! a malformed one is refused later, at use, with 400/1182 (the code that exists for it).
//! Errors follow RFC 6749 §5.2: 400 `invalid_request` / `unsupported_grant_type`,
//! 401 `invalid_client`.

use super::{Incoming, Outcome};
use crate::app::App;
use crate::auth::{constant_time_eq, parse_basic};
use crate::journal::{redact_form, redact_token_response};
use crate::reply::Reply;
use axum::http::{header, StatusCode};
use serde_json::json;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
    .with_header(header::CACHE_CONTROL, "no-store")
}

pub fn handle(app: &App, req: &Incoming<'_>) -> Outcome {
    let journal_body = Some(redact_form(req.body));
    let (reply, client_id) = issue(app, req);
    let journal_response = reply.body.as_ref().map(redact_token_response);
    Outcome {
        reply,
        client_id,
        journal_body,
        journal_response,
        notify: None,
        simulation: None,
    }
}

fn issue(app: &App, req: &Incoming<'_>) -> (Reply, Option<String>) {
    let ct = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return (
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Content-Type must be application/x-www-form-urlencoded",
            ),
            None,
        );
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let basic = req
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic);
    let (id, secret) = match (basic, field("client_id"), field("client_secret")) {
        (Some(b), _, _) => b,
        (None, Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
        _ => {
            return (
                oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed",
                ),
                None,
            )
        }
    };
    let known =
        app.seed.integrators.iter().any(|i| {
            constant_time_eq(&i.client_id, &id) & constant_time_eq(&i.client_secret, &secret)
        });
    if !known {
        return (
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            ),
            None,
        );
    }
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return (
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "Only client_credentials is supported",
                ),
                Some(id),
            )
        }
        None => {
            return (
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "grant_type is required",
                ),
                Some(id),
            )
        }
    }
    let vat = field("merchant_vat").filter(|v| !v.is_empty());
    let now = app.clock.now().timestamp();
    let token = app
        .tokens
        .issue(&id, vat, now, app.config.token_lifetime_secs);
    let body = json!({
        "access_token": token,
        "expires_in": app.config.token_lifetime_secs,
        "token_type": "Bearer",
        "scope": "integrator_scope",
    });
    (
        Reply::ok_json(&body).with_header(header::CACHE_CONTROL, "no-store"),
        Some(id),
    )
}
