//! The port contract suites (socialcare-testkit) against the AWS adapters on moto, plus what
//! only AWS has: provisioning, SNS delivery, DLQ redrive, injected throttling and outages.
//!
//! Needs moto: `scripts/moto.sh start`, then
//! `SOCIALCARE_MOTO_URL=$(scripts/moto.sh url) cargo test -p socialcare-aws`.
//! Each test provisions tables and queues under a prefix of its own, so tests run in parallel.

use aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use socialcare_aws::{
    AwsStore, Clients, Counters, Op, QueueSettings, SnsAlertSink, SqsPublisher, SqsReceiver, TableNames,
    emulator_config, ensure_queues, ensure_tables, ensure_topic,
};
use socialcare_domain::ports::{AlertSink, CaseStore, Dedupe, PostStore, Publisher, QueueReceiver};
use socialcare_domain::services::route::RouteService;
use socialcare_domain::services::thread::{ThreadService, Threaded};
use socialcare_domain::{CaseUpdated, Envelope, Event, PortError, PostChange, Priority, SlaPolicy, Stream};
use socialcare_testkit::contracts::{self, CaseScale, QueueSetup, RoutingScale};
use socialcare_testkit::{FixedClock, sample};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

type TestResult = anyhow::Result<()>;

/// The moto endpoint, or None when the caller chose to skip (SOCIALCARE_SKIP_MOTO=1).
fn moto_url() -> anyhow::Result<Option<String>> {
    match std::env::var("SOCIALCARE_MOTO_URL") {
        Ok(url) if !url.is_empty() => Ok(Some(url)),
        _ if std::env::var("SOCIALCARE_SKIP_MOTO").as_deref() == Ok("1") => {
            eprintln!("SOCIALCARE_SKIP_MOTO=1: skipping a moto test");
            Ok(None)
        }
        _ => anyhow::bail!(
            "SOCIALCARE_MOTO_URL is not set: these tests need moto.\n  \
             start it:  scripts/moto.sh start\n  \
             then run:  SOCIALCARE_MOTO_URL=$(scripts/moto.sh url) cargo test -p socialcare-aws\n  \
             (or set SOCIALCARE_SKIP_MOTO=1 to skip the moto tests)"
        ),
    }
}

struct Env {
    url: String,
    prefix: String,
    clients: Clients,
    counters: Arc<Counters>,
    store: Arc<AwsStore>,
}

impl Env {
    /// Fresh tables under a prefix of this test's own.
    async fn new(name: &str) -> anyhow::Result<Option<Self>> {
        let Some(url) = moto_url()? else { return Ok(None) };
        let clients = Clients::new(&emulator_config(&url).await);
        let prefix = format!("sc-{}-{name}-", sample::tag());
        let tables = TableNames::with_prefix(&prefix);
        ensure_tables(&clients.dynamodb, &tables).await?;
        let counters = Arc::new(Counters::new());
        let store = Arc::new(AwsStore::new(clients.dynamodb.clone(), tables).with_counters(counters.clone()));
        Ok(Some(Self {
            url,
            prefix,
            clients,
            counters,
            store,
        }))
    }

    async fn queues(
        &self,
        visibility: Duration,
        max_receives: u32,
    ) -> anyhow::Result<socialcare_aws::ProvisionedQueues> {
        let mut settings = QueueSettings::with_prefix(&self.prefix);
        settings.visibility_timeout = visibility;
        settings.max_receive_count = max_receives;
        Ok(ensure_queues(&self.clients.sqs, &settings).await?)
    }

    fn receiver(&self, url: &str) -> Arc<SqsReceiver> {
        Arc::new(SqsReceiver::new(self.clients.sqs.clone(), url).with_counters(self.counters.clone()))
    }
}

macro_rules! env {
    ($name:expr) => {
        match Env::new($name).await? {
            Some(env) => env,
            None => return Ok(()),
        }
    };
}

#[tokio::test(flavor = "multi_thread")]
async fn dedupe_contract() -> TestResult {
    let env = env!("dedupe");
    contracts::dedupe_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn post_store_contract() -> TestResult {
    let env = env!("posts");
    contracts::post_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn deletion_store_contract() -> TestResult {
    let env = env!("deletions");
    contracts::deletion_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn customer_store_contract() -> TestResult {
    let env = env!("customers");
    contracts::customer_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn case_store_contract() -> TestResult {
    let env = env!("cases");
    let started = Instant::now();
    contracts::case_store_contract(env.store.clone(), CaseScale::default()).await?;
    eprintln!(
        "case store contract (8×50 concurrent takes) on moto: {:?}; {}",
        started.elapsed(),
        env.counters.snapshot()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_store_contract() -> TestResult {
    let env = env!("agents");
    contracts::agent_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn timer_store_contract() -> TestResult {
    let env = env!("timers");
    contracts::timer_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn report_store_contract() -> TestResult {
    let env = env!("reports");
    contracts::report_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_store_contract() -> TestResult {
    let env = env!("alerts");
    contracts::alert_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn trend_store_contract() -> TestResult {
    let env = env!("trends");
    contracts::trend_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn parking_lot_contract() -> TestResult {
    let env = env!("parked");
    contracts::parking_lot_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn triage_store_contract() -> TestResult {
    let env = env!("triage");
    contracts::triage_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn label_store_contract() -> TestResult {
    let env = env!("labels");
    contracts::label_store_contract(env.store).await
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_contract() -> TestResult {
    let env = env!("queues");
    let visibility = Duration::from_secs(2);
    let provisioned = env.queues(visibility, 5).await?;
    let url = |s: Stream| {
        provisioned
            .queues
            .get(s)
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no queue for {s:?}"))
    };
    let publisher =
        SqsPublisher::new(env.clients.sqs.clone(), provisioned.queues.clone()).with_counters(env.counters.clone());
    contracts::queue_contract(QueueSetup {
        publisher: Arc::new(publisher),
        cases: env.receiver(&url(Stream::Cases)?),
        classified: env.receiver(&url(Stream::Classified)?),
        visibility,
    })
    .await
}

/// The routing concurrency suite. Moto serves one request at a time (Python), so the full
/// 8 × 500 takes minutes there; SOCIALCARE_ROUTING_CASES overrides the default of 8 × 60.
#[tokio::test(flavor = "multi_thread")]
async fn routing_contract() -> TestResult {
    let env = env!("routing");
    let cases = std::env::var("SOCIALCARE_ROUTING_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let report = contracts::routing_contract(env.store.clone(), RoutingScale { claimers: 8, cases }).await?;
    eprintln!(
        "routing 8 × {cases} on moto: {:?} ({} assigned in the race); {}",
        report.elapsed,
        report.assigned_in_race,
        env.counters.snapshot()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn provisioning_is_idempotent_and_queues_have_dlqs() -> TestResult {
    let env = env!("provision");
    ensure_tables(&env.clients.dynamodb, env.store.tables()).await?;
    let first = env.queues(Duration::from_secs(30), 5).await?;
    let again = env.queues(Duration::from_secs(30), 5).await?;
    anyhow::ensure!(first == again, "same queues the second time");
    let classified = first.queues.get(Stream::Classified).unwrap_or_default();
    anyhow::ensure!(classified.ends_with(".fifo"), "classified is FIFO: {classified}");
    for (stream, url) in first.queues.iter() {
        let attrs = env
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await?
            .attributes
            .unwrap_or_default();
        let redrive = attrs
            .get(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
            .cloned()
            .unwrap_or_default();
        let redrive: serde_json::Value = serde_json::from_str(&redrive)?;
        anyhow::ensure!(
            redrive["maxReceiveCount"].to_string().trim_matches('"') == "5",
            "{stream:?}: {redrive}"
        );
        anyhow::ensure!(first.dead_letters.contains_key(&stream));
    }
    let ttl = env
        .clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&env.store.tables().dedupe)
        .send()
        .await?;
    let ttl = ttl.time_to_live_description.and_then(|d| d.attribute_name);
    anyhow::ensure!(ttl.as_deref() == Some("expires_at"), "TTL on expires_at: {ttl:?}");
    Ok(())
}

/// A message that keeps failing moves to the DLQ after maxReceiveCount receives.
#[tokio::test(flavor = "multi_thread")]
async fn poison_message_lands_in_the_dlq() -> TestResult {
    let env = env!("dlq");
    let provisioned = env.queues(Duration::from_secs(1), 2).await?;
    let publisher = SqsPublisher::new(env.clients.sqs.clone(), provisioned.queues.clone());
    let poison = Envelope::new(
        Event::CaseUpdated(CaseUpdated {
            case_id: sample::case_id("case-poison")?,
            version: 1,
            reason: "poison".into(),
        }),
        sample::at(0),
    );
    publisher.publish(&poison).await?;
    let queue = env.receiver(provisioned.queues.get(Stream::Cases).unwrap_or_default());
    let mut receives = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let got = queue.receive(10, Duration::from_secs(1)).await?;
        if let Some(m) = got.first() {
            receives += 1;
            anyhow::ensure!(
                m.receive_count == receives,
                "count {} at receive {receives}",
                m.receive_count
            );
        } else if receives >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    anyhow::ensure!(receives == 2, "received {receives} times before the redrive");
    let dlq = env.receiver(provisioned.dead_letters.get(&Stream::Cases).map_or("", String::as_str));
    let dead = dlq.receive(10, Duration::from_secs(2)).await?;
    anyhow::ensure!(dead.len() == 1, "the poison message is in the DLQ");
    let body: Envelope = serde_json::from_str(&dead[0].body)?;
    anyhow::ensure!(body == poison);
    // Handed back at once, then looked at and sent back through the desk's adapter.
    let dlq_url = provisioned.dead_letters.get(&Stream::Cases).map_or("", String::as_str);
    env.clients
        .sqs
        .change_message_visibility()
        .queue_url(dlq_url)
        .receipt_handle(&dead[0].receipt)
        .visibility_timeout(0)
        .send()
        .await?;
    let dead_letters = socialcare_aws::SqsDeadLetters::new(
        env.clients.sqs.clone(),
        dlq_url,
        provisioned.queues.get(Stream::Cases).unwrap_or_default(),
    );
    contracts::dead_letter_contract(Arc::new(dead_letters), queue, &dead[0].body).await
}

/// publish_batch: 25 envelopes over two streams, FIFO order kept, in 10-entry batches.
#[tokio::test(flavor = "multi_thread")]
async fn publish_batch_sends_everything_in_batches() -> TestResult {
    let env = env!("batch");
    let provisioned = env.queues(Duration::from_secs(30), 5).await?;
    let publisher =
        SqsPublisher::new(env.clients.sqs.clone(), provisioned.queues.clone()).with_counters(env.counters.clone());
    let mut envelopes = Vec::new();
    for i in 0..20 {
        envelopes.push(Envelope::new(
            Event::CaseUpdated(CaseUpdated {
                case_id: sample::case_id(&format!("case-b{i}"))?,
                version: 1,
                reason: "batch".into(),
            }),
            sample::at(0),
        ));
    }
    for i in 0..5 {
        let p = sample::post(
            &format!("generic:forum:b{i}"),
            "generic:forum:one-author",
            sample::at(i),
        )?;
        envelopes.push(Envelope::new(
            Event::PostClassified(PostChange::Created { post: Box::new(p) }),
            sample::at(i),
        ));
    }
    publisher.publish_batch(&envelopes).await?;
    let counts = env.counters.snapshot();
    // 20 standard → 2 calls; 5 of one FIFO group → 5 rounds of one.
    anyhow::ensure!(counts.get(Op::SendMessageBatch) == 7, "{counts}");
    let fifo = env.receiver(provisioned.queues.get(Stream::Classified).unwrap_or_default());
    let mut order = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while order.len() < 5 && Instant::now() < deadline {
        let got = fifo.receive(10, Duration::from_secs(1)).await?;
        fifo.delete(&got.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
            .await?;
        for m in got {
            order.push(serde_json::from_str::<Envelope>(&m.body)?.id);
        }
    }
    let want: Vec<String> = envelopes[20..].iter().map(|e| e.id.clone()).collect();
    anyhow::ensure!(order == want, "FIFO order kept");
    let standard = env.receiver(provisioned.queues.get(Stream::Cases).unwrap_or_default());
    let mut n = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while n < 20 && Instant::now() < deadline {
        let got = standard.receive(10, Duration::from_secs(1)).await?;
        n += got.len();
        standard
            .delete(&got.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
            .await?;
    }
    anyhow::ensure!(n == 20, "all 20 standard messages arrived, got {n}");
    Ok(())
}

/// BatchWriteItem bulk import, more than one batch.
#[tokio::test(flavor = "multi_thread")]
async fn put_posts_writes_in_batches_of_25() -> TestResult {
    let env = env!("bulk");
    let posts = (0..60)
        .map(|i| sample::post(&format!("generic:forum:bulk-{i}"), "generic:forum:u", sample::at(i)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let before = env.counters.snapshot();
    env.store.put_posts(&posts).await?;
    let counts = env.counters.snapshot().since(&before);
    anyhow::ensure!(counts.get(Op::BatchWriteItem) == 3, "{counts}");
    let ids: Vec<_> = posts.iter().map(|p| p.id.clone()).collect();
    anyhow::ensure!(env.store.get_many(&ids).await? == posts);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_alerts_reach_a_subscribed_queue() -> TestResult {
    let env = env!("sns");
    let topic = ensure_topic(&env.clients.sns, &format!("{}alerts", env.prefix)).await?;
    let queue = env
        .clients
        .sqs
        .create_queue()
        .queue_name(format!("{}alerts-sub", env.prefix))
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let arn = socialcare_aws::provision::queue_arn(&env.clients.sqs, &queue).await?;
    env.clients
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await?;
    let sink = SnsAlertSink::new(env.clients.sns.clone(), &topic).with_counters(env.counters.clone());
    let alert = sample::alert("case-sns", "billing", sample::at(0))?;
    sink.publish(&alert).await?;
    let got = env.receiver(&queue).receive(10, Duration::from_secs(5)).await?;
    anyhow::ensure!(got.len() == 1, "one alert delivered");
    let envelope: Envelope = serde_json::from_str(&got[0].body)?;
    anyhow::ensure!(
        envelope.event == Event::SlaAlert(Box::new(alert)),
        "the alert, as sla.alert.v1"
    );
    anyhow::ensure!(env.counters.snapshot().get(Op::Publish) == 1);
    // A trend spike goes to the same topic, as trend.alert.v1 with level `trend`.
    let spike = sample::trend_alert("trend#topic:printer#1767225600", 1_767_226_200);
    socialcare_trends::store::TrendSink::publish(&sink, &spike).await?;
    let got = env.receiver(&queue).receive(10, Duration::from_secs(5)).await?;
    anyhow::ensure!(got.len() == 1, "one trend alert delivered");
    let body: serde_json::Value = serde_json::from_str(&got[0].body)?;
    anyhow::ensure!(
        body["type"] == "trend.alert.v1" && body["id"] == spike.id.as_str(),
        "{body}"
    );
    anyhow::ensure!(serde_json::from_value::<socialcare_trends::TrendAlert>(body["data"].clone())? == spike);
    Ok(())
}

/// An endpoint nobody listens on: every port reports `Unavailable` (retry), never a silent Ok.
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_endpoint_is_unavailable() -> TestResult {
    if moto_url()?.is_none() {
        return Ok(());
    }
    let clients = Clients::new(&emulator_config("http://127.0.0.1:9").await);
    let store = AwsStore::new(clients.dynamodb.clone(), TableNames::with_prefix("nowhere-"));
    let started = Instant::now();
    let r = Dedupe::check(&store, "k", "fp", sample::at(0)).await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "dedupe: {r:?}");
    let r = CaseStore::get(&store, &sample::case_id("case-x")?).await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "cases: {r:?}");
    let publisher = SqsPublisher::new(
        clients.sqs.clone(),
        socialcare_aws::StreamQueues::new().with(Stream::Cases, "http://127.0.0.1:9/000000000000/q"),
    );
    let r = publisher
        .publish(&Envelope::new(
            Event::CaseUpdated(CaseUpdated {
                case_id: sample::case_id("case-x")?,
                version: 1,
                reason: "x".into(),
            }),
            sample::at(0),
        ))
        .await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "publish: {r:?}");
    let r = SqsReceiver::new(clients.sqs.clone(), "http://127.0.0.1:9/000000000000/q")
        .receive(10, Duration::ZERO)
        .await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "receive: {r:?}");
    anyhow::ensure!(
        started.elapsed() < Duration::from_secs(30),
        "fails fast: {:?}",
        started.elapsed()
    );
    Ok(())
}

/// Replaces every DynamoDB response with a throttling error, counting attempts.
#[derive(Debug)]
struct Throttle {
    attempts: Arc<AtomicU32>,
}

impl Intercept for Throttle {
    fn name(&self) -> &'static str {
        "inject-throttling"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let response = context.response_mut();
        *response.status_mut() = 400u16.try_into()?;
        // The error type header wins over the body: replace moto's own (e.g. a condition failure).
        response
            .headers_mut()
            .insert("x-amzn-errortype", "ProvisionedThroughputExceededException");
        *response.body_mut() = String::from(
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected"}"#,
        )
        .into();
        Ok(())
    }
}

/// Throttling is retried by the SDK (standard mode) and then surfaces as `Unavailable`.
#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_then_unavailable() -> TestResult {
    let env = env!("throttle");
    let attempts = Arc::new(AtomicU32::new(0));
    let config = emulator_config(&env.url).await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(Throttle {
            attempts: attempts.clone(),
        })
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .build();
    let throttled = AwsStore::new(aws_sdk_dynamodb::Client::from_conf(conf), env.store.tables().clone());
    let post = sample::post("generic:forum:throttled", "generic:forum:u", sample::at(0))?;
    let r = PostStore::insert(&throttled, &post).await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "insert: {r:?}");
    anyhow::ensure!(attempts.load(Ordering::SeqCst) == 3, "the SDK tried 3 times");
    let case = sample::case("case-throttled", "cus-throttled", sample::at(0))?;
    let r = CaseStore::create(&throttled, &case).await;
    anyhow::ensure!(matches!(r, Err(PortError::Unavailable(_))), "transaction: {r:?}");
    // The write may have landed before the injected error (moto did process it): a retry of
    // the whole message then finds it, which is what the idempotent services expect.
    Ok(())
}

/// Requests per post through thread + route (the DynamoDB and SQS share of the cost table).
#[tokio::test(flavor = "multi_thread")]
async fn requests_per_post_through_thread_and_route() -> TestResult {
    let env = env!("perpost");
    let provisioned = env.queues(Duration::from_secs(30), 5).await?;
    let publisher = Arc::new(
        SqsPublisher::new(env.clients.sqs.clone(), provisioned.queues.clone()).with_counters(env.counters.clone()),
    );
    let clock = Arc::new(FixedClock::new(sample::at(0)));
    let store = env.store.clone();
    let thread = ThreadService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        publisher,
        clock.clone(),
        "default".into(),
    );
    let route = RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock,
        SlaPolicy::first_response_only(Priority::ALL.into_iter().map(|p| (p, 3_600)).collect()),
    );
    for i in 0..4 {
        socialcare_domain::ports::AgentStore::seed(&*store, &sample::agent(&format!("agent-{i}"), 100)?).await?;
    }
    let before = env.counters.snapshot();
    let (mut opened, mut joined, mut stored_only) = (0, 0, 0);
    let posts = 20;
    for i in 0..posts {
        // 10 customers, 2 posts each; one post in 4 not actionable (never a customer's both).
        let mut post = sample::post(
            &format!("generic:forum:pp-{i}"),
            &format!("generic:forum:author-{}", i % 10),
            sample::at(i),
        )?;
        post.classification = Some(sample::classification(i % 4 != 3));
        let outcome = thread.apply(PostChange::Created { post: Box::new(post) }).await?;
        let case = match outcome {
            Threaded::Opened(c) => {
                opened += 1;
                c
            }
            Threaded::Joined(c) => {
                joined += 1;
                c
            }
            _ => {
                stored_only += 1;
                continue;
            }
        };
        route.on_case_updated(&case).await?;
    }
    let used = env.counters.snapshot().since(&before);
    eprintln!(
        "thread+route, {posts} posts ({opened} opened, {joined} joined, {stored_only} stored only): \
         DynamoDB {:.2}/post, SQS {:.2}/post; {used}",
        used.dynamodb() as f64 / posts as f64,
        used.sqs() as f64 / posts as f64,
    );
    anyhow::ensure!(opened == 10 && joined + stored_only == 10);
    Ok(())
}

/// Marks the entry `m1` of a SendMessageBatch answer as refused by SQS (moto refuses entries
/// only for a bad DelaySeconds, which the publisher never sets).
#[derive(Debug)]
struct RefuseSecondEntry;

impl Intercept for RefuseSecondEntry {
    fn name(&self) -> &'static str {
        "refuse-second-entry"
    }

    fn modify_before_completion(
        &self,
        context: &mut aws_sdk_sqs::config::interceptors::FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(out) = output.downcast_mut::<aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput>()
        else {
            return Ok(());
        };
        let Some(at) = out.successful.iter().position(|e| e.id == "m1") else {
            return Ok(());
        };
        out.successful.remove(at);
        out.failed.push(
            aws_sdk_sqs::types::BatchResultErrorEntry::builder()
                .id("m1")
                .sender_fault(true)
                .code("InvalidMessageContents")
                .message("injected")
                .build()?,
        );
        Ok(())
    }
}

/// publish_all when SQS refuses an entry: that entry and the later ones of its FIFO group fail,
/// everything else goes out, one result each.
#[tokio::test(flavor = "multi_thread")]
async fn publish_all_reports_refused_entries_and_holds_their_group() -> TestResult {
    let env = env!("refused");
    let provisioned = env.queues(Duration::from_secs(30), 5).await?;
    let config = emulator_config(&env.url).await;
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&config)
            .interceptor(RefuseSecondEntry)
            .build(),
    );
    let publisher = SqsPublisher::new(sqs, provisioned.queues.clone());
    let classified = |pid: &str, author: &str, i: i64| -> anyhow::Result<Envelope> {
        let p = sample::post(&format!("generic:forum:{pid}"), author, sample::at(i))?;
        Ok(Envelope::new(
            Event::PostClassified(PostChange::Created { post: Box::new(p) }),
            sample::at(i),
        ))
    };
    let (a, b) = ("generic:forum:author-a", "generic:forum:author-b");
    // Round one sends r1 (m0) and r2 (m1, refused); round two r4, and r3 is held back.
    let envelopes = vec![
        classified("r1", a, 1)?,
        classified("r2", b, 2)?,
        classified("r3", b, 3)?,
        classified("r4", a, 4)?,
    ];
    let results = publisher.publish_all(&envelopes).await;
    let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
    anyhow::ensure!(ok == vec![true, false, false, true], "results {results:?}");
    anyhow::ensure!(
        matches!(&results[1], Err(PortError::Invalid(why)) if why.contains("InvalidMessageContents")),
        "refused for good: {:?}",
        results[1]
    );
    let fifo = env.receiver(provisioned.queues.get(Stream::Classified).unwrap_or_default());
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let batch = fifo.receive(10, Duration::from_secs(1)).await?;
        fifo.delete(&batch.iter().map(|m| m.receipt.clone()).collect::<Vec<_>>())
            .await?;
        for m in batch {
            got.push(serde_json::from_str::<Envelope>(&m.body)?.id);
        }
    }
    anyhow::ensure!(
        got.contains(&envelopes[0].id) && got.contains(&envelopes[3].id),
        "author a's posts went out"
    );
    anyhow::ensure!(
        !got.contains(&envelopes[2].id),
        "r3 was held behind its refused predecessor"
    );
    Ok(())
}
