//! The project's own webhook payloads (`events/x`, `events/meta`): each one is signed the way its
//! platform signs, verified, parsed, and checked against what it must produce. A fixture added
//! without an expectation here fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{events_dir, json_files, now, project_accounts};
use socialcare_channels::parsed::{DM_PREFIX, Parsed, TEXT_TO_FETCH};
use socialcare_channels::{meta, x};
use socialcare_domain::{Channel, Direction, Post, PostChange};

/// (file, events, ignored, revoked, handle changes, referrals, account links, texts to fetch)
type Expect = (&'static str, usize, usize, usize, usize, usize, usize, usize);

const X_FIXTURES: &[Expect] = &[
    ("aaa-batch.json", 2, 0, 0, 0, 0, 0, 0),
    ("aaa-dm-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-dm.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-favorite.json", 0, 2, 0, 0, 0, 0, 0),
    ("aaa-retweet.json", 0, 1, 0, 0, 0, 0, 0),
    ("aaa-revoke.json", 0, 0, 1, 0, 0, 0, 0),
    ("aaa-tweet-delete.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-tweet-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-tweet-mention.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-tweet-quote.json", 1, 0, 0, 0, 0, 0, 0),
    ("aaa-tweet-reply.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-chat-received.json", 0, 1, 0, 0, 0, 0, 0),
    ("xaa-dm-received.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-dm-sent.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-like.json", 0, 1, 0, 0, 0, 0, 0),
    ("xaa-oauth-revoke.json", 0, 0, 1, 0, 0, 0, 0),
    ("xaa-post-create-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-post-delete.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-post-mention.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-post-quote.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-post-reply.json", 1, 0, 0, 0, 0, 0, 0),
    ("xaa-post-repost.json", 0, 1, 0, 0, 0, 0, 0),
    ("xaa-profile-handle.json", 0, 0, 0, 1, 0, 0, 0),
];

const META_FIXTURES: &[Expect] = &[
    ("fb-batch.json", 2, 2, 0, 0, 0, 0, 0),
    ("fb-feed-comment-add.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-comment-edited.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-comment-hide.json", 0, 1, 0, 0, 0, 0, 0),
    ("fb-feed-comment-remove.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-comment-reply-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-like.json", 0, 1, 0, 0, 0, 0, 0),
    ("fb-feed-photo-add.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-post-add.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-post-edit.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-post-remove.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-feed-reaction.json", 0, 2, 0, 0, 0, 0, 0),
    ("fb-feed-share.json", 0, 1, 0, 0, 0, 0, 0),
    ("fb-feed-status-add.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-mention-comment.json", 1, 0, 0, 0, 0, 0, 0),
    ("fb-mention-post.json", 1, 0, 0, 0, 0, 0, 0),
    ("ig-comment-reply.json", 1, 0, 0, 0, 0, 0, 0),
    ("ig-comment.json", 1, 0, 0, 0, 0, 0, 0),
    ("ig-mention.json", 1, 0, 0, 0, 0, 0, 1),
    ("ig-message-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("ig-message.json", 1, 0, 0, 0, 0, 0, 0),
    ("ig-seen.json", 0, 1, 0, 0, 0, 0, 0),
    ("ig-story-reply.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-account-linked.json", 1, 0, 0, 0, 0, 1, 0),
    ("messenger-account-unlinked.json", 0, 0, 0, 0, 0, 1, 0),
    ("messenger-attachment.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-batch.json", 3, 0, 0, 0, 0, 0, 0),
    ("messenger-delete.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-echo.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-edit.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-message.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-postback.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-quick-reply.json", 1, 0, 0, 0, 0, 0, 0),
    ("messenger-read-delivery.json", 0, 3, 0, 0, 0, 0, 0),
    ("messenger-referral-customer.json", 1, 0, 0, 0, 1, 0, 0),
    ("messenger-referral.json", 0, 0, 0, 0, 1, 0, 0),
    ("messenger-reply-to.json", 1, 0, 0, 0, 0, 0, 0),
];

const X_SECRET: &[u8] = b"x-consumer-secret-for-tests";
const META_SECRET: &[u8] = b"meta-app-secret-for-tests";

fn load(platform: &str, name: &str) -> Parsed {
    let body = std::fs::read(events_dir(platform).join(name)).unwrap();
    match platform {
        "x" => x::parse(&body, &project_accounts(), now()).unwrap(),
        _ => meta::parse(&body, &project_accounts(), now()).unwrap(),
    }
}

fn post(p: &Parsed, i: usize) -> &Post {
    match &p.events[i].change {
        PostChange::Created { post } => post,
        other => panic!("expected a created post, got {other:?}"),
    }
}

fn check_all(platform: &str, table: &[Expect]) {
    let files = json_files(&events_dir(platform));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = table.iter().map(|e| e.0).collect();
    assert_eq!(
        names, expected,
        "every fixture under events/{platform} has one expectation"
    );
    for ((name, body), want) in files.iter().zip(table) {
        // Signed the way the platform signs, verified over the raw bytes, then parsed.
        let parsed = match platform {
            "x" => {
                let sig = x::sign(X_SECRET, body);
                assert_eq!(x::verify_signature(X_SECRET, Some(&sig), body), Ok(()), "{name}");
                x::parse(body, &project_accounts(), now())
            }
            _ => {
                let sig = meta::sign(META_SECRET, body);
                assert_eq!(meta::verify_signature(META_SECRET, Some(&sig), body), Ok(()), "{name}");
                meta::parse(body, &project_accounts(), now())
            }
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = (
            name.as_str(),
            parsed.events.len(),
            parsed.ignored.len(),
            parsed.revoked_accounts.len(),
            parsed.handle_changes.len(),
            parsed.referrals.len(),
            parsed.account_links.len(),
            parsed.fetch_text.len(),
        );
        assert_eq!(&got, want, "{name}: {parsed:#?}");
        assert_eq!(parsed.malformed().count(), 0, "{name}: {:?}", parsed.ignored);
        for event in &parsed.events {
            assert!(!event.key.is_empty() && event.fingerprint.len() == 64, "{name}");
            if let PostChange::Created { post } = &event.change {
                assert_eq!(post.received_at, now(), "{name}");
                assert!(post.id.as_str().starts_with(post.channel.as_str()), "{name}");
            }
        }
        // A redelivery parses to the same keys and fingerprints.
        let again = match platform {
            "x" => x::parse(body, &project_accounts(), jiff::Timestamp::UNIX_EPOCH),
            _ => meta::parse(body, &project_accounts(), jiff::Timestamp::UNIX_EPOCH),
        }
        .unwrap();
        let keys = |p: &Parsed| {
            p.events
                .iter()
                .map(|e| (e.key.clone(), e.fingerprint.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&parsed), keys(&again), "{name}: stable keys and fingerprints");
    }
}

#[test]
fn every_x_fixture_parses_as_expected() {
    check_all("x", X_FIXTURES);
}

#[test]
fn every_meta_fixture_parses_as_expected() {
    check_all("meta", META_FIXTURES);
}

#[test]
fn x_mention_long_text_and_author() {
    let p = load("x", "aaa-tweet-mention.json");
    let post = post(&p, 0);
    assert_eq!(post.id.as_str(), "x:1580000000000000001:2070000000000000101");
    assert_eq!(
        post.platform_id, "2070000000000000101",
        "from id_str, not the lossy number"
    );
    assert_eq!(post.channel, Channel::X);
    assert_eq!(post.account, "1580000000000000001");
    assert!(
        post.text.ends_with("Tried the chat twice & got disconnected 😞"),
        "{}",
        post.text
    );
    assert!(
        post.text.len() > 140,
        "extended_tweet.full_text, not the truncated text"
    );
    assert_eq!(post.author.id.as_str(), "x:2950000000000000011");
    assert_eq!(post.author.handle, "marta_ferreira");
    assert_eq!(post.author.followers, Some(312));
    assert_eq!(post.created_at.to_string(), "2026-11-23T09:58:00Z");
    assert_eq!(post.direction, Direction::Inbound);
    assert!(!post.private);
    assert_eq!(p.events[0].key, "x:1580000000000000001:tweet:2070000000000000101");
}

#[test]
fn x_replies_quotes_and_echoes() {
    let reply = load("x", "aaa-tweet-reply.json");
    assert_eq!(post(&reply, 0).parent_id.as_deref(), Some("2070000000000000120"));
    let quote = load("x", "aaa-tweet-quote.json");
    assert_eq!(post(&quote, 0).parent_id.as_deref(), Some("2070000000000000001"));
    let echo = load("x", "aaa-tweet-echo.json");
    assert_eq!(post(&echo, 0).direction, Direction::Outbound);
    assert!(
        post(&echo, 0).text.contains("order number & we'll"),
        "entities unescaped"
    );
    assert_eq!(
        post(&echo, 0).recipient.as_ref().map(|a| a.as_str()),
        Some("x:2950000000000000011"),
        "an echo names the customer it answers"
    );
    assert_eq!(post(&reply, 0).recipient, None, "a customer's post has no recipient");
    let v2_echo = load("x", "xaa-post-create-echo.json");
    assert_eq!(post(&v2_echo, 0).direction, Direction::Outbound);
    assert_eq!(
        post(&v2_echo, 0).recipient.as_ref().map(|a| a.as_str()),
        Some("x:2950000000000000011")
    );
    let v2_reply = load("x", "xaa-post-reply.json");
    let r = post(&v2_reply, 0);
    assert_eq!(r.parent_id.as_deref(), Some("2080000000000000120"));
    assert_eq!(r.conversation_id.as_deref(), Some("2080000000000000101"));
    assert_eq!(
        r.author.handle, "marta_ferreira",
        "author from includes.users, wrapped in data"
    );
    let v2_quote = load("x", "xaa-post-quote.json");
    let q = post(&v2_quote, 0);
    assert!(q.text.len() > 280, "note_tweet.text is the long text");
    assert_eq!(q.parent_id.as_deref(), Some("2080000000000000001"));
    assert_eq!(q.author.handle, "2950000000000000012", "no includes: the id stands in");
}

#[test]
fn x_direct_messages_both_ways() {
    let dm = load("x", "aaa-dm.json");
    let m = post(&dm, 0);
    assert!(m.private);
    assert_eq!(m.platform_id, format!("{DM_PREFIX}2070000000000000201"));
    assert_eq!(m.author.handle, "marta_ferreira");
    assert!(m.text.ends_with("[attachment: photo]"));
    assert_eq!(
        m.conversation_id.as_deref(),
        Some("1580000000000000001-2950000000000000011")
    );
    let echo = load("x", "aaa-dm-echo.json");
    assert_eq!(post(&echo, 0).direction, Direction::Outbound);
    assert_eq!(
        post(&echo, 0).conversation_id,
        m.conversation_id,
        "same conversation both ways"
    );
    assert_eq!(
        post(&echo, 0).recipient.as_ref().map(|a| a.as_str()),
        Some("x:2950000000000000011")
    );
    let sent = load("x", "xaa-dm-sent.json");
    assert_eq!(post(&sent, 0).direction, Direction::Outbound);
    assert_eq!(post(&sent, 0).author.id.as_str(), "x:1580000000000000001");
    let received = load("x", "xaa-dm-received.json");
    assert_eq!(post(&received, 0).direction, Direction::Inbound);
}

#[test]
fn x_deletes_revokes_and_handle_changes() {
    let del = load("x", "aaa-tweet-delete.json");
    assert!(matches!(&del.events[0].change,
        PostChange::Deleted { post_id, author_id: Some(a), at }
            if post_id.as_str() == "x:1580000000000000001:2070000000000000140"
            && a.as_str() == "x:2950000000000000011" && at.as_millisecond() == 1_795_429_000_000));
    assert_eq!(
        load("x", "aaa-revoke.json").revoked_accounts,
        vec!["1580000000000000002"]
    );
    assert_eq!(
        load("x", "xaa-oauth-revoke.json").revoked_accounts,
        vec!["1580000000000000002"]
    );
    let h = load("x", "xaa-profile-handle.json");
    assert_eq!(h.handle_changes[0].author_id.as_str(), "x:2950000000000000011");
    assert_eq!(h.handle_changes[0].after, "marta_f");
    assert_eq!(h.handle_changes[0].before.as_deref(), Some("marta_ferreira"));
    let batch = load("x", "aaa-batch.json");
    assert!(post(&batch, 0).text.contains('\u{200b}') && post(&batch, 0).text.contains('\u{200f}'));
    assert_eq!(post(&batch, 1).text, "@AcmeHelp same, error 503 <again>");
    assert_eq!(post(&batch, 0).account, "1580000000000000002");
}

#[test]
fn facebook_feed() {
    let add = load("meta", "fb-feed-comment-add.json");
    let c = post(&add, 0);
    assert_eq!(
        c.id.as_str(),
        "facebook:104000000000001:900000000000001_910000000000201"
    );
    assert_eq!(c.author.id.as_str(), "facebook:7200000000000013");
    assert_eq!(c.author.name.as_deref(), Some("Ben Carter"));
    assert_eq!(c.parent_id.as_deref(), Some("104000000000001_900000000000001"));
    assert_eq!(c.conversation_id.as_deref(), Some("104000000000001_900000000000001"));
    assert_eq!(c.created_at.as_second(), 1_795_428_300);
    let echo = load("meta", "fb-feed-comment-reply-echo.json");
    assert_eq!(post(&echo, 0).direction, Direction::Outbound);
    let edited = load("meta", "fb-feed-comment-edited.json");
    assert!(matches!(&edited.events[0].change,
        PostChange::Edited { post_id, text, .. } if post_id == &c.id && text.ends_with("Friday!!")));
    let removed = load("meta", "fb-feed-comment-remove.json");
    assert!(matches!(&removed.events[0].change, PostChange::Deleted { post_id, .. } if post_id == &c.id));
    let photo = load("meta", "fb-feed-photo-add.json");
    assert_eq!(
        post(&photo, 0).author.id.as_str(),
        "facebook:7200000000000012",
        "sender_id as a number"
    );
    assert_eq!(post(&photo, 0).text, "A tela chegou rachada 😡");
    let status = load("meta", "fb-feed-status-add.json");
    assert_eq!(post(&status, 0).direction, Direction::Outbound, "the page's own post");
    let batch = load("meta", "fb-batch.json");
    assert!(post(&batch, 1).text.ends_with("[video]"));
    assert!(post(&batch, 1).text.chars().count() > 10_000);
    let mention = load("meta", "fb-mention-comment.json");
    assert!(post(&mention, 0).author.id.as_str().starts_with("facebook:unknown-"));
}

#[test]
fn messenger_events() {
    let msg = load("meta", "messenger-message.json");
    let m = post(&msg, 0);
    assert_eq!(m.channel, Channel::Messenger);
    assert_eq!(m.id.as_str(), "messenger:104000000000001:m_AaBbCc0001");
    assert_eq!(m.author.id.as_str(), "messenger:6100000000000001");
    assert!(m.private);
    let reply = load("meta", "messenger-reply-to.json");
    assert_eq!(post(&reply, 0).parent_id.as_deref(), Some("m_AaBbCc0001"));
    let echo = load("meta", "messenger-echo.json");
    assert_eq!(post(&echo, 0).direction, Direction::Outbound);
    assert_eq!(post(&echo, 0).conversation_id.as_deref(), Some("6100000000000001"));
    assert_eq!(
        post(&echo, 0).recipient.as_ref(),
        Some(&m.author.id),
        "a Messenger echo addresses the customer of the conversation"
    );
    let edit = load("meta", "messenger-edit.json");
    assert!(matches!(&edit.events[0].change, PostChange::Edited { post_id, .. } if post_id == &m.id));
    let del = load("meta", "messenger-delete.json");
    assert!(matches!(&del.events[0].change,
        PostChange::Deleted { post_id, .. } if post_id.as_str() == "messenger:104000000000001:m_AaBbCc0003"));
    let referral = load("meta", "messenger-referral.json");
    assert_eq!(referral.referrals[0].reference.as_deref(), Some("bf2026-ad-17"));
    let linked = load("meta", "messenger-account-linked.json");
    assert!(linked.account_links[0].linked);
    assert_eq!(
        linked.account_links[0].authorization_code.as_deref(),
        Some("acme-cust-88120")
    );
    assert!(!load("meta", "messenger-account-unlinked.json").account_links[0].linked);
    // Linking, and a referral naming the brand's customer, go on to `thread` as links.
    let link = |name: &str| match &load("meta", name).events[0].change {
        PostChange::Linked {
            author_id,
            reference,
            via,
            ..
        } => (author_id.to_string(), reference.clone(), via.clone()),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        link("messenger-account-linked.json"),
        (
            "messenger:6100000000000001".into(),
            "acme-cust-88120".into(),
            "account_linking".into()
        )
    );
    assert_eq!(
        link("messenger-referral-customer.json"),
        (
            "messenger:6100000000000002".into(),
            "customer:CRM-88120".into(),
            "referral".into()
        )
    );
    assert_eq!(
        post(&load("meta", "messenger-postback.json"), 0).text,
        "Talk to an agent"
    );
    assert_eq!(
        post(&load("meta", "messenger-attachment.json"), 0).text,
        "[image]\n[file]"
    );
}

#[test]
fn instagram_events() {
    let c = load("meta", "ig-comment.json");
    let comment = post(&c, 0);
    assert_eq!(comment.id.as_str(), "instagram:17841400000000777:18000000000000001");
    assert_eq!(comment.author.handle, "carla.m");
    assert_eq!(
        comment.parent_id.as_deref(),
        Some("18100000000000001"),
        "the media it is on"
    );
    let echo = load("meta", "ig-comment-reply.json");
    assert_eq!(post(&echo, 0).direction, Direction::Outbound);
    assert_eq!(post(&echo, 0).parent_id.as_deref(), Some("18000000000000001"));
    let mention = load("meta", "ig-mention.json");
    assert_eq!(post(&mention, 0).text, TEXT_TO_FETCH);
    assert_eq!(mention.fetch_text[0].platform_id, "18000000000000009");
    let dm = load("meta", "ig-message.json");
    let d = post(&dm, 0);
    assert_eq!(d.channel, Channel::Instagram);
    assert!(d.private && d.platform_id.starts_with(DM_PREFIX));
    assert_eq!(d.author.id.as_str(), "instagram:9700000000000001");
    let story = load("meta", "ig-story-reply.json");
    assert_eq!(post(&story, 0).parent_id.as_deref(), Some("18200000000000001"));
    assert_eq!(
        post(&load("meta", "ig-message-echo.json"), 0).direction,
        Direction::Outbound
    );
}

#[test]
fn a_body_for_an_account_that_is_not_ours_changes_nothing() {
    let body = std::fs::read(events_dir("meta").join("messenger-message.json")).unwrap();
    let none = socialcare_channels::accounts::Accounts::default();
    let p = meta::parse(&body, &none, now()).unwrap();
    assert!(p.events.is_empty());
    assert_eq!(p.ignored.len(), 1);
    let body = std::fs::read(events_dir("x").join("aaa-tweet-mention.json")).unwrap();
    let p = x::parse(&body, &none, now()).unwrap();
    assert!(p.events.is_empty() && p.ignored.len() == 1);
}

#[test]
fn attachments_keep_their_kind_and_url() {
    let m = post(&load("meta", "messenger-attachment.json"), 0).clone();
    let kinds: Vec<(&str, Option<&str>)> = m
        .attachments
        .iter()
        .map(|a| (a.kind.as_str(), a.url.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("image", Some("https://scontent.example/img/1.jpg")),
            ("file", Some("https://cdn.example/receipt.pdf")),
        ]
    );
    let photo = post(&load("meta", "fb-feed-photo-add.json"), 0).clone();
    assert_eq!(photo.attachments.len(), 1);
    assert_eq!(photo.attachments[0].kind, "image");
    assert_eq!(
        photo.attachments[0].url.as_deref(),
        Some("https://scontent.example/p/1.jpg")
    );
    let dm = post(&load("x", "aaa-dm.json"), 0).clone();
    assert_eq!(dm.attachments.len(), 1);
    assert_eq!(dm.attachments[0].kind, "image");
    assert_eq!(dm.attachments[0].url.as_deref(), Some("https://ton.example/1.jpg"));
    assert!(
        post(&load("meta", "messenger-message.json"), 0).attachments.is_empty(),
        "a text message has none"
    );

    // X v2: media keys looked up in `includes.media`; Messenger's CDN expiry (`oe`, hex).
    let v2 = serde_json::json!({"data": {"event_type": "post.mention.create", "filter": {"user_id": "1580000000000000001"},
        "payload": {"id": "2080000000000009999", "text": "@AcmeCare look", "author_id": "2950000000000000011",
                    "created_at": "2026-11-23T15:10:00.000Z", "attachments": {"media_keys": ["3_1", "7_2"]}},
        "includes": {"media": [
            {"media_key": "3_1", "type": "photo", "url": "https://pbs.example/a.jpg", "alt_text": "cracked screen"},
            {"media_key": "7_2", "type": "video", "preview_image_url": "https://pbs.example/v.jpg"}]}}});
    let parsed = x::parse(v2.to_string().as_bytes(), &project_accounts(), now()).unwrap();
    let got: Vec<(String, Option<String>, Option<String>)> = post(&parsed, 0)
        .attachments
        .iter()
        .map(|a| (a.kind.clone(), a.url.clone(), a.title.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "image".into(),
                Some("https://pbs.example/a.jpg".into()),
                Some("cracked screen".into())
            ),
            ("video".into(), Some("https://pbs.example/v.jpg".into()), None),
        ]
    );
    let cdn = serde_json::json!({"object": "page", "entry": [{"id": "104000000000001", "time": 1795431000123_u64,
        "messaging": [{"sender": {"id": "6100000000000001"}, "recipient": {"id": "104000000000001"}, "timestamp": 1795431010000_u64,
            "message": {"mid": "m_cdn", "attachments": [{"type": "video",
                "payload": {"url": "https://video.xx.fbcdn.net/v/1.mp4?oh=1&oe=6745A1B2"}}]}}]}]});
    let parsed = meta::parse(cdn.to_string().as_bytes(), &project_accounts(), now()).unwrap();
    let a = &post(&parsed, 0).attachments[0];
    assert_eq!(a.kind, "video");
    assert_eq!(a.expires_at.map(|t| t.as_second()), Some(0x6745_A1B2));
}
