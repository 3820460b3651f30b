//! Events on the offerings topic: what a collector says about a provider's items.
//!
//! Every record on the offerings topic carries the header `event-type`:
//! - `upsert`: the value is one [`crate::Offering`], the key `{provider_id}/{source_id}`;
//! - `snapshot`: the value is a [`Snapshot`], the key `{provider_id}` — published after a
//!   complete (not truncated) fetch, listing every source id the document held, so the catalog
//!   builder can withdraw what vanished from a [`Listing::Complete`] listing.
//!
//! Other headers: `schema-version` ([`crate::SCHEMA_VERSION`]), `provider-id`, `content-type`
//! (`application/json`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Header naming the event type.
pub const HEADER_EVENT_TYPE: &str = "event-type";
/// Header carrying the schema version of the value.
pub const HEADER_SCHEMA_VERSION: &str = "schema-version";
/// Header naming the provider.
pub const HEADER_PROVIDER_ID: &str = "provider-id";
/// Header naming the value's media type.
pub const HEADER_CONTENT_TYPE: &str = "content-type";
/// `event-type` of an upsert.
pub const EVENT_UPSERT: &str = "upsert";
/// `event-type` of a snapshot.
pub const EVENT_SNAPSHOT: &str = "snapshot";

/// How a provider's listing relates to what it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Listing {
    /// Every current offering is listed (iCal, an HTML list): what vanished is withdrawn.
    #[default]
    Complete,
    /// Only the latest items are listed (RSS): what vanished may still take place; entries
    /// expire after their last session instead.
    Window,
}

/// What a provider is to the offerings it lists (the provider file's `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// It runs what it announces (a university, a library's own events, a museum).
    #[default]
    Organiser,
    /// It re-announces other providers' offerings (a city portal, a "what's on" site, a
    /// library's page of partners' events): an entry takes its canonical fields from its
    /// organisers first, and an aggregator's cancellation alone does not cancel it.
    Aggregator,
}

impl Listing {
    /// `complete` or `window`, as written in config and in snapshot events.
    pub fn as_str(self) -> &'static str {
        match self {
            Listing::Complete => "complete",
            Listing::Window => "window",
        }
    }
}

/// The set of items one complete fetch of a provider's document held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The provider.
    pub provider_id: String,
    /// Whether what is absent was withdrawn (`complete`) or only scrolled out (`window`).
    pub listing: Listing,
    /// Every source id in the document, sorted.
    pub source_ids: Vec<String>,
    /// When the document was fetched.
    pub fetched_at: DateTime<Utc>,
    /// The document's URL (after redirects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trips_as_json() {
        let s = Snapshot {
            schema_version: crate::SCHEMA_VERSION,
            provider_id: "vsu".into(),
            listing: Listing::Window,
            source_ids: vec!["a".into(), "b".into()],
            fetched_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            document_url: None,
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"listing\":\"window\""), "{text}");
        assert_eq!(serde_json::from_str::<Snapshot>(&text).unwrap(), s);
    }
}
