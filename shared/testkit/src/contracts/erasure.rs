//! Erasure of a customer (`services::privacy`), on a whole store: a customer with posts on X,
//! Facebook and Instagram, cases, two merges, a reply, a delivery error naming them, an
//! identifier, a parked message, a trend alert, a label and a triage entry. After the erasure,
//! a dump of **every** record of every table (the caller's: the memory store's debug dump, or a
//! scan of every DynamoDB table) holds none of their texts, handles, names, platform ids or
//! identifiers; the metrics computed from the cases are the same as before; asking again
//! answers the same record. The crash suite fails the erasure's writes after `k` of them and
//! asks again: the same no-trace holds.

use crate::sample;
use async_trait::async_trait;
use futures::future::BoxFuture;
use jiff::Timestamp;
use socialcare_domain::customer::{ERASED, ErasureState, Identifier, IdentifierKind};
use socialcare_domain::ports::{
    AgentStore, CaseQuery, Eraser, IdentityIndex, LoadChange, Parked, PostStore, Publisher,
};
use socialcare_domain::services::desk::Principal;
use socialcare_domain::services::merge::MergeService;
use socialcare_domain::services::privacy::{PrivacyPorts, PrivacyService};
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::triage::{Label, LabelFields, LabelOrigin, TriageEntry};
use socialcare_domain::{
    AgentId, Author, AuthorId, CaseId, Channel, CustomerId, Envelope, PortError, PortResult, Post, PostChange, PostId,
    Priority, Role, SlaPolicy,
};
use socialcare_trends::store::TrendStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Every record of every table, as text.
pub type Dump = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<String>> + Send + Sync>;

/// A fresh, empty deployment's stores.
#[derive(Clone)]
pub struct ErasureWorld {
    /// The erasure's ports (its `erasers` are filled by the suite from `trends`).
    pub ports: PrivacyPorts,
    pub agents: Arc<dyn AgentStore>,
    pub trends: Arc<dyn TrendStore>,
    pub dump: Dump,
}

struct Silent;

#[async_trait]
impl Publisher for Silent {
    async fn publish(&self, _: &Envelope) -> PortResult<()> {
        Ok(())
    }
}

/// What names the person: none of it may survive the erasure anywhere.
const SECRETS: &[&str] = &[
    // texts
    "router QX-7731 drops every evening",
    "still dropping, Priya here again",
    "Facebook: my refund for the QX-7731 never came",
    "instagram story: the QX-7731 is smoking",
    "Hi Priya Raman, we are sending a courier",
    "off to Leeds for the weekend, Priya signing off",
    // handles and names
    "priya_r_on_x",
    "Priya Raman",
    "priya.raman.fb",
    "Priya R. (FB)",
    "priyagram_77",
    // platform user ids
    "4417730001",
    "5528840002",
    "6639950003",
    // identifiers
    "priya.raman@example.net",
    "88421953",
    // media
    "cdn.example/priya-router.jpg",
];

/// The keys the display names are indexed under for the similar-name suggestions: in the
/// stores (the dump must not hold them after), not in the export (an index, not data).
const NAME_KEYS: &[&str] = &["priya raman", "fb priya r"];

fn id<T>(r: Result<T, socialcare_domain::IdError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

fn author(channel: &str, user: &str, handle: &str, name: &str) -> anyhow::Result<Author> {
    Ok(Author {
        id: id(AuthorId::parse(format!("{channel}:{user}")))?,
        handle: handle.into(),
        name: Some(name.into()),
        followers: Some(10),
        verified: Some(false),
        following: None,
        joined_at: None,
    })
}

fn post(channel: Channel, platform_id: &str, who: &Author, text: &str, at: Timestamp) -> anyhow::Result<Post> {
    let mut p = sample::post("generic:forum:x", "generic:forum:x", at)?;
    p.channel = channel;
    p.account = "brand".into();
    p.platform_id = platform_id.into();
    p.id = id(Post::id_on(channel, "brand", platform_id))?;
    p.author = who.clone();
    p.text = text.into();
    p.classification = Some(sample::classification(true));
    Ok(p)
}

/// The seeded customer, and the figures before the erasure.
pub struct Seeded {
    /// The customers: the one that stays (X), then the two merged into it (Facebook, Instagram).
    pub customers: [CustomerId; 3],
    pub x_author: Author,
}

fn policy() -> SlaPolicy {
    SlaPolicy::first_response_only(BTreeMap::from([(Priority::P3, 600)]))
}

/// The metrics' view of every case: everything the reports and SLA metrics read.
async fn figures(w: &ErasureWorld) -> anyhow::Result<String> {
    let mut cases = w.ports.cases.list(&CaseQuery::default()).await?;
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let attainment =
        socialcare_domain::metrics::attainment(&cases, socialcare_domain::metrics::GroupBy::Channel, &policy());
    let rows: Vec<_> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id, "customer": c.customer_id, "status": c.status, "priority": c.priority,
                "channel": c.channel, "queue": c.queue, "language": c.language, "assignee": c.assignee,
                "created_at": c.created_at, "updated_at": c.updated_at, "first_response_at": c.first_response_at,
                "resolved_at": c.resolved_at, "sla": c.sla, "posts": c.posts.len(), "facts": c.facts,
                "history": c.history.len(),
            })
        })
        .collect();
    let mut posts = vec![];
    for c in &cases {
        for p in w.ports.posts.get_many(&c.posts).await? {
            posts.push(
                serde_json::json!({"id": p.id, "at": p.created_at, "direction": p.direction,
                "channel": p.channel, "classification": p.classification}),
            );
        }
    }
    let alerts = w.ports.alerts.list(&Default::default()).await?;
    Ok(serde_json::to_string(&serde_json::json!({
        "attainment": attainment, "cases": rows, "posts": posts, "alerts": alerts.len(),
    }))?)
}

/// Seeds the customer of [`SECRETS`] on `w`.
pub async fn seed(w: &ErasureWorld) -> anyhow::Result<Seeded> {
    let p = &w.ports;
    let clock = p.clock.clone();
    let thread = ThreadService::new(
        p.posts.clone(),
        p.customers.clone(),
        p.cases.clone(),
        Arc::new(Silent),
        clock.clone(),
        "general".into(),
    );
    let t0 = clock.now();
    let at = |s: i64| t0 + jiff::SignedDuration::from_secs(s);
    let x = author("x", "4417730001", "priya_r_on_x", "Priya Raman")?;
    let fb = author("facebook", "5528840002", "priya.raman.fb", "Priya R. (FB)")?;
    let ig = author("instagram", "6639950003", "priyagram_77", "Priya Raman")?;
    let mut x1 = post(
        Channel::X,
        "t-1",
        &x,
        "router QX-7731 drops every evening, order #88421953",
        at(0),
    )?;
    x1.attachments.push(socialcare_domain::Attachment::new(
        "image",
        Some("https://cdn.example/priya-router.jpg"),
    ));
    let x2 = post(Channel::X, "t-2", &x, "still dropping, Priya here again", at(60))?;
    let f1 = post(
        Channel::Facebook,
        "f-1",
        &fb,
        "Facebook: my refund for the QX-7731 never came",
        at(120),
    )?;
    let i1 = post(
        Channel::Instagram,
        "i-1",
        &ig,
        "instagram story: the QX-7731 is smoking",
        at(180),
    )?;
    for change in [&x1, &x2, &f1, &i1] {
        thread
            .apply(PostChange::Created {
                post: Box::new(change.clone()),
            })
            .await
            .map_err(|e| anyhow::anyhow!("thread: {e}"))?;
    }
    // Chatter of her X handle that joined no case: found through the posts' author index.
    let mut chatter = post(
        Channel::X,
        "t-chatter",
        &x,
        "off to Leeds for the weekend, Priya signing off",
        at(240),
    )?;
    chatter.classification = Some(sample::classification(false));
    p.posts.insert(&chatter).await?;
    let customer_of = |a: &Author| {
        let a = a.id.clone();
        let customers = p.customers.clone();
        async move {
            customers
                .customer_of(&a)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{a} has no customer"))
        }
    };
    let (cx, cf, ci) = (customer_of(&x).await?, customer_of(&fb).await?, customer_of(&ig).await?);
    p.customers
        .link_identifier(
            &Identifier::normalise(IdentifierKind::Email, "priya.raman@example.net")
                .ok_or_else(|| anyhow::anyhow!("email"))?,
            &cf,
            &fb.id,
            at(121),
            5,
        )
        .await?;
    // The X case: answered, a delivery error naming the handle, an SLA clock and alert, resolved.
    let agent = sample::agent("ben", 5)?;
    w.agents.seed(&agent).await?;
    let x_case = p
        .cases
        .active_case_of(&cx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no X case"))?;
    let mut case = p.cases.get(&x_case).await?.ok_or_else(|| anyhow::anyhow!("X case"))?;
    policy().reconcile(&mut case, at(1));
    case.assign(&agent.id, at(70))?;
    let mut reply = post(
        Channel::X,
        "reply-1",
        &x,
        "Hi Priya Raman, we are sending a courier",
        at(90),
    )?;
    reply.id = id(PostId::parse(format!("reply:{}:1", case.id)))?;
    reply.direction = socialcare_domain::Direction::Outbound;
    reply.author = author("agent", "ben", "ben", "Ben")?;
    reply.recipient = Some(x.id.clone());
    reply.classification = None;
    reply.delivery = Some(socialcare_domain::Delivery::Failed {
        reason: "X refused: @priya_r_on_x blocks the brand".into(),
        at: at(95),
    });
    p.posts.insert(&reply).await?;
    case.add_agent_reply(&agent.id, &reply.id, at(90))?;
    case.note_delivery_failure(&reply.id, "X refused: @priya_r_on_x blocks the brand", at(95));
    policy().reconcile(&mut case, at(95));
    case.resolve(&agent.id, at(100))?;
    let expected = case.version;
    case.version += 1;
    p.cases.save(&case, expected, LoadChange::None).await?;
    let mut alert = sample::alert(case.id.as_str(), "general", at(30))?;
    alert.customer_id = cx.clone();
    p.alerts.record(&alert).await?;
    // Facebook and Instagram merged into X: two merges, the Instagram case folded into Facebook's.
    let merges = MergeService::new(p.customers.clone(), p.cases.clone(), Arc::new(Silent), clock.clone());
    let sam = id(AgentId::parse("sam"))?;
    merges
        .merge(&cf, &cx, &sam, Some("same person: Priya Raman on Facebook"))
        .await
        .map_err(|e| anyhow::anyhow!("merge fb: {e}"))?;
    merges
        .merge(&ci, &cx, &sam, Some("priyagram_77 is Priya"))
        .await
        .map_err(|e| anyhow::anyhow!("merge ig: {e}"))?;
    // Elsewhere: a parked message with her post, a trend alert naming her, a label, a triage entry.
    p.parking
        .park(&Parked {
            source: "thread".into(),
            message_id: "m-poison-1".into(),
            body: format!(
                "{{\"author\":\"4417730001\",\"text\":\"still dropping, Priya here again\",\"post\":\"{}\"}}",
                x2.id
            ),
            reason: "bad event".into(),
            at: at(200),
        })
        .await?;
    p.parking.park(&sample::parked("thread", "m-other", at(201))).await?;
    let mut trend = sample::trend_alert("trend-qx", at(300).as_second());
    trend.examples = vec![x1.id.to_string(), "x:brand:someone-else".into()];
    trend.authors = vec![x.id.to_string(), "x:someone-else".into()];
    w.trends.record_alert(&trend).await?;
    p.labels
        .append_label(&Label {
            post_id: x2.id.clone(),
            fields: LabelFields {
                actionable: Some(true),
                ..LabelFields::default()
            },
            by: agent.id.clone(),
            at: at(400),
            origin: LabelOrigin::Api,
        })
        .await?;
    p.triage
        .list_for_triage(&TriageEntry {
            post_id: f1.id.clone(),
            received_at: f1.received_at,
            listed_at: at(130),
            decided: None,
        })
        .await?;
    let mut cases: Vec<CaseId> = p
        .cases
        .list(&CaseQuery::default())
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    cases.sort();
    anyhow::ensure!(
        cases.len() == 3,
        "three cases opened (X, Facebook, Instagram): {cases:?}"
    );
    Ok(Seeded {
        customers: [cx, cf, ci],
        x_author: x,
    })
}

fn supervisor() -> anyhow::Result<Principal> {
    Ok(Principal {
        agent_id: id(AgentId::parse("sam"))?,
        role: Role::Supervisor,
    })
}

fn service(w: &ErasureWorld) -> PrivacyService {
    let mut ports = w.ports.clone();
    ports.erasers = vec![Arc::new(socialcare_trends::store::TrendEraser(w.trends.clone())) as Arc<dyn Eraser>];
    PrivacyService::new(ports)
}

/// Fails when any secret is in the dump; names which and where.
async fn assert_no_trace(w: &ErasureWorld) -> anyhow::Result<()> {
    let dump = (w.dump)().await?;
    let found: Vec<String> = SECRETS
        .iter()
        .chain(NAME_KEYS)
        .filter_map(|s| {
            dump.find(s).map(|i| {
                let bytes = &dump.as_bytes()[i.saturating_sub(80)..(i + s.len() + 80).min(dump.len())];
                format!("`{s}` in …{}…", String::from_utf8_lossy(bytes))
            })
        })
        .collect();
    anyhow::ensure!(found.is_empty(), "erased values survive:\n{}", found.join("\n"));
    Ok(())
}

/// The no-trace suite: seed, export, erase (by a merged customer's id), then search every record.
pub async fn erasure_leaves_no_trace(w: ErasureWorld) -> anyhow::Result<()> {
    let seeded = seed(&w).await?;
    let [cx, cf, ci] = seeded.customers.clone();
    let privacy = service(&w);
    let who = supervisor()?;
    // The seed put every secret in the stores: the dump finds them (the check can fail).
    let before_dump = (w.dump)().await?;
    for s in SECRETS.iter().chain(NAME_KEYS) {
        anyhow::ensure!(before_dump.contains(s), "the seed should have stored `{s}`");
    }
    // Export by a merged customer's id: the surviving customer's whole story.
    let export = privacy
        .export(&who, &ci)
        .await
        .map_err(|e| anyhow::anyhow!("export: {e}"))?;
    anyhow::ensure!(export.merged_into.as_ref() == Some(&cx), "export names the survivor");
    anyhow::ensure!(export.customer.id == cx && export.merged_customers.len() == 2);
    anyhow::ensure!(export.cases.len() == 3, "cases: {}", export.cases.len());
    anyhow::ensure!(export.posts.len() == 5 && export.replies.len() == 1);
    anyhow::ensure!(export.alerts.len() == 1 && export.corrections.len() == 1 && export.triage.len() == 1);
    anyhow::ensure!(export.merges.len() == 2);
    let json = serde_json::to_string(&export)?;
    for s in SECRETS {
        anyhow::ensure!(json.contains(s), "the export should hold `{s}`");
    }
    // An agent may do neither.
    let agent = Principal {
        agent_id: id(AgentId::parse("ben"))?,
        role: Role::Agent,
    };
    anyhow::ensure!(matches!(
        privacy.erase(&agent, &cx).await,
        Err(socialcare_domain::ServiceError::Forbidden(_))
    ));
    anyhow::ensure!(matches!(
        privacy.export(&agent, &cx).await,
        Err(socialcare_domain::ServiceError::Forbidden(_))
    ));
    let unknown = id(CustomerId::parse("cus-nobody"))?;
    anyhow::ensure!(matches!(
        privacy.erase(&who, &unknown).await,
        Err(socialcare_domain::ServiceError::NotFound(_))
    ));

    let figures_before = figures(&w).await?;
    let erasure = privacy
        .erase(&who, &cf)
        .await
        .map_err(|e| anyhow::anyhow!("erase: {e}"))?;
    anyhow::ensure!(erasure.state == ErasureState::Erased && erasure.customer == cx);
    let c = &erasure.counts;
    anyhow::ensure!(
        (
            c.customers,
            c.authors,
            c.identifiers,
            c.posts,
            c.replies,
            c.merges,
            c.parked,
            c.trend_alerts
        ) == (3, 3, 2, 5, 1, 2, 1, 1),
        "counts: {c:?}"
    );
    anyhow::ensure!(c.cases >= 1, "the X case's delivery error was erased: {c:?}");
    assert_no_trace(&w).await?;
    let figures_after = figures(&w).await?;
    anyhow::ensure!(
        figures_before == figures_after,
        "the metrics moved:\nbefore {figures_before}\nafter  {figures_after}"
    );
    // Asking again, by any of the ids: the same record, nothing changes.
    let dump = (w.dump)().await?;
    for asked in [&cx, &cf, &ci] {
        let again = privacy
            .erase(&who, asked)
            .await
            .map_err(|e| anyhow::anyhow!("again: {e}"))?;
        anyhow::ensure!(again == erasure, "a second erasure answers the first record");
    }
    anyhow::ensure!((w.dump)().await? == dump, "a second erasure changes nothing");
    // The export of an erased customer: the record and the cases, no texts.
    let export = privacy
        .export(&who, &cx)
        .await
        .map_err(|e| anyhow::anyhow!("export: {e}"))?;
    anyhow::ensure!(export.customer.erasure.as_ref() == Some(&erasure));
    anyhow::ensure!(export.posts.iter().all(|p| p.text == ERASED));
    // The trend alert keeps its counts and its other examples.
    let trend = w.trends.alerts(0, 10).await?;
    anyhow::ensure!(trend.len() == 1 && trend[0].examples == ["x:brand:someone-else"]);
    anyhow::ensure!(
        w.ports.parking.list(10).await?.len() == 1,
        "the other parked message stays"
    );
    // Her next post on X: a new customer, not the erased one.
    let thread = ThreadService::new(
        w.ports.posts.clone(),
        w.ports.customers.clone(),
        w.ports.cases.clone(),
        Arc::new(Silent),
        w.ports.clock.clone(),
        "general".into(),
    );
    let later = post(Channel::X, "t-9", &seeded.x_author, "new question", w.ports.clock.now())?;
    thread
        .apply(PostChange::Created { post: Box::new(later) })
        .await
        .map_err(|e| anyhow::anyhow!("thread: {e}"))?;
    let now_of = w
        .ports
        .customers
        .customer_of(&seeded.x_author.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new post made no customer"))?;
    anyhow::ensure!(!seeded.customers.contains(&now_of), "the erased customer linked again");
    let fresh = w
        .ports
        .customers
        .get(&now_of)
        .await?
        .ok_or_else(|| anyhow::anyhow!("new"))?;
    anyhow::ensure!(fresh.erasure.is_none() && fresh.identities.len() == 1);
    // The erased customer takes part in no merge.
    let merges = MergeService::new(
        w.ports.customers.clone(),
        w.ports.cases.clone(),
        Arc::new(Silent),
        w.ports.clock.clone(),
    );
    anyhow::ensure!(matches!(
        merges.merge(&now_of, &cx, &who.agent_id, None).await,
        Err(socialcare_domain::ServiceError::Conflict(_))
    ));
    let erased = w
        .ports
        .customers
        .get(&cx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tombstone"))?;
    anyhow::ensure!(erased.identities.is_empty() && erased.erasure.as_ref().is_some_and(|e| e.is_done()));
    Ok(())
}

/// Fails every write through it once `budget` writes have passed: a crash part-way.
struct Crashing {
    posts: Arc<dyn PostStore>,
    index: Arc<dyn IdentityIndex>,
    budget: AtomicI64,
}

impl Crashing {
    fn spend(&self) -> PortResult<()> {
        if self.budget.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(PortError::Unavailable("injected crash".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl PostStore for Crashing {
    async fn insert(&self, post: &Post) -> PortResult<bool> {
        self.spend()?;
        self.posts.insert(post).await
    }
    async fn put(&self, post: &Post) -> PortResult<()> {
        self.spend()?;
        self.posts.put(post).await
    }
    async fn get(&self, id: &PostId) -> PortResult<Option<Post>> {
        self.posts.get(id).await
    }
    async fn get_many(&self, ids: &[PostId]) -> PortResult<Vec<Post>> {
        self.posts.get_many(ids).await
    }
    async fn remember_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>> {
        self.posts.remember_platform_id(post).await
    }
    async fn await_parent(&self, post: &Post) -> PortResult<bool> {
        self.posts.await_parent(post).await
    }
    async fn find_by_platform_id(
        &self,
        channel: Channel,
        account: &str,
        platform_id: &str,
    ) -> PortResult<Option<PostId>> {
        self.posts.find_by_platform_id(channel, account, platform_id).await
    }
    async fn posts_by_author(&self, author: &AuthorId) -> PortResult<Vec<PostId>> {
        self.posts.posts_by_author(author).await
    }
}

#[async_trait]
impl IdentityIndex for Crashing {
    async fn unlink_author(&self, author: &AuthorId, customer: &CustomerId) -> PortResult<bool> {
        self.spend()?;
        self.index.unlink_author(author, customer).await
    }
    async fn unlink_identifier(&self, identifier: &Identifier, customer: &CustomerId) -> PortResult<bool> {
        self.spend()?;
        self.index.unlink_identifier(identifier, customer).await
    }
    async fn unindex_name(&self, key: &str, customer: &CustomerId) -> PortResult<bool> {
        self.spend()?;
        self.index.unindex_name(key, customer).await
    }
}

/// The crash suite: for each `k`, a fresh world, an erasure whose index and post writes fail
/// after `k` of them (it answers an error, the record says `erasing`), then the erasure asked
/// again on the real stores: done, no trace, the metrics as before.
pub async fn erasure_finishes_after_a_crash<F>(make: F, crash_after: &[i64]) -> anyhow::Result<()>
where
    F: Fn() -> BoxFuture<'static, anyhow::Result<ErasureWorld>>,
{
    let mut crashed = 0;
    for &k in crash_after {
        let w = make().await?;
        let seeded = seed(&w).await?;
        let figures_before = figures(&w).await?;
        let crashing = Arc::new(Crashing {
            posts: w.ports.posts.clone(),
            index: w.ports.index.clone(),
            budget: AtomicI64::new(k),
        });
        let mut broken = w.clone();
        broken.ports.posts = crashing.clone();
        broken.ports.index = crashing;
        let who = supervisor()?;
        let [cx, ..] = seeded.customers.clone();
        match service(&broken).erase(&who, &cx).await {
            Err(_) => {
                crashed += 1;
                let record = w.ports.customers.get(&cx).await?.and_then(|c| c.erasure);
                anyhow::ensure!(
                    record.as_ref().is_some_and(|e| e.state == ErasureState::Erasing),
                    "k={k}: an interrupted erasure stays `erasing`: {record:?}"
                );
            }
            Ok(e) => anyhow::ensure!(e.is_done(), "k={k}: {e:?}"),
        }
        let erasure = service(&w)
            .erase(&who, &cx)
            .await
            .map_err(|e| anyhow::anyhow!("k={k}: asked again: {e}"))?;
        anyhow::ensure!(erasure.is_done(), "k={k}: asking again finishes it");
        assert_no_trace(&w).await.map_err(|e| anyhow::anyhow!("k={k}: {e}"))?;
        anyhow::ensure!(figures(&w).await? == figures_before, "k={k}: the metrics moved");
    }
    anyhow::ensure!(crashed > 0, "no crash was injected: the budgets are too large");
    Ok(())
}
