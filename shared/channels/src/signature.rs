//! HMAC-SHA256 over raw webhook bytes, shared by the X and Meta verifiers.
//!
//! Signatures are checked over the bytes exactly as received (never re-serialized JSON) and
//! compared in constant time (`hmac`'s `verify_slice`). Which header and which encoding
//! (base64 for X, lowercase hex for Meta) is the caller's business.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a platform webhook's signature was refused. Every variant answers 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing signature header {0}")]
    Missing(&'static str),
    #[error("signature header {0} is malformed")]
    Malformed(&'static str),
    #[error("no configured secret matches the signature")]
    Mismatch,
    #[error("no signing secret is configured")]
    NoSecret,
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long keys are hashed): this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Constant-time check that `tag` is the HMAC-SHA256 of `message` under `key`.
pub fn verify_tag(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let mut mac = keyed(key);
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// The value after `sha256=` (any case) of a signature header; `name` names the header in errors.
pub fn sha256_value<'a>(header: Option<&'a str>, name: &'static str) -> Result<&'a str, SignatureError> {
    let value = header.ok_or(SignatureError::Missing(name))?.trim();
    value
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("sha256="))
        .and_then(|_| value.get(7..))
        .map(str::trim)
        .ok_or(SignatureError::Malformed(name))
}

/// Whether `tag` is the HMAC-SHA256 of `message` under any of `secrets`. Every secret is
/// tried (no early exit on the first match) so timing says nothing about which one matched.
pub fn verify_with_any<S: AsRef<[u8]>>(secrets: &[S], message: &[u8], tag: &[u8]) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let mut ok = false;
    for secret in secrets {
        ok |= verify_tag(secret.as_ref(), message, tag);
    }
    if ok { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_published_vector() {
        let tag = hmac_sha256(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            hex::encode(tag),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify_tag(b"It's a Secret to Everybody", b"Hello, World!", &tag));
        assert!(!verify_tag(b"It's a Secret to Everybody", b"Hello, World?", &tag));
        assert!(!verify_tag(b"It's a Secret to Everybody", b"Hello, World!", &tag[..31]));
    }
}
