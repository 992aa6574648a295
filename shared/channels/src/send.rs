//! Delivering replies: the generic channel's reply URL here, the platforms through
//! [`HttpSender::with_platforms`]. Retries 429/5xx and connection failures with backoff,
//! honouring `Retry-After`; a 4xx is permanent (parked and shown on the case).

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::json;
use socialcare_domain::ports::{OutboundReply, ReplySender, SendError};
use socialcare_domain::{Channel, GenericSource};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per delivery inside one invocation; after that the queue redelivers later.
pub const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` honoured inline; a longer one goes back to the queue.
pub const MAX_INLINE_WAIT: Duration = Duration::from_secs(10);

/// A generic source's reply endpoint with its signing secret (the secret's value, read from env).
#[derive(Clone)]
pub struct ReplyEndpoint {
    pub url: String,
    pub secret: String,
}

pub struct HttpSender {
    client: reqwest::Client,
    generic: HashMap<String, ReplyEndpoint>,
    platforms: Option<Arc<dyn ReplySender>>,
    base_backoff: Duration,
}

impl HttpSender {
    pub fn new(client: reqwest::Client, generic: HashMap<String, ReplyEndpoint>) -> Self {
        Self {
            client,
            generic,
            platforms: None,
            base_backoff: Duration::from_millis(200),
        }
    }

    /// Builds the endpoints of the configured generic sources; `secret_of` reads a secret by env name.
    pub fn endpoints(
        sources: &[GenericSource],
        secret_of: impl Fn(&str) -> Option<String>,
    ) -> HashMap<String, ReplyEndpoint> {
        sources
            .iter()
            .filter_map(|s| {
                let url = s.reply_url.clone()?;
                let secret = secret_of(&s.secret_env)?;
                Some((s.name.clone(), ReplyEndpoint { url, secret }))
            })
            .collect()
    }

    /// X, Facebook, Instagram and Messenger replies go to this sender.
    pub fn with_platforms(mut self, platforms: Arc<dyn ReplySender>) -> Self {
        self.platforms = Some(platforms);
        self
    }

    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.base_backoff = base;
        self
    }

    async fn send_generic(&self, reply: &OutboundReply) -> Result<Option<String>, SendError> {
        let endpoint = self.generic.get(&reply.account).ok_or_else(|| {
            SendError::Permanent(format!(
                "source `{}` has no reply_url (or no secret) configured",
                reply.account
            ))
        })?;
        let body = json!({
            "type": "reply.created",
            "timestamp": Timestamp::now(),
            "data": {
                "source": reply.account,
                "id": reply.post_id,
                "case_id": reply.case_id,
                "in_reply_to": reply.in_reply_to,
                "text": reply.text,
                "recipient": { "id": reply.recipient.id, "handle": reply.recipient.handle },
            }
        })
        .to_string();
        // The webhook id is the reply's id: a redelivery carries the same id, so the receiver can dedupe.
        let webhook_id = reply.post_id.to_string();
        send_with_retry(self.base_backoff, || {
            let ts = Timestamp::now().as_second();
            let signature =
                crate::generic::sign(&endpoint.secret, &webhook_id, ts, body.as_bytes()).unwrap_or_default();
            self.client
                .post(&endpoint.url)
                .header("content-type", "application/json")
                .header("webhook-id", &webhook_id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", signature)
                .body(body.clone())
        })
        .await
        .map(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string))
    }
}

#[async_trait]
impl ReplySender for HttpSender {
    async fn send(&self, reply: &OutboundReply) -> Result<Option<String>, SendError> {
        match reply.channel {
            Channel::Generic => self.send_generic(reply).await,
            other => match &self.platforms {
                Some(p) => p.send(reply).await,
                None => Err(SendError::Permanent(format!(
                    "no sender configured for channel {other}"
                ))),
            },
        }
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Why a request got no answer, naming where it went (without its query, which may carry a
/// token): `request to http://127.0.0.1:9911/replies failed: connection refused`.
pub fn request_failure(e: &reqwest::Error) -> String {
    let to = e
        .url()
        .map(|u| format!(" to {}{}", u.origin().ascii_serialization(), u.path()))
        .unwrap_or_default();
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect (connection refused or host unreachable)"
    } else {
        "failed (connection error)"
    };
    format!("request{to} {what}")
}

/// Sends the request built by `build` up to [`ATTEMPTS`] times. Returns the response JSON
/// (or `null` when the body is not JSON) on 2xx.
pub async fn send_with_retry(
    base_backoff: Duration,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<serde_json::Value, SendError> {
    let mut last = String::new();
    let mut throttled = false;
    for attempt in 0..ATTEMPTS {
        let mut wait = base_backoff * 2u32.pow(attempt);
        match build().send().await {
            Ok(response) if response.status().is_success() => {
                return Ok(response
                    .json::<serde_json::Value>()
                    .await
                    .unwrap_or(serde_json::Value::Null));
            }
            Ok(response)
                if response.status() == StatusCode::TOO_MANY_REQUESTS || response.status().is_server_error() =>
            {
                let after = retry_after(&response);
                throttled = response.status() == StatusCode::TOO_MANY_REQUESTS;
                last = format!("{} from the channel", response.status());
                if let Some(after) = after {
                    if after > MAX_INLINE_WAIT {
                        return Err(if throttled {
                            SendError::RateLimited {
                                reason: last,
                                after: Some(after),
                            }
                        } else {
                            SendError::Retry {
                                reason: last,
                                after: Some(after),
                            }
                        });
                    }
                    wait = wait.max(after);
                }
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let detail: String = text.chars().take(300).collect();
                return Err(SendError::Permanent(format!("{status}: {detail}")));
            }
            Err(e) => {
                last = request_failure(&e);
                throttled = false;
            }
        }
        if attempt + 1 < ATTEMPTS {
            tokio::time::sleep(wait).await;
        }
    }
    if throttled {
        return Err(SendError::RateLimited {
            reason: last,
            after: None,
        });
    }
    Err(SendError::Retry {
        reason: last,
        after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialcare_domain::{Author, AuthorId, CaseId, PostId};
    use wiremock::matchers::{header_exists, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn reply(channel: Channel) -> OutboundReply {
        OutboundReply {
            case_id: CaseId::parse("case-1").unwrap_or_else(|_| unreachable!()),
            post_id: PostId::parse("reply:case-1:1").unwrap_or_else(|_| unreachable!()),
            channel,
            account: "forum".into(),
            text: "We are on it".into(),
            in_reply_to: Some("p1".into()),
            recipient: Author {
                id: AuthorId::parse("generic:forum:u1").unwrap_or_else(|_| unreachable!()),
                handle: "tara".into(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            },
        }
    }

    fn sender(server: &MockServer) -> HttpSender {
        let mut endpoints = HashMap::new();
        endpoints.insert(
            "forum".to_string(),
            ReplyEndpoint {
                url: format!("{}/replies", server.uri()),
                secret: SECRET.into(),
            },
        );
        HttpSender::new(reqwest::Client::new(), endpoints).with_backoff(Duration::from_millis(1))
    }

    #[tokio::test]
    async fn delivers_signed_json() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/replies"))
            .and(header_exists("webhook-signature"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "r-77"})))
            .expect(1)
            .mount(&server)
            .await;
        let got = sender(&server).send(&reply(Channel::Generic)).await;
        assert_eq!(got, Ok(Some("r-77".into())));
        let received = server.received_requests().await.unwrap_or_default();
        let req = &received[0];
        let h = |k: &str| req.headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (id, ts, sig) = (h("webhook-id"), h("webhook-timestamp"), h("webhook-signature"));
        let headers = crate::generic::Headers {
            id: id.as_deref(),
            timestamp: ts.as_deref(),
            signature: sig.as_deref(),
        };
        assert!(
            crate::generic::verify(SECRET, headers, &req.body, Timestamp::now()).is_ok(),
            "the receiver can verify it"
        );
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        assert_eq!(body["data"]["text"], "We are on it");
        assert_eq!(body["data"]["in_reply_to"], "p1");
    }

    #[tokio::test]
    async fn retries_5xx_then_succeeds_and_parks_4xx() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .mount(&server)
            .await;
        assert_eq!(sender(&server).send(&reply(Channel::Generic)).await, Ok(None));
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));

        let refusing = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(410).set_body_string("thread closed"))
            .mount(&refusing)
            .await;
        let got = sender(&refusing).send(&reply(Channel::Generic)).await;
        assert_eq!(got, Err(SendError::Permanent("410 Gone: thread closed".into())));
    }

    #[tokio::test]
    async fn long_retry_after_goes_back_to_the_queue() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
            .mount(&server)
            .await;
        let got = sender(&server).send(&reply(Channel::Generic)).await;
        assert!(matches!(got, Err(SendError::RateLimited { after: Some(d), .. }) if d == Duration::from_secs(120)));
    }

    #[tokio::test]
    async fn unconfigured_channels_are_permanent_failures() {
        let server = MockServer::start().await;
        let got = sender(&server).send(&reply(Channel::X)).await;
        assert!(matches!(got, Err(SendError::Permanent(_))));
        let mut other = reply(Channel::Generic);
        other.account = "appstore".into();
        assert!(matches!(
            sender(&server).send(&other).await,
            Err(SendError::Permanent(_))
        ));
    }
}
