//! The outbound handler fed with `events/sqs/outbound.json`, against a fake reply endpoint.

use aws_lambda_events::event::sqs::SqsEvent;
use jiff::Timestamp;
use socialcare_channels::send::{HttpSender, ReplyEndpoint};
use socialcare_domain::ports::{CaseStore, PostStore, SystemClock};
use socialcare_domain::services::outbound::OutboundService;
use socialcare_domain::*;
use socialcare_memory::MemoryStore;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn post(id: &str, direction: Direction, at: Timestamp) -> anyhow::Result<Post> {
    Ok(Post {
        id: PostId::parse(id)?,
        channel: Channel::Generic,
        account: "forum".into(),
        platform_id: "f-100".into(),
        conversation_id: None,
        parent_id: None,
        author: Author {
            id: AuthorId::parse("generic:forum:u-1001")?,
            handle: "tara".into(),
            name: None,
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        },
        text: "text".into(),
        created_at: at,
        received_at: at,
        private: false,
        direction,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: (direction == Direction::Outbound).then_some(Delivery::Pending),
        attachments: vec![],
        recipient: None,
    })
}

async fn setup(server: &MockServer) -> anyhow::Result<(Arc<MemoryStore>, OutboundService, SqsEvent)> {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/sqs/outbound.json"))?;
    let event: SqsEvent = serde_json::from_str(&raw)?;
    let store = Arc::new(MemoryStore::new());
    let now = Timestamp::now();
    store
        .insert(&post("generic:forum:f-100", Direction::Inbound, now)?)
        .await?;
    store
        .insert(&post("reply:case-fixture:1", Direction::Outbound, now)?)
        .await?;
    let case = Case {
        id: CaseId::parse("case-fixture")?,
        customer_id: CustomerId::parse("cus-1")?,
        status: CaseStatus::Open,
        priority: Priority::P2,
        language: None,
        channel: Channel::Generic,
        account: "forum".into(),
        queue: "general".into(),
        posts: vec![
            PostId::parse("generic:forum:f-100")?,
            PostId::parse("reply:case-fixture:1")?,
        ],
        assignee: Some(AgentId::parse("ben")?),
        version: 1,
        created_at: now,
        updated_at: now,
        first_response_at: Some(now),
        resolved_at: None,
        sla: vec![],
        history: vec![],
        routing: Default::default(),
        facts: Default::default(),
    };
    store.create(&case).await?;
    let endpoints: HashMap<String, ReplyEndpoint> = [(
        "forum".to_string(),
        ReplyEndpoint {
            url: server.uri(),
            secret: "whsec_dGVzdA==".into(),
        },
    )]
    .into();
    let sender = Arc::new(HttpSender::new(reqwest::Client::new(), endpoints).with_backoff(Duration::from_millis(1)));
    let service = OutboundService::new(store.clone(), store.clone(), sender, Arc::new(SystemClock));
    Ok((store, service, event))
}

#[tokio::test]
async fn delivers_once_even_when_redelivered() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let (store, service, event) = setup(&server).await?;
    for _ in 0..2 {
        let (response, _) =
            socialcare_kit::sqs::run_batch("outbound", event.clone(), false, store.as_ref(), &SystemClock, |e| {
                fn_outbound::handle(&service, e)
            })
            .await?;
        assert!(response.batch_item_failures.is_empty());
    }
    let reply = PostStore::get(store.as_ref(), &PostId::parse("reply:case-fixture:1")?).await?;
    assert!(matches!(reply.and_then(|p| p.delivery), Some(Delivery::Sent { .. })));
    Ok(())
}

#[tokio::test]
async fn a_refusal_is_parked_on_the_case_and_a_5xx_is_retried() -> anyhow::Result<()> {
    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_string("thread locked"))
        .mount(&refusing)
        .await;
    let (store, service, event) = setup(&refusing).await?;
    let (response, _) = socialcare_kit::sqs::run_batch("outbound", event, false, store.as_ref(), &SystemClock, |e| {
        fn_outbound::handle(&service, e)
    })
    .await?;
    assert!(
        response.batch_item_failures.is_empty(),
        "a refusal is final, not retried"
    );
    let reply = PostStore::get(store.as_ref(), &PostId::parse("reply:case-fixture:1")?).await?;
    assert!(
        matches!(reply.and_then(|p| p.delivery), Some(Delivery::Failed { reason, .. }) if reason.contains("thread locked"))
    );
    let case = CaseStore::get(store.as_ref(), &CaseId::parse("case-fixture")?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case"))?;
    assert!(
        case.history
            .iter()
            .any(|e| matches!(&e.kind, CaseEventKind::DeliveryFailed { reason, .. } if reason.contains("403")))
    );

    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&failing)
        .await;
    let (store, service, event) = setup(&failing).await?;
    let (response, _) = socialcare_kit::sqs::run_batch("outbound", event, false, store.as_ref(), &SystemClock, |e| {
        fn_outbound::handle(&service, e)
    })
    .await?;
    assert_eq!(response.batch_item_failures.len(), 1, "a 5xx goes back to the queue");
    Ok(())
}

/// A reply retried after its customer was erased (`POST /v1/customers/{id}/erase`): nothing is
/// sent, the reply fails with the reason.
#[tokio::test]
async fn nothing_goes_out_to_an_erased_customer() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (store, service, event) = setup(&server).await?;
    let mut customer_post = post("generic:forum:f-100", Direction::Inbound, Timestamp::now())?;
    socialcare_domain::services::privacy::erase::scrub_post(&mut customer_post, &CustomerId::parse("cus-1")?);
    store.put(&customer_post).await?;
    let (response, _) = socialcare_kit::sqs::run_batch("outbound", event, false, store.as_ref(), &SystemClock, |e| {
        fn_outbound::handle(&service, e)
    })
    .await?;
    assert!(response.batch_item_failures.is_empty());
    let reply = PostStore::get(store.as_ref(), &PostId::parse("reply:case-fixture:1")?).await?;
    assert!(
        matches!(reply.and_then(|p| p.delivery), Some(Delivery::Failed { reason, .. }) if reason.contains("erased")),
        "the reply fails, saying why"
    );
    Ok(())
}
