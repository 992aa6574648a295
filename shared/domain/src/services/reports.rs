//! Reports: the per-case report rows, kept as cases are written ([`ReportingCases`]) or derived
//! from the cases when read ([`ReportSource`]), and the supervisors' reads of them ([`Reports`]).
//!
//! Every service that saves a case does it through [`CaseStore`]; wrapping the case store once
//! keeps the rows of every stage without a change to any of them. The row is derived whole from
//! the saved case (never incremented), after the case write succeeded: a row write that fails
//! fails the operation (its caller retries or answers 503) and the next save of the case writes
//! the row again, so a row is at worst one change behind its case, never wrong in another way.
//!
//! Most saves change nothing a report shows (a post joins and the sentiment stays, a clock is
//! re-armed, the routing explanation grows): the rows of the cases this process read are kept
//! for a while, and a save whose row equals the row of the version it replaced writes nothing.

use super::desk::Principal;
use crate::case::{Case, CaseStatus};
use crate::error::{PortResult, ServiceError};
use crate::ids::{CaseId, CustomerId};
use crate::ports::{CaseQuery, CaseStore, CasesCreated, Clock, LoadChange, ReportStore};
use crate::reports::{CaseReport, LiveCounts, MAX_RANGE_DAYS, ReportBy, ReportRow, live, summarize};
use crate::sla::SlaPolicy;
use async_trait::async_trait;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Rows of cases read lately, remembered to skip writing an unchanged row (cleared whole when
/// this full: a forgotten row only costs a write).
const REMEMBERED_ROWS: usize = 4_096;

/// A case store that writes each saved case's report row after it.
pub struct ReportingCases {
    inner: Arc<dyn CaseStore>,
    rows: Arc<dyn ReportStore>,
    policy: SlaPolicy,
    /// case → (version, its row) as last read or written by this process.
    seen: Mutex<HashMap<CaseId, (u64, ReportRow)>>,
}

impl ReportingCases {
    /// `policy` is the SLA policy the clocks are kept with (business time is on its calendars).
    pub fn new(inner: Arc<dyn CaseStore>, rows: Arc<dyn ReportStore>, policy: SlaPolicy) -> Self {
        Self {
            inner,
            rows,
            policy,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, case: &Case, row: ReportRow) {
        // A poisoned lock only loses the memory of rows: every row is then written.
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= REMEMBERED_ROWS {
                seen.clear();
            }
            seen.insert(case.id.clone(), (case.version, row));
        }
    }

    /// Whether `row` (of the version after `expected`) shows what the row of `expected` showed.
    fn unchanged(&self, row: &ReportRow, expected: u64) -> bool {
        let Ok(seen) = self.seen.lock() else { return false };
        seen.get(&row.case_id).is_some_and(|(version, before)| {
            *version == expected
                && ReportRow {
                    version: row.version,
                    ..before.clone()
                } == *row
        })
    }

    async fn write_row(&self, case: &Case, expected: Option<u64>) -> PortResult<()> {
        let row = ReportRow::of(case, &self.policy);
        if expected.is_some_and(|e| self.unchanged(&row, e)) {
            // The stored row keeps its older version: the next change outranks it all the same.
            if let Ok(mut seen) = self.seen.lock()
                && let Some(entry) = seen.get_mut(&case.id)
            {
                entry.0 = case.version;
            }
            return Ok(());
        }
        self.rows.put_report_row(&row).await?;
        self.remember(case, row);
        Ok(())
    }
}

#[async_trait]
impl CaseStore for ReportingCases {
    async fn get(&self, id: &CaseId) -> PortResult<Option<Case>> {
        let case = self.inner.get(id).await?;
        if let Some(c) = &case {
            self.remember(c, ReportRow::of(c, &self.policy));
        }
        Ok(case)
    }
    async fn active_case_of(&self, customer: &CustomerId) -> PortResult<Option<CaseId>> {
        self.inner.active_case_of(customer).await
    }
    async fn create(&self, case: &Case) -> PortResult<()> {
        self.inner.create(case).await?;
        self.write_row(case, None).await
    }
    async fn save(&self, case: &Case, expected_version: u64, load: LoadChange) -> PortResult<()> {
        self.inner.save(case, expected_version, load).await?;
        self.write_row(case, Some(expected_version)).await
    }
    async fn list(&self, query: &CaseQuery) -> PortResult<Vec<Case>> {
        self.inner.list(query).await
    }
    async fn waiting_cases(&self) -> PortResult<Vec<crate::ports::WaitingCase>> {
        self.inner.waiting_cases().await
    }
    async fn move_case(&self, case: &Case, expected_version: u64, from: &CustomerId) -> PortResult<()> {
        // The row names no customer: a move changes nothing in it.
        self.inner.move_case(case, expected_version, from).await
    }
}

/// Why a report range was refused, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct RangeError {
    pub param: &'static str,
    pub reason: String,
}

/// Checks a report's `[from, to)`: `to` after `from`, at most [`MAX_RANGE_DAYS`] apart.
pub fn check_range(from: Timestamp, to: Timestamp) -> Result<(), RangeError> {
    if to <= from {
        return Err(RangeError {
            param: "to",
            reason: "must be after `from`".into(),
        });
    }
    if to.duration_since(from) > jiff::SignedDuration::from_hours(24 * MAX_RANGE_DAYS) {
        return Err(RangeError {
            param: "from",
            reason: format!("a report covers at most {MAX_RANGE_DAYS} days (older history: the S3 export and Athena)"),
        });
    }
    Ok(())
}

/// Where a report's rows come from: one definition ([`ReportRow::of`]) either way.
#[derive(Clone)]
pub enum ReportSource {
    /// Rows kept as cases are saved (through [`ReportingCases`]): a report reads only rows (the
    /// memory backend: a year's report in tens of milliseconds).
    Kept(Arc<dyn ReportStore>),
    /// Rows derived when read from the cases created in the range: no write per row (DynamoDB,
    /// where a kept row cost a write unit and an index write per change of every case).
    Derived(Arc<dyn CasesCreated>),
}

impl ReportSource {
    /// The store [`ReportingCases`] must keep rows in, when rows are kept.
    pub fn kept(&self) -> Option<&Arc<dyn ReportStore>> {
        match self {
            ReportSource::Kept(store) => Some(store),
            ReportSource::Derived(_) => None,
        }
    }
}

/// The supervisors' reports.
pub struct Reports {
    rows: ReportSource,
    cases: Arc<dyn CaseStore>,
    clock: Arc<dyn Clock>,
    policy: SlaPolicy,
}

impl Reports {
    pub fn new(rows: ReportSource, cases: Arc<dyn CaseStore>, clock: Arc<dyn Clock>, policy: SlaPolicy) -> Self {
        Self {
            rows,
            cases,
            clock,
            policy,
        }
    }

    fn supervisor(who: &Principal) -> Result<(), ServiceError> {
        if who.is_supervisor() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("reports are for supervisors".into()))
        }
    }

    /// One row per case created in `[from, to)`.
    pub async fn rows(
        &self,
        who: &Principal,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Arc<ReportRow>>, ServiceError> {
        Self::supervisor(who)?;
        check_range(from, to).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        Ok(self.rows_between(from, to).await?)
    }

    async fn rows_between(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Arc<ReportRow>>> {
        match &self.rows {
            ReportSource::Kept(store) => store.report_rows(from, to).await,
            ReportSource::Derived(cases) => Ok(cases
                .cases_created(from, to)
                .await?
                .iter()
                .map(|case| Arc::new(ReportRow::of(case, &self.policy)))
                .collect()),
        }
    }

    /// The figures of the cases created in `[from, to)`, grouped `by`.
    pub async fn cases(
        &self,
        who: &Principal,
        from: Timestamp,
        to: Timestamp,
        by: ReportBy,
    ) -> Result<CaseReport, ServiceError> {
        let rows = self.rows(who, from, to).await?;
        Ok(summarize(&rows, by))
    }

    /// The board: today's (UTC) volume, and the active cases open, waiting and breached, per
    /// channel and in all (`(all)`).
    pub async fn live(&self, who: &Principal) -> Result<BTreeMap<String, LiveCounts>, ServiceError> {
        Self::supervisor(who)?;
        let now = self.clock.now();
        let midnight = now
            .to_zoned(jiff::tz::TimeZone::UTC)
            .start_of_day()
            .map_err(|e| ServiceError::Invalid(format!("today: {e}")))?
            .timestamp();
        let today = self
            .rows_between(midnight, now + jiff::SignedDuration::from_secs(1))
            .await?;
        let active = self
            .cases
            .list(&CaseQuery {
                statuses: vec![CaseStatus::New, CaseStatus::Open, CaseStatus::Pending],
                ..CaseQuery::default()
            })
            .await?;
        Ok(live(&today, &active, &self.policy))
    }
}
