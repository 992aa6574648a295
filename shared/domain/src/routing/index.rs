//! The waiting cases, indexed for the pull decision ("which case should this agent take?").
//!
//! One ordered set per case language (plus one for cases of unknown language), each ordered
//! by (priority, age, id). An agent's best case is the first eligible case at the head of the
//! sets of the languages it speaks: it looks at a handful of sets and, in each, only as far as
//! the first case it may take, instead of sorting every waiting case.

use super::decide::{Ask, requirement_misses};
use super::policy::RoutingPolicy;
use super::requirements::Requirements;
use crate::agent::Agent;
use crate::channel::{Language, Priority};
use crate::ids::{AgentId, CaseId};
use jiff::Timestamp;
use std::collections::{BTreeSet, HashMap};

type Key = (Priority, Timestamp, CaseId);

struct Entry {
    key: Key,
    requirements: Requirements,
    waiting_since: Timestamp,
    declined: Vec<AgentId>,
}

#[derive(Default)]
pub struct WaitingIndex {
    by_language: HashMap<Option<Language>, BTreeSet<Key>>,
    entries: HashMap<CaseId, Entry>,
}

impl WaitingIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds (or replaces) a waiting case. `created_at` orders it; `waiting_since` drives relaxation.
    pub fn insert(
        &mut self,
        id: CaseId,
        requirements: Requirements,
        created_at: Timestamp,
        waiting_since: Timestamp,
        declined: Vec<AgentId>,
    ) {
        self.remove(&id);
        let key = (requirements.priority, created_at, id.clone());
        self.by_language
            .entry(requirements.language.clone())
            .or_default()
            .insert(key.clone());
        self.entries.insert(
            id,
            Entry {
                key,
                requirements,
                waiting_since,
                declined,
            },
        );
    }

    pub fn remove(&mut self, id: &CaseId) {
        if let Some(e) = self.entries.remove(id)
            && let Some(set) = self.by_language.get_mut(&e.requirements.language)
        {
            set.remove(&e.key);
        }
    }

    /// The best waiting case `agent` may take now (priority, then age), or None. The caller
    /// checks presence and room; this checks language (with relaxation), skills, region,
    /// channel and declines.
    pub fn best_for(&self, agent: &Agent, policy: &RoutingPolicy, now: Timestamp) -> Option<&CaseId> {
        let mut languages: Vec<Option<Language>> = vec![None];
        languages.extend(agent.languages.iter().cloned().map(Some));
        languages.extend(agent.secondary_languages.iter().cloned().map(Some));
        languages.dedup();
        let mut best: Option<&Key> = None;
        for language in &languages {
            let Some(set) = self.by_language.get(language) else {
                continue;
            };
            for key in set {
                if best.is_some_and(|b| key >= b) {
                    break;
                }
                let Some(entry) = self.entries.get(&key.2) else {
                    continue;
                };
                if entry.declined.contains(&agent.id) {
                    continue;
                }
                let waited = now.duration_since(entry.waiting_since).as_secs().max(0);
                let relaxed = policy.relaxed_after(waited);
                let ask = Ask {
                    requirements: &entry.requirements,
                    relaxed: &relaxed,
                    declined: &entry.declined,
                    match_channel: policy.match_channel,
                };
                if requirement_misses(agent, &ask).is_empty() {
                    best = Some(key);
                    break;
                }
            }
        }
        best.map(|k| &k.2)
    }
}
