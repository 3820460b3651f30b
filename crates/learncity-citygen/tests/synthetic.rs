//! Synthetic cities: counts, duplicate rate, every format readable, determinism, speed.

mod common;

use std::collections::BTreeSet;

use common::{day, pairs, predicted_groups, read_city};
use learncity_citygen::{Format, SynthParams, key, synthetic, synthetic_offerings};

fn params(offerings: usize) -> SynthParams {
    SynthParams { duplicate_rate: 0.25, variant_rate: 0.5, ..SynthParams::new(7, 12, offerings, day()) }
}

#[test]
fn counts_and_duplicate_rate() {
    let p = params(2_000);
    let city = synthetic(&p);
    assert_eq!(city.truth.groups.len(), 2_000);
    assert_eq!(city.documents.len(), 12);
    assert_eq!(city.provider_files.len(), 12);
    let formats: BTreeSet<Format> = city.documents.iter().map(|d| d.format).collect();
    assert_eq!(formats.len(), 6);
    let dups = city.truth.duplicate_groups().count() as f64 / 2_000.0;
    assert!((dups - 0.25).abs() < 0.03, "duplicate rate {dups}");
    assert!(city.truth.groups.iter().all(|g| g.len() <= 2));
    assert_eq!(city.truth.item_count(), city.truth.groups.iter().map(Vec::len).sum::<usize>());
    // Latin re-spellings.
    let (offerings, labels) = synthetic_offerings(&p);
    assert_eq!(offerings.len(), city.truth.item_count());
    let latin = offerings.iter().filter(|o| o.title.starts_with(|c: char| c.is_ascii_alphabetic())).count() as f64;
    let dup_items = (city.truth.item_count() - 2_000) as f64;
    assert!((latin / dup_items - 0.5).abs() < 0.08, "variant rate {}", latin / dup_items);
    assert_eq!(labels.iter().max(), Some(&1_999));
}

#[test]
fn every_format_reads_and_dedup_finds_the_duplicates() {
    let p = params(600);
    let city = synthetic(&p);
    let read = read_city(&city, |id| city.provider_files.iter().find(|f| f.id == id).unwrap().toml.clone());
    for (id, expected) in &city.truth.items {
        let (_, out) = &read[id];
        let mut got: Vec<String> = out.offerings.iter().map(|o| key(id, &o.source_id)).collect();
        got.sort();
        assert_eq!(&got, expected, "{id}: {:#?}", out.warnings.iter().take(3).collect::<Vec<_>>());
        assert!(out.offerings.iter().all(|o| o.first_start().is_some()), "{id}: every item dated");
    }
    let predicted = pairs(&predicted_groups(&read));
    let truth = pairs(&city.truth.groups);
    let tp = predicted.intersection(&truth).count() as f64;
    let (precision, recall) = (tp / predicted.len().max(1) as f64, tp / truth.len().max(1) as f64);
    assert!(precision >= 0.97 && recall >= 0.95, "precision {precision:.3}, recall {recall:.3}");
}

#[test]
fn deterministic_for_a_seed() {
    assert_eq!(synthetic(&params(300)), synthetic(&params(300)));
    let other = SynthParams { seed: 8, ..params(300) };
    assert_ne!(synthetic(&params(300)).documents, synthetic(&other).documents);
    let (a, la) = synthetic_offerings(&params(300));
    let (b, lb) = synthetic_offerings(&params(300));
    assert_eq!((a, la), (b, lb));
}

#[test]
fn offerings_of_a_large_city_are_complete_and_labelled() {
    // The generation rate is measured by the dedup benchmark (docs/performance.md), not here.
    let p = SynthParams::new(1, 50, 200_000, day());
    let (offerings, labels) = synthetic_offerings(&p);
    assert_eq!(offerings.len(), labels.len());
    let real: std::collections::HashSet<usize> = labels.iter().copied().collect();
    assert_eq!(real.len(), 200_000, "one label per real-world offering");
    assert!(offerings.len() > real.len(), "some are announced twice");
    let keys: std::collections::HashSet<String> = offerings.iter().map(|o| o.key()).collect();
    assert_eq!(keys.len(), offerings.len(), "every offering has its own key");
}
