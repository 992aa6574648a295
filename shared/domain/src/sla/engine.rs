//! Keeping a case's clocks true to its policy: start the clocks a case needs, pause them while
//! it is pending on the customer, recompute deadlines in business time (bumping the epoch so old
//! timers go stale), list the timers to arm, and apply a fired level to the case. Pure.

use super::{Level, Pause, SlaClock, SlaPolicy, Target, Timer};
use crate::case::{Actor, Case, CaseEvent, CaseEventKind, CaseRuleError, CaseStatus};
use crate::channel::Priority;
use crate::ids::AgentId;
use jiff::{SignedDuration, Timestamp};

/// The reason recorded on a pause that the pending status started.
pub const PENDING_REASON: &str = "pending on the customer";

/// One step more urgent (P1 stays P1).
pub fn raise(p: Priority) -> Priority {
    match p {
        Priority::P1 | Priority::P2 => Priority::P1,
        Priority::P3 => Priority::P2,
        Priority::P4 => Priority::P3,
    }
}

/// Whether `level` has already been applied to the clock (its alert went out).
pub(super) fn level_applied(clock: &SlaClock, level: Level) -> bool {
    match level {
        Level::Warning => clock.warned_at.is_some() || clock.breached_at.is_some(),
        Level::Breach => clock.breached_at.is_some(),
        Level::Escalation2 => clock.escalated >= 2,
        Level::Escalation3 => clock.escalated >= 3,
    }
}

/// When the customer began waiting for a next response: their first post after our last answer.
fn awaiting_since(case: &Case) -> Option<Timestamp> {
    let mut answered = false;
    let mut since = None;
    for event in &case.history {
        match event.kind {
            CaseEventKind::Replied { .. } => {
                answered = true;
                since = None;
            }
            CaseEventKind::PostAdded { .. } if answered && since.is_none() => since = Some(event.at),
            _ => {}
        }
    }
    since
}

/// The latest status change matching `pick`, with its time and actor.
fn last_change(case: &Case, pick: impl Fn(CaseStatus, CaseStatus) -> bool) -> Option<(Timestamp, Actor)> {
    case.history.iter().rev().find_map(|e| match e.kind {
        CaseEventKind::StatusChanged { from, to } if pick(from, to) => Some((e.at, e.actor.clone())),
        _ => None,
    })
}

fn millis(d: SignedDuration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The history entry of an escalation to level 2.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EscalationEvent {
    /// The clock that escalated (`first_response`, `next_response-2`, …).
    pub target: String,
    pub from: Priority,
    pub to: Priority,
    /// The agent the case was taken from, if it had one.
    pub unassigned: Option<AgentId>,
}

/// What applying a fired level did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// Whether the case changed (and must be saved).
    pub changed: bool,
    /// Level 2 took the case from this agent: release the agent's load in the same write.
    pub released: Option<AgentId>,
}

impl SlaPolicy {
    /// Brings the case's clocks up to date with its status, priority, thread and policy, at
    /// `now`. Idempotent: a second call with nothing new changes nothing. Returns whether the
    /// clocks changed.
    pub fn reconcile(&self, case: &mut Case, now: Timestamp) -> bool {
        let before = case.sla.clone();
        let Some(policy) = self.policy_for(case) else {
            return false;
        };
        if matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed) {
            let at = case.resolved_at.unwrap_or(now);
            case.meet_clocks(|t| t == Target::Resolution, at);
            return case.sla != before;
        }
        if !case.status.is_active() {
            return false;
        }
        let start = |target: Target, cycle: u32, at: Timestamp| {
            let mut clock = SlaClock::new(target, at, at);
            clock.cycle = cycle;
            clock.epoch = 1;
            clock
        };
        if policy.keeps(Target::FirstResponse)
            && case.first_response_at.is_none()
            && !case.sla.iter().any(|c| c.target == Target::FirstResponse)
        {
            case.sla.push(start(Target::FirstResponse, 0, case.created_at));
        }
        if policy.keeps(Target::Resolution) && !case.sla.iter().any(|c| c.target == Target::Resolution) {
            case.sla.push(start(Target::Resolution, 0, case.created_at));
        }
        if policy.keeps(Target::NextResponse)
            && case.first_response_at.is_some()
            && let Some(since) = awaiting_since(case)
            && !case
                .sla
                .iter()
                .any(|c| c.target == Target::NextResponse && c.started_at == since)
        {
            let cycle = case.sla.iter().filter(|c| c.target == Target::NextResponse).count() as u32 + 1;
            case.sla.push(start(Target::NextResponse, cycle, since));
        }

        let pending = case.status == CaseStatus::Pending;
        let paused_at = last_change(case, |_, to| to == CaseStatus::Pending);
        let resumed_at = last_change(case, |from, _| from == CaseStatus::Pending);
        let priority = case.priority;
        for clock in case.sla.iter_mut().filter(|c| c.met_at.is_none()) {
            if pending && !clock.is_paused() {
                let (at, actor) = paused_at.clone().unwrap_or((now, Actor::System));
                clock.pauses.push(Pause {
                    from: at.max(clock.started_at),
                    to: None,
                    actor,
                    reason: PENDING_REASON.to_string(),
                    resumed_by: None,
                });
            }
            if !pending && let Some(open) = clock.pauses.iter_mut().find(|p| p.to.is_none()) {
                let (at, actor) = resumed_at
                    .clone()
                    .filter(|(at, _)| *at >= open.from)
                    .unwrap_or((now, Actor::System));
                open.to = Some(at);
                open.resumed_by = Some(actor);
            }
            let kept = self
                .policy_for_clock(policy, clock)
                .and_then(|p| Some((p, p.target(clock.target, priority)?)));
            let Some((p, budget)) = kept else {
                continue;
            };
            clock.policy = Some(p.name.clone());
            clock.budget_ms = Some(millis(budget));
            let pauses = clock.closed_pauses();
            if let Some(from) = clock.pauses.iter().find(|p| p.to.is_none()).map(|p| p.from) {
                if clock.left_at_pause_ms.is_none() {
                    let used = p.calendar.business_between_with_pauses(clock.started_at, from, &pauses);
                    clock.left_at_pause_ms = Some(millis(budget - used));
                    clock.epoch += 1;
                }
            } else {
                let resumed = clock.left_at_pause_ms.take().is_some();
                // A breached deadline stays where it was: the ladder counts from it.
                let due = if clock.breached_at.is_some() {
                    clock.due_at
                } else {
                    p.calendar.add_business_with_pauses(clock.started_at, budget, &pauses)
                };
                if due != clock.due_at || resumed {
                    clock.due_at = due;
                    clock.epoch += 1;
                }
            }
        }
        case.sla != before
    }

    /// The case's policy if it keeps the clock's target, else the policy the clock was made under.
    fn policy_for_clock<'a>(&'a self, current: &'a super::Policy, clock: &SlaClock) -> Option<&'a super::Policy> {
        if current.keeps(clock.target) {
            Some(current)
        } else {
            clock.policy.as_deref().and_then(|n| self.policy(n))
        }
    }

    /// The timers the case's running clocks need now (arming an armed one changes nothing).
    pub fn timers(&self, case: &Case) -> Vec<Timer> {
        let mut timers = Vec::new();
        if !case.status.is_active() {
            return timers;
        }
        let current = self.policy_for(case);
        for clock in case.sla.iter().filter(|c| c.is_running()) {
            let policy = current
                .and_then(|p| self.policy_for_clock(p, clock))
                .or_else(|| clock.policy.as_deref().and_then(|n| self.policy(n)));
            let mut push = |level: Level, due_at: Timestamp| {
                if !level_applied(clock, level) {
                    timers.push(Timer {
                        case_id: case.id.clone(),
                        target: clock.target,
                        cycle: clock.cycle,
                        level,
                        epoch: clock.epoch,
                        due_at,
                    });
                }
            };
            let Some(policy) = policy else {
                push(Level::Breach, clock.due_at);
                continue;
            };
            let pauses = clock.closed_pauses();
            let calendar = &policy.calendar;
            let budget = clock.budget_ms.map_or_else(
                || clock.due_at.duration_since(clock.started_at),
                SignedDuration::from_millis,
            );
            if let Some(pct) = policy.warning_percent {
                let warn = SignedDuration::from_millis(millis(budget) / 100 * i64::from(pct));
                push(
                    Level::Warning,
                    calendar.add_business_with_pauses(clock.started_at, warn, &pauses),
                );
            }
            push(Level::Breach, clock.due_at);
            if let Some(after) = policy.escalation.level2_after {
                push(
                    Level::Escalation2,
                    calendar.add_business_with_pauses(clock.due_at, after, &pauses),
                );
            }
            if let Some(after) = policy.escalation.level3_after {
                push(
                    Level::Escalation3,
                    calendar.add_business_with_pauses(clock.due_at, after, &pauses),
                );
            }
        }
        timers
    }

    /// Records a fired level on the case: warned, breached, or escalated. Level 2 raises the
    /// priority one step and returns the case to its queue (the caller releases the agent's load
    /// in the same write), then recomputes the other clocks for the new priority. Idempotent.
    pub fn apply(&self, case: &mut Case, timer: &Timer, now: Timestamp) -> Applied {
        let Some(clock) = case
            .sla
            .iter_mut()
            .find(|c| c.target == timer.target && c.cycle == timer.cycle)
        else {
            return Applied::default();
        };
        if level_applied(clock, timer.level) {
            return Applied::default();
        }
        match timer.level {
            Level::Warning => clock.warned_at = Some(now),
            Level::Breach => clock.breached_at = Some(now),
            Level::Escalation2 => clock.escalated = 2,
            Level::Escalation3 => clock.escalated = 3,
        }
        let label = clock.label();
        case.note_alert(&label, timer.level.as_str(), now);
        let mut released = None;
        if timer.level == Level::Escalation2 {
            let from = case.priority;
            case.priority = raise(from);
            released = case.assignee.take();
            case.history.push(CaseEvent {
                at: now,
                actor: Actor::System,
                kind: CaseEventKind::Escalated(EscalationEvent {
                    target: label,
                    from,
                    to: case.priority,
                    unassigned: released.clone(),
                }),
            });
            self.reconcile(case, now);
        }
        Applied {
            changed: true,
            released,
        }
    }
}

impl Case {
    /// Meets the clocks whose target `which` selects.
    pub fn meet_clocks(&mut self, which: impl Fn(Target) -> bool, at: Timestamp) {
        for clock in self.sla.iter_mut().filter(|c| which(c.target)) {
            clock.meet(at);
        }
    }

    /// The assignee sets the case pending on the customer: its running clocks stop, each with a
    /// pause recording who and why, until the customer writes again (or the status changes).
    pub fn set_pending(&mut self, agent: &AgentId, reason: &str, at: Timestamp) -> Result<(), CaseRuleError> {
        if self.status != CaseStatus::Open {
            return Err(CaseRuleError::WrongStatus(self.status.as_str()));
        }
        if self.assignee.as_ref() != Some(agent) {
            return Err(CaseRuleError::NotAssignee);
        }
        let actor = Actor::Agent(agent.clone());
        for clock in self.sla.iter_mut().filter(|c| c.is_running()) {
            clock.pauses.push(Pause {
                from: at.max(clock.started_at),
                to: None,
                actor: actor.clone(),
                reason: reason.to_string(),
                resumed_by: None,
            });
        }
        self.status = CaseStatus::Pending;
        self.history.push(CaseEvent {
            at,
            actor,
            kind: CaseEventKind::StatusChanged {
                from: CaseStatus::Open,
                to: CaseStatus::Pending,
            },
        });
        self.updated_at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, CalendarConfig, HoursConfig};
    use crate::case::tests::case;
    use crate::sla::{Policy, SlaPolicy};
    use std::collections::BTreeMap;

    fn berlin_office() -> Calendar {
        let weekday = vec!["09:00-12:30".to_string(), "13:30-18:00".to_string()];
        let hours = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| (d.to_string(), weekday.clone()))
            .collect();
        Calendar::from_config(&CalendarConfig {
            time_zone: "Europe/Berlin".into(),
            hours: HoursConfig::Weekly(hours),
            holidays: vec!["2026-12-25".into()],
            ical: None,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn policy() -> SlaPolicy {
        let mut p = Policy::first_response_only("office", &BTreeMap::new());
        p.calendar = berlin_office();
        p.calendar_name = "berlin".into();
        p.targets.insert(
            Target::FirstResponse,
            Priority::ALL
                .iter()
                .map(|p| (*p, SignedDuration::from_hours(2)))
                .collect(),
        );
        p.targets
            .get_mut(&Target::FirstResponse)
            .map(|t| t.insert(Priority::P2, SignedDuration::from_mins(30)));
        p.warning_percent = Some(75);
        p.escalation.level2_after = Some(SignedDuration::from_hours(1));
        SlaPolicy::single(p)
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn deadlines_are_in_business_time_and_recomputed_with_a_new_epoch() {
        let sla = policy();
        let mut c = case();
        c.sla.clear();
        c.priority = Priority::P3;
        // Thursday 2026-12-24 17:30 Berlin: 30 min today, Friday is a holiday, then Monday.
        c.created_at = at("2026-12-24T16:30:00Z");
        let now = c.created_at;
        assert!(sla.reconcile(&mut c, now));
        assert!(!sla.reconcile(&mut c, now), "idempotent");
        let fr = &c.sla[0];
        assert_eq!(fr.due_at, at("2026-12-28T09:30:00Z"), "Mon 10:30 Berlin");
        let epoch = fr.epoch;
        let timers = sla.timers(&c);
        let levels: Vec<(Level, Timestamp)> = timers.iter().map(|t| (t.level, t.due_at)).collect();
        assert_eq!(
            levels,
            vec![
                (Level::Warning, at("2026-12-28T09:00:00Z")),
                (Level::Breach, at("2026-12-28T09:30:00Z")),
                (Level::Escalation2, at("2026-12-28T10:30:00Z")),
            ]
        );
        // Priority change: 30 min of business time, due Thursday 18:00; a new epoch.
        c.priority = Priority::P2;
        assert!(sla.reconcile(&mut c, now));
        assert_eq!(c.sla[0].due_at, at("2026-12-24T17:00:00Z"));
        assert!(c.sla[0].epoch > epoch);
        assert!(timers.iter().all(|t| !t.is_live_for(&c.sla[0])), "old timers are stale");
    }

    #[test]
    fn a_met_clock_arms_nothing_and_a_resolved_case_meets_resolution() {
        let sla = policy();
        let mut c = case();
        c.sla.clear();
        let now = c.created_at;
        sla.reconcile(&mut c, now);
        c.meet_clocks(Target::is_response, now);
        assert!(sla.timers(&c).is_empty());
        assert_eq!(raise(Priority::P4), Priority::P3);
        assert_eq!(raise(Priority::P1), Priority::P1);
    }
}
