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
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDay, ICalendarDuration, ICalendarEntry,
    ICalendarFrequency, ICalendarProperty, ICalendarRecurrenceRule, ICalendarSkip, ICalendarValue, ICalendarWeekday,
};
use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc, Weekday};
use learncity_model::Session;

use super::zone::{Stamp, Zone};

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
                    let empty = run.starts.is_empty()
                        && (run.complete || never_occurs(rule, self.start.local, self.start.date_only));
                    if empty {
                        out.warnings.push((
                            "recurrence".into(),
                            format!(
                                "RRULE `{}` yields no occurrence at all (its parts exclude each other); only DTSTART \
                                 is kept",
                                rule.text
                            ),
                        ));
                    }
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
/// A DATE on either side compares days (an all-day EXDATE removes that day's occurrence): the
/// day the key was written on, when it was written in a zone or floating (Outlook writes an
/// all-day occurrence's RECURRENCE-ID as local midnight in its own, often Windows-named, zone,
/// whose midnight is another day in the calendar's zone); a UTC or offset key's day in the
/// occurrence's zone.
pub(super) fn same_occurrence(key: &Stamp, original: &Stamp, original_instant: DateTime<FixedOffset>) -> bool {
    if key.date_only || original.date_only {
        let written_in_zone = matches!(key.zone, Zone::Named(tz) | Zone::Like(tz) if tz != chrono_tz::UTC);
        let key_day = if key.date_only || key.floating || written_in_zone || key.zone == original.zone {
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

/// What is wrong with a rule as written: problems it is read despite (`notes`), and the one it
/// is not expanded for (`fatal`). Each names the part.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RuleCheck {
    /// Read anyway (an unknown part ignored, BYHOUR on an all-day event ignored).
    pub notes: Vec<String>,
    /// Not expanded: only DTSTART (and RDATEs) stand.
    pub fatal: Option<String>,
}

/// RFC 5545 §3.3.10 (and RFC 7529's RSCALE/SKIP) checks of a rule as written, which calcard
/// reads silently (an unknown part is skipped, `COUNT=-1` is read as 1). `parsed` is calcard's
/// reading when it could read one; `date_only` when DTSTART is a DATE.
pub(super) fn check_rule(written: &str, parsed: Option<&ICalendarRecurrenceRule>, date_only: bool) -> RuleCheck {
    const KNOWN: &[&str] = &[
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
        "RSCALE",
        "SKIP",
    ];
    const FREQS: &[&str] = &["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
    let mut check = RuleCheck::default();
    let mut fatal = |problem: String| {
        if check.fatal.is_none() {
            check.fatal = Some(problem);
        }
    };
    let parts: Vec<(String, &str, &str)> = written
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (name.trim().to_ascii_uppercase(), value.trim(), p)
        })
        .collect();
    let value = |name: &str| parts.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| *v);
    let freq = value("FREQ").map(str::to_ascii_uppercase);
    match freq.as_deref() {
        None => fatal("has no FREQ part (RFC 5545 requires one)".to_owned()),
        Some(f) if !FREQS.contains(&f) => fatal(format!("has `FREQ={f}`, which is not a frequency")),
        Some(_) => {}
    }
    for name in ["COUNT", "INTERVAL"] {
        if let Some(v) = value(name)
            && !v.parse::<u32>().is_ok_and(|n| n > 0)
        {
            fatal(format!("has `{name}={v}`, which is not a positive whole number"));
        }
    }
    if let Some(scale) = value("RSCALE").filter(|s| !s.eq_ignore_ascii_case("GREGORIAN")) {
        fatal(format!("has `RSCALE={scale}` (RFC 7529): only Gregorian rules are expanded"));
    }
    let freq = freq.as_deref().unwrap_or_default();
    let numbered_day = value("BYDAY").and_then(|days| {
        days.split(',').map(str::trim).find(|d| d.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+'))
    });
    if let Some(day) = numbered_day.filter(|_| !matches!(freq, "MONTHLY" | "YEARLY")) {
        fatal(format!("has a numbered day `{day}` in BYDAY, which RFC 5545 allows only in MONTHLY and YEARLY rules"));
    }
    let invalid_in: &[(&str, &[&str])] =
        &[("BYWEEKNO", &["YEARLY"]), ("BYYEARDAY", &["YEARLY", "HOURLY", "MINUTELY", "SECONDLY"])];
    for (name, allowed) in invalid_in {
        if value(name).is_some() && !freq.is_empty() && !allowed.contains(&freq) {
            fatal(format!("has {name}, which RFC 5545 does not allow in a FREQ={freq} rule"));
        }
    }
    if value("BYMONTHDAY").is_some() && freq == "WEEKLY" {
        fatal("has BYMONTHDAY, which RFC 5545 does not allow in a WEEKLY rule".to_owned());
    }
    if date_only && matches!(freq, "HOURLY" | "MINUTELY" | "SECONDLY") {
        fatal(format!("repeats FREQ={freq} but DTSTART is a date (an all-day event)"));
    }
    for (name, _, part) in &parts {
        if !KNOWN.contains(&name.as_str()) {
            check.notes.push(format!("has an unknown part `{part}`, which was ignored"));
        }
    }
    if value("COUNT").is_some() && value("UNTIL").is_some() {
        check.notes.push("has both COUNT and UNTIL (RFC 5545 allows one); the earlier end applies".to_owned());
    }
    let by_time: Vec<&str> = ["BYHOUR", "BYMINUTE", "BYSECOND"].into_iter().filter(|n| value(n).is_some()).collect();
    if date_only && !by_time.is_empty() {
        check.notes.push(format!(
            "has {} but DTSTART is a date (an all-day event); ignored (RFC 5545): the sessions stay all-day",
            by_time.join(", ")
        ));
    }
    if let Some(skip) = value("SKIP").filter(|s| !s.eq_ignore_ascii_case("OMIT")) {
        if value("RSCALE").is_none() {
            check.notes.push(format!("has `SKIP={skip}` without RSCALE (RFC 7529 requires RSCALE); applied anyway"));
        }
        if parsed.is_some_and(|r| !skips_by_month_day(r)) {
            check.notes.push(format!(
                "has `SKIP={skip}`, which is applied only to MONTHLY/YEARLY rules by month day; invalid dates were \
                 omitted instead"
            ));
        }
    }
    check
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
    let run = if rule.rule.skip.is_some_and(|s| s != ICalendarSkip::Omit) && skips_by_month_day(&rule.rule) {
        skip_run(&rule.rule, start, until, budget)
    } else if rule.rule.freq == ICalendarFrequency::Weekly && !rule.rule.bysetpos.is_empty() {
        weekly_setpos_run(&rule.rule, start, date_only, until, budget)?
    } else {
        calcard_run(&rule.rule, start, date_only, until, budget)?
    };
    let starts = run.0;
    let budget_hit = run.1;
    let count_done = rule.rule.count.is_some_and(|c| starts.len() as u64 >= u64::from(c));
    Ok(RuleRun { complete: !budget_hit && (count_done || ends_before_horizon), starts, budget_hit })
}

/// True when `rule` has no occurrence within eight years of `start` (a probe for rules whose
/// parts exclude each other, such as a negative BYWEEKNO with BYMONTHDAY): eight years hold
/// every weekday/month-day/leap-year combination.
fn never_occurs(rule: &Rule, start: NaiveDateTime, date_only: bool) -> bool {
    let Some(probe_end) = start.checked_add_months(Months::new(8 * 12)) else { return false };
    let probe = Rule { until_local: Some(rule.until_local.map_or(probe_end, |u| u.min(probe_end))), ..rule.clone() };
    expand_rule(&probe, start, date_only, probe_end, 1000).is_ok_and(|run| run.starts.is_empty())
}

/// Wall-clock starts of `rule` from `start` up to `until` through calcard's engine, and whether
/// the budget stopped it.
fn calcard_run(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
    date_only: bool,
    until: NaiveDateTime,
    budget: usize,
) -> Result<(Vec<NaiveDateTime>, bool), String> {
    let mut floating = rule.clone();
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
    Ok((starts, budget_hit))
}

/// WEEKLY with BYSETPOS: the set is built per whole week starting on WKST (RFC 5545; python-
/// dateutil does the same), not per seven days from DTSTART as calcard does. The rule is
/// expanded without BYSETPOS and COUNT from the WKST day of DTSTART's week, each week's set is
/// picked by position, and what falls before DTSTART or after COUNT is dropped.
fn weekly_setpos_run(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
    date_only: bool,
    until: NaiveDateTime,
    budget: usize,
) -> Result<(Vec<NaiveDateTime>, bool), String> {
    let wkst = weekday(rule.wkst.unwrap_or(ICalendarWeekday::Monday));
    let week_of = |t: &NaiveDateTime| {
        let back = (7 + t.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
        t.date() - TimeDelta::days(i64::from(back))
    };
    let mut whole = rule.clone();
    whole.bysetpos.clear();
    whole.count = None;
    if whole.byday.is_empty() {
        // BYDAY defaults to DTSTART's weekday, which the earlier start must not change.
        whole.byday.push(ICalendarDay { ordwk: None, weekday: ical_weekday(start.weekday()) });
    }
    let week_start = week_of(&start).and_time(start.time());
    let (all, budget_hit) = calcard_run(&whole, week_start, date_only, until, budget)?;
    let mut starts = Vec::new();
    for week in all.chunk_by(|a, b| week_of(a) == week_of(b)) {
        let len = i64::try_from(week.len()).unwrap_or(i64::MAX);
        let mut picked: Vec<NaiveDateTime> = rule
            .bysetpos
            .iter()
            .filter_map(|&pos| {
                let at = if pos > 0 { i64::from(pos) - 1 } else { len + i64::from(pos) };
                usize::try_from(at).ok().and_then(|i| week.get(i)).copied()
            })
            .filter(|t| *t >= start)
            .collect();
        picked.sort_unstable();
        picked.dedup();
        starts.extend(picked);
    }
    if let Some(count) = rule.count.and_then(|c| usize::try_from(c).ok()) {
        starts.truncate(count);
    }
    Ok((starts, budget_hit))
}

fn weekday(day: ICalendarWeekday) -> Weekday {
    match day {
        ICalendarWeekday::Monday => Weekday::Mon,
        ICalendarWeekday::Tuesday => Weekday::Tue,
        ICalendarWeekday::Wednesday => Weekday::Wed,
        ICalendarWeekday::Thursday => Weekday::Thu,
        ICalendarWeekday::Friday => Weekday::Fri,
        ICalendarWeekday::Saturday => Weekday::Sat,
        ICalendarWeekday::Sunday => Weekday::Sun,
    }
}

fn ical_weekday(day: Weekday) -> ICalendarWeekday {
    match day {
        Weekday::Mon => ICalendarWeekday::Monday,
        Weekday::Tue => ICalendarWeekday::Tuesday,
        Weekday::Wed => ICalendarWeekday::Wednesday,
        Weekday::Thu => ICalendarWeekday::Thursday,
        Weekday::Fri => ICalendarWeekday::Friday,
        Weekday::Sat => ICalendarWeekday::Saturday,
        Weekday::Sun => ICalendarWeekday::Sunday,
    }
}

/// True for the rules whose SKIP=BACKWARD/FORWARD (RFC 7529) [`skip_run`] applies: MONTHLY or
/// YEARLY by month day (given, or DTSTART's) and month, with no other BY part than BYMONTH and
/// positive BYMONTHDAYs. Others are expanded with invalid dates omitted (and a warning).
pub(super) fn skips_by_month_day(rule: &ICalendarRecurrenceRule) -> bool {
    matches!(rule.freq, ICalendarFrequency::Monthly | ICalendarFrequency::Yearly)
        && rule.byday.is_empty()
        && rule.byyearday.is_empty()
        && rule.byweekno.is_empty()
        && rule.bysetpos.is_empty()
        && rule.byhour.is_empty()
        && rule.byminute.is_empty()
        && rule.bysecond.is_empty()
        && rule.bymonthday.iter().all(|d| *d > 0)
}

/// MONTHLY/YEARLY by month day with RSCALE=GREGORIAN;SKIP=BACKWARD or FORWARD (RFC 7529 §3.1.2):
/// a day the month lacks (the 31st, 29 February) moves to the month's last day (BACKWARD) or
/// the next month's first (FORWARD) instead of being omitted; a date reached twice counts once.
fn skip_run(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
    until: NaiveDateTime,
    budget: usize,
) -> (Vec<NaiveDateTime>, bool) {
    let forward = rule.skip == Some(ICalendarSkip::Forward);
    let interval = u32::from(rule.interval.unwrap_or(1).max(1));
    let days: Vec<u32> = if rule.bymonthday.is_empty() {
        vec![start.day()]
    } else {
        rule.bymonthday.iter().filter_map(|d| u32::try_from(*d).ok()).collect()
    };
    let yearly = rule.freq == ICalendarFrequency::Yearly;
    let months: Vec<u32> = match (yearly, rule.bymonth.is_empty()) {
        (true, true) => vec![start.month()],
        (true, false) => rule.bymonth.iter().filter(|m| !m.is_leap()).map(|m| u32::from(m.month())).collect(),
        (false, _) => Vec::new(),
    };
    let wanted_month = |m: u32| rule.bymonth.is_empty() || rule.bymonth.iter().any(|b| u32::from(b.month()) == m);
    let count = rule.count.and_then(|c| usize::try_from(c).ok()).unwrap_or(usize::MAX);
    let Some(first) = NaiveDate::from_ymd_opt(start.year(), if yearly { 1 } else { start.month() }, 1) else {
        return (Vec::new(), false);
    };
    let mut starts: Vec<NaiveDateTime> = Vec::new();
    for period in 0u32.. {
        let step =
            if yearly { period.saturating_mul(12).saturating_mul(interval) } else { period.saturating_mul(interval) };
        let Some(period_start) = first.checked_add_months(Months::new(step)) else { break };
        if period_start.and_time(start.time()) > until || starts.len() >= count.min(budget) {
            break;
        }
        let month_starts: Vec<NaiveDate> = if yearly {
            months.iter().filter_map(|m| NaiveDate::from_ymd_opt(period_start.year(), *m, 1)).collect()
        } else if wanted_month(period_start.month()) {
            vec![period_start]
        } else {
            Vec::new()
        };
        let mut dates: Vec<NaiveDate> = Vec::new();
        for month in month_starts {
            for &day in &days {
                let date = month.with_day(day).or_else(|| {
                    let next = month.checked_add_months(Months::new(1))?;
                    if forward { Some(next) } else { next.pred_opt() }
                });
                dates.extend(date.filter(|_| day <= 31));
            }
        }
        dates.sort_unstable();
        dates.dedup();
        for date in dates {
            let t = date.and_time(start.time());
            if t >= start && t <= until && starts.last().is_none_or(|last| *last < t) && starts.len() < count {
                starts.push(t);
            }
        }
    }
    let budget_hit = starts.len() >= budget;
    starts.truncate(budget);
    (starts, budget_hit)
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
    /// differently, or calcard is wrong: BYWEEKNO, YEARLY + BYMONTHDAY without BYMONTH (every
    /// month vs DTSTART's month), and BYMINUTE on a DATE start (which the event reader ignores,
    /// see [`check_rule`]). None is usual in provider calendars. (BYSETPOS within weeks is
    /// [`weekly_setpos_run`]'s and agrees.)
    fn known_divergence(rrule: &str, dtstart: &str) -> bool {
        rrule.contains("BYWEEKNO")
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
