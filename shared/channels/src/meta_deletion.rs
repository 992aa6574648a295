//! Meta's data deletion request callback: a person removed the app and asked for their data to
//! be deleted. Meta POSTs a form body `signed_request=<signature>.<payload>`: both parts
//! base64url (padding optional), the signature the HMAC-SHA256 of the payload part (the
//! base64url text, as sent) under the app secret, the payload JSON
//! `{"algorithm":"HMAC-SHA256","issued_at":…,"user_id":"<app-scoped id>"}`.
//!
//! The signature is checked in constant time against every configured app secret before the
//! payload is decoded or parsed; anything unsigned, wrongly signed or of another algorithm is
//! refused (401) and changes nothing.

use crate::parsed::{id_of, int_of};
use crate::signature::{SignatureError, verify_with_any};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::Value;

/// The only algorithm Meta signs these requests with.
pub const ALGORITHM: &str = "HMAC-SHA256";

/// A verified deletion request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionCallback {
    /// The app-scoped user id.
    pub user_id: String,
    pub issued_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeletionError {
    #[error("no signed_request in the form body")]
    Unsigned,
    #[error("signed_request is not <signature>.<payload> in base64url")]
    Malformed,
    #[error("signature check failed: {0}")]
    Signature(SignatureError),
    #[error("algorithm `{0}` is not HMAC-SHA256")]
    Algorithm(String),
    #[error("payload: {0}")]
    Payload(&'static str),
}

impl DeletionError {
    /// 401 for anything not proven to come from Meta; 400 for a signed payload we cannot use.
    pub fn status(&self) -> u16 {
        match self {
            DeletionError::Payload(_) => 400,
            _ => 401,
        }
    }
}

/// Verifies and reads a callback body (`application/x-www-form-urlencoded`).
pub fn verify_callback<S: AsRef<[u8]>>(body: &[u8], app_secrets: &[S]) -> Result<DeletionCallback, DeletionError> {
    let signed = form_value(body, "signed_request").ok_or(DeletionError::Unsigned)?;
    let (signature, payload) = signed.split_once('.').ok_or(DeletionError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .map_err(|_| DeletionError::Malformed)?;
    // Over the payload's base64url text as sent, before it is decoded or parsed.
    verify_with_any(app_secrets, payload.as_bytes(), &tag).map_err(DeletionError::Signature)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| DeletionError::Payload("not base64url"))?;
    let value: Value = serde_json::from_slice(&json).map_err(|_| DeletionError::Payload("not JSON"))?;
    let algorithm = value.get("algorithm").and_then(Value::as_str).unwrap_or("");
    if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
        return Err(DeletionError::Algorithm(algorithm.chars().take(32).collect()));
    }
    let user_id = id_of(value.get("user_id"))
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        .ok_or(DeletionError::Payload("no usable user_id"))?;
    let issued_at = int_of(value.get("issued_at")).and_then(|s| Timestamp::from_second(s).ok());
    Ok(DeletionCallback { user_id, issued_at })
}

/// Signs a payload as Meta does (for tests and `care` fixtures): `<sig>.<payload>`, base64url.
pub fn sign_request(app_secret: &[u8], payload_json: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(payload_json.as_bytes());
    let tag = crate::signature::hmac_sha256(app_secret, payload.as_bytes());
    format!("{}.{payload}", URL_SAFE_NO_PAD.encode(tag))
}

/// The first value of `name` in a form-encoded body (`+` is a space, `%XX` a byte).
fn form_value(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k)? == name).then(|| percent_decode(v)).flatten()
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "app-secret";

    fn body(signed: &str) -> Vec<u8> {
        format!("signed_request={signed}").into_bytes()
    }

    #[test]
    fn a_signed_request_is_read() {
        let signed = sign_request(
            SECRET.as_bytes(),
            r#"{"algorithm":"HMAC-SHA256","issued_at":1767225600,"user_id":"218471"}"#,
        );
        let got = verify_callback(&body(&signed), &[SECRET]);
        assert_eq!(
            got,
            Ok(DeletionCallback {
                user_id: "218471".into(),
                issued_at: Timestamp::from_second(1_767_225_600).ok(),
            })
        );
        // Meta's signature sometimes carries base64 padding, and forms may percent-encode it.
        let (sig, payload) = signed.split_once('.').unwrap_or_default();
        let padded = format!("{sig}%3D.{payload}");
        assert!(verify_callback(&body(&padded), &[SECRET]).is_ok());
        assert!(
            verify_callback(&body(&signed), &["other", SECRET]).is_ok(),
            "any configured app secret"
        );
    }

    #[test]
    fn forged_unsigned_and_wrong_algorithm_are_401() {
        let good = r#"{"algorithm":"HMAC-SHA256","issued_at":1767225600,"user_id":"218471"}"#;
        let forged = sign_request(b"not-the-secret", good);
        let err = verify_callback(&body(&forged), &[SECRET]).map_err(|e| (e.status(), e));
        assert_eq!(err, Err((401, DeletionError::Signature(SignatureError::Mismatch))));
        assert_eq!(
            verify_callback(b"user_id=218471", &[SECRET]).map_err(|e| e.status()),
            Err(401)
        );
        assert_eq!(
            verify_callback(&body("nodot"), &[SECRET]).map_err(|e| e.status()),
            Err(401)
        );
        // A payload changed after signing.
        let signed = sign_request(SECRET.as_bytes(), good);
        let (sig, _) = signed.split_once('.').unwrap_or_default();
        let other = URL_SAFE_NO_PAD.encode(good.replace("218471", "999999"));
        assert_eq!(
            verify_callback(&body(&format!("{sig}.{other}")), &[SECRET]).map_err(|e| e.status()),
            Err(401)
        );
        let md5 = sign_request(SECRET.as_bytes(), r#"{"algorithm":"HMAC-MD5","user_id":"1"}"#);
        assert!(matches!(
            verify_callback(&body(&md5), &[SECRET]),
            Err(DeletionError::Algorithm(_))
        ));
        assert_eq!(
            verify_callback(&body(&signed), &[] as &[&str]).map_err(|e| e.status()),
            Err(401),
            "no app secret configured"
        );
    }

    #[test]
    fn a_signed_payload_without_a_user_is_400() {
        for payload in [
            r#"{"algorithm":"HMAC-SHA256"}"#,
            r#"{"algorithm":"HMAC-SHA256","user_id":""}"#,
            r#"{"algorithm":"HMAC-SHA256","user_id":"a/b"}"#,
        ] {
            let signed = sign_request(SECRET.as_bytes(), payload);
            assert_eq!(
                verify_callback(&body(&signed), &[SECRET]).map_err(|e| e.status()),
                Err(400),
                "{payload}"
            );
        }
    }
}
