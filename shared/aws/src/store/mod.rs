//! `AwsStore`: every table port on DynamoDB. One struct, one client, one set of tables;
//! each port lives in its own file.

mod agents;
mod alerts;
mod cases;
mod customers;
mod dedupe;
mod parked;
mod posts;
mod timers;

use crate::batch::RetryPolicy;
use crate::codec::{Item, key};
use crate::counts::{Counters, Op};
use crate::error::map_sdk;
use crate::tables::TableNames;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;
use std::sync::Arc;

/// DynamoDB implementation of `Dedupe`, `PostStore`, `CustomerStore`, `CaseStore`,
/// `AgentStore`, `TimerStore`, `AlertStore` and `ParkingLot`.
#[derive(Clone)]
pub struct AwsStore {
    client: aws_sdk_dynamodb::Client,
    tables: TableNames,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
    batch_policy: RetryPolicy,
}

impl AwsStore {
    pub fn new(client: aws_sdk_dynamodb::Client, tables: TableNames) -> Self {
        Self {
            client,
            tables,
            counters: Arc::new(Counters::new()),
            clock: Arc::new(SystemClock),
            batch_policy: RetryPolicy::default(),
        }
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
        Ok(out.item)
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
            Ok(_) => Ok(true),
            Err(e) if is_ccf_put(&e) => Ok(false),
            Err(e) => Err(map_sdk("PutItem", e)),
        }
    }

    async fn put(&self, table: &str, item: Item) -> PortResult<()> {
        self.counters.add(Op::PutItem);
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
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_ccf_update(&e) => Ok(false),
            Err(e) => Err(map_sdk("UpdateItem", e)),
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
            for item in out.items.unwrap_or_default() {
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
        self.counters.add(Op::TransactWriteItems);
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| crate::error::map_transact(op, e))
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
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
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
pub(crate) fn corrupt(table: &str, pk: &str, e: PortError) -> PortError {
    match e {
        PortError::Invalid(m) => PortError::Invalid(format!("{table}/{pk}: {m}")),
        other => other,
    }
}
