//! Typed environment: named keys, fail fast with the key's name, never print a secret's value.

/// A required environment variable, missing or empty.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("environment variable {0} is required but not set")]
pub struct MissingEnv(pub String);

pub fn required(key: &str) -> Result<String, MissingEnv> {
    match std::env::var(key) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(MissingEnv(key.to_string())),
    }
}

pub fn optional(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}
