//! What a handler answers: status, optional JSON body, extra headers.
//!
//! Bodies are serialized once, to bytes, because the same bytes go to the client, into the
//! journal and into the idempotency store (a replay is then byte-identical).

use crate::errors::{ApiError, ErrorBody, ErrorFlavour};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    /// A JSON body, or none.
    pub body: Option<Bytes>,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn ok() -> Reply {
        Reply::empty(StatusCode::OK)
    }

    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(bytes) => Reply {
                status,
                body: Some(Bytes::from(bytes)),
                headers: Vec::new(),
            },
            Err(_) => Reply::empty(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub fn ok_json<T: Serialize>(value: &T) -> Reply {
        Reply::json(StatusCode::OK, value)
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Reply {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// An error in the route's flavour (`ErrorResponse` or `ErrorResponseV2`).
    pub fn error(err: &ApiError, flavour: ErrorFlavour) -> Reply {
        match err {
            ApiError::Code(code, message) => {
                let (c, status, default) = code.parts();
                let body = ErrorBody::new(
                    c,
                    message.clone().unwrap_or_else(|| default.to_string()),
                    flavour,
                );
                Reply::json(status, &body)
            }
            ApiError::Unauthorized(reason) => unauthorized(reason),
            ApiError::NotFound => Reply::empty(StatusCode::NOT_FOUND),
            ApiError::UnsupportedMediaType => {
                let body = ErrorBody::new(
                    "1099",
                    "Unsupported Media Type: send the body as application/json",
                    flavour,
                );
                Reply::json(StatusCode::UNSUPPORTED_MEDIA_TYPE, &body)
            }
        }
    }
}

/// 401 in the shape of the IBM API Connect gateway that fronted the real API.
pub fn unauthorized(reason: &str) -> Reply {
    let body = serde_json::json!({"httpCode": "401", "httpMessage": "Unauthorized", "moreInformation": reason});
    Reply::json(StatusCode::UNAUTHORIZED, &body).with_header(header::WWW_AUTHENTICATE, "Bearer")
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        if self.body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json; charset=utf-8");
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        let body = match self.body {
            Some(b) => Body::from(b),
            None => Body::empty(),
        };
        builder
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}
