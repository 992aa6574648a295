//! The port the trend service keeps its counts, alerts and detector state in, and its
//! in-memory implementation. Counts are rows of (scope, period, start) with one counter set per
//! key, added to as buckets close (DynamoDB: UpdateItem `ADD`s, batched per row), read by range
//! (a Query, never a scan).

use crate::model::{KeyCount, KeyKind, TrendAlert};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use socialcare_domain::PortResult;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// The length of a counts row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Hour,
    Day,
}

impl Period {
    pub fn secs(self) -> i64 {
        match self {
            Period::Hour => 3600,
            Period::Day => 86_400,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }
    /// The start of the row holding `secs`.
    pub fn floor(self, secs: i64) -> i64 {
        secs.div_euclid(self.secs()) * self.secs()
    }
}

/// The counters of one key in one row.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub label: String,
    pub kind: Option<KeyKind>,
    pub language: Option<String>,
    pub posts: u64,
    pub negative: u64,
    pub positive: u64,
    pub sentiment_milli: i64,
}

impl Totals {
    pub fn add(&mut self, k: &KeyCount) {
        if self.label.is_empty() {
            self.label = k.label.clone();
            self.kind = Some(k.kind);
            self.language = k.language.clone();
        }
        self.posts += u64::from(k.posts);
        self.negative += u64::from(k.negative);
        self.positive += u64::from(k.positive);
        self.sentiment_milli += k.sentiment_milli;
    }
    pub fn merge(&mut self, o: &Totals) {
        if self.label.is_empty() {
            self.label = o.label.clone();
            self.kind = o.kind;
            self.language = o.language.clone();
        }
        self.posts += o.posts;
        self.negative += o.negative;
        self.positive += o.positive;
        self.sentiment_milli += o.sentiment_milli;
    }
}

/// What to add to one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterUpdate {
    pub period: Period,
    pub start: i64,
    pub total: u64,
    pub keys: Vec<KeyCount>,
}

/// One row as read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CountsRow {
    pub start: i64,
    pub total: u64,
    pub keys: BTreeMap<String, Totals>,
}

/// The stored detector state, with the version a conditional save compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: u64,
    pub bytes: Vec<u8>,
}

#[async_trait]
pub trait TrendStore: Send + Sync {
    /// Adds each update to its row (created when missing). Not idempotent: the caller adds a
    /// bucket once (the detector closes it once per state).
    async fn add_counts(&self, updates: &[CounterUpdate]) -> PortResult<()>;
    /// The rows of `period` starting in `[from, to)`, oldest first.
    async fn rows(&self, period: Period, from: i64, to: i64) -> PortResult<Vec<CountsRow>>;
    /// Conditional insert by `alert.id`: false when it exists (one alert per key and window).
    async fn record_alert(&self, alert: &TrendAlert) -> PortResult<bool>;
    async fn mark_alert_delivered(&self, id: &str) -> PortResult<()>;
    /// Alerts fired at or after `since` (unix seconds), newest first, at most `limit`.
    async fn alerts(&self, since: i64, limit: usize) -> PortResult<Vec<TrendAlert>>;
    /// Rewrites a recorded alert's document (its delivery state stays): an erasure took the
    /// erased customer's example posts and authors out of it. Nothing when it is not there.
    async fn rewrite_alert(&self, alert: &TrendAlert) -> PortResult<()>;
    async fn load_state(&self) -> PortResult<Option<Snapshot>>;
    /// Saves the state if the stored version is `expected` (None: no state yet); the new
    /// version is `expected + 1`. False when another writer moved it meanwhile.
    async fn save_state(&self, expected: Option<u64>, bytes: &[u8]) -> PortResult<bool>;
}

/// Everything in memory (`care serve`, tests).
#[derive(Debug, Default)]
pub struct MemoryTrendStore {
    rows: Mutex<HashMap<Period, BTreeMap<i64, CountsRow>>>,
    alerts: Mutex<BTreeMap<String, TrendAlert>>,
    state: Mutex<Option<Snapshot>>,
}

impl MemoryTrendStore {
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl TrendStore for MemoryTrendStore {
    async fn add_counts(&self, updates: &[CounterUpdate]) -> PortResult<()> {
        let mut rows = lock(&self.rows);
        for u in updates {
            let row = rows
                .entry(u.period)
                .or_default()
                .entry(u.start)
                .or_insert_with(|| CountsRow {
                    start: u.start,
                    ..CountsRow::default()
                });
            row.total += u.total;
            for k in &u.keys {
                row.keys.entry(k.key.clone()).or_default().add(k);
            }
        }
        Ok(())
    }

    async fn rows(&self, period: Period, from: i64, to: i64) -> PortResult<Vec<CountsRow>> {
        Ok(lock(&self.rows)
            .get(&period)
            .map(|r| r.range(from..to).map(|(_, v)| v.clone()).collect())
            .unwrap_or_default())
    }

    async fn record_alert(&self, alert: &TrendAlert) -> PortResult<bool> {
        let mut alerts = lock(&self.alerts);
        if alerts.contains_key(&alert.id) {
            return Ok(false);
        }
        alerts.insert(alert.id.clone(), alert.clone());
        Ok(true)
    }

    async fn mark_alert_delivered(&self, id: &str) -> PortResult<()> {
        if let Some(a) = lock(&self.alerts).get_mut(id) {
            a.delivered = true;
        }
        Ok(())
    }

    async fn alerts(&self, since: i64, limit: usize) -> PortResult<Vec<TrendAlert>> {
        let mut out: Vec<TrendAlert> = lock(&self.alerts)
            .values()
            .filter(|a| a.fired_at.as_second() >= since)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then(a.id.cmp(&b.id)));
        out.truncate(limit);
        Ok(out)
    }

    async fn rewrite_alert(&self, alert: &TrendAlert) -> PortResult<()> {
        if let Some(a) = lock(&self.alerts).get_mut(&alert.id) {
            let delivered = a.delivered;
            *a = alert.clone();
            a.delivered = delivered;
        }
        Ok(())
    }

    async fn load_state(&self) -> PortResult<Option<Snapshot>> {
        Ok(lock(&self.state).clone())
    }

    async fn save_state(&self, expected: Option<u64>, bytes: &[u8]) -> PortResult<bool> {
        let mut state = lock(&self.state);
        if state.as_ref().map(|s| s.version) != expected {
            return Ok(false);
        }
        *state = Some(Snapshot {
            version: expected.map_or(1, |v| v + 1),
            bytes: bytes.to_vec(),
        });
        Ok(true)
    }
}

/// Where trend alerts go besides the store: SNS, outgoing webhooks, a recorder in tests.
#[async_trait]
pub trait TrendSink: Send + Sync {
    async fn publish(&self, alert: &TrendAlert) -> PortResult<()>;
}

/// Keeps what was published (tests, `care serve`'s memory backend).
#[derive(Debug, Default)]
pub struct RecordingTrendSink {
    seen: Mutex<Vec<TrendAlert>>,
}

impl RecordingTrendSink {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn seen(&self) -> Vec<TrendAlert> {
        lock(&self.seen).clone()
    }
}

#[async_trait]
impl TrendSink for RecordingTrendSink {
    async fn publish(&self, alert: &TrendAlert) -> PortResult<()> {
        lock(&self.seen).push(alert.clone());
        Ok(())
    }
}

/// Publishes to every sink; fails (the alert is published again on the next flush) if any did.
pub struct FanoutTrendSink(pub Vec<std::sync::Arc<dyn TrendSink>>);

#[async_trait]
impl TrendSink for FanoutTrendSink {
    async fn publish(&self, alert: &TrendAlert) -> PortResult<()> {
        let mut failures = Vec::new();
        for s in &self.0 {
            if let Err(e) = s.publish(alert).await {
                failures.push(e.to_string());
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(socialcare_domain::PortError::Unavailable(failures.join("; ")))
        }
    }
}

/// The most trend alerts an erasure looks through (the newest; trend alerts are a few a day).
pub const MAX_ALERTS_ERASED: usize = 10_000;

/// Takes an erased customer's example posts and authors out of the recorded trend alerts (a
/// data-subject erasure, `socialcare_domain::services::privacy`). The counts stay: they name
/// no one. The detector's in-flight state (the open windows' examples) ages out within its
/// windows and is not rewritten.
pub struct TrendEraser(pub std::sync::Arc<dyn TrendStore>);

#[async_trait]
impl socialcare_domain::ports::Eraser for TrendEraser {
    fn name(&self) -> &'static str {
        "trend alerts"
    }

    async fn erase(
        &self,
        authors: &[socialcare_domain::AuthorId],
        posts: &[socialcare_domain::PostId],
    ) -> PortResult<u32> {
        let authors: std::collections::BTreeSet<&str> = authors.iter().map(|a| a.as_str()).collect();
        let posts: std::collections::BTreeSet<&str> = posts.iter().map(|p| p.as_str()).collect();
        let mut changed = 0;
        for mut alert in self.0.alerts(0, MAX_ALERTS_ERASED).await? {
            let before = (alert.examples.len(), alert.authors.len());
            alert.examples.retain(|e| !posts.contains(e.as_str()));
            alert.authors.retain(|a| !authors.contains(a.as_str()));
            if (alert.examples.len(), alert.authors.len()) != before {
                self.0.rewrite_alert(&alert).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}
