//! Lexicons: the built-in per-language word lists, and the index that finds their terms
//! (single words, `prefix*` words and multi-word phrases) in a tokenised post.
//!
//! Terms are folded and tokenised exactly as posts are ([`crate::text`]), so `ne s'allume`
//! in a list meets `Ne s’allume` in a post. Matching is leftmost-longest and does not
//! overlap: `not bad` wins over `not` and `bad`.

pub(crate) mod de;
pub(crate) mod emoji;
pub(crate) mod en;
pub(crate) mod es;
pub(crate) mod fr;
pub(crate) mod pt;

use crate::text::{Token, analyze};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a for the term maps: their keys are our own short terms, fixed once built (no
/// inserts from posts, so no flooding), and SipHash showed up in the profile.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A map keyed by short strings, hashed with [`Fnv`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// What a term signals. The names are those of the keyword lists in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Category {
    /// Sentiment words; the weight (1..=4, default 2) may be given as `term:3`.
    Positive,
    Negative,
    /// Negation before a word (`not`, `no`, `nunca`, `pas`, `kein`).
    Negator,
    /// Negation after a word (`marche pas`, `geht nicht`).
    PostNegator,
    Intensifier,
    Diminisher,
    /// `but`: what follows weighs more than what precedes.
    Contrast,
    /// Idioms that look like sentiment or negation but are neither (`can't believe`).
    Neutral,
    /// A fault (`stopped working`, `crash*`, `charged twice`).
    Problem,
    /// What a product should do (`work*`, `turn on`, `charg*`): a fault when negated.
    Function,
    /// Service complaints (`customer service`, `on hold`, `never again`).
    Complaint,
    /// Question openers (`how do i`, `is there`).
    Question,
    /// Buying intent (`sign up`, `business pricing`).
    Purchase,
    /// Time pressure (`urgent`, `exam`, `asap`).
    Urgency,
    Cancellation,
    Legal,
    Safety,
    Outage,
    /// Repeated contact (`third time`, `still no answer`).
    Repeat,
    /// Promotional / scam phrases.
    Spam,
    /// The problem is over (`fixed`, `solved`, `funciona de nuevo`): a thank-you, not a fault.
    Resolved,
    /// Chatter addressed to other users rather than to the brand (`anyone else`).
    Social,
    /// Function words: evidence for the language of a post.
    Stopword,
    /// Units of time after a number (`4 hours`, `50 minutos`): waiting, a complaint.
    Duration,
    /// Multiplicative words after a number (`5 times`, `3 veces`): repeated contact.
    Times,
}

impl Category {
    /// Every category with the name of its list in the configuration.
    pub(crate) const NAMED: [(Category, &'static str); 25] = [
        (Category::Positive, "positive"),
        (Category::Negative, "negative"),
        (Category::Negator, "negators"),
        (Category::PostNegator, "post_negators"),
        (Category::Intensifier, "intensifiers"),
        (Category::Diminisher, "diminishers"),
        (Category::Contrast, "contrast"),
        (Category::Neutral, "neutral"),
        (Category::Problem, "problem"),
        (Category::Function, "function"),
        (Category::Complaint, "complaint"),
        (Category::Question, "question"),
        (Category::Purchase, "purchase"),
        (Category::Urgency, "urgency"),
        (Category::Cancellation, "cancellation"),
        (Category::Legal, "legal"),
        (Category::Safety, "safety"),
        (Category::Outage, "outage"),
        (Category::Repeat, "repeat"),
        (Category::Spam, "spam"),
        (Category::Resolved, "resolved"),
        (Category::Social, "social"),
        (Category::Stopword, "stopwords"),
        (Category::Duration, "durations"),
        (Category::Times, "times"),
    ];

    pub(crate) fn name(self) -> &'static str {
        Self::NAMED
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// Categories whose terms may carry a `:weight` suffix.
    pub(crate) fn weighted(self) -> bool {
        matches!(self, Category::Positive | Category::Negative | Category::Spam)
    }
}

/// A built-in list: a category and its terms.
pub(crate) type List = (Category, &'static [&'static str]);

/// The built-in lists of a language code, empty for a language without them.
pub(crate) fn builtin(code: &str) -> &'static [List] {
    match code {
        "en" => en::LISTS,
        "es" => es::LISTS,
        "pt" => pt::LISTS,
        "fr" => fr::LISTS,
        "de" => de::LISTS,
        _ => &[],
    }
}

/// One meaning of a term: its category, the language (index into the configured
/// languages) whose list it came from, and its weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tag {
    pub cat: Category,
    pub lang: u8,
    pub weight: f32,
}

#[derive(Debug, Clone)]
struct Phrase {
    rest: Box<[String]>,
    term: String,
    tags: Vec<Tag>,
}

#[derive(Debug, Clone)]
struct Prefix {
    term: String,
    tags: Vec<Tag>,
}

/// Why a term could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("is empty (or has no letters or digits)")]
    Empty,
    #[error("has a bad weight `{0}` (use `term:N`, N from 0.5 to 5)")]
    Weight(String),
    #[error("`*` is allowed only at the end of a single word of 3 letters or more")]
    Prefix,
}

/// A term as written in a list: its tokens, whether it is a prefix, and its weight.
pub(crate) struct ParsedTerm {
    pub tokens: Vec<String>,
    pub prefix: bool,
    pub weight: Option<f32>,
}

/// Parses `great:3`, `stopped working`, `frustrat*`.
pub(crate) fn parse_term(raw: &str, weighted: bool) -> Result<ParsedTerm, TermError> {
    let mut text = raw.trim();
    let mut weight = None;
    let weight_part = text.rsplit_once(':').filter(|(t, w)| {
        weighted && !t.trim().is_empty() && !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    if let Some((t, w)) = weight_part {
        let v: f32 = w.parse().map_err(|_| TermError::Weight(w.to_string()))?;
        if !(0.5..=5.0).contains(&v) {
            return Err(TermError::Weight(w.to_string()));
        }
        weight = Some(v);
        text = t.trim();
    }
    let prefix = text.ends_with('*');
    let body = text.trim_end_matches('*');
    if body.contains('*') {
        return Err(TermError::Prefix);
    }
    let tokens: Vec<String> = analyze(body).tokens.into_iter().map(|t: Token| t.text).collect();
    if tokens.is_empty() {
        return Err(TermError::Empty);
    }
    if prefix && (tokens.len() != 1 || tokens[0].chars().count() < 3) {
        return Err(TermError::Prefix);
    }
    Ok(ParsedTerm { tokens, prefix, weight })
}

/// Every term of every list, ready to be found in posts.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermIndex {
    exact: FastMap<String, Vec<Phrase>>,
    prefixes: FastMap<String, Prefix>,
    min_prefix: usize,
    max_prefix: usize,
}

/// A term found in a post.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<'a> {
    pub start: usize,
    pub len: usize,
    pub term: &'a str,
    pub tags: &'a [Tag],
}

impl TermIndex {
    /// Adds a term; terms that fail to parse are skipped (validation reports them first).
    pub(crate) fn add(&mut self, raw: &str, cat: Category, lang: u8) {
        self.add_weighted(raw, cat, lang, None);
    }

    /// Adds a term with a weight that overrides the one written in the term.
    pub(crate) fn add_weighted(&mut self, raw: &str, cat: Category, lang: u8, weight: Option<f32>) {
        let Ok(mut parsed) = parse_term(raw, cat.weighted()) else {
            return;
        };
        if weight.is_some() {
            parsed.weight = weight;
        }
        let default_weight = match cat {
            Category::Positive | Category::Negative | Category::Spam => 2.0,
            _ => 1.0,
        };
        let tag = Tag {
            cat,
            lang,
            weight: parsed.weight.unwrap_or(default_weight),
        };
        let term = raw.trim().to_string();
        if parsed.prefix {
            let key = parsed.tokens.into_iter().next().unwrap_or_default();
            let n = key.len();
            let entry = self
                .prefixes
                .entry(key)
                .or_insert_with(|| Prefix { term, tags: Vec::new() });
            push_tag(&mut entry.tags, tag);
            self.min_prefix = if self.min_prefix == 0 {
                n
            } else {
                self.min_prefix.min(n)
            };
            self.max_prefix = self.max_prefix.max(n);
            return;
        }
        let mut tokens = parsed.tokens.into_iter();
        let first = tokens.next().unwrap_or_default();
        let rest: Box<[String]> = tokens.collect();
        let phrases = self.exact.entry(first).or_default();
        match phrases.iter_mut().find(|p| p.rest == rest) {
            Some(p) => push_tag(&mut p.tags, tag),
            None => phrases.push(Phrase {
                rest,
                term,
                tags: vec![tag],
            }),
        }
    }

    /// Completes the index once every term is in: a word also takes the meanings of the
    /// `prefix*` terms it matches (`disappointing` is a complaint and, by `disappoint*`,
    /// negative), and a phrase without sentiment takes the negative and fault meanings of its
    /// words (`pior atendimento` is negative because `pior` is).
    pub(crate) fn finish(&mut self) {
        let mut additions: Vec<(String, usize, Vec<Tag>)> = Vec::new();
        for (first, phrases) in &self.exact {
            for (pi, p) in phrases.iter().enumerate() {
                let mut extra: Vec<Tag> = Vec::new();
                if p.rest.is_empty() {
                    extra.extend(self.prefix_tags(first).iter().copied());
                } else if !p
                    .tags
                    .iter()
                    .any(|t| matches!(t.cat, Category::Positive | Category::Neutral))
                {
                    for word in std::iter::once(first).chain(p.rest.iter()) {
                        let single = self
                            .exact
                            .get(word)
                            .and_then(|ps| ps.iter().find(|q| q.rest.is_empty()));
                        let tags = single.map(|q| q.tags.as_slice()).unwrap_or(&[]);
                        extra.extend(
                            tags.iter()
                                .chain(self.prefix_tags(word))
                                .filter(|t| INHERITED.contains(&t.cat))
                                .copied(),
                        );
                    }
                }
                // Only meanings from the phrase's own language(s): `mal` is bad in Spanish, not
                // in German `mal sehen`.
                extra.retain(|t| p.tags.iter().any(|o| o.lang == t.lang) && !p.tags.iter().any(|o| o.cat == t.cat));
                if !extra.is_empty() {
                    additions.push((first.clone(), pi, extra));
                }
            }
        }
        for (first, pi, extra) in additions {
            if let Some(p) = self.exact.get_mut(&first).and_then(|ps| ps.get_mut(pi)) {
                for t in extra {
                    push_tag(&mut p.tags, t);
                }
            }
        }
    }

    fn prefix_tags(&self, word: &str) -> &[Tag] {
        if self.max_prefix == 0 || word.len() < self.min_prefix {
            return &[];
        }
        for n in (self.min_prefix..=self.max_prefix.min(word.len())).rev() {
            if let Some(p) = word.get(..n).and_then(|k| self.prefixes.get(k)) {
                return &p.tags;
            }
        }
        &[]
    }

    /// The terms of `tokens`, leftmost-longest, without overlaps.
    pub(crate) fn find<'s>(&'s self, tokens: &[Token]) -> Vec<Hit<'s>> {
        let mut hits = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            match self.longest_at(tokens, i) {
                Some(hit) => {
                    i += hit.len;
                    hits.push(hit);
                }
                None => i += 1,
            }
        }
        hits
    }

    fn longest_at<'s>(&'s self, tokens: &[Token], i: usize) -> Option<Hit<'s>> {
        let word = tokens[i].text.as_str();
        let mut best: Option<Hit<'s>> = None;
        if let Some(phrases) = self.exact.get(word) {
            for p in phrases {
                let len = 1 + p.rest.len();
                let fits = tokens.len() >= i + len && p.rest.iter().zip(&tokens[i + 1..]).all(|(a, b)| *a == b.text);
                if fits && best.is_none_or(|b| len > b.len) {
                    best = Some(Hit {
                        start: i,
                        len,
                        term: &p.term,
                        tags: &p.tags,
                    });
                }
            }
        }
        if best.is_none() && self.max_prefix > 0 && word.len() >= self.min_prefix {
            let top = self.max_prefix.min(word.len());
            for n in (self.min_prefix..=top).rev() {
                let Some(key) = word.get(..n) else { continue };
                if let Some(p) = self.prefixes.get(key) {
                    return Some(Hit {
                        start: i,
                        len: 1,
                        term: &p.term,
                        tags: &p.tags,
                    });
                }
            }
        }
        best
    }
}

/// Meanings a phrase takes from its words (see [`TermIndex::finish`]).
const INHERITED: [Category; 9] = [
    Category::Negative,
    Category::Complaint,
    Category::Problem,
    Category::Outage,
    Category::Safety,
    Category::Legal,
    Category::Cancellation,
    Category::Repeat,
    Category::Spam,
];

fn push_tag(tags: &mut Vec<Tag>, tag: Tag) {
    if !tags.iter().any(|t| t.cat == tag.cat && t.lang == tag.lang) {
        tags.push(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> TermIndex {
        let mut ix = TermIndex::default();
        ix.add("not bad:2", Category::Positive, 0);
        ix.add("bad", Category::Negative, 0);
        ix.add("not", Category::Negator, 0);
        ix.add("frustrat*", Category::Negative, 0);
        ix.add("won't turn on", Category::Problem, 0);
        ix.add("ne s'allume", Category::Problem, 1);
        ix
    }

    fn terms(text: &str) -> Vec<String> {
        let ix = index();
        let tokens = analyze(text).tokens;
        ix.find(&tokens).iter().map(|h| h.term.to_string()).collect()
    }

    #[test]
    fn longest_phrase_wins() {
        assert_eq!(terms("not bad at all"), ["not bad:2"]);
        assert_eq!(terms("not very bad"), ["not", "bad"]);
    }

    #[test]
    fn prefixes_and_folding() {
        assert_eq!(terms("so FRUSTRATING"), ["frustrat*"]);
        assert_eq!(terms("it WON’T turn on"), ["won't turn on"]);
        assert_eq!(terms("il ne s’allume plus"), ["ne s'allume"]);
    }

    #[test]
    fn term_syntax() {
        assert!(parse_term("great:3", true).is_ok_and(|t| t.weight == Some(3.0)));
        assert!(parse_term("great:9", true).is_err());
        assert!(parse_term("a*", false).is_err());
        assert!(parse_term("two words*", false).is_err());
        assert!(parse_term("  ", false).is_err());
        assert!(parse_term(":)", false).is_err());
    }

    #[test]
    fn every_builtin_term_parses() {
        for code in ["en", "es", "pt", "fr", "de"] {
            for (cat, terms) in builtin(code) {
                for t in *terms {
                    assert!(parse_term(t, cat.weighted()).is_ok(), "{code} {cat:?} `{t}`");
                }
            }
        }
    }
}
