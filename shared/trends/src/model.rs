//! What the detector takes (an observation of a stored post) and gives (bucket counts to keep,
//! and `trend.alert.v1` alerts).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use socialcare_domain::{Channel, Intent, Post};
use std::collections::BTreeMap;

/// One stored post as the detector sees it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub post_id: &'a str,
    pub author_id: &'a str,
    pub text: &'a str,
    /// ISO 639-1 code; empty when unknown (counted as `und`, stemmed as English).
    pub language: &'a str,
    pub channel: Channel,
    pub region: Option<&'a str>,
    /// -1.0..=1.0.
    pub sentiment: f32,
    pub intent: Option<Intent>,
    pub at: Timestamp,
}

impl<'a> Observation<'a> {
    /// A customer's post (`None` for our own posts, deleted ones and unclassified ones: they say
    /// nothing about what customers talk about). `region` comes from the routing policy.
    pub fn of(post: &'a Post, region: Option<&'a str>) -> Option<Self> {
        if post.direction != socialcare_domain::Direction::Inbound || post.deleted {
            return None;
        }
        let c = post.classification.as_ref()?;
        Some(Self {
            post_id: post.id.as_str(),
            author_id: post.author.id.as_str(),
            text: &post.text,
            language: c.language.as_ref().map_or("", |l| l.as_str()),
            channel: post.channel,
            region,
            sentiment: c.sentiment_score,
            intent: Some(c.intent),
            at: post.created_at.min(post.received_at),
        })
    }
}

/// What a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A configured product or topic (its aliases matched as words).
    Topic,
    /// A classified intent (`problem`, `complaint`).
    Intent,
    /// An emerging key phrase (a stemmed word n-gram).
    Phrase,
}

/// The counts of one key in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyCount {
    /// `topic:laptop`, `topic:laptop@de`, `intent:problem`, `phrase:en:batteri drain`.
    pub key: String,
    pub label: String,
    pub kind: KeyKind,
    /// The language of a per-language key or a phrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub posts: u32,
    pub negative: u32,
    pub positive: u32,
    /// Sum of the posts' sentiment scores × 1000 (integers add up exactly in counters).
    pub sentiment_milli: i64,
}

/// One closed bucket: its total and the counts of its keys (configured topics and intents all,
/// phrases: the heavy hitters seen twice or more, at most [`crate::SUMMARY_PHRASES`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketSummary {
    pub start: Timestamp,
    pub secs: u32,
    pub total: u32,
    /// Posts not counted because their text was seen in the window already.
    pub duplicates: u32,
    pub keys: Vec<KeyCount>,
}

/// A spike: `trend.alert.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendAlert {
    /// `trend#<key>#<window start, unix seconds>`: one alert per key and window, ever.
    pub id: String,
    pub key: String,
    pub label: String,
    pub kind: KeyKind,
    /// Posts in the window.
    pub count: u32,
    /// What the baseline expected in the window.
    pub expected: f64,
    /// Standard deviations above the baseline.
    pub score: f64,
    pub window_secs: i64,
    /// When the spike began (the start of the first window that spiked).
    pub since: Timestamp,
    pub fired_at: Timestamp,
    pub languages: BTreeMap<String, u32>,
    pub channels: BTreeMap<String, u32>,
    pub regions: BTreeMap<String, u32>,
    /// Mean sentiment of the window's posts, the key's usual mean, and the difference.
    pub sentiment: f64,
    pub sentiment_before: f64,
    pub sentiment_shift: f64,
    /// Up to three post ids.
    pub examples: Vec<String>,
    /// Authors of the window's posts (up to 20): their cases are looked up when it is published.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Cases the posts touch (filled by the service from the authors).
    #[serde(default)]
    pub cases: Vec<String>,
    /// Other keys that spiked with the same posts in the same window (folded into this alert).
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub delivered: bool,
}

impl TrendAlert {
    /// The one-line text a person reads.
    pub fn text(&self) -> String {
        format!(
            "Trend: \"{}\" ({:?}) {} posts in {} min, expected {:.1}; since {}; sentiment {:+.2}",
            self.label,
            self.kind,
            self.count,
            self.window_secs / 60,
            self.expected,
            self.since,
            self.sentiment_shift,
        )
    }
}
