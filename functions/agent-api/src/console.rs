//! The web console's static files under `/console` (the page itself talks only to `/v1`).
//!
//! Served from a folder (`care serve`: `console/dist`, read per request so a rebuild shows at
//! once) or from files embedded at build time (the Lambda, built with `CARE_CONSOLE_DIST` set).
//! Every answer carries a Content-Security-Policy without `unsafe-inline`: the page's only
//! script and style are files of its own origin.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;
use socialcare_kit::problem::Problem;
use std::path::PathBuf;
use std::sync::Arc;

/// The console compiled into this binary (empty unless built with `CARE_CONSOLE_DIST`).
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// The console of the Lambda: the embedded files, and Cognito's hosted sign-in when the
/// template gave its domain and client (`CARE_COGNITO_DOMAIN`, `CARE_COGNITO_CLIENT_ID`).
pub fn from_lambda_env(var: impl Fn(&str) -> Option<String>) -> (Option<Assets>, ConsoleConfig) {
    let assets = (!embedded::FILES.is_empty()).then_some(Assets::Embedded(embedded::FILES));
    let cognito = match (var("CARE_COGNITO_DOMAIN"), var("CARE_COGNITO_CLIENT_ID")) {
        (Some(domain), Some(client_id)) if !domain.is_empty() && !client_id.is_empty() => {
            Some(Cognito { domain, client_id })
        }
        _ => None,
    };
    (
        assets,
        ConsoleConfig {
            dev_sign_in: false,
            cognito,
        },
    )
}

/// Where the built console comes from.
#[derive(Clone, Debug)]
pub enum Assets {
    /// A folder with `index.html` (read at request time).
    Dir(PathBuf),
    /// Files compiled into the binary: (name, bytes).
    Embedded(&'static [(&'static str, &'static [u8])]),
}

/// Cognito's hosted sign-in (authorization code with PKCE) on AWS.
#[derive(Clone, Debug, Serialize)]
pub struct Cognito {
    /// `https://<prefix>.auth.<region>.amazoncognito.com`
    pub domain: String,
    pub client_id: String,
}

/// What the page needs to know before it can sign in: `GET /console/config.json`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct ConsoleConfig {
    /// `care serve --dev-sign-in`: the page offers `POST /dev/sign-in` (local only).
    pub dev_sign_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cognito: Option<Cognito>,
}

#[derive(Clone)]
struct Console {
    assets: Option<Assets>,
    config: Arc<ConsoleConfig>,
    csp: HeaderValue,
}

/// The console routes. `assets: None` answers a 404 problem saying how to build the console.
pub fn router(assets: Option<Assets>, config: ConsoleConfig) -> Router {
    let csp = HeaderValue::from_str(&content_security_policy(&config))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let state = Console {
        assets,
        config: Arc::new(config),
        csp,
    };
    Router::new()
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(index))
        .route("/console/config.json", get(config_json))
        .route("/console/{*file}", get(file))
        .with_state(state)
}

/// Scripts, styles and fetches only from our origin (and the token endpoint of Cognito).
pub fn content_security_policy(config: &ConsoleConfig) -> String {
    let connect = match &config.cognito {
        Some(c) => format!("'self' {}", c.domain.trim_end_matches('/')),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src {connect}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

async fn index(State(c): State<Console>) -> Response {
    serve(&c, "index.html")
}

async fn config_json(State(c): State<Console>) -> Response {
    with_headers(&c, axum::Json(c.config.as_ref().clone()).into_response(), "no-store")
}

async fn file(State(c): State<Console>, Path(name): Path<String>) -> Response {
    serve(&c, &name)
}

fn serve(c: &Console, name: &str) -> Response {
    let Some(assets) = &c.assets else {
        return Problem::not_found(
            "the console is not built: run `make console` (npm ci and npm run build in console/), then reload",
        )
        .into_response();
    };
    // Plain relative names only: no `..`, no hidden files, no absolute paths.
    let plain = !name.is_empty()
        && name
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.contains('\\'));
    if !plain {
        return Problem::not_found("no such file").into_response();
    }
    let bytes = match assets {
        Assets::Dir(dir) => std::fs::read(dir.join(name)).ok(),
        Assets::Embedded(files) => files.iter().find(|(n, _)| *n == name).map(|(_, b)| b.to_vec()),
    };
    match bytes {
        None if name == "index.html" => Problem::not_found(
            "the console is not built: run `make console` (npm ci and npm run build in console/), then reload",
        )
        .into_response(),
        None => Problem::not_found("no such file").into_response(),
        Some(bytes) => {
            let cache = if name == "index.html" {
                "no-cache"
            } else {
                "no-cache, max-age=0"
            };
            let response = (StatusCode::OK, [(header::CONTENT_TYPE, content_type(name))], bytes).into_response();
            with_headers(c, response, cache)
        }
    }
}

fn with_headers(c: &Console, mut response: Response, cache: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, c.csp.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let r = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        let (parts, body) = r.into_parts();
        let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
        (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
    }

    static FILES: &[(&str, &[u8])] = &[("index.html", b"<h1>console</h1>"), ("app.js", b"1")];

    #[tokio::test]
    async fn serves_files_with_a_strict_policy_and_nothing_outside() {
        let app = router(Some(Assets::Embedded(FILES)), ConsoleConfig::default());
        let (status, headers, body) = get(&app, "/console/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "<h1>console</h1>");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let (status, headers, _) = get(&app, "/console/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        for bad in [
            "/console/../Cargo.toml",
            "/console/.env",
            "/console/a//b",
            "/console/nope.js",
        ] {
            let (status, headers, _) = get(&app, bad).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{bad}");
        }
        let (status, _, _) = get(&app, "/console").await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    }

    #[test]
    fn the_lambda_offers_cognito_only_when_both_settings_are_there() {
        let (_, config) = from_lambda_env(|k| match k {
            "CARE_COGNITO_DOMAIN" => Some("https://x.auth.eu-west-1.amazoncognito.com".into()),
            "CARE_COGNITO_CLIENT_ID" => Some("abc".into()),
            _ => None,
        });
        assert!(config.cognito.is_some() && !config.dev_sign_in);
        let (_, config) = from_lambda_env(|k| (k == "CARE_COGNITO_CLIENT_ID").then(|| "abc".to_string()));
        assert!(config.cognito.is_none());
    }

    #[tokio::test]
    async fn a_missing_build_says_how_to_make_it() {
        let app = router(None, ConsoleConfig::default());
        let (status, _, body) = get(&app, "/console/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("make console"), "{body}");
        let dir = router(
            Some(Assets::Dir(PathBuf::from("/nonexistent-console"))),
            ConsoleConfig::default(),
        );
        let (status, _, body) = get(&dir, "/console/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("make console"), "{body}");
    }

    #[tokio::test]
    async fn config_names_the_sign_in_and_the_policy_allows_its_token_endpoint() {
        let config = ConsoleConfig {
            dev_sign_in: false,
            cognito: Some(Cognito {
                domain: "https://care.auth.eu-west-1.amazoncognito.com".into(),
                client_id: "abc".into(),
            }),
        };
        let app = router(None, config);
        let (status, headers, body) = get(&app, "/console/config.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"client_id\":\"abc\""), "{body}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap_or_default();
        assert!(
            csp.contains("connect-src 'self' https://care.auth.eu-west-1.amazoncognito.com"),
            "{csp}"
        );
    }
}
