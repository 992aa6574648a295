//! The retry loop of the platform senders (X API, Graph API): a bounded number of attempts with
//! exponential backoff that honours `Retry-After` (seconds or HTTP date) and X's
//! `x-rate-limit-reset`. A wait longer than [`RetryPolicy::max_inline_wait`] is not slept inside
//! the invocation: the reply goes back to the queue with `SendError::Retry { after }`.
//!
//! Each platform says how to read its answers (`Classify`): which bodies are a rate limit in
//! disguise (the Graph API answers some throttling with 400), which are permanent, and the
//! platform's own error message, which is what an agent reads on the case when a reply is parked.

use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use socialcare_domain::health::FailureKind;
use socialcare_domain::ports::SendError;
use std::time::Duration;

/// How hard to try inside one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// First backoff; doubled after each failed attempt.
    pub base: Duration,
    /// The longest wait slept inline; a longer `Retry-After` goes back to the queue.
    pub max_inline_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base: Duration::from_millis(500),
            max_inline_wait: Duration::from_secs(10),
        }
    }
}

/// What one answer means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    Done(Value),
    Retry(String),
    /// The platform throttled us: retried like `Retry`, reported as `SendError::RateLimited`.
    Throttled(String),
    Permanent(String),
    /// The token is expired/revoked or lacks a permission: never retried.
    Access(FailureKind, String),
}

/// Reads a platform's answer: status, headers and the body (JSON, or `Value::String` of the raw text).
pub(crate) type Classify = fn(StatusCode, &Value) -> Verdict;

/// How long the platform asked us to wait, if it said so.
pub(crate) fn wait_asked(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(v) {
            let secs = at.timestamp().as_second().saturating_sub(now.as_second());
            return Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)));
        }
    }
    // X: the epoch second at which the rate-limit window resets.
    if let Some(reset) = header("x-rate-limit-reset").and_then(|v| v.parse::<i64>().ok()) {
        let secs = reset.saturating_sub(now.as_second());
        return Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)));
    }
    None
}

/// The first `max` characters of a platform message (it goes on the case and in logs).
pub(crate) fn short(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Sends the request `build` makes until it succeeds, fails for good, or attempts run out.
pub(crate) async fn send_json(
    policy: RetryPolicy,
    platform: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
    classify: Classify,
) -> Result<Value, SendError> {
    let attempts = policy.attempts.max(1);
    let mut last = String::new();
    let mut throttled = false;
    let mut last_after = None;
    for attempt in 0..attempts {
        let backoff = policy.base.saturating_mul(2u32.saturating_pow(attempt));
        let mut asked = None;
        match build().send().await {
            Ok(response) => {
                let status = response.status();
                asked = wait_asked(response.headers(), Timestamp::now());
                let bytes = response.bytes().await.unwrap_or_default();
                let body = serde_json::from_slice::<Value>(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
                match classify(status, &body) {
                    Verdict::Done(v) => return Ok(v),
                    Verdict::Permanent(reason) => {
                        tracing::warn!(platform, %status, "reply refused for good");
                        return Err(SendError::Permanent(reason));
                    }
                    Verdict::Access(kind, reason) => {
                        tracing::warn!(platform, %status, kind = kind.as_str(), "the account's token was refused");
                        return Err(SendError::Access { kind, reason });
                    }
                    Verdict::Retry(reason) => {
                        tracing::info!(platform, %status, attempt, "reply not delivered yet; will retry");
                        last = reason;
                        throttled = false;
                    }
                    Verdict::Throttled(reason) => {
                        tracing::info!(platform, %status, attempt, "rate limited; will retry");
                        last = reason;
                        throttled = true;
                    }
                }
            }
            Err(e) => {
                last = format!("{platform}: {}", crate::send::request_failure(&e));
                throttled = false;
            }
        }
        last_after = asked;
        if let Some(after) = asked.filter(|a| *a > policy.max_inline_wait) {
            return Err(retry_error(throttled, last, Some(after)));
        }
        if attempt + 1 < attempts {
            tokio::time::sleep(asked.map_or(backoff, |a| a.max(backoff))).await;
        }
    }
    Err(retry_error(throttled, last, last_after))
}

fn retry_error(throttled: bool, reason: String, after: Option<Duration>) -> SendError {
    if throttled {
        SendError::RateLimited { reason, after }
    } else {
        SendError::Retry { reason, after }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_retry_after_in_seconds_dates_and_x_resets() {
        let now = Timestamp::from_second(1_445_412_400).unwrap_or_else(|_| unreachable!());
        let mut h = HeaderMap::new();
        assert_eq!(wait_asked(&h, now), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(wait_asked(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(
            wait_asked(&h, now),
            Some(Duration::from_secs(1_445_412_480 - 1_445_412_400))
        );
        let mut x = HeaderMap::new();
        x.insert("x-rate-limit-reset", HeaderValue::from_static("1445412430"));
        assert_eq!(wait_asked(&x, now), Some(Duration::from_secs(30)));
        x.insert("x-rate-limit-reset", HeaderValue::from_static("1"));
        assert_eq!(wait_asked(&x, now), Some(Duration::ZERO));
    }
}

/// A JSON API reached with bearer tokens: its base URL, retry policy and how its answers are
/// judged. The X and Graph clients are each one of these plus their own request bodies.
#[derive(Clone)]
pub(crate) struct JsonApi {
    client: reqwest::Client,
    base_url: String,
    policy: RetryPolicy,
    /// For messages: `X API`, `Graph API`.
    name: &'static str,
    /// For logs: `x`, `graph`.
    label: &'static str,
    classify: Classify,
}

impl std::fmt::Debug for JsonApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(self.name).field("base_url", &self.base_url).finish()
    }
}

impl JsonApi {
    pub(crate) fn new(
        client: reqwest::Client,
        base_url: &str,
        name: &'static str,
        label: &'static str,
        classify: Classify,
    ) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            policy: RetryPolicy::default(),
            name,
            label,
            classify,
        }
    }

    pub(crate) fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The base URL with `segments` appended, each percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<reqwest::Url, SendError> {
        let mut url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| SendError::Permanent(format!("{} base URL is invalid: {e}", self.name)))?;
        url.path_segments_mut()
            .map_err(|_| SendError::Permanent(format!("{} base URL cannot take a path", self.name)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// GETs `url` with the bearer `token`, retrying as the policy says.
    pub(crate) async fn get(&self, url: reqwest::Url, token: &str) -> Result<Value, SendError> {
        send_json(
            self.policy,
            self.label,
            || self.client.get(url.clone()).bearer_auth(token),
            self.classify,
        )
        .await
    }

    /// POSTs `body` as JSON with the bearer `token`, retrying as the policy says.
    pub(crate) async fn post(&self, url: reqwest::Url, token: &str, body: Value) -> Result<Value, SendError> {
        let body = body.to_string();
        send_json(
            self.policy,
            self.label,
            || {
                self.client
                    .post(url.clone())
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body.clone())
            },
            self.classify,
        )
        .await
    }
}
