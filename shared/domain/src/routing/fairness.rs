//! How evenly the work is spread: each agent's load against their capacity, and the team's
//! spread and Jain's fairness index over the agents who are online and take cases. Computed from
//! the agents alone (their loads are exact: moved in the same write as each case).

use crate::agent::{Agent, Presence, Role};
use crate::channel::Channel;
use crate::ids::AgentId;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentLoad {
    pub agent_id: AgentId,
    pub presence: Presence,
    pub load: u32,
    pub capacity: u32,
    /// load / capacity, 0 when the agent takes no cases.
    pub utilisation: f64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub channel_load: BTreeMap<Channel, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadSummary {
    pub agents: Vec<AgentLoad>,
    /// Online agents with capacity.
    pub online: usize,
    pub online_load: u32,
    pub online_capacity: u32,
    /// Highest minus lowest utilisation among the online agents.
    pub utilisation_spread: f64,
    /// Jain's index over the online agents' utilisation: 1 = perfectly even, 1/n = one agent
    /// carries everything. 1 when nobody carries anything.
    pub fairness: f64,
}

fn utilisation(a: &Agent) -> f64 {
    if a.capacity == 0 {
        0.0
    } else {
        f64::from(a.load) / f64::from(a.capacity)
    }
}

impl LoadSummary {
    pub fn of(agents: &[Agent]) -> Self {
        let takes_cases = |a: &&Agent| a.role == Role::Agent || a.capacity > 0;
        let rows: Vec<AgentLoad> = agents
            .iter()
            .filter(takes_cases)
            .map(|a| AgentLoad {
                agent_id: a.id.clone(),
                presence: a.presence,
                load: a.load,
                capacity: a.capacity,
                utilisation: utilisation(a),
                channel_load: a.channel_load.clone(),
            })
            .collect();
        let online: Vec<&Agent> = agents
            .iter()
            .filter(takes_cases)
            .filter(|a| a.presence == Presence::Online && a.capacity > 0)
            .collect();
        let shares: Vec<f64> = online.iter().map(|a| utilisation(a)).collect();
        let (lo, hi) = shares.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(*s), hi.max(*s))
        });
        let sum: f64 = shares.iter().sum();
        let squares: f64 = shares.iter().map(|s| s * s).sum();
        let fairness = if squares == 0.0 {
            1.0
        } else {
            sum * sum / (shares.len() as f64 * squares)
        };
        Self {
            agents: rows,
            online: online.len(),
            online_load: online.iter().map(|a| a.load).sum(),
            online_capacity: online.iter().map(|a| a.capacity).sum(),
            utilisation_spread: if shares.is_empty() { 0.0 } else { hi - lo },
            fairness,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, presence: &str, load: u32, capacity: u32) -> Agent {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "languages": ["en"], "capacity": capacity,
            "presence": presence, "role": "agent", "load": load
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn even_work_is_fair_and_one_agent_carrying_all_is_not() {
        let even = LoadSummary::of(&[agent("a", "online", 2, 4), agent("b", "online", 1, 2)]);
        assert_eq!((even.online, even.online_load, even.online_capacity), (2, 3, 6));
        assert!((even.fairness - 1.0).abs() < 1e-9 && even.utilisation_spread.abs() < 1e-9);
        let skewed = LoadSummary::of(&[
            agent("a", "online", 4, 4),
            agent("b", "online", 0, 4),
            agent("c", "offline", 3, 4),
        ]);
        assert!((skewed.fairness - 0.5).abs() < 1e-9, "{}", skewed.fairness);
        assert!((skewed.utilisation_spread - 1.0).abs() < 1e-9);
        assert_eq!(skewed.agents.len(), 3, "offline agents are listed, not counted");
        let idle = LoadSummary::of(&[agent("a", "online", 0, 4)]);
        assert!((idle.fairness - 1.0).abs() < 1e-9);
        assert_eq!(LoadSummary::of(&[]).online, 0);
    }
}
