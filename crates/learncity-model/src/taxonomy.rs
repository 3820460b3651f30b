//! The project's category taxonomy, its labels in the UI languages, and the mapping of a
//! provider's own terms onto it.
//!
//! Mapping is by word stems (lowercase, Cyrillic and Latin): a provider term maps to every
//! category one of whose stems starts a word of the term. Providers' own terms are always kept
//! verbatim beside the mapped categories, so a missing stem loses nothing.

/// One category of the taxonomy.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    /// Stable id used in records, URLs and filters.
    pub id: &'static str,
    /// Label in English.
    pub en: &'static str,
    /// Label in Russian.
    pub ru: &'static str,
    /// Label in Belarusian.
    pub be: &'static str,
    /// Word stems (lowercase) that map a provider term onto this category.
    pub stems: &'static [&'static str],
}

/// Every category, in display order.
pub const CATEGORIES: &[Category] = &[
    Category {
        id: "languages",
        en: "Languages",
        ru: "Языки",
        be: "Мовы",
        stems: &[
            "язык",
            "мова",
            "мовы",
            "мове",
            "мовам",
            "language",
            "english",
            "английск",
            "англійск",
            "немецк",
            "нямецк",
            "german",
            "french",
            "француз",
            "spanish",
            "испанск",
            "іспанск",
            "китайск",
            "chinese",
            "polish",
            "польск",
            "беларуск",
            "белорусск",
            "belarusian",
            "russian",
            "русск",
            "linguist",
            "лингв",
            "лінгв",
            "sprach",
        ],
    },
    Category {
        id: "it",
        en: "IT and digital skills",
        ru: "ИТ и цифровые навыки",
        be: "ІТ і лічбавыя навыкі",
        stems: &[
            "програм",
            "праграм",
            "programm",
            "coding",
            "python",
            "javascript",
            "java",
            "computer",
            "компьют",
            "камп'ют",
            "кампют",
            "digital",
            "цифров",
            "лічбав",
            "web",
            "веб",
            "it",
            "ит",
            "іт",
            "data",
            "данн",
            "дадзен",
            "ai",
            "ии",
            "machine learning",
            "robot",
            "робот",
            "информат",
            "інфармат",
            "excel",
            "internet",
            "интернет",
            "інтэрнэт",
            "smartphone",
            "смартфон",
            "cyber",
            "кибер",
            "кібер",
        ],
    },
    Category {
        id: "arts",
        en: "Arts and crafts",
        ru: "Искусство и ремёсла",
        be: "Мастацтва і рамёствы",
        stems: &[
            "art",
            "искусств",
            "мастацтв",
            "живопис",
            "жывапіс",
            "painting",
            "drawing",
            "рисов",
            "малява",
            "ceramic",
            "керамик",
            "кераміч",
            "гончар",
            "craft",
            "ремесл",
            "ремёсл",
            "рамёств",
            "design",
            "дизайн",
            "дызайн",
            "photo",
            "фото",
            "theatre",
            "theater",
            "театр",
            "тэатр",
            "кино",
            "кіно",
            "film",
            "вышив",
            "вышыв",
            "handmade",
            "рукодел",
        ],
    },
    Category {
        id: "music",
        en: "Music and dance",
        ru: "Музыка и танцы",
        be: "Музыка і танцы",
        stems: &[
            "music",
            "музык",
            "музыч",
            "song",
            "пени",
            "спеў",
            "choir",
            "хор",
            "guitar",
            "гитар",
            "гітар",
            "piano",
            "фортепиан",
            "dance",
            "танц",
            "вакал",
            "вокал",
        ],
    },
    Category {
        id: "history-culture",
        en: "History and culture",
        ru: "История и культура",
        be: "Гісторыя і культура",
        stems: &[
            "histor",
            "истор",
            "гістор",
            "culture",
            "cultur",
            "культур",
            "museum",
            "музе",
            "heritage",
            "наследи",
            "спадчын",
            "краевед",
            "краязнаў",
            "literatur",
            "литератур",
            "літаратур",
            "книг",
            "кніг",
            "book",
            "reading",
            "чтени",
            "чытан",
            "tour",
            "экскурс",
            "экскурсі",
            "excursion",
            "архитект",
            "архітэкт",
            "architect",
        ],
    },
    Category {
        id: "science",
        en: "Science and technology",
        ru: "Наука и техника",
        be: "Навука і тэхніка",
        stems: &[
            "science",
            "наук",
            "навук",
            "physic",
            "физик",
            "фізік",
            "chemi",
            "хими",
            "хімі",
            "biolog",
            "биолог",
            "біялог",
            "math",
            "матем",
            "astronom",
            "астроном",
            "engineer",
            "инженер",
            "інжынер",
            "техни",
            "тэхні",
            "ecolog",
            "эколог",
            "экалаг",
            "stem",
        ],
    },
    Category {
        id: "business",
        en: "Business and career",
        ru: "Бизнес и карьера",
        be: "Бізнес і кар'ера",
        stems: &[
            "business",
            "бизнес",
            "бізнес",
            "career",
            "карьер",
            "кар'ер",
            "кар’ер",
            "entrepreneur",
            "предприним",
            "прадпрымальн",
            "finance",
            "финанс",
            "фінанс",
            "marketing",
            "маркетинг",
            "маркетынг",
            "management",
            "менеджм",
            "кіраванн",
            "управлен",
            "accounting",
            "бухгалт",
            "job",
            "работ",
            "прац",
            "resume",
            "резюме",
            "рэзюмэ",
        ],
    },
    Category {
        id: "health-sport",
        en: "Health and sport",
        ru: "Здоровье и спорт",
        be: "Здароўе і спорт",
        stems: &[
            "health",
            "здоров",
            "здароў",
            "sport",
            "спорт",
            "fitness",
            "фитнес",
            "фітнес",
            "yoga",
            "йог",
            "ёг",
            "first aid",
            "первая помощь",
            "першая дапамога",
            "nutrition",
            "питани",
            "харчаван",
            "wellbeing",
            "psycholog",
            "психолог",
            "псіхалаг",
            "swim",
            "плаван",
            "running",
            "бег",
            "chess",
            "шахмат",
        ],
    },
    Category {
        id: "personal-development",
        en: "Personal development",
        ru: "Личностное развитие",
        be: "Асабістае развіццё",
        stems: &[
            "personal",
            "личност",
            "асабіст",
            "soft skill",
            "communication",
            "коммуникац",
            "камунікац",
            "leadership",
            "лидерств",
            "лідарств",
            "public speaking",
            "ораторск",
            "аратарск",
            "parenting",
            "родител",
            "бацьк",
            "self",
            "саморазвит",
            "самаразвіц",
            "memory",
            "памят",
            "time management",
        ],
    },
    Category {
        id: "civic-environment",
        en: "Civic life and environment",
        ru: "Общество и экология",
        be: "Грамадства і экалогія",
        stems: &[
            "civic",
            "гражданск",
            "грамадзянск",
            "volunteer",
            "волонт",
            "валанц",
            "law",
            "право",
            "правов",
            "legal",
            "юрид",
            "environment",
            "окружающ",
            "навакольн",
            "climate",
            "климат",
            "клімат",
            "recycling",
            "переработ",
            "sustainab",
            "устойчив",
            "community",
            "сообществ",
            "суполь",
        ],
    },
];

/// Target groups an offering can name (ids used in [`crate::Audience::groups`]).
pub const AUDIENCE_GROUPS: &[(&str, &[&str])] = &[
    ("children", &["child", "kid", "дет", "дзец", "школьн", "школьнік", "pupil"]),
    ("teens", &["teen", "подрост", "падлет", "youth", "молод", "моладз", "student", "студент"]),
    ("adults", &["adult", "взросл", "дарослы"]),
    (
        "seniors",
        &[
            "senior",
            "пожил",
            "пенсион",
            "пенсіян",
            "сталага ўзросту",
            "старшего возраста",
            "старэйшага ўзросту",
            "elderly",
            "55+",
            "60+",
            "65+",
            "третьего возраста",
            "трэцяга ўзросту",
        ],
    ),
    ("families", &["famil", "семь", "сям'", "сям’", "родител", "бацьк", "parent"]),
    (
        "people_with_disabilities",
        &[
            "disabilit",
            "инвалид",
            "інвалід",
            "ограниченн",
            "абмежаван",
            "особенност",
            "асаблів",
            "inclusive",
            "инклюзив",
            "інклюзіў",
        ],
    ),
    ("migrants", &["migrant", "мигрант", "мігрант", "refugee", "беженц", "уцекач", "newcomer"]),
    ("teachers", &["teacher", "педагог", "педагаг", "учител", "настаўні", "educator"]),
    ("job_seekers", &["job seeker", "unemploy", "безработ", "беспрацоўн", "jobless"]),
];

/// Accessibility features an offering can name (ids used in [`crate::Audience::accessibility`]).
pub const ACCESSIBILITY: &[(&str, &[&str])] = &[
    (
        "wheelchair",
        &[
            "wheelchair",
            "step-free",
            "step free",
            "коляс",
            "безбарьер",
            "бязбар'ер",
            "бязбар’ер",
            "пандус",
            "ramp",
            "accessible venue",
        ],
    ),
    ("sign_language", &["sign language", "жестов", "жэставай", "жэставая", "сурдоперевод", "сурдапераклад"]),
    ("hearing_loop", &["hearing loop", "induction loop", "индукционн", "індукцыйн"]),
    ("easy_read", &["easy read", "easy-read", "easy language", "простой язык", "простая мова", "leichte sprache"]),
    ("audio_description", &["audio description", "тифлокоммент", "тыфлакамент", "аудиодескрип", "аўдыядэскрып"]),
];

/// Looks up a category by id.
pub fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// Maps one provider term (or any text) onto taxonomy category ids, in taxonomy order.
///
/// A stem matches when it starts a word of the lowercased text (multi-word stems match as a
/// phrase start). Short stems ("it", "ai") only match a whole word, so "it" does not match
/// "itinerary".
pub fn map_term(term: &str) -> Vec<&'static str> {
    let words = Words::new(term);
    CATEGORIES.iter().filter(|c| words.match_any(c.stems)).map(|c| c.id).collect()
}

/// The ids of a `(id, stems)` vocabulary (audience groups, accessibility) that `text` names.
pub fn match_vocabulary(text: &str, vocabulary: &[(&'static str, &[&str])]) -> Vec<&'static str> {
    let words = Words::new(text);
    vocabulary.iter().filter(|(_, stems)| words.match_any(stems)).map(|(id, _)| *id).collect()
}

/// True when any of `stems` starts a word of `text` (case-insensitive).
pub fn matches_any(text: &str, stems: &[&str]) -> bool {
    Words::new(text).match_any(stems)
}

/// A text lowercased, with where its words start: built once, matched against many stems
/// (lowercasing and finding the words of a Cyrillic text again for every vocabulary entry was
/// half of the readers' time).
pub struct Words {
    lower: String,
    starts: Vec<usize>,
}

impl Words {
    /// The words of `text`.
    pub fn new(text: &str) -> Self {
        let lower = text.to_lowercase();
        let starts = word_starts(&lower);
        Self { lower, starts }
    }

    /// True when any of `stems` (lowercase) starts a word; a stem of one or two letters must be
    /// the whole word.
    pub fn match_any(&self, stems: &[&str]) -> bool {
        stems.iter().any(|stem| {
            let short = stem.chars().count() <= 2;
            self.starts.iter().any(|&start| {
                let rest = &self.lower[start..];
                rest.starts_with(stem)
                    && (!short || rest[stem.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric()))
            })
        })
    }
}

/// Byte offsets where a word starts (a letter or digit after a non-letter-or-digit).
fn word_starts(s: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut prev_alnum = false;
    for (i, c) in s.char_indices() {
        let alnum = c.is_alphanumeric();
        if alnum && !prev_alnum {
            starts.push(i);
        }
        prev_alnum = alnum;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_cyrillic_and_latin_terms() {
        assert_eq!(map_term("Курсы английского языка"), vec!["languages"]);
        assert_eq!(map_term("Англійская мова для пачаткоўцаў"), vec!["languages"]);
        assert_eq!(map_term("Programming in Python"), vec!["it"]);
        assert_eq!(map_term("Экскурсия по музею"), vec!["history-culture"]);
    }

    #[test]
    fn short_stems_need_a_whole_word() {
        assert!(map_term("Itinerary").is_empty());
        assert_eq!(map_term("IT-академия"), vec!["it"]);
    }

    #[test]
    fn unknown_terms_map_to_nothing() {
        assert!(map_term("Разное").is_empty());
        assert!(map_term("").is_empty());
    }

    #[test]
    fn vocabularies_match_audience_and_accessibility() {
        assert_eq!(match_vocabulary("Для пенсионеров и их внуков", AUDIENCE_GROUPS), vec!["seniors"]);
        assert_eq!(
            match_vocabulary("Вход с пандусом, сурдоперевод", ACCESSIBILITY),
            vec!["wheelchair", "sign_language"]
        );
    }

    #[test]
    fn every_category_has_labels_and_unique_id() {
        let mut ids: Vec<_> = CATEGORIES.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATEGORIES.len());
        assert!(CATEGORIES.iter().all(|c| !c.en.is_empty() && !c.ru.is_empty() && !c.be.is_empty()));
        assert!(category("it").is_some());
    }
}
