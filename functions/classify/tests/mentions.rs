//! An Instagram mention (ids only) through the classify consumer: its text and author are read
//! from a fake Graph API before it is classified and passed on; when the read fails after the
//! fetcher's retries the message is parked with its reason, never passed on with a placeholder.

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::json;
use socialcare_channels::accounts::Accounts;
use socialcare_channels::fetch_meta::MentionFetcher;
use socialcare_channels::retry::RetryPolicy;
use socialcare_classify::{ClassifyConfig, RuleClassifier};
use socialcare_domain::ports::{ParkingLot, QueueReceiver, SystemClock};
use socialcare_domain::post::TEXT_TO_FETCH;
use socialcare_domain::services::classify::ClassifyService;
use socialcare_domain::{Envelope, Event, PostChange, Stream};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn accounts() -> anyhow::Result<Accounts> {
    Ok(serde_json::from_value(json!({
        "instagram": [{"name": "acme-ig", "account_id": "17841400000000777", "app_secret_env": "M",
                       "verify_token_env": "V", "access_token_env": "IG_TOKEN"}]
    }))?)
}

/// The mention fixture as ingest enqueues it: one `post.received.v1` SQS record.
fn received() -> anyhow::Result<SqsEvent> {
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/meta/ig-mention.json"
    ))?;
    let parsed = socialcare_channels::meta::parse(&raw, &accounts()?, jiff::Timestamp::now())?;
    let change = parsed
        .events
        .into_iter()
        .map(|e| e.change)
        .next()
        .ok_or_else(|| anyhow::anyhow!("no change"))?;
    let body = serde_json::to_string(&Envelope::new(Event::PostReceived(change), jiff::Timestamp::now()))?;
    Ok(serde_json::from_value(json!({"Records": [{
        "messageId": "m-1", "body": body,
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:received", "attributes": {}, "messageAttributes": {}
    }]}))?)
}

async fn run(server: &MockServer) -> anyhow::Result<(Arc<MemoryStore>, Arc<MemoryQueue>, usize)> {
    let store = Arc::new(MemoryStore::new());
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("classified", true)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Classified, queue.clone()));
    let fetcher = MentionFetcher::new(
        reqwest::Client::new(),
        &format!("{}/v21.0", server.uri()),
        &accounts()?,
        |_| Some("tok".into()),
    )?
    .with_policy(RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max_inline_wait: Duration::from_secs(1),
    });
    let service = ClassifyService::new(
        Arc::new(RuleClassifier::new(ClassifyConfig::default())?),
        bus,
        Arc::new(SystemClock),
    )
    .with_fetcher(Arc::new(fetcher));
    let (response, _) =
        socialcare_kit::sqs::run_batch("classify", received()?, false, store.as_ref(), &SystemClock, |e| {
            fn_classify::handle(&service, e)
        })
        .await?;
    Ok((store, queue, response.batch_item_failures.len()))
}

#[tokio::test]
async fn the_mention_goes_on_with_its_fetched_text_and_author() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"mentioned_comment": {
            "id": "18000000000000009", "text": "@acme my printer arrived broken, please help",
            "username": "tara.k", "from": {"id": "17850000000000042", "username": "tara.k"}
        }})))
        .mount(&server)
        .await;
    let (store, queue, failures) = run(&server).await?;
    assert_eq!(failures, 0);
    assert!(store.list(10).await?.is_empty(), "nothing parked");
    let messages = queue.receive(10, Duration::ZERO).await?;
    assert_eq!(messages.len(), 1);
    let envelope: Envelope = serde_json::from_str(&messages[0].body)?;
    let Event::PostClassified(PostChange::Created { post }) = envelope.event else {
        anyhow::bail!("not a classified post");
    };
    assert_eq!(post.text, "@acme my printer arrived broken, please help");
    assert_eq!(post.author.id.as_str(), "instagram:17850000000000042");
    assert!(post.classification.is_some());
    Ok(())
}

#[tokio::test]
async fn a_mention_whose_text_cannot_be_read_is_parked_with_the_reason() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let (store, queue, failures) = run(&server).await?;
    assert_eq!(failures, 0, "parked, not retried forever");
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty(), "nothing passed on");
    let parked = store.list(10).await?;
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].reason.contains("could not be fetched") && parked[0].reason.contains("500"),
        "{}",
        parked[0].reason
    );
    assert!(!parked[0].reason.contains(TEXT_TO_FETCH));
    assert_eq!(
        server.received_requests().await.map(|r| r.len()),
        Some(3),
        "bounded retries"
    );
    Ok(())
}
