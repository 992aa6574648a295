//! The pull index kept alive between claims.
//!
//! Building the [`WaitingIndex`] means listing every waiting case (18.7 ms for 10,000 of them,
//! plus the store query); picking from it takes tens of microseconds. So a route service keeps
//! the index it built and serves the next claims from it while it is younger than its time to
//! live, taking each picked case out so that two claimers of one process never race for it.
//! Staleness never assigns wrongly: the take is the case's conditional save against the version
//! the index holds, so a case that moved meanwhile (assigned by a push, declined, resolved) just
//! loses, and the claim goes on from a freshly built index. A case that started waiting after the
//! build is seen once the index is rebuilt: at the latest after the time to live, or at once
//! when the cached index has nothing for the claimer.

use crate::agent::Agent;
use crate::case::Case;
use crate::ids::CaseId;
use crate::routing::RoutingPolicy;
use crate::routing::index::WaitingIndex;
use crate::routing::requirements::Requirements;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

struct Built {
    at: Timestamp,
    index: WaitingIndex,
    cases: HashMap<CaseId, Case>,
}

/// The waiting cases as last listed, indexed for the pull decision.
pub(crate) struct ClaimIndex {
    ttl: SignedDuration,
    built: Mutex<Option<Built>>,
}

impl ClaimIndex {
    /// `ttl` zero: rebuilt for every claim.
    pub(crate) fn new(ttl: SignedDuration) -> Self {
        Self {
            ttl,
            built: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Built>> {
        // A panic while holding it left at worst a half-updated cache: rebuilt by its age.
        self.built.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when the kept index may serve a claim at `now`.
    pub(crate) fn is_live(&self, now: Timestamp) -> bool {
        !self.ttl.is_zero()
            && self
                .lock()
                .as_ref()
                .is_some_and(|b| now.duration_since(b.at) < self.ttl && now >= b.at)
    }

    /// Replaces the index with the waiting cases just listed.
    pub(crate) fn rebuild(&self, waiting: Vec<Case>, requirements: impl Fn(&Case) -> Requirements, now: Timestamp) {
        let mut index = WaitingIndex::new();
        let mut cases = HashMap::with_capacity(waiting.len());
        for case in waiting {
            index.insert(
                case.id.clone(),
                requirements(&case),
                case.created_at,
                case.routing.waiting_since.unwrap_or(case.created_at),
                case.routing.declined.clone(),
            );
            cases.insert(case.id.clone(), case);
        }
        *self.lock() = Some(Built { at: now, index, cases });
    }

    /// Takes the best case `agent` may take out of the index (priority, then age), or None.
    pub(crate) fn take_best(&self, agent: &Agent, policy: &RoutingPolicy, now: Timestamp) -> Option<Case> {
        let mut guard = self.lock();
        let built = guard.as_mut()?;
        loop {
            let id = built.index.best_for(agent, policy, now)?.clone();
            built.index.remove(&id);
            if let Some(case) = built.cases.remove(&id) {
                return Some(case);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Priority;
    use crate::routing::requirements::basic_requirements;

    fn agent() -> Agent {
        serde_json::from_value(serde_json::json!({
            "id": "ana", "name": "Ana", "languages": ["en"], "capacity": 3,
            "presence": "online", "role": "agent", "load": 0
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn waiting(id: &str, priority: Priority, minute: i64) -> Case {
        let mut c = crate::case::tests::case();
        c.id = CaseId::parse(id).unwrap_or_else(|e| panic!("{e}"));
        c.priority = priority;
        c.created_at = Timestamp::from_second(minute * 60).unwrap_or_else(|e| panic!("{e}"));
        c
    }

    #[test]
    fn serves_claims_in_order_until_it_is_too_old() {
        let policy = RoutingPolicy::default();
        let t0 = Timestamp::from_second(3600).unwrap_or_else(|e| panic!("{e}"));
        let kept = ClaimIndex::new(SignedDuration::from_secs(2));
        assert!(!kept.is_live(t0), "nothing built yet");
        let cases = vec![
            waiting("case-old-p3", Priority::P3, 1),
            waiting("case-new-p1", Priority::P1, 5),
            waiting("case-new-p3", Priority::P3, 9),
        ];
        kept.rebuild(cases, |c| basic_requirements(c, &policy), t0);
        assert!(kept.is_live(t0 + SignedDuration::from_secs(1)));
        assert!(
            !kept.is_live(t0 + SignedDuration::from_secs(2)),
            "expired at its time to live"
        );
        assert!(
            !kept.is_live(t0 - SignedDuration::from_secs(1)),
            "a clock that went back rebuilds"
        );
        let order: Vec<String> = std::iter::from_fn(|| kept.take_best(&agent(), &policy, t0))
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(
            order,
            ["case-new-p1", "case-old-p3", "case-new-p3"],
            "priority, then age; each once"
        );
    }

    #[test]
    fn a_zero_time_to_live_rebuilds_for_every_claim() {
        let t0 = Timestamp::from_second(3600).unwrap_or_else(|e| panic!("{e}"));
        let kept = ClaimIndex::new(SignedDuration::ZERO);
        kept.rebuild(vec![], |c| basic_requirements(c, &RoutingPolicy::default()), t0);
        assert!(!kept.is_live(t0));
    }
}
