//! SLA ticker: fire due timers, once each, and raise one alert per (case, target, level).
//! Due timers fire concurrently (bounded), so a burst of breaches comes out on time.

use super::MAX_CONFLICT_RETRIES;
use crate::case::Case;
use crate::error::{PortError, ServiceError};
use crate::ports::{AlertSink, AlertStore, CaseStore, Clock, LoadChange, TimerStore};
use crate::sla::{Alert, SlaPolicy, Timer};
use futures::StreamExt;
use jiff::SignedDuration;
use std::sync::Arc;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub due: usize,
    pub alerts: usize,
    /// Timers whose target was met or moved: they fired nothing.
    pub stale: usize,
}

pub struct SlaService {
    timers: Arc<dyn TimerStore>,
    cases: Arc<dyn CaseStore>,
    alerts: Arc<dyn AlertStore>,
    sink: Arc<dyn AlertSink>,
    clock: Arc<dyn Clock>,
    policy: SlaPolicy,
    /// Timers fired at once ([`FIRE_CONCURRENCY`] unless set).
    concurrency: usize,
}

/// Timers read per page of the due list.
const TICK_BATCH: usize = 1_000;

/// Pages one tick reads at most (a burst of 16,000 due timers fires in one tick; a bound, so an
/// index that lags behind settles, as a DynamoDB GSI may, cannot keep a tick going).
const TICK_PAGES: usize = 16;

/// Timers fired at once. Each firing is a handful of store round trips and an alert delivery
/// (a webhook): fired one after another, 5,000 breaches due in the same second came out
/// seconds late; this many at once keeps the store and the alert webhooks busy without
/// opening thousands of requests.
pub const FIRE_CONCURRENCY: usize = 64;

/// An alert recorded but not yet delivered is another ticker's to deliver for this long (it is
/// publishing it right now); after that it is taken to have crashed and the alert is delivered
/// again. Longer than a few seconds of clock skew between tickers.
pub const REDELIVER_AFTER: SignedDuration = SignedDuration::from_secs(30);

impl SlaService {
    pub fn new(
        timers: Arc<dyn TimerStore>,
        cases: Arc<dyn CaseStore>,
        alerts: Arc<dyn AlertStore>,
        sink: Arc<dyn AlertSink>,
        clock: Arc<dyn Clock>,
        policy: SlaPolicy,
    ) -> Self {
        Self {
            timers,
            cases,
            alerts,
            sink,
            clock,
            policy,
            concurrency: FIRE_CONCURRENCY,
        }
    }

    /// Fires at most `n` timers at once (1: one after another).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Fires every timer due now, [`FIRE_CONCURRENCY`] at a time. Distinct timers are
    /// independent: the alert's conditional insert keeps one alert per key, and two timers of
    /// one case meet at the case's versioned save, which retries on a conflict.
    pub async fn tick(&self) -> Result<TickReport, ServiceError> {
        let now = self.clock.now();
        let mut report = TickReport::default();
        // Timers another ticker is delivering stay armed and would head every page: skipped.
        let mut left: std::collections::HashSet<String> = std::collections::HashSet::new();
        for _ in 0..TICK_PAGES {
            let limit = left.len() + TICK_BATCH;
            let listed = self.timers.due(now, limit).await?;
            let last_page = listed.len() < limit;
            let due: Vec<Timer> = listed.into_iter().filter(|t| !left.contains(&t.key())).collect();
            report.due += due.len();
            let fired: Vec<(String, Result<Fired, ServiceError>)> = futures::stream::iter(due)
                .map(|timer| async move { (timer.key(), self.fire(&timer).await) })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut first_error = None;
            for (key, f) in fired {
                match f {
                    Ok(Fired::Alert) => report.alerts += 1,
                    Ok(Fired::Stale) => report.stale += 1,
                    Ok(Fired::Elsewhere) => {
                        left.insert(key);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            if last_page {
                break;
            }
        }
        Ok(report)
    }

    /// The alert is recorded (conditional insert by key) before it is delivered and the timer
    /// settled, so a crash in between re-fires the timer and finds the alert already there: one
    /// alert per key. Of overlapping tickers only the one that recorded it delivers it; the
    /// others leave the timer armed until it is settled (or the delivery is overdue).
    async fn fire(&self, timer: &Timer) -> Result<Fired, ServiceError> {
        let now = self.clock.now();
        let Some(case) = self.cases.get(&timer.case_id).await? else {
            self.timers.settle(&timer.key()).await?;
            return Ok(Fired::Stale);
        };
        let live = case.status.is_active() && case.sla.iter().any(|c| timer.is_live_for(c));
        if !live {
            self.timers.settle(&timer.key()).await?;
            return Ok(Fired::Stale);
        }
        let alert = Alert {
            id: Alert::key_for(&case.id, timer.target, timer.cycle, timer.level),
            case_id: case.id.clone(),
            customer_id: case.customer_id.clone(),
            target: timer.target,
            level: timer.level,
            due_at: timer.due_at,
            fired_at: now,
            late_by_ms: now.duration_since(timer.due_at).as_millis() as i64,
            assignee: case.assignee.clone(),
            queue: case.queue.clone(),
            priority: case.priority,
            delivered: false,
            acknowledged_by: None,
            acknowledged_at: None,
        };
        let fresh = self.alerts.record(&alert).await?;
        let deliver = if fresh {
            Some(alert)
        } else {
            match self.alerts.get(&alert.id).await? {
                Some(a) if a.delivered => None,
                // Another ticker recorded it moments ago and is delivering it: leave it be.
                Some(a) if now.duration_since(a.fired_at) < REDELIVER_AFTER => return Ok(Fired::Elsewhere),
                // Recorded, then the ticker crashed: deliver what was recorded, not a new one.
                other => other,
            }
        };
        if let Some(alert) = &deliver {
            self.sink.publish(alert).await?;
            self.alerts.mark_delivered(&alert.id).await?;
            tracing::warn!(case_id = %alert.case_id, target = %alert.target, level = alert.level.as_str(), late_by_ms = alert.late_by_ms, "SLA alert");
        }
        self.apply(case, timer).await?;
        self.timers.settle(&timer.key()).await?;
        Ok(if fresh { Fired::Alert } else { Fired::Stale })
    }

    /// Records the level on the case (idempotent), releasing the agent's load in the same write
    /// when level 2 returns the case to its queue, then arms the timers the change calls for.
    async fn apply(&self, mut case: Case, timer: &Timer) -> Result<(), ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let now = self.clock.now();
            let expected = case.version;
            let applied = self.policy.apply(&mut case, timer, now);
            if !applied.changed {
                return Ok(());
            }
            case.version += 1;
            let load = applied.released.clone().map_or(LoadChange::None, LoadChange::Release);
            match self.cases.save(&case, expected, load).await {
                Ok(()) => {
                    if let Some(agent) = &applied.released {
                        tracing::warn!(case_id = %case.id, agent_id = %agent, priority = %case.priority, "SLA escalation: case back in its queue");
                    }
                    for next in self.policy.timers(&case) {
                        self.timers.arm(&next).await?;
                    }
                    return Ok(());
                }
                Err(PortError::Conflict(_)) => {
                    let Some(fresh) = self.cases.get(&timer.case_id).await? else {
                        return Ok(());
                    };
                    case = fresh;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {} kept changing", timer.case_id)))
    }
}

enum Fired {
    /// This ticker raised the alert.
    Alert,
    /// Nothing to raise: the target was met, moved, or its alert is out already.
    Stale,
    /// Another ticker is delivering it.
    Elsewhere,
}
