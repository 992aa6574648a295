//! `CustomerStore` on the customers table: `customer#<id>` items (the customer),
//! `author#<author id>` items (the identity index: which customer an author belongs to) and
//! `idn#<kind>#<value>` items (the identifier index: the customers that wrote an identifier,
//! a string set kept to the share cap, plus `by#<customer id>` = `<author id> <time>` per link).

use super::{AwsStore, corrupt};
use crate::codec::DOC;
use crate::codec::{Item, PK, from_doc, get_s, key, n, s, to_doc};
use crate::error::TransactError;
use crate::tables::schema::AUTHOR_CUSTOMER;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use jiff::Timestamp;
use socialcare_domain::ports::CustomerStore;
use socialcare_domain::{AuthorId, Customer, CustomerId, Identifier, Identity, PortError, PortResult};
use std::collections::HashMap;

/// The string set of customers on an identifier item.
const IDN_CUSTOMERS: &str = "customers";
/// How often `add_identity` re-reads a customer another writer changed meanwhile.
const ADD_IDENTITY_ATTEMPTS: usize = 5;

fn identifier_pk(id: &Identifier) -> String {
    format!("idn#{}#{}", id.kind.as_str(), id.value)
}

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
            match self.transact("CustomerStore::create", items).await {
                Ok(()) => return Ok(true),
                Err(TransactError::Cancelled(c)) if c.failed_condition(0) => return Ok(false),
                Err(TransactError::Cancelled(c)) if c.any_condition_failed() => {
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
                Err(TransactError::Cancelled(c)) => return Err(c.into_port_error("CustomerStore::create")),
                Err(TransactError::Other(e)) => return Err(e),
            }
        }
    }

    /// One transaction: the author's index entry (if absent) and the customer's document with
    /// the identity appended (if unchanged since it was read; re-read and retried otherwise).
    async fn add_identity(&self, customer: &CustomerId, identity: &Identity) -> PortResult<bool> {
        let table = &self.tables.customers;
        let pk = customer_pk(customer);
        for _ in 0..ADD_IDENTITY_ATTEMPTS {
            let Some(item) = self.get_item(table, &pk).await? else {
                return Err(PortError::NotFound(format!("customer {customer}")));
            };
            let old = get_s(&item, DOC)?.to_string();
            let mut current: Customer = from_doc(&item).map_err(|e| corrupt(table, &pk, e))?;
            if current.has_author(&identity.author_id) {
                return Ok(false);
            }
            current.identities.push(identity.clone());
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key(&pk)))
                .update_expression("SET #doc = :new")
                .condition_expression("#doc = :old")
                .expression_attribute_names("#doc", DOC)
                .expression_attribute_values(":new", to_doc(&current)?)
                .expression_attribute_values(":old", s(old))
                .build()
                .map_err(|e| PortError::Invalid(format!("customer update: {e}")))?;
            let items = vec![
                put_new(
                    table,
                    HashMap::from([
                        (PK.to_string(), s(author_pk(&identity.author_id))),
                        (AUTHOR_CUSTOMER.to_string(), s(customer.as_str())),
                    ]),
                )?,
                TransactWriteItem::builder().update(update).build(),
            ];
            match self.transact("CustomerStore::add_identity", items).await {
                Ok(()) => return Ok(true),
                Err(TransactError::Cancelled(c)) if c.failed_condition(0) => return Ok(false),
                Err(TransactError::Cancelled(c)) if c.failed_condition(1) => continue,
                Err(TransactError::Cancelled(c)) => return Err(c.into_port_error("CustomerStore::add_identity")),
                Err(TransactError::Other(e)) => return Err(e),
            }
        }
        Err(PortError::Conflict(format!(
            "customer {customer} kept changing while an identity was added"
        )))
    }

    async fn customers_with(&self, identifier: &Identifier) -> PortResult<Vec<CustomerId>> {
        let pk = identifier_pk(identifier);
        let Some(item) = self.get_item(&self.tables.customers, &pk).await? else {
            return Ok(vec![]);
        };
        let raw = match item.get(IDN_CUSTOMERS) {
            Some(AttributeValue::Ss(v)) => v.clone(),
            _ => vec![],
        };
        let mut ids = raw
            .into_iter()
            .map(|id| {
                CustomerId::parse(id).map_err(|e| PortError::Invalid(format!("{pk} holds a bad customer id: {e}")))
            })
            .collect::<PortResult<Vec<_>>>()?;
        ids.sort();
        Ok(ids)
    }

    /// One conditional UpdateItem: adds the customer to the identifier's set unless it is there
    /// or the set is full.
    async fn link_identifier(
        &self,
        identifier: &Identifier,
        customer: &CustomerId,
        author: &AuthorId,
        at: Timestamp,
        max_customers: usize,
    ) -> PortResult<bool> {
        let by = format!("by#{customer}");
        self.update_if(
            &self.tables.customers,
            &identifier_pk(identifier),
            "ADD #cs :c SET #by = :by",
            "NOT contains(#cs, :cid) AND (attribute_not_exists(#cs) OR size(#cs) < :max)",
            &[("#cs", IDN_CUSTOMERS), ("#by", &by)],
            vec![
                (":c", AttributeValue::Ss(vec![customer.as_str().to_string()])),
                (":cid", s(customer.as_str())),
                (":by", s(format!("{author} {at}"))),
                (":max", n(max_customers)),
            ],
        )
        .await
    }
}
