//! iCalendar (RFC 5545) reader: a provider's `.ics` calendar to one [`Draft`] per event UID.
//!
//! Parsing (line unfolding, escapes, parameters, non-standard TZIDs) and RRULE arithmetic are
//! calcard's; this module decides what a learning-offer catalogue needs from a calendar:
//!
//! - **Identity**: every VEVENT sharing a UID (a recurring master, its RECURRENCE-ID overrides,
//!   or one course given as several VEVENTs) becomes ONE draft whose guid is the UID; re-exported
//!   copies of one master (told apart by SEQUENCE, DTSTAMP/LAST-MODIFIED, or sharing DTSTART) are
//!   not merged: the newest wins whole, with a warning. A VEVENT
//!   without UID gets no guid (normalisation hashes it). An override whose master is absent is
//!   its own draft, guid `UID#RECURRENCE-ID`.
//! - **Time**: TZIDs are IANA names, known non-standard names, or the calendar's VTIMEZONE;
//!   floating times and DATE values are read in the calendar's `X-WR-TIMEZONE`, else the
//!   provider's zone ([`crate::ReaderSettings::time_zone`]), and marked `floating`/`all_day`.
//!   DTEND is exclusive; DURATION may replace it.
//! - **Recurrence** (see [`recur`]): RRULE/RDATE/EXDATE are expanded from DTSTART up to
//!   `fetched_at + horizon_days`; the rule is kept verbatim in [`Recurrence`]. Occurrences of an
//!   unbounded rule that ended more than [`LOOKBACK_DAYS`] before the fetch are dropped, and when
//!   an event has more than `max_sessions`, old past ones go first, then the tail is cut
//!   (`truncated`). Malformed or contradictory rules (an unknown part, `COUNT=-1`, no FREQ, a
//!   numbered BYDAY in a WEEKLY rule, a non-Gregorian RSCALE, a rule that yields nothing) are
//!   warned about by name and part. An override moves (or, with STATUS:CANCELLED, cancels) its
//!   occurrence — and with RANGE=THISANDFUTURE every later one too — and
//!   wins over an EXDATE of the same occurrence: an EXDATE on the original slot plus an override
//!   is how several calendar programs write a moved occurrence.
//! - **Privacy**: `CLASS:PRIVATE`, `CONFIDENTIAL` (and unknown classes, as RFC 5545 requires) are
//!   skipped; one document warning gives their count, never their content.
//! - **Faithful extraction**: categories verbatim, LOCATION as free text, vendor meeting
//!   properties into `online_urls`; nothing is inferred or sanitised here.
//!
//! Guarantees: no panic on any input; a document without any calendar component is
//! [`ReadError::Malformed`]; a calendar without VEVENT has no drafts (VTODO, VJOURNAL and
//! VFREEBUSY are ignored); a bad value costs a warning on its event, never the document; a
//! calendar whose text ends inside a VEVENT or VCALENDAR (a truncated document) is
//! [`CalendarOutput::incomplete`], and the event the cut falls in is not published.

mod raw;
mod recur;
mod zone;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::LazyLock;

use calcard::common::IanaString;
use calcard::icalendar::{
    ICalendar, ICalendarClassification, ICalendarComponent, ICalendarComponentType, ICalendarEntry,
    ICalendarParameterName, ICalendarParameterValue, ICalendarPeriod, ICalendarProperty, ICalendarRecurrenceRule,
    ICalendarStatus, ICalendarValue, Uri,
};
use calcard::{Entry, Parser};
use chrono::{DateTime, FixedOffset, NaiveTime, TimeDelta, Utc};
use learncity_model::{Geo, Party, Recurrence, Session, Status};
use regex::Regex;

use crate::draft::Draft;
use crate::infer::is_meeting_url;
use crate::text::resolve_url;
use crate::{ReadContext, ReadError, Warning};
use recur::{EndSpec, Instance, RDate, Rule, Series};
use zone::{Stamp, Zones, show_partial};

/// Occurrences of an unbounded rule that ended more than this many days before the fetch are
/// dropped, so an old weekly series does not spend the session cap on its past.
pub const LOOKBACK_DAYS: i64 = 30;

/// A longer horizon is read as this one (a century: enough for any catalogue).
const MAX_HORIZON_DAYS: u32 = 36_500;

/// Non-standard properties that carry a meeting join link.
const MEETING_PROPERTIES: &[&str] = &[
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
];

/// Image file endings, for ATTACH values without FMTTYPE.
const IMAGE_ENDINGS: &[&str] = &[".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".avif"];

/// Markup that shows a DESCRIPTION is HTML (Google Calendar and many CMS plugins write HTML there).
static HTML_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(/?(p|br|a|b|i|u|em|strong|ul|ol|li|div|span|h[1-6]|table|tr|td|img)\b[^>]*|/\w+)>")
        .expect("static regex")
});

/// What reading one calendar produced.
#[derive(Debug)]
pub struct CalendarOutput {
    /// One draft per UID.
    pub drafts: Vec<Draft>,
    /// Why the calendar is incomplete, when the text ends inside a VCALENDAR or VEVENT (a
    /// truncated document): its events are real, but it must not withdraw what it lacks.
    pub incomplete: Option<String>,
}

/// Reads a calendar (already decoded to text): one draft per UID.
pub fn read(text: &str, ctx: &ReadContext<'_>, warnings: &mut Vec<Warning>) -> Result<CalendarOutput, ReadError> {
    let calendars = parse(text, warnings)?;
    let scan = raw::scan(text);
    // Components still open where the text ends are the cut: `incomplete` says so, once.
    let closed_later = &scan.unterminated[..scan.unterminated.len() - scan.open_at_end.len()];
    for component in closed_later.iter().filter(|c| *c == "VEVENT" || *c == "VCALENDAR") {
        warnings.push(Warning::document(format!(
            "the calendar has a BEGIN:{component} without END:{component}; the document may be truncated"
        )));
    }
    let incomplete = truncation(&scan.open_at_end);
    let vevent_count: usize = calendars.iter().map(|c| c.components.iter().filter(|c| is_vevent(c)).count()).sum();
    // The verbatim rules are used only when the scan saw the same events calcard parsed.
    let same_events = scan.rrules.len() == vevent_count;
    let raw_rules = same_events.then_some(scan.rrules);
    // A text that ends inside a VEVENT cut that event off (a title or a description half way):
    // it is not published. (Only when the scan and calcard saw the same events, so that the last
    // one parsed is the cut one.)
    let cut_off = (same_events && scan.open_at_end.iter().any(|c| c == "VEVENT")).then(|| vevent_count - 1);
    if cut_off.is_some() {
        warnings.push(Warning::document(
            "the calendar's last event is cut off where the text ends: it is not published (a truncated document)",
        ));
    }

    let mut events = Vec::new();
    let (mut ordinal, mut private) = (0usize, 0usize);
    for cal in &calendars {
        let mut zone_warnings = Vec::new();
        let zones = Zones::new(cal, ctx.settings.tz(), ctx.fetched_at, &mut zone_warnings);
        warnings.extend(zone_warnings.into_iter().map(Warning::document));
        for comp in cal.components.iter().filter(|c| is_vevent(c)) {
            let raw = raw_rules.as_ref().and_then(|r| r.get(ordinal));
            ordinal += 1;
            if cut_off == Some(ordinal - 1) {
                continue;
            }
            if is_private(comp) {
                private += 1;
                continue;
            }
            events.push(Event::extract(comp, &zones, raw, ctx));
        }
    }
    if private > 0 {
        warnings.push(Warning::document(format!(
            "{private} private event(s) (CLASS:PRIVATE or CONFIDENTIAL) were skipped and are not published"
        )));
    }
    apply_dtstamps(&mut events, ctx.fetched_at);

    let window = Window::new(ctx);
    let drafts = group_by_uid(events)
        .into_iter()
        .flat_map(|(uid, group)| build_group(uid, group, &window))
        .map_while(|d| crate::budget::take(d.sessions.len()).then_some(d))
        .collect();
    Ok(CalendarOutput { drafts, incomplete })
}

/// Why a calendar whose text ends inside `open_at_end` (outermost first) is incomplete: a
/// calendar cut off before its END:VEVENT or END:VCALENDAR line. Components closed implicitly
/// by an outer END further on are sloppy writing, not a cut, and only warned about.
fn truncation(open_at_end: &[String]) -> Option<String> {
    if open_at_end.iter().any(|c| c == "VEVENT") {
        Some(
            "the calendar ends inside a VEVENT (no END:VEVENT / END:VCALENDAR): the document was probably \
             truncated; its complete events are published, the cut one is not, nothing is withdrawn"
                .to_owned(),
        )
    } else if open_at_end.iter().any(|c| c == "VCALENDAR") {
        Some(
            "the calendar ends without END:VCALENDAR: the document was probably truncated; its complete events \
             are published, nothing is withdrawn"
                .to_owned(),
        )
    } else {
        None
    }
}

/// Parses every calendar object in the text. `Err` when there is none.
fn parse(text: &str, warnings: &mut Vec<Warning>) -> Result<Vec<ICalendar>, ReadError> {
    let mut parser = Parser::new(text);
    let mut calendars = Vec::new();
    // Each entry consumes at least one line; the bound only guards against a parser that would not.
    for _ in 0..=text.len() {
        match parser.entry() {
            Entry::ICalendar(cal) if is_calendar(&cal) => calendars.push(cal),
            Entry::Eof => break,
            Entry::TooManyComponents => {
                warnings.push(Warning::document("the calendar has too many components; the rest was not read"));
                break;
            }
            _ => {}
        }
    }
    if calendars.is_empty() {
        return Err(ReadError::Malformed {
            format: "iCalendar",
            detail: "no BEGIN:VCALENDAR or BEGIN:VEVENT found: the document is not a calendar".into(),
        });
    }
    Ok(calendars)
}

/// A parsed object is a calendar when its root is one of RFC 5545's components.
fn is_calendar(cal: &ICalendar) -> bool {
    cal.components.first().is_some_and(|root| {
        matches!(
            root.component_type,
            ICalendarComponentType::VCalendar
                | ICalendarComponentType::VEvent
                | ICalendarComponentType::VTodo
                | ICalendarComponentType::VJournal
                | ICalendarComponentType::VFreebusy
                | ICalendarComponentType::VTimezone
        )
    })
}

fn is_vevent(comp: &ICalendarComponent) -> bool {
    comp.component_type == ICalendarComponentType::VEvent
}

/// CLASS other than PUBLIC. Unknown classes count as private (RFC 5545 §3.8.1.3).
fn is_private(comp: &ICalendarComponent) -> bool {
    comp.properties(&ICalendarProperty::Class).any(|e| match e.values.first() {
        Some(ICalendarValue::Classification(c)) => !matches!(c, ICalendarClassification::Public),
        Some(ICalendarValue::Text(t)) => !t.trim().is_empty() && !t.trim().eq_ignore_ascii_case("PUBLIC"),
        _ => false,
    })
}

/// How far sessions are expanded and kept.
struct Window {
    /// Rules are expanded up to here.
    horizon_end: DateTime<Utc>,
    /// Occurrences that ended before this may be dropped.
    lookback: DateTime<Utc>,
    /// The fetch time.
    now: DateTime<Utc>,
    /// Most sessions per draft.
    max_sessions: usize,
    /// Occurrences the document's rules may still be expanded to.
    budget: Cell<usize>,
}

impl Window {
    fn new(ctx: &ReadContext<'_>) -> Self {
        let days = |n: i64| TimeDelta::try_days(n).unwrap_or(TimeDelta::zero());
        Window {
            horizon_end: ctx
                .fetched_at
                .checked_add_signed(days(i64::from(ctx.settings.horizon_days.min(MAX_HORIZON_DAYS))))
                .unwrap_or(ctx.fetched_at),
            lookback: ctx.fetched_at.checked_sub_signed(days(LOOKBACK_DAYS)).unwrap_or(ctx.fetched_at),
            now: ctx.fetched_at,
            max_sessions: ctx.settings.max_sessions.max(1),
            budget: Cell::new(recur::DOCUMENT_BUDGET),
        }
    }
}

/// A RECURRENCE-ID.
#[derive(Debug, Clone)]
struct Rid {
    /// The occurrence it names.
    stamp: Stamp,
    /// As written, for the guid of an override without master.
    text: String,
    /// RANGE=THISANDFUTURE: the change applies to later occurrences too.
    this_and_future: bool,
}

/// One VEVENT, read.
#[derive(Debug)]
struct Event {
    uid: Option<String>,
    rid: Option<Rid>,
    /// Its dates; `None` without a usable DTSTART.
    series: Option<Series>,
    /// STATUS:CANCELLED.
    cancelled: bool,
    /// DTSTAMP, used as `updated_at` only when it is not the export time (see [`apply_dtstamps`]).
    dtstamp: Option<DateTime<Utc>>,
    /// SEQUENCE: the revision of the event (a re-exported copy with a higher one is newer).
    sequence: Option<i64>,
    /// Everything else, with the event's warnings.
    draft: Draft,
}

impl Event {
    fn extract(
        comp: &ICalendarComponent,
        zones: &Zones<'_>,
        raw_rules: Option<&Vec<String>>,
        ctx: &ReadContext<'_>,
    ) -> Event {
        let mut d = Draft::default();
        let uid = first_text(comp, &ICalendarProperty::Uid).map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
        let start_entry = comp.property(&ICalendarProperty::Dtstart);
        let start_tzid = start_entry.and_then(|e| e.tz_id());
        let rid = read_rid(comp, zones, start_tzid, &mut d);
        let start = match start_entry {
            Some(entry) => read_stamp(entry, zones, None, "start", "DTSTART", &mut d),
            None => None,
        };
        let start = start.or_else(|| rid.as_ref().map(|r| r.stamp));
        if start.is_none() && start_entry.is_none() {
            d.warn("start", "missing DTSTART: the event has no dated session");
        }
        let series = start.map(|start| Series {
            start,
            end: read_end(comp, zones, &start, start_tzid, &mut d),
            rules: read_rules(comp, zones, &start, raw_rules, &mut d),
            rdates: read_rdates(comp, zones, start_tzid, &mut d),
            exdates: read_dates(comp, &ICalendarProperty::Exdate, zones, start_tzid, "EXDATE", &mut d),
        });
        if comp.has_property(&ICalendarProperty::Exrule) {
            d.warn("recurrence", "EXRULE is obsolete (RFC 5545) and was ignored");
        }
        d.status = match comp.status() {
            Some(ICalendarStatus::Cancelled) => Status::Cancelled,
            Some(ICalendarStatus::Tentative) => Status::Tentative,
            _ => Status::Scheduled,
        };
        let cancelled = d.status == Status::Cancelled;
        fill_descriptive(comp, ctx, &mut d);
        d.updated_at = timestamp(comp, &ICalendarProperty::LastModified, zones);
        d.published_at = timestamp(comp, &ICalendarProperty::Created, zones);
        let dtstamp = timestamp(comp, &ICalendarProperty::Dtstamp, zones);
        let sequence = comp.property(&ICalendarProperty::Sequence).and_then(|e| match e.values.first() {
            Some(ICalendarValue::Integer(n)) => Some(*n),
            Some(ICalendarValue::Text(t)) => t.trim().parse().ok(),
            _ => None,
        });
        Event { uid, rid, series, cancelled, dtstamp, sequence, draft: d }
    }
}

/// Reads a DATE/DATE-TIME property value; warns under `field` when it is unusable (an unusable
/// DTSTART leaves the event without sessions, and the warning says so).
fn read_stamp(
    entry: &ICalendarEntry,
    zones: &Zones<'_>,
    tzid_default: Option<&str>,
    field: &str,
    name: &str,
    d: &mut Draft,
) -> Option<Stamp> {
    match entry.values.first() {
        Some(ICalendarValue::PartialDateTime(p)) => match zones.stamp(p, entry.tz_id().or(tzid_default)) {
            Ok((stamp, warning)) => {
                if let Some(w) = warning {
                    d.warn(field, format!("{name}: {w}"));
                }
                Some(stamp)
            }
            Err(msg) => {
                d.warn(field, format!("{name} {msg}{}", consequence(name)));
                None
            }
        },
        Some(other) => {
            let shown = value_text(other).unwrap_or_default();
            d.warn(
                field,
                format!(
                    "{name} `{}` is not a valid date{}",
                    shown.chars().take(80).collect::<String>(),
                    consequence(name)
                ),
            );
            None
        }
        None => {
            d.warn(field, format!("{name} is empty{}", consequence(name)));
            None
        }
    }
}

/// What an unusable date value costs.
fn consequence(name: &str) -> &'static str {
    match name {
        "DTSTART" => ": the event has no dated session",
        "DTEND" => ": the session has no end",
        _ => "",
    }
}

/// RECURRENCE-ID (read in DTSTART's zone when it has no TZID of its own).
fn read_rid(comp: &ICalendarComponent, zones: &Zones<'_>, start_tzid: Option<&str>, d: &mut Draft) -> Option<Rid> {
    let entry = comp.property(&ICalendarProperty::RecurrenceId)?;
    let stamp = read_stamp(entry, zones, start_tzid, "recurrence", "RECURRENCE-ID", d)?;
    let text = match entry.values.first() {
        Some(ICalendarValue::PartialDateTime(p)) => show_partial(p),
        _ => String::new(),
    };
    // calcard reads RANGE=THISANDFUTURE as `Bool(true)` (and drops other values).
    let this_and_future = entry.parameters(&ICalendarParameterName::Range).any(|v| {
        matches!(v, ICalendarParameterValue::Bool(true))
            || v.as_text().is_some_and(|t| t.eq_ignore_ascii_case("THISANDFUTURE"))
    });
    Some(Rid { stamp, text, this_and_future })
}

/// DTEND or DURATION. A DTEND without TZID is read in DTSTART's zone (a common provider slip).
fn read_end(
    comp: &ICalendarComponent,
    zones: &Zones<'_>,
    start: &Stamp,
    start_tzid: Option<&str>,
    d: &mut Draft,
) -> EndSpec {
    if let Some(entry) = comp.property(&ICalendarProperty::Dtend) {
        let Some(end) = read_stamp(entry, zones, start_tzid, "end", "DTEND", d) else {
            return EndSpec::None;
        };
        let end = if start.date_only && !end.date_only {
            Stamp { date_only: true, ..end.at(end.local.date().and_time(NaiveTime::MIN)) }
        } else {
            end
        };
        return match (start.instant(), end.instant()) {
            (Some(s), Some(e)) if e < s => {
                d.warn("end", "DTEND is before DTSTART; the end was dropped");
                EndSpec::None
            }
            _ => EndSpec::At(end),
        };
    }
    match comp.property(&ICalendarProperty::Duration).and_then(|e| e.values.first()) {
        Some(ICalendarValue::Duration(dur)) if dur.neg => {
            d.warn("end", "DURATION is negative; the end was dropped");
            EndSpec::None
        }
        Some(ICalendarValue::Duration(dur)) => EndSpec::Duration(dur.clone()),
        Some(other) => {
            let shown = value_text(other).unwrap_or_default();
            d.warn("end", format!("DURATION `{}` is not a valid duration", shown.chars().take(80).collect::<String>()));
            EndSpec::None
        }
        None => EndSpec::None,
    }
}

/// RRULEs, with their text as written when the raw scan agrees with the parse.
fn read_rules(
    comp: &ICalendarComponent,
    zones: &Zones<'_>,
    start: &Stamp,
    raw: Option<&Vec<String>>,
    d: &mut Draft,
) -> Vec<Rule> {
    let entries: Vec<&ICalendarEntry> = comp.properties(&ICalendarProperty::Rrule).collect();
    let raw = raw.filter(|r| r.len() == entries.len());
    let mut rules = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let parsed = match entry.values.first() {
            Some(ICalendarValue::RecurrenceRule(rule)) => Some(rule.as_ref()),
            _ => None,
        };
        // The rule as the provider wrote it: kept verbatim, and checked for what calcard reads silently.
        let written = raw.and_then(|r| r.get(i)).filter(|t| parsed.is_none_or(|rule| same_rule(t, rule)));
        let check = written.map(|w| recur::check_rule(w, parsed, start.date_only)).unwrap_or_default();
        if let Some(written) = written {
            for note in &check.notes {
                d.warn("recurrence", format!("RRULE `{written}` {note}"));
            }
            if let Some(problem) = &check.fatal {
                d.warn("recurrence", format!("RRULE `{written}` {problem}; the rule was ignored (not expanded)"));
                continue;
            }
        }
        match entry.values.first() {
            Some(ICalendarValue::RecurrenceRule(rule)) => {
                let text = written.cloned().unwrap_or_else(|| rule.to_string());
                let mut rule = rule.clone();
                if start.date_only {
                    // RFC 5545: BYHOUR/BYMINUTE/BYSECOND do not apply to a DATE start (warned above).
                    rule.byhour.clear();
                    rule.byminute.clear();
                    rule.bysecond.clear();
                }
                let until_local = match &rule.until {
                    None => None,
                    Some(until) => match until_wall_time(until, start, zones) {
                        Some(t) => Some(t),
                        None => {
                            d.warn("recurrence", format!("RRULE `{text}` has an invalid UNTIL and was ignored"));
                            continue;
                        }
                    },
                };
                rules.push(Rule { rule: *rule, text, until_local });
            }
            other => {
                let shown = written.map(String::as_str).or_else(|| other.and_then(value_text)).unwrap_or_default();
                d.warn(
                    "recurrence",
                    format!("RRULE `{}` cannot be read and was ignored", shown.chars().take(120).collect::<String>()),
                );
            }
        }
    }
    rules
}

/// True when a rule as written is plausibly the parsed one: same FREQ and COUNT parts (a guard
/// against pairing rules with the wrong event on broken input). A COUNT that is not a positive
/// number (which calcard reads as its absolute value, or not at all) is not compared.
fn same_rule(written: &str, parsed: &ICalendarRecurrenceRule) -> bool {
    let upper = written.to_ascii_uppercase();
    let part =
        |name: &str| upper.split(';').find_map(|p| p.trim().strip_prefix(name)).map(str::trim).map(str::to_owned);
    let freq_agrees = part("FREQ=").is_some_and(|f| f == parsed.freq.as_str());
    let count_agrees = match part("COUNT=").map(|c| c.parse::<u32>()) {
        Some(Ok(c)) if c > 0 => Some(c) == parsed.count,
        Some(_) => true,
        None => parsed.count.is_none(),
    };
    freq_agrees && count_agrees
}

/// UNTIL as a wall-clock time in the series' zone. A DATE UNTIL on a timed series covers its
/// whole day.
fn until_wall_time(
    until: &calcard::common::PartialDateTime,
    start: &Stamp,
    zones: &Zones<'_>,
) -> Option<chrono::NaiveDateTime> {
    let (stamp, _) = zones.stamp(until, None).ok()?;
    if stamp.date_only {
        let day_end = if start.date_only { NaiveTime::MIN } else { NaiveTime::from_hms_opt(23, 59, 59)? };
        return Some(stamp.local.date().and_time(day_end));
    }
    if stamp.floating {
        return Some(stamp.local);
    }
    Some(start.zone.wall_time(stamp.instant()?.with_timezone(&Utc)))
}

/// RDATE values (DATE, DATE-TIME or PERIOD).
fn read_rdates(comp: &ICalendarComponent, zones: &Zones<'_>, start_tzid: Option<&str>, d: &mut Draft) -> Vec<RDate> {
    let mut out = Vec::new();
    for entry in comp.properties(&ICalendarProperty::Rdate) {
        let tzid = entry.tz_id().or(start_tzid);
        for value in &entry.values {
            let (start, end) = match value {
                ICalendarValue::PartialDateTime(p) => (Some(p.as_ref()), None),
                ICalendarValue::Period(ICalendarPeriod::Range { start, end }) => (Some(start), Some(Ok(end))),
                ICalendarValue::Period(ICalendarPeriod::Duration { start, duration }) => {
                    (Some(start), Some(Err(duration)))
                }
                other => {
                    let shown = value_text(other).unwrap_or_default();
                    d.warn(
                        "recurrence",
                        format!("RDATE `{}` is not a valid date", shown.chars().take(80).collect::<String>()),
                    );
                    (None, None)
                }
            };
            let Some(start) = start else { continue };
            let stamp = match zones.stamp(start, tzid) {
                Ok((stamp, _)) => stamp,
                Err(msg) => {
                    d.warn("recurrence", format!("RDATE {msg}"));
                    continue;
                }
            };
            let end = match end {
                Some(Ok(end)) => zones.stamp(end, tzid).ok().and_then(|(e, _)| e.instant()),
                Some(Err(duration)) if !duration.neg => {
                    duration.to_time_delta().and_then(|delta| stamp.instant()?.checked_add_signed(delta))
                }
                _ => None,
            };
            out.push(RDate { start: stamp, end });
        }
    }
    out
}

/// Every DATE/DATE-TIME value of a multi-valued property (EXDATE).
fn read_dates(
    comp: &ICalendarComponent,
    prop: &ICalendarProperty,
    zones: &Zones<'_>,
    start_tzid: Option<&str>,
    name: &str,
    d: &mut Draft,
) -> Vec<Stamp> {
    let mut out = Vec::new();
    for entry in comp.properties(prop) {
        for value in &entry.values {
            match value {
                ICalendarValue::PartialDateTime(p) => match zones.stamp(p, entry.tz_id().or(start_tzid)) {
                    Ok((stamp, _)) => out.push(stamp),
                    Err(msg) => d.warn("recurrence", format!("{name} {msg}")),
                },
                other => {
                    let shown = value_text(other).unwrap_or_default();
                    d.warn(
                        "recurrence",
                        format!("{name} `{}` is not a valid date", shown.chars().take(80).collect::<String>()),
                    );
                }
            }
        }
    }
    out
}

/// A UTC timestamp property.
fn timestamp(comp: &ICalendarComponent, prop: &ICalendarProperty, zones: &Zones<'_>) -> Option<DateTime<Utc>> {
    match comp.property(prop)?.values.first()? {
        ICalendarValue::PartialDateTime(p) => zones.timestamp(p),
        _ => None,
    }
}

/// Title, description, categories, place, links, organiser, images.
fn fill_descriptive(comp: &ICalendarComponent, ctx: &ReadContext<'_>, d: &mut Draft) {
    let base = ctx.document_url;
    d.title = first_text(comp, &ICalendarProperty::Summary).map(str::to_owned);
    if let Some(description) = first_text(comp, &ICalendarProperty::Description).filter(|t| !t.trim().is_empty()) {
        if HTML_MARKUP.is_match(description) {
            d.description_html = Some(description.to_owned());
        } else {
            d.description_text = Some(description.to_owned());
        }
    }
    let html_alternative = comp.entries.iter().find_map(|e| {
        let styled = e.name == ICalendarProperty::StyledDescription || is_other(e, "X-ALT-DESC");
        let html = e
            .parameter(&ICalendarParameterName::Fmttype)
            .and_then(|v| v.as_text())
            .is_some_and(|t| t.eq_ignore_ascii_case("text/html"));
        if styled && html { whole_text(e).filter(|t| !t.trim().is_empty()) } else { None }
    });
    if html_alternative.is_some() {
        d.description_html = html_alternative;
    }
    for entry in comp.properties(&ICalendarProperty::Categories) {
        for term in entry.values.iter().filter_map(value_text).map(str::trim).filter(|t| !t.is_empty()) {
            if !d.categories.iter().any(|c| c == term) {
                d.categories.push(term.to_owned());
            }
        }
    }
    d.location_text =
        first_text(comp, &ICalendarProperty::Location).filter(|t| !t.trim().is_empty()).map(str::to_owned);
    if let Some(entry) = comp.property(&ICalendarProperty::Geo) {
        match read_geo(entry) {
            Some(geo) => d.location.geo = Some(geo),
            None => d.warn("geo", "GEO is not a latitude;longitude pair within -90..90 and -180..180; it was ignored"),
        }
    }
    for entry in comp.properties(&ICalendarProperty::Url) {
        let Some(href) = entry_text(entry) else { continue };
        match resolve_url(base, href) {
            Some(url) if is_meeting_url(&url) => push_unique(&mut d.online_urls, url),
            Some(url) if d.url.is_none() => d.url = Some(url),
            Some(_) => {}
            None => d.warn(
                "url",
                format!("URL `{}` is not an http(s) link; it was ignored", href.chars().take(120).collect::<String>()),
            ),
        }
    }
    let meeting_entries = comp
        .entries
        .iter()
        .filter(|e| e.name == ICalendarProperty::Conference || MEETING_PROPERTIES.iter().any(|p| is_other(e, p)));
    for entry in meeting_entries {
        if let Some(url) = whole_text(entry).and_then(|href| resolve_url(base, &href)) {
            push_unique(&mut d.online_urls, url);
        }
    }
    d.organizer = comp.property(&ICalendarProperty::Organizer).and_then(read_party);
    for entry in
        comp.entries.iter().filter(|e| e.name == ICalendarProperty::Attach || e.name == ICalendarProperty::Image)
    {
        if let Some(url) = image_url(entry).and_then(|href| resolve_url(base, href)) {
            push_unique(&mut d.images, url);
        }
    }
}

/// GEO as `lat;lon` (also `lat,lon`, which some providers write), within range.
fn read_geo(entry: &ICalendarEntry) -> Option<Geo> {
    let numbers: Vec<f64> = match entry.values.as_slice() {
        [ICalendarValue::Float(lat), ICalendarValue::Float(lon)] => vec![*lat, *lon],
        [ICalendarValue::Text(t)] => {
            t.split([';', ',']).map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?
        }
        _ => return None,
    };
    let [lat, lon] = numbers.as_slice() else { return None };
    let ok = lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon);
    ok.then_some(Geo { lat: *lat, lon: *lon })
}

/// ORGANIZER: its CN and its mailto: (or http) address.
fn read_party(entry: &ICalendarEntry) -> Option<Party> {
    let value = entry_text(entry).map(str::trim).unwrap_or_default();
    let name =
        entry.parameter(&ICalendarParameterName::Cn).and_then(|v| v.as_text()).map(str::trim).filter(|n| !n.is_empty());
    let (email, url) = match value.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mailto") => {
            (Some(rest.trim()).filter(|e| e.contains('@')), None)
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => {
            (None, Some(value))
        }
        _ => (Some(value).filter(|e| e.contains('@')), None),
    };
    let name = name.or(email)?;
    Some(Party { name: name.to_owned(), url: url.map(str::to_owned), email: email.map(str::to_owned) })
}

/// The URL of an ATTACH that is an image (FMTTYPE image/*, or an image file ending), or of IMAGE.
fn image_url(entry: &ICalendarEntry) -> Option<&str> {
    let href = match entry.values.first()? {
        ICalendarValue::Uri(Uri::Location(href)) => href.as_str(),
        ICalendarValue::Text(href) => href.as_str(),
        _ => return None,
    };
    if entry.name == ICalendarProperty::Image {
        return Some(href);
    }
    let fmttype = entry.parameter(&ICalendarParameterName::Fmttype).and_then(|v| v.as_text());
    let is_image = match fmttype {
        Some(t) => t.trim().to_ascii_lowercase().starts_with("image/"),
        None => {
            let path = href.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase();
            IMAGE_ENDINGS.iter().any(|e| path.ends_with(e))
        }
    };
    is_image.then_some(href)
}

/// DTSTAMP is when the calendar object was written: in a published calendar it is usually the
/// export time, the same for every event and new on every fetch. It stands in for a missing
/// LAST-MODIFIED only when the document's events carry different DTSTAMPs.
fn apply_dtstamps(events: &mut [Event], fetched_at: DateTime<Utc>) {
    let mut stamps: Vec<DateTime<Utc>> = events.iter().filter_map(|e| e.dtstamp).collect();
    stamps.sort_unstable();
    stamps.dedup();
    if stamps.len() < 2 {
        return;
    }
    for e in events.iter_mut().filter(|e| e.draft.updated_at.is_none()) {
        e.draft.updated_at = e.dtstamp.filter(|t| *t <= fetched_at);
    }
}

/// Groups events by UID in document order; events without UID stay alone.
fn group_by_uid(events: Vec<Event>) -> Vec<(Option<String>, Vec<Event>)> {
    let mut groups: Vec<(Option<String>, Vec<Event>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for event in events {
        match event.uid.clone() {
            Some(uid) => match index.get(&uid) {
                Some(&i) => groups[i].1.push(event),
                None => {
                    index.insert(uid.clone(), groups.len());
                    groups.push((Some(uid), vec![event]));
                }
            },
            None => groups.push((None, vec![event])),
        }
    }
    groups
}

/// The drafts of one UID: one, or one per override when the master is absent.
fn build_group(uid: Option<String>, events: Vec<Event>, window: &Window) -> Vec<Draft> {
    let (overrides, primaries): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| e.rid.is_some());
    if primaries.is_empty() {
        return overrides
            .into_iter()
            .map(|e| {
                let guid = match (&uid, &e.rid) {
                    (Some(uid), Some(rid)) if !rid.text.is_empty() => Some(format!("{uid}#{}", rid.text)),
                    (uid, _) => uid.clone(),
                };
                let mut draft = build_draft(vec![e], Vec::new(), window);
                draft.guid = guid;
                draft
            })
            .collect();
    }
    let (primaries, duplicates) = newest_copy(primaries);
    let mut draft = build_draft(primaries, overrides, window);
    if let Some(message) = duplicates {
        draft.warn("uid", message);
    }
    draft.guid = uid;
    vec![draft]
}

/// Several VEVENTs with one UID and no RECURRENCE-ID (RFC 5545 allows one). When they are
/// copies — revisions told apart by SEQUENCE, then DTSTAMP/LAST-MODIFIED, or the same DTSTART —
/// the newest wins whole (merging them would lose a newer copy's EXDATE); the last in the document
/// breaks a tie. Otherwise they are one course given as several VEVENTs, and all are read. Either
/// way the second value is the warning that duplicates were found.
fn newest_copy(primaries: Vec<Event>) -> (Vec<Event>, Option<String>) {
    if primaries.len() < 2 {
        return (primaries, None);
    }
    let version = |e: &Event| (e.sequence.unwrap_or(0), e.dtstamp.max(e.draft.updated_at));
    let versions_differ = primaries.iter().any(|e| version(e) != version(&primaries[0]));
    let start_of = |e: &Event| e.series.as_ref().map(|s| s.start.local);
    let same_start = primaries.iter().all(|e| start_of(e) == start_of(&primaries[0]));
    let n = primaries.len();
    if !versions_differ && !same_start {
        let message = format!(
            "{n} VEVENTs share this UID without RECURRENCE-ID; read as one offering with the dates of all of them"
        );
        return (primaries, Some(message));
    }
    let Some(newest) = primaries.into_iter().enumerate().max_by_key(|(i, e)| (version(e), *i)).map(|(_, e)| e) else {
        return (Vec::new(), None);
    };
    let (sequence, stamp) = version(&newest);
    let message = format!(
        "{n} copies of this event (VEVENTs with one UID and no RECURRENCE-ID) were found; only the newest (SEQUENCE \
         {sequence}{}) was read",
        stamp.map(|t| format!(", last changed {}", t.to_rfc3339())).unwrap_or_default()
    );
    (vec![newest], Some(message))
}

/// One draft from the primaries (the first gives the descriptive fields, all give sessions) and
/// the overrides of their occurrences.
fn build_draft(primaries: Vec<Event>, overrides: Vec<Event>, window: &Window) -> Draft {
    let mut primaries = primaries.into_iter();
    let Some(first) = primaries.next() else { return Draft::default() };
    let mut draft = first.draft;
    let mut all_series: Vec<Series> = first.series.into_iter().collect();
    for other in primaries {
        draft.warnings.extend(other.draft.warnings);
        draft.updated_at = draft.updated_at.max(other.draft.updated_at);
        all_series.extend(other.series);
    }
    // The item changed when any of its VEVENTs (a moved occurrence too) last changed.
    draft.updated_at = overrides.iter().map(|o| o.draft.updated_at).fold(draft.updated_at, Ord::max);

    let (mut instances, mut unbounded, mut truncated) = (Vec::new(), false, false);
    for series in &all_series {
        let expansion = series.expand(window.horizon_end, &window.budget);
        instances.extend(expansion.instances);
        unbounded |= expansion.unbounded;
        truncated |= expansion.truncated;
        draft.warnings.extend(expansion.warnings);
    }
    // Ranges first, oldest first (a later range supersedes an earlier one from its start on),
    // then single occurrences, which win over any range.
    let mut overrides = overrides;
    overrides.sort_by_key(|o| {
        let rid = o.rid.as_ref();
        (!rid.is_some_and(|r| r.this_and_future), rid.and_then(|r| r.stamp.instant()))
    });
    for ov in overrides {
        apply_override(&mut instances, ov, &mut draft, window);
    }
    let (sessions, cut_at) = select_sessions(instances, unbounded, window);
    if let Some(cut) = cut_at {
        draft.warn(
            "sessions",
            format!("only the first {} sessions were kept (up to {})", window.max_sessions, cut.to_rfc3339()),
        );
    }
    draft.sessions = sessions;
    if all_series.iter().any(|s| !s.rules.is_empty() || !s.rdates.is_empty()) {
        draft.recurrence = Some(Recurrence {
            rrule: all_series.iter().flat_map(|s| s.rules.iter().map(|r| r.text.clone())).collect(),
            rdate: all_series.iter().flat_map(|s| s.rdates.iter().filter_map(|r| r.start.instant())).collect(),
            exdate: all_series.iter().flat_map(|s| s.exdates.iter().filter_map(Stamp::instant)).collect(),
            expanded_until: cut_at.unwrap_or(window.horizon_end),
            truncated: truncated || cut_at.is_some(),
        });
    }
    draft
}

/// Applies one RECURRENCE-ID override: its occurrence moves to the override's time (keeping its
/// duration when the override gives none) and is cancelled with STATUS:CANCELLED. An override
/// of an occurrence the expansion does not hold is added as its own session. With
/// RANGE=THISANDFUTURE (RFC 5545 §3.8.4.4) the change — time shift, duration, cancellation —
/// applies to every later occurrence too, and when the range holds every session from the
/// fetch on, the override's title, description, place and link become the offering's.
fn apply_override(instances: &mut Vec<Instance>, ov: Event, draft: &mut Draft, window: &Window) {
    let Some(rid) = ov.rid else { return };
    if rid.this_and_future {
        let from = instances
            .iter()
            .find(|i| recur::same_occurrence(&rid.stamp, &i.original, i.original_start))
            .map(|i| i.original_start)
            .or_else(|| rid.stamp.instant());
        let covers_future = from.is_some_and(|from| {
            instances.iter().all(|i| i.original_start >= from || i.session.start.with_timezone(&Utc) < window.now)
        });
        if covers_future {
            adopt_descriptive(draft, &ov.draft);
        }
    }
    for (field, msg) in ov.draft.warnings {
        draft.warn(&field, format!("occurrence {}: {msg}", rid.text));
    }
    let position = instances.iter().position(|i| recur::same_occurrence(&rid.stamp, &i.original, i.original_start));
    let original_length = position.and_then(|p| instances.get(p)).and_then(|i| Some(i.session.end? - i.session.start));
    let Some(mut session) = override_session(ov.series.as_ref(), &rid, original_length) else {
        return;
    };
    session.cancelled = ov.cancelled;
    if rid.this_and_future {
        let from = position.and_then(|p| instances.get(p)).map_or(rid.stamp.instant(), |i| Some(i.original_start));
        if let Some(from) = from {
            apply_to_later(instances, from, &rid.stamp, &session);
        }
    }
    match position.and_then(|p| instances.get_mut(p)) {
        Some(instance) => {
            instance.session = session;
            instance.excluded = false;
        }
        None => {
            let original_start = rid.stamp.instant().unwrap_or(session.start);
            instances.push(Instance { original: rid.stamp, original_start, session, excluded: false });
        }
    }
}

/// The override's descriptive fields that it gives, in place of the master's.
fn adopt_descriptive(draft: &mut Draft, ov: &Draft) {
    if ov.title.is_some() {
        draft.title.clone_from(&ov.title);
    }
    if ov.description_text.is_some() || ov.description_html.is_some() {
        draft.description_text.clone_from(&ov.description_text);
        draft.description_html.clone_from(&ov.description_html);
    }
    if ov.location_text.is_some() {
        draft.location_text.clone_from(&ov.location_text);
        draft.location = ov.location.clone();
    }
    if ov.url.is_some() {
        draft.url.clone_from(&ov.url);
    }
}

/// The session an override describes.
fn override_session(series: Option<&Series>, rid: &Rid, original_length: Option<TimeDelta>) -> Option<Session> {
    let start = series.map_or(rid.stamp, |s| s.start);
    let begin = start.instant()?;
    let end = match series {
        Some(s) if s.end != EndSpec::None => recur::end_for(&s.start, &s.end, &start, begin),
        _ if start.date_only => recur::end_for(&start, &EndSpec::None, &start, begin),
        _ => original_length.and_then(|len| begin.checked_add_signed(len)),
    };
    Some(recur::session_from(&start, begin, end))
}

/// RANGE=THISANDFUTURE: every occurrence originally after `after` moves by the override's shift
/// in wall-clock time (18:00 → 19:00 stays 19:00 across a DST change), takes its duration when it
/// gives one, and its cancellation. Each starts from its original slot, so a later range
/// supersedes an earlier one.
fn apply_to_later(instances: &mut [Instance], after: DateTime<FixedOffset>, rid: &Stamp, session: &Session) {
    let shift = rid.zone.wall_time(session.start.with_timezone(&Utc)).signed_duration_since(rid.local);
    let length = session.end.map(|e| e.signed_duration_since(session.start));
    for i in instances.iter_mut().filter(|i| i.original_start > after) {
        let Some(start) = i.original.local.checked_add_signed(shift).and_then(|t| i.original.zone.localise(t)) else {
            continue;
        };
        let own_length = i.session.end.map(|e| e.signed_duration_since(i.session.start));
        i.session.start = start;
        i.session.end = length.or(own_length).and_then(|len| start.checked_add_signed(len));
        i.session.cancelled = session.cancelled;
    }
}

/// The sessions kept: EXDATEs applied, sorted, duplicates dropped, the past of unbounded rules
/// dropped, then the cap: oldest past ones first, then the tail. Returns the start of the last
/// kept session when the tail was cut.
fn select_sessions(
    instances: Vec<Instance>,
    unbounded: bool,
    window: &Window,
) -> (Vec<Session>, Option<DateTime<Utc>>) {
    let mut sessions: Vec<Session> = instances.into_iter().filter(|i| !i.excluded).map(|i| i.session).collect();
    sessions.sort_by_key(|s| (s.start, s.end));
    sessions.dedup_by(|a, b| a.start == b.start && a.end == b.end);
    let long_past = |s: &Session| s.end.unwrap_or(s.start) < window.lookback;
    if unbounded {
        sessions.retain(|s| !long_past(s));
    }
    if crate::draft::cap_sessions(&mut sessions, window.max_sessions, window.lookback) {
        let cut = sessions.last().map(|s| s.start.with_timezone(&Utc));
        return (sessions, cut);
    }
    (sessions, None)
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The first non-empty text of a property.
fn first_text<'c>(comp: &'c ICalendarComponent, prop: &ICalendarProperty) -> Option<&'c str> {
    comp.entries.iter().filter(|e| &e.name == prop).find_map(entry_text)
}

/// The first value of an entry as text (TEXT or URI).
fn entry_text(entry: &ICalendarEntry) -> Option<&str> {
    entry.values.first().and_then(value_text)
}

/// The whole text of an entry. calcard splits non-standard (`X-`) properties at unescaped
/// semicolons, which sloppy generators leave in HTML (`text/html; charset=utf-8`): the parts
/// are joined back.
fn whole_text(entry: &ICalendarEntry) -> Option<String> {
    let parts: Vec<&str> = entry.values.iter().filter_map(value_text).collect();
    (!parts.is_empty()).then(|| parts.join(";"))
}

/// A value as text: TEXT, a URI location, or any other value calcard keeps as a string.
fn value_text(value: &ICalendarValue) -> Option<&str> {
    match value {
        ICalendarValue::Uri(Uri::Location(s)) => Some(s.as_str()),
        ICalendarValue::Uri(Uri::Data(_)) => None,
        other => other.as_text(),
    }
}

/// True for a non-standard property of that name (case-insensitive).
fn is_other(entry: &ICalendarEntry, name: &str) -> bool {
    matches!(&entry.name, ICalendarProperty::Other(n) if n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReaderSettings;
    use crate::test_support::{fetched_at, with_ctx};

    /// Reads `body` (VEVENTs etc., `\n`-separated) wrapped in a VCALENDAR with CRLF lines.
    fn run_with(body: &str, settings: &ReaderSettings) -> (Vec<Draft>, Vec<Warning>) {
        let text = format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//learncity//test//EN\n{body}END:VCALENDAR\n")
            .replace('\n', "\r\n");
        read_raw(&text, settings).unwrap()
    }

    fn read_raw(text: &str, settings: &ReaderSettings) -> Result<(Vec<Draft>, Vec<Warning>), ReadError> {
        let mut warnings = Vec::new();
        with_ctx(settings, Some("https://provider.example/calendar/events.ics"), fetched_at(), |ctx| {
            read(text, ctx, &mut warnings)
        })
        .map(|out| (out.drafts, warnings))
    }

    fn run(body: &str) -> (Vec<Draft>, Vec<Warning>) {
        run_with(body, &minsk())
    }

    fn minsk() -> ReaderSettings {
        ReaderSettings { time_zone: "Europe/Minsk".into(), ..ReaderSettings::default() }
    }

    fn starts(d: &Draft) -> Vec<String> {
        d.sessions.iter().map(|s| s.start.to_rfc3339()).collect()
    }

    fn ends(d: &Draft) -> Vec<String> {
        d.sessions.iter().map(|s| s.end.map(|e| e.to_rfc3339()).unwrap_or_default()).collect()
    }

    fn only(drafts: &[Draft]) -> &Draft {
        assert_eq!(drafts.len(), 1, "{drafts:#?}");
        &drafts[0]
    }

    const BERLIN_VTIMEZONE: &str = "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\n\
DTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
TZNAME:CET\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n";

    #[test]
    fn berlin_weekly_keeps_local_time_across_both_dst_changes() {
        let (drafts, warnings) = run(&format!(
            "{BERLIN_VTIMEZONE}BEGIN:VEVENT\nUID:vhs-spring@vhs-bonn.example\nSUMMARY:Deutsch A1\nDTSTART;TZID=Europe/Berlin:20250317T180000\n\
DTEND;TZID=Europe/Berlin:20250317T193000\nRRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:vhs-autumn@vhs-bonn.example\nSUMMARY:Deutsch A2\nDTSTART;TZID=Europe/Berlin:20251020T180000\n\
DTEND;TZID=Europe/Berlin:20251020T193000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n"
        ));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            starts(&drafts[0]),
            [
                "2025-03-17T18:00:00+01:00",
                "2025-03-24T18:00:00+01:00",
                "2025-03-31T18:00:00+02:00",
                "2025-04-07T18:00:00+02:00"
            ]
        );
        assert_eq!(ends(&drafts[0])[2], "2025-03-31T19:30:00+02:00");
        assert_eq!(starts(&drafts[1]), ["2025-10-20T18:00:00+02:00", "2025-10-27T18:00:00+01:00"]);
        assert_eq!(drafts[0].sessions[0].time_zone.as_deref(), Some("Europe/Berlin"));
        let rec = drafts[0].recurrence.as_ref().unwrap();
        assert_eq!(rec.rrule, ["FREQ=WEEKLY;COUNT=4"]);
        assert!(!rec.truncated);
    }

    #[test]
    fn new_york_weekly_keeps_local_time_across_march_and_november() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:ny-1\nSUMMARY:ESL evening class\nDTSTART;TZID=America/New_York:20250303T180000\nDURATION:PT2H\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20250317T220000Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:ny-2\nSUMMARY:ESL evening class (fall)\nDTSTART;TZID=America/New_York:20251027T180000\nDURATION:PT2H\n\
RRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n",
        );
        assert_eq!(
            starts(&drafts[0]),
            ["2025-03-03T18:00:00-05:00", "2025-03-10T18:00:00-04:00", "2025-03-17T18:00:00-04:00"]
        );
        assert_eq!(ends(&drafts[0])[1], "2025-03-10T20:00:00-04:00");
        assert_eq!(starts(&drafts[1]), ["2025-10-27T18:00:00-04:00", "2025-11-03T18:00:00-05:00"]);
    }

    #[test]
    fn minsk_is_plus_three_all_year_and_utc_until_keeps_the_last_occurrence() {
        // UNTIL is the last start in UTC (as Outlook writes it): 18:00 Minsk = 15:00Z.
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:vsu-english@vsu.example\nSUMMARY:English B1\nDTSTART;TZID=Europe/Minsk:20250310T180000\n\
DTEND;TZID=Europe/Minsk:20250310T193000\nRRULE:FREQ=MONTHLY;BYDAY=2MO;UNTIL=20250908T150000Z\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert_eq!(d.sessions.len(), 7, "{:?}", starts(d));
        assert!(d.sessions.iter().all(|s| s.start.offset().local_minus_utc() == 3 * 3600));
        assert_eq!(starts(d).last().unwrap(), "2025-09-08T18:00:00+03:00");
        assert!(!d.recurrence.as_ref().unwrap().truncated);
    }

    #[test]
    fn non_standard_tzids_resolve() {
        for tzid in ["/citadel.org/20190101_1/Europe/Minsk", "Belarus Standard Time", "(UTC+03:00) Minsk"] {
            let (drafts, warnings) = run_with(
                &format!("BEGIN:VEVENT\nUID:x\nSUMMARY:Лекция\nDTSTART;TZID=\"{tzid}\":20250710T100000\nEND:VEVENT\n"),
                &ReaderSettings::default(),
            );
            assert!(warnings.is_empty(), "{tzid}: {warnings:?}");
            let d = only(&drafts);
            assert!(d.warnings.is_empty(), "{tzid}: {:?}", d.warnings);
            assert_eq!(starts(d), ["2025-07-10T10:00:00+03:00"], "{tzid}");
            assert!(!d.sessions[0].floating);
        }
    }

    #[test]
    fn custom_vtimezone_without_dst_is_a_fixed_offset_and_unknown_tzid_warns() {
        let (drafts, _) = run_with(
            "BEGIN:VTIMEZONE\nTZID:Минское время\nBEGIN:STANDARD\nDTSTART:20110327T020000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0300\nEND:STANDARD\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:a\nSUMMARY:Лекция\nDTSTART;TZID=Минское время:20250710T100000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:b\nSUMMARY:Лекция 2\nDTSTART;TZID=Mars/Olympus:20250710T100000\nEND:VEVENT\n",
            &ReaderSettings::default(),
        );
        assert_eq!(starts(&drafts[0]), ["2025-07-10T10:00:00+03:00"]);
        assert_eq!(starts(&drafts[1]), ["2025-07-10T10:00:00+00:00"]);
        assert!(drafts[1].sessions[0].floating);
        assert!(
            drafts[1].warnings.iter().any(|(f, m)| f == "start" && m.contains("Mars/Olympus")),
            "{:?}",
            drafts[1].warnings
        );
    }

    #[test]
    fn custom_vtimezones_with_dst_behave_like_the_matching_zone() {
        // Outlook's "Customized Time Zone" with EU rules, and an invented zone no IANA zone follows.
        let (drafts, warnings) = run_with(
            "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\n\
TZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
BEGIN:VTIMEZONE\nTZID:Island time\nBEGIN:STANDARD\nDTSTART:20240101T000000\nTZOFFSETFROM:+1000\nTZOFFSETTO:+1200\nEND:STANDARD\n\
BEGIN:DAYLIGHT\nDTSTART:20240505T080000\nTZOFFSETFROM:+1200\nTZOFFSETTO:+1000\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:eu\nSUMMARY:Weekly\nDTSTART;TZID=Customized Time Zone:20250324T180000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:winter\nSUMMARY:Winter\nDTSTART;TZID=Island time:20240303T080000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:summer\nSUMMARY:Summer\nDTSTART;TZID=Island time:20240803T080000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:named\nSUMMARY:Named\nDTSTART;TZID=custom_America/New_York:20250710T100000\nEND:VEVENT\n",
            &ReaderSettings::default(),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(drafts.iter().all(|d| d.warnings.is_empty()), "{drafts:#?}");
        assert_eq!(starts(&drafts[0]), ["2025-03-24T18:00:00+01:00", "2025-03-31T18:00:00+02:00"]);
        assert_eq!(drafts[0].sessions[0].time_zone, None);
        assert_eq!(starts(&drafts[1]), ["2024-03-03T08:00:00+12:00"]);
        assert_eq!(starts(&drafts[2]), ["2024-08-03T08:00:00+10:00"]);
        assert_eq!(starts(&drafts[3]), ["2025-07-10T10:00:00-04:00"]);
        assert_eq!(drafts[3].sessions[0].time_zone.as_deref(), Some("America/New_York"));
    }

    #[test]
    fn override_moves_an_excluded_occurrence_and_exdate_removes_the_others() {
        // Week 2 was moved to Thursday (EXDATE on its slot + override); week 3 is simply cancelled.
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:course-7\nSUMMARY:Английский для начинающих\nDTSTART;TZID=Europe/Minsk:20250303T180000\n\
DTEND;TZID=Europe/Minsk:20250303T193000\nRRULE:FREQ=WEEKLY;COUNT=4\n\
EXDATE;TZID=Europe/Minsk:20250310T180000,20250317T180000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:course-7\nRECURRENCE-ID;TZID=Europe/Minsk:20250310T180000\nSUMMARY:Английский (перенос)\n\
DTSTART;TZID=Europe/Minsk:20250313T170000\nDTEND;TZID=Europe/Minsk:20250313T183000\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert_eq!(d.title.as_deref(), Some("Английский для начинающих"));
        assert_eq!(starts(d), ["2025-03-03T18:00:00+03:00", "2025-03-13T17:00:00+03:00", "2025-03-24T18:00:00+03:00"]);
        assert_eq!(d.recurrence.as_ref().unwrap().exdate.len(), 2);
        assert_eq!(d.guid.as_deref(), Some("course-7"));
    }

    #[test]
    fn overrides_move_and_cancel_occurrences_and_keep_the_duration() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:lib-club\nSUMMARY:Книжный клуб\nDTSTART;TZID=Europe/Minsk:20250305T180000\nDURATION:PT1H30M\n\
RRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:lib-club\nRECURRENCE-ID;TZID=Europe/Minsk:20250312T180000\nSUMMARY:Книжный клуб — другой зал\n\
DTSTART;TZID=Europe/Minsk:20250312T190000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:lib-club\nRECURRENCE-ID;TZID=Europe/Minsk:20250319T180000\nSTATUS:CANCELLED\nSUMMARY:Книжный клуб\n\
DTSTART;TZID=Europe/Minsk:20250319T180000\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert_eq!(d.title.as_deref(), Some("Книжный клуб"));
        assert_eq!(d.status, Status::Scheduled);
        assert_eq!(starts(d), ["2025-03-05T18:00:00+03:00", "2025-03-12T19:00:00+03:00", "2025-03-19T18:00:00+03:00"]);
        assert_eq!(ends(d)[1], "2025-03-12T20:30:00+03:00");
        assert_eq!(d.sessions.iter().map(|s| s.cancelled).collect::<Vec<_>>(), [false, false, true]);
    }

    /// A RANGE=THISANDFUTURE override moved only its own occurrence (RFC 5545 §3.8.4.4: it
    /// changes that one and every later one).
    #[test]
    fn a_this_and_future_override_changes_every_later_occurrence() {
        let master = "BEGIN:VEVENT\nUID:{uid}\nSUMMARY:Рисунок\nLOCATION:Ауд. 1\nDTSTART;TZID=Europe/Minsk:20250303T180000\n\
DTEND;TZID=Europe/Minsk:20250303T193000\nRRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n";
        // From week 3 on: an hour later and an hour long.
        let (drafts, _) = run(&format!(
            "{}BEGIN:VEVENT\nUID:later\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Minsk:20250317T180000\nSUMMARY:Рисунок\n\
DTSTART;TZID=Europe/Minsk:20250317T190000\nDTEND;TZID=Europe/Minsk:20250317T200000\nLOCATION:Ауд. 5\nEND:VEVENT\n",
            master.replace("{uid}", "later")
        ));
        let d = only(&drafts);
        assert_eq!(
            starts(d),
            [
                "2025-03-03T18:00:00+03:00",
                "2025-03-10T18:00:00+03:00",
                "2025-03-17T19:00:00+03:00",
                "2025-03-24T19:00:00+03:00"
            ]
        );
        assert_eq!(ends(d)[3], "2025-03-24T20:00:00+03:00");
        // Two sessions still take place before the range: the offering keeps its place.
        assert_eq!(d.location_text.as_deref(), Some("Ауд. 1"));

        // Cancelled from week 2 on; and a range from the first occurrence moves the whole offering.
        let (drafts, _) = run(&format!(
            "{}BEGIN:VEVENT\nUID:stop\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Minsk:20250310T180000\nSTATUS:CANCELLED\n\
DTSTART;TZID=Europe/Minsk:20250310T180000\nEND:VEVENT\n{}BEGIN:VEVENT\nUID:moved\nRECURRENCE-ID;RANGE=THISANDFUTURE;\
TZID=Europe/Minsk:20250303T180000\nSUMMARY:Рисунок\nLOCATION:Ауд. 7\nDTSTART;TZID=Europe/Minsk:20250303T180000\n\
DTEND;TZID=Europe/Minsk:20250303T193000\nEND:VEVENT\n",
            master.replace("{uid}", "stop"),
            master.replace("{uid}", "moved")
        ));
        assert_eq!(drafts[0].sessions.iter().map(|s| s.cancelled).collect::<Vec<_>>(), [false, true, true, true]);
        assert_eq!(drafts[1].location_text.as_deref(), Some("Ауд. 7"));
        assert_eq!(starts(&drafts[1])[3], "2025-03-24T18:00:00+03:00");
    }

    /// WEEKLY + BYSETPOS counted the first week from DTSTART (a Thursday) instead of from WKST:
    /// the last weekday of the week of 3 March is Friday 7 March, not Wednesday 12 March.
    #[test]
    fn weekly_bysetpos_picks_within_weeks_that_start_on_wkst() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:w\nSUMMARY:W\nDTSTART;TZID=Europe/Minsk:20250306T100000\n\
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:su\nSUMMARY:Su\nDTSTART;TZID=Europe/Minsk:20250306T100000\n\
RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=SU,MO,SA;BYSETPOS=1;COUNT=2\nEND:VEVENT\n");
        assert_eq!(
            starts(&drafts[0]),
            [
                "2025-03-06T10:00:00+03:00",
                "2025-03-07T10:00:00+03:00",
                "2025-03-14T10:00:00+03:00",
                "2025-03-21T10:00:00+03:00"
            ]
        );
        // Weeks from Sunday: the first of {Su, Mo, Sa} is each Sunday (2 March is before DTSTART).
        assert_eq!(starts(&drafts[1])[1..], ["2025-03-09T10:00:00+03:00", "2025-03-16T10:00:00+03:00"]);
    }

    /// Rules that expand to nothing (a numbered BYDAY in a WEEKLY rule; a negative BYWEEKNO with
    /// a BYMONTHDAY it never holds) left the event with its DTSTART and no word.
    #[test]
    fn rules_that_expand_to_nothing_are_named() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:a\nSUMMARY:A\nDTSTART;TZID=Europe/Minsk:20250303T100000\n\
RRULE:FREQ=WEEKLY;BYDAY=3MO,WE,FR\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:b\nSUMMARY:B\nDTSTART;TZID=Europe/Minsk:20250303T100000\nRRULE:FREQ=YEARLY;BYWEEKNO=-1;BYMONTHDAY=15\nEND:VEVENT\n");
        let warned = |d: &Draft, part: &str| {
            d.warnings.iter().any(|(f, m)| f == "recurrence" && m.contains(part) && m.starts_with("RRULE `FREQ="))
        };
        assert!(warned(&drafts[0], "numbered day `3MO`"), "{:?}", drafts[0].warnings);
        assert!(
            warned(&drafts[1], "`FREQ=YEARLY;BYWEEKNO=-1;BYMONTHDAY=15` yields no occurrence"),
            "{:?}",
            drafts[1].warnings
        );
        assert!(drafts.iter().all(|d| d.sessions.len() == 1));
    }

    /// BYHOUR on a VALUE=DATE start made timed sessions of an all-day event.
    #[test]
    fn time_parts_on_an_all_day_rule_are_ignored() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:d\nSUMMARY:D\nDTSTART;VALUE=DATE:20250310\n\
RRULE:FREQ=DAILY;COUNT=3;BYHOUR=10,14;BYMINUTE=30\nEND:VEVENT\n");
        let d = only(&drafts);
        assert_eq!(d.sessions.len(), 3, "{:?}", starts(d));
        assert!(d.sessions.iter().all(|s| s.all_day));
        assert_eq!(starts(d)[2], "2025-03-12T00:00:00+03:00");
        assert!(
            d.warnings.iter().any(|(_, m)| m.contains("BYHOUR, BYMINUTE but DTSTART is a date")),
            "{:?}",
            d.warnings
        );
        assert_eq!(d.recurrence.as_ref().unwrap().rrule, ["FREQ=DAILY;COUNT=3;BYHOUR=10,14;BYMINUTE=30"]);
    }

    /// RSCALE/SKIP (RFC 7529) were ignored silently: SKIP=BACKWARD/FORWARD move a day the month
    /// lacks instead of omitting it; another calendar scale keeps only DTSTART, with a warning.
    #[test]
    fn rscale_gregorian_skip_and_other_scales() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:back\nSUMMARY:B\nDTSTART;TZID=Europe/Minsk:20250131T100000\n\
RRULE:RSCALE=GREGORIAN;FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4;SKIP=BACKWARD\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:fwd\nSUMMARY:F\nDTSTART;TZID=Europe/Minsk:20250131T100000\nRRULE:RSCALE=GREGORIAN;FREQ=MONTHLY;COUNT=4;SKIP=FORWARD\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:leap\nSUMMARY:L\nDTSTART;VALUE=DATE:20240229\nRRULE:RSCALE=GREGORIAN;FREQ=YEARLY;SKIP=FORWARD;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:omit\nSUMMARY:O\nDTSTART;TZID=Europe/Minsk:20250131T100000\nRRULE:RSCALE=GREGORIAN;FREQ=MONTHLY;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:hebrew\nSUMMARY:H\nDTSTART;TZID=Europe/Minsk:20250310T100000\nRRULE:RSCALE=HEBREW;FREQ=YEARLY;COUNT=3\nEND:VEVENT\n");
        let days = |d: &Draft| d.sessions.iter().map(|s| s.start.format("%m-%d").to_string()).collect::<Vec<_>>();
        assert_eq!(days(&drafts[0]), ["01-31", "02-28", "03-31", "04-30"]);
        assert_eq!(days(&drafts[1]), ["01-31", "03-01", "03-31", "05-01"]);
        assert_eq!(
            starts(&drafts[2]),
            ["2024-02-29T00:00:00+03:00", "2025-03-01T00:00:00+03:00", "2026-03-01T00:00:00+03:00"]
        );
        assert_eq!(days(&drafts[3]), ["01-31", "03-31", "05-31"]);
        assert!(drafts[..4].iter().all(|d| d.warnings.is_empty()), "{drafts:#?}");
        assert_eq!(drafts[4].sessions.len(), 1);
        assert!(drafts[4].warnings.iter().any(|(_, m)| m.contains("`RSCALE=HEBREW`")), "{:?}", drafts[4].warnings);
    }

    /// Malformed rules were read silently (`UNTL=` skipped, `COUNT=-1` read as 1) or their text
    /// was rewritten in the record.
    #[test]
    fn malformed_rules_name_the_part_and_stay_verbatim() {
        let event = |uid: &str, rule: &str| {
            format!(
                "BEGIN:VEVENT\nUID:{uid}\nSUMMARY:{uid}\nDTSTART;TZID=Europe/Minsk:20250303T100000\nRRULE:{rule}\nEND:VEVENT\n"
            )
        };
        let (drafts, _) = run(&[
            event("untl", "FREQ=WEEKLY;UNTL=20250401T000000Z;BYDAY=MO"),
            event("count", "FREQ=WEEKLY;COUNT=-1"),
            event("until", "FREQ=DAILY;UNTIL=20240101T000000Z"),
            event("freq", "COUNT=5;BYDAY=MO"),
        ]
        .concat());
        let warning = |d: &Draft| d.warnings.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>().join(" | ");
        assert!(
            warning(&drafts[0]).contains(
                "RRULE `FREQ=WEEKLY;UNTL=20250401T000000Z;BYDAY=MO` has an unknown part `UNTL=20250401T000000Z`"
            ),
            "{}",
            warning(&drafts[0])
        );
        assert_eq!(drafts[0].recurrence.as_ref().unwrap().rrule, ["FREQ=WEEKLY;UNTL=20250401T000000Z;BYDAY=MO"]);
        assert!(warning(&drafts[1]).contains("RRULE `FREQ=WEEKLY;COUNT=-1` has `COUNT=-1`"), "{}", warning(&drafts[1]));
        assert!(
            warning(&drafts[2])
                .contains("RRULE `FREQ=DAILY;UNTIL=20240101T000000Z` cannot be expanded: its UNTIL is before DTSTART"),
            "{}",
            warning(&drafts[2])
        );
        assert!(warning(&drafts[3]).contains("RRULE `COUNT=5;BYDAY=MO` has no FREQ part"), "{}", warning(&drafts[3]));
        assert!(drafts[1..].iter().all(|d| d.sessions.len() == 1));
    }

    /// A RECURRENCE-ID written as a date-time in a Windows zone did not find its occurrence of an
    /// all-day master (Moscow's midnight is the day before in Berlin), nor of a timed one in another zone.
    #[test]
    fn a_windows_zone_recurrence_id_finds_its_occurrence() {
        let (drafts, _) = run_with(
            "BEGIN:VEVENT\nUID:day\nSUMMARY:Ярмарка\nDTSTART;VALUE=DATE:20250310\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:day\nRECURRENCE-ID;TZID=\"Russian Standard Time\":20250311T000000\nSUMMARY:Ярмарка\nDTSTART;VALUE=DATE:20250315\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:timed\nSUMMARY:Лекция\nDTSTART;TZID=Europe/Minsk:20250310T180000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:timed\nRECURRENCE-ID;TZID=W. Europe Standard Time:20250317T160000\nSUMMARY:Лекция\n\
DTSTART;TZID=Europe/Minsk:20250318T180000\nEND:VEVENT\n",
            &ReaderSettings { time_zone: "Europe/Berlin".into(), ..ReaderSettings::default() },
        );
        let days = |d: &Draft| d.sessions.iter().map(|s| s.start.format("%m-%d").to_string()).collect::<Vec<_>>();
        assert_eq!(days(&drafts[0]), ["03-10", "03-12", "03-15"]);
        assert_eq!(starts(&drafts[1]), ["2025-03-10T18:00:00+03:00", "2025-03-18T18:00:00+03:00"]);
    }

    /// Re-exported copies of one event (one UID, no RECURRENCE-ID) were merged, so the newer
    /// copy's EXDATE was lost under the older copy's occurrence.
    #[test]
    fn the_newest_copy_of_a_duplicated_event_wins_whole() {
        let copy = |seq: &str, stamp: &str, title: &str, exdate: &str| {
            format!(
                "BEGIN:VEVENT\nUID:dup\n{seq}DTSTAMP:{stamp}\nSUMMARY:{title}\nDTSTART;TZID=Europe/Minsk:20250303T180000\n\
RRULE:FREQ=WEEKLY;COUNT=3\n{exdate}END:VEVENT\n"
            )
        };
        let exdate = "EXDATE;TZID=Europe/Minsk:20250310T180000\n";
        let (drafts, _) = run(&format!(
            "{}{}",
            copy("SEQUENCE:2\n", "20250101T000000Z", "Новая", exdate),
            copy("SEQUENCE:1\n", "20250201T000000Z", "Старая", "")
        ));
        let d = only(&drafts);
        assert_eq!(d.title.as_deref(), Some("Новая"));
        assert_eq!(starts(d), ["2025-03-03T18:00:00+03:00", "2025-03-17T18:00:00+03:00"]);
        assert!(d.warnings.iter().any(|(f, m)| f == "uid" && m.contains("2 copies")), "{:?}", d.warnings);
        // No SEQUENCE: the latest DTSTAMP wins.
        let (drafts, _) = run(&format!(
            "{}{}",
            copy("", "20250201T000000Z", "Новая", exdate),
            copy("", "20250101T000000Z", "Старая", "")
        ));
        assert_eq!(only(&drafts).title.as_deref(), Some("Новая"));
        assert_eq!(only(&drafts).sessions.len(), 2);
    }

    #[test]
    fn rdate_adds_occurrences_with_and_without_period() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:museum-tour\nSUMMARY:Экскурсия\nDTSTART;TZID=Europe/Minsk:20250308T120000\nDTEND;TZID=Europe/Minsk:20250308T130000\n\
RDATE;TZID=Europe/Minsk:20250315T120000,20250322T150000\nRDATE;VALUE=PERIOD:20250329T090000Z/20250329T120000Z\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert_eq!(
            starts(d),
            [
                "2025-03-08T12:00:00+03:00",
                "2025-03-15T12:00:00+03:00",
                "2025-03-22T15:00:00+03:00",
                "2025-03-29T09:00:00+00:00"
            ]
        );
        assert_eq!(ends(d)[2], "2025-03-22T16:00:00+03:00");
        assert_eq!(ends(d)[3], "2025-03-29T12:00:00+00:00");
        let rec = d.recurrence.as_ref().unwrap();
        assert!(rec.rrule.is_empty());
        assert_eq!(rec.rdate.len(), 3);
    }

    #[test]
    fn count_and_until_bound_the_series() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:c\nSUMMARY:Count\nDTSTART;TZID=Europe/Minsk:20250301T100000\nRRULE:FREQ=DAILY;INTERVAL=2;COUNT=5\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:u\nSUMMARY:Until\nDTSTART;TZID=Europe/Minsk:20250301T100000\nRRULE:FREQ=DAILY;UNTIL=20250304\nEND:VEVENT\n",
        );
        assert_eq!(starts(&drafts[0]).len(), 5);
        assert_eq!(starts(&drafts[0])[4], "2025-03-09T10:00:00+03:00");
        // A DATE UNTIL on a timed series covers its whole day.
        assert_eq!(starts(&drafts[1]).len(), 4);
        for d in &drafts {
            let rec = d.recurrence.as_ref().unwrap();
            assert!(!rec.truncated);
            assert_eq!(rec.expanded_until, fetched_at() + TimeDelta::days(365));
        }
    }

    #[test]
    fn all_day_single_and_multi_day_events_span_local_midnights() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:one\nSUMMARY:День открытых дверей\nDTSTART;VALUE=DATE:20250308\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:three\nSUMMARY:Книжная ярмарка\nDTSTART;VALUE=DATE:20250308\nDTEND;VALUE=DATE:20250311\nEND:VEVENT\n",
        );
        let one = &drafts[0].sessions[0];
        assert!(one.all_day && !one.floating);
        assert_eq!(one.start.to_rfc3339(), "2025-03-08T00:00:00+03:00");
        assert_eq!(one.end.unwrap().to_rfc3339(), "2025-03-09T00:00:00+03:00");
        assert_eq!(one.time_zone.as_deref(), Some("Europe/Minsk"));
        let three = &drafts[1].sessions[0];
        assert_eq!(three.end.unwrap().to_rfc3339(), "2025-03-11T00:00:00+03:00");
    }

    #[test]
    fn floating_times_use_the_calendar_zone_then_the_provider_zone() {
        let body =
            "BEGIN:VEVENT\nUID:f\nSUMMARY:Floating\nDTSTART:20250310T180000\nDTEND:20250310T190000\nEND:VEVENT\n";
        let (drafts, _) = run(body);
        let s = &drafts[0].sessions[0];
        assert!(s.floating && !s.all_day);
        assert_eq!(s.start.to_rfc3339(), "2025-03-10T18:00:00+03:00");
        assert_eq!(s.time_zone.as_deref(), Some("Europe/Minsk"));
        let (drafts, _) = run(&format!("X-WR-TIMEZONE:Europe/Berlin\n{body}"));
        assert_eq!(drafts[0].sessions[0].start.to_rfc3339(), "2025-03-10T18:00:00+01:00");
    }

    #[test]
    fn utc_times_and_dst_gaps() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:z\nSUMMARY:UTC\nDTSTART:20250310T150000Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:gap\nSUMMARY:Gap\nDTSTART;TZID=Europe/Berlin:20250330T023000\nEND:VEVENT\n");
        assert_eq!(drafts[0].sessions[0].start.to_rfc3339(), "2025-03-10T15:00:00+00:00");
        assert_eq!(drafts[0].sessions[0].time_zone.as_deref(), Some("UTC"));
        assert!(drafts[0].sessions[0].end.is_none());
        assert_eq!(drafts[1].sessions[0].start.to_rfc3339(), "2025-03-30T03:30:00+02:00");
    }

    #[test]
    fn private_and_confidential_events_are_skipped_without_leaking() {
        let (drafts, warnings) = run(
            "BEGIN:VEVENT\nUID:p\nCLASS:PRIVATE\nSUMMARY:Совещание дирекции\nDTSTART:20250310T100000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:c\nCLASS:CONFIDENTIAL\nSUMMARY:Собеседование\nDTSTART:20250310T110000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:pub\nCLASS:PUBLIC\nSUMMARY:Открытая лекция\nDTSTART:20250310T120000\nEND:VEVENT\n",
        );
        assert_eq!(only(&drafts).title.as_deref(), Some("Открытая лекция"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.starts_with("2 private event(s)"));
        assert!(warnings[0].item.is_none());
        assert!(!warnings[0].message.contains("Совещание") && !warnings[0].message.contains("Собеседование"));
    }

    #[test]
    fn one_draft_per_uid_and_orphan_overrides_keep_their_own_id() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:python-course\nSUMMARY:Python для школьников\nDTSTART;TZID=Europe/Minsk:20250311T160000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:no-uid-follows\nSUMMARY:Другое\nDTSTART;TZID=Europe/Minsk:20250311T170000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:python-course\nSUMMARY:Python для школьников (занятие 2)\nDTSTART;TZID=Europe/Minsk:20250318T160000\nEND:VEVENT\n\
BEGIN:VEVENT\nSUMMARY:Без идентификатора\nDTSTART;TZID=Europe/Minsk:20250312T160000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:weekly-master-elsewhere\nRECURRENCE-ID:20250320T150000Z\nSUMMARY:Перенесённое занятие\nDTSTART:20250321T150000Z\nEND:VEVENT\n",
        );
        assert_eq!(drafts.len(), 4);
        assert_eq!(drafts[0].guid.as_deref(), Some("python-course"));
        assert_eq!(drafts[0].title.as_deref(), Some("Python для школьников"));
        assert_eq!(starts(&drafts[0]), ["2025-03-11T16:00:00+03:00", "2025-03-18T16:00:00+03:00"]);
        assert!(drafts[0].recurrence.is_none());
        assert_eq!(drafts[2].guid, None);
        assert_eq!(drafts[3].guid.as_deref(), Some("weekly-master-elsewhere#20250320T150000Z"));
        assert_eq!(starts(&drafts[3]), ["2025-03-21T15:00:00+00:00"]);
    }

    #[test]
    fn vendor_meeting_properties_and_meeting_urls_go_to_online_urls() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:m\nSUMMARY:Вебинар\nDTSTART:20250310T150000Z\n\
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij\n\
X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/19%3ameeting_x\n\
CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.jit.si/learncity\nCONFERENCE;VALUE=URI;FEATURE=PHONE:tel:+375-17-000-00-00\n\
URL:https://us02web.zoom.us/j/123456\nURL:/events/webinar-10\nEND:VEVENT\n");
        let d = only(&drafts);
        assert_eq!(
            d.online_urls,
            [
                "https://us02web.zoom.us/j/123456",
                "https://meet.google.com/abc-defg-hij",
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x",
                "https://meet.jit.si/learncity",
            ]
        );
        assert_eq!(d.url.as_deref(), Some("https://provider.example/events/webinar-10"));
    }

    #[test]
    fn horizon_and_session_cap_truncate_and_say_so() {
        let body = "BEGIN:VEVENT\nUID:daily\nSUMMARY:Утренняя зарядка\nDTSTART;TZID=Europe/Minsk:20250301T080000\nRRULE:FREQ=DAILY\nEND:VEVENT\n";
        let (drafts, _) = run_with(body, &ReaderSettings { horizon_days: 10, ..minsk() });
        let d = only(&drafts);
        // 1 March 08:00 Minsk is before the fetch (09:00Z) but within the lookback; through 11 March 09:00Z.
        assert_eq!(d.sessions.len(), 11, "{:?}", starts(d));
        let rec = d.recurrence.as_ref().unwrap();
        assert!(rec.truncated);
        assert_eq!(rec.expanded_until, fetched_at() + TimeDelta::days(10));

        let (drafts, _) = run_with(body, &ReaderSettings { max_sessions: 5, ..minsk() });
        let d = only(&drafts);
        assert_eq!(d.sessions.len(), 5);
        let rec = d.recurrence.as_ref().unwrap();
        assert!(rec.truncated);
        assert_eq!(rec.expanded_until, d.sessions[4].start.with_timezone(&Utc));
        assert!(d.warnings.iter().any(|(f, _)| f == "sessions"));
    }

    #[test]
    fn a_calendar_of_runaway_rules_costs_bounded_work() {
        let body: String = (0..60)
            .map(|i| {
                format!(
                    "BEGIN:VEVENT\nUID:s{i}\nSUMMARY:S\nDTSTART:19900101T000000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n"
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let (drafts, _) = run(&body);
        assert_eq!(drafts.len(), 60);
        let expanded_rules =
            drafts.iter().filter(|d| !d.warnings.iter().any(|(_, m)| m.contains("was not expanded"))).count();
        assert_eq!(expanded_rules, recur::DOCUMENT_BUDGET / recur::RULE_BUDGET);
        assert!(drafts.iter().all(|d| d.recurrence.as_ref().is_some_and(|r| r.truncated)));
        assert!(drafts.iter().all(|d| d.sessions.len() <= ReaderSettings::default().max_sessions));
        println!("60 runaway rules read in {:?}", started.elapsed());
    }

    #[test]
    fn an_old_unbounded_series_keeps_only_its_recent_past() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:old\nSUMMARY:Шахматный кружок\nDTSTART;TZID=Europe/Minsk:20150106T170000\nDTEND;TZID=Europe/Minsk:20150106T183000\n\
RRULE:FREQ=WEEKLY\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        let first = d.sessions[0].start.with_timezone(&Utc);
        assert!(first >= fetched_at() - TimeDelta::days(LOOKBACK_DAYS) && first < fetched_at(), "{first}");
        assert!((55..=58).contains(&d.sessions.len()), "{}", d.sessions.len());
        assert_eq!(d.recurrence.as_ref().unwrap().rrule, ["FREQ=WEEKLY"]);
    }

    #[test]
    fn master_status_sets_the_draft_status() {
        let (drafts, _) =
            run("BEGIN:VEVENT\nUID:a\nSUMMARY:A\nSTATUS:CANCELLED\nDTSTART:20250310T150000Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:b\nSUMMARY:B\nSTATUS:TENTATIVE\nDTSTART:20250310T150000Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:c\nSUMMARY:C\nSTATUS:CONFIRMED\nDTSTART:20250310T150000Z\nEND:VEVENT\n");
        let statuses: Vec<Status> = drafts.iter().map(|d| d.status).collect();
        assert_eq!(statuses, [Status::Cancelled, Status::Tentative, Status::Scheduled]);
    }

    #[test]
    fn descriptive_properties_are_extracted_verbatim() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:full\nSUMMARY:Мастер-класс по керамике\nDTSTART;TZID=Europe/Minsk:20250315T110000\n\
DESCRIPTION:Для взрослых и подростков 12+.\\nМатериалы включены\\, стоимость 25 BYN.\n\
X-ALT-DESC;FMTTYPE=text/html:<p>Для взрослых и подростков <b>12+</b>.</p>\n\
CATEGORIES:Искусство,Мастер-класс\nCATEGORIES:Керамика\nCATEGORIES:Искусство\n\
LOCATION:Витебский областной музей\\, ул. Ленина\\, 36\nGEO:55.1904;30.2049\n\
ORGANIZER;CN=\"Музей, отдел образования\":mailto:edu@museum.example\nATTENDEE;CN=Someone:mailto:someone@example.org\n\
ATTACH;FMTTYPE=image/jpeg:https://museum.example/img/ceramics.jpg\nATTACH;FMTTYPE=application/pdf:https://museum.example/rules.pdf\n\
IMAGE;VALUE=URI;DISPLAY=BADGE:/img/badge.png\n\
CREATED:20250110T080000Z\nLAST-MODIFIED:20250201T120000Z\nDTSTAMP:20250301T085900Z\n\
URL:https://museum.example/events/ceramics\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert_eq!(
            d.description_text.as_deref(),
            Some("Для взрослых и подростков 12+.\nМатериалы включены, стоимость 25 BYN.")
        );
        assert_eq!(d.description_html.as_deref(), Some("<p>Для взрослых и подростков <b>12+</b>.</p>"));
        assert_eq!(d.categories, ["Искусство", "Мастер-класс", "Керамика"]);
        assert_eq!(d.location_text.as_deref(), Some("Витебский областной музей, ул. Ленина, 36"));
        assert_eq!(d.location.geo, Some(Geo { lat: 55.1904, lon: 30.2049 }));
        let org = d.organizer.as_ref().unwrap();
        assert_eq!((org.name.as_str(), org.email.as_deref()), ("Музей, отдел образования", Some("edu@museum.example")));
        assert_eq!(d.images, ["https://museum.example/img/ceramics.jpg", "https://provider.example/img/badge.png"]);
        assert_eq!(d.updated_at.unwrap().to_rfc3339(), "2025-02-01T12:00:00+00:00");
        assert_eq!(d.published_at.unwrap().to_rfc3339(), "2025-01-10T08:00:00+00:00");
        assert_eq!(d.url.as_deref(), Some("https://museum.example/events/ceramics"));
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn html_in_description_is_kept_as_html_and_bad_geo_warns() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:g\nSUMMARY:G\nDTSTART:20250310T150000Z\nDESCRIPTION:Запись по <a href=\"https://x.example/reg\">ссылке</a><br>до 5 марта\n\
GEO:155.0;30.2\nEND:VEVENT\n",
        );
        let d = only(&drafts);
        assert!(d.description_html.as_deref().unwrap().contains("<a href"));
        assert!(d.description_text.is_none());
        assert!(d.location.geo.is_none());
        assert!(d.warnings.iter().any(|(f, _)| f == "geo"));
    }

    #[test]
    fn html_alternative_with_unescaped_semicolons_is_kept_whole() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:h\nSUMMARY:H\nDTSTART:20250310T150000Z\n\
X-ALT-DESC;FMTTYPE=text/html:<p style=\"color: red; font-weight: bold\">Важно; приходите</p>\nEND:VEVENT\n");
        assert_eq!(
            only(&drafts).description_html.as_deref(),
            Some("<p style=\"color: red; font-weight: bold\">Важно; приходите</p>")
        );
    }

    #[test]
    fn dtstamp_counts_as_update_time_only_when_it_is_not_the_export_time() {
        let same = "BEGIN:VEVENT\nUID:a\nSUMMARY:A\nDTSTART:20250310T150000Z\nDTSTAMP:20250301T085900Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:b\nSUMMARY:B\nDTSTART:20250311T150000Z\nDTSTAMP:20250301T085900Z\nEND:VEVENT\n";
        let (drafts, _) = run(same);
        assert!(drafts.iter().all(|d| d.updated_at.is_none()));
        let (drafts, _) = run(&same.replacen("DTSTAMP:20250301T085900Z", "DTSTAMP:20250105T100000Z", 1));
        assert_eq!(drafts[0].updated_at.unwrap().to_rfc3339(), "2025-01-05T10:00:00+00:00");
    }

    #[test]
    fn folded_lines_and_duration_instead_of_dtend() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:fold\r\nSUMMARY:Курсы английского язы\r\n ка для взрослых\r\n\
DTSTART;TZID=Europe/Minsk:20250310T180000\r\nDURATION:P1DT2H\r\nRRULE:FREQ=WEEKLY;\r\n\tCOUNT=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let (drafts, _) = read_raw(text, &minsk()).unwrap();
        let d = only(&drafts);
        assert_eq!(d.title.as_deref(), Some("Курсы английского языка для взрослых"));
        assert_eq!(ends(d), ["2025-03-11T20:00:00+03:00", "2025-03-18T20:00:00+03:00"]);
        assert_eq!(d.recurrence.as_ref().unwrap().rrule, ["FREQ=WEEKLY;COUNT=2"]);
    }

    #[test]
    fn the_rule_is_kept_as_written() {
        let (drafts, _) = run(
            "BEGIN:VEVENT\nUID:r\nSUMMARY:R\nDTSTART:20250311T150000Z\nRRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10\nEND:VEVENT\n",
        );
        assert_eq!(only(&drafts).recurrence.as_ref().unwrap().rrule, ["FREQ=WEEKLY;BYDAY=TU;COUNT=10"]);
    }

    #[test]
    fn bad_dates_cost_a_warning_not_the_event() {
        let (drafts, _) = run("BEGIN:VEVENT\nUID:bad-start\nSUMMARY:Без даты\nDTSTART:2025-13-45\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:feb30\nSUMMARY:30 февраля\nDTSTART:20250230T100000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:no-start\nSUMMARY:Нет начала\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:bad-end\nSUMMARY:Плохой конец\nDTSTART:20250310T100000\nDTEND:20250310T090000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:bad-rule\nSUMMARY:Плохое правило\nDTSTART:20250310T100000\nRRULE:FREQ=SOMETIMES\nEND:VEVENT\n");
        assert_eq!(drafts.len(), 5);
        for d in &drafts[..3] {
            assert!(d.sessions.is_empty());
            assert!(d.warnings.iter().any(|(f, m)| f == "start" && m.contains("DTSTART")), "{:?}", d.warnings);
        }
        assert!(drafts[0].warnings.iter().any(|(_, m)| m.contains("2025-13-45")), "{:?}", drafts[0].warnings);
        assert!(drafts[1].warnings.iter().any(|(_, m)| m.contains("20250230T100000")), "{:?}", drafts[1].warnings);
        assert_eq!(drafts[3].sessions.len(), 1);
        assert!(drafts[3].sessions[0].end.is_none());
        assert!(drafts[3].warnings.iter().any(|(f, _)| f == "end"));
        assert_eq!(drafts[4].sessions.len(), 1);
        assert!(drafts[4].warnings.iter().any(|(f, _)| f == "recurrence"), "{:?}", drafts[4].warnings);
    }

    #[test]
    fn not_a_calendar_is_malformed_and_a_calendar_without_events_is_empty() {
        let err = read_raw("Hello, this is not a calendar.\nBEGIN:NOTHING\n", &minsk()).unwrap_err();
        assert!(matches!(err, ReadError::Malformed { format: "iCalendar", .. }), "{err:?}");
        let (drafts, warnings) =
            run("BEGIN:VTODO\nUID:t\nSUMMARY:Купить книги\nEND:VTODO\nBEGIN:VJOURNAL\nUID:j\nEND:VJOURNAL\n");
        assert!(drafts.is_empty() && warnings.is_empty());
        let (drafts, _) = read_raw(
            "BEGIN:VEVENT\r\nUID:bare\r\nSUMMARY:Bare\r\nDTSTART:20250310T100000Z\r\nEND:VEVENT\r\n",
            &minsk(),
        )
        .unwrap();
        assert_eq!(only(&drafts).guid.as_deref(), Some("bare"));
    }

    #[test]
    fn an_event_cut_off_at_the_end_is_not_published() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:Обрезано\r\nDTSTART:20250310T100000Z\r\n";
        let (drafts, warnings) = read_raw(text, &minsk()).unwrap();
        assert!(drafts.is_empty(), "{drafts:#?}");
        // One warning for the cut (the document's `incomplete` says the rest).
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("last event is cut off"), "{warnings:?}");
    }

    /// The whole read, as the collector does it: what `incomplete` says of `text`.
    fn incomplete(text: &str) -> (usize, Option<String>) {
        with_ctx(&minsk(), None, fetched_at(), |ctx| crate::read(text.as_bytes(), crate::FormatHint::Ical, ctx))
            .map(|out| (out.offerings.len(), out.incomplete))
            .unwrap()
    }

    const EVENTS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//learncity//test//EN\r\n\
BEGIN:VEVENT\r\nUID:one\r\nSUMMARY:Первое\r\nDTSTART:20250310T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:two\r\nSUMMARY:Второе\r\nDTSTART:20250311T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:three\r\nSUMMARY:Третье\r\nDTSTART:20250312T100000Z\r\nDESCRIPTION:Длинное описание\r\n  продолжается\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    /// A calendar cut off (a server dying half way through with a 200) is incomplete wherever
    /// the cut falls, so that it withdraws nothing; its events are read as far as they go.
    #[test]
    fn a_truncated_calendar_is_incomplete() {
        assert_eq!(incomplete(EVENTS), (3, None));
        // Trailing blank lines after END:VCALENDAR are no cut.
        assert_eq!(incomplete(&format!("{EVENTS}\r\n\r\n")), (3, None));
        let cut_at = |line: &str| &EVENTS[..EVENTS.find(line).unwrap()];
        // Inside the third event, inside a folded line, right after its BEGIN: the cut-off event
        // is not published (its description or title may end half way).
        for cut in [cut_at("DESCRIPTION"), cut_at("  продолжается"), cut_at("UID:three")] {
            let (n, reason) = incomplete(cut);
            let reason = reason.unwrap_or_else(|| panic!("complete: {cut:?}"));
            assert!(reason.contains("ends inside a VEVENT") && reason.contains("nothing is withdrawn"), "{reason}");
            assert_eq!(n, 2, "only the complete events: {cut:?}");
        }
        // Between two events, and after the last one but before END:VCALENDAR.
        for (cut, offerings) in [(cut_at("BEGIN:VEVENT\r\nUID:two"), 1), (cut_at("END:VCALENDAR"), 3)] {
            let (n, reason) = incomplete(cut);
            assert!(reason.as_deref().is_some_and(|r| r.contains("without END:VCALENDAR")), "{cut:?}: {reason:?}");
            assert_eq!(n, offerings, "{cut:?}");
        }
    }

    /// Only a calendar whose text ends inside a component is cut: sloppy nesting that an outer
    /// END closes, and a bare list of complete VEVENTs, are complete documents.
    #[test]
    fn a_calendar_closed_at_its_end_is_complete() {
        let sloppy = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Без конца\r\nDTSTART:20250310T100000Z\r\nEND:VCALENDAR\r\n";
        let (_, warnings) = read_raw(sloppy, &minsk()).unwrap();
        assert!(warnings.iter().any(|w| w.message.contains("BEGIN:VEVENT without END:VEVENT")), "{warnings:?}");
        assert_eq!(incomplete(sloppy).1, None);
        let bare = "BEGIN:VEVENT\r\nUID:bare\r\nSUMMARY:Bare\r\nDTSTART:20250310T100000Z\r\nEND:VEVENT\r\n";
        assert_eq!(incomplete(bare), (1, None));
        let lowercase = EVENTS.replace("END:VCALENDAR", "end:vcalendar");
        assert_eq!(incomplete(&lowercase), (3, None));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Calendars made of plausible but random lines (bad dates, rules, zones, overrides,
        /// unbalanced BEGIN/END) never make the reader panic.
        #[test]
        fn random_calendars_never_panic(lines in proptest::collection::vec(
            "(BEGIN:VEVENT|END:VEVENT|BEGIN:VTIMEZONE|END:VTIMEZONE|BEGIN:STANDARD|END:STANDARD|TZID:[A-Za-z/_ ]{0,12}|\
    TZOFFSETTO:[-+][0-9]{4}|TZOFFSETFROM:[-+][0-9]{4}|UID:[ab]|SUMMARY:[a-zа-я ]{0,8}|CLASS:[A-Z]{0,8}|STATUS:[A-Z]{0,9}|\
    DTSTART(;VALUE=DATE)?(;TZID=[A-Za-z/_]{0,14})?:[0-9]{0,8}(T[0-9]{0,6}Z?)?|DTEND:[0-9]{8}T[0-9]{6}|DURATION:-?P[0-9WDTHMS]{0,8}|\
    RRULE:FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY|HOURLY|MINUTELY|SECONDLY)(;INTERVAL=[0-9]{1,2})?(;COUNT=[0-9]{1,4})?\
    (;UNTIL=[0-9]{8}(T[0-9]{6}Z?)?)?(;BYDAY=[-+0-9A-Z,]{0,12})?(;BYMONTHDAY=[-0-9,]{0,8})?(;BYSETPOS=[-0-9,]{0,6})?|\
    RECURRENCE-ID(;RANGE=THISANDFUTURE)?:[0-9]{8}(T[0-9]{6}Z?)?|EXDATE:[0-9TZ,]{0,24}|RDATE(;VALUE=PERIOD)?:[0-9TZ/PH,]{0,24}|\
    GEO:[-0-9.;,a-z]{0,12}|URL:[a-z:/.]{0,16}|ATTACH;FMTTYPE=image/png:[a-z:/.]{0,12}|X-ALT-DESC;FMTTYPE=text/html:[<>a-z;/ ]{0,16})",
            0..40,
        )) {
            let text = format!("BEGIN:VCALENDAR\n{}\nEND:VCALENDAR\n", lines.join("\n"));
            let _ = read_raw(&text, &ReaderSettings { horizon_days: 60, max_sessions: 20, ..minsk() });
        }
    }

    /// Every `.ics` file (and libical's fuzz crashers) of the shared corpora through [`read`]:
    /// nothing may panic. Prints what the files yield.
    #[test]
    fn corpus_sweep_never_panics() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
        let mut files = Vec::new();
        for dir in ["icalendar/src", "ical.js", "libical"] {
            collect_corpus(&root.join(dir), &mut files);
        }
        files.sort();
        assert!(files.len() > 1000, "corpus not found under {}: {} files", root.display(), files.len());
        let settings = ReaderSettings::default();
        let (mut with_drafts, mut errors, mut empty, mut panics) = (0, 0, 0, Vec::new());
        let started = std::time::Instant::now();
        for path in &files {
            let bytes = std::fs::read(path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let outcome = std::panic::catch_unwind(|| {
                let mut warnings = Vec::new();
                let drafts = with_ctx(&settings, None, fetched_at(), |ctx| read(&text, ctx, &mut warnings))?.drafts;
                if std::env::var_os("ICAL_SWEEP_VERBOSE").is_some() {
                    let item_warnings: Vec<String> =
                        drafts.iter().flat_map(|d| d.warnings.iter().map(|(f, m)| format!("{f}: {m}"))).collect();
                    let sessions: usize = drafts.iter().map(|d| d.sessions.len()).sum();
                    println!(
                        "  {}: {} drafts, {sessions} sessions, {warnings:?} {item_warnings:?}",
                        path.display(),
                        drafts.len()
                    );
                }
                Ok::<usize, ReadError>(drafts.len())
            });
            match outcome {
                Ok(Ok(0)) => empty += 1,
                Ok(Ok(_)) => with_drafts += 1,
                Ok(Err(e)) => {
                    errors += 1;
                    if std::env::var_os("ICAL_SWEEP_VERBOSE").is_some() {
                        println!("  Err {}: {e}", path.display());
                    }
                }
                Err(_) => panics.push(path.display().to_string()),
            }
        }
        println!(
            "ical corpus sweep: {} files in {:?}: {with_drafts} with drafts, {empty} Ok(empty), {errors} Err, {} panics",
            files.len(),
            started.elapsed(),
            panics.len()
        );
        assert!(panics.is_empty(), "read panicked on: {panics:#?}");
    }

    fn collect_corpus(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if path.is_dir() {
                collect_corpus(&path, out);
            } else if name.ends_with(".ics")
                || (path.to_string_lossy().contains("libical/test-data")
                    && (name.starts_with("fuzz") || name.starts_with("crash")))
            {
                out.push(path);
            }
        }
    }
}
