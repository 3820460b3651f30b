//! Event dates of feed extensions (`ev:startdate`, xCal `dtstart`, JSON Feed event objects) to
//! sessions.
//!
//! Accepted: RFC 3339 / W3C-DTF with or without seconds, fractions and offset (`+03:00`,
//! `+0300`, `Z`), a space instead of `T`, iCalendar basic format (`20250312T183000[Z]`), dates
//! alone (`2025-03-12`, `20250312`: an all-day session), and RFC 2822 (some feeds reuse their
//! `pubDate` format). A time without an offset is local time in the provider's zone and the
//! session is marked `floating`.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use learncity_model::Session;

/// A parsed event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// The instant (local midnight for a date alone).
    pub at: DateTime<FixedOffset>,
    /// Only a date was given.
    pub date_only: bool,
    /// No offset was given: the provider's zone was applied.
    pub floating: bool,
}

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y%m%dT%H%M%S",
    "%Y%m%dT%H%M",
];
const OFFSET_FORMATS: &[&str] =
    &["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z"];

/// Parses one event time; `None` when `s` is not a date.
pub fn parse(s: &str, tz: Tz) -> Option<EventTime> {
    let s = s.trim();
    let exact = |at| Some(EventTime { at, date_only: false, floating: false });
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return exact(t);
    }
    if let Some(utc) = s.strip_suffix(['Z', 'z'])
        && let Some(t) = NAIVE_FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(utc, f).ok())
    {
        return exact(Utc.from_utc_datetime(&t).fixed_offset());
    }
    if let Some(t) = OFFSET_FORMATS.iter().find_map(|f| DateTime::parse_from_str(s, f).ok()) {
        return exact(t);
    }
    if let Some(t) = NAIVE_FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok()) {
        return Some(EventTime { at: local(tz, t)?, date_only: false, floating: true });
    }
    if let Some(d) = ["%Y-%m-%d", "%Y%m%d"].iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok()) {
        return Some(EventTime { at: local(tz, d.and_hms_opt(0, 0, 0)?)?, date_only: true, floating: true });
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return exact(t);
    }
    None
}

/// A local time in `tz` (the earlier one when clocks go back; an hour later when it does not
/// exist because clocks go forward).
fn local(tz: Tz, t: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + chrono::Duration::hours(1))).earliest())
        .map(|t| t.fixed_offset())
}

/// The session of a start and an optional end, or a problem for `(field, message)` warnings.
///
/// An all-day event's end date is inclusive in the event module (`ev:enddate` = last day), so
/// the session ends at the midnight after it.
pub fn session(start: EventTime, end: Option<EventTime>, tz: Tz) -> (Session, Option<String>) {
    let zone = (start.floating || end.is_some_and(|e| e.floating)).then(|| tz.name().to_owned());
    let next_midnight = |t: EventTime| {
        t.at.date_naive().checked_add_days(Days::new(1)).and_then(|d| local(tz, d.and_hms_opt(0, 0, 0)?))
    };
    let mut problem = None;
    let end_at = match end {
        Some(e) if start.date_only && e.date_only => next_midnight(e),
        Some(e) => Some(e.at),
        None if start.date_only => next_midnight(start),
        None => None,
    };
    let end_at = match end_at {
        Some(e) if e < start.at => {
            problem = Some(format!(
                "the end {} is before the start {}; the end was dropped",
                e.to_rfc3339(),
                start.at.to_rfc3339()
            ));
            None
        }
        other => other,
    };
    let session = Session {
        start: start.at,
        end: end_at,
        time_zone: zone,
        all_day: start.date_only,
        floating: start.floating,
        cancelled: false,
    };
    (session, problem)
}

/// A publication timestamp as written by Dublin Core terms or Atom 0.3 (W3C-DTF), in UTC.
pub fn instant(s: &str) -> Option<DateTime<Utc>> {
    parse(s, chrono_tz::UTC).map(|t| t.at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINSK: Tz = chrono_tz::Europe::Minsk;

    #[test]
    fn offsets_and_floating_times() {
        let t = parse("2025-03-12T18:30:00+03:00", MINSK).unwrap();
        assert_eq!((t.at.to_rfc3339().as_str(), t.floating), ("2025-03-12T18:30:00+03:00", false));
        assert_eq!(parse("2025-03-12T18:30+0300", MINSK).unwrap().at.to_rfc3339(), "2025-03-12T18:30:00+03:00");
        assert_eq!(parse("20250312T153000Z", MINSK).unwrap().at.to_rfc3339(), "2025-03-12T15:30:00+00:00");
        let f = parse("2025-03-12 18:30", MINSK).unwrap();
        assert_eq!((f.at.to_rfc3339().as_str(), f.floating), ("2025-03-12T18:30:00+03:00", true));
        assert_eq!(
            parse("Wed, 12 Mar 2025 18:30:00 +0300", MINSK).unwrap().at.to_rfc3339(),
            "2025-03-12T18:30:00+03:00"
        );
        assert_eq!(parse("скоро", MINSK), None);
        assert_eq!(parse("2025-02-30", MINSK), None);
    }

    #[test]
    fn all_day_sessions_end_after_their_last_day() {
        let s = parse("2025-03-12", MINSK).unwrap();
        let e = parse("2025-03-14", MINSK).unwrap();
        let (session, problem) = session(s, Some(e), MINSK);
        assert!(session.all_day && problem.is_none());
        assert_eq!(session.end.unwrap().to_rfc3339(), "2025-03-15T00:00:00+03:00");
        assert_eq!(session.time_zone.as_deref(), Some("Europe/Minsk"));
        let (one_day, _) = self::session(s, None, MINSK);
        assert_eq!(one_day.end.unwrap().to_rfc3339(), "2025-03-13T00:00:00+03:00");
    }

    #[test]
    fn end_before_start_is_dropped_with_a_reason() {
        let s = parse("2025-03-12T18:00:00Z", MINSK).unwrap();
        let e = parse("2025-03-12T17:00:00Z", MINSK).unwrap();
        let (session, problem) = session(s, Some(e), MINSK);
        assert_eq!(session.end, None);
        assert!(problem.unwrap().contains("before the start"));
    }
}
