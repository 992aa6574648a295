//! The file's shape, checked all at once: every unknown key and every value of the wrong type is
//! reported together, each with its line and key path
//! (`care.toml:41: channels.x[0].acount_id: unknown key (did you mean account_id?) ...`).
//!
//! serde stops at its first error. So the text is parsed once into `toml::de::DeTable` (which
//! keeps the span of every key and value), serde deserializes from a copy of that document, and
//! each time it refuses, the error's span is located in the document (giving the key path and the
//! array index), the offending key is removed from the copy and serde tries again. Spans always
//! refer to the original text. What finally deserializes is returned with the problems, so the
//! semantic checks still run on the rest of the file and their errors join these.

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeArray, DeValue};

/// A problem with the file's shape: the key path, the byte offset it sits at, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub path: String,
    pub offset: Option<usize>,
    pub message: String,
}

/// A step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// More problems than this in one file stop the search (each costs one deserialization).
const MAX_PROBLEMS: usize = 100;

/// Deserializes `T` from `value` (the document, or one of its sections named by `prefix`),
/// collecting every problem. `T` is what the rest of the file gave (None when nothing could be
/// kept, e.g. a required key of the root is missing).
pub(super) fn deserialize<T: DeserializeOwned>(
    prefix: &str,
    value: &Spanned<DeValue<'_>>,
) -> (Option<T>, Vec<Problem>) {
    let mut work = value.clone();
    let mut problems = Vec::new();
    // Display paths of the keys removed for an error: a "missing" that follows is our doing.
    let mut removed: Vec<String> = Vec::new();
    loop {
        let error = match T::deserialize(toml::de::ValueDeserializer::from(work.clone())) {
            Ok(t) => return (Some(t), sorted(problems)),
            Err(e) => e,
        };
        let Some(span) = error.span() else {
            problems.push(Problem {
                path: display(prefix, &[]),
                offset: None,
                message: first_line(error.message()),
            });
            return (None, sorted(problems));
        };
        let at = locate(value, span.start);
        let here = locate(&work, span.start);
        let what = describe(error.message());
        if let Described::Other(m) = &what
            && let Some(meant) = m
                .strip_prefix("unknown key (did you mean ")
                .and_then(|r| r.strip_suffix("?)"))
        {
            // The key it meant will be missing: that is this same typo.
            let mut table = at.clone();
            table.pop();
            removed.push(
                format!("{}.{meant}", display(prefix, &table))
                    .trim_start_matches('.')
                    .to_string(),
            );
        }
        let (path, offset, removal, induced) = match &what {
            Described::Missing(field) => {
                let path = format!("{}.{field}", display(prefix, &at))
                    .trim_start_matches('.')
                    .to_string();
                let induced = removed.contains(&path);
                (path, span.start, here.clone(), induced)
            }
            Described::Other(_) => (display(prefix, &at), span.start, here.clone(), false),
        };
        if !induced {
            let message = match what {
                Described::Missing(_) => "is missing".to_string(),
                Described::Other(m) => m,
            };
            let message = match owner(value, &at, prefix) {
                Some(owner) => format!("{message} (in {owner})"),
                None => message,
            };
            problems.push(Problem {
                path: path.clone(),
                offset: Some(offset),
                message,
            });
        }
        removed.push(display(prefix, &at));
        if removal.is_empty() || !remove(work.get_mut(), &removal) || problems.len() >= MAX_PROBLEMS {
            return (None, sorted(problems));
        }
    }
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| p.offset);
    problems
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("invalid value").to_string()
}

/// `channels.x[0].acount_id` from the section name and the steps.
fn display(prefix: &str, path: &[Seg]) -> String {
    let mut out = prefix.to_string();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The deepest key or value whose span holds `pos` (empty: the root itself).
fn locate(root: &Spanned<DeValue<'_>>, pos: usize) -> Vec<Seg> {
    fn walk(value: &DeValue<'_>, pos: usize, path: &mut Vec<Seg>, best: &mut Vec<Seg>) {
        match value {
            DeValue::Table(table) => {
                for (k, v) in table.iter() {
                    path.push(Seg::Key(k.get_ref().to_string()));
                    if (k.span().contains(&pos) || v.span().contains(&pos)) && path.len() > best.len() {
                        *best = path.clone();
                    }
                    walk(v.get_ref(), pos, path, best);
                    path.pop();
                }
            }
            DeValue::Array(array) => {
                for (i, v) in array.iter().enumerate() {
                    path.push(Seg::Index(i));
                    if v.span().contains(&pos) && path.len() > best.len() {
                        *best = path.clone();
                    }
                    walk(v.get_ref(), pos, path, best);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut best = Vec::new();
    walk(root.get_ref(), pos, &mut Vec::new(), &mut best);
    best
}

/// Removes the key or array element at `path`; false when it is not there.
fn remove(value: &mut DeValue<'_>, path: &[Seg]) -> bool {
    match (value, path) {
        (_, []) => false,
        (DeValue::Table(table), [Seg::Key(k)]) => table.remove(k.as_str()).is_some(),
        (DeValue::Table(table), [Seg::Key(k), rest @ ..]) => {
            table.get_mut(k.as_str()).is_some_and(|v| remove(v.get_mut(), rest))
        }
        (DeValue::Array(array), [Seg::Index(i)]) => {
            if *i >= array.len() {
                return false;
            }
            let mut kept = DeArray::new();
            for (j, item) in array.iter().enumerate() {
                if j != *i {
                    kept.push(item.clone());
                }
            }
            *array = kept;
            true
        }
        (DeValue::Array(array), [Seg::Index(i), rest @ ..]) => {
            array.get_mut(*i).is_some_and(|v| remove(v.get_mut(), rest))
        }
        _ => false,
    }
}

/// `account "brand"` when the problem sits inside an array element that has a `name` (or `id`).
fn owner(root: &Spanned<DeValue<'_>>, path: &[Seg], prefix: &str) -> Option<String> {
    let mut value = root.get_ref();
    let mut found = None;
    let mut parent_key = prefix.split('.').next_back().unwrap_or_default().to_string();
    for (depth, seg) in path.iter().enumerate() {
        value = match (value, seg) {
            (DeValue::Table(t), Seg::Key(k)) => {
                parent_key = k.clone();
                t.get(k.as_str())?.get_ref()
            }
            (DeValue::Array(a), Seg::Index(i)) => a.get(*i)?.get_ref(),
            _ => return found,
        };
        if let (Seg::Index(_), DeValue::Table(t)) = (seg, value) {
            // The element's own `name = ...` line needs no reminder of itself.
            let own = path
                .get(depth + 1)
                .is_some_and(|s| matches!(s, Seg::Key(k) if k == "name" || k == "id"));
            let label = ["name", "id"]
                .iter()
                .find_map(|k| t.get(*k).and_then(|v| v.get_ref().as_str().map(str::to_string)));
            if let (Some(label), false) = (label, own) {
                let noun = match (prefix.split('.').next().unwrap_or_default(), parent_key.as_str()) {
                    ("channels", _) | (_, "x" | "facebook" | "instagram") => "account",
                    (_, "agents") => "agent",
                    (_, "sources") => "source",
                    (_, "webhooks") => "webhook",
                    _ => "entry",
                };
                found = Some(format!("{noun} \"{label}\""));
            }
        }
    }
    found
}

enum Described {
    /// `missing field `x``: the field's name.
    Missing(String),
    Other(String),
}

/// serde's wording turned into the file's: keys, not fields; the near miss suggested.
fn describe(message: &str) -> Described {
    let message = first_line(message);
    if let Some(rest) = message.strip_prefix("missing field `") {
        return Described::Missing(rest.trim_end_matches('`').to_string());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known = backticked(expected);
        return Described::Other(match suggest(name, &known) {
            Some(s) => format!("unknown key (did you mean {s}?)"),
            None if known.is_empty() => "unknown key (this table takes no keys)".to_string(),
            None => format!("unknown key (known: {})", known.join(", ")),
        });
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known = backticked(expected);
        return Described::Other(match suggest(name, &known) {
            Some(s) => format!("unknown value `{name}` (did you mean {s}?)"),
            None => format!("unknown value `{name}` (one of: {})", known.join(", ")),
        });
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return Described::Other(format!("wrong type: expected {expected}, found {found}"));
    }
    Described::Other(message)
}

/// The names between backticks in `expected one of `a`, `b``.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The closest known name, when it is close (a typo, not another word).
fn suggest(name: &str, known: &[String]) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested_and_words_are_not() {
        let known = ["account_id".to_string(), "name".to_string()];
        assert_eq!(suggest("acount_id", &known).as_deref(), Some("account_id"));
        assert_eq!(suggest("mood", &known), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
