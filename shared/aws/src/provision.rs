//! Creates the tables, queues and topic the adapters need, when they are missing (local
//! endpoints, tests, `care --backend aws`). On AWS the SAM template creates them instead; both
//! follow `TABLES.md`. Existing resources are left as they are.

use crate::error::map_sdk;
use crate::sqs::StreamQueues;
use crate::tables::TableNames;
use crate::tables::schema::{
    ASSIGNEE, AUTHOR, AUTHOR_ORDER, CREATED, CREATED_DAY, CUSTOMER, EXPIRES_AT, GSI_BY_TIME, GSI_CASES_BY_ASSIGNEE,
    GSI_CASES_BY_CUSTOMER, GSI_CASES_BY_DAY, GSI_CASES_BY_STATUS, GSI_CASES_WAITING, GSI_POSTS_BY_AUTHOR,
    GSI_TIMERS_DUE, ORDER, SHARD, STATUS, WAITING,
};
use crate::units::IndexSpec;
use crate::units::Projected::{self, All, KeysOnly};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use socialcare_domain::{PortError, PortResult, Stream};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

fn invalid(e: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("provision: {e}"))
}

struct TableSpec<'a> {
    name: &'a str,
    /// (index name, partition key attribute, sort key attribute, projection)
    indexes: Vec<(&'static str, &'static str, &'static str, Projected)>,
    ttl: Option<&'a str>,
}

fn specs(names: &TableNames) -> Vec<TableSpec<'_>> {
    let plain = |name| TableSpec {
        name,
        indexes: vec![],
        ttl: None,
    };
    vec![
        TableSpec {
            name: &names.dedupe,
            indexes: vec![],
            ttl: Some(EXPIRES_AT),
        },
        // Sparse: only triage entries and labels carry `shard` (see store/triage.rs); only posts
        // carry `author` (see store/posts.rs). Posts, labels and deletion requests are dated by
        // `[retention]` (`expires_at`), as resolved cases are below.
        TableSpec {
            name: &names.posts,
            indexes: vec![
                (GSI_BY_TIME, SHARD, ORDER, All),
                (GSI_POSTS_BY_AUTHOR, AUTHOR, AUTHOR_ORDER, KeysOnly),
            ],
            ttl: Some(EXPIRES_AT),
        },
        plain(&names.customers),
        TableSpec {
            name: &names.cases,
            indexes: vec![
                (GSI_CASES_BY_CUSTOMER, CUSTOMER, CREATED, KeysOnly),
                (GSI_CASES_BY_ASSIGNEE, ASSIGNEE, CREATED, KeysOnly),
                (GSI_CASES_BY_STATUS, STATUS, CREATED, KeysOnly),
                (GSI_CASES_WAITING, WAITING, CREATED, KeysOnly),
                (GSI_CASES_BY_DAY, CREATED_DAY, CREATED, KeysOnly),
            ],
            ttl: Some(EXPIRES_AT),
        },
        plain(&names.agents),
        TableSpec {
            name: &names.timers,
            indexes: vec![(GSI_TIMERS_DUE, SHARD, ORDER, All)],
            ttl: None,
        },
        TableSpec {
            name: &names.alerts,
            indexes: vec![(GSI_BY_TIME, SHARD, ORDER, All)],
            ttl: None,
        },
        TableSpec {
            name: &names.parked,
            indexes: vec![(GSI_BY_TIME, SHARD, ORDER, All)],
            ttl: None,
        },
    ]
}

/// The indexes of every table, by table name (what the write-unit estimates replicate to).
pub(crate) fn indexes_by_table(names: &TableNames) -> HashMap<String, Vec<IndexSpec>> {
    specs(names)
        .into_iter()
        .map(|spec| {
            let indexes = spec
                .indexes
                .iter()
                .map(|(name, pk, sk, projected)| IndexSpec {
                    name,
                    pk,
                    sk,
                    projected: *projected,
                })
                .collect();
            (spec.name.to_string(), indexes)
        })
        .collect()
}

fn key_element(name: &str, kind: KeyType) -> PortResult<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(invalid)
}

fn string_attribute(name: &str) -> PortResult<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(invalid)
}

/// Creates every table of `names` that does not exist (on-demand capacity, the GSIs of
/// `TABLES.md`, TTL on the dedupe table's `expires_at`), and waits until they are active.
pub async fn ensure_tables(client: &aws_sdk_dynamodb::Client, names: &TableNames) -> PortResult<()> {
    for spec in specs(names) {
        let mut attributes: Vec<&str> = vec![crate::codec::PK];
        for (_, pk, sk, _) in &spec.indexes {
            attributes.push(pk);
            attributes.push(sk);
        }
        attributes.sort_unstable();
        attributes.dedup();
        let mut request = client
            .create_table()
            .table_name(spec.name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element(crate::codec::PK, KeyType::Hash)?);
        for a in attributes {
            request = request.attribute_definitions(string_attribute(a)?);
        }
        for (index, pk, sk, projected) in &spec.indexes {
            let projection = match projected {
                All => ProjectionType::All,
                KeysOnly => ProjectionType::KeysOnly,
            };
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .key_schema(key_element(pk, KeyType::Hash)?)
                    .key_schema(key_element(sk, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(projection).build())
                    .build()
                    .map_err(invalid)?,
            );
        }
        match request.send().await {
            Ok(_) => tracing::info!(table = spec.name, "table created"),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => {}
            Err(e) => return Err(map_sdk("CreateTable", e)),
        }
        wait_active(client, spec.name).await?;
        if let Some(attribute) = spec.ttl {
            let ttl = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .map_err(invalid)?;
            match client
                .update_time_to_live()
                .table_name(spec.name)
                .time_to_live_specification(ttl)
                .send()
                .await
            {
                Ok(_) => {}
                // "TimeToLive is already enabled": nothing to do.
                Err(e)
                    if e.as_service_error().is_some_and(|se| {
                        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(se) == Some("ValidationException")
                    }) => {}
                Err(e) => return Err(map_sdk("UpdateTimeToLive", e)),
            }
        }
    }
    Ok(())
}

async fn wait_active(client: &aws_sdk_dynamodb::Client, table: &str) -> PortResult<()> {
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| map_sdk("DescribeTable", e))?;
        if out
            .table
            .as_ref()
            .and_then(|t| t.table_status.as_ref())
            .is_some_and(|s| *s == TableStatus::Active)
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(PortError::Unavailable(format!("table {table} did not become active")))
}

/// How queues are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// Queue names are `{prefix}{stream}` (`.fifo` appended on FIFO streams), DLQs `{prefix}{stream}-dlq`.
    pub prefix: String,
    pub streams: Vec<Stream>,
    /// At least 6× the consumer's timeout on AWS (a Lambda's retries within one batch).
    pub visibility_timeout: Duration,
    /// Receives before a message moves to the DLQ (SQS `maxReceiveCount`).
    pub max_receive_count: u32,
}

impl QueueSettings {
    /// Every stream that travels on a queue (alerts go to SNS), 60 s visibility, 5 receives.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
            streams: Stream::ALL.into_iter().filter(|s| *s != Stream::Alerts).collect(),
            visibility_timeout: Duration::from_secs(60),
            max_receive_count: 5,
        }
    }

    pub fn queue_name(&self, stream: Stream) -> String {
        self.name(stream, "")
    }

    pub fn dead_letter_name(&self, stream: Stream) -> String {
        self.name(stream, "-dlq")
    }

    fn name(&self, stream: Stream, suffix: &str) -> String {
        let fifo = if stream.is_fifo() { ".fifo" } else { "" };
        format!("{}{}{suffix}{fifo}", self.prefix, stream.as_str())
    }
}

/// The queues of each stream and their dead-letter queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedQueues {
    pub queues: StreamQueues,
    pub dead_letters: BTreeMap<Stream, String>,
}

/// Creates (if missing) each stream's queue with its DLQ and redrive policy; FIFO streams get
/// FIFO queues (and FIFO DLQs). Returns the URLs.
pub async fn ensure_queues(client: &aws_sdk_sqs::Client, settings: &QueueSettings) -> PortResult<ProvisionedQueues> {
    let mut queues = StreamQueues::new();
    let mut dead_letters = BTreeMap::new();
    for stream in &settings.streams {
        let fifo = stream.is_fifo();
        let mut dlq_attributes =
            HashMap::from([(QueueAttributeName::MessageRetentionPeriod, (14 * 24 * 3600).to_string())]);
        if fifo {
            dlq_attributes.insert(QueueAttributeName::FifoQueue, "true".into());
        }
        let dlq_url = ensure_queue(client, &settings.dead_letter_name(*stream), dlq_attributes).await?;
        let dlq_arn = queue_arn(client, &dlq_url).await?;
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": settings.max_receive_count.to_string(),
        });
        let mut attributes = HashMap::from([
            (
                QueueAttributeName::VisibilityTimeout,
                settings.visibility_timeout.as_secs().to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ]);
        if fifo {
            attributes.insert(QueueAttributeName::FifoQueue, "true".into());
            attributes.insert(QueueAttributeName::ContentBasedDeduplication, "false".into());
        }
        let url = ensure_queue(client, &settings.queue_name(*stream), attributes).await?;
        queues.insert(*stream, url);
        dead_letters.insert(*stream, dlq_url);
    }
    Ok(ProvisionedQueues { queues, dead_letters })
}

async fn ensure_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> PortResult<String> {
    match client.get_queue_url().queue_name(name).send().await {
        Ok(out) => {
            if let Some(url) = out.queue_url {
                return Ok(url);
            }
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_queue_does_not_exist()) => {}
        Err(e) => return Err(map_sdk("GetQueueUrl", e)),
    }
    let out = client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| map_sdk("CreateQueue", e))?;
    tracing::info!(queue = name, "queue created");
    out.queue_url
        .ok_or_else(|| PortError::Unknown(anyhow::anyhow!("CreateQueue {name} returned no URL")))
}

/// The ARN of a queue (for redrive policies and subscriptions).
pub async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> PortResult<String> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| map_sdk("GetQueueAttributes", e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| PortError::Unknown(anyhow::anyhow!("queue {url} has no ARN")))
}

/// Creates the alerts topic if missing (CreateTopic is idempotent) and returns its ARN.
pub async fn ensure_topic(client: &aws_sdk_sns::Client, name: &str) -> PortResult<String> {
    let out = client
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| map_sdk("CreateTopic", e))?;
    out.topic_arn
        .ok_or_else(|| PortError::Unknown(anyhow::anyhow!("CreateTopic {name} returned no ARN")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_follow_the_fifo_rule() {
        let s = QueueSettings::with_prefix("t1-");
        assert_eq!(s.queue_name(Stream::Classified), "t1-classified.fifo");
        assert_eq!(s.dead_letter_name(Stream::Classified), "t1-classified-dlq.fifo");
        assert_eq!(s.queue_name(Stream::Cases), "t1-cases");
        assert!(!s.streams.contains(&Stream::Alerts));
    }

    #[test]
    fn every_index_attribute_is_a_string_key() {
        let names = TableNames::with_prefix("x-");
        let specs = specs(&names);
        assert_eq!(specs.len(), names.all().len());
        assert!(specs.iter().any(|s| s.ttl == Some(EXPIRES_AT)));
    }
}
