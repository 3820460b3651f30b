//! Offerings for tests: a builder with the few fields matching looks at, the rest defaulted;
//! dates relative to today; the catalogue entry of a few offerings.

use chrono::{DateTime, FixedOffset, Utc};
use learncity_catalog::merge::{Member, canonical, entry_id};
use learncity_model::{Entry, Offering, Session, Status};

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

/// `days` from today at `hour`:00 Minsk time (RFC 3339), so fixtures never go stale.
pub fn in_days(days: i64, hour: u32) -> String {
    let d = Utc::now().date_naive() + chrono::Duration::days(days);
    format!("{d}T{hour:02}:00:00+03:00")
}

/// The catalogue entry of `offerings` (one real-world offering from several providers, the
/// first given preferred: priorities descend to 0 at the last), placed in Vitebsk.
pub fn entry_of(offerings: &[Offering]) -> Entry {
    let members: Vec<Member<'_>> = offerings
        .iter()
        .enumerate()
        .map(|(i, o)| Member {
            offering: o,
            priority: (offerings.len() - 1 - i) as i32,
            role: learncity_model::Role::Organiser,
        })
        .collect();
    canonical(&entry_id(&offerings[0].key()), Some("vitebsk"), &members)
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
