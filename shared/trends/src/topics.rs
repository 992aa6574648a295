//! Configured topics matched in a post: each alias as whole words, compared stem to stem in the
//! post's language (so `laptops` and `Laptop` both name `laptop`).

use crate::config::TopicRule;
use crate::text::{Analyzer, LANGUAGES, Word};
use std::collections::HashMap;

pub(crate) struct TopicMatcher {
    pub names: Vec<String>,
    /// Per language: single-stem alias → topics; multi-word aliases as stem sequences.
    single: Vec<HashMap<String, Vec<usize>>>,
    multi: Vec<Vec<(Vec<String>, usize)>>,
}

impl TopicMatcher {
    pub fn new(topics: &[TopicRule], analyzer: &Analyzer) -> Self {
        let mut single = vec![HashMap::<String, Vec<usize>>::new(); LANGUAGES.len()];
        let mut multi = vec![Vec::new(); LANGUAGES.len()];
        for (li, lang) in LANGUAGES.iter().enumerate() {
            for (ti, t) in topics.iter().enumerate() {
                for alias in std::iter::once(&t.name).chain(&t.aliases) {
                    let stems: Vec<String> = alias
                        .split_whitespace()
                        .map(|w| analyzer.stem(lang, &w.to_lowercase()))
                        .collect();
                    match stems.len() {
                        0 => {}
                        1 => {
                            let e = single[li].entry(stems[0].clone()).or_default();
                            if !e.contains(&ti) {
                                e.push(ti);
                            }
                        }
                        _ => multi[li].push((stems, ti)),
                    }
                }
            }
        }
        Self {
            names: topics.iter().map(|t| t.name.clone()).collect(),
            single,
            multi,
        }
    }

    /// The topics `words` name (each once).
    pub fn matches(&self, language: &str, words: &[Word]) -> Vec<usize> {
        let li = LANGUAGES.iter().position(|l| *l == language).unwrap_or(0);
        let mut out = Vec::new();
        for w in words {
            if let Some(ts) = self.single[li].get(&w.stem) {
                for t in ts {
                    if !out.contains(t) {
                        out.push(*t);
                    }
                }
            }
        }
        for (stems, t) in &self.multi[li] {
            if !out.contains(t)
                && words
                    .windows(stems.len())
                    .any(|win| win.iter().zip(stems).all(|(w, s)| &w.stem == s))
            {
                out.push(*t);
            }
        }
        out
    }
}
