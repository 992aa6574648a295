//! `TriageStore` and `LabelStore` in memory: the entries by post, the open ones in list order
//! (an ordered index, so a page costs its length, not the list's), the labels in time order.

use crate::store::MemoryStore;
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::{LabelStore, TriageQuery, TriageStore};
use socialcare_domain::triage::{Decided, Label, TriageCursor, TriageEntry};
use socialcare_domain::{PortError, PortResult, PostId};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::MutexGuard;

#[derive(Default, Debug)]
pub(crate) struct TriageState {
    entries: HashMap<PostId, TriageEntry>,
    open: BTreeSet<TriageCursor>,
    /// (time, post, labeller) → the label: time order, one label per key.
    labels: BTreeMap<(Timestamp, PostId, String), Label>,
}

impl MemoryStore {
    fn triage_lock(&self) -> PortResult<MutexGuard<'_, TriageState>> {
        self.triage
            .lock()
            .map_err(|_| PortError::Unavailable("memory store poisoned by a panic".into()))
    }
}

impl MemoryStore {
    /// Removes the labels past `corrections_days` (`crate::retention`); answers how many.
    pub(crate) fn sweep_labels(
        &self,
        policy: &socialcare_domain::retention::RetentionPolicy,
        now: Timestamp,
    ) -> PortResult<usize> {
        let mut state = self.triage_lock()?;
        let before = state.labels.len();
        state.labels.retain(|(at, ..), _| policy.correction_expiry(*at) > now);
        Ok(before - state.labels.len())
    }
}

#[async_trait]
impl TriageStore for MemoryStore {
    async fn list_for_triage(&self, entry: &TriageEntry) -> PortResult<bool> {
        let mut state = self.triage_lock()?;
        if state.entries.contains_key(&entry.post_id) {
            return Ok(false);
        }
        if entry.is_open() {
            state.open.insert(entry.cursor());
        }
        state.entries.insert(entry.post_id.clone(), entry.clone());
        Ok(true)
    }

    async fn triage_entry(&self, post: &PostId) -> PortResult<Option<TriageEntry>> {
        Ok(self.triage_lock()?.entries.get(post).cloned())
    }

    async fn open_triage(&self, query: &TriageQuery) -> PortResult<Vec<TriageEntry>> {
        let state = self.triage_lock()?;
        let newest_first: Box<dyn Iterator<Item = &TriageCursor>> = match &query.before {
            Some(before) => Box::new(state.open.range(..before).rev()),
            None => Box::new(state.open.iter().rev()),
        };
        Ok(newest_first
            .take(query.limit)
            .filter_map(|c| state.entries.get(&c.post_id).cloned())
            .collect())
    }

    async fn decide_triage(&self, post: &PostId, decided: &Decided) -> PortResult<Option<TriageEntry>> {
        let mut state = self.triage_lock()?;
        let Some(entry) = state.entries.get_mut(post) else {
            return Ok(None);
        };
        if entry.decided.is_none() {
            entry.decided = Some(decided.clone());
            let cursor = entry.cursor();
            let entry = entry.clone();
            state.open.remove(&cursor);
            return Ok(Some(entry));
        }
        Ok(Some(entry.clone()))
    }
}

#[async_trait]
impl LabelStore for MemoryStore {
    async fn append_label(&self, label: &Label) -> PortResult<bool> {
        let mut state = self.triage_lock()?;
        let key = (label.at, label.post_id.clone(), label.by.to_string());
        if state.labels.contains_key(&key) {
            return Ok(false);
        }
        state.labels.insert(key, label.clone());
        Ok(true)
    }

    async fn labels_since(&self, since: Option<Timestamp>, limit: usize) -> PortResult<Vec<Label>> {
        let state = self.triage_lock()?;
        Ok(state
            .labels
            .values()
            .filter(|l| since.is_none_or(|s| l.at >= s))
            .take(limit)
            .cloned()
            .collect())
    }
}
