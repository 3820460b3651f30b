//! The catalogue entry: one real-world offering, merged from every provider that announces it.
//!
//! The catalog builder publishes every change of an entry on the catalog topic (compacted),
//! keyed by [`Entry::id`], the value the whole entry as JSON; when an entry disappears
//! (withdrawn, expired, or merged into another) it publishes a tombstone (a null value) with
//! the headers [`HEADER_EVENT_TYPE`] = [`EVENT_TOMBSTONE`] and [`HEADER_REASON`]. A service that
//! reads the topic from its start and keeps the latest value per key ends with exactly the
//! builder's catalogue.
//!
//! Headers of a catalog record: `event-type` (`entry` or `tombstone`), `schema-version`
//! ([`ENTRY_SCHEMA_VERSION`]), `content-type` (`application/json`), and on a tombstone
//! `reason` (`withdrawn`, `expired`, `merged`) and, when merged, `merged-into` (the entry id
//! that now holds its sources).

use chrono::{DateTime, FixedOffset, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Audience, Kind, Location, Mode, Party, Price, Recurrence, Session, SourceFormat, Status};

pub use crate::event::{HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE, HEADER_SCHEMA_VERSION};

/// Version of the entry's JSON shape; a breaking change bumps it.
pub const ENTRY_SCHEMA_VERSION: u32 = 1;
/// `event-type` of a record carrying an entry.
pub const EVENT_ENTRY: &str = "entry";
/// `event-type` of a tombstone.
pub const EVENT_TOMBSTONE: &str = "tombstone";
/// Header of a tombstone: why the entry disappeared.
pub const HEADER_REASON: &str = "reason";
/// Header of a tombstone of a merged entry: the entry that holds its sources now.
pub const HEADER_MERGED_INTO: &str = "merged-into";

/// One catalogue entry: the canonical fields merged from its sources, and every source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Always [`ENTRY_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Stable id (`e-` and 16 hex digits), derived from the entry's earliest source; it stays
    /// while that source stays in the entry.
    pub id: String,
    /// The city's place key (folded, one per place whatever the spelling), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Title (of the preferred source).
    pub title: String,
    /// Plain-text summary (the longest of the sources').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Sanitised HTML description (the longest of the sources').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_html: Option<String>,
    /// Kind (of the preferred source that knows it).
    pub kind: Kind,
    /// Mode (of the preferred source that knows it).
    pub mode: Mode,
    /// `cancelled` when any source says so; else the preferred source's.
    pub status: Status,
    /// Sessions (of the source that lists the most).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<Session>,
    /// Recurrence rule of the source the sessions come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// Location (the most complete of the sources').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Online URL (of the preferred source that has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_url: Option<String>,
    /// Languages (BCP 47), the union of the sources', sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Audience (the most complete of the sources').
    pub audience: Audience,
    /// Price (of the preferred source that states one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Taxonomy categories, the union of the sources', sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// The providers' own terms, the union, in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_categories: Vec<String>,
    /// Organiser (of the preferred source that names one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<Party>,
    /// Teachers, the union by name, in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teachers: Vec<Party>,
    /// Landing page (of the preferred source that has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
    /// Registration page (of the preferred source that has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_url: Option<String>,
    /// Images, the union, in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Every source of the entry, preferred first.
    pub sources: Vec<EntrySource>,
    /// Latest `fetched_at` of the sources.
    pub updated_at: DateTime<Utc>,
}

impl Entry {
    /// Start of the first session, if any.
    pub fn first_start(&self) -> Option<DateTime<FixedOffset>> {
        crate::offering::first_start(&self.sessions)
    }

    /// End (or start) of the last session, if any.
    pub fn last_end(&self) -> Option<DateTime<FixedOffset>> {
        crate::offering::last_end(&self.sessions)
    }
}

/// One provider item merged into an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntrySource {
    /// `{provider_id}/{source_id}`: the item's key on the offerings topic.
    pub key: String,
    /// The provider.
    pub provider_id: String,
    /// The provider's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// The item's id at the provider.
    pub source_id: String,
    /// The item's page at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The item's own title.
    pub title: String,
    /// The item's own status.
    pub status: Status,
    /// Format it was read from.
    pub format: SourceFormat,
    /// The provider's merge priority (from config).
    pub priority: i32,
    /// When it was last fetched.
    pub fetched_at: DateTime<Utc>,
    /// When the provider says it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated_at: Option<DateTime<Utc>>,
}
