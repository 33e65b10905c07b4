//! Freshdesk's error bodies (freshdesk-api.md §3.1) and the response builders
//! every emulator response goes through, so that each carries the same
//! `Content-Type` and can be told apart from axum's own bodyless answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::freshdesk::types::{ErrorBody, FieldError};

pub(crate) const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Marks a response built by the emulator (as opposed to axum's default 405).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Built;

/// A JSON response with Freshdesk's content type.
pub(crate) fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    // Serializing plain data (Value and the wire structs) cannot fail.
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = (status, bytes).into_response();
    let ct = HeaderValue::from_static(JSON_UTF8);
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    resp.extensions_mut().insert(Built);
    resp
}

/// A response with no body at all (204, and Freshdesk's 404).
pub(crate) fn empty_response(status: StatusCode) -> Response {
    let mut resp = status.into_response();
    resp.headers_mut().remove(header::CONTENT_TYPE);
    resp.extensions_mut().insert(Built);
    resp
}

/// One validation error entry.
pub(crate) fn field_error(field: &str, message: impl Into<String>, code: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
        code: code.to_owned(),
        nested_field: None,
        additional_info: None,
    }
}

/// Everything a handler can answer instead of success.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    /// 404 with an empty body: unknown id or route.
    NotFound,
    /// `{"description":"Validation failed","errors":[...]}`: 400, or 409 when
    /// most errors are `duplicate_value`.
    Validation(Vec<FieldError>),
    /// `{"code":..,"message":..}`: 401, 403, 406, 415, `invalid_json`, ...
    Request {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// 405 `{"message":"PUT method is not allowed. ..."}` with `Allow`.
    MethodNotAllowed { method: String, allow: Vec<String> },
}

impl ApiError {
    pub(crate) fn field(field: &str, message: impl Into<String>, code: &str) -> ApiError {
        ApiError::Validation(vec![field_error(field, message, code)])
    }

    pub(crate) fn request(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError::Request {
            status,
            code,
            message: message.into(),
        }
    }

    /// 405 for a write on a deleted or spam record: only GET is left.
    pub(crate) fn only_get(method: &str) -> ApiError {
        ApiError::MethodNotAllowed {
            method: method.to_owned(),
            allow: vec!["GET".to_owned()],
        }
    }
}

/// 400, unless the most common code is `duplicate_value` (409) or
/// `access_denied` (403), as Freshdesk decides (freshdesk-api.md §3.1).
fn validation_status(errors: &[FieldError]) -> StatusCode {
    let count = |code: &str| errors.iter().filter(|e| e.code == code).count();
    let dup = count("duplicate_value");
    let denied = count("access_denied");
    let other = errors.len() - dup - denied;
    if dup > other && dup >= denied {
        StatusCode::CONFLICT
    } else if denied > other && denied > dup {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// The base-error 405 body and its `Allow` header.
pub(crate) fn method_not_allowed(method: &str, allow: &[String]) -> Response {
    let list = allow.join(", ");
    let message =
        format!("{method} method is not allowed. It should be one of these method(s): {list}");
    let body = ErrorBody {
        message: Some(message),
        ..ErrorBody::default()
    };
    let mut resp = json_response(StatusCode::METHOD_NOT_ALLOWED, &body);
    if let Ok(v) = HeaderValue::from_str(&list) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => empty_response(StatusCode::NOT_FOUND),
            ApiError::Validation(errors) => {
                let status = validation_status(&errors);
                let body = ErrorBody {
                    description: Some("Validation failed".to_owned()),
                    errors: Some(errors),
                    ..ErrorBody::default()
                };
                json_response(status, &body)
            }
            ApiError::Request {
                status,
                code,
                message,
            } => {
                let body = ErrorBody {
                    code: Some(code.to_owned()),
                    message: Some(message),
                    ..ErrorBody::default()
                };
                json_response(status, &body)
            }
            ApiError::MethodNotAllowed { method, allow } => method_not_allowed(&method, &allow),
        }
    }
}

/// Freshdesk's 429: the rate limit, or a burst of them as a fault.
pub(crate) fn too_many_requests(retry_after_secs: i64) -> Response {
    let body = json!({"message": "You have exceeded the limit of requests per hour"});
    let mut resp = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    resp
}
