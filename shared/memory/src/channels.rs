//! `ChannelStore` in memory: the health records by (platform, account) and their alerts by id.

use crate::store::MemoryStore;
use async_trait::async_trait;
use socialcare_domain::health::{ChannelAlert, ChannelHealth};
use socialcare_domain::ports::ChannelStore;
use socialcare_domain::{PortError, PortResult};
use std::collections::{BTreeMap, HashMap};
use std::sync::MutexGuard;

#[derive(Default)]
pub(crate) struct ChannelState {
    records: BTreeMap<(String, String), ChannelHealth>,
    alerts: HashMap<String, ChannelAlert>,
}

impl MemoryStore {
    fn channels_lock(&self) -> PortResult<MutexGuard<'_, ChannelState>> {
        self.channels
            .lock()
            .map_err(|_| PortError::Unavailable("memory store poisoned by a panic".into()))
    }
}

#[async_trait]
impl ChannelStore for MemoryStore {
    async fn channel(&self, platform: &str, account: &str) -> PortResult<Option<ChannelHealth>> {
        Ok(self
            .channels_lock()?
            .records
            .get(&(platform.to_string(), account.to_string()))
            .cloned())
    }

    async fn channels(&self) -> PortResult<Vec<ChannelHealth>> {
        Ok(self.channels_lock()?.records.values().cloned().collect())
    }

    async fn save_channel(&self, health: &ChannelHealth, expected: u64) -> PortResult<()> {
        let mut state = self.channels_lock()?;
        let key = (health.platform.clone(), health.account.clone());
        let stored = state.records.get(&key).map_or(0, |h| h.version);
        if stored != expected {
            return Err(PortError::Conflict(format!(
                "channel {}/{} is at version {stored}, not {expected}",
                health.platform, health.account
            )));
        }
        state.records.insert(key, health.clone());
        Ok(())
    }

    async fn record_channel_alert(&self, alert: &ChannelAlert) -> PortResult<bool> {
        let mut state = self.channels_lock()?;
        if state.alerts.contains_key(&alert.id) {
            return Ok(false);
        }
        state.alerts.insert(alert.id.clone(), alert.clone());
        Ok(true)
    }

    async fn channel_alert(&self, id: &str) -> PortResult<Option<ChannelAlert>> {
        Ok(self.channels_lock()?.alerts.get(id).cloned())
    }

    async fn mark_channel_alert_delivered(&self, id: &str) -> PortResult<()> {
        match self.channels_lock()?.alerts.get_mut(id) {
            Some(a) => {
                a.delivered = true;
                Ok(())
            }
            None => Err(PortError::NotFound(format!("channel alert {id}"))),
        }
    }

    async fn channel_alerts(&self, limit: usize) -> PortResult<Vec<ChannelAlert>> {
        let mut all: Vec<ChannelAlert> = self.channels_lock()?.alerts.values().cloned().collect();
        all.sort_by(|a, b| b.fired_at.cmp(&a.fired_at).then_with(|| a.id.cmp(&b.id)));
        all.truncate(limit);
        Ok(all)
    }
}
