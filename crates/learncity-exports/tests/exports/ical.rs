//! iCalendar export tests: the calendar parsed back with the `icalendar` crate and with
//! `calcard` (the parser the project's readers use), UIDs, summaries, descriptions, locations,
//! categories, dates and STATUS compared; CRLF, 75-octet folding and unfolding checked on the
//! raw text.

use calcard::icalendar::{ICalendarComponentType, ICalendarProperty, ICalendarStatus};
use chrono::NaiveDate;
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};
use learncity_exports::{clean_text, escape_ical_text, ical};

use crate::check::{ical_physical_lines, ical_unfold};
use crate::fixtures::{course, entries, lecture, masterclass, meta, utc};

const COURSE_DESCRIPTION: &str = "Для начинающих, без подготовки;\nзанятия по вторникам\nи четвергам, 18:30.\n\n\
    Register: https://vsu.example/courses/english-a1/register?group=2&lang=ru\n\
    More: https://learn.vitebsk.example/entries/e-00000000000000a1\n\
    Sources: ВГУ имени П. М. Машерова, city-lib";

const MASTERCLASS_DESCRIPTION: &str = "Возьмите <кисти> & краски; \"акварель\" 'лучше', ]]> конец\n\n\
    Online: https://meet.example/room?id=42&pw=x\n\
    More: https://learn.vitebsk.example/entries/e-00000000000000c3\n\
    Source: Детская художественная школа №1";

/// (UID, SUMMARY, STATUS) of every event, in order.
fn expected_events() -> Vec<(&'static str, String, &'static str)> {
    let course = "Курсы английского языка; уровень A1, вечерняя группа".to_owned();
    let day = "День открытых дверей".to_owned();
    let master = clean_text(&masterclass().title);
    vec![
        ("e-00000000000000a1-1@learncity", course.clone(), "CONFIRMED"),
        ("e-00000000000000a1-2@learncity", course, "CANCELLED"),
        ("e-00000000000000b2-1@learncity", day.clone(), "CONFIRMED"),
        ("e-00000000000000b2-2@learncity", day, "CONFIRMED"),
        ("e-00000000000000c3-1@learncity", master, "CANCELLED"),
    ]
}

fn events(cal: &Calendar) -> Vec<&icalendar::Event> {
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn round_trips_through_the_icalendar_crate() {
    let ics = ical(&entries(), &meta());
    let cal: Calendar = ics.parse().unwrap();
    let prop = |key: &str| cal.properties.iter().find(|p| p.key() == key).map(|p| p.value().to_owned());
    assert_eq!(prop("VERSION").as_deref(), Some("2.0"));
    assert_eq!(prop("PRODID").as_deref(), Some("-//learncity//catalogue//EN"));
    assert_eq!(prop("CALSCALE").as_deref(), Some("GREGORIAN"));
    assert_eq!(prop("METHOD").as_deref(), Some("PUBLISH"));
    assert!(prop("X-WR-CALNAME").is_some());
    assert_eq!(prop("REFRESH-INTERVAL").as_deref(), Some("PT1H"), "subscribed calendars refresh hourly");
    assert_eq!(prop("X-PUBLISHED-TTL").as_deref(), Some("PT1H"));

    let events = events(&cal);
    let got: Vec<(&str, &str, Option<EventStatus>)> =
        events.iter().map(|e| (e.get_uid().unwrap(), e.get_summary().unwrap(), e.get_status())).collect();
    let expected = expected_events();
    let want: Vec<(&str, &str, Option<EventStatus>)> = expected
        .iter()
        .map(|(uid, summary, status)| {
            let status = if *status == "CANCELLED" { EventStatus::Cancelled } else { EventStatus::Confirmed };
            (*uid, summary.as_str(), Some(status))
        })
        .collect();
    assert_eq!(got, want);
    for e in &events {
        assert_eq!(e.get_timestamp(), Some(utc("2026-03-01T09:30:00Z")));
    }

    let first = events[0];
    assert_eq!(first.get_start(), Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc("2026-03-12T15:30:00Z")))));
    assert_eq!(first.get_end(), Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc("2026-03-12T17:00:00Z")))));
    assert_eq!(first.get_description(), Some(COURSE_DESCRIPTION));
    assert_eq!(first.get_location(), Some("Центральная библиотека, зал 2, ул. Ленина, 5, Витебск"));
    assert_eq!(first.get_url(), Some("https://learn.vitebsk.example/entries/e-00000000000000a1"));
    assert_eq!(first.get_categories(), Some(vec!["languages".to_owned(), "adults".to_owned()]));
    assert_eq!(first.get_last_modified(), Some(utc("2026-02-27T08:00:00Z")));

    let day = events[2];
    let date = |y, m, d| Some(DatePerhapsTime::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
    assert_eq!(day.get_start(), date(2026, 4, 18));
    assert_eq!(day.get_end(), date(2026, 4, 19));
    assert_eq!(events[3].get_start(), date(2026, 5, 16));
    assert_eq!(events[3].get_end(), date(2026, 5, 17), "an all-day session without end lasts one day");
    assert_eq!(day.get_location(), Some("Витебск"));

    let master = events[4];
    assert_eq!(master.get_description(), Some(MASTERCLASS_DESCRIPTION));
    assert_eq!(master.get_location(), Some("https://meet.example/room?id=42&pw=x"), "online: the join link");
    assert_eq!(master.get_categories(), Some(vec!["art".to_owned(), "хобби, досуг".to_owned()]));
}

#[test]
fn round_trips_through_calcard() {
    let ics = ical(&entries(), &meta());
    let mut parser = calcard::Parser::new(&ics);
    let calcard::Entry::ICalendar(cal) = parser.entry() else { panic!("not a calendar") };
    assert!(matches!(parser.entry(), calcard::Entry::Eof));
    let text = |c: &calcard::icalendar::ICalendarComponent, p: ICalendarProperty| {
        c.property(&p).and_then(|e| e.values.first()).and_then(|v| v.as_text()).map(str::to_owned)
    };
    let events: Vec<_> = cal.components.iter().filter(|c| c.component_type == ICalendarComponentType::VEvent).collect();
    let got: Vec<(String, String, ICalendarStatus)> = events
        .iter()
        .map(|c| {
            (
                text(c, ICalendarProperty::Uid).unwrap(),
                text(c, ICalendarProperty::Summary).unwrap(),
                c.status().unwrap().clone(),
            )
        })
        .collect();
    let want: Vec<(String, String, ICalendarStatus)> = expected_events()
        .into_iter()
        .map(|(uid, summary, status)| {
            let status = if status == "CANCELLED" { ICalendarStatus::Cancelled } else { ICalendarStatus::Confirmed };
            (uid.to_owned(), summary, status)
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(text(events[0], ICalendarProperty::Description).as_deref(), Some(COURSE_DESCRIPTION));
    assert_eq!(text(events[4], ICalendarProperty::Description).as_deref(), Some(MASTERCLASS_DESCRIPTION));
    let categories: Vec<&str> = events[4]
        .properties(&ICalendarProperty::Categories)
        .flat_map(|e| e.values.iter().filter_map(|v| v.as_text()))
        .collect();
    assert_eq!(categories, ["art", "хобби, досуг"]);
}

#[test]
fn lines_are_crlf_and_folded_at_75_octets() {
    let ics = ical(&entries(), &meta());
    let lines = ical_physical_lines(&ics).unwrap();
    let continuations = lines.iter().filter(|l| l.starts_with(' ')).count();
    assert!(continuations > 0, "the long title and descriptions are folded");
    // The master class's summary is long and multi-byte: it spans several physical lines.
    let start = lines.iter().position(|l| l.starts_with("SUMMARY:Мастер-класс")).unwrap();
    assert!(lines[start + 1].starts_with(' ') && lines[start + 2].starts_with(' '), "{:?}", &lines[start..start + 3]);
    // Every line but the last of a folded run is full up to a character boundary.
    assert!(lines[start].len() > 70);
}

#[test]
fn unfolding_gives_the_escaped_original_lines() {
    let ics = ical(&entries(), &meta());
    let logical = ical_unfold(&ics);
    let summaries: Vec<&String> = logical.iter().filter(|l| l.starts_with("SUMMARY:")).collect();
    assert_eq!(summaries[0], "SUMMARY:Курсы английского языка\\; уровень A1\\, вечерняя группа");
    let master = format!("SUMMARY:{}", escape_ical_text(&clean_text(&masterclass().title)));
    assert_eq!(summaries[4], &master);
    assert!(master.len() > 150, "the title needs at least two folds");
    assert!(logical.contains(&"X-WR-CALNAME:Обучение в Витебске: языки\\, искусство\\; всё".to_owned()));
    assert!(logical.contains(&"GEO:55.190400;30.204900".to_owned()));
    assert!(logical.contains(&"DTSTART;VALUE=DATE:20260418".to_owned()));
    assert!(logical.contains(&"DTEND;VALUE=DATE:20260419".to_owned()));
    assert!(logical.contains(&"CATEGORIES:art,хобби\\, досуг".to_owned()));
    let description = logical.iter().find(|l| l.starts_with("DESCRIPTION:Для")).unwrap();
    assert!(description.starts_with("DESCRIPTION:Для начинающих\\, без подготовки\\;\\nзанятия"), "{description}");
    // No control character survives, escaped or not.
    assert!(!ics.contains(['\u{0}', '\u{7}', '\u{1b}']));
}

#[test]
fn entries_without_sessions_are_left_out() {
    let ics = ical(&entries(), &meta());
    assert!(!ics.contains("e-00000000000000d4"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 5);
    let empty = ical(&[lecture()], &meta());
    ical_physical_lines(&empty).unwrap();
    assert!(!empty.contains("VEVENT"));
    let cal: Calendar = empty.parse().unwrap();
    assert!(events(&cal).is_empty());
}

#[test]
fn output_is_stable() {
    let all = ical(&entries(), &meta());
    assert_eq!(all, ical(&entries(), &meta()));
    // A UID does not depend on the view the entry is exported in.
    let alone = ical(&[course()], &meta());
    let uids = |ics: &str| ical_unfold(ics).into_iter().filter(|l| l.starts_with("UID:")).collect::<Vec<_>>();
    assert_eq!(uids(&alone), uids(&all)[..2]);
}

#[test]
fn a_session_keeps_its_uid_when_its_time_changes() {
    // Regression: the UID held the session's start, so a calendar subscribed to the export saw
    // a moved lecture as one event deleted and another added.
    let uids = |e: &learncity_model::Entry| -> Vec<String> {
        ical_unfold(&ical(std::slice::from_ref(e), &meta())).into_iter().filter(|l| l.starts_with("UID:")).collect()
    };
    let before = course();
    let mut moved = before.clone();
    moved.sessions[1].start += chrono::Duration::hours(2);
    moved.sessions[1].end = moved.sessions[1].end.map(|e| e + chrono::Duration::hours(2));
    assert_eq!(uids(&moved), uids(&before));
    // Two sessions with the same start still get two UIDs.
    let mut twins = before.clone();
    twins.sessions[1] = twins.sessions[0].clone();
    assert_eq!(uids(&twins), ["UID:e-00000000000000a1-1@learncity", "UID:e-00000000000000a1-2@learncity"]);
}
