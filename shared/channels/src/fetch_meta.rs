//! Instagram mentions arrive as ids only (`mentions` webhook: `comment_id` and `media_id`). The
//! text and author are read from the Graph API with the account's token, through the IG user's
//! fields: `GET /{ig-user-id}?fields=mentioned_comment.comment_id({comment-id}){id,text,timestamp,username,from}`
//! for a mention in a comment, `mentioned_media.media_id({media-id}){id,caption,timestamp,username}`
//! for a mention in a caption. Retries with backoff as the senders do (bounded: [`RetryPolicy`]);
//! classify parks the post with the reason when the fetch still fails.

use crate::accounts::{Accounts, AccountsError};
use crate::parsed::{author_id, clip, label};
use crate::retry::RetryPolicy;
use crate::send_meta::GraphClient;
use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::Value;
use socialcare_domain::ports::{FetchedPost, PostFetcher, SendError};
use socialcare_domain::{Author, Post};
use std::collections::HashMap;

const COMMENT_FIELDS: &str = "id,text,timestamp,username,from";
const MEDIA_FIELDS: &str = "id,caption,timestamp,username";

/// Reads Instagram mentions' text and author from the Graph API.
#[derive(Clone)]
pub struct MentionFetcher {
    graph: GraphClient,
    /// Instagram account id → access token.
    tokens: HashMap<String, String>,
}

impl std::fmt::Debug for MentionFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MentionFetcher")
            .field("accounts_with_tokens", &self.tokens.len())
            .finish()
    }
}

impl MentionFetcher {
    /// `graph_api` with its version (`Endpoints::graph_api`); tokens read through `secret_of`
    /// from each Instagram account's `access_token_env`.
    pub fn new(
        client: reqwest::Client,
        graph_api: &str,
        accounts: &Accounts,
        secret_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, AccountsError> {
        let mut tokens = HashMap::new();
        for a in &accounts.instagram {
            let Some(env) = &a.access_token_env else { continue };
            let token = secret_of(env)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| AccountsError::MissingEnv(env.clone()))?;
            tokens.insert(a.account_id.clone(), token);
        }
        Ok(Self {
            graph: GraphClient::new(client, graph_api),
            tokens,
        })
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.graph = self.graph.with_policy(policy);
        self
    }
}

/// Graph API times: `2017-05-19T23:27:28+0000` (or RFC 3339).
fn graph_time(v: Option<&Value>) -> Option<Timestamp> {
    let s = v?.as_str()?;
    s.parse::<Timestamp>().ok().or_else(|| {
        jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", s)
            .ok()?
            .to_timestamp()
            .ok()
    })
}

fn author_of(node: &Value, fallback: &Author) -> Option<Author> {
    let username = node
        .get("username")
        .or_else(|| node.pointer("/from/username"))
        .and_then(Value::as_str)
        .map(label);
    let id = node.pointer("/from/id").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match (id, username) {
        (Some(id), username) => Some(Author {
            id: author_id("instagram", &id).ok()?,
            handle: username.unwrap_or_else(|| id.clone()),
            ..fallback.clone()
        }),
        // A caption's author comes as a username only: the handle is known, the platform id not.
        (None, Some(username)) => Some(Author {
            handle: username,
            ..fallback.clone()
        }),
        (None, None) => None,
    }
}

#[async_trait]
impl PostFetcher for MentionFetcher {
    async fn fetch(&self, post: &Post) -> Result<FetchedPost, SendError> {
        let token = self.tokens.get(&post.account).ok_or_else(|| {
            SendError::Permanent(format!(
                "no access token configured for instagram account `{}`",
                post.account
            ))
        })?;
        // A comment mention names its media as parent; a caption mention is the media itself.
        let in_comment = post.parent_id.as_deref().is_some_and(|p| p != post.platform_id);
        let (field, edge, fields, text_key) = if in_comment {
            ("mentioned_comment", "comment_id", COMMENT_FIELDS, "text")
        } else {
            ("mentioned_media", "media_id", MEDIA_FIELDS, "caption")
        };
        let expr = format!("{field}.{edge}({}){{{fields}}}", post.platform_id);
        let answer = self.graph.read(token, &[&post.account], &expr).await?;
        let node = answer
            .get(field)
            .ok_or_else(|| SendError::Permanent(format!("Graph API answered without {field}")))?;
        let text = node
            .get(text_key)
            .and_then(Value::as_str)
            .ok_or_else(|| SendError::Permanent(format!("Graph API answered without {field}.{text_key}")))?;
        Ok(FetchedPost {
            text: clip(text),
            author: author_of(node, &post.author),
            created_at: graph_time(node.get("timestamp")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_graph_times() {
        let t = graph_time(Some(&Value::String("2017-05-19T23:27:28+0000".into())));
        assert_eq!(t.map(|t| t.as_second()), Some(1_495_236_448));
        assert_eq!(graph_time(Some(&Value::String("yesterday".into()))), None);
    }
}
