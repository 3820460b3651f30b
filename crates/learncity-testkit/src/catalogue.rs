//! Catalogues as data to compare: the catalog topic reduced as a downstream service reads it,
//! the store's entries by id, and a catalogue keyed by the provider items each entry merges.

use std::collections::BTreeMap;

use learncity_model::Entry;
use serde_json::Value;

use crate::broker::Record;

/// The catalog topic read from its start, reduced as a downstream service does: the latest
/// value per key, a tombstone deletes.
pub fn reduce(records: &[Record]) -> BTreeMap<String, Value> {
    let mut view = BTreeMap::new();
    for r in records {
        let key = r.key.clone().expect("catalog records are keyed");
        match &r.payload {
            Some(_) => view.insert(key, r.json()),
            None => view.remove(&key),
        };
    }
    view
}

/// The store's entries by id, as the catalog topic carries them (to compare with [`reduce`]).
pub fn store_view(entries: &[Entry]) -> BTreeMap<String, Value> {
    entries.iter().map(|e| (e.id.clone(), serde_json::to_value(e).expect("an entry serialises"))).collect()
}

/// A catalogue as comparable data, by the set of provider items each entry merges: entry ids
/// name an entry by its first-seen source, which depends on the order providers were fetched
/// in, and fetch times (and the recurrence horizons measured from them) differ between runs;
/// everything else must be equal.
pub fn comparable(entries: &[Entry]) -> BTreeMap<Vec<String>, Value> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("fetched_at");
                map.remove("updated_at");
                // A rule is expanded over a horizon from the moment it was read.
                map.remove("expanded_until");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    entries
        .iter()
        .map(|e| {
            let mut keys: Vec<String> = e.sources.iter().map(|s| s.key.clone()).collect();
            keys.sort();
            let mut v = serde_json::to_value(e).expect("an entry serialises");
            if let Some(map) = v.as_object_mut() {
                map.remove("id");
            }
            strip(&mut v);
            (keys, v)
        })
        .collect()
}
