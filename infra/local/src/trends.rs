//! The `trends` function in-process: every post the pipeline stores (chatter included, never on
//! the webhook's path) is handed over by a tap on the post store to a task that counts it; a
//! timer closes the buckets, writes the counts and publishes the alerts (`trend.alert.v1`) to
//! the alert log, the outgoing webhooks and the store behind `GET /v1/trends/alerts`.

use async_trait::async_trait;
use socialcare_domain::ports::PostStore;
use socialcare_domain::{Channel, PortError, PortResult, Post, PostId, Settings};
use socialcare_trends::service::{Regions, TrendService};
use socialcare_trends::store::TrendSink;
use socialcare_trends::{TopicRule, TrendAlert, TrendsConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// The `[trends]` section, with the `[routing]` products as topics; every problem named.
pub fn trends_config(name: &str, text: &str, settings: &Settings) -> anyhow::Result<TrendsConfig> {
    let config: TrendsConfig =
        socialcare_kit::config::section(name, text, "trends").map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = config.with_products(settings.routing.products.iter().map(|p| TopicRule {
        name: p.name.clone(),
        aliases: p.aliases.clone(),
    }));
    let problems = config.problems();
    if !problems.is_empty() {
        let all: Vec<String> = problems.iter().map(|p| format!("{name}: {p}")).collect();
        anyhow::bail!("{}", all.join("\n"));
    }
    Ok(config)
}

/// The regions of the `[routing]` section, by account and language.
pub fn regions(settings: &Settings) -> Regions {
    Regions {
        by_account: settings.routing.region_by_account.clone(),
        by_language: settings
            .routing
            .region_by_language
            .iter()
            .map(|(l, r)| (l.as_str().to_string(), r.clone()))
            .collect(),
    }
}

/// A post store that hands every newly stored post to the trends task (a channel send: the
/// storing stage never waits for the counting).
pub struct TappedPosts {
    pub inner: Arc<dyn PostStore>,
    pub tx: UnboundedSender<Post>,
}

#[async_trait]
impl PostStore for TappedPosts {
    async fn insert(&self, post: &Post) -> PortResult<bool> {
        let new = self.inner.insert(post).await?;
        if new {
            // A closed channel means the trends task stopped: the post is stored all the same.
            let _ = self.tx.send(post.clone());
        }
        Ok(new)
    }
    async fn put(&self, post: &Post) -> PortResult<()> {
        self.inner.put(post).await
    }
    async fn get(&self, id: &PostId) -> PortResult<Option<Post>> {
        self.inner.get(id).await
    }
    async fn get_many(&self, ids: &[PostId]) -> PortResult<Vec<Post>> {
        self.inner.get_many(ids).await
    }
    async fn remember_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>> {
        self.inner.remember_platform_id(post).await
    }
    async fn await_parent(&self, post: &Post) -> PortResult<bool> {
        self.inner.await_parent(post).await
    }
    async fn find_by_platform_id(
        &self,
        channel: Channel,
        account: &str,
        platform_id: &str,
    ) -> PortResult<Option<PostId>> {
        self.inner.find_by_platform_id(channel, account, platform_id).await
    }
}

/// The trends task: counts the posts it is handed, flushes every `every`.
pub fn spawn(
    on: &tokio::runtime::Handle,
    service: Arc<TrendService>,
    mut rx: UnboundedReceiver<Post>,
    clock: Arc<dyn socialcare_domain::ports::Clock>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    on.spawn(async move {
        if let Err(e) = service.restore().await {
            tracing::warn!(error = %e, "trend state not read; baselines start afresh");
        }
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                post = rx.recv() => match post {
                    Some(p) => service.observe(&p),
                    None => return,
                },
                _ = tick.tick() => {
                    if let Err(e) = service.flush(clock.now(), false).await {
                        tracing::warn!(error = %e, "trend flush failed; the next one retries");
                    }
                }
            }
        }
    })
}

/// Posts each trend alert to an outgoing webhook (Slack-compatible: `text`, and the full
/// `trend.alert.v1` envelope under `alert`).
pub struct WebhookTrendSink {
    pub client: reqwest::Client,
    pub name: String,
    pub url: String,
}

#[async_trait]
impl TrendSink for WebhookTrendSink {
    async fn publish(&self, alert: &TrendAlert) -> PortResult<()> {
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

/// The trend service of a stack: its store (the backend's, else memory), the alert log and the
/// outgoing webhooks as sinks. None when `[trends] enabled = false`.
pub fn service(
    opts: &crate::stack::StackOptions,
    ports: &crate::stack::Ports,
) -> anyhow::Result<Option<Arc<TrendService>>> {
    if !opts.trends.enabled {
        return Ok(None);
    }
    let detector = socialcare_trends::Detector::new(opts.trends.clone())
        .map_err(|p| anyhow::anyhow!("{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let store = ports
        .trend_store
        .clone()
        .unwrap_or_else(|| Arc::new(socialcare_trends::store::MemoryTrendStore::new()));
    let mut sinks: Vec<Arc<dyn TrendSink>> = Vec::new();
    for w in &opts.settings.alert_webhooks {
        if let Some(url) = (opts.secrets)(&w.url_env) {
            sinks.push(Arc::new(WebhookTrendSink {
                client: reqwest::Client::new(),
                name: w.name.clone(),
                url,
            }));
        }
    }
    Ok(Some(Arc::new(TrendService::new(
        detector,
        store,
        Arc::new(socialcare_trends::store::FanoutTrendSink(sinks)),
        ports.customers.clone(),
        ports.cases.clone(),
        regions(&opts.settings),
    ))))
}
