//! [`DuplicateTextTracker`]: remembers which authors sent which text, in bounded memory, so
//! that "the same text from many authors" can count as a spam signal.
//!
//! The classifier itself is stateless (`&self`, shareable across threads); this tracker is
//! the one piece of state, kept by the caller and consulted before classifying:
//!
//! ```
//! use socialcare_classify::{Context, DuplicateTextTracker};
//! let mut tracker = DuplicateTextTracker::new(10_000);
//! let mut ctx = Context::default();
//! for author in ["x:1", "x:2", "x:3"] {
//!     ctx.duplicate_authors = tracker.observe("Win a FREE phone today, click the link in bio", author);
//! }
//! assert_eq!(ctx.duplicate_authors, 3);
//! // then: classifier.classify_with(&post, &ctx)
//! ```
//!
//! In a Lambda, one tracker per warm instance sees only that instance's traffic: it catches
//! bursts, not a campaign spread thin over hours. Texts are compared after folding case and
//! accents and removing links, mentions and hashtags; numbers are kept, so that customers
//! asking after their own order numbers never look alike. Texts of fewer than four words are
//! never counted (many people write "thank you!"), and the same text counts as spam only
//! beside other spam evidence (links, promotions, bot-like authors): many genuine customers
//! writing alike about one problem is an incident, and each of them gets a case.

use crate::classifier::{Context, RuleClassifier};
use crate::text::analyze;
use socialcare_domain::ports::Classifier;
use socialcare_domain::{Classification, Post, PostContext};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Distinct authors remembered per text: enough to cross any sensible threshold.
const AUTHORS_PER_TEXT: usize = 16;
/// Distinct texts a function instance remembers (≈ 1.5 MB at most).
pub const TRACKED_TEXTS: usize = 10_000;
/// Texts shorter than this (in words) are not tracked.
const MIN_WORDS: usize = 4;

/// Bounded memory of (text fingerprint → distinct authors). Oldest texts are forgotten first.
#[derive(Debug, Clone)]
pub struct DuplicateTextTracker {
    capacity: usize,
    texts: HashMap<u64, Vec<u64>>,
    order: VecDeque<u64>,
}

/// FNV-1a 64: stable across runs and Rust releases.
fn fnv64(parts: impl IntoIterator<Item = impl AsRef<[u8]>>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in parts {
        for b in p.as_ref() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h = (h ^ 0x20).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl DuplicateTextTracker {
    /// A tracker remembering at most `capacity` distinct texts (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            texts: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The fingerprint of a text, `None` when it is too short to be tracked.
    pub fn fingerprint(text: &str) -> Option<u64> {
        let a = analyze(text);
        let words: Vec<&str> = a
            .tokens
            .iter()
            .filter(|t| !t.hashtag)
            .map(|t| t.text.as_str())
            .collect();
        (words.len() >= MIN_WORDS).then(|| fnv64(words))
    }

    /// Records that `author` sent `text`; returns how many distinct authors sent it so far
    /// (this one included; 1 for a text too short to track).
    pub fn observe(&mut self, text: &str, author: &str) -> usize {
        let Some(key) = Self::fingerprint(text) else {
            return 1;
        };
        let who = fnv64([author]);
        if !self.texts.contains_key(&key) {
            while self.texts.len() >= self.capacity {
                match self.order.pop_front() {
                    Some(old) => {
                        self.texts.remove(&old);
                    }
                    None => break,
                }
            }
            self.order.push_back(key);
        }
        let authors = self.texts.entry(key).or_default();
        if !authors.contains(&who) && authors.len() < AUTHORS_PER_TEXT {
            authors.push(who);
        }
        authors.len()
    }

    /// Texts currently remembered.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// The classifier as a function instance runs it: the rules plus one [`DuplicateTextTracker`]
/// shared by every post the instance sees, so that the same text from many authors counts.
#[derive(Debug)]
pub struct TrackingClassifier {
    rules: RuleClassifier,
    tracker: Mutex<DuplicateTextTracker>,
}

impl TrackingClassifier {
    /// `capacity`: distinct texts remembered (the oldest are forgotten first).
    pub fn new(rules: RuleClassifier, capacity: usize) -> Self {
        Self {
            rules,
            tracker: Mutex::new(DuplicateTextTracker::new(capacity)),
        }
    }

    pub fn rules(&self) -> &RuleClassifier {
        &self.rules
    }
}

impl Classifier for TrackingClassifier {
    fn classify_in(&self, post: &Post, context: &PostContext) -> Classification {
        let mut ctx = Context::of(post, context);
        // A poisoned lock only means another post panicked mid-count: the counts are still usable.
        let mut tracker = self.tracker.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ctx.duplicate_authors = tracker.observe(&post.text, post.author.id.as_str());
        drop(tracker);
        self.rules.classify_with(post, &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAM: &str = "Earn money from home, ask me how http://bit.ly/a #cash";

    #[test]
    fn counts_distinct_authors_across_link_variants() {
        let mut t = DuplicateTextTracker::new(10);
        assert_eq!(t.observe(SPAM, "a"), 1);
        assert_eq!(t.observe(SPAM, "a"), 1, "the same author twice is one author");
        assert_eq!(t.observe("earn MONEY from home, ask me how http://bit.ly/zzz", "b"), 2);
        assert_eq!(t.observe("thank you!", "c"), 1);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = DuplicateTextTracker::new(3);
        for i in 0..100 {
            t.observe(&format!("text number {} with words {}", i, "w".repeat(i % 7 + 1)), "a");
            t.observe(&format!("another distinct text {}", "z".repeat(i + 1)), "b");
        }
        assert!(t.len() <= 3);
        let mut t = DuplicateTextTracker::new(1);
        for i in 0..200 {
            t.observe(SPAM, &format!("author{i}"));
        }
        assert_eq!(t.observe(SPAM, "last"), AUTHORS_PER_TEXT);
    }
}
