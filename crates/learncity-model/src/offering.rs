//! The `Offering` record: one learning offer as one provider announces it.

use chrono::{DateTime, FixedOffset, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the JSON shape of [`Offering`]. Bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// One learning offer (course, workshop, lecture, ...) as announced by one provider.
///
/// Its identity is `{provider.id}/{source_id}` (see [`Offering::key`]): the same provider item
/// always yields the same key, so consumers can upsert idempotently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    /// Version of this record's shape; always [`SCHEMA_VERSION`] for records written by this code.
    pub schema_version: u32,
    /// Stable identity of the item within its provider: GUID, iCal UID (+RECURRENCE-ID),
    /// JSON-LD `@id`, canonical URL, or a hash of title and first start (in that order).
    pub source_id: String,
    /// The provider that announced this offering.
    pub provider: ProviderRef,
    /// Title, plain text, whitespace collapsed.
    pub title: String,
    /// Short plain-text summary (at most [`SUMMARY_MAX_CHARS`] characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Full description as sanitised HTML (no script, no event handlers, no `javascript:` URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_html: Option<String>,
    /// What kind of offer this is.
    pub kind: Kind,
    /// Whether it happens in person, online, or both.
    pub mode: Mode,
    /// Whether the offering takes place or was cancelled by its provider.
    #[serde(default)]
    pub status: Status,
    /// Dated sessions, sorted by start. Recurring events are expanded over the reader's horizon.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// The recurrence rule(s) the sessions were expanded from, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// Where it happens (for in-person and hybrid offerings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Where to join (for online and hybrid offerings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    /// Languages of instruction as BCP 47 tags (`be`, `ru`, `en`, `de`...).
    #[serde(default)]
    pub languages: Vec<String>,
    /// Who it is for.
    #[serde(default)]
    pub audience: Audience,
    /// What it costs; `None` when the provider did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Categories of the project's taxonomy (see [`crate::taxonomy`]).
    #[serde(default)]
    pub categories: Vec<String>,
    /// The provider's own category terms, verbatim.
    #[serde(default)]
    pub provider_categories: Vec<String>,
    /// Who organises it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<Party>,
    /// Who teaches or leads it.
    #[serde(default)]
    pub teachers: Vec<Party>,
    /// The offering's own page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
    /// Where to register, when different from the landing page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_url: Option<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Pages of other announcements this item refers to: an Atom `link rel="related"` or
    /// `rel="via"`, links and URLs in its description (its own landing, registration, online
    /// and image URLs excluded). Evidence for deduplication, never shown as the offering's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_urls: Vec<String>,
    /// Where this record came from.
    pub provenance: Provenance,
}

/// Maximum length of [`Offering::summary`] in characters.
pub const SUMMARY_MAX_CHARS: usize = 500;

impl Offering {
    /// The record's key on the offerings topic: `{provider_id}/{source_id}`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.provider.id, self.source_id)
    }

    /// Start of the first session, if any.
    pub fn first_start(&self) -> Option<DateTime<FixedOffset>> {
        first_start(&self.sessions)
    }

    /// End (or start, when no end is known) of the last session, if any.
    pub fn last_end(&self) -> Option<DateTime<FixedOffset>> {
        last_end(&self.sessions)
    }
}

/// Start of the first of `sessions`, if any.
pub fn first_start(sessions: &[Session]) -> Option<DateTime<FixedOffset>> {
    sessions.iter().map(|s| s.start).min()
}

/// End (or start, when no end is known) of the last of `sessions`, if any.
pub fn last_end(sessions: &[Session]) -> Option<DateTime<FixedOffset>> {
    sessions.iter().map(Session::end_or_start).max()
}

/// A reference to the provider that announced an offering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRef {
    /// Provider id from the registry (`[a-z0-9-]+`).
    pub id: String,
    /// Human-readable provider name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The kind of a learning offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A course of several sessions.
    Course,
    /// A workshop, seminar or training.
    Workshop,
    /// A lecture or talk.
    Lecture,
    /// A master class.
    Masterclass,
    /// A guided tour or excursion.
    Tour,
    /// Any other dated event.
    Event,
    /// Not recognisable.
    Other,
}

/// How an offering is attended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// In person ("intramural").
    InPerson,
    /// Online ("distance").
    Online,
    /// Both in person and online.
    Hybrid,
    /// The source says nothing that tells.
    Unknown,
}

/// Whether an offering takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Takes place as announced.
    #[default]
    Scheduled,
    /// Announced as postponed or tentative.
    Tentative,
    /// Cancelled by its provider (iCal `STATUS:CANCELLED`, schema.org `EventCancelled`).
    Cancelled,
}

/// One dated session of an offering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Start instant with the UTC offset in force at that instant (RFC 3339).
    pub start: DateTime<FixedOffset>,
    /// End instant, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<FixedOffset>>,
    /// The IANA time zone the provider expressed the time in, when known (`Europe/Minsk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A whole-day session: `start` is local midnight of its first day, `end` local midnight
    /// after its last day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_day: bool,
    /// The provider gave no time zone ("floating" time); the reader's default zone was applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floating: bool,
    /// This single session is cancelled while the offering goes on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

impl Session {
    /// Its end, or its start when no end is known.
    pub fn end_or_start(&self) -> DateTime<FixedOffset> {
        self.end.unwrap_or(self.start)
    }
}

/// The recurrence an offering's sessions were expanded from (iCalendar RFC 5545 syntax).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// `RRULE` values, verbatim (`FREQ=WEEKLY;BYDAY=TU;COUNT=10`).
    #[serde(default)]
    pub rrule: Vec<String>,
    /// `RDATE` values as instants.
    #[serde(default)]
    pub rdate: Vec<DateTime<FixedOffset>>,
    /// `EXDATE` values as instants.
    #[serde(default)]
    pub exdate: Vec<DateTime<FixedOffset>>,
    /// Sessions were expanded up to this instant; later occurrences exist only in the rule.
    pub expanded_until: DateTime<Utc>,
    /// The rule yields more sessions after `expanded_until` (or beyond the session cap).
    pub truncated: bool,
}

/// Where an offering takes place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Venue name ("Central library, hall 2").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    /// Street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// City or locality, as the provider spells it ("Віцебск", "г. Витебск", "Viciebsk").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The city's key in the place-alias table ([`crate::places::PLACES`]: "vitebsk"), one per
    /// place whatever the spelling of `city`; absent when the table does not know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// City district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Coordinates, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
}

impl Location {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Location::default()
    }
}

/// WGS 84 coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Geo {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

/// Who an offering is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Minimum age in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<u8>,
    /// Maximum age in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<u8>,
    /// Target groups (`children`, `teens`, `adults`, `seniors`, `families`, `people_with_disabilities`,
    /// `migrants`, `teachers`, `job_seekers`), see [`crate::taxonomy::AUDIENCE_GROUPS`].
    #[serde(default)]
    pub groups: Vec<String>,
    /// Accessibility features (`wheelchair`, `sign_language`, `hearing_loop`, `easy_read`,
    /// `audio_description`), see [`crate::taxonomy::ACCESSIBILITY`].
    #[serde(default)]
    pub accessibility: Vec<String>,
    /// Free-text accessibility notes from the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility_notes: Option<String>,
}

/// What an offering costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Free of charge.
    pub free: bool,
    /// Lowest price, in major units of `currency` (12.5 = 12.50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Highest price when a range is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_max: Option<f64>,
    /// ISO 4217 currency code (`BYN`, `EUR`, `AZN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// What one `amount` pays for, when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<PricePer>,
    /// The provider's own wording of the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Price {
    /// A free offering.
    pub fn free() -> Self {
        Price { free: true, amount: None, amount_max: None, currency: None, per: None, text: None }
    }
}

/// What a price pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PricePer {
    /// One session (lesson, visit).
    Session,
    /// The whole course or series.
    Course,
    /// A month (a monthly subscription).
    Month,
}

/// A person or organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The document format a record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// RSS 0.9x, 1.0 or 2.0.
    Rss,
    /// Atom 0.3 or 1.0.
    Atom,
    /// JSON Feed 1.0 or 1.1.
    Jsonfeed,
    /// iCalendar (RFC 5545).
    Ical,
    /// An HTML page read by per-provider selector rules.
    Html,
    /// schema.org JSON-LD embedded in an HTML page (or a bare JSON-LD document).
    Jsonld,
    /// schema.org microdata embedded in an HTML page.
    Microdata,
    /// microformats2 `h-event`s marked up in an HTML page.
    Microformats,
    /// An XCRI-CAP 1.2 course catalogue.
    Xcri,
}

impl SourceFormat {
    /// The lowercase name used in config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Rss => "rss",
            SourceFormat::Atom => "atom",
            SourceFormat::Jsonfeed => "jsonfeed",
            SourceFormat::Ical => "ical",
            SourceFormat::Html => "html",
            SourceFormat::Jsonld => "jsonld",
            SourceFormat::Microdata => "microdata",
            SourceFormat::Microformats => "microformats",
            SourceFormat::Xcri => "xcri",
        }
    }
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The format the item was read from.
    pub format: SourceFormat,
    /// When the document was fetched.
    pub fetched_at: DateTime<Utc>,
    /// URL of the document the item was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_url: Option<String>,
    /// `sha256:` + hex digest of the item's normalised content (excluding `fetched_at`), so a
    /// consumer can tell a changed item from a re-fetched one.
    pub content_hash: String,
    /// When the provider says it last changed the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated_at: Option<DateTime<Utc>>,
    /// When the provider says it first published the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_published_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_joins_provider_and_source() {
        let o = sample();
        assert_eq!(o.key(), "vsu/course-1");
    }

    #[test]
    fn round_trips_through_json_and_rejects_unknown_fields() {
        let o = sample();
        let json = serde_json::to_string(&o).unwrap();
        let back: Offering = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["surprise"] = serde_json::json!(1);
        let err = serde_json::from_value::<Offering>(v).unwrap_err().to_string();
        assert!(err.contains("surprise"), "{err}");
    }

    #[test]
    fn first_start_and_last_end_span_all_sessions() {
        let mut o = sample();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        o.sessions = vec![
            Session {
                start: t("2025-03-12T18:30:00+03:00"),
                end: Some(t("2025-03-12T20:00:00+03:00")),
                time_zone: None,
                all_day: false,
                floating: false,
                cancelled: false,
            },
            Session {
                start: t("2025-03-05T18:30:00+03:00"),
                end: None,
                time_zone: None,
                all_day: false,
                floating: false,
                cancelled: false,
            },
        ];
        assert_eq!(o.first_start(), Some(t("2025-03-05T18:30:00+03:00")));
        assert_eq!(o.last_end(), Some(t("2025-03-12T20:00:00+03:00")));
    }

    pub(crate) fn sample() -> Offering {
        Offering {
            schema_version: SCHEMA_VERSION,
            source_id: "course-1".into(),
            provider: ProviderRef { id: "vsu".into(), name: Some("Vitebsk State University".into()) },
            title: "Курсы английского языка".into(),
            summary: Some("Для начинающих".into()),
            description_html: Some("<p>Для начинающих</p>".into()),
            kind: Kind::Course,
            mode: Mode::InPerson,
            status: Status::Scheduled,
            sessions: vec![],
            recurrence: None,
            location: Some(Location { city: Some("Витебск".into()), ..Location::default() }),
            online_url: None,
            languages: vec!["ru".into()],
            audience: Audience::default(),
            price: Some(Price::free()),
            categories: vec!["languages".into()],
            provider_categories: vec!["Языки".into()],
            organizer: None,
            teachers: vec![],
            landing_url: Some("https://vsu.example/courses/1".into()),
            registration_url: None,
            images: vec![],
            related_urls: Vec::new(),
            provenance: Provenance {
                format: SourceFormat::Rss,
                fetched_at: DateTime::parse_from_rfc3339("2025-03-01T10:00:00Z").unwrap().with_timezone(&Utc),
                document_url: None,
                content_hash: "sha256:00".into(),
                source_updated_at: None,
                source_published_at: None,
            },
        }
    }
}
