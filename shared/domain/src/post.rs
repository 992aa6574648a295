//! Posts: what a customer (or our own account) wrote, on one channel, with its lifecycle.

use crate::channel::{Channel, Language, Priority};
use crate::ids::{AuthorId, PostId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who wrote a post, as the platform knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub id: AuthorId,
    pub handle: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub followers: Option<u64>,
    #[serde(default)]
    pub verified: Option<bool>,
    /// Accounts the author follows, where the channel says (X): with `followers`, a bot signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<u64>,
    /// When the author's account was created, where the channel says (X): a new account is a
    /// bot signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<Timestamp>,
}

/// Customer to brand, or brand to customer (an agent's reply, or our account's echo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Inbound,
    Outbound,
}

/// Something a post carried besides its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `image`, `video`, `audio`, `file`, `sticker`, `link`, `animated_gif`, ... as the platform names it.
    pub kind: String,
    /// Where to fetch it (None when the platform sent no URL, e.g. an X DM's media id only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the URL stops working, when the platform says (signed CDN URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// A name, title or alt text, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Attachment {
    /// Longest URL kept (a signed CDN URL is a few hundred characters; anything far longer is no URL).
    pub const MAX_URL_CHARS: usize = 2_048;

    /// An attachment of `kind` at `url` (dropped when not http(s) or absurdly long).
    pub fn new(kind: &str, url: Option<&str>) -> Self {
        let url = url
            .map(str::trim)
            .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= Self::MAX_URL_CHARS)
            .map(str::to_string);
        Self {
            kind: kind.chars().take(40).collect(),
            url,
            expires_at: None,
            title: None,
        }
    }
}

/// A previous text of an edited post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    pub text: String,
    pub replaced_at: Timestamp,
}

/// Deliveries of one reply (each with the sender's own quick retries) before it is given up as
/// failed: below the queues' `maxReceiveCount` (5), so a reply is settled, shown on its case,
/// before the queue would dead-letter its request.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 4;

/// Where an outbound post (a reply) stands with the channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    Pending,
    /// The channel could not be reached yet (connection refused, 429, 5xx): the queue
    /// redelivers the request; after [`MAX_DELIVERY_ATTEMPTS`] it fails.
    Retrying {
        attempts: u32,
        reason: String,
        at: Timestamp,
    },
    Sent {
        platform_id: Option<String>,
        at: Timestamp,
    },
    /// Parked: the channel refused it for good, or could not be reached after
    /// [`MAX_DELIVERY_ATTEMPTS`]; the reason is shown on the case, and an agent may retry it.
    Failed {
        reason: String,
        at: Timestamp,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Question,
    Problem,
    Complaint,
    Praise,
    Purchase,
    Spam,
    Other,
}

/// What classification concluded about a post, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub language: Option<Language>,
    /// 0.0..=1.0; low when the text is short or mixed.
    pub language_confidence: f32,
    pub sentiment: Sentiment,
    /// -1.0 (very negative) ..= 1.0 (very positive).
    pub sentiment_score: f32,
    pub intent: Intent,
    pub actionable: bool,
    pub spam: bool,
    pub urgent: bool,
    pub priority: Priority,
    /// Human-readable reasons, in the order the rules fired.
    pub reasons: Vec<String>,
    /// Which rules or model produced this (so a change can be traced).
    pub model_version: String,
    /// The learned model's probability that a person should answer (0.0..=1.0), where a
    /// model took part; the rules alone give `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actionable_confidence: Option<f32>,
    /// Not actionable, but close enough to the line that a person should look: the post is
    /// listed for triage (`GET /v1/triage`) instead of being dropped silently.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review: bool,
}

/// One post on one channel. Its id is stable across redeliveries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub channel: Channel,
    /// Our account that received it: a handle, a page, or a generic source name.
    pub account: String,
    /// The platform's id of the post.
    pub platform_id: String,
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// The platform id of the post this one replies to.
    #[serde(default)]
    pub parent_id: Option<String>,
    pub author: Author,
    pub text: String,
    pub created_at: Timestamp,
    pub received_at: Timestamp,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub edits: Vec<Edit>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub classification: Option<Classification>,
    /// For outbound posts: where the delivery stands.
    #[serde(default)]
    pub delivery: Option<Delivery>,
    /// Images, videos, files, links the post carried (the text keeps a `[image]` placeholder
    /// per attachment, for classification); the URL is the platform's, often signed and
    /// short-lived (`expires_at` when the platform says).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// For outbound posts: the customer they address, when the platform says (a DM's other
    /// party, the author of the post answered). Threads a brand's own message into its case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<AuthorId>,
}

/// What is known about a post's author and their case when it is classified: the classifier's
/// fallbacks and signals beyond the text. `Default` knows nothing (a stranger's first post).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PostContext {
    /// The language of the customer's case (active, else latest): the first fallback when
    /// detection abstains on a short post.
    pub previous_language: Option<Language>,
    /// The author is a known customer (someone we have helped before).
    pub existing_customer: bool,
    /// Posts the customer already wrote on their active case: 2 or more is a repeated contact.
    pub previous_contacts: u32,
    /// When the classification happens (waiting-time points); `None`: the post's `received_at`.
    pub now: Option<Timestamp>,
}

/// The text of a post that arrived as ids only (an Instagram mention) until classify fetches it
/// from the platform; never stored: a post whose fetch fails is parked instead.
pub const TEXT_TO_FETCH: &str = "[text not delivered by the platform: to be fetched]";

/// The text kept in place of a deleted post's text, everywhere it is stored.
pub const REDACTED: &str = "[deleted by the author]";

impl Post {
    /// True for a post whose text (and author) must still be fetched from its platform.
    pub fn needs_fetch(&self) -> bool {
        self.channel == Channel::Instagram && self.text == TEXT_TO_FETCH
    }

    /// The id of a platform's post: `<channel>:<account>:<platform id>`. The parsers name every
    /// post so, and a reply finds its parent's id by it.
    pub fn id_on(channel: Channel, account: &str, platform_id: &str) -> Result<PostId, crate::ids::IdError> {
        PostId::parse(format!("{channel}:{account}:{platform_id}"))
    }

    /// Applies an edit: the new text replaces the old, which is kept in `edits`.
    /// A replayed edit (same text) changes nothing.
    pub fn apply_edit(&mut self, text: &str, at: Timestamp) -> bool {
        if self.deleted || self.text == text {
            return false;
        }
        let old = std::mem::replace(&mut self.text, text.to_string());
        self.edits.push(Edit {
            text: old,
            replaced_at: at,
        });
        true
    }

    /// Redacts the post's text and its history: the author deleted it.
    pub fn redact(&mut self) -> bool {
        if self.deleted {
            return false;
        }
        self.deleted = true;
        self.text = REDACTED.to_string();
        for e in &mut self.edits {
            e.text = REDACTED.to_string();
        }
        true
    }

    pub fn language(&self) -> Option<&Language> {
        self.classification.as_ref().and_then(|c| c.language.as_ref())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn post(text: &str) -> Post {
        Post {
            id: PostId::parse("generic:forum:1").unwrap_or_else(|_| unreachable!()),
            channel: Channel::Generic,
            account: "forum".into(),
            platform_id: "1".into(),
            conversation_id: None,
            parent_id: None,
            author: Author {
                id: AuthorId::parse("generic:forum:u1").unwrap_or_else(|_| unreachable!()),
                handle: "u1".into(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            },
            text: text.into(),
            created_at: Timestamp::UNIX_EPOCH,
            received_at: Timestamp::UNIX_EPOCH,
            private: false,
            direction: Direction::Inbound,
            edits: vec![],
            deleted: false,
            classification: None,
            delivery: None,
            attachments: vec![],
            recipient: None,
        }
    }

    pub(crate) fn classification() -> Classification {
        Classification {
            language: None,
            language_confidence: 0.0,
            sentiment: Sentiment::Neutral,
            sentiment_score: 0.0,
            intent: Intent::Other,
            actionable: false,
            spam: false,
            urgent: false,
            priority: Priority::P4,
            reasons: vec![],
            model_version: "test".into(),
            actionable_confidence: None,
            review: false,
        }
    }

    #[test]
    fn edit_keeps_history_and_is_idempotent() {
        let mut p = post("helo");
        assert!(p.apply_edit("hello", Timestamp::UNIX_EPOCH));
        assert!(!p.apply_edit("hello", Timestamp::UNIX_EPOCH));
        assert_eq!(p.text, "hello");
        assert_eq!(p.edits.len(), 1);
        assert_eq!(p.edits[0].text, "helo");
    }

    #[test]
    fn redact_removes_every_copy_of_the_text() {
        let mut p = post("my card is 4111");
        p.apply_edit("my card is 4111 1111", Timestamp::UNIX_EPOCH);
        assert!(p.redact());
        assert!(!p.redact());
        assert_eq!(p.text, REDACTED);
        assert!(p.edits.iter().all(|e| e.text == REDACTED));
        assert!(
            !p.apply_edit("new", Timestamp::UNIX_EPOCH),
            "a deleted post takes no edits"
        );
    }
}
