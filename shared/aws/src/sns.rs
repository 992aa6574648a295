//! SNS: `SnsAlertSink` publishes each alert as an `sla.alert.v1` envelope to a topic, with
//! `level` and `queue` message attributes for subscription filter policies.

use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use socialcare_domain::ports::AlertSink;
use socialcare_domain::{Alert, Envelope, Event, PortError, PortResult};
use std::sync::Arc;

pub struct SnsAlertSink {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    counters: Arc<Counters>,
}

impl SnsAlertSink {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
            counters: Arc::new(Counters::new()),
        }
    }

    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }
}

fn attr(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::Invalid(format!("message attribute: {e}")))
}

/// SNS subjects: ASCII, at most 100 characters, no line breaks.
fn subject(alert: &Alert) -> String {
    let raw = format!(
        "SLA {} {} on case {}",
        alert.target,
        alert.level.as_str(),
        alert.case_id
    );
    raw.chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
        .take(100)
        .collect()
}

#[async_trait]
impl AlertSink for SnsAlertSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        let envelope = Envelope::new(Event::SlaAlert(Box::new(alert.clone())), alert.fired_at);
        let message = serde_json::to_string(&envelope).map_err(|e| PortError::Invalid(format!("encode alert: {e}")))?;
        self.counters.add(Op::Publish);
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(alert))
            .message(message)
            .message_attributes("level", attr(alert.level.as_str())?)
            .message_attributes("queue", attr(&alert.queue)?)
            .send()
            .await
            .map_err(|e| map_sdk("Publish", e))?;
        Ok(())
    }
}
