//! The webhook ack path: read body, verify the Standard Webhooks signature, parse, dedupe,
//! enqueue, answer; through the real router, on the memory backend. Also verify+parse alone.

use axum::body::Body;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Request;
use socialcare_domain::Stream;
use socialcare_domain::ports::SystemClock;
use socialcare_domain::services::ingest::IngestService;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt;

const SECRET: &str = "whsec_YmVuY2gta2V5LWZvci1pbmdlc3QtYWNr";

fn body(n: u64) -> Vec<u8> {
    serde_json::json!({
        "type": "post.created", "timestamp": "2026-11-23T08:00:00Z",
        "data": {"source": "forum", "id": format!("p-{n}"), "created_at": "2026-11-23T08:00:00Z",
                 "text": "My Acme laptop died the night before my exam and support hasn't answered in two days. Can someone please help?",
                 "in_reply_to": null, "private": false,
                 "author": {"id": format!("u-{}", n % 1000), "handle": "someone", "name": null, "followers": 88, "verified": false}}
    })
    .to_string()
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("received", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Received, queue));
    let clock = Arc::new(SystemClock);
    let ingest = fn_ingest::Ingest {
        service: IngestService::new(Arc::new(MemoryStore::new()), bus, clock.clone(), 14),
        sources: vec![fn_ingest::SourceSecret {
            name: "forum".into(),
            secret: SECRET.into(),
        }],
        clock,
        platforms: fn_ingest::Platforms::generic_only(Arc::new(
            socialcare_domain::services::channels::ChannelHealthService::new(
                Arc::new(MemoryStore::new()),
                Arc::new(SystemClock),
                Default::default(),
            ),
        )),
    };
    let app = fn_ingest::router(Arc::new(ingest));
    let counter = AtomicU64::new(0);

    let mut group = c.benchmark_group("webhook");
    group.throughput(Throughput::Elements(1));
    group.bench_function("generic ack (verify+parse+dedupe+enqueue)", |b| {
        b.iter_batched(
            || {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let raw = body(n);
                let ts = jiff::Timestamp::now().as_second();
                let id = format!("msg-{n}");
                let sig = socialcare_channels::generic::sign(SECRET, &id, ts, &raw).unwrap_or_default();
                Request::post("/webhooks/generic")
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", sig)
                    .body(Body::from(raw))
                    .unwrap_or_else(|e| panic!("{e}"))
            },
            |req| {
                let status = rt
                    .block_on(app.clone().oneshot(req))
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                assert_eq!(status, 200);
            },
            criterion::BatchSize::SmallInput,
        )
    });
    let raw = body(1);
    let now = jiff::Timestamp::now();
    let ts = now.as_second().to_string();
    let sig = socialcare_channels::generic::sign(SECRET, "m", now.as_second(), &raw).unwrap_or_default();
    group.bench_function("generic verify+parse", |b| {
        b.iter(|| {
            let headers = socialcare_channels::generic::Headers {
                id: Some("m"),
                timestamp: Some(&ts),
                signature: Some(&sig),
            };
            let ok = socialcare_channels::generic::verify(SECRET, headers, black_box(&raw), now).is_ok();
            black_box(ok && socialcare_channels::generic::parse("forum", &raw, now).is_ok())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
