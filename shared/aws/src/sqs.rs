//! SQS: `SqsPublisher` (events → the queue of their stream) and `SqsReceiver` (a poller's view
//! of one queue). FIFO streams send with MessageGroupId = the event's group and
//! MessageDeduplicationId = the envelope id, so a resend within five minutes is dropped by SQS.
//! `publish_all` sends with SendMessageBatch (10 per request) and answers per envelope.

use crate::batch::{BatchOutcome, RetryPolicy, SQS_BATCH_LIMIT, drive};
use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use async_trait::async_trait;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName, SendMessageBatchRequestEntry,
};
use socialcare_domain::ports::{Publisher, QueueReceiver, Received, unsent_after_failure};
use socialcare_domain::{Envelope, PortError, PortResult, Stream};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The queue URL of each stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamQueues {
    urls: BTreeMap<Stream, String>,
}

/// Env var of each stream's queue URL, as [`StreamQueues::from_env`] reads them.
pub fn queue_env_var(stream: Stream) -> String {
    format!("QUEUE_{}_URL", stream.as_str().to_ascii_uppercase())
}

impl StreamQueues {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, stream: Stream, url: impl Into<String>) -> Self {
        self.urls.insert(stream, url.into());
        self
    }

    pub fn insert(&mut self, stream: Stream, url: impl Into<String>) {
        self.urls.insert(stream, url.into());
    }

    pub fn get(&self, stream: Stream) -> Option<&str> {
        self.urls.get(&stream).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Stream, &str)> {
        self.urls.iter().map(|(s, u)| (*s, u.as_str()))
    }

    /// Reads `QUEUE_<STREAM>_URL` for each of `streams`; the error names each missing one.
    pub fn from_env(streams: &[Stream]) -> Result<Self, String> {
        Self::from_vars(streams, |var| std::env::var(var).ok())
    }

    /// Reads `QUEUE_<STREAM>_URL` for each of `streams` through `lookup`.
    pub fn from_vars(streams: &[Stream], lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut queues = Self::new();
        let mut missing = Vec::new();
        for stream in streams {
            let var = queue_env_var(*stream);
            match lookup(&var) {
                Some(url) if !url.is_empty() => queues.insert(*stream, url),
                _ => missing.push(var),
            }
        }
        if missing.is_empty() {
            Ok(queues)
        } else {
            Err(format!("missing queue URL variables: {}", missing.join(", ")))
        }
    }
}

/// One message ready to send: body and, on FIFO, group and dedup id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outgoing {
    body: String,
    type_name: &'static str,
    fifo: Option<(String, String)>,
}

fn outgoing(envelope: &Envelope) -> PortResult<Outgoing> {
    let stream = envelope.event.stream();
    Ok(Outgoing {
        body: serde_json::to_string(envelope).map_err(|e| PortError::Invalid(format!("encode envelope: {e}")))?,
        type_name: envelope.event.type_name(),
        fifo: stream.is_fifo().then(|| (envelope.event.group(), envelope.id.clone())),
    })
}

fn type_attribute(type_name: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(type_name)
        .build()
        .map_err(|e| PortError::Invalid(format!("message attribute: {e}")))
}

/// Splits one stream's messages into rounds that may go out together. On a FIFO stream a
/// round holds at most one message per group, so a failed entry is known before anything
/// after it in its group is sent: order per group survives partial failures.
fn rounds(messages: Vec<(usize, Outgoing)>) -> Vec<Vec<(usize, Outgoing)>> {
    let mut rounds: Vec<Vec<(usize, Outgoing)>> = Vec::new();
    let mut depth: HashMap<String, usize> = HashMap::new();
    for m in messages {
        let round = match &m.1.fifo {
            None => 0,
            Some((group, _)) => {
                let d = depth.entry(group.clone()).or_insert(0);
                *d += 1;
                *d - 1
            }
        };
        if rounds.len() <= round {
            rounds.resize_with(round + 1, Vec::new);
        }
        rounds[round].push(m);
    }
    rounds
}

pub struct SqsPublisher {
    client: aws_sdk_sqs::Client,
    queues: StreamQueues,
    counters: Arc<Counters>,
    policy: RetryPolicy,
}

impl SqsPublisher {
    pub fn new(client: aws_sdk_sqs::Client, queues: StreamQueues) -> Self {
        Self {
            client,
            queues,
            counters: Arc::new(Counters::new()),
            policy: RetryPolicy::default(),
        }
    }

    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn queues(&self) -> &StreamQueues {
        &self.queues
    }

    fn url(&self, stream: Stream) -> PortResult<&str> {
        self.queues
            .get(stream)
            .ok_or_else(|| PortError::Invalid(format!("no queue for stream {}", stream.as_str())))
    }

    /// Publishes many envelopes with SendMessageBatch (10 per call); the first error, if any,
    /// after everything that could go out went out. See [`Publisher::publish_all`].
    pub async fn publish_batch(&self, envelopes: &[Envelope]) -> PortResult<()> {
        self.publish_all(envelopes).await.into_iter().collect()
    }

    /// Sends one round (at most one message per FIFO group) in calls of 10, resending the
    /// `Failed` entries SQS says may succeed, with backoff. One result per message index.
    async fn send_round(&self, url: &str, messages: Vec<(usize, Outgoing)>) -> Vec<(usize, PortResult<()>)> {
        let mut results = Vec::with_capacity(messages.len());
        let mut pending = messages;
        let mut round = 0;
        while !pending.is_empty() {
            if round >= self.policy.max_rounds {
                results.extend(pending.into_iter().map(|(i, _)| {
                    (
                        i,
                        Err(PortError::Unavailable(format!(
                            "SendMessageBatch: still failing after {round} rounds"
                        ))),
                    )
                }));
                break;
            }
            if round > 0 {
                tokio::time::sleep(self.policy.delay(round - 1)).await;
            }
            let mut retry = Vec::new();
            let mut rest = pending.into_iter().peekable();
            while rest.peek().is_some() {
                let part: Vec<(usize, Outgoing)> = rest.by_ref().take(SQS_BATCH_LIMIT).collect();
                match self.send_part(url, &part).await {
                    Ok(failed) => {
                        let mut part: Vec<Option<(usize, Outgoing)>> = part.into_iter().map(Some).collect();
                        for (entry, refused) in failed {
                            let Some((i, m)) = part.get_mut(entry).and_then(Option::take) else {
                                continue;
                            };
                            match refused {
                                Some(why) => results.push((i, Err(PortError::Invalid(why)))),
                                None => retry.push((i, m)),
                            }
                        }
                        results.extend(part.into_iter().flatten().map(|(i, _)| (i, Ok(()))));
                    }
                    Err(e) => {
                        let why = e.to_string();
                        let retryable = matches!(e, PortError::Unavailable(_));
                        results.extend(part.into_iter().map(|(i, _)| {
                            let e = if retryable {
                                PortError::Unavailable(why.clone())
                            } else {
                                PortError::Unknown(anyhow::anyhow!("{why}"))
                            };
                            (i, Err(e))
                        }));
                    }
                }
            }
            pending = retry;
            round += 1;
        }
        results
    }

    /// One SendMessageBatch call; answers the failed entries by position, with the reason when
    /// SQS refused them for good (the sender's fault) and `None` when they may be resent.
    async fn send_part(&self, url: &str, part: &[(usize, Outgoing)]) -> PortResult<Vec<(usize, Option<String>)>> {
        let mut entries = Vec::with_capacity(part.len());
        for (i, (_, m)) in part.iter().enumerate() {
            let mut entry = SendMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .message_body(&m.body)
                .message_attributes("type", type_attribute(m.type_name)?);
            if let Some((group, dedup)) = &m.fifo {
                entry = entry.message_group_id(group).message_deduplication_id(dedup);
            }
            entries.push(
                entry
                    .build()
                    .map_err(|e| PortError::Invalid(format!("batch entry: {e}")))?,
            );
        }
        self.counters.add(Op::SendMessageBatch);
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| map_sdk("SendMessageBatch", e))?;
        let mut failed = Vec::new();
        for f in out.failed {
            let Some(index) = f.id.strip_prefix('m').and_then(|i| i.parse::<usize>().ok()) else {
                return Err(PortError::Unknown(anyhow::anyhow!(
                    "SendMessageBatch reported an unknown entry {}",
                    f.id
                )));
            };
            let refused = f
                .sender_fault
                .then(|| format!("{}: {}", f.code, f.message.unwrap_or_default()));
            failed.push((index, refused));
        }
        Ok(failed)
    }
}

#[async_trait]
impl Publisher for SqsPublisher {
    async fn publish(&self, envelope: &Envelope) -> PortResult<()> {
        let url = self.url(envelope.event.stream())?;
        let m = outgoing(envelope)?;
        let mut request = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(m.body)
            .message_attributes("type", type_attribute(m.type_name)?);
        if let Some((group, dedup)) = m.fifo {
            request = request.message_group_id(group).message_deduplication_id(dedup);
        }
        self.counters.add(Op::SendMessage);
        request.send().await.map_err(|e| map_sdk("SendMessage", e))?;
        Ok(())
    }

    /// SendMessageBatch, 10 per request; a single envelope goes with SendMessage (same price).
    async fn publish_all(&self, envelopes: &[Envelope]) -> Vec<PortResult<()>> {
        if let [one] = envelopes {
            return vec![self.publish(one).await];
        }
        let mut results: Vec<Option<PortResult<()>>> = envelopes.iter().map(|_| None).collect();
        let mut by_stream: BTreeMap<Stream, Vec<(usize, Outgoing)>> = BTreeMap::new();
        for (i, envelope) in envelopes.iter().enumerate() {
            match outgoing(envelope) {
                Ok(m) => by_stream.entry(envelope.event.stream()).or_default().push((i, m)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        for (stream, messages) in by_stream {
            let url = match self.url(stream) {
                Ok(url) => url.to_string(),
                Err(e) => {
                    let why = e.to_string();
                    for (i, _) in messages {
                        results[i] = Some(Err(PortError::Invalid(why.clone())));
                    }
                    continue;
                }
            };
            let mut failed_groups: HashSet<String> = HashSet::new();
            for round in rounds(messages) {
                let (held, send): (Vec<_>, Vec<_>) = round
                    .into_iter()
                    .partition(|(_, m)| m.fifo.as_ref().is_some_and(|(g, _)| failed_groups.contains(g)));
                for (i, _) in held {
                    results[i] = Some(Err(unsent_after_failure()));
                }
                let groups: HashMap<usize, String> = send
                    .iter()
                    .filter_map(|(i, m)| m.fifo.as_ref().map(|(g, _)| (*i, g.clone())))
                    .collect();
                for (i, result) in self.send_round(&url, send).await {
                    if result.is_err()
                        && let Some(g) = groups.get(&i)
                    {
                        failed_groups.insert(g.clone());
                    }
                    results[i] = Some(result);
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(PortError::Unknown(anyhow::anyhow!("message neither sent nor failed")))))
            .collect()
    }
}

/// Receives from and deletes on one queue.
pub struct SqsReceiver {
    client: aws_sdk_sqs::Client,
    url: String,
    counters: Arc<Counters>,
    policy: RetryPolicy,
}

impl SqsReceiver {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            url: queue_url.into(),
            counters: Arc::new(Counters::new()),
            policy: RetryPolicy::default(),
        }
    }

    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.url
    }
}

/// SQS's limits: 1..=10 messages, a long poll of at most 20 s.
const MAX_WAIT: Duration = Duration::from_secs(20);

#[async_trait]
impl QueueReceiver for SqsReceiver {
    async fn receive(&self, max: usize, wait: Duration) -> PortResult<Vec<Received>> {
        let max = i32::try_from(max.clamp(1, SQS_BATCH_LIMIT)).unwrap_or(10);
        let wait = i32::try_from(wait.min(MAX_WAIT).as_secs()).unwrap_or(20);
        self.counters.add(Op::ReceiveMessage);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .map_err(|e| map_sdk("ReceiveMessage", e))?;
        let mut received = Vec::new();
        for m in out.messages.unwrap_or_default() {
            // Without an id or a receipt a message can be neither reported nor deleted: SQS
            // always sends both; a message without them is skipped and comes back later.
            let (Some(message_id), Some(receipt)) = (m.message_id, m.receipt_handle) else {
                tracing::warn!(queue = %self.url, "message without id or receipt handle skipped");
                continue;
            };
            let attrs = m.attributes.unwrap_or_default();
            let receive_count = attrs
                .get(&MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            received.push(Received {
                message_id,
                receipt,
                body: m.body.unwrap_or_default(),
                group: attrs.get(&MessageSystemAttributeName::MessageGroupId).cloned(),
                receive_count,
            });
        }
        Ok(received)
    }

    async fn delete(&self, receipts: &[String]) -> PortResult<()> {
        drive(receipts.to_vec(), SQS_BATCH_LIMIT, self.policy, |part| async move {
            let entries = part
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(format!("d{i}"))
                        .receipt_handle(r)
                        .build()
                        .map_err(|e| PortError::Invalid(format!("delete entry: {e}")))
                })
                .collect::<PortResult<Vec<_>>>()?;
            self.counters.add(Op::DeleteMessageBatch);
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| map_sdk("DeleteMessageBatch", e))?;
            let mut part: Vec<Option<String>> = part.into_iter().map(Some).collect();
            let mut outcome = BatchOutcome::done();
            for failed in out.failed {
                let index = failed.id.strip_prefix('d').and_then(|i| i.parse::<usize>().ok());
                let Some(receipt) = index.and_then(|i| part.get_mut(i)).and_then(Option::take) else {
                    continue;
                };
                if failed.sender_fault {
                    // An expired or bogus receipt: the message comes back and is handled again.
                    outcome.rejected.push((receipt, failed.code));
                } else {
                    outcome.retry.push(receipt);
                }
            }
            Ok(outcome)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: Option<&str>, n: u32) -> (usize, Outgoing) {
        (
            n as usize,
            Outgoing {
                body: n.to_string(),
                type_name: "t",
                fifo: group.map(|g| (g.to_string(), n.to_string())),
            },
        )
    }

    #[test]
    fn fifo_rounds_hold_one_message_per_group_in_order() {
        let r = rounds(vec![
            m(Some("a"), 1),
            m(Some("a"), 2),
            m(Some("b"), 3),
            m(Some("a"), 4),
            m(Some("b"), 5),
        ]);
        let bodies: Vec<Vec<&str>> = r
            .iter()
            .map(|round| round.iter().map(|(_, m)| m.body.as_str()).collect())
            .collect();
        assert_eq!(bodies, vec![vec!["1", "3"], vec!["2", "5"], vec!["4"]]);
    }

    #[test]
    fn standard_messages_go_in_one_round() {
        let r = rounds((0..25).map(|i| m(None, i)).collect());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].len(), 25);
    }
}
