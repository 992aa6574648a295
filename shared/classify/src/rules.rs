//! The rules proper: from the terms found in a post to its sentiment, faults, complaints,
//! questions, buying intent and urgency. Pure functions of the analysis and the terms.
//!
//! A term counts when it comes from the post's language, or when it is distinctive enough to
//! count in any language (a phrase, or a word of six letters or more): code-switched posts
//! (`Mi Acme Book is not working desde ayer`) keep their meaning, and short words that mean
//! different things in different languages (`mal`, `no`, `si`) do not cross over.

use crate::lexicon::{Category, Hit, Tag};
use crate::text::{Analyzed, Token};

/// Kinds of urgency, in the order priority points are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Urgency {
    Safety,
    Outage,
    Legal,
    Cancellation,
    Repeat,
    Deadline,
    /// No rule fired, but the learned model finds the post urgent.
    Model,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Safety => "safety",
            Urgency::Outage => "outage",
            Urgency::Legal => "legal threat",
            Urgency::Cancellation => "cancellation",
            Urgency::Repeat => "repeated contact",
            Urgency::Deadline => "time pressure",
            Urgency::Model => "urgent by the model",
        }
    }
}

/// Everything the rules found in a post.
#[derive(Debug, Default)]
pub(crate) struct Evidence {
    pub problems: Vec<String>,
    pub complaints: Vec<String>,
    pub purchases: Vec<String>,
    pub urgency: Vec<(Urgency, String)>,
    pub spam_terms: Vec<(String, f32)>,
    pub question_start: bool,
    pub social: bool,
    pub resolved: bool,
    pub positive: Vec<String>,
    pub negative: Vec<String>,
    /// Sentiment before normalisation.
    pub raw_sentiment: f32,
    /// -1..=1.
    pub sentiment: f32,
}

/// Whether a tag of `hit` counts for a post in language `primary` (`None`: unknown, all count).
fn usable(tag: &Tag, hit: &Hit<'_>, tokens: &[Token], primary: Option<u8>) -> bool {
    match primary {
        None => true,
        Some(p) if tag.lang == p => true,
        Some(_) => hit.len >= 2 || tokens.get(hit.start).is_some_and(|t| t.text.chars().count() >= 6),
    }
}

fn has(hit: &Hit<'_>, cat: Category, tokens: &[Token], primary: Option<u8>) -> Option<f32> {
    hit.tags
        .iter()
        .filter(|t| t.cat == cat && usable(t, hit, tokens, primary))
        .map(|t| t.weight)
        .reduce(f32::max)
}

/// Per-token marks from the modifier terms.
struct Marks {
    negator: Vec<bool>,
    post_negator: Vec<bool>,
    boost: Vec<f32>,
    contrast: Option<usize>,
}

fn marks(hits: &[Hit<'_>], tokens: &[Token], primary: Option<u8>) -> Marks {
    let n = tokens.len();
    let mut m = Marks {
        negator: vec![false; n],
        post_negator: vec![false; n],
        boost: vec![1.0; n],
        contrast: None,
    };
    for h in hits {
        let end = (h.start + h.len).min(n);
        for i in h.start..end {
            if has(h, Category::Negator, tokens, primary).is_some() {
                m.negator[i] = true;
            }
            if has(h, Category::PostNegator, tokens, primary).is_some() {
                m.post_negator[i] = true;
            }
            if has(h, Category::Intensifier, tokens, primary).is_some() {
                m.boost[i] = 1.3;
            }
            if has(h, Category::Diminisher, tokens, primary).is_some() {
                m.boost[i] = 0.6;
            }
        }
        if m.contrast.is_none() && h.start > 0 && has(h, Category::Contrast, tokens, primary).is_some() {
            m.contrast = Some(h.start);
        }
    }
    m
}

fn same_clause(tokens: &[Token], a: usize, b: usize) -> bool {
    match (tokens.get(a), tokens.get(b)) {
        (Some(x), Some(y)) => x.clause == y.clause,
        _ => false,
    }
}

/// Negated by a negator up to three words before, or a post-negator up to four words after
/// (German and French put the negation after the verb: `geht seit gestern nicht`). Phrases
/// are idioms with their polarity built in (`not bad`, `plus jamais`) and are never negated.
fn negated(m: &Marks, tokens: &[Token], start: usize, len: usize) -> bool {
    if len > 1 {
        return false;
    }
    let pre = (start.saturating_sub(3)..start).any(|j| m.negator[j] && same_clause(tokens, j, start));
    let end = start + len;
    let post = (end..(end + 4).min(tokens.len())).any(|j| m.post_negator[j] && same_clause(tokens, j, start));
    pre || post
}

fn boost(m: &Marks, tokens: &[Token], start: usize) -> f32 {
    (start.saturating_sub(2)..start)
        .filter(|&j| same_clause(tokens, j, start))
        .map(|j| m.boost[j])
        .fold(
            1.0,
            |acc, b| if (b - 1.0).abs() > (acc - 1.0f32).abs() { b } else { acc },
        )
}

/// A number before a unit of time, not introduced by "in" (`fixed in 5 minutes` is praise).
fn waited(tokens: &[Token], at: usize) -> bool {
    if at == 0 || !tokens[at - 1].is_number() {
        return false;
    }
    let before = at.checked_sub(2).map(|i| tokens[i].text.as_str());
    !matches!(
        before,
        Some("in" | "en" | "em" | "within" | "dans" | "innerhalb" | "nach" | "after" | "apres")
    )
}

/// Weight of a fault term in the sentiment when it carries no sentiment weight of its own.
const FAULT_WEIGHT: f32 = 1.5;

/// Reads the terms of a post.
pub(crate) fn gather(a: &Analyzed, hits: &[Hit<'_>], primary: Option<u8>) -> Evidence {
    let tokens = &a.tokens;
    let m = marks(hits, tokens, primary);
    let mut e = Evidence::default();
    let shouting_everywhere = {
        let words = tokens
            .iter()
            .filter(|t| t.text.chars().any(char::is_alphabetic))
            .count();
        words > 0 && a.caps_words() * 10 >= words * 8
    };
    let (mut pos, mut neg) = (0.0f32, 0.0f32);
    let mut faults = 0usize;
    for h in hits {
        let term = h.term.to_string();
        if has(h, Category::Neutral, tokens, primary).is_some() {
            continue;
        }
        let is_negated = negated(&m, tokens, h.start, h.len);
        let fault = [Category::Problem, Category::Outage, Category::Safety]
            .into_iter()
            .any(|c| has(h, c, tokens, primary).is_some());
        if fault && !is_negated {
            e.problems.push(term.clone());
            faults += 1;
        }
        if has(h, Category::Function, tokens, primary).is_some() && is_negated && !fault {
            e.problems.push(format!("not {term}"));
            faults += 1;
        }
        if has(h, Category::Complaint, tokens, primary).is_some() && !is_negated {
            e.complaints.push(term.clone());
        }
        if has(h, Category::Purchase, tokens, primary).is_some() && !is_negated {
            e.purchases.push(term.clone());
        }
        if has(h, Category::Question, tokens, primary).is_some() && h.start == 0 {
            e.question_start = true;
        }
        if has(h, Category::Social, tokens, primary).is_some() {
            e.social = true;
        }
        if has(h, Category::Resolved, tokens, primary).is_some() && !is_negated {
            e.resolved = true;
        }
        if let Some(w) = has(h, Category::Spam, tokens, primary).or_else(|| {
            // Spam phrases are distinctive in any language.
            h.tags
                .iter()
                .filter(|t| t.cat == Category::Spam)
                .map(|t| t.weight)
                .reduce(f32::max)
        }) {
            e.spam_terms.push((term.clone(), w));
        }
        let kinds = [
            (Category::Safety, Urgency::Safety),
            (Category::Outage, Urgency::Outage),
            (Category::Legal, Urgency::Legal),
            (Category::Cancellation, Urgency::Cancellation),
            (Category::Repeat, Urgency::Repeat),
            (Category::Urgency, Urgency::Deadline),
        ];
        for (cat, kind) in kinds {
            if has(h, cat, tokens, primary).is_some() && !is_negated {
                e.urgency.push((kind, term.clone()));
            }
        }
        if has(h, Category::Duration, tokens, primary).is_some() && waited(tokens, h.start) {
            // "4 hours late", "50 minutos en espera": customers count what they endured.
            e.complaints.push(format!("{} {term}", tokens[h.start - 1].text));
            faults += 1;
        }
        if has(h, Category::Times, tokens, primary).is_some() && h.start > 0 {
            let count = tokens[h.start - 1]
                .text
                .parse::<u32>()
                .ok()
                .filter(|n| (2..=99).contains(n));
            if let Some(n) = count {
                e.urgency.push((Urgency::Repeat, format!("{n} {term}")));
            }
        }
        // Sentiment.
        let mut w = has(h, Category::Positive, tokens, primary).unwrap_or(0.0)
            - has(h, Category::Negative, tokens, primary).unwrap_or(0.0);
        let escalation = [Category::Cancellation, Category::Legal, Category::Repeat]
            .into_iter()
            .any(|c| has(h, c, tokens, primary).is_some());
        let fault_only = w == 0.0 && (fault || escalation);
        if fault_only {
            w = -FAULT_WEIGHT;
        }
        if w == 0.0 {
            continue;
        }
        if is_negated {
            w = if fault_only { 0.5 } else { -0.75 * w };
        }
        w *= boost(&m, tokens, h.start);
        let caps = tokens[h.start..h.start + h.len].iter().any(|t| t.caps);
        if caps && !shouting_everywhere {
            w *= 1.4;
        } else if caps {
            w *= 1.2;
        }
        match m.contrast {
            Some(c) if h.start > c => w *= 1.5,
            Some(_) => w *= 0.6,
            None => {}
        }
        if w > 0.0 {
            pos += w;
            e.positive.push(term);
        } else {
            neg += w;
            e.negative.push(term);
        }
    }
    // A fault reported with praise is sarcasm ("Great, it died again") or a complaint wrapped
    // in politeness; either way the customer is not happy, unless the fault is over.
    let sarcastic = a.sarcasm_emoji > 0 && faults + e.negative.len() + e.complaints.len() > 0;
    if (faults > 0 && !e.resolved) || sarcastic {
        neg -= 0.5 * pos;
        pos = 0.0;
    }
    let mut emoji = a.emoji_score;
    if ((faults > 0 && !e.resolved) || sarcastic) && emoji > 0.0 {
        emoji *= -0.5;
    }
    // Wanting to buy is interest: mildly positive unless something is wrong.
    if !e.purchases.is_empty() && neg == 0.0 && faults == 0 {
        pos += 1.5;
    }
    let mut s = pos + neg + emoji;
    if sarcastic && s > 0.0 {
        s = -s;
    }
    if s != 0.0 {
        s += s.signum() * (a.exclamations.min(4) as f32) * 0.3;
    }
    if a.max_question_run >= 2 && s < 0.0 {
        s -= 0.5;
    }
    if shouting_everywhere && s < 0.0 {
        s *= 1.2;
    }
    e.raw_sentiment = s;
    e.sentiment = (s / (s * s + 15.0).sqrt()).clamp(-1.0, 1.0);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::TermIndex;
    use crate::text::analyze;

    fn evidence(text: &str) -> Evidence {
        let mut ix = TermIndex::default();
        for (cat, terms) in crate::lexicon::builtin("en") {
            for t in *terms {
                ix.add(t, *cat, 0);
            }
        }
        let a = analyze(text);
        let hits = ix.find(&a.tokens);
        gather(&a, &hits, Some(0))
    }

    #[test]
    fn negation_flips() {
        assert!(evidence("this is good").sentiment > 0.2);
        assert!(evidence("this is not good").sentiment < 0.0);
        assert!(evidence("not bad at all").sentiment > 0.2);
    }

    #[test]
    fn intensity_caps_and_punctuation_add_up() {
        let plain = evidence("this is bad").sentiment;
        let loud = evidence("this is really BAD!!!").sentiment;
        assert!(loud < plain, "{loud} < {plain}");
    }

    #[test]
    fn negated_function_is_a_fault() {
        let e = evidence("my laptop won't turn on");
        assert!(!e.problems.is_empty());
        assert!(e.sentiment < 0.0);
        let e = evidence("the charger doesn't charge");
        assert!(!e.problems.is_empty());
    }

    #[test]
    fn sarcasm_with_a_fault_is_negative() {
        assert!(evidence("Oh great, my laptop died again. Thanks, really top quality 🙄").sentiment < -0.2);
        assert!(evidence("Love how my internet goes down every time it rains. Fantastic.").sentiment < 0.0);
    }

    #[test]
    fn a_fixed_fault_is_praise() {
        assert!(evidence("Thanks, my broken screen was fixed in a day, great service").sentiment > 0.2);
    }

    #[test]
    fn repeated_contact_by_count() {
        let e = evidence("I called 5 times about this");
        assert!(e.urgency.iter().any(|(k, _)| *k == Urgency::Repeat));
    }
}
