//! Classify keeps the chatter of unknown authors itself (one queue hop less per post) and passes
//! on everything `thread` must see: requests, posts of known customers, our own posts.

use socialcare_domain::ports::{Classifier, CustomerStore, PostStore, QueueReceiver, SystemClock};
use socialcare_domain::services::classify::ClassifyService;
use socialcare_domain::*;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::sync::Arc;
use std::time::Duration;

/// Actionable when the text asks for help.
struct ByText;

impl Classifier for ByText {
    fn classify_in(&self, post: &Post, _: &PostContext) -> Classification {
        let actionable = post.text.contains("help");
        Classification {
            language: Language::parse("en").ok(),
            language_confidence: 0.9,
            sentiment: Sentiment::Neutral,
            sentiment_score: 0.0,
            intent: if actionable { Intent::Problem } else { Intent::Praise },
            actionable,
            spam: false,
            urgent: false,
            priority: Priority::P3,
            reasons: vec![],
            model_version: "test".into(),
            actionable_confidence: None,
            review: false,
        }
    }
}

fn id<T: TryFrom<String>>(s: &str) -> T {
    T::try_from(s.to_string()).unwrap_or_else(|_| panic!("bad id {s}"))
}

fn post(pid: &str, author: &str, text: &str, direction: Direction) -> Post {
    let mut post = socialcare_testkit::sample::post(
        &format!("generic:forum:{pid}"),
        &format!("generic:forum:{author}"),
        socialcare_testkit::sample::at(0),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    post.text = text.into();
    post.direction = direction;
    post
}

#[tokio::test]
async fn chatter_of_unknown_authors_is_stored_here_everything_else_goes_on() -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(MemoryStore::new());
    let classified = Arc::new(MemoryQueue::new(QueueConfig::new("classified", true)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Classified, classified.clone()));
    let service = ClassifyService::new(Arc::new(ByText), bus, Arc::new(SystemClock))
        .with_history(store.clone(), store.clone())
        .with_store_only_chatter(store.clone());
    let known = post("k0", "known", "help", Direction::Inbound);
    store
        .create(&Customer::first_for(&known.author, known.received_at))
        .await?;

    let chatter = post("c1", "fan", "love it", Direction::Inbound);
    for p in [
        chatter.clone(),
        chatter.clone(), // a replay changes nothing
        post("r1", "fan", "help me please", Direction::Inbound),
        post("k1", "known", "love it", Direction::Inbound),
        post("o1", "forum", "thanks all", Direction::Outbound),
    ] {
        service.handle(PostChange::Created { post: Box::new(p) }).await?;
    }

    let stored = PostStore::get(store.as_ref(), &chatter.id).await?;
    let stored = stored.unwrap_or_else(|| panic!("the chatter is stored"));
    assert!(
        stored.classification.as_ref().is_some_and(|c| !c.actionable),
        "stored with its classification"
    );
    let passed: Vec<String> = classified
        .receive(10, Duration::ZERO)
        .await?
        .iter()
        .map(|m| serde_json::from_str::<Envelope>(&m.body).map(|e| e.event.group()))
        .collect::<Result<_, _>>()?;
    assert!(
        passed.len() == 3,
        "the request, the known customer's post and ours go on: {passed:?}"
    );
    for p in ["r1", "k1", "o1"] {
        assert!(
            PostStore::get(store.as_ref(), &id(&format!("generic:forum:{p}")))
                .await?
                .is_none(),
            "{p} is left to thread to store"
        );
    }
    Ok(())
}
