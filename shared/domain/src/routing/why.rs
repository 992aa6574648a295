//! Why a case waits, in words, from the router's decision: which agents could not take it and
//! for what reason (`ben is full (3 of 3)`, `ana is offline`, `lena does not speak pt`).

use super::decide::{Decision, Exclusion};

/// One sentence for a supervisor: why no agent was given the case.
pub fn why_waiting(decision: &Decision) -> String {
    if decision.candidates_total == 0 {
        return "no agents are configured".into();
    }
    if decision.eligible_total > 0 {
        return format!(
            "{} agent(s) may take it now: it goes to the best of them on its next routing, or to the first who claims it",
            decision.eligible_total
        );
    }
    let mut reasons: Vec<String> = decision
        .candidates
        .iter()
        .filter(|c| !c.excluded.is_empty())
        .map(|c| {
            let why: Vec<String> = c.excluded.iter().map(exclusion).collect();
            format!("{} {}", c.agent_id, why.join(" and "))
        })
        .collect();
    let shown = decision.candidates.len();
    if decision.candidates_total > shown {
        reasons.push(format!("{} more not listed", decision.candidates_total - shown));
    }
    format!("no agent may take it: {}", reasons.join("; "))
}

fn exclusion(e: &Exclusion) -> String {
    match e {
        Exclusion::Presence { presence } => format!("is {}", format!("{presence:?}").to_lowercase()),
        Exclusion::Capacity {
            load,
            capacity,
            channel: None,
        } => format!("is full ({load} of {capacity})"),
        Exclusion::Capacity {
            load,
            capacity,
            channel: Some(ch),
        } => format!("is full on {ch} ({load} of {capacity})"),
        Exclusion::Language {
            needed,
            secondary: false,
        } => format!("does not speak {needed}"),
        Exclusion::Language {
            needed,
            secondary: true,
        } => {
            format!("speaks {needed} only as a secondary language (allowed after the relax step)")
        }
        Exclusion::Skill { skill, needed, has } => format!("lacks skill {skill} (needs level {needed}, has {has})"),
        Exclusion::Region { needed } => format!("is not in region {needed}"),
        Exclusion::Channel { needed } => format!("does not take {needed}"),
        Exclusion::Declined => "declined it".into(),
    }
}
