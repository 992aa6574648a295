//! The thread handler fed with `events/sqs/thread.json` (a FIFO batch: a post, then its edit).

use aws_lambda_events::event::sqs::SqsEvent;
use socialcare_domain::ports::{CaseQuery, CaseStore, PostStore, SystemClock};
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::{PostId, Stream};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::sync::Arc;

#[tokio::test]
async fn a_fifo_batch_opens_a_case_then_applies_the_edit() -> anyhow::Result<()> {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/sqs/thread.json"))?;
    let event: SqsEvent = serde_json::from_str(&raw)?;
    let store = Arc::new(MemoryStore::new());
    let cases_q = Arc::new(MemoryQueue::new(QueueConfig::new("cases", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Cases, cases_q.clone()));
    let service = ThreadService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        bus,
        Arc::new(SystemClock),
        "general".into(),
    );
    let (response, report) =
        socialcare_kit::sqs::run_batch("thread", event.clone(), true, store.as_ref(), &SystemClock, |e| {
            fn_thread::handle(&service, e)
        })
        .await?;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!(report.ok, 2);
    let cases = CaseStore::list(store.as_ref(), &CaseQuery::default()).await?;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].language.as_ref().map(|l| l.as_str()), Some("en"));
    let post = PostStore::get(store.as_ref(), &PostId::parse("generic:forum:f-100")?).await?;
    assert_eq!(
        post.map(|p| (p.text, p.edits.len())),
        Some(("edited text".to_string(), 1))
    );
    assert_eq!(cases_q.stats().ready, 1);
    // The same batch again (an SQS redelivery) changes nothing.
    socialcare_kit::sqs::run_batch("thread", event, true, store.as_ref(), &SystemClock, |e| {
        fn_thread::handle(&service, e)
    })
    .await?;
    let again = CaseStore::list(store.as_ref(), &CaseQuery::default()).await?;
    assert_eq!(again, cases);
    Ok(())
}
