//! `CustomerStore` on the customers table: `customer#<id>` items (the customer) and
//! `author#<author id>` items (the identity index: which customer an author belongs to).

use super::{AwsStore, corrupt};
use crate::codec::DOC;
use crate::codec::{Item, PK, from_doc, get_s, s, to_doc};
use crate::counts::Op;
use crate::error::{TransactError, map_transact};
use crate::tables::schema::AUTHOR_CUSTOMER;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use socialcare_domain::ports::CustomerStore;
use socialcare_domain::{AuthorId, Customer, CustomerId, PortError, PortResult};
use std::collections::HashMap;

fn customer_pk(id: &CustomerId) -> String {
    format!("customer#{id}")
}

fn author_pk(id: &AuthorId) -> String {
    format!("author#{id}")
}

fn put_new(table: &str, item: Item) -> PortResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
        .build()
        .map_err(|e| PortError::Invalid(format!("customer put: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

#[async_trait]
impl CustomerStore for AwsStore {
    async fn get(&self, id: &CustomerId) -> PortResult<Option<Customer>> {
        let pk = customer_pk(id);
        self.get_item(&self.tables.customers, &pk)
            .await?
            .map(|i| from_doc(&i).map_err(|e| corrupt(&self.tables.customers, &pk, e)))
            .transpose()
    }

    async fn customer_of(&self, author: &AuthorId) -> PortResult<Option<CustomerId>> {
        let Some(item) = self.get_item(&self.tables.customers, &author_pk(author)).await? else {
            return Ok(None);
        };
        let id = get_s(&item, AUTHOR_CUSTOMER)?;
        CustomerId::parse(id)
            .map(Some)
            .map_err(|e| PortError::Invalid(format!("author {author} points at a bad customer id: {e}")))
    }

    /// One transaction: the customer (if absent) and each author link (if absent). An author
    /// already linked to someone keeps its link: that author is left out and the rest retried.
    async fn create(&self, customer: &Customer) -> PortResult<bool> {
        let table = &self.tables.customers;
        let mut authors: Vec<&AuthorId> = customer.identities.iter().map(|i| &i.author_id).collect();
        authors.sort();
        authors.dedup();
        loop {
            let mut items = vec![put_new(
                table,
                HashMap::from([
                    (PK.to_string(), s(customer_pk(&customer.id))),
                    (DOC.to_string(), to_doc(customer)?),
                ]),
            )?];
            for author in &authors {
                items.push(put_new(
                    table,
                    HashMap::from([
                        (PK.to_string(), s(author_pk(author))),
                        (AUTHOR_CUSTOMER.to_string(), s(customer.id.as_str())),
                    ]),
                )?);
            }
            self.counters.add(Op::TransactWriteItems);
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(true),
                Err(e) => match map_transact("CustomerStore::create", e) {
                    TransactError::Cancelled(c) if c.failed_condition(0) => return Ok(false),
                    TransactError::Cancelled(c) if c.any_condition_failed() => {
                        let before = authors.len();
                        let mut i = 0;
                        authors.retain(|_| {
                            i += 1;
                            !c.failed_condition(i)
                        });
                        if authors.len() == before {
                            return Err(c.into_port_error("CustomerStore::create"));
                        }
                    }
                    TransactError::Cancelled(c) => return Err(c.into_port_error("CustomerStore::create")),
                    TransactError::Other(e) => return Err(e),
                },
            }
        }
    }
}
