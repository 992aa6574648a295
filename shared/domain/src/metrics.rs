//! SLA attainment: targets met and missed, and response times, grouped for supervisors. Pure.

use crate::case::Case;
use crate::sla::{ClockState, SlaClock, SlaPolicy, Target};
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
    /// Wall-clock time from the clock's start to the answer.
    pub median_response_ms: Option<i64>,
    pub p90_response_ms: Option<i64>,
    /// The same in business time: on the clock's policy calendar, outside its pauses (what
    /// the target is measured in).
    pub median_business_ms: Option<i64>,
    pub p90_business_ms: Option<i64>,
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

/// Nearest-rank percentile of sorted values (the one definition reports use too).
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    sorted.get(nearest_rank(sorted.len(), p)?).copied()
}

/// The index, in sorted order, of the nearest-rank `p`th percentile of `len` values.
fn nearest_rank(len: usize, p: usize) -> Option<usize> {
    (len > 0).then(|| (p * len).div_ceil(100).max(1) - 1)
}

/// [`percentile`] of unsorted values, found by selection (linear time) instead of a sort; the
/// values are reordered.
pub fn percentile_unsorted(values: &mut [i64], p: usize) -> Option<i64> {
    let i = nearest_rank(values.len(), p)?;
    values.select_nth_unstable(i);
    values.get(i).copied()
}

#[derive(Default)]
struct Tally {
    met: usize,
    missed: usize,
    running: usize,
    wall: Vec<i64>,
    business: Vec<i64>,
}

/// Business time of a met clock: on its policy's calendar (24×7 when the policy is unknown),
/// outside its pauses.
pub fn business_ms(clock: &SlaClock, met: jiff::Timestamp, policy: &SlaPolicy) -> i64 {
    let pauses: Vec<(jiff::Timestamp, jiff::Timestamp)> =
        clock.pauses.iter().map(|p| (p.from, p.to.unwrap_or(met))).collect();
    match clock.policy.as_deref().and_then(|name| policy.policy(name)) {
        Some(p) => p
            .calendar
            .business_between_with_pauses(clock.started_at, met, &pauses)
            .as_millis() as i64,
        None => met.duration_since(clock.started_at).as_millis() as i64,
    }
}

/// Whether a clock missed its target: it breached (even if met later), or was met after its
/// due time.
pub fn is_late(clock: &SlaClock) -> bool {
    clock.breached_at.is_some() || clock.met_at.is_some_and(|m| m > clock.due_at)
}

/// A target counts as missed when it breached (even if met later), met when met in time.
/// Response times are given in wall time and in business time (`policy`'s calendars).
pub fn attainment(cases: &[Case], by: GroupBy, policy: &SlaPolicy) -> Vec<Attainment> {
    let mut groups: BTreeMap<(String, Target), Tally> = BTreeMap::new();
    // A withdrawn case (the customer deleted what they wrote) kept no target and missed none.
    for case in cases.iter().filter(|c| !c.is_withdrawn()) {
        for clock in &case.sla {
            let entry = groups.entry((group_of(case, by), clock.target)).or_default();
            match (clock.state(), is_late(clock)) {
                (_, true) => entry.missed += 1,
                (ClockState::Met, false) => entry.met += 1,
                _ => entry.running += 1,
            }
            if let Some(met) = clock.met_at {
                entry.wall.push(met.duration_since(clock.started_at).as_millis() as i64);
                entry.business.push(business_ms(clock, met, policy));
            }
        }
    }
    groups
        .into_iter()
        .map(|((group, target), t)| {
            let Tally {
                met,
                missed,
                running,
                wall: mut times,
                mut business,
            } = t;
            times.sort_unstable();
            business.sort_unstable();
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
                median_business_ms: percentile(&business, 50),
                p90_business_ms: percentile(&business, 90),
            }
        })
        .collect()
}

/// Weekdays 09:00–17:00 UTC as the policy `office`, with no targets of its own (clocks say
/// which policy they keep): the calendar of the business-time tests here and in reports.
#[cfg(test)]
pub(crate) fn office_policy() -> SlaPolicy {
    use crate::calendar::{Calendar, Shift};
    let nine_to_five = || vec![Shift::new(9 * 3600, 17 * 3600).unwrap_or_else(|| unreachable!())];
    let week = [
        nine_to_five(),
        nine_to_five(),
        nine_to_five(),
        nine_to_five(),
        nine_to_five(),
        vec![],
        vec![],
    ];
    let calendar = Calendar::new(jiff::tz::TimeZone::UTC, week, []).unwrap_or_else(|e| panic!("{e}"));
    let mut office = crate::sla::Policy::first_response_only("office", &std::collections::BTreeMap::new());
    office.calendar = calendar;
    SlaPolicy::single(office)
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
        let rows = attainment(&cases, GroupBy::Queue, &SlaPolicy::first_response_only(BTreeMap::new()));
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
    fn business_response_time_skips_closed_hours_and_pauses() {
        use crate::sla::Pause;
        // Weekdays 09:00–17:00 UTC. A post on Friday 2026-11-20 at 16:00, answered on Monday
        // 23 at 10:00: 66 hours of wall time, 2 hours of business time; a pause on Monday
        // 09:00–09:30 leaves 1 h 30 m.
        let policy = office_policy();
        let at = |s: &str| s.parse::<Timestamp>().unwrap_or_else(|e| panic!("{e}"));
        let mut c = case();
        let mut clock = SlaClock::new(
            Target::FirstResponse,
            at("2026-11-20T16:00:00Z"),
            at("2026-11-23T12:00:00Z"),
        );
        clock.policy = Some("office".into());
        clock.met_at = Some(at("2026-11-23T10:00:00Z"));
        c.sla = vec![clock.clone()];
        let rows = attainment(std::slice::from_ref(&c), GroupBy::Queue, &policy);
        assert_eq!(rows[0].median_response_ms, Some(66 * 3_600_000));
        assert_eq!(rows[0].median_business_ms, Some(2 * 3_600_000));
        clock.pauses = vec![Pause {
            from: at("2026-11-23T09:00:00Z"),
            to: Some(at("2026-11-23T09:30:00Z")),
            actor: crate::case::Actor::System,
            reason: "waiting on the customer".into(),
            resumed_by: None,
        }];
        c.sla = vec![clock];
        let rows = attainment(&[c], GroupBy::Queue, &policy);
        assert_eq!(rows[0].median_business_ms, Some(90 * 60_000));
    }

    #[test]
    fn selection_agrees_with_the_sorted_percentile() {
        let mut v = vec![9, 1, 8, 2, 7, 3, 6, 4, 5, 10, 10, 0];
        let mut sorted = v.clone();
        sorted.sort_unstable();
        for p in [1, 10, 50, 89, 90, 99, 100] {
            assert_eq!(percentile_unsorted(&mut v, p), percentile(&sorted, p), "p{p}");
        }
        assert_eq!(percentile_unsorted(&mut [], 50), None);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[5], 90), Some(5));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
    }
}
