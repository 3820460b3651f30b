//! Reading a generated city the way the collector does.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use learncity_catalog::matching::{Features, Thresholds, clusters};
use learncity_citygen::{City, key};
use learncity_config::Provider;
use learncity_model::{Offering, ProviderRef, Role};
use learncity_readers::{ReadContext, ReadOutput};

/// Reads every document of `city` that is served (no fault) with its provider's config
/// (`toml_of(id)`), fetched at 06:00 UTC on the city's day.
pub fn read_city(city: &City, toml_of: impl Fn(&str) -> String) -> BTreeMap<String, (Provider, ReadOutput)> {
    let fetched_at = Utc.from_utc_datetime(&city.today.and_time(NaiveTime::from_hms_opt(6, 0, 0).unwrap()));
    let mut out = BTreeMap::new();
    for doc in city.documents.iter().filter(|d| d.fault.is_none()) {
        let text = toml_of(&doc.provider);
        let provider = Provider::parse(&text, &format!("{}.toml", doc.provider)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(provider.id, doc.provider);
        let url = provider.url.clone().expect("every provider names its url");
        assert_eq!(url.path(), doc.path, "{}: the config points at the document", doc.provider);
        let provider_ref = ProviderRef { id: provider.id.clone(), name: provider.name.clone() };
        let ctx = ReadContext {
            provider: &provider_ref,
            settings: &provider.reader,
            document_url: Some(&url),
            content_type: Some(&doc.content_type),
            fetched_at,
        };
        let read = learncity_readers::read(&doc.body, provider.format, &ctx)
            .unwrap_or_else(|e| panic!("{}: {e}", doc.provider));
        assert!(read.incomplete.is_none(), "{}: {:?}", doc.provider, read.incomplete);
        out.insert(doc.provider.clone(), (provider, read));
    }
    out
}

/// The groups of keys `clusters` finds on everything read, sorted.
pub fn predicted_groups(read: &BTreeMap<String, (Provider, ReadOutput)>) -> Vec<Vec<String>> {
    let all: Vec<(&Offering, Option<&str>)> =
        read.values().flat_map(|(p, r)| r.offerings.iter().map(move |o| (o, p.city.as_deref()))).collect();
    let features: Vec<Features> = all.iter().map(|(o, city)| Features::of(o, *city, Role::Organiser)).collect();
    let mut groups: Vec<Vec<String>> = clusters(&features, &Thresholds::default())
        .into_iter()
        .map(|g| {
            let mut keys: Vec<String> = g.iter().map(|&i| key(&all[i].0.provider.id, &all[i].0.source_id)).collect();
            keys.sort();
            keys
        })
        .collect();
    groups.sort();
    groups
}

/// Pairs of keys in one group.
pub fn pairs(groups: &[Vec<String>]) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for g in groups {
        for (i, a) in g.iter().enumerate() {
            for b in &g[i + 1..] {
                out.insert((a.clone(), b.clone()));
            }
        }
    }
    out
}

/// A fixed day for byte-level tests.
pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}
