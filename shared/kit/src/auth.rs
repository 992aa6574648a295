//! Agent tokens: HS256 JWTs with the agent id in `sub` and the role in `role`.
//!
//! Locally `care token` mints them with `CARE_JWT_SECRET`; on AWS the HTTP API's JWT authorizer
//! checks Cognito tokens and the function reads the same claims.
//!
//! A token only says who is calling. What the caller may do is the deployment's: the agent API
//! checks that the subject is a stored agent, takes the lesser of the token's role and the
//! stored one, and refuses tokens issued before the agent's sessions were ended. Tokens live at
//! most [`MAX_TTL_SECS`]; the key must be at least [`MIN_SECRET_BYTES`] bytes.

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use socialcare_domain::services::desk::Principal;
use socialcare_domain::{AgentId, Role};

pub const ISSUER: &str = "socialcare";

/// The longest a token may live (exp − iat): a stolen token is worth a working day at most.
pub const MAX_TTL_SECS: i64 = 12 * 3600;
/// Clock skew tolerated on `exp` (and `iat`).
pub const LEEWAY_SECS: u64 = 5;
/// The shortest HS256 key accepted (RFC 7518 §3.2: a key at least as long as the hash output).
pub const MIN_SECRET_BYTES: usize = 32;

/// Keys that are examples, not secrets (the README once showed the first one).
const KNOWN_WEAK: &[&str] = &["change-me", "changeme", "secret", "password", "example"];

/// Refuses a JWT key that is short or a known example; `name` is the variable that holds it.
pub fn check_secret(name: &str, secret: &[u8]) -> Result<(), String> {
    let lower = String::from_utf8_lossy(secret).to_lowercase();
    if KNOWN_WEAK.iter().any(|w| lower.trim() == *w) {
        return Err(format!(
            "{name}: an example value, not a secret (use e.g. `openssl rand -base64 48`)"
        ));
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "{name}: {} bytes; an HS256 key needs at least {MIN_SECRET_BYTES} (use e.g. `openssl rand -base64 48`)",
            secret.len()
        ));
    }
    if secret.iter().all(|b| *b == secret[0]) {
        return Err(format!("{name}: one repeated character is not a secret"));
    }
    Ok(())
}

/// A verified token: who it names, with the role it claims, and when it was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    pub issued_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("no bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Mints a token for `agent` valid for `ttl_secs` (1..=[`MAX_TTL_SECS`]).
pub fn mint(secret: &[u8], agent: &AgentId, role: Role, now: Timestamp, ttl_secs: i64) -> Result<String, AuthError> {
    if !(1..=MAX_TTL_SECS).contains(&ttl_secs) {
        return Err(AuthError::Invalid(format!(
            "a token lives between 1 second and {} hours",
            MAX_TTL_SECS / 3600
        )));
    }
    let claims = Claims {
        sub: agent.to_string(),
        role,
        iss: ISSUER.into(),
        iat: now.as_second(),
        exp: now.as_second() + ttl_secs,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| AuthError::Invalid(e.to_string()))
}

/// What is wrong with a token, in words a person acts on (jsonwebtoken says `InvalidToken`).
fn in_words(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            "the token is not a JWT (three base64url parts: header.claims.signature); mint one with `care token --agent ID`".into()
        }
        ErrorKind::InvalidSignature => {
            "the token's signature does not match: it was signed with another secret than this server's".into()
        }
        ErrorKind::ExpiredSignature => "the token has expired: mint a new one".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (its `nbf` is in the future)".into(),
        ErrorKind::InvalidIssuer => format!("the token was issued by someone else (`iss` must be `{ISSUER}`)"),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "the token is not signed with HS256".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        _ => format!("the token cannot be used ({e})"),
    }
}

/// Checks an `Authorization` header value and returns who the token names (the caller's
/// authority is then the agent store's: see the module doc).
pub fn verify(secret: &[u8], authorization: Option<&str>) -> Result<Verified, AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| AuthError::Invalid("expected `Bearer <token>`".into()))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "iat"]);
    validation.leeway = LEEWAY_SECS;
    let data = jsonwebtoken::decode::<Claims>(token.trim(), &DecodingKey::from_secret(secret), &validation)
        .map_err(|e| AuthError::Invalid(in_words(&e)))?;
    let claims = data.claims;
    if claims.exp - claims.iat > MAX_TTL_SECS {
        return Err(AuthError::Invalid(format!(
            "the token lives longer than {} hours",
            MAX_TTL_SECS / 3600
        )));
    }
    let issued_at = Timestamp::from_second(claims.iat).map_err(|e| AuthError::Invalid(format!("iat: {e}")))?;
    let agent_id = AgentId::parse(claims.sub).map_err(|e| AuthError::Invalid(e.to_string()))?;
    Ok(Verified {
        principal: Principal {
            agent_id,
            role: claims.role,
        },
        issued_at,
    })
}

/// Whether Cognito's `cognito:groups` claim names `group` exactly. API Gateway passes the list
/// as a string (`[supervisors agents]`) or, from other authorizers, as a JSON array.
pub fn in_group(groups: &str, group: &str) -> bool {
    let inner = groups.trim().trim_start_matches('[').trim_end_matches(']');
    if let Ok(list) = serde_json::from_str::<Vec<String>>(groups) {
        return list.iter().any(|g| g == group);
    }
    inner
        .split([' ', ','])
        .map(|g| g.trim().trim_matches('"'))
        .any(|g| g == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let now = Timestamp::now();
        let ana = AgentId::parse("ana").unwrap_or_else(|_| unreachable!());
        let token = mint(b"s3cret", &ana, Role::Supervisor, now, 60).unwrap_or_default();
        let who = verify(b"s3cret", Some(&format!("Bearer {token}")))
            .unwrap_or_else(|e| panic!("{e}"))
            .principal;
        assert_eq!(who.agent_id, ana);
        assert!(who.is_supervisor());
        assert_eq!(verify(b"s3cret", None), Err(AuthError::Missing));
        assert!(verify(b"other", Some(&format!("Bearer {token}"))).is_err(), "wrong key");
        assert!(verify(b"s3cret", Some(&token)).is_err(), "no Bearer prefix");
        let expired = mint(
            b"s3cret",
            &ana,
            Role::Agent,
            now - jiff::SignedDuration::from_hours(2),
            60,
        )
        .unwrap_or_default();
        assert!(
            verify(b"s3cret", Some(&format!("Bearer {expired}"))).is_err(),
            "expired"
        );
        let none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbmEifQ.";
        assert!(
            verify(b"s3cret", Some(&format!("Bearer {none_alg}"))).is_err(),
            "alg none"
        );
    }

    fn forged(secret: &[u8], iat: i64, exp: i64) -> String {
        let claims = Claims {
            sub: "ana".into(),
            role: Role::Agent,
            iss: ISSUER.into(),
            iat,
            exp,
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap_or_default()
    }

    #[test]
    fn lifetime_is_bounded_and_leeway_small() {
        let now = Timestamp::now().as_second();
        let key = b"a-key-of-thirty-two-bytes-or-more!!";
        let check = |t: String| verify(key, Some(&format!("Bearer {t}")));
        assert!(check(forged(key, now, now + MAX_TTL_SECS)).is_ok());
        assert!(check(forged(key, now, now + MAX_TTL_SECS + 1)).is_err(), "over the cap");
        assert!(check(forged(key, now - 3600, now - 30)).is_err(), "expired 30 s ago");
        assert!(check(forged(key, now - 3600, now - 2)).is_ok(), "2 s of skew");
        let ana = AgentId::parse("ana").unwrap_or_else(|_| unreachable!());
        assert!(mint(key, &ana, Role::Agent, Timestamp::now(), MAX_TTL_SECS + 1).is_err());
        assert!(mint(key, &ana, Role::Agent, Timestamp::now(), 0).is_err());
    }

    #[test]
    fn weak_secrets_are_named_and_refused() {
        assert!(check_secret("CARE_JWT_SECRET", b"change-me").is_err_and(|e| e.contains("CARE_JWT_SECRET")));
        assert!(check_secret("K", b"short-but-random-x7Q").is_err_and(|e| e.contains("at least 32")));
        assert!(check_secret("K", &[b'a'; 40]).is_err());
        assert!(check_secret("K", b"c2VjcmV0LWJ1dC1sb25nZXItdGhhbi0zMi1ieXRlcw==").is_ok());
    }

    #[test]
    fn groups_match_exactly() {
        assert!(in_group("[supervisors agents]", "supervisors"));
        assert!(in_group(r#"["agents","supervisors"]"#, "supervisors"));
        assert!(in_group("supervisors", "supervisors"));
        assert!(!in_group("[not-supervisors]", "supervisors"));
        assert!(!in_group("[supervisors-readonly agents]", "supervisors"));
        assert!(!in_group(r#"["xsupervisors"]"#, "supervisors"));
        assert!(!in_group("", "supervisors"));
    }
}
