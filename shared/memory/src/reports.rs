//! `ReportStore` in memory: the rows in (creation time, case id) order, so a report's range
//! costs its own rows, not every case's. (`CasesCreated`, which derives rows on DynamoDB,
//! is in `store.rs`, beside the cases.)

use crate::store::MemoryStore;
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::ReportStore;
use socialcare_domain::reports::ReportRow;
use socialcare_domain::{CaseId, PortError, PortResult};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, MutexGuard};

#[derive(Default, Debug)]
pub(crate) struct ReportState {
    /// (creation time in ns, case id) → the row.
    rows: BTreeMap<(i128, String), Arc<ReportRow>>,
    /// case → its key above (a case's creation time never changes; kept to be sure).
    keys: HashMap<CaseId, (i128, String)>,
}

impl MemoryStore {
    fn reports_lock(&self) -> PortResult<MutexGuard<'_, ReportState>> {
        self.reports
            .lock()
            .map_err(|_| PortError::Unavailable("memory store poisoned by a panic".into()))
    }
}

#[async_trait]
impl ReportStore for MemoryStore {
    async fn put_report_row(&self, row: &ReportRow) -> PortResult<bool> {
        let mut state = self.reports_lock()?;
        let key = (row.created_at.as_nanosecond(), row.case_id.to_string());
        if let Some(old) = state.keys.get(&row.case_id).cloned() {
            if state.rows.get(&old).is_some_and(|r| r.version > row.version) {
                return Ok(false);
            }
            state.rows.remove(&old);
        }
        state.keys.insert(row.case_id.clone(), key.clone());
        state.rows.insert(key, Arc::new(row.clone()));
        Ok(true)
    }

    async fn report_rows(&self, from: Timestamp, to: Timestamp) -> PortResult<Vec<Arc<ReportRow>>> {
        if to <= from {
            return Ok(Vec::new());
        }
        let state = self.reports_lock()?;
        let range = (from.as_nanosecond(), String::new())..(to.as_nanosecond(), String::new());
        Ok(state.rows.range(range).map(|(_, r)| r.clone()).collect())
    }
}
