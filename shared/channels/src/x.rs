//! X (Twitter) webhooks: the CRC handshake, the `x-twitter-webhooks-signature` check over the
//! raw body, and parsing of both payload families into post changes:
//! - Account Activity API (v1.1 objects): `{"for_user_id", "tweet_create_events" | "direct_message_events"
//!   | "tweet_delete_events" | "user_event" | other `*_events`, "users"}`;
//! - X Activity API (v2 envelope): `{"data": {"event_type", "filter": {"user_id"}, "payload", "includes"}}`.
//!
//! Posts and DMs written by any of our accounts (echoes of agents' replies, or posts made on X
//! directly) come out with `direction: Outbound`. Retweets/reposts, likes, follows, typing and
//! read receipts are acknowledged and listed in `ignored`. A revoke lists the account in
//! `revoked_accounts`; a handle change keeps the author id (`x:<user id>`) and lists the new handle.

use crate::accounts::Accounts;
use crate::parsed::{
    DM_PREFIX, HandleChange, ParseError, Parsed, ParsedEvent, as_array, attach, author_id, clip, id_of, int_of, label,
    object, rfc3339, str_of, unix_ms,
};
use crate::signature::{SignatureError, hmac_sha256, sha256_value, verify_with_any};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use serde_json::{Map, Value};
use socialcare_domain::{Attachment, Author, AuthorId, Channel, Direction, Post, PostChange, PostId};

/// The header that carries `sha256=<base64 HMAC-SHA256(consumer secret, raw body)>`.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// The longest `crc_token` answered. X's tokens are short random strings; a longer one is not
/// X's, and signing it would hand out signatures for bodies of the caller's choosing.
pub const MAX_CRC_TOKEN: usize = 128;

/// Why a `crc_token` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrcError {
    #[error("crc_token is required")]
    Missing,
    #[error("crc_token is longer than {MAX_CRC_TOKEN} characters")]
    TooLong,
    #[error("crc_token may hold only letters, digits and - _ . = + /")]
    Charset,
}

/// Checks that a `crc_token` has the shape of X's: at most [`MAX_CRC_TOKEN`] characters of
/// the base64/base64url/uuid alphabet. The CRC answer is the HMAC X puts on a webhook body,
/// with the same key: without this check `GET /webhooks/x?crc_token=<a JSON event>` would sign
/// a forged event. No JSON object, array or string can be written in this alphabet.
pub fn crc_token(raw: Option<&str>) -> Result<&str, CrcError> {
    let token = raw.filter(|t| !t.is_empty()).ok_or(CrcError::Missing)?;
    if token.len() > MAX_CRC_TOKEN {
        return Err(CrcError::TooLong);
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/'))
    {
        return Err(CrcError::Charset);
    }
    Ok(token)
}

/// The JSON body that answers `GET /webhooks/x?crc_token=T` (T checked by [`crc_token`]).
pub fn crc_response(consumer_secret: &[u8], crc_token: &str) -> String {
    let tag = B64.encode(hmac_sha256(consumer_secret, crc_token.as_bytes()));
    serde_json::json!({ "response_token": format!("sha256={tag}") }).to_string()
}

/// The signature header value X would send for `raw_body` (for `care replay` and tests).
pub fn sign(consumer_secret: &[u8], raw_body: &[u8]) -> String {
    format!("sha256={}", B64.encode(hmac_sha256(consumer_secret, raw_body)))
}

/// Checks `x-twitter-webhooks-signature` over the raw body, in constant time, before any parsing.
pub fn verify_signature(
    consumer_secret: &[u8],
    header_value: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    verify_any(&[consumer_secret], header_value, raw_body)
}

/// Like [`verify_signature`], accepting any of several consumer secrets (several X apps).
pub fn verify_any<S: AsRef<[u8]>>(
    consumer_secrets: &[S],
    header_value: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    let b64 = sha256_value(header_value, SIGNATURE_HEADER)?;
    let tag = B64
        .decode(b64)
        .map_err(|_| SignatureError::Malformed(SIGNATURE_HEADER))?;
    verify_with_any(consumer_secrets, raw_body, &tag)
}

/// Parses a verified body (either API family) into post changes and everything else it says.
pub fn parse(raw_body: &[u8], accounts: &Accounts, now: Timestamp) -> Result<Parsed, ParseError> {
    let root = object(raw_body)?;
    let mut out = Parsed::default();
    match root.get("data") {
        Some(Value::Object(data)) if data.contains_key("event_type") => activity(data, accounts, now, &mut out),
        // The v2 user compliance shape: `{"data": {"user_protect": {"user": {"id"}, "event_at"}}}`.
        Some(Value::Object(data)) if USER_GONE.iter().any(|k| data.contains_key(*k)) => {
            user_gone(data, now, &mut out);
        }
        _ => account_activity(&root, accounts, now, &mut out),
    }
    if out.is_empty() {
        out.ignore("x:unknown", "no event this parser knows in the body");
    }
    Ok(out)
}

// ---------- Account Activity API ----------

fn account_activity(root: &Map<String, Value>, accounts: &Accounts, now: Timestamp, out: &mut Parsed) {
    if let Some(event) = root.get("user_event") {
        user_event(event, accounts, now, out);
    }
    let for_user = id_of(root.get("for_user_id"));
    let account = for_user.as_deref().filter(|id| accounts.x_account(id).is_some());
    let users = root.get("users");
    for (key, value) in root {
        if matches!(
            key.as_str(),
            "for_user_id" | "users" | "apps" | "user_event" | "user_has_blocked" | "source"
        ) {
            continue;
        }
        let Value::Array(items) = value else {
            if key.ends_with("_events") {
                out.ignore(label(key), "malformed: expected an array");
            }
            continue;
        };
        let Some(account) = account else {
            for _ in items {
                out.ignore(
                    label(key),
                    match &for_user {
                        Some(id) => format!("for_user_id {} is not a configured X account", label(id)),
                        None => "no for_user_id in the body".to_string(),
                    },
                );
            }
            continue;
        };
        for item in items {
            let result = match key.as_str() {
                "tweet_create_events" => tweet_v1(item, account, accounts, now, out),
                "direct_message_events" => dm(item, users, account, accounts, now, out),
                "tweet_delete_events" => tweet_delete(item, account, out),
                other => {
                    out.ignore(label(other), "not a post: acknowledged and counted");
                    Ok(())
                }
            };
            if let Err(reason) = result {
                out.ignore(label(key), reason);
            }
        }
    }
}

/// User events after which a person's posts must not be kept readable (X's developer policy:
/// deleted, protected or suspended accounts): each becomes a [`PostChange::AuthorGone`].
/// Their reversals (`user_undelete`, `user_unprotect`, `user_unsuspend`) are acknowledged and
/// restore nothing: the redacted texts are gone.
const USER_GONE: [&str; 3] = ["user_delete", "user_protect", "user_suspend"];

fn user_event(event: &Value, accounts: &Accounts, now: Timestamp, out: &mut Parsed) {
    if let Some(map) = event.as_object()
        && USER_GONE.iter().any(|k| map.contains_key(*k))
    {
        user_gone(map, now, out);
        return;
    }
    let Some(revoke) = event.get("revoke") else {
        out.ignore(
            "user_event",
            "not a revoke or a user delete/protect/suspend: acknowledged",
        );
        return;
    };
    match id_of(revoke.pointer("/source/user_id")) {
        Some(user) if accounts.x_account(&user).is_some() => {
            if !out.revoked_accounts.contains(&user) {
                out.revoked_accounts.push(user);
            }
        }
        Some(_) => out.ignore("user_event.revoke", "revoke by a user that is not a configured account"),
        None => out.ignore("user_event.revoke", "malformed: no source.user_id"),
    }
}

/// `user_delete` / `user_protect` / `user_suspend` → the user's posts are withdrawn. The user is
/// `user.id` (v2) or `user.id_str` / `user_id` (v1.1 shapes); the time `event_at`, `date_time`
/// or `timestamp_ms`, else now.
fn user_gone(map: &Map<String, Value>, now: Timestamp, out: &mut Parsed) {
    for kind in USER_GONE {
        let Some(event) = map.get(kind) else {
            continue;
        };
        let user = id_of(event.pointer("/user/id"))
            .or_else(|| id_of(event.pointer("/user/id_str")))
            .or_else(|| id_of(event.get("user_id")));
        let Some(user) = user else {
            out.ignore(format!("user_event.{kind}"), "malformed: no user id");
            continue;
        };
        let at = rfc3339(event.get("event_at"))
            .or_else(|| rfc3339(event.get("date_time")))
            .or_else(|| unix_ms(event.get("timestamp_ms")))
            .unwrap_or(now);
        let change = (|| -> Result<PostChange, String> {
            Ok(PostChange::AuthorGone {
                id: socialcare_domain::PostId::parse(format!("x:{user}:{kind}:{}", at.as_second()))
                    .map_err(|e| format!("malformed: {e}"))?,
                authors: vec![author_id("x", &user)?],
                reason: format!("x.{kind}"),
                request: None,
                at,
            })
        })();
        match change {
            Ok(change) => out.events.push(ParsedEvent::new(
                format!("x:user:{user}:{kind}:{}", at.as_second()),
                change,
            )),
            Err(reason) => out.ignore(format!("user_event.{kind}"), reason),
        }
    }
}

/// X v1.1 escapes `<`, `>` and `&` in tweet text.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn v1_time(t: &Value) -> Option<Timestamp> {
    unix_ms(t.get("timestamp_ms")).or_else(|| x_time(t.get("created_at")))
}

/// X's `created_at`: v1.1's `Wed Oct 10 20:19:24 +0000 2018`, or v2's RFC 3339.
fn x_time(v: Option<&Value>) -> Option<Timestamp> {
    let s = str_of(v)?;
    jiff::fmt::strtime::parse("%a %b %d %H:%M:%S %z %Y", s)
        .and_then(|p| p.to_timestamp())
        .ok()
        .or_else(|| s.parse().ok())
}

/// An author from a user object: v1.1 (`screen_name`, `followers_count`, `friends_count`,
/// `created_at`) or v2 (`username`, `public_metrics.followers_count` / `following_count`,
/// `created_at`), the v2 one possibly wrapped in `{"data": ...}`. Following and account age feed
/// the classifier's bot signals.
fn author_from(user: Option<&Value>, user_id: &str) -> Result<Author, String> {
    let user = user.map(|u| u.get("data").filter(|d| d.is_object()).unwrap_or(u));
    let field = |k: &str| user.and_then(|u| u.get(k));
    let handle = str_of(field("screen_name"))
        .or_else(|| str_of(field("username")))
        .unwrap_or(user_id);
    let followers = int_of(field("followers_count"))
        .or_else(|| int_of(field("public_metrics").and_then(|m| m.get("followers_count"))))
        .and_then(|n| u64::try_from(n).ok());
    let following = int_of(field("friends_count"))
        .or_else(|| int_of(field("public_metrics").and_then(|m| m.get("following_count"))))
        .and_then(|n| u64::try_from(n).ok());
    Ok(Author {
        id: author_id("x", user_id)?,
        handle: label(handle),
        name: str_of(field("name")).map(label),
        followers,
        verified: field("verified").and_then(Value::as_bool),
        following,
        joined_at: x_time(field("created_at")),
    })
}

/// One v1.1 media object (`type`, `media_url_https`, a video's best `video_info.variants` URL).
fn x_media(m: &Value) -> Attachment {
    let kind = str_of(m.get("type")).unwrap_or("media");
    let kind = if kind == "photo" { "image" } else { kind };
    let video = as_array(m.pointer("/video_info/variants"))
        .iter()
        .filter(|v| str_of(v.get("content_type")) == Some("video/mp4"))
        .max_by_key(|v| int_of(v.get("bitrate")).unwrap_or(0))
        .and_then(|v| str_of(v.get("url")));
    let url = video
        .or_else(|| str_of(m.get("media_url_https")))
        .or_else(|| str_of(m.get("media_url")));
    let mut a = Attachment::new(&label(kind), url);
    a.title = str_of(m.get("ext_alt_text")).map(|t| t.chars().take(200).collect());
    a
}

/// A v1.1 tweet's media: `extended_entities.media` (all of them), else `entities.media`.
fn media_v1(t: &Value) -> Vec<Attachment> {
    let media = t
        .pointer("/extended_tweet/extended_entities/media")
        .or_else(|| t.pointer("/extended_entities/media"))
        .or_else(|| t.pointer("/entities/media"));
    as_array(media).iter().map(x_media).collect()
}

/// A v2 post's media: `attachments.media_keys` looked up in `includes.media` (`url` for a photo,
/// `preview_image_url` for a video or GIF).
fn media_v2(t: &Value, includes: Option<&Value>) -> Vec<Attachment> {
    let media = as_array(includes.and_then(|i| i.get("media")));
    as_array(t.pointer("/attachments/media_keys"))
        .iter()
        .filter_map(|k| {
            let key = k.as_str()?;
            let m = media.iter().find(|m| str_of(m.get("media_key")) == Some(key))?;
            let kind = str_of(m.get("type")).unwrap_or("media");
            let kind = if kind == "photo" { "image" } else { kind };
            let url = str_of(m.get("url")).or_else(|| str_of(m.get("preview_image_url")));
            let mut a = Attachment::new(&label(kind), url);
            a.title = str_of(m.get("alt_text")).map(|t| t.chars().take(200).collect());
            Some(a)
        })
        .collect()
}

fn x_post_id(account: &str, platform_id: &str) -> Result<PostId, String> {
    crate::parsed::post_id(Channel::X, account, platform_id)
}

#[allow(clippy::too_many_arguments)]
fn push_post(
    out: &mut Parsed,
    key: String,
    account: &str,
    platform_id: String,
    author: Author,
    text: String,
    parent_id: Option<String>,
    conversation_id: Option<String>,
    created_at: Timestamp,
    now: Timestamp,
    private: bool,
    direction: Direction,
) -> Result<(), String> {
    let post = Post {
        id: x_post_id(account, &platform_id)?,
        channel: Channel::X,
        account: account.to_string(),
        platform_id,
        conversation_id,
        parent_id,
        author,
        text,
        created_at,
        received_at: now,
        private,
        direction,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: None,
        attachments: vec![],
        recipient: None,
    };
    out.events
        .push(ParsedEvent::new(key, PostChange::Created { post: Box::new(post) }));
    Ok(())
}

/// For a post of ours just pushed: the customer it addresses (`x:<user id>`), unless that is
/// one of our accounts too.
fn address_last(out: &mut Parsed, accounts: &Accounts, user_id: Option<String>) -> Result<(), String> {
    let Some(user_id) = user_id.filter(|u| accounts.x_account(u).is_none()) else {
        return Ok(());
    };
    if let Some(ParsedEvent {
        change: PostChange::Created { post },
        ..
    }) = out.events.last_mut()
        && post.direction == Direction::Outbound
    {
        post.recipient = Some(author_id("x", &user_id)?);
    }
    Ok(())
}

fn tweet_v1(t: &Value, account: &str, accounts: &Accounts, now: Timestamp, out: &mut Parsed) -> Result<(), String> {
    let id = id_of(t.get("id_str"))
        .or_else(|| id_of(t.get("id")))
        .ok_or("malformed: tweet without id_str")?;
    if t.get("retweeted_status").is_some_and(Value::is_object) {
        out.ignore("tweet_create_events.retweet", "a retweet is not a post");
        return Ok(());
    }
    let user = t.get("user");
    let user_id = user
        .and_then(|u| id_of(u.get("id_str")).or_else(|| id_of(u.get("id"))))
        .ok_or("malformed: tweet without user.id_str")?;
    let text = str_of(t.pointer("/extended_tweet/full_text"))
        .or_else(|| str_of(t.get("full_text")))
        .or_else(|| str_of(t.get("text")))
        .unwrap_or_default();
    let parent = id_of(t.get("in_reply_to_status_id_str"))
        .or_else(|| id_of(t.get("in_reply_to_status_id")))
        .or_else(|| id_of(t.get("quoted_status_id_str")));
    let direction = if accounts.x_account(&user_id).is_some() {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    push_post(
        out,
        format!("x:{account}:tweet:{id}"),
        account,
        id.clone(),
        author_from(user, &user_id)?,
        clip(&unescape(text)),
        parent,
        None,
        v1_time(t).unwrap_or(now),
        now,
        false,
        direction,
    )?;
    attach(out, media_v1(t));
    let to = id_of(t.get("in_reply_to_user_id_str")).or_else(|| id_of(t.get("in_reply_to_user_id")));
    address_last(out, accounts, to)
}

fn tweet_delete(item: &Value, account: &str, out: &mut Parsed) -> Result<(), String> {
    let id = id_of(item.pointer("/status/id_str"))
        .or_else(|| id_of(item.pointer("/status/id")))
        .ok_or("malformed: delete without status.id")?;
    let author = id_of(item.pointer("/status/user_id_str"))
        .or_else(|| id_of(item.pointer("/status/user_id")))
        .map(|u| author_id("x", &u))
        .transpose()?;
    let at = unix_ms(item.get("timestamp_ms")).ok_or("malformed: delete without timestamp_ms")?;
    out.events.push(ParsedEvent::new(
        format!("x:{account}:tweet:{id}:delete"),
        PostChange::Deleted {
            post_id: x_post_id(account, &id)?,
            author_id: author,
            at,
        },
    ));
    Ok(())
}

/// Looks a user up in a `users` map keyed by id.
fn user_in<'a>(users: Option<&'a Value>, id: &str) -> Option<&'a Value> {
    users.and_then(|u| u.get(id))
}

fn dm(
    item: &Value,
    users: Option<&Value>,
    account: &str,
    accounts: &Accounts,
    now: Timestamp,
    out: &mut Parsed,
) -> Result<(), String> {
    let kind = str_of(item.get("type")).unwrap_or("message_create");
    if kind != "message_create" {
        out.ignore(
            format!("direct_message_events.{}", label(kind)),
            "not a message: acknowledged",
        );
        return Ok(());
    }
    let id = id_of(item.get("id")).ok_or("malformed: direct message without id")?;
    let mc = item.get("message_create").ok_or("malformed: no message_create")?;
    let sender = id_of(mc.get("sender_id")).ok_or("malformed: no message_create.sender_id")?;
    let recipient = id_of(mc.pointer("/target/recipient_id")).ok_or("malformed: no target.recipient_id")?;
    let mut text = str_of(mc.pointer("/message_data/text")).unwrap_or_default().to_string();
    if let Some(media) = str_of(mc.pointer("/message_data/attachment/media/type"))
        .or_else(|| str_of(mc.pointer("/message_data/attachment/type")))
    {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("[attachment: {}]", label(media)));
    }
    let direction = if accounts.x_account(&sender).is_some() {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let (lo, hi) = if sender <= recipient {
        (&sender, &recipient)
    } else {
        (&recipient, &sender)
    };
    push_post(
        out,
        format!("x:{account}:dm:{id}"),
        account,
        format!("{DM_PREFIX}{id}"),
        author_from(user_in(users, &sender), &sender)?,
        clip(&text),
        None,
        Some(format!("{lo}-{hi}")),
        unix_ms(item.get("created_timestamp")).unwrap_or(now),
        now,
        true,
        direction,
    )?;
    attach(
        out,
        mc.pointer("/message_data/attachment/media")
            .map(|m| vec![x_media(m)])
            .unwrap_or_default(),
    );
    address_last(out, accounts, Some(recipient.clone()))
}

// ---------- X Activity API (v2 envelope) ----------

fn activity(data: &Map<String, Value>, accounts: &Accounts, now: Timestamp, out: &mut Parsed) {
    let event_type = str_of(data.get("event_type")).unwrap_or_default();
    let kind = format!("x:{}", label(event_type));
    let filter_user = id_of(data.get("filter").and_then(|f| f.get("user_id")));
    let payload = data.get("payload").unwrap_or(&Value::Null);
    let includes = data.get("includes");
    let ours = filter_user.as_deref().filter(|id| accounts.x_account(id).is_some());
    let result = match event_type {
        "oauth.revoke" => {
            match id_of(payload.get("user_id")) {
                Some(user) if accounts.x_account(&user).is_some() => {
                    if !out.revoked_accounts.contains(&user) {
                        out.revoked_accounts.push(user);
                    }
                }
                Some(_) => out.ignore(kind, "revoke by a user that is not a configured account"),
                None => out.ignore(kind, "malformed: no payload.user_id"),
            }
            return;
        }
        "profile.update.screenname" | "profile.update.username" | "profile.update.handle" => {
            handle_change(payload, filter_user.as_deref(), now, out)
        }
        "post.repost.create" => {
            out.ignore(kind, "a repost is not a post");
            return;
        }
        "chat.received" | "chat.sent" => {
            out.ignore(
                kind,
                "X Chat messages are end-to-end encrypted: no readable text to ingest",
            );
            return;
        }
        t if t.starts_with("post.") && t.ends_with(".create") => {
            // The subscribed user is our account; a post.create may also be filtered on our author.
            let author = id_of(payload.get("author_id"));
            let account = ours.or_else(|| author.as_deref().filter(|a| accounts.x_account(a).is_some()));
            match account {
                Some(account) => tweet_v2(payload, includes, account, accounts, now, out),
                None => Err(not_ours(filter_user.as_deref())),
            }
        }
        "post.delete" => match ours {
            Some(account) => tweet_delete_v2(payload, account, now, out),
            None => Err(not_ours(filter_user.as_deref())),
        },
        "dm.received" | "dm.sent" => match ours {
            Some(account) => {
                let users = payload.get("users").or_else(|| includes.and_then(|i| i.get("users")));
                for item in as_array(payload.get("direct_message_events")) {
                    if let Err(reason) = dm(item, users, account, accounts, now, out) {
                        out.ignore(kind.clone(), reason);
                    }
                }
                Ok(())
            }
            None => Err(not_ours(filter_user.as_deref())),
        },
        _ => {
            out.ignore(kind, "not a post: acknowledged and counted");
            return;
        }
    };
    if let Err(reason) = result {
        out.ignore(kind, reason);
    }
}

fn not_ours(user: Option<&str>) -> String {
    match user {
        Some(id) => format!("filter.user_id {} is not a configured X account", label(id)),
        None => "no filter.user_id in the envelope".to_string(),
    }
}

fn handle_change(payload: &Value, user: Option<&str>, now: Timestamp, out: &mut Parsed) -> Result<(), String> {
    let user = user.ok_or("malformed: no filter.user_id")?;
    let after = str_of(payload.get("after"))
        .filter(|s| !s.trim().is_empty())
        .ok_or("malformed: no payload.after")?;
    out.handle_changes.push(HandleChange {
        channel: Channel::X,
        author_id: author_id("x", user)?,
        before: str_of(payload.get("before")).map(label),
        after: label(after.trim_start_matches('@')),
        at: now,
    });
    Ok(())
}

/// The user object for `id` in `includes.users` (flat, or wrapped in `{"data": ...}`).
fn included_user<'a>(includes: Option<&'a Value>, id: &str) -> Option<&'a Value> {
    as_array(includes.and_then(|i| i.get("users"))).iter().find(|u| {
        let u = u.get("data").unwrap_or(u);
        id_of(u.get("id")).as_deref() == Some(id)
    })
}

fn tweet_v2(
    t: &Value,
    includes: Option<&Value>,
    account: &str,
    accounts: &Accounts,
    now: Timestamp,
    out: &mut Parsed,
) -> Result<(), String> {
    let id = id_of(t.get("id")).ok_or("malformed: post without id")?;
    let author = id_of(t.get("author_id")).ok_or("malformed: post without author_id")?;
    // Long posts carry their full text in `note_tweet.text`.
    let text = str_of(t.pointer("/note_tweet/text"))
        .or_else(|| str_of(t.get("text")))
        .unwrap_or_default();
    let refs = as_array(t.get("referenced_tweets"));
    let referenced = |kind: &str| {
        refs.iter()
            .find(|r| str_of(r.get("type")) == Some(kind))
            .and_then(|r| id_of(r.get("id")))
    };
    if referenced("retweeted").is_some() {
        out.ignore("x:post.repost", "a repost is not a post");
        return Ok(());
    }
    let parent = id_of(t.get("in_reply_to_tweet_id"))
        .or_else(|| referenced("replied_to"))
        .or_else(|| referenced("quoted"));
    let direction = if accounts.x_account(&author).is_some() {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    push_post(
        out,
        format!("x:{account}:tweet:{id}"),
        account,
        id.clone(),
        author_from(included_user(includes, &author), &author)?,
        clip(text),
        parent,
        id_of(t.get("conversation_id")),
        rfc3339(t.get("created_at")).unwrap_or(now),
        now,
        false,
        direction,
    )?;
    attach(out, media_v2(t, includes));
    address_last(out, accounts, id_of(t.get("in_reply_to_user_id")))
}

fn tweet_delete_v2(payload: &Value, account: &str, now: Timestamp, out: &mut Parsed) -> Result<(), String> {
    let id = id_of(payload.get("id")).ok_or("malformed: post.delete without payload.id")?;
    let author: Option<AuthorId> = id_of(payload.get("author_id"))
        .map(|a| author_id("x", &a))
        .transpose()?;
    out.events.push(ParsedEvent::new(
        format!("x:{account}:tweet:{id}:delete"),
        PostChange::Deleted {
            post_id: x_post_id(account, &id)?,
            author_id: author,
            at: now,
        },
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn accounts() -> Accounts {
        serde_json::from_value(json!({"x": [
            {"name": "brand", "user_id": "1111", "handle": "ExampleBrand", "consumer_secret_env": "S"},
            {"name": "help", "user_id": "3333", "handle": "ExampleHelp", "consumer_secret_env": "S"}
        ]}))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or_else(|_| unreachable!())
    }

    fn created(p: &Parsed, i: usize) -> &Post {
        match &p.events[i].change {
            PostChange::Created { post } => post,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn published_signature_vectors() {
        // xdevplatform/autohook test/signature.js
        assert_eq!(
            sign(b"test", b"test=1&other_test=2"),
            "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
        );
        let body = br#"{"test_number":1,"test_string":"two"}"#;
        assert_eq!(
            sign(b"test", body),
            "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="
        );
        assert_eq!(
            verify_signature(
                b"test",
                Some("sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
                body
            ),
            Ok(())
        );
    }

    #[test]
    fn crc_tokens_of_any_other_shape_are_refused() {
        assert_eq!(
            crc_token(Some("9b4507b3-9040-4669-9ca3-6b94edb50553")),
            Ok("9b4507b3-9040-4669-9ca3-6b94edb50553")
        );
        assert_eq!(crc_token(Some("aGVsbG8_d29ybGQ=/+.")), Ok("aGVsbG8_d29ybGQ=/+."));
        assert_eq!(crc_token(None), Err(CrcError::Missing));
        assert_eq!(crc_token(Some("")), Err(CrcError::Missing));
        assert_eq!(
            crc_token(Some(&"a".repeat(MAX_CRC_TOKEN))).map(str::len),
            Ok(MAX_CRC_TOKEN)
        );
        assert_eq!(crc_token(Some(&"a".repeat(MAX_CRC_TOKEN + 1))), Err(CrcError::TooLong));
        for forged in [r#"{"for_user_id":"1"}"#, "[1]", "\"x\"", "a b", "a\nb", "é"] {
            assert_eq!(crc_token(Some(forged)), Err(CrcError::Charset), "{forged}");
        }
    }

    #[test]
    fn crc_vector() {
        let got = crc_response(
            b"z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
            "9b4507b3-9040-4669-9ca3-6b94edb50553",
        );
        let v: Value = serde_json::from_str(&got).unwrap_or_default();
        assert_eq!(
            v["response_token"],
            "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="
        );
    }

    #[test]
    fn wrong_or_missing_signatures() {
        let body = b"{}";
        let good = sign(b"secret", body);
        assert_eq!(
            verify_signature(b"secret", None, body),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify_signature(b"secret", Some("sha1=abc"), body),
            Err(SignatureError::Malformed(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify_signature(b"secret", Some("sha256=***"), body),
            Err(SignatureError::Malformed(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify_signature(b"other", Some(&good), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"secret", Some(&good), b"{ }"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"secret", Some("sha256="), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_any(&[b"a".as_slice(), b"secret"], Some(&good), body), Ok(()));
        assert_eq!(
            verify_any::<&[u8]>(&[], Some(&good), body),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(
            verify_signature(b"secret", Some(&good.replace("sha256", "SHA256")), body),
            Ok(())
        );
    }

    #[test]
    fn long_text_html_entities_and_echo() {
        let body = json!({
            "for_user_id": "1111",
            "tweet_create_events": [
                {"id": 1, "id_str": "10", "text": "short…", "truncated": true,
                 "extended_tweet": {"full_text": "a &amp; b &lt;3 — the whole text"},
                 "timestamp_ms": "1700000000000",
                 "user": {"id_str": "42", "screen_name": "cust", "followers_count": 7, "verified": false}},
                {"id_str": "11", "text": "@cust we are on it", "in_reply_to_status_id_str": "10",
                 "created_at": "Fri Aug 21 19:10:05 +0000 2020",
                 "user": {"id_str": "3333", "screen_name": "ExampleHelp"}},
                {"id_str": "12", "text": "RT", "retweeted_status": {"id_str": "9"}, "user": {"id_str": "42"}},
                {"text": "no id"}
            ]
        });
        let p = parse(body.to_string().as_bytes(), &accounts(), now()).unwrap_or_default();
        assert_eq!(p.events.len(), 2, "{p:?}");
        let first = created(&p, 0);
        assert_eq!(first.id.as_str(), "x:1111:10");
        assert_eq!(first.text, "a & b <3 — the whole text");
        assert_eq!(first.author.id.as_str(), "x:42");
        assert_eq!(first.author.followers, Some(7));
        assert_eq!(first.created_at.as_second(), 1_700_000_000);
        assert_eq!(first.direction, Direction::Inbound);
        assert_eq!(p.events[0].key, "x:1111:tweet:10");
        let echo = created(&p, 1);
        assert_eq!(echo.direction, Direction::Outbound);
        assert_eq!(echo.parent_id.as_deref(), Some("10"));
        assert_eq!(echo.created_at.to_string(), "2020-08-21T19:10:05Z");
        assert_eq!(p.ignored.len(), 2);
        assert_eq!(p.malformed().count(), 1);
    }

    #[test]
    fn unknown_account_is_ignored_not_an_error() {
        let body = json!({"for_user_id": "999", "tweet_create_events": [{"id_str": "1", "user": {"id_str": "2"}}]});
        let p = parse(body.to_string().as_bytes(), &accounts(), now()).unwrap_or_default();
        assert!(p.events.is_empty());
        assert_eq!(p.ignored.len(), 1);
        assert!(parse(b"{}", &accounts(), now()).is_ok_and(|p| p.ignored.len() == 1));
        assert!(matches!(parse(b"[]", &accounts(), now()), Err(ParseError::Shape(_))));
    }

    #[test]
    fn the_user_object_gives_the_bot_signals() {
        let body = json!({"for_user_id": "1111", "tweet_create_events": [
            {"id_str": "10", "text": "deals", "timestamp_ms": "1700000000000",
             "user": {"id_str": "42", "followers_count": 3, "friends_count": 4999,
                      "created_at": "Tue Nov 14 20:00:00 +0000 2023"}},
            {"id_str": "11", "text": "hi", "timestamp_ms": "1700000000000", "user": {"id_str": "43"}}]});
        let p = parse(body.to_string().as_bytes(), &accounts(), now()).unwrap_or_default();
        let author = |i: usize| match &p.events[i].change {
            socialcare_domain::PostChange::Created { post } => post.author.clone(),
            other => panic!("{other:?}"),
        };
        let bot = author(0);
        assert_eq!((bot.followers, bot.following), (Some(3), Some(4999)));
        assert_eq!(bot.joined_at.map(|t| t.as_second()), Some(1_699_992_000));
        let plain = author(1);
        assert_eq!((plain.following, plain.joined_at), (None, None), "absent, not zero");
    }

    #[test]
    fn fingerprint_ignores_received_at_and_follower_counts() {
        let body = |followers: u64| {
            json!({"for_user_id": "1111", "tweet_create_events": [
                {"id_str": "10", "text": "hi", "timestamp_ms": "1700000000000",
                 "user": {"id_str": "42", "followers_count": followers}}]})
            .to_string()
        };
        let a = parse(body(1).as_bytes(), &accounts(), now()).unwrap_or_default();
        let b = parse(body(2).as_bytes(), &accounts(), Timestamp::UNIX_EPOCH).unwrap_or_default();
        assert_eq!(a.events[0].key, b.events[0].key);
        assert_eq!(a.events[0].fingerprint, b.events[0].fingerprint);
    }

    fn gone(p: &Parsed) -> Vec<(String, Vec<String>, String)> {
        p.events
            .iter()
            .filter_map(|e| match &e.change {
                PostChange::AuthorGone {
                    authors, reason, at, ..
                } => Some((
                    reason.clone(),
                    authors.iter().map(|a| a.to_string()).collect(),
                    at.to_string(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn user_delete_protect_and_suspend_withdraw_the_users_posts() {
        // The v2 user compliance shape.
        let v2 = br#"{"data":{"user_protect":{"event_at":"2021-07-06T18:40:40.000Z","user":{"id":"2244994945"}}}}"#;
        let p = parse(v2, &accounts(), now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            gone(&p),
            vec![(
                "x.user_protect".into(),
                vec!["x:2244994945".into()],
                "2021-07-06T18:40:40Z".into()
            )]
        );
        // The Account Activity `user_event` envelope, each kind.
        for kind in ["user_delete", "user_suspend", "user_protect"] {
            let body =
                format!(r#"{{"user_event":{{"{kind}":{{"user":{{"id_str":"42"}},"timestamp_ms":"1800000000000"}}}}}}"#);
            let p = parse(body.as_bytes(), &accounts(), now()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                gone(&p),
                vec![(format!("x.{kind}"), vec!["x:42".to_string()], now().to_string())],
                "{kind}"
            );
            assert!(p.revoked_accounts.is_empty());
        }
        // Replays share a key (deduped); a reversal restores nothing and is acknowledged.
        let a = parse(v2, &accounts(), now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.events[0].key, p_key(v2));
        let undo = br#"{"user_event":{"user_unprotect":{"user":{"id":"42"}}}}"#;
        let p = parse(undo, &accounts(), now()).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.events.is_empty() && p.ignored.len() == 1);
        let malformed = br#"{"user_event":{"user_delete":{"user":{}}}}"#;
        let p = parse(malformed, &accounts(), now()).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.events.is_empty());
        assert_eq!(p.malformed().count(), 1);
    }

    fn p_key(body: &[u8]) -> String {
        parse(body, &accounts(), now() + jiff::SignedDuration::from_secs(5))
            .map(|p| p.events[0].key.clone())
            .unwrap_or_default()
    }
}
