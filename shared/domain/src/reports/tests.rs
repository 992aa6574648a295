//! Hand-computed expectations for report rows and their figures.

use super::*;
use crate::case::tests::case;
use crate::case::{Actor, CaseEvent};
use crate::sla::Pause;

fn at(s: &str) -> Timestamp {
    s.parse::<Timestamp>().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn id<T: TryFrom<String>>(s: &str) -> T {
    T::try_from(s.to_string()).unwrap_or_else(|_| unreachable!())
}

fn office() -> SlaPolicy {
    crate::metrics::office_policy()
}

fn clock(target: Target, cycle: u32, start: &str, due: &str, met: Option<&str>) -> SlaClock {
    let mut c = SlaClock::new(target, at(start), at(due));
    c.cycle = cycle;
    c.policy = Some("office".into());
    c.met_at = met.map(at);
    c
}

fn event(at_: &str, kind: CaseEventKind) -> CaseEvent {
    CaseEvent {
        at: at(at_),
        actor: Actor::System,
        kind,
    }
}

#[test]
fn sentiment_change_classes() {
    use Sentiment::*;
    let table = [
        (Some(Negative), Some(Positive), SentimentChange::DetractorToPromoter),
        (Some(Positive), Some(Negative), SentimentChange::PromoterToDetractor),
        (Some(Negative), Some(Negative), SentimentChange::Unchanged),
        (Some(Neutral), Some(Neutral), SentimentChange::Unchanged),
        (Some(Negative), Some(Neutral), SentimentChange::Other),
        (Some(Neutral), Some(Positive), SentimentChange::Other),
        (None, None, SentimentChange::Unknown),
    ];
    for (first, last, want) in table {
        assert_eq!(SentimentChange::of(first, last), want, "{first:?} → {last:?}");
    }
}

/// Opened Friday 2026-11-20 16:00; first answer Monday 23 10:00 (66 h wall, 2 h business); the
/// customer writes at 11:00 and is answered at 11:30 (30 min both); a pause 11:30–12:00 on the
/// resolution clock; resolved Monday 13:00 (69 h wall, 4 h of office time less the 30-min
/// pause: Friday 16–17 and Monday 09–13 = 5 h, less 30 min = 4 h 30 business).
fn worked_case() -> Case {
    let mut c = case();
    c.created_at = at("2026-11-20T16:00:00Z");
    c.version = 7;
    c.first_response_at = Some(at("2026-11-23T10:00:00Z"));
    c.resolved_at = Some(at("2026-11-23T13:00:00Z"));
    c.status = CaseStatus::Resolved;
    let mut resolution = clock(
        Target::Resolution,
        0,
        "2026-11-20T16:00:00Z",
        "2026-11-24T16:00:00Z",
        Some("2026-11-23T13:00:00Z"),
    );
    resolution.pauses = vec![Pause {
        from: at("2026-11-23T11:30:00Z"),
        to: Some(at("2026-11-23T12:00:00Z")),
        actor: Actor::System,
        reason: "waiting on the customer".into(),
        resumed_by: None,
    }];
    c.sla = vec![
        // Due Monday 09:30: met at 10:00, late: missed.
        clock(
            Target::FirstResponse,
            0,
            "2026-11-20T16:00:00Z",
            "2026-11-23T09:30:00Z",
            Some("2026-11-23T10:00:00Z"),
        ),
        clock(
            Target::NextResponse,
            1,
            "2026-11-23T11:00:00Z",
            "2026-11-23T12:00:00Z",
            Some("2026-11-23T11:30:00Z"),
        ),
        resolution,
    ];
    c.history = vec![
        event("2026-11-20T16:05:00Z", CaseEventKind::Assigned { agent_id: id("ana") }),
        event(
            "2026-11-23T13:00:00Z",
            CaseEventKind::StatusChanged {
                from: CaseStatus::Open,
                to: CaseStatus::Resolved,
            },
        ),
    ];
    c.facts.note_customer_post(Intent::Problem, Sentiment::Negative);
    c.facts.note_customer_post(Intent::Praise, Sentiment::Positive);
    c
}

#[test]
fn a_row_measures_each_target_in_wall_and_business_time() {
    let row = ReportRow::of(&worked_case(), &office());
    let hour = 3_600_000;
    assert_eq!(
        row.first_response,
        Some(Elapsed {
            wall_ms: 66 * hour,
            business_ms: 2 * hour
        })
    );
    assert_eq!(
        row.next_responses,
        vec![Elapsed {
            wall_ms: hour / 2,
            business_ms: hour / 2
        }]
    );
    assert_eq!(
        row.resolution,
        Some(Elapsed {
            wall_ms: 69 * hour,
            business_ms: 9 * hour / 2
        })
    );
    assert_eq!((row.sla_met, row.sla_missed, row.sla_running), (2, 1, 0));
    assert_eq!(row.intent, Some(Intent::Problem), "the opening post's intent");
    assert_eq!(row.sentiment_change, SentimentChange::DetractorToPromoter);
    assert_eq!(row.agent, Some(id("ana")), "the last assignee after the resolve");
    assert!(row.resolved && row.reopens == 0 && !row.breached_now);
    assert_eq!(row.day(), "2026-11-20");
    assert_eq!(row.version, 7);
}

#[test]
fn a_case_without_clocks_is_measured_on_its_own_timestamps() {
    let mut c = worked_case();
    c.sla.clear();
    let row = ReportRow::of(&c, &office());
    // The case's policy is `office` (the only one): Friday 16:00 → Monday 10:00 is 2 h of it.
    assert_eq!(row.first_response.map(|e| e.business_ms), Some(2 * 3_600_000));
    assert_eq!(row.resolution.map(|e| e.wall_ms), Some(69 * 3_600_000));
    assert_eq!((row.sla_met, row.sla_missed, row.sla_running), (0, 0, 0));
}

/// A case answered after `first_s` seconds (24×7 clock due at 60 s), in `queue`.
fn simple(n: u32, queue: &str, first_s: Option<i64>, breached: bool) -> Case {
    let mut c = case();
    c.id = id(&format!("case-{n}"));
    c.queue = queue.into();
    let t0 = Timestamp::UNIX_EPOCH;
    let mut clock = SlaClock::new(Target::FirstResponse, t0, t0 + jiff::SignedDuration::from_secs(60));
    clock.met_at = first_s.map(|s| t0 + jiff::SignedDuration::from_secs(s));
    clock.breached_at = breached.then(|| t0 + jiff::SignedDuration::from_secs(60));
    c.sla = vec![clock];
    c
}

#[test]
fn figures_per_group_by_hand() {
    let policy = SlaPolicy::first_response_only(BTreeMap::new());
    let mut cases = [
        simple(1, "a", Some(10), false),
        simple(2, "a", Some(20), false),
        simple(3, "a", Some(30), false),
        simple(4, "a", Some(90), true),
        simple(5, "a", None, false),
        simple(6, "b", None, true),
    ];
    // Case 1 resolved and reopened; case 2 resolved; ana had 1, 2 and 3, bob had 3.
    let resolved = |from, to| event("1970-01-01T00:10:00Z", CaseEventKind::StatusChanged { from, to });
    cases[0].history = vec![
        event("1970-01-01T00:00:05Z", CaseEventKind::Assigned { agent_id: id("ana") }),
        resolved(CaseStatus::Open, CaseStatus::Resolved),
        resolved(CaseStatus::Resolved, CaseStatus::Open),
    ];
    cases[1].history = vec![
        event("1970-01-01T00:00:05Z", CaseEventKind::Assigned { agent_id: id("ana") }),
        resolved(CaseStatus::Open, CaseStatus::Resolved),
    ];
    cases[2].history = vec![
        event("1970-01-01T00:00:05Z", CaseEventKind::Assigned { agent_id: id("ana") }),
        event("1970-01-01T00:00:06Z", CaseEventKind::Assigned { agent_id: id("bob") }),
    ];
    cases[0].facts.note_customer_post(Intent::Problem, Sentiment::Negative);
    cases[0].facts.note_customer_post(Intent::Problem, Sentiment::Positive);
    cases[1].facts.note_customer_post(Intent::Problem, Sentiment::Positive);
    cases[1].facts.note_customer_post(Intent::Problem, Sentiment::Negative);
    cases[2].facts.note_customer_post(Intent::Problem, Sentiment::Neutral);
    let rows: Vec<ReportRow> = cases.iter().map(|c| ReportRow::of(c, &policy)).collect();
    let report = summarize(&rows, ReportBy::Queue);
    assert_eq!(report.groups.len(), 2);
    let a = &report.groups[0];
    assert_eq!((a.group.as_str(), a.volume), ("a", 5));
    // Answers 10, 20, 30, 90 s: median rank ⌈0.5·4⌉ = 2 → 20 s; p90 rank ⌈0.9·4⌉ = 4 → 90 s.
    assert_eq!(a.first_response.count, 4);
    assert_eq!(a.first_response.median_wall_ms, Some(20_000));
    assert_eq!(a.first_response.p90_wall_ms, Some(90_000));
    assert_eq!(
        a.first_response.median_business_ms,
        Some(20_000),
        "24×7: business = wall"
    );
    // Met in time 3, missed 1 (breached), running 1: 3 of 4 decided = 75 %.
    assert_eq!((a.sla_met, a.sla_missed, a.sla_running), (3, 1, 1));
    assert_eq!(a.sla_attainment_pct, Some(75.0));
    // Resolved 2, reopened 1: 50 %.
    assert_eq!((a.resolved, a.reopened, a.reopen_rate_pct), (2, 1, Some(50.0)));
    // Three cases had an agent, two agents: 1.5 each.
    assert_eq!((a.agents, a.cases_per_agent), (2, Some(1.5)));
    assert_eq!(
        a.sentiment,
        SentimentCounts {
            detractor_to_promoter: 1,
            promoter_to_detractor: 1,
            unchanged: 1,
            other: 0,
            unknown: 2
        }
    );
    let b = &report.groups[1];
    assert_eq!(
        (b.volume, b.sla_attainment_pct, b.reopen_rate_pct, b.cases_per_agent),
        (1, Some(0.0), None, None)
    );
    assert_eq!(report.total.volume, 6);
    assert_eq!(report.total.sla_missed, 2);
    // By agent: the last assignee (bob for case 3).
    let by_agent = summarize(&rows, ReportBy::Agent);
    let names: Vec<(&str, usize)> = by_agent.groups.iter().map(|g| (g.group.as_str(), g.volume)).collect();
    assert_eq!(names, vec![("(unassigned)", 3), ("ana", 2), ("bob", 1)]);
}

#[test]
fn a_withdrawn_case_counts_in_volume_only() {
    let policy = SlaPolicy::first_response_only(BTreeMap::new());
    let mut c = simple(1, "a", Some(90), true);
    c.history = vec![event(
        "1970-01-01T00:01:00Z",
        CaseEventKind::Withdrawn { post_id: id("p1") },
    )];
    let report = summarize(&[ReportRow::of(&c, &policy)], ReportBy::Queue);
    let a = &report.groups[0];
    assert_eq!((a.volume, a.sla_missed, a.first_response.count), (1, 0, 0));
}

#[test]
fn days_of_a_range_are_utc_and_end_exclusive() {
    assert_eq!(
        days_between(at("2026-12-01T12:00:00Z"), at("2026-12-03T00:00:00Z")),
        vec!["2026-12-01", "2026-12-02"]
    );
    assert_eq!(
        days_between(at("2026-12-31T23:00:00Z"), at("2027-01-01T00:00:01Z")),
        vec!["2026-12-31", "2027-01-01"]
    );
    assert!(days_between(at("2026-12-02T00:00:00Z"), at("2026-12-02T00:00:00Z")).is_empty());
}

#[test]
fn the_board_counts_today_and_every_active_case_per_channel() {
    let policy = SlaPolicy::first_response_only(BTreeMap::new());
    let waiting_breached = simple(1, "a", None, true);
    let mut held = simple(2, "a", None, false);
    held.status = CaseStatus::Open;
    held.assignee = Some(id("ana"));
    let mut done = simple(3, "a", Some(10), false);
    done.status = CaseStatus::Resolved;
    let today = vec![ReportRow::of(&done, &policy)];
    let board = live(&today, &[waiting_breached, held, done], &policy);
    let generic = &board["generic"];
    assert_eq!(
        (generic.volume_today, generic.open, generic.waiting, generic.breached),
        (1, 2, 1, 1)
    );
    assert_eq!(board["(all)"], board["generic"]);
}
