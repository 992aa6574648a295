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
async fn reports() -> TestResult {
    contracts::report_store_contract(store()).await
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
