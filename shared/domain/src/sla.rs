//! SLA targets, clocks, timers and alerts.
//!
//! A case carries one clock per target. Each clock arms timers (one per alert level);
//! a timer fires once, and only while its clock is still running in the same epoch.

use crate::channel::Priority;
use crate::ids::{AgentId, CaseId, CustomerId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Breach,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Breach => "breach",
        }
    }
}

/// One target's clock on one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    pub target: Target,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    #[serde(default)]
    pub met_at: Option<Timestamp>,
    #[serde(default)]
    pub breached_at: Option<Timestamp>,
    /// Bumped whenever the due time moves, so timers of an older epoch fire nothing.
    #[serde(default)]
    pub epoch: u32,
}

/// A clock's state as an agent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Met,
    Breached,
}

impl SlaClock {
    pub fn new(target: Target, started_at: Timestamp, due_at: Timestamp) -> Self {
        Self {
            target,
            started_at,
            due_at,
            met_at: None,
            breached_at: None,
            epoch: 0,
        }
    }
    /// Stops the clock: the target is met (even if late: a breach stays a breach).
    pub fn meet(&mut self, at: Timestamp) {
        if self.met_at.is_none() {
            self.met_at = Some(at);
        }
    }
    pub fn state(&self) -> ClockState {
        match (self.met_at, self.breached_at) {
            (Some(_), _) => ClockState::Met,
            (None, Some(_)) => ClockState::Breached,
            (None, None) => ClockState::Running,
        }
    }
    /// Milliseconds left until the deadline (negative when overdue); None once stopped.
    pub fn remaining_ms(&self, now: Timestamp) -> Option<i64> {
        self.met_at
            .is_none()
            .then(|| self.due_at.duration_since(now).as_millis() as i64)
    }
}

/// Targets per priority, in seconds of wall-clock time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub first_response: BTreeMap<Priority, u64>,
}

impl SlaPolicy {
    /// The first-response deadline for a case of this priority opened at `start`.
    pub fn first_response_due(&self, priority: Priority, start: Timestamp) -> Option<Timestamp> {
        let secs = *self.first_response.get(&priority)?;
        let secs = i64::try_from(secs).ok()?;
        start.checked_add(SignedDuration::from_secs(secs)).ok()
    }
}

/// A scheduled check of one clock at one level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub case_id: CaseId,
    pub target: Target,
    pub level: Level,
    pub epoch: u32,
    pub due_at: Timestamp,
}

impl Timer {
    /// The timer's key: one timer per (case, target, level, epoch).
    pub fn key(&self) -> String {
        format!(
            "{}#{}#{}#{}",
            self.case_id,
            self.target,
            self.level.as_str(),
            self.epoch
        )
    }
    /// Whether firing this timer now would be stale: the clock stopped, or moved to another epoch.
    pub fn is_live_for(&self, clock: &SlaClock) -> bool {
        clock.target == self.target && clock.epoch == self.epoch && clock.met_at.is_none()
    }
}

/// `sla.alert.v1`: a target was missed (or is about to be).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `case#target#level`: at most one alert per key, ever.
    pub id: String,
    pub case_id: CaseId,
    pub customer_id: CustomerId,
    pub target: Target,
    pub level: Level,
    pub due_at: Timestamp,
    pub fired_at: Timestamp,
    pub late_by_ms: i64,
    pub assignee: Option<AgentId>,
    pub queue: String,
    pub priority: Priority,
    #[serde(default)]
    pub delivered: bool,
    #[serde(default)]
    pub acknowledged_by: Option<AgentId>,
}

impl Alert {
    pub fn key(case: &CaseId, target: Target, level: Level) -> String {
        format!("{case}#{target}#{}", level.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn first_response_due_per_priority() {
        let policy = SlaPolicy {
            first_response: [(Priority::P1, 60), (Priority::P4, 86_400)].into_iter().collect(),
        };
        // (priority, start, expected due)
        let table = [
            (Priority::P1, ts(1_000), Some(ts(1_060))),
            (Priority::P4, ts(0), Some(ts(86_400))),
            (Priority::P2, ts(0), None),
        ];
        for (p, start, due) in table {
            assert_eq!(policy.first_response_due(p, start), due, "{p}");
        }
    }

    #[test]
    fn timers_go_stale_when_met_or_moved() {
        let mut clock = SlaClock::new(Target::FirstResponse, ts(0), ts(60));
        let timer = Timer {
            case_id: CaseId::parse("c").unwrap_or_else(|_| unreachable!()),
            target: Target::FirstResponse,
            level: Level::Breach,
            epoch: 0,
            due_at: ts(60),
        };
        assert!(timer.is_live_for(&clock));
        clock.epoch = 1;
        assert!(!timer.is_live_for(&clock));
        clock.epoch = 0;
        clock.meet(ts(30));
        assert!(!timer.is_live_for(&clock));
        assert_eq!(clock.state(), ClockState::Met);
        assert_eq!(clock.remaining_ms(ts(40)), None);
    }
}
