//! `care replay`: sign webhook payloads the way their platform does and post them, concurrently,
//! with a progress bar and a summary. Generic payloads are signed per Standard Webhooks with the
//! source's secret; X payloads with the first X account's consumer secret
//! (`x-twitter-webhooks-signature`), Meta payloads with the first app secret
//! (`X-Hub-Signature-256`). Secrets are named in the config and read from the environment.

use anyhow::Context;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use socialcare_channels::accounts::Accounts;
use socialcare_channels::{generic, meta, x};
use socialcare_domain::Settings;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One payload ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub file: PathBuf,
    /// Payloads of one group (one author) are sent one after another, in file order,
    /// as a platform keeps a conversation's order; groups go concurrently.
    pub group: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub sent: usize,
    pub accepted: usize,
    pub duplicates: usize,
    /// Payloads with a change whose id was seen before with another body: not applied
    /// (409 on the generic webhook; `conflicts` > 0 in an X or Meta answer).
    pub conflicts: usize,
    pub rejected: usize,
    pub failed: usize,
    /// Files that were not webhook payloads (SQS or schedule events), left out.
    pub skipped: usize,
    /// Every payload not applied whole: conflicts, rejections, and those that got no answer.
    pub refused: Vec<Refused>,
}

/// What one payload got: (status, body), or why no answer came.
pub type Answer = Result<(u16, String), String>;

/// A payload the stack did not apply (whole), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub file: PathBuf,
    /// The HTTP status; None when no answer came.
    pub status: Option<u16>,
    pub detail: String,
}

impl Summary {
    /// Counts one payload's answer (or the error that kept it from being answered).
    pub fn count(&mut self, file: &Path, answer: Answer) {
        self.sent += 1;
        let (status, body) = match answer {
            Ok(a) => a,
            Err(e) => {
                self.failed += 1;
                self.refused.push(Refused {
                    file: file.to_path_buf(),
                    status: None,
                    detail: e,
                });
                return;
            }
        };
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let n = |key: &str| json[key].as_u64().unwrap_or(0);
        let short = |body: &str| -> String {
            json["detail"]
                .as_str()
                .map_or_else(|| body.chars().take(200).collect(), str::to_string)
        };
        let refuse = |s: &mut Self, detail: String| {
            s.refused.push(Refused {
                file: file.to_path_buf(),
                status: Some(status),
                detail,
            });
        };
        match status {
            200..=299 if n("conflicts") > 0 => {
                self.conflicts += 1;
                let detail = format!(
                    "{} change(s) with an id seen before and another body: not applied",
                    n("conflicts")
                );
                refuse(self, detail);
            }
            200..=299 if json["status"] == "duplicate" || (n("duplicates") > 0 && n("accepted") == 0) => {
                self.duplicates += 1;
            }
            200..=299 => self.accepted += 1,
            409 => {
                self.conflicts += 1;
                refuse(self, short(&body));
            }
            _ => {
                self.rejected += 1;
                refuse(self, short(&body));
            }
        }
    }

    /// The one-line summary `care replay` prints.
    pub fn line(&self) -> String {
        format!(
            "sent {} · accepted {} · duplicates {} · conflicts {} · rejected {} · failed {} · skipped {} (not webhooks)",
            self.sent, self.accepted, self.duplicates, self.conflicts, self.rejected, self.failed, self.skipped
        )
    }
}

/// Webhook payload files under `input` (a file or a folder, walked in name order).
pub fn collect(input: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if input.is_file() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![input.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Keys that hold when something was written, in any platform's shape.
const TIME_KEYS: [&str; 6] = [
    "timestamp",
    "created_at",
    "created_time",
    "time",
    "timestamp_ms",
    "created_timestamp",
];

/// Moves every time in a payload to `at`, keeping each value's own format (RFC 3339, X's
/// `Wed Oct 10 20:19:24 +0000 2018`, epoch seconds or milliseconds, as a number or a string):
/// a demo or load run wants posts written now, not when the fixture was.
pub fn retime(json: &mut serde_json::Value, at: Timestamp) {
    use serde_json::Value;
    match json {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if TIME_KEYS.contains(&key.as_str())
                    && let Some(moved) = moved_time(value, at)
                {
                    *value = moved;
                } else {
                    retime(value, at);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retime(v, at)),
        _ => {}
    }
}

/// `at` in the format of `old`, or `None` when `old` is not a time this knows.
fn moved_time(old: &serde_json::Value, at: Timestamp) -> Option<serde_json::Value> {
    use serde_json::Value;
    let epoch = |digits: u64| -> i64 {
        // Milliseconds from 1973 on have 12 digits or more; seconds will not for millennia.
        if digits >= 100_000_000_000 {
            at.as_millisecond()
        } else {
            at.as_second()
        }
    };
    match old {
        Value::Number(n) => n.as_u64().map(|v| Value::from(epoch(v))),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok().map(|v| Value::String(epoch(v).to_string()))
        }
        Value::String(s) if s.parse::<Timestamp>().is_ok() => Some(Value::String(at.to_string())),
        Value::String(s) => {
            const X_FORMAT: &str = "%a %b %d %H:%M:%S %z %Y";
            jiff::fmt::strtime::parse(X_FORMAT, s).ok()?;
            let text = jiff::fmt::strtime::format(X_FORMAT, &at.to_zoned(jiff::tz::TimeZone::UTC)).ok()?;
            Some(Value::String(text))
        }
        _ => None,
    }
}

/// The platform a payload comes from, by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Generic,
    X,
    Meta,
}

pub fn shape(json: &serde_json::Value) -> Option<Shape> {
    if json.pointer("/data/source").is_some() {
        Some(Shape::Generic)
    } else if json.get("for_user_id").is_some() || json.pointer("/data/event_type").is_some() {
        Some(Shape::X)
    } else if json.get("object").is_some() && json.get("entry").is_some() {
        Some(Shape::Meta)
    } else {
        None
    }
}

/// The first author id found in a platform payload (replay keeps one author's posts in order).
fn platform_author(json: &serde_json::Value) -> Option<String> {
    const AUTHORS: [&str; 6] = [
        "/tweet_create_events/0/user/id_str",
        "/direct_message_events/0/message_create/sender_id",
        "/data/payload/author_id",
        "/data/payload/sender_id",
        "/entry/0/messaging/0/sender/id",
        "/entry/0/changes/0/value/from/id",
    ];
    AUTHORS.iter().find_map(|p| match json.pointer(p)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Signs one file's payload the way its platform does. `None` when the file is not a webhook
/// payload (an SQS or schedule event). With `retime_to_now`, the payload's times are set to
/// `now` first.
pub fn prepare(
    file: &Path,
    settings: &Settings,
    accounts: &Accounts,
    secret_of: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    retime_to_now: bool,
) -> anyhow::Result<Option<Prepared>> {
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut json: serde_json::Value =
        serde_json::from_slice(&raw).with_context(|| format!("{} is not JSON", file.display()))?;
    let Some(shape) = shape(&json) else {
        return Ok(None);
    };
    let body = if retime_to_now {
        retime(&mut json, now);
        serde_json::to_vec(&json)?
    } else {
        raw
    };
    let secret_named = |name: Option<&str>, what: &str| -> anyhow::Result<String> {
        let name = name.with_context(|| format!("{}: no {what} in the config's [channels]", file.display()))?;
        secret_of(name).with_context(|| format!("environment variable {name} is not set"))
    };
    let author = platform_author(&json).unwrap_or_else(|| file.display().to_string());
    let content_type = ("content-type".to_string(), "application/json".to_string());
    match shape {
        Shape::X => {
            let secret = secret_named(accounts.x_consumer_secret_envs().first().copied(), "X account")?;
            Ok(Some(Prepared {
                file: file.to_path_buf(),
                group: format!("x:{author}"),
                path: "/webhooks/x".into(),
                headers: vec![
                    content_type,
                    (x::SIGNATURE_HEADER.into(), x::sign(secret.as_bytes(), &body)),
                ],
                body,
            }))
        }
        Shape::Meta => {
            let secret = secret_named(
                accounts.meta_app_secret_envs().first().copied(),
                "Facebook or Instagram account",
            )?;
            Ok(Some(Prepared {
                file: file.to_path_buf(),
                group: format!("meta:{author}"),
                path: "/webhooks/meta".into(),
                headers: vec![
                    content_type,
                    (meta::SIGNATURE_HEADER.into(), meta::sign(secret.as_bytes(), &body)),
                ],
                body,
            }))
        }
        Shape::Generic => {
            let source = json
                .pointer("/data/source")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            let src = settings
                .source(source)
                .with_context(|| format!("{}: source `{source}` is not in the config", file.display()))?;
            let secret = secret_named(Some(&src.secret_env), "source")?;
            let headers = generic_headers(&secret, &body, now)?;
            let group = json
                .pointer("/data/author/id")
                .and_then(|a| a.as_str())
                .map_or_else(|| headers[1].1.clone(), str::to_string);
            Ok(Some(Prepared {
                file: file.to_path_buf(),
                group: format!("{source}:{group}"),
                path: "/webhooks/generic".into(),
                headers,
                body,
            }))
        }
    }
}

/// The headers of a generic (Standard Webhooks) post of `body` signed with `secret` at `now`:
/// content type, `webhook-id` (derived from the body, so sending the same body twice is a
/// duplicate), `webhook-timestamp`, `webhook-signature`, in that order.
pub fn generic_headers(secret: &str, body: &[u8], now: Timestamp) -> anyhow::Result<Vec<(String, String)>> {
    let id = format!("msg_{}", &generic::fingerprint(body)[..24]);
    let ts = now.as_second();
    let signature = generic::sign(secret, &id, ts, body).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(vec![
        ("content-type".into(), "application/json".into()),
        ("webhook-id".into(), id),
        ("webhook-timestamp".into(), ts.to_string()),
        ("webhook-signature".into(), signature),
    ])
}

/// Posts every prepared payload to `base_url`, `concurrency` groups at a time.
pub async fn send_all(
    base_url: &str,
    items: Vec<Prepared>,
    concurrency: usize,
    show_progress: bool,
) -> (Summary, Duration) {
    let client = reqwest::Client::new();
    let bar = if show_progress {
        ProgressBar::new(items.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    // Groups in order of first appearance; the index makes grouping linear (100k payloads of
    // 80k authors took seconds with a search per payload).
    let mut groups: Vec<(String, Vec<Prepared>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for item in items {
        match index.get(&item.group) {
            Some(&at) => groups[at].1.push(item),
            None => {
                index.insert(item.group.clone(), groups.len());
                groups.push((item.group.clone(), vec![item]));
            }
        }
    }
    let results: Vec<(PathBuf, Answer)> = futures::stream::iter(groups)
        .map(|(_, group)| {
            let client = client.clone();
            let bar = bar.clone();
            let base = base_url.trim_end_matches('/').to_string();
            async move {
                let mut out = Vec::with_capacity(group.len());
                for item in group {
                    let mut req = client.post(format!("{base}{}", item.path)).body(item.body);
                    for (k, v) in item.headers {
                        req = req.header(k, v);
                    }
                    let answer = match req.send().await {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            Ok((status, resp.text().await.unwrap_or_default()))
                        }
                        Err(e) => Err(format!("no answer: {e}")),
                    };
                    out.push((item.file, answer));
                    bar.inc(1);
                }
                out
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    bar.finish_and_clear();
    let mut s = Summary::default();
    for (file, answer) in results {
        s.count(&file, answer);
    }
    s.refused.sort_by(|a, b| a.file.cmp(&b.file));
    (s, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retime_keeps_each_time_format() {
        let at: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap_or_else(|_| unreachable!());
        let mut payload = json!({
            "timestamp": "2020-01-01T00:00:00Z",
            "entry": [{"time": 1_595_000_000_123_u64, "messaging": [{"timestamp": 1_595_000_000_000_u64}]}],
            "tweet_create_events": [{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "timestamp_ms": "1539202764000"}],
            "value": {"created_time": 1_595_000_000_u64},
            "text": "created_at is not touched when it is not a time",
            "data": {"created_at": "yesterday"}
        });
        retime(&mut payload, at);
        assert_eq!(payload["timestamp"], "2026-11-23T12:00:00Z");
        assert_eq!(payload["entry"][0]["time"], at.as_millisecond());
        assert_eq!(payload["entry"][0]["messaging"][0]["timestamp"], at.as_millisecond());
        assert_eq!(
            payload["tweet_create_events"][0]["created_at"],
            "Mon Nov 23 12:00:00 +0000 2026"
        );
        assert_eq!(
            payload["tweet_create_events"][0]["timestamp_ms"],
            at.as_millisecond().to_string()
        );
        assert_eq!(payload["value"]["created_time"], at.as_second());
        assert_eq!(payload["data"]["created_at"], "yesterday");
    }

    #[test]
    fn the_summary_counts_conflicts_and_names_every_refused_payload() {
        let mut s = Summary::default();
        let f = |n: &str| PathBuf::from(format!("events/{n}.json"));
        s.count(&f("a"), Ok((200, r#"{"status":"accepted"}"#.into())));
        s.count(&f("b"), Ok((200, r#"{"status":"duplicate"}"#.into())));
        s.count(
            &f("c"),
            Ok((
                409,
                r#"{"title":"Conflict","status":409,"detail":"same id, different body: not applied"}"#.into(),
            )),
        );
        s.count(
            &f("d"),
            Ok((
                200,
                r#"{"status":"accepted","accepted":1,"duplicates":0,"conflicts":2,"ignored":0}"#.into(),
            )),
        );
        s.count(
            &f("e"),
            Ok((
                200,
                r#"{"status":"accepted","accepted":0,"duplicates":3,"conflicts":0,"ignored":0}"#.into(),
            )),
        );
        s.count(&f("g"), Ok((401, r#"{"detail":"bad signature"}"#.into())));
        s.count(&f("h"), Err("no answer: connection refused".into()));
        assert_eq!(
            (s.sent, s.accepted, s.duplicates, s.conflicts, s.rejected, s.failed),
            (7, 1, 2, 2, 1, 1)
        );
        let named: Vec<(String, Option<u16>)> = s
            .refused
            .iter()
            .map(|r| (r.file.display().to_string(), r.status))
            .collect();
        assert_eq!(
            named,
            vec![
                ("events/c.json".to_string(), Some(409)),
                ("events/d.json".to_string(), Some(200)),
                ("events/g.json".to_string(), Some(401)),
                ("events/h.json".to_string(), None),
            ]
        );
        assert!(s.refused[0].detail.contains("same id, different body"));
        assert!(s.refused[1].detail.contains("2 change(s)"));
        assert!(s.line().contains("conflicts 2"));
    }

    #[test]
    fn shapes_are_told_apart() {
        assert_eq!(
            shape(&json!({"type": "post.created", "data": {"source": "forum"}})),
            Some(Shape::Generic)
        );
        assert_eq!(
            shape(&json!({"for_user_id": "1", "tweet_create_events": []})),
            Some(Shape::X)
        );
        assert_eq!(
            shape(&json!({"data": {"event_type": "post.mention.create"}})),
            Some(Shape::X)
        );
        assert_eq!(shape(&json!({"object": "page", "entry": []})), Some(Shape::Meta));
        assert_eq!(shape(&json!({"Records": []})), None);
    }
}
