//! Our accounts on the platforms: which X users, Facebook pages and Instagram professional
//! accounts are the brand's, and for each the NAMES of the environment variables that hold its
//! secrets (never the secrets). Several accounts per platform (a brand handle, a support handle).
//!
//! In the configuration file (TOML shown; any serde format works):
//! ```toml
//! [[channels.x]]
//! name = "brand"
//! user_id = "1111111111111111111"      # a string or an integer
//! handle = "ExampleBrand"
//! consumer_secret_env = "CARE_X_CONSUMER_SECRET"
//! access_token_env = "CARE_X_BRAND_TOKEN"      # optional: without it, no replies from this account
//!
//! [[channels.facebook]]
//! name = "brand-page"
//! page_id = "1234567890321"
//! app_secret_env = "CARE_META_APP_SECRET"
//! verify_token_env = "CARE_META_VERIFY_TOKEN"
//! access_token_env = "CARE_FB_PAGE_TOKEN"      # page token: comment replies and Messenger
//!
//! [[channels.instagram]]
//! name = "brand-ig"
//! account_id = "17841400000000001"
//! app_secret_env = "CARE_META_APP_SECRET"
//! verify_token_env = "CARE_META_VERIFY_TOKEN"
//! access_token_env = "CARE_IG_TOKEN"
//! ```

use serde::{Deserialize, Deserializer};

/// An id written as a string or an integer in the configuration.
fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        U(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s.trim().to_string(),
        Id::U(u) => u.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XAccount {
    pub name: String,
    #[serde(deserialize_with = "id_string")]
    pub user_id: String,
    /// The handle without `@`.
    pub handle: String,
    /// Env var holding the app's consumer secret (CRC and `x-twitter-webhooks-signature`).
    pub consumer_secret_env: String,
    /// Env var holding the OAuth 2.0 user access token used to post replies and DMs.
    #[serde(default)]
    pub access_token_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageAccount {
    pub name: String,
    #[serde(deserialize_with = "id_string")]
    pub page_id: String,
    /// Env var holding the Meta app secret (`X-Hub-Signature-256`).
    pub app_secret_env: String,
    /// Env var holding the verify token of the `hub.challenge` handshake.
    pub verify_token_env: String,
    /// Env var holding the page access token (comment replies, Messenger Send API).
    #[serde(default)]
    pub access_token_env: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstagramAccount {
    pub name: String,
    /// The Instagram professional account id (`entry[].id` of `object: instagram`).
    #[serde(deserialize_with = "id_string")]
    pub account_id: String,
    pub app_secret_env: String,
    pub verify_token_env: String,
    #[serde(default)]
    pub access_token_env: Option<String>,
}

/// Every account the brand owns, per platform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    #[serde(default)]
    pub x: Vec<XAccount>,
    #[serde(default)]
    pub facebook: Vec<PageAccount>,
    #[serde(default)]
    pub instagram: Vec<InstagramAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    #[error("channels.{platform}[{index}].{key} is empty")]
    Empty {
        platform: &'static str,
        index: usize,
        key: &'static str,
    },
    #[error("channels.{platform}: id `{id}` is listed twice")]
    Duplicate { platform: &'static str, id: String },
    #[error("environment variable {0} (named in channels) is not set")]
    MissingEnv(String),
    #[error("environment variable {0}: at least 32 bytes (use e.g. `openssl rand -base64 48`)")]
    WeakKey(String),
}

/// The secrets' values the webhook routes need, read once at start.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    /// Distinct X consumer secrets, in configuration order (the first answers the CRC).
    pub x_consumer: Vec<String>,
    /// Distinct Meta app secrets.
    pub meta_app: Vec<String>,
    /// Distinct Meta verify tokens.
    pub meta_verify: Vec<String>,
    /// Keys that sign the brand's referral refs (`CARE_REFERRAL_KEY`; none: no referral links
    /// anyone). See [`crate::referral`].
    pub referral: Vec<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("x_consumer", &self.x_consumer.len())
            .field("meta_app", &self.meta_app.len())
            .field("meta_verify", &self.meta_verify.len())
            .field("referral", &self.referral.len())
            .finish()
    }
}

fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

impl Accounts {
    /// Checks ids and env names: non-empty, no id twice on one platform.
    pub fn validate(&self) -> Result<(), AccountsError> {
        fn need(platform: &'static str, index: usize, key: &'static str, v: &str) -> Result<(), AccountsError> {
            if v.trim().is_empty() {
                Err(AccountsError::Empty { platform, index, key })
            } else {
                Ok(())
            }
        }
        fn unique<'a>(platform: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<(), AccountsError> {
            let mut seen: Vec<&str> = Vec::new();
            for id in ids {
                if seen.contains(&id) {
                    return Err(AccountsError::Duplicate {
                        platform,
                        id: id.to_string(),
                    });
                }
                seen.push(id);
            }
            Ok(())
        }
        for (i, a) in self.x.iter().enumerate() {
            need("x", i, "name", &a.name)?;
            need("x", i, "user_id", &a.user_id)?;
            need("x", i, "handle", &a.handle)?;
            need("x", i, "consumer_secret_env", &a.consumer_secret_env)?;
        }
        for (i, a) in self.facebook.iter().enumerate() {
            need("facebook", i, "name", &a.name)?;
            need("facebook", i, "page_id", &a.page_id)?;
            need("facebook", i, "app_secret_env", &a.app_secret_env)?;
            need("facebook", i, "verify_token_env", &a.verify_token_env)?;
        }
        for (i, a) in self.instagram.iter().enumerate() {
            need("instagram", i, "name", &a.name)?;
            need("instagram", i, "account_id", &a.account_id)?;
            need("instagram", i, "app_secret_env", &a.app_secret_env)?;
            need("instagram", i, "verify_token_env", &a.verify_token_env)?;
        }
        unique("x", self.x.iter().map(|a| a.user_id.as_str()))?;
        unique("facebook", self.facebook.iter().map(|a| a.page_id.as_str()))?;
        unique("instagram", self.instagram.iter().map(|a| a.account_id.as_str()))?;
        Ok(())
    }

    /// Our X account with this user id.
    pub fn x_account(&self, user_id: &str) -> Option<&XAccount> {
        self.x.iter().find(|a| a.user_id == user_id)
    }

    /// Our X account with this handle (case-insensitive, `@` optional).
    pub fn x_account_by_handle(&self, handle: &str) -> Option<&XAccount> {
        let h = handle.trim_start_matches('@');
        self.x.iter().find(|a| a.handle.eq_ignore_ascii_case(h))
    }

    pub fn page(&self, page_id: &str) -> Option<&PageAccount> {
        self.facebook.iter().find(|a| a.page_id == page_id)
    }

    pub fn instagram_account(&self, account_id: &str) -> Option<&InstagramAccount> {
        self.instagram.iter().find(|a| a.account_id == account_id)
    }

    /// Env names of the X consumer secrets, each once, in configuration order.
    pub fn x_consumer_secret_envs(&self) -> Vec<&str> {
        distinct(self.x.iter().map(|a| a.consumer_secret_env.as_str()))
    }

    /// Env names of the Meta app secrets (pages and Instagram), each once.
    pub fn meta_app_secret_envs(&self) -> Vec<&str> {
        distinct(
            self.facebook
                .iter()
                .map(|a| a.app_secret_env.as_str())
                .chain(self.instagram.iter().map(|a| a.app_secret_env.as_str())),
        )
    }

    /// Env names of the Meta verify tokens, each once.
    pub fn meta_verify_token_envs(&self) -> Vec<&str> {
        distinct(
            self.facebook
                .iter()
                .map(|a| a.verify_token_env.as_str())
                .chain(self.instagram.iter().map(|a| a.verify_token_env.as_str())),
        )
    }

    /// Every account as channel health names it: (platform, our account id). A Facebook page
    /// covers Messenger too (one page, one token).
    pub fn health_accounts(&self) -> Vec<(String, String)> {
        let x = self.x.iter().map(|a| ("x".to_string(), a.user_id.clone()));
        let fb = self
            .facebook
            .iter()
            .map(|a| ("facebook".to_string(), a.page_id.clone()));
        let ig = self
            .instagram
            .iter()
            .map(|a| ("instagram".to_string(), a.account_id.clone()));
        x.chain(fb).chain(ig).collect()
    }

    /// The Instagram accounts' access token names, each once: what classify reads to fetch
    /// mentions' text.
    pub fn instagram_token_envs(&self) -> Vec<&str> {
        distinct(self.instagram.iter().filter_map(|a| a.access_token_env.as_deref()))
    }

    /// Every secret name the accounts refer to (webhook secrets and access tokens), each once:
    /// what a function must read before it can build `webhook_secrets` or the senders.
    pub fn secret_envs(&self) -> Vec<&str> {
        let tokens = self
            .x
            .iter()
            .filter_map(|a| a.access_token_env.as_deref())
            .chain(self.facebook.iter().filter_map(|a| a.access_token_env.as_deref()))
            .chain(self.instagram.iter().filter_map(|a| a.access_token_env.as_deref()));
        distinct(
            self.x_consumer_secret_envs()
                .into_iter()
                .chain(self.meta_app_secret_envs())
                .chain(self.meta_verify_token_envs())
                .chain(tokens),
        )
    }

    /// Reads the webhook secrets through `secret_of` (env locally, SSM/Secrets Manager on AWS).
    /// Fails naming the first variable that is not set.
    pub fn webhook_secrets(&self, secret_of: impl Fn(&str) -> Option<String>) -> Result<WebhookSecrets, AccountsError> {
        let read = |names: Vec<&str>| -> Result<Vec<String>, AccountsError> {
            names
                .into_iter()
                .map(|n| {
                    secret_of(n)
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| AccountsError::MissingEnv(n.to_string()))
                })
                .collect()
        };
        let (x_consumer, meta_app, meta_verify) = (
            read(self.x_consumer_secret_envs())?,
            read(self.meta_app_secret_envs())?,
            read(self.meta_verify_token_envs())?,
        );
        // Optional: without it, no referral links anyone.
        let referral: Vec<String> = secret_of(crate::referral::KEY_ENV)
            .into_iter()
            .filter(|k| !k.is_empty())
            .collect();
        if referral.iter().any(|k| k.len() < crate::referral::MIN_KEY_BYTES) {
            return Err(AccountsError::WeakKey(crate::referral::KEY_ENV.to_string()));
        }
        Ok(WebhookSecrets {
            x_consumer,
            meta_app,
            meta_verify,
            referral,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Accounts {
        serde_json::from_value(serde_json::json!({
            "x": [
                {"name": "brand", "user_id": "1111", "handle": "ExampleBrand", "consumer_secret_env": "X_SECRET", "access_token_env": "X_TOKEN"},
                {"name": "support", "user_id": 2222, "handle": "ExampleHelp", "consumer_secret_env": "X_SECRET"}
            ],
            "facebook": [{"name": "page", "page_id": 1234, "app_secret_env": "META_SECRET", "verify_token_env": "META_VERIFY"}],
            "instagram": [{"name": "ig", "account_id": "1784", "app_secret_env": "META_SECRET", "verify_token_env": "IG_VERIFY"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_and_looks_up() {
        let a = sample();
        assert!(a.validate().is_ok());
        assert_eq!(a.x_account("2222").map(|x| x.name.as_str()), Some("support"));
        assert_eq!(
            a.x_account_by_handle("@examplebrand").map(|x| x.user_id.as_str()),
            Some("1111")
        );
        assert!(a.page("1234").is_some());
        assert!(a.instagram_account("1784").is_some());
        assert_eq!(a.x_consumer_secret_envs(), vec!["X_SECRET"]);
        assert_eq!(a.meta_app_secret_envs(), vec!["META_SECRET"]);
        assert_eq!(a.meta_verify_token_envs(), vec!["META_VERIFY", "IG_VERIFY"]);
    }

    #[test]
    fn unknown_keys_and_duplicates_are_refused() {
        let bad: Result<Accounts, _> = serde_json::from_str(
            r#"{"x":[{"name":"a","user_id":"1","handle":"h","consumer_secret_env":"S","secret":"oops"}]}"#,
        );
        assert!(bad.is_err());
        let mut a = sample();
        a.x[1].user_id = "1111".into();
        assert_eq!(
            a.validate(),
            Err(AccountsError::Duplicate {
                platform: "x",
                id: "1111".into()
            })
        );
        let mut a = sample();
        a.facebook[0].verify_token_env = " ".into();
        assert!(matches!(
            a.validate(),
            Err(AccountsError::Empty {
                key: "verify_token_env",
                ..
            })
        ));
    }

    #[test]
    fn webhook_secrets_name_the_missing_variable() {
        let a = sample();
        let got = a.webhook_secrets(|n| (n != "IG_VERIFY").then(|| format!("v-{n}")));
        assert_eq!(got.err(), Some(AccountsError::MissingEnv("IG_VERIFY".into())));
        let weak = a.webhook_secrets(|n| Some(format!("v-{n}")));
        assert_eq!(weak.err(), Some(AccountsError::WeakKey("CARE_REFERRAL_KEY".into())));
        let ok = a
            .webhook_secrets(|n| (n != "CARE_REFERRAL_KEY").then(|| format!("v-{n}")))
            .unwrap_or_default();
        assert!(ok.referral.is_empty());
        assert_eq!(ok.x_consumer, vec!["v-X_SECRET"]);
        assert_eq!(ok.meta_verify.len(), 2);
        assert!(!format!("{ok:?}").contains("v-"), "Debug never prints secrets");
    }
}
