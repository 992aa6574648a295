//! Conditional requests for the console's polling: a weak ETag on lists (`If-None-Match` answers
//! 304 with no body when nothing the caller sees has changed) and `If-Match` on replies (412 when
//! the case moved on since the page loaded it).
//!
//! The tag is a hash of what identifies each item's state (a case's id and version, an alert's id
//! and acknowledgement), never of derived fields such as the time left, which change every
//! millisecond without anything having happened.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use socialcare_domain::ids::stable_hash;

/// `W/"<hash>"` over each item's (id, state).
pub fn tag<'a>(items: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let items: Vec<(&str, String)> = items.into_iter().collect();
    let parts: Vec<&str> = items.iter().flat_map(|(id, state)| [*id, state.as_str()]).collect();
    format!("W/\"{}\"", stable_hash(&parts))
}

/// 304 when `If-None-Match` names `etag` (or `*`), else `body`; either way with the ETag.
pub fn respond(headers: &HeaderMap, etag: &str, body: impl FnOnce() -> Response) -> Response {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t == etag || t.strip_prefix("W/") == etag.strip_prefix("W/")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body()
    };
    if let Ok(v) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    // Polled lists must not be served from a cache without asking.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The case version an `If-Match` header asks for: `"7"`, `W/"7"` or `7`; `None` without the
/// header; an error for anything else.
pub fn if_match_version(headers: &HeaderMap) -> Result<Option<u64>, String> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = v.to_str().map_err(|_| "If-Match is not text".to_string())?.trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    raw.parse::<u64>()
        .map(Some)
        .map_err(|_| format!("If-Match `{raw}` is not a case version (the `version` of GET /v1/cases/{{id}})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            name,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        h
    }

    #[test]
    fn same_parts_same_tag_and_a_match_is_not_modified() {
        let one = |id: &'static str, v: &str| [(id, v.to_string())];
        let a = tag(one("case-1", "3"));
        assert_eq!(a, tag(one("case-1", "3")));
        assert_ne!(a, tag(one("case-1", "4")));
        assert_ne!(tag(one("ab", "c")), tag(one("a", "bc")));
        let fresh = respond(&HeaderMap::new(), &a, || StatusCode::OK.into_response());
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(fresh.headers()[header::ETAG], a.as_str());
        let same = respond(&headers(header::IF_NONE_MATCH, &a), &a, || {
            StatusCode::OK.into_response()
        });
        assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
        let other = respond(&headers(header::IF_NONE_MATCH, "W/\"x\""), &a, || {
            StatusCode::OK.into_response()
        });
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[test]
    fn if_match_reads_a_version_in_any_usual_spelling() {
        assert_eq!(if_match_version(&HeaderMap::new()), Ok(None));
        for v in ["7", "\"7\"", "W/\"7\""] {
            assert_eq!(if_match_version(&headers(header::IF_MATCH, v)), Ok(Some(7)), "{v}");
        }
        assert!(if_match_version(&headers(header::IF_MATCH, "abc")).is_err());
    }
}
