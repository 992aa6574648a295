//! `AwsStore`: every table port on DynamoDB. One struct, one client, one set of tables;
//! each port lives in its own file.

mod agents;
mod alerts;
mod cases;
mod channels;
mod customers;
mod dedupe;
mod deletions;
mod parked;
mod posts;
mod reports;
mod timers;
mod trends;
mod triage;

use crate::batch::RetryPolicy;
use crate::codec::{Item, key};
use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use crate::tables::TableNames;
use crate::units::{IndexSpec, Prior, WriteCost, failed_write_cost, item_size, put_cost, read_half_units};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;
use std::sync::Arc;

/// DynamoDB implementation of `Dedupe`, `PostStore`, `CustomerStore`, `CaseStore`,
/// `AgentStore`, `TimerStore`, `AlertStore`, `ParkingLot`, `TriageStore` and `LabelStore`.
#[derive(Clone)]
pub struct AwsStore {
    client: aws_sdk_dynamodb::Client,
    tables: TableNames,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
    batch_policy: RetryPolicy,
    /// Each table's indexes, for the write-unit estimates.
    indexes: Arc<HashMap<String, Vec<IndexSpec>>>,
    /// The case items this process last read or wrote, by key: the item a save replaces when
    /// its version matches (the save's condition proves it), so its index writes are counted
    /// exactly. Estimates only; bounded.
    case_priors: Arc<std::sync::Mutex<HashMap<String, Item>>>,
    /// How long records are kept: dated items carry `expires_at` (epoch seconds), which the
    /// tables' TTL deletes. None: nothing is dated.
    retention: Option<socialcare_domain::retention::RetentionPolicy>,
}

/// Case items remembered for the estimates (a few hundred KB at most).
const CASE_PRIORS: usize = 512;

impl AwsStore {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: TableNames) -> Self {
        Self {
            client,
            counters: Arc::new(Counters::new()),
            clock: Arc::new(SystemClock),
            batch_policy: RetryPolicy::default(),
            indexes: Arc::new(crate::provision::indexes_by_table(&tables)),
            case_priors: Arc::default(),
            retention: None,
            tables,
        }
    }

    /// Dates the items the policy covers (posts, resolved cases, labels, deletion requests)
    /// with `expires_at`, the TTL attribute of their tables.
    pub fn with_retention(mut self, policy: socialcare_domain::retention::RetentionPolicy) -> Self {
        self.retention = Some(policy);
        self
    }

    /// Shares request counters with other adapters (one `Arc<Counters>` per process).
    pub fn with_counters(mut self, counters: Arc<Counters>) -> Self {
        self.counters = counters;
        self
    }

    /// The clock that decides whether a dedupe record has expired when a new one is written.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// A strongly consistent GetItem by partition key.
    async fn get_item(&self, table: &str, pk: &str) -> PortResult<Option<Item>> {
        self.counters.add(Op::GetItem);
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key(pk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map_sdk("GetItem", e))?;
        let size = out.item.as_ref().map_or(0, item_size);
        self.counters.add_read_halves(Op::GetItem, read_half_units(size, true));
        Ok(out.item)
    }

    fn indexes_of(&self, table: &str) -> &[IndexSpec] {
        self.indexes.get(table).map_or(&[], Vec::as_slice)
    }

    /// The estimated units of putting `item` into `table` over `prior`.
    fn put_units(&self, table: &str, item: &Item, prior: Prior<'_>) -> WriteCost {
        put_cost(item, prior, crate::codec::PK, self.indexes_of(table))
    }

    /// The case item stored at `expected` version, if this process saw it.
    fn case_prior(&self, pk: &str, expected: u64) -> Option<Item> {
        let priors = self.case_priors.lock().ok()?;
        let item = priors.get(pk)?;
        (crate::codec::get_n::<u64>(item, crate::tables::schema::VERSION).ok() == Some(expected)).then(|| item.clone())
    }

    fn remember_case_item(&self, item: &Item) {
        let Some(pk) = crate::codec::opt_s(item, crate::codec::PK) else {
            return;
        };
        if let Ok(mut priors) = self.case_priors.lock() {
            if priors.len() >= CASE_PRIORS && !priors.contains_key(pk) {
                priors.clear();
            }
            priors.insert(pk.to_string(), item.clone());
        }
    }

    /// A PutItem under `condition`. `Ok(false)` when the condition failed.
    async fn put_if(
        &self,
        table: &str,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> PortResult<bool> {
        self.counters.add(Op::PutItem);
        let done = self.put_units(table, &item, prior_of(Some(condition)));
        let failed = failed_write_cost(&item);
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(names_map(names))
            .set_expression_attribute_values(values_map(values))
            .send()
            .await;
        match result {
            Ok(_) => {
                self.counters.add_writes(Op::PutItem, done);
                Ok(true)
            }
            Err(e) if is_ccf_put(&e) => {
                self.counters.add_writes(Op::PutItem, failed);
                Ok(false)
            }
            Err(e) => Err(map_sdk("PutItem", e)),
        }
    }

    async fn put(&self, table: &str, item: Item) -> PortResult<()> {
        self.counters.add(Op::PutItem);
        self.counters
            .add_writes(Op::PutItem, self.put_units(table, &item, Prior::Unknown));
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| map_sdk("PutItem", e))?;
        Ok(())
    }

    /// An UpdateItem under `condition`. `Ok(false)` when the condition failed.
    async fn update_if(
        &self,
        table: &str,
        pk: &str,
        update: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> PortResult<bool> {
        self.counters.add(Op::UpdateItem);
        let result = self
            .client
            .update_item()
            .table_name(table)
            .set_key(Some(key(pk)))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(names_map(names))
            .set_expression_attribute_values(values_map(values))
            // The item after the update, to size its write units (returning it costs no units).
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let after = out.attributes.unwrap_or_default();
                self.counters
                    .add_writes(Op::UpdateItem, self.put_units(table, &after, Prior::Unknown));
                Ok(true)
            }
            Err(e) if is_ccf_update(&e) => {
                self.counters
                    .add_writes(Op::UpdateItem, WriteCost { table: 1, indexes: 0 });
                Ok(false)
            }
            Err(e) => Err(map_sdk("UpdateItem", e)),
        }
    }

    /// Every item of every table, as text (a packed document inflated to its JSON): what a
    /// test searches to prove that an erased value is nowhere. A scan of everything: tests only.
    pub async fn debug_dump(&self) -> PortResult<String> {
        let mut out = String::new();
        for table in self.tables.all() {
            for item in self.scan_all(table).await? {
                let mut keys: Vec<&String> = item.keys().collect();
                keys.sort();
                out.push_str(table);
                for k in keys {
                    let v = match &item[k] {
                        AttributeValue::B(b) => crate::codec::unpack(b.as_ref()).map_or_else(
                            |_| format!("{:?}", b.as_ref()),
                            |json| String::from_utf8_lossy(&json).into_owned(),
                        ),
                        other => format!("{other:?}"),
                    };
                    out.push_str(&format!(" {k}={v}"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// A DeleteItem under `condition`. `Ok(false)` when the condition failed.
    async fn delete_if(
        &self,
        table: &str,
        pk: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> PortResult<bool> {
        self.counters.add(Op::DeleteItem);
        let result = self
            .client
            .delete_item()
            .table_name(table)
            .set_key(Some(key(pk)))
            .condition_expression(condition)
            .set_expression_attribute_names(names_map(names))
            .set_expression_attribute_values(values_map(values))
            .send()
            .await;
        match result {
            Ok(_) => {
                self.counters
                    .add_writes(Op::DeleteItem, WriteCost { table: 1, indexes: 0 });
                Ok(true)
            }
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_dynamodb::operation::delete_item::DeleteItemError::is_conditional_check_failed_exception,
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(map_sdk("DeleteItem", e)),
        }
    }

    /// Query pages of an index (or the table), in sort-key order, until `stop` says enough
    /// or the index is exhausted. `stop` sees every item; returning true ends the walk.
    #[allow(clippy::too_many_arguments)]
    async fn query_walk(
        &self,
        table: &str,
        index: Option<&str>,
        key_condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        forward: bool,
        page_size: Option<i32>,
        mut visit: impl FnMut(Item) -> PortResult<bool>,
    ) -> PortResult<()> {
        let mut start: Option<Item> = None;
        loop {
            self.counters.add(Op::Query);
            let out = self
                .client
                .query()
                .table_name(table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(key_condition)
                .set_expression_attribute_names(names_map(names))
                .set_expression_attribute_values(values_map(values.clone()))
                .scan_index_forward(forward)
                .set_limit(page_size)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| map_sdk("Query", e))?;
            let items = out.items.unwrap_or_default();
            // Index queries (and these table queries) are eventually consistent: half units.
            self.counters
                .add_read_halves(Op::Query, read_half_units(items.iter().map(item_size).sum(), false));
            for item in items {
                if visit(item)? {
                    return Ok(());
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(()),
            }
        }
    }

    /// Every item of a table (small tables only: agents; or list queries without a key).
    /// One TransactWriteItems, counted, its error mapped (cancellation reasons kept) under `op`.
    /// No client request token on purpose: with one, two identical racing writes would both
    /// "succeed" (DynamoDB's idempotency), unlike every other backend. An SDK retry of a write
    /// that did land fails its condition instead, and the caller re-reads: still correct.
    async fn transact(
        &self,
        op: &str,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<(), crate::error::TransactError> {
        self.transact_over(op, items, &[]).await
    }

    /// [`AwsStore::transact`], with what is known of the items that the first puts replace
    /// (`priors[i]` for item i; the rest inferred from their conditions).
    async fn transact_over(
        &self,
        op: &str,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        priors: &[Prior<'_>],
    ) -> Result<(), crate::error::TransactError> {
        self.counters.add(Op::TransactWriteItems);
        let mut cost = WriteCost::default();
        for (i, write) in items.iter().enumerate() {
            let one = if let Some(put) = write.put() {
                let prior = priors
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| prior_of(put.condition_expression()));
                self.put_units(put.table_name(), put.item(), prior)
            } else {
                // Updates (agents' load, identifier sets) and deletes (active-case pointers) touch
                // items under 1 KB that are in no index.
                WriteCost { table: 1, indexes: 0 }
            };
            cost.table += one.table;
            cost.indexes += one.indexes;
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| crate::error::map_transact(op, e));
        // A cancelled transaction consumes units too (its reads of the conditions): the full
        // cost is counted either way, an upper bound.
        self.counters.add_writes(Op::TransactWriteItems, cost.transactional());
        result
    }

    async fn scan_all(&self, table: &str) -> PortResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.counters.add(Op::Scan);
            let out = self
                .client
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| map_sdk("Scan", e))?;
            let page = out.items.unwrap_or_default();
            self.counters
                .add_read_halves(Op::Scan, read_half_units(page.iter().map(item_size).sum(), true));
            items.extend(page);
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }
}

/// What a successful write conditioned on `condition` replaced: nothing when the condition was
/// the item's absence alone.
fn prior_of(condition: Option<&str>) -> Prior<'static> {
    match condition {
        Some("attribute_not_exists(#pk)") => Prior::Absent,
        _ => Prior::Unknown,
    }
}

pub(crate) fn names_map(names: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    (!names.is_empty()).then(|| {
        names
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    })
}

pub(crate) fn values_map(values: Vec<(&str, AttributeValue)>) -> Option<HashMap<String, AttributeValue>> {
    (!values.is_empty()).then(|| values.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn is_ccf_put<R>(e: &aws_sdk_dynamodb::error::SdkError<PutItemError, R>) -> bool {
    e.as_service_error()
        .is_some_and(PutItemError::is_conditional_check_failed_exception)
}

fn is_ccf_update<R>(e: &aws_sdk_dynamodb::error::SdkError<UpdateItemError, R>) -> bool {
    e.as_service_error()
        .is_some_and(UpdateItemError::is_conditional_check_failed_exception)
}

/// Wraps a decode failure of a stored item with the table it came from.
/// Sets `expires_at` (epoch seconds, the TTL attribute) on `item` when there is an expiry.
pub(crate) fn date(item: &mut Item, expiry: Option<jiff::Timestamp>) {
    if let Some(at) = expiry {
        item.insert(
            crate::tables::schema::EXPIRES_AT.to_string(),
            crate::codec::n(at.as_second()),
        );
    }
}

pub(crate) fn corrupt(table: &str, pk: &str, e: PortError) -> PortError {
    match e {
        PortError::Invalid(m) => PortError::Invalid(format!("{table}/{pk}: {m}")),
        other => other,
    }
}
