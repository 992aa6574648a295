//! The sla ticker's schedule event parses, and a window of ticks fires a due timer once.

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::ports::{AlertQuery, AlertStore, CaseStore, SystemClock, TimerStore};
use socialcare_domain::services::sla::SlaService;
use socialcare_domain::*;
use socialcare_memory::{MemoryStore, RecordingAlertSink};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn the_schedule_event_parses_and_a_window_fires_once() -> anyhow::Result<()> {
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/schedule/sla-tick.json"
    ))?;
    let event: CloudWatchEvent = serde_json::from_str(&raw)?;
    assert_eq!(event.detail_type.as_deref(), Some("Scheduled Event"));

    let store = Arc::new(MemoryStore::new());
    let now = Timestamp::now();
    let due = now - SignedDuration::from_millis(200);
    let case = Case {
        id: CaseId::parse("case-late")?,
        customer_id: CustomerId::parse("cus-1")?,
        status: CaseStatus::Open,
        priority: Priority::P1,
        language: None,
        channel: Channel::Generic,
        account: "forum".into(),
        queue: "general".into(),
        posts: vec![],
        assignee: None,
        version: 1,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        resolved_at: None,
        sla: vec![SlaClock::new(Target::FirstResponse, now, due)],
        history: vec![],
        routing: Default::default(),
    };
    store.create(&case).await?;
    store
        .arm(&Timer {
            case_id: case.id.clone(),
            target: Target::FirstResponse,
            cycle: 0,
            level: Level::Breach,
            epoch: 0,
            due_at: due,
        })
        .await?;
    let sink = Arc::new(RecordingAlertSink::new());
    let service = SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        sink.clone(),
        Arc::new(SystemClock),
        SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 60)).collect()),
    );
    let report = fn_sla::run_window(&service, Duration::from_millis(300), Duration::from_millis(50)).await?;
    assert_eq!(report.alerts, 1);
    assert_eq!(AlertStore::list(store.as_ref(), &AlertQuery::default()).await?.len(), 1);
    assert_eq!(sink.alerts().len(), 1);
    let case = CaseStore::get(store.as_ref(), &case.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case"))?;
    assert!(
        case.history
            .iter()
            .any(|e| matches!(e.kind, CaseEventKind::SlaAlert { .. }))
    );
    Ok(())
}
