//! SLA attainment: targets met and missed, and response times, grouped for supervisors. Pure.

use crate::case::Case;
use crate::sla::{ClockState, Target};
use serde::Serialize;
use std::collections::BTreeMap;

/// How attainment rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Queue,
    Agent,
    Channel,
    Priority,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "queue" => Ok(GroupBy::Queue),
            "agent" => Ok(GroupBy::Agent),
            "channel" => Ok(GroupBy::Channel),
            "priority" => Ok(GroupBy::Priority),
            other => Err(format!("`{other}` is not one of queue, agent, channel, priority")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attainment {
    pub group: String,
    pub target: Target,
    pub met: usize,
    pub missed: usize,
    pub running: usize,
    /// Share of decided targets that were met, 0..=1 (null when none is decided yet).
    pub attainment: Option<f64>,
    pub median_response_ms: Option<i64>,
    pub p90_response_ms: Option<i64>,
}

fn group_of(case: &Case, by: GroupBy) -> String {
    match by {
        GroupBy::Queue => case.queue.clone(),
        GroupBy::Agent => case
            .assignee
            .as_ref()
            .map_or_else(|| "(unassigned)".into(), ToString::to_string),
        GroupBy::Channel => case.channel.to_string(),
        GroupBy::Priority => case.priority.to_string(),
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Per group and target: met, missed, running, response times.
type Tally = BTreeMap<(String, Target), (usize, usize, usize, Vec<i64>)>;

/// A target counts as missed when it breached (even if met later), met when met in time.
pub fn attainment(cases: &[Case], by: GroupBy) -> Vec<Attainment> {
    let mut groups: Tally = BTreeMap::new();
    for case in cases {
        for clock in &case.sla {
            let entry = groups.entry((group_of(case, by), clock.target)).or_default();
            let late = clock.breached_at.is_some() || clock.met_at.is_some_and(|m| m > clock.due_at);
            match (clock.state(), late) {
                (_, true) => entry.1 += 1,
                (ClockState::Met, false) => entry.0 += 1,
                _ => entry.2 += 1,
            }
            if let Some(met) = clock.met_at {
                entry.3.push(met.duration_since(clock.started_at).as_millis() as i64);
            }
        }
    }
    groups
        .into_iter()
        .map(|((group, target), (met, missed, running, mut times))| {
            times.sort_unstable();
            let decided = met + missed;
            Attainment {
                group,
                target,
                met,
                missed,
                running,
                attainment: (decided > 0).then(|| met as f64 / decided as f64),
                median_response_ms: percentile(&times, 50),
                p90_response_ms: percentile(&times, 90),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::tests::case;
    use crate::sla::SlaClock;
    use jiff::Timestamp;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap_or_else(|_| unreachable!())
    }

    fn with_clock(queue: &str, met: Option<i64>, breached: bool) -> Case {
        let mut c = case();
        c.queue = queue.into();
        let mut clock = SlaClock::new(Target::FirstResponse, ts(0), ts(60));
        clock.met_at = met.map(ts);
        clock.breached_at = breached.then(|| ts(60));
        c.sla = vec![clock];
        c
    }

    #[test]
    fn counts_and_percentiles_per_group() {
        let cases = vec![
            with_clock("a", Some(10), false),
            with_clock("a", Some(30), false),
            with_clock("a", Some(90), true),
            with_clock("a", None, false),
            with_clock("b", None, true),
        ];
        let rows = attainment(&cases, GroupBy::Queue);
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!((a.met, a.missed, a.running), (2, 1, 1));
        assert_eq!(a.attainment, Some(2.0 / 3.0));
        assert_eq!((a.median_response_ms, a.p90_response_ms), (Some(30_000), Some(90_000)));
        let b = &rows[1];
        assert_eq!(
            (b.met, b.missed, b.running, b.attainment, b.median_response_ms),
            (0, 1, 0, Some(0.0), None)
        );
    }

    #[test]
    fn percentile_is_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[5], 90), Some(5));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
    }
}
