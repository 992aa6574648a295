//! `PostStore` on the posts table: one item per post id, and one `ref#<channel>#<account>#<platform
//! id>` item per platform id naming the post that first claimed it (echoes and replies to our
//! replies are found by it with a strongly consistent read; no index needed). The same item
//! holds the posts that arrived before it (`waiting`, a string set), which the claim takes and
//! clears in the same request.

use super::{AwsStore, corrupt};
use crate::batch::batch_get;
use crate::codec::DOC;
use crate::codec::{Item, PK, from_doc, get_s, key, s, to_packed_doc};
use crate::tables::schema::{AUTHOR, AUTHOR_ORDER, GSI_POSTS_BY_AUTHOR};
use async_trait::async_trait;
use socialcare_domain::ports::PostStore;
use socialcare_domain::{AuthorId, Channel, PortError, PortResult, Post, PostId};
use std::collections::{HashMap, HashSet};

fn item(post: &Post, retention: Option<&socialcare_domain::retention::RetentionPolicy>) -> PortResult<Item> {
    let mut item = HashMap::from([
        (PK.to_string(), s(post.id.as_str())),
        (DOC.to_string(), to_packed_doc(post)?),
        (AUTHOR.to_string(), s(post.author.id.as_str())),
        (
            AUTHOR_ORDER.to_string(),
            s(crate::codec::sort_key(post.created_at, post.id.as_str())),
        ),
    ]);
    super::date(&mut item, retention.map(|r| r.post_expiry(post)));
    Ok(item)
}

fn ref_key(channel: Channel, account: &str, platform_id: &str) -> String {
    format!("ref#{}#{account}#{platform_id}", channel.as_str())
}

/// The attribute of a ref item holding the post id.
const POST: &str = "post";
/// The attribute of a ref item holding the ids of the posts waiting for it.
const WAITING: &str = "waiting";

impl AwsStore {
    /// One UpdateItem: the post id set unless another post claimed it first, the waiting set
    /// taken away and answered (the old values of what the update changed).
    async fn claim_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>> {
        if post.platform_id.is_empty() {
            return Ok(vec![]);
        }
        self.counters.add(crate::counts::Op::UpdateItem);
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.posts)
            .key(PK, s(ref_key(post.channel, &post.account, &post.platform_id)))
            .update_expression("SET #post = if_not_exists(#post, :id) REMOVE #waiting")
            .expression_attribute_names("#post", POST)
            .expression_attribute_names("#waiting", WAITING)
            .expression_attribute_values(":id", s(post.id.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedOld)
            .send()
            .await
            .map_err(|e| crate::error::map_sdk("UpdateItem", e))?;
        // A ref item is a few dozen bytes (and the posts table has no index): one write unit.
        self.counters.add_writes(
            crate::counts::Op::UpdateItem,
            crate::units::WriteCost { table: 1, indexes: 0 },
        );
        let waiting = match out.attributes.as_ref().and_then(|a| a.get(WAITING)) {
            Some(aws_sdk_dynamodb::types::AttributeValue::Ss(ids)) => ids.clone(),
            _ => vec![],
        };
        Ok(waiting.into_iter().filter_map(|id| PostId::parse(id).ok()).collect())
    }

    fn decode_post(&self, item: &Item) -> PortResult<Post> {
        from_doc(item).map_err(|e| corrupt(&self.tables.posts, get_s(item, PK).unwrap_or("?"), e))
    }

    /// Bulk import (backfills, replays): unconditional puts with BatchWriteItem, 25 per call,
    /// unprocessed items resent. Not for the live path, where `insert` keeps replays out.
    pub async fn put_posts(&self, posts: &[Post]) -> PortResult<()> {
        let items = posts
            .iter()
            .map(|p| item(p, self.retention.as_ref()))
            .collect::<PortResult<Vec<_>>>()?;
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
            item(post, self.retention.as_ref())?,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
    }

    async fn put(&self, post: &Post) -> PortResult<()> {
        AwsStore::put(self, &self.tables.posts, item(post, self.retention.as_ref())?).await
    }

    async fn remember_platform_id(&self, post: &Post) -> PortResult<Vec<PostId>> {
        self.claim_platform_id(post).await
    }

    /// One conditional UpdateItem on the parent's ref item: refused when the parent is there.
    async fn await_parent(&self, post: &Post) -> PortResult<bool> {
        let Some(parent) = post.parent_id.as_deref() else {
            return Ok(false);
        };
        let recorded = self
            .update_if(
                &self.tables.posts,
                &ref_key(post.channel, &post.account, parent),
                "ADD #waiting :id",
                "attribute_not_exists(#post) AND (attribute_not_exists(#waiting) OR size(#waiting) < :max)",
                &[("#post", POST), ("#waiting", WAITING)],
                vec![
                    (
                        ":id",
                        aws_sdk_dynamodb::types::AttributeValue::Ss(vec![post.id.as_str().to_string()]),
                    ),
                    (":max", crate::codec::n(socialcare_domain::ports::MAX_WAITING_CHILDREN)),
                ],
            )
            .await?;
        if recorded {
            return Ok(true);
        }
        // Refused: the parent is known now, or enough wait for it already.
        Ok(self
            .find_by_platform_id(post.channel, &post.account, parent)
            .await?
            .is_none())
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
        // An item with only posts waiting for it: the post itself has not come.
        let Some(id) = crate::codec::opt_s(&item, POST) else {
            return Ok(None);
        };
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

    /// `Query by_author` (KEYS_ONLY), every page: the post ids, oldest first. The index lags a
    /// write by a moment; callers re-check the post they read.
    async fn posts_by_author(&self, author: &AuthorId) -> PortResult<Vec<PostId>> {
        let mut ids = Vec::new();
        self.query_walk(
            &self.tables.posts,
            Some(GSI_POSTS_BY_AUTHOR),
            "#author = :author",
            &[("#author", AUTHOR)],
            vec![(":author", s(author.as_str()))],
            true,
            None,
            |item| {
                let pk = get_s(&item, PK)?;
                ids.push(
                    PostId::parse(pk)
                        .map_err(|e| corrupt(&self.tables.posts, pk, PortError::Invalid(e.to_string())))?,
                );
                Ok(false)
            },
        )
        .await?;
        Ok(ids)
    }
}
