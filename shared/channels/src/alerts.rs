//! Alert sinks that leave the process: outgoing webhooks with Slack-compatible JSON
//! (`{"text": ...}` plus the full `sla.alert.v1` under `alert`), and a fan-out over several sinks.
//!
//! Delivery to sinks is at least once: a sink that fails makes the tick fail for that alert,
//! and the next tick delivers the recorded alert again (the alert log itself holds it once).

use crate::send::send_with_retry;
use async_trait::async_trait;
use serde_json::json;
use socialcare_domain::health::ChannelAlert;
use socialcare_domain::ports::{AlertSink, ChannelAlertSink};
use socialcare_domain::{Alert, Level, PortError, PortResult};
use std::sync::Arc;
use std::time::Duration;

/// POSTs each alert to one URL (a Slack incoming webhook, a pager, a chat bridge).
pub struct WebhookAlertSink {
    client: reqwest::Client,
    name: String,
    url: String,
    backoff: Duration,
    /// The levels this webhook takes; empty: all.
    levels: Vec<Level>,
}

impl WebhookAlertSink {
    pub fn new(client: reqwest::Client, name: &str, url: &str) -> Self {
        Self {
            client,
            name: name.to_string(),
            url: url.to_string(),
            backoff: Duration::from_millis(200),
            levels: Vec::new(),
        }
    }
    /// Only these levels are posted here (the others are skipped, not failed); empty: all.
    pub fn with_levels(mut self, levels: &[Level]) -> Self {
        self.levels = levels.to_vec();
        self
    }
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }
}

/// The one-line text a person reads in the channel.
pub fn alert_text(a: &Alert) -> String {
    let late = a.late_by_ms as f64 / 1000.0;
    format!(
        "SLA {} — {} target on case {} ({}, queue {}) was due {}; {:.1} s late; assignee: {}",
        a.level.as_str(),
        a.target,
        a.case_id,
        a.priority,
        a.queue,
        a.due_at,
        late,
        a.assignee.as_ref().map_or("nobody", |x| x.as_str()),
    )
}

#[async_trait]
impl AlertSink for WebhookAlertSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        if !self.levels.is_empty() && !self.levels.contains(&alert.level) {
            return Ok(());
        }
        let body = json!({ "text": alert_text(alert), "alert": alert }).to_string();
        send_with_retry(self.backoff, || {
            self.client
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await
        .map(|_| ())
        .map_err(|e| PortError::Unavailable(format!("alert webhook {}: {e}", self.name)))
    }
}

/// Channel incidents (`channel.alert.v1`) go to the same webhooks; a webhook limited to some
/// SLA levels takes none of them (its levels name SLA alerts only).
#[async_trait]
impl ChannelAlertSink for WebhookAlertSink {
    async fn publish_channel(&self, alert: &ChannelAlert) -> PortResult<()> {
        if !self.levels.is_empty() {
            return Ok(());
        }
        let body = json!({
            "text": alert.text(),
            "alert": {"id": alert.id, "type": "channel.alert.v1", "occurred_at": alert.fired_at, "data": alert},
        })
        .to_string();
        send_with_retry(self.backoff, || {
            self.client
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await
        .map(|_| ())
        .map_err(|e| PortError::Unavailable(format!("alert webhook {}: {e}", self.name)))
    }
}

/// A fan-out's outcome: every sink took the alert, or the sinks' errors together (unavailable:
/// the alert is published again on the next try).
fn all_delivered(failures: Vec<PortError>) -> PortResult<()> {
    if failures.is_empty() {
        Ok(())
    } else {
        let reasons: Vec<String> = failures.iter().map(ToString::to_string).collect();
        Err(PortError::Unavailable(reasons.join("; ")))
    }
}

/// Publishes channel alerts to every sink; fails (so the next check retries) if any failed.
pub struct FanoutChannelSink {
    sinks: Vec<Arc<dyn ChannelAlertSink>>,
}

impl FanoutChannelSink {
    pub fn new(sinks: Vec<Arc<dyn ChannelAlertSink>>) -> Self {
        Self { sinks }
    }
}

#[async_trait]
impl ChannelAlertSink for FanoutChannelSink {
    async fn publish_channel(&self, alert: &ChannelAlert) -> PortResult<()> {
        let mut failures = Vec::new();
        for sink in &self.sinks {
            failures.extend(sink.publish_channel(alert).await.err());
        }
        all_delivered(failures)
    }
}

/// Publishes to every sink; fails (so the alert is retried) if any sink failed.
pub struct FanoutAlertSink {
    sinks: Vec<Arc<dyn AlertSink>>,
}

impl FanoutAlertSink {
    pub fn new(sinks: Vec<Arc<dyn AlertSink>>) -> Self {
        Self { sinks }
    }
}

#[async_trait]
impl AlertSink for FanoutAlertSink {
    async fn publish(&self, alert: &Alert) -> PortResult<()> {
        let mut failures = Vec::new();
        for sink in &self.sinks {
            failures.extend(sink.publish(alert).await.err());
        }
        all_delivered(failures)
    }
}

/// Posts each trend alert to an outgoing webhook (Slack-compatible: `text`, and the full
/// `trend.alert.v1` envelope under `alert`).
pub struct WebhookTrendSink {
    pub client: reqwest::Client,
    pub name: String,
    pub url: String,
}

#[async_trait]
impl socialcare_trends::store::TrendSink for WebhookTrendSink {
    async fn publish(&self, alert: &socialcare_trends::TrendAlert) -> PortResult<()> {
        let body = serde_json::json!({
            "text": alert.text(),
            "alert": {"id": alert.id, "type": "trend.alert.v1", "occurred_at": alert.fired_at, "data": alert},
        });
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| PortError::Unavailable(format!("trend webhook {}: {e}", self.name)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(PortError::Unavailable(format!(
                "trend webhook {}: {}",
                self.name,
                response.status()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialcare_domain::{CaseId, CustomerId, Priority, Target};
    use wiremock::matchers::{body_partial_json, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn alert() -> Alert {
        Alert {
            id: "case-1#first_response#breach".into(),
            case_id: CaseId::parse("case-1").unwrap_or_else(|_| unreachable!()),
            customer_id: CustomerId::parse("cus-1").unwrap_or_else(|_| unreachable!()),
            target: Target::FirstResponse,
            level: Level::Breach,
            due_at: jiff::Timestamp::UNIX_EPOCH,
            fired_at: jiff::Timestamp::UNIX_EPOCH,
            late_by_ms: 1500,
            assignee: None,
            queue: "general".into(),
            priority: Priority::P1,
            delivered: false,
            acknowledged_by: None,
            acknowledged_at: None,
        }
    }

    #[tokio::test]
    async fn posts_slack_compatible_json() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_partial_json(
                json!({"alert": {"case_id": "case-1", "level": "breach"}}),
            ))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let sink = WebhookAlertSink::new(reqwest::Client::new(), "slack", &server.uri());
        assert!(sink.publish(&alert()).await.is_ok());
        let got = server.received_requests().await.unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap_or_default();
        assert!(
            body["text"]
                .as_str()
                .is_some_and(|t| t.contains("case-1") && t.contains("1.5 s late") && t.contains("nobody"))
        );
    }

    #[tokio::test]
    async fn a_webhook_for_some_levels_gets_only_those() {
        let head = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_partial_json(json!({"alert": {"level": "escalation_3"}})))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&head)
            .await;
        let sink = WebhookAlertSink::new(reqwest::Client::new(), "head-of-support", &head.uri())
            .with_levels(&[Level::Escalation3]);
        let mut a = alert();
        for level in [Level::Warning, Level::Breach, Level::Escalation2, Level::Escalation3] {
            a.level = level;
            assert!(sink.publish(&a).await.is_ok(), "{level:?}");
        }
        assert_eq!(head.received_requests().await.map(|r| r.len()), Some(1));
    }

    #[tokio::test]
    async fn a_failing_sink_fails_the_fanout_so_the_alert_is_retried() {
        let down = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&down)
            .await;
        let up = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&up)
            .await;
        let fanout = FanoutAlertSink::new(vec![
            Arc::new(WebhookAlertSink::new(reqwest::Client::new(), "up", &up.uri())),
            Arc::new(
                WebhookAlertSink::new(reqwest::Client::new(), "down", &down.uri())
                    .with_backoff(Duration::from_millis(1)),
            ),
        ]);
        let err = fanout
            .publish(&alert())
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("alert webhook down"), "{err}");
    }
}
