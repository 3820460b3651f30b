//! Age bands as providers write them: "для детей 5–7 лет", "от 14 лет", "6+", "для дзяцей
//! 8–10 гадоў", "Ages 12–16", "(ages 7–9)", "for children aged 8 to 11", "teens 13-17",
//! "дети до 12 лет", "12 and up". School grades ("5–9 классов") and levels ("B1+") are no ages.

use std::sync::LazyLock;

use regex::Regex;

/// An age band; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ages {
    /// Youngest age.
    pub min: Option<u8>,
    /// Oldest age.
    pub max: Option<u8>,
}

/// Words that name years of age after a number.
const UNIT: &str = r"(?:лет|года?|гадоў|гады|год|years?(?:\s+old)?|yrs|y\.?\s?o\.?|year-olds|jahre|jahren)";
/// Words that say the numbers around them are ages (before them).
const CUE: &str = r"(?:ages?|aged|age\s+group|children|kids|teens|teenagers|pupils|students|adults|возраст\w*|узрост\w*|дет\w*|детей|дзец\w*|дзяцей|школьник\w*|школьнік\w*|подрост\w*|падлетк\w*|ребят\w*|малыш\w*|for)";
const DASH: &str = r"(?:-|–|—|‒|−|до|да|to|and|bis)";

static RANGE_WITH_UNIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?:^|[^\d\w.,:])(?:от|ад|з|с|from)?\s*(\d{{1,2}})\s*{DASH}\s*(\d{{1,2}})\s*-?\s*{UNIT}(?:[^\w]|$)"
    ))
    .expect("static regex")
});
static RANGE_AFTER_CUE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b{CUE}\s*[:(]?\s*(?:from\s+|от\s+|ад\s+|of\s+)?(\d{{1,2}})\s*{DASH}\s*(\d{{1,2}})\b(?:\s*(?:класс|клас|grade|form|час|hour|min|мин|занят|урок|session|чел|people))?"
    ))
    .expect("static regex")
});
static PLUS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\p{L}\d.,:])(\d{1,2})\s*\+").expect("static regex"));
static FROM_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)(?:^|[^\p{{L}}])(?:от|ад|з|с|from|ab|over|older than|старше)\s*(\d{{1,2}})\s*-?\s*(?:{UNIT}|(?:and|и|і)\s+(?:up|older|over|старше))"))
        .expect("static regex")
});
static AND_UP_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:ages?|aged)?\s*(\d{1,2})\s*(?:years?\s*)?(?:and|&)\s+(?:up|over|older)")
        .expect("static regex")
});
static UP_TO_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)(?:^|[^\p{{L}}])(?:до|да|under|младше|up to)\s*(\d{{1,2}})\s*-?\s*{UNIT}"))
        .expect("static regex")
});

/// Words that put an age limit off or send the reader elsewhere: "уточняйте", "по согласованию",
/// "па дамоўленасці", "to be confirmed", "ask the coach", "depends on the group".
const PUT_OFF: &str = r"(?:уточн|назов|назав|обсужд|абмярко|по\s+итогам|па\s+выніках|по\s+результатам|на\s+афиш|на\s+афіш|ўдакладн|удакладн|будет|будзе|позже|пазней|позднее|объяв|абвясц|сообщ|паведам|определ|вызнач|согласов|узгадн|дамоўл|договор|завис|залеж|to\s+follow|tba\b|tbc\b|to\s+be\s+(?:confirmed|announced|agreed)|on\s+request|later|announced|check\s+with|please\s+check|ask\s+(?:the|your|our|at|a)\b|contact\s+the|depends\s+on|by\s+arrangement|узнава|спрашива|даведва|пытайце)";

/// An age limit spoken of with no value: "Возрастные ограничения уточняются", "Возрастное
/// ограничение: уточняйте у организаторов", "Узроставыя абмежаванні ўдакладняюцца", "Age
/// guidance to follow", "Minimum age to be confirmed". An age word, then (within the same clause)
/// a word that puts it off or sends the reader elsewhere; after a label ("Age:", "Узрост —") the
/// clause may run on past a comma ("Age: depends on the group, ask the museum staff").
static UNREADABLE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?:(?:возрастн\w*|возраст\w*|узроставы\w*|узрост\w*|\bages?\b|age\s+(?:limit|guidance|restriction|rating)s?)[^.\n\d,;]{{0,40}}?|(?:возраст\w*|узрост\w*|\bages?\b)\s*[:—–-][^.\n\d;]{{0,60}}?){PUT_OFF}"
    ))
    .expect("static regex")
});

/// An age named by a stage of schooling or work instead of years: "для детей дошкольного
/// возраста", "дзяцей школьнага ўзросту", "людей пенсионного возраста", "for children of
/// preschool age", "school-age kids": an age the document gives that cannot be read as years.
/// ("Людей старшего возраста", like "for adults", names a group, not an age, and so do school
/// classes without an age word, "для старшеклассников", "primary-school pupils" — the
/// development cities disagree on those, and a group is the reading that warns nobody in vain;
/// "о подростковом возрасте" is a subject.)
static STAGE_OF_LIFE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:дошкольн|школьн|пенсионн|дашкольн|пенсійн|детсадовск|дзіцячсадоўск)\w*\s+(?:возраста|ўзросту|узросту)\b|\b(?:preschool|pre-school|school|retirement)[\s-]+age\b",
    )
    .expect("static regex")
});

/// A whole text that puts its value off ("уточняйте у тренера"): for a field that holds nothing
/// but the ages.
static PUT_OFF_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^[^\d]{{0,60}}?{PUT_OFF}[^\d]*$")).expect("static regex"));

/// The sentence that speaks of an age limit without giving one, when `text` has one.
pub fn unreadable(text: &str) -> Option<String> {
    super::sentences(text)
        .into_iter()
        .find(|s| UNREADABLE_RE.is_match(s) || STAGE_OF_LIFE_RE.is_match(s))
        .map(crate::text::collapse_whitespace)
}

/// The text of an ages field (a provider's "age" or "audience" element) when it gives no age but
/// puts it off ("уточняйте у тренера", "Ask the coach", "па дамоўленасці").
pub fn unreadable_field(field: &str) -> Option<String> {
    let field = crate::text::collapse_whitespace(field);
    PUT_OFF_RE.is_match(field.trim()).then_some(field)
}

/// The first age band `text` states.
pub fn read(text: &str) -> Ages {
    let range = |re: &Regex| {
        re.captures_iter(text).find_map(|c| {
            // "5–9 классов", "2–3 часа": the numbers after a cue are no ages when a unit of
            // something else follows.
            if c.get(0).is_some_and(|m| {
                let tail = m.as_str().to_lowercase();
                [
                    "класс",
                    "клас",
                    "grade",
                    "form",
                    "час",
                    "hour",
                    "min",
                    "мин",
                    "занят",
                    "урок",
                    "session",
                    "чел",
                    "people",
                ]
                .iter()
                .any(|u| tail.trim_end().ends_with(u))
            }) {
                return None;
            }
            let lo: u8 = c.get(1)?.as_str().parse().ok()?;
            let hi: u8 = c.get(2)?.as_str().parse().ok()?;
            (lo < hi && hi <= 99).then_some(Ages { min: Some(lo), max: Some(hi) })
        })
    };
    if let Some(a) = range(&RANGE_WITH_UNIT_RE).or_else(|| range(&RANGE_AFTER_CUE_RE)) {
        return a;
    }
    let first = |re: &Regex| re.captures(text).and_then(|c| c.get(1)?.as_str().parse::<u8>().ok());
    if let Some(min) = first(&PLUS_RE).or_else(|| first(&FROM_RE)).or_else(|| first(&AND_UP_RE)) {
        return Ages { min: Some(min), max: None };
    }
    Ages { min: None, max: first(&UP_TO_RE) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ages(text: &str) -> (Option<u8>, Option<u8>) {
        let a = read(text);
        (a.min, a.max)
    }

    #[test]
    fn bands_in_three_languages() {
        assert_eq!(ages("Для детей 5–7 лет"), (Some(5), Some(7)));
        assert_eq!(ages("для дзяцей 8–10 гадоў"), (Some(8), Some(10)));
        assert_eq!(ages("Ages 12–16"), (Some(12), Some(16)));
        assert_eq!(ages("Robotics (ages 7–9)"), (Some(7), Some(9)));
        assert_eq!(ages("for children aged 8 to 11"), (Some(8), Some(11)));
        assert_eq!(ages("teens 13-17"), (Some(13), Some(17)));
        assert_eq!(ages("дети от 6 до 9 лет"), (Some(6), Some(9)));
        assert_eq!(ages("Возраст: 10–14"), (Some(10), Some(14)));
        assert_eq!(ages("7-10 years old"), (Some(7), Some(10)));
    }

    #[test]
    fn open_bands() {
        assert_eq!(ages("16+"), (Some(16), None));
        assert_eq!(ages("от 14 лет"), (Some(14), None));
        assert_eq!(ages("ад 55 гадоў"), (Some(55), None));
        assert_eq!(ages("12 and up"), (Some(12), None));
        assert_eq!(ages("ages 12 and over"), (Some(12), None));
        assert_eq!(ages("дети до 12 лет"), (None, Some(12)));
        assert_eq!(ages("Для детей с 7 лет"), (Some(7), None));
    }

    #[test]
    fn age_limits_without_a_value() {
        for (text, unreadable) in [
            ("Врач ответит на вопросы. Возрастные ограничения уточняются.", true),
            ("Возрастное ограничение: уточняйте у организаторов.", true),
            ("Возрастное ограничение будет объявлено позже.", true),
            ("Узроставыя абмежаванні ўдакладняюцца.", true),
            ("Age guidance to follow.", true),
            ("Age limits: please check with the organiser.", true),
            ("Возрастные ограничения узнавайте у администратора.", true),
            ("Minimum age to be confirmed.", true),
            ("Age limit on request.", true),
            ("Возраст участников — по согласованию с куратором команды.", true),
            ("Узрост — па дамоўленасці з кіраўніком.", true),
            ("Age: depends on the group, ask the museum staff.", true),
            ("Age: ask the guide — the route is 6 km long.", true),
            ("Курс для детей дошкольного возраста.", true),
            ("Для дзяцей школьнага ўзросту і іх бацькоў.", true),
            ("For children of preschool age with a parent.", true),
            ("Scrabble and more, for school-age kids and their parents.", true),
            ("Ages: ask the education team.", true),
            // A value, or no age limit at all.
            ("Возрастное ограничение: 12+, уточняйте у организаторов.", false),
            ("Лекция о подростковом возрасте: кризис или рост.", false),
            ("Для людей старшего возраста и их родственников.", false),
            ("Open to all ages, dates to be announced.", false),
            ("Для дзяцей 6–9 гадоў. Дата ўдакладняецца.", false),
            ("", false),
        ] {
            assert_eq!(super::unreadable(text).is_some(), unreadable, "{text}");
        }
    }

    #[test]
    fn an_ages_field_that_puts_its_value_off() {
        for (field, unreadable) in [
            ("уточняйте у тренера", true),
            ("Ask the coach", true),
            ("па дамоўленасці", true),
            ("учащиеся 5–7 классов", false),
            ("для взрослых", false),
            ("все желающие", false),
        ] {
            assert_eq!(super::unreadable_field(field).is_some(), unreadable, "{field}");
        }
    }

    #[test]
    fn no_ages() {
        assert_eq!(ages("English Speaking Club, B1+"), (None, None));
        assert_eq!(ages("для учащихся 5–9 классов"), (None, None));
        assert_eq!(ages("для взрослых"), (None, None));
        assert_eq!(ages("События 1941–1945 годов"), (None, None));
        assert_eq!(ages("Занятие длится 2–3 часа, группы 8–12 человек"), (None, None));
        assert_eq!(ages("Начало в 18:30"), (None, None));
        assert_eq!(ages(""), (None, None));
    }
}
