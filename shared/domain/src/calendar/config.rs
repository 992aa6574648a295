//! The configuration form of a calendar, and its validation into a [`Calendar`] with errors that
//! name the offending key.

use super::{Calendar, Shift, WEEKDAY_KEYS, check_day, parse_ical_holidays};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A calendar as written in configuration, e.g. under `[sla.calendars.emea]`:
///
/// ```toml
/// [sla.calendars.emea]
/// time_zone = "Europe/Berlin"
/// holidays = ["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"]
/// ical = "holidays/de.ics"   # the loader replaces the path with the file's text
///
/// [sla.calendars.emea.hours]
/// mon = ["09:00-12:30", "13:30-18:00"]
/// tue = ["09:00-12:30", "13:30-18:00"]
/// fri = ["09:00-15:00"]
/// ```
///
/// or `hours = "24x7"`. Weekdays are `mon`..`sun` (or `monday`..`sunday`); a weekday not listed
/// is closed. Shifts are `HH:MM-HH:MM` in local time, the end may be `24:00`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub hours: HoursConfig,
    /// Closed local dates, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// iCalendar *text* whose all-day events are holidays too. The domain does no I/O: the
    /// config loader reads the file the configuration names and puts its content here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ical: Option<String>,
}

/// `"24x7"`, or shifts per weekday name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoursConfig {
    AllWeek,
    Weekly(BTreeMap<String, Vec<String>>),
}

impl Serialize for HoursConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            HoursConfig::AllWeek => serializer.serialize_str("24x7"),
            HoursConfig::Weekly(days) => days.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for HoursConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HoursVisitor;
        impl<'de> Visitor<'de> for HoursVisitor {
            type Value = HoursConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""24x7" or a table of weekdays (mon = ["09:00-17:00"])"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HoursConfig, E> {
                if v.eq_ignore_ascii_case("24x7") {
                    Ok(HoursConfig::AllWeek)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HoursConfig, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(HoursConfig::Weekly)
            }
        }
        deserializer.deserialize_any(HoursVisitor)
    }
}

/// A calendar that cannot be used: the key (`hours.mon[1]`, `time_zone`, `holidays[2]`, `ical`)
/// and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {kind}")]
pub struct CalendarError {
    pub key: String,
    pub kind: CalendarErrorKind,
}

impl CalendarError {
    pub fn new(key: impl Into<String>, kind: CalendarErrorKind) -> Self {
        CalendarError { key: key.into(), kind }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarErrorKind {
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("unknown weekday (expected mon, tue, wed, thu, fri, sat or sun)")]
    UnknownWeekday,
    #[error("the same weekday as {0}")]
    DuplicateWeekday(String),
    #[error("invalid shift {0:?} (expected \"HH:MM-HH:MM\", e.g. \"09:00-12:30\"; the end may be 24:00)")]
    InvalidShift(String),
    #[error("shift ends at or before it starts (a shift past midnight is two: \"22:00-24:00\" and \"00:00-06:00\")")]
    EmptyShift,
    #[error("shifts overlap ({0})")]
    OverlappingShifts(String),
    #[error("no working hours in the week")]
    NoWorkingHours,
    #[error("invalid date {0:?} (expected YYYY-MM-DD)")]
    InvalidDate(String),
    #[error("line {line}: {problem}")]
    Ical { line: usize, problem: String },
}

impl Calendar {
    /// Validates a configured calendar. Errors name the key: `time_zone: unknown time zone
    /// "Mars/Base"`, `hours.mon[1]: shifts overlap (...)`, `hours: no working hours in the week`.
    pub fn from_config(config: &CalendarConfig) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(config.time_zone.trim()).map_err(|_| {
            CalendarError::new(
                "time_zone",
                CalendarErrorKind::UnknownTimeZone(config.time_zone.clone()),
            )
        })?;
        let mut holidays = BTreeSet::new();
        for (i, text) in config.holidays.iter().enumerate() {
            let date = parse_date(text).ok_or_else(|| {
                CalendarError::new(format!("holidays[{i}]"), CalendarErrorKind::InvalidDate(text.clone()))
            })?;
            holidays.insert(date);
        }
        if let Some(text) = &config.ical {
            holidays.extend(parse_ical_holidays(text)?);
        }
        match &config.hours {
            HoursConfig::AllWeek => Ok(Calendar::always_open(tz).with_holidays(holidays)),
            HoursConfig::Weekly(days) => {
                let mut week: [Vec<Shift>; 7] = Default::default();
                let mut seen: [Option<&str>; 7] = [None; 7];
                for (name, shifts) in days {
                    let key = format!("hours.{name}");
                    let day =
                        weekday_of(name).ok_or_else(|| CalendarError::new(&key, CalendarErrorKind::UnknownWeekday))?;
                    if let Some(other) = seen[day] {
                        return Err(CalendarError::new(
                            &key,
                            CalendarErrorKind::DuplicateWeekday(format!("hours.{other}")),
                        ));
                    }
                    seen[day] = Some(name);
                    let parsed = shifts
                        .iter()
                        .enumerate()
                        .map(|(i, text)| {
                            text.parse::<Shift>()
                                .map_err(|kind| CalendarError::new(format!("{key}[{i}]"), kind))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    week[day] = check_day(&key, &parsed)?;
                }
                Calendar::from_checked(tz, week, holidays)
            }
        }
    }
}

/// `mon`..`sun` or `monday`..`sunday`, any case, as an index from Monday.
fn weekday_of(name: &str) -> Option<usize> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let name = name.trim().to_ascii_lowercase();
    (0..7).find(|&d| WEEKDAY_KEYS[d] == name || FULL[d] == name)
}

/// Exactly `YYYY-MM-DD`, a real date.
pub(super) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let year = text[0..4].parse::<i16>().ok()?;
    let month = text[5..7].parse::<i8>().ok()?;
    let day = text[8..10].parse::<i8>().ok()?;
    Date::new(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::{Weekday, date};

    fn config(time_zone: &str, hours: &[(&str, &[&str])]) -> CalendarConfig {
        CalendarConfig {
            time_zone: time_zone.into(),
            hours: HoursConfig::Weekly(
                hours
                    .iter()
                    .map(|(d, s)| (d.to_string(), s.iter().map(|x| x.to_string()).collect()))
                    .collect(),
            ),
            holidays: vec![],
            ical: None,
        }
    }

    fn error(config: &CalendarConfig) -> String {
        Calendar::from_config(config).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn every_config_error_names_its_key() {
        let ok = config("Europe/Berlin", &[("mon", &["09:00-12:30", "13:30-18:00"])]);
        assert!(Calendar::from_config(&ok).is_ok());
        let with = |f: &dyn Fn(&mut CalendarConfig)| {
            let mut c = ok.clone();
            f(&mut c);
            error(&c)
        };
        // (config change, expected message)
        let table: Vec<(String, &str)> = vec![
            (
                with(&|c| c.time_zone = "Mars/Base".into()),
                r#"time_zone: unknown time zone "Mars/Base""#,
            ),
            (with(&|c| c.time_zone = "".into()), r#"time_zone: unknown time zone """#),
            (
                error(&config("UTC", &[("mon", &["09:00-12:30", "12:00-18:00"])])),
                "hours.mon[1]: shifts overlap (12:00-18:00 overlaps 09:00-12:30)",
            ),
            (
                error(&config(
                    "UTC",
                    &[("tue", &["13:00-18:00", "08:00-09:00", "09:00-13:30"])],
                )),
                "hours.tue[2]: shifts overlap (09:00-13:30 overlaps 13:00-18:00)",
            ),
            (
                error(&config("UTC", &[("wed", &["09:00-09:00"])])),
                "hours.wed[0]: shift ends at or before it starts (a shift past midnight is two: \"22:00-24:00\" and \"00:00-06:00\")",
            ),
            (
                error(&config("UTC", &[("thu", &["09:00-17:00", "22:00-06:00"])])),
                "hours.thu[1]: shift ends at or before it starts (a shift past midnight is two: \"22:00-24:00\" and \"00:00-06:00\")",
            ),
            (
                error(&config("UTC", &[("fri", &["9-17"])])),
                "hours.fri[0]: invalid shift \"9-17\" (expected \"HH:MM-HH:MM\", e.g. \"09:00-12:30\"; the end may be 24:00)",
            ),
            (
                error(&config("UTC", &[("fri", &["24:00-24:00"])])),
                "hours.fri[0]: invalid shift \"24:00-24:00\" (expected \"HH:MM-HH:MM\", e.g. \"09:00-12:30\"; the end may be 24:00)",
            ),
            (
                error(&config("UTC", &[("fri", &["09:00-24:01"])])),
                "hours.fri[0]: invalid shift \"09:00-24:01\" (expected \"HH:MM-HH:MM\", e.g. \"09:00-12:30\"; the end may be 24:00)",
            ),
            (
                error(&config("UTC", &[("funday", &["09:00-17:00"])])),
                "hours.funday: unknown weekday (expected mon, tue, wed, thu, fri, sat or sun)",
            ),
            (
                error(&config(
                    "UTC",
                    &[("mon", &["09:00-17:00"]), ("Monday", &["18:00-19:00"])],
                )),
                "hours.mon: the same weekday as hours.Monday",
            ),
            (error(&config("UTC", &[])), "hours: no working hours in the week"),
            (
                error(&config("UTC", &[("mon", &[]), ("sun", &[])])),
                "hours: no working hours in the week",
            ),
            (
                with(&|c| c.holidays = vec!["2026-12-25".into(), "2027-02-29".into()]),
                r#"holidays[1]: invalid date "2027-02-29" (expected YYYY-MM-DD)"#,
            ),
            (
                with(&|c| c.holidays = vec!["25.12.2026".into()]),
                r#"holidays[0]: invalid date "25.12.2026" (expected YYYY-MM-DD)"#,
            ),
            (
                with(&|c| c.ical = Some("holidays/de.ics".into())),
                "ical: line 1: not iCalendar text (expected BEGIN:VCALENDAR; the config loader puts the file's content here)",
            ),
        ];
        for (got, want) in table {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn shifts_are_sorted_and_24_00_ends_the_day() {
        let c = config(
            "Europe/Berlin",
            &[("monday", &["13:30-18:00", "09:00-12:30"]), ("SAT", &["18:00-24:00"])],
        );
        let cal = Calendar::from_config(&c).unwrap();
        let shown: Vec<String> = cal.shifts(Weekday::Monday).iter().map(|s| s.to_string()).collect();
        assert_eq!(shown, ["09:00-12:30", "13:30-18:00"]);
        assert_eq!(cal.shifts(Weekday::Saturday)[0].to_string(), "18:00-24:00");
        assert!(cal.shifts(Weekday::Sunday).is_empty());
        assert!(!cal.is_always_open());
        assert_eq!(
            "08:00:30-08:00:45".parse::<Shift>().unwrap().to_string(),
            "08:00:30-08:00:45"
        );
    }

    #[test]
    fn calendars_built_in_code_are_checked_too() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let shift = |s: &str| s.parse::<Shift>().unwrap();
        let mut week: [Vec<Shift>; 7] = Default::default();
        week[0] = vec![shift("09:00-12:30"), shift("12:00-13:00")];
        let err = Calendar::new(tz.clone(), week, []).unwrap_err();
        assert_eq!(
            err.to_string(),
            "hours.mon[1]: shifts overlap (12:00-13:00 overlaps 09:00-12:30)"
        );
        assert_eq!(err.key, "hours.mon[1]");
        assert_eq!(
            Calendar::new(tz.clone(), Default::default(), []).unwrap_err().kind,
            CalendarErrorKind::NoWorkingHours
        );
        let full: [Vec<Shift>; 7] = std::array::from_fn(|_| vec![shift("00:00-12:00"), shift("12:00-24:00")]);
        assert!(Calendar::new(tz.clone(), full, []).unwrap().is_always_open());
        assert_eq!(Shift::new(0, 86_401), None);
        assert_eq!(Shift::new(600, 600), None);
    }

    #[test]
    fn touching_shifts_are_not_an_overlap() {
        let c = config("UTC", &[("mon", &["09:00-12:00", "12:00-18:00"])]);
        assert!(Calendar::from_config(&c).is_ok());
    }

    #[test]
    fn config_reads_from_toml_like_json_and_round_trips() {
        let json = r#"{
            "time_zone": "Europe/Berlin",
            "hours": {"mon": ["09:00-12:30", "13:30-18:00"], "fri": ["09:00-15:00"]},
            "holidays": ["2026-12-25"]
        }"#;
        let c: CalendarConfig = serde_json::from_str(json).unwrap();
        let cal = Calendar::from_config(&c).unwrap();
        assert!(cal.is_holiday(date(2026, 12, 25)));
        let back: CalendarConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);

        let all: CalendarConfig = serde_json::from_str(r#"{"time_zone": "UTC", "hours": "24x7"}"#).unwrap();
        assert_eq!(all.hours, HoursConfig::AllWeek);
        assert!(Calendar::from_config(&all).unwrap().is_always_open());
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"{"time_zone":"UTC","hours":"24x7"}"#
        );

        let bad = serde_json::from_str::<CalendarConfig>(r#"{"time_zone": "UTC", "hours": "always"}"#);
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains(r#"expected "24x7" or a table of weekdays"#)
        );
        let typo = serde_json::from_str::<CalendarConfig>(r#"{"time_zone": "UTC", "hours": "24x7", "holiday": []}"#);
        assert!(typo.unwrap_err().to_string().contains("unknown field `holiday`"));
    }

    #[test]
    fn seven_full_days_are_24x7() {
        let full: Vec<(&str, &[&str])> = WEEKDAY_KEYS.iter().map(|d| (*d, &["00:00-24:00"][..])).collect();
        let cal = Calendar::from_config(&config("UTC", &full)).unwrap();
        assert!(cal.is_always_open());
    }

    #[test]
    fn ical_holidays_join_the_list() {
        let mut c = config("Europe/Berlin", &[("mon", &["09:00-17:00"])]);
        c.holidays = vec!["2026-12-24".into()];
        c.ical = Some("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".into());
        let cal = Calendar::from_config(&c).unwrap();
        let got: Vec<Date> = cal.holidays().collect();
        assert_eq!(got, [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)]);
    }
}
