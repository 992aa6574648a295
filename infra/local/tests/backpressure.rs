//! The webhooks' admission gate over the memory backend: past the backlog bound a post gets
//! 503 with `Retry-After` (problem JSON) and is not taken; every post answered 200 is in the
//! queue; once the consumers catch up the refused posts, sent again, are taken.

use axum::body::Body;
use axum::http::Request;
use jiff::Timestamp;
use socialcare_domain::Stream;
use socialcare_domain::ports::{QueueReceiver, SystemClock};
use socialcare_domain::services::ingest::IngestService;
use socialcare_local::backlog::{Gate, RETRY_AFTER_SECS, admit, probe};
use socialcare_local::load::{Signed, generate, sign_all};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const SECRET: &str = "whsec_YmFja3ByZXNzdXJlLXRlc3Qta2V5";
const BOUND: usize = 50;

fn app(queue: &Arc<MemoryQueue>) -> axum::Router {
    let bus = Arc::new(MemoryBus::new().with(Stream::Received, queue.clone()));
    let clock = Arc::new(SystemClock);
    let ingest = fn_ingest::Ingest {
        service: IngestService::new(Arc::new(MemoryStore::new()), bus, clock.clone(), 14),
        sources: vec![fn_ingest::SourceSecret {
            name: "forum".into(),
            secret: SECRET.into(),
        }],
        platforms: fn_ingest::Platforms::generic_only(Arc::new(
            socialcare_domain::services::channels::ChannelHealthService::new(
                Arc::new(MemoryStore::new()),
                Arc::new(SystemClock),
                Default::default(),
            ),
        )),
        clock,
    };
    fn_ingest::router(Arc::new(ingest)).layer(axum::middleware::from_fn_with_state(
        Gate {
            probe: probe(vec![queue.clone()]),
            max_backlog: BOUND,
        },
        admit,
    ))
}

/// (status, Retry-After, content type, body) of one post.
async fn send(app: &axum::Router, post: &Signed) -> (u16, Option<String>, Option<String>, serde_json::Value) {
    let mut req = Request::post("/webhooks/generic");
    for (k, v) in &post.headers {
        req = req.header(k.as_str(), v.as_bytes());
    }
    let req = req
        .body(Body::from(post.body.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let resp = app.clone().oneshot(req).await.unwrap_or_else(|e| panic!("{e}"));
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (retry, kind) = (header("retry-after"), header("content-type"));
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap_or_default();
    (status, retry, kind, serde_json::from_slice(&body).unwrap_or_default())
}

#[tokio::test]
async fn past_the_bound_posts_get_503_with_retry_after_and_nothing_accepted_is_lost() {
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("received", false)));
    let app = app(&queue);
    let now = Timestamp::now();
    let posts = sign_all(generate(5, 80, 60, "forum", now), SECRET, now).unwrap_or_else(|e| panic!("{e}"));

    let mut refused = Vec::new();
    for (i, post) in posts.iter().enumerate() {
        let (status, retry, kind, body) = send(&app, post).await;
        if i < BOUND {
            assert_eq!(status, 200, "post {i} is under the bound: {body}");
        } else {
            assert_eq!(status, 503, "post {i} is over the bound");
            assert_eq!(retry, Some(RETRY_AFTER_SECS.to_string()));
            assert_eq!(kind.as_deref(), Some("application/problem+json"));
            assert_eq!(body["status"], 503);
            assert!(body["detail"].as_str().unwrap_or_default().contains("50 posts waiting"));
            refused.push(post);
        }
    }
    assert_eq!(queue.stats().ready, BOUND, "every accepted post is queued");

    // The consumers catch up; the refused posts, sent again, are taken.
    let mut drained = 0;
    while drained < BOUND {
        let got = queue
            .receive(10, Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!got.is_empty(), "the accepted posts are all there");
        drained += got.len();
        let receipts: Vec<String> = got.into_iter().map(|m| m.receipt).collect();
        queue.delete(&receipts).await.unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(drained, BOUND);
    for post in refused {
        assert_eq!(send(&app, post).await.0, 200);
    }
    assert_eq!(queue.stats().ready, 30, "no post lost, none doubled");
}
