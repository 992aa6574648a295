//! `TriageStore` and `LabelStore` on the posts table, beside the posts they are about, and
//! listed through its sparse `by_time` index (`shard`, `ok`), which only these items enter:
//! - a triage entry `triage#<post id>`: `doc`, `ok` = `timekey(received_at)#post id`, and
//!   `shard` = `"triage"` only while it is open (the decision removes it, so the index holds
//!   the open list and nothing else: a page is one Query, newest first);
//! - a label `label#<post id>#<timekey(at)>#<agent>`: `doc`, `shard` = `"labels"`,
//!   `ok` = `timekey(at)#pk` (exports are one Query from `since`, oldest first).

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_s, s, sort_key, time_key, to_doc};
use crate::tables::schema::{GSI_BY_TIME, ORDER, SHARD};
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::{LabelStore, TriageQuery, TriageStore};
use socialcare_domain::triage::{Decided, Label, TriageEntry};
use socialcare_domain::{PortResult, PostId};
use std::collections::HashMap;

const SHARD_TRIAGE: &str = "triage";
const SHARD_LABELS: &str = "labels";

fn triage_key(post: &PostId) -> String {
    format!("triage#{post}")
}

fn label_key(label: &Label) -> String {
    format!("label#{}#{}#{}", label.post_id, time_key(label.at), label.by)
}

impl AwsStore {
    /// A PutItem if no item has its key: false when one has (a replay).
    async fn put_new_in_posts(&self, item: Item) -> PortResult<bool> {
        self.put_if(
            &self.tables.posts,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
    }

    fn decode_in_posts<T: serde::de::DeserializeOwned>(&self, item: &Item) -> PortResult<T> {
        from_doc(item).map_err(|e| corrupt(&self.tables.posts, get_s(item, PK).unwrap_or("?"), e))
    }
}

#[async_trait]
impl TriageStore for AwsStore {
    async fn list_for_triage(&self, entry: &TriageEntry) -> PortResult<bool> {
        let mut item = HashMap::from([
            (PK.to_string(), s(triage_key(&entry.post_id))),
            (DOC.to_string(), to_doc(entry)?),
            (
                ORDER.to_string(),
                s(sort_key(entry.received_at, entry.post_id.as_str())),
            ),
        ]);
        if entry.is_open() {
            item.insert(SHARD.to_string(), s(SHARD_TRIAGE));
        }
        self.put_new_in_posts(item).await
    }

    async fn triage_entry(&self, post: &PostId) -> PortResult<Option<TriageEntry>> {
        self.get_item(&self.tables.posts, &triage_key(post))
            .await?
            .map(|i| self.decode_in_posts(&i))
            .transpose()
    }

    async fn open_triage(&self, query: &TriageQuery) -> PortResult<Vec<TriageEntry>> {
        let mut out: Vec<TriageEntry> = Vec::new();
        if query.limit == 0 {
            return Ok(out);
        }
        let (condition, names, mut values): (_, &[(&str, &str)], _) = match &query.before {
            Some(c) => (
                "#shard = :shard AND #ok < :before",
                &[("#shard", SHARD), ("#ok", ORDER)],
                vec![(":before", s(sort_key(c.received_at, c.post_id.as_str())))],
            ),
            None => ("#shard = :shard", &[("#shard", SHARD)], vec![]),
        };
        values.push((":shard", s(SHARD_TRIAGE)));
        let page = i32::try_from(query.limit).unwrap_or(i32::MAX);
        self.query_walk(
            &self.tables.posts,
            Some(GSI_BY_TIME),
            condition,
            names,
            values,
            false,
            Some(page),
            |item| {
                let entry: TriageEntry = self.decode_in_posts(&item)?;
                // The index lags a decision by a moment: its copy may still say open.
                if entry.is_open() {
                    out.push(entry);
                }
                Ok(out.len() >= query.limit)
            },
        )
        .await?;
        Ok(out)
    }

    /// A consistent read, then one conditional UpdateItem (`attribute_exists(shard)`: still
    /// open) that writes the decision and takes the entry off the index; a lost race re-reads.
    async fn decide_triage(&self, post: &PostId, decided: &Decided) -> PortResult<Option<TriageEntry>> {
        let Some(mut entry) = self.triage_entry(post).await? else {
            return Ok(None);
        };
        if !entry.is_open() {
            return Ok(Some(entry));
        }
        entry.decided = Some(decided.clone());
        let updated = self
            .update_if(
                &self.tables.posts,
                &triage_key(post),
                "SET #doc = :doc REMOVE #shard",
                "attribute_exists(#shard)",
                &[("#doc", DOC), ("#shard", SHARD)],
                vec![(":doc", to_doc(&entry)?)],
            )
            .await?;
        if updated {
            Ok(Some(entry))
        } else {
            self.triage_entry(post).await
        }
    }
}

#[async_trait]
impl LabelStore for AwsStore {
    async fn append_label(&self, label: &Label) -> PortResult<bool> {
        let pk = label_key(label);
        let mut item = HashMap::from([
            (PK.to_string(), s(&pk)),
            (DOC.to_string(), to_doc(label)?),
            (SHARD.to_string(), s(SHARD_LABELS)),
            (ORDER.to_string(), s(sort_key(label.at, &pk))),
        ]);
        super::date(&mut item, self.retention.map(|r| r.correction_expiry(label.at)));
        self.put_new_in_posts(item).await
    }

    async fn labels_since(&self, since: Option<Timestamp>, limit: usize) -> PortResult<Vec<Label>> {
        let mut out: Vec<Label> = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let (condition, names, mut values): (_, &[(&str, &str)], _) = match since {
            Some(since) => (
                "#shard = :shard AND #ok >= :since",
                &[("#shard", SHARD), ("#ok", ORDER)],
                vec![(":since", s(time_key(since)))],
            ),
            None => ("#shard = :shard", &[("#shard", SHARD)], vec![]),
        };
        values.push((":shard", s(SHARD_LABELS)));
        self.query_walk(
            &self.tables.posts,
            Some(GSI_BY_TIME),
            condition,
            names,
            values,
            true,
            None,
            |item| {
                out.push(self.decode_in_posts(&item)?);
                Ok(out.len() >= limit)
            },
        )
        .await?;
        Ok(out)
    }
}
