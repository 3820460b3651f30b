//! # learncity-citygen: a generated city of learning providers
//!
//! Provider documents in every format the readers support (RSS 2.0, Atom, JSON Feed 1.1,
//! iCalendar, an HTML page read by selector rules, an HTML page with schema.org JSON-LD), the
//! provider config files that read them, and the ground truth of which items announce one
//! real-world offering — generated deterministically, dated relative to a given day, and served
//! over HTTP with validators ([`serve()`]).
//!
//! - [`demo()`]: the demo city — about ten fictional Vitebsk providers in Belarusian, Russian and
//!   English, a few hundred offerings built from hand-written seed data, cross-provider
//!   duplicates (Cyrillic and Latin spellings, a few minutes apart), look-alikes that are not
//!   duplicates (another day, another city, another kind), and deliberately broken input. Its
//!   provider configs are committed in `config/demo/providers/` (a test keeps them equal).
//! - [`synthetic()`]: a seeded city of any size for benchmarks; [`synthetic_offerings()`] the
//!   same kind of data as [`learncity_model::Offering`] values directly (no documents), fast
//!   enough for a million offerings.
//!
//! Everything is a pure function of its inputs (a small local PRNG, no clock, no crate whose
//! output could change between versions), so the same day and seed give the same bytes.

#![deny(missing_docs)]

mod demo;
mod render;
mod rng;
mod serve;
mod synth;
mod translit;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

pub use demo::{DEMO_BASE_URL, DEMO_CITY, DEMO_PROVIDERS_DIR, demo};
pub use rng::SplitMix64;
pub use serve::{router, serve};
pub use synth::{SynthParams, synthetic, synthetic_offerings};
pub use translit::to_latin;

/// One document the city serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its path on the server (`/library/afisha.html`).
    pub path: String,
    /// The provider it belongs to.
    pub provider: String,
    /// Its format.
    pub format: Format,
    /// `Content-Type`, with charset.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Serve this status (a server fault) instead of the body.
    pub fault: Option<u16>,
}

/// One provider's config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFile {
    /// The provider id.
    pub id: String,
    /// File name (`<id>.toml`).
    pub file_name: String,
    /// The TOML text.
    pub toml: String,
}

/// A generated city.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    /// The day it is dated relative to.
    pub today: NaiveDate,
    /// When its documents were "last modified": the start of `today` in UTC (the
    /// `Last-Modified` the server sends; stable while the content is the same).
    pub generated_at: DateTime<Utc>,
    /// Every document, in provider order.
    pub documents: Vec<Document>,
    /// One config file per provider.
    pub provider_files: Vec<ProviderFile>,
    /// What reading and deduplicating the documents must find.
    pub truth: Truth,
}

impl City {
    /// The document served at `path`.
    pub fn document(&self, path: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.path == path)
    }
}

/// The ground truth of a city.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// Every real-world offering: the keys (`provider/source_id`, as the collector publishes
    /// them) of the items that announce it, sorted; groups of one included. Every key read from
    /// the city's documents is in exactly one group.
    pub groups: Vec<Vec<String>>,
    /// The keys each provider's document yields (sorted), by provider id.
    pub items: BTreeMap<String, Vec<String>>,
    /// The deliberately broken input: each must produce a warning or a failed fetch, never a panic.
    pub broken: Vec<Broken>,
}

impl Truth {
    /// Number of items read from all documents.
    pub fn item_count(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }

    /// The groups with more than one key (the duplicates).
    pub fn duplicate_groups(&self) -> impl Iterator<Item = &Vec<String>> {
        self.groups.iter().filter(|g| g.len() > 1)
    }
}

/// One piece of deliberately broken input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The provider.
    pub provider: String,
    /// The item's key when it is still published (with a warning); `None` when it is skipped
    /// or the whole document fails.
    pub key: Option<String>,
    /// What is wrong.
    pub problem: BrokenKind,
}

/// What is wrong with a piece of broken input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenKind {
    /// An item with neither title nor description (skipped with a warning).
    NoTitle,
    /// An item whose date cannot be read (published without sessions, with a warning).
    BadDate,
    /// An iCalendar event with an RRULE that cannot be read (its first session is kept).
    BadRrule,
    /// An HTML item without its date (published without sessions).
    MissingDate,
    /// A description with script and event handlers (published sanitised).
    UnsafeDescription,
    /// The document answers with a server fault.
    ServerFault(u16),
}

/// The document formats a city is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// RSS 2.0 with the event module (`ev:startdate`).
    Rss,
    /// Atom 1.0 with xCal dates.
    Atom,
    /// JSON Feed 1.1 with an `_event` extension.
    JsonFeed,
    /// iCalendar with RRULE and EXDATE.
    Ical,
    /// An HTML list page read by the provider's `[reader.html]` rules.
    HtmlRules,
    /// An HTML page with schema.org JSON-LD Event and Course items.
    JsonLd,
}

impl Format {
    /// Every format, in the order synthetic providers take them.
    pub const ALL: [Format; 6] =
        [Format::Rss, Format::Atom, Format::JsonFeed, Format::Ical, Format::HtmlRules, Format::JsonLd];

    /// The provider config's `format` value.
    pub fn config_name(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::JsonFeed => "jsonfeed",
            Format::Ical => "ical",
            Format::HtmlRules | Format::JsonLd => "html",
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::JsonFeed => "application/feed+json; charset=utf-8",
            Format::Ical => "text/calendar; charset=utf-8",
            Format::HtmlRules | Format::JsonLd => "text/html; charset=utf-8",
        }
    }

    /// The file extension of its documents.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::JsonFeed => "json",
            Format::Ical => "ics",
            Format::HtmlRules | Format::JsonLd => "html",
        }
    }

    /// Whether the provider's listing is `complete` (calendars and pages) or a `window` (feeds).
    pub fn listing(self) -> &'static str {
        match self {
            Format::Rss | Format::Atom | Format::JsonFeed => "window",
            Format::Ical | Format::HtmlRules | Format::JsonLd => "complete",
        }
    }
}

/// The key the collector publishes an item under.
pub fn key(provider: &str, source_id: &str) -> String {
    format!("{provider}/{source_id}")
}
