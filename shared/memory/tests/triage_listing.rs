//! Where unsure posts land on the triage list: `classify` lists the unsure chatter of unknown
//! authors it stores; `thread` lists an unsure post it keeps without an active case, never one
//! that joins an active case (someone is on it). A replay lists nothing twice, and a decided
//! entry stays decided.

use socialcare_domain::ports::{CaseStore, Classifier, CustomerStore, SystemClock, TriageQuery, TriageStore};
use socialcare_domain::services::classify::ClassifyService;
use socialcare_domain::services::thread::{ThreadService, Threaded};
use socialcare_domain::triage::{Decided, Decision};
use socialcare_domain::*;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::sync::Arc;

/// Actionable when the text asks for help; unsure (review) when it says "maybe".
struct ByText;

impl Classifier for ByText {
    fn classify_in(&self, post: &Post, _: &PostContext) -> Classification {
        let mut c = socialcare_testkit::sample::classification(post.text.contains("help"));
        c.review = !c.actionable && post.text.contains("maybe");
        c.actionable_confidence = Some(if c.review { 0.4 } else { 0.1 });
        c
    }
}

fn post(pid: &str, author: &str, text: &str) -> Post {
    let mut post = socialcare_testkit::sample::post(
        &format!("generic:forum:{pid}"),
        &format!("generic:forum:{author}"),
        socialcare_testkit::sample::at(0),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    post.text = text.into();
    post.classification = Some(ByText.classify(&post));
    post
}

async fn listed(store: &MemoryStore) -> Vec<String> {
    store
        .open_triage(&TriageQuery {
            before: None,
            limit: 100,
        })
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.post_id.to_string())
        .collect()
}

#[tokio::test]
async fn classify_lists_the_unsure_chatter_it_stores() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let classified = Arc::new(MemoryQueue::new(QueueConfig::new("classified", true)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Classified, classified));
    let service = ClassifyService::new(Arc::new(ByText), bus, Arc::new(SystemClock))
        .with_history(store.clone(), store.clone())
        .with_store_only_chatter(store.clone())
        .with_triage(store.clone());
    for p in [
        post("c1", "fan", "maybe broken?"),
        post("c1", "fan", "maybe broken?"), // a replay
        post("c2", "fan", "love it"),
        post("r1", "fan", "help, maybe"),
    ] {
        service.handle(PostChange::Created { post: Box::new(p) }).await?;
    }
    assert_eq!(listed(&store).await, ["generic:forum:c1"]);
    Ok(())
}

#[tokio::test]
async fn thread_lists_unsure_posts_that_join_no_active_case() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let cases = Arc::new(MemoryQueue::new(QueueConfig::new("cases", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Cases, cases));
    let thread = ThreadService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        bus,
        Arc::new(SystemClock),
        "general".into(),
    )
    .with_triage(store.clone());
    let apply = |p: Post| {
        let thread = &thread;
        async move { thread.apply(PostChange::Created { post: Box::new(p) }).await }
    };
    // A known customer without an active case writes something unsure: kept, and listed.
    let known = post("k0", "known", "hello");
    CustomerStore::create(store.as_ref(), &Customer::first_for(&known.author, known.received_at)).await?;
    assert_eq!(
        apply(post("k1", "known", "maybe it is the cable")).await?,
        Threaded::StoredOnly
    );
    assert_eq!(
        apply(post("k1", "known", "maybe it is the cable")).await?,
        Threaded::StoredOnly
    );
    assert_eq!(listed(&store).await, ["generic:forum:k1"], "listed once");

    // Someone with an active case: the unsure post joins it, and is not listed.
    let opened = apply(post("a1", "asker", "help, my router")).await?;
    let Threaded::Opened(case_id) = opened else {
        panic!("{opened:?}")
    };
    assert!(matches!(
        apply(post("a2", "asker", "maybe the cable")).await?,
        Threaded::Joined(_)
    ));
    assert!(
        CaseStore::get(store.as_ref(), &case_id)
            .await?
            .is_some_and(|c| c.posts.len() == 2)
    );
    assert_eq!(listed(&store).await, ["generic:forum:k1"]);

    // A decided entry stays decided when its post is delivered again.
    let decided = Decided {
        decision: Decision::Dismissed,
        by: AgentId::parse("sam")?,
        at: socialcare_testkit::sample::at(5),
    };
    store
        .decide_triage(&PostId::parse("generic:forum:k1")?, &decided)
        .await?;
    apply(post("k1", "known", "maybe it is the cable")).await?;
    assert!(listed(&store).await.is_empty());
    assert!(
        store
            .triage_entry(&PostId::parse("generic:forum:k1")?)
            .await?
            .is_some_and(|e| e.decided == Some(decided.clone()))
    );
    Ok(())
}
