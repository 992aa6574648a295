//! Platform deletions at the edge: Meta's data deletion request callback
//! (`POST /webhooks/meta/deletion`) and its public status page (`GET /deletion/{code}`).
//!
//! The callback verifies the `signed_request` (constant time, every app secret, before the
//! payload is parsed: see `socialcare_channels::meta_deletion`), records the request under a
//! random 128-bit confirmation code, enqueues the redaction of the person's posts (an
//! `AuthorGone` change, done by `thread`) and answers Meta `{url, confirmation_code}`. Anything
//! unsigned, forged or of another algorithm gets 401 and changes nothing.

use crate::{Ingest, header, read_body};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use socialcare_channels::meta_deletion;
use socialcare_domain::deletion::{self, DeletionRequest, DeletionStatus};
use socialcare_domain::services::ingest::{Inbound, Outcome};
use socialcare_domain::{AuthorId, PostChange, PostId};
use socialcare_kit::problem::Problem;
use std::sync::Arc;

/// The Meta channel families an app-scoped user id is looked up under (the parsers' author ids).
const META_FAMILIES: [&str; 3] = ["facebook", "messenger", "instagram"];

pub(crate) async fn meta_deletion(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Body) -> Response {
    handle(&ingest, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn handle(ingest: &Ingest, headers: &HeaderMap, body: Body) -> Result<Response, Problem> {
    let raw = read_body(body).await?;
    let callback = meta_deletion::verify_callback(&raw, &ingest.platforms.secrets.meta_app).map_err(|e| {
        tracing::warn!(reason = %e, "meta data deletion callback refused");
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        Problem::new(status, e.to_string())
    })?;
    let base = status_base(headers)?;
    let Some(deletions) = &ingest.platforms.deletions else {
        tracing::error!("a verified deletion request, but this instance keeps no deletion requests");
        return Err(Problem::unavailable());
    };
    let now = ingest.clock.now();
    let code = deletion::code_from(random_16().map_err(|e| {
        tracing::error!(error = %e, "no random source for a confirmation code");
        Problem::unavailable()
    })?);
    // The record exists before the answer; the redaction follows through the queue.
    if !deletions
        .record_deletion(&DeletionRequest::received(code.clone(), "meta", now))
        .await
        .map_err(Problem::from)?
    {
        return Err(Problem::unavailable());
    }
    let authors = META_FAMILIES
        .iter()
        .map(|family| AuthorId::parse(format!("{family}:{}", callback.user_id)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Problem::bad_request(format!("user_id: {e}")))?;
    let change = PostChange::AuthorGone {
        id: PostId::parse(format!("meta:deletion:{code}")).map_err(|_| Problem::internal())?,
        authors,
        reason: deletion::reason::META_DELETION.to_string(),
        request: Some(code.clone()),
        at: now,
    };
    let inbound = Inbound {
        key: format!("meta:deletion:{code}"),
        fingerprint: socialcare_channels::parsed::fingerprint(&change),
        changes: vec![change],
    };
    match ingest.service.accept(inbound).await.map_err(Problem::from)? {
        Outcome::Enqueued(_) | Outcome::Duplicate => {}
        Outcome::Conflict => return Err(Problem::unavailable()),
    }
    tracing::info!(code = %code, "meta data deletion request recorded; redaction queued");
    let body = json!({"url": format!("{base}/deletion/{code}"), "confirmation_code": code});
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

/// `GET /deletion/{code}`: public (the person follows the link Meta shows them), rate-limited
/// per instance, and free of personal data.
pub(crate) async fn status_page(State(ingest): State<Arc<Ingest>>, Path(code): Path<String>) -> Response {
    if !deletion::is_code(&code) {
        return Problem::not_found("no deletion request has this confirmation code").into_response();
    }
    if !ingest.platforms.status_pages.take(std::time::Instant::now()) {
        return Problem::new(StatusCode::TOO_MANY_REQUESTS, "too many status requests").into_response();
    }
    let Some(deletions) = &ingest.platforms.deletions else {
        return Problem::not_found("no deletion request has this confirmation code").into_response();
    };
    match deletions.deletion(&code).await {
        Ok(Some(r)) => (StatusCode::OK, axum::Json(view(&r))).into_response(),
        Ok(None) => Problem::not_found("no deletion request has this confirmation code").into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

fn view(r: &DeletionRequest) -> serde_json::Value {
    let explanation = match r.status {
        DeletionStatus::Received => {
            "Your request to delete your data was received. Your posts will be redacted shortly.".to_string()
        }
        DeletionStatus::Completed => format!(
            "Your request to delete your data is complete: the text of {} post(s) you wrote to us was deleted.",
            r.posts_redacted
        ),
    };
    json!({
        "confirmation_code": r.code,
        "platform": r.platform,
        "status": r.status,
        "received_at": r.received_at,
        "completed_at": r.completed_at,
        "posts_redacted": r.posts_redacted,
        "explanation": explanation,
    })
}

/// `<scheme>://<host>` this request came to (the function URL, or the domain in front of it):
/// the status link Meta shows the person.
fn status_base(headers: &HeaderMap) -> Result<String, Problem> {
    let host = header(headers, "host")
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 253
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        })
        .ok_or_else(|| Problem::bad_request("a Host header naming this service is required"))?;
    let local = host.starts_with("127.0.0.1") || host.starts_with("localhost") || host.starts_with("[::1]");
    let scheme = match header(headers, "x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if local => "http",
        None => "https",
    };
    Ok(format!("{scheme}://{host}"))
}

/// 16 bytes from the system's random source (a confirmation code must be unguessable).
fn random_16() -> std::io::Result<[u8; 16]> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}
