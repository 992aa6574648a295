//! SLA scenarios over the memory backend with a fixed clock: warning, breach and the escalation
//! ladder in order; an early reply silences every level; pending pauses and a customer post
//! resumes; next response per customer post; exactly one alert per level despite duplicate
//! ticks and overlapping tickers.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::ports::{AgentStore, AlertQuery, AlertSink, AlertStore, CaseStore, Clock, LoadChange};
use socialcare_domain::services::desk::Principal;
use socialcare_domain::services::route::{RouteService, Routed};
use socialcare_domain::services::sla::SlaService;
use socialcare_domain::services::sla_desk::SlaDesk;
use socialcare_domain::sla::{ClockState, Escalation, Policy, Target};
use socialcare_domain::*;
use socialcare_memory::{MemoryStore, RecordingAlertSink};
use std::sync::{Arc, Mutex};

const T0: i64 = 1_800_000_000;

struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    fn set(&self, secs_after_t0: i64) {
        if let Ok(mut t) = self.0.lock() {
            *t = ts(secs_after_t0);
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

fn ts(secs_after_t0: i64) -> Timestamp {
    Timestamp::from_second(T0 + secs_after_t0).unwrap_or_else(|_| unreachable!())
}

fn id<T: TryFrom<String>>(s: &str) -> T {
    T::try_from(s.to_string()).unwrap_or_else(|_| panic!("bad id {s}"))
}

/// 24×7, P3: first response 100 s, next response 60 s, resolution 1000 s; warn at 75 %;
/// level 2 50 s after the breach, level 3 100 s after it.
fn policy() -> SlaPolicy {
    let secs = SignedDuration::from_secs;
    let mut p = Policy::first_response_only("test", &Priority::ALL.iter().map(|p| (*p, 100)).collect());
    p.targets.insert(
        Target::NextResponse,
        Priority::ALL.iter().map(|p| (*p, secs(60))).collect(),
    );
    p.targets.insert(
        Target::Resolution,
        Priority::ALL.iter().map(|p| (*p, secs(1000))).collect(),
    );
    // A raised priority gets less time, so a recompute is visible.
    if let Some(fr) = p.targets.get_mut(&Target::Resolution) {
        fr.insert(Priority::P2, secs(800));
    }
    p.warning_percent = Some(75);
    p.escalation = Escalation {
        level2_after: Some(secs(50)),
        level3_after: Some(secs(100)),
    };
    SlaPolicy::single(p)
}

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<FixedClock>,
    route: RouteService,
    sla: Arc<SlaService>,
    sink: Arc<RecordingAlertSink>,
    desk: SlaDesk,
    case_id: CaseId,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock(Mutex::new(ts(0))));
    let policy = policy();
    let sink = Arc::new(RecordingAlertSink::new());
    let route = RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        policy.clone(),
    );
    let sla = Arc::new(SlaService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        sink.clone(),
        clock.clone(),
        policy.clone(),
    ));
    let desk = SlaDesk::new(store.clone(), store.clone(), store.clone(), clock.clone(), policy);
    let ana = Agent {
        id: id("ana"),
        name: "Ana".into(),
        languages: vec![Language::parse("en").unwrap_or_else(|e| panic!("{e}"))],
        skills: Default::default(),
        capacity: 2,
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
    };
    store.seed(&ana).await.unwrap_or_else(|e| panic!("{e}"));
    let case = Case {
        id: id("case-1"),
        customer_id: id("cus-1"),
        status: CaseStatus::New,
        priority: Priority::P3,
        language: Language::parse("en").ok(),
        channel: Channel::Generic,
        account: "forum".into(),
        queue: "general".into(),
        posts: vec![id("p1")],
        assignee: None,
        version: 1,
        created_at: ts(0),
        updated_at: ts(0),
        first_response_at: None,
        resolved_at: None,
        sla: vec![],
        routing: Default::default(),
        facts: Default::default(),
        history: vec![CaseEvent {
            at: ts(0),
            actor: Actor::Customer,
            kind: CaseEventKind::Opened { post_id: id("p1") },
        }],
    };
    store.create(&case).await.unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        store,
        clock,
        route,
        sla,
        sink,
        desk,
        case_id: case.id,
    };
    let routed = w
        .route
        .on_case_updated(&w.case_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(routed, Routed::Assigned(id("ana")));
    w
}

impl World {
    async fn case(&self) -> Case {
        CaseStore::get(self.store.as_ref(), &self.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no case"))
    }
    /// Ticks at `secs` after T0 and returns the ids of the alerts that tick raised.
    async fn tick_at(&self, secs: i64) -> Vec<String> {
        self.clock.set(secs);
        let before = self.sink.alerts().len();
        self.sla.tick().await.unwrap_or_else(|e| panic!("{e}"));
        self.sink.alerts()[before..].iter().map(|a| a.id.clone()).collect()
    }
    async fn change(&self, f: impl FnOnce(&mut Case)) {
        let mut case = self.case().await;
        let expected = case.version;
        f(&mut case);
        case.version += 1;
        self.store
            .save(&case, expected, LoadChange::None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    async fn reply_at(&self, secs: i64, post: &str) {
        self.clock.set(secs);
        self.change(|c| {
            c.add_agent_reply(&id("ana"), &id(post), ts(secs))
                .unwrap_or_else(|e| panic!("{e}"));
        })
        .await;
    }
    /// A customer post joins the case and `case.updated` reaches the router, as from `thread`.
    async fn customer_post_at(&self, secs: i64, post: &str) {
        self.clock.set(secs);
        self.change(|c| {
            c.add_customer_post(&id(post), ts(secs));
        })
        .await;
        self.route
            .on_case_updated(&self.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    async fn load_of(&self, agent: &str) -> u32 {
        AgentStore::get(self.store.as_ref(), &id(agent))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .map_or(u32::MAX, |a| a.load)
    }
}

fn clock(case: &Case, target: Target) -> &SlaClock {
    case.sla
        .iter()
        .rev()
        .find(|c| c.target == target)
        .unwrap_or_else(|| panic!("no {target} clock"))
}

#[tokio::test]
async fn warning_then_breach_then_escalation_levels() {
    let w = world().await;
    assert_eq!(w.load_of("ana").await, 1);
    // (tick at, alerts raised)
    let table: [(i64, &[&str]); 7] = [
        (74, &[]),
        (75, &["case-1#first_response#warning"]),
        (99, &[]),
        (100, &["case-1#first_response#breach"]),
        (149, &[]),
        (150, &["case-1#first_response#escalation_2"]),
        (200, &["case-1#first_response#escalation_3"]),
    ];
    for (at, expected) in table {
        assert_eq!(w.tick_at(at).await, expected, "tick at +{at}s");
        if at == 75 {
            assert_eq!(
                clock(&w.case().await, Target::FirstResponse).state(),
                ClockState::Warned
            );
        }
    }
    let case = w.case().await;
    let fr = clock(&case, Target::FirstResponse);
    assert_eq!(fr.state(), ClockState::Breached);
    assert_eq!(fr.escalated, 3);
    // Level 2: priority up, back in the queue, the agent's slot freed in the same write.
    assert_eq!(case.priority, Priority::P2);
    assert!(case.is_waiting(), "back in its queue");
    assert_eq!(w.load_of("ana").await, 0);
    assert!(case.history.iter().any(|e| matches!(
        &e.kind,
        CaseEventKind::Escalated(sla::EscalationEvent { from: Priority::P3, to: Priority::P2, unassigned: Some(a), .. }) if a.as_str() == "ana"
    )));
    // The new priority moved the running resolution deadline (1000 s → 800 s), in a new epoch.
    let resolution = clock(&case, Target::Resolution);
    assert_eq!(resolution.due_at, ts(800));
    assert!(resolution.epoch > 1);
    // The alerts carry who they are for.
    let alerts = w.sink.alerts();
    assert_eq!(alerts.len(), 4);
    assert_eq!(alerts[3].audience(), "head_of_support");
    assert_eq!(alerts[1].audience(), "supervisors");
    // The old resolution warning (at 750) is stale; the new one is at 600.
    assert_eq!(w.tick_at(600).await, vec!["case-1#resolution#warning".to_string()]);
}

#[tokio::test]
async fn a_reply_before_the_warning_raises_nothing() {
    let w = world().await;
    w.reply_at(50, "r1").await;
    for at in [75, 100, 150, 200, 300] {
        assert_eq!(w.tick_at(at).await, Vec::<String>::new(), "tick at +{at}s");
    }
    let case = w.case().await;
    assert_eq!(clock(&case, Target::FirstResponse).state(), ClockState::Met);
    assert_eq!(
        clock(&case, Target::Resolution).state(),
        ClockState::Running,
        "a reply does not resolve"
    );
    let logged = AlertStore::list(w.store.as_ref(), &AlertQuery::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(logged.is_empty(), "{logged:?}");
}

#[tokio::test]
async fn pending_pauses_and_a_customer_post_resumes() {
    let w = world().await;
    w.clock.set(40);
    let ana = Principal {
        agent_id: id("ana"),
        role: Role::Agent,
    };
    let case = w
        .desk
        .set_pending(&ana, &w.case_id, Some("asked for the order number"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let fr = clock(&case, Target::FirstResponse);
    assert_eq!(fr.state(), ClockState::Paused);
    assert_eq!(
        fr.remaining_ms(ts(500)),
        Some(60_000),
        "60 s of business time left, frozen"
    );
    assert_eq!(fr.pauses.len(), 1);
    assert_eq!(fr.pauses[0].from, ts(40));
    assert_eq!(fr.pauses[0].actor, Actor::Agent(id("ana")));
    assert_eq!(fr.pauses[0].reason, "asked for the order number");
    // Nothing fires while pending, however long it lasts.
    for at in [75, 100, 150, 500, 999] {
        assert_eq!(w.tick_at(at).await, Vec::<String>::new(), "tick at +{at}s while paused");
    }
    // Another agent may not set someone else's case pending.
    let bob = Principal {
        agent_id: id("bob"),
        role: Role::Agent,
    };
    assert!(w.desk.set_pending(&bob, &w.case_id, None).await.is_err());

    w.customer_post_at(1000, "p2").await;
    let case = w.case().await;
    assert_eq!(case.status, CaseStatus::Open);
    let fr = clock(&case, Target::FirstResponse);
    assert_eq!(fr.state(), ClockState::Running);
    assert_eq!(fr.pauses[0].to, Some(ts(1000)));
    assert_eq!(fr.pauses[0].resumed_by, Some(Actor::Customer));
    // 40 s ran before the pause: the deadline moves by the 960 s pause, 100 → 1060.
    assert_eq!(fr.due_at, ts(1060));
    // Warning at 75 s of business time: 35 s after resuming.
    assert_eq!(w.tick_at(1034).await, Vec::<String>::new());
    assert_eq!(w.tick_at(1035).await, vec!["case-1#first_response#warning".to_string()]);
    assert_eq!(w.tick_at(1059).await, Vec::<String>::new());
    assert_eq!(w.tick_at(1060).await, vec!["case-1#first_response#breach".to_string()]);
}

#[tokio::test]
async fn each_customer_post_after_a_reply_starts_a_next_response_clock() {
    let w = world().await;
    w.reply_at(10, "r1").await;
    w.customer_post_at(20, "p2").await;
    let case = w.case().await;
    let nr = clock(&case, Target::NextResponse);
    assert_eq!((nr.cycle, nr.started_at, nr.due_at), (1, ts(20), ts(80)));
    // A second post before any answer does not start another cycle.
    w.customer_post_at(30, "p3").await;
    assert_eq!(
        w.case()
            .await
            .sla
            .iter()
            .filter(|c| c.target == Target::NextResponse)
            .count(),
        1
    );
    assert_eq!(
        w.tick_at(80).await,
        vec![
            "case-1#next_response-1#warning".to_string(),
            "case-1#next_response-1#breach".to_string()
        ]
    );
    w.reply_at(90, "r2").await;
    w.customer_post_at(100, "p4").await;
    let case = w.case().await;
    let nr2 = clock(&case, Target::NextResponse);
    assert_eq!((nr2.cycle, nr2.due_at), (2, ts(160)));
    assert_eq!(w.tick_at(145).await, vec!["case-1#next_response-2#warning".to_string()]);
    w.reply_at(150, "r3").await;
    assert_eq!(w.tick_at(400).await, Vec::<String>::new(), "met in time: no breach");
}

#[tokio::test]
async fn duplicate_ticks_raise_one_alert_per_level() {
    let w = world().await;
    for at in [100, 100, 101, 100, 120] {
        w.tick_at(at).await;
    }
    let ids: Vec<String> = w.sink.alerts().into_iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        vec![
            "case-1#first_response#warning".to_string(),
            "case-1#first_response#breach".to_string()
        ]
    );
    let logged = AlertStore::list(w.store.as_ref(), &AlertQuery::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(logged.len(), 2);
}

/// A sink that lets other tasks run while it publishes, as a webhook call would.
struct SlowSink(RecordingAlertSink);

#[async_trait]
impl AlertSink for SlowSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        self.0.publish(alert).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_tickers_raise_one_alert_per_level() {
    let w = world().await;
    let sink = Arc::new(SlowSink(RecordingAlertSink::new()));
    let tickers: Vec<Arc<SlaService>> = (0..4)
        .map(|_| {
            Arc::new(SlaService::new(
                w.store.clone(),
                w.store.clone(),
                w.store.clone(),
                sink.clone(),
                w.clock.clone(),
                policy(),
            ))
        })
        .collect();
    for at in [75, 100, 150, 200] {
        w.clock.set(at);
        let mut handles = Vec::new();
        for round in 0..3 {
            for t in &tickers {
                let t = t.clone();
                handles.push(tokio::spawn(async move {
                    for _ in 0..round {
                        tokio::task::yield_now().await;
                    }
                    t.tick().await
                }));
            }
        }
        for h in handles {
            h.await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut ids: Vec<String> = sink.0.alerts().into_iter().map(|a| a.id).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "case-1#first_response#breach".to_string(),
            "case-1#first_response#escalation_2".to_string(),
            "case-1#first_response#escalation_3".to_string(),
            "case-1#first_response#warning".to_string(),
        ],
        "one delivery per level"
    );
    assert_eq!(w.load_of("ana").await, 0, "the slot is released once, not twice");
}
