//! Replies reach a fake X API and Graph API with the exact documented requests; 429/5xx are
//! retried honouring `Retry-After`; a permanent 4xx is parked with the platform's message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::json;
use socialcare_channels::platforms::{Endpoints, PlatformSenders};
use socialcare_channels::retry::RetryPolicy;
use socialcare_domain::ports::{OutboundReply, ReplySender, SendError};
use socialcare_domain::{Author, AuthorId, CaseId, Channel, PostId};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn senders(server: &MockServer) -> PlatformSenders {
    let endpoints = Endpoints {
        x_api: server.uri(),
        graph_api: format!("{}/v21.0", server.uri()),
    };
    PlatformSenders::new(reqwest::Client::new(), &endpoints, &common::project_accounts(), |env| {
        Some(format!("tok-{env}"))
    })
    .unwrap()
    .with_policy(RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max_inline_wait: Duration::from_secs(5),
    })
}

fn reply(channel: Channel, account: &str, in_reply_to: Option<&str>, recipient: &str) -> OutboundReply {
    OutboundReply {
        case_id: CaseId::parse("case-1").unwrap(),
        post_id: PostId::parse("reply:case-1:1").unwrap(),
        channel,
        account: account.into(),
        text: "Sorry about that — a replacement ships today.".into(),
        in_reply_to: in_reply_to.map(str::to_string),
        recipient: Author {
            id: AuthorId::parse(recipient).unwrap(),
            handle: "cust".into(),
            name: None,
            followers: None,
            verified: None,
            following: None,
            joined_at: None,
        },
    }
}

const TEXT: &str = "Sorry about that — a replacement ships today.";

#[tokio::test]
async fn x_reply_is_a_post_in_reply() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", "Bearer tok-CARE_X_BRAND_TOKEN"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"text": TEXT, "reply": {"in_reply_to_tweet_id": "2070000000000000101"}}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "2070000000000000999", "text": TEXT}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(
            Channel::X,
            "1580000000000000001",
            Some("2070000000000000101"),
            "x:2950000000000000011",
        ))
        .await;
    assert_eq!(got, Ok(Some("2070000000000000999".into())));
}

#[tokio::test]
async fn x_dm_goes_to_the_participant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/dm_conversations/with/2950000000000000011/messages"))
        .and(header("authorization", "Bearer tok-CARE_X_HELP_TOKEN"))
        .and(body_json(json!({"text": TEXT})))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"data": {"dm_conversation_id": "1580000000000000002-2950000000000000011", "dm_event_id": "2070000000000000777"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Accounts are found by id or by name.
    let got = senders(&server)
        .send(&reply(
            Channel::X,
            "help",
            Some("dm:2070000000000000201"),
            "x:2950000000000000011",
        ))
        .await;
    assert_eq!(got, Ok(Some("dm:2070000000000000777".into())));
}

#[tokio::test]
async fn facebook_reply_is_a_comment_under_the_comment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/900000000000001_910000000000201/comments"))
        .and(header("authorization", "Bearer tok-CARE_FB_PAGE_TOKEN"))
        .and(body_json(json!({"message": TEXT})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "900000000000001_910000000000250"})))
        .expect(1)
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(
            Channel::Facebook,
            "104000000000001",
            Some("900000000000001_910000000000201"),
            "facebook:7200000000000013",
        ))
        .await;
    assert_eq!(got, Ok(Some("900000000000001_910000000000250".into())));
}

#[tokio::test]
async fn messenger_reply_uses_the_send_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .and(header("authorization", "Bearer tok-CARE_FB_PAGE_TOKEN"))
        .and(body_json(
            json!({"recipient": {"id": "6100000000000001"}, "messaging_type": "RESPONSE", "message": {"text": TEXT}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"recipient_id": "6100000000000001", "message_id": "m_sent_1"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(
            Channel::Messenger,
            "104000000000001",
            Some("m_AaBbCc0001"),
            "messenger:6100000000000001",
        ))
        .await;
    assert_eq!(got, Ok(Some("m_sent_1".into())));
}

#[tokio::test]
async fn instagram_comments_get_replies_and_messages_get_messages() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/18000000000000001/replies"))
        .and(header("authorization", "Bearer tok-CARE_IG_TOKEN"))
        .and(body_json(json!({"message": TEXT})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "18000000000000003"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .and(header("authorization", "Bearer tok-CARE_IG_TOKEN"))
        .and(body_json(
            json!({"recipient": {"id": "9700000000000001"}, "messaging_type": "RESPONSE", "message": {"text": TEXT}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"recipient_id": "9700000000000001", "message_id": "aWdf_sent"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = senders(&server);
    let comment = s
        .send(&reply(
            Channel::Instagram,
            "17841400000000777",
            Some("18000000000000001"),
            "instagram:17800000000000001",
        ))
        .await;
    assert_eq!(comment, Ok(Some("18000000000000003".into())));
    let dm = s
        .send(&reply(
            Channel::Instagram,
            "17841400000000777",
            Some("dm:aWdf_in"),
            "instagram:9700000000000001",
        ))
        .await;
    assert_eq!(dm, Ok(Some("dm:aWdf_sent".into())));
}

#[tokio::test]
async fn retry_after_is_honoured_then_it_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"title": "Too Many Requests"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "55"}})))
        .mount(&server)
        .await;
    let started = Instant::now();
    let got = senders(&server)
        .send(&reply(Channel::X, "1580000000000000001", Some("1"), "x:2"))
        .await;
    assert_eq!(got, Ok(Some("55".into())));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
}

#[tokio::test]
async fn server_errors_are_retried_then_handed_back_to_the_queue() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(Channel::Messenger, "104000000000001", None, "messenger:61"))
        .await;
    assert!(
        matches!(&got, Err(SendError::Retry { reason, after: None }) if reason.contains("503")),
        "{got:?}"
    );
    assert_eq!(
        server.received_requests().await.map(|r| r.len()),
        Some(3),
        "bounded attempts"
    );
}

#[tokio::test]
async fn a_long_retry_after_goes_back_to_the_queue_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "900"))
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(Channel::X, "1580000000000000001", None, "x:2"))
        .await;
    assert!(matches!(got, Err(SendError::RateLimited { after: Some(d), .. }) if d == Duration::from_secs(900)));
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
}

#[tokio::test]
async fn graph_throttling_sent_as_400_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"message": "(#613) Calls to this api have exceeded the rate limit.", "type": "OAuthException", "code": 613}}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "c2"})))
        .mount(&server)
        .await;
    let got = senders(&server)
        .send(&reply(Channel::Facebook, "104000000000001", Some("c1"), "facebook:7"))
        .await;
    assert_eq!(got, Ok(Some("c2".into())));
}

#[tokio::test]
async fn permanent_refusals_are_parked_with_the_platform_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException", "code": 10, "error_subcode": 2018278, "fbtrace_id": "AbC"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "detail": "You are not allowed to create a Tweet with duplicate content.", "title": "Forbidden", "status": 403})))
        .expect(1)
        .mount(&server)
        .await;
    let s = senders(&server);
    let got = s
        .send(&reply(Channel::Messenger, "104000000000001", None, "messenger:61"))
        .await;
    assert_eq!(
        got,
        Err(SendError::Permanent(
            "Graph API 400: (#10) This message is sent outside of allowed window. (code 10, subcode 2018278)".into()
        ))
    );
    let got = s
        .send(&reply(Channel::X, "1580000000000000001", Some("9"), "x:2"))
        .await;
    assert_eq!(
        got,
        Err(SendError::Permanent(
            "X 403: You are not allowed to create a Tweet with duplicate content.".into()
        ))
    );
}

#[tokio::test]
async fn what_cannot_be_sent_is_refused_without_a_request() {
    let server = MockServer::start().await;
    let s = senders(&server);
    for r in [
        reply(Channel::X, "someone-else", None, "x:2"),
        reply(Channel::Facebook, "104000000000001", None, "facebook:7"),
        reply(Channel::Messenger, "104000000000001", None, "messenger:unknown-c1"),
        reply(Channel::Generic, "forum", None, "generic:forum:u1"),
        OutboundReply {
            text: "  ".into(),
            ..reply(Channel::X, "1580000000000000001", None, "x:2")
        },
    ] {
        assert!(matches!(s.send(&r).await, Err(SendError::Permanent(_))), "{r:?}");
    }
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(0));
    // As the domain port, too.
    let port: &dyn ReplySender = &s;
    assert!(
        port.send(&reply(Channel::Generic, "forum", None, "generic:forum:u1"))
            .await
            .is_err()
    );
}

#[test]
fn a_named_token_variable_that_is_not_set_fails_at_start() {
    let got = PlatformSenders::new(
        reqwest::Client::new(),
        &Endpoints::default(),
        &common::project_accounts(),
        |env| (env != "CARE_IG_TOKEN").then(|| "t".to_string()),
    );
    assert!(matches!(got, Err(socialcare_channels::accounts::AccountsError::MissingEnv(v)) if v == "CARE_IG_TOKEN"));
}
