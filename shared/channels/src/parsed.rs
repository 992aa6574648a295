//! What a verified platform webhook (X or Meta) turns into: post changes keyed for dedupe, and
//! everything else the body said (ignored kinds with their reason, revoked accounts, handle
//! changes, referrals, account links, texts still to fetch).
//!
//! One body may carry many events (Meta batches `entry[]` × `changes[]`/`messaging[]`, X batches
//! `*_events[]`): each event is parsed on its own, and one malformed event is listed in
//! `ignored` (reason starting with `malformed:`) without taking the others down with it.
//!
//! Identifier conventions (stable across redeliveries):
//! - `Post.account` is our account's platform id: the X user id, the Facebook page id, the
//!   Instagram professional account id.
//! - `PostId` = `<channel>:<account>:<platform id>` (`x:1111:2080765813578191303`,
//!   `facebook:1234:901_903`, `messenger:1234:mid.1457...`, `instagram:1784:1789...`).
//! - `AuthorId` = `<channel family>:<user id>`: `x:<user id>`, `facebook:<user id>` (Messenger
//!   senders are page-scoped ids: `messenger:<psid>`), `instagram:<id>`. The id never holds the
//!   handle, so an author keeps its identity when the handle changes.
//! - On channels that carry public posts and private messages (X, Instagram) the `platform_id`
//!   of a private message is `dm:<message id>`: the reply sender reads it to answer by DM.

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};
use socialcare_domain::{Author, AuthorId, Channel, PostChange, PostId};

/// Longest post text kept; longer texts are cut at a character boundary.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Text of a post that arrived as ids only (Instagram mentions): classify fetches it.
pub use socialcare_domain::post::TEXT_TO_FETCH;

/// Prefix of `platform_id` for private messages on channels that also carry public posts.
pub const DM_PREFIX: &str = "dm:";

/// The body could not be read at all: answer 400. Anything finer is in [`Parsed::ignored`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("unexpected body shape: {0}")]
    Shape(String),
}

/// One post change, with the key that dedupes it and a digest of its content.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    /// Platform + account + event id (+ verb): `x:1111:tweet:2080...`, `facebook:1234:comment:901_903:add`.
    pub key: String,
    /// SHA-256 (hex) of the normalized change, without `received_at`, follower counts or other
    /// values that drift between redeliveries: the same key with another fingerprint is a conflict.
    pub fingerprint: String,
    pub change: PostChange,
}

impl ParsedEvent {
    pub(crate) fn new(key: String, change: PostChange) -> Self {
        let fingerprint = fingerprint(&change);
        Self {
            key,
            fingerprint,
            change,
        }
    }
}

/// Something in the body that is not a post change, acknowledged and counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// `tweet_create_events.retweet`, `feed.reaction`, `messaging.read`, `object:user`...
    pub kind: String,
    pub reason: String,
}

/// A profile's handle changed: the author (same id) is now known by `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct HandleChange {
    pub channel: Channel,
    pub author_id: AuthorId,
    pub before: Option<String>,
    pub after: String,
    pub at: Timestamp,
}

/// A customer arrived through a link or an ad (Messenger/Instagram `referral`): the `ref` is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub channel: Channel,
    pub account: String,
    pub author_id: AuthorId,
    pub reference: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    pub at: Timestamp,
}

/// A Messenger user linked or unlinked their account with the brand's own login.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountLink {
    pub account: String,
    pub author_id: AuthorId,
    pub linked: bool,
    /// The brand's pass-through code for the linked customer (present when linked).
    pub authorization_code: Option<String>,
    pub at: Timestamp,
}

/// A post that came as ids only: its text (and author) must be fetched from the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchText {
    pub post_id: PostId,
    pub channel: Channel,
    pub account: String,
    /// The platform object to read (a comment id, or a media id for a caption mention).
    pub platform_id: String,
}

/// Everything a verified webhook body said.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub events: Vec<ParsedEvent>,
    pub ignored: Vec<Ignored>,
    /// Our X accounts (user ids) whose authorization was revoked: their ingest must stop.
    pub revoked_accounts: Vec<String>,
    pub handle_changes: Vec<HandleChange>,
    pub referrals: Vec<Referral>,
    pub account_links: Vec<AccountLink>,
    pub fetch_text: Vec<FetchText>,
}

impl Parsed {
    /// True when the body held nothing at all (not even something ignored).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.ignored.is_empty()
            && self.revoked_accounts.is_empty()
            && self.handle_changes.is_empty()
            && self.referrals.is_empty()
            && self.account_links.is_empty()
    }

    pub(crate) fn ignore(&mut self, kind: impl Into<String>, reason: impl Into<String>) {
        self.ignored.push(Ignored {
            kind: kind.into(),
            reason: reason.into(),
        });
    }

    /// Ignored entries whose reason is a malformed event (worth a warning, not an error).
    pub fn malformed(&self) -> impl Iterator<Item = &Ignored> {
        self.ignored.iter().filter(|i| i.reason.starts_with("malformed:"))
    }
}

/// Digest of a change without the fields that legitimately differ between redeliveries.
pub fn fingerprint(change: &PostChange) -> String {
    let mut h = Sha256::new();
    let mut part = |s: &str| {
        h.update(s.as_bytes());
        h.update([0xff]);
    };
    match change {
        PostChange::Created { post } => {
            part("created");
            part(post.id.as_str());
            part(post.author.id.as_str());
            part(&post.text);
            part(post.parent_id.as_deref().unwrap_or(""));
            part(post.conversation_id.as_deref().unwrap_or(""));
            part(&post.created_at.to_string());
            part(if post.private { "private" } else { "public" });
            part(if post.direction == socialcare_domain::Direction::Outbound {
                "out"
            } else {
                "in"
            });
        }
        // Not `at`: some payloads (X Activity API deletes) carry no time, so it is the receiving time.
        PostChange::Edited { post_id, text, .. } => {
            part("edited");
            part(post_id.as_str());
            part(text);
        }
        PostChange::Deleted { post_id, .. } => {
            part("deleted");
            part(post_id.as_str());
        }
        PostChange::Linked { id, reference, via, .. } => {
            part("linked");
            part(id.as_str());
            part(via);
            part(reference);
        }
        PostChange::AuthorGone {
            id, authors, reason, ..
        } => {
            part("author_gone");
            part(id.as_str());
            part(reason);
            for a in authors {
                part(a.as_str());
            }
        }
    }
    hex::encode(h.finalize())
}

// ---- helpers shared by the parsers (untrusted JSON: every accessor is total) ----

/// Cuts a text to [`MAX_TEXT_CHARS`] characters.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

/// An id given as a string or as an integer (Meta sends both for the same field).
pub(crate) fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => n
            .as_u64()
            .map(|u| u.to_string())
            .or_else(|| n.as_i64().map(|i| i.to_string())),
        _ => None,
    }
}

/// A string field (non-strings are absent).
pub(crate) fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

/// An integer given as a number or a numeric string (`"1516403560557"`).
pub(crate) fn int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Unix time in seconds or milliseconds (Meta uses both: feed `time` in s, messaging in ms).
pub(crate) fn unix_any(n: i64) -> Option<Timestamp> {
    if n.unsigned_abs() >= 100_000_000_000 {
        Timestamp::from_millisecond(n).ok()
    } else {
        Timestamp::from_second(n).ok()
    }
}

pub(crate) fn unix_ms(v: Option<&Value>) -> Option<Timestamp> {
    int_of(v).and_then(|n| Timestamp::from_millisecond(n).ok())
}

/// An RFC 3339 timestamp (`2026-07-24T21:23:23.000Z`).
pub(crate) fn rfc3339(v: Option<&Value>) -> Option<Timestamp> {
    str_of(v).and_then(|s| s.parse::<Timestamp>().ok())
}

pub(crate) fn post_id(channel: Channel, account: &str, platform_id: &str) -> Result<PostId, String> {
    socialcare_domain::Post::id_on(channel, account, platform_id).map_err(|e| format!("malformed: post id: {e}"))
}

pub(crate) fn author_id(family: &str, user_id: &str) -> Result<AuthorId, String> {
    AuthorId::parse(format!("{family}:{user_id}")).map_err(|e| format!("malformed: author id: {e}"))
}

/// An author the platform did not name (a Page mention, an Instagram mention): unique per post,
/// so two unknown people are never merged into one customer.
pub(crate) fn unknown_author(family: &str, platform_id: &str) -> Result<Author, String> {
    Ok(Author {
        id: author_id(family, &format!("unknown-{platform_id}"))?,
        handle: String::new(),
        name: None,
        followers: None,
        verified: None,
        following: None,
        joined_at: None,
    })
}

pub(crate) fn as_array(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// Parses the body into an object, or the error that answers 400.
pub(crate) fn object(raw: &[u8]) -> Result<serde_json::Map<String, Value>, ParseError> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ParseError::Shape(format!(
            "expected a JSON object, got {}",
            kind_of(&other)
        ))),
        Err(e) => Err(ParseError::Json(e.to_string())),
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Keeps kinds short and printable in logs whatever the body says.
pub(crate) fn label(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clip_cuts_on_char_boundaries() {
        let long = "é".repeat(MAX_TEXT_CHARS + 5);
        assert_eq!(clip(&long).chars().count(), MAX_TEXT_CHARS);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn ids_as_numbers_or_strings() {
        assert_eq!(id_of(Some(&json!(12345654332u64))), Some("12345654332".into()));
        assert_eq!(id_of(Some(&json!("12345654332"))), Some("12345654332".into()));
        assert_eq!(id_of(Some(&json!(""))), None);
        assert_eq!(id_of(Some(&json!(1.5))), None);
        assert_eq!(id_of(Some(&json!(null))), None);
        assert_eq!(id_of(None), None);
    }

    #[test]
    fn unix_seconds_or_milliseconds() {
        assert_eq!(unix_any(1_449_135_003).map(|t| t.as_second()), Some(1_449_135_003));
        assert_eq!(
            unix_any(1_457_764_198_246).map(|t| t.as_millisecond()),
            Some(1_457_764_198_246)
        );
        assert_eq!(int_of(Some(&json!("1516403560557"))), Some(1_516_403_560_557));
        assert!(unix_any(i64::MAX).is_none());
        assert!(
            unix_any(i64::MIN).is_none(),
            "found by proptest: no overflow on negation"
        );
    }

    #[test]
    fn body_must_be_an_object() {
        assert!(matches!(object(b"[1]"), Err(ParseError::Shape(_))));
        assert!(matches!(object(b"{"), Err(ParseError::Json(_))));
        assert!(matches!(object(b"\xff\xfe"), Err(ParseError::Json(_))));
        assert!(object(b"{}").is_ok());
    }
}

/// Adds `attachments` to the post the last event of `out` created (its fingerprint follows, so
/// a resend with other attachments is a conflict like one with another text).
pub(crate) fn attach(out: &mut Parsed, attachments: Vec<socialcare_domain::Attachment>) {
    if attachments.is_empty() {
        return;
    }
    if let Some(event) = out.events.last_mut()
        && let PostChange::Created { post } = &mut event.change
    {
        post.attachments = attachments;
        event.fingerprint = fingerprint(&event.change);
    }
}

/// The expiry of a Meta CDN URL: its `oe` parameter, hex unix seconds (`...&oe=6745A1B2`).
pub(crate) fn meta_cdn_expiry(url: &str) -> Option<Timestamp> {
    let query = url.split_once('?')?.1;
    let hex = query.split('&').find_map(|kv| kv.strip_prefix("oe="))?;
    let secs = i64::from_str_radix(hex, 16).ok()?;
    Timestamp::from_second(secs).ok()
}

#[cfg(test)]
mod attachment_tests {
    use super::*;

    #[test]
    fn a_meta_cdn_url_says_when_it_expires() {
        let at = meta_cdn_expiry("https://scontent.xx.fbcdn.net/v/t1.15752-9/1.jpg?_nc_cat=1&oe=6745A1B2&oh=00_x");
        assert_eq!(at.map(|t| t.as_second()), Some(0x6745_A1B2));
        assert_eq!(meta_cdn_expiry("https://scontent.example/img/1.jpg"), None);
        assert_eq!(meta_cdn_expiry("https://x.example/?oe=zz"), None);
    }
}
