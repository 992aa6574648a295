//! Shared test helpers: the project's fixture accounts and fixture loading.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use socialcare_channels::accounts::Accounts;
use std::path::PathBuf;

/// The accounts the fixtures under `events/x` and `events/meta` are written for.
pub fn project_accounts() -> Accounts {
    serde_json::from_value(serde_json::json!({
        "x": [
            {"name": "brand", "user_id": "1580000000000000001", "handle": "AcmeCare",
             "consumer_secret_env": "CARE_X_CONSUMER_SECRET", "access_token_env": "CARE_X_BRAND_TOKEN"},
            {"name": "help", "user_id": "1580000000000000002", "handle": "AcmeHelp",
             "consumer_secret_env": "CARE_X_CONSUMER_SECRET", "access_token_env": "CARE_X_HELP_TOKEN"}
        ],
        "facebook": [
            {"name": "acme", "page_id": "104000000000001", "app_secret_env": "CARE_META_APP_SECRET",
             "verify_token_env": "CARE_META_VERIFY_TOKEN", "access_token_env": "CARE_FB_PAGE_TOKEN"}
        ],
        "instagram": [
            {"name": "acme-ig", "account_id": "17841400000000777", "app_secret_env": "CARE_META_APP_SECRET",
             "verify_token_env": "CARE_META_VERIFY_TOKEN", "access_token_env": "CARE_IG_TOKEN"}
        ]
    }))
    .unwrap()
}

pub fn events_dir(platform: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(platform)
}

/// `(file name, bytes)` of every `*.json` in a folder, sorted by name.
pub fn json_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_795_500_000).unwrap()
}
