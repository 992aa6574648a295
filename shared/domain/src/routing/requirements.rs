//! What a case needs from its agent, derived from the case, its customer posts' classification
//! and text, and the configured rules. Pure.

use super::policy::RoutingPolicy;
use crate::case::Case;
use crate::channel::{Channel, Language, Priority};
use crate::post::{Direction, Post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements {
    /// None: the language is unknown and anyone may take it.
    pub language: Option<Language>,
    /// Skill → minimum level.
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    #[serde(default)]
    pub region: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    /// Which rule added each requirement, in order (`intent complaint → billing≥2`).
    #[serde(default)]
    pub because: Vec<String>,
    /// The configured products the customer's posts name, in the configuration's order
    /// (reports group cases by the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// The case's requirements under `policy`. `posts` are the case's posts (any order; only
/// classified customer posts count for intent, only customer posts' text for products).
pub fn requirements(case: &Case, posts: &[Post], policy: &RoutingPolicy) -> Requirements {
    let mut skills: BTreeMap<String, u8> = BTreeMap::new();
    let mut because = Vec::new();
    let mut need = |skill: &str, level: u8, why: String, because: &mut Vec<String>| {
        let entry = skills.entry(skill.to_string()).or_insert(0);
        if level > *entry {
            *entry = level;
        }
        because.push(why);
    };
    let inbound = || posts.iter().filter(|p| p.direction == Direction::Inbound && !p.deleted);
    let latest_intent = inbound()
        .filter_map(|p| p.classification.as_ref().map(|c| (p.created_at, c.intent)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, i)| i);
    if let Some(intent) = latest_intent {
        for (rule_intent, n) in &policy.intent_skills {
            if *rule_intent == intent {
                need(
                    &n.skill,
                    n.level,
                    format!("intent {} → {}≥{}", intent_name(intent), n.skill, n.level),
                    &mut because,
                );
            }
        }
    }
    let mut products = Vec::new();
    for product in &policy.products {
        let hit = inbound().any(|p| product.aliases.iter().any(|a| contains_word(&p.text, a)));
        if hit {
            products.push(product.name.clone());
            need(
                &product.need.skill,
                product.need.level,
                format!(
                    "product {} → {}≥{}",
                    product.name, product.need.skill, product.need.level
                ),
                &mut because,
            );
        }
    }
    // The customer's country (from a phone number they wrote, newest post first) says where
    // they are; the account says where they wrote to; the language is the last guess.
    let mut newest_first: Vec<&Post> = inbound().collect();
    newest_first.sort_by_key(|p| std::cmp::Reverse(p.created_at));
    let by_country = newest_first
        .iter()
        .flat_map(|p| phone_numbers(&p.text))
        .find_map(|number| {
            let (code, country) = calling_code(&number, &policy.country_by_calling_code)?;
            let region = policy.region_by_country.get(country)?;
            Some((code, country, region))
        });
    let region = match (by_country, policy.region_by_account.get(&case.account)) {
        (Some((code, country, r)), _) => {
            because.push(format!("phone {code}… → country {country} → region {r}"));
            Some(r.clone())
        }
        (None, Some(r)) => {
            because.push(format!("account {} → region {r}", case.account));
            Some(r.clone())
        }
        (None, None) => case
            .language
            .as_ref()
            .and_then(|l| policy.region_by_language.get(l).map(|r| (l, r)))
            .map(|(l, r)| {
                because.push(format!("language {l} → region {r}"));
                r.clone()
            }),
    };
    Requirements {
        language: case.language.clone(),
        skills,
        region,
        channel: case.channel,
        priority: case.priority,
        because,
        products,
    }
}

/// Most digits in an E.164 number.
const E164_MAX_DIGITS: usize = 15;
/// Fewer digits than this after a `+` is not a phone number (a score, "+1", "+50%").
const PHONE_MIN_DIGITS: usize = 8;

/// The international phone numbers in `text` (`+` then digits, spaces, dots, dashes or
/// brackets), as `+` and digits: `+55 (11) 91234-5678` → `+5511912345678`. Bounded work.
pub fn phone_numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut previous: Option<char> = None;
    while let Some((_, c)) = chars.next() {
        let starts = c == '+' && previous.is_none_or(|p| !p.is_alphanumeric());
        previous = Some(c);
        if !starts {
            continue;
        }
        let mut digits = String::from("+");
        while let Some(&(_, d)) = chars.peek() {
            if d.is_ascii_digit() {
                digits.push(d);
            } else if !matches!(d, ' ' | '.' | '-' | '(' | ')') || digits.len() == 1 {
                break;
            }
            previous = Some(d);
            chars.next();
            if digits.len() > E164_MAX_DIGITS + 1 {
                break;
            }
        }
        let n = digits.len() - 1;
        if (PHONE_MIN_DIGITS..=E164_MAX_DIGITS).contains(&n) {
            out.push(digits);
        }
    }
    out
}

/// The longest configured calling code that begins `number`, with its country.
fn calling_code<'a>(number: &str, codes: &'a BTreeMap<String, String>) -> Option<(&'a str, &'a str)> {
    codes
        .iter()
        .filter(|(code, _)| number.starts_with(code.as_str()))
        .max_by_key(|(code, _)| code.len())
        .map(|(code, country)| (code.as_str(), country.as_str()))
}

pub(crate) fn intent_name(i: crate::post::Intent) -> String {
    serde_json::to_value(i)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{i:?}").to_lowercase())
}

/// Whether `needle` (lower case) occurs in `text` as a whole word (or words), ignoring case.
pub fn contains_word(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let hay = text.to_lowercase();
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = hay[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Requirements of a case whose posts are not at hand: language, channel, priority, region.
pub fn basic_requirements(case: &Case, policy: &RoutingPolicy) -> Requirements {
    requirements(case, &[], policy)
}
