//! The AWS backend of the local stack (`care serve --backend aws`): the same services over the
//! DynamoDB, SQS and SNS adapters, against moto (`--aws-endpoint`) or a real account (the
//! default credential chain). Tables, queues (with their DLQs) and the alerts topic are created
//! under a name prefix when missing, so one endpoint can hold several stacks side by side.

use crate::stack::Ports;
use anyhow::Context;
use socialcare_aws::{
    AwsStore, Clients, Counters, QueueSettings, SnsAlertSink, SqsDeadLetters, SqsPublisher, SqsReceiver, StreamQueues,
    TableNames, emulator_config, ensure_queues, ensure_tables, ensure_topic, load_config,
};
use socialcare_channels::alerts::{FanoutAlertSink, FanoutChannelSink};
use socialcare_domain::Stream;
use socialcare_domain::ports::{AlertSink, DeadLetterQueue, QueueReceiver};
use socialcare_memory::RecordingAlertSink;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// An emulator's URL (moto); `None` uses the environment's AWS configuration.
    pub endpoint: Option<String>,
    /// Every table, queue and the topic are named `{prefix}{name}`.
    pub prefix: String,
    /// How long a received message stays invisible before it is redelivered.
    pub visibility: Duration,
}

async fn clients(endpoint: Option<&str>) -> Clients {
    match endpoint {
        Some(url) => Clients::new(&emulator_config(url).await),
        None => Clients::new(&load_config().await),
    }
}

pub struct AwsBackend {
    pub clients: Clients,
    pub store: Arc<AwsStore>,
    pub publisher: Arc<SqsPublisher>,
    pub receivers: BTreeMap<Stream, Arc<SqsReceiver>>,
    /// Each stream's dead-letter queue (known when this backend created the queues).
    pub dead_letters: BTreeMap<Stream, Arc<SqsDeadLetters>>,
    /// Every request the adapters made, by operation (requests per post are measured with it).
    pub counters: Arc<Counters>,
    pub topic_arn: String,
    /// Every alert also lands here (the SNS topic has no reader locally).
    pub alerts_seen: Arc<RecordingAlertSink>,
}

impl AwsBackend {
    /// Connects, and creates the tables, queues and topic that are missing.
    pub async fn connect(opts: &AwsOptions) -> anyhow::Result<Self> {
        let clients = clients(opts.endpoint.as_deref()).await;
        let tables = TableNames::with_prefix(&opts.prefix);
        ensure_tables(&clients.dynamodb, &tables)
            .await
            .context("creating the tables")?;
        let mut settings = QueueSettings::with_prefix(&opts.prefix);
        settings.visibility_timeout = opts.visibility;
        let queues = ensure_queues(&clients.sqs, &settings)
            .await
            .context("creating the queues")?;
        let topic_arn = ensure_topic(&clients.sns, &format!("{}alerts", opts.prefix))
            .await
            .context("creating the alerts topic")?;
        let mut backend = Self::over(clients, tables, queues.queues.clone(), topic_arn);
        backend.dead_letters = queues
            .dead_letters
            .iter()
            .filter_map(|(stream, dlq)| {
                let source = queues.queues.get(*stream)?;
                let dlq = SqsDeadLetters::new(backend.clients.sqs.clone(), dlq, source)
                    .with_counters(backend.counters.clone());
                Some((*stream, Arc::new(dlq)))
            })
            .collect();
        Ok(backend)
    }

    /// Uses tables, queues and a topic that exist already (a deployed stack's, named by its
    /// outputs: `TABLE_*`, `QUEUE_<STREAM>_URL`, `CARE_ALERTS_TOPIC_ARN` through `lookup`).
    pub async fn existing(endpoint: Option<&str>, lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let tables = TableNames::from_vars(&lookup).map_err(|e| anyhow::anyhow!(e))?;
        let streams: Vec<Stream> = Stream::ALL.into_iter().filter(|s| *s != Stream::Alerts).collect();
        let queues = StreamQueues::from_vars(&streams, &lookup).map_err(|e| anyhow::anyhow!(e))?;
        let topic_arn = lookup("CARE_ALERTS_TOPIC_ARN").context("CARE_ALERTS_TOPIC_ARN is not given")?;
        Ok(Self::over(clients(endpoint).await, tables, queues, topic_arn))
    }

    fn over(clients: Clients, tables: TableNames, queues: StreamQueues, topic_arn: String) -> Self {
        let counters = Arc::new(Counters::new());
        let store = Arc::new(AwsStore::new(clients.dynamodb.clone(), tables).with_counters(counters.clone()));
        let publisher =
            Arc::new(SqsPublisher::new(clients.sqs.clone(), queues.clone()).with_counters(counters.clone()));
        let receivers = queues
            .iter()
            .map(|(stream, url)| {
                let receiver = SqsReceiver::new(clients.sqs.clone(), url).with_counters(counters.clone());
                (stream, Arc::new(receiver))
            })
            .collect();
        Self {
            clients,
            store,
            publisher,
            receivers,
            dead_letters: BTreeMap::new(),
            counters,
            topic_arn,
            alerts_seen: Arc::new(RecordingAlertSink::new()),
        }
    }

    pub fn ports(&self) -> Ports {
        let sns = SnsAlertSink::new(self.clients.sns.clone(), &self.topic_arn).with_counters(self.counters.clone());
        let sinks: Vec<Arc<dyn AlertSink>> = vec![Arc::new(sns), self.alerts_seen.clone()];
        let receivers = self
            .receivers
            .iter()
            .map(|(s, r)| (*s, r.clone() as Arc<dyn QueueReceiver>))
            .collect();
        let dead_letters = self
            .dead_letters
            .iter()
            .map(|(s, d)| (*s, d.clone() as Arc<dyn DeadLetterQueue>))
            .collect();
        let mut ports = Ports::over(
            self.store.clone(),
            self.publisher.clone(),
            receivers,
            dead_letters,
            Arc::new(FanoutAlertSink::new(sinks)),
            socialcare_domain::services::reports::ReportSource::Derived(self.store.clone()),
        );
        ports.trend_store = Some(self.store.clone());
        let sns = SnsAlertSink::new(self.clients.sns.clone(), &self.topic_arn).with_counters(self.counters.clone());
        ports.channel_sink = Some(Arc::new(FanoutChannelSink::new(vec![
            Arc::new(sns),
            self.alerts_seen.clone(),
        ])));
        ports
    }
}
