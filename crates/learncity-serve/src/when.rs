//! When a session happens, as a resident of the city reads it: weekday, date and time range in
//! the page's language (CLDR's patterns, by ICU4X: "вт, 12 янв. 2027 г., 18:30–20:00",
//! "аў, 12.01.2027, 18:30–20:00", "Tue, Jan 12, 2027, 6:30 – 8:00 PM" style), in the city's
//! time zone (`[serve] time-zone`; unset, in the offset the provider gave), and a course's
//! rhythm ("вт, чт · 12 янв. – 25 февр.").

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use icu_datetime::DateTimeFormatter;
use icu_datetime::fieldsets::{E, MD, T, YMD, YMDE, YMDET};
use icu_datetime::input::{Date, DateTime as IcuDateTime, Time};
use icu_datetime::options::TimePrecision;
use learncity_model::Session;

use crate::i18n::Lang;

/// The formatters of one language (ICU4X's are not `Sync`: one set per thread).
struct Formatters {
    date: DateTimeFormatter<YMDE>,
    date_time: DateTimeFormatter<YMDET>,
    time: DateTimeFormatter<T>,
    weekday: DateTimeFormatter<E>,
    day: DateTimeFormatter<MD>,
    full_day: DateTimeFormatter<YMD>,
}

impl Formatters {
    fn new(lang: Lang) -> Option<Formatters> {
        let locale = icu_locale_core::Locale::try_from_str(lang.code()).ok()?;
        let minutes = TimePrecision::Minute;
        Some(Formatters {
            date: DateTimeFormatter::try_new(locale.clone().into(), YMDE::medium()).ok()?,
            date_time: DateTimeFormatter::try_new(locale.clone().into(), YMDET::medium().with_time_precision(minutes))
                .ok()?,
            time: DateTimeFormatter::try_new(locale.clone().into(), T::medium().with_time_precision(minutes)).ok()?,
            weekday: DateTimeFormatter::try_new(locale.clone().into(), E::short()).ok()?,
            day: DateTimeFormatter::try_new(locale.clone().into(), MD::medium()).ok()?,
            full_day: DateTimeFormatter::try_new(locale.into(), YMD::medium()).ok()?,
        })
    }
}

/// Calls `f` with this thread's formatters of `lang`; `None` when ICU4X has no data for it (it
/// has for be, ru and en: a unit test reads each).
fn with<R>(lang: Lang, f: impl FnOnce(&Formatters) -> R) -> Option<R> {
    thread_local! {
        static ALL: [Option<Formatters>; 3] = Lang::ALL.map(Formatters::new);
    }
    ALL.with(|all| all[lang.index()].as_ref().map(f))
}

fn icu_date(d: NaiveDate) -> Option<Date<icu_calendar::Iso>> {
    Date::try_new_iso(d.year(), u8::try_from(d.month()).ok()?, u8::try_from(d.day()).ok()?).ok()
}

fn icu_date_time(t: NaiveDateTime) -> Option<IcuDateTime<icu_calendar::Iso>> {
    let time = Time::try_new(u8::try_from(t.hour()).ok()?, u8::try_from(t.minute()).ok()?, 0, 0).ok()?;
    Some(IcuDateTime { date: icu_date(t.date())?, time })
}

/// A time in the city's zone (or as its provider gave it).
fn local(t: DateTime<FixedOffset>, zone: Option<Tz>) -> NaiveDateTime {
    zone.map_or_else(|| t.naive_local(), |z| t.with_timezone(&z).naive_local())
}

/// The days a session covers, first and last (a whole-day session's `end` is the midnight
/// after its last day).
fn days(s: &Session) -> (NaiveDate, NaiveDate) {
    let first = s.start.naive_local().date();
    let last = s.end.map_or(first, |e| (e.naive_local() - chrono::Duration::seconds(1)).date()).max(first);
    (first, last)
}

/// One session: "вт, 12 янв. 2027 г., 18:30–20:00"; a session that ends on another day gives
/// both ends in full; a whole-day session its day or days.
pub fn session(lang: Lang, zone: Option<Tz>, s: &Session) -> String {
    with(lang, |f| {
        if s.all_day {
            let (first, last) = days(s);
            let first_text = icu_date(first).map(|d| f.date.format(&d).to_string())?;
            if last == first {
                return Some(first_text);
            }
            let last_text = icu_date(last).map(|d| f.date.format(&d).to_string())?;
            return Some(format!("{first_text} – {last_text}"));
        }
        let start = local(s.start, zone);
        let start_text = f.date_time.format(&icu_date_time(start)?).to_string();
        let Some(end) = s.end.map(|e| local(e, zone)).filter(|e| *e > start) else { return Some(start_text) };
        let end_value = icu_date_time(end)?;
        if end.date() == start.date() {
            Some(format!("{start_text}–{}", f.time.format(&end_value)))
        } else {
            Some(format!("{start_text} – {}", f.date_time.format(&end_value)))
        }
    })
    .flatten()
    .unwrap_or_else(|| fallback(s, zone))
}

/// ISO 8601 when ICU4X cannot format (a date outside its range).
fn fallback(s: &Session, zone: Option<Tz>) -> String {
    let start = local(s.start, zone);
    if s.all_day { start.format("%Y-%m-%d").to_string() } else { start.format("%Y-%m-%d %H:%M").to_string() }
}

/// A course's rhythm and span: "вт, чт · 12 янв. – 25 февр. 2027 г." — the weekdays when the
/// sessions keep to at most three of them, then the first and last day. `None` for fewer than
/// two sessions.
pub fn rhythm(lang: Lang, zone: Option<Tz>, sessions: &[Session]) -> Option<String> {
    let days: Vec<NaiveDate> = sessions
        .iter()
        .map(|s| if s.all_day { s.start.naive_local().date() } else { local(s.start, zone).date() })
        .collect();
    let (first, last) = (*days.iter().min()?, *days.iter().max()?);
    if sessions.len() < 2 {
        return None;
    }
    with(lang, |f| {
        let mut weekdays: Vec<NaiveDate> = Vec::new();
        for d in &days {
            if !weekdays.iter().any(|w| w.weekday() == d.weekday()) {
                weekdays.push(*d);
            }
        }
        weekdays.sort_by_key(|d| d.weekday().num_days_from_monday());
        let mut parts = Vec::new();
        if weekdays.len() <= 3 {
            let names: Option<Vec<String>> =
                weekdays.iter().map(|d| icu_date(*d).map(|x| f.weekday.format(&x).to_string())).collect();
            parts.push(names?.join(", "));
        }
        let span = if first == last {
            f.full_day.format(&icu_date(first)?).to_string()
        } else {
            format!("{} – {}", f.day.format(&icu_date(first)?), f.full_day.format(&icu_date(last)?))
        };
        parts.push(span);
        Some(parts.join(" · "))
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("a test time")
    }

    fn timed(start: &str, end: Option<&str>) -> Session {
        Session {
            start: at(start),
            end: end.map(at),
            time_zone: None,
            all_day: false,
            floating: false,
            cancelled: false,
        }
    }

    #[test]
    fn a_session_reads_with_its_weekday_date_and_time_range_in_each_language() {
        let s = timed("2027-01-12T18:30:00+03:00", Some("2027-01-12T20:00:00+03:00"));
        let minsk: Option<Tz> = Some(chrono_tz::Europe::Minsk);
        let ru = session(Lang::Ru, minsk, &s);
        assert!(ru.starts_with("вт, 12 янв. 2027"), "{ru}");
        assert!(ru.contains("18:30") && ru.ends_with("–20:00"), "{ru}");
        let be = session(Lang::Be, minsk, &s);
        // CLDR's medium date in Belarusian is numeric.
        assert!(be.starts_with("аў, 12.01.2027") && be.ends_with("18:30–20:00"), "{be}");
        let en = session(Lang::En, minsk, &s);
        assert!(en.starts_with("Tue, Jan 12, 2027") && en.contains("6:30") && en.contains("8:00"), "{en}");
    }

    #[test]
    fn times_are_shown_in_the_citys_zone_when_one_is_set() {
        // A UTC instant from an aggregator: 15:30Z is 18:30 in Minsk.
        let s = timed("2027-01-12T15:30:00Z", None);
        assert!(session(Lang::Ru, Some(chrono_tz::Europe::Minsk), &s).ends_with("18:30"));
        assert!(session(Lang::Ru, None, &s).ends_with("15:30"));
    }

    #[test]
    fn a_whole_day_session_shows_its_days_and_no_time() {
        let mut s = timed("2027-03-20T00:00:00+03:00", Some("2027-03-21T00:00:00+03:00"));
        s.all_day = true;
        let one = session(Lang::Ru, Some(chrono_tz::Europe::Minsk), &s);
        assert!(one.starts_with("сб, 20 мар") && !one.contains(':') && !one.contains('–'), "{one}");
        s.end = Some(at("2027-03-23T00:00:00+03:00"));
        let three = session(Lang::En, Some(chrono_tz::Europe::Minsk), &s);
        assert!(three.starts_with("Sat, Mar 20") && three.contains(" – Mon, Mar 22"), "{three}");
    }

    #[test]
    fn a_course_reads_as_its_weekdays_and_span() {
        // Tuesdays and Thursdays, 12 Jan – 4 Feb 2027.
        let sessions: Vec<Session> = ["12", "14", "19", "21", "26", "28"]
            .iter()
            .map(|d| timed(&format!("2027-01-{d}T18:30:00+03:00"), None))
            .chain(["02", "04"].iter().map(|d| timed(&format!("2027-02-{d}T18:30:00+03:00"), None)))
            .collect();
        let ru = rhythm(Lang::Ru, None, &sessions).expect("a rhythm");
        assert!(ru.starts_with("вт, чт · 12 янв."), "{ru}");
        assert!(ru.contains("4 февр. 2027"), "{ru}");
        let en = rhythm(Lang::En, None, &sessions).expect("a rhythm");
        assert!(en.starts_with("Tue, Thu · Jan 12 – Feb 4, 2027"), "{en}");
        assert_eq!(rhythm(Lang::En, None, &sessions[..1]), None);
    }
}
