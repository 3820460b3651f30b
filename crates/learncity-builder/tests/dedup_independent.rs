//! Deduplication measured on eight independent labelled cities (tests/fixtures/dedup-independent):
//! provider documents in every supported format, in ru/be/en, written — with their truth — by
//! eight helpers who had not read the matcher, each on its own. `dev` (Grodno), `dev2` (Brest),
//! `dev3` (Gomel: dense busy days and hard negatives), `dev4` (Vitebsk: lecture series,
//! reschedules, one-session copies of courses, generic titles, takeovers), `dev5` (Pinsk and
//! Baranovichi: UTC instants, one title at one hour in two buildings, cancelled takeovers) and
//! `dev6` (Molodechno and Borisov: aggregators of two towns, abbreviated venues, series where only
//! the date tells) and `dev7` (Polotsk and Novopolotsk: re-announcements by date only, by
//! translation and by UTC instant, each offering announced four to seven times; added
//! 2026-12-07 in a later session) are the development half the matcher was tuned on; `test` (Mogilev) is the held-out half, reported and never tuned on (its errors are never
//! printed).
//!
//! Each city is read as the collector reads it (the provider files, `learncity_readers::read`)
//! and built as the catalog builder builds it (`PartitionCatalog`, one partition), in document
//! order and in reverse order (the same entries either way). Printed per half: pairwise
//! precision and recall, recall per variation class, and look-alike pairs merged per class.
//! `LEARNCITY_EVAL_DETAILS=1` also prints the missed and wrong pairs of the dev cities (never of
//! the test city: looking at its errors would make it a development set).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use learncity_builder::state::{Effects, PartitionCatalog, ProviderInfo, Rules};
use learncity_catalog::matching::{self, Thresholds};
use learncity_model::Offering;

struct City {
    offerings: Vec<Offering>,
    providers: HashMap<String, ProviderInfo>,
    /// key → (group, variations)
    truth: HashMap<String, (String, Vec<String>)>,
    /// (a, b, class)
    lookalikes: Vec<(String, String, String)>,
}

fn folder(half: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dedup-independent").join(half)
}

fn load(half: &str) -> City {
    let dir = folder(half);
    let mut offerings = Vec::new();
    let mut providers = HashMap::new();
    let fetched_at = Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap();
    for city in learncity_testkit::cities::read_city(&dir, fetched_at) {
        let (p, out) = (city.provider, city.output);
        assert!(out.incomplete.is_none(), "{} is incomplete", city.document.display());
        offerings.extend(out.offerings);
        providers.insert(p.id.clone(), ProviderInfo { priority: p.priority, city: p.city.clone(), role: p.role });
    }
    let labels: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    let mut truth = HashMap::new();
    for item in labels["items"].as_array().expect("labels.json: items") {
        let key = item["key"].as_str().unwrap().to_owned();
        let group = item["group"].as_str().unwrap().to_owned();
        let variations =
            item["variations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        truth.insert(key, (group, variations));
    }
    let lookalikes = labels["lookalikes"]
        .as_array()
        .expect("labels.json: lookalikes")
        .iter()
        .map(|l| {
            (
                l["a"].as_str().unwrap().to_owned(),
                l["b"].as_str().unwrap().to_owned(),
                l["class"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    City { offerings, providers, truth, lookalikes }
}

/// The entries the builder makes of `offerings`, each as its set of source keys.
fn build(city: &City, offerings: &[Offering]) -> BTreeSet<BTreeSet<String>> {
    let rules = Rules {
        thresholds: Thresholds::default(),
        expiry_grace: chrono::Duration::days(1),
        providers: city.providers.clone(),
        catalog_topic: "catalog".into(),
        curation: Default::default(),
    };
    let now = Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap();
    let mut catalog = PartitionCatalog::load(0, Vec::new(), Vec::new(), &rules);
    let mut fx = Effects::default();
    for (i, o) in offerings.iter().enumerate() {
        catalog.upsert(o.clone(), i as i64, now, &rules, &mut fx);
    }
    catalog.entries().map(|e| e.sources.iter().map(|s| s.key.clone()).collect()).collect()
}

fn pairs_of(groups: &BTreeSet<BTreeSet<String>>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for g in groups {
        let keys: Vec<&String> = g.iter().collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                out.insert(((*a).clone(), (*b).clone()));
            }
        }
    }
    out
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a < b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) }
}

/// The figures of one half.
struct Figures {
    precision: f64,
    recall: f64,
    lookalikes_merged: usize,
}

fn evaluate(half: &str, details: bool) -> Figures {
    let city = load(half);
    // Every item read is labelled, every label read.
    let read: BTreeSet<String> = city.offerings.iter().map(Offering::key).collect();
    let labelled: BTreeSet<String> = city.truth.keys().cloned().collect();
    assert_eq!(read, labelled, "{half}: the items read and the items labelled differ");

    let predicted = build(&city, &city.offerings);
    let mut reversed = city.offerings.clone();
    reversed.reverse();
    assert_eq!(build(&city, &reversed), predicted, "{half}: the entries depend on the order records arrive in");

    let mut truth_groups: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (k, (g, _)) in &city.truth {
        truth_groups.entry(g.as_str()).or_default().insert(k.clone());
    }
    let truth_pairs = pairs_of(&truth_groups.into_values().collect());
    let predicted_pairs = pairs_of(&predicted);
    let hits = truth_pairs.intersection(&predicted_pairs).count();
    let precision = if predicted_pairs.is_empty() { 1.0 } else { hits as f64 / predicted_pairs.len() as f64 };
    let recall = if truth_pairs.is_empty() { 1.0 } else { hits as f64 / truth_pairs.len() as f64 };

    println!(
        "\n== {half}: {} items, {} entries (truth: {} duplicate pairs)",
        city.offerings.len(),
        predicted.len(),
        truth_pairs.len()
    );
    println!(
        "pairwise precision {precision:.3} ({hits}/{}), recall {recall:.3} ({hits}/{})",
        predicted_pairs.len(),
        truth_pairs.len()
    );

    // Recall per variation class: a pair carries the variations of both its items.
    let mut by_class: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (a, b) in &truth_pairs {
        let mut classes: BTreeSet<&String> = city.truth[a].1.iter().chain(&city.truth[b].1).collect();
        if classes.is_empty() {
            classes.insert(&city.truth[a].0);
        }
        let found = predicted_pairs.contains(&(a.clone(), b.clone()));
        for c in city.truth[a].1.iter().chain(&city.truth[b].1).collect::<BTreeSet<_>>() {
            let slot = by_class.entry(c.clone()).or_default();
            slot.0 += usize::from(found);
            slot.1 += 1;
        }
    }
    for (class, (found, total)) in &by_class {
        println!("  recall {class:<16} {:.3} ({found}/{total})", *found as f64 / *total as f64);
    }

    // Look-alikes merged, per class.
    let mut merged_by_class: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (a, b, class) in &city.lookalikes {
        let merged = predicted_pairs.contains(&pair(a, b));
        let slot = merged_by_class.entry(class.as_str()).or_default();
        slot.0 += usize::from(merged);
        slot.1 += 1;
        if merged && details {
            println!("    MERGED LOOK-ALIKE ({class}): {a} + {b}");
        }
    }
    let lookalikes_merged: usize = merged_by_class.values().map(|(m, _)| m).sum();
    for (class, (merged, total)) in &merged_by_class {
        println!("  look-alikes merged {class:<24} {merged}/{total}");
    }

    if details {
        let by_key: HashMap<String, &Offering> = city.offerings.iter().map(|o| (o.key(), o)).collect();
        let rules = Rules { providers: city.providers.clone(), ..Rules::default() };
        let features = |k: &str| rules.features(by_key[k]);
        let show = |k: &str| {
            let o = by_key[k];
            format!(
                "{k} «{}» {:?} {:?}",
                o.title,
                o.first_start().map(|s| s.to_rfc3339()),
                o.location.as_ref().map(|l| (&l.venue, &l.city))
            )
        };
        let entry_of = |k: &str| predicted.iter().find(|e| e.contains(k)).cloned().unwrap_or_default();
        for (a, b) in truth_pairs.difference(&predicted_pairs) {
            let x = matching::assess(&features(a), &features(b), &Thresholds::default());
            for k in [a, b] {
                let entry = entry_of(k);
                let others: Vec<&String> = entry.iter().filter(|o| *o != k).collect();
                if !others.is_empty() {
                    println!("    ({k} is in an entry with {others:?})");
                }
            }
            println!(
                "  MISSED {:?}\n    {}\n    {}\n    conflict {:?} title {:.2} close {:.2} venue {:?} link {:?} score {:.3}",
                city.truth[a].1.iter().chain(&city.truth[b].1).collect::<Vec<_>>(),
                show(a),
                show(b),
                x.conflict,
                x.title,
                x.closeness,
                x.venue,
                x.link,
                x.score
            );
        }
        for (a, b) in predicted_pairs.difference(&truth_pairs) {
            let x = matching::assess(&features(a), &features(b), &Thresholds::default());
            println!(
                "  WRONG\n    {}\n    {}\n    title {:.2} close {:.2} venue {:?} link {:?} score {:.3}",
                show(a),
                show(b),
                x.title,
                x.closeness,
                x.venue,
                x.link,
                x.score
            );
        }
    }
    Figures { precision, recall, lookalikes_merged }
}

#[test]
fn deduplication_on_independent_cities() {
    let details = std::env::var_os("LEARNCITY_EVAL_DETAILS").is_some();
    let dev = evaluate("dev", details);
    let dev2 = evaluate("dev2", details);
    let dev3 = evaluate("dev3", details);
    let dev4 = evaluate("dev4", details);
    let dev5 = evaluate("dev5", details);
    let dev6 = evaluate("dev6", details);
    let dev7 = evaluate("dev7", details);
    let test = evaluate("test", false);
    // Floors under the figures measured when this test was last changed (2026-12-07: dev
    // 1.000/0.963, dev2 1.000/0.904, dev3 0.994/0.887, test 0.993/0.915, look-alikes
    // merged 0 / 0 / 1 / 0): a change that loses them fails here. The target on the
    // test half is precision 0.98 and recall 0.95.
    assert!(dev.precision >= 0.99 && dev.recall >= 0.94, "dev: {:.3} / {:.3}", dev.precision, dev.recall);
    assert!(dev2.precision >= 0.99 && dev2.recall >= 0.89, "dev2: {:.3} / {:.3}", dev2.precision, dev2.recall);
    assert!(dev3.precision >= 0.98 && dev3.recall >= 0.88, "dev3: {:.3} / {:.3}", dev3.precision, dev3.recall);
    // dev4 (Vitebsk, added 2026-12-07 in a later session): 0.981 / 0.884 when it arrived, 0.982 /
    // 0.948 after generic titles read their summary, "open session" became an open lesson and a
    // link told which of two look-alikes a vague re-announcement is.
    assert!(dev4.precision >= 0.97 && dev4.recall >= 0.93, "dev4: {:.3} / {:.3}", dev4.precision, dev4.recall);
    assert!(dev4.lookalikes_merged <= 2, "look-alikes merged in dev4: {}", dev4.lookalikes_merged);
    // dev5 (Pinsk and Baranovichi, added 2026-12-07 in a later session: reschedules, UTC
    // instants, same title at one hour in two buildings, takeovers): 0.980 / 0.830 and 4
    // takeovers merged when it arrived; 0.993 / 0.830 and none once other house numbers kept
    // buildings apart and a title announcing a cancellation ("Отменяется лекция…") cancelled its
    // item; 0.993 / 0.850 once JSON-LD `sameAs` and JSON Feed `external_url` became links.
    assert!(dev5.precision >= 0.98 && dev5.recall >= 0.83, "dev5: {:.3} / {:.3}", dev5.precision, dev5.recall);
    assert!(dev5.lookalikes_merged <= 1, "look-alikes merged in dev5: {}", dev5.lookalikes_merged);
    // dev6 (Molodechno and Borisov, added 2026-12-07 in a later session: two towns read by
    // aggregators of both, national-system Latin spellings, abbreviated venues): 0.981 / 0.651
    // when it arrived (three misses in four were "different places": an aggregator's own city
    // given to an item in the other town); 0.985 / 0.842 once "Barysaŭ" and "Maladziečna" were
    // known spellings, a venue naming a town gave the item its city, and a venue or title naming
    // only the other town outweighed the provider's city; 0.987 / 0.944 once an aggregator's city
    // given to an item that names no town became a guess that keeps nothing apart (and an online
    // item no longer took its provider's city).
    assert!(dev6.precision >= 0.98 && dev6.recall >= 0.92, "dev6: {:.3} / {:.3}", dev6.precision, dev6.recall);
    assert!(dev6.lookalikes_merged <= 3, "look-alikes merged in dev6: {}", dev6.lookalikes_merged);
    // dev7 (Polotsk and Novopolotsk, added 2026-12-07 in a later session: each offering
    // re-announced four to seven times — by date only, in translation, by UTC instant, under a
    // generic title — 1 292 duplicate pairs): 0.994 / 0.712 when it arrived; 0.994 / 0.806 once
    // a school's number before an English street ("School No. 2, Molodyozhnaya St 48") was no
    // longer read as its house, and a venue named after another town ("Polotsk State
    // University", in Novopolotsk) no longer placed an item elsewhere (dev6 0.842 -> 0.857, dev
    // 0.963 -> 0.957: one pair now held apart by a third item); 0.995 / 0.834 once a venue naming
    // a town in the genitive ("ЦГБ Новополоцка") placed its item there; 0.996 / 0.882 once an
    // aggregator's guessed city and an online item's provider city kept nothing apart (dev5
    // 0.850 -> 0.856).
    assert!(dev7.precision >= 0.98 && dev7.recall >= 0.86, "dev7: {:.3} / {:.3}", dev7.precision, dev7.recall);
    assert!(dev7.lookalikes_merged <= 2, "look-alikes merged in dev7: {}", dev7.lookalikes_merged);
    assert!(test.precision >= 0.98 && test.recall >= 0.90, "test: {:.3} / {:.3}", test.precision, test.recall);
    assert_eq!(dev.lookalikes_merged + dev2.lookalikes_merged + test.lookalikes_merged, 0, "look-alikes merged");
    assert!(dev3.lookalikes_merged <= 3, "look-alikes merged in dev3: {}", dev3.lookalikes_merged);
}
