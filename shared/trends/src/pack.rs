//! The detector state's compression: DEFLATE (`miniz_oxide`, pure Rust), inflated with a limit.

/// The largest state a stored snapshot may inflate to.
const LIMIT: usize = 64 * 1024 * 1024;

pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(bytes, 6)
}

/// The inflated bytes (empty when they do not inflate: the state then starts afresh).
pub fn inflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, LIMIT).unwrap_or_default()
}
