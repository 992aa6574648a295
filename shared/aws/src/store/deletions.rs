//! `DeletionStore` on the posts table: one `deletion#<code>` item per platform deletion
//! request, its JSON in `doc` (no personal data: see `socialcare_domain::deletion`). No index
//! attribute: the status page reads it by its code.

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, s, to_doc};
use async_trait::async_trait;
use socialcare_domain::PortResult;
use socialcare_domain::deletion::DeletionRequest;
use socialcare_domain::ports::DeletionStore;
use std::collections::HashMap;

fn deletion_pk(code: &str) -> String {
    format!("deletion#{code}")
}

impl AwsStore {
    /// An audit record: dated from when the request came.
    fn deletion_item(&self, request: &DeletionRequest) -> PortResult<Item> {
        let mut item = HashMap::from([
            (PK.to_string(), s(deletion_pk(&request.code))),
            (DOC.to_string(), to_doc(request)?),
        ]);
        super::date(&mut item, self.retention.map(|r| r.audit_expiry(request.received_at)));
        Ok(item)
    }
}

#[async_trait]
impl DeletionStore for AwsStore {
    async fn record_deletion(&self, request: &DeletionRequest) -> PortResult<bool> {
        self.put_if(
            &self.tables.posts,
            self.deletion_item(request)?,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await
    }

    async fn deletion(&self, code: &str) -> PortResult<Option<DeletionRequest>> {
        let pk = deletion_pk(code);
        self.get_item(&self.tables.posts, &pk)
            .await?
            .map(|i| from_doc(&i).map_err(|e| corrupt(&self.tables.posts, &pk, e)))
            .transpose()
    }

    async fn save_deletion(&self, request: &DeletionRequest) -> PortResult<()> {
        AwsStore::put(self, &self.tables.posts, self.deletion_item(request)?).await
    }
}
