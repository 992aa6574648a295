//! Evaluation against a labelled set (`eval/posts.jsonl`): per-language language accuracy
//! (posts of three words or more), sentiment accuracy, actionable and spam precision/recall,
//! urgency recall, and confusion matrices. `care eval [FILE]` prints [`EvalReport`].

use crate::classifier::RuleClassifier;
use crate::text::word_count;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use socialcare_domain::ids::{AuthorId, PostId};
use socialcare_domain::{Author, Channel, Direction, Language, Post, Sentiment};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One labelled post of the evaluation set (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub text: String,
    /// Every label is optional: an external corpus labels what it labels (a sentiment corpus
    /// says nothing of spam), and each figure counts only the posts that carry its label.
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub sentiment: Option<Sentiment>,
    #[serde(default)]
    pub actionable: Option<bool>,
    #[serde(default)]
    pub spam: Option<bool>,
    #[serde(default)]
    pub urgent: Option<bool>,
    /// Sarcasm, negation, code-switching, emoji-only, misspellings, URL-only, spam questions,
    /// polite complaints.
    #[serde(default)]
    pub hard: bool,
    #[serde(default)]
    pub followers: Option<u64>,
    #[serde(default)]
    pub verified: Option<bool>,
    /// Our account the post was sent to (for the account-language fallback).
    #[serde(default)]
    pub account: Option<String>,
}

impl Labelled {
    /// The post as the classifier sees it (generic channel, no waiting time).
    pub fn to_post(&self) -> Post {
        let id = PostId::parse(format!("generic:eval:{}", self.id))
            .or_else(|_| PostId::parse("generic:eval:post"))
            .unwrap_or_else(|_| unreachable!("a literal id is valid"));
        let author = AuthorId::parse(format!("generic:eval:author-{}", self.id))
            .or_else(|_| AuthorId::parse("generic:eval:author"))
            .unwrap_or_else(|_| unreachable!("a literal id is valid"));
        Post {
            id,
            channel: Channel::Generic,
            account: self.account.clone().unwrap_or_else(|| "eval".into()),
            platform_id: self.id.clone(),
            conversation_id: None,
            parent_id: None,
            author: Author {
                id: author,
                handle: format!("author-{}", self.id),
                name: None,
                followers: self.followers,
                verified: self.verified,
                following: None,
                joined_at: None,
            },
            text: self.text.clone(),
            created_at: Timestamp::UNIX_EPOCH,
            received_at: Timestamp::UNIX_EPOCH,
            private: false,
            direction: Direction::Inbound,
            edits: Vec::new(),
            deleted: false,
            classification: None,
            delivery: None,
            attachments: vec![],
            recipient: None,
        }
    }
}

/// Why an evaluation set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: duplicate id `{id}` (line {line})")]
    DuplicateId { path: PathBuf, line: usize, id: String },
}

/// Reads a JSON Lines evaluation set; blank lines and lines starting with `#` are skipped.
pub fn load_eval_set(path: impl AsRef<Path>) -> Result<Vec<Labelled>, EvalError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_eval_set(&text, path)
}

/// Parses the text of an evaluation set; `path` is only used in errors.
pub fn parse_eval_set(text: &str, path: &Path) -> Result<Vec<Labelled>, EvalError> {
    let mut out: Vec<Labelled> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let item: Labelled = serde_json::from_str(line).map_err(|e| EvalError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if !ids.insert(item.id.clone()) {
            return Err(EvalError::DuplicateId {
                path: path.to_path_buf(),
                line: i + 1,
                id: item.id,
            });
        }
        out.push(item);
    }
    Ok(out)
}

/// Counts of a yes/no decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Binary {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Binary {
    fn add(&mut self, expected: bool, got: bool) {
        match (expected, got) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    /// `None` when nothing was predicted positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    /// `None` when nothing is positive in the set.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

const SENTIMENTS: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

fn sentiment_index(s: Sentiment) -> usize {
    match s {
        Sentiment::Negative => 0,
        Sentiment::Neutral => 1,
        Sentiment::Positive => 2,
    }
}

/// Figures for one group of posts (a language, all, or the hard cases).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupStats {
    pub posts: usize,
    /// Posts with a sentiment label.
    pub sentiment_total: usize,
    /// Posts of three words or more (the language-accuracy base) and those detected right.
    pub language_total: usize,
    pub language_correct: usize,
    /// Expected language → detected language (`-` when none), posts of three words or more.
    pub language_confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Rows: expected negative/neutral/positive; columns: predicted.
    pub sentiment_confusion: [[usize; 3]; 3],
    pub actionable: Binary,
    pub spam: Binary,
    pub urgent: Binary,
}

impl GroupStats {
    pub fn language_accuracy(&self) -> Option<f64> {
        ratio(self.language_correct, self.language_total)
    }
    pub fn sentiment_accuracy(&self) -> Option<f64> {
        let right: usize = (0..3).map(|i| self.sentiment_confusion[i][i]).sum();
        ratio(right, self.sentiment_total)
    }
}

/// One wrong answer, for tuning rules (never used to special-case posts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Miss {
    pub id: String,
    pub field: &'static str,
    pub expected: String,
    pub got: String,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    pub model_version: String,
    /// By language code, in code order.
    pub languages: BTreeMap<String, GroupStats>,
    pub all: GroupStats,
    pub hard: GroupStats,
    /// Posts that opened no case but were listed for a person's review (the uncertain band).
    pub review: usize,
    pub misses: Vec<Miss>,
}

/// Classifies every labelled post and compares.
pub fn evaluate(classifier: &RuleClassifier, set: &[Labelled]) -> EvalReport {
    let mut report = EvalReport {
        model_version: classifier.model_version().to_string(),
        ..EvalReport::default()
    };
    for item in set {
        let c = socialcare_domain::ports::Classifier::classify(classifier, &item.to_post());
        if c.review {
            report.review += 1;
        }
        let expected_lang = item
            .language
            .as_ref()
            .map(|l| l.as_str().to_string())
            .unwrap_or_else(|| "?".into());
        let got_lang = c
            .language
            .as_ref()
            .map(|l| l.as_str().to_string())
            .unwrap_or_else(|| "-".into());
        let counts_for_language = item.language.is_some() && word_count(&item.text) >= 3;
        let mut groups: Vec<&mut GroupStats> = Vec::new();
        let lang_group = report.languages.entry(expected_lang.clone()).or_default();
        groups.push(lang_group);
        groups.push(&mut report.all);
        if item.hard {
            groups.push(&mut report.hard);
        }
        for g in groups {
            g.posts += 1;
            if counts_for_language {
                g.language_total += 1;
                if got_lang == expected_lang {
                    g.language_correct += 1;
                }
                *g.language_confusion
                    .entry(expected_lang.clone())
                    .or_default()
                    .entry(got_lang.clone())
                    .or_default() += 1;
            }
            if let Some(s) = item.sentiment {
                g.sentiment_total += 1;
                g.sentiment_confusion[sentiment_index(s)][sentiment_index(c.sentiment)] += 1;
            }
            if let Some(x) = item.actionable {
                g.actionable.add(x, c.actionable);
            }
            if let Some(x) = item.spam {
                g.spam.add(x, c.spam);
            }
            if let Some(x) = item.urgent {
                g.urgent.add(x, c.urgent);
            }
        }
        let mut miss = |field: &'static str, expected: String, got: String| {
            if expected != got {
                report.misses.push(Miss {
                    id: item.id.clone(),
                    field,
                    expected,
                    got,
                });
            }
        };
        if counts_for_language {
            miss("language", expected_lang.clone(), got_lang.clone());
        }
        if let Some(s) = item.sentiment {
            miss("sentiment", format!("{s:?}"), format!("{:?}", c.sentiment));
        }
        if let Some(x) = item.actionable {
            miss("actionable", x.to_string(), c.actionable.to_string());
        }
        if let Some(x) = item.spam {
            miss("spam", x.to_string(), c.spam.to_string());
        }
        if let Some(x) = item.urgent {
            miss("urgent", x.to_string(), c.urgent.to_string());
        }
    }
    report
}

impl EvalReport {
    /// The tracked figures, as recorded in `eval/baseline.json`: `<group>.<metric>` → 0..=1,
    /// where group is a language code or `all`. Figures without a base (no spam in a group,
    /// say) are left out.
    pub fn figures(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        let groups = self
            .languages
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain([("all", &self.all)]);
        for (name, g) in groups {
            let metrics = [
                ("language", g.language_accuracy()),
                ("sentiment", g.sentiment_accuracy()),
                ("actionable_precision", g.actionable.precision()),
                ("actionable_recall", g.actionable.recall()),
                ("spam_precision", g.spam.precision()),
                ("spam_recall", g.spam.recall()),
                ("urgency_recall", g.urgent.recall()),
            ];
            for (metric, value) in metrics {
                if let Some(v) = value {
                    out.insert(format!("{name}.{metric}"), (v * 10_000.0).round() / 10_000.0);
                }
            }
        }
        out
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into())
}

fn two(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into())
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, g: &GroupStats) -> fmt::Result {
    writeln!(
        f,
        "{:<5} {:>5} {:>8} ({:>3}) {:>9} {:>7} {:>6} {:>7} {:>6} {:>8}",
        name,
        g.posts,
        pct(g.language_accuracy()),
        g.language_total,
        pct(g.sentiment_accuracy()),
        two(g.actionable.precision()),
        two(g.actionable.recall()),
        two(g.spam.precision()),
        two(g.spam.recall()),
        two(g.urgent.recall()),
    )
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "model {} · {} posts ({} hard)",
            self.model_version, self.all.posts, self.hard.posts
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<5} {:>5} {:>14} {:>9} {:>7} {:>6} {:>7} {:>6} {:>8}",
            "lang", "posts", "language(≥3w)", "sentiment", "act P", "act R", "spam P", "spam R", "urgent R"
        )?;
        for (name, g) in &self.languages {
            row(f, name, g)?;
        }
        row(f, "all", &self.all)?;
        row(f, "hard", &self.hard)?;
        writeln!(f)?;
        writeln!(f, "sentiment confusion (rows expected, columns predicted: neg neu pos)")?;
        for (name, g) in self
            .languages
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain([("all", &self.all)])
        {
            let cells: Vec<String> = SENTIMENTS
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let r = g.sentiment_confusion[i];
                    format!(
                        "{}: {:>3} {:>3} {:>3}",
                        &format!("{s:?}").to_lowercase()[..3],
                        r[0],
                        r[1],
                        r[2]
                    )
                })
                .collect();
            writeln!(f, "  {name:<4} {}", cells.join(" | "))?;
        }
        writeln!(f)?;
        writeln!(f, "yes/no confusion (tp fp fn tn)")?;
        for (name, g) in self
            .languages
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain([("all", &self.all)])
        {
            let b = |x: &Binary| format!("{:>3} {:>3} {:>3} {:>3}", x.tp, x.fp, x.fn_, x.tn);
            writeln!(
                f,
                "  {name:<4} actionable {} | spam {} | urgent {}",
                b(&g.actionable),
                b(&g.spam),
                b(&g.urgent)
            )?;
        }
        writeln!(f)?;
        writeln!(f, "language detected (posts of three words or more; `-` = none)")?;
        for (expected, detected) in &self.all.language_confusion {
            let cells: Vec<String> = detected.iter().map(|(d, n)| format!("{d} {n}")).collect();
            writeln!(f, "  {expected:<4} → {}", cells.join(", "))?;
        }
        Ok(())
    }
}
