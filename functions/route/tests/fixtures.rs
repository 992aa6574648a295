//! The route handler fed with `events/sqs/route.json`.

use aws_lambda_events::event::sqs::SqsEvent;
use jiff::Timestamp;
use socialcare_domain::ports::{AgentStore, CaseStore, ParkingLot, SystemClock, TimerStore};
use socialcare_domain::services::route::RouteService;
use socialcare_domain::*;
use socialcare_memory::MemoryStore;
use std::sync::Arc;

#[tokio::test]
async fn assigns_the_case_and_arms_its_timer() -> anyhow::Result<()> {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/sqs/route.json"))?;
    let event: SqsEvent = serde_json::from_str(&raw)?;
    let store = Arc::new(MemoryStore::new());
    let now = Timestamp::now();
    store
        .seed(&Agent {
            id: AgentId::parse("ben")?,
            name: "Ben".into(),
            languages: vec![Language::parse("en")?],
            skills: Default::default(),
            capacity: 1,
            presence: Presence::Online,
            role: Role::Agent,
            load: 0,
            last_assigned_at: None,
            tokens_valid_after: None,
            secondary_languages: vec![],
            regions: vec![],
            channels: vec![],
            channel_capacity: Default::default(),
            channel_load: Default::default(),
            triage: false,
        })
        .await?;
    let case = Case {
        id: CaseId::parse("case-fixture")?,
        customer_id: CustomerId::parse("cus-1")?,
        status: CaseStatus::New,
        priority: Priority::P2,
        language: Some(Language::parse("en")?),
        channel: Channel::Generic,
        account: "forum".into(),
        queue: "general".into(),
        posts: vec![PostId::parse("generic:forum:f-100")?],
        assignee: None,
        version: 1,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        resolved_at: None,
        sla: vec![],
        history: vec![],
        routing: Default::default(),
        facts: Default::default(),
    };
    store.create(&case).await?;
    let policy = SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 60)).collect());
    let service = RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        policy,
    );
    let (response, _) = socialcare_kit::sqs::run_batch("route", event, false, store.as_ref(), &SystemClock, |e| {
        fn_route::handle(&service, e)
    })
    .await?;
    assert!(response.batch_item_failures.is_empty());
    let routed = CaseStore::get(store.as_ref(), &case.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case"))?;
    assert_eq!(routed.assignee.as_ref().map(AgentId::as_str), Some("ben"));
    assert_eq!(routed.sla.len(), 1);
    let due = store.due(now + jiff::SignedDuration::from_secs(61), 10).await?;
    assert_eq!(due.len(), 1, "the breach timer is armed at the deadline");
    assert_eq!(
        AgentStore::get(store.as_ref(), &AgentId::parse("ben")?)
            .await?
            .map(|a| a.load),
        Some(1)
    );
    assert!(ParkingLot::list(store.as_ref(), 10).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_case_that_does_not_exist_is_parked_with_its_reason() -> anyhow::Result<()> {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/sqs/route.json"))?;
    let event: SqsEvent = serde_json::from_str(&raw)?;
    let store = Arc::new(MemoryStore::new());
    let policy = SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 60)).collect());
    let service = RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        policy,
    );
    let (response, report) = socialcare_kit::sqs::run_batch("route", event, false, store.as_ref(), &SystemClock, |e| {
        fn_route::handle(&service, e)
    })
    .await?;
    assert!(response.batch_item_failures.is_empty(), "parked, not retried forever");
    assert_eq!(report.parked, 1);
    let parked = ParkingLot::list(store.as_ref(), 10).await?;
    assert!(parked[0].reason.contains("case case-fixture"), "{parked:?}");
    Ok(())
}
