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
        platforms: Default::default(),
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
