//! Channel health through outbound and the ticker's check, on a fixed clock: a token failure
//! raises one `channel.alert.v1` within the minute's check (the bar: within 5 minutes), once per
//! incident; a delivery closes the incident, so a later failure alerts again; failures in a row
//! open a `deliveries` incident.

use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::health::{ChannelState, FailureKind, HealthConfig, IncidentKind};
use socialcare_domain::ports::{ChannelStore, OutboundReply, PostStore, ReplySender, SendError};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::outbound::{Delivered, OutboundService};
use socialcare_domain::*;
use socialcare_memory::{MemoryStore, RecordingAlertSink};
use socialcare_testkit::clock::FixedClock;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Answers each send with the next scripted result.
struct Scripted(Mutex<VecDeque<Result<Option<String>, SendError>>>);

#[async_trait]
impl ReplySender for Scripted {
    async fn send(&self, _: &OutboundReply) -> Result<Option<String>, SendError> {
        self.0
            .lock()
            .map_err(|_| SendError::Permanent("poisoned".into()))?
            .pop_front()
            .unwrap_or(Ok(Some("sent".into())))
    }
}

fn author() -> anyhow::Result<Author> {
    Ok(Author {
        id: AuthorId::parse("x:42")?,
        handle: "tara".into(),
        name: None,
        followers: None,
        verified: None,
        following: None,
        joined_at: None,
    })
}

fn post(id: &str, direction: Direction, at: Timestamp) -> anyhow::Result<Post> {
    Ok(Post {
        id: PostId::parse(id)?,
        channel: Channel::X,
        account: "111".into(),
        platform_id: format!("p-{id}"),
        conversation_id: None,
        parent_id: None,
        author: author()?,
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

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<FixedClock>,
    outbound: OutboundService,
    health: Arc<ChannelHealthService>,
    sink: Arc<RecordingAlertSink>,
    replies: usize,
}

impl World {
    async fn new(script: Vec<Result<Option<String>, SendError>>) -> anyhow::Result<Self> {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::at_second(1_767_225_600));
        let now = clock.now_ts();
        store.insert(&post("x:111:c1", Direction::Inbound, now)?).await?;
        let case = Case {
            id: CaseId::parse("case-h")?,
            customer_id: CustomerId::parse("cus-1")?,
            status: CaseStatus::Open,
            priority: Priority::P2,
            language: None,
            channel: Channel::X,
            account: "111".into(),
            queue: "general".into(),
            posts: vec![PostId::parse("x:111:c1")?],
            assignee: Some(AgentId::parse("ben")?),
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
        socialcare_domain::ports::CaseStore::create(store.as_ref(), &case).await?;
        let sink = Arc::new(RecordingAlertSink::new());
        let config = HealthConfig {
            failure_threshold: 3,
            ..HealthConfig::default()
        };
        let health = Arc::new(
            ChannelHealthService::new(store.clone(), clock.clone(), config)
                .with_sink(sink.clone())
                .with_accounts(vec![("x".into(), "111".into())]),
        );
        let sender = Arc::new(Scripted(Mutex::new(script.into())));
        let outbound =
            OutboundService::new(store.clone(), store.clone(), sender, clock.clone()).with_health(health.clone());
        Ok(Self {
            store,
            clock,
            outbound,
            health,
            sink,
            replies: 0,
        })
    }

    /// An agent's reply, delivered now.
    async fn reply(&mut self) -> anyhow::Result<Delivered> {
        self.replies += 1;
        let id = format!("reply:case-h:{}", self.replies);
        self.store
            .insert(&post(&id, Direction::Outbound, self.clock.now_ts())?)
            .await?;
        let request = ReplyRequested {
            case_id: CaseId::parse("case-h")?,
            post_id: PostId::parse(&id)?,
            agent_id: AgentId::parse("ben")?,
            in_reply_to: None,
        };
        Ok(self.outbound.deliver(&request).await?)
    }

    async fn state(&self) -> anyhow::Result<ChannelState> {
        let h = ChannelStore::channel(self.store.as_ref(), "x", "111").await?;
        Ok(h.map(|h| h.state()).unwrap_or(ChannelState::Active))
    }
}

trait Now {
    fn now_ts(&self) -> Timestamp;
}
impl Now for FixedClock {
    fn now_ts(&self) -> Timestamp {
        socialcare_domain::ports::Clock::now(self)
    }
}

fn token_failure() -> Result<Option<String>, SendError> {
    Err(SendError::Access {
        kind: FailureKind::Token,
        reason: "X 401: Unauthorized".into(),
    })
}

#[tokio::test]
async fn a_token_failure_alerts_within_the_minute_once_per_incident() -> anyhow::Result<()> {
    let mut w = World::new(vec![
        token_failure(),
        token_failure(),
        Ok(Some("ok-1".into())),
        token_failure(),
    ])
    .await?;
    let failed_at = w.clock.now_ts();
    assert!(matches!(w.reply().await?, Delivered::Parked(r) if r.contains("401")));
    assert_eq!(w.state().await?, ChannelState::TokenFailing);

    // The ticker checks once a minute.
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 1);
    let alerts = w.sink.channel_alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, IncidentKind::Token);
    assert_eq!(alerts[0].started_at, failed_at);
    assert!(
        alerts[0].fired_at.as_second() - failed_at.as_second() <= 300,
        "within 5 minutes"
    );

    // The same incident: more failures and more checks raise nothing more.
    w.clock.advance_secs(60);
    assert!(matches!(w.reply().await?, Delivered::Parked(_)));
    for _ in 0..5 {
        w.clock.advance_secs(60);
        assert_eq!(w.health.check().await?.alerts, 0);
    }
    assert_eq!(w.sink.channel_alerts().len(), 1, "exactly once per incident");

    // A delivery closes it; a later failure is a new incident with its own alert.
    w.clock.advance_secs(60);
    assert!(matches!(w.reply().await?, Delivered::Sent(_)));
    assert_eq!(w.state().await?, ChannelState::Active);
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 0);
    w.clock.advance_secs(600);
    assert!(matches!(w.reply().await?, Delivered::Parked(_)));
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 1);
    let alerts = w.sink.channel_alerts();
    assert_eq!(alerts.len(), 2);
    assert_ne!(alerts[0].id, alerts[1].id);
    // Stored once each, delivered.
    let stored = ChannelStore::channel_alerts(w.store.as_ref(), 10).await?;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|a| a.delivered));
    let h = ChannelStore::channel(w.store.as_ref(), "x", "111")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no record"))?;
    assert_eq!(h.failures.get(&FailureKind::Token).map(|f| f.count), Some(3));
    assert!(h.last_delivery_at.is_some());
    Ok(())
}

#[tokio::test]
async fn failures_in_a_row_open_a_deliveries_incident() -> anyhow::Result<()> {
    let permanent = || Err(SendError::Permanent("X 403: duplicate content".into()));
    let limited = || {
        Err(SendError::RateLimited {
            reason: "X 429".into(),
            after: None,
        })
    };
    let mut w = World::new(vec![permanent(), limited(), permanent()]).await?;
    w.reply().await?;
    // A rate-limited reply goes back to the queue (an error for the batch runner).
    assert!(w.reply().await.is_err());
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 0, "two in a row: below the threshold");
    w.reply().await?;
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 1);
    let alerts = w.sink.channel_alerts();
    assert_eq!(alerts[0].kind, IncidentKind::Deliveries);
    let h = ChannelStore::channel(w.store.as_ref(), "x", "111")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no record"))?;
    assert_eq!(h.failures.get(&FailureKind::RateLimited).map(|f| f.count), Some(1));
    assert_eq!(h.failures.get(&FailureKind::Other).map(|f| f.count), Some(2));
    assert_eq!(h.state(), ChannelState::Active, "not a token problem");
    Ok(())
}

#[tokio::test]
async fn an_account_silent_far_longer_than_usual_alerts_once() -> anyhow::Result<()> {
    let w = World::new(vec![]).await?;
    // A webhook every 5 minutes, learnt (20 gaps at least before silence may alert).
    for _ in 0..=20 {
        w.health.webhook_seen("x", "111").await?;
        w.clock.advance_secs(300);
    }
    // Limit: max(8 × 300 s, 120 min) = 7,200 s after the last webhook.
    w.clock.advance_secs(7_200 - 300);
    assert_eq!(w.health.check().await?.alerts, 0, "not yet");
    w.clock.advance_secs(2);
    let report = w.health.check().await?;
    assert_eq!((report.opened, report.alerts), (1, 1));
    assert_eq!(w.state().await?, ChannelState::Silent);
    w.clock.advance_secs(60);
    assert_eq!(w.health.check().await?.alerts, 0, "once per incident");
    w.health.webhook_seen("x", "111").await?;
    assert_eq!(w.state().await?, ChannelState::Active, "a webhook ends the silence");
    assert_eq!(w.sink.channel_alerts()[0].kind, IncidentKind::Silent);
    Ok(())
}

/// Fails its first publish (a webhook down), then records what it gets.
#[derive(Default)]
struct FlakySink {
    calls: Mutex<usize>,
    got: Mutex<Vec<socialcare_domain::health::ChannelAlert>>,
}

#[async_trait]
impl socialcare_domain::ports::ChannelAlertSink for FlakySink {
    async fn publish_channel(&self, alert: &socialcare_domain::health::ChannelAlert) -> PortResult<()> {
        let mut calls = self
            .calls
            .lock()
            .map_err(|_| PortError::Unavailable("poisoned".into()))?;
        *calls += 1;
        if *calls == 1 {
            return Err(PortError::Unavailable("alert webhook down".into()));
        }
        self.got
            .lock()
            .map_err(|_| PortError::Unavailable("poisoned".into()))?
            .push(alert.clone());
        Ok(())
    }
}

#[tokio::test]
async fn an_alert_that_failed_to_go_out_is_delivered_by_a_later_check_once() -> anyhow::Result<()> {
    let mut w = World::new(vec![token_failure()]).await?;
    let sink = Arc::new(FlakySink::default());
    let health =
        ChannelHealthService::new(w.store.clone(), w.clock.clone(), HealthConfig::default()).with_sink(sink.clone());
    w.reply().await?;
    w.clock.advance_secs(60);
    assert!(health.check().await.is_err(), "the sink failed: the check says so");
    w.clock.advance_secs(10);
    assert_eq!(health.check().await?.alerts, 0, "another ticker may be delivering it");
    w.clock.advance_secs(30);
    assert_eq!(health.check().await?.alerts, 1, "delivered again after the grace");
    for _ in 0..3 {
        w.clock.advance_secs(60);
        assert_eq!(health.check().await?.alerts, 0);
    }
    let got = sink.got.lock().map(|g| g.len()).unwrap_or_default();
    assert_eq!(got, 1);
    let h = ChannelStore::channel(w.store.as_ref(), "x", "111")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no record"))?;
    assert!(
        h.incidents.get(&IncidentKind::Token).is_some_and(|i| i.alerted),
        "marked: no write per minute"
    );
    Ok(())
}
