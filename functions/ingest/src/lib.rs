//! The ingest function: `POST /webhooks/generic` (and the platforms' routes): read the raw body
//! (≤ 1 MiB), verify its signature over those bytes in constant time, parse, dedupe by the
//! platform event id, enqueue. Nothing else runs before the answer, so the platform's deadline
//! is met; a failure to enqueue answers 5xx so the platform resends (never 200 on loss).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use socialcare_channels::generic::{self, Headers, SignatureError};
use socialcare_domain::ports::Clock;
use socialcare_domain::services::ingest::{Inbound, IngestService, Outcome};
use socialcare_kit::problem::Problem;
use std::sync::Arc;

/// Bodies above this are refused with 413 before anything else.
pub const MAX_BODY: usize = 1024 * 1024;

/// A generic source with its signing secret's value.
#[derive(Clone)]
pub struct SourceSecret {
    pub name: String,
    pub secret: String,
}

pub struct Ingest {
    pub service: IngestService,
    pub sources: Vec<SourceSecret>,
    pub clock: Arc<dyn Clock>,
}

pub fn router(ingest: Arc<Ingest>) -> Router {
    Router::new()
        .route("/webhooks/generic", post(generic_webhook))
        .with_state(ingest)
}

/// Reads the whole body, refusing more than `MAX_BODY` bytes.
pub async fn read_body(body: Body) -> Result<bytes::Bytes, Problem> {
    to_bytes(body, MAX_BODY).await.map_err(|_| Problem::too_large(MAX_BODY))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn generic_webhook(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Body) -> Response {
    match handle_generic(&ingest, &headers, body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn handle_generic(ingest: &Ingest, headers: &HeaderMap, body: Body) -> Result<Response, Problem> {
    let raw = read_body(body).await?;
    let now = ingest.clock.now();
    let signed = Headers {
        id: header(headers, "webhook-id"),
        timestamp: header(headers, "webhook-timestamp"),
        signature: header(headers, "webhook-signature"),
    };
    // The signing secret identifies the source: try each configured source's secret. Two sources
    // may share a secret, so a verified body that names another source moves on to the next.
    let mut worst = SignatureError::Mismatch;
    let mut wrong_source = None;
    let mut found = None;
    for source in &ingest.sources {
        match generic::verify(&source.secret, signed, &raw, now) {
            Ok(id) => match generic::parse(&source.name, &raw, now) {
                Ok(change) => {
                    found = Some((source, id, change));
                    break;
                }
                Err(e @ generic::ParseError::WrongSource { .. }) => wrong_source = Some(e),
                Err(e) => return Err(Problem::bad_request(e.to_string())),
            },
            Err(SignatureError::Mismatch) | Err(SignatureError::BadSecret) => {}
            Err(other) => {
                worst = other;
                break;
            }
        }
    }
    let Some((source, webhook_id, change)) = found else {
        if let Some(e) = wrong_source {
            return Err(Problem::bad_request(e.to_string()));
        }
        tracing::warn!(reason = %worst, "generic webhook refused");
        return Err(Problem::unauthorized(format!("signature check failed: {worst}")));
    };
    let post_id = change.post_id().to_string();
    let inbound = Inbound {
        key: format!("generic:{}:{webhook_id}", source.name),
        fingerprint: generic::fingerprint(&raw),
        changes: vec![change],
    };
    let outcome = ingest.service.accept(inbound).await.map_err(Problem::from)?;
    match outcome {
        Outcome::Enqueued(n) => {
            tracing::info!(source = %source.name, %post_id, "post received");
            Ok((StatusCode::OK, axum::Json(json!({"status": "accepted", "changes": n}))).into_response())
        }
        Outcome::Duplicate => Ok((StatusCode::OK, axum::Json(json!({"status": "duplicate"}))).into_response()),
        Outcome::Conflict => Err(Problem::new(
            StatusCode::CONFLICT,
            "this webhook-id was received before with a different body; not applied",
        )),
    }
}
