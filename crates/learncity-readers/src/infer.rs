//! Inference of filterable fields from what providers write: mode from places, meeting links and
//! keywords; kind from words; audience groups and accessibility from free text (ages, prices and
//! schedules are read in [`crate::prose`]).
//!
//! Every rule here is a small, tested table of words in Belarusian, Russian and English (plus
//! German for the Bonn-style providers). Inference never overrides what a format states
//! explicitly (a schema.org `eventAttendanceMode`, an iCal vendor meeting property).

use std::sync::LazyLock;

use learncity_model::{Audience, Kind, Mode, taxonomy};
use regex::Regex;

/// Hosts of meeting services: a link to one means the offering can be joined online.
const MEETING_HOSTS: &[&str] = &[
    "zoom.us",
    "zoom.com",
    "meet.google.com",
    "teams.microsoft.com",
    "teams.live.com",
    "meet.jit.si",
    "jitsi",
    "webex.com",
    "gotomeeting.com",
    "gotowebinar.com",
    "bigbluebutton",
    "whereby.com",
    "skype.com",
    "join.skype.com",
    "meet.yandex.ru",
    "telemost.yandex.ru",
    "telemost.360.yandex.ru",
    "discord.gg",
    "streamyard.com",
    "youtube.com/live",
    "youtu.be",
    "vk.com/video",
    "clickmeeting.com",
    "mts-link.ru",
    "webinar.ru",
    "pruffme.com",
    "livestorm.co",
];

/// Words that say an offering is online.
const ONLINE_WORDS: &[&str] = &[
    "онлайн",
    "online",
    "on-line",
    "анлайн",
    "дистанцион",
    "дыстанцыйн",
    "вебинар",
    "вэбінар",
    "webinar",
    "remote",
    "virtual",
    "виртуальн",
    "віртуальн",
    "zoom",
    "livestream",
    "трансляц",
    "in zoom",
    "по zoom",
    "distance learning",
];

/// Words that say an offering is in person.
const IN_PERSON_WORDS: &[&str] = &[
    "очно",
    "очное",
    "очный",
    "очная",
    "ачна",
    "ачнае",
    "ачны",
    "in person",
    "in-person",
    "on site",
    "on-site",
    "offline",
    "офлайн",
    "афлайн",
    "präsenz",
    "vor ort",
];

/// Words that say both.
const HYBRID_WORDS: &[&str] =
    &["гибрид", "гібрыд", "hybrid", "очно и онлайн", "очно или онлайн", "ачна і анлайн", "онлайн и офлайн"];

static URL_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"https?://[^\s<>"'()\]]+"#).expect("static regex"));

/// Meeting links found in free text (description, location, URL fields), in order, deduplicated.
pub fn meeting_links(text: &str) -> Vec<String> {
    let mut links: Vec<String> = URL_RE
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']).to_owned())
        .filter(|u| is_meeting_url(u))
        .collect();
    links.dedup();
    links
}

/// True when `url` points at a meeting service.
pub fn is_meeting_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return false;
    };
    MEETING_HOSTS.iter().any(|h| {
        rest.starts_with(h)
            || rest.split_once('/').map_or(rest, |(host, _)| host).ends_with(&format!(".{h}"))
            || (h.contains('/') && rest.contains(h))
    })
}

/// Location texts that name an online venue rather than a place ("Online", "Собрание в
/// Microsoft Teams", "Zoom"): the item is online, and the text is no venue.
pub fn is_virtual_place(location: &str) -> bool {
    const VIRTUAL: &[&str] = &[
        "online",
        "онлайн",
        "анлайн",
        "zoom",
        "microsoft teams",
        "teams meeting",
        "собрание в microsoft teams",
        "google meet",
        "jitsi",
        "webex",
        "skype",
        "вебинар",
        "вэбінар",
        "webinar",
        "virtual",
        "виртуально",
        "дистанционно",
        "дыстанцыйна",
        "youtube",
        "internet",
        "интернет",
        "інтэрнэт",
        "трансляц",
        "livestream",
        "stream",
    ];
    let lower = crate::text::collapse_whitespace(&location.to_lowercase());
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    // Short texts only: "Онлайн (Zoom)" is virtual, "Library hall, also streamed online for members" is a place.
    words.len() <= 8 && VIRTUAL.iter().any(|v| lower.contains(v))
}

/// What is known about an item when its mode is inferred.
pub struct ModeEvidence<'a> {
    /// A physical place is given (venue, address or geo).
    pub has_place: bool,
    /// Online join links were found.
    pub has_online_link: bool,
    /// Title, description, location text and categories, concatenated.
    pub text: &'a str,
    /// Provider-configured extra words.
    pub online_keywords: &'a [String],
    /// Provider-configured extra words.
    pub in_person_keywords: &'a [String],
}

/// Infers the mode. Order: hybrid words, or online and in-person words together → a join link
/// and a place → a join link or an online word without a place → a place or an in-person word
/// → `None` (the caller falls back to the provider default).
pub fn infer_mode(e: &ModeEvidence<'_>) -> Option<Mode> {
    let lower = e.text.to_lowercase();
    let configured = |extra: &[String]| extra.iter().any(|w| !w.trim().is_empty() && lower.contains(&w.to_lowercase()));
    // A join link or a word the provider configured is strong evidence; a built-in word
    // anywhere in the text is weak ("how to use e-government services online").
    let strong_online = e.has_online_link || configured(e.online_keywords);
    let words = taxonomy::Words::new(&lower);
    let online = strong_online || words.match_any(ONLINE_WORDS);
    let in_person_word = configured(e.in_person_keywords) || words.match_any(IN_PERSON_WORDS);
    if words.match_any(HYBRID_WORDS) || (online && in_person_word) {
        return Some(Mode::Hybrid);
    }
    match (strong_online, online, e.has_place || in_person_word) {
        (true, _, true) if e.has_place => Some(Mode::Hybrid),
        (_, true, false) | (true, _, _) => Some(Mode::Online),
        (_, _, true) => Some(Mode::InPerson),
        (false, false, false) => None,
    }
}

/// Kind words, checked in order: the first kind with a matching word in the title wins, then
/// the same over categories and description.
const KIND_WORDS: &[(Kind, &[&str])] = &[
    // An open or trial lesson, an open day: a single event around a course.
    (
        Kind::Event,
        &[
            "открытый урок",
            "открытое занятие",
            "пробное занятие",
            "пробный урок",
            "адкрыты ўрок",
            "адкрытае занятак",
            "адкрыты занятак",
            "пробны ўрок",
            "пробнае занятак",
            "open lesson",
            "open class",
            "trial lesson",
            "trial class",
            "день открытых",
            "дзень адчыненых",
            "open day",
            "open house",
            // A club that talks is no lecture ("гутарка" is a talk).
            "гутарковы клуб",
            "разговорный клуб",
            "speaking club",
            "conversation club",
            "study session",
            // A film evening is no course for its "classic" ("Movie Night: Classic Comedy").
            "movie night",
            "film night",
            // Volunteers' clean-up days and flash mobs are events of one day.
            "субботник",
            "суботнік",
            "флешмоб",
            "флэшмоб",
            "flash mob",
            "flashmob",
        ],
    ),
    (
        Kind::Masterclass,
        &[
            "мастер-класс",
            "мастер класс",
            "майстар-клас",
            "майстар клас",
            "masterclass",
            "master class",
            "master-class",
            "meisterkurs",
        ],
    ),
    (
        Kind::Tour,
        &[
            "экскурс",
            "экскурсі",
            "велоэкскурс",
            "велаэкскурс",
            "фотопрогулк",
            "фотапрагулк",
            "tour",
            "excursion",
            "прогулк",
            "прагулк",
            "führung",
            "rundgang",
            "walk",
            "вандроўк",
            "hike",
        ],
    ),
    (
        Kind::Lecture,
        &[
            "лекци",
            "лекцы",
            "лектор",
            "кинолектор",
            "кіналектор",
            // A webinar is a talk given online.
            "webinar",
            "вебинар",
            "вэбінар",
            "lecture",
            "talk",
            "доклад",
            "даклад",
            "vortrag",
            "беседа",
            "гутарк",
            "presentation",
        ],
    ),
    (
        Kind::Workshop,
        &[
            "семинар",
            "семінар",
            "тренинг",
            "трэнінг",
            "практикум",
            "workshop",
            "seminar",
            "training",
            "воркшоп",
            "мастерск",
            "майстэрн",
            "kurs am",
        ],
    ),
    (
        Kind::Course,
        &[
            "курс",
            "course",
            "интенсив",
            "інтэнсіў",
            "intensive",
            "bootcamp",
            "буткемп",
            "кружок",
            "гурток",
            // A sports section trains a group all season ("Секция бокса", "набор в секцию").
            "секци",
            "секцы",
            "студыя",
            "студия",
            "школа",
            "school",
            "class",
            "classes",
            "занятия",
            "заняткі",
            "programme",
            "program",
            "kurs",
            "урок",
            "lesson",
        ],
    ),
    (
        Kind::Event,
        &[
            "фестивал",
            "фестывал",
            "festival",
            "конференц",
            "канферэнц",
            "conference",
            "встреча",
            "сустрэча",
            "meetup",
            "квиз",
            "quiz",
            "выставк",
            "выстаўк",
            "exhibition",
            "концерт",
            "concert",
            "презентац",
            "прэзентац",
            "день",
            "дзень",
            "вечер",
            "вечар",
            "чтени",
            "чытанн",
            "хакатон",
            "hackathon",
            "консультац",
            "кансультац",
            "группа поддержки",
            "група падтрымкі",
            "support group",
            "ночь музеев",
            "ноч музеяў",
            "museum night",
            "библионочь",
            "бібліяноч",
            "consultation",
            "квест",
            "квэст",
            "quest",
            "викторин",
            "віктарын",
            "orientation",
            "startup weekend",
            "ночь в библиотеке",
            "ноч у бібліятэцы",
            "library night",
            "info session",
            "каникул",
            "канікул",
            "конкурс",
            "competition",
            "олимпиад",
            "алімпіяд",
            "турнир",
            "турнір",
            "tournament",
            "ярмарк",
            "кірмаш",
            "book fair",
            "job fair",
            "кинопоказ",
            "кінапаказ",
            "screening",
            "клуб",
            "club",
            "party",
            "вечеринк",
            "game",
        ],
    ),
];

/// Infers the kind from the title, then the provider's categories, then the description.
pub fn infer_kind(title: &str, categories: &[String], description: &str) -> Option<Kind> {
    kind_named(title, categories).or_else(|| kind_in(description))
}

/// The kind the title or the provider's categories name.
pub fn kind_named(title: &str, categories: &[String]) -> Option<Kind> {
    kind_in(title).or_else(|| categories.iter().find_map(|c| kind_in(c)))
}

/// Title openings of a news post that reports on something past or announces its results:
/// "Итоги конкурса чтецов", "Вынікі конкурсу", "Results of the photo contest", "Фотоотчёт".
const REPORT_TITLES: &[&str] = &[
    "итоги",
    "подведены итоги",
    "подводим итоги",
    "вынікі",
    "падведзены вынікі",
    "падводзім вынікі",
    "results of",
    "results:",
    "winners of",
    "победители",
    "пераможцы",
    "фотоотчёт",
    "фотоотчет",
    "отчёт о",
    "отчет о",
    "фотасправаздача",
    "справаздача",
    "report:",
    "photo report",
];

/// True when the title is that of a report on something past ("Итоги конкурса чтецов").
pub fn reports_on_past(title: &str) -> bool {
    let lower = title.trim().trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    REPORT_TITLES
        .iter()
        .any(|p| lower.starts_with(p) && lower[p.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

/// True when the title announces a cancellation ("Отменяется лекция «…»", "ОТМЕНЕНО: …",
/// "Адмяняецца…", "Cancelled: …", "[Canceled] …"). "Отмена крепостного права" (a lecture on the
/// abolition of serfdom) is a subject: the bare noun counts only with a colon or an exclamation.
pub fn announces_cancellation(title: &str) -> bool {
    static CANCELLED_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^[^\p{L}\d]*(?:отменя\w*|отмен[её]н\w*|адмяня\w*|адменен\w*|адменены|cancell?ed\b|cancell?ation\b\s*[:!—–-]|отмена\s*[:!—–-]|адмена\s*[:!—–-])",
        )
        .expect("static regex")
    });
    CANCELLED_RE.is_match(title.trim())
}

/// The first kind whose word `text` holds, in the order of [`KIND_WORDS`]. A tour guide
/// ("экскурсовод") is no tour.
pub fn kind_in(text: &str) -> Option<Kind> {
    let lower =
        text.to_lowercase().replace("экскурсовод", "гид").replace("экскурсавод", "гід").replace("tour guide", "guide");
    let text = taxonomy::Words::new(&lower);
    KIND_WORDS.iter().find(|(_, words)| text.match_any(words)).map(|(k, _)| *k)
}

/// Words of teaching: several sessions with them are a course, without them (a film club, a
/// reading hour, concerts) a series of events.
const TEACHING_STEMS: &[&str] = &[
    "заняти",
    "занятий",
    "урок",
    "обучен",
    "учим",
    "научит",
    "преподава",
    "педагог",
    "курс",
    "модул",
    "подготовк",
    "уровень",
    "уровн",
    "начинающ",
    "грамматик",
    "занятк",
    "занятак",
    "навучан",
    "навучы",
    "выкладчык",
    "падрыхтоўк",
    "узровень",
    "пачаткоўц",
    "граматык",
    "lesson",
    "course",
    "tuition",
    "teacher",
    "tutor",
    "learn",
    "training",
    "preparation",
    "module",
    "beginner",
    "grammar",
    "homework",
];
/// English words that are teaching only whole ("class", not "classical").
const TEACHING_WORDS: &[&str] = &["class", "classes", "level", "levels"];

/// True when `text` speaks of teaching.
pub fn teaches(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words = taxonomy::Words::new(&lower);
    words.match_any(TEACHING_STEMS)
        || lower.split(|c: char| !c.is_alphanumeric()).any(|w| TEACHING_WORDS.contains(&w))
        || crate::infer::has_cefr_level(&lower)
}

/// "A1", "B2" as a word: a language level.
fn has_cefr_level(lower: &str) -> bool {
    lower.split(|c: char| !c.is_alphanumeric()).any(|w| matches!(w, "a1" | "a2" | "b1" | "b2" | "c1" | "c2"))
}

/// Audience facts from free text: age ranges ("7–12 лет", "6+", "от 14 лет"), target groups
/// and accessibility features from the taxonomy vocabularies.
pub fn parse_audience(text: &str) -> Audience {
    let ages = crate::prose::age::read(text);
    let mut a = Audience { age_min: ages.min, age_max: ages.max, ..Audience::default() };
    a.groups = taxonomy::match_vocabulary(text, taxonomy::AUDIENCE_GROUPS).into_iter().map(str::to_owned).collect();
    a.accessibility =
        taxonomy::match_vocabulary(text, taxonomy::ACCESSIBILITY).into_iter().map(str::to_owned).collect();
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str, place: bool, link: bool) -> Option<Mode> {
        infer_mode(&ModeEvidence {
            has_place: place,
            has_online_link: link,
            text,
            online_keywords: &[],
            in_person_keywords: &[],
        })
    }

    #[test]
    fn titles_that_announce_a_cancellation() {
        for (title, cancelled) in [
            ("Отменяется лекция «Пинская шляхта» в Столине", true),
            ("ОТМЕНЕНО: мастер-класс по керамике", true),
            ("Адмяняецца экскурсія па Старым замку", true),
            ("Cancelled: Python for Kids", true),
            ("[Canceled] Open day", true),
            ("Отмена! Концерт переносится", true),
            ("Отмена крепостного права: лекция", false),
            ("Лекция об отмене крепостного права", false),
            ("Open day", false),
        ] {
            assert_eq!(super::announces_cancellation(title), cancelled, "{title}");
        }
    }

    #[test]
    fn mode_from_places_links_and_words() {
        assert_eq!(ev("Лекция", true, false), Some(Mode::InPerson));
        assert_eq!(ev("Лекция", false, true), Some(Mode::Online));
        assert_eq!(ev("Лекция", true, true), Some(Mode::Hybrid));
        assert_eq!(ev("Вебинар по Python", false, false), Some(Mode::Online));
        assert_eq!(ev("Заняткі праходзяць анлайн", false, false), Some(Mode::Online));
        assert_eq!(ev("Формат: гибридный", false, false), Some(Mode::Hybrid));
        assert_eq!(ev("Лекция", false, false), None);
        // Regression (library-events fixture): "госуслуги онлайн" in the title of a class held in the library.
        assert_eq!(ev("Как получить госуслуги онлайн", true, false), Some(Mode::InPerson));
        let custom = ModeEvidence {
            has_place: false,
            has_online_link: false,
            text: "Занятия в Discord-сервере",
            online_keywords: &["discord".into()],
            in_person_keywords: &[],
        };
        assert_eq!(infer_mode(&custom), Some(Mode::Online));
    }

    #[test]
    fn meeting_links_are_found_in_text() {
        let text = "Подключайтесь: https://us02web.zoom.us/j/8123?pwd=x. Или https://meet.google.com/abc-defg-hij, сайт https://vsu.by/news";
        assert_eq!(
            meeting_links(text),
            vec!["https://us02web.zoom.us/j/8123?pwd=x", "https://meet.google.com/abc-defg-hij"]
        );
        assert!(is_meeting_url("https://teams.microsoft.com/l/meetup-join/19"));
        assert!(!is_meeting_url("https://notzoom.us.example/"));
        assert!(!is_meeting_url("javascript:zoom.us"));
    }

    #[test]
    fn virtual_places() {
        assert!(is_virtual_place("Online"));
        assert!(is_virtual_place("Собрание в Microsoft Teams"));
        assert!(is_virtual_place("Онлайн (Zoom)"));
        assert!(is_virtual_place("Трансляция в VK: vk.com/cgb_vitebsk"));
        assert!(!is_virtual_place("Центральная библиотека, ул. Ленина, 8"));
        assert!(!is_virtual_place("Library hall 2, Main street 5, also streamed online for members"));
    }

    #[test]
    fn kinds_from_titles() {
        assert_eq!(infer_kind("Мастер-класс по керамике", &[], ""), Some(Kind::Masterclass));
        assert_eq!(infer_kind("Экскурсия по Старому городу", &[], ""), Some(Kind::Tour));
        assert_eq!(infer_kind("Лекцыя пра Шагала", &[], ""), Some(Kind::Lecture));
        assert_eq!(infer_kind("Курсы английского языка", &[], ""), Some(Kind::Course));
        assert_eq!(infer_kind("Python for beginners", &["Course".into()], ""), Some(Kind::Course));
        assert_eq!(infer_kind("Встреча клуба", &[], ""), Some(Kind::Event));
        assert_eq!(infer_kind("Шахматы", &[], ""), None);
        assert_eq!(infer_kind("Секция бокса для подростков", &[], ""), Some(Kind::Course));
        assert_eq!(infer_kind("Набор в секцию художественной гимнастики", &[], ""), Some(Kind::Course));
        assert_eq!(infer_kind("Эко-субботник в парке Победы", &[], ""), Some(Kind::Event));
        assert_eq!(infer_kind("Танцевальный флешмоб ко Дню города", &[], ""), Some(Kind::Event));
        assert_eq!(infer_kind("Movie Night: Classic British Comedy", &[], ""), Some(Kind::Event));
        assert_eq!(
            infer_kind(
                "Python for Data Analysis",
                &[],
                "A 10-session course: pandas, charts, cleaning real open data of Belarusian cities. Taught in English."
            ),
            Some(Kind::Course)
        );
    }

    #[test]
    fn audience_ages_groups_accessibility() {
        let a = parse_audience("Для детей 7–12 лет, зал с пандусом");
        assert_eq!((a.age_min, a.age_max), (Some(7), Some(12)));
        assert_eq!(a.groups, vec!["children"]);
        assert_eq!(a.accessibility, vec!["wheelchair"]);
        assert_eq!(parse_audience("16+").age_min, Some(16));
        // Regression (language-school fixture): a CEFR level is no age.
        assert_eq!(parse_audience("English Speaking Club, B1+").age_min, None);
        assert!(parse_audience("для старшеклассников").groups.iter().all(|g| g != "seniors"));
        assert_eq!(parse_audience("для пенсіянераў, ад 55 гадоў").age_min, Some(55));
        assert_eq!(parse_audience("для пенсіянераў").groups, vec!["seniors"]);
        assert_eq!(parse_audience("").age_min, None);
    }

    #[test]
    fn report_titles() {
        for (title, report) in [
            ("Итоги конкурса чтецов «Живое слово»", true),
            ("Вынікі конкурсу малюнкаў", true),
            ("Results of the photo contest", true),
            ("Фотоотчёт: Ночь музеев", true),
            ("Подведены итоги года", true),
            ("Итоговое занятие курса", false),
            ("Конкурс чтецов «Живое слово»", false),
            ("Results-driven marketing workshop", false),
        ] {
            assert_eq!(reports_on_past(title), report, "{title}");
        }
    }
}
