//! Loose date parsing for HTML pages and schema.org data: RFC 3339, ISO 8601 with or without
//! zone and seconds, date-only values, RFC 2822, `dd.mm.yyyy[ HH:MM]`, and "day + month name
//! (+ year) (+ time)" in Russian, Belarusian, English and German ("12 марта 2025 г., 18:30",
//! "пятніца, 12 сакавіка а 18:00", "March 12 at 6 pm", "12. März 2025, 18 Uhr" is not).
//!
//! Guarantees: never panics on any input (no indexing, no byte slicing of input text); a value
//! without a year gets the next occurrence not more than [`PAST_TOLERANCE_DAYS`] before "now";
//! local times are placed in a time zone without failing on DST gaps (the later valid instant)
//! or folds (the earlier one). A value is either fully understood or `None`: the caller warns.

use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use learncity_model::Session;
use regex::Regex;

/// A value without a year is placed in the year that puts it at most this many days before
/// "now": a page listing "28 декабря" read on 5 January means last December, read in October
/// it means the coming one.
pub const PAST_TOLERANCE_DAYS: i64 = 62;

/// One parsed point in time, as precise as the source was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A calendar date without time (a whole-day session).
    Date(NaiveDate),
    /// A wall-clock time without zone: placed in the provider's zone later.
    Local(NaiveDateTime),
    /// An instant with its UTC offset, as given by the source.
    Instant(DateTime<FixedOffset>),
}

impl When {
    /// The calendar date of this value (in its own offset for instants).
    pub fn date(&self) -> NaiveDate {
        match self {
            When::Date(d) => *d,
            When::Local(dt) => dt.date(),
            When::Instant(dt) => dt.date_naive(),
        }
    }

    /// The instant this value stands for, times without zone read in `tz` (a date is its local
    /// midnight).
    pub fn to_instant(&self, tz: Tz) -> DateTime<FixedOffset> {
        match self {
            When::Date(d) => localize(d.and_time(NaiveTime::MIN), tz),
            When::Local(dt) => localize(*dt, tz),
            When::Instant(dt) => *dt,
        }
    }

    /// The value shifted by a duration (a date stays a date when the duration is whole days).
    pub fn plus(&self, d: Duration) -> Option<When> {
        match self {
            When::Date(date) if d.num_seconds() % 86_400 == 0 => date.checked_add_signed(d).map(When::Date),
            When::Date(date) => date.and_time(NaiveTime::MIN).checked_add_signed(d).map(When::Local),
            When::Local(dt) => dt.checked_add_signed(d).map(When::Local),
            When::Instant(dt) => dt.checked_add_signed(d).map(When::Instant),
        }
    }
}

/// A start with an optional end, as read from one text ("12–14 марта", "18:30–20:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start.
    pub start: When,
    /// End, when the text gave one.
    pub end: Option<When>,
}

/// What "now" and "here" are for a parse: the fetch time and the provider's zone.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The fetch time ("now").
    pub now: DateTime<Utc>,
    /// The provider's zone, for "today" and for inferring years.
    pub tz: Tz,
}

impl Clock {
    /// Today's date in the provider's zone.
    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }
}

/// Checks a chrono format string: it must not be empty and must hold only specifiers chrono
/// knows (`%Q` or a trailing `%` are refused).
pub fn validate_format(format: &str) -> Result<(), String> {
    if format.trim().is_empty() {
        return Err("an empty date format cannot match anything".into());
    }
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(format!(
            "`{format}` is not a valid chrono date format (see https://docs.rs/chrono/latest/chrono/format/strftime/)"
        ));
    }
    Ok(())
}

/// Places a wall-clock time in `tz`. In a DST gap (02:30 on a spring-forward night) the time is
/// read with the offset in force before the gap, which lands after it (03:30), as calendar
/// programs do; in a fold (02:30 on a fall-back night) the earlier instant is taken.
pub fn localize(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.fixed_offset(),
        chrono::LocalResult::Ambiguous(earlier, _) => earlier.fixed_offset(),
        chrono::LocalResult::None => {
            // The offset a day before is the one in force before the gap.
            let before = naive.checked_sub_signed(Duration::days(1)).unwrap_or(naive);
            let offset = tz.offset_from_utc_datetime(&before).fix();
            let utc = naive.checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc()))).unwrap_or(naive);
            tz.from_utc_datetime(&utc).fixed_offset()
        }
    }
}

/// Parses one point in time: the first of [`parse_span`].
pub fn parse_when(text: &str, formats: &[String], clock: &Clock) -> Option<When> {
    parse_span(text, formats, clock).map(|s| s.start)
}

/// Parses a date text that may hold a range: the provider's `formats` first (the text after
/// what a format matched may hold the end), then ISO 8601 / RFC 3339 / RFC 2822, then the loose
/// patterns. `None` when no date can be found.
pub fn parse_span(text: &str, formats: &[String], clock: &Clock) -> Option<Span> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    for format in formats {
        if let Some((start, rest)) = parse_with_format(text, format, clock) {
            let end = parse_end(&rest, &start, clock);
            return Some(Span { start, end });
        }
    }
    if let Some(start) = parse_strict(text) {
        return Some(Span { start, end: None });
    }
    let loose = Loose::scan(text, clock);
    loose.span(clock)
}

/// The start of an event named in running text ("Первое занятие — 1 июня 2027 г. в 10:00",
/// "Saturday 23 January 2027, 11:00"), for items whose format gives no date: the first date
/// with a time soon after it, else the first date. Relative words ("сегодня", "tomorrow") are
/// not read here: in a description they rarely date the event. A time range right after the
/// start ("18:00–20:00") gives the end.
pub fn first_in_text(text: &str, clock: &Clock) -> Option<Span> {
    let p = PATTERNS.as_ref()?;
    let without_relative = p.relative.replace_all(text, |c: &regex::Captures<'_>| " ".repeat(c[0].len()));
    // "Заявки принимаются до 20 января", "registration closes on 1 March": a deadline, not the
    // event's date.
    let without_relative = DEADLINE_RE.replace_all(&without_relative, |c: &regex::Captures<'_>| " ".repeat(c[0].len()));
    let loose = Loose::scan(&without_relative, clock);
    // A time counts as the date's when it follows within 80 bytes and no other date lies between.
    // Else the first one shortly before it ("а 11:00, з 6 лютага", "18:00–20:00, 2 February").
    let timed = loose.dates.iter().enumerate().find_map(|(i, (pos, dm))| {
        // A range's last day ("10–14 марта, 9:30") sits one byte after its first: the time is the first's.
        let next_date = loose.dates[i + 1..].iter().map(|(p, _)| *p).find(|p| *p > pos + 1).unwrap_or(usize::MAX);
        let prev_date = i.checked_sub(1).and_then(|j| loose.dates.get(j)).map_or(0, |(p, _)| *p);
        let after = loose.times.iter().find(|(tp, _)| *tp > *pos && *tp < pos + 80 && *tp < next_date);
        let before = || loose.times.iter().find(|(tp, _)| *tp < *pos && tp + 80 > *pos && *tp >= prev_date);
        Some((*dm, Some(*after.or_else(before)?)))
    });
    let (dm, time) = timed.or_else(|| loose.dates.first().map(|(_, dm)| (*dm, None)))?;
    let date = resolve_date(dm, clock.today())?;
    let start = match time {
        Some((_, t)) => When::Local(date.and_time(t)),
        None => When::Date(date),
    };
    let end = time.and_then(|(tp, _)| {
        let (ep, et) = loose.times.iter().find(|(p, _)| *p > tp)?;
        let between = without_relative.get(tp..*ep)?;
        (ep - tp < 16 && between.contains(['-', '–', '—'])).then(|| time_on_start_day(&start, *et))
    });
    Some(Span { start, end })
}

/// Why `text` gave no date, in words for a provider: a day that does not exist ("31.02.2025")
/// or a text this parser does not understand.
pub fn explain_failure(text: &str, clock: &Clock) -> String {
    if names_impossible_day(text, clock) {
        format!("`{}` names a day that does not exist", text.trim())
    } else {
        format!("`{}` is not a date this reader understands", text.trim())
    }
}

/// True when `text` is written as a date but the day does not exist (31 February).
pub fn names_impossible_day(text: &str, clock: &Clock) -> bool {
    // Such a day is written with digits ("31.02", "30 февраля"); words like "завтра" are not.
    text.chars().any(|c| c.is_ascii_digit()) && !Loose::scan(text.trim(), clock).dates.is_empty()
}

/// Parses an end text that may be a full date or only a time ("20:00"), which then falls on
/// the start's day (or the next day when it is earlier than the start time).
pub fn parse_end_text(text: &str, formats: &[String], start: &When, clock: &Clock) -> Option<When> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    for format in formats {
        if let Some((end, _)) = parse_with_format(text, format, clock) {
            return Some(end);
        }
    }
    if let Some(end) = parse_strict(text) {
        return Some(end);
    }
    parse_end(text, start, clock)
}

/// Loose end: a date (with or without time) or a time on the start's day.
fn parse_end(text: &str, start: &When, clock: &Clock) -> Option<When> {
    let loose = Loose::scan(text, clock);
    if loose.dates.is_empty() {
        let time = loose.times.first()?.1;
        return Some(time_on_start_day(start, time));
    }
    let span = loose.span(clock)?;
    // An end without year belongs to the start's year (or the next, when it would be earlier).
    Some(match (span.start, loose.dates.first().is_some_and(|d| d.1.year.is_none())) {
        (When::Date(d), true) => When::Date(same_year_after(d, start.date())),
        (When::Local(dt), true) => When::Local(same_year_after(dt.date(), start.date()).and_time(dt.time())),
        (other, _) => other,
    })
}

/// Moves a year-less date into the year of `anchor`, or the following year when it would fall
/// before `anchor`.
fn same_year_after(d: NaiveDate, anchor: NaiveDate) -> NaiveDate {
    let in_year = NaiveDate::from_ymd_opt(anchor.year(), d.month(), d.day());
    match in_year {
        Some(x) if x >= anchor => x,
        _ => NaiveDate::from_ymd_opt(anchor.year() + 1, d.month(), d.day()).unwrap_or(d),
    }
}

/// `time` on the start's day; a time earlier than the start's ("22:00–01:00") is the next day.
fn time_on_start_day(start: &When, time: NaiveTime) -> When {
    match start {
        When::Date(d) => When::Local(d.and_time(time)),
        When::Local(dt) => {
            let end = dt.date().and_time(time);
            When::Local(if end < *dt { end.checked_add_signed(Duration::days(1)).unwrap_or(end) } else { end })
        }
        When::Instant(dt) => {
            let naive = dt.date_naive().and_time(time);
            let end = dt.offset().from_local_datetime(&naive).single().unwrap_or(*dt);
            When::Instant(if end < *dt { end.checked_add_signed(Duration::days(1)).unwrap_or(end) } else { end })
        }
    }
}

/// Builds a session from a start and an optional end.
///
/// Times without zone are read in `tz` and the session says so (`time_zone`); `floating` marks
/// that the source gave no zone and `tz` is the reader's assumption. A date-only start makes a
/// whole-day session from its local midnight to the midnight after its last day.
pub fn to_session(start: &When, end: Option<&When>, tz: Tz, floating: bool) -> Session {
    let zoned = !matches!(start, When::Instant(_));
    let (start_at, end_at, all_day) = match start {
        When::Date(first) => {
            let last = match end {
                Some(e) if e.date() >= *first => e.date(),
                _ => *first,
            };
            let after = last.succ_opt().unwrap_or(last);
            (start.to_instant(tz), Some(When::Date(after).to_instant(tz)), true)
        }
        _ => {
            let end_at = end.map(|e| match e {
                // An end date without time ends with that day.
                When::Date(d) => When::Date(d.succ_opt().unwrap_or(*d)).to_instant(tz),
                other => other.to_instant(tz),
            });
            (start.to_instant(tz), end_at, false)
        }
    };
    Session {
        start: start_at,
        end: end_at,
        time_zone: zoned.then(|| tz.name().to_owned()),
        all_day,
        floating: floating && zoned,
        cancelled: false,
    }
}

/// An instant for provider timestamps (`dateModified`): times without zone read in `tz`.
pub fn parse_timestamp(text: &str, clock: &Clock) -> Option<DateTime<Utc>> {
    parse_when(text, &[], clock).map(|w| w.to_instant(clock.tz).with_timezone(&Utc))
}

/// Parses an ISO 8601 duration (`PT1H30M`, `P1D`, `P1W`); months and years are not fixed
/// lengths and give `None`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    static RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(?i)^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,]\d+)?S)?)?$").ok()
    });
    let caps = RE.as_ref()?.captures(text.trim())?;
    let n = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<i64>().ok()).unwrap_or(0);
    if (1..=5).all(|i| caps.get(i).is_none()) {
        return None;
    }
    let secs = n(1)
        .checked_mul(7 * 86_400)?
        .checked_add(n(2).checked_mul(86_400)?)?
        .checked_add(n(3).checked_mul(3600)?)?
        .checked_add(n(4).checked_mul(60)?)?
        .checked_add(n(5))?;
    Duration::try_seconds(secs)
}

// ---------------------------------------------------------------------------------------------
// Strict forms: ISO 8601 / RFC 3339 and RFC 2822.

static ISO: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?)?\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$",
    )
    .ok()
});

/// ISO 8601 / RFC 3339 (with or without zone and seconds, date-only) and RFC 2822.
fn parse_strict(text: &str) -> Option<When> {
    if let Some(caps) = ISO.as_ref().and_then(|re| re.captures(text)) {
        let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let year = caps.get(1).and_then(|m| m.as_str().parse::<i32>().ok())?;
        let date = NaiveDate::from_ymd_opt(year, num(2)?, num(3)?)?;
        let Some(hour) = num(4) else {
            return Some(When::Date(date));
        };
        let nanos = caps.get(7).and_then(|m| format!("{:0<9}", m.as_str()).parse::<u32>().ok()).unwrap_or(0);
        let time = NaiveTime::from_hms_nano_opt(hour, num(5)?, num(6).unwrap_or(0), nanos)?;
        let local = date.and_time(time);
        return Some(match caps.get(8).map(|m| m.as_str()) {
            None => When::Local(local),
            Some(zone) => When::Instant(parse_offset(zone)?.from_local_datetime(&local).single()?),
        });
    }
    DateTime::parse_from_rfc2822(text).ok().map(When::Instant)
}

/// `Z`, `UTC`, `+03`, `+0300`, `+03:00`.
fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let lower = zone.to_ascii_lowercase();
    if matches!(lower.as_str(), "z" | "utc" | "gmt") {
        return FixedOffset::east_opt(0);
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

// ---------------------------------------------------------------------------------------------
// Provider formats: chrono strftime strings, with localized month and weekday names.

/// Parses the start of `text` with one chrono format (after replacing localized month and
/// weekday names with English ones, which chrono's `%B`/`%b`/`%A`/`%a` read). Returns the value
/// and the rest of the text. A format without a year gets one inferred.
fn parse_with_format(text: &str, format: &str, clock: &Clock) -> Option<(When, String)> {
    let english = to_english_names(text);
    let mut parsed = Parsed::new();
    let rest = chrono::format::parse_and_remainder(&mut parsed, &english, StrftimeItems::new(format)).ok()?;
    if rest.len() == english.len() {
        return None;
    }
    if parsed.year().is_none() && parsed.year_mod_100().is_none() {
        let date = infer_year(parsed.month()?, parsed.day()?, clock.today())?;
        parsed.set_year(i64::from(date.year())).ok()?;
    }
    let date = parsed.to_naive_date().ok()?;
    let when = match parsed.to_naive_time() {
        Err(_) => When::Date(date),
        Ok(time) => match parsed.offset().and_then(FixedOffset::east_opt) {
            Some(offset) => When::Instant(offset.from_local_datetime(&date.and_time(time)).single()?),
            None => When::Local(date.and_time(time)),
        },
    };
    // The rest is in English names, which the loose patterns read too.
    Some((when, rest.to_owned()))
}

/// Month names (full, genitive, abbreviated) of the supported languages, to month numbers.
const MONTHS: &[(&str, u32)] = &[
    // Russian
    ("январь", 1),
    ("января", 1),
    ("янв", 1),
    ("февраль", 2),
    ("февраля", 2),
    ("февр", 2),
    ("фев", 2),
    ("март", 3),
    ("марта", 3),
    ("мар", 3),
    ("апрель", 4),
    ("апреля", 4),
    ("апр", 4),
    ("май", 5),
    ("мая", 5),
    ("июнь", 6),
    ("июня", 6),
    ("июн", 6),
    ("июль", 7),
    ("июля", 7),
    ("июл", 7),
    ("август", 8),
    ("августа", 8),
    ("авг", 8),
    ("сентябрь", 9),
    ("сентября", 9),
    ("сент", 9),
    ("сен", 9),
    ("октябрь", 10),
    ("октября", 10),
    ("окт", 10),
    ("ноябрь", 11),
    ("ноября", 11),
    ("нояб", 11),
    ("ноя", 11),
    ("декабрь", 12),
    ("декабря", 12),
    ("дек", 12),
    // Belarusian (May is "травень/траўня"; "мая" is in the Russian list and common in both)
    ("студзень", 1),
    ("студзеня", 1),
    ("люты", 2),
    ("лютага", 2),
    ("сакавік", 3),
    ("сакавіка", 3),
    ("красавік", 4),
    ("красавіка", 4),
    ("травень", 5),
    ("траўня", 5),
    ("чэрвень", 6),
    ("чэрвеня", 6),
    ("ліпень", 7),
    ("ліпеня", 7),
    ("жнівень", 8),
    ("жніўня", 8),
    ("верасень", 9),
    ("верасня", 9),
    ("кастрычнік", 10),
    ("кастрычніка", 10),
    ("лістапад", 11),
    ("лістапада", 11),
    ("снежань", 12),
    ("снежня", 12),
    // English
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
    // German
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("mär", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("okt", 10),
    ("dezember", 12),
    ("dez", 12),
];

/// Weekday names (Monday = 0) of the supported languages, for `%A`/`%a` in provider formats.
const WEEKDAYS: &[(&str, usize)] = &[
    ("понедельник", 0),
    ("вторник", 1),
    ("среда", 2),
    ("среду", 2),
    ("четверг", 3),
    ("пятница", 4),
    ("пятницу", 4),
    ("суббота", 5),
    ("субботу", 5),
    ("воскресенье", 6),
    ("пн", 0),
    ("вт", 1),
    ("ср", 2),
    ("чт", 3),
    ("пт", 4),
    ("сб", 5),
    ("вс", 6),
    ("панядзелак", 0),
    ("аўторак", 1),
    ("серада", 2),
    ("сераду", 2),
    ("чацвер", 3),
    ("пятніца", 4),
    ("пятніцу", 4),
    ("субота", 5),
    ("суботу", 5),
    ("нядзеля", 6),
    ("нядзелю", 6),
    ("аўт", 1),
    ("чц", 3),
    ("нд", 6),
    ("montag", 0),
    ("dienstag", 1),
    ("mittwoch", 2),
    ("donnerstag", 3),
    ("freitag", 4),
    ("samstag", 5),
    ("sonnabend", 5),
    ("sonntag", 6),
];

const ENGLISH_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ENGLISH_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Every spelling of `name` a provider may type: Belarusian `і` is often typed as Latin `i`.
fn spellings(name: &str) -> Vec<String> {
    let mut v = vec![name.to_owned()];
    if name.contains('і') {
        v.push(name.replace('і', "i"));
    }
    v
}

/// A case-insensitive alternation of `names`, longest first so "марта" wins over "мар".
fn alternation<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut all: Vec<String> = names.flat_map(spellings).collect();
    all.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    all.iter().map(|n| regex::escape(n)).collect::<Vec<_>>().join("|")
}

pub(crate) static MONTH_ALT: LazyLock<String> = LazyLock::new(|| alternation(MONTHS.iter().map(|(n, _)| *n)));

static NAME_WORD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let weekdays = alternation(WEEKDAYS.iter().map(|(n, _)| *n));
    Regex::new(&format!(r"(?i)\b(?:{}|{weekdays})\b", *MONTH_ALT)).ok()
});

/// Month number of a matched name (any case, either `і`).
pub(crate) fn month_number(name: &str) -> Option<u32> {
    let lower = name.to_lowercase().replace('i', "і");
    MONTHS.iter().find(|(n, _)| n.replace('i', "і") == lower).map(|(_, m)| *m)
}

fn weekday_number(name: &str) -> Option<usize> {
    let lower = name.to_lowercase().replace('i', "і");
    WEEKDAYS.iter().find(|(n, _)| n.replace('i', "і") == lower).map(|(_, d)| *d)
}

/// Replaces localized month and weekday names with English abbreviations.
fn to_english_names(text: &str) -> String {
    let Some(re) = NAME_WORD.as_ref() else { return text.to_owned() };
    re.replace_all(text, |caps: &regex::Captures<'_>| {
        let word = caps.get(0).map_or("", |m| m.as_str());
        if let Some(m) = month_number(word) {
            ENGLISH_MONTHS.get((m as usize).saturating_sub(1)).copied().unwrap_or(word).to_owned()
        } else if let Some(d) = weekday_number(word) {
            ENGLISH_WEEKDAYS.get(d).copied().unwrap_or(word).to_owned()
        } else {
            word.to_owned()
        }
    })
    .into_owned()
}

// ---------------------------------------------------------------------------------------------
// Loose patterns.

/// A day and month, with the year when the text gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayMonth {
    day: u32,
    month: u32,
    year: Option<i32>,
}

/// Dates and times found in a text, in text order.
#[derive(Debug, Default)]
struct Loose {
    /// (position, date).
    dates: Vec<(usize, DayMonth)>,
    /// (position, time).
    times: Vec<(usize, NaiveTime)>,
}

/// A registration deadline: a word of applying or enrolling, then (in the same sentence, within
/// a few words) "до"/"by"/"until"/"closes" and a date.
static DEADLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let month = &*MONTH_ALT;
    Regex::new(&format!(
        r"(?i)(?:заявк\w*|заяўк\w*|регистрац\w*|рэгістрац\w*|запис\w*|запіс\w*|при[её]м\w*|прыём\w*|registration|register|apply|applications?|sign[- ]?ups?|enrol\w*|deadline)[^.\n\d]{{0,40}}?\b(?:до|да|by|until|till|before|closes?(?:\s+on)?|deadline|open(?:s|ing)?(?:\s+on|\s+from)?|from|с|з|открыва\w*(?:\s+с)?|открыт\w*(?:\s+с)?|адкрыва\w*(?:\s+з)?|начина\w*(?:\s+с)?|пачына\w*(?:\s+з)?)\s+(?:\d{{1,2}}\s*(?:{month})\b|(?:{month})\s+\d{{1,2}}\b|\d{{1,2}}\.\d{{1,2}}(?:\.\d{{2,4}})?)"
    ))
    .expect("static regex")
});

struct Patterns {
    day_month: Regex,
    month_day: Regex,
    numeric: Regex,
    iso: Regex,
    relative: Regex,
    time: Regex,
    hour_ampm: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    let month = &*MONTH_ALT;
    let range = r"(?:-|–|—|‒|−|по|до|па|да|bis|to|\.\.)";
    // "Monday 15 – Friday 19 March", "з 2 па пятніцу 6 лютага": a weekday before a range's last day.
    let weekday = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|понедельник\w*|вторник\w*|сред[аыу]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*|панядзел\w*|аўтор\w*|серад[аыу]|чацв[ея]р\w*|пятніц\w*|субот\w*|нядзел\w*|пн|вт|ср|чт|пт|сб|вс|нд)";
    Some(Patterns {
        // "12 марта 2025", "12–14 сакавіка", "12. März", "1-го мая", "с 12 по 14 марта"
        day_month: Regex::new(&format!(
            r"(?i)\b(\d{{1,2}})(?:-?(?:го|е|ое|st|nd|rd|th))?\.?(?:\s*{range}\s*(?:{weekday}\.?,?\s+)?(\d{{1,2}})(?:-?(?:го|е|st|nd|rd|th))?\.?)?\s*({month})\b\.?(?:\s*,?\s*(\d{{4}})\b)?"
        ))
        .ok()?,
        // "March 12, 2025", "Mar 12–14"
        month_day: Regex::new(&format!(
            r"(?i)\b({month})\b\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*{range}\s*(\d{{1,2}})(?:st|nd|rd|th)?\b)?(?:\s*,?\s*(\d{{4}})\b)?"
        ))
        .ok()?,
        // "12.03.2025", "12.03.25", "12/03/2025"
        numeric: Regex::new(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b").ok()?,
        iso: Regex::new(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b").ok()?,
        relative: Regex::new(r"(?i)\b(сегодня|сёння|today|heute|завтра|заўтра|tomorrow|morgen)\b").ok()?,
        // "18:30", "18.30", "6:30 pm", "18:30 Uhr"
        time: Regex::new(r"(?i)\b(\d{1,2})[:.](\d{2})\b(?:\s*([ap])\.?\s?m\b\.?)?").ok()?,
        // "6 pm", "6pm", "18 Uhr", "18 ч."
        hour_ampm: Regex::new(r"(?i)\b(\d{1,2})\s*(?:([ap])\.?\s?m\b\.?|(uhr|ч\b|час))").ok()?,
    })
});

impl Loose {
    /// Finds every date and time pattern in `text`. Dates are found first and blanked out, so
    /// their digits are not read again as times.
    fn scan(text: &str, clock: &Clock) -> Loose {
        let mut loose = Loose::default();
        let Some(p) = PATTERNS.as_ref() else { return loose };
        let mut masked = text.to_owned();

        let mut found: Vec<(usize, usize, DayMonth, Option<DayMonth>)> = Vec::new();
        for caps in p.day_month.captures_iter(text) {
            let (Some(all), Some(d1), Some(m)) = (caps.get(0), caps.get(1), caps.get(3)) else { continue };
            let (Some(month), Ok(day)) = (month_number(m.as_str()), d1.as_str().parse()) else { continue };
            let year = caps.get(4).and_then(|y| y.as_str().parse().ok());
            let end = caps.get(2).and_then(|d2| d2.as_str().parse().ok()).map(|day| DayMonth { day, month, year });
            found.push((all.start(), all.end(), DayMonth { day, month, year }, end));
        }
        blank(&mut masked, found.iter().map(|f| (f.0, f.1)));
        for caps in p.month_day.captures_iter(&masked.clone()) {
            let (Some(all), Some(m), Some(d1)) = (caps.get(0), caps.get(1), caps.get(2)) else { continue };
            // "марта 18:30": the number is an hour, not a day.
            if masked.get(all.end()..).is_some_and(starts_like_minutes) {
                continue;
            }
            let (Some(month), Ok(day)) = (month_number(m.as_str()), d1.as_str().parse()) else { continue };
            let year = caps.get(4).and_then(|y| y.as_str().parse().ok());
            let end = caps.get(3).and_then(|d2| d2.as_str().parse().ok()).map(|day| DayMonth { day, month, year });
            found.push((all.start(), all.end(), DayMonth { day, month, year }, end));
            blank(&mut masked, [(all.start(), all.end())]);
        }
        for caps in p.numeric.captures_iter(&masked.clone()) {
            let (Some(all), Some(d), Some(m), Some(y)) = (caps.get(0), caps.get(1), caps.get(2), caps.get(3)) else {
                continue;
            };
            let (Ok(day), Ok(month), Ok(mut year)) =
                (d.as_str().parse(), m.as_str().parse(), y.as_str().parse::<i32>())
            else {
                continue;
            };
            if y.as_str().len() == 2 {
                year += 2000;
            }
            found.push((all.start(), all.end(), DayMonth { day, month, year: Some(year) }, None));
            blank(&mut masked, [(all.start(), all.end())]);
        }
        for caps in p.iso.captures_iter(&masked.clone()) {
            let (Some(all), Some(y), Some(m), Some(d)) = (caps.get(0), caps.get(1), caps.get(2), caps.get(3)) else {
                continue;
            };
            let (Ok(year), Ok(month), Ok(day)) = (y.as_str().parse(), m.as_str().parse(), d.as_str().parse()) else {
                continue;
            };
            found.push((all.start(), all.end(), DayMonth { day, month, year: Some(year) }, None));
            blank(&mut masked, [(all.start(), all.end())]);
        }
        for m in p.relative.find_iter(&masked.clone()) {
            let lower = m.as_str().to_lowercase();
            let offset =
                if matches!(lower.as_str(), "сегодня" | "сёння" | "today" | "heute") { 0 } else { 1 };
            let date = clock.today().checked_add_signed(Duration::days(offset)).unwrap_or(clock.today());
            let dm = DayMonth { day: date.day(), month: date.month(), year: Some(date.year()) };
            found.push((m.start(), m.end(), dm, None));
            blank(&mut masked, [(m.start(), m.end())]);
        }
        found.sort_by_key(|f| f.0);
        for (pos, _, start, end) in found {
            loose.dates.push((pos, start));
            if let Some(end) = end {
                loose.dates.push((pos + 1, end));
            }
        }

        for caps in p.time.captures_iter(&masked.clone()) {
            let (Some(all), Some(h), Some(m)) = (caps.get(0), caps.get(1), caps.get(2)) else { continue };
            let (Ok(hour), Ok(minute)) = (h.as_str().parse::<u32>(), m.as_str().parse::<u32>()) else { continue };
            let ampm = caps.get(3).map(|x| x.as_str().to_ascii_lowercase());
            if let Some(t) = clock_time(hour, minute, ampm.as_deref()) {
                loose.times.push((all.start(), t));
                blank(&mut masked, [(all.start(), all.end())]);
            }
        }
        for caps in p.hour_ampm.captures_iter(&masked) {
            let (Some(all), Some(h)) = (caps.get(0), caps.get(1)) else { continue };
            let Ok(hour) = h.as_str().parse::<u32>() else { continue };
            let ampm = caps.get(2).map(|x| x.as_str().to_ascii_lowercase());
            if let Some(t) = clock_time(hour, 0, ampm.as_deref()) {
                loose.times.push((all.start(), t));
            }
        }
        loose.times.sort_by_key(|t| t.0);
        loose
    }

    /// The first date (+ first time) as start, the second date and/or time as end.
    fn span(&self, clock: &Clock) -> Option<Span> {
        let mut first = self.dates.first()?.1;
        // "28 декабря – 3 января 2026": the start takes the end's year (or the one before).
        if first.year.is_none()
            && let Some((_, DayMonth { year: Some(y), month, day })) = self.dates.get(1)
        {
            let after_start = (*month, *day) < (first.month, first.day);
            first.year = Some(if after_start { y - 1 } else { *y });
        }
        let start_date = resolve_date(first, clock.today())?;
        let end_date = match self.dates.get(1) {
            Some((_, dm)) => {
                let with_year = match dm.year {
                    Some(y) => NaiveDate::from_ymd_opt(y, dm.month, dm.day)?,
                    None => same_year_after(NaiveDate::from_ymd_opt(start_date.year(), dm.month, dm.day)?, start_date),
                };
                Some(with_year)
            }
            None => None,
        };
        let start_time = self.times.first().map(|t| t.1);
        let end_time = self.times.get(1).map(|t| t.1);
        let start = match start_time {
            Some(t) => When::Local(start_date.and_time(t)),
            None => When::Date(start_date),
        };
        let end = match (end_date, end_time) {
            (Some(d), Some(t)) => Some(When::Local(d.and_time(t))),
            (Some(d), None) => Some(When::Date(d)),
            (None, Some(t)) => Some(time_on_start_day(&start, t)),
            (None, None) => None,
        };
        Some(Span { start, end })
    }
}

/// True when `rest` continues a number as a time would (`:30`, `.30`).
fn starts_like_minutes(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some(':' | '.')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Replaces the given byte ranges of `s` with spaces (ranges come from regex matches on an
/// equal-length string, so they fall on char boundaries; others are skipped).
fn blank(s: &mut String, ranges: impl IntoIterator<Item = (usize, usize)>) {
    for (start, end) in ranges {
        if let Some(part) = s.get(start..end) {
            let spaces = " ".repeat(part.len());
            s.replace_range(start..end, &spaces);
        }
    }
}

/// A wall-clock time from hour, minute and an optional `a`/`p`.
pub(crate) fn clock_time(hour: u32, minute: u32, ampm: Option<&str>) -> Option<NaiveTime> {
    let hour = match ampm {
        Some("a") if (1..=12).contains(&hour) => hour % 12,
        Some("p") if (1..=12).contains(&hour) => hour % 12 + 12,
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// A full date: the given year, or the inferred one.
fn resolve_date(dm: DayMonth, today: NaiveDate) -> Option<NaiveDate> {
    match dm.year {
        Some(y) => NaiveDate::from_ymd_opt(y, dm.month, dm.day),
        None => infer_year(dm.month, dm.day, today),
    }
}

/// The next occurrence of a day and month that is at most [`PAST_TOLERANCE_DAYS`] before `today`.
fn infer_year(month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let earliest = today.checked_sub_signed(Duration::days(PAST_TOLERANCE_DAYS)).unwrap_or(today);
    // Up to five years ahead, for 29 February.
    (today.year() - 1..=today.year() + 4)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .find(|d| *d >= earliest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(now: &str, tz: Tz) -> Clock {
        Clock { now: DateTime::parse_from_rfc3339(now).unwrap().with_timezone(&Utc), tz }
    }

    fn minsk() -> Clock {
        clock("2025-03-01T09:00:00Z", chrono_tz::Europe::Minsk)
    }

    fn local(s: &str) -> When {
        When::Local(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn date(s: &str) -> When {
        When::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    fn span(text: &str) -> Option<Span> {
        parse_span(text, &[], &minsk())
    }

    fn start(text: &str) -> When {
        span(text).unwrap_or_else(|| panic!("`{text}` not parsed")).start
    }

    #[test]
    fn rfc3339_and_iso_forms() {
        assert_eq!(
            start("2025-03-12T18:30:00+03:00"),
            When::Instant(DateTime::parse_from_rfc3339("2025-03-12T18:30:00+03:00").unwrap())
        );
        assert_eq!(
            start("2025-03-12T15:30:00.250Z").to_instant(chrono_tz::UTC).to_rfc3339(),
            "2025-03-12T15:30:00.250+00:00"
        );
        assert_eq!(start("2020-07-24T16:00Z").to_instant(chrono_tz::UTC).to_rfc3339(), "2020-07-24T16:00:00+00:00");
        assert_eq!(start("2025-03-12T18:30+0300").to_instant(chrono_tz::UTC).to_rfc3339(), "2025-03-12T18:30:00+03:00");
        assert_eq!(start("2025-03-12T18:30"), local("2025-03-12 18:30"));
        assert_eq!(
            start("2025-03-12 18:30:15"),
            When::Local(NaiveDateTime::parse_from_str("2025-03-12 18:30:15", "%Y-%m-%d %H:%M:%S").unwrap())
        );
        assert_eq!(start("2025-03-12"), date("2025-03-12"));
        assert_eq!(span("2025-02-30"), None);
    }

    #[test]
    fn rfc2822() {
        assert_eq!(
            start("Wed, 12 Mar 2025 18:30:00 +0300"),
            When::Instant(DateTime::parse_from_rfc3339("2025-03-12T18:30:00+03:00").unwrap())
        );
    }

    #[test]
    fn numeric_day_month_year() {
        assert_eq!(start("12.03.2025 18:30"), local("2025-03-12 18:30"));
        assert_eq!(start("12.03.2025"), date("2025-03-12"));
        assert_eq!(start("5.3.25, 10.00"), local("2025-03-05 10:00"));
        assert_eq!(span("31.02.2025"), None);
    }

    #[test]
    fn russian_month_names() {
        assert_eq!(start("12 марта 2025, 18:30"), local("2025-03-12 18:30"));
        assert_eq!(start("12 МАРТА 2025 г. в 18:30"), local("2025-03-12 18:30"));
        assert_eq!(start("среда, 12 марта 2025 года, 18:30"), local("2025-03-12 18:30"));
        assert_eq!(start("1 января 2026"), date("2026-01-01"));
        assert_eq!(start("Май, 9 мая 2025"), date("2025-05-09"));
        assert_eq!(start("3 декабрь 2025"), date("2025-12-03"));
        assert_eq!(start("1-го апреля 2025 в 10.00"), local("2025-04-01 10:00"));
    }

    #[test]
    fn belarusian_month_names() {
        assert_eq!(start("12 сакавіка 2025 а 18:00"), local("2025-03-12 18:00"));
        assert_eq!(start("пятніца, 14 сакавіка, а 18:00"), local("2025-03-14 18:00"));
        for (text, month) in [
            ("1 студзеня 2026", 1),
            ("1 лютага 2026", 2),
            ("1 красавіка 2025", 4),
            ("1 траўня 2025", 5),
            ("1 мая 2025", 5),
            ("1 чэрвеня 2025", 6),
            ("1 ліпеня 2025", 7),
            ("1 жніўня 2025", 8),
            ("1 верасня 2025", 9),
            ("1 кастрычніка 2025", 10),
            ("1 лістапада 2025", 11),
            ("1 снежня 2025", 12),
            ("1 ЛІСТАПАД 2025", 11),
            // Latin `i` typed for Belarusian `і`
            ("1 сакавiка 2025", 3),
        ] {
            assert_eq!(start(text).date().month(), month, "{text}");
        }
    }

    #[test]
    fn english_and_german_month_names() {
        assert_eq!(start("March 12, 2025 at 6 pm"), local("2025-03-12 18:00"));
        assert_eq!(start("Wednesday, 12 March 2025, 6:30 PM"), local("2025-03-12 18:30"));
        assert_eq!(start("Mar 12th 2025, 12 am"), local("2025-03-12 00:00"));
        assert_eq!(start("12. März 2025, 18:30 Uhr"), local("2025-03-12 18:30"));
        assert_eq!(start("Mittwoch, 12. Maerz 2025 um 18 Uhr"), local("2025-03-12 18:00"));
        assert_eq!(start("1. Dezember 2025"), date("2025-12-01"));
    }

    #[test]
    fn ranges_give_start_and_end() {
        let s = span("12 марта 2025, 18:30–20:00").unwrap();
        assert_eq!((s.start, s.end), (local("2025-03-12 18:30"), Some(local("2025-03-12 20:00"))));
        let s = span("12–14 сакавіка 2025").unwrap();
        assert_eq!((s.start, s.end), (date("2025-03-12"), Some(date("2025-03-14"))));
        let s = span("з 20 па 23 сакавіка 2025").unwrap();
        assert_eq!((s.start, s.end), (date("2025-03-20"), Some(date("2025-03-23"))));
        let s = span("с 28 апреля по 3 мая 2025").unwrap();
        assert_eq!((s.start, s.end), (date("2025-04-28"), Some(date("2025-05-03"))));
        let s = span("12 марта, с 18:00 до 20:30").unwrap();
        assert_eq!((s.start, s.end), (local("2025-03-12 18:00"), Some(local("2025-03-12 20:30"))));
        let s = span("12.03.2025 22:00 - 01:00").unwrap();
        assert_eq!(s.end, Some(local("2025-03-13 01:00")));
    }

    #[test]
    fn missing_year_is_the_next_occurrence_within_two_months_back() {
        // Fetched 1 March 2025: January is recent past, December is coming.
        assert_eq!(start("12 января").date(), NaiveDate::from_ymd_opt(2025, 1, 12).unwrap());
        assert_eq!(start("5 декабря").date(), NaiveDate::from_ymd_opt(2025, 12, 5).unwrap());
        assert_eq!(start("12 марта, 18:30"), local("2025-03-12 18:30"));
        // Around new year: read on 5 January, "28 December" is last week, "3 January" this week.
        let ny = clock("2025-01-05T10:00:00Z", chrono_tz::Europe::Minsk);
        assert_eq!(parse_when("28 декабря", &[], &ny), Some(date("2024-12-28")));
        assert_eq!(parse_when("3 студзеня", &[], &ny), Some(date("2025-01-03")));
        // Read on 20 December, "10 January" is next year's.
        let dec = clock("2024-12-20T10:00:00Z", chrono_tz::Europe::Minsk);
        assert_eq!(parse_when("10 января", &[], &dec), Some(date("2025-01-10")));
        // A range across new year without year.
        let s = parse_span("28 декабря – 3 января", &[], &dec).unwrap();
        assert_eq!((s.start, s.end), (date("2024-12-28"), Some(date("2025-01-03"))));
        // 29 February goes to the next leap year.
        assert_eq!(start("29 февраля").date(), NaiveDate::from_ymd_opt(2028, 2, 29).unwrap());
    }

    #[test]
    fn a_weekday_before_the_last_day_of_a_range() {
        let c = minsk();
        for text in [
            "Five days, Monday 10 – Friday 14 March 2025, 9:30–13:30 daily.",
            "з панядзелка 10 па пятніцу 14 сакавіка 2025",
        ] {
            let s = first_in_text(text, &c).unwrap();
            assert_eq!(s.start.date(), date("2025-03-10").date(), "{text}");
        }
    }

    #[test]
    fn a_registration_deadline_is_no_event_date() {
        let c = minsk();
        let first = |t: &str| first_in_text(t, &c).map(|s| s.start);
        for (text, want) in [
            ("Заявки принимаются до 20 января. Занятия начнутся после формирования группы.", None),
            ("Рэгістрацыя да 3 сакавіка.", None),
            ("Applications close by 12 April.", None),
            ("Dates TBC (June 2027). Applications open on 1 March 2027.", None),
            ("Запись открывается 1 марта.", None),
            ("Прыём заявак з 10 лютага.", None),
            ("Запись до 20 марта; мастер-класс 25 марта в 18:00.", Some(local("2025-03-25 18:00"))),
            ("Registration closes on 1 March. The workshop is on 5 March at 10:00.", Some(local("2025-03-05 10:00"))),
            ("Лекция 12 марта в 18:30. Регистрация до 10 марта.", Some(local("2025-03-12 18:30"))),
        ] {
            assert_eq!(first(text), want, "{text}");
        }
    }

    #[test]
    fn relative_words_use_the_fetch_day_in_the_zone() {
        assert_eq!(start("Сегодня, 18:30"), local("2025-03-01 18:30"));
        assert_eq!(start("заўтра а 10:00"), local("2025-03-02 10:00"));
    }

    #[test]
    fn provider_formats_come_first_and_read_localized_names() {
        let f = |s: &str| vec![s.to_owned()];
        let c = minsk();
        assert_eq!(parse_when("12/03/2025 18h30", &f("%d/%m/%Y %Hh%M"), &c), Some(local("2025-03-12 18:30")));
        assert_eq!(parse_when("12 марта 2025 18:30", &f("%d %B %Y %H:%M"), &c), Some(local("2025-03-12 18:30")));
        assert_eq!(parse_when("12 сакавіка 2025", &f("%d %b %Y"), &c), Some(date("2025-03-12")));
        assert_eq!(parse_when("Среда 12 марта 18:30", &f("%A %d %B %H:%M"), &c), Some(local("2025-03-12 18:30")));
        // A US format that the built-in patterns would read as day.month.
        assert_eq!(parse_when("03.12.2025", &f("%m.%d.%Y"), &c), Some(date("2025-03-12")));
        // The rest after the format is the end.
        let s = parse_span("12.03.2025 18:30 – 20:00", &f("%d.%m.%Y %H:%M"), &c).unwrap();
        assert_eq!(s.end, Some(local("2025-03-12 20:00")));
        // A format that does not match falls through to the built-in patterns.
        assert_eq!(parse_when("12 марта 2025", &f("%Y/%m/%d"), &c), Some(date("2025-03-12")));
    }

    #[test]
    fn validate_format_refuses_unknown_specifiers() {
        assert!(validate_format("%d.%m.%Y %H:%M").is_ok());
        assert!(validate_format("%d %B %Y").is_ok());
        assert!(validate_format("%d.%Q.%Y").unwrap_err().contains("%Q"));
        assert!(validate_format("%d.%m.%").is_err());
        assert!(validate_format("  ").is_err());
    }

    #[test]
    fn localize_handles_dst_gap_and_fold() {
        let berlin = chrono_tz::Europe::Berlin;
        let gap = NaiveDateTime::parse_from_str("2025-03-30 02:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(localize(gap, berlin).to_rfc3339(), "2025-03-30T03:30:00+02:00");
        let fold = NaiveDateTime::parse_from_str("2025-10-26 02:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(localize(fold, berlin).to_rfc3339(), "2025-10-26T02:30:00+02:00");
        let winter = NaiveDateTime::parse_from_str("2025-01-15 18:00", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(localize(winter, berlin).to_rfc3339(), "2025-01-15T18:00:00+01:00");
        let c = clock("2025-03-01T09:00:00Z", berlin);
        let s = parse_span("30. März 2025, 02:30", &[], &c).unwrap();
        assert_eq!(to_session(&s.start, None, berlin, false).start.to_rfc3339(), "2025-03-30T03:30:00+02:00");
    }

    #[test]
    fn sessions_from_spans() {
        let tz = chrono_tz::Europe::Minsk;
        let s = to_session(&date("2025-03-12"), Some(&date("2025-03-14")), tz, false);
        assert!(s.all_day);
        assert_eq!(s.start.to_rfc3339(), "2025-03-12T00:00:00+03:00");
        assert_eq!(s.end.unwrap().to_rfc3339(), "2025-03-15T00:00:00+03:00");
        assert_eq!(s.time_zone.as_deref(), Some("Europe/Minsk"));
        let s = to_session(&local("2025-03-12 18:30"), Some(&local("2025-03-12 20:00")), tz, true);
        assert_eq!(s.start.to_rfc3339(), "2025-03-12T18:30:00+03:00");
        assert!(s.floating && !s.all_day);
        let i = When::Instant(DateTime::parse_from_rfc3339("2025-03-12T18:30:00+01:00").unwrap());
        let s = to_session(&i, None, tz, true);
        assert!(!s.floating);
        assert_eq!(s.time_zone, None);
    }

    #[test]
    fn failures_are_explained() {
        assert!(explain_failure("31.02.2025 19:00", &minsk()).contains("does not exist"));
        assert!(explain_failure("30 февраля", &minsk()).contains("does not exist"));
        assert!(explain_failure("скоро", &minsk()).contains("not a date this reader understands"));
    }

    #[test]
    fn end_texts() {
        let c = minsk();
        let st = local("2025-03-12 18:30");
        assert_eq!(parse_end_text("20:00", &[], &st, &c), Some(local("2025-03-12 20:00")));
        assert_eq!(parse_end_text("14 марта, 20:00", &[], &st, &c), Some(local("2025-03-14 20:00")));
        assert_eq!(parse_end_text("нет", &[], &st, &c), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
        assert_eq!(parse_duration("P1W"), Some(Duration::weeks(1)));
        assert_eq!(parse_duration("PT2H40M0S"), Some(Duration::minutes(160)));
        assert_eq!(parse_duration("P1M"), None);
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("P99999999999999999W"), None);
    }

    #[test]
    fn garbage_gives_none_without_panic() {
        for text in ["", "скоро", "TBA", "99:99", "32 марта 2025", "𝟙𝟚 марта", "12 марта 99999", "1\u{0}2.03"]
        {
            let _ = span(text);
        }
        assert_eq!(span("скоро"), None);
        assert_eq!(span("32 марта 2025"), None);
    }
}
