//! Golden fixtures: every provider document under `tests/fixtures/<format>/` is read with
//! `learncity_readers::read` and compared with its `NAME.expected.json`.
//!
//! - `NAME.provider.toml` (optional) is the provider's config file, exactly as
//!   `learncity check --provider` reads it (`id = "fixture"`, reader settings under `[reader]`).
//! - Context: provider id `fixture` (unless the provider file names another), fetched at 2025-03-01T09:00:00Z, document URL
//!   `https://provider.example/NAME.EXT`.
//! - `UPDATE_EXPECT=1 cargo test -p learncity --test fixtures_golden` rewrites the expected
//!   files; review every diff by hand before committing — that review is the test's value.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use learncity_config::Provider as ProviderFile;
use learncity_model::ProviderRef;
use learncity_readers::{FormatHint, ReadContext, ReaderSettings};
use serde_json::{Value, json};

const FETCHED_AT: &str = "2025-03-01T09:00:00Z";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn is_document(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    path.is_file()
        && !name.ends_with(".expected.json")
        && !name.ends_with(".provider.toml")
        && !name.ends_with(".md")
        && !name.starts_with('.')
}

/// Every fixture document, sorted.
fn documents() -> Vec<PathBuf> {
    let mut docs = Vec::new();
    for dir in std::fs::read_dir(fixtures_dir()).expect("tests/fixtures exists").flatten() {
        if dir.path().is_dir() {
            docs.extend(
                dir.path()
                    .read_dir()
                    .expect("readable fixture dir")
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| is_document(p)),
            );
        }
    }
    docs.sort();
    docs
}

fn sibling(doc: &Path, suffix: &str) -> PathBuf {
    let stem = doc.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    doc.with_file_name(format!("{stem}{suffix}"))
}

/// Reads one fixture the way the collector would and renders the result as JSON.
pub fn read_fixture(doc: &Path) -> Value {
    let provider_path = sibling(doc, ".provider.toml");
    let (provider, settings) = if provider_path.exists() {
        let file = ProviderFile::load(&provider_path).unwrap_or_else(|e| panic!("{e:#}"));
        (ProviderRef { id: file.id, name: file.name }, file.reader)
    } else {
        (ProviderRef { id: "fixture".into(), name: Some("Fixture provider".into()) }, ReaderSettings::default())
    };
    let name = doc.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let url = url::Url::parse(&format!("https://provider.example/{name}")).expect("valid fixture URL");
    let ctx = ReadContext {
        provider: &provider,
        settings: &settings,
        document_url: Some(&url),
        content_type: None,
        fetched_at: DateTime::parse_from_rfc3339(FETCHED_AT).expect("valid instant").with_timezone(&Utc),
    };
    let bytes = std::fs::read(doc).expect("readable fixture");
    match learncity_readers::read(&bytes, FormatHint::Auto, &ctx) {
        Ok(out) => json!({
            "format": out.format,
            "charset": out.charset,
            "offerings": out.offerings,
            "warnings": out.warnings,
        }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

#[test]
fn every_fixture_yields_its_expected_records() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let docs = documents();
    assert!(!docs.is_empty(), "no fixtures found under {}", fixtures_dir().display());
    let mut failures = Vec::new();
    for doc in &docs {
        let got = read_fixture(doc);
        let expected_path = sibling(doc, ".expected.json");
        if update {
            let text = serde_json::to_string_pretty(&got).expect("serialisable") + "\n";
            std::fs::write(&expected_path, text).expect("writable fixture dir");
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!(
                "{}: no {} (run with UPDATE_EXPECT=1 and review it)",
                doc.display(),
                expected_path.display()
            ));
            continue;
        };
        let expected: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        if got != expected {
            failures.push(format!(
                "{}: output differs from {}\n--- got ---\n{}",
                doc.display(),
                expected_path.display(),
                serde_json::to_string_pretty(&got).unwrap_or_default()
            ));
        }
    }
    println!("{} fixtures checked", docs.len());
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n\n{}", failures.len(), docs.len(), failures.join("\n\n"));
}

#[test]
fn every_format_has_fixtures_including_broken_ones() {
    let docs = documents();
    for format in ["rss", "atom", "jsonfeed", "ical", "html", "jsonld", "xcri"] {
        let n = docs.iter().filter(|d| d.parent().and_then(|p| p.file_name()).is_some_and(|f| f == format)).count();
        assert!(n >= 2, "tests/fixtures/{format}/ has {n} documents; each format needs realistic and broken ones");
    }
}
