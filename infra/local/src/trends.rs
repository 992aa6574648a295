//! The `trends` function in-process: every post the pipeline stores (chatter included, never on
//! the webhook's path) is handed over by a tap on the post store to a task that counts it; a
//! timer closes the buckets, writes the counts and publishes the alerts (`trend.alert.v1`) to
//! the alert log, the outgoing webhooks and the store behind `GET /v1/trends/alerts`.

use async_trait::async_trait;
use socialcare_domain::ports::PostStore;
use socialcare_domain::{AuthorId, Channel, PortResult, Post, PostId};
use socialcare_trends::service::TrendService;
use socialcare_trends::store::TrendSink;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

pub use socialcare_kit::trends::{regions, trends_config};

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
    async fn posts_by_author(&self, author: &AuthorId) -> PortResult<Vec<PostId>> {
        self.inner.posts_by_author(author).await
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
            sinks.push(Arc::new(socialcare_channels::alerts::WebhookTrendSink {
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
