//! `SqsDeadLetters`: one stream's dead-letter queue seen from the desk. Peek receives the
//! messages (they stay: their visibility is handed back at once); redrive sends one back to
//! its source queue (a FIFO message to its group, with a fresh deduplication id so SQS does not
//! drop it as a resend) and then deletes it from the dead-letter queue.

use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use async_trait::async_trait;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName};
use socialcare_domain::ports::{DeadLetter, DeadLetterQueue};
use socialcare_domain::{PortError, PortResult};
use std::sync::Arc;

/// How long a peeked message is held while the desk looks for more (handed back right after).
const HOLD_SECS: i32 = 30;
/// Receives per look: a dead-letter queue is meant to be short; more waits for the next look.
const MAX_ROUNDS: usize = 10;

pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    dlq_url: String,
    source_url: String,
    fifo: bool,
    counters: Arc<Counters>,
}

impl SqsDeadLetters {
    pub fn new(client: aws_sdk_sqs::Client, dlq_url: impl Into<String>, source_url: impl Into<String>) -> Self {
        let source_url = source_url.into();
        Self {
            client,
            dlq_url: dlq_url.into(),
            fifo: source_url.ends_with(".fifo"),
            source_url,
            counters: Arc::new(Counters::new()),
        }
    }

    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    /// Receives (and holds) up to `limit` messages, or until `stop` says enough.
    async fn take(&self, limit: usize, stop: impl Fn(&Message) -> bool) -> PortResult<Vec<Message>> {
        let mut got: Vec<Message> = Vec::new();
        for _ in 0..MAX_ROUNDS {
            if got.len() >= limit {
                break;
            }
            self.counters.add(Op::ReceiveMessage);
            let out = self
                .client
                .receive_message()
                .queue_url(&self.dlq_url)
                .max_number_of_messages(10)
                .visibility_timeout(HOLD_SECS)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .map_err(|e| map_sdk("ReceiveMessage", e))?;
            let batch = out.messages.unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            let found = batch.iter().any(&stop);
            got.extend(batch);
            if found {
                break;
            }
        }
        Ok(got)
    }

    /// Makes held messages visible again at once.
    async fn release(&self, messages: &[Message]) -> PortResult<()> {
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone()?)
                        .visibility_timeout(0)
                        .build()
                        .ok()
                })
                .collect::<Vec<_>>();
            if entries.is_empty() {
                continue;
            }
            self.client
                .change_message_visibility_batch()
                .queue_url(&self.dlq_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| map_sdk("ChangeMessageVisibilityBatch", e))?;
        }
        Ok(())
    }
}

fn attribute<'a>(m: &'a Message, name: &MessageSystemAttributeName) -> Option<&'a String> {
    m.attributes.as_ref()?.get(name)
}

fn dead_letter(m: &Message) -> DeadLetter {
    DeadLetter {
        message_id: m.message_id.clone().unwrap_or_default(),
        body: m.body.clone().unwrap_or_default(),
        // The count includes this look's receive.
        receive_count: attribute(m, &MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|c| c.parse::<u32>().ok())
            .map_or(0, |c| c.saturating_sub(1)),
        first_seen: attribute(m, &MessageSystemAttributeName::SentTimestamp)
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()),
    }
}

#[async_trait]
impl DeadLetterQueue for SqsDeadLetters {
    async fn peek(&self, limit: usize) -> PortResult<Vec<DeadLetter>> {
        let held = self.take(limit, |_| false).await?;
        self.release(&held).await?;
        let mut out: Vec<DeadLetter> = Vec::new();
        for m in &held {
            let d = dead_letter(m);
            if !out.iter().any(|o| o.message_id == d.message_id) {
                out.push(d);
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn redrive(&self, message_id: &str) -> PortResult<bool> {
        let held = self
            .take(usize::MAX, |m| m.message_id.as_deref() == Some(message_id))
            .await?;
        let (wanted, others): (Vec<Message>, Vec<Message>) = held
            .into_iter()
            .partition(|m| m.message_id.as_deref() == Some(message_id));
        self.release(&others).await?;
        let Some(m) = wanted.into_iter().next() else {
            return Ok(false);
        };
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.source_url)
            .message_body(m.body.clone().unwrap_or_default());
        if self.fifo {
            let group = attribute(&m, &MessageSystemAttributeName::MessageGroupId)
                .cloned()
                .ok_or_else(|| PortError::Invalid(format!("dead letter {message_id} has no message group")))?;
            let dedup = format!("redrive-{message_id}-{}", jiff::Timestamp::now().as_millisecond());
            send = send.message_group_id(group).message_deduplication_id(dedup);
        }
        self.counters.add(Op::SendMessage);
        send.send().await.map_err(|e| map_sdk("SendMessage", e))?;
        let receipt = m
            .receipt_handle
            .clone()
            .ok_or_else(|| PortError::Invalid(format!("dead letter {message_id} has no receipt")))?;
        self.client
            .delete_message()
            .queue_url(&self.dlq_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| map_sdk("DeleteMessage", e))?;
        Ok(true)
    }
}
