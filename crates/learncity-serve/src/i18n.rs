//! The interface in Belarusian, Russian and English: which language a request gets, and the
//! interface's words in each.

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
    pub entries: &'static str,
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
    entries: "прапаноў",
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
    entries: "предложений",
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
    entries: "offers",
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
}
