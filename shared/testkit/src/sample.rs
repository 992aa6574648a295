//! Sample records for the suites: valid, distinct per call (ids carry a unique tag).

use jiff::{SignedDuration, Timestamp};
use socialcare_domain::case::CaseStatus;
use socialcare_domain::customer::{Evidence, Identity};
use socialcare_domain::ids::stable_hash;
use socialcare_domain::ports::Parked;
use socialcare_domain::{
    Agent, AgentId, Alert, Author, AuthorId, Case, CaseId, Channel, Customer, CustomerId, Direction, Level, Post,
    PostId, Presence, Priority, Role, Target, Timer,
};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A short tag unique within the process and very likely across processes.
pub fn tag() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = Timestamp::now().as_nanosecond().to_string();
    stable_hash(&[&t, &n.to_string(), &std::process::id().to_string()])[..10].to_string()
}

/// 2026-01-01T00:00:00Z: the suites' "now".
pub fn base() -> Timestamp {
    Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `base() + secs`.
pub fn at(secs: i64) -> Timestamp {
    base()
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn id<T: TryFrom<String>>(s: String) -> anyhow::Result<T>
where
    T::Error: std::fmt::Display,
{
    T::try_from(s.clone()).map_err(|e| anyhow::anyhow!("bad id {s}: {e}"))
}

pub fn post_id(s: &str) -> anyhow::Result<PostId> {
    id(s.to_string())
}
pub fn case_id(s: &str) -> anyhow::Result<CaseId> {
    id(s.to_string())
}
pub fn customer_id(s: &str) -> anyhow::Result<CustomerId> {
    id(s.to_string())
}
pub fn agent_id(s: &str) -> anyhow::Result<AgentId> {
    id(s.to_string())
}
pub fn author_id(s: &str) -> anyhow::Result<AuthorId> {
    id(s.to_string())
}

pub fn author(author: &str) -> anyhow::Result<Author> {
    Ok(Author {
        id: author_id(author)?,
        handle: author.rsplit(':').next().unwrap_or(author).to_string(),
        name: Some("Zoë Ünïcode 🚀".into()),
        followers: Some(42),
        verified: Some(false),
        following: None,
        joined_at: None,
    })
}

/// An inbound generic post by `author_id`.
pub fn post(id: &str, author_id: &str, created_at: Timestamp) -> anyhow::Result<Post> {
    Ok(Post {
        id: post_id(id)?,
        channel: Channel::Generic,
        account: "forum".into(),
        platform_id: id.rsplit(':').next().unwrap_or(id).to_string(),
        conversation_id: None,
        parent_id: None,
        author: author(author_id)?,
        text: "Mon ordinateur est mort — ayuda, por favor! \"quoted\" 🙏".into(),
        created_at,
        received_at: created_at,
        private: false,
        direction: Direction::Inbound,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: None,
        attachments: vec![],
        recipient: None,
    })
}

pub fn customer(id: &str, authors: &[&str]) -> anyhow::Result<Customer> {
    Ok(Customer {
        id: customer_id(id)?,
        display_name: format!("customer {id}"),
        identities: authors
            .iter()
            .map(|a| {
                Ok(Identity {
                    author_id: author_id(a)?,
                    handle: (*a).to_string(),
                    evidence: Evidence::SamePlatformUser,
                    linked_at: base(),
                    actor: socialcare_domain::customer::SYSTEM_ACTOR.into(),
                })
            })
            .collect::<anyhow::Result<_>>()?,
        created_at: base(),
        version: 1,
        merged_into: None,
        identifiers: vec![],
        erasure: None,
    })
}

/// A new (waiting) case, version 1.
pub fn case(id: &str, customer: &str, created_at: Timestamp) -> anyhow::Result<Case> {
    Ok(Case {
        id: case_id(id)?,
        customer_id: customer_id(customer)?,
        status: CaseStatus::New,
        priority: Priority::P3,
        language: None,
        channel: Channel::Generic,
        account: "forum".into(),
        queue: "default".into(),
        posts: vec![post_id(&format!("generic:forum:{id}"))?],
        assignee: None,
        version: 1,
        created_at,
        updated_at: created_at,
        first_response_at: None,
        resolved_at: None,
        sla: vec![],
        history: vec![],
        routing: Default::default(),
        facts: Default::default(),
    })
}

pub fn agent(id: &str, capacity: u32) -> anyhow::Result<Agent> {
    Ok(Agent {
        id: agent_id(id)?,
        name: format!("agent {id}"),
        languages: vec![],
        skills: [("billing".to_string(), 1)].into_iter().collect(),
        capacity,
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
}

pub fn timer(case: &str, epoch: u32, due_at: Timestamp) -> anyhow::Result<Timer> {
    Ok(Timer {
        case_id: case_id(case)?,
        target: Target::FirstResponse,
        cycle: 0,
        level: Level::Breach,
        epoch,
        due_at,
    })
}

pub fn alert(case: &str, queue: &str, fired_at: Timestamp) -> anyhow::Result<Alert> {
    let case_id = case_id(case)?;
    Ok(Alert {
        id: Alert::key(&case_id, Target::FirstResponse, Level::Breach),
        case_id,
        customer_id: customer_id("cus-sample")?,
        target: Target::FirstResponse,
        level: Level::Breach,
        due_at: fired_at,
        fired_at,
        late_by_ms: 0,
        assignee: None,
        queue: queue.into(),
        priority: Priority::P2,
        delivered: false,
        acknowledged_by: None,
        acknowledged_at: None,
    })
}

pub fn parked(source: &str, message_id: &str, at: Timestamp) -> Parked {
    Parked {
        source: source.into(),
        message_id: message_id.into(),
        body: "{\"not\": \"an envelope\"}".into(),
        reason: "unknown type nope.v9".into(),
        at,
    }
}

/// A classification that makes a post actionable (or not), in priority P3, language unknown.
pub fn classification(actionable: bool) -> socialcare_domain::Classification {
    socialcare_domain::Classification {
        language: None,
        language_confidence: 0.0,
        sentiment: socialcare_domain::Sentiment::Negative,
        sentiment_score: -0.5,
        intent: socialcare_domain::Intent::Problem,
        actionable,
        spam: false,
        urgent: false,
        priority: Priority::P3,
        reasons: vec!["sample".into()],
        model_version: "testkit".into(),
        actionable_confidence: None,
        review: false,
    }
}

/// A trend alert (`trend.alert.v1`) on the printer topic, fired at `fired` (unix seconds).
pub fn trend_alert(id: &str, fired: i64) -> socialcare_trends::TrendAlert {
    use socialcare_trends::KeyKind;
    socialcare_trends::TrendAlert {
        id: id.to_string(),
        key: "topic:printer".into(),
        label: "printer".into(),
        kind: KeyKind::Topic,
        count: 12,
        expected: 2.5,
        score: 4.2,
        window_secs: 600,
        since: Timestamp::from_second(fired - 600).unwrap_or(Timestamp::UNIX_EPOCH),
        fired_at: Timestamp::from_second(fired).unwrap_or(Timestamp::UNIX_EPOCH),
        languages: [("en".to_string(), 12)].into_iter().collect(),
        channels: [("x".to_string(), 12)].into_iter().collect(),
        regions: Default::default(),
        sentiment: -0.5,
        sentiment_before: 0.1,
        sentiment_shift: -0.6,
        examples: vec!["p-1".into(), "p-2".into(), "p-3".into()],
        authors: vec!["u-1".into()],
        cases: vec!["case-1".into()],
        related: vec![],
        delivered: false,
    }
}

/// `n` new cases (`burst-0`, `burst-1`, …, one customer each) opened at `at`, with their SLA
/// clocks started by `policy` and their timers armed, as route arms them: a burst of deadlines
/// that all fall due together.
pub async fn open_burst(
    cases: &dyn socialcare_domain::ports::CaseStore,
    timers: &dyn socialcare_domain::ports::TimerStore,
    policy: &socialcare_domain::SlaPolicy,
    n: usize,
    at: Timestamp,
) -> anyhow::Result<()> {
    for i in 0..n {
        let mut c = case(&format!("burst-{i}"), &format!("burst-cus-{i}"), at)?;
        policy.reconcile(&mut c, at);
        cases.create(&c).await?;
        for t in policy.timers(&c) {
            timers.arm(&t).await?;
        }
    }
    Ok(())
}
