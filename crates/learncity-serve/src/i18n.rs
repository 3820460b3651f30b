//! The interface in Belarusian, Russian and English: which language a request gets, and the
//! interface's words in each, all of them Project Fluent messages (`locales/*.ftl`). Words that
//! go with a number ("1 прапанова", "3 прапановы", "5 прапаноў") select their form by the CLDR
//! plural category ICU4X gives the number in that language ([`Lang::count`]). (Fluent's own
//! plural selection, `intl_pluralrules` 7.0, has Belarusian wrong: it puts 22 and 44 in
//! "other".) Dates and times read in CLDR's patterns of each language: [`crate::when`].

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use icu_plurals::{PluralCategory, PluralRules};

/// A struct of words, one `&'static str` field per Fluent message (`<prefix><field name with
/// dashes>`), read once per language; [`Words`] and the console's words are made with it.
macro_rules! fluent_words {
    ($(#[$meta:meta])* $vis:vis struct $name:ident: $prefix:literal { $($(#[$field_meta:meta])* $field:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $($(#[$field_meta])* pub $field: &'static str,)*
        }

        impl $name {
            /// Every field's message id (the unit tests look each up in every language).
            #[cfg(test)]
            pub fn messages() -> Vec<String> {
                [$(stringify!($field)),*].iter().map(|f| $crate::i18n::message_id($prefix, f)).collect()
            }

            /// The words in `lang`.
            pub fn of(lang: $crate::i18n::Lang) -> &'static $name {
                static ALL: std::sync::OnceLock<[$name; 3]> = std::sync::OnceLock::new();
                let all = ALL.get_or_init(|| {
                    $crate::i18n::Lang::ALL.map(|l| $name {
                        $($field: l.word(&$crate::i18n::message_id($prefix, stringify!($field))),)*
                    })
                });
                &all[lang.index()]
            }
        }
    };
}
pub(crate) use fluent_words;

/// The messages that take arguments ([`Lang::message`]).
pub const ARGUMENT_MESSAGES: [&str; 5] = ["remove-filter", "page-of", "past-last-page", "emptied-by", "bad-filter"];

/// The Fluent message id of a words struct's field: `prefix` + the name with dashes.
pub(crate) fn message_id(prefix: &str, field: &str) -> String {
    format!("{prefix}{}", field.replace('_', "-"))
}

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
        thread_local! {
            // ICU4X's rules are not `Sync`: one set per thread (three small tables).
            static RULES: [Option<PluralRules>; 3] = Lang::ALL.map(|lang| {
                let locale = icu_locale_core::Locale::try_from_str(lang.code()).ok()?;
                PluralRules::try_new(locale.into(), Default::default()).ok()
            });
        }
        let at = self.index();
        let bundle = self.fluent();
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

    /// This language's place in [`Lang::ALL`].
    pub fn index(self) -> usize {
        match self {
            Lang::Be => 0,
            Lang::Ru => 1,
            Lang::En => 2,
        }
    }

    /// The text of a message without arguments, kept for the process's life (the words structs
    /// read each once). A message missing from the file (a defect the unit tests catch) reads as
    /// its id.
    pub(crate) fn word(self, id: &str) -> &'static str {
        let bundle = self.fluent();
        let text = match bundle.get_message(id).and_then(|m| m.value()) {
            Some(pattern) => bundle.format_pattern(pattern, None, &mut Vec::new()).into_owned(),
            None => id.to_owned(),
        };
        Box::leak(text.into_boxed_str())
    }

    /// The text of the message `id` with its arguments (`{ $name }` in the file): "Страница 3
    /// из 13". A missing message (a defect the unit tests catch) reads as its id.
    pub fn message(self, id: &str, args: &[(&str, &str)]) -> String {
        let bundle = self.fluent();
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else { return id.to_owned() };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        bundle.format_pattern(pattern, Some(&fluent_args), &mut Vec::new()).into_owned()
    }

    /// Whether this language's file has the message `id`.
    #[cfg(test)]
    fn has(self, id: &str) -> bool {
        self.fluent().has_message(id)
    }

    fn fluent(self) -> &'static FluentBundle<FluentResource> {
        static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 3]> = OnceLock::new();
        &BUNDLES.get_or_init(|| Lang::ALL.map(Lang::bundle))[self.index()]
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
        Words::of(self)
    }
}

fluent_words! {
    /// The interface's words, from the Fluent files (message id: the field's name with dashes).
    pub struct Words: "" {
    skip,
    search,
    search_label,
    search_placeholder,
    filters,
    from,
    to,
    mode,
    any,
    in_person,
    online,
    hybrid,
    free_only,
    max_price,
    age,
    language,
    category,
    district,
    provider,
    sort,
    sort_next,
    sort_relevance,
    results,
    nothing,
    next_page,
    previous_page,
    sessions,
    place,
    register,
    sources,
    map,
    /// The label of a link to a description's image that has no alt text.
    image,
    cancelled,
    free,
    price,
    subscribe,
    /// The link to one entry's sessions as a calendar file.
    add_to_calendar,
    providers,
    not_found,
    bad_request,
    online_at,
    interface_language,
    home,
    apply,
    accessibility,
    sort_auto,
    filter_words,
    page,
    per_page,
    active_filters,
    last_page,
    pages,
    kind_course,
    kind_workshop,
    kind_lecture,
    kind_masterclass,
    kind_tour,
    kind_event,
    kind_other,
    }
}

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

    #[test]
    fn every_word_is_in_every_language() {
        let ids: Vec<String> = Words::messages().into_iter().chain(crate::console::Words::messages()).collect();
        for lang in Lang::ALL {
            for id in &ids {
                assert!(lang.has(id), "locales/{}.ftl has no message `{id}`", lang.code());
            }
        }
        assert_eq!(Lang::Be.t().search, "Шукаць");
        assert_eq!(Lang::Ru.t().kind_masterclass, "Мастер-класс");
        assert_eq!(crate::console::Words::of(Lang::En).sign_in, "Sign in");
        for lang in Lang::ALL {
            for id in ARGUMENT_MESSAGES {
                assert!(lang.has(id), "locales/{}.ftl has no message `{id}`", lang.code());
            }
        }
        assert_eq!(Lang::Ru.message("page-of", &[("page", "3"), ("pages", "13")]), "Страница 3 из 13");
        assert_eq!(Lang::En.message("remove-filter", &[("filter", "Age")]), "Remove the filter “Age”");
    }
}
