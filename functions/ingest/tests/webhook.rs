//! The ingest router fed with the project's generic fixtures from `events/generic`.

use axum::body::Body;
use http::Request;
use socialcare_domain::ports::{QueueReceiver, SystemClock};
use socialcare_domain::services::ingest::IngestService;
use socialcare_domain::{Envelope, Event, PostChange, Stream};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const SECRET: &str = "whsec_dGVzdC1rZXktZm9yLWluZ2VzdA==";

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/generic");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

fn app() -> (axum::Router, Arc<MemoryQueue>) {
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("received", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Received, queue.clone()));
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(SystemClock);
    let sources = ["forum", "appstore"]
        .iter()
        .map(|n| fn_ingest::SourceSecret {
            name: n.to_string(),
            secret: SECRET.into(),
        })
        .collect();
    let ingest = fn_ingest::Ingest {
        service: IngestService::new(store, bus, clock.clone(), 14),
        sources,
        platforms: fn_ingest::Platforms::generic_only(Arc::new(
            socialcare_domain::services::channels::ChannelHealthService::new(
                Arc::new(MemoryStore::new()),
                Arc::new(SystemClock),
                Default::default(),
            ),
        )),
        clock,
    };
    (fn_ingest::router(Arc::new(ingest)), queue)
}

fn signed(id: &str, body: Vec<u8>) -> Request<Body> {
    let ts = jiff::Timestamp::now().as_second();
    let sig = socialcare_channels::generic::sign(SECRET, id, ts, &body).unwrap_or_default();
    Request::post("/webhooks/generic")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn every_generic_fixture_is_accepted_and_enqueued_once() -> anyhow::Result<()> {
    let (app, queue) = app();
    let files = fixtures();
    assert!(files.len() >= 10, "fixtures missing: {files:?}");
    for (i, file) in files.iter().enumerate() {
        let body = std::fs::read(file)?;
        let response = app.clone().oneshot(signed(&format!("m{i}"), body.clone())).await?;
        assert_eq!(response.status(), 200, "{}", file.display());
        // A resend is acknowledged and not enqueued again.
        let again = app.clone().oneshot(signed(&format!("m{i}"), body)).await?;
        assert_eq!(again.status(), 200);
    }
    let messages = queue.receive(100, Duration::ZERO).await?;
    assert_eq!(messages.len(), files.len());
    let kinds: Vec<&'static str> = messages
        .iter()
        .map(|m| match serde_json::from_str::<Envelope>(&m.body).map(|e| e.event) {
            Ok(Event::PostReceived(PostChange::Created { .. })) => "created",
            Ok(Event::PostReceived(PostChange::Edited { .. })) => "edited",
            Ok(Event::PostReceived(PostChange::Deleted { .. })) => "deleted",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "created").count(), files.len() - 2);
    assert!(kinds.contains(&"edited") && kinds.contains(&"deleted"));
    Ok(())
}

#[tokio::test]
async fn unsigned_requests_enqueue_nothing() -> anyhow::Result<()> {
    let (app, queue) = app();
    let body = std::fs::read(&fixtures()[0])?;
    let unsigned = Request::post("/webhooks/generic").body(Body::from(body))?;
    let response = app.oneshot(unsigned).await?;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty());
    Ok(())
}

/// A Lambda function URL event (payload format 2.0, as the ingest function receives it on AWS)
/// carrying `body`, signed as the source signs it: the same router must accept it.
fn function_url_event(id: &str, body: &[u8], base64: bool) -> anyhow::Result<lambda_http::Request> {
    use base64::Engine;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/function-url/generic-post.json");
    let mut event: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let ts = jiff::Timestamp::now().as_second();
    let sig = socialcare_channels::generic::sign(SECRET, id, ts, body).map_err(|e| anyhow::anyhow!("{e}"))?;
    event["headers"]["webhook-id"] = id.into();
    event["headers"]["webhook-timestamp"] = ts.to_string().into();
    event["headers"]["webhook-signature"] = sig.into();
    if base64 {
        event["body"] = base64::engine::general_purpose::STANDARD.encode(body).into();
        event["isBase64Encoded"] = true.into();
    } else {
        event["body"] = String::from_utf8(body.to_vec())?.into();
    }
    Ok(lambda_http::request::from_str(&event.to_string())?)
}

/// What `lambda_http::run` does with a request before the router sees it.
async fn through_router(app: axum::Router, request: lambda_http::Request) -> anyhow::Result<u16> {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::from(body.to_vec()));
    Ok(app.oneshot(request).await?.status().as_u16())
}

#[tokio::test]
async fn a_function_url_event_is_verified_over_its_raw_body_and_enqueued() -> anyhow::Result<()> {
    let (app, queue) = app();
    let files = fixtures();
    let text = std::fs::read(&files[0])?;
    let binary = std::fs::read(&files[1])?;
    assert_eq!(
        through_router(app.clone(), function_url_event("u1", &text, false)?).await?,
        200
    );
    // Lambda base64-encodes bodies it does not take for text; the signature is over the bytes.
    assert_eq!(
        through_router(app.clone(), function_url_event("u2", &binary, true)?).await?,
        200
    );
    // Signed for one body, delivered with another: refused before anything is parsed.
    let mut tampered = function_url_event("u3", &text, false)?;
    *tampered.body_mut() = lambda_http::Body::from(String::from_utf8(binary.clone())?);
    assert_eq!(through_router(app.clone(), tampered).await?, 401);
    assert_eq!(queue.receive(10, Duration::ZERO).await?.len(), 2);
    Ok(())
}
