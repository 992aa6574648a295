//! `DeletionStore` in memory: platform deletion requests by confirmation code.

use crate::store::MemoryStore;
use async_trait::async_trait;
use socialcare_domain::deletion::DeletionRequest;
use socialcare_domain::ports::DeletionStore;
use socialcare_domain::{PortError, PortResult};
use std::collections::HashMap;
use std::sync::MutexGuard;

#[derive(Default)]
pub(crate) struct DeletionState {
    pub(crate) requests: HashMap<String, DeletionRequest>,
}

impl MemoryStore {
    pub(crate) fn deletions_lock(&self) -> PortResult<MutexGuard<'_, DeletionState>> {
        self.deletions
            .lock()
            .map_err(|_| PortError::Unavailable("memory store poisoned by a panic".into()))
    }
}

#[async_trait]
impl DeletionStore for MemoryStore {
    async fn record_deletion(&self, request: &DeletionRequest) -> PortResult<bool> {
        let mut state = self.deletions_lock()?;
        if state.requests.contains_key(&request.code) {
            return Ok(false);
        }
        state.requests.insert(request.code.clone(), request.clone());
        Ok(true)
    }

    async fn deletion(&self, code: &str) -> PortResult<Option<DeletionRequest>> {
        Ok(self.deletions_lock()?.requests.get(code).cloned())
    }

    async fn save_deletion(&self, request: &DeletionRequest) -> PortResult<()> {
        self.deletions_lock()?
            .requests
            .insert(request.code.clone(), request.clone());
        Ok(())
    }
}
