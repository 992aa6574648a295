//! Property tests on random calendars against a slow, separately written reference.
//!
//! The reference walks minute by minute and only ever converts instants to local time (never the
//! ambiguous other way): an instant is business time when the wall clock's high-water mark so far
//! lies in a shift of a working date. That is the documented rule (a boundary is reached at the
//! first instant the clock reads it or later) stated per instant. Shift boundaries, zone offsets
//! and transitions are whole minutes, so minute steps are exact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

const ZONES: [&str; 7] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
];
const MINUTE: SignedDuration = SignedDuration::from_secs(60);
/// Days after a base date in which starts, holidays and pauses fall.
const WINDOW_DAYS: i64 = 75;

#[derive(Clone, Debug)]
struct Spec {
    zone: &'static str,
    /// Per weekday from Monday, shifts in minutes after midnight (`None`: 24×7).
    week: Option<[Vec<(u32, u32)>; 7]>,
    holidays: Vec<Date>,
}

impl Spec {
    fn calendar(&self) -> Calendar {
        let clock = |minutes: u32| format!("{:02}:{:02}", minutes / 60, minutes % 60);
        let hours = match &self.week {
            None => HoursConfig::AllWeek,
            Some(week) => HoursConfig::Weekly(
                week.iter()
                    .enumerate()
                    .map(|(d, shifts)| {
                        let texts = shifts
                            .iter()
                            .map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
                            .collect();
                        (WEEKDAY_KEYS[d].to_string(), texts)
                    })
                    .collect(),
            ),
        };
        Calendar::from_config(&CalendarConfig {
            time_zone: self.zone.into(),
            hours,
            holidays: self.holidays.iter().map(|d| d.to_string()).collect(),
            ical: None,
        })
        .unwrap()
    }

    fn weekly_minutes(&self) -> i64 {
        match &self.week {
            None => 7 * 1440,
            Some(week) => week.iter().flatten().map(|(a, b)| i64::from(b - a)).sum(),
        }
    }

    /// Whether a wall-clock reading falls in a shift of a working date.
    fn works(&self, wall: DateTime) -> bool {
        if self.holidays.contains(&wall.date()) {
            return false;
        }
        let Some(week) = &self.week else { return true };
        let minute = u32::try_from(i32::from(wall.hour()) * 60 + i32::from(wall.minute())).unwrap();
        let day = usize::try_from(wall.weekday().to_monday_zero_offset()).unwrap();
        week[day].iter().any(|&(a, b)| a <= minute && minute < b)
    }
}

/// The reference walk from `start`: calls `visit(minute_start, counts)` for each minute until
/// it returns false.
fn reference_walk(
    spec: &Spec,
    start: Timestamp,
    pauses: &[(Timestamp, Timestamp)],
    mut visit: impl FnMut(Timestamp, bool) -> bool,
) {
    let tz = TimeZone::get(spec.zone).unwrap();
    // The high-water mark before `start`: no clock here goes back more than an hour.
    let mut high = tz.to_datetime(start);
    for back in 1..=180 {
        high = high.max(tz.to_datetime(start - SignedDuration::from_mins(back)));
    }
    let mut t = start;
    loop {
        high = high.max(tz.to_datetime(t));
        let paused = pauses.iter().any(|&(a, b)| a <= t && t < b);
        if !visit(t, spec.works(high) && !paused) {
            return;
        }
        t = t.checked_add(MINUTE).unwrap();
    }
}

fn reference_deadline(spec: &Spec, start: Timestamp, minutes: i64, pauses: &[(Timestamp, Timestamp)]) -> Timestamp {
    if minutes == 0 {
        return start;
    }
    let (mut left, mut deadline) = (minutes, start);
    reference_walk(spec, start, pauses, |t, counts| {
        if counts {
            left -= 1;
            if left == 0 {
                deadline = t.checked_add(MINUTE).unwrap();
                return false;
            }
        }
        true
    });
    deadline
}

fn reference_between(spec: &Spec, a: Timestamp, b: Timestamp, pauses: &[(Timestamp, Timestamp)]) -> SignedDuration {
    let mut minutes = 0;
    reference_walk(spec, a, pauses, |t, counts| {
        if t >= b {
            return false;
        }
        minutes += i64::from(counts);
        true
    });
    SignedDuration::from_mins(minutes)
}

fn day_strategy() -> impl Strategy<Value = Vec<(u32, u32)>> {
    // Boundaries on a 15-minute grid, paired up in order: 0 to 3 disjoint shifts, often touching
    // midnight and the small hours where clocks change.
    // Half of the boundaries fall in the hours around midnight, where most clocks change.
    let point = prop_oneof![0u32..=96, 0u32..=16, 88u32..=96];
    prop::collection::vec(point, 0..=6).prop_map(|mut points| {
        points.sort_unstable();
        points.dedup();
        points.chunks_exact(2).map(|p| (p[0] * 15, p[1] * 15)).collect()
    })
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    let week = prop::array::uniform7(day_strategy());
    (
        0..ZONES.len(),
        prop::bool::weighted(0.1),
        week,
        prop::collection::vec(0..WINDOW_DAYS + 20, 0..=4),
        prop::bool::ANY,
    )
        .prop_map(|(zone, all_week, mut week, holiday_days, autumn)| {
            if week.iter().all(Vec::is_empty) {
                week[2] = vec![(600, 660)];
            }
            let base = base_date(autumn);
            Spec {
                zone: ZONES[zone],
                week: (!all_week).then_some(week),
                holidays: holiday_days
                    .into_iter()
                    .map(|d| base.checked_add(d.days()).unwrap())
                    .collect(),
            }
        })
}

/// Windows around every zone's two changes in 2026: March–April and September–November.
fn base_date(autumn: bool) -> Date {
    if autumn { date(2026, 9, 1) } else { date(2026, 3, 1) }
}

#[derive(Clone, Debug)]
struct Case {
    spec: Spec,
    start: Timestamp,
    later: Timestamp,
    minutes: i64,
    pauses: Vec<(Timestamp, Timestamp)>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        spec_strategy(),
        prop::bool::ANY,
        0..21 * 1440i64,
        0i64..=3000,
        0.0f64..2.5,
        prop::collection::vec((0..28 * 1440i64, 1i64..=4000), 0..=3),
    )
        .prop_map(|(spec, autumn, before, delta, weeks, pauses)| {
            // Start up to three weeks before the zone's first clock change in the window (or
            // anywhere in it, for zones without changes).
            let base = base_date(autumn).to_zoned(TimeZone::UTC).unwrap().timestamp();
            let tz = TimeZone::get(spec.zone).unwrap();
            let change = tz.following(base).next().map(|t| t.timestamp());
            let anchor = match change {
                Some(t) if t.duration_since(base) < SignedDuration::from_hours(24 * WINDOW_DAYS) => {
                    t.checked_sub(SignedDuration::from_mins(before)).unwrap()
                }
                _ => base.checked_add(SignedDuration::from_mins(before)).unwrap(),
            };
            // Whole minutes, like every zone's offsets and changes.
            let anchor = Timestamp::from_second(anchor.as_second() / 60 * 60).unwrap();
            let at = |m: i64| anchor.checked_add(SignedDuration::from_mins(m)).unwrap();
            // Up to two and a half weeks of business time: enough to skip whole weeks.
            #[allow(clippy::cast_possible_truncation)]
            let minutes = (spec.weekly_minutes() as f64 * weeks) as i64;
            Case {
                start: at(0),
                later: at(delta),
                minutes,
                pauses: pauses
                    .into_iter()
                    .map(|(from, len)| (at(from - 7 * 1440), at(from - 7 * 1440 + len)))
                    .collect(),
                spec,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn deadline_equals_the_reference_and_is_monotone(case in case_strategy()) {
        let cal = case.spec.calendar();
        let duration = SignedDuration::from_mins(case.minutes);
        let deadline = cal.add_business_with_pauses(case.start, duration, &case.pauses);
        let want = reference_deadline(&case.spec, case.start, case.minutes, &case.pauses);
        prop_assert_eq!(deadline, want, "deadline");

        let later = cal.add_business_with_pauses(case.later, duration, &case.pauses);
        prop_assert!(later >= deadline, "a later start moved the deadline earlier: {} < {}", later, deadline);

        prop_assert_eq!(cal.business_between_with_pauses(case.start, deadline, &case.pauses), duration);
        prop_assert_eq!(
            cal.business_between_with_pauses(case.start, case.later, &case.pauses),
            reference_between(&case.spec, case.start, case.later, &case.pauses),
            "between"
        );
        let explained = cal.explain(case.start, duration, &case.pauses);
        prop_assert_eq!(explained.deadline.timestamp(), deadline);
        let counted: SignedDuration = explained
            .steps
            .iter()
            .map(|s| match s.kind {
                StepKind::Counted { elapsed, .. } => elapsed,
                _ => SignedDuration::ZERO,
            })
            .sum();
        prop_assert_eq!(counted, duration);

        let mut open_now = false;
        reference_walk(&case.spec, case.start, &[], |_, counts| {
            open_now = counts;
            false
        });
        prop_assert_eq!(cal.is_open_at(case.start), open_now);
    }

    #[test]
    fn without_pauses_too(case in case_strategy()) {
        // The no-pause path (and the 24×7 shortcut) against the reference.
        let cal = case.spec.calendar();
        let duration = SignedDuration::from_mins(case.minutes);
        let deadline = cal.add_business(case.start, duration);
        prop_assert_eq!(deadline, reference_deadline(&case.spec, case.start, case.minutes, &[]));
        prop_assert!(cal.add_business(case.later, duration) >= deadline);
        prop_assert_eq!(cal.business_between(case.start, deadline), duration);
    }
}
