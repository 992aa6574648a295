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

/// SNS subjects of trend alerts (same rules as above).
fn trend_subject(alert: &socialcare_trends::TrendAlert) -> String {
    let raw = format!(
        "Trend: {} ({} vs {:.0} expected)",
        alert.label, alert.count, alert.expected
    );
    raw.chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
        .take(100)
        .collect()
}

/// Trend spikes go to the same topic as SLA alerts: a `trend.alert.v1` envelope, with `level`
/// `trend` (so a subscription's filter policy on `level` can take or leave them) and `queue`
/// `trends`.
#[async_trait]
impl socialcare_trends::store::TrendSink for SnsAlertSink {
    async fn publish(&self, alert: &socialcare_trends::TrendAlert) -> PortResult<()> {
        let message = serde_json::to_string(&serde_json::json!({
            "id": alert.id,
            "type": "trend.alert.v1",
            "occurred_at": alert.fired_at,
            "data": alert,
        }))
        .map_err(|e| PortError::Invalid(format!("encode trend alert: {e}")))?;
        self.counters.add(Op::Publish);
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(trend_subject(alert))
            .message(message)
            .message_attributes("level", attr("trend")?)
            .message_attributes("queue", attr("trends")?)
            .send()
            .await
            .map_err(|e| map_sdk("Publish", e))?;
        Ok(())
    }
}

/// SNS subjects of channel alerts (same rules as above).
fn channel_subject(alert: &socialcare_domain::health::ChannelAlert) -> String {
    let raw = format!("Channel {} {}: {}", alert.platform, alert.account, alert.kind.as_str());
    raw.chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
        .take(100)
        .collect()
}

/// Channel incidents go to the same topic as SLA alerts: a `channel.alert.v1` envelope, with
/// `level` `channel` (for subscription filter policies) and `queue` `channels`.
#[async_trait]
impl socialcare_domain::ports::ChannelAlertSink for SnsAlertSink {
    async fn publish_channel(&self, alert: &socialcare_domain::health::ChannelAlert) -> PortResult<()> {
        let message = serde_json::to_string(&serde_json::json!({
            "id": alert.id,
            "type": "channel.alert.v1",
            "occurred_at": alert.fired_at,
            "data": alert,
        }))
        .map_err(|e| PortError::Invalid(format!("encode channel alert: {e}")))?;
        self.counters.add(Op::Publish);
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(channel_subject(alert))
            .message(message)
            .message_attributes("level", attr("channel")?)
            .message_attributes("queue", attr("channels")?)
            .send()
            .await
            .map_err(|e| map_sdk("Publish", e))?;
        Ok(())
    }
}
