//! Verify + parse + normalize per payload kind, on the project's own fixtures: what the webhook
//! ack spends before it enqueues. Goal: ≥ 50,000 single-post payloads per second per core.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use socialcare_channels::accounts::Accounts;
use socialcare_channels::{meta, x};
use std::hint::black_box;
use std::path::PathBuf;

fn accounts() -> Accounts {
    serde_json::from_value(serde_json::json!({
        "x": [{"name": "brand", "user_id": "1580000000000000001", "handle": "AcmeCare", "consumer_secret_env": "S"},
              {"name": "help", "user_id": "1580000000000000002", "handle": "AcmeHelp", "consumer_secret_env": "S"}],
        "facebook": [{"name": "acme", "page_id": "104000000000001", "app_secret_env": "A", "verify_token_env": "V"}],
        "instagram": [{"name": "ig", "account_id": "17841400000000777", "app_secret_env": "A", "verify_token_env": "V"}]
    }))
    .unwrap()
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../events")
            .join(path),
    )
    .unwrap()
}

const SECRET: &[u8] = b"bench-secret";

fn bench(c: &mut Criterion) {
    let acc = accounts();
    let now = jiff::Timestamp::from_second(1_795_500_000).unwrap();
    let mut group = c.benchmark_group("verify+parse");
    group.throughput(Throughput::Elements(1));
    for (kind, file) in [
        ("x/tweet_mention_v1", "x/aaa-tweet-mention.json"),
        ("x/dm_v1", "x/aaa-dm.json"),
        ("x/post_mention_v2", "x/xaa-post-mention.json"),
        ("x/dm_v2", "x/xaa-dm-received.json"),
    ] {
        let body = fixture(file);
        let sig = x::sign(SECRET, &body);
        group.bench_function(kind, |b| {
            b.iter(|| {
                x::verify_signature(SECRET, Some(&sig), black_box(&body)).unwrap();
                let p = x::parse(black_box(&body), &acc, now).unwrap();
                assert_eq!(p.events.len(), 1);
                p
            })
        });
    }
    for (kind, file, n) in [
        ("facebook/comment", "meta/fb-feed-comment-add.json", 1),
        ("facebook/batch_3_changes", "meta/fb-batch.json", 2),
        ("messenger/message", "meta/messenger-message.json", 1),
        ("messenger/batch_3_messages", "meta/messenger-batch.json", 3),
        ("instagram/comment", "meta/ig-comment.json", 1),
        ("instagram/message", "meta/ig-message.json", 1),
    ] {
        let body = fixture(file);
        let sig = meta::sign(SECRET, &body);
        group.bench_function(kind, |b| {
            b.iter(|| {
                meta::verify_signature(SECRET, Some(&sig), black_box(&body)).unwrap();
                let p = meta::parse(black_box(&body), &acc, now).unwrap();
                assert_eq!(p.events.len(), n);
                p
            })
        });
    }
    group.finish();
    // Only under `cargo bench` (not when `cargo test --all-targets` runs benches once as tests).
    if std::env::args().any(|a| a == "--bench") {
        cpu_time(&acc, now);
    }
}

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// The same work timed in this thread's CPU time (`/proc/thread-self/schedstat`): on a shared
/// machine wall time also counts other processes; CPU time is what one core spends per payload.
fn cpu_time(acc: &Accounts, now: jiff::Timestamp) {
    for file in [
        "x/aaa-tweet-mention.json",
        "x/xaa-post-mention.json",
        "meta/messenger-message.json",
        "meta/fb-feed-comment-add.json",
    ] {
        let body = fixture(file);
        let is_x = file.starts_with("x/");
        let sig = if is_x {
            x::sign(SECRET, &body)
        } else {
            meta::sign(SECRET, &body)
        };
        let n = 20_000u64;
        let (c0, t0) = (thread_cpu_ns(), std::time::Instant::now());
        for _ in 0..n {
            if is_x {
                x::verify_signature(SECRET, Some(&sig), black_box(&body)).unwrap();
                black_box(x::parse(black_box(&body), acc, now).unwrap());
            } else {
                meta::verify_signature(SECRET, Some(&sig), black_box(&body)).unwrap();
                black_box(meta::parse(black_box(&body), acc, now).unwrap());
            }
        }
        let cpu = (thread_cpu_ns() - c0) as f64 / n as f64;
        let wall = t0.elapsed().as_nanos() as f64 / n as f64;
        println!(
            "cpu time {file}: {:.2} µs/payload = {:.0} payloads/s per core (wall {:.2} µs)",
            cpu / 1000.0,
            1e9 / cpu.max(1.0),
            wall / 1000.0
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
