//! The detector: posts counted per bucket (topics exactly, phrases in a count-min sketch with
//! space-saving heavy hitters), and at each bucket's end every key's window count compared with
//! its baseline, SigniTrend style: the key's share of the window's posts against an exponentially
//! weighted mean and variance of that share (bias-corrected while young), with a Poisson floor
//! and a bias term for rare keys, hour-of-week seasonality for the configured topics once
//! weeks of history exist. Phrases keep their baselines in sketch cells (bounded memory, as in
//! SigniTrend), topics and intents their own. A spike alerts when it is far enough above (score,
//! ratio), big enough (minimum count), held (sustain), not just after another alert of the same
//! key (cooldown), issue-like (mean sentiment not positive) and after the warm-up.

use crate::config::{ConfigProblem, TrendsConfig};
use crate::detail::{Detail, Facts};
use crate::model::{BucketSummary, KeyCount, KeyKind, Observation, TrendAlert};
use crate::sketch::{CountMin, SpaceSaving, cell};
use crate::text::{Analyzer, hash, phrases, text_fingerprint};
use crate::topics::TopicMatcher;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Phrases kept per bucket summary (the rest are in the sketch only).
pub const SUMMARY_PHRASES: usize = 100;
/// Slots of the duplicate-text table (direct-mapped: bounded, a collision forgets a text).
const SEEN_SLOTS: usize = 1 << 15;
/// Hours in a week: the seasonal slots.
const WEEK_HOURS: usize = 168;

/// Exactly counted key of a bucket (a topic or an intent, overall or per language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Exact {
    label: String,
    kind: KeyKind,
    language: Option<String>,
    detail: Detail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Bucket {
    index: i64,
    /// The bucket's length (so a window knows its seconds).
    secs_hint: u32,
    total: u32,
    duplicates: u32,
    sentiment_sum: f64,
    sketch: CountMin,
    phrases: SpaceSaving,
    exact: BTreeMap<String, Exact>,
}

impl Bucket {
    fn new(index: i64, c: &TrendsConfig) -> Self {
        Self {
            index,
            secs_hint: c.bucket_secs,
            total: 0,
            duplicates: 0,
            sentiment_sum: 0.0,
            sketch: CountMin::new(c.sketch_rows, c.sketch_columns),
            phrases: SpaceSaving::new(c.top_k),
            exact: BTreeMap::new(),
        }
    }
    fn reset(&mut self, index: i64) {
        self.index = index;
        self.total = 0;
        self.duplicates = 0;
        self.sentiment_sum = 0.0;
        self.sketch.clear();
        self.phrases.clear();
        self.exact.clear();
    }
}

/// Exponentially weighted mean and variance of a share, with the weight seen so far (for the
/// bias correction while few buckets are in).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Ewma {
    mean: f64,
    var: f64,
}

impl Ewma {
    fn update(&mut self, x: f64, alpha: f64) {
        let delta = x - self.mean;
        self.mean += alpha * delta;
        self.var = (1.0 - alpha) * (self.var + alpha * delta * delta);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TopicBaseline {
    share: Ewma,
    weight: f64,
    sentiment: Ewma,
    /// Hour-of-week factors and how many buckets taught each.
    season: Vec<f32>,
    season_n: Vec<u32>,
}

impl TopicBaseline {
    fn new() -> Self {
        Self {
            share: Ewma::default(),
            weight: 0.0,
            sentiment: Ewma::default(),
            season: vec![1.0; WEEK_HOURS],
            season_n: vec![0; WEEK_HOURS],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Streak {
    count: u32,
    since: i64,
    seen: i64,
}

/// The detector's whole state (persisted between runs of the function).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    ring: Vec<Bucket>,
    /// The bucket being filled.
    current: Option<i64>,
    /// The first bucket ever counted (warm-up).
    first: Option<i64>,
    /// Phrase baselines, one per sketch cell.
    cells: Vec<Ewma>,
    cells_weight: f64,
    topics: BTreeMap<String, TopicBaseline>,
    streaks: HashMap<u64, Streak>,
    cooldown: HashMap<u64, i64>,
    /// The authors of the alerts of the cooldown (a later spike of the same posts under another
    /// key is the same story: it is not alerted again).
    #[serde(default)]
    recent: Vec<(i64, Vec<String>)>,
    seen: Vec<(u64, i64)>,
    sentiment: Ewma,
    sentiment_weight: f64,
}

/// One closed bucket: what to keep and what to say.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub summary: BucketSummary,
    pub alerts: Vec<TrendAlert>,
}

pub struct Detector {
    config: TrendsConfig,
    analyzer: Analyzer,
    topics: TopicMatcher,
    alpha: f64,
    state: State,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("current", &self.state.current)
            .finish()
    }
}

/// Why a snapshot cannot be restored (the caller starts afresh).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("snapshot does not decode: {0}")]
    Decode(String),
    #[error("snapshot was taken with other sketch dimensions or window")]
    Shape,
}

fn intent_name(i: socialcare_domain::Intent) -> &'static str {
    use socialcare_domain::Intent::*;
    match i {
        Question => "question",
        Problem => "problem",
        Complaint => "complaint",
        Praise => "praise",
        Purchase => "purchase",
        Spam => "spam",
        Other => "other",
    }
}

impl Detector {
    pub fn new(config: TrendsConfig) -> Result<Self, Vec<ConfigProblem>> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let analyzer = Analyzer::new(&config.ignore);
        let topics = TopicMatcher::new(&config.topics, &analyzer);
        let alpha = 1.0 - 0.5f64.powf(f64::from(config.bucket_secs) / f64::from(config.half_life_secs));
        let state = State {
            ring: (0..config.window_buckets.max(config.long_window_buckets))
                .map(|_| Bucket::new(i64::MIN, &config))
                .collect(),
            current: None,
            first: None,
            cells: vec![Ewma::default(); config.sketch_rows * config.sketch_columns],
            cells_weight: 0.0,
            topics: BTreeMap::new(),
            streaks: HashMap::new(),
            cooldown: HashMap::new(),
            recent: Vec::new(),
            seen: vec![(0, i64::MIN); SEEN_SLOTS],
            sentiment: Ewma::default(),
            sentiment_weight: 0.0,
        };
        Ok(Self {
            config,
            analyzer,
            topics,
            alpha,
            state,
        })
    }

    pub fn config(&self) -> &TrendsConfig {
        &self.config
    }

    /// The state as bytes (JSON, to be compressed by the store).
    pub fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&self.state).unwrap_or_default()
    }

    /// Restores a snapshot taken with the same sketch and window.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), RestoreError> {
        let mut state: State = serde_json::from_slice(bytes).map_err(|e| RestoreError::Decode(e.to_string()))?;
        let c = &self.config;
        if state.ring.len() != c.window_buckets.max(c.long_window_buckets) as usize
            || state.cells.len() != c.sketch_rows * c.sketch_columns
            || state.seen.len() != SEEN_SLOTS
            || state
                .ring
                .iter()
                .any(|b| b.sketch.rows != c.sketch_rows || b.sketch.columns != c.sketch_columns)
        {
            return Err(RestoreError::Shape);
        }
        for b in &mut state.ring {
            b.phrases.capacity = c.top_k;
            b.phrases.reindex();
        }
        self.state = state;
        Ok(())
    }

    /// Bytes of state held (what a snapshot costs, before compression).
    pub fn state_bytes(&self) -> usize {
        self.snapshot().len()
    }

    fn bucket_of(&self, at: Timestamp) -> i64 {
        at.as_second().div_euclid(i64::from(self.config.bucket_secs))
    }

    fn start_of(&self, bucket: i64) -> Timestamp {
        Timestamp::from_second(bucket * i64::from(self.config.bucket_secs)).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn slot(&self, bucket: i64) -> usize {
        bucket.rem_euclid(i64::from(
            self.config.window_buckets.max(self.config.long_window_buckets),
        )) as usize
    }

    /// Closes every bucket that ended by `now` (call it on a timer: a quiet stream still
    /// evaluates, and baselines learn the quiet).
    pub fn advance(&mut self, now: Timestamp) -> Vec<Closed> {
        let target = self.bucket_of(now);
        let mut out = Vec::new();
        let Some(mut current) = self.state.current else {
            return out;
        };
        // A long gap (the function was off): evaluate at most one window of empty buckets.
        if target - current > i64::from(self.config.window_buckets.max(self.config.long_window_buckets)) + 1 {
            out.push(self.close(current));
            current = target - 1;
            for b in &mut self.state.ring {
                b.reset(i64::MIN);
            }
            let slot = self.slot(current);
            self.state.ring[slot].reset(current);
            self.state.current = Some(current);
        }
        while current < target {
            out.push(self.close(current));
            current += 1;
            let slot = self.slot(current);
            self.state.ring[slot].reset(current);
            self.state.current = Some(current);
        }
        out
    }

    /// Counts one post (a post older than the bucket being filled counts in it: late posts are
    /// not lost). Answers the buckets its time closed.
    pub fn observe(&mut self, o: &Observation<'_>) -> Vec<Closed> {
        let b = self.bucket_of(o.at);
        let closed = match self.state.current {
            None => {
                self.state.current = Some(b);
                self.state.first = Some(b);
                let slot = self.slot(b);
                self.state.ring[slot].reset(b);
                Vec::new()
            }
            Some(c) if b > c => self.advance(o.at),
            Some(_) => Vec::new(),
        };
        let Some(current) = self.state.current else {
            return closed;
        };
        let slot = self.slot(current);
        if self.config.dedupe_texts {
            let fp = text_fingerprint(o.text);
            let i = (fp as usize) & (SEEN_SLOTS - 1);
            let (seen, at) = self.state.seen[i];
            if seen == fp && current - at < i64::from(self.config.window_buckets) {
                self.state.ring[slot].duplicates += 1;
                return closed;
            }
            self.state.seen[i] = (fp, current);
        }
        let language = if o.language.is_empty() { "und" } else { o.language };
        let facts = Facts {
            post_id: o.post_id,
            author_id: o.author_id,
            language,
            channel: o.channel.as_str(),
            region: o.region,
            sentiment: o.sentiment,
        };
        let words = self.analyzer.words(language, o.text);
        let topics = self.topics.matches(language, &words);
        let bucket = &mut self.state.ring[slot];
        bucket.total += 1;
        let mut exact = |key: String, label: &str, kind: KeyKind, lang: Option<&str>| {
            bucket
                .exact
                .entry(key)
                .or_insert_with(|| Exact {
                    label: label.to_string(),
                    kind,
                    language: lang.map(str::to_string),
                    detail: Detail::default(),
                })
                .detail
                .add(&facts);
        };
        for t in topics {
            let name = &self.topics.names[t];
            exact(format!("topic:{name}"), name, KeyKind::Topic, None);
            exact(format!("topic:{name}@{language}"), name, KeyKind::Topic, Some(language));
        }
        if let Some(intent) = o.intent.filter(|i| self.config.intents.contains(i)) {
            let name = intent_name(intent);
            exact(format!("intent:{name}"), name, KeyKind::Intent, None);
            exact(
                format!("intent:{name}@{language}"),
                name,
                KeyKind::Intent,
                Some(language),
            );
        }
        bucket.sentiment_sum += f64::from(o.sentiment);
        for p in phrases(language, &words, self.config.max_ngram) {
            bucket.sketch.add(p.hash, 1);
            let (key, label) = (p.key, p.label);
            bucket
                .phrases
                .add(p.hash, || (format!("phrase:{key}"), label))
                .detail
                .add(&facts);
        }
        closed
    }

    fn close(&mut self, index: i64) -> Closed {
        let c = self.config.clone();
        let slot = self.slot(index);
        let start = self.start_of(index);
        // The ring is taken out while it is read, so the judging can update the streaks.
        let ring = std::mem::take(&mut self.state.ring);
        let short = View::of(&ring, index, c.window_buckets, 1.0);
        let long_len = c.long_window_buckets.max(c.window_buckets);
        let long = View::of(
            &ring,
            index,
            long_len,
            f64::from(c.window_buckets) / f64::from(long_len),
        );
        let warm = self
            .state
            .first
            .is_some_and(|f| (index - f + 1) * i64::from(c.bucket_secs) >= i64::from(c.warmup_secs));
        let season_slot = (start.as_second().div_euclid(3600) + 72).rem_euclid(WEEK_HOURS as i64) as usize;
        let season_min = c.seasonal_weeks * (3600 / c.bucket_secs).max(1);
        let overall_sentiment = if self.state.sentiment_weight > 0.0 {
            self.state.sentiment.mean / self.state.sentiment_weight
        } else {
            0.0
        };

        let mut spikes: Vec<(u64, TrendAlert)> = Vec::new();
        // Topics and intents: their own baselines (a share of the posts, with the season).
        for (key, e) in &long.exact {
            let (mean, var, before) = match self.state.topics.get(key) {
                Some(b) if b.weight > 0.0 => {
                    let factor = if b.season_n[season_slot] >= season_min {
                        f64::from(b.season[season_slot])
                    } else {
                        1.0
                    };
                    (
                        b.share.mean / b.weight * factor,
                        b.share.var / b.weight * factor * factor,
                        b.sentiment.mean / b.weight,
                    )
                }
                _ => (0.0, 0.0, overall_sentiment),
            };
            let measure = |view: &View<'_>| {
                let d = view.exact.get(key).map(|e| e.detail.clone()).unwrap_or_default();
                let v = var * view.n * view.n * view.shrink;
                Measure::new(&c, f64::from(d.posts), mean * view.n, v, d, view.secs)
            };
            let m = pick(&c, measure(&short), measure(&long));
            let e = Exact {
                detail: Detail::default(),
                ..e.clone()
            };
            if let Some(a) = self.judge(&c, hash(key.as_bytes()), key, &e, m, before, index) {
                spikes.push(a);
            }
        }
        // Phrases: the cells of the sketch, the least surprising row decides (SigniTrend).
        let cw = self.state.cells_weight;
        for (h, (key, label, _)) in &long.cands {
            let measure = |view: &View<'_>| {
                let mut best: Option<(f64, f64, f64)> = None;
                for r in 0..c.sketch_rows {
                    let ci = r * c.sketch_columns + cell(*h, r, c.sketch_columns);
                    let x: u32 = view.buckets.iter().map(|b| b.sketch.cells[ci]).sum();
                    let (mean, var) = if cw > 0.0 {
                        (self.state.cells[ci].mean / cw, self.state.cells[ci].var / cw)
                    } else {
                        (0.0, 0.0)
                    };
                    let (x, e, v) = (f64::from(x), mean * view.n, var * view.n * view.n * view.shrink);
                    let z = (x - e) / ((v.max(e)).sqrt() + c.bias);
                    if best.is_none_or(|(bx, be, bv)| z < (bx - be) / ((bv.max(be)).sqrt() + c.bias)) {
                        best = Some((x, e, v));
                    }
                }
                let (x, e, v) = best.unwrap_or((0.0, 0.0, 0.0));
                let d = view.cands.get(h).map(|x| x.2.clone()).unwrap_or_default();
                // The cell holds other phrases too: the phrase's own count is at most its own
                // heavy-hitter count; the rest of the cell is background.
                let own = f64::from(d.posts).min(x);
                Measure::new(&c, own, (e - (x - own)).max(0.0), v, d, view.secs)
            };
            let m = pick(&c, measure(&short), measure(&long));
            let lang = key
                .strip_prefix("phrase:")
                .and_then(|k| k.split(':').next())
                .map(str::to_string);
            let e = Exact {
                label: label.clone(),
                kind: KeyKind::Phrase,
                language: lang,
                detail: Detail::default(),
            };
            if let Some(a) = self.judge(&c, *h, key, &e, m, overall_sentiment, index) {
                spikes.push(a);
            }
        }
        if !warm {
            spikes.clear();
        }
        // Fold spikes made of the same posts into the first (topics, then the biggest).
        spikes.sort_by(|a, b| {
            a.1.kind
                .cmp(&b.1.kind)
                .then(b.1.count.cmp(&a.1.count))
                .then(a.1.key.cmp(&b.1.key))
        });
        let mut alerts: Vec<TrendAlert> = Vec::new();
        for (h, s) in spikes {
            self.state.cooldown.insert(h, index);
            if self
                .state
                .recent
                .iter()
                .any(|(_, authors)| authors.iter().filter(|a| s.authors.contains(a)).count() >= 2)
            {
                continue;
            }
            if let Some(host) = alerts.iter_mut().find(|a| {
                a.authors.iter().any(|x| s.authors.contains(x)) || a.examples.iter().any(|x| s.examples.contains(x))
            }) {
                if host.related.len() < 10 {
                    host.related.push(s.label.clone());
                }
                continue;
            }
            alerts.push(s);
        }

        for a in &alerts {
            self.state.recent.push((index, a.authors.clone()));
        }

        // Learn: the baselines take the short window (after judging it).
        let alpha = self.alpha;
        if short.n > 0.0 {
            let nf = short.n;
            for (ci, cellb) in self.state.cells.iter_mut().enumerate() {
                let x: u32 = short.buckets.iter().map(|b| b.sketch.cells[ci]).sum();
                cellb.update(f64::from(x) / nf, alpha);
            }
            self.state.cells_weight = self.state.cells_weight * (1.0 - alpha) + alpha;
            let mut keys: Vec<String> = self.state.topics.keys().cloned().collect();
            keys.extend(
                short
                    .exact
                    .keys()
                    .filter(|k| !self.state.topics.contains_key(*k))
                    .cloned(),
            );
            for key in keys {
                let (x, sentiment) = short.exact.get(&key).map_or((0.0, None), |e| {
                    (f64::from(e.detail.posts), Some(e.detail.mean_sentiment()))
                });
                let b = self.state.topics.entry(key).or_insert_with(TopicBaseline::new);
                let share = x / nf;
                if b.weight > 0.0 {
                    let mean = b.share.mean / b.weight;
                    if mean > 0.0 {
                        let r = (share / mean) as f32;
                        let s = &mut b.season[season_slot];
                        *s += 0.05 * (r - *s);
                        b.season_n[season_slot] += 1;
                    }
                }
                b.share.update(share, alpha);
                if let Some(s) = sentiment {
                    b.sentiment.update(s, alpha);
                }
                b.weight = b.weight * (1.0 - alpha) + alpha;
            }
            let s = short.buckets.iter().map(|b| b.sentiment_sum).sum::<f64>() / nf;
            self.state.sentiment.update(s, alpha);
            self.state.sentiment_weight = self.state.sentiment_weight * (1.0 - alpha) + alpha;
        }
        // Forget streaks that ended and cooldowns that passed (bounded maps).
        let cooldown_buckets = i64::from(c.cooldown_secs) / i64::from(c.bucket_secs);
        self.state.streaks.retain(|_, s| s.seen == index);
        self.state.cooldown.retain(|_, at| index - *at < cooldown_buckets);
        self.state.recent.retain(|(at, _)| index - *at < cooldown_buckets);
        drop(short);
        drop(long);
        self.state.ring = ring;
        let summary = self.summary(slot, start);
        Closed { summary, alerts }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge(
        &mut self,
        c: &TrendsConfig,
        h: u64,
        key: &str,
        e: &Exact,
        m: Measure,
        before: f64,
        index: i64,
    ) -> Option<(u64, TrendAlert)> {
        if !m.spiking {
            return None;
        }
        let streak = self.state.streaks.entry(h).or_insert(Streak {
            count: 0,
            since: index,
            seen: index,
        });
        if streak.seen != index && streak.seen != index - 1 {
            *streak = Streak {
                count: 0,
                since: index,
                seen: index,
            };
        }
        streak.count += 1;
        streak.seen = index;
        let since = streak.since;
        if streak.count < c.sustain || self.state.cooldown.contains_key(&h) {
            return None;
        }
        let now = m.detail.mean_sentiment();
        if now > c.max_mean_sentiment {
            return None;
        }
        // The spike began with the first window that spiked: its first bucket holding a post of
        // the key is as close as the counts tell.
        let since_ts = self
            .start_of(since + 1)
            .checked_sub(jiff::SignedDuration::from_secs(m.window_secs))
            .unwrap_or(self.start_of(since));
        let fired_at = self.start_of(index + 1);
        let d = m.detail;
        Some((
            h,
            TrendAlert {
                id: format!("trend#{key}#{}", since_ts.as_second()),
                key: key.to_string(),
                label: e.label.clone(),
                kind: e.kind,
                count: m.x as u32,
                expected: (m.expected * 10.0).round() / 10.0,
                score: (m.score.min(1e6) * 10.0).round() / 10.0,
                window_secs: m.window_secs,
                since: since_ts,
                fired_at,
                languages: d.languages,
                channels: d.channels,
                regions: d.regions,
                sentiment: round2(now),
                sentiment_before: round2(before),
                sentiment_shift: round2(now - before),
                examples: d.examples,
                authors: d.authors,
                cases: Vec::new(),
                related: Vec::new(),
                delivered: false,
            },
        ))
    }

    fn summary(&self, slot: usize, start: Timestamp) -> BucketSummary {
        let b = &self.state.ring[slot];
        let count = |key: &str, label: &str, kind, language: Option<String>, d: &Detail| KeyCount {
            key: key.to_string(),
            label: label.to_string(),
            kind,
            language,
            posts: d.posts,
            negative: d.negative,
            positive: d.positive,
            sentiment_milli: (d.sentiment_sum * 1000.0).round() as i64,
        };
        let mut keys: Vec<KeyCount> = b
            .exact
            .iter()
            .map(|(k, e)| count(k, &e.label, e.kind, e.language.clone(), &e.detail))
            .collect();
        let mut hitters: Vec<_> = b.phrases.entries.iter().filter(|h| h.count - h.error >= 2).collect();
        hitters.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        for h in hitters.into_iter().take(SUMMARY_PHRASES) {
            let label = h.label.as_str();
            let lang = h
                .key
                .strip_prefix("phrase:")
                .and_then(|k| k.split(':').next())
                .map(str::to_string);
            keys.push(count(&h.key, label, KeyKind::Phrase, lang, &h.detail));
        }
        BucketSummary {
            start,
            secs: self.config.bucket_secs,
            total: b.total,
            duplicates: b.duplicates,
            keys,
        }
    }
}

/// The buckets of one window ending at a bucket, with its keys.
struct View<'a> {
    buckets: Vec<&'a Bucket>,
    n: f64,
    /// The share's variance is learnt on the short window; a window k times longer varies
    /// k times less (shares of more posts).
    shrink: f64,
    secs: i64,
    exact: BTreeMap<String, Exact>,
    cands: HashMap<u64, (String, String, Detail)>,
}

impl<'a> View<'a> {
    fn of(ring: &'a [Bucket], index: i64, len: u32, shrink: f64) -> Self {
        let buckets: Vec<&Bucket> = ring
            .iter()
            .filter(|b| b.index <= index && b.index > index - i64::from(len))
            .collect();
        let mut exact: BTreeMap<String, Exact> = BTreeMap::new();
        let mut cands: HashMap<u64, (String, String, Detail)> = HashMap::new();
        for b in &buckets {
            for (k, e) in &b.exact {
                exact
                    .entry(k.clone())
                    .and_modify(|x| x.detail.merge(&e.detail))
                    .or_insert_with(|| e.clone());
            }
            for h in &b.phrases.entries {
                cands
                    .entry(h.hash)
                    .and_modify(|(_, _, d)| d.merge(&h.detail))
                    .or_insert_with(|| (h.key.clone(), h.label.clone(), h.detail.clone()));
            }
        }
        let secs = ring.first().map_or(0, |b| i64::from(b.secs_hint)) * i64::from(len);
        Self {
            n: f64::from(buckets.iter().map(|b| b.total).sum::<u32>()),
            buckets,
            shrink,
            secs,
            exact,
            cands,
        }
    }
}

/// A key in one window: its count, what was expected, how surprising, whether it spikes.
struct Measure {
    x: f64,
    expected: f64,
    score: f64,
    spiking: bool,
    detail: Detail,
    window_secs: i64,
}

impl Measure {
    /// `var` in posts² (the share's variance times the window's posts squared); the Poisson
    /// variance of the expected count is the floor.
    fn new(c: &TrendsConfig, x: f64, expected: f64, var: f64, detail: Detail, window_secs: i64) -> Self {
        let sd = var.max(expected).sqrt() + c.bias;
        let score = (x - expected) / sd;
        Self {
            x,
            expected,
            score,
            spiking: score >= c.z_threshold && x >= f64::from(c.min_count) && x >= c.min_ratio * expected,
            detail,
            window_secs,
        }
    }
}

/// The short window when it spikes (the sooner answer), else the long one.
fn pick(c: &TrendsConfig, short: Measure, long: Measure) -> Measure {
    let _ = c;
    if short.spiking || !long.spiking { short } else { long }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{HP_PER_SEC, Stream, StreamSpec};

    fn spec() -> StreamSpec {
        StreamSpec {
            seed: 5,
            start: Timestamp::from_second(1_767_225_600).unwrap_or(Timestamp::UNIX_EPOCH),
            secs: 86_400,
            posts_per_sec: HP_PER_SEC * 10.0,
            daily_swing: 0.6,
            bursts: vec![],
        }
    }

    #[test]
    fn a_bad_config_is_refused_naming_its_key() {
        let bad = TrendsConfig {
            sketch_rows: 0,
            ..TrendsConfig::default()
        };
        let keys: Vec<String> = Detector::new(bad)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.key)
            .collect();
        assert_eq!(keys, vec!["sketch_rows"]);
    }

    #[test]
    fn a_restored_snapshot_carries_on_exactly_and_a_foreign_one_is_refused() {
        let posts: Vec<_> = Stream::new(spec()).collect();
        let (first, rest) = posts.split_at(posts.len() / 2);
        let mut a = Detector::new(TrendsConfig::default()).unwrap_or_else(|e| panic!("{e:?}"));
        for p in first {
            a.observe(&p.observation());
        }
        let mut b = Detector::new(TrendsConfig::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(b.restore(&a.snapshot()).is_ok());
        let mut closed_a = Vec::new();
        let mut closed_b = Vec::new();
        for p in rest {
            closed_a.extend(a.observe(&p.observation()));
            closed_b.extend(b.observe(&p.observation()));
        }
        assert!(!closed_a.is_empty());
        assert_eq!(closed_a, closed_b);
        // What it says is the same; the baselines' floats may differ in their last bits through JSON.
        assert_eq!(a.state.streaks, b.state.streaks);

        let mut other = Detector::new(TrendsConfig {
            sketch_columns: 1024,
            ..TrendsConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(matches!(other.restore(&a.snapshot()), Err(RestoreError::Shape)));
        assert!(matches!(other.restore(b"not json"), Err(RestoreError::Decode(_))));
    }
}
