//! The domain services over the memory backend, with a fixed clock: threading, routing, SLA,
//! the desk, and the concurrency invariants (one case per customer, one assignee per case,
//! exact loads, one alert per breach).

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::ports::{
    AgentStore, AlertQuery, AlertStore, CaseQuery, CaseStore, Clock, CustomerStore, PostStore, QueueReceiver,
};
use socialcare_domain::services::desk::{Desk, Principal};
use socialcare_domain::services::identity::{IdentityService, Link};
use socialcare_domain::services::route::{RouteService, Routed};
use socialcare_domain::services::sla::SlaService;
use socialcare_domain::services::suggest;
use socialcare_domain::services::thread::{ThreadService, Threaded};
use socialcare_domain::*;
use socialcare_domain::{AuthorId, PortResult};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig, RecordingAlertSink};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    fn at(s: i64) -> Arc<Self> {
        Arc::new(Self(Mutex::new(
            Timestamp::from_second(s).unwrap_or_else(|_| unreachable!()),
        )))
    }
    fn advance(&self, secs: i64) {
        if let Ok(mut t) = self.0.lock() {
            *t = t.checked_add(SignedDuration::from_secs(secs)).unwrap_or(*t);
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

fn id<T: TryFrom<String>>(s: &str) -> T {
    T::try_from(s.to_string()).unwrap_or_else(|_| panic!("bad id {s}"))
}

fn lang(l: &str) -> Language {
    Language::parse(l).unwrap_or_else(|e| panic!("{e}"))
}

fn post(pid: &str, author: &str, language: &str, actionable: bool, at: Timestamp) -> Post {
    Post {
        id: id(&format!("generic:forum:{pid}")),
        channel: Channel::Generic,
        account: "forum".into(),
        platform_id: pid.into(),
        conversation_id: None,
        parent_id: None,
        author: Author {
            id: id(&format!("generic:forum:{author}")),
            handle: author.into(),
            name: None,
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        },
        text: "help".into(),
        created_at: at,
        received_at: at,
        private: false,
        direction: Direction::Inbound,
        edits: vec![],
        deleted: false,
        classification: Some(Classification {
            language: Some(lang(language)),
            language_confidence: 0.9,
            sentiment: Sentiment::Negative,
            sentiment_score: -0.5,
            intent: Intent::Problem,
            actionable,
            spam: false,
            urgent: false,
            priority: Priority::P3,
            reasons: vec![],
            model_version: "test".into(),
            actionable_confidence: None,
            review: false,
        }),
        delivery: None,
        attachments: vec![],
        recipient: None,
    }
}

fn agent(aid: &str, langs: &[&str], capacity: u32) -> Agent {
    Agent {
        id: id(aid),
        name: aid.into(),
        languages: langs.iter().map(|l| lang(l)).collect(),
        skills: Default::default(),
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
    }
}

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<FixedClock>,
    cases_queue: Arc<MemoryQueue>,
    thread: Arc<ThreadService>,
    route: Arc<RouteService>,
    sla: Arc<SlaService>,
    sink: Arc<RecordingAlertSink>,
    desk: Desk,
}

impl World {
    /// Threads a new post.
    async fn created(&self, post: Post) -> Result<Threaded, ServiceError> {
        self.thread.apply(PostChange::Created { post: Box::new(post) }).await
    }
}

fn world(agents: Vec<Agent>, target_secs: u64) -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = FixedClock::at(1_800_000_000);
    let cases_queue = Arc::new(MemoryQueue::new(QueueConfig::new("cases", false)));
    let replies = Arc::new(MemoryQueue::new(QueueConfig::new("replies", false)));
    let bus = Arc::new(
        MemoryBus::new()
            .with(Stream::Cases, cases_queue.clone())
            .with(Stream::Replies, replies),
    );
    let policy = SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, target_secs)).collect());
    let thread = Arc::new(
        ThreadService::new(
            store.clone(),
            store.clone(),
            store.clone(),
            bus.clone(),
            clock.clone(),
            "general".into(),
        )
        .with_deletions(store.clone()),
    );
    let route = Arc::new(RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        policy.clone(),
    ));
    let sink = Arc::new(RecordingAlertSink::new());
    let sla = Arc::new(SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        sink.clone(),
        clock.clone(),
        policy,
    ));
    let desk = Desk::new(
        store.clone(),
        store.clone(),
        store.clone(),
        store.clone(),
        store.clone(),
        bus,
        route.clone(),
        clock.clone(),
    );
    let w = World {
        store,
        clock,
        cases_queue,
        thread,
        route,
        sla,
        sink,
        desk,
    };
    futures_seed(&w, agents);
    w
}

fn futures_seed(w: &World, agents: Vec<Agent>) {
    let store = w.store.clone();
    let rt = tokio::runtime::Handle::try_current();
    assert!(rt.is_ok(), "tests run in tokio");
    for a in agents {
        let store = store.clone();
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(async move { store.seed(&a).await }))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

async fn route_pending(w: &World) -> Vec<Routed> {
    let mut out = vec![];
    for m in w.cases_queue.receive(100, Duration::ZERO).await.unwrap_or_default() {
        let env: Envelope = serde_json::from_str(&m.body).unwrap_or_else(|e| panic!("{e}"));
        if let Event::CaseUpdated(c) = env.event {
            out.push(
                w.route
                    .on_case_updated(&c.case_id)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        w.cases_queue
            .delete(&[m.receipt])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_join_reopen_and_non_actionable_rules() {
    let w = world(vec![], 60);
    let now = w.clock.now();
    // (post, author, actionable, expected)
    let first = w.created(post("1", "tara", "en", true, now)).await;
    let Ok(Threaded::Opened(case_id)) = first else {
        panic!("{first:?}")
    };
    let table = [
        (post("2", "tara", "en", false, now), Threaded::Joined(case_id.clone())),
        (post("2", "tara", "en", false, now), Threaded::Joined(case_id.clone())),
        (post("3", "fan", "en", false, now), Threaded::StoredOnly),
    ];
    for (p, expected) in table {
        let got = w.created(p).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, expected);
    }
    let case = CaseStore::get(w.store.as_ref(), &case_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case"));
    assert_eq!(case.posts.len(), 2, "the replayed post is not added twice");
    let edit = PostChange::Edited {
        post_id: id("generic:forum:1"),
        author_id: None,
        text: "help!".into(),
        at: now,
    };
    assert_eq!(w.thread.apply(edit).await.ok(), Some(Threaded::Edited));
    let delete = PostChange::Deleted {
        post_id: id("generic:forum:1"),
        author_id: None,
        at: now,
    };
    assert_eq!(w.thread.apply(delete).await.ok(), Some(Threaded::Redacted));
    let p = PostStore::get(w.store.as_ref(), &id("generic:forum:1"))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("post"));
    assert!(p.deleted && p.edits.iter().all(|e| e.text == post::REDACTED));
    let missing = PostChange::Deleted {
        post_id: id("generic:forum:404"),
        author_id: None,
        at: now,
    };
    assert_eq!(
        w.thread.apply(missing).await.ok(),
        Some(Threaded::Unknown),
        "a delete of a post never stored is not an error to retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_of_one_customer_open_one_case() {
    let w = world(vec![], 60);
    let now = w.clock.now();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let thread = w.thread.clone();
            let p = post(&format!("c{i}"), "same-customer", "en", true, now);
            tokio::spawn(async move { thread.apply(PostChange::Created { post: Box::new(p) }).await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.is_ok_and(|r| r.is_ok()));
    }
    let cases = CaseStore::list(w.store.as_ref(), &CaseQuery::default())
        .await
        .unwrap_or_default();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].posts.len(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_by_language_then_waiting_then_claim() {
    let w = world(vec![agent("ana", &["pt"], 1), agent("ben", &["en"], 1)], 60);
    let now = w.clock.now();
    for (pid, author, l) in [("1", "a", "pt"), ("2", "b", "en"), ("3", "c", "en"), ("4", "d", "fr")] {
        w.created(post(pid, author, l, true, now))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let routed = route_pending(&w).await;
    assert_eq!(
        routed,
        vec![
            Routed::Assigned(id("ana")),
            Routed::Assigned(id("ben")),
            Routed::Waiting,
            Routed::Waiting
        ]
    );
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    assert!(
        matches!(w.desk.claim(&ben).await, Err(ServiceError::Conflict(_))),
        "ben is at capacity"
    );
    // Ben resolves his case: the waiting English case flows to him, the French one keeps waiting.
    let mine = w
        .desk
        .list_cases(
            &ben,
            CaseQuery {
                assignee: Some(id("ben")),
                ..CaseQuery::default()
            },
        )
        .await
        .map(|p| p.cases)
        .unwrap_or_default();
    assert_eq!(mine.len(), 1);
    w.desk
        .resolve(&ben, &mine[0].id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let now_mine = w
        .desk
        .list_cases(
            &ben,
            CaseQuery {
                assignee: Some(id("ben")),
                statuses: vec![CaseStatus::Open],
                ..CaseQuery::default()
            },
        )
        .await
        .map(|p| p.cases)
        .unwrap_or_default();
    assert_eq!(now_mine.len(), 1);
    assert_eq!(now_mine[0].language, Some(lang("en")));
    let waiting = CaseStore::list(
        w.store.as_ref(),
        &CaseQuery {
            waiting: true,
            ..CaseQuery::default()
        },
    )
    .await
    .unwrap_or_default();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].language, Some(lang("fr")));
    let agents = AgentStore::list(w.store.as_ref()).await.unwrap_or_default();
    assert!(agents.iter().all(|a| a.load == 1), "{agents:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_breach_alerts_exactly_once_and_a_reply_prevents_it() {
    let w = world(vec![agent("ben", &["en"], 5)], 60);
    let now = w.clock.now();
    for (pid, author) in [("1", "late"), ("2", "answered")] {
        w.created(post(pid, author, "en", true, now))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    route_pending(&w).await;
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    let answered = Case::id_for_opening_post(&id("generic:forum:2"));
    w.clock.advance(30);
    w.desk
        .reply(&ben, &answered, "On it", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    w.clock.advance(29);
    assert_eq!(
        w.sla.tick().await.ok().map(|r| r.alerts),
        Some(0),
        "nothing before the deadline"
    );
    w.clock.advance(2);
    // Overlapping tickers and duplicate ticks.
    let ticks: Vec<_> = (0..4)
        .map(|_| {
            let sla = w.sla.clone();
            tokio::spawn(async move { sla.tick().await })
        })
        .collect();
    let mut fired = 0;
    for t in ticks {
        fired += t.await.ok().and_then(Result::ok).map_or(0, |r| r.alerts);
    }
    assert_eq!(fired, 1);
    assert_eq!(w.sla.tick().await.ok().map(|r| r.due), Some(0));
    let alerts = AlertStore::list(w.store.as_ref(), &AlertQuery::default())
        .await
        .unwrap_or_default();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].case_id, Case::id_for_opening_post(&id("generic:forum:1")));
    assert_eq!(alerts[0].late_by_ms, 1_000);
    assert_eq!(w.sink.alerts().len(), 1);
    let late = CaseStore::get(w.store.as_ref(), &alerts[0].case_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case"));
    assert_eq!(late.sla[0].state(), sla::ClockState::Breached);
    let ok = CaseStore::get(w.store.as_ref(), &answered)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case"));
    assert_eq!(ok.sla[0].state(), sla::ClockState::Met);
}

#[derive(Default)]
struct NoQueue;

#[async_trait]
impl socialcare_domain::ports::Publisher for NoQueue {
    async fn publish(&self, _: &Envelope) -> PortResult<()> {
        Ok(())
    }
}

/// 8 concurrent claimers × 500 cases: every case assigned exactly once, loads exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_assign_each_case_exactly_once() {
    let store = Arc::new(MemoryStore::new());
    let clock = FixedClock::at(1_800_000_000);
    let claimers = 8;
    let cases = 500u32;
    for i in 0..claimers {
        store
            .seed(&agent(&format!("a{i}"), &["en"], cases))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let thread = ThreadService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        Arc::new(NoQueue),
        clock.clone(),
        "general".into(),
    );
    for i in 0..cases {
        thread
            .apply(PostChange::Created {
                post: Box::new(post(&format!("{i}"), &format!("cust{i}"), "en", true, clock.now())),
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let policy = SlaPolicy::first_response_only(Priority::ALL.iter().map(|p| (*p, 60)).collect());
    let route = Arc::new(RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        policy,
    ));
    let tasks: Vec<_> = (0..claimers)
        .map(|i| {
            let route = route.clone();
            tokio::spawn(async move {
                let me: AgentId = id(&format!("a{i}"));
                let mut got = vec![];
                while let Ok(Some(case)) = route.claim_for(&me).await {
                    got.push(case.id);
                }
                got
            })
        })
        .collect();
    let mut claimed = vec![];
    for t in tasks {
        claimed.extend(t.await.unwrap_or_default());
    }
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    assert_eq!(
        (total, claimed.len()),
        (cases as usize, cases as usize),
        "each case claimed exactly once"
    );
    let all = CaseStore::list(store.as_ref(), &CaseQuery::default())
        .await
        .unwrap_or_default();
    let agents = AgentStore::list(store.as_ref()).await.unwrap_or_default();
    for a in &agents {
        let assigned = all.iter().filter(|c| c.assignee.as_ref() == Some(&a.id)).count();
        assert_eq!(a.load as usize, assigned, "load of {} is exact", a.id);
    }
    assert!(all.iter().all(|c| c.assignee.is_some() && c.version >= 2));
}

/// A post our `forum` account wrote.
fn ours(pid: &str, at: Timestamp) -> Post {
    let mut p = post(pid, "brand", "en", false, at);
    p.direction = Direction::Outbound;
    p.classification = None;
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_of_desk_replies_are_dropped_and_native_brand_answers_join_the_case() {
    let w = world(vec![agent("ben", &["en"], 5)], 60);
    let now = w.clock.now();
    let opened = w.created(post("c-1", "tara", "en", true, now)).await;
    let Ok(Threaded::Opened(case_id)) = opened else {
        panic!("{opened:?}")
    };
    route_pending(&w).await;

    // Nobody answered through the desk; the brand answers in the platform's own app.
    w.clock.advance(20);
    let mut native = ours("b-1", w.clock.now());
    native.parent_id = Some("c-1".into());
    let got = w.created(native).await;
    assert_eq!(got.ok(), Some(Threaded::BrandMessage(case_id.clone())));
    let case = CaseStore::get(w.store.as_ref(), &case_id).await.ok().flatten();
    let case = case.unwrap_or_else(|| panic!("case"));
    assert_eq!(case.posts.len(), 2, "the brand's answer is on the thread");
    assert_eq!(
        case.first_response_at,
        Some(w.clock.now()),
        "and it is a first response"
    );
    assert_eq!(case.sla[0].state(), sla::ClockState::Met);
    assert!(matches!(case.history.last().map(|e| &e.actor), Some(Actor::Account(a)) if a == "forum"));

    // A desk reply, delivered as platform id `sent-77`, then echoed back by the platform.
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    let claimed = w.desk.claim(&ben).await;
    assert!(claimed.is_ok(), "{claimed:?}");
    let reply = w.desk.reply(&ben, &case_id, "On it", None).await;
    let mut reply = reply.unwrap_or_else(|e| panic!("{e}"));
    let reply_id = reply.id.clone();
    reply.platform_id = "sent-77".into();
    PostStore::put(w.store.as_ref(), &reply)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // What the outbound service does once the platform gave the sent reply its id.
    PostStore::remember_platform_id(w.store.as_ref(), &reply)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut echo = ours("sent-77", w.clock.now());
    echo.parent_id = Some("c-1".into());
    let got = w.created(echo.clone()).await;
    assert_eq!(got.ok(), Some(Threaded::Echo(reply_id.clone())));
    let again = w.created(echo.clone()).await;
    assert_eq!(again.ok(), Some(Threaded::Echo(reply_id)), "a redelivered echo too");
    let stored = PostStore::get(w.store.as_ref(), &echo.id).await.ok().flatten();
    assert!(stored.is_none(), "the echo is not stored as a second message");
    let case = CaseStore::get(w.store.as_ref(), &case_id).await.ok().flatten();
    assert_eq!(case.map(|c| c.posts.len()), Some(3));

    // A DM-style message naming its recipient; and a post of ours that addresses nobody.
    let mut dm = ours("b-2", w.clock.now());
    dm.recipient = Some(id("generic:forum:tara"));
    let got = w.created(dm).await;
    assert_eq!(got.ok(), Some(Threaded::BrandMessage(case_id.clone())));
    let announcement = ours("b-3", w.clock.now());
    let got = w.created(announcement).await;
    assert_eq!(got.ok(), Some(Threaded::Outbound));
    let mut to_stranger = ours("b-4", w.clock.now());
    to_stranger.parent_id = Some("unknown-post".into());
    let got = w.created(to_stranger).await;
    assert_eq!(got.ok(), Some(Threaded::Outbound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_soon_after_the_resolve_reopens_the_case_and_a_later_one_opens_a_new_one() {
    let w = world(vec![agent("ben", &["en"], 5)], 60);
    let apply = |p: Post| w.created(p);
    let opened = apply(post("t-1", "tara", "en", true, w.clock.now())).await;
    let Ok(Threaded::Opened(case_id)) = opened else {
        panic!("{opened:?}")
    };
    route_pending(&w).await;
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    let resolved = w.desk.resolve(&ben, &case_id).await;
    assert!(resolved.is_ok(), "{resolved:?}");
    let stored = |id: CaseId| {
        let store = w.store.clone();
        async move {
            CaseStore::get(store.as_ref(), &id)
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("case"))
        }
    };

    // A thank-you two days later joins the thread; the case stays resolved.
    w.clock.advance(2 * 86_400);
    let thanks = apply(post("t-2", "tara", "en", false, w.clock.now())).await;
    assert_eq!(thanks.ok(), Some(Threaded::AddedToResolved(case_id.clone())));
    let case = stored(case_id.clone()).await;
    assert_eq!((case.status, case.posts.len()), (CaseStatus::Resolved, 2));

    // A new request on day six reopens it, unassigned, and routing takes it up again.
    w.clock.advance(4 * 86_400);
    let again = apply(post("t-3", "tara", "en", true, w.clock.now())).await;
    assert_eq!(again.ok(), Some(Threaded::Reopened(case_id.clone())));
    let case = stored(case_id.clone()).await;
    assert_eq!(case.status, CaseStatus::Open);
    assert_eq!(
        (case.assignee.clone(), case.resolved_at, case.posts.len()),
        (None, None, 3)
    );
    let routed = route_pending(&w).await;
    assert!(routed.contains(&Routed::Assigned(id("ben"))), "{routed:?}");
    let redelivered = apply(post("t-3", "tara", "en", true, w.clock.now())).await;
    assert_eq!(
        redelivered.ok(),
        Some(Threaded::Joined(case_id.clone())),
        "a redelivery changes nothing"
    );

    // Resolved again; three weeks later the customer answers: a new case, the old one kept.
    let resolved = w.desk.resolve(&ben, &case_id).await;
    assert!(resolved.is_ok(), "{resolved:?}");
    w.clock.advance(21 * 86_400);
    let later = apply(post("t-4", "tara", "en", true, w.clock.now())).await;
    let Ok(Threaded::Opened(new_id)) = later else {
        panic!("{later:?}")
    };
    assert_ne!(new_id, case_id);
    assert_eq!(stored(case_id).await.status, CaseStatus::Resolved);
    assert_eq!(
        stored(new_id).await.customer_id,
        case.customer_id,
        "the same customer: history links them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_to_our_reply_weeks_later_reopens_that_case() {
    let w = world(vec![agent("ben", &["en"], 5)], 60);
    let apply = |p: Post| w.created(p);
    let opened = apply(post("q-1", "tara", "en", true, w.clock.now())).await;
    let Ok(Threaded::Opened(case_id)) = opened else {
        panic!("{opened:?}")
    };
    route_pending(&w).await;
    // Our answer, in the thread of her post.
    let mut answer = ours("q-2", w.clock.now());
    answer.parent_id = Some("q-1".into());
    assert_eq!(apply(answer).await.ok(), Some(Threaded::BrandMessage(case_id.clone())));
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    assert!(w.desk.resolve(&ben, &case_id).await.is_ok());

    // Three weeks later, far outside the reopen window, she answers our reply: the same case.
    w.clock.advance(21 * 86_400);
    let mut back = post("q-3", "tara", "en", true, w.clock.now());
    back.parent_id = Some("q-2".into());
    assert_eq!(apply(back).await.ok(), Some(Threaded::Reopened(case_id.clone())));
    let case = CaseStore::get(w.store.as_ref(), &case_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case"));
    assert_eq!(
        (case.status, case.posts.len()),
        (CaseStatus::Open, 3),
        "the whole thread, open again"
    );
    let routed = route_pending(&w).await;
    assert!(routed.contains(&Routed::Assigned(id("ben"))), "{routed:?}");

    // Someone else answering in that thread is not her: their own case.
    let mut other = post("q-4", "olaf", "en", true, w.clock.now());
    other.parent_id = Some("q-2".into());
    let theirs = apply(other).await;
    assert!(
        matches!(&theirs, Ok(Threaded::Opened(c)) if *c != case_id),
        "{theirs:?}"
    );

    // A post that names itself as its parent is just a post.
    assert!(w.desk.resolve(&ben, &case_id).await.is_ok());
    w.clock.advance(21 * 86_400);
    let mut selfish = post("q-5", "tara", "en", true, w.clock.now());
    selfish.parent_id = Some("q-5".into());
    assert!(matches!(apply(selfish).await, Ok(Threaded::Opened(c)) if c != case_id));
}

/// A post by `author` (`<channel>:<user>`) on its channel, saying `text`.
fn post_on(pid: &str, author: &str, text: &str, actionable: bool, at: Timestamp) -> Post {
    let mut p = post(pid, "someone", "en", actionable, at);
    let (channel, user) = author.split_once(':').unwrap_or_else(|| panic!("author {author}"));
    p.channel = *Channel::ALL
        .iter()
        .find(|c| c.as_str() == channel)
        .unwrap_or_else(|| panic!("channel {channel}"));
    p.id = id(&format!("{channel}:{pid}"));
    p.account = "acme".into();
    p.author.id = id(author);
    p.author.handle = user.into();
    p.text = text.into();
    p
}

async fn customer_of(w: &World, author: &str) -> Option<CustomerId> {
    CustomerStore::customer_of(w.store.as_ref(), &id(author))
        .await
        .ok()
        .flatten()
}

/// Issue 14: an identifier anyone can type is a claim, not proof. A stranger who writes a
/// customer's order number (or email) gets a customer and a case of their own, and the agent
/// sees the other customer as a suggestion to confirm; nothing of the first customer's case
/// reaches them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_number_written_by_a_stranger_is_a_suggestion_never_a_link() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let apply = |p: Post| w.created(p);
    let opened = apply(post_on(
        "o-1",
        "x:ann",
        "order #12345678 never arrived",
        true,
        w.clock.now(),
    ))
    .await;
    let Ok(Threaded::Opened(case_id)) = opened else {
        panic!("{opened:?}")
    };
    let ann = customer_of(&w, "x:ann")
        .await
        .unwrap_or_else(|| panic!("ann's customer"));

    // Chatter of an unknown author naming the order links nothing and creates no one.
    w.clock.advance(3600);
    let chatter = post_on("o-2", "x:lurker", "haha order 12345678 lol", false, w.clock.now());
    assert_eq!(apply(chatter).await.ok(), Some(Threaded::StoredOnly));
    assert_eq!(customer_of(&w, "x:lurker").await, None);

    // A week later, on Facebook under another name, the same order number written another way:
    // maybe Ann, maybe someone who read it over her shoulder. Their own customer and case.
    w.clock.advance(7 * 86_400);
    let fb = post_on(
        "o-3",
        "facebook:anna.k",
        "Still waiting for Order No. 1234-5678!",
        true,
        w.clock.now(),
    );
    let theirs = apply(fb).await;
    let Ok(Threaded::Opened(their_case)) = theirs else {
        panic!("{theirs:?}")
    };
    assert_ne!(their_case, case_id);
    let stranger = customer_of(&w, "facebook:anna.k").await;
    assert!(stranger.is_some() && stranger != Some(ann.clone()), "{stranger:?}");
    let customer = CustomerStore::get(w.store.as_ref(), &ann)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("customer"));
    assert_eq!(customer.identities.len(), 1, "Ann's identities are Ann's");
    let case = CaseStore::get(w.store.as_ref(), &case_id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case"));
    assert_eq!(case.posts.len(), 1, "nothing joined Ann's case");

    // The agent's view of the new case suggests Ann, by the identifier both wrote.
    let view = w
        .desk
        .get_case(&supervisor(), &their_case)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let s: Vec<_> = view
        .suggestions
        .iter()
        .map(|s| (s.customer_id.clone(), s.kind, s.detail.clone()))
        .collect();
    assert_eq!(
        s,
        vec![(
            ann.clone(),
            suggest::SuggestionKind::SameIdentifier,
            "order:12345678".to_string()
        )]
    );

    // Someone writing without an identifier is someone else too.
    let other = apply(post_on("o-4", "facebook:bob", "my parcel is late", true, w.clock.now())).await;
    assert!(matches!(&other, Ok(Threaded::Opened(c)) if *c != case_id), "{other:?}");
}

/// Issue 14: a merge needs a right to both sides. The agent holding the stranger's case may merge
/// the customer suggested on it; holding an unrelated case gives no right to anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_merges_only_customers_it_holds_or_sees_suggested() {
    let w = world(
        vec![
            agent("ben", &["en"], 1),
            agent("cat", &["en"], 1),
            agent("dan", &["en"], 1),
        ],
        3600,
    );
    let mut cases = vec![];
    for (pid, author, text) in [
        ("m-1", "x:ann", "order #12345678 never arrived"),
        ("m-2", "facebook:anna.k", "Order No. 1234-5678 still missing"),
        ("m-3", "x:zed", "my parcel is late, please help"),
    ] {
        let opened = w.created(post_on(pid, author, text, true, w.clock.now())).await;
        let Ok(Threaded::Opened(c)) = opened else {
            panic!("{opened:?}")
        };
        w.route.on_case_updated(&c).await.unwrap_or_else(|e| panic!("{e}"));
        cases.push(case_of(&w, &c).await);
        w.clock.advance(60);
    }
    let holder = |c: &Case| Principal {
        agent_id: c.assignee.clone().unwrap_or_else(|| panic!("{} unassigned", c.id)),
        role: Role::Agent,
    };
    let (ann, stranger, zed) = (&cases[0], &cases[1], &cases[2]);
    // Zed's agent holds a case, but not Ann's: refused, whether Ann exists or not.
    let refused = w
        .desk
        .merge_customers(&holder(zed), &ann.customer_id, &zed.customer_id, None)
        .await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    let nobody = CustomerId::parse("cus-nobody").unwrap_or_else(|_| unreachable!());
    let refused = w
        .desk
        .merge_customers(&holder(zed), &nobody, &zed.customer_id, None)
        .await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    let refused = w
        .desk
        .merge_customers(&holder(zed), &zed.customer_id, &ann.customer_id, None)
        .await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    // The stranger's agent sees Ann suggested on its case: it may merge them.
    let merged = w
        .desk
        .merge_customers(
            &holder(stranger),
            &stranger.customer_id,
            &ann.customer_id,
            Some("same order"),
        )
        .await;
    assert!(merged.is_ok(), "{merged:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_written_again_by_another_handle_opens_its_own_case() {
    let w = world(vec![], 3600);
    let apply = |p: Post| w.created(p);
    let text = "refund please, reach me at Jane.Doe@Example.COM.";
    let Ok(Threaded::Opened(case_id)) = apply(post_on("e-1", "x:jane", text, true, w.clock.now())).await else {
        panic!("opened")
    };
    w.clock.advance(86_400);
    let again = post_on(
        "e-2",
        "instagram:jd",
        "any news? jane.doe@example.com",
        true,
        w.clock.now(),
    );
    assert!(matches!(apply(again).await, Ok(Threaded::Opened(c)) if c != case_id));
    assert_ne!(customer_of(&w, "instagram:jd").await, customer_of(&w, "x:jane").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identifier_many_customers_share_links_nobody() {
    let w = world(vec![], 3600);
    let apply = |p: Post| w.created(p);
    let identity = IdentityService::new(w.store.clone(), IdentifierRules::default());
    let email = Identifier::normalise(IdentifierKind::Email, "info@shop.example").unwrap_or_else(|| panic!("email"));
    // Four customers, each known before, each writes the shop's address.
    for (i, user) in ["x:c1", "x:c2", "x:c3", "x:c4"].iter().enumerate() {
        let first = apply(post_on(&format!("s-{i}"), user, "help me", true, w.clock.now())).await;
        assert!(matches!(first, Ok(Threaded::Opened(_))), "{first:?}");
        w.clock.advance(60);
        let said = post_on(
            &format!("s-{i}b"),
            user,
            "I wrote to info@shop.example",
            true,
            w.clock.now(),
        );
        assert!(matches!(apply(said).await, Ok(Threaded::Joined(_))));
        if i == 1 {
            // Two customers have it: a suggestion, no link (and the new author is recorded too).
            let p = post_on("s-amb", "facebook:amb", "info@shop.example?", true, w.clock.now());
            let d = identity.resolve(&p, true).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                matches!(&d, Some(d) if d.link == Link::Created && d.suggested == [email.clone()]),
                "{d:?}"
            );
        }
    }
    let holders = CustomerStore::customers_with(w.store.as_ref(), &email).await.ok();
    assert_eq!(holders.map(|h| h.len()), Some(4), "the cap plus one are kept");
    // A new author naming it is not linked to any of them, and the decision says why.
    let p = post_on(
        "s-new",
        "facebook:new",
        "same here info@shop.example",
        true,
        w.clock.now(),
    );
    let d = identity.resolve(&p, true).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&d, Some(d) if d.link == Link::Created && d.shared == [email.clone()]),
        "{d:?}"
    );
    let through_thread = apply(post_on(
        "s-new2",
        "facebook:new2",
        "info@shop.example",
        true,
        w.clock.now(),
    ))
    .await;
    assert!(matches!(through_thread, Ok(Threaded::Opened(_))), "{through_thread:?}");
    let c = customer_of(&w, "facebook:new2").await;
    for user in ["x:c1", "x:c2", "x:c3", "x:c4"] {
        assert_ne!(customer_of(&w, user).await, c);
    }
}

/// Counts the identifier index's reads and writes (and the writes that changed something).
struct Counting {
    inner: Arc<MemoryStore>,
    reads: Mutex<usize>,
    writes: Mutex<(usize, usize)>,
}

#[async_trait]
impl CustomerStore for Counting {
    async fn get(&self, id: &CustomerId) -> PortResult<Option<Customer>> {
        CustomerStore::get(self.inner.as_ref(), id).await
    }
    async fn customer_of(&self, author: &AuthorId) -> PortResult<Option<CustomerId>> {
        self.inner.customer_of(author).await
    }
    async fn create(&self, customer: &Customer) -> PortResult<bool> {
        CustomerStore::create(self.inner.as_ref(), customer).await
    }
    async fn add_identity(&self, customer: &CustomerId, identity: &Identity) -> PortResult<bool> {
        self.inner.add_identity(customer, identity).await
    }
    async fn customers_with(&self, identifier: &Identifier) -> PortResult<Vec<CustomerId>> {
        if let Ok(mut r) = self.reads.lock() {
            *r += 1;
        }
        self.inner.customers_with(identifier).await
    }
    async fn link_identifier(
        &self,
        identifier: &Identifier,
        customer: &CustomerId,
        author: &AuthorId,
        at: Timestamp,
        max_customers: usize,
    ) -> PortResult<bool> {
        let wrote = self
            .inner
            .link_identifier(identifier, customer, author, at, max_customers)
            .await?;
        if let Ok(mut w) = self.writes.lock() {
            w.0 += 1;
            w.1 += usize::from(wrote);
        }
        Ok(wrote)
    }
    async fn customers_with_any(&self, identifiers: &[Identifier]) -> PortResult<Vec<(Identifier, Vec<CustomerId>)>> {
        self.inner.customers_with_any(identifiers).await
    }
    async fn index_name(&self, key: &str, customer: &CustomerId) -> PortResult<()> {
        self.inner.index_name(key, customer).await
    }
    async fn customers_named(&self, key: &str) -> PortResult<Vec<CustomerId>> {
        self.inner.customers_named(key).await
    }
    async fn replace(&self, customer: &Customer, expected_version: u64) -> PortResult<bool> {
        self.inner.replace(customer, expected_version).await
    }
    async fn relink_author(&self, author: &AuthorId, from: &CustomerId, to: &CustomerId) -> PortResult<bool> {
        self.inner.relink_author(author, from, to).await
    }
    async fn relink_identifier(
        &self,
        identifier: &Identifier,
        from: Option<&CustomerId>,
        to: &CustomerId,
    ) -> PortResult<()> {
        self.inner.relink_identifier(identifier, from, to).await
    }
    async fn record_merge(&self, merge: &customer::MergeRecord) -> PortResult<bool> {
        self.inner.record_merge(merge).await
    }
    async fn save_merge(&self, merge: &customer::MergeRecord) -> PortResult<()> {
        self.inner.save_merge(merge).await
    }
    async fn merge(&self, id: &str) -> PortResult<Option<customer::MergeRecord>> {
        self.inner.merge(id).await
    }
    async fn merges_of(&self, customer: &CustomerId) -> PortResult<Vec<customer::MergeRecord>> {
        self.inner.merges_of(customer).await
    }
}

#[tokio::test]
async fn identifiers_cost_one_write_each_and_nothing_without_them() {
    let store = Arc::new(Counting {
        inner: Arc::new(MemoryStore::new()),
        reads: Mutex::new(0),
        writes: Mutex::new((0, 0)),
    });
    let counts = |s: &Counting| {
        (
            s.reads.lock().map(|r| *r).unwrap_or(99),
            s.writes.lock().map(|w| *w).unwrap_or((99, 99)),
        )
    };
    let identity = IdentityService::new(store.clone(), IdentifierRules::default());
    let at = Timestamp::from_second(1_800_000_000).unwrap_or_else(|_| unreachable!());
    let resolve = |p: Post| {
        let identity = &identity;
        async move { identity.resolve(&p, true).await.unwrap_or_else(|e| panic!("{e}")) }
    };
    // A new author without identifiers: a customer, and no index traffic at all.
    let d = resolve(post_on("w-1", "x:kim", "my parcel is late", true, at)).await;
    assert!(matches!(&d, Some(d) if d.link == Link::Created), "{d:?}");
    assert_eq!(counts(&store), (0, (0, 0)));
    // Known now: two identifiers, one write each.
    resolve(post_on("w-2", "x:kim", "order 7788990 / kim@x.io", true, at)).await;
    assert_eq!(counts(&store), (0, (2, 2)));
    // The same again: the conditional writes change nothing.
    resolve(post_on("w-3", "x:kim", "order 7788990 / KIM@x.io", true, at)).await;
    assert_eq!(counts(&store), (0, (4, 2)));
    // Chatter of an unknown author naming them: nothing read, nothing written.
    let d = identity
        .resolve(&post_on("w-4", "x:fan", "kim@x.io", false, at), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d, None);
    assert_eq!(counts(&store), (0, (4, 2)));
    // A new author naming one of them: one read per identifier, a customer of its own with the
    // identifier suggested, and the identifier recorded to it (two writes).
    let d = resolve(post_on("w-5", "facebook:kim2", "about kim@x.io", true, at)).await;
    assert!(
        matches!(&d, Some(d) if d.link == Link::Created && d.suggested.iter().map(ToString::to_string).eq(["email:kim@x.io".to_string()])),
        "{d:?}"
    );
    assert_eq!(counts(&store), (1, (5, 3)));
}

// ---- Merge and split of customers -------------------------------------------------------

fn supervisor() -> Principal {
    Principal {
        agent_id: id("sue"),
        role: Role::Supervisor,
    }
}

async fn case_of(w: &World, case: &CaseId) -> Case {
    CaseStore::get(w.store.as_ref(), case)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("case {case}"))
}

async fn customer_named(w: &World, customer: &CustomerId) -> Customer {
    CustomerStore::get(w.store.as_ref(), customer)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("customer {customer}"))
}

async fn loads(w: &World) -> Vec<(AgentId, u32)> {
    let agents = AgentStore::list(w.store.as_ref()).await.unwrap_or_default();
    agents.into_iter().map(|a| (a.id, a.load)).collect()
}

/// The case without what every write moves on (version, last update).
fn content(mut c: Case) -> Case {
    c.version = 0;
    c.updated_at = Timestamp::UNIX_EPOCH;
    c
}

/// Ann asks on X and is given to an agent; ten minutes later Tara asks on Facebook (P1) and is
/// given to another: two customers, two open assigned cases.
async fn two_customers_with_open_cases(w: &World) -> (CustomerId, CaseId, CustomerId, CaseId) {
    let apply = |p: Post| w.created(p);
    let Ok(Threaded::Opened(a)) = apply(post_on(
        "m-1",
        "x:magicpuppy123",
        "Please help me @Support!",
        true,
        w.clock.now(),
    ))
    .await
    else {
        panic!("first case")
    };
    route_pending(w).await;
    w.clock.advance(600);
    let mut urgent = post_on(
        "m-2",
        "facebook:tara.willis",
        "my laptop caught fire",
        true,
        w.clock.now(),
    );
    if let Some(c) = urgent.classification.as_mut() {
        c.priority = Priority::P1;
    }
    let Ok(Threaded::Opened(b)) = apply(urgent).await else {
        panic!("second case")
    };
    route_pending(w).await;
    let ann = customer_of(w, "x:magicpuppy123").await.unwrap_or_else(|| panic!("ann"));
    let tara = customer_of(w, "facebook:tara.willis")
        .await
        .unwrap_or_else(|| panic!("tara"));
    (ann, a, tara, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_folds_the_newer_open_case_into_the_older_and_a_split_restores_both_exactly() {
    let w = world(vec![agent("ben", &["en"], 1), agent("cat", &["en"], 1)], 3600);
    let (ann, a, tara, b) = two_customers_with_open_cases(&w).await;
    let (case_a, case_b) = (case_of(&w, &a).await, case_of(&w, &b).await);
    assert!(case_a.assignee.is_some() && case_b.assignee.is_some() && case_a.assignee != case_b.assignee);
    let (ann_before, tara_before) = (customer_named(&w, &ann).await, customer_named(&w, &tara).await);
    let loads_before = loads(&w).await;
    route_pending(&w).await;

    // An agent confirms that the Facebook customer is the X one.
    w.clock.advance(60);
    let merged = w
        .desk
        .merge_customers(&supervisor(), &tara, &ann, Some("same person: order 4417-2290"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(merged.state, customer::MergeState::Done);
    let fold = merged.fold.clone().unwrap_or_else(|| panic!("two open cases fold"));
    assert_eq!(
        (fold.kept.clone(), fold.folded.clone()),
        (a.clone(), b.clone()),
        "the newer goes into the older"
    );

    assert_eq!(customer_of(&w, "facebook:tara.willis").await, Some(ann.clone()));
    let tombstone = customer_named(&w, &tara).await;
    assert_eq!(tombstone.merged_into, Some(ann.clone()));
    let survivor = customer_named(&w, &ann).await;
    let moved = survivor
        .identities
        .iter()
        .find(|i| i.author_id == id::<AuthorId>("facebook:tara.willis"))
        .unwrap_or_else(|| panic!("the identity moved"));
    assert_eq!(moved.actor, "sue");
    assert!(matches!(&moved.evidence, Evidence::Merged { merge_id, from } if *merge_id == merged.id && *from == tara));

    let kept = case_of(&w, &a).await;
    let folded = case_of(&w, &b).await;
    assert_eq!(kept.posts.len(), 2, "the thread holds both posts");
    assert_eq!(kept.priority, Priority::P1, "the more urgent priority");
    assert_eq!(kept.assignee, case_a.assignee, "the older case keeps its agent");
    let due = |c: &Case| {
        c.sla
            .iter()
            .find(|s| s.target == Target::FirstResponse)
            .map(|s| s.due_at)
    };
    assert_eq!(due(&kept), due(&case_a), "the earlier first-response deadline is kept");
    assert!(
        kept.history
            .iter()
            .any(|e| matches!(&e.kind, CaseEventKind::Folded { case_id, .. } if *case_id == b))
    );
    assert_eq!(folded.status, CaseStatus::Closed);
    assert_eq!(folded.customer_id, ann);
    assert!(
        folded
            .history
            .iter()
            .any(|e| matches!(&e.kind, CaseEventKind::FoldedInto { case_id, .. } if *case_id == a))
    );
    let folded_agent = case_b.assignee.clone().unwrap_or_else(|| panic!("b's agent"));
    let load_of = |l: &[(AgentId, u32)], who: &AgentId| l.iter().find(|(a, _)| a == who).map(|(_, n)| *n);
    assert_eq!(
        load_of(&loads(&w).await, &folded_agent),
        Some(0),
        "the folded case's load is released"
    );
    assert_eq!(w.store.active_case_of(&ann).await.ok().flatten(), Some(a.clone()));
    assert_eq!(w.store.active_case_of(&tara).await.ok().flatten(), None);

    // The old customer id still leads to the whole story, with the merge on record.
    let history = w
        .desk
        .customer(&supervisor(), &tara)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(history.customer.id, ann);
    assert_eq!(history.merged_from, Some(tara.clone()));
    assert_eq!(history.merges.len(), 1);
    assert_eq!(history.posts.len(), 2);
    // Asking again answers the same record.
    let again = w.desk.merge_customers(&supervisor(), &tara, &ann, None).await;
    assert_eq!(again.ok().map(|m| m.id), Some(merged.id.clone()));

    // Split: both customers, their cases, identities and loads exactly as before.
    w.clock.advance(60);
    let split = w
        .desk
        .split_merge(&supervisor(), &merged.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.state, customer::MergeState::Undone);
    assert_eq!(split.undone_by, Some(id("sue")));
    let strip = |mut c: Customer| {
        c.version = 0;
        c
    };
    assert_eq!(strip(customer_named(&w, &tara).await), strip(tara_before));
    assert_eq!(strip(customer_named(&w, &ann).await), strip(ann_before));
    assert_eq!(content(case_of(&w, &a).await), content(case_a));
    assert_eq!(content(case_of(&w, &b).await), content(case_b));
    assert_eq!(loads(&w).await, loads_before);
    assert_eq!(customer_of(&w, "facebook:tara.willis").await, Some(tara.clone()));
    assert_eq!(w.store.active_case_of(&tara).await.ok().flatten(), Some(b.clone()));
    assert_eq!(w.store.active_case_of(&ann).await.ok().flatten(), Some(a.clone()));
    // The audit trail keeps the split merge.
    let history = w
        .desk
        .customer(&supervisor(), &ann)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(history.merges.len(), 1);
    assert_eq!(history.merges[0].state, customer::MergeState::Undone);
    let twice = w.desk.split_merge(&supervisor(), &merged.id).await;
    assert!(matches!(twice, Err(ServiceError::Conflict(_))), "{twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_merge_the_persons_posts_join_one_case_and_a_later_split_keeps_them_where_they_went() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let (ann, a, tara, b) = two_customers_with_open_cases(&w).await;
    let order = post_on("m-0", "x:magicpuppy123", "order #44172290", false, w.clock.now());
    w.created(order).await.unwrap_or_else(|e| panic!("{e}"));
    let merged = w
        .desk
        .merge_customers(&supervisor(), &tara, &ann, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Tara writes again on Facebook: her post joins the one open case.
    w.clock.advance(60);
    let later = post_on("m-3", "facebook:tara.willis", "any news?", true, w.clock.now());
    let joined = w.created(later).await;
    assert_eq!(joined.ok(), Some(Threaded::Joined(a.clone())));
    // The split gives back Tara's case as it was; her later post stays where it went.
    w.desk
        .split_merge(&supervisor(), &merged.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kept = case_of(&w, &a).await;
    assert!(
        kept.contains(&id("facebook:m-3")),
        "what happened after the merge stays"
    );
    assert!(!kept.contains(&id("facebook:m-2")), "the folded post went back");
    let restored = case_of(&w, &b).await;
    assert_eq!(restored.customer_id, tara);
    assert!(restored.status.is_active());
    assert!(
        !kept
            .history
            .iter()
            .any(|e| matches!(e.kind, CaseEventKind::Folded { .. }))
    );
    assert_eq!(
        customer_named(&w, &ann).await.identifiers,
        vec![Identifier::parse_key("order:44172290").unwrap_or_else(|| panic!("order"))],
        "the target keeps what it wrote itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merges_refuse_what_cannot_be_merged_and_whom_it_is_not_for() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let (ann, _a, tara, _b) = two_customers_with_open_cases(&w).await;
    let sue = supervisor();
    let itself = w.desk.merge_customers(&sue, &ann, &ann, None).await;
    assert!(matches!(itself, Err(ServiceError::Invalid(_))), "{itself:?}");
    let nobody = w.desk.merge_customers(&sue, &id("cus-nobody"), &ann, None).await;
    assert!(matches!(nobody, Err(ServiceError::NotFound(_))), "{nobody:?}");
    let stranger = Principal {
        agent_id: id("zed"),
        role: Role::Agent,
    };
    let refused = w.desk.merge_customers(&stranger, &tara, &ann, None).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    let long = "x".repeat(501);
    let too_long = w.desk.merge_customers(&sue, &tara, &ann, Some(&long)).await;
    assert!(matches!(too_long, Err(ServiceError::Invalid(_))), "{too_long:?}");
    // The agent holding the case may merge.
    let holder = case_of(&w, &_a).await.assignee.unwrap_or_else(|| panic!("assigned"));
    let by_agent = Principal {
        agent_id: holder,
        role: Role::Agent,
    };
    let merged = w.desk.merge_customers(&by_agent, &tara, &ann, None).await;
    assert!(merged.is_ok(), "{merged:?}");
    // A tombstone is neither merged again elsewhere nor merged into.
    let third = customer::Customer::first_for(
        &post_on("m-9", "x:third", "hi", true, w.clock.now()).author,
        w.clock.now(),
    );
    assert!(CustomerStore::create(w.store.as_ref(), &third).await.unwrap_or(false));
    let into_tombstone = w.desk.merge_customers(&sue, &third.id, &tara, None).await;
    assert!(
        matches!(into_tombstone, Err(ServiceError::Conflict(_))),
        "{into_tombstone:?}"
    );
    let away_again = w.desk.merge_customers(&sue, &tara, &third.id, None).await;
    assert!(matches!(away_again, Err(ServiceError::Conflict(_))), "{away_again:?}");
    let unknown = w.desk.split_merge(&sue, "mrg-none").await;
    assert!(matches!(unknown, Err(ServiceError::NotFound(_))), "{unknown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn similar_names_and_identifiers_with_a_typo_are_suggested_never_merged() {
    let w = world(vec![agent("ben", &["en"], 10)], 3600);
    let named = |pid: &str, author: &str, name: &str, text: &str, at: Timestamp| {
        let mut p = post_on(pid, author, text, true, at);
        p.author.name = Some(name.into());
        p
    };
    let open = |p: Post| {
        let thread = w.thread.clone();
        async move {
            match thread.apply(PostChange::Created { post: Box::new(p) }).await {
                Ok(Threaded::Opened(c)) => c,
                other => panic!("{other:?}"),
            }
        }
    };
    open(named(
        "s-1",
        "x:tw",
        "Tara Willis",
        "order #44172290 is late",
        w.clock.now(),
    ))
    .await;
    let tara = customer_of(&w, "x:tw").await.unwrap_or_else(|| panic!("tara"));
    w.clock.advance(10 * 86_400);
    let fb = open(named(
        "s-2",
        "facebook:tjw",
        "Tara Jane Willis",
        "still no parcel",
        w.clock.now(),
    ))
    .await;
    let typo = open(named(
        "s-3",
        "facebook:bob",
        "Bob",
        "order #44172209 is late",
        w.clock.now(),
    ))
    .await;
    let sue = supervisor();

    let view = w.desk.get_case(&sue, &fb).await.unwrap_or_else(|e| panic!("{e}"));
    let s: Vec<_> = view
        .suggestions
        .iter()
        .map(|s| (s.customer_id.clone(), s.kind))
        .collect();
    assert_eq!(s, vec![(tara.clone(), suggest::SuggestionKind::SimilarName)]);
    let view = w.desk.get_case(&sue, &typo).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.suggestions.len(), 1, "{:?}", view.suggestions);
    assert_eq!(view.suggestions[0].customer_id, tara);
    assert_eq!(view.suggestions[0].kind, suggest::SuggestionKind::IdentifierTypo);
    assert_eq!(view.suggestions[0].detail, "order:44172209 ~ order:44172290");
    // Suggested, not merged: three customers still.
    assert_ne!(customer_of(&w, "facebook:tjw").await, Some(tara.clone()));
    assert_ne!(customer_of(&w, "facebook:bob").await, Some(tara.clone()));

    // The same name long after is not suggested: the window is thirty days.
    w.clock.advance(40 * 86_400);
    let late = open(named(
        "s-4",
        "instagram:tw2",
        "Willis Tara",
        "hello again",
        w.clock.now(),
    ))
    .await;
    let view = w.desk.get_case(&sue, &late).await.unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<_> = view.suggestions.iter().map(|s| s.customer_id.clone()).collect();
    assert!(!ids.contains(&tara), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_comes_before_its_parent_joins_the_parents_case_when_the_parent_comes() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let apply = |p: Post| w.created(p);
    let reply_to = |pid: &str, author: &str, text: &str, actionable: bool, parent: &str| {
        let mut p = post_on(pid, author, text, actionable, w.clock.now());
        p.parent_id = Some(parent.into());
        p
    };
    // The webhooks come out of order: Ann's "???" under her own comment, and a stranger's
    // reply to it, come before the comment.
    let early = apply(reply_to("c-2", "facebook:ann", "???", false, "c-1")).await;
    assert_eq!(early.ok(), Some(Threaded::StoredOnly));
    let other = apply(reply_to("c-3", "facebook:zoe", "same here lol", false, "c-1")).await;
    assert_eq!(other.ok(), Some(Threaded::StoredOnly));
    // A post replying to itself, and one replying to a post that never comes: kept, no panic.
    assert!(apply(reply_to("c-9", "facebook:ann", "hm", false, "c-9")).await.is_ok());
    assert!(
        apply(reply_to("c-8", "facebook:ann", "hm", false, "never"))
            .await
            .is_ok()
    );
    w.clock.advance(5);
    let parent = apply(post_on(
        "c-1",
        "facebook:ann",
        "my order never arrived",
        true,
        w.clock.now(),
    ))
    .await;
    let Ok(Threaded::Opened(case_id)) = parent else {
        panic!("{parent:?}")
    };
    let case = case_of(&w, &case_id).await;
    assert!(
        case.contains(&id("facebook:c-1")) && case.contains(&id("facebook:c-2")),
        "{:?}",
        case.posts
    );
    assert!(!case.contains(&id("facebook:c-3")), "someone else's reply stays theirs");
    assert!(!case.contains(&id("facebook:c-8")) && !case.contains(&id("facebook:c-9")));
    // Replayed, the parent adopts nothing twice.
    let again = apply(post_on(
        "c-1",
        "facebook:ann",
        "my order never arrived",
        true,
        w.clock.now(),
    ))
    .await;
    assert_eq!(again.ok(), Some(Threaded::Joined(case_id.clone())));
    assert_eq!(case_of(&w, &case_id).await.posts.len(), 2);
    // A cycle of parents (each says it answers the other) ends without a loop.
    let a = apply(reply_to("y-1", "facebook:cy", "a", false, "y-2")).await;
    let b = apply(reply_to("y-2", "facebook:cy", "b help", true, "y-1")).await;
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
}

fn linked(author: &str, reference: &str, via: &str, at: Timestamp) -> PostChange {
    let (channel, _) = author.split_once(':').unwrap_or_else(|| panic!("author {author}"));
    let channel = *Channel::ALL
        .iter()
        .find(|c| c.as_str() == channel)
        .unwrap_or_else(|| panic!("channel {channel}"));
    PostChange::Linked {
        id: id(&format!("{channel}:acme:link-{author}-{via}")),
        author_id: id(author),
        channel,
        account: "acme".into(),
        reference: reference.into(),
        via: via.into(),
        at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_account_linking_and_customer_referrals_link_authors_by_the_brands_id() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let now = w.clock.now();
    // Tara links her Messenger conversation to her Acme account.
    let first = w
        .thread
        .apply(linked("messenger:tara", "CRM-88120", "account_linking", now))
        .await;
    let Ok(Threaded::Linked(Some(tara))) = first else {
        panic!("{first:?}")
    };
    let opened = w
        .created(post_on("k-1", "messenger:tara", "my invoice is wrong", true, now))
        .await;
    let Ok(Threaded::Opened(case_id)) = opened else {
        panic!("{opened:?}")
    };
    // On Instagram she follows a link from her Acme account page: the same person.
    w.clock.advance(60);
    let ig = w
        .thread
        .apply(linked("instagram:tjw", "customer:CRM-88120", "referral", w.clock.now()))
        .await;
    assert_eq!(ig.ok(), Some(Threaded::Linked(Some(tara.clone()))));
    let c = customer_named(&w, &tara).await;
    let via_ig = c
        .identities
        .iter()
        .find(|i| i.author_id == id::<AuthorId>("instagram:tjw"))
        .unwrap_or_else(|| panic!("linked"));
    assert!(matches!(&via_ig.evidence, Evidence::LinkedAccount { identifier, via }
        if identifier == "account:CRM-88120" && via == "referral"));
    let joined = w
        .created(post_on("k-2", "instagram:tjw", "any update?", true, w.clock.now()))
        .await;
    assert_eq!(joined.ok(), Some(Threaded::Joined(case_id)));

    // An ad's ref names nobody.
    let ad = w
        .thread
        .apply(linked("messenger:sam", "bf2026-ad-17", "referral", w.clock.now()))
        .await;
    assert_eq!(ad.ok(), Some(Threaded::Linked(None)));
    assert_eq!(customer_of(&w, "messenger:sam").await, None);

    // A known customer who links an id another customer holds is not merged: it is suggested.
    let other = w
        .created(post_on("k-3", "x:tara_w", "hello??", true, w.clock.now()))
        .await;
    let Ok(Threaded::Opened(other_case)) = other else {
        panic!("{other:?}")
    };
    let relinked = w
        .thread
        .apply(linked("x:tara_w", "CRM-88120", "account_linking", w.clock.now()))
        .await;
    let x_customer = customer_of(&w, "x:tara_w").await;
    assert_eq!(relinked.ok(), Some(Threaded::Linked(x_customer.clone())));
    assert_ne!(x_customer, Some(tara.clone()));
    let view = w
        .desk
        .get_case(&supervisor(), &other_case)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<_> = view
        .suggestions
        .iter()
        .map(|s| (s.customer_id.clone(), s.kind))
        .collect();
    assert_eq!(kinds, vec![(tara, suggest::SuggestionKind::SameIdentifier)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurdly_long_thread_stops_growing_at_its_cap_without_losing_the_posts() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    let apply = |p: Post| w.created(p);
    let Ok(Threaded::Opened(case_id)) = apply(post_on("f-0", "x:flood", "help", true, w.clock.now())).await else {
        panic!("opened")
    };
    for n in 1..Case::MAX_POSTS {
        let joined = apply(post_on(&format!("f-{n}"), "x:flood", "again", false, w.clock.now())).await;
        assert_eq!(joined.ok(), Some(Threaded::Joined(case_id.clone())), "post {n}");
    }
    let over = apply(post_on("f-over", "x:flood", "and again", true, w.clock.now())).await;
    assert_eq!(over.ok(), Some(Threaded::CaseFull(case_id.clone())));
    assert_eq!(case_of(&w, &case_id).await.posts.len(), Case::MAX_POSTS);
    let kept = PostStore::get(w.store.as_ref(), &id("x:f-over")).await.ok().flatten();
    assert!(kept.is_some(), "stored all the same");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_automatic_link_is_detached_and_merging_back_undoes_it() {
    let w = world(vec![agent("ben", &["en"], 5)], 3600);
    // Two people of one family share an email: an agent took the suggestion and merged them.
    let Ok(Threaded::Opened(case_id)) = w
        .created(post_on("d-1", "x:mum", "help, fam@example.com", true, w.clock.now()))
        .await
    else {
        panic!("opened")
    };
    let mum = customer_of(&w, "x:mum").await.unwrap_or_else(|| panic!("mum"));
    let opened = w
        .created(post_on(
            "d-2",
            "facebook:kid",
            "me too, fam@example.com",
            true,
            w.clock.now(),
        ))
        .await;
    assert!(
        matches!(&opened, Ok(Threaded::Opened(c)) if *c != case_id),
        "{opened:?}"
    );
    let sue = supervisor();
    let kid_first = customer_of(&w, "facebook:kid").await.unwrap_or_else(|| panic!("kid"));
    let merged = w.desk.merge_customers(&sue, &kid_first, &mum, Some("same email")).await;
    assert!(merged.is_ok(), "{merged:?}");
    assert_eq!(customer_of(&w, "facebook:kid").await, Some(mum.clone()));

    let only = w.desk.detach_author(&sue, &mum, &id("x:nobody")).await;
    assert!(matches!(only, Err(ServiceError::NotFound(_))), "{only:?}");
    let stranger = Principal {
        agent_id: id("zed"),
        role: Role::Agent,
    };
    let refused = w.desk.detach_author(&stranger, &mum, &id("facebook:kid")).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");

    let kid = w
        .desk
        .detach_author(&sue, &mum, &id("facebook:kid"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(customer_of(&w, "facebook:kid").await, Some(kid.id.clone()));
    assert!(matches!(&kid.identities[0].evidence, Evidence::Detached { from } if *from == mum));
    assert_eq!(kid.identities[0].actor, "sue");
    assert_eq!(customer_named(&w, &mum).await.identities.len(), 1);
    let last = w.desk.detach_author(&sue, &mum, &id("x:mum")).await;
    assert!(
        matches!(last, Err(ServiceError::Conflict(_))),
        "the only author stays: {last:?}"
    );
    // The kid's next request is their own case; what they wrote before stays where it was answered.
    let own = w
        .created(post_on("d-3", "facebook:kid", "still broken", true, w.clock.now()))
        .await;
    assert!(matches!(&own, Ok(Threaded::Opened(c)) if *c != case_id), "{own:?}");
    assert!(case_of(&w, &case_id).await.contains(&id("facebook:d-2")));

    // Merging back undoes the detach.
    let merged = w
        .desk
        .merge_customers(&sue, &kid.id, &mum, Some("same person after all"))
        .await;
    assert!(merged.is_ok(), "{merged:?}");
    assert_eq!(customer_of(&w, "facebook:kid").await, Some(mum));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_the_older_case_s_customer_into_the_newer_s_keeps_the_older_case_and_splits_back() {
    let w = world(vec![agent("ben", &["en"], 1), agent("cat", &["en"], 1)], 3600);
    let (ann, a, tara, b) = two_customers_with_open_cases(&w).await;
    let (case_a, case_b) = (case_of(&w, &a).await, case_of(&w, &b).await);
    let loads_before = loads(&w).await;
    // Ann (older case) into Tara (newer case): the older case is kept, now Tara's.
    let merged = w
        .desk
        .merge_customers(&supervisor(), &ann, &tara, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let fold = merged.fold.clone().unwrap_or_else(|| panic!("fold"));
    assert_eq!((fold.kept, fold.folded), (a.clone(), b.clone()));
    assert_eq!(case_of(&w, &a).await.customer_id, tara);
    assert_eq!(w.store.active_case_of(&tara).await.ok().flatten(), Some(a.clone()));
    assert_eq!(w.store.active_case_of(&ann).await.ok().flatten(), None);
    w.desk
        .split_merge(&supervisor(), &merged.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(content(case_of(&w, &a).await), content(case_a));
    assert_eq!(content(case_of(&w, &b).await), content(case_b));
    assert_eq!(w.store.active_case_of(&ann).await.ok().flatten(), Some(a));
    assert_eq!(w.store.active_case_of(&tara).await.ok().flatten(), Some(b));
    assert_eq!(loads(&w).await, loads_before);
}

/// Issue 14: a customer's history is bounded (a bot or a flood writes thousands of posts, each a
/// read): the newest posts, and how many older ones were left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_history_holds_the_newest_posts_only() {
    let w = world(vec![], 3600);
    let total = socialcare_domain::services::desk::MAX_HISTORY_POSTS + 21;
    let mut customer = None;
    for i in 0..total {
        let p = post_on(
            &format!("f-{i}"),
            "x:flood",
            "my parcel is late, please help",
            true,
            w.clock.now(),
        );
        let threaded = w.created(p).await;
        assert!(
            matches!(threaded, Ok(Threaded::Opened(_) | Threaded::Joined(_))),
            "{threaded:?}"
        );
        customer = customer.or(customer_of(&w, "x:flood").await);
        w.clock.advance(1);
    }
    let customer = customer.unwrap_or_else(|| panic!("customer"));
    let history = w
        .desk
        .customer(&supervisor(), &customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        history.posts.len(),
        socialcare_domain::services::desk::MAX_HISTORY_POSTS
    );
    assert_eq!(history.posts_omitted, 21);
    assert_eq!(
        history.posts.last().map(|p| p.id.clone()),
        Some(id(&format!("x:f-{}", total - 1)))
    );
    assert_eq!(history.posts.first().map(|p| p.id.clone()), Some(id("x:f-21")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_whose_customer_deleted_every_post_resolves_itself_as_withdrawn() {
    let w = world(vec![agent("ben", &["en"], 1)], 60);
    let now = w.clock.now();
    let delete = |pid: &str| PostChange::Deleted {
        post_id: id(&format!("generic:forum:{pid}")),
        author_id: None,
        at: now,
    };
    // One post, assigned to ben (his only slot).
    let Ok(Threaded::Opened(lone)) = w.created(post("w1", "tara", "en", true, now)).await else {
        panic!("no case")
    };
    route_pending(&w).await;
    assert_eq!(case_of(&w, &lone).await.assignee, Some(id("ben")));
    assert_eq!(loads(&w).await, vec![(id("ben"), 1)]);
    w.clock.advance(5);
    assert_eq!(w.thread.apply(delete("w1")).await.ok(), Some(Threaded::Redacted));
    let case = case_of(&w, &lone).await;
    assert_eq!(case.status, CaseStatus::Resolved);
    assert!(case.is_withdrawn());
    assert!(
        case.sla.iter().all(|c| c.met_at.is_some()),
        "clocks stopped: {:?}",
        case.sla
    );
    assert!(
        case.history
            .iter()
            .any(|e| matches!(&e.kind, CaseEventKind::Withdrawn { post_id } if post_id.as_str() == "generic:forum:w1"))
    );
    assert_eq!(loads(&w).await, vec![(id("ben"), 0)], "ben's slot is free");

    // Two posts: deleting one leaves a case to answer; deleting both withdraws it.
    let Ok(Threaded::Opened(two)) = w.created(post("w2", "joe", "en", true, now)).await else {
        panic!("no case")
    };
    assert!(w.created(post("w3", "joe", "en", true, now)).await.is_ok());
    route_pending(&w).await;
    assert_eq!(w.thread.apply(delete("w2")).await.ok(), Some(Threaded::Redacted));
    assert_eq!(case_of(&w, &two).await.status, CaseStatus::Open);
    assert!(!case_of(&w, &two).await.is_withdrawn());
    // The case shows the withdrawn post, with its reason, once (a replay adds nothing).
    let noted = |c: &socialcare_domain::Case| {
        c.history
            .iter()
            .filter(|e| {
                matches!(&e.kind, CaseEventKind::PostWithdrawn { post_id, reason }
                    if post_id.as_str() == "generic:forum:w2" && reason == "deleted")
            })
            .count()
    };
    assert_eq!(noted(&case_of(&w, &two).await), 1);
    assert_eq!(w.thread.apply(delete("w2")).await.ok(), Some(Threaded::Redacted));
    assert_eq!(noted(&case_of(&w, &two).await), 1);
    assert_eq!(w.thread.apply(delete("w3")).await.ok(), Some(Threaded::Redacted));
    assert!(case_of(&w, &two).await.is_withdrawn());
    assert_eq!(loads(&w).await, vec![(id("ben"), 0)]);
    // A replayed delete changes nothing more.
    let before = case_of(&w, &two).await;
    assert_eq!(w.thread.apply(delete("w3")).await.ok(), Some(Threaded::Redacted));
    assert_eq!(case_of(&w, &two).await.version, before.version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_gone_redacts_every_post_of_theirs_once_and_completes_the_request() {
    use socialcare_domain::deletion::{DeletionRequest, DeletionStatus, code_from};
    use socialcare_domain::ports::DeletionStore;
    let w = world(vec![agent("ben", &["en"], 2)], 60);
    let now = w.clock.now();
    // Kim asks twice (one case) and chats once (no case); Lee's post is not Kim's.
    let Ok(Threaded::Opened(kims)) = w.created(post("g1", "kim", "en", true, now)).await else {
        panic!("no case")
    };
    assert!(w.created(post("g2", "kim", "en", true, now)).await.is_ok());
    assert!(w.created(post("g3", "kim", "en", false, now)).await.is_ok());
    let Ok(Threaded::Opened(lees)) = w.created(post("g4", "lee", "en", true, now)).await else {
        panic!("no case")
    };
    let code = code_from([5; 16]);
    assert!(
        w.store
            .record_deletion(&DeletionRequest::received(code.clone(), "meta", now))
            .await
            .unwrap_or(false)
    );
    let gone = PostChange::AuthorGone {
        id: id(&format!("meta:deletion:{code}")),
        authors: vec![id("generic:forum:kim")],
        reason: "meta.data_deletion".into(),
        request: Some(code.clone()),
        at: now,
    };
    w.clock.advance(5);
    for _ in 0..2 {
        // Applied twice: a redelivery redacts nothing twice and counts the same.
        assert_eq!(w.thread.apply(gone.clone()).await.ok(), Some(Threaded::Redacted));
        let request = w.store.deletion(&code).await.ok().flatten();
        assert_eq!(
            request.as_ref().map(|r| (r.status, r.posts_redacted)),
            Some((DeletionStatus::Completed, 3))
        );
    }
    for pid in ["g1", "g2", "g3"] {
        let p = PostStore::get(w.store.as_ref(), &id(&format!("generic:forum:{pid}")))
            .await
            .ok()
            .flatten();
        assert!(
            p.is_some_and(|p| p.deleted && p.text == socialcare_domain::post::REDACTED),
            "{pid}"
        );
    }
    let kims = case_of(&w, &kims).await;
    assert!(kims.is_withdrawn(), "no post of Kim's left: the case resolved itself");
    let notes = kims
        .history
        .iter()
        .filter(|e| matches!(&e.kind, CaseEventKind::PostWithdrawn { reason, .. } if reason == "meta.data_deletion"))
        .count();
    // The chatter joined Kim's active case too (a known customer's post does).
    assert_eq!(notes, 3, "each withdrawn post on the case noted once");
    let lee = PostStore::get(w.store.as_ref(), &id("generic:forum:g4"))
        .await
        .ok()
        .flatten();
    assert!(lee.is_some_and(|p| !p.deleted), "nobody else's post");
    assert_eq!(case_of(&w, &lees).await.status, CaseStatus::New);
}

/// Walks `GET /v1/cases`-style pages of `limit` as `who` to the end: the ids, and each page's size.
async fn walk_pages(w: &World, who: &Principal, limit: usize) -> (Vec<CaseId>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut after = None;
    loop {
        let page = w
            .desk
            .list_cases(
                who,
                CaseQuery {
                    limit: Some(limit),
                    after: after.clone(),
                    ..CaseQuery::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sizes.push(page.cases.len());
        ids.extend(page.cases.iter().map(|c| c.id.clone()));
        match page.next {
            Some(next) => after = Some(next),
            None => return (ids, sizes),
        }
        assert!(sizes.len() < 100, "pages never end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_skip_what_the_agent_may_not_see_and_walk_the_rest_once() {
    let w = world(vec![agent("ana", &["pt"], 1), agent("ben", &["en"], 1)], 60);
    // Eight cases, one a second: Portuguese and French ones Ben may not see between English ones.
    for (i, l) in ["en", "pt", "fr", "fr", "en", "pt", "fr", "en"].iter().enumerate() {
        w.clock.advance(1);
        w.created(post(&format!("{i}"), &format!("a{i}"), l, true, w.clock.now()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    route_pending(&w).await;
    let mut all = CaseStore::list(w.store.as_ref(), &CaseQuery::default())
        .await
        .unwrap_or_default();
    all.reverse();
    let sam = Principal {
        agent_id: id("sam"),
        role: Role::Supervisor,
    };
    let ben = Principal {
        agent_id: id("ben"),
        role: Role::Agent,
    };
    let (ids, sizes) = walk_pages(&w, &sam, 3).await;
    assert_eq!(
        ids,
        all.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "newest case first"
    );
    assert_eq!(sizes, [3, 3, 2]);
    let english: Vec<CaseId> = all
        .iter()
        .filter(|c| c.language == Some(lang("en")))
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(english.len(), 3);
    let (ids, sizes) = walk_pages(&w, &ben, 1).await;
    assert_eq!(ids, english, "Ben's pages hold only what he may read, each once");
    assert!(sizes.iter().all(|s| *s <= 1), "{sizes:?}");
}
