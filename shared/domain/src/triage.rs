//! Triage and corrections: posts the classifier was unsure about (`Classification::review`)
//! that joined no active case wait on a list for a person, who turns each into a case or
//! dismisses it; and labels people give posts (actionable, spam, sentiment, language, urgent),
//! kept append-only and exported in the eval set's JSON Lines format to train the classifier.

use crate::channel::Language;
use crate::ids::{AgentId, CaseId, PostId};
use crate::post::{Post, Sentiment};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a person decided about a listed post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// It needed care: it was threaded (opened, joined or reopened) into this case.
    Case { case_id: CaseId },
    /// It needed nothing.
    Dismissed,
}

/// Who decided, when, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    #[serde(flatten)]
    pub decision: Decision,
    pub by: AgentId,
    pub at: Timestamp,
}

/// A post on the triage list: open until someone decides. Keyed by the post: a post is listed
/// at most once, ever (a replay never lists it again, nor reopens a decided entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageEntry {
    pub post_id: PostId,
    /// When we received the post: the list's order (newest first).
    pub received_at: Timestamp,
    pub listed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Decided>,
}

impl TriageEntry {
    /// The entry of a post that should be listed, or None: only an inbound post the classifier
    /// marked for review and did not call actionable.
    pub fn of(post: &Post, now: Timestamp) -> Option<Self> {
        let review = post.classification.as_ref().is_some_and(|c| c.review && !c.actionable);
        (review && post.direction == crate::post::Direction::Inbound).then(|| Self {
            post_id: post.id.clone(),
            received_at: post.received_at,
            listed_at: now,
            decided: None,
        })
    }

    pub fn is_open(&self) -> bool {
        self.decided.is_none()
    }

    /// Where the entry sits in the list.
    pub fn cursor(&self) -> TriageCursor {
        TriageCursor {
            received_at: self.received_at,
            post_id: self.post_id.clone(),
        }
    }
}

/// A position in the triage list (newest first: by received time, then post id, descending).
/// Pages continue strictly after it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TriageCursor {
    pub received_at: Timestamp,
    pub post_id: PostId,
}

impl TriageCursor {
    /// `<nanoseconds>_<post id>`: opaque to clients, stable across backends.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.received_at.as_nanosecond(), self.post_id)
    }

    pub fn decode(s: &str) -> Result<Self, String> {
        let bad = || format!("cursor `{s}` is not one this API gave");
        let (nanos, post) = s.split_once('_').ok_or_else(bad)?;
        let nanos: i128 = nanos.parse().map_err(|_| bad())?;
        Ok(Self {
            received_at: Timestamp::from_nanosecond(nanos).map_err(|_| bad())?,
            post_id: PostId::parse(post).map_err(|_| bad())?,
        })
    }
}

/// The fields a person may label. Unset fields say nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actionable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spam: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<bool>,
}

impl LabelFields {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// `later`'s set fields over these.
    fn overlay(&mut self, later: &LabelFields) {
        let LabelFields {
            actionable,
            spam,
            sentiment,
            language,
            urgent,
        } = later.clone();
        self.actionable = actionable.or(self.actionable);
        self.spam = spam.or(self.spam);
        self.sentiment = sentiment.or(self.sentiment);
        self.language = language.or(self.language.take());
        self.urgent = urgent.or(self.urgent);
    }
}

/// Where a label came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelOrigin {
    /// `POST /v1/posts/{id}/labels`.
    Api,
    /// A triage post turned into a case: actionable.
    TriageCase,
    /// A triage post dismissed: not actionable.
    TriageDismissed,
}

/// One person's labels of one post at one time. Append-only: a later label of the same field
/// wins in exports, nothing is overwritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub post_id: PostId,
    #[serde(flatten)]
    pub fields: LabelFields,
    pub by: AgentId,
    pub at: Timestamp,
    pub origin: LabelOrigin,
}

/// One line of the corrections export: the eval set's format (`id`, `text`, and the labelled
/// fields only), plus who labelled last, when, and the post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub id: String,
    pub text: String,
    #[serde(flatten)]
    pub fields: LabelFields,
    pub labelled_by: AgentId,
    pub labelled_at: Timestamp,
    pub post_id: PostId,
}

/// Folds labels (any order) into one correction per labelled post: per field the latest label
/// wins (ties: the later in the input); `labelled_by`/`labelled_at` are the latest label's.
/// Posts not in `posts`, and deleted or erased posts (their text is gone), give no line. Ordered by the
/// latest label's time, then post id.
pub fn corrections(labels: &[Label], posts: &[Post]) -> Vec<Correction> {
    let mut sorted: Vec<&Label> = labels.iter().collect();
    sorted.sort_by_key(|l| l.at);
    let mut folded: BTreeMap<&PostId, (LabelFields, &Label)> = BTreeMap::new();
    for label in sorted {
        let entry = folded
            .entry(&label.post_id)
            .or_insert_with(|| (LabelFields::default(), label));
        entry.0.overlay(&label.fields);
        entry.1 = label;
    }
    let by_id: BTreeMap<&PostId, &Post> = posts.iter().map(|p| (&p.id, p)).collect();
    let mut out: Vec<Correction> = folded
        .into_iter()
        .filter_map(|(post_id, (fields, last))| {
            let post = by_id
                .get(post_id)
                .filter(|p| !p.deleted && p.text != crate::customer::ERASED)?;
            Some(Correction {
                id: post_id.to_string(),
                text: post.text.clone(),
                fields,
                labelled_by: last.by.clone(),
                labelled_at: last.at,
                post_id: post_id.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.labelled_at
            .cmp(&b.labelled_at)
            .then_with(|| a.post_id.cmp(&b.post_id))
    });
    out
}

/// The corrections as JSON Lines (one object a line, each line ended by `\n`).
pub fn to_jsonl(corrections: &[Correction]) -> String {
    let mut out = String::new();
    for c in corrections {
        // A struct of strings, numbers and enums always serialises.
        if let Ok(line) = serde_json::to_string(c) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::tests::post;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn agent(id: &str) -> AgentId {
        AgentId::parse(id).unwrap_or_else(|_| unreachable!())
    }

    fn label(post: &Post, by: &str, t: i64, fields: LabelFields) -> Label {
        Label {
            post_id: post.id.clone(),
            fields,
            by: agent(by),
            at: at(t),
            origin: LabelOrigin::Api,
        }
    }

    #[test]
    fn the_latest_label_of_each_field_wins_and_only_labelled_fields_are_set() {
        let p = post("the battery got hot");
        let labels = vec![
            label(
                &p,
                "ben",
                20,
                LabelFields {
                    spam: Some(false),
                    ..LabelFields::default()
                },
            ),
            label(
                &p,
                "ana",
                10,
                LabelFields {
                    actionable: Some(false),
                    urgent: Some(true),
                    ..LabelFields::default()
                },
            ),
            label(
                &p,
                "sam",
                30,
                LabelFields {
                    actionable: Some(true),
                    ..LabelFields::default()
                },
            ),
        ];
        let out = corrections(&labels, std::slice::from_ref(&p));
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.fields.actionable, c.fields.spam, c.fields.urgent, c.fields.sentiment),
            (Some(true), Some(false), Some(true), None)
        );
        assert_eq!((c.labelled_by.as_str(), c.labelled_at), ("sam", at(30)));
        let line: serde_json::Value = serde_json::from_str(to_jsonl(&out).trim_end()).unwrap_or_default();
        assert_eq!(line["id"], "generic:forum:1");
        assert_eq!(line["text"], "the battery got hot");
        assert!(
            line.get("sentiment").is_none() && line.get("language").is_none(),
            "{line}"
        );
        assert_eq!(line["post_id"], "generic:forum:1");
    }

    #[test]
    fn deleted_and_unknown_posts_give_no_line() {
        let mut gone = post("my card number is ...");
        gone.redact();
        let labels = vec![label(
            &gone,
            "ana",
            1,
            LabelFields {
                spam: Some(true),
                ..LabelFields::default()
            },
        )];
        assert!(corrections(&labels, &[gone]).is_empty());
        assert!(corrections(&labels, &[]).is_empty());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = TriageCursor {
            received_at: at(5),
            post_id: PostId::parse("x:brand:1_2").unwrap_or_else(|_| unreachable!()),
        };
        assert_eq!(TriageCursor::decode(&c.encode()), Ok(c));
        for bad in ["", "abc", "12", "x_y", "1_", "99999999999999999999999999999_p"] {
            assert!(TriageCursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_unsure_non_actionable_inbound_posts_are_listed() {
        let mut p = post("meh");
        assert!(TriageEntry::of(&p, at(0)).is_none(), "unclassified");
        let mut c = crate::post::tests::classification();
        c.review = true;
        c.actionable = false;
        p.classification = Some(c.clone());
        assert!(TriageEntry::of(&p, at(0)).is_some_and(|e| e.is_open()));
        c.actionable = true;
        p.classification = Some(c);
        assert!(TriageEntry::of(&p, at(0)).is_none(), "actionable posts open cases");
    }
}
