//! Fixtures: real-shaped payloads under the repository's `events/` directory.

use anyhow::Context;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The repository's `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// The path of a fixture, relative to `events/` (`"sqs/thread.json"`).
pub fn fixture_path(path: &str) -> PathBuf {
    events_dir().join(path)
}

/// A fixture's text.
pub fn fixture(path: &str) -> anyhow::Result<String> {
    let full = fixture_path(path);
    std::fs::read_to_string(&full).with_context(|| format!("reading fixture {}", full.display()))
}

/// A fixture, parsed as JSON into `T`.
pub fn fixture_json<T: DeserializeOwned>(path: &str) -> anyhow::Result<T> {
    let text = fixture(path)?;
    serde_json::from_str(&text).with_context(|| format!("parsing fixture {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_an_sqs_fixture() -> anyhow::Result<()> {
        let v: serde_json::Value = fixture_json("sqs/thread.json")?;
        assert!(v["Records"].as_array().is_some_and(|r| !r.is_empty()));
        assert!(fixture("nope/missing.json").is_err());
        Ok(())
    }
}
