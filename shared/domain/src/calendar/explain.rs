//! Why a deadline is where it is: the business intervals that counted, and the closed hours,
//! holidays and pauses that did not, in local time. Backs `care sla explain`.

use super::{Calendar, Trace, normalize, weekday_index};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::Serialize;
use std::fmt;

/// Pieces of business time listed at most; past this the deadline is still exact but the
/// remaining steps are summarized (a target of years would otherwise list thousands of days).
const MAX_PIECES: usize = 1_000;

/// A deadline and the steps that led to it, from the start to the deadline without gaps.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub time_zone: String,
    pub start: Zoned,
    /// Business time to elapse.
    pub target: SignedDuration,
    /// The pauses as used: sorted, merged, empty ones dropped.
    pub pauses: Vec<(Zoned, Zoned)>,
    pub steps: Vec<Step>,
    /// Steps past [`MAX_PIECES`] pieces of business time were not listed.
    pub truncated: bool,
    pub deadline: Zoned,
}

/// `[from, to)` of the timeline and what it did to the clock.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub from: Zoned,
    pub to: Zoned,
    pub kind: StepKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StepKind {
    /// Business time that counted; `total` is the business time counted so far.
    Counted {
        elapsed: SignedDuration,
        total: SignedDuration,
    },
    /// Business time inside a pause: not counted.
    Paused { elapsed: SignedDuration },
    /// Outside business hours.
    Closed { reason: ClosedReason },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    /// The start falls before the day's (next) opening.
    BeforeOpening,
    /// Between two shifts of one day.
    BetweenShifts,
    /// From one day's close to the next day's opening.
    Overnight,
    /// Whole days off on the way: holidays, and weekdays without hours.
    Days { holidays: Vec<Date>, closed: Vec<Date> },
}

pub(super) fn explain(
    calendar: &Calendar,
    start: Timestamp,
    duration: SignedDuration,
    pauses: &[(Timestamp, Timestamp)],
) -> Explanation {
    let target = duration.max(SignedDuration::ZERO);
    let pauses = normalize(pauses);
    let mut recorder = Recorder::default();
    let end = calendar.walk(start, target, Timestamp::MAX, &pauses, &mut recorder).end;
    let zoned = |t: Timestamp| t.to_zoned(calendar.tz.clone());

    let mut steps = Vec::with_capacity(recorder.pieces.len() * 2);
    let mut cursor = start;
    let mut total = SignedDuration::ZERO;
    for (from, to, paused) in recorder.pieces {
        if from > cursor {
            let reason = closed_reason(calendar, cursor, from, cursor == start);
            steps.push(Step {
                from: zoned(cursor),
                to: zoned(from),
                kind: StepKind::Closed { reason },
            });
        }
        let elapsed = to.duration_since(from);
        let kind = if paused {
            StepKind::Paused { elapsed }
        } else {
            total += elapsed;
            StepKind::Counted { elapsed, total }
        };
        steps.push(Step {
            from: zoned(from),
            to: zoned(to),
            kind,
        });
        cursor = to;
    }
    Explanation {
        time_zone: calendar.time_zone_name(),
        start: zoned(start),
        target,
        pauses: pauses.iter().map(|&(a, b)| (zoned(a), zoned(b))).collect(),
        steps,
        truncated: recorder.full,
        deadline: zoned(end),
    }
}

/// Pieces of business time in order, adjacent ones of the same kind joined.
#[derive(Default)]
struct Recorder {
    pieces: Vec<(Timestamp, Timestamp, bool)>,
    full: bool,
}

impl Trace for Recorder {
    fn detailed(&self) -> bool {
        !self.full
    }
    fn piece(&mut self, from: Timestamp, to: Timestamp, paused: bool) {
        if self.full {
            return;
        }
        if let Some(last) = self.pieces.last_mut()
            && last.1 == from
            && last.2 == paused
        {
            last.1 = to;
            return;
        }
        if self.pieces.len() >= MAX_PIECES {
            self.full = true;
            return;
        }
        self.pieces.push((from, to, paused));
    }
}

fn closed_reason(calendar: &Calendar, from: Timestamp, to: Timestamp, at_start: bool) -> ClosedReason {
    let first = calendar.local_date(from);
    let last = calendar.local_date(to);
    let (mut holidays, mut closed) = (Vec::new(), Vec::new());
    let mut day = first;
    while day <= last {
        if calendar.holidays.contains(&day) {
            holidays.push(day);
        } else if calendar.week[weekday_index(day.weekday())].is_empty() {
            closed.push(day);
        }
        match day.checked_add(1.day()) {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    if !holidays.is_empty() || !closed.is_empty() {
        ClosedReason::Days { holidays, closed }
    } else if first != last {
        ClosedReason::Overnight
    } else if at_start {
        ClosedReason::BeforeOpening
    } else {
        ClosedReason::BetweenShifts
    }
}

/// `52h 30m`: business time in hours (a business day has no fixed length).
pub(super) fn human(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let nanos = d.subsec_nanos();
    let mut parts = Vec::new();
    if h != 0 {
        parts.push(format!("{h}h"));
    }
    if m != 0 {
        parts.push(format!("{m}m"));
    }
    if nanos != 0 {
        let frac = format!("{:09}", nanos.unsigned_abs());
        parts.push(format!("{s}.{}s", frac.trim_end_matches('0')));
    } else if s != 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

fn stamp(z: &Zoned) -> String {
    z.strftime("%a %Y-%m-%d %H:%M:%S %Z").to_string()
}

fn range(from: &Zoned, to: &Zoned) -> String {
    if from.date() == to.date() {
        format!("{} → {}", stamp(from), to.strftime("%H:%M:%S %Z"))
    } else {
        format!("{} → {}", stamp(from), stamp(to))
    }
}

fn list(dates: &[Date]) -> String {
    let shown: Vec<String> = dates.iter().map(|d| d.strftime("%a %Y-%m-%d").to_string()).collect();
    shown.join(", ")
}

impl fmt::Display for ClosedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedReason::BeforeOpening => f.write_str("before opening"),
            ClosedReason::BetweenShifts => f.write_str("between shifts"),
            ClosedReason::Overnight => f.write_str("overnight"),
            ClosedReason::Days { holidays, closed } => {
                let mut parts = Vec::new();
                match holidays.len() {
                    0 => {}
                    1 => parts.push(format!("holiday {}", list(holidays))),
                    _ => parts.push(format!("holidays {}", list(holidays))),
                }
                if !closed.is_empty() {
                    parts.push(format!("no hours {}", list(closed)));
                }
                f.write_str(&parts.join("; "))
            }
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "calendar  {}", self.time_zone)?;
        writeln!(f, "start     {}", stamp(&self.start))?;
        writeln!(f, "target    {} of business time", human(self.target))?;
        for (from, to) in &self.pauses {
            writeln!(f, "pause     {}", range(from, to))?;
        }
        for step in &self.steps {
            let span = range(&step.from, &step.to);
            match &step.kind {
                StepKind::Counted { elapsed, total } => {
                    let clocks = if step.from.offset() == step.to.offset() {
                        ""
                    } else {
                        " (clocks changed)"
                    };
                    let elapsed = human(*elapsed);
                    writeln!(f, "counted {elapsed:>9}  {span:<57}  total {}{clocks}", human(*total))?;
                }
                StepKind::Paused { elapsed } => {
                    writeln!(f, "paused  {:>9}  {span:<57}  not counted", human(*elapsed))?;
                }
                StepKind::Closed { reason } => writeln!(f, "closed  {:>9}  {span:<57}  {reason}", "")?,
            }
        }
        if self.truncated {
            writeln!(f, "…         (further steps not listed)")?;
        }
        write!(f, "deadline  {}", stamp(&self.deadline))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::calendar::{CalendarConfig, HoursConfig};

    fn berlin() -> Calendar {
        let hours = [
            ("mon", vec!["09:00-12:30", "13:30-18:00"]),
            ("tue", vec!["09:00-12:30", "13:30-18:00"]),
            ("wed", vec!["09:00-12:30", "13:30-18:00"]),
            ("thu", vec!["09:00-12:30", "13:30-18:00"]),
            ("fri", vec!["09:00-15:00"]),
        ];
        Calendar::from_config(&CalendarConfig {
            time_zone: "Europe/Berlin".into(),
            hours: HoursConfig::Weekly(
                hours
                    .into_iter()
                    .map(|(d, s)| (d.to_string(), s.into_iter().map(String::from).collect()))
                    .collect(),
            ),
            holidays: vec!["2026-12-24".into(), "2026-12-25".into()],
            ical: None,
        })
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse::<Zoned>().unwrap().timestamp()
    }

    #[test]
    fn christmas_explained() {
        let cal = berlin();
        let start = at("2026-12-23T16:00[Europe/Berlin]");
        let pause = (
            at("2026-12-28T10:00[Europe/Berlin]"),
            at("2026-12-28T11:00[Europe/Berlin]"),
        );
        let ex = cal.explain(start, SignedDuration::from_hours(5), &[pause]);
        assert_eq!(
            ex.deadline.timestamp(),
            cal.add_business_with_pauses(start, SignedDuration::from_hours(5), &[pause])
        );
        let want = "\
calendar  Europe/Berlin
start     Wed 2026-12-23 16:00:00 CET
target    5h of business time
pause     Mon 2026-12-28 10:00:00 CET → 11:00:00 CET
counted        2h  Wed 2026-12-23 16:00:00 CET → 18:00:00 CET                 total 2h
closed             Wed 2026-12-23 18:00:00 CET → Mon 2026-12-28 09:00:00 CET  holidays Thu 2026-12-24, Fri 2026-12-25; no hours Sat 2026-12-26, Sun 2026-12-27
counted        1h  Mon 2026-12-28 09:00:00 CET → 10:00:00 CET                 total 3h
paused         1h  Mon 2026-12-28 10:00:00 CET → 11:00:00 CET                 not counted
counted    1h 30m  Mon 2026-12-28 11:00:00 CET → 12:30:00 CET                 total 4h 30m
closed             Mon 2026-12-28 12:30:00 CET → 13:30:00 CET                 between shifts
counted       30m  Mon 2026-12-28 13:30:00 CET → 14:00:00 CET                 total 5h
deadline  Mon 2026-12-28 14:00:00 CET";
        assert_eq!(ex.to_string(), want);
    }

    #[test]
    fn before_opening_overnight_and_clock_changes() {
        let cal = berlin();
        // Friday 2026-10-23 07:00: before opening; closes 15:00; the weekend has the fall-back.
        let start = at("2026-10-23T07:00[Europe/Berlin]");
        let ex = cal.explain(start, SignedDuration::from_hours(7), &[]);
        let kinds: Vec<String> = ex
            .steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::Counted { elapsed, .. } => format!("counted {}", human(*elapsed)),
                StepKind::Paused { elapsed } => format!("paused {}", human(*elapsed)),
                StepKind::Closed { reason } => format!("closed {reason}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "closed before opening",
                "counted 6h",
                "closed no hours Sat 2026-10-24, Sun 2026-10-25",
                "counted 1h"
            ]
        );
        assert_eq!(ex.deadline.to_string(), "2026-10-26T10:00:00+01:00[Europe/Berlin]");

        // A day that spans two offsets says so.
        let night = Calendar::always_open(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
            .with_holidays([jiff::civil::date(2026, 10, 24)]);
        let ex = night.explain(
            at("2026-10-23T23:00[Europe/Berlin]"),
            SignedDuration::from_hours(4),
            &[],
        );
        let text = ex.to_string();
        assert!(
            text.contains(
                "closed             Sat 2026-10-24 00:00:00 CEST → Sun 2026-10-25 00:00:00 CEST  holiday Sat 2026-10-24"
            ),
            "{text}"
        );
        assert!(text.contains("  total 4h (clocks changed)"), "{text}");
        assert_eq!(ex.deadline.to_string(), "2026-10-25T02:00:00+01:00[Europe/Berlin]");
    }

    #[test]
    fn zero_target_and_human_durations() {
        let cal = berlin();
        let start = at("2026-12-26T10:00[Europe/Berlin]");
        let ex = cal.explain(start, SignedDuration::ZERO, &[]);
        assert!(ex.steps.is_empty());
        assert_eq!(ex.deadline.timestamp(), start);
        assert_eq!(human(SignedDuration::ZERO), "0s");
        assert_eq!(human(SignedDuration::from_secs(52 * 3600 + 30 * 60)), "52h 30m");
        assert_eq!(human(SignedDuration::from_millis(1500)), "1.5s");
        assert_eq!(human(SignedDuration::from_secs(3601)), "1h 1s");
    }

    #[test]
    fn long_targets_are_summarized_but_exact() {
        let cal = berlin();
        let start = at("2026-01-05T09:00[Europe/Berlin]");
        let years = SignedDuration::from_hours(40 * 52 * 5);
        let ex = cal.explain(start, years, &[]);
        assert!(ex.truncated);
        assert_eq!(ex.deadline.timestamp(), cal.add_business(start, years));
        assert!(ex.to_string().contains("(further steps not listed)"));
    }

    #[test]
    fn serializes_for_the_api() {
        let cal = berlin();
        let ex = cal.explain(
            at("2026-12-23T17:00[Europe/Berlin]"),
            SignedDuration::from_hours(2),
            &[],
        );
        let json = serde_json::to_value(&ex).unwrap();
        assert_eq!(json["steps"][0]["kind"]["kind"], "counted");
        assert_eq!(json["steps"][1]["kind"]["reason"]["days"]["holidays"][0], "2026-12-24");
    }
}
