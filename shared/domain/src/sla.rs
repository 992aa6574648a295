//! SLA targets, clocks, timers and alerts.
//!
//! A case carries one clock per target (and one per next-response cycle). Each clock arms timers
//! (one per alert level: warning, breach, escalation levels 2 and 3); a timer fires once, and only
//! while its clock is still running in the same epoch. The policy model (targets per priority,
//! channel and queue overrides, calendars, warning threshold, escalation ladder) is in
//! [`policy`]; bringing a case's clocks up to date after an event is [`SlaPolicy::reconcile`].

mod engine;
mod policy;

pub use engine::{Applied, EscalationEvent, PENDING_REASON, raise};
pub use policy::{Escalation, Policy, SlaPolicy, UTC_24X7};

use crate::case::Actor;
use crate::channel::Priority;
use crate::ids::{AgentId, CaseId, CustomerId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// From the case's opening post to the first answer.
    FirstResponse,
    /// From each customer post after an answer to the next answer.
    NextResponse,
    /// From the case's opening post to its resolution.
    Resolution,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::FirstResponse, Target::NextResponse, Target::Resolution];
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::Resolution => "resolution",
        }
    }
    /// Whether an answer to the customer meets it.
    pub fn is_response(self) -> bool {
        matches!(self, Target::FirstResponse | Target::NextResponse)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps of the ladder, in the order they fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The warning threshold of the target has passed (e.g. 75 %): supervisors.
    Warning,
    /// Level 1: the target is missed: supervisors.
    Breach,
    /// Level 2: still missed after a further delay: the priority goes up and the case goes back
    /// to its queue.
    #[serde(rename = "escalation_2")]
    Escalation2,
    /// Level 3: still missed after a longer delay: the head of support.
    #[serde(rename = "escalation_3")]
    Escalation3,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Warning, Level::Breach, Level::Escalation2, Level::Escalation3];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Breach => "breach",
            Level::Escalation2 => "escalation_2",
            Level::Escalation3 => "escalation_3",
        }
    }
    /// Who the alert is for.
    pub fn audience(self) -> &'static str {
        match self {
            Level::Warning | Level::Breach | Level::Escalation2 => "supervisors",
            Level::Escalation3 => "head_of_support",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stretch during which a clock stood still, with who stopped it and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    /// None while the pause lasts.
    #[serde(default)]
    pub to: Option<Timestamp>,
    pub actor: Actor,
    pub reason: String,
    /// Who or what ended it.
    #[serde(default)]
    pub resumed_by: Option<Actor>,
}

/// One target's clock on one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    pub target: Target,
    /// Next-response clocks are numbered 1, 2, … in the order the customer wrote; others are 0.
    #[serde(default)]
    pub cycle: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    #[serde(default)]
    pub met_at: Option<Timestamp>,
    #[serde(default)]
    pub breached_at: Option<Timestamp>,
    /// Bumped whenever the due time moves or the clock stops or starts again, so timers of an
    /// older epoch fire nothing.
    #[serde(default)]
    pub epoch: u32,
    /// The policy whose target this clock keeps (None on clocks made before policies existed).
    #[serde(default)]
    pub policy: Option<String>,
    /// Business time allowed, in milliseconds.
    #[serde(default)]
    pub budget_ms: Option<i64>,
    #[serde(default)]
    pub warned_at: Option<Timestamp>,
    /// The highest escalation level applied (2 or 3; 0 for none).
    #[serde(default)]
    pub escalated: u8,
    #[serde(default)]
    pub pauses: Vec<Pause>,
    /// Business time left when the running pause began (None unless paused).
    #[serde(default)]
    pub left_at_pause_ms: Option<i64>,
}

/// A clock's state as an agent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    Met,
    Warned,
    Breached,
}

impl SlaClock {
    pub fn new(target: Target, started_at: Timestamp, due_at: Timestamp) -> Self {
        Self {
            target,
            cycle: 0,
            started_at,
            due_at,
            met_at: None,
            breached_at: None,
            epoch: 0,
            policy: None,
            budget_ms: None,
            warned_at: None,
            escalated: 0,
            pauses: Vec::new(),
            left_at_pause_ms: None,
        }
    }
    /// Stops the clock: the target is met (even if late: a breach stays a breach).
    pub fn meet(&mut self, at: Timestamp) {
        if self.met_at.is_none() {
            self.met_at = Some(at);
            if let Some(open) = self.pauses.iter_mut().find(|p| p.to.is_none()) {
                open.to = Some(at);
            }
            self.left_at_pause_ms = None;
        }
    }
    pub fn is_paused(&self) -> bool {
        self.met_at.is_none() && self.pauses.iter().any(|p| p.to.is_none())
    }
    pub fn is_running(&self) -> bool {
        self.met_at.is_none() && !self.is_paused()
    }
    /// The pauses that have ended, as `[from, to)` intervals for the calendar.
    pub fn closed_pauses(&self) -> Vec<(Timestamp, Timestamp)> {
        self.pauses.iter().filter_map(|p| p.to.map(|to| (p.from, to))).collect()
    }
    pub fn state(&self) -> ClockState {
        if self.met_at.is_some() {
            ClockState::Met
        } else if self.breached_at.is_some() {
            ClockState::Breached
        } else if self.is_paused() {
            ClockState::Paused
        } else if self.warned_at.is_some() {
            ClockState::Warned
        } else {
            ClockState::Running
        }
    }
    /// Milliseconds left: until the deadline while running (negative when overdue), the business
    /// time that was left when the clock stopped while paused; None once met.
    pub fn remaining_ms(&self, now: Timestamp) -> Option<i64> {
        if self.met_at.is_some() {
            return None;
        }
        if self.is_paused()
            && let Some(left) = self.left_at_pause_ms
        {
            return Some(left);
        }
        Some(self.due_at.duration_since(now).as_millis() as i64)
    }
    /// `first_response`, or `next_response-2` for the second next-response cycle.
    pub fn label(&self) -> String {
        label(self.target, self.cycle)
    }
}

fn label(target: Target, cycle: u32) -> String {
    if cycle == 0 {
        target.as_str().to_string()
    } else {
        format!("{target}-{cycle}")
    }
}

/// A scheduled check of one clock at one level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub case_id: CaseId,
    pub target: Target,
    #[serde(default)]
    pub cycle: u32,
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
            label(self.target, self.cycle),
            self.level.as_str(),
            self.epoch
        )
    }
    /// Whether the timer still means something: its clock runs (not met, not paused) in the same
    /// epoch, and its level has not been applied.
    pub fn is_live_for(&self, clock: &SlaClock) -> bool {
        clock.target == self.target
            && clock.cycle == self.cycle
            && clock.epoch == self.epoch
            && clock.is_running()
            && !engine::level_applied(clock, self.level)
    }
}

/// `sla.alert.v1`: a target was missed (or is about to be).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `case#target#level` (`case#next_response-2#level` for a later next-response cycle): at
    /// most one alert per key, ever.
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
    #[serde(default)]
    pub acknowledged_at: Option<Timestamp>,
}

impl Alert {
    pub fn key(case: &CaseId, target: Target, level: Level) -> String {
        Self::key_for(case, target, 0, level)
    }
    pub fn key_for(case: &CaseId, target: Target, cycle: u32, level: Level) -> String {
        format!("{case}#{}#{}", label(target, cycle), level.as_str())
    }
    /// Who the alert is for (`supervisors`, `head_of_support`).
    pub fn audience(&self) -> &'static str {
        self.level.audience()
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
        let policy = SlaPolicy::first_response_only([(Priority::P1, 60), (Priority::P4, 86_400)].into_iter().collect());
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
            cycle: 0,
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

    #[test]
    fn keys_name_case_target_cycle_level() {
        let case = CaseId::parse("c").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            Alert::key(&case, Target::FirstResponse, Level::Breach),
            "c#first_response#breach"
        );
        assert_eq!(
            Alert::key_for(&case, Target::NextResponse, 2, Level::Escalation2),
            "c#next_response-2#escalation_2"
        );
        let json = serde_json::to_string(&Level::Escalation3).unwrap_or_default();
        assert_eq!(json, "\"escalation_3\"");
    }
}

/// The clocks of a case that takes in another case's posts (the merge rule): for each target,
/// the earlier running deadline of the two is kept; a target `ours` has met stays met; a running
/// next-response clock of `theirs` that `ours` lacks is added after ours (numbered on). A clock
/// replaced by theirs takes a new epoch, so the timers armed for the later deadline fire nothing.
pub fn keep_earliest(ours: &[SlaClock], theirs: &[SlaClock]) -> Vec<SlaClock> {
    let mut out = ours.to_vec();
    for clock in theirs.iter().filter(|c| c.met_at.is_none()) {
        if let Some(mine) = out.iter_mut().find(|c| c.target == clock.target && c.met_at.is_none()) {
            if clock.due_at < mine.due_at {
                let (cycle, epoch) = (mine.cycle, mine.epoch.max(clock.epoch) + 1);
                *mine = clock.clone();
                mine.cycle = cycle;
                mine.epoch = epoch;
            }
            continue;
        }
        let cycles = out.iter().filter(|c| c.target == clock.target);
        match clock.target {
            Target::NextResponse => {
                let mut added = clock.clone();
                added.cycle = cycles.map(|c| c.cycle).max().unwrap_or(0) + 1;
                added.epoch += 1;
                out.push(added);
            }
            _ if cycles.count() == 0 => out.push(clock.clone()),
            // Met here already: stays met.
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_mins(minutes)
    }

    fn clock(target: Target, cycle: u32, due: i64, met: bool) -> SlaClock {
        let mut c = SlaClock::new(target, at(0), at(due));
        c.cycle = cycle;
        c.epoch = 1;
        if met {
            c.met_at = Some(at(1));
        }
        c
    }

    #[test]
    fn the_earlier_running_deadline_wins_and_met_targets_stay_met() {
        let ours = vec![
            clock(Target::FirstResponse, 0, 60, false),
            clock(Target::Resolution, 0, 600, true),
            clock(Target::NextResponse, 1, 30, true),
        ];
        let theirs = vec![
            clock(Target::FirstResponse, 0, 20, false),
            clock(Target::Resolution, 0, 500, false),
            clock(Target::NextResponse, 1, 40, false),
        ];
        let kept = keep_earliest(&ours, &theirs);
        let fr = kept
            .iter()
            .find(|c| c.target == Target::FirstResponse)
            .map(|c| (c.due_at, c.epoch));
        assert_eq!(fr, Some((at(20), 2)), "theirs is earlier: taken, with a new epoch");
        let res: Vec<_> = kept.iter().filter(|c| c.target == Target::Resolution).collect();
        assert_eq!(res.len(), 1);
        assert!(res[0].met_at.is_some(), "met here: stays met");
        let nr: Vec<(u32, bool)> = kept
            .iter()
            .filter(|c| c.target == Target::NextResponse)
            .map(|c| (c.cycle, c.met_at.is_some()))
            .collect();
        assert_eq!(
            nr,
            vec![(1, true), (2, false)],
            "their running next response follows ours"
        );
        // Ours earlier: nothing changes.
        let kept = keep_earliest(&theirs, &ours);
        let fr = kept
            .iter()
            .find(|c| c.target == Target::FirstResponse)
            .map(|c| (c.due_at, c.epoch));
        assert_eq!(fr, Some((at(20), 1)));
    }
}
