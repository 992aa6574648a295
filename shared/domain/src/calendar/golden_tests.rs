//! Golden tests of the business-time arithmetic: each expected instant worked out by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use jiff::Zoned;

const WEEKDAYS_9_18: &[(&str, &[&str])] = &[
    ("mon", &["09:00-18:00"]),
    ("tue", &["09:00-18:00"]),
    ("wed", &["09:00-18:00"]),
    ("thu", &["09:00-18:00"]),
    ("fri", &["09:00-18:00"]),
];

fn cal(tz: &str, hours: &[(&str, &[&str])], holidays: &[&str]) -> Calendar {
    Calendar::from_config(&CalendarConfig {
        time_zone: tz.into(),
        hours: HoursConfig::Weekly(
            hours
                .iter()
                .map(|(d, s)| (d.to_string(), s.iter().map(|x| x.to_string()).collect()))
                .collect(),
        ),
        holidays: holidays.iter().map(|h| h.to_string()).collect(),
        ical: None,
    })
    .unwrap()
}

fn always(tz: &str, holidays: &[&str]) -> Calendar {
    Calendar::from_config(&CalendarConfig {
        time_zone: tz.into(),
        hours: HoursConfig::AllWeek,
        holidays: holidays.iter().map(|h| h.to_string()).collect(),
        ical: None,
    })
    .unwrap()
}

/// An instant from an RFC 9557 string; an offset picks one of a repeated hour's two instants.
fn at(s: &str) -> Timestamp {
    s.parse::<Zoned>().unwrap().timestamp()
}

fn h(hours: i64) -> SignedDuration {
    SignedDuration::from_hours(hours)
}

fn m(minutes: i64) -> SignedDuration {
    SignedDuration::from_mins(minutes)
}

/// Checks a deadline, that it is consistent with `business_between` and `explain`, and prints
/// the instant in the zone on failure.
fn check(calendar: &Calendar, start: &str, duration: SignedDuration, pauses: &[(&str, &str)], want: &str) {
    let pauses: Vec<(Timestamp, Timestamp)> = pauses.iter().map(|(a, b)| (at(a), at(b))).collect();
    let start = at(start);
    let got = calendar.add_business_with_pauses(start, duration, &pauses);
    let shown = got.to_zoned(calendar.time_zone().clone());
    assert_eq!(got, at(want), "start {start}, {duration:?}: got {shown}, want {want}");
    assert_eq!(
        calendar.business_between_with_pauses(start, got, &pauses),
        duration,
        "{want}"
    );
    assert_eq!(
        calendar.explain(start, duration, &pauses).deadline.timestamp(),
        got,
        "{want}"
    );
}

#[test]
fn new_york_spring_forward() {
    // 2026-03-08: 02:00 EST becomes 03:00 EDT.
    let night = cal("America/New_York", &[("sun", &["01:00-05:00"])], &[]);
    let day = (
        at("2026-03-08T00:00[America/New_York]"),
        at("2026-03-08T12:00[America/New_York]"),
    );
    assert_eq!(night.business_between(day.0, day.1), h(3));
    check(
        &night,
        "2026-03-08T00:00[America/New_York]",
        h(2),
        &[],
        "2026-03-08T04:00-04:00[America/New_York]",
    );
    check(
        &night,
        "2026-03-08T00:00[America/New_York]",
        h(3),
        &[],
        "2026-03-08T05:00-04:00[America/New_York]",
    );
    // Starting at 03:30 EDT, 90 minutes remain until the shift ends at 05:00 EDT.
    check(
        &night,
        "2026-03-08T03:30-04:00[America/New_York]",
        m(90),
        &[],
        "2026-03-08T05:00-04:00[America/New_York]",
    );

    // A shift that starts inside the gap opens when the clock jumps.
    let in_gap = cal("America/New_York", &[("sun", &["02:30-04:00"])], &[]);
    check(
        &in_gap,
        "2026-03-08T00:00[America/New_York]",
        m(30),
        &[],
        "2026-03-08T03:30-04:00[America/New_York]",
    );
    assert_eq!(in_gap.business_between(day.0, day.1), h(1));
    // One wholly inside the gap is empty that Sunday, and the next Sunday counts instead.
    let lost = cal("America/New_York", &[("sun", &["02:15-02:45"])], &[]);
    assert_eq!(lost.business_between(day.0, day.1), SignedDuration::ZERO);
    check(
        &lost,
        "2026-03-08T00:00[America/New_York]",
        m(30),
        &[],
        "2026-03-15T02:45-04:00[America/New_York]",
    );
}

#[test]
fn new_york_fall_back() {
    // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00–02:00 happens twice.
    let night = cal("America/New_York", &[("sun", &["01:00-05:00"])], &[]);
    let day = (
        at("2026-11-01T00:00[America/New_York]"),
        at("2026-11-01T12:00[America/New_York]"),
    );
    assert_eq!(night.business_between(day.0, day.1), h(5));
    check(
        &night,
        "2026-11-01T00:00[America/New_York]",
        m(270),
        &[],
        "2026-11-01T04:30-05:00[America/New_York]",
    );
    // 90 minutes after 01:00 EDT is the second 01:30, in EST.
    check(
        &night,
        "2026-11-01T00:00[America/New_York]",
        m(90),
        &[],
        "2026-11-01T01:30-05:00[America/New_York]",
    );
    // A start in the repeated hour, either occurrence.
    check(
        &night,
        "2026-11-01T01:30-04:00[America/New_York]",
        h(1),
        &[],
        "2026-11-01T01:30-05:00[America/New_York]",
    );
    check(
        &night,
        "2026-11-01T01:30-05:00[America/New_York]",
        h(1),
        &[],
        "2026-11-01T02:30-05:00[America/New_York]",
    );

    // A boundary in the repeated hour is reached at its first occurrence; the repeated hour
    // belongs to the shift that was open when the clock went back.
    let early = cal("America/New_York", &[("sun", &["00:00-01:30"])], &[]);
    assert_eq!(early.business_between(day.0, day.1), m(90));
    check(
        &early,
        "2026-11-01T00:00[America/New_York]",
        m(90),
        &[],
        "2026-11-01T01:30-04:00[America/New_York]",
    );
    let late = cal("America/New_York", &[("sun", &["01:30-03:00"])], &[]);
    assert_eq!(late.business_between(day.0, day.1), m(150));
    check(
        &late,
        "2026-11-01T00:00[America/New_York]",
        m(150),
        &[],
        "2026-11-01T03:00-05:00[America/New_York]",
    );
    let both = cal("America/New_York", &[("sun", &["00:00-01:30", "01:30-03:00"])], &[]);
    assert_eq!(both.business_between(day.0, day.1), h(4));
}

#[test]
fn berlin_office_across_both_changes() {
    let office = cal("Europe/Berlin", WEEKDAYS_9_18, &[]);
    // Clocks spring forward on Sunday 2026-03-29 and fall back on Sunday 2026-10-25: outside
    // hours, so Friday's last hour and Monday's first are simply joined.
    check(
        &office,
        "2026-03-27T17:00[Europe/Berlin]",
        h(2),
        &[],
        "2026-03-30T10:00+02:00[Europe/Berlin]",
    );
    check(
        &office,
        "2026-10-23T17:00[Europe/Berlin]",
        h(2),
        &[],
        "2026-10-26T10:00+01:00[Europe/Berlin]",
    );
    // 30 business days across the spring change (the weeks are skipped whole, but not the one
    // with the change): Monday 2 March to Friday 10 April.
    check(
        &office,
        "2026-03-02T09:00[Europe/Berlin]",
        h(30 * 9),
        &[],
        "2026-04-10T18:00+02:00[Europe/Berlin]",
    );

    let night = cal("Europe/Berlin", &[("sun", &["01:00-05:00"])], &[]);
    let spring = (
        at("2026-03-29T00:00[Europe/Berlin]"),
        at("2026-03-29T12:00[Europe/Berlin]"),
    );
    assert_eq!(night.business_between(spring.0, spring.1), h(3));
    let fall = (
        at("2026-10-25T00:00[Europe/Berlin]"),
        at("2026-10-25T12:00[Europe/Berlin]"),
    );
    assert_eq!(night.business_between(fall.0, fall.1), h(5));
    // 02:30 after 01:00 CEST: the clock reads 02:30 again, in CET.
    check(
        &night,
        "2026-10-25T01:00[Europe/Berlin]",
        m(150),
        &[],
        "2026-10-25T02:30+01:00[Europe/Berlin]",
    );
    check(
        &night,
        "2026-03-29T01:00[Europe/Berlin]",
        m(150),
        &[],
        "2026-03-29T04:30+02:00[Europe/Berlin]",
    );
}

#[test]
fn sydney_both_changes() {
    // DST ends Sunday 2026-04-05 (03:00 AEDT → 02:00 AEST), starts Sunday 2026-10-04
    // (02:00 AEST → 03:00 AEDT).
    let night = cal("Australia/Sydney", &[("sun", &["01:00-05:00"])], &[]);
    let april = (
        at("2026-04-05T00:00[Australia/Sydney]"),
        at("2026-04-05T12:00[Australia/Sydney]"),
    );
    assert_eq!(night.business_between(april.0, april.1), h(5));
    let october = (
        at("2026-10-04T00:00[Australia/Sydney]"),
        at("2026-10-04T12:00[Australia/Sydney]"),
    );
    assert_eq!(night.business_between(october.0, october.1), h(3));
    check(
        &night,
        "2026-04-05T00:00[Australia/Sydney]",
        m(150),
        &[],
        "2026-04-05T02:30+10:00[Australia/Sydney]",
    );
    check(
        &night,
        "2026-10-04T00:00[Australia/Sydney]",
        m(150),
        &[],
        "2026-10-04T04:30+11:00[Australia/Sydney]",
    );

    let in_gap = cal("Australia/Sydney", &[("sun", &["02:30-03:30"])], &[]);
    check(
        &in_gap,
        "2026-10-04T00:00[Australia/Sydney]",
        m(20),
        &[],
        "2026-10-04T03:20+11:00[Australia/Sydney]",
    );

    // Office hours around the October change, with Labour Day (Monday 5 October) off.
    let office = cal("Australia/Sydney", WEEKDAYS_9_18, &["2026-10-05"]);
    check(
        &office,
        "2026-10-02T17:00[Australia/Sydney]",
        h(2),
        &[],
        "2026-10-06T10:00+11:00[Australia/Sydney]",
    );
    // 24×7 counts real time: 24 h from Saturday noon is Sunday 11:00 after the hour repeats.
    let all = always("Australia/Sydney", &[]);
    check(
        &all,
        "2026-04-04T12:00[Australia/Sydney]",
        h(24),
        &[],
        "2026-04-05T11:00+10:00[Australia/Sydney]",
    );
}

#[test]
fn santiago_changes_at_midnight() {
    // Chile ends DST at 24:00 on Saturday 2026-04-04 (back to 23:00), and starts it at 24:00 on
    // Saturday 2026-09-05 (on to 01:00): the day boundary itself repeats or vanishes.
    let cal = cal(
        "America/Santiago",
        &[("sat", &["22:00-24:00"]), ("sun", &["00:00-02:00"])],
        &[],
    );
    let april = (
        at("2026-04-04T12:00[America/Santiago]"),
        at("2026-04-05T12:00[America/Santiago]"),
    );
    assert_eq!(cal.business_between(april.0, april.1), h(5));
    check(
        &cal,
        "2026-04-04T22:00[America/Santiago]",
        h(4),
        &[],
        "2026-04-05T01:00-04:00[America/Santiago]",
    );
    let september = (
        at("2026-09-05T12:00[America/Santiago]"),
        at("2026-09-06T12:00[America/Santiago]"),
    );
    assert_eq!(cal.business_between(september.0, september.1), h(3));
    check(
        &cal,
        "2026-09-05T22:00[America/Santiago]",
        m(150),
        &[],
        "2026-09-06T01:30-03:00[America/Santiago]",
    );
}

#[test]
fn split_shifts() {
    let split = cal("Europe/Berlin", &[("mon", &["09:00-12:30", "13:30-18:00"])], &[]);
    check(
        &split,
        "2026-01-05T11:00[Europe/Berlin]",
        h(3),
        &[],
        "2026-01-05T15:00+01:00[Europe/Berlin]",
    );
    // Starting at lunch counts from 13:30.
    check(
        &split,
        "2026-01-05T12:45[Europe/Berlin]",
        m(30),
        &[],
        "2026-01-05T14:00+01:00[Europe/Berlin]",
    );
    // Exactly filling the morning ends at 12:30, not at 13:30.
    check(
        &split,
        "2026-01-05T09:00[Europe/Berlin]",
        m(210),
        &[],
        "2026-01-05T12:30+01:00[Europe/Berlin]",
    );
    check(
        &split,
        "2026-01-05T12:30[Europe/Berlin]",
        SignedDuration::from_secs(1),
        &[],
        "2026-01-05T13:30:01+01:00[Europe/Berlin]",
    );
    // After the last shift: the next Monday.
    check(
        &split,
        "2026-01-05T18:00[Europe/Berlin]",
        h(1),
        &[],
        "2026-01-12T10:00+01:00[Europe/Berlin]",
    );
    // A full week of 8 h, then 1 h more.
    check(
        &split,
        "2026-01-05T09:00[Europe/Berlin]",
        h(9),
        &[],
        "2026-01-12T10:00+01:00[Europe/Berlin]",
    );
}

#[test]
fn holidays_and_year_end() {
    let office = cal(
        "Europe/Berlin",
        WEEKDAYS_9_18,
        &["2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"],
    );
    check(
        &office,
        "2026-12-23T17:00[Europe/Berlin]",
        h(4),
        &[],
        "2026-12-28T12:00+01:00[Europe/Berlin]",
    );
    check(
        &office,
        "2026-12-30T17:00[Europe/Berlin]",
        h(4),
        &[],
        "2027-01-04T12:00+01:00[Europe/Berlin]",
    );
    // Starting on a holiday counts from the next working day.
    check(
        &office,
        "2026-12-24T10:00[Europe/Berlin]",
        h(1),
        &[],
        "2026-12-28T10:00+01:00[Europe/Berlin]",
    );
    // Without holidays the year ends like any week.
    let plain = cal("Europe/Berlin", WEEKDAYS_9_18, &[]);
    check(
        &plain,
        "2026-12-31T17:00[Europe/Berlin]",
        h(2),
        &[],
        "2027-01-01T10:00+01:00[Europe/Berlin]",
    );
    // 24×7 with a holiday skips the whole local day.
    let all = always("UTC", &["2027-01-01"]);
    check(&all, "2026-12-31T20:00[UTC]", h(6), &[], "2027-01-02T02:00+00:00[UTC]");
}

#[test]
fn leap_day_2028() {
    // 2028-02-29 is a Tuesday.
    let office = cal("Europe/Berlin", WEEKDAYS_9_18, &[]);
    check(
        &office,
        "2028-02-28T17:00[Europe/Berlin]",
        h(2),
        &[],
        "2028-02-29T10:00+01:00[Europe/Berlin]",
    );
    let off = cal("Europe/Berlin", WEEKDAYS_9_18, &["2028-02-29"]);
    check(
        &off,
        "2028-02-28T17:00[Europe/Berlin]",
        h(2),
        &[],
        "2028-03-01T10:00+01:00[Europe/Berlin]",
    );
    let all = always("UTC", &[]);
    check(&all, "2028-02-28T12:00[UTC]", h(48), &[], "2028-03-01T12:00+00:00[UTC]");
    let all_but = always("UTC", &["2028-02-29"]);
    check(
        &all_but,
        "2028-02-28T12:00[UTC]",
        h(48),
        &[],
        "2028-03-02T12:00+00:00[UTC]",
    );
}

#[test]
fn pauses() {
    let office = cal("Europe/Berlin", WEEKDAYS_9_18, &[]);
    // Friday 2026-01-09 16:00, 4 h; without a pause: 2 h Friday, 2 h Monday.
    check(
        &office,
        "2026-01-09T16:00[Europe/Berlin]",
        h(4),
        &[],
        "2026-01-12T11:00+01:00[Europe/Berlin]",
    );
    // Pending from Friday 17:00 to Monday 11:00: 1 h Friday, then 3 h from Monday 11:00.
    let weekend = [("2026-01-09T17:00[Europe/Berlin]", "2026-01-12T11:00[Europe/Berlin]")];
    check(
        &office,
        "2026-01-09T16:00[Europe/Berlin]",
        h(4),
        &weekend,
        "2026-01-12T14:00+01:00[Europe/Berlin]",
    );
    // A pause wholly in closed time changes nothing; overlapping, unsorted and inverted pauses
    // are taken as their union.
    let closed = [("2026-01-10T08:00[Europe/Berlin]", "2026-01-11T20:00[Europe/Berlin]")];
    check(
        &office,
        "2026-01-09T16:00[Europe/Berlin]",
        h(4),
        &closed,
        "2026-01-12T11:00+01:00[Europe/Berlin]",
    );
    let messy = [
        ("2026-01-12T10:00[Europe/Berlin]", "2026-01-12T11:00[Europe/Berlin]"),
        ("2026-01-09T17:00[Europe/Berlin]", "2026-01-12T10:30[Europe/Berlin]"),
        ("2026-01-12T13:00[Europe/Berlin]", "2026-01-12T12:00[Europe/Berlin]"),
    ];
    check(
        &office,
        "2026-01-09T16:00[Europe/Berlin]",
        h(4),
        &messy,
        "2026-01-12T14:00+01:00[Europe/Berlin]",
    );
    // A pause that began before the start.
    let earlier = [("2026-01-09T12:00[Europe/Berlin]", "2026-01-09T17:00[Europe/Berlin]")];
    check(
        &office,
        "2026-01-09T16:00[Europe/Berlin]",
        h(1),
        &earlier,
        "2026-01-09T18:00+01:00[Europe/Berlin]",
    );
    // Pauses on 24×7 too.
    let all = always("UTC", &[]);
    let lunch = [("2026-01-09T12:00[UTC]", "2026-01-09T13:00[UTC]")];
    check(
        &all,
        "2026-01-09T11:00[UTC]",
        h(2),
        &lunch,
        "2026-01-09T14:00+00:00[UTC]",
    );
}

#[test]
fn starts_outside_business_hours() {
    let office = cal("Europe/Berlin", WEEKDAYS_9_18, &[]);
    check(
        &office,
        "2026-01-10T10:00[Europe/Berlin]",
        h(1),
        &[],
        "2026-01-12T10:00+01:00[Europe/Berlin]",
    );
    check(
        &office,
        "2026-01-12T07:00[Europe/Berlin]",
        m(30),
        &[],
        "2026-01-12T09:30+01:00[Europe/Berlin]",
    );
    check(
        &office,
        "2026-01-12T23:59:59[Europe/Berlin]",
        h(9),
        &[],
        "2026-01-13T18:00+01:00[Europe/Berlin]",
    );
    // Zero and negative targets are due at the start, whatever the hour.
    let start = at("2026-01-10T10:00[Europe/Berlin]");
    assert_eq!(office.add_business(start, SignedDuration::ZERO), start);
    assert_eq!(office.add_business(start, -h(1)), start);
    assert!(!office.is_open_at(start));
    assert!(office.is_open_at(at("2026-01-12T09:00[Europe/Berlin]")));
    assert!(!office.is_open_at(at("2026-01-12T18:00[Europe/Berlin]")));
}

#[test]
fn always_open() {
    // Real time, through the spring-forward Sunday.
    let ny = always("America/New_York", &[]);
    check(
        &ny,
        "2026-03-07T12:00[America/New_York]",
        h(36),
        &[],
        "2026-03-09T01:00-04:00[America/New_York]",
    );
    // Without that Sunday (23 h long that year): Saturday's 12 h, then 24 h from Monday 00:00.
    let ny_off = always("America/New_York", &["2026-03-08"]);
    check(
        &ny_off,
        "2026-03-07T12:00[America/New_York]",
        h(36),
        &[],
        "2026-03-10T00:00-04:00[America/New_York]",
    );
    // A long 24×7 target with a holiday crosses two clock changes in skipped weeks: real time
    // plus the holiday's 24 h.
    let berlin = always("Europe/Berlin", &["2026-06-01"]);
    let start = at("2026-03-01T00:00[Europe/Berlin]");
    let want = start.checked_add(h(2400 + 24)).unwrap();
    assert_eq!(berlin.add_business(start, h(2400)), want);
    assert_eq!(berlin.business_between(start, want), h(2400));
    assert_eq!(ny.business_between(want, start), -(want.duration_since(start)));
}

#[test]
fn thirty_business_days_and_saturation() {
    let office = cal(
        "Europe/Berlin",
        &[
            ("mon", &["09:00-17:00"]),
            ("tue", &["09:00-17:00"]),
            ("wed", &["09:00-17:00"]),
            ("thu", &["09:00-17:00"]),
            ("fri", &["09:00-17:00"]),
        ],
        &[],
    );
    check(
        &office,
        "2026-01-05T09:00[Europe/Berlin]",
        h(30 * 8),
        &[],
        "2026-02-13T17:00+01:00[Europe/Berlin]",
    );
    let start = at("2026-01-05T09:00[Europe/Berlin]");
    assert_eq!(office.add_business(start, SignedDuration::MAX), Timestamp::MAX);
    assert_eq!(
        always("UTC", &[]).add_business(start, SignedDuration::MAX),
        Timestamp::MAX
    );
    // Past the last representable date, too.
    let late = at("9999-12-20T09:00[Europe/Berlin]");
    assert_eq!(office.add_business(late, h(100)), Timestamp::MAX);
    assert_eq!(office.add_business(late, h(8)), at("9999-12-20T17:00[Europe/Berlin]"));
    let b = at("2036-01-05T09:00[Europe/Berlin]");
    assert_eq!(office.business_between(start, b), -office.business_between(b, start));
}
