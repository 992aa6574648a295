//! What the posts of one key were: languages, channels, regions, sentiment, examples and
//! authors (whose cases an alert names). Bounded: a few examples, a few dozen authors.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Example post ids kept per key.
pub const EXAMPLES: usize = 3;
/// Authors kept per key (their cases are looked up when an alert fires).
pub const AUTHORS: usize = 20;
/// Distinct regions kept per key.
const REGIONS: usize = 8;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Detail {
    pub posts: u32,
    pub negative: u32,
    pub positive: u32,
    pub sentiment_sum: f64,
    pub languages: BTreeMap<String, u32>,
    pub channels: BTreeMap<String, u32>,
    pub regions: BTreeMap<String, u32>,
    pub examples: Vec<String>,
    pub authors: Vec<String>,
}

/// The facts of one post that a detail keeps.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub post_id: &'a str,
    pub author_id: &'a str,
    pub language: &'a str,
    pub channel: &'a str,
    pub region: Option<&'a str>,
    pub sentiment: f32,
}

impl Detail {
    pub fn add(&mut self, f: &Facts<'_>) {
        self.posts += 1;
        self.sentiment_sum += f64::from(f.sentiment);
        if f.sentiment <= -0.25 {
            self.negative += 1;
        } else if f.sentiment >= 0.25 {
            self.positive += 1;
        }
        bump(&mut self.languages, f.language, usize::MAX);
        bump(&mut self.channels, f.channel, usize::MAX);
        if let Some(r) = f.region {
            bump(&mut self.regions, r, REGIONS);
        }
        if self.examples.len() < EXAMPLES {
            self.examples.push(f.post_id.to_string());
        }
        if self.authors.len() < AUTHORS && !self.authors.iter().any(|a| a == f.author_id) {
            self.authors.push(f.author_id.to_string());
        }
    }

    pub fn merge(&mut self, other: &Detail) {
        self.posts += other.posts;
        self.negative += other.negative;
        self.positive += other.positive;
        self.sentiment_sum += other.sentiment_sum;
        for (k, v) in &other.languages {
            *self.languages.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.channels {
            *self.channels.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.regions {
            if self.regions.len() < REGIONS || self.regions.contains_key(k) {
                *self.regions.entry(k.clone()).or_default() += v;
            }
        }
        for e in &other.examples {
            if self.examples.len() < EXAMPLES && !self.examples.contains(e) {
                self.examples.push(e.clone());
            }
        }
        for a in &other.authors {
            if self.authors.len() < AUTHORS && !self.authors.contains(a) {
                self.authors.push(a.clone());
            }
        }
    }

    /// Mean sentiment of the posts (0 for none).
    pub fn mean_sentiment(&self) -> f64 {
        if self.posts == 0 {
            0.0
        } else {
            self.sentiment_sum / f64::from(self.posts)
        }
    }
}

fn bump(map: &mut BTreeMap<String, u32>, key: &str, cap: usize) {
    if let Some(v) = map.get_mut(key) {
        *v += 1;
    } else if map.len() < cap {
        map.insert(key.to_string(), 1);
    }
}
