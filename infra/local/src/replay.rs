//! `care replay`: sign webhook payloads the way their platform does and post them, concurrently,
//! with a progress bar and a summary. Generic payloads are signed per Standard Webhooks with the
//! source's secret (named in the config, read from the environment).

use anyhow::Context;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use socialcare_channels::generic;
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
    pub rejected: usize,
    pub failed: usize,
    /// Files that were not webhook payloads (SQS or schedule events), left out.
    pub skipped: usize,
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

/// Moves a generic payload's `timestamp` and `data.created_at` to `at` (a demo or load run
/// wants posts written now, not when the fixture was).
pub fn retime(json: &mut serde_json::Value, at: Timestamp) {
    let stamp = serde_json::Value::String(at.to_string());
    if json.get("timestamp").is_some() {
        json["timestamp"] = stamp.clone();
    }
    if let Some(data) = json.get_mut("data").and_then(|d| d.as_object_mut())
        && data.contains_key("created_at")
    {
        data.insert("created_at".into(), stamp);
    }
}

/// Signs one file's payload. `None` when the file is not a webhook payload this tool signs.
/// With `retime_to_now`, the payload's times are set to `now` first.
pub fn prepare(
    file: &Path,
    settings: &Settings,
    secret_of: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    retime_to_now: bool,
) -> anyhow::Result<Option<Prepared>> {
    let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut json: serde_json::Value =
        serde_json::from_slice(&raw).with_context(|| format!("{} is not JSON", file.display()))?;
    let body = if retime_to_now {
        retime(&mut json, now);
        serde_json::to_vec(&json)?
    } else {
        raw
    };
    let Some(source) = json.pointer("/data/source").and_then(|s| s.as_str()) else {
        return Ok(None);
    };
    let src = settings
        .source(source)
        .with_context(|| format!("{}: source `{source}` is not in the config", file.display()))?;
    let secret =
        secret_of(&src.secret_env).with_context(|| format!("environment variable {} is not set", src.secret_env))?;
    // The webhook id is derived from the body: replaying the same file twice is a duplicate.
    let id = format!("msg_{}", &generic::fingerprint(&body)[..24]);
    let ts = now.as_second();
    let signature = generic::sign(&secret, &id, ts, &body).map_err(|e| anyhow::anyhow!("{e}"))?;
    let group = json
        .pointer("/data/author/id")
        .and_then(|a| a.as_str())
        .unwrap_or(&id)
        .to_string();
    Ok(Some(Prepared {
        file: file.to_path_buf(),
        group: format!("{source}:{group}"),
        path: "/webhooks/generic".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("webhook-id".into(), id),
            ("webhook-timestamp".into(), ts.to_string()),
            ("webhook-signature".into(), signature),
        ],
        body,
    }))
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
    let mut groups: Vec<(String, Vec<Prepared>)> = Vec::new();
    for item in items {
        match groups.iter_mut().find(|(g, _)| *g == item.group) {
            Some((_, v)) => v.push(item),
            None => groups.push((item.group.clone(), vec![item])),
        }
    }
    let results: Vec<Result<(u16, String), String>> = futures::stream::iter(groups)
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
                    out.push(match req.send().await {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            Ok((status, resp.text().await.unwrap_or_default()))
                        }
                        Err(e) => Err(format!("{}: {e}", item.file.display())),
                    });
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
    for r in results {
        s.sent += 1;
        match r {
            Ok((200..=299, body)) if body.contains("\"duplicate\"") => s.duplicates += 1,
            Ok((200..=299, _)) => s.accepted += 1,
            Ok((status, body)) => {
                s.rejected += 1;
                tracing::warn!(status, body = %body.chars().take(200).collect::<String>(), "rejected");
            }
            Err(e) => {
                s.failed += 1;
                tracing::warn!(error = %e, "not sent");
            }
        }
    }
    (s, started.elapsed())
}
