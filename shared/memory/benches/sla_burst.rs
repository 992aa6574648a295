//! Alert lateness of a burst: 5,000 first-response breaches due at the same instant, on the
//! memory backend, real clock, the ticker run as `care serve` runs it (a tick, then a 500 ms
//! sleep). Each alert's delivery takes `SLA_BURST_SINK_MS` (default 2 ms: an alert webhook's
//! round trip), so firing one after another shows how lateness grows with the burst.
//! Prints p50 / p99 / max lateness (delivery time − due time) for one-at-a-time firing and for
//! the ticker's default concurrency. `cargo bench -p socialcare-memory --bench sla_burst`.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::ports::{AlertSink, SystemClock};
use socialcare_domain::services::sla::{FIRE_CONCURRENCY, SlaService};
use socialcare_domain::{Alert, PortResult, Priority, SlaPolicy};
use socialcare_memory::MemoryStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CASES: usize = 5_000;

/// Delivers after `delay`, noting when each alert arrived, and how late.
struct SlowSink {
    delay: Duration,
    late_ms: Mutex<Vec<i64>>,
}

#[async_trait]
impl AlertSink for SlowSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        tokio::time::sleep(self.delay).await;
        let late = Timestamp::now().duration_since(alert.due_at).as_millis() as i64;
        if let Ok(mut l) = self.late_ms.lock() {
            l.push(late);
        }
        Ok(())
    }
}

async fn run(concurrency: usize, delay: Duration) -> Vec<i64> {
    let policy = SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 2)).collect());
    let store = Arc::new(MemoryStore::new());
    // Opened together at a whole second, due 2 s later.
    let opened = Timestamp::from_second(Timestamp::now().as_second() + 1).unwrap_or(Timestamp::UNIX_EPOCH);
    socialcare_testkit::sample::open_burst(store.as_ref(), store.as_ref(), &policy, CASES, opened)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sink = Arc::new(SlowSink {
        delay,
        late_ms: Mutex::new(Vec::new()),
    });
    let sla = SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        sink.clone(),
        Arc::new(SystemClock),
        policy,
    )
    .with_concurrency(concurrency);
    let give_up = Timestamp::now() + SignedDuration::from_secs(60);
    while sink.late_ms.lock().map(|l| l.len()).unwrap_or(0) < CASES && Timestamp::now() < give_up {
        sla.tick().await.unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut late = sink.late_ms.lock().map(|l| l.clone()).unwrap_or_default();
    late.sort_unstable();
    late
}

fn pct(sorted: &[i64], q: f64) -> i64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(-1)
}

fn main() {
    let delay_ms: u64 = std::env::var("SLA_BURST_SINK_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for concurrency in [1, FIRE_CONCURRENCY] {
        let late = rt.block_on(run(concurrency, Duration::from_millis(delay_ms)));
        println!(
            "sla burst: {CASES} breaches due together, delivery {delay_ms} ms each, {concurrency} at a time: {} alerts, lateness p50 {} ms, p99 {} ms, max {} ms",
            late.len(),
            pct(&late, 0.50),
            pct(&late, 0.99),
            late.last().copied().unwrap_or(-1)
        );
    }
}
