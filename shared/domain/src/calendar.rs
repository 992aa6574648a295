//! Business calendars for SLA deadlines: an IANA time zone, weekly working hours (split shifts
//! allowed) or 24×7, and holidays (listed, or imported from iCalendar), with business-time
//! arithmetic on them that is exact to the nanosecond: deadlines, elapsed business time, pauses,
//! and an [`Explanation`] of how a deadline was reached.
//!
//! Pure: jiff, serde and thiserror only. No I/O: an iCalendar file is read by the config loader
//! and handed over as text ([`CalendarConfig::ical`]).
//!
//! # Local times that do not exist or that repeat
//! A shift boundary at local time `L` is *reached* at the first instant the wall clock reads `L`
//! or later (the clock's high-water mark), and a shift counts every instant between its two
//! boundaries. So, in `America/New_York`:
//! - spring forward (02:00 → 03:00): a boundary inside the gap is reached when the clock jumps.
//!   A shift 01:00–05:00 that night lasts 3 h; one 02:30–04:00 opens at 03:00 and lasts 1 h; one
//!   02:15–02:45 is empty.
//! - fall back (02:00 EDT → 01:00 EST): a boundary inside the repeated hour is reached at its first
//!   occurrence, and the repeated hour belongs to whichever shift was open when the clock went
//!   back. A shift 01:00–05:00 that night lasts 5 h; one 00:00–01:30 ends at 01:30 EDT; one
//!   01:30–03:00 lasts 2 h 30 min.
//!
//! Every shift therefore has its real elapsed length, intervals never overlap, and a deadline
//! never moves backwards when its start moves forwards. A shift belongs to the local date (and
//! weekday) it is listed under; a holiday removes that date's shifts. Shifts cannot cross
//! midnight: write 22:00–24:00 on one day and 00:00–06:00 on the next (they join seamlessly).
//!
//! Arithmetic saturates: a deadline beyond jiff's range (year 9999) is `Timestamp::MAX`.

mod config;
mod explain;
mod ical;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod property_tests;

pub use config::{CalendarConfig, CalendarError, CalendarErrorKind, HoursConfig};
pub use explain::{ClosedReason, Explanation, Step, StepKind};
pub use ical::parse_ical_holidays;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

const DAY_SECS: u32 = 86_400;

/// Weekday keys, Monday first, as used in configuration keys (`hours.mon`).
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One working period of a day, `[start, end)` in local wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shift {
    /// Seconds after local midnight.
    start: u32,
    /// Seconds after local midnight; up to 86 400 (24:00).
    end: u32,
}

impl Shift {
    /// The whole day, 00:00–24:00.
    pub const FULL_DAY: Shift = Shift {
        start: 0,
        end: DAY_SECS,
    };

    /// A shift from `start` to `end` seconds after local midnight (`end` may be 86 400, i.e.
    /// 24:00); `None` unless `start < end <= 86 400`.
    pub fn new(start: u32, end: u32) -> Option<Shift> {
        (start < end && end <= DAY_SECS).then_some(Shift { start, end })
    }
    pub fn start_secs(self) -> u32 {
        self.start
    }
    pub fn end_secs(self) -> u32 {
        self.end
    }
    /// Its nominal length (wall-clock; the real length differs on a day the clocks change).
    pub fn nominal(self) -> SignedDuration {
        SignedDuration::from_secs(i64::from(self.end - self.start))
    }
    fn overlaps(self, other: Shift) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl FromStr for Shift {
    type Err = CalendarErrorKind;
    /// `HH:MM-HH:MM` (seconds optional: `HH:MM:SS`); the end may be `24:00`.
    fn from_str(text: &str) -> Result<Shift, CalendarErrorKind> {
        let invalid = || CalendarErrorKind::InvalidShift(text.to_owned());
        let (start, end) = text.split_once('-').ok_or_else(invalid)?;
        let start = parse_clock(start.trim())
            .filter(|s| *s < DAY_SECS)
            .ok_or_else(invalid)?;
        let end = parse_clock(end.trim()).ok_or_else(invalid)?;
        Shift::new(start, end).ok_or(CalendarErrorKind::EmptyShift)
    }
}

/// `HH:MM` or `HH:MM:SS`, 00:00 to 24:00 inclusive, as seconds after midnight.
fn parse_clock(text: &str) -> Option<u32> {
    let fields: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&fields.len()) {
        return None;
    }
    let mut secs = 0;
    for (field, (max, unit)) in fields.iter().zip([(24, 3600), (59, 60), (59, 1)]) {
        if field.len() != 2 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value = field.parse::<u32>().ok().filter(|v| *v <= max)?;
        secs += value * unit;
    }
    (secs <= DAY_SECS).then_some(secs)
}

fn write_clock(f: &mut fmt::Formatter<'_>, secs: u32) -> fmt::Result {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 {
        write!(f, "{h:02}:{m:02}")
    } else {
        write!(f, "{h:02}:{m:02}:{s:02}")
    }
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clock(f, self.start)?;
        f.write_str("-")?;
        write_clock(f, self.end)
    }
}

/// A business calendar: when the SLA clock runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    tz: TimeZone,
    /// Shifts per weekday, Monday first; sorted and disjoint.
    week: [Vec<Shift>; 7],
    all_week: bool,
    holidays: BTreeSet<Date>,
    /// Nominal business seconds per weekday, and in a whole week.
    day_secs: [i64; 7],
    week_secs: i64,
}

impl Calendar {
    /// A calendar from shifts per weekday (Monday first, any order). Errors name the offending
    /// key as in configuration (`hours.mon[1]`, `hours`).
    pub fn new(
        time_zone: TimeZone,
        week: [Vec<Shift>; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Calendar, CalendarError> {
        let mut sorted: [Vec<Shift>; 7] = Default::default();
        for (day, shifts) in week.iter().enumerate() {
            sorted[day] = check_day(&format!("hours.{}", WEEKDAY_KEYS[day]), shifts)?;
        }
        Calendar::from_checked(time_zone, sorted, holidays.into_iter().collect())
    }

    /// Open around the clock, every day (holidays still close whole days, if any are added).
    pub fn always_open(time_zone: TimeZone) -> Calendar {
        let week: [Vec<Shift>; 7] = std::array::from_fn(|_| vec![Shift::FULL_DAY]);
        let day_secs = [i64::from(DAY_SECS); 7];
        Calendar {
            tz: time_zone,
            week,
            all_week: true,
            holidays: BTreeSet::new(),
            day_secs,
            week_secs: day_secs.iter().sum(),
        }
    }

    /// The same calendar with these dates closed as well.
    pub fn with_holidays(mut self, holidays: impl IntoIterator<Item = Date>) -> Calendar {
        self.holidays.extend(holidays);
        self
    }

    fn from_checked(tz: TimeZone, week: [Vec<Shift>; 7], holidays: BTreeSet<Date>) -> Result<Calendar, CalendarError> {
        let day_secs: [i64; 7] =
            std::array::from_fn(|d| week[d].iter().map(|s| i64::from(s.end - s.start)).sum::<i64>());
        let week_secs = day_secs.iter().sum();
        let all_week = day_secs.iter().all(|d| *d == i64::from(DAY_SECS));
        if week_secs == 0 {
            return Err(CalendarError::new("hours", CalendarErrorKind::NoWorkingHours));
        }
        Ok(Calendar {
            tz,
            week,
            all_week,
            holidays,
            day_secs,
            week_secs,
        })
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
    /// The zone's IANA name, or a fixed offset's name.
    pub fn time_zone_name(&self) -> String {
        self.tz
            .iana_name()
            .map_or_else(|| format!("{:?}", self.tz), str::to_owned)
    }
    /// Whether the calendar is open around the clock (except for holidays).
    pub fn is_always_open(&self) -> bool {
        self.all_week
    }
    /// The shifts of a weekday, sorted.
    pub fn shifts(&self, weekday: Weekday) -> &[Shift] {
        &self.week[weekday_index(weekday)]
    }
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }
    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date)
    }

    /// Whether business time runs at `at`.
    pub fn is_open_at(&self, at: Timestamp) -> bool {
        let tick = SignedDuration::from_nanos(1);
        let walked = self.walk(at, tick, Timestamp::MAX, &[], &mut Quiet);
        at.checked_add(tick).is_ok_and(|t| t == walked.end)
    }

    /// The deadline: the first instant at which `duration` of business time has elapsed since
    /// `start`. A start outside business hours counts from the next opening; a zero (or
    /// negative) duration is due at `start`.
    pub fn add_business(&self, start: Timestamp, duration: SignedDuration) -> Timestamp {
        self.add_business_with_pauses(start, duration, &[])
    }

    /// As [`Calendar::add_business`], with the clock stopped during each `[from, to)` pause.
    /// Pauses may overlap, come in any order, or cover closed time; empty or inverted ones are
    /// ignored.
    pub fn add_business_with_pauses(
        &self,
        start: Timestamp,
        duration: SignedDuration,
        pauses: &[(Timestamp, Timestamp)],
    ) -> Timestamp {
        if !duration.is_positive() {
            return start;
        }
        if self.all_week && self.holidays.is_empty() && pauses.iter().all(|(a, b)| a >= b) {
            return start.checked_add(duration).unwrap_or(Timestamp::MAX);
        }
        let pauses = normalize(pauses);
        self.walk(start, duration, Timestamp::MAX, &pauses, &mut Quiet).end
    }

    /// Business time between `a` and `b` (negative when `b` is before `a`).
    pub fn business_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        self.business_between_with_pauses(a, b, &[])
    }

    /// Business time between `a` and `b` outside the pauses (negative when `b` is before `a`).
    pub fn business_between_with_pauses(
        &self,
        a: Timestamp,
        b: Timestamp,
        pauses: &[(Timestamp, Timestamp)],
    ) -> SignedDuration {
        if b < a {
            return -self.business_between_with_pauses(b, a, pauses);
        }
        if self.all_week && self.holidays.is_empty() && pauses.iter().all(|(p, q)| p >= q) {
            return b.duration_since(a);
        }
        let pauses = normalize(pauses);
        self.walk(a, SignedDuration::MAX, b, &pauses, &mut Quiet).counted
    }

    /// The deadline as [`Calendar::add_business_with_pauses`] computes it, with every interval
    /// that counted and every stretch that did not (closed hours, holidays, pauses) and why.
    pub fn explain(
        &self,
        start: Timestamp,
        duration: SignedDuration,
        pauses: &[(Timestamp, Timestamp)],
    ) -> Explanation {
        explain::explain(self, start, duration, pauses)
    }

    /// The instant at which local time `secs` (after midnight; 86 400 = next midnight) of `date`
    /// is reached: the first instant the wall clock reads that time or later.
    fn reach(&self, date: Date, secs: u32) -> Option<Timestamp> {
        let (date, secs) = if secs >= DAY_SECS {
            (date.tomorrow().ok()?, secs - DAY_SECS)
        } else {
            (date, secs)
        };
        let hour = i8::try_from(secs / 3600).ok()?;
        let minute = i8::try_from(secs / 60 % 60).ok()?;
        let second = i8::try_from(secs % 60).ok()?;
        let dt = date.to_datetime(Time::new(hour, minute, second, 0).ok()?);
        first_reading(&self.tz, dt)
    }

    fn local_date(&self, at: Timestamp) -> Date {
        self.tz.to_datetime(at).date()
    }

    /// Walks business time forward from `start`, subtracting `pauses` (sorted and disjoint),
    /// until `budget` of business time has elapsed or `until` is reached, whichever comes first.
    /// Whole weeks are skipped at once when nothing in them needs a closer look.
    fn walk<T: Trace>(
        &self,
        start: Timestamp,
        budget: SignedDuration,
        until: Timestamp,
        pauses: &[(Timestamp, Timestamp)],
        trace: &mut T,
    ) -> Walked {
        let mut counted = SignedDuration::ZERO;
        let mut remaining = budget;
        if !remaining.is_positive() || until <= start {
            return Walked {
                end: start.min(until),
                counted,
            };
        }
        // Business time never outruns real time: a budget past the end of time cannot be met.
        if until == Timestamp::MAX && budget > Timestamp::MAX.duration_since(start) {
            return Walked::overflow(counted);
        }
        let mut next_pause = 0usize;
        let mut transitions = Transitions::new(&self.tz);
        // Earlier dates' intervals all end by the time the clock first reads this date's 00:00,
        // which is no later than `start` (even when `start` is in a repeated hour).
        let mut date = self.local_date(start);
        loop {
            if !trace.detailed() {
                let window = Window {
                    start,
                    until,
                    remaining,
                };
                if let Some(week) = self.whole_week(date, window, pauses, &mut next_pause, &mut transitions) {
                    remaining -= week;
                    counted += week;
                    match date.checked_add(7.days()) {
                        Ok(d) => date = d,
                        Err(_) => return Walked::overflow(counted),
                    }
                    continue;
                }
            }
            if !self.holidays.contains(&date) {
                for shift in &self.week[weekday_index(date.weekday())] {
                    let (Some(open), Some(close)) = (self.reach(date, shift.start), self.reach(date, shift.end)) else {
                        return Walked::overflow(counted);
                    };
                    let from = open.max(start);
                    if from >= until {
                        return Walked { end: until, counted };
                    }
                    let to = close.min(until);
                    let mut at = from;
                    while at < to {
                        while pauses.get(next_pause).is_some_and(|p| p.1 <= at) {
                            next_pause += 1;
                        }
                        let (piece_end, paused) = match pauses.get(next_pause) {
                            Some(&(p_from, p_to)) if p_from <= at => (p_to.min(to), true),
                            Some(&(p_from, _)) if p_from < to => (p_from, false),
                            _ => (to, false),
                        };
                        if !paused {
                            let len = piece_end.duration_since(at);
                            if remaining <= len {
                                let end = at.checked_add(remaining).unwrap_or(piece_end);
                                trace.piece(at, end, false);
                                return Walked {
                                    end,
                                    counted: counted + remaining,
                                };
                            }
                            remaining -= len;
                            counted += len;
                        }
                        trace.piece(at, piece_end, paused);
                        at = piece_end;
                    }
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => return Walked::overflow(counted),
            }
        }
    }

    /// The business time of the seven local days from `date`, when they can be counted whole
    /// without looking inside: after `start`, before `until`, shorter than `remaining`, with no
    /// pause and no offset change in them (so every shift has its nominal length).
    fn whole_week(
        &self,
        date: Date,
        window: Window,
        pauses: &[(Timestamp, Timestamp)],
        next_pause: &mut usize,
        transitions: &mut Transitions<'_>,
    ) -> Option<SignedDuration> {
        let end_date = date.checked_add(7.days()).ok()?;
        let closed: i64 = self
            .holidays
            .range(date..end_date)
            .map(|h| self.day_secs[weekday_index(h.weekday())])
            .sum();
        let len = SignedDuration::from_secs(self.week_secs - closed);
        if window.remaining <= len {
            return None;
        }
        let from = self.reach(date, 0)?;
        if from < window.start {
            return None;
        }
        let to = self.reach(end_date, 0)?;
        if to > window.until {
            return None;
        }
        while pauses.get(*next_pause).is_some_and(|p| p.1 <= from) {
            *next_pause += 1;
        }
        if pauses.get(*next_pause).is_some_and(|p| p.0 < to) {
            return None;
        }
        if transitions.first_at_or_after(from).is_some_and(|t| t <= to) {
            return None;
        }
        Some(len)
    }
}

#[derive(Clone, Copy)]
struct Window {
    start: Timestamp,
    until: Timestamp,
    remaining: SignedDuration,
}

/// Where a walk stopped, and how much business time it counted.
struct Walked {
    end: Timestamp,
    counted: SignedDuration,
}

impl Walked {
    fn overflow(counted: SignedDuration) -> Walked {
        Walked {
            end: Timestamp::MAX,
            counted,
        }
    }
}

/// What a walk reports as it goes: nothing for the arithmetic, every piece for an explanation.
trait Trace {
    /// Whether every piece must be visited (no skipping whole weeks).
    fn detailed(&self) -> bool;
    /// `[from, to)` of business time, counted or (when `paused`) not.
    fn piece(&mut self, from: Timestamp, to: Timestamp, paused: bool);
}

struct Quiet;

impl Trace for Quiet {
    fn detailed(&self) -> bool {
        false
    }
    fn piece(&mut self, _: Timestamp, _: Timestamp, _: bool) {}
}

/// The zone's next offset change, remembered across the weeks of one walk.
struct Transitions<'a> {
    tz: &'a TimeZone,
    /// `next` is the first transition at or after `from`.
    cached: Option<(Timestamp, Option<Timestamp>)>,
}

impl<'a> Transitions<'a> {
    fn new(tz: &'a TimeZone) -> Self {
        Transitions { tz, cached: None }
    }
    fn first_at_or_after(&mut self, at: Timestamp) -> Option<Timestamp> {
        if let Some((from, next)) = self.cached
            && from <= at
            && next.is_none_or(|t| t >= at)
        {
            return next;
        }
        // `following` yields transitions strictly after its argument.
        let probe = at.checked_sub(SignedDuration::from_nanos(1)).unwrap_or(at);
        let next = self.tz.following(probe).next().map(|t| t.timestamp());
        self.cached = Some((at, next));
        next
    }
}

/// The first instant at which the wall clock of `tz` reads `dt` or later.
fn first_reading(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
        // The first of the two instants that read `dt`.
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
        // `dt` is skipped: the clock first reads something later at the transition, which lies
        // after `dt` read with the later offset.
        AmbiguousOffset::Gap { after, .. } => {
            let probe = after.to_timestamp(dt).ok()?;
            tz.following(probe).next().map(|t| t.timestamp())
        }
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    usize::from(weekday.to_monday_zero_offset().unsigned_abs())
}

/// Sorted, disjoint, non-empty pauses.
fn normalize(pauses: &[(Timestamp, Timestamp)]) -> Vec<(Timestamp, Timestamp)> {
    let mut sorted: Vec<_> = pauses.iter().copied().filter(|(a, b)| a < b).collect();
    sorted.sort_unstable();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(sorted.len());
    for (a, b) in sorted {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// One day's shifts sorted, or an error naming the shift (`{key}[i]`) that overlaps an earlier one.
fn check_day(key: &str, shifts: &[Shift]) -> Result<Vec<Shift>, CalendarError> {
    for (i, shift) in shifts.iter().enumerate() {
        if let Some(earlier) = shifts[..i].iter().find(|e| e.overlaps(*shift)) {
            return Err(CalendarError::new(
                format!("{key}[{i}]"),
                CalendarErrorKind::OverlappingShifts(format!("{shift} overlaps {earlier}")),
            ));
        }
    }
    let mut sorted = shifts.to_vec();
    sorted.sort_unstable();
    Ok(sorted)
}
