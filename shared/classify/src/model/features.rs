//! The model's view of a post: hashed word unigrams and bigrams, hashed character n-grams of
//! each word (so that misspellings, inflections and unseen compounds still share features),
//! and the rules' evidence as named features (a problem term, an urgency kind, the lexicon's
//! sentiment score in buckets, links, the language). The rules are not thrown away: the model
//! learns how much to trust each of them, next to the words.

use crate::rules::{Evidence, Urgency};
use crate::text::Analyzed;

/// What the rules concluded beside the words, as the model sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSignals {
    pub language: Option<String>,
    pub spam_score: f32,
    pub foreign_link: bool,
    pub addressed: bool,
    pub products: bool,
    pub competitor: bool,
    pub followers: Option<u64>,
}

/// A post's features: hashed indices (each once) with the value every text feature shares,
/// and the rule features apart so training can drop them (see `train`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub(crate) text: Vec<u32>,
    pub(crate) rules: Vec<u32>,
}

impl Features {
    /// The value of each text feature: `1/sqrt(n)`, so long and short posts weigh alike.
    pub(crate) fn text_value(&self) -> f32 {
        if self.text.is_empty() {
            0.0
        } else {
            1.0 / (self.text.len() as f32).sqrt()
        }
    }
}

/// FNV-1a 64 over a namespace and parts: stable across runs, platforms and Rust releases
/// (the model file depends on it).
fn hash(ns: &[u8], parts: &[&str]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(ns);
    for p in parts {
        eat(&[0x1f]);
        eat(p.as_bytes());
    }
    h
}

/// Longest word whose character n-grams are taken (longer ones are links or noise).
const MAX_WORD_CHARS: usize = 24;

pub(crate) fn extract(a: &Analyzed, e: &Evidence, s: &RuleSignals, bits: u32) -> Features {
    let mask = (1u64 << bits) - 1;
    let idx = |h: u64| u32::try_from(h & mask).unwrap_or(0);
    let mut text: Vec<u32> = Vec::with_capacity(a.tokens.len() * 8);
    let words: Vec<&str> = a
        .tokens
        .iter()
        .map(|t| if t.is_number() { "#" } else { t.text.as_str() })
        .collect();
    for (i, w) in words.iter().enumerate() {
        text.push(idx(hash(b"w", &[w])));
        if let Some(next) = words.get(i + 1) {
            text.push(idx(hash(b"b", &[w, next])));
        }
        let chars: Vec<char> = std::iter::once('<')
            .chain(w.chars().take(MAX_WORD_CHARS))
            .chain(std::iter::once('>'))
            .collect();
        if chars.len() > 4 {
            let mut buf = String::new();
            for n in 3..=5 {
                for win in chars.windows(n) {
                    buf.clear();
                    buf.extend(win);
                    text.push(idx(hash(b"c", &[&buf])));
                }
            }
        }
    }
    text.sort_unstable();
    text.dedup();

    let mut named: Vec<String> = Vec::new();
    let mut flag = |on: bool, name: &str| {
        if on {
            named.push(name.to_string());
        }
    };
    flag(!e.problems.is_empty(), "problem");
    flag(!e.complaints.is_empty(), "complaint");
    flag(!e.purchases.is_empty(), "purchase");
    flag(e.question_start, "question_start");
    flag(a.questions > 0, "question_mark");
    flag(e.social, "social");
    flag(e.resolved, "resolved");
    flag(!e.spam_terms.is_empty(), "spam_terms");
    flag(s.foreign_link, "foreign_link");
    flag(s.addressed, "addressed");
    flag(s.products, "product");
    flag(s.competitor, "competitor");
    flag(a.phones > 0, "phone");
    flag(a.money > 0, "money");
    flag(a.hashtags >= 3, "hashtags3");
    flag(a.sarcasm_emoji > 0, "sarcasm_emoji");
    flag(a.promo_emoji > 0, "promo_emoji");
    flag(a.emoji_score < 0.0, "emoji_negative");
    flag(a.emoji_score > 0.0, "emoji_positive");
    flag(a.max_exclamation_run >= 2, "exclamations");
    flag(a.caps_words() > 0, "caps");
    flag(a.words <= 3, "short");
    for (kind, _) in &e.urgency {
        named.push(format!("urgency:{}", urgency_key(*kind)));
    }
    let sentiment = match e.sentiment {
        x if x <= -0.5 => "lex:very_negative",
        x if x <= -0.2 => "lex:negative",
        x if x < 0.2 => "lex:neutral",
        x if x < 0.5 => "lex:positive",
        _ => "lex:very_positive",
    };
    named.push(sentiment.to_string());
    let spam = match s.spam_score {
        x if x >= 4.0 => "spam:4",
        x if x >= 2.0 => "spam:2",
        x if x > 0.0 => "spam:1",
        _ => "spam:0",
    };
    named.push(spam.to_string());
    if let Some(l) = &s.language {
        named.push(format!("lang:{l}"));
    }
    if let Some(f) = s.followers {
        named.push(if f < 10 { "followers:few" } else { "followers:some" }.to_string());
    }
    let mut rules: Vec<u32> = named.iter().map(|n| idx(hash(b"r", &[n]))).collect();
    rules.sort_unstable();
    rules.dedup();
    Features { text, rules }
}

fn urgency_key(u: Urgency) -> &'static str {
    match u {
        Urgency::Safety => "safety",
        Urgency::Outage => "outage",
        Urgency::Legal => "legal",
        Urgency::Cancellation => "cancellation",
        Urgency::Repeat => "repeat",
        Urgency::Deadline => "deadline",
        Urgency::Model => "model",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::analyze;

    #[test]
    fn the_hash_is_stable() {
        // The model file depends on these numbers: a change here needs a retrained model.
        assert_eq!(hash(b"w", &["laptop"]), 0xa539_893b_7460_c0d7);
    }

    #[test]
    fn same_text_same_features_and_misspellings_share_most() {
        let e = Evidence::default();
        let s = RuleSignals::default();
        let f1 = extract(&analyze("my laptop will not turn on"), &e, &s, 18);
        let f2 = extract(&analyze("my laptop will not turn on"), &e, &s, 18);
        assert_eq!(f1, f2);
        let f3 = extract(&analyze("my lapttop wil not turn on"), &e, &s, 18);
        let shared = f1.text.iter().filter(|i| f3.text.contains(i)).count();
        assert!(shared * 2 > f1.text.len(), "{shared} of {}", f1.text.len());
        assert!(f1.text.iter().all(|i| *i < 1 << 18));
    }
}
