//! SLA ticker: fire due timers, once each, and raise one alert per (case, target, level).

use super::MAX_CONFLICT_RETRIES;
use crate::case::Case;
use crate::error::{PortError, ServiceError};
use crate::ports::{AlertSink, AlertStore, CaseStore, Clock, LoadChange, TimerStore};
use crate::sla::{Alert, Timer};
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
}

/// Timers handled per tick at most; the rest wait for the next tick (they are late, not lost).
const TICK_BATCH: usize = 500;

impl SlaService {
    pub fn new(
        timers: Arc<dyn TimerStore>,
        cases: Arc<dyn CaseStore>,
        alerts: Arc<dyn AlertStore>,
        sink: Arc<dyn AlertSink>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            timers,
            cases,
            alerts,
            sink,
            clock,
        }
    }

    pub async fn tick(&self) -> Result<TickReport, ServiceError> {
        let now = self.clock.now();
        let due = self.timers.due(now, TICK_BATCH).await?;
        let mut report = TickReport {
            due: due.len(),
            ..TickReport::default()
        };
        for timer in due {
            if self.fire(&timer).await? {
                report.alerts += 1;
            } else {
                report.stale += 1;
            }
        }
        Ok(report)
    }

    /// The alert is recorded (conditional insert by key) before the timer is settled, so a
    /// crash in between re-fires the timer and finds the alert already there: one alert per key.
    /// Overlapping tickers race on the same insert; only the winner publishes.
    async fn fire(&self, timer: &Timer) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        let Some(case) = self.cases.get(&timer.case_id).await? else {
            self.timers.settle(&timer.key()).await?;
            return Ok(false);
        };
        let live = case.status.is_active() && case.sla.iter().any(|c| timer.is_live_for(c));
        if !live {
            self.timers.settle(&timer.key()).await?;
            return Ok(false);
        }
        let alert = Alert {
            id: Alert::key(&case.id, timer.target, timer.level),
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
        };
        let fresh = self.alerts.record(&alert).await?;
        let pending = if fresh {
            Some(alert)
        } else {
            // We crashed after recording it last time: deliver what was recorded, not a new one.
            self.alerts.get(&alert.id).await?.filter(|a| !a.delivered)
        };
        if let Some(alert) = &pending {
            self.sink.publish(alert).await?;
            self.alerts.mark_delivered(&alert.id).await?;
            tracing::warn!(case_id = %alert.case_id, target = %alert.target, level = alert.level.as_str(), late_by_ms = alert.late_by_ms, "SLA alert");
            if fresh {
                self.note_on_case(case, timer).await?;
            }
        }
        self.timers.settle(&timer.key()).await?;
        Ok(fresh)
    }

    async fn note_on_case(&self, mut case: Case, timer: &Timer) -> Result<(), ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let now = self.clock.now();
            let expected = case.version;
            for clock in case
                .sla
                .iter_mut()
                .filter(|c| c.target == timer.target && c.breached_at.is_none())
            {
                clock.breached_at = Some(now);
            }
            case.note_alert(timer.target.as_str(), timer.level.as_str(), now);
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => return Ok(()),
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
