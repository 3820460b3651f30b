//! A place written as one line, split as a person would: "Библиотека-филиал № 5, абонемент,
//! проспект Фрунзе, 81" → venue "Библиотека-филиал № 5, абонемент", address "проспект Фрунзе,
//! 81"; "Гимназия №2, каб. 14, ул. Ленина 5, г. Витебск" → venue "Гимназия №2, каб. 14",
//! address "ул. Ленина 5", city "Витебск". Numbers in a venue's name (№ 5, корпус 3, room 301)
//! do not make it an address; a street word or a house number after a street name does.

// Street words (`learncity_model::places`): a part that starts or ends with one is an address.
use learncity_model::places::STREET_WORDS;

/// The parts of a place line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// Venue name, with its room or department.
    pub venue: Option<String>,
    /// Street and house.
    pub address: Option<String>,
    /// City, as written (without "г.").
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// Words of a room or department inside a venue.
const ROOM_WORDS: &[&str] = &[
    "каб",
    "кабинет",
    "кабінет",
    "ауд",
    "аудитория",
    "аудыторыя",
    "зал",
    "этаж",
    "паверх",
    "корпус",
    "корп",
    "room",
    "hall",
    "floor",
    "building",
    "абонемент",
    "читальный",
    "чытальная",
    "офис",
    "office",
    "студия",
    "класс",
];

/// Names of towns the readers take for a city besides those of the place-alias table
/// ([`learncity_model::places::PLACES`]): one more spelling, and towns whose names are also common
/// words ("Городок"), which the catalogue must not look for inside venue names.
const MORE_CITIES: &[&str] = &["mogilyov", "городок", "гарадок", "верхнедвинск", "верхнядзвінск"];

/// True when `name` (any case) is a city of the alias table or [`MORE_CITIES`].
fn is_city(name: &str) -> bool {
    MORE_CITIES.contains(&name.to_lowercase().as_str()) || learncity_model::places::is_name(name)
}

/// The town a venue names in one of its words when no part of the place line is a town
/// ("Barysaŭ Museum, lecture hall", "Маладзечна, Дом культуры" is already split): the word as
/// written. Words in quotes are names, not places ("кинотеатр «Москва»").
pub fn town_in_venue(venue: &str) -> Option<String> {
    let mut quoted = false;
    let mut word = String::new();
    for c in venue.chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() || c == '-' {
            word.push(c);
            continue;
        }
        if !quoted && is_city(&word) {
            return Some(word);
        }
        // "ЦГБ Новополоцка": the library of that town, which is where it is.
        if !quoted && let Some(town) = learncity_model::places::of_genitive(&word) {
            return Some(town.to_owned());
        }
        word.clear();
        match c {
            '«' | '“' | '„' => quoted = true,
            '»' | '”' => quoted = false,
            '"' => quoted = !quoted,
            _ => {}
        }
    }
    None
}
fn words(part: &str) -> Vec<String> {
    part.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == 'ў'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_street(part: &str) -> bool {
    let w = words(part);
    let (Some(first), Some(last)) = (w.first(), w.last()) else { return false };
    // "ул. Ленина 5", "Lenin St 12", "Frunze Avenue", "проспект Фрунзе"
    STREET_WORDS.contains(&first.as_str())
        || STREET_WORDS.contains(&last.as_str())
        || (w.len() >= 2 && STREET_WORDS.contains(&w[w.len() - 2].as_str()) && last.chars().any(|c| c.is_ascii_digit()))
}

/// "81", "д. 81", "дом 81а", "81/2", "корп. 2" after a street.
fn is_house(part: &str) -> bool {
    let w = words(part);
    match w.as_slice() {
        [n] => n.chars().next().is_some_and(|c| c.is_ascii_digit()) && n.len() <= 6 && !is_postal(part),
        [word, n] => {
            ["д", "дом", "house", "no", "корп", "корпус", "стр", "строение", "к"].contains(&word.as_str())
                && n.chars().next().is_some_and(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

fn is_postal(part: &str) -> bool {
    let t = part.trim();
    t.len() == 6 && t.chars().all(|c| c.is_ascii_digit())
}

/// The city a part names, without "г."/"city of".
fn city_of(part: &str) -> Option<String> {
    let trimmed = part.trim();
    let lower = trimmed.to_lowercase();
    // The prefixes are ASCII or two-byte letters whose lowercase has the same length.
    let name = ["г.", "гор.", "г ", "город ", "горад ", "city of "]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map_or(Some(trimmed), |p| trimmed.get(p.len()..).map(str::trim))?;
    is_city(name).then(|| name.to_owned())
}

fn is_room(part: &str) -> bool {
    words(part).first().is_some_and(|w| ROOM_WORDS.iter().any(|r| w == r))
        || words(part).iter().any(|w| ["этаж", "паверх", "floor"].contains(&w.as_str()))
}

/// "Ленина 5", "Lenin 12a": a name and a house number, without a street word.
fn looks_like_street_and_house(part: &str) -> bool {
    let w = words(part);
    w.len() >= 2
        && w.last().is_some_and(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
        && w[..w.len() - 1].iter().all(|x| x.chars().all(char::is_alphabetic))
        && !part.contains('№')
        && !is_room(part)
}

/// Splits a one-line place into venue, address, city and postal code.
pub fn split(text: &str) -> Place {
    let parts: Vec<&str> = text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()).collect();
    let mut place = Place::default();
    if parts.is_empty() {
        return place;
    }
    let mut rest: Vec<&str> = Vec::new();
    for p in &parts {
        if parts.len() > 1 && place.city.is_none() && city_of(p).is_some() {
            place.city = city_of(p);
        } else if is_postal(p) && place.postal_code.is_none() {
            place.postal_code = Some((*p).to_owned());
        } else {
            rest.push(p);
        }
    }
    let street_at = rest.iter().position(|p| is_street(p)).or_else(|| {
        // Without a street word, a "Name 5" part after the first one.
        rest.iter().enumerate().skip(1).find(|(_, p)| looks_like_street_and_house(p)).map(|(i, _)| i)
    });
    let Some(at) = street_at else {
        place.venue = Some(rest.join(", ")).filter(|v| !v.is_empty());
        return place;
    };
    let mut venue: Vec<&str> = rest[..at].to_vec();
    let mut address = vec![rest[at]];
    let mut i = at + 1;
    while i < rest.len() && is_house(rest[i]) {
        address.push(rest[i]);
        i += 1;
    }
    for p in &rest[i..] {
        if is_room(p) { venue.push(p) } else { address.push(p) }
    }
    place.venue = Some(venue.join(", ")).filter(|v| !v.is_empty());
    place.address = Some(address.join(", "));
    place
}

static LABELLED_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:^|[\n.;!])\s*(?:место\s+проведения|место\s+сбора|месца\s+правядзення|месца\s+збору|место|месца|адрес|адрас|place|venue|where|location|meeting\s+point|сбор|збор)\s*[:—–]\s*([^\n]+)",
    )
    .expect("static regex")
});

/// The place a description names, for items whose format gives none: a labelled line
/// ("Место проведения: ...", "Place: ...", "Meeting point: ...") as written, else a line or
/// sentence with a street address, from the part before the street ("..., в ТЦСОН, пр-т
/// Строителей, 11." → "ТЦСОН, пр-т Строителей, 11").
pub fn in_text(description: &str) -> Option<String> {
    if let Some(c) = LABELLED_RE.captures(description) {
        let value = first_sentence(c.get(1)?.as_str()).trim().trim_end_matches('.').trim();
        return (!value.is_empty() && value.chars().count() <= 160).then(|| value.to_owned());
    }
    // Lines, not sentences: "вул. Пуцяёўская" is no sentence end.
    description.lines().find_map(|line| {
        let parts: Vec<&str> = line.trim().trim_end_matches('.').split(',').map(str::trim).collect();
        let at = parts.iter().position(|p| is_street(p))?;
        let from = if at > 0 && plain_name(parts[at - 1]) { at - 1 } else { at };
        let mut kept: Vec<String> = parts[from..].iter().map(|p| (*p).to_owned()).collect();
        if let Some(first) = kept.first_mut() {
            *first = strip_preposition(first);
        }
        Some(kept.join(", ")).filter(|t| t.chars().count() <= 160)
    })
}

/// Abbreviations of a place line besides street and room words: "г. Минск", "д. 5", "им. М.
/// Горецкого", "каб. 12".
const PLACE_ABBREVIATIONS: &[&str] = &["г", "гор", "д", "им", "імя", "стр", "эт", "пом", "no", "bldg"];

/// The first sentence of a place line: up to a dot and a space that end a sentence, not an
/// abbreviation's ("вул. Кастрычніцкая, 16", "им. М. Горецкого", "каб. 12"). A street or room
/// word is an abbreviation where it opens its part ("ул. Ленина"), not where it closes one
/// ("12 Lenin St. Free entry.").
fn first_sentence(value: &str) -> &str {
    for (at, _) in value.match_indices(". ") {
        let part = value[..at].rsplit([',', ';', '(', ':']).next().unwrap_or("").trim();
        let word = value[..at].rsplit(|c: char| !(c.is_alphanumeric() || c == '-')).next().unwrap_or("");
        let lower = word.to_lowercase();
        let opens_part = part == word;
        let abbreviation = word.chars().count() == 1
            || PLACE_ABBREVIATIONS.contains(&lower.as_str())
            || (opens_part && (STREET_WORDS.contains(&lower.as_str()) || ROOM_WORDS.contains(&lower.as_str())));
        if !abbreviation {
            return &value[..at];
        }
    }
    value
}

/// A short name without digits: a venue before a street (not the end of another sentence).
fn plain_name(part: &str) -> bool {
    let w = words(part);
    !w.is_empty() && w.len() <= 6 && !part.chars().any(|c| c.is_ascii_digit()) && !part.contains(". ")
}

/// "в ТЦСОН" → "ТЦСОН", "at the Art Centre" → "the Art Centre".
fn strip_preposition(part: &str) -> String {
    for p in ["в ", "во ", "у ", "ў ", "in ", "at "] {
        if let Some(rest) = part.strip_prefix(p) {
            return rest.trim().to_owned();
        }
    }
    part.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let p = split(text);
        (p.venue, p.address, p.city)
    }

    fn some(x: &str) -> Option<String> {
        Some(x.to_owned())
    }

    #[test]
    fn a_town_named_in_a_venue_is_its_city() {
        assert_eq!(town_in_venue("Barysaŭ Museum, lecture hall").as_deref(), Some("Barysaŭ"));
        assert_eq!(town_in_venue("Музей г. Борисов").as_deref(), Some("Борисов"));
        assert_eq!(town_in_venue("кинотеатр «Москва»"), None, "a name in quotes");
        assert_eq!(town_in_venue("Минская областная библиотека"), None, "an adjective");
        assert_eq!(town_in_venue("ЦГБ Новополоцка").as_deref(), Some("Новополоцк"), "a town's library");
        assert_eq!(town_in_venue("Музей-бібліятэка Сімяона Полацкага"), None, "a person's byname");
        assert_eq!(town_in_venue("ЦГБ им. Пушкина"), None);
    }

    #[test]
    fn numbers_in_names_stay_in_the_venue() {
        assert_eq!(
            s("Библиотека-филиал № 5, абонемент, проспект Фрунзе, 81"),
            (some("Библиотека-филиал № 5, абонемент"), some("проспект Фрунзе, 81"), None)
        );
        assert_eq!(
            s("Гимназия №2, каб. 14, ул. Ленина 5, г. Витебск"),
            (some("Гимназия №2, каб. 14"), some("ул. Ленина 5"), some("Витебск"))
        );
        assert_eq!(s("Корпус 3 ВГУ, ауд. 301"), (some("Корпус 3 ВГУ, ауд. 301"), None, None));
    }

    #[test]
    fn places_named_in_descriptions() {
        assert_eq!(
            in_text("Linocut for adults.\nPlace: Art Centre, print studio (майстэрня).").as_deref(),
            Some("Art Centre, print studio (майстэрня)")
        );
        assert_eq!(
            in_text("Занятия по средам в 11.00, с 13.01.2027 по 26.05.2027, в ТЦСОН, пр-т Строителей, 11.").as_deref(),
            Some("ТЦСОН, пр-т Строителей, 11")
        );
        assert_eq!(
            in_text("14 студзеня 2027 г. а 18:00\nАрт-цэнтр Марка Шагала, вул. Пуцяёўская, 2, Віцебск").as_deref(),
            Some("Арт-цэнтр Марка Шагала, вул. Пуцяёўская, 2, Віцебск")
        );
        assert_eq!(in_text("Лекция о модерне. Вход свободный."), None);
    }

    #[test]
    fn a_labelled_place_is_not_cut_at_an_abbreviation() {
        // Regression (dev3): "Месца: ..., вул. Кастрычніцкая, 16" was read as address "вул".
        for (text, want) in [
            (
                "Месца: Прастора «Пад дахам», вул. Кастрычніцкая, 16, Мінск.",
                "Прастора «Пад дахам», вул. Кастрычніцкая, 16, Мінск",
            ),
            ("Место: Детская библиотека № 3, ул. Жуковского, 9.", "Детская библиотека № 3, ул. Жуковского, 9"),
            (
                "Место: библиотека-филиал № 15 им. М. Горецкого, пр. Партизанский, д. 81. Вход свободный.",
                "библиотека-филиал № 15 им. М. Горецкого, пр. Партизанский, д. 81",
            ),
            ("Venue: City Library, 12 Lenin St. Free entry.", "City Library, 12 Lenin St"),
            ("Place: Art Centre. Bring a pencil.", "Art Centre"),
        ] {
            assert_eq!(in_text(text).as_deref(), Some(want), "{text}");
        }
        let place = split(&in_text("Месца: Прастора «Пад дахам», вул. Кастрычніцкая, 16, Мінск.").unwrap());
        assert_eq!(place.address.as_deref(), Some("вул. Кастрычніцкая, 16"));
    }

    #[test]
    fn usual_shapes() {
        assert_eq!(
            s("Центральная библиотека, ул. Ленина, 12"),
            (some("Центральная библиотека"), some("ул. Ленина, 12"), None)
        );
        assert_eq!(
            s("City Library, 12 Lenin Street, Vitebsk"),
            (some("City Library"), some("12 Lenin Street"), some("Vitebsk"))
        );
        assert_eq!(s("Арт-кафе, Ленина 5"), (some("Арт-кафе"), some("Ленина 5"), None));
        assert_eq!(s("вул. Савецкая, 7, Віцебск"), (None, some("вул. Савецкая, 7"), some("Віцебск")));
        assert_eq!(s("Музей истории"), (some("Музей истории"), None, None));
        assert_eq!(split("ул. Ленина, 8, 210015, г. Витебск").address, some("ул. Ленина, 8"));
    }
}
