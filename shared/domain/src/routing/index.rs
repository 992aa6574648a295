//! The waiting cases, indexed for the pull decision ("which case should this agent take?").
//!
//! One ordered set per (case language, names of the skills it needs), each ordered by
//! (priority, age, id). An agent's best case is the first eligible case at the head of the
//! sets whose language it speaks (or unknown) and whose skills it has (any set, when a
//! relaxation step can drop skills): it looks at a handful of sets and, in each, only as far
//! as the first case it may take, instead of sorting every waiting case.

use super::decide::{Ask, meets};
use super::policy::RoutingPolicy;
use super::requirements::Requirements;
use crate::agent::Agent;
use crate::channel::{Language, Priority};
use crate::ids::{AgentId, CaseId};
use jiff::Timestamp;
use std::collections::{BTreeSet, HashMap};

type Key = (Priority, Timestamp, CaseId);
/// The set a case lives in: its language and the names of the skills it needs.
type Bucket = (Option<Language>, Vec<String>);

fn bucket(r: &Requirements) -> Bucket {
    (r.language.clone(), r.skills.keys().cloned().collect())
}

struct Entry {
    key: Key,
    requirements: Requirements,
    waiting_since: Timestamp,
    declined: Vec<AgentId>,
}

#[derive(Default)]
pub struct WaitingIndex {
    buckets: HashMap<Bucket, BTreeSet<Key>>,
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
        self.buckets
            .entry(bucket(&requirements))
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
            && let Some(set) = self.buckets.get_mut(&bucket(&e.requirements))
        {
            set.remove(&e.key);
        }
    }

    /// The best waiting case `agent` may take now (priority, then age), or None. The caller
    /// checks presence and room; this checks language (with relaxation), skills, region,
    /// channel and declines.
    pub fn best_for(&self, agent: &Agent, policy: &RoutingPolicy, now: Timestamp) -> Option<&CaseId> {
        let may_drop_skills = policy.relax.iter().any(|s| s.relax == super::policy::Relax::AnySkill);
        // The relaxations after k steps, for every k: no set is built per case.
        let mut steps: Vec<i64> = policy.relax.iter().map(|s| s.after_secs).collect();
        steps.sort_unstable();
        let prefixes: Vec<std::collections::BTreeSet<super::policy::Relax>> = (0..=steps.len())
            .map(|k| {
                let upto = steps.get(k.wrapping_sub(1)).copied().unwrap_or(i64::MIN);
                if k == 0 {
                    Default::default()
                } else {
                    policy.relaxed_after(upto)
                }
            })
            .collect();
        let mut best: Option<&Key> = None;
        for ((language, skills), set) in &self.buckets {
            let speaks = language
                .as_ref()
                .is_none_or(|l| agent.languages.contains(l) || agent.secondary_languages.contains(l));
            let skilled = may_drop_skills || skills.iter().all(|s| agent.skills.contains_key(s));
            if !speaks || !skilled {
                continue;
            }
            for key in set {
                if best.is_some_and(|b| key >= b) {
                    break;
                }
                let Some(entry) = self.entries.get(&key.2) else {
                    continue;
                };
                if entry.declined.contains(&agent.id) || !agent.has_channel_room(entry.requirements.channel) {
                    continue;
                }
                let waited = now.duration_since(entry.waiting_since).as_secs().max(0);
                let k = steps.partition_point(|s| *s <= waited);
                let ask = Ask {
                    requirements: &entry.requirements,
                    relaxed: &prefixes[k],
                    declined: &entry.declined,
                    match_channel: policy.match_channel,
                };
                if meets(agent, &ask) {
                    best = Some(key);
                    break;
                }
            }
        }
        best.map(|k| &k.2)
    }
}
