//! `PostStore` on the posts table: one item per post id, and one `ref#<channel>#<account>#<platform
//! id>` item per platform id naming the post that first claimed it (echoes and replies to our
//! replies are found by it with a strongly consistent read; no index needed).

use super::{AwsStore, corrupt};
use crate::batch::batch_get;
use crate::codec::DOC;
use crate::codec::{Item, PK, from_doc, get_s, key, s, to_doc};
use async_trait::async_trait;
use socialcare_domain::ports::PostStore;
use socialcare_domain::{Channel, PortError, PortResult, Post, PostId};
use std::collections::{HashMap, HashSet};

fn item(post: &Post) -> PortResult<Item> {
    Ok(HashMap::from([
        (PK.to_string(), s(post.id.as_str())),
        (DOC.to_string(), to_doc(post)?),
    ]))
}

fn ref_key(channel: Channel, account: &str, platform_id: &str) -> String {
    format!("ref#{}#{account}#{platform_id}", channel.as_str())
}

/// The attribute of a ref item holding the post id.
const POST: &str = "post";

impl AwsStore {
    async fn claim_platform_id(&self, post: &Post) -> PortResult<()> {
        if post.platform_id.is_empty() {
            return Ok(());
        }
        let item = HashMap::from([
            (
                PK.to_string(),
                s(ref_key(post.channel, &post.account, &post.platform_id)),
            ),
            (POST.to_string(), s(post.id.as_str())),
        ]);
        self.put_if(
            &self.tables.posts,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
        .map(|_| ())
    }

    fn decode_post(&self, item: &Item) -> PortResult<Post> {
        from_doc(item).map_err(|e| corrupt(&self.tables.posts, get_s(item, PK).unwrap_or("?"), e))
    }

    /// Bulk import (backfills, replays): unconditional puts with BatchWriteItem, 25 per call,
    /// unprocessed items resent. Not for the live path, where `insert` keeps replays out.
    pub async fn put_posts(&self, posts: &[Post]) -> PortResult<()> {
        let items = posts.iter().map(item).collect::<PortResult<Vec<_>>>()?;
        crate::batch::batch_put(
            &self.client,
            &self.counters,
            &self.tables.posts,
            items,
            self.batch_policy,
        )
        .await
    }
}

#[async_trait]
impl PostStore for AwsStore {
    async fn insert(&self, post: &Post) -> PortResult<bool> {
        self.put_if(
            &self.tables.posts,
            item(post)?,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
    }

    async fn put(&self, post: &Post) -> PortResult<()> {
        AwsStore::put(self, &self.tables.posts, item(post)?).await
    }

    async fn remember_platform_id(&self, post: &Post) -> PortResult<()> {
        self.claim_platform_id(post).await
    }

    async fn find_by_platform_id(
        &self,
        channel: Channel,
        account: &str,
        platform_id: &str,
    ) -> PortResult<Option<PostId>> {
        let Some(item) = self
            .get_item(&self.tables.posts, &ref_key(channel, account, platform_id))
            .await?
        else {
            return Ok(None);
        };
        let id = get_s(&item, POST)?;
        PostId::parse(id)
            .map(Some)
            .map_err(|e| corrupt(&self.tables.posts, id, PortError::Invalid(e.to_string())))
    }

    async fn get(&self, id: &PostId) -> PortResult<Option<Post>> {
        self.get_item(&self.tables.posts, id.as_str())
            .await?
            .map(|i| self.decode_post(&i))
            .transpose()
    }

    async fn get_many(&self, ids: &[PostId]) -> PortResult<Vec<Post>> {
        let mut distinct = HashSet::new();
        let keys: Vec<Item> = ids
            .iter()
            .filter(|id| distinct.insert(id.as_str()))
            .map(|id| key(id.as_str()))
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let items = batch_get(
            &self.client,
            &self.counters,
            &self.tables.posts,
            keys,
            self.batch_policy,
        )
        .await?;
        let mut by_id: HashMap<String, Post> = HashMap::new();
        for i in &items {
            let post = self.decode_post(i)?;
            by_id.insert(post.id.as_str().to_string(), post);
        }
        Ok(ids.iter().filter_map(|id| by_id.get(id.as_str()).cloned()).collect())
    }
}
