//! Time zones and time values of one calendar: which zone a `TZID` names, and what instant a
//! DATE or DATE-TIME value is.
//!
//! A TZID is read, in order, as: an IANA name or a non-standard name calcard knows (Microsoft
//! zone names, `/citadel.org/…/Europe/Minsk`, `(UTC+03:00) …`, a VTIMEZONE's `X-LIC-LOCATION`);
//! an IANA name at the end of a decorated id (`custom_America/New_York`, `posix/Europe/Vaduz`);
//! or, for a VTIMEZONE with an invented id (`Customized Time Zone`, `GMT +0100 (Standard) / GMT
//! +0200 (Daylight)`), the IANA zone whose offsets and DST changes agree with its observances
//! over the fetch year and the next (the provider's own zone first). A zone found that way is
//! used for arithmetic but not named in the output, since the provider did not name it.
//!
//! Guarantees: every conversion is total (no panic, no overflow: out-of-range values give
//! `None`); a local time that does not exist (inside a DST gap) is read with the offset in force
//! before the gap and a time that exists twice (DST overlap) as its first occurrence, as RFC 5545
//! §3.3.5 says.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use calcard::common::PartialDateTime;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarProperty, ICalendarValue};
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};

use super::recur;

/// A zone a time can be expressed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Zone {
    /// An IANA zone the provider named (also `UTC` for `Z` times).
    Named(chrono_tz::Tz),
    /// An IANA zone that behaves like the provider's own VTIMEZONE (not named in the output).
    Like(chrono_tz::Tz),
    /// A fixed UTC offset (a VTIMEZONE without DST, or a time written with an offset).
    Fixed(FixedOffset),
}

impl Zone {
    /// The IANA name, when the provider gave one.
    pub(super) fn name(self) -> Option<String> {
        match self {
            Zone::Named(tz) => Some(tz.name().to_owned()),
            Zone::Like(_) | Zone::Fixed(_) => None,
        }
    }

    /// The instant of a wall-clock time in this zone (gap: offset before the gap; overlap: the
    /// first of the two instants).
    pub(super) fn localise(self, local: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        match self {
            Zone::Fixed(offset) => match offset.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t),
                LocalResult::None => None,
            },
            Zone::Named(tz) | Zone::Like(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.fixed_offset()),
                LocalResult::None => {
                    // Inside a gap: the offset of a day before is the one before the gap.
                    let before = local.checked_sub_signed(TimeDelta::hours(26))?;
                    let offset = tz.offset_from_utc_datetime(&before).fix();
                    let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
                    Some(tz.from_utc_datetime(&utc).fixed_offset())
                }
            },
        }
    }

    /// The wall-clock time of an instant in this zone.
    pub(super) fn wall_time(self, instant: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Named(tz) | Zone::Like(tz) => instant.with_timezone(&tz).naive_local(),
            Zone::Fixed(offset) => instant.with_timezone(&offset).naive_local(),
        }
    }

    /// The UTC offset (seconds) in force at an instant.
    fn offset_at(self, instant: &NaiveDateTime) -> i32 {
        match self {
            Zone::Named(tz) | Zone::Like(tz) => tz.offset_from_utc_datetime(instant).fix().local_minus_utc(),
            Zone::Fixed(offset) => offset.local_minus_utc(),
        }
    }
}

/// A DATE or DATE-TIME value with the zone it is read in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Stamp {
    /// Wall-clock time in `zone` (midnight for a DATE).
    pub local: NaiveDateTime,
    /// The zone the value is expressed in.
    pub zone: Zone,
    /// A DATE value (a whole day), not a DATE-TIME.
    pub date_only: bool,
    /// The provider gave no zone (floating time, DATE, or an unknown TZID): the default was applied.
    pub floating: bool,
}

impl Stamp {
    /// The instant this value stands for.
    pub(super) fn instant(&self) -> Option<DateTime<FixedOffset>> {
        self.zone.localise(self.local)
    }

    /// The same value moved to another wall-clock time in the same zone.
    pub(super) fn at(&self, local: NaiveDateTime) -> Stamp {
        Stamp { local, ..*self }
    }
}

/// How the TZIDs of one calendar are read.
pub(super) struct Zones<'c> {
    resolver: TzResolver<&'c str>,
    /// The calendar's VTIMEZONEs by TZID, for the ids no name table knows.
    definitions: HashMap<&'c str, &'c ICalendarComponent>,
    calendar: &'c ICalendar,
    /// Zone for floating times and DATE values: the calendar's `X-WR-TIMEZONE`, else the provider's.
    pub default: Zone,
    /// The year the fetch happened in: VTIMEZONEs are compared over it and the next.
    year: i32,
    /// TZIDs already resolved, by TZID and year.
    cache: RefCell<HashMap<(String, i32), Resolution>>,
}

/// What a TZID stands for in one year.
#[derive(Clone)]
enum Resolution {
    /// A zone.
    Zone(Zone),
    /// A VTIMEZONE no zone matches: each value gets the VTIMEZONE's offset at its own time.
    ByOffset(Rc<Observed>),
    /// Unknown, with the reason.
    Unknown(String),
}

/// Problems found while reading the calendar's zones (document-level).
pub(super) type ZoneWarnings = Vec<String>;

impl<'c> Zones<'c> {
    /// Reads the VTIMEZONEs and the calendar default zone of `cal`.
    pub(super) fn new(
        cal: &'c ICalendar,
        provider_tz: chrono_tz::Tz,
        now: DateTime<Utc>,
        warnings: &mut ZoneWarnings,
    ) -> Self {
        let definitions = cal
            .components
            .iter()
            .filter(|c| c.component_type == ICalendarComponentType::VTimezone)
            .filter_map(|c| Some((text_of(c, &ICalendarProperty::Tzid)?, c)))
            .collect();
        let mut zones = Zones {
            resolver: cal.build_tz_resolver(),
            definitions,
            calendar: cal,
            default: Zone::Named(provider_tz),
            year: now.year(),
            cache: RefCell::new(HashMap::new()),
        };
        let wr = cal
            .components
            .iter()
            .filter(|c| c.component_type == ICalendarComponentType::VCalendar)
            .find_map(|c| other_text(c, "X-WR-TIMEZONE"));
        if let Some(name) = wr.map(str::trim).filter(|n| !n.is_empty()) {
            match zones.resolve(name, None) {
                Ok(zone) => zones.default = zone,
                Err(msg) => {
                    warnings.push(format!("X-WR-TIMEZONE: {msg}; floating times are read in {}", provider_tz.name()))
                }
            }
        }
        zones
    }

    /// The zone a `TZID` names (see the module documentation), for a value at wall-clock time
    /// `at` (a VTIMEZONE is compared over that year too). `Err` says why it is unknown.
    pub(super) fn resolve(&self, tzid: &str, at: Option<NaiveDateTime>) -> Result<Zone, String> {
        let year = at.map_or(self.year, |t| t.year());
        let key = (tzid.to_owned(), year);
        let cached = self.cache.borrow().get(&key).cloned();
        let resolution = match cached {
            Some(known) => known,
            None => {
                let fresh = self.resolve_uncached(tzid, year);
                self.cache.borrow_mut().insert(key, fresh.clone());
                fresh
            }
        };
        match resolution {
            Resolution::Zone(zone) => Ok(zone),
            Resolution::Unknown(msg) => Err(msg),
            // Rules no IANA zone follows (invented or historical): the VTIMEZONE's own offset at
            // that time, exact for that instant.
            Resolution::ByOffset(observed) => {
                let local = at.or_else(|| NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0)));
                local
                    .and_then(|local| FixedOffset::east_opt(observed.offset_at_local(&local)))
                    .map(Zone::Fixed)
                    .ok_or_else(|| format!("the VTIMEZONE `{tzid}` has no usable observances"))
            }
        }
    }

    fn resolve_uncached(&self, tzid: &str, year: i32) -> Resolution {
        match self.resolver.resolve(tzid.trim()) {
            Some(calcard::common::timezone::Tz::Tz(tz)) => return Resolution::Zone(Zone::Named(tz)),
            Some(calcard::common::timezone::Tz::Fixed(offset)) => return Resolution::Zone(Zone::Fixed(offset)),
            _ => {}
        }
        if let Some(tz) = embedded_iana_name(tzid) {
            return Resolution::Zone(Zone::Named(tz));
        }
        let Some(vtimezone) = self.definitions.get(tzid) else {
            return Resolution::Unknown(format!(
                "time zone `{tzid}` is neither an IANA name nor defined by a VTIMEZONE"
            ));
        };
        let mut years = vec![self.year, self.year.saturating_add(1)];
        if !years.contains(&year) {
            years.push(year);
        }
        let last_year = years.iter().copied().max().unwrap_or(year);
        let until = NaiveDate::from_ymd_opt(last_year, 12, 31).and_then(|d| d.and_hms_opt(23, 59, 59));
        let Some(observed) = until.and_then(|until| Observed::read(self.calendar, vtimezone, until)) else {
            return Resolution::Unknown(format!("the VTIMEZONE `{tzid}` has no usable observances"));
        };
        match match_zone(&observed.samples(&years), self.default) {
            Some(zone) => Resolution::Zone(zone),
            None => Resolution::ByOffset(Rc::new(observed)),
        }
    }

    /// Reads a DATE / DATE-TIME value written with an optional `TZID`. `Ok` carries an optional
    /// warning (unknown zone: the default was applied); `Err` says why the value is unusable.
    pub(super) fn stamp(&self, value: &PartialDateTime, tzid: Option<&str>) -> Result<(Stamp, Option<String>), String> {
        let parsed = value.to_date_time().ok_or_else(|| format!("`{}` is not a valid date", show_partial(value)))?;
        let date_only = !value.has_time();
        if let Some(offset) = parsed.offset {
            let zone = if offset.local_minus_utc() == 0 { Zone::Named(chrono_tz::UTC) } else { Zone::Fixed(offset) };
            return Ok((Stamp { local: parsed.date_time, zone, date_only, floating: false }, None));
        }
        let floating = Stamp { local: parsed.date_time, zone: self.default, date_only, floating: true };
        match tzid.map(str::trim).filter(|t| !t.is_empty()) {
            _ if date_only => Ok((floating, None)),
            None => Ok((floating, None)),
            Some(tzid) => match self.resolve(tzid, Some(parsed.date_time)) {
                Ok(zone) => Ok((Stamp { zone, floating: false, ..floating }, None)),
                Err(msg) => Ok((floating, Some(format!("{msg}; the time was read in {}", self.default_name())))),
            },
        }
    }

    /// A UTC timestamp property (`LAST-MODIFIED`, `CREATED`, `DTSTAMP`); floating ones are read
    /// in the default zone.
    pub(super) fn timestamp(&self, value: &PartialDateTime) -> Option<DateTime<Utc>> {
        let (stamp, _) = self.stamp(value, None).ok()?;
        stamp.instant().map(|t| t.with_timezone(&Utc))
    }

    /// The default zone's name, for messages.
    pub(super) fn default_name(&self) -> String {
        match self.default {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Like(tz) => format!("the calendar's zone (like {})", tz.name()),
            Zone::Fixed(offset) => format!("UTC{offset}"),
        }
    }
}

/// An IANA name at the end of a decorated TZID (`custom_America/New_York`, `posix/Europe/Vaduz`,
/// `/freeassociation.sourceforge.net/Europe/Berlin`).
fn embedded_iana_name(tzid: &str) -> Option<chrono_tz::Tz> {
    let tzid = tzid.trim();
    tzid.char_indices()
        .filter(|(i, _)| tzid.get(..*i).is_some_and(|head| head.ends_with(['/', '_', ' ', '-', ':'])))
        .filter_map(|(i, _)| tzid.get(i..))
        .filter(|rest| rest.contains('/'))
        .find_map(|rest| rest.parse::<chrono_tz::Tz>().ok())
}

/// The offset changes a VTIMEZONE defines: (instant of the change in UTC, offset before,
/// offset after), sorted, up to some time.
struct Observed {
    changes: Vec<(NaiveDateTime, i32, i32)>,
}

impl Observed {
    /// Reads the STANDARD and DAYLIGHT observances of a VTIMEZONE, their RRULEs expanded up to `until`.
    fn read(cal: &ICalendar, vtimezone: &ICalendarComponent, until: NaiveDateTime) -> Option<Observed> {
        let mut changes: Vec<(NaiveDateTime, i32, i32)> = Vec::new();
        for observance in vtimezone.component_ids.iter().filter_map(|id| cal.components.get(*id as usize)) {
            if !matches!(observance.component_type, ICalendarComponentType::Standard | ICalendarComponentType::Daylight)
            {
                continue;
            }
            let offset = |prop: ICalendarProperty| match observance.property(&prop)?.values.first()? {
                ICalendarValue::PartialDateTime(p) => offset_seconds(p),
                _ => None,
            };
            let (Some(from), Some(to)) =
                (offset(ICalendarProperty::Tzoffsetfrom), offset(ICalendarProperty::Tzoffsetto))
            else {
                continue;
            };
            let Some(start) = observance.property(&ICalendarProperty::Dtstart).and_then(|e| match e.values.first() {
                Some(ICalendarValue::PartialDateTime(p)) => p.to_date_time().map(|d| d.date_time),
                _ => None,
            }) else {
                continue;
            };
            let mut onsets = vec![start];
            for entry in &observance.entries {
                for value in &entry.values {
                    match (&entry.name, value) {
                        (ICalendarProperty::Rdate, ICalendarValue::PartialDateTime(p)) => {
                            onsets.extend(p.to_date_time().map(|d| d.date_time));
                        }
                        (ICalendarProperty::Rrule, ICalendarValue::RecurrenceRule(rule)) => {
                            onsets.extend(recur::rule_starts(rule, start, until));
                        }
                        _ => {}
                    }
                }
            }
            // Onsets are wall-clock times of the offset before the change.
            let before = TimeDelta::seconds(i64::from(from));
            changes.extend(onsets.into_iter().filter_map(|t| t.checked_sub_signed(before)).map(|t| (t, from, to)));
        }
        changes.sort_unstable();
        (!changes.is_empty()).then_some(Observed { changes })
    }

    /// The offset in force at a UTC instant.
    fn offset_at(&self, utc: &NaiveDateTime) -> i32 {
        let initial = self.changes.first().map_or(0, |c| c.1);
        self.changes.iter().rev().find(|c| c.0 <= *utc).map_or(initial, |c| c.2)
    }

    /// The offset in force at a wall-clock time.
    fn offset_at_local(&self, local: &NaiveDateTime) -> i32 {
        let guess = self.offset_at(local);
        local.checked_sub_signed(TimeDelta::seconds(i64::from(guess))).map_or(guess, |utc| self.offset_at(&utc))
    }

    /// The offset at sample instants (UTC) of `years`: the 1st and 15th of every month, and three
    /// hours either side of each change.
    fn samples(&self, years: &[i32]) -> Vec<(NaiveDateTime, i32)> {
        let mut samples: Vec<NaiveDateTime> = years
            .iter()
            .flat_map(|&y| {
                (1..=12).flat_map(move |m| [1, 15].into_iter().filter_map(move |d| NaiveDate::from_ymd_opt(y, m, d)))
            })
            .filter_map(|d| d.and_hms_opt(12, 0, 0))
            .collect();
        let margin = TimeDelta::hours(3);
        for (at, _, _) in self.changes.iter().filter(|c| years.contains(&c.0.year())) {
            samples.extend(at.checked_sub_signed(margin));
            samples.extend(at.checked_add_signed(margin));
        }
        samples.into_iter().map(|t| (t, self.offset_at(&t))).collect()
    }
}

/// The zone that has these offsets at these instants: a single fixed offset, the provider's
/// zone, or the first IANA zone that agrees.
fn match_zone(samples: &[(NaiveDateTime, i32)], default: Zone) -> Option<Zone> {
    let agrees = |zone: Zone| samples.iter().all(|(t, offset)| zone.offset_at(t) == *offset);
    let first = samples.first()?.1;
    if samples.iter().all(|(_, offset)| *offset == first) {
        return FixedOffset::east_opt(first).map(Zone::Fixed);
    }
    if agrees(default) {
        return Some(default);
    }
    chrono_tz::TZ_VARIANTS.iter().map(|tz| Zone::Like(*tz)).find(|zone| agrees(*zone))
}

/// The first text value of a property.
pub(super) fn text_of<'c>(comp: &'c ICalendarComponent, prop: &ICalendarProperty) -> Option<&'c str> {
    comp.entries.iter().filter(|e| &e.name == prop).find_map(|e| match e.values.first() {
        Some(ICalendarValue::Text(s)) => Some(s.as_str()),
        _ => None,
    })
}

/// The first text value of a non-standard property (`X-…`), its name compared case-insensitively.
pub(super) fn other_text<'c>(comp: &'c ICalendarComponent, name: &str) -> Option<&'c str> {
    comp.entries.iter().find_map(|e| match (&e.name, e.values.first()) {
        (ICalendarProperty::Other(n), Some(ICalendarValue::Text(s))) if n.eq_ignore_ascii_case(name) => {
            Some(s.as_str())
        }
        _ => None,
    })
}

/// A UTC offset value (`+0300`) in seconds.
fn offset_seconds(p: &PartialDateTime) -> Option<i32> {
    let secs = i32::from(p.tz_hour?) * 3600 + i32::from(p.tz_minute.unwrap_or(0)) * 60;
    (secs < 86_400).then_some(if p.tz_minus { -secs } else { secs })
}

/// A date value as the provider wrote it, for messages (`20250230T180000`).
pub(super) fn show_partial(p: &PartialDateTime) -> String {
    let two = |v: Option<u8>| v.map_or_else(|| "??".to_owned(), |v| format!("{v:02}"));
    let mut s = if p.year.is_some() || p.month.is_some() || p.day.is_some() {
        format!("{}{}{}", p.year.map_or_else(|| "????".to_owned(), |y| format!("{y:04}")), two(p.month), two(p.day))
    } else {
        String::new()
    };
    if p.has_time() {
        s.push_str(&format!("T{}{}{}", two(p.hour), two(p.minute), two(p.second.or(Some(0)))));
    }
    if p.tz_hour == Some(0) && p.tz_minute.unwrap_or(0) == 0 {
        s.push('Z');
    } else if p.tz_hour.is_some() {
        s.push_str(&format!(
            "{}{}{}",
            if p.tz_minus { '-' } else { '+' },
            two(p.tz_hour),
            two(p.tz_minute.or(Some(0)))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn gap_times_use_the_offset_before_the_gap_and_overlaps_the_first() {
        let berlin = Zone::Named(chrono_tz::Europe::Berlin);
        // 2025-03-30 02:30 does not exist in Berlin: read with +01:00 → 03:30 CEST.
        assert_eq!(berlin.localise(naive("2025-03-30 02:30")).unwrap().to_rfc3339(), "2025-03-30T03:30:00+02:00");
        // 2025-10-26 02:30 exists twice: the first (CEST) wins.
        assert_eq!(berlin.localise(naive("2025-10-26 02:30")).unwrap().to_rfc3339(), "2025-10-26T02:30:00+02:00");
    }

    #[test]
    fn shows_partial_values_as_written() {
        let p = PartialDateTime {
            year: Some(2025),
            month: Some(2),
            day: Some(30),
            hour: Some(18),
            minute: Some(0),
            ..Default::default()
        };
        assert_eq!(show_partial(&p), "20250230T180000");
    }
}
