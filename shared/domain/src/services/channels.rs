//! Channel health: what ingest, outbound and the ticker tell about each account, kept in the
//! store; revocations that survive a restart; `channel.alert.v1` once per incident.
//!
//! Write costs (DynamoDB): ingest writes "last webhook received" at most once a minute per
//! account per instance (one `GetItem` + one conditional `PutItem`), whatever the post rate;
//! it reads the revocation at most every [`REVOCATION_TTL_SECS`] per account per instance (the
//! same `GetItem`). Outbound reads the record once per reply and writes it on a failure, on the
//! first success after failures, and otherwise at most once a minute. The ticker reads every
//! record once a minute (a `Query` of tens of items) and writes only when an incident opens or
//! its alert goes out (the alert item, and the incident marked alerted on the record).

use super::MAX_CONFLICT_RETRIES;
use crate::error::{PortError, ServiceError};
use crate::health::{ChannelAlert, ChannelHealth, FailureKind, HealthConfig};
use crate::ports::{ChannelAlertSink, ChannelStore, Clock};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long an instance trusts what it read of an account's revocation.
pub const REVOCATION_TTL_SECS: i64 = 30;
/// An instance writes "last webhook received" (and "last delivery sent") at most this often per account.
pub const WRITE_EVERY_SECS: i64 = 60;
/// An alert recorded but not delivered is another ticker's for this long (it is publishing it).
pub const REDELIVER_AFTER_SECS: i64 = 30;

/// What this instance remembers of one account.
#[derive(Default, Clone)]
struct Cached {
    /// (revoked, read at)
    revoked: Option<(bool, Timestamp)>,
    webhook_written: Option<Timestamp>,
    delivery_written: Option<Timestamp>,
}

/// What one check did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    pub accounts: usize,
    pub opened: usize,
    pub alerts: usize,
}

pub struct ChannelHealthService {
    store: Arc<dyn ChannelStore>,
    sink: Option<Arc<dyn ChannelAlertSink>>,
    clock: Arc<dyn Clock>,
    config: HealthConfig,
    /// The configured accounts (platform, account id): listed even before anything happened.
    configured: Vec<(String, String)>,
    cache: Mutex<HashMap<(String, String), Cached>>,
}

impl ChannelHealthService {
    pub fn new(store: Arc<dyn ChannelStore>, clock: Arc<dyn Clock>, config: HealthConfig) -> Self {
        Self {
            store,
            sink: None,
            clock,
            config,
            configured: Vec::new(),
            cache: Mutex::default(),
        }
    }

    /// Where alerts go (the ticker's instance needs one).
    pub fn with_sink(mut self, sink: Arc<dyn ChannelAlertSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    pub fn with_accounts(mut self, accounts: Vec<(String, String)>) -> Self {
        self.configured = accounts;
        self
    }

    fn cached(&self, platform: &str, account: &str) -> Cached {
        self.cache
            .lock()
            .ok()
            .and_then(|c| c.get(&(platform.to_string(), account.to_string())).cloned())
            .unwrap_or_default()
    }

    fn remember(&self, platform: &str, account: &str, f: impl FnOnce(&mut Cached)) {
        if let Ok(mut c) = self.cache.lock() {
            f(c.entry((platform.to_string(), account.to_string())).or_default());
        }
    }

    /// Reads, changes and saves the record on its version, retrying a lost race.
    async fn update(
        &self,
        platform: &str,
        account: &str,
        change: impl Fn(&mut ChannelHealth),
    ) -> Result<ChannelHealth, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut h = self
                .store
                .channel(platform, account)
                .await?
                .unwrap_or_else(|| ChannelHealth::new(platform, account));
            let expected = h.version;
            change(&mut h);
            h.version = expected + 1;
            match self.store.save_channel(&h, expected).await {
                Ok(()) => return Ok(h),
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "channel {platform}/{account} kept changing"
        )))
    }

    /// False while the platform's revocation of the account stands (read through a short cache).
    pub async fn accepting(&self, platform: &str, account: &str) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        if let Some((revoked, at)) = self.cached(platform, account).revoked
            && now.as_second() - at.as_second() < REVOCATION_TTL_SECS
        {
            return Ok(!revoked);
        }
        let revoked = self
            .store
            .channel(platform, account)
            .await?
            .is_some_and(|h| h.revoked_at.is_some());
        self.remember(platform, account, |c| c.revoked = Some((revoked, now)));
        Ok(!revoked)
    }

    /// A webhook for the account arrived: written at most once a minute by this instance.
    pub async fn webhook_seen(&self, platform: &str, account: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        if self
            .cached(platform, account)
            .webhook_written
            .is_some_and(|at| now.as_second() - at.as_second() < WRITE_EVERY_SECS)
        {
            return Ok(());
        }
        self.remember(platform, account, |c| c.webhook_written = Some(now));
        self.update(platform, account, |h| h.on_webhook(now)).await?;
        Ok(())
    }

    /// The platform revoked our access: kept in the store, so every instance (and a restarted
    /// one) refuses the account's posts until a supervisor enables it.
    pub async fn revoked(&self, platform: &str, account: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.update(platform, account, |h| {
            h.revoke(now);
        })
        .await?;
        self.remember(platform, account, |c| c.revoked = Some((true, now)));
        Ok(())
    }

    /// A supervisor turns the account's ingest back on (audited on the record).
    pub async fn enable(&self, platform: &str, account: &str, by: &str) -> Result<ChannelHealth, ServiceError> {
        let known = self.configured.iter().any(|(p, a)| p == platform && a == account)
            || self.store.channel(platform, account).await?.is_some();
        if !known {
            return Err(ServiceError::NotFound(format!("channel {platform}/{account}")));
        }
        let now = self.clock.now();
        let h = self.update(platform, account, |h| h.enable(by, now)).await?;
        self.remember(platform, account, |c| c.revoked = Some((false, now)));
        Ok(h)
    }

    /// A reply went out: the record is written when it closes something, else once a minute.
    pub async fn delivered(&self, platform: &str, account: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let recent = self
            .cached(platform, account)
            .delivery_written
            .is_some_and(|at| now.as_second() - at.as_second() < WRITE_EVERY_SECS);
        let current = self.store.channel(platform, account).await?;
        let troubled = current
            .as_ref()
            .is_some_and(|h| h.consecutive_failures > 0 || !h.incidents.is_empty());
        if recent && !troubled {
            return Ok(());
        }
        self.update(platform, account, |h| h.on_delivered(now)).await?;
        self.remember(platform, account, |c| c.delivery_written = Some(now));
        Ok(())
    }

    /// A reply failed (after the sender's own retries).
    pub async fn failed(
        &self,
        platform: &str,
        account: &str,
        kind: FailureKind,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let h = self
            .update(platform, account, |h| h.on_failure(kind, reason, now, &self.config))
            .await?;
        if !h.incidents.is_empty() {
            tracing::warn!(platform, account, kind = kind.as_str(), "channel incident open");
        }
        Ok(())
    }

    /// Every configured account and every account with a record, by platform and account.
    pub async fn list(&self) -> Result<Vec<ChannelHealth>, ServiceError> {
        let mut all: std::collections::BTreeMap<(String, String), ChannelHealth> = self
            .configured
            .iter()
            .map(|(p, a)| ((p.clone(), a.clone()), ChannelHealth::new(p, a)))
            .collect();
        for h in self.store.channels().await? {
            all.insert((h.platform.clone(), h.account.clone()), h);
        }
        Ok(all.into_values().collect())
    }

    pub async fn alerts(&self, limit: usize) -> Result<Vec<ChannelAlert>, ServiceError> {
        Ok(self.store.channel_alerts(limit).await?)
    }

    /// The ticker's minute: opens silences, then raises one alert per open incident (recorded
    /// once by id; delivered again if a ticker crashed between recording and publishing).
    pub async fn check(&self) -> Result<CheckReport, ServiceError> {
        let now = self.clock.now();
        let mut report = CheckReport::default();
        for stored in self.store.channels().await? {
            report.accounts += 1;
            let mut h = stored;
            let mut probe = h.clone();
            if probe.check_silence(now, &self.config) {
                h = self
                    .update(&h.platform.clone(), &h.account.clone(), |x| {
                        x.check_silence(now, &self.config);
                    })
                    .await?;
                report.opened += 1;
            }
            let mut done = Vec::new();
            for (kind, incident) in h.incidents.iter().filter(|(_, i)| !i.alerted) {
                match self.raise(ChannelAlert::of(&h, *kind, incident, now), now).await? {
                    Raised::Now => {
                        report.alerts += 1;
                        done.push((*kind, incident.started_at));
                    }
                    Raised::Before => done.push((*kind, incident.started_at)),
                    Raised::NotYet => {}
                }
            }
            // Delivered incidents are marked on the record, so later minutes write nothing.
            if !done.is_empty() {
                self.update(&h.platform, &h.account, |x| {
                    for (kind, started_at) in &done {
                        x.mark_alerted(*kind, *started_at);
                    }
                })
                .await?;
            }
        }
        Ok(report)
    }

    /// Records and publishes one incident's alert.
    async fn raise(&self, alert: ChannelAlert, now: Timestamp) -> Result<Raised, ServiceError> {
        let Some(sink) = &self.sink else {
            return Ok(Raised::NotYet);
        };
        if !self.store.record_channel_alert(&alert).await? {
            let Some(stored) = self.store.channel_alert(&alert.id).await? else {
                return Ok(Raised::NotYet);
            };
            if stored.delivered {
                return Ok(Raised::Before);
            }
            if now.as_second() - stored.fired_at.as_second() < REDELIVER_AFTER_SECS {
                return Ok(Raised::NotYet);
            }
        }
        sink.publish_channel(&alert).await?;
        self.store.mark_channel_alert_delivered(&alert.id).await?;
        tracing::warn!(
            platform = %alert.platform,
            account = %alert.account,
            kind = alert.kind.as_str(),
            alert_id = %alert.id,
            "channel alert raised"
        );
        Ok(Raised::Now)
    }
}

/// What became of an incident's alert in one check.
enum Raised {
    /// Recorded and delivered by this check.
    Now,
    /// Delivered by an earlier check.
    Before,
    /// Not delivered: no sink here, or another ticker is delivering it.
    NotYet,
}
