//! Conformance with what the platforms really send: walks the reference payloads at
//! `../shared/fixtures/webhooks/{x,facebook,messenger,instagram}` (relative to the repository)
//! when that folder exists. Each file must parse into posts or be explicitly ignored with a
//! reason; none may error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use socialcare_channels::accounts::Accounts;
use socialcare_channels::{meta, x};
use std::path::PathBuf;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/webhooks")
}

/// The account ids the reference payloads are addressed to, declared ours.
fn reference_accounts() -> Accounts {
    let x = [
        "4337869213",
        "2244994945",
        "930524282358325248",
        "63046977",
        "1111111111111111111",
    ];
    let pages = ["1234567890321", "12345654332"];
    let ig = ["17841452691600098", "17841400000000001", "0"];
    serde_json::from_value(serde_json::json!({
        "x": x.iter().enumerate().map(|(i, id)| serde_json::json!({
            "name": format!("x{i}"), "user_id": id, "handle": format!("h{i}"), "consumer_secret_env": "S"})).collect::<Vec<_>>(),
        "facebook": pages.iter().enumerate().map(|(i, id)| serde_json::json!({
            "name": format!("p{i}"), "page_id": id, "app_secret_env": "A", "verify_token_env": "V"})).collect::<Vec<_>>(),
        "instagram": ig.iter().enumerate().map(|(i, id)| serde_json::json!({
            "name": format!("i{i}"), "account_id": id, "app_secret_env": "A", "verify_token_env": "V"})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

#[test]
fn reference_payloads_parse_or_are_ignored_with_a_reason() {
    let root = reference_dir();
    if !root.is_dir() {
        eprintln!("skipped: {} is not here", root.display());
        return;
    }
    let accounts = reference_accounts();
    let now = common::now();
    let (mut files, mut posts, mut ignored) = (0, 0, 0);
    for platform in ["x", "facebook", "messenger", "instagram"] {
        let dir = root.join(platform);
        if !dir.is_dir() {
            continue;
        }
        for (name, body) in common::json_files(&dir) {
            let parsed = match platform {
                "x" => x::parse(&body, &accounts, now),
                _ => meta::parse(&body, &accounts, now),
            }
            .unwrap_or_else(|e| panic!("{platform}/{name}: {e}"));
            assert!(!parsed.is_empty(), "{platform}/{name}: neither parsed nor ignored");
            for i in &parsed.ignored {
                assert!(!i.kind.is_empty() && !i.reason.is_empty(), "{platform}/{name}: {i:?}");
                assert!(!i.reason.starts_with("malformed:"), "{platform}/{name}: {i:?}");
            }
            // Every signature scheme holds over the file's raw bytes.
            let ok = match platform {
                "x" => x::verify_signature(b"k", Some(&x::sign(b"k", &body)), &body),
                _ => meta::verify_signature(b"k", Some(&meta::sign(b"k", &body)), &body),
            };
            assert_eq!(ok, Ok(()), "{platform}/{name}");
            files += 1;
            posts += parsed.events.len();
            ignored += parsed.ignored.len();
        }
    }
    eprintln!("conformance: {files} files, {posts} post changes, {ignored} ignored");
    assert!(
        files >= 60,
        "the reference folder holds the platforms' payloads ({files})"
    );
    assert!(posts >= 35, "most reference payloads are posts ({posts})");
}
