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
        facts: Default::default(),
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

/// The schedule's minute also runs the offline-grace sweep: on AWS nothing else does.
#[tokio::test]
async fn a_minute_returns_the_cases_of_agents_offline_past_the_grace() -> anyhow::Result<()> {
    use socialcare_domain::ports::AgentStore;
    use socialcare_domain::routing::RoutingPolicy;
    use socialcare_domain::services::route::RouteService;

    let store = Arc::new(MemoryStore::new());
    let now = Timestamp::now();
    // Built from JSON so that later agent fields take their defaults here too.
    for (id, presence, load) in [("ana", "offline", 1), ("ben", "online", 0)] {
        let agent: Agent = serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "languages": ["en"], "capacity": 2,
            "presence": presence, "role": "agent", "load": load
        }))?;
        store.seed(&agent).await?;
    }
    let mut case: Case = serde_json::from_value(serde_json::json!({
        "id": "case-offline", "customer_id": "cus-1", "status": "open", "priority": "P2",
        "language": "en", "channel": "generic", "account": "forum", "queue": "general",
        "posts": [], "assignee": "ana", "version": 1, "created_at": now, "updated_at": now
    }))?;
    case.routing.owner_offline_since = Some(now - SignedDuration::from_mins(10));
    store.create(&case).await?;

    let sla = SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(RecordingAlertSink::new()),
        Arc::new(SystemClock),
        SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 3600)).collect()),
    );
    let route = RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 3600)).collect()),
    )
    .with_routing(RoutingPolicy::default(), store.clone());
    let report = fn_sla::run_minute(
        &sla,
        &route,
        None,
        Duration::from_millis(100),
        Duration::from_millis(50),
    )
    .await?;
    assert_eq!(report.returned_offline, 1);
    let case = CaseStore::get(store.as_ref(), &case.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case"))?;
    assert_eq!(case.assignee.as_ref().map(|a| a.as_str()), Some("ben"));
    let mut loads = vec![];
    for id in ["ana", "ben"] {
        loads.push(
            AgentStore::get(store.as_ref(), &AgentId::parse(id)?)
                .await?
                .map(|a| a.load),
        );
    }
    assert_eq!(loads, [Some(0), Some(1)], "loads move with the case");

    // A second minute finds nothing more to return.
    let again = fn_sla::run_minute(&sla, &route, None, Duration::from_millis(60), Duration::from_millis(50)).await?;
    assert_eq!(again.returned_offline, 0);
    Ok(())
}
