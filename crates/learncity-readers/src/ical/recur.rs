//! Recurrence: one VEVENT's DTSTART + RRULE + RDATE − EXDATE as dated instances, expanded
//! through calcard's RRULE engine.
//!
//! Rules are expanded in wall-clock time ("floating") and every occurrence is then placed in the
//! event's zone on its own, so a weekly 18:00 event stays at 18:00 local across DST changes while
//! its UTC offset changes. A rule is never expanded past the horizon (its UNTIL is clamped), and
//! never for more than [`RULE_BUDGET`] occurrences, and a whole document for no more than
//! [`DOCUMENT_BUDGET`], so any calendar costs bounded time and memory.

use std::cell::Cell;

use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDuration, ICalendarEntry, ICalendarProperty,
    ICalendarRecurrenceRule, ICalendarValue,
};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeDelta, Timelike, Utc};
use learncity_model::Session;

use super::zone::Stamp;

/// Most occurrences one rule is expanded to (a FREQ=MINUTELY rule from 1990 stops here).
pub(super) const RULE_BUDGET: usize = 50_000;

/// Most occurrences all rules of one document are expanded to together (a calendar of a
/// thousand FREQ=SECONDLY rules stops here, after about a second in a debug build).
pub(super) const DOCUMENT_BUDGET: usize = 1_000_000;

/// How an event's end is given.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum EndSpec {
    /// Neither DTEND nor DURATION.
    None,
    /// DTEND.
    At(Stamp),
    /// DURATION (never negative here).
    Duration(ICalendarDuration),
}

/// One RDATE value: a start, or a PERIOD with its own end.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RDate {
    /// When the extra occurrence starts.
    pub start: Stamp,
    /// Its end, when given as a PERIOD.
    pub end: Option<DateTime<FixedOffset>>,
}

/// A recurrence rule with the text the provider wrote.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rule {
    /// The parsed rule.
    pub rule: ICalendarRecurrenceRule,
    /// The RRULE value as written (for [`learncity_model::Recurrence::rrule`]).
    pub text: String,
    /// Its UNTIL as a wall-clock time in the series' zone.
    pub until_local: Option<NaiveDateTime>,
}

/// The dates of one non-override VEVENT.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Series {
    /// DTSTART.
    pub start: Stamp,
    /// DTEND / DURATION.
    pub end: EndSpec,
    /// RRULEs.
    pub rules: Vec<Rule>,
    /// RDATEs.
    pub rdates: Vec<RDate>,
    /// EXDATEs.
    pub exdates: Vec<Stamp>,
}

/// One occurrence of a series.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Instance {
    /// Where the occurrence was before any override: what a RECURRENCE-ID names.
    pub original: Stamp,
    /// The instant of `original`.
    pub original_start: DateTime<FixedOffset>,
    /// The session as it takes place.
    pub session: Session,
    /// An EXDATE removes it (unless an override brings it back).
    pub excluded: bool,
}

/// What expanding one series gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Expansion {
    /// Occurrences, in no particular order.
    pub instances: Vec<Instance>,
    /// A rule has no COUNT and no UNTIL.
    pub unbounded: bool,
    /// Occurrences exist after the horizon (or after the budget).
    pub truncated: bool,
    /// Problems: (field, message).
    pub warnings: Vec<(String, String)>,
}

impl Series {
    /// Expands the series up to `horizon` (DTSTART and RDATEs are kept wherever they are),
    /// spending at most `budget` occurrences (what is spent is taken off it).
    pub(super) fn expand(&self, horizon: DateTime<Utc>, budget: &Cell<usize>) -> Expansion {
        let mut out = Expansion::default();
        let mut starts: Vec<NaiveDateTime> = vec![self.start.local];
        let horizon_local = self.start.zone.wall_time(horizon);
        for rule in &self.rules {
            out.unbounded |= rule.rule.count.is_none() && rule.rule.until.is_none();
            let allowed = budget.get().min(RULE_BUDGET);
            if allowed == 0 {
                out.truncated = true;
                out.warnings.push((
                    "recurrence".into(),
                    format!(
                        "RRULE `{}` was not expanded: the calendar has more than {DOCUMENT_BUDGET} occurrences",
                        rule.text
                    ),
                ));
                continue;
            }
            match expand_rule(rule, self.start.local, self.start.date_only, horizon_local, allowed) {
                Ok(run) => {
                    budget.set(budget.get().saturating_sub(run.starts.len()));
                    if run.budget_hit {
                        out.warnings.push((
                            "recurrence".into(),
                            format!("RRULE `{}` was expanded to its first {allowed} occurrences only", rule.text),
                        ));
                    }
                    out.truncated |= !run.complete;
                    starts.extend(run.starts);
                }
                Err(msg) => {
                    out.warnings.push(("recurrence".into(), format!("RRULE `{}` cannot be expanded: {msg}", rule.text)))
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        for local in starts {
            let original = self.start.at(local);
            if let Some(session) = self.session_at(&original) {
                let original_start = session.start;
                out.instances.push(Instance {
                    excluded: self.is_excluded(&original, &session),
                    original,
                    original_start,
                    session,
                });
            }
        }
        for rdate in &self.rdates {
            let session = match rdate.end {
                Some(end) => rdate.start.instant().map(|start| session_from(&rdate.start, start, Some(end))),
                None => self.session_at(&rdate.start),
            };
            if let Some(session) = session
                && !out.instances.iter().any(|i| i.session.start == session.start)
            {
                out.instances.push(Instance {
                    excluded: self.is_excluded(&rdate.start, &session),
                    original: rdate.start,
                    original_start: session.start,
                    session,
                });
            }
        }
        out
    }

    /// The session of an occurrence starting at `start`, with the series' duration.
    pub(super) fn session_at(&self, start: &Stamp) -> Option<Session> {
        let begin = start.instant()?;
        let end = end_for(&self.start, &self.end, start, begin);
        Some(session_from(start, begin, end))
    }

    /// True when an EXDATE names this occurrence.
    fn is_excluded(&self, original: &Stamp, session: &Session) -> bool {
        self.exdates.iter().any(|ex| same_occurrence(ex, original, session.start))
    }
}

/// True when `key` (an EXDATE or RECURRENCE-ID) names the occurrence originally at `original`.
/// A DATE on either side compares days (an all-day EXDATE removes that day's occurrence).
pub(super) fn same_occurrence(key: &Stamp, original: &Stamp, original_instant: DateTime<FixedOffset>) -> bool {
    if key.date_only || original.date_only {
        let key_day = if key.date_only || key.zone == original.zone {
            Some(key.local.date())
        } else {
            key.instant().map(|t| original.zone.wall_time(t.with_timezone(&Utc)).date())
        };
        key_day == Some(original.local.date())
    } else {
        key.instant() == Some(original_instant)
    }
}

/// The end of an occurrence that starts at `start` (instant `begin`) in a series whose first
/// occurrence is `first` with end `end`: nominal (wall-clock) durations for same-zone DTEND and
/// for the days of a DURATION, exact ones otherwise.
pub(super) fn end_for(
    first: &Stamp,
    end: &EndSpec,
    start: &Stamp,
    begin: DateTime<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    let end = match end {
        EndSpec::None if start.date_only => start.zone.localise(start.local.checked_add_signed(TimeDelta::days(1))?),
        EndSpec::None => None,
        EndSpec::At(stop) if stop.zone == first.zone && stop.floating == first.floating => {
            let nominal = stop.local.signed_duration_since(first.local);
            start.zone.localise(start.local.checked_add_signed(nominal)?)
        }
        EndSpec::At(stop) => {
            let exact = stop.instant()?.signed_duration_since(first.instant()?);
            begin.checked_add_signed(exact)
        }
        EndSpec::Duration(d) => {
            let days = i64::from(d.weeks).checked_mul(7)?.checked_add(i64::from(d.days))?;
            let exact = i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds);
            let after_days = if days == 0 {
                begin
            } else {
                start.zone.localise(start.local.checked_add_signed(TimeDelta::try_days(days)?)?)?
            };
            after_days.checked_add_signed(TimeDelta::try_seconds(exact)?)
        }
    };
    end.filter(|e| *e >= begin)
}

/// A session from a start value, its instant and end.
pub(super) fn session_from(start: &Stamp, begin: DateTime<FixedOffset>, end: Option<DateTime<FixedOffset>>) -> Session {
    Session {
        start: begin,
        end,
        time_zone: start.zone.name(),
        all_day: start.date_only,
        floating: start.floating && !start.date_only,
        cancelled: false,
    }
}

/// What expanding one rule gave.
#[derive(Debug, Clone, PartialEq)]
struct RuleRun {
    /// Wall-clock starts.
    starts: Vec<NaiveDateTime>,
    /// The rule has no occurrence after the last one returned.
    complete: bool,
    /// Expansion stopped at the budget.
    budget_hit: bool,
}

/// Expands one rule in wall-clock time from `start` up to `horizon_local` (inclusive), to at
/// most `budget` occurrences.
fn expand_rule(
    rule: &Rule,
    start: NaiveDateTime,
    date_only: bool,
    horizon_local: NaiveDateTime,
    budget: usize,
) -> Result<RuleRun, String> {
    let ends_before_horizon = rule.until_local.is_some_and(|u| u <= horizon_local);
    let until = rule.until_local.map_or(horizon_local, |u| u.min(horizon_local));
    if until < start {
        if rule.until_local.is_some_and(|u| u < start) {
            return Err("its UNTIL is before DTSTART".into());
        }
        return Ok(RuleRun { starts: Vec::new(), complete: false, budget_hit: false });
    }
    let mut floating = rule.rule.clone();
    floating.until = Some(partial(until, true));
    let event = ICalendarComponent {
        component_type: ICalendarComponentType::VEvent,
        entries: vec![
            ICalendarEntry::new(ICalendarProperty::Dtstart)
                .with_value(ICalendarValue::PartialDateTime(Box::new(partial(start, !date_only)))),
            ICalendarEntry::new(ICalendarProperty::Rrule)
                .with_value(ICalendarValue::RecurrenceRule(Box::new(floating))),
        ],
        component_ids: Vec::new(),
    };
    let calendar = ICalendar { components: vec![event] };
    let expanded = calendar.expand_dates(Tz::Floating, budget);
    if let Some(error) = expanded.errors.first() {
        return Err(error.error.to_string().to_lowercase());
    }
    let starts: Vec<NaiveDateTime> = expanded.events.iter().map(|e| e.start.naive_local()).collect();
    let budget_hit = starts.len() >= budget;
    let count_done = rule.rule.count.is_some_and(|c| starts.len() as u64 >= u64::from(c));
    Ok(RuleRun { complete: !budget_hit && (count_done || ends_before_horizon), starts, budget_hit })
}

/// Wall-clock starts of a rule from `start` up to `until` (a VTIMEZONE observance's onsets; its
/// UTC UNTIL is close enough to wall-clock time for that).
pub(super) fn rule_starts(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
    until: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    let until_local = rule.until.as_ref().and_then(|u| u.to_date_time()).map(|d| d.date_time);
    let rule = Rule { rule: rule.clone(), text: String::new(), until_local };
    expand_rule(&rule, start, false, until, RULE_BUDGET).map(|run| run.starts).unwrap_or_default()
}

/// A floating DATE-TIME (or DATE) value.
fn partial(t: NaiveDateTime, with_time: bool) -> PartialDateTime {
    let small = |v: u32| u8::try_from(v).ok();
    PartialDateTime {
        year: u16::try_from(t.year()).ok(),
        month: small(t.month()),
        day: small(t.day()),
        hour: if with_time { small(t.hour()) } else { None },
        minute: if with_time { small(t.minute()) } else { None },
        second: if with_time { small(t.second()) } else { None },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules where calcard (like python-dateutil, which it derives from) and libical read RFC 5545
    /// differently, or calcard is wrong: BYWEEKNO, BYSETPOS within weeks (calcard counts the week
    /// from DTSTART, not WKST), YEARLY + BYMONTHDAY without BYMONTH (every month vs DTSTART's
    /// month), and BYMINUTE on a DATE start. None is usual in provider calendars.
    fn known_divergence(rrule: &str, dtstart: &str) -> bool {
        rrule.contains("BYWEEKNO")
            || rrule.contains("BYSETPOS") && rrule.contains("FREQ=WEEKLY")
            || rrule.contains("FREQ=YEARLY") && rrule.contains("BYMONTHDAY") && !rrule.contains("BYMONTH=")
            || rrule.contains("BYMINUTE") && !dtstart.contains('T')
    }

    /// libical's RRULE vectors (`icalrecur_test.txt`: RRULE, DTSTART, INSTANCES) through
    /// [`expand_rule`]: reports how many agree, and requires all to but the [`known_divergence`]s.
    #[test]
    fn agrees_with_libical_rrule_vectors() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpora/libical/src/test/icalrecur_test.txt");
        let text = std::fs::read_to_string(&path).expect("libical corpus present at ../shared/corpora");
        let (mut total, mut agree, mut failures, mut divergent) = (0, 0, Vec::new(), Vec::new());
        for block in text.split("\n\n") {
            let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
            let (Some(rrule), Some(dtstart), Some(instances)) =
                (field("RRULE:"), field("DTSTART"), field("INSTANCES:"))
            else {
                continue;
            };
            // Only plain DTSTART lines (no TZID) without RSCALE/SKIP: the Gregorian engine.
            let Some(dtstart) = dtstart.strip_prefix(':') else { continue };
            if rrule.contains("RSCALE") || dtstart.ends_with('Z') || instances.contains("UNIMPLEMENTED") {
                continue;
            }
            total += 1;
            let ics = format!("BEGIN:VEVENT\nDTSTART:{dtstart}\nRRULE:{rrule}\nEND:VEVENT\n");
            let mut parser = calcard::Parser::new(&ics);
            let calcard::Entry::ICalendar(cal) = parser.entry() else { continue };
            let Some(parsed) = cal.components.first().and_then(|c| {
                c.entries.iter().find_map(|e| match e.values.first() {
                    Some(ICalendarValue::RecurrenceRule(r)) => Some((**r).clone()),
                    _ => None,
                })
            }) else {
                failures.push(format!("{rrule}: not parsed"));
                continue;
            };
            let fmt = if dtstart.contains('T') { "%Y%m%dT%H%M%S" } else { "%Y%m%d" };
            let start = if dtstart.contains('T') {
                NaiveDateTime::parse_from_str(dtstart, fmt).ok()
            } else {
                chrono::NaiveDate::parse_from_str(dtstart, fmt).ok().and_then(|d| d.and_hms_opt(0, 0, 0))
            };
            let Some(start) = start else { continue };
            let until_local = parsed.until.as_ref().and_then(|u| u.to_date_time()).map(|d| d.date_time);
            let rule = Rule { rule: parsed, text: rrule.to_owned(), until_local };
            let horizon = NaiveDateTime::parse_from_str("21000101T000000", "%Y%m%dT%H%M%S").unwrap();
            let got: Vec<String> = match expand_rule(&rule, start, !dtstart.contains('T'), horizon, RULE_BUDGET) {
                Ok(run) => {
                    run.starts.iter().take(instances.split(',').count()).map(|t| t.format(fmt).to_string()).collect()
                }
                Err(e) => vec![e],
            };
            let want: Vec<&str> = instances.split(',').filter(|s| !s.is_empty()).collect();
            if got == want {
                agree += 1;
            } else if known_divergence(rrule, dtstart) {
                divergent.push(format!("{rrule} @ {dtstart}"));
            } else {
                let at = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len()));
                failures.push(format!("{rrule} @ {dtstart}: #{at} got {:?} want {:?}", got.get(at), want.get(at)));
            }
        }
        println!("libical RRULE vectors: {agree}/{total} agree; {} known divergences:", divergent.len());
        for d in &divergent {
            println!("  {d}");
        }
        assert!(total > 100, "too few vectors read: {total}");
        assert!(failures.is_empty(), "RRULE expansion differs from libical on: {failures:#?}");
    }
}
