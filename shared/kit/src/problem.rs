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

/// Middleware (`axum::middleware::map_response(as_problem)`): an error answer that is not
/// problem JSON yet becomes one, with its text as the detail. Catches what handlers never see:
/// axum's rejections of a query string (`?limit=abc`), a path or a JSON body, 404 and 405. A
/// 5xx keeps no detail (it may name internals; the log has them).
pub async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let already = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if already || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let problem = if status.is_server_error() || text.is_empty() {
        Problem {
            detail: None,
            ..Problem::new(status, "")
        }
    } else {
        Problem::new(status, text)
    };
    let mut out = problem.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
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

    #[tokio::test]
    async fn plain_error_answers_become_problems_and_problems_stay() {
        let plain = (
            StatusCode::BAD_REQUEST,
            [(header::ALLOW, "GET")],
            "Failed to deserialize query string: limit: invalid digit found in string",
        )
            .into_response();
        let out = as_problem(plain).await;
        assert_eq!(out.status(), StatusCode::BAD_REQUEST);
        assert_eq!(out.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(out.headers()[header::ALLOW], "GET", "other headers are kept");
        let body = axum::body::to_bytes(out.into_body(), 4096).await.unwrap_or_default();
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(p["status"], 400);
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("invalid digit")), "{p}");
        let internal = as_problem((StatusCode::INTERNAL_SERVER_ERROR, "db at 10.0.0.1 down").into_response()).await;
        let body = axum::body::to_bytes(internal.into_body(), 4096)
            .await
            .unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&body).contains("10.0.0.1"),
            "a 5xx names no internals"
        );
        let ok = as_problem((StatusCode::OK, "fine").into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let problem = as_problem(Problem::not_found("case x").into_response()).await;
        let body = axum::body::to_bytes(problem.into_body(), 4096)
            .await
            .unwrap_or_default();
        assert!(String::from_utf8_lossy(&body).contains("case x"));
    }

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
