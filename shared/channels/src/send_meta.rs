//! Replies on Meta through the Graph API: a comment under a Facebook post or comment
//! (`POST /{comment-id}/comments`), a reply under an Instagram comment
//! (`POST /{ig-comment-id}/replies`), and a message through the Send API for Messenger and
//! Instagram (`POST /me/messages` with `recipient.id`, `message.text`, `messaging_type: RESPONSE`).
//! The base URL (with its version, `https://graph.facebook.com/v21.0`) and the token are
//! parameters, so tests run against a local fake; the token travels in the `Authorization`
//! header, never in a URL that could be logged.
//!
//! Answers: 2xx → the id of what was sent; 429/5xx, and the Graph API's throttling and
//! transient errors (codes 1, 2, 4, 17, 32, 341, 613, 80001–80014, or `is_transient`), which
//! it sometimes sends with a 400 → retried, then `SendError::Retry` (`SendError::RateLimited`
//! for 429 and the throttling codes); codes 190/102 (token expired or revoked) and 10/200–299
//! (permission missing) → `SendError::Access`; other 4xx → `SendError::Permanent` with the
//! Graph API's `error.message` and code.

use crate::parsed::DM_PREFIX;
use crate::retry::{JsonApi, RetryPolicy, Verdict, short};
use reqwest::StatusCode;
use serde_json::{Value, json};
use socialcare_domain::health::FailureKind;
use socialcare_domain::ports::SendError;

/// The public Graph API, with the version the senders were written against.
pub const GRAPH_API: &str = "https://graph.facebook.com/v21.0";

/// The JSON body of a comment reply (`POST /{comment-id}/comments` or `/{ig-comment-id}/replies`).
pub fn comment_body(text: &str) -> Value {
    json!({ "message": text })
}

/// The JSON body of the Send API (`POST /me/messages`), answering within the 24-hour window.
pub fn message_body(recipient_id: &str, text: &str) -> Value {
    json!({
        "recipient": { "id": recipient_id },
        "messaging_type": "RESPONSE",
        "message": { "text": text },
    })
}

/// Graph API error codes that mean "later", whatever the HTTP status.
fn transient_code(code: i64) -> bool {
    matches!(code, 1 | 2 | 341) || throttle_code(code)
}

/// Graph API error codes of rate limiting (application, user, page, custom, and the business
/// use case limits).
fn throttle_code(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 613) || (80_001..=80_014).contains(&code)
}

/// Graph API error codes of a token that no longer works (190: invalid or expired OAuth token,
/// 102: session expired) or of a missing permission (200–299; 10 without a subcode: with one,
/// such as 2018278, it is the messaging window closing, a refusal of this reply only).
fn access_code(code: i64, subcode: Option<i64>) -> Option<FailureKind> {
    match (code, subcode) {
        (190 | 102, _) => Some(FailureKind::Token),
        (200..=299, _) | (10, None) => Some(FailureKind::Permission),
        _ => None,
    }
}

fn graph_message(status: StatusCode, body: &Value) -> String {
    let err = body.get("error");
    let message = err
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .or_else(|| body.as_str())
        .unwrap_or("no message");
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_i64);
    let sub = err.and_then(|e| e.get("error_subcode")).and_then(Value::as_i64);
    let mut s = format!("Graph API {}: {}", status.as_u16(), short(message, 300));
    match (code, sub) {
        (Some(c), Some(sc)) => s.push_str(&format!(" (code {c}, subcode {sc})")),
        (Some(c), None) => s.push_str(&format!(" (code {c})")),
        _ => {}
    }
    s
}

fn classify(status: StatusCode, body: &Value) -> Verdict {
    if status.is_success() && body.get("error").is_none() {
        return Verdict::Done(body.clone());
    }
    let reason = graph_message(status, body);
    let err = body.get("error");
    let code = err.and_then(|e| e.get("code")).and_then(Value::as_i64);
    let subcode = err.and_then(|e| e.get("error_subcode")).and_then(Value::as_i64);
    if let Some(kind) = code.and_then(|c| access_code(c, subcode)) {
        return Verdict::Access(kind, reason);
    }
    if status == StatusCode::TOO_MANY_REQUESTS || code.is_some_and(throttle_code) {
        return Verdict::Throttled(reason);
    }
    let transient = err
        .and_then(|e| e.get("is_transient"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || err
            .and_then(|e| e.get("code"))
            .and_then(Value::as_i64)
            .is_some_and(transient_code);
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() || transient {
        Verdict::Retry(reason)
    } else {
        Verdict::Permanent(reason)
    }
}

/// A client of the Graph API for replies.
#[derive(Clone, Debug)]
pub struct GraphClient {
    api: JsonApi,
}

impl GraphClient {
    /// `base_url` is [`GRAPH_API`] in production (or `https://graph.instagram.com/v21.0` for
    /// Instagram Login tokens), a fake's address in tests.
    pub fn new(client: reqwest::Client, base_url: &str) -> Self {
        Self {
            api: JsonApi::new(client, base_url, "Graph API", "graph", classify),
        }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// Reads what the platform holds of an object: `GET /{path}?fields=...` (an Instagram
    /// mention's comment or caption through the IG user's `mentioned_comment` /
    /// `mentioned_media` fields).
    pub async fn read(&self, token: &str, path: &[&str], fields: &str) -> Result<Value, SendError> {
        let mut url = self.api.url(path)?;
        url.query_pairs_mut().append_pair("fields", fields);
        self.api.get(url, token).await
    }

    fn id_of(v: &Value, key: &str) -> Result<String, SendError> {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SendError::Permanent(format!("Graph API answered without {key}")))
    }

    /// Comments under a Facebook post or comment. Returns the new comment's id.
    pub async fn reply_to_comment(&self, token: &str, comment_id: &str, text: &str) -> Result<String, SendError> {
        let v = self
            .api
            .post(self.api.url(&[comment_id, "comments"])?, token, comment_body(text))
            .await?;
        Self::id_of(&v, "id")
    }

    /// Replies under an Instagram comment. Returns the new comment's id.
    pub async fn reply_to_instagram_comment(
        &self,
        token: &str,
        comment_id: &str,
        text: &str,
    ) -> Result<String, SendError> {
        let v = self
            .api
            .post(self.api.url(&[comment_id, "replies"])?, token, comment_body(text))
            .await?;
        Self::id_of(&v, "id")
    }

    /// Sends a Messenger or Instagram message to `recipient_id` (PSID / IGSID). Returns the
    /// `message_id` (the `mid` its echo will carry).
    pub async fn send_message(&self, token: &str, recipient_id: &str, text: &str) -> Result<String, SendError> {
        let v = self
            .api
            .post(
                self.api.url(&["me", "messages"])?,
                token,
                message_body(recipient_id, text),
            )
            .await?;
        Self::id_of(&v, "message_id")
    }

    /// Like [`Self::send_message`] for Instagram, returning `dm:<mid>` as the parser names it.
    pub async fn send_instagram_message(
        &self,
        token: &str,
        recipient_id: &str,
        text: &str,
    ) -> Result<String, SendError> {
        self.send_message(token, recipient_id, text)
            .await
            .map(|mid| format!("{DM_PREFIX}{mid}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let ok = json!({"id": "123_456"});
        assert_eq!(classify(StatusCode::OK, &ok), Verdict::Done(ok.clone()));
        let throttled = json!({"error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4, "fbtrace_id": "A"}});
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, &throttled),
            Verdict::Throttled(_)
        ));
        let expired = json!({"error": {"message": "Error validating access token: Session has expired on Friday, 04-Dec-26.", "type": "OAuthException", "code": 190, "error_subcode": 463}});
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, &expired),
            Verdict::Access(FailureKind::Token, r) if r.contains("code 190")
        ));
        let permission = json!({"error": {"message": "(#200) Requires pages_manage_engagement permission", "type": "OAuthException", "code": 200}});
        assert!(matches!(
            classify(StatusCode::FORBIDDEN, &permission),
            Verdict::Access(FailureKind::Permission, _)
        ));
        let transient = json!({"error": {"message": "x", "code": 100, "is_transient": true}});
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, &transient),
            Verdict::Retry(_)
        ));
        let window = json!({"error": {"message": "(#10) This message is sent outside of allowed window.", "type": "OAuthException", "code": 10, "error_subcode": 2018278}});
        assert_eq!(
            classify(StatusCode::BAD_REQUEST, &window),
            Verdict::Permanent(
                "Graph API 400: (#10) This message is sent outside of allowed window. (code 10, subcode 2018278)"
                    .into()
            )
        );
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, &json!("down")),
            Verdict::Retry(_)
        ));
    }

    #[test]
    fn bodies() {
        assert_eq!(
            message_body("psid-1", "hello"),
            json!({"recipient": {"id": "psid-1"}, "messaging_type": "RESPONSE", "message": {"text": "hello"}})
        );
        assert_eq!(comment_body("thanks"), json!({"message": "thanks"}));
    }
}
