//! `CustomerStore` on the customers table: `customer#<id>` items (the customer's document, its
//! version `ver`, and `idns`, the string set of identifiers it wrote), `author#<author id>` items
//! (the identity index: which customer an author belongs to), `idn#<kind>#<value>` items (the
//! identifier index: the customers that wrote an identifier, a string set kept to the share cap,
//! plus `by#<customer id>` = `<author id> <time>` per link), and the merge log: `merge#<id>`
//! items (a merge record each) and `merges#<customer id>` items (the string set of the merges
//! the customer took part in), and `name#<key>` items (the customers going by a display name
//! with that key: a string set, for the similar-name suggestions).

use super::{AwsStore, corrupt};
use crate::batch::batch_get;
use crate::codec::DOC;
use crate::codec::{Item, PK, from_doc, get_s, key, n, s, to_doc};
use crate::error::TransactError;
use crate::tables::schema::AUTHOR_CUSTOMER;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use jiff::Timestamp;
use socialcare_domain::customer::MergeRecord;
use socialcare_domain::ports::{CustomerStore, IdentityIndex};
use socialcare_domain::{AuthorId, Customer, CustomerId, Identifier, Identity, PortError, PortResult};
use std::collections::HashMap;

/// The string set of customers on an identifier item.
const IDN_CUSTOMERS: &str = "customers";
/// The string set of identifiers (`kind:value`) on a customer item.
const CUSTOMER_IDENTIFIERS: &str = "idns";
/// The customer's version on its item (absent on items written before versions: 0).
const CUSTOMER_VERSION: &str = "ver";
/// The string set of merge ids on a `merges#<customer>` item.
const MERGE_IDS: &str = "ids";

fn name_pk(key: &str) -> String {
    format!("name#{key}")
}

fn merge_pk(id: &str) -> String {
    format!("merge#{id}")
}

fn merges_pk(customer: &CustomerId) -> String {
    format!("merges#{customer}")
}

/// The sorted customers of an item's `customers` set (identifier and name items); a bad id in
/// it is corrupt data, named by the item's key.
fn customer_set(item: &Item) -> PortResult<Vec<CustomerId>> {
    let Some(AttributeValue::Ss(raw)) = item.get(IDN_CUSTOMERS) else {
        return Ok(vec![]);
    };
    let mut ids = raw
        .iter()
        .map(|id| {
            CustomerId::parse(id.as_str()).map_err(|e| {
                let pk = get_s(item, PK).unwrap_or("?");
                PortError::Invalid(format!("{pk} holds a bad customer id: {e}"))
            })
        })
        .collect::<PortResult<Vec<_>>>()?;
    ids.sort();
    Ok(ids)
}

/// The customer's document as stored: its identifiers live in their own set beside it.
fn customer_doc(customer: &Customer) -> PortResult<AttributeValue> {
    if customer.identifiers.is_empty() {
        return to_doc(customer);
    }
    let mut doc = customer.clone();
    doc.identifiers.clear();
    to_doc(&doc)
}
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
        let Some(item) = self.get_item(&self.tables.customers, &pk).await? else {
            return Ok(None);
        };
        let mut customer: Customer = from_doc(&item).map_err(|e| corrupt(&self.tables.customers, &pk, e))?;
        if let Some(AttributeValue::Ss(keys)) = item.get(CUSTOMER_IDENTIFIERS) {
            customer.identifiers = keys.iter().filter_map(|k| Identifier::parse_key(k)).collect();
            customer.identifiers.sort();
        }
        Ok(Some(customer))
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
                    (DOC.to_string(), customer_doc(customer)?),
                    (CUSTOMER_VERSION.to_string(), n(customer.version)),
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
            current.version += 1;
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key(&pk)))
                .update_expression("SET #doc = :new, #ver = :ver")
                .condition_expression("#doc = :old")
                .expression_attribute_names("#doc", DOC)
                .expression_attribute_names("#ver", CUSTOMER_VERSION)
                .expression_attribute_values(":ver", n(current.version))
                .expression_attribute_values(":new", customer_doc(&current)?)
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
        match self
            .get_item(&self.tables.customers, &identifier_pk(identifier))
            .await?
        {
            Some(item) => customer_set(&item),
            None => Ok(vec![]),
        }
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
        // The customer's own list first (a set: adding again changes nothing), then the index,
        // which may refuse (full): the customer did write it all the same.
        self.update_if(
            &self.tables.customers,
            &customer_pk(customer),
            "ADD #idns :k",
            "attribute_exists(#pk)",
            &[("#idns", CUSTOMER_IDENTIFIERS), ("#pk", PK)],
            vec![(":k", AttributeValue::Ss(vec![identifier.to_string()]))],
        )
        .await?;
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

    async fn customers_with_any(&self, identifiers: &[Identifier]) -> PortResult<Vec<(Identifier, Vec<CustomerId>)>> {
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<Item> = identifiers
            .iter()
            .map(identifier_pk)
            .filter(|pk| seen.insert(pk.clone()))
            .map(key)
            .collect();
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let items = batch_get(
            &self.client,
            &self.counters,
            &self.tables.customers,
            keys,
            self.batch_policy,
        )
        .await?;
        let by_pk: HashMap<&str, &Item> = items
            .iter()
            .filter_map(|i| get_s(i, PK).ok().map(|pk| (pk, i)))
            .collect();
        let mut out = vec![];
        for identifier in identifiers {
            let Some(item) = by_pk.get(identifier_pk(identifier).as_str()) else {
                continue;
            };
            let ids = customer_set(item)?;
            if !ids.is_empty() {
                out.push((identifier.clone(), ids));
            }
        }
        Ok(out)
    }

    /// One UpdateItem adding the customer to the key's set, unless the set is full.
    async fn index_name(&self, key: &str, customer: &CustomerId) -> PortResult<()> {
        self.update_if(
            &self.tables.customers,
            &name_pk(key),
            "ADD #cs :c",
            "attribute_not_exists(#cs) OR size(#cs) < :max OR contains(#cs, :cid)",
            &[("#cs", IDN_CUSTOMERS)],
            vec![
                (":c", AttributeValue::Ss(vec![customer.as_str().to_string()])),
                (":cid", s(customer.as_str())),
                (":max", n(socialcare_domain::ports::MAX_CUSTOMERS_PER_NAME)),
            ],
        )
        .await?;
        Ok(())
    }

    async fn customers_named(&self, key: &str) -> PortResult<Vec<CustomerId>> {
        match self.get_item(&self.tables.customers, &name_pk(key)).await? {
            Some(item) => customer_set(&item),
            None => Ok(vec![]),
        }
    }

    /// One conditional PutItem of the whole customer item (document, version, identifiers).
    async fn replace(&self, customer: &Customer, expected_version: u64) -> PortResult<bool> {
        if customer.version != expected_version + 1 {
            return Err(PortError::Invalid(format!(
                "customer {} must be written at version {}",
                customer.id,
                expected_version + 1
            )));
        }
        let mut item = HashMap::from([
            (PK.to_string(), s(customer_pk(&customer.id))),
            (DOC.to_string(), customer_doc(customer)?),
            (CUSTOMER_VERSION.to_string(), n(customer.version)),
        ]);
        if !customer.identifiers.is_empty() {
            item.insert(
                CUSTOMER_IDENTIFIERS.to_string(),
                AttributeValue::Ss(customer.identifiers.iter().map(ToString::to_string).collect()),
            );
        }
        if expected_version == 0 {
            let condition = "attribute_exists(#pk) AND attribute_not_exists(#ver)";
            let names = [("#pk", PK), ("#ver", CUSTOMER_VERSION)];
            return self
                .put_if(&self.tables.customers, item, condition, &names, vec![])
                .await;
        }
        let names = [("#ver", CUSTOMER_VERSION)];
        let values = vec![(":v", n(expected_version))];
        self.put_if(&self.tables.customers, item, "#ver = :v", &names, values)
            .await
    }

    /// One conditional UpdateItem of the author's index entry.
    async fn relink_author(&self, author: &AuthorId, from: &CustomerId, to: &CustomerId) -> PortResult<bool> {
        self.update_if(
            &self.tables.customers,
            &author_pk(author),
            "SET #c = :to",
            "#c = :from",
            &[("#c", AUTHOR_CUSTOMER)],
            vec![(":to", s(to.as_str())), (":from", s(from.as_str()))],
        )
        .await
    }

    /// Read, then one PutItem conditional on the set read (re-read when it moved meanwhile).
    async fn relink_identifier(
        &self,
        identifier: &Identifier,
        from: Option<&CustomerId>,
        to: &CustomerId,
    ) -> PortResult<()> {
        let table = &self.tables.customers;
        let pk = identifier_pk(identifier);
        for _ in 0..ADD_IDENTITY_ATTEMPTS {
            let current = self.get_item(table, &pk).await?;
            let mut item = current.clone().unwrap_or_else(|| key(&pk));
            let held: Vec<String> = match item.get(IDN_CUSTOMERS) {
                Some(AttributeValue::Ss(v)) => v.clone(),
                _ => vec![],
            };
            let mut next: Vec<String> = held.clone();
            if let Some(from) = from {
                next.retain(|c| c != from.as_str());
                if let Some(by) = item.remove(&format!("by#{from}")) {
                    item.insert(format!("by#{to}"), by);
                }
            }
            if !next.iter().any(|c| c == to.as_str()) {
                next.push(to.as_str().to_string());
            }
            next.sort();
            let mut before = held;
            before.sort();
            if next == before {
                return Ok(());
            }
            item.insert(IDN_CUSTOMERS.to_string(), AttributeValue::Ss(next));
            let old = current.as_ref().and_then(|c| c.get(IDN_CUSTOMERS)).cloned();
            let written = match old {
                Some(old) => {
                    self.put_if(
                        table,
                        item,
                        "#cs = :old",
                        &[("#cs", IDN_CUSTOMERS)],
                        vec![(":old", old)],
                    )
                    .await?
                }
                None => {
                    self.put_if(
                        table,
                        item,
                        "attribute_not_exists(#cs)",
                        &[("#cs", IDN_CUSTOMERS)],
                        vec![],
                    )
                    .await?
                }
            };
            if written {
                return Ok(());
            }
        }
        Err(PortError::Conflict(format!(
            "identifier {} kept changing",
            identifier.kind.as_str()
        )))
    }

    /// One transaction: the record (if absent) and its id added to both customers' merge sets.
    async fn record_merge(&self, merge: &MergeRecord) -> PortResult<bool> {
        let table = &self.tables.customers;
        let mut items = vec![put_new(
            table,
            HashMap::from([
                (PK.to_string(), s(merge_pk(&merge.id))),
                (DOC.to_string(), to_doc(merge)?),
            ]),
        )?];
        for customer in [&merge.source, &merge.target] {
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key(merges_pk(customer))))
                .update_expression("ADD #ids :id")
                .expression_attribute_names("#ids", MERGE_IDS)
                .expression_attribute_values(":id", AttributeValue::Ss(vec![merge.id.clone()]))
                .build()
                .map_err(|e| PortError::Invalid(format!("merge index update: {e}")))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        match self.transact("CustomerStore::record_merge", items).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(c)) if c.failed_condition(0) => Ok(false),
            Err(TransactError::Cancelled(c)) => Err(c.into_port_error("CustomerStore::record_merge")),
            Err(TransactError::Other(e)) => Err(e),
        }
    }

    async fn save_merge(&self, merge: &MergeRecord) -> PortResult<()> {
        self.put(
            &self.tables.customers,
            HashMap::from([
                (PK.to_string(), s(merge_pk(&merge.id))),
                (DOC.to_string(), to_doc(merge)?),
            ]),
        )
        .await
    }

    async fn merge(&self, id: &str) -> PortResult<Option<MergeRecord>> {
        let pk = merge_pk(id);
        self.get_item(&self.tables.customers, &pk)
            .await?
            .map(|i| from_doc(&i).map_err(|e| corrupt(&self.tables.customers, &pk, e)))
            .transpose()
    }

    /// The customer's merge set, then one BatchGetItem of the records.
    async fn merges_of(&self, customer: &CustomerId) -> PortResult<Vec<MergeRecord>> {
        let table = &self.tables.customers;
        let Some(item) = self.get_item(table, &merges_pk(customer)).await? else {
            return Ok(vec![]);
        };
        let ids = match item.get(MERGE_IDS) {
            Some(AttributeValue::Ss(v)) => v.clone(),
            _ => vec![],
        };
        let keys: Vec<Item> = ids.iter().map(|id| key(merge_pk(id))).collect();
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let items = batch_get(&self.client, &self.counters, table, keys, self.batch_policy).await?;
        let mut out = items
            .iter()
            .map(|i| from_doc::<MergeRecord>(i).map_err(|e| corrupt(table, get_s(i, PK).unwrap_or("?"), e)))
            .collect::<PortResult<Vec<_>>>()?;
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

impl AwsStore {
    /// Takes `customer` out of the string set of item `pk` (an identifier or a name key), with
    /// the attribute `by#<customer>` if there is one; deletes the item when the set empties.
    /// Each write is conditional on the set read (re-read when it moved meanwhile).
    async fn remove_from_set(&self, pk: &str, customer: &CustomerId) -> PortResult<bool> {
        let table = &self.tables.customers;
        for _ in 0..ADD_IDENTITY_ATTEMPTS {
            let Some(mut item) = self.get_item(table, pk).await? else {
                return Ok(false);
            };
            let Some(AttributeValue::Ss(held)) = item.get(IDN_CUSTOMERS).cloned() else {
                return Ok(false);
            };
            if !held.iter().any(|c| c == customer.as_str()) {
                return Ok(false);
            }
            let rest: Vec<String> = held.iter().filter(|c| *c != customer.as_str()).cloned().collect();
            let old = AttributeValue::Ss(held);
            let condition = "#cs = :old";
            let names = [("#cs", IDN_CUSTOMERS)];
            let done = if rest.is_empty() {
                self.delete_if(table, pk, condition, &names, vec![(":old", old)])
                    .await?
            } else {
                item.remove(&format!("by#{customer}"));
                item.insert(IDN_CUSTOMERS.to_string(), AttributeValue::Ss(rest));
                self.put_if(table, item, condition, &names, vec![(":old", old)]).await?
            };
            if done {
                return Ok(true);
            }
        }
        Err(PortError::Conflict(format!("{pk} kept changing")))
    }
}

#[async_trait]
impl IdentityIndex for AwsStore {
    /// One DeleteItem of the author's index entry, if it points at `customer`.
    async fn unlink_author(&self, author: &AuthorId, customer: &CustomerId) -> PortResult<bool> {
        self.delete_if(
            &self.tables.customers,
            &author_pk(author),
            "#c = :c",
            &[("#c", AUTHOR_CUSTOMER)],
            vec![(":c", s(customer.as_str()))],
        )
        .await
    }

    async fn unlink_identifier(&self, identifier: &Identifier, customer: &CustomerId) -> PortResult<bool> {
        self.remove_from_set(&identifier_pk(identifier), customer).await
    }

    async fn unindex_name(&self, key: &str, customer: &CustomerId) -> PortResult<bool> {
        self.remove_from_set(&name_pk(key), customer).await
    }
}
