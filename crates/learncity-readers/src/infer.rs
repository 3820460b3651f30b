//! Inference of filterable fields from what providers write: mode from places, meeting links and
//! keywords; kind from words; price and audience from free text.
//!
//! Every rule here is a small, tested table of words in Belarusian, Russian and English (plus
//! German for the Bonn-style providers). Inference never overrides what a format states
//! explicitly (a schema.org `eventAttendanceMode`, an iCal vendor meeting property).

use std::sync::LazyLock;

use learncity_model::{Audience, Kind, Mode, Price, taxonomy};
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

/// Labels that start a price line in a description.
const PRICE_LABELS: &[&str] = &[
    "стоимость",
    "цена",
    "кошт",
    "цана",
    "оплата",
    "вход",
    "уваход",
    "price",
    "cost",
    "fee",
    "admission",
    "entgelt",
    "gebühr",
    "preis",
    "eintritt",
    "kosten",
];

/// The value of a "Стоимость: 15 BYN"-style line of a plain-text description.
pub fn price_line(description: &str) -> Option<&str> {
    description.lines().find_map(|line| {
        let (label, value) = line.split_once(':')?;
        let label = label.trim().to_lowercase();
        PRICE_LABELS.iter().any(|l| label == *l || label.ends_with(&format!(" {l}"))).then_some(value.trim())
    })
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
    (Kind::Tour, &["экскурс", "экскурсі", "tour", "excursion", "прогулк", "прагулк", "führung", "rundgang", "walk"]),
    (Kind::Lecture, &["лекци", "лекцы", "lecture", "talk", "доклад", "даклад", "vortrag", "беседа", "гутарк"]),
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
            "webinar",
            "вебинар",
            "вэбінар",
        ],
    ),
    (
        Kind::Course,
        &[
            "курс",
            "course",
            "кружок",
            "гурток",
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
        ],
    ),
];

/// Infers the kind from the title, then the provider's categories, then the description.
pub fn infer_kind(title: &str, categories: &[String], description: &str) -> Option<Kind> {
    let find = |text: &str| {
        let text = taxonomy::Words::new(text);
        KIND_WORDS.iter().find(|(_, words)| text.match_any(words)).map(|(k, _)| *k)
    };
    find(title).or_else(|| categories.iter().find_map(|c| find(c))).or_else(|| find(description))
}

const FREE_WORDS: &[&str] = &[
    "бесплатн",
    "бясплатн",
    "free",
    "вход свободный",
    "вход свабодны",
    "уваход вольны",
    "уваход свабодны",
    "вход free",
    "kostenlos",
    "gratis",
    "entgeltfrei",
    "eintritt frei",
    "без оплаты",
    "без платы",
    "0 руб",
    "0 byn",
];

static MONEY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?P<pre>€|\$|£|₽|eur|usd|byn|byr|rub|azn|pln|gbp)?\s*
        (?P<a>\d{1,7}(?:[.,]\d{1,2})?)
        (?:\s*(?:-|–|—|до|to|bis)\s*(?P<b>\d{1,7}(?:[.,]\d{1,2})?))?
        \s*(?P<post>€|\$|£|₽|eur|euro|евро|еўра|usd|byn|br|бел\.?\s*руб\.?|бел\.?\s*р\.?|руб\.?|р\.|rub|azn|манат|pln|zł|gbp)?",
    )
    .expect("static regex")
});

/// Parses a price as providers write it: "бесплатно", "Вход свободный", "15 BYN",
/// "от 20 до 30 руб.", "€12,50", "10–15 EUR". `None` when it names neither free nor an amount.
pub fn parse_price(text: &str, default_currency: Option<&str>) -> Option<Price> {
    let clean = crate::text::collapse_whitespace(text);
    if clean.is_empty() {
        return None;
    }
    let lower = clean.to_lowercase();
    if taxonomy::matches_any(&lower, FREE_WORDS) {
        return Some(Price { text: Some(clean), ..Price::free() });
    }
    let caps = MONEY_RE
        .captures_iter(&clean)
        .find(|c| c.name("pre").is_some() || c.name("post").is_some() || default_currency.is_some())?;
    let num = |m: Option<regex::Match<'_>>| m.and_then(|m| m.as_str().replace(',', ".").parse::<f64>().ok());
    let amount = num(caps.name("a"))?;
    let amount_max = num(caps.name("b")).filter(|b| *b > amount);
    let symbol = caps.name("pre").or_else(|| caps.name("post")).map(|m| m.as_str().to_lowercase());
    let currency = symbol.as_deref().and_then(currency_code).or(default_currency).map(str::to_owned);
    if amount == 0.0 && amount_max.is_none() {
        return Some(Price { currency, text: Some(clean), ..Price::free() });
    }
    Some(Price { free: false, amount: Some(amount), amount_max, currency, text: Some(clean) })
}

fn currency_code(symbol: &str) -> Option<&'static str> {
    let s = symbol.trim().trim_end_matches('.');
    Some(match s {
        "€" | "eur" | "euro" | "евро" | "еўра" => "EUR",
        "$" | "usd" => "USD",
        "£" | "gbp" => "GBP",
        "₽" | "rub" => "RUB",
        "byn" | "byr" | "br" => "BYN",
        "azn" | "манат" => "AZN",
        "pln" | "zł" => "PLN",
        // "руб."/"р." in a Belarusian provider's text means Belarusian roubles.
        _ if s.starts_with("бел") || s == "руб" || s == "р" => "BYN",
        _ => return None,
    })
}

static AGE_RANGE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:от|ад|from|ages?|для детей|для дзяцей)?\s*(\d{1,2})\s*(?:-|–|—|до|to)\s*(\d{1,2})\s*(?:лет|гадоў|год|years|jahre|y\.?o\.?)")
        .expect("static regex")
});
static AGE_PLUS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\p{L}\d])(\d{1,2})\s*\+").expect("static regex"));
static AGE_FROM_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:от|ад|from|ab)\s*(\d{1,2})\s*(?:лет|гадоў|год|years|jahren)").expect("static regex")
});

/// Audience facts from free text: age ranges ("7–12 лет", "6+", "от 14 лет"), target groups
/// and accessibility features from the taxonomy vocabularies.
pub fn parse_audience(text: &str) -> Audience {
    let mut a = Audience::default();
    if let Some(c) = AGE_RANGE_RE.captures(text) {
        let lo = c.get(1).and_then(|m| m.as_str().parse::<u8>().ok());
        let hi = c.get(2).and_then(|m| m.as_str().parse::<u8>().ok());
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo <= hi
        {
            a.age_min = Some(lo);
            a.age_max = Some(hi);
        }
    }
    if a.age_min.is_none() {
        a.age_min = AGE_PLUS_RE
            .captures(text)
            .or_else(|| AGE_FROM_RE.captures(text))
            .and_then(|c| c.get(1)?.as_str().parse().ok());
    }
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
    fn virtual_places_and_price_lines() {
        assert!(is_virtual_place("Online"));
        assert!(is_virtual_place("Собрание в Microsoft Teams"));
        assert!(is_virtual_place("Онлайн (Zoom)"));
        assert!(is_virtual_place("Трансляция в VK: vk.com/cgb_vitebsk"));
        assert!(!is_virtual_place("Центральная библиотека, ул. Ленина, 8"));
        assert!(!is_virtual_place("Library hall 2, Main street 5, also streamed online for members"));
        assert_eq!(price_line("Курс для начинающих.\nСтоимость: 120 BYN за месяц"), Some("120 BYN за месяц"));
        assert_eq!(price_line("Entgelt: 96,00 EUR"), Some("96,00 EUR"));
        assert_eq!(price_line("Время: 18:30"), None);
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
    }

    #[test]
    fn prices_free_and_paid() {
        assert!(parse_price("Вход свободный", None).unwrap().free);
        assert!(parse_price("Уваход вольны", None).unwrap().free);
        let p = parse_price("Стоимость: 15 BYN", None).unwrap();
        assert_eq!((p.free, p.amount, p.currency.as_deref()), (false, Some(15.0), Some("BYN")));
        let p = parse_price("от 20 до 30 руб.", None).unwrap();
        assert_eq!((p.amount, p.amount_max, p.currency.as_deref()), (Some(20.0), Some(30.0), Some("BYN")));
        let p = parse_price("€12,50", None).unwrap();
        assert_eq!((p.amount, p.currency.as_deref()), (Some(12.5), Some("EUR")));
        let p = parse_price("25", Some("AZN")).unwrap();
        assert_eq!((p.amount, p.currency.as_deref()), (Some(25.0), Some("AZN")));
        assert!(parse_price("по договорённости", None).is_none());
        assert!(parse_price("0 BYN", None).unwrap().free);
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
}
