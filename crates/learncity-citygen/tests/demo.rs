//! The demo city: its committed provider configs, what reading it yields, and what dedup finds.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{Duration, Utc};
use common::{day, pairs, predicted_groups, read_city};
use learncity_citygen::{BrokenKind, DEMO_PROVIDERS_DIR, Format, demo, key};

fn providers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEMO_PROVIDERS_DIR)
}

fn committed(id: &str) -> String {
    let path = providers_dir().join(format!("{id}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The committed `config/demo/providers/*.toml` are the generator's output; with
/// `LEARNCITY_BLESS=1` this test writes them.
#[test]
fn committed_provider_files_match_the_generator() {
    let city = demo(day());
    let dir = providers_dir();
    if std::env::var("LEARNCITY_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).unwrap();
        for f in &city.provider_files {
            std::fs::write(dir.join(&f.file_name), &f.toml).unwrap();
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut generated: Vec<String> = city.provider_files.iter().map(|f| f.file_name.clone()).collect();
    generated.sort();
    assert_eq!(on_disk, generated, "run with LEARNCITY_BLESS=1 to rewrite {}", dir.display());
    for f in &city.provider_files {
        assert_eq!(committed(&f.id), f.toml, "{}: run with LEARNCITY_BLESS=1", f.file_name);
    }
}

#[test]
fn the_demo_is_a_city_of_every_format_and_language() {
    let city = demo(day());
    assert!((10..=12).contains(&city.documents.len()));
    let formats: BTreeSet<Format> = city.documents.iter().map(|d| d.format).collect();
    assert_eq!(formats.len(), Format::ALL.len(), "{formats:?}");
    let n = city.truth.item_count();
    assert!((250..=350).contains(&n), "{n} items");
    let dups = city.truth.duplicate_groups().count();
    assert!((30..=50).contains(&dups), "{dups} duplicate groups");
    for f in &city.provider_files {
        assert!(f.toml.starts_with("# "), "{}: a comment on top", f.id);
        assert!(f.toml.contains("city = \"Vitebsk\"") && f.toml.contains("allow-private = true"));
        assert!(f.toml.contains("url = \"http://127.0.0.1:8090/"));
    }
    let langs: BTreeSet<&str> =
        city.provider_files.iter().filter_map(|f| f.toml.split("default-language = \"").nth(1)?.get(..2)).collect();
    assert_eq!(langs, BTreeSet::from(["be", "en", "ru"]));
}

#[test]
fn every_document_reads_to_the_promised_items() {
    let city = demo(day());
    let read = read_city(&city, committed);
    for (id, expected) in &city.truth.items {
        let Some((_, out)) = read.get(id) else {
            assert!(expected.is_empty(), "{id}: a failing document promises nothing");
            continue;
        };
        let mut got: Vec<String> = out.offerings.iter().map(|o| key(id, &o.source_id)).collect();
        got.sort();
        assert_eq!(&got, expected, "{id}: warnings {:#?}", out.warnings);
    }
    // Every grouped key is read.
    let all: BTreeSet<&String> = city.truth.items.values().flatten().collect();
    for g in &city.truth.groups {
        for k in g {
            assert!(all.contains(k), "{k} in truth but not read");
        }
    }
    // Broken input gives warnings, never lost documents.
    for b in &city.truth.broken {
        match b.problem {
            BrokenKind::ServerFault(code) => {
                let doc = city.documents.iter().find(|d| d.provider == b.provider).unwrap();
                assert_eq!(doc.fault, Some(code));
            }
            BrokenKind::UnsafeDescription => {
                let k = b.key.as_deref().unwrap();
                let (_, out) = &read[&b.provider];
                let o = out.offerings.iter().find(|o| key(&b.provider, &o.source_id) == k).unwrap();
                let html = o.description_html.as_deref().unwrap_or("");
                for bad in ["<script", "onerror", "onclick", "javascript:", "alert("] {
                    assert!(!html.contains(bad), "{bad} survived: {html}");
                }
            }
            _ => {
                let (_, out) = &read[&b.provider];
                assert!(!out.warnings.is_empty(), "{:?} of {} gives a warning", b.problem, b.provider);
                if let Some(k) = &b.key {
                    let source_id = k.split_once('/').unwrap().1;
                    assert!(
                        out.warnings.iter().any(|w| w.item.as_deref() == Some(source_id)),
                        "{:?}: no warning names {source_id}: {:#?}",
                        b.problem,
                        out.warnings
                    );
                }
            }
        }
    }
    // Recurrences are expanded, an EXDATE removes a session.
    let (_, univ) = &read["dvina-university"];
    assert!(univ.offerings.iter().any(|o| o.recurrence.as_ref().is_some_and(|r| !r.exdate.is_empty())));
    assert!(univ.offerings.iter().any(|o| o.sessions.len() > 3));
}

#[test]
fn dedup_finds_exactly_the_true_duplicates() {
    for today in [day(), Utc::now().date_naive()] {
        let city = demo(today);
        let read = read_city(&city, committed);
        let predicted = pairs(&predicted_groups(&read));
        let truth = pairs(&city.truth.groups);
        let false_merges: Vec<_> = predicted.difference(&truth).collect();
        let missed: Vec<_> = truth.difference(&predicted).collect();
        let title = |k: &str| {
            let (p, id) = k.split_once('/').unwrap();
            read[p].1.offerings.iter().find(|o| o.source_id == id).map(|o| o.title.clone()).unwrap_or_default()
        };
        let show = |v: &[&(String, String)]| {
            v.iter().map(|(a, b)| format!("  {a} {:?} ~ {b} {:?}", title(a), title(b))).collect::<Vec<_>>().join("\n")
        };
        assert!(
            false_merges.is_empty() && missed.is_empty(),
            "{today}: false merges:\n{}\nmissed:\n{}",
            show(&false_merges),
            show(&missed)
        );
        assert!(truth.len() >= 40, "{} true pairs", truth.len());
    }
}

#[test]
fn the_demo_is_deterministic_and_moves_with_today() {
    assert_eq!(demo(day()), demo(day()));
    let later = demo(day() + Duration::days(10));
    let now = demo(day());
    assert_eq!(later.truth, now.truth, "ids and groups do not depend on the day");
    assert_eq!(later.provider_files, now.provider_files);
    let read_now = read_city(&now, committed);
    let read_later = read_city(&later, committed);
    for (id, (_, out)) in &read_now {
        for (a, b) in out.offerings.iter().zip(&read_later[id].1.offerings) {
            assert_eq!(a.source_id, b.source_id);
            if let (Some(x), Some(y)) = (a.first_start(), b.first_start()) {
                assert_eq!(y - x, Duration::days(10), "{id}/{}", a.source_id);
            }
        }
    }
    // Mostly ahead, a few already over.
    let starts: Vec<_> =
        read_now.values().flat_map(|(_, r)| r.offerings.iter().filter_map(|o| o.first_start())).collect();
    let today = day();
    let past = starts.iter().filter(|s| s.date_naive() < today).count();
    let soon = starts.iter().filter(|s| (s.date_naive() - today).num_days() <= 60).count();
    assert!(past >= 5 && past * 8 < starts.len(), "{past} of {} in the past", starts.len());
    assert!(soon * 10 >= starts.len() * 9, "{soon} of {} within 60 days", starts.len());
}
