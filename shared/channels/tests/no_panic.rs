//! No input panics a parser or a verifier: random bytes, random JSON in the platforms'
//! envelopes, truncated UTF-8, zero-width and right-to-left characters, very long texts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use proptest::prelude::*;
use serde_json::{Value, json};
use socialcare_channels::{meta, x};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("1580000000000000001"),
            Just("104000000000001"),
            Just("17841400000000777"),
            Just("comment"),
            Just("add"),
            Just("message_create"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("id"),
                        Just("id_str"),
                        Just("text"),
                        Just("message"),
                        Just("mid"),
                        Just("sender"),
                        Just("recipient"),
                        Just("user"),
                        Just("from"),
                        Just("item"),
                        Just("verb"),
                        Just("value"),
                        Just("field"),
                        Just("comment_id"),
                        Just("post_id"),
                        Just("timestamp"),
                        Just("created_time"),
                        Just("is_echo"),
                        Just("is_deleted"),
                        Just("message_create"),
                        Just("sender_id"),
                        Just("target"),
                        Just("payload"),
                        Just("event_type"),
                        Just("author_id"),
                        Just("users"),
                        Just("media"),
                        Just("attachments"),
                        Just("reply_to"),
                        Just("extended_tweet"),
                        Just("full_text"),
                        Just("postback"),
                        Just("referral"),
                        Just("account_linking"),
                        Just("status"),
                    ]
                    .prop_map(str::to_string),
                    inner,
                ),
                0..6,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let acc = common::project_accounts();
        let _ = x::parse(&bytes, &acc, common::now());
        let _ = meta::parse(&bytes, &acc, common::now());
        let _ = x::verify_signature(b"k", Some("sha256=AAAA"), &bytes);
        let _ = meta::verify_signature(b"k", Some("sha256=00"), &bytes);
        let header = String::from_utf8_lossy(&bytes).into_owned();
        let _ = x::verify_signature(b"k", Some(&header), b"{}");
        let _ = meta::verify_signature(b"k", Some(&header), b"{}");
    }

    #[test]
    fn random_json_in_platform_envelopes_never_panics(v in any_json(), w in any_json()) {
        let acc = common::project_accounts();
        let bodies = [
            json!({"for_user_id": "1580000000000000001", "tweet_create_events": [v.clone()], "direct_message_events": [w.clone()], "users": w.clone()}),
            json!({"for_user_id": "1580000000000000001", "tweet_delete_events": [v.clone()], "user_event": w.clone()}),
            json!({"data": {"event_type": "post.mention.create", "filter": {"user_id": "1580000000000000001"}, "payload": v.clone(), "includes": w.clone()}}),
            json!({"data": {"event_type": "dm.received", "filter": {"user_id": "1580000000000000001"}, "payload": {"direct_message_events": [v.clone()], "users": w.clone()}}}),
            json!({"object": "page", "entry": [{"id": "104000000000001", "time": 1, "changes": [{"field": "feed", "value": v.clone()}, {"field": "mention", "value": w.clone()}], "messaging": [v.clone(), w.clone()]}]}),
            json!({"object": "instagram", "entry": [{"id": "17841400000000777", "changes": [{"field": "comments", "value": v.clone()}, {"field": "mentions", "value": w.clone()}], "messaging": [v.clone()]}]}),
            json!({"object": "page", "entry": [v.clone(), w.clone()]}),
            v.clone(),
        ];
        for body in bodies {
            let raw = body.to_string();
            let a = x::parse(raw.as_bytes(), &acc, common::now());
            let b = meta::parse(raw.as_bytes(), &acc, common::now());
            if body.is_object() {
                prop_assert!(a.is_ok());
            }
            let _ = b;
        }
    }

    #[test]
    fn odd_texts_pass_through(text in "\\PC{0,200}", pad in 0usize..10_500) {
        let acc = common::project_accounts();
        let text = format!("{text}\u{200b}\u{202e}{}\u{200f}", "é".repeat(pad));
        let body = json!({"object": "page", "entry": [{"id": "104000000000001", "time": 1_795_431_000_000u64, "messaging": [
            {"sender": {"id": "61"}, "recipient": {"id": "104000000000001"}, "timestamp": 1_795_431_000_000u64,
             "message": {"mid": "m1", "text": text}}]}]});
        let p = meta::parse(body.to_string().as_bytes(), &acc, common::now()).unwrap();
        prop_assert_eq!(p.events.len(), 1);
    }
}

#[test]
fn truncated_utf8_is_a_clean_error() {
    let acc = common::project_accounts();
    let body = "{\"for_user_id\":\"1\",\"text\":\"caf\u{e9}\"}".as_bytes();
    let cut = &body[..body.len() - 4];
    assert!(x::parse(cut, &acc, common::now()).is_err());
    let mut bad = body.to_vec();
    bad.insert(30, 0xC3);
    assert!(meta::parse(&bad, &acc, common::now()).is_err());
}
