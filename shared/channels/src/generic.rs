//! The generic channel: any source that signs its webhooks per Standard Webhooks.
//!
//! Headers `webhook-id`, `webhook-timestamp` (unix seconds), `webhook-signature`
//! (space-separated `v1,<base64>` entries). The signature is HMAC-SHA256 over
//! `{id}.{timestamp}.{raw body}` with the base64 key that follows `whsec_` in the secret,
//! compared in constant time, before the body is parsed. Timestamps more than five minutes
//! away from now are refused (replay protection).
//!
//! Body contract (documented in the README):
//! `{"type":"post.created"|"post.edited"|"post.deleted","timestamp":RFC3339,
//!   "data":{"source":NAME,"id":ID,"text":TEXT,"created_at":RFC3339,"in_reply_to":ID|null,
//!   "private":bool,"author":{"id":ID,"handle":H,"name":N|null,"followers":int|null,"verified":bool|null}}}`

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use socialcare_domain::{Author, AuthorId, Channel, Direction, Post, PostChange};

type HmacSha256 = Hmac<Sha256>;

/// How far a webhook's timestamp may be from now.
pub const TOLERANCE: SignedDuration = SignedDuration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("header {0} is malformed")]
    Malformed(&'static str),
    #[error("the timestamp is outside the {}-second tolerance", TOLERANCE.as_secs())]
    Stale,
    #[error("no signature matches")]
    Mismatch,
    #[error("the signing secret is not a `whsec_<base64>` key")]
    BadSecret,
}

/// The three Standard Webhooks headers, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// The fewest key bytes a source's signing key may have (Standard Webhooks asks for 24 to 64).
pub const MIN_KEY_BYTES: usize = 16;

/// Whether `secret` is a usable signing key: `whsec_` then base64 of at least
/// [`MIN_KEY_BYTES`] bytes. The error says what is wrong, never the secret.
pub fn check_secret(secret: &str) -> Result<(), String> {
    let Some(b64) = secret.trim().strip_prefix("whsec_") else {
        return Err("it does not start with `whsec_`".into());
    };
    let key = B64
        .decode(b64)
        .map_err(|_| "the part after `whsec_` is not base64".to_string())?;
    if key.len() < MIN_KEY_BYTES {
        return Err(format!(
            "the key is {} bytes; at least {MIN_KEY_BYTES} are needed",
            key.len()
        ));
    }
    Ok(())
}

/// A fresh signing key (`whsec_` + base64 of 32 bytes) from `random` bytes.
pub fn secret_from(random: &[u8; 32]) -> String {
    format!("whsec_{}", B64.encode(random))
}

fn key_of(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    B64.decode(b64.trim()).map_err(|_| SignatureError::BadSecret)
}

fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks headers and signature over the raw body. Returns the webhook id.
pub fn verify<'a>(secret: &str, headers: Headers<'a>, body: &[u8], now: Timestamp) -> Result<&'a str, SignatureError> {
    let id = headers
        .id
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingHeader("webhook-id"))?;
    let ts = headers
        .timestamp
        .ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
    let sigs = headers
        .signature
        .ok_or(SignatureError::MissingHeader("webhook-signature"))?;
    let secs: i64 = ts
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed("webhook-timestamp"))?;
    let sent = Timestamp::from_second(secs).map_err(|_| SignatureError::Malformed("webhook-timestamp"))?;
    if now.duration_since(sent).abs() > TOLERANCE {
        return Err(SignatureError::Stale);
    }
    let key = key_of(secret)?;
    let expected = mac(&key, id, ts, body);
    for entry in sigs.split_whitespace() {
        let Some(b64) = entry.strip_prefix("v1,") else { continue };
        let Ok(candidate) = B64.decode(b64) else { continue };
        // `verify_slice` compares in constant time.
        if expected.clone().verify_slice(&candidate).is_ok() {
            return Ok(id);
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs a body the way a sender must (used by `care replay`, the tests, and outbound replies).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let key = key_of(secret)?;
    let tag = mac(&key, id, &timestamp.to_string(), body).finalize().into_bytes();
    Ok(format!("v1,{}", B64.encode(tag)))
}

/// A digest of the body, for "same id, different body" detection.
pub fn fingerprint(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("unknown event type `{0}` (expected post.created, post.edited or post.deleted)")]
    UnknownType(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the body names source `{claimed}` but is signed by source `{signed}`")]
    WrongSource { claimed: String, signed: String },
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "type")]
    kind: String,
    timestamp: Timestamp,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    source: String,
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(default)]
    in_reply_to: Option<String>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    author: Option<RawAuthor>,
    /// `[{"type": "image", "url": "https://…", "name"?: "…", "expires_at"?: RFC 3339}]`.
    #[serde(default)]
    attachments: Vec<RawAttachment>,
}

#[derive(Deserialize)]
struct RawAttachment {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

/// The most attachments kept on one post.
pub const MAX_ATTACHMENTS: usize = 20;

#[derive(Deserialize)]
struct RawAuthor {
    id: String,
    handle: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    followers: Option<u64>,
    #[serde(default)]
    verified: Option<bool>,
}

/// Longest post text accepted (a longer one is refused with 400, never cut silently).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest id accepted: `data.id`, `data.author.id`, `data.in_reply_to` and the `webhook-id`
/// header (bytes). Ids become parts of store keys: bounded here, the same on every backend
/// (DynamoDB refuses keys over 2,048 bytes and items over 400 KB; memory takes anything).
pub const MAX_ID_BYTES: usize = 256;
/// Longest handle and display name accepted (characters; X allows 15 and 50).
pub const MAX_HANDLE_CHARS: usize = 128;

fn clip(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// Refuses a field over its bound, or with control characters in an id, naming the field.
fn bounded(field: &str, value: &str, max: usize, chars: bool) -> Result<(), ParseError> {
    let len = if chars { value.chars().count() } else { value.len() };
    if len > max {
        let unit = if chars { "characters" } else { "bytes" };
        return Err(invalid(format!("{field}: at most {max} {unit}")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("{field}: control characters")));
    }
    Ok(())
}

/// Every field of a body within its bound (see the constants).
fn check_bounds(data: &Data) -> Result<(), ParseError> {
    bounded("data.id", &data.id, MAX_ID_BYTES, false)?;
    if let Some(parent) = &data.in_reply_to {
        bounded("data.in_reply_to", parent, MAX_ID_BYTES, false)?;
    }
    if let Some(text) = &data.text
        && text.chars().count() > MAX_TEXT_CHARS
    {
        return Err(invalid(format!("data.text: at most {MAX_TEXT_CHARS} characters")));
    }
    if let Some(a) = &data.author {
        bounded("data.author.id", &a.id, MAX_ID_BYTES, false)?;
        bounded("data.author.handle", &a.handle, MAX_HANDLE_CHARS, true)?;
        if let Some(name) = &a.name {
            bounded("data.author.name", name, MAX_HANDLE_CHARS, true)?;
        }
    }
    Ok(())
}

/// The `webhook-id` header within [`MAX_ID_BYTES`] (it keys the dedupe record).
pub fn check_webhook_id(id: Option<&str>) -> Result<(), ParseError> {
    match id {
        Some(id) if id.len() > MAX_ID_BYTES => Err(invalid(format!("webhook-id: at most {MAX_ID_BYTES} bytes"))),
        _ => Ok(()),
    }
}

fn invalid(e: impl std::fmt::Display) -> ParseError {
    ParseError::Invalid(e.to_string())
}

/// Parses a verified body from `source` into one post change.
pub fn parse(source: &str, body: &[u8], now: Timestamp) -> Result<PostChange, ParseError> {
    let body: Body = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let data = body.data;
    if data.source != source {
        return Err(ParseError::WrongSource {
            claimed: data.source,
            signed: source.to_string(),
        });
    }
    if data.id.trim().is_empty() {
        return Err(invalid("data.id is empty"));
    }
    check_bounds(&data)?;
    if data.author.as_ref().is_some_and(|a| a.id.trim().is_empty()) {
        return Err(invalid("data.author.id is empty"));
    }
    let post_id = Post::id_on(Channel::Generic, source, &data.id).map_err(|e| invalid(format!("data.id: {e}")))?;
    let author_id = |a: &RawAuthor| {
        AuthorId::parse(format!("generic:{source}:{}", a.id)).map_err(|e| invalid(format!("data.author.id: {e}")))
    };
    match body.kind.as_str() {
        "post.created" => {
            let raw = data
                .author
                .ok_or_else(|| invalid("data.author is required for post.created"))?;
            let text = data
                .text
                .ok_or_else(|| invalid("data.text is required for post.created"))?;
            let attachments = data
                .attachments
                .into_iter()
                .take(MAX_ATTACHMENTS)
                .map(|a| {
                    let mut att =
                        socialcare_domain::Attachment::new(a.kind.as_deref().unwrap_or("file"), a.url.as_deref());
                    att.expires_at = a.expires_at;
                    att.title = a.name.map(|n| n.chars().take(200).collect());
                    att
                })
                .collect::<Vec<_>>();
            let mut text = text;
            for a in &attachments {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("[{}]", a.kind));
            }
            let author = Author {
                id: author_id(&raw)?,
                handle: raw.handle,
                name: raw.name,
                followers: raw.followers,
                verified: raw.verified,
                following: None,
                joined_at: None,
            };
            let post = Post {
                id: post_id,
                channel: Channel::Generic,
                account: source.to_string(),
                platform_id: data.id,
                conversation_id: None,
                parent_id: data.in_reply_to,
                author,
                text: clip(&text),
                created_at: data.created_at.unwrap_or(body.timestamp),
                received_at: now,
                private: data.private,
                direction: Direction::Inbound,
                edits: vec![],
                deleted: false,
                classification: None,
                delivery: None,
                attachments,
                recipient: None,
            };
            Ok(PostChange::Created { post: Box::new(post) })
        }
        "post.edited" => {
            let text = data
                .text
                .ok_or_else(|| invalid("data.text is required for post.edited"))?;
            let author_id = data.author.as_ref().map(author_id).transpose()?;
            Ok(PostChange::Edited {
                post_id,
                author_id,
                text: clip(&text),
                at: body.timestamp,
            })
        }
        "post.deleted" => {
            let author_id = data.author.as_ref().map(author_id).transpose()?;
            Ok(PostChange::Deleted {
                post_id,
                author_id,
                at: body.timestamp,
            })
        }
        other => Err(ParseError::UnknownType(other.chars().take(64).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_signing_key_is_checked_for_its_form() {
        assert!(check_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_secret(&secret_from(&[7; 32])).is_ok());
        assert!(check_secret("whsec_...").is_err_and(|e| e.contains("base64")));
        assert!(check_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err_and(|e| e.contains("whsec_")));
        assert!(check_secret("whsec_c2hvcnQ=").is_err_and(|e| e.contains("5 bytes")));
    }

    #[test]
    fn attachments_are_kept_with_a_placeholder_in_the_text() {
        let body = br#"{"type":"post.created","timestamp":"2026-11-23T08:00:00Z","data":{"source":"forum","id":"f-1",
            "text":"see the photo","author":{"id":"u1","handle":"tara"},
            "attachments":[{"type":"image","url":"https://forum.example/a.png","name":"screen.png","expires_at":"2026-11-30T00:00:00Z"},
                           {"type":"file","url":"javascript:alert(1)"}]}}"#;
        let Ok(PostChange::Created { post }) = parse("forum", body, Timestamp::UNIX_EPOCH) else {
            panic!("not parsed")
        };
        assert_eq!(post.text, "see the photo\n[image]\n[file]");
        assert_eq!(post.attachments.len(), 2);
        assert_eq!(post.attachments[0].url.as_deref(), Some("https://forum.example/a.png"));
        assert_eq!(post.attachments[0].title.as_deref(), Some("screen.png"));
        assert_eq!(
            post.attachments[0].expires_at.map(|t| t.to_string()),
            Some("2026-11-30T00:00:00Z".into())
        );
        assert_eq!(post.attachments[1].url, None, "only http(s) URLs are kept");
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example from the Standard Webhooks specification.
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap_or_default();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verify_table() {
        let body = b"{}";
        let ts = now().as_second().to_string();
        let good = sign(SECRET, "m1", now().as_second(), body).unwrap_or_default();
        let other = sign("whsec_b3RoZXI=", "m1", now().as_second(), body).unwrap_or_default();
        let stale_ts = (now().as_second() - 301).to_string();
        let stale = sign(SECRET, "m1", now().as_second() - 301, body).unwrap_or_default();
        let multi = format!("v1,AAAA {good}");
        let cases: Vec<(Headers<'_>, &[u8], Result<&str, SignatureError>)> = vec![
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: Some(&good),
                },
                body,
                Ok("m1"),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: Some(&multi),
                },
                body,
                Ok("m1"),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: Some(&good),
                },
                b"{ }",
                Err(SignatureError::Mismatch),
            ),
            (
                Headers {
                    id: Some("m2"),
                    timestamp: Some(&ts),
                    signature: Some(&good),
                },
                body,
                Err(SignatureError::Mismatch),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: Some(&other),
                },
                body,
                Err(SignatureError::Mismatch),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&stale_ts),
                    signature: Some(&stale),
                },
                body,
                Err(SignatureError::Stale),
            ),
            (
                Headers {
                    id: None,
                    timestamp: Some(&ts),
                    signature: Some(&good),
                },
                body,
                Err(SignatureError::MissingHeader("webhook-id")),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: None,
                    signature: Some(&good),
                },
                body,
                Err(SignatureError::MissingHeader("webhook-timestamp")),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: None,
                },
                body,
                Err(SignatureError::MissingHeader("webhook-signature")),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some("soon"),
                    signature: Some(&good),
                },
                body,
                Err(SignatureError::Malformed("webhook-timestamp")),
            ),
            (
                Headers {
                    id: Some("m1"),
                    timestamp: Some(&ts),
                    signature: Some("v2,abc"),
                },
                body,
                Err(SignatureError::Mismatch),
            ),
        ];
        for (i, (headers, body, expected)) in cases.into_iter().enumerate() {
            assert_eq!(verify(SECRET, headers, body, now()), expected, "case {i}");
        }
    }

    fn body(kind: &str, source: &str) -> String {
        format!(
            r#"{{"type":"{kind}","timestamp":"2026-11-23T10:00:00Z","data":{{"source":"{source}","id":"p1","text":"Olá, meu pedido não chegou","created_at":"2026-11-23T09:59:00Z","in_reply_to":null,"private":false,"author":{{"id":"u1","handle":"tara","name":"Tara","followers":12,"verified":false,"extra":1}}}},"unknown":true}}"#
        )
    }

    #[test]
    fn parses_the_three_kinds() {
        let created = parse("forum", body("post.created", "forum").as_bytes(), now());
        let Ok(PostChange::Created { post }) = created else {
            panic!("{created:?}")
        };
        assert_eq!(post.id.as_str(), "generic:forum:p1");
        assert_eq!(post.author.id.as_str(), "generic:forum:u1");
        assert_eq!(post.created_at.to_string(), "2026-11-23T09:59:00Z");
        assert!(matches!(
            parse("forum", body("post.edited", "forum").as_bytes(), now()),
            Ok(PostChange::Edited { .. })
        ));
        assert!(matches!(
            parse("forum", body("post.deleted", "forum").as_bytes(), now()),
            Ok(PostChange::Deleted { .. })
        ));
    }

    #[test]
    fn rejects_bad_bodies() {
        assert!(matches!(parse("forum", b"{", now()), Err(ParseError::Json(_))));
        assert!(matches!(
            parse("forum", body("post.liked", "forum").as_bytes(), now()),
            Err(ParseError::UnknownType(_))
        ));
        assert!(matches!(
            parse("forum", body("post.created", "appstore").as_bytes(), now()),
            Err(ParseError::WrongSource { .. })
        ));
        let no_author = r#"{"type":"post.created","timestamp":"2026-11-23T10:00:00Z","data":{"source":"forum","id":"p1","text":"x"}}"#;
        assert!(matches!(
            parse("forum", no_author.as_bytes(), now()),
            Err(ParseError::Invalid(_))
        ));
        let empty_id = body("post.created", "forum").replace(r#""id":"p1""#, r#""id":"""#);
        assert!(matches!(
            parse("forum", empty_id.as_bytes(), now()),
            Err(ParseError::Invalid(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse("forum", &bytes, now());
            let ts = now().as_second().to_string();
            let _ = verify(SECRET, Headers { id: Some("x"), timestamp: Some(&ts), signature: Some("v1,AAAA") }, &bytes, now());
        }

        #[test]
        fn odd_text_passes_through(text in "\\PC{0,300}") {
            let b = serde_json::json!({"type":"post.created","timestamp":"2026-11-23T10:00:00Z","data":{"source":"forum","id":"p","text":text,"author":{"id":"u","handle":"h"}}});
            let parsed = parse("forum", b.to_string().as_bytes(), now());
            proptest::prop_assert!(parsed.is_ok());
        }
    }
}
