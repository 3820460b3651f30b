//! JSON Schema of the record contract, generated from the Rust types.
//!
//! The committed files under `schemas/` are the published contract; the test below fails when
//! they drift from the types. Regenerate with `learncity schema offering > schemas/offering.v1.json` and
//! `learncity schema entry > schemas/entry.v1.json`.

use schemars::generate::SchemaSettings;

use schemars::JsonSchema;

use crate::entry::{ENTRY_SCHEMA_VERSION, Entry};
use crate::{Offering, SCHEMA_VERSION};

/// The JSON Schema (draft 2020-12) of `T`, with its `$id` naming the file `{name}.v{version}.json`.
fn schema_of<T: JsonSchema>(name: &str, version: u32) -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).expect("a generated schema is always valid JSON");
    if let Some(obj) = value.as_object_mut() {
        obj.insert("$id".into(), format!("https://learncity.example/schemas/{name}.v{version}.json").into());
    }
    value
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serialising a Value cannot fail");
    text.push('\n');
    text
}

/// The JSON Schema (draft 2020-12) of [`Offering`], with its `$id` naming the schema version.
pub fn offering_schema() -> serde_json::Value {
    schema_of::<Offering>("offering", SCHEMA_VERSION)
}

/// [`offering_schema`] as the pretty-printed text committed under `schemas/`.
pub fn offering_schema_text() -> String {
    pretty(&offering_schema())
}

/// The JSON Schema of a catalogue [`Entry`] (the value of a catalog topic record).
pub fn entry_schema() -> serde_json::Value {
    schema_of::<Entry>("entry", ENTRY_SCHEMA_VERSION)
}

/// [`entry_schema`] as the pretty-printed text committed under `schemas/`.
pub fn entry_schema_text() -> String {
    pretty(&entry_schema())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMITTED: &str = include_str!("../../../schemas/offering.v1.json");
    const COMMITTED_ENTRY: &str = include_str!("../../../schemas/entry.v1.json");

    #[test]
    fn committed_entry_schema_matches_the_types() {
        assert!(
            entry_schema_text() == COMMITTED_ENTRY,
            "schemas/entry.v1.json drifted from the Entry types; regenerate it with \
             `cargo run -p learncity -- schema entry > schemas/entry.v1.json` and review the diff"
        );
    }

    #[test]
    fn committed_schema_matches_the_types() {
        let generated = offering_schema_text();
        assert!(
            generated == COMMITTED,
            "schemas/offering.v1.json drifted from the Offering types; regenerate it with \
             `cargo run -p learncity -- schema offering > schemas/offering.v1.json` and review the diff \
             (a breaking change needs SCHEMA_VERSION bumped and a new file)"
        );
    }

    #[test]
    fn schema_requires_the_identity_fields() {
        let schema = offering_schema();
        let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for field in ["schema_version", "source_id", "provider", "title", "kind", "mode", "provenance"] {
            assert!(required.contains(&field), "{field} not required");
        }
    }
}
