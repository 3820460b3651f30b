//! How values are stored, shared by both stores: offerings and entries as serde_json text,
//! source states as their names, outbox headers as a JSON array of `[name, hex(value)]`.

use learncity_model::curation::Decision;
use learncity_model::{Entry, Offering};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::{
    DeadLetter, EntryRecord, OutboxRecord, SourceRow, SourceState, StoreCounts, StoreError, StoredDeadLetter,
    StoredOutbox,
};

/// Column `name` of `row` (SQLite's or PostgreSQL's) as a `T`, or an error naming `what` was read.
fn get<'r, R, T>(row: &'r R, name: &str, what: &str) -> Result<T, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(name).map_err(|e| StoreError::Query { what: format!("read {what}"), source: e })
}

/// A source from a `sources` row (columns key, partition, seen_order, state, entry_id, and
/// offering as text).
pub(crate) fn source_from_row<'r, R>(row: &'r R) -> Result<SourceRow, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let what = "a sources row";
    let key: String = get(row, "key", what)?;
    let state: String = get(row, "state", what)?;
    let offering: String = get(row, "offering", what)?;
    decode_source(
        key,
        get(row, "partition", what)?,
        get(row, "seen_order", what)?,
        &state,
        get(row, "entry_id", what)?,
        &offering,
    )
}

/// A live entry from an `entries` row (columns id, and body as text).
pub(crate) fn live_entry_from_row<'r, R>(row: &'r R) -> Result<Entry, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = get(row, "id", "an entries row")?;
    let body: String = get(row, "body", "an entries row")?;
    decode_entry(&id, &body)
}

/// An entry change from an `entries` row (columns id, seq, body as text or NULL, removed_reason).
pub(crate) fn record_from_row<'r, R>(row: &'r R) -> Result<EntryRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let what = "an entries row";
    let id: String = get(row, "id", what)?;
    let body: Option<String> = get(row, "body", what)?;
    let entry = body.as_deref().map(|body| decode_entry(&id, body)).transpose()?;
    Ok(EntryRecord { seq: get(row, "seq", what)?, removed_reason: get(row, "removed_reason", what)?, entry, id })
}

/// The record (columns topic, key, value, and headers as text) of row `id` of `table` (`what`
/// names the row in errors): an outbox row, or the record a dead letter keeps.
fn record_from_columns<'r, R>(row: &'r R, table: &str, what: &str, id: i64) -> Result<OutboxRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let headers: String = get(row, "headers", what)?;
    Ok(OutboxRecord {
        topic: get(row, "topic", what)?,
        key: get(row, "key", what)?,
        value: get(row, "value", what)?,
        headers: decode_headers(table, id, &headers)?,
    })
}

/// An outbox record from an `outbox` row (columns id, topic, key, value, and headers as text).
pub(crate) fn outbox_from_row<'r, R>(row: &'r R) -> Result<StoredOutbox, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let what = "an outbox row";
    let id: i64 = get(row, "id", what)?;
    Ok(StoredOutbox { id, record: record_from_columns(row, "outbox", what, id)? })
}

/// A dead letter from a `dead_letters` row (columns id, topic, partition, offset, key, value,
/// kind, reason; headers and recorded_at as text, replay_requested as an integer).
pub(crate) fn dead_letter_from_row<'r, R>(row: &'r R) -> Result<StoredDeadLetter, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let what = "a dead_letters row";
    let id: i64 = get(row, "id", what)?;
    let requested: i32 = get(row, "replay_requested", what)?;
    Ok(StoredDeadLetter {
        id,
        recorded_at: get(row, "recorded_at", what)?,
        replay_requested: requested != 0,
        letter: DeadLetter {
            record: record_from_columns(row, "dead_letters", what, id)?,
            partition: get(row, "partition", what)?,
            offset: get(row, "offset", what)?,
            kind: get(row, "kind", what)?,
            reason: get(row, "reason", what)?,
        },
    })
}

/// The query of [`counts_from_row`] (the same SQL on both stores).
pub(crate) const COUNTS_SQL: &str = "SELECT
       (SELECT COUNT(*) FROM sources WHERE state = 'active') AS sources_active,
       (SELECT COUNT(*) FROM sources WHERE state = 'withdrawn') AS sources_withdrawn,
       (SELECT COUNT(*) FROM sources WHERE state = 'expired') AS sources_expired,
       (SELECT COUNT(*) FROM entries WHERE body IS NOT NULL) AS entries,
       (SELECT COUNT(*) FROM outbox) AS outbox";

/// The counts from the row of [`COUNTS_SQL`].
pub(crate) fn counts_from_row<'r, R>(row: &'r R) -> Result<StoreCounts, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let what = "the counts";
    Ok(StoreCounts {
        sources_active: get(row, "sources_active", what)?,
        sources_withdrawn: get(row, "sources_withdrawn", what)?,
        sources_expired: get(row, "sources_expired", what)?,
        entries: get(row, "entries", what)?,
        outbox: get(row, "outbox", what)?,
    })
}

/// An offering as stored.
pub(crate) fn offering_json(offering: &Offering) -> String {
    // Serialising a plain data type to a string cannot fail (no maps with non-string keys).
    serde_json::to_string(offering).expect("an Offering always serialises to JSON")
}

/// An entry as stored.
pub(crate) fn entry_json(entry: &Entry) -> String {
    serde_json::to_string(entry).expect("an Entry always serialises to JSON")
}

/// The stored body of entry `id`.
pub(crate) fn decode_entry(id: &str, text: &str) -> Result<Entry, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: format!("entries.body of entry {id:?}"),
        detail: format!("not an entry: {e}"),
    })
}

/// A source row from its stored columns.
pub(crate) fn decode_source(
    key: String,
    partition: i32,
    seen_order: i64,
    state: &str,
    entry_id: Option<String>,
    offering: &str,
) -> Result<SourceRow, StoreError> {
    let state = SourceState::parse(state).ok_or_else(|| StoreError::Corrupt {
        what: format!("sources.state of source {key:?}"),
        detail: format!("unknown state {state:?} (expected active, withdrawn or expired)"),
    })?;
    let offering = serde_json::from_str(offering).map_err(|e| StoreError::Corrupt {
        what: format!("sources.offering of source {key:?}"),
        detail: format!("not an offering: {e}"),
    })?;
    Ok(SourceRow { key, partition, seen_order, state, entry_id, offering })
}

/// Outbox headers as stored: `[["name","hex of the value"], ...]`, lossless for any bytes.
pub(crate) fn headers_json(headers: &[(String, Vec<u8>)]) -> String {
    let pairs: Vec<(&str, String)> = headers.iter().map(|(name, value)| (name.as_str(), hex::encode(value))).collect();
    serde_json::to_string(&pairs).expect("a list of string pairs always serialises to JSON")
}

/// The stored headers (`headers_json`) of row `id` of `table` (`outbox` or `dead_letters`).
pub(crate) fn decode_headers(table: &str, id: i64, text: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt { what: format!("{table}.headers of row {id}"), detail };
    let pairs: Vec<(String, String)> =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not a JSON array of [name, hex] pairs: {e}")))?;
    pairs
        .into_iter()
        .map(|(name, value)| match hex::decode(&value) {
            Ok(bytes) => Ok((name, bytes)),
            Err(e) => Err(corrupt(format!("value of header {name:?} is not hex: {e}"))),
        })
        .collect()
}

/// The decision stored as `text` in row `id` of `curation`.
pub(crate) fn decode_decision(id: &str, text: &str) -> Result<Decision, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: format!("curation.body of decision {id:?}"),
        detail: format!("not a decision of this version: {e}"),
    })
}

/// A decision as stored.
pub(crate) fn decision_json(decision: &Decision) -> String {
    serde_json::to_string(decision).expect("a decision always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_any_bytes() {
        let headers = vec![
            ("event-type".to_owned(), b"entry".to_vec()),
            ("binary".to_owned(), vec![0, 255, 10, 34]),
            ("empty".to_owned(), vec![]),
            ("event-type".to_owned(), b"again".to_vec()),
        ];
        let text = headers_json(&headers);
        assert_eq!(decode_headers("outbox", 1, &text).unwrap(), headers);
    }

    #[test]
    fn bad_headers_are_corrupt() {
        let err = decode_headers("outbox", 7, r#"[["a","zz"]]"#).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("outbox.headers of row 7"), "{err}");
        assert!(decode_headers("outbox", 7, "{}").is_err());
    }

    #[test]
    fn unknown_state_is_corrupt() {
        let err = decode_source("p/1".into(), 0, 0, "gone", None, "{}").unwrap_err();
        assert!(err.to_string().contains("unknown state \"gone\""), "{err}");
    }
}
