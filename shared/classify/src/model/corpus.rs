//! What the model learns from and what it is measured on: the corpus manifest
//! (`model/corpus.toml`), the examples it gives, and the comparison that refuses a new model
//! that is worse than the current one on the measure-only suites.

use super::Model;
use super::train::{Example, TrainConfig, train};
use crate::classifier::{Context, RuleClassifier};
use crate::eval::{EvalReport, Labelled, evaluate};
use serde::Deserialize;
use socialcare_domain::Sentiment;
use std::collections::BTreeMap;

/// The manifest of the training corpus: every input with its provenance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corpus {
    pub inputs: Vec<Input>,
}

/// One training input: a labelled JSON Lines file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Relative to the repository root.
    pub path: String,
    /// Where it comes from and under which licence.
    pub provenance: String,
    /// How much each example counts.
    #[serde(default = "one")]
    pub weight: f32,
    /// Only the first N lines (a large external corpus stays a share of the whole).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Fetched at test time by this script (not committed); missing means "run it first".
    #[serde(default)]
    pub fetched_by: Option<String>,
}

fn one() -> f32 {
    1.0
}

/// The examples a labelled set gives, seen through `rules` (which must run without a model,
/// so the features are the rules' own).
pub fn examples(rules: &RuleClassifier, set: &[Labelled], weight: f32) -> Vec<Example> {
    set.iter()
        .map(|item| {
            let post = item.to_post();
            Example {
                features: rules.features(&post, &Context::default()),
                actionable: item.actionable.or_else(|| item.spam.filter(|s| *s).map(|_| false)),
                spam: item.spam,
                urgent: item.urgent.or_else(|| item.actionable.filter(|a| !*a).map(|_| false)),
                sentiment: item.sentiment.map(|s| match s {
                    Sentiment::Negative => 0,
                    Sentiment::Neutral => 1,
                    Sentiment::Positive => 2,
                }),
                weight,
            }
        })
        .collect()
}

/// Trains a model on labelled sets with their weights.
pub fn train_on(rules: &RuleClassifier, sets: &[(Vec<Labelled>, f32)], cfg: &TrainConfig) -> Model {
    let mut all = Vec::new();
    for (set, w) in sets {
        all.extend(examples(rules, set, *w));
    }
    train(&all, cfg)
}

/// The figures that decide whether a new model may replace the current one, per suite:
/// the mean of the figures each suite measures (sentiment accuracy, actionable F1, spam F1,
/// urgency recall, language accuracy).
pub fn score(report: &EvalReport) -> f64 {
    let g = &report.all;
    let f1 = |b: &crate::eval::Binary| match (b.precision(), b.recall()) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (None, Some(_)) => Some(0.0),
        _ => None,
    };
    let parts: Vec<f64> = [
        g.sentiment_accuracy(),
        f1(&g.actionable),
        f1(&g.spam),
        g.urgent.recall(),
        g.language_accuracy(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        0.0
    } else {
        parts.iter().sum::<f64>() / parts.len() as f64
    }
}

/// Current and candidate side by side on each measure-only suite.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub suites: BTreeMap<String, (f64, f64)>,
}

impl Comparison {
    /// Runs both classifiers on every suite.
    pub fn of(current: &RuleClassifier, candidate: &RuleClassifier, suites: &[(String, Vec<Labelled>)]) -> Self {
        let mut out = Self::default();
        for (name, set) in suites {
            let a = score(&evaluate(current, set));
            let b = score(&evaluate(candidate, set));
            out.suites.insert(name.clone(), (a, b));
        }
        out
    }

    /// The candidate is no worse: its mean over the suites is at least the current one's,
    /// and no suite falls by more than a point.
    pub fn candidate_is_no_worse(&self) -> bool {
        let n = self.suites.len().max(1) as f64;
        let (a, b) = self
            .suites
            .values()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
        b + 1e-9 >= a && self.suites.values().all(|(x, y)| *y + 0.01 >= *x)
    }
}
