//! Holidays from iCalendar (RFC 5545) text: the all-day `VEVENT`s of a calendar export.
//!
//! A small parser on purpose: it unfolds lines, reads `DTSTART;VALUE=DATE`, `DTEND` (exclusive)
//! or `DURATION` in whole days, skips cancelled events, and refuses what it cannot honour
//! exactly (timed events, recurrence rules) rather than dropping holidays silently.

use super::{CalendarError, CalendarErrorKind};
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::BTreeSet;

/// The longest event accepted, in days: a longer one is almost surely a typo in a year.
const MAX_EVENT_DAYS: i32 = 366;

/// Every date covered by an all-day event, sorted and without repeats. Errors name the key
/// `ical` and the (first physical) line: `ical: line 7: DTEND is not after DTSTART`.
pub fn parse_ical_holidays(text: &str) -> Result<Vec<Date>, CalendarError> {
    let mut dates = BTreeSet::new();
    let mut open: Vec<String> = Vec::new();
    let mut event: Option<Event> = None;
    let mut last_line = 1;
    let lines = unfold(text)?;
    match lines.first() {
        Some((_, first)) if first.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        first => return Err(not_icalendar(first.map_or(1, |(line, _)| *line))),
    }
    for (line, content) in lines {
        last_line = line;
        let prop = Property::split(&content).ok_or_else(|| problem(line, "not a property (NAME:VALUE)"))?;
        let name = prop.name.to_ascii_uppercase();
        match name.as_str() {
            "BEGIN" => {
                let component = prop.value.trim().to_ascii_uppercase();
                if open.is_empty() && component != "VCALENDAR" {
                    return Err(outside(line));
                }
                if component == "VEVENT" {
                    event = Some(Event::new(line));
                }
                open.push(component);
            }
            "END" => {
                let component = prop.value.trim().to_ascii_uppercase();
                match open.pop() {
                    Some(c) if c == component => {}
                    Some(c) => return Err(problem(line, &format!("END:{component} before END:{c}"))),
                    None => return Err(problem(line, &format!("END:{component} without BEGIN:{component}"))),
                }
                if component == "VEVENT"
                    && let Some(done) = event.take()
                {
                    done.add_dates(&mut dates)?;
                }
            }
            _ if open.last().is_some_and(|c| c == "VEVENT") => {
                if let Some(ev) = event.as_mut() {
                    ev.read(line, &name, &prop)?;
                }
            }
            _ if open.is_empty() => return Err(outside(line)),
            _ => {}
        }
    }
    if let Some(component) = open.last() {
        return Err(problem(
            last_line,
            &format!("BEGIN:{component} without END:{component}"),
        ));
    }
    Ok(dates.into_iter().collect())
}

fn problem(line: usize, problem: &str) -> CalendarError {
    CalendarError::new(
        "ical",
        CalendarErrorKind::Ical {
            line,
            problem: problem.to_owned(),
        },
    )
}

fn outside(line: usize) -> CalendarError {
    problem(line, "outside BEGIN:VCALENDAR ... END:VCALENDAR")
}

fn not_icalendar(line: usize) -> CalendarError {
    problem(
        line,
        "not iCalendar text (expected BEGIN:VCALENDAR; the config loader puts the file's content here)",
    )
}

/// Logical lines with the number of their first physical line: a line that starts with a space
/// or a tab continues the previous one (RFC 5545 §3.1).
fn unfold(text: &str) -> Result<Vec<(usize, String)>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match lines.last_mut() {
                Some(last) => last.1.push_str(rest),
                None => return Err(problem(i + 1, "continuation line before any property")),
            }
        } else if !raw.trim().is_empty() {
            lines.push((i + 1, raw.to_owned()));
        }
    }
    Ok(lines)
}

/// `NAME;PARAM=VALUE;...:VALUE`, with quoted parameter values that may hold `:` and `;`.
struct Property<'a> {
    name: &'a str,
    params: Vec<&'a str>,
    value: &'a str,
}

impl<'a> Property<'a> {
    fn split(line: &'a str) -> Option<Property<'a>> {
        let mut quoted = false;
        let mut cuts = Vec::new();
        let mut colon = None;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ';' if !quoted => cuts.push(i),
                ':' if !quoted => {
                    colon = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let colon = colon?;
        let head = &line[..colon];
        let name_end = cuts.first().copied().unwrap_or(colon);
        let name = head[..name_end].trim();
        if name.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        for (k, &cut) in cuts.iter().enumerate() {
            let end = cuts.get(k + 1).copied().unwrap_or(colon);
            params.push(&line[cut + 1..end]);
        }
        Some(Property {
            name,
            params,
            value: &line[colon + 1..],
        })
    }

    fn param(&self, name: &str) -> Option<&'a str> {
        self.params.iter().find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then_some(v.trim().trim_matches('"'))
        })
    }
}

/// A `VEVENT` being read.
struct Event {
    line: usize,
    start: Option<Date>,
    end: Option<(usize, Date)>,
    days: Option<i32>,
    cancelled: bool,
}

impl Event {
    fn new(line: usize) -> Event {
        Event {
            line,
            start: None,
            end: None,
            days: None,
            cancelled: false,
        }
    }

    fn read(&mut self, line: usize, name: &str, prop: &Property<'_>) -> Result<(), CalendarError> {
        match name {
            "DTSTART" => self.start = Some(all_day(line, prop)?),
            "DTEND" => self.end = Some((line, all_day(line, prop)?)),
            "DURATION" => self.days = Some(whole_days(line, prop.value)?),
            "STATUS" => self.cancelled = prop.value.trim().eq_ignore_ascii_case("CANCELLED"),
            "RRULE" | "RDATE" => {
                return Err(problem(
                    line,
                    "recurring events are not supported (list each year's dates as events or in `holidays`)",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn add_dates(self, dates: &mut BTreeSet<Date>) -> Result<(), CalendarError> {
        let start = self.start.ok_or_else(|| problem(self.line, "VEVENT without DTSTART"))?;
        if self.cancelled {
            return Ok(());
        }
        let (line, days) = match (self.end, self.days) {
            (Some((line, end)), _) => {
                let days = start.until(end).map(|span| span.get_days()).unwrap_or(0);
                if days <= 0 {
                    return Err(problem(line, "DTEND is not after DTSTART"));
                }
                (line, days)
            }
            (None, Some(days)) => (self.line, days),
            // RFC 5545: an all-day event without DTEND or DURATION lasts one day.
            (None, None) => (self.line, 1),
        };
        if days > MAX_EVENT_DAYS {
            return Err(problem(
                line,
                &format!("event lasts {days} days (more than {MAX_EVENT_DAYS}: a typo?)"),
            ));
        }
        let mut date = start;
        for _ in 0..days {
            dates.insert(date);
            date = date
                .checked_add(1.day())
                .map_err(|_| problem(line, "event ends after the year 9999"))?;
        }
        Ok(())
    }
}

/// A `DTSTART`/`DTEND` that is a whole date: `;VALUE=DATE:20261225` (or a bare `20261225`).
fn all_day(line: usize, prop: &Property<'_>) -> Result<Date, CalendarError> {
    let value = prop.value.trim();
    let is_date = prop.param("VALUE").is_none_or(|v| v.eq_ignore_ascii_case("DATE"));
    if !is_date || value.contains('T') {
        return Err(problem(
            line,
            &format!(
                "{} {value:?} has a time of day: holidays are whole days (use {};VALUE=DATE:YYYYMMDD)",
                prop.name, prop.name
            ),
        ));
    }
    let b = value.as_bytes();
    let parsed = (b.len() == 8 && b.iter().all(u8::is_ascii_digit))
        .then(|| {
            let year = value[0..4].parse::<i16>().ok()?;
            let month = value[4..6].parse::<i8>().ok()?;
            let day = value[6..8].parse::<i8>().ok()?;
            Date::new(year, month, day).ok()
        })
        .flatten();
    parsed.ok_or_else(|| problem(line, &format!("{} {value:?} is not a date (YYYYMMDD)", prop.name)))
}

/// `P3D` or `P2W` (a leading `+` allowed): the length of an all-day event.
fn whole_days(line: usize, value: &str) -> Result<i32, CalendarError> {
    let bad = || problem(line, &format!("DURATION {value:?} is not whole days (PnD or PnW)"));
    let v = value.trim();
    let v = v.strip_prefix('+').unwrap_or(v);
    let v = v.strip_prefix('P').ok_or_else(bad)?;
    let (number, unit) = v.split_at(v.len().saturating_sub(1));
    let n: i32 = number.parse().map_err(|_| bad())?;
    let days = match unit {
        "D" => n,
        "W" => n.checked_mul(7).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if days <= 0 {
        return Err(bad());
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    fn ics(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    }

    #[test]
    fn all_day_events_single_and_multi_day_with_folding() {
        let text = ics(concat!(
            "BEGIN:VEVENT\r\n",
            "UID:1@test\r\n",
            "DTSTART;VALUE=DATE:20261225\r\n",
            "DTEND;VALUE=DATE:20261227\r\n", // exclusive: 25 and 26
            "SUMMARY:Christmas with a long\r\n",
            "  folded summary\r\n",
            "END:VEVENT\r\n",
            "BEGIN:VEVENT\r\n",
            "DTSTART;VALUE=DA\r\n", // folded in the middle of a parameter
            " TE:20270101\r\n",
            "END:VEVENT\r\n",
            "BEGIN:VEVENT\r\n",
            "DTSTART;VALUE=DATE:20280228\r\n",
            "DURATION:P2D\r\n", // leap year: 28 and 29 February
            "BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\nEND:VALARM\r\n",
            "END:VEVENT\r\n",
            "BEGIN:VEVENT\n",
            "DTSTART:20260501\n", // bare date, LF line ends
            "END:VEVENT\n",
        ));
        let got = parse_ical_holidays(&text).unwrap();
        assert_eq!(
            got,
            [
                date(2026, 5, 1),
                date(2026, 12, 25),
                date(2026, 12, 26),
                date(2027, 1, 1),
                date(2028, 2, 28),
                date(2028, 2, 29)
            ]
        );
    }

    #[test]
    fn cancelled_events_repeats_and_quoted_params() {
        let text = ics(concat!(
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261003\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nDTSTART;X-NOTE=\"a:b;c\";VALUE=DATE:20261003\r\nDTEND;VALUE=DATE:20261004\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261003\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261231\r\nDURATION:P1W\r\nEND:VEVENT\r\n",
        ));
        let got = parse_ical_holidays(&text).unwrap();
        assert_eq!(got.len(), 1 + 7);
        assert_eq!(got[0], date(2026, 10, 3));
        assert_eq!(got[7], date(2027, 1, 6));
        assert_eq!(parse_ical_holidays(&ics("")).unwrap(), []);
    }

    #[test]
    fn errors_name_the_line() {
        let event = |props: &str| ics(&format!("BEGIN:VEVENT\r\n{props}END:VEVENT\r\n"));
        // Lines: 1 BEGIN:VCALENDAR, 2 VERSION, 3 PRODID, 4 BEGIN:VEVENT, 5.. the properties.
        let table = [
            (
                event("DTSTART:20261225T090000Z\r\n"),
                "ical: line 5: DTSTART \"20261225T090000Z\" has a time of day: holidays are whole days (use DTSTART;VALUE=DATE:YYYYMMDD)",
            ),
            (
                event("DTSTART;VALUE=DATE-TIME:20261225T090000\r\n"),
                "ical: line 5: DTSTART \"20261225T090000\" has a time of day: holidays are whole days (use DTSTART;VALUE=DATE:YYYYMMDD)",
            ),
            (
                event("DTSTART;VALUE=DATE:20260230\r\n"),
                "ical: line 5: DTSTART \"20260230\" is not a date (YYYYMMDD)",
            ),
            (
                event("DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261225\r\n"),
                "ical: line 6: DTEND is not after DTSTART",
            ),
            (
                event("DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20281225\r\n"),
                "ical: line 6: event lasts 731 days (more than 366: a typo?)",
            ),
            (
                event("DTSTART;VALUE=DATE:20261225\r\nDURATION:PT8H\r\n"),
                "ical: line 6: DURATION \"PT8H\" is not whole days (PnD or PnW)",
            ),
            (
                event("DTSTART;VALUE=DATE:20261225\r\nRRULE:FREQ=YEARLY\r\n"),
                "ical: line 6: recurring events are not supported (list each year's dates as events or in `holidays`)",
            ),
            (event("SUMMARY:no start\r\n"), "ical: line 4: VEVENT without DTSTART"),
            (
                ics("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n"),
                "ical: line 6: END:VCALENDAR before END:VEVENT",
            ),
            (
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n".to_string(),
                "ical: line 3: BEGIN:VEVENT without END:VEVENT",
            ),
            (
                ics("BEGIN:VEVENT\r\ngarbage\r\nEND:VEVENT\r\n"),
                "ical: line 5: not a property (NAME:VALUE)",
            ),
            (
                format!("{}trailing:garbage\r\n", ics("")),
                "ical: line 5: outside BEGIN:VCALENDAR ... END:VCALENDAR",
            ),
            (
                " folded first\r\n".to_string(),
                "ical: line 1: continuation line before any property",
            ),
            (
                String::new(),
                "ical: line 1: not iCalendar text (expected BEGIN:VCALENDAR; the config loader puts the file's content here)",
            ),
            (
                "BEGIN:VEVENT\r\nEND:VEVENT\r\n".to_string(),
                "ical: line 1: not iCalendar text (expected BEGIN:VCALENDAR; the config loader puts the file's content here)",
            ),
        ];
        for (text, want) in table {
            assert_eq!(parse_ical_holidays(&text).unwrap_err().to_string(), want, "{text}");
        }
    }
}
