//! `CaseStore` on the cases table: `case#<id>` items and `active#<customer id>` pointer items.
//!
//! Every case write is conditional on the stored version (and on the stored activeness, which
//! decides whether the customer's active-case pointer moves). A write that changes the agent's
//! load or the pointer is one TransactWriteItems with the case; a write that changes neither
//! is a single conditional PutItem (half the write units, no transaction).

use super::{AwsStore, corrupt, names_map, values_map};
use crate::codec::{DOC, Item, PK, from_doc, get_n, get_s, key, n, s, sort_key, to_packed_doc};
use crate::counts::Op;
use crate::error::{TransactError, map_sdk};
use crate::tables::schema::{
    ACTIVE, ASSIGNEE, CAPACITY, CHANNEL_CAPACITY_PREFIX, CHANNEL_LOAD_PREFIX, CREATED, CREATED_DAY, CUSTOMER,
    GSI_CASES_BY_ASSIGNEE, GSI_CASES_BY_CUSTOMER, GSI_CASES_BY_STATUS, GSI_CASES_WAITING, LOAD, POINTER_CASE, STATUS,
    VERSION, WAITING,
};
use crate::units::{Prior, failed_write_cost};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use socialcare_domain::ports::{CaseQuery, CaseStore, LoadChange};
use socialcare_domain::{AgentId, Case, CaseId, Channel, CustomerId, PortError, PortResult};
use std::collections::HashMap;

mod moves;

fn case_pk(id: &CaseId) -> String {
    format!("case#{id}")
}

fn pointer_pk(customer: &CustomerId) -> String {
    format!("active#{customer}")
}

/// The value of the sparse `waiting` index key.
const WAITING_VALUE: &str = "waiting";

/// The `by_day` partition of the cases created on the UTC `day` (`YYYY-MM-DD`).
pub(super) fn day_partition(day: &str) -> String {
    format!("created#{day}")
}

fn case_item(case: &Case, retention: Option<&socialcare_domain::retention::RetentionPolicy>) -> PortResult<Item> {
    let mut item = HashMap::from([
        (PK.to_string(), s(case_pk(&case.id))),
        (DOC.to_string(), to_packed_doc(case)?),
        (VERSION.to_string(), n(case.version)),
        (ACTIVE.to_string(), AttributeValue::Bool(case.status.is_active())),
        (CUSTOMER.to_string(), s(case.customer_id.as_str())),
        (STATUS.to_string(), s(case.status.as_str())),
        (CREATED.to_string(), s(sort_key(case.created_at, case.id.as_str()))),
        (
            CREATED_DAY.to_string(),
            s(day_partition(&socialcare_domain::reports::day_of(case.created_at))),
        ),
    ]);
    if let Some(agent) = &case.assignee {
        item.insert(ASSIGNEE.to_string(), s(agent.as_str()));
    }
    if case.is_waiting() {
        item.insert(WAITING.to_string(), s(WAITING_VALUE));
    }
    // Every save writes the whole item: a reopened case's item has no `expires_at` any more.
    super::date(&mut item, retention.and_then(|r| r.case_expiry(case)));
    Ok(item)
}

fn build_err(e: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("case write: {e}"))
}

/// What a failed case condition turned out to mean, after reading the case.
enum CaseCheck {
    /// The version matched; the stored case's activeness differs from the guess.
    StoredActive(bool),
    Failed(PortError),
}

impl AwsStore {
    /// One page of case keys from a case index, in (created_at, id) order (descending when not
    /// `forward`), strictly past the sort key `past` when given, and where the next page starts.
    /// Index queries are eventually consistent: the cases read after decide.
    #[allow(clippy::too_many_arguments)]
    async fn index_keys(
        &self,
        index: &str,
        attr: &str,
        value: &str,
        forward: bool,
        past: Option<&str>,
        page: Option<i32>,
        start: Option<Item>,
    ) -> PortResult<(Vec<(String, String)>, Option<Item>)> {
        self.counters.add(Op::Query);
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.cases)
            .index_name(index)
            .expression_attribute_names("#k", attr)
            .expression_attribute_values(":v", s(value))
            .scan_index_forward(forward)
            .set_limit(page)
            .set_exclusive_start_key(start);
        query = match past {
            Some(past) => query
                .key_condition_expression(if forward {
                    "#k = :v AND #c > :past"
                } else {
                    "#k = :v AND #c < :past"
                })
                .expression_attribute_names("#c", CREATED)
                .expression_attribute_values(":past", s(past)),
            None => query.key_condition_expression("#k = :v"),
        };
        let out = query.send().await.map_err(|e| map_sdk("Query", e))?;
        let items = out.items.unwrap_or_default();
        self.counters.add_read_halves(
            Op::Query,
            crate::units::read_half_units(items.iter().map(crate::units::item_size).sum(), false),
        );
        // KEYS_ONLY projects the index's own keys too: the sort key orders the merge.
        let keys = items
            .iter()
            .map(|i| Ok((get_s(i, CREATED)?.to_string(), get_s(i, PK)?.to_string())))
            .collect::<PortResult<Vec<_>>>()?;
        Ok((keys, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// The cases stored under `pks` (consistent reads; a key whose case is gone is skipped),
    /// in the order of `pks`.
    pub(super) async fn cases_by_pk(&self, pks: &[String]) -> PortResult<Vec<Case>> {
        if pks.is_empty() {
            return Ok(Vec::new());
        }
        let mut distinct = std::collections::HashSet::new();
        let keys = pks.iter().filter(|pk| distinct.insert(pk.as_str())).map(key).collect();
        let items = crate::batch::batch_get(
            &self.client,
            &self.counters,
            &self.tables.cases,
            keys,
            self.batch_policy,
        )
        .await?;
        let mut by_pk: HashMap<String, Case> = HashMap::new();
        for item in &items {
            by_pk.insert(get_s(item, PK)?.to_string(), self.decode_case(item)?);
        }
        Ok(pks.iter().filter_map(|pk| by_pk.remove(pk)).collect())
    }

    fn decode_case(&self, item: &Item) -> PortResult<Case> {
        from_doc(item).map_err(|e| corrupt(&self.tables.cases, get_s(item, PK).unwrap_or("?"), e))
    }

    fn pointer_put(&self, case: &Case) -> PortResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.tables.cases)
            .item(PK, s(pointer_pk(&case.customer_id)))
            .item(POINTER_CASE, s(case.id.as_str()))
            .condition_expression("attribute_not_exists(#pk) OR #case = :case")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#case", POINTER_CASE)
            .expression_attribute_values(":case", s(case.id.as_str()))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// `customer`'s active-case pointer deleted, if it points at `case` (or is gone already).
    fn pointer_delete(&self, customer: &CustomerId, case: &Case) -> PortResult<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.tables.cases)
            .set_key(Some(key(pointer_pk(customer))))
            .condition_expression("attribute_not_exists(#pk) OR #case = :case")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#case", POINTER_CASE)
            .expression_attribute_values(":case", s(case.id.as_str()))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The agent's side of a case transaction: the total load and the load of the case's
    /// channel move together; a take is conditioned on both limits.
    fn load_update(&self, change: &LoadChange, channel: Channel) -> PortResult<Option<TransactWriteItem>> {
        let (agent, update, condition) = match change {
            LoadChange::None => return Ok(None),
            LoadChange::Take(a) => (
                a,
                "SET #load = #load + :one, #chl = if_not_exists(#chl, :zero) + :one",
                "attribute_exists(#pk) AND #load < #cap AND (attribute_not_exists(#chc) OR #chl < #chc)",
            ),
            LoadChange::Release(a) => (
                a,
                "SET #load = #load - :one, #chl = if_not_exists(#chl, :one) - :one",
                "attribute_exists(#pk) AND #load > :zero",
            ),
        };
        let mut builder = Update::builder()
            .table_name(&self.tables.agents)
            .set_key(Some(key(agent.as_str())))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#load", LOAD)
            .expression_attribute_names("#chl", format!("{CHANNEL_LOAD_PREFIX}{}", channel.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0));
        if let LoadChange::Take(_) = change {
            builder = builder
                .expression_attribute_names("#cap", CAPACITY)
                .expression_attribute_names("#chc", format!("{CHANNEL_CAPACITY_PREFIX}{}", channel.as_str()));
        }
        Ok(Some(
            TransactWriteItem::builder()
                .update(builder.build().map_err(build_err)?)
                .build(),
        ))
    }

    /// Reads the case after its condition failed, to tell a lost race from a missing case
    /// from an activeness change (which needs the pointer in the same write).
    async fn check_case(&self, case: &Case, expected: u64, guessed_active: bool) -> PortResult<CaseCheck> {
        let Some(stored) = self.get_item(&self.tables.cases, &case_pk(&case.id)).await? else {
            return Ok(CaseCheck::Failed(PortError::NotFound(format!("case {}", case.id))));
        };
        let version: u64 = get_n(&stored, VERSION)?;
        if version != expected {
            return Ok(CaseCheck::Failed(PortError::Conflict(format!(
                "case {} is at version {version}, not {expected}",
                case.id
            ))));
        }
        let stored_active = matches!(stored.get(ACTIVE), Some(AttributeValue::Bool(true)));
        if stored_active != guessed_active {
            return Ok(CaseCheck::StoredActive(stored_active));
        }
        // Same version, same activeness: it changed and changed back in between. A lost race.
        Ok(CaseCheck::Failed(PortError::Conflict(format!(
            "case {} changed while being saved",
            case.id
        ))))
    }

    /// Reads the agent after its load condition failed.
    async fn check_agent(&self, agent: &AgentId, change: &LoadChange) -> PortResult<PortError> {
        let Some(item) = self.get_item(&self.tables.agents, agent.as_str()).await? else {
            return Ok(PortError::NotFound(format!("agent {agent}")));
        };
        let load: u32 = get_n(&item, LOAD)?;
        let capacity: u32 = get_n(&item, CAPACITY)?;
        Ok(PortError::Conflict(match change {
            LoadChange::Take(_) => format!("agent {agent} is at capacity ({load}/{capacity})"),
            _ => format!("agent {agent} has load {load}"),
        }))
    }

    /// The case alone, when neither the load nor the pointer changes: one conditional PutItem.
    async fn put_case_only(&self, case: &Case, expected: u64) -> PortResult<Result<(), CaseCheck>> {
        let active = case.status.is_active();
        self.counters.add(Op::PutItem);
        let item = case_item(case, self.retention.as_ref())?;
        let prior = self.case_prior(&case_pk(&case.id), expected);
        let cost = self.put_units(
            &self.tables.cases,
            &item,
            prior.as_ref().map_or(Prior::Unknown, Prior::Known),
        );
        let failed = failed_write_cost(&item);
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.cases)
            .set_item(Some(item.clone()))
            .condition_expression("#ver = :expected AND #active = :was")
            .set_expression_attribute_names(names_map(&[("#ver", VERSION), ("#active", ACTIVE)]))
            .set_expression_attribute_values(values_map(vec![
                (":expected", n(expected)),
                (":was", AttributeValue::Bool(active)),
            ]))
            .send()
            .await;
        match result {
            Ok(_) => {
                self.counters.add_writes(Op::PutItem, cost);
                self.remember_case_item(&item);
                Ok(Ok(()))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(PutItemError::is_conditional_check_failed_exception) =>
            {
                self.counters.add_writes(Op::PutItem, failed);
                Ok(Err(self.check_case(case, expected, active).await?))
            }
            Err(e) => Err(map_sdk("PutItem", e)),
        }
    }
}

#[async_trait]
impl CaseStore for AwsStore {
    async fn get(&self, id: &CaseId) -> PortResult<Option<Case>> {
        let Some(item) = self.get_item(&self.tables.cases, &case_pk(id)).await? else {
            return Ok(None);
        };
        let case = self.decode_case(&item)?;
        self.remember_case_item(&item);
        Ok(Some(case))
    }

    async fn active_case_of(&self, customer: &CustomerId) -> PortResult<Option<CaseId>> {
        let Some(item) = self.get_item(&self.tables.cases, &pointer_pk(customer)).await? else {
            return Ok(None);
        };
        CaseId::parse(get_s(&item, POINTER_CASE)?)
            .map(Some)
            .map_err(|e| PortError::Invalid(format!("active pointer of {customer}: {e}")))
    }

    async fn create(&self, case: &Case) -> PortResult<()> {
        let item = case_item(case, self.retention.as_ref())?;
        let put = Put::builder()
            .table_name(&self.tables.cases)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if case.status.is_active() {
            let pointer = Put::builder()
                .table_name(&self.tables.cases)
                .item(PK, s(pointer_pk(&case.customer_id)))
                .item(POINTER_CASE, s(case.id.as_str()))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(build_err)?;
            items.push(TransactWriteItem::builder().put(pointer).build());
        }
        match self.transact("CaseStore::save", items).await {
            Ok(()) => {
                self.remember_case_item(&item);
                Ok(())
            }
            Err(TransactError::Cancelled(c)) if c.failed_condition(0) => {
                Err(PortError::Conflict(format!("case {} exists", case.id)))
            }
            Err(TransactError::Cancelled(c)) if c.failed_condition(1) => Err(PortError::Conflict(format!(
                "customer {} has an active case",
                case.customer_id
            ))),
            Err(TransactError::Cancelled(c)) => Err(c.into_port_error("CaseStore::create")),
            Err(TransactError::Other(e)) => Err(e),
        }
    }

    async fn save(&self, case: &Case, expected_version: u64, load: LoadChange) -> PortResult<()> {
        if case.version != expected_version + 1 {
            return Err(PortError::Invalid(format!(
                "case {} must be saved at version {}",
                case.id,
                expected_version + 1
            )));
        }
        let mut load = load;
        let is_active = case.status.is_active();
        // A guess of the stored case's activeness, checked by the write's condition: an active
        // case was active (nearly every write), an inactive one was active too (resolving is
        // the usual way to become inactive). A wrong guess costs one read and one more try.
        let mut was_active = true;
        for _ in 0..4 {
            let agent_item = self.load_update(&load, case.channel)?;
            let pointer_changes = was_active != is_active;
            if agent_item.is_none() && !pointer_changes {
                match self.put_case_only(case, expected_version).await? {
                    Ok(()) => return Ok(()),
                    Err(CaseCheck::StoredActive(stored)) => {
                        was_active = stored;
                        continue;
                    }
                    Err(CaseCheck::Failed(e)) => return Err(e),
                }
            }
            let item = case_item(case, self.retention.as_ref())?;
            let put = Put::builder()
                .table_name(&self.tables.cases)
                .set_item(Some(item.clone()))
                .condition_expression("#ver = :expected AND #active = :was")
                .expression_attribute_names("#ver", VERSION)
                .expression_attribute_names("#active", ACTIVE)
                .expression_attribute_values(":expected", n(expected_version))
                .expression_attribute_values(":was", AttributeValue::Bool(was_active))
                .build()
                .map_err(build_err)?;
            let mut items = vec![TransactWriteItem::builder().put(put).build()];
            let agent_index = agent_item.as_ref().map(|_| items.len());
            items.extend(agent_item);
            let pointer_index = pointer_changes.then_some(items.len());
            if pointer_changes {
                items.push(if is_active {
                    self.pointer_put(case)?
                } else {
                    self.pointer_delete(&case.customer_id, case)?
                });
            }
            let prior = self.case_prior(&case_pk(&case.id), expected_version);
            let priors = [prior.as_ref().map_or(Prior::Unknown, Prior::Known)];
            let cancelled = match self.transact_over("CaseStore::save", items, &priors).await {
                Ok(()) => {
                    self.remember_case_item(&item);
                    return Ok(());
                }
                Err(TransactError::Other(e)) => return Err(e),
                Err(TransactError::Cancelled(c)) => c,
            };
            if cancelled.failed_condition(0) {
                match self.check_case(case, expected_version, was_active).await? {
                    CaseCheck::StoredActive(stored) => {
                        was_active = stored;
                        continue;
                    }
                    CaseCheck::Failed(e) => return Err(e),
                }
            }
            if let Some(i) = agent_index
                && cancelled.failed_condition(i)
            {
                let agent = match &load {
                    LoadChange::Take(a) | LoadChange::Release(a) => a.clone(),
                    LoadChange::None => return Err(cancelled.into_port_error("CaseStore::save")),
                };
                let error = self.check_agent(&agent, &load).await?;
                if matches!(load, LoadChange::Release(_)) && matches!(error, PortError::Conflict(_)) {
                    // Load is already zero: never go below it, and do not refuse the case write.
                    tracing::warn!(case_id = %case.id, agent_id = %agent, "release on an agent with no load");
                    load = LoadChange::None;
                    continue;
                }
                return Err(error);
            }
            if let Some(i) = pointer_index
                && cancelled.failed_condition(i)
            {
                return Err(PortError::Conflict(format!(
                    "customer {} has another active case",
                    case.customer_id
                )));
            }
            return Err(cancelled.into_port_error("CaseStore::save"));
        }
        Err(PortError::Conflict(format!(
            "case {} kept changing while being saved",
            case.id
        )))
    }

    async fn move_case(&self, case: &Case, expected_version: u64, from: &CustomerId) -> PortResult<()> {
        self.move_between_customers(case, expected_version, from).await
    }

    async fn list(&self, query: &CaseQuery) -> PortResult<Vec<Case>> {
        let table = &self.tables.cases;
        let mut out: Vec<Case> = Vec::new();
        let limit = query.limit.unwrap_or(usize::MAX);
        let after = query.after.as_ref();
        let matches = |c: &Case| {
            (query.statuses.is_empty() || query.statuses.contains(&c.status))
                && query.assignee.as_ref().is_none_or(|a| c.assignee.as_ref() == Some(a))
                && (!query.waiting || c.is_waiting())
                && query.customer.as_ref().is_none_or(|cu| &c.customer_id == cu)
                && after.is_none_or(|a| a.precedes(c, query.newest_first))
        };
        let statuses = |list: &[socialcare_domain::CaseStatus]| {
            let mut statuses: Vec<String> = list.iter().map(|s| s.as_str().to_string()).collect();
            statuses.sort();
            statuses.dedup();
            statuses
        };
        // The most selective index that answers the query; the rest is filtered here. A limited
        // list without a filter reads the status index (every case has a status) so that it
        // too stops at its limit; an unlimited one scans (one read per item, no index keys).
        let index: Option<(&str, &str, Vec<String>)> = if let Some(customer) = &query.customer {
            Some((GSI_CASES_BY_CUSTOMER, CUSTOMER, vec![customer.to_string()]))
        } else if let Some(agent) = &query.assignee {
            Some((GSI_CASES_BY_ASSIGNEE, ASSIGNEE, vec![agent.to_string()]))
        } else if query.waiting {
            Some((GSI_CASES_WAITING, WAITING, vec![WAITING_VALUE.to_string()]))
        } else if !query.statuses.is_empty() {
            Some((GSI_CASES_BY_STATUS, STATUS, statuses(&query.statuses)))
        } else if query.limit.is_some() {
            Some((
                GSI_CASES_BY_STATUS,
                STATUS,
                statuses(&socialcare_domain::CaseStatus::ALL),
            ))
        } else {
            None
        };
        match index {
            Some((index, attr, values)) => {
                // The case indexes hold keys only (`KEYS_ONLY`: a case write costs no index
                // write unless a key moves). One stream of keys per index value, in (created_at,
                // id) order from the cursor on, merged by that sort key; only the keys that can
                // still make the page are read as cases (consistently, the case decides), so a
                // limited list reads O(limit) cases and O(values × limit) keys at most.
                let page = (limit < usize::MAX).then(|| i32::try_from(limit.clamp(1, 100)).unwrap_or(100));
                let past = after.map(|a| sort_key(a.created_at, a.id.as_str()));
                let forward = !query.newest_first;
                let mut streams: Vec<KeyStream> = values.iter().map(|_| KeyStream::default()).collect();
                while out.len() < limit {
                    for (stream, value) in streams.iter_mut().zip(&values) {
                        if stream.keys.is_empty() && !stream.done {
                            let (keys, next) = self
                                .index_keys(index, attr, value, forward, past.as_deref(), page, stream.next.take())
                                .await?;
                            stream.keys.extend(keys);
                            stream.done = next.is_none();
                            stream.next = next;
                        }
                    }
                    let want = (limit - out.len()).min(100);
                    let mut chunk = Vec::new();
                    // A stream that is empty but not done may hold the next key: refill first.
                    while chunk.len() < want && !streams.iter().any(|s| s.keys.is_empty() && !s.done) {
                        let best = streams
                            .iter()
                            .enumerate()
                            .filter_map(|(i, s)| s.keys.front().map(|k| (i, &k.0)))
                            .reduce(|a, b| if (b.1 < a.1) == forward { b } else { a });
                        let Some((i, _)) = best else { break };
                        if let Some((_, pk)) = streams[i].keys.pop_front() {
                            chunk.push(pk);
                        }
                    }
                    if chunk.is_empty() {
                        if streams.iter().all(|s| s.keys.is_empty() && s.done) {
                            break;
                        }
                        continue;
                    }
                    let mut cases = self.cases_by_pk(&chunk).await?;
                    cases.retain(|c| matches(c));
                    out.extend(cases);
                }
            }
            None => {
                for item in self.scan_all(table).await? {
                    if get_s(&item, PK).is_ok_and(|pk| pk.starts_with("case#")) {
                        let case = self.decode_case(&item)?;
                        if matches(&case) {
                            out.push(case);
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        if query.newest_first {
            out.reverse();
        }
        out.truncate(limit);
        Ok(out)
    }
}

/// Keys of one index value not yet merged, and where its next page starts.
#[derive(Default)]
struct KeyStream {
    keys: std::collections::VecDeque<(String, String)>,
    next: Option<Item>,
    done: bool,
}
