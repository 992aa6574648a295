//! Instagram mentions arrive as ids only; their text and author are read from a fake Graph API
//! (`mentioned_comment` / `mentioned_media` fields of the IG user), with the account's token:
//! success, 5xx then success (retried with backoff), and a permanent failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::json;
use socialcare_channels::fetch_meta::MentionFetcher;
use socialcare_channels::retry::RetryPolicy;
use socialcare_domain::ports::{PostFetcher, SendError};
use socialcare_domain::{Post, PostChange};
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IG: &str = "17841400000000777";

fn fetcher(server: &MockServer) -> MentionFetcher {
    MentionFetcher::new(
        reqwest::Client::new(),
        &format!("{}/v21.0", server.uri()),
        &common::project_accounts(),
        |env| Some(format!("tok-{env}")),
    )
    .unwrap()
    .with_policy(RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max_inline_wait: Duration::from_secs(5),
    })
}

/// The mention of the project's fixture, as the parser gives it (ids only).
fn mention() -> Post {
    let raw = std::fs::read(common::events_dir("meta").join("ig-mention.json")).unwrap();
    let parsed = socialcare_channels::meta::parse(&raw, &common::project_accounts(), jiff::Timestamp::now()).unwrap();
    let post = parsed
        .events
        .into_iter()
        .find_map(|e| match e.change {
            PostChange::Created { post } => Some(*post),
            _ => None,
        })
        .unwrap();
    assert!(post.needs_fetch(), "a mention comes as ids only");
    post
}

fn comment_fields() -> &'static str {
    "mentioned_comment.comment_id(18000000000000009){id,text,timestamp,username,from}"
}

#[tokio::test]
async fn a_comment_mention_is_read_with_the_accounts_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v21.0/{IG}")))
        .and(query_param("fields", comment_fields()))
        .and(header("authorization", "Bearer tok-CARE_IG_TOKEN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "mentioned_comment": {
                "id": "18000000000000009", "text": "@acme my order never arrived",
                "timestamp": "2026-11-24T10:15:00+0000", "username": "tara.k",
                "from": {"id": "17850000000000042", "username": "tara.k"}
            },
            "id": IG
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = fetcher(&server).fetch(&mention()).await.unwrap();
    assert_eq!(got.text, "@acme my order never arrived");
    let author = got.author.unwrap();
    assert_eq!(author.id.as_str(), "instagram:17850000000000042");
    assert_eq!(author.handle, "tara.k");
    assert_eq!(
        got.created_at.map(|t| t.to_string()),
        Some("2026-11-24T10:15:00Z".into())
    );
}

#[tokio::test]
async fn a_caption_mention_reads_the_media() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v21.0/{IG}")))
        .and(query_param(
            "fields",
            "mentioned_media.media_id(18100000000000009){id,caption,timestamp,username}",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "mentioned_media": {"id": "18100000000000009", "caption": "unboxing my @acme printer", "username": "ben.r"},
            "id": IG
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut post = mention();
    post.platform_id = "18100000000000009".into();
    post.parent_id = None;
    let got = fetcher(&server).fetch(&post).await.unwrap();
    assert_eq!(got.text, "unboxing my @acme printer");
    assert_eq!(got.author.map(|a| a.handle), Some("ben.r".into()));
}

#[tokio::test]
async fn a_5xx_is_retried_then_the_text_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "mentioned_comment": {"id": "18000000000000009", "text": "hello @acme", "username": "tara.k"}
        })))
        .mount(&server)
        .await;
    let got = fetcher(&server).fetch(&mention()).await.unwrap();
    assert_eq!(got.text, "hello @acme");
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));
}

#[tokio::test]
async fn a_permanent_failure_says_why() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "(#100) Comments are disabled on this media", "type": "OAuthException", "code": 100}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = fetcher(&server).fetch(&mention()).await;
    assert!(
        matches!(&got, Err(SendError::Permanent(r)) if r.contains("Comments are disabled")),
        "{got:?}"
    );
    // Still failing after the bounded retries: the last reason comes back.
    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&down)
        .await;
    let got = fetcher(&down).fetch(&mention()).await;
    assert!(
        matches!(&got, Err(SendError::Retry { reason, .. }) if reason.contains("502")),
        "{got:?}"
    );
    assert_eq!(down.received_requests().await.map(|r| r.len()), Some(3), "bounded");
    // An account without a token cannot fetch.
    let mut other = mention();
    other.account = "17841400000000999".into();
    assert!(matches!(
        fetcher(&server).fetch(&other).await,
        Err(SendError::Permanent(_))
    ));
}
