//! Every contract suite against the in-memory backend: the same checks the AWS adapters pass
//! on moto (`shared/aws/tests/contract_moto.rs`), so both backends keep one behaviour.

use socialcare_domain::Stream;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use socialcare_testkit::contracts::{self, CaseScale, QueueSetup, RoutingScale};
use std::sync::Arc;
use std::time::Duration;

type TestResult = anyhow::Result<()>;

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new())
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe() -> TestResult {
    contracts::dedupe_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn posts() -> TestResult {
    contracts::post_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn deletions() -> TestResult {
    contracts::deletion_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn customers() -> TestResult {
    contracts::customer_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn cases() -> TestResult {
    contracts::case_store_contract(store(), CaseScale::default()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn agents() -> TestResult {
    contracts::agent_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn timers() -> TestResult {
    contracts::timer_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts() -> TestResult {
    contracts::alert_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn channels() -> TestResult {
    contracts::channel_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn reports() -> TestResult {
    contracts::report_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_created() -> TestResult {
    let store = store();
    contracts::cases_created_contract(store.clone(), store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn triage() -> TestResult {
    contracts::triage_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn labels() -> TestResult {
    contracts::label_store_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn parking() -> TestResult {
    contracts::parking_lot_contract(store()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn queues() -> TestResult {
    let visibility = Duration::from_millis(500);
    let queue = |name: &str, fifo: bool| {
        let mut config = QueueConfig::new(name, fifo);
        config.visibility = visibility;
        Arc::new(MemoryQueue::new(config))
    };
    let cases = queue("cases", false);
    let classified = queue("classified", true);
    let bus = MemoryBus::new()
        .with(Stream::Cases, cases.clone())
        .with(Stream::Classified, classified.clone());
    contracts::queue_contract(QueueSetup {
        publisher: Arc::new(bus),
        cases,
        classified,
        visibility,
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters() -> TestResult {
    use socialcare_domain::ports::QueueReceiver;
    let mut config = QueueConfig::new("replies", false);
    config.visibility = Duration::from_millis(1);
    config.max_receives = 1;
    let queue = Arc::new(MemoryQueue::new(config));
    queue.send("poison".into(), None, None)?;
    assert_eq!(queue.receive(1, Duration::from_millis(200)).await?.len(), 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        queue.receive(1, Duration::from_millis(20)).await?.is_empty(),
        "dead-lettered"
    );
    contracts::dead_letter_contract(queue.clone(), queue, "poison").await
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_8_claimers_500_cases() -> TestResult {
    let report = contracts::routing_contract(store(), RoutingScale::default()).await?;
    eprintln!("memory routing 8 × 500: {:?}", report.elapsed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn trends() -> TestResult {
    contracts::trend_store_contract(std::sync::Arc::new(socialcare_trends::store::MemoryTrendStore::new())).await
}

fn erasure_world() -> contracts::ErasureWorld {
    use socialcare_domain::services::privacy::PrivacyPorts;
    let store = store();
    let trends = Arc::new(socialcare_trends::store::MemoryTrendStore::new());
    let (s, t) = (store.clone(), trends.clone());
    contracts::ErasureWorld {
        ports: PrivacyPorts {
            customers: store.clone(),
            index: store.clone(),
            posts: store.clone(),
            cases: store.clone(),
            alerts: store.clone(),
            triage: store.clone(),
            labels: store.clone(),
            parking: store.clone(),
            erasers: vec![],
            clock: Arc::new(socialcare_testkit::FixedClock::new(socialcare_testkit::sample::base())),
        },
        agents: store,
        trends,
        dump: Arc::new(move || {
            let (s, t) = (s.clone(), t.clone());
            Box::pin(async move { Ok(format!("{}\n{t:?}", s.debug_dump()?)) })
        }),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn erasure_leaves_no_trace() -> TestResult {
    contracts::erasure_leaves_no_trace(erasure_world()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn erasure_finishes_after_a_crash_at_every_step() -> TestResult {
    let steps: Vec<i64> = (0..24).collect();
    contracts::erasure_finishes_after_a_crash(|| Box::pin(async { Ok(erasure_world()) }), &steps).await
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_index() -> TestResult {
    contracts::identity_index_contract(store()).await
}
