//! Signed referral refs: the brand's m.me links and ads that name its customer
//! (`ref=customer:<id>`) must carry the deployment's signature and an expiry, because anyone can
//! craft an m.me link with any `ref`. A signed ref is `customer:<id>.<exp>.<sig>`: `exp` in unix
//! seconds, `sig` = base64url (no padding) of HMAC-SHA256(key, `customer:<id>.<exp>`). The key is
//! the deployment's (`CARE_REFERRAL_KEY`); `care ref --customer ID --ttl-days N` mints one.
//! Ingest checks it and passes on the bare `customer:<id>`; an unsigned, wrongly signed or
//! expired ref links nobody.

use crate::signature::{hmac_sha256, verify_tag};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jiff::Timestamp;

/// The environment variable that holds the referral key.
pub const KEY_ENV: &str = "CARE_REFERRAL_KEY";
/// The shortest key accepted.
pub const MIN_KEY_BYTES: usize = 32;
/// The longest a signed ref may stay valid (a link in an email campaign).
pub const MAX_TTL_DAYS: i64 = 365;

/// Why a referral ref names nobody.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("the ref is not signed (expected customer:<id>.<exp>.<sig>)")]
    Unsigned,
    #[error("the ref's signature does not match")]
    BadSignature,
    #[error("the ref expired")]
    Expired,
    #[error("no referral key is configured ({KEY_ENV})")]
    NoKey,
}

/// Mints `customer:<id>.<exp>.<sig>` for `customer`, valid until `expires`.
pub fn sign(key: &[u8], customer: &str, expires: Timestamp) -> String {
    let body = format!("customer:{customer}.{}", expires.as_second());
    let sig = B64URL.encode(hmac_sha256(key, body.as_bytes()));
    format!("{body}.{sig}")
}

/// Checks a signed ref against any of `keys` at `now`; the bare `customer:<id>` when it holds.
pub fn verify<S: AsRef<[u8]>>(keys: &[S], reference: &str, now: Timestamp) -> Result<String, RefError> {
    let mut parts = reference.rsplitn(3, '.');
    let (Some(sig), Some(exp), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(RefError::Unsigned);
    };
    let exp: i64 = exp.parse().map_err(|_| RefError::Unsigned)?;
    let tag = B64URL.decode(sig).map_err(|_| RefError::Unsigned)?;
    if keys.is_empty() {
        return Err(RefError::NoKey);
    }
    let signed = format!("{body}.{exp}");
    let mut ok = false;
    for key in keys {
        ok |= verify_tag(key.as_ref(), signed.as_bytes(), &tag);
    }
    if !ok {
        return Err(RefError::BadSignature);
    }
    if now.as_second() > exp {
        return Err(RefError::Expired);
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"referral-key-of-thirty-two-bytes-at-least";

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn signed_refs_pass_and_everything_else_names_nobody() {
        let good = sign(KEY, "crm.4417", at(100));
        assert!(good.starts_with("customer:crm.4417."), "{good}");
        assert_eq!(verify(&[KEY], &good, at(50)), Ok("customer:crm.4417".into()));
        assert_eq!(verify(&[KEY], &good, at(101)), Err(RefError::Expired));
        assert_eq!(
            verify(&[b"another-key-of-thirty-two-bytes-at-least"], &good, at(50)),
            Err(RefError::BadSignature)
        );
        assert_eq!(verify(&[KEY], "customer:crm.4417", at(50)), Err(RefError::Unsigned));
        assert_eq!(verify(&[KEY], "customer:victim", at(50)), Err(RefError::Unsigned));
        let other = good.replace("crm.4417", "crm.4418");
        assert_eq!(verify(&[KEY], &other, at(50)), Err(RefError::BadSignature));
        let later = good.replacen(
            &format!(".{}.", at(100).as_second()),
            &format!(".{}.", at(900).as_second()),
            1,
        );
        assert_eq!(
            verify(&[KEY], &later, at(50)),
            Err(RefError::BadSignature),
            "expiry is signed"
        );
        let none: [&[u8]; 0] = [];
        assert_eq!(verify(&none, &good, at(50)), Err(RefError::NoKey));
    }
}
