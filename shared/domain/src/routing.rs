//! The routing rule: which agents may take a case, best first. Pure.

use crate::agent::{Agent, Presence};
use crate::case::Case;
use std::cmp::Ordering;

/// Whether `agent` may take `case` now: online, speaks its language, has room.
pub fn is_eligible(agent: &Agent, case: &Case) -> bool {
    agent.presence == Presence::Online && agent.speaks(case.language.as_ref()) && agent.has_room()
}

/// Eligible agents, best first: least loaded (by share of capacity), then the one who waited
/// longest since their last assignment (round robin), then by id so the order is total.
pub fn rank_agents<'a>(case: &Case, agents: &'a [Agent]) -> Vec<&'a Agent> {
    let mut eligible: Vec<&Agent> = agents.iter().filter(|a| is_eligible(a, case)).collect();
    eligible.sort_by(|a, b| {
        compare_load(a, b)
            .then_with(|| a.last_assigned_at.cmp(&b.last_assigned_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    eligible
}

/// Compares load shares a.load/a.capacity and b.load/b.capacity without floats.
fn compare_load(a: &Agent, b: &Agent) -> Ordering {
    (u64::from(a.load) * u64::from(b.capacity.max(1))).cmp(&(u64::from(b.load) * u64::from(a.capacity.max(1))))
}

/// The order in which waiting cases are offered: priority, then age.
pub fn queue_order(a: &Case, b: &Case) -> Ordering {
    a.priority
        .cmp(&b.priority)
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Role;
    use crate::case::tests::case;
    use crate::channel::Language;
    use crate::ids::AgentId;
    use jiff::Timestamp;

    fn agent(id: &str, langs: &[&str], load: u32, cap: u32, presence: Presence, last: Option<i64>) -> Agent {
        Agent {
            id: AgentId::parse(id).unwrap_or_else(|_| unreachable!()),
            name: id.into(),
            languages: langs
                .iter()
                .map(|l| Language::parse(l).unwrap_or_else(|_| unreachable!()))
                .collect(),
            skills: vec![],
            capacity: cap,
            presence,
            role: Role::Agent,
            load,
            last_assigned_at: last.map(|s| Timestamp::from_second(s).unwrap_or_else(|_| unreachable!())),
        }
    }

    fn ids(v: Vec<&Agent>) -> Vec<&str> {
        v.into_iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn ranking_table() {
        let mut es = case();
        es.language = Some(Language::parse("es").unwrap_or_else(|_| unreachable!()));
        let agents = vec![
            agent("en-only", &["en"], 0, 5, Presence::Online, None),
            agent("busy", &["es"], 3, 3, Presence::Online, None),
            agent("away", &["es"], 0, 3, Presence::Away, None),
            agent("half", &["es", "en"], 2, 4, Presence::Online, None),
            agent("light", &["es"], 1, 4, Presence::Online, Some(50)),
            agent("light-older", &["es"], 1, 4, Presence::Online, Some(10)),
        ];
        assert_eq!(ids(rank_agents(&es, &agents)), vec!["light-older", "light", "half"]);

        let unknown_language = case();
        assert_eq!(
            ids(rank_agents(&unknown_language, &agents))[0],
            "en-only",
            "unknown language: anyone, least loaded"
        );
    }

    #[test]
    fn queue_is_priority_then_age() {
        use crate::channel::Priority;
        let mut old_p3 = case();
        old_p3.created_at = Timestamp::from_second(1).unwrap_or_else(|_| unreachable!());
        let mut new_p1 = case();
        new_p1.priority = Priority::P1;
        new_p1.created_at = Timestamp::from_second(9).unwrap_or_else(|_| unreachable!());
        assert_eq!(queue_order(&new_p1, &old_p3), Ordering::Less);
    }
}
