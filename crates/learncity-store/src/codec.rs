//! How values are stored, shared by both stores: offerings and entries as serde_json text,
//! source states as their names, outbox headers as a JSON array of `[name, hex(value)]`.

use learncity_model::{Entry, Offering};

use crate::{SourceRow, SourceState, StoreError};

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

/// The stored headers of outbox record `id`.
pub(crate) fn decode_headers(id: i64, text: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let corrupt =
        |detail: String| StoreError::Corrupt { what: format!("outbox.headers of outbox record {id}"), detail };
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
        assert_eq!(decode_headers(1, &text).unwrap(), headers);
    }

    #[test]
    fn bad_headers_are_corrupt() {
        let err = decode_headers(7, r#"[["a","zz"]]"#).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("outbox record 7"), "{err}");
        assert!(decode_headers(7, "{}").is_err());
    }

    #[test]
    fn unknown_state_is_corrupt() {
        let err = decode_source("p/1".into(), 0, 0, "gone", None, "{}").unwrap_err();
        assert!(err.to_string().contains("unknown state \"gone\""), "{err}");
    }
}
