//! Per-provider reader settings: defaults for what a provider's documents leave out, and the
//! extraction rules for HTML pages. Deserialised from the `[reader]` table of a provider's
//! config (kebab-case keys, unknown keys rejected).

use learncity_model::{Kind, Mode};
use serde::{Deserialize, Serialize};

/// The format to read a document as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatHint {
    /// Sniff from the content and `Content-Type`.
    #[default]
    Auto,
    /// RSS 0.9x / 1.0 / 2.0.
    Rss,
    /// Atom.
    Atom,
    /// JSON Feed.
    Jsonfeed,
    /// iCalendar.
    Ical,
    /// An HTML page (schema.org data when present, else the provider's HTML rules).
    Html,
    /// An XCRI-CAP 1.2 course catalogue.
    Xcri,
}

impl FormatHint {
    /// The lowercase name used in config and on the command line (what `from_str` reads).
    pub fn as_str(self) -> &'static str {
        match self {
            FormatHint::Auto => "auto",
            FormatHint::Rss => "rss",
            FormatHint::Atom => "atom",
            FormatHint::Jsonfeed => "jsonfeed",
            FormatHint::Ical => "ical",
            FormatHint::Html => "html",
            FormatHint::Xcri => "xcri",
        }
    }
}

impl std::str::FromStr for FormatHint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(FormatHint::Auto),
            "rss" => Ok(FormatHint::Rss),
            "atom" => Ok(FormatHint::Atom),
            "jsonfeed" | "json" => Ok(FormatHint::Jsonfeed),
            "ical" | "ics" | "icalendar" => Ok(FormatHint::Ical),
            "html" => Ok(FormatHint::Html),
            "xcri" | "xcri-cap" => Ok(FormatHint::Xcri),
            other => Err(format!("unknown format `{other}`; expected auto, rss, atom, jsonfeed, ical, html or xcri")),
        }
    }
}

/// Longest recurrence horizon accepted (ten years).
pub const MAX_HORIZON_DAYS: u32 = 3_650;
/// Most sessions per offering accepted.
pub const MAX_SESSIONS: usize = 10_000;

const fn default_horizon_days() -> u32 {
    365
}
const fn default_max_sessions() -> usize {
    500
}
const fn default_max_items() -> usize {
    10_000
}
const fn default_max_document_sessions() -> usize {
    100_000
}
const fn default_max_read_seconds() -> u64 {
    30
}

/// Most items per document accepted as `max-items`.
pub const MAX_ITEMS: usize = 1_000_000;
/// Most sessions per document accepted as `max-document-sessions`.
pub const MAX_DOCUMENT_SESSIONS: usize = 10_000_000;
/// Longest read accepted as `max-read-seconds`.
pub const MAX_READ_SECONDS: u64 = 3_600;
fn default_time_zone() -> String {
    "UTC".to_owned()
}

/// How to read one provider's documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReaderSettings {
    /// IANA time zone for times given without one (floating iCal times, HTML dates). Default `UTC`.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Mode when nothing in an item tells (`in_person`, `online`, `hybrid`).
    #[serde(default)]
    pub default_mode: Option<Mode>,
    /// Kind when nothing in an item tells.
    #[serde(default)]
    pub default_kind: Option<Kind>,
    /// BCP 47 language of instruction when an item does not say (`ru`, `be`, `en`).
    #[serde(default)]
    pub default_language: Option<String>,
    /// Taxonomy categories added to every item of this provider.
    #[serde(default)]
    pub default_categories: Vec<String>,
    /// City for items without one (usually the provider's city).
    #[serde(default)]
    pub default_city: Option<String>,
    /// Venue for items without a location (a library that holds everything in its own hall).
    #[serde(default)]
    pub default_venue: Option<String>,
    /// Address of `default-venue`.
    #[serde(default)]
    pub default_address: Option<String>,
    /// Extra words that mark an item as online (added to the built-in list).
    #[serde(default)]
    pub online_keywords: Vec<String>,
    /// Extra words that mark an item as in person (added to the built-in list).
    #[serde(default)]
    pub in_person_keywords: Vec<String>,
    /// How far ahead recurring events are expanded, in days from the fetch. Default 365.
    #[serde(default = "default_horizon_days")]
    pub horizon_days: u32,
    /// At most this many sessions per offering; the rest stay in the kept rule. Default 500.
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// A document with more items than this is not read at all (it fails and publishes nothing).
    /// Default 10 000.
    #[serde(default = "default_max_items")]
    pub max_items: usize,
    /// A document whose items have more sessions together than this is not read at all.
    /// Default 100 000.
    #[serde(default = "default_max_document_sessions")]
    pub max_document_sessions: usize,
    /// A read of one document that takes longer than this many seconds fails. Default 30.
    #[serde(default = "default_max_read_seconds")]
    pub max_read_seconds: u64,
    /// Extraction rules for HTML pages without schema.org data.
    #[serde(default)]
    pub html: Option<HtmlRules>,
    /// Multi-page listings: the next-page link and how many pages to read.
    #[serde(default)]
    pub paging: crate::paging::Paging,
}

impl Default for ReaderSettings {
    fn default() -> Self {
        ReaderSettings {
            time_zone: default_time_zone(),
            default_mode: None,
            default_kind: None,
            default_language: None,
            default_categories: Vec::new(),
            default_city: None,
            default_venue: None,
            default_address: None,
            online_keywords: Vec::new(),
            in_person_keywords: Vec::new(),
            horizon_days: default_horizon_days(),
            max_sessions: default_max_sessions(),
            max_items: default_max_items(),
            max_document_sessions: default_max_document_sessions(),
            max_read_seconds: default_max_read_seconds(),
            html: None,
            paging: crate::paging::Paging::default(),
        }
    }
}

impl ReaderSettings {
    /// The default time zone, parsed.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The budget of one read under these settings, stopped early by `stop`.
    pub fn limits(&self, stop: Option<crate::budget::Stop>) -> crate::budget::Limits {
        crate::budget::Limits {
            items: self.max_items,
            sessions: self.max_document_sessions,
            time: std::time::Duration::from_secs(self.max_read_seconds),
            stop,
        }
    }

    /// Checks what serde cannot: the time zone name, the CSS selectors, the date formats.
    /// Returns the first problem as `field: message`.
    pub fn validate(&self) -> Result<(), String> {
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!("time-zone: `{}` is not an IANA time zone name (e.g. Europe/Minsk)", self.time_zone));
        }
        if let Some(lang) = &self.default_language
            && !crate::text::is_language_tag(lang)
        {
            return Err(format!("default-language: `{lang}` is not a BCP 47 language tag (e.g. be, ru, en)"));
        }
        for id in &self.default_categories {
            if learncity_model::taxonomy::category(id).is_none() {
                return Err(format!("default-categories: `{id}` is not a taxonomy category"));
            }
        }
        if !(1..=MAX_HORIZON_DAYS).contains(&self.horizon_days) {
            return Err(format!("horizon-days: {} is outside 1..={MAX_HORIZON_DAYS}", self.horizon_days));
        }
        if !(1..=MAX_SESSIONS).contains(&self.max_sessions) {
            return Err(format!("max-sessions: {} is outside 1..={MAX_SESSIONS}", self.max_sessions));
        }
        if !(1..=MAX_ITEMS).contains(&self.max_items) {
            return Err(format!("max-items: {} is outside 1..={MAX_ITEMS}", self.max_items));
        }
        if !(1..=MAX_DOCUMENT_SESSIONS).contains(&self.max_document_sessions) {
            return Err(format!(
                "max-document-sessions: {} is outside 1..={MAX_DOCUMENT_SESSIONS}",
                self.max_document_sessions
            ));
        }
        if !(1..=MAX_READ_SECONDS).contains(&self.max_read_seconds) {
            return Err(format!("max-read-seconds: {} is outside 1..={MAX_READ_SECONDS}", self.max_read_seconds));
        }
        if let Some(rules) = &self.html {
            rules.validate().map_err(|e| format!("html.{e}"))?;
        }
        self.paging.validate().map_err(|e| format!("paging.{e}"))?;
        Ok(())
    }
}

/// Extraction rules for an HTML list page: one `item` selector, then field rules relative to
/// each item. Example (TOML):
///
/// ```toml
/// [reader.html]
/// item = "article.event"
/// title = "h3"
/// link = { selector = "a.more", attr = "href" }
/// start = { selector = ".date", formats = ["%d.%m.%Y %H:%M"] }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HtmlRules {
    /// CSS selector of one offering on the page.
    pub item: String,
    /// Title (required).
    pub title: FieldRule,
    /// Landing page link (usually `attr = "href"`); relative links are resolved against the page URL.
    #[serde(default)]
    pub link: Option<FieldRule>,
    /// Start date and time (or the whole "12 марта 2025, 18:30 – 20:00" text).
    #[serde(default)]
    pub start: Option<FieldRule>,
    /// End date and time.
    #[serde(default)]
    pub end: Option<FieldRule>,
    /// Description (its inner HTML is kept, sanitised).
    #[serde(default)]
    pub description: Option<FieldRule>,
    /// Venue / location text.
    #[serde(default)]
    pub location: Option<FieldRule>,
    /// Price text ("бесплатно", "15 BYN").
    #[serde(default)]
    pub price: Option<FieldRule>,
    /// Category terms (every match is one term).
    #[serde(default)]
    pub category: Option<FieldRule>,
    /// Image (usually `attr = "src"`).
    #[serde(default)]
    pub image: Option<FieldRule>,
    /// Registration link.
    #[serde(default)]
    pub registration: Option<FieldRule>,
    /// Audience text ("для пенсионеров", "6+").
    #[serde(default)]
    pub audience: Option<FieldRule>,
    /// A stable id, when the page has one (`attr = "data-id"`).
    #[serde(default)]
    pub id: Option<FieldRule>,
    /// Schedule line of a course ("Вт, Чт 18:30, 12 занятий"): sessions between the first start
    /// and the end.
    #[serde(default)]
    pub schedule: Option<FieldRule>,
    /// Organiser's name.
    #[serde(default)]
    pub organizer: Option<FieldRule>,
    /// Where to join online (usually `attr = "href"`).
    #[serde(default)]
    pub online: Option<FieldRule>,
    /// Venue name, when the page gives it apart from the address.
    #[serde(default)]
    pub venue: Option<FieldRule>,
    /// Street address, apart from the venue.
    #[serde(default)]
    pub address: Option<FieldRule>,
    /// City, apart from the address.
    #[serde(default)]
    pub city: Option<FieldRule>,
}

impl HtmlRules {
    /// Every rule with its field name, for validation and iteration.
    pub fn fields(&self) -> Vec<(&'static str, &FieldRule)> {
        let mut v = vec![("title", &self.title)];
        let opt = [
            ("link", &self.link),
            ("start", &self.start),
            ("end", &self.end),
            ("description", &self.description),
            ("location", &self.location),
            ("price", &self.price),
            ("category", &self.category),
            ("image", &self.image),
            ("registration", &self.registration),
            ("audience", &self.audience),
            ("id", &self.id),
            ("schedule", &self.schedule),
            ("organizer", &self.organizer),
            ("online", &self.online),
            ("venue", &self.venue),
            ("address", &self.address),
            ("city", &self.city),
        ];
        v.extend(opt.into_iter().filter_map(|(n, r)| r.as_ref().map(|r| (n, r))));
        v
    }

    /// Checks that every selector parses. Returns `field: message`.
    pub fn validate(&self) -> Result<(), String> {
        if let Err(e) = scraper::Selector::parse(&self.item) {
            return Err(format!("item: `{}` is not a valid CSS selector: {e}", self.item));
        }
        for (name, rule) in self.fields() {
            if let Err(e) = scraper::Selector::parse(rule.selector()) {
                return Err(format!("{name}: `{}` is not a valid CSS selector: {e}", rule.selector()));
            }
            for f in rule.formats() {
                crate::dates::validate_format(f).map_err(|e| format!("{name}.formats: {e}"))?;
            }
        }
        Ok(())
    }
}

/// Where one field's value is on the page: a CSS selector (relative to the item), and
/// optionally an attribute to read instead of the text, and date formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldRule {
    /// Just a selector: the matched element's text.
    Selector(String),
    /// A selector with options.
    Detailed {
        /// CSS selector relative to the item (`:scope` for the item itself).
        selector: String,
        /// Read this attribute instead of the text (`href`, `src`, `datetime`, `content`).
        #[serde(default)]
        attr: Option<String>,
        /// chrono format strings tried in order for date fields, after the built-in ones
        /// (`%B` and `%b` accept Russian, Belarusian and English month names in any case).
        #[serde(default)]
        formats: Vec<String>,
    },
}

impl Default for FieldRule {
    fn default() -> Self {
        FieldRule::Selector(String::new())
    }
}

impl FieldRule {
    /// The CSS selector.
    pub fn selector(&self) -> &str {
        match self {
            FieldRule::Selector(s) => s,
            FieldRule::Detailed { selector, .. } => selector,
        }
    }

    /// The attribute to read, if not the text.
    pub fn attr(&self) -> Option<&str> {
        match self {
            FieldRule::Selector(_) => None,
            FieldRule::Detailed { attr, .. } => attr.as_deref(),
        }
    }

    /// Extra date formats.
    pub fn formats(&self) -> &[String] {
        match self {
            FieldRule::Selector(_) => &[],
            FieldRule::Detailed { formats, .. } => formats,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        use FormatHint::*;
        for f in [Auto, Rss, Atom, Jsonfeed, Ical, Html, Xcri] {
            assert_eq!(f.as_str().parse::<FormatHint>(), Ok(f));
        }
    }

    #[test]
    fn parses_kebab_case_toml_with_html_rules() {
        let s: ReaderSettings = toml::from_str(
            r#"
            time-zone = "Europe/Minsk"
            default-language = "ru"
            [html]
            item = "article.event"
            title = "h3"
            link = { selector = "a", attr = "href" }
            start = { selector = ".date", formats = ["%d.%m.%Y %H:%M"] }
            "#,
        )
        .unwrap();
        assert_eq!(s.tz(), chrono_tz::Europe::Minsk);
        let rules = s.html.as_ref().unwrap();
        assert_eq!(rules.link.as_ref().unwrap().attr(), Some("href"));
        assert_eq!(rules.start.as_ref().unwrap().formats(), ["%d.%m.%Y %H:%M"]);
        s.validate().unwrap();
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(toml::from_str::<ReaderSettings>("time-zon = \"UTC\"").is_err());
        let s = ReaderSettings { time_zone: "Mars/Olympus".into(), ..Default::default() };
        assert!(s.validate().unwrap_err().starts_with("time-zone"));
        let s = ReaderSettings {
            html: Some(HtmlRules {
                item: "div[".into(),
                title: FieldRule::Selector("h3".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().starts_with("html.item"));
        let s = ReaderSettings { horizon_days: 0, ..Default::default() };
        assert!(s.validate().unwrap_err().starts_with("horizon-days"));
        let s = ReaderSettings { horizon_days: 100_000, ..Default::default() };
        assert!(s.validate().unwrap_err().starts_with("horizon-days"));
    }
}
