//! Discriminators: what tells two look-alike offerings apart even when their titles, times and
//! places agree — the age band, the level, the group, who it is for, an open lesson versus the
//! course, online versus in person, the part of a series. Read from the title (and the
//! offering's audience and mode) in Russian, Belarusian and English.
//!
//! Two offerings whose marks [`conflict`](Marks::conflict) are never one entry, whatever else
//! joins them. A mark only one side carries is no conflict: a re-announcement often drops it.

use learncity_model::{Mode, Offering};

/// An age band: from `min`, up to `max` when given ("6+" has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ages {
    /// Lowest age.
    pub min: u8,
    /// Highest age, when given.
    pub max: Option<u8>,
}

/// Audience bits.
const CHILDREN: u8 = 1;
const TEENS: u8 = 2;
const ADULTS: u8 = 4;
const SENIORS: u8 = 8;

/// The discriminators of one offering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// Age band ("для детей 5–7 лет", "ages 7–9", "6+", or the offering's audience ages).
    pub ages: Option<Ages>,
    /// School grades ("для 5–7 классов", "grades 8–11").
    pub grades: Option<Ages>,
    /// Who it is for, as bits (children, teenagers, adults, seniors; a family is children and
    /// adults); 0 when the title does not say.
    pub audience: u8,
    /// Levels named (`a1`…`c2`, `beginner`, `pre-intermediate`, `intermediate`,
    /// `upper-intermediate`, `advanced`, `level-N`), sorted.
    pub levels: Vec<String>,
    /// Group, stream or cohort ("группа 2", "group B", "поток Б" — letters as their number).
    pub group: Option<String>,
    /// Part of a series ("часть 2", "Лекция 3", "Part 2", "№ 4").
    pub part: Option<String>,
    /// `Some(true)` an open or trial lesson, an open day, a presentation of a course;
    /// `Some(false)` the course itself (its title says "курс"/"course", or it has several
    /// sessions, a rule, or one session of days); `None` when neither is told (a re-announcement
    /// that names only the topic).
    pub open_lesson: Option<bool>,
    /// `Some(true)` online, `Some(false)` in person, `None` unknown or both.
    pub online: Option<bool>,
    /// Languages the title names ("Английский язык", "Польская мова", "Spanish"), as glossary
    /// concept ids, sorted: an English and a Polish course at one time are two offerings.
    pub languages: Vec<&'static str>,
}

/// Why two offerings' marks keep them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkConflict {
    /// Different age bands.
    Ages,
    /// Different school grades.
    Grades,
    /// For different people (children / adults...).
    Audience,
    /// Different levels.
    Level,
    /// Different groups.
    Group,
    /// Different parts of a series.
    Part,
    /// One is an open or trial lesson, the other is not.
    OpenLesson,
    /// One is online, the other in person.
    Mode,
    /// They name different languages (a course of English, one of Polish).
    Language,
}

impl MarkConflict {
    /// A short English name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ages => "age band",
            Self::Grades => "school grades",
            Self::Audience => "audience",
            Self::Level => "level",
            Self::Group => "group",
            Self::Part => "part of a series",
            Self::OpenLesson => "open lesson vs course",
            Self::Mode => "online vs in person",
            Self::Language => "language",
        }
    }
}

impl Marks {
    /// The marks of an offering: its title, then its audience ages and mode.
    pub fn of(o: &Offering) -> Self {
        Self::of_title(&o.title).completed_by(o)
    }

    /// The marks of `o`'s title (`self`, from [`Marks::of_title`]) with what its title leaves
    /// unsaid taken from the offering: audience ages, course-ness from its sessions, mode.
    pub fn completed_by(self, o: &Offering) -> Self {
        let mut m = self;
        if m.ages.is_none()
            && let Some(min) = o.audience.age_min
        {
            m.ages = Some(Ages { min, max: o.audience.age_max });
        }
        let long =
            o.sessions.first().and_then(|s| s.end.map(|e| e - s.start)).is_some_and(|d| d > chrono::Duration::days(1));
        if m.open_lesson.is_none() && (o.sessions.len() > 1 || o.recurrence.is_some() || long) {
            m.open_lesson = Some(false);
        }
        if m.online.is_none() {
            m.online = match o.mode {
                Mode::Online => Some(true),
                Mode::InPerson => Some(false),
                _ => None,
            };
        }
        m
    }

    /// The marks a title carries.
    pub fn of_title(title: &str) -> Self {
        Self::of_title_units(title, &crate::glossary::units(title))
    }

    /// [`Marks::of_title`] given the title's glossary units (when the caller has them already).
    pub fn of_title_units(title: &str, units: &[crate::glossary::Unit]) -> Self {
        let lower = title.to_lowercase().replace('ў', "у").replace('’', "'");
        let toks = lex(&lower);
        let mut levels = levels(&toks, &lower);
        levels.sort();
        levels.dedup();
        Self {
            ages: band(&toks, YEAR_WORDS, AGE_WORDS),
            grades: band(&toks, GRADE_WORDS, &["grade"]),
            audience: audience(&toks, &lower),
            levels,
            group: numbered(&toks, GROUP_WORDS, true),
            part: numbered(&toks, PART_WORDS, false),
            open_lesson: if OPEN_LESSON.iter().any(|p| lower.contains(p))
                || toks.iter().any(|t| t.word().is_some_and(|w| OPEN_DAY_WORDS.contains(&w)))
            {
                Some(true)
            } else if toks.iter().any(|t| t.word().is_some_and(|w| COURSE_WORDS.contains(&w))) {
                Some(false)
            } else {
                None
            },
            online: if HYBRID.iter().any(|w| toks.iter().any(|t| t.word().is_some_and(|x| x.starts_with(w)))) {
                None
            } else if ONLINE.iter().any(|w| toks.iter().any(|t| t.word().is_some_and(|x| x.starts_with(w)))) {
                Some(true)
            } else {
                None
            },
            languages: languages(units),
        }
    }

    /// How many discriminators both name and agree on (the same age band, grades, level, group
    /// or part; an audience in common): evidence that two re-announcements of a family of
    /// look-alikes name the same one of them.
    pub fn agreements(&self, other: &Marks) -> usize {
        [
            self.ages.is_some() && self.ages == other.ages,
            self.grades.is_some() && self.grades == other.grades,
            self.audience & other.audience != 0,
            self.levels.iter().any(|l| other.levels.contains(l)),
            self.group.is_some() && self.group == other.group,
            self.part.is_some() && self.part == other.part,
        ]
        .into_iter()
        .filter(|&b| b)
        .count()
    }

    /// The first discriminator on which `self` and `other` disagree.
    pub fn conflict(&self, other: &Marks) -> Option<MarkConflict> {
        if let (Some(a), Some(b)) = (self.ages, other.ages)
            && (a.min != b.min || matches!((a.max, b.max), (Some(x), Some(y)) if x != y))
        {
            return Some(MarkConflict::Ages);
        }
        if let (Some(a), Some(b)) = (self.grades, other.grades)
            && (a.min != b.min || a.max != b.max)
        {
            return Some(MarkConflict::Grades);
        }
        if self.audience != 0 && other.audience != 0 && self.audience & other.audience == 0 {
            return Some(MarkConflict::Audience);
        }
        if !self.levels.is_empty() && !other.levels.is_empty() && !self.levels.iter().any(|l| other.levels.contains(l))
        {
            return Some(MarkConflict::Level);
        }
        if let (Some(a), Some(b)) = (&self.group, &other.group)
            && a != b
        {
            return Some(MarkConflict::Group);
        }
        if let (Some(a), Some(b)) = (&self.part, &other.part)
            && a != b
        {
            return Some(MarkConflict::Part);
        }
        if let (Some(a), Some(b)) = (self.open_lesson, other.open_lesson)
            && a != b
        {
            return Some(MarkConflict::OpenLesson);
        }
        if let (Some(a), Some(b)) = (self.online, other.online)
            && a != b
        {
            return Some(MarkConflict::Mode);
        }
        if !self.languages.is_empty()
            && !other.languages.is_empty()
            && !self.languages.iter().any(|l| other.languages.contains(l))
        {
            return Some(MarkConflict::Language);
        }
        None
    }
}

/// Glossary concepts that name a language (and, as adjectives, what is taught in it or about it).
const LANGUAGES: &[&str] = &[
    "english",
    "german",
    "french",
    "spanish",
    "italian",
    "chinese",
    "polish",
    "belarusian",
    "russian",
    "lithuanian",
    "latvian",
    "ukrainian",
    "japanese",
    "korean",
    "latin",
    "greek",
    "arabic",
    "turkish",
    "hebrew",
    "yiddish",
    "swedish",
    "czech",
    "portuguese",
    "finnish",
    "norwegian",
    "dutch",
    "hindi",
    "persian",
    "tatar",
    "esperanto",
    "sign-language",
];

/// The [`LANGUAGES`] a title's units name, sorted.
fn languages(units: &[crate::glossary::Unit]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = units
        .iter()
        .flat_map(|u| u.concepts.iter().map(|c| crate::glossary::concept_id(*c)))
        .filter_map(|id| LANGUAGES.iter().find(|l| **l == id).copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A piece of a lowercased title.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(u32),
    /// `+` right after a number ("6+").
    Plus,
    /// A dash between numbers.
    Dash,
}

impl Tok {
    fn word(&self) -> Option<&str> {
        match self {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }
}

fn lex(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n: u32 = 0;
            while let Some(&d) = chars.peek() {
                let Some(v) = d.to_digit(10) else { break };
                n = n.saturating_mul(10).saturating_add(v);
                chars.next();
            }
            out.push(Tok::Num(n));
        } else if c.is_alphabetic() || c == '\'' {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if !(d.is_alphabetic() || d == '\'') {
                    break;
                }
                w.push(d);
                chars.next();
            }
            out.push(Tok::Word(w));
        } else {
            chars.next();
            match c {
                '+' => out.push(Tok::Plus),
                '-' | '–' | '—' | '‒' | '−' | '…' => out.push(Tok::Dash),
                _ => {}
            }
        }
    }
    out
}

/// Words after an age range ("лет", "гадоў", "years"), as prefixes.
const YEAR_WORDS: &[&str] = &["лет", "год", "гад", "year", "yrs", "yo", "y"];
/// Words before one ("ages 7–9", "возраст 5-7").
const AGE_WORDS: &[&str] = &["age", "aged", "возраст", "узрост"];
/// Words between two numbers of a range.
const RANGE_WORDS: &[&str] = &["до", "да", "to", "and"];

fn age(n: u32) -> Option<u8> {
    u8::try_from(n).ok().filter(|a| (1..=99).contains(a))
}

/// Words after a grade range ("5–7 классов", "8–11 класаў").
const GRADE_WORDS: &[&str] = &["класс", "клас", "grades"];

/// A band of numbers: "5–7 лет" (`after` words follow it) or "ages 7–9" (`before` words lead).
fn band(toks: &[Tok], follow: &[&str], lead: &[&str]) -> Option<Ages> {
    let is_word = |i: usize, list: &[&str]| {
        toks.get(i)
            .and_then(Tok::word)
            .is_some_and(|w| list.iter().any(|p| w.starts_with(p) && (p.len() > 1 || w == *p)))
    };
    for (i, t) in toks.iter().enumerate() {
        let Tok::Num(a) = *t else { continue };
        // "6+"
        if toks.get(i + 1) == Some(&Tok::Plus) {
            if let Some(min) = age(a) {
                return Some(Ages { min, max: None });
            }
            continue;
        }
        // "5–7 лет", "ages 7–9", "от 5 до 7 лет", "5 лет"
        let (max, after) = match (toks.get(i + 1), toks.get(i + 2)) {
            (Some(Tok::Dash), Some(Tok::Num(b))) => (Some(*b), i + 3),
            (Some(Tok::Word(w)), Some(Tok::Num(b))) if RANGE_WORDS.contains(&w.as_str()) => (Some(*b), i + 3),
            _ => (None, i + 1),
        };
        let before_age = i > 0 && (is_word(i - 1, lead) || (i > 1 && is_word(i - 2, lead)));
        if is_word(after, follow) || before_age {
            let (Some(min), max) = (age(a), max.and_then(age)) else { continue };
            if max.is_some_and(|m| m < min) {
                continue;
            }
            // "от 5 лет" / "from 5 years" is open-ended; "5 лет" alone is one age.
            let from = i > 0 && toks[i - 1].word().is_some_and(|w| ["от", "ад", "from"].contains(&w));
            return Some(Ages { min, max: if from && max.is_none() { None } else { Some(max.unwrap_or(min)) } });
        }
    }
    None
}

/// Audience words (prefixes of lowercased words) and the bits they set.
const AUDIENCE_WORDS: &[(&str, u8)] = &[
    ("дет", CHILDREN),
    ("дзет", CHILDREN),
    ("дзец", CHILDREN),
    ("дзіц", CHILDREN),
    ("дзяц", CHILDREN),
    ("ребен", CHILDREN),
    ("ребят", CHILDREN),
    ("дошкол", CHILDREN),
    ("малыш", CHILDREN),
    ("школьн", CHILDREN),
    ("школяр", CHILDREN),
    ("kid", CHILDREN),
    ("child", CHILDREN),
    ("preschool", CHILDREN),
    ("подрост", TEENS),
    ("падлет", TEENS),
    ("teen", TEENS),
    ("юнош", TEENS),
    ("молодеж", TEENS),
    ("молодёж", TEENS),
    ("моладз", TEENS),
    ("youth", TEENS),
    ("старшекласс", TEENS),
    ("взросл", ADULTS),
    ("дарос", ADULTS),
    ("adult", ADULTS),
    ("grown", ADULTS),
    ("пенсион", SENIORS),
    ("пенсіян", SENIORS),
    ("пожил", SENIORS),
    ("senior", SENIORS),
    ("pensioner", SENIORS),
    ("серебрян", SENIORS),
    ("срэбран", SENIORS),
    ("семей", CHILDREN | ADULTS),
    ("семь", CHILDREN | ADULTS),
    ("сямей", CHILDREN | ADULTS),
    ("сям'", CHILDREN | ADULTS),
    ("family", CHILDREN | ADULTS),
    ("families", CHILDREN | ADULTS),
];

fn audience(toks: &[Tok], lower: &str) -> u8 {
    let mut bits = 0;
    for w in toks.iter().filter_map(Tok::word) {
        for (p, b) in AUDIENCE_WORDS {
            if w.starts_with(p) {
                bits |= b;
            }
        }
    }
    for p in ["старшего возраста", "старэйшага ўзросту", "старэйшага узросту", "третьего возраста", "трэцяга ўзросту"]
    {
        if lower.contains(&p.replace('ў', "у")) {
            bits |= SENIORS;
        }
    }
    bits
}

fn levels(toks: &[Tok], lower: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = toks.iter().map(|t| t.word().unwrap_or("")).collect();
    for (i, t) in toks.iter().enumerate() {
        // CEFR: "A1", "В2" (Cyrillic letters too), "b1+".
        if let Tok::Word(w) = t
            && let Some(letter) = cefr_letter(w)
            && let Some(Tok::Num(n @ 1..=2)) = toks.get(i + 1)
        {
            out.push(format!("{letter}{n}"));
        }
        let w = words[i];
        let level = if ["начинающ", "начальн", "пачатк", "beginner", "elementary", "базов", "базав", "basic", "нулев"]
            .iter()
            .any(|p| w.starts_with(p))
        {
            Some("beginner")
        } else if ["продолжающ", "працягваю", "intermediate"].iter().any(|p| w.starts_with(p)) {
            // "upper-intermediate": the word before, over a dash.
            let back = if i > 0 && toks[i - 1] == Tok::Dash { 2 } else { 1 };
            let prev = i.checked_sub(back).map(|j| words[j]).unwrap_or("");
            Some(match prev {
                "pre" => "pre-intermediate",
                "upper" => "upper-intermediate",
                _ => "intermediate",
            })
        } else if ["продвинут", "прасунут", "advanced", "опытн", "вопытн", "experienced"]
            .iter()
            .any(|p| w.starts_with(p))
        {
            Some("advanced")
        } else {
            None
        };
        out.extend(level.map(str::to_owned));
        // "уровень 2", "level 2", "ступень 1"
        if ["уров", "узров", "level", "ступен", "ступен"].iter().any(|p| w.starts_with(p))
            && let Some(Tok::Num(n)) = toks.get(i + 1)
        {
            out.push(format!("level-{n}"));
        }
    }
    if lower.contains("с нуля") || lower.contains("з нуля") || lower.contains("from scratch") {
        out.push("beginner".to_owned());
    }
    out
}

fn cefr_letter(w: &str) -> Option<char> {
    match w {
        "a" | "а" => Some('a'),
        "b" | "в" => Some('b'),
        "c" | "с" => Some('c'),
        _ => None,
    }
}

/// Words a group number follows.
const GROUP_WORDS: &[&str] = &["групп", "груп", "group", "гр", "поток", "паток", "cohort", "stream", "набор"];
/// Words a part number follows.
const PART_WORDS: &[&str] = &[
    "част",
    "part",
    "лекци",
    "лекцы",
    "lecture",
    "заняти",
    "занятак",
    "занятк",
    "урок",
    "lesson",
    "выпуск",
    "серия",
    "серыя",
    "episode",
    "встреч",
    "сустрэч",
    "модул",
    "module",
    "session",
    "сессия",
    "сесія",
];

const ORDINALS: &[(&str, u32)] = &[
    ("перв", 1),
    ("перш", 1),
    ("first", 1),
    ("втор", 2),
    ("друг", 2),
    ("second", 2),
    ("трет", 3),
    ("трэц", 3),
    ("third", 3),
    ("четв", 4),
    ("чацв", 4),
    ("fourth", 4),
];

/// The number after (or the ordinal before) one of `words`: "группа 2", "group B", "вторая
/// группа", "2-я группа", "№ 3". `letters`: a single letter counts as its position
/// ("группа Б" = "group B" = 2).
fn numbered(toks: &[Tok], words: &[&str], letters: bool) -> Option<String> {
    let is_head =
        |t: &Tok| t.word().is_some_and(|w| words.iter().any(|p| w.starts_with(p) && (p.len() > 2 || w.len() <= 3)));
    for (i, t) in toks.iter().enumerate() {
        if !is_head(t) {
            continue;
        }
        let mut j = i + 1;
        if toks.get(j).and_then(Tok::word).is_some_and(|w| w == "no" || w == "n" || w == "nr") {
            j += 1;
        }
        match toks.get(j) {
            Some(Tok::Num(n)) => return Some(n.to_string()),
            // "набор в группу": the preposition, not group В.
            Some(Tok::Word(w)) if letters && w.chars().count() == 1 && !toks.get(j + 1).is_some_and(is_head) => {
                if let Some(n) = letter_number(w.chars().next()?) {
                    return Some(n.to_string());
                }
            }
            Some(Tok::Word(w)) if roman(w).is_some() => return roman(w).map(|n| n.to_string()),
            _ => {}
        }
        // "вторая группа", "2-я группа"
        if i > 0 {
            if let Some(w) = toks[i - 1].word()
                && let Some((_, n)) = ORDINALS.iter().find(|(p, _)| w.starts_with(p))
            {
                return Some(n.to_string());
            }
            if i > 2
                && let (Tok::Num(n), Tok::Dash) = (&toks[i - 3], &toks[i - 2])
                && toks[i - 1].word().is_some_and(|w| w.chars().count() <= 2)
            {
                return Some(n.to_string());
            }
        }
    }
    None
}

fn letter_number(c: char) -> Option<u32> {
    const LATIN: &str = "abcdef";
    const CYRILLIC: &str = "абвгде";
    LATIN.find(c).or_else(|| CYRILLIC.chars().position(|x| x == c)).map(|i| i as u32 + 1)
}

fn roman(w: &str) -> Option<u32> {
    match w {
        "i" => Some(1),
        "ii" => Some(2),
        "iii" => Some(3),
        "iv" => Some(4),
        "v" => Some(5),
        "vi" => Some(6),
        _ => None,
    }
}

/// Phrases of an open or trial lesson, an open day, a presentation of a course (lowercased,
/// `ў` as `у`).
const OPEN_LESSON: &[&str] = &[
    "открытый урок",
    "открытое занятие",
    "открытого урока",
    "открытом уроке",
    "пробное занятие",
    "пробный урок",
    "пробного занятия",
    "пробного урока",
    "вводное занятие",
    "день открытых дверей",
    "презентация курса",
    "адкрыты урок",
    "адкрытыя заняткі",
    "адкрыты занятак",
    "адкрытае занятк",
    "пробны урок",
    "пробны занятак",
    "пробнае занятк",
    "пробныя заняткі",
    "уводны занятак",
    "дзень адчыненых дзвярэй",
    "дзень адкрытых дзвярэй",
    "прэзентацыя курса",
    "open lesson",
    "open class",
    "open day",
    "open house",
    "trial lesson",
    "trial class",
    "trial session",
    "open session",
    "taster session",
    "пробная тренировка",
    "открытая тренировка",
    "taster",
    "demo lesson",
    "free trial",
    "introductory lesson",
    "course presentation",
];

/// Words that name an open day on their own ("ДОД" is "день открытых дверей").
const OPEN_DAY_WORDS: &[&str] = &["дод"];

/// Words that name a course (the course itself, not its open lesson).
const COURSE_WORDS: &[&str] = &["курс", "курсы", "курса", "курсов", "course", "courses"];

/// Words (prefixes) of an online offering.
const ONLINE: &[&str] =
    &["онлайн", "online", "анлайн", "вебинар", "вэбінар", "webinar", "zoom", "дистанцион", "дыстанцыйн"];
/// Words (prefixes) of an offering both online and in person.
const HYBRID: &[&str] = &["гибрид", "гібрыд", "hybrid"];

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(a: &str, b: &str) -> Option<MarkConflict> {
        Marks::of_title(a).conflict(&Marks::of_title(b))
    }

    #[test]
    fn age_bands_in_three_languages() {
        let m = |t: &str| Marks::of_title(t).ages;
        assert_eq!(m("Робототехника для детей 5–7 лет"), Some(Ages { min: 5, max: Some(7) }));
        assert_eq!(m("Робататэхніка для дзяцей 8-10 гадоў"), Some(Ages { min: 8, max: Some(10) }));
        assert_eq!(m("Robotics (ages 7–9)"), Some(Ages { min: 7, max: Some(9) }));
        assert_eq!(m("Robotics for kids aged 7 to 9"), Some(Ages { min: 7, max: Some(9) }));
        assert_eq!(m("Спектакль 6+"), Some(Ages { min: 6, max: None }));
        assert_eq!(m("Лепка от 4 до 6 лет"), Some(Ages { min: 4, max: Some(6) }));
        assert_eq!(m("Лепка для детей от 4 лет"), Some(Ages { min: 4, max: None }));
        assert_eq!(m("Лепка для детей 4 лет"), Some(Ages { min: 4, max: Some(4) }));
        assert_eq!(m("Курс Python 3"), None);
        assert_eq!(conflict("Лего для детей 5–7 лет", "Лего для детей 8–10 лет"), Some(MarkConflict::Ages));
        assert_eq!(conflict("Лего для детей 5–7 лет", "LEGO (ages 5–7)"), None);
        assert_eq!(conflict("Квест для 8–11 классов", "Квэст для 5–7 класаў"), Some(MarkConflict::Grades));
        assert_eq!(conflict("Лего для детей 5–7 лет", "Лего"), None, "one side only: no conflict");
    }

    #[test]
    fn audiences_levels_groups_and_parts() {
        assert_eq!(conflict("Керамика для детей", "Керамика для взрослых"), Some(MarkConflict::Audience));
        assert_eq!(conflict("Кераміка для дзяцей", "Ceramics for kids"), None);
        assert_eq!(conflict("Семейный мастер-класс", "Мастер-класс для детей"), None);
        assert_eq!(conflict("Английский A1", "Английский А2"), Some(MarkConflict::Level));
        assert_eq!(conflict("Английский А1", "English A1"), None, "Cyrillic А is A");
        assert_eq!(conflict("Немецкий для начинающих", "Немецкий: продвинутый уровень"), Some(MarkConflict::Level));
        assert_eq!(conflict("Нямецкая для пачаткоўцаў", "German for beginners"), None);
        assert_eq!(conflict("English Upper-Intermediate", "English Intermediate"), Some(MarkConflict::Level));
        assert_eq!(conflict("Шахматы, группа 1", "Шахматы (группа 2)"), Some(MarkConflict::Group));
        assert_eq!(conflict("Шахматы, группа Б", "Chess, group B"), None);
        assert_eq!(conflict("Шахматы, вторая группа", "Шахматы, группа 2"), None);
        assert_eq!(conflict("История города. Лекция 3", "История города. Лекция 4"), Some(MarkConflict::Part));
        assert_eq!(conflict("Курс английского", "Открытый урок английского"), Some(MarkConflict::OpenLesson));
        assert_eq!(conflict("Open day: English course", "День открытых дверей: английский"), None);
        assert_eq!(conflict("Йога онлайн", "Йога"), None, "unknown mode is no conflict");
        assert_eq!(Marks::of_title("Брейк-данс: набор в группу").group, None, "в is a preposition here");
        assert_eq!(Marks::of_title("Брейк-данс, группа В").group.as_deref(), Some("3"));
    }

    #[test]
    fn courses_of_different_languages_are_apart() {
        assert_eq!(conflict("Английский язык A1, вечерняя группа", "Польская мова (A1)"), Some(MarkConflict::Language));
        assert_eq!(conflict("Английский разговорный клуб", "English Conversation Club"), None);
        assert_eq!(conflict("Англійская мова для дзяцей", "Английский для детей"), None);
        assert_eq!(conflict("Курс немецкого", "Курс"), None, "a language only one side names is no conflict");
    }

    #[test]
    fn mode_comes_from_the_title_then_the_offering() {
        assert_eq!(Marks::of_title("Вебинар: финансовая грамотность").online, Some(true));
        assert_eq!(Marks::of_title("Гибридный семинар онлайн и в зале").online, None);
        assert_eq!(Marks::of_title("Лекция").online, None);
    }
}
