//! What a case remembers about its routing: its requirements, who declined it, when its owner
//! went offline, and the explanation of its recent routing decisions.

use super::decide::Decision;
use super::requirements::Requirements;
use crate::case::Case;
use crate::ids::{AgentId, CaseId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Decisions kept per case (the oldest drop off): bounds the stored item's size.
pub const MAX_DECISIONS: usize = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRouting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Requirements>,
    /// Agents who declined the case: never offered it again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<AgentId>,
    /// When the case last went back to its queue (decline, transfer, offline grace):
    /// relaxation counts from here, or from creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<Timestamp>,
    /// When its assignee went offline with the case unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_offline_since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
}

impl CaseRouting {
    pub fn is_empty(&self) -> bool {
        self == &CaseRouting::default()
    }

    pub fn record(&mut self, decision: Decision) {
        self.decisions.push(decision);
        if self.decisions.len() > MAX_DECISIONS {
            let extra = self.decisions.len() - MAX_DECISIONS;
            self.decisions.drain(..extra);
        }
    }
}

/// Seconds the case has waited in its queue (since it was created or last returned to it).
pub fn waited_secs(case: &Case, now: Timestamp) -> i64 {
    let since = case.routing.waiting_since.unwrap_or(case.created_at);
    now.duration_since(since).as_secs().max(0)
}

/// The agent who last served the customer (among `cases`, the customer's cases) within
/// `days` of `now`, leaving `this` case out. None when stickiness is off (`days` = 0).
pub fn sticky_agent(cases: &[Case], this: &CaseId, now: Timestamp, days: u32) -> Option<AgentId> {
    if days == 0 {
        return None;
    }
    let window = SignedDuration::from_hours(24 * i64::from(days));
    cases
        .iter()
        .filter(|c| &c.id != this)
        .filter_map(|c| {
            let at = c.resolved_at.unwrap_or(c.updated_at);
            c.assignee.as_ref().map(|a| (at, a))
        })
        .filter(|(at, _)| now.duration_since(*at) <= window)
        .max_by_key(|(at, _)| *at)
        .map(|(_, a)| a.clone())
}

/// Takes an active case from its assignee back to the queue; returns who had it. The caller
/// releases that agent's load in the same write.
pub fn unassign(case: &mut Case, actor: crate::case::Actor, reason: &str, at: Timestamp) -> Option<AgentId> {
    let agent = case.assignee.take()?;
    case.history.push(crate::case::CaseEvent {
        at,
        actor,
        kind: crate::case::CaseEventKind::Unassigned {
            agent_id: agent.clone(),
            reason: reason.to_string(),
        },
    });
    case.updated_at = at;
    case.routing.waiting_since = Some(at);
    case.routing.owner_offline_since = None;
    Some(agent)
}
