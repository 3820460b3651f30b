//! Stable identity of items within one document, and the content hash of an offering.
//!
//! `source_id` order of preference: the item's own id (GUID / UID / `@id`) when it is unique in
//! the document → id + landing URL when ids repeat (feeds that reuse one GUID) → landing URL →
//! a hash of title and first start (feeds without ids or with ids regenerated on every fetch are
//! told apart by content, not by position). Any leftover collision gets `#2`, `#3`... in document
//! order, so ids are unique within a document and stable across fetches of the same document.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use learncity_model::Offering;
use sha2::{Digest, Sha256};

use crate::text::nonblank;

/// Longest id kept verbatim; longer ones are hashed (a topic key should stay short).
const MAX_ID_LEN: usize = 256;

/// What identifies one item.
#[derive(Debug, Clone, Default)]
pub struct IdCandidates<'a> {
    /// The item's own id.
    pub guid: Option<&'a str>,
    /// Its landing URL.
    pub url: Option<&'a str>,
    /// Its clean title.
    pub title: &'a str,
    /// Its first session's start.
    pub first_start: Option<DateTime<FixedOffset>>,
}

/// Assigns one unique source id per item (same order as `items`).
pub fn assign_source_ids(items: &[IdCandidates<'_>]) -> Vec<String> {
    let count = |f: &dyn Fn(&IdCandidates<'_>) -> Option<String>| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for k in items.iter().filter_map(f) {
            *m.entry(k).or_default() += 1;
        }
        m
    };
    let guid_of = |i: &IdCandidates<'_>| i.guid.and_then(nonblank).map(str::to_owned);
    let guid_url_of =
        |i: &IdCandidates<'_>| Some(format!("{}|{}", i.guid.and_then(nonblank)?, i.url.and_then(nonblank)?));
    let url_of = |i: &IdCandidates<'_>| i.url.and_then(nonblank).map(str::to_owned);
    let guids = count(&guid_of);
    let guid_urls = count(&guid_url_of);
    let urls = count(&url_of);

    let mut used = HashSet::new();
    items
        .iter()
        .map(|item| {
            let unique =
                |key: Option<String>, counts: &HashMap<String, usize>| key.filter(|k| counts.get(k) == Some(&1));
            let id = unique(guid_of(item), &guids)
                .or_else(|| unique(guid_url_of(item), &guid_urls))
                .or_else(|| if item.guid.and_then(nonblank).is_none() { unique(url_of(item), &urls) } else { None })
                .map(|id| if id.len() > MAX_ID_LEN { format!("h:{}", &sha256_hex(id.as_bytes())[..32]) } else { id })
                .unwrap_or_else(|| content_id(item.title, item.first_start));
            let mut candidate = id.clone();
            let mut n = 1;
            while !used.insert(candidate.clone()) {
                n += 1;
                candidate = format!("{id}#{n}");
            }
            candidate
        })
        .collect()
}

/// `h:` + a hash of title and first start: the last-resort identity.
pub fn content_id(title: &str, first_start: Option<DateTime<FixedOffset>>) -> String {
    let key = format!("{}\u{1f}{}", title.to_lowercase(), first_start.map(|t| t.to_rfc3339()).unwrap_or_default());
    format!("h:{}", &sha256_hex(key.as_bytes())[..32])
}

/// `sha256:` + hex digest of the offering's JSON without `fetched_at` and `content_hash`.
pub fn content_hash(offering: &Offering) -> String {
    let mut copy = offering.clone();
    copy.provenance.fetched_at = chrono::DateTime::UNIX_EPOCH;
    copy.provenance.content_hash = String::new();
    let json = serde_json::to_vec(&copy).unwrap_or_default();
    format!("sha256:{}", sha256_hex(&json))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(guid: Option<&'a str>, url: Option<&'a str>, title: &'a str) -> IdCandidates<'a> {
        IdCandidates { guid, url, title, first_start: None }
    }

    #[test]
    fn unique_guids_are_kept() {
        let ids = assign_source_ids(&[c(Some("a"), None, "A"), c(Some("b"), Some("u"), "B")]);
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn repeated_guids_fall_back_to_guid_and_url_then_hash() {
        let ids = assign_source_ids(&[
            c(Some("same"), Some("https://x/1"), "A"),
            c(Some("same"), Some("https://x/2"), "B"),
            c(Some("same"), None, "C"),
        ]);
        assert_eq!(ids[0], "same|https://x/1");
        assert_eq!(ids[1], "same|https://x/2");
        assert!(ids[2].starts_with("h:"));
    }

    #[test]
    fn missing_guids_use_url_then_content() {
        let ids = assign_source_ids(&[c(None, Some("https://x/1"), "A"), c(None, None, "B"), c(Some(" "), None, "C")]);
        assert_eq!(ids[0], "https://x/1");
        assert_eq!(ids[1], content_id("B", None));
        assert_eq!(ids[2], content_id("C", None));
    }

    #[test]
    fn identical_items_get_numbered_ids_in_order() {
        let ids = assign_source_ids(&[c(None, None, "A"), c(None, None, "A")]);
        assert_eq!(ids[1], format!("{}#2", ids[0]));
    }

    #[test]
    fn content_id_ignores_title_case_but_not_start() {
        let t = DateTime::parse_from_rfc3339("2025-03-12T18:30:00+03:00").unwrap();
        assert_eq!(content_id("Курс", Some(t)), content_id("КУРС", Some(t)));
        assert_ne!(content_id("Курс", Some(t)), content_id("Курс", None));
    }

    #[test]
    fn long_ids_are_hashed() {
        let long = "x".repeat(1000);
        let ids = assign_source_ids(&[c(Some(&long), None, "A")]);
        assert!(ids[0].starts_with("h:") && ids[0].len() == 34);
    }
}
