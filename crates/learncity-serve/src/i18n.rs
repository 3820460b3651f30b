//! The interface in Belarusian, Russian and English: which language a request gets, and the
//! interface's words in each. Words that go with a number ("1 прапанова", "3 прапановы",
//! "5 прапаноў") are Project Fluent messages (`locales/*.ftl`) that select their form by the
//! CLDR plural category ICU4X gives the number in that language ([`Lang::count`]). (Fluent's own
//! plural selection, `intl_pluralrules` 7.0, has Belarusian wrong: it puts 22 and 44 in
//! "other".)

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use icu_plurals::{PluralCategory, PluralRules};

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Беларуская.
    Be,
    /// Русский.
    Ru,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 3] = [Lang::Be, Lang::Ru, Lang::En];

    /// `be`, `ru` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Be => "be",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Be => "Беларуская",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    /// The language of `code` (`be`, `ru`, `en`, any case, region ignored).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "be" => Some(Lang::Be),
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `n` with the words of `message` (a Fluent message of `locales/<lang>.ftl` taking `$count`
    /// and selecting on `$category`, the CLDR plural category of `n` in this language): "21
    /// прапанова", "22 прапановы", "25 прапаноў", "1 offering". A message missing from the files
    /// (a defect the unit tests catch) falls back to the bare number.
    pub fn count(self, message: &str, n: usize) -> String {
        static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 3]> = OnceLock::new();
        thread_local! {
            // ICU4X's rules are not `Sync`: one set per thread (three small tables).
            static RULES: [Option<PluralRules>; 3] = Lang::ALL.map(|lang| {
                let locale = icu_locale_core::Locale::try_from_str(lang.code()).ok()?;
                PluralRules::try_new(locale.into(), Default::default()).ok()
            });
        }
        let at = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        let bundle = &BUNDLES.get_or_init(|| Lang::ALL.map(Lang::bundle))[at];
        let Some(pattern) = bundle.get_message(message).and_then(|m| m.value()) else {
            return n.to_string();
        };
        let category = match RULES.with(|rules| rules[at].as_ref().map(|r| r.category_for(n))) {
            Some(PluralCategory::Zero) => "zero",
            Some(PluralCategory::One) => "one",
            Some(PluralCategory::Two) => "two",
            Some(PluralCategory::Few) => "few",
            Some(PluralCategory::Many) => "many",
            Some(PluralCategory::Other) | None => "other",
        };
        let mut args = FluentArgs::new();
        args.set("count", n);
        args.set("category", category);
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned()
    }

    fn bundle(self) -> FluentBundle<FluentResource> {
        let source = match self {
            Lang::Be => include_str!("../locales/be.ftl"),
            Lang::Ru => include_str!("../locales/ru.ftl"),
            Lang::En => include_str!("../locales/en.ftl"),
        };
        // A syntax error drops only its message (`count` then shows the bare number); the unit
        // tests read every file without one.
        let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, _)| resource);
        let id: unic_langid::LanguageIdentifier =
            self.code().parse().expect("a language code is a language identifier");
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Plain text in HTML: no Unicode isolation marks around the number.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).expect("one resource per bundle: no message is defined twice");
        bundle
    }

    /// The language for a request: `?lang=`, else the `lang` cookie, else the best of
    /// `Accept-Language` (by q-value), else `default`.
    pub fn negotiate(param: Option<&str>, cookie: Option<&str>, accept: Option<&str>, default: Lang) -> Lang {
        if let Some(l) = param.and_then(Lang::from_code).or_else(|| cookie.and_then(Lang::from_code)) {
            return l;
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.unwrap_or("").split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_code) else { continue };
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(default, |(_, l)| l)
    }

    /// The interface's words in this language.
    pub fn t(self) -> &'static Words {
        match self {
            Lang::Be => &BE,
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }
}

/// The interface's words.
#[derive(Debug)]
pub struct Words {
    pub skip: &'static str,
    pub search: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub filters: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub mode: &'static str,
    pub any: &'static str,
    pub in_person: &'static str,
    pub online: &'static str,
    pub hybrid: &'static str,
    pub free_only: &'static str,
    pub max_price: &'static str,
    pub age: &'static str,
    pub language: &'static str,
    pub category: &'static str,
    pub district: &'static str,
    pub provider: &'static str,
    pub sort: &'static str,
    pub sort_next: &'static str,
    pub sort_relevance: &'static str,
    pub results: &'static str,
    pub nothing: &'static str,
    pub next_page: &'static str,
    pub previous_page: &'static str,
    pub sessions: &'static str,
    pub place: &'static str,
    pub register: &'static str,
    pub sources: &'static str,
    pub map: &'static str,
    /// The label of a link to a description's image that has no alt text.
    pub image: &'static str,
    pub cancelled: &'static str,
    pub free: &'static str,
    pub price: &'static str,
    pub subscribe: &'static str,
    /// The link to one entry's sessions as a calendar file.
    pub add_to_calendar: &'static str,
    pub providers: &'static str,
    pub not_found: &'static str,
    pub bad_request: &'static str,
    pub online_at: &'static str,
    pub interface_language: &'static str,
    pub home: &'static str,
    pub apply: &'static str,
    pub accessibility: &'static str,
}

static BE: Words = Words {
    skip: "Перайсці да зместу",
    search: "Шукаць",
    search_label: "Што вы шукаеце?",
    search_placeholder: "курсы англійскай мовы, Python, кераміка…",
    filters: "Фільтры",
    from: "З",
    to: "Па",
    mode: "Фармат",
    any: "Любы",
    in_person: "Вочна",
    online: "Анлайн",
    hybrid: "Змешана",
    free_only: "Толькі бясплатныя",
    max_price: "Кошт не вышэй за",
    age: "Узрост",
    language: "Мова заняткаў",
    category: "Катэгорыя",
    district: "Раён",
    provider: "Арганізатар",
    sort: "Парадак",
    sort_next: "Бліжэйшыя спачатку",
    sort_relevance: "Па адпаведнасці",
    results: "Вынікі",
    nothing: "Нічога не знойдзена. Паспрабуйце іншыя словы або менш фільтраў.",
    next_page: "Наступная старонка",
    previous_page: "Папярэдняя старонка",
    sessions: "Заняткі",
    place: "Дзе",
    register: "Запісацца",
    sources: "Крыніцы",
    map: "Паказаць на карце",
    image: "выява",
    cancelled: "Адменена",
    free: "Бясплатна",
    price: "Кошт",
    subscribe: "Падпісацца",
    add_to_calendar: "Дадаць у календар",
    providers: "Арганізатары",
    not_found: "Старонка не знойдзена",
    bad_request: "Памылковы запыт",
    online_at: "Анлайн",
    interface_language: "Мова інтэрфейсу",
    home: "Галоўная",
    apply: "Ужыць",
    accessibility: "Даступнасць",
};

static RU: Words = Words {
    skip: "Перейти к содержанию",
    search: "Искать",
    search_label: "Что вы ищете?",
    search_placeholder: "курсы английского, Python, керамика…",
    filters: "Фильтры",
    from: "С",
    to: "По",
    mode: "Формат",
    any: "Любой",
    in_person: "Очно",
    online: "Онлайн",
    hybrid: "Смешанный",
    free_only: "Только бесплатные",
    max_price: "Цена не выше",
    age: "Возраст",
    language: "Язык занятий",
    category: "Категория",
    district: "Район",
    provider: "Организатор",
    sort: "Порядок",
    sort_next: "Ближайшие сначала",
    sort_relevance: "По релевантности",
    results: "Результаты",
    nothing: "Ничего не найдено. Попробуйте другие слова или меньше фильтров.",
    next_page: "Следующая страница",
    previous_page: "Предыдущая страница",
    sessions: "Занятия",
    place: "Где",
    register: "Записаться",
    sources: "Источники",
    map: "Показать на карте",
    image: "изображение",
    cancelled: "Отменено",
    free: "Бесплатно",
    price: "Цена",
    subscribe: "Подписаться",
    add_to_calendar: "Добавить в календарь",
    providers: "Организаторы",
    not_found: "Страница не найдена",
    bad_request: "Неверный запрос",
    online_at: "Онлайн",
    interface_language: "Язык интерфейса",
    home: "Главная",
    apply: "Применить",
    accessibility: "Доступность",
};

static EN: Words = Words {
    skip: "Skip to content",
    search: "Search",
    search_label: "What are you looking for?",
    search_placeholder: "English course, Python, pottery…",
    filters: "Filters",
    from: "From",
    to: "To",
    mode: "Format",
    any: "Any",
    in_person: "In person",
    online: "Online",
    hybrid: "Hybrid",
    free_only: "Free only",
    max_price: "Price at most",
    age: "Age",
    language: "Language",
    category: "Category",
    district: "District",
    provider: "Provider",
    sort: "Order",
    sort_next: "Soonest first",
    sort_relevance: "Best match",
    results: "Results",
    nothing: "Nothing found. Try other words or fewer filters.",
    next_page: "Next page",
    previous_page: "Previous page",
    sessions: "Sessions",
    place: "Where",
    register: "Register",
    sources: "Sources",
    map: "Show on a map",
    image: "image",
    cancelled: "Cancelled",
    free: "Free",
    price: "Price",
    subscribe: "Subscribe",
    add_to_calendar: "Add to my calendar",
    providers: "Providers",
    not_found: "Page not found",
    bad_request: "Bad request",
    online_at: "Online",
    interface_language: "Interface language",
    home: "Home",
    apply: "Apply",
    accessibility: "Accessibility",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_then_the_cookie_then_accept_language() {
        assert_eq!(Lang::negotiate(Some("en"), Some("be"), Some("ru"), Lang::Ru), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("be"), Some("ru"), Lang::Ru), Lang::Be);
        assert_eq!(Lang::negotiate(None, None, Some("de-DE,en;q=0.5,be;q=0.9"), Lang::Ru), Lang::Be);
        assert_eq!(Lang::negotiate(None, None, Some("de, fr;q=0.8"), Lang::En), Lang::En);
        assert_eq!(Lang::negotiate(Some("xx"), None, Some("en-GB"), Lang::Ru), Lang::En);
    }

    #[test]
    fn every_locale_file_parses() {
        for (lang, source) in [
            (Lang::Be, include_str!("../locales/be.ftl")),
            (Lang::Ru, include_str!("../locales/ru.ftl")),
            (Lang::En, include_str!("../locales/en.ftl")),
        ] {
            assert!(FluentResource::try_new(source.to_owned()).is_ok(), "locales/{}.ftl", lang.code());
        }
    }

    #[test]
    fn counted_words_take_the_cldr_plural_form() {
        let forms = |lang: Lang, message: &str| [0, 1, 2, 5, 11, 21, 22, 44, 111, 1011].map(|n| lang.count(message, n));
        assert_eq!(
            forms(Lang::Ru, "entries-count"),
            [
                "0 предложений",
                "1 предложение",
                "2 предложения",
                "5 предложений",
                "11 предложений",
                "21 предложение",
                "22 предложения",
                "44 предложения",
                "111 предложений",
                "1011 предложений"
            ]
        );
        assert_eq!(
            forms(Lang::Be, "entries-count"),
            [
                "0 прапаноў",
                "1 прапанова",
                "2 прапановы",
                "5 прапаноў",
                "11 прапаноў",
                "21 прапанова",
                "22 прапановы",
                "44 прапановы",
                "111 прапаноў",
                "1011 прапаноў"
            ]
        );
        assert_eq!(Lang::En.count("entries-count", 1), "1 offering");
        assert_eq!(Lang::En.count("entries-count", 44), "44 offerings");
        assert_eq!(Lang::Ru.count("sessions-count", 12), "12 занятий");
        assert_eq!(Lang::Be.count("sessions-count", 3), "3 заняткі");
        assert_eq!(Lang::En.count("sessions-count", 8), "8 sessions");
        // Every message exists in every language.
        for lang in Lang::ALL {
            for message in ["entries-count", "sessions-count"] {
                assert_ne!(lang.count(message, 3), "3", "{message} in {}", lang.code());
            }
        }
    }
}
