//! Replies on X through the X API v2: a post in reply to the customer's post
//! (`POST /2/tweets` with `reply.in_reply_to_tweet_id`), or a direct message
//! (`POST /2/dm_conversations/with/{participant_id}/messages`). The base URL and the user access
//! token are parameters, so tests run against a local fake.
//!
//! Answers: 2xx → the id of what was sent; 429/5xx → retried (honouring `Retry-After` or
//! `x-rate-limit-reset`), then `SendError::RateLimited` / `SendError::Retry`; 401 →
//! `SendError::Access` (token); 403 with the `oauth1-permissions` or `client-forbidden` problem
//! type → `SendError::Access` (permission); other 4xx → `SendError::Permanent` with X's own
//! message (`detail`, `title` or `errors[0].message`).

use crate::parsed::DM_PREFIX;
use crate::retry::{JsonApi, RetryPolicy, Verdict, short};
use reqwest::StatusCode;
use serde_json::{Value, json};
use socialcare_domain::health::FailureKind;
use socialcare_domain::ports::SendError;

/// The public X API.
pub const X_API: &str = "https://api.x.com";

/// The JSON body of `POST /2/tweets`.
pub fn tweet_body(text: &str, in_reply_to: Option<&str>) -> Value {
    match in_reply_to {
        Some(id) => json!({ "text": text, "reply": { "in_reply_to_tweet_id": id } }),
        None => json!({ "text": text }),
    }
}

/// The JSON body of `POST /2/dm_conversations/with/{participant_id}/messages`.
pub fn dm_body(text: &str) -> Value {
    json!({ "text": text })
}

/// X's own words for a refusal.
fn x_message(body: &Value) -> String {
    let text = body
        .get("detail")
        .and_then(Value::as_str)
        .or_else(|| body.get("title").and_then(Value::as_str))
        .or_else(|| body.pointer("/errors/0/message").and_then(Value::as_str))
        .or_else(|| body.as_str())
        .unwrap_or("no message");
    short(text, 300)
}

fn classify(status: StatusCode, body: &Value) -> Verdict {
    if status.is_success() {
        // A 200 can still carry `errors` without `data` (partial failure): nothing was sent.
        if body.get("data").is_some() {
            return Verdict::Done(body.clone());
        }
        return Verdict::Permanent(format!("X {}: {}", status.as_u16(), x_message(body)));
    }
    let reason = format!("X {}: {}", status.as_u16(), x_message(body));
    let problem = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::Throttled(reason)
    } else if status.is_server_error() {
        Verdict::Retry(reason)
    } else if status == StatusCode::UNAUTHORIZED {
        Verdict::Access(FailureKind::Token, reason)
    } else if status == StatusCode::FORBIDDEN
        && (problem.ends_with("/oauth1-permissions") || problem.ends_with("/client-forbidden"))
    {
        Verdict::Access(FailureKind::Permission, reason)
    } else {
        Verdict::Permanent(reason)
    }
}

/// A client of the X API v2 for replies.
#[derive(Clone, Debug)]
pub struct XClient {
    api: JsonApi,
}

impl XClient {
    /// `base_url` is [`X_API`] in production, a fake's address in tests.
    pub fn new(client: reqwest::Client, base_url: &str) -> Self {
        Self {
            api: JsonApi::new(client, base_url, "X API", "x", classify),
        }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// Posts `text`, in reply to `in_reply_to` when given. Returns the new post's id.
    pub async fn post_tweet(&self, token: &str, text: &str, in_reply_to: Option<&str>) -> Result<String, SendError> {
        let v = self
            .api
            .post(self.api.url(&["2", "tweets"])?, token, tweet_body(text, in_reply_to))
            .await?;
        v.pointer("/data/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SendError::Permanent("X answered without data.id".into()))
    }

    /// Sends a direct message to `participant_id`. Returns `dm:<dm_event_id>` (the form the
    /// webhook parser gives DMs, so the echo of this message lands on the same platform id).
    pub async fn send_dm(&self, token: &str, participant_id: &str, text: &str) -> Result<String, SendError> {
        let url = self
            .api
            .url(&["2", "dm_conversations", "with", participant_id, "messages"])?;
        let v = self.api.post(url, token, dm_body(text)).await?;
        v.pointer("/data/dm_event_id")
            .and_then(Value::as_str)
            .map(|id| format!("{DM_PREFIX}{id}"))
            .ok_or_else(|| SendError::Permanent("X answered without data.dm_event_id".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(
            tweet_body("hi", Some("123")),
            json!({"text": "hi", "reply": {"in_reply_to_tweet_id": "123"}})
        );
        assert_eq!(tweet_body("hi", None), json!({"text": "hi"}));
    }

    #[test]
    fn classification() {
        let ok = json!({"data": {"id": "1", "text": "hi"}});
        assert_eq!(classify(StatusCode::CREATED, &ok), Verdict::Done(ok.clone()));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &json!({})),
            Verdict::Throttled(_)
        ));
        let unauthorized =
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"});
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, &unauthorized),
            Verdict::Access(FailureKind::Token, "X 401: Unauthorized".into())
        );
        let scope = json!({"title": "Unsupported Authentication", "type": "https://api.twitter.com/2/problems/oauth1-permissions", "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.", "status": 403});
        assert!(matches!(
            classify(StatusCode::FORBIDDEN, &scope),
            Verdict::Access(FailureKind::Permission, _)
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, &json!("oops")),
            Verdict::Retry(_)
        ));
        let dup = json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "title": "Forbidden", "status": 403});
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &dup),
            Verdict::Permanent("X 403: You are not allowed to create a Tweet with duplicate content.".into())
        );
        let partial = json!({"errors": [{"message": "in_reply_to_tweet_id is deleted"}]});
        assert_eq!(
            classify(StatusCode::OK, &partial),
            Verdict::Permanent("X 200: in_reply_to_tweet_id is deleted".into())
        );
    }
}
