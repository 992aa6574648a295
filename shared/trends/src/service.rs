//! The trend service: stored posts in, counts, alerts and hot topics out. The same service runs
//! in the `trends` Lambda (fed by the posts table's stream) and under `care serve` (fed by every
//! post the pipeline stores). Async over ports, no runtime of its own.

use crate::detector::{Closed, Detector};
use crate::model::{KeyKind, Observation, TrendAlert};
use crate::store::{CounterUpdate, CountsRow, Period, Totals, TrendSink, TrendStore};
use jiff::Timestamp;
use serde::Serialize;
use socialcare_domain::ports::{CaseStore, CustomerStore};
use socialcare_domain::{AuthorId, PortResult, Post};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Where a post's region comes from: its account first, then its language (the `[routing]`
/// regions).
#[derive(Debug, Clone, Default)]
pub struct Regions {
    pub by_account: BTreeMap<String, String>,
    pub by_language: BTreeMap<String, String>,
}

impl Regions {
    pub fn of(&self, post: &Post) -> Option<&str> {
        self.by_account.get(&post.account).map(String::as_str).or_else(|| {
            let lang = post.classification.as_ref()?.language.as_ref()?;
            self.by_language.get(lang.as_str()).map(String::as_str)
        })
    }
}

/// What a flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flushed {
    pub buckets: usize,
    pub alerts: usize,
}

/// The cases an alert's authors have, looked up when it fires (at most this many authors).
const CASE_LOOKUPS: usize = 10;

pub struct TrendService {
    detector: Mutex<Detector>,
    /// Buckets closed and not yet written.
    closed: Mutex<Vec<Closed>>,
    version: Mutex<Option<u64>>,
    /// When this instance last saved the state, and how often it saves (`state_save_secs`).
    saved_at: Mutex<Option<Timestamp>>,
    save_every: i64,
    store: Arc<dyn TrendStore>,
    sink: Arc<dyn TrendSink>,
    customers: Arc<dyn CustomerStore>,
    cases: Arc<dyn CaseStore>,
    regions: Regions,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TrendService {
    pub fn new(
        detector: Detector,
        store: Arc<dyn TrendStore>,
        sink: Arc<dyn TrendSink>,
        customers: Arc<dyn CustomerStore>,
        cases: Arc<dyn CaseStore>,
        regions: Regions,
    ) -> Self {
        let save_every = i64::from(detector.config().state_save_secs);
        Self {
            detector: Mutex::new(detector),
            closed: Mutex::new(Vec::new()),
            version: Mutex::new(None),
            saved_at: Mutex::new(None),
            save_every,
            store,
            sink,
            customers,
            cases,
            regions,
        }
    }

    /// Where the counts, alerts and state are kept (an erasure cleans its alerts).
    pub fn store(&self) -> Arc<dyn TrendStore> {
        self.store.clone()
    }

    /// Takes the stored detector state (a state of another shape is dropped: the baselines
    /// start again, logged).
    pub async fn restore(&self) -> PortResult<()> {
        if let Some(s) = self.store.load_state().await? {
            let json = crate::pack::inflate(&s.bytes);
            if let Err(e) = lock(&self.detector).restore(&json) {
                tracing::warn!(error = %e, "trend state not restored; baselines start afresh");
            }
            *lock(&self.version) = Some(s.version);
        }
        Ok(())
    }

    /// Counts one stored post (our own, deleted and unclassified posts are not counted).
    pub fn observe(&self, post: &Post) {
        let region = self.regions.of(post);
        if let Some(o) = Observation::of(post, region) {
            let closed = lock(&self.detector).observe(&o);
            lock(&self.closed).extend(closed);
        }
    }

    /// Closes the buckets that ended by `now`, writes their counts (hour and day rows), records
    /// and publishes their alerts with the cases they touch, and saves the detector's state when
    /// `save`, or when a bucket closed and the last save is `state_save_secs` old (the first
    /// bucket an instance closes always saves).
    pub async fn flush(&self, now: Timestamp, save: bool) -> PortResult<Flushed> {
        let more = lock(&self.detector).advance(now);
        let closed: Vec<Closed> = {
            let mut c = lock(&self.closed);
            c.extend(more);
            std::mem::take(&mut *c)
        };
        let due = !closed.is_empty()
            && lock(&self.saved_at).is_none_or(|at| now.as_second() - at.as_second() >= self.save_every);
        if save || due {
            *lock(&self.saved_at) = Some(now);
            let bytes = lock(&self.detector).snapshot();
            let packed = crate::pack::deflate(&bytes);
            let expected = *lock(&self.version);
            if self.store.save_state(expected, &packed).await? {
                *lock(&self.version) = Some(expected.map_or(1, |v| v + 1));
            } else {
                // Another instance saved meanwhile: take its state from now on (this one's
                // counts of the buckets closed here are still written).
                tracing::warn!("trend state moved under this instance; reloading");
                self.restore().await?;
            }
        }
        let mut updates = Vec::new();
        let mut alerts = Vec::new();
        for c in &closed {
            if c.summary.total > 0 {
                // Hour rows only: a day row would grow with every key of the day and each
                // bucket's update would cost its whole size (≈ 20 write units a bucket at HP's
                // volume); days are summed from their hours when read.
                updates.push(CounterUpdate {
                    period: Period::Hour,
                    start: Period::Hour.floor(c.summary.start.as_second()),
                    total: u64::from(c.summary.total),
                    keys: c.summary.keys.clone(),
                });
            }
            alerts.extend(c.alerts.iter().cloned());
        }
        if !updates.is_empty() {
            self.store.add_counts(&updates).await?;
        }
        let n = alerts.len();
        for mut a in alerts {
            a.cases = self.cases_of(&a.authors).await?;
            if self.store.record_alert(&a).await? {
                tracing::info!(alert = %a.id, count = a.count, expected = a.expected, "trend alert");
            }
            self.sink.publish(&a).await?;
            self.store.mark_alert_delivered(&a.id).await?;
        }
        Ok(Flushed {
            buckets: closed.len(),
            alerts: n,
        })
    }

    async fn cases_of(&self, authors: &[String]) -> PortResult<Vec<String>> {
        let mut out = Vec::new();
        for a in authors.iter().take(CASE_LOOKUPS) {
            let Ok(author) = AuthorId::parse(a.as_str()) else {
                continue;
            };
            if let Some(customer) = self.customers.customer_of(&author).await?
                && let Some(case) = self.cases.active_case_of(&customer).await?
                && !out.contains(&case.to_string())
            {
                out.push(case.to_string());
            }
        }
        Ok(out)
    }

    /// Alerts, newest first.
    pub async fn alerts(&self, since: i64, limit: usize) -> PortResult<Vec<TrendAlert>> {
        self.store.alerts(since, limit).await
    }

    /// The counts rows of `period` starting in `[from, end)`: hour rows as stored, day rows
    /// summed from their hours.
    async fn rows(&self, period: Period, from: i64, end: i64) -> PortResult<Vec<CountsRow>> {
        let hours = self.store.rows(Period::Hour, from, end).await?;
        if period == Period::Hour {
            return Ok(hours);
        }
        let mut days: BTreeMap<i64, CountsRow> = BTreeMap::new();
        for h in hours {
            let start = period.floor(h.start);
            let day = days.entry(start).or_insert_with(|| CountsRow {
                start,
                total: 0,
                keys: BTreeMap::new(),
            });
            day.total += h.total;
            for (k, t) in &h.keys {
                day.keys.entry(k.clone()).or_default().merge(t);
            }
        }
        Ok(days.into_values().collect())
    }

    /// The top keys of a window against the window before.
    pub async fn hot(&self, window: Window, language: Option<&str>, now: Timestamp, limit: usize) -> PortResult<Hot> {
        let (period, n) = window.rows();
        let end = period.floor(now.as_second()) + period.secs();
        let from = end - 2 * n * period.secs();
        let rows = self.rows(period, from, end).await?;
        let split = end - n * period.secs();
        let sum = |rows: &mut dyn Iterator<Item = &CountsRow>| {
            let mut total = 0u64;
            let mut keys: BTreeMap<String, Totals> = BTreeMap::new();
            for r in rows {
                total += r.total;
                for (k, t) in &r.keys {
                    keys.entry(k.clone()).or_default().merge(t);
                }
            }
            (total, keys)
        };
        let (total, now_keys) = sum(&mut rows.iter().filter(|r| r.start >= split));
        let (prev_total, prev_keys) = sum(&mut rows.iter().filter(|r| r.start < split));
        let wanted = |k: &str, t: &Totals| match language {
            // A language filter keeps that language's phrases and per-language topic keys.
            Some(l) => t.language.as_deref() == Some(l),
            // Without one: overall topic keys and every phrase.
            None => t.kind == Some(KeyKind::Phrase) || !k.contains('@'),
        };
        let mut items: Vec<HotItem> = now_keys
            .iter()
            .filter(|(k, t)| wanted(k, t))
            .map(|(k, t)| {
                let before = prev_keys.get(k).map_or(0, |p| p.posts);
                HotItem {
                    key: k.clone(),
                    label: t.label.clone(),
                    kind: t.kind,
                    language: t.language.clone(),
                    posts: t.posts,
                    previous: before,
                    change: (before > 0).then(|| round2(t.posts as f64 / before as f64 - 1.0)),
                    negative: t.negative,
                    positive: t.positive,
                    sentiment: round2(t.sentiment_milli as f64 / 1000.0 / (t.posts.max(1) as f64)),
                }
            })
            .collect();
        items.sort_by(|a, b| b.posts.cmp(&a.posts).then(a.key.cmp(&b.key)));
        let topics: Vec<HotItem> = items
            .iter()
            .filter(|i| i.kind != Some(KeyKind::Phrase))
            .take(limit)
            .cloned()
            .collect();
        let phrases: Vec<HotItem> = items
            .into_iter()
            .filter(|i| i.kind == Some(KeyKind::Phrase))
            .take(limit)
            .collect();
        Ok(Hot {
            window: window.as_str(),
            from: Timestamp::from_second(split).unwrap_or(now),
            to: Timestamp::from_second(end).unwrap_or(now),
            posts: total,
            previous_posts: prev_total,
            topics,
            phrases,
        })
    }

    /// One key's counts per row over a window (hours for 1h and 24h, days for 7d).
    pub async fn series(&self, key: &str, window: Window, now: Timestamp) -> PortResult<Series> {
        let (period, n) = window.rows();
        let end = period.floor(now.as_second()) + period.secs();
        let from = end - n * period.secs();
        let rows = self.rows(period, from, end).await?;
        let mut label = String::new();
        let points = (0..n)
            .map(|i| {
                let start = from + i * period.secs();
                let row = rows.iter().find(|r| r.start == start);
                let t = row.and_then(|r| r.keys.get(key));
                if let Some(t) = t
                    && label.is_empty()
                {
                    label = t.label.clone();
                }
                Point {
                    start: Timestamp::from_second(start).unwrap_or(now),
                    posts: t.map_or(0, |t| t.posts),
                    of_total: row.map_or(0, |r| r.total),
                    negative: t.map_or(0, |t| t.negative),
                    sentiment: t.map(|t| round2(t.sentiment_milli as f64 / 1000.0 / (t.posts.max(1) as f64))),
                }
            })
            .collect();
        Ok(Series {
            key: key.to_string(),
            label,
            period: period.as_str(),
            points,
        })
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `window=` of the hot-topics routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Hour,
    Day,
    Week,
}

impl Window {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1h" => Some(Window::Hour),
            "24h" => Some(Window::Day),
            "7d" => Some(Window::Week),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Hour => "1h",
            Window::Day => "24h",
            Window::Week => "7d",
        }
    }
    /// The rows a window is made of: the current one and those before it.
    fn rows(self) -> (Period, i64) {
        match self {
            Window::Hour => (Period::Hour, 1),
            Window::Day => (Period::Hour, 24),
            Window::Week => (Period::Day, 7),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotItem {
    pub key: String,
    pub label: String,
    pub kind: Option<KeyKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub posts: u64,
    pub previous: u64,
    /// posts / previous − 1 (None when there were none before).
    pub change: Option<f64>,
    pub negative: u64,
    pub positive: u64,
    pub sentiment: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hot {
    pub window: &'static str,
    pub from: Timestamp,
    pub to: Timestamp,
    pub posts: u64,
    pub previous_posts: u64,
    pub topics: Vec<HotItem>,
    pub phrases: Vec<HotItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub start: Timestamp,
    pub posts: u64,
    pub of_total: u64,
    pub negative: u64,
    pub sentiment: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub key: String,
    pub label: String,
    pub period: &'static str,
    pub points: Vec<Point>,
}
