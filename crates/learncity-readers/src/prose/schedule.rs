//! Schedules in words, turned into sessions: "по вторникам и четвергам в 18:30, 12 занятий",
//! "Mondays and Wednesdays 19:00–20:30, 8 sessions", "кожную суботу а 11:00", "раз в неделю по
//! средам", "ежедневно, кроме воскресенья", "нет занятий 7 января", "8 занятий по субботам".
//!
//! Feeds often publish a course as its first start and the end of its last session (the RSS
//! event module's `ev:startdate`/`ev:enddate`, one iCal `VEVENT` spanning weeks, an HTML listing's
//! date and a schedule line). [`read`] finds what the words say — weekdays with their times, a
//! session or week count, dates without sessions — and [`Plan::expand`] lays the sessions out
//! between the known first start and last day.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;

use crate::dates::{MONTH_ALT, month_number};

/// A time of day with its end when the text gives a range ("19:00–20:30").
pub type Slot = (NaiveTime, Option<NaiveTime>);

/// What a schedule text says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Weekdays with their own time when the text pairs them ("вт 18:30, чт 19:00").
    pub weekdays: BTreeMap<u32, Option<Slot>>,
    /// A time for every session ("в 18:30" before or without weekdays).
    pub time: Option<Slot>,
    /// Number of sessions ("12 занятий", "8 sessions").
    pub count: Option<u32>,
    /// Number of weeks ("6 weeks", "4 недели"): sessions = weeks × weekdays.
    pub weeks: Option<u32>,
    /// Sessions per week without weekdays ("2 раза в неделю"); 1 for "weekly".
    pub per_week: Option<u32>,
    /// Dates without a session ("кроме 8 марта", "перерыв 1–7 января"), as (day, month).
    pub except: Vec<(u32, u32)>,
    /// The last day the text names ("до 29 мая", "until 12 June", "по 25.02"), as (day, month).
    pub until: Option<(u32, u32)>,
    /// Weeks between sessions on the same weekday: 2 for "раз в две недели", "every other week".
    pub every_weeks: u32,
    /// Which weekdays of the month: 1 and 3 for "first and third Friday of every month", -1 for
    /// the last ("последний четверг месяца"); empty for every week.
    pub of_month: Vec<i32>,
}

/// Weekday names: (word or stem, Monday = 0). Stems of four letters or more match the start of
/// a word; shorter ones the whole word.
const WEEKDAYS: &[(&str, u32)] = &[
    ("понедельн", 0),
    ("пн", 0),
    ("панядзел", 0),
    ("monday", 0),
    ("mondays", 0),
    ("mon", 0),
    ("вторник", 1),
    ("вт", 1),
    ("аўтор", 1),
    ("аутор", 1),
    ("аўт", 1),
    ("tuesday", 1),
    ("tuesdays", 1),
    ("tue", 1),
    ("tues", 1),
    ("среда", 2),
    ("среду", 2),
    ("среды", 2),
    ("средам", 2),
    ("средах", 2),
    ("ср", 2),
    ("серада", 2),
    ("сераду", 2),
    ("серады", 2),
    ("серадам", 2),
    ("серадах", 2),
    ("wednesday", 2),
    ("wednesdays", 2),
    ("wed", 2),
    ("четверг", 3),
    ("чт", 3),
    ("чацвер", 3),
    ("чацвярг", 3),
    ("чц", 3),
    ("thursday", 3),
    ("thursdays", 3),
    ("thu", 3),
    ("thur", 3),
    ("thurs", 3),
    ("пятниц", 4),
    ("пятніц", 4),
    ("пт", 4),
    ("friday", 4),
    ("fridays", 4),
    ("fri", 4),
    ("суббот", 5),
    ("субот", 5),
    ("сб", 5),
    ("saturday", 5),
    ("saturdays", 5),
    ("sat", 5),
    ("воскресен", 6),
    ("вс", 6),
    ("нядзел", 6),
    ("нд", 6),
    ("sunday", 6),
    ("sundays", 6),
    ("sun", 6),
];

/// Words for "every day", "weekdays", "weekends".
const EVERY_DAY: &[&str] = &["ежедневно", "каждый день", "daily", "every day", "штодня", "кожны дзень", "штодзённа"];
const WORKING_DAYS: &[&str] = &["будн", "weekdays", "рабочим дням", "рабочие дни", "working days", "працоўныя дні"];
const WEEKENDS: &[&str] = &["выходн", "weekends", "выхадн"];
/// Words that make the weekday or date after them an exception.
const EXCEPT: &[&str] = &[
    "кроме",
    "апрача",
    "за исключением",
    "except",
    "excluding",
    "but not",
    "акрамя",
    "за выключэннем",
    "нет занятий",
    "занятий не будет",
    "не будет занятий",
    "не будзе заняткаў",
    "заняткаў не будзе",
    "няма заняткаў",
    "перерыв",
    "перапынак",
    "no class",
    "no classes",
    "no session",
    "no sessions",
    "no lesson",
    "no meeting",
    "break on",
    "break from",
    "skip",
    "выходной",
    "выхадны",
];
/// "weekly" without a weekday: the first session's weekday.
const WEEKLY: &[&str] = &[
    "еженедельно",
    "раз в неделю",
    "один раз в неделю",
    "weekly",
    "once a week",
    "every week",
    "штотыдзень",
    "раз на тыдзень",
    "раз у тыдзень",
    "адзін раз на тыдзень",
    "кожны тыдзень",
];

/// Number words 1–20 and some tens, for "восемь занятий", "eight sessions".
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("один", 1),
    ("одно", 1),
    ("адзін", 1),
    ("адно", 1),
    ("one", 1),
    ("два", 2),
    ("две", 2),
    ("дзве", 2),
    ("two", 2),
    ("twice", 2),
    ("три", 3),
    ("тры", 3),
    ("three", 3),
    ("четыре", 4),
    ("чатыры", 4),
    ("four", 4),
    ("пять", 5),
    ("пяць", 5),
    ("five", 5),
    ("шесть", 6),
    ("шэсць", 6),
    ("six", 6),
    ("семь", 7),
    ("сем", 7),
    ("seven", 7),
    ("восемь", 8),
    ("восем", 8),
    ("eight", 8),
    ("девять", 9),
    ("дзевяць", 9),
    ("nine", 9),
    ("десять", 10),
    ("дзесяць", 10),
    ("ten", 10),
    ("одиннадцать", 11),
    ("адзінаццаць", 11),
    ("eleven", 11),
    ("двенадцать", 12),
    ("дванаццаць", 12),
    ("twelve", 12),
    ("четырнадцать", 14),
    ("чатырнаццаць", 14),
    ("fourteen", 14),
    ("пятнадцать", 15),
    ("пятнаццаць", 15),
    ("fifteen", 15),
    ("шестнадцать", 16),
    ("шаснаццаць", 16),
    ("sixteen", 16),
    ("двадцать", 20),
    ("дваццаць", 20),
    ("twenty", 20),
    ("тридцать", 30),
    ("двух", 2),
    ("трёх", 3),
    ("трех", 3),
    ("четырёх", 4),
    ("четырех", 4),
    ("пяти", 5),
    ("шести", 6),
    ("семи", 7),
    ("восьми", 8),
    ("девяти", 9),
    ("десяти", 10),
    ("двенадцати", 12),
    ("шестнадцати", 16),
    ("двадцати", 20),
    ("васьмі", 8),
    ("шасці", 6),
    ("дзесяці", 10),
    ("дванаццаці", 12),
];

const SESSION_NOUNS: &str = r"занятий|занятия|занятие|уроков|урока|урок|встреч[аи]?|лекций|лекции|семинаров|тренировок|заняткаў|заняткі|занятак|урокаў|сустрэч[аы]?|лекцый|sessions?|lessons?|classes|meetings|workshops|lectures|evenings";
const WEEK_NOUNS: &str = r"недел[ьяию]\w*|тыдн\w*|тыдзень|weeks?";

static COUNT_RE: LazyLock<Regex> = LazyLock::new(|| {
    let words = {
        let mut w: Vec<&str> = NUMBER_WORDS.iter().map(|(w, _)| *w).collect();
        w.sort_by_key(|w| std::cmp::Reverse(w.len()));
        w.join("|")
    };
    Regex::new(&format!(
        r"(?i)(?:^|[^\d\w.,:])(?P<n>\d{{1,3}}|{words})\s*-?\s*(?:(?P<adj>\p{{L}}+)\s+)?(?:(?P<s>{SESSION_NOUNS})|(?P<w>{WEEK_NOUNS}))(?:[^\w]|$)"
    ))
    .expect("static regex")
});
static PER_WEEK_TAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:в|на|у|ў|a|per|each|every)\s+(?:неделю|тыдзень|week)").expect("static regex")
});
static PER_WEEK_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d|[\p{L}]+)\s*(?:раза?|разы|times)\s*(?:в|на|у|ў|a|per)\s*(?:неделю|тыдзень|week)")
        .expect("static regex")
});
static TIME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\d.:/])(\d{1,2})(?:[:.](\d{2}))?\s*(?P<ap>[ap]\.?\s?m\.?)?(?P<rest>\s*(?:-|–|—|до|да|to|till|until)\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?P<ap2>[ap]\.?\s?m\.?)?)?(?:[^\d.:/]|\.(?:\D|$)|:(?:\s|$)|$)",
    )
    .expect("static regex")
});
static FORTNIGHT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)раз\s+(?:в|на|у)\s+(?:две|два|2)\s+(?:недели|тыдні|тыдня)|every\s+(?:two|2)\s+weeks?|every\s+other\b|fortnightly|bi-?weekly|через\s+неделю|каждую\s+вторую\s+неделю|праз\s+тыдзень",
    )
    .expect("static regex")
});
/// Ordinals of a weekday in its month.
const ORDINALS: &[(&str, i32)] = &[
    ("перв", 1),
    ("перш", 1),
    ("first", 1),
    ("1st", 1),
    ("втор", 2),
    ("друг", 2),
    ("second", 2),
    ("2nd", 2),
    ("трет", 3),
    ("трэц", 3),
    ("third", 3),
    ("3rd", 3),
    ("четвёрт", 4),
    ("четверт", 4),
    ("чацвёрт", 4),
    ("чацверт", 4),
    ("fourth", 4),
    ("4th", 4),
    ("последн", -1),
    ("апошн", -1),
    ("last", -1),
];

/// Words after a date that make it a day without a session ("8 марта — выходной").
const EXCEPT_AFTER: &[&str] = &[
    "выходной",
    "выхадны",
    "занятия нет",
    "занятий нет",
    "нет занятий",
    "занятия не будет",
    "заняткаў няма",
    "няма заняткаў",
    "занятка не будзе",
    "no class",
    "no session",
    "no lesson",
    "no meeting",
    "is a holiday",
    "не будзе",
    "не будет",
    "не состоится",
    "не адбудзецца",
    "cancelled",
    "переносится",
    "пераносіцца",
    "праздник",
    "свята",
];
/// Words after a weekday (in its sentence) that make it a day the place is closed, not a day of
/// sessions: "Апошні чацвер месяца — санітарны дзень", "по понедельникам музей закрыт".
const CLOSED_AFTER: &[&str] =
    &["санитарн", "санітарн", "закрыт", "зачынен", "не работает", "не працуе", "closed", "cleaning day"];

static UNTIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let month = &*MONTH_ALT;
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}])(?:до|по|да|па|until|till|through|to)\s+(?:(\d{{1,2}})\s*({month})\b|({month})\s+(\d{{1,2}})\b|(\d{{1,2}})\.(\d{{2}})\b)"
    ))
    .expect("static regex")
});
static DAY_MONTH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?P<d1>\d{{1,2}})(?P<list>(?:\s*(?:,|и|і|and|&)\s*\d{{1,2}})*)(?:\s*(?:-|–|—|по|па|to|until)\s*(?P<d2>\d{{1,2}}))?\s*(?P<m>{})\b|\b(?P<nd>\d{{1,2}})\.(?P<nm>\d{{2}})(?:\.\d{{2,4}})?\b",
        *MONTH_ALT
    ))
    .expect("static regex")
});

/// Phrases that say the date itself is not known yet.
const UNKNOWN_DATE: &[&str] = &[
    "дата уточняется",
    "даты уточняются",
    "дата будет объявлена",
    "дата ўдакладняецца",
    "даты ўдакладняюцца",
    "дата будзе абвешчана",
    "date to be announced",
    "dates to be announced",
    "date tba",
    "dates tba",
    "date tbc",
    "date to be confirmed",
];

/// Phrases that say the sessions after the first are not known yet.
const UNKNOWN_SCHEDULE: &[&str] = &[
    "расписание уточняется",
    "расписание будет",
    "по согласованию",
    "по расписанию группы",
    "время уточняется",
    "согласовыва",
    "согласуем",
    "согласуется",
    "дамаўляемся",
    "дамовімся",
    "договоримся",
    "договариваемся",
    "расклад удакладняецца",
    "расклад будзе",
    "час удакладняецца",
    "узгадня",
    "узгодзім",
    "па ўзгадненні",
    "schedule to be announced",
    "schedule tba",
    "to be confirmed",
    "will be agreed",
    "to be agreed",
    "agreed with",
    "arranged with",
    "by arrangement",
    "schedule is arranged",
    "по мере набора",
    "по мере комплектования",
    "по заявкам",
    "па заяўках",
    "па меры набору",
    "as groups fill",
    "по гибкому графику",
    "па гнуткім графіку",
    "flexible schedule",
    "по индивидуальному графику",
    "по индивидуальному расписанию",
    "па індывідуальным графіку",
    "па індывідуальным раскладзе",
    "individual schedule",
    "individual timetable",
    "па дамоўленасці",
    "дни и время — по договор",
    "days and times are agreed",
    "даты следующих",
    "даты наступных",
    "dates of the next",
    "next dates",
    "график гибкий",
    "гибкий график",
    "графік гнуткі",
    "гнуткі графік",
    "flexible timetable",
    "schedule is flexible",
    "графика пока нет",
    "расписания пока нет",
    "графіка пакуль няма",
    "раскладу пакуль няма",
    "не каждую неделю",
    "не кожны тыдзень",
    "not every week",
    "когда удобно",
    "калі зручна",
    "несколько встреч",
    "несколько занятий",
    "некалькі сустрэч",
    "некалькі заняткаў",
    "a few sessions",
    "several sessions",
    "a few meetings",
    "several meetings",
];

/// "Дата будет сообщена дополнительно", "the date is not yet fixed": a date word (singular:
/// "further dates will be agreed" speaks of the schedule) and, within
/// three words of the same sentence, a word that puts it off.
static UNKNOWN_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bдат[ау]\b|\bdate\b|\bсрок\w*|\bтэрмін\w*)[^\w.]+(?:\w+[^\w.]+){0,3}?(?:уточн|ўдакладн|удакладн|будет|будзе|позже|пазней|later|tba|tbc|to\s+be|will\s+be|announced|сообщ|паведам|объяв|абвясц|определ|вызнач|неизвест|невядом|not\s+yet|yet\s+to)",
    )
    .expect("static regex")
});

/// "Coming soon", "следите за новостями": news to wait for, which is the date's only when the
/// sentence puts off nothing else ("день недели уточняется — следите за новостями" is the
/// timetable's).
static WAIT_FOR_NEWS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)coming\s+soon|stay\s+tuned|следите\s+за\s+(?:анонс|новост)|сачыце\s+за\s+(?:анонс|навін)")
        .expect("static regex")
});

/// The phrase that says the date is not known yet, when the text has one.
pub fn unknown_date(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    UNKNOWN_DATE
        .iter()
        .find(|p| lower.contains(*p))
        .map(|p| (*p).to_owned())
        .or_else(|| UNKNOWN_DATE_RE.find(text).map(|m| m.as_str().to_owned()))
        .or_else(|| {
            super::sentences(text).into_iter().find_map(|sentence| {
                let m = WAIT_FOR_NEWS_RE.find(sentence)?;
                unknown_timetable(sentence).is_none().then(|| m.as_str().to_owned())
            })
        })
}

/// "Расписание формируется после прослушивания", "the timetable will be published later": a
/// schedule word and, within three words of the same sentence, a word that puts it off.
static UNKNOWN_SCHEDULE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:расписани|расклад|графи[кц]|schedule|timetable|dates\b|даты\b|время\b|дни\b|дні\b|days\b|times\b|день\s+недели\b|дзень\s+тыдня\b|day\s+of\s+the\s+week\b|weekdays?\b)\w*[^\w.]+(?:\w+[^\w.]+){0,3}?(?:уточн|ўдакладн|удакладн|согласовыва|согласуе|согласуют|узгадня|формир|фармір|фармуе|составл|складз|определ|вызнач|будет|будзе|позже|пазней|later|tba|tbc|tbd|to\s+be|will\s+be|to\s+follow|after|после|пасля|announced|agreed|arranged|договор|дамоў|agreement|arrangement|сообщ|паведам|объяв|абвясц|ўзгадня|обсужд|абмярко|depends?\s+on|залеж|завис)",
    )
    .expect("static regex")
});

/// The phrase that says the timetable (the days, times or dates of the sessions) is not known
/// yet, when the text has one.
pub fn unknown_timetable(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    UNKNOWN_SCHEDULE
        .iter()
        .find(|p| lower.contains(*p))
        .map(|p| (*p).to_owned())
        .or_else(|| UNKNOWN_SCHEDULE_RE.find(text).map(|m| m.as_str().to_owned()))
}

/// The phrase that says the schedule (or the date) is not known yet, when the text has one.
pub fn unknown_schedule(text: &str) -> Option<String> {
    unknown_timetable(text).or_else(|| unknown_date(text))
}

/// One word of the text with its byte offset.
fn words(lower: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        let part = c.is_alphanumeric() || c == 'ў' || c == '\'' || c == '’';
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &lower[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &lower[s..]));
    }
    out
}

fn weekday_of(word: &str) -> Option<u32> {
    WEEKDAYS
        .iter()
        .find(|(stem, _)| if stem.chars().count() >= 4 { word.starts_with(stem) } else { word == *stem })
        .map(|(_, d)| *d)
}

fn number_of(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| NUMBER_WORDS.iter().find(|(w, _)| *w == word).map(|(_, n)| *n))
}

/// A clock time from the digits and the `am`/`pm` as written, by the date readers' own rule.
fn clock(h: &str, m: Option<&str>, ap: Option<&str>) -> Option<NaiveTime> {
    let hour: u32 = h.parse().ok()?;
    let minute: u32 = m.map_or(Some(0), |m| m.parse().ok())?;
    let half = ap.map(|a| if a.to_ascii_lowercase().starts_with('p') { "p" } else { "a" });
    crate::dates::clock_time(hour, minute, half)
}

/// Times in the text: (offset, slot). A bare number is a time only with am/pm or a range
/// of times ("19–21" is not read; "7 pm", "18:30", "19:00–20:30" are).
fn times(text: &str) -> Vec<(usize, Slot)> {
    let mut out = Vec::new();
    for c in TIME_RE.captures_iter(text) {
        let Some(h) = c.get(1) else { continue };
        let minutes = c.get(2).map(|m| m.as_str());
        let ap = c.name("ap").map(|m| m.as_str());
        let ap2 = c.name("ap2").map(|m| m.as_str());
        if minutes.is_none() && ap.is_none() && ap2.is_none() {
            continue;
        }
        // "12.01.2027" is a date, not a time.
        if c.get(2).is_some_and(|m| {
            text[m.end()..].starts_with('.') && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
        }) {
            continue;
        }
        let Some(start) = clock(h.as_str(), minutes, ap.or(ap2)) else { continue };
        let end = c
            .name("rest")
            .and_then(|_| clock(c.get(5)?.as_str(), c.get(6).map(|m| m.as_str()), ap2.or(ap)))
            .filter(|e| *e > start);
        out.push((h.start(), (start, end)));
    }
    out
}

/// Reads what `text` says about a schedule; `None` when it names no weekday, count, weekly
/// rhythm or every-day rhythm.
pub fn read(text: &str) -> Option<Plan> {
    let mut lower = text.to_lowercase();
    let mut plan = Plan { every_weeks: 1, ..Plan::default() };
    let mut found = false;
    // "раз в две недели": a rhythm, and its number is no count; blanked (same length) after.
    if let Some(m) = FORTNIGHT_RE.find(&lower) {
        plan.every_weeks = 2;
        plan.per_week = Some(1);
        found = true;
        let blank = " ".repeat(m.len());
        lower.replace_range(m.range(), &blank);
    }
    let ws = words(&lower);

    // Exceptions: the words after an "except" cue up to the end of its sentence.
    let except_spans: Vec<(usize, usize)> = EXCEPT
        .iter()
        .flat_map(|cue| lower.match_indices(cue).map(|(at, _)| at))
        .map(|at| {
            let end = lower[at..].find(['.', ';', '\n', ')']).map_or(lower.len(), |e| at + e);
            (at, end)
        })
        .collect();
    let in_except = |pos: usize| except_spans.iter().any(|(a, b)| (*a..*b).contains(&pos));
    let closed_after = |pos: usize| {
        let tail = &lower[pos..];
        let clause = &tail[..tail.find(['.', ';', '\n']).unwrap_or(tail.len())];
        CLOSED_AFTER.iter().any(|cue| clause.contains(cue))
    };

    // Dates that are exceptions.
    for c in DAY_MONTH_RE.captures_iter(&lower) {
        let Some(all) = c.get(0) else { continue };
        let tail = &lower[all.end()..];
        // "8 марта — выходной, ..." (the cue before the comma), "11 траўня — Радаўніца, заняткаў
        // няма" (after it, with no other number in the clause to take the cue).
        let clause = &tail[..tail.find(['.', ';', ',', '\n']).unwrap_or(tail.len())];
        let sentence = &tail[..tail.find(['.', ';', '\n', ')']).unwrap_or(tail.len())];
        let cue_after = EXCEPT_AFTER.iter().any(|cue| clause.contains(cue))
            || (!sentence.chars().any(|c| c.is_ascii_digit()) && EXCEPT_AFTER.iter().any(|cue| sentence.contains(cue)));
        if !in_except(all.start()) && !cue_after {
            continue;
        }
        if let (Some(d1), Some(m)) = (c.name("d1"), c.name("m")) {
            let Some(month) = month_number(m.as_str()) else { continue };
            let first: u32 = d1.as_str().parse().unwrap_or(0);
            let last: u32 = c.name("d2").and_then(|d| d.as_str().parse().ok()).unwrap_or(first);
            // "1 и 8 мая", "24 и 31 марта": every day of the list (the first not a time's minutes).
            let listed: Vec<u32> = c.name("list").map_or(Vec::new(), |l| {
                l.as_str().split(|ch: char| !ch.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect()
            });
            let after_clock = lower[..d1.start()].ends_with([':', '.']);
            if !after_clock {
                plan.except.push((first, month));
            }
            plan.except.extend(listed.iter().filter(|d| (1..=31).contains(*d)).map(|d| (*d, month)));
            let from = listed.last().copied().unwrap_or(first);
            plan.except.extend((from + 1..=last.min(31)).map(|d| (d, month)));
        } else if let (Some(d), Some(m)) = (c.name("nd"), c.name("nm"))
            && let (Ok(day), Ok(month)) = (d.as_str().parse(), m.as_str().parse())
        {
            plan.except.push((day, month));
        }
    }

    // The last day: "до 29 мая", "until May 29", "по 25.02".
    plan.until =
        UNTIL_RE.captures_iter(&lower).filter(|c| c.get(0).is_some_and(|m| !in_except(m.start()))).find_map(|c| {
            let (day, month) = if let (Some(d), Some(m)) = (c.get(1), c.get(2)) {
                (d.as_str().parse().ok()?, month_number(m.as_str())?)
            } else if let (Some(m), Some(d)) = (c.get(3), c.get(4)) {
                (d.as_str().parse().ok()?, month_number(m.as_str())?)
            } else {
                (c.get(5)?.as_str().parse().ok()?, c.get(6)?.as_str().parse().ok()?)
            };
            (1..=31).contains(&day).then_some((day, month)).filter(|(_, m)| (1..=12).contains(m))
        });

    // Weekdays, with ranges ("пн–пт", "с понедельника по пятницу") and exceptions.
    let mut excluded: Vec<u32> = Vec::new();
    let mut last_day: Option<(usize, u32)> = None;
    let mut days_in_order: Vec<(usize, u32)> = Vec::new();
    // One weekday in the whole text, with no "every": it may be a date's ("Thursday 18 February").
    let lone_weekday = ws.iter().filter(|(_, w)| weekday_of(w).is_some()).count() == 1
        && !EVERY_WEEKDAY_RE.is_match(&lower)
        && !WEEKLY.iter().any(|p| lower.contains(p));
    for (i, &(pos, word)) in ws.iter().enumerate() {
        let Some(day) = weekday_of(word) else { continue };
        // "IT-субботы", "Арт-субботы": a weekday joined by a hyphen to a word that is no weekday
        // is a name, not a day of the schedule ("пн-пт" is a range).
        if lower[..pos].ends_with('-')
            && i > 0
            && ws[i - 1].0 + ws[i - 1].1.len() + 1 == pos
            && weekday_of(ws[i - 1].1).is_none()
        {
            continue;
        }
        if lone_weekday && one_dates_weekday(&lower, pos, word) {
            continue;
        }
        if in_except(pos) || closed_after(pos) {
            excluded.push(day);
            continue;
        }
        if let Some((prev_pos, prev)) = last_day {
            let between = &lower[prev_pos..pos];
            let between = between.split_once(char::is_whitespace).map_or("", |(_, r)| r).trim();
            let is_range = ["-", "–", "—", "по", "па", "to", "until", "till", "through"].iter().any(|sep| {
                between == *sep
                    || between.trim_start_matches(|c: char| c.is_alphanumeric()).trim() == *sep
                    || between.ends_with(&format!(" {sep}"))
            }) && i > 0
                && lower[prev_pos..pos].split_whitespace().count() <= 3;
            let dash_joined = lower[prev_pos..pos].trim_end().ends_with(['-', '–', '—']);
            if (is_range || dash_joined) && prev != day {
                let mut d = (prev + 1) % 7;
                while d != day {
                    days_in_order.push((pos, d));
                    d = (d + 1) % 7;
                }
            }
        }
        days_in_order.push((pos, day));
        last_day = Some((pos, day));
    }
    // "каждую первую субботу месяца", "first and third Friday of every month": ordinals just
    // before a weekday, with a month word after it.
    if lower.contains("месяц") || lower.contains("month") || lower.contains("месяца") {
        for (i, &(pos, word)) in ws.iter().enumerate() {
            if weekday_of(word).is_none() || closed_after(pos) {
                continue;
            }
            // The month word follows the weekday closely ("субботу месяца", "Friday of every month").
            let tail: String = lower[pos..].chars().take(30).collect();
            if !(tail.contains("месяц") || tail.contains("month")) {
                continue;
            }
            let before = ws[..i].iter().rev().take(4).take_while(|(p, w)| pos - p < 40 && weekday_of(w).is_none());
            for (_, w) in before {
                if let Some((_, n)) = ORDINALS.iter().find(|(stem, _)| w.starts_with(stem))
                    && !plan.of_month.contains(n)
                {
                    plan.of_month.push(*n);
                }
            }
        }
    }
    plan.of_month.sort_unstable();
    // "будни", "выходные": in an exception ("штодня акрамя выхадных") they are days without
    // sessions.
    let mentions = |stems: &[&str]| -> (bool, bool) {
        let mut found = (false, false);
        for stem in stems {
            for (at, _) in lower.match_indices(stem) {
                if lower[..at].chars().next_back().is_some_and(char::is_alphanumeric) {
                    continue;
                }
                // "кроме выходных" is weekends off; "8 мая — выходной" is its own cue, a day off.
                if except_spans.iter().any(|(a, b)| *a < at && at < *b) {
                    found.1 = true;
                } else {
                    found.0 = true;
                }
            }
        }
        found
    };
    let (working_days, no_working_days) = mentions(WORKING_DAYS);
    let (weekends, no_weekends) = mentions(WEEKENDS);
    if no_weekends {
        excluded.extend([5, 6]);
    }
    if no_working_days {
        excluded.extend(0..5);
    }
    if EVERY_DAY.iter().any(|p| lower.contains(p)) {
        days_in_order.extend((0..7).map(|d| (0, d)));
    } else if working_days {
        days_in_order.extend((0..5).map(|d| (0, d)));
    } else if weekends && days_in_order.is_empty() {
        days_in_order.extend((5..7).map(|d| (0, d)));
    }
    for d in &excluded {
        days_in_order.retain(|(_, x)| x != d);
    }

    // Times: each weekday takes the first time after it and before the next weekday's time.
    let found_times = times(&lower);
    let mut pending: Vec<u32> = Vec::new();
    let mut cursor = days_in_order.iter().peekable();
    let mut time_iter = found_times.iter().peekable();
    loop {
        let next_day = cursor.peek().map(|(p, _)| *p);
        let next_time = time_iter.peek().map(|(p, _)| *p);
        match (next_day, next_time) {
            (Some(dp), Some(tp)) if dp <= tp => {
                let (_, d) = cursor.next().expect("peeked");
                plan.weekdays.entry(*d).or_insert(None);
                pending.push(*d);
            }
            (_, Some(_)) => {
                let (_, slot) = time_iter.next().expect("peeked");
                if pending.is_empty() {
                    plan.time.get_or_insert(*slot);
                }
                for d in pending.drain(..) {
                    plan.weekdays.insert(d, Some(*slot));
                }
            }
            (Some(_), None) => {
                let (_, d) = cursor.next().expect("peeked");
                plan.weekdays.entry(*d).or_insert(None);
            }
            (None, None) => break,
        }
    }
    if plan.time.is_none() {
        plan.time = plan.weekdays.values().flatten().next().copied();
    }
    found |= !plan.weekdays.is_empty();

    // Counts: "12 занятий", "восемь встреч", "6 weeks".
    for c in COUNT_RE.captures_iter(&lower) {
        let Some(num) = c.name("n") else { continue };
        // "8 марта занятия нет" is a date.
        if in_except(num.start()) || c.name("adj").is_some_and(|a| month_number(a.as_str()).is_some()) {
            continue;
        }
        // "1 занятие" is a single session, no plan.
        let Some(n) = number_of(num.as_str()).filter(|n| (2..=500).contains(n)) else { continue };
        // "2 занятия в неделю" and "twice a week" are a rhythm, not a count.
        let after = c.get(0).map_or("", |m| &lower[m.end()..]);
        let rhythm = c.name("w").is_some()
            && c.name("adj").is_some_and(|a| ["a", "в", "на", "у", "ў", "per", "each", "every"].contains(&a.as_str()));
        if rhythm || PER_WEEK_TAIL_RE.is_match(after) {
            plan.per_week.get_or_insert(n);
            continue;
        }
        if c.name("w").is_some() {
            plan.weeks.get_or_insert(n);
        } else {
            plan.count.get_or_insert(n);
        }
    }
    found |= plan.count.is_some() || plan.weeks.is_some();

    // "2 раза в неделю"; "будзем раз на тыдзень" names no number and is weekly.
    let stated = PER_WEEK_RE.captures_iter(&lower).find_map(|c| c.get(1).and_then(|m| number_of(m.as_str())));
    if let Some(n) = stated {
        plan.per_week = Some(n);
    } else if plan.per_week.is_none() && (WEEKLY.iter().any(|p| lower.contains(p)) || EVERY_WEEKDAY_RE.is_match(&lower))
    {
        plan.per_week = Some(1);
    }
    found |= plan.per_week.is_some();
    found.then_some(plan)
}

/// A date right after a weekday ("18 February 2027", "13 марта", "February 18").
static DATE_AFTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^[\s,(]{{0,3}}(?:\d{{1,2}}(?:\.\d{{2}}\b|\s*(?:{m})\b)|(?:{m})\s+\d{{1,2}}\b)",
        m = *MONTH_ALT
    ))
    .expect("static regex")
});

/// A date right before a weekday ("13 марта (сб)", "18.02, чацвер").
static DATE_BEFORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?:\d{{1,2}}\s*(?:{m})|\d{{1,2}}\.\d{{2}}(?:\.\d{{2,4}})?|(?:{m})\s+\d{{1,2}})[\s,(]{{0,3}}$",
        m = *MONTH_ALT
    ))
    .expect("static regex")
});

/// Whether the weekday `word` at `pos` is one date's ("Thursday 18 February 2027", "суббота,
/// 13 марта", "13 марта (сб)"): the text's only weekday, in the singular, right beside a date
/// names that day, not a rhythm ("по субботам, 13 марта – 29 мая", "Saturdays, from 13 March" and
/// "Monday 15 – Friday 19 March" are rhythms).
fn one_dates_weekday(lower: &str, pos: usize, word: &str) -> bool {
    let plural = word.ends_with('s') || ["ам", "ям", "ах", "ях", "ми"].iter().any(|e| word.ends_with(e));
    !plural && (DATE_AFTER_RE.is_match(&lower[pos + word.len()..]) || DATE_BEFORE_RE.is_match(&lower[..pos]))
}

/// "Каждую субботу", "кожны аўторак", "every Monday", "каждую неделю": "every" before a weekday or
/// a week. "Каждый желающий", "кожны можа прыйсці" (anyone) and "every participant" are no rhythm.
static EVERY_WEEKDAY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:каждую|каждый|каждое|кожную|кожны|кожнае|every)\s+(?:\w+\s+)?(?:недел|тыд|week|понедельник|вторник|сред[уы]|четверг|пятниц|суббот|воскресень|панядзел|аўтор|серад|чацвер|пятніц|субот|нядзел|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    )
    .expect("static regex")
});

/// The one time range a text gives ("10:00–13:00"), when it gives exactly one (however often).
pub fn hours(text: &str) -> Option<Slot> {
    let found = times(&text.to_lowercase());
    let (_, first) = found.first()?;
    (first.1.is_some() && found.iter().all(|(_, s)| s == first)).then_some(*first)
}

/// A session laid out by a plan: local start and end.
pub type Laid = (NaiveDateTime, Option<NaiveDateTime>);

impl Plan {
    /// True when the plan names a rhythm (weekdays, so many a week, every other week, days of
    /// the month): sessions that repeat, whether or not the text says how often in all.
    pub fn repeats(&self) -> bool {
        !self.weekdays.is_empty() || self.per_week.is_some() || self.every_weeks > 1 || !self.of_month.is_empty()
    }

    /// Sessions from `first` (the known first session's local start; a date-only start is
    /// `None` time) up to `last_day` (the known last day) or `count` sessions, whichever the
    /// text and the document give. `Err` says why the sessions cannot be laid out.
    pub fn expand(
        &self,
        first_day: NaiveDate,
        first_time: Option<Slot>,
        last_day: Option<NaiveDate>,
        max: usize,
    ) -> Result<Vec<(NaiveDate, Option<Slot>)>, String> {
        // The text's last day, in the first year that puts it after the first day.
        let until = self.until.and_then(|(day, month)| {
            (first_day.year()..=first_day.year() + 1)
                .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
                .find(|d| *d >= first_day)
        });
        let last_day = match (last_day, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut days: BTreeMap<u32, Option<Slot>> = self.weekdays.clone();
        let mut step_days: Option<i64> = None;
        if days.is_empty() {
            match (self.per_week, self.count, last_day) {
                (Some(n), _, _) if n > 1 => {
                    return Err(format!("the text says {n} sessions a week but not on which days"));
                }
                // "5 занятий" from Monday to Friday: evenly spaced between the first and last day.
                (_, Some(count), Some(last)) if count > 1 && last > first_day => {
                    let span = (last - first_day).num_days();
                    if span % i64::from(count - 1) == 0 {
                        step_days = Some(span / i64::from(count - 1));
                    } else {
                        days.insert(first_day.weekday().num_days_from_monday(), None);
                    }
                }
                _ => {
                    days.insert(first_day.weekday().num_days_from_monday(), None);
                }
            }
        }
        // "Курс длится четыре недели" with no weekday or rhythm says how long, not how often.
        if self.count.is_none() && self.weeks.is_some() && !self.repeats() {
            return Err("the text gives a length in weeks but not how often the course meets".into());
        }
        let count = self.count.or_else(|| self.weeks.map(|w| w * days.len().max(1) as u32)).map(|c| c as usize);
        if count.is_none() && last_day.is_none_or(|l| l <= first_day) {
            return Err("the text gives weekdays but neither the number of sessions nor the last day".into());
        }
        // The document's first time wins over a time the text gives apart from any weekday
        // ("Регистрация до 10:00"); a range in the text gives it an end.
        let with_end = |slot: Slot, other: Option<Slot>| match other {
            Some((start, end)) if start == slot.0 && slot.1.is_none() => (slot.0, end),
            _ => slot,
        };
        let default_slot = match first_time {
            Some(first) => Some(with_end(first, self.time)),
            None => self.time,
        };
        let limit = count.unwrap_or(usize::MAX).min(max);
        let mut out = Vec::new();
        let mut day = first_day;
        let excepted = |d: NaiveDate| self.except.contains(&(d.day(), d.month()));
        // At most three years of days are looked at.
        for _ in 0..(366 * 3) {
            if out.len() >= limit || last_day.is_some_and(|l| day > l) {
                break;
            }
            let listed = match step_days {
                Some(step) => ((day - first_day).num_days() % step == 0).then_some(None),
                None => days.get(&day.weekday().num_days_from_monday()).copied(),
            };
            let week = (day - first_day).num_days().div_euclid(7);
            let listed = listed.filter(|_| week % i64::from(self.every_weeks.max(1)) == 0);
            let listed = listed.filter(|_| {
                self.of_month.is_empty()
                    || self.of_month.contains(&nth_in_month(day))
                    || (self.of_month.contains(&-1) && is_last_in_month(day))
            });
            if (listed.is_some() || day == first_day) && !excepted(day) {
                let listed = listed.flatten();
                let slot = match (day == first_day, first_time) {
                    (true, Some(first)) => Some(with_end(first, listed.or(default_slot))),
                    _ => listed.or(default_slot),
                };
                out.push((day, slot));
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        Ok(out)
    }
}

/// Which of its weekday's occurrences in the month `day` is (1 for the first).
fn nth_in_month(day: NaiveDate) -> i32 {
    (day.day0() / 7 + 1) as i32
}

/// True when no later day of the same weekday is in `day`'s month.
fn is_last_in_month(day: NaiveDate) -> bool {
    day.checked_add_days(chrono::Days::new(7)).is_none_or(|next| next.month() != day.month())
}

/// A session's local end from its slot, or the given duration.
pub fn end_of(day: NaiveDate, slot: Slot, duration: Option<Duration>) -> Option<NaiveDateTime> {
    match slot.1 {
        Some(end) => Some(day.and_time(end)),
        None => duration.map(|d| day.and_time(slot.0) + d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekdays_times_and_counts() {
        let p = read("по вторникам и четвергам в 18:30, 12 занятий").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(p.time, Some((t(18, 30), None)));
        assert_eq!(p.count, Some(12));

        let p = read("Mondays and Wednesdays 19:00–20:30, 8 sessions").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [0, 2]);
        assert_eq!(p.weekdays[&0], Some((t(19, 0), Some(t(20, 30)))));
        assert_eq!(p.count, Some(8));

        let p = read("кожную суботу а 11:00").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [5]);
        assert_eq!(p.time, Some((t(11, 0), None)));

        let p = read("Вт 18:30, Чт 19:00").unwrap();
        assert_eq!(p.weekdays[&1], Some((t(18, 30), None)));
        assert_eq!(p.weekdays[&3], Some((t(19, 0), None)));

        assert_eq!(read("Курс из восьми встреч").unwrap().count, Some(8));
        assert_eq!(read("Курс из 8 практических занятий").unwrap().count, Some(8));
        assert_eq!(read("восемь занятий по субботам").unwrap().count, Some(8));
        assert!(read("Кожны можа прыйсці і паспрабаваць.").is_none());
        assert!(read("Каждый желающий получит сертификат.").is_none());
        assert!(read("IT-субботы — цикл открытых лекций.").is_none());
        assert_eq!(read("каждую неделю, 6 занятий").unwrap().per_week, Some(1));
        assert_eq!(read("every Monday at 18:00").unwrap().weekdays.len(), 1);
        assert_eq!(read("6 weeks, every Tuesday at 7 pm").unwrap().weeks, Some(6));
        assert_eq!(read("6 weeks, every Tuesday at 7 pm").unwrap().time, Some((t(19, 0), None)));
    }

    #[test]
    fn ranges_every_day_and_exceptions() {
        let p = read("пн–пт 10:00").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        let p = read("с понедельника по пятницу").unwrap();
        assert_eq!(p.weekdays.len(), 5);
        let p = read("ежедневно, кроме воскресенья").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
        let p = read("по средам, нет занятий 7 января").unwrap();
        assert_eq!(p.except, [(7, 1)]);
        let p = read("по субботам (перерыв с 1 по 7 января)").unwrap();
        assert_eq!(p.except.len(), 7);
        let p = read("раз в неделю по средам").unwrap();
        assert_eq!(p.per_week, Some(1));
        let p = read("Занятия по понедельникам и средам с 18:30 до 21:00, 1 марта – 21 апреля; 8 марта — выходной.")
            .unwrap();
        assert_eq!(p.except, [(8, 3)]);
        // 4 March 2027 is a Thursday; every other Thursday until 27 May: 4 Mar … 27 May = 7.
        let p = read("сустрэчы раз на два тыдні па чацвяргах а 18:00, з 4 сакавіка да 27 траўня").unwrap();
        assert_eq!((p.every_weeks, p.count, p.weeks), (2, None, None));
        assert_eq!(p.expand(d(2027, 3, 4), None, None, 500).unwrap().len(), 7);
        // 5 February 2027 is a Friday: first and third Fridays until 21 May.
        let p = read("First and third Friday of every month, 19:00, February to May.").unwrap();
        assert_eq!(p.of_month, [1, 3]);
        assert_eq!(p.expand(d(2027, 2, 5), None, Some(d(2027, 5, 21)), 500).unwrap().len(), 8);
        let p = read("Last Thursday of every month, 19:00").unwrap();
        assert_eq!(p.expand(d(2027, 1, 28), None, Some(d(2027, 6, 24)), 500).unwrap().len(), 6);
        let p = read("Every other Saturday, 12:00–14:00 (no meeting on 1 May)").unwrap();
        assert_eq!((p.every_weeks, p.except.clone()), (2, vec![(1, 5)]));
        let p = read("Twice a week, Tue and Fri, 17:30–19:00, from 5 to 26 February.").unwrap();
        assert_eq!((p.count, p.weeks), (None, None));
        assert_eq!(p.expand(d(2027, 2, 5), None, Some(d(2027, 2, 26)), 500).unwrap().len(), 7);
        let p = read("Штодня з 8 па 14 студзеня, апрача панядзелка, а 17.00.").unwrap();
        assert_eq!(p.weekdays.len(), 6);
        // "вторникам" is no ordinal, and a monthly price is no monthly rhythm.
        let p = read("Курс из 24 занятий: по вторникам и пятницам в 16:00. Абонемент на месяц — 140 руб.").unwrap();
        assert!(p.of_month.is_empty());
        // A day the place is closed is no day of sessions.
        assert_eq!(read("Апошні чацвер месяца — санітарны дзень."), None);
        assert_eq!(read("Last Thursday of the month the museum is closed."), None);
        let p = read("Занятия по средам в 18:00; по понедельникам музей закрыт.").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [2]);
        // Holidays and breaks the text names: lists of days, a holiday's name before the cue,
        // weekends in an exception.
        for (text, except) in [
            ("Занятия по субботам с 10:00 до 13:00 (1 и 8 мая занятий нет).", vec![(1, 5), (8, 5)]),
            ("По средам. Перерыв на весенние каникулы: 24 и 31 марта занятий нет.", vec![(24, 3), (31, 3)]),
            ("Кожную суботу а 10:00 (акрамя 1 і 8 траўня).", vec![(1, 5), (8, 5)]),
            ("Wednesdays 18:00. No classes on 3, 10 and 17 March.", vec![(3, 3), (10, 3), (17, 3)]),
            ("па аўторках а 16:00 (11 траўня — Радаўніца, заняткаў няма).", vec![(11, 5)]),
            ("С 12 января по средам в 18:00, нет занятий 7 февраля.", vec![(7, 2)]),
            ("Занятия по субботам в 12:00; 8 мая — выходной.", vec![(8, 5)]),
            ("По субботам; перерыв с 1 по 7 января.", (1..=7).map(|d| (d, 1)).collect()),
        ] {
            let mut got = read(text).map(|p| p.except).unwrap_or_default();
            got.sort_unstable();
            assert_eq!(got, except, "{text}");
        }
        let p = read("Змена з 7 па 18 чэрвеня, штодня акрамя выхадных, 9:00–18:00.").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        let p = read("Занятия по субботам в 12:00; 8 мая — выходной.").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [5]);
        let p = read("Every day except weekends, 10:00.").unwrap();
        assert_eq!(p.weekdays.len(), 5);
        let p = read("по выходным в 12:00").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [5, 6]);
        let p = read("по субботам в 12:00, до 29 мая").unwrap();
        assert_eq!(p.until, Some((29, 5)));
        // 16 January 2027 is a Saturday; 29 May the last one.
        assert_eq!(p.expand(d(2027, 1, 16), None, None, 500).unwrap().len(), 20);
    }

    #[test]
    fn a_time_before_a_multibyte_dash_is_read() {
        // Regression (dev corpus): a byte offset inside "–" panicked.
        let p = read("С 5 по 16 апреля ежедневно, кроме субботы и воскресенья, 19:00–21:00.").unwrap();
        assert_eq!(p.weekdays.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(p.time, Some((t(19, 0), Some(t(21, 0)))));
    }

    #[test]
    fn no_schedule() {
        assert_eq!(read("Лекция о витебском модерне."), None);
        assert_eq!(read("Группа до 12 человек."), None);
    }

    #[test]
    fn expands_between_first_start_and_last_day() {
        // 12 Jan 2027 is a Tuesday.
        let p = read("по вторникам и четвергам в 18:30, 12 занятий").unwrap();
        let s = p.expand(d(2027, 1, 12), Some((t(18, 30), None)), Some(d(2027, 2, 18)), 500).unwrap();
        assert_eq!(s.len(), 12);
        assert_eq!(s[1].0, d(2027, 1, 14));
        assert_eq!(s[11].0, d(2027, 2, 18));

        let p = read("по средам, нет занятий 20 января").unwrap();
        let s = p.expand(d(2027, 1, 13), None, Some(d(2027, 2, 3)), 500).unwrap();
        assert_eq!(s.iter().map(|x| x.0.day()).collect::<Vec<_>>(), [13, 27, 3]);

        let p = read("8 занятий по субботам").unwrap();
        let s = p.expand(d(2027, 1, 16), Some((t(11, 0), None)), None, 500).unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(s[7].0, d(2027, 3, 6));

        let p = read("2 раза в неделю").unwrap();
        assert!(p.expand(d(2027, 1, 16), None, Some(d(2027, 3, 1)), 500).is_err());
        let p = read("2 занятия в неделю, 8 недель").unwrap();
        assert_eq!((p.count, p.per_week, p.weeks), (None, Some(2), Some(8)));
        // Five sessions from Monday to Friday, no weekdays named: every day.
        let p = read("Интенсив из 5 занятий").unwrap();
        let s = p.expand(d(2027, 1, 11), Some((t(10, 0), None)), Some(d(2027, 1, 15)), 500).unwrap();
        assert_eq!(s.len(), 5);
        // The document's time wins over a time the text gives apart from weekdays.
        let p = read("Регистрация до 10:00. 4 занятия по средам").unwrap();
        let s = p.expand(d(2027, 1, 13), Some((t(18, 0), None)), None, 500).unwrap();
        assert_eq!(s[3], (d(2027, 2, 3), Some((t(18, 0), None))));
        let p = read("по субботам").unwrap();
        assert!(p.expand(d(2027, 1, 16), None, None, 500).is_err());
    }

    #[test]
    fn unknown_schedules() {
        assert!(unknown_schedule("Расписание согласовывается с группой.").is_some());
        assert!(unknown_schedule("Dates to be announced").is_some());
        assert!(unknown_date("Дата будет сообщена дополнительно.").is_some());
        assert!(unknown_date("The date is not yet fixed.").is_some());
        // Further sessions are the schedule's business, not the first date's.
        assert!(unknown_date("First meeting 12 May; further dates will be agreed with the group.").is_none());
        assert!(unknown_date("Дата правядзення ўдакладняецца.").is_some());
        assert!(unknown_date("Регистрация до 20 января.").is_none());
        assert!(unknown_schedule("По вторникам").is_none());
        assert!(unknown_schedule("Набор с 15 февраля; расписание формируется после прослушивания.").is_some());
        assert!(unknown_schedule("The timetable will be published in March.").is_some());
        assert!(unknown_schedule("Время и место уточняются.").is_some());
        assert!(unknown_schedule("Дни занятий определяются после собрания.").is_some());
        assert!(unknown_schedule("Timetable to follow.").is_some());
        assert!(unknown_schedule("Расписание: вт и чт 18:30. После занятия — чай.").is_none());
        // Days the group agrees, dates sent later, a timetable that depends on someone.
        assert!(unknown_schedule("Занятия 2 раза в месяц по вторникам, даты сообщим в группе Viber.").is_some());
        assert!(unknown_schedule("Заняткі двойчы на тыдзень, дні ўзгадняюцца з групай.").is_some());
        assert!(unknown_schedule("Старт 8 февраля, график обсуждается на первом занятии.").is_some());
        assert!(unknown_schedule("Mondays, 19:00; the schedule for June depends on the teacher's holiday.").is_some());
    }

    #[test]
    fn a_weekday_beside_its_date_is_no_rhythm() {
        for text in ["Thursday 18 February 2027, 18:00–19:30.", "Суббота, 13 марта, 11:00", "13 марта (сб) в 11:00"]
        {
            assert!(read(text).is_none_or(|p| p.weekdays.is_empty()), "{text}");
        }
        // Plural days, two weekdays, or "every": a rhythm still.
        for text in [
            "По субботам, 13 марта – 29 мая, в 11:00",
            "Monday 15 – Friday 19 March, 9:30",
            "Every Thursday, 18 February to 25 March",
        ] {
            assert!(read(text).is_some_and(|p| !p.weekdays.is_empty()), "{text}");
        }
    }

    #[test]
    fn a_put_off_timetable_is_no_put_off_date() {
        // (text, the timetable is unknown, the date is unknown)
        for (text, timetable, date) in [
            ("Встречи раз в неделю, день недели уточняется — следите за новостями.", true, false),
            ("Сустрэчы раз на тыдзень, дзень тыдня ўдакладняецца.", true, false),
            ("Weekly meetings; the day of the week is to be announced.", true, false),
            ("Дальнейшее расписание — по договорённости с группой.", true, false),
            ("Далейшы расклад — па дамоўленасці з групай.", true, false),
            ("After the first meeting the schedule is by agreement.", true, false),
            ("Новый сезон скоро — следите за новостями.", false, true),
            ("Stay tuned for the spring programme.", false, true),
        ] {
            assert_eq!(unknown_timetable(text).is_some(), timetable, "{text}");
            assert_eq!(unknown_date(text).is_some(), date, "{text}");
            assert!(unknown_schedule(text).is_some(), "{text}");
        }
    }

    #[test]
    fn rhythms_repeat_counts_alone_do_not() {
        for (text, repeats) in [
            ("Каждую пятницу в 19:00, начиная с 15 января", true),
            ("по средам", true),
            ("Weekly from 3 March", true),
            ("Занятия 2 раза в неделю.", true),
            ("сустракацца будзем раз на тыдзень", true),
            ("раз у тыдзень, дзень удакладняецца", true),
            ("два разы ў тыдзень", true),
            ("Встречи проходят раз в неделю", true),
            ("раз в две недели", true),
            ("последний четверг месяца", true),
            ("Курс из 8 занятий", false),
            ("6 weeks", false),
        ] {
            assert_eq!(read(text).is_some_and(|p| p.repeats()), repeats, "{text}");
        }
    }

    #[test]
    fn a_length_in_weeks_alone_says_how_long_not_how_often() {
        let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
        let plan = read("Курс длится четыре недели.").unwrap();
        assert!(plan.expand(day(1), None, None, 100).is_err(), "{plan:?}");
        // With a rhythm the weeks count: six Tuesdays.
        let plan = read("6 weeks, every Tuesday at 7 pm").unwrap();
        assert_eq!(plan.expand(day(2), None, None, 100).map(|s| s.len()), Ok(6));
    }
}
