//! The `[trends]` section: what counts as a topic, the bucket and window, and when a spike is an
//! alert. Validated at start: every problem is reported at once, naming the key.

use serde::{Deserialize, Serialize};

/// A configured topic: a product (or anything with a name) and the words that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicRule {
    pub name: String,
    /// Lower-case names and aliases, matched as whole words (a few words each).
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendsConfig {
    /// Off: no counting, no alerts (the routes answer empty lists).
    pub enabled: bool,
    /// Length of a time bucket in seconds (the unit of counting and of evaluation).
    pub bucket_secs: u32,
    /// Buckets summed for one evaluation (window = bucket_secs × window_buckets).
    pub window_buckets: u32,
    /// Buckets of the long window, evaluated beside the short one: a burst too thin to show in
    /// ten minutes shows in an hour (0 or at most `window_buckets`: the short window only).
    pub long_window_buckets: u32,
    /// Half-life of the baselines (mean and variance of each key's share of the posts), seconds.
    pub half_life_secs: u32,
    /// No alert before this much history has been seen (seconds): a new baseline knows nothing.
    pub warmup_secs: u32,
    /// Standard deviations above the baseline (with the Poisson floor) for a spike.
    pub z_threshold: f64,
    /// Added to the standard deviation (in posts): keeps rare keys from alerting on noise.
    pub bias: f64,
    /// Fewest posts in the window for an alert.
    pub min_count: u32,
    /// The window's count must be at least this many times the expected count.
    pub min_ratio: f64,
    /// Consecutive evaluations a spike must hold before it alerts.
    pub sustain: u32,
    /// After an alert, the same key stays quiet this long (seconds).
    pub cooldown_secs: u32,
    /// A spike whose posts are on average more positive than this is a hot topic, not an issue:
    /// listed, not alerted (a meme). -1.0..=1.0.
    pub max_mean_sentiment: f64,
    /// Identical texts count once per window (a retweet storm or copy-paste campaign is one voice).
    pub dedupe_texts: bool,
    /// Heavy hitters kept per bucket (space-saving): the phrases that can be named and alerted.
    pub top_k: usize,
    /// Count-min sketch: rows and columns (memory = rows × columns × (4 + 8) bytes per bucket kept).
    pub sketch_rows: usize,
    pub sketch_columns: usize,
    /// Longest key phrase in words (1..=3).
    pub max_ngram: usize,
    /// Our handles and brand words, dropped from phrases (`@` optional).
    pub ignore: Vec<String>,
    /// Products and other named topics (the `[routing]` products are added to these).
    pub topics: Vec<TopicRule>,
    /// Intents counted as topics (`problem`, `complaint`, ...); empty: none.
    pub intents: Vec<socialcare_domain::Intent>,
    /// Hour-of-week seasonality for configured topics once this many weeks of history exist.
    pub seasonal_weeks: u32,
    /// How often the detector's state is saved (seconds; at most one save per this, when a
    /// bucket closes). The state is a few hundred KB deflated, one write unit per KB: saved
    /// every 5-minute bucket it cost ≈ 280 write units a bucket. A recycled instance loses at
    /// most this much of the baselines' learning (the counts rows are written every bucket).
    pub state_save_secs: u32,
}

impl Default for TrendsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            bucket_secs: 300,
            window_buckets: 2,
            long_window_buckets: 12,
            half_life_secs: 3 * 86_400,
            warmup_secs: 86_400,
            z_threshold: 3.5,
            bias: 1.0,
            min_count: 5,
            min_ratio: 3.0,
            sustain: 1,
            cooldown_secs: 6 * 3600,
            max_mean_sentiment: 0.2,
            dedupe_texts: true,
            top_k: 256,
            sketch_rows: 4,
            sketch_columns: 2048,
            max_ngram: 3,
            ignore: Vec::new(),
            topics: Vec::new(),
            intents: vec![socialcare_domain::Intent::Problem, socialcare_domain::Intent::Complaint],
            seasonal_weeks: 2,
            state_save_secs: 3600,
        }
    }
}

/// One problem of a `[trends]` section, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trends.{key}: {message}")]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl TrendsConfig {
    /// Every problem at once (empty: valid).
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut bad = |key: &str, message: &str| {
            out.push(ConfigProblem {
                key: key.to_string(),
                message: message.to_string(),
            })
        };
        if !(10..=86_400).contains(&self.bucket_secs) {
            bad("bucket_secs", "must be between 10 and 86400");
        } else if 86_400 % self.bucket_secs != 0 {
            bad("bucket_secs", "must divide a day (86400) evenly");
        }
        if !(1..=48).contains(&self.window_buckets) {
            bad("window_buckets", "must be between 1 and 48");
        }
        if self.long_window_buckets > 288 {
            bad("long_window_buckets", "must be at most 288");
        }
        if self.state_save_secs > 86_400 {
            bad("state_save_secs", "must be at most 86400 (a day)");
        }
        if self.half_life_secs < self.bucket_secs {
            bad("half_life_secs", "must be at least one bucket");
        }
        if !(self.z_threshold.is_finite() && self.z_threshold > 0.0) {
            bad("z_threshold", "must be a positive number");
        }
        if !(self.bias.is_finite() && self.bias >= 0.0) {
            bad("bias", "must be zero or more");
        }
        if self.min_count == 0 {
            bad("min_count", "must be at least 1");
        }
        if !(self.min_ratio.is_finite() && self.min_ratio >= 1.0) {
            bad("min_ratio", "must be at least 1.0");
        }
        if !(1..=100).contains(&self.sustain) {
            bad("sustain", "must be between 1 and 100");
        }
        if !(-1.0..=1.0).contains(&self.max_mean_sentiment) {
            bad("max_mean_sentiment", "must be between -1.0 and 1.0");
        }
        if !(8..=100_000).contains(&self.top_k) {
            bad("top_k", "must be between 8 and 100000");
        }
        if !(1..=16).contains(&self.sketch_rows) {
            bad("sketch_rows", "must be between 1 and 16");
        }
        if !(64..=1_048_576).contains(&self.sketch_columns) || !self.sketch_columns.is_power_of_two() {
            bad("sketch_columns", "must be a power of two between 64 and 1048576");
        }
        if !(1..=3).contains(&self.max_ngram) {
            bad("max_ngram", "must be 1, 2 or 3");
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.topics.iter().enumerate() {
            if t.name.trim().is_empty() {
                bad(&format!("topics[{i}].name"), "must not be empty");
            }
            if !names.insert(t.name.to_lowercase()) {
                bad(&format!("topics[{i}].name"), "names another topic already");
            }
            for (j, a) in t.aliases.iter().enumerate() {
                if a.split_whitespace().count() == 0 || a.split_whitespace().count() > 3 {
                    bad(&format!("topics[{i}].aliases[{j}]"), "must be one to three words");
                }
            }
        }
        out
    }

    /// The window's length in seconds.
    pub fn window_secs(&self) -> i64 {
        i64::from(self.bucket_secs) * i64::from(self.window_buckets)
    }

    /// Adds topics (the `[routing]` products) not named here already.
    pub fn with_products(mut self, products: impl IntoIterator<Item = TopicRule>) -> Self {
        for p in products {
            if !self.topics.iter().any(|t| t.name.eq_ignore_ascii_case(&p.name)) {
                self.topics.push(p);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(TrendsConfig::default().problems(), vec![]);
    }

    #[test]
    fn every_problem_is_named_by_its_key() {
        let c = TrendsConfig {
            bucket_secs: 7,
            min_ratio: 0.5,
            sketch_columns: 1000,
            topics: vec![
                TopicRule {
                    name: "ink".into(),
                    aliases: vec!["".into()],
                },
                TopicRule {
                    name: "Ink".into(),
                    aliases: vec![],
                },
            ],
            ..TrendsConfig::default()
        };
        let keys: Vec<String> = c.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            vec![
                "bucket_secs",
                "min_ratio",
                "sketch_columns",
                "topics[0].aliases[0]",
                "topics[1].name"
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<TrendsConfig, _> = serde_json::from_str(r#"{"bucket_sec": 60}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn routing_products_join_the_topics_once() {
        let c = TrendsConfig {
            topics: vec![TopicRule {
                name: "laptop".into(),
                aliases: vec!["notebook".into()],
            }],
            ..TrendsConfig::default()
        }
        .with_products([
            TopicRule {
                name: "Laptop".into(),
                aliases: vec![],
            },
            TopicRule {
                name: "printer".into(),
                aliases: vec!["deskjet".into()],
            },
        ]);
        assert_eq!(c.topics.len(), 2);
        assert_eq!(c.topics[1].name, "printer");
    }
}
