//! Reading one offerings-topic record: an upsert, a snapshot, or the reason it goes to the
//! dead-letter topic.

use learncity_model::event::{EVENT_SNAPSHOT, EVENT_UPSERT, HEADER_EVENT_TYPE, HEADER_SCHEMA_VERSION};
use learncity_model::{Offering, SCHEMA_VERSION, Snapshot};
use learncity_store::OutboxRecord;

/// A record the builder understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// One offering.
    Upsert(Box<Offering>),
    /// A provider's complete fetch.
    Snapshot(Snapshot),
}

/// Why a record cannot be applied (the `dead-letter-reason` header).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// No `event-type` header, or one the builder does not know.
    #[error("event-type header {0:?} is neither `upsert` nor `snapshot`")]
    EventType(Option<String>),
    /// A `schema-version` other than the builder's.
    #[error("schema-version {found} is not {SCHEMA_VERSION}, the version this builder reads")]
    SchemaVersion {
        /// The header's value.
        found: String,
    },
    /// No value.
    #[error("the record has no value (an offerings record is never a tombstone)")]
    NoValue,
    /// The value is not the JSON of its event type.
    #[error("the value is not a valid {event} record: {detail}")]
    Invalid {
        /// `upsert` or `snapshot`.
        event: &'static str,
        /// serde's message (with line and column).
        detail: String,
    },
    /// The key is not what the value says.
    #[error("the record key {key:?} is not {expected:?}, the key its value names")]
    Key {
        /// The record's key.
        key: String,
        /// What the value says it must be.
        expected: String,
    },
    /// A value that decodes but breaks the contract.
    #[error("the {event} breaks the record contract: {detail}")]
    Contract {
        /// `upsert` or `snapshot`.
        event: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl Rejected {
    /// A short machine-readable name (the `dead-letter-kind` header and the metric label).
    pub fn kind(&self) -> &'static str {
        match self {
            Rejected::EventType(_) => "event-type",
            Rejected::SchemaVersion { .. } => "schema-version",
            Rejected::NoValue => "no-value",
            Rejected::Invalid { .. } => "invalid-json",
            Rejected::Key { .. } => "key-mismatch",
            Rejected::Contract { .. } => "contract",
        }
    }
}

fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
}

/// Reads a record of the offerings topic.
pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>, headers: &[(String, Vec<u8>)]) -> Result<Event, Rejected> {
    let event_type = header(headers, HEADER_EVENT_TYPE).map(|v| String::from_utf8_lossy(v).into_owned());
    if let Some(version) = header(headers, HEADER_SCHEMA_VERSION) {
        let version = String::from_utf8_lossy(version);
        if version.trim() != SCHEMA_VERSION.to_string() {
            return Err(Rejected::SchemaVersion { found: version.into_owned() });
        }
    }
    let key = key.map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default();
    match event_type.as_deref() {
        Some(EVENT_UPSERT) => {
            let value = value.ok_or(Rejected::NoValue)?;
            let offering: Offering = serde_json::from_slice(value)
                .map_err(|e| Rejected::Invalid { event: EVENT_UPSERT, detail: e.to_string() })?;
            check_offering(&offering)?;
            if value.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
                return Err(Rejected::Contract {
                    event: EVENT_UPSERT,
                    detail: "a text holds U+0000 (NUL), which the PostgreSQL store cannot keep".into(),
                });
            }
            let expected = offering.key();
            if key != expected {
                return Err(Rejected::Key { key, expected });
            }
            Ok(Event::Upsert(Box::new(offering)))
        }
        Some(EVENT_SNAPSHOT) => {
            let value = value.ok_or(Rejected::NoValue)?;
            let snapshot: Snapshot = serde_json::from_slice(value)
                .map_err(|e| Rejected::Invalid { event: EVENT_SNAPSHOT, detail: e.to_string() })?;
            if snapshot.schema_version != SCHEMA_VERSION {
                return Err(Rejected::SchemaVersion { found: snapshot.schema_version.to_string() });
            }
            if snapshot.provider_id.is_empty() {
                return Err(Rejected::Contract { event: EVENT_SNAPSHOT, detail: "empty provider_id".into() });
            }
            if key != snapshot.provider_id {
                return Err(Rejected::Key { key, expected: snapshot.provider_id });
            }
            Ok(Event::Snapshot(snapshot))
        }
        _ => Err(Rejected::EventType(event_type)),
    }
}

fn check_offering(o: &Offering) -> Result<(), Rejected> {
    let fail = |detail: String| Err(Rejected::Contract { event: EVENT_UPSERT, detail });
    if o.schema_version != SCHEMA_VERSION {
        return Err(Rejected::SchemaVersion { found: o.schema_version.to_string() });
    }
    if o.provider.id.is_empty()
        || !o.provider.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return fail(format!("provider.id {:?} is not [a-z0-9-]+", o.provider.id));
    }
    if o.source_id.trim().is_empty() {
        return fail("empty source_id".into());
    }
    if o.title.trim().is_empty() {
        return fail("empty title".into());
    }
    if let Some(s) = o.sessions.iter().find(|s| s.end.is_some_and(|e| e < s.start)) {
        return fail(format!("a session ends ({:?}) before it starts ({})", s.end, s.start));
    }
    Ok(())
}

/// Headers of a dead letter (besides the record's own).
pub mod dead_letter {
    /// Why the record was rejected (a sentence).
    pub const REASON: &str = "dead-letter-reason";
    /// The reason's short name.
    pub const KIND: &str = "dead-letter-kind";
    /// The stage that rejected it (`catalog`).
    pub const STAGE: &str = "dead-letter-stage";
    /// Where the record was: topic, partition, offset.
    pub const TOPIC: &str = "dead-letter-topic";
    /// Its partition.
    pub const PARTITION: &str = "dead-letter-partition";
    /// Its offset.
    pub const OFFSET: &str = "dead-letter-offset";
}

/// The dead letter of a rejected record: its key, value and headers as they were, and headers
/// saying why and where it was.
pub fn dead_letter(
    dead_letter_topic: &str,
    source: (&str, i32, i64),
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(String, Vec<u8>)],
    why: &Rejected,
) -> OutboxRecord {
    let mut out = headers.to_vec();
    out.push((dead_letter::REASON.to_owned(), why.to_string().into_bytes()));
    out.push((dead_letter::KIND.to_owned(), why.kind().as_bytes().to_vec()));
    out.push((dead_letter::STAGE.to_owned(), b"catalog".to_vec()));
    out.push((dead_letter::TOPIC.to_owned(), source.0.as_bytes().to_vec()));
    out.push((dead_letter::PARTITION.to_owned(), source.1.to_string().into_bytes()));
    out.push((dead_letter::OFFSET.to_owned(), source.2.to_string().into_bytes()));
    OutboxRecord {
        topic: dead_letter_topic.to_owned(),
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn rejects_with_a_reason() {
        let upsert = h(&[("event-type", "upsert"), ("schema-version", "1")]);
        assert_eq!(decode(Some(b"a/1"), Some(b"{}"), &h(&[])).unwrap_err(), Rejected::EventType(None));
        assert_eq!(decode(Some(b"a/1"), None, &upsert).unwrap_err(), Rejected::NoValue);
        assert!(matches!(decode(Some(b"a/1"), Some(b"\xff{"), &upsert).unwrap_err(), Rejected::Invalid { .. }));
        assert!(matches!(
            decode(Some(b"a/1"), Some(b"{}"), &h(&[("event-type", "upsert"), ("schema-version", "9")])).unwrap_err(),
            Rejected::SchemaVersion { .. }
        ));
        let snap = br#"{"schema_version":1,"provider_id":"vsu","listing":"complete","source_ids":[],"fetched_at":"2026-01-01T00:00:00Z"}"#;
        let snap_headers = h(&[("event-type", "snapshot")]);
        assert!(matches!(decode(Some(b"vsu"), Some(snap), &snap_headers), Ok(Event::Snapshot(_))));
        assert!(matches!(decode(Some(b"other"), Some(snap), &snap_headers).unwrap_err(), Rejected::Key { .. }));
    }

    #[test]
    fn a_nul_character_is_rejected_not_stored() {
        let upsert = h(&[("event-type", "upsert")]);
        let o = learncity_testkit::offerings::offering("vsu", "a", "Title\u{0}");
        let value = serde_json::to_vec(&o).unwrap();
        let err = decode(Some(b"vsu/a"), Some(&value), &upsert).unwrap_err();
        assert_eq!(err.kind(), "contract", "{err}");
        let fine = serde_json::to_vec(&learncity_testkit::offerings::offering("vsu", "a", "Title")).unwrap();
        assert!(decode(Some(b"vsu/a"), Some(&fine), &upsert).is_ok());
    }

    #[test]
    fn a_dead_letter_keeps_the_record_and_says_why() {
        let why = Rejected::NoValue;
        let dl = dead_letter("dl", ("offerings", 3, 42), Some(b"k"), None, &h(&[("event-type", "upsert")]), &why);
        assert_eq!(dl.topic, "dl");
        assert_eq!(dl.key.as_deref(), Some(&b"k"[..]));
        let get =
            |n: &str| dl.headers.iter().find(|(h, _)| h == n).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        assert_eq!(get("event-type").as_deref(), Some("upsert"));
        assert_eq!(get(dead_letter::KIND).as_deref(), Some("no-value"));
        assert_eq!(get(dead_letter::OFFSET).as_deref(), Some("42"));
        assert!(get(dead_letter::REASON).unwrap().contains("no value"));
    }
}
