//! The reply sender for X, Facebook, Instagram and Messenger: picks the account's token and the
//! right request for the reply, and answers with the platform id of what was sent.
//!
//! Which request (the reply carries the channel, our account and the customer's platform id):
//! - X: `in_reply_to` = `dm:<id>` → a DM to the customer (`x:<user id>`); else a post in reply.
//! - Facebook: a comment under `in_reply_to` (the customer's comment or post).
//! - Messenger: a Send API message to the customer's PSID (`messenger:<psid>`).
//! - Instagram: `in_reply_to` = `dm:<mid>` (or none) → a Send API message to the IGSID;
//!   else a reply under the comment.
//!
//! Tokens are read once at start from the env names in [`Accounts`]; an account without
//! `access_token_env` cannot reply (a permanent failure, shown on the case).

use crate::accounts::{Accounts, AccountsError};
use crate::parsed::DM_PREFIX;
use crate::retry::RetryPolicy;
use crate::send_meta::{GRAPH_API, GraphClient};
use crate::send_x::{X_API, XClient};
use async_trait::async_trait;
use socialcare_domain::Channel;
use socialcare_domain::ports::{OutboundReply, ReplySender, SendError};
use std::collections::HashMap;

/// Where the platform APIs are (the real ones by default; a fake in tests and local runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub x_api: String,
    /// With the version: `https://graph.facebook.com/v21.0`.
    pub graph_api: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            x_api: X_API.to_string(),
            graph_api: GRAPH_API.to_string(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Platform {
    X,
    Page,
    Instagram,
}

/// Sends agents' replies to X, Facebook, Instagram and Messenger.
#[derive(Clone)]
pub struct PlatformSenders {
    x: XClient,
    graph: GraphClient,
    /// (platform, account id or name) → access token.
    tokens: HashMap<(Platform, String), String>,
}

impl std::fmt::Debug for PlatformSenders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSenders")
            .field("x", &self.x)
            .field("graph", &self.graph)
            .field("accounts_with_tokens", &self.tokens.len())
            .finish()
    }
}

impl PlatformSenders {
    /// Reads each account's access token through `secret_of`; fails naming a variable that an
    /// account names but that is not set.
    pub fn new(
        client: reqwest::Client,
        endpoints: &Endpoints,
        accounts: &Accounts,
        secret_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, AccountsError> {
        let mut tokens = HashMap::new();
        let mut add = |platform: Platform, ids: [&str; 2], env: &Option<String>| -> Result<(), AccountsError> {
            let Some(env) = env else { return Ok(()) };
            let token = secret_of(env)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| AccountsError::MissingEnv(env.clone()))?;
            for id in ids {
                tokens
                    .entry((platform, id.to_string()))
                    .or_insert_with(|| token.clone());
            }
            Ok(())
        };
        for a in &accounts.x {
            add(Platform::X, [&a.user_id, &a.name], &a.access_token_env)?;
        }
        for a in &accounts.facebook {
            add(Platform::Page, [&a.page_id, &a.name], &a.access_token_env)?;
        }
        for a in &accounts.instagram {
            add(Platform::Instagram, [&a.account_id, &a.name], &a.access_token_env)?;
        }
        Ok(Self {
            x: XClient::new(client.clone(), &endpoints.x_api),
            graph: GraphClient::new(client, &endpoints.graph_api),
            tokens,
        })
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.x = self.x.with_policy(policy);
        self.graph = self.graph.with_policy(policy);
        self
    }

    fn token(&self, platform: Platform, reply: &OutboundReply) -> Result<&str, SendError> {
        self.tokens
            .get(&(platform, reply.account.clone()))
            .map(String::as_str)
            .ok_or_else(|| {
                SendError::Permanent(format!(
                    "no access token configured for {} account `{}`",
                    reply.channel, reply.account
                ))
            })
    }

    /// The customer's platform user id from the recipient's author id (`messenger:<psid>`).
    fn recipient(reply: &OutboundReply, family: &str) -> Result<String, SendError> {
        let id = reply.recipient.id.as_str();
        id.strip_prefix(family)
            .and_then(|r| r.strip_prefix(':'))
            .filter(|r| !r.is_empty() && !r.starts_with("unknown-"))
            .map(str::to_string)
            .ok_or_else(|| SendError::Permanent(format!("recipient `{id}` has no {family} user id to message")))
    }

    fn check_text(reply: &OutboundReply) -> Result<(), SendError> {
        if reply.text.trim().is_empty() {
            Err(SendError::Permanent("the reply is empty".into()))
        } else {
            Ok(())
        }
    }

    /// Delivers the reply; returns the platform id of the sent message.
    pub async fn send(&self, reply: &OutboundReply) -> Result<Option<String>, SendError> {
        Self::check_text(reply)?;
        let in_reply_to = reply.in_reply_to.as_deref().filter(|s| !s.is_empty());
        let sent = match reply.channel {
            Channel::X => {
                let token = self.token(Platform::X, reply)?;
                match in_reply_to {
                    Some(dm) if dm.starts_with(DM_PREFIX) => {
                        let to = Self::recipient(reply, "x")?;
                        self.x.send_dm(token, &to, &reply.text).await?
                    }
                    parent => self.x.post_tweet(token, &reply.text, parent).await?,
                }
            }
            Channel::Facebook => {
                let token = self.token(Platform::Page, reply)?;
                let target = in_reply_to.ok_or_else(|| {
                    SendError::Permanent("a Facebook reply needs the comment or post it answers".into())
                })?;
                self.graph.reply_to_comment(token, target, &reply.text).await?
            }
            Channel::Messenger => {
                let token = self.token(Platform::Page, reply)?;
                let to = Self::recipient(reply, "messenger")?;
                self.graph.send_message(token, &to, &reply.text).await?
            }
            Channel::Instagram => {
                let token = self.token(Platform::Instagram, reply)?;
                match in_reply_to {
                    Some(comment) if !comment.starts_with(DM_PREFIX) => {
                        self.graph
                            .reply_to_instagram_comment(token, comment, &reply.text)
                            .await?
                    }
                    _ => {
                        let to = Self::recipient(reply, "instagram")?;
                        self.graph.send_instagram_message(token, &to, &reply.text).await?
                    }
                }
            }
            Channel::Generic => {
                return Err(SendError::Permanent(
                    "the generic channel is not a platform: use its reply URL".into(),
                ));
            }
        };
        tracing::debug!(channel = %reply.channel, case_id = %reply.case_id, "platform accepted the reply");
        Ok(Some(sent))
    }
}

#[async_trait]
impl ReplySender for PlatformSenders {
    async fn send(&self, reply: &OutboundReply) -> Result<Option<String>, SendError> {
        PlatformSenders::send(self, reply).await
    }
}
