//! Versioned queue messages: the only shapes that cross a queue between functions.
//!
//! Every message is an [`Envelope`]: `{"id", "occurred_at", "type": "post.received.v1", "data": {...}}`.
//! The `id` is derived from the business key, so a resend carries the same id (FIFO dedupe, logs).

use crate::ids::{AgentId, AuthorId, CaseId, PostId, stable_hash};
use crate::post::Post;
use crate::sla::Alert;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What happened to a post on its platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PostChange {
    Created {
        post: Box<Post>,
    },
    Edited {
        post_id: PostId,
        author_id: Option<AuthorId>,
        text: String,
        at: Timestamp,
    },
    Deleted {
        post_id: PostId,
        author_id: Option<AuthorId>,
        at: Timestamp,
    },
    /// The author told the platform who they are to the brand: Messenger account linking (the
    /// brand's pass-through code) or a referral whose `ref` names the brand's customer. Not a
    /// post: `id` only names the fact (`<channel>:<account>:link:<hash>`).
    Linked {
        id: PostId,
        author_id: AuthorId,
        channel: crate::channel::Channel,
        account: String,
        /// The brand's own id of the customer, as the platform passed it.
        reference: String,
        /// `account_linking` or `referral`.
        via: String,
        at: Timestamp,
    },
    /// The authors' posts are withdrawn for good: a data deletion request (Meta), or the
    /// account was deleted, protected or suspended (X). Every post of theirs is redacted as a
    /// deleted post is. Not a post: `id` only names the fact (`meta:deletion:<code>`,
    /// `x:<user id>:user_protect:<time>`). The first author is the FIFO group.
    AuthorGone {
        id: PostId,
        authors: Vec<AuthorId>,
        /// See [`crate::deletion::reason`].
        reason: String,
        /// The deletion request whose status page this completes (Meta), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        at: Timestamp,
    },
}

impl PostChange {
    pub fn post_id(&self) -> &PostId {
        match self {
            PostChange::Created { post } => &post.id,
            PostChange::Edited { post_id, .. } | PostChange::Deleted { post_id, .. } => post_id,
            PostChange::Linked { id, .. } | PostChange::AuthorGone { id, .. } => id,
        }
    }
    fn author_id(&self) -> Option<&AuthorId> {
        match self {
            PostChange::Created { post } => Some(&post.author.id),
            PostChange::Edited { author_id, .. } | PostChange::Deleted { author_id, .. } => author_id.as_ref(),
            PostChange::Linked { author_id, .. } => Some(author_id),
            PostChange::AuthorGone { authors, .. } => authors.first(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            PostChange::Created { .. } => "created",
            PostChange::Edited { .. } => "edited",
            PostChange::Deleted { .. } => "deleted",
            PostChange::Linked { .. } => "linked",
            PostChange::AuthorGone { .. } => "author_gone",
        }
    }
}

/// `case.updated.v1`: routing should look at this case again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseUpdated {
    pub case_id: CaseId,
    pub version: u64,
    pub reason: String,
}

/// `reply.requested.v1`: an agent's reply, stored as an outbound post, to deliver to the channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyRequested {
    pub case_id: CaseId,
    pub post_id: PostId,
    pub agent_id: AgentId,
    /// The platform id of the customer post this answers (for threaded replies).
    pub in_reply_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    #[serde(rename = "post.received.v1")]
    PostReceived(PostChange),
    #[serde(rename = "post.classified.v1")]
    PostClassified(PostChange),
    #[serde(rename = "case.updated.v1")]
    CaseUpdated(CaseUpdated),
    #[serde(rename = "reply.requested.v1")]
    ReplyRequested(ReplyRequested),
    #[serde(rename = "sla.alert.v1")]
    SlaAlert(Box<Alert>),
}

/// Which queue (or topic) an event travels on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// post.received → classify
    Received,
    /// post.classified → thread (FIFO, grouped by author)
    Classified,
    /// case.updated → route
    Cases,
    /// reply.requested → outbound
    Replies,
    /// sla.alert → alert sinks
    Alerts,
}

impl Stream {
    pub const ALL: [Stream; 5] = [
        Stream::Received,
        Stream::Classified,
        Stream::Cases,
        Stream::Replies,
        Stream::Alerts,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Received => "received",
            Stream::Classified => "classified",
            Stream::Cases => "cases",
            Stream::Replies => "replies",
            Stream::Alerts => "alerts",
        }
    }
    /// Whether the stream keeps order per group (SQS FIFO on AWS).
    pub fn is_fifo(self) -> bool {
        matches!(self, Stream::Classified)
    }
}

impl Event {
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::PostReceived(_) => "post.received.v1",
            Event::PostClassified(_) => "post.classified.v1",
            Event::CaseUpdated(_) => "case.updated.v1",
            Event::ReplyRequested(_) => "reply.requested.v1",
            Event::SlaAlert(_) => "sla.alert.v1",
        }
    }
    pub fn stream(&self) -> Stream {
        match self {
            Event::PostReceived(_) => Stream::Received,
            Event::PostClassified(_) => Stream::Classified,
            Event::CaseUpdated(_) => Stream::Cases,
            Event::ReplyRequested(_) => Stream::Replies,
            Event::SlaAlert(_) => Stream::Alerts,
        }
    }
    /// The ordering group: one customer's (author's) posts stay in order.
    pub fn group(&self) -> String {
        match self {
            Event::PostReceived(c) | Event::PostClassified(c) => c
                .author_id()
                .map_or_else(|| c.post_id().to_string(), ToString::to_string),
            Event::CaseUpdated(c) => c.case_id.to_string(),
            Event::ReplyRequested(r) => r.case_id.to_string(),
            Event::SlaAlert(a) => a.case_id.to_string(),
        }
    }
    /// A deterministic id from the business key: the same fact always gets the same id.
    pub fn business_id(&self) -> String {
        let digest = match self {
            Event::PostReceived(c) | Event::PostClassified(c) => {
                let at = match c {
                    PostChange::Created { .. } => String::new(),
                    PostChange::Edited { at, .. }
                    | PostChange::Deleted { at, .. }
                    | PostChange::Linked { at, .. }
                    | PostChange::AuthorGone { at, .. } => at.to_string(),
                };
                stable_hash(&[self.type_name(), c.kind(), c.post_id().as_str(), &at])
            }
            Event::CaseUpdated(c) => stable_hash(&[self.type_name(), c.case_id.as_str(), &c.version.to_string()]),
            Event::ReplyRequested(r) => stable_hash(&[self.type_name(), r.post_id.as_str()]),
            Event::SlaAlert(a) => stable_hash(&[self.type_name(), &a.id]),
        };
        format!("evt-{digest}")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    pub occurred_at: Timestamp,
    #[serde(flatten)]
    pub event: Event,
}

impl Envelope {
    /// `case.updated.v1` for `case` at its version: routing should look at it again.
    pub fn case_updated(case: &crate::case::Case, reason: &str, occurred_at: Timestamp) -> Self {
        let event = Event::CaseUpdated(CaseUpdated {
            case_id: case.id.clone(),
            version: case.version,
            reason: reason.into(),
        });
        Self::new(event, occurred_at)
    }

    pub fn new(event: Event, occurred_at: Timestamp) -> Self {
        Self {
            id: event.business_id(),
            occurred_at,
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape_is_stable() {
        let e = Envelope::new(
            Event::CaseUpdated(CaseUpdated {
                case_id: CaseId::parse("case-1").unwrap_or_else(|_| unreachable!()),
                version: 3,
                reason: "opened".into(),
            }),
            Timestamp::UNIX_EPOCH,
        );
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(json["type"], "case.updated.v1");
        assert_eq!(json["data"]["case_id"], "case-1");
        assert!(json["id"].as_str().is_some_and(|s| s.starts_with("evt-")));
        let back: Envelope = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, e);
    }

    #[test]
    fn unknown_type_is_an_error() {
        let r = serde_json::from_str::<Envelope>(
            r#"{"id":"x","occurred_at":"2026-01-01T00:00:00Z","type":"nope.v9","data":{}}"#,
        );
        assert!(r.is_err());
    }
}
