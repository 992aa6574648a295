//! Agent tokens: HS256 JWTs with the agent id in `sub` and the role in `role`.
//!
//! Locally `care token` mints them with `CARE_JWT_SECRET`; on AWS the HTTP API's JWT authorizer
//! checks Cognito tokens and the function reads the same claims.

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use socialcare_domain::services::desk::Principal;
use socialcare_domain::{AgentId, Role};

pub const ISSUER: &str = "socialcare";

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

/// Mints a token for `agent` valid for `ttl_secs`.
pub fn mint(secret: &[u8], agent: &AgentId, role: Role, now: Timestamp, ttl_secs: i64) -> Result<String, AuthError> {
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

/// Checks an `Authorization` header value and returns who is calling.
pub fn verify(secret: &[u8], authorization: Option<&str>) -> Result<Principal, AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| AuthError::Invalid("expected `Bearer <token>`".into()))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    let data = jsonwebtoken::decode::<Claims>(token.trim(), &DecodingKey::from_secret(secret), &validation)
        .map_err(|e| AuthError::Invalid(in_words(&e)))?;
    let agent_id = AgentId::parse(data.claims.sub).map_err(|e| AuthError::Invalid(e.to_string()))?;
    Ok(Principal {
        agent_id,
        role: data.claims.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let now = Timestamp::now();
        let ana = AgentId::parse("ana").unwrap_or_else(|_| unreachable!());
        let token = mint(b"s3cret", &ana, Role::Supervisor, now, 60).unwrap_or_default();
        let who = verify(b"s3cret", Some(&format!("Bearer {token}"))).unwrap_or_else(|e| panic!("{e}"));
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
}
