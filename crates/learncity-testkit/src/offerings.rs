//! Offerings for tests: a builder with the few fields matching looks at, the rest defaulted.

use chrono::{DateTime, FixedOffset, Utc};
use learncity_model::{Offering, Session, Status};

/// An offering of `provider` with id `source_id` and `title`, fetched at 2026-01-01.
pub fn offering(provider: &str, source_id: &str, title: &str) -> Offering {
    serde_json::from_value(serde_json::json!({
        "schema_version": learncity_model::SCHEMA_VERSION,
        "source_id": source_id,
        "provider": {"id": provider, "name": format!("Provider {provider}")},
        "title": title,
        "kind": "course",
        "mode": "in_person",
        "audience": {},
        "provenance": {"format": "ical", "fetched_at": "2026-01-01T00:00:00Z", "content_hash": format!("h-{source_id}")},
    }))
    .expect("a valid offering")
}

/// Builder-style changes to a test offering.
pub trait OfferingExt: Sized {
    /// Sets the city.
    fn city(self, city: &str) -> Self;
    /// Sets the venue.
    fn venue(self, venue: &str) -> Self;
    /// Adds a session starting at `start` (RFC 3339), two hours long.
    fn at(self, start: &str) -> Self;
    /// Sets the status.
    fn status(self, status: Status) -> Self;
    /// Sets the landing URL.
    fn url(self, url: &str) -> Self;
    /// Sets `fetched_at`.
    fn fetched(self, at: DateTime<Utc>) -> Self;
}

impl OfferingExt for Offering {
    fn city(mut self, city: &str) -> Self {
        self.location.get_or_insert_with(Default::default).city = Some(city.to_owned());
        self
    }
    fn venue(mut self, venue: &str) -> Self {
        self.location.get_or_insert_with(Default::default).venue = Some(venue.to_owned());
        self
    }
    fn at(mut self, start: &str) -> Self {
        let start: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(start).expect("an RFC 3339 start");
        self.sessions.push(Session {
            start,
            end: Some(start + chrono::Duration::hours(2)),
            time_zone: None,
            all_day: false,
            floating: false,
            cancelled: false,
        });
        self
    }
    fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
    fn url(mut self, url: &str) -> Self {
        self.landing_url = Some(url.to_owned());
        self
    }
    fn fetched(mut self, at: DateTime<Utc>) -> Self {
        self.provenance.fetched_at = at;
        self
    }
}
