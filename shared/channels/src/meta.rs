//! Meta webhooks (Facebook Pages, Messenger, Instagram): the `hub.challenge` handshake, the
//! `X-Hub-Signature-256` check over the raw body, and parsing into post changes.
//!
//! - `object: page`, `changes[]` with `field: feed`: post/status/photo/video add, edit, remove;
//!   comment add, edited, remove (hide/unhide, reactions, likes and shares are counted, not posts);
//!   `field: mention`: posts and comments that mention the page (no author in the payload).
//! - `object: page`, `messaging[]`/`standby[]` (Messenger): messages (text, attachments, quick
//!   replies, reply-to), echoes (our page's messages → `Outbound`), edits, deletes, postbacks,
//!   referrals (the `ref` is kept), account linking; read/delivery/reactions are not posts.
//! - `object: instagram`: comments (and live comments), mentions (ids only: the post is listed in
//!   `fetch_text`), and messaging as for Messenger.
//!
//! Batches are the rule: many `entry[]`, each with many `changes[]`/`messaging[]`; ids come as
//! numbers or strings; `time` is in seconds for changes and in milliseconds for messaging.

use crate::accounts::Accounts;
use crate::parsed::{
    AccountLink, DM_PREFIX, FetchText, ParseError, Parsed, ParsedEvent, Referral, TEXT_TO_FETCH, as_array, attach,
    author_id, clip, id_of, int_of, kind_of, label, meta_cdn_expiry, object, post_id, rfc3339, str_of, unix_any,
    unknown_author,
};
use crate::signature::{SignatureError, hmac_sha256, sha256_value, verify_with_any};
use jiff::Timestamp;
use serde_json::Value;
use socialcare_domain::ids::stable_hash;
use socialcare_domain::{Attachment, Author, Channel, Direction, Post, PostChange};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// The header that carries `sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Longest `hub.challenge` echoed back (Meta sends a number of about ten digits).
pub const MAX_CHALLENGE: usize = 128;

/// Why a `GET /webhooks/meta` handshake is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("query parameter {0} is missing")]
    Missing(&'static str),
    #[error("query parameter {0} is malformed")]
    Malformed(&'static str),
    #[error("the verify token does not match")]
    WrongToken,
}

impl ChallengeError {
    /// The HTTP status to answer: 403 for a wrong token, 400 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            ChallengeError::WrongToken => 403,
            _ => 400,
        }
    }
}

/// The subscription handshake: `hub.mode=subscribe`, `hub.verify_token` equal to one of ours
/// (compared in constant time) → the `hub.challenge` to echo back as `text/plain`.
pub fn verify_challenge<S: AsRef<str>>(
    query: &HashMap<String, String>,
    verify_tokens: &[S],
) -> Result<String, ChallengeError> {
    let mode = query.get("hub.mode").ok_or(ChallengeError::Missing("hub.mode"))?;
    let token = query
        .get("hub.verify_token")
        .ok_or(ChallengeError::Missing("hub.verify_token"))?;
    let challenge = query
        .get("hub.challenge")
        .filter(|c| !c.is_empty())
        .ok_or(ChallengeError::Missing("hub.challenge"))?;
    if mode != "subscribe" {
        return Err(ChallengeError::Malformed("hub.mode"));
    }
    // Echoed as the answer's body: only a short token of a safe alphabet, so the endpoint can
    // never be made to serve markup or script (nor a JSON body) under our origin.
    let safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if challenge.len() > MAX_CHALLENGE || !challenge.bytes().all(safe) {
        return Err(ChallengeError::Malformed("hub.challenge"));
    }
    let mut ok = false;
    for expected in verify_tokens {
        let expected = expected.as_ref().as_bytes();
        ok |= !expected.is_empty() && bool::from(expected.ct_eq(token.as_bytes()));
    }
    if ok {
        Ok(challenge.clone())
    } else {
        Err(ChallengeError::WrongToken)
    }
}

/// The signature header value Meta would send for `raw_body` (for `care replay` and tests).
pub fn sign(app_secret: &[u8], raw_body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(app_secret, raw_body)))
}

/// Checks `X-Hub-Signature-256` over the raw body, in constant time, before any parsing.
pub fn verify_signature(app_secret: &[u8], header: Option<&str>, raw_body: &[u8]) -> Result<(), SignatureError> {
    verify_any(&[app_secret], header, raw_body)
}

/// Like [`verify_signature`], accepting any of several app secrets (several Meta apps).
pub fn verify_any<S: AsRef<[u8]>>(
    app_secrets: &[S],
    header: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    let hexed = sha256_value(header, SIGNATURE_HEADER)?;
    let tag = hex::decode(hexed).map_err(|_| SignatureError::Malformed(SIGNATURE_HEADER))?;
    verify_with_any(app_secrets, raw_body, &tag)
}

/// Parses a verified body into post changes and everything else it says.
pub fn parse(raw_body: &[u8], accounts: &Accounts, now: Timestamp) -> Result<Parsed, ParseError> {
    let root = object(raw_body)?;
    let mut out = Parsed::default();
    let obj = str_of(root.get("object")).unwrap_or_default();
    let channel_of_object = match obj {
        "page" => Channel::Facebook,
        "instagram" => Channel::Instagram,
        other => {
            out.ignore(
                format!("object:{}", label(other)),
                "not a Page or Instagram webhook: acknowledged",
            );
            return Ok(out);
        }
    };
    let entries = match root.get("entry") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(ParseError::Shape(format!("entry is {}, not an array", kind_of(other)))),
        None => return Err(ParseError::Shape("no entry[] in the body".into())),
    };
    for entry in entries {
        let ctx = Entry::read(entry, channel_of_object, accounts, now);
        let changes = as_array(entry.get("changes"));
        let messages = as_array(entry.get("messaging"));
        let standby = as_array(entry.get("standby"));
        if changes.is_empty() && messages.is_empty() && standby.is_empty() {
            out.ignore(format!("{obj}.entry"), "entry without changes or messaging");
            continue;
        }
        let Some(ctx) = ctx else {
            let id = id_of(entry.get("id")).unwrap_or_default();
            for _ in changes.iter().chain(messages).chain(standby) {
                out.ignore(
                    format!("{obj}.entry"),
                    format!("{obj} {} is not a configured account", label(&id)),
                );
            }
            continue;
        };
        for change in changes {
            let field = str_of(change.get("field")).unwrap_or_default();
            let value = change.get("value").unwrap_or(&Value::Null);
            let kind = format!("{obj}.{}", label(field));
            let result = match (channel_of_object, field) {
                (Channel::Facebook, "feed") => feed(&ctx, value, &mut out),
                (Channel::Facebook, "mention") => feed(&ctx, value, &mut out),
                (Channel::Instagram, "comments" | "live_comments") => ig_comment(&ctx, value, &mut out),
                (Channel::Instagram, "mentions") => ig_mention(&ctx, value, &mut out),
                (Channel::Instagram, "messages" | "messaging") => messaging(&ctx, value, &mut out),
                _ => {
                    out.ignore(kind.clone(), "field not handled: acknowledged");
                    Ok(())
                }
            };
            if let Err(reason) = result {
                out.ignore(kind, reason);
            }
        }
        for ev in messages.iter().chain(standby) {
            if let Err(reason) = messaging(&ctx, ev, &mut out) {
                out.ignore(format!("{obj}.messaging"), reason);
            }
        }
    }
    if out.is_empty() {
        out.ignore(format!("object:{obj}"), "no entries");
    }
    Ok(out)
}

/// One `entry[]` of ours: the account it is for and its time.
struct Entry {
    /// The object's channel: Facebook for pages, Instagram.
    channel: Channel,
    account: String,
    time: Option<Timestamp>,
    now: Timestamp,
}

impl Entry {
    fn read(entry: &Value, channel: Channel, accounts: &Accounts, now: Timestamp) -> Option<Self> {
        let id = id_of(entry.get("id"))?;
        let ours = match channel {
            Channel::Instagram => accounts.instagram_account(&id).is_some(),
            _ => accounts.page(&id).is_some(),
        };
        ours.then(|| Entry {
            channel,
            account: id,
            time: int_of(entry.get("time")).and_then(unix_any),
            now,
        })
    }

    /// The time of a change (edits, deletes): from the payload, so a resend keys the same.
    fn change_time(&self, value: &Value) -> Timestamp {
        self.time.or_else(|| created_time(value)).unwrap_or(self.now)
    }
}

fn created_time(value: &Value) -> Option<Timestamp> {
    int_of(value.get("created_time"))
        .and_then(unix_any)
        .or_else(|| rfc3339(value.get("created_time")))
        .or_else(|| {
            // Graph API style `2016-07-07T11:22:33+0000`.
            str_of(value.get("created_time")).and_then(|s| {
                jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", s)
                    .and_then(|p| p.to_timestamp())
                    .ok()
            })
        })
}

/// The author of a feed change: `from{id,name}` or `sender_id`/`sender_name`.
fn feed_author(value: &Value, platform_id: &str) -> Result<Author, String> {
    let id = id_of(value.pointer("/from/id")).or_else(|| id_of(value.get("sender_id")));
    let name = str_of(value.pointer("/from/name")).or_else(|| str_of(value.get("sender_name")));
    match id {
        Some(id) => Ok(Author {
            id: author_id("facebook", &id)?,
            handle: name.map(label).unwrap_or_else(|| id.clone()),
            name: name.map(label),
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        }),
        None => unknown_author("facebook", platform_id),
    }
}

/// An attachment of a Messenger or Instagram message (`payload.url`, `payload.title`), its
/// expiry from the CDN URL when it has one.
fn meta_attachment(kind: &str, url: Option<&str>, a: &Value) -> Attachment {
    let mut att = Attachment::new(kind, url);
    att.expires_at = att.url.as_deref().and_then(meta_cdn_expiry);
    att.title = str_of(a.pointer("/payload/title"))
        .or_else(|| str_of(a.get("title")))
        .map(|t| t.chars().take(200).collect());
    att
}

/// The photo, video or link a page feed change carries (URLs in `photo`, `video`, `link`; the
/// `link` of a photo or video item is the photo or video itself).
fn feed_attachments(value: &Value) -> Vec<Attachment> {
    let item = str_of(value.get("item")).unwrap_or_default();
    ["photo", "video", "link"]
        .into_iter()
        .filter_map(|key| {
            let url = str_of(value.get(key))?;
            let kind = match (key, item) {
                ("photo", _) | ("link", "photo") => "image",
                ("link", "video") => "video",
                (k, _) => k,
            };
            Some(meta_attachment(kind, Some(url), &Value::Null))
        })
        .collect()
}

fn with_markers(text: &str, value: &Value) -> String {
    let mut t = text.to_string();
    for (key, marker) in [("photo", "[photo]"), ("video", "[video]")] {
        if value.get(key).is_some_and(|v| !v.is_null()) {
            if !t.is_empty() {
                t.push('\n');
            }
            t.push_str(marker);
        }
    }
    clip(&t)
}

/// `feed` and `mention` changes of a page.
fn feed(ctx: &Entry, value: &Value, out: &mut Parsed) -> Result<(), String> {
    let item = str_of(value.get("item")).unwrap_or_default();
    let verb = str_of(value.get("verb")).unwrap_or_default();
    let kind = format!("feed.{}.{}", label(item), label(verb));
    let (platform_id, what) = match item {
        "comment" => (id_of(value.get("comment_id")), "comment"),
        "post" | "status" | "photo" | "video" => (
            id_of(value.get("post_id"))
                .or_else(|| id_of(value.get("photo_id")))
                .or_else(|| id_of(value.get("video_id"))),
            "post",
        ),
        "reaction" | "like" | "share" => {
            out.ignore(kind, format!("a {item} is not a post: counted"));
            return Ok(());
        }
        _ => {
            out.ignore(kind, "feed item not handled: acknowledged");
            return Ok(());
        }
    };
    let platform_id = platform_id.ok_or_else(|| format!("malformed: {item} without its id"))?;
    let account = &ctx.account;
    let id = post_id(Channel::Facebook, account, &platform_id)?;
    let text = str_of(value.get("message")).unwrap_or_default();
    match verb {
        "add" => {
            let author = feed_author(value, &platform_id)?;
            let direction = if author.id.as_str() == format!("facebook:{account}") {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let parent = if what == "comment" {
                id_of(value.get("parent_id"))
            } else {
                None
            };
            let post = Post {
                id,
                channel: Channel::Facebook,
                account: account.clone(),
                conversation_id: id_of(value.get("post_id")),
                parent_id: parent,
                author,
                text: with_markers(text, value),
                created_at: created_time(value).or(ctx.time).unwrap_or(ctx.now),
                received_at: ctx.now,
                private: false,
                direction,
                edits: vec![],
                deleted: false,
                classification: None,
                delivery: None,
                attachments: vec![],
                recipient: None,
                platform_id: platform_id.clone(),
            };
            out.events.push(ParsedEvent::new(
                format!("facebook:{account}:{what}:{platform_id}:add"),
                PostChange::Created { post: Box::new(post) },
            ));
            attach(out, feed_attachments(value));
        }
        "edit" | "edited" => {
            let text = with_markers(text, value);
            let author = feed_author(value, &platform_id).ok().map(|a| a.id);
            out.events.push(ParsedEvent::new(
                format!("facebook:{account}:{what}:{platform_id}:edit:{}", stable_hash(&[&text])),
                PostChange::Edited {
                    post_id: id,
                    author_id: author,
                    text,
                    at: ctx.change_time(value),
                },
            ));
        }
        "remove" | "delete" => {
            let author = feed_author(value, &platform_id).ok().map(|a| a.id);
            out.events.push(ParsedEvent::new(
                format!("facebook:{account}:{what}:{platform_id}:remove"),
                PostChange::Deleted {
                    post_id: id,
                    author_id: author,
                    at: ctx.change_time(value),
                },
            ));
        }
        "hide" | "unhide" => out.ignore(kind, "a moderation change (hide/unhide), not a post change"),
        _ => out.ignore(kind, "verb not handled: acknowledged"),
    }
    Ok(())
}

fn ig_comment(ctx: &Entry, value: &Value, out: &mut Parsed) -> Result<(), String> {
    let platform_id = id_of(value.get("id")).ok_or("malformed: comment without id")?;
    let account = &ctx.account;
    let author = match id_of(value.pointer("/from/id")) {
        Some(uid) => Author {
            id: author_id("instagram", &uid)?,
            handle: str_of(value.pointer("/from/username"))
                .map(label)
                .unwrap_or_else(|| uid.clone()),
            name: None,
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        },
        None => unknown_author("instagram", &platform_id)?,
    };
    let direction = if author.id.as_str() == format!("instagram:{account}") {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let media = id_of(value.pointer("/media/id"));
    let post = Post {
        id: post_id(Channel::Instagram, account, &platform_id)?,
        channel: Channel::Instagram,
        account: account.clone(),
        platform_id: platform_id.clone(),
        conversation_id: media.clone(),
        parent_id: id_of(value.get("parent_id")).or(media),
        author,
        text: clip(str_of(value.get("text")).unwrap_or_default()),
        created_at: created_time(value).or(ctx.time).unwrap_or(ctx.now),
        received_at: ctx.now,
        private: false,
        direction,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: None,
        attachments: vec![],
        recipient: None,
    };
    out.events.push(ParsedEvent::new(
        format!("instagram:{account}:comment:{platform_id}:add"),
        PostChange::Created { post: Box::new(post) },
    ));
    Ok(())
}

/// A mention in a comment or a caption: ids only, the text must be fetched.
fn ig_mention(ctx: &Entry, value: &Value, out: &mut Parsed) -> Result<(), String> {
    let media = id_of(value.get("media_id"));
    let platform_id = id_of(value.get("comment_id"))
        .or_else(|| media.clone())
        .ok_or("malformed: mention without comment_id nor media_id")?;
    let account = &ctx.account;
    let id = post_id(Channel::Instagram, account, &platform_id)?;
    let post = Post {
        id: id.clone(),
        channel: Channel::Instagram,
        account: account.clone(),
        platform_id: platform_id.clone(),
        conversation_id: media.clone(),
        parent_id: media.filter(|m| *m != platform_id),
        author: unknown_author("instagram", &platform_id)?,
        text: TEXT_TO_FETCH.to_string(),
        created_at: ctx.time.unwrap_or(ctx.now),
        received_at: ctx.now,
        private: false,
        direction: Direction::Inbound,
        edits: vec![],
        deleted: false,
        classification: None,
        delivery: None,
        attachments: vec![],
        recipient: None,
    };
    out.fetch_text.push(FetchText {
        post_id: id,
        channel: Channel::Instagram,
        account: account.clone(),
        platform_id: platform_id.clone(),
    });
    out.events.push(ParsedEvent::new(
        format!("instagram:{account}:mention:{platform_id}"),
        PostChange::Created { post: Box::new(post) },
    ));
    Ok(())
}

/// One Messenger or Instagram messaging event.
fn messaging(ctx: &Entry, ev: &Value, out: &mut Parsed) -> Result<(), String> {
    let (channel, family) = match ctx.channel {
        Channel::Instagram => (Channel::Instagram, "instagram"),
        _ => (Channel::Messenger, "messenger"),
    };
    let account = &ctx.account;
    let sender = id_of(ev.pointer("/sender/id"));
    let recipient = id_of(ev.pointer("/recipient/id"));
    let at = int_of(ev.get("timestamp"))
        .and_then(unix_any)
        .or(ctx.time)
        .unwrap_or(ctx.now);
    // On Instagram, messages share the channel with public comments: their ids are marked.
    let platform = |mid: &str| match channel {
        Channel::Instagram => format!("{DM_PREFIX}{mid}"),
        _ => mid.to_string(),
    };
    let customer_of = |echo: bool| -> Result<String, String> {
        let who = if echo { recipient.clone() } else { sender.clone() };
        who.ok_or_else(|| format!("malformed: no {}.id", if echo { "recipient" } else { "sender" }))
    };
    let kind = |k: &str| format!("{family}.messaging.{k}");

    if let Some(message) = ev.get("message").filter(|m| m.is_object()) {
        let echo = message.get("is_echo").and_then(Value::as_bool).unwrap_or(false);
        let mid = id_of(message.get("mid")).ok_or("malformed: message without mid")?;
        let id = post_id(channel, account, &mid)?;
        let customer = customer_of(echo)?;
        if message.get("is_deleted").and_then(Value::as_bool).unwrap_or(false) {
            out.events.push(ParsedEvent::new(
                format!("{family}:{account}:msg:{mid}:delete"),
                PostChange::Deleted {
                    post_id: id,
                    author_id: (!echo).then(|| author_id(family, &customer)).transpose()?,
                    at,
                },
            ));
            return Ok(());
        }
        let mut text = str_of(message.get("text")).unwrap_or_default().to_string();
        let mut attachments = Vec::new();
        for a in as_array(message.get("attachments")) {
            let t = str_of(a.get("type")).unwrap_or("file");
            let t = if message.get("sticker_id").is_some() && t == "image" {
                "sticker"
            } else {
                t
            };
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("[{}]", label(t)));
            attachments.push(meta_attachment(&label(t), str_of(a.pointer("/payload/url")), a));
        }
        if message.get("is_unsupported").and_then(Value::as_bool).unwrap_or(false) && text.is_empty() {
            text.push_str("[unsupported message]");
        }
        let parent = id_of(message.pointer("/reply_to/mid"))
            .map(|m| platform(&m))
            .or_else(|| id_of(message.pointer("/reply_to/story/id")));
        let author = if echo {
            Author {
                id: author_id(family, account)?,
                handle: account.clone(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            }
        } else {
            Author {
                id: author_id(family, &customer)?,
                handle: customer.clone(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            }
        };
        let post = Post {
            id,
            channel,
            account: account.clone(),
            platform_id: platform(&mid),
            recipient: echo.then(|| author_id(family, &customer)).transpose()?,
            conversation_id: Some(customer),
            parent_id: parent,
            author,
            text: clip(&text),
            created_at: at,
            received_at: ctx.now,
            private: true,
            direction: if echo { Direction::Outbound } else { Direction::Inbound },
            edits: vec![],
            deleted: false,
            classification: None,
            delivery: None,
            attachments: vec![],
        };
        out.events.push(ParsedEvent::new(
            format!("{family}:{account}:msg:{mid}"),
            PostChange::Created { post: Box::new(post) },
        ));
        attach(out, attachments);
        return Ok(());
    }
    if let Some(edit) = ev.get("message_edit").filter(|m| m.is_object()) {
        let mid = id_of(edit.get("mid")).ok_or("malformed: message_edit without mid")?;
        let text = clip(str_of(edit.get("text")).unwrap_or_default());
        let n = id_of(edit.get("num_edit")).unwrap_or_else(|| stable_hash(&[&text]));
        out.events.push(ParsedEvent::new(
            format!("{family}:{account}:msg:{mid}:edit:{n}"),
            PostChange::Edited {
                post_id: post_id(channel, account, &mid)?,
                author_id: sender.as_deref().map(|s| author_id(family, s)).transpose()?,
                text,
                at,
            },
        ));
        return Ok(());
    }
    if let Some(postback) = ev.get("postback").filter(|m| m.is_object()) {
        let customer = customer_of(false)?;
        if let Some(referral) = postback.get("referral").filter(|r| r.is_object()) {
            push_referral(out, channel, account, family, &customer, referral, at)?;
        }
        // The button's title shows in the thread as the customer's message.
        let text = str_of(postback.get("title"))
            .or_else(|| str_of(postback.get("payload")))
            .unwrap_or_default();
        let pid = id_of(postback.get("mid")).unwrap_or_else(|| format!("postback-{customer}-{}", at.as_millisecond()));
        let post = Post {
            id: post_id(channel, account, &pid)?,
            channel,
            account: account.clone(),
            platform_id: platform(&pid),
            conversation_id: Some(customer.clone()),
            parent_id: None,
            author: Author {
                id: author_id(family, &customer)?,
                handle: customer.clone(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            },
            text: clip(text),
            created_at: at,
            received_at: ctx.now,
            private: true,
            direction: Direction::Inbound,
            edits: vec![],
            deleted: false,
            classification: None,
            delivery: None,
            attachments: vec![],
            recipient: None,
        };
        out.events.push(ParsedEvent::new(
            format!("{family}:{account}:postback:{pid}"),
            PostChange::Created { post: Box::new(post) },
        ));
        return Ok(());
    }
    if let Some(referral) = ev.get("referral").filter(|m| m.is_object()) {
        let customer = customer_of(false)?;
        return push_referral(out, channel, account, family, &customer, referral, at);
    }
    if let Some(link) = ev.get("account_linking").filter(|m| m.is_object()) {
        let customer = customer_of(false)?;
        let status = str_of(link.get("status")).unwrap_or_default();
        let linked = match status {
            "linked" => true,
            "unlinked" => false,
            other => return Err(format!("malformed: account_linking status `{}`", label(other))),
        };
        let code = str_of(link.get("authorization_code")).map(str::to_string);
        if let (true, Some(code)) = (linked, &code) {
            push_link(out, channel, account, family, &customer, code, "account_linking", at)?;
        }
        out.account_links.push(AccountLink {
            account: account.clone(),
            author_id: author_id(family, &customer)?,
            linked,
            authorization_code: code,
            at,
        });
        return Ok(());
    }
    for k in [
        "read",
        "delivery",
        "reaction",
        "optin",
        "pass_thread_control",
        "take_thread_control",
        "request_thread_control",
        "app_roles",
        "policy_enforcement",
        "message_reactions",
        "game_play",
        "checkout_update",
        "payment",
    ] {
        if ev.get(k).is_some() {
            out.ignore(kind(k), "not a post: acknowledged and counted");
            return Ok(());
        }
    }
    out.ignore(kind("unknown"), "messaging event not handled: acknowledged");
    Ok(())
}

fn push_referral(
    out: &mut Parsed,
    channel: Channel,
    account: &str,
    family: &str,
    customer: &str,
    referral: &Value,
    at: Timestamp,
) -> Result<(), String> {
    let reference = str_of(referral.get("ref")).map(str::to_string);
    // Only a ref naming the brand's customer links anyone; ads and campaigns are kept as data.
    if let Some(reference) = reference
        .as_deref()
        .filter(|r| socialcare_domain::IdentifierRules::account_in_ref(r).is_some())
    {
        push_link(out, channel, account, family, customer, reference, "referral", at)?;
    }
    out.referrals.push(Referral {
        channel,
        account: account.to_string(),
        author_id: author_id(family, customer)?,
        reference,
        source: str_of(referral.get("source")).map(label),
        kind: str_of(referral.get("type")).map(label),
        at,
    });
    Ok(())
}

/// The author named themselves to the brand (`via` account linking or a referral): a
/// [`PostChange::Linked`] for `thread`, which links only what names a customer of the brand.
#[allow(clippy::too_many_arguments)]
fn push_link(
    out: &mut Parsed,
    channel: Channel,
    account: &str,
    family: &str,
    customer: &str,
    reference: &str,
    via: &str,
    at: Timestamp,
) -> Result<(), String> {
    let fact = stable_hash(&[customer, via, reference]);
    out.events.push(ParsedEvent::new(
        format!("{family}:{account}:{via}:{customer}:{fact}"),
        PostChange::Linked {
            id: post_id(channel, account, &format!("link-{fact}"))?,
            author_id: author_id(family, customer)?,
            channel,
            account: account.to_string(),
            reference: clip(reference),
            via: via.to_string(),
            at,
        },
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn accounts() -> Accounts {
        serde_json::from_value(json!({
            "facebook": [{"name": "page", "page_id": "555", "app_secret_env": "A", "verify_token_env": "V"}],
            "instagram": [{"name": "ig", "account_id": "1784", "app_secret_env": "A", "verify_token_env": "V"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or_else(|_| unreachable!())
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn challenge_table() {
        let tokens = ["tok-1", "tok-2"];
        let good = q(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "tok-2"),
            ("hub.challenge", "1158201444"),
        ]);
        assert_eq!(verify_challenge(&good, &tokens), Ok("1158201444".into()));
        let wrong = q(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "nope"),
            ("hub.challenge", "1"),
        ]);
        assert_eq!(verify_challenge(&wrong, &tokens).map_err(|e| e.status()), Err(403));
        let missing = q(&[("hub.mode", "subscribe"), ("hub.challenge", "1")]);
        assert_eq!(verify_challenge(&missing, &tokens).map_err(|e| e.status()), Err(400));
        let mode = q(&[
            ("hub.mode", "unsubscribe"),
            ("hub.verify_token", "tok-1"),
            ("hub.challenge", "1"),
        ]);
        assert_eq!(verify_challenge(&mode, &tokens).map_err(|e| e.status()), Err(400));
        let empty: [&str; 1] = [""];
        let blank = q(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", ""),
            ("hub.challenge", "1"),
        ]);
        assert_eq!(verify_challenge(&blank, &empty), Err(ChallengeError::WrongToken));
        for echo in [
            "<script>alert(1)</script>",
            r#"{"object":"page"}"#,
            "a b",
            &"1".repeat(MAX_CHALLENGE + 1),
        ] {
            let markup = q(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "tok-1"),
                ("hub.challenge", echo),
            ]);
            assert_eq!(
                verify_challenge(&markup, &tokens),
                Err(ChallengeError::Malformed("hub.challenge")),
                "{echo}"
            );
        }
    }

    #[test]
    fn signature_vectors() {
        // Published third-party vector (whatsapp_sdk docs) and GitHub's, same scheme.
        assert_eq!(
            sign(b"secret", b"test"),
            "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
        );
        let gh = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            verify_signature(b"It's a Secret to Everybody", Some(gh), b"Hello, World!"),
            Ok(())
        );
        assert_eq!(
            verify_signature(
                b"It's a Secret to Everybody",
                Some(&gh.to_uppercase().replace("SHA256", "sha256")),
                b"Hello, World!"
            ),
            Ok(()),
            "hex is case-insensitive"
        );
        assert_eq!(
            verify_signature(b"x", Some(gh), b"Hello, World!"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"x", None, b""),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify_signature(b"x", Some("sha1=abcd"), b""),
            Err(SignatureError::Malformed(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify_signature(b"x", Some("sha256=zz"), b""),
            Err(SignatureError::Malformed(SIGNATURE_HEADER))
        );
    }

    #[test]
    fn batch_of_entries_and_changes_with_numeric_ids() {
        let body = json!({"object": "page", "entry": [
            {"id": 555, "time": 1_700_000_000, "changes": [
                {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "555_1",
                  "parent_id": "555_1", "from": {"id": 42, "name": "Cus"}, "created_time": 1_700_000_001, "message": "help", "photo": "u"}},
                {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "555_1", "reaction_type": "love"}},
                {"field": "feed", "value": {"item": "comment", "verb": "edited", "comment_id": "1_2", "message": "help!"}}
            ]},
            {"id": "555", "time": 1_700_000_100_000u64, "messaging": [
                {"sender": {"id": 42}, "recipient": {"id": 555}, "timestamp": 1_700_000_100_000u64, "message": {"mid": "m1", "text": "hi", "reply_to": {"mid": "m0"}}},
                {"sender": {"id": 555}, "recipient": {"id": 42}, "timestamp": 1_700_000_101_000u64, "message": {"mid": "m2", "text": "hello", "is_echo": true}},
                {"sender": {"id": 42}, "recipient": {"id": 555}, "read": {"watermark": 1}}
            ]},
            {"id": "999", "time": 1, "changes": [{"field": "feed", "value": {}}]}
        ]});
        let p = parse(body.to_string().as_bytes(), &accounts(), now()).unwrap_or_default();
        assert_eq!(p.events.len(), 4, "{p:#?}");
        let PostChange::Created { post } = &p.events[0].change else {
            panic!()
        };
        assert_eq!(post.id.as_str(), "facebook:555:1_2");
        assert_eq!(post.author.id.as_str(), "facebook:42");
        assert_eq!(post.text, "help\n[photo]");
        assert_eq!(post.conversation_id.as_deref(), Some("555_1"));
        assert!(matches!(&p.events[1].change, PostChange::Edited { text, .. } if text == "help!"));
        let PostChange::Created { post } = &p.events[2].change else {
            panic!()
        };
        assert_eq!(post.id.as_str(), "messenger:555:m1");
        assert_eq!(post.channel, Channel::Messenger);
        assert!(post.private);
        assert_eq!(post.parent_id.as_deref(), Some("m0"));
        assert_eq!(post.created_at.as_millisecond(), 1_700_000_100_000);
        let PostChange::Created { post } = &p.events[3].change else {
            panic!()
        };
        assert_eq!(post.direction, Direction::Outbound);
        assert_eq!(post.author.id.as_str(), "messenger:555");
        assert_eq!(post.conversation_id.as_deref(), Some("42"));
        assert_eq!(p.ignored.len(), 3, "reaction, read, unknown page: {:?}", p.ignored);
    }

    #[test]
    fn bad_bodies() {
        assert!(matches!(
            parse(b"{\"object\":\"page\"}", &accounts(), now()),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(
            parse(b"{\"object\":\"page\",\"entry\":{}}", &accounts(), now()),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(parse(b"nope", &accounts(), now()), Err(ParseError::Json(_))));
        let other = parse(b"{\"object\":\"user\",\"entry\":[]}", &accounts(), now()).unwrap_or_default();
        assert_eq!(other.ignored.len(), 1);
        let junk = parse(
            br#"{"object":"page","entry":[1,"x",{"id":555,"changes":[1,{"field":7}],"messaging":[null]}]}"#,
            &accounts(),
            now(),
        );
        assert!(junk.is_ok_and(|p| p.events.is_empty() && !p.ignored.is_empty()));
    }

    #[test]
    fn instagram_mentions_ask_for_the_text() {
        let body = json!({"object": "instagram", "entry": [{"id": "1784", "time": 1_700_000_000, "changes": [
            {"field": "mentions", "value": {"comment_id": "c9", "media_id": "m9"}}]}]});
        let p = parse(body.to_string().as_bytes(), &accounts(), now()).unwrap_or_default();
        assert_eq!(p.fetch_text.len(), 1);
        assert_eq!(p.fetch_text[0].platform_id, "c9");
        let PostChange::Created { post } = &p.events[0].change else {
            panic!()
        };
        assert_eq!(post.text, TEXT_TO_FETCH);
        assert_eq!(post.id.as_str(), "instagram:1784:c9");
        assert_eq!(post.author.id.as_str(), "instagram:unknown-c9");
    }
}
