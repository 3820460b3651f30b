//! iCalendar (RFC 5545) export: one `VCALENDAR` (`METHOD:PUBLISH`, for subscribing, refreshed
//! every [`REFRESH_INTERVAL`]) with one
//! `VEVENT` per session of each entry; entries without sessions are left out.
//!
//! Times are written in UTC (`...Z`), so the calendar needs no `VTIMEZONE`; an all-day session
//! is a `VALUE=DATE` event whose `DTEND` is the (exclusive) day after its last day. A `UID` is
//! `{entry id}-{n}@learncity`, `n` the session's place among the entry's sessions (from 1): a
//! session moved to another time keeps its UID, so a subscribed calendar updates the event
//! instead of deleting it and adding a new one.
//! TEXT values are escaped ([`escape_text`]), content lines end in CRLF and are folded at 75
//! octets ([`fold_line`]) without splitting a UTF-8 sequence or an escape.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use learncity_model::{Entry, Geo, Session, Status};

use crate::FeedMeta;
use crate::text::{clean_opt, clean_text, is_unwanted, location_line, plain_description, web_url};

/// `PRODID` of every calendar.
pub const PRODID: &str = "-//learncity//catalogue//EN";

/// How often a subscribing calendar app is asked to fetch the calendar again (an RFC 5545
/// duration).
pub const REFRESH_INTERVAL: &str = "PT1H";

/// Longest content line, in octets, without its CRLF (RFC 5545 section 3.1).
pub const MAX_LINE_OCTETS: usize = 75;

/// The catalogue as an iCalendar object (`text/calendar`).
pub fn ical(entries: &[Entry], meta: &FeedMeta) -> String {
    let mut out = String::with_capacity(1024 + entries.len() * 1024);
    let name = escape_text(&clean_text(&meta.title));
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:{PRODID}"));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("NAME:{name}"));
    line(&mut out, &format!("X-WR-CALNAME:{name}"));
    // How often a subscribed calendar app should fetch it again (RFC 7986; X-PUBLISHED-TTL for
    // Outlook and older clients, which otherwise pick their own, often a week).
    line(&mut out, &format!("REFRESH-INTERVAL;VALUE=DURATION:{REFRESH_INTERVAL}"));
    line(&mut out, &format!("X-PUBLISHED-TTL:{REFRESH_INTERVAL}"));
    let stamp = utc_stamp(meta.updated).unwrap_or_else(|| "19700101T000000Z".to_owned());
    for entry in entries {
        write_entry(&mut out, entry, meta, &stamp);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The `VEVENT`s of one entry: one per session, in session order.
fn write_entry(out: &mut String, entry: &Entry, meta: &FeedMeta, stamp: &str) {
    if entry.sessions.is_empty() {
        return;
    }
    let summary = escape_text(&clean_text(&entry.title));
    let description = escape_text(&plain_description(entry, meta));
    let location = location_line(entry.location.as_ref())
        .or_else(|| web_url(entry.online_url.as_deref()).map(str::to_owned))
        .map(|l| escape_text(&l));
    let geo = entry.location.as_ref().and_then(|l| l.geo).and_then(geo_value);
    let url = uri_value(&meta.entry_url(&entry.id));
    let categories: Vec<String> =
        entry.categories.iter().filter_map(|c| clean_opt(Some(c))).map(|c| escape_text(&c)).collect();
    let modified = utc_stamp(entry.updated_at);
    let id = escape_text(&clean_text(&entry.id));

    for (n, session) in entry.sessions.iter().enumerate() {
        let Some((dtstart, dtend)) = times(session) else { continue };
        let uid = format!("{id}-{}@learncity", n + 1);
        let cancelled = entry.status == Status::Cancelled || session.cancelled;
        let status = match entry.status {
            _ if cancelled => "CANCELLED",
            Status::Tentative => "TENTATIVE",
            _ => "CONFIRMED",
        };

        line(out, "BEGIN:VEVENT");
        line(out, &format!("UID:{uid}"));
        line(out, &format!("DTSTAMP:{stamp}"));
        line(out, &dtstart);
        if let Some(dtend) = dtend {
            line(out, &dtend);
        }
        line(out, &format!("SUMMARY:{summary}"));
        line(out, &format!("DESCRIPTION:{description}"));
        if let Some(location) = &location {
            line(out, &format!("LOCATION:{location}"));
        }
        if let Some(geo) = &geo {
            line(out, &format!("GEO:{geo}"));
        }
        line(out, &format!("URL:{url}"));
        if !categories.is_empty() {
            line(out, &format!("CATEGORIES:{}", categories.join(",")));
        }
        line(out, &format!("STATUS:{status}"));
        if let Some(modified) = &modified {
            line(out, &format!("LAST-MODIFIED:{modified}"));
        }
        line(out, "END:VEVENT");
    }
}

/// `DTSTART` and `DTEND` lines of a session; `None` when its dates cannot be written (a year
/// outside 0000..=9999).
fn times(session: &Session) -> Option<(String, Option<String>)> {
    if session.all_day {
        let first = session.start.date_naive();
        // The model's end is local midnight after the last day; an end inside a day (a sloppy
        // "last day 23:59") still means that day is included.
        let end = session.end.map(|end| {
            let day = end.date_naive();
            if end.time() == NaiveTime::MIN { day } else { day + TimeDelta::days(1) }
        });
        let after_last = end.filter(|d| *d > first).unwrap_or(first + TimeDelta::days(1));
        let start = format!("DTSTART;VALUE=DATE:{}", date_value(first)?);
        let end = format!("DTEND;VALUE=DATE:{}", date_value(after_last)?);
        Some((start, Some(end)))
    } else {
        let start = format!("DTSTART:{}", utc_stamp(session.start.with_timezone(&Utc))?);
        // DTEND must be later than DTSTART; without one the event takes no time (RFC 5545 3.6.1).
        let end = session
            .end
            .filter(|end| *end > session.start)
            .and_then(|end: DateTime<FixedOffset>| utc_stamp(end.with_timezone(&Utc)))
            .map(|end| format!("DTEND:{end}"));
        Some((start, end))
    }
}

/// A UTC DATE-TIME value (`20260312T150000Z`); `None` for a year outside 0000..=9999.
fn utc_stamp(t: DateTime<Utc>) -> Option<String> {
    let date = date_value(t.date_naive())?;
    Some(format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second()))
}

/// A DATE value (`20260312`); `None` for a year outside 0000..=9999.
fn date_value(d: NaiveDate) -> Option<String> {
    (0..=9999).contains(&d.year()).then(|| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
}

/// The `GEO` value (`lat;lon`), when the coordinates are real ones.
fn geo_value(geo: Geo) -> Option<String> {
    let ok = geo.lat.is_finite() && geo.lon.is_finite() && geo.lat.abs() <= 90.0 && geo.lon.abs() <= 180.0;
    ok.then(|| format!("{:.6};{:.6}", geo.lat, geo.lon))
}

/// A URI value: URIs are not escaped, so only line breaks, controls and whitespace go.
fn uri_value(uri: &str) -> String {
    uri.chars().filter(|c| !c.is_whitespace() && !c.is_control() && !is_unwanted(*c)).collect()
}

/// Escapes a TEXT value (RFC 5545 section 3.3.11): `\` `;` `,` get a backslash, a line break
/// (`\r\n`, `\r` or `\n`) becomes `\n`, and control characters but tab are dropped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if is_unwanted(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line to `out`, folded (RFC 5545 section 3.1): no physical line is longer
/// than [`MAX_LINE_OCTETS`] octets, a continuation starts with one space, and every line ends in
/// CRLF. A fold never splits a UTF-8 sequence, nor a backslash from the character it escapes.
/// `line` must hold no line break (escaped values don't).
pub fn fold_line(out: &mut String, line: &str) {
    let mut used = 0;
    let mut rest = line;
    while let Some(first) = rest.chars().next() {
        let mut len = first.len_utf8();
        if first == '\\'
            && let Some(next) = rest[1..].chars().next()
        {
            len += next.len_utf8();
        }
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push_str(&rest[..len]);
        used += len;
        rest = &rest[len..];
    }
    out.push_str("\r\n");
}

/// [`fold_line`] under a shorter name.
fn line(out: &mut String, content: &str) {
    fold_line(out, content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_text_escapes_the_rfc_characters() {
        assert_eq!(escape_text("a\\b;c,d\ne\r\nf\rg"), "a\\\\b\\;c\\,d\\ne\\nf\\ng");
        assert_eq!(escape_text("Курсы: «A1», группа;\tвечер\u{7}"), "Курсы: «A1»\\, группа\\;\tвечер");
        assert_eq!(escape_text("colon: stays"), "colon: stays");
    }

    fn folded(line: &str) -> String {
        let mut out = String::new();
        fold_line(&mut out, line);
        out
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(folded("SUMMARY:x"), "SUMMARY:x\r\n");
        let exact = format!("SUMMARY:{}", "x".repeat(75 - 8));
        assert_eq!(folded(&exact), format!("{exact}\r\n"));
    }

    #[test]
    fn folding_counts_octets_and_keeps_utf8_sequences_whole() {
        // 8 ASCII octets, then two-octet Cyrillic letters: a 75-octet cut would fall inside one.
        let line = format!("SUMMARY:{}", "ж".repeat(100));
        let out = folded(&line);
        let physical: Vec<&str> = out.strip_suffix("\r\n").unwrap_or(&out).split("\r\n").collect();
        assert!(physical.len() > 2);
        for p in &physical {
            assert!(p.len() <= MAX_LINE_OCTETS, "{} octets: {p}", p.len());
        }
        assert_eq!(physical[0].len(), 74, "8 + 33 * 2: the 34th letter would need octets 75-76");
        assert!(physical[1..].iter().all(|p| p.starts_with(' ')));
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));

        let emoji = format!("X:{}", "🎨".repeat(40));
        let out = folded(&emoji);
        assert!(out.split("\r\n").all(|p| p.len() <= MAX_LINE_OCTETS));
        assert_eq!(out.replace("\r\n ", ""), format!("{emoji}\r\n"));
    }

    #[test]
    fn folding_keeps_escapes_whole() {
        // The escape `\,` would straddle octets 75 and 76.
        let line = format!("{}\\,tail", "a".repeat(74));
        let out = folded(&line);
        assert_eq!(out, format!("{}\r\n \\,tail\r\n", "a".repeat(74)));
    }

    #[test]
    fn all_day_end_is_the_exclusive_next_day() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        let session = |start: &str, end: Option<&str>| Session {
            start: t(start),
            end: end.map(t),
            time_zone: Some("Europe/Minsk".into()),
            all_day: true,
            floating: false,
            cancelled: false,
        };
        let (s, e) = times(&session("2026-04-18T00:00:00+03:00", Some("2026-04-20T00:00:00+03:00"))).unwrap();
        assert_eq!((s.as_str(), e.as_deref()), ("DTSTART;VALUE=DATE:20260418", Some("DTEND;VALUE=DATE:20260420")));
        let (_, e) = times(&session("2026-04-18T00:00:00+03:00", None)).unwrap();
        assert_eq!(e.as_deref(), Some("DTEND;VALUE=DATE:20260419"));
        let (_, e) = times(&session("2026-04-18T00:00:00+03:00", Some("2026-04-19T23:59:00+03:00"))).unwrap();
        assert_eq!(e.as_deref(), Some("DTEND;VALUE=DATE:20260420"));
        let (_, e) = times(&session("2026-04-18T00:00:00+03:00", Some("2026-04-18T00:00:00+03:00"))).unwrap();
        assert_eq!(e.as_deref(), Some("DTEND;VALUE=DATE:20260419"));
    }

    #[test]
    fn timed_sessions_are_utc_and_drop_an_end_not_after_the_start() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        let mut session = Session {
            start: t("2026-03-12T18:00:00+03:00"),
            end: Some(t("2026-03-12T19:30:00+03:00")),
            time_zone: None,
            all_day: false,
            floating: false,
            cancelled: false,
        };
        let (s, e) = times(&session).unwrap();
        assert_eq!((s.as_str(), e.as_deref()), ("DTSTART:20260312T150000Z", Some("DTEND:20260312T163000Z")));
        session.end = Some(t("2026-03-12T17:00:00+03:00"));
        assert_eq!(times(&session).unwrap().1, None);
    }

    #[test]
    fn geo_is_written_only_when_real() {
        assert_eq!(geo_value(Geo { lat: 55.19, lon: 30.2 }).as_deref(), Some("55.190000;30.200000"));
        assert_eq!(geo_value(Geo { lat: f64::NAN, lon: 30.2 }), None);
        assert_eq!(geo_value(Geo { lat: 91.0, lon: 30.2 }), None);
    }
}
