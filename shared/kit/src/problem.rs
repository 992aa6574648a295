//! HTTP errors as problem JSON (RFC 9457): `{"type","title","status","detail"}`.
//!
//! Internal errors never reach the body: the client gets a generic title and the log gets the cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use socialcare_domain::{PortError, ServiceError};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: Some(detail.into()),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {limit} bytes"),
        )
    }
    /// A failure on our side; the detail stays in the log.
    pub fn internal() -> Self {
        Self {
            kind: "about:blank".into(),
            title: "Internal Server Error".into(),
            status: 500,
            detail: None,
        }
    }
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "try again shortly")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => Problem::not_found(m),
            ServiceError::Forbidden(m) => Problem::forbidden(m),
            ServiceError::Conflict(m) => Problem::new(StatusCode::CONFLICT, m),
            ServiceError::Invalid(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            ServiceError::Port(p) => p.into(),
        }
    }
}

impl From<PortError> for Problem {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Unavailable(cause) => {
                tracing::warn!(%cause, "backend unavailable");
                Problem::unavailable()
            }
            PortError::Conflict(m) => Problem::new(StatusCode::CONFLICT, m),
            other => {
                tracing::error!(error = %other, "internal error");
                Problem::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_service_errors_without_leaking_internals() {
        let table: Vec<(ServiceError, u16, Option<&str>)> = vec![
            (ServiceError::NotFound("case x".into()), 404, Some("case x")),
            (ServiceError::Forbidden("no".into()), 403, Some("no")),
            (ServiceError::Invalid("empty".into()), 422, Some("empty")),
            (
                ServiceError::Port(PortError::Unavailable("dynamodb throttled".into())),
                503,
                Some("try again shortly"),
            ),
            (
                ServiceError::Port(PortError::Unknown(anyhow::anyhow!("secret table name"))),
                500,
                None,
            ),
        ];
        for (err, status, detail) in table {
            let p = Problem::from(err);
            assert_eq!((p.status, p.detail.as_deref()), (status, detail));
        }
    }
}
