//! A burst of breaches (an outage is when thousands breach together): 5,000 first-response
//! timers due in the same second fire in one tick, concurrently, with exactly one alert each,
//! also under two overlapping tickers. Fixed clock: nothing here waits for a deadline.

use jiff::Timestamp;
use socialcare_domain::ports::{Clock, TimerStore};
use socialcare_domain::services::sla::SlaService;
use socialcare_domain::*;
use socialcare_memory::{MemoryStore, RecordingAlertSink};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const T0: i64 = 1_800_000_000;
const CASES: usize = 5_000;

struct FixedClock(Mutex<Timestamp>);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

fn ts(secs_after_t0: i64) -> Timestamp {
    Timestamp::from_second(T0 + secs_after_t0).unwrap_or_else(|_| unreachable!())
}

/// First response in 100 s, no warning, no escalation: one breach timer per case.
fn policy() -> SlaPolicy {
    SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 100)).collect())
}

/// `CASES` new cases opened in the same second (their timers armed as route arms them).
async fn burst() -> (Arc<MemoryStore>, Arc<FixedClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock(Mutex::new(ts(0))));
    socialcare_testkit::sample::open_burst(store.as_ref(), store.as_ref(), &policy(), CASES, ts(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (store, clock)
}

fn ticker(store: &Arc<MemoryStore>, clock: &Arc<FixedClock>, sink: &Arc<RecordingAlertSink>) -> SlaService {
    SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        sink.clone(),
        clock.clone(),
        policy(),
    )
}

fn set(clock: &FixedClock, at: Timestamp) {
    if let Ok(mut t) = clock.0.lock() {
        *t = at;
    }
}

#[tokio::test]
async fn five_thousand_breaches_due_together_fire_in_one_tick_once_each() {
    let (store, clock) = burst().await;
    let sink = Arc::new(RecordingAlertSink::new());
    let sla = ticker(&store, &clock, &sink);
    set(&clock, ts(99));
    assert_eq!(sla.tick().await.unwrap_or_else(|e| panic!("{e}")).alerts, 0);
    set(&clock, ts(100));
    let report = sla.tick().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (report.due, report.alerts),
        (CASES, CASES),
        "all in one tick: {report:?}"
    );
    let alerts = sink.alerts();
    assert_eq!(alerts.len(), CASES);
    let ids: HashSet<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), CASES, "one alert per case");
    assert!(alerts.iter().all(|a| a.id.ends_with("#first_response#breach")));
    // Ticking again raises nothing: every timer is settled.
    set(&clock, ts(101));
    let again = sla.tick().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.due, again.alerts), (0, 0));
    assert_eq!(sink.alerts().len(), CASES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_tickers_on_a_burst_raise_exactly_one_alert_each() {
    let (store, clock) = burst().await;
    let sink = Arc::new(RecordingAlertSink::new());
    let a = Arc::new(ticker(&store, &clock, &sink));
    let b = Arc::new(ticker(&store, &clock, &sink).with_concurrency(7));
    set(&clock, ts(100));
    let (ra, rb) = tokio::join!(
        tokio::spawn({
            let a = a.clone();
            async move { a.tick().await }
        }),
        tokio::spawn({
            let b = b.clone();
            async move { b.tick().await }
        }),
    );
    let (ra, rb) = (
        ra.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")),
        rb.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")),
    );
    // Whatever one ticker left armed for the other is fired by the next tick.
    set(&clock, ts(101));
    a.tick().await.unwrap_or_else(|e| panic!("{e}"));
    let alerts = sink.alerts();
    let ids: HashSet<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        (alerts.len(), ids.len()),
        (CASES, CASES),
        "exactly one alert per case ({ra:?}, {rb:?})"
    );
    assert_eq!(ra.alerts + rb.alerts, CASES);
    let armed = store.due(ts(10_000), 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(armed.is_empty(), "every timer settled");
}
